//! The time page of a workspace (`/w/:slug/time`): a report over Brussels dates, grouped by
//! project, person, week or day, as a table and a bar chart; the entries the caller may see, with
//! edit and delete; and a form to log time. Admins see everyone's time, members their own, guests
//! none — the same `policy` functions and core queries as the REST API.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{Form, A},
    hooks::{use_params_map, use_query_map},
};
use serde::{Deserialize, Serialize};

use crate::account::human as message;
use crate::money::{cents_as_decimal, format_eur, format_minutes};
use crate::policy::{self, Role};

/// Entries per page of the list.
pub const ENTRIES_PER_PAGE: u32 = 20;

/// One line of the report, labelled for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportLine {
    pub key: String,
    pub label: String,
    pub entries: i64,
    pub minutes: i64,
    pub billable_minutes: i64,
    pub amount_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeReportView {
    pub workspace_name: String,
    pub my_role: Role,
    pub locale: String,
    /// `project`, `person`, `week` or `day`.
    pub group: String,
    /// The Brussels dates the report covers, `YYYY-MM-DD` (empty: open-ended).
    pub from: String,
    pub to: String,
    pub lines: Vec<ReportLine>,
    pub total_minutes: i64,
    pub total_amount_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryRow {
    pub id: String,
    pub task_title: String,
    pub person: String,
    /// The entry is the caller's own.
    pub own: bool,
    /// Brussels wall time, `2026-03-30 09:30`.
    pub started: String,
    /// The same, as a `datetime-local` input wants it.
    pub started_input: String,
    pub minutes: i32,
    pub billable: bool,
    pub rate_cents: i64,
    pub amount_cents: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskOption {
    pub id: String,
    pub title: String,
    pub project: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeEntriesView {
    pub my_role: Role,
    pub locale: String,
    pub items: Vec<EntryRow>,
    pub next_cursor: Option<String>,
    /// The tasks the caller may log time on.
    pub tasks: Vec<TaskOption>,
    /// Brussels wall time now, as a `datetime-local` value: the form's default start.
    pub now_input: String,
    pub mine_only: bool,
}

#[cfg(feature = "ssr")]
pub(crate) mod serve {
    //! What the server functions of both pages share: opening the workspace for a caller who may
    //! track time, and turning core refusals into sentences that name the field.

    use bastion_core::CoreError;
    use leptos::prelude::ServerFnError;

    use crate::server::{internal, set_status};

    pub fn unprocessable(text: impl Into<String>) -> ServerFnError {
        set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
        ServerFnError::new(text.into())
    }

    pub fn forbidden(text: &str) -> ServerFnError {
        set_status(http::StatusCode::FORBIDDEN);
        ServerFnError::new(text)
    }

    pub fn not_found(what: &str) -> ServerFnError {
        set_status(http::StatusCode::NOT_FOUND);
        ServerFnError::new(format!("No such {what}."))
    }

    /// The person-facing name of a field the core names.
    fn field_label(field: &str) -> &str {
        match field {
            "minutes" => "The duration",
            "rate_cents" | "rate" => "The rate",
            "started_at" | "started" => "The start",
            "note" => "The note",
            "from" => "The first date",
            "to" => "The last date",
            "group" => "The grouping",
            "entity" => "The entity type",
            "actor" => "The actor",
            "cursor" => "The page position",
            "task" | "task_id" => "The task",
            other => other,
        }
    }

    pub fn refuse(err: CoreError) -> ServerFnError {
        match err {
            CoreError::NotFound(what) => not_found(what),
            CoreError::Invalid { field, message } => {
                unprocessable(format!("{} {message}.", field_label(field)))
            }
            other => internal(other),
        }
    }

    pub fn invalid(field: &'static str, message: &str) -> ServerFnError {
        refuse(CoreError::invalid(field, message.to_owned()))
    }

    /// An optional form value: empty means absent.
    pub fn present(value: Option<String>) -> Option<String> {
        value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    pub fn parse_date(
        field: &'static str,
        value: Option<String>,
    ) -> Result<Option<time::Date>, ServerFnError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        present(value)
            .map(|v| {
                time::Date::parse(&v, &format)
                    .map_err(|_| invalid(field, "must be a date like 2026-03-30"))
            })
            .transpose()
    }

    pub fn date_text(date: Option<time::Date>) -> String {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        date.and_then(|d| d.format(&format).ok())
            .unwrap_or_default()
    }

    pub fn wall_time(at: time::PrimitiveDateTime) -> String {
        let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
        at.format(&format).unwrap_or_default()
    }

    pub fn wall_time_input(at: time::PrimitiveDateTime) -> String {
        let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        at.format(&format).unwrap_or_default()
    }
}

/// A duration typed as whole minutes (`90`) or hours and minutes (`1:30`).
#[cfg(feature = "ssr")]
pub fn parse_minutes(input: &str) -> Option<i32> {
    let text = input.trim();
    let number = |s: &str| {
        (!s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    match text.split_once(':') {
        Some((hours, minutes)) if minutes.len() == 2 => {
            let (h, m) = (number(hours)?, number(minutes)?);
            (m < 60).then_some(h * 60 + m)
        }
        Some(_) => None,
        None => number(text),
    }
}

/// A Brussels wall time from a `datetime-local` input (`2026-03-30T09:30`, seconds optional).
#[cfg(feature = "ssr")]
fn parse_wall_time(input: &str) -> Option<time::PrimitiveDateTime> {
    let text = input.trim();
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, &minutes)
        .or_else(|_| time::PrimitiveDateTime::parse(text, &seconds))
        .ok()
}

#[cfg(feature = "ssr")]
async fn open_for_time(
    slug: &str,
) -> Result<
    (
        bastion_core::accounts::User,
        bastion_core::workspaces::Workspace,
        Role,
        bastion_core::TenantTx,
    ),
    ServerFnError,
> {
    let (user, workspace, role, tx) = crate::server::open_workspace(slug).await?;
    if !policy::can_track_time(role) {
        return Err(serve::forbidden("Guests do not track time."));
    }
    Ok((user, workspace, role, tx))
}

/// Totals of the time the caller may see between two Brussels dates (both included; by default
/// the current month up to today), grouped by `project`, `person`, `week` or `day`.
#[server(prefix = "/api/fn", endpoint = "time_report")]
pub async fn load_time_report(
    slug: String,
    group: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<TimeReportView, ServerFnError> {
    use bastion_core::time_entries::{self, ReportGroup, TimeFilter};
    use serve::{date_text, parse_date, present, refuse};

    use crate::server::{context, internal};
    let ctx = context()?;
    let (user, workspace, role, mut tx) = open_for_time(&slug).await?;
    let group = present(group).unwrap_or_else(|| "project".into());
    let grouping = ReportGroup::parse(&group).map_err(refuse)?;
    let (mut from, mut to) = (parse_date("from", from)?, parse_date("to", to)?);
    if from.is_none() && to.is_none() {
        let today = bastion_core::clock::now_local(&mut tx)
            .await
            .map_err(internal)?
            .date();
        from = today.replace_day(1).ok();
        to = Some(today);
    }
    let filter = TimeFilter {
        from,
        to,
        ..Default::default()
    };
    let viewer = bastion_core::Viewer {
        user_id: user.id,
        role,
    };
    let rows = time_entries::report(&mut tx, viewer, grouping, &filter)
        .await
        .map_err(refuse)?;
    tx.commit().await.map_err(internal)?;
    let people = if grouping == ReportGroup::Person {
        let ids: Vec<uuid::Uuid> = rows.iter().filter_map(|r| r.key.parse().ok()).collect();
        bastion_core::accounts::names_of(&ctx.pool, &ids)
            .await
            .map_err(internal)?
    } else {
        Default::default()
    };
    let lines: Vec<ReportLine> = rows
        .into_iter()
        .map(|r| {
            let label = match grouping {
                ReportGroup::Project => r.label.clone().unwrap_or_else(|| r.key.clone()),
                ReportGroup::Person => r
                    .key
                    .parse()
                    .ok()
                    .and_then(|id| people.get(&id).cloned())
                    .unwrap_or_else(|| "Former member".into()),
                ReportGroup::Week => match &r.label {
                    Some(monday) => format!("{} (from {monday})", r.key),
                    None => r.key.clone(),
                },
                ReportGroup::Day => r.key.clone(),
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
    let mut lines = lines;
    if matches!(grouping, ReportGroup::Project | ReportGroup::Person) {
        lines.sort_by_key(|line| line.label.to_lowercase());
    }
    Ok(TimeReportView {
        workspace_name: workspace.name,
        my_role: role,
        locale: user.locale,
        group,
        from: date_text(from),
        to: date_text(to),
        total_minutes: lines.iter().map(|l| l.minutes).sum(),
        total_amount_cents: lines.iter().map(|l| l.amount_cents).sum(),
        lines,
    })
}

/// The entries the caller may see, newest first (admins: everyone's unless `mine`), a page at a
/// time, with the tasks they may log time on.
#[server(prefix = "/api/fn", endpoint = "time_entries")]
pub async fn load_time_entries(
    slug: String,
    mine: Option<String>,
    after: Option<String>,
) -> Result<TimeEntriesView, ServerFnError> {
    use std::collections::HashMap;

    use bastion_core::{
        clock,
        time_entries::{self, TimeFilter},
        work,
    };
    use serve::{present, refuse, wall_time, wall_time_input};

    use crate::server::{context, internal};
    let ctx = context()?;
    let (user, _, role, mut tx) = open_for_time(&slug).await?;
    let mine_only = role != Role::Admin || present(mine).is_some();
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
    let viewer = bastion_core::Viewer {
        user_id: user.id,
        role,
    };
    let mut rows = time_entries::list(&mut tx, viewer, &filter, after, ENTRIES_PER_PAGE + 1)
        .await
        .map_err(refuse)?;
    let next_cursor = (rows.len() > ENTRIES_PER_PAGE as usize).then(|| {
        rows.truncate(ENTRIES_PER_PAGE as usize);
        rows.last().map(entry_cursor).unwrap_or_default()
    });

    let work_viewer = work::Viewer::new(user.id, role);
    let projects: HashMap<uuid::Uuid, String> =
        work::projects::list_projects(&mut tx, &work_viewer, false, None, 500)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
    let visible = work::tasks::list_tasks(
        &mut tx,
        &work_viewer,
        &work::tasks::TaskFilter::default(),
        None,
        500,
    )
    .await
    .map_err(internal)?;
    let mut titles: HashMap<uuid::Uuid, String> =
        visible.iter().map(|t| (t.id, t.title.clone())).collect();
    // Entries on tasks beyond the picker's first 500 still need their titles.
    for entry in &rows {
        if !titles.contains_key(&entry.task_id) {
            if let Ok(task) = work::tasks::get_task(&mut tx, &work_viewer, entry.task_id).await {
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
    let local = clock::local_times(&mut tx, &starts)
        .await
        .map_err(internal)?;
    let now = clock::now_local(&mut tx).await.map_err(internal)?;
    tx.commit().await.map_err(internal)?;

    let people: Vec<uuid::Uuid> = rows.iter().map(|e| e.user_id).collect();
    let names = bastion_core::accounts::names_of(&ctx.pool, &people)
        .await
        .map_err(internal)?;
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
        my_role: role,
        locale: user.locale,
        items,
        next_cursor,
        tasks,
        now_input: wall_time_input(now),
        mine_only,
    })
}

/// A list position: the last entry's start (Unix nanoseconds, so no `+` or `:` needs escaping in
/// a link) and id.
#[cfg(feature = "ssr")]
fn entry_cursor(entry: &bastion_core::time_entries::TimeEntry) -> String {
    format!("{}_{}", entry.started_at.unix_timestamp_nanos(), entry.id)
}

#[cfg(feature = "ssr")]
fn parse_entry_cursor(cursor: &str) -> Option<(time::OffsetDateTime, uuid::Uuid)> {
    let (nanos, id) = cursor.split_once('_')?;
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
    Some((at, id.parse().ok()?))
}

/// What a log or edit form sent, checked and converted: the start as an instant, minutes,
/// billable, the rate in whole cents and the note.
#[cfg(feature = "ssr")]
async fn read_entry_form(
    tx: &mut bastion_core::TenantTx,
    started: &str,
    minutes: &str,
    billable: Option<String>,
    rate: &str,
) -> Result<(time::OffsetDateTime, i32, bool, i64), ServerFnError> {
    let local = parse_wall_time(started).ok_or_else(|| {
        serve::invalid("started", "must be a date and time like 2026-03-30T09:30")
    })?;
    let minutes = parse_minutes(minutes).ok_or_else(|| {
        serve::invalid(
            "minutes",
            "must be whole minutes like 90, or hours like 1:30",
        )
    })?;
    let rate_cents = if rate.trim().is_empty() {
        0
    } else {
        crate::money::parse_eur_cents(rate).map_err(|why| serve::invalid("rate", why))?
    };
    let at = bastion_core::clock::instant_of(tx, local)
        .await
        .map_err(crate::server::internal)?;
    Ok((at, minutes, billable.is_some(), rate_cents))
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
) -> Result<String, ServerFnError> {
    use bastion_core::time_entries::{self, NewTimeEntry};

    use crate::server::internal;
    let (user, _, role, mut tx) = open_for_time(&slug).await?;
    if task_id.trim().is_empty() {
        return Err(serve::invalid("task", "must be chosen"));
    }
    let task_id: uuid::Uuid = task_id
        .trim()
        .parse()
        .map_err(|_| serve::not_found("task"))?;
    let (started_at, minutes, billable, rate_cents) =
        read_entry_form(&mut tx, &started, &minutes, billable, &rate).await?;
    let viewer = bastion_core::Viewer {
        user_id: user.id,
        role,
    };
    let entry = time_entries::create(
        &mut tx,
        viewer,
        &NewTimeEntry {
            task_id,
            user_id: user.id,
            started_at,
            minutes,
            billable,
            rate_cents,
            note: note.unwrap_or_default().trim().to_owned(),
        },
    )
    .await
    .map_err(serve::refuse)?;
    tx.commit().await.map_err(internal)?;
    Ok(format!(
        "Logged {} hours.",
        format_minutes(i64::from(entry.minutes))
    ))
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
) -> Result<(), ServerFnError> {
    use bastion_core::time_entries::{self, TimeEntryChange};

    use crate::server::internal;
    let (user, _, role, mut tx) = open_for_time(&slug).await?;
    let id: uuid::Uuid = id.parse().map_err(|_| serve::not_found("time entry"))?;
    let viewer = bastion_core::Viewer {
        user_id: user.id,
        role,
    };
    let current = time_entries::get(&mut tx, viewer, id)
        .await
        .map_err(serve::refuse)?;
    if !policy::can_change_time_entry(role, current.user_id == user.id) {
        return Err(serve::forbidden("Members change their own time only."));
    }
    let (started_at, minutes, billable, rate_cents) =
        read_entry_form(&mut tx, &started, &minutes, billable, &rate).await?;
    let change = TimeEntryChange {
        started_at: Some(started_at),
        minutes: Some(minutes),
        billable: Some(billable),
        rate_cents: Some(rate_cents),
        note: Some(note.unwrap_or_default().trim().to_owned()),
    };
    time_entries::update(&mut tx, viewer, id, &change)
        .await
        .map_err(serve::refuse)?;
    tx.commit().await.map_err(internal)
}

#[server(prefix = "/api/fn", endpoint = "delete_time_entry")]
pub async fn delete_time_entry(slug: String, id: String) -> Result<(), ServerFnError> {
    use bastion_core::time_entries;

    use crate::server::internal;
    let (user, _, role, mut tx) = open_for_time(&slug).await?;
    let id: uuid::Uuid = id.parse().map_err(|_| serve::not_found("time entry"))?;
    let viewer = bastion_core::Viewer {
        user_id: user.id,
        role,
    };
    let current = time_entries::get(&mut tx, viewer, id)
        .await
        .map_err(serve::refuse)?;
    if !policy::can_change_time_entry(role, current.user_id == user.id) {
        return Err(serve::forbidden("Members delete their own time only."));
    }
    time_entries::delete(&mut tx, viewer, id)
        .await
        .map_err(serve::refuse)?;
    tx.commit().await.map_err(internal)
}

/// Links between a workspace's pages, the current one marked for assistive technology.
#[component]
pub(crate) fn WorkspaceNav(slug: String, role: Role, current: &'static str) -> impl IntoView {
    let mut links = vec![("members", "Members")];
    if policy::can_track_time(role) {
        links.push(("time", "Time"));
    }
    if policy::can_read_audit(role) {
        links.push(("audit", "Audit"));
    }
    view! {
        <nav class="page-nav" aria-label="Workspace">
            {links.into_iter().map(|(path, label)| {
                let href = format!("/w/{slug}/{path}");
                if path == current {
                    view! { <a href=href aria-current="page">{label}</a> }.into_any()
                } else {
                    view! { <a href=href>{label}</a> }.into_any()
                }
            }).collect_view()}
        </nav>
    }
}

const GROUPS: [(&str, &str); 4] = [
    ("project", "Project"),
    ("person", "Person"),
    ("week", "Week"),
    ("day", "Day"),
];

#[component]
pub fn TimePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let log = ServerAction::<LogTime>::new();
    let change = ServerAction::<ChangeTimeEntry>::new();
    let delete = ServerAction::<DeleteTimeEntry>::new();
    // Lists reload after a change that worked; a refused one keeps the form as typed.
    let refresh = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(log.value().get(), Some(Ok(_))) {
            refresh.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if matches!(change.value().get(), Some(Ok(_))) {
            refresh.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(_))) {
            refresh.update(|n| *n += 1);
        }
    });
    let report = Resource::new(
        move || {
            (
                slug(),
                param("group"),
                param("from"),
                param("to"),
                refresh.get(),
            )
        },
        |(slug, group, from, to, _)| load_time_report(slug, group, from, to),
    );
    let entries = Resource::new(
        move || (slug(), param("mine"), param("after"), refresh.get()),
        |(slug, mine, after, _)| load_time_entries(slug, mine, after),
    );

    view! {
        <Title text="Time — Bastion"/>
        <Suspense fallback=|| view! { <p>"Loading time…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Err(e) => view! {
                        <section class="card narrow">
                            <h1>"Time"</h1>
                            <p class="form-error" role="alert">{message(&e)}</p>
                        </section>
                    }.into_any(),
                    Ok(view) => {
                        let slug = slug();
                        let scope = if view.my_role == Role::Admin {
                            "Everyone's time in this workspace."
                        } else {
                            "Your own time in this workspace."
                        };
                        view! {
                            <header class="page-header">
                                <h1>"Time in " {view.workspace_name.clone()}</h1>
                                <WorkspaceNav slug=slug.clone() role=view.my_role current="time"/>
                                <p class="muted">{scope}</p>
                            </header>
                            <ReportCard slug=slug.clone() view=view/>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match entries.await {
                    // The report above already said why.
                    Err(_) => ().into_any(),
                    Ok(view) => {
                        let slug = slug();
                        view! {
                            <LogTimeCard slug=slug.clone() view=view.clone() action=log/>
                            <EntriesCard slug=slug view=view change=change delete=delete/>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ReportCard(slug: String, view: TimeReportView) -> impl IntoView {
    let locale = view.locale.clone();
    let group_name = GROUPS
        .iter()
        .find(|(key, _)| *key == view.group)
        .map(|(_, label)| *label)
        .unwrap_or("Project");
    let range = match (view.from.as_str(), view.to.as_str()) {
        ("", "") => "all dates".to_owned(),
        (from, "") => format!("{from} onwards"),
        ("", to) => format!("up to {to}"),
        (from, to) => format!("{from} to {to}"),
    };
    let caption = format!("Hours per {} — {range}", group_name.to_lowercase());
    let bars: Vec<(String, i64, String)> = view
        .lines
        .iter()
        .map(|l| {
            (
                l.label.clone(),
                l.minutes,
                format!(
                    "{} h · {}",
                    format_minutes(l.minutes),
                    format_eur(l.amount_cents, &locale)
                ),
            )
        })
        .collect();
    let empty = view.lines.is_empty();
    view! {
        <section class="card" aria-labelledby="report-title">
            <h2 id="report-title">"Report"</h2>
            <Form method="get" action=format!("/w/{slug}/time") attr:class="form inline-fields filters">
                <div class="field">
                    <label for="report-group">"Group by"</label>
                    <select id="report-group" name="group">
                        {GROUPS.into_iter().map(|(key, label)| view! {
                            <option value=key selected=key == view.group>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="report-from">"From (Brussels date)"</label>
                    <input id="report-from" name="from" type="date" value=view.from.clone()/>
                </div>
                <div class="field">
                    <label for="report-to">"To (Brussels date)"</label>
                    <input id="report-to" name="to" type="date" value=view.to.clone()/>
                </div>
                <button type="submit" class="button">"Show report"</button>
            </Form>
            {if empty {
                view! {
                    <p class="empty-note">"No time recorded for " {range.clone()} ". Log time below, or choose other dates."</p>
                }.into_any()
            } else {
                view! {
                    <BarChart caption=caption.clone() bars=bars/>
                    <div class="table-scroll">
                        <table class="table report-table">
                            <caption class="visually-hidden">{caption.clone()}</caption>
                            <thead><tr>
                                <th scope="col">{group_name}</th>
                                <th scope="col" class="num optional">"Entries"</th>
                                <th scope="col" class="num">"Hours"</th>
                                <th scope="col" class="num">"Billable hours"</th>
                                <th scope="col" class="num">"Amount"</th>
                            </tr></thead>
                            <tbody>
                                {view.lines.iter().map(|l| view! {
                                    <tr>
                                        <th scope="row">{l.label.clone()}</th>
                                        <td class="num optional">{l.entries}</td>
                                        <td class="num">{format_minutes(l.minutes)}</td>
                                        <td class="num">{format_minutes(l.billable_minutes)}</td>
                                        <td class="num">{format_eur(l.amount_cents, &locale)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                            <tfoot><tr>
                                <th scope="row">"Total"</th>
                                <td class="num optional">{view.lines.iter().map(|l| l.entries).sum::<i64>()}</td>
                                <td class="num">{format_minutes(view.total_minutes)}</td>
                                <td class="num">{format_minutes(view.lines.iter().map(|l| l.billable_minutes).sum())}</td>
                                <td class="num">{format_eur(view.total_amount_cents, &locale)}</td>
                            </tr></tfoot>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// Horizontal bars drawn on the server as SVG: no chart script, and the table beside it carries
/// the same numbers for screen readers. Bar widths are percentages of the widest, so the chart
/// follows the page width while its text keeps its size.
#[component]
fn BarChart(caption: String, bars: Vec<(String, i64, String)>) -> impl IntoView {
    const ROW: usize = 50;
    let widest = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let height = (bars.len() * ROW).to_string();
    view! {
        <figure class="chart">
            <svg class="bar-chart" role="img" aria-label=caption.clone() width="100%" height=height>
                <title>{caption.clone()}</title>
                {bars.into_iter().enumerate().map(|(i, (label, minutes, value))| {
                    let top = i * ROW;
                    // Hundredths of a percent, in integers; a non-zero total shows at least a sliver.
                    let width = (minutes.max(0) * 10_000 / widest).max(if minutes > 0 { 50 } else { 0 });
                    let label = shorten(&label, 40);
                    let share = format!("{}.{:02}%", width / 100, width % 100);
                    // The figure sits inside a long bar and just past the end of a short one.
                    let inside = width >= 5_500;
                    view! {
                        <text x="0" y=(top + 15).to_string() class="chart-label">{label}</text>
                        <rect x="0" y=(top + 22).to_string() width=share.clone() height="20" rx="3" class="chart-bar"/>
                        <svg x=share y=(top + 22).to_string() width="1" height="20" overflow="visible">
                            <text
                                x=if inside { "-6" } else { "6" }
                                y="15"
                                text-anchor=if inside { "end" } else { "start" }
                                class=if inside { "chart-value inside" } else { "chart-value" }
                            >{value}</text>
                        </svg>
                    }
                }).collect_view()}
            </svg>
            <figcaption class="muted small">{caption}" — the table below gives the same figures."</figcaption>
        </figure>
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max_chars - 1).collect();
        short.push('…');
        short
    }
}

#[component]
fn LogTimeCard(
    slug: String,
    view: TimeEntriesView,
    action: ServerAction<LogTime>,
) -> impl IntoView {
    let outcome = move || {
        action.value().get().map(|r| match r {
            Ok(text) => (false, text),
            Err(e) => (true, message(&e)),
        })
    };
    // A recorded entry clears the form, so a second click does not record it twice.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    if view.tasks.is_empty() {
        return view! {
            <section class="card" aria-labelledby="log-title">
                <h2 id="log-title">"Log time"</h2>
                <p class="empty-note">"There is no task you can log time on yet. Time is recorded against a task: create one in a project first."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card" aria-labelledby="log-title">
            <h2 id="log-title">"Log time"</h2>
            <ActionForm action=action node_ref=form attr:class="form log-form">
                <input type="hidden" name="slug" value=slug/>
                <div class="field wide">
                    <label for="log-task">"Task"</label>
                    <select id="log-task" name="task_id" required>
                        <option value="">"Choose a task…"</option>
                        {view.tasks.iter().map(|t| view! {
                            <option value=t.id.clone()>{format!("{} — {}", t.title, t.project)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="log-started">"Start (Brussels time)"</label>
                    <input id="log-started" name="started" type="datetime-local" value=view.now_input.clone() required/>
                </div>
                <div class="field">
                    <label for="log-minutes">"Duration (minutes or h:mm)"</label>
                    <input id="log-minutes" name="minutes" inputmode="numeric" placeholder="90" required/>
                </div>
                <div class="field">
                    <label for="log-rate">"Hourly rate in €"</label>
                    <input id="log-rate" name="rate" inputmode="decimal" placeholder="90.00"/>
                </div>
                <div class="field check">
                    <input id="log-billable" name="billable" type="checkbox" value="on" checked/>
                    <label for="log-billable">"Billable"</label>
                </div>
                <div class="field wide">
                    <label for="log-note">"Note (optional)"</label>
                    <input id="log-note" name="note" maxlength="1000"/>
                </div>
                <div class="field wide">
                    <button type="submit" class="button" disabled=move || action.pending().get()>"Log time"</button>
                </div>
            </ActionForm>
            {move || outcome().map(|(failed, text)| if failed {
                view! { <p class="form-error" role="alert">{text}</p> }.into_any()
            } else {
                view! { <p class="form-ok" role="status">{text}</p> }.into_any()
            })}
        </section>
    }
    .into_any()
}

#[component]
fn EntriesCard(
    slug: String,
    view: TimeEntriesView,
    change: ServerAction<ChangeTimeEntry>,
    delete: ServerAction<DeleteTimeEntry>,
) -> impl IntoView {
    let admin = view.my_role == Role::Admin;
    let locale = view.locale.clone();
    let failure = move || {
        change
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| delete.value().get().and_then(|r| r.err()))
            .map(|e| message(&e))
    };
    let base = format!("/w/{slug}/time");
    let mine_param = if view.mine_only && admin {
        "mine=1&"
    } else {
        ""
    };
    let older = view
        .next_cursor
        .clone()
        .map(|c| format!("{base}?{mine_param}after={c}"));
    let title = if view.mine_only {
        "Your recent time"
    } else {
        "Recent time, everyone"
    };
    view! {
        <section class="card" aria-labelledby="entries-title">
            <h2 id="entries-title">{title}</h2>
            {admin.then(|| {
                let (everyone, mine) = (base.clone(), format!("{base}?mine=1"));
                view! {
                    <p class="toggle-links">
                        "Show: "
                        <A href=everyone attr:aria-current=(!view.mine_only).then_some("true")>"everyone"</A>
                        " · "
                        <A href=mine attr:aria-current=view.mine_only.then_some("true")>"only mine"</A>
                    </p>
                }
            })}
            <Show when=move || failure().is_some()>
                <p class="form-error" role="alert">{failure}</p>
            </Show>
            {if view.items.is_empty() {
                view! { <p class="empty-note">"No time entries yet. Entries you log appear here, newest first."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="table entries-table">
                            <thead><tr>
                                <th scope="col">"Start"</th>
                                <th scope="col">"Task"</th>
                                {admin.then(|| view! { <th scope="col">"Person"</th> })}
                                <th scope="col" class="num">"Hours"</th>
                                <th scope="col" class="num">"Rate"</th>
                                <th scope="col" class="num">"Amount"</th>
                                <th scope="col">"Note"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {view.items.into_iter().map(|e| {
                                    let may_change = policy::can_change_time_entry(view.my_role, e.own);
                                    view! {
                                        <tr>
                                            <td class="nowrap">{e.started.clone()}</td>
                                            <td>{e.task_title.clone()}</td>
                                            {admin.then(|| view! { <td>{e.person.clone()}</td> })}
                                            <td class="num">{format_minutes(i64::from(e.minutes))}</td>
                                            <td class="num">{format_eur(e.rate_cents, &locale)}</td>
                                            <td class="num">{if e.billable { format_eur(e.amount_cents, &locale) } else { "not billable".to_owned() }}</td>
                                            <td>{e.note.clone()}</td>
                                            <td class="actions">
                                                {may_change.then(|| view! { <EntryActions slug=slug.clone() entry=e.clone() change=change delete=delete/> })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <nav class="pager" aria-label="Time entry pages">
                {param_link_newest(&base, mine_param)}
                {older.map(|href| view! { <A href=href attr:class="button secondary small">"Older entries"</A> })}
            </nav>
        </section>
    }
}

/// Back to the first page, shown once the list has been paged.
fn param_link_newest(base: &str, mine_param: &str) -> impl IntoView {
    let query = use_query_map();
    let paged = query
        .read_untracked()
        .get("after")
        .is_some_and(|a| !a.is_empty());
    let href = format!("{base}?{}", mine_param.trim_end_matches('&'));
    paged.then(|| view! { <A href=href attr:class="button secondary small">"Newest entries"</A> })
}

/// Edit and delete behind disclosures: they work before the page is interactive, and keep the
/// table compact.
#[component]
fn EntryActions(
    slug: String,
    entry: EntryRow,
    change: ServerAction<ChangeTimeEntry>,
    delete: ServerAction<DeleteTimeEntry>,
) -> impl IntoView {
    let id = entry.id.clone();
    let field = move |name: &str| format!("{name}-{id}");
    let described = format!("{} on {}", entry.started, entry.task_title);
    let (slug_edit, id_edit, id_delete) = (slug.clone(), entry.id.clone(), entry.id.clone());
    view! {
        <details class="row-action">
            <summary aria-label=format!("Edit the entry of {described}")>"Edit"</summary>
            <ActionForm action=change attr:class="form edit-form">
                <input type="hidden" name="slug" value=slug_edit/>
                <input type="hidden" name="id" value=id_edit/>
                <label for=field("started")>"Start (Brussels time)"</label>
                <input id=field("started") name="started" type="datetime-local" value=entry.started_input.clone() required/>
                <label for=field("minutes")>"Duration (minutes or h:mm)"</label>
                <input id=field("minutes") name="minutes" inputmode="numeric" value=entry.minutes.to_string() required/>
                <label for=field("rate")>"Hourly rate in €"</label>
                <input id=field("rate") name="rate" inputmode="decimal" value=cents_as_decimal(entry.rate_cents)/>
                <span class="check">
                    <input id=field("billable") name="billable" type="checkbox" value="on" checked=entry.billable/>
                    <label for=field("billable")>"Billable"</label>
                </span>
                <label for=field("note")>"Note"</label>
                <input id=field("note") name="note" value=entry.note.clone() maxlength="1000"/>
                <button type="submit" class="button small">"Save entry"</button>
            </ActionForm>
        </details>
        <details class="row-action">
            <summary aria-label=format!("Delete the entry of {described}")>"Delete"</summary>
            <ActionForm action=delete attr:class="inline-form confirm">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="id" value=id_delete/>
                <span>"Delete this entry?"</span>
                <button type="submit" class="button small danger">"Yes, delete"</button>
            </ActionForm>
        </details>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn durations_are_minutes_or_hours_and_minutes() {
        assert_eq!(parse_minutes("90"), Some(90));
        assert_eq!(parse_minutes(" 1:30 "), Some(90));
        assert_eq!(parse_minutes("0:05"), Some(5));
        for garbage in ["", "1:3", "1:60", "-5", "1.5", "abc", "999999", "1:30:00"] {
            assert_eq!(parse_minutes(garbage), None, "{garbage}");
        }
    }

    #[test]
    fn wall_times_come_from_datetime_local_inputs() {
        assert!(parse_wall_time("2026-03-30T09:30").is_some());
        assert!(parse_wall_time("2026-03-30T09:30:15").is_some());
        assert!(parse_wall_time("30/03/2026 09:30").is_none());
    }

    #[test]
    fn entry_cursors_round_trip_and_garbage_is_none() {
        let at = time::macros::datetime!(2026-03-30 07:30:00.123456 UTC);
        let id = uuid::Uuid::new_v4();
        let cursor = format!("{}_{id}", at.unix_timestamp_nanos());
        assert_eq!(parse_entry_cursor(&cursor), Some((at, id)));
        assert_eq!(parse_entry_cursor("nope"), None);
        assert_eq!(parse_entry_cursor("12_not-a-uuid"), None);
    }
}
