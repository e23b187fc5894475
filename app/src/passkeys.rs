//! Passkeys in the browser: the sign-in page's "Sign in with a passkey", the passkey choice of a
//! sign-in's second step, and the account page's list. The WebAuthn calls themselves
//! (`navigator.credentials`) are made by `public/passkeys.js`, which the buttons here name with
//! `data-passkey-action`; it calls the server functions below, which call the same core
//! functions as the REST API. Without script the page says that passkeys need it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{action_error, FormError};
use crate::policy::SecretString;
use crate::UiError;

/// A ceremony started, as the script takes it: the id to send back and the WebAuthn options
/// as JSON text (`{"publicKey": …}`). Only `public/passkeys.js` reads it, never the browser's
/// Rust, which therefore never makes one.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeremonyStarted {
    pub ceremony: SecretString,
    pub options: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasskeyRow {
    pub id: String,
    pub name: String,
    /// Brussels time, to the minute.
    pub added: String,
    pub last_used: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasskeysView {
    /// False when the server's public address has no domain name.
    pub available: bool,
    pub items: Vec<PasskeyRow>,
}

#[cfg(feature = "ssr")]
mod srv {
    use super::*;

    pub fn relying_party() -> Result<bastion_core::passkeys::RelyingParty, UiError> {
        let ctx = crate::server::context()?;
        ctx.relying_party
            .clone()
            .ok_or_else(|| UiError::invalid("credential", crate::use_t().pk_unavailable()))
    }

    pub fn started(started: bastion_core::passkeys::Started) -> CeremonyStarted {
        CeremonyStarted {
            ceremony: started.ceremony.expose().to_owned().into(),
            options: started.options.to_string(),
        }
    }

    /// The browser's answer, as JSON; anything else is a refused credential.
    pub fn answer(credential: &SecretString) -> Result<serde_json::Value, UiError> {
        serde_json::from_str(credential.expose())
            .map_err(|_| UiError::invalid("credential", crate::use_t().pk_failed()))
    }

    /// Core's refusals of a ceremony in the reader's words.
    pub fn refusal(e: bastion_core::CoreError) -> UiError {
        let t = crate::use_t();
        let refused = match e {
            bastion_core::CoreError::Invalid {
                field: "ceremony", ..
            } => UiError::invalid("ceremony", t.pk_ceremony_gone()),
            bastion_core::CoreError::Invalid {
                field: "credential",
                ..
            } => UiError::invalid("credential", t.pk_failed()),
            bastion_core::CoreError::Invalid {
                field: "challenge", ..
            } => UiError::invalid("challenge", t.tf_challenge_gone()),
            bastion_core::CoreError::Invalid { field: "name", .. } => {
                UiError::invalid("name", t.pk_name_too_long())
            }
            bastion_core::CoreError::Conflict {
                code: "passkey_registered",
                ..
            } => UiError::Conflict {
                code: "passkey_registered".into(),
                message: t.pk_registered().into(),
            },
            other => other.into(),
        };
        refused.answered()
    }
}

/// The caller's passkeys for the account page.
#[server(prefix = "/api/fn", endpoint = "passkeys")]
pub async fn passkeys() -> Result<PasskeysView, UiError> {
    let ctx = crate::server::context()?;
    let locale = crate::use_t().0;
    let (user, _) = crate::server::current_user().await?;
    let items = bastion_core::passkeys::list(&ctx.pool, user.id).await?;
    // Brussels time, like every time the pages show: added and last used, side by side.
    let moments: Vec<_> = items
        .iter()
        .flat_map(|p| [Some(p.created_at), p.last_used_at])
        .flatten()
        .collect();
    let mut local = crate::work::srv::local_times_in(&ctx.pool, locale, &moments)
        .await?
        .into_iter();
    let items = items
        .into_iter()
        .map(|p| PasskeyRow {
            id: p.id.to_string(),
            name: p.name,
            added: local.next().unwrap_or_default(),
            last_used: p.last_used_at.and_then(|_| local.next()),
        })
        .collect();
    Ok(PasskeysView {
        available: ctx.relying_party.is_some(),
        items,
    })
}

#[server(prefix = "/api/fn", endpoint = "start_passkey_registration")]
pub async fn start_passkey_registration() -> Result<CeremonyStarted, UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    let rp = srv::relying_party()?;
    let started = bastion_core::passkeys::begin_registration(&ctx.pool, &rp, &user)
        .await
        .map_err(srv::refusal)?;
    Ok(srv::started(started))
}

