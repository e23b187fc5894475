//! The one error type of the HTTP layer, mapped to a status and a JSON body once. Internal errors
//! are logged with the request id and answered without detail.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use bastion_core::CoreError;
use bastion_i18n::T;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session or token.
    #[error("sign-in required")]
    Unauthenticated,
    /// A bearer token that is unknown, expired or revoked.
    #[error("invalid API token")]
    InvalidToken,
    /// An API token on an endpoint that needs a signed-in session (account settings, other
    /// workspaces): a token acts in its one workspace only.
    #[error("a session is required")]
    SessionRequired,
    /// Wrong email or password, deliberately not saying which.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 404 also for what exists but the caller may not see: no existence oracle.
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    /// A member without two-factor sign-in, in a workspace that requires it (session or token).
    #[error("two-factor sign-in required")]
    TwoFactorRequired,
    /// A member of a workspace that signs in with single sign-on only, with a password or a
    /// passkey.
    #[error("single sign-on required")]
    SsoRequired { workspace: String, slug: String },
    /// A state-changing browser request from another origin.
    #[error("cross-origin request refused")]
    CrossOrigin,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The database cannot be reached (down, restarting, out of connections), or the process is
    /// not ready: answered with `Retry-After`, since it passes by itself.
    #[error("service unavailable")]
    Unavailable,
    /// The request time limit (`BASTION_REQUEST_TIMEOUT_SECS`) or PostgreSQL's
    /// `statement_timeout` ran out.
    #[error("timed out")]
    Timeout,
    /// The text is for the log only, never for the client.
    #[error("internal error")]
    Internal(String),
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `unauthenticated`, `invalid_token`, `session_required`,
    /// `invalid_credentials`, `cross_origin`,
    /// `not_found`, `forbidden`, `two_factor_required`, `invalid`, `conflict`, `last_admin`,
    /// `rate_limited`, `too_large`, `unavailable`, `timeout`, `internal`.
    #[schema(example = "invalid")]
    pub code: String,
    #[schema(example = "slug: must not be empty")]
    pub message: String,
    /// The offending field, for `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }

    /// Status, code, message in `t`'s language, and the field. Core writes its refusals in
    /// English; those with a `core-` catalogue message are translated, the rest stay English
    /// (as gettext does with an untranslated text), and the `code` never changes.
    fn parts(&self, t: T) -> (StatusCode, &str, String, Option<String>) {
        let core = |message: &str| t.core_text(message).unwrap_or(message).to_owned();
        match self {
            Self::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                t.api_unauthenticated().into(),
                None,
            ),
            Self::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                t.api_invalid_token().into(),
                None,
            ),
            Self::SessionRequired => (
                StatusCode::UNAUTHORIZED,
                "session_required",
                t.api_session_required().into(),
                None,
            ),
            Self::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                t.api_invalid_credentials().into(),
                None,
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                t.api_not_found().into(),
                None,
            ),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", core(m), None),
            Self::TwoFactorRequired => (
                StatusCode::FORBIDDEN,
                "two_factor_required",
                t.api_two_factor_required().into(),
                None,
            ),
            Self::SsoRequired { workspace, slug } => (
                StatusCode::FORBIDDEN,
                "sso_required",
                t.api_sso_required(
                    workspace,
                    format!("/api/v1/auth/sso/start?workspace={slug}"),
                ),
                None,
            ),
            Self::CrossOrigin => (
                StatusCode::FORBIDDEN,
                "cross_origin",
                t.api_cross_origin().into(),
                None,
            ),
            Self::Conflict {
                code: "last_admin", ..
            } => (
                StatusCode::CONFLICT,
                "last_admin",
                t.api_last_admin().into(),
                None,
            ),
            Self::Conflict { code, message } => (StatusCode::CONFLICT, code, core(message), None),
            Self::Invalid { field, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{field}: {}", core(message)),
                Some(field.clone()),
            ),
            Self::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                t.api_rate_limited().into(),
                None,
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                t.api_unavailable().into(),
                None,
            ),
            Self::Timeout => (
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                t.api_timeout().into(),
                None,
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                t.api_internal().into(),
                None,
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(inner) = &self {
            // The request id is on the enclosing span.
            tracing::error!(error = %inner, "internal error");
        }
        let locale = crate::language::current();
        let (status, code, message, field) = self.parts(locale.t());
        let mut response = (
            status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: code.to_owned(),
                    message,
                    field,
                },
            }),
        )
            .into_response();
        let retry_after = match self {
            Self::TooManyRequests { retry_after_secs } => Some(retry_after_secs.max(1)),
            Self::Unavailable => Some(bastion_core::UNAVAILABLE_RETRY_AFTER_SECS),
            _ => None,
        };
        response.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(locale.tag()),
        );
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::Invalid { field, message } => Self::Invalid {
                field: field.to_owned(),
                message,
            },
            CoreError::NotFound(_) => Self::NotFound,
            CoreError::Conflict { code, message } => Self::Conflict { code, message },
            CoreError::Forbidden(message) => Self::Forbidden(message),
            CoreError::TwoFactorRequired => Self::TwoFactorRequired,
            CoreError::SsoRequired { workspace, slug } => Self::SsoRequired { workspace, slug },
            CoreError::RateLimited { retry_after_secs } => {
                Self::TooManyRequests { retry_after_secs }
            }
            CoreError::LastAdmin => Self::Conflict {
                code: "last_admin",
                message: "This is the workspace's last active admin. Make another member an \
                          admin first, then change or remove this one."
                    .into(),
            },
            CoreError::Database(err) => err.into(),
            other => Self::internal(other),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if bastion_core::is_statement_timeout(&err) {
            tracing::warn!(error = %err, "statement timed out");
            return Self::Timeout;
        }
        if bastion_core::is_database_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return Self::Unavailable;
        }
        Self::internal(err)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body(err: ApiError) -> (StatusCode, serde_json::Value, Option<String>) {
        let response = err.into_response();
        let status = response.status();
        let retry = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap(), retry)
    }

    #[tokio::test]
    async fn internal_errors_are_opaque() {
        let (status, json, _) =
            body(ApiError::internal("relation ws_123.tasks: password=secret")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(json["error"]["code"], "internal");
        let text = json.to_string();
        assert!(
            !text.contains("secret") && !text.contains("ws_123"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn invalid_names_the_field_and_rate_limits_say_when() {
        let (status, json, _) = body(CoreError::invalid("slug", "must not be empty").into()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json["error"]["field"], "slug");
        assert_eq!(json["error"]["message"], "slug: must not be empty");

        let (status, json, retry) = body(ApiError::TooManyRequests {
            retry_after_secs: 42,
        })
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(json["error"]["code"], "rate_limited");
        assert_eq!(retry.as_deref(), Some("42"));
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_503_to_retry_not_an_internal_error() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for cause in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(refused),
        ] {
            let (status, json, retry) = body(CoreError::Database(cause).into()).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(json["error"]["code"], "unavailable");
            assert_eq!(retry.as_deref(), Some("5"));
        }
        // A query that is wrong, rather than a database that is gone, stays internal.
        let (status, json, retry) =
            body(CoreError::Database(sqlx::Error::RowNotFound).into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(json["error"]["code"], "internal");
        assert_eq!(retry, None);
    }
}
