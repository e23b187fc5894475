//! The task page's work model (issue 20): its parent and subtasks, its checklist and its
//! relations to other tasks. Each server function hands one core call (which decides who may)
//! to `task_actions::change_task`; the sections ask the same policy functions what to offer.
//! Every sentence these sections show is in `TEXT`, one place per component.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::FormError;
use crate::error::action_error;
use crate::policy::{self, Role, TaskFacts};
use crate::UiError;

#[cfg(feature = "ssr")]
use super::srv::id_or_404;
#[cfg(feature = "ssr")]
use super::task_actions::change_task;
#[cfg(feature = "ssr")]
use bastion_core::work::{checklists, relations, tasks};

/// A task as this page links to it: its parent, a subtask, the other end of a relation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskLink {
    pub id: String,
    pub key: String,
    pub title: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistRow {
    pub id: String,
    pub text: String,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationRow {
    pub id: String,
    /// From this task's side: `blocks`, `blocked_by`, `relates_to`, `duplicates`,
    /// `duplicated_by`.
    pub kind: String,
    pub other: TaskLink,
}

/// What the task page shows of the work model, only what the caller sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkModel {
    /// The task this one is a subtask of, when the caller sees it.
    pub parent: Option<TaskLink>,
    pub subtasks: Vec<TaskLink>,
    pub checklist: Vec<ChecklistRow>,
    pub relations: Vec<RelationRow>,
}

/// The relation kinds a person picks, from the task's side, with their labels.
pub const RELATION_KINDS: [(&str, &str); 5] = [
    ("blocked_by", "Blocked by"),
    ("blocks", "Blocks"),
    ("relates_to", "Relates to"),
    ("duplicates", "Duplicates"),
    ("duplicated_by", "Duplicated by"),
];

fn relation_label(kind: &str) -> &'static str {
    let t = crate::use_t();
    match kind {
        "blocked_by" => t.relation_blocked_by(),
        "blocks" => t.relation_blocks(),
        "relates_to" => t.relation_relates_to(),
        "duplicates" => t.relation_duplicates(),
        "duplicated_by" => t.relation_duplicated_by(),
        _ => t.relation_related_to(),
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod srv {
    use super::*;
    use bastion_core::{work::tasks::TaskRecord, TenantTx, Viewer};

    fn link(t: TaskRecord) -> TaskLink {
        TaskLink {
            id: t.id.to_string(),
            key: t.key,
            title: t.title,
            status: t.status,
        }
    }

    /// The parent (if the caller sees it), subtasks, checklist and relations of `task`.
    pub async fn fetch(
        tx: &mut TenantTx,
        viewer: &Viewer,
        task: &TaskRecord,
    ) -> Result<WorkModel, UiError> {
        let parent = match task.parent_id {
            Some(parent) => match tasks::get_task(tx, viewer, parent).await {
                Ok(parent) => Some(link(parent)),
                Err(bastion_core::CoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let subtasks = tasks::list_subtasks(tx, viewer, task.id)
            .await?
            .into_iter()
            .map(link)
            .collect();
        let checklist = checklists::list_items(tx, viewer, task.id)
            .await?
            .into_iter()
            .map(|i| ChecklistRow {
                id: i.id.to_string(),
                text: i.text,
                done: i.done,
            })
            .collect();
        let relations = relations::list_relations(tx, viewer, task.id)
            .await?
            .into_iter()
            .map(|r| RelationRow {
                id: r.id.to_string(),
                kind: r.kind,
                other: TaskLink {
                    id: r.other_task_id.to_string(),
                    key: r.other_key,
                    title: r.other_title,
                    status: r.other_status,
                },
            })
            .collect();
        Ok(WorkModel {
            parent,
            subtasks,
            checklist,
            relations,
        })
    }
}

#[server(prefix = "/api/fn", endpoint = "add_subtask")]
pub async fn add_subtask(slug: String, task_id: String, title: String) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        let new = tasks::NewTask {
            title,
            ..tasks::NewTask::default()
        };
        Ok(tasks::create_subtask(tx, viewer, id, new).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "add_checklist_item")]
pub async fn add_checklist_item(
    slug: String,
    task_id: String,
    text: String,
) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        Ok(checklists::add_item(tx, viewer, id, &text).await?)
    })
    .await
}