#[server(prefix = "/api/fn", endpoint = "add_passkey")]
pub async fn add_passkey(
    ceremony: SecretString,
    credential: SecretString,
    name: String,
) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    let rp = srv::relying_party()?;
    let answer = srv::answer(&credential)?;
    bastion_core::passkeys::finish_registration(
        &ctx.pool,
        &ctx.keys,
        &rp,
        &user,
        ceremony.expose(),
        &answer,
        &name,
    )
    .await
    .map_err(srv::refusal)?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "remove_passkey")]
pub async fn remove_passkey(id: String) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    let not_found = || UiError::NotFound(crate::use_t().pk_not_found().into()).answered();
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    bastion_core::passkeys::remove(&ctx.pool, &ctx.keys, &user, id)
        .await
        .map_err(|e| match e {
            bastion_core::CoreError::NotFound(_) => not_found(),
            other => other.into(),
        })
}

#[server(prefix = "/api/fn", endpoint = "start_passkey_sign_in")]
pub async fn start_passkey_sign_in() -> Result<CeremonyStarted, UiError> {
    let ctx = crate::server::context()?;
    let rp = srv::relying_party()?;
    let started = bastion_core::passkeys::begin_sign_in(&ctx.pool, &rp, crate::server::client_ip())
        .await
        .map_err(srv::refusal)?;
    Ok(srv::started(started))
}

/// Signs in with a passkey alone; answers where to go next (the script goes there).
#[server(prefix = "/api/fn", endpoint = "passkey_sign_in")]
pub async fn passkey_sign_in(
    ceremony: SecretString,
    credential: SecretString,
    next: Option<String>,
) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let last = crate::server::last_workspace();
    let rp = srv::relying_party()?;
    let answer = srv::answer(&credential)?;
    let (user, factor) = bastion_core::passkeys::finish_sign_in(
        &ctx.pool,
        &rp,
        ceremony.expose(),
        &answer,
        crate::server::client_ip(),
    )
    .await
    .map_err(srv::refusal)?;
    crate::server::start_session_with(user.id, factor).await?;
    Ok(crate::account::landing(&ctx.pool, user.id, next.as_deref(), last).await)
}

#[server(prefix = "/api/fn", endpoint = "start_passkey_second_factor")]
pub async fn start_passkey_second_factor() -> Result<CeremonyStarted, UiError> {
    let ctx = crate::server::context()?;
    let rp = srv::relying_party()?;
    let gone = || UiError::invalid("challenge", crate::use_t().tf_challenge_gone());
    let challenge = crate::server::current_challenge().ok_or_else(gone)?;
    let started = bastion_core::passkeys::begin_second_factor(&ctx.pool, &rp, challenge.expose())
        .await
        .map_err(srv::refusal)?;
    Ok(srv::started(started))
}

/// Finishes a password sign-in with a passkey; answers where to go next.
#[server(prefix = "/api/fn", endpoint = "passkey_second_factor")]
pub async fn passkey_second_factor(
    ceremony: SecretString,
    credential: SecretString,
    next: Option<String>,
) -> Result<String, UiError> {
    use crate::server::{challenge_cookie, current_challenge, set_cookie};
    let ctx = crate::server::context()?;
    let last = crate::server::last_workspace();
    let rp = srv::relying_party()?;
    let gone = || UiError::invalid("challenge", crate::use_t().tf_challenge_gone());
    let challenge = current_challenge().ok_or_else(gone)?;
    let answer = srv::answer(&credential)?;
    let (user, factor) = bastion_core::passkeys::finish_second_factor(
        &ctx.pool,
        &rp,
        challenge.expose(),
        ceremony.expose(),
        &answer,
        crate::server::client_ip(),
    )
    .await
    .map_err(srv::refusal)?;
    set_cookie(&challenge_cookie(None, ctx.secure_cookies));
    crate::server::start_session_with(user.id, factor).await?;
    Ok(crate::account::landing(&ctx.pool, user.id, next.as_deref(), last).await)
}

