//! The `@` picker of comment and description boxes (issue 15). Typing `@` after a space (or at
//! the start) offers the workspace's active members whose name holds what follows, in a listbox
//! under the box: ArrowDown and ArrowUp choose, Enter or Tab insert `@Their Name `, Escape
//! closes it, and a click works too. The box stays a plain textbox (a `<textarea>` may take no
//! combobox role) that points at the list (`aria-controls`, `aria-autocomplete="list"`) and at
//! the chosen option (`aria-activedescendant`), so screen readers say each option as it is
//! chosen. The name typed is turned into the stable reference (`@[<user id>]`) by the server
//! function (`mentions::from_names`), as a name typed by hand is, and shown as the name again;
//! without script the box is a plain textarea and typing the name works the same.

// The matching runs in the browser only; the server renders the box and an empty list.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use leptos::prelude::*;

use super::Person;

/// Suggestions shown at once.
const SHOWN: usize = 8;

/// The `@` being typed: its byte offset in the text and what follows it up to the caret, when
/// the caret is in a mention (the `@` starts the text or follows white space, and nothing
/// after it is a line break or another `@`).
pub fn typing_mention(before_caret: &str) -> Option<(usize, &str)> {
    let at = before_caret.rfind('@')?;
    let starts_word = before_caret[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    let query = &before_caret[at + 1..];
    (starts_word && query.chars().count() <= 40 && !query.contains(['\n', '@']))
        .then_some((at, query))
}

/// The people whose name holds `query` (any case), names starting with it first.
pub fn matching<'a>(people: &'a [Person], query: &str) -> Vec<&'a Person> {
    let q = query.to_lowercase();
    let mut found: Vec<&Person> = people
        .iter()
        .filter(|p| p.name.to_lowercase().contains(&q))
        .collect();
    found.sort_by_key(|p| !p.name.to_lowercase().starts_with(&q));
    found.truncate(SHOWN);
    found
}

/// A `<textarea>` with the `@` picker. `people` empty (guests, who list nobody): no picker.
#[component]
pub fn MentionTextarea(
    id: String,
    name: &'static str,
    rows: u32,
    maxlength: u32,
    #[prop(optional)] required: bool,
    /// The box's text (already through `raw_text`).
    #[prop(optional)]
    value: String,
    people: Vec<Person>,
) -> impl IntoView {
    let name = name.to_owned();
    view! { <MentionBox id name rows maxlength required value people/> }
}

