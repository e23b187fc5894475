//! Signing in and out in the browser, and the account page. The server functions are thin: they
//! call the same services as the REST API.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::error::{action_error, FormError, FormOutcome};
use crate::policy::SecretString;
use crate::table::Table;
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub name: String,
    pub email: String,
    pub workspaces: Vec<(String, String)>,
    pub sessions: Vec<SessionRow>,
    /// `system`, `light` or `dark`.
    pub theme: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: String,
    /// Brussels time, to the minute.
    pub last_seen: String,
    /// The browser and system, as `devices::summary` names them.
    pub user_agent: Option<String>,
    /// `password`, `totp`, `recovery_code`, `passkey` or `password_passkey`.
    pub factor: String,
    pub current: bool,
}

#[server(prefix = "/api/fn", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: SecretString,
    next: Option<String>,
) -> Result<(), UiError> {
    use crate::server::context;
    use bastion_core::accounts::SignInRefused;
    let ctx = context()?;
    let last = crate::server::last_workspace();
    let user = match bastion_core::accounts::sign_in(
        &ctx.pool,
        &email,
        password.expose(),
        crate::server::client_ip(),
    )
    .await?
    {
        Ok(bastion_core::accounts::SignInStep::Done(user)) => user,
        Ok(bastion_core::accounts::SignInStep::SecondFactor(challenge)) => {
            // No session yet: the code form finishes the sign-in with this challenge.
            crate::server::set_cookie(&crate::server::challenge_cookie(
                Some(challenge.expose()),
                ctx.secure_cookies,
            ));
            let target = local_target(next.as_deref())
                .map(|next| format!("/sign-in/code?next={}", crate::url::encode(&next)))
                .unwrap_or_else(|| "/sign-in/code".into());
            leptos_axum::redirect(&target);
            return Ok(());
        }
        Err(SignInRefused::InvalidCredentials) => {
            // 401 like REST's `invalid_credentials`; the sentence names the password field.
            let refusal = UiError::Invalid {
                field: "password".into(),
                // Wrong email and wrong password get this one message.
                message: crate::use_t().bad_credentials().into(),
            };
            crate::server::set_status(http::StatusCode::UNAUTHORIZED);
            return Err(refusal);
        }
        Err(SignInRefused::TooManyAttempts(wait)) => {
            return Err(UiError::RateLimited {
                retry_after_secs: wait.whole_seconds().max(1) as u64,
            }
            .answered());
        }
    };
    crate::server::start_session(user.id).await?;
    leptos_axum::redirect(&landing(&ctx.pool, user.id, next.as_deref(), last).await);
    Ok(())
}

/// Where a sign-in lands: `next` when it is a path on this site; else the workspace this browser
/// used last, while the person is still an active member there; else the account page.
#[cfg(feature = "ssr")]
pub async fn landing(
    pool: &sqlx::PgPool,
    user_id: uuid::Uuid,
    next: Option<&str>,
    last_workspace: Option<String>,
) -> String {
    if let Some(next) = local_target(next) {
        return next;
    }
    if let Some(slug) = last_workspace {
        if let Ok(Some((_, _, tx))) =
            bastion_core::members::open_as_member(pool, user_id, &slug).await
        {
            let _ = tx.rollback().await;
            return format!("/w/{slug}");
        }
    }
    "/account".into()
}

/// Where to go after signing in: only a path on this site, never another origin (`//evil`,
/// `/\evil` and absolute URLs are refused), so the parameter cannot bounce people elsewhere.
#[cfg(any(feature = "ssr", test))]
pub fn local_target(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let safe = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    safe.then(|| next.to_owned())
}

#[server(prefix = "/api/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), UiError> {
    use crate::server::{context, set_cookie};
    let ctx = context()?;
    if let Some(token) = crate::server::current_token() {
        bastion_core::sessions::end(&ctx.pool, &token).await?;
    }
    set_cookie(&bastion_core::sessions::clear_cookie_value(
        ctx.secure_cookies,
    ));
    leptos_axum::redirect("/sign-in");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "account")]
