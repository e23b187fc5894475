//! The caller of a tenant query, as the visibility rules need them.

use uuid::Uuid;

/// Who is looking: their user id and workspace role (`admin`, `member` or `guest`), handed to
/// the SQL visibility predicate (`work::VISIBLE`) so that lists filter in the database.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub user_id: Uuid,
    pub role: &'a str,
}

impl Viewer<'_> {
    /// Whether the task exists and this viewer may see it (the one visibility predicate,
    /// `work::VISIBLE`), so a caller can answer 404 alike for "missing" and "hidden".
    pub async fn sees_task(
        &self,
        tx: &mut crate::TenantTx,
        task_id: Uuid,
    ) -> crate::CoreResult<bool> {
        Ok(sqlx::query_scalar(concat!(
            "SELECT EXISTS (SELECT 1 FROM tasks t WHERE t.id = $3 AND ",
            crate::work::task_visible_sql!(),
            ")"
        ))
        .bind(self.user_id)
        .bind(self.role)
        .bind(task_id)
        .fetch_one(tx.conn())
        .await?)
    }
}
