//! The caller of a core function: who they are and their role in the workspace.

use bastion_policy::Role;
use uuid::Uuid;

/// Who is acting: their user id and workspace role, as read from `members` in the same
/// transaction. Every core action takes it, asks `bastion_policy` whether this caller may act,
/// and hands it to the SQL visibility predicate (`work::VISIBLE`) so that lists filter in the
/// database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: Uuid,
    pub role: Role,
}

impl Viewer {
    pub fn new(user_id: Uuid, role: Role) -> Self {
        Self { user_id, role }
    }

    pub fn is_guest(&self) -> bool {
        self.role == Role::Guest
    }

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
        .bind(self.role.as_str())
        .bind(task_id)
        .fetch_one(tx.conn())
        .await?)
    }
}
