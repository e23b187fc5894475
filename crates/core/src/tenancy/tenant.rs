//! The only door into a workspace schema: a transaction that has switched to the workspace's
//! own role and search path before any query of the caller runs.

use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::{
    pool::PoolConnection, postgres::PgConnection, AssertSqlSafe, PgPool, Postgres, Row, Transaction,
};
use uuid::Uuid;

use crate::{CoreResult, TenantSchema};

/// Who acts inside a tenant transaction. Audit triggers read it from the transaction-local
/// setting `bastion.actor`, so the actor cannot be forgotten by a query; the setting holds a
/// claim signed for the workspace (`actor_claim`), so a query cannot change it either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(Uuid),
    /// Operator commands and background jobs.
    System,
}

impl Actor {
    pub(crate) fn setting(&self) -> String {
        match self {
            Actor::User(id) => id.hyphenated().to_string(),
            Actor::System => "system".to_owned(),
        }
    }
}

/// How a [`TenantTx`] becomes the workspace role, chosen once per process at start-up
/// (`bastion serve` checks the database and refuses the revertible one unless told to accept it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleSwitch {
    /// The `set_user` extension: `set_user(role, token)` before the transaction and
    /// `reset_user(token)` after it. Between the two, PostgreSQL refuses `SET ROLE`, `RESET
    /// ROLE`, `SET SESSION AUTHORIZATION`, `set_config()` and another `set_user`, so SQL running
    /// inside cannot leave the workspace role; and the login needs no membership of it.
    Irrevocable,
    /// `set_config('role', …, true)` inside the transaction, for a PostgreSQL without the
    /// extension: the login must be a member of every workspace role, and SQL running inside
    /// could `RESET ROLE` or `SET ROLE` into another workspace.
    Revertible,
}

impl RoleSwitch {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleSwitch::Irrevocable => "irrevocable",
            RoleSwitch::Revertible => "revertible",
        }
    }
}

static REVERTIBLE: AtomicBool = AtomicBool::new(false);

/// The role switch of this process; [`RoleSwitch::Irrevocable`] unless set otherwise.
pub fn role_switch() -> RoleSwitch {
    match REVERTIBLE.load(Ordering::Relaxed) {
        true => RoleSwitch::Revertible,
        false => RoleSwitch::Irrevocable,
    }
}

/// Chooses the role switch for the whole process, before the first tenant transaction.
pub fn set_role_switch(switch: RoleSwitch) {
    REVERTIBLE.store(switch == RoleSwitch::Revertible, Ordering::Relaxed);
}

/// Where `CREATE EXTENSION set_user` puts its functions: a schema of its own, since workspace
/// roles have no access to `public` yet must be able to call `reset_user(token)` (which needs
/// the token they never see); `set_user` itself is executable by the serving login alone.
pub const SWITCH_SCHEMA: &str = "bastion_switch";

/// A transaction confined to one workspace: the workspace's own role and a local `search_path`
/// of that schema alone. PostgreSQL itself then refuses any other workspace's tables, even
/// schema-qualified, and every control-plane table. `pg_temp` is named last so that a temporary
/// table could never shadow a workspace table (and workspace roles may not create temporary
/// tables at all). The search path and actor are transaction-local (for a read-only entry,
/// [`Access::ReadOnly`], the search path is the session's until the next checkout, and there is
/// no actor: nothing is written); the role is switched as [`role_switch`] says.
pub struct TenantTx {
    inner: Inner,
    schema: TenantSchema,
    actor: Actor,
}

