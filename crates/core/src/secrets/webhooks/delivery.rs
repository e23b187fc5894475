//! Delivering webhooks from the job queue. The tenant trigger that records a delivery queues the
//! workspace's `webhooks` job; a runner leases it, sends every delivery that is due (claimed
//! row by row, so two runners never send the same one), records each attempt, and queues the
//! job again for the earliest retry. Retries follow the Standard Webhooks schedule with ±10 %
//! jitter, later when the receiver's `Retry-After` asks.

use std::time::Instant;

use futures::StreamExt;
use rand::Rng;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{sign, target, WebhookSettings};
use crate::{
    jobs, keys::MasterKeyRing, secrets, Actor, CoreError, CoreResult, TenantSchema, TenantTx,
    WorkspaceId,
};

/// The job kind in `public.jobs`.
pub const KIND: &str = "webhooks";
/// When each attempt is made, counted from the previous one: the first at once, then 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h and 10 h (about 28 hours in all). After the last, the delivery fails.
pub const SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::seconds(5),
    Duration::minutes(5),
    Duration::minutes(30),
    Duration::hours(2),
    Duration::hours(5),
    Duration::hours(10),
    Duration::hours(10),
];
/// The whole request, connection to last byte read.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);
/// A `Retry-After` longer than this is shortened to it.
pub const RETRY_AFTER_MAX: Duration = Duration::hours(24);
/// How much of an answer's body the log keeps.
pub const EXCERPT_BYTES: usize = 1024;
/// Finished deliveries (and their attempts) are kept this long.
pub const KEEP_FINISHED: Duration = Duration::days(30);
const BATCH: i64 = 50;
const PARALLEL: usize = 8;
/// A claimed delivery is the claimer's until then (longer than one batch takes).
const CLAIM: Duration = Duration::minutes(3);

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub attempts: usize,
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
    pub endpoints_disabled: usize,
}

impl PassReport {
    fn add(&mut self, other: PassReport) {
        self.attempts += other.attempts;
        self.delivered += other.delivered;
        self.retrying += other.retrying;
        self.failed += other.failed;
        self.endpoints_disabled += other.endpoints_disabled;
    }
}

