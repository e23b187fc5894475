//! Server-side sessions. The cookie carries 32 random bytes; the database keeps only their
//! SHA-256, so neither a dump nor a log line of the table yields a usable session.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::devices;
use crate::{
    accounts::{Theme, User},
    keys::MasterKeyRing,
    workspaces::Workspace,
    CoreResult, WorkspaceId,
};

pub const IDLE_TIMEOUT: Duration = Duration::hours(12);
pub const ABSOLUTE_TIMEOUT: Duration = Duration::days(30);
/// `last_seen_at` is written at most this often, so that reading pages is not a write each time.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// The cookie value. Never printed.
pub struct SessionToken(String);

impl SessionToken {
    pub fn from_cookie(value: &str) -> Self {
        Self(value.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SessionInfo {
    pub id: Uuid,
    pub user_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    pub user_agent: Option<String>,
    /// The proof the session was opened with: `password`, `totp`, `recovery_code` or
    /// `password_passkey` (the latter three after the password), or `passkey` (alone).
    pub factor: String,
}

/// What proved who someone is when their session began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// The password alone (an account without two-factor sign-in, a new account).
    Password,
    /// The password and a code from the authenticator app.
    Totp,
    /// The password and a recovery code.
    RecoveryCode,
    /// A passkey alone (user-verified: the authenticator asked for its PIN or biometric).
    Passkey,
    /// The password and a passkey.
    PasswordPasskey,
    /// The workspace's OpenID provider (`sso::finish`).
    Sso,
}

impl Factor {
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Password => "password",
            Factor::Totp => "totp",
            Factor::RecoveryCode => "recovery_code",
            Factor::Passkey => "passkey",
            Factor::PasswordPasskey => "password_passkey",
            Factor::Sso => "sso",
        }
    }
}

pub const COOKIE_NAME: &str = "bastion_session";

/// `Set-Cookie` value for a new session: HttpOnly, SameSite=Lax, Secure unless served over plain
/// HTTP locally, lasting as long as the session's absolute lifetime.
pub fn set_cookie_value(token: &SessionToken, secure: bool) -> String {
    format!(
        "{COOKIE_NAME}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        token.0,
        ABSOLUTE_TIMEOUT.whole_seconds(),
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie_value(secure: bool) -> String {
    format!(
        "{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session token in a `Cookie` header's value, if any.
pub fn token_from_cookie_header<'a>(values: impl Iterator<Item = &'a str>) -> Option<SessionToken> {
    values
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| SessionToken(value.to_owned()))
}

/// Starts a new session proved by the password alone (always a new id: sign-in never reuses
/// one). For an account with two-factor sign-in only [`create_with`] after
/// `two_factor::finish_sign_in` is right; `accounts::sign_in` never answers such an account
/// with a user.
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    user_agent: Option<&str>,
) -> CoreResult<(SessionToken, SessionInfo)> {
    create_with(pool, user_id, user_agent, Factor::Password).await
}

/// Starts a new session, recording the factor that proved it.
pub async fn create_with(
    pool: &PgPool,
    user_id: Uuid,
    user_agent: Option<&str>,
    factor: Factor,
) -> CoreResult<(SessionToken, SessionInfo)> {
    let mut conn = pool.acquire().await?;
    insert(&mut conn, user_id, user_agent, factor).await
}

/// Starts the session of someone who just proved who they are (signed in, confirmed a sign-up,
/// joined by invitation): the session with the factor that proved it, and the device it comes
/// from, in one transaction. A sign-in from a device the account has not used before is mailed
/// to its owner ([`devices::note_sign_in`]); the doors call this, never [`create_with`].
pub async fn start(
    pool: &PgPool,
    master: &MasterKeyRing,
    user_id: Uuid,
    from: devices::SignInFrom<'_>,
    factor: Factor,
) -> CoreResult<(SessionToken, SessionInfo)> {
    let mut tx = pool.begin().await?;
    let started = insert(&mut tx, user_id, from.user_agent, factor).await?;
    if let Some(user) = crate::accounts::find_user(&mut *tx, user_id).await? {
        devices::note_sign_in(&mut tx, master, &user, from).await?;
    }
    tx.commit().await?;
    Ok(started)
}

async fn insert(
    conn: &mut PgConnection,
    user_id: Uuid,
    user_agent: Option<&str>,
    factor: Factor,
) -> CoreResult<(SessionToken, SessionInfo)> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = SessionToken(URL_SAFE_NO_PAD.encode(bytes));
    let now = OffsetDateTime::now_utc();
    let info = sqlx::query_as::<_, SessionInfo>(
        "INSERT INTO sessions (id, token_hash, user_id, idle_expires_at, absolute_expires_at, user_agent, factor)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, user_id, created_at, last_seen_at, user_agent, factor",
    )
    .bind(Uuid::new_v4())
    .bind(token.hash())
    .bind(user_id)
    .bind(now + IDLE_TIMEOUT)
    .bind(now + ABSOLUTE_TIMEOUT)
    .bind(user_agent.map(|ua| ua.chars().take(300).collect::<String>()))
    .bind(factor.as_str())
    .fetch_one(conn)
    .await?;
    Ok((token, info))
}

