//! A workspace's integrations over REST: admins add, list (tokens masked) and delete them. The
//! plaintext token never leaves the server.

use super::ids::PathIds;
use axum::{extract::State, http::StatusCode, Json};
use bastion_core::{
    integrations::{self, Integration},
    secrets::SecretString,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{Member, WorkspaceUser},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    pub id: Uuid,
    /// One of `github`, `gitlab`, `slack`, `webhook`, `jira`, `teams`, `matrix`.
    #[schema(example = "github")]
    pub kind: String,
    #[schema(example = "Deploy bot")]
    pub name: String,
    /// Only the last four characters of the access token.
    #[schema(example = "••••f00d")]
    pub token_masked: String,
    pub created_by: Option<Uuid>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

impl From<Integration> for IntegrationView {
    fn from(i: Integration) -> Self {
        Self {
            id: i.id,
            kind: i.kind.as_str().to_owned(),
            name: i.name,
            token_masked: i.token_masked,
            created_by: i.created_by,
            created_at: i
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationList {
    pub items: Vec<IntegrationView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewIntegration {
    #[schema(example = "github", schema_with = super::enums::integration_kind)]
    pub kind: String,
    /// 1–100 characters.
    #[schema(example = "Deploy bot", max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Stored encrypted; never shown again in full.
    /// 8–4 096 characters, no control characters, no space at either end.
    #[schema(value_type = String, example = "ghp_0123456789abcdef", min_length = 8, max_length = 4096,
             pattern = r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$")]
    pub access_token: SecretString,
}

/// The workspace's integrations, tokens masked.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/integrations",
    responses(
        (status = 200, description = "The integrations, tokens masked.", body = IntegrationList),
        (status = 403, description = "Not an admin of this workspace.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
    ),
)]
pub async fn list_integrations(mut member: Member) -> Result<Json<IntegrationList>, ApiError> {
    let viewer = member.viewer();
    let items = integrations::list(&mut member.tx, viewer).await?;
    member.tx.commit().await?;
    Ok(Json(IntegrationList {
        items: items.into_iter().map(IntegrationView::from).collect(),
    }))
}

/// Add an integration. The access token is encrypted under the workspace's own data key.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/integrations",
    request_body = NewIntegration,
    responses(
        (status = 201, description = "Added; the token is shown masked.", body = IntegrationView),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn create_integration(
    State(state): State<AppState>,
    current: WorkspaceUser,
    ApiJson(body): ApiJson<NewIntegration>,
) -> Result<(StatusCode, Json<IntegrationView>), ApiError> {
    let workspace = current.admitted(&state).await?;
    let added = integrations::create(
        &state.pool,
        &state.keys,
        workspace.id,
        current.user.id,
        &body.kind,
        &body.name,
        &body.access_token,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(added.into())))
}

/// Delete an integration; its encrypted token goes with it.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/integrations/{id}",
    params(
        ("id" = Uuid, Path, description = "Integration id"),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or integration, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_integration(
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    integrations::delete(&mut member.tx, viewer, id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_integrations, create_integration))
        .routes(utoipa_axum::routes!(delete_integration))
}
