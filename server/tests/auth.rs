//! Sign-in, sessions and the cross-origin guard, through the real router on real PostgreSQL.

mod common;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use bastion_core::accounts;
use common::{spawn_app, PASSWORD};
use serde_json::json;

async fn with_user(app: &common::TestApp, email: &str) {
    accounts::create_user(&app.db.pool, email, "Ada", PASSWORD)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sets_a_hardened_cookie_and_me_answers() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let answer = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ADA@example.eu ", "password": PASSWORD})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let set_cookie = answer.header("set-cookie");
    assert!(set_cookie.starts_with("bastion_session="));
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} in {set_cookie}"
        );
    }
    // Plain HTTP on loopback: no Secure attribute (the browser would drop the cookie).
    assert!(!set_cookie.contains("Secure"));

    let me = app.get_as(&answer.session_cookie(), "/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["user"]["email"], "ada@example.eu");
    assert_eq!(me.json()["workspaces"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let wrong_password = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ada@example.eu", "password": "not the password at all"})),
        )
        .await;
    let unknown = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "nobody@example.eu", "password": "not the password at all"})),
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong_password.status);
    assert_eq!(unknown.body, wrong_password.body);
    assert_eq!(unknown.json()["error"]["code"], "invalid_credentials");
    assert!(unknown.headers.get("set-cookie").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sign_in_gets_a_new_session_and_ends_the_old_one() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let first = app.sign_in("ada@example.eu").await;
    let second = app
        .post_as(
            &first,
            "/api/v1/auth/sign-in",
            json!({"email": "ada@example.eu", "password": PASSWORD}),
        )
        .await
        .session_cookie();
    assert_ne!(first, second);
    assert_eq!(
        app.get_as(&first, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_as(&second, "/api/v1/me").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let cookie = app.sign_in("ada@example.eu").await;
    let out = app
        .call("POST", "/api/v1/auth/sign-out", Some(&cookie), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    // Replaying the old cookie does not work: the session is gone server-side.
    let me = app.get_as(&cookie, "/api/v1/me").await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.json()["error"]["code"], "unauthenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_absolute_expiry_end_sessions() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let idle = app.sign_in("ada@example.eu").await;
    let absolute = app.sign_in("ada@example.eu").await;
    let admin = sqlx::PgPool::connect_with(app.db.admin_options())
        .await
        .unwrap();
    // Make the first session idle for 12 h and the second 30 days old.
    let sessions: Vec<(uuid::Uuid,)> =
        sqlx::query_as("SELECT id FROM sessions ORDER BY created_at")
            .fetch_all(&admin)
            .await
            .unwrap();
    assert_eq!(sessions.len(), 2);
    sqlx::query("UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(sessions[0].0)
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE sessions SET absolute_expires_at = now() - interval '1 second' WHERE id = $1",
    )
    .bind(sessions[1].0)
    .execute(&admin)
    .await
    .unwrap();
    for cookie in [&idle, &absolute] {
        let me = app.get_as(cookie, "/api/v1/me").await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    }
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(left, 0, "expired sessions are deleted when seen");
    // The idle and absolute deadlines are 12 h and 30 days from sign-in.
    let _fresh = app.sign_in("ada@example.eu").await;
    let (idle_h, absolute_d): (f64, f64) = sqlx::query_as(
        "SELECT extract(epoch FROM idle_expires_at - created_at)::float8 / 3600,
                extract(epoch FROM absolute_expires_at - created_at)::float8 / 86400
         FROM sessions",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!((idle_h - 12.0).abs() < 0.01, "{idle_h}");
    assert!((absolute_d - 30.0).abs() < 0.01, "{absolute_d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_holds_no_usable_session_token() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let cookie = app.sign_in("ada@example.eu").await;
    let token = cookie.split_once('=').unwrap().1;
    let admin = sqlx::PgPool::connect_with(app.db.admin_options())
        .await
        .unwrap();
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32, "a SHA-256, not the token");
    assert!(!String::from_utf8_lossy(&stored).contains(token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changing_requests_from_another_origin_are_refused() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let cookie = app.sign_in("ada@example.eu").await;
    for origin in ["https://evil.example", "http://127.0.0.1:3001", "null"] {
        let answer = app
            .send(
                Request::post("/api/v1/auth/sign-out")
                    .header(header::ORIGIN, origin)
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(answer.json()["error"]["code"], "cross_origin");
    }
    // A browser that sends no Origin but says the request is cross-site is refused too.
    let answer = app
        .send(
            Request::post("/api/v1/auth/sign-out")
                .header("sec-fetch-site", "cross-site")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // The session survived all of that.
    assert_eq!(
        app.get_as(&cookie, "/api/v1/me").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_name_the_problem() {
    let app = spawn_app().await;
    let missing = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "a@b.eu"})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{}",
        missing.body
    );

    let not_json = app
        .send(
            Request::post("/api/v1/auth/sign-in")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{nope"))
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(not_json.json()["error"]["field"], "body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_page_signs_in_through_its_server_function() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let page = app.get("/sign-in").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"<label for="email""#),
        "labelled inputs"
    );
    assert!(
        page.body.contains(r#"action="/api/fn/sign_in""#),
        "{}",
        page.body
    );

    // Without JavaScript the form posts and follows the redirect.
    let form = |password: &str| {
        Request::post("/api/fn/sign_in")
            .header(header::ORIGIN, common::ORIGIN)
            .header(header::REFERER, format!("{}/sign-in", common::ORIGIN))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .body(Body::from(format!(
                "email=ada%40example.eu&password={}",
                password.replace(' ', "+")
            )))
            .unwrap()
    };
    let wrong = app.send(form("wrong password entirely")).await;
    assert!(wrong.headers.get("set-cookie").is_none());
    // A refusal goes back to the form, with the error for the page to show: a browser follows
    // no redirect from a 4xx, so a status set for the API must not reach a plain form post.
    assert_eq!(wrong.status, StatusCode::SEE_OTHER, "{}", wrong.body);
    let back = wrong
        .header("location")
        .strip_prefix(common::ORIGIN)
        .unwrap_or_else(|| panic!("back to the form: {}", wrong.header("location")))
        .to_owned();
    assert!(back.starts_with("/sign-in?"), "{back}");
    assert!(back.contains("__err="), "{back}");
    let shown = app.get(&back).await;
    assert_eq!(shown.status, StatusCode::OK);
    let message = "The email or password is wrong.";
    assert!(!page.body.contains(message));
    assert!(shown.body.contains(message), "{}", shown.body);

    let signed_in = app.send(form(PASSWORD)).await;
    assert!(
        signed_in.status.is_redirection(),
        "{} {}",
        signed_in.status,
        signed_in.body
    );
    assert_eq!(signed_in.header("location"), "/account");
    let cookie = signed_in.session_cookie();
    assert!(signed_in.header("set-cookie").contains("HttpOnly"));

    let account = app
        .send(
            Request::get("/account")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.body.contains("ada@example.eu"), "{}", account.body);

    // What a form posted without script did is said on the page it comes back to, once.
    let saved = "Colour scheme saved.";
    assert!(!account.body.contains(saved));
    let set_theme = |theme: &str| {
        app.send(
            Request::post("/api/fn/set_theme")
                .header(header::ORIGIN, common::ORIGIN)
                .header(header::REFERER, format!("{}/account", common::ORIGIN))
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "text/html")
                .body(Body::from(format!("theme={theme}")))
                .unwrap(),
        )
    };
    let theme = set_theme("dark").await;
    assert_eq!(theme.status, StatusCode::SEE_OTHER, "{}", theme.body);
    assert_eq!(
        theme.header("location"),
        format!("{}/account", common::ORIGIN)
    );
    let flash = theme.header("set-cookie");
    assert!(flash.starts_with("bastion_flash="), "{flash}");
    assert!(
        flash.contains("HttpOnly") && flash.contains("Max-Age=60"),
        "{flash}"
    );
    let flash = flash.split(';').next().unwrap().to_owned();
    let page = |cookies: String| {
        app.send(
            Request::get("/account")
                .header(header::COOKIE, cookies)
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
                .unwrap(),
        )
    };
    let landed = page(format!("{cookie}; {flash}")).await;
    assert_eq!(landed.status, StatusCode::OK);
    assert!(landed.body.contains(saved), "{}", landed.body);
    assert!(landed.body.contains(r#"data-theme="dark""#));
    assert!(landed
        .body
        .contains(r#"data-flash-path="/api/fn/set_theme""#));
    assert!(
        landed.headers.get_all(header::SET_COOKIE).iter().any(|v| v
            .to_str()
            .unwrap()
            .starts_with("bastion_flash=; Path=/; Max-Age=0")),
        "the page spends the flash"
    );
    let again = page(cookie.clone()).await;
    assert!(!again.body.contains(saved));

    // A refusal carries nothing but its error.
    let refused = set_theme("purple").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    assert!(refused.header("location").contains("__err="));
    assert!(refused.headers.get(header::SET_COOKIE).is_none());

    // The server function is guarded against cross-origin posts like the REST API.
    let mut cross = form(PASSWORD);
    cross
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    assert_eq!(app.send(cross).await.status, StatusCode::FORBIDDEN);
}

async fn sign_in_attempt(
    app: &common::TestApp,
    email: &str,
    password: &str,
    ip: &str,
) -> common::Answer {
    sign_in_with_agent(app, email, password, ip, "").await
}

/// A REST sign-in from `ip`, saying it is `agent` (none when empty).
async fn sign_in_with_agent(
    app: &common::TestApp,
    email: &str,
    password: &str,
    ip: &str,
    agent: &str,
) -> common::Answer {
    let mut request = Request::post("/api/v1/auth/sign-in")
        .header(header::ORIGIN, common::ORIGIN)
        .header(header::CONTENT_TYPE, "application/json");
    if !agent.is_empty() {
        request = request.header(header::USER_AGENT, agent);
    }
    let mut request = request
        .body(Body::from(
            json!({"email": email, "password": password}).to_string(),
        ))
        .unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(
        format!("{ip}:40000")
            .parse::<std::net::SocketAddr>()
            .unwrap(),
    ));
    app.send(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_failures_lock_the_account_for_fifteen_minutes() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    for attempt in 1..=10 {
        let answer =
            sign_in_attempt(&app, "ada@example.eu", "wrong password here", "10.0.0.1").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    // Locked: even the right password is refused, with the time to wait.
    let locked = sign_in_attempt(&app, "ada@example.eu", PASSWORD, "10.0.0.2").await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    let retry: i64 = locked.header("retry-after").parse().unwrap();
    assert!((890..=900).contains(&retry), "{retry}");
    assert_eq!(locked.json()["error"]["code"], "rate_limited");

    // An unknown email locks the same way, so a lock reveals nothing.
    for _ in 1..=10 {
        sign_in_attempt(&app, "nobody@example.eu", "wrong password here", "10.0.0.3").await;
    }
    let ghost = sign_in_attempt(&app, "nobody@example.eu", "wrong password here", "10.0.0.4").await;
    assert_eq!(ghost.status, StatusCode::TOO_MANY_REQUESTS);

    // Fifteen minutes later (moved back in time), the right password works again.
    let admin = sqlx::PgPool::connect_with(app.db.admin_options())
        .await
        .unwrap();
    sqlx::query("UPDATE account_locks SET locked_until = now() - interval '1 second'")
        .execute(&admin)
        .await
        .unwrap();
    let back = sign_in_attempt(&app, "ada@example.eu", PASSWORD, "10.0.0.2").await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nine_failures_then_success_start_the_count_again() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    for _ in 1..=9 {
        sign_in_attempt(&app, "ada@example.eu", "wrong password here", "10.0.0.1").await;
    }
    assert_eq!(
        sign_in_attempt(&app, "ada@example.eu", PASSWORD, "10.0.0.1")
            .await
            .status,
        StatusCode::OK
    );
    for _ in 1..=9 {
        sign_in_attempt(&app, "ada@example.eu", "wrong password here", "10.0.0.1").await;
    }
    assert_eq!(
        sign_in_attempt(&app, "ada@example.eu", PASSWORD, "10.0.0.1")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_is_throttled_across_accounts() {
    let app = spawn_app().await;
    let limit = bastion_core::limits::LOGIN_ATTEMPTS_PER_IP;
    // Spread over many emails so no account lock is involved.
    for i in 0..limit {
        let answer = sign_in_attempt(
            &app,
            &format!("user{i}@example.eu"),
            "whatever it is",
            "10.9.9.9",
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let throttled = sign_in_attempt(&app, "another@example.eu", "whatever it is", "10.9.9.9").await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.header("retry-after").parse::<i64>().unwrap() > 0);
    // Another address is not affected.
    let elsewhere = sign_in_attempt(&app, "another@example.eu", "whatever it is", "10.8.8.8").await;
    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_lists_and_revokes_their_sessions() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let laptop = app.sign_in("ada@example.eu").await;
    let phone = app.sign_in("ada@example.eu").await;
    let listed = app.get_as(&laptop, "/api/v1/me/sessions").await;
    assert_eq!(listed.status, StatusCode::OK);
    let items = listed.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let other = items.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app
        .delete_as(&laptop, &format!("/api/v1/me/sessions/{other}"))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_as(&phone, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_as(&laptop, "/api/v1/me").await.status,
        StatusCode::OK
    );
    let again = app
        .delete_as(&laptop, &format!("/api/v1/me/sessions/{other}"))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_ends_the_other_sessions() {
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let here = app.sign_in("ada@example.eu").await;
    let elsewhere = app.sign_in("ada@example.eu").await;

    let weak = app
        .put_as(
            &here,
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.json()["error"]["field"], "new_password");
    let wrong = app
        .put_as(&here, "/api/v1/me/password", json!({"current_password": "not the password", "new_password": "a brand new passphrase"}))
        .await;
    assert_eq!(wrong.json()["error"]["field"], "current_password");
    assert_eq!(
        app.get_as(&elsewhere, "/api/v1/me").await.status,
        StatusCode::OK
    );

    let changed = app
        .put_as(
            &here,
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    assert_eq!(app.get_as(&here, "/api/v1/me").await.status, StatusCode::OK);
    assert_eq!(
        app.get_as(&elsewhere, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let old = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ada@example.eu", "password": PASSWORD})),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ada@example.eu", "password": "a brand new passphrase"})),
        )
        .await;
    assert_eq!(new.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let app = common::spawn_app_with(&[("BASTION_TRUSTED_PROXIES", "10.0.0.2")]).await;
    let attempt = |peer: &'static str, forwarded: &'static str| {
        let mut request = Request::post("/api/v1/auth/sign-in")
            .header(header::ORIGIN, common::ORIGIN)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-forwarded-for", forwarded)
            .body(Body::from(
                json!({"email": "x@example.eu", "password": "whatever it is"}).to_string(),
            ))
            .unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(
            format!("{peer}:40000")
                .parse::<std::net::SocketAddr>()
                .unwrap(),
        ));
        request
    };
    // Through the balancer: counted under the client it reports (the right-most entry).
    app.send(attempt("10.0.0.2", "198.51.100.1, 203.0.113.7"))
        .await;
    // Straight from a client that forges the header: counted under its own address.
    app.send(attempt("192.0.2.9", "203.0.113.99")).await;
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT key FROM rate_limits WHERE key LIKE 'login-ip:%' ORDER BY key")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(keys, vec!["login-ip:192.0.2.9", "login-ip:203.0.113.7"]);
}

/// A sign-in over REST from `agent` at `ip`.
async fn sign_in_from(app: &common::TestApp, email: &str, agent: &str, ip: &str) -> common::Answer {
    sign_in_with_agent(app, email, PASSWORD, ip, agent).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_from_a_new_device_is_mailed_to_the_owner_in_their_language() {
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    let app = spawn_app().await;
    with_user(&app, "ada@example.eu").await;
    let mails = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT subject FROM outbox WHERE recipient = 'ada@example.eu' ORDER BY created_at",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
    };
    // The account's first device is its own: nothing to tell. Again from it, on another address
    // of the same network: still nothing.
    assert_eq!(
        sign_in_from(&app, "ada@example.eu", FIREFOX, "203.0.113.5")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sign_in_from(&app, "ada@example.eu", FIREFOX, "203.0.113.77")
            .await
            .status,
        StatusCode::OK
    );
    assert!(mails().await.is_empty(), "{:?}", mails().await);

    // A phone on another network: the owner is told what and where, without the full address.
    assert_eq!(
        sign_in_from(&app, "ada@example.eu", PHONE, "198.51.100.23")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(mails().await, vec!["New sign-in to your Bastion account"]);
    let body = bastion_core::testing::newest_mail(&app.db.pool, "ada@example.eu").await;
    assert!(
        body.contains("Chrome (Android), from the network 198.51.100.0/24"),
        "{body}"
    );
    assert!(!body.contains("198.51.100.23"), "{body}");

    // Known now; and the same browser on a new network is a new device, told in the account's
    // language.
    assert_eq!(
        sign_in_from(&app, "ada@example.eu", PHONE, "198.51.100.99")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(mails().await.len(), 1);
    sqlx::query("UPDATE users SET locale = 'nl-BE' WHERE email = 'ada@example.eu'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        sign_in_from(&app, "ada@example.eu", FIREFOX, "192.0.2.1")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        mails().await.last().map(String::as_str),
        Some("Nieuwe aanmelding bij uw Bastion-account")
    );
    let body = bastion_core::testing::newest_mail(&app.db.pool, "ada@example.eu").await;
    assert!(
        body.contains("Firefox (Linux), vanaf het netwerk 192.0.2.0/24"),
        "{body}"
    );

    // The account page names the devices the same way, and its times are Brussels time.
    let cookie = sign_in_from(&app, "ada@example.eu", FIREFOX, "192.0.2.1")
        .await
        .session_cookie();
    let page = app
        .send(
            Request::get("/account")
                .header(header::COOKIE, &cookie)
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "Chrome (Android)",
        "Firefox (Linux)",
        "Laatst actief (tijd in Brussel)",
    ] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    assert!(
        !page.body.contains("UTC") && !page.body.contains("Gecko/"),
        "{}",
        page.body
    );
}
