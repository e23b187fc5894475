//! Comments on tasks. A comment is reachable only through a task the viewer sees; who may edit
//! or delete it is `bastion_policy`'s call, made here on the loaded comment.

use bastion_policy as policy;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::notifications::{self, Kind, Notice};
use super::{mentions, tasks::get_task, trimmed, watching, Position, Viewer, VISIBLE};
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

/// A comment just posted, and what became of its mentions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posted {
    pub comment: CommentRecord,
    pub mentions: MentionOutcome,
}

/// The people a comment mentions (`@[<user id>]`), split by whether they were told.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MentionOutcome {
    pub notified: Vec<Uuid>,
    /// Not active members who see the task (a private task not shared with them, a guest who
    /// does not view it, a former member): not told, so that nothing about the task reaches
    /// them, and the author is told so.
    pub not_notified: Vec<Uuid>,
}

/// Adds the viewer's comment to a task they see.
pub async fn create_comment(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    body: &str,
) -> CoreResult<CommentRecord> {
    Ok(post_comment(tx, viewer, task_id, body).await?.comment)
}

/// Adds the viewer's comment to a task they see; the author starts watching it (unless they
/// unwatched it), the people it mentions who see the task are told (and start watching), and
/// the other watchers are told of a comment, all in this transaction.
pub async fn post_comment(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    body: &str,
) -> CoreResult<Posted> {
    let body = trimmed("body", body, BODY_MAX, false)?;
    get_task(tx, viewer, task_id).await?;
    ensure(policy::can_comment(viewer.role), "You cannot comment here.")?;
    let comment = sqlx::query_as::<_, CommentRecord>(
        "INSERT INTO comments (id, task_id, author_id, body) VALUES ($1, $2, $3, $4)
         RETURNING id, task_id, author_id, body, created_at, edited_at",
    )
    .bind(Uuid::new_v4())
    .bind(task_id)
    .bind(viewer.user_id)
    .bind(body)
    .fetch_one(tx.conn())
    .await?;
    watching::auto_watch(tx, task_id, &[viewer.user_id]).await?;
    let mentions = tell_mentioned(tx, viewer, &comment, &[]).await?;
    let mut watchers = watching::watchers(tx, task_id).await?;
    watchers.retain(|w| !mentions.notified.contains(w));
    let notice = Notice {
        kind: Kind::Commented,
        task_id,
        comment_id: Some(comment.id),
        detail: None,
    };
    notifications::notify(tx, viewer.user_id, notice, &watchers).await?;
    Ok(Posted { comment, mentions })
}

/// Tells the people `comment` mentions, but not those in `already` (mentioned before an edit)
/// nor the author, if they see the task; they start watching it.
async fn tell_mentioned(
    tx: &mut TenantTx,
    viewer: &Viewer,
    comment: &CommentRecord,
    already: &[Uuid],
) -> CoreResult<MentionOutcome> {
    tell_mentioned_in(
        tx,
        viewer,
        comment.task_id,
        Some(comment.id),
        &comment.body,
        already,
    )
    .await
}

/// Tells the people `text` (a comment, or a task's description when `comment_id` is `None`)
/// mentions, but not those in `already` (mentioned before an edit) nor the author, if they see
/// the task as it now stands; they start watching it. The one door for every mention.
pub(crate) async fn tell_mentioned_in(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    comment_id: Option<Uuid>,
    text: &str,
    already: &[Uuid],
) -> CoreResult<MentionOutcome> {
    let mentioned: Vec<Uuid> = mentions::parse(text)
        .into_iter()
        .filter(|m| *m != viewer.user_id && !already.contains(m))
        .collect();
    if mentioned.is_empty() {
        return Ok(MentionOutcome::default());
    }
    let seeing = notifications::who_sees(tx, task_id, &mentioned).await?;
    let (notified, not_notified): (Vec<Uuid>, Vec<Uuid>) =
        mentioned.into_iter().partition(|m| seeing.contains(m));
    watching::auto_watch(tx, task_id, &notified).await?;
    let notice = Notice {
        kind: Kind::Mentioned,
        task_id,
        comment_id,
        detail: None,
    };
    notifications::notify(tx, viewer.user_id, notice, &notified).await?;
    Ok(MentionOutcome {
        notified,
        not_notified,
    })
}

/// The active members a task's description mentions who cannot see the task now (so were not
/// told, and would not be): for the task page to say so to whoever may share it with them.
/// `task` is the viewer's own read of it (through the visibility rule, as every read is), so it
/// is not read again; only editors are answered, as only they can act on it; nobody else learns
/// who is mentioned but left out.
pub async fn unreached_mentions(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task: &super::tasks::TaskRecord,
) -> CoreResult<Vec<Uuid>> {
    let task_id = task.id;
    if !policy::can_edit_task(viewer.role, &task.facts(viewer)) {
        return Ok(Vec::new());
    }
    let mut mentioned = mentions::parse(&task.description);
    mentioned.retain(|m| *m != viewer.user_id);
    if mentioned.is_empty() {
        return Ok(Vec::new());
    }
    let active: Vec<Uuid> =
        sqlx::query_scalar("SELECT user_id FROM members WHERE user_id = ANY($1) AND active")
            .bind(&mentioned)
            .fetch_all(tx.conn())
            .await?;
    let seeing = notifications::who_sees(tx, task_id, &mentioned).await?;
    mentioned.retain(|m| active.contains(m) && !seeing.contains(m));
    Ok(mentioned)
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
    let updated = sqlx::query_as::<_, CommentRecord>(
        "UPDATE comments SET body = $2, edited_at = now() WHERE id = $1
         RETURNING id, task_id, author_id, body, created_at, edited_at",
    )
    .bind(comment_id)
    .bind(body)
    .fetch_one(tx.conn())
    .await?;
    // People newly mentioned by the edit are told; those mentioned before are not told again.
    tell_mentioned(tx, viewer, &updated, &mentions::parse(&comment.body)).await?;
    Ok(updated)
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
