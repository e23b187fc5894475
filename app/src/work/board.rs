//! The board: three columns by status, each in its stored order. A card moves by dragging it
//! (HTML5 drag events), by the keyboard (its handle: Space or Enter picks it up, the arrow keys
//! move it, Space or Enter drops it, Escape puts it back; every step said in a live region), or,
//! before the script runs or without it, by a small form in the card's "Move" menu. The first
//! two are the `BoardMoves` island (`moves.rs`), which sends that same form; all three call the
//! one server function, [`move_task`], and the core's `work::board::move_task`.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::inline::{DueMenu, PropertyMenu, TagsMenu};
use super::task_actions::{AddTaskTag, RemoveTaskTag, SetTaskProperty};
use super::{
    announce, BlockedBadge, FormError, LoadError, Notice, Person, ProjectRow, SubtaskProgress,
    TagChip, TagRow, TaskRow, WorkNav, PRIORITIES, STATUSES,
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
    /// Where the workspace's live stream stood when this was read (`Live::seen`).
    pub seen: i64,
    /// `(status, tasks shown, tasks in the column in all)` in board order.
    pub columns: Vec<(String, Vec<TaskRow>, i64)>,
    pub projects: Vec<ProjectRow>,
    /// Who a card may be assigned to.
    pub people: Vec<Person>,
    /// The workspace's tags, for a card's tag menu.
    pub tags: Vec<TagRow>,
}

/// Cards per column; the task list pages through the rest.
#[cfg(feature = "ssr")]
pub const PER_COLUMN: u32 = 100;

#[server(prefix = "/api/fn", endpoint = "board")]
pub async fn load_board(slug: String, project: Option<String>) -> Result<BoardView, UiError> {
    use super::srv;
    use bastion_core::work::tasks::{self, TaskFilter};
    let mut o = crate::server::open(&slug).await?;
    // Before the data: what the stream announced up to here is in it.
    let seen = bastion_core::platform::live::position(&mut o.tx).await?;
    let filter = TaskFilter {
        project_id: srv::opt_id("project_id", project.as_deref())?,
        ..TaskFilter::default()
    };
    let board = tasks::board(&mut o.tx, &o.viewer, &filter, PER_COLUMN).await?;
    let projects = srv::all_projects(&mut o.tx, &o.viewer, true).await?;
    let tags = srv::all_tags(&mut o.tx, &o.viewer).await?;
    let unread = bastion_core::work::notifications::unread_count(&mut o.tx, &o.viewer).await?;
    let member_ids = srv::member_ids(&mut o.tx, o.viewer.role).await?;
    o.tx.commit().await?;
    let people = srv::people(member_ids).await?;
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
        seen,
        columns,
        projects,
        people,
        tags,
    })
}

/// Moves a task on the board: to `status`, right after `after` or right before `before` (a task
/// in that column), or first in the column when neither is given (the plain form's move).
#[server(prefix = "/api/fn", endpoint = "move_task")]
pub async fn move_task(
    slug: String,
    task_id: String,
    status: String,
    #[server(default)] after: Option<String>,
    #[server(default)] before: Option<String>,
) -> Result<(), UiError> {
    use super::srv;
    use bastion_core::work::board::{self, Place};
    let mut o = crate::server::open(&slug).await?;
    let id = srv::id_or_404(&task_id, "task")?;
    let after = srv::opt_id("after", after.as_deref())?;
    let before = srv::opt_id("before", before.as_deref())?;
    let place = match (after, before) {
        (Some(after), _) => Place::After(after),
        (None, Some(before)) => Place::Before(before),
        (None, None) => Place::Top,
    };
    board::move_task(&mut o.tx, &o.viewer, id, &status, place).await?;
    o.tx.commit().await?;
    Ok(())
}

