//! The time page of a workspace (`/w/:slug/time`): a report over Brussels dates, grouped by
//! project, person, week or day, as a table and a bar chart; the entries the caller may see, with
//! edit and delete; and a form to log time. Admins see everyone's time, members their own, guests
//! none — core decides, for this page as for the REST API.
//!
//! - [`actions`]: the server functions.
//! - [`report`]: the report card and its chart.
//! - [`entries`]: the log form and the list of entries with their edit and delete forms.

mod actions;
mod entries;
mod report;
#[cfg(feature = "ssr")]
pub(crate) mod serve;

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::error::LoadedPage;
use crate::policy::Role;
use crate::url::{query_params, route_param};
use crate::work::WorkNav;
use actions::{load_time_entries, load_time_report, ChangeTimeEntry, DeleteTimeEntry, LogTime};
use entries::{EntriesCard, LogTimeCard};
use report::ReportCard;

/// Entries per page of the list.
#[cfg(feature = "ssr")]
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
    /// The caller's unread notices, for the workspace's navigation.
    pub unread: i64,
    pub locale: String,
    /// `project`, `person`, `week` or `day`.
    pub group: String,
    /// The Brussels dates the report covers, `YYYY-MM-DD` (empty: open-ended).
    pub from: String,
    pub to: String,
    pub lines: Vec<ReportLine>,
    pub total_minutes: i64,
    pub total_amount_cents: i64,
    /// Why the dates were refused (the figures are then empty); shown beside the form.
    pub error: Option<String>,
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

/// The first and last Brussels dates (both included) of a filter form, as the time report and
/// the audit history both ask for them; `id_prefix` keeps the fields' ids apart.
#[component]
pub(crate) fn DateRangeFields(id_prefix: &'static str, from: String, to: String) -> impl IntoView {
    let (from_id, to_id) = (format!("{id_prefix}-from"), format!("{id_prefix}-to"));
    let t = crate::use_t();
    view! {
        <div class="field">
            <label for=from_id.clone()>{t.range_from()}</label>
            <input id=from_id name="from" type="date" value=from/>
        </div>
        <div class="field">
            <label for=to_id.clone()>{t.range_to()}</label>
            <input id=to_id name="to" type="date" value=to/>
        </div>
    }
}

/// The report's groupings: (parameter, label).
fn groups(t: crate::i18n::T) -> [(&'static str, &'static str); 4] {
    [
        ("project", t.group_project()),
        ("person", t.group_person()),
        ("week", t.group_week()),
        ("day", t.group_day()),
    ]
}

#[component]
pub fn TimePage() -> impl IntoView {
    let slug = route_param("slug");
    let param = query_params();
    let log = crate::error::server_action::<LogTime>();
    let change = crate::error::server_action::<ChangeTimeEntry>();
    let delete = crate::error::server_action::<DeleteTimeEntry>();
    let report = Resource::new(
        move || (slug(), param("group"), param("from"), param("to")),
        |(slug, group, from, to)| load_time_report(slug, group, from, to),
    );
    let entries = Resource::new(
        move || (slug(), param("mine"), param("after")),
        |(slug, mine, after)| load_time_entries(slug, mine, after),
    );

    let t = crate::use_t();
    let page = move |view: TimeReportView| {
        let slug = slug();
        let scope = if view.my_role == Role::Admin {
            t.time_scope_everyone()
        } else {
            t.time_scope_own()
        };
        view! {
            <leptos_meta::Title text=crate::work::raw_text(&t.workspace_page_title(t.nav_time(), &view.workspace_name))/>
            <WorkNav slug=slug.clone() role=view.my_role unread=view.unread current="time"/>
            <header class="page-header">
                <h1>{t.time_heading(view.workspace_name.clone())}</h1>
                <p class="muted">{scope}</p>
            </header>
            <ReportCard slug=slug.clone() view=view/>
        }
    };
    view! {
        <Title text=t.time_title()/>
        <LoadedPage title=t.nav_time() loading=t.time_loading() data=report page/>
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
