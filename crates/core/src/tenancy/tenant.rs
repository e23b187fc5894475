//! The only door into a workspace schema: a transaction that has switched to the workspace's
//! own role and search path before any query of the caller runs.

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

/// A transaction confined to one workspace: `SET LOCAL ROLE ws_<id>` and a local `search_path`
/// of that schema alone. PostgreSQL itself then refuses any other workspace's tables, even
/// schema-qualified, and every control-plane table. Because both settings are transaction-local
/// they end with the transaction, also behind a transaction-mode pooler. `pg_temp` is named last
/// so that a temporary table could never shadow a workspace table (and workspace roles may not
/// create temporary tables at all).
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
    Own(Option<PoolConnection<Postgres>>),
}

impl TenantTx {
    /// Opens the transaction in one round trip: `BEGIN` and both settings travel in one
    /// simple-protocol message, since a separate round trip for the settings costs about a
    /// quarter of a one-query request.
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

    /// A workspace role granted moments ago on another connection is, rarely, refused by
    /// `SET ROLE` ("permission denied to set role"): the backend's cached membership list of
    /// the login role was rebuilt while that `GRANT` committed, and it stays stale until the
    /// next change to role memberships. The failed connection is closed on release (it is left
    /// in an aborted transaction, which `db::connect` never returns to the pool), and the
    /// transaction is opened again on another one.
    async fn open(
        pool: &PgPool,
        conn: PoolConnection<Postgres>,
        schema: &TenantSchema,
        actor: Actor,
        member: Option<Uuid>,
    ) -> CoreResult<(Self, Option<String>)> {
        const ATTEMPTS: usize = 3;
        let mut conn = conn;
        let claim = crate::actor_claim::claim_for(pool, &mut conn, schema, actor).await?;
        let mut attempt = 1;
        loop {
            match Self::try_open(&mut conn, schema, &claim, member).await {
                Ok(role) => {
                    let tx = Self {
                        inner: Inner::Own(Some(conn)),
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

    async fn try_open(
        conn: &mut PgConnection,
        schema: &TenantSchema,
        claim: &str,
        member: Option<Uuid>,
    ) -> Result<Option<String>, sqlx::Error> {
        // Everything is spliced, not bound: the simple protocol has no parameters. The schema
        // name comes from a WorkspaceId, the member from a Uuid and the actor claim is hex,
        // digits, hyphens and dots (`actor_claim::sign`), so none can carry a quote. The membership read is a statement of its own, after the settings: a
        // statement's table names resolve when it is parsed, under the search path of that time.
        let mut statement = format!(
            "BEGIN; SELECT set_config('role', '{schema}', true), \
             set_config('search_path', '{schema}, pg_temp', true), \
             set_config('bastion.actor', '{actor}', true)",
            schema = schema.as_str(),
            actor = claim,
        );
        if let Some(user) = member {
            statement.push_str(&format!(
                "; SELECT role AS member_role FROM members WHERE user_id = '{}' AND active",
                user.hyphenated()
            ));
        }
        let rows = sqlx::raw_sql(AssertSqlSafe(statement))
            .fetch_all(&mut *conn)
            .await?;
        if member.is_none() {
            return Ok(None);
        }
        Ok(rows
            .iter()
            .find_map(|row| row.try_get::<String, _>("member_role").ok()))
    }

    /// Turns a control-plane transaction into a tenant one, for the few operations that must
    /// change both atomically (adding a member writes the directory and the workspace). After
    /// this the transaction can no longer reach the control plane.
    pub(crate) async fn enter(
        mut tx: Transaction<'static, Postgres>,
        schema: &TenantSchema,
        actor: Actor,
    ) -> CoreResult<Self> {
        let claim = crate::actor_claim::claim_on(&mut tx, schema, actor).await?;
        sqlx::query(
            "SELECT set_config('role', $1, true), set_config('search_path', $1 || ', pg_temp', true), \
             set_config('bastion.actor', $2, true)",
        )
        .bind(schema.as_str())
        .bind(claim)
        .execute(&mut *tx)
        .await?;
        Ok(Self {
            inner: Inner::Sqlx(Some(tx)),
            schema: schema.clone(),
            actor,
        })
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        match &mut self.inner {
            Inner::Sqlx(Some(tx)) => tx,
            Inner::Own(Some(conn)) => conn,
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
            Inner::Own(conn) => {
                let mut conn = conn.take().expect("a TenantTx ends once");
                sqlx::raw_sql(how).execute(&mut *conn).await?;
            }
        }
        Ok(())
    }
}

/// A transaction dropped without `commit` (an error path, a 404) is rolled back: sqlx's own
/// transactions queue a `ROLLBACK` for the connection's next use; ours sends it from a task, so
/// the connection goes back to the pool clean. Without a runtime to run that task the
/// connection is returned mid-transaction, and the pool closes it instead (`db::connect`).
impl Drop for TenantTx {
    fn drop(&mut self) {
        if let Inner::Own(conn) = &mut self.inner {
            if let (Some(mut conn), Ok(runtime)) =
                (conn.take(), tokio::runtime::Handle::try_current())
            {
                runtime.spawn(async move {
                    if let Err(error) = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await {
                        tracing::warn!(%error, "rolling back a dropped tenant transaction");
                        conn.close_on_drop();
                    }
                });
            }
        }
    }
}

/// "permission denied to set role" (42501) from the `set_config('role', …)` of [`TenantTx`].
pub(crate) fn is_stale_role_membership(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|db| {
        db.code().as_deref() == Some("42501") && db.message().contains("set role")
    })
}