/// The live session for a cookie, extending its idle deadline. Expired sessions are deleted on
/// sight.
pub async fn resolve(pool: &PgPool, token: &SessionToken) -> CoreResult<Option<SessionInfo>> {
    let mut conn = pool.acquire().await?;
    Ok(resolve_user(&mut conn, token)
        .await?
        .map(|(session, _)| session))
}

/// The colour scheme and language of the person a cookie belongs to, for rendering a page's
/// `<html>`; `None` without a live session. One read, and only a read: the page's own data
/// request extends the session.
pub async fn page_prefs_for(
    pool: &PgPool,
    token: &SessionToken,
) -> CoreResult<Option<(Theme, bastion_i18n::Locale)>> {
    Ok(page_prefs_in(pool, token, None)
        .await?
        .map(|prefs| (prefs.theme, prefs.locale)))
}

/// What a page needs to know before it renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagePrefs {
    pub user_id: Uuid,
    pub theme: Theme,
    pub locale: bastion_i18n::Locale,
    /// The page is in workspace `slug`, which requires two-factor sign-in, of which the person
    /// (in its directory, which lists deactivated members too) has none: once the workspace's
    /// gate confirms they are an active member, the page sends them to enrolment instead.
    pub two_factor_owed: bool,
}

/// [`page_prefs_for`] of a page in workspace `slug` (if any), which also answers whether the
/// workspace's two-factor requirement stops this person, in the same one read, so a page of an
/// enforcing workspace costs no more than any other.
pub async fn page_prefs_in(
    pool: &PgPool,
    token: &SessionToken,
    slug: Option<&str>,
) -> CoreResult<Option<PagePrefs>> {
    let stored: Option<(Uuid, String, String, bool)> = sqlx::query_as(
        "SELECT u.id, u.theme, u.locale,
                $2::text IS NOT NULL
                AND EXISTS (SELECT 1 FROM workspaces w
                              JOIN workspace_directory d ON d.workspace_id = w.id
                             WHERE w.slug = $2 AND d.user_id = u.id AND w.require_two_factor)
                AND NOT EXISTS (SELECT 1 FROM user_totp t
                                 WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL)
                AND NOT EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id)
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.idle_expires_at > now() AND s.absolute_expires_at > now()",
    )
    .bind(token.hash())
    .bind(slug)
    .fetch_optional(pool)
    .await?;
    stored
        .map(|(user_id, theme, locale, two_factor_owed)| {
            Ok(PagePrefs {
                user_id,
                theme: Theme::parse(&theme)?,
                locale: bastion_i18n::Locale::from_tag(&locale).unwrap_or_default(),
                two_factor_owed,
            })
        })
        .transpose()
}

/// The live session for a cookie and its user, in one statement: a request pays one round trip
/// to learn who is calling. Takes a connection so that a request can go on to open its tenant
/// transaction on the same one (every checkout costs a reset and a ping on release).
pub async fn resolve_user(
    conn: &mut PgConnection,
    token: &SessionToken,
) -> CoreResult<Option<(SessionInfo, User)>> {
    Ok(resolve_caller(conn, token, None, None)
        .await?
        .map(|c| (c.session, c.user)))
}

