//! Time entries and the reports built from them (PRODUCT.md §1, §2). Who sees what is decided in
//! SQL: admins every entry, members their own on tasks they can see, guests none. Money is
//! integer euro cents throughout; see [`amount_cents`] for the one rounding rule.

use serde::Serialize;
use sqlx::{AssertSqlSafe, FromRow};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

pub use crate::Viewer;
use crate::{ensure, CoreError, CoreResult, TenantTx};
use bastion_policy as policy;

/// Whether the viewer tracks time at all: admins and members do, guests neither see nor record
/// it. Every listing, report and recording asks this first; a door that refuses guests before
/// anything else (the time page) asks it directly.
pub fn check_tracks_time(viewer: Viewer) -> CoreResult<()> {
    ensure(
        policy::can_track_time(viewer.role),
        "Guests do not track time.",
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct TimeEntry {
    pub id: Uuid,
    pub task_id: Uuid,
    pub user_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub minutes: i32,
    pub billable: bool,
    pub rate_cents: i64,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str =
    "e.id, e.task_id, e.user_id, e.started_at, e.minutes, e.billable, e.rate_cents, e.note, e.created_at";

/// Which entries the viewer may see, as SQL over `e` (time_entries) and `t` (its task), with the
/// viewer's id in `$1` and role in `$2`. Members see their own entries on tasks still visible to
/// them; guests see none.
const VISIBLE: &str = concat!(
    "CASE $2::text
        WHEN 'admin' THEN true
        WHEN 'member' THEN e.user_id = $1 AND ",
    crate::work::task_visible_sql!(),
    " ELSE false
    END"
);

pub const MAX_RATE_CENTS: i64 = 100_000_000;
pub const MAX_NOTE_CHARS: usize = 1000;

/// The amount of one entry in euro cents: `minutes × rate_cents / 60`, rounded half up to a whole
/// cent (30 minutes at 1 cent per hour is 1 cent; 29 minutes is 0). Reports round each entry and
/// then add, so a report's total is always the sum of the amounts shown per entry. Only billable
/// entries have an amount.
pub fn amount_cents(minutes: i32, rate_cents: i64) -> i64 {
    (i64::from(minutes) * rate_cents + 30) / 60
}

/// The same rule in SQL, over `e`.
const AMOUNT_SQL: &str =
    "CASE WHEN e.billable THEN (e.minutes::bigint * e.rate_cents + 30) / 60 ELSE 0 END";

fn check_minutes(minutes: i32) -> CoreResult<()> {
    if (1..=1440).contains(&minutes) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "minutes",
            "must be between 1 and 1440 (one day)",
        ))
    }
}

fn check_rate(rate_cents: i64) -> CoreResult<()> {
    if (0..=MAX_RATE_CENTS).contains(&rate_cents) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "rate_cents",
            format!("must be whole euro cents between 0 and {MAX_RATE_CENTS}"),
        ))
    }
}

fn check_note(note: &str) -> CoreResult<()> {
    if note.chars().count() <= MAX_NOTE_CHARS {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "note",
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ))
    }
}

