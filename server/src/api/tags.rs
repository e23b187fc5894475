//! Tags over REST: the workspace's catalogue (admins and members manage it; guests see the tags
//! on tasks they view) and the tags on a task (admins and members, on tasks they see).

use super::ids::PathIds;
use axum::{http::StatusCode, Json};
use bastion_core::work::tags::{self, TagRecord};
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
pub struct TagView {
    pub id: Uuid,
    #[schema(example = "Legal")]
    pub name: String,
    /// `#rrggbb`.
    #[schema(example = "#1e90ff")]
    pub colour: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<TagRecord> for TagView {
    fn from(t: TagRecord) -> Self {
        Self {
            id: t.id,
            name: t.name,
            colour: t.colour,
            created_at: t.created_at,
        }
    }
}

/// Tags are a short catalogue, returned whole and sorted by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub items: Vec<TagView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTag {
    /// 1–50 characters, unique regardless of case.
    #[schema(example = "Legal", max_length = 50, pattern = r"\S")]
    pub name: String,
    /// `#rrggbb`; default `#64748b`.
    #[schema(
        example = "#1e90ff",
        pattern = r"^[ \t\n\r]*#[0-9a-fA-F]{6}[ \t\n\r]*$"
    )]
    pub colour: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagChange {
    /// 1–50 characters, unique regardless of case.
    #[schema(example = "Legal & compliance", max_length = 50, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(
        example = "#dc2626",
        pattern = r"^[ \t\n\r]*#[0-9a-fA-F]{6}[ \t\n\r]*$"
    )]
    pub colour: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskTag {
    pub tag_id: Uuid,
}

/// The workspace's tags by name. Guests see only the tags on tasks they view.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tags",
    responses(
        (status = 200, description = "The tags.", body = TagList),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
    ),
)]
pub async fn list_tags(mut member: Member) -> Result<Json<TagList>, ApiError> {
    let viewer = member.viewer();
    let rows = tags::list_tags(&mut member.tx, &viewer).await?;
    member.tx.commit().await?;
    Ok(Json(TagList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Create a tag. Admins and members.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tags",
    request_body = NewTag,
    responses(
        (status = 201, description = "Created.", body = TagView),
        (status = 403, description = "Guests cannot manage tags, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 409, description = "A tag of that name exists already.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn create_tag(
    mut member: Member,
    ApiJson(body): ApiJson<NewTag>,
) -> Result<(StatusCode, Json<TagView>), ApiError> {
    let viewer = member.viewer();
    let tag = tags::create_tag(&mut member.tx, &viewer, &body.name, body.colour.as_deref()).await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(tag.into())))
}

/// Rename or recolour a tag. Admins and members.
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}/tags/{tag_id}",
    params(
        ("tag_id" = Uuid, Path, description = "The tag's id"),
    ),
    request_body = TagChange,
    responses(
        (status = 200, description = "Changed.", body = TagView),
        (status = 403, description = "Guests cannot manage tags, or another origin.", body = ErrorBody),
        (status = 404, description = "No such tag, or not a member.", body = ErrorBody),
        (status = 409, description = "A tag of that name exists already.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_tag(
    mut member: Member,
    PathIds(tag_id): PathIds<Uuid>,
    ApiJson(change): ApiJson<TagChange>,
) -> Result<Json<TagView>, ApiError> {
    let viewer = member.viewer();
    let tag = tags::update_tag(
        &mut member.tx,
        &viewer,
        tag_id,
        change.name.as_deref(),
        change.colour.as_deref(),
    )
    .await?;
    member.tx.commit().await?;
    Ok(Json(tag.into()))
}

/// Delete a tag; it comes off every task. Admins and members.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/tags/{tag_id}",
    params(
        ("tag_id" = Uuid, Path, description = "The tag's id"),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Guests cannot manage tags, or another origin.", body = ErrorBody),
        (status = 404, description = "No such tag, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_tag(
    mut member: Member,
    PathIds(tag_id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    tags::delete_tag(&mut member.tx, &viewer, tag_id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tags on a task the caller sees.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/tags",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    responses(
        (status = 200, description = "The task's tags.", body = TagList),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn list_task_tags(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<TagList>, ApiError> {
    let viewer = member.viewer();
    let rows = tags::list_task_tags(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(Json(TagList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Put a tag on a task. Admins and members, on tasks they see.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/tags",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    request_body = NewTaskTag,
    responses(
        (status = 201, description = "Tagged (or it already was); the tag.", body = TagView),
        (status = 403, description = "Guests cannot tag tasks, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "`tag_id` names no tag.", body = ErrorBody),
    ),
)]
pub async fn create_task_tag(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<NewTaskTag>,
) -> Result<(StatusCode, Json<TagView>), ApiError> {
    let viewer = member.viewer();
    let tag = tags::add_task_tag(&mut member.tx, &viewer, task_id, body.tag_id).await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(tag.into())))
}

/// Take a tag off a task. Admins and members, on tasks they see.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/tags/{tag_id}",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
        ("tag_id" = Uuid, Path, description = "The tag's id"),
    ),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "Guests cannot untag tasks, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, the tag is not on it, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_task_tag(
    mut member: Member,
    PathIds((task_id, tag_id)): PathIds<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    tags::remove_task_tag(&mut member.tx, &viewer, task_id, tag_id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_tags, create_tag))
        .routes(utoipa_axum::routes!(update_tag, delete_tag))
        .routes(utoipa_axum::routes!(list_task_tags, create_task_tag))
        .routes(utoipa_axum::routes!(delete_task_tag))
}
