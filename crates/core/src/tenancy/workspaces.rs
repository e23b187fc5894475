//! Workspaces in the control plane, and their provisioning: one row, one role, one schema.

use serde::Serialize;
use sqlx::{AssertSqlSafe, Executor, PgConnection, PgPool};
use time::OffsetDateTime;

use bastion_policy::Plan;

use crate::{
    ensure, keys::MasterKeyRing, secrets, tenant_migrations, CoreError, CoreResult, Slug,
    TenantSchema, Viewer, WorkspaceId,
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
    /// Every member must have two-factor sign-in on before they reach anything here
    /// (`members::enter_as_member` refuses the others with `CoreError::TwoFactorRequired`).
    pub require_two_factor: bool,
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
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
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
         RETURNING id, slug, name, plan, schema_version, created_at, require_two_factor",
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
            return Err(CoreError::conflict(format!(
                "a workspace with the address '{slug}' already exists"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    (&mut *tx)
        .execute("RELEASE SAVEPOINT create_workspace")
        .await?;
    secrets::create_data_key(&mut *tx, master, id).await?;

    // The role joins `bastion_tenants`, the list of roles the serving login may switch into
    // with `set_user` (it inherits nothing: that role holds no privilege). No login becomes a
    // member of it, except with the revertible switch, which needs `SET ROLE`: then
    // `bastion_serving` (NOINHERIT, so only by switching) does.
    let q = schema.quoted();
    let mut ddl = format!(
        "CREATE ROLE {q} NOLOGIN IN ROLE {tenants};",
        tenants = crate::embedded::TENANTS_ROLE
    );
    if crate::tenant::role_switch() == crate::tenant::RoleSwitch::Revertible {
        ddl.push_str(&format!(" GRANT {q} TO {};", crate::embedded::SERVING_ROLE));
    }
    (&mut *tx).execute(AssertSqlSafe(ddl)).await?;
    tenant_migrations::create_schema(&mut *tx, &schema).await?;
    Ok(workspace)
}

/// Workspaces one person may create per [`CREATION_WINDOW`]: each one is a schema and a role.
pub const CREATED_PER_USER: i32 = 20;
pub const CREATION_WINDOW: time::Duration = time::Duration::days(1);

/// Someone signed in creates a workspace and becomes its admin: the name is checked, the address
/// is `slug` or made from the name, and the creator's daily limit counts it (`RateLimited`
/// past [`CREATED_PER_USER`]).
pub async fn create_for(
    pool: &PgPool,
    master: &MasterKeyRing,
    creator: uuid::Uuid,
    name: &str,
    slug: Option<&str>,
) -> CoreResult<Workspace> {
    parse_name(name)?;
    let slug = match slug {
        Some(slug) => Slug::parse(slug)?,
        None => free_slug_for(pool, name).await?,
    };
    crate::limits::enforce(
        pool,
        &format!("workspace-create:{creator}"),
        CREATED_PER_USER,
        CREATION_WINDOW,
    )
    .await?;
    create_with_admin(pool, master, &slug, name, creator).await
}

/// Creates a workspace with `admin` as its first member and admin, in one transaction.
pub async fn create_with_admin(
    pool: &PgPool,
    master: &MasterKeyRing,
    slug: &Slug,
    name: &str,
    admin: uuid::Uuid,
) -> CoreResult<Workspace> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
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
    Err(CoreError::conflict(
        "could not find a free address for this workspace; choose one",
    ))
}

pub async fn list_workspaces(pool: &PgPool) -> CoreResult<Vec<Workspace>> {
    Ok(sqlx::query_as::<_, Workspace>(
        "SELECT id, slug, name, plan, schema_version, created_at, require_two_factor FROM workspaces ORDER BY slug",
    )
    .fetch_all(pool)
    .await?)
}

pub async fn find_by_id(
    db: impl sqlx::PgExecutor<'_>,
    id: WorkspaceId,
) -> CoreResult<Option<Workspace>> {
    Ok(sqlx::query_as::<_, Workspace>(
        "SELECT id, slug, name, plan, schema_version, created_at, require_two_factor FROM workspaces WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?)
}

pub async fn find_by_slug(
    db: impl sqlx::PgExecutor<'_>,
    slug: &str,
) -> CoreResult<Option<Workspace>> {
    Ok(sqlx::query_as::<_, Workspace>(
        "SELECT id, slug, name, plan, schema_version, created_at, require_two_factor FROM workspaces WHERE slug = $1",
    )
    .bind(slug)
    .fetch_optional(db)
    .await?)
}

/// The plans of PRODUCT.md §8, as `bastion_policy` names them.
pub use bastion_policy::PLANS;

/// Who may not change the settings is told so in this sentence, by every door.
pub(crate) const SETTINGS_ADMINS_ONLY: &str =
    "Only workspace admins change the plan, the name and the two-factor requirement.";

/// Why an admin without two-factor sign-in may not require it: the next request would send
/// them, the only one who can undo it, to enrolment too.
pub const REQUIRE_TWO_FACTOR_SELF_FIRST: &str =
    "can only be turned on by an admin who has two-factor sign-in on; turn it on for your own \
account first (Account, Two-factor sign-in)";

/// A checked plan name.
pub fn parse_plan(input: &str) -> CoreResult<Plan> {
    Plan::parse(input)
        .ok_or_else(|| CoreError::invalid("plan", format!("must be one of {}", PLANS.join(", "))))
}

/// A change of a workspace's settings; what is `None` stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsChange {
    pub name: Option<String>,
    pub plan: Option<String>,
    /// Whether every member must have two-factor sign-in on.
    pub require_two_factor: Option<bool>,
}

/// Changes a workspace's name and plan (no payment is involved: an admin chooses). Every field
/// is checked before anything changes, and both change in one statement. A plan change is an
/// event of the workspace's history, in the same transaction: the plan decides how long the
/// rest of that history is kept, and the new retention applies from the next purge
/// (`audit::purge_preview` tells beforehand what it will delete).
pub async fn change_settings(
    pool: &PgPool,
    viewer: Viewer,
    ws: &Workspace,
    change: &SettingsChange,
) -> CoreResult<Workspace> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    ensure(
        bastion_policy::can_manage_workspace(viewer.role),
        SETTINGS_ADMINS_ONLY,
    )?;
    let name = change.name.as_deref().map(parse_name).transpose()?;
    let plan = change.plan.as_deref().map(parse_plan).transpose()?;
    // Requiring two-factor sign-in without having it would lock the admin out at once (they
    // could still enrol and come back, but every other admin-less moment is a support call):
    // refused, naming the field. Turning it off needs nothing more than being an admin.
    if change.require_two_factor == Some(true)
        && !crate::two_factor::has_second_factor(pool, viewer.user_id).await?
    {
        return Err(CoreError::invalid(
            "require_two_factor",
            REQUIRE_TWO_FACTOR_SELF_FIRST,
        ));
    }
    let settings = Checked {
        name: name.as_deref(),
        plan,
        require_two_factor: change.require_two_factor,
    };
    // Entering the workspace role can meet the stale-membership refusal that `TenantTx`
    // retries (see `TenantTx::begin_on`); here it comes mid-transaction, so the whole change,
    // which holds nothing yet, is tried again as `accounts::add_member` does.
    let mut attempt = 1;
    loop {
        match change_settings_once(pool, viewer, ws, &settings).await {
            Err(CoreError::Database(e))
                if attempt < 3 && crate::tenant::is_stale_role_membership(&e) =>
            {
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The fields of a [`SettingsChange`], checked.
struct Checked<'a> {
    name: Option<&'a str>,
    plan: Option<Plan>,
    require_two_factor: Option<bool>,
}

/// One attempt of [`change_settings`], with its fields checked.
async fn change_settings_once(
    pool: &PgPool,
    viewer: Viewer,
    ws: &Workspace,
    settings: &Checked<'_>,
) -> CoreResult<Workspace> {
    let mut tx = pool.begin().await?;
    // The row lock makes the recorded "before" what this change really replaces, even when two
    // admins change it at once.
    let (name_before, plan_before, require_before): (String, String, bool) = sqlx::query_as(
        "SELECT name, plan, require_two_factor FROM workspaces WHERE id = $1 FOR UPDATE",
    )
    .bind(ws.id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(CoreError::NotFound("workspace"))?;
    let changed = sqlx::query_as::<_, Workspace>(
        "UPDATE workspaces SET name = coalesce($2, name), plan = coalesce($3, plan),
                require_two_factor = coalesce($4, require_two_factor)
          WHERE id = $1
         RETURNING id, slug, name, plan, schema_version, created_at, require_two_factor",
    )
    .bind(ws.id)
    .bind(settings.name)
    .bind(settings.plan.map(Plan::as_str))
    .bind(settings.require_two_factor)
    .fetch_one(&mut *tx)
    .await?;
    let mut changes = serde_json::Map::new();
    for (field, before, after) in [
        ("name", &name_before, &changed.name),
        ("plan", &plan_before, &changed.plan),
    ] {
        if before != after {
            changes.insert(
                field.to_owned(),
                serde_json::json!({ "before": before, "after": after }),
            );
        }
    }
    if require_before != changed.require_two_factor {
        changes.insert(
            "require_two_factor".to_owned(),
            serde_json::json!({ "before": require_before, "after": changed.require_two_factor }),
        );
    }
    if changes.is_empty() {
        tx.commit().await?;
        return Ok(changed);
    }
    let mut tenant =
        crate::TenantTx::enter(tx, &ws.schema(), crate::Actor::User(viewer.user_id)).await?;
    let changes = serde_json::Value::Object(changes);
    crate::audit::record_workspace_update(&mut tenant, ws.id, &changes).await?;
    tenant.commit().await?;
    Ok(changed)
}

/// [`change_settings`] of the plan alone.
pub async fn set_plan(
    pool: &PgPool,
    viewer: Viewer,
    ws: &Workspace,
    plan: &str,
) -> CoreResult<Workspace> {
    let change = SettingsChange {
        plan: Some(plan.to_owned()),
        ..SettingsChange::default()
    };
    change_settings(pool, viewer, ws, &change).await
}

/// [`change_settings`] of the name alone.
pub async fn rename(
    pool: &PgPool,
    viewer: Viewer,
    ws: &Workspace,
    name: &str,
) -> CoreResult<Workspace> {
    let change = SettingsChange {
        name: Some(name.to_owned()),
        ..SettingsChange::default()
    };
    change_settings(pool, viewer, ws, &change).await
}

/// What remains of an erased workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ErasureReceipt {
    pub workspace_id: WorkspaceId,
    pub slug: String,
    #[serde(with = "time::serde::rfc3339")]
    pub erased_at: OffsetDateTime,
    /// A user id, or `system` for the operator's command line.
    pub requested_by: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub storage_purged_at: Option<OffsetDateTime>,
}

/// Erases a workspace (PRODUCT.md §7, right to erasure). In one transaction: its schema and role
/// are dropped, its wrapped data key is destroyed (so every copy of its secrets, backups
/// included, becomes unreadable), the sessions that served only it and the API tokens scoped to
/// it end, its directory rows, invitations and jobs go, and an erasure receipt is written. Then
/// its object-storage prefix (attachments and export archives) is purged; should that be interrupted, the
/// job runner finishes it (`finish_pending_purges`).
///
/// No tenant transaction of the workspace may be open on another connection of the caller: the
/// schema drop waits for it.
pub async fn erase(
    pool: &PgPool,
    objects: &crate::storage::Objects,
    ws: &Workspace,
    requested_by: crate::Actor,
) -> CoreResult<ErasureReceipt> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    let requested_by = match requested_by {
        crate::Actor::User(id) => id.hyphenated().to_string(),
        crate::Actor::System => "system".to_owned(),
    };
    let mut tx = pool.begin().await?;
    // The row lock makes two concurrent erasures of one workspace wait for each other; the
    // second then finds the workspace gone.
    let locked: Option<WorkspaceId> =
        sqlx::query_scalar("SELECT id FROM workspaces WHERE id = $1 FOR UPDATE")
            .bind(ws.id)
            .fetch_optional(&mut *tx)
            .await?;
    if locked.is_none() {
        return Err(CoreError::NotFound("workspace"));
    }
    let users: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT user_id FROM workspace_directory WHERE workspace_id = $1")
            .bind(ws.id)
            .fetch_all(&mut *tx)
            .await?;
    for user in &users {
        crate::sessions::end_if_only_for_in(&mut tx, *user, ws.id).await?;
    }
    // API tokens arrive in another migration; until then there are none to end.
    let has_tokens: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                         WHERE table_schema = 'public' AND table_name = 'api_tokens'
                           AND column_name = 'workspace_id')",
    )
    .fetch_one(&mut *tx)
    .await?;
    if has_tokens {
        sqlx::query("DELETE FROM api_tokens WHERE workspace_id = $1")
            .bind(ws.id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM workspace_keys WHERE workspace_id = $1")
        .bind(ws.id)
        .execute(&mut *tx)
        .await?;
    // Directory rows, invitations and jobs go with the workspace row (ON DELETE CASCADE).
    sqlx::query("DELETE FROM workspaces WHERE id = $1")
        .bind(ws.id)
        .execute(&mut *tx)
        .await?;
    let q = ws.schema().quoted();
    (&mut *tx)
        .execute(AssertSqlSafe(format!(
            // The schema belongs to the tenant owner; the role to the login role that made it.
            // Every privilege the role holds is on objects in its schema (and its default
            // privileges live there too), so once the schema is gone the role can be dropped;
            // should anything else ever hold on to it, DROP ROLE fails and so does the erasure.
            "SET LOCAL ROLE bastion_tenant_owner; DROP SCHEMA {q} CASCADE; RESET ROLE;
             DROP ROLE {q};"
        )))
        .await?;
    let receipt = sqlx::query_as::<_, ErasureReceipt>(
        "INSERT INTO erasure_receipts (workspace_id, slug, requested_by) VALUES ($1, $2, $3)
         RETURNING workspace_id, slug, erased_at, requested_by, storage_purged_at",
    )
    .bind(ws.id)
    .bind(&ws.slug)
    .bind(&requested_by)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    purge_storage(pool, objects, ws.id).await?;
    Ok(sqlx::query_as::<_, ErasureReceipt>(
        "SELECT workspace_id, slug, erased_at, requested_by, storage_purged_at
           FROM erasure_receipts WHERE workspace_id = $1",
    )
    .bind(receipt.workspace_id)
    .fetch_one(pool)
    .await?)
}

/// Erasure asked for by a member of the workspace, who must be allowed to and must have typed
/// its name exactly; then as [`erase`]. The caller's own tenant transaction of the workspace
/// must be closed first.
pub async fn erase_confirmed(
    pool: &PgPool,
    objects: &crate::storage::Objects,
    viewer: Viewer,
    ws: &Workspace,
    confirm: &str,
) -> CoreResult<ErasureReceipt> {
    ensure(
        bastion_policy::can_erase_workspace(viewer.role),
        "Only workspace admins erase the workspace.",
    )?;
    if confirm.trim() != ws.name {
        return Err(CoreError::invalid(
            "confirm",
            "must be the workspace's name, typed exactly",
        ));
    }
    erase(pool, objects, ws, crate::Actor::User(viewer.user_id)).await
}

async fn purge_storage(
    pool: &PgPool,
    objects: &crate::storage::Objects,
    workspace: WorkspaceId,
) -> CoreResult<()> {
    // Attachments and export archives alike live under the workspace's prefix.
    objects
        .delete_prefix(&crate::storage::Objects::workspace_prefix(workspace))
        .await?;
    sqlx::query("UPDATE erasure_receipts SET storage_purged_at = now() WHERE workspace_id = $1")
        .bind(workspace)
        .execute(pool)
        .await?;
    Ok(())
}

/// Finishes the storage purge of erasures that were interrupted after their commit; returns how
/// many it finished.
pub async fn finish_pending_purges(
    pool: &PgPool,
    objects: &crate::storage::Objects,
) -> CoreResult<usize> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    let pending: Vec<WorkspaceId> = sqlx::query_scalar(
        "SELECT workspace_id FROM erasure_receipts WHERE storage_purged_at IS NULL",
    )
    .fetch_all(pool)
    .await?;
    for workspace in &pending {
        purge_storage(pool, objects, *workspace).await?;
    }
    Ok(pending.len())
}

/// The receipt of an erased workspace.
pub async fn erasure_receipt(
    pool: &PgPool,
    workspace: WorkspaceId,
) -> CoreResult<Option<ErasureReceipt>> {
    Ok(sqlx::query_as::<_, ErasureReceipt>(
        "SELECT workspace_id, slug, erased_at, requested_by, storage_purged_at
           FROM erasure_receipts WHERE workspace_id = $1",
    )
    .bind(workspace)
    .fetch_optional(pool)
    .await?)
}
