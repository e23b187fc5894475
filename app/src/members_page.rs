//! The members page of a workspace: everyone who may list members sees it; only admins get the
//! controls (the same policy functions the server enforces).

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::error::{action_error, action_outcome, FormError, FormOutcome, LoadedPage};
use crate::policy::{self, Role};
use crate::table::Table;
use crate::url::route_param;
use crate::work::WorkNav;
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    /// Whether they have two-factor sign-in on; told to admins only.
    pub two_factor: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembersView {
    pub workspace_name: String,
    pub my_role: Role,
    /// The caller's unread notices, for the workspace's navigation.
    pub unread: i64,
    pub me: String,
    pub members: Vec<MemberRow>,
}

#[server(prefix = "/api/fn", endpoint = "members")]
pub async fn load_members(slug: String) -> Result<MembersView, UiError> {
    let ctx = crate::server::context()?;
    let mut opened = crate::server::open(&slug).await?;
    let records = bastion_core::members::list(&mut opened.tx, opened.viewer).await?;
    let unread =
        bastion_core::work::notifications::unread_count(&mut opened.tx, &opened.viewer).await?;
    opened.tx.commit().await?;
    // Core decides who may see who has two-factor on; the others are shown no column.
    let ids: Vec<uuid::Uuid> = records.iter().map(|r| r.user_id).collect();
    let two_factor =
        match bastion_core::members::with_two_factor(&ctx.pool, opened.viewer, &ids).await {
            Ok(on) => Some(on),
            Err(bastion_core::CoreError::Forbidden(_)) => None,
            Err(e) => return Err(e.into()),
        };
    let mut members = Vec::new();
    for r in records {
        // Users live in the control plane, which the tenant transaction cannot see.
        let person = bastion_core::accounts::find_user(&ctx.pool, r.user_id).await?;
        let (name, email) = person.map(|p| (p.name, p.email)).unwrap_or_default();
        members.push(MemberRow {
            user_id: r.user_id.to_string(),
            name,
            email,
            role: Role::parse(&r.role).unwrap_or(Role::Guest),
            active: r.active,
            two_factor: two_factor.as_ref().map(|on| on.contains(&r.user_id)),
        });
    }
    Ok(MembersView {
        workspace_name: opened.workspace.name,
        my_role: opened.viewer.role,
        unread,
        me: opened.user.id.to_string(),
        members,
    })
}

#[server(prefix = "/api/fn", endpoint = "change_member")]
pub async fn change_member(
    slug: String,
    user_id: String,
    role: Option<String>,
    active: Option<String>,
) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let mut opened = crate::server::open(&slug).await?;
    let target = uuid_or_404(&user_id)?;
    let active = active.map(|a| a == "true");
    let record = bastion_core::members::update_member(
        &mut opened.tx,
        opened.viewer,
        target,
        role.as_deref(),
        active,
    )
    .await?;
    opened.tx.commit().await?;
    if active == Some(false) {
        bastion_core::sessions::end_if_only_for(&ctx.pool, target, opened.workspace.id).await?;
    }
    let t = crate::use_t();
    let name = bastion_core::accounts::find_user(&ctx.pool, target)
        .await?
        .map(|p| p.name)
        .unwrap_or_else(|| t.the_member().into());
    // Said back, so the person who pressed the button sees that it took.
    Ok(match active {
        Some(false) => t.member_deactivated(name),
        Some(true) => t.member_reactivated(name),
        None => match record.role.as_str() {
            "admin" => t.member_now_admin(name),
            "guest" => t.member_now_guest(name),
            _ => t.member_now_member(name),
        },
    })
}

#[server(prefix = "/api/fn", endpoint = "remove_member")]
pub async fn remove_member(slug: String, user_id: String) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let target = uuid_or_404(&user_id)?;
    bastion_core::members::remove_member(&ctx.pool, &opened.workspace, opened.viewer, target)
        .await?;
    Ok(())
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
pub async fn load_invitations(slug: String) -> Result<Vec<InvitationRow>, UiError> {
    let ctx = crate::server::context()?;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let locale = crate::use_t().0;
    Ok(
        bastion_core::invitations::list_open(&ctx.pool, &opened.workspace, opened.viewer)
            .await?
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id.to_string(),
                email: i.email,
                role: i.role,
                expires: crate::i18n::format_date(
                    locale,
                    i.expires_at.year(),
                    i.expires_at.month() as u8,
                    i.expires_at.day(),
                ),
            })
            .collect(),
    )
}

