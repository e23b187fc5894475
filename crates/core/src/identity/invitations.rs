//! Invitations: an admin invites an address with a role; the invitee gets a link holding a
//! random token (only its SHA-256 is stored) that works once, for [`LIFETIME`], for that address.
//! Accepting adds the membership in the directory and in the workspace in one transaction.

use serde::Serialize;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use bastion_policy as policy;

use crate::keys::MasterKeyRing;
use crate::{
    accounts::{self, User},
    codes::{new_link_token, token_digest},
    ensure, mail,
    passwords::{self, Password},
    tenant::{Actor, TenantTx},
    workspaces::Workspace,
    CoreError, CoreResult, Viewer,
};

pub const LIFETIME: Duration = Duration::days(7);

/// The refusal of every invitation action to a non-admin, the same through every door.
pub const ADMINS_ONLY: &str = "Only workspace admins manage invitations.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub invited_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What the link shows before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvitation {
    pub invitation: Invitation,
    pub workspace: Workspace,
    /// Whether the invited address already has an account (then the invitee signs in to accept;
    /// otherwise they choose a name and password).
    pub has_account: bool,
}

fn check_role(role: &str) -> CoreResult<()> {
    if matches!(role, "admin" | "member" | "guest") {
        Ok(())
    } else {
        Err(CoreError::invalid("role", "must be admin, member or guest"))
    }
}

/// Who is invited, as the admin typed it.
#[derive(Debug, Clone, Copy)]
pub struct Invitee<'a> {
    pub email: &'a str,
    pub role: &'a str,
}

