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

#[server(prefix = "/api/fn", endpoint = "confirm_sign_up")]
pub async fn confirm_sign_up(signup_id: String, code: SecretString) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let Ok(id) = uuid::Uuid::parse_str(signup_id.trim()) else {
        return Err(UiError::invalid(
            "signup_id",
            "This confirmation link is broken. Sign up again for a new code.",
        ));
    };
    let (user, workspace) =
        bastion_core::signups::confirm(&ctx.pool, &ctx.keys, id, code.expose()).await?;
    crate::server::start_session(user.id).await?;
    leptos_axum::redirect(&format!("/w/{}", workspace.slug));
    Ok(())
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<StartSignUp>::new();
    let error = action_error(action);
    view! {
        <Title text="Sign up — Bastion"/>
        <section class="card narrow" aria-labelledby="sign-up-title">
            <h1 id="sign-up-title">"Create your workspace"</h1>
            <p class="muted">"We will email you a 6-digit code to confirm your address. Nothing is created before that."</p>
            <ActionForm action=action attr:class="form">
                <label for="name">"Your name"</label>
                <input id="name" name="name" autocomplete="name" maxlength="100" required/>
                <label for="email">"Work email"</label>
                <input id="email" name="email" type="email" autocomplete="email" required/>
                <label for="workspace_name">"Workspace name"</label>
                <input id="workspace_name" name="workspace_name" maxlength="100" placeholder="e.g. Acme Engineering" required/>
                <label for="password">"Password (at least 12 characters)"</label>
                <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required/>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Sending the code…" } else { "Send me a code" }}
                </button>
            </ActionForm>
            <p class="muted">"Already have an account? " <A href="/sign-in">"Sign in"</A></p>
        </section>
    }
}

#[component]
pub fn ConfirmSignUpPage() -> impl IntoView {
    let query = use_query_map();
    let signup_id = move || query.read().get("id").unwrap_or_default();
    let action = ServerAction::<ConfirmSignUp>::new();
    let error = action_error(action);
    view! {
        <Title text="Confirm your email — Bastion"/>
        <section class="card narrow" aria-labelledby="confirm-title">
            <h1 id="confirm-title">"Check your email"</h1>
            <p>"We sent you a 6-digit code. It works once, for 15 minutes."</p>
            <ActionForm action=action attr:class="form">
                <input type="hidden" name="signup_id" value=signup_id/>
                <label for="code">"Code from the email"</label>
                <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus/>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating your workspace…" } else { "Confirm and create" }}
                </button>
            </ActionForm>
            <p class="muted">"No email? Check the spam folder, or " <A href="/sign-up">"sign up again"</A> " for a new code."</p>
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

/// What every door says when an invitation link is used, withdrawn or expired.
#[cfg(feature = "ssr")]
const LINK_GONE: &str = "This invitation link is not valid any more: it was used, withdrawn or has expired. Ask for a new one.";

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
        bastion_core::CoreError::NotFound(_) => UiError::not_found(LINK_GONE),
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
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = action_error(accept);
    view! {
        <Title text="Invitation — Bastion"/>
        <Suspense fallback=|| view! { <p>"Loading the invitation…"</p> }>
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
                                    <button type="submit" class="button">"Join " {invite.workspace_name.clone()}</button>
                                </ActionForm>
                            }.into_any(),
                            (Some(me), _) => view! {
                                <p class="form-error" role="alert">
                                    "You are signed in as " {me.clone()} ", but this invitation is for "
                                    {invite.email.clone()} ". Sign out, then sign in with that address to accept it."
                                </p>
                            }.into_any(),
                            (None, true) => view! {
                                <p>"You already have an account with " {invite.email.clone()} "."</p>
                                <a class="button" href=format!("/sign-in?next={next}")>"Sign in to accept"</a>
                            }.into_any(),
                            (None, false) => view! {
                                <ActionForm action=accept attr:class="form">
                                    <input type="hidden" name="token" value=token.clone()/>
                                    <label for="invite-email">"Email"</label>
                                    <input id="invite-email" type="email" value=invite.email.clone() readonly/>
                                    <label for="name">"Your name"</label>
                                    <input id="name" name="name" autocomplete="name" maxlength="100" required/>
                                    <label for="password">"Choose a password (at least 12 characters)"</label>
                                    <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required/>
                                    <button type="submit" class="button">"Create account and join"</button>
                                </ActionForm>
                            }.into_any(),
                        };
                        view! {
                            <section class="card narrow" aria-labelledby="invite-title">
                                <h1 id="invite-title">"Join " {workspace_name}</h1>
                                <p>"You are invited as " <strong>{role}</strong> " (" {email} ")."</p>
                                {body}
                                <FormError error=error/>
                            </section>
                        }.into_any()
                    }
                    Ok(None) => view! {
                        <section class="card narrow">
                            <h1>"This invitation is not valid any more"</h1>
                            <p>"It was used, withdrawn, or it expired (links work for 7 days). Ask the person who invited you for a new one."</p>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
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
    let action = ServerAction::<CreateWorkspace>::new();
    let error = action_error(action);
    view! {
        <Title text="New workspace — Bastion"/>
        <section class="card narrow" aria-labelledby="new-ws-title">
            <h1 id="new-ws-title">"New workspace"</h1>
            <p class="muted">"A workspace keeps its projects, tasks and files apart from every other, in its own database schema. You become its admin."</p>
            <ActionForm action=action attr:class="form">
                <label for="ws-name">"Name"</label>
                <input id="ws-name" name="name" maxlength="100" required/>
                <label for="ws-slug">"Address (optional)"</label>
                <input id="ws-slug" name="slug" maxlength="40" pattern="[a-z0-9]([a-z0-9-]*[a-z0-9])?" aria-describedby="ws-slug-help"/>
                <p id="ws-slug-help" class="muted small">"Lower-case letters, digits and hyphens; made from the name when empty."</p>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Create workspace"</button>
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
    view! {
        <nav class="topnav" aria-label="Account">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(me)) => view! {
                            <details class="switcher">
                                <summary>"Workspaces"</summary>
                                <ul class="switcher-list">
                                    {me.workspaces.into_iter().map(|(slug, name)| view! {
                                        <li><a href=format!("/w/{slug}")>{name}</a></li>
                                    }).collect_view()}
                                    <li><a href="/workspaces/new">"+ New workspace"</a></li>
                                </ul>
                            </details>
                            <a href="/account">{me.name}</a>
                        }.into_any(),
                        _ => view! {
                            <a href="/sign-in">"Sign in"</a>
                            <a href="/sign-up" class="button small">"Sign up"</a>
                        }.into_any(),
                    }
                })}
            </Transition>
        </nav>
    }
}
