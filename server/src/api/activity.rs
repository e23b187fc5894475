//! The members' activity feed: what changed on the tasks the caller can see (core
//! `work::activity`, which decides what is shown and hides old text).

use axum::Json;
use bastion_core::audit::HistoryPage;
use bastion_core::work::activity::{self, ActivityEvent};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::pagination::{split_page, PageQuery};
use crate::query::ApiQuery;
use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
};

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    /// The history event's id (increasing).
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: String,
    /// A user id, or `system` for operator commands and background jobs.
    pub actor: String,
    /// `task`, `comment`, `attachment`, `checklist_item` or `task_relation`.
    #[schema(example = "task")]
    pub entity_type: String,
    pub entity_id: Uuid,
    /// `created`, `updated`, `deleted`, `tag_added`, `tag_removed`, `viewer_added` or
    /// `viewer_removed`.
    #[schema(example = "updated")]
    pub action: String,
    /// As in the audit history, except that each value of a free-text field (`description`,
    /// `body`, `text`, `note`) is `{"redacted": true}`: the feed names a changed text, never
    /// quotes it.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    pub task_id: Uuid,
    /// The task's title as it is now.
    pub task_title: String,
    pub project_id: Uuid,
}

impl From<ActivityEvent> for ActivityView {
    fn from(a: ActivityEvent) -> Self {
        let e = a.event;
        Self {
            id: e.id,
            occurred_at: e.occurred_at.format(&Rfc3339).unwrap_or_default(),
            actor: e.actor,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            action: e.action,
            changes: e.changes,
            task_id: e.task_id.unwrap_or(e.entity_id),
            task_title: a.task_title,
            project_id: a.project_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityList {
    /// Newest first.
    pub items: Vec<ActivityView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Only this project's tasks.
    pub project_id: Option<Uuid>,
}

/// What changed on the tasks the caller can see, newest first: tasks, comments, attachments,
/// checklist items and relations (no time entries, no watching), per workspace or per project.
/// Every member may read it; a task the caller does not see now is left out.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/activity",
    params(ActivityQuery, PageQuery),
    responses(
        (status = 200, description = "A page of the feed.", body = ActivityList),
        (status = 404, description = "Not a member, or no such project visible to the caller.", body = ErrorBody),
        (status = 422, description = "`project_id`, `limit` or `cursor` is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn list_activity(
    mut member: Member,
    ApiQuery(query): ApiQuery<ActivityQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<ActivityList>, ApiError> {
    let limit = page.limit()?;
    let before: Option<i64> = page.position()?;
    let viewer = member.viewer();
    let rows = activity::feed(
        &mut member.tx,
        &viewer,
        query.project_id,
        HistoryPage {
            before,
            limit: limit + 1,
        },
    )
    .await?;
    member.tx.commit().await?;
    let (rows, next_cursor) = split_page(rows, limit, |a| a.event.id);
    Ok(Json(ActivityList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(list_activity))
}
