//! A query-string extractor whose rejections speak our error shape (422 naming the parameter),
//! like [`crate::json::ApiJson`] for bodies. axum's own answers a plain-text 400.

use axum::{
    extract::{rejection::QueryRejection, FromRequestParts, Query},
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(invalid_query(&rejection)),
        }
    }
}

/// serde_urlencoded says `limit: invalid digit found in string`: the text before the colon is
/// the parameter when it looks like one.
fn invalid_query(rejection: &QueryRejection) -> ApiError {
    let text = rejection.body_text();
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    match detail.split_once(": ") {
        Some((name, message))
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            ApiError::Invalid {
                field: name.to_owned(),
                message: message.to_owned(),
            }
        }
        _ => ApiError::Invalid {
            field: "query".into(),
            message: detail.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Page {
        limit: Option<u32>,
        user_id: Option<uuid::Uuid>,
    }

    async fn extract(query: &str) -> Result<Page, ApiError> {
        let (mut parts, ()) = Request::builder()
            .uri(format!("/x?{query}"))
            .body(())
            .unwrap()
            .into_parts();
        ApiQuery::<Page>::from_request_parts(&mut parts, &())
            .await
            .map(|q| q.0)
    }

    #[tokio::test]
    async fn a_bad_parameter_is_a_422_naming_it() {
        for (query, field) in [
            ("limit=null&limit=null", "limit"),
            ("user_id=", "user_id"),
            ("limit=-1", "limit"),
        ] {
            match extract(query).await {
                Err(ApiError::Invalid { field: f, .. }) => assert_eq!(f, field, "{query}"),
                other => panic!("{query}: {other:?}"),
            }
        }
        assert!(extract("limit=5").await.is_ok());
    }
}
