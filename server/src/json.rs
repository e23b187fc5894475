//! A JSON body extractor whose rejections speak our error shape, naming what is wrong.

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    Json,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        // PostgreSQL text cannot hold NUL: refused here, named, rather than failing in a query.
        let (parts, body) = request.into_parts();
        let bytes =
            axum::body::to_bytes(body, usize::MAX)
                .await
                .map_err(|_| ApiError::Invalid {
                    field: "body".into(),
                    message: "could not be read".into(),
                })?;
        if has_nul_escape(&bytes) {
            return Err(ApiError::Invalid {
                field: "body".into(),
                message: "must not contain NUL characters (\\u0000)".into(),
            });
        }
        // Every body of the API is an object. serde would also fill a struct from an array of
        // its fields in order (`["renamed", true]` renamed and archived a project), which the
        // document does not allow and no client means.
        if !is_object(&bytes) {
            return Err(ApiError::Invalid {
                field: "body".into(),
                message: "must be a JSON object".into(),
            });
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(invalid_body(rejection)),
        }
    }
}

fn invalid_body(rejection: JsonRejection) -> ApiError {
    let message = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "must be sent with Content-Type: application/json".to_owned()
        }
        // serde's message names the field and the problem ("missing field `email`").
        JsonRejection::JsonDataError(e) => e.body_text().replace(
            "Failed to deserialize the JSON body into the target type: ",
            "",
        ),
        JsonRejection::JsonSyntaxError(_) => "is not valid JSON".to_owned(),
        _ => "could not be read".to_owned(),
    };
    ApiError::Invalid {
        field: "body".into(),
        message,
    }
}

/// Whether a body can be an object: its first character after any whitespace is `{` (an empty
/// body is left to the parser, which names what is missing).
fn is_object(bytes: &[u8]) -> bool {
    matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | None
    )
}

/// Whether a JSON text holds the escape `\u0000` (a NUL character in a string); a raw NUL byte
/// is not valid JSON and is refused by the parser anyway. `\\u0000` (a backslash, then the
/// text `u0000`) is not a NUL.
fn has_nul_escape(bytes: &[u8]) -> bool {
    const ESCAPE: &[u8] = b"\\u0000";
    (0..bytes.len()).any(|i| {
        bytes[i..].starts_with(ESCAPE) && {
            let backslashes = bytes[..=i]
                .iter()
                .rev()
                .take_while(|b| **b == b'\\')
                .count();
            backslashes % 2 == 1
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{has_nul_escape, is_object};

    #[test]
    fn only_an_object_is_a_body() {
        assert!(is_object(br#" {"name": "x"}"#));
        for other in [
            &br#"["renamed", true]"#[..],
            br#" "x""#,
            b"12",
            b"-1",
            b"true",
            b"null",
        ] {
            assert!(!is_object(other), "{}", String::from_utf8_lossy(other));
        }
        assert!(!is_object(b"nonsense"));
        assert!(is_object(b""));
    }

    #[test]
    fn only_a_real_nul_escape_counts() {
        assert!(has_nul_escape(br#"{"email": "a\u0000b"}"#));
        assert!(has_nul_escape(br#"{"a": "\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a": "\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a": "u0000 \u0001"}"#));
    }
}
