//! What was typed into a form survives its refusal. A form posts as a plain form (nothing around
//! the islands is hydrated); a refusal comes back as the same page
//! with the error (`__err` and `__path` in its address, `server/src/form_posts.rs`), and the page
//! is new, so its fields are empty. Before a form to a server function is sent, its typed fields
//! are kept in the tab's `sessionStorage`; when the page comes back refused by that function,
//! they are put back. Passwords, one-time codes and files are never kept; hidden fields only say
//! which form it was.

/// Where the fields wait, for one page load.
#[cfg(feature = "hydrate")]
const KEY: &str = "bastion-refill";

/// Puts back the fields of a refused post, then keeps every later post's (`PageScript`).
pub fn listen() {
    #[cfg(feature = "hydrate")]
    {
        restore();
        let _ = leptos::prelude::window_event_listener(leptos::ev::submit, keep);
    }
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<leptos::web_sys::Storage> {
    leptos::prelude::window().session_storage().ok().flatten()
}

/// How a kept field is put back.
#[cfg(feature = "hydrate")]
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Typed or chosen: the value is put back.
    Value,
    /// A check box or radio button: whether it was ticked.
    Ticked,
    Unticked,
    /// Hidden: not put back, but it tells which of several forms to one function was sent
    /// (each row's own form carries its task's id).
    Key,
}

#[cfg(feature = "hydrate")]
impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Value => "v",
            Kind::Ticked => "c",
            Kind::Unticked => "u",
            Kind::Key => "h",
        }
    }

    fn from_tag(tag: &str) -> Option<Kind> {
        [Kind::Value, Kind::Ticked, Kind::Unticked, Kind::Key]
            .into_iter()
            .find(|kind| kind.tag() == tag)
    }
}

/// The fields of a form worth keeping: `(kind, name, value)`.
#[cfg(feature = "hydrate")]
fn fields(form: &leptos::web_sys::Element) -> Vec<(Kind, String, String)> {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
    let Ok(list) = form.query_selector_all("input[name], textarea[name], select[name]") else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|node| {
            if let Some(input) = node.dyn_ref::<HtmlInputElement>() {
                let secret = matches!(
                    input.autocomplete().as_str(),
                    "one-time-code" | "new-password" | "current-password"
                );
                let kind = match input.type_().as_str() {
                    "text" | "email" | "search" | "url" | "tel" | "number" | "date" => Kind::Value,
                    "checkbox" | "radio" if input.checked() => Kind::Ticked,
                    "checkbox" | "radio" => Kind::Unticked,
                    "hidden" => Kind::Key,
                    _ => return None,
                };
                (!secret).then(|| (kind, input.name(), input.value()))
            } else if let Some(area) = node.dyn_ref::<HtmlTextAreaElement>() {
                Some((Kind::Value, area.name(), area.value()))
            } else {
                node.dyn_ref::<HtmlSelectElement>()
                    .map(|select| (Kind::Value, select.name(), select.value()))
            }
        })
        .collect()
}

/// Before a form to a server function is sent: its action and its fields, one per line
/// (`action`, then `kind`, `name`, `value` triples, each line escaped by
/// `encodeURIComponent`).
#[cfg(feature = "hydrate")]
fn keep(ev: leptos::ev::SubmitEvent) {
    use leptos::wasm_bindgen::JsCast;
    let Some(form) = ev
        .target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
    else {
        return;
    };
    let action = form.get_attribute("action").unwrap_or_default();
    if !action.starts_with("/api/fn/") {
        return;
    }
    let encode = |s: &str| String::from(leptos::web_sys::js_sys::encode_uri_component(s));
    let mut lines = vec![encode(&action)];
    for (kind, name, value) in fields(&form) {
        lines.push(kind.tag().to_owned());
        lines.push(encode(&name));
        lines.push(encode(&value));
    }
    if let Some(storage) = storage() {
        let _ = storage.set_item(KEY, &lines.join("\n"));
    }
}

