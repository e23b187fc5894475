//! Chat notifications against a real receiver: an HTTP server this test starts on 127.0.0.1
//! that plays Slack's and Teams' incoming webhooks and a Matrix homeserver, and records every
//! message. The schedule of retries is compressed by handing the pass a clock, never by
//! sleeping.

mod common;

use std::sync::{Arc, Mutex};

use axum::{
    body::Bytes,
    extract::Path,
    http::{HeaderMap, StatusCode},
    routing::{post, put},
    Router,
};
use bastion_core::{chat, jobs, webhooks::WebhookSettings, workspaces};
use common::{spawn_app_with, Cast, TestApp};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

const OPEN: WebhookSettings = WebhookSettings {
    allow_private_targets: true,
};
const CLOSED: WebhookSettings = WebhookSettings {
    allow_private_targets: false,
};
const LINK_BASE: &str = "https://bastion.example.eu";
const MATRIX_TOKEN: &str = "syt_bWF0cml4_secretmatrixtoken_1a2b3c";

#[derive(Clone, Debug)]
struct Got {
    /// `slack`, `teams` or `matrix`.
    service: String,
    /// The Matrix room and transaction id, or the webhook's secret path part.
    path: String,
    authorization: String,
    body: Value,
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    status: Arc<Mutex<u16>>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        *receiver.status.lock().unwrap() = 200;
        let record = |service: &'static str, state: Receiver| {
            move |Path(path): Path<String>, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    state.got.lock().unwrap().push(Got {
                        service: service.into(),
                        path,
                        authorization: headers
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_owned())
                            .unwrap_or_default(),
                        body: serde_json::from_slice(&body).expect("a JSON body"),
                    });
                    let status = *state.status.lock().unwrap();
                    (StatusCode::from_u16(status).unwrap(), "ok")
                }
            }
        };
        let app = Router::new()
            .route("/slack/{*rest}", post(record("slack", receiver.clone())))
            .route("/teams/{*rest}", post(record("teams", receiver.clone())))
            .route(
                "/_matrix/client/v3/rooms/{*rest}",
                put(record("matrix", receiver.clone())),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, base)
    }

    fn got(&self, service: &str) -> Vec<Got> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|g| g.service == service)
            .cloned()
            .collect()
    }

    fn answer(&self, status: u16) {
        *self.status.lock().unwrap() = status;
    }
}

