//! Attachments: a metadata row in the workspace schema and the bytes in object storage
//! ([`crate::storage`]) under `<workspace-id>/<attachment-id>`. The key is made by the server
//! alone; the uploaded file name is only ever a label (sanitised, shown and sent back in
//! `Content-Disposition`).

use std::ops::Range;

use bytes::Bytes;
use futures::stream::BoxStream;
use serde::Serialize;
use sqlx::{AssertSqlSafe, FromRow};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{ensure, CoreError, CoreResult, TenantTx, Viewer, WorkspaceId};
use bastion_policy as policy;

/// Attachments share the one object store with export archives.
pub use crate::storage::Objects;

/// 25 MiB, unless configured otherwise (`BASTION_MAX_UPLOAD_BYTES`).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;
pub const MAX_FILENAME_BYTES: usize = 255;
const FALLBACK_CONTENT_TYPE: &str = "application/octet-stream";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct Attachment {
    pub id: Uuid,
    pub task_id: Uuid,
    pub uploader_id: Uuid,
    pub filename: String,
    pub size_bytes: i64,
    pub content_type: String,
    #[serde(skip)]
    pub object_key: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str =
    "a.id, a.task_id, a.uploader_id, a.filename, a.size_bytes, a.content_type, a.object_key, a.created_at";

/// The name to keep from an uploaded file: its last path component (either slash), without
/// control or bidirectional-override characters, trimmed, at most 255 bytes (the extension is
/// kept when the stem is cut). Refused when nothing is left.
pub fn sanitize_filename(raw: &str) -> CoreResult<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let name = cleaned.trim().trim_start_matches('.').trim();
    if name.is_empty() {
        return Err(CoreError::invalid("filename", "must name a file"));
    }
    if name.len() <= MAX_FILENAME_BYTES {
        return Ok(name.to_owned());
    }
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if name.len() - dot <= 16 => name.split_at(dot),
        _ => (name, ""),
    };
    let mut cut = MAX_FILENAME_BYTES - ext.len();
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    Ok(format!("{}{ext}", &stem[..cut]))
}

/// Characters that reorder the text around them, turning `evil\u{202E}fdp.exe` into what reads
/// as `evilexe.pdf`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A `type/subtype` media type without parameters, lower-cased; anything else becomes
/// `application/octet-stream`. Downloads are always sent as attachments with `nosniff`, so the
/// type is a hint for the user's system, never a way to make the browser render something.
pub fn normalize_content_type(raw: Option<&str>) -> String {
    let Some(raw) = raw else {
        return FALLBACK_CONTENT_TYPE.to_owned();
    };
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match essence.split_once('/') {
        Some((t, s)) if essence.len() <= 100 && token(t) && token(s) => essence,
        _ => FALLBACK_CONTENT_TYPE.to_owned(),
    }
}

/// A task the viewer can see, or `NotFound("task")`.
async fn ensure_task_visible(tx: &mut TenantTx, viewer: Viewer, task_id: Uuid) -> CoreResult<()> {
    if viewer.sees_task(tx, task_id).await? {
        Ok(())
    } else {
        Err(CoreError::NotFound("task"))
    }
}

/// An upload as received: the caller has already read it within the size limit.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

/// Whether the viewer may upload to the task: it must be one they see (`NotFound("task")`
/// otherwise) and their role must allow uploads. Checked before an upload's bytes are read, so a
/// refused upload is never received, and again by [`upload`].
pub async fn check_upload(tx: &mut TenantTx, viewer: Viewer, task_id: Uuid) -> CoreResult<()> {
    ensure_task_visible(tx, viewer, task_id).await?;
    ensure(
        policy::can_upload_attachments(viewer.role),
        "Guests may download attachments but not upload them.",
    )
}

/// Stores an upload on a task the viewer can see: the object first, then the row. If the row
/// cannot be written the object is removed again. (Should the caller's transaction fail to
/// commit afterwards, an object without a row remains: invisible, and removed with the
/// workspace's prefix.) Who may upload at all is the caller's check.
pub async fn upload(
    tx: &mut TenantTx,
    objects: &Objects,
    workspace: WorkspaceId,
    viewer: Viewer,
    task_id: Uuid,
    upload: Upload,
    max_bytes: u64,
) -> CoreResult<Attachment> {
    check_upload(tx, viewer, task_id).await?;
    let filename = sanitize_filename(&upload.filename)?;
    if upload.bytes.len() as u64 > max_bytes {
        return Err(CoreError::invalid(
            "file",
            format!("must be at most {max_bytes} bytes"),
        ));
    }
    let content_type = normalize_content_type(upload.content_type.as_deref());
    let id = Uuid::new_v4();
    let key = Objects::key(workspace, id);
    let size = upload.bytes.len() as i64;
    objects.put(&key, upload.bytes).await?;
    let inserted = sqlx::query_as::<_, Attachment>(AssertSqlSafe(format!(
        "INSERT INTO attachments AS a (id, task_id, uploader_id, filename, size_bytes,
                                       content_type, object_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(task_id)
    .bind(viewer.user_id)
    .bind(&filename)
    .bind(size)
    .bind(&content_type)
    .bind(&key)
    .fetch_one(tx.conn())
    .await;
    match inserted {
        Ok(attachment) => Ok(attachment),
        Err(e) => {
            if let Err(cleanup) = objects.delete(&key).await {
                tracing::warn!(key, error = %cleanup, "could not remove the object of a failed upload");
            }
            Err(e.into())
        }
    }
}

/// The attachments of a task the viewer can see, oldest first.
pub async fn list_for_task(
    tx: &mut TenantTx,
    viewer: Viewer,
    task_id: Uuid,
) -> CoreResult<Vec<Attachment>> {
    ensure_task_visible(tx, viewer, task_id).await?;
    Ok(sqlx::query_as::<_, Attachment>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM attachments a WHERE a.task_id = $1 ORDER BY a.created_at, a.id"
    )))
    .bind(task_id)
    .fetch_all(tx.conn())
    .await?)
}