enum Inner {
    /// Opened by [`TenantTx::enter`] inside a control-plane transaction of sqlx's making.
    Sqlx(Option<Transaction<'static, Postgres>>),
    /// Opened by [`TenantTx::begin_on`]: our own `BEGIN`, sent in one message with the settings
    /// (and the membership read), which sqlx's `Transaction` cannot do because it discards the
    /// rows of its opening statement. Ended by `commit`/`rollback`, or by `Drop` (see there).
    /// `token` is the `set_user` reset token of an irrevocable switch.
    Own(Option<PoolConnection<Postgres>>, Option<ResetToken>),
    /// Entered by a lookup for [`Access::ReadOnly`] ([`TenantTx::switched_read`]): no
    /// transaction of ours, so ending it is the switch's reset alone.
    Read(Option<(PoolConnection<Postgres>, ResetToken)>),
}

/// The secret that ends an irrevocable switch: 32 random bytes from the operating system, fresh
/// for every checkout, bound as a parameter (never in statement text, so never in
/// `pg_stat_activity` nor a log line), and never printed.
pub(crate) struct ResetToken(String);

impl ResetToken {
    pub(crate) fn new() -> Self {
        use rand::TryRngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the operating system's random source");
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// For binding as a statement's parameter, never for splicing into its text.
    pub(crate) fn param(&self) -> &str {
        &self.0
    }
}

/// What a request may do in the workspace it enters, which decides how it is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Changes work data: a transaction (`BEGIN` with the transaction-local settings and the
    /// membership read in one message, `COMMIT` at the end), so that every change and its
    /// history are written together or not at all.
    ReadWrite,
    /// Only reads (a `GET`): with the irrevocable switch, the lookup statement itself reads the
    /// membership and sets the workspace's search path and `default_transaction_read_only` for
    /// the session before it switches, so the request's reads run in no transaction of ours, each
    /// statement alone (what `READ COMMITTED` gives each statement inside one anyway), and
    /// PostgreSQL refuses any write. Two round trips fewer: the opening message and `COMMIT`.
    /// The pool's reset at the next checkout (`db::connect`) takes the session settings back.
    ReadOnly,
}

impl Access {
    /// How a request with this HTTP method enters: `GET` and `HEAD` only read (HTTP's safe
    /// methods; nothing Bastion serves changes data on one), everything else may write. The REST
    /// extractor and the pages' server functions both ask here, so the two doors cannot differ.
    pub fn for_method(method: &str) -> Self {
        match method {
            "GET" | "HEAD" => Self::ReadOnly,
            _ => Self::ReadWrite,
        }
    }
}

/// The parts of a lookup statement (who is calling, and where) that also make the irrevocable
/// switch, so the request pays no round trip of its own for `set_user`: when `condition` holds
/// (and, for [`Access::ReadOnly`], the user `user_id` is an active member of the workspace),
/// the connection becomes the role of the workspace whose id is `ws_id`, with the
/// [`ResetToken`] bound as parameter `$param`. `join` goes after the statement's `FROM` items
/// (it may be empty), `columns` at the end of its select list: `switched`, `member_role` (read
/// by the lookup for a read-only request, as the login, through `bastion_entry.member_role`,
/// which reads the workspace's own `members` as their owner; `NULL` otherwise) and
/// `backend_pid`.
///
/// Like `set_user` alone, the statement must run outside a transaction block and the switch
/// takes effect when it commits; one that fails has switched nothing. The role name is the
/// schema's (`TenantSchema::for_workspace`: `ws_` and the id's 32 hex digits); a name that were
/// to differ names no role and the switch is refused, and [`reset`] checks the role it ends.
/// `condition` must hold only when the request goes on into the workspace: read `switched` and
/// hand the connection to [`TenantTx::begin_switched_member`] or [`TenantTx::switched_read`],
/// which end the switch with the request. Everything the request reads as the login must be in
/// the same statement: once the switch is made, the connection is the workspace's until it is
/// reset.
pub(crate) struct SwitchSql {
    pub(crate) join: String,
    pub(crate) columns: String,
}

pub(crate) fn switch_sql(
    access: Access,
    condition: &str,
    ws_id: &str,
    user_id: &str,
    param: usize,
) -> SwitchSql {
    let role = format!("'ws_' || replace(({ws_id})::text, '-', '')");
    let set_user = format!("{SWITCH_SCHEMA}.set_user({role}, ${param}) IS NOT NULL");
    match access {
        Access::ReadWrite => SwitchSql {
            join: String::new(),
            columns: format!(
                "NULL::text AS member_role, NULL::int4 AS backend_pid, \
                 CASE WHEN {condition} THEN {set_user} ELSE false END AS switched"
            ),
        },
        // CASE, not a WHERE, so that the membership is read only when the condition holds (a
        // planner may evaluate a pulled-up subquery's output before its filter). The settings
        // come first in the conjunction, as the login: set_user refuses `set_config` once
        // switched.
        Access::ReadOnly => SwitchSql {
            join: format!(
                "CROSS JOIN LATERAL (SELECT CASE WHEN {condition} \
                 THEN bastion_entry.member_role({ws_id}, {user_id}) END AS role) entry"
            ),
            columns: format!(
                "entry.role AS member_role, pg_backend_pid() AS backend_pid, \
                 CASE WHEN entry.role IS NOT NULL \
                 THEN set_config('search_path', {role} || ', pg_temp', false) IS NOT NULL \
                      AND set_config('default_transaction_read_only', 'on', false) IS NOT NULL \
                      AND {set_user} \
                 ELSE false END AS switched"
            ),
        },
    }
}

impl std::fmt::Debug for ResetToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl TenantTx {
    /// Opens the transaction: with the irrevocable switch, `set_user` (a statement of its own,
    /// which the extension refuses inside a transaction block) then `BEGIN` and the settings in
    /// one simple-protocol message; with the revertible one, that message alone.
    pub async fn begin(pool: &PgPool, schema: &TenantSchema, actor: Actor) -> CoreResult<Self> {
        let conn = pool.acquire().await?;
        Self::begin_on(pool, conn, schema, actor).await
    }

