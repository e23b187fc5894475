//! Plans, export, erasure and the privacy records over REST, on the real router, database and
//! local object storage.

mod common;

use std::io::Read;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use common::{spawn_app, Cast};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_changes_the_plan_and_bad_plans_are_named() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let path = format!("/api/v1/workspaces/{}", cast.slug);
    let answer = app
        .patch_as(&cast.admin, &path, json!({"plan": "business"}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let settings = answer.json();
    assert_eq!(settings["plan"], "business");
    assert_eq!(settings["audit_retention_days"], 1095);
    assert_eq!(settings["audit_export"], true);
    assert_eq!(settings["clock"], "Europe/Brussels");
    assert_eq!(settings["currency"], "EUR");
    // The plan now allows the audit export it refused on Starter.
    let export = app.get_as(&cast.admin, &cast.api("/audit/export")).await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);

    let bad = app
        .patch_as(&cast.admin, &path, json!({"plan": "platinum"}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "plan");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_is_queued_followed_and_downloaded_as_a_zip() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    app.seed_task(&cast.slug, cast.admin_id, false).await;
    let started = app
        .call("POST", &cast.api("/export"), Some(&cast.admin), None)
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let id = started.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(started.json()["state"], "queued");
    let status_path = format!("/api/v1/workspaces/{}/export/{id}", cast.slug);
    let download = format!("{status_path}/download");
    let early = app.get_as(&cast.admin, &download).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.json()["error"]["code"], "not_ready");

    // What the runner in `serve` does every two seconds.
    bastion_core::exports::run_pending(&app.db.pool, &app.objects)
        .await
        .unwrap();
    let status = app.get_as(&cast.admin, &status_path).await;
    let status = status.json();
    assert_eq!(status["state"], "done");
    assert_eq!(status["done"], status["total"]);
    assert_eq!(status["download_url"], download.as_str());

    let response = app
        .router
        .clone()
        .oneshot(
            Request::get(&download)
                .header(header::COOKIE, &cast.admin)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/zip");
    assert_eq!(
        response.headers()[header::CONTENT_SECURITY_POLICY],
        "sandbox; default-src 'none'"
    );
    assert!(response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"bastion-acme-"));
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut tasks = String::new();
    zip.by_name("tasks.json")
        .unwrap()
        .read_to_string(&mut tasks)
        .unwrap();
    let tasks: Vec<serde_json::Value> = serde_json::from_str(&tasks).unwrap();
    assert_eq!(tasks.len(), 1);
    assert!(zip.by_name("members.csv").is_ok() && zip.by_name("people.json").is_ok());

    // Another workspace's admin cannot reach it, not even through their own workspace.
    let sideways = app
        .get_as(
            &cast.stranger,
            &format!(
                "/api/v1/workspaces/{}/export/{id}/download",
                cast.other_slug
            ),
        )
        .await;
    assert_eq!(sideways.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_needs_the_name_and_then_leaves_only_a_receipt() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let path = format!("/api/v1/workspaces/{}", cast.slug);
    let wrong = app
        .call(
            "DELETE",
            &path,
            Some(&cast.admin),
            Some(json!({"confirm": "acme"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json()["error"]["field"], "confirm");
    let ws = bastion_core::workspaces::find_by_slug(&app.db.pool, "acme")
        .await
        .unwrap()
        .expect("a wrong confirmation erases nothing");

    let erased = app
        .call(
            "DELETE",
            &path,
            Some(&cast.admin),
            Some(json!({"confirm": "Acme"})),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    assert_eq!(erased.json()["slug"], "acme");
    assert_eq!(erased.json()["requested_by"], cast.admin_id.to_string());
    assert!(bastion_core::workspaces::find_by_slug(&app.db.pool, "acme")
        .await
        .unwrap()
        .is_none());
    let receipt = bastion_core::workspaces::erasure_receipt(&app.db.pool, ws.id)
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.storage_purged_at.is_some());
    // The admin belonged to acme alone: signed out. The stranger's workspace is untouched.
    let me = app.get_as(&cast.admin, "/api/v1/me").await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let other = app
        .get_as(
            &cast.stranger,
            &format!("/api/v1/workspaces/{}/members", cast.other_slug),
        )
        .await;
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_is_public_and_requests_reach_the_outbox_until_the_limit() {
    let app = spawn_app().await;
    let register = app
        .call("GET", "/api/v1/privacy/register", None, None)
        .await;
    assert_eq!(register.status, StatusCode::OK);
    let categories = register.json()["categories"].as_array().unwrap().len();
    assert_eq!(categories, 7);
    let processors = app
        .call("GET", "/api/v1/privacy/subprocessors", None, None)
        .await;
    assert_eq!(processors.status, StatusCode::OK);
    assert!(processors.json()["subprocessors"].as_array().unwrap().len() >= 3);

    let body = json!({"email": "dpo@example.eu", "name": "Dana", "organisation": "Example NV", "kind": "dpa"});
    let bad = app
        .call(
            "POST",
            "/api/v1/privacy/requests",
            None,
            Some(json!({"email": "dpo@example.eu", "name": "Dana", "organisation": "", "kind": "dpa"})),
        )
        .await;
    assert_eq!(bad.json()["error"]["field"], "organisation");
    for _ in 0..bastion_core::privacy_requests::PER_IP_PER_HOUR {
        let ok = app
            .call("POST", "/api/v1/privacy/requests", None, Some(body.clone()))
            .await;
        assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.body);
    }
    let limited = app
        .call("POST", "/api/v1/privacy/requests", None, Some(body))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let mail: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, subject FROM outbox ORDER BY created_at")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let to_team = mail
        .iter()
        .filter(|(r, _)| r == "security@localhost")
        .count();
    let to_requester = mail.iter().filter(|(r, _)| r == "dpo@example.eu").count();
    assert_eq!((to_team, to_requester), (5, 5), "{mail:?}");
    assert!(mail[0].1.contains("data-processing agreement"));
}