/// Ticks (`done` = `true`) or unticks an item.
#[server(prefix = "/api/fn", endpoint = "tick_checklist_item")]
pub async fn tick_checklist_item(
    slug: String,
    task_id: String,
    item_id: String,
    done: String,
) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        let item = id_or_404(&item_id, "checklist item")?;
        Ok(checklists::set_done(tx, viewer, id, item, done == "true").await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "remove_checklist_item")]
pub async fn remove_checklist_item(
    slug: String,
    task_id: String,
    item_id: String,
) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        let item = id_or_404(&item_id, "checklist item")?;
        Ok(checklists::remove_item(tx, viewer, id, item).await?)
    })
    .await
}

/// Relates the task to another, named by its key.
#[server(prefix = "/api/fn", endpoint = "add_relation")]
pub async fn add_relation(
    slug: String,
    task_id: String,
    kind: String,
    other_task: String,
) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        Ok(relations::add_relation(tx, viewer, id, &kind, &other_task).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "remove_relation")]
pub async fn remove_relation(
    slug: String,
    task_id: String,
    relation_id: String,
) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        let relation = id_or_404(&relation_id, "relation")?;
        Ok(relations::remove_relation(tx, viewer, id, relation).await?)
    })
    .await
}

/// The actions of these sections, made once by the page so that it reloads after each.
#[derive(Clone, Copy)]
pub struct ModelActions {
    pub add_subtask: ServerAction<AddSubtask>,
    pub add_item: ServerAction<AddChecklistItem>,
    pub tick_item: ServerAction<TickChecklistItem>,
    pub remove_item: ServerAction<RemoveChecklistItem>,
    pub add_relation: ServerAction<AddRelation>,
    pub remove_relation: ServerAction<RemoveRelation>,
}

impl ModelActions {
    pub fn new() -> Self {
        Self {
            add_subtask: crate::error::server_action(),
            add_item: crate::error::server_action(),
            tick_item: crate::error::server_action(),
            remove_item: crate::error::server_action(),
            add_relation: crate::error::server_action(),
            remove_relation: crate::error::server_action(),
        }
    }

    /// Changes whenever one of them has finished.
    pub fn version(&self) -> usize {
        self.add_subtask.version().get()
            + self.add_item.version().get()
            + self.tick_item.version().get()
            + self.remove_item.version().get()
            + self.add_relation.version().get()
            + self.remove_relation.version().get()
    }

    /// Says what was done, in the page's notice.
    pub fn announce(&self, notice: RwSignal<Option<String>>) {
        super::announce!(notice,
            self.add_subtask => words().subtask_added,
            self.add_item => words().item_added,
            self.tick_item => words().item_changed,
            self.remove_item => words().item_removed,
            self.add_relation => words().relation_added,
            self.remove_relation => words().relation_removed,
        );
    }
}

impl Default for ModelActions {
    fn default() -> Self {
        Self::new()
    }
}

/// Every sentence of these sections, in one place.
struct Text {
    parent: &'static str,
    subtasks: &'static str,
    no_subtasks: &'static str,
    new_subtask: &'static str,
    add_subtask: &'static str,
    subtask_added: &'static str,
    checklist: &'static str,
    no_items: &'static str,
    new_item: &'static str,
    add_item: &'static str,
    tick: &'static str,
    untick: &'static str,
    remove: &'static str,
    item_added: &'static str,
    item_changed: &'static str,
    item_removed: &'static str,
    relations: &'static str,
    no_relations: &'static str,
    relation_kind: &'static str,
    other_task: &'static str,
    add_relation: &'static str,
    relation_added: &'static str,
    relation_removed: &'static str,
    done_of: &'static str,
}

