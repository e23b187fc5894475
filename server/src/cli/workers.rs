//! The work every serving process does in the background, besides answering requests.

use std::sync::Arc;

use bastion_core::{
    audit, jobs,
    keys::MasterKeyRing,
    storage::Objects,
    webhooks,
    work::{notification_mail, recurrence},
};

/// The background job runner: every two seconds, deletes expired export archives, finishes
/// interrupted erasure purges, runs queued exports and delivers due webhooks and chat
/// notifications. Every process runs it; leases in PostgreSQL
/// keep a job to one process at a time, and a job whose process died is taken over when its
/// lease expires. Returns once `stop.draining` is cancelled and the running job (if any) has
/// finished, or been released on `stop.abandon`.
pub(super) async fn run_jobs(
    pool: sqlx::PgPool,
    objects: Objects,
    keys: Arc<MasterKeyRing>,
    hooks: webhooks::WebhookSettings,
    link_base: String,
    stop: jobs::Stop,
) {
    while !stop.draining.is_cancelled() {
        match notification_mail::run_pending_until(&pool, &keys, &link_base, &stop).await {
            Ok(report) if report != Default::default() => {
                tracing::info!(?report, "notification emails queued")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "notification emails failed; retrying"),
        }
        match bastion_core::chat::run_pending_until(&pool, &keys, hooks, &link_base, &stop).await {
            Ok(report) if report != Default::default() => {
                tracing::info!(?report, "chat notifications sent")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "chat notifications failed; retrying"),
        }
        match webhooks::delivery::run_pending_until(&pool, &keys, hooks, &stop).await {
            Ok(report) if report != Default::default() => {
                tracing::info!(?report, "webhooks delivered")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook delivery failed; retrying"),
        }
        match bastion_core::exports::run_pending_until(&pool, &objects, &stop).await {
            Ok(report) if report != Default::default() => {
                tracing::info!(?report, "background jobs ran")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "background jobs failed; retrying"),
        }
        tokio::select! {
            () = stop.draining.cancelled() => {}
            () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
        }
    }
}

/// Reminds people of tasks due tomorrow on the Brussels calendar: half a minute after start,
/// then every hour. Idempotent (one reminder per task and due date, recorded with the notices),
/// so several processes may run it at once.
pub(super) async fn remind_due(pool: sqlx::PgPool) {
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    loop {
        match notification_mail::remind_all(&pool, time::OffsetDateTime::now_utc()).await {
            Ok(0) => {}
            Ok(tasks) => tracing::info!(tasks, "due-tomorrow reminders given"),
            Err(e) => {
                tracing::warn!(error = %e, "due-tomorrow reminders failed; retrying in an hour")
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}

/// How often the recurring-task sweep runs. An occurrence is due on a date, so ten minutes late
/// after midnight is on time; debug builds (the browser tests, which move the clock in the
/// database) sweep every five seconds so a test need not wait long, and the other specs' many
/// workspaces are not swept so often that the sweep slows them.
const RECURRENCE_SWEEP: std::time::Duration = if cfg!(debug_assertions) {
    std::time::Duration::from_secs(5)
} else {
    std::time::Duration::from_secs(600)
};

/// Makes the occurrences of recurring tasks whose date has come on the Brussels calendar (by
/// the database's clock): shortly after start, then every [`RECURRENCE_SWEEP`]. Idempotent (an
/// occurrence per task at most, enforced by a unique index), so several processes may run it
/// at once.
pub(super) async fn repeat_tasks(pool: sqlx::PgPool) {
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    loop {
        let made = match recurrence::brussels_today(&pool).await {
            Ok(today) => recurrence::create_due_all(&pool, today).await,
            Err(e) => Err(e),
        };
        match made {
            Ok(0) => {}
            Ok(tasks) => tracing::info!(tasks, "recurring tasks made"),
            Err(e) => tracing::warn!(error = %e, "recurring tasks failed; retrying"),
        }
        tokio::time::sleep(RECURRENCE_SWEEP).await;
    }
}

/// Deletes audit events past their plan's retention, and live events older than a day: a minute
/// after start, then hourly. Several
/// processes may do this at once without harm: purging is idempotent and takes the same
/// per-workspace lock as appending.
pub(super) async fn purge_history(pool: sqlx::PgPool) {
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    loop {
        match audit::purge_all(&pool, time::OffsetDateTime::now_utc()).await {
            Ok(report) if report.deleted > 0 => tracing::info!(
                deleted = report.deleted,
                workspaces = report.workspaces,
                "audit history past retention purged"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "audit history purge failed; retrying in an hour"),
        }
        // Live events are kept a day (`live::RETENTION`): long enough for any reconnect.
        match bastion_core::live::purge_all(&pool, time::OffsetDateTime::now_utc()).await {
            Ok(deleted) if deleted > 0 => tracing::info!(deleted, "old live events purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "live event purge failed; retrying in an hour"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}
