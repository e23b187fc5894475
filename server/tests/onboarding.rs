//! Signup, workspace creation and invitations over HTTP, with codes and links read from the real
//! outbox.

mod common;

use axum::http::StatusCode;
use common::{spawn_app, spawn_app_with, Cast, TestApp, PASSWORD};
use serde_json::json;

async fn newest_mail(app: &TestApp, to: &str) -> String {
    bastion_core::testing::newest_mail(&app.db.pool, to).await
}

fn six_digits(body: &str) -> String {
    let bytes = body.as_bytes();
    let at = (0..bytes.len() - 5)
        .find(|&i| bytes[i..i + 6].iter().all(u8::is_ascii_digit))
        .unwrap_or_else(|| panic!("no code in {body}"));
    body[at..at + 6].to_owned()
}

fn link_token(body: &str) -> String {
    let at = body.find("/invite/").expect("a link") + "/invite/".len();
    body[at..].split_whitespace().next().unwrap().to_owned()
}

async fn sign_up(app: &TestApp, email: &str) -> common::Answer {
    app.call(
        "POST",
        "/api/v1/auth/sign-up",
        None,
        Some(json!({"email": email, "name": "Ada Lovelace", "password": PASSWORD, "workspace_name": "Analytical Engines"})),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_up_and_confirming_creates_a_workspace_and_signs_in() {
    let app = spawn_app().await;
    let started = sign_up(&app, "ada@example.eu").await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    assert!(
        started.headers.get("set-cookie").is_none(),
        "no session before the code"
    );
    let signup_id = started.json()["signup_id"].as_str().unwrap().to_owned();
    let code = six_digits(&newest_mail(&app, "ada@example.eu").await);

    let wrong = if code == "999999" { "000000" } else { "999999" };
    let refused = app
        .call(
            "POST",
            "/api/v1/auth/sign-up/confirm",
            None,
            Some(json!({"signup_id": signup_id, "code": wrong})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"]["field"], "code");

    let confirmed = app
        .call(
            "POST",
            "/api/v1/auth/sign-up/confirm",
            None,
            Some(json!({"signup_id": signup_id, "code": code})),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::CREATED, "{}", confirmed.body);
    assert_eq!(confirmed.json()["workspace"]["slug"], "analytical-engines");
    let cookie = confirmed.session_cookie();
    let me = app.get_as(&cookie, "/api/v1/me").await;
    assert_eq!(me.json()["workspaces"][0]["name"], "Analytical Engines");
    let members = app
        .get_as(&cookie, "/api/v1/workspaces/analytical-engines/members")
        .await;
    assert_eq!(members.json()["items"][0]["role"], "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signups_beyond_the_domain_limit_get_429_with_retry_after() {
    let app = spawn_app_with(&[("BASTION_SIGNUP_LIMIT_PER_DOMAIN", "2")]).await;
    for n in 0..2 {
        assert_eq!(
            sign_up(&app, &format!("p{n}@busy.example")).await.status,
            StatusCode::ACCEPTED
        );
    }
    let refused = sign_up(&app, "p3@busy.example").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.header("retry-after").parse().unwrap();
    assert!((3500..=3600).contains(&retry), "{retry}");
    assert_eq!(
        sign_up(&app, "p3@quiet.example").await.status,
        StatusCode::ACCEPTED,
        "other domains go on"
    );
    let bad = app
        .call("POST", "/api/v1/auth/sign-up", None, Some(json!({"email": "x@y.example", "name": "X", "password": "short", "workspace_name": "W"})))
        .await;
    assert_eq!(
        (bad.status, bad.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_newcomer_accepts_by_link_and_is_signed_in_with_the_role() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let invited = app
        .post_as(
            &cast.admin,
            &cast.api("/invitations"),
            json!({"email": "grace@example.eu", "role": "member"}),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    let token = link_token(&newest_mail(&app, "grace@example.eu").await);

    let preview = app
        .call("GET", &format!("/api/v1/invitations/{token}"), None, None)
        .await;
    assert_eq!(preview.json()["workspace"]["slug"], cast.slug);
    assert_eq!(preview.json()["has_account"], false);

    let accepted = app
        .call(
            "POST",
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            Some(json!({"name": "Grace Hopper", "password": PASSWORD})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    let cookie = accepted.session_cookie();
    let members = app.get_as(&cookie, &cast.api("/members")).await;
    let grace = members.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "grace@example.eu")
        .cloned()
        .expect("Grace is a member");
    assert_eq!(grace["role"], "member");
    let listed = app.get_as(&cast.admin, &cast.api("/invitations")).await;
    assert!(
        listed.json()["items"].as_array().unwrap().is_empty(),
        "accepted invitations are not open"
    );
    let again = app
        .call("GET", &format!("/api/v1/invitations/{token}"), None, None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_user_creates_a_workspace_and_becomes_its_admin() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let created = app
        .post_as(
            &cast.guest,
            "/api/v1/workspaces",
            json!({"name": "Guest's Own", "slug": "guests-own"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let listed = app.get_as(&cast.guest, "/api/v1/workspaces").await;
    let slugs: Vec<String> = listed.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["slug"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(slugs, ["acme", "guests-own"], "sorted by name");
    let invitations = app
        .get_as(&cast.guest, "/api/v1/workspaces/guests-own/invitations")
        .await;
    assert_eq!(
        invitations.status,
        StatusCode::OK,
        "the creator is admin there"
    );

    let taken = app
        .post_as(
            &cast.member,
            "/api/v1/workspaces",
            json!({"name": "Mine", "slug": "guests-own"}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let bad = app
        .post_as(
            &cast.member,
            "/api/v1/workspaces",
            json!({"name": "Mine", "slug": "Not A Slug"}),
        )
        .await;
    assert_eq!(bad.json()["error"]["field"], "slug");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_a_member_of_one_workspace_ends_their_sessions_at_once() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let deactivated = app
        .patch_as(
            &cast.admin,
            &cast.api(&format!("/members/{}", cast.member_id)),
            json!({"active": false}),
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::OK, "{}", deactivated.body);
    let after = app.get_as(&cast.member, "/api/v1/me").await;
    assert_eq!(
        after.status,
        StatusCode::UNAUTHORIZED,
        "the session served only this workspace"
    );
    // The stranger belongs elsewhere: removing nothing of theirs leaves them signed in.
    let stranger = app.get_as(&cast.stranger, "/api/v1/me").await;
    assert_eq!(stranger.status, StatusCode::OK);
}
