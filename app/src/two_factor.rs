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

/// Every sentence these components show, in one place: functions rather than constants, each
/// answering in the page's language (`crate::use_t`).
mod text {
    pub fn code_page_title() -> &'static str {
        crate::use_t().tf_code_page_title()
    }
    pub fn code_heading() -> &'static str {
        crate::use_t().tf_code_heading()
    }
    pub fn code_intro() -> &'static str {
        crate::use_t().tf_code_intro()
    }
    pub fn code_or_passkey_intro() -> &'static str {
        crate::use_t().tf_code_or_passkey_intro()
    }
    pub fn passkey_intro() -> &'static str {
        crate::use_t().tf_passkey_intro()
    }
    pub fn code_label() -> &'static str {
        crate::use_t().tf_code_label()
    }
    pub fn code_submit() -> &'static str {
        crate::use_t().tf_code_submit()
    }
    pub fn code_pending() -> &'static str {
        crate::use_t().tf_code_pending()
    }
    pub fn start_over() -> &'static str {
        crate::use_t().tf_start_over()
    }
    // Refusals are worded on the server; the browser build has no use for them.
    #[cfg(feature = "ssr")]
    pub fn challenge_gone() -> &'static str {
        crate::use_t().tf_challenge_gone()
    }
    // Refusals are worded on the server; the browser build has no use for them.
    #[cfg(feature = "ssr")]
    pub fn code_wrong() -> &'static str {
        crate::use_t().tf_code_wrong()
    }
    // Refusals are worded on the server; the browser build has no use for them.
    #[cfg(feature = "ssr")]
    pub fn password_wrong() -> &'static str {
        crate::use_t().tf_password_wrong()
    }
    pub fn section() -> &'static str {
        crate::use_t().tf_section()
    }
    pub fn off_intro() -> &'static str {
        crate::use_t().tf_off_intro()
    }
    pub fn start() -> &'static str {
        crate::use_t().tf_start()
    }
    pub fn scan() -> &'static str {
        crate::use_t().tf_scan()
    }
    pub fn qr_label() -> &'static str {
        crate::use_t().tf_qr_label()
    }
    pub fn key_label() -> &'static str {
        crate::use_t().tf_key_label()
    }
    pub fn first_code() -> &'static str {
        crate::use_t().tf_first_code()
    }
    pub fn confirm() -> &'static str {
        crate::use_t().tf_confirm()
    }
    pub fn start_again() -> &'static str {
        crate::use_t().tf_start_again()
    }
    pub fn on() -> &'static str {
        crate::use_t().tf_on()
    }
    pub fn codes_left() -> &'static str {
        crate::use_t().tf_codes_left()
    }
    pub fn codes_heading() -> &'static str {
        crate::use_t().tf_codes_heading()
    }
    pub fn codes_shown_once() -> &'static str {
        crate::use_t().tf_codes_shown_once()
    }
    pub fn new_codes() -> &'static str {
        crate::use_t().tf_new_codes()
    }
    pub fn new_codes_intro() -> &'static str {
        crate::use_t().tf_new_codes_intro()
    }
    pub fn new_codes_submit() -> &'static str {
        crate::use_t().tf_new_codes_submit()
    }
    pub fn turn_off() -> &'static str {
        crate::use_t().tf_turn_off()
    }
    pub fn turn_off_intro() -> &'static str {
        crate::use_t().tf_turn_off_intro()
    }
    pub fn turn_off_submit() -> &'static str {
        crate::use_t().tf_turn_off_submit()
    }
    pub fn turned_off() -> &'static str {
        crate::use_t().tf_turned_off()
    }
    pub fn password() -> &'static str {
        crate::use_t().tf_password()
    }
    pub fn current_code() -> &'static str {
        crate::use_t().tf_current_code()
    }
    pub fn record() -> &'static str {
        crate::use_t().tf_record()
    }
    pub fn record_what() -> &'static str {
        crate::use_t().tf_record_what()
    }
    pub fn record_when() -> &'static str {
        crate::use_t().tf_record_when()
    }
    pub fn loading() -> &'static str {
        crate::use_t().tf_loading()
    }

    /// How the account page names an account event.
    pub fn event(kind: &str) -> &'static str {
        let t = crate::use_t();
        match kind {
            "two_factor_enabled" => t.tf_event_two_factor_enabled(),
            "two_factor_disabled" => t.tf_event_two_factor_disabled(),
            "recovery_code_used" => t.tf_event_recovery_code_used(),
            "recovery_codes_regenerated" => t.tf_event_recovery_codes_regenerated(),
            "passkey_added" => t.tf_event_passkey_added(),
            "passkey_removed" => t.tf_event_passkey_removed(),
            "passkey_used" => t.tf_event_passkey_used(),
            _ => t.tf_event_other(),
        }
    }

    /// How the sessions table names the factor a session was opened with.
    pub fn factor(factor: &str) -> &'static str {
        let t = crate::use_t();
        match factor {
            "totp" => t.tf_factor_totp(),
            "recovery_code" => t.tf_factor_recovery_code(),
            "passkey" => t.tf_factor_passkey(),
            "password_passkey" => t.tf_factor_password_passkey(),
            "sso" => t.tf_factor_sso(),
            _ => t.tf_factor_password(),
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
    let last = crate::server::last_workspace();
    let gone = || UiError::invalid("challenge", text::challenge_gone());
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
            UiError::invalid("code", text::code_wrong())
        }
        other => other.into(),
    })
    .map_err(UiError::answered)?;
    set_cookie(&challenge_cookie(None, ctx.secure_cookies));
    crate::server::start_session_with(user.id, factor).await?;
    leptos_axum::redirect(
        &crate::account::landing(&ctx.pool, user.id, next.as_deref(), last).await,
    );
    Ok(())
}

