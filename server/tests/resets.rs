//! Password reset by emailed code, read from the real outbox: every number of the contract.

mod common;

use axum::http::StatusCode;
use common::{spawn_app, TestApp, PASSWORD};
use serde_json::json;

const NEW: &str = "an entirely new passphrase";

async fn with_user(app: &TestApp) {
    bastion_core::accounts::create_user(&app.db.pool, "ada@example.eu", "Ada", PASSWORD)
        .await
        .unwrap();
}

async fn request(app: &TestApp, email: &str) -> StatusCode {
    app.call(
        "POST",
        "/api/v1/auth/password-reset",
        None,
        Some(json!({"email": email})),
    )
    .await
    .status
}

/// The code in the newest message to `email`.
async fn code_from_outbox(app: &TestApp, email: &str) -> String {
    let body = bastion_core::testing::newest_mail(&app.db.pool, email).await;
    let at = body.find("password is ").unwrap() + "password is ".len();
    let code = body[at..at + 6].to_owned();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{body}");
    code
}

async fn confirm(app: &TestApp, code: &str, password: &str) -> common::Answer {
    app.call(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        None,
        Some(json!({"email": "ada@example.eu", "code": code, "new_password": password})),
    )
    .await
}

fn wrong_code(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_is_the_same_whether_or_not_the_account_exists() {
    let app = spawn_app().await;
    with_user(&app).await;
    assert_eq!(request(&app, "ada@example.eu").await, StatusCode::ACCEPTED);
    assert_eq!(
        request(&app, "nobody@example.eu").await,
        StatusCode::ACCEPTED
    );
    let sent: Vec<String> = sqlx::query_scalar("SELECT recipient FROM outbox")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(sent, vec!["ada@example.eu".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_resets_once_and_ends_every_session() {
    let app = spawn_app().await;
    with_user(&app).await;
    let session = app.sign_in("ada@example.eu").await;
    request(&app, "ada@example.eu").await;
    let code = code_from_outbox(&app, "ada@example.eu").await;

    let weak = confirm(&app, &code, "short").await;
    assert_eq!(weak.json()["error"]["field"], "new_password");

    assert_eq!(
        confirm(&app, &code, NEW).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get_as(&session, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = confirm(&app, &code, "yet another new passphrase").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.json()["error"]["field"], "code");
    let signed_in = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ada@example.eu", "password": NEW})),
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_attempts_kill_the_code() {
    let app = spawn_app().await;
    with_user(&app).await;
    request(&app, "ada@example.eu").await;
    let code = code_from_outbox(&app, "ada@example.eu").await;
    for _ in 0..5 {
        assert_eq!(
            confirm(&app, &wrong_code(&code), NEW).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_eq!(
        confirm(&app, &code, NEW).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "dead after 5"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_wrong_guesses_evaluate_at_most_five() {
    let app = std::sync::Arc::new(spawn_app().await);
    with_user(&app).await;
    request(&app, "ada@example.eu").await;
    let code = code_from_outbox(&app, "ada@example.eu").await;
    let guesses: Vec<_> = (0..50)
        .map(|_| {
            let app = app.clone();
            let guess = wrong_code(&code);
            tokio::spawn(async move { confirm(&app, &guess, NEW).await.status })
        })
        .collect();
    for g in guesses {
        assert_eq!(g.await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM password_resets")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(attempts, 5);
    assert_eq!(
        confirm(&app, &code, NEW).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_expire_after_fifteen_minutes_and_the_newest_replaces_older_ones() {
    let app = spawn_app().await;
    with_user(&app).await;
    request(&app, "ada@example.eu").await;
    let first = code_from_outbox(&app, "ada@example.eu").await;
    let lifetime: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::float8 FROM password_resets",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!((lifetime - 900.0).abs() < 1.0, "{lifetime}");

    request(&app, "ada@example.eu").await;
    let second = code_from_outbox(&app, "ada@example.eu").await;
    if first != second {
        assert_eq!(
            confirm(&app, &first, NEW).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let admin = sqlx::PgPool::connect_with(app.db.admin_options())
        .await
        .unwrap();
    sqlx::query("UPDATE password_resets SET expires_at = now() - interval '1 second'")
        .execute(&admin)
        .await
        .unwrap();
    assert_eq!(
        confirm(&app, &second, NEW).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "expired"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_sender_writes_messages_to_a_folder_once() {
    let app = spawn_app().await;
    with_user(&app).await;
    request(&app, "ada@example.eu").await;
    let dir = tempfile::tempdir().unwrap();
    let sent = bastion_core::mail::deliver_to_folder(
        &app.db.pool,
        bastion_core::testing::master_keys(),
        dir.path(),
        10,
    )
    .await
    .unwrap();
    assert_eq!(sent, 1);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(text.starts_with("To: ada@example.eu\r\nSubject: Your Bastion password reset code"));
    assert_eq!(
        bastion_core::mail::deliver_to_folder(
            &app.db.pool,
            bastion_core::testing::master_keys(),
            dir.path(),
            10
        )
        .await
        .unwrap(),
        0
    );
}
