//! Time entries over REST: admins record, see and change everyone's time, members their own on
//! tasks they can see, guests none (PRODUCT.md §2). Money is integer euro cents.

use super::ids::PathIds;
use axum::{http::StatusCode, Json};
use bastion_core::{
    time_entries::{
        self, NewTimeEntry, ReportGroup, ReportRow, TimeEntry, TimeEntryChange, TimeFilter,
    },
    CoreError,
};
use serde::{Deserialize, Serialize};
use time::{format_description::well_known::Rfc3339, Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::query::ApiQuery;
use crate::{
    api::pagination::{split_page, PageQuery},
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeEntryView {
    pub id: Uuid,
    pub task_id: Uuid,
    /// Whose time this is.
    pub user_id: Uuid,
    #[schema(value_type = String, format = DateTime, example = "2026-03-30T07:30:00Z")]
    pub started_at: String,
    /// Whole minutes, 1–1440.
    #[schema(example = 90)]
    pub minutes: i32,
    pub billable: bool,
    /// Hourly rate in euro cents.
    #[schema(example = 9000)]
    pub rate_cents: i64,
    /// `minutes × rate_cents / 60`, rounded half up to a whole cent; 0 when not billable.
    #[schema(example = 13500)]
    pub amount_cents: i64,
    pub note: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

impl From<TimeEntry> for TimeEntryView {
    fn from(e: TimeEntry) -> Self {
        Self {
            id: e.id,
            task_id: e.task_id,
            user_id: e.user_id,
            started_at: rfc3339(e.started_at),
            minutes: e.minutes,
            billable: e.billable,
            rate_cents: e.rate_cents,
            amount_cents: if e.billable {
                time_entries::amount_cents(e.minutes, e.rate_cents)
            } else {
                0
            },
            note: e.note,
            created_at: rfc3339(e.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeEntryList {
    pub items: Vec<TimeEntryView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTimeEntryBody {
    pub task_id: Uuid,
    /// Whose time it is; default the caller. Only admins record time for someone else.
    pub user_id: Option<Uuid>,
    #[schema(value_type = String, format = DateTime, example = "2026-03-30T07:30:00Z")]
    pub started_at: String,
    /// At most a day.
    #[schema(example = 90, minimum = 1, maximum = 1440)]
    pub minutes: i32,
    /// Default `true`.
    pub billable: Option<bool>,
    /// Hourly rate in euro cents; default 0.
    #[schema(example = 9000, minimum = 0, maximum = 100_000_000)]
    pub rate_cents: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeEntryChangeBody {
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<String>,
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: Option<i32>,
    pub billable: Option<bool>,
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub rate_cents: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimeEntryFilterQuery {
    /// Only entries on this task.
    pub task_id: Option<Uuid>,
    /// Only entries on tasks of this project.
    pub project_id: Option<Uuid>,
    /// Only this person's entries.
    pub user_id: Option<Uuid>,
    /// First Europe/Brussels date included, `YYYY-MM-DD`.
    #[param(example = "2026-03-01", format = Date)]
    pub from: Option<String>,
    /// Last Europe/Brussels date included, `YYYY-MM-DD`.
    #[param(example = "2026-03-31", format = Date)]
    pub to: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `project` (default), `person`, `week` (ISO weeks in Europe/Brussels) or `day`.
    #[param(example = "week", schema_with = super::enums::report_group)]
    pub group: Option<String>,
    /// First Europe/Brussels date included, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last Europe/Brussels date included, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub to: Option<String>,
    pub project_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRowView {
    /// A project id, a user id, an ISO week such as `2026-W14`, or a date.
    #[schema(example = "2026-W14")]
    pub key: String,
    /// The project's name, or a week's Monday; absent otherwise.
    pub label: Option<String>,
    pub entries: i64,
    pub minutes: i64,
    pub billable_minutes: i64,
    /// The sum of the entries' rounded amounts, in euro cents.
    #[schema(example = 450000)]
    pub amount_cents: i64,
}

impl From<ReportRow> for ReportRowView {
    fn from(r: ReportRow) -> Self {
        Self {
            key: r.key,
            label: r.label,
            entries: r.entries,
            minutes: r.minutes,
            billable_minutes: r.billable_minutes,
            amount_cents: r.amount_cents,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeReport {
    #[schema(example = "week")]
    pub group: String,
    pub rows: Vec<ReportRowView>,
    pub total_minutes: i64,
    pub total_amount_cents: i64,
}

fn parse_date(field: &'static str, value: Option<&str>) -> Result<Option<Date>, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    value
        .map(|v| {
            Date::parse(v, &format)
                .map_err(|_| CoreError::invalid(field, "must be a date like 2026-03-30").into())
        })
        .transpose()
}

fn parse_instant(field: &'static str, value: &str) -> Result<OffsetDateTime, ApiError> {
    OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
        CoreError::invalid(
            field,
            "must be an RFC 3339 instant like 2026-03-30T07:30:00Z",
        )
        .into()
    })
}

/// Time entries the caller may see, newest first: all for admins, their own for members.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/time-entries",
    params(PageQuery, TimeEntryFilterQuery),
    responses(
        (status = 200, description = "A page of time entries.", body = TimeEntryList),
        (status = 403, description = "Guests see no time entries.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A parameter is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn list_time_entries(
    mut member: Member,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(query): ApiQuery<TimeEntryFilterQuery>,
) -> Result<Json<TimeEntryList>, ApiError> {
    // Guests are refused before their parameters are read.
    time_entries::check_tracks_time(member.viewer())?;
    let limit = page.limit()?;
    let after: Option<(String, Uuid)> = page.position()?;
    let after = after
        .map(|(at, id)| parse_instant("cursor", &at).map(|at| (at, id)))
        .transpose()?;
    let filter = TimeFilter {
        task_id: query.task_id,
        project_id: query.project_id,
        user_id: query.user_id,
        from: parse_date("from", query.from.as_deref())?,
        to: parse_date("to", query.to.as_deref())?,
    };
    let who = member.viewer();
    let rows = time_entries::list(&mut member.tx, who, &filter, after, limit + 1).await?;
    member.tx.commit().await?;
    let (rows, next_cursor) = split_page(rows, limit, |e| (rfc3339(e.started_at), e.id));
    Ok(Json(TimeEntryList {
        items: rows.into_iter().map(TimeEntryView::from).collect(),
        next_cursor,
    }))
}

/// Record time on a task the caller can see.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/time-entries",
    request_body = NewTimeEntryBody,
    responses(
        (status = 201, description = "Recorded.", body = TimeEntryView),
        (status = 403, description = "A guest, a member recording someone else's time, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or task, or not visible to the caller.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn create_time_entry(
    mut member: Member,
    ApiJson(body): ApiJson<NewTimeEntryBody>,
) -> Result<(StatusCode, Json<TimeEntryView>), ApiError> {
    let new = NewTimeEntry {
        task_id: body.task_id,
        user_id: body.user_id.unwrap_or(member.user.id),
        started_at: parse_instant("started_at", &body.started_at)?,
        minutes: body.minutes,
        billable: body.billable.unwrap_or(true),
        rate_cents: body.rate_cents.unwrap_or(0),
        note: body.note.unwrap_or_default(),
    };
    let who = member.viewer();
    let entry = time_entries::create(&mut member.tx, who, &new).await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// Change a time entry: admins any, members their own.
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}/time-entries/{entry_id}",
    params(
        ("entry_id" = Uuid, Path, description = "Time entry id"),
    ),
    request_body = TimeEntryChangeBody,
    responses(
        (status = 200, description = "Changed.", body = TimeEntryView),
        (status = 403, description = "Another origin.", body = ErrorBody),
        (status = 404, description = "No such entry, or not the caller's to see.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_time_entry(
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
    ApiJson(body): ApiJson<TimeEntryChangeBody>,
) -> Result<Json<TimeEntryView>, ApiError> {
    let change = TimeEntryChange {
        started_at: body
            .started_at
            .as_deref()
            .map(|v| parse_instant("started_at", v))
            .transpose()?,
        minutes: body.minutes,
        billable: body.billable,
        rate_cents: body.rate_cents,
        note: body.note,
    };
    let who = member.viewer();
    let entry = time_entries::update(&mut member.tx, who, id, &change).await?;
    member.tx.commit().await?;
    Ok(Json(entry.into()))
}

/// Delete a time entry: admins any, members their own.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/time-entries/{entry_id}",
    params(
        ("entry_id" = Uuid, Path, description = "Time entry id"),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Another origin.", body = ErrorBody),
        (status = 404, description = "No such entry, or not the caller's to see.", body = ErrorBody),
    ),
)]
pub async fn delete_time_entry(
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let who = member.viewer();
    time_entries::delete(&mut member.tx, who, id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Totals of the time the caller may see, per project, person, ISO week or day (weeks and days
/// in Europe/Brussels), in integer euro cents. Each entry is rounded half up to a whole cent
/// first, then summed.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/time-entries/report",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report.", body = TimeReport),
        (status = 403, description = "Guests see no time entries.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A parameter is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn get_time_report(
    mut member: Member,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Json<TimeReport>, ApiError> {
    time_entries::check_tracks_time(member.viewer())?;
    let group_name = query.group.unwrap_or_else(|| "project".into());
    let group = ReportGroup::parse(&group_name)?;
    let filter = TimeFilter {
        project_id: query.project_id,
        user_id: query.user_id,
        from: parse_date("from", query.from.as_deref())?,
        to: parse_date("to", query.to.as_deref())?,
        ..Default::default()
    };
    let who = member.viewer();
    let rows = time_entries::report(&mut member.tx, who, group, &filter).await?;
    member.tx.commit().await?;
    Ok(Json(TimeReport {
        group: group_name,
        total_minutes: rows.iter().map(|r| r.minutes).sum(),
        total_amount_cents: rows.iter().map(|r| r.amount_cents).sum(),
        rows: rows.into_iter().map(ReportRowView::from).collect(),
    }))
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_time_entries, create_time_entry))
        .routes(utoipa_axum::routes!(get_time_report))
        .routes(utoipa_axum::routes!(update_time_entry, delete_time_entry))
}
