//! Bulk edit: one change (a status, a priority, an assignee, a due date, a project, a tag added
//! or removed) applied to many tasks in the caller's one transaction. The policy is asked per
//! task, as for a single edit: a task the caller may not change is skipped and left as it was,
//! and a task the caller does not see is reported "not found" by its id only, exactly like an id
//! that never existed, so the outcome reveals no key or title the caller could not read.
//!
//! Each changed task gets exactly one history event: the task fields are written by
//! [`tasks::update_task`] (one `UPDATE`, one event from the task trigger), a tag by one
//! `task_tags` row (one `tag_added`/`tag_removed` event of the task). Unlike a single tag
//! change, a bulk tag change leaves `updated_at` alone: moving it would be a second event.

use std::collections::HashMap;

use bastion_policy as policy;
use serde::Serialize;
use time::Date;
use uuid::Uuid;

use super::tasks::{self, TaskPatch, TaskRecord};
use super::{tags, Viewer};
use crate::{CoreError, CoreResult, TenantTx};

/// The most tasks one call changes: a page of the list is 50, "select all" on four pages fits,
/// and the transaction stays short.
pub const BULK_MAX: usize = 200;

/// The one change a bulk edit makes to every task it may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkChange {
    Status(String),
    Priority(String),
    /// `None` unassigns.
    Assignee(Option<Uuid>),
    /// `None` clears the due date.
    DueOn(Option<Date>),
    /// Moves to another open project (the task takes that project's next number).
    Project(Uuid),
    AddTag(Uuid),
    RemoveTag(Uuid),
}

/// A task the call named that the caller sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkTask {
    pub id: Uuid,
    /// `ACME-142`, as it is after the change.
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The caller sees the task but the policy does not let them make this change.
    Forbidden,
    /// No task the caller sees has this id.
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub id: Uuid,
    /// Only for a task the caller sees (`Forbidden`); never for `NotFound`.
    pub key: Option<String>,
    pub reason: SkipReason,
}

/// What a bulk edit did, each list in the order the ids were given (duplicates once).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BulkOutcome {
    pub changed: Vec<BulkTask>,
    /// Seen and allowed, but already as asked (no event written).
    pub unchanged: Vec<BulkTask>,
    pub skipped: Vec<Skipped>,
}

enum Fate {
    Changed(String),
    Unchanged(String),
    Skipped(Option<String>, SkipReason),
}

/// Applies `change` to each of `task_ids` (1 to [`BULK_MAX`]) that the viewer sees and may
/// change, in the caller's transaction. The change itself is validated once, before any task
/// is touched (422 naming the field); tasks are locked in id order, so two bulk edits over
/// overlapping tasks wait for each other instead of deadlocking.
pub async fn bulk_edit(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_ids: &[Uuid],
    change: &BulkChange,
) -> CoreResult<BulkOutcome> {
    if task_ids.is_empty() {
        return Err(CoreError::invalid("task_ids", "name at least one task"));
    }
    let mut order: Vec<Uuid> = Vec::with_capacity(task_ids.len());
    for id in task_ids {
        if !order.contains(id) {
            order.push(*id);
        }
    }
    if order.len() > BULK_MAX {
        return Err(CoreError::invalid(
            "task_ids",
            format!("at most {BULK_MAX} tasks at once"),
        ));
    }
    check_change(tx, change).await?;

    let mut sorted = order.clone();
    sorted.sort();
    let mut results: HashMap<Uuid, Fate> = HashMap::with_capacity(sorted.len());
    for id in sorted {
        let result = match tasks::lock_visible(tx, viewer, id).await {
            Err(CoreError::NotFound(_)) => Fate::Skipped(None, SkipReason::NotFound),
            Err(other) => return Err(other),
            Ok(task) => apply(tx, viewer, &task, change).await?,
        };
        results.insert(id, result);
    }

    let mut outcome = BulkOutcome::default();
    for id in order {
        match results.remove(&id) {
            Some(Fate::Changed(key)) => outcome.changed.push(BulkTask { id, key }),
            Some(Fate::Unchanged(key)) => outcome.unchanged.push(BulkTask { id, key }),
            Some(Fate::Skipped(key, reason)) => outcome.skipped.push(Skipped { id, key, reason }),
            None => unreachable!("every id was processed"),
        }
    }
    Ok(outcome)
}

async fn check_change(tx: &mut TenantTx, change: &BulkChange) -> CoreResult<()> {
    match change {
        BulkChange::Status(status) => tasks::check_status(status),
        BulkChange::Priority(priority) => tasks::check_priority(priority),
        BulkChange::Assignee(assignee) => tasks::check_assignee(tx, *assignee).await,
        BulkChange::DueOn(due) => tasks::check_due(*due),
        BulkChange::Project(project) => tasks::check_open_project(tx, *project).await,
        BulkChange::AddTag(tag) | BulkChange::RemoveTag(tag) => {
            match tags::find_tag(tx, *tag).await? {
                Some(_) => Ok(()),
                None => Err(CoreError::invalid("tag_id", "no such tag")),
            }
        }
    }
}

/// One visible, locked task: asks the policy, then changes it if it is not already as asked.
async fn apply(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task: &TaskRecord,
    change: &BulkChange,
) -> CoreResult<Fate> {
    let allowed = match change {
        BulkChange::AddTag(_) | BulkChange::RemoveTag(_) => {
            policy::can_manage_task_tags(viewer.role)
        }
        _ => policy::can_edit_task(viewer.role, &task.facts(viewer)),
    };
    if !allowed {
        return Ok(Fate::Skipped(Some(task.key.clone()), SkipReason::Forbidden));
    }
    let patch = match change {
        BulkChange::Status(s) if *s != task.status => TaskPatch {
            status: Some(s.clone()),
            ..TaskPatch::default()
        },
        BulkChange::Priority(p) if *p != task.priority => TaskPatch {
            priority: Some(p.clone()),
            ..TaskPatch::default()
        },
        BulkChange::Assignee(a) if *a != task.assignee_id => TaskPatch {
            assignee_id: Some(*a),
            ..TaskPatch::default()
        },
        BulkChange::DueOn(d) if *d != task.due_on => TaskPatch {
            due_on: Some(*d),
            ..TaskPatch::default()
        },
        BulkChange::Project(p) if *p != task.project_id => TaskPatch {
            project_id: Some(*p),
            ..TaskPatch::default()
        },
        BulkChange::AddTag(tag) if !task.tag_ids.contains(tag) => {
            sqlx::query("INSERT INTO task_tags (task_id, tag_id) VALUES ($1, $2)")
                .bind(task.id)
                .bind(tag)
                .execute(tx.conn())
                .await?;
            return Ok(Fate::Changed(task.key.clone()));
        }
        BulkChange::RemoveTag(tag) if task.tag_ids.contains(tag) => {
            sqlx::query("DELETE FROM task_tags WHERE task_id = $1 AND tag_id = $2")
                .bind(task.id)
                .bind(tag)
                .execute(tx.conn())
                .await?;
            return Ok(Fate::Changed(task.key.clone()));
        }
        _ => return Ok(Fate::Unchanged(task.key.clone())),
    };
    // The same door as a single edit: its policy check, validation, notices and one UPDATE.
    let updated = tasks::update_task(tx, viewer, task.id, patch).await?;
    Ok(Fate::Changed(updated.key))
}
