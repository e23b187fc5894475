//! Outgoing webhooks (PRODUCT.md §13), following the Standard Webhooks specification: admins
//! register endpoints, each with its own `whsec_` secret (shown once, stored only as a Fernet
//! token under the workspace's data key, rotatable with both signatures sent for a day), and the
//! workspace's task, comment, time-entry, attachment and member events reach them as thin JSON
//! payloads, signed, from the job queue ([`delivery`]). Deliveries are recorded by triggers in
//! the transaction of the change (tenant migration 0009, functions in control-plane 0015). Where an endpoint may point is
//! [`target`]'s decision.

pub mod delivery;
pub mod target;

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::Serialize;
use sha2::Sha256;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use bastion_policy as policy;

use crate::{
    ensure,
    keys::MasterKeyRing,
    secrets::{self, DataKey, SecretString},
    work::Position,
    Actor, CoreError, CoreResult, TenantTx, Viewer, WorkspaceId,
};
pub use target::WebhookSettings;

/// The refusal of every webhook action to a non-admin, the same through every door.
pub const ADMINS_ONLY: &str = "Only workspace admins manage webhooks.";
/// The event families an endpoint may subscribe to.
pub const EVENT_FAMILIES: [&str; 5] = ["task", "comment", "time_entry", "attachment", "member"];
pub const DESCRIPTION_MAX_CHARS: usize = 500;
/// How long the secret before a rotation keeps signing beside the new one.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);
const SECRET_PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;

/// An endpoint as admins see it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// 1 at creation, one more at every rotation.
    pub secret_version: i32,
    /// While the previous secret still signs too (after a rotation): until when.
    #[serde(with = "time::serde::rfc3339::option")]
    pub previous_secret_expires_at: Option<OffsetDateTime>,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

const ENDPOINT_COLUMNS: &str = "id, url, description, events, enabled, disabled_reason, \
     secret_version, previous_secret_expires_at, created_by, created_at, updated_at";

/// An endpoint with its secret, the one time it is shown (creation, rotation).
#[derive(Debug)]
pub struct WithSecret {
    pub endpoint: Endpoint,
    pub secret: SecretString,
}

/// What an admin asks for at creation.
#[derive(Debug, Clone, Default)]
pub struct NewEndpoint {
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<String>,
}

/// What an update changes; `None` keeps the field.
#[derive(Debug, Clone, Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// One event sent (or to be sent) to one endpoint, with its attempts, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: Uuid,
    /// The `webhook-id` header: the same for every attempt.
    pub event_id: Uuid,
    pub endpoint_id: Uuid,
    pub event_type: String,
    pub payload: String,
    /// `pending`, `delivered`, `failed` (gave up, or the receiver answered 410) or `cancelled`
    /// (its endpoint was disabled first).
    pub status: String,
    pub attempts: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub log: Vec<Attempt>,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    event_id: Uuid,
    endpoint_id: Uuid,
    event_type: String,
    payload: String,
    status: String,
    attempts: i32,
    next_attempt_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
}

const DELIVERY_COLUMNS: &str = "id, event_id, endpoint_id, event_type, payload, status, attempts, \
     next_attempt_at, created_at";

/// One attempt of a delivery, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Attempt {
    pub attempt: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub attempted_at: OffsetDateTime,
    /// The receiver's status; none when no answer came (refused target, timeout, connection).
    pub http_status: Option<i32>,
    pub latency_ms: i32,
    /// The first kilobyte of the answer's body, at most.
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

/// A fresh `whsec_` secret: 32 random bytes (the thread-local CSPRNG, seeded by the operating system), base64.
pub fn generate_secret() -> SecretString {
    let mut bytes = zeroize::Zeroizing::new([0u8; SECRET_BYTES]);
    rand::rng().fill_bytes(bytes.as_mut());
    SecretString::new(format!(
        "{SECRET_PREFIX}{}",
        STANDARD.encode(bytes.as_ref())
    ))
}

