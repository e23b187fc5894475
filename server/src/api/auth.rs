//! Signing in and out, and who the caller is.

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use bastion_core::{
    accounts::{self, SignInRefused},
    members,
    secrets::SecretString,
    sessions,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{self, Caller, ClientIp, Credential, CurrentUser},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignIn {
    #[schema(example = "ada@example.eu")]
    pub email: String,
    #[schema(value_type = String, example = "correct horse battery staple")]
    pub password: SecretString,
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

/// A right password for an account with two-factor sign-in: no session yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecondFactorRequired {
    /// Send it with a code to `POST /api/v1/auth/sign-in/second-factor`, or answer a passkey
    /// ceremony with it (`POST /api/v1/auth/sign-in/second-factor/passkey/options`, then
    /// `…/passkey`) when the account has a passkey. Five minutes, five attempts.
    #[schema(value_type = String, example = "kVg3…")]
    pub challenge: String,
    #[schema(example = 300)]
    pub expires_in_secs: i64,
}

/// Sign in with email and password; starts a new session (a fresh id every time). For an
/// account with two-factor sign-in the answer is 202 with a challenge and no session: the
/// session starts only at `POST /api/v1/auth/sign-in/second-factor`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-in",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = UserView),
        (status = 202, description = "The password is right and the account asks for a second \
factor: no session yet; send the challenge with a code.", body = SecondFactorRequired),
        (status = 401, description = "Wrong email or password (the same answer for both).", body = ErrorBody),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "The body is not valid JSON of this shape.", body = ErrorBody),
        (status = 429, description = "10 failures for this account within 15 minutes lock it for \
15 minutes; too many attempts from one address are throttled. See `Retry-After`.", body = ErrorBody),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let user = match accounts::sign_in(&state.pool, &body.email, body.password.expose(), ip).await?
    {
        Ok(accounts::SignInStep::Done(user)) => user,
        Ok(accounts::SignInStep::SecondFactor(challenge)) => {
            let body = SecondFactorRequired {
                challenge: challenge.expose().to_owned(),
                expires_in_secs: bastion_core::two_factor::CHALLENGE_LIFETIME.whole_seconds(),
            };
            return Ok((StatusCode::ACCEPTED, Json(body)).into_response());
        }
        Err(SignInRefused::InvalidCredentials) => return Err(ApiError::InvalidCredentials),
        Err(SignInRefused::TooManyAttempts(wait)) => {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: wait.whole_seconds().max(1) as u64,
            })
        }
    };
    start_session(&state, (&headers, ip), user, sessions::Factor::Password).await
}

/// A fresh session for `user`, proved by `factor`, answered with the user and the cookie. Any
/// session the browser already had is ended, not reused (no fixation).
pub(crate) async fn start_session(
    state: &AppState,
    (headers, address): (&HeaderMap, Option<std::net::IpAddr>),
    user: accounts::User,
    factor: sessions::Factor,
) -> Result<Response, ApiError> {
    if let Some(old) = auth::session_cookie(headers) {
        sessions::end(&state.pool, &old).await?;
    }
    let from = bastion_core::devices::SignInFrom {
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
        address,
    };
    let (token, _) = sessions::start(&state.pool, &state.keys, user.id, from, factor).await?;
    let mut response = Json(UserView::from(user)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth::session_set_cookie(state, &token));
    Ok(response)
}

