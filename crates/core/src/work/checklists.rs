//! A task's checklist: ordered items, added, ticked, unticked and removed by whoever may edit
//! the task (`policy::can_edit_checklist`), read by whoever sees it. Every change is an event of
//! the task's history (the `checklist_items` trigger, tenant migration 0012).

use bastion_policy as policy;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{tasks, trimmed, Viewer};
use crate::{ensure, CoreError, CoreResult, TenantTx};

pub const TEXT_MAX: usize = 500;
/// Items per task: a checklist longer than this is a project of its own.
pub const ITEMS_MAX: i64 = 200;

const REFUSED: &str = "Guests cannot change checklists.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ChecklistItemRecord {
    pub id: Uuid,
    pub task_id: Uuid,
    /// Items are shown in ascending position, the order they were added.
    pub position: i32,
    pub text: String,
    pub done: bool,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str = "id, task_id, position, text, done, created_by, created_at";

/// The checklist of a task the viewer sees, in order.
pub async fn list_items(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
) -> CoreResult<Vec<ChecklistItemRecord>> {
    tasks::get_task(tx, viewer, task_id).await?;
    read_items(tx, task_id).await
}

async fn read_items(tx: &mut TenantTx, task_id: Uuid) -> CoreResult<Vec<ChecklistItemRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM checklist_items WHERE task_id = $1 ORDER BY position");
    Ok(
        sqlx::query_as::<_, ChecklistItemRecord>(sqlx::AssertSqlSafe(sql))
            .bind(task_id)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// Adds an item at the end of the checklist of a task the viewer sees and may edit.
pub async fn add_item(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    text: &str,
) -> CoreResult<ChecklistItemRecord> {
    // Locked, so that two items added at once take distinct positions.
    let task = tasks::lock_visible(tx, viewer, task_id).await?;
    ensure(
        policy::can_edit_checklist(viewer.role, &task.facts(viewer)),
        REFUSED,
    )?;
    let text = trimmed("text", text, TEXT_MAX, false)?;
    let (count, last): (i64, Option<i32>) =
        sqlx::query_as("SELECT count(*), max(position) FROM checklist_items WHERE task_id = $1")
            .bind(task_id)
            .fetch_one(tx.conn())
            .await?;
    if count >= ITEMS_MAX {
        return Err(CoreError::invalid(
            "text",
            format!("a checklist holds at most {ITEMS_MAX} items"),
        ));
    }
    let sql = format!(
        "INSERT INTO checklist_items (id, task_id, position, text, created_by)
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    );
    Ok(
        sqlx::query_as::<_, ChecklistItemRecord>(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::new_v4())
            .bind(task_id)
            .bind(last.unwrap_or(0) + 1)
            .bind(text)
            .bind(viewer.user_id)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// Ticks (`done = true`) or unticks an item of a task the viewer sees and may edit.
pub async fn set_done(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    item_id: Uuid,
    done: bool,
) -> CoreResult<ChecklistItemRecord> {
    let task = tasks::get_task(tx, viewer, task_id).await?;
    ensure(
        policy::can_edit_checklist(viewer.role, &task.facts(viewer)),
        REFUSED,
    )?;
    let sql = format!(
        "UPDATE checklist_items SET done = $3 WHERE task_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    sqlx::query_as::<_, ChecklistItemRecord>(sqlx::AssertSqlSafe(sql))
        .bind(task_id)
        .bind(item_id)
        .bind(done)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(CoreError::NotFound("checklist item"))
}

/// Removes an item from the checklist of a task the viewer sees and may edit.
pub async fn remove_item(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    item_id: Uuid,
) -> CoreResult<()> {
    let task = tasks::get_task(tx, viewer, task_id).await?;
    ensure(
        policy::can_edit_checklist(viewer.role, &task.facts(viewer)),
        REFUSED,
    )?;
    let removed = sqlx::query("DELETE FROM checklist_items WHERE task_id = $1 AND id = $2")
        .bind(task_id)
        .bind(item_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(CoreError::NotFound("checklist item"));
    }
    Ok(())
}
