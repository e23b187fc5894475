//! Who is calling: the session cookie, the extractors that turn it into a user and into a
//! workspace member, and the cross-origin guard for state-changing requests.

use app::policy::Role;
use axum::{
    extract::{FromRequestParts, RawPathParams, Request, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use bastion_core::{
    accounts::{self, User},
    members,
    sessions::{self, SessionInfo, SessionToken},
    workspaces::Workspace,
    TenantTx,
};

use crate::{error::ApiError, AppState};

/// The signed-in user and their session.
pub struct CurrentUser {
    pub user: User,
    pub session: SessionInfo,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = session_cookie(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let session = sessions::resolve(&state.pool, &token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let user = accounts::find_user(&state.pool, session.user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Self { user, session })
    }
}

/// Signed in or not, for the few endpoints that serve both (accepting an invitation). A stale
/// or unknown cookie counts as not signed in; a database failure is still an error.
impl axum::extract::OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match <Self as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(ApiError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// An active member of the workspace named by the `{ws}` path segment, with a tenant transaction
/// already open for it. The role is read inside that transaction on every request, so a role
/// change or a deactivation applies to the very next request. Anyone else gets 404: a stranger
/// cannot learn whether a workspace exists.
pub struct Member {
    pub user: User,
    pub workspace: Workspace,
    pub role: Role,
    pub tx: TenantTx,
}

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let CurrentUser { user, .. } = CurrentUser::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let slug = params
            .iter()
            .find(|(name, _)| *name == "ws")
            .map(|(_, value)| value.to_owned())
            .ok_or(ApiError::NotFound)?;
        let (workspace, role, tx) = members::open_as_member(&state.pool, user.id, &slug)
            .await?
            .ok_or(ApiError::NotFound)?;
        let role = Role::parse(&role).ok_or(ApiError::NotFound)?;
        Ok(Self {
            user,
            workspace,
            role,
            tx,
        })
    }
}

/// The client's address: the socket peer, or `X-Forwarded-For` as written by a configured
/// trusted proxy (`BASTION_TRUSTED_PROXIES`).
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(app::server::client_ip_of(
            parts,
            &state.config.trusted_proxies,
        )))
    }
}

pub fn session_cookie(headers: &HeaderMap) -> Option<SessionToken> {
    sessions::token_from_cookie_header(
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

pub fn session_set_cookie(state: &AppState, token: &SessionToken) -> HeaderValue {
    HeaderValue::from_str(&sessions::set_cookie_value(
        token,
        state.config.serves_https(),
    ))
    .expect("a base64url token is a valid header value")
}

pub fn session_clear_cookie(state: &AppState) -> HeaderValue {
    HeaderValue::from_str(&sessions::clear_cookie_value(state.config.serves_https()))
        .expect("a valid header value")
}

/// Refuses state-changing requests that a browser sent from another origin (CSRF). Bearer
/// requests carry no ambient credentials and are not checked.
pub async fn refuse_cross_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    if safe || bearer || same_origin(&state, request.headers()) {
        return next.run(request).await;
    }
    ApiError::CrossOrigin.into_response()
}

fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => allowed_origins(state).iter().any(|o| o == origin),
        // No Origin: not a cross-site browser request unless the browser says it is one.
        None => !matches!(
            headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
            Some("cross-site" | "same-site")
        ),
    }
}

fn allowed_origins(state: &AppState) -> Vec<String> {
    let origin = state.config.origin();
    let mut origins = vec![origin.clone()];
    // Without a configured public URL we serve locally: both loopback spellings are ours.
    if state.config.public_url.is_none() {
        let port = state.config.addr.port();
        origins.push(format!("http://localhost:{port}"));
        origins.push(format!("http://127.0.0.1:{port}"));
    }
    origins
}
