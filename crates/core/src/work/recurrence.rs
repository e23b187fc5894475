//! Recurring tasks (issue 20): a rule on a task — every N days, every N weeks on chosen
//! weekdays, every N months on a day or on the last working day — and the next occurrence it
//! makes, a copy of the task due on the rule's next date, to which the rule then moves.
//!
//! Dates are Brussels calendar dates and the arithmetic is on dates alone ([`Schedule`]), never
//! on instants, so a summer-time change cannot shift an occurrence to another day. An occurrence
//! is made when its task is completed (`on_done`, inside `tasks::update_task`, so through every
//! door) or when its date comes (`on_date`, by the background sweep [`create_due_all`]); at most
//! one per task, whatever retries or races (the unique `tasks.recurred_from`).

use bastion_policy as policy;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Date, Duration, Month, OffsetDateTime, Weekday};
use uuid::Uuid;

use super::{tasks, watching, Viewer};
use crate::{ensure, Actor, CoreError, CoreResult, TenantSchema, TenantTx, WorkspaceId};

/// The largest `every`: a rule repeating less often than every 99 months is a reminder, not a
/// routine.
pub const EVERY_MAX: i64 = 99;
/// Weekday names as the doors spell them, Monday first (bit 0 of the stored set).
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
pub const UNITS: [&str; 3] = ["days", "weeks", "months"];
pub const TRIGGERS: [&str; 2] = ["on_done", "on_date"];
/// Rules whose date has come, handled per workspace in one pass of the sweep; the rest wait for
/// the next pass.
const SWEEP_BATCH: i64 = 200;

const REFUSED: &str = "Guests cannot make tasks repeat.";

/// On which days a rule falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Every `every` days.
    Days,
    /// Every `every` weeks (Monday to Sunday) on these weekdays: bit 0 is Monday, never empty.
    Weeks(u8),
    /// Every `every` months on this day (1–31); in a shorter month, its last day.
    MonthDay(u8),
    /// Every `every` months on the last Monday-to-Friday of the month.
    LastWorkingDay,
}

/// When a rule repeats: pure date arithmetic, no clock and no time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub every: u8,
    pub pattern: Pattern,
}

impl Schedule {
    /// The first date of the schedule after `date`, or `None` past the year 9999.
    ///
    /// Weeks count from `date`'s week: a later chosen weekday of the same week comes first,
    /// then the first chosen weekday `every` weeks on. Months count from `date`'s month, so
    /// "day 31" from 31 January gives 28 (or 29) February and then 31 March, not 28 March.
    pub fn next_after(&self, date: Date) -> Option<Date> {
        let every = i64::from(self.every.max(1));
        match self.pattern {
            Pattern::Days => date.checked_add(Duration::days(every)),
            Pattern::Weeks(days) => {
                let days = if days & 0x7f == 0 { 1 } else { days & 0x7f };
                let today = i64::from(date.weekday().number_days_from_monday());
                if let Some(later) = (today + 1..7).find(|d| days & (1 << d) != 0) {
                    return date.checked_add(Duration::days(later - today));
                }
                let first = (0..7).find(|d| days & (1 << d) != 0).unwrap_or(0);
                date.checked_add(Duration::days(7 * every - today + first))
            }
            Pattern::MonthDay(day) => {
                let (year, month) = months_on(date, every)?;
                let day = day.clamp(1, 31).min(month_length(year, month)?);
                Date::from_calendar_date(year, month, day).ok()
            }
            Pattern::LastWorkingDay => {
                let (year, month) = months_on(date, every)?;
                let mut day =
                    Date::from_calendar_date(year, month, month_length(year, month)?).ok()?;
                while matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
                    day = day.previous_day()?;
                }
                Some(day)
            }
        }
        .filter(|d| d.year() <= 9999)
    }

    /// The first date of the schedule after `date` that is also after `not_before`: where a rule
    /// whose dates were missed (the server was down) picks up, without a backlog of copies.
    pub fn next_after_skipping(&self, date: Date, not_before: Date) -> Option<Date> {
        let mut next = self.next_after(date)?;
        // Bounded: even daily from the year 1000, a few million steps at most; in practice one.
        while next <= not_before {
            next = self.next_after(next)?;
        }
        Some(next)
    }
}