/// What the second step may be answered with: a code (from an app, or a recovery code) and/or
/// a passkey.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FactorChoices {
    pub code: bool,
    pub passkey: bool,
}

/// The choices of the sign-in the challenge cookie belongs to; a code only when there is no
/// live challenge (the form then says that it has expired). Counts no attempt.
#[server(prefix = "/api/fn", endpoint = "second_factor_choices")]
pub async fn second_factor_choices() -> Result<FactorChoices, UiError> {
    let ctx = crate::server::context()?;
    let only_code = FactorChoices {
        code: true,
        passkey: false,
    };
    let Some(challenge) = crate::server::current_challenge() else {
        return Ok(only_code);
    };
    Ok(
        bastion_core::two_factor::challenge_factors(&ctx.pool, challenge.expose())
            .await?
            .map_or(only_code, |f| FactorChoices {
                code: f.code,
                passkey: f.passkey,
            }),
    )
}

#[component]
pub fn SignInCodePage() -> impl IntoView {
    let action = crate::error::server_action::<FinishSignIn>();
    let choices = Resource::new(|| (), |_| second_factor_choices());
    let query = leptos_router::hooks::use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = action_error(action);
    view! {
        <Title text=text::code_page_title()/>
        <section class="card narrow" aria-labelledby="code-title">
            <h1 id="code-title">{text::code_heading()}</h1>
            <Suspense fallback=|| view! { <p>{text::loading()}</p> }>
                {move || Suspend::new(async move {
                    let choices = choices.await.unwrap_or(FactorChoices { code: true, passkey: false });
                    let intro = match (choices.code, choices.passkey) {
                        (true, true) => text::code_or_passkey_intro(),
                        (false, true) => text::passkey_intro(),
                        _ => text::code_intro(),
                    };
                    view! {
                        <p class="muted">{intro}</p>
                        {choices.passkey.then(|| view! {
                            <crate::passkeys::PasskeySecondFactor next=Signal::derive(next)/>
                        })}
                        {choices.code.then(|| view! {
                            <ActionForm action=action attr:class="form">
                                <input type="hidden" name="next" value=next/>
                                <label for="code">{text::code_label()}</label>
                                <input id="code" name="code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="40" required/>
                                <FormError error=error/>
                                <button type="submit" class="button" disabled=move || action.pending().get()>
                                    {move || if action.pending().get() { text::code_pending() } else { text::code_submit() }}
                                </button>
                            </ActionForm>
                        })}
                    }
                })}
            </Suspense>
            <p class="muted"><A href="/sign-in">{text::start_over()}</A></p>
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
    /// (kind, when in Brussels time to the minute), newest first.
    pub events: Vec<(String, String)>,
}

#[server(prefix = "/api/fn", endpoint = "two_factor_state")]
pub async fn two_factor_state() -> Result<TwoFactorView, UiError> {
    let ctx = crate::server::context()?;
    let locale = crate::use_t().0;
    let (user, _) = crate::server::current_user().await?;
    let status = bastion_core::two_factor::status(&ctx.pool, user.id).await?;
    let pending = bastion_core::two_factor::pending_enrolment(&ctx.pool, &ctx.keys, &user)
        .await?
        .map(|e| PendingEnrolment {
            secret: e.secret,
            qr_size: e.qr.size,
            qr_path: e.qr.path,
        });
    let events = bastion_core::two_factor::events(&ctx.pool, user.id, 10).await?;
    // Brussels time, like every time the pages show.
    let moments: Vec<_> = events.iter().map(|e| e.at).collect();
    let at = crate::work::srv::local_times_in(&ctx.pool, locale, &moments).await?;
    let events = events
        .into_iter()
        .zip(at)
        .map(|(e, at)| (e.kind, at))
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
            UiError::invalid("code", text::code_wrong())
        }
        bastion_core::CoreError::Invalid {
            field: "password", ..
        } => UiError::invalid("password", text::password_wrong()),
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
            <h3>{text::codes_heading()}</h3>
            <p>{text::codes_shown_once()}</p>
            <ol class="plain-list">
                {codes.into_iter().map(|c| view! { <li><code>{c.expose().to_owned()}</code></li> }).collect_view()}
            </ol>
        </div>
    }
}

