//! Files handed out (attachments, workspace exports): always to be saved, never shown; streamed
//! from object storage, whole or one byte range of it.

use std::ops::Range;

use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use bastion_core::storage::Objects;

use crate::error::{ApiError, ErrorBody, ErrorDetail};

/// The policy of a file someone uploaded or we generated: if a browser opens it anyway, an
/// uploaded page or script runs in a sandbox with nothing allowed.
pub const SANDBOX: &str = "sandbox; default-src 'none'";

/// What a request's `Range` header asks of a file of a known length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// No usable `Range` header: the whole file, 200.
    Whole,
    /// One satisfiable range (end exclusive), 206.
    Part(Range<u64>),
    /// A well-formed range that starts past the end, 416.
    Unsatisfiable,
}

/// Reads a single `bytes=` range (RFC 9110 §14.2). What may be ignored is ignored, and the whole
/// file sent: another unit, a malformed header, several ranges (multipart answers help nobody
/// here), and any `If-Range`, since we send no validator it could match.
pub fn wanted(headers: &HeaderMap, length: u64) -> Wanted {
    if headers.contains_key(header::IF_RANGE) {
        return Wanted::Whole;
    }
    let Some(value) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    else {
        return Wanted::Whole;
    };
    let Some(spec) = value
        .get(..6)
        .filter(|unit| unit.eq_ignore_ascii_case("bytes="))
        .map(|_| value[6..].trim())
    else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Wanted::Whole;
    };
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            None => Wanted::Whole,
            Some(0) => Wanted::Unsatisfiable,
            Some(_) if length == 0 => Wanted::Unsatisfiable,
            Some(n) => Wanted::Part(length.saturating_sub(n)..length),
        },
        (start, end) => {
            let Some(start) = number(start) else {
                return Wanted::Whole;
            };
            let end = match end {
                "" => None,
                end => match number(end) {
                    Some(end) if end >= start => Some(end),
                    _ => return Wanted::Whole,
                },
            };
            if start >= length {
                return Wanted::Unsatisfiable;
            }
            let end = end.map_or(length, |end| end.saturating_add(1).min(length));
            Wanted::Part(start..end)
        }
    }
}

/// Sends the object under `key` (`length` bytes) as a download, or the one range the request
/// asks for (206 with `Content-Range`), or 416 for a range past its end. The bytes stream from
/// storage as they come; nothing is held whole in memory.
pub async fn object(
    objects: &Objects,
    key: &str,
    length: u64,
    request: &HeaderMap,
    content_type: HeaderValue,
    disposition: &str,
) -> Result<Response, ApiError> {
    match wanted(request, length) {
        Wanted::Whole => {
            let stream = objects.stream(key).await?;
            download(Body::from_stream(stream), content_type, length, disposition)
        }
        Wanted::Part(range) => {
            let content_range = format!("bytes {}-{}/{length}", range.start, range.end - 1);
            let part = range.end - range.start;
            let stream = objects.stream_range(key, range).await?;
            let mut response =
                download(Body::from_stream(stream), content_type, part, disposition)?;
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            response.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&content_range).map_err(ApiError::internal)?,
            );
            Ok(response)
        }
        Wanted::Unsatisfiable => Ok(unsatisfiable(length)),
    }
}

/// 416 with `Content-Range: bytes */<length>`, so the client learns the size.
fn unsatisfiable(length: u64) -> Response {
    let mut response = (
        StatusCode::RANGE_NOT_SATISFIABLE,
        Json(ErrorBody {
            error: ErrorDetail {
                code: "range_not_satisfiable".into(),
                message: format!("The file has {length} bytes; the range asked for is outside it."),
                field: None,
            },
        }),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, value);
    }
    response
}

/// A download of `length` bytes: `Content-Disposition: attachment`, `nosniff` so the declared
/// type is not second-guessed, the sandbox policy (which `security_headers` keeps), no caching
/// of what is private, and `Accept-Ranges` so that clients know they may resume.
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
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, length: u64) -> Wanted {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        wanted(&headers, length)
    }

    #[test]
    fn single_byte_ranges_are_read_as_rfc_9110_says() {
        assert_eq!(wanted(&HeaderMap::new(), 10), Wanted::Whole);
        assert_eq!(range("bytes=0-0", 10), Wanted::Part(0..1));
        assert_eq!(range("bytes=2-5", 10), Wanted::Part(2..6));
        assert_eq!(range("Bytes=2-", 10), Wanted::Part(2..10));
        assert_eq!(range("bytes=4-99", 10), Wanted::Part(4..10));
        assert_eq!(range("bytes=-3", 10), Wanted::Part(7..10));
        assert_eq!(range("bytes=-30", 10), Wanted::Part(0..10));
        assert_eq!(range("bytes=10-", 10), Wanted::Unsatisfiable);
        assert_eq!(range("bytes=10-20", 10), Wanted::Unsatisfiable);
        assert_eq!(range("bytes=-0", 10), Wanted::Unsatisfiable);
        assert_eq!(range("bytes=0-", 0), Wanted::Unsatisfiable);
        assert_eq!(range("bytes=-5", 0), Wanted::Unsatisfiable);
    }

    #[test]
    fn what_may_be_ignored_is_the_whole_file() {
        for ignored in [
            "items=0-1",
            "bytes=5-2",
            "bytes=a-b",
            "bytes=1-2,4-5",
            "bytes=",
            "bytes=-",
            "bytes=+1-2",
            "bytes 0-1",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(range(ignored, 10), Wanted::Whole, "{ignored}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-1"));
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"etag\""));
        assert_eq!(wanted(&headers, 10), Wanted::Whole);
    }
}
