//! Pages that need no signed-in user.

use leptos::prelude::*;
use leptos_meta::Title;

/// What Bastion promises, each one a feature with a test behind it.
const PROMISES: &[(&str, &str)] = &[
    (
        "Every workspace in its own vault",
        "Each workspace lives in its own PostgreSQL schema with its own database role, so one \
         customer's queries cannot reach another's rows, even by mistake.",
    ),
    (
        "Secrets encrypted with keys outside the database",
        "Integration tokens and pending sign-ups are stored encrypted; a stolen database dump \
         decrypts nothing.",
    ),
    (
        "Every permission checked on the server",
        "The browser hides what you may not do, and the server refuses it anyway, on every request.",
    ),
    (
        "History that cannot be rewritten",
        "Every change to tasks, comments, time and files is recorded in a tamper-evident log.",
    ),
    (
        "Your data, your rights",
        "Export everything as CSV and JSON, or erase a workspace for good, at any time.",
    ),
];

#[component]
pub fn Home() -> impl IntoView {
    let (expanded, set_expanded) = signal(false);

    view! {
        <Title text="Bastion — work management you can trust"/>
        <section class="hero">
            <h1>"Work management you can trust"</h1>
            <p class="lede">
                "Projects, tasks, comments, time in € and files for European teams, "
                "built so that safety is the default, not an option."
            </p>
        </section>
        <section class="promises" aria-labelledby="promises-title">
            <h2 id="promises-title">"Trust by design"</h2>
            <button
                type="button"
                class="button"
                aria-expanded=move || expanded.get().to_string()
                aria-controls="promise-list"
                on:click=move |_| set_expanded.update(|open| *open = !*open)
            >
                {move || if expanded.get() { "Hide our promises" } else { "Show our promises" }}
            </button>
            <ul id="promise-list" class="promise-list" hidden=move || !expanded.get()>
                {PROMISES
                    .iter()
                    .map(|(title, body)| {
                        view! {
                            <li>
                                <h3>{*title}</h3>
                                <p>{*body}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
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
    view! {
        <Title text="Not found — Bastion"/>
        <section class="empty-state">
            <h1>"Page not found"</h1>
            <p>"The page you asked for does not exist, or you may not see it."</p>
            <a class="button" href="/">"Go to the start page"</a>
        </section>
    }
}
