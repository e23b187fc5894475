//! The task list: filters as a plain GET form (query parameters, so it works without scripts and
//! a filtered list can be bookmarked), "next page" links carrying a cursor, and the new-task form
//! for those who may create tasks.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::bulk_edit::{BulkBar, BulkEditTasks, SelectTask};
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
    pub tasks: Vec<TaskRow>,
    pub next_cursor: Option<String>,
    /// Every project the caller sees, archived ones included (for filtering).
    pub projects: Vec<ProjectRow>,
    /// Active members, for the assignee filter and picker; empty for guests.
    pub people: Vec<Person>,
    pub tags: Vec<TagRow>,
}

/// The list's filters, as named in the query string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    pub project: Option<String>,
    pub status: Option<String>,
    pub assignee: Option<String>,
    pub tag: Option<String>,
    pub due_before: Option<String>,
    pub q: Option<String>,
    pub cursor: Option<String>,
}

impl Filters {
    const KEYS: [&'static str; 7] = [
        "project",
        "status",
        "assignee",
        "tag",
        "due_before",
        "q",
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
            _ => self.cursor.as_ref(),
        }
    }

    fn any(&self) -> bool {
        Self::KEYS[..6]
            .iter()
            .any(|k| self.get(k).is_some_and(|v| !v.is_empty()))
    }

    /// The query string of these filters on the page after `cursor` (the first page if none);
    /// empty filters are left out.
    fn query(&self, cursor: Option<&str>) -> String {
        let mut parts: Vec<String> = Self::KEYS[..6]
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
    cursor: Option<String>,
) -> Result<TaskListView, UiError> {
    let filters = Filters {
        project,
        status,
        assignee,
        tag,
        due_before,
        q,
        cursor,
    };
    use super::srv;
    use bastion_core::work::tasks::{self, TaskFilter};
    let mut o = crate::server::open(&slug).await?;
    let filter = TaskFilter {
        project_id: srv::opt_id("project_id", filters.project.as_deref())?,
        status: srv::opt_choice("status", filters.status.as_deref(), &STATUSES)?,
        assignee_id: srv::opt_id("assignee_id", filters.assignee.as_deref())?,
        tag_id: srv::opt_id("tag_id", filters.tag.as_deref())?,
        due_before: srv::opt_date("due_before", filters.due_before.as_deref())?,
        q: filters.q.clone(),
    };
    let after = srv::page_after(filters.cursor.as_deref())?;
    let mut records =
        tasks::list_tasks(&mut o.tx, &o.viewer, &filter, after, PAGE_SIZE + 1).await?;
    let next_cursor = if records.len() > PAGE_SIZE as usize {
        records.truncate(PAGE_SIZE as usize);
        records.last().map(|t| srv::cursor_text(t.position()))
    } else {
        None
    };
    let projects = srv::all_projects(&mut o.tx, &o.viewer, true).await?;
    let tags = srv::all_tags(&mut o.tx, &o.viewer).await?;
    let member_ids = srv::member_ids(&mut o.tx, o.viewer.role).await?;
    let unread = bastion_core::work::notifications::unread_count(&mut o.tx, &o.viewer).await?;
    o.tx.commit().await?;
    let people = srv::people(member_ids).await?;
    let tasks = srv::rows(&o.viewer, records, &projects, &tags).await?;
    Ok(TaskListView {
        workspace_name: o.workspace.name,
        role: o.viewer.role,
        unread,
        tasks,
        next_cursor,
        projects,
        people,
        tags,
    })
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
        Filters {
            project: q.get("project"),
            status: q.get("status"),
            assignee: q.get("assignee"),
            tag: q.get("tag"),
            due_before: q.get("due_before"),
            q: q.get("q"),
            cursor: q.get("cursor"),
        }
    };
    let create = ServerAction::<CreateTask>::new();
    let bulk = ServerAction::<BulkEditTasks>::new();
    // The ticked tasks, by id; kept outside the rebuilt content so a reload keeps them, and
    // emptied once a bulk edit went through.
    let selected = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        if bulk.value().with(|v| matches!(v, Some(Ok(_)))) {
            selected.set(Vec::new());
        }
    });
    // Blocking: the response waits for the data, so a refusal is sent with its status (404, 403)
    // and the page's title is in the head.
    let live = crate::live::use_live(slug, crate::live::tasks_or_inbox);
    let data = Resource::new_blocking(
        move || (slug(), filters(), bulk.version().get(), live.get()),
        |(slug, f, _, _)| {
            load_tasks(
                slug,
                f.project,
                f.status,
                f.assignee,
                f.tag,
                f.due_before,
                f.q,
                f.cursor,
            )
        },
    );
    let create_error = action_error(create);
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
                            <section class="card" aria-labelledby="tasks-title">
                                <h1 id="tasks-title">{t.nav_tasks()}</h1>
                                {can_create.then(|| view! {
                                    <NewTaskForm slug=slug.clone() projects=open_projects.clone() people=list.people.clone() action=create/>
                                    <FormError error=create_error/>
                                })}
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
                                            <BulkBar slug=slug.clone() page_ids selected action=bulk
                                                projects=list.projects.clone() people=list.people.clone() tags=list.tags.clone()/>
                                        })}
                                        <TaskTable slug=slug.clone() tasks=list.tasks.clone() selected=can_bulk.then_some(selected)/>
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
    /// The selection for bulk edit, when the caller may make one: a first column of checkboxes.
    selected: Option<RwSignal<Vec<String>>>,
) -> impl IntoView {
    let t = crate::use_t();
    let mut heads = vec![
        t.col_key(),
        t.label_title_short(),
        t.group_project(),
        t.col_status(),
        t.col_priority(),
        t.col_assignee(),
        t.col_due(),
    ];
    if selected.is_some() {
        heads.insert(0, t.col_select());
    }
    view! {
        <div class="table-scroll">
        <Table class="table task-table" heads=heads>
            {tasks.into_iter().map(|task| {
                let href = format!("/w/{slug}/tasks/{}", task.id);
                view! {
                    <tr>
                        {selected.map(|selected| view! {
                            <td data-label=t.col_select()>
                                <SelectTask id=task.id.clone() key=task.key.clone() title=task.title.clone() selected/>
                            </td>
                        })}
                        <td data-label=t.col_key()><span class="task-key">{task.key.clone()}</span></td>
                        <td data-label=t.label_title_short()>
                            <a href=href>{task.title.clone()}</a>
                            {task.private.then(|| view! { <span class="badge">{t.private_badge()}</span> })}
                            {task.blocked.then(|| view! { " " <BlockedBadge/> })}
                            {task.recurring.then(|| view! { " " <RecurringMark/> })}
                            {(task.subtasks.1 > 0).then(|| view! { " " <SubtaskProgress done=task.subtasks.0 total=task.subtasks.1/> })}
                            {task.tags.into_iter().map(|tag| view! { " " <TagChip tag/> }).collect_view()}
                        </td>
                        <td data-label=t.group_project()>{task.project_name.clone()}</td>
                        <td data-label=t.col_status()><span class=format!("status status-{}", task.status)>{super::status_word(t, &task.status)}</span></td>
                        <td data-label=t.col_priority()><span class=format!("priority priority-{}", task.priority)>{super::priority_word(t, &task.priority)}</span></td>
                        <td data-label=t.col_assignee()>{task.assignee.map(|p| p.name).unwrap_or_else(|| "—".into())}</td>
                        <td class="due" data-label=t.col_due() class:overdue=task.overdue>
                            {task.due_on.as_deref().map(|d| crate::i18n::format_iso_date(t.0, d)).unwrap_or_else(|| "—".into())}
                            {task.overdue.then(|| view! { <span class="visually-hidden">" " {t.overdue_suffix()}</span> })}
                        </td>
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
