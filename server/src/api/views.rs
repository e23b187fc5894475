//! Saved views of the task list over REST: each person's own, and the views admins and members
//! share with the workspace. A view is a name and the list's query string; the list itself is
//! `GET …/tasks` (the browser's list page reads the same query).

use super::ids::PathIds;
use axum::{http::StatusCode, Json};
use bastion_core::work::views::{self, SavedView};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct ViewView {
    pub id: Uuid,
    /// Who saved it.
    pub owner_id: Uuid,
    #[schema(example = "My urgent work")]
    pub name: String,
    /// The task list's query string, without `?`: filters (`project`, `status`, `assignee`,
    /// `tag`, `due_before`, `q`), `sort` (`created`, `updated`, `due`, `priority`) and `cols`
    /// (the visible columns, comma-separated).
    #[schema(example = "status=todo&sort=priority&cols=status%2Cpriority%2Cdue")]
    pub query: String,
    /// Shared with the workspace's admins and members.
    pub shared: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<SavedView> for ViewView {
    fn from(v: SavedView) -> Self {
        Self {
            id: v.id,
            owner_id: v.owner_id,
            name: v.name,
            query: v.query,
            shared: v.shared,
            created_at: v.created_at,
        }
    }
}

/// A person's views and the shared ones: at most 50 each, returned whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewList {
    pub items: Vec<ViewView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewView {
    /// 1–80 characters, unique among the caller's views regardless of case.
    #[schema(example = "My urgent work", min_length = 1, max_length = 80)]
    pub name: String,
    /// The list's query string (see `ViewView.query`); unknown keys are refused.
    #[schema(example = "status=todo&sort=priority", max_length = 2000)]
    pub query: String,
    /// Share with the workspace's admins and members (not for guests).
    #[serde(default)]
    pub shared: bool,
}

/// The caller's saved views and, for admins and members, the shared ones; shared first.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/views",
    responses(
        (status = 200, description = "The views.", body = ViewList),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
    ),
)]
pub async fn list_views(mut member: Member) -> Result<Json<ViewList>, ApiError> {
    let viewer = member.viewer();
    let rows = views::list(&mut member.tx, &viewer).await?;
    member.tx.commit().await?;
    Ok(Json(ViewList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Save a view of the task list. Everyone keeps their own; sharing is for admins and members.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/views",
    request_body = NewView,
    responses(
        (status = 201, description = "Saved.", body = ViewView),
        (status = 403, description = "A guest sharing a view, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A field is invalid (a name in use, an unknown filter); it is named.", body = ErrorBody),
    ),
)]
pub async fn create_view(
    mut member: Member,
    ApiJson(body): ApiJson<NewView>,
) -> Result<(StatusCode, Json<ViewView>), ApiError> {
    let viewer = member.viewer();
    let view = views::create(
        &mut member.tx,
        &viewer,
        &body.name,
        &body.query,
        body.shared,
    )
    .await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Delete a view: the caller's own, or (admins) a shared one.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/views/{view_id}",
    params(
        ("view_id" = Uuid, Path, description = "The view's id"),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "A shared view someone else saved (admins may), or another origin.", body = ErrorBody),
        (status = 404, description = "No such view the caller may open, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_view(
    mut member: Member,
    PathIds(view_id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    views::delete(&mut member.tx, &viewer, view_id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_views, create_view))
        .routes(utoipa_axum::routes!(delete_view))
}
