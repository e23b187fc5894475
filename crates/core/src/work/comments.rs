//! Comments on tasks. A comment is reachable only through a task the viewer sees; who may edit
//! or delete it is `bastion_policy`'s call, made here on the loaded comment.

use bastion_policy as policy;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{tasks::get_task, trimmed, Position, Viewer, VISIBLE};
use crate::{ensure, CoreError, CoreResult, TenantTx};

pub const BODY_MAX: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CommentRecord {
    pub id: Uuid,
    pub task_id: Uuid,
    pub author_id: Uuid,
    /// Markdown source; render with [`super::render_markdown`].
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
}

impl CommentRecord {
    pub fn position(&self) -> Position {
        Position {
            created_at: self.created_at,
            id: self.id,
        }
    }
}

/// The comments on a task the viewer sees, oldest first, keyset-paginated on
/// `(created_at, id)`.
pub async fn list_comments(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    after: Option<Position>,
    limit: u32,
) -> CoreResult<Vec<CommentRecord>> {
    get_task(tx, viewer, task_id).await?;
    Ok(sqlx::query_as::<_, CommentRecord>(
        "SELECT id, task_id, author_id, body, created_at, edited_at FROM comments
         WHERE task_id = $1
           AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
         ORDER BY created_at, id
         LIMIT $4",
    )
    .bind(task_id)
    .bind(after.map(|p| p.created_at))
    .bind(after.map(|p| p.id))
    .bind(i64::from(limit))
    .fetch_all(tx.conn())
    .await?)
}

/// One comment of `task_id`, if the viewer sees the task.
pub async fn get_comment(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    comment_id: Uuid,
) -> CoreResult<CommentRecord> {
    let sql = format!(
        "SELECT c.id, c.task_id, c.author_id, c.body, c.created_at, c.edited_at
         FROM comments c JOIN tasks t ON t.id = c.task_id
         WHERE c.id = $3 AND c.task_id = $4 AND {VISIBLE}"
    );
    sqlx::query_as::<_, CommentRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(comment_id)
        .bind(task_id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(CoreError::NotFound("comment"))
}

/// Adds the viewer's comment to a task they see.
pub async fn create_comment(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    body: &str,
) -> CoreResult<CommentRecord> {
    let body = trimmed("body", body, BODY_MAX, false)?;
    get_task(tx, viewer, task_id).await?;
    ensure(policy::can_comment(viewer.role), "You cannot comment here.")?;
    Ok(sqlx::query_as::<_, CommentRecord>(
        "INSERT INTO comments (id, task_id, author_id, body) VALUES ($1, $2, $3, $4)
         RETURNING id, task_id, author_id, body, created_at, edited_at",
    )
    .bind(Uuid::new_v4())
    .bind(task_id)
    .bind(viewer.user_id)
    .bind(body)
    .fetch_one(tx.conn())
    .await?)
}

/// Replaces a comment's body and stamps `edited_at`. Only its author, admins included.
pub async fn update_comment(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    comment_id: Uuid,
    body: &str,
) -> CoreResult<CommentRecord> {
    let comment = get_comment(tx, viewer, task_id, comment_id).await?;
    ensure(
        policy::can_edit_comment(viewer.role, comment.author_id == viewer.user_id),
        "Only its author can edit a comment.",
    )?;
    let body = trimmed("body", body, BODY_MAX, false)?;
    Ok(sqlx::query_as::<_, CommentRecord>(
        "UPDATE comments SET body = $2, edited_at = now() WHERE id = $1
         RETURNING id, task_id, author_id, body, created_at, edited_at",
    )
    .bind(comment_id)
    .bind(body)
    .fetch_one(tx.conn())
    .await?)
}

/// Deletes a comment: its author, or an admin.
pub async fn delete_comment(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    comment_id: Uuid,
) -> CoreResult<()> {
    let comment = get_comment(tx, viewer, task_id, comment_id).await?;
    ensure(
        policy::can_delete_comment(viewer.role, comment.author_id == viewer.user_id),
        "Only its author or an admin can delete a comment.",
    )?;
    sqlx::query("DELETE FROM comments WHERE id = $1")
        .bind(comment_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