pub async fn account() -> Result<Option<AccountView>, UiError> {
    let ctx = crate::server::context()?;
    let locale = crate::use_t().0;
    let Some((user, session)) = crate::server::signed_in().await? else {
        return Ok(None);
    };
    let workspaces = crate::server::workspace_links(user.id).await?;
    let sessions = bastion_core::sessions::list_for_user(&ctx.pool, user.id).await?;
    // Brussels time, like every time the pages show.
    let moments: Vec<_> = sessions.iter().map(|s| s.last_seen_at).collect();
    let last_seen = crate::work::srv::local_times_in(&ctx.pool, locale, &moments).await?;
    let sessions = sessions
        .into_iter()
        .zip(last_seen)
        .map(|(s, last_seen)| SessionRow {
            id: s.id.to_string(),
            last_seen,
            // "Firefox (Linux)" rather than the whole user-agent string; one that names
            // neither a known browser nor a system is shown as it came.
            user_agent: s
                .user_agent
                .map(|agent| bastion_core::devices::summary(&agent).unwrap_or(agent)),
            factor: s.factor,
            current: s.id == session.id,
        })
        .collect();
    Ok(Some(AccountView {
        name: user.name,
        email: user.email,
        workspaces,
        sessions,
        theme: bastion_core::accounts::theme(&ctx.pool, user.id)
            .await?
            .as_str()
            .to_owned(),
    }))
}

/// Saves the colour scheme the person chose; answers its name.
#[server(prefix = "/api/fn", endpoint = "set_theme")]
pub async fn set_theme(theme: String) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    let theme = bastion_core::accounts::Theme::parse(&theme)?;
    bastion_core::accounts::set_theme(&ctx.pool, user.id, theme).await?;
    Ok(theme.as_str().to_owned())
}

/// The account's language: a plain form to the same endpoint as the footer's switcher, which
/// saves it on the account and renders the page again in it.
#[component]
fn AccountLanguage() -> impl IntoView {
    let t = crate::use_t();
    let current = use_context::<crate::i18n::Locale>().unwrap_or_default();
    view! {
        <h2 id="language-title">{t.account_language_heading()}</h2>
        <form class="form narrow-form" method="post" action="/language" aria-labelledby="language-title">
            <input type="hidden" name="next" value="/account"/>
            <label for="account-locale">{t.account_language_label()}</label>
            <select id="account-locale" name="locale">
                {crate::i18n::Locale::ALL.into_iter().map(|locale| view! {
                    <option value=locale.tag() lang=locale.tag() selected=locale == current>
                        {locale.native_name()}
                    </option>
                }).collect_view()}
            </select>
            <p class="muted small">{t.account_language_help()}</p>
            <button type="submit" class="button">{t.account_language_save()}</button>
        </form>
    }
}

/// The account page's colour-scheme choice, as radio buttons.
fn themes(t: crate::i18n::T) -> [(&'static str, &'static str); 3] {
    [
        ("system", t.theme_system()),
        ("light", t.theme_light()),
        ("dark", t.theme_dark()),
    ]
}

#[server(prefix = "/api/fn", endpoint = "change_password")]
pub async fn change_password(
    current_password: SecretString,
    new_password: SecretString,
) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let (user, session) = crate::server::current_user().await?;
    bastion_core::accounts::change_password(
        &ctx.pool,
        user.id,
        current_password.expose(),
        new_password.expose(),
        session.id,
    )
    .await
    .map_err(|e| match e {
        // The form's own words for its first field (the browser test reads them).
        bastion_core::CoreError::Invalid {
            field: "current_password",
            ..
        } => UiError::invalid("current_password", crate::use_t().current_password_wrong()),
        other => other.into(),
    })
}

#[server(prefix = "/api/fn", endpoint = "end_session")]
pub async fn end_session(id: String) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    let not_found = || UiError::not_found(crate::use_t().no_such_session());
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    if bastion_core::sessions::revoke(&ctx.pool, user.id, id).await? {
        Ok(())
    } else {
        Err(not_found())
    }
}