/// One attachment on a task the viewer can see; `NotFound` otherwise.
pub async fn get(tx: &mut TenantTx, viewer: Viewer, id: Uuid) -> CoreResult<Attachment> {
    sqlx::query_as::<_, Attachment>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM attachments a JOIN tasks t ON t.id = a.task_id
          WHERE a.id = $3 AND {visible}",
        visible = crate::work::VISIBLE
    )))
    .bind(viewer.user_id)
    .bind(viewer.role.as_str())
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or(CoreError::NotFound("attachment"))
}

/// The bytes of an attachment, as a stream, so a large file never sits in memory whole.
pub async fn open(
    objects: &Objects,
    attachment: &Attachment,
) -> CoreResult<BoxStream<'static, std::io::Result<Bytes>>> {
    objects.stream(&attachment.object_key).await
}

/// The bytes `range` of an attachment (within its size), as a stream, for a range request.
pub async fn open_range(
    objects: &Objects,
    attachment: &Attachment,
    range: Range<u64>,
) -> CoreResult<BoxStream<'static, std::io::Result<Bytes>>> {
    objects.stream_range(&attachment.object_key, range).await
}

/// Removes an attachment the viewer sees and may delete (admins any, members their own uploads):
/// the row (in the caller's transaction) and then the object. If the object cannot be removed
/// the error rolls the row back with the transaction, so a row never points at bytes that are
/// gone. Returns what was deleted.
pub async fn delete(
    tx: &mut TenantTx,
    objects: &Objects,
    viewer: Viewer,
    id: Uuid,
) -> CoreResult<Attachment> {
    let attachment = get(tx, viewer, id).await?;
    ensure(
        policy::can_delete_attachment(viewer.role, attachment.uploader_id == viewer.user_id),
        "Members delete only the attachments they uploaded; guests delete none.",
    )?;
    sqlx::query("DELETE FROM attachments WHERE id = $1")
        .bind(attachment.id)
        .execute(tx.conn())
        .await?;
    objects.delete(&attachment.object_key).await?;
    Ok(attachment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_control_characters() {
        assert_eq!(sanitize_filename("report.pdf").unwrap(), "report.pdf");
        assert_eq!(sanitize_filename("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(
            sanitize_filename("C:\\Users\\me\\cv.docx").unwrap(),
            "cv.docx"
        );
        assert_eq!(sanitize_filename("a\u{0}b\nc\r.txt").unwrap(), "abc.txt");
        assert_eq!(
            sanitize_filename("evil\u{202E}fdp.exe").unwrap(),
            "evilfdp.exe"
        );
        assert_eq!(sanitize_filename("  .hidden ").unwrap(), "hidden");
        for empty in ["", "dir/", "..", " \t ", "\u{202E}"] {
            assert!(
                matches!(
                    sanitize_filename(empty),
                    Err(CoreError::Invalid {
                        field: "filename",
                        ..
                    })
                ),
                "{empty:?}"
            );
        }
    }

    #[test]
    fn long_filenames_are_cut_on_a_character_boundary_keeping_the_extension() {
        let long = format!("{}.pdf", "é".repeat(300));
        let cut = sanitize_filename(&long).unwrap();
        assert!(cut.len() <= MAX_FILENAME_BYTES, "{}", cut.len());
        assert!(cut.ends_with(".pdf"));
        assert!(cut.starts_with('é'));
    }

    #[test]
    fn content_types_are_checked_tokens_or_octet_stream() {
        assert_eq!(normalize_content_type(Some("Image/PNG")), "image/png");
        assert_eq!(
            normalize_content_type(Some("text/plain; charset=utf-8")),
            "text/plain"
        );
        for bad in [
            None,
            Some(""),
            Some("text"),
            Some("text/html\r\nX: y"),
            Some("a/b/c"),
        ] {
            assert_eq!(
                normalize_content_type(bad),
                FALLBACK_CONTENT_TYPE,
                "{bad:?}"
            );
        }
    }
}
