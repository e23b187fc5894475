//! API tokens: shown once and stored hashed, one workspace only, the user's current role, no
//! CSRF check and no cookie for bearer requests, and a per-token rate limit.

mod common;

use axum::http::StatusCode;
use bastion_core::{accounts, workspaces, Actor};
use common::{spawn_app, spawn_app_with, Cast, TestApp};
use serde_json::json;
use sha2::{Digest, Sha256};

/// A token made through the API with `cookie`'s session: (token, id).
async fn create_token(app: &TestApp, slug: &str, cookie: &str) -> (String, String) {
    let answer = app
        .post_as(
            cookie,
            &format!("/api/v1/workspaces/{slug}/tokens"),
            json!({"name": "CI deploy"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let json = answer.json();
    (
        json["token"].as_str().unwrap().to_owned(),
        json["details"]["id"].as_str().unwrap().to_owned(),
    )
}

fn code(answer: &common::Answer) -> String {
    answer.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_shown_once_stored_hashed_and_revocable() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (token, id) = create_token(&app, "acme", &cast.admin).await;
    assert!(token.starts_with("bst_") && token.len() == 47, "{token}");

    // The database holds the hash and a short prefix, never the token.
    let (prefix, hash): (String, Vec<u8>) =
        sqlx::query_as("SELECT token_prefix, token_hash FROM api_tokens WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(token.starts_with(&prefix) && prefix.len() < 16, "{prefix}");
    assert_eq!(hash, Sha256::digest(token.as_bytes()).to_vec());

    let tasks = app
        .bearer("GET", "/api/v1/workspaces/acme/tasks", &token, None)
        .await;
    assert_eq!(tasks.status, StatusCode::OK, "{}", tasks.body);
    assert!(tasks.headers.get("set-cookie").is_none());

    // Listed with its prefix and last use, never in full.
    let list = app
        .get_as(&cast.admin, "/api/v1/workspaces/acme/tokens")
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(!list.body.contains(&token));
    let item = &list.json()["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["token_prefix"], prefix.as_str());
    assert!(item["last_used_at"].is_string(), "{item}");
    assert!(item["revoked_at"].is_null());

    // Someone else cannot revoke it; its owner can, and it stops at once.
    let theirs = app
        .delete_as(
            &cast.member,
            &format!("/api/v1/workspaces/acme/tokens/{id}"),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let revoked = app
        .delete_as(&cast.admin, &format!("/api/v1/workspaces/acme/tokens/{id}"))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
    let after = app
        .bearer("GET", "/api/v1/workspaces/acme/tasks", &token, None)
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&after), "invalid_token");

    // Garbage and unknown tokens alike.
    for bad in ["nonsense", "bst_", &format!("bst_{}", "A".repeat(43))] {
        let answer = app
            .bearer("GET", "/api/v1/workspaces/acme/tasks", bad, None)
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_a_token_replaces_its_secret_at_once_and_needs_a_session() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (old, id) = create_token(&app, "acme", &cast.admin).await;
    let rotate = format!("/api/v1/workspaces/acme/tokens/{id}/rotate");

    // A token cannot rotate tokens, not even itself: a leaked one cannot renew itself.
    let by_token = app.bearer("POST", &rotate, &old, None).await;
    assert_eq!(by_token.status, StatusCode::FORBIDDEN, "{}", by_token.body);

    let rotated = app.post_as(&cast.admin, &rotate, json!({})).await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{}", rotated.body);
    let json = rotated.json();
    let new = json["token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(json["details"]["name"], "CI deploy");
    let new_id = json["details"]["id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, id);

    // The old secret stops at once; the new one works.
    let before = app
        .bearer("GET", "/api/v1/workspaces/acme/tasks", &old, None)
        .await;
    assert_eq!(before.status, StatusCode::UNAUTHORIZED);
    let after = app
        .bearer("GET", "/api/v1/workspaces/acme/tasks", &new, None)
        .await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);

    // A revoked token is not brought back by rotating it.
    let again = app.post_as(&cast.admin, &rotate, json!({})).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );
    assert_eq!(again.json()["error"]["field"], "token_id");
    let list = app
        .get_as(&cast.admin, "/api/v1/workspaces/acme/tokens")
        .await;
    let live: Vec<_> = list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["revoked_at"].is_null())
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(live, [new_id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_works_only_in_its_own_workspace() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    // The admin belongs to both workspaces; the token is for acme only.
    let globex = workspaces::find_by_slug(&app.db.pool, "globex")
        .await
        .unwrap()
        .unwrap();
    accounts::add_member(&app.db.pool, &globex, cast.admin_id, "admin", Actor::System)
        .await
        .unwrap();
    let (token, _) = create_token(&app, "acme", &cast.admin).await;

    let by_session = app
        .get_as(&cast.admin, "/api/v1/workspaces/globex/tasks")
        .await;
    assert_eq!(by_session.status, StatusCode::OK);
    for (method, path, body) in [
        ("GET", "/api/v1/workspaces/globex/tasks", None),
        ("GET", "/api/v1/workspaces/globex/members", None),
        ("GET", "/api/v1/workspaces/globex/tokens", None),
        (
            "POST",
            "/api/v1/workspaces/globex/integrations",
            Some(json!({"kind": "github", "name": "x", "access_token": "ghp_0123456789"})),
        ),
        (
            "POST",
            "/api/v1/workspaces/globex/projects",
            Some(json!({"name": "Sneaky"})),
        ),
    ] {
        let answer = app.bearer(method, path, &token, body).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
    }

    // Account settings need a session; /me answers with the token's workspace only.
    for (method, path) in [
        ("GET", "/api/v1/workspaces"),
        ("GET", "/api/v1/me/sessions"),
        ("POST", "/api/v1/auth/sign-out"),
    ] {
        let answer = app.bearer(method, path, &token, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(code(&answer), "session_required");
    }
    let me = app.bearer("GET", "/api/v1/me", &token, None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let me = me.json();
    assert_eq!(me["user"]["id"], cast.admin_id.to_string());
    assert_eq!(
        me["workspaces"],
        json!([{"slug": "acme", "name": "Acme", "plan": "starter"}])
    );

    // A token cannot mint more tokens.
    let minted = app
        .bearer(
            "POST",
            "/api/v1/workspaces/acme/tokens",
            &token,
            Some(json!({"name": "child"})),
        )
        .await;
    assert_eq!(minted.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_stop_and_expiry_must_be_in_the_future() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let past = app
        .post_as(
            &cast.member,
            "/api/v1/workspaces/acme/tokens",
            json!({"name": "old", "expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(past.json()["error"]["field"], "expires_at");

    let answer = app
        .post_as(
            &cast.member,
            "/api/v1/workspaces/acme/tokens",
            json!({"name": "soon", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "five years at most"
    );
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let answer = app
        .post_as(
            &cast.member,
            "/api/v1/workspaces/acme/tokens",
            json!({"name": "soon", "expires_at": soon}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let token = answer.json()["token"].as_str().unwrap().to_owned();
    let id = answer.json()["details"]["id"].as_str().unwrap().to_owned();
    let ok = app
        .bearer("GET", "/api/v1/workspaces/acme/projects", &token, None)
        .await;
    assert_eq!(ok.status, StatusCode::OK);

    sqlx::query(
        "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1::uuid",
    )
    .bind(&id)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let expired = app
        .bearer("GET", "/api/v1/workspaces/acme/projects", &token, None)
        .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&expired), "invalid_token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_members_token_stops_at_once() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (token, _) = create_token(&app, "acme", &cast.member).await;
    let before = app
        .bearer("GET", "/api/v1/workspaces/acme/tasks", &token, None)
        .await;
    assert_eq!(before.status, StatusCode::OK);

    let deactivate = app
        .patch_as(
            &cast.admin,
            &format!("/api/v1/workspaces/acme/members/{}", cast.member_id),
            json!({"active": false}),
        )
        .await;
    assert_eq!(deactivate.status, StatusCode::OK, "{}", deactivate.body);
    let after = app
        .bearer("GET", "/api/v1/workspaces/acme/tasks", &token, None)
        .await;
    assert_eq!(after.status, StatusCode::NOT_FOUND);
    let me = app.bearer("GET", "/api/v1/me", &token, None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);

    // And a deactivated member cannot make one.
    let denied = app
        .post_as(
            &cast.deactivated,
            "/api/v1/workspaces/acme/tokens",
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guests_token_sees_only_what_the_guest_sees() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let viewed = app.seed_task("acme", cast.admin_id, false).await;
    let other = app.seed_task("acme", cast.admin_id, false).await;
    let ws = workspaces::find_by_slug(&app.db.pool, "acme")
        .await
        .unwrap()
        .unwrap();
    let mut tx = bastion_core::TenantTx::begin(&app.db.pool, &ws.schema(), Actor::System)
        .await
        .unwrap();
    sqlx::query("INSERT INTO task_viewers (task_id, user_id) VALUES ($1, $2)")
        .bind(viewed)
        .bind(cast.guest_id)
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (token, _) = create_token(&app, "acme", &cast.guest).await;

    let list = app
        .bearer("GET", "/api/v1/workspaces/acme/tasks", &token, None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let ids: Vec<String> = list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![viewed.to_string()]);
    let hidden = app
        .bearer(
            "GET",
            &format!("/api/v1/workspaces/acme/tasks/{other}"),
            &token,
            None,
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    for (path, body) in [
        (
            "/api/v1/workspaces/acme/projects",
            json!({"name": "Guest project"}),
        ),
        ("/api/v1/workspaces/acme/tags", json!({"name": "guest-tag"})),
    ] {
        let answer = app.bearer("POST", path, &token, Some(body)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
    }
    let members = app
        .bearer("GET", "/api/v1/workspaces/acme/members", &token, None)
        .await;
    assert_eq!(members.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_requests_skip_the_origin_check_ignore_cookies_and_get_none() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (admin_token, _) = create_token(&app, "acme", &cast.admin).await;
    let (guest_token, _) = create_token(&app, "acme", &cast.guest).await;
    let post = |token: Option<&str>, cookie: Option<&str>| {
        let mut request = axum::http::Request::post("/api/v1/workspaces/acme/projects")
            .header("origin", "https://evil.example")
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request
            .body(axum::body::Body::from(
                json!({"name": "From a script"}).to_string(),
            ))
            .unwrap()
    };

    // A browser session from another origin is refused; a token from anywhere is not.
    let by_cookie = app.send(post(None, Some(&cast.admin))).await;
    assert_eq!(by_cookie.status, StatusCode::FORBIDDEN);
    assert_eq!(code(&by_cookie), "cross_origin");
    let by_token = app.send(post(Some(&admin_token), None)).await;
    assert_eq!(by_token.status, StatusCode::CREATED, "{}", by_token.body);

    // With a bearer header the token alone counts: the admin's cookie beside a guest's token
    // acts as the guest, and a bad token beside a good cookie is refused.
    let mixed = app.send(post(Some(&guest_token), Some(&cast.admin))).await;
    assert_eq!(mixed.status, StatusCode::FORBIDDEN);
    assert_eq!(code(&mixed), "forbidden");
    let bad = app.send(post(Some("bst_nope"), Some(&cast.admin))).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);

    // Even an answer that would start a session sets no cookie for a bearer request.
    let sign_in = app
        .bearer(
            "POST",
            "/api/v1/auth/sign-in",
            &admin_token,
            Some(json!({"email": "admin@example.eu", "password": common::PASSWORD})),
        )
        .await;
    assert_eq!(sign_in.status, StatusCode::OK, "{}", sign_in.body);
    assert!(sign_in.headers.get("set-cookie").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_token_is_rate_limited_with_retry_after() {
    let app = spawn_app_with(&[("BASTION_TOKEN_RATE_LIMIT", "3")]).await;
    let cast = Cast::new(&app).await;
    let (token, _) = create_token(&app, "acme", &cast.admin).await;
    let (other, _) = create_token(&app, "acme", &cast.member).await;
    for _ in 0..3 {
        let ok = app
            .bearer("GET", "/api/v1/workspaces/acme/projects", &token, None)
            .await;
        assert_eq!(ok.status, StatusCode::OK);
    }
    let limited = app
        .bearer("GET", "/api/v1/workspaces/acme/projects", &token, None)
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code(&limited), "rate_limited");
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another token, and the browser session, are counted apart.
    let ok = app
        .bearer("GET", "/api/v1/workspaces/acme/projects", &other, None)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let session = app
        .get_as(&cast.admin, "/api/v1/workspaces/acme/projects")
        .await;
    assert_eq!(session.status, StatusCode::OK);
}

/// Found by schemathesis: PostgreSQL text cannot hold NUL, so it is refused as invalid input
/// (422 naming the field) before any query, not answered with a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_characters_are_invalid_input_not_server_errors() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (token, _) = create_token(&app, "acme", &cast.admin).await;
    let reset = app
        .call(
            "POST",
            "/api/v1/auth/password-reset",
            None,
            Some(json!({"email": "a\u{0}@example.eu"})),
        )
        .await;
    assert_eq!(
        reset.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reset.body
    );
    let project = app
        .bearer(
            "POST",
            "/api/v1/workspaces/acme/projects",
            &token,
            Some(json!({"name": "nul\u{0}"})),
        )
        .await;
    assert_eq!(project.status, StatusCode::UNPROCESSABLE_ENTITY);
    for query in ["q=%00", "status=%00"] {
        let list = app
            .bearer(
                "GET",
                &format!("/api/v1/workspaces/acme/tasks?{query}"),
                &token,
                None,
            )
            .await;
        assert_eq!(list.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    let slug = app
        .bearer("GET", "/api/v1/workspaces/ac%00me/tasks", &token, None)
        .await;
    assert_eq!(slug.status, StatusCode::NOT_FOUND);
}
