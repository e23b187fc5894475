//! The `bastion` server: configuration, the HTTP router and its middleware, the REST API, and
//! the operator commands. Data access lives in `bastion-core`; pages live in `app`.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod database;
pub mod error;
pub mod form_posts;
pub mod json;
pub mod language;
pub mod mailer;
pub mod metrics;
pub mod query;
pub mod security;
pub mod timeout;
pub mod unsubscribe;

use std::{sync::Arc, time::Duration};

use axum::{
    extract::FromRef,
    http::{HeaderName, Request},
    middleware, Router,
};
use leptos::prelude::{provide_context, use_context, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::PgPool;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    config::Config,
    security::{CspNonce, SecurityHeaders},
};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// Unwraps workspace data keys (see `bastion_core::secrets`).
    pub keys: Arc<bastion_core::keys::MasterKeyRing>,
    pub config: Arc<Config>,
    /// Attachments and export archives: the S3 bucket or the local folder (`Config::objects`),
    /// one client shared by every request and the job runner.
    pub objects: bastion_core::storage::Objects,
    pub leptos_options: LeptosOptions,
    /// The live-update fan-out of this process: one LISTEN connection, started with the first
    /// event stream (`GET …/events`, `api::events`).
    pub live: bastion_core::live::Hub,
    /// Cancelled when the process begins shutting down (SIGTERM, Ctrl-C). The server then
    /// accepts no connection and lets in-flight requests finish; event streams end at once
    /// (their clients reconnect, to another server, after the retry hint) rather than hold the
    /// shutdown until the grace period runs out.
    pub shutting_down: tokio_util::sync::CancellationToken,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Larger bodies are refused before a handler runs; attachment uploads get their own limit.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The body of an import (a CSV's text or a workbook in base64, at most 2 MiB of file each, or a
/// Trello board), through REST or the import page: room for the file once escaped or encoded.
pub const IMPORT_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The whole application as one router: pages, server functions, the REST API and its
/// documentation, behind the security, request-id and tracing layers. Its request counts go to
/// a registry nobody reads; `serve` uses [`router_with_metrics`] to expose them.
pub fn router(state: AppState) -> Router {
    router_with_metrics(state, Arc::default())
}

/// The pages' routes, found once per process by rendering the app. Leptos suppresses every
/// resource load process-wide while it renders for the list, and a page render whose resource
/// first polls inside that window waits forever (leptos-rs/leptos#4773): a second router built
/// while the first serves (the tests do, one per test) would hang a page until the request limit.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// [`router`], counting every request into `metrics` (served by [`metrics::router`] on its own
/// address).
pub fn router_with_metrics(state: AppState, metrics: Arc<metrics::HttpMetrics>) -> Router {
    let routes = route_list();
    let security = SecurityHeaders {
        hsts: state.config.serves_https(),
    };
    let shell_options = state.leptos_options.clone();
    let server_context = app::server::ServerContext {
        pool: state.pool.clone(),
        secure_cookies: state.config.serves_https(),
        trusted_proxies: state.config.trusted_proxies.clone(),
        keys: state.keys.clone(),
        signup_limits: state.config.signup_limits,
        origin: state.config.origin(),
        relying_party: state.config.relying_party().ok(),
        security_contact: state.config.security_contact.clone(),
        objects: state.objects.clone(),
        sso: state.config.sso(),
        webhooks: state.config.webhooks(),
    };
    let context = move || {
        provide_request_nonce();
        provide_page_prefs();
        provide_context(server_context.clone());
    };

    // Everything else in the site directory (favicon, vendored bundles) and the not-found page.
    let site_files = tower::Layer::layer(
        &middleware::map_response(security::site_file_cache),
        axum::handler::Handler::with_state(
            leptos_axum::file_and_error_handler_with_context::<AppState, _>(
                context.clone(),
                app::shell,
            ),
            state.clone(),
        ),
    );

    Router::new()
        .merge(api::router())
        .route("/language", axum::routing::post(language::choose))
        .route(
            "/unsubscribe",
            axum::routing::get(unsubscribe::confirm).post(unsubscribe::apply),
        )
        .nest_service("/pkg", pkg_files(&state.leptos_options))
        .leptos_routes_with_context(&state, routes, context, move || {
            app::shell(shell_options.clone())
        })
        .fallback_service(site_files)
        .layer(middleware::from_fn_with_state(
            state.config.serves_https(),
            form_posts::answer,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::refuse_cross_origin,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), page_prefs))
        .layer(middleware::from_fn_with_state(
            upload_limit(&state.config),
            limit_body,
        ))
        .layer(middleware::from_fn_with_state(
            state.config.request_timeout,
            timeout::limit_time,
        ))
        // Outside the layers that refuse requests themselves (timeout, body limit, cross-origin),
        // so their messages are translated too.
        .layer(middleware::from_fn(language::scope))
        .with_state(state)
        .layer(middleware::from_fn(close_after_refused_body))
        .layer(middleware::from_fn_with_state(
            security,
            security::security_headers,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %request_id,
                )
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // Outermost, so that every answer counts, including those the layers above give
        // themselves (413, 503 on timeout, 403 cross-origin).
        .layer(middleware::from_fn_with_state(metrics, metrics::track))
}

/// The WASM, its JS glue and the stylesheet, from `<site root>/pkg`. A client that accepts
/// brotli or gzip gets the `.br` / `.gz` file beside the original, which `./x` writes after
/// `cargo leptos build` (compressing once at build time at the best level, rather than on every
/// request at a fast one); without it, or without those files, the original. Cache headers:
/// [`security::pkg_cache`].
fn pkg_files(options: &LeptosOptions) -> Router {
    let dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    Router::new()
        .fallback_service(
            tower_http::services::ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(middleware::map_response_with_state(
            options.hash_files,
            security::pkg_cache,
        ))
}

/// The cap on an attachment upload's request body: the file itself plus room for the multipart
/// framing and the other form fields.
fn upload_limit(config: &Config) -> usize {
    usize::try_from(config.max_upload_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024)
}

/// A refusal of a request that carries a body says `Connection: close`. A handler that refuses
/// before it reads the body (an upload to a workspace the caller cannot see, a body over the
/// cap) leaves it unread, and hyper then closes the connection after the answer; without the
/// header a keep-alive client sends its next request down a closed connection and fails.
async fn close_after_refused_body(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::{body::HttpBody, http::header};
    // hyper's body knows: a `Content-Length` of 0 (or none, without chunks) is already at its end.
    let has_body = !request.body().is_end_stream();
    let mut response = next.run(request).await;
    let status = response.status();
    if has_body && (status.is_client_error() || status.is_server_error()) {
        response.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// Caps every request body before a handler reads it: [`MAX_BODY_BYTES`] in general, the
/// configured upload limit for attachment uploads and export archives brought back,
/// [`IMPORT_BODY_BYTES`] for spreadsheet and Trello imports. A declared length over the cap is refused at
/// once; an undeclared one is cut off when it passes the cap (the extractors then answer 413).
async fn limit_body(
    axum::extract::State(upload_limit): axum::extract::State<usize>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let is_upload = request.method() == axum::http::Method::POST
        && request.uri().path().starts_with("/api/v1/workspaces/")
        && (request.uri().path().ends_with("/attachments")
            || request.uri().path().ends_with("/imports/archive"));
    let path = request.uri().path();
    let is_import = request.method() == axum::http::Method::POST
        && ((path.starts_with("/api/v1/workspaces/")
            && (path.ends_with("/imports/csv") || path.ends_with("/imports/trello")))
            || path == "/api/fn/import_csv");
    let limit = if is_upload {
        upload_limit
    } else if is_import {
        IMPORT_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(error::ErrorBody {
                error: error::ErrorDetail {
                    code: "too_large".into(),
                    message: format!("The request body is larger than {limit} bytes."),
                    field: None,
                },
            }),
        )
            .into_response();
    }
    let request =
        request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// Hands the request's CSP nonce to the renderer, which stamps it on the hydration scripts.
fn provide_request_nonce() {
    if let Some(parts) = use_context::<axum::http::request::Parts>() {
        if let Some(nonce) = parts.extensions.get::<CspNonce>() {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0.clone()));
        }
    }
}

/// Whether the request asks for HTML: a browser does when it navigates or posts a plain form,
/// not for a script, an image or a fetch.
pub(crate) fn asks_for_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// A page: a `GET` for HTML outside `/api/`.
pub(crate) fn is_page_request(request: &axum::extract::Request) -> bool {
    request.method() == axum::http::Method::GET
        && !request.uri().path().starts_with("/api/")
        && asks_for_html(request.headers())
}

/// Finds the language of every request and, for a page request (a GET for HTML outside `/api/`,
/// carrying a session cookie), the signed-in person's colour scheme, and hands both to the
/// renderer as request extensions, so the shell writes `<html lang data-theme>` before the first
/// paint and hydration agrees. The language is the person's saved one, else the language cookie,
/// else `Accept-Language`, else English; server functions and REST calls skip the database and
/// go by the cookie and the header. A page of a workspace that requires two-factor sign-in,
/// asked for by a member who has none, is answered with a redirect to the account page's
/// enrolment (found by the same read). One indexed read per page; a database that cannot answer
/// leaves the page on the cookie's language and the device's scheme rather than failing it.
async fn page_prefs(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let headers = request.headers();
    let mut locale = language::requested(headers);
    if is_page_request(&request) {
        if let Some(token) = auth::session_cookie(headers) {
            let slug = workspace_page_slug(request.uri().path()).map(str::to_owned);
            match bastion_core::sessions::page_prefs_in(&state.pool, &token, slug.as_deref()).await
            {
                Ok(Some(prefs))
                    if prefs.two_factor_owed
                        && owes_two_factor_as_member(&state, prefs.user_id, slug.as_deref())
                            .await =>
                {
                    // Nothing of a workspace that requires two-factor sign-in before it is on:
                    // the account page's enrolment, which says why and links back.
                    let slug = slug.unwrap_or_default();
                    let to = format!("/account?two_factor_required={slug}#two-factor-title");
                    return axum::response::IntoResponse::into_response(
                        axum::response::Redirect::to(&to),
                    );
                }
                Ok(Some(prefs)) => {
                    locale = prefs.locale;
                    request
                        .extensions_mut()
                        .insert(app::PageTheme::from_name(prefs.theme.as_str()));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the page preferences"),
            }
        }
    }
    request.extensions_mut().insert(locale);
    next.run(request).await
}

/// Whether the person is an *active* member of workspace `slug` who owes it two-factor sign-in:
/// the directory (which the page preferences read) also lists deactivated members, and sending
/// one of them to enrolment would tell them the workspace requires it, where everyone else who
/// may not enter gets the page's 404. Asked of the workspace's own gate
/// ([`bastion_core::members::enter_as_member`]), and only when the cheap check said "owed".
async fn owes_two_factor_as_member(
    state: &AppState,
    user_id: uuid::Uuid,
    slug: Option<&str>,
) -> bool {
    let Some(slug) = slug else { return false };
    let Ok(Some(workspace)) = bastion_core::workspaces::find_by_slug(&state.pool, slug).await
    else {
        return false;
    };
    let Ok(conn) = state.pool.acquire().await else {
        return false;
    };
    match bastion_core::members::enter_as_member(&state.pool, conn, user_id, &workspace).await {
        Err(bastion_core::CoreError::TwoFactorRequired) => true,
        Ok(Some((_, tx))) => {
            let _ = tx.rollback().await;
            false
        }
        _ => false,
    }
}

/// The workspace a page path is in (`/w/{slug}/…`), if any.
fn workspace_page_slug(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/w/")?;
    let slug = rest.split('/').next().unwrap_or_default();
    (!slug.is_empty()).then_some(slug)
}

/// Hands the language and colour scheme found by [`page_prefs`] to the renderer and to server
/// functions.
fn provide_page_prefs() {
    if let Some(parts) = use_context::<axum::http::request::Parts>() {
        if let Some(theme) = parts.extensions.get::<app::PageTheme>() {
            provide_context(*theme);
        }
        if let Some(locale) = parts.extensions.get::<app::i18n::Locale>() {
            provide_context(*locale);
        }
        if let Some(flash) = parts.extensions.get::<app::error::Flash>() {
            provide_context(flash.clone());
        }
    }
}

/// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
/// Serves until `state.shutting_down` is cancelled, then accepts no new connection, closes idle
/// ones and returns once every in-flight request has been answered (the caller bounds that wait).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    metrics: Arc<metrics::HttpMetrics>,
) -> std::io::Result<()> {
    let shutting_down = state.shutting_down.clone().cancelled_owned();
    axum::serve(
        listener,
        router_with_metrics(state, metrics)
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutting_down)
    .await
}

/// Watches for SIGTERM (orchestrators, systemd) and SIGINT (Ctrl-C); the future resolves with the
/// signal's name. The handlers are installed before this returns, so a signal that arrives while
/// the server starts is not lost to the default action (instant death).
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        }
    })
}

