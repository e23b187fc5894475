//! Headers that every response carries, and the per-request CSP nonce that lets exactly our own
//! hydration script run.

use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use rand::RngCore;

/// The nonce of this request's `Content-Security-Policy`, put in request extensions for the
/// renderer to stamp on its `<script>` tags.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    pub hsts: bool,
}

pub async fn security_headers(
    State(settings): State<SecurityHeaders>,
    mut request: Request,
    next: Next,
) -> Response {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let nonce = STANDARD.encode(bytes);
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let docs_page = is_docs_page(request.uri().path());

    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A download sets its own, stricter policy (`api::download::SANDBOX`); it is kept.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = content_security_policy(&nonce, docs_page);
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if settings.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    // A page carries this request's nonce and the signed-in person's data: the browser asks
    // again every time, and no shared cache keeps it.
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PAGE_CACHE));
    }
    response
}

/// `Cache-Control` of every HTML page.
pub const PAGE_CACHE: &str = "no-cache, private";
/// `Cache-Control` of a `/pkg` file whose name carries a hash of its content: a new build makes
/// new names, so a browser may keep these for a year without asking.
pub const HASHED_CACHE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of the site's other files (favicon, vendored bundles): their names do not
/// change with their content, so a browser reuses them for an hour, then asks again.
pub const SITE_FILE_CACHE: &str = "public, max-age=3600";

/// Cache headers of a `/pkg` answer (`hashed`: the site was built with hashed names). Without
/// hashed names the browser revalidates each time (`Last-Modified` makes that a 304). Errors
/// get none, so that a 404 during a deploy is not remembered.
pub async fn pkg_cache(State(hashed): State<bool>, mut response: Response) -> Response {
    let status = response.status();
    let headers = response.headers_mut();
    // The same URL answers brotli, gzip or the original by `Accept-Encoding`.
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let value = if hashed { HASHED_CACHE } else { "no-cache" };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

/// Cache headers of what the site-directory fallback answers: a file there gets
/// [`SITE_FILE_CACHE`]; the not-found page is HTML and gets [`PAGE_CACHE`] from
/// [`security_headers`].
pub async fn site_file_cache(mut response: Response) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if response.status() == StatusCode::OK
        && !is_html
        && !response.headers().contains_key(header::CACHE_CONTROL)
    {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(SITE_FILE_CACHE),
        );
    }
    response
}

/// The API reference pages are third-party bundles that style elements inline and start workers
/// from blobs; only they get those allowances.
fn is_docs_page(path: &str) -> bool {
    path.starts_with("/api/docs") || path.starts_with("/api/redoc")
}

pub fn content_security_policy(nonce: &str, docs_page: bool) -> String {
    // 'wasm-unsafe-eval' lets the browser compile our WebAssembly; it does not allow eval().
    let common = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         connect-src 'self'; img-src 'self' data:; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if docs_page {
        format!("{common}; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:")
    } else {
        format!("{common}; style-src 'self'")
    }
}
