//! What the task page changes: its fields, deletion, tags, viewers, comments and the caller's
//! watch. Each server
//! function reads its form and hands one core call (which decides who may) to [`change_task`].

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::srv::{id_or_404, opt_id};
#[cfg(feature = "ssr")]
use super::{PRIORITIES, STATUSES};
use crate::UiError;
#[cfg(feature = "ssr")]
use bastion_core::{
    work::comments, work::mentions, work::tags, work::tasks, work::watching, TenantTx, Viewer,
};

/// One change to the task a form names, as the caller: opens the workspace, reads the task id
/// (one that is not an id is 404), lets `change` call core and commits. What core answers is
/// not needed: the page reloads what it shows.
#[cfg(feature = "ssr")]
pub(crate) async fn change_task<T>(
    slug: &str,
    task_id: &str,
    change: impl AsyncFnOnce(&mut TenantTx, &Viewer, uuid::Uuid) -> Result<T, UiError>,
) -> Result<(), UiError> {
    let mut o = crate::server::open(slug).await?;
    let id = id_or_404(task_id, "task")?;
    change(&mut o.tx, &o.viewer, id).await?;
    Ok(o.tx.commit().await?)
}

/// Saves the edit form: every field is sent, so an unticked `private` means not private.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api/fn", endpoint = "update_task")]
pub async fn update_task(
    slug: String,
    task_id: String,
    title: String,
    project_id: String,
    status: String,
    priority: String,
    assignee_id: Option<String>,
    due_on: Option<String>,
    private: Option<String>,
    description: Option<String>,
) -> Result<(), UiError> {
    use super::srv::{opt_choice, opt_date};
    let description = typed_mentions(&slug, &description.unwrap_or_default()).await?;
    change_task(&slug, &task_id, async |tx, viewer, id| {
        let patch = tasks::TaskPatch {
            project_id: opt_id("project_id", Some(&project_id))?,
            title: Some(title),
            description: Some(description),
            status: opt_choice("status", Some(&status), &STATUSES)?,
            priority: opt_choice("priority", Some(&priority), &PRIORITIES)?,
            assignee_id: Some(opt_id("assignee_id", assignee_id.as_deref())?),
            due_on: Some(opt_date("due_on", due_on.as_deref())?),
            private: Some(private.is_some_and(|p| !p.is_empty() && p != "false")),
        };
        Ok(tasks::update_task(tx, viewer, id, patch).await?)
    })
    .await
}

/// Changes one property in place (the task page's inline forms): `property` is `status`,
/// `priority`, `assignee_id` or `due_on`; an empty value clears the assignee or the due date.
/// The same core update, policy and history as the whole edit form.
#[server(prefix = "/api/fn", endpoint = "set_task_property")]
pub async fn set_task_property(
    slug: String,
    task_id: String,
    property: String,
    value: Option<String>,
) -> Result<(), UiError> {
    use super::srv::{opt_choice, opt_date};
    let value = value.unwrap_or_default();
    change_task(&slug, &task_id, async |tx, viewer, id| {
        let patch = match property.as_str() {
            "status" => tasks::TaskPatch {
                status: opt_choice("status", Some(&value), &STATUSES)?,
                ..Default::default()
            },
            "priority" => tasks::TaskPatch {
                priority: opt_choice("priority", Some(&value), &PRIORITIES)?,
                ..Default::default()
            },
            "assignee_id" => tasks::TaskPatch {
                assignee_id: Some(opt_id("assignee_id", Some(&value))?),
                ..Default::default()
            },
            "due_on" => tasks::TaskPatch {
                due_on: Some(opt_date("due_on", Some(&value))?),
                ..Default::default()
            },
            _ => {
                return Err(bastion_core::CoreError::invalid(
                    "property",
                    "must be status, priority, assignee_id or due_on",
                )
                .into())
            }
        };
        Ok(tasks::update_task(tx, viewer, id, patch).await?)
    })
    .await
}

/// The names of the people a text mentioned who were not notified, sorted, for the page.
#[cfg(feature = "ssr")]
pub(crate) async fn names_of(ids: Vec<uuid::Uuid>) -> Result<Vec<String>, UiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = super::srv::names(ids).await?.into_values().collect();
    names.sort();
    Ok(names)
}

/// Deletes the task (the page asks for confirmation first) and goes back to the list.
#[server(prefix = "/api/fn", endpoint = "delete_task")]
pub async fn delete_task(slug: String, task_id: String) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        Ok(tasks::delete_task(tx, viewer, id).await?)
    })
    .await?;
    leptos_axum::redirect(&format!("/w/{slug}/tasks"));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "add_task_tag")]
