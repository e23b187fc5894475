//! Money on screen: integer euro cents formatted per locale (PRODUCT.md §1). Pure functions,
//! compiled for the server and the browser alike; money is never a float.

/// `€ 1.234,50` for Belgian locales (`nl-BE`, `fr-BE`, `de-BE`, and any `nl`, `fr` or `de`),
/// `€1,234.50` for English and anything else. A negative amount puts its sign before the
/// number in the Belgian style (`€ -1.234,50`) and before the symbol in English (`-€1,234.50`).
pub fn format_eur(cents: i64, locale: &str) -> String {
    let negative = cents < 0;
    // unsigned_abs: i64::MIN has no positive i64.
    let abs = cents.unsigned_abs();
    let (euros, rest) = (abs / 100, abs % 100);
    let continental = matches!(language(locale).as_str(), "nl" | "fr" | "de");
    let (group, decimal) = if continental { ('.', ',') } else { (',', '.') };
    let number = format!("{}{decimal}{rest:02}", group_thousands(euros, group));
    match (continental, negative) {
        (true, false) => format!("€ {number}"),
        (true, true) => format!("€ -{number}"),
        (false, false) => format!("€{number}"),
        (false, true) => format!("-€{number}"),
    }
}

/// Minutes as hours and minutes, e.g. `1:05` for 65 minutes: the same in every locale here.
pub fn format_minutes(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let abs = minutes.unsigned_abs();
    format!("{sign}{}:{:02}", abs / 60, abs % 60)
}

/// An amount typed in euros (`90`, `90.5`, `90,50`, `€ 12.30`) as whole cents. One decimal
/// separator, point or comma, with at most two digits after it; no thousands separators, since
/// `12,345` could mean twelve thousand or twelve euros and money must not be guessed. The error
/// says what is accepted, for the caller to name the field.
pub fn parse_eur_cents(input: &str) -> Result<i64, &'static str> {
    const EXPECTED: &str = "must be an amount in euros like 90 or 90.50 (at most two decimals, no thousands separator)";
    let text = input.trim().trim_start_matches('€').trim();
    let (whole, fraction) = match text.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    // Eleven digits of euros is far above any rate; the bound keeps the sum below overflow.
    if whole.is_empty()
        || whole.len() > 11
        || !digits(whole)
        || fraction.len() > 2
        || !digits(fraction)
    {
        return Err(EXPECTED);
    }
    if text.len() != whole.len() && fraction.is_empty() {
        return Err(EXPECTED);
    }
    let euros: i64 = whole.parse().map_err(|_| EXPECTED)?;
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().map_err(|_| EXPECTED)? * 10,
        _ => fraction.parse().map_err(|_| EXPECTED)?,
    };
    Ok(euros * 100 + cents)
}

/// Cents as the decimal a person would type back into a form: `9050` is `90.50`.
pub fn cents_as_decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn language(locale: &str) -> String {
    locale
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn group_thousands(mut n: u64, separator: char) -> String {
    let mut groups = Vec::new();
    loop {
        if n < 1000 {
            groups.push(n.to_string());
            break;
        }
        groups.push(format!("{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join(&separator.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn belgian_locales_use_a_space_dots_and_a_comma() {
        for locale in ["nl-BE", "fr-BE", "de-BE", "fr"] {
            assert_eq!(format_eur(123_450, locale), "€ 1.234,50", "{locale}");
        }
        assert_eq!(format_eur(5, "nl-BE"), "€ 0,05");
        assert_eq!(format_eur(100_000_000, "de-BE"), "€ 1.000.000,00");
        assert_eq!(format_eur(-123_450, "nl-BE"), "€ -1.234,50");
    }

    #[test]
    fn english_uses_commas_and_a_point() {
        assert_eq!(format_eur(123_450, "en"), "€1,234.50");
        assert_eq!(format_eur(123_450, "en-GB"), "€1,234.50");
        assert_eq!(format_eur(0, "en"), "€0.00");
        assert_eq!(format_eur(99_999, "en"), "€999.99");
        assert_eq!(format_eur(-1, "en"), "-€0.01");
        // Unknown locales fall back to English.
        assert_eq!(format_eur(100_000, "xx"), "€1,000.00");
    }

    #[test]
    fn extremes_do_not_overflow() {
        assert_eq!(format_eur(i64::MIN, "en"), "-€92,233,720,368,547,758.08");
        assert_eq!(format_eur(i64::MAX, "nl-BE"), "€ 92.233.720.368.547.758,07");
    }

    /// Without floats: a decimal point or comma, at most two decimals, no thousands separators.
    #[test]
    fn euros_typed_become_whole_cents() {
        for (typed, cents) in [
            ("90", 9000),
            ("90.5", 9050),
            ("90,50", 9050),
            ("85", 8500),
            ("85.5", 8550),
            ("85,50", 8550),
            (" € 12.30 ", 1230),
            (" € 0.07 ", 7),
            ("0", 0),
            ("0.01", 1),
            ("1000000", 100_000_000),
        ] {
            assert_eq!(parse_eur_cents(typed), Ok(cents), "{typed}");
        }
        for garbage in [
            "12,345",
            "1.234,50",
            "",
            "€",
            "-5",
            "12.",
            ".5",
            "1e3",
            "12 34",
            "ten",
            "999999999999",
            "9999999999999",
            "85.505",
            "abc",
            "8 5",
            ".50",
        ] {
            assert!(parse_eur_cents(garbage).is_err(), "{garbage}");
        }
        assert_eq!(cents_as_decimal(9050), "90.50");
        assert_eq!(parse_eur_cents(&cents_as_decimal(1)), Ok(1));
    }

    #[test]
    fn minutes_read_as_hours() {
        assert_eq!(format_minutes(65), "1:05");
        assert_eq!(format_minutes(1440), "24:00");
        assert_eq!(format_minutes(0), "0:00");
    }
}