/// The words of these sections in the page's language.
fn words() -> Text {
    let t = crate::use_t();
    Text {
        parent: t.subtask_of(),
        subtasks: t.subtasks(),
        no_subtasks: t.no_subtasks(),
        new_subtask: t.new_subtask(),
        add_subtask: t.add_subtask(),
        subtask_added: t.subtask_added(),
        checklist: t.checklist(),
        no_items: t.no_checklist_items(),
        new_item: t.new_checklist_item(),
        add_item: t.add_checklist_item(),
        tick: t.tick(),
        untick: t.untick(),
        remove: t.remove(),
        item_added: t.checklist_item_added(),
        item_changed: t.checklist_item_saved(),
        item_removed: t.checklist_item_removed(),
        relations: t.relations(),
        no_relations: t.no_relations(),
        relation_kind: t.relation(),
        other_task: t.task_key(),
        add_relation: t.add_relation(),
        relation_added: t.relation_added(),
        relation_removed: t.relation_removed(),
        done_of: t.done_of(),
    }
}

/// "Subtask of ACME-1 Title", above the task's title.
#[component]
pub fn ParentLink(slug: String, parent: Option<TaskLink>) -> impl IntoView {
    parent.map(|p| {
        view! {
            <p class="parent-link">
                {words().parent} " "
                <a href=format!("/w/{slug}/t/{}", p.key)>{p.key.clone()} " " {p.title.clone()}</a>
            </p>
        }
    })
}

fn task_link(slug: &str, t: &TaskLink) -> impl IntoView {
    view! {
        <a href=format!("/w/{slug}/t/{}", t.key)><span class="task-key">{t.key.clone()}</span> " " {t.title.clone()}</a>
        " "
        <span class=format!("status status-{}", t.status)>{super::status_word(crate::use_t(), &t.status)}</span>
    }
}

