//! The task list: filters as a plain GET form (query parameters, so it works without scripts and
//! a filtered list can be bookmarked), "next page" links carrying a cursor, and the new-task form
//! for those who may create tasks.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::bulk_edit::{BulkBar, BulkEditTasks, SelectTask};
use super::fields::FieldDef;
use super::inline::{DueMenu, PropertyMenu, TagsMenu};
use super::task_actions::{AddTaskTag, RemoveTaskTag, SetTaskProperty};
use super::{
    BlockedBadge, FormError, LoadError, Person, ProjectRow, RecurringMark, SubtaskProgress,
    TagChip, TagRow, TaskRow, WorkNav, PRIORITIES, STATUSES,
};
use crate::error::action_error;
use crate::policy::{self, Role};
use crate::table::Table;
use crate::url::{encode, route_param};
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskListView {
    pub workspace_name: String,
    pub role: Role,
    /// The caller's unread notices, for the workspace's navigation.
    pub unread: i64,
    /// Where the workspace's live stream stood when this was read (`Live::seen`).
    pub seen: i64,
    pub tasks: Vec<TaskRow>,
    pub next_cursor: Option<String>,
    /// Every project the caller sees, archived ones included (for filtering).
    pub projects: Vec<ProjectRow>,
    /// Active members, for the assignee filter and picker; empty for guests.
    pub people: Vec<Person>,
    pub tags: Vec<TagRow>,
    /// The caller's saved views and, for admins and members, the shared ones.
    pub views: Vec<ViewRow>,
    /// The custom fields of the project the list is narrowed to (none without one): columns,
    /// sorts and a filter.
    pub fields: Vec<FieldDef>,
}

/// A saved view as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewRow {
    pub id: String,
    pub name: String,
    /// The list's query string, without `?`.
    pub query: String,
    pub shared: bool,
    /// Saved by the caller (the page asks `policy::can_delete_view` with it).
    pub mine: bool,
}

/// The list's columns a view can show or hide, with their query names (the title always shows).
pub const COLUMNS: [&str; 6] = ["project", "status", "priority", "assignee", "due", "tags"];

/// The list's filters, as named in the query string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    pub project: Option<String>,
    pub status: Option<String>,
    pub assignee: Option<String>,
    pub tag: Option<String>,
    pub due_before: Option<String>,
    pub q: Option<String>,
    /// A custom field's id, and the value it must have (any value when empty).
    pub field: Option<String>,
    pub field_value: Option<String>,
    /// `created` (the default), `updated`, `due`, `priority`, or `field:<id>[:desc]`.
    pub sort: Option<String>,
    /// The visible columns, comma-separated; all when empty.
    pub cols: Option<String>,
    pub cursor: Option<String>,
}

impl Filters {
    const KEYS: [&'static str; 11] = [
        "project",
        "status",
        "assignee",
        "tag",
        "due_before",
        "q",
        "field",
        "field_value",
        "sort",
        "cols",
        "cursor",
    ];

    fn get(&self, key: &str) -> Option<&String> {
        match key {
            "project" => self.project.as_ref(),
            "status" => self.status.as_ref(),
            "assignee" => self.assignee.as_ref(),
            "tag" => self.tag.as_ref(),
            "due_before" => self.due_before.as_ref(),
            "q" => self.q.as_ref(),
            "field" => self.field.as_ref(),
            "field_value" => self.field_value.as_ref(),
            "sort" => self.sort.as_ref(),
            "cols" => self.cols.as_ref(),
            _ => self.cursor.as_ref(),
        }
    }

    fn any(&self) -> bool {
        Self::KEYS[..8]
            .iter()
            .any(|k| self.get(k).is_some_and(|v| !v.is_empty()))
    }

    /// Whether a column is shown: every one unless the query names some.
    fn shows(&self, column: &str) -> bool {
        match self.cols.as_deref().filter(|c| !c.is_empty()) {
            None => true,
            Some(cols) => cols.split(',').any(|c| c == column),
        }
    }

    /// The query string of these filters on the page after `cursor` (the first page if none);
    /// empty filters are left out.
    fn query(&self, cursor: Option<&str>) -> String {
        let mut parts: Vec<String> = Self::KEYS[..10]
            .iter()
            .filter_map(|k| {
                self.get(k)
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}", encode(v)))
            })
            .collect();
        if let Some(cursor) = cursor {
            parts.push(format!("cursor={}", encode(cursor)));
        }
        format!("?{}", parts.join("&"))
    }
}

