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

/// Delivers up to `batch` unsent messages into `dir` as `<id>.eml` files and marks them sent,
/// all in one transaction: a crash before the commit leaves them to be sent again.
pub async fn deliver_to_folder(pool: &PgPool, dir: &Path, batch: i64) -> CoreResult<usize> {
    let mut tx = pool.begin().await?;
    let messages: Vec<Message> = sqlx::query_as(
        "SELECT id, recipient, subject, body FROM outbox WHERE sent_at IS NULL
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    if messages.is_empty() {
        return Ok(0);
    }
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| crate::CoreError::Conflict(format!("cannot create {}: {e}", dir.display())))?;
    for m in &messages {
        let file = format!(
            "To: {}\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            m.recipient, m.subject, m.body
        );
        tokio::fs::write(dir.join(format!("{}.eml", m.id)), file)
            .await
            .map_err(|e| crate::CoreError::Conflict(format!("cannot write mail: {e}")))?;
        sqlx::query("UPDATE outbox SET sent_at = now() WHERE id = $1")
            .bind(m.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(messages.len())
}
