//! Member management and the last-admin safeguard, through the REST API.

mod common;

use axum::http::StatusCode;
use common::{spawn_app, Cast};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_admin_cannot_be_demoted_deactivated_or_removed() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let me = format!("/api/v1/workspaces/{}/members/{}", cast.slug, cast.admin_id);
    for (method, body) in [
        ("PATCH", Some(json!({"role": "member"}))),
        ("PATCH", Some(json!({"active": false}))),
        ("DELETE", None),
    ] {
        let answer = app.call(method, &me, Some(&cast.admin), body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::CONFLICT,
            "{method} {body:?}: {}",
            answer.body
        );
        assert_eq!(answer.json()["error"]["code"], "last_admin");
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            message.contains("Make another member an admin first"),
            "{message}"
        );
    }
    // Nothing changed: still the admin.
    let list = app.get_as(&cast.admin, &cast.api("/members")).await;
    let admins: Vec<_> = list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "admin" && m["active"] == true)
        .cloned()
        .collect();
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0]["email"], "admin@example.eu");

    // With a second admin, the first may step down.
    let promote = format!(
        "/api/v1/workspaces/{}/members/{}",
        cast.slug, cast.member_id
    );
    let promoted = app
        .patch_as(&cast.admin, &promote, json!({"role": "admin"}))
        .await;
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
    let stepped_down = app
        .patch_as(&cast.admin, &me, json!({"role": "member"}))
        .await;
    assert_eq!(stepped_down.status, StatusCode::OK, "{}", stepped_down.body);
    // The role applies to the very next request: the former admin may no longer manage members.
    let refused = app
        .patch_as(&cast.admin, &promote, json!({"role": "guest"}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_ends_access_with_the_next_request() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let list = format!("/api/v1/workspaces/{}/members", cast.slug);
    assert_eq!(app.get_as(&cast.member, &list).await.status, StatusCode::OK);
    let off = app
        .patch_as(
            &cast.admin,
            &format!("{list}/{}", cast.member_id),
            json!({"active": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(off.json()["active"], false);
    // Acme was the member's only workspace, so the session itself ended.
    assert_eq!(
        app.get_as(&cast.member, &list).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Signed in again, still deactivated: the workspace is not there for them.
    let again = app.sign_in("member@example.eu").await;
    assert_eq!(
        app.get_as(&again, &list).await.status,
        StatusCode::NOT_FOUND
    );
    // Reactivated: back in, with the very next request.
    app.patch_as(
        &cast.admin,
        &format!("{list}/{}", cast.member_id),
        json!({"active": true}),
    )
    .await;
    assert_eq!(app.get_as(&again, &list).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_member_changes_name_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let path = format!(
        "/api/v1/workspaces/{}/members/{}",
        cast.slug, cast.member_id
    );
    let bad_role = app
        .patch_as(&cast.admin, &path, json!({"role": "owner"}))
        .await;
    assert_eq!(bad_role.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_role.json()["error"]["field"], "role");
    let unknown = app
        .patch_as(&cast.admin, &path, json!({"colour": "red"}))
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.body
    );
    let nobody = app
        .patch_as(
            &cast.admin,
            &cast.api(&format!("/members/{}", uuid::Uuid::new_v4())),
            json!({"role": "guest"}),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_admin_cannot_delete_their_account_and_a_member_can() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let refused = app
        .call(
            "DELETE",
            "/api/v1/me",
            Some(&cast.admin),
            Some(json!({"password": common::PASSWORD})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.json()["error"]["code"], "last_admin");
    assert!(refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Make another member an admin"));
    assert_eq!(
        app.get_as(&cast.admin, "/api/v1/me").await.status,
        StatusCode::OK
    );

    let wrong = app
        .call(
            "DELETE",
            "/api/v1/me",
            Some(&cast.member),
            Some(json!({"password": "not my password"})),
        )
        .await;
    assert_eq!(wrong.json()["error"]["field"], "password");
    let deleted = app
        .call(
            "DELETE",
            "/api/v1/me",
            Some(&cast.member),
            Some(json!({"password": common::PASSWORD})),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        app.get_as(&cast.member, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let members = app.get_as(&cast.admin, &cast.api("/members")).await;
    assert!(
        !members.body.contains("member@example.eu"),
        "{}",
        members.body
    );
    let again = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "member@example.eu", "password": common::PASSWORD})),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);

    // With a second admin, the first may go.
    app.patch_as(
        &cast.admin,
        &cast.api(&format!("/members/{}", cast.deactivated_id)),
        json!({"role": "admin", "active": true}),
    )
    .await;
    let gone = app
        .call(
            "DELETE",
            "/api/v1/me",
            Some(&cast.admin),
            Some(json!({"password": common::PASSWORD})),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
}