    /// Opens the transaction on a connection the caller already holds, so that a request which
    /// looked up its session and workspace on that connection checks out only one: each
    /// checkout costs two more round trips when it goes back (the reset and sqlx's ping).
    pub async fn begin_on(
        pool: &PgPool,
        conn: PoolConnection<Postgres>,
        schema: &TenantSchema,
        actor: Actor,
    ) -> CoreResult<Self> {
        let (tx, _) = Self::open(pool, conn, schema, actor, None).await?;
        Ok(tx)
    }

    /// Opens the transaction as `user_id` and reads their role in the same round trip: `None`
    /// (and the transaction rolled back) unless they are an active member. The role is read
    /// inside the workspace on every request, never cached, so a role change or a deactivation
    /// applies to the very next request.
    pub async fn begin_as_member(
        pool: &PgPool,
        conn: PoolConnection<Postgres>,
        schema: &TenantSchema,
        user_id: Uuid,
    ) -> CoreResult<Option<(String, Self)>> {
        let (tx, role) =
            Self::open(pool, conn, schema, Actor::User(user_id), Some(user_id)).await?;
        match role {
            Some(role) => Ok(Some((role, tx))),
            None => {
                tx.rollback().await?;
                Ok(None)
            }
        }
    }

    /// [`Self::begin_as_member`] on a connection that a lookup statement has already switched
    /// to the workspace's role with `token` ([`switch_column`]): the switch's own round trip
    /// saved. The claim key must already be in this process (`actor_claim::load_key` before the
    /// lookup), since the workspace role cannot read it.
    pub(crate) async fn begin_switched_member(
        pool: &PgPool,
        mut conn: PoolConnection<Postgres>,
        schema: &TenantSchema,
        user_id: Uuid,
        token: ResetToken,
    ) -> CoreResult<Option<(String, Self)>> {
        let actor = Actor::User(user_id);
        let opened = match crate::actor_claim::claim_cached(pool, schema, actor) {
            Some(claim) => Self::try_open(&mut conn, schema, &claim, Some(user_id))
                .await
                .map_err(crate::CoreError::from),
            None => Err(crate::CoreError::Internal(
                "the actor claim key was not loaded before the switch".into(),
            )),
        };
        let role = match opened {
            Ok(role) => role,
            Err(e) => {
                // Not in a transaction (a failed claim) or in an aborted one: either way the
                // connection is closed, never returned switched.
                conn.close_on_drop();
                return Err(e);
            }
        };
        let tx = Self {
            inner: Inner::Own(Some(conn), Some(token)),
            schema: schema.clone(),
            actor,
        };
        match role {
            Some(role) => Ok(Some((role, tx))),
            None => {
                tx.rollback().await?;
                Ok(None)
            }
        }
    }

