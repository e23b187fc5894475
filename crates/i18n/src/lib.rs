//! Bastion's four languages (PRODUCT.md §1: sold in Belgium): the locale a page is rendered in,
//! chosen on the server, its messages and its formats for money and dates.
//!
//! Messages live in `locales/<language>/*.ftl`; the build script turns each into a method on
//! [`T`] (`t.sign_in()`, `t.task_count(5)`), so an unknown key does not compile and a key missing
//! in one language fails the build. `docs/translating.md` says how to add a message or a language.

/// A language Bastion speaks, with the Belgian conventions for its formats. The tag is what is
/// stored (`users.locale`), sent as `<html lang>` and kept in the language cookie.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    #[default]
    En,
    Nl,
    Fr,
    De,
}

impl Locale {
    pub const ALL: [Locale; 4] = [Locale::En, Locale::Nl, Locale::Fr, Locale::De];

    /// The BCP 47 tag: `en`, `nl-BE`, `fr-BE`, `de-BE`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Nl => "nl-BE",
            Locale::Fr => "fr-BE",
            Locale::De => "de-BE",
        }
    }

    /// The language's name in itself, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Nl => "Nederlands",
            Locale::Fr => "Français",
            Locale::De => "Deutsch",
        }
    }

    /// A stored or sent tag; `nl`, `NL-be` and `nl-NL` all mean Dutch (the formats stay Belgian).
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let language = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match language.as_str() {
            "en" => Some(Locale::En),
            "nl" => Some(Locale::Nl),
            "fr" => Some(Locale::Fr),
            "de" => Some(Locale::De),
            _ => None,
        }
    }

    /// The best supported language of an `Accept-Language` header (RFC 9110 §12.5.4): the
    /// highest weight wins, the earlier on a tie; `q=0` means "not this one". `None` when the
    /// header names none of the four.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(Locale, u16)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(locale) = parts.next().and_then(Locale::from_tag) else {
                continue;
            };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_weight);
            let Some(weight) = weight else { continue };
            if weight > 0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((locale, weight));
            }
        }
        best.map(|(locale, _)| locale)
    }

    /// The messages in this language.
    pub fn t(self) -> T {
        T(self)
    }

    fn continental(self) -> bool {
        self != Locale::En
    }
}

/// A weight `0`–`1` with up to three decimals, in thousandths; anything else is ignored.
fn parse_weight(text: &str) -> Option<u16> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The messages of one language: `locale.t().sign_in()`. Copy, so views capture it freely.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct T(pub Locale);

include!(concat!(env!("OUT_DIR"), "/messages.rs"));

/// A workspace role (`admin`, `member`, `guest`) in words; an unknown one as it is.
pub fn role_name(t: T, role: &str) -> &str {
    match role {
        "admin" => t.role_admin(),
        "member" => t.role_member(),
        "guest" => t.role_guest(),
        other => other,
    }
}

/// Narrow no-break space: French groups thousands with it (CLDR), and it never wraps.
const NARROW_NBSP: char = '\u{202f}';
/// No-break space: between an amount and its `€`, so the symbol never starts a line.
const NBSP: char = '\u{a0}';

/// Euro cents as people of the locale write money: `1.234,56 €` (Dutch and German in Belgium),
/// `1 234,56 €` (French, narrow no-break space between groups), `€1,234.56` (English). Money is
/// never a float.
pub fn format_eur(cents: i64, locale: Locale) -> String {
    // unsigned_abs: i64::MIN has no positive i64.
    let abs = cents.unsigned_abs();
    let sign = if cents < 0 { "-" } else { "" };
    let (euros, rest) = (abs / 100, abs % 100);
    match locale {
        Locale::En => format!("{sign}€{}.{rest:02}", group_thousands(euros, ',')),
        Locale::Fr => format!(
            "{sign}{},{rest:02}{NBSP}€",
            group_thousands(euros, NARROW_NBSP)
        ),
        Locale::Nl | Locale::De => {
            format!("{sign}{},{rest:02}{NBSP}€", group_thousands(euros, '.'))
        }
    }
}

