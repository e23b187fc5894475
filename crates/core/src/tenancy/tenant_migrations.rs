//! Migrations of workspace schemas. Every schema records what it has applied in its own
//! `_bastion_migrations` table, so a schema stays self-contained and can be moved to another node
//! with its history; the control plane keeps a copy of the highest version so that a run with
//! nothing to do costs one query.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::{stream, TryStreamExt};
use sqlx::{migrate::Migration, AssertSqlSafe, Executor, PgConnection, PgPool, Row};

use crate::{CoreError, CoreResult, TenantSchema, WorkspaceId};

pub static TENANT_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/tenant");

/// Tenant migrations may say `{{tenant_role}}` where they need the workspace's own role (for
/// grants that differ from the schema's defaults, such as append-only tables).
const TENANT_ROLE_PLACEHOLDER: &str = "{{tenant_role}}";

pub fn latest_version() -> i64 {
    TENANT_MIGRATIONS
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// Runs inside the caller's transaction: creates the schema for a new workspace, owned by
/// `bastion_tenant_owner`, readable and writable by the workspace role only, and applies every
/// tenant migration. The caller creates the role first.
pub(crate) async fn create_schema(
    conn: &mut PgConnection,
    schema: &TenantSchema,
) -> CoreResult<()> {
    let q = schema.quoted();
    let ddl = format!(
        "SET LOCAL ROLE bastion_tenant_owner;
         CREATE SCHEMA {q};
         GRANT USAGE ON SCHEMA {q} TO {q};
         ALTER DEFAULT PRIVILEGES IN SCHEMA {q} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {q};
         ALTER DEFAULT PRIVILEGES IN SCHEMA {q} GRANT USAGE, SELECT ON SEQUENCES TO {q};
         CREATE TABLE {q}._bastion_migrations (
             version bigint PRIMARY KEY,
             description text NOT NULL,
             checksum bytea NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         );
         REVOKE ALL ON {q}._bastion_migrations FROM {q};"
    );
    conn.execute(AssertSqlSafe(ddl)).await?;
    apply_pending(conn, schema).await?;
    let rows = sqlx::raw_sql("RESET ROLE; SELECT pg_backend_pid() AS backend_pid")
        .fetch_all(&mut *conn)
        .await?;
    if let Some(pid) = rows.iter().find_map(|r| r.try_get("backend_pid").ok()) {
        crate::db::note_served(pid, schema);
    }
    Ok(())
}

/// Applies the migrations this schema lacks, inside the caller's transaction and as
/// `bastion_tenant_owner` (the caller has switched), and returns how many it applied. A migration whose text changed after it was applied is refused: schemas must
/// not drift apart silently.
async fn apply_pending(conn: &mut PgConnection, schema: &TenantSchema) -> CoreResult<usize> {
    let q = schema.quoted();
    let applied: Vec<(i64, Vec<u8>)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT version, checksum FROM {q}._bastion_migrations ORDER BY version"
    )))
    .fetch_all(&mut *conn)
    .await?;

    let mut count = 0;
    for migration in TENANT_MIGRATIONS.iter() {
        match applied.iter().find(|(v, _)| *v == migration.version) {
            Some((_, checksum)) if checksum.as_slice() != &*migration.checksum => {
                return Err(CoreError::MigrationChanged {
                    schema: schema.to_string(),
                    version: migration.version,
                })
            }
            Some(_) => continue,
            None => {
                apply_one(conn, schema, migration).await?;
                count += 1;
            }
        }
    }
    Ok(count)
}

async fn apply_one(
    conn: &mut PgConnection,
    schema: &TenantSchema,
    migration: &Migration,
) -> CoreResult<()> {
    let body = migration
        .sql
        .as_str()
        .replace(TENANT_ROLE_PLACEHOLDER, &schema.quoted());
    // The schema alone on the search path, so the migration's unqualified names land in this
    // schema and nowhere else.
    let script = format!(
        "SELECT set_config('search_path', '{schema}', true);
         {body}
         ;SELECT set_config('search_path', 'public', true);",
        schema = schema.as_str()
    );
    conn.execute(AssertSqlSafe(script)).await?;
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {}._bastion_migrations (version, description, checksum) VALUES ($1, $2, $3)",
        schema.quoted()
    )))
    .bind(migration.version)
    .bind(&*migration.description)
    .bind(&*migration.checksum)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What one `migrate_all` run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateReport {
    pub schemas_total: usize,
    pub schemas_migrated: usize,
    pub migrations_applied: usize,
}

/// Brings every workspace schema up to the latest tenant migration, `concurrency` schemas at a
/// time, each in its own transaction. Killing the run loses at most the schemas in flight, which
/// roll back; running it again picks up where it stopped. `progress(done, total)` is called after
/// each schema.
pub async fn migrate_all(
    pool: &PgPool,
    concurrency: usize,
    progress: impl Fn(usize, usize) + Send + Sync,
) -> CoreResult<MigrateReport> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    let latest = latest_version();
    let pending: Vec<WorkspaceId> = sqlx::query_scalar(
        "SELECT id FROM workspaces WHERE schema_version < $1 ORDER BY created_at, id",
    )
    .bind(latest)
    .fetch_all(pool)
    .await?;

    let total = pending.len();
    let done = AtomicUsize::new(0);
    let migrated = AtomicUsize::new(0);
    let applied = AtomicUsize::new(0);
    progress(0, total);

    stream::iter(pending.into_iter().map(Ok::<_, CoreError>))
        .try_for_each_concurrent(concurrency.max(1), |id| {
            let done = &done;
            let migrated = &migrated;
            let applied = &applied;
            let progress = &progress;
            async move {
                if let Some(n) = migrate_workspace(pool, id, latest).await? {
                    migrated.fetch_add(1, Ordering::Relaxed);
                    applied.fetch_add(n, Ordering::Relaxed);
                }
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                Ok(())
            }
        })
        .await?;

    Ok(MigrateReport {
        schemas_total: total,
        schemas_migrated: migrated.into_inner(),
        migrations_applied: applied.into_inner(),
    })
}

/// Migrates one workspace schema and returns how many migrations it applied, or `None` when
/// there was nothing to do after all. The row lock serialises concurrent runs over the same
/// schema.
async fn migrate_workspace(
    pool: &PgPool,
    id: WorkspaceId,
    latest: i64,
) -> CoreResult<Option<usize>> {
    let mut tx = pool.begin().await?;
    let locked: Option<i64> =
        sqlx::query_scalar("SELECT schema_version FROM workspaces WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match locked {
        // Erased meanwhile, or migrated by a concurrent run.
        None => return Ok(None),
        Some(v) if v >= latest => return Ok(None),
        Some(_) => {}
    }
    let schema = TenantSchema::for_workspace(id);
    tx.execute("SET LOCAL ROLE bastion_tenant_owner").await?;
    let n = apply_pending(&mut tx, &schema).await?;
    tx.execute("RESET ROLE").await?;
    sqlx::query("UPDATE workspaces SET schema_version = $2 WHERE id = $1")
        .bind(id)
        .bind(latest)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(n))
}
