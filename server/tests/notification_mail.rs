//! Email preferences over REST and the page's server function, and RFC 8058 one-click
//! unsubscribe through the real router: the `GET` page changes nothing, a cross-site `POST`
//! with only the token turns the kind off, and a forged or altered token is refused with
//! nothing changed.

mod common;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use bastion_core::{
    testing::master_keys,
    work::{notification_mail, notifications::Kind},
    workspaces, WorkspaceId,
};
use common::{spawn_app, Cast, TestApp};
use serde_json::json;

const PREFS: &str = "/me/notification-preferences";

async fn workspace_id(app: &TestApp, slug: &str) -> WorkspaceId {
    workspaces::find_by_slug(&app.db.pool, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// `/unsubscribe?t=…` as the email names it.
fn unsubscribe_path(token: &str) -> String {
    notification_mail::unsubscribe_url("", token)
}

/// A one-click POST as a mail provider sends it: from elsewhere, no cookie, the RFC's body.
async fn one_click(app: &TestApp, path: &str) -> common::Answer {
    app.send(
        Request::post(path)
            .header(header::ORIGIN, "https://mail.example.com")
            .header("sec-fetch-site", "cross-site")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("List-Unsubscribe=One-Click"))
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preferences_over_rest_default_change_and_refuse_naming_the_field() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let got = app.get_as(&cast.member, &cast.api(PREFS)).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(
        got.json(),
        json!({"assigned": "immediately", "mentioned": "immediately", "commented": "daily",
               "status_changed": "daily", "due_tomorrow": "daily", "invited": "immediately"})
    );

    let put = app
        .put_as(
            &cast.member,
            &cast.api(PREFS),
            json!({"mentioned": "hourly", "commented": "off"}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.json()["mentioned"], "hourly");
    assert_eq!(put.json()["commented"], "off");
    assert_eq!(
        put.json()["assigned"],
        "immediately",
        "left out, left alone"
    );

    // Each person's own: the guest's are untouched, and the guest may choose theirs.
    let guest = app.get_as(&cast.guest, &cast.api(PREFS)).await.json();
    assert_eq!(guest["mentioned"], "immediately");
    let put = app
        .put_as(&cast.guest, &cast.api(PREFS), json!({"invited": "daily"}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);

    for (body, field) in [
        (json!({"mentioned": "weekly"}), "mentioned"),
        (json!({"status_changed": ""}), "status_changed"),
        (json!({"mentioned": "off", "everything": "off"}), "body"),
    ] {
        let refused = app.put_as(&cast.member, &cast.api(PREFS), body).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert_eq!(refused.json()["error"]["field"], field, "{}", refused.body);
    }
    let after = app.get_as(&cast.member, &cast.api(PREFS)).await.json();
    assert_eq!(
        after["mentioned"], "hourly",
        "a refused change changes nothing"
    );

    // The inbox page's form: the same rule, the same refusal.
    let form = "slug=acme&assigned=immediately&mentioned=off&commented=daily&status_changed=daily&due_tomorrow=daily&invited=sometimes";
    let refused = app
        .server_fn("set_email_notifications", &cast.member, form)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let form = form.replace("sometimes", "off");
    let saved = app
        .server_fn("set_email_notifications", &cast.member, &form)
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let after = app.get_as(&cast.member, &cast.api(PREFS)).await.json();
    assert_eq!(
        (after["mentioned"].as_str(), after["invited"].as_str()),
        (Some("off"), Some("off"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_click_unsubscribe_needs_only_the_token_and_refuses_forgeries() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let ws = workspace_id(&app, "acme").await;
    let token =
        notification_mail::unsubscribe_token(master_keys(), ws, cast.member_id, &[Kind::Mentioned]);
    let path = unsubscribe_path(&token);
    let mentioned = || async {
        app.get_as(&cast.member, &cast.api(PREFS)).await.json()["mentioned"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // The page a link scanner would fetch: a confirmation with a button, nothing changed.
    let page = app.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<form method=\"post\""), "{}", page.body);
    assert!(page.body.contains("Stop these emails"), "{}", page.body);
    assert!(page.body.contains("Someone mentions me"), "{}", page.body);
    assert!(page.body.contains("member@example.eu"), "{}", page.body);
    assert_eq!(mentioned().await, "immediately");

    // Forged, altered and truncated tokens: 404, nothing changed, from any origin.
    let other_keys = bastion_core::keys::MasterKeyRing::generate();
    let mut forged = vec![
        unsubscribe_path(&notification_mail::unsubscribe_token(
            &other_keys,
            ws,
            cast.member_id,
            &[Kind::Mentioned],
        )),
        unsubscribe_path(&token[..token.len() - 6]),
        "/unsubscribe".to_owned(),
        "/unsubscribe?t=".to_owned(),
    ];
    let mut altered = token.clone().into_bytes();
    let i = altered.len() / 2;
    altered[i] = if altered[i] == b'x' { b'y' } else { b'x' };
    forged.push(unsubscribe_path(&String::from_utf8(altered).unwrap()));
    for bad in &forged {
        let refused = one_click(&app, bad).await;
        assert_eq!(
            refused.status,
            StatusCode::NOT_FOUND,
            "{bad}: {}",
            refused.body
        );
        assert!(refused.body.contains("not valid"), "{}", refused.body);
        let page = app.get(bad).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{bad}");
    }
    assert_eq!(mentioned().await, "immediately");

    // The one-click POST from another site, no session, no CSRF token: done.
    let done = one_click(&app, &path).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("member@example.eu"), "{}", done.body);
    assert!(done.headers.get(header::SET_COOKIE).is_none());
    assert_eq!(mentioned().await, "off");
    let others = app.get_as(&cast.member, &cast.api(PREFS)).await.json();
    assert_eq!(others["assigned"], "immediately", "only the kind it names");
    // Posting again (providers retry) is fine.
    assert_eq!(one_click(&app, &path).await.status, StatusCode::OK);

    // The exception is exactly this path: another form post from that site is still refused.
    let refused = app
        .send(
            Request::post("/language")
                .header(header::ORIGIN, "https://mail.example.com")
                .header("sec-fetch-site", "cross-site")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("locale=nl-BE"))
                .unwrap(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // In the recipient's language.
    bastion_core::accounts::set_locale(&app.db.pool, cast.member_id, bastion_i18n::Locale::De)
        .await
        .unwrap();
    let page = app.get(&path).await;
    assert!(page.body.contains("<html lang=\"de-BE\""), "{}", page.body);
    assert!(
        page.body.contains("Diese E-Mails abbestellen"),
        "{}",
        page.body
    );
}
