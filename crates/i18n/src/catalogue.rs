//! Reading and checking the message catalogues: shared by the build script (which turns them
//! into `T`'s methods) and this crate's tests (which show that a broken catalogue is refused).
//! Only `std`, so the build script can include it by path.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The languages, in the order of `Locale`'s variants; English is the reference.
pub const LANGUAGES: [(&str, &str); 4] = [("en", "En"), ("nl", "Nl"), ("fr", "Fr"), ("de", "De")];

pub struct Message {
    pub text: String,
    /// Where it was written, for error messages.
    pub origin: String,
}

pub type Catalogue = BTreeMap<String, Message>;

/// Compares every language with English: a missing or extra key, and a placeholder added or
/// dropped, each become one line naming the file and key.
pub fn check(catalogues: &[Catalogue], errors: &mut Vec<String>) {
    let english = &catalogues[0];
    // A core text is looked up by its English words, so two keys must not share them, and it
    // is a plain sentence: no placeholder.
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (key, message) in english.iter().filter(|(k, _)| k.starts_with("core-")) {
        if let Some(other) = seen.insert(&message.text, key) {
            errors.push(format!(
                "{}: `{key}` has the same English text as `{other}`",
                message.origin
            ));
        }
        if !placeholders(&message.text).is_empty() {
            errors.push(format!(
                "{}: `{key}` is a core text and cannot have placeholders",
                message.origin
            ));
        }
    }
    for (i, (language, _)) in LANGUAGES.iter().enumerate().skip(1) {
        for (key, message) in english {
            match catalogues[i].get(key) {
                None => errors.push(format!(
                    "locales/{language}: `{key}` is missing (English has it in {})",
                    message.origin
                )),
                Some(translated) => {
                    let want = placeholders(&message.text);
                    let have = placeholders(&translated.text);
                    for p in &have {
                        if !want.contains(p) {
                            errors.push(format!(
                                "{}: `{key}` uses {{ ${p} }}, which English does not give",
                                translated.origin
                            ));
                        }
                    }
                    for p in &want {
                        if !have.contains(p) {
                            errors.push(format!(
                                "{}: `{key}` leaves out {{ ${p} }}",
                                translated.origin
                            ));
                        }
                    }
                }
            }
        }
        for (key, message) in &catalogues[i] {
            if !english.contains_key(key) {
                errors.push(format!("{}: `{key}` is not in English", message.origin));
            }
        }
    }
}

/// The Rust source of `impl T` and `KEYS`.
pub fn generate(catalogues: &[Catalogue]) -> String {
    let english = &catalogues[0];
    let mut out = String::from("impl T {\n");
    for (key, message) in english {
        let method = key.replace('-', "_");
        let args = placeholders(&message.text);
        let _ = writeln!(out, "    /// {}", message.text.replace('\n', " "));
        if args.is_empty() {
            let _ = writeln!(
                out,
                "    pub fn {method}(self) -> &'static str {{\n        match self.0 {{"
            );
            for (i, (_, variant)) in LANGUAGES.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "            Locale::{variant} => {:?},",
                    catalogues[i][key].text
                );
            }
        } else {
            let params: Vec<String> = args
                .iter()
                .map(|a| format!("{a}: impl core::fmt::Display"))
                .collect();
            let _ = writeln!(
                out,
                "    pub fn {method}(self, {}) -> String {{\n        match self.0 {{",
                params.join(", ")
            );
            for (i, (_, variant)) in LANGUAGES.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "            Locale::{variant} => format!({:?}),",
                    format_template(&catalogues[i][key].text)
                );
            }
        }
        out.push_str("        }\n    }\n");
    }
    out.push_str("}\n\n");
    // Core writes its refusals in English (as gettext uses the English text for a key): the
    // `core-` messages carry those texts, and this finds one's translation.
    out.push_str(concat!(
        "impl T {\n",
        "    /// A sentence core wrote in English, in this language; `None` when no `core-`\n",
        "    /// message has that English text.\n",
        "    pub fn core_text(self, english: &str) -> Option<&'static str> {\n",
        "        Some(match english {\n",
    ));
    for (key, message) in english.iter().filter(|(k, _)| k.starts_with("core-")) {
        let _ = writeln!(
            out,
            "            {:?} => self.{}(),",
            message.text,
            key.replace('-', "_")
        );
    }
    out.push_str("            _ => return None,\n        })\n    }\n}\n\n");
    out.push_str("/// Every message key, for tests and tools.\npub const KEYS: &[&str] = &[\n");
    for key in english.keys() {
        let _ = writeln!(out, "    {key:?},");
    }
    out.push_str("];\n");
    out
}

pub fn parse(name: &str, source: &str, messages: &mut Catalogue, errors: &mut Vec<String>) {
    let mut current: Option<(String, String, usize)> = None;
    let finish = |current: &mut Option<(String, String, usize)>,
                  messages: &mut Catalogue,
                  errors: &mut Vec<String>| {
        if let Some((key, text, line)) = current.take() {
            let origin = format!("{name}:{line}");
            if text.is_empty() {
                errors.push(format!("{origin}: `{key}` has no text"));
            }
            if let Some(previous) = messages.get(&key) {
                errors.push(format!(
                    "{origin}: `{key}` is already in {}",
                    previous.origin
                ));
            }
            // `\n` is a line break (emails have paragraphs); nothing else is an escape.
            let text = text.replace("\\n", "\n");
            messages.insert(key, Message { text, origin });
        }
    };
    for (n, line) in source.lines().enumerate() {
        let number = n + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match current.as_mut() {
                Some((_, text, _)) => {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(line.trim());
                }
                None => errors.push(format!(
                    "{name}:{number}: an indented line belongs to no message"
                )),
            }
            continue;
        }
        finish(&mut current, messages, errors);
        let Some((key, text)) = line.split_once('=') else {
            errors.push(format!("{name}:{number}: expected `key = text`"));
            continue;
        };
        let key = key.trim();
        let valid = key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            errors.push(format!(
                "{name}:{number}: `{key}` is not a key (lower-case letters, digits and -)"
            ));
            continue;
        }
        let text = text.trim();
        for part in text.split('{').skip(1) {
            let inner = part.split('}').next().unwrap_or("").trim();
            if !inner.starts_with('$') || inner.contains(' ') {
                errors.push(format!(
                    "{name}:{number}: `{key}`: only {{ $name }} placeholders are supported, not {{ {inner} }}"
                ));
            }
        }
        current = Some((key.to_owned(), text.to_owned(), number));
    }
    finish(&mut current, messages, errors);
}

/// The placeholders' names in order of first appearance.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for part in text.split('{').skip(1) {
        let inner = part.split('}').next().unwrap_or("").trim();
        if let Some(name) = inner.strip_prefix('$') {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// `Hello { $name }!` as a `format!` template with inline arguments: `Hello {name}!`.
pub fn format_template(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start].replace('}', "}}"));
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .unwrap_or(rest.len() - 1);
        let name = rest[start + 1..end].trim().trim_start_matches('$');
        let _ = write!(out, "{{{name}}}");
        rest = &rest[end + 1..];
    }
    out.push_str(&rest.replace('}', "}}"));
    out
}
