//! Outgoing email: queued in the `outbox` table in the caller's transaction, delivered by a
//! sender that leases messages with `FOR UPDATE SKIP LOCKED`, so several app servers never send
//! one twice. Locally the sender writes each message as a file a developer can open.

use std::path::Path;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{keys::MasterKeyRing, CoreError, CoreResult, WorkspaceId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// For notification emails: the RFC 8058 one-click unsubscribe address, which the transport
    /// puts in `List-Unsubscribe` beside `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    pub unsubscribe: Option<String>,
}

/// The header RFC 8058 pairs with an HTTPS `List-Unsubscribe`.
pub const LIST_UNSUBSCRIBE_POST: &str = "List-Unsubscribe=One-Click";

/// Queues a message. Its body is sealed under the master key ring until it is sent: a database
/// dump or a read-only leak shows who is mailed and why, never the code or link inside.
pub async fn enqueue(
    conn: &mut PgConnection,
    master: &MasterKeyRing,
    recipient: &str,
    subject: &str,
    body: &str,
) -> CoreResult<Uuid> {
    queue(conn, master, None, recipient, subject, body).await
}

/// Queues a message about `workspace`; erasing the workspace deletes it, sent or not.
pub async fn enqueue_about(
    conn: &mut PgConnection,
    master: &MasterKeyRing,
    workspace: WorkspaceId,
    recipient: &str,
    subject: &str,
    body: &str,
) -> CoreResult<Uuid> {
    queue(conn, master, Some(workspace), recipient, subject, body).await
}

/// Queues a notification email about `workspace` under a chosen id, once: queuing the same id
/// again changes nothing, which makes the mail job idempotent (a pass interrupted after the
/// outbox commit and before the notices are marked mailed writes the same ids again). The
/// unsubscribe address is sealed like the body.
#[allow(clippy::too_many_arguments)]
pub async fn enqueue_once(
    conn: &mut PgConnection,
    master: &MasterKeyRing,
    id: Uuid,
    workspace: WorkspaceId,
    recipient: &str,
    subject: &str,
    body: &str,
    unsubscribe: &str,
) -> CoreResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO outbox (id, recipient, subject, body, sealed, workspace_id, unsubscribe)
         VALUES ($1, $2, $3, $4, true, $5, $6) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(recipient)
    .bind(subject)
    .bind(master.wrap(body.as_bytes()))
    .bind(workspace)
    .bind(master.wrap(unsubscribe.as_bytes()))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

async fn queue(
    conn: &mut PgConnection,
    master: &MasterKeyRing,
    workspace: Option<WorkspaceId>,
    recipient: &str,
    subject: &str,
    body: &str,
) -> CoreResult<Uuid> {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO outbox (id, recipient, subject, body, sealed, workspace_id)
         VALUES ($1, $2, $3, $4, true, $5)",
    )
    .bind(id)
    .bind(recipient)
    .bind(subject)
    .bind(master.wrap(body.as_bytes()))
    .bind(workspace)
    .execute(conn)
    .await?;
    Ok(id)
}

/// The body as queued: opened when sealed.
pub(crate) fn open(
    master: &MasterKeyRing,
    id: Uuid,
    body: String,
    sealed: bool,
) -> CoreResult<String> {
    if !sealed {
        return Ok(body);
    }
    let bytes = master.unwrap(&body).map_err(|_| {
        CoreError::Internal(format!(
            "the body of message {id} cannot be opened with the configured master keys"
        ))
    })?;
    String::from_utf8(bytes.to_vec()).map_err(|e| CoreError::Internal(e.to_string()))
}

/// Re-seals unsent bodies under the primary master key (part of master-key rotation), so that
/// the old key can be retired. Returns how many changed.
pub(crate) async fn reseal_unsent(pool: &PgPool, master: &MasterKeyRing) -> CoreResult<usize> {
    // One that no configured key opens could not be sent either; it is left as it is.
    let bodies = crate::secrets::rewrap_rows(
        pool,
        master,
        "SELECT id, body FROM outbox WHERE sealed AND sent_at IS NULL",
        "UPDATE outbox SET body = $2 WHERE id = $1 AND body = $3 AND sent_at IS NULL",
    )
    .await?;
    crate::secrets::rewrap_rows(
        pool,
        master,
        "SELECT id, unsubscribe FROM outbox
          WHERE sealed AND sent_at IS NULL AND unsubscribe IS NOT NULL",
        "UPDATE outbox SET unsubscribe = $2 WHERE id = $1 AND unsubscribe = $3 AND sent_at IS NULL",
    )
    .await?;
    Ok(bodies)
}

/// How many messages wait to be sent, for the operator's metrics. Counted through the partial
/// index of unsent messages, so the cost follows the backlog, not the history.
pub async fn unsent_count(pool: &PgPool) -> CoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(pool)
            .await?,
    )
}

/// Leases up to `batch` unsent messages, hands each to `send`, and marks the ones sent, all in
/// one transaction: a crash before the commit leaves them to be sent again, and a message whose
/// sending failed stays queued. A sent message keeps its recipient and subject for the record but
/// loses its body, which may hold a one-time code or an invitation link.
pub async fn deliver<F, Fut>(
    pool: &PgPool,
    master: &MasterKeyRing,
    batch: i64,
    mut send: F,
) -> CoreResult<usize>
where
    F: FnMut(Message) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut tx = pool.begin().await?;
    let rows: Vec<(Uuid, String, String, String, bool, Option<String>)> = sqlx::query_as(
        "SELECT id, recipient, subject, body, sealed, unsubscribe FROM outbox WHERE sent_at IS NULL
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    let mut failure = None;
    for (id, recipient, subject, body, sealed, unsubscribe) in rows {
        let message = Message {
            id,
            recipient,
            subject,
            body: open(master, id, body, sealed)?,
            unsubscribe: unsubscribe
                .map(|u| open(master, id, u, sealed))
                .transpose()?,
        };
        match send(message).await {
            Ok(()) => {
                sqlx::query("UPDATE outbox SET sent_at = now(), body = '', unsubscribe = NULL WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sent += 1;
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    tx.commit().await?;
    match failure {
        Some(e) if sent == 0 => Err(crate::CoreError::Internal(format!(
            "sending email failed: {e}"
        ))),
        _ => Ok(sent),
    }
}

/// The local transport: each message becomes `<id>.eml` in `dir`, for a developer to open.
pub async fn deliver_to_folder(
    pool: &PgPool,
    master: &MasterKeyRing,
    dir: &Path,
    batch: i64,
) -> CoreResult<usize> {
    deliver(pool, master, batch, |m| async move {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let unsubscribe = m
            .unsubscribe
            .map(|url| {
                format!("List-Unsubscribe: <{url}>\r\nList-Unsubscribe-Post: {LIST_UNSUBSCRIBE_POST}\r\n")
            })
            .unwrap_or_default();
        let file = format!(
            "To: {}\r\nSubject: {}\r\n{unsubscribe}Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            m.recipient, m.subject, m.body
        );
        tokio::fs::write(dir.join(format!("{}.eml", m.id)), file)
            .await
            .map_err(|e| format!("cannot write mail: {e}"))
    })
    .await
}