/// The year and month `every` months after `date`'s.
fn months_on(date: Date, every: i64) -> Option<(i32, Month)> {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + every;
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    Some((year, month))
}

fn month_length(year: i32, month: Month) -> Option<u8> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let next = Date::from_calendar_date(
        if month == Month::December {
            year + 1
        } else {
            year
        },
        month.next(),
        1,
    )
    .ok()?;
    u8::try_from((next - first).whole_days()).ok()
}

/// A rule as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RecurrenceRecord {
    pub id: Uuid,
    pub task_id: Uuid,
    /// `days`, `weeks` or `months`.
    pub unit: String,
    pub every: i16,
    /// Weeks only: bit 0 Monday … bit 6 Sunday.
    pub weekdays: Option<i16>,
    /// Months only, unless `last_working_day`.
    pub month_day: Option<i16>,
    pub last_working_day: bool,
    /// `on_done` or `on_date`.
    pub trigger: String,
    /// The Brussels date of the next occurrence.
    #[serde(with = "super::iso_date")]
    pub next_on: Date,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl RecurrenceRecord {
    pub fn schedule(&self) -> Schedule {
        let pattern = match self.unit.as_str() {
            "weeks" => Pattern::Weeks(self.weekdays.unwrap_or(1) as u8),
            "months" if self.last_working_day => Pattern::LastWorkingDay,
            "months" => Pattern::MonthDay(self.month_day.unwrap_or(1) as u8),
            _ => Pattern::Days,
        };
        Schedule {
            every: self.every.clamp(1, 99) as u8,
            pattern,
        }
    }

    /// The chosen weekdays by name, Monday first (empty unless weekly).
    pub fn weekday_names(&self) -> Vec<&'static str> {
        let days = self.weekdays.unwrap_or(0);
        WEEKDAYS
            .iter()
            .enumerate()
            .filter(|(i, _)| days & (1 << i) != 0)
            .map(|(_, name)| *name)
            .collect()
    }
}

const COLUMNS: &str = "id, task_id, unit, every, weekdays, month_day, last_working_day, trigger, \
     next_on, created_by, created_at";

/// A rule as a door hands it in, before checking.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecurrenceInput {
    pub unit: String,
    pub every: i64,
    /// Weeks: one or more of [`WEEKDAYS`].
    pub weekdays: Vec<String>,
    /// Months: 1–31, or none with `last_working_day`.
    pub month_day: Option<i64>,
    pub last_working_day: bool,
    pub trigger: String,
}

/// The checked rule: its schedule and trigger, or `Invalid` naming the first bad field.
pub fn check_input(input: &RecurrenceInput) -> CoreResult<(Schedule, &'static str)> {
    let trigger = TRIGGERS
        .iter()
        .find(|t| **t == input.trigger)
        .ok_or_else(|| CoreError::invalid("trigger", "must be on_done or on_date"))?;
    if !(1..=EVERY_MAX).contains(&input.every) {
        return Err(CoreError::invalid(
            "every",
            format!("must be a whole number from 1 to {EVERY_MAX}"),
        ));
    }
    let every = input.every as u8;
    let pattern = match input.unit.as_str() {
        "days" | "weeks" if input.month_day.is_some() || input.last_working_day => {
            return Err(CoreError::invalid(
                "month_day",
                "only monthly rules fall on a day of the month",
            ))
        }
        "days" if !input.weekdays.is_empty() => {
            return Err(CoreError::invalid(
                "weekdays",
                "only weekly rules fall on weekdays",
            ))
        }
        "days" => Pattern::Days,
        "weeks" => {
            let mut days = 0u8;
            for name in &input.weekdays {
                let index = WEEKDAYS
                    .iter()
                    .position(|w| w.eq_ignore_ascii_case(name.trim()))
                    .ok_or_else(|| {
                        CoreError::invalid("weekdays", "must be among mon, tue, … sun")
                    })?;
                days |= 1 << index;
            }
            if days == 0 {
                return Err(CoreError::invalid(
                    "weekdays",
                    "choose at least one weekday",
                ));
            }
            Pattern::Weeks(days)
        }
        "months" => {
            if !input.weekdays.is_empty() {
                return Err(CoreError::invalid(
                    "weekdays",
                    "only weekly rules fall on weekdays",
                ));
            }
            match (input.month_day, input.last_working_day) {
                (Some(_), true) => {
                    return Err(CoreError::invalid(
                        "month_day",
                        "choose a day of the month or the last working day, not both",
                    ))
                }
                (Some(day), false) if (1..=31).contains(&day) => Pattern::MonthDay(day as u8),
                (Some(_), false) => {
                    return Err(CoreError::invalid("month_day", "must be from 1 to 31"))
                }
                (None, true) => Pattern::LastWorkingDay,
                (None, false) => {
                    return Err(CoreError::invalid(
                        "month_day",
                        "choose a day of the month or the last working day",
                    ))
                }
            }
        }
        _ => return Err(CoreError::invalid("unit", "must be days, weeks or months")),
    };
    Ok((Schedule { every, pattern }, trigger))
}

