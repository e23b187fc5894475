//! A task's recurrence rule over REST (issue 20). The core decides: a task the caller does not
//! see is 404, a rule is set or stopped by whoever may edit the task (403 otherwise), and a bad
//! rule is 422 naming the field, with nothing changed.

use super::ids::PathIds;
use axum::{http::StatusCode, Json};
use bastion_core::work::recurrence::{self, RecurrenceInput, RecurrenceRecord};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct RecurrenceView {
    pub task_id: Uuid,
    /// `days`, `weeks` or `months`.
    #[schema(example = "months")]
    pub unit: String,
    /// Every this many units, 1–99.
    #[schema(example = 1)]
    pub every: i16,
    /// Weekly rules: the weekdays, Monday first (`mon` … `sun`); empty otherwise.
    #[schema(example = json!(["mon", "thu"]))]
    pub weekdays: Vec<String>,
    /// Monthly rules: the day of the month (1–31; a shorter month's last day when it has
    /// fewer), unless `last_working_day`.
    #[schema(example = 31)]
    pub month_day: Option<i16>,
    /// Monthly rules: the last Monday-to-Friday of the month.
    pub last_working_day: bool,
    /// `on_done`: the next occurrence is made when this task is done; `on_date`: on its date.
    #[schema(example = "on_done")]
    pub trigger: String,
    /// The next occurrence's due date, a Europe/Brussels calendar date.
    #[serde(with = "bastion_core::work::iso_date")]
    #[schema(value_type = String, format = Date, example = "2026-11-30")]
    pub next_on: Date,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<RecurrenceRecord> for RecurrenceView {
    fn from(r: RecurrenceRecord) -> Self {
        Self {
            task_id: r.task_id,
            weekdays: r.weekday_names().into_iter().map(str::to_owned).collect(),
            unit: r.unit,
            every: r.every,
            month_day: r.month_day,
            last_working_day: r.last_working_day,
            trigger: r.trigger,
            next_on: r.next_on,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// A rule: every `every` days; every `every` weeks on `weekdays`; or every `every` months on
/// `month_day` or on the last working day. The schedule counts from the task's due date (today
/// when it has none).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceBody {
    /// `days`, `weeks` or `months`.
    #[schema(example = "months", pattern = "^(days|weeks|months)$")]
    pub unit: String,
    /// 1–99.
    #[schema(example = 1, minimum = 1, maximum = 99)]
    pub every: i64,
    /// Weekly rules only: one or more of `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`.
    #[serde(default)]
    #[schema(example = json!([]))]
    pub weekdays: Vec<String>,
    /// Monthly rules: 1–31; leave out with `last_working_day`.
    #[schema(example = 31, minimum = 1, maximum = 31)]
    pub month_day: Option<i64>,
    /// Monthly rules: the last Monday-to-Friday of the month instead of a day.
    #[serde(default)]
    pub last_working_day: bool,
    /// `on_done` or `on_date`.
    #[schema(example = "on_done", pattern = "^(on_done|on_date)$")]
    pub trigger: String,
}

/// How a task the caller sees repeats.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/recurrence",
    params(("task_id" = Uuid, Path, description = "The task's id")),
    responses(
        (status = 200, description = "The rule.", body = RecurrenceView),
        (status = 404, description = "No such task the caller sees, the task does not repeat, or not a member.", body = ErrorBody),
    ),
)]
pub async fn get_task_recurrence(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<RecurrenceView>, ApiError> {
    let viewer = member.viewer();
    let rule = recurrence::get_recurrence(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    rule.map(|r| Json(r.into())).ok_or(ApiError::NotFound)
}

/// Make the task repeat, or replace its rule. Whoever may edit the task.
#[utoipa::path(
    put,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/recurrence",
    params(("task_id" = Uuid, Path, description = "The task's id")),
    request_body = RecurrenceBody,
    responses(
        (status = 200, description = "The rule as saved, with its next date.", body = RecurrenceView),
        (status = 403, description = "Guests cannot make tasks repeat, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
        (status = 422, description = "`unit`, `every`, `weekdays`, `month_day` or `trigger` is missing or does not fit the rule; the field is named.", body = ErrorBody),
    ),
)]
pub async fn update_task_recurrence(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<RecurrenceBody>,
) -> Result<Json<RecurrenceView>, ApiError> {
    let viewer = member.viewer();
    let input = RecurrenceInput {
        unit: body.unit,
        every: body.every,
        weekdays: body.weekdays,
        month_day: body.month_day,
        last_working_day: body.last_working_day,
        trigger: body.trigger,
    };
    let rule = recurrence::set_recurrence(&mut member.tx, &viewer, task_id, &input).await?;
    member.tx.commit().await?;
    Ok(Json(rule.into()))
}

/// Stop the task repeating. Whoever may edit the task.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/recurrence",
    params(("task_id" = Uuid, Path, description = "The task's id")),
    responses(
        (status = 204, description = "It no longer repeats."),
        (status = 403, description = "Guests cannot make tasks repeat, or another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, the task does not repeat, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_task_recurrence(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    recurrence::remove_recurrence(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(
        get_task_recurrence,
        update_task_recurrence,
        delete_task_recurrence
    ))
}