#[cfg(feature = "ssr")]
pub const PAGE_SIZE: u32 = 25;

#[server(prefix = "/api/fn", endpoint = "tasks")]
#[allow(clippy::too_many_arguments)]
pub async fn load_tasks(
    slug: String,
    project: Option<String>,
    status: Option<String>,
    assignee: Option<String>,
    tag: Option<String>,
    due_before: Option<String>,
    q: Option<String>,
    field: Option<String>,
    field_value: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
) -> Result<TaskListView, UiError> {
    let filters = Filters {
        project,
        status,
        assignee,
        tag,
        due_before,
        q,
        field,
        field_value,
        sort,
        cols: None,
        cursor,
    };
    use super::srv;
    use bastion_core::work::tasks::{self, TaskFilter, TaskSort};
    let stale = crate::use_t().page_link_stale();
    let sort = TaskSort::parse(filters.sort.as_deref().unwrap_or_default())?;
    let mut o = crate::server::open(&slug).await?;
    // Before the data: what the stream announced up to here is in it.
    let seen = bastion_core::platform::live::position(&mut o.tx).await?;
    let filter = TaskFilter {
        project_id: srv::opt_id("project_id", filters.project.as_deref())?,
        status: srv::opt_choice("status", filters.status.as_deref(), &STATUSES)?,
        assignee_id: srv::opt_id("assignee_id", filters.assignee.as_deref())?,
        tag_id: srv::opt_id("tag_id", filters.tag.as_deref())?,
        due_before: srv::opt_date("due_before", filters.due_before.as_deref())?,
        q: filters.q.clone(),
        field: srv::opt_id("field", filters.field.as_deref())?.map(|field_id| {
            bastion_core::work::fields::FieldFilter {
                field_id,
                value: filters.field_value.clone().unwrap_or_default(),
            }
        }),
    };
    // The list's own order pages by keyset; a sorted view by offset (`o:<rows skipped>`).
    let (mut records, offset) = if sort == TaskSort::Created {
        let after = srv::page_after(filters.cursor.as_deref())?;
        let records =
            tasks::list_tasks(&mut o.tx, &o.viewer, &filter, after, PAGE_SIZE + 1).await?;
        (records, None)
    } else {
        let offset = match filters
            .cursor
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => 0,
            Some(c) => c
                .strip_prefix("o:")
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| UiError::invalid("cursor", stale.to_owned()))?,
        };
        let records =
            tasks::list_tasks_sorted(&mut o.tx, &o.viewer, &filter, sort, offset, PAGE_SIZE + 1)
                .await?;
        (records, Some(offset))
    };
    let next_cursor = if records.len() > PAGE_SIZE as usize {
        records.truncate(PAGE_SIZE as usize);
        match offset {
            Some(offset) => Some(format!("o:{}", offset + PAGE_SIZE)),
            None => records.last().map(|t| srv::cursor_text(t.position())),
        }
    } else {
        None
    };
    let views = bastion_core::work::views::list(&mut o.tx, &o.viewer)
        .await?
        .into_iter()
        .map(|v| ViewRow {
            id: v.id.to_string(),
            mine: v.owner_id == o.viewer.user_id,
            name: v.name,
            query: v.query,
            shared: v.shared,
        })
        .collect();
    let projects = srv::all_projects(&mut o.tx, &o.viewer, true).await?;
    let tags = srv::all_tags(&mut o.tx, &o.viewer).await?;
    let member_ids = srv::member_ids(&mut o.tx, o.viewer.role).await?;
    let unread = bastion_core::work::notifications::unread_count(&mut o.tx, &o.viewer).await?;
    // A project the caller does not see has no fields for them: the list is empty anyway.
    let fields = match filter.project_id {
        Some(project) => super::fields::srv::defs(&mut o.tx, &o.viewer, project)
            .await
            .or_else(|e| match e {
                UiError::NotFound(_) => Ok(Vec::new()),
                other => Err(other),
            })?,
        None => Vec::new(),
    };
    o.tx.commit().await?;
    let people = srv::people(member_ids).await?;
    let mut tasks = srv::rows(&o.viewer, records, &projects, &tags).await?;
    let mut cells: Vec<_> = tasks.iter_mut().flat_map(|t| t.fields.iter_mut()).collect();
    super::fields::srv::show(&mut cells, &fields).await?;
    Ok(TaskListView {
        workspace_name: o.workspace.name,
        role: o.viewer.role,
        unread,
        seen,
        tasks,
        next_cursor,
        projects,
        people,
        tags,
        views,
        fields,
    })
}