/// End the current session on the server and clear the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-out",
    responses(
        (status = 204, description = "Signed out."),
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

/// The caller and the workspaces they can switch to. With an API token: the token's user and
/// only the token's workspace (a token acts nowhere else); 401 once the token's user is no
/// longer an active member there.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    responses(
        (status = 200, description = "The caller.", body = Me),
        (status = 401, description = "Not signed in, or the API token is unknown, expired, \
revoked or its user no longer a member.", body = ErrorBody),
    ),
    security(("session_cookie" = []), ("bearer_token" = []))
)]
pub async fn get_me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let mut workspaces = accounts::workspaces_of(&state.pool, caller.user.id).await?;
    if let Credential::Token(grant) = &caller.credential {
        workspaces.retain(|w| w.id == grant.workspace_id);
        let Some((_, _, tx)) =
            members::open_as_member(&state.pool, caller.user.id, &grant.workspace_slug).await?
        else {
            return Err(ApiError::InvalidToken);
        };
        tx.rollback().await?;
    }
    Ok(Json(Me {
        user: caller.user.into(),
        workspaces: workspaces
            .into_iter()
            .map(|w| WorkspaceSummary {
                slug: w.slug,
                name: w.name,
                plan: w.plan,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    #[schema(value_type = String, format = DateTime)]
    pub last_seen_at: String,
    pub user_agent: Option<String>,
    /// What opened the session: `password`; the password and `totp`, `recovery_code` or a
    /// passkey (`password_passkey`); or a passkey alone (`passkey`).
    #[schema(example = "totp")]
    pub factor: String,
    /// The session this request was made with.
    pub current: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionView>,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The caller's live sessions, most recently used first.
#[utoipa::path(
    get,
    path = "/api/v1/me/sessions",
    responses(
        (status = 200, description = "The caller's sessions.", body = SessionList),
    ),
    security(("session_cookie" = []))
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<SessionList>, ApiError> {
    let items = sessions::list_for_user(&state.pool, current.user.id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id == current.session.id,
            id: s.id,
            created_at: rfc3339(s.created_at),
            last_seen_at: rfc3339(s.last_seen_at),
            user_agent: s.user_agent,
            factor: s.factor,
        })
        .collect();
    Ok(Json(SessionList { items }))
}

/// End one of the caller's sessions (for example a browser left signed in elsewhere).
#[utoipa::path(
    delete,
    path = "/api/v1/me/sessions/{id}",
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "The session is ended."),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 404, description = "No such session of the caller's.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn revoke_session(
    State(state): State<AppState>,
    current: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    if sessions::revoke(&state.pool, current.user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    #[schema(value_type = String)]
    pub current_password: SecretString,
    /// At least 12 characters, not a common password.
    #[schema(value_type = String, min_length = 12, max_length = 1024)]
    pub new_password: SecretString,
}

/// Change the caller's password. Every other session of the caller is ended.
#[utoipa::path(
    put,
    path = "/api/v1/me/password",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; other sessions are ended."),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "`current_password` is wrong, or `new_password` is too weak; the field is named.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn update_password(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    accounts::change_password(
        &state.pool,
        current.user.id,
        body.current_password.expose(),
        body.new_password.expose(),
        current.session.id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The colour scheme the caller chose for the pages: `system` follows the device's preference.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThemeChoice {
    #[schema(example = "dark", pattern = "^(system|light|dark)$")]
    pub theme: String,
}

/// The caller's colour scheme for the pages.
#[utoipa::path(
    get,
    path = "/api/v1/me/theme",
    responses(
        (status = 200, description = "The caller's colour scheme.", body = ThemeChoice),
    ),
    security(("session_cookie" = []))
)]
pub async fn get_theme(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<ThemeChoice>, ApiError> {
    let theme = accounts::theme(&state.pool, current.user.id).await?;
    Ok(Json(ThemeChoice {
        theme: theme.as_str().to_owned(),
    }))
}

/// Choose the caller's colour scheme for the pages: `system`, `light` or `dark`.
#[utoipa::path(
    put,
    path = "/api/v1/me/theme",
    request_body = ThemeChoice,
    responses(
        (status = 200, description = "Saved; the pages are rendered in it from now on.", body = ThemeChoice),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "`theme` is not one of the three.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn update_theme(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<ThemeChoice>,
) -> Result<Json<ThemeChoice>, ApiError> {
    let theme = accounts::Theme::parse(&body.theme)?;
    accounts::set_theme(&state.pool, current.user.id, theme).await?;
    Ok(Json(ThemeChoice {
        theme: theme.as_str().to_owned(),
    }))
}

/// The language the caller reads Bastion in: pages, messages and emails.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocaleChoice {
    #[schema(example = "fr-BE", pattern = "^(en|nl-BE|fr-BE|de-BE)$")]
    pub locale: String,
}

/// The caller's language.
#[utoipa::path(
    get,
    path = "/api/v1/me/locale",
    responses(
        (status = 200, description = "The caller's language.", body = LocaleChoice),
    ),
    security(("session_cookie" = []))
)]
pub async fn get_locale(current: CurrentUser) -> Json<LocaleChoice> {
    let locale = bastion_i18n::Locale::from_tag(&current.user.locale).unwrap_or_default();
    Json(LocaleChoice {
        locale: locale.tag().to_owned(),
    })
}

