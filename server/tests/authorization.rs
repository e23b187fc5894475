//! The authorization matrix: every endpoint, called by every kind of caller, against
//! expectations written as a table. An endpoint in the OpenAPI document without a row here fails
//! the test, so a new endpoint cannot ship without its permissions being decided.

mod common;

use axum::http::StatusCode;
use common::{spawn_app, Cast, TestApp};
use serde_json::json;

/// Expected status per caller: admin, member, guest, deactivated member, admin of another
/// workspace, anonymous. `{id}` in a path is filled from `fixture`.
struct Row {
    method: &'static str,
    path: &'static str,
    fixture: Fixture,
    body: Option<serde_json::Value>,
    expect: [u16; 6],
}

#[derive(Clone, Copy, PartialEq)]
enum Fixture {
    None,
    /// An integration of the cast's workspace, made by its admin.
    Integration,
    /// A session of a user outside the cast.
    ForeignSession,
    /// The cast's deactivated member.
    DeactivatedMember,
    /// A fresh member of the cast's workspace, for removal.
    ExtraMember,
    /// A public task of the cast's workspace, made by its admin (the guest does not view it).
    Task,
    /// A time entry of the cast's admin on a public task.
    AdminTimeEntry,
    /// An attachment the cast's member uploaded to a public task.
    MemberAttachment,
    /// An attachment the cast's admin uploaded to a public task.
    AdminAttachment,
}

const CALLERS: [&str; 6] = [
    "admin",
    "member",
    "guest",
    "deactivated",
    "stranger",
    "anonymous",
];

/// Endpoints anyone may call, signed in or not; listed so the completeness check knows them.
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/api/v1/auth/sign-in"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
];

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use Fixture::*;
    let integration = json!({"kind": "github", "name": "Deploy bot", "access_token": "ghp_0123456789abcdef"});
    vec![
        Row { method: "GET", path: "/api/v1/me", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 401] },
        Row { method: "GET", path: "/api/v1/me/sessions", fixture: None, body: Option::None, expect: [200, 200, 200, 200, 200, 401] },
        // A wrong current password changes nothing, for anyone signed in.
        Row { method: "PUT", path: "/api/v1/me/password", fixture: None, body: Some(json!({"current_password": "not it at all", "new_password": "a brand new passphrase"})), expect: [422, 422, 422, 422, 422, 401] },
        // Someone else's session is not found, whoever asks.
        Row { method: "DELETE", path: "/api/v1/me/sessions/{id}", fixture: ForeignSession, body: Option::None, expect: [404, 404, 404, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/integrations", fixture: None, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/integrations", fixture: None, body: Some(integration), expect: [201, 403, 403, 404, 404, 401] },
        // Non-admins try first; the admin then deletes it.
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/integrations/{id}", fixture: Integration, body: Option::None, expect: [204, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/members", fixture: None, body: Option::None, expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/members/{user_id}", fixture: DeactivatedMember, body: Some(json!({"active": false})), expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/members/{user_id}", fixture: ExtraMember, body: Option::None, expect: [204, 403, 403, 404, 404, 401] },
        // Time: guests none; members their own (someone else's entry is invisible: 404).
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/time-entries", fixture: None, body: Option::None, expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/time-entries", fixture: Task, body: Some(json!({"task_id": "{id}", "started_at": "2026-03-30T08:00:00Z", "minutes": 30, "rate_cents": 9000})), expect: [201, 201, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/time-entries/report", fixture: None, body: Option::None, expect: [200, 200, 403, 404, 404, 401] },
        Row { method: "PATCH", path: "/api/v1/workspaces/{ws}/time-entries/{entry_id}", fixture: AdminTimeEntry, body: Some(json!({"minutes": 45})), expect: [200, 404, 404, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/time-entries/{entry_id}", fixture: AdminTimeEntry, body: Option::None, expect: [204, 404, 404, 404, 404, 401] },
        // Attachments: through the task's visibility; guests download only on tasks they view.
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/attachments", fixture: Task, body: Option::None, expect: [200, 200, 404, 404, 404, 401] },
        Row { method: "POST", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/attachments", fixture: Task, body: Some(json!({"$multipart": "notes.txt"})), expect: [201, 201, 404, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/attachments/{attachment_id}", fixture: MemberAttachment, body: Option::None, expect: [200, 200, 404, 404, 404, 401] },
        Row { method: "DELETE", path: "/api/v1/workspaces/{ws}/attachments/{attachment_id}", fixture: AdminAttachment, body: Option::None, expect: [204, 403, 404, 404, 404, 401] },
        // Audit: admins only; export on Business only (acme is on Starter).
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/audit", fixture: None, body: Option::None, expect: [200, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/audit/export", fixture: None, body: Option::None, expect: [403, 403, 403, 404, 404, 401] },
        Row { method: "GET", path: "/api/v1/workspaces/{ws}/tasks/{task_id}/history", fixture: Task, body: Option::None, expect: [200, 403, 404, 404, 404, 401] },
        // Last: it ends the sessions it is called with.
        Row { method: "POST", path: "/api/v1/auth/sign-out", fixture: None, body: Option::None, expect: [204, 204, 204, 204, 204, 401] },
    ]
}