/// On a page that came back refused (`__err` and `__path` in its address): the kept fields of
/// that form, over what the page shows (the saved values the post wanted to change). Kept
/// fields are used once. The two
/// parameters leave the address, so that a reload does not show the error again.
#[cfg(feature = "hydrate")]
fn restore() {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
    let window = leptos::prelude::window();
    let kept = storage().and_then(|storage| {
        let kept = storage.get_item(KEY).ok().flatten();
        let _ = storage.remove_item(KEY);
        kept
    });
    let location = window.location();
    let Ok(query) = location
        .search()
        .and_then(|search| leptos::web_sys::UrlSearchParams::new_with_str(&search))
    else {
        return;
    };
    let (Some(path), true) = (query.get("__path"), query.has("__err")) else {
        return;
    };
    query.delete("__path");
    query.delete("__err");
    let rest = String::from(query.to_string());
    let address = format!(
        "{}{}{rest}{}",
        location.pathname().unwrap_or_default(),
        if rest.is_empty() { "" } else { "?" },
        location.hash().unwrap_or_default()
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &leptos::wasm_bindgen::JsValue::NULL,
            "",
            Some(&address),
        );
    }
    let Some(kept) = kept else {
        return;
    };
    let decode = |s: &str| {
        leptos::web_sys::js_sys::decode_uri_component(s)
            .map(String::from)
            .unwrap_or_default()
    };
    let mut lines = kept.split('\n').map(decode);
    if lines.next().as_deref() != Some(path.as_str()) {
        return;
    }
    let mut sent = Vec::new();
    while let (Some(kind), Some(name), Some(value)) = (lines.next(), lines.next(), lines.next()) {
        if let Some(kind) = Kind::from_tag(&kind) {
            sent.push((kind, name, value));
        }
    }
    // The form sent: of those to that function, the one whose hidden fields still say the same.
    let Ok(forms) = leptos::prelude::document().query_selector_all("form") else {
        return;
    };
    let Some(form) = (0..forms.length())
        .filter_map(|i| forms.item(i))
        .filter_map(|n| n.dyn_into::<leptos::web_sys::Element>().ok())
        .filter(|f| f.get_attribute("action").as_deref() == Some(path.as_str()))
        .find(|f| {
            let now = fields(f);
            sent.iter()
                .filter(|(kind, ..)| *kind == Kind::Key)
                .all(|key| now.contains(key))
        })
    else {
        return;
    };
    let Ok(list) = form.query_selector_all("input[name], textarea[name], select[name]") else {
        return;
    };
    // Only into fields nobody has touched since the page came: what was typed on this page
    // before its script ran is newer than what was kept.
    for node in (0..list.length()).filter_map(|i| list.item(i)) {
        for (kind, name, value) in &sent {
            if let Some(input) = node.dyn_ref::<HtmlInputElement>() {
                if input.name() != *name {
                    continue;
                }
                match kind {
                    Kind::Value if input.value() == input.default_value() => input.set_value(value),
                    Kind::Ticked | Kind::Unticked
                        if input.value() == *value
                            && input.checked() == input.default_checked() =>
                    {
                        input.set_checked(*kind == Kind::Ticked)
                    }
                    _ => {}
                }
            } else if let Some(area) = node.dyn_ref::<HtmlTextAreaElement>() {
                if area.name() == *name
                    && *kind == Kind::Value
                    && area.default_value().is_ok_and(|came| came == area.value())
                {
                    area.set_value(value);
                }
            } else if let Some(select) = node.dyn_ref::<HtmlSelectElement>() {
                if select.name() == *name && *kind == Kind::Value && untouched(select) {
                    select.set_value(value);
                }
            }
        }
    }
}

/// Whether a select still shows the option the page came with.
#[cfg(feature = "hydrate")]
fn untouched(select: &leptos::web_sys::HtmlSelectElement) -> bool {
    let came_with = select
        .query_selector("option[selected]")
        .ok()
        .flatten()
        .or_else(|| select.query_selector("option").ok().flatten())
        .map(|option| {
            option
                .get_attribute("value")
                .unwrap_or_else(|| option.text_content().unwrap_or_default())
        });
    came_with.is_none_or(|value| value == select.value())
}
