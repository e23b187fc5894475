//! A database outage, end to end: PostgreSQL stops under the running app, every door answers
//! 503 `unavailable` with a `Retry-After` (never 500), and once PostgreSQL is back the same app
//! (same router, same pool) serves again without a restart.
//!
//! The cluster is this test's own: the shared test cluster serves the other tests of a binary
//! and must not be stopped.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
    Router,
};
use bastion::{config::Config, AppState};
use bastion_core::{
    accounts,
    db::{self, PoolSettings},
    embedded::{EmbeddedOptions, EmbeddedPostgres},
};
use http_body_util::BodyExt;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";
const ORIGIN: &str = "http://127.0.0.1:3000";

struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    set_cookie: Option<String>,
    body: String,
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let set_cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        retry_after,
        set_cookie,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// The REST door: the signed-in person's account.
async fn me(router: &Router, cookie: &str) -> Answer {
    let request = Request::get("/api/v1/me")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    send(router, request).await
}

/// The server-function door, as the pages call it.
async fn whoami(router: &Router, cookie: &str) -> Answer {
    let request = Request::post("/api/fn/whoami")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    send(router, request).await
}

async fn ready(router: &Router) -> Answer {
    send(router, Request::get("/readyz").body(Body::empty()).unwrap()).await
}

fn rest_code(answer: &Answer) -> String {
    let json: serde_json::Value =
        serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body));
    json["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Asserts the answer is a REST 503 `unavailable` with a `Retry-After`.
fn assert_rest_unavailable(what: &str, answer: &Answer) {
    assert_eq!(
        (answer.status, rest_code(answer).as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        "{what}: {}",
        answer.body
    );
    assert_eq!(answer.retry_after.as_deref(), Some("5"), "{what}");
}

async fn all_served(router: &Router, cookie: &str) {
    let rest = me(router, cookie).await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    assert!(rest.body.contains("ada@example.eu"), "{}", rest.body);
    let page = whoami(router, cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Ada"), "{}", page.body);
    let readiness = ready(router).await;
    assert_eq!(readiness.status, StatusCode::OK, "{}", readiness.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_unavailable_and_the_app_recovers_by_itself() {
    let dir = tempfile::Builder::new()
        .prefix("bastion-outage-")
        .tempdir()
        .unwrap();
    let options = EmbeddedOptions {
        ephemeral: true,
        max_connections: 50,
    };
    let mut pg = EmbeddedPostgres::start(dir.path(), options.clone())
        .await
        .unwrap();
    pg.ensure_database("bastion").await.unwrap();
    // A short acquire timeout, so a request that finds no connection gives up in a second
    // rather than the default ten.
    let settings = PoolSettings {
        max_connections: 8,
        acquire_timeout: Duration::from_secs(1),
        ..PoolSettings::default()
    };
    let pool = db::connect(pg.app_options("bastion"), &settings)
        .await
        .unwrap();
    let provisioning = db::connect(pg.owner_options("bastion"), &settings)
        .await
        .unwrap();
    db::register_provisioning(&pool, provisioning);
    db::migrate_control_plane(&pool).await.unwrap();
    accounts::create_user(&pool, "ada@example.eu", "Ada", PASSWORD)
        .await
        .unwrap();

    let data_dir = tempfile::tempdir().unwrap();
    let data = data_dir.path().display().to_string();
    let config = Config::load_with_env(Some(std::path::Path::new("/dev/null")), |name| {
        (name == "BASTION_DATA_DIR").then(|| data.clone())
    })
    .unwrap();
    let router = bastion::router(AppState {
        pool: pool.clone(),
        live: bastion_core::live::Hub::new(pool.clone()),
        keys: Arc::new(bastion_core::testing::master_keys().clone()),
        leptos_options: bastion::leptos_options(&config).unwrap(),
        objects: config.objects().unwrap(),
        config: Arc::new(config),
        shutting_down: Default::default(),
    });
    let sign_in = send(
        &router,
        Request::post("/api/v1/auth/sign-in")
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({"email": "ada@example.eu", "password": PASSWORD}).to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(sign_in.status, StatusCode::OK, "{}", sign_in.body);
    let cookie = sign_in.set_cookie.as_deref().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    all_served(&router, &cookie).await;

    // Load across the stop and the restart: requests caught mid-transaction when PostgreSQL
    // ends their session must be refused as an outage too, never as an internal error.
    let stop_load = Arc::new(AtomicBool::new(false));
    // Set once the app has served again after the restart: what the load sends from then on
    // must be served.
    let recovered = Arc::new(AtomicBool::new(false));
    let load = {
        let (router, cookie) = (router.clone(), cookie.clone());
        let (stop_load, recovered) = (stop_load.clone(), recovered.clone());
        tokio::spawn(async move {
            let mut answers = Vec::new();
            while !stop_load.load(Ordering::Relaxed) {
                let after_recovery = recovered.load(Ordering::Relaxed);
                let rest = me(&router, &cookie).await;
                let page = whoami(&router, &cookie).await;
                answers.push((after_recovery, rest, page));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            answers
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;

    // pg_ctl stop -m fast: backends are told 57P01 admin_shutdown and the socket goes away.
    pg.stop();
    let rest = me(&router, &cookie).await;
    assert_rest_unavailable("REST during the outage", &rest);
    let page = whoami(&router, &cookie).await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    assert_eq!(
        serde_json::from_str::<app::UiError>(&page.body).unwrap(),
        app::UiError::Unavailable,
        "{}",
        page.body
    );
    assert_eq!(page.retry_after.as_deref(), Some("5"));
    assert_rest_unavailable("readiness during the outage", &ready(&router).await);

    // The same cluster again; the app is not touched.
    let pg = EmbeddedPostgres::start(dir.path(), options).await.unwrap();
    all_served(&router, &cookie).await;
    recovered.store(true, Ordering::Relaxed);

    tokio::time::sleep(Duration::from_millis(200)).await;
    stop_load.store(true, Ordering::Relaxed);
    let answers = load.await.unwrap();
    let (mut served, mut refused, mut after_recovery) = (0, 0, 0);
    for (recovered, rest, page) in &answers {
        if *recovered {
            assert_eq!(
                rest.status,
                StatusCode::OK,
                "REST after recovery: {}",
                rest.body
            );
            assert_eq!(
                page.status,
                StatusCode::OK,
                "page after recovery: {}",
                page.body
            );
            after_recovery += 1;
        }
        match rest.status {
            StatusCode::OK => served += 1,
            _ => {
                assert_rest_unavailable("REST under load", rest);
                refused += 1;
            }
        }
        match page.status {
            StatusCode::OK => served += 1,
            _ => {
                assert_eq!(
                    (page.status, page.body.as_str()),
                    (StatusCode::SERVICE_UNAVAILABLE, "\"Unavailable\""),
                    "server function under load"
                );
                refused += 1;
            }
        }
    }
    // The load saw both sides of the outage, so the assertions above covered both.
    assert!(
        served > 0 && refused > 0,
        "served {served}, refused {refused}"
    );
    assert!(after_recovery > 0, "no load after the recovery");

    pool.close().await;
    drop(pg);
}
