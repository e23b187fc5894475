//! Files handed out (attachments, workspace exports): always to be saved, never shown.

use axum::{
    body::Body,
    http::{header, HeaderValue},
    response::Response,
};

use crate::error::ApiError;

/// The policy of a file someone uploaded or we generated: if a browser opens it anyway, an
/// uploaded page or script runs in a sandbox with nothing allowed.
pub const SANDBOX: &str = "sandbox; default-src 'none'";

/// A download of `length` bytes: `Content-Disposition: attachment`, `nosniff` so the declared
/// type is not second-guessed, the sandbox policy (which `security_headers` keeps), and no
/// caching of what is private.
pub fn download(
    body: Body,
    content_type: HeaderValue,
    length: u64,
    disposition: &str,
) -> Result<Response, ApiError> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(disposition).map_err(ApiError::internal)?,
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(SANDBOX),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}
