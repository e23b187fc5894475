//! Tasks and their viewers over REST. The core decides: a task the caller does not see is 404
//! for every operation (visibility is decided in SQL), and what a caller may change on a task
//! they see is asked of the policy there (403 otherwise).

use super::ids::PathIds;
use axum::{http::StatusCode, Json};
use bastion_core::work::{
    fields::FieldFilter,
    tasks::{self, NewTask, TaskFilter, TaskPatch, TaskRecord, TaskSort, TaskViewerRecord},
    Position,
};
use serde::{Deserialize, Deserializer, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::pagination::{split_page, PageQuery};
use crate::query::ApiQuery;
use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
};

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn parse_date(field: &str, text: &str) -> Result<Date, ApiError> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| invalid(field, "must be a date like 2026-12-31"))
}

fn parse_uuid(field: &str, text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| invalid(field, "must be a UUID"))
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`) in a patch.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: Uuid,
    pub project_id: Uuid,
    /// The task's number in its project: issued once, never reused.
    #[schema(example = 142)]
    pub number: i32,
    /// The project's key prefix and the number; `GET …/task-keys/{key}` resolves it.
    #[schema(example = "ACME-142")]
    pub key: String,
    /// The task this one is a subtask of.
    pub parent_id: Option<Uuid>,
    #[schema(example = "Draft the data-processing agreement")]
    pub title: String,
    /// Markdown source (raw HTML is shown as text when rendered).
    #[schema(example = "See **clause 4** first.")]
    pub description: String,
    /// `todo`, `in_progress` or `done`.
    #[schema(example = "in_progress")]
    pub status: String,
    /// `low`, `normal`, `high` or `urgent`.
    #[schema(example = "high")]
    pub priority: String,
    pub assignee_id: Option<Uuid>,
    /// A Europe/Brussels calendar date.
    #[serde(with = "bastion_core::work::iso_date::option")]
    #[schema(value_type = Option<String>, format = Date, example = "2026-12-31")]
    pub due_on: Option<Date>,
    /// Private tasks are seen by admins, their creator, their assignee and their viewers only.
    pub private: bool,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub tag_ids: Vec<Uuid>,
    /// Its subtasks the caller sees.
    pub subtasks_total: i64,
    /// How many of those are done.
    pub subtasks_done: i64,
    /// Blocked by a task the caller sees that is not done.
    pub blocked: bool,
    /// It repeats: `GET …/tasks/{task_id}/recurrence` says how.
    pub recurring: bool,
    /// Its custom field values, by field (`GET …/projects/{project_id}/fields` names them);
    /// a field left empty is absent.
    pub fields: Vec<super::fields::FieldValueView>,
}

impl From<TaskRecord> for TaskView {
    fn from(t: TaskRecord) -> Self {
        Self {
            id: t.id,
            project_id: t.project_id,
            number: t.number,
            key: t.key,
            parent_id: t.parent_id,
            title: t.title,
            description: t.description,
            status: t.status,
            priority: t.priority,
            assignee_id: t.assignee_id,
            due_on: t.due_on,
            private: t.private,
            created_by: t.created_by,
            created_at: t.created_at,
            updated_at: t.updated_at,
            tag_ids: t.tag_ids,
            subtasks_total: t.subtasks_total,
            subtasks_done: t.subtasks_done,
            blocked: t.blocked,
            recurring: t.recurring,
            fields: t.fields.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskList {
    pub items: Vec<TaskView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskBody {
    /// An existing, unarchived project.
    pub project_id: Uuid,
    /// 1–300 characters.
    #[schema(example = "Draft the data-processing agreement")]
    pub title: String,
    /// Markdown, at most 20 000 characters.
    #[schema(example = "See **clause 4** first.")]
    pub description: Option<String>,
    /// `todo` (default), `in_progress` or `done`.
    #[schema(example = "todo", schema_with = super::enums::task_status_or_null)]
    pub status: Option<String>,
    /// `low`, `normal` (default), `high` or `urgent`.
    #[schema(example = "high", schema_with = super::enums::task_priority_or_null)]
    pub priority: Option<String>,
    /// An active member of the workspace.
    pub assignee_id: Option<Uuid>,
    /// `YYYY-MM-DD`.
    #[schema(example = "2026-12-31", format = Date)]
    pub due_on: Option<String>,
    /// Default `false`.
    #[serde(default)]
    pub private: bool,
}

/// A subtask: a task in its parent's project.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubtaskBody {
    /// 1–300 characters.
    #[schema(example = "Ask legal for clause 4")]
    pub title: String,
    /// Markdown, at most 20 000 characters.
    pub description: Option<String>,
    /// `todo` (default), `in_progress` or `done`.
    #[schema(schema_with = super::enums::task_status_or_null)]
    pub status: Option<String>,
    /// `low`, `normal` (default), `high` or `urgent`.
    #[schema(schema_with = super::enums::task_priority_or_null)]
    pub priority: Option<String>,
    /// An active member of the workspace.
    pub assignee_id: Option<Uuid>,
    /// `YYYY-MM-DD`.
    #[schema(example = "2026-12-31", format = Date)]
    pub due_on: Option<String>,
    /// Default `false`. A private subtask of a visible task stays private.
    #[serde(default)]
    pub private: bool,
}

/// Only the fields present change; `null` clears `assignee_id` and `due_on`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskChange {
    /// Move to another unarchived project.
    pub project_id: Option<Uuid>,
    #[schema(example = "Sign the data-processing agreement")]
    pub title: Option<String>,
    pub description: Option<String>,
    #[schema(example = "done", schema_with = super::enums::task_status_or_null)]
    pub status: Option<String>,
    #[schema(example = "urgent", schema_with = super::enums::task_priority_or_null)]
    pub priority: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "2027-01-15", format = Date)]
    pub due_on: Option<Option<String>>,
    pub private: Option<bool>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Only tasks of this project.
    pub project_id: Option<String>,
    /// `todo`, `in_progress` or `done`.
    #[param(example = "todo")]
    pub status: Option<String>,
    /// Only tasks assigned to this user.
    pub assignee_id: Option<String>,
    /// Only tasks carrying this tag.
    pub tag_id: Option<String>,
    /// Only tasks due strictly before this date (`YYYY-MM-DD`).
    #[param(example = "2026-12-31")]
    pub due_before: Option<String>,
    /// Words in the title or description, a fragment of the title, or a task key (`ACME-142`).
    #[param(example = "invoice")]
    pub q: Option<String>,
    /// Only tasks with a value of this custom field: the one in `field_value` (text contains
    /// it, a select has the option, anything else equals it), or any value when that is absent.
    pub field_id: Option<String>,
    /// The value `field_id` must have, as a task's `fields` give it (a decimal comma is taken).
    #[param(example = "12,50")]
    pub field_value: Option<String>,
    /// `created` (newest first, the default), `updated` (most recently changed first), `due`
    /// (earliest first), `priority` (urgent first), or `field:<field id>` (lowest first) and
    /// `field:<field id>:desc`; tasks without a due date or value come last.
    #[param(example = "priority")]
    pub sort: Option<String>,
}

impl TaskQuery {
    fn filter(&self) -> Result<TaskFilter, ApiError> {
        let id = |field: &str, value: &Option<String>| {
            value.as_deref().map(|v| parse_uuid(field, v)).transpose()
        };
        // PostgreSQL text cannot hold NUL: named here instead of failing in the query.
        let text = |field: &str, value: &Option<String>| match value {
            Some(v) if v.contains('\0') => Err(ApiError::Invalid {
                field: field.into(),
                message: "must not contain NUL characters".into(),
            }),
            _ => Ok(value.clone()),
        };
        Ok(TaskFilter {
            project_id: id("project_id", &self.project_id)?,
            status: text("status", &self.status)?,
            assignee_id: id("assignee_id", &self.assignee_id)?,
            tag_id: id("tag_id", &self.tag_id)?,
            due_before: self
                .due_before
                .as_deref()
                .map(|d| parse_date("due_before", d))
                .transpose()?,
            q: text("q", &self.q)?,
            field: match &self.field_id {
                Some(field) => Some(FieldFilter {
                    field_id: parse_uuid("field_id", field)?,
                    value: text("field_value", &self.field_value)?.unwrap_or_default(),
                }),
                None if self.field_value.is_some() => {
                    return Err(invalid("field_value", "needs field_id"))
                }
                None => None,
            },
        })
    }
}

/// A task just created or changed, with the people its description newly mentions who were
/// not notified.
#[derive(Debug, Serialize, ToSchema)]
pub struct WrittenTaskView {
    #[serde(flatten)]
    pub task: TaskView,
    /// People the description newly mentions (`@[<user id>]`) who were not notified because
    /// they do not see the task (a private task not shared with them, a guest who does not view
    /// it) or are not active members. Nothing about the task reaches them.
    pub mentions_not_notified: Vec<Uuid>,
}

impl From<tasks::Written> for WrittenTaskView {
    fn from(w: tasks::Written) -> Self {
        Self {
            task: w.task.into(),
            mentions_not_notified: w.mentions.not_notified,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskViewerView {
    pub user_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub added_at: OffsetDateTime,
}

impl From<TaskViewerRecord> for TaskViewerView {
    fn from(v: TaskViewerRecord) -> Self {
        Self {
            user_id: v.user_id,
            added_at: v.added_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskViewerList {
    pub items: Vec<TaskViewerView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskViewer {
    /// An active member of the workspace (any role).
    pub user_id: Uuid,
}

/// The tasks the caller sees, newest first, filtered. Guests see only tasks they view; members
/// see private tasks only when they created, are assigned to or view them.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks",
    params(TaskQuery, PageQuery),
    responses(
        (status = 200, description = "A page of tasks.", body = TaskList),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A filter, `limit` or `cursor` is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn list_tasks(
    mut member: Member,
    ApiQuery(query): ApiQuery<TaskQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<TaskList>, ApiError> {
    let limit = page.limit()?;
    let filter = query.filter()?;
    let sort = TaskSort::parse(query.sort.as_deref().unwrap_or_default())?;
    let viewer = member.viewer();
    // The list's own order pages by keyset; any other by offset, carried in the same opaque
    // cursor.
    let (rows, next_cursor) = if sort == TaskSort::Created {
        let after = page.position::<Position>()?;
        let rows = tasks::list_tasks(&mut member.tx, &viewer, &filter, after, limit + 1).await?;
        split_page(rows, limit, |t| t.position())
    } else {
        let offset = page.position::<u32>()?.unwrap_or(0);
        let rows =
            tasks::list_tasks_sorted(&mut member.tx, &viewer, &filter, sort, offset, limit + 1)
                .await?;
        split_page(rows, limit, |_| offset + limit)
    };
    member.tx.commit().await?;
    Ok(Json(TaskList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Create a task. Admins and members.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tasks",
    request_body = NewTaskBody,
    responses(
        (status = 201, description = "Created.", body = WrittenTaskView),
        (status = 403, description = "Guests cannot create tasks, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A field is invalid (for example an archived `project_id`); it is named.", body = ErrorBody),
    ),
)]
pub async fn create_task(
    mut member: Member,
    ApiJson(body): ApiJson<NewTaskBody>,
) -> Result<(StatusCode, Json<WrittenTaskView>), ApiError> {
    let due_on = body
        .due_on
        .as_deref()
        .map(|d| parse_date("due_on", d))
        .transpose()?;
    let viewer = member.viewer();
    let written = tasks::create_task_mentioning(
        &mut member.tx,
        &viewer,
        NewTask {
            project_id: body.project_id,
            title: body.title,
            description: body.description,
            status: body.status,
            priority: body.priority,
            assignee_id: body.assignee_id,
            due_on,
            private: body.private,
        },
    )
    .await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(written.into())))
}

/// One task the caller sees.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    responses(
        (status = 200, description = "The task.", body = TaskView),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn get_task(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<TaskView>, ApiError> {
    let viewer = member.viewer();
    let task = tasks::get_task(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(Json(task.into()))
}

/// Change a task. Admins and members, on tasks they see. Completing a task that repeats when
/// done makes its next occurrence (`…/recurrence`), in the same change.
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    request_body = TaskChange,
    responses(
        (status = 200, description = "Changed.", body = WrittenTaskView),
        (status = 403, description = "Guests cannot edit tasks, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_task(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiJson(change): ApiJson<TaskChange>,
) -> Result<Json<WrittenTaskView>, ApiError> {
    let viewer = member.viewer();
    let due_on = match change.due_on {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => Some(Some(parse_date("due_on", &text)?)),
    };
    let written = tasks::update_task_mentioning(
        &mut member.tx,
        &viewer,
        task_id,
        TaskPatch {
            project_id: change.project_id,
            title: change.title,
            description: change.description,
            status: change.status,
            priority: change.priority,
            assignee_id: change.assignee_id,
            due_on,
            private: change.private,
        },
    )
    .await?;
    member.tx.commit().await?;
    Ok(Json(written.into()))
}

/// Delete a task with its comments, tags and viewers. Admins any; members the tasks they created.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not an admin nor the member who created it, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_task(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    tasks::delete_task(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who views a task: the people a private task is shared with, and the guests who see it.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/viewers",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    responses(
        (status = 200, description = "The task's viewers.", body = TaskViewerList),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn list_task_viewers(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<TaskViewerList>, ApiError> {
    let viewer = member.viewer();
    let rows = tasks::list_task_viewers(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(Json(TaskViewerList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Let a member see the task (for a guest, the only way to see a task). Admins and members.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/viewers",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    request_body = NewTaskViewer,
    responses(
        (status = 201, description = "Added (or already there).", body = TaskViewerView),
        (status = 403, description = "Guests cannot add viewers, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "`user_id` is not an active member.", body = ErrorBody),
    ),
)]
pub async fn create_task_viewer(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<NewTaskViewer>,
) -> Result<(StatusCode, Json<TaskViewerView>), ApiError> {
    let viewer = member.viewer();
    let added = tasks::add_task_viewer(&mut member.tx, &viewer, task_id, body.user_id).await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(added.into())))
}

/// Stop a member from viewing the task. Admins and members.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/viewers/{user_id}",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
        ("user_id" = Uuid, Path, description = "The viewer's user id"),
    ),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "Guests cannot change who views a task, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, that user does not view it, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_task_viewer(
    mut member: Member,
    PathIds((task_id, user_id)): PathIds<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    tasks::remove_task_viewer(&mut member.tx, &viewer, task_id, user_id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The task with this key (`ACME-142`, any case), if the caller sees it: one lookup that turns a
/// key into the task, whose `id` the other operations take. A key of a task the caller may not
/// see is 404, exactly like a key no task has.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/task-keys/{key}",
    params(
        ("key" = String, Path, description = "A task key: the project's prefix, a dash and the task's number", example = "ACME-142"),
    ),
    responses(
        (status = 200, description = "The task.", body = TaskView),
        (status = 404, description = "No task with this key the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn get_task_by_key(
    mut member: Member,
    axum::extract::Path((_ws, key)): axum::extract::Path<(String, String)>,
) -> Result<Json<TaskView>, ApiError> {
    // Like a malformed id, a text that is not a key names nothing: 404.
    if tasks::parse_key(&key).is_none() {
        return Err(ApiError::NotFound);
    }
    let viewer = member.viewer();
    let task = tasks::get_task_by_key(&mut member.tx, &viewer, &key).await?;
    member.tx.commit().await?;
    Ok(Json(task.into()))
}

/// The subtasks of a task, those the caller sees, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/subtasks",
    params(
        ("task_id" = Uuid, Path, description = "The parent task's id"),
    ),
    responses(
        (status = 200, description = "The subtasks the caller sees.", body = TaskList),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn list_subtasks(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<TaskList>, ApiError> {
    let viewer = member.viewer();
    let rows = tasks::list_subtasks(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(Json(TaskList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Create a subtask, in the parent's project. Admins and members, under a task they see that is
/// not a subtask itself (one level).
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/subtasks",
    params(
        ("task_id" = Uuid, Path, description = "The parent task's id"),
    ),
    request_body = NewSubtaskBody,
    responses(
        (status = 201, description = "Created.", body = TaskView),
        (status = 403, description = "Guests cannot create tasks, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "A field is invalid, the project is archived, or the parent is itself a subtask (`parent_id`); it is named.", body = ErrorBody),
    ),
)]
pub async fn create_subtask(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<NewSubtaskBody>,
) -> Result<(StatusCode, Json<TaskView>), ApiError> {
    let due_on = body
        .due_on
        .as_deref()
        .map(|d| parse_date("due_on", d))
        .transpose()?;
    let viewer = member.viewer();
    let new = NewTask {
        // The parent's project, set by the core.
        project_id: Uuid::nil(),
        title: body.title,
        description: body.description,
        status: body.status,
        priority: body.priority,
        assignee_id: body.assignee_id,
        due_on,
        private: body.private,
    };
    let task = tasks::create_subtask(&mut member.tx, &viewer, task_id, new).await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(task.into())))
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// The first day (`YYYY-MM-DD`).
    #[param(example = "2026-11-30", format = Date, required = true)]
    pub from: Option<String>,
    /// The day after the last (`YYYY-MM-DD`), at most 42 days after `from`.
    #[param(example = "2027-01-11", format = Date, required = true)]
    pub until: Option<String>,
    /// Only tasks of this project.
    #[param(format = Uuid)]
    pub project_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    /// By due date, then open before done, then by key.
    pub items: Vec<TaskView>,
    /// More than 500 tasks are due in the span: only the first 500 are here. The task list,
    /// filtered by project and `due_before`, pages through them all.
    pub truncated: bool,
}

/// The tasks the caller sees that are due from `from` up to, not including, `until`: a
/// calendar's month (Monday to Sunday weeks, up to six) in one request. The visibility rule
/// is the task list's. Moving a task to another day is `PATCH …/tasks/{task_id}` with `due_on`.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/calendar",
    params(CalendarQuery),
    responses(
        (status = 200, description = "The tasks due in the span.", body = CalendarView),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "`from` or `until` is missing or invalid, or the span is empty or longer than 42 days; the field is named.", body = ErrorBody),
    ),
)]
pub async fn get_calendar(
    mut member: Member,
    ApiQuery(query): ApiQuery<CalendarQuery>,
) -> Result<Json<CalendarView>, ApiError> {
    let date = |field: &str, value: &Option<String>| match value.as_deref() {
        Some(text) => parse_date(field, text),
        None => Err(invalid(field, "is required (a date like 2026-12-31)")),
    };
    let from = date("from", &query.from)?;
    let until = date("until", &query.until)?;
    let project_id = query
        .project_id
        .as_deref()
        .map(|v| parse_uuid("project_id", v))
        .transpose()?;
    let viewer = member.viewer();
    let calendar = tasks::calendar(&mut member.tx, &viewer, from, until, project_id).await?;
    member.tx.commit().await?;
    Ok(Json(CalendarView {
        items: calendar.tasks.into_iter().map(Into::into).collect(),
        truncated: calendar.truncated,
    }))
}

pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_tasks, create_task))
        .routes(utoipa_axum::routes!(get_calendar))
        .routes(utoipa_axum::routes!(get_task, update_task, delete_task))
        .routes(utoipa_axum::routes!(list_task_viewers, create_task_viewer))
        .routes(utoipa_axum::routes!(delete_task_viewer))
        .routes(utoipa_axum::routes!(get_task_by_key))
        .routes(utoipa_axum::routes!(list_subtasks, create_subtask))
}
