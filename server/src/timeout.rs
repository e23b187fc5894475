//! The server-wide request time limit (`BASTION_REQUEST_TIMEOUT_SECS`).
//!
//! The limit runs from the moment the request's body has been received (its last byte, or the
//! request's arrival when it has none) to the moment the response's head is ready. Counting from
//! the body's last byte keeps a 25 MiB attachment upload over a slow line working, as long as its
//! bytes keep coming; counting only to the head keeps attachment and export downloads, which
//! stream their body afterwards, working however long they take.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    body::Body,
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::BodyExt;
use tokio::time::Instant;

use crate::error::ApiError;

/// Default of `BASTION_REQUEST_TIMEOUT_SECS`.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Answers 503 `timeout` when the handler has not produced a response within `limit` of the
/// request body's last byte. The handler's future is dropped: its open transaction is rolled
/// back when its connection returns to the pool.
pub async fn limit_time(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Milliseconds after `started` at which the last body frame arrived.
    let last_frame = Arc::new(AtomicU64::new(0));
    let request = {
        let last_frame = last_frame.clone();
        request.map(move |body| {
            Body::new(body.map_frame(move |frame| {
                let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                last_frame.fetch_max(elapsed, Ordering::Relaxed);
                frame
            }))
        })
    };
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request);
    tokio::pin!(response);
    loop {
        let deadline = started + Duration::from_millis(last_frame.load(Ordering::Relaxed)) + limit;
        tokio::select! {
            response = &mut response => return response,
            () = tokio::time::sleep_until(deadline) => {
                // A body frame may have arrived while we slept: the limit then counts from it.
                let latest = started + Duration::from_millis(last_frame.load(Ordering::Relaxed));
                if latest + limit <= Instant::now() {
                    tracing::warn!(%method, %path, limit_secs = limit.as_secs_f64(), "request timed out");
                    return ApiError::Timeout.into_response();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{
        http::{Method, StatusCode},
        middleware,
        routing::{get, post},
        Router,
    };
    use tower::ServiceExt;

    fn app(limit: Duration) -> Router {
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    "never"
                }),
            )
            .route(
                "/echo",
                post(|body: axum::body::Bytes| async move { body.len().to_string() }),
            )
            .layer(middleware::from_fn_with_state(limit, limit_time))
    }

    async fn answer(router: Router, request: Request) -> (StatusCode, String) {
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_handler_past_the_limit_gets_a_503_timeout_error() {
        let request = Request::builder().uri("/slow").body(Body::empty()).unwrap();
        let (status, body) = answer(app(Duration::from_millis(50)), request).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"]["code"], "timeout", "{body}");
    }

    /// An upload whose bytes keep coming is not cut off, however long the whole transfer takes:
    /// here ten chunks spaced well under the limit take longer than the limit in total.
    #[tokio::test]
    async fn a_body_that_keeps_arriving_is_not_cut_off() {
        let limit = Duration::from_secs(2);
        let chunks = futures::stream::unfold(0u32, move |sent| async move {
            if sent == 10 {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            Some((
                Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'x'; 1000])),
                sent + 1,
            ))
        });
        let request = Request::builder()
            .method(Method::POST)
            .uri("/echo")
            .body(Body::from_stream(chunks))
            .unwrap();
        let (status, body) = answer(app(limit), request).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "10000"));
    }
}
