//! Signing in and out, and who the caller is.

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use bastion_core::{accounts, sessions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{self, CurrentUser},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignIn {
    #[schema(example = "ada@example.eu")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[schema(example = "ada@example.eu")]
    pub email: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    #[schema(example = "en")]
    pub locale: String,
}

impl From<accounts::User> for UserView {
    fn from(u: accounts::User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            locale: u.locale,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceSummary {
    #[schema(example = "acme")]
    pub slug: String,
    #[schema(example = "Acme")]
    pub name: String,
    #[schema(example = "starter")]
    pub plan: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserView,
    /// Workspaces the user can switch to.
    pub workspaces: Vec<WorkspaceSummary>,
}

/// Sign in with email and password; starts a new session (a fresh id every time).
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-in",
    operation_id = "sign_in",
    tag = "accounts",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = UserView),
        (status = 401, description = "Wrong email or password (the same answer for both).", body = ErrorBody),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "The body is not valid JSON of this shape.", body = ErrorBody),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let user = accounts::authenticate(&state.pool, &body.email, &body.password)
        .await?
        .ok_or(ApiError::InvalidCredentials)?;
    // A session the browser already had is ended, not reused (no fixation).
    if let Some(old) = auth::session_cookie(&headers) {
        sessions::end(&state.pool, &old).await?;
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let (token, _) = sessions::create(&state.pool, user.id, user_agent).await?;
    let mut response = Json(UserView::from(user)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth::session_set_cookie(&state, &token));
    Ok(response)
}

/// End the current session on the server and clear the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-out",
    operation_id = "sign_out",
    tag = "accounts",
    responses(
        (status = 204, description = "Signed out."),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn sign_out(
    State(state): State<AppState>,
    _user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = auth::session_cookie(&headers) {
        sessions::end(&state.pool, &token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth::session_clear_cookie(&state));
    Ok(response)
}

/// The signed-in user and the workspaces they can switch to.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "get_me",
    tag = "accounts",
    responses(
        (status = 200, description = "The caller.", body = Me),
        (status = 401, description = "Not signed in.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn get_me(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Me>, ApiError> {
    let workspaces = accounts::workspaces_of(&state.pool, current.user.id)
        .await?
        .into_iter()
        .map(|w| WorkspaceSummary {
            slug: w.slug,
            name: w.name,
            plan: w.plan,
        })
        .collect();
    Ok(Json(Me {
        user: current.user.into(),
        workspaces,
    }))
}
