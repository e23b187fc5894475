//! The workspace's tags and their links to tasks. Guests see only the tags on tasks they view;
//! admins and members manage the catalogue and tag the tasks they see.

use bastion_policy as policy;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{tasks::get_task, trimmed, Viewer, VISIBLE};
use crate::{ensure, CoreError, CoreResult, TenantTx};

pub const NAME_MAX: usize = 50;
pub const DEFAULT_COLOUR: &str = "#64748b";

const CATALOGUE_REFUSED: &str = "Guests cannot manage tags.";
const TAGGING_REFUSED: &str = "Guests cannot add or remove tags on a task.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TagRecord {
    pub id: Uuid,
    pub name: String,
    /// `#rrggbb`, lower case.
    pub colour: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `#RRGGBB` in either case, stored lower case.
fn check_colour(colour: &str) -> CoreResult<String> {
    let colour = colour.trim().to_ascii_lowercase();
    let ok = colour.len() == 7
        && colour.starts_with('#')
        && colour[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(colour)
    } else {
        Err(CoreError::invalid("colour", "must look like #1e90ff"))
    }
}

/// Tag names are unique regardless of case; a clash is a conflict that names the tag.
fn name_clash(err: sqlx::Error, name: &str) -> CoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            CoreError::conflict(format!("A tag named \"{name}\" already exists."))
        }
        _ => err.into(),
    }
}

/// Every tag by name for admins and members; for a guest, the tags on tasks they view. Tags are
/// few per workspace (a catalogue, not content), so the list is not paginated.
pub async fn list_tags(tx: &mut TenantTx, viewer: &Viewer) -> CoreResult<Vec<TagRecord>> {
    let sql = format!(
        "SELECT g.id, g.name, g.colour, g.created_at FROM tags g
         WHERE $2 <> 'guest' OR EXISTS (
             SELECT 1 FROM task_tags tt JOIN tasks t ON t.id = tt.task_id
             WHERE tt.tag_id = g.id AND {VISIBLE})
         ORDER BY lower(g.name), g.id"
    );
    Ok(sqlx::query_as::<_, TagRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .fetch_all(tx.conn())
        .await?)
}

pub(crate) async fn find_tag(tx: &mut TenantTx, tag_id: Uuid) -> CoreResult<Option<TagRecord>> {
    Ok(sqlx::query_as::<_, TagRecord>(
        "SELECT id, name, colour, created_at FROM tags WHERE id = $1",
    )
    .bind(tag_id)
    .fetch_optional(tx.conn())
    .await?)
}

/// Adds a tag to the catalogue (colour default `#64748b`); a name taken regardless of case is a
/// `Conflict`. Admins and members.
pub async fn create_tag(
    tx: &mut TenantTx,
    viewer: &Viewer,
    name: &str,
    colour: Option<&str>,
) -> CoreResult<TagRecord> {
    ensure(policy::can_manage_tags(viewer.role), CATALOGUE_REFUSED)?;
    let name = trimmed("name", name, NAME_MAX, false)?;
    let colour = check_colour(colour.unwrap_or(DEFAULT_COLOUR))?;
    sqlx::query_as::<_, TagRecord>(
        "INSERT INTO tags (id, name, colour) VALUES ($1, $2, $3)
         RETURNING id, name, colour, created_at",
    )
    .bind(Uuid::new_v4())
    .bind(&name)
    .bind(colour)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| name_clash(e, &name))
}

/// Renames and/or recolours a tag. Only for callers who see the whole catalogue (admins and
/// members), so no visibility filter is needed here.
pub async fn update_tag(
    tx: &mut TenantTx,
    viewer: &Viewer,
    tag_id: Uuid,
    name: Option<&str>,
    colour: Option<&str>,
) -> CoreResult<TagRecord> {
    // Policy before lookup: a guest gets the same 403 for every id, so learns nothing.
    ensure(policy::can_manage_tags(viewer.role), CATALOGUE_REFUSED)?;
    let current = find_tag(tx, tag_id)
        .await?
        .ok_or(CoreError::NotFound("tag"))?;
    let name = match name {
        Some(name) => trimmed("name", name, NAME_MAX, false)?,
        None => current.name,
    };
    let colour = match colour {
        Some(colour) => check_colour(colour)?,
        None => current.colour,
    };
    sqlx::query_as::<_, TagRecord>(
        "UPDATE tags SET name = $2, colour = $3 WHERE id = $1
         RETURNING id, name, colour, created_at",
    )
    .bind(tag_id)
    .bind(&name)
    .bind(colour)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| name_clash(e, &name))
}

/// Deletes a tag and takes it off every task. Admins and members.
pub async fn delete_tag(tx: &mut TenantTx, viewer: &Viewer, tag_id: Uuid) -> CoreResult<()> {
    ensure(policy::can_manage_tags(viewer.role), CATALOGUE_REFUSED)?;
    let deleted = sqlx::query("DELETE FROM tags WHERE id = $1")
        .bind(tag_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(CoreError::NotFound("tag"));
    }
    Ok(())
}

/// The tags on a task the viewer sees, by name.
pub async fn list_task_tags(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
) -> CoreResult<Vec<TagRecord>> {
    get_task(tx, viewer, task_id).await?;
    Ok(sqlx::query_as::<_, TagRecord>(
        "SELECT g.id, g.name, g.colour, g.created_at
         FROM task_tags tt JOIN tags g ON g.id = tt.tag_id
         WHERE tt.task_id = $1 ORDER BY lower(g.name), g.id",
    )
    .bind(task_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Puts a tag on a task the viewer sees (admins and members). Tagging twice is not an error. An unknown tag is
/// invalid input (`tag_id`), not a missing task.
pub async fn add_task_tag(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    tag_id: Uuid,
) -> CoreResult<TagRecord> {
    get_task(tx, viewer, task_id).await?;
    ensure(policy::can_manage_task_tags(viewer.role), TAGGING_REFUSED)?;
    let tag = find_tag(tx, tag_id)
        .await?
        .ok_or_else(|| CoreError::invalid("tag_id", "no such tag"))?;
    sqlx::query("INSERT INTO task_tags (task_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(task_id)
        .bind(tag_id)
        .execute(tx.conn())
        .await?;
    sqlx::query("UPDATE tasks SET updated_at = now() WHERE id = $1")
        .bind(task_id)
        .execute(tx.conn())
        .await?;
    Ok(tag)
}

/// Takes a tag off a task the viewer sees (admins and members); `NotFound` if it was not on it.
pub async fn remove_task_tag(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    tag_id: Uuid,
) -> CoreResult<()> {
    get_task(tx, viewer, task_id).await?;
    ensure(policy::can_manage_task_tags(viewer.role), TAGGING_REFUSED)?;
    let removed = sqlx::query("DELETE FROM task_tags WHERE task_id = $1 AND tag_id = $2")
        .bind(task_id)
        .bind(tag_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(CoreError::NotFound("task tag"));
    }
    sqlx::query("UPDATE tasks SET updated_at = now() WHERE id = $1")
        .bind(task_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
