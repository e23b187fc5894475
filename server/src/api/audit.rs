//! Audit history over REST (PRODUCT.md §4): admins filter the workspace's events and read a
//! task's timeline; Business workspaces export them as CSV or JSON.

use super::ids::PathIds;
use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use bastion_core::{
    audit::{self, HistoryEvent, HistoryFilter, HistoryPage},
    CoreError,
};
use serde::{Deserialize, Serialize};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::query::ApiQuery;
use crate::{
    api::pagination::{split_page, PageQuery},
    auth::Member,
    error::{ApiError, ErrorBody},
};

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEventView {
    /// Increases along the workspace's hash chain.
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: String,
    /// A user id, or `system` for operator commands and background jobs.
    pub actor: String,
    /// `task`, `comment`, `time_entry`, `attachment`, `tag`, or `workspace` (the entity id is
    /// the workspace's; a plan change is its `updated` event).
    #[schema(example = "task")]
    pub entity_type: String,
    pub entity_id: Uuid,
    /// `created`, `updated`, `deleted`, `tag_added`, `tag_removed`, `viewer_added`,
    /// `viewer_removed`, `watcher_added` or `watcher_removed`.
    #[schema(example = "updated")]
    pub action: String,
    /// Created and deleted: the whole row. Updated: `{"field": {"before": …, "after": …}}` for
    /// the changed fields. Tag, viewer and watcher events: the tag's or user's id.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    pub task_id: Option<Uuid>,
}

impl From<HistoryEvent> for HistoryEventView {
    fn from(e: HistoryEvent) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at.format(&Rfc3339).unwrap_or_default(),
            actor: e.actor,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            action: e.action,
            changes: e.changes,
            task_id: e.task_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryList {
    /// Newest first.
    pub items: Vec<HistoryEventView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The kind of thing changed: `task`, `comment`, `time_entry`, `attachment`, `tag`,
    /// `workspace`, …
    #[param(schema_with = super::enums::audit_entity)]
    pub entity: Option<String>,
    /// A user id, or `system`.
    pub actor: Option<String>,
    /// Events at or after this instant (RFC 3339).
    #[param(example = "2026-03-01T00:00:00Z", format = DateTime)]
    pub from: Option<String>,
    /// Events before this instant (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// Only the events of this task (also of a deleted one).
    pub task_id: Option<Uuid>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `json`.
    #[param(schema_with = super::enums::export_format)]
    pub format: Option<String>,
    #[param(schema_with = super::enums::audit_entity)]
    pub entity: Option<String>,
    pub actor: Option<String>,
    /// Events at or after this instant (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Events before this instant (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
}

fn parse_instant(
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<OffsetDateTime>, ApiError> {
    value
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339).map_err(|_| {
                CoreError::invalid(
                    field,
                    "must be an RFC 3339 instant like 2026-03-01T00:00:00Z",
                )
                .into()
            })
        })
        .transpose()
}

fn filter(
    entity: Option<String>,
    actor: Option<String>,
    from: Option<&str>,
    to: Option<&str>,
    task_id: Option<Uuid>,
) -> Result<HistoryFilter, ApiError> {
    Ok(HistoryFilter {
        entity_type: entity,
        actor,
        from: parse_instant("from", from)?,
        to: parse_instant("to", to)?,
        task_id,
    })
}

/// The page asked for, as core takes it: one more row than shown, to learn if more exist.
fn history_page(page: &PageQuery) -> Result<(u32, HistoryPage), ApiError> {
    let limit = page.limit()?;
    let before: Option<i64> = page.position()?;
    Ok((
        limit,
        HistoryPage {
            before,
            limit: limit + 1,
        },
    ))
}

fn history_list(rows: Vec<HistoryEvent>, limit: u32) -> HistoryList {
    let (rows, next_cursor) = split_page(rows, limit, |e| e.id);
    HistoryList {
        items: rows.into_iter().map(HistoryEventView::from).collect(),
        next_cursor,
    }
}

/// The workspace's audit history, newest first, filtered by entity, actor and time range.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/audit",
    params(PageQuery, AuditQuery),
    responses(
        (status = 200, description = "A page of events.", body = HistoryList),
        (status = 403, description = "Not an admin of this workspace.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A parameter is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn list_audit_events(
    mut member: Member,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<HistoryList>, ApiError> {
    // Non-admins are refused before their parameters are read.
    let viewer = member.viewer();
    audit::check_read(viewer)?;
    let filter = filter(
        query.entity,
        query.actor,
        query.from.as_deref(),
        query.to.as_deref(),
        query.task_id,
    )?;
    let (limit, page) = history_page(&page)?;
    let rows = audit::events(&mut member.tx, viewer, &filter, page).await?;
    member.tx.commit().await?;
    Ok(Json(history_list(rows, limit)))
}

/// Download the audit history (oldest first) as CSV or JSON. Business plan only.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/audit/export",
    params(ExportQuery),
    responses(
        (status = 200, description = "The events as a file: `text/csv` (the default) or `application/json` (`format=json`, an array of events).",
         content((String = "text/csv"), (Vec<Object> = "application/json"))),
        (status = 403, description = "Not an admin, or the workspace is not on the Business plan.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A parameter is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn export_audit_events(
    mut member: Member,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let viewer = member.viewer();
    audit::check_export(viewer, &member.workspace.plan)?;
    let filter = filter(
        query.entity,
        query.actor,
        query.from.as_deref(),
        query.to.as_deref(),
        None,
    )?;
    let format = query.format.as_deref().unwrap_or("csv");
    let plan = member.workspace.plan.clone();
    let file = audit::export(&mut member.tx, viewer, &plan, format, &filter).await?;
    member.tx.commit().await?;
    let disposition = format!(
        "attachment; filename=\"audit-{}.{}\"",
        member.workspace.slug, file.extension
    );
    let mut response = file.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// A task's timeline: every event of the task and what hangs off it, newest first. Admins only.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/history",
    params(
        ("task_id" = Uuid, Path, description = "Task id"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of the task's events.", body = HistoryList),
        (status = 403, description = "Not an admin of this workspace.", body = ErrorBody),
        (status = 404, description = "No such task, or not visible to the caller.", body = ErrorBody),
        (status = 422, description = "A `limit` or `cursor` that is not valid.", body = ErrorBody),
    ),
)]
pub async fn list_task_history(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<HistoryList>, ApiError> {
    let (limit, page) = history_page(&page)?;
    let viewer = member.viewer();
    let rows = audit::task_history(&mut member.tx, viewer, task_id, page).await?;
    member.tx.commit().await?;
    Ok(Json(history_list(rows, limit)))
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_audit_events))
        .routes(utoipa_axum::routes!(export_audit_events))
        .routes(utoipa_axum::routes!(list_task_history))
}