#[server(prefix = "/api/fn", endpoint = "invite_member")]
pub async fn invite_member(slug: String, email: String, role: String) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let invitation = bastion_core::invitations::invite(
        &ctx.pool,
        &ctx.keys,
        &opened.workspace,
        opened.viewer,
        &opened.user,
        bastion_core::invitations::Invitee {
            email: &email,
            role: &role,
        },
        &ctx.origin,
    )
    .await?;
    Ok(crate::use_t().invitation_sent(invitation.email))
}

#[server(prefix = "/api/fn", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(slug: String, id: String) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| UiError::not_found(crate::use_t().no_such_invitation()))?;
    bastion_core::invitations::revoke(&ctx.pool, &opened.workspace, opened.viewer, id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
fn uuid_or_404(text: &str) -> Result<uuid::Uuid, UiError> {
    uuid::Uuid::parse_str(text).map_err(|_| UiError::not_found(crate::use_t().no_such_member()))
}

#[component]
pub fn MembersPage() -> impl IntoView {
    let slug = route_param("slug");
    let change = crate::error::server_action::<ChangeMember>();
    let remove = crate::error::server_action::<RemoveMember>();
    let data = Resource::new(
        move || (slug(), change.version().get(), remove.version().get()),
        |(slug, _, _)| load_members(slug),
    );
    let (change_error, remove_error) = (action_error(change), action_error(remove));
    let failure = move || change_error().or_else(remove_error);
    let notice = RwSignal::new(change.value().get_untracked().and_then(Result::ok));

    let t = crate::use_t();
    let page = move |view: MembersView| {
        let admin = policy::can_manage_members(view.my_role);
        let slug = slug();
        let me = view.me.clone();
        let active_admins = view
            .members
            .iter()
            .filter(|m| m.active && m.role == Role::Admin)
            .count();
        let invitations = admin.then(|| view! { <InvitationsPanel slug=slug.clone()/> });
        view! {
            <leptos_meta::Title text=crate::work::raw_text(&t.workspace_page_title(t.nav_members(), &view.workspace_name))/>
            <WorkNav slug=slug.clone() role=view.my_role unread=view.unread current="members"/>
            <section class="card" aria-labelledby="members-title">
                <h1 id="members-title">{t.members_heading(view.workspace_name.clone())}</h1>
                <FormError error=failure/>
                <Table class="table" heads={
                    let mut heads = vec![t.field_name(), t.field_email(), t.col_role(), t.col_status()];
                    if admin {
                        heads.push(t.col_two_factor());
                    }
                    heads
                } actions=admin>
                    {view.members.into_iter().map(|m| {
                        let (slug_role, slug_toggle, slug_remove) = (slug.clone(), slug.clone(), slug.clone());
                        let (id_role, id_toggle, id_remove) = (m.user_id.clone(), m.user_id.clone(), m.user_id.clone());
                        let current_role = m.role;
                        let label = t.role_of(&m.name);
                        let is_me = m.user_id == me;
                        view! {
                            <tr>
                                <td data-label=t.field_name()>{m.name.clone()}{is_me.then(|| format!(" {}", t.you_suffix()))}</td>
                                <td data-label=t.field_email()>{m.email.clone()}</td>
                                <td data-label=t.col_role()>
                                    {if admin {
                                        view! {
                                            <ActionForm action=change attr:class="inline-form">
                                                <input type="hidden" name="slug" value=slug_role.clone()/>
                                                <input type="hidden" name="user_id" value=id_role.clone()/>
                                                <select name="role" aria-label=label.clone()>
                                                    {[Role::Admin, Role::Member, Role::Guest].into_iter().map(|r| view! {
                                                        <option value=r.as_str() selected=r == current_role>{crate::i18n::role_name(t, r.as_str()).to_owned()}</option>
                                                    }).collect_view()}
                                                </select>
                                                <button type="submit" class="button small">{t.save_role()}</button>
                                            </ActionForm>
                                        }.into_any()
                                    } else {
                                        view! { <span>{crate::i18n::role_name(t, m.role.as_str()).to_owned()}</span> }.into_any()
                                    }}
                                </td>
                                <td data-label=t.col_status()>{if m.active { t.status_active() } else { t.status_deactivated() }}</td>
                                {m.two_factor.map(|on| view! {
                                    <td data-label=t.col_two_factor() data-testid="two-factor">{if on { t.two_factor_is_on() } else { t.two_factor_is_off() }}</td>
                                })}
                                {admin.then(|| {
                                    let next = if m.active { "false" } else { "true" };
                                    let toggle = if m.active { t.deactivate() } else { t.reactivate() };
                                    // The only active admin can be neither deactivated nor removed:
                                    // the buttons are not offered rather than refused.
                                    let may_leave = !policy::leaves_no_admin(
                                        active_admins,
                                        m.active && m.role == Role::Admin,
                                        false,
                                    );
                                    view! {
                                        <td class="actions" data-label=t.col_actions()>
                                            {may_leave.then(|| view! {
                                                <ActionForm action=change attr:class="inline-form">
                                                    <input type="hidden" name="slug" value=slug_toggle.clone()/>
                                                    <input type="hidden" name="user_id" value=id_toggle.clone()/>
                                                    <input type="hidden" name="active" value=next/>
                                                    <button type="submit" class="button small secondary">{toggle}</button>
                                                </ActionForm>
                                                <RemoveButton action=remove slug=slug_remove.clone() user_id=id_remove.clone() name=m.name.clone()/>
                                            })}
                                            {(!may_leave).then(|| view! {
                                                <span class="muted small">{t.only_admin()}</span>
                                            })}
                                        </td>
                                    }
                                })}
                            </tr>
                        }
                    }).collect_view()}
                </Table>
            </section>
            {invitations}
        }
    };
    view! {
        <Title text=t.members_title()/>
        <crate::work::Notice notice/>
        <LoadedPage title=t.nav_members() loading=t.members_loading() data page/>
    }
}

/// Removing someone takes two steps: "Remove" opens the question, its button removes. A
/// `<details>`, so both steps work without script; "Remove" again closes it.
#[component]
fn RemoveButton(
    action: ServerAction<RemoveMember>,
    slug: String,
    user_id: String,
    name: String,
) -> impl IntoView {
    let t = crate::use_t();
    view! {
        <details class="remove-member">
            <summary class="button small danger" aria-label=t.remove_label(&name)>{t.remove()}</summary>
            <ActionForm action=action attr:class="inline-form confirm">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="user_id" value=user_id/>
                <span>{t.remove_confirm(name)}</span>
                <button type="submit" class="button small danger">{t.yes_remove()}</button>
            </ActionForm>
        </details>
    }
}

/// Admins invite people by email and see the invitations still open.
#[component]
fn InvitationsPanel(slug: String) -> impl IntoView {
    let invite = crate::error::server_action::<InviteMember>();
    let revoke = crate::error::server_action::<RevokeInvitation>();
    let slug_for_load = slug.clone();
    let open = Resource::new(
        move || (invite.version().get(), revoke.version().get()),
        move |_| load_invitations(slug_for_load.clone()),
    );
    let outcome = action_outcome(invite);
    let revoke_error = action_error(revoke);
    let slug_form = slug.clone();
    let t = crate::use_t();
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">{t.invite_people()}</h2>
            <ActionForm action=invite attr:class="form inline-fields">
                <input type="hidden" name="slug" value=slug_form/>
                <div class="field">
                    <label for="invite-email">{t.field_email()}</label>
                    <input id="invite-email" name="email" type="email" required/>
                </div>
                <div class="field">
                    <label for="invite-role">{t.col_role()}</label>
                    <select id="invite-role" name="role">
                        <option value="member" selected>{t.role_member()}</option>
                        <option value="guest">{t.role_guest()}</option>
                        <option value="admin">{t.role_admin()}</option>
                    </select>
                </div>
                <button type="submit" class="button" disabled=move || invite.pending().get()>{t.send_invitation()}</button>
            </ActionForm>
            <FormOutcome outcome/>
            <h3>{t.open_invitations()}</h3>
            <FormError error=revoke_error/>
            <Suspense fallback=move || view! { <p>{t.invitations_loading()}</p> }>
                {move || {
                    let slug = slug.clone();
                    Suspend::new(async move {
                        match open.await {
                            Ok(rows) if rows.is_empty() => view! {
                                <p class="muted">{t.invitations_empty()}</p>
                            }.into_any(),
                            Ok(rows) => view! {
                                <ul class="plain-list">
                                    {rows.into_iter().map(|row| {
                                        let slug = slug.clone();
                                        view! {
                                            <li>
                                                <strong>{row.email.clone()}</strong> " " {t.invitation_as(crate::i18n::role_name(t, &row.role))}
                                                <span class="muted">" · " {t.invitation_valid_until(row.expires.clone())}</span>
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="slug" value=slug/>
                                                    <input type="hidden" name="id" value=row.id.clone()/>
                                                    <button type="submit" class="button small secondary" aria-label=t.withdraw_label(&row.email)>{t.withdraw()}</button>
                                                </ActionForm>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <p class="form-error" role="alert">{e.message(t)}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}
