//! The caller of a tenant query, as the visibility rules need them.

use uuid::Uuid;

/// Who is looking: their user id and workspace role (`admin`, `member` or `guest`), handed to
/// the SQL predicate `task_visible(...)` and friends so that lists filter in the database.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub user_id: Uuid,
    pub role: &'a str,
}