/// [`MentionTextarea`] as an island: the page around it is the server's.
#[island]
fn MentionBox(
    id: String,
    name: String,
    rows: u32,
    maxlength: u32,
    required: bool,
    value: String,
    people: Vec<Person>,
) -> impl IntoView {
    let t = crate::use_t();
    let list_id = format!("{id}-people");
    let base = StoredValue::new(id.clone());
    let option_id = move |n: usize| base.with_value(|id| format!("{id}-person-{n}"));
    let people = StoredValue::new(people);
    #[cfg(not(feature = "hydrate"))]
    let _ = people;
    // The suggestions on offer and the chosen one; `None` when the list is closed.
    let offer = RwSignal::new(None::<(Vec<Person>, usize)>);
    let node_ref = NodeRef::<leptos::html::Textarea>::new();

    let refresh = move || {
        #[cfg(feature = "hydrate")]
        {
            let Some(area) = node_ref.get_untracked() else {
                return;
            };
            let before = before_caret(&area);
            let found = typing_mention(&before)
                .map(|(_, q)| {
                    people.with_value(|p| matching(p, q).into_iter().cloned().collect::<Vec<_>>())
                })
                .filter(|f| !f.is_empty());
            offer.set(found.map(|f| (f, 0)));
        }
    };
    let choose = move |n: usize| {
        let Some(person) =
            offer.with_untracked(|o| o.as_ref().and_then(|(f, _)| f.get(n).cloned()))
        else {
            return;
        };
        offer.set(None);
        #[cfg(feature = "hydrate")]
        if let Some(area) = node_ref.get_untracked() {
            let text = area.value();
            let before = before_caret(&area);
            if let Some((at, _)) = typing_mention(&before) {
                let inserted = format!("{}@{} ", &before[..at], person.name);
                let caret = inserted.encode_utf16().count() as u32;
                area.set_value(&format!("{inserted}{}", &text[before.len()..]));
                let _ = area.set_selection_range(caret, caret);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = person;
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let Some(len) = offer.with_untracked(|o| o.as_ref().map(|(f, _)| f.len())) else {
            return;
        };
        match ev.key().as_str() {
            "ArrowDown" => offer.update(|o| {
                if let Some((_, n)) = o {
                    *n = (*n + 1) % len;
                }
            }),
            "ArrowUp" => offer.update(|o| {
                if let Some((_, n)) = o {
                    *n = (*n + len - 1) % len;
                }
            }),
            "Enter" | "Tab" => {
                let n = offer.with_untracked(|o| o.as_ref().map_or(0, |(_, n)| *n));
                choose(n);
            }
            "Escape" => offer.set(None),
            _ => return,
        }
        ev.prevent_default();
        ev.stop_propagation();
    };
    let active = move || offer.with(|o| o.as_ref().map(|(_, n)| option_id(*n)));
    view! {
        <div class="mention-field">
            <textarea
                id=id.clone()
                name=name
                rows=rows
                maxlength=maxlength
                required=required
                node_ref=node_ref
                aria-autocomplete="list"
                aria-controls=list_id.clone()
                aria-activedescendant=active
                on:input=move |_| refresh()
                on:keydown=on_keydown
                // A moment later, so that a click that takes the focus away (the form's button)
                // lands before the list, which is in the flow, closes and moves what is under it.
                on:blur=move |_| set_timeout(move || { offer.try_set(None); }, std::time::Duration::from_millis(150))
            >{value}</textarea>
            <ul
                role="listbox"
                id=list_id
                class="mention-list"
                aria-label=t.mention_people()
                hidden=move || offer.with(Option::is_none)
            >
                {move || offer.get().map(|(found, chosen)| {
                    found.into_iter().enumerate().map(|(n, person)| view! {
                        <li
                            role="option"
                            id=option_id(n)
                            aria-selected=if n == chosen { "true" } else { "false" }
                            // Before the box loses the focus, so the click is not lost with it.
                            on:mousedown=move |ev| {
                                ev.prevent_default();
                                choose(n);
                            }
                        >{person.name}</li>
                    }).collect_view()
                })}
            </ul>
        </div>
    }
}

/// The box's text up to the caret (the browser counts the caret in UTF-16 units).
#[cfg(feature = "hydrate")]
fn before_caret(area: &leptos::web_sys::HtmlTextAreaElement) -> String {
    let text = area.value();
    let caret = area.selection_start().ok().flatten().unwrap_or(0) as usize;
    let units: Vec<u16> = text.encode_utf16().take(caret).collect();
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str) -> Person {
        Person {
            id: name.into(),
            name: name.into(),
        }
    }

    #[test]
    fn a_mention_starts_at_a_word() {
        assert_eq!(typing_mention("Hi @Be"), Some((3, "Be")));
        assert_eq!(typing_mention("@"), Some((0, "")));
        assert_eq!(typing_mention("mail ada@example"), None);
        assert_eq!(typing_mention("@Ada\nnext"), None);
        assert_eq!(typing_mention("no at sign"), None);
    }

    #[test]
    fn names_starting_with_the_query_come_first() {
        let people = [person("Grace Bea"), person("Bea Visser"), person("Ada")];
        let names: Vec<&str> = matching(&people, "bea")
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["Bea Visser", "Grace Bea"]);
        assert_eq!(matching(&people, "").len(), 3);
    }
}
