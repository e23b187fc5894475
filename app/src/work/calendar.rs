//! The calendar: the tasks the caller sees by due date, a month at a time, in Monday-to-Sunday
//! weeks with their ISO numbers. A task moves to another day by dragging it (HTML5 drag events)
//! onto the day, by the keyboard (its handle: Space or Enter picks it up, left and right move it
//! a day, up and down a week, Space or Enter puts it down, Escape puts it back; every step said
//! in a live region), or, before the script runs or without it, by a date in its "Move" menu.
//! The first two are the `CalendarMoves` island (`moves.rs`), which sends that same form; all
//! three call [`move_to_day`], which changes the due date through core's `update_task`: the
//! same door, the same policy and the same history as the task page's edit.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::{announce, FormError, LoadError, Notice, ProjectRow, TaskRow, WorkNav};
use crate::error::action_error;
use crate::policy::{self, Role};
use crate::url::{query_params, route_param};
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarView {
    pub workspace_name: String,
    pub role: Role,
    /// The caller's unread notices, for the workspace's navigation.
    pub unread: i64,
    /// Where the workspace's live stream stood when this was read (`Live::seen`).
    pub seen: i64,
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// `YYYY-MM` of the months before and after, and of today's.
    pub previous: String,
    pub next: String,
    pub this_month: String,
    /// Today in Brussels, `YYYY-MM-DD`.
    pub today: String,
    /// The weeks shown: their ISO week number and their seven days (`YYYY-MM-DD`, Monday first).
    pub weeks: Vec<(u8, Vec<String>)>,
    /// The tasks due on those days, by day.
    pub tasks: Vec<TaskRow>,
    /// More tasks were due than one read answers (500).
    pub truncated: bool,
    pub projects: Vec<ProjectRow>,
}

/// The weeks that show the month starting on `first`: from the Monday on or before it to the
/// Sunday on or after its last day (four to six weeks).
#[cfg(feature = "ssr")]
fn weeks_of(first: time::Date) -> Vec<(u8, Vec<time::Date>)> {
    let last = first + time::Duration::days(i64::from(days_in(first)) - 1);
    let mut monday =
        first - time::Duration::days(i64::from(first.weekday().number_days_from_monday()));
    let mut weeks = Vec::new();
    while monday <= last {
        let days: Vec<time::Date> = (0..7).map(|n| monday + time::Duration::days(n)).collect();
        weeks.push((monday.iso_week(), days));
        monday += time::Duration::weeks(1);
    }
    weeks
}

#[cfg(feature = "ssr")]
fn days_in(first: time::Date) -> u8 {
    first.month().length(first.year())
}

#[cfg(feature = "ssr")]
fn month_text(date: time::Date) -> String {
    format!("{:04}-{:02}", date.year(), date.month() as u8)
}

#[server(prefix = "/api/fn", endpoint = "calendar")]
pub async fn load_calendar(
    slug: String,
    month: Option<String>,
    project: Option<String>,
) -> Result<CalendarView, UiError> {
    use super::srv;
    use bastion_core::work::tasks;
    // Read before the first await: the page's language is the request's.
    let refused = crate::use_t().calendar_month_invalid();
    // Membership first: whoever may not see the workspace learns nothing else from its calendar.
    let mut o = crate::server::open(&slug).await?;
    // Before the data: what the stream announced up to here is in it.
    let seen = bastion_core::platform::live::position(&mut o.tx).await?;
    let today = srv::today().await?;
    let first = match month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        None => today.replace_day(1).expect("every month has a first day"),
        Some(text) => time::Date::parse(
            &format!("{text}-01"),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
        .filter(|d| (1000..=9999).contains(&d.year()))
        .ok_or_else(|| UiError::invalid("month", refused))?,
    };
    let weeks = weeks_of(first);
    let from = weeks[0].1[0];
    let until = weeks[weeks.len() - 1].1[6] + time::Duration::days(1);
    let project_id = srv::opt_id("project_id", project.as_deref())?;
    let calendar = tasks::calendar(&mut o.tx, &o.viewer, from, until, project_id).await?;
    let projects = srv::all_projects(&mut o.tx, &o.viewer, true).await?;
    let tags = srv::all_tags(&mut o.tx, &o.viewer).await?;
    let unread = bastion_core::work::notifications::unread_count(&mut o.tx, &o.viewer).await?;
    o.tx.commit().await?;
    let previous = first - time::Duration::days(1);
    let next = first + time::Duration::days(i64::from(days_in(first)));
    Ok(CalendarView {
        workspace_name: o.workspace.name,
        role: o.viewer.role,
        unread,
        seen,
        year: first.year(),
        month: first.month() as u8,
        previous: month_text(previous),
        next: month_text(next),
        this_month: month_text(today),
        today: srv::iso(today),
        weeks: weeks
            .into_iter()
            .map(|(n, days)| (n, days.into_iter().map(srv::iso).collect()))
            .collect(),
        tasks: srv::rows(&o.viewer, calendar.tasks, &projects, &tags).await?,
        truncated: calendar.truncated,
        projects,
    })
}

