//! Comments over REST, nested under their task. Anyone who sees a task comments on it; authors
//! edit their own comments; authors and admins delete them.

use super::ids::PathIds;
use axum::{http::StatusCode, Json};
use bastion_core::work::{
    comments::{self, CommentRecord},
    Position,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::pagination::{split_page, PageQuery};
use crate::query::ApiQuery;
use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    pub id: Uuid,
    pub task_id: Uuid,
    pub author_id: Uuid,
    /// Markdown source (raw HTML is shown as text when rendered).
    #[schema(example = "Signed copy is in the **shared drive**.")]
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When the body was last changed, if ever.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub edited_at: Option<OffsetDateTime>,
}

impl From<CommentRecord> for CommentView {
    fn from(c: CommentRecord) -> Self {
        Self {
            id: c.id,
            task_id: c.task_id,
            author_id: c.author_id,
            body: c.body,
            created_at: c.created_at,
            edited_at: c.edited_at,
        }
    }
}

/// A comment just posted, with the people it mentions who were not notified.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostedCommentView {
    #[serde(flatten)]
    pub comment: CommentView,
    /// People the body mentions (`@[<user id>]`) who were not notified because they do not see
    /// the task (a private task not shared with them, a guest who does not view it) or are not
    /// active members. Nothing about the task reaches them.
    pub mentions_not_notified: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentList {
    pub items: Vec<CommentView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Markdown, 1–10 000 characters, not only spaces.
    #[schema(
        example = "Signed copy is in the **shared drive**.",
        max_length = 10000,
        pattern = r"\S"
    )]
    pub body: String,
}

/// The comments on a task the caller sees, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/comments",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of comments.", body = CommentList),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "`limit` or `cursor` is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn list_comments(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<CommentList>, ApiError> {
    let limit = page.limit()?;
    let after = page.position::<Position>()?;
    let viewer = member.viewer();
    let rows = comments::list_comments(&mut member.tx, &viewer, task_id, after, limit + 1).await?;
    member.tx.commit().await?;
    let (rows, next_cursor) = split_page(rows, limit, |c| c.position());
    Ok(Json(CommentList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Comment on a task the caller sees (guests: a task they view). The caller starts watching the
/// task; `@[<user id>]` mentions notify those who see it; its watchers are notified.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/comments",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    request_body = CommentBody,
    responses(
        (status = 201, description = "Created.", body = PostedCommentView),
        (status = 403, description = "Another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "`body` is empty or too long.", body = ErrorBody),
    ),
)]
pub async fn create_comment(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<(StatusCode, Json<PostedCommentView>), ApiError> {
    let viewer = member.viewer();
    let posted = comments::post_comment(&mut member.tx, &viewer, task_id, &body.body).await?;
    member.tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(PostedCommentView {
            comment: posted.comment.into(),
            mentions_not_notified: posted.mentions.not_notified,
        }),
    ))
}

/// Edit a comment. Only its author, admins included.
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/comments/{comment_id}",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
        ("comment_id" = Uuid, Path, description = "The comment's id"),
    ),
    request_body = CommentBody,
    responses(
        (status = 200, description = "Changed.", body = CommentView),
        (status = 403, description = "Not the author, or another origin.", body = ErrorBody),
        (status = 404, description = "No such comment on a task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "`body` is empty or too long.", body = ErrorBody),
    ),
)]
pub async fn update_comment(
    mut member: Member,
    PathIds((task_id, comment_id)): PathIds<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Json<CommentView>, ApiError> {
    let viewer = member.viewer();
    let comment =
        comments::update_comment(&mut member.tx, &viewer, task_id, comment_id, &body.body).await?;
    member.tx.commit().await?;
    Ok(Json(comment.into()))
}

/// Delete a comment. Its author, or an admin.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/comments/{comment_id}",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
        ("comment_id" = Uuid, Path, description = "The comment's id"),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Neither the author nor an admin, or another origin.", body = ErrorBody),
        (status = 404, description = "No such comment on a task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_comment(
    mut member: Member,
    PathIds((task_id, comment_id)): PathIds<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    comments::delete_comment(&mut member.tx, &viewer, task_id, comment_id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_comments, create_comment))
        .routes(utoipa_axum::routes!(update_comment, delete_comment))
}