/// A session of a user outside the cast.
async fn foreign_session(app: &TestApp) -> String {
    let email = format!("outsider-{}@example.eu", uuid::Uuid::new_v4().simple());
    bastion_core::accounts::create_user(&app.db.pool, &email, "Outsider", common::PASSWORD)
        .await
        .unwrap();
    app.sign_in(&email).await;
    let user = bastion_core::accounts::find_user_by_email(&app.db.pool, &email)
        .await
        .unwrap()
        .unwrap();
    bastion_core::sessions::list_for_user(&app.db.pool, user.id)
        .await
        .unwrap()[0]
        .id
        .to_string()
}

async fn extra_member(app: &TestApp, cast: &Cast) -> String {
    let email = format!("extra-{}@example.eu", uuid::Uuid::new_v4().simple());
    let user = bastion_core::accounts::create_user(&app.db.pool, &email, "Extra", common::PASSWORD)
        .await
        .unwrap();
    let ws = bastion_core::workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    bastion_core::accounts::add_member(
        &app.db.pool,
        &ws,
        user.id,
        "member",
        bastion_core::Actor::System,
    )
    .await
    .unwrap();
    user.id.to_string()
}

/// The session cookie of the caller at `index` in `CALLERS`; none for the anonymous caller.
fn cookie_of(cast: &Cast, index: usize) -> Option<&str> {
    match index {
        0 => Some(&cast.admin),
        1 => Some(&cast.member),
        2 => Some(&cast.guest),
        3 => Some(&cast.deactivated),
        4 => Some(&cast.stranger),
        _ => None,
    }
}

