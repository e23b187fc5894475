//! Background jobs in PostgreSQL (PRODUCT.md §9): any number of `bastion serve` processes lease
//! jobs from one table, a job whose process died is taken over when its lease expires, and a
//! job never runs in two places at once.
//!
//! A lease is a random token written with the job. Every write a runner makes (progress, done,
//! failed) names its token; once the lease has been taken over the token no longer matches, the
//! write changes nothing and the runner learns it must stop ([`CoreError::Conflict`]).

use serde::Serialize;
use sqlx::{postgres::PgQueryResult, PgPool};
use time::{Duration, OffsetDateTime};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{CoreError, CoreResult, WorkspaceId};

/// How long a lease lasts without renewal. Runners renew it with every progress update, which
/// they send far more often than this.
pub const LEASE: Duration = Duration::minutes(2);
/// Attempts before a job is given up as failed.
pub const MAX_ATTEMPTS: i32 = 3;

/// A job as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub workspace_id: WorkspaceId,
    pub requested_by: Option<Uuid>,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub progress_done: i64,
    pub progress_total: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

pub(crate) const JOB_COLUMNS: &str = "id, kind, workspace_id, requested_by, state, attempts, \
     progress_done, progress_total, created_at, finished_at, expires_at";

/// A job held by this process until its lease runs out.
#[derive(Debug, Clone)]
pub struct Lease {
    pub job: Job,
    token: Uuid,
}

impl Lease {
    pub fn token(&self) -> Uuid {
        self.token
    }
}

/// How a runner is told to wind down when its process shuts down.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    /// Cancelled when shutdown begins: lease no new job, let the running one finish.
    pub draining: CancellationToken,
    /// Cancelled when the grace period runs out: give the running job back with [`release`].
    pub abandon: CancellationToken,
}

/// The queue as the operator's metrics show it: jobs waiting for a runner, and how long the
/// oldest of them has waited (`None` when none waits). A job whose runner died is still
/// `running` until its lease is taken over, so it is not counted here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueDepth {
    pub queued: i64,
    pub oldest_age_secs: Option<f64>,
}

/// One query over the runnable-jobs index (see [`QueueDepth`]).
pub async fn queue_depth(pool: &PgPool) -> CoreResult<QueueDepth> {
    let (queued, oldest_age_secs): (i64, Option<f64>) = sqlx::query_as(
        "SELECT count(*), extract(epoch FROM now() - min(run_after))::float8
         FROM jobs WHERE state = 'queued' AND run_after <= now()",
    )
    .fetch_one(pool)
    .await?;
    Ok(QueueDepth {
        queued,
        oldest_age_secs,
    })
}

/// Queues a job.
pub async fn enqueue(
    pool: &PgPool,
    kind: &str,
    workspace: WorkspaceId,
    requested_by: Option<Uuid>,
) -> CoreResult<Job> {
    Ok(sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO jobs (id, kind, workspace_id, requested_by) VALUES ($1, $2, $3, $4)
         RETURNING {JOB_COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(kind)
    .bind(workspace)
    .bind(requested_by)
    .fetch_one(pool)
    .await?)
}

/// Leases the oldest runnable job of `kind`: a queued one whose `run_after` has come, or a
/// running one whose lease has expired (its process died or hung). `SKIP LOCKED` lets
/// concurrent runners pass over a job another one is leasing at this very moment instead of
/// waiting for it.
pub async fn lease(pool: &PgPool, kind: &str, lease_for: Duration) -> CoreResult<Option<Lease>> {
    let token = Uuid::new_v4();
    let job = sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = $1,
                leased_until = now() + $2
          WHERE id = (
              SELECT id FROM jobs
               WHERE kind = $3
                 AND ((state = 'queued' AND run_after <= now())
                      OR (state = 'running' AND leased_until < now()))
               ORDER BY created_at
               LIMIT 1
               FOR UPDATE SKIP LOCKED)
         RETURNING {JOB_COLUMNS}"
    )))
    .bind(token)
    .bind(lease_for)
    .bind(kind)
    .fetch_optional(pool)
    .await?;
    let Some(job) = job else {
        return Ok(None);
    };
    if job.attempts > MAX_ATTEMPTS {
        fail_for_good(pool, job.id, token, "gave up after repeated interruptions").await?;
        return Ok(None);
    }
    Ok(Some(Lease { job, token }))
}

/// `Conflict` unless an update guarded by the lease token touched the job: a lease taken over by
/// another process (or a deleted job) matches no row.
fn still_leased(updated: PgQueryResult) -> CoreResult<()> {
    if updated.rows_affected() == 1 {
        Ok(())
    } else {
        Err(CoreError::conflict(
            "the job's lease was taken over by another process",
        ))
    }
}

