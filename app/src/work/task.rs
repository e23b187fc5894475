//! The task page: its fields (editable for those allowed), the description rendered from
//! Markdown on the server, tags, viewers, comments, time, attachments, history (admins), and
//! deletion behind a confirmation step. The time, attachment and history sections live in
//! `task_extras`.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::fields::{FieldDef, FieldsSection, SetFieldValue};
use super::inline::{DueMenu, PropertyMenu};
use super::recurrence::{Repeat, RepeatActions, RepeatSection};
use super::task_extras::{
    AttachmentRow, AttachmentsSection, DeleteAttachment, DeleteTimeEntry, HistoryRow,
    HistorySection, LogTime, TimeSection, TimeSummary,
};
use super::task_model::{
    ChecklistSection, ModelActions, ParentLink, RelationsSection, SubtasksSection, WorkModel,
};
use super::{
    announce, raw_text, BlockedBadge, FormError, LoadError, Notice, Person, ProjectRow, TagChip,
    TagRow, TaskRow, WorkNav, PRIORITIES, STATUSES,
};
use crate::error::action_error;
use crate::policy::{self, Role};
use crate::url::route_param;
use crate::UiError;

pub use super::task_actions::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentRow {
    pub id: String,
    pub author: String,
    /// Markdown source, for editing.
    pub body: String,
    /// Rendered by `render_markdown`: raw HTML in the source is escaped.
    pub html: String,
    /// Brussels time.
    pub written: String,
    pub edited: bool,
    /// The caller wrote it.
    pub mine: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPage {
    pub workspace_name: String,
    pub role: Role,
    /// The caller's unread notices, for the workspace's navigation.
    pub unread: i64,
    /// Where the workspace's live stream stood when this was read (`Live::seen`).
    pub seen: i64,
    /// Whether the caller watches the task, and how many do.
    pub watching: bool,
    pub watchers: i64,
    pub task: TaskRow,
    pub description: String,
    /// Rendered by `render_markdown`: raw HTML in the source is escaped.
    pub description_html: String,
    /// Members the description mentions who cannot see the task (so were not told); only for
    /// those who may edit it.
    pub unreached: Vec<String>,
    pub created_by: String,
    /// Open projects (and the task's own), for moving it.
    pub projects: Vec<ProjectRow>,
    /// Active members, for assignee and viewer pickers; empty for guests.
    pub people: Vec<Person>,
    /// The tag catalogue, for adding.
    pub all_tags: Vec<TagRow>,
    pub viewers: Vec<Person>,
    pub comments: Vec<CommentRow>,
    /// `None` for guests, who record and see no time.
    pub time: Option<TimeSummary>,
    pub attachments: Vec<AttachmentRow>,
    /// The task's audit history, for admins only.
    pub history: Option<Vec<HistoryRow>>,
    /// Parent, subtasks, checklist and relations, as far as the caller sees them.
    pub model: WorkModel,
    /// How the task repeats, and the occurrence it has made.
    pub repeat: Repeat,
    /// Its project's custom fields (the values are the task row's).
    pub field_defs: Vec<FieldDef>,
}

/// Comments shown on the page, oldest first.
#[cfg(feature = "ssr")]
pub const COMMENTS_SHOWN: u32 = 500;

#[cfg(feature = "ssr")]
pub(crate) mod open {
    use bastion_core::work::{tasks::TaskRecord, Viewer};

    use crate::policy::Role;
    use crate::UiError;

    pub struct OpenTask {
        pub user: bastion_core::accounts::User,
        pub workspace: bastion_core::workspaces::Workspace,
        pub role: Role,
        pub viewer: Viewer,
        pub tx: bastion_core::TenantTx,
        pub task: TaskRecord,
        /// Where the live stream stood before the task was read.
        pub seen: i64,
    }

    /// The workspace, and the task if the caller sees it (404 otherwise, as if it did not exist).
    /// The task is named by its id or its key (`ACME-142`, the `/w/{ws}/t/{key}` address).
    pub async fn open_task(slug: &str, task_id: &str) -> Result<OpenTask, UiError> {
        use bastion_core::work::tasks;
        let mut o = crate::server::open(slug).await?;
        let seen = bastion_core::platform::live::position(&mut o.tx).await?;
        let task = if tasks::parse_key(task_id).is_some() {
            tasks::get_task_by_key(&mut o.tx, &o.viewer, task_id).await?
        } else {
            let id = super::super::srv::id_or_404(task_id, "task")?;
            tasks::get_task(&mut o.tx, &o.viewer, id).await?
        };
        Ok(OpenTask {
            user: o.user,
            workspace: o.workspace,
            role: o.viewer.role,
            viewer: o.viewer,
            tx: o.tx,
            task,
            seen,
        })
    }
}

#[server(prefix = "/api/fn", endpoint = "task")]
pub async fn load_task(slug: String, task_id: String) -> Result<TaskPage, UiError> {
    use super::srv;
    use bastion_core::work::{comments, mentions, notifications, render_markdown, tasks, watching};
    let mut t = open::open_task(&slug, &task_id).await?;
    let role = t.role;
    let id = t.task.id;
    let mut projects = srv::all_projects(&mut t.tx, &t.viewer, true).await?;
    let all_tags = srv::all_tags(&mut t.tx, &t.viewer).await?;
    let member_ids = srv::member_ids(&mut t.tx, role).await?;
    let viewer_ids: Vec<uuid::Uuid> = tasks::list_task_viewers(&mut t.tx, &t.viewer, id)
        .await?
        .into_iter()
        .map(|v| v.user_id)
        .collect();
    let comment_records =
        comments::list_comments(&mut t.tx, &t.viewer, id, None, COMMENTS_SHOWN).await?;
    let extras = super::task_extras::srv::fetch(&mut t.tx, t.user.id, role, id).await?;
    let model = super::task_model::srv::fetch(&mut t.tx, &t.viewer, &t.task).await?;
    let repeat = super::recurrence::srv::fetch(&mut t.tx, &t.viewer, id).await?;
    let field_defs = super::fields::srv::defs(&mut t.tx, &t.viewer, t.task.project_id).await?;
    // The history may name fields of a project the task was moved from.
    let history_fields = if extras.history.is_some() {
        super::fields::srv::all_defs(&mut t.tx, &t.viewer).await?
    } else {
        Vec::new()
    };
    let watch = watching::watch_state(&mut t.tx, &t.viewer, id).await?;
    let unread = notifications::unread_count(&mut t.tx, &t.viewer).await?;
    let unreached = comments::unreached_mentions(&mut t.tx, &t.viewer, &t.task).await?;
    t.tx.commit().await?;
    let people = srv::people(member_ids).await?;

    let mut people_shown = viewer_ids.clone();
    people_shown.extend(extras.people());
    people_shown.extend(comment_records.iter().map(|c| c.author_id));
    people_shown.extend(
        comment_records
            .iter()
            .flat_map(|c| mentions::parse(&c.body)),
    );
    people_shown.extend(mentions::parse(&t.task.description));
    people_shown.extend(unreached.iter().copied());
    people_shown.push(t.task.created_by);
    let names = srv::names(people_shown).await?;
    let name = |id: &uuid::Uuid| names.get(id).cloned().unwrap_or_default();
    let description = t.task.description.clone();
    let created_by = name(&t.task.created_by);
    let mut row = srv::rows(&t.viewer, vec![t.task], &projects, &all_tags)
        .await?
        .pop()
        .ok_or_else(|| UiError::internal("a task row went missing"))?;
    super::fields::srv::show(&mut row.fields.iter_mut().collect::<Vec<_>>(), &field_defs).await?;
    let (time, attachments, history) =
        extras.rows(&t.user, role, &names, &projects, &all_tags, &history_fields);
    projects.retain(|p| !p.archived || p.id == row.project_id);
    let written = srv::local_times(
        &comment_records
            .iter()
            .map(|c| c.created_at)
            .collect::<Vec<_>>(),
    )
    .await?;
    let comments = comment_records
        .into_iter()
        .zip(written)
        .map(|(c, written)| CommentRow {
            id: c.id.to_string(),
            author: name(&c.author_id),
            html: render_markdown(&mentions::for_rendering(&c.body, &names)),
            mine: c.author_id == t.user.id,
            body: mentions::to_names(&c.body, &names),
            written,
            edited: c.edited_at.is_some(),
        })
        .collect();
    Ok(TaskPage {
        workspace_name: t.workspace.name,
        role,
        unread,
        seen: t.seen,
        watching: watch.watching,
        watchers: watch.watchers,
        description_html: render_markdown(&mentions::for_rendering(&description, &names)),
        description: mentions::to_names(&description, &names),
        unreached: {
            let mut unreached: Vec<String> = unreached.iter().map(name).collect();
            unreached.sort();
            unreached
        },
        created_by,
        viewers: viewer_ids
            .iter()
            .map(|id| Person {
                id: id.to_string(),
                name: name(id),
            })
            .collect(),
        task: row,
        projects,
        people,
        all_tags,
        comments,
        time,
        attachments,
        history,
        model,
        repeat,
        field_defs,
    })
}

#[component]
pub fn TaskPageView() -> impl IntoView {
    let t = crate::use_t();
    let slug = route_param("slug");
    let task_id = route_param("id");
    let update = crate::error::server_action::<UpdateTask>();
    let delete = crate::error::server_action::<DeleteTask>();
    let add_tag = crate::error::server_action::<AddTaskTag>();
    let remove_tag = crate::error::server_action::<RemoveTaskTag>();
    let new_tag = crate::error::server_action::<CreateTag>();
    let add_viewer = crate::error::server_action::<AddTaskViewer>();
    let remove_viewer = crate::error::server_action::<RemoveTaskViewer>();
    let comment = crate::error::server_action::<AddComment>();
    let edit = crate::error::server_action::<EditComment>();
    let uncomment = crate::error::server_action::<DeleteComment>();
    let log_time = crate::error::server_action::<LogTime>();
    let unlog = crate::error::server_action::<DeleteTimeEntry>();
    let unattach = crate::error::server_action::<DeleteAttachment>();
    let watch = crate::error::server_action::<WatchTask>();
    let unwatch = crate::error::server_action::<UnwatchTask>();
    let model_actions = ModelActions::new();
    let repeat_actions = RepeatActions::new();
    let set_field = crate::error::server_action::<SetFieldValue>();
    let set_prop = crate::error::server_action::<SetTaskProperty>();
    let version = move || {
        set_field.version().get()
            + set_prop.version().get()
            + model_actions.version()
            + repeat_actions.version()
            + update.version().get()
            + add_tag.version().get()
            + remove_tag.version().get()
            + new_tag.version().get()
            + add_viewer.version().get()
            + remove_viewer.version().get()
            + comment.version().get()
            + edit.version().get()
            + uncomment.version().get()
            + log_time.version().get()
            + unlog.version().get()
            + unattach.version().get()
            + watch.version().get()
            + unwatch.version().get()
    };
    // Blocking: the response waits for the data, so a refusal is sent with its status (404, 403)
    // and the page's title is in the head.
    let data = Resource::new_blocking(
        move || (slug(), task_id(), version()),
        |(slug, id, _)| load_task(slug, id),
    );
    let update_error = {
        let (a, b) = (action_error(update), action_error(set_prop));
        move || a().or_else(b)
    };
    let delete_error = action_error(delete);
    let tag_error = {
        let (a, b, c) = (
            action_error(add_tag),
            action_error(remove_tag),
            action_error(new_tag),
        );
        move || a().or_else(b).or_else(c)
    };
    let viewer_error = {
        let (a, b) = (action_error(add_viewer), action_error(remove_viewer));
        move || a().or_else(b)
    };
    let comment_error = {
        let (a, b, c) = (
            action_error(comment),
            action_error(edit),
            action_error(uncomment),
        );
        move || a().or_else(b).or_else(c)
    };
    let watch_error = {
        let (a, b) = (action_error(watch), action_error(unwatch));
        move || a().or_else(b)
    };
    // People a comment mentioned who were not told, because they cannot see the task.
    let not_notified = move || {
        comment.value().with(|v| match v {
            Some(Ok(names)) if !names.is_empty() => Some(t.not_notified(names.join(", "))),
            _ => None,
        })
    };
    let notice = RwSignal::new(None);
    announce!(notice,
        update => t.task_saved(),
        add_tag => t.tag_added(),
        remove_tag => t.tag_removed(),
        new_tag => t.tag_created_added(),
        add_viewer => t.viewer_added(),
        remove_viewer => t.viewer_removed(),
        comment => t.comment_posted(),
        edit => t.comment_saved(),
        uncomment => t.comment_deleted(),
        log_time => t.time_logged_short(),
        unlog => t.time_entry_deleted(),
        unattach => t.attachment_deleted(),
        watch => t.watching(),
        unwatch => t.not_watching(),
        set_field => t.field_value_saved(),
        set_prop => t.task_saved(),
    );
    model_actions.announce(notice);
    repeat_actions.announce(notice);

    view! {
        <Title text=t.task_title()/>
        <Notice notice/>
        <Transition fallback=move || view! { <p>{t.task_loading()}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError title=t.col_task() error=e/> }.into_any(),
                    Ok(page) => {
                        let slug = slug();
                        let task = page.task.clone();
                        let id = task.id.clone();
                        // Copyable handles: the forms below sit in many closures.
                        let slug_v = StoredValue::new(slug.clone());
                        let id_v = StoredValue::new(id.clone());
                        // What to offer, asked of the same policy the core enforces.
                        let role = page.role;
                        let facts = task.facts();
                        let can_edit = policy::can_edit_task(role, &facts);
                        let can_delete = policy::can_delete_task(role, &facts);
                        let can_tag = policy::can_manage_task_tags(role);
                        let can_create_tag = policy::can_manage_tags(role) && can_tag;
                        let can_manage_viewers = policy::can_manage_task_viewers(role);
                        let can_upload = policy::can_upload_attachments(role);
                        // Taken before the view: its sections' closures move what they use.
                        let (field_people, field_defs) = (page.people.clone(), page.field_defs.clone());
                        let comment_people = page.people.clone();
                        view! {
                            <Title text=super::raw_text(&t.task_workspace_title(&task.title, &page.workspace_name))/>
                            <WorkNav slug=slug.clone() role=page.role unread=page.unread current="task"/>
                            {crate::live::follow(slug.clone(), crate::live::Follows::Task, Some(id.clone()), page.seen)}
                            <p class="breadcrumb">
                                <a href=format!("/w/{slug}/tasks?project={}", task.project_id)>{task.project_name.clone()}</a>
                                " › " <span class="task-key">{task.key.clone()}</span>
                                " " <span class="crumb-title" aria-current="page">{task.title.clone()}</span>
                            </p>
                            <ParentLink slug=slug.clone() parent=page.model.parent.clone()/>
                            // Two columns on a wide screen: the work itself on the left (what it says, its
                            // parts, the conversation, time and its activity), its properties, fields,
                            // tags, viewers and files on the right.
                            <article class="task-page task-columns">
                                <div class="task-main">
                                <section class="card" aria-labelledby="task-title">
                                    <div class="title-row">
                                        <h1 id="task-title"><span class="task-key">{task.key.clone()}</span> " " {task.title.clone()}</h1>
                                        {policy::can_watch_task(role).then(|| {
                                            let people = if page.watchers == 1 { t.watchers_one().to_owned() } else { t.watchers(page.watchers) };
                                            let form = if page.watching {
                                                view! {
                                                    <ActionForm action=unwatch attr:class="inline-form watch-form">
                                                        <input type="hidden" name="slug" value=slug_v.get_value()/>
                                                        <input type="hidden" name="task_id" value=id_v.get_value()/>
                                                        <button type="submit" class="button small secondary" aria-pressed="true">{t.unwatch()}</button>
                                                    </ActionForm>
                                                }.into_any()
                                            } else {
                                                view! {
                                                    <ActionForm action=watch attr:class="inline-form watch-form">
                                                        <input type="hidden" name="slug" value=slug_v.get_value()/>
                                                        <input type="hidden" name="task_id" value=id_v.get_value()/>
                                                        <button type="submit" class="button small secondary" aria-pressed="false">{t.watch()}</button>
                                                    </ActionForm>
                                                }.into_any()
                                            };
                                            view! {
                                                <div class="watch">
                                                    {form}
                                                    <span class="muted">{people}</span>
                                                </div>
                                            }
                                        })}
                                    </div>
                                    <FormError error=watch_error/>
                                    <h2>{t.description()}</h2>
                                    {if page.description.trim().is_empty() {
                                        view! { <p class="muted">{t.no_description()}</p> }.into_any()
                                    } else {
                                        // Safe: render_markdown escapes raw HTML and drops script links.
                                        view! { <div class="markdown" inner_html=page.description_html.clone()></div> }.into_any()
                                    }}
                                    {(!page.unreached.is_empty()).then(|| view! {
                                        <p class="form-warning" data-testid="description-unreached">{t.not_notified(page.unreached.join(", "))}</p>
                                    })}
                                    {can_edit.then(|| view! {
                                        <EditTask slug=slug_v.get_value() page=page.clone() action=update/>
                                        <FormError error=update_error/>
                                    })}
                                </section>
                                <SubtasksSection slug=slug_v.get_value() task_id=id_v.get_value() model=page.model.clone() role=role is_subtask=task.parent_id.is_some() actions=model_actions/>
                                <ChecklistSection slug=slug_v.get_value() task_id=id_v.get_value() items=page.model.checklist.clone() role=role facts=facts actions=model_actions/>
                                <RelationsSection slug=slug_v.get_value() task_id=id_v.get_value() relations=page.model.relations.clone() role=role facts=facts actions=model_actions/>
                                <section class="card" aria-labelledby="comments-title">
                                    <h2 id="comments-title">{t.comments()}</h2>
                                    {if page.comments.is_empty() {
                                        view! { <p class="muted">{t.no_comments()}</p> }.into_any()
                                    } else {
                                        view! {
                                            <ol class="comments">
                                                {page.comments.iter().cloned().map(|c| view! {
                                                    <CommentItem slug=slug_v.get_value() task_id=id_v.get_value() comment=c role=role edit=edit delete=uncomment/>
                                                }).collect_view()}
                                            </ol>
                                        }.into_any()
                                    }}
                                    <FormError error=comment_error/>
                                    {move || not_notified().map(|text| view! { <p class="form-warning">{text}</p> })}
                                    {policy::can_comment(page.role).then(|| view! {
                                        <ActionForm action=comment attr:class="form comment-form">
                                            <input type="hidden" name="slug" value=slug_v.get_value()/>
                                            <input type="hidden" name="task_id" value=id_v.get_value()/>
                                            <label for="new-comment">{t.add_comment()}</label>
                                            {policy::can_list_members(role).then(|| view! {
                                                <p class="muted hint">{t.mention_hint()}</p>
                                            })}
                                            <super::mention_picker::MentionTextarea id="new-comment".to_owned() name="body" rows=3 required=true maxlength=10000 people=comment_people/>
                                            <button type="submit" class="button" disabled=move || comment.pending().get()>{t.post_comment()}</button>
                                        </ActionForm>
                                    })}
                                </section>
                                {page.time.clone().map(|time| view! {
                                    <TimeSection slug=slug_v.get_value() task_id=id_v.get_value() time log=log_time delete=unlog/>
                                })}
                                {page.history.clone().map(|history| view! { <HistorySection history/> })}
                                </div>
                                <div class="task-side">
                                <section class="card" aria-labelledby="details-title">
                                    <h2 id="details-title">{t.task_details()}</h2>
                                    <dl class="facts">
                                        <dt>{t.col_status()}</dt><dd>
                                            {
                                                let badge = view! { <span class=format!("status status-{}", task.status)>{super::status_word(t, &task.status)}</span> };
                                                if can_edit {
                                                    let choices = STATUSES.iter().map(|(v, _)| (v.to_string(), super::status_word(t, v).to_owned())).collect();
                                                    view! {
                                                        <PropertyMenu slug=slug_v.get_value() task_id=id_v.get_value() property="status" label=t.col_status().to_owned()
                                                            current=task.status.clone() choices action=set_prop>{badge}</PropertyMenu>
                                                    }.into_any()
                                                } else {
                                                    badge.into_any()
                                                }
                                            }
                                            {task.blocked.then(|| view! { " " <BlockedBadge/> })}
                                        </dd>
                                        <dt>{t.col_priority()}</dt><dd>
                                            {
                                                let badge = view! { <span class=format!("priority priority-{}", task.priority)>{super::priority_word(t, &task.priority)}</span> };
                                                if can_edit {
                                                    let choices = PRIORITIES.iter().map(|(v, _)| (v.to_string(), super::priority_word(t, v).to_owned())).collect();
                                                    view! {
                                                        <PropertyMenu slug=slug_v.get_value() task_id=id_v.get_value() property="priority" label=t.col_priority().to_owned()
                                                            current=task.priority.clone() choices action=set_prop>{badge}</PropertyMenu>
                                                    }.into_any()
                                                } else {
                                                    badge.into_any()
                                                }
                                            }
                                        </dd>
                                        <dt>{t.col_assignee()}</dt><dd>
                                            {
                                                let name = task.assignee.clone().map(|p| p.name).unwrap_or_else(|| t.nobody().into());
                                                if can_edit && !page.people.is_empty() {
                                                    let mut choices = vec![(String::new(), t.nobody().to_owned())];
                                                    choices.extend(page.people.iter().map(|p| (p.id.clone(), p.name.clone())));
                                                    let current = task.assignee.clone().map(|p| p.id).unwrap_or_default();
                                                    view! {
                                                        <PropertyMenu slug=slug_v.get_value() task_id=id_v.get_value() property="assignee_id" label=t.col_assignee().to_owned()
                                                            current choices action=set_prop>{name}</PropertyMenu>
                                                    }.into_any()
                                                } else {
                                                    name.into_any()
                                                }
                                            }
                                        </dd>
                                        <dt>{t.col_due()}</dt><dd class:overdue=task.overdue>
                                            {
                                                let shown = format!(
                                                    "{}{}",
                                                    task.due_on.as_deref().map(|d| crate::i18n::format_iso_date(t.0, d)).unwrap_or_else(|| t.no_due_date().into()),
                                                    if task.overdue { format!(" {}", t.overdue_suffix()) } else { String::new() },
                                                );
                                                if can_edit {
                                                    view! {
                                                        <DueMenu slug=slug_v.get_value() task_id=id_v.get_value() label=t.col_due().to_owned()
                                                            current=task.due_on.clone() action=set_prop>{shown}</DueMenu>
                                                    }.into_any()
                                                } else {
                                                    shown.into_any()
                                                }
                                            }
                                        </dd>
                                        <dt>{t.visibility()}</dt><dd>{if task.private { t.visibility_private() } else { t.visibility_everyone() }}</dd>
                                        <dt>{t.created_by()}</dt><dd>{page.created_by.clone()}</dd>
                                    </dl>
                                </section>
                                <FieldsSection slug=slug_v.get_value() task_id=id_v.get_value() fields=field_defs cells=task.fields.clone() people=field_people role=role facts=facts action=set_field/>
                                <section class="card" aria-labelledby="tags-title">
                                    <h2 id="tags-title">{t.tags()}</h2>
                                    <FormError error=tag_error/>
                                    {if task.tags.is_empty() {
                                        view! { <p class="muted">{t.no_tags()}</p> }.into_any()
                                    } else {
                                        view! {
                                            <ul class="chip-list">
                                                {task.tags.iter().cloned().map(|tag| {
                                                    let name = tag.name.clone();
                                                    let tag_id = tag.id.clone();
                                                    view! {
                                                        <li>
                                                            <TagChip tag/>
                                                            {can_tag.then(|| view! {
                                                                <ActionForm action=remove_tag attr:class="inline-form">
                                                                    <input type="hidden" name="slug" value=slug_v.get_value()/>
                                                                    <input type="hidden" name="task_id" value=id_v.get_value()/>
                                                                    <input type="hidden" name="tag_id" value=tag_id/>
                                                                    <button type="submit" class="link-button" aria-label=t.remove_tag_named(&name)>"×"</button>
                                                                </ActionForm>
                                                            })}
                                                        </li>
                                                    }
                                                }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    }}
                                    {can_tag.then(|| {
                                        let on_task: Vec<String> = task.tags.iter().map(|t| t.id.clone()).collect();
                                        let choices: Vec<TagRow> = page.all_tags.iter().filter(|t| !on_task.contains(&t.id)).cloned().collect();
                                        view! {
                                            {(!choices.is_empty()).then(|| view! {
                                                <ActionForm action=add_tag attr:class="inline-form">
                                                    <input type="hidden" name="slug" value=slug_v.get_value()/>
                                                    <input type="hidden" name="task_id" value=id_v.get_value()/>
                                                    <label for="add-tag">{t.add_tag()}</label>
                                                    <select id="add-tag" name="tag_id">
                                                        {choices.into_iter().map(|t| view! { <option value=t.id>{t.name}</option> }).collect_view()}
                                                    </select>
                                                    <button type="submit" class="button small secondary">{t.add()}</button>
                                                </ActionForm>
                                            })}
                                            {can_create_tag.then(|| view! {
                                                <ActionForm action=new_tag attr:class="inline-form">
                                                    <input type="hidden" name="slug" value=slug_v.get_value()/>
                                                    <input type="hidden" name="task_id" value=id_v.get_value()/>
                                                    <label for="new-tag-name">{t.new_tag()}</label>
                                                    <input id="new-tag-name" name="name" required maxlength="50" placeholder=t.field_name()/>
                                                    <label for="new-tag-colour">{t.colour()}</label>
                                                    <input id="new-tag-colour" name="colour" type="color" value="#64748b"/>
                                                    <button type="submit" class="button small secondary">{t.create_and_add()}</button>
                                                </ActionForm>
                                            })}
                                        }
                                    })}
                                </section>
                                <section class="card" aria-labelledby="viewers-title">
                                    <h2 id="viewers-title">{t.viewers()}</h2>
                                    <p class="muted">{t.viewers_explained()}</p>
                                    <FormError error=viewer_error/>
                                    {if page.viewers.is_empty() {
                                        view! { <p class="muted">{t.no_viewers()}</p> }.into_any()
                                    } else {
                                        view! {
                                            <ul class="plain-list">
                                                {page.viewers.clone().into_iter().map(|p| view! {
                                                    <li>
                                                        {p.name.clone()} " "
                                                        {can_manage_viewers.then(|| view! {
                                                            <ActionForm action=remove_viewer attr:class="inline-form">
                                                                <input type="hidden" name="slug" value=slug_v.get_value()/>
                                                                <input type="hidden" name="task_id" value=id_v.get_value()/>
                                                                <input type="hidden" name="user_id" value=p.id.clone()/>
                                                                <button type="submit" class="button small secondary" aria-label=t.remove_viewer_named(&p.name)>{t.remove()}</button>
                                                            </ActionForm>
                                                        })}
                                                    </li>
                                                }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    }}
                                    {can_manage_viewers.then(|| {
                                        let current: Vec<String> = page.viewers.iter().map(|v| v.id.clone()).collect();
                                        let choices: Vec<Person> = page.people.iter().filter(|p| !current.contains(&p.id)).cloned().collect();
                                        (!choices.is_empty()).then(|| view! {
                                            <ActionForm action=add_viewer attr:class="inline-form">
                                                <input type="hidden" name="slug" value=slug_v.get_value()/>
                                                <input type="hidden" name="task_id" value=id_v.get_value()/>
                                                <label for="add-viewer">{t.add_viewer()}</label>
                                                <select id="add-viewer" name="user_id">
                                                    {choices.into_iter().map(|p| view! { <option value=p.id>{p.name}</option> }).collect_view()}
                                                </select>
                                                <button type="submit" class="button small secondary">{t.add_viewer()}</button>
                                            </ActionForm>
                                        })
                                    })}
                                </section>
                                <RepeatSection slug=slug_v.get_value() task_id=id_v.get_value() repeat=page.repeat.clone() role=role facts=facts actions=repeat_actions/>
                                <AttachmentsSection slug=slug_v.get_value() task_id=id_v.get_value() attachments=page.attachments.clone() can_upload=can_upload delete=unattach/>
                                {can_delete.then(|| view! {
                                    <section class="card danger-zone" aria-labelledby="delete-title">
                                        <h2 id="delete-title">{t.delete_this_task()}</h2>
                                        <details>
                                            <summary>{t.delete_task()}</summary>
                                            <p>{t.delete_task_explained()}</p>
                                            <ActionForm action=delete>
                                                <input type="hidden" name="slug" value=slug_v.get_value()/>
                                                <input type="hidden" name="task_id" value=id_v.get_value()/>
                                                <button type="submit" class="button danger">{t.yes_delete_task()}</button>
                                            </ActionForm>
                                        </details>
                                        <FormError error=delete_error/>
                                    </section>
                                })}
                                </div>
                            </article>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn EditTask(slug: String, page: TaskPage, action: ServerAction<UpdateTask>) -> impl IntoView {
    let task = page.task;
    let t = crate::use_t();
    view! {
        <details class="panel">
            <summary>{t.edit_task()}</summary>
            <ActionForm action=action attr:class="form grid-form">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="task_id" value=task.id.clone()/>
                <div class="field wide">
                    <label for="e-title">{t.label_title_short()}</label>
                    <input id="e-title" name="title" value=task.title.clone() required maxlength="300"/>
                </div>
                <div class="field">
                    <label for="e-project">{t.group_project()}</label>
                    <select id="e-project" name="project_id">
                        {page.projects.into_iter().map(|p| view! {
                            <option value=p.id.clone() selected=p.id == task.project_id>{p.name}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="e-status">{t.col_status()}</label>
                    <select id="e-status" name="status">
                        {STATUSES.iter().map(|(v, _)| view! { <option value=*v selected=*v == task.status>{super::status_word(t, v)}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="e-priority">{t.col_priority()}</label>
                    <select id="e-priority" name="priority">
                        {PRIORITIES.iter().map(|(v, _)| view! { <option value=*v selected=*v == task.priority>{super::priority_word(t, v)}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="e-assignee">{t.col_assignee()}</label>
                    <select id="e-assignee" name="assignee_id">
                        <option value="">{t.nobody()}</option>
                        {page.people.iter().cloned().map(|p| {
                            let chosen = task.assignee.as_ref().is_some_and(|a| a.id == p.id);
                            view! { <option value=p.id selected=chosen>{p.name}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="e-due">{t.due_date()}</label>
                    <input id="e-due" name="due_on" type="date" value=task.due_on.clone().unwrap_or_default()/>
                </div>
                <div class="field check">
                    <input id="e-private" name="private" type="checkbox" value="true" checked=task.private/>
                    <label for="e-private">{t.private()}</label>
                </div>
                <div class="field wide">
                    <label for="e-description">{t.description_markdown()}</label>
                    <super::mention_picker::MentionTextarea id="e-description".to_owned() name="description" rows=6 maxlength=20000 value=raw_text(&page.description) people=page.people.clone()/>
                </div>
                <div class="field wide">
                    <button type="submit" class="button" disabled=move || action.pending().get()>{t.save_changes()}</button>
                </div>
            </ActionForm>
        </details>
    }
}

#[component]
fn CommentItem(
    slug: String,
    task_id: String,
    comment: CommentRow,
    role: Role,
    edit: ServerAction<EditComment>,
    delete: ServerAction<DeleteComment>,
) -> impl IntoView {
    let can_edit = policy::can_edit_comment(role, comment.mine);
    let can_delete = policy::can_delete_comment(role, comment.mine);
    let edit_id = format!("edit-{}", comment.id);
    let t = crate::use_t();
    let (slug, task_id) = (StoredValue::new(slug), StoredValue::new(task_id));
    let comment_id = StoredValue::new(comment.id.clone());
    view! {
        <li class="comment">
            <p class="comment-head">
                <strong>{comment.author.clone()}</strong> " "
                <span class="muted">{comment.written.clone()}{comment.edited.then(|| format!(" {}", t.edited_suffix()))}</span>
            </p>
            // Safe: render_markdown escapes raw HTML and drops script links.
            <div class="markdown" inner_html=comment.html.clone()></div>
            <div class="comment-actions">
                {can_edit.then(|| view! {
                    <details>
                        <summary>{t.edit_comment()}</summary>
                        <ActionForm action=edit attr:class="form">
                            <input type="hidden" name="slug" value=slug.get_value()/>
                            <input type="hidden" name="task_id" value=task_id.get_value()/>
                            <input type="hidden" name="comment_id" value=comment_id.get_value()/>
                            <label for=edit_id.clone()>{t.comment()}</label>
                            <textarea id=edit_id name="body" rows="3" required maxlength="10000">{raw_text(&comment.body)}</textarea>
                            <button type="submit" class="button small">{t.save_comment()}</button>
                        </ActionForm>
                    </details>
                })}
                {can_delete.then(|| view! {
                    <ActionForm action=delete attr:class="inline-form">
                        <input type="hidden" name="slug" value=slug.get_value()/>
                        <input type="hidden" name="task_id" value=task_id.get_value()/>
                        <input type="hidden" name="comment_id" value=comment_id.get_value()/>
                        <button type="submit" class="button small danger">{t.delete_comment()}</button>
                    </ActionForm>
                })}
            </div>
        </li>
    }
}
