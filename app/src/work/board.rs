//! The board: three columns by status. Each card moves with a small form (a status picker and a
//! button), so moving needs neither a mouse nor drag-and-drop.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::{
    announce, BlockedBadge, FormError, LoadError, Notice, ProjectRow, SubtaskProgress, TagChip,
    TaskRow, WorkNav, STATUSES,
};
use crate::error::action_error;
use crate::policy::{self, Role};
use crate::url::{query_params, route_param};
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardView {
    pub workspace_name: String,
    pub role: Role,
    /// The caller's unread notices, for the workspace's navigation.
    pub unread: i64,
    /// `(status, tasks shown, tasks in the column in all)` in board order.
    pub columns: Vec<(String, Vec<TaskRow>, i64)>,
    pub projects: Vec<ProjectRow>,
}

/// Cards per column; the task list pages through the rest.
#[cfg(feature = "ssr")]
pub const PER_COLUMN: u32 = 100;

#[server(prefix = "/api/fn", endpoint = "board")]
pub async fn load_board(slug: String, project: Option<String>) -> Result<BoardView, UiError> {
    use super::srv;
    use bastion_core::work::tasks::{self, TaskFilter};
    let mut o = crate::server::open(&slug).await?;
    let filter = TaskFilter {
        project_id: srv::opt_id("The project", project.as_deref())?,
        ..TaskFilter::default()
    };
    let board = tasks::board(&mut o.tx, &o.viewer, &filter, PER_COLUMN).await?;
    let projects = srv::all_projects(&mut o.tx, &o.viewer, true).await?;
    let tags = srv::all_tags(&mut o.tx, &o.viewer).await?;
    let unread = bastion_core::work::notifications::unread_count(&mut o.tx, &o.viewer).await?;
    o.tx.commit().await?;
    let mut columns = Vec::new();
    for (status, records, total) in [
        ("todo", board.todo, board.counts.todo),
        ("in_progress", board.in_progress, board.counts.in_progress),
        ("done", board.done, board.counts.done),
    ] {
        columns.push((
            status.to_owned(),
            srv::rows(&o.viewer, records, &projects, &tags).await?,
            total,
        ));
    }
    Ok(BoardView {
        workspace_name: o.workspace.name,
        role: o.viewer.role,
        unread,
        columns,
        projects,
    })
}

/// Moves a task to another status (the board's one change).
#[server(prefix = "/api/fn", endpoint = "move_task")]
pub async fn move_task(slug: String, task_id: String, status: String) -> Result<(), UiError> {
    use super::srv;
    use bastion_core::work::tasks;
    let mut o = crate::server::open(&slug).await?;
    let id = srv::id_or_404(&task_id, "task")?;
    let status = srv::opt_choice("The status", Some(&status), &STATUSES)?;
    tasks::update_task(
        &mut o.tx,
        &o.viewer,
        id,
        tasks::TaskPatch {
            status,
            ..tasks::TaskPatch::default()
        },
    )
    .await?;
    o.tx.commit().await?;
    Ok(())
}

