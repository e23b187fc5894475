//! Door parity for the identity capability: the limits and refusals that used to be written once
//! per door (and had drifted) answer alike through REST and through the pages' server functions,
//! and what one door counts, the other sees.

use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, Request, StatusCode},
};
use bastion_core::{accounts, members, resets, workspaces, Actor, Slug};
use serde_json::json;

use crate::common::{spawn_app, Answer, Cast, TestApp, ORIGIN, PASSWORD};

/// A same-origin request from the client at `peer` (the address the limits count).
async fn from_peer(
    app: &TestApp,
    peer: Option<&str>,
    uri: &str,
    cookie: Option<&str>,
    content_type: &str,
    body: String,
) -> Answer {
    let mut request = Request::post(uri)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let mut request = request.body(Body::from(body)).unwrap();
    if let Some(peer) = peer {
        let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(addr));
    }
    app.send(request).await
}

async fn rest_reset(app: &TestApp, peer: Option<&str>, email: &str) -> Answer {
    from_peer(
        app,
        peer,
        "/api/v1/auth/password-reset",
        None,
        "application/json",
        json!({ "email": email }).to_string(),
    )
    .await
}

/// The forgot-password page's server function (`endpoint = "request_reset"`).
async fn page_reset(app: &TestApp, peer: Option<&str>, email: &str) -> Answer {
    from_peer(
        app,
        peer,
        "/api/fn/request_reset",
        None,
        "application/x-www-form-urlencoded",
        format!("email={}", email.replace('@', "%40")),
    )
    .await
}

async fn mails_to(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE recipient = $1")
        .bind(email)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_requests_share_one_limit_per_client_address_across_doors() {
    let app = spawn_app().await;
    let limit = resets::REQUESTS_PER_CLIENT as usize;

    // Exhausted through REST: the page refuses too.
    let rest_first = Some("203.0.113.7");
    for n in 0..limit {
        let answer = rest_reset(&app, rest_first, &format!("r{n}@example.eu")).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{n}: {}", answer.body);
    }
    assert_eq!(
        rest_reset(&app, rest_first, "more@example.eu").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let page = page_reset(&app, rest_first, "more@example.eu").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);

    // Exhausted through the page: REST refuses too. Another client is not affected.
    let page_first = Some("198.51.100.4");
    for n in 0..limit {
        let answer = page_reset(&app, page_first, &format!("p{n}@example.eu")).await;
        assert_eq!(answer.status, StatusCode::OK, "{n}: {}", answer.body);
    }
    assert_eq!(
        page_reset(&app, page_first, "more@example.eu").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let rest = rest_reset(&app, page_first, "more@example.eu").await;
    assert_eq!(rest.status, StatusCode::TOO_MANY_REQUESTS, "{}", rest.body);
    assert!(rest.header("retry-after").parse::<u64>().unwrap() > 0);
    assert_eq!(
        page_reset(&app, Some("192.0.2.1"), "more@example.eu")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_codes_per_account_are_capped_silently_across_doors() {
    let app = spawn_app().await;
    let email = "ada@example.eu";
    accounts::create_user(&app.db.pool, email, "Ada", PASSWORD)
        .await
        .unwrap();
    let cap = resets::REQUESTS_PER_EMAIL as usize;
    for n in 0..cap + 2 {
        // Alternate the doors; every answer is the same, whether or not a code went out.
        let answer = if n % 2 == 0 {
            rest_reset(&app, None, email).await
        } else {
            page_reset(&app, None, email).await
        };
        assert!(answer.status.is_success(), "{n}: {}", answer.body);
    }
    assert_eq!(mails_to(&app, email).await, cap as i64);
}

async fn rest_create_workspace(app: &TestApp, cookie: &str, name: &str) -> Answer {
    app.post_as(cookie, "/api/v1/workspaces", json!({ "name": name }))
        .await
}

/// The new-workspace page's server function (`endpoint = "create_workspace"`).
async fn page_create_workspace(app: &TestApp, cookie: &str, name: &str) -> Answer {
    from_peer(
        app,
        None,
        "/api/fn/create_workspace",
        Some(cookie),
        "application/x-www-form-urlencoded",
        format!("name={}", name.replace(' ', "+")),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_creation_has_one_daily_limit_through_both_doors() {
    let app = spawn_app().await;
    let pool = &app.db.pool;
    let home = workspaces::create_workspace(
        pool,
        bastion_core::testing::master_keys(),
        &Slug::parse("home").unwrap(),
        "Home",
    )
    .await
    .unwrap();
    let mut cookies = Vec::new();
    for who in ["maker", "other"] {
        let email = format!("{who}@example.eu");
        let user = accounts::create_user(pool, &email, who, PASSWORD)
            .await
            .unwrap();
        accounts::add_member(pool, &home, user.id, "member", Actor::System)
            .await
            .unwrap();
        cookies.push(app.sign_in(&email).await);
    }
    let (maker, other) = (&cookies[0], &cookies[1]);

    // Half through each door: both count against the one limit.
    let limit = workspaces::CREATED_PER_USER as usize;
    for n in 0..limit {
        let name = format!("Side {n}");
        let answer = if n % 2 == 0 {
            rest_create_workspace(&app, maker, &name).await
        } else {
            page_create_workspace(&app, maker, &name).await
        };
        assert!(
            answer.status.is_success() || answer.status.is_redirection(),
            "{n}: {} {}",
            answer.status,
            answer.body
        );
    }
    let rest = rest_create_workspace(&app, maker, "One too many").await;
    assert_eq!(rest.status, StatusCode::TOO_MANY_REQUESTS, "{}", rest.body);
    let page = page_create_workspace(&app, maker, "One too many").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    let owned = accounts::workspaces_of(pool, app_user(&app, "maker@example.eu").await)
        .await
        .unwrap();
    assert_eq!(owned.len(), limit + 1, "nothing created past the limit");

    // The limit is the creator's own.
    let answer = rest_create_workspace(&app, other, "Elsewhere").await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
}

async fn app_user(app: &TestApp, email: &str) -> uuid::Uuid {
    accounts::find_user_by_email(&app.db.pool, email)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_changing_a_role_is_refused_alike_through_both_doors() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let sentence = members::ADMINS_MANAGE_MEMBERS;

    let rest = app
        .patch_as(
            &cast.member,
            &cast.api(&format!("/members/{}", cast.guest_id)),
            json!({ "role": "admin" }),
        )
        .await;
    assert_eq!(rest.status, StatusCode::FORBIDDEN, "{}", rest.body);
    assert_eq!(rest.json()["error"]["message"], sentence);

    let page = from_peer(
        &app,
        None,
        "/api/fn/change_member",
        Some(&cast.member),
        "application/x-www-form-urlencoded",
        format!("slug={}&user_id={}&role=admin", cast.slug, cast.guest_id),
    )
    .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.body.contains(sentence), "{}", page.body);

    // Neither door changed anything.
    let listed = app.get_as(&cast.admin, &cast.api("/members")).await;
    let guest = listed.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == cast.guest_id.to_string())
        .cloned()
        .unwrap();
    assert_eq!(guest["role"], "guest");
}