/// The account page's two-factor section.
#[component]
pub fn TwoFactorSection() -> impl IntoView {
    let start = crate::error::server_action::<StartTwoFactor>();
    let confirm = crate::error::server_action::<ConfirmTwoFactor>();
    let renew = crate::error::server_action::<NewRecoveryCodes>();
    let disable = crate::error::server_action::<DisableTwoFactor>();
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
        <h2 id="two-factor-title">{text::section()}</h2>
        {move || fresh_codes().map(|codes| view! { <RecoveryCodeList codes=codes/> })}
        <Show when=turned_off><p role="status">{text::turned_off()}</p></Show>
        <Suspense fallback=|| view! { <p>{text::loading()}</p> }>
            {move || Suspend::new(async move {
                let Ok(view) = state.await else {
                    return view! { <p class="muted">{text::loading()}</p> }.into_any();
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
                        <p>{text::on()} " " {text::codes_left()} " " <strong>{view.recovery_codes_left}</strong></p>
                        <details>
                            <summary>{text::new_codes()}</summary>
                            <p>{text::new_codes_intro()}</p>
                            <ActionForm action=renew attr:class="form narrow-form">
                                <label for="renew_password">{text::password()}</label>
                                <input id="renew_password" name="password" type="password" autocomplete="current-password" required/>
                                <label for="renew_code">{text::current_code()}</label>
                                <input id="renew_code" name="code" autocomplete="one-time-code" maxlength="40" required/>
                                <FormError error=renew_error/>
                                <button type="submit" class="button">{text::new_codes_submit()}</button>
                            </ActionForm>
                        </details>
                        <details class="danger-zone">
                            <summary>{text::turn_off()}</summary>
                            <p>{text::turn_off_intro()}</p>
                            <ActionForm action=disable attr:class="form narrow-form">
                                <label for="off_password">{text::password()}</label>
                                <input id="off_password" name="password" type="password" autocomplete="current-password" required/>
                                <label for="off_code">{text::current_code()}</label>
                                <input id="off_code" name="code" autocomplete="one-time-code" maxlength="40" required/>
                                <FormError error=disable_error/>
                                <button type="submit" class="button danger">{text::turn_off_submit()}</button>
                            </ActionForm>
                        </details>
                    }.into_any()
                } else if let Some(pending) = view.pending {
                    let size = pending.qr_size;
                    view! {
                        <p>{text::scan()}</p>
                        <svg class="qr-code" viewBox=format!("0 0 {size} {size}") width="220" height="220"
                            role="img" aria-label=text::qr_label() shape-rendering="crispEdges">
                            <rect width=size.to_string() height=size.to_string() fill="#ffffff"/>
                            <path d=pending.qr_path.expose().to_owned() fill="#000000"/>
                        </svg>
                        <p>{text::key_label()} " " <code class="totp-secret">{pending.secret.expose().to_owned()}</code></p>
                        <ActionForm action=confirm attr:class="form narrow-form">
                            <label for="first_code">{text::first_code()}</label>
                            <input id="first_code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required/>
                            <FormError error=confirm_error/>
                            <button type="submit" class="button">{text::confirm()}</button>
                        </ActionForm>
                        <ActionForm action=start>
                            <button type="submit" class="button secondary small">{text::start_again()}</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! {
                        <p>{text::off_intro()}</p>
                        <ActionForm action=start>
                            <FormError error=start_error/>
                            <button type="submit" class="button">{text::start()}</button>
                        </ActionForm>
                    }.into_any()
                };
                view! {
                    {required}
                    {body}
                    {(!events.is_empty()).then(|| view! {
                        <h3>{text::record()}</h3>
                        <crate::table::Table class="table" heads=&[text::record_what(), text::record_when()] actions=false>
                            {events.into_iter().map(|(kind, at)| view! {
                                <tr>
                                    <td data-label=text::record_what()>{text::event(&kind)}</td>
                                    <td data-label=text::record_when()>{at}</td>
                                </tr>
                            }).collect_view()}
                        </crate::table::Table>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}