#[component]
pub fn BoardPage() -> impl IntoView {
    let slug = route_param("slug");
    let param = query_params();
    let project = move || param("project");
    let moved = ServerAction::<MoveTask>::new();
    let live = crate::live::use_live(slug, crate::live::tasks_or_inbox);
    // Blocking: the response waits for the data, so a refusal is sent with its status (404, 403)
    // and the page's title is in the head.
    let data = Resource::new_blocking(
        move || (slug(), project(), moved.version().get(), live.get()),
        |(slug, project, _, _)| load_board(slug, project),
    );
    let move_error = action_error(moved);
    let notice = RwSignal::new(None);
    let t = crate::use_t();
    announce!(notice, moved => t.task_moved());

    view! {
        <Title text=t.board_title()/>
        <Notice notice/>
        <Transition fallback=move || view! { <p>{t.board_loading()}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError title=t.nav_board() error=e/> }.into_any(),
                    Ok(board) => {
                        let slug = slug();
                        let current = project();
                        let role = board.role;
                        view! {
                            <Title text=super::raw_text(&t.board_workspace_title(&board.workspace_name))/>
                            <WorkNav slug=slug.clone() role=board.role unread=board.unread current="board"/>
                            <div class="board-head">
                                <h1>{t.nav_board()}</h1>
                                <form method="get" class="inline-form" aria-label=t.show_one_project()>
                                    <label for="b-project">{t.group_project()}</label>
                                    <select id="b-project" name="project">
                                        <option value="">{t.all_projects()}</option>
                                        {board.projects.iter().map(|p| view! {
                                            <option value=p.id.clone() selected=current.as_deref() == Some(p.id.as_str())>{p.name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                    <button type="submit" class="button small secondary">{t.show()}</button>
                                </form>
                            </div>
                            <FormError error=move_error/>
                            <div class="board">
                                {board.columns.into_iter().map(|(status, tasks, total)| {
                                    let label = super::status_word(t, &status);
                                    let heading = format!("col-{status}");
                                    // The rest of a long column is in the task list, filtered the same way.
                                    let hidden = total - tasks.len() as i64;
                                    let rest = format!(
                                        "/w/{slug}/tasks?status={status}{}",
                                        current.as_deref().map(|p| format!("&project={p}")).unwrap_or_default()
                                    );
                                    view! {
                                        <section class="column" aria-labelledby=heading.clone()>
                                            <h2 id=heading.clone()>{label} " " <span class="count">{total}</span></h2>
                                            {if tasks.is_empty() {
                                                view! { <p class="muted column-empty">{t.nothing_here()}</p> }.into_any()
                                            } else {
                                                view! {
                                                    <ul class="cards">
                                                        {tasks.into_iter().map(|task| view! {
                                                            <Card slug=slug.clone() task=task role=role action=moved/>
                                                        }).collect_view()}
                                                    </ul>
                                                    {(hidden > 0).then(|| view! {
                                                        <p class="column-more">
                                                            <a href=rest>{if hidden == 1 { t.more_in_list_one().to_owned() } else { t.more_in_list(hidden) }}</a>
                                                        </p>
                                                    })}
                                                }.into_any()
                                            }}
                                        </section>
                                    }
                                }).collect_view()}
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Card(slug: String, task: TaskRow, role: Role, action: ServerAction<MoveTask>) -> impl IntoView {
    let can_move = policy::can_edit_task(role, &task.facts());
    let href = format!("/w/{slug}/tasks/{}", task.id);
    let select_id = format!("move-{}", task.id);
    let t = crate::use_t();
    let move_label = t.move_to_label(&task.title);
    view! {
        <li class="task-card">
            <a class="card-title" href=href><span class="task-key">{task.key.clone()}</span> " " {task.title.clone()}</a>
            <div class="card-meta">
                {task.blocked.then(|| view! { <BlockedBadge/> })}
                {(task.subtasks.1 > 0).then(|| view! { <SubtaskProgress done=task.subtasks.0 total=task.subtasks.1/> })}
                <span class=format!("priority priority-{}", task.priority)>{super::priority_word(t, &task.priority)}</span>
                {task.private.then(|| view! { <span class="badge">{t.private_badge()}</span> })}
                <span>{task.assignee.as_ref().map(|p| p.name.clone()).unwrap_or_else(|| t.unassigned().into())}</span>
                {task.due_on.clone().map(|d| view! {
                    <span class:overdue=task.overdue>{t.due_on_date(crate::i18n::format_iso_date(t.0, &d))}{task.overdue.then(|| format!(" {}", t.overdue_suffix()))}</span>
                })}
            </div>
            {(!task.tags.is_empty()).then(|| view! {
                <div class="card-tags">{task.tags.iter().cloned().map(|tag| view! { <TagChip tag/> }).collect_view()}</div>
            })}
            {can_move.then(|| view! {
                <ActionForm action=action attr:class="inline-form move-form">
                    <input type="hidden" name="slug" value=slug.clone()/>
                    <input type="hidden" name="task_id" value=task.id.clone()/>
                    <label class="visually-hidden" for=select_id.clone()>{move_label.clone()}</label>
                    <select id=select_id name="status">
                        {STATUSES.iter().map(|(v, _)| view! { <option value=*v selected=*v == task.status>{super::status_word(t, v)}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="button small secondary" aria-label=t.move_label(&task.title)>{t.move_button()}</button>
                </ActionForm>
            })}
        </li>
    }
    .into_any()
}