async fn seed_time_entry(app: &TestApp, cast: &Cast) -> String {
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let answer = app
        .call(
            "POST",
            &format!("/api/v1/workspaces/{}/time-entries", cast.slug),
            Some(&cast.admin),
            Some(json!({"task_id": task, "started_at": "2026-03-30T08:00:00Z", "minutes": 60, "rate_cents": 9000})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

async fn seed_attachment(app: &TestApp, cast: &Cast, uploader: &str) -> String {
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let answer = app
        .upload(
            &format!("/api/v1/workspaces/{}/tasks/{task}/attachments", cast.slug),
            Some(uploader),
            "notes.txt",
            "text/plain",
            b"hello",
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

async fn seed_integration(app: &TestApp, cast: &Cast) -> String {
    let answer = app
        .call(
            "POST",
            &format!("/api/v1/workspaces/{}/integrations", cast.slug),
            Some(&cast.admin),
            Some(json!({"kind": "slack", "name": "Alerts", "access_token": "xoxb-1234567890"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_every_caller_as_the_table_says() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let mut failures = Vec::new();

    for row in rows() {
        let id = match row.fixture {
            Fixture::None => String::new(),
            Fixture::Integration => seed_integration(&app, &cast).await,
            Fixture::ForeignSession => foreign_session(&app).await,
            Fixture::DeactivatedMember => cast.deactivated_id.to_string(),
            Fixture::ExtraMember => extra_member(&app, &cast).await,
            Fixture::Task => app
                .seed_task(&cast.slug, cast.admin_id, false)
                .await
                .to_string(),
            Fixture::AdminTimeEntry => seed_time_entry(&app, &cast).await,
            Fixture::MemberAttachment => seed_attachment(&app, &cast, &cast.member).await,
            Fixture::AdminAttachment => seed_attachment(&app, &cast, &cast.admin).await,
        };
        let path = row
            .path
            .replace("{ws}", &cast.slug)
            .replace("{id}", &id)
            .replace("{user_id}", &id)
            .replace("{task_id}", &id)
            .replace("{entry_id}", &id)
            .replace("{attachment_id}", &id);
        let body = row
            .body
            .as_ref()
            .map(|b| serde_json::from_str(&b.to_string().replace("{id}", &id)).unwrap());
        // Admin last, so that destructive rows are tried by everyone else first.
        for index in [1, 2, 3, 4, 5, 0] {
            let cookie = cookie_of(&cast, index);
            let answer = match body
                .as_ref()
                .and_then(|b: &serde_json::Value| b.get("$multipart"))
            {
                Some(name) => {
                    app.upload(
                        &path,
                        cookie,
                        name.as_str().unwrap(),
                        "text/plain",
                        b"hello",
                    )
                    .await
                }
                Option::None => app.call(row.method, &path, cookie, body.clone()).await,
            };
            if answer.status.as_u16() != row.expect[index] {
                failures.push(format!(
                    "{} {} as {}: expected {}, got {} {}",
                    row.method,
                    row.path,
                    CALLERS[index],
                    row.expect[index],
                    answer.status,
                    answer.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_has_a_row() {
    let doc: serde_json::Value = serde_json::from_str(&bastion::api::openapi_json()).unwrap();
    let covered: Vec<(String, String)> = rows()
        .iter()
        .map(|r| (r.method.to_lowercase(), r.path.to_owned()))
        .chain(PUBLIC.iter().map(|(m, p)| (m.to_string(), p.to_string())))
        .collect();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !covered.contains(&(method.clone(), path.clone())) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations without an authorization row: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_of_one_workspace_cannot_reach_another() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let id = seed_integration(&app, &cast).await;
    // The stranger is an admin, but of the other workspace: 404, as for a workspace that does
    // not exist at all.
    let theirs = app
        .call(
            "GET",
            &format!("/api/v1/workspaces/{}/integrations", cast.slug),
            Some(&cast.stranger),
            None,
        )
        .await;
    let nowhere = app
        .call(
            "GET",
            "/api/v1/workspaces/no-such-place/integrations",
            Some(&cast.stranger),
            None,
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.body, nowhere.body, "no existence oracle");
    // Addressing acme's integration through the stranger's own workspace finds nothing either.
    let sideways = app
        .call(
            "DELETE",
            &format!("/api/v1/workspaces/{}/integrations/{id}", cast.other_slug),
            Some(&cast.stranger),
            None,
        )
        .await;
    assert_eq!(sideways.status, StatusCode::NOT_FOUND);
    let still_there = app
        .call(
            "GET",
            &format!("/api/v1/workspaces/{}/integrations", cast.slug),
            Some(&cast.admin),
            None,
        )
        .await;
    assert_eq!(still_there.json()["items"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_tokens_are_masked_and_bad_input_is_named() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let path = format!("/api/v1/workspaces/{}/integrations", cast.slug);
    let created = app
        .call(
            "POST",
            &path,
            Some(&cast.admin),
            Some(json!({"kind": "github", "name": "CI", "access_token": "ghp_supersecretvalue42"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json()["token_masked"], "••••ue42");
    let listed = app.call("GET", &path, Some(&cast.admin), None).await;
    assert!(!listed.body.contains("supersecret"), "{}", listed.body);
    assert!(!created.body.contains("supersecret"));

    for (body, field) in [
        (
            json!({"kind": "ftp", "name": "x", "access_token": "0123456789"}),
            "kind",
        ),
        (
            json!({"kind": "github", "name": "  ", "access_token": "0123456789"}),
            "name",
        ),
        (
            json!({"kind": "github", "name": "x", "access_token": "short"}),
            "token",
        ),
    ] {
        let answer = app.call("POST", &path, Some(&cast.admin), Some(body)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.body
        );
        assert!(
            answer.json()["error"]["field"]
                .as_str()
                .unwrap()
                .contains(field),
            "{}",
            answer.body
        );
    }
    let listed = app.call("GET", &path, Some(&cast.admin), None).await;
    assert_eq!(
        listed.json()["items"].as_array().unwrap().len(),
        1,
        "bad input changed nothing"
    );
}

/// Server functions, the pages' own endpoints, get the same treatment. Form-encoded, as the
/// pages send them; `{…}` placeholders are filled like the REST rows'.
#[rustfmt::skip]
fn server_fn_rows() -> Vec<(&'static str, &'static str, Fixture, [u16; 6])> {
    use Fixture::*;
    vec![
        ("/api/fn/account", "", None, [200, 200, 200, 200, 200, 200]),
        ("/api/fn/members", "slug={ws}", None, [200, 200, 403, 404, 404, 404]),
        ("/api/fn/change_member", "slug={ws}&user_id={id}&active=false", DeactivatedMember, [200, 403, 403, 404, 404, 404]),
        ("/api/fn/remove_member", "slug={ws}&user_id={id}", ExtraMember, [200, 403, 403, 404, 404, 404]),
        // Signing in needs no session; a wrong password is 401 for everyone.
        ("/api/fn/sign_in", "email=admin%40example.eu&password=wrong+password+here", None, [401, 401, 401, 401, 401, 401]),
        ("/api/fn/change_password", "current_password=not+it+at+all&new_password=a+brand+new+passphrase", None, [422, 422, 422, 422, 422, 401]),
        ("/api/fn/end_session", "id=00000000-0000-4000-8000-000000000000", None, [404, 404, 404, 404, 404, 401]),
        ("/api/fn/sign_out", "", None, [200, 200, 200, 200, 200, 200]),
        // Public: the same answer for everyone, whether or not the account exists.
        ("/api/fn/request_reset", "email=admin%40example.eu", None, [200, 200, 200, 200, 200, 200]),
        ("/api/fn/reset_password", "email=admin%40example.eu&code=000000&new_password=a+long+new+passphrase", None, [422, 422, 422, 422, 422, 422]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_answers_every_caller_as_the_table_says() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let mut failures = Vec::new();
    for (path, form, fixture, expect) in server_fn_rows() {
        let id = match fixture {
            Fixture::DeactivatedMember => cast.deactivated_id.to_string(),
            Fixture::ExtraMember => extra_member(&app, &cast).await,
            _ => String::new(),
        };
        let body = form.replace("{ws}", &cast.slug).replace("{id}", &id);
        for index in [1, 2, 3, 4, 5, 0] {
            let cookie = cookie_of(&cast, index);
            let mut request = axum::http::Request::post(path)
                .header(axum::http::header::ORIGIN, common::ORIGIN)
                .header(
                    axum::http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                );
            if let Some(cookie) = cookie {
                request = request.header(axum::http::header::COOKIE, cookie);
            }
            let answer = app
                .send(request.body(axum::body::Body::from(body.clone())).unwrap())
                .await;
            if answer.status.as_u16() != expect[index] {
                failures.push(format!(
                    "{path} as {}: expected {}, got {} {}",
                    CALLERS[index], expect[index], answer.status, answer.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_has_a_row() {
    // Building the router registers the server functions.
    let _app = spawn_app().await;
    let covered: Vec<&str> = server_fn_rows().iter().map(|r| r.0).collect();
    let missing: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .filter(|path| !covered.contains(&path.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "server functions without an authorization row: {missing:?}"
    );
}