#[server(prefix = "/api/fn", endpoint = "delete_account")]
pub async fn delete_account(password: SecretString) -> Result<(), UiError> {
    use crate::server::{context, set_cookie};
    let ctx = context()?;
    let (user, _) = crate::server::current_user().await?;
    bastion_core::accounts::delete_account(&ctx.pool, user.id, password.expose())
        .await
        .map_err(|e| match e {
            bastion_core::CoreError::Invalid { field, .. } => {
                UiError::invalid(field, crate::use_t().password_wrong())
            }
            other => other.into(),
        })?;
    set_cookie(&bastion_core::sessions::clear_cookie_value(
        ctx.secure_cookies,
    ));
    leptos_axum::redirect("/");
    Ok(())
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = crate::error::server_action::<SignIn>();
    let query = leptos_router::hooks::use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = action_error(action);
    let t = crate::use_t();
    view! {
        <Title text=t.sign_in_title()/>
        <section class="card narrow" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">{t.sign_in()}</h1>
            <ActionForm action=action attr:class="form">
                <input type="hidden" name="next" value=next/>
                <label for="email">{t.field_email()}</label>
                <input id="email" name="email" type="email" autocomplete="username" required/>
                <label for="password">{t.password()}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { t.signing_in() } else { t.sign_in() }}
                </button>
            </ActionForm>
            <crate::passkeys::PasskeySignIn next=Signal::derive(next)/>
            <crate::sso::SsoSignIn/>
            <p class="muted"><A href="/forgot-password">{t.forgot_password()}</A></p>
            <p class="muted">{t.new_to_bastion()} " " <A href="/sign-up">{t.create_a_workspace()}</A></p>
        </section>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let change = crate::error::server_action::<ChangePassword>();
    let end = crate::error::server_action::<EndSession>();
    let me = Resource::new(
        move || (change.version().get(), end.version().get()),
        |_| account(),
    );
    let sign_out = crate::error::server_action::<SignOut>();
    let delete = crate::error::server_action::<DeleteAccount>();
    let theme = crate::error::server_action::<SetTheme>();
    let t = crate::use_t();
    // The server renders `<html data-theme>`: the form posts and the page it comes back to has
    // the new theme.
    let theme_result = move || {
        theme.value().get().map(|answer| {
            answer
                .map(|_| t.theme_saved().into())
                .map_err(|e| e.message(t))
        })
    };
    let delete_error = action_error(delete);
    let password_result = move || {
        change.value().get().map(|answer| {
            answer
                .map(|()| t.password_changed_others().into())
                .map_err(|e| e.message(t))
        })
    };
    view! {
        <Title text=t.account_title()/>
        <Suspense fallback=move || view! { <p>{t.loading()}</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(account)) => view! {
                        <section class="card" aria-labelledby="account-title">
                            <h1 id="account-title">{t.your_account()}</h1>
                            <p>{t.signed_in_as_label()} " " <strong>{account.name.clone()}</strong> " (" {account.email.clone()} ")"</p>
                            <h2>{t.your_workspaces()}</h2>
                            {if account.workspaces.is_empty() {
                                view! { <p class="muted">{t.no_workspace_yet()}</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="plain-list">
                                        {account.workspaces.iter().map(|(slug, name)| view! {
                                            <li>
                                                <a href=format!("/w/{slug}")><strong>{name.clone()}</strong></a> " " <span class="muted">{slug.clone()}</span> " "
                                                <a href=format!("/w/{slug}/members")>{t.nav_members()}</a>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <h2>{t.sessions()}</h2>
                            <Table class="table" heads=vec![t.col_device(), t.col_signed_in_with(), t.col_last_active()] actions=true>
                                {account.sessions.into_iter().map(|s| {
                                    let device = s.user_agent.clone().unwrap_or_else(|| t.unknown_browser().into());
                                    view! {
                                        <tr>
                                            <td data-label=t.col_device()>{device}</td>
                                            <td data-label=t.col_signed_in_with()>{crate::two_factor::factor_label(&s.factor)}</td>
                                            <td data-label=t.col_last_active()>{s.last_seen.clone()}</td>
                                            <td class="actions" data-label=t.col_actions()>{if s.current {
                                                view! { <span class="muted">{t.this_session()}</span> }.into_any()
                                            } else {
                                                let id = s.id.clone();
                                                view! {
                                                    <ActionForm action=end attr:class="inline-form">
                                                        <input type="hidden" name="id" value=id/>
                                                        <button type="submit" class="button small secondary">{t.sign_out_session()}</button>
                                                    </ActionForm>
                                                }.into_any()
                                            }}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </Table>
                            <AccountLanguage/>
                            <h2 id="appearance-title">{t.appearance()}</h2>
                            <ActionForm action=theme attr:class="form narrow-form" attr:aria-labelledby="appearance-title">
                                <fieldset class="choices">
                                    <legend>{t.colour_scheme()}</legend>
                                    {themes(t).into_iter().map(|(value, label)| {
                                        let id = format!("theme-{value}");
                                        view! {
                                            <div class="check">
                                                <input type="radio" id=id.clone() name="theme" value=value checked=account.theme == value/>
                                                <label for=id>{label}</label>
                                            </div>
                                        }
                                    }).collect_view()}
                                </fieldset>
                                <FormOutcome outcome=theme_result ok_class="form-ok"/>
                                <button type="submit" class="button">{t.save_colour_scheme()}</button>
                            </ActionForm>
                            <h2>{t.change_password()}</h2>
                            <ActionForm action=change attr:class="form narrow-form">
                                <label for="current_password">{t.current_password()}</label>
                                <input id="current_password" name="current_password" type="password" autocomplete="current-password" required/>
                                <label for="new_password">{t.new_password()}</label>
                                <input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="12" required/>
                                <FormOutcome outcome=password_result/>
                                <button type="submit" class="button">{t.change_password()}</button>
                            </ActionForm>
                            <crate::passkeys::PasskeysSection/>
                            <crate::two_factor::TwoFactorSection/>
                            <hr/>
                            <ActionForm action=sign_out>
                                <button type="submit" class="button secondary">{t.sign_out()}</button>
                            </ActionForm>
                            <details class="danger-zone">
                                <summary>{t.delete_my_account()}</summary>
                                <p>{t.delete_account_explained()}</p>
                                <ActionForm action=delete attr:class="form narrow-form">
                                    <label for="delete_password">{t.password_to_confirm()}</label>
                                    <input id="delete_password" name="password" type="password" autocomplete="current-password" required/>
                                    <FormError error=delete_error/>
                                    <button type="submit" class="button danger">{t.delete_account_for_good()}</button>
                                </ActionForm>
                            </details>
                        </section>
                    }.into_any(),
                    Ok(None) => view! {
                        <section class="card narrow">
                            <h1>{t.signed_out()}</h1>
                            <A href="/sign-in" attr:class="button">{t.sign_in()}</A>
                        </section>
                    }.into_any(),
                    Err(_) => view! {
                        <p class="form-error" role="alert">{t.account_load_failed()}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[server(prefix = "/api/fn", endpoint = "request_reset")]
pub async fn request_reset(email: String) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    bastion_core::resets::request_reset(&ctx.pool, &ctx.keys, &email, crate::server::client_ip())
        .await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "reset_password")]
pub async fn reset_password(
    email: String,
    code: SecretString,
    new_password: SecretString,
) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    bastion_core::resets::reset_password(&ctx.pool, &email, code.expose(), new_password.expose())
        .await?;
    Ok(())
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = crate::error::server_action::<RequestReset>();
    let sent = move || matches!(action.value().get(), Some(Ok(())));
    let t = crate::use_t();
    view! {
        <Title text=t.forgot_title()/>
        <section class="card narrow" aria-labelledby="forgot-title">
            <h1 id="forgot-title">{t.forgot_password()}</h1>
            <Show
                when=sent
                fallback=move || view! {
                    <p class="muted">{t.forgot_intro()}</p>
                    <ActionForm action=action attr:class="form">
                        <label for="email">{t.field_email()}</label>
                        <input id="email" name="email" type="email" autocomplete="username" required/>
                        <button type="submit" class="button" disabled=move || action.pending().get()>{t.sign_up_send()}</button>
                    </ActionForm>
                }
            >
                <p role="status">{t.forgot_sent()}</p>
                <A href="/reset-password" attr:class="button">{t.enter_code()}</A>
            </Show>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = crate::error::server_action::<ResetPassword>();
    let done = move || matches!(action.value().get(), Some(Ok(())));
    let error = action_error(action);
    let t = crate::use_t();
    view! {
        <Title text=t.reset_title()/>
        <section class="card narrow" aria-labelledby="reset-title">
            <h1 id="reset-title">{t.choose_new_password()}</h1>
            <Show
                when=done
                fallback=move || view! {
                    <ActionForm action=action attr:class="form">
                        <label for="email">{t.field_email()}</label>
                        <input id="email" name="email" type="email" autocomplete="username" required/>
                        <label for="code">{t.confirm_code_label()}</label>
                        <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required/>
                        <label for="new_password">{t.new_password()}</label>
                        <input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="12" required/>
                        <FormError error=error/>
                        <button type="submit" class="button" disabled=move || action.pending().get()>{t.set_new_password()}</button>
                    </ActionForm>
                }
            >
                <p role="status">{t.password_reset_done()}</p>
                <A href="/sign-in" attr:class="button">{t.sign_in()}</A>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::local_target;

    #[test]
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        assert_eq!(
            local_target(Some("/invite/abc")),
            Some("/invite/abc".into())
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "/a\nb",
            "",
        ] {
            assert_eq!(local_target(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(local_target(None), None);
    }
}
