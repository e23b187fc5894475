//! Pages that need no signed-in user.

use leptos::prelude::*;
use leptos_meta::Title;

/// What Bastion promises, each one a feature with a test behind it: (title, text).
fn promises(t: crate::i18n::T) -> [(&'static str, &'static str); 5] {
    [
        (t.promise_vault_title(), t.promise_vault_text()),
        (t.promise_keys_title(), t.promise_keys_text()),
        (t.promise_server_title(), t.promise_server_text()),
        (t.promise_history_title(), t.promise_history_text()),
        (t.promise_rights_title(), t.promise_rights_text()),
    ]
}

#[component]
pub fn Home() -> impl IntoView {
    let t = crate::use_t();

    view! {
        <Title text=t.home_title()/>
        <section class="hero">
            <h1>{t.home_heading()}</h1>
            <p class="lede">{t.home_lede()}</p>
        </section>
        <section class="promises" aria-labelledby="promises-title">
            <h2 id="promises-title">{t.home_promises_heading()}</h2>
            <PromisesToggle>
                {promises(t)
                    .into_iter()
                    .map(|(title, body)| {
                        view! {
                            <li>
                                <h3>{title}</h3>
                                <p>{body}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </PromisesToggle>
        </section>
    }
}

/// The button that shows or hides the promises, and their list (the children: rendered by the
/// server, never by the browser's bundle).
#[island]
fn PromisesToggle(children: Children) -> impl IntoView {
    let (expanded, set_expanded) = signal(false);
    let t = crate::use_t();
    view! {
        <button
            type="button"
            class="button"
            aria-expanded=move || expanded.get().to_string()
            aria-controls="promise-list"
            on:click=move |_| set_expanded.update(|open| *open = !*open)
        >
            {move || if expanded.get() { t.home_promises_hide() } else { t.home_promises_show() }}
        </button>
        <ul id="promise-list" class="promise-list" hidden=move || !expanded.get()>
            {children()}
        </ul>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    let t = crate::use_t();
    view! {
        <Title text=t.not_found_title()/>
        <section class="empty-state">
            <h1>{t.not_found_heading()}</h1>
            <p>{t.not_found_text()}</p>
            <a class="button" href="/">{t.not_found_home()}</a>
        </section>
    }
}
