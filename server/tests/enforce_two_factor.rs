//! A workspace that requires two-factor sign-in, through every door: REST with a session or an
//! API token, the pages' server functions, and the pages themselves (sent to enrolment).

mod common;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use bastion_core::{
    accounts::{self, User},
    testing::master_keys,
    two_factor::{self, code_at_step, step_at, TotpSecret},
    workspaces, Actor,
};
use common::{spawn_app, Answer, Cast, TestApp, PASSWORD};
use serde_json::json;
use sqlx::PgPool;

/// Turns two-factor sign-in on for the account `email` (its sessions go on).
async fn enrol(pool: &PgPool, email: &str) {
    let user: User = accounts::find_user_by_email(pool, email)
        .await
        .unwrap()
        .unwrap();
    let enrolment = two_factor::begin_enrolment(pool, master_keys(), &user)
        .await
        .unwrap();
    let secret = TotpSecret::from_base32(enrolment.secret.expose()).unwrap();
    let step = step_at(time::OffsetDateTime::now_utc().unix_timestamp());
    two_factor::confirm_enrolment(
        pool,
        master_keys(),
        &user,
        &code_at_step(secret.bytes(), step),
    )
    .await
    .unwrap();
}

/// A page as a browser navigates to it.
async fn page(app: &TestApp, cookie: &str, path: &str) -> Answer {
    app.send(
        Request::get(path)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

fn is_two_factor_required(answer: &Answer) {
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(answer.json()["error"]["code"], "two_factor_required");
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("two-factor sign-in") && message.contains("/account"),
        "the sentence says what to do: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_without_two_factor_get_403_and_pages_send_them_to_enrolment() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let pool = &app.db.pool;

    // A member's API token, made while nothing is required.
    let created = app
        .post_as(&cast.member, &cast.api("/tokens"), json!({"name": "ci"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let token = created.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.bearer("GET", &cast.api("/tasks"), &token, None)
            .await
            .status,
        StatusCode::OK
    );

    // The admin has no two-factor sign-in yet: refused, naming the field, nothing changed.
    let refused = app
        .patch_as(
            &cast.admin,
            &cast.api(""),
            json!({"require_two_factor": true}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["error"]["field"], "require_two_factor");
    enrol(pool, "admin@example.eu").await;
    let required = app
        .patch_as(
            &cast.admin,
            &cast.api(""),
            json!({"require_two_factor": true}),
        )
        .await;
    assert_eq!(required.status, StatusCode::OK, "{}", required.body);
    assert_eq!(required.json()["require_two_factor"], true);

    // The member, by session, by token and by server function: 403 two_factor_required.
    is_two_factor_required(&app.get_as(&cast.member, &cast.api("/tasks")).await);
    is_two_factor_required(&app.bearer("GET", &cast.api("/tasks"), &token, None).await);
    let by_fn = app
        .server_fn("tasks", &cast.member, "slug=acme&status=todo")
        .await;
    assert_eq!(by_fn.status, StatusCode::FORBIDDEN, "{}", by_fn.body);
    assert!(by_fn.body.contains("two_factor_required"), "{}", by_fn.body);
    // A second admin without it cannot reach the admin operations that open their own
    // transaction either.
    let other_admin = accounts::create_user(pool, "second@example.eu", "Second", PASSWORD)
        .await
        .unwrap();
    let acme = workspaces::find_by_slug(pool, "acme")
        .await
        .unwrap()
        .unwrap();
    accounts::add_member(pool, &acme, other_admin.id, "admin", Actor::System)
        .await
        .unwrap();
    let second = app.sign_in("second@example.eu").await;
    is_two_factor_required(
        &app.post_as(
            &second,
            &cast.api("/integrations"),
            json!({"kind": "github", "name": "Bot", "access_token": "ghp_x"}),
        )
        .await,
    );
    // Account-level calls go on: that is where enrolment is.
    assert_eq!(
        app.get_as(&cast.member, "/api/v1/me/two-factor")
            .await
            .status,
        StatusCode::OK
    );
    // Strangers and the deactivated still learn nothing about the workspace.
    assert_eq!(
        app.get_as(&cast.stranger, &cast.api("/tasks")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_as(&cast.deactivated, &cast.api("/tasks"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Pages of the workspace send the member to enrolment, which says why.
    for path in ["/w/acme", "/w/acme/tasks", "/w/acme/settings"] {
        let sent = page(&app, &cast.member, path).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{path}: {}", sent.body);
        assert_eq!(
            sent.header("location"),
            "/account?two_factor_required=acme#two-factor-title"
        );
    }
    // A deactivated member is not sent to enrolment (which would tell them the workspace
    // requires it): the page answers them 404 like anyone else who may not enter.
    let deactivated = page(&app, &cast.deactivated, "/w/acme/tasks").await;
    assert_eq!(
        deactivated.status,
        StatusCode::NOT_FOUND,
        "{}",
        deactivated.body
    );
    let account = page(&app, &cast.member, "/account?two_factor_required=acme").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        account
            .body
            .contains("The workspace acme requires two-factor sign-in."),
        "{}",
        account.body
    );
    // The admin, who complies, and pages outside the workspace are served as ever.
    assert_eq!(
        page(&app, &cast.admin, "/w/acme/tasks").await.status,
        StatusCode::OK
    );
    assert_eq!(
        page(&app, &cast.stranger, "/w/globex").await.status,
        StatusCode::OK
    );

    // Admins see who has it on.
    let members = app.server_fn("members", &cast.admin, "slug=acme").await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.body);
    let two_factor_of = |id: uuid::Uuid| {
        members.json()["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == id.to_string())
            .map(|m| m["two_factor"].clone())
            .unwrap()
    };
    assert_eq!(two_factor_of(cast.admin_id), json!(true));
    assert_eq!(two_factor_of(cast.member_id), json!(false));
    // So does the API's member list.
    let listed = app.get_as(&cast.admin, &cast.api("/members")).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let mut rest_two_factor: Vec<(String, serde_json::Value)> = listed.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["user_id"] == cast.admin_id.to_string() || m["user_id"] == cast.member_id.to_string()
        })
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_owned(),
                m["two_factor"].clone(),
            )
        })
        .collect();
    rest_two_factor.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        rest_two_factor,
        vec![
            ("admin@example.eu".to_owned(), json!(true)),
            ("member@example.eu".to_owned(), json!(false)),
        ]
    );

    // Once the member enrols, every door opens, the old token included.
    enrol(pool, "member@example.eu").await;
    assert_eq!(
        app.get_as(&cast.member, &cast.api("/tasks")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.bearer("GET", &cast.api("/tasks"), &token, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        page(&app, &cast.member, "/w/acme/tasks").await.status,
        StatusCode::OK
    );
    // Members (not admins) are not told who has it on.
    let listed = app.server_fn("members", &cast.member, "slug=acme").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert!(listed.json()["members"][0]["two_factor"].is_null());
    let listed = app.get_as(&cast.member, &cast.api("/members")).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert!(listed.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m.get("two_factor").is_none()));

    // Turned off, the guest without it is in again.
    let off = app
        .patch_as(
            &cast.admin,
            &cast.api(""),
            json!({"require_two_factor": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(
        app.get_as(&cast.guest, &cast.api("/tasks")).await.status,
        StatusCode::OK
    );
}
