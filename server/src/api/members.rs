//! A workspace's members over REST: members and admins list them; admins change roles,
//! deactivate, reactivate and remove, never leaving the workspace without an active admin.

use super::ids::PathIds;
use axum::{extract::State, http::StatusCode, Json};
use bastion_core::{accounts, members, sessions, Viewer};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: Uuid,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    #[schema(example = "ada@example.eu")]
    pub email: String,
    /// `admin`, `member` or `guest`.
    #[schema(example = "member")]
    pub role: String,
    pub active: bool,
    /// Whether they sign in with a second factor; for admins only (who decide whether the
    /// workspace requires it, and whom to remind), absent for everyone else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub two_factor: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    pub items: Vec<MemberView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberChange {
    /// New role: `admin`, `member` or `guest`.
    #[schema(example = "guest", schema_with = super::enums::role_or_null)]
    pub role: Option<String>,
    /// `false` deactivates (access ends with the next request), `true` reactivates.
    pub active: Option<bool>,
}

async fn views(
    state: &AppState,
    viewer: Viewer,
    records: Vec<members::MemberRecord>,
) -> Result<Vec<MemberView>, ApiError> {
    // Core decides who may see who has two-factor on; the others get no such field.
    let ids: Vec<Uuid> = records.iter().map(|r| r.user_id).collect();
    let two_factor = match members::with_two_factor(&state.pool, viewer, &ids).await {
        Ok(on) => Some(on),
        Err(bastion_core::CoreError::Forbidden(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        // Users live in the control plane, which the tenant transaction cannot see.
        let user = accounts::find_user(&state.pool, record.user_id).await?;
        let (name, email) = user.map(|u| (u.name, u.email)).unwrap_or_default();
        out.push(MemberView {
            user_id: record.user_id,
            name,
            email,
            role: record.role,
            active: record.active,
            two_factor: two_factor.as_ref().map(|on| on.contains(&record.user_id)),
        });
    }
    Ok(out)
}

/// The workspace's members.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/members",
    responses(
        (status = 200, description = "The members.", body = MemberList),
        (status = 403, description = "Guests cannot list members.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
    ),
)]
pub async fn list_members(
    State(state): State<AppState>,
    mut member: Member,
) -> Result<Json<MemberList>, ApiError> {
    let viewer = member.viewer();
    let records = members::list(&mut member.tx, viewer).await?;
    member.tx.commit().await?;
    Ok(Json(MemberList {
        items: views(&state, viewer, records).await?,
    }))
}

/// Change a member's role, or deactivate or reactivate them. Refused with 409 `last_admin` when
/// it would leave the workspace without an active admin.
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}/members/{user_id}",
    params(
        ("user_id" = Uuid, Path, description = "The member's user id"),
    ),
    request_body = MemberChange,
    responses(
        (status = 200, description = "Changed.", body = MemberView),
        (status = 403, description = "Not an admin, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or member, or not a member.", body = ErrorBody),
        (status = 409, description = "`last_admin`: the last active admin cannot be demoted or deactivated.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_member(
    State(state): State<AppState>,
    mut member: Member,
    PathIds(user_id): PathIds<Uuid>,
    ApiJson(change): ApiJson<MemberChange>,
) -> Result<Json<MemberView>, ApiError> {
    let viewer = member.viewer();
    let record = members::update_member(
        &mut member.tx,
        viewer,
        user_id,
        change.role.as_deref(),
        change.active,
    )
    .await?;
    member.tx.commit().await?;
    if change.active == Some(false) {
        sessions::end_if_only_for(&state.pool, user_id, member.workspace.id).await?;
    }
    let mut view = views(&state, viewer, vec![record]).await?;
    Ok(Json(view.remove(0)))
}

/// Remove a member from the workspace. Refused with 409 `last_admin` for the last active admin.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/members/{user_id}",
    params(
        ("user_id" = Uuid, Path, description = "The member's user id"),
    ),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "Not an admin, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or member, or not a member.", body = ErrorBody),
        (status = 409, description = "`last_admin`: the last active admin cannot be removed.", body = ErrorBody),
    ),
)]
pub async fn delete_member(
    State(state): State<AppState>,
    member: Member,
    PathIds(user_id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    let Member { tx, workspace, .. } = member;
    tx.rollback().await?;
    members::remove_member(&state.pool, &workspace, viewer, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_members))
        .routes(utoipa_axum::routes!(update_member, delete_member))
}