/// A calendar date as the locale writes it: `24/11/2026` (Dutch and French in Belgium),
/// `24.11.2026` (German), `2026-11-24` (English: the unambiguous form, which also keeps the
/// English pages' dates what they were).
pub fn format_date(locale: Locale, year: i32, month: u8, day: u8) -> String {
    match locale {
        Locale::En => format!("{year:04}-{month:02}-{day:02}"),
        Locale::Nl | Locale::Fr => format!("{day:02}/{month:02}/{year:04}"),
        Locale::De => format!("{day:02}.{month:02}.{year:04}"),
    }
}

/// An ISO date (`2026-11-24`, as forms and the API carry it) in the locale's form; anything
/// that is not one is given back as it is.
pub fn format_iso_date(locale: Locale, iso: &str) -> String {
    let mut parts = iso.splitn(3, '-');
    let parsed = (|| {
        let year = parts.next()?.parse::<i32>().ok()?;
        let month = parts.next()?.parse::<u8>().ok()?;
        let day = parts.next()?.parse::<u8>().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((year, month, day))
    })();
    match parsed {
        Some((year, month, day)) if iso.len() == 10 => format_date(locale, year, month, day),
        _ => iso.to_owned(),
    }
}

/// The decimal separator people of the locale type: `,` on the continent, `.` in English. Input
/// accepts both (see [`parse_eur_cents`]); this is for showing a value back in a form.
pub fn decimal_separator(locale: Locale) -> char {
    if locale.continental() {
        ','
    } else {
        '.'
    }
}

/// An amount typed in euros (money fields and rates alike; the core checks custom € fields
/// with it, the app rates) (`90`, `90.5`, `90,50`, `€ 12.30`) as whole cents. One decimal
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

fn group_thousands(mut n: u64, separator: char) -> String {
    let mut groups = Vec::new();
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let mut out = groups.pop().map(|g| g.to_string()).unwrap_or_default();
    while let Some(g) = groups.pop() {
        out.push(separator);
        out.push_str(&format!("{g:03}"));
    }
    out
}

