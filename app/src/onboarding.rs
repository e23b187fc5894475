//! Coming in: signing up and confirming the emailed code, accepting an invitation, creating a
//! workspace, and the workspace switcher in the top bar. The server functions call the same
//! services as the REST API.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};
use serde::{Deserialize, Serialize};

use crate::error::{action_error, FormError};
use crate::policy::SecretString;
use crate::UiError;

/// Who is signed in, for the top bar: their name and the workspaces to switch between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedIn {
    pub name: String,
    /// (slug, name), by name.
    pub workspaces: Vec<(String, String)>,
}

#[server(prefix = "/api/fn", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<SignedIn>, UiError> {
    let Some((user, _)) = crate::server::signed_in().await? else {
        return Ok(None);
    };
    Ok(Some(SignedIn {
        workspaces: crate::server::workspace_links(user.id).await?,
        name: user.name,
    }))
}

#[server(prefix = "/api/fn", endpoint = "start_sign_up")]
pub async fn start_sign_up(
    email: String,
    name: String,
    workspace_name: String,
    password: SecretString,
) -> Result<(), UiError> {
    use bastion_core::signups::{self, SignupForm};
    let ctx = crate::server::context()?;
    let form = SignupForm {
        email: &email,
        name: &name,
        password: password.expose(),
        workspace_name: &workspace_name,
        // The language the form was shown in.
        locale: use_context::<crate::i18n::Locale>().unwrap_or_default(),
        origin: &ctx.origin,
    };
    let id = signups::start(
        &ctx.pool,
        &ctx.keys,
        form,
        crate::server::client_ip(),
        ctx.signup_limits,
    )
    .await?;
    leptos_axum::redirect(&format!("/sign-up/confirm?id={id}"));
    Ok(())
}

/// Confirms a signup by the link's id, or (opened without the link, in any browser) by the
/// address it was made for.
#[server(prefix = "/api/fn", endpoint = "confirm_sign_up")]
pub async fn confirm_sign_up(
    signup_id: Option<String>,
    email: Option<String>,
    code: SecretString,
) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let broken = crate::use_t().confirmation_link_broken();
    let signup_id = signup_id.filter(|id| !id.trim().is_empty());
    let (user, workspace) = match (signup_id, email) {
        (Some(id), _) => {
            let Ok(id) = uuid::Uuid::parse_str(id.trim()) else {
                return Err(UiError::invalid("signup_id", broken));
            };
            bastion_core::signups::confirm(&ctx.pool, &ctx.keys, id, code.expose()).await?
        }
        (None, Some(email)) => {
            bastion_core::signups::confirm_by_email(&ctx.pool, &ctx.keys, &email, code.expose())
                .await?
        }
        (None, None) => return Err(UiError::invalid("signup_id", broken)),
    };
    crate::server::start_session(user.id).await?;
    leptos_axum::redirect(&format!("/w/{}", workspace.slug));
    Ok(())
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = crate::error::server_action::<StartSignUp>();
    let error = action_error(action);
    let t = crate::use_t();
    view! {
        <Title text=t.sign_up_title()/>
        <section class="card narrow" aria-labelledby="sign-up-title">
            <h1 id="sign-up-title">{t.sign_up_heading()}</h1>
            <p class="muted">{t.sign_up_intro()}</p>
            <ActionForm action=action attr:class="form">
                <label for="name">{t.field_your_name()}</label>
                <input id="name" name="name" autocomplete="name" maxlength="100" required/>
                <label for="email">{t.field_work_email()}</label>
                <input id="email" name="email" type="email" autocomplete="email" required/>
                <label for="workspace_name">{t.field_workspace_name()}</label>
                <input id="workspace_name" name="workspace_name" maxlength="100" placeholder=t.field_workspace_name_example() required/>
                <label for="password">{t.field_new_password()}</label>
                <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required/>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { t.sign_up_sending() } else { t.sign_up_send() }}
                </button>
            </ActionForm>
            <p class="muted">{t.sign_up_have_account()} " " <A href="/sign-in">{t.sign_in()}</A></p>
        </section>
    }
}