pub async fn add_task_tag(slug: String, task_id: String, tag_id: String) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        let Some(tag) = opt_id("tag_id", Some(&tag_id))? else {
            return Err(UiError::invalid("tag_id", crate::use_t().choose_tag()));
        };
        Ok(tags::add_task_tag(tx, viewer, id, tag).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "remove_task_tag")]
pub async fn remove_task_tag(slug: String, task_id: String, tag_id: String) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        let tag = id_or_404(&tag_id, "tag")?;
        Ok(tags::remove_task_tag(tx, viewer, id, tag).await?)
    })
    .await
}

/// Adds a tag to the workspace's catalogue and puts it on the task.
#[server(prefix = "/api/fn", endpoint = "create_tag")]
pub async fn create_tag(
    slug: String,
    task_id: String,
    name: String,
    colour: Option<String>,
) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        // The task first: one the caller cannot see is 404 before any refusal of the tag.
        tasks::get_task(tx, viewer, id).await?;
        let colour = colour.filter(|c| !c.trim().is_empty());
        let tag = tags::create_tag(tx, viewer, &name, colour.as_deref()).await?;
        Ok(tags::add_task_tag(tx, viewer, id, tag.id).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "add_task_viewer")]
pub async fn add_task_viewer(
    slug: String,
    task_id: String,
    user_id: String,
) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        let Some(person) = opt_id("user_id", Some(&user_id))? else {
            return Err(UiError::invalid("user_id", crate::use_t().choose_person()));
        };
        Ok(tasks::add_task_viewer(tx, viewer, id, person).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "remove_task_viewer")]
pub async fn remove_task_viewer(
    slug: String,
    task_id: String,
    user_id: String,
) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        let person = id_or_404(&user_id, "task viewer")?;
        Ok(tasks::remove_task_viewer(tx, viewer, id, person).await?)
    })
    .await
}

/// `@Name` as typed, with each name of an active member the caller may list turned into the
/// stable reference core stores (`@[<user id>]`). Guests list nobody, so they mention nobody
/// by name. Called before the change's own transaction: the members are read in a short one of
/// their own, ended before their names are read from the control plane, so the request never
/// holds one connection while it waits for another (see `srv::names`).
#[cfg(feature = "ssr")]
pub(crate) async fn typed_mentions(slug: &str, body: &str) -> Result<String, UiError> {
    if !body.contains('@') {
        return Ok(body.to_owned());
    }
    let mut o = crate::server::open(slug).await?;
    let ids = super::srv::member_ids(&mut o.tx, o.viewer.role).await?;
    o.tx.rollback().await?;
    let people: Vec<(uuid::Uuid, String)> = super::srv::people(ids)
        .await?
        .into_iter()
        .filter_map(|p| Some((uuid::Uuid::parse_str(&p.id).ok()?, p.name)))
        .collect();
    Ok(mentions::from_names(body, &people))
}

/// Posts a comment; answers the names of the people it mentions who were not notified because
/// they cannot see the task, for the page to say so.
#[server(prefix = "/api/fn", endpoint = "add_comment")]
pub async fn add_comment(
    slug: String,
    task_id: String,
    body: String,
) -> Result<Vec<String>, UiError> {
    let body = typed_mentions(&slug, &body).await?;
    let mut o = crate::server::open(&slug).await?;
    let id = id_or_404(&task_id, "task")?;
    let posted = comments::post_comment(&mut o.tx, &o.viewer, id, &body).await?;
    o.tx.commit().await?;
    names_of(posted.mentions.not_notified).await
}

#[server(prefix = "/api/fn", endpoint = "watch_task")]
pub async fn watch_task(slug: String, task_id: String) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        Ok(watching::watch(tx, viewer, id).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "unwatch_task")]
pub async fn unwatch_task(slug: String, task_id: String) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, id| {
        Ok(watching::unwatch(tx, viewer, id).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "edit_comment")]
pub async fn edit_comment(
    slug: String,
    task_id: String,
    comment_id: String,
    body: String,
) -> Result<(), UiError> {
    let body = typed_mentions(&slug, &body).await?;
    change_task(&slug, &task_id, async |tx, viewer, task| {
        let id = id_or_404(&comment_id, "comment")?;
        Ok(comments::update_comment(tx, viewer, task, id, &body).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "delete_comment")]
pub async fn delete_comment(
    slug: String,
    task_id: String,
    comment_id: String,
) -> Result<(), UiError> {
    change_task(&slug, &task_id, async |tx, viewer, task| {
        let id = id_or_404(&comment_id, "comment")?;
        Ok(comments::delete_comment(tx, viewer, task, id).await?)
    })
    .await
}
