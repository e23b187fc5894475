//! Projects over REST. Everyone lists the projects they see (guests: those holding a task they
//! view); admins and members create, rename, archive and unarchive them.

use super::ids::PathIds;
use axum::{http::StatusCode, Json};
use bastion_core::work::{projects, Position};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::pagination::{split_page, PageQuery};
use crate::query::ApiQuery;
use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: Uuid,
    #[schema(example = "Website relaunch")]
    pub name: String,
    /// The prefix of its tasks' keys (`ACME` in `ACME-142`).
    #[schema(example = "ACME")]
    pub key_prefix: String,
    /// Archived projects keep their tasks readable but take no new tasks.
    pub archived: bool,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<projects::ProjectRecord> for ProjectView {
    fn from(p: projects::ProjectRecord) -> Self {
        Self {
            id: p.id,
            name: p.name,
            key_prefix: p.key_prefix,
            archived: p.archived,
            created_by: p.created_by,
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    pub items: Vec<ProjectView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// 1–200 characters.
    #[schema(example = "Website relaunch")]
    pub name: String,
    /// The prefix of the project's task keys: 2–6 letters A–Z, unique in the workspace, taken
    /// upper-cased. Admins only; without it the prefix is derived from the name.
    #[schema(example = "ACME")]
    pub key_prefix: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectChange {
    /// A new name, 1–200 characters.
    #[schema(example = "Website relaunch 2027")]
    pub name: Option<String>,
    /// `true` archives, `false` unarchives.
    #[schema(example = true)]
    pub archived: Option<bool>,
    /// A new key prefix (2–6 letters A–Z, unique in the workspace). Admins only; every task
    /// key of the project changes with it, task numbers do not.
    #[schema(example = "ACME")]
    pub key_prefix: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// Include archived projects (default: no).
    #[param(example = false)]
    pub include_archived: Option<bool>,
}

/// The projects the caller sees, oldest first. Guests see only projects holding a task they view.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/projects",
    params(ProjectQuery, PageQuery),
    responses(
        (status = 200, description = "A page of projects.", body = ProjectList),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "`limit` or `cursor` is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn list_projects(
    mut member: Member,
    ApiQuery(query): ApiQuery<ProjectQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<ProjectList>, ApiError> {
    let limit = page.limit()?;
    let after = page.position::<Position>()?;
    let viewer = member.viewer();
    let rows = projects::list_projects(
        &mut member.tx,
        &viewer,
        query.include_archived.unwrap_or(false),
        after,
        limit + 1,
    )
    .await?;
    member.tx.commit().await?;
    let (rows, next_cursor) = split_page(rows, limit, |p| p.position());
    Ok(Json(ProjectList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Create a project. Admins and members; only admins choose its key prefix.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/projects",
    request_body = NewProject,
    responses(
        (status = 201, description = "Created.", body = ProjectView),
        (status = 403, description = "Guests cannot create projects, only admins choose a `key_prefix`, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn create_project(
    mut member: Member,
    ApiJson(body): ApiJson<NewProject>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    let viewer = member.viewer();
    let project = projects::create_project_with_prefix(
        &mut member.tx,
        &viewer,
        &body.name,
        body.key_prefix.as_deref(),
    )
    .await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(project.into())))
}

/// Rename, archive or unarchive a project (admins and members), or change its key prefix
/// (admins).
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}/projects/{project_id}",
    params(
        ("project_id" = Uuid, Path, description = "The project's id"),
    ),
    request_body = ProjectChange,
    responses(
        (status = 200, description = "Changed.", body = ProjectView),
        (status = 403, description = "Guests cannot change projects, only admins change the `key_prefix`, or another origin.", body = ErrorBody),
        (status = 404, description = "No such project the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_project(
    mut member: Member,
    PathIds(project_id): PathIds<Uuid>,
    ApiJson(change): ApiJson<ProjectChange>,
) -> Result<Json<ProjectView>, ApiError> {
    let viewer = member.viewer();
    let patch = projects::ProjectPatch {
        name: change.name,
        archived: change.archived,
        key_prefix: change.key_prefix,
    };
    let project = projects::change_project(&mut member.tx, &viewer, project_id, patch).await?;
    member.tx.commit().await?;
    Ok(Json(project.into()))
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_projects, create_project))
        .routes(utoipa_axum::routes!(update_project))
}