/// Records progress and renews the lease; `Conflict` when the lease is no longer ours (the job
/// was taken over or deleted), in which case the runner must stop.
pub async fn progress(pool: &PgPool, lease: &Lease, done: i64, total: i64) -> CoreResult<()> {
    let updated = sqlx::query(
        "UPDATE jobs SET progress_done = $3, progress_total = $4, leased_until = now() + $5
          WHERE id = $1 AND lease_token = $2 AND state = 'running'",
    )
    .bind(lease.job.id)
    .bind(lease.token)
    .bind(done)
    .bind(total)
    .bind(LEASE)
    .execute(pool)
    .await?;
    still_leased(updated)
}

/// Marks the job done; `expires_at` is when its result is deleted. `Conflict` when the lease is
/// no longer ours.
pub async fn finish(pool: &PgPool, lease: &Lease, expires_at: OffsetDateTime) -> CoreResult<()> {
    let updated = sqlx::query(
        "UPDATE jobs SET state = 'done', finished_at = now(), expires_at = $3, lease_token = NULL,
                leased_until = NULL, progress_done = progress_total, error = NULL
          WHERE id = $1 AND lease_token = $2 AND state = 'running'",
    )
    .bind(lease.job.id)
    .bind(lease.token)
    .bind(expires_at)
    .execute(pool)
    .await?;
    still_leased(updated)
}

/// Removes a job that leaves no result behind (a webhooks pass); `Conflict` when the lease is
/// no longer ours.
pub async fn complete(pool: &PgPool, lease: &Lease) -> CoreResult<()> {
    let deleted = sqlx::query("DELETE FROM jobs WHERE id = $1 AND lease_token = $2")
        .bind(lease.job.id)
        .bind(lease.token)
        .execute(pool)
        .await?;
    still_leased(deleted)
}

/// Gives the job back after a failed attempt: queued again while attempts remain, failed for
/// good after that.
pub async fn retry_or_fail(pool: &PgPool, lease: &Lease, error: &str) -> CoreResult<()> {
    if lease.job.attempts >= MAX_ATTEMPTS {
        return fail_for_good(pool, lease.job.id, lease.token, error).await;
    }
    sqlx::query(
        "UPDATE jobs SET state = 'queued', lease_token = NULL, leased_until = NULL, error = $3
          WHERE id = $1 AND lease_token = $2",
    )
    .bind(lease.job.id)
    .bind(lease.token)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives a job back unfinished because this process is stopping, for another process to take at
/// once rather than when the lease would have expired. The interrupted attempt is not counted: a
/// few restarts during a long export must not fail it. Nothing happens when the lease is no
/// longer ours.
pub async fn release(pool: &PgPool, lease: &Lease) -> CoreResult<()> {
    sqlx::query(
        "UPDATE jobs SET state = 'queued', lease_token = NULL, leased_until = NULL,
                attempts = greatest(attempts - 1, 0)
          WHERE id = $1 AND lease_token = $2 AND state = 'running'",
    )
    .bind(lease.job.id)
    .bind(lease.token)
    .execute(pool)
    .await?;
    Ok(())
}

async fn fail_for_good(pool: &PgPool, id: Uuid, token: Uuid, error: &str) -> CoreResult<()> {
    sqlx::query(
        "UPDATE jobs SET state = 'failed', finished_at = now(), lease_token = NULL,
                leased_until = NULL, error = $3
          WHERE id = $1 AND lease_token = $2",
    )
    .bind(id)
    .bind(token)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// One job of a workspace.
pub async fn get(pool: &PgPool, workspace: WorkspaceId, id: Uuid) -> CoreResult<Option<Job>> {
    Ok(sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND workspace_id = $2"
    )))
    .bind(id)
    .bind(workspace)
    .fetch_optional(pool)
    .await?)
}

/// The newest job of one kind in a workspace, if any.
pub async fn latest(pool: &PgPool, workspace: WorkspaceId, kind: &str) -> CoreResult<Option<Job>> {
    Ok(sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE workspace_id = $1 AND kind = $2
          ORDER BY created_at DESC LIMIT 1"
    )))
    .bind(workspace)
    .bind(kind)
    .fetch_optional(pool)
    .await?)
}

/// Finished jobs whose result has expired at `now`, deleted; returned so the caller removes
/// their results.
pub async fn take_expired(pool: &PgPool, now: OffsetDateTime) -> CoreResult<Vec<Job>> {
    Ok(sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(format!(
        "DELETE FROM jobs WHERE state IN ('done', 'failed')
            AND coalesce(expires_at, finished_at + interval '7 days') <= $1
         RETURNING {JOB_COLUMNS}"
    )))
    .bind(now)
    .fetch_all(pool)
    .await?)
}
