//! The board's order: moving a card to another column or to another place in its column.
//!
//! Each task has a `rank` (numeric, tenant migration 0015); a column lists its tasks by
//! `(rank, id)`. A move gives the one task the midpoint of its new neighbours' ranks, so no other
//! card is written; only when the neighbours leave no room (a tie, which two tasks made in the
//! same microsecond can give, or a midpoint past [`MAX_SCALE`] decimal places after many moves
//! into one gap) is that one column renumbered, 1024 apart, and the midpoint taken again. Moves
//! are serialised per workspace by an advisory lock taken before any row lock, so two moves never
//! read the same neighbours and the renumbering never waits on a move that waits on it.
//!
//! History: a move to another column is a status change, written through
//! [`tasks::update_task`] (the same event, notices and checks as an edit of the status); the rank
//! itself is left out of a task's history (control-plane migration 0026), so an order-only move
//! writes no event and leaves `updated_at` alone: arranging the board is not a change of the
//! work.

use bastion_policy as policy;
use uuid::Uuid;

use super::tasks::{self, TaskPatch, TaskRecord};
use super::Viewer;
use crate::{ensure, CoreError, CoreResult, TenantTx};

/// Decimal places a rank may reach before its column is renumbered.
pub const MAX_SCALE: i32 = 24;

/// Where in its column a moved task goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// First in the column (also: into an empty column).
    Top,
    /// Right after this task, which must be in the column the task moves to.
    After(Uuid),
    /// Right before this task, which must be in the column the task moves to.
    Before(Uuid),
}

/// Moves a task the viewer sees (404 otherwise) and may edit (403) to `status`, at `place` in
/// that column. Moving a task to where it already is changes nothing.
pub async fn move_task(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    status: &str,
    place: Place,
) -> CoreResult<TaskRecord> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended('bastion.board:' || current_schema(), 0))",
    )
    .execute(tx.conn())
    .await?;
    let task = tasks::lock_visible(tx, viewer, task_id).await?;
    ensure(
        policy::can_move_task(viewer.role, &task.facts(viewer)),
        "Guests cannot edit tasks.",
    )?;
    tasks::check_status(status)?;
    let anchor = match place {
        Place::Top => None,
        Place::After(id) => Some(("after", id)),
        Place::Before(id) => Some(("before", id)),
    };
    if let Some((field, id)) = anchor {
        if id == task_id {
            return Err(CoreError::invalid(field, "must be another task"));
        }
        // A task the caller does not see is no anchor, exactly like one that does not exist.
        let other = match tasks::get_task(tx, viewer, id).await {
            Err(CoreError::NotFound(_)) => {
                return Err(CoreError::invalid(field, "no such task"));
            }
            other => other?,
        };
        if other.status != status {
            return Err(CoreError::invalid(
                field,
                "must be a task in the column the task moves to",
            ));
        }
    }
    let mut rank = new_rank(tx, task_id, status, place).await?;
    if rank.is_none() {
        renumber(tx, status).await?;
        rank = new_rank(tx, task_id, status, place).await?;
    }
    let rank = rank.ok_or_else(|| {
        CoreError::Internal("no room for a rank right after renumbering the column".into())
    })?;
    if task.status != status {
        tasks::update_task(
            tx,
            viewer,
            task_id,
            TaskPatch {
                status: Some(status.to_owned()),
                ..TaskPatch::default()
            },
        )
        .await?;
    }
    sqlx::query("UPDATE tasks SET rank = $2::numeric WHERE id = $1 AND rank <> $2::numeric")
        .bind(task_id)
        .bind(&rank)
        .execute(tx.conn())
        .await?;
    tasks::get_task(tx, viewer, task_id).await
}

/// The task's new rank as text (numeric has no Rust type here and needs none: ranks are only
/// compared and computed in SQL), its current one when it already stands at `place`, or `None`
/// when the neighbours leave no room. Neighbours are any tasks of the column, seen by the caller
/// or not, so the order is one for everybody.
async fn new_rank(
    tx: &mut TenantTx,
    task_id: Uuid,
    status: &str,
    place: Place,
) -> CoreResult<Option<String>> {
    type Neighbours = (Option<String>, Option<Uuid>, Option<String>, Option<Uuid>);
    let (sql, anchor) = match place {
        Place::Top => (
            "SELECT NULL::text, NULL::uuid, n.rank::text, n.id FROM tasks n
              WHERE n.status = $1 AND n.id <> $2 AND $3::uuid IS NULL
              ORDER BY n.rank, n.id LIMIT 1",
            None,
        ),
        Place::After(id) => (
            "SELECT a.rank::text, a.id, n.rank::text, n.id
               FROM tasks a
               LEFT JOIN LATERAL (SELECT s.rank, s.id FROM tasks s
                                   WHERE s.status = $1 AND s.id <> $2
                                     AND (s.rank, s.id) > (a.rank, a.id)
                                   ORDER BY s.rank, s.id LIMIT 1) n ON true
              WHERE a.id = $3",
            Some(id),
        ),
        Place::Before(id) => (
            "SELECT p.rank::text, p.id, b.rank::text, b.id
               FROM tasks b
               LEFT JOIN LATERAL (SELECT s.rank, s.id FROM tasks s
                                   WHERE s.status = $1 AND s.id <> $2
                                     AND (s.rank, s.id) < (b.rank, b.id)
                                   ORDER BY s.rank DESC, s.id DESC LIMIT 1) p ON true
              WHERE b.id = $3",
            Some(id),
        ),
    };
    let (low, low_id, high, high_id): Neighbours = sqlx::query_as(sql)
        .bind(status)
        .bind(task_id)
        .bind(anchor)
        .fetch_optional(tx.conn())
        .await?
        .unwrap_or_default();
    let rank: Option<String> = sqlx::query_scalar(
        "SELECT (CASE
            WHEN x.status = $2
                 AND ($3::numeric IS NULL OR ($3::numeric, $4::uuid) < (x.rank, x.id))
                 AND ($5::numeric IS NULL OR (x.rank, x.id) < ($5::numeric, $6::uuid))
              THEN x.rank
            WHEN $3::numeric IS NULL AND $5::numeric IS NULL THEN x.rank
            WHEN $3::numeric IS NULL THEN ceil($5::numeric) - 1024
            WHEN $5::numeric IS NULL THEN floor($3::numeric) + 1024
            WHEN $3::numeric < $5::numeric
                 AND scale(trim_scale(($3::numeric + $5::numeric) * 0.5)) <= $7
              THEN trim_scale(($3::numeric + $5::numeric) * 0.5)
          END)::text
           FROM tasks x WHERE x.id = $1",
    )
    .bind(task_id)
    .bind(status)
    .bind(low)
    .bind(low_id)
    .bind(high)
    .bind(high_id)
    .bind(MAX_SCALE)
    .fetch_one(tx.conn())
    .await?;
    Ok(rank)
}

/// Gives a column's tasks ranks 1024 apart in their current order (under the move lock). No
/// history: ranks are not part of it.
async fn renumber(tx: &mut TenantTx, status: &str) -> CoreResult<()> {
    sqlx::query(
        "UPDATE tasks t SET rank = n.rn * 1024
           FROM (SELECT id, row_number() OVER (ORDER BY rank, id) AS rn
                   FROM tasks WHERE status = $1) n
          WHERE n.id = t.id AND t.rank <> n.rn * 1024",
    )
    .bind(status)
    .execute(tx.conn())
    .await?;
    Ok(())
}
