//! Which language a page, an email and a refusal come in: the saved choice, then the language
//! cookie, then `Accept-Language`, then English; and the switcher that changes it.

mod common;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use common::{spawn_app, Cast, TestApp, ORIGIN};
use serde_json::json;

async fn page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> String {
    let mut request = Request::get(path).header(header::ACCEPT, "text/html");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = app.send(request.body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
    answer.body
}

async fn choose(app: &TestApp, cookie: Option<&str>, form: &str) -> common::Answer {
    let mut request = Request::post("/language")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(request.body(Body::from(form.to_owned())).unwrap())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_gets_their_browser_language_and_the_switcher_keeps_another() {
    let app = spawn_app().await;

    let english = page(&app, "/", &[]).await;
    assert!(english.contains(r#"<html lang="en""#));
    assert!(english.contains("Work management you can trust"));

    let french = page(&app, "/", &[("accept-language", "fr-BE,fr;q=0.9,en;q=0.5")]).await;
    assert!(french.contains(r#"<html lang="fr-BE""#), "{french}");
    assert!(french.contains("Une gestion du travail digne de confiance"));
    assert!(!french.contains("Work management you can trust"));
    // The switcher is on the page before anyone signs in, the current language pressed.
    assert!(french.contains(r#"action="/language""#));
    assert!(french.contains("Nederlands"));

    // Choosing Dutch: back to the same page, a cookie that now wins over the header.
    let chosen = choose(&app, None, "locale=nl-BE&next=%2Fsign-up%3Fx%3D1").await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    assert_eq!(chosen.header("location"), "/sign-up?x=1");
    let cookie = chosen
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(cookie, "bastion_lang=nl-BE");
    let dutch = page(
        &app,
        "/sign-up",
        &[("accept-language", "fr-BE"), ("cookie", &cookie)],
    )
    .await;
    assert!(dutch.contains(r#"<html lang="nl-BE""#));
    assert!(dutch.contains("Maak uw werkruimte aan"), "{dutch}");

    // Never sent elsewhere, and a language we do not speak changes nothing.
    let away = choose(&app, None, "locale=de-BE&next=%2F%2Fevil.example").await;
    assert_eq!(away.header("location"), "/");
    let refused = choose(&app, None, "locale=es-ES&next=%2F").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.headers.get("set-cookie").is_none());
    assert!(refused.body.contains("nl-BE"), "{}", refused.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_saved_language_wins_and_the_switcher_saves_it_on_the_account() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;

    // A bad language is named and nothing changes.
    let bad = app
        .put_as(
            &cast.member,
            "/api/v1/me/locale",
            json!({"locale": "klingon"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "locale", "{}", bad.body);
    let saved = app.get_as(&cast.member, "/api/v1/me/locale").await;
    assert_eq!(saved.json()["locale"], "en");

    let set = app
        .put_as(
            &cast.member,
            "/api/v1/me/locale",
            json!({"locale": "de-BE"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.json()["locale"], "de-BE");
    // The account's language beats both the cookie and the header on every page.
    let cookies = format!("{}; bastion_lang=nl-BE", cast.member);
    let german = page(
        &app,
        "/account",
        &[("cookie", &cookies), ("accept-language", "fr")],
    )
    .await;
    assert!(german.contains(r#"<html lang="de-BE""#), "{german}");
    assert!(german.contains("Sprache speichern"));

    // The switcher, signed in, saves the choice on the account (the API sees it).
    let chosen = choose(&app, Some(&cast.member), "locale=fr-BE&next=%2Faccount").await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    let saved = app.get_as(&cast.member, "/api/v1/me/locale").await;
    assert_eq!(saved.json()["locale"], "fr-BE");
    // Only the caller's: the admin's stays English.
    let admin = app.get_as(&cast.admin, "/api/v1/me/locale").await;
    assert_eq!(admin.json()["locale"], "en");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signup_through_the_api_is_mailed_in_the_requested_language() {
    let app = spawn_app().await;
    let answer = app
        .send(
            Request::post("/api/v1/auth/sign-up")
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/json")
                .header("accept-language", "de-BE,de;q=0.9")
                .body(Body::from(
                    json!({
                        "email": "lena@example.eu",
                        "name": "Lena",
                        "password": common::PASSWORD,
                        "workspace_name": "Eupen",
                    })
                    .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    let mail = bastion_core::testing::newest_mail(&app.db.pool, "lena@example.eu").await;
    assert!(mail.contains("Ihr Code"), "{mail}");

    // An explicit language in the body wins over the header.
    let answer = app
        .send(
            Request::post("/api/v1/auth/sign-up")
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/json")
                .header("accept-language", "de-BE")
                .body(Body::from(
                    json!({
                        "email": "noor@example.eu",
                        "name": "Noor",
                        "password": common::PASSWORD,
                        "workspace_name": "Gent",
                        "locale": "nl-BE",
                    })
                    .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    let mail = bastion_core::testing::newest_mail(&app.db.pool, "noor@example.eu").await;
    assert!(mail.contains("Uw code"), "{mail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_refusals_are_written_in_the_requested_language_with_the_same_code() {
    use bastion_i18n::Locale;
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;

    // A layer's own refusal (no session), by header; English without one.
    for (accept, locale) in [
        (Some("fr-BE,fr;q=0.9"), Locale::Fr),
        (Some("de"), Locale::De),
        (None, Locale::En),
    ] {
        let mut request = Request::get("/api/v1/me");
        if let Some(accept) = accept {
            request = request.header("accept-language", accept);
        }
        let answer = app.send(request.body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.json()["error"]["code"], "unauthenticated");
        assert_eq!(
            answer.json()["error"]["message"],
            locale.t().api_unauthenticated(),
            "{}",
            answer.body
        );
        assert_eq!(answer.header("content-language"), locale.tag());
    }
    assert_eq!(
        Locale::Fr.t().api_unauthenticated(),
        "Connectez-vous d'abord."
    );

    // Core's refusal of a field, by the language cookie: the field and code stay, the words
    // are Dutch, and nothing changed.
    let answer = app
        .send(
            Request::put("/api/v1/me/theme")
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/json")
                .header(
                    header::COOKIE,
                    format!("{}; bastion_lang=nl-BE", cast.member),
                )
                .body(Body::from(json!({"theme": "sepia"}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let error = &answer.json()["error"];
    assert_eq!(error["code"], "invalid");
    assert_eq!(error["field"], "theme");
    let dutch = Locale::Nl.t().core_colour_scheme();
    assert_ne!(dutch, Locale::En.t().core_colour_scheme());
    assert_eq!(
        error["message"],
        format!("theme: {dutch}"),
        "{}",
        answer.body
    );
    assert_eq!(answer.header("content-language"), "nl-BE");
    let theme = app.get_as(&cast.member, "/api/v1/me/theme").await;
    assert_eq!(theme.json()["theme"], "system");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_privacy_register_is_published_in_each_language() {
    let app = spawn_app().await;
    let english = app.get("/api/v1/privacy/register").await;
    assert_eq!(english.json()["categories"][0]["name"], "Account data");

    let german = app
        .send(
            Request::get("/api/v1/privacy/register")
                .header("accept-language", "de-BE")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(german.status, StatusCode::OK);
    assert_eq!(german.json()["categories"][0]["name"], "Kontodaten");
    // Ids and processors are the same in every language: they are keys, not words.
    assert_eq!(german.json()["categories"][0]["id"], "account_data");
    assert_eq!(
        german.json()["categories"][0]["processors"],
        english.json()["categories"][0]["processors"]
    );

    // The page, in French from its first byte, with no English record left on it.
    let french = page(&app, "/privacy", &[("accept-language", "fr-BE")]).await;
    assert!(french.contains("Données de compte"), "{french}");
    assert!(
        french.contains("Fournisseur d&#x27;infrastructure")
            || french.contains("Fournisseur d'infrastructure")
    );
    assert!(!french.contains("Account data") && !french.contains(r#"<tr lang="en">"#));

    // A request for the data-processing agreement, asked in Dutch: the confirmation is Dutch.
    let asked = app
        .send(
            Request::post("/api/v1/privacy/requests")
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/json")
                .header("accept-language", "nl-BE")
                .body(Body::from(
                    json!({"email": "dpo@example.be", "name": "Dana", "organisation": "Voorbeeld NV", "kind": "dpa"})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    let mail = bastion_core::testing::newest_mail(&app.db.pool, "dpo@example.be").await;
    assert!(mail.contains("verwerkersovereenkomst"), "{mail}");
    assert!(mail.contains("Hallo Dana"), "{mail}");
}