/// [`resolve_user`] plus the workspace named `slug`, if there is one (membership is the
/// workspace's own question), still in one statement: a workspace request learns who calls and
/// where in a single round trip.
pub async fn resolve_user_in(
    conn: &mut PgConnection,
    token: &SessionToken,
    slug: &str,
) -> CoreResult<Option<(SessionInfo, User, Option<Workspace>)>> {
    Ok(resolve_caller(conn, token, Some(slug), None)
        .await?
        .map(|c| (c.session, c.user, c.workspace)))
}

/// Who is calling and where, as [`resolve_caller`] found them.
pub(crate) struct Caller {
    pub session: SessionInfo,
    pub user: User,
    pub workspace: Option<Workspace>,
    /// The workspace requires two-factor sign-in and this user has no second factor.
    pub owes_second_factor: bool,
    /// The statement switched the connection into the workspace's role
    /// (`tenant::switch_sql`): a live session and an existing workspace (of which the user is
    /// an active member, for a read-only request).
    pub switched: bool,
    /// For a read-only request, the user's active role in the workspace, read by the statement.
    pub member_role: Option<String>,
    /// The backend's process id, for a read-only request (`db::note_served`).
    pub backend_pid: Option<i32>,
}

#[derive(sqlx::FromRow)]
struct CallerRow {
    id: Uuid,
    user_id: Uuid,
    created_at: OffsetDateTime,
    last_seen_at: OffsetDateTime,
    user_agent: Option<String>,
    factor: String,
    expired: bool,
    email: String,
    name: String,
    locale: String,
    ws_id: Option<WorkspaceId>,
    ws_slug: Option<String>,
    ws_name: Option<String>,
    ws_plan: Option<String>,
    ws_schema_version: Option<i64>,
    ws_created_at: Option<OffsetDateTime>,
    ws_require_two_factor: Option<bool>,
    owes_second_factor: bool,
    switched: bool,
    member_role: Option<String>,
    backend_pid: Option<i32>,
}

