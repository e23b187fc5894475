//! The pages' tables of records: a header row of named columns over the rows a page gives.

use leptos::prelude::*;

/// A table of records with a column per heading and, when `actions` is set, a last column for
/// each row's buttons whose heading only screen readers read.
#[component]
pub fn Table(
    class: &'static str,
    #[prop(into)] heads: Vec<&'static str>,
    /// Heads after `heads` that are data, not words of the page (a custom field's name).
    #[prop(optional)]
    more_heads: Vec<String>,
    #[prop(optional)] actions: bool,
    children: Children,
) -> impl IntoView {
    let t = crate::use_t();
    view! {
        <table class=class>
            <thead><tr>
                {heads.into_iter().map(|head| view! { <th scope="col">{head}</th> }).collect_view()}
                {more_heads.into_iter().map(|head| view! { <th scope="col">{head}</th> }).collect_view()}
                {actions.then(|| view! { <th scope="col"><span class="visually-hidden">{t.col_actions()}</span></th> })}
            </tr></thead>
            <tbody>{children()}</tbody>
        </table>
    }
}