    /// The read-only way in ([`Access::ReadOnly`]): a connection that a lookup statement has
    /// already switched to the workspace's role with `token`, after reading the membership and
    /// setting the session's search path to the workspace and its transactions to read only
    /// ([`switch_sql`]). Nothing is sent: the request's statements run each alone, and
    /// `commit`, `rollback` or `Drop` only reset the switch. `backend_pid` is the lookup's.
    pub(crate) fn switched_read(
        conn: PoolConnection<Postgres>,
        schema: &TenantSchema,
        user_id: Uuid,
        token: ResetToken,
        backend_pid: Option<i32>,
    ) -> Self {
        if let Some(pid) = backend_pid {
            crate::db::note_served(pid, schema);
        }
        Self {
            inner: Inner::Read(Some((conn, token))),
            schema: schema.clone(),
            actor: Actor::User(user_id),
        }
    }

    /// With the revertible switch, a workspace role granted moments ago on another connection
    /// is, rarely, refused by `SET ROLE` ("permission denied to set role"): the backend's cached
    /// membership list of the login role was rebuilt while that `GRANT` committed, and it stays
    /// stale until the next change to role memberships. The failed connection is closed on
    /// release (it is left in an aborted transaction, which `db::connect` never returns to the
    /// pool), and the transaction is opened again on another one. The irrevocable switch
    /// involves no membership of the login and is not retried.
    async fn open(
        pool: &PgPool,
        conn: PoolConnection<Postgres>,
        schema: &TenantSchema,
        actor: Actor,
        member: Option<Uuid>,
    ) -> CoreResult<(Self, Option<String>)> {
        if role_switch() == RoleSwitch::Irrevocable {
            return Self::open_irrevocable(pool, conn, schema, actor, member).await;
        }
        const ATTEMPTS: usize = 3;
        let mut conn = conn;
        let claim = crate::actor_claim::claim_for(pool, &mut conn, schema, actor).await?;
        let mut attempt = 1;
        loop {
            match Self::try_open(&mut conn, schema, &claim, member).await {
                Ok(role) => {
                    let tx = Self {
                        inner: Inner::Own(Some(conn), None),
                        schema: schema.clone(),
                        actor,
                    };
                    return Ok((tx, role));
                }
                Err(e) if attempt < ATTEMPTS && is_stale_role_membership(&e) => {
                    tracing::warn!(
                        schema = schema.as_str(),
                        attempt,
                        "SET ROLE refused for a workspace role; retrying on another connection"
                    );
                    attempt += 1;
                    // The refused connection is mid-transaction: the pool closes it.
                    conn = pool.acquire().await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// `set_user` takes effect when its own statement commits, so it runs before `BEGIN`, as a
    /// statement alone (the extension refuses it in a transaction block, and a message of
    /// several statements is one). A connection that fails anywhere from here on is closed,
    /// never returned switched to the pool.
    async fn open_irrevocable(
        pool: &PgPool,
        mut conn: PoolConnection<Postgres>,
        schema: &TenantSchema,
        actor: Actor,
        member: Option<Uuid>,
    ) -> CoreResult<(Self, Option<String>)> {
        // The claim key is read (once per process) as the login: the workspace role cannot.
        let claim = crate::actor_claim::claim_for(pool, &mut conn, schema, actor).await?;
        let token = ResetToken::new();
        // Refused (no such role, not in the allowlist), it has not taken effect: the
        // connection is still the login's and goes back to the pool.
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {SWITCH_SCHEMA}.set_user($1, $2)"
        )))
        .bind(schema.as_str())
        .bind(&token.0)
        .execute(&mut *conn)
        .await?;
        match Self::try_open(&mut conn, schema, &claim, member).await {
            Ok(role) => {
                let tx = Self {
                    inner: Inner::Own(Some(conn), Some(token)),
                    schema: schema.clone(),
                    actor,
                };
                Ok((tx, role))
            }
            Err(e) => {
                conn.close_on_drop();
                Err(e.into())
            }
        }
    }

    async fn try_open(
        conn: &mut PgConnection,
        schema: &TenantSchema,
        claim: &str,
        member: Option<Uuid>,
    ) -> Result<Option<String>, sqlx::Error> {
        // Everything is spliced, not bound: the simple protocol has no parameters. The schema
        // name comes from a WorkspaceId and the member from a Uuid, so neither can carry a
        // quote; the actor claim is hex, digits, hyphens and dots (`actor_claim::sign`) and is
        // quoted as a literal all the same. The membership read is a statement of its own, after
        // the settings: a statement's table names resolve when it is parsed, under the search
        // path of that time. `SET LOCAL`, not `set_config()`, which the set_user extension
        // refuses while switched.
        let role = match role_switch() {
            RoleSwitch::Irrevocable => String::new(),
            RoleSwitch::Revertible => format!("SET LOCAL ROLE {}; ", schema.as_str()),
        };
        let mut statement = format!(
            "BEGIN; {role}SET LOCAL search_path = {schema}, pg_temp; \
             SET LOCAL bastion.actor = {actor}",
            schema = schema.as_str(),
            actor = quote_literal(claim),
        );
        if let Some(user) = member {
            statement.push_str(&format!(
                "; SELECT role AS member_role FROM members WHERE user_id = '{}' AND active",
                user.hyphenated()
            ));
        }
        // The backend's process id rides along, to count the workspaces this connection has
        // served (`db::PoolSettings::workspaces_per_connection`).
        statement.push_str("; SELECT pg_backend_pid() AS backend_pid");
        let rows = sqlx::raw_sql(AssertSqlSafe(statement))
            .fetch_all(&mut *conn)
            .await?;
        if let Some(pid) = rows.iter().find_map(|row| row.try_get("backend_pid").ok()) {
            crate::db::note_served(pid, schema);
        }
        if member.is_none() {
            return Ok(None);
        }
        Ok(rows
            .iter()
            .find_map(|row| row.try_get::<String, _>("member_role").ok()))
    }

    /// Turns a control-plane transaction into a tenant one, for the few operations that must
    /// change both atomically (adding a member writes the directory and the workspace). The
    /// transaction must be the provisioning login's (`db::provisioning`): it becomes
    /// `bastion_tenant_owner`, the owner of every workspace's tables, since `set_user` cannot
    /// switch inside a transaction and the provisioning login is a member of no workspace role
    /// (a membership per workspace is what made every `GRANT` cost O(workspaces) in every
    /// backend). The search path is the workspace's alone, so unqualified names stay in it.
    pub(crate) async fn enter(
        mut tx: Transaction<'static, Postgres>,
        schema: &TenantSchema,
        actor: Actor,
    ) -> CoreResult<Self> {
        let claim = crate::actor_claim::claim_on(&mut tx, schema, actor).await?;
        let row = sqlx::query(
            "SELECT set_config('role', 'bastion_tenant_owner', true), \
             set_config('search_path', $1 || ', pg_temp', true), \
             set_config('bastion.actor', $2, true), pg_backend_pid() AS backend_pid",
        )
        .bind(schema.as_str())
        .bind(claim)
        .fetch_one(&mut *tx)
        .await?;
        let pid: i32 = row.try_get("backend_pid")?;
        crate::db::note_served(pid, schema);
        Ok(Self {
            inner: Inner::Sqlx(Some(tx)),
            schema: schema.clone(),
            actor,
        })
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        match &mut self.inner {
            Inner::Sqlx(Some(tx)) => tx,
            Inner::Own(Some(conn), _) | Inner::Read(Some((conn, _))) => conn,
            _ => unreachable!("a TenantTx is only emptied by commit, rollback or drop"),
        }
    }

    pub fn schema(&self) -> &TenantSchema {
        &self.schema
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    pub async fn commit(mut self) -> CoreResult<()> {
        self.end("COMMIT").await
    }

    pub async fn rollback(mut self) -> CoreResult<()> {
        self.end("ROLLBACK").await
    }

    async fn end(&mut self, how: &'static str) -> CoreResult<()> {
        match &mut self.inner {
            Inner::Sqlx(tx) => {
                let tx = tx.take().expect("a TenantTx ends once");
                if how == "COMMIT" {
                    tx.commit().await?;
                } else {
                    tx.rollback().await?;
                }
            }
            Inner::Read(entered) => {
                let (mut conn, token) = entered.take().expect("a TenantTx ends once");
                reset(&mut conn, &self.schema, &token).await;
            }
            Inner::Own(conn, token) => {
                let mut conn = conn.take().expect("a TenantTx ends once");
                let ended = sqlx::raw_sql(how).execute(&mut *conn).await;
                if let Some(token) = token.take() {
                    // Whatever the end, the switch is undone before the connection serves
                    // anything else, or the connection goes.
                    reset(&mut conn, &self.schema, &token).await;
                }
                ended?;
            }
        }
        Ok(())
    }
}

/// Ends an irrevocable switch, in one statement (the extension refuses `reset_user` in a
/// transaction block too). `current_user` in the same statement is still the workspace role,
/// since the reset takes effect when the statement commits: anything else means the switch was
/// undone behind our back (a bare `DISCARD ALL` outside a transaction block is the one way
/// found; nothing Bastion sends can carry one). A connection that fails to reset, or was
/// tampered with, is closed rather than returned to the pool.
async fn reset(conn: &mut PoolConnection<Postgres>, schema: &TenantSchema, token: &ResetToken) {
    let outcome: Result<String, sqlx::Error> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT current_user::text FROM {SWITCH_SCHEMA}.reset_user($1)"
    )))
    .bind(&token.0)
    .fetch_one(&mut **conn)
    .await;
    match outcome {
        Ok(role) if role == schema.as_str() => {}
        Ok(role) => {
            tracing::error!(
                schema = schema.as_str(),
                role,
                "a tenant connection was no longer in its workspace role; closing it"
            );
            conn.close_on_drop();
        }
        Err(error) => {
            tracing::warn!(%error, "ending a workspace role switch; closing the connection");
            conn.close_on_drop();
        }
    }
}

