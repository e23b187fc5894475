//! Two-factor sign-in in the browser: the code form of a sign-in's second step, and the account
//! page's section for turning it on (QR code drawn on the server as inline SVG), recovery codes
//! and turning it off. The server functions call the same core functions as the REST API.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::error::{action_error, FormError};
use crate::policy::SecretString;
use crate::UiError;

/// Every sentence these components show, in one place.
mod text {
    pub const CODE_PAGE_TITLE: &str = "Two-factor sign-in — Bastion";
    pub const CODE_HEADING: &str = "Enter your code";
    pub const CODE_INTRO: &str =
        "Your password was right. Open your authenticator app and type the 6-digit code it shows for Bastion, or one of your recovery codes.";
    pub const CODE_LABEL: &str = "Code from your app, or a recovery code";
    pub const CODE_SUBMIT: &str = "Sign in";
    pub const CODE_PENDING: &str = "Checking…";
    pub const START_OVER: &str = "Start again with your password";
    // Refusals are worded on the server (the next three); the browser build has no use for them.
    #[cfg(feature = "ssr")]
    pub const CHALLENGE_GONE: &str =
        "This sign-in has expired or was tried too often. Sign in again with your password.";
    #[cfg(feature = "ssr")]
    pub const CODE_WRONG: &str = "The code is wrong or was already used.";
    #[cfg(feature = "ssr")]
    pub const PASSWORD_WRONG: &str = "The password is wrong.";

    pub const SECTION: &str = "Two-factor sign-in";
    pub const OFF_INTRO: &str =
        "Ask for a code from an authenticator app as well as your password when you sign in.";
    pub const START: &str = "Set up two-factor sign-in";
    pub const SCAN: &str =
        "Scan this QR code with your authenticator app, or type the key below into it. Then enter the 6-digit code the app shows.";
    pub const QR_LABEL: &str = "QR code to add Bastion to your authenticator app";
    pub const KEY_LABEL: &str = "Key:";
    pub const FIRST_CODE: &str = "Code from your app";
    pub const CONFIRM: &str = "Turn on two-factor sign-in";
    pub const START_AGAIN: &str = "Start over with a new key";
    pub const ON: &str = "Two-factor sign-in is on.";
    pub const CODES_LEFT: &str = "Unused recovery codes:";
    pub const CODES_HEADING: &str = "Your recovery codes";
    pub const CODES_SHOWN_ONCE: &str =
        "Save these codes somewhere safe now: they are shown only this once. Each one signs you in once if you lose your app.";
    pub const NEW_CODES: &str = "Make new recovery codes";
    pub const NEW_CODES_INTRO: &str = "Your old recovery codes stop working.";
    pub const NEW_CODES_SUBMIT: &str = "Make new recovery codes";
    pub const TURN_OFF: &str = "Turn off two-factor sign-in";
    pub const TURN_OFF_INTRO: &str =
        "Signing in will ask for your password only. Your key and recovery codes are deleted.";
    pub const TURN_OFF_SUBMIT: &str = "Turn off two-factor sign-in";
    pub const TURNED_OFF: &str = "Two-factor sign-in is off.";
    pub const PASSWORD: &str = "Your password";
    pub const CURRENT_CODE: &str = "A code from your app, or a recovery code";
    pub const RECORD: &str = "Security record";
    pub const RECORD_WHAT: &str = "What happened";
    pub const RECORD_WHEN: &str = "When";
    pub const LOADING: &str = "Loading…";

    /// How the account page names an account event.
    pub fn event(kind: &str) -> &'static str {
        match kind {
            "two_factor_enabled" => "Two-factor sign-in turned on",
            "two_factor_disabled" => "Two-factor sign-in turned off",
            "recovery_code_used" => "A recovery code was used to sign in",
            "recovery_codes_regenerated" => "New recovery codes made",
            _ => "Account change",
        }
    }

    /// How the sessions table names the factor a session was opened with.
    pub fn factor(factor: &str) -> &'static str {
        match factor {
            "totp" => "Password and app code",
            "recovery_code" => "Password and recovery code",
            _ => "Password",
        }
    }
}

