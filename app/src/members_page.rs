//! The members page of a workspace: everyone who may list members sees it; only admins get the
//! controls (the same policy functions the server enforces).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::policy::{self, Role};
use crate::time::WorkspaceNav;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembersView {
    pub workspace_name: String,
    pub my_role: Role,
    pub me: String,
    pub members: Vec<MemberRow>,
}

#[server(prefix = "/api/fn", endpoint = "members")]
pub async fn load_members(slug: String) -> Result<MembersView, ServerFnError> {
    use crate::server::{context, internal, set_status};
    let ctx = context()?;
    let (user, workspace, role, mut tx) = crate::server::open_workspace(&slug).await?;
    if !policy::can_list_members(role) {
        set_status(http::StatusCode::FORBIDDEN);
        return Err(ServerFnError::new("Guests cannot see the member list."));
    }
    let records = bastion_core::members::list_members(&mut tx)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    let mut members = Vec::new();
    for r in records {
        let person = bastion_core::accounts::find_user(&ctx.pool, r.user_id)
            .await
            .map_err(internal)?;
        let (name, email) = person.map(|p| (p.name, p.email)).unwrap_or_default();
        members.push(MemberRow {
            user_id: r.user_id.to_string(),
            name,
            email,
            role: Role::parse(&r.role).unwrap_or(Role::Guest),
            active: r.active,
        });
    }
    Ok(MembersView {
        workspace_name: workspace.name,
        my_role: role,
        me: user.id.to_string(),
        members,
    })
}

#[server(prefix = "/api/fn", endpoint = "change_member")]
pub async fn change_member(
    slug: String,
    user_id: String,
    role: Option<String>,
    active: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::server::{internal, set_status};
    let (_, workspace, my_role, mut tx) = crate::server::open_workspace(&slug).await?;
    if !policy::can_manage_members(my_role) {
        set_status(http::StatusCode::FORBIDDEN);
        return Err(ServerFnError::new("Only workspace admins manage members."));
    }
    let target = uuid_or_404(&user_id)?;
    let active = active.map(|a| a == "true");
    if let Err(e) =
        bastion_core::members::update_member(&mut tx, target, role.as_deref(), active).await
    {
        return Err(explain(e));
    }
    tx.commit().await.map_err(internal)?;
    if active == Some(false) {
        let pool = &crate::server::context()?.pool;
        bastion_core::sessions::end_if_only_for(pool, target, workspace.id)
            .await
            .map_err(internal)?;
    }
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "remove_member")]
pub async fn remove_member(slug: String, user_id: String) -> Result<(), ServerFnError> {
    use crate::server::{context, internal, set_status};
    let ctx = context()?;
    let (user, workspace, my_role, tx) = crate::server::open_workspace(&slug).await?;
    tx.rollback().await.map_err(internal)?;
    if !policy::can_manage_members(my_role) {
        set_status(http::StatusCode::FORBIDDEN);
        return Err(ServerFnError::new("Only workspace admins manage members."));
    }
    let target = uuid_or_404(&user_id)?;
    bastion_core::members::remove_member(
        &ctx.pool,
        &workspace,
        target,
        bastion_core::Actor::User(user.id),
    )
    .await
    .map_err(explain)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub id: String,
    pub email: String,
    pub role: String,
    /// Brussels-independent: the UTC date the link stops working.
    pub expires: String,
}

#[server(prefix = "/api/fn", endpoint = "invitations")]
pub async fn load_invitations(slug: String) -> Result<Vec<InvitationRow>, ServerFnError> {
    use crate::server::{context, internal, set_status};
    let ctx = context()?;
    let (_, workspace, role, tx) = crate::server::open_workspace(&slug).await?;
    tx.rollback().await.map_err(internal)?;
    if !policy::can_manage_members(role) {
        set_status(http::StatusCode::FORBIDDEN);
        return Err(ServerFnError::new("Only workspace admins see invitations."));
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Ok(bastion_core::invitations::list_open(&ctx.pool, &workspace)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|i| InvitationRow {
            id: i.id.to_string(),
            email: i.email,
            role: i.role,
            expires: i.expires_at.format(&format).unwrap_or_default(),
        })
        .collect())
}

#[server(prefix = "/api/fn", endpoint = "invite_member")]
pub async fn invite_member(
    slug: String,
    email: String,
    role: String,
) -> Result<String, ServerFnError> {
    use crate::server::{context, internal, set_status};
    let ctx = context()?;
    let (user, workspace, my_role, tx) = crate::server::open_workspace(&slug).await?;
    tx.rollback().await.map_err(internal)?;
    if !policy::can_manage_members(my_role) {
        set_status(http::StatusCode::FORBIDDEN);
        return Err(ServerFnError::new("Only workspace admins invite people."));
    }
    let invitation =
        bastion_core::invitations::invite(&ctx.pool, &workspace, &user, &email, &role, &ctx.origin)
            .await
            .map_err(explain)?;
    Ok(format!("Invitation sent to {}.", invitation.email))
}