#[component]
pub fn BoardPage() -> impl IntoView {
    let slug = route_param("slug");
    let param = query_params();
    let project = move || param("project");
    let moved = crate::error::server_action::<MoveTask>();
    let set_prop = crate::error::server_action::<SetTaskProperty>();
    let add_tag = crate::error::server_action::<AddTaskTag>();
    let remove_tag = crate::error::server_action::<RemoveTaskTag>();
    // Blocking: the response waits for the data, so a refusal is sent with its status (404, 403)
    // and the page's title is in the head.
    let data = Resource::new_blocking(
        move || (slug(), project()),
        |(slug, project)| load_board(slug, project),
    );
    let move_error = action_error(moved);
    let prop_error = action_error(set_prop);
    let add_tag_error = action_error(add_tag);
    let remove_tag_error = action_error(remove_tag);
    let notice = RwSignal::new(None);
    let t = crate::use_t();
    announce!(notice, moved => t.task_moved(), set_prop => t.task_saved());
    let people = StoredValue::new(Vec::<(String, String)>::new());
    let all_tags = StoredValue::new(Vec::<TagRow>::new());
    let ctx = BoardCtx {
        set_prop,
        people,
        add_tag,
        remove_tag,
        all_tags,
    };

    view! {
        <Title text=t.board_title()/>
        <Notice notice/>
        <p id="board-drag-help" class="visually-hidden">{t.board_drag_help()}</p>
        // Where `BoardMoves` says each step of a keyboard move.
        <div class="visually-hidden" aria-live="assertive" aria-atomic="true" data-testid="board-live"></div>
        <Transition fallback=move || view! { <p>{t.board_loading()}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError title=t.nav_board() error=e/> }.into_any(),
                    Ok(board) => {
                        let slug = slug();
                        let current = project();
                        let role = board.role;
                        let mut choices = vec![(String::new(), t.nobody().to_owned())];
                        choices.extend(board.people.iter().map(|p| (p.id.clone(), p.name.clone())));
                        people.set_value(choices);
                        all_tags.set_value(board.tags.clone());
                        view! {
                            <Title text=super::raw_text(&t.board_workspace_title(&board.workspace_name))/>
                            <WorkNav slug=slug.clone() role=board.role unread=board.unread current="board"/>
                            {crate::live::follow(slug.clone(), crate::live::Follows::TasksOrInbox, None, board.seen)}
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
                            <FormError error=prop_error/>
                            <FormError error=add_tag_error/>
                            <FormError error=remove_tag_error/>
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
                                        <section class="column" aria-labelledby=heading.clone() data-status=status.clone()>
                                            <h2 id=heading.clone()>{label} " " <span class="count">{total}</span></h2>
                                            {if tasks.is_empty() {
                                                view! { <p class="muted column-empty">{t.nothing_here()}</p> }.into_any()
                                            } else {
                                                view! {
                                                    <ul class="cards">
                                                        {tasks.into_iter().map(|task| view! {
                                                            <Card slug=slug.clone() task=task role=role action=moved ctx/>
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
                            <super::moves::BoardMoves/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// What the cards share with the page.
#[derive(Clone, Copy)]
struct BoardCtx {
    /// A property changed on a card, and who may be assigned (`(id, name)`, "Nobody" first).
    set_prop: ServerAction<SetTaskProperty>,
    people: StoredValue<Vec<(String, String)>>,
    /// A card's tags put on and taken off, from the workspace's tags.
    add_tag: ServerAction<AddTaskTag>,
    remove_tag: ServerAction<RemoveTaskTag>,
    all_tags: StoredValue<Vec<TagRow>>,
}

#[component]
fn Card(
    slug: String,
    task: TaskRow,
    role: Role,
    action: ServerAction<MoveTask>,
    ctx: BoardCtx,
) -> impl IntoView {
    let can_move = policy::can_move_task(role, &task.facts());
    let can_edit = policy::can_edit_task(role, &task.facts());
    let href = format!("/w/{slug}/tasks/{}", task.id);
    let select_id = format!("move-{}", task.id);
    let t = crate::use_t();
    let move_label = t.move_to_label(&task.title);
    let of = |what: &str| t.property_of(what, &task.key);
    let BoardCtx {
        set_prop,
        people,
        add_tag,
        remove_tag,
        all_tags,
    } = ctx;
    let handle_label = t.board_handle_label(&task.key);
    let task_id = task.id.clone();
    let menu_label = t.board_menu_label(&task.key);
    view! {
        <li class="task-card" data-id=task.id.clone() draggable="false">
            <div class="card-head">
                // Hidden until `BoardMoves` runs: moving needs the script.
                {can_move.then(|| view! {
                    <button
                        type="button"
                        class="drag-handle"
                        hidden
                        id=format!("drag-{}", task.id)
                        aria-label=handle_label
                        aria-describedby="board-drag-help"
                        aria-pressed="false"
                    >
                        <span aria-hidden="true">"⠿"</span>
                    </button>
                })}
                <a class="card-title" href=href draggable="false"><span class="task-key">{task.key.clone()}</span> " " {task.title.clone()}</a>
            </div>
            <div class="card-meta">
                {task.blocked.then(|| view! { <BlockedBadge/> })}
                {(task.subtasks.1 > 0).then(|| view! { <SubtaskProgress done=task.subtasks.0 total=task.subtasks.1/> })}
                {
                    let badge = view! { <span class=format!("priority priority-{}", task.priority)>{super::priority_word(t, &task.priority)}</span> };
                    if can_edit {
                        let choices = PRIORITIES.iter().map(|(v, _)| (v.to_string(), super::priority_word(t, v).to_owned())).collect();
                        view! {
                            <PropertyMenu slug=slug.clone() task_id=task.id.clone() property="priority" label=of(t.col_priority())
                                current=task.priority.clone() choices action=set_prop>{badge}</PropertyMenu>
                        }.into_any()
                    } else {
                        badge.into_any()
                    }
                }
                {task.private.then(|| view! { <span class="badge">{t.private_badge()}</span> })}
                {
                    let name = task.assignee.as_ref().map(|p| p.name.clone()).unwrap_or_else(|| t.unassigned().into());
                    let choices = people.get_value();
                    if can_edit && choices.len() > 1 {
                        let current = task.assignee.as_ref().map(|p| p.id.clone()).unwrap_or_default();
                        view! {
                            <PropertyMenu slug=slug.clone() task_id=task.id.clone() property="assignee_id" label=of(t.col_assignee())
                                current choices action=set_prop><span>{name}</span></PropertyMenu>
                        }.into_any()
                    } else {
                        view! { <span>{name}</span> }.into_any()
                    }
                }
                {
                    let shown = task.due_on.clone().map(|d| view! {
                        <span class:overdue=task.overdue>{t.due_on_date(crate::i18n::format_iso_date(t.0, &d))}{task.overdue.then(|| format!(" {}", t.overdue_suffix()))}</span>
                    });
                    if can_edit {
                        let shown = match shown {
                            Some(s) => s.into_any(),
                            None => view! { <span class="muted">{t.no_due_date()}</span> }.into_any(),
                        };
                        view! {
                            <DueMenu slug=slug.clone() task_id=task.id.clone() label=of(t.col_due())
                                current=task.due_on.clone() action=set_prop>{shown}</DueMenu>
                        }.into_any()
                    } else {
                        shown.into_any()
                    }
                }
            </div>
            {
                let all = all_tags.get_value();
                if policy::can_manage_task_tags(role) && !all.is_empty() {
                    Some(view! {
                        <div class="card-tags">
                            <TagsMenu slug=slug.clone() task_id=task.id.clone() label=of(t.tags()) on_task=task.tags.clone()
                                all add=add_tag remove=remove_tag/>
                        </div>
                    }.into_any())
                } else {
                    (!task.tags.is_empty()).then(|| view! {
                        <div class="card-tags">{task.tags.iter().cloned().map(|tag| view! { <TagChip tag/> }).collect_view()}</div>
                    }.into_any())
                }
            }
            // Without script (or by preference): the same move as a form, out of the way.
            {can_move.then(|| view! {
                <details class="card-menu">
                    <summary aria-label=menu_label.clone()>{t.move_button()}</summary>
                    <ActionForm action=action attr:class="inline-form move-form">
                        <input type="hidden" name="slug" value=slug.clone()/>
                        <input type="hidden" name="task_id" value=task_id.clone()/>
                        <label class="visually-hidden" for=select_id.clone()>{move_label.clone()}</label>
                        <select id=select_id name="status">
                            {STATUSES.iter().map(|(v, _)| view! { <option value=*v selected=*v == task.status>{super::status_word(t, v)}</option> }).collect_view()}
                        </select>
                        <button type="submit" class="button small secondary" aria-label=t.move_label(&task.title)>{t.move_button()}</button>
                    </ActionForm>
                </details>
            })}
        </li>
    }
    .into_any()
}
