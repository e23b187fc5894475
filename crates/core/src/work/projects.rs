//! Projects: the buckets tasks live in. Admins and members see every project; a guest sees only
//! the projects holding a task they view. Admins and members create, rename and archive them.

use bastion_policy as policy;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{trimmed, Position, Viewer, VISIBLE};
use crate::{ensure, CoreError, CoreResult, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProjectRecord {
    pub id: Uuid,
    pub name: String,
    pub archived: bool,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl ProjectRecord {
    pub fn position(&self) -> Position {
        Position {
            created_at: self.created_at,
            id: self.id,
        }
    }
}

const COLUMNS: &str = "p.id, p.name, p.archived, p.created_by, p.created_at";

/// `$1`/`$2` are the viewer; a guest needs a visible task in the project.
fn project_visible() -> String {
    format!(
        "($2 <> 'guest' OR EXISTS (SELECT 1 FROM tasks t WHERE t.project_id = p.id AND {VISIBLE}))"
    )
}

pub const NAME_MAX: usize = 200;

const REFUSED: &str = "Guests cannot create or change projects.";

/// The projects the viewer sees, oldest first, keyset-paginated on `(created_at, id)`.
/// Archived projects are left out unless `include_archived`.
pub async fn list_projects(
    tx: &mut TenantTx,
    viewer: &Viewer,
    include_archived: bool,
    after: Option<Position>,
    limit: u32,
) -> CoreResult<Vec<ProjectRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM projects p
         WHERE {visible}
           AND ($3 OR NOT p.archived)
           AND ($4::timestamptz IS NULL OR (p.created_at, p.id) > ($4, $5))
         ORDER BY p.created_at, p.id
         LIMIT $6",
        visible = project_visible()
    );
    Ok(sqlx::query_as::<_, ProjectRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(include_archived)
        .bind(after.map(|p| p.created_at))
        .bind(after.map(|p| p.id))
        .bind(i64::from(limit))
        .fetch_all(tx.conn())
        .await?)
}

/// One project, if the viewer sees it.
pub async fn get_project(
    tx: &mut TenantTx,
    viewer: &Viewer,
    project_id: Uuid,
) -> CoreResult<ProjectRecord> {
    let sql = format!(
        "SELECT {COLUMNS} FROM projects p WHERE p.id = $3 AND {visible}",
        visible = project_visible()
    );
    sqlx::query_as::<_, ProjectRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(project_id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(CoreError::NotFound("project"))
}

/// Creates a project by the viewer (admins and members).
pub async fn create_project(
    tx: &mut TenantTx,
    viewer: &Viewer,
    name: &str,
) -> CoreResult<ProjectRecord> {
    ensure(policy::can_manage_projects(viewer.role), REFUSED)?;
    let name = trimmed("name", name, NAME_MAX, false)?;
    Ok(sqlx::query_as::<_, ProjectRecord>(
        "INSERT INTO projects AS p (id, name, created_by) VALUES ($1, $2, $3)
         RETURNING p.id, p.name, p.archived, p.created_by, p.created_at",
    )
    .bind(Uuid::new_v4())
    .bind(name)
    .bind(viewer.user_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Renames and/or archives (`Some(true)`) or unarchives (`Some(false)`) a project the viewer
/// sees (admins and members). Tasks of an archived project stay readable; no task can be created
/// in or moved to it.
pub async fn update_project(
    tx: &mut TenantTx,
    viewer: &Viewer,
    project_id: Uuid,
    name: Option<&str>,
    archived: Option<bool>,
) -> CoreResult<ProjectRecord> {
    // Seen first, so a guest learns nothing about projects they do not see.
    let current = get_project(tx, viewer, project_id).await?;
    ensure(policy::can_manage_projects(viewer.role), REFUSED)?;
    let name = match name {
        Some(name) => trimmed("name", name, NAME_MAX, false)?,
        None => current.name,
    };
    Ok(sqlx::query_as::<_, ProjectRecord>(
        "UPDATE projects AS p SET name = $2, archived = $3 WHERE p.id = $1
         RETURNING p.id, p.name, p.archived, p.created_by, p.created_at",
    )
    .bind(project_id)
    .bind(name)
    .bind(archived.unwrap_or(current.archived))
    .fetch_one(tx.conn())
    .await?)
}