/// The subtasks, their progress, and (for those who may) a form to add one. A subtask has no
/// subtasks, so its page offers none.
#[component]
pub fn SubtasksSection(
    slug: String,
    task_id: String,
    model: WorkModel,
    role: Role,
    is_subtask: bool,
    actions: ModelActions,
) -> impl IntoView {
    let error = action_error(actions.add_subtask);
    let done = model.subtasks.iter().filter(|s| s.status == "done").count();
    let total = model.subtasks.len();
    let can_add = policy::can_create_task(role) && !is_subtask;
    (can_add || total > 0).then(|| view! {
        <section class="card" aria-labelledby="subtasks-title">
            <h2 id="subtasks-title">{words().subtasks}
                {(total > 0).then(|| view! { " " <span class="progress muted">{format!("{done}/{total} {}", words().done_of)}</span> })}
            </h2>
            {if total == 0 {
                view! { <p class="muted">{words().no_subtasks}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list subtasks">
                        {model.subtasks.iter().map(|s| view! { <li>{task_link(&slug, s)}</li> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <FormError error/>
            {can_add.then(|| view! {
                <ActionForm action=actions.add_subtask attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug.clone()/>
                    <input type="hidden" name="task_id" value=task_id.clone()/>
                    <label for="new-subtask">{words().new_subtask}</label>
                    <input id="new-subtask" name="title" required maxlength="300"/>
                    <button type="submit" class="button small secondary">{words().add_subtask}</button>
                </ActionForm>
            })}
        </section>
    })
}

/// The checklist: items in order, each ticked or unticked by a button (forms that work before
/// hydration), removed, and added at the end, by whoever may edit the task.
#[component]
pub fn ChecklistSection(
    slug: String,
    task_id: String,
    items: Vec<ChecklistRow>,
    role: Role,
    facts: TaskFacts,
    actions: ModelActions,
) -> impl IntoView {
    let can_edit = policy::can_edit_checklist(role, &facts);
    let error = {
        let (a, b, c) = (
            action_error(actions.add_item),
            action_error(actions.tick_item),
            action_error(actions.remove_item),
        );
        move || a().or_else(b).or_else(c)
    };
    let done = items.iter().filter(|i| i.done).count();
    let total = items.len();
    let (slug, task_id) = (StoredValue::new(slug), StoredValue::new(task_id));
    (can_edit || total > 0).then(|| view! {
        <section class="card" aria-labelledby="checklist-title">
            <h2 id="checklist-title">{words().checklist}
                {(total > 0).then(|| view! { " " <span class="progress muted">{format!("{done}/{total} {}", words().done_of)}</span> })}
            </h2>
            {if total == 0 {
                view! { <p class="muted">{words().no_items}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list checklist">
                        {items.into_iter().map(|item| {
                            let label = if item.done { words().untick } else { words().tick };
                            let (item_id, text) = (StoredValue::new(item.id.clone()), StoredValue::new(item.text.clone()));
                            view! {
                                <li class:done=item.done>
                                    <span class="check-mark" aria-hidden="true">{if item.done { "☑" } else { "☐" }}</span>
                                    " " <span class="check-text">{item.text.clone()}</span>
                                    {can_edit.then(|| view! {
                                        <ActionForm action=actions.tick_item attr:class="inline-form">
                                            <input type="hidden" name="slug" value=slug.get_value()/>
                                            <input type="hidden" name="task_id" value=task_id.get_value()/>
                                            <input type="hidden" name="item_id" value=item_id.get_value()/>
                                            <input type="hidden" name="done" value=if item.done { "false" } else { "true" }/>
                                            <button type="submit" class="button small secondary" aria-pressed=if item.done { "true" } else { "false" }
                                                aria-label=format!("{label}: {}", text.get_value())>{label}</button>
                                        </ActionForm>
                                        <ActionForm action=actions.remove_item attr:class="inline-form">
                                            <input type="hidden" name="slug" value=slug.get_value()/>
                                            <input type="hidden" name="task_id" value=task_id.get_value()/>
                                            <input type="hidden" name="item_id" value=item_id.get_value()/>
                                            <button type="submit" class="button small secondary" aria-label=format!("{}: {}", words().remove, text.get_value())>{words().remove}</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <FormError error/>
            {can_edit.then(|| view! {
                <ActionForm action=actions.add_item attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug.get_value()/>
                    <input type="hidden" name="task_id" value=task_id.get_value()/>
                    <label for="new-checklist-item">{words().new_item}</label>
                    <input id="new-checklist-item" name="text" required maxlength="500"/>
                    <button type="submit" class="button small secondary">{words().add_item}</button>
                </ActionForm>
            })}
        </section>
    })
}

/// Relations both ways, and (for those who may) a form relating the task to another by key.
#[component]
pub fn RelationsSection(
    slug: String,
    task_id: String,
    relations: Vec<RelationRow>,
    role: Role,
    facts: TaskFacts,
    actions: ModelActions,
) -> impl IntoView {
    let can_edit = policy::can_manage_task_relations(role, &facts);
    let error = {
        let (a, b) = (
            action_error(actions.add_relation),
            action_error(actions.remove_relation),
        );
        move || a().or_else(b)
    };
    let (slug, task_id) = (StoredValue::new(slug), StoredValue::new(task_id));
    (can_edit || !relations.is_empty()).then(|| view! {
        <section class="card" aria-labelledby="relations-title">
            <h2 id="relations-title">{words().relations}</h2>
            {if relations.is_empty() {
                view! { <p class="muted">{words().no_relations}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list relations">
                        {relations.into_iter().map(|r| view! {
                            <li>
                                <span class="relation-kind">{relation_label(&r.kind)}</span> " "
                                {task_link(&slug.get_value(), &r.other)}
                                {can_edit.then(|| view! {
                                    <ActionForm action=actions.remove_relation attr:class="inline-form">
                                        <input type="hidden" name="slug" value=slug.get_value()/>
                                        <input type="hidden" name="task_id" value=task_id.get_value()/>
                                        <input type="hidden" name="relation_id" value=r.id.clone()/>
                                        <button type="submit" class="button small secondary"
                                            aria-label=format!("{}: {} {}", words().remove, relation_label(&r.kind), r.other.key)>{words().remove}</button>
                                    </ActionForm>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <FormError error/>
            {can_edit.then(|| view! {
                <ActionForm action=actions.add_relation attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug.get_value()/>
                    <input type="hidden" name="task_id" value=task_id.get_value()/>
                    <label for="relation-kind">{words().relation_kind}</label>
                    <select id="relation-kind" name="kind">
                        {RELATION_KINDS.iter().map(|(v, _)| view! { <option value=*v>{relation_label(v)}</option> }).collect_view()}
                    </select>
                    <label for="relation-other">{words().other_task}</label>
                    <input id="relation-other" name="other_task" required maxlength="50" placeholder="ACME-1"/>
                    <button type="submit" class="button small secondary">{words().add_relation}</button>
                </ActionForm>
            })}
        </section>
    })
}