/// The Standard Webhooks signature of one message: `v1,` and the base64 HMAC-SHA256, keyed with
/// the secret's decoded bytes, over `id.timestamp.body`.
pub fn sign(secret: &SecretString, msg_id: &str, timestamp: i64, body: &str) -> CoreResult<String> {
    let encoded = secret
        .expose()
        .strip_prefix(SECRET_PREFIX)
        .ok_or_else(|| CoreError::Internal("a webhook secret lacks its whsec_ prefix".into()))?;
    let key = zeroize::Zeroizing::new(
        STANDARD
            .decode(encoded)
            .map_err(|_| CoreError::Internal("a webhook secret is not base64".into()))?,
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

fn parse_description(input: Option<&str>) -> CoreResult<String> {
    let text = input.unwrap_or("").trim();
    if text.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(CoreError::invalid(
            "description",
            format!("must be at most {DESCRIPTION_MAX_CHARS} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "description",
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

fn parse_events(input: &[String]) -> CoreResult<Vec<String>> {
    if input.is_empty() {
        return Err(CoreError::invalid(
            "events",
            format!("must name at least one of {}", EVENT_FAMILIES.join(", ")),
        ));
    }
    let mut events = Vec::new();
    for event in input {
        if !EVENT_FAMILIES.contains(&event.as_str()) {
            return Err(CoreError::invalid(
                "events",
                format!("each must be one of {}", EVENT_FAMILIES.join(", ")),
            ));
        }
        if !events.contains(event) {
            events.push(event.clone());
        }
    }
    Ok(events)
}

/// Opens the transaction of a change that writes a secret, with the data key (see
/// `secrets::begin_with_data_key`), and checks that `user_id` is an active admin: anyone who is
/// not an active member gets `NotFound`, like a workspace that does not exist.
async fn begin_as_admin(
    pool: &PgPool,
    master: &MasterKeyRing,
    workspace: WorkspaceId,
    user_id: Uuid,
) -> CoreResult<(TenantTx, DataKey)> {
    let (mut tx, key) =
        secrets::begin_with_data_key(pool, master, workspace, Actor::User(user_id)).await?;
    let role = crate::accounts::active_role(&mut tx, user_id)
        .await?
        .and_then(|r| policy::Role::parse(&r))
        .ok_or(CoreError::NotFound("workspace"))?;
    ensure(policy::can_manage_webhooks(role), ADMINS_ONLY)?;
    Ok((tx, key))
}

/// Adds an endpoint, committed, and returns it with its secret (the only time it is shown).
/// Admins only; the URL must resolve to addresses the operator allows (`target`).
pub async fn create(
    pool: &PgPool,
    master: &MasterKeyRing,
    settings: WebhookSettings,
    workspace: WorkspaceId,
    user_id: Uuid,
    input: &NewEndpoint,
) -> CoreResult<WithSecret> {
    let (mut tx, key) = begin_as_admin(pool, master, workspace, user_id).await?;
    let description = parse_description(input.description.as_deref())?;
    let events = parse_events(&input.events)?;
    let target = target::resolve(&input.url, settings).await?;
    let secret = generate_secret();
    let endpoint = sqlx::query_as::<_, Endpoint>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_endpoints (id, url, description, events, secret_ciphertext,
                                        created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ENDPOINT_COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(target.url.as_str())
    .bind(&description)
    .bind(&events)
    .bind(key.encrypt_secret(secret.expose()))
    .bind(user_id)
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(WithSecret { endpoint, secret })
}

/// Replaces an endpoint's secret, committed, and returns the new one (shown this once). The old
/// secret keeps signing beside it for [`ROTATION_OVERLAP`], so receivers can switch over.
pub async fn rotate_secret(
    pool: &PgPool,
    master: &MasterKeyRing,
    workspace: WorkspaceId,
    user_id: Uuid,
    id: Uuid,
) -> CoreResult<WithSecret> {
    let (mut tx, key) = begin_as_admin(pool, master, workspace, user_id).await?;
    let secret = generate_secret();
    let endpoint = sqlx::query_as::<_, Endpoint>(sqlx::AssertSqlSafe(format!(
        "UPDATE webhook_endpoints
            SET previous_secret_ciphertext = secret_ciphertext,
                previous_secret_expires_at = now() + $3,
                secret_ciphertext = $2, secret_version = secret_version + 1, updated_at = now()
          WHERE id = $1 RETURNING {ENDPOINT_COLUMNS}"
    )))
    .bind(id)
    .bind(key.encrypt_secret(secret.expose()))
    .bind(ROTATION_OVERLAP)
    .fetch_optional(tx.conn())
    .await?
    .ok_or(CoreError::NotFound("webhook endpoint"))?;
    tx.commit().await?;
    Ok(WithSecret { endpoint, secret })
}

/// The workspace's endpoints, oldest first; admins only.
pub async fn list(tx: &mut TenantTx, viewer: Viewer) -> CoreResult<Vec<Endpoint>> {
    ensure(policy::can_manage_webhooks(viewer.role), ADMINS_ONLY)?;
    Ok(sqlx::query_as::<_, Endpoint>(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"
    )))
    .fetch_all(tx.conn())
    .await?)
}

/// One endpoint; admins only.
pub async fn get(tx: &mut TenantTx, viewer: Viewer, id: Uuid) -> CoreResult<Endpoint> {
    ensure(policy::can_manage_webhooks(viewer.role), ADMINS_ONLY)?;
    find(tx, id).await
}

async fn find(tx: &mut TenantTx, id: Uuid) -> CoreResult<Endpoint> {
    sqlx::query_as::<_, Endpoint>(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or(CoreError::NotFound("webhook endpoint"))
}

/// Changes an endpoint's URL, description, events or state; admins only. Enabling clears the
/// reason it was disabled; an admin disabling it is the reason.
pub async fn update(
    tx: &mut TenantTx,
    viewer: Viewer,
    settings: WebhookSettings,
    id: Uuid,
    changes: &EndpointChanges,
) -> CoreResult<Endpoint> {
    ensure(policy::can_manage_webhooks(viewer.role), ADMINS_ONLY)?;
    let current = find(tx, id).await?;
    let url = match &changes.url {
        Some(url) => target::resolve(url, settings).await?.url.to_string(),
        None => current.url,
    };
    let description = match &changes.description {
        Some(d) => parse_description(Some(d))?,
        None => current.description,
    };
    let events = match &changes.events {
        Some(e) => parse_events(e)?,
        None => current.events,
    };
    let (enabled, reason) = match changes.enabled {
        Some(true) => (true, None),
        Some(false) if current.enabled => (false, Some("Disabled by an admin.".to_owned())),
        _ => (current.enabled, current.disabled_reason),
    };
    let endpoint = sqlx::query_as::<_, Endpoint>(sqlx::AssertSqlSafe(format!(
        "UPDATE webhook_endpoints
            SET url = $2, description = $3, events = $4, enabled = $5, disabled_reason = $6,
                updated_at = now()
          WHERE id = $1 RETURNING {ENDPOINT_COLUMNS}"
    )))
    .bind(id)
    .bind(&url)
    .bind(&description)
    .bind(&events)
    .bind(enabled)
    .bind(&reason)
    .fetch_one(tx.conn())
    .await?;
    if !enabled {
        cancel_pending(tx, id).await?;
    }
    Ok(endpoint)
}

/// Deliveries of a disabled endpoint that were still waiting are not sent.
async fn cancel_pending(tx: &mut TenantTx, endpoint: Uuid) -> CoreResult<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL
          WHERE endpoint_id = $1 AND status = 'pending'",
    )
    .bind(endpoint)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Deletes an endpoint with its secrets and its delivery log; admins only.
pub async fn delete(tx: &mut TenantTx, viewer: Viewer, id: Uuid) -> CoreResult<()> {
    ensure(policy::can_manage_webhooks(viewer.role), ADMINS_ONLY)?;
    let deleted = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(CoreError::NotFound("webhook endpoint"));
    }
    Ok(())
}

/// An endpoint's deliveries, newest first, each with its attempts; `after` is the last
/// position of the previous page. Admins only.
pub async fn deliveries(
    tx: &mut TenantTx,
    viewer: Viewer,
    endpoint: Uuid,
    after: Option<Position>,
    limit: i64,
) -> CoreResult<Vec<Delivery>> {
    ensure(policy::can_manage_webhooks(viewer.role), ADMINS_ONLY)?;
    find(tx, endpoint).await?;
    let rows = sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
          WHERE endpoint_id = $1
            AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
          ORDER BY created_at DESC, id DESC LIMIT $4"
    )))
    .bind(endpoint)
    .bind(after.map(|p| p.created_at))
    .bind(after.map(|p| p.id).unwrap_or_else(Uuid::nil))
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let attempts: Vec<(Uuid, Attempt)> = sqlx::query_as::<
        _,
        (
            Uuid,
            i32,
            OffsetDateTime,
            Option<i32>,
            i32,
            Option<String>,
            Option<String>,
        ),
    >(
        "SELECT delivery_id, attempt, attempted_at, http_status, latency_ms, response_excerpt,
                error
           FROM webhook_attempts WHERE delivery_id = ANY ($1) ORDER BY id DESC",
    )
    .bind(&ids)
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(
        |(delivery, attempt, attempted_at, http_status, latency_ms, response_excerpt, error)| {
            (
                delivery,
                Attempt {
                    attempt,
                    attempted_at,
                    http_status,
                    latency_ms,
                    response_excerpt,
                    error,
                },
            )
        },
    )
    .collect();
    Ok(rows
        .into_iter()
        .map(|row| delivery_with_log(row, &attempts))
        .collect())
}

fn delivery_with_log(row: DeliveryRow, attempts: &[(Uuid, Attempt)]) -> Delivery {
    Delivery {
        log: attempts
            .iter()
            .filter(|(d, _)| *d == row.id)
            .map(|(_, a)| a.clone())
            .collect(),
        id: row.id,
        event_id: row.event_id,
        endpoint_id: row.endpoint_id,
        event_type: row.event_type,
        payload: row.payload,
        status: row.status,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        created_at: row.created_at,
    }
}

/// Sends a delivery's event again, as a new delivery with the same `webhook-id` and body (so a
/// receiver that keeps ids can tell it is the same event), due at once. The endpoint must be
/// enabled. Admins only.
pub async fn send_again(
    tx: &mut TenantTx,
    viewer: Viewer,
    endpoint: Uuid,
    delivery: Uuid,
) -> CoreResult<Delivery> {
    ensure(policy::can_manage_webhooks(viewer.role), ADMINS_ONLY)?;
    let current = find(tx, endpoint).await?;
    let exists: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2")
            .bind(delivery)
            .bind(endpoint)
            .fetch_optional(tx.conn())
            .await?;
    exists.ok_or(CoreError::NotFound("webhook delivery"))?;
    if !current.enabled {
        return Err(CoreError::conflict(
            "the endpoint is disabled; enable it before sending again",
        ));
    }
    let row = sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, event_type, payload,
                                         next_attempt_at)
         SELECT $2, event_id, endpoint_id, event_type, payload, now()
           FROM webhook_deliveries WHERE id = $1
         RETURNING {DELIVERY_COLUMNS}"
    )))
    .bind(delivery)
    .bind(Uuid::new_v4())
    .fetch_one(tx.conn())
    .await?;
    Ok(delivery_with_log(row, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_signatures_follow_the_standard() {
        let secret = generate_secret();
        let encoded = secret.expose().strip_prefix("whsec_").unwrap();
        assert_eq!(STANDARD.decode(encoded).unwrap().len(), 32);
        assert_ne!(generate_secret().expose(), secret.expose());
        // The Standard Webhooks reference vector.
        let secret = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn input_is_checked_with_the_field_named() {
        assert_eq!(
            parse_events(&["task".into(), "member".into(), "task".into()]).unwrap(),
            vec!["task", "member"]
        );
        for bad in [vec![], vec!["tasks".to_owned()]] {
            let err = parse_events(&bad).unwrap_err().to_string();
            assert!(err.starts_with("events: "), "{err}");
        }
        assert_eq!(parse_description(Some("  CI ")).unwrap(), "CI");
        assert!(parse_description(Some(&"x".repeat(501))).is_err());
        assert!(parse_description(Some("a\u{0}b"))
            .unwrap_err()
            .to_string()
            .starts_with("description: "));
    }
}
