//! The only door into a workspace schema: a transaction that has switched to the workspace's
//! own role and search path before any query of the caller runs.

use sqlx::{
    pool::PoolConnection, postgres::PgConnection, AssertSqlSafe, PgPool, Postgres, SqlSafeStr,
    Transaction,
};
use uuid::Uuid;

use crate::{CoreResult, TenantSchema};

/// Who acts inside a tenant transaction. Audit triggers read it from the transaction-local
/// setting `bastion.actor`, so the actor cannot be forgotten by a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(Uuid),
    /// Operator commands and background jobs.
    System,
}

impl Actor {
    fn setting(&self) -> String {
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
    tx: Transaction<'static, Postgres>,
    schema: TenantSchema,
    actor: Actor,
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
    ///
    /// A workspace role granted moments ago on another connection is, rarely, refused by
    /// `SET ROLE` ("permission denied to set role"): the backend's cached membership list of
    /// the login role was rebuilt while that `GRANT` committed, and it stays stale until the
    /// next change to role memberships. The failed connection is closed on release (it is left
    /// in an aborted transaction, which `db::connect` never returns to the pool), and the
    /// transaction is opened again on another one.
    pub async fn begin_on(
        pool: &PgPool,
        conn: PoolConnection<Postgres>,
        schema: &TenantSchema,
        actor: Actor,
    ) -> CoreResult<Self> {
        const ATTEMPTS: usize = 3;
        let mut conn = conn;
        let mut attempt = 1;
        loop {
            match Self::try_begin(conn, schema, actor).await {
                Err(e) if attempt < ATTEMPTS && is_stale_role_membership(&e) => {
                    tracing::warn!(
                        schema = schema.as_str(),
                        attempt,
                        "SET ROLE refused for a workspace role; retrying on another connection"
                    );
                    attempt += 1;
                    conn = pool.acquire().await?;
                }
                other => return other.map_err(Into::into),
            }
        }
    }

    async fn try_begin(
        conn: PoolConnection<Postgres>,
        schema: &TenantSchema,
        actor: Actor,
    ) -> Result<Self, sqlx::Error> {
        // Both values are spliced, not bound: the simple protocol has no parameters. The schema
        // name comes from a WorkspaceId and the actor from a Uuid, so neither can carry a quote.
        let statement = format!(
            "BEGIN; SELECT set_config('role', '{schema}', true), \
             set_config('search_path', '{schema}, pg_temp', true), \
             set_config('bastion.actor', '{actor}', true)",
            schema = schema.as_str(),
            actor = actor.setting(),
        );
        // `Transaction::begin` is what `Pool::begin_with` calls; it is the only way to start a
        // transaction with a custom statement on a connection that is already checked out.
        let tx = Transaction::begin(conn, Some(AssertSqlSafe(statement).into_sql_str())).await?;
        Ok(Self {
            tx,
            schema: schema.clone(),
            actor,
        })
    }

    /// Turns a control-plane transaction into a tenant one, for the few operations that must
    /// change both atomically (adding a member writes the directory and the workspace). After
    /// this the transaction can no longer reach the control plane.
    pub(crate) async fn enter(
        mut tx: Transaction<'static, Postgres>,
        schema: &TenantSchema,
        actor: Actor,
    ) -> CoreResult<Self> {
        sqlx::query(
            "SELECT set_config('role', $1, true), set_config('search_path', $1 || ', pg_temp', true), \
             set_config('bastion.actor', $2, true)",
        )
        .bind(schema.as_str())
        .bind(actor.setting())
        .execute(&mut *tx)
        .await?;
        Ok(Self {
            tx,
            schema: schema.clone(),
            actor,
        })
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub fn schema(&self) -> &TenantSchema {
        &self.schema
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    pub async fn commit(self) -> CoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }

    pub async fn rollback(self) -> CoreResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// "permission denied to set role" (42501) from the `set_config('role', …)` of [`TenantTx`].
pub(crate) fn is_stale_role_membership(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|db| {
        db.code().as_deref() == Some("42501") && db.message().contains("set role")
    })
}
