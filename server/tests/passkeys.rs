//! Passkeys through both doors (REST and the pages' server functions), with the software
//! authenticator of `bastion_core::testing`: added over REST, a sign-in with no password that
//! starts a `passkey` session, a password sign-in that needs the passkey as its second step, and
//! removal. Core's refusals are tested in crates/core/tests/passkeys.rs.

mod common;

use axum::http::StatusCode;
use bastion_core::{accounts, testing::soft_passkey::SoftPasskey};
use common::{spawn_app, TestApp, PASSWORD};
use serde_json::json;

/// A form body as a page posts it (`application/x-www-form-urlencoded`).
fn form(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The factor of the session `cookie` opened, as the sessions list shows it.
async fn factor_of(app: &TestApp, cookie: &str) -> String {
    let sessions = app.get_as(cookie, "/api/v1/me/sessions").await;
    assert_eq!(sessions.status, StatusCode::OK, "{}", sessions.body);
    let list = sessions.json();
    let current = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()
        .clone();
    current["factor"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_added_over_rest_signs_in_alone_and_after_the_password() {
    let app = spawn_app().await;
    let email = "ada.passkeys@example.eu";
    accounts::create_user(&app.db.pool, email, "Ada", PASSWORD)
        .await
        .unwrap();
    let cookie = app.sign_in(email).await;

    let started = app
        .post_as(&cookie, "/api/v1/me/passkeys/registration", json!({}))
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let started = started.json();
    assert_eq!(started["options"]["publicKey"]["rp"]["id"], "localhost");
    let (mut passkey, answer) = SoftPasskey::create(&started["options"]);
    let added = app
        .post_as(
            &cookie,
            "/api/v1/me/passkeys",
            json!({"ceremony": started["ceremony"], "credential": answer, "name": "Laptop"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let id = added.json()["id"].as_str().unwrap().to_owned();
    let listed = app.get_as(&cookie, "/api/v1/me/passkeys").await.json();
    assert_eq!(listed["items"][0]["name"], "Laptop");
    assert!(listed["items"][0]["last_used_at"].is_null());
    let events = app.get_as(&cookie, "/api/v1/me/two-factor").await.json();
    assert_eq!(events["events"][0]["kind"], "passkey_added");

    // No email, no password.
    let options = app
        .call("POST", "/api/v1/auth/passkey/options", None, None)
        .await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.body);
    let options = options.json();
    let answer = passkey.get(&options["options"]);
    let signed_in = app
        .call(
            "POST",
            "/api/v1/auth/passkey",
            None,
            Some(json!({"ceremony": options["ceremony"], "credential": answer})),
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert_eq!(signed_in.json()["email"], email);
    let passkey_cookie = signed_in.session_cookie();
    assert_eq!(factor_of(&app, &passkey_cookie).await, "passkey");
    // The same answer again opens nothing.
    let again = app
        .call(
            "POST",
            "/api/v1/auth/passkey",
            None,
            Some(json!({"ceremony": options["ceremony"], "credential": answer})),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.json()["error"]["field"], "ceremony");
    assert!(again.headers.get("set-cookie").is_none());

    // The password alone no longer opens a session: the passkey is the second step.
    let password = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(password.status, StatusCode::ACCEPTED, "{}", password.body);
    assert!(password.headers.get("set-cookie").is_none());
    let challenge = password.json()["challenge"].clone();
    let options = app
        .call(
            "POST",
            "/api/v1/auth/sign-in/second-factor/passkey/options",
            None,
            Some(json!({"challenge": challenge})),
        )
        .await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.body);
    let options = options.json();
    let allowed = options["options"]["publicKey"]["allowCredentials"]
        .as_array()
        .unwrap();
    assert_eq!(allowed.len(), 1);
    let answer = passkey.get(&options["options"]);
    let finished = app
        .call(
            "POST",
            "/api/v1/auth/sign-in/second-factor/passkey",
            None,
            Some(json!({"challenge": challenge, "ceremony": options["ceremony"], "credential": answer})),
        )
        .await;
    assert_eq!(finished.status, StatusCode::OK, "{}", finished.body);
    let second_cookie = finished.session_cookie();
    assert_eq!(factor_of(&app, &second_cookie).await, "password_passkey");

    // Removed, the passkey signs in no more, and the password alone does again.
    let removed = app
        .delete_as(&cookie, &format!("/api/v1/me/passkeys/{id}"))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    let gone = app
        .delete_as(&cookie, &format!("/api/v1/me/passkeys/{id}"))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let options = app
        .call("POST", "/api/v1/auth/passkey/options", None, None)
        .await
        .json();
    let answer = passkey.get(&options["options"]);
    let refused = app
        .call(
            "POST",
            "/api/v1/auth/passkey",
            None,
            Some(json!({"ceremony": options["ceremony"], "credential": answer})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"]["field"], "credential");
    app.sign_in(email).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_server_functions_sign_in_with_a_passkey_and_say_where_to_go() {
    let app = spawn_app().await;
    let email = "bo.passkeys@example.eu";
    accounts::create_user(&app.db.pool, email, "Bo", PASSWORD)
        .await
        .unwrap();
    let cookie = app.sign_in(email).await;
    let started = app
        .server_fn("start_passkey_registration", &cookie, "")
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let started = started.json();
    let options: serde_json::Value =
        serde_json::from_str(started["options"].as_str().unwrap()).unwrap();
    let (mut passkey, answer) = SoftPasskey::create(&options);
    let added = app
        .server_fn(
            "add_passkey",
            &cookie,
            &form(&[
                ("ceremony", started["ceremony"].as_str().unwrap()),
                ("credential", &answer.to_string()),
                ("name", "Phone"),
            ]),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let listed = app.server_fn("passkeys", &cookie, "").await.json();
    assert_eq!(listed["items"][0]["name"], "Phone");

    let started = app.server_fn("start_passkey_sign_in", "", "").await.json();
    let options: serde_json::Value =
        serde_json::from_str(started["options"].as_str().unwrap()).unwrap();
    let answer = passkey.get(&options);
    let signed_in = app
        .server_fn(
            "passkey_sign_in",
            "",
            &form(&[
                ("ceremony", started["ceremony"].as_str().unwrap()),
                ("credential", &answer.to_string()),
                ("next", "/w/somewhere"),
            ]),
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert_eq!(signed_in.json(), "/w/somewhere");
    let session = signed_in.session_cookie();
    assert!(session.starts_with("bastion_session="), "{session}");
    assert_eq!(factor_of(&app, &session).await, "passkey");
}