/// The catalogue reader the build script runs, compiled here too so its refusals are tested.
#[cfg(test)]
#[allow(dead_code)]
mod catalogue;

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses four languages' sources (one file each) and returns the build's complaints.
    fn complaints(sources: [&str; 4]) -> Vec<String> {
        let mut errors = Vec::new();
        let catalogues: Vec<catalogue::Catalogue> = catalogue::LANGUAGES
            .iter()
            .zip(sources)
            .map(|((language, _), source)| {
                let mut messages = catalogue::Catalogue::new();
                catalogue::parse(
                    &format!("locales/{language}/x.ftl"),
                    source,
                    &mut messages,
                    &mut errors,
                );
                messages
            })
            .collect();
        catalogue::check(&catalogues, &mut errors);
        errors
    }

    #[test]
    fn a_key_missing_in_one_language_is_refused_by_name() {
        let good = "hello = Hello { $name }\nbye = Bye\n";
        assert_eq!(complaints([good, good, good, good]), Vec::<String>::new());
        let errors = complaints([good, "hello = Hallo { $name }\n", good, good]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("locales/nl") && errors[0].contains("`bye` is missing"));
    }

    #[test]
    fn placeholders_extra_keys_duplicates_and_syntax_are_refused() {
        let en = "hello = Hello { $name }\n";
        let errors = complaints([en, "hello = Hallo\n", en, en]);
        assert!(errors[0].contains("leaves out { $name }"), "{errors:?}");
        let errors = complaints([en, "hello = Hallo { $naam }\n", en, en]);
        assert!(
            errors.iter().any(|e| e.contains("uses { $naam }")),
            "{errors:?}"
        );
        let errors = complaints([en, en, "hello = Bonjour { $name }\nextra = X\n", en]);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("`extra` is not in English")),
            "{errors:?}"
        );
        let errors = complaints([&format!("{en}hello = Again\n"), en, en, en]);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("is already in locales/en/x.ftl:1")),
            "{errors:?}"
        );
        let errors = complaints([
            "Hello = Hi\nsel = { $n -> [one] x *[other] y }\n",
            en,
            en,
            en,
        ]);
        assert!(
            errors.iter().any(|e| e.contains("`Hello` is not a key")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("only { $name } placeholders")),
            "{errors:?}"
        );
    }

    #[test]
    fn continuation_lines_and_line_breaks() {
        let mut errors = Vec::new();
        let mut messages = catalogue::Catalogue::new();
        catalogue::parse(
            "x",
            "long = One\n    two\nmail = A\\n\\nB\n",
            &mut messages,
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(messages["long"].text, "One two");
        assert_eq!(messages["mail"].text, "A\n\nB");
        // A lone closing brace is literal text for format!.
        assert_eq!(catalogue::format_template("{ $a } }"), "{a} }}");
    }

    #[test]
    fn accept_language_picks_the_heaviest_supported_language() {
        assert_eq!(Locale::from_accept_language("fr-BE"), Some(Locale::Fr));
        assert_eq!(
            Locale::from_accept_language("es-ES,es;q=0.9,nl;q=0.8,en;q=0.7"),
            Some(Locale::Nl)
        );
        assert_eq!(
            Locale::from_accept_language("en;q=0.5, de-BE;q=0.6"),
            Some(Locale::De)
        );
        // A tie goes to the one named first.
        assert_eq!(Locale::from_accept_language("nl, fr"), Some(Locale::Nl));
        // q=0 refuses a language; a malformed weight is ignored, not read as 1.
        assert_eq!(
            Locale::from_accept_language("fr;q=0, de;q=0.1"),
            Some(Locale::De)
        );
        assert_eq!(
            Locale::from_accept_language("fr;q=2, de;q=0.1"),
            Some(Locale::De)
        );
        assert_eq!(Locale::from_accept_language("es, it"), None);
        assert_eq!(Locale::from_accept_language(""), None);
        assert_eq!(Locale::from_accept_language("*"), None);
    }

    #[test]
    fn tags_round_trip() {
        for locale in Locale::ALL {
            assert_eq!(Locale::from_tag(locale.tag()), Some(locale));
        }
        assert_eq!(Locale::from_tag("NL_nl"), Some(Locale::Nl));
        assert_eq!(Locale::from_tag("klingon"), None);
    }

    #[test]
    fn money_in_each_locale() {
        assert_eq!(format_eur(123_456, Locale::Nl), "1.234,56\u{a0}€");
        assert_eq!(format_eur(123_456, Locale::De), "1.234,56\u{a0}€");
        assert_eq!(format_eur(123_456, Locale::Fr), "1\u{202f}234,56\u{a0}€");
        assert_eq!(format_eur(123_456, Locale::En), "€1,234.56");
        assert_eq!(format_eur(-5, Locale::Nl), "-0,05\u{a0}€");
        assert_eq!(format_eur(-5, Locale::En), "-€0.05");
        assert_eq!(
            format_eur(100_000_000, Locale::Fr),
            "1\u{202f}000\u{202f}000,00\u{a0}€"
        );
        assert_eq!(
            format_eur(i64::MIN, Locale::En),
            "-€92,233,720,368,547,758.08"
        );
    }

    #[test]
    fn dates_in_each_locale() {
        assert_eq!(format_date(Locale::Nl, 2026, 11, 24), "24/11/2026");
        assert_eq!(format_date(Locale::Fr, 2026, 3, 1), "01/03/2026");
        assert_eq!(format_date(Locale::De, 2026, 11, 24), "24.11.2026");
        assert_eq!(format_date(Locale::En, 2026, 11, 24), "2026-11-24");
        assert_eq!(format_iso_date(Locale::De, "2026-03-30"), "30.03.2026");
        assert_eq!(format_iso_date(Locale::Fr, "2026-13-30"), "2026-13-30");
        assert_eq!(format_iso_date(Locale::Nl, "soon"), "soon");
    }

    #[test]
    fn every_language_has_every_message_and_its_placeholders() {
        // The build script refuses catalogues that disagree; this shows it worked on real text.
        assert!(KEYS.len() > 50, "only {} messages", KEYS.len());
        for locale in Locale::ALL {
            let t = locale.t();
            assert!(!t.sign_in().is_empty());
        }
        assert!(Locale::Fr.t().signed_in_as("Noor").contains("Noor"));
        assert_ne!(Locale::Fr.t().sign_in(), Locale::En.t().sign_in());
    }
}
