//! Attachments over REST: upload (multipart) and list on a task the caller can see, download as
//! a stream that a browser always saves rather than renders, delete (admins any, members their
//! own). Guests download on the tasks they view and upload nothing.

use super::download;
use super::ids::{path_id, PathIds};
use app::policy::Role;
use axum::{
    extract::{
        multipart::{MultipartError, MultipartRejection},
        Multipart, Path, State,
    },
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Json,
};
use bastion_core::{
    attachments::{self, Attachment, Upload},
    members, Viewer,
};
use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::query::ApiQuery;
use crate::{
    auth::{Member, WorkspaceUser},
    error::{ApiError, ErrorBody, ErrorDetail},
    AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: Uuid,
    pub task_id: Uuid,
    pub uploader_id: Uuid,
    /// The uploaded file's name, without any directory, control characters or bidi overrides.
    #[schema(example = "plan.pdf")]
    pub filename: String,
    #[schema(example = 48213)]
    pub size_bytes: i64,
    #[schema(example = "application/pdf")]
    pub content_type: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

impl From<Attachment> for AttachmentView {
    fn from(a: Attachment) -> Self {
        Self {
            id: a.id,
            task_id: a.task_id,
            uploader_id: a.uploader_id,
            filename: a.filename,
            size_bytes: a.size_bytes,
            content_type: a.content_type,
            created_at: a
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentList {
    pub items: Vec<AttachmentView>,
}

/// The multipart form of an upload: the one part `file`, nothing else.
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AttachmentUpload {
    /// The file; its name and content type come from the part's headers.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// `1`: answer as to a browser's plain form — `303 See Other` to the task's page, with
    /// `?attachment=uploaded`, `?attachment=too_large` or `?attachment=invalid` — instead of JSON.
    /// Refusals (401, 403, 404) stay JSON errors.
    #[param(example = "1")]
    pub redirect: Option<String>,
}

impl UploadQuery {
    fn redirect(&self) -> bool {
        matches!(self.redirect.as_deref(), Some("1" | "true"))
    }
}

/// The task's page, with the upload's outcome for it to say. Built from the workspace's own
/// slug and a parsed id only, so it can never point elsewhere.
fn back_to_task(slug: &str, task_id: Uuid, outcome: &str) -> Response {
    Redirect::to(&format!(
        "/w/{slug}/tasks/{task_id}?attachment={outcome}#attachments"
    ))
    .into_response()
}

/// The attachments of a task, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/attachments",
    params(
        ("task_id" = Uuid, Path, description = "Task id"),
    ),
    responses(
        (status = 200, description = "The task's attachments.", body = AttachmentList),
        (status = 404, description = "No such workspace or task, or not visible to the caller.", body = ErrorBody),
    ),
)]
pub async fn list_attachments(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<AttachmentList>, ApiError> {
    let viewer = member.viewer();
    let items = attachments::list_for_task(&mut member.tx, viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(Json(AttachmentList {
        items: items.into_iter().map(AttachmentView::from).collect(),
    }))
}

/// Opens the caller's membership and asks core whether they may upload to the task.
async fn open_for_upload(
    state: &AppState,
    user_id: Uuid,
    slug: &str,
    task_id: Uuid,
) -> Result<
    (
        bastion_core::workspaces::Workspace,
        Viewer,
        bastion_core::TenantTx,
    ),
    ApiError,
> {
    let (workspace, role, mut tx) = members::open_as_member(&state.pool, user_id, slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    let role = Role::parse(&role).ok_or(ApiError::NotFound)?;
    let viewer = Viewer::new(user_id, role);
    attachments::check_upload(&mut tx, viewer, task_id).await?;
    Ok((workspace, viewer, tx))
}

pub(crate) fn too_large(limit: u64) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        Json(ErrorBody {
            error: ErrorDetail {
                code: "too_large".into(),
                message: format!("The file is larger than {limit} bytes."),
                field: Some("file".into()),
            },
        }),
    )
        .into_response()
}

enum ReadError {
    TooLarge,
    Api(ApiError),
}

fn multipart_error(e: MultipartError) -> ReadError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ReadError::TooLarge
    } else {
        ReadError::Api(ApiError::Invalid {
            field: "file".into(),
            message: format!("the multipart body could not be read: {}", e.body_text()),
        })
    }
}

/// The part named `file`, read up to `max` bytes. The form has that one part; another, before
/// or after it, is a client's mistake, named rather than ignored.
async fn read_upload(multipart: &mut Multipart, max: u64) -> Result<Upload, ReadError> {
    let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? else {
        return Err(ReadError::Api(ApiError::Invalid {
            field: "file".into(),
            message: "is missing: send the file as the multipart field 'file'".into(),
        }));
    };
    if field.name() != Some("file") {
        return Err(not_a_part(field.name()));
    }
    let filename = field.file_name().unwrap_or_default().to_owned();
    let content_type = field.content_type().map(str::to_owned);
    let mut bytes = BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if (bytes.len() + chunk.len()) as u64 > max {
            return Err(ReadError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    // The part holds the reader until it is dropped.
    drop(field);
    if let Some(extra) = multipart.next_field().await.map_err(multipart_error)? {
        return Err(not_a_part(extra.name()));
    }
    Ok(Upload {
        filename,
        content_type,
        bytes: bytes.freeze(),
    })
}

fn not_a_part(name: Option<&str>) -> ReadError {
    ReadError::Api(ApiError::Invalid {
        field: name.unwrap_or_default().to_owned(),
        message: "is not a part of an upload: send only the part named file".into(),
    })
}

/// Upload a file to a task (multipart field `file`). Stored under the workspace's prefix with a
/// key the server makes; the file name is kept only as a label. With `?redirect=1` it answers a
/// browser's plain HTML form (the task page's upload form, which works with or without script):
/// `303` back to the task page instead of JSON.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/attachments",
    params(
        ("task_id" = Uuid, Path, description = "Task id"),
        UploadQuery,
    ),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored.", body = AttachmentView),
        (status = 303, description = "With `redirect=1`: stored, or refused as too large or invalid; the `Location` is the task's page saying which."),
        (status = 403, description = "A guest, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or task, or not visible to the caller.", body = ErrorBody),
        (status = 413, description = "Larger than the configured limit (default 25 MiB).", body = ErrorBody),
        (status = 422, description = "Not a multipart form, no file, or an unusable file name.", body = ErrorBody),
    ),
)]
pub async fn create_attachment(
    State(state): State<AppState>,
    current: WorkspaceUser,
    Path((slug, task_id)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let task_id = path_id(&task_id)?;
    let user_id = current.user.id;
    let max = state.config.max_upload_bytes;
    // Checked before the file is read, and the transaction closed while it arrives: a slow
    // upload must not hold a database connection, nor a refused one be read at all.
    let (workspace, _, tx) = open_for_upload(&state, user_id, &slug, task_id).await?;
    tx.rollback().await?;
    let redirect = query.redirect();
    let back = |outcome| back_to_task(&workspace.slug, task_id, outcome);
    // axum's own rejection of a body that is no multipart form is a plain-text 400.
    let mut multipart = match multipart {
        Ok(multipart) => multipart,
        Err(_) if redirect => return Ok(back("invalid")),
        Err(e) => {
            return Err(ApiError::Invalid {
                field: "body".into(),
                message: format!("must be multipart/form-data ({})", e.body_text()),
            })
        }
    };
    let upload = match read_upload(&mut multipart, max).await {
        Ok(upload) => upload,
        Err(ReadError::TooLarge) if redirect => return Ok(back("too_large")),
        Err(ReadError::TooLarge) => return Ok(too_large(max)),
        Err(ReadError::Api(ApiError::Invalid { .. })) if redirect => return Ok(back("invalid")),
        Err(ReadError::Api(e)) => return Err(e),
    };
    // Checked again: the role or the task may have changed while the file arrived.
    let (workspace, viewer, mut tx) = open_for_upload(&state, user_id, &slug, task_id).await?;
    let stored = attachments::upload(
        &mut tx,
        &state.objects,
        workspace.id,
        viewer,
        task_id,
        upload,
        max,
    )
    .await;
    let attachment = match stored {
        Ok(attachment) => attachment,
        Err(bastion_core::CoreError::Invalid { .. }) if redirect => {
            return Ok(back_to_task(&workspace.slug, task_id, "invalid"))
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    if redirect {
        return Ok(back_to_task(&workspace.slug, task_id, "uploaded"));
    }
    Ok((StatusCode::CREATED, Json(AttachmentView::from(attachment))).into_response())
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII stand-in for old
/// clients and the exact name percent-encoded.
fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in filename.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Download an attachment. Always sent as a download (`Content-Disposition: attachment`) with
/// `X-Content-Type-Options: nosniff`, so an uploaded page or script is never run by the browser.
/// One byte range may be asked for (`Range: bytes=…`), to resume a download.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/attachments/{attachment_id}",
    operation_id = "get_attachment",
    params(
        ("attachment_id" = Uuid, Path, description = "Attachment id"),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`, `bytes=1024-` or `bytes=-512`; several ranges, other units and any `If-Range` get the whole file."),
    ),
    responses(
        (status = 200, description = "The file's bytes, with its stored content type.", content_type = "application/octet-stream"),
        (status = 206, description = "The range asked for, with `Content-Range: bytes first-last/size`.", content_type = "application/octet-stream"),
        (status = 404, description = "No such attachment, or its task is not visible to the caller.", body = ErrorBody),
        (status = 416, description = "`range_not_satisfiable`: the range starts past the end; `Content-Range: bytes */size`.", body = ErrorBody),
    ),
)]
pub async fn download_attachment(
    State(state): State<AppState>,
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let viewer = member.viewer();
    let attachment = attachments::get(&mut member.tx, viewer, id).await?;
    member.tx.commit().await?;
    let content_type = HeaderValue::from_str(&attachment.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    download::object(
        &state.objects,
        &attachment.object_key,
        u64::try_from(attachment.size_bytes).map_err(ApiError::internal)?,
        &headers,
        content_type,
        &content_disposition(&attachment.filename),
    )
    .await
}

/// Delete an attachment: admins any, members those they uploaded.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/attachments/{attachment_id}",
    params(
        ("attachment_id" = Uuid, Path, description = "Attachment id"),
    ),
    responses(
        (status = 204, description = "Deleted, bytes included."),
        (status = 403, description = "Not the caller's to delete, or another origin.", body = ErrorBody),
        (status = 404, description = "No such attachment, or its task is not visible to the caller.", body = ErrorBody),
    ),
)]
pub async fn delete_attachment(
    State(state): State<AppState>,
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    attachments::delete(&mut member.tx, &state.objects, viewer, id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(download_attachment, delete_attachment))
        // The upload's size is capped by `limit_body` (the configured limit), not axum's default.
        .merge(
            utoipa_axum::router::OpenApiRouter::new()
                .routes(utoipa_axum::routes!(list_attachments, create_attachment))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_is_safe_for_any_name() {
        assert_eq!(
            content_disposition("plan.pdf"),
            "attachment; filename=\"plan.pdf\"; filename*=UTF-8''plan.pdf"
        );
        assert_eq!(
            content_disposition("Offerte \"été\".pdf"),
            "attachment; filename=\"Offerte __t__.pdf\"; \
             filename*=UTF-8''Offerte%20%22%C3%A9t%C3%A9%22.pdf"
        );
        assert!(HeaderValue::from_str(&content_disposition("a\u{202E}b;c\\d")).is_ok());
    }
}