/// Choose the caller's language: `en`, `nl-BE`, `fr-BE` or `de-BE`.
#[utoipa::path(
    put,
    path = "/api/v1/me/locale",
    request_body = LocaleChoice,
    responses(
        (status = 200, description = "Saved; pages and emails use it from now on.", body = LocaleChoice),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "`locale` is not one of the four.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn update_locale(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<LocaleChoice>,
) -> Result<Json<LocaleChoice>, ApiError> {
    let locale = accounts::parse_locale(&body.locale)?;
    accounts::set_locale(&state.pool, current.user.id, locale).await?;
    Ok(Json(LocaleChoice {
        locale: locale.tag().to_owned(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountDeletion {
    /// The current password, to confirm.
    #[schema(value_type = String)]
    pub password: SecretString,
}

/// Delete the caller's account: memberships in every workspace, sessions and the user, at once.
/// Refused with 409 `last_admin` while the caller is the last active admin of any workspace.
#[utoipa::path(
    delete,
    path = "/api/v1/me",
    request_body = AccountDeletion,
    responses(
        (status = 204, description = "Deleted; the session cookie is cleared."),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 409, description = "`last_admin`: the caller is the last active admin of a workspace.", body = ErrorBody),
        (status = 422, description = "`password` is wrong.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn delete_me(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<AccountDeletion>,
) -> Result<Response, ApiError> {
    accounts::delete_account(&state.pool, current.user.id, body.password.expose()).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth::session_clear_cookie(&state));
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    #[schema(example = "ada@example.eu")]
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirm {
    #[schema(example = "ada@example.eu")]
    pub email: String,
    /// The 6-digit code from the email.
    #[schema(value_type = String, example = "042137")]
    pub code: SecretString,
    /// At least 12 characters, not a common password.
    #[schema(value_type = String, min_length = 12, max_length = 1024)]
    pub new_password: SecretString,
}

/// Ask for a password reset code by email. The answer is the same whether or not an account
/// has this email.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "If the account exists, a code is on its way."),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "The body is not valid JSON of this shape.", body = ErrorBody),
        (status = 429, description = "Too many requests from this address; see `Retry-After`.", body = ErrorBody),
    )
)]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    bastion_core::resets::request_reset(&state.pool, &state.keys, &body.email, ip).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the emailed code: valid 15 minutes, 5 attempts, once. Every session
/// of the account ends.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/confirm",
    request_body = ResetConfirm,
    responses(
        (status = 204, description = "The password is changed; every session is ended."),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "`code` is wrong, expired, used or out of attempts; or `new_password` is too weak.", body = ErrorBody),
    )
)]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> Result<StatusCode, ApiError> {
    bastion_core::resets::reset_password(
        &state.pool,
        &body.email,
        body.code.expose(),
        body.new_password.expose(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(sign_in))
        .routes(utoipa_axum::routes!(sign_out))
        .routes(utoipa_axum::routes!(request_password_reset))
        .routes(utoipa_axum::routes!(reset_password))
        .routes(utoipa_axum::routes!(get_me, delete_me))
        .routes(utoipa_axum::routes!(list_sessions))
        .routes(utoipa_axum::routes!(update_password))
        .routes(utoipa_axum::routes!(get_theme, update_theme))
        .routes(utoipa_axum::routes!(get_locale, update_locale))
        .routes(utoipa_axum::routes!(revoke_session))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_with_secrets_never_print_them() {
        let sign_in: SignIn = serde_json::from_value(serde_json::json!({
            "email": "ada@example.eu",
            "password": "hunter2 horse battery",
        }))
        .unwrap();
        assert_eq!(sign_in.password.expose(), "hunter2 horse battery");
        let printed = format!("{sign_in:?}");
        assert!(printed.contains("ada@example.eu"), "{printed}");
        assert!(!printed.contains("hunter2"), "{printed}");

        let reset: ResetConfirm = serde_json::from_value(serde_json::json!({
            "email": "ada@example.eu",
            "code": "042137",
            "new_password": "hunter2 horse battery",
        }))
        .unwrap();
        let printed = format!("{reset:?}");
        assert!(
            !printed.contains("042137") && !printed.contains("hunter2"),
            "{printed}"
        );
    }
}
