//! Bastion's user interface: the HTML shell, the routes and the pages, rendered on the server and
//! hydrated in the browser from the same components.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};

mod account;
mod activity_page;
mod api_access;
#[cfg(feature = "ssr")]
pub use account::local_target;
mod audit_page;
pub mod error;
/// The languages and formats, in one place for the server and the browser.
pub use bastion_i18n as i18n;
use bastion_i18n::{Locale, T};
mod inbox;
pub mod live;
mod members_page;
mod menus;
pub mod money;
/// The permission rules, written once in `bastion-policy` and asked by pages and core alike.
pub use bastion_policy as policy;
pub use error::UiError;
mod onboarding;
mod pages;
mod passkeys;
pub mod privacy;
mod refill;
mod restore;
#[cfg(feature = "ssr")]
pub mod server;
mod settings_page;
mod sso;
mod table;
mod time;
mod two_factor;
pub mod url;
mod work;

/// The document around every page. The server renders it; `HydrationScripts` carries the CSP
/// nonce that the server put in context, so the boot script runs under a strict policy.
/// The colour scheme comes from the server (the signed-in person's choice, [`PageTheme`]), so the
/// first paint is right and the browser never rewrites `<html>`.
/// The language likewise ([`Locale`], negotiated by the server): `<html lang>` is where the
/// browser's bundle reads it back, so hydration renders the same words. `data-sidebar` says this
/// browser folded the workspace navigation away (`work::WorkNav`), so the first paint has it so.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = use_context::<PageTheme>().unwrap_or_default();
    let locale = use_context::<Locale>().unwrap_or_default();
    #[cfg(feature = "ssr")]
    let sidebar = server::sidebar_collapsed().then_some("collapsed");
    #[cfg(not(feature = "ssr"))]
    let sidebar: Option<&str> = None;
    let (flash_path, flash) = error::flash_attributes();
    view! {
        <!DOCTYPE html>
        <html lang=locale.tag() data-theme=theme.name() data-sidebar=sidebar data-flash-path=flash_path data-flash=flash>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content=theme.color_scheme()/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // Named from the site's hash file when the build hashed it (see
                // `bastion::site_options`), so it lives here, where the options are.
                <HashedStylesheet id="leptos" options=options.clone()/>
                // Only the `#[island]`s hydrate (see `docs/islands-inventory.md`).
                <HydrationScripts options islands=true/>
                // The WebAuthn ceremonies of passkeys (app/src/passkeys.rs); a module, so it runs
                // after parsing and never blocks the first paint. Allowed as 'self' already; the
                // nonce keeps "every script carries this request's nonce" true.
                <script type="module" src="/passkeys.js" nonce=leptos::nonce::use_nonce()></script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The colour scheme a page is rendered in: `system` (the device's `prefers-color-scheme`, the
/// default and every visitor's), `light` or `dark`. The style sheet reads `<html data-theme>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PageTheme {
    #[default]
    System,
    Light,
    Dark,
}

impl PageTheme {
    /// From a stored name; anything unknown is the device's scheme.
    pub fn from_name(name: &str) -> PageTheme {
        match name {
            "light" => PageTheme::Light,
            "dark" => PageTheme::Dark,
            _ => PageTheme::System,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PageTheme::System => "system",
            PageTheme::Light => "light",
            PageTheme::Dark => "dark",
        }
    }

    /// For `<meta name="color-scheme">`: the schemes the page supports, so form controls and
    /// scroll bars match before the style sheet loads.
    fn color_scheme(self) -> &'static str {
        match self {
            PageTheme::System => "light dark",
            PageTheme::Light => "light",
            PageTheme::Dark => "dark",
        }
    }
}

/// The messages in the page's language, for any component: `let t = use_t();` then
/// `{t.sign_in()}`.
pub fn use_t() -> T {
    // An island hydrates without its parents' context, so in the browser it reads the language
    // where the shell wrote it.
    use_context::<Locale>().unwrap_or_else(page_locale).t()
}

