//! The time page's server functions: the report, the entries with the tasks time may be logged
//! on, and logging, changing and deleting an entry. Each opens the workspace, calls the one core
//! action (which decides who may), commits and shapes the answer.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::serve::{self, refusal};
#[cfg(feature = "ssr")]
use super::{EntryRow, ReportLine, TaskOption, ENTRIES_PER_PAGE};
use super::{TimeEntriesView, TimeReportView};
#[cfg(feature = "ssr")]
use crate::money::format_minutes;
use crate::UiError;

/// Totals of the time the caller may see between two Brussels dates (both included; by default
/// the current month up to today), grouped by `project`, `person`, `week` or `day`.
#[server(prefix = "/api/fn", endpoint = "time_report")]
pub async fn load_time_report(
    slug: String,
    group: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<TimeReportView, UiError> {
    use bastion_core::time_entries::{self, ReportGroup, TimeFilter};
    use serve::{date_text, parse_date, present};

    let ctx = crate::server::context()?;
    let mut o = crate::server::open(&slug).await?;
    // Guests are refused before their parameters are read.
    time_entries::check_tracks_time(o.viewer)?;
    let unread = bastion_core::work::notifications::unread_count(&mut o.tx, &o.viewer).await?;
    let group = present(group).unwrap_or_else(|| "project".into());
    let grouping = ReportGroup::parse(&group).map_err(refusal)?;
    // Dates the report cannot use (malformed, or From after To) are answered inside the page,
    // beside the form that holds them as typed, instead of replacing the page.
    let (from_typed, to_typed) = (
        from.clone().unwrap_or_default(),
        to.clone().unwrap_or_default(),
    );
    let (mut from, mut to) = match (parse_date("from", from), parse_date("to", to)) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => {
            return Ok(report_refused(o, unread, group, from_typed, to_typed, e));
        }
    };
    if from.is_none() && to.is_none() {
        let today = bastion_core::clock::now_local(&mut o.tx).await?.date();
        from = today.replace_day(1).ok();
        to = Some(today);
    }
    let filter = TimeFilter {
        from,
        to,
        ..Default::default()
    };
    let rows = match time_entries::report(&mut o.tx, o.viewer, grouping, &filter).await {
        Ok(rows) => rows,
        Err(e @ bastion_core::CoreError::Invalid { .. }) => {
            return Ok(report_refused(
                o,
                unread,
                group,
                from_typed,
                to_typed,
                refusal(e),
            ));
        }
        Err(e) => return Err(refusal(e)),
    };
    o.tx.commit().await?;
    let people = if grouping == ReportGroup::Person {
        let ids: Vec<uuid::Uuid> = rows.iter().filter_map(|r| r.key.parse().ok()).collect();
        bastion_core::accounts::names_of(&ctx.pool, &ids).await?
    } else {
        Default::default()
    };
    let t = crate::use_t();
    let mut lines: Vec<ReportLine> = rows
        .into_iter()
        .map(|r| {
            let label = match grouping {
                ReportGroup::Project => r.label.clone().unwrap_or_else(|| r.key.clone()),
                ReportGroup::Person => r
                    .key
                    .parse()
                    .ok()
                    .and_then(|id| people.get(&id).cloned())
                    .unwrap_or_else(|| t.former_member().into()),
                // The ISO week (`2026-W14`) and the Monday it starts on.
                ReportGroup::Week => match &r.label {
                    Some(monday) => t.week_label(&r.key, crate::i18n::format_iso_date(t.0, monday)),
                    None => r.key.clone(),
                },
                ReportGroup::Day => crate::i18n::format_iso_date(t.0, &r.key),
            };
            ReportLine {
                key: r.key,
                label,
                entries: r.entries,
                minutes: r.minutes,
                billable_minutes: r.billable_minutes,
                amount_cents: r.amount_cents,
            }
        })
        .collect();
    // Weeks and days read in date order (their keys); projects and people by name.
    if matches!(grouping, ReportGroup::Project | ReportGroup::Person) {
        lines.sort_by_key(|line| line.label.to_lowercase());
    }
    Ok(TimeReportView {
        workspace_name: o.workspace.name,
        my_role: o.viewer.role,
        unread,
        locale: o.user.locale,
        group,
        from: date_text(from),
        to: date_text(to),
        total_minutes: lines.iter().map(|l| l.minutes).sum(),
        total_amount_cents: lines.iter().map(|l| l.amount_cents).sum(),
        lines,
        error: None,
    })
}

