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
    accounts::User,
    api_tokens::{self, TokenGrant},
    members::{self, SessionEntry, TokenEntry},
    sessions::{self, SessionInfo, SessionToken},
    workspaces::{self, Workspace},
    TenantTx,
};
use sqlx::PgConnection;

use crate::{error::ApiError, AppState};

/// The signed-in user and their session. Session only: with an API token this answers 401
/// `session_required`, because account settings and other workspaces are beyond a token's reach.
pub struct CurrentUser {
    pub user: User,
    pub session: SessionInfo,
}

/// How a request proved who it is.
pub enum Credential {
    Session(SessionInfo),
    /// An API token: its user, in its one workspace only.
    Token(TokenGrant),
}

/// `Authorization: Bearer <token>`, the scheme matched case-insensitively. When present it is
/// the request's only credential: a cookie sent alongside is ignored, so a bearer request (which
/// skips the cross-origin check) can never act through a browser's session.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Whether the request carries a bearer header at all, valid or not: if so, that header alone
/// decides who the caller is.
fn has_bearer(headers: &HeaderMap) -> bool {
    headers.get(header::AUTHORIZATION).is_some_and(|v| {
        v.as_bytes()
            .split(|c| *c == b' ')
            .next()
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case(b"bearer"))
    })
}

/// The caller by session cookie or by API token. A token is counted against its per-minute
/// limit here, once per request, in the same statement that finds it, its user and its
/// workspace (`api_tokens::resolve_counted`). Runs on the caller's connection so that a
/// workspace request can open its tenant transaction on the same one.
async fn authenticate(
    parts: &Parts,
    state: &AppState,
    conn: &mut PgConnection,
) -> Result<Authenticated, ApiError> {
    if has_bearer(&parts.headers) {
        let token = bearer_token(&parts.headers).unwrap_or_default();
        let caller = api_tokens::resolve_counted(conn, token, token_limit(state), TOKEN_WINDOW)
            .await?
            .ok_or(ApiError::InvalidToken)?;
        if let Err(wait) = caller.counted {
            return Err(too_many(wait));
        }
        return Ok(Authenticated {
            user: caller.user,
            credential: Credential::Token(caller.grant),
            token_workspace: Some(caller.workspace),
        });
    }
    let token = session_cookie(&parts.headers).ok_or(ApiError::Unauthenticated)?;
    let (session, user) = sessions::resolve_user(conn, &token)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok(Authenticated {
        user,
        credential: Credential::Session(session),
        token_workspace: None,
    })
}

/// The window of `BASTION_TOKEN_RATE_LIMIT`.
const TOKEN_WINDOW: time::Duration = time::Duration::minutes(1);

fn token_limit(state: &AppState) -> i32 {
    i32::try_from(state.config.token_rate_limit).unwrap_or(i32::MAX)
}

fn too_many(wait: time::Duration) -> ApiError {
    ApiError::TooManyRequests {
        retry_after_secs: wait.whole_seconds().max(1) as u64,
    }
}

struct Authenticated {
    user: User,
    credential: Credential,
    /// A token's own workspace, read with it.
    token_workspace: Option<Workspace>,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if has_bearer(&parts.headers) {
            return Err(ApiError::SessionRequired);
        }
        let mut conn = state.pool.acquire().await?;
        match authenticate(parts, state, &mut conn).await? {
            Authenticated {
                user,
                credential: Credential::Session(session),
                ..
            } => Ok(Self { user, session }),
            Authenticated {
                credential: Credential::Token(_),
                ..
            } => Err(ApiError::SessionRequired),
        }
    }
}

/// Signed in or not, for the few endpoints that serve both (accepting an invitation). A stale
/// or unknown cookie counts as not signed in, and so does a bearer request (a token never acts
/// outside its workspace); a database failure is still an error.
impl axum::extract::OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match <Self as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(ApiError::Unauthenticated | ApiError::SessionRequired) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The caller by session or by API token, for `GET /api/v1/me`.
pub struct Caller {
    pub user: User,
    pub credential: Credential,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut conn = state.pool.acquire().await?;
        let Authenticated {
            user, credential, ..
        } = authenticate(parts, state, &mut conn).await?;
        Ok(Self { user, credential })
    }
}

/// The `{ws}` path segment.
async fn path_slug(parts: &mut Parts, state: &AppState) -> Result<String, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::NotFound)?;
    params
        .iter()
        .find(|(name, _)| *name == "ws")
        .map(|(_, value)| value.to_owned())
        // Not a slug that could exist; PostgreSQL text could not even hold a NUL.
        .filter(|slug| !slug.contains('\0'))
        .ok_or(ApiError::NotFound)
}

/// The caller on a `/workspaces/{ws}/…` path, by session or by a token of THAT workspace; a
/// token of another workspace is 404, like a stranger. Membership is not checked here: handlers
/// that take this instead of [`Member`] check it in their own transaction.
pub struct WorkspaceUser {
    pub user: User,
    pub slug: String,
    pub credential: Credential,
}

impl FromRequestParts<AppState> for WorkspaceUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut conn = state.pool.acquire().await?;
        Self::on_connection(parts, state, &mut conn).await
    }
}

impl WorkspaceUser {
    async fn on_connection(
        parts: &mut Parts,
        state: &AppState,
        conn: &mut PgConnection,
    ) -> Result<Self, ApiError> {
        let (user, slug, credential, _) = Self::with_token_workspace(parts, state, conn).await?;
        Ok(Self {
            user,
            slug,
            credential,
        })
    }