#[server(prefix = "/api/fn", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(slug: String, id: String) -> Result<(), ServerFnError> {
    use crate::server::{context, internal, set_status};
    let ctx = context()?;
    let (_, workspace, my_role, tx) = crate::server::open_workspace(&slug).await?;
    tx.rollback().await.map_err(internal)?;
    if !policy::can_manage_members(my_role) {
        set_status(http::StatusCode::FORBIDDEN);
        return Err(ServerFnError::new(
            "Only workspace admins manage invitations.",
        ));
    }
    let id = uuid::Uuid::parse_str(&id).map_err(|_| {
        set_status(http::StatusCode::NOT_FOUND);
        ServerFnError::new("No such invitation.")
    })?;
    bastion_core::invitations::revoke(&ctx.pool, &workspace, id)
        .await
        .map_err(explain)
}

#[cfg(feature = "ssr")]
fn uuid_or_404(text: &str) -> Result<uuid::Uuid, ServerFnError> {
    uuid::Uuid::parse_str(text).map_err(|_| {
        crate::server::set_status(http::StatusCode::NOT_FOUND);
        ServerFnError::new("No such member.")
    })
}

/// The person-facing message for what the service refused.
#[cfg(feature = "ssr")]
fn explain(err: bastion_core::CoreError) -> ServerFnError {
    use crate::server::set_status;
    use bastion_core::CoreError;
    match err {
        CoreError::LastAdmin => {
            set_status(http::StatusCode::CONFLICT);
            ServerFnError::new(LAST_ADMIN)
        }
        CoreError::NotFound(what) => {
            set_status(http::StatusCode::NOT_FOUND);
            ServerFnError::new(format!("No such {what}."))
        }
        CoreError::Invalid { field, message } => {
            set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
            let what = match field {
                "email" => "The email",
                "role" => "The role",
                _ => field,
            };
            ServerFnError::new(format!("{what} {message}."))
        }
        CoreError::Conflict { message, .. } => {
            set_status(http::StatusCode::CONFLICT);
            ServerFnError::new(message)
        }
        other => crate::server::internal(other),
    }
}

/// Shown when the last-admin safeguard refuses, saying what to do instead.
#[cfg(feature = "ssr")]
pub const LAST_ADMIN: &str = "This is the workspace's last active admin. Make another member an admin first, then change or remove this one.";

use crate::account::human as message;

