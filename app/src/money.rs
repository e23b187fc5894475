//! Money on screen: integer euro cents formatted per locale (PRODUCT.md §1). Pure functions,
//! compiled for the server and the browser alike; money is never a float.

/// Cents in the money format of a stored locale tag (`nl-BE`, `fr-BE`, `de-BE`, `en`; see
/// [`crate::i18n::format_eur`]): `1.234,50 €`, `1 234,50 €`, `€1,234.50`. An unknown tag is
/// English.
pub fn format_eur(cents: i64, locale: &str) -> String {
    crate::i18n::format_eur(
        cents,
        crate::i18n::Locale::from_tag(locale).unwrap_or_default(),
    )
}

/// Minutes as hours and minutes, e.g. `1:05` for 65 minutes: the same in every locale here.
pub fn format_minutes(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let abs = minutes.unsigned_abs();
    format!("{sign}{}:{:02}", abs / 60, abs % 60)
}

pub use bastion_i18n::{cents_as_decimal, parse_eur_cents};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn belgian_locales_put_the_symbol_after_with_their_separators() {
        for locale in ["nl-BE", "de-BE", "nl", "de"] {
            assert_eq!(format_eur(123_450, locale), "1.234,50\u{a0}€", "{locale}");
        }
        assert_eq!(format_eur(123_450, "fr-BE"), "1\u{202f}234,50\u{a0}€");
        assert_eq!(format_eur(5, "nl-BE"), "0,05\u{a0}€");
        assert_eq!(format_eur(-123_450, "nl-BE"), "-1.234,50\u{a0}€");
        assert_eq!(
            format_eur(i64::MAX, "nl-BE"),
            "92.233.720.368.547.758,07\u{a0}€"
        );
    }

    #[test]
    fn english_uses_commas_and_a_point() {
        assert_eq!(format_eur(123_450, "en"), "€1,234.50");
        assert_eq!(format_eur(123_450, "en-GB"), "€1,234.50");
        assert_eq!(format_eur(0, "en"), "€0.00");
        assert_eq!(format_eur(-1, "en"), "-€0.01");
        // Unknown locales fall back to English.
        assert_eq!(format_eur(100_000, "xx"), "€1,000.00");
        assert_eq!(format_eur(i64::MIN, "en"), "-€92,233,720,368,547,758.08");
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
