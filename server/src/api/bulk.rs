//! Bulk edit of tasks over REST (issue 20): one change to up to 200 tasks in one transaction.
//! The core asks the policy per task; a task the caller may not change is skipped (named by its
//! key) and one the caller does not see is "not found" (named by the id the caller sent only).

use axum::Json;
use bastion_core::work::bulk::{self, BulkChange, BulkOutcome, SkipReason};
use serde::{Deserialize, Deserializer, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
};

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The tasks and the one change to make to each. Exactly one of the change fields is given;
/// `null` for `assignee_id` unassigns and for `due_on` clears the date.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkTaskChange {
    /// 1–200 task ids (a repeated id counts once).
    pub task_ids: Vec<Uuid>,
    /// `todo`, `in_progress` or `done`.
    #[schema(example = "done")]
    pub status: Option<String>,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: Option<String>,
    /// An active member of the workspace, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// `YYYY-MM-DD`, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "2027-01-15")]
    pub due_on: Option<Option<String>>,
    /// Move to this unarchived project (each task takes its next number, so its key changes).
    pub project_id: Option<Uuid>,
    /// Put this tag on every task.
    pub add_tag_id: Option<Uuid>,
    /// Take this tag off every task.
    pub remove_tag_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkTaskView {
    pub id: Uuid,
    /// The task's key after the change.
    #[schema(example = "ACME-142")]
    pub key: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkSkipReason {
    /// The caller sees the task but may not make this change to it.
    Forbidden,
    /// No task the caller sees has this id (it may exist, hidden from the caller).
    NotFound,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkSkippedView {
    pub id: Uuid,
    /// Only when the reason is `forbidden`: a task the caller does not see is never named.
    #[schema(example = "ACME-3")]
    pub key: Option<String>,
    pub reason: BulkSkipReason,
}

/// What was done, each list in the order the ids were sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkTaskResult {
    /// Changed, with one history event each.
    pub changed: Vec<BulkTaskView>,
    /// Already as asked; nothing written.
    pub unchanged: Vec<BulkTaskView>,
    /// Left as they were.
    pub skipped: Vec<BulkSkippedView>,
}

impl From<BulkOutcome> for BulkTaskResult {
    fn from(o: BulkOutcome) -> Self {
        let task = |t: bulk::BulkTask| BulkTaskView {
            id: t.id,
            key: t.key,
        };
        Self {
            changed: o.changed.into_iter().map(task).collect(),
            unchanged: o.unchanged.into_iter().map(task).collect(),
            skipped: o
                .skipped
                .into_iter()
                .map(|s| BulkSkippedView {
                    id: s.id,
                    key: s.key,
                    reason: match s.reason {
                        SkipReason::Forbidden => BulkSkipReason::Forbidden,
                        SkipReason::NotFound => BulkSkipReason::NotFound,
                    },
                })
                .collect(),
        }
    }
}

impl BulkTaskChange {
    /// The one change asked for; none or several is a 422 naming `change`.
    fn change(self) -> Result<BulkChange, ApiError> {
        let due_on = match self.due_on {
            None => None,
            Some(None) => Some(BulkChange::DueOn(None)),
            Some(Some(text)) => Some(BulkChange::DueOn(Some(
                Date::parse(
                    &text,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|_| ApiError::Invalid {
                    field: "due_on".into(),
                    message: "must be a date like 2026-12-31".into(),
                })?,
            ))),
        };
        let mut changes = [
            self.status.map(BulkChange::Status),
            self.priority.map(BulkChange::Priority),
            self.assignee_id.map(BulkChange::Assignee),
            due_on,
            self.project_id.map(BulkChange::Project),
            self.add_tag_id.map(BulkChange::AddTag),
            self.remove_tag_id.map(BulkChange::RemoveTag),
        ]
        .into_iter()
        .flatten();
        match (changes.next(), changes.next()) {
            (Some(change), None) => Ok(change),
            _ => Err(ApiError::Invalid {
                field: "change".into(),
                message: "give exactly one of status, priority, assignee_id, due_on, \
                          project_id, add_tag_id, remove_tag_id"
                    .into(),
            }),
        }
    }
}

/// Make one change to many tasks at once. Every member may call it; each task is changed only
/// if the caller may edit it (guests may edit none), and is otherwise reported as skipped.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tasks/bulk",
    request_body = BulkTaskChange,
    responses(
        (status = 200, description = "Done for every task the caller may change; the others are listed as skipped.", body = BulkTaskResult),
        (status = 403, description = "Another origin.", body = ErrorBody),
        (status = 404, description = "Not a member.", body = ErrorBody),
        (status = 422, description = "No task, more than 200, no change or several, or an invalid value; the field is named.", body = ErrorBody),
    ),
)]
pub async fn update_tasks_in_bulk(
    mut member: Member,
    ApiJson(body): ApiJson<BulkTaskChange>,
) -> Result<Json<BulkTaskResult>, ApiError> {
    let viewer = member.viewer();
    let task_ids = body.task_ids.clone();
    let change = body.change()?;
    let outcome = bulk::bulk_edit(&mut member.tx, &viewer, &task_ids, &change).await?;
    member.tx.commit().await?;
    Ok(Json(outcome.into()))
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(update_tasks_in_bulk))
}