/// Not before 2000, and not more than a day ahead (time is recorded, not planned).
fn check_started_at(started_at: OffsetDateTime) -> CoreResult<()> {
    let earliest = time::macros::datetime!(2000-01-01 0:00 UTC);
    if started_at < earliest {
        return Err(CoreError::invalid("started_at", "must not be before 2000"));
    }
    if started_at > OffsetDateTime::now_utc() + Duration::days(1) {
        return Err(CoreError::invalid(
            "started_at",
            "must not be more than a day in the future",
        ));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct NewTimeEntry {
    pub task_id: Uuid,
    /// Whose time it is: the viewer's own, or (admins only) another active member's.
    pub user_id: Uuid,
    pub started_at: OffsetDateTime,
    pub minutes: i32,
    pub billable: bool,
    pub rate_cents: i64,
    pub note: String,
}

/// Records time on a task the viewer can see (otherwise `NotFound("task")`, as if it did not
/// exist). Guests record none; only admins record in someone else's name. The entry's user must
/// be an active member.
pub async fn create(
    tx: &mut TenantTx,
    viewer: Viewer,
    new: &NewTimeEntry,
) -> CoreResult<TimeEntry> {
    check_tracks_time(viewer)?;
    ensure(
        new.user_id == viewer.user_id || policy::can_track_time_for_others(viewer.role),
        "Members record their own time only.",
    )?;
    check_minutes(new.minutes)?;
    check_rate(new.rate_cents)?;
    check_note(&new.note)?;
    check_started_at(new.started_at)?;
    if !viewer.sees_task(tx, new.task_id).await? {
        return Err(CoreError::NotFound("task"));
    }
    let member: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM members WHERE user_id = $1 AND active)")
            .bind(new.user_id)
            .fetch_one(tx.conn())
            .await?;
    if !member {
        return Err(CoreError::invalid(
            "user_id",
            "is not an active member of this workspace",
        ));
    }
    Ok(sqlx::query_as::<_, TimeEntry>(AssertSqlSafe(format!(
        "INSERT INTO time_entries AS e (id, task_id, user_id, started_at, minutes, billable,
                                        rate_cents, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING {COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(new.task_id)
    .bind(new.user_id)
    .bind(new.started_at)
    .bind(new.minutes)
    .bind(new.billable)
    .bind(new.rate_cents)
    .bind(&new.note)
    .fetch_one(tx.conn())
    .await?)
}

/// What a list is narrowed to; `from`/`to` are Europe/Brussels dates, both inclusive.
#[derive(Debug, Clone, Default)]
pub struct TimeFilter {
    pub task_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl TimeFilter {
    fn check(&self) -> CoreResult<()> {
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(CoreError::invalid("from", "must not be after 'to'"));
            }
        }
        Ok(())
    }
}

/// The filter's conditions, with its values in `$3`–`$7`. A Brussels date becomes the instants
/// of its first and next midnight in Brussels, so the index on `started_at` serves the range.
const FILTER: &str = "($3::uuid IS NULL OR e.task_id = $3)
    AND ($4::uuid IS NULL OR t.project_id = $4)
    AND ($5::uuid IS NULL OR e.user_id = $5)
    AND ($6::date IS NULL OR e.started_at >= ($6::date::timestamp AT TIME ZONE 'Europe/Brussels'))
    AND ($7::date IS NULL
         OR e.started_at < (($7::date + 1)::timestamp AT TIME ZONE 'Europe/Brussels'))";

/// Newest first; `after` is the (started_at, id) of the last entry of the previous page.
pub async fn list(
    tx: &mut TenantTx,
    viewer: Viewer,
    filter: &TimeFilter,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: u32,
) -> CoreResult<Vec<TimeEntry>> {
    check_tracks_time(viewer)?;
    filter.check()?;
    let (after_at, after_id) = after.unzip();
    Ok(sqlx::query_as::<_, TimeEntry>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM time_entries e JOIN tasks t ON t.id = e.task_id
          WHERE {VISIBLE} AND {FILTER}
            AND ($8::timestamptz IS NULL OR (e.started_at, e.id) < ($8, $9))
          ORDER BY e.started_at DESC, e.id DESC
          LIMIT $10"
    )))
    .bind(viewer.user_id)
    .bind(viewer.role.as_str())
    .bind(filter.task_id)
    .bind(filter.project_id)
    .bind(filter.user_id)
    .bind(filter.from)
    .bind(filter.to)
    .bind(after_at)
    .bind(after_id)
    .bind(i64::from(limit))
    .fetch_all(tx.conn())
    .await?)
}

/// One entry the viewer may see, locked for a change; `NotFound` otherwise.
async fn find_for_update(tx: &mut TenantTx, viewer: Viewer, id: Uuid) -> CoreResult<TimeEntry> {
    sqlx::query_as::<_, TimeEntry>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM time_entries e JOIN tasks t ON t.id = e.task_id
          WHERE e.id = $3 AND {VISIBLE}
          FOR UPDATE OF e"
    )))
    .bind(viewer.user_id)
    .bind(viewer.role.as_str())
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or(CoreError::NotFound("time entry"))
}

pub async fn get(tx: &mut TenantTx, viewer: Viewer, id: Uuid) -> CoreResult<TimeEntry> {
    find_for_update(tx, viewer, id).await
}

/// The fields a change may set; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct TimeEntryChange {
    pub started_at: Option<OffsetDateTime>,
    pub minutes: Option<i32>,
    pub billable: Option<bool>,
    pub rate_cents: Option<i64>,
    pub note: Option<String>,
}

/// Who may change or delete an entry found for the viewer. Members find only their own entries,
/// so someone else's is already `NotFound`; this is the rule itself, kept with the action.
fn check_change(viewer: Viewer, entry: &TimeEntry) -> CoreResult<()> {
    ensure(
        policy::can_change_time_entry(viewer.role, entry.user_id == viewer.user_id),
        "Members change their own time only.",
    )
}

