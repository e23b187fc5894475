//! Door parity for the time capability: time entries and the audit export answer the same
//! through the REST API and through the server functions the pages call, because both doors
//! call the same core action.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{spawn_app, Cast, TestApp, PASSWORD};

async fn set_plan(app: &TestApp, cast: &Cast, plan: &str) {
    sqlx::query("UPDATE workspaces SET plan = $1 WHERE slug = $2")
        .bind(plan)
        .bind(&cast.slug)
        .execute(&app.db.provisioning)
        .await
        .unwrap();
}

/// The entries the admin sees, by id: what is stored, whoever asked.
async fn stored_entries(app: &TestApp, cast: &Cast) -> Vec<serde_json::Value> {
    let list = app.get_as(&cast.admin, &cast.api("/time-entries")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    list.json()["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_export_follows_the_plan_through_both_doors() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    // A task, so that the history has events to export.
    app.seed_task(&cast.slug, cast.admin_id, false).await;
    let rest = format!("/api/v1/workspaces/{}/audit/export?format=csv", cast.slug);
    let form = format!("slug={}&format=csv", cast.slug);

    // Pro has no audit export: an admin is refused at both doors, with one sentence.
    set_plan(&app, &cast, "pro").await;
    let by_rest = app.get_as(&cast.admin, &rest).await;
    let by_page = app.server_fn("audit_export", &cast.admin, &form).await;
    assert_eq!(by_rest.status, StatusCode::FORBIDDEN, "{}", by_rest.body);
    assert_eq!(by_page.status, StatusCode::FORBIDDEN, "{}", by_page.body);
    let sentence = by_rest.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(sentence.contains("Business plan"), "{sentence}");
    assert!(by_page.body.contains(&sentence), "{}", by_page.body);

    // Business has it: both doors give the same file.
    set_plan(&app, &cast, "business").await;
    let by_rest = app.get_as(&cast.admin, &rest).await;
    let by_page = app.server_fn("audit_export", &cast.admin, &form).await;
    assert_eq!(by_rest.status, StatusCode::OK, "{}", by_rest.body);
    assert_eq!(by_page.status, StatusCode::OK, "{}", by_page.body);
    let page_file: String = serde_json::from_str(&by_page.body).unwrap();
    assert!(by_rest.body.starts_with("id,occurred_at,actor"));
    assert_eq!(page_file, by_rest.body);

    // A member is refused on Business too, at both doors.
    let by_rest = app.get_as(&cast.member, &rest).await;
    let by_page = app.server_fn("audit_export", &cast.member, &form).await;
    assert_eq!(by_rest.status, StatusCode::FORBIDDEN);
    assert_eq!(by_page.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_change_another_members_entry_through_either_door() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    // A second member, with an entry of her own.
    let ws = bastion_core::workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    let bea = bastion_core::accounts::create_user(&app.db.pool, "bea@example.eu", "bea", PASSWORD)
        .await
        .unwrap();
    bastion_core::accounts::add_member(
        &app.db.pool,
        &ws,
        bea.id,
        "member",
        bastion_core::Actor::System,
    )
    .await
    .unwrap();
    let bea_cookie = app.sign_in("bea@example.eu").await;
    let created = app
        .post_as(&bea_cookie, &cast.api("/time-entries"), json!({"task_id": task, "started_at": "2026-07-01T07:00:00Z", "minutes": 45, "rate_cents": 9000}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let before = stored_entries(&app, &cast).await;

    let by_rest = app
        .patch_as(
            &cast.member,
            &cast.api(&format!("/time-entries/{id}")),
            json!({"minutes": 1}),
        )
        .await;
    let by_page = app
        .server_fn(
            "change_time_entry",
            &cast.member,
            &format!(
                "slug={}&id={id}&started=2026-07-01T09%3A00&minutes=1&rate=0",
                cast.slug
            ),
        )
        .await;
    // Members see only their own entries, so someone else's is not there for them: the same
    // refusal at both doors (the authorization matrix asserts this status).
    assert_eq!(by_rest.status, StatusCode::NOT_FOUND, "{}", by_rest.body);
    assert_eq!(by_page.status, by_rest.status, "{}", by_page.body);
    let deleted = app
        .server_fn(
            "delete_time_entry",
            &cast.member,
            &format!("slug={}&id={id}", cast.slug),
        )
        .await;
    assert_eq!(deleted.status, by_rest.status, "{}", deleted.body);
    assert_eq!(stored_entries(&app, &cast).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_brussels_wall_time_is_the_same_instant_through_every_door() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    // 1 July 2026, 09:00 in Brussels: summer time, UTC+2.
    let by_rest = app
        .post_as(
            &cast.member,
            &cast.api("/time-entries"),
            json!({"task_id": task, "started_at": "2026-07-01T09:00:00+02:00", "minutes": 10}),
        )
        .await;
    assert_eq!(by_rest.status, StatusCode::CREATED, "{}", by_rest.body);
    let time_page = app
        .server_fn(
            "log_time",
            &cast.member,
            &format!(
                "slug={}&task_id={task}&started=2026-07-01T09%3A00&minutes=20&rate=",
                cast.slug
            ),
        )
        .await;
    assert_eq!(time_page.status, StatusCode::OK, "{}", time_page.body);
    let task_page = app
        .server_fn(
            "log_task_time",
            &cast.member,
            &format!(
            "slug={}&task_id={task}&minutes=30&started_on=2026-07-01&started_time=09%3A00&rate=",
            cast.slug
        ),
        )
        .await;
    assert_eq!(task_page.status, StatusCode::OK, "{}", task_page.body);

    let mut starts: Vec<(i64, String)> = stored_entries(&app, &cast)
        .await
        .iter()
        .map(|e| {
            (
                e["minutes"].as_i64().unwrap(),
                e["started_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    starts.sort();
    assert_eq!(
        starts,
        [10, 20, 30]
            .map(|m| (m, "2026-07-01T07:00:00Z".to_owned()))
            .to_vec()
    );
}