/// The rule of a task the viewer sees (`NotFound("task")` otherwise), if it has one.
pub async fn get_recurrence(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
) -> CoreResult<Option<RecurrenceRecord>> {
    tasks::get_task(tx, viewer, task_id).await?;
    read_rule(tx, task_id, "").await
}

async fn read_rule(
    tx: &mut TenantTx,
    task_id: Uuid,
    lock: &'static str,
) -> CoreResult<Option<RecurrenceRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM task_recurrences WHERE task_id = $1 {lock}");
    Ok(
        sqlx::query_as::<_, RecurrenceRecord>(sqlx::AssertSqlSafe(sql))
            .bind(task_id)
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// Makes a task the viewer sees and may edit repeat, or replaces its rule. The schedule counts
/// from the task's due date, or from today (Brussels) when it has none: the next occurrence is
/// the first date of the schedule after that.
pub async fn set_recurrence(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    input: &RecurrenceInput,
) -> CoreResult<RecurrenceRecord> {
    let task = tasks::lock_visible(tx, viewer, task_id).await?;
    ensure(
        policy::can_manage_recurrence(viewer.role, &task.facts(viewer)),
        REFUSED,
    )?;
    let (schedule, trigger) = check_input(input)?;
    let from = match task.due_on {
        Some(due) => due,
        None => crate::clock::now_local(tx).await?.date(),
    };
    let next_on = schedule
        .next_after(from)
        .ok_or_else(|| CoreError::invalid("every", "the next date would be past the year 9999"))?;
    let (weekdays, month_day, last_working_day) = stored_pattern(schedule.pattern);
    let sql = format!(
        "INSERT INTO task_recurrences (id, task_id, unit, every, weekdays, month_day,
                                       last_working_day, trigger, next_on, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (task_id) DO UPDATE SET unit = $3, every = $4, weekdays = $5,
                month_day = $6, last_working_day = $7, trigger = $8, next_on = $9
         RETURNING {COLUMNS}"
    );
    Ok(
        sqlx::query_as::<_, RecurrenceRecord>(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::new_v4())
            .bind(task_id)
            .bind(unit_of(schedule.pattern))
            .bind(i16::from(schedule.every))
            .bind(weekdays)
            .bind(month_day)
            .bind(last_working_day)
            .bind(trigger)
            .bind(next_on)
            .bind(viewer.user_id)
            .fetch_one(tx.conn())
            .await?,
    )
}

fn unit_of(pattern: Pattern) -> &'static str {
    match pattern {
        Pattern::Days => "days",
        Pattern::Weeks(_) => "weeks",
        Pattern::MonthDay(_) | Pattern::LastWorkingDay => "months",
    }
}

fn stored_pattern(pattern: Pattern) -> (Option<i16>, Option<i16>, bool) {
    match pattern {
        Pattern::Days => (None, None, false),
        Pattern::Weeks(days) => (Some(i16::from(days)), None, false),
        Pattern::MonthDay(day) => (None, Some(i16::from(day)), false),
        Pattern::LastWorkingDay => (None, None, true),
    }
}

/// Stops a task the viewer sees and may edit from repeating; `NotFound("recurrence")` when it
/// does not.
pub async fn remove_recurrence(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
) -> CoreResult<()> {
    let task = tasks::lock_visible(tx, viewer, task_id).await?;
    ensure(
        policy::can_manage_recurrence(viewer.role, &task.facts(viewer)),
        REFUSED,
    )?;
    let deleted = sqlx::query("DELETE FROM task_recurrences WHERE task_id = $1")
        .bind(task_id)
        .execute(tx.conn())
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(CoreError::NotFound("recurrence"));
    }
    Ok(())
}

