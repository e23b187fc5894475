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
        // As a value first, for the content type and the syntax errors axum names.
        let Json(mut value) = Json::<serde_json::Value>::from_request(request, state)
            .await
            .map_err(invalid_body)?;
        whole_numbers(&mut value);
        serde_json::from_value(value)
            .map(Self)
            .map_err(|e| ApiError::Invalid {
                field: "body".into(),
                message: e.to_string(),
            })
    }
}

/// `53.0` is the integer 53 to JSON Schema (and to JavaScript, where every number is a float),
/// so the document's `integer` fields take it; serde would refuse it for an `i64`. A float
/// field takes the integer just as well, so every whole float becomes an integer.
fn whole_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64() {
                // Within ±2^53 a float is an exact integer; beyond, leave it to the field's bounds.
                if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                    *value = serde_json::Value::from(f as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
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
    use super::{has_nul_escape, is_object, whole_numbers};

    #[test]
    fn a_whole_float_is_an_integer() {
        let mut value =
            serde_json::json!({"every": 53.0, "rate": 12.5, "n": [2.0, -0.0], "big": 1e300});
        whole_numbers(&mut value);
        assert_eq!(value["every"], serde_json::json!(53));
        assert!(value["every"].is_i64());
        assert_eq!(value["rate"], serde_json::json!(12.5));
        assert_eq!(value["n"], serde_json::json!([2, 0]));
        assert!(value["big"].is_f64());
    }

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
