//! The board's order over REST (issue 15): a task's place, its column (status) and where in it,
//! set by the same core function the board's drag-and-drop and keyboard moves call.

use axum::Json;
use bastion_core::work::board::{self, Place};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ids::PathIds;
use super::tasks::TaskView;
use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
};

/// Where the task goes: a column (`status`) and at most one neighbour there. Neither `after`
/// nor `before` puts it first in the column.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPosition {
    /// `todo`, `in_progress` or `done`.
    #[schema(example = "in_progress")]
    pub status: String,
    /// The task to follow: one the caller sees, in that column.
    pub after: Option<Uuid>,
    /// The task to precede: one the caller sees, in that column.
    pub before: Option<Uuid>,
}

/// Move a task on the board: to another column, or to another place in its column. Admins and
/// members, on tasks they see. A change of column is a status change (history, notices); the
/// order alone is not history.
#[utoipa::path(
    put,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/position",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    request_body = TaskPosition,
    responses(
        (status = 200, description = "Moved (or already there).", body = TaskView),
        (status = 403, description = "Guests cannot edit tasks, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "An invalid `status`, both `after` and `before`, or a neighbour that is not another task the caller sees in that column; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_task_position(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<TaskPosition>,
) -> Result<Json<TaskView>, ApiError> {
    let place = match (body.after, body.before) {
        (Some(_), Some(_)) => {
            return Err(ApiError::Invalid {
                field: "before".into(),
                message: "give at most one of after and before".into(),
            })
        }
        (Some(after), None) => Place::After(after),
        (None, Some(before)) => Place::Before(before),
        (None, None) => Place::Top,
    };
    let viewer = member.viewer();
    let task = board::move_task(&mut member.tx, &viewer, task_id, &body.status, place).await?;
    member.tx.commit().await?;
    Ok(Json(task.into()))
}

pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(update_task_position))
}
