//! API tokens: one user acting in one workspace, for integrators. The token is `bst_` and 32
//! random bytes in base64url; it is shown once and only its SHA-256 is stored, like a session.
//! A token grants no rights of its own: the request runs as its user, whose role is read in the
//! workspace on every request, so a deactivated member's tokens stop at once.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{work::Position, CoreError, CoreResult, WorkspaceId};

pub const TOKEN_PREFIX: &str = "bst_";
/// Characters of the token kept in clear to recognise it in a list: `bst_` and 8 of the random
/// part (48 bits, far too few to guess the other 35 characters from).
const SHOWN_CHARS: usize = TOKEN_PREFIX.len() + 8;
/// `last_used_at` is written at most this often, so that a busy integration is not a write on
/// every request.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// The full token, held only between creation and the answer that shows it. Never printed.
pub struct TokenSecret(String);

impl TokenSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSecret(***)")
    }
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub token_prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiToken {
    pub fn position(&self) -> Position {
        Position {
            created_at: self.created_at,
            id: self.id,
        }
    }
}

const COLUMNS: &str = "id, user_id, workspace_id, name, token_prefix, created_at, last_used_at, \
                       expires_at, revoked_at";

/// What a live token stands for: this user, in this workspace only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub token_id: Uuid,
    pub user_id: Uuid,
    pub workspace_id: WorkspaceId,
    pub workspace_slug: String,
}

fn check_name(name: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::invalid("name", "must be 1 to 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// The furthest expiry accepted: a token that should outlive this is one nobody reviews.
pub const MAX_LIFETIME: Duration = Duration::days(5 * 366);

/// Creates a token for `user_id` in `workspace_id`; the caller has checked that they are an
/// active member. The secret is returned once and never stored.
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    workspace_id: WorkspaceId,
    name: &str,
    expires_at: Option<OffsetDateTime>,
) -> CoreResult<(ApiToken, TokenSecret)> {
    let name = check_name(name)?;
    let now = OffsetDateTime::now_utc();
    if let Some(at) = expires_at {
        if at <= now {
            return Err(CoreError::invalid("expires_at", "must be in the future"));
        }
        if at > now + MAX_LIFETIME {
            return Err(CoreError::invalid(
                "expires_at",
                "must be within five years",
            ));
        }
    }
    let mut conn = pool.acquire().await?;
    insert(&mut conn, user_id, workspace_id, &name, expires_at).await
}

async fn insert(
    conn: &mut PgConnection,
    user_id: Uuid,
    workspace_id: WorkspaceId,
    name: &str,
    expires_at: Option<OffsetDateTime>,
) -> CoreResult<(ApiToken, TokenSecret)> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = TokenSecret(format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)));
    let token = sqlx::query_as::<_, ApiToken>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO api_tokens (id, user_id, workspace_id, name, token_prefix, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING {COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(user_id)
    .bind(workspace_id)
    .bind(name)
    .bind(&secret.0[..SHOWN_CHARS])
    .bind(hash(&secret.0))
    .bind(expires_at)
    .fetch_one(conn)
    .await?;
    Ok((token, secret))
}

/// Replaces one of the user's live tokens for this workspace with a new one of the same name
/// and expiry, and revokes the old one, in one transaction: the old secret stops at once, the
/// new one is returned once. A revoked or expired token is not rotated (make a new one);
/// someone else's token, or another workspace's, is `NotFound`.
pub async fn rotate(
    pool: &PgPool,
    user_id: Uuid,
    workspace_id: WorkspaceId,
    token_id: Uuid,
) -> CoreResult<(ApiToken, TokenSecret)> {
    let mut tx = pool.begin().await?;
    let old = sqlx::query_as::<_, ApiToken>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_tokens
         WHERE id = $1 AND user_id = $2 AND workspace_id = $3
         FOR UPDATE"
    )))
    .bind(token_id)
    .bind(user_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(CoreError::NotFound("token"))?;
    if old.revoked_at.is_some()
        || old
            .expires_at
            .is_some_and(|at| at <= OffsetDateTime::now_utc())
    {
        return Err(CoreError::invalid(
            "token_id",
            "is revoked or expired: create a new token instead",
        ));
    }
    let made = insert(&mut tx, user_id, workspace_id, &old.name, old.expires_at).await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1")
        .bind(token_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(made)
}

/// The user's tokens for one workspace, revoked ones included (so a list explains why an
/// integration stopped), oldest first, keyset-paginated on (created_at, id).
pub async fn list(
    pool: &PgPool,
    user_id: Uuid,
    workspace_id: WorkspaceId,
    after: Option<Position>,
    limit: u32,
) -> CoreResult<Vec<ApiToken>> {
    Ok(sqlx::query_as::<_, ApiToken>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_tokens
         WHERE user_id = $1 AND workspace_id = $2
           AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
         ORDER BY created_at, id
         LIMIT $5"
    )))
    .bind(user_id)
    .bind(workspace_id)
    .bind(after.map(|p| p.created_at))
    .bind(after.map(|p| p.id))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?)
}