async fn integration(app: &TestApp, cast: &Cast, kind: &str, token: &str) -> String {
    let answer = app
        .post_as(
            &cast.admin,
            &cast.api("/integrations"),
            json!({"kind": kind, "name": format!("Team {kind}"), "access_token": token}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert!(!answer.body.contains(token), "the token is never returned");
    answer.json()["id"].as_str().unwrap().to_owned()
}

async fn rule(app: &TestApp, cast: &Cast, body: Value) -> String {
    let answer = app
        .post_as(&cast.admin, &cast.api("/chat-notifications"), body)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

async fn post_ok(app: &TestApp, cast: &Cast, path: &str, body: Value) -> Value {
    let answer = app.post_as(&cast.admin, &cast.api(path), body).await;
    assert!(answer.status.is_success(), "{path}: {}", answer.body);
    answer.json()
}

async fn patch_ok(app: &TestApp, cast: &Cast, path: &str, body: Value) {
    let answer = app.patch_as(&cast.admin, &cast.api(path), body).await;
    assert!(answer.status.is_success(), "{path}: {}", answer.body);
}

#[tokio::test]
async fn chat_messages_reach_slack_teams_and_matrix_in_their_shapes_and_language() {
    let app = spawn_app_with(&[("BASTION_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")]).await;
    let cast = Cast::new(&app).await;
    let pool = &app.db.pool;
    let keys = bastion_core::testing::master_keys();
    let ws = workspaces::find_by_slug(pool, &cast.slug)
        .await
        .unwrap()
        .unwrap()
        .id;
    let (receiver, base) = Receiver::start().await;
    let slack_url = format!("{base}/slack/T0001/B0002/slacksecretpart0123456789");
    let teams_url = format!("{base}/teams/workflows/teamssecretsig9876543210");

    let web = post_ok(&app, &cast, "/projects", json!({"name": "Website"})).await;
    let other = post_ok(&app, &cast, "/projects", json!({"name": "Back office"})).await;
    let slack = integration(&app, &cast, "slack", &slack_url).await;
    let teams = integration(&app, &cast, "teams", &teams_url).await;
    let matrix = integration(&app, &cast, "matrix", MATRIX_TOKEN).await;

    // Bad input is refused with the field named, and changes nothing.
    let github = integration(&app, &cast, "github", "ghp_0123456789abcdef").await;
    for (body, field) in [
        (
            json!({"integration_id": github, "events": ["task_created"]}),
            "integration_id",
        ),
        (json!({"integration_id": slack, "events": []}), "events"),
        (
            json!({"integration_id": slack, "events": ["task_created"], "project_id": cast.admin_id}),
            "project_id",
        ),
        (
            json!({"integration_id": matrix, "events": ["task_created"], "matrix_homeserver": base, "matrix_room": "general"}),
            "matrix_room",
        ),
        (
            json!({"integration_id": matrix, "events": ["task_created"], "matrix_homeserver": "ftp://x", "matrix_room": "!r:x.eu"}),
            "matrix_homeserver",
        ),
        (
            json!({"integration_id": slack, "events": ["task_created"], "language": "pt"}),
            "language",
        ),
    ] {
        let answer = app
            .post_as(&cast.admin, &cast.api("/chat-notifications"), body)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.body
        );
        assert!(answer.body.contains(field), "{field}: {}", answer.body);
    }
    let member = app
        .post_as(
            &cast.member,
            &cast.api("/chat-notifications"),
            json!({"integration_id": slack, "events": ["task_created"]}),
        )
        .await;
    assert_eq!(member.status, StatusCode::FORBIDDEN);
    let listed = app
        .get_as(&cast.admin, &cast.api("/chat-notifications"))
        .await;
    assert_eq!(listed.json()["items"], json!([]));

    // Slack: everything of the website project, in English. Teams: status changes of every
    // project. Matrix: created tasks, in Dutch.
    rule(
        &app,
        &cast,
        json!({"integration_id": slack, "project_id": web["id"], "language": "en",
               "events": ["task_created", "task_status", "task_assigned", "comment_created"]}),
    )
    .await;
    rule(
        &app,
        &cast,
        json!({"integration_id": teams, "events": ["task_status"], "language": "en"}),
    )
    .await;
    let matrix_rule = rule(
        &app,
        &cast,
        json!({"integration_id": matrix, "events": ["task_created"], "language": "nl-BE",
               "matrix_homeserver": base, "matrix_room": "!ops:matrix.example.eu"}),
    )
    .await;

    let task = post_ok(
        &app,
        &cast,
        "/tasks",
        json!({"project_id": web["id"], "title": "Launch <site> & co"}),
    )
    .await;
    let task_id = task["id"].as_str().unwrap();
    patch_ok(
        &app,
        &cast,
        &format!("/tasks/{task_id}"),
        json!({"status": "done"}),
    )
    .await;
    patch_ok(
        &app,
        &cast,
        &format!("/tasks/{task_id}"),
        json!({"assignee_id": cast.member_id}),
    )
    .await;
    post_ok(
        &app,
        &cast,
        &format!("/tasks/{task_id}/comments"),
        json!({"body": "The comment's own words"}),
    )
    .await;
    // Another project's task: Teams (every project) hears of its status, Slack does not.
    let elsewhere = post_ok(
        &app,
        &cast,
        "/tasks",
        json!({"project_id": other["id"], "title": "Invoices"}),
    )
    .await;
    patch_ok(
        &app,
        &cast,
        &format!("/tasks/{}", elsewhere["id"].as_str().unwrap()),
        json!({"status": "in_progress"}),
    )
    .await;
    // A private task is never announced, whatever happens to it.
    let secret = post_ok(
        &app,
        &cast,
        "/tasks",
        json!({"project_id": web["id"], "title": "Reorganisation plans", "private": true}),
    )
    .await;
    patch_ok(
        &app,
        &cast,
        &format!("/tasks/{}", secret["id"].as_str().unwrap()),
        json!({"status": "done"}),
    )
    .await;

    // Sent through the job queue, as `serve`'s runner sends them.
    let report = chat::run_pending_until(pool, keys, OPEN, LINK_BASE, &jobs::Stop::default())
        .await
        .unwrap();
    assert_eq!(report.delivered, 8, "{report:?}"); // Slack 4, Teams 2, Matrix 2

    let slack_got = receiver.got("slack");
    let texts: Vec<&str> = slack_got
        .iter()
        .map(|g| g.body["text"].as_str().unwrap())
        .collect();
    let key = texts[0]
        .split_whitespace()
        .find(|w| w.starts_with("WE"))
        .expect("the task's key")
        .to_owned();
    assert_eq!(
        texts,
        vec![
            format!("admin created {key} \"Launch <site> & co\" in Website."),
            format!("admin moved {key} \"Launch <site> & co\" to Done."),
            format!("admin assigned {key} \"Launch <site> & co\" to member."),
            format!("admin commented on {key} \"Launch <site> & co\"."),
        ],
        "{slack_got:?}"
    );
    for g in &slack_got {
        assert_eq!(g.path, "T0001/B0002/slacksecretpart0123456789");
        let block = &g.body["blocks"][0];
        assert_eq!(block["type"], "section");
        assert_eq!(block["text"]["type"], "mrkdwn");
        let mrkdwn = block["text"]["text"].as_str().unwrap();
        assert!(mrkdwn.contains("&lt;site&gt; &amp; co"), "{mrkdwn}");
        assert!(
            mrkdwn.ends_with(&format!(
                "<{LINK_BASE}/w/{}/t/{key}|Open the task>",
                cast.slug
            )),
            "{mrkdwn}"
        );
    }
    let everything = serde_json::to_string(
        &receiver
            .got
            .lock()
            .unwrap()
            .iter()
            .map(|g| g.body.clone())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(
        !everything.contains("The comment's own words"),
        "no comment text"
    );
    assert!(!everything.contains("Reorganisation"), "no private task");

    let teams_got = receiver.got("teams");
    assert_eq!(teams_got.len(), 2, "{teams_got:?}");
    for g in &teams_got {
        assert_eq!(g.body["type"], "message");
        let card = &g.body["attachments"][0];
        assert_eq!(
            card["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert_eq!(card["content"]["body"][0]["type"], "TextBlock");
        assert_eq!(card["content"]["actions"][0]["type"], "Action.OpenUrl");
    }
    assert!(
        teams_got[1].body["attachments"][0]["content"]["body"][0]["text"]
            .as_str()
            .unwrap()
            .ends_with("\"Invoices\" to In progress.")
    );

    let matrix_got = receiver.got("matrix");
    assert_eq!(matrix_got.len(), 2, "{matrix_got:?}");
    assert_eq!(
        matrix_got[0].authorization,
        format!("Bearer {MATRIX_TOKEN}")
    );
    assert!(
        matrix_got[0]
            .path
            .starts_with("!ops:matrix.example.eu/send/m.room.message/"),
        "{}",
        matrix_got[0].path
    );
    assert_eq!(matrix_got[0].body["msgtype"], "m.notice");
    assert!(
        matrix_got[0].body["body"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "admin heeft {key} \"Launch <site> & co\" aangemaakt in Website."
            )),
        "{}",
        matrix_got[0].body
    );

    // A test message, and its outcome on the rule.
    let queued = app
        .post_as(
            &cast.admin,
            &cast.api(&format!("/chat-notifications/{matrix_rule}/test")),
            json!(null),
        )
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
    chat::deliver_due(pool, keys, OPEN, LINK_BASE, ws, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let matrix_got = receiver.got("matrix");
    assert_eq!(matrix_got.len(), 3);
    assert!(matrix_got[2].body["body"]
        .as_str()
        .unwrap()
        .contains("heeft dit kanaal in Bastion verbonden"));
    let listed = app
        .get_as(&cast.admin, &cast.api("/chat-notifications"))
        .await;
    let rules = listed.json()["items"].as_array().unwrap().clone();
    assert_eq!(rules.len(), 3);
    assert!(!listed.body.contains(MATRIX_TOKEN) && !listed.body.contains("slacksecretpart"));
    let m = rules
        .iter()
        .find(|r| r["id"] == matrix_rule.as_str())
        .unwrap();
    assert_eq!(m["last_delivery"]["status"], "delivered");

    // Without the operator's setting, a channel on a private address is refused at send time,
    // and the error does not repeat the address (it is the secret).
    post_ok(
        &app,
        &cast,
        "/tasks",
        json!({"project_id": web["id"], "title": "Closed door"}),
    )
    .await;
    chat::deliver_due(pool, keys, CLOSED, LINK_BASE, ws, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let error: String = {
        let mut tx = bastion_core::TenantTx::begin(
            pool,
            &bastion_core::TenantSchema::for_workspace(ws),
            bastion_core::Actor::System,
        )
        .await
        .unwrap();
        let e: String = sqlx::query_scalar("SELECT last_error FROM chat_deliveries WHERE status = 'pending' AND last_error IS NOT NULL LIMIT 1")
            .fetch_one(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        e
    };
    assert!(error.contains("refused"), "{error}");
    assert!(!error.contains("slacksecretpart"), "{error}");

    // A receiver in trouble: the refused attempt above and the next ones follow the webhook
    // schedule (5 s, then 5 min), and a channel that is gone (410) turns the rule off.
    receiver.answer(500);
    let before = receiver.got("slack").len();
    let now = OffsetDateTime::now_utc();
    let at = |secs: i64| now + Duration::seconds(secs);
    let early = chat::deliver_due(pool, keys, OPEN, LINK_BASE, ws, at(3))
        .await
        .unwrap();
    assert_eq!(early, chat::PassReport::default(), "not before its time");
    let pass = chat::deliver_due(pool, keys, OPEN, LINK_BASE, ws, at(6))
        .await
        .unwrap();
    assert_eq!(pass.retrying, 2, "{pass:?}"); // Slack and Matrix, both told of "Closed door"
    let early = chat::deliver_due(pool, keys, OPEN, LINK_BASE, ws, at(66))
        .await
        .unwrap();
    assert_eq!(early, chat::PassReport::default(), "5 minutes later, not 1");
    receiver.answer(410);
    let late = chat::deliver_due(pool, keys, OPEN, LINK_BASE, ws, at(6 + 6 * 60))
        .await
        .unwrap();
    assert_eq!(late.failed, 2, "{late:?}");
    assert_eq!(
        receiver.got("slack").len(),
        before + 2,
        "two attempts reached Slack"
    );
    let listed = app
        .get_as(&cast.admin, &cast.api("/chat-notifications"))
        .await;
    for r in listed.json()["items"].as_array().unwrap() {
        if r["integration_kind"] == "teams" {
            assert_eq!(r["enabled"], true);
        } else {
            assert_eq!(r["enabled"], false, "{r}");
            assert!(
                r["disabled_reason"].as_str().unwrap().contains("410"),
                "{r}"
            );
        }
    }

    // The audit history names every change of where events go.
    let audit = app
        .get_as(&cast.admin, &cast.api("/audit?entity=chat_notification"))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    assert!(
        audit.json()["items"].as_array().unwrap().len() >= 3,
        "{}",
        audit.body
    );

    // A dump of the whole database holds no channel address, access token or webhook secret.
    let hook = post_ok(
        &app,
        &cast,
        "/webhooks",
        json!({"url": format!("{base}/hook"), "events": ["task"]}),
    )
    .await;
    let whsec = hook["secret"].as_str().unwrap().to_owned();
    let dump = app.db.pg_dump();
    assert!(
        dump.contains("chat_notifications"),
        "the dump covers the workspace"
    );
    for secret in [
        slack_url.as_str(),
        "slacksecretpart0123456789",
        teams_url.as_str(),
        "teamssecretsig9876543210",
        MATRIX_TOKEN,
        "secretmatrixtoken",
        whsec.as_str(),
        whsec.strip_prefix("whsec_").unwrap(),
    ] {
        assert!(!dump.contains(secret), "{secret} is in the dump");
    }
}
