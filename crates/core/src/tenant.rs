//! The only door into a workspace schema: a transaction that has switched to the workspace's
//! own role and search path before any query of the caller runs.

use sqlx::{postgres::PgConnection, AssertSqlSafe, PgPool, Postgres, Transaction};
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
        // Both values are spliced, not bound: the simple protocol has no parameters. The schema
        // name comes from a WorkspaceId and the actor from a Uuid, so neither can carry a quote.
        let statement = format!(
            "BEGIN; SELECT set_config('role', '{schema}', true), \
             set_config('search_path', '{schema}, pg_temp', true), \
             set_config('bastion.actor', '{actor}', true)",
            schema = schema.as_str(),
            actor = actor.setting(),
        );
        let tx = pool.begin_with(AssertSqlSafe(statement)).await?;
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
