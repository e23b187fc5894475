//! API tokens over REST: every member, guests included, manages their own tokens for one
//! workspace. A token carries no rights of its own (its user's role is read per request), so a
//! guest's token sees what the guest sees and nothing more. Creating a token needs a session:
//! a leaked token cannot mint itself successors. Listing and revoking work with a token too, so
//! an integration can revoke its own.

use super::ids::PathIds;
use axum::{extract::State, http::StatusCode, Json};
use bastion_core::{
    api_tokens::{self, ApiToken},
    work::Position,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::query::ApiQuery;
use crate::{
    api::pagination::{split_page, PageQuery},
    auth::{Credential, Member},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    #[schema(example = "CI deploy")]
    pub name: String,
    /// The token's first characters, to recognise it; the rest is never shown again.
    #[schema(example = "bst_Zm9vYmFy")]
    pub token_prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When it last authenticated a request (to the minute).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it stops working; null: never.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked; null: not revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            token_prefix: t.token_prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// 1–100 characters, to tell tokens apart.
    #[schema(example = "CI deploy")]
    pub name: String,
    /// When the token stops working (RFC 3339, in the future, within five years); absent:
    /// never expires.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2027-06-30T00:00:00Z")]
    pub expires_at: Option<OffsetDateTime>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The whole token: shown this once, stored only as a hash. Send it as
    /// `Authorization: Bearer <token>`.
    #[schema(example = "bst_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5")]
    pub token: String,
    pub details: TokenView,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("token", &"***")
            .field("details", &self.details)
            .finish()
    }
}

/// The caller's API tokens for this workspace, revoked and expired ones included, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tokens",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the caller's tokens (never the tokens themselves).", body = TokenList),
        (status = 401, description = "Not signed in, or the API token is unknown, expired or revoked.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "`limit` or `cursor` is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    member: Member,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<TokenList>, ApiError> {
    let limit = page.limit()?;
    let after = page.position::<Position>()?;
    member.tx.rollback().await?;
    let rows = api_tokens::list(
        &state.pool,
        member.user.id,
        member.workspace.id,
        after,
        limit + 1,
    )
    .await?;
    let (rows, next_cursor) = split_page(rows, limit, |t| t.position());
    Ok(Json(TokenList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Create an API token for this workspace, acting as the caller with the caller's role. The
/// token is in this answer only. Needs a session: a token cannot create tokens.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tokens",
    request_body = NewToken,
    responses(
        (status = 201, description = "Created; `token` is shown this once.", body = CreatedToken),
        (status = 401, description = "Not signed in, or the API token is unknown, expired or revoked.", body = ErrorBody),
        (status = 403, description = "Called with an API token (sign in to create tokens), or from another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn create_token(
    State(state): State<AppState>,
    member: Member,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    if matches!(member.credential, Credential::Token(_)) {
        return Err(ApiError::Forbidden(
            "An API token cannot create API tokens; sign in to create one.".into(),
        ));
    }
    member.tx.rollback().await?;
    let (token, secret) = api_tokens::create(
        &state.pool,
        member.user.id,
        member.workspace.id,
        &body.name,
        body.expires_at,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: secret.expose().to_owned(),
            details: token.into(),
        }),
    ))
}

/// Revoke one of the caller's tokens for this workspace; it stops working at once. Revoking a
/// revoked token is harmless. A token may revoke itself.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/tokens/{token_id}",
    params(
        ("token_id" = Uuid, Path, description = "Token id"),
    ),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, description = "Not signed in, or the API token is unknown, expired or revoked.", body = ErrorBody),
        (status = 403, description = "Sent from another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or token of the caller's, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_token(
    State(state): State<AppState>,
    member: Member,
    PathIds(token_id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    member.tx.rollback().await?;
    api_tokens::revoke(&state.pool, member.user.id, member.workspace.id, token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace one of the caller's live tokens with a new one (same name and expiry) and revoke
/// the old one, at once; the new token is in this answer only. Needs a session, like creating.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tokens/{token_id}/rotate",
    params(
        ("token_id" = Uuid, Path, description = "Token id"),
    ),
    responses(
        (status = 201, description = "The new token, shown this once; the old one is revoked.", body = CreatedToken),
        (status = 401, description = "Not signed in, or the API token is unknown, expired or revoked.", body = ErrorBody),
        (status = 403, description = "Called with an API token (sign in to rotate tokens), or from another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or token of the caller's, or not a member.", body = ErrorBody),
        (status = 422, description = "`token_id` names a revoked or expired token.", body = ErrorBody),
    ),
)]
pub async fn rotate_token(
    State(state): State<AppState>,
    member: Member,
    PathIds(token_id): PathIds<Uuid>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    if matches!(member.credential, Credential::Token(_)) {
        return Err(ApiError::Forbidden(
            "An API token cannot rotate API tokens; sign in to rotate one.".into(),
        ));
    }
    member.tx.rollback().await?;
    let (token, secret) =
        api_tokens::rotate(&state.pool, member.user.id, member.workspace.id, token_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: secret.expose().to_owned(),
            details: token.into(),
        }),
    ))
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_tokens, create_token))
        .routes(utoipa_axum::routes!(delete_token))
        .routes(utoipa_axum::routes!(rotate_token))
}