#[component]
pub fn MembersPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let change = ServerAction::<ChangeMember>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let data = Resource::new(
        move || (slug(), change.version().get(), remove.version().get()),
        |(slug, _, _)| load_members(slug),
    );
    let failure = move || {
        change
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| remove.value().get().and_then(|r| r.err()))
            .map(|e| message(&e))
    };

    view! {
        <Title text="Members — Bastion"/>
        <Suspense fallback=|| view! { <p>"Loading members…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! {
                        <section class="card narrow">
                            <h1>"Members"</h1>
                            <p class="form-error" role="alert">{message(&e)}</p>
                        </section>
                    }.into_any(),
                    Ok(view) => {
                        let admin = policy::can_manage_members(view.my_role);
                        let slug = slug();
                        let me = view.me.clone();
                        view! {
                            <section class="card" aria-labelledby="members-title">
                                <h1 id="members-title">"Members of " {view.workspace_name.clone()}</h1>
                                <WorkspaceNav slug=slug.clone() role=view.my_role current="members"/>
                                <Show when=move || failure().is_some()>
                                    <p class="form-error" role="alert">{failure}</p>
                                </Show>
                                <table class="table">
                                    <thead><tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Status"</th>
                                        {admin.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                                    </tr></thead>
                                    <tbody>
                                        {view.members.into_iter().map(|m| {
                                            let (slug_role, slug_toggle, slug_remove) = (slug.clone(), slug.clone(), slug.clone());
                                            let (id_role, id_toggle, id_remove) = (m.user_id.clone(), m.user_id.clone(), m.user_id.clone());
                                            let current_role = m.role;
                                            let label = format!("Role of {}", m.name);
                                            let is_me = m.user_id == me;
                                            view! {
                                                <tr>
                                                    <td>{m.name.clone()}{is_me.then_some(" (you)")}</td>
                                                    <td>{m.email.clone()}</td>
                                                    <td>
                                                        {if admin {
                                                            view! {
                                                                <ActionForm action=change attr:class="inline-form">
                                                                    <input type="hidden" name="slug" value=slug_role.clone()/>
                                                                    <input type="hidden" name="user_id" value=id_role.clone()/>
                                                                    <select name="role" aria-label=label.clone()>
                                                                        {[Role::Admin, Role::Member, Role::Guest].into_iter().map(|r| view! {
                                                                            <option value=r.as_str() selected=r == current_role>{r.as_str()}</option>
                                                                        }).collect_view()}
                                                                    </select>
                                                                    <button type="submit" class="button small">"Save role"</button>
                                                                </ActionForm>
                                                            }.into_any()
                                                        } else {
                                                            view! { <span>{m.role.as_str()}</span> }.into_any()
                                                        }}
                                                    </td>
                                                    <td>{if m.active { "active" } else { "deactivated" }}</td>
                                                    {admin.then(|| {
                                                        let next = if m.active { "false" } else { "true" };
                                                        let toggle = if m.active { "Deactivate" } else { "Reactivate" };
                                                        view! {
                                                            <td class="actions">
                                                                <ActionForm action=change attr:class="inline-form">
                                                                    <input type="hidden" name="slug" value=slug_toggle.clone()/>
                                                                    <input type="hidden" name="user_id" value=id_toggle.clone()/>
                                                                    <input type="hidden" name="active" value=next/>
                                                                    <button type="submit" class="button small secondary">{toggle}</button>
                                                                </ActionForm>
                                                                <RemoveButton action=remove slug=slug_remove.clone() user_id=id_remove.clone() name=m.name.clone()/>
                                                            </td>
                                                        }
                                                    })}
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                            {admin.then(|| view! { <InvitationsPanel slug=slug.clone()/> })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Removing someone takes two steps: the first click asks, the second removes.
#[component]
fn RemoveButton(
    action: ServerAction<RemoveMember>,
    slug: String,
    user_id: String,
    name: String,
) -> impl IntoView {
    let (asking, set_asking) = signal(false);
    move || {
        if asking.get() {
            let (slug, user_id, name) = (slug.clone(), user_id.clone(), name.clone());
            view! {
                <ActionForm action=action attr:class="inline-form confirm">
                    <input type="hidden" name="slug" value=slug/>
                    <input type="hidden" name="user_id" value=user_id/>
                    <span role="status">"Remove " {name} " from this workspace?"</span>
                    <button type="submit" class="button small danger">"Yes, remove"</button>
                    <button type="button" class="button small secondary" on:click=move |_| set_asking.set(false)>"Cancel"</button>
                </ActionForm>
            }
            .into_any()
        } else {
            view! {
                <button type="button" class="button small danger" aria-label=format!("Remove {name}") on:click=move |_| set_asking.set(true)>"Remove"</button>
            }
            .into_any()
        }
    }
}

/// Admins invite people by email and see the invitations still open.
#[component]
fn InvitationsPanel(slug: String) -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let slug_for_load = slug.clone();
    let open = Resource::new(
        move || (invite.version().get(), revoke.version().get()),
        move |_| load_invitations(slug_for_load.clone()),
    );
    let outcome = move || {
        invite.value().get().map(|r| match r {
            Ok(text) => (false, text),
            Err(e) => (true, message(&e)),
        })
    };
    let revoke_error = move || {
        revoke
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| message(&e))
    };
    let slug_form = slug.clone();
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite people"</h2>
            <ActionForm action=invite attr:class="form inline-fields">
                <input type="hidden" name="slug" value=slug_form/>
                <div class="field">
                    <label for="invite-email">"Email"</label>
                    <input id="invite-email" name="email" type="email" required/>
                </div>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role">
                        <option value="member" selected>"member"</option>
                        <option value="guest">"guest"</option>
                        <option value="admin">"admin"</option>
                    </select>
                </div>
                <button type="submit" class="button" disabled=move || invite.pending().get()>"Send invitation"</button>
            </ActionForm>
            {move || outcome().map(|(failed, text)| if failed {
                view! { <p class="form-error" role="alert">{text}</p> }.into_any()
            } else {
                view! { <p role="status">{text}</p> }.into_any()
            })}
            <h3>"Open invitations"</h3>
            <Show when=move || revoke_error().is_some()>
                <p class="form-error" role="alert">{revoke_error}</p>
            </Show>
            <Suspense fallback=|| view! { <p>"Loading invitations…"</p> }>
                {move || {
                    let slug = slug.clone();
                    Suspend::new(async move {
                        match open.await {
                            Ok(rows) if rows.is_empty() => view! {
                                <p class="muted">"No open invitations. Invited people appear here until they accept."</p>
                            }.into_any(),
                            Ok(rows) => view! {
                                <ul class="plain-list">
                                    {rows.into_iter().map(|row| {
                                        let slug = slug.clone();
                                        view! {
                                            <li>
                                                <strong>{row.email.clone()}</strong> " as " {row.role.clone()}
                                                <span class="muted">" · link valid until " {row.expires.clone()}</span>
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="slug" value=slug/>
                                                    <input type="hidden" name="id" value=row.id.clone()/>
                                                    <button type="submit" class="button small secondary" aria-label=format!("Withdraw the invitation for {}", row.email)>"Withdraw"</button>
                                                </ActionForm>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <p class="form-error" role="alert">{message(&e)}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}