/// `value` as an SQL string literal, for the simple-protocol splice of [`TenantTx`]
/// (`standard_conforming_strings` is on: a doubled quote is the only escape).
fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A transaction dropped without `commit` (an error path, a 404) is rolled back: sqlx's own
/// transactions queue a `ROLLBACK` for the connection's next use; ours sends it from a task, and
/// ends the role switch, so the connection goes back to the pool clean. Without a runtime to run
/// that task the connection is closed instead.
impl Drop for TenantTx {
    fn drop(&mut self) {
        if let Inner::Read(entered) = &mut self.inner {
            let Some((mut conn, token)) = entered.take() else {
                return;
            };
            let schema = self.schema.clone();
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(async move { reset(&mut conn, &schema, &token).await });
                }
                Err(_) => conn.close_on_drop(),
            }
            return;
        }
        if let Inner::Own(conn, token) = &mut self.inner {
            let Some(mut conn) = conn.take() else { return };
            let token = token.take();
            let schema = self.schema.clone();
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(async move {
                        if let Err(error) = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await {
                            tracing::warn!(%error, "rolling back a dropped tenant transaction");
                            conn.close_on_drop();
                        }
                        if let Some(token) = token {
                            reset(&mut conn, &schema, &token).await;
                        }
                    });
                }
                Err(_) => conn.close_on_drop(),
            }
        }
    }
}

/// "permission denied to set role" (42501) from the revertible switch of [`TenantTx`] or of
/// [`TenantTx::enter`].
pub(crate) fn is_stale_role_membership(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|db| {
        db.code().as_deref() == Some("42501") && db.message().contains("set role")
    })
}

#[cfg(test)]
mod tests {
    use super::Access;

    #[test]
    fn only_the_safe_methods_enter_read_only() {
        for method in ["GET", "HEAD"] {
            assert_eq!(Access::for_method(method), Access::ReadOnly, "{method}");
        }
        // Method names are case-sensitive: `get` is some other method, which may write.
        for method in ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", ""] {
            assert_eq!(Access::for_method(method), Access::ReadWrite, "{method}");
        }
    }
}