pub use text::factor as factor_label;

/// The second step of a sign-in: the challenge (from the cookie the password step set) and a
/// code. Only now does a session start.
#[server(prefix = "/api/fn", endpoint = "finish_sign_in")]
pub async fn finish_sign_in(code: SecretString, next: Option<String>) -> Result<(), UiError> {
    use crate::server::{challenge_cookie, context, current_challenge, set_cookie};
    let ctx = context()?;
    let gone = || UiError::invalid("challenge", text::CHALLENGE_GONE);
    let challenge = current_challenge().ok_or_else(gone)?;
    let (user, factor) = bastion_core::two_factor::finish_sign_in(
        &ctx.pool,
        &ctx.keys,
        challenge.expose(),
        code.expose(),
        crate::server::client_ip(),
    )
    .await
    .map_err(|e| match e {
        bastion_core::CoreError::Invalid {
            field: "challenge", ..
        } => gone(),
        bastion_core::CoreError::Invalid { field: "code", .. } => {
            UiError::invalid("code", text::CODE_WRONG)
        }
        other => other.into(),
    })
    .map_err(UiError::answered)?;
    set_cookie(&challenge_cookie(None, ctx.secure_cookies));
    crate::server::start_session_with(user.id, factor).await?;
    leptos_axum::redirect(
        &crate::account::local_target(next.as_deref()).unwrap_or_else(|| "/account".into()),
    );
    Ok(())
}

#[component]
pub fn SignInCodePage() -> impl IntoView {
    let action = ServerAction::<FinishSignIn>::new();
    let query = leptos_router::hooks::use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = action_error(action);
    view! {
        <Title text=text::CODE_PAGE_TITLE/>
        <section class="card narrow" aria-labelledby="code-title">
            <h1 id="code-title">{text::CODE_HEADING}</h1>
            <p class="muted">{text::CODE_INTRO}</p>
            <ActionForm action=action attr:class="form">
                <input type="hidden" name="next" value=next/>
                <label for="code">{text::CODE_LABEL}</label>
                <input id="code" name="code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="40" required/>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { text::CODE_PENDING } else { text::CODE_SUBMIT }}
                </button>
            </ActionForm>
            <p class="muted"><A href="/sign-in">{text::START_OVER}</A></p>
        </section>
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingEnrolment {
    /// The key in base32, for typing into an app.
    pub secret: SecretString,
    /// The QR code: modules per side, and the SVG path of its dark modules.
    pub qr_size: u32,
    pub qr_path: SecretString,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub enabled: bool,
    pub recovery_codes_left: i64,
    pub pending: Option<PendingEnrolment>,
    /// (kind, when in UTC to the minute), newest first.
    pub events: Vec<(String, String)>,
}

#[server(prefix = "/api/fn", endpoint = "two_factor_state")]
pub async fn two_factor_state() -> Result<TwoFactorView, UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    let status = bastion_core::two_factor::status(&ctx.pool, user.id).await?;
    let pending = bastion_core::two_factor::pending_enrolment(&ctx.pool, &ctx.keys, &user)
        .await?
        .map(|e| PendingEnrolment {
            secret: e.secret,
            qr_size: e.qr.size,
            qr_path: e.qr.path,
        });
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    let events = bastion_core::two_factor::events(&ctx.pool, user.id, 10)
        .await?
        .into_iter()
        .map(|e| (e.kind, e.at.format(&format).unwrap_or_default()))
        .collect();
    Ok(TwoFactorView {
        enabled: status.enabled,
        recovery_codes_left: status.recovery_codes_left,
        pending,
        events,
    })
}

#[server(prefix = "/api/fn", endpoint = "start_two_factor")]
pub async fn start_two_factor() -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    bastion_core::two_factor::begin_enrolment(&ctx.pool, &ctx.keys, &user).await?;
    Ok(())
}

