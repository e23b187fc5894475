//! The work itself in the browser: the workspace home with its projects, the task list with
//! filters, the board, and the task page. Every page asks `crate::policy` what to offer, on facts
//! the server sends (the caller's role, whether they created a task or wrote a comment); the
//! server functions only call the core, which asks the same policy before changing anything.

pub mod attachments;
pub mod board;
pub mod bulk_edit;
pub mod calendar;
pub mod fields;
pub mod history;
pub mod home;
pub mod import;
pub mod inline;
pub mod list;
pub mod mention_picker;
mod moves;
pub mod recurrence;
pub mod task;
pub mod task_actions;
pub mod task_extras;
pub mod task_model;
pub mod task_time;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::error::FormError;
use crate::policy::{self, Role, TaskFacts};
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    /// The prefix of its tasks' keys.
    pub key_prefix: String,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagRow {
    pub id: String,
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
}

/// A task as lists and the board show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub id: String,
    /// `ACME-142`.
    pub key: String,
    /// The task it is a subtask of.
    pub parent_id: Option<String>,
    pub title: String,
    pub project_id: String,
    pub project_name: String,
    pub status: String,
    pub priority: String,
    pub assignee: Option<Person>,
    /// A Europe/Brussels calendar date, `YYYY-MM-DD`.
    pub due_on: Option<String>,
    /// Due before today in Brussels and not done.
    pub overdue: bool,
    pub private: bool,
    pub tags: Vec<TagRow>,
    /// The caller created the task.
    pub created_by_me: bool,
    /// Blocked by an open task the caller sees.
    pub blocked: bool,
    /// Subtasks the caller sees (done, total).
    pub subtasks: (i64, i64),
    /// It carries a recurrence rule.
    pub recurring: bool,
    /// Its custom field values (`fields::srv::show` formats them for the page).
    pub fields: Vec<fields::FieldCell>,
}

/// "1/3 subtasks done" beside a parent (list, board).
#[component]
pub fn SubtaskProgress(done: i64, total: i64) -> impl IntoView {
    view! { <span class="progress muted">{crate::use_t().subtasks_done(done, total)}</span> }
}

/// A small "↻ Repeats" mark beside a recurring task (list, task page); the arrow is decoration,
/// the word is what a screen reader says.
#[component]
pub fn RecurringMark() -> impl IntoView {
    view! { <span class="badge recurring"><span aria-hidden="true">"↻ "</span>{crate::use_t().repeat_mark()}</span> }
}

/// "Blocked" beside a task blocked by an open task (list, board, task page).
#[component]
pub fn BlockedBadge() -> impl IntoView {
    view! { <span class="badge blocked">{crate::use_t().blocked()}</span> }
}

impl TaskRow {
    /// What the policy needs to know about this task relative to the caller.
    pub fn facts(&self) -> TaskFacts {
        TaskFacts {
            viewer_is_creator: self.created_by_me,
        }
    }
}

pub const STATUSES: [(&str, &str); 3] = [
    ("todo", "To do"),
    ("in_progress", "In progress"),
    ("done", "Done"),
];

pub const PRIORITIES: [(&str, &str); 4] = [
    ("low", "Low"),
    ("normal", "Normal"),
    ("high", "High"),
    ("urgent", "Urgent"),
];

/// A status in the reader's language.
pub fn status_word(t: crate::i18n::T, status: &str) -> &'static str {
    match status {
        "todo" => t.status_todo(),
        "in_progress" => t.status_in_progress(),
        "done" => t.status_done(),
        _ => t.unknown(),
    }
}

/// A priority in the reader's language.
pub fn priority_word(t: crate::i18n::T, priority: &str) -> &'static str {
    match priority {
        "low" => t.priority_low(),
        "normal" => t.priority_normal(),
        "high" => t.priority_high(),
        "urgent" => t.priority_urgent(),
        _ => t.unknown(),
    }
}

