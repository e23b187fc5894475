//! Outgoing webhooks against a real receiver: an HTTP server this test starts on 127.0.0.1
//! (so the app runs with BASTION_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true), which checks every
//! delivery's signature with the published algorithm, computed here independently of the
//! server's code. The retry schedule is compressed by handing the delivery pass a clock set to
//! each delivery's next attempt, never by sleeping.

mod common;

use std::sync::{Arc, Mutex};

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
    Router,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use bastion_core::{
    jobs,
    webhooks::{self, delivery, WebhookSettings},
    workspaces,
};
use common::{spawn_app, spawn_app_with, Cast, TestApp};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::{format_description::well_known::Rfc3339, Duration, OffsetDateTime};

/// HMAC-SHA256 (RFC 2104) written out, so the check does not share the server's code.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// Whether `header` holds a `v1` signature of this message under `secret` (`whsec_…`).
fn signed_by(secret: &str, id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .unwrap();
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    let expected = format!("v1,{}", STANDARD.encode(hmac_sha256(&key, &message)));
    header.split(' ').any(|s| s == expected)
}

#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    /// What to answer: status, an optional Retry-After, the body.
    answer: Arc<Mutex<(u16, Option<String>, String)>>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        *receiver.answer.lock().unwrap() = (200, None, "ok".into());
        let state = receiver.clone();
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .map(|v| v.to_str().unwrap().to_owned())
                            .unwrap_or_default()
                    };
                    state.got.lock().unwrap().push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: body.to_vec(),
                    });
                    let (status, retry_after, text) = state.answer.lock().unwrap().clone();
                    let mut response =
                        (StatusCode::from_u16(status).unwrap(), text).into_response();
                    if let Some(after) = retry_after {
                        response
                            .headers_mut()
                            .insert("retry-after", after.parse().unwrap());
                    }
                    response
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn answer(&self, status: u16, retry_after: Option<&str>, body: &str) {
        *self.answer.lock().unwrap() = (status, retry_after.map(Into::into), body.into());
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// A `task.updated` naming `title` among the changed fields (and no values).
fn renamed(r: &Received) -> bool {
    let payload = r.json();
    payload["type"] == "task.updated"
        && payload["data"]["fields"]
            .as_array()
            .is_some_and(|f| f.contains(&json!("title")))
        && !r.body.windows(4).any(|w| w == b"Ship")
}

const OPEN: WebhookSettings = WebhookSettings {
    allow_private_targets: true,
};

async fn workspace_id(app: &TestApp, cast: &Cast) -> bastion_core::WorkspaceId {
    workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn deliveries(app: &TestApp, cast: &Cast, endpoint: &str) -> Vec<Value> {
    let answer = app
        .get_as(
            &cast.admin,
            &cast.api(&format!("/webhooks/{endpoint}/deliveries")),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()["items"].as_array().unwrap().clone()
}

fn at(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

async fn new_task(app: &TestApp, cast: &Cast) -> String {
    let project = app
        .post_as(
            &cast.admin,
            &cast.api("/projects"),
            json!({"name": "Hooks"}),
        )
        .await;
    assert_eq!(project.status, StatusCode::CREATED, "{}", project.body);
    let task = app
        .post_as(
            &cast.admin,
            &cast.api("/tasks"),
            json!({"project_id": project.json()["id"], "title": "Ship it"}),
        )
        .await;
    assert_eq!(task.status, StatusCode::CREATED, "{}", task.body);
    task.json()["id"].as_str().unwrap().to_owned()
}

async fn rename(app: &TestApp, cast: &Cast, task: &str, title: &str) {
    let answer = app
        .patch_as(
            &cast.admin,
            &cast.api(&format!("/tasks/{task}")),
            json!({"title": title}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn deliveries_are_signed_retried_on_schedule_and_stop_at_410() {
    let app = spawn_app_with(&[("BASTION_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")]).await;
    let cast = Cast::new(&app).await;
    let pool = &app.db.pool;
    let keys = bastion_core::testing::master_keys();
    let ws = workspace_id(&app, &cast).await;
    let (receiver, url) = Receiver::start().await;

    let created = app
        .post_as(
            &cast.admin,
            &cast.api("/webhooks"),
            json!({"url": url, "events": ["task"], "description": "CI"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let secret = created.json()["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let endpoint = created.json()["id"].as_str().unwrap().to_owned();
    let listed = app.get_as(&cast.admin, &cast.api("/webhooks")).await;
    assert!(!listed.body.contains(&secret) && !listed.body.contains("secret\""));

    // The first attempt goes out through the job queue, as `serve`'s runner sends it.
    let task = new_task(&app, &cast).await;
    let report = delivery::run_pending_until(pool, keys, OPEN, &jobs::Stop::default())
        .await
        .unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let first = &got[0];
    assert!(signed_by(
        &secret,
        &first.id,
        &first.timestamp,
        &first.body,
        &first.signature
    ));
    assert!(!signed_by(
        &secret,
        &first.id,
        "1",
        &first.body,
        &first.signature
    ));
    let payload = first.json();
    assert_eq!(payload["type"], "task.created");
    assert_eq!(payload["data"]["task_id"], task.as_str());
    assert_eq!(payload["data"]["workspace"], cast.slug.as_str());
    assert!(
        payload["data"].get("title").is_none(),
        "thin payloads: {payload}"
    );

    // Answering 500: the schedule, attempt after attempt, then failure.
    receiver.answer(500, None, &"x".repeat(3000));
    rename(&app, &cast, &task, "Ship it today").await;
    delivery::deliver_due(pool, keys, OPEN, ws, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let schedule = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];
    for expected in &schedule[1..] {
        let current = deliveries(&app, &cast, &endpoint).await[0].clone();
        assert_eq!(current["status"], "pending", "{current}");
        let last = at(&current["log"][0]["attempted_at"]);
        let next = at(&current["next_attempt_at"]);
        let waited = (next - last).as_seconds_f64();
        let expected = *expected as f64;
        assert!(
            waited >= expected * 0.9 - 0.001 && waited <= expected * 1.1 + 0.001,
            "waited {waited} s for a {expected} s step"
        );
        // Not a moment early.
        let early = delivery::deliver_due(pool, keys, OPEN, ws, next - Duration::milliseconds(5))
            .await
            .unwrap();
        assert_eq!(early.attempts, 0);
        delivery::deliver_due(pool, keys, OPEN, ws, next)
            .await
            .unwrap();
    }
    let failed = deliveries(&app, &cast, &endpoint).await[0].clone();
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["attempts"], 8);
    assert!(failed["next_attempt_at"].is_null());
    let log = failed["log"].as_array().unwrap();
    assert_eq!(log.len(), 8);
    assert_eq!(log[0]["http_status"], 500);
    assert_eq!(log[0]["response_excerpt"].as_str().unwrap().len(), 1024);
    let retries: Vec<Received> = receiver.received()[1..].to_vec();
    assert_eq!(retries.len(), 8);
    for r in &retries {
        assert_eq!(r.id, retries[0].id, "one webhook-id for every attempt");
        assert!(signed_by(
            &secret,
            &r.id,
            &r.timestamp,
            &r.body,
            &r.signature
        ));
        assert_eq!(r.json()["type"], "task.updated");
        assert!(renamed(r), "{:?}", r.json());
    }

    // Retry-After is honoured when later than the schedule.
    receiver.answer(503, Some("3600"), "busy");
    rename(&app, &cast, &task, "Ship it tomorrow").await;
    delivery::deliver_due(pool, keys, OPEN, ws, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let busy = deliveries(&app, &cast, &endpoint).await[0].clone();
    let waited = at(&busy["next_attempt_at"]) - at(&busy["log"][0]["attempted_at"]);
    assert_eq!(waited, Duration::hours(1), "{busy}");

    // Send again: the delivered first event, same id and body, signed again.
    let all = deliveries(&app, &cast, &endpoint).await;
    let delivered = all.iter().find(|d| d["status"] == "delivered").unwrap();
    receiver.answer(200, None, "ok");
    let again = app
        .post_as(
            &cast.admin,
            &cast.api(&format!(
                "/webhooks/{endpoint}/deliveries/{}/send-again",
                delivered["id"].as_str().unwrap()
            )),
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    let before = receiver.received().len();
    delivery::deliver_due(pool, keys, OPEN, ws, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let resent = receiver.received()[before..]
        .iter()
        .find(|r| r.id == first.id)
        .cloned()
        .expect("the event sent again");
    assert_eq!(resent.body, first.body);

    // Rotation: both secrets sign for a day.
    let rotated = app
        .post_as(
            &cast.admin,
            &cast.api(&format!("/webhooks/{endpoint}/rotate-secret")),
            json!({}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_secret = rotated.json()["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(rotated.json()["secret_version"], 2);
    rename(&app, &cast, &task, "Ship it now").await;
    let before = receiver.received().len();
    delivery::deliver_due(pool, keys, OPEN, ws, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let signed = receiver.received()[before..].to_vec();
    let r = signed
        .iter()
        .find(|r| renamed(r))
        .expect("the rename after rotation");
    assert_eq!(r.signature.split(' ').count(), 2, "{}", r.signature);
    assert!(signed_by(
        &new_secret,
        &r.id,
        &r.timestamp,
        &r.body,
        &r.signature
    ));
    assert!(signed_by(
        &secret,
        &r.id,
        &r.timestamp,
        &r.body,
        &r.signature
    ));

    // 410: the endpoint is disabled with a reason, and later events are not sent to it.
    receiver.answer(410, None, "gone");
    rename(&app, &cast, &task, "Gone").await;
    let report = delivery::deliver_due(pool, keys, OPEN, ws, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(report.endpoints_disabled, 1, "{report:?}");
    let state = app
        .get_as(&cast.admin, &cast.api(&format!("/webhooks/{endpoint}")))
        .await
        .json();
    assert_eq!(state["enabled"], false);
    assert!(state["disabled_reason"].as_str().unwrap().contains("410"));
    // The one still waiting for its Retry-After is cancelled.
    let all = deliveries(&app, &cast, &endpoint).await;
    assert!(all.iter().all(|d| d["status"] != "pending"), "{all:?}");
    let count = all.len();
    rename(&app, &cast, &task, "Still gone").await;
    assert_eq!(deliveries(&app, &cast, &endpoint).await.len(), count);
    let before = receiver.received().len();
    delivery::deliver_due(
        pool,
        keys,
        OPEN,
        ws,
        OffsetDateTime::now_utc() + Duration::days(1),
    )
    .await
    .unwrap();
    assert_eq!(receiver.received().len(), before);

    // History: created, rotated (its version, never a secret), disabled.
    let audit = app
        .get_as(&cast.admin, &cast.api("/audit?entity=webhook_endpoint"))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    let events = audit.json()["items"].as_array().unwrap().clone();
    assert!(events.len() >= 3, "{events:?}");
    assert!(!audit.body.contains("whsec_") && !audit.body.contains("gAAAAA"));

    // A data-key rotation re-encrypts both secrets (and skips an endpoint that has no previous
    // one); deliveries still sign with the same secret afterwards.
    let unrotated = app
        .post_as(
            &cast.admin,
            &cast.api("/webhooks"),
            json!({"url": url, "events": ["member"]}),
        )
        .await;
    assert_eq!(unrotated.status, StatusCode::CREATED, "{}", unrotated.body);
    let report =
        bastion_core::secrets::rotate_data_keys(
            pool,
            keys,
            |_| std::ops::ControlFlow::Continue(()),
        )
        .await
        .unwrap();
    assert!(report.secrets_reencrypted >= 3, "{report:?}");
    let enabled = app
        .patch_as(
            &cast.admin,
            &cast.api(&format!("/webhooks/{endpoint}")),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.body);
    assert!(enabled.json()["disabled_reason"].is_null());
    receiver.answer(204, None, "");
    rename(&app, &cast, &task, "Back").await;
    let before = receiver.received().len();
    delivery::deliver_due(pool, keys, OPEN, ws, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let r = receiver.received()[before..]
        .iter()
        .find(|r| renamed(r))
        .cloned()
        .expect("delivered after the data-key rotation");
    assert!(signed_by(
        &new_secret,
        &r.id,
        &r.timestamp,
        &r.body,
        &r.signature
    ));

    // A dump of the whole database holds neither secret in any form: not `whsec_…`, not its
    // base64 part, not the key bytes in hex or base64url, and no `whsec_` at all.
    let dump = app.db.pg_dump();
    assert!(
        dump.contains("webhook_endpoints"),
        "the dump covers the workspace"
    );
    if let Some(at) = dump.find("whsec_") {
        panic!(
            "whsec_ in the dump: {}",
            &dump[at.saturating_sub(300)..at + 100]
        );
    }
    for s in [&secret, &new_secret] {
        let encoded = s.strip_prefix("whsec_").unwrap();
        let bytes = STANDARD.decode(encoded).unwrap();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        for form in [encoded, &hex, &url_safe, &encoded[..16]] {
            assert!(!dump.contains(form), "a secret leaks into the dump");
        }
    }
}

#[tokio::test]
async fn private_targets_are_refused_without_the_operator_setting() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    for url in [
        "http://127.0.0.1/hook",
        "http://10.0.0.1/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8080/hook",
    ] {
        let answer = app
            .post_as(
                &cast.admin,
                &cast.api("/webhooks"),
                json!({"url": url, "events": ["task"]}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert_eq!(answer.json()["error"]["field"], "url", "{}", answer.body);
    }
    // Checked again at delivery: an endpoint saved while private targets were allowed gets
    // nothing once they are not.
    let (receiver, url) = Receiver::start().await;
    let ws = workspace_id(&app, &cast).await;
    let created = webhooks::create(
        &app.db.pool,
        bastion_core::testing::master_keys(),
        OPEN,
        ws,
        cast.admin_id,
        &webhooks::NewEndpoint {
            url,
            description: None,
            events: vec!["task".into()],
        },
    )
    .await
    .unwrap();
    new_task(&app, &cast).await;
    let keys = bastion_core::testing::master_keys();
    let report = delivery::deliver_due(
        &app.db.pool,
        keys,
        WebhookSettings::default(),
        ws,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    assert_eq!(report.retrying, 1, "{report:?}");
    assert!(receiver.received().is_empty());
    let log = deliveries(&app, &cast, &created.endpoint.id.to_string()).await;
    let error = log[0]["log"][0]["error"].as_str().unwrap();
    assert!(
        error.starts_with("target refused: url: points to a loopback"),
        "{error}"
    );
}
