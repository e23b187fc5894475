//! Single sign-on in the browser: the settings panel where admins connect the workspace's OpenID
//! provider, and the sign-in page's "Sign in with single sign-on" form. The form is a plain GET
//! to the REST start (`/api/v1/auth/sso/start`), which sends the browser to the provider: it
//! works without script, and there is one door. The provider sends the browser back to the REST
//! callback, which lands in the workspace or comes back here with `?sso_error=<code>`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{action_outcome, FormOutcome};
use crate::policy::SecretString;
use crate::UiError;

/// The panel's facts: the saved settings (never the secret) and who may be the break-glass
/// admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoPanelView {
    pub configured: bool,
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_set: bool,
    pub email_domains: String,
    pub allow_join: bool,
    pub sso_only: bool,
    pub break_glass_user_id: Option<String>,
    /// (id, "Name (email)") of each active admin.
    pub admins: Vec<(String, String)>,
    pub redirect_uri: String,
    pub sign_in_url: String,
}

#[server(prefix = "/api/fn", endpoint = "sso_settings")]
pub async fn sso_settings(slug: String) -> Result<SsoPanelView, UiError> {
    let ctx = crate::server::context()?;
    let opened = crate::server::open(&slug).await?;
    // The settings live in the control plane; the tenant transaction only proved membership.
    opened.tx.rollback().await?;
    let ws = &opened.workspace;
    let s = bastion_core::sso::settings(&ctx.pool, opened.viewer, ws).await?;
    let admins = bastion_core::sso::break_glass_choices(&ctx.pool, opened.viewer, ws).await?;
    Ok(SsoPanelView {
        configured: s.configured,
        enabled: s.enabled,
        issuer: s.issuer,
        client_id: s.client_id,
        client_secret_set: s.client_secret_set,
        email_domains: s.email_domains.join(", "),
        allow_join: s.allow_join,
        sso_only: s.sso_only,
        break_glass_user_id: s.break_glass_user_id.map(|id| id.to_string()),
        admins: admins
            .into_iter()
            .map(|(id, name, email)| (id.to_string(), format!("{name} ({email})")))
            .collect(),
        redirect_uri: format!("{}/api/v1/auth/sso/callback", ctx.origin),
        sign_in_url: format!("{}/api/v1/auth/sso/start?workspace={}", ctx.origin, ws.slug),
    })
}

/// Saves the settings (`bastion_core::sso::configure`: the same checks as REST's `put_sso`). An
/// empty secret keeps the stored one.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api/fn", endpoint = "save_sso")]
pub async fn save_sso(
    slug: String,
    enabled: Option<String>,
    issuer: String,
    client_id: String,
    client_secret: Option<SecretString>,
    email_domains: String,
    allow_join: Option<String>,
    sso_only: Option<String>,
    break_glass_user_id: Option<String>,
) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let t = crate::use_t();
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let break_glass = match break_glass_user_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(uuid::Uuid::parse_str(id).map_err(|_| {
            UiError::invalid(
                "break_glass_user_id",
                t.sso_break_glass_invalid().to_owned(),
            )
        })?),
    };
    let change = bastion_core::sso::SsoChange {
        enabled: enabled.is_some(),
        issuer,
        client_id,
        client_secret: client_secret.filter(|s| !s.expose().is_empty()),
        email_domains: vec![email_domains],
        allow_join: allow_join.is_some(),
        sso_only: sso_only.is_some(),
        break_glass_user_id: break_glass,
    };
    let saved = bastion_core::sso::configure(
        &ctx.pool,
        &ctx.keys,
        ctx.sso,
        opened.viewer,
        &opened.workspace,
        &change,
    )
    .await?;
    Ok(if saved.enabled {
        t.sso_saved_on()
    } else {
        t.sso_saved_off()
    }
    .to_owned())
}