/// The refusals of these forms in their own words.
#[cfg(feature = "ssr")]
fn refusal(e: bastion_core::CoreError) -> UiError {
    match e {
        bastion_core::CoreError::Invalid { field: "code", .. } => {
            UiError::invalid("code", text::CODE_WRONG)
        }
        bastion_core::CoreError::Invalid {
            field: "password", ..
        } => UiError::invalid("password", text::PASSWORD_WRONG),
        other => other.into(),
    }
}

#[server(prefix = "/api/fn", endpoint = "confirm_two_factor")]
pub async fn confirm_two_factor(code: SecretString) -> Result<Vec<SecretString>, UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    let codes =
        bastion_core::two_factor::confirm_enrolment(&ctx.pool, &ctx.keys, &user, code.expose())
            .await
            .map_err(refusal)?;
    Ok(codes.0)
}

#[server(prefix = "/api/fn", endpoint = "new_recovery_codes")]
pub async fn new_recovery_codes(
    password: SecretString,
    code: SecretString,
) -> Result<Vec<SecretString>, UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    let codes = bastion_core::two_factor::regenerate_recovery_codes(
        &ctx.pool,
        &ctx.keys,
        &user,
        password.expose(),
        code.expose(),
    )
    .await
    .map_err(refusal)?;
    Ok(codes.0)
}

#[server(prefix = "/api/fn", endpoint = "disable_two_factor")]
pub async fn disable_two_factor(password: SecretString, code: SecretString) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    bastion_core::two_factor::disable(
        &ctx.pool,
        &ctx.keys,
        &user,
        password.expose(),
        code.expose(),
    )
    .await
    .map_err(refusal)
}

/// Freshly made recovery codes, shown once.
#[component]
fn RecoveryCodeList(codes: Vec<SecretString>) -> impl IntoView {
    view! {
        <div class="recovery-codes" role="status">
            <h3>{text::CODES_HEADING}</h3>
            <p>{text::CODES_SHOWN_ONCE}</p>
            <ol class="plain-list">
                {codes.into_iter().map(|c| view! { <li><code>{c.expose().to_owned()}</code></li> }).collect_view()}
            </ol>
        </div>
    }
}