/// When to try again after `attempts_made` attempts, or `None` to give up. `jitter` is a factor
/// near 1; a `Retry-After` later than the schedule wins (up to [`RETRY_AFTER_MAX`]).
pub fn next_delay(
    attempts_made: i32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Option<Duration> {
    let scheduled = *SCHEDULE.get(usize::try_from(attempts_made).ok()?)?;
    let scheduled = scheduled * jitter;
    Some(match retry_after {
        Some(asked) => scheduled.max(asked.min(RETRY_AFTER_MAX)),
        None => scheduled,
    })
}

/// The background runner's pass: leases `webhooks` jobs until none is due, and delivers each
/// workspace's due deliveries. Stops leasing once `stop.draining` is cancelled; on
/// `stop.abandon` gives the running job back.
pub async fn run_pending_until(
    pool: &PgPool,
    master: &MasterKeyRing,
    settings: WebhookSettings,
    stop: &jobs::Stop,
) -> CoreResult<PassReport> {
    let mut report = PassReport::default();
    while !stop.draining.is_cancelled() {
        let Some(lease) = jobs::lease(pool, KIND, jobs::LEASE).await? else {
            break;
        };
        let workspace = lease.job.workspace_id;
        let outcome = tokio::select! {
            outcome = deliver(pool, master, settings, workspace, OffsetDateTime::now_utc(), Some(&lease)) => outcome,
            () = stop.abandon.cancelled() => {
                jobs::release(pool, &lease).await?;
                break;
            }
        };
        match outcome {
            Ok(pass) => {
                report.add(pass);
                jobs::complete(pool, &lease).await?;
            }
            Err(CoreError::Conflict { message, .. }) => {
                tracing::warn!(job = %lease.job.id, %message, "webhook job abandoned");
            }
            Err(e) => {
                tracing::warn!(job = %lease.job.id, error = %e, "webhook delivery pass failed");
                jobs::retry_or_fail(pool, &lease, &e.to_string()).await?;
            }
        }
    }
    Ok(report)
}

/// Sends the workspace's deliveries due at `now`, records every attempt, and queues the
/// workspace's job for the next one due. `now` is a parameter so that tests can compress the
/// schedule; the signed `webhook-timestamp` is always the real time of sending.
pub async fn deliver_due(
    pool: &PgPool,
    master: &MasterKeyRing,
    settings: WebhookSettings,
    workspace: WorkspaceId,
    now: OffsetDateTime,
) -> CoreResult<PassReport> {
    deliver(pool, master, settings, workspace, now, None).await
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: Uuid,
    event_id: Uuid,
    payload: String,
    attempts: i32,
    endpoint_id: Uuid,
    url: String,
    secret: String,
    previous: Option<String>,
    previous_until: Option<OffsetDateTime>,
}

struct Claimed {
    id: Uuid,
    event_id: Uuid,
    payload: String,
    attempts: i32,
    endpoint_id: Uuid,
    url: String,
    secret: secrets::SecretString,
    previous: Option<secrets::SecretString>,
}

struct Outcome {
    http_status: Option<u16>,
    retry_after: Option<Duration>,
    latency_ms: i32,
    excerpt: Option<String>,
    error: Option<String>,
}

async fn deliver(
    pool: &PgPool,
    master: &MasterKeyRing,
    settings: WebhookSettings,
    workspace: WorkspaceId,
    now: OffsetDateTime,
    lease: Option<&jobs::Lease>,
) -> CoreResult<PassReport> {
    let schema = TenantSchema::for_workspace(workspace);
    let key = secrets::data_key(pool, master, workspace).await?;
    let mut report = PassReport::default();
    loop {
        let mut tx = TenantTx::begin(pool, &schema, Actor::System).await?;
        let rows: Vec<ClaimRow> = sqlx::query_as(
            "WITH due AS (
                     SELECT d.id FROM webhook_deliveries d
                      WHERE d.status = 'pending' AND d.next_attempt_at <= $1
                        AND (d.claimed_until IS NULL OR d.claimed_until <= $1)
                      ORDER BY d.next_attempt_at LIMIT $2
                      FOR UPDATE SKIP LOCKED)
                 UPDATE webhook_deliveries d SET claimed_until = $1 + $3
                   FROM due, webhook_endpoints e
                  WHERE d.id = due.id AND e.id = d.endpoint_id
                 RETURNING d.id, d.event_id, d.payload, d.attempts, e.id AS endpoint_id, e.url,
                           e.secret_ciphertext AS secret,
                           e.previous_secret_ciphertext AS previous,
                           e.previous_secret_expires_at AS previous_until",
        )
        .bind(now)
        .bind(BATCH)
        .bind(CLAIM)
        .fetch_all(tx.conn())
        .await?;
        tx.commit().await?;
        if rows.is_empty() {
            break;
        }
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let previous = match (row.previous, row.previous_until) {
                (Some(p), Some(until)) if until > OffsetDateTime::now_utc() => {
                    Some(key.decrypt_secret(&p)?)
                }
                _ => None,
            };
            claimed.push(Claimed {
                id: row.id,
                event_id: row.event_id,
                payload: row.payload,
                attempts: row.attempts,
                endpoint_id: row.endpoint_id,
                url: row.url,
                secret: key.decrypt_secret(&row.secret)?,
                previous,
            });
        }
        let sent: Vec<(Claimed, Outcome)> = futures::stream::iter(claimed)
            .map(|c| async move {
                let outcome = send(settings, &c).await;
                (c, outcome)
            })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for (claimed, outcome) in sent {
            report.add(record(pool, &schema, now, &claimed, &outcome).await?);
        }
        if let Some(lease) = lease {
            jobs::progress(pool, lease, report.attempts as i64, report.attempts as i64).await?;
        }
    }
    let mut tx = TenantTx::begin(pool, &schema, Actor::System).await?;
    sqlx::query(
        "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1 - $2",
    )
    .bind(now)
    .bind(KEEP_FINISHED)
    .execute(tx.conn())
    .await?;
    // A delivery claimed by a runner that died waits for its claim to lapse.
    let next: Option<OffsetDateTime> = sqlx::query_scalar(
        "SELECT min(greatest(next_attempt_at, coalesce(claimed_until, next_attempt_at)))
           FROM webhook_deliveries WHERE status = 'pending'",
    )
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    if let Some(at) = next {
        schedule(pool, workspace, at).await?;
    }
    Ok(report)
}

/// Queues the workspace's webhooks job for `at`, or earlier if one already waits for earlier.
pub async fn schedule(pool: &PgPool, workspace: WorkspaceId, at: OffsetDateTime) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO jobs AS j (id, kind, workspace_id, run_after) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id) WHERE kind = 'webhooks' AND state = 'queued'
         DO UPDATE SET run_after = least(j.run_after, excluded.run_after)",
    )
    .bind(Uuid::new_v4())
    .bind(KIND)
    .bind(workspace)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(())
}

