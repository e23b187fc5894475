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
                    "start", "confirm", "request", "reset", "revoke", "sign", "accept"
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
    assert_eq!(app.get("/metrics").await.status, StatusCode::NOT_FOUND);

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
