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

/// An amount typed in euros (`85`, `85.5`, `85,50`, `€ 85.50`) as integer cents, without ever
/// passing through a float. Empty means zero. At most two decimals; no thousands separators,
/// since `1.234` would mean a thousand in Brussels and one euro in Dublin.
pub fn parse_eur_cents(text: &str) -> Result<i64, &'static str> {
    const SHAPE: &str = "must be an amount in euros such as 85 or 85.50";
    let text = text.trim().trim_start_matches('€').trim();
    if text.is_empty() {
        return Ok(0);
    }
    let (whole, fraction) = match text.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
        return Err(SHAPE);
    }
    if whole.len() > 12 {
        return Err("is too large");
    }
    let euros: i64 = whole.parse().map_err(|_| SHAPE)?;
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().map_err(|_| SHAPE)? * 10,
        _ => fraction.parse().map_err(|_| SHAPE)?,
    };
    Ok(euros * 100 + cents)
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
    fn euro_amounts_parse_to_cents_without_floats() {
        for (text, cents) in [
            ("", 0),
            ("85", 8500),
            ("85.5", 8550),
            ("85,50", 8550),
            (" € 0.07 ", 7),
            ("1000000", 100_000_000),
        ] {
            assert_eq!(parse_eur_cents(text), Ok(cents), "{text:?}");
        }
        for bad in [
            "-5",
            "85.505",
            "1.234,50",
            "abc",
            ".50",
            "8 5",
            "1e3",
            "9999999999999",
        ] {
            assert!(parse_eur_cents(bad).is_err(), "{bad:?}");
        }
    }

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

    #[test]
    fn minutes_read_as_hours() {
        assert_eq!(format_minutes(65), "1:05");
        assert_eq!(format_minutes(1440), "24:00");
        assert_eq!(format_minutes(0), "0:00");
    }
}