/// Saves the list's current query (filters, sort, columns) as a view (`work::views::create`).
#[server(prefix = "/api/fn", endpoint = "save_view")]
pub async fn save_view(
    slug: String,
    name: String,
    query: String,
    shared: Option<String>,
) -> Result<String, UiError> {
    let t = crate::use_t();
    let mut o = crate::server::open(&slug).await?;
    let view =
        bastion_core::work::views::create(&mut o.tx, &o.viewer, &name, &query, shared.is_some())
            .await?;
    o.tx.commit().await?;
    Ok(t.view_saved(view.name))
}

/// Deletes a saved view (`work::views::delete`).
#[server(prefix = "/api/fn", endpoint = "delete_view")]
pub async fn delete_view(slug: String, id: String) -> Result<String, UiError> {
    let t = crate::use_t();
    let id = super::srv::id_or_404(&id, "view")?;
    let mut o = crate::server::open(&slug).await?;
    bastion_core::work::views::delete(&mut o.tx, &o.viewer, id).await?;
    o.tx.commit().await?;
    Ok(t.view_deleted().to_owned())
}

/// Creates a task and goes to its page.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api/fn", endpoint = "create_task")]
pub async fn create_task(
    slug: String,
    title: String,
    project_id: String,
    status: Option<String>,
    priority: Option<String>,
    assignee_id: Option<String>,
    due_on: Option<String>,
    private: Option<String>,
    description: Option<String>,
) -> Result<(), UiError> {
    use super::srv;
    let description = match description {
        Some(text) => Some(super::task_actions::typed_mentions(&slug, &text).await?),
        None => None,
    };
    let mut o = crate::server::open(&slug).await?;
    let Some(project_id) = srv::opt_id("project_id", Some(&project_id))? else {
        return Err(UiError::invalid(
            "project_id",
            crate::use_t().choose_project(),
        ));
    };
    let task = bastion_core::work::tasks::create_task(
        &mut o.tx,
        &o.viewer,
        bastion_core::work::tasks::NewTask {
            project_id,
            title,
            description,
            status: srv::opt_choice("status", status.as_deref(), &STATUSES)?,
            priority: srv::opt_choice("priority", priority.as_deref(), &PRIORITIES)?,
            assignee_id: srv::opt_id("assignee_id", assignee_id.as_deref())?,
            due_on: srv::opt_date("due_on", due_on.as_deref())?,
            private: private.is_some_and(|p| !p.is_empty() && p != "false"),
        },
    )
    .await?;
    o.tx.commit().await?;
    leptos_axum::redirect(&format!("/w/{slug}/tasks/{}", task.id));
    Ok(())
}

