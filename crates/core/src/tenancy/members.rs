//! A workspace's members: roles, deactivation, removal, and the last-admin safeguard.

use serde::Serialize;
use sqlx::{pool::PoolConnection, PgPool, Postgres};
use time::OffsetDateTime;
use uuid::Uuid;

use bastion_policy as policy;

pub use crate::tenant::Access;
use crate::{
    ensure, tenant::Actor, workspaces::Workspace, CoreError, CoreResult, TenantTx, Viewer,
};

/// The refusals of member management, one sentence for every door.
pub const ADMINS_MANAGE_MEMBERS: &str = "Only workspace admins manage members.";
pub const GUESTS_CANNOT_LIST: &str = "Guests cannot list members.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MemberRecord {
    pub user_id: Uuid,
    pub role: String,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
}

fn check_role(role: &str) -> CoreResult<()> {
    if matches!(role, "admin" | "member" | "guest") {
        Ok(())
    } else {
        Err(CoreError::invalid("role", "must be admin, member or guest"))
    }
}

/// The member list as `viewer` may read it: admins and members, not guests.
pub async fn list(tx: &mut TenantTx, viewer: Viewer) -> CoreResult<Vec<MemberRecord>> {
    ensure(policy::can_list_members(viewer.role), GUESTS_CANNOT_LIST)?;
    list_members(tx).await
}

/// Which of `user_ids` have two-factor sign-in on (an authenticator app or a passkey), for the members page; admins only (they
/// decide whether the workspace requires it, and whom to remind).
pub async fn with_two_factor(
    pool: &PgPool,
    viewer: Viewer,
    user_ids: &[Uuid],
) -> CoreResult<std::collections::HashSet<Uuid>> {
    ensure(
        policy::can_manage_members(viewer.role),
        ADMINS_MANAGE_MEMBERS,
    )?;
    let on: Vec<Uuid> = sqlx::query_scalar(
        "SELECT user_id FROM user_totp WHERE user_id = ANY($1) AND confirmed_at IS NOT NULL
         UNION SELECT user_id FROM passkeys WHERE user_id = ANY($1)",
    )
    .bind(user_ids)
    .fetch_all(pool)
    .await?;
    Ok(on.into_iter().collect())
}