/// The account page's two-factor section.
#[component]
pub fn TwoFactorSection() -> impl IntoView {
    let start = ServerAction::<StartTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let renew = ServerAction::<NewRecoveryCodes>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let state = Resource::new(
        move || {
            (
                start.version().get(),
                confirm.version().get(),
                renew.version().get(),
                disable.version().get(),
            )
        },
        |_| two_factor_state(),
    );
    let (start_error, confirm_error, renew_error, disable_error) = (
        action_error(start),
        action_error(confirm),
        action_error(renew),
        action_error(disable),
    );
    // The codes of the last confirmation or renewal that worked, shown once.
    let fresh_codes = move || {
        renew
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| confirm.value().get().and_then(Result::ok))
    };
    let turned_off = move || matches!(disable.value().get(), Some(Ok(())));
    // Sent here by a workspace that requires two-factor sign-in (`/account?two_factor_required=
    // <slug>`): say why, and once it is on, lead back. A slug has only these characters; anything
    // else did not come from the redirect and is ignored.
    let query = leptos_router::hooks::use_query_map();
    let required_by = move || {
        query.read().get("two_factor_required").filter(|slug| {
            !slug.is_empty()
                && slug.len() <= 63
                && slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
    };
    let t = crate::use_t();
    view! {
        <h2 id="two-factor-title">{text::SECTION}</h2>
        {move || fresh_codes().map(|codes| view! { <RecoveryCodeList codes=codes/> })}
        <Show when=turned_off><p role="status">{text::TURNED_OFF}</p></Show>
        <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
            {move || Suspend::new(async move {
                let Ok(view) = state.await else {
                    return view! { <p class="muted">{text::LOADING}</p> }.into_any();
                };
                let events = view.events.clone();
                let required = required_by().map(|slug| if view.enabled {
                    view! {
                        <p class="notice" role="status">
                            <a href=format!("/w/{slug}") rel="external">{t.two_factor_required_continue(slug.clone())}</a>
                        </p>
                    }.into_any()
                } else {
                    view! {
                        <p class="notice" id="two-factor-required">{t.two_factor_required_notice(slug.clone())}</p>
                    }.into_any()
                });
                let body = if view.enabled {
                    view! {
                        <p>{text::ON} " " {text::CODES_LEFT} " " <strong>{view.recovery_codes_left}</strong></p>
                        <details>
                            <summary>{text::NEW_CODES}</summary>
                            <p>{text::NEW_CODES_INTRO}</p>
                            <ActionForm action=renew attr:class="form narrow-form">
                                <label for="renew_password">{text::PASSWORD}</label>
                                <input id="renew_password" name="password" type="password" autocomplete="current-password" required/>
                                <label for="renew_code">{text::CURRENT_CODE}</label>
                                <input id="renew_code" name="code" autocomplete="one-time-code" maxlength="40" required/>
                                <FormError error=renew_error/>
                                <button type="submit" class="button">{text::NEW_CODES_SUBMIT}</button>
                            </ActionForm>
                        </details>
                        <details class="danger-zone">
                            <summary>{text::TURN_OFF}</summary>
                            <p>{text::TURN_OFF_INTRO}</p>
                            <ActionForm action=disable attr:class="form narrow-form">
                                <label for="off_password">{text::PASSWORD}</label>
                                <input id="off_password" name="password" type="password" autocomplete="current-password" required/>
                                <label for="off_code">{text::CURRENT_CODE}</label>
                                <input id="off_code" name="code" autocomplete="one-time-code" maxlength="40" required/>
                                <FormError error=disable_error/>
                                <button type="submit" class="button danger">{text::TURN_OFF_SUBMIT}</button>
                            </ActionForm>
                        </details>
                    }.into_any()
                } else if let Some(pending) = view.pending {
                    let size = pending.qr_size;
                    view! {
                        <p>{text::SCAN}</p>
                        <svg class="qr-code" viewBox=format!("0 0 {size} {size}") width="220" height="220"
                            role="img" aria-label=text::QR_LABEL shape-rendering="crispEdges">
                            <rect width=size.to_string() height=size.to_string() fill="#ffffff"/>
                            <path d=pending.qr_path.expose().to_owned() fill="#000000"/>
                        </svg>
                        <p>{text::KEY_LABEL} " " <code class="totp-secret">{pending.secret.expose().to_owned()}</code></p>
                        <ActionForm action=confirm attr:class="form narrow-form">
                            <label for="first_code">{text::FIRST_CODE}</label>
                            <input id="first_code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required/>
                            <FormError error=confirm_error/>
                            <button type="submit" class="button">{text::CONFIRM}</button>
                        </ActionForm>
                        <ActionForm action=start>
                            <button type="submit" class="button secondary small">{text::START_AGAIN}</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! {
                        <p>{text::OFF_INTRO}</p>
                        <ActionForm action=start>
                            <FormError error=start_error/>
                            <button type="submit" class="button">{text::START}</button>
                        </ActionForm>
                    }.into_any()
                };
                view! {
                    {required}
                    {body}
                    {(!events.is_empty()).then(|| view! {
                        <h3>{text::RECORD}</h3>
                        <crate::table::Table class="table" heads=&[text::RECORD_WHAT, text::RECORD_WHEN] actions=false>
                            {events.into_iter().map(|(kind, at)| view! {
                                <tr>
                                    <td data-label=text::RECORD_WHAT>{text::event(&kind)}</td>
                                    <td data-label=text::RECORD_WHEN>{at}</td>
                                </tr>
                            }).collect_view()}
                        </crate::table::Table>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}
