//! The task page's attachments section: the task's files with who uploaded them and when, a
//! download link each, delete for those allowed, and the upload form.
//!
//! Uploads are a plain multipart `<form>` posted to the REST endpoint with `?redirect=1`, which
//! answers `303` back to this page: the browser streams the file itself, before hydration as
//! after (the router does not intercept plain forms), the REST handler's size limit and checks
//! stay the only upload path, and no script or server function has to carry file bytes.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::FormError;
use crate::error::{action_error, FormOutcome};
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRow {
    pub id: String,
    pub filename: String,
    pub size: String,
    pub uploader: String,
    /// Brussels time.
    pub uploaded: String,
    pub can_delete: bool,
}

/// A byte count as people read it: `512 B`, `1.5 KB`, `2.0 MB` (binary units, one decimal).
#[cfg(feature = "ssr")]
pub fn format_size(bytes: i64) -> String {
    const UNITS: [&str; 3] = ["KB", "MB", "GB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit = 1024_i64;
    for (i, name) in UNITS.iter().enumerate() {
        if bytes < unit * 1024 || i == UNITS.len() - 1 {
            let tenths = bytes * 10 / unit;
            return format!("{}.{} {name}", tenths / 10, tenths % 10);
        }
        unit *= 1024;
    }
    format!("{bytes} B")
}

/// An attachment as the section shows it; `wall` is its upload time in Brussels.
#[cfg(feature = "ssr")]
pub(crate) fn row(
    a: bastion_core::attachments::Attachment,
    caller: uuid::Uuid,
    role: crate::policy::Role,
    uploader: String,
    wall: String,
) -> AttachmentRow {
    AttachmentRow {
        id: a.id.to_string(),
        size: format_size(a.size_bytes),
        uploader,
        uploaded: wall,
        can_delete: crate::policy::can_delete_attachment(role, a.uploader_id == caller),
        filename: a.filename,
    }
}

/// An id naming what a form is about: one that is not a UUID names nothing (404, as core says).
#[cfg(feature = "ssr")]
pub(crate) fn id_or_404(text: &str, what: &'static str) -> Result<uuid::Uuid, UiError> {
    uuid::Uuid::parse_str(text.trim()).map_err(|_| bastion_core::CoreError::NotFound(what).into())
}

/// The workspace opened as the caller, and the task a section's form names. As everywhere on
/// the task page, a task the caller cannot see is 404 before anything else is read.
#[cfg(feature = "ssr")]
pub(crate) async fn open_seen_task(
    slug: &str,
    task_id: &str,
) -> Result<(crate::server::Opened, uuid::Uuid), UiError> {
    let mut o = crate::server::open(slug).await?;
    let task_id = id_or_404(task_id, "task")?;
    if !o.viewer.sees_task(&mut o.tx, task_id).await? {
        return Err(bastion_core::CoreError::NotFound("task").into());
    }
    Ok((o, task_id))
}

/// Deletes an attachment of this task, bytes included: admins any, members their own uploads.
#[server(prefix = "/api/fn", endpoint = "delete_attachment")]
pub async fn delete_attachment(
    slug: String,
    task_id: String,
    attachment_id: String,
) -> Result<(), UiError> {
    use bastion_core::attachments;

    let (mut o, task_id) = open_seen_task(&slug, &task_id).await?;
    let id = id_or_404(&attachment_id, "attachment")?;
    // An attachment of another task is not this page's to delete.
    let attachment = attachments::get(&mut o.tx, o.viewer, id).await?;
    if attachment.task_id != task_id {
        return Err(bastion_core::CoreError::NotFound("attachment").into());
    }
    let objects = crate::server::context()?.objects;
    attachments::delete(&mut o.tx, &objects, o.viewer, id).await?;
    Ok(o.tx.commit().await?)
}

#[component]
pub fn AttachmentsSection(
    slug: String,
    task_id: String,
    attachments: Vec<AttachmentRow>,
    can_upload: bool,
    delete: ServerAction<DeleteAttachment>,
) -> impl IntoView {
    let query = use_query_map();
    let t = crate::use_t();
    // Set by the upload endpoint's redirect: fixed words per outcome, never text from the URL.
    let outcome = move || match query.read().get("attachment").as_deref() {
        Some("uploaded") => Some(Ok(t.file_uploaded().into())),
        Some("too_large") => Some(Err(t.file_too_large().into())),
        Some("invalid") => Some(Err(t.file_invalid().into())),
        _ => None,
    };
    let delete_error = action_error(delete);
    let upload_to = format!("/api/v1/workspaces/{slug}/tasks/{task_id}/attachments?redirect=1");
    let (slug, task_id) = (StoredValue::new(slug), StoredValue::new(task_id));
    view! {
        <section class="card" id="attachments" aria-labelledby="attachments-title">
            <h2 id="attachments-title">{t.attachments()}</h2>
            <FormOutcome outcome ok_class="success"/>
            <FormError error=delete_error/>
            {if attachments.is_empty() {
                view! { <p class="muted">{t.no_files()}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list attachments">
                        {attachments.into_iter().map(|a| {
                            let href = format!("/api/v1/workspaces/{}/attachments/{}", slug.get_value(), a.id);
                            view! {
                                <li>
                                    // `download`: the browser saves it, and the router leaves the link alone.
                                    <a href=href download=a.filename.clone()>{a.filename.clone()}</a>
                                    " "<span class="muted">{format!("{} · {} · {}", a.size, a.uploader, a.uploaded)}</span>
                                    {a.can_delete.then(|| view! {
                                        <details class="confirm-delete">
                                            <summary>{t.delete_file(&a.filename)}</summary>
                                            <p>{t.file_delete_explained()}</p>
                                            <ActionForm action=delete attr:class="inline-form">
                                                <input type="hidden" name="slug" value=slug.get_value()/>
                                                <input type="hidden" name="task_id" value=task_id.get_value()/>
                                                <input type="hidden" name="attachment_id" value=a.id.clone()/>
                                                <button type="submit" class="button small danger">{t.yes_delete_file(&a.filename)}</button>
                                            </ActionForm>
                                        </details>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {can_upload.then(|| view! {
                // A plain form, not an ActionForm: the browser posts the file to the REST
                // endpoint, which answers 303 back here (see the module's comment).
                <form class="inline-form upload-form" method="post" enctype="multipart/form-data" action=upload_to>
                    <label for="upload-file">{t.attach_file()}</label>
                    <input id="upload-file" name="file" type="file" required/>
                    <button type="submit" class="button small">{t.upload()}</button>
                </form>
            })}
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(format_size(512), "512 B");
        assert_eq!(format_size(1536), "1.5 KB");
        assert_eq!(format_size(2 * 1024 * 1024), "2.0 MB");
    }
}
