//! The one percent-encoder of the pages' links, and how pages read their own address.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A segment of the current route (`slug` in `/w/:slug/…`), tracked; empty when absent.
pub fn route_param(name: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get(name).unwrap_or_default()
}

/// The current page's query parameters by name, tracked; an empty one counts as absent.
pub fn query_params() -> impl Fn(&str) -> Option<String> + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move |name: &str| query.read().get(name).filter(|v| !v.is_empty())
}

/// A search form (`method="get"`) that navigates inside the app. The router's `Form` adds the
/// pressed button to the query even when the button has no name, which leaves a stray `&=` in
/// the address; this one drops that nameless pair.
#[component]
pub fn SearchForm(action: String, class: &'static str, children: Children) -> impl IntoView {
    let drop_nameless: std::sync::Arc<dyn Fn(&leptos::web_sys::FormData)> =
        std::sync::Arc::new(|data| data.delete(""));
    view! {
        <leptos_router::components::Form method="get" action=action on_form_data=drop_nameless attr:class=class>
            {children()}
        </leptos_router::components::Form>
    }
}

/// Percent-encodes a query value: everything but the unreserved characters (RFC 3986), so a
/// value can never break the link it is put in.
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_unreserved_characters_pass() {
        assert_eq!(super::encode("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(
            super::encode("2019-12-31T23:00:00Z&x=é"),
            "2019-12-31T23%3A00%3A00Z%26x%3D%C3%A9"
        );
    }
}