#[component]
pub fn ConfirmSignUpPage() -> impl IntoView {
    let query = use_query_map();
    let signup_id = move || query.read().get("id").unwrap_or_default();
    // The emailed link carries the code: shown in the form, sent only by a click.
    let code = move || {
        query
            .read()
            .get("code")
            .filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_default()
    };
    let has_link = move || !signup_id().is_empty();
    let action = crate::error::server_action::<ConfirmSignUp>();
    let error = action_error(action);
    let t = crate::use_t();
    view! {
        <Title text=t.confirm_title()/>
        <section class="card narrow" aria-labelledby="confirm-title">
            <h1 id="confirm-title">{t.confirm_heading()}</h1>
            <p>{t.confirm_intro()}</p>
            <ActionForm action=action attr:class="form">
                <input type="hidden" name="signup_id" value=signup_id/>
                {move || (!has_link()).then(|| view! {
                    <p class="muted" id="confirm-any-tab">{t.confirm_any_tab()}</p>
                    <label for="confirm-email">{t.confirm_email_label()}</label>
                    <input id="confirm-email" name="email" type="email" autocomplete="email" required aria-describedby="confirm-any-tab"/>
                })}
                <label for="code">{t.confirm_code_label()}</label>
                <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus value=code/>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { t.confirm_creating() } else { t.confirm_submit() }}
                </button>
            </ActionForm>
            <p class="muted">{t.confirm_no_email()} " " <A href="/sign-up">{t.confirm_sign_up_again()}</A></p>
        </section>
    }
}

/// What an invitation link offers, and to whom the browser is signed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub workspace_name: String,
    pub email: String,
    pub role: String,
    pub has_account: bool,
    /// The signed-in user's email, if any.
    pub signed_in_as: Option<String>,
}

#[server(prefix = "/api/fn", endpoint = "invitation")]
pub async fn invitation(token: String) -> Result<Option<InvitationInfo>, UiError> {
    let ctx = crate::server::context()?;
    let Some(open) = bastion_core::invitations::open(&ctx.pool, &token).await? else {
        return Ok(None);
    };
    let signed_in_as = match crate::server::current_user().await {
        Ok((user, _)) => Some(user.email),
        Err(_) => {
            // Not signed in is a normal state here, not a 401.
            crate::server::set_status(http::StatusCode::OK);
            None
        }
    };
    Ok(Some(InvitationInfo {
        workspace_name: open.workspace.name,
        email: open.invitation.email,
        role: open.invitation.role,
        has_account: open.has_account,
        signed_in_as,
    }))
}