/// The report page with no figures and the reason its dates were refused.
#[cfg(feature = "ssr")]
fn report_refused(
    o: crate::server::Opened,
    unread: i64,
    group: String,
    from: String,
    to: String,
    error: UiError,
) -> TimeReportView {
    // Making the error set the answer's status; the page itself is a good answer.
    crate::server::set_status(http::StatusCode::OK);
    TimeReportView {
        workspace_name: o.workspace.name,
        my_role: o.viewer.role,
        unread,
        locale: o.user.locale,
        group,
        from,
        to,
        lines: Vec::new(),
        total_minutes: 0,
        total_amount_cents: 0,
        error: Some(error.to_string()),
    }
}

/// A list position in the REST API's cursor format: the last entry's start and id.
#[cfg(feature = "ssr")]
fn entry_cursor(entry: &bastion_core::time_entries::TimeEntry) -> String {
    use time::format_description::well_known::Rfc3339;
    let at = entry.started_at.format(&Rfc3339).unwrap_or_default();
    bastion_core::work::cursor::encode(&(at, entry.id))
}

#[cfg(feature = "ssr")]
fn parse_entry_cursor(cursor: &str) -> Option<(time::OffsetDateTime, uuid::Uuid)> {
    use time::format_description::well_known::Rfc3339;
    let (at, id): (String, uuid::Uuid) = bastion_core::work::cursor::decode(cursor)?;
    Some((time::OffsetDateTime::parse(&at, &Rfc3339).ok()?, id))
}

/// The entries the caller may see, newest first (admins: everyone's unless `mine`), a page at a
/// time, with the tasks they may log time on.
#[server(prefix = "/api/fn", endpoint = "time_entries")]
pub async fn load_time_entries(
    slug: String,
    mine: Option<String>,
    after: Option<String>,
) -> Result<TimeEntriesView, UiError> {
    use std::collections::HashMap;

    use bastion_core::{
        clock,
        time_entries::{self, TimeFilter},
        work,
    };
    use serve::{present, wall_time, wall_time_input};

    use crate::policy::Role;

    let ctx = crate::server::context()?;
    let mut o = crate::server::open(&slug).await?;
    let (user, viewer) = (o.user, o.viewer);
    time_entries::check_tracks_time(viewer)?;
    let mine_only = viewer.role != Role::Admin || present(mine).is_some();
    let after = match present(after) {
        None => None,
        Some(cursor) => Some(
            parse_entry_cursor(&cursor)
                .ok_or_else(|| serve::invalid("cursor", "is not from a previous page"))?,
        ),
    };
    let filter = TimeFilter {
        user_id: mine_only.then_some(user.id),
        ..Default::default()
    };
    let mut rows = time_entries::list(&mut o.tx, viewer, &filter, after, ENTRIES_PER_PAGE + 1)
        .await
        .map_err(refusal)?;
    let next_cursor = (rows.len() > ENTRIES_PER_PAGE as usize).then(|| {
        rows.truncate(ENTRIES_PER_PAGE as usize);
        rows.last().map(entry_cursor).unwrap_or_default()
    });

    let projects: HashMap<uuid::Uuid, String> =
        work::projects::list_projects(&mut o.tx, &viewer, false, None, 500)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
    let visible = work::tasks::list_tasks(
        &mut o.tx,
        &viewer,
        &work::tasks::TaskFilter::default(),
        None,
        500,
    )
    .await?;
    let mut titles: HashMap<uuid::Uuid, String> =
        visible.iter().map(|t| (t.id, t.title.clone())).collect();
    // Entries on tasks beyond the picker's first 500 still need their titles.
    for entry in &rows {
        if !titles.contains_key(&entry.task_id) {
            if let Ok(task) = work::tasks::get_task(&mut o.tx, &viewer, entry.task_id).await {
                titles.insert(task.id, task.title);
            }
        }
    }
    let mut tasks: Vec<TaskOption> = visible
        .into_iter()
        .filter(|t| projects.contains_key(&t.project_id))
        .map(|t| TaskOption {
            id: t.id.to_string(),
            project: projects.get(&t.project_id).cloned().unwrap_or_default(),
            title: t.title,
        })
        .collect();
    tasks.sort_by(|a, b| (&a.project, &a.title).cmp(&(&b.project, &b.title)));

    let starts: Vec<time::OffsetDateTime> = rows.iter().map(|e| e.started_at).collect();
    let local = clock::local_times(&mut o.tx, &starts).await?;
    let now = clock::now_local(&mut o.tx).await?;
    o.tx.commit().await?;

    let people: Vec<uuid::Uuid> = rows.iter().map(|e| e.user_id).collect();
    let names = bastion_core::accounts::names_of(&ctx.pool, &people).await?;
    let items = rows
        .into_iter()
        .zip(local)
        .map(|(e, at)| EntryRow {
            id: e.id.to_string(),
            task_title: titles.get(&e.task_id).cloned().unwrap_or_default(),
            person: names.get(&e.user_id).cloned().unwrap_or_default(),
            own: e.user_id == user.id,
            started: wall_time(at),
            started_input: wall_time_input(at),
            minutes: e.minutes,
            billable: e.billable,
            rate_cents: e.rate_cents,
            amount_cents: if e.billable {
                time_entries::amount_cents(e.minutes, e.rate_cents)
            } else {
                0
            },
            note: e.note,
        })
        .collect();
    Ok(TimeEntriesView {
        my_role: viewer.role,
        locale: user.locale,
        items,
        next_cursor,
        tasks,
        now_input: wall_time_input(now),
        mine_only,
    })
}

