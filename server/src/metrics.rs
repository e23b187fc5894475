//! Operational metrics in the Prometheus text format, served by `bastion serve` on
//! `BASTION_METRICS_ADDR` only, never on the public address.
//!
//! Labels never carry a workspace slug, a user id or a raw path: requests are labelled with the
//! route *template* they matched, so the series stay few and say nothing about who did what.
//! The format is written by hand: counters and a fixed-bucket histogram behind one mutex are all
//! this needs, and a metrics library would be a larger dependency than the code it replaces.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use sqlx::PgPool;

/// Upper bounds of the latency buckets, in seconds: 5 ms to 10 s.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Requests that matched no route share this label.
const UNMATCHED: &str = "unmatched";

/// What the HTTP layer has counted since the process started.
#[derive(Default)]
pub struct HttpMetrics {
    inner: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    /// (route, method, status) → requests.
    requests: BTreeMap<(String, &'static str, u16), u64>,
    /// (route, method) → latency.
    durations: BTreeMap<(String, &'static str), Histogram>,
}

#[derive(Default)]
struct Histogram {
    /// Non-cumulative: `buckets[i]` counts observations in (BUCKETS[i-1], BUCKETS[i]].
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl HttpMetrics {
    fn observe(&self, route: &str, method: &'static str, status: u16, seconds: f64) {
        let mut counts = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *counts
            .requests
            .entry((route.to_owned(), method, status))
            .or_default() += 1;
        let histogram = counts
            .durations
            .entry((route.to_owned(), method))
            .or_default();
        if let Some(i) = BUCKETS.iter().position(|&le| seconds <= le) {
            histogram.buckets[i] += 1;
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    fn render(&self, out: &mut String) {
        let counts = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str(
            "# HELP bastion_http_requests_total HTTP requests answered, by matched route template.\n\
             # TYPE bastion_http_requests_total counter\n",
        );
        for ((route, method, status), n) in &counts.requests {
            let route = escape(route);
            let _ = writeln!(
                out,
                "bastion_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP bastion_http_request_duration_seconds Time until the response head, by matched \
             route template.\n\
             # TYPE bastion_http_request_duration_seconds histogram\n",
        );
        for ((route, method), h) in &counts.durations {
            let route = escape(route);
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            let mut cumulative = 0;
            for (le, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "bastion_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "bastion_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 bastion_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 bastion_http_request_duration_seconds_count{{{labels}}} {}",
                h.count, h.sum, h.count
            );
        }
    }
}

/// Counts one request under its route template. Added with `Router::layer`, so it runs after
/// routing, where axum has recorded the matched template.
pub async fn track(
    State(metrics): State<Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let method = method_label(request.method());
    let response = next.run(request).await;
    metrics.observe(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Any client can send any method token; only the standard ones get a series of their own.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// A label value as the text format needs it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[derive(Clone)]
struct Scrape {
    pool: PgPool,
    http: Arc<HttpMetrics>,
}

/// The router for `BASTION_METRICS_ADDR`: `GET /metrics` and nothing else.
pub fn router(pool: PgPool, http: Arc<HttpMetrics>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape { pool, http })
}

/// Renders every metric. The pool figures are read from the pool itself; the queue figures take
/// one indexed query each. When the database does not answer, those are left out (and the
/// failure logged) rather than reported as zero, which would look like an empty queue.
async fn scrape(State(scrape): State<Scrape>) -> Response {
    let mut out = String::with_capacity(4096);
    scrape.http.render(&mut out);

    let size = scrape.pool.size();
    let idle = u32::try_from(scrape.pool.num_idle()).unwrap_or(u32::MAX);
    let _ = write!(
        out,
        "# HELP bastion_db_pool_connections Open PostgreSQL connections of this process's pool.\n\
         # TYPE bastion_db_pool_connections gauge\n\
         bastion_db_pool_connections{{state=\"in_use\"}} {}\n\
         bastion_db_pool_connections{{state=\"idle\"}} {idle}\n",
        size.saturating_sub(idle)
    );

    match bastion_core::jobs::queue_depth(&scrape.pool).await {
        Ok(depth) => {
            let _ = write!(
                out,
                "# HELP bastion_jobs_queued Background jobs waiting for a runner.\n\
                 # TYPE bastion_jobs_queued gauge\n\
                 bastion_jobs_queued {}\n\
                 # HELP bastion_jobs_oldest_queued_age_seconds How long the oldest queued job \
                 has waited (0 when none waits).\n\
                 # TYPE bastion_jobs_oldest_queued_age_seconds gauge\n\
                 bastion_jobs_oldest_queued_age_seconds {}\n",
                depth.queued,
                depth.oldest_age_secs.unwrap_or(0.0).max(0.0)
            );
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the job queue"),
    }
    match bastion_core::mail::unsent_count(&scrape.pool).await {
        Ok(unsent) => {
            let _ = write!(
                out,
                "# HELP bastion_outbox_unsent Email messages waiting to be sent.\n\
                 # TYPE bastion_outbox_unsent gauge\n\
                 bastion_outbox_unsent {unsent}\n"
            );
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox"),
    }

    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// Serves [`router`] on `listener` until `shutting_down` is cancelled.
pub async fn serve(
    listener: tokio::net::TcpListener,
    pool: PgPool,
    http: Arc<HttpMetrics>,
    shutting_down: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(pool, http))
        .with_graceful_shutdown(shutting_down.cancelled_owned())
        .await
}