#[server(prefix = "/api/fn", endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    name: Option<String>,
    password: Option<SecretString>,
) -> Result<(), UiError> {
    use bastion_core::invitations::{self, Acceptor};
    let ctx = crate::server::context()?;
    let signed_in = crate::server::current_user().await.ok();
    let gone = |e: bastion_core::CoreError| match e {
        bastion_core::CoreError::NotFound(_) => {
            UiError::not_found(crate::use_t().invitation_link_gone())
        }
        other => other.into(),
    };
    let (user, workspace) = match &signed_in {
        Some((user, _)) => invitations::accept(&ctx.pool, &token, Acceptor::SignedIn(user))
            .await
            .map_err(gone)?,
        None => {
            // Not signed in is expected here; clear the 401 that current_user set.
            crate::server::set_status(http::StatusCode::OK);
            let name = name.unwrap_or_default();
            let password = password.unwrap_or_default();
            invitations::accept(
                &ctx.pool,
                &token,
                Acceptor::Newcomer {
                    name: &name,
                    password: password.expose(),
                    locale: use_context::<crate::i18n::Locale>().unwrap_or_default(),
                },
            )
            .await
            .map_err(gone)?
        }
    };
    if signed_in.is_none() {
        crate::server::start_session(user.id).await?;
    }
    leptos_axum::redirect(&format!("/w/{}", workspace.slug));
    Ok(())
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let info = Resource::new(token, invitation);
    let accept = crate::error::server_action::<AcceptInvitation>();
    let error = action_error(accept);
    let t = crate::use_t();
    view! {
        <Title text=t.invite_title()/>
        <Suspense fallback=move || view! { <p>{t.invite_loading()}</p> }>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(Some(invite)) => {
                        let token = token();
                        let next = format!("/invite/{token}");
                        let (workspace_name, email, role) = (invite.workspace_name.clone(), invite.email.clone(), invite.role.clone());
                        let body = match (&invite.signed_in_as, invite.has_account) {
                            (Some(me), _) if *me == invite.email => view! {
                                <ActionForm action=accept attr:class="form">
                                    <input type="hidden" name="token" value=token.clone()/>
                                    <button type="submit" class="button">{t.invite_join(invite.workspace_name.clone())}</button>
                                </ActionForm>
                            }.into_any(),
                            (Some(me), _) => view! {
                                <p class="form-error" role="alert">
                                    {t.invite_wrong_account(me.clone(), invite.email.clone())}
                                </p>
                            }.into_any(),
                            (None, true) => view! {
                                <p>{t.invite_has_account(invite.email.clone())}</p>
                                <a class="button" href=format!("/sign-in?next={next}")>{t.invite_sign_in()}</a>
                            }.into_any(),
                            (None, false) => view! {
                                <ActionForm action=accept attr:class="form">
                                    <input type="hidden" name="token" value=token.clone()/>
                                    <label for="invite-email">{t.field_email()}</label>
                                    <input id="invite-email" type="email" value=invite.email.clone() readonly/>
                                    <label for="name">{t.field_your_name()}</label>
                                    <input id="name" name="name" autocomplete="name" maxlength="100" required/>
                                    <label for="password">{t.field_choose_password()}</label>
                                    <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required/>
                                    <button type="submit" class="button">{t.invite_create_and_join()}</button>
                                </ActionForm>
                            }.into_any(),
                        };
                        view! {
                            <section class="card narrow" aria-labelledby="invite-title">
                                <h1 id="invite-title">{t.invite_join(workspace_name)}</h1>
                                <p>{t.invite_invited_as(role, email)}</p>
                                {body}
                                <FormError error=error/>
                            </section>
                        }.into_any()
                    }
                    Ok(None) => view! {
                        <section class="card narrow">
                            <h1>{t.invite_gone_heading()}</h1>
                            <p>{t.invite_gone_text()}</p>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.message(t)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[server(prefix = "/api/fn", endpoint = "create_workspace")]
pub async fn create_workspace(name: String, slug: Option<String>) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let (user, _) = crate::server::current_user().await?;
    // An empty address field means "make one from the name".
    let slug = slug.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let workspace =
        bastion_core::workspaces::create_for(&ctx.pool, &ctx.keys, user.id, &name, slug).await?;
    leptos_axum::redirect(&format!("/w/{}", workspace.slug));
    Ok(())
}

#[component]
pub fn NewWorkspacePage() -> impl IntoView {
    let action = crate::error::server_action::<CreateWorkspace>();
    let error = action_error(action);
    let t = crate::use_t();
    view! {
        <Title text=t.new_workspace_title()/>
        <section class="card narrow" aria-labelledby="new-ws-title">
            <h1 id="new-ws-title">{t.new_workspace_heading()}</h1>
            <p class="muted">{t.new_workspace_intro()}</p>
            <ActionForm action=action attr:class="form">
                <label for="ws-name">{t.field_name()}</label>
                <input id="ws-name" name="name" maxlength="100" required/>
                <label for="ws-slug">{t.field_workspace_address()}</label>
                <input id="ws-slug" name="slug" maxlength="40" pattern="[a-z0-9]([a-z0-9-]*[a-z0-9])?" aria-describedby="ws-slug-help"/>
                <p id="ws-slug-help" class="muted small">{t.field_workspace_address_help()}</p>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || action.pending().get()>{t.new_workspace_submit()}</button>
            </ActionForm>
        </section>
    }
}

/// The top bar's right side: the workspace switcher and account links when signed in, sign-in
/// and sign-up otherwise.
#[component]
pub fn AccountNav() -> impl IntoView {
    // Asked again on every navigation: signing in, out or joining a workspace happens through
    // server functions that move to another page, and the bar must follow.
    let location = leptos_router::hooks::use_location();
    let me = Resource::new(move || location.pathname.get(), |_| whoami());
    let t = crate::use_t();
    view! {
        <nav class="topnav" aria-label=t.nav_account()>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(me)) => {
                        // Inside a workspace the switcher is named after it, so every page says
                        // where one is; elsewhere it offers the workspaces.
                        let path = location.pathname.get_untracked();
                        let here = path
                            .strip_prefix("/w/")
                            .map(|rest| rest.split('/').next().unwrap_or_default().to_owned())
                            .and_then(|slug| me.workspaces.iter().find(|(s, _)| *s == slug).map(|(_, name)| name.clone()));
                        let summary = match here {
                            Some(name) => view! {
                                <span class="visually-hidden">{t.nav_workspace()} ": "</span>
                                <span class="switcher-current">{name}</span>
                            }.into_any(),
                            None => t.nav_workspaces().into_any(),
                        };
                        view! {
                            <details class="switcher">
                                <summary>{summary}</summary>
                                <ul class="switcher-list">
                                    {me.workspaces.into_iter().map(|(slug, name)| view! {
                                        <li><a href=format!("/w/{slug}")>{name}</a></li>
                                    }).collect_view()}
                                    <li><a href="/workspaces/new">{t.nav_new_workspace()}</a></li>
                                </ul>
                            </details>
                            <a href="/account">{me.name}</a>
                        }.into_any()
                        }
                        _ => view! {
                            <a href="/sign-in">{t.sign_in()}</a>
                            <a href="/sign-up" class="button small">{t.sign_up()}</a>
                        }.into_any(),
                    }
                })}
            </Transition>
        </nav>
    }
}