/// Gives a task a new due date (a day of the calendar). Whoever may edit the task; the date is
/// required here, since a calendar cannot show a task without one.
#[server(prefix = "/api/fn", endpoint = "move_to_day")]
pub async fn move_to_day(slug: String, task_id: String, due_on: String) -> Result<(), UiError> {
    use super::srv::opt_date;
    use bastion_core::work::tasks::{self, TaskPatch};
    super::task_actions::change_task(&slug, &task_id, async |tx, viewer, id| {
        let due = opt_date("due_on", Some(&due_on))?
            .ok_or_else(|| crate::error::field_refusal("due_on", "must not be empty"))?;
        let patch = TaskPatch {
            due_on: Some(Some(due)),
            ..TaskPatch::default()
        };
        Ok(tasks::update_task(tx, viewer, id, patch).await?)
    })
    .await
}

fn month_name(t: crate::i18n::T, month: u8) -> &'static str {
    match month {
        1 => t.calendar_month_1(),
        2 => t.calendar_month_2(),
        3 => t.calendar_month_3(),
        4 => t.calendar_month_4(),
        5 => t.calendar_month_5(),
        6 => t.calendar_month_6(),
        7 => t.calendar_month_7(),
        8 => t.calendar_month_8(),
        9 => t.calendar_month_9(),
        10 => t.calendar_month_10(),
        11 => t.calendar_month_11(),
        _ => t.calendar_month_12(),
    }
}

/// Monday is 0.
fn day_name(t: crate::i18n::T, weekday: usize) -> (&'static str, &'static str) {
    match weekday {
        0 => (t.calendar_day_1(), t.calendar_day_short_1()),
        1 => (t.calendar_day_2(), t.calendar_day_short_2()),
        2 => (t.calendar_day_3(), t.calendar_day_short_3()),
        3 => (t.calendar_day_4(), t.calendar_day_short_4()),
        4 => (t.calendar_day_5(), t.calendar_day_short_5()),
        5 => (t.calendar_day_6(), t.calendar_day_short_6()),
        _ => (t.calendar_day_7(), t.calendar_day_short_7()),
    }
}