/// The admins' panel on the settings page.
#[component]
pub fn SsoPanel(slug: String) -> impl IntoView {
    let t = crate::use_t();
    let save = crate::error::server_action::<SaveSso>();
    let outcome = action_outcome(save);
    let data = {
        let slug = slug.clone();
        Resource::new(
            move || save.version().get(),
            move |_| sso_settings(slug.clone()),
        )
    };
    let form = move |v: SsoPanelView| {
        let slug = slug.clone();
        let secret_hint = if v.client_secret_set {
            t.sso_secret_kept()
        } else {
            t.sso_secret_needed()
        };
        let chosen = v.break_glass_user_id.clone().unwrap_or_default();
        view! {
            <dl class="facts">
                <dt>{t.sso_redirect_uri()}</dt><dd><code data-testid="sso-redirect-uri">{v.redirect_uri.clone()}</code></dd>
                <dt>{t.sso_sign_in_link()}</dt><dd><code data-testid="sso-sign-in-url">{v.sign_in_url.clone()}</code></dd>
            </dl>
            <ActionForm action=save attr:class="form narrow-form" attr:aria-labelledby="sso-title">
                <input type="hidden" name="slug" value=slug/>
                <div class="check">
                    <input type="checkbox" id="sso-enabled" name="enabled" value="on" checked=v.enabled/>
                    <label for="sso-enabled">{t.sso_enabled_label()}</label>
                </div>
                <label for="sso-issuer">{t.sso_issuer()}</label>
                <input id="sso-issuer" name="issuer" type="url" value=v.issuer.clone()
                    placeholder="https://id.example.be/realms/acme" aria-describedby="sso-issuer-hint"/>
                <p class="muted" id="sso-issuer-hint">{t.sso_issuer_hint()}</p>
                <label for="sso-client-id">{t.sso_client_id()}</label>
                <input id="sso-client-id" name="client_id" type="text" value=v.client_id.clone() autocomplete="off"/>
                <label for="sso-client-secret">{t.sso_client_secret()}</label>
                <input id="sso-client-secret" name="client_secret" type="password" autocomplete="new-password"
                    aria-describedby="sso-secret-hint"/>
                <p class="muted" id="sso-secret-hint">{secret_hint}</p>
                <label for="sso-domains">{t.sso_domains()}</label>
                <input id="sso-domains" name="email_domains" type="text" value=v.email_domains.clone()
                    placeholder="example.be" aria-describedby="sso-domains-hint"/>
                <p class="muted" id="sso-domains-hint">{t.sso_domains_hint()}</p>
                <div class="check">
                    <input type="checkbox" id="sso-allow-join" name="allow_join" value="on" checked=v.allow_join/>
                    <label for="sso-allow-join">{t.sso_allow_join()}</label>
                </div>
                <div class="check">
                    <input type="checkbox" id="sso-only" name="sso_only" value="on" checked=v.sso_only
                        aria-describedby="sso-only-hint"/>
                    <label for="sso-only">{t.sso_only_label()}</label>
                </div>
                <p class="muted" id="sso-only-hint">{t.sso_only_hint()}</p>
                <label for="sso-break-glass">{t.sso_break_glass()}</label>
                <select id="sso-break-glass" name="break_glass_user_id">
                    <option value="" selected=chosen.is_empty()>{t.sso_break_glass_none()}</option>
                    {v.admins.into_iter().map(|(id, label)| {
                        let selected = id == chosen;
                        view! { <option value=id selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
                <FormOutcome outcome ok_class="form-ok"/>
                <button type="submit" class="button" disabled=move || save.pending().get()>{t.sso_save()}</button>
            </ActionForm>
        }
    };
    view! {
        <section class="card" aria-labelledby="sso-title">
            <h2 id="sso-title">{t.sso_heading()}</h2>
            <p>{t.sso_intro()}</p>
            <Suspense fallback=move || view! { <p>{t.loading()}</p> }>
                {move || {
                    let form = form.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(v) => form(v).into_any(),
                            Err(e) => view! { <p class="form-error" role="alert">{e.message(t)}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// What the sign-in page says for a refused single sign-on (`?sso_error=`).
pub fn refusal(t: crate::i18n::T, code: &str) -> &'static str {
    match code {
        "not_configured" => t.sso_error_not_configured(),
        "expired" => t.sso_error_expired(),
        "denied" => t.sso_error_denied(),
        "unverified_email" => t.sso_error_unverified_email(),
        "other_domain" => t.sso_error_other_domain(),
        "not_member" => t.sso_error_not_member(),
        "too_many_attempts" => t.sso_error_too_many(),
        _ => t.sso_error_provider(),
    }
}

/// The sign-in page's single sign-on form.
#[component]
pub fn SsoSignIn() -> impl IntoView {
    let t = crate::use_t();
    let query = leptos_router::hooks::use_query_map();
    let error = move || query.read().get("sso_error").map(|code| refusal(t, &code));
    view! {
        <section class="sso-sign-in" aria-labelledby="sso-sign-in-title">
            <h2 id="sso-sign-in-title">{t.sso_sign_in_title()}</h2>
            {move || error().map(|text| view! { <p class="form-error" role="alert" id="sso-error">{text}</p> })}
            <form method="get" action="/api/v1/auth/sso/start" class="form">
                <label for="sso-email">{t.sso_work_email()}</label>
                <input id="sso-email" name="email" type="email" autocomplete="email" required placeholder="name@company.be"/>
                <button type="submit" class="button secondary">{t.sso_continue()}</button>
            </form>
        </section>
    }
}
