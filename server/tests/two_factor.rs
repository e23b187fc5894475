//! Two-factor sign-in through both doors (REST and the pages' server functions): the password
//! alone never yields a session for an enrolled account, the code does once, and the session
//! records how it was opened.

mod common;

use axum::http::StatusCode;
use bastion_core::{
    accounts,
    two_factor::{code_at_step, step_at, TotpSecret},
};
use common::{spawn_app, TestApp, PASSWORD};
use serde_json::json;

fn step() -> i64 {
    step_at(time::OffsetDateTime::now_utc().unix_timestamp())
}

/// Enrols `email` over REST and answers its secret, a session cookie and the recovery codes.
async fn enrolled(app: &TestApp, email: &str) -> (TotpSecret, String, Vec<String>) {
    accounts::create_user(&app.db.pool, email, "Ada", PASSWORD)
        .await
        .unwrap();
    let cookie = app.sign_in(email).await;
    let started = app
        .post_as(&cookie, "/api/v1/me/two-factor/enrolment", json!({}))
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let secret = TotpSecret::from_base32(started.json()["secret"].as_str().unwrap()).unwrap();
    assert!(started.json()["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    let wrong = app
        .post_as(
            &cookie,
            "/api/v1/me/two-factor/enrolment/confirm",
            json!({"code": "12345"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json()["error"]["field"], "code");
    let confirmed = app
        .post_as(
            &cookie,
            "/api/v1/me/two-factor/enrolment/confirm",
            json!({"code": code_at_step(secret.bytes(), step() - 1)}),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let codes: Vec<String> = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, cookie, codes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_rest_the_password_gives_a_challenge_and_only_the_code_a_session() {
    let app = spawn_app().await;
    let (secret, _, codes) = enrolled(&app, "ada.totp@example.eu").await;

    let password = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ada.totp@example.eu", "password": PASSWORD})),
        )
        .await;
    assert_eq!(password.status, StatusCode::ACCEPTED, "{}", password.body);
    assert!(
        password.headers.get("set-cookie").is_none(),
        "no session before the code"
    );
    let challenge = password.json()["challenge"].as_str().unwrap().to_owned();
    assert_eq!(password.json()["expires_in_secs"], 300);

    let code = code_at_step(secret.bytes(), step() + 1);
    let signed_in = app
        .call(
            "POST",
            "/api/v1/auth/sign-in/second-factor",
            None,
            Some(json!({"challenge": challenge, "code": code})),
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    let cookie = signed_in.session_cookie();
    let sessions = app.get_as(&cookie, "/api/v1/me/sessions").await;
    let current = sessions.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .cloned()
        .unwrap();
    assert_eq!(current["factor"], "totp");

    // The same code again, with a fresh challenge: refused.
    let again = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ada.totp@example.eu", "password": PASSWORD})),
        )
        .await;
    let challenge = again.json()["challenge"].as_str().unwrap().to_owned();
    let replay = app
        .call(
            "POST",
            "/api/v1/auth/sign-in/second-factor",
            None,
            Some(json!({"challenge": challenge, "code": code})),
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(replay.headers.get("set-cookie").is_none());
    // A recovery code on the same challenge works, once.
    let recovered = app
        .call(
            "POST",
            "/api/v1/auth/sign-in/second-factor",
            None,
            Some(json!({"challenge": challenge, "code": codes[0]})),
        )
        .await;
    assert_eq!(recovered.status, StatusCode::OK, "{}", recovered.body);
    let status = app
        .get_as(&recovered.session_cookie(), "/api/v1/me/two-factor")
        .await;
    let status = status.json();
    let kinds: Vec<&str> = status["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"recovery_code_used"), "{kinds:?}");
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_page_the_challenge_waits_in_a_cookie_that_opens_nothing() {
    let app = spawn_app().await;
    let (secret, _, _) = enrolled(&app, "bo.totp@example.eu").await;

    let password = app
        .server_fn(
            "sign_in",
            "",
            "email=bo.totp%40example.eu&password=correct+horse+battery+staple&next=%2Fw%2Facme",
        )
        .await;
    let set = password.header("set-cookie").to_owned();
    assert!(set.starts_with("bastion_sign_in="), "{set}");
    assert!(!set.contains("bastion_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("Max-Age=300"),
        "{set}"
    );
    let challenge_cookie = set.split(';').next().unwrap().to_owned();
    // The challenge is no session.
    let me = app.get_as(&challenge_cookie, "/api/v1/me").await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);

    let wrong = app
        .server_fn("finish_sign_in", &challenge_cookie, "code=000000")
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains("The code is wrong"), "{}", wrong.body);

    let code = code_at_step(secret.bytes(), step() + 1);
    let done = app
        .server_fn(
            "finish_sign_in",
            &challenge_cookie,
            &format!("code={code}&next=%2Fw%2Facme"),
        )
        .await;
    let cookies: Vec<&str> = done
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("bastion_session="))
        .unwrap_or_else(|| panic!("no session in {cookies:?}: {}", done.body));
    assert!(cookies
        .iter()
        .any(|c| c.starts_with("bastion_sign_in=;") && c.contains("Max-Age=0")));
    let session = session.split(';').next().unwrap();
    let me = app.get_as(session, "/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK);

    // The spent challenge opens nothing more.
    let again = app
        .server_fn(
            "finish_sign_in",
            &challenge_cookie,
            &format!("code={}", code_at_step(secret.bytes(), step() + 1)),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("Sign in again"), "{}", again.body);
}