#[component]
pub fn TaskListPage() -> impl IntoView {
    let query = use_query_map();
    let slug = route_param("slug");
    let filters = move || {
        let q = query.read();
        // Columns come as `cols=a,b` (a view's link) or one `cols` per ticked box (the form).
        let cols: Vec<String> = q
            .get_all("cols")
            .unwrap_or_default()
            .iter()
            .flat_map(|c| c.split(',').map(str::to_owned).collect::<Vec<_>>())
            .filter(|c| COLUMNS.contains(&c.as_str()) || c.starts_with("f:"))
            .collect();
        Filters {
            project: q.get("project"),
            status: q.get("status"),
            assignee: q.get("assignee"),
            tag: q.get("tag"),
            due_before: q.get("due_before"),
            q: q.get("q"),
            field: q.get("field"),
            field_value: q.get("field_value"),
            sort: q.get("sort"),
            cols: (!cols.is_empty()).then(|| cols.join(",")),
            cursor: q.get("cursor"),
        }
    };
    let current_view = move || query.read().get("view");
    let create = crate::error::server_action::<CreateTask>();
    let bulk = crate::error::server_action::<BulkEditTasks>();
    let save_view = crate::error::server_action::<SaveView>();
    let delete_view = crate::error::server_action::<DeleteView>();
    let set_prop = crate::error::server_action::<SetTaskProperty>();
    let add_tag = crate::error::server_action::<AddTaskTag>();
    let remove_tag = crate::error::server_action::<RemoveTaskTag>();
    // Blocking: the response waits for the data, so a refusal is sent with its status (404, 403)
    // and the page's title is in the head.
    let data = Resource::new_blocking(
        move || {
            let mut f = filters();
            // Columns change what is shown, not what is read.
            f.cols = None;
            (
                slug(),
                f,
                bulk.version().get(),
                save_view.version().get(),
                delete_view.version().get(),
                set_prop.version().get() + add_tag.version().get() + remove_tag.version().get(),
            )
        },
        |(slug, f, _, _, _, _)| {
            load_tasks(
                slug,
                f.project,
                f.status,
                f.assignee,
                f.tag,
                f.due_before,
                f.q,
                f.field,
                f.field_value,
                f.sort,
                f.cursor,
            )
        },
    );
    let create_error = action_error(create);
    let prop_error = action_error(set_prop);
    let add_tag_error = action_error(add_tag);
    let remove_tag_error = action_error(remove_tag);
    let t = crate::use_t();

    view! {
        <Title text=t.tasks_title()/>
        <Transition fallback=move || view! { <p>{t.tasks_loading()}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError title=t.nav_tasks() error=e/> }.into_any(),
                    Ok(list) => {
                        let slug = slug();
                        let f = filters();
                        let open_projects: Vec<ProjectRow> =
                            list.projects.iter().filter(|p| !p.archived).cloned().collect();
                        let can_create = policy::can_create_task(list.role);
                        // Guests may edit no task, so they get no selection to make.
                        let can_bulk = policy::can_edit_task(list.role, &Default::default())
                            || policy::can_manage_task_tags(list.role);
                        let next = list.next_cursor.as_deref().map(|c| f.query(Some(c)));
                        let filtered = f.any();
                        let first_page = f.cursor.as_deref().unwrap_or_default().is_empty();
                        view! {
                            <Title text=super::raw_text(&t.tasks_workspace_title(&list.workspace_name))/>
                            <WorkNav slug=slug.clone() role=list.role unread=list.unread current="tasks"/>
                            {crate::live::follow(slug.clone(), crate::live::Follows::TasksOrInbox, None, list.seen)}
                            <section class="card" aria-labelledby="tasks-title">
                                <h1 id="tasks-title">{t.nav_tasks()}</h1>
                                {can_create.then(|| view! {
                                    <NewTaskForm slug=slug.clone() projects=open_projects.clone() people=list.people.clone() action=create/>
                                    <FormError error=create_error/>
                                })}
                                <SavedViews slug=slug.clone() filters=f.clone() views=list.views.clone() role=list.role
                                    current=current_view() save=save_view delete=delete_view/>
                                <FilterForm filters=f.clone() list=list.clone()/>
                                {if list.tasks.is_empty() {
                                    let text = if filtered {
                                        t.tasks_no_match()
                                    } else if !first_page {
                                        t.tasks_no_more()
                                    } else if can_create && !open_projects.is_empty() {
                                        t.tasks_empty_create()
                                    } else if can_create {
                                        t.tasks_empty()
                                    } else {
                                        t.tasks_none_shared()
                                    };
                                    view! { <p class="empty">{text}</p> }.into_any()
                                } else {
                                    let page_ids: Vec<String> = list.tasks.iter().map(|t| t.id.clone()).collect();
                                    view! {
                                        {can_bulk.then(|| view! {
                                            <BulkBar slug=slug.clone() page_ids action=bulk
                                                projects=list.projects.clone() people=list.people.clone() tags=list.tags.clone()/>
                                        })}
                                        <FormError error=prop_error/>
                                        <FormError error=add_tag_error/>
                                        <FormError error=remove_tag_error/>
                                        <TaskTable slug=slug.clone() tasks=list.tasks.clone() bulk=can_bulk filters=f.clone() fields=list.fields.clone()
                                            role=list.role people=list.people.clone() set_prop
                                            all_tags=list.tags.clone() add_tag remove_tag/>
                                    }.into_any()
                                }}
                                <nav class="pager" aria-label=t.pages()>
                                    {(!first_page).then(|| view! { <a href=f.query(None)>{t.first_page()}</a> })}
                                    {next.map(|href| view! { <a class="button small secondary" href=href rel="next">{t.next_page()}</a> })}
                                </nav>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn column_label(t: crate::i18n::T, col: &str) -> &'static str {
    match col {
        "project" => t.group_project(),
        "status" => t.col_status(),
        "priority" => t.col_priority(),
        "assignee" => t.col_assignee(),
        "due" => t.col_due(),
        _ => t.tags(),
    }
}

/// The saved views: links that open the list with each view's query (the current one marked),
/// a delete button where `policy` allows it, and a form saving the list as it is now.
#[component]
fn SavedViews(
    slug: String,
    filters: Filters,
    views: Vec<ViewRow>,
    role: Role,
    current: Option<String>,
    save: ServerAction<SaveView>,
    delete: ServerAction<DeleteView>,
) -> impl IntoView {
    let t = crate::use_t();
    let save_outcome = crate::error::action_outcome(save);
    let delete_outcome = crate::error::action_outcome(delete);
    let query = filters.query(None).trim_start_matches('?').to_owned();
    let may_share = policy::can_share_view(role);
    view! {
        <section class="saved-views" aria-labelledby="views-title">
            <div class="views-row">
            <h2 id="views-title">{t.views_heading()}</h2>
            {if views.is_empty() {
                view! { <p class="muted">{t.views_none()}</p> }.into_any()
            } else {
                view! {
                    <ul class="view-list">
                        {views.into_iter().map(|v| {
                            let href = if v.query.is_empty() { format!("?view={}", v.id) } else { format!("?{}&view={}", v.query, v.id) };
                            let is_current = current.as_deref() == Some(v.id.as_str());
                            let may_delete = policy::can_delete_view(role, v.mine);
                            let label = t.view_delete_named(v.name.clone());
                            let slug = slug.clone();
                            view! {
                                <li>
                                    <a href=href aria-current=is_current.then_some("page")>{v.name.clone()}</a>
                                    {v.shared.then(|| view! { " " <span class="badge">{t.view_shared_badge()}</span> })}
                                    {may_delete.then(|| view! {
                                        <ActionForm action=delete attr:class="inline-form">
                                            <input type="hidden" name="slug" value=slug/>
                                            <input type="hidden" name="id" value=v.id.clone()/>
                                            <button type="submit" class="button small secondary" aria-label=label>{t.view_delete()}</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            </div>
            <crate::error::FormOutcome outcome=delete_outcome ok_class="form-ok"/>
            <details class="save-view-details">
            <summary>{t.view_save_this()}</summary>
            <ActionForm action=save attr:class="form inline-fields save-view">
                <input type="hidden" name="slug" value=slug.clone()/>
                <input type="hidden" name="query" value=query/>
                <div class="field">
                    <label for="view-name">{t.view_name()}</label>
                    <input id="view-name" name="name" type="text" maxlength="80" required/>
                </div>
                {may_share.then(|| view! {
                    <div class="check">
                        <input type="checkbox" id="view-shared" name="shared" value="on"/>
                        <label for="view-shared">{t.view_share()}</label>
                    </div>
                })}
                <button type="submit" class="button small" disabled=move || save.pending().get()>{t.view_save()}</button>
            </ActionForm>
            </details>
            <crate::error::FormOutcome outcome=save_outcome ok_class="form-ok"/>
        </section>
    }
}

#[component]
fn FilterForm(filters: Filters, list: TaskListView) -> impl IntoView {
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    let t = crate::use_t();
    view! {
        <form method="get" class="filters" role="search" aria-label=t.filter_tasks()>
            <div class="field">
                <label for="f-q">{t.search()}</label>
                <input id="f-q" name="q" type="search" value=filters.q.clone().unwrap_or_default() placeholder=t.search_placeholder()/>
            </div>
            <div class="field">
                <label for="f-project">{t.group_project()}</label>
                <select id="f-project" name="project">
                    <option value="">{t.all_projects()}</option>
                    {list.projects.iter().map(|p| view! {
                        <option value=p.id.clone() selected=selected(&filters.project, &p.id)>
                            {p.name.clone()}{p.archived.then(|| format!(" {}", t.archived_suffix()))}
                        </option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-status">{t.col_status()}</label>
                <select id="f-status" name="status">
                    <option value="">{t.any_status()}</option>
                    {STATUSES.iter().map(|(value, _)| view! {
                        <option value=*value selected=selected(&filters.status, value)>{super::status_word(t, value)}</option>
                    }).collect_view()}
                </select>
            </div>
            {(!list.people.is_empty()).then(|| view! {
                <div class="field">
                    <label for="f-assignee">{t.col_assignee()}</label>
                    <select id="f-assignee" name="assignee">
                        <option value="">{t.audit_anyone()}</option>
                        {list.people.iter().map(|p| view! {
                            <option value=p.id.clone() selected=selected(&filters.assignee, &p.id)>{p.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
            })}
            <div class="field">
                <label for="f-tag">{t.col_tag()}</label>
                <select id="f-tag" name="tag">
                    <option value="">{t.any_tag()}</option>
                    {list.tags.iter().map(|tag| view! {
                        <option value=tag.id.clone() selected=selected(&filters.tag, &tag.id)>{tag.name.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-due">{t.due_before()}</label>
                <input id="f-due" name="due_before" type="date" value=filters.due_before.clone().unwrap_or_default()/>
            </div>
            {(!list.fields.is_empty()).then(|| view! {
                <div class="field">
                    <label for="f-field">{t.filter_field()}</label>
                    <select id="f-field" name="field">
                        <option value="">{t.filter_field_any()}</option>
                        {list.fields.iter().map(|f| view! {
                            <option value=f.id.clone() selected=selected(&filters.field, &f.id)>{f.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-field-value">{t.filter_field_value()}</label>
                    <input id="f-field-value" name="field_value" type="search" maxlength="200" value=filters.field_value.clone().unwrap_or_default()/>
                </div>
            })}
            <div class="field">
                <label for="f-sort">{t.sort_by()}</label>
                <select id="f-sort" name="sort">
                    {
                        let current = filters.sort.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "created".into());
                        let mut choices: Vec<(String, String)> = [("created", t.sort_created()), ("updated", t.sort_updated()), ("due", t.sort_due()), ("priority", t.sort_priority())]
                            .into_iter()
                            .map(|(value, label)| (value.to_owned(), label.to_owned()))
                            .collect();
                        for f in list.fields.iter().filter(|f| f.sortable()) {
                            choices.push((format!("field:{}", f.id), t.sort_field_asc(&f.name)));
                            choices.push((format!("field:{}:desc", f.id), t.sort_field_desc(&f.name)));
                        }
                        choices.into_iter().map(|(value, label)| {
                            let on = current == value;
                            view! { <option value=value selected=on>{label}</option> }
                        }).collect_view()
                    }
                </select>
            </div>
            // Folded away: choosing columns is rarer than filtering. One control, not six
            // checkboxes: each column's name is already a filter's label.
            <details class="field columns-choice">
                <summary>{t.columns_legend()}</summary>
                <label for="f-cols" class="visually-hidden">{t.columns_legend()}</label>
                <select id="f-cols" name="cols" multiple size=(COLUMNS.len() + list.fields.len()).min(10).to_string() aria-describedby="f-cols-hint">
                    {COLUMNS.into_iter().map(|col| view! {
                        <option value=col selected=filters.shows(col)>{column_label(t, col)}</option>
                    }).collect_view()}
                    {list.fields.iter().map(|f| {
                        let col = format!("f:{}", f.id);
                        view! { <option value=col.clone() selected=filters.shows(&col)>{f.name.clone()}</option> }
                    }).collect_view()}
                </select>
                <span class="muted" id="f-cols-hint">{t.columns_hint()}</span>
            </details>
            <div class="field actions">
                <button type="submit" class="button small">{t.filter()}</button>
                <a href="?" class="clear-filters">{t.clear_filters()}</a>
            </div>
        </form>
    }
}

#[component]
fn TaskTable(
    slug: String,
    tasks: Vec<TaskRow>,
    /// Whether the caller may edit in bulk: a first column of checkboxes.
    bulk: bool,
    /// Which columns show (`cols`).
    filters: Filters,
    /// The custom fields of the project the list is narrowed to, each a column (`f:<id>`).
    fields: Vec<FieldDef>,
    /// Who is looking (policy decides which rows they may change in place), who may be assigned,
    /// and the change itself.
    role: Role,
    people: Vec<Person>,
    set_prop: ServerAction<SetTaskProperty>,
    /// The workspace's tags, and putting one on a task or taking it off.
    all_tags: Vec<TagRow>,
    add_tag: ServerAction<AddTaskTag>,
    remove_tag: ServerAction<RemoveTaskTag>,
) -> impl IntoView {
    let t = crate::use_t();
    let statuses: Vec<(String, String)> = STATUSES
        .iter()
        .map(|(v, _)| (v.to_string(), super::status_word(t, v).to_owned()))
        .collect();
    let priorities: Vec<(String, String)> = PRIORITIES
        .iter()
        .map(|(v, _)| (v.to_string(), super::priority_word(t, v).to_owned()))
        .collect();
    let mut assignees: Vec<(String, String)> = vec![(String::new(), t.nobody().to_owned())];
    assignees.extend(people.into_iter().map(|p| (p.id, p.name)));
    let show = |col: &str| filters.shows(col);
    let (p, s, pr, a, d, tg) = (
        show("project"),
        show("status"),
        show("priority"),
        show("assignee"),
        show("due"),
        show("tags"),
    );
    let mut heads = vec![t.col_key(), t.label_title_short()];
    for (on, head) in [
        (p, t.group_project()),
        (s, t.col_status()),
        (pr, t.col_priority()),
        (a, t.col_assignee()),
        (d, t.col_due()),
    ] {
        if on {
            heads.push(head);
        }
    }
    let fields: Vec<FieldDef> = fields
        .into_iter()
        .filter(|f| filters.shows(&format!("f:{}", f.id)))
        .collect();
    let more_heads: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
    if bulk {
        heads.insert(0, t.col_select());
    }
    view! {
        <div class="table-scroll">
        <Table class="table task-table" heads=heads more_heads=more_heads>
            {tasks.into_iter().map(|task| {
                let href = format!("/w/{slug}/tasks/{}", task.id);
                let edit = policy::can_edit_task(role, &task.facts());
                let of = |what: &str| t.property_of(what, &task.key);
                view! {
                    <tr>
                        {bulk.then(|| view! {
                            <td data-label=t.col_select()>
                                <SelectTask id=task.id.clone() key=task.key.clone() title=task.title.clone()/>
                            </td>
                        })}
                        <td data-label=t.col_key()><span class="task-key">{task.key.clone()}</span></td>
                        <td data-label=t.label_title_short()>
                            <a href=href>{task.title.clone()}</a>
                            {task.private.then(|| view! { <span class="badge">{t.private_badge()}</span> })}
                            {task.blocked.then(|| view! { " " <BlockedBadge/> })}
                            {task.recurring.then(|| view! { " " <RecurringMark/> })}
                            {(task.subtasks.1 > 0).then(|| view! { " " <SubtaskProgress done=task.subtasks.0 total=task.subtasks.1/> })}
                            {tg.then(|| if policy::can_manage_task_tags(role) && !all_tags.is_empty() {
                                view! {
                                    " "
                                    <TagsMenu slug=slug.clone() task_id=task.id.clone() label=of(t.tags()) on_task=task.tags.clone()
                                        all=all_tags.clone() add=add_tag remove=remove_tag/>
                                }.into_any()
                            } else {
                                task.tags.clone().into_iter().map(|tag| view! { " " <TagChip tag/> }).collect_view().into_any()
                            })}
                        </td>
                        {p.then(|| view! { <td data-label=t.group_project()>{task.project_name.clone()}</td> })}
                        {s.then(|| {
                            let badge = view! { <span class=format!("status status-{}", task.status)>{super::status_word(t, &task.status)}</span> };
                            let cell = if edit {
                                view! {
                                    <PropertyMenu slug=slug.clone() task_id=task.id.clone() property="status" label=of(t.col_status())
                                        current=task.status.clone() choices=statuses.clone() action=set_prop>{badge}</PropertyMenu>
                                }.into_any()
                            } else {
                                badge.into_any()
                            };
                            view! { <td data-label=t.col_status()>{cell}</td> }
                        })}
                        {pr.then(|| {
                            let badge = view! { <span class=format!("priority priority-{}", task.priority)>{super::priority_word(t, &task.priority)}</span> };
                            let cell = if edit {
                                view! {
                                    <PropertyMenu slug=slug.clone() task_id=task.id.clone() property="priority" label=of(t.col_priority())
                                        current=task.priority.clone() choices=priorities.clone() action=set_prop>{badge}</PropertyMenu>
                                }.into_any()
                            } else {
                                badge.into_any()
                            };
                            view! { <td data-label=t.col_priority()>{cell}</td> }
                        })}
                        {a.then(|| {
                            let current = task.assignee.as_ref().map(|p| p.id.clone()).unwrap_or_default();
                            let name = task.assignee.as_ref().map(|p| p.name.clone()).unwrap_or_else(|| "—".into());
                            let cell = if edit && assignees.len() > 1 {
                                view! {
                                    <PropertyMenu slug=slug.clone() task_id=task.id.clone() property="assignee_id" label=of(t.col_assignee())
                                        current choices=assignees.clone() action=set_prop>{name}</PropertyMenu>
                                }.into_any()
                            } else {
                                name.into_any()
                            };
                            view! { <td data-label=t.col_assignee()>{cell}</td> }
                        })}
                        {d.then(|| {
                            let shown = view! {
                                {task.due_on.as_deref().map(|d| crate::i18n::format_iso_date(t.0, d)).unwrap_or_else(|| "—".into())}
                                {task.overdue.then(|| view! { <span class="visually-hidden">" " {t.overdue_suffix()}</span> })}
                            };
                            let cell = if edit {
                                view! {
                                    <DueMenu slug=slug.clone() task_id=task.id.clone() label=of(t.col_due())
                                        current=task.due_on.clone() action=set_prop>{shown}</DueMenu>
                                }.into_any()
                            } else {
                                shown.into_any()
                            };
                            view! { <td class="due" data-label=t.col_due() class:overdue=task.overdue>{cell}</td> }
                        })}
                        {fields.iter().map(|f| {
                            let shown = task.fields.iter().find(|c| c.field_id == f.id).map(|c| c.shown.clone());
                            let money = matches!(f.kind.as_str(), "money" | "number");
                            view! { <td data-label=f.name.clone() class:num=money>{shown.unwrap_or_else(|| "—".into())}</td> }
                        }).collect_view()}
                    </tr>
                }.into_any()
            }).collect_view()}
        </Table>
        </div>
    }
}

#[component]
fn NewTaskForm(
    slug: String,
    projects: Vec<ProjectRow>,
    people: Vec<Person>,
    action: ServerAction<CreateTask>,
) -> impl IntoView {
    let t = crate::use_t();
    if projects.is_empty() {
        return view! {
            <p class="muted">
                {t.tasks_live_in_projects()} " " <a href=format!("/w/{slug}")>{t.create_project_first()}</a>
            </p>
        }
        .into_any();
    }
    view! {
        <details class="panel new-task">
            <summary>{t.new_task()}</summary>
            <ActionForm action=action attr:class="form grid-form">
                <input type="hidden" name="slug" value=slug/>
                <div class="field wide">
                    <label for="t-title">{t.label_title_short()}</label>
                    <input id="t-title" name="title" required maxlength="300"/>
                </div>
                <div class="field">
                    <label for="t-project">{t.group_project()}</label>
                    <select id="t-project" name="project_id" required>
                        {projects.into_iter().map(|p| view! { <option value=p.id>{p.name}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="t-status">{t.col_status()}</label>
                    <select id="t-status" name="status">
                        {STATUSES.iter().map(|(v, _)| view! { <option value=*v>{super::status_word(t, v)}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="t-priority">{t.col_priority()}</label>
                    <select id="t-priority" name="priority">
                        {PRIORITIES.iter().map(|(v, _)| view! { <option value=*v selected=*v == "normal">{super::priority_word(t, v)}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="t-assignee">{t.col_assignee()}</label>
                    <select id="t-assignee" name="assignee_id">
                        <option value="">{t.nobody()}</option>
                        {people.into_iter().map(|p| view! { <option value=p.id>{p.name}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="t-due">{t.due_date()}</label>
                    <input id="t-due" name="due_on" type="date"/>
                </div>
                <div class="field check">
                    <input id="t-private" name="private" type="checkbox" value="true"/>
                    <label for="t-private">{t.private_label()}</label>
                </div>
                <div class="field wide">
                    <label for="t-description">{t.description_markdown()}</label>
                    <textarea id="t-description" name="description" rows="4" maxlength="20000"></textarea>
                </div>
                <div class="field wide">
                    <button type="submit" class="button" disabled=move || action.pending().get()>{t.create_task()}</button>
                </div>
            </ActionForm>
        </details>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_page_links_keep_the_filters_and_encode_them() {
        let filters = Filters {
            status: Some("todo".into()),
            q: Some("a&b c".into()),
            project: Some(String::new()),
            cursor: Some("old".into()),
            ..Filters::default()
        };
        assert_eq!(
            filters.query(Some("1_x")),
            "?status=todo&q=a%26b%20c&cursor=1_x"
        );
        assert_eq!(filters.query(None), "?status=todo&q=a%26b%20c");
        assert!(filters.any());
        assert!(!Filters::default().any());
    }
}