/// The occurrence made from a task, if any, and if the viewer sees it: a task page links to
/// "the next one".
pub async fn next_occurrence(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
) -> CoreResult<Option<tasks::TaskRecord>> {
    let next: Option<Uuid> = sqlx::query_scalar("SELECT id FROM tasks WHERE recurred_from = $1")
        .bind(task_id)
        .fetch_optional(tx.conn())
        .await?;
    match next {
        Some(id) => match tasks::get_task(tx, viewer, id).await {
            Ok(task) => Ok(Some(task)),
            Err(CoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        },
        None => Ok(None),
    }
}

/// Called by `tasks::update_task` (the task row locked, the change allowed) when a task moves
/// to done: its `on_done` rule makes the next occurrence now.
pub(crate) async fn task_done(tx: &mut TenantTx, task_id: Uuid) -> CoreResult<()> {
    let Some(rule) = read_rule(tx, task_id, "FOR UPDATE").await? else {
        return Ok(());
    };
    if rule.trigger != "on_done" {
        return Ok(());
    }
    let following = rule.schedule().next_after(rule.next_on);
    make_occurrence(tx, &rule, following).await?;
    Ok(())
}

/// Called by `tasks::update_task` (the task row locked, the change allowed) when a task's due
/// date changes: the rule counts from the new date (or from its old next date when the due date
/// was cleared).
pub(crate) async fn due_date_moved(
    tx: &mut TenantTx,
    task_id: Uuid,
    due_on: Option<Date>,
) -> CoreResult<()> {
    let (Some(due), Some(rule)) = (due_on, read_rule(tx, task_id, "FOR UPDATE").await?) else {
        return Ok(());
    };
    let Some(next_on) = rule.schedule().next_after(due) else {
        return Ok(());
    };
    sqlx::query("UPDATE task_recurrences SET next_on = $2 WHERE id = $1")
        .bind(rule.id)
        .bind(next_on)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Makes the occurrence of `rule` due on `rule.next_on`: a copy of its task (title,
/// description, project, parent, assignee, priority, private flag, tags, viewers; status to
/// do), and moves the rule to it with `following` as its next date (no rule when there is
/// none). The source task must be locked by the caller. Nothing happens when the task already
/// has its occurrence or its project is archived. Returns the new task's id.
async fn make_occurrence(
    tx: &mut TenantTx,
    rule: &RecurrenceRecord,
    following: Option<Date>,
) -> CoreResult<Option<Uuid>> {
    let id = Uuid::new_v4();
    // The counter is only taken when the copy will be made (no occurrence yet, open project),
    // so a refused occurrence leaves no hole in the numbers; the unique index on
    // `recurred_from` is the last word should two transactions get this far at once.
    let made: Option<(Uuid, Option<Uuid>, Uuid)> = sqlx::query_as(
        "WITH src AS (
            SELECT s.* FROM tasks s
             WHERE s.id = $2
               AND NOT EXISTS (SELECT 1 FROM tasks o WHERE o.recurred_from = s.id)
         ), n AS (
            UPDATE projects p SET last_task_number = last_task_number + 1
              FROM src WHERE p.id = src.project_id AND NOT p.archived
            RETURNING p.last_task_number
         )
         INSERT INTO tasks (id, project_id, title, description, status, priority, assignee_id,
                            due_on, private, created_by, number, parent_id, recurred_from)
         SELECT $1, src.project_id, src.title, src.description, 'todo', src.priority,
                src.assignee_id, $3, src.private, src.created_by, n.last_task_number,
                src.parent_id, src.id
           FROM src, n
         ON CONFLICT (recurred_from) WHERE recurred_from IS NOT NULL DO NOTHING
         RETURNING id, assignee_id, created_by",
    )
    .bind(id)
    .bind(rule.task_id)
    .bind(rule.next_on)
    .fetch_optional(tx.conn())
    .await?;
    let Some((id, assignee, creator)) = made else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO task_tags (task_id, tag_id)
         SELECT $1, tag_id FROM task_tags WHERE task_id = $2 ORDER BY tag_id",
    )
    .bind(id)
    .bind(rule.task_id)
    .execute(tx.conn())
    .await?;
    // The same people see a private occurrence as saw the task it repeats.
    sqlx::query(
        "INSERT INTO task_viewers (task_id, user_id)
         SELECT $1, user_id FROM task_viewers WHERE task_id = $2 ORDER BY user_id",
    )
    .bind(id)
    .bind(rule.task_id)
    .execute(tx.conn())
    .await?;
    let mut watchers = vec![creator];
    watchers.extend(assignee);
    watching::auto_watch(tx, id, &watchers).await?;
    // Deleted and made anew rather than re-pointed: the old task's history says its rule ended,
    // the new one's that it repeats.
    sqlx::query("DELETE FROM task_recurrences WHERE id = $1")
        .bind(rule.id)
        .execute(tx.conn())
        .await?;
    if let Some(following) = following {
        sqlx::query(
            "INSERT INTO task_recurrences (id, task_id, unit, every, weekdays, month_day,
                                           last_working_day, trigger, next_on, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(Uuid::new_v4())
        .bind(id)
        .bind(&rule.unit)
        .bind(rule.every)
        .bind(rule.weekdays)
        .bind(rule.month_day)
        .bind(rule.last_working_day)
        .bind(&rule.trigger)
        .bind(following)
        .bind(rule.created_by)
        .execute(tx.conn())
        .await?;
    }
    Ok(Some(id))
}

/// Makes the occurrences of a workspace's `on_date` rules whose date is `today` or earlier (a
/// missed date is caught up once, and the rule continues after `today`), as the system, in one
/// transaction. Idempotent: a rule, once used, has moved on to its new task; rows another
/// process is handling are skipped. Returns how many tasks were made.
pub async fn create_due(pool: &PgPool, workspace: WorkspaceId, today: Date) -> CoreResult<usize> {
    let schema = TenantSchema::for_workspace(workspace);
    let mut tx = TenantTx::begin(pool, &schema, Actor::System).await?;
    // The tasks first, as `update_task` locks them, so the two never wait on each other in
    // opposite orders.
    let due: Vec<Uuid> = sqlx::query_scalar(
        "SELECT t.id FROM tasks t
          WHERE t.id IN (SELECT r.task_id FROM task_recurrences r
                          WHERE r.trigger = 'on_date' AND r.next_on <= $1
                          ORDER BY r.next_on LIMIT $2)
          ORDER BY t.id
          FOR UPDATE OF t SKIP LOCKED",
    )
    .bind(today)
    .bind(SWEEP_BATCH)
    .fetch_all(tx.conn())
    .await?;
    let mut made = 0;
    for task_id in due {
        // Read again under the lock: another pass may have used it meanwhile.
        let Some(rule) = read_rule(&mut tx, task_id, "FOR UPDATE").await? else {
            continue;
        };
        if rule.trigger != "on_date" || rule.next_on > today {
            continue;
        }
        let following = rule.schedule().next_after_skipping(rule.next_on, today);
        if make_occurrence(&mut tx, &rule, following).await?.is_some() {
            made += 1;
        }
    }
    tx.commit().await?;
    Ok(made)
}

/// [`create_due`] for every workspace; one that fails (not migrated yet, say) is logged and the
/// others go on. Returns how many tasks were made.
pub async fn create_due_all(pool: &PgPool, today: Date) -> CoreResult<usize> {
    let ids: Vec<WorkspaceId> = sqlx::query_scalar("SELECT id FROM workspaces ORDER BY id")
        .fetch_all(pool)
        .await?;
    let mut total = 0;
    for id in ids {
        match create_due(pool, id, today).await {
            Ok(n) => total += n,
            Err(e) => tracing::warn!(workspace = %id, error = %e, "recurring tasks failed"),
        }
    }
    Ok(total)
}

/// Today on the Brussels calendar by the database's clock, which is what the sweep goes by.
///
/// Debug builds (the test suites and the browser tests) add `bastion.clock_shift`, an interval
/// a test may set for the serving login (`ALTER ROLE … SET bastion.clock_shift = '30 days'`),
/// so a browser test can move the clock in the database and see the sweep act. A role's setting
/// reaches only new sessions, so this reads it on a connection of its own. Release builds
/// ignore it.
pub async fn brussels_today(pool: &PgPool) -> CoreResult<Date> {
    #[cfg(debug_assertions)]
    {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect_with(&pool.connect_options()).await?;
        let today = sqlx::query_scalar(
            "SELECT ((now() + coalesce(nullif(current_setting('bastion.clock_shift', true), ''),
                                       '0 days')::interval)
                     AT TIME ZONE 'Europe/Brussels')::date",
        )
        .fetch_one(&mut conn)
        .await?;
        conn.close().await?;
        Ok(today)
    }
    #[cfg(not(debug_assertions))]
    {
        Ok(
            sqlx::query_scalar("SELECT (now() AT TIME ZONE 'Europe/Brussels')::date")
                .fetch_one(pool)
                .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn days(every: u8) -> Schedule {
        Schedule {
            every,
            pattern: Pattern::Days,
        }
    }
    fn weeks(every: u8, on: &[usize]) -> Schedule {
        Schedule {
            every,
            pattern: Pattern::Weeks(on.iter().fold(0, |set, d| set | 1 << d)),
        }
    }
    fn month_day(every: u8, day: u8) -> Schedule {
        Schedule {
            every,
            pattern: Pattern::MonthDay(day),
        }
    }
    fn last_working(every: u8) -> Schedule {
        Schedule {
            every,
            pattern: Pattern::LastWorkingDay,
        }
    }

    const MON: usize = 0;
    const TUE: usize = 1;
    const THU: usize = 3;
    const SAT: usize = 5;
    const SUN: usize = 6;

    #[test]
    fn the_next_date_of_each_kind_of_rule() {
        let cases = [
            // Days, over the month and year ends and both summer-time Sundays of 2026
            // (29 March, 25 October): dates, not hours, so no day is lost or doubled.
            (days(1), date!(2026 - 03 - 28), date!(2026 - 03 - 29)),
            (days(1), date!(2026 - 03 - 29), date!(2026 - 03 - 30)),
            (days(1), date!(2026 - 10 - 24), date!(2026 - 10 - 25)),
            (days(1), date!(2026 - 10 - 25), date!(2026 - 10 - 26)),
            (days(7), date!(2026 - 10 - 21), date!(2026 - 10 - 28)),
            (days(3), date!(2026 - 12 - 30), date!(2027 - 01 - 02)),
            (days(1), date!(2028 - 02 - 28), date!(2028 - 02 - 29)),
            // Weeks: a later chosen day of the same week, else the first chosen day N weeks on.
            (
                weeks(1, &[SAT]),
                date!(2026 - 10 - 24),
                date!(2026 - 10 - 31),
            ),
            (
                weeks(1, &[SUN]),
                date!(2026 - 10 - 18),
                date!(2026 - 10 - 25),
            ),
            (
                weeks(1, &[SUN]),
                date!(2026 - 03 - 22),
                date!(2026 - 03 - 29),
            ),
            (
                weeks(1, &[MON, THU]),
                date!(2026 - 12 - 07),
                date!(2026 - 12 - 10),
            ),
            (
                weeks(1, &[MON, THU]),
                date!(2026 - 12 - 10),
                date!(2026 - 12 - 14),
            ),
            (
                weeks(2, &[MON, THU]),
                date!(2026 - 12 - 10),
                date!(2026 - 12 - 21),
            ),
            (
                weeks(2, &[MON, THU]),
                date!(2026 - 12 - 07),
                date!(2026 - 12 - 10),
            ),
            // A start on a day not chosen (Wednesday) goes to the next chosen one.
            (
                weeks(1, &[MON, THU]),
                date!(2026 - 12 - 09),
                date!(2026 - 12 - 10),
            ),
            (
                weeks(3, &[TUE]),
                date!(2026 - 12 - 31),
                date!(2027 - 01 - 19),
            ),
            // Months: across the October change, short months clamp, the schedule keeps its day.
            (
                month_day(1, 25),
                date!(2026 - 10 - 25),
                date!(2026 - 11 - 25),
            ),
            (
                month_day(1, 25),
                date!(2026 - 09 - 25),
                date!(2026 - 10 - 25),
            ),
            (
                month_day(1, 31),
                date!(2026 - 10 - 31),
                date!(2026 - 11 - 30),
            ),
            (
                month_day(1, 31),
                date!(2026 - 11 - 30),
                date!(2026 - 12 - 31),
            ),
            (
                month_day(1, 31),
                date!(2027 - 01 - 31),
                date!(2027 - 02 - 28),
            ),
            (
                month_day(1, 31),
                date!(2028 - 01 - 31),
                date!(2028 - 02 - 29),
            ),
            (
                month_day(1, 30),
                date!(2028 - 02 - 29),
                date!(2028 - 03 - 30),
            ),
            (
                month_day(12, 29),
                date!(2028 - 02 - 29),
                date!(2029 - 02 - 28),
            ),
            (
                month_day(3, 15),
                date!(2026 - 11 - 15),
                date!(2027 - 02 - 15),
            ),
            (
                month_day(1, 1),
                date!(2026 - 12 - 01),
                date!(2027 - 01 - 01),
            ),
            // Last working day: the last Monday to Friday of the month.
            (
                last_working(1),
                date!(2026 - 09 - 30),
                date!(2026 - 10 - 30),
            ),
            (
                last_working(1),
                date!(2026 - 10 - 30),
                date!(2026 - 11 - 30),
            ),
            (
                last_working(1),
                date!(2027 - 01 - 29),
                date!(2027 - 02 - 26),
            ),
            (
                last_working(1),
                date!(2026 - 12 - 31),
                date!(2027 - 01 - 29),
            ),
            (
                last_working(2),
                date!(2026 - 05 - 29),
                date!(2026 - 07 - 31),
            ),
        ];
        for (schedule, from, expected) in cases {
            assert_eq!(
                schedule.next_after(from),
                Some(expected),
                "{schedule:?} after {from}"
            );
        }
    }

    #[test]
    fn no_date_past_the_year_9999() {
        assert_eq!(days(1).next_after(date!(9999 - 12 - 31)), None);
        assert_eq!(month_day(1, 5).next_after(date!(9999 - 12 - 05)), None);
    }

    #[test]
    fn missed_dates_are_skipped_once_caught_up() {
        let weekly = weeks(1, &[MON]);
        assert_eq!(
            weekly.next_after_skipping(date!(2026 - 11 - 02), date!(2026 - 11 - 25)),
            Some(date!(2026 - 11 - 30))
        );
        assert_eq!(
            month_day(1, 25).next_after_skipping(date!(2026 - 10 - 25), date!(2026 - 10 - 26)),
            Some(date!(2026 - 11 - 25))
        );
    }

    #[test]
    fn input_is_checked_field_by_field() {
        let ok = RecurrenceInput {
            unit: "weeks".into(),
            every: 2,
            weekdays: vec!["mon".into(), "THU".into()],
            trigger: "on_done".into(),
            ..Default::default()
        };
        let (schedule, trigger) = check_input(&ok).unwrap();
        assert_eq!(schedule, weeks(2, &[MON, THU]));
        assert_eq!(trigger, "on_done");
        let field = |input: RecurrenceInput| match check_input(&input) {
            Err(CoreError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(RecurrenceInput {
                trigger: "later".into(),
                ..ok.clone()
            }),
            "trigger"
        );
        assert_eq!(
            field(RecurrenceInput {
                every: 0,
                ..ok.clone()
            }),
            "every"
        );
        assert_eq!(
            field(RecurrenceInput {
                every: 100,
                ..ok.clone()
            }),
            "every"
        );
        assert_eq!(
            field(RecurrenceInput {
                unit: "years".into(),
                ..ok.clone()
            }),
            "unit"
        );
        assert_eq!(
            field(RecurrenceInput {
                weekdays: vec![],
                ..ok.clone()
            }),
            "weekdays"
        );
        assert_eq!(
            field(RecurrenceInput {
                weekdays: vec!["fri!".into()],
                ..ok.clone()
            }),
            "weekdays"
        );
        let monthly = RecurrenceInput {
            unit: "months".into(),
            every: 1,
            month_day: Some(31),
            trigger: "on_date".into(),
            ..Default::default()
        };
        assert_eq!(check_input(&monthly).unwrap().0, month_day(1, 31));
        assert_eq!(
            field(RecurrenceInput {
                month_day: Some(32),
                ..monthly.clone()
            }),
            "month_day"
        );
        assert_eq!(
            field(RecurrenceInput {
                month_day: None,
                ..monthly.clone()
            }),
            "month_day"
        );
        assert_eq!(
            field(RecurrenceInput {
                last_working_day: true,
                ..monthly.clone()
            }),
            "month_day"
        );
        assert_eq!(
            check_input(&RecurrenceInput {
                month_day: None,
                last_working_day: true,
                ..monthly
            })
            .unwrap()
            .0,
            last_working(1)
        );
    }
}