/// Text for an element whose content the HTML parser reads as raw text (`<textarea>`,
/// `<title>`). The server renders such children without escaping them (tachys for a textarea,
/// leptos_meta for the title), so a description holding `</textarea>` or a title holding
/// `</title>` would end the element and inject markup. Escaped on the server, the browser
/// decodes it back to the very text; in the browser the text is set as text already.
pub fn raw_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        text.to_owned()
    }
}

/// The choice of project on a page about one project (its fields, an import): a plain GET form,
/// so the choice is a link; shown only when there is more than one to choose from.
#[component]
pub fn ProjectPicker(
    /// The select's id, unique on the page.
    id: &'static str,
    projects: Vec<ProjectRow>,
    selected: Option<String>,
) -> impl IntoView {
    let t = crate::use_t();
    (projects.len() > 1).then(|| {
        view! {
            <form method="get" class="inline-form">
                <label for=id>{t.field_project()}</label>
                <select id=id name="project">
                    {projects.into_iter().map(|p| {
                        let chosen = selected.as_deref() == Some(p.id.as_str());
                        view! { <option value=p.id selected=chosen>{p.name}</option> }
                    }).collect_view()}
                </select>
                <button type="submit" class="button small secondary">{t.field_show()}</button>
            </form>
        }
    })
}

/// The workspace's navigation, the same on every workspace page, the current section marked
/// for assistive technology. On a wide screen it is a sidebar; on a narrow one a drawer behind a
/// Menu button. The drawer is an HTML popover, so it opens, closes on Escape and on a click
/// outside, and returns focus, without script (the page works before the bundle loads). Each
/// link is offered only to those whom policy lets use its page; the inbox link carries the
/// caller's unread count as the page's server render read it.
#[component]
pub fn WorkNav(slug: String, role: Role, unread: i64, current: &'static str) -> impl IntoView {
    let link = |href: String, label: &'static str, key: &'static str| {
        let here = (key == current).then_some("page");
        view! { <li><a href=href aria-current=here>{label}</a></li> }
    };
    let t = crate::use_t();
    view! {
        <button type="button" class="button secondary small nav-toggle" popovertarget="work-nav">
            {t.nav_menu()}
        </button>
        <nav id="work-nav" class="work-nav" popover="auto" aria-label=t.nav_workspace()>
            <div class="work-nav-inner">
            <ul>
                {link(format!("/w/{slug}"), t.nav_projects(), "home")}
                {link(format!("/w/{slug}/tasks"), t.nav_tasks(), "tasks")}
                {link(format!("/w/{slug}/board"), t.nav_board(), "board")}
                {link(format!("/w/{slug}/calendar"), t.nav_calendar(), "calendar")}
                {link(format!("/w/{slug}/activity"), t.nav_activity(), "activity")}
                <li>
                    <a href=format!("/w/{slug}/inbox") aria-current=("inbox" == current).then_some("page")>
                        {t.inbox()}
                        {(unread > 0).then(|| view! {
                            " "
                            <span class="badge" data-testid="unread-count">{unread.to_string()}</span>
                            <span class="visually-hidden">" " {t.unread_word()}</span>
                        })}
                    </a>
                </li>
            </ul>
            <ul>
                {policy::can_track_time(role).then(|| link(format!("/w/{slug}/time"), t.nav_time(), "time"))}
                {policy::can_list_members(role).then(|| link(format!("/w/{slug}/members"), t.nav_members(), "members"))}
                {policy::can_read_audit(role).then(|| link(format!("/w/{slug}/audit"), t.nav_audit(), "audit"))}
                // Every member has settings of their own there (API tokens); admins the workspace's.
                {link(format!("/w/{slug}/settings"), t.nav_settings(), "settings")}
            </ul>
            <SidebarToggle/>
            </div>
        </nav>
    }
}