/// Every member, unchecked: for pickers and lookups whose own action decided who may see them.
pub async fn list_members(tx: &mut TenantTx) -> CoreResult<Vec<MemberRecord>> {
    Ok(sqlx::query_as::<_, MemberRecord>(
        "SELECT user_id, role, active, joined_at FROM members ORDER BY joined_at, user_id",
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Refuses a change that would leave no active admin. Locks every active admin row first, so
/// two admins demoting each other at the same moment are serialised: the second sees the first's
/// change (PostgreSQL re-checks locked rows) and is refused.
async fn ensure_not_last_admin(
    tx: &mut TenantTx,
    target: Uuid,
    stays_admin: bool,
) -> CoreResult<()> {
    // Every member change passes here before it locks a row; its event is written under this
    // lock (`live::lock_events` says why it is taken first).
    crate::live::lock_events(tx).await?;
    if stays_admin {
        return Ok(());
    }
    let admins: Vec<Uuid> = sqlx::query_scalar(
        "SELECT user_id FROM members WHERE role = 'admin' AND active ORDER BY user_id FOR UPDATE",
    )
    .fetch_all(tx.conn())
    .await?;
    if policy::leaves_no_admin(admins.len(), admins.contains(&target), stays_admin) {
        return Err(CoreError::LastAdmin);
    }
    Ok(())
}

/// Makes `user_id` an active member with `role`, whether they are new, deactivated or already
/// in (then their role is replaced): the one statement behind `accounts::add_member` and
/// accepting an invitation. Replacing the last active admin's role goes through the same
/// last-admin check as a demotion, or re-adding that admin as a member would bypass it.
pub(crate) async fn put_member(tx: &mut TenantTx, user_id: Uuid, role: &str) -> CoreResult<()> {
    check_role(role)?;
    ensure_not_last_admin(tx, user_id, role == "admin").await?;
    sqlx::query(
        "INSERT INTO members (user_id, role) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET role = EXCLUDED.role, active = true",
    )
    .bind(user_id)
    .bind(role)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Changes a member's role and/or active flag; admins only. After a deactivation is committed,
/// the caller ends the member's sessions if this was their only workspace
/// (`sessions::end_if_only_for`): sessions live outside the workspace's transaction.
pub async fn update_member(
    tx: &mut TenantTx,
    viewer: Viewer,
    user_id: Uuid,
    role: Option<&str>,
    active: Option<bool>,
) -> CoreResult<MemberRecord> {
    ensure(
        policy::can_manage_members(viewer.role),
        ADMINS_MANAGE_MEMBERS,
    )?;
    if let Some(role) = role {
        check_role(role)?;
    }
    let current: Option<MemberRecord> =
        sqlx::query_as("SELECT user_id, role, active, joined_at FROM members WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(tx.conn())
            .await?;
    let current = current.ok_or(CoreError::NotFound("member"))?;
    let new_role = role.unwrap_or(&current.role);
    let new_active = active.unwrap_or(current.active);
    ensure_not_last_admin(tx, user_id, new_role == "admin" && new_active).await?;
    Ok(sqlx::query_as::<_, MemberRecord>(
        "UPDATE members SET role = $2, active = $3 WHERE user_id = $1
         RETURNING user_id, role, active, joined_at",
    )
    .bind(user_id)
    .bind(new_role)
    .bind(new_active)
    .fetch_one(tx.conn())
    .await?)
}

/// Removes a member from the workspace and from the sign-in directory, in one transaction, and
/// ends their sessions if this was their only workspace. Admins only.
pub async fn remove_member(
    pool: &PgPool,
    workspace: &Workspace,
    viewer: Viewer,
    user_id: Uuid,
) -> CoreResult<()> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    ensure(
        policy::can_manage_members(viewer.role),
        ADMINS_MANAGE_MEMBERS,
    )?;
    let actor = Actor::User(viewer.user_id);
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM workspace_directory WHERE workspace_id = $1 AND user_id = $2")
        .bind(workspace.id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let mut tenant = TenantTx::enter(tx, &workspace.schema(), actor).await?;
    ensure_not_last_admin(&mut tenant, user_id, false).await?;
    let removed = sqlx::query("DELETE FROM members WHERE user_id = $1")
        .bind(user_id)
        .execute(tenant.conn())
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(CoreError::NotFound("member"));
    }
    tenant.commit().await?;
    crate::sessions::end_if_only_for(pool, user_id, workspace.id).await?;
    Ok(())
}

/// Opens `slug`'s tenant transaction for `user_id` if they are an active member, with their
/// role read inside it. `None` for an unknown workspace, a stranger or a deactivated member
/// alike: callers answer all three the same way (404).
pub async fn open_as_member(
    pool: &PgPool,
    user_id: Uuid,
    slug: &str,
) -> CoreResult<Option<(Workspace, String, TenantTx)>> {
    // The lookup and the tenant transaction share one checkout.
    let mut conn = pool.acquire().await?;
    let Some(workspace) = crate::workspaces::find_by_slug(&mut *conn, slug).await? else {
        return Ok(None);
    };
    Ok(enter_as_member(pool, conn, user_id, &workspace)
        .await?
        .map(|(role, tx)| (workspace, role, tx)))
}

/// What a request holding a session cookie finds when it asks for a workspace by slug.
// One per request, taken apart at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum SessionEntry {
    /// No live session behind the cookie: signed out.
    SignedOut,
    /// Signed in, but the workspace does not exist or they are not an active member of it:
    /// callers answer both alike (404).
    Outside {
        session: crate::sessions::SessionInfo,
        user: crate::accounts::User,
    },
    /// An active member, with the tenant transaction open as them and their role read in it.
    Member {
        session: crate::sessions::SessionInfo,
        user: crate::accounts::User,
        workspace: Workspace,
        role: String,
        tx: TenantTx,
    },
}

/// The gate of [`enter_as_member`] for a request that names its caller by a session cookie and
/// its workspace by slug, in the fewest round trips: one statement finds the session, the user,
/// the workspace and whether they owe it a second factor, and (with the irrevocable switch)
/// already switches into the workspace's role (`tenant::switch_column`); the next one opens the
/// transaction and reads the membership. The same answers as `sessions::resolve_user_in`
/// followed by [`enter_as_member`], `TwoFactorRequired` included, one round trip fewer.
pub async fn enter_by_session(
    pool: &PgPool,
    mut conn: PoolConnection<Postgres>,
    token: &crate::sessions::SessionToken,
    slug: &str,
    access: Access,
) -> CoreResult<SessionEntry> {
    let switch = prepare_switch(pool, &mut conn).await?;
    let found = crate::sessions::resolve_caller(
        &mut conn,
        token,
        Some(slug),
        switch.as_ref().map(|reset| (reset, access)),
    )
    .await;
    let Some(caller) = found.inspect_err(|_| {
        // Whether the switch took effect before the failure is unknown: never pool it.
        if switch.is_some() {
            conn.close_on_drop();
        }
    })?
    else {
        return Ok(SessionEntry::SignedOut);
    };
    let crate::sessions::Caller {
        session,
        user,
        workspace,
        owes_second_factor,
        switched,
        member_role,
        backend_pid,
    } = caller;
    let Some(workspace) = workspace else {
        return Ok(SessionEntry::Outside { session, user });
    };
    let entered = open_after_lookup(
        pool,
        conn,
        &workspace,
        user.id,
        switch.map(|token| Switched {
            token,
            switched,
            access,
            member_role,
            backend_pid,
        }),
        owes_second_factor,
    )
    .await?;
    match entered {
        Some((role, tx)) => Ok(SessionEntry::Member {
            session,
            user,
            workspace,
            role,
            tx,
        }),
        None => Ok(SessionEntry::Outside { session, user }),
    }
}

/// What a bearer request finds when it asks for a workspace by slug.
// One per request, taken apart at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum TokenEntry {
    /// No live token of that secret.
    Invalid,
    /// Over the token's limit: how long until its window ends.
    Limited(time::Duration),
    /// The path names another workspace than the token's, or its user is no longer an active
    /// member: both 404.
    Outside,
    Member {
        grant: crate::api_tokens::TokenGrant,
        user: crate::accounts::User,
        workspace: Workspace,
        role: String,
        tx: TenantTx,
    },
}

/// [`enter_by_session`] for a bearer request: the token, its user and workspace, its count
/// against `limit` per `window` (shared by every server) and, with the irrevocable switch, the
/// switch into the workspace's role, in one statement (`api_tokens::resolve_counted`); then the
/// transaction and the membership read. A token over its limit or of another workspace than
/// `slug` switches nothing.
pub async fn enter_by_token(
    pool: &PgPool,
    mut conn: PoolConnection<Postgres>,
    token: &str,
    limit: i32,
    window: time::Duration,
    slug: &str,
    access: Access,
) -> CoreResult<TokenEntry> {
    let switch = prepare_switch(pool, &mut conn).await?;
    let found = crate::api_tokens::resolve_counted_switching(
        &mut conn,
        token,
        limit,
        window,
        switch.as_ref().map(|reset| (reset, access, slug)),
    )
    .await;
    let Some(caller) = found.inspect_err(|_| {
        if switch.is_some() {
            conn.close_on_drop();
        }
    })?
    else {
        return Ok(TokenEntry::Invalid);
    };
    if let Err(wait) = caller.counted {
        return Ok(TokenEntry::Limited(wait));
    }
    if caller.workspace.slug != slug {
        return Ok(TokenEntry::Outside);
    }
    let entered = open_after_lookup(
        pool,
        conn,
        &caller.workspace,
        caller.user.id,
        switch.map(|token| Switched {
            token,
            switched: caller.switched,
            access,
            member_role: caller.member_role,
            backend_pid: caller.backend_pid,
        }),
        caller.owes_second_factor,
    )
    .await?;
    match entered {
        Some((role, tx)) => Ok(TokenEntry::Member {
            grant: caller.grant,
            user: caller.user,
            workspace: caller.workspace,
            role,
            tx,
        }),
        None => Ok(TokenEntry::Outside),
    }
}

/// With the irrevocable switch, the reset token a lookup will switch with, the claim key loaded
/// first (the workspace role cannot read it); `None` with the revertible switch.
async fn prepare_switch(
    pool: &PgPool,
    conn: &mut sqlx::PgConnection,
) -> CoreResult<Option<crate::tenant::ResetToken>> {
    use crate::tenant::{role_switch, ResetToken, RoleSwitch};
    if role_switch() != RoleSwitch::Irrevocable {
        return Ok(None);
    }
    crate::actor_claim::load_key(pool, conn).await?;
    Ok(Some(ResetToken::new()))
}

/// What a lookup statement that could switch (`tenant::switch_sql`) found and did.
struct Switched {
    token: crate::tenant::ResetToken,
    switched: bool,
    access: Access,
    member_role: Option<String>,
    backend_pid: Option<i32>,
}

/// The way in after a lookup found `workspace`: on the connection the lookup switched (or, for
/// a read-only request, left alone because the user is no active member), or with the switch
/// of its own (revertible); the membership read inside for a transaction, and
/// `TwoFactorRequired` for a member who owes a second factor.
async fn open_after_lookup(
    pool: &PgPool,
    conn: PoolConnection<Postgres>,
    workspace: &Workspace,
    user_id: Uuid,
    switch: Option<Switched>,
    owes_second_factor: bool,
) -> CoreResult<Option<(String, TenantTx)>> {
    let schema = workspace.schema();
    let entered = match switch {
        Some(Switched {
            token,
            switched: true,
            access: Access::ReadOnly,
            member_role: Some(role),
            backend_pid,
        }) => Some((
            role,
            TenantTx::switched_read(conn, &schema, user_id, token, backend_pid),
        )),
        // Not an active member: the statement neither switched nor touched the session.
        Some(Switched {
            switched: false,
            access: Access::ReadOnly,
            member_role: None,
            ..
        }) => return Ok(None),
        Some(Switched {
            token,
            switched: true,
            access: Access::ReadWrite,
            ..
        }) => TenantTx::begin_switched_member(pool, conn, &schema, user_id, token).await?,
        // Found its workspace yet did not switch, or switched without a role: nothing this
        // code can cause. The connection may be switched: never pool it.
        Some(_) => {
            let mut conn = conn;
            conn.close_on_drop();
            return Err(CoreError::Internal(
                "a lookup found its workspace but did not switch to it as it should".into(),
            ));
        }
        None => TenantTx::begin_as_member(pool, conn, &schema, user_id).await?,
    };
    match entered {
        Some((_, tx)) if owes_second_factor => {
            tx.rollback().await?;
            Err(CoreError::TwoFactorRequired)
        }
        other => Ok(other),
    }
}

/// The tenant transaction of a workspace already looked up, if `user_id` is an active member of
/// it (the role read inside it). This is the one gate of every door into a workspace (pages,
/// server functions, REST with a session or a token), so the workspace's two-factor requirement
/// is enforced here: a member without two-factor sign-in gets `TwoFactorRequired`, and only once
/// membership is proved, so a stranger still learns nothing (404) about the workspace. Costs one
/// indexed read, only in workspaces that require it.
pub async fn enter_as_member(
    pool: &PgPool,
    mut conn: PoolConnection<Postgres>,
    user_id: Uuid,
    workspace: &Workspace,
) -> CoreResult<Option<(String, TenantTx)>> {
    // Read as the login, before the switch to the workspace role, which cannot see accounts.
    let complies = !workspace.require_two_factor
        || crate::two_factor::has_second_factor(&mut *conn, user_id).await?;
    let entered = TenantTx::begin_as_member(pool, conn, &workspace.schema(), user_id).await?;
    match entered {
        Some((_, tx)) if !complies => {
            tx.rollback().await?;
            Err(CoreError::TwoFactorRequired)
        }
        other => Ok(other),
    }
}
