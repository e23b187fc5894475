//! Outgoing email: queued in the `outbox` table in the caller's transaction, delivered by a
//! sender that leases messages with `FOR UPDATE SKIP LOCKED`, so several app servers never send
//! one twice. Locally the sender writes each message as a file a developer can open.

use std::path::Path;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::CoreResult;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Message {
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

pub async fn enqueue(
    conn: &mut PgConnection,
    recipient: &str,
    subject: &str,
    body: &str,
) -> CoreResult<Uuid> {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO outbox (id, recipient, subject, body) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(recipient)
        .bind(subject)
        .bind(body)
        .execute(conn)
        .await?;
    Ok(id)
}

/// Leases up to `batch` unsent messages, hands each to `send`, and marks the ones sent, all in
/// one transaction: a crash before the commit leaves them to be sent again, and a message whose
/// sending failed stays queued. A sent message keeps its recipient and subject for the record but
/// loses its body, which may hold a one-time code or an invitation link.
pub async fn deliver<F, Fut>(pool: &PgPool, batch: i64, mut send: F) -> CoreResult<usize>
where
    F: FnMut(Message) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut tx = pool.begin().await?;
    let messages: Vec<Message> = sqlx::query_as(
        "SELECT id, recipient, subject, body FROM outbox WHERE sent_at IS NULL
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    let mut failure = None;
    for message in messages {
        let id = message.id;
        match send(message).await {
            Ok(()) => {
                sqlx::query("UPDATE outbox SET sent_at = now(), body = '' WHERE id = $1")
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
pub async fn deliver_to_folder(pool: &PgPool, dir: &Path, batch: i64) -> CoreResult<usize> {
    deliver(pool, batch, |m| async move {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let file = format!(
            "To: {}\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            m.recipient, m.subject, m.body
        );
        tokio::fs::write(dir.join(format!("{}.eml", m.id)), file)
            .await
            .map_err(|e| format!("cannot write mail: {e}"))
    })
    .await
}