/// Records the caller's time on a task they can see. The start is Brussels wall time, the rate
/// euros typed as a decimal; the server turns it into whole cents.
#[server(prefix = "/api/fn", endpoint = "log_time")]
pub async fn log_time(
    slug: String,
    task_id: String,
    started: String,
    minutes: String,
    billable: Option<String>,
    rate: String,
    note: Option<String>,
) -> Result<String, UiError> {
    use bastion_core::time_entries::{self, NewTimeEntry};

    let mut o = crate::server::open(&slug).await?;
    time_entries::check_tracks_time(o.viewer)?;
    if task_id.trim().is_empty() {
        return Err(serve::invalid("task", "must be chosen"));
    }
    let task_id: uuid::Uuid = task_id
        .trim()
        .parse()
        .map_err(|_| refusal(bastion_core::CoreError::NotFound("task")))?;
    let (started_at, minutes, billable, rate_cents) =
        serve::read_entry_form(&mut o.tx, &started, &minutes, billable, &rate).await?;
    let new = NewTimeEntry {
        task_id,
        user_id: o.viewer.user_id,
        started_at,
        minutes,
        billable,
        rate_cents,
        note: note.unwrap_or_default().trim().to_owned(),
    };
    let entry = time_entries::create(&mut o.tx, o.viewer, &new)
        .await
        .map_err(refusal)?;
    o.tx.commit().await?;
    Ok(crate::use_t().time_logged(format_minutes(i64::from(entry.minutes))))
}

/// Changes an entry: admins any, members their own (someone else's is not found for them).
#[server(prefix = "/api/fn", endpoint = "change_time_entry")]
pub async fn change_time_entry(
    slug: String,
    id: String,
    started: String,
    minutes: String,
    billable: Option<String>,
    rate: String,
    note: Option<String>,
) -> Result<(), UiError> {
    use bastion_core::{time_entries, time_entries::TimeEntryChange, CoreError};

    let mut o = crate::server::open(&slug).await?;
    time_entries::check_tracks_time(o.viewer)?;
    let id: uuid::Uuid = id
        .parse()
        .map_err(|_| refusal(CoreError::NotFound("time entry")))?;
    let (started_at, minutes, billable, rate_cents) =
        serve::read_entry_form(&mut o.tx, &started, &minutes, billable, &rate).await?;
    let change = TimeEntryChange {
        started_at: Some(started_at),
        minutes: Some(minutes),
        billable: Some(billable),
        rate_cents: Some(rate_cents),
        note: Some(note.unwrap_or_default().trim().to_owned()),
    };
    time_entries::update(&mut o.tx, o.viewer, id, &change)
        .await
        .map_err(refusal)?;
    Ok(o.tx.commit().await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_time_entry")]
pub async fn delete_time_entry(slug: String, id: String) -> Result<(), UiError> {
    use bastion_core::{time_entries, CoreError};

    let mut o = crate::server::open(&slug).await?;
    time_entries::check_tracks_time(o.viewer)?;
    let id: uuid::Uuid = id
        .parse()
        .map_err(|_| refusal(CoreError::NotFound("time entry")))?;
    time_entries::delete(&mut o.tx, o.viewer, id)
        .await
        .map_err(refusal)?;
    Ok(o.tx.commit().await?)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn entry_cursors_are_the_rest_format_and_garbage_is_none() {
        let entry = bastion_core::time_entries::TimeEntry {
            id: uuid::Uuid::new_v4(),
            task_id: uuid::Uuid::nil(),
            user_id: uuid::Uuid::nil(),
            started_at: time::macros::datetime!(2026-03-30 07:30:00.123456 UTC),
            minutes: 1,
            billable: false,
            rate_cents: 0,
            note: String::new(),
            created_at: time::macros::datetime!(2026-03-30 07:30 UTC),
        };
        let cursor = entry_cursor(&entry);
        assert_eq!(
            parse_entry_cursor(&cursor),
            Some((entry.started_at, entry.id))
        );
        assert_eq!(parse_entry_cursor("nope"), None);
        assert_eq!(parse_entry_cursor("12_not-a-uuid"), None);
    }
}