/// Revokes one of the user's tokens for this workspace. Revoking twice is harmless; someone
/// else's token, or another workspace's, is `NotFound`.
pub async fn revoke(
    pool: &PgPool,
    user_id: Uuid,
    workspace_id: WorkspaceId,
    token_id: Uuid,
) -> CoreResult<ApiToken> {
    sqlx::query_as::<_, ApiToken>(sqlx::AssertSqlSafe(format!(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now())
         WHERE id = $1 AND user_id = $2 AND workspace_id = $3
         RETURNING {COLUMNS}"
    )))
    .bind(token_id)
    .bind(user_id)
    .bind(workspace_id)
    .fetch_optional(pool)
    .await?
    .ok_or(CoreError::NotFound("token"))
}

/// Revokes every token of a user in a workspace (for removal from it).
pub async fn revoke_all(
    pool: &PgPool,
    user_id: Uuid,
    workspace_id: WorkspaceId,
) -> CoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE api_tokens SET revoked_at = now()
         WHERE user_id = $1 AND workspace_id = $2 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(workspace_id)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Whether the text has the shape of a token at all; anything else is not looked up.
pub fn looks_like_token(text: &str) -> bool {
    text.len() == TOKEN_PREFIX.len() + 43
        && text.starts_with(TOKEN_PREFIX)
        && text[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The grant behind a live token (not revoked, not expired), noting its use at most once a
/// minute. Membership is not checked here: the workspace answers that per request.
/// A bearer request's caller, looked up and counted in one statement by [`resolve_counted`].
#[derive(Debug, Clone)]
pub struct TokenCaller {
    pub grant: TokenGrant,
    pub user: crate::accounts::User,
    /// The token's own workspace (a token reaches no other).
    pub workspace: crate::workspaces::Workspace,
    /// This request's count in the token's window, or how long until the window ends once
    /// past `limit`.
    pub counted: Result<i32, Duration>,
    /// The workspace requires two-factor sign-in and the token's user has no second factor.
    pub owes_second_factor: bool,
    /// The statement switched the connection into the workspace's role (only when asked to,
    /// the request within its limit and its path naming the token's workspace, and for a
    /// read-only request the user an active member).
    pub(crate) switched: bool,
    /// For a read-only request, the user's active role in the workspace, read by the statement.
    pub(crate) member_role: Option<String>,
    /// The backend's process id, for a read-only request (`db::note_served`).
    pub(crate) backend_pid: Option<i32>,
}

/// The rate-limit key of a token is this and its id (`limits::hit`'s keys): one counter per
/// token, in the database, so every server counts against the same limit.
const LIMIT_KEY_PREFIX: &str = "api-token:";

#[derive(sqlx::FromRow)]
struct CallerRow {
    token_id: Uuid,
    user_id: Uuid,
    email: String,
    name: String,
    locale: String,
    ws_id: WorkspaceId,
    ws_slug: String,
    ws_name: String,
    ws_plan: String,
    ws_schema_version: i64,
    ws_created_at: OffsetDateTime,
    ws_require_two_factor: bool,
    count: i32,
    window_start: OffsetDateTime,
    owes_second_factor: bool,
    switched: bool,
    member_role: Option<String>,
    backend_pid: Option<i32>,
}

/// Everything a bearer request needs before it enters its workspace, in one round trip: the
/// live token, its user and its workspace, the token's use noted (at most once a minute), and
/// the request counted against `limit` per `window` (the same upsert as `limits::hit`, so the
/// limit stays shared by every server). A token that resolves to nothing counts nothing.
/// Until 2026-12-03 this was four statements (token, count, user, workspace), and the token
/// path served the task list about a quarter slower than the cookie path.
pub async fn resolve_counted(
    conn: &mut PgConnection,
    token: &str,
    limit: i32,
    window: Duration,
) -> CoreResult<Option<TokenCaller>> {
    resolve_counted_switching(conn, token, limit, window, None).await
}

/// [`resolve_counted`], and with `switch` (its reset token and the workspace the request's path
/// names) the switch into the token's workspace role in the same statement, when the request is
/// within its limit and the path names that workspace (`tenant::switch_sql`).
pub(crate) async fn resolve_counted_switching(
    conn: &mut PgConnection,
    token: &str,
    limit: i32,
    window: Duration,
    switch: Option<(&crate::tenant::ResetToken, crate::tenant::Access, &str)>,
) -> CoreResult<Option<TokenCaller>> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let crate::tenant::SwitchSql { join, columns } = match switch {
        Some((_, access, _)) => crate::tenant::switch_sql(
            access,
            "hit.count <= $5 AND w.slug = $6",
            "w.id",
            "t.user_id",
            7,
        ),
        None => crate::tenant::SwitchSql {
            join: String::new(),
            columns: "NULL::text AS member_role, NULL::int4 AS backend_pid, false AS switched"
                .to_owned(),
        },
    };
    let sql = format!(
        "WITH t AS (
             SELECT id, user_id, workspace_id, last_used_at FROM api_tokens
             WHERE token_hash = $1 AND revoked_at IS NULL
               AND (expires_at IS NULL OR expires_at > now())
         ), touched AS (
             UPDATE api_tokens SET last_used_at = now()
             WHERE id = (SELECT id FROM t)
               AND (last_used_at IS NULL OR last_used_at <= now() - $2::interval)
         ), hit AS (
             INSERT INTO rate_limits AS r (key, window_start, count)
             SELECT $3 || t.id::text, now(), 1 FROM t
             ON CONFLICT (key) DO UPDATE SET
                 count = CASE WHEN r.window_start + $4 <= now() THEN 1 ELSE r.count + 1 END,
                 window_start = CASE WHEN r.window_start + $4 <= now() THEN now()
                                     ELSE r.window_start END
             RETURNING count, window_start
         )
         SELECT t.id AS token_id, t.user_id, u.email, u.name, u.locale,
                w.id AS ws_id, w.slug AS ws_slug, w.name AS ws_name, w.plan AS ws_plan,
                w.schema_version AS ws_schema_version, w.created_at AS ws_created_at,
                w.require_two_factor AS ws_require_two_factor,
                hit.count, hit.window_start,
                w.require_two_factor
                    AND NOT EXISTS (SELECT 1 FROM user_totp
                                    WHERE user_id = t.user_id AND confirmed_at IS NOT NULL)
                    AND NOT EXISTS (SELECT 1 FROM passkeys WHERE user_id = t.user_id)
                    AS owes_second_factor,
                {columns}
         FROM t JOIN users u ON u.id = t.user_id
                JOIN workspaces w ON w.id = t.workspace_id
                CROSS JOIN hit
                {join}"
    );
    let mut query = sqlx::query_as::<_, CallerRow>(sqlx::AssertSqlSafe(sql))
        .bind(hash(token))
        .bind(TOUCH_INTERVAL)
        .bind(LIMIT_KEY_PREFIX)
        .bind(window);
    if let Some((reset, _, slug)) = switch {
        query = query.bind(limit).bind(slug).bind(reset.param());
    }
    let row = query.fetch_optional(&mut *conn).await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let counted = if row.count <= limit {
        Ok(row.count)
    } else {
        let left = row.window_start + window - OffsetDateTime::now_utc();
        Err(left.max(Duration::seconds(1)))
    };
    Ok(Some(TokenCaller {
        grant: TokenGrant {
            token_id: row.token_id,
            user_id: row.user_id,
            workspace_id: row.ws_id,
            workspace_slug: row.ws_slug.clone(),
        },
        user: crate::accounts::User {
            id: row.user_id,
            email: row.email,
            name: row.name,
            locale: row.locale,
        },
        workspace: crate::workspaces::Workspace {
            id: row.ws_id,
            slug: row.ws_slug,
            name: row.ws_name,
            plan: row.ws_plan,
            schema_version: row.ws_schema_version,
            created_at: row.ws_created_at,
            require_two_factor: row.ws_require_two_factor,
        },
        counted,
        owes_second_factor: row.owes_second_factor,
        switched: row.switched,
        member_role: row.member_role,
        backend_pid: row.backend_pid,
    }))
}
