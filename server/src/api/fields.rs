//! Custom fields over REST (issue 20): a project's field definitions (admins define them) and a
//! task's values (whoever may edit the task fills them in). The core decides: what the caller
//! does not see is 404, what they may not change 403, a bad value 422 naming its field, with
//! nothing changed.

use super::ids::PathIds;
use axum::{http::StatusCode, Json};
use bastion_core::work::fields::{
    self, FieldChange, FieldRecord, FieldValue, NewField, TaskFieldValue,
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

/// The kinds of field.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    /// A € amount.
    Money,
    /// A Europe/Brussels calendar date.
    Date,
    Select,
    MultiSelect,
    /// An active member of the workspace.
    Person,
}

impl FieldKind {
    fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Money => "money",
            FieldKind::Date => "date",
            FieldKind::Select => "select",
            FieldKind::MultiSelect => "multi_select",
            FieldKind::Person => "person",
        }
    }

    fn parse(kind: &str) -> Self {
        match kind {
            "number" => FieldKind::Number,
            "money" => FieldKind::Money,
            "date" => FieldKind::Date,
            "select" => FieldKind::Select,
            "multi_select" => FieldKind::MultiSelect,
            "person" => FieldKind::Person,
            _ => FieldKind::Text,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldView {
    pub id: Uuid,
    pub project_id: Uuid,
    #[schema(example = "Budget")]
    pub name: String,
    pub kind: FieldKind,
    /// A select or multi-select field's choices, in order; empty for other kinds.
    #[schema(example = json!([]))]
    pub options: Vec<String>,
    /// Fields show in ascending position.
    pub position: i32,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<FieldRecord> for FieldView {
    fn from(f: FieldRecord) -> Self {
        Self {
            id: f.id,
            project_id: f.project_id,
            kind: FieldKind::parse(&f.kind),
            name: f.name,
            options: f.options,
            position: f.position,
            created_by: f.created_by,
            created_at: f.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldList {
    pub items: Vec<FieldView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFieldBody {
    /// 1–60 characters, unique in the project (ignoring case).
    #[schema(example = "Budget", min_length = 1, max_length = 60)]
    pub name: String,
    pub kind: FieldKind,
    /// Select and multi-select fields: 1–50 options of 1–60 characters, distinct ignoring case.
    /// Other kinds: none.
    #[serde(default)]
    #[schema(example = json!([]), max_items = 50)]
    pub options: Vec<String>,
}

/// Only what is present changes. The kind never does.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldChangeBody {
    #[schema(example = "Budget (excl. VAT)", min_length = 1, max_length = 60)]
    pub name: Option<String>,
    /// The whole new list of a select field's options. An option some task has chosen cannot be
    /// left out.
    #[schema(max_items = 50)]
    pub options: Option<Vec<String>>,
}

/// A value: text for every kind — `"Acme NV"`, `"3.5"`, `"12.50"` (euros; a decimal comma is
/// accepted), `"2026-10-31"`, an option, a person's user id — or a list of options for a
/// multi-select field. An empty string or list clears the value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum FieldValueBody {
    #[schema(example = "12,50")]
    One(String),
    Many(Vec<String>),
}

impl From<FieldValue> for FieldValueBody {
    fn from(v: FieldValue) -> Self {
        match v {
            FieldValue::One(s) => FieldValueBody::One(s),
            FieldValue::Many(v) => FieldValueBody::Many(v),
        }
    }
}

impl From<FieldValueBody> for FieldValue {
    fn from(v: FieldValueBody) -> Self {
        match v {
            FieldValueBody::One(s) => FieldValue::One(s),
            FieldValueBody::Many(v) => FieldValue::Many(v),
        }
    }
}

/// One field's value on a task.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldValueView {
    pub field_id: Uuid,
    pub value: FieldValueBody,
}

impl From<TaskFieldValue> for FieldValueView {
    fn from(v: TaskFieldValue) -> Self {
        Self {
            field_id: v.field_id,
            value: v.value.into(),
        }
    }
}

/// Values to set on a task, all or nothing; fields left out keep theirs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskFieldValues {
    #[schema(max_items = 30)]
    pub values: Vec<FieldValueView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskFieldValueList {
    /// The task's values after the change, in its project's field order.
    pub items: Vec<FieldValueView>,
}

/// The custom fields of a project the caller sees, in order.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/projects/{project_id}/fields",
    params(("project_id" = Uuid, Path, description = "The project's id")),
    responses(
        (status = 200, description = "Its fields.", body = FieldList),
        (status = 404, description = "No such project the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn list_fields(
    mut member: Member,
    PathIds(project_id): PathIds<Uuid>,
) -> Result<Json<FieldList>, ApiError> {
    let viewer = member.viewer();
    let items = fields::list_fields(&mut member.tx, &viewer, project_id).await?;
    member.tx.commit().await?;
    Ok(Json(FieldList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Define a custom field at the end of a project's fields. Admins.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/projects/{project_id}/fields",
    params(("project_id" = Uuid, Path, description = "The project's id")),
    request_body = NewFieldBody,
    responses(
        (status = 201, description = "Defined.", body = FieldView),
        (status = 403, description = "Only admins define fields, or another origin.", body = ErrorBody),
        (status = 404, description = "No such project the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "`name` is empty, too long or taken, `options` do not fit the kind, or the project has 30 fields; the field is named.", body = ErrorBody),
    ),
)]
pub async fn create_field(
    mut member: Member,
    PathIds(project_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<NewFieldBody>,
) -> Result<(StatusCode, Json<FieldView>), ApiError> {
    let viewer = member.viewer();
    let field = fields::create_field(
        &mut member.tx,
        &viewer,
        &NewField {
            project_id,
            name: body.name,
            kind: body.kind.as_str().to_owned(),
            options: body.options,
        },
    )
    .await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(field.into())))
}

/// Rename a field or change a select field's options. Admins.
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}/fields/{field_id}",
    params(("field_id" = Uuid, Path, description = "The field's id")),
    request_body = FieldChangeBody,
    responses(
        (status = 200, description = "The field as changed.", body = FieldView),
        (status = 403, description = "Only admins change fields, or another origin.", body = ErrorBody),
        (status = 404, description = "No such field the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "`name` is empty, too long or taken, or `options` leave out one in use or do not fit the kind; the field is named.", body = ErrorBody),
    ),
)]
pub async fn update_field(
    mut member: Member,
    PathIds(field_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<FieldChangeBody>,
) -> Result<Json<FieldView>, ApiError> {
    let viewer = member.viewer();
    let change = FieldChange {
        name: body.name,
        options: body.options,
    };
    let field = fields::update_field(&mut member.tx, &viewer, field_id, &change).await?;
    member.tx.commit().await?;
    Ok(Json(field.into()))
}

/// Delete a field and every value of it (each an event of its task's history). Admins.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/fields/{field_id}",
    params(("field_id" = Uuid, Path, description = "The field's id")),
    responses(
        (status = 204, description = "Deleted, with its values."),
        (status = 403, description = "Only admins delete fields, or another origin.", body = ErrorBody),
        (status = 404, description = "No such field the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_field(
    mut member: Member,
    PathIds(field_id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    fields::delete_field(&mut member.tx, &viewer, field_id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Fill in or clear custom field values of a task, all or nothing. Whoever may edit the task.
#[utoipa::path(
    put,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/fields",
    params(("task_id" = Uuid, Path, description = "The task's id")),
    request_body = TaskFieldValues,
    responses(
        (status = 200, description = "The task's values afterwards.", body = TaskFieldValueList),
        (status = 403, description = "Guests cannot fill in fields, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "A `field_id` is not of the task's project or given twice, or a `value` does not fit its field (the message starts with the field's name); nothing changed.", body = ErrorBody),
    ),
)]
pub async fn update_task_fields(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<TaskFieldValues>,
) -> Result<Json<TaskFieldValueList>, ApiError> {
    if body.values.len() > fields::FIELDS_MAX as usize {
        return Err(ApiError::Invalid {
            field: "values".into(),
            message: format!("at most {} values", fields::FIELDS_MAX),
        });
    }
    let viewer = member.viewer();
    let values: Vec<(Uuid, FieldValue)> = body
        .values
        .into_iter()
        .map(|v| (v.field_id, v.value.into()))
        .collect();
    let items = fields::set_values(&mut member.tx, &viewer, task_id, &values).await?;
    member.tx.commit().await?;
    Ok(Json(TaskFieldValueList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_fields, create_field))
        .routes(utoipa_axum::routes!(update_field, delete_field))
        .routes(utoipa_axum::routes!(update_task_fields))
}
