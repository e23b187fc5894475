//! The board: three columns by status, each in its stored order. A card moves by dragging it
//! (HTML5 drag events), by the keyboard (its handle: Space or Enter picks it up, the arrow keys
//! move it, Space or Enter drops it, Escape puts it back; every step said in a live region), or,
//! before the script runs or without it, by a small form in the card's "Move" menu. All three
//! call the one server function, [`move_task`], and the core's `work::board::move_task`.

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

/// Where a card would land: a column, and its place among that column's other cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    col: usize,
    slot: usize,
}

/// The card being moved (by the mouse, or by the keyboard when `keyboard`).
#[derive(Debug, Clone, PartialEq)]
struct Drag {
    id: String,
    key: String,
    /// Its column and index there before the move.
    from: (usize, usize),
    target: Target,
    keyboard: bool,
}

/// The board as shown: per column its status, its name and its cards (id, key), for the moves.
type Layout = Vec<(String, String, Vec<(String, String)>)>;

/// The cards of column `col` other than the one moving.
fn others(layout: &Layout, col: usize, moving: &str) -> Vec<(String, String)> {
    layout
        .get(col)
        .map(|(_, _, cards)| {
            cards
                .iter()
                .filter(|(id, _)| id != moving)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
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
    let changed = crate::live::use_live(slug, crate::live::tasks_or_inbox);
    // Blocking: the response waits for the data, so a refusal is sent with its status (404, 403)
    // and the page's title is in the head. The board's one resource: whatever should refresh it
    // (a move, a change elsewhere) is one more signal in its source.
    let data = Resource::new_blocking(
        move || {
            (
                slug(),
                project(),
                moved.version().get(),
                set_prop.version().get() + add_tag.version().get() + remove_tag.version().get(),
                changed.get(),
            )
        },
        |(slug, project, _, _, _)| load_board(slug, project),
    );
    let move_error = action_error(moved);
    let prop_error = action_error(set_prop);
    let add_tag_error = action_error(add_tag);
    let remove_tag_error = action_error(remove_tag);
    let notice = RwSignal::new(None);
    let t = crate::use_t();
    announce!(notice, moved => t.task_moved(), set_prop => t.task_saved());

    // Dragging and the keyboard moves need the script: the handles and `draggable` appear once
    // it runs (an effect runs only in the browser, after hydration, so both renders agree).
    let scripted = RwSignal::new(false);
    Effect::new(move |_| scripted.set(true));
    let drag = RwSignal::new(None::<Drag>);
    let live = RwSignal::new(String::new());
    let layout = StoredValue::new(Layout::new());
    let people = StoredValue::new(Vec::<(String, String)>::new());
    let all_tags = StoredValue::new(Vec::<TagRow>::new());
    // The focus goes back to the same task's handle after every redraw that lost it.
    let focused =
        super::keep_handle_focus(move || data.with(|d| matches!(d, Some(Ok(_)))), "drag-");

    let where_text = move |d: &Drag| {
        layout.with_value(|l| {
            let count = others(l, d.target.col, &d.id).len() + 1;
            let column = l.get(d.target.col).map(|c| c.1.clone()).unwrap_or_default();
            (column, d.target.slot + 1, count)
        })
    };
    // Ends a move at its target: nothing to send when the card is where it was.
    let drop_card = move |slug: String| {
        let Some(d) = drag.get_untracked() else {
            return;
        };
        drag.set(None);
        let (column, position, count) = where_text(&d);
        live.set(t.board_dropped(&d.key, &column, position, count));
        if d.target.col == d.from.0 && d.target.slot == d.from.1 {
            return;
        }
        let (status, rest) = layout.with_value(|l| {
            (
                l.get(d.target.col).map(|c| c.0.clone()).unwrap_or_default(),
                others(l, d.target.col, &d.id),
            )
        });
        let (after, before) = match d.target.slot {
            0 => (None, rest.first().map(|c| c.0.clone())),
            n => (rest.get(n - 1).map(|c| c.0.clone()), None),
        };
        moved.dispatch(MoveTask {
            slug,
            task_id: d.id,
            status,
            after,
            before,
        });
    };
    let ctx = BoardCtx {
        drag,
        live,
        layout,
        scripted,
        focused,
        drop_card: Callback::new(drop_card),
        where_text: Callback::new(move |d: Drag| where_text(&d)),
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
        <div class="visually-hidden" aria-live="assertive" aria-atomic="true" data-testid="board-live">{move || live.get()}</div>
        <Transition fallback=move || view! { <p>{t.board_loading()}</p> }>
            {move || Suspend::new(async move {
                let loaded = data.await;
                if let Ok(d) = &loaded {
                    changed.seen(d.seen);
                }
                match loaded {
                    Err(e) => view! { <LoadError title=t.nav_board() error=e/> }.into_any(),
                    Ok(board) => {
                        let slug = slug();
                        let current = project();
                        let role = board.role;
                        let mut choices = vec![(String::new(), t.nobody().to_owned())];
                        choices.extend(board.people.iter().map(|p| (p.id.clone(), p.name.clone())));
                        people.set_value(choices);
                        all_tags.set_value(board.tags.clone());
                        layout.set_value(
                            board
                                .columns
                                .iter()
                                .map(|(status, tasks, _)| {
                                    (
                                        status.clone(),
                                        super::status_word(t, status).to_owned(),
                                        tasks.iter().map(|r| (r.id.clone(), r.key.clone())).collect(),
                                    )
                                })
                                .collect(),
                        );
                        view! {
                            <Title text=super::raw_text(&t.board_workspace_title(&board.workspace_name))/>
                            <WorkNav slug=slug.clone() role=board.role unread=board.unread current="board"/>
                            {crate::live::follow_in_islands(slug.clone(), crate::live::Follows::TasksOrInbox, None, board.seen)}
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
                            <div class="board" class:dragging=move || drag.with(Option::is_some)>
                                {board.columns.into_iter().enumerate().map(|(col, (status, tasks, total))| {
                                    let label = super::status_word(t, &status);
                                    let heading = format!("col-{status}");
                                    // The rest of a long column is in the task list, filtered the same way.
                                    let hidden = total - tasks.len() as i64;
                                    let rest = format!(
                                        "/w/{slug}/tasks?status={status}{}",
                                        current.as_deref().map(|p| format!("&project={p}")).unwrap_or_default()
                                    );
                                    let shown = tasks.len();
                                    let drop_slug = slug.clone();
                                    // The line under the last card (or in an empty column) when that is
                                    // where the card would land.
                                    let at_end = move || drag.with(|d| d.as_ref().is_some_and(|d| {
                                        let mine = d.from.0 == col;
                                        d.target.col == col && d.target.slot == shown - usize::from(mine)
                                    }));
                                    view! {
                                        <section
                                            class="column"
                                            class:drop-end=at_end
                                            aria-labelledby=heading.clone()
                                            data-status=status.clone()
                                            on:dragover=move |ev| over_column(ev, col, drag)
                                            on:drop=move |ev| {
                                                ev.prevent_default();
                                                if drag.with_untracked(|d| d.as_ref().is_some_and(|d| !d.keyboard)) {
                                                    drop_card(drop_slug.clone());
                                                }
                                            }
                                        >
                                            <h2 id=heading.clone()>{label} " " <span class="count">{total}</span></h2>
                                            {if tasks.is_empty() {
                                                view! { <p class="muted column-empty">{t.nothing_here()}</p> }.into_any()
                                            } else {
                                                view! {
                                                    <ul class="cards">
                                                        {tasks.into_iter().enumerate().map(|(index, task)| view! {
                                                            <Card slug=slug.clone() task=task role=role action=moved col index ctx/>
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
                            {cfg!(feature = "islands").then(|| view! { <super::moves::BoardMoves/> })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// What the cards share with the page for moving.
#[derive(Clone, Copy)]
struct BoardCtx {
    drag: RwSignal<Option<Drag>>,
    live: RwSignal<String>,
    layout: StoredValue<Layout>,
    scripted: RwSignal<bool>,
    /// The task whose handle has the focus (see [`BoardPage`]).
    focused: StoredValue<Option<String>>,
    drop_card: Callback<String>,
    where_text: Callback<Drag, (String, usize, usize)>,
    /// A property changed on a card, and who may be assigned (`(id, name)`, "Nobody" first).
    set_prop: ServerAction<SetTaskProperty>,
    people: StoredValue<Vec<(String, String)>>,
    /// A card's tags put on and taken off, from the workspace's tags.
    add_tag: ServerAction<AddTaskTag>,
    remove_tag: ServerAction<RemoveTaskTag>,
    all_tags: StoredValue<Vec<TagRow>>,
}

/// A card dragged over a column: the place it would take there, from the pointer's height
/// against the middle of each other card.
fn over_column(ev: leptos::ev::DragEvent, col: usize, drag: RwSignal<Option<Drag>>) {
    let Some(moving) =
        drag.with_untracked(|d| d.as_ref().filter(|d| !d.keyboard).map(|d| d.id.clone()))
    else {
        return;
    };
    // Accepting the drop is preventing the default of `dragover`.
    ev.prevent_default();
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Some(column) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
        else {
            return;
        };
        let y = f64::from(ev.client_y());
        let mut slot = 0;
        let cards = column.get_elements_by_class_name("task-card");
        for n in 0..cards.length() {
            let Some(card) = cards.item(n) else {
                continue;
            };
            if card.get_attribute("data-id").as_deref() == Some(moving.as_str()) {
                continue;
            }
            let rect = card.get_bounding_client_rect();
            if rect.top() + rect.height() / 2.0 < y {
                slot += 1;
            }
        }
        let target = Target { col, slot };
        if drag.with_untracked(|d| d.as_ref().map(|d| d.target)) != Some(target) {
            drag.update(|d| {
                if let Some(d) = d {
                    d.target = target;
                }
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (col, moving);
}

#[component]
fn Card(
    slug: String,
    task: TaskRow,
    role: Role,
    action: ServerAction<MoveTask>,
    col: usize,
    index: usize,
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
        drag,
        live,
        layout,
        scripted,
        focused,
        drop_card,
        where_text,
        set_prop,
        people,
        add_tag,
        remove_tag,
        all_tags,
    } = ctx;
    let draggable = move || can_move && scripted.get();
    let id = task.id.clone();
    let is_moving = {
        let id = id.clone();
        Signal::derive(move || drag.with(|d| d.as_ref().is_some_and(|d| d.id == id)))
    };
    // The line above this card when the moving card would land right before it.
    let drop_before = {
        let id = id.clone();
        move || {
            drag.with(|d| {
                d.as_ref().is_some_and(|d| {
                    let shift = usize::from(d.from.0 == col && d.from.1 < index);
                    d.id != id && d.target.col == col && d.target.slot == index - shift
                })
            })
        }
    };
    let start = {
        let (id, key) = (task.id.clone(), task.key.clone());
        move |keyboard: bool| Drag {
            id: id.clone(),
            key: key.clone(),
            from: (col, index),
            target: Target { col, slot: index },
            keyboard,
        }
    };
    let on_dragstart = {
        let start = start.clone();
        move |_ev: leptos::ev::DragEvent| {
            #[cfg(feature = "hydrate")]
            if let Some(data) = _ev.data_transfer() {
                data.set_effect_allowed("move");
                let _ = data.set_data("text/plain", &start(false).key);
            }
            drag.set(Some(start(false)));
        }
    };
    let on_dragend = move |_| {
        if drag.with_untracked(|d| d.as_ref().is_some_and(|d| !d.keyboard)) {
            drag.set(None);
        }
    };
    let say_where =
        move |d: &Drag, template: fn(&bastion_i18n::T, &str, &str, usize, usize) -> String| {
            let (column, position, count) = where_text.run(d.clone());
            live.set(template(&t, &d.key, &column, position, count));
        };
    let on_key = {
        let (id, slug) = (task.id.clone(), slug.clone());
        move |ev: leptos::ev::KeyboardEvent| {
            let current = drag.get_untracked().filter(|d| d.id == id && d.keyboard);
            let key = ev.key();
            let Some(mut d) = current else {
                if key == " " || key == "Enter" {
                    ev.prevent_default();
                    let d = start(true);
                    say_where(&d, |t, k, c, p, n| t.board_picked_up(k, c, p, n));
                    drag.set(Some(d));
                }
                return;
            };
            let columns = layout.with_value(Vec::len);
            let room = |d: &Drag, col: usize| layout.with_value(|l| others(l, col, &d.id).len());
            match key.as_str() {
                " " | "Enter" => {
                    ev.prevent_default();
                    drop_card.run(slug.clone());
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    drag.set(None);
                    let back = Drag {
                        target: Target {
                            col: d.from.0,
                            slot: d.from.1,
                        },
                        ..d
                    };
                    say_where(&back, |t, k, c, p, n| t.board_cancelled(k, c, p, n));
                    return;
                }
                "ArrowUp" => d.target.slot = d.target.slot.saturating_sub(1),
                "ArrowDown" => d.target.slot = (d.target.slot + 1).min(room(&d, d.target.col)),
                "ArrowLeft" if d.target.col > 0 => {
                    d.target.col -= 1;
                    d.target.slot = d.target.slot.min(room(&d, d.target.col));
                }
                "ArrowRight" if d.target.col + 1 < columns => {
                    d.target.col += 1;
                    d.target.slot = d.target.slot.min(room(&d, d.target.col));
                }
                "ArrowLeft" | "ArrowRight" => {}
                _ => return,
            }
            ev.prevent_default();
            say_where(&d, |t, k, c, p, n| t.board_moved_to(k, c, p, n));
            drag.set(Some(d));
        }
    };
    // Leaving the handle while carrying the card puts it back; the handle taken out of the page
    // by a redraw is not leaving it, nor is the focus going to this card's redrawn handle (the
    // board gives it back).
    let on_blur = {
        let id = task.id.clone();
        move |ev: leptos::ev::FocusEvent| {
            #[cfg(feature = "hydrate")]
            {
                use leptos::wasm_bindgen::JsCast;
                let redrawn = ev
                    .target()
                    .and_then(|t| t.dyn_into::<leptos::web_sys::Node>().ok())
                    .is_some_and(|node| !node.is_connected())
                    || ev
                        .related_target()
                        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
                        .is_some_and(|to| to.id() == format!("drag-{id}"));
                if redrawn {
                    return;
                }
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
            if focused.get_value().as_deref() == Some(id.as_str()) {
                focused.set_value(None);
            }
            if let Some(d) = drag.get_untracked().filter(|d| d.id == id && d.keyboard) {
                drag.set(None);
                let back = Drag {
                    target: Target {
                        col: d.from.0,
                        slot: d.from.1,
                    },
                    ..d
                };
                say_where(&back, |t, k, c, p, n| t.board_cancelled(k, c, p, n));
            }
        }
    };
    let on_focus = {
        let id = task.id.clone();
        move |_| focused.set_value(Some(id.clone()))
    };
    let handle_label = t.board_handle_label(&task.key);
    let task_id = task.id.clone();
    let menu_label = t.board_menu_label(&task.key);
    view! {
        <li
            class="task-card"
            class:moving=is_moving
            class:drop-before=drop_before
            data-id=task.id.clone()
            draggable=move || if draggable() { "true" } else { "false" }
            on:dragstart=on_dragstart
            on:dragend=on_dragend
        >
            <div class="card-head">
                // In the islands build the handle is in the page from the start, hidden until
                // `BoardMoves` runs.
                {move || (draggable() || (cfg!(feature = "islands") && can_move)).then(|| view! {
                    <button
                        type="button"
                        class="drag-handle"
                        hidden=!draggable()
                        id=format!("drag-{}", id)
                        aria-label=handle_label.clone()
                        aria-describedby="board-drag-help"
                        aria-pressed=move || if is_moving.get() { "true" } else { "false" }
                        on:keydown=on_key.clone()
                        on:blur=on_blur.clone()
                        on:focus=on_focus.clone()
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