/// The session of `token`, its user and the workspace named `slug`, in one statement that also
/// ends an expired session and notes the use of a live one (at most once a minute); with
/// `switch`, it also switches the connection into the workspace's role when the session is live
/// and the workspace exists (`tenant::switch_sql`, which for a read-only request also reads the
/// membership and prepares the session), so that entering it costs no round trip of its own. Whether the user owes the workspace a second factor is read here too, as the
/// login, since the workspace role cannot read accounts.
pub(crate) async fn resolve_caller(
    conn: &mut PgConnection,
    token: &SessionToken,
    slug: Option<&str>,
    switch: Option<(&crate::tenant::ResetToken, crate::tenant::Access)>,
) -> CoreResult<Option<Caller>> {
    let now = OffsetDateTime::now_utc();
    let crate::tenant::SwitchSql { join, columns } = match switch {
        Some((_, access)) => crate::tenant::switch_sql(
            access,
            "NOT s.expired AND w.id IS NOT NULL",
            "w.id",
            "s.user_id",
            6,
        ),
        None => crate::tenant::SwitchSql {
            join: String::new(),
            columns: "NULL::text AS member_role, NULL::int4 AS backend_pid, false AS switched"
                .to_owned(),
        },
    };
    // Without a slug the LEFT JOIN matches nothing (`slug = NULL`) and the workspace is None.
    let sql = format!(
        "WITH s AS (
             SELECT id, user_id, created_at, last_seen_at, user_agent, factor,
                    ($3 >= idle_expires_at OR $3 >= absolute_expires_at) AS expired
             FROM sessions WHERE token_hash = $1
         ), gone AS (
             DELETE FROM sessions WHERE id IN (SELECT id FROM s WHERE expired)
         ), touched AS (
             UPDATE sessions SET last_seen_at = $3, idle_expires_at = LEAST($4, absolute_expires_at)
             WHERE id IN (SELECT id FROM s WHERE NOT expired AND $3 - last_seen_at >= $5)
         )
         SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.user_agent, s.factor, s.expired,
                u.email, u.name, u.locale,
                w.id AS ws_id, w.slug AS ws_slug, w.name AS ws_name, w.plan AS ws_plan,
                w.schema_version AS ws_schema_version, w.created_at AS ws_created_at,
                w.require_two_factor AS ws_require_two_factor,
                coalesce(w.require_two_factor
                    AND NOT EXISTS (SELECT 1 FROM user_totp
                                    WHERE user_id = s.user_id AND confirmed_at IS NOT NULL)
                    AND NOT EXISTS (SELECT 1 FROM passkeys WHERE user_id = s.user_id),
                    false) AS owes_second_factor,
                {columns}
         FROM s JOIN users u ON u.id = s.user_id
              LEFT JOIN workspaces w ON w.slug = $2
              {join}"
    );
    let mut query = sqlx::query_as::<_, CallerRow>(sqlx::AssertSqlSafe(sql))
        .bind(token.hash())
        .bind(slug)
        .bind(now)
        .bind(now + IDLE_TIMEOUT)
        .bind(TOUCH_INTERVAL);
    if let Some((reset, _)) = switch {
        query = query.bind(reset.param());
    }
    let Some(row) = query.fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    if row.expired {
        return Ok(None);
    }
    let workspace = match (
        row.ws_id,
        row.ws_slug,
        row.ws_name,
        row.ws_plan,
        row.ws_schema_version,
        row.ws_created_at,
        row.ws_require_two_factor,
    ) {
        (
            Some(id),
            Some(slug),
            Some(name),
            Some(plan),
            Some(schema_version),
            Some(created_at),
            Some(require_two_factor),
        ) => Some(Workspace {
            id,
            slug,
            name,
            plan,
            schema_version,
            created_at,
            require_two_factor,
        }),
        _ => None,
    };
    Ok(Some(Caller {
        session: SessionInfo {
            id: row.id,
            user_id: row.user_id,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            user_agent: row.user_agent,
            factor: row.factor,
        },
        user: User {
            id: row.user_id,
            email: row.email,
            name: row.name,
            locale: row.locale,
        },
        workspace,
        owes_second_factor: row.owes_second_factor,
        switched: row.switched,
        member_role: row.member_role,
        backend_pid: row.backend_pid,
    }))
}

pub async fn end(pool: &PgPool, token: &SessionToken) -> CoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token.hash())
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn list_for_user(pool: &PgPool, user_id: Uuid) -> CoreResult<Vec<SessionInfo>> {
    Ok(sqlx::query_as::<_, SessionInfo>(
        "SELECT id, user_id, created_at, last_seen_at, user_agent, factor FROM sessions
         WHERE user_id = $1 AND idle_expires_at > now() AND absolute_expires_at > now()
         ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?)
}

/// Ends one of the user's own sessions; `false` if there is no such session of theirs.
pub async fn revoke(pool: &PgPool, user_id: Uuid, session_id: Uuid) -> CoreResult<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(session_id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn end_all_for_user(pool: &PgPool, user_id: Uuid) -> CoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Ends the sessions of a user who lost access to `workspace` (deactivated or removed) and
/// belongs to no other workspace: those sessions served only it. People with other workspaces
/// keep their sessions; every request re-checks membership, so the lost workspace is closed to
/// them either way.
pub async fn end_if_only_for(
    pool: &PgPool,
    user_id: Uuid,
    workspace: crate::WorkspaceId,
) -> CoreResult<u64> {
    let mut conn = pool.acquire().await?;
    end_if_only_for_in(&mut conn, user_id, workspace).await
}

/// As [`end_if_only_for`], inside the caller's transaction (a workspace erasure ends the
/// sessions in the same commit that removes the workspace).
pub async fn end_if_only_for_in(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
    workspace: crate::WorkspaceId,
) -> CoreResult<u64> {
    Ok(sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND NOT EXISTS (
             SELECT 1 FROM workspace_directory WHERE user_id = $1 AND workspace_id <> $2)",
    )
    .bind(user_id)
    .bind(workspace)
    .execute(conn)
    .await?
    .rows_affected())
}