/// Where the script writes how a ceremony went, with the sentences it may need in the page's
/// language (it has no catalogue of its own).
#[component]
fn PasskeyStatus() -> impl IntoView {
    let t = crate::use_t();
    view! {
        <p class="passkey-status" aria-live="polite" data-passkey-status=""
            data-msg-failed=t.pk_failed() data-msg-cancelled=t.pk_cancelled()
            data-msg-locked=t.pk_locked() data-msg-working=t.pk_working()
            data-msg-unsupported=t.pk_needs_script()></p>
    }
}

/// The sign-in page's passkey button (no email, no password).
#[component]
pub fn PasskeySignIn(next: Signal<String>) -> impl IntoView {
    let t = crate::use_t();
    view! {
        <div class="passkey-box" data-passkey-next=next>
            <p class="passkey-or muted">{t.pk_or()}</p>
            <button type="button" class="button secondary needs-passkeys" data-passkey-action="sign-in">
                {t.pk_sign_in()}
            </button>
            <p class="muted no-passkeys">{t.pk_needs_script()}</p>
            <PasskeyStatus/>
        </div>
    }
}

/// The second step's passkey choice, beside the code form.
#[component]
pub fn PasskeySecondFactor(next: Signal<String>) -> impl IntoView {
    let t = crate::use_t();
    view! {
        <div class="passkey-box" data-passkey-next=next>
            <button type="button" class="button needs-passkeys" data-passkey-action="second-factor">
                {t.pk_use_passkey()}
            </button>
            <p class="muted no-passkeys">{t.pk_needs_script()}</p>
            <PasskeyStatus/>
        </div>
    }
}

/// The account page's passkeys: listed, removable, and added through the script.
#[component]
pub fn PasskeysSection() -> impl IntoView {
    let remove = crate::error::server_action::<RemovePasskey>();
    let state = Resource::new(move || remove.version().get(), |_| passkeys());
    let remove_error = action_error(remove);
    let removed = move || matches!(remove.value().get(), Some(Ok(())));
    let t = crate::use_t();
    view! {
        <h2 id="passkeys-title">{t.pk_section()}</h2>
        <p>{t.pk_intro()}</p>
        <Show when=removed><p role="status">{t.pk_removed()}</p></Show>
        <FormError error=remove_error/>
        <Suspense fallback=move || view! { <p>{t.loading()}</p> }>
            {move || Suspend::new(async move {
                let Ok(view) = state.await else {
                    return view! { <p class="muted">{t.loading()}</p> }.into_any();
                };
                if !view.available {
                    return view! { <p class="muted">{t.pk_unavailable()}</p> }.into_any();
                }
                let list = if view.items.is_empty() {
                    view! { <p class="muted" id="no-passkeys">{t.pk_none()}</p> }.into_any()
                } else {
                    view! {
                        <crate::table::Table class="table passkeys" heads=vec![t.pk_col_name(), t.pk_col_added(), t.pk_col_used()] actions=true>
                            {view.items.into_iter().map(|p| view! {
                                <tr>
                                    <td data-label=t.pk_col_name()>{p.name.clone()}</td>
                                    <td data-label=t.pk_col_added()>{p.added.clone()}</td>
                                    <td data-label=t.pk_col_used()>{p.last_used.clone().unwrap_or_else(|| t.pk_never().into())}</td>
                                    <td class="actions" data-label=t.col_actions()>
                                        <ActionForm action=remove attr:class="inline-form">
                                            <input type="hidden" name="id" value=p.id.clone()/>
                                            <button type="submit" class="button small secondary"
                                                aria-label=format!("{} {}", t.pk_remove(), p.name)>{t.pk_remove()}</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </crate::table::Table>
                    }.into_any()
                };
                view! {
                    {list}
                    <div class="passkey-box form narrow-form">
                        <label for="passkey_name" class="needs-passkeys">{t.pk_name_label()}</label>
                        <input id="passkey_name" class="needs-passkeys" maxlength="60" autocomplete="off"/>
                        <button type="button" class="button needs-passkeys" data-passkey-action="register">{t.pk_add()}</button>
                        <p class="muted no-passkeys">{t.pk_needs_script()}</p>
                        <PasskeyStatus/>
                    </div>
                }.into_any()
            })}
        </Suspense>
    }
}
