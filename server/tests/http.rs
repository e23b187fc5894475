//! The real router, in process, against a real PostgreSQL: what every response carries and what
//! the operations and documentation endpoints answer.

mod common;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use common::{spawn_app, Answer};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, r#"{"status":"ok"}"#);

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(
        ready.body,
        r#"{"status":"ready","tenant_role":"irrevocable"}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.pool.close().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    let json: serde_json::Value = serde_json::from_str(&ready.body).unwrap();
    assert_eq!(json["error"]["code"], "unavailable");
    assert_eq!(ready.header("retry-after"), "5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_server_rendered_with_a_nonce_that_matches_the_policy() {
    let app = spawn_app().await;
    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Work management you can trust"));

    let csp = header(&page, "content-security-policy");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(nonce.len() >= 22, "at least 128 bits: {nonce}");
    // Every script the page carries is allowed by that nonce, none by anything looser.
    let scripts = page.body.matches("<script").count();
    assert!(scripts > 0, "the hydration script is there");
    assert_eq!(
        page.body.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every <script> carries this request's nonce:\n{}",
        page.body
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"));

    // A second request gets a different nonce.
    let again = app.get("/").await;
    assert_ne!(header(&again, "content-security-policy"), csp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    for uri in [
        "/",
        "/healthz",
        "/api/schema/",
        "/no-such-page",
        "/api/docs/",
    ] {
        let answer = app.get(uri).await;
        assert_eq!(
            header(&answer, "x-content-type-options"),
            "nosniff",
            "{uri}"
        );
        assert_eq!(header(&answer, "x-frame-options"), "DENY", "{uri}");
        assert!(
            header(&answer, "referrer-policy").contains("strict-origin"),
            "{uri}"
        );
        assert!(
            header(&answer, "permissions-policy").contains("camera=()"),
            "{uri}"
        );
        assert!(header(&answer, "content-security-policy").contains("default-src 'self'"));
        assert!(!header(&answer, "x-request-id").is_empty(), "{uri}");
        // Plain HTTP on loopback: no HSTS.
        assert!(answer.headers.get("strict-transport-security").is_none());
    }

    let mine = app
        .send(
            Request::get("/healthz")
                .header("x-request-id", "trace-me-123")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(header(&mine, "x-request-id"), "trace-me-123");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_answer_404() {
    let app = spawn_app().await;
    let answer = app.get("/no-such-page").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("Page not found"));
}

/// Building a router renders the app once for its route list, and Leptos holds back every
/// resource in the process meanwhile; a page whose resource first polled in that window used to
/// wait until the request limit (leptos-rs/leptos#4773). Here routers are built without pause
/// beside the one serving, as a test run does, and every page must still come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_another_router_is_built() {
    use std::sync::atomic::{AtomicBool, Ordering};
    /// Stops the builder however the test ends, or the runtime would wait for it forever.
    struct Stop(std::sync::Arc<AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let app = spawn_app().await;
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let _stop_on_exit = Stop(stop.clone());
    let builder = tokio::task::spawn_blocking({
        let (state, stop) = (app.state.clone(), stop.clone());
        move || {
            let mut built = 0;
            while !stop.load(Ordering::Relaxed) {
                drop(bastion::router(state.clone()));
                built += 1;
            }
            built
        }
    });
    for path in ["/sign-up", "/no-such-page"].repeat(15) {
        let answer = tokio::time::timeout(std::time::Duration::from_secs(10), app.get(path))
            .await
            .unwrap_or_else(|_| panic!("{path} never finished rendering"));
        assert!(
            answer.status == StatusCode::OK || answer.status == StatusCode::NOT_FOUND,
            "{path}: {} {}",
            answer.status,
            answer.body
        );
    }
    stop.store(true, Ordering::Relaxed);
    assert!(builder.await.unwrap() > 1, "no router was built meanwhile");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused_before_any_handler() {
    let app = spawn_app().await;
    let body = vec![b'x'; bastion::MAX_BODY_BYTES + 1];
    let answer = app
        .send(
            Request::post("/api/schema/")
                .header(header::CONTENT_LENGTH, body.len())
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// The serving pool's `statement_timeout` stops a runaway statement, and the API answers it as a
/// clear 503 `timeout`, whether the error comes straight from sqlx or through bastion-core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_the_statement_timeout_is_answered_as_a_timeout() {
    use axum::response::IntoResponse;
    use bastion::error::ApiError;
    use http_body_util::BodyExt;

    let db = bastion_core::testing::TestDb::new().await;
    let options = bastion::database::with_statement_timeout(
        db.app_options.clone(),
        std::time::Duration::from_millis(100),
    );
    let pool = bastion_core::db::connect(options, &Default::default())
        .await
        .unwrap();
    let timeout: Option<String> = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_optional(&pool)
        .await
        .unwrap();
    assert_eq!(timeout.as_deref(), Some("100ms"));

    let runaway = || sqlx::query("SELECT pg_sleep(60)").execute(&pool);
    let from_sqlx = ApiError::from(runaway().await.unwrap_err());
    let from_core = ApiError::from(bastion_core::CoreError::from(runaway().await.unwrap_err()));
    for error in [from_sqlx, from_core] {
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["code"], "timeout", "{json}");
    }
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_openapi_document_matches_the_committed_snapshot() {
    let app = spawn_app().await;
    let served = app.get("/api/schema/").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(header(&served, "content-type"), "application/json");

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &served.body).unwrap();
    }
    let committed = std::fs::read_to_string(path)
        .expect("docs/openapi.json exists (UPDATE_SNAPSHOTS=1 cargo test -p bastion to create it)");
    assert!(
        served.body == committed,
        "the served OpenAPI document differs from docs/openapi.json; if the change is intended, \
         run `UPDATE_SNAPSHOTS=1 cargo test -p bastion --test http` and commit the result"
    );

    let doc: serde_json::Value = serde_json::from_str(&served.body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    // Every operation is named <verb>_<resource>, tagged, and documents its answers.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            let verb = id.split('_').next().unwrap_or_default();
            assert!(
                [
                    "get", "list", "create", "update", "delete", "add", "remove", "export",
                    "start", "confirm", "request", "reset", "revoke", "sign", "accept", "rotate",
                    "mark"
                ]
                .contains(&verb),
                "{method} {path}: operationId {id:?} is not <verb>_<resource>"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{id} has no tag"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{id}"
            );
            // Any operation may find the database gone: its one 503 says so, and when to retry.
            let unavailable = &op["responses"]["503"];
            assert!(
                unavailable["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("`unavailable`")),
                "{id}: the 503 does not name `unavailable`"
            );
            assert!(
                unavailable["headers"]["Retry-After"].is_object(),
                "{id}: the 503 documents no Retry-After"
            );
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer_token"]["scheme"], "bearer");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_also_served_as_yaml_and_bad_formats_are_named() {
    let app = spawn_app().await;
    let yaml = app.get("/api/schema/?format=yaml").await;
    assert_eq!(yaml.status, StatusCode::OK);
    assert_eq!(header(&yaml, "content-type"), "application/yaml");
    assert!(
        yaml.body.contains("openapi: 3."),
        "{}",
        &yaml.body[..80.min(yaml.body.len())]
    );

    let bad = app.get("/api/schema/?format=xml").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let json: serde_json::Value = serde_json::from_str(&bad.body).unwrap();
    assert_eq!(json["error"]["field"], "format");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reference_pages_are_served_without_any_cdn() {
    let app = spawn_app().await;
    let swagger = app.get("/api/docs/").await;
    assert_eq!(swagger.status, StatusCode::OK);
    assert!(swagger.body.contains("swagger"), "{}", swagger.body);
    let init = app.get("/api/docs/swagger-initializer.js").await;
    assert_eq!(init.status, StatusCode::OK);
    assert!(init.body.contains("/api/schema/"), "{}", init.body);

    let redoc = app.get("/api/redoc/").await;
    assert_eq!(redoc.status, StatusCode::OK);
    let csp = header(&redoc, "content-security-policy");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(redoc.body.contains(&format!("nonce=\"{nonce}\"")));
    for page in [&swagger.body, &redoc.body, &init.body] {
        assert!(!page.contains("cdn."), "no CDN reference");
        assert!(!page.contains("unpkg"), "no CDN reference");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_name_route_templates_and_are_served_on_their_own_router_only() {
    let app = spawn_app().await;
    let cast = common::Cast::new(&app).await;
    assert_eq!(
        app.get_as(&cast.admin, &cast.api("/tasks")).await.status,
        StatusCode::OK
    );
    let missing = cast.api(&format!("/tasks/{}", uuid::Uuid::new_v4()));
    assert_eq!(
        app.get_as(&cast.admin, &missing).await.status,
        StatusCode::NOT_FOUND
    );
    let workspace: uuid::Uuid = sqlx::query_scalar("SELECT id FROM workspaces WHERE slug = $1")
        .bind(&cast.slug)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    bastion_core::jobs::enqueue(
        &app.db.pool,
        "export",
        bastion_core::WorkspaceId(workspace),
        Some(cast.admin_id),
    )
    .await
    .unwrap();

    // Not on the public address.
    let public = app.get("/metrics").await;
    assert_eq!(public.status, StatusCode::NOT_FOUND, "{}", public.body);

    let response = app
        .metrics
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for line in [
        r#"bastion_http_requests_total{route="/api/v1/workspaces/{ws}/tasks",method="GET",status="200"} 1"#,
        r#"bastion_http_requests_total{route="/api/v1/workspaces/{ws}/tasks/{task_id}",method="GET",status="404"} 1"#,
        r#"bastion_http_requests_total{route="unmatched",method="GET",status="404"} 1"#,
        r#"bastion_http_request_duration_seconds_count{route="/api/v1/workspaces/{ws}/tasks/{task_id}",method="GET"} 1"#,
        r#"bastion_http_request_duration_seconds_bucket{route="/api/v1/workspaces/{ws}/tasks",method="GET",le="+Inf"} 1"#,
        "bastion_jobs_queued 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    for prefix in [
        "bastion_db_pool_connections{state=\"in_use\"} ",
        "bastion_db_pool_connections{state=\"idle\"} ",
        "bastion_jobs_oldest_queued_age_seconds ",
        "bastion_outbox_unsent ",
    ] {
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in:\n{text}"));
        assert!(
            value.parse::<f64>().is_ok_and(|v| v >= 0.0),
            "{prefix}{value}"
        );
    }
    // Nothing that names a tenant or a person: the sign-ins, the 200 and the 404 above all went
    // through paths holding the slug or an id.
    for secret in [
        cast.slug.clone(),
        cast.other_slug.clone(),
        cast.admin_id.to_string(),
        cast.member_id.to_string(),
        workspace.to_string(),
        missing.clone(),
    ] {
        assert!(!text.contains(&secret), "`{secret}` leaks into:\n{text}");
    }
}

/// The real router over `app`'s database, serving the site directory `site_root`.
fn router_for_site(app: &common::TestApp, site_root: &std::path::Path) -> axum::Router {
    let data = app.data_dir.path().display().to_string();
    let config =
        bastion::config::Config::load_with_env(Some(std::path::Path::new("/dev/null")), |name| {
            (name == "BASTION_DATA_DIR").then(|| data.clone())
        })
        .unwrap();
    bastion::router(bastion::AppState {
        pool: app.db.pool.clone(),
        live: bastion_core::live::Hub::new(app.db.pool.clone()),
        keys: std::sync::Arc::new(bastion_core::testing::master_keys().clone()),
        leptos_options: bastion::site_options(&config, site_root.to_str().unwrap()).unwrap(),
        objects: app.objects.clone(),
        config: std::sync::Arc::new(config),
        shutting_down: Default::default(),
    })
}

async fn fetch(
    router: &axum::Router,
    uri: &str,
    accept_encoding: Option<&str>,
) -> (axum::http::response::Parts, Vec<u8>) {
    let mut request = Request::get(uri);
    if let Some(encodings) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, encodings);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    (parts, body.collect().await.unwrap().to_bytes().to_vec())
}

fn header_of<'a>(parts: &'a axum::http::response::Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).map(|v| v.to_str().unwrap())
}

/// A site directory as `./x` leaves it after `cargo leptos build`: hashed pkg names, each with
/// its `.br` and `.gz` beside it, and the hash file naming them at the site's root. The
/// compressed files hold marker bytes, so the body shows which file was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkg_files_go_out_precompressed_and_cached_for_a_year_and_pages_are_never_cached() {
    let app = spawn_app().await;
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    let wasm_hash = "WasmHashWasmHashWasm01";
    let wasm_name = format!("bastion.{wasm_hash}.wasm");
    let original = b"\0asm\x01\0\0\0 the original module".to_vec();
    std::fs::write(pkg.join(&wasm_name), &original).unwrap();
    std::fs::write(pkg.join(format!("{wasm_name}.br")), b"brotli bytes").unwrap();
    std::fs::write(pkg.join(format!("{wasm_name}.gz")), b"gzip bytes").unwrap();
    std::fs::write(pkg.join("bastion.CssHashCssHashCssHas02.css"), "body{}").unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    std::fs::write(
        site.path().join(bastion::HASH_FILE),
        format!("js: JsHashJsHashJsHashJs03\nwasm: {wasm_hash}\ncss: CssHashCssHashCssHas02\n"),
    )
    .unwrap();
    let router = router_for_site(&app, site.path());
    let uri = format!("/pkg/{wasm_name}");

    let (brotli, body) = fetch(&router, &uri, Some("gzip, deflate, br")).await;
    assert_eq!(brotli.status, StatusCode::OK);
    assert_eq!(header_of(&brotli, "content-encoding"), Some("br"));
    assert_eq!(body, b"brotli bytes");
    assert_eq!(header_of(&brotli, "content-type"), Some("application/wasm"));
    assert_eq!(
        header_of(&brotli, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(
        header_of(&brotli, "vary").is_some_and(|v| v.contains("accept-encoding")),
        "{:?}",
        brotli.headers
    );
    // The security headers still come with it.
    assert_eq!(
        header_of(&brotli, "x-content-type-options"),
        Some("nosniff")
    );

    let (gzip, body) = fetch(&router, &uri, Some("gzip")).await;
    assert_eq!(header_of(&gzip, "content-encoding"), Some("gzip"));
    assert_eq!(body, b"gzip bytes");

    let (identity, body) = fetch(&router, &uri, None).await;
    assert_eq!(identity.status, StatusCode::OK);
    assert_eq!(header_of(&identity, "content-encoding"), None);
    assert_eq!(body, original);
    assert_eq!(
        header_of(&identity, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    // A missing file is not remembered: the next deploy may bring it.
    let (missing, _) = fetch(&router, "/pkg/bastion.Other.wasm", Some("br")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(header_of(&missing, "cache-control"), None);

    // The page names the hashed files, read from the hash file in the site directory, and is
    // never cached.
    let (page, body) = fetch(&router, "/", Some("br")).await;
    let body = String::from_utf8(body).unwrap();
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(header_of(&page, "cache-control"), Some("no-cache, private"));
    assert!(
        body.contains("/pkg/bastion.CssHashCssHashCssHas02.css"),
        "{body}"
    );
    assert!(body.contains("bastion.JsHashJsHashJsHashJs03"), "{body}");
    assert!(body.contains(&format!("bastion.{wasm_hash}")), "{body}");
    let (not_found, _) = fetch(&router, "/no-such-page", None).await;
    assert_eq!(not_found.status, StatusCode::NOT_FOUND);
    assert_eq!(
        header_of(&not_found, "cache-control"),
        Some("no-cache, private")
    );

    // Other site files keep their names across builds: an hour, then the browser asks again.
    let (favicon, _) = fetch(&router, "/favicon.svg", None).await;
    assert_eq!(favicon.status, StatusCode::OK);
    assert_eq!(
        header_of(&favicon, "cache-control"),
        Some("public, max-age=3600")
    );

    // A site built without hashed names: the same URL may hold a new build, so the browser
    // revalidates every time.
    std::fs::remove_file(site.path().join(bastion::HASH_FILE)).unwrap();
    let unhashed = router_for_site(&app, site.path());
    let (plain, _) = fetch(&unhashed, &uri, Some("br")).await;
    assert_eq!(header_of(&plain, "content-encoding"), Some("br"));
    assert_eq!(header_of(&plain, "cache-control"), Some("no-cache"));
}