/// Invites someone and emails the link; an open invitation for the same address is replaced
/// (its old link stops working). Admins only; `inviter` is the viewer's account (its name goes
/// into the email). `link_base` is the public origin the link starts with.
pub async fn invite(
    pool: &PgPool,
    master: &MasterKeyRing,
    workspace: &Workspace,
    viewer: Viewer,
    inviter: &User,
    invitee: Invitee<'_>,
    link_base: &str,
) -> CoreResult<Invitation> {
    ensure(policy::can_manage_members(viewer.role), ADMINS_ONLY)?;
    let email = accounts::parse_email(invitee.email)?;
    let role = invitee.role;
    check_role(role)?;
    // Someone already in the workspace needs no invitation; say so rather than mail them.
    let mut tenant = TenantTx::begin(pool, &workspace.schema(), Actor::User(inviter.id)).await?;
    if let Some(user) = accounts::find_user_by_email(pool, &email).await? {
        let member: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM members WHERE user_id = $1)")
                .bind(user.id)
                .fetch_one(tenant.conn())
                .await?;
        if member {
            return Err(CoreError::conflict(format!(
                "{email} is already in this workspace (a deactivated member is reactivated from the members list)"
            )));
        }
    }
    tenant.rollback().await?;

    let (token, digest) = new_link_token();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE invitations SET revoked_at = now()
         WHERE workspace_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(workspace.id)
    .bind(&email)
    .execute(&mut *tx)
    .await?;
    let invitation = sqlx::query_as::<_, Invitation>(
        "INSERT INTO invitations (id, workspace_id, email, role, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + $7)
         RETURNING id, email, role, invited_by, expires_at, created_at",
    )
    .bind(Uuid::new_v4())
    .bind(workspace.id)
    .bind(&email)
    .bind(role)
    .bind(&digest)
    .bind(inviter.id)
    .bind(LIFETIME)
    .fetch_one(&mut *tx)
    .await?;
    let link = format!("{}/invite/{token}", link_base.trim_end_matches('/'));
    // The invitee's language if they have an account, else the inviter's, who knows them.
    let recipient = crate::accounts::find_user_by_email(pool, &email).await?;
    let t = bastion_i18n::Locale::from_tag(&recipient.as_ref().unwrap_or(inviter).locale)
        .unwrap_or_default()
        .t();
    mail::enqueue_about(
        &mut tx,
        master,
        workspace.id,
        &email,
        &t.mail_invitation_subject(&inviter.name, &workspace.name),
        &t.mail_invitation_body(
            &inviter.name,
            &workspace.name,
            bastion_i18n::role_name(t, role),
            &link,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(invitation)
}

/// The workspace's invitations that can still be accepted, newest first. Admins only.
pub async fn list_open(
    pool: &PgPool,
    workspace: &Workspace,
    viewer: Viewer,
) -> CoreResult<Vec<Invitation>> {
    ensure(policy::can_manage_members(viewer.role), ADMINS_ONLY)?;
    Ok(sqlx::query_as::<_, Invitation>(
        "SELECT id, email, role, invited_by, expires_at, created_at FROM invitations
         WHERE workspace_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
           AND expires_at > now()
         ORDER BY created_at DESC, id",
    )
    .bind(workspace.id)
    .fetch_all(pool)
    .await?)
}

/// Revokes an open invitation of this workspace; `NotFound` if there is none with this id.
/// Admins only.
pub async fn revoke(
    pool: &PgPool,
    workspace: &Workspace,
    viewer: Viewer,
    id: Uuid,
) -> CoreResult<()> {
    ensure(policy::can_manage_members(viewer.role), ADMINS_ONLY)?;
    let done = sqlx::query(
        "UPDATE invitations SET revoked_at = now()
         WHERE id = $1 AND workspace_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(workspace.id)
    .execute(pool)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(CoreError::NotFound("invitation"));
    }
    Ok(())
}

macro_rules! open_by_token {
    () => {
        "SELECT i.id, i.email, i.role, i.invited_by, i.expires_at, i.created_at,
        w.id AS w_id, w.slug, w.name, w.plan, w.schema_version, w.created_at AS w_created_at,
        w.require_two_factor
   FROM invitations i JOIN workspaces w ON w.id = i.workspace_id
  WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
    AND i.expires_at > now()"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    invitation: Invitation,
    w_id: crate::WorkspaceId,
    slug: String,
    name: String,
    plan: String,
    schema_version: i64,
    w_created_at: OffsetDateTime,
    require_two_factor: bool,
}

impl Row {
    fn split(self) -> (Invitation, Workspace) {
        (
            self.invitation,
            Workspace {
                id: self.w_id,
                slug: self.slug,
                name: self.name,
                plan: self.plan,
                schema_version: self.schema_version,
                created_at: self.w_created_at,
                require_two_factor: self.require_two_factor,
            },
        )
    }
}

/// The invitation behind a link, if it can still be accepted. Unknown, used, revoked and
/// expired links are all `None`: a link says nothing about invitations it is not.
pub async fn open(pool: &PgPool, token: &str) -> CoreResult<Option<OpenInvitation>> {
    let row: Option<Row> = sqlx::query_as(open_by_token!())
        .bind(token_digest(token))
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let (invitation, workspace) = row.split();
    let has_account = accounts::find_user_by_email(pool, &invitation.email)
        .await?
        .is_some();
    Ok(Some(OpenInvitation {
        invitation,
        workspace,
        has_account,
    }))
}

/// Who accepts: a signed-in user (whose email must be the invited one: the link was sent there),
/// or a newcomer choosing a name and password for the invited address.
pub enum Acceptor<'a> {
    SignedIn(&'a User),
    /// `locale`: the language the invitation page was shown in, which the account keeps.
    Newcomer {
        name: &'a str,
        password: &'a str,
        locale: bastion_i18n::Locale,
    },
}

/// Accepts the invitation behind `token`: marks it used and adds the membership, in one
/// transaction, creating the account first for a newcomer. Returns the member and workspace.
pub async fn accept(
    pool: &PgPool,
    token: &str,
    acceptor: Acceptor<'_>,
) -> CoreResult<(User, Workspace)> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    let gone = || CoreError::NotFound("invitation");
    // Hash a newcomer's password before any row is locked.
    let newcomer = match &acceptor {
        Acceptor::Newcomer { name, password, .. } => Some((
            accounts::parse_person_name(name)?,
            passwords::hash(Password::parse_new(password)?).await?,
        )),
        Acceptor::SignedIn(_) => None,
    };
    let mut tx = pool.begin().await?;
    let row: Option<Row> = sqlx::query_as(concat!(open_by_token!(), " FOR UPDATE OF i"))
        .bind(token_digest(token))
        .fetch_optional(&mut *tx)
        .await?;
    let (invitation, workspace) = row.ok_or_else(gone)?.split();
    let user = match acceptor {
        Acceptor::SignedIn(user) => {
            if user.email != invitation.email {
                return Err(CoreError::conflict(format!(
                    "this invitation is for {}; sign in with that address to accept it",
                    invitation.email
                )));
            }
            user.clone()
        }
        Acceptor::Newcomer { locale, .. } => {
            let (name, hash) = newcomer.ok_or_else(gone)?;
            sqlx::query_as::<_, User>(
                "INSERT INTO users (id, email, name, password_hash, locale)
                 VALUES ($1, $2, $3, $4, $5)
                 RETURNING id, email, name, locale",
            )
            .bind(Uuid::new_v4())
            .bind(&invitation.email)
            .bind(&name)
            .bind(&hash)
            .bind(locale.tag())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(d) if d.is_unique_violation() => CoreError::conflict(
                    "an account with this email already exists; sign in to accept",
                ),
                other => other.into(),
            })?
        }
    };
    sqlx::query("UPDATE invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1")
        .bind(invitation.id)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO workspace_directory (workspace_id, user_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
    )
    .bind(workspace.id)
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    let mut tenant = TenantTx::enter(tx, &workspace.schema(), Actor::User(user.id)).await?;
    // A deactivated or removed member who is invited again comes back with the invited role;
    // someone who became the last admin since the invitation was sent cannot lose that role by
    // accepting it (the transaction rolls back, so the invitation stays open).
    crate::members::put_member(&mut tenant, user.id, &invitation.role).await?;
    tenant.commit().await?;
    Ok((user, workspace))
}