    /// As [`Self::on_connection`], with a token's workspace (read in the token's statement).
    async fn with_token_workspace(
        parts: &mut Parts,
        state: &AppState,
        conn: &mut PgConnection,
    ) -> Result<(User, String, Credential, Option<Workspace>), ApiError> {
        let Authenticated {
            user,
            credential,
            token_workspace,
        } = authenticate(parts, state, conn).await?;
        let slug = path_slug(parts, state).await?;
        if let Credential::Token(grant) = &credential {
            if grant.workspace_slug != slug {
                return Err(ApiError::NotFound);
            }
        }
        Ok((user, slug, credential, token_workspace))
    }
}

impl WorkspaceUser {
    /// The workspace, once the caller is proved an active member admitted to it (its two-factor
    /// requirement met), for handlers whose core action opens its own transaction: the same
    /// gate as [`Member`], 404 for anyone else.
    pub async fn admitted(&self, state: &AppState) -> Result<Workspace, ApiError> {
        let (workspace, _, tx) = members::open_as_member(&state.pool, self.user.id, &self.slug)
            .await?
            .ok_or(ApiError::NotFound)?;
        tx.rollback().await?;
        Ok(workspace)
    }
}

/// An active member of the workspace named by the `{ws}` path segment, with a tenant transaction
/// already open for it. The role is read inside that transaction on every request, so a role
/// change or a deactivation applies to the very next request (API tokens included). Anyone else
/// gets 404: a stranger cannot learn whether a workspace exists.
pub struct Member {
    pub user: User,
    pub workspace: Workspace,
    pub role: Role,
    pub tx: TenantTx,
    pub credential: Credential,
}

impl Member {
    /// The caller as core actions take them.
    pub fn viewer(&self) -> bastion_core::Viewer {
        bastion_core::Viewer::new(self.user.id, self.role)
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // One connection for the whole check: session, workspace and the tenant transaction.
        let mut conn = state.pool.acquire().await?;
        // A GET only reads: entered without a transaction, two round trips fewer, and any
        // write it attempted would be refused by PostgreSQL (`Access::ReadOnly`).
        let access = members::Access::for_method(parts.method.as_str());
        let (user, credential, workspace, role, tx) = match (
            has_bearer(&parts.headers),
            session_cookie(&parts.headers),
            path_slug(parts, state).await,
        ) {
            // The common case, a browser or a session client: who, where and the way in, in
            // two statements.
            (false, Some(token), Ok(slug)) => {
                match members::enter_by_session(&state.pool, conn, &token, &slug, access).await? {
                    SessionEntry::SignedOut => return Err(ApiError::Unauthenticated),
                    SessionEntry::Outside { .. } => return Err(ApiError::NotFound),
                    SessionEntry::Member {
                        session,
                        user,
                        workspace,
                        role,
                        tx,
                    } => (user, Credential::Session(session), workspace, role, tx),
                }
            }
            (true, _, Ok(slug)) => {
                let token = bearer_token(&parts.headers).unwrap_or_default();
                match members::enter_by_token(
                    &state.pool,
                    conn,
                    token,
                    token_limit(state),
                    TOKEN_WINDOW,
                    &slug,
                    access,
                )
                .await?
                {
                    TokenEntry::Invalid => return Err(ApiError::InvalidToken),
                    TokenEntry::Limited(wait) => return Err(too_many(wait)),
                    TokenEntry::Outside => return Err(ApiError::NotFound),
                    TokenEntry::Member {
                        grant,
                        user,
                        workspace,
                        role,
                        tx,
                    } => (user, Credential::Token(grant), workspace, role, tx),
                }
            }
            _ => {
                let (user, slug, credential, token_workspace) =
                    WorkspaceUser::with_token_workspace(parts, state, &mut conn).await?;
                let workspace = match token_workspace {
                    Some(workspace) => workspace,
                    None => workspaces::find_by_slug(&mut *conn, &slug)
                        .await?
                        .ok_or(ApiError::NotFound)?,
                };
                let (role, tx) = members::enter_as_member(&state.pool, conn, user.id, &workspace)
                    .await?
                    .ok_or(ApiError::NotFound)?;
                (user, credential, workspace, role, tx)
            }
        };
        let role = Role::parse(&role).ok_or(ApiError::NotFound)?;
        Ok(Self {
            user,
            workspace,
            role,
            tx,
            credential,
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

/// Refuses state-changing requests that a browser sent from another origin (CSRF), and keeps
/// session cookies off bearer answers. Bearer requests to the REST API carry no ambient
/// credentials (a cookie beside them is ignored, see [`bearer_token`]) and are not checked;
/// elsewhere (pages, server functions) they are, since those read the cookie.
pub async fn refuse_cross_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let bearer = has_bearer(request.headers());
    let rest_bearer = bearer && request.uri().path().starts_with("/api/v1/");
    // RFC 8058's one-click unsubscribe is posted by mail providers and mail readers from
    // anywhere, carries its own credential (the token) and reads no cookie: the one exception.
    let one_click = request.uri().path() == "/unsubscribe";
    if !(safe || rest_bearer || one_click || same_origin(&state, request.headers())) {
        return ApiError::CrossOrigin.into_response();
    }
    let mut response = next.run(request).await;
    if bearer {
        // A token is the whole credential: it never turns into a browser session.
        response.headers_mut().remove(header::SET_COOKIE);
    }
    response
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
