//! Relations between tasks: blocks / blocked by, relates to, duplicates / duplicated by. Each is
//! stored once (`task_relations`: `task_id` blocks, relates to or duplicates `other_id`) and read
//! from either end. Both tasks must be visible to whoever relates them, and a relation whose
//! other end the reader does not see is not shown to them (the visibility predicate over the
//! other task). Changing relations takes whoever may edit the task they are made from
//! (`policy::can_manage_task_relations`). Every change is an event of `task_id`'s history.

use bastion_policy as policy;
use serde::Serialize;
use uuid::Uuid;

use super::{tasks, Viewer, VISIBLE};
use crate::{ensure, CoreError, CoreResult, TenantTx};

/// The kinds as seen from a task, and how each is stored: (name, stored kind, the task is the
/// stored row's `task_id`).
pub const KINDS: [(&str, &str, bool); 5] = [
    ("blocks", "blocks", true),
    ("blocked_by", "blocks", false),
    ("relates_to", "relates_to", true),
    ("duplicates", "duplicates", true),
    ("duplicated_by", "duplicates", false),
];

const REFUSED: &str = "Guests cannot relate tasks.";

/// A relation as seen from one of its tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RelationRecord {
    pub id: Uuid,
    /// From this task's side: `blocks`, `blocked_by`, `relates_to`, `duplicates`,
    /// `duplicated_by`.
    pub kind: String,
    pub other_task_id: Uuid,
    pub other_key: String,
    pub other_title: String,
    pub other_status: String,
}

/// The relations of task `$3` whose other end (`t`) the viewer (`$1`, `$2`) sees.
fn relations_sql(extra: &str) -> String {
    format!(
        "SELECT r.id,
                CASE WHEN r.task_id = $3 THEN r.kind
                     WHEN r.kind = 'blocks' THEN 'blocked_by'
                     WHEN r.kind = 'duplicates' THEN 'duplicated_by'
                     ELSE r.kind END AS kind,
                t.id AS other_task_id,
                (SELECT kp.key_prefix FROM projects kp WHERE kp.id = t.project_id) || '-' || t.number
                    AS other_key,
                t.title AS other_title, t.status AS other_status
           FROM task_relations r
           JOIN tasks t ON t.id = CASE WHEN r.task_id = $3 THEN r.other_id ELSE r.task_id END
          WHERE (r.task_id = $3 OR r.other_id = $3) AND {VISIBLE} {extra}
          ORDER BY r.created_at, r.id"
    )
}

/// The relations of a task the viewer sees, to tasks the viewer sees, oldest first.
pub async fn list_relations(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
) -> CoreResult<Vec<RelationRecord>> {
    tasks::get_task(tx, viewer, task_id).await?;
    Ok(
        sqlx::query_as::<_, RelationRecord>(sqlx::AssertSqlSafe(relations_sql("")))
            .bind(viewer.user_id)
            .bind(viewer.role.as_str())
            .bind(task_id)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// The other task named by id or key, if the viewer sees it; otherwise the field is invalid,
/// the same for a task that does not exist and one the viewer may not see.
async fn other_task(tx: &mut TenantTx, viewer: &Viewer, other: &str) -> CoreResult<Uuid> {
    let found = match Uuid::parse_str(other.trim()) {
        Ok(id) => tasks::get_task(tx, viewer, id).await,
        Err(_) => tasks::get_task_by_key(tx, viewer, other).await,
    };
    match found {
        Ok(task) => Ok(task.id),
        Err(CoreError::NotFound(_) | CoreError::Invalid { .. }) => Err(CoreError::invalid(
            "other_task",
            "no task with that key or id",
        )),
        Err(other) => Err(other),
    }
}

/// Relates a task the viewer sees and may edit to another task the viewer sees (`other` is its
/// id or key), with `kind` from the first task's side (see [`KINDS`]). Refused, naming the
/// field: an unknown kind, a task related to itself, a relation the two tasks already have,
/// and a `blocks` that closes a cycle (A blocks B blocks … blocks A).
pub async fn add_relation(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    kind: &str,
    other: &str,
) -> CoreResult<RelationRecord> {
    let task = tasks::get_task(tx, viewer, task_id).await?;
    ensure(
        policy::can_manage_task_relations(viewer.role, &task.facts(viewer)),
        REFUSED,
    )?;
    let (_, stored, forward) = KINDS
        .iter()
        .copied()
        .find(|(name, _, _)| *name == kind)
        .ok_or_else(|| {
            CoreError::invalid(
                "kind",
                "must be blocks, blocked_by, relates_to, duplicates or duplicated_by",
            )
        })?;
    let other_id = other_task(tx, viewer, other).await?;
    if other_id == task_id {
        return Err(CoreError::invalid(
            "other_task",
            "a task cannot be related to itself",
        ));
    }
    let (from, to) = if forward {
        (task_id, other_id)
    } else {
        (other_id, task_id)
    };
    if stored == "blocks" {
        // Serialises the cycle check with every other `blocks` added in this workspace, so two
        // halves of a cycle added at once cannot both pass.
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtextextended('bastion.blocks:' || current_schema(), 0))",
        )
        .execute(tx.conn())
        .await?;
        let cycle: bool = sqlx::query_scalar(
            "WITH RECURSIVE reach(id) AS (
                 SELECT other_id FROM task_relations WHERE task_id = $1 AND kind = 'blocks'
                 UNION
                 SELECT r.other_id FROM task_relations r JOIN reach ON r.task_id = reach.id
                  WHERE r.kind = 'blocks')
             SELECT EXISTS (SELECT 1 FROM reach WHERE id = $2)",
        )
        .bind(to)
        .bind(from)
        .fetch_one(tx.conn())
        .await?;
        if cycle {
            return Err(CoreError::invalid(
                "other_task",
                "that would make a cycle of blocking tasks",
            ));
        }
    }
    let id = Uuid::new_v4();
    let inserted = sqlx::query(
        "INSERT INTO task_relations (id, task_id, kind, other_id, created_by)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(from)
    .bind(stored)
    .bind(to)
    .bind(viewer.user_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(CoreError::invalid(
            "other_task",
            "the two tasks are already related that way",
        ));
    }
    one_relation(tx, viewer, task_id, id).await
}

async fn one_relation(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    relation_id: Uuid,
) -> CoreResult<RelationRecord> {
    sqlx::query_as::<_, RelationRecord>(sqlx::AssertSqlSafe(relations_sql("AND r.id = $4")))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(task_id)
        .bind(relation_id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(CoreError::NotFound("relation"))
}

/// Removes a relation of a task the viewer sees and may edit, from either end; a relation to a
/// task the viewer does not see is not found, as if it did not exist.
pub async fn remove_relation(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    relation_id: Uuid,
) -> CoreResult<()> {
    let task = tasks::get_task(tx, viewer, task_id).await?;
    one_relation(tx, viewer, task_id, relation_id).await?;
    ensure(
        policy::can_manage_task_relations(viewer.role, &task.facts(viewer)),
        REFUSED,
    )?;
    sqlx::query("DELETE FROM task_relations WHERE id = $1")
        .bind(relation_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
