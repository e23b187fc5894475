//! Watching a task: its watchers are told about its comments and status changes (see
//! [`super::notifications`]). Its creator, assignee, commenters and the people mentioned in its
//! comments start watching on their own ([`auto_watch`], called by those actions in their own
//! transaction); anyone who sees a task may watch or unwatch it. An unwatch is remembered, so a
//! later comment or mention does not sign the person up again; watching again clears it. Every
//! change of the watchers is a `watcher_added` / `watcher_removed` event of the task's history,
//! written by the shared link trigger (tenant migration 0010).

use bastion_policy as policy;
use serde::Serialize;
use uuid::Uuid;

use super::{tasks::get_task, Viewer};
use crate::{ensure, CoreResult, TenantTx};

/// The caller's watch on a task, and how many people watch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WatchState {
    pub watching: bool,
    pub watchers: i64,
}

async fn state(tx: &mut TenantTx, viewer: &Viewer, task_id: Uuid) -> CoreResult<WatchState> {
    let (watching, watchers): (bool, i64) = sqlx::query_as(
        "SELECT coalesce(bool_or(user_id = $2), false), count(*) FROM task_watchers
         WHERE task_id = $1",
    )
    .bind(task_id)
    .bind(viewer.user_id)
    .fetch_one(tx.conn())
    .await?;
    Ok(WatchState { watching, watchers })
}

/// Whether the caller watches a task they see (404 for a task they do not see).
pub async fn watch_state(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
) -> CoreResult<WatchState> {
    get_task(tx, viewer, task_id).await?;
    state(tx, viewer, task_id).await
}

/// The caller starts watching a task they see. Watching twice is not an error.
pub async fn watch(tx: &mut TenantTx, viewer: &Viewer, task_id: Uuid) -> CoreResult<WatchState> {
    get_task(tx, viewer, task_id).await?;
    ensure(
        policy::can_watch_task(viewer.role),
        "You cannot watch this task.",
    )?;
    sqlx::query("DELETE FROM task_unwatched WHERE task_id = $1 AND user_id = $2")
        .bind(task_id)
        .bind(viewer.user_id)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "INSERT INTO task_watchers (task_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(task_id)
    .bind(viewer.user_id)
    .execute(tx.conn())
    .await?;
    state(tx, viewer, task_id).await
}

/// The caller stops watching a task they see, and stays unsubscribed until they watch it again.
/// Unwatching a task one does not watch is not an error.
pub async fn unwatch(tx: &mut TenantTx, viewer: &Viewer, task_id: Uuid) -> CoreResult<WatchState> {
    get_task(tx, viewer, task_id).await?;
    ensure(
        policy::can_watch_task(viewer.role),
        "You cannot unwatch this task.",
    )?;
    sqlx::query("DELETE FROM task_watchers WHERE task_id = $1 AND user_id = $2")
        .bind(task_id)
        .bind(viewer.user_id)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "INSERT INTO task_unwatched (task_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(task_id)
    .bind(viewer.user_id)
    .execute(tx.conn())
    .await?;
    state(tx, viewer, task_id).await
}

/// Makes these people watchers of the task, unless they unwatched it or are not active members.
/// For the actions that sign people up on their own (creating, assigning, commenting,
/// mentioning), which have already decided that the change is allowed.
pub(crate) async fn auto_watch(
    tx: &mut TenantTx,
    task_id: Uuid,
    people: &[Uuid],
) -> CoreResult<()> {
    if people.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO task_watchers (task_id, user_id)
         SELECT $1, m.user_id FROM members m
          WHERE m.user_id = ANY($2) AND m.active
            AND NOT EXISTS (SELECT 1 FROM task_unwatched u
                             WHERE u.task_id = $1 AND u.user_id = m.user_id)
         ORDER BY m.user_id
         ON CONFLICT DO NOTHING",
    )
    .bind(task_id)
    .bind(people)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Who watches the task (for telling them about a change).
pub(crate) async fn watchers(tx: &mut TenantTx, task_id: Uuid) -> CoreResult<Vec<Uuid>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM task_watchers WHERE task_id = $1")
            .bind(task_id)
            .fetch_all(tx.conn())
            .await?,
    )
}