/// The page's language: the server's choice while rendering, `<html lang>` in the browser.
/// The elements under `root` that match `selector`, in document order (none when the selector
/// is invalid).
#[cfg(feature = "hydrate")]
pub(crate) fn elements(
    root: &leptos::web_sys::Element,
    selector: &str,
) -> Vec<leptos::web_sys::Element> {
    use leptos::wasm_bindgen::JsCast;
    root.query_selector_all(selector)
        .map(|list| {
            (0..list.length())
                .filter_map(|i| list.item(i))
                .filter_map(|n| n.dyn_into::<leptos::web_sys::Element>().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn page_locale() -> Locale {
    #[cfg(not(feature = "ssr"))]
    if let Some(root) = document().document_element() {
        if let Some(locale) = root
            .get_attribute("lang")
            .as_deref()
            .and_then(Locale::from_tag)
        {
            return locale;
        }
    }
    use_context::<Locale>().unwrap_or_default()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(page_locale());
    let t = use_t();

    view! {
        <Title text="Bastion"/>
        <a class="skip-link" href="#main">{t.skip_to_content()}</a>
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"Bastion"</a>
                <onboarding::AccountNav/>
            </header>
            <main id="main" tabindex="-1">
                // Every page is rendered whole once its data is in (`SsrMode::Async`): the
                // status of a refusal (404) is the response's, the same for a workspace the caller
                // may not see as for one that does not exist, and the page works before (or
                // without) the WASM bundle. Streamed out of order, a page would say "Loading…"
                // until an inline script moved its data in, which a browser without script never
                // runs (the header's account menu is on every page).
                <Routes fallback=pages::NotFound>
                    <Route path=StaticSegment("") view=pages::Home ssr=SsrMode::Async/>
                    <Route path=StaticSegment("sign-in") view=account::SignInPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("sign-in"), StaticSegment("code")) view=two_factor::SignInCodePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("account") view=account::AccountPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("sign-up") view=onboarding::SignUpPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("sign-up"), StaticSegment("confirm")) view=onboarding::ConfirmSignUpPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("invite"), ParamSegment("token")) view=onboarding::InvitePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("workspaces"), StaticSegment("new")) view=onboarding::NewWorkspacePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("forgot-password") view=account::ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("reset-password") view=account::ResetPasswordPage ssr=SsrMode::Async/>
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("members"))
                        view=members_page::MembersPage
                        ssr=SsrMode::Async
                    />
                    <Route path=(StaticSegment("w"), ParamSegment("slug")) view=work::home::WorkspaceHome ssr=SsrMode::Async/>
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("tasks"))
                        view=work::list::TaskListPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("board"))
                        view=work::board::BoardPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("fields"))
                        view=work::fields::FieldsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("import"))
                        view=work::import::ImportPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("calendar"))
                        view=work::calendar::CalendarPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("tasks"), ParamSegment("id"))
                        view=work::task::TaskPageView
                        ssr=SsrMode::Async
                    />
                    // The same page by key: /w/acme/t/ACME-142.
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("t"), ParamSegment("id"))
                        view=work::task::TaskPageView
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("inbox"))
                        view=inbox::InboxPageView
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("activity"))
                        view=activity_page::ActivityPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("settings"))
                        view=settings_page::SettingsPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("privacy") view=privacy::PrivacyPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("security") view=privacy::SecurityPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("security"), StaticSegment("request")) view=privacy::SecurityRequestPage ssr=SsrMode::Async/>
                    // Workspace time and audit pages.
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("time"))
                        view=time::TimePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("w"), ParamSegment("slug"), StaticSegment("audit"))
                        view=audit_page::AuditPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        <footer class="site-footer">
            <p>{t.footer_tagline()}</p>
            <nav aria-label=t.footer_privacy_nav()>
                <a href="/privacy">{t.footer_privacy()}</a>
                <a href="/privacy#subprocessors-title">{t.footer_subprocessors()}</a>
                <a href="/security">{t.footer_security()}</a>
                <a href="/security/request">{t.footer_request_dpa()}</a>
            </nav>
            <nav aria-label=t.footer_developer_nav()>
                <a href="/api/docs/">{t.footer_api_reference()}</a>
                <a href="/api/redoc/">{t.footer_api_redoc()}</a>
            </nav>
            <LanguageSwitcher/>
        </footer>
        // Last, so that the islands before it have hydrated when it runs.
        <PageScript/>
        </Router>
    }
}

/// The four languages as buttons of one plain form: it works before the bundle loads, and the
/// server answers with the same page in the chosen language (saved on the account of whoever is
/// signed in, and in a cookie for everyone).
#[component]
fn LanguageSwitcher() -> impl IntoView {
    let t = use_t();
    let current = use_context::<Locale>().unwrap_or_default();
    let location = leptos_router::hooks::use_location();
    let next = move || {
        let search = location.search.get();
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!("{}?{search}", location.pathname.get())
        }
    };
    view! {
        <form class="language-switcher" method="post" action="/language" aria-label=t.language_switcher()>
            <input type="hidden" name="next" value=next/>
            {Locale::ALL
                .into_iter()
                .map(|locale| {
                    view! {
                        <button
                            type="submit"
                            name="locale"
                            value=locale.tag()
                            lang=locale.tag()
                            class="link-button"
                            aria-pressed=(locale == current).to_string()
                        >
                            {locale.native_name()}
                        </button>
                    }
                })
                .collect_view()}
        </form>
    }
}

/// What the page needs from the script once, whatever it shows: the menus' keyboard rules
/// ([`menus`]), a refused form's fields put back ([`refill`]), then `data-hydrated` on `<html>`,
/// which browser tests wait on because a click that lands before hydration is lost.
#[island]
fn PageScript() -> impl IntoView {
    Effect::new(move |_| {
        menus::listen();
        refill::listen();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
