//! Coming in and setting up: signup with an emailed code, the caller's workspaces and creating
//! one, and invitations (sent by admins, accepted through the emailed link).

use super::ids::PathIds;
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use bastion_core::{
    accounts, invitations,
    secrets::SecretString,
    sessions,
    signups::{self, SignupForm},
    workspaces,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    api::auth::{UserView, WorkspaceSummary},
    auth::{self, ClientIp, CurrentUser, Member},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    #[schema(example = "ada@example.eu", format = Email, max_length = 254)]
    pub email: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    /// At least 12 characters, not a common password.
    #[schema(value_type = String, example = "correct horse battery staple", min_length = 12, max_length = 1024)]
    pub password: SecretString,
    #[schema(example = "Analytical Engines")]
    pub workspace_name: String,
    /// The account's language (`en`, `nl-BE`, `fr-BE`, `de-BE`), also of the code's email;
    /// without it, the request's `Accept-Language`.
    #[schema(example = "nl-BE", pattern = "^(en|nl-BE|fr-BE|de-BE)$")]
    #[serde(default)]
    pub locale: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignUpStarted {
    /// Give this back with the emailed code.
    pub signup_id: Uuid,
    #[schema(example = "We sent a 6-digit code to ada@example.eu. It works for 15 minutes.")]
    pub message: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpConfirm {
    pub signup_id: Uuid,
    #[schema(value_type = String, example = "042917")]
    pub code: SecretString,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Joined {
    pub user: UserView,
    pub workspace: WorkspaceSummary,
}

fn summary(ws: &workspaces::Workspace) -> WorkspaceSummary {
    WorkspaceSummary {
        slug: ws.slug.clone(),
        name: ws.name.clone(),
        plan: ws.plan.clone(),
    }
}

/// Starts a session for a user who just proved their address, answering `status` with `body`.
async fn signed_in_answer(
    state: &AppState,
    (headers, address): (&HeaderMap, Option<std::net::IpAddr>),
    user_id: Uuid,
    status: StatusCode,
    body: Joined,
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
    let (token, _) = sessions::start(
        &state.pool,
        &state.keys,
        user_id,
        from,
        sessions::Factor::Password,
    )
    .await?;
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth::session_set_cookie(state, &token));
    Ok(response)
}

/// Sign up: checks the form and emails a 6-digit code. Nothing is created until the code is
/// confirmed; what was typed waits encrypted. An address that already has an account gets the
/// same answer (and an email saying so), so this cannot be used to find accounts.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-up",
    operation_id = "create_signup",
    request_body = SignUp,
    responses(
        (status = 202, description = "The code is on its way.", body = SignUpStarted),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
        (status = 429, description = "Too many signups from this address or for this email \
domain (per hour, configurable). See `Retry-After`.", body = ErrorBody),
    )
)]
pub async fn sign_up(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignUp>,
) -> Result<(StatusCode, Json<SignUpStarted>), ApiError> {
    let locale = match body.locale.as_deref() {
        Some(tag) => accounts::parse_locale(tag)?,
        None => crate::language::requested(&headers),
    };
    let origin = state.config.origin();
    let form = SignupForm {
        email: &body.email,
        name: &body.name,
        password: body.password.expose(),
        workspace_name: &body.workspace_name,
        locale,
        origin: &origin,
    };
    let signup_id = signups::start(
        &state.pool,
        &state.keys,
        form,
        ip,
        state.config.signup_limits,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SignUpStarted {
            signup_id,
            message: format!(
                "We sent a 6-digit code to {}. It works for 15 minutes.",
                body.email.trim().to_lowercase()
            ),
        }),
    ))
}