/// One attempt: the target checked and resolved again (and pinned), the message signed with the
/// current secret and, during a rotation, the previous one.
async fn send(settings: WebhookSettings, claimed: &Claimed) -> Outcome {
    let started = Instant::now();
    let failed = |error: String| Outcome {
        http_status: None,
        retry_after: None,
        latency_ms: elapsed_ms(started),
        excerpt: None,
        error: Some(truncate(&error, 500)),
    };
    let target = match target::resolve(&claimed.url, settings).await {
        Ok(target) => target,
        Err(e) => return failed(format!("target refused: {e}")),
    };
    let client = match target.client(
        TIMEOUT,
        concat!("Bastion-Webhooks/", env!("CARGO_PKG_VERSION")),
    ) {
        Ok(client) => client,
        Err(e) => return failed(format!("client: {e}")),
    };
    let msg_id = claimed.event_id.to_string();
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let mut signatures = Vec::with_capacity(2);
    for secret in std::iter::once(&claimed.secret).chain(claimed.previous.as_ref()) {
        match sign(secret, &msg_id, timestamp, &claimed.payload) {
            Ok(signature) => signatures.push(signature),
            Err(e) => return failed(e.to_string()),
        }
    }
    let request = client
        .post(target.url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures.join(" "))
        .body(claimed.payload.clone());
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(e) if e.is_timeout() => return failed("timed out after 15 s".into()),
        Err(e) => return failed(format!("request failed: {}", error_chain(&e))),
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let mut body = Vec::new();
    let mut error = None;
    while body.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => {
                error = Some(format!("reading the answer: {}", error_chain(&e)));
                break;
            }
        }
    }
    body.truncate(EXCERPT_BYTES);
    let excerpt = truncate(&String::from_utf8_lossy(&body), EXCERPT_BYTES);
    Outcome {
        http_status: Some(status),
        retry_after,
        latency_ms: elapsed_ms(started),
        excerpt: (!excerpt.is_empty()).then_some(excerpt),
        error,
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn elapsed_ms(started: Instant) -> i32 {
    i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX)
}

/// At most `max` bytes, cut at a character boundary.
fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// `Retry-After` as delay-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u32>() {
        return Some(Duration::seconds(secs.into()));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let wait = at.duration_since(std::time::SystemTime::now()).ok()?;
    Duration::try_from(wait).ok()
}

/// Writes the attempt to the log and decides what follows: delivered (2xx), the endpoint
/// disabled (410), or a retry on the schedule (anything else), or failure when it runs out.
async fn record(
    pool: &PgPool,
    schema: &TenantSchema,
    now: OffsetDateTime,
    claimed: &Claimed,
    outcome: &Outcome,
) -> CoreResult<PassReport> {
    let attempt = claimed.attempts + 1;
    let mut report = PassReport {
        attempts: 1,
        ..PassReport::default()
    };
    let (status, next) = match outcome.http_status {
        Some(200..=299) => {
            report.delivered = 1;
            ("delivered", None)
        }
        Some(410) => {
            report.failed = 1;
            report.endpoints_disabled = 1;
            ("failed", None)
        }
        _ => {
            let jitter = rand::rng().random_range(0.9..1.1);
            match next_delay(attempt, outcome.retry_after, jitter) {
                Some(delay) => {
                    report.retrying = 1;
                    ("pending", Some(now + delay))
                }
                None => {
                    report.failed = 1;
                    ("failed", None)
                }
            }
        }
    };
    let mut tx = TenantTx::begin(pool, schema, Actor::System).await?;
    sqlx::query(
        "INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, http_status,
                                       latency_ms, response_excerpt, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(claimed.id)
    .bind(attempt)
    .bind(now)
    .bind(outcome.http_status.map(i32::from))
    .bind(outcome.latency_ms)
    .bind(&outcome.excerpt)
    .bind(&outcome.error)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "UPDATE webhook_deliveries
            SET attempts = $2, last_attempt_at = $3, claimed_until = NULL, status = $4,
                next_attempt_at = $5
          WHERE id = $1",
    )
    .bind(claimed.id)
    .bind(attempt)
    .bind(now)
    .bind(status)
    .bind(next)
    .execute(tx.conn())
    .await?;
    if outcome.http_status == Some(410) {
        let reason = format!(
            "The receiver answered 410 Gone on {}; Bastion stopped sending.",
            now.date()
        );
        sqlx::query(
            "UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now()
              WHERE id = $1 AND enabled",
        )
        .bind(claimed.endpoint_id)
        .bind(reason)
        .execute(tx.conn())
        .await?;
        super::cancel_pending(&mut tx, claimed.endpoint_id).await?;
    }
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_runs_out_after_eight_attempts_and_honours_retry_after() {
        assert_eq!(next_delay(1, None, 1.0), Some(Duration::seconds(5)));
        assert_eq!(next_delay(2, None, 1.0), Some(Duration::minutes(5)));
        assert_eq!(next_delay(7, None, 1.0), Some(Duration::hours(10)));
        assert_eq!(next_delay(8, None, 1.0), None);
        assert_eq!(next_delay(1, None, 1.1), Some(Duration::milliseconds(5500)));
        assert_eq!(
            next_delay(1, Some(Duration::minutes(1)), 1.0),
            Some(Duration::minutes(1))
        );
        // A shorter Retry-After does not hurry the schedule; a huge one is capped.
        assert_eq!(
            next_delay(3, Some(Duration::seconds(1)), 1.0),
            Some(Duration::minutes(30))
        );
        assert_eq!(
            next_delay(1, Some(Duration::days(30)), 1.0),
            Some(RETRY_AFTER_MAX)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::seconds(120)));
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        let parsed = parse_retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(parsed > Duration::minutes(59) && parsed <= Duration::hours(1));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(truncate("ééé", 5), "éé");
    }
}
