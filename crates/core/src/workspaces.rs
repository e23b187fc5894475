//! Workspaces in the control plane, and their provisioning: one row, one role, one schema.

use serde::Serialize;
use sqlx::{AssertSqlSafe, Executor, PgConnection, PgPool};
use time::OffsetDateTime;

use crate::{
    keys::MasterKeyRing, secrets, tenant_migrations, CoreError, CoreResult, Slug, TenantSchema,
    WorkspaceId,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub slug: String,
    pub name: String,
    pub plan: String,
    pub schema_version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Workspace {
    pub fn schema(&self) -> TenantSchema {
        TenantSchema::for_workspace(self.id)
    }
}

/// A checked workspace name: trimmed, 1 to 100 characters.
pub fn parse_name(input: &str) -> CoreResult<String> {
    let name = input.trim();
    match name.chars().count() {
        0 => Err(CoreError::invalid("name", "must not be empty")),
        n if n > 100 => Err(CoreError::invalid("name", "must be at most 100 characters")),
        _ => Ok(name.to_owned()),
    }
}

/// Creates the workspace row, its data key (wrapped under `master`), its `NOLOGIN` role, its
/// schema and every tenant migration in one transaction: either the workspace exists completely
/// or not at all.
pub async fn create_workspace(
    pool: &PgPool,
    master: &MasterKeyRing,
    slug: &Slug,
    name: &str,
) -> CoreResult<Workspace> {
    let mut tx = pool.begin().await?;
    let workspace = create_workspace_in(&mut tx, master, slug, name).await?;
    tx.commit().await?;
    Ok(workspace)
}

/// As [`create_workspace`], inside the caller's transaction, for callers that create more in
/// the same breath (a confirmed signup creates its user, workspace and admin membership at once).
pub async fn create_workspace_in(
    tx: &mut PgConnection,
    master: &MasterKeyRing,
    slug: &Slug,
    name: &str,
) -> CoreResult<Workspace> {
    let name = parse_name(name)?;
    let id = WorkspaceId::new();
    let schema = TenantSchema::for_workspace(id);

    // A savepoint, so that a taken slug is a clean conflict the caller can answer or retry.
    (&mut *tx).execute("SAVEPOINT create_workspace").await?;
    let inserted = sqlx::query_as::<_, Workspace>(
        "INSERT INTO workspaces (id, slug, name, schema_version) VALUES ($1, $2, $3, $4)
         RETURNING id, slug, name, plan, schema_version, created_at",
    )
    .bind(id)
    .bind(slug.as_str())
    .bind(&name)
    .bind(tenant_migrations::latest_version())
    .fetch_one(&mut *tx)
    .await;
    let workspace = match inserted {
        Ok(ws) => ws,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            (&mut *tx)
                .execute("ROLLBACK TO SAVEPOINT create_workspace")
                .await?;
            return Err(CoreError::Conflict(format!(
                "a workspace with the address '{slug}' already exists"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    (&mut *tx)
        .execute("RELEASE SAVEPOINT create_workspace")
        .await?;
    secrets::create_data_key(&mut *tx, master, id).await?;

    // The login role joins the new role so that it can `SET ROLE` into it, and into nothing it
    // was not granted.
    let q = schema.quoted();
    (&mut *tx)
        .execute(AssertSqlSafe(format!(
            "CREATE ROLE {q} NOLOGIN NOINHERIT; GRANT {q} TO CURRENT_USER;"
        )))
        .await?;
    tenant_migrations::create_schema(&mut *tx, &schema).await?;
    Ok(workspace)
}

/// Creates a workspace with `admin` as its first member and admin, in one transaction.
pub async fn create_with_admin(
    pool: &PgPool,
    master: &MasterKeyRing,
    slug: &Slug,
    name: &str,
    admin: uuid::Uuid,
) -> CoreResult<Workspace> {
    let mut tx = pool.begin().await?;
    let workspace = create_workspace_in(&mut tx, master, slug, name).await?;
    commit_with_admin(tx, &workspace, admin).await?;
    Ok(workspace)
}

/// Adds the first admin to a workspace created in `tx` (directory and members table), then
/// commits everything.
pub(crate) async fn commit_with_admin(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    workspace: &Workspace,
    admin: uuid::Uuid,
) -> CoreResult<()> {
    sqlx::query("INSERT INTO workspace_directory (workspace_id, user_id) VALUES ($1, $2)")
        .bind(workspace.id)
        .bind(admin)
        .execute(&mut *tx)
        .await?;
    let mut tenant =
        crate::TenantTx::enter(tx, &workspace.schema(), crate::Actor::User(admin)).await?;
    sqlx::query("INSERT INTO members (user_id, role) VALUES ($1, 'admin')")
        .bind(admin)
        .execute(tenant.conn())
        .await?;
    tenant.commit().await
}

/// A free workspace address made from a name: `Acme Corp.` becomes `acme-corp`, or
/// `acme-corp-3f2a` when that is taken. Best effort: creation still answers a conflict if
/// another request takes the address first.
pub async fn free_slug_for(pool: &PgPool, name: &str) -> CoreResult<Slug> {
    let mut base = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            base.push(c);
        } else if !base.ends_with('-') && !base.is_empty() {
            base.push('-');
        }
        if base.len() >= 30 {
            break;
        }
    }
    let base = base.trim_matches('-');
    let base = if base.is_empty() { "workspace" } else { base };
    let mut candidate = base.to_owned();
    for _ in 0..8 {
        let taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM workspaces WHERE slug = $1)")
                .bind(&candidate)
                .fetch_one(pool)
                .await?;
        if !taken {
            return Slug::parse(&candidate);
        }
        let suffix: u16 = rand::random();
        candidate = format!("{base}-{suffix:04x}");
    }
    Err(CoreError::Conflict(
        "could not find a free address for this workspace; choose one".into(),
    ))
}

pub async fn list_workspaces(pool: &PgPool) -> CoreResult<Vec<Workspace>> {
    Ok(sqlx::query_as::<_, Workspace>(
        "SELECT id, slug, name, plan, schema_version, created_at FROM workspaces ORDER BY slug",
    )
    .fetch_all(pool)
    .await?)
}

pub async fn find_by_slug(pool: &PgPool, slug: &str) -> CoreResult<Option<Workspace>> {
    Ok(sqlx::query_as::<_, Workspace>(
        "SELECT id, slug, name, plan, schema_version, created_at FROM workspaces WHERE slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await?)
}