/// Changes an entry the viewer may see (admins: any; members: their own). Since members see
/// only their own entries, someone else's is `NotFound`, never a different answer.
pub async fn update(
    tx: &mut TenantTx,
    viewer: Viewer,
    id: Uuid,
    change: &TimeEntryChange,
) -> CoreResult<TimeEntry> {
    let current = find_for_update(tx, viewer, id).await?;
    check_change(viewer, &current)?;
    let minutes = change.minutes.unwrap_or(current.minutes);
    let rate_cents = change.rate_cents.unwrap_or(current.rate_cents);
    let note = change.note.as_deref().unwrap_or(&current.note);
    check_minutes(minutes)?;
    check_rate(rate_cents)?;
    check_note(note)?;
    if let Some(started_at) = change.started_at {
        check_started_at(started_at)?;
    }
    Ok(sqlx::query_as::<_, TimeEntry>(AssertSqlSafe(format!(
        "UPDATE time_entries AS e SET started_at = $2, minutes = $3, billable = $4,
                rate_cents = $5, note = $6
          WHERE e.id = $1
          RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(change.started_at.unwrap_or(current.started_at))
    .bind(minutes)
    .bind(change.billable.unwrap_or(current.billable))
    .bind(rate_cents)
    .bind(note)
    .fetch_one(tx.conn())
    .await?)
}

/// Deletes an entry the viewer may see and change (admins: any; members: their own).
pub async fn delete(tx: &mut TenantTx, viewer: Viewer, id: Uuid) -> CoreResult<()> {
    let current = find_for_update(tx, viewer, id).await?;
    check_change(viewer, &current)?;
    sqlx::query("DELETE FROM time_entries WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// How a report groups its totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportGroup {
    Project,
    Person,
    /// ISO weeks in Europe/Brussels (Monday 00:00 local time).
    Week,
    /// Calendar days in Europe/Brussels.
    Day,
}

impl ReportGroup {
    pub fn parse(value: &str) -> CoreResult<Self> {
        match value {
            "project" => Ok(Self::Project),
            "person" => Ok(Self::Person),
            "week" => Ok(Self::Week),
            "day" => Ok(Self::Day),
            _ => Err(CoreError::invalid(
                "group",
                "must be project, person, week or day",
            )),
        }
    }

    /// The group's key and label as SQL over `e`, `t` and `p` (the project).
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            Self::Project => ("p.id::text", "p.name"),
            Self::Person => ("e.user_id::text", "NULL::text"),
            // ISO year and week, e.g. 2026-W14; the label is the week's Monday.
            Self::Week => (
                "to_char(e.started_at AT TIME ZONE 'Europe/Brussels', 'IYYY-\"W\"IW')",
                "min(date_trunc('week', e.started_at AT TIME ZONE 'Europe/Brussels')::date)::text",
            ),
            Self::Day => (
                "(e.started_at AT TIME ZONE 'Europe/Brussels')::date::text",
                "NULL::text",
            ),
        }
    }
}

/// One line of a report: the group's key (a project id, a user id, an ISO week such as
/// `2026-W14`, or a date), a label where there is one (project name, week's Monday), and totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct ReportRow {
    pub key: String,
    pub label: Option<String>,
    pub entries: i64,
    pub minutes: i64,
    pub billable_minutes: i64,
    /// Sum of the per-entry amounts of billable entries, in euro cents.
    pub amount_cents: i64,
}

/// Totals of the entries the viewer may see, grouped, with `from`/`to` as Brussels dates.
pub async fn report(
    tx: &mut TenantTx,
    viewer: Viewer,
    group: ReportGroup,
    filter: &TimeFilter,
) -> CoreResult<Vec<ReportRow>> {
    check_tracks_time(viewer)?;
    filter.check()?;
    let (key, label) = group.sql();
    // The label is an aggregate for weeks and plain for the others; grouping by key and label
    // covers both (a project's id fixes its name).
    let group_by = if group == ReportGroup::Week {
        "1"
    } else {
        "1, 2"
    };
    Ok(sqlx::query_as::<_, ReportRow>(AssertSqlSafe(format!(
        "SELECT {key} AS key, {label} AS label, count(*) AS entries,
                coalesce(sum(e.minutes), 0)::bigint AS minutes,
                coalesce(sum(e.minutes) FILTER (WHERE e.billable), 0)::bigint AS billable_minutes,
                coalesce(sum({AMOUNT_SQL}), 0)::bigint AS amount_cents
           FROM time_entries e
           JOIN tasks t ON t.id = e.task_id
           JOIN projects p ON p.id = t.project_id
          WHERE {VISIBLE} AND {FILTER}
          GROUP BY {group_by}
          ORDER BY 1"
    )))
    .bind(viewer.user_id)
    .bind(viewer.role.as_str())
    .bind(filter.task_id)
    .bind(filter.project_id)
    .bind(filter.user_id)
    .bind(filter.from)
    .bind(filter.to)
    .fetch_all(tx.conn())
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_half_up_per_entry() {
        assert_eq!(amount_cents(60, 9000), 9000);
        assert_eq!(amount_cents(1, 9000), 150);
        // 7 minutes at €1.00/h = 11.666… cents -> 12; 1 minute at 30 cents/h = 0.5 -> 1.
        assert_eq!(amount_cents(7, 100), 12);
        assert_eq!(amount_cents(1, 30), 1);
        assert_eq!(amount_cents(1, 29), 0);
        assert_eq!(amount_cents(1440, MAX_RATE_CENTS), 2_400_000_000);
    }

    #[test]
    fn validation_names_the_field() {
        assert!(matches!(
            check_minutes(0),
            Err(CoreError::Invalid {
                field: "minutes",
                ..
            })
        ));
        assert!(matches!(
            check_minutes(1441),
            Err(CoreError::Invalid {
                field: "minutes",
                ..
            })
        ));
        assert!(check_minutes(1440).is_ok());
        assert!(matches!(
            check_rate(-1),
            Err(CoreError::Invalid {
                field: "rate_cents",
                ..
            })
        ));
        assert!(matches!(
            check_started_at(OffsetDateTime::now_utc() + Duration::days(2)),
            Err(CoreError::Invalid {
                field: "started_at",
                ..
            })
        ));
        assert!(check_note(&"é".repeat(1000)).is_ok());
        assert!(check_note(&"é".repeat(1001)).is_err());
    }
}