/// Hiding the sidebar on a wide screen needs the script (it is remembered in a cookie the server
/// reads for `<html data-sidebar>`), so its button appears once the script runs.
#[island]
fn SidebarToggle() -> impl IntoView {
    let t = crate::use_t();
    let scripted = RwSignal::new(false);
    let collapsed = RwSignal::new(false);
    Effect::new(move |_| {
        collapsed.set(sidebar_collapsed());
        scripted.set(true);
    });
    let toggle = move |_| {
        let now = !collapsed.get_untracked();
        collapsed.set(now);
        set_sidebar_collapsed(now);
    };
    move || {
        scripted.get().then(|| {
            view! {
                <button type="button" class="link-button sidebar-toggle" on:click=toggle>
                    {move || if collapsed.get() { t.nav_keep_open() } else { t.nav_hide() }}
                </button>
            }
        })
    }
}

/// Whether this browser keeps the workspace navigation folded away on a wide screen (read from
/// `<html data-sidebar>`, which the server wrote from the cookie).
fn sidebar_collapsed() -> bool {
    #[cfg(feature = "hydrate")]
    {
        document()
            .document_element()
            .and_then(|root| root.get_attribute("data-sidebar"))
            .as_deref()
            == Some("collapsed")
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Folds the navigation away (or back) at once, and remembers it for the server's next render.
fn set_sidebar_collapsed(collapsed: bool) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::web_sys::js_sys::Reflect;
        let document = document();
        if let Some(root) = document.document_element() {
            let _ = if collapsed {
                root.set_attribute("data-sidebar", "collapsed")
            } else {
                root.remove_attribute("data-sidebar")
            };
        }
        let cookie = if collapsed {
            "bastion_sidebar=collapsed; Path=/; Max-Age=31536000; SameSite=Lax"
        } else {
            "bastion_sidebar=; Path=/; Max-Age=0; SameSite=Lax"
        };
        let _ = Reflect::set(&document, &"cookie".into(), &cookie.into());
        // Put back from the drawer: the drawer closes, the sidebar is there instead.
        if !collapsed {
            if let Some(nav) = document.get_element_by_id("work-nav") {
                use leptos::wasm_bindgen::JsCast;
                if let Ok(hide) = Reflect::get(&nav, &"hidePopover".into())
                    .and_then(|f| f.dyn_into::<leptos::web_sys::js_sys::Function>())
                {
                    let _ = hide.call0(&nav);
                }
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = collapsed;
}

/// A tag: its name on a neutral chip, its colour as a dot. The colour is an SVG `fill`
/// attribute rather than an inline style, which the content security policy (`style-src
/// 'self'`) would refuse; and the text keeps its contrast whatever colour was picked.
#[component]
pub fn TagChip(tag: TagRow) -> impl IntoView {
    view! {
        <span class="tag">
            <svg class="tag-dot" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">
                <circle cx="5" cy="5" r="5" fill=tag.colour/>
            </svg>
            {tag.name}
        </span>
    }
    .into_any()
}

/// A failed page load, said plainly.
#[component]
pub fn LoadError(title: &'static str, error: UiError) -> impl IntoView {
    let t = crate::use_t();
    view! {
        <section class="card narrow">
            <h1>{title}</h1>
            <p class="form-error" role="alert">{error.message(t)}</p>
            <a href="/account">{t.your_workspaces()}</a>
        </section>
    }
}

/// Says what the last successful change was: the action's answer is the flash of the form post
/// that brought the page (`error::server_action`), said in the notice region outside the
/// page's content, which is what tells a screen-reader user that it worked.
macro_rules! announce {
    ($notice:expr, $( $action:expr => $text:expr ),+ $(,)?) => {{
        let notice: RwSignal<Option<String>> = $notice;
        $(
            let action = $action;
            if let Some(Ok(_)) = action.value().get_untracked() {
                notice.set(Some($text.into()));
            }
        )+
    }};
}
pub(crate) use announce;

/// What an action did, said at the foot of the window: read out by screen readers (the status
/// region is always there), faded and gone after a few seconds or when dismissed, and never in
/// the way of a click on the page under it.
#[component]
pub fn Notice(notice: RwSignal<Option<String>>) -> impl IntoView {
    // Nothing around it is hydrated, so the one message is the server's (what a form post did,
    // on the page it came back to), and the island fades and dismisses it.
    view! { <Toast message=notice.get_untracked()/> }
}

/// [`Notice`]'s island.
#[island]
fn Toast(message: Option<String>) -> impl IntoView {
    let notice = RwSignal::new(message);
    // Each message clears itself after its time, unless a newer one has taken its place.
    let shown = StoredValue::new(0u64);
    Effect::new(move |_| {
        if notice.with(Option::is_some) {
            let n = shown.get_value() + 1;
            shown.set_value(n);
            set_timeout(
                move || {
                    if shown.try_get_value() == Some(n) {
                        notice.try_set(None);
                    }
                },
                std::time::Duration::from_secs(NOTICE_SECONDS),
            );
        }
    });
    view! {
        <div class="toast" class:shown=move || notice.with(Option::is_some)>
            <p class="notice" role="status">{move || notice.get()}</p>
            <Show when=move || notice.with(Option::is_some)>
                <button type="button" class="toast-close" aria-label=crate::use_t().dismiss_message() on:click=move |_| notice.set(None)>"×"</button>
            </Show>
        </div>
    }
}

/// How long a notice stays; `style/main.css` fades it over the same time.
const NOTICE_SECONDS: u64 = 6;

#[cfg(feature = "ssr")]
pub(crate) mod srv {
    //! What the work pages' server functions share.

    use std::collections::HashMap;

    use bastion_core::work::{self, projects, tags, tasks::TaskRecord, Viewer};
    use bastion_core::TenantTx;
    use time::{Date, OffsetDateTime, PrimitiveDateTime};
    use uuid::Uuid;

    use super::{Person, ProjectRow, TagRow, TaskRow};
    use crate::policy::Role;
    use crate::server::context;
    use crate::UiError;

    /// An id naming the thing the page is about: one that is not a UUID names nothing (404).
    pub fn id_or_404(text: &str, what: &'static str) -> Result<Uuid, UiError> {
        Uuid::parse_str(text.trim()).map_err(|_| bastion_core::CoreError::NotFound(what).into())
    }

    /// An optional id from the form field `field`; empty means none.
    pub fn opt_id(field: &str, text: Option<&str>) -> Result<Option<Uuid>, UiError> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => Uuid::parse_str(t)
                .map(Some)
                .map_err(|_| crate::error::field_refusal(field, NOT_A_CHOICE)),
        }
    }

    /// An optional `YYYY-MM-DD` date from the form field `field`; empty means none.
    pub fn opt_date(field: &str, text: Option<&str>) -> Result<Option<Date>, UiError> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => Date::parse(t, time::macros::format_description!("[year]-[month]-[day]"))
                .map(Some)
                .map_err(|_| crate::error::field_refusal(field, "must be a date like 2026-03-30")),
        }
    }

    /// An optional choice that must be one of `allowed`; empty means none.
    pub fn opt_choice(
        field: &str,
        text: Option<&str>,
        allowed: &[(&str, &str)],
    ) -> Result<Option<String>, UiError> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) if allowed.iter().any(|(v, _)| *v == t) => Ok(Some(t.to_owned())),
            Some(_) => Err(crate::error::field_refusal(field, NOT_A_CHOICE)),
        }
    }

    /// Core's words for a value no form offers (translated by its `core-` message).
    const NOT_A_CHOICE: &str = "is not one of the choices";

    /// The list position a "next page" link carries, refused as a sentence if it is garbage.
    pub fn page_after(text: Option<&str>) -> Result<Option<work::Position>, UiError> {
        cursor_parse(text).map_err(|_| UiError::invalid("cursor", crate::use_t().page_link_stale()))
    }

    /// Today's date in Brussels, from `core::clock` (PostgreSQL's time-zone database, the one
    /// conversion every door uses).
    pub async fn today() -> Result<Date, crate::UiError> {
        let mut conn = context()?.pool.acquire().await?;
        Ok(bastion_core::clock::now_local_on(&mut conn).await?.date())
    }

    pub fn iso(date: Date) -> String {
        date.format(time::macros::format_description!("[year]-[month]-[day]"))
            .unwrap_or_default()
    }

    /// A Brussels wall time (from `core::clock::local_times`) as people read it.
    /// In the request's language: `02/12/2026 09:30` in Dutch, `2026-12-02 09:30` in English.
    pub fn local_time(local: PrimitiveDateTime) -> String {
        local_time_in(crate::use_t().0, local)
    }

    fn local_time_in(locale: bastion_i18n::Locale, local: PrimitiveDateTime) -> String {
        let date = crate::i18n::format_date(locale, local.year(), local.month() as u8, local.day());
        format!("{date} {:02}:{:02}", local.hour(), local.minute())
    }

    /// Moments as people in Brussels read them, converted by `core::clock` in one query.
    pub async fn local_times(moments: &[OffsetDateTime]) -> Result<Vec<String>, crate::UiError> {
        local_times_in(&context()?.pool, crate::use_t().0, moments).await
    }

    /// [`local_times`] with the pool and language taken beforehand: for loaders outside the
    /// work pages, whose context is read once, before their first wait.
    pub async fn local_times_in(
        pool: &sqlx::PgPool,
        locale: bastion_i18n::Locale,
        moments: &[OffsetDateTime],
    ) -> Result<Vec<String>, crate::UiError> {
        let mut conn = pool.acquire().await?;
        let local = bastion_core::clock::local_times_on(&mut conn, moments).await?;
        Ok(local
            .into_iter()
            .map(|l| local_time_in(locale, l))
            .collect())
    }

    /// Display names of users, in one query; an id with no account any more reads "Former
    /// member". Names live in the control plane, so this checks out a connection of its own:
    /// call it after the tenant transaction ends, never while holding one (a request holding a
    /// connection while it waits for a second can exhaust the pool when as many such requests
    /// run at once as it has connections, and then they all wait).
    pub async fn names(ids: Vec<Uuid>) -> Result<HashMap<Uuid, String>, UiError> {
        let ctx = context()?;
        let mut ids = ids;
        ids.sort_unstable();
        ids.dedup();
        let mut out = bastion_core::accounts::names_of(&ctx.pool, &ids).await?;
        let former = crate::use_t().former_member();
        for id in ids {
            out.entry(id).or_insert_with(|| former.to_owned());
        }
        Ok(out)
    }

    /// The workspace's active members, for pickers, as ids: [`people`] names them once the
    /// transaction is over. Only for roles that may list members; others get nobody.
    pub async fn member_ids(tx: &mut TenantTx, role: Role) -> Result<Vec<Uuid>, UiError> {
        if !crate::policy::can_list_members(role) {
            return Ok(Vec::new());
        }
        let members = bastion_core::members::list_members(tx).await?;
        Ok(members
            .iter()
            .filter(|m| m.active)
            .map(|m| m.user_id)
            .collect())
    }

    /// Members (from [`member_ids`]) by name, sorted, for pickers.
    pub async fn people(ids: Vec<Uuid>) -> Result<Vec<Person>, UiError> {
        let names = names(ids.clone()).await?;
        let mut people: Vec<Person> = ids
            .into_iter()
            .map(|id| Person {
                id: id.to_string(),
                name: names.get(&id).cloned().unwrap_or_default(),
            })
            .collect();
        people.sort_by_key(|p| p.name.to_lowercase());
        Ok(people)
    }

    /// Every project the viewer sees (archived ones too when `include_archived`), oldest first.
    pub async fn all_projects(
        tx: &mut TenantTx,
        viewer: &Viewer,
        include_archived: bool,
    ) -> Result<Vec<ProjectRow>, UiError> {
        const PAGE: u32 = 500;
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = projects::list_projects(tx, viewer, include_archived, after, PAGE).await?;
            let full = page.len() == PAGE as usize;
            after = page.last().map(|p| p.position());
            out.extend(page.into_iter().map(|p| ProjectRow {
                id: p.id.to_string(),
                name: p.name,
                key_prefix: p.key_prefix,
                archived: p.archived,
            }));
            if !full {
                return Ok(out);
            }
        }
    }

    pub async fn all_tags(tx: &mut TenantTx, viewer: &Viewer) -> Result<Vec<TagRow>, UiError> {
        Ok(tags::list_tags(tx, viewer)
            .await?
            .into_iter()
            .map(|t| TagRow {
                id: t.id.to_string(),
                name: t.name,
                colour: t.colour,
            })
            .collect())
    }

    /// Tasks as rows, with project, assignee and tag names resolved, as `viewer` sees them.
    pub async fn rows(
        viewer: &Viewer,
        records: Vec<TaskRecord>,
        projects: &[ProjectRow],
        tags: &[TagRow],
    ) -> Result<Vec<TaskRow>, UiError> {
        let assignees: Vec<Uuid> = records.iter().filter_map(|t| t.assignee_id).collect();
        let names = names(assignees).await?;
        let today = today().await?;
        Ok(records
            .into_iter()
            .map(|t| {
                let tag_ids: Vec<String> = t.tag_ids.iter().map(Uuid::to_string).collect();
                TaskRow {
                    created_by_me: t.facts(viewer).viewer_is_creator,
                    id: t.id.to_string(),
                    key: t.key.clone(),
                    parent_id: t.parent_id.map(|p| p.to_string()),
                    blocked: t.blocked,
                    recurring: t.recurring,
                    fields: super::fields::srv::cells(&t.fields),
                    subtasks: (t.subtasks_done, t.subtasks_total),
                    project_name: projects
                        .iter()
                        .find(|p| p.id == t.project_id.to_string())
                        .map(|p| p.name.clone())
                        .unwrap_or_default(),
                    project_id: t.project_id.to_string(),
                    assignee: t.assignee_id.map(|id| Person {
                        id: id.to_string(),
                        name: names.get(&id).cloned().unwrap_or_default(),
                    }),
                    due_on: t.due_on.map(iso),
                    overdue: t.status != "done" && t.due_on.is_some_and(|d| d < today),
                    private: t.private,
                    tags: tags
                        .iter()
                        .filter(|g| tag_ids.contains(&g.id))
                        .cloned()
                        .collect(),
                    title: t.title,
                    status: t.status,
                    priority: t.priority,
                }
            })
            .collect())
    }

    /// A list position as the cursor of a "next page" link: the REST API's format (core's).
    pub fn cursor_text(position: work::Position) -> String {
        position.to_cursor()
    }

    pub fn cursor_parse(text: Option<&str>) -> Result<Option<work::Position>, crate::UiError> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        work::Position::from_cursor(text)
            .map(Some)
            .ok_or_else(|| crate::UiError::invalid("cursor", crate::use_t().page_link_stale()))
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use time::macros::datetime;

        #[test]
        fn cursors_round_trip_and_garbage_is_refused() {
            let position = work::Position {
                created_at: datetime!(2026-11-25 10:00:00.123456 UTC),
                id: Uuid::new_v4(),
            };
            let text = cursor_text(position);
            assert_eq!(cursor_parse(Some(&text)).unwrap(), Some(position));
            assert_eq!(cursor_parse(Some("")).unwrap(), None);
            for garbage in ["x", "12_nope", "nope_00000000-0000-0000-0000-000000000000"] {
                assert!(cursor_parse(Some(garbage)).is_err(), "{garbage}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_and_priority_has_a_label() {
        for (value, label) in STATUSES.iter().chain(PRIORITIES.iter()) {
            let en = crate::i18n::Locale::En.t();
            assert!(status_word(en, value) == *label || priority_word(en, value) == *label);
        }
    }
}
