//! What the task page changes: its fields, deletion, tags, viewers and comments. Each server
//! function opens the workspace, calls the one core function of its action (which decides who
//! may) and commits.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::{PRIORITIES, STATUSES};
use crate::UiError;

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
    use super::srv;
    use bastion_core::work::tasks;
    let mut o = crate::server::open(&slug).await?;
    let id = srv::id_or_404(&task_id, "task")?;
    let patch = tasks::TaskPatch {
        project_id: srv::opt_id("The project", Some(&project_id))?,
        title: Some(title),
        description: Some(description.unwrap_or_default()),
        status: srv::opt_choice("The status", Some(&status), &STATUSES)?,
        priority: srv::opt_choice("The priority", Some(&priority), &PRIORITIES)?,
        assignee_id: Some(srv::opt_id("The assignee", assignee_id.as_deref())?),
        due_on: Some(srv::opt_date("The due date", due_on.as_deref())?),
        private: Some(private.is_some_and(|p| !p.is_empty() && p != "false")),
    };
    tasks::update_task(&mut o.tx, &o.viewer, id, patch).await?;
    o.tx.commit().await?;
    Ok(())
}

/// Deletes the task (the page asks for confirmation first) and goes back to the list.
#[server(prefix = "/api/fn", endpoint = "delete_task")]
pub async fn delete_task(slug: String, task_id: String) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    let id = super::srv::id_or_404(&task_id, "task")?;
    bastion_core::work::tasks::delete_task(&mut o.tx, &o.viewer, id).await?;
    o.tx.commit().await?;
    leptos_axum::redirect(&format!("/w/{slug}/tasks"));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "add_task_tag")]
pub async fn add_task_tag(slug: String, task_id: String, tag_id: String) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    let id = super::srv::id_or_404(&task_id, "task")?;
    let Some(tag) = super::srv::opt_id("The tag", Some(&tag_id))? else {
        return Err(UiError::invalid("tag_id", "Choose a tag."));
    };
    bastion_core::work::tags::add_task_tag(&mut o.tx, &o.viewer, id, tag).await?;
    o.tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "remove_task_tag")]
pub async fn remove_task_tag(slug: String, task_id: String, tag_id: String) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    let id = super::srv::id_or_404(&task_id, "task")?;
    let tag = super::srv::id_or_404(&tag_id, "tag")?;
    bastion_core::work::tags::remove_task_tag(&mut o.tx, &o.viewer, id, tag).await?;
    o.tx.commit().await?;
    Ok(())
}

/// Adds a tag to the workspace's catalogue and puts it on the task.
#[server(prefix = "/api/fn", endpoint = "create_tag")]
pub async fn create_tag(
    slug: String,
    task_id: String,
    name: String,
    colour: Option<String>,
) -> Result<(), UiError> {
    use bastion_core::work::{tags, tasks};
    let mut o = crate::server::open(&slug).await?;
    let id = super::srv::id_or_404(&task_id, "task")?;
    // The task first: one the caller cannot see is 404 before any refusal of the tag.
    tasks::get_task(&mut o.tx, &o.viewer, id).await?;
    let colour = colour.filter(|c| !c.trim().is_empty());
    let tag = tags::create_tag(&mut o.tx, &o.viewer, &name, colour.as_deref()).await?;
    tags::add_task_tag(&mut o.tx, &o.viewer, id, tag.id).await?;
    o.tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "add_task_viewer")]
pub async fn add_task_viewer(
    slug: String,
    task_id: String,
    user_id: String,
) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    let id = super::srv::id_or_404(&task_id, "task")?;
    let Some(person) = super::srv::opt_id("The person", Some(&user_id))? else {
        return Err(UiError::invalid("user_id", "Choose a person."));
    };
    bastion_core::work::tasks::add_task_viewer(&mut o.tx, &o.viewer, id, person).await?;
    o.tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "remove_task_viewer")]
pub async fn remove_task_viewer(
    slug: String,
    task_id: String,
    user_id: String,
) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    let id = super::srv::id_or_404(&task_id, "task")?;
    let person = super::srv::id_or_404(&user_id, "task viewer")?;
    bastion_core::work::tasks::remove_task_viewer(&mut o.tx, &o.viewer, id, person).await?;
    o.tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "add_comment")]
pub async fn add_comment(slug: String, task_id: String, body: String) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    let id = super::srv::id_or_404(&task_id, "task")?;
    bastion_core::work::comments::create_comment(&mut o.tx, &o.viewer, id, &body).await?;
    o.tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "edit_comment")]
pub async fn edit_comment(
    slug: String,
    task_id: String,
    comment_id: String,
    body: String,
) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    let task = super::srv::id_or_404(&task_id, "task")?;
    let id = super::srv::id_or_404(&comment_id, "comment")?;
    bastion_core::work::comments::update_comment(&mut o.tx, &o.viewer, task, id, &body).await?;
    o.tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "delete_comment")]
pub async fn delete_comment(
    slug: String,
    task_id: String,
    comment_id: String,
) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    let task = super::srv::id_or_404(&task_id, "task")?;
    let id = super::srv::id_or_404(&comment_id, "comment")?;
    bastion_core::work::comments::delete_comment(&mut o.tx, &o.viewer, task, id).await?;
    o.tx.commit().await?;
    Ok(())
}