/// Confirm a signup with the emailed code: creates the account, its workspace (with the caller
/// as admin) and signs in. A code works once, for 15 minutes, and dies after 5 wrong tries.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-up/confirm",
    operation_id = "confirm_signup",
    request_body = SignUpConfirm,
    responses(
        (status = 201, description = "Account and workspace created; the session cookie is set.", body = Joined),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 409, description = "The address got an account meanwhile.", body = ErrorBody),
        (status = 422, description = "`code`: wrong, used, expired or out of attempts.", body = ErrorBody),
    )
)]
pub async fn confirm_sign_up(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignUpConfirm>,
) -> Result<Response, ApiError> {
    let (user, workspace) =
        signups::confirm(&state.pool, &state.keys, body.signup_id, body.code.expose()).await?;
    let joined = Joined {
        workspace: summary(&workspace),
        user: user.clone().into(),
    };
    signed_in_answer(&state, (&headers, ip), user.id, StatusCode::CREATED, joined).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceList {
    pub items: Vec<WorkspaceSummary>,
}

/// The workspaces the caller belongs to, to switch between.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces",
    responses(
        (status = 200, description = "The caller's workspaces, by name.", body = WorkspaceList),
    ),
    security(("session_cookie" = []))
)]
pub async fn list_workspaces(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<WorkspaceList>, ApiError> {
    let items = accounts::workspaces_of(&state.pool, current.user.id)
        .await?
        .iter()
        .map(summary)
        .collect();
    Ok(Json(WorkspaceList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkspace {
    #[schema(example = "Analytical Engines")]
    pub name: String,
    /// The address in URLs; made from the name when absent.
    #[schema(example = "engines")]
    pub slug: Option<String>,
}

/// Create a workspace; the caller becomes its admin.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces",
    request_body = NewWorkspace,
    responses(
        (status = 201, description = "Created, with the caller as admin.", body = WorkspaceSummary),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 409, description = "The address is taken.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
        (status = 429, description = "Too many workspaces created today. See `Retry-After`.", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn create_workspace(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<NewWorkspace>,
) -> Result<(StatusCode, Json<WorkspaceSummary>), ApiError> {
    let workspace = workspaces::create_for(
        &state.pool,
        &state.keys,
        current.user.id,
        &body.name,
        body.slug.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(summary(&workspace))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    #[schema(example = "grace@example.eu")]
    pub email: String,
    #[schema(example = "member")]
    pub role: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<invitations::Invitation> for InvitationView {
    fn from(i: invitations::Invitation) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role: i.role,
            expires_at: i.expires_at,
            created_at: i.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationList {
    pub items: Vec<InvitationView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    #[schema(example = "grace@example.eu", format = Email, max_length = 254)]
    pub email: String,
    /// `admin`, `member` or `guest`.
    #[schema(example = "member", schema_with = super::enums::role)]
    pub role: String,
}

/// Invitations that can still be accepted. Admins only.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/invitations",
    responses(
        (status = 200, description = "Open invitations, newest first.", body = InvitationList),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member.", body = ErrorBody),
    ),
)]
pub async fn list_invitations(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<InvitationList>, ApiError> {
    let viewer = member.viewer();
    member.tx.rollback().await?;
    let items = invitations::list_open(&state.pool, &member.workspace, viewer)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(InvitationList { items }))
}

/// Invite someone by email with a role. They get a link that works once, for 7 days; inviting
/// the same address again replaces the link. Admins only.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/invitations",
    request_body = NewInvitation,
    responses(
        (status = 201, description = "Invited; the email is on its way.", body = InvitationView),
        (status = 403, description = "Not an admin, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member.", body = ErrorBody),
        (status = 409, description = "Already in the workspace.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn create_invitation(
    State(state): State<AppState>,
    member: Member,
    ApiJson(body): ApiJson<NewInvitation>,
) -> Result<(StatusCode, Json<InvitationView>), ApiError> {
    let viewer = member.viewer();
    let Member {
        tx,
        workspace,
        user,
        ..
    } = member;
    tx.rollback().await?;
    let invitation = invitations::invite(
        &state.pool,
        &state.keys,
        &workspace,
        viewer,
        &user,
        invitations::Invitee {
            email: &body.email,
            role: &body.role,
        },
        &state.config.origin(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(invitation.into())))
}

/// Withdraw an open invitation: its link stops working. Admins only.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/invitations/{invitation_id}",
    params(
        ("invitation_id" = Uuid, Path, description = "The invitation's id"),
    ),
    responses(
        (status = 204, description = "Revoked."),
        (status = 403, description = "Not an admin, or another origin.", body = ErrorBody),
        (status = 404, description = "No such open invitation here.", body = ErrorBody),
    ),
)]
pub async fn delete_invitation(
    State(state): State<AppState>,
    member: Member,
    PathIds(id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    member.tx.rollback().await?;
    invitations::revoke(&state.pool, &member.workspace, viewer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationPreview {
    pub workspace: WorkspaceSummary,
    #[schema(example = "grace@example.eu")]
    pub email: String,
    #[schema(example = "member")]
    pub role: String,
    /// Whether the address has an account: then sign in as it to accept; otherwise accept with
    /// a name and password.
    pub has_account: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
}

/// What an invitation link offers. Unknown, used, revoked and expired links are all 404.
#[utoipa::path(
    get,
    path = "/api/v1/invitations/{token}",
    params(("token" = String, Path, description = "The token from the emailed link")),
    responses(
        (status = 200, description = "The invitation.", body = InvitationPreview),
        (status = 404, description = "No open invitation behind this link.", body = ErrorBody),
    )
)]
pub async fn get_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<InvitationPreview>, ApiError> {
    let open = invitations::open(&state.pool, &token)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(InvitationPreview {
        workspace: summary(&open.workspace),
        email: open.invitation.email,
        role: open.invitation.role,
        has_account: open.has_account,
        expires_at: open.invitation.expires_at,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// For a newcomer: their name. Omit when signed in as the invited address.
    #[schema(example = "Grace Hopper")]
    pub name: Option<String>,
    /// For a newcomer: a password of at least 12 characters.
    #[schema(value_type = Option<String>)]
    pub password: Option<SecretString>,
}

/// Accept an invitation: signed in as the invited address, or as a newcomer with a name and
/// password (which creates the account and signs in).
#[utoipa::path(
    post,
    path = "/api/v1/invitations/{token}/accept",
    params(("token" = String, Path, description = "The token from the emailed link")),
    request_body = AcceptInvitation,
    responses(
        (status = 200, description = "Joined; a newcomer is signed in (cookie set).", body = Joined),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 404, description = "No open invitation behind this link.", body = ErrorBody),
        (status = 409, description = "Signed in as another address, or the address has an \
account (sign in to accept).", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
    security((), ("session_cookie" = []))
)]
pub async fn accept_invitation(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(token): Path<String>,
    current: Option<CurrentUser>,
    ApiJson(body): ApiJson<AcceptInvitation>,
) -> Result<Response, ApiError> {
    if let Some(current) = current {
        let (user, workspace) = invitations::accept(
            &state.pool,
            &token,
            invitations::Acceptor::SignedIn(&current.user),
        )
        .await?;
        let joined = Joined {
            workspace: summary(&workspace),
            user: user.into(),
        };
        return Ok(Json(joined).into_response());
    }
    let name = body.name.as_deref().ok_or_else(|| ApiError::Invalid {
        field: "name".into(),
        message: "is needed to create your account (or sign in first)".into(),
    })?;
    let password = body
        .password
        .as_ref()
        .map(SecretString::expose)
        .ok_or_else(|| ApiError::Invalid {
            field: "password".into(),
            message: "is needed to create your account (or sign in first)".into(),
        })?;
    let (user, workspace) = invitations::accept(
        &state.pool,
        &token,
        invitations::Acceptor::Newcomer {
            name,
            password,
            locale: crate::language::requested(&headers),
        },
    )
    .await?;
    let joined = Joined {
        workspace: summary(&workspace),
        user: user.clone().into(),
    };
    signed_in_answer(&state, (&headers, ip), user.id, StatusCode::OK, joined).await
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
/// Signing up: an account's first steps.
pub(crate) fn sign_up_routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(sign_up))
        .routes(utoipa_axum::routes!(confirm_sign_up))
}

/// The caller's workspaces, and creating one.
pub(crate) fn workspace_routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_workspaces, create_workspace))
}

/// Invitations: how members join.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_invitations, create_invitation))
        .routes(utoipa_axum::routes!(delete_invitation))
        .routes(utoipa_axum::routes!(get_invitation))
        .routes(utoipa_axum::routes!(accept_invitation))
}