/// A day as a sentence: "Tuesday 2026-12-01" in the page's language.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // said by `moves.rs`, in the browser
pub(super) fn spoken_day(t: crate::i18n::T, days: &[String], index: usize) -> String {
    let day = days.get(index).cloned().unwrap_or_default();
    format!(
        "{} {}",
        day_name(t, index % 7).0,
        crate::i18n::format_iso_date(t.0, &day)
    )
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let slug = route_param("slug");
    let param = query_params();
    let month = move || param("month");
    let project = move || param("project");
    let moved = crate::error::server_action::<MoveToDay>();
    // Blocking, like the board: a refusal is sent with its status and the title is in the head.
    let data = Resource::new_blocking(
        move || (slug(), month(), project()),
        |(slug, month, project)| load_calendar(slug, month, project),
    );
    let move_error = action_error(moved);
    let notice = RwSignal::new(None);
    let t = crate::use_t();
    announce!(notice, moved => t.calendar_due_changed());

    view! {
        <Title text=t.calendar_title()/>
        <Notice notice/>
        <p id="calendar-drag-help" class="visually-hidden">{t.calendar_drag_help()}</p>
        // Where `CalendarMoves` says each step of a keyboard move.
        <div class="visually-hidden" aria-live="assertive" aria-atomic="true" data-testid="calendar-live"></div>
        <Transition fallback=move || view! { <p>{t.calendar_loading()}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError title=t.nav_calendar() error=e/> }.into_any(),
                    Ok(cal) => {
                        let slug = slug();
                        let current = project();
                        let role = cal.role;
                        let month_name = month_name(t, cal.month);
                        let in_month = format!("{:04}-{:02}", cal.year, cal.month);
                        let link = {
                            let (slug, current) = (slug.clone(), current.clone());
                            move |month: &str| format!(
                                "/w/{slug}/calendar?month={month}{}",
                                current.as_deref().map(|p| format!("&project={p}")).unwrap_or_default()
                            )
                        };
                        let empty = cal.tasks.iter().all(|task| {
                            !task.due_on.as_deref().is_some_and(|d| d.starts_with(&in_month))
                        });
                        let tasks = StoredValue::new(cal.tasks);
                        view! {
                            <Title text=super::raw_text(&t.calendar_workspace_title(&cal.workspace_name))/>
                            <WorkNav slug=slug.clone() role=cal.role unread=cal.unread current="calendar"/>
                            {crate::live::follow(slug.clone(), crate::live::Follows::TasksOrInbox, None, cal.seen)}
                            <div class="calendar-head">
                                <h1>{t.calendar_heading(month_name, cal.year)}</h1>
                                <nav class="calendar-months" aria-label=t.calendar_months()>
                                    <a href=link(&cal.previous) rel="prev">"← " {t.calendar_previous()}</a>
                                    <a href=link(&cal.this_month)>{t.calendar_this_month()}</a>
                                    <a href=link(&cal.next) rel="next">{t.calendar_next()} " →"</a>
                                </nav>
                                <form method="get" class="inline-form" aria-label=t.show_one_project()>
                                    <input type="hidden" name="month" value=in_month.clone()/>
                                    <label for="c-project">{t.group_project()}</label>
                                    <select id="c-project" name="project">
                                        <option value="">{t.all_projects()}</option>
                                        {cal.projects.iter().map(|p| view! {
                                            <option value=p.id.clone() selected=current.as_deref() == Some(p.id.as_str())>{p.name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                    <button type="submit" class="button small secondary">{t.show()}</button>
                                </form>
                            </div>
                            <FormError error=move_error/>
                            {empty.then(|| view! { <p class="muted calendar-empty">{t.calendar_empty()}</p> })}
                            {cal.truncated.then(|| view! { <p class="notice-inline">{t.calendar_truncated()}</p> })}
                            <div class="calendar-scroll">
                            <table class="calendar">
                                <caption class="visually-hidden">{t.calendar_caption(month_name, cal.year)}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col" class="week-number">{t.calendar_week()}</th>
                                        {(0..7).map(|n| {
                                            let (long, short) = day_name(t, n);
                                            view! { <th scope="col"><abbr title=long>{short}</abbr></th> }
                                        }).collect_view()}
                                    </tr>
                                </thead>
                                <tbody>
                                    {cal.weeks.into_iter().map(|(number, week)| view! {
                                        <tr>
                                            <th scope="row" class="week-number">{number}</th>
                                            {week.into_iter().enumerate().map(|(n, day)| {
                                                let outside = !day.starts_with(&in_month);
                                                let is_today = day == cal.today;
                                                let due: Vec<TaskRow> = tasks.with_value(|all| {
                                                    all.iter().filter(|t| t.due_on.as_deref() == Some(day.as_str())).cloned().collect()
                                                });
                                                let number: u8 = day[8..].parse().unwrap_or(0);
                                                view! {
                                                    <td data-label=day_name(t, n).0 class:outside=outside class:today=is_today data-day=day.clone()>
                                                        <span class="day-number">
                                                            <span aria-hidden="true">{number}</span>
                                                            <span class="visually-hidden">{day_name(t, n).0} " " {crate::i18n::format_iso_date(t.0, &day)}</span>
                                                            {is_today.then(|| view! { <span class="visually-hidden">", " {t.calendar_today()}</span> })}
                                                        </span>
                                                        {(!due.is_empty()).then(|| view! {
                                                            <ul class="day-tasks">
                                                                {due.into_iter().map(|task| view! {
                                                                    <CalendarTask slug=slug.clone() task role action=moved/>
                                                                }).collect_view()}
                                                            </ul>
                                                        })}
                                                    </td>
                                                }
                                            }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                            <super::moves::CalendarMoves/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn CalendarTask(
    slug: String,
    task: TaskRow,
    role: Role,
    action: ServerAction<MoveToDay>,
) -> impl IntoView {
    let can_move = policy::can_edit_task(role, &task.facts());
    let href = format!("/w/{slug}/tasks/{}", task.id);
    let t = crate::use_t();
    let handle_label = t.calendar_handle_label(&task.key);
    let menu_label = t.calendar_menu_label(&task.key);
    let date_id = format!("due-{}", task.id);
    let date_label = t.calendar_date_label(&task.title);
    let task_id = task.id.clone();
    let due = task.due_on.clone().unwrap_or_default();
    view! {
        <li class="calendar-task" class:done=task.status == "done" data-id=task.id.clone() draggable="false">
            // Hidden until `CalendarMoves` runs: moving needs the script.
            {can_move.then(|| view! {
                <button
                    type="button"
                    class="drag-handle"
                    hidden
                    id=format!("cal-{}", task.id)
                    aria-label=handle_label
                    aria-describedby="calendar-drag-help"
                    aria-pressed="false"
                >
                    <span aria-hidden="true">"⠿"</span>
                </button>
            })}
            <a href=href draggable="false" class:overdue=task.overdue>
                <span class="task-key">{task.key.clone()}</span> " " {task.title.clone()}
            </a>
            // Without script (or by preference): the same move as a date, out of the way.
            {can_move.then(|| view! {
                <details class="card-menu">
                    <summary aria-label=menu_label.clone()>{t.move_button()}</summary>
                    <ActionForm action=action attr:class="inline-form move-form">
                        <input type="hidden" name="slug" value=slug.clone()/>
                        <input type="hidden" name="task_id" value=task_id.clone()/>
                        <label class="visually-hidden" for=date_id.clone()>{date_label.clone()}</label>
                        <input type="date" id=date_id name="due_on" value=due.clone() required/>
                        <button type="submit" class="button small secondary">{t.move_button()}</button>
                    </ActionForm>
                </details>
            })}
        </li>
    }
    .into_any()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::weeks_of;
    use time::macros::date;

    fn shape(first: time::Date) -> (usize, u8, time::Date, time::Date) {
        let weeks = weeks_of(first);
        let last = weeks.last().unwrap();
        (weeks.len(), weeks[0].0, weeks[0].1[0], last.1[6])
    }

    #[test]
    fn a_month_is_shown_in_whole_monday_to_sunday_weeks() {
        // Starts on a Monday and has 28 days: exactly four weeks.
        assert_eq!(
            shape(date!(2027 - 02 - 01)),
            (4, 5, date!(2027 - 02 - 01), date!(2027 - 02 - 28))
        );
        // Starts on a Sunday with 31 days: six rows, from the Monday before.
        assert_eq!(
            shape(date!(2026 - 03 - 01)),
            (6, 9, date!(2026 - 02 - 23), date!(2026 - 04 - 05))
        );
        // December into January: the ISO week of 28 December 2026 is week 53, and the last
        // row's Monday, 28 December, belongs to 2026's week 53 too.
        let december = weeks_of(date!(2026 - 12 - 01));
        assert_eq!(december[0].1[0], date!(2026 - 11 - 30));
        assert_eq!(december.last().unwrap().0, 53);
        assert_eq!(december.last().unwrap().1[6], date!(2027 - 01 - 03));
    }
}