/// Leptos options for this process: the site directory from `LEPTOS_SITE_ROOT` (cargo-leptos
/// sets it) or `target/site`, and our own address. Built here rather than read from cargo-leptos'
/// variables so that tests and operators can run the binary directly.
pub fn leptos_options(config: &Config) -> Result<LeptosOptions, String> {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    site_options(config, &site_root)
}

/// The file in the site directory that names the content-hashed `pkg` files.
pub const HASH_FILE: &str = "hash.txt";

/// [`leptos_options`] for the site in `site_root`. A site built with hashed names
/// (`hash-files` in `Cargo.toml`) carries [`HASH_FILE`]: cargo-leptos writes it beside the
/// binary, and `./x` copies it into the site so that the site directory alone says which names
/// to serve, wherever the binary runs from. Leptos joins `hash_file` to the executable's
/// directory, which an absolute path replaces. Without the file the plain names are used.
pub fn site_options(config: &Config, site_root: &str) -> Result<LeptosOptions, String> {
    let hash_file = std::path::absolute(std::path::Path::new(site_root).join(HASH_FILE))
        .map_err(|e| format!("LEPTOS_SITE_ROOT: {site_root}: {e}"))?;
    let hash_files = hash_file.is_file();
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("PROD" | "prod" | "production") => leptos::config::Env::PROD,
        Ok("DEV" | "dev" | "development") | Err(_) => leptos::config::Env::DEV,
        Ok(other) => return Err(format!("LEPTOS_ENV: '{other}' is neither PROD nor DEV")),
    };
    Ok(LeptosOptions::builder()
        .output_name("bastion")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .hash_files(hash_files)
        .hash_file(hash_file.to_string_lossy().into())
        .env(env)
        .site_addr(config.addr)
        .build())
}

pub fn init_tracing(format: config::LogFormat) {
    use tracing_subscriber::{fmt, prelude::*, EnvFilter};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let registry = tracing_subscriber::registry().with(filter);
    // Logs go to stderr so that a command's own output (a generated key, a listing) stays clean
    // on stdout.
    match format {
        config::LogFormat::Json => registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .init(),
        config::LogFormat::Text => registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .init(),
    }
}

pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
