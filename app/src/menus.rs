//! The keyboard and focus rules of every small menu: the header's workspace switcher
//! (`details.switcher`) and the property menus of tasks (`details.prop-menu`, `work::inline`).
//! A menu is a plain `<details>`, so it opens and closes and its forms post without script; with
//! the script, Escape closes it and gives the focus back to its summary, the arrow keys and
//! Home/End move between its entries, and it closes when the focus leaves it.
//!
//! One listener on the window serves every menu of the page, present or rendered later, instead
//! of a handler on each: the rules need no component state, and the menus themselves are the
//! server's HTML, outside any island (see `docs/islands-inventory.md`).

/// The menus these rules apply to.
#[cfg(feature = "hydrate")]
const MENUS: &str = "details.prop-menu, details.switcher";

/// Installs the two listeners, once per page load (`PageScript` in `lib.rs` calls it).
pub fn listen() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::window_event_listener;
        // The handles are not kept: the listeners live as long as the page.
        let _ = window_event_listener(leptos::ev::keydown, on_keydown);
        let _ = window_event_listener(leptos::ev::focusout, on_focusout);
    }
}

/// The open menu that holds the event's target, if any.
#[cfg(feature = "hydrate")]
fn menu_of(target: Option<leptos::web_sys::EventTarget>) -> Option<leptos::web_sys::Element> {
    use leptos::wasm_bindgen::JsCast;
    target?
        .dyn_into::<leptos::web_sys::Element>()
        .ok()?
        .closest(MENUS)
        .ok()
        .flatten()
        .filter(|menu| menu.has_attribute("open"))
}

#[cfg(feature = "hydrate")]
fn on_keydown(ev: leptos::ev::KeyboardEvent) {
    use leptos::prelude::document;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::HtmlElement;
    let Some(menu) = menu_of(ev.target()) else {
        return;
    };
    let key = ev.key();
    if key == "Escape" {
        ev.prevent_default();
        let _ = menu.remove_attribute("open");
        if let Some(summary) = menu
            .query_selector("summary")
            .ok()
            .flatten()
            .and_then(|s| s.dyn_into::<HtmlElement>().ok())
        {
            let _ = summary.focus();
        }
        return;
    }
    let Ok(list) = menu.query_selector_all(".menu-item") else {
        return;
    };
    let items: Vec<HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .collect();
    if items.is_empty() {
        return;
    }
    // A date field keeps its own arrow keys (they change the day).
    let on_date = ev
        .target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
        .is_some_and(|i| i.type_() == "date");
    let now = document().active_element();
    let at = items
        .iter()
        .position(|i| now.as_ref().is_some_and(|a| a.is_same_node(Some(i))));
    let last = items.len() - 1;
    let next = match (key.as_str(), at) {
        ("ArrowDown", None) | ("Home", _) => 0,
        ("ArrowUp", None) | ("End", _) => last,
        ("ArrowDown", Some(i)) if !on_date => (i + 1) % items.len(),
        ("ArrowUp", Some(i)) if !on_date => (i + last) % items.len(),
        _ => return,
    };
    ev.prevent_default();
    let _ = items[next].focus();
}

/// A menu closes when the focus leaves it: a click elsewhere on the page, or Tab past its last
/// entry. A click on one of its links keeps it open until the page changes.
#[cfg(feature = "hydrate")]
fn on_focusout(ev: leptos::ev::FocusEvent) {
    use leptos::wasm_bindgen::JsCast;
    let Some(menu) = menu_of(ev.target()) else {
        return;
    };
    let to = ev
        .related_target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Node>().ok());
    if !menu.contains(to.as_ref()) {
        let _ = menu.remove_attribute("open");
    }
}
