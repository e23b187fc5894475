//! A task's checklist and its relations over REST (issue 20). The core decides: a task the
//! caller does not see is 404 for every operation, a relation whose other end the caller does
//! not see is neither listed nor removable (404), and changes take whoever may edit the task
//! (403 otherwise).

use super::ids::PathIds;
use axum::{http::StatusCode, Json};
use bastion_core::work::{
    checklists::{self, ChecklistItemRecord},
    relations::{self, RelationRecord},
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistItemView {
    pub id: Uuid,
    pub task_id: Uuid,
    /// Items are listed by ascending position, the order they were added.
    #[schema(example = 1)]
    pub position: i32,
    #[schema(example = "Check the links")]
    pub text: String,
    pub done: bool,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<ChecklistItemRecord> for ChecklistItemView {
    fn from(i: ChecklistItemRecord) -> Self {
        Self {
            id: i.id,
            task_id: i.task_id,
            position: i.position,
            text: i.text,
            done: i.done,
            created_by: i.created_by,
            created_at: i.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistView {
    pub items: Vec<ChecklistItemView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChecklistItem {
    /// 1–500 characters, not only spaces.
    #[schema(example = "Check the links", max_length = 500, pattern = r"\S")]
    pub text: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItemChange {
    /// `true` ticks the item, `false` unticks it.
    pub done: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RelationView {
    pub id: Uuid,
    /// From this task's side: `blocks`, `blocked_by`, `relates_to`, `duplicates` or
    /// `duplicated_by`.
    #[schema(example = "blocked_by", schema_with = super::enums::relation_kind)]
    pub kind: String,
    pub other_task_id: Uuid,
    #[schema(example = "ACME-141")]
    pub other_key: String,
    pub other_title: String,
    /// `todo`, `in_progress` or `done`.
    pub other_status: String,
}

impl From<RelationRecord> for RelationView {
    fn from(r: RelationRecord) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            other_task_id: r.other_task_id,
            other_key: r.other_key,
            other_title: r.other_title,
            other_status: r.other_status,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RelationList {
    pub items: Vec<RelationView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRelation {
    /// From this task's side: `blocks`, `blocked_by`, `relates_to`, `duplicates` or
    /// `duplicated_by`.
    #[schema(example = "blocked_by", schema_with = super::enums::relation_kind)]
    pub kind: String,
    /// The other task's key or id; a task the caller does not see is refused like one that does
    /// not exist.
    #[schema(example = "ACME-141")]
    pub other_task: String,
}

/// The checklist of a task the caller sees, in order.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/checklist",
    params(("task_id" = Uuid, Path, description = "The task's id")),
    responses(
        (status = 200, description = "The checklist.", body = ChecklistView),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn list_checklist_items(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<ChecklistView>, ApiError> {
    let viewer = member.viewer();
    let items = checklists::list_items(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(Json(ChecklistView {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Add an item at the end of a task's checklist. Whoever may edit the task.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/checklist",
    params(("task_id" = Uuid, Path, description = "The task's id")),
    request_body = NewChecklistItem,
    responses(
        (status = 201, description = "Added.", body = ChecklistItemView),
        (status = 403, description = "Guests cannot change checklists, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "`text` is empty, too long, or the checklist is full.", body = ErrorBody),
    ),
)]
pub async fn create_checklist_item(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<NewChecklistItem>,
) -> Result<(StatusCode, Json<ChecklistItemView>), ApiError> {
    let viewer = member.viewer();
    let item = checklists::add_item(&mut member.tx, &viewer, task_id, &body.text).await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(item.into())))
}

/// Tick or untick a checklist item. Whoever may edit the task.
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/checklist/{item_id}",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
        ("item_id" = Uuid, Path, description = "The checklist item's id"),
    ),
    request_body = ChecklistItemChange,
    responses(
        (status = 200, description = "Changed.", body = ChecklistItemView),
        (status = 403, description = "Guests cannot change checklists, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, no such item on it, or not a member.", body = ErrorBody),
        (status = 422, description = "The body is not JSON, or `done` is missing or not a boolean; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_checklist_item(
    mut member: Member,
    PathIds((task_id, item_id)): PathIds<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<ChecklistItemChange>,
) -> Result<Json<ChecklistItemView>, ApiError> {
    let viewer = member.viewer();
    let item = checklists::set_done(&mut member.tx, &viewer, task_id, item_id, body.done).await?;
    member.tx.commit().await?;
    Ok(Json(item.into()))
}

/// Remove a checklist item. Whoever may edit the task.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/checklist/{item_id}",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
        ("item_id" = Uuid, Path, description = "The checklist item's id"),
    ),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "Guests cannot change checklists, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, no such item on it, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_checklist_item(
    mut member: Member,
    PathIds((task_id, item_id)): PathIds<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    checklists::remove_item(&mut member.tx, &viewer, task_id, item_id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The relations of a task the caller sees, to tasks the caller sees, from this task's side.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/relations",
    params(("task_id" = Uuid, Path, description = "The task's id")),
    responses(
        (status = 200, description = "The relations.", body = RelationList),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn list_relations(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<RelationList>, ApiError> {
    let viewer = member.viewer();
    let rows = relations::list_relations(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(Json(RelationList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Relate the task to another one the caller sees. Whoever may edit the task. A task related to
/// itself, a relation the two already have, and a `blocks` closing a cycle are refused.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/relations",
    params(("task_id" = Uuid, Path, description = "The task's id")),
    request_body = NewRelation,
    responses(
        (status = 201, description = "Related.", body = RelationView),
        (status = 403, description = "Guests cannot relate tasks, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "`kind` is unknown, or `other_task` is no task the caller sees, the task itself, already related that way, or would close a cycle of blocking tasks; the field is named.", body = ErrorBody),
    ),
)]
pub async fn create_relation(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<NewRelation>,
) -> Result<(StatusCode, Json<RelationView>), ApiError> {
    let viewer = member.viewer();
    let made = relations::add_relation(
        &mut member.tx,
        &viewer,
        task_id,
        &body.kind,
        &body.other_task,
    )
    .await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// Remove a relation, from either of its tasks. Whoever may edit that task.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/relations/{relation_id}",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
        ("relation_id" = Uuid, Path, description = "The relation's id"),
    ),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "Guests cannot relate tasks, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, no such relation of it to a task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_relation(
    mut member: Member,
    PathIds((task_id, relation_id)): PathIds<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    relations::remove_relation(&mut member.tx, &viewer, task_id, relation_id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(
            list_checklist_items,
            create_checklist_item
        ))
        .routes(utoipa_axum::routes!(
            update_checklist_item,
            delete_checklist_item
        ))
        .routes(utoipa_axum::routes!(list_relations, create_relation))
        .routes(utoipa_axum::routes!(delete_relation))
}
