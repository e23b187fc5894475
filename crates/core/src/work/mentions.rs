//! @mentions in comments. The stored Markdown names a person by a stable reference,
//! `@[<user uuid>]`, so a rename never breaks a mention; pages show the person's current name.
//! People type `@Their Name`; [`from_names`] turns that into references against the members
//! the author may list, and [`to_names`] turns it back for editing.

use std::collections::HashMap;

use uuid::Uuid;

const UUID_LEN: usize = 36;

/// The people a text mentions, each once, in order of first mention.
pub fn parse(body: &str) -> Vec<Uuid> {
    let mut out: Vec<Uuid> = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find("@[") {
        let after = &rest[at + 2..];
        if let Some(id) = after
            .get(..UUID_LEN)
            .filter(|_| after[UUID_LEN.min(after.len())..].starts_with(']'))
            .and_then(|text| Uuid::parse_str(text).ok())
        {
            if !out.contains(&id) {
                out.push(id);
            }
            rest = &after[UUID_LEN + 1..];
        } else {
            rest = after;
        }
    }
    out
}

/// `@Name` written by a person, as `@[uuid]`, for the people given (the workspace's active
/// members, by their current names). The longest name that follows an `@` wins (so `@Ada
/// Lovelace` is not `@Ada`), matched without regard to case and only when the name ends at a
/// word boundary. Text that names nobody is left as it is.
pub fn from_names(text: &str, people: &[(Uuid, String)]) -> String {
    let mut by_length: Vec<&(Uuid, String)> = people
        .iter()
        .filter(|(_, n)| !n.trim().is_empty())
        .collect();
    by_length.sort_by_key(|(_, name)| std::cmp::Reverse(name.chars().count()));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let found = by_length.iter().find_map(|(id, name)| {
            let candidate = after.get(..name.len())?;
            let boundary = after[name.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            (candidate.to_lowercase() == name.to_lowercase())
                .then_some(())
                .filter(|_| boundary)
                .map(|_| (*id, name.len()))
        });
        match found {
            Some((id, len)) => {
                out.push_str(&format!("@[{id}]"));
                rest = &after[len..];
            }
            None => {
                out.push('@');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The stored text with each reference as `@Name` (for an edit box).
pub fn to_names(body: &str, names: &HashMap<Uuid, String>) -> String {
    replace(body, |id| format!("@{}", name_of(names, id)))
}

/// The stored Markdown with each reference as `@Name`, the name escaped so that it stays text,
/// ready for [`super::render_markdown`].
pub fn for_rendering(body: &str, names: &HashMap<Uuid, String>) -> String {
    replace(body, |id| {
        let mut out = String::from("@");
        for c in name_of(names, id).chars() {
            if c.is_ascii_punctuation() {
                out.push('\\');
            }
            out.push(c);
        }
        out
    })
}

fn name_of(names: &HashMap<Uuid, String>, id: Uuid) -> String {
    names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| "former member".to_owned())
}

fn replace(body: &str, shown: impl Fn(Uuid) -> String) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find("@[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after
            .get(..UUID_LEN)
            .filter(|_| after[UUID_LEN.min(after.len())..].starts_with(']'))
            .and_then(|text| Uuid::parse_str(text).ok())
        {
            Some(id) => {
                out.push_str(&shown(id));
                rest = &after[UUID_LEN + 1..];
            }
            None => {
                out.push_str("@[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip_through_names() {
        let ada = Uuid::new_v4();
        let adam = Uuid::new_v4();
        let people = vec![(ada, "Ada".to_owned()), (adam, "Ada Lovelace".to_owned())];
        let stored = from_names("Hi @ada lovelace and @Ada, not @Adams or a@b.", &people);
        assert_eq!(
            stored,
            format!("Hi @[{adam}] and @[{ada}], not @Adams or a@b.")
        );
        assert_eq!(parse(&stored), vec![adam, ada]);
        let names: HashMap<Uuid, String> = people.into_iter().collect();
        assert_eq!(
            to_names(&stored, &names),
            "Hi @Ada Lovelace and @Ada, not @Adams or a@b."
        );
    }

    #[test]
    fn names_render_as_text_and_broken_references_stay_text() {
        let id = Uuid::new_v4();
        let names = HashMap::from([(id, "*Eve* <b>".to_owned())]);
        let html =
            super::super::render_markdown(&for_rendering(&format!("@[{id}] @[nope]"), &names));
        assert!(html.contains("@*Eve* &lt;b&gt;"), "{html}");
        assert!(html.contains("@[nope]"), "{html}");
        assert_eq!(parse("@[nope] @["), Vec::<Uuid>::new());
        assert_eq!(parse(&format!("@[{id}] @[{id}]")), vec![id]);
    }
}
