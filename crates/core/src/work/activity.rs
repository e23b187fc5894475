//! The members' activity feed: what changed on the tasks the reader can see, newest first, per
//! workspace or per project, read from the same history the audit log keeps and keyset-paged by
//! the history id.
//!
//! The audit log is for admins; the feed is for everyone, so it shows less:
//! - only changes to tasks and what hangs off them (comments, attachments, checklist items,
//!   relations), and only of tasks the reader sees *now* (the visibility predicate, as every
//!   task query); a task since deleted, or made private, drops out of everyone's feed but its
//!   admins' audit log;
//! - no time entries (members see only their own, and rates are not theirs to read) and no
//!   watch changes (who follows what is nobody else's business);
//! - no old or removed text: a description, comment or checklist text that changed or was
//!   deleted is named, not quoted ([`redacted`]), so a comment deleted because it held
//!   something it should not have does not live on in the feed.

use serde::Serialize;
use sqlx::types::JsonValue;
use uuid::Uuid;

use super::{projects, visible_as, Viewer};
use crate::audit::{HistoryEvent, HistoryPage};
use crate::{CoreError, CoreResult, TenantTx};

/// The kinds of change the feed shows.
pub const FEED_ENTITIES: [&str; 7] = [
    "task",
    "comment",
    "attachment",
    "checklist_item",
    "task_relation",
    "task_recurrence",
    "field_value",
];
/// Actions left out of the feed (see the module's documentation).
const HIDDEN_ACTIONS: [&str; 2] = ["watcher_added", "watcher_removed"];
/// Free-text fields whose values the feed names but does not show (`value_text` is a custom
/// text field's, or a select field's option).
pub const TEXT_FIELDS: [&str; 5] = ["description", "body", "text", "note", "value_text"];
/// What a text field's value becomes in the feed: `{"redacted": true}`, an object where the
/// value was text, so it can never be mistaken for text someone wrote.
pub fn redacted() -> JsonValue {
    serde_json::json!({ "redacted": true })
}

/// Whether a recorded value is [`redacted`].
pub fn is_redacted(value: &JsonValue) -> bool {
    value.get("redacted") == Some(&JsonValue::Bool(true))
}
/// The most entries one page holds.
pub const MAX_PAGE: u32 = 100;

/// One entry: a history event and the task it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ActivityEvent {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub event: HistoryEvent,
    pub task_title: String,
    pub project_id: Uuid,
}

/// The reader's feed, newest first: everything before `page.before` (a history id), at most
/// `page.limit` entries (1 to [`MAX_PAGE`]); only `project_id`'s when given, which must be a
/// project the reader sees (`NotFound("project")` otherwise). Every member may read it: what is
/// in it is what they can already see on the tasks themselves.
pub async fn feed(
    tx: &mut TenantTx,
    viewer: &Viewer,
    project_id: Option<Uuid>,
    page: HistoryPage,
) -> CoreResult<Vec<ActivityEvent>> {
    if !(1..=MAX_PAGE).contains(&page.limit) {
        return Err(CoreError::invalid("limit", "must be between 1 and 100"));
    }
    if let Some(project_id) = project_id {
        projects::get_project(tx, viewer, project_id).await?;
    }
    let sql = format!(
        "SELECT h.id, h.occurred_at, h.actor, h.entity_type, h.entity_id, h.action, h.changes,
                h.task_id, tk.title AS task_title, tk.project_id
           FROM history h JOIN tasks tk ON tk.id = h.task_id
          WHERE h.entity_type = ANY($3) AND NOT h.action = ANY($4)
            AND ($5::uuid IS NULL OR tk.project_id = $5)
            AND ($6::bigint IS NULL OR h.id < $6)
            AND {visible}
          ORDER BY h.id DESC
          LIMIT $7",
        visible = visible_as("tk"),
    );
    let mut events: Vec<ActivityEvent> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(&FEED_ENTITIES[..])
        .bind(&HIDDEN_ACTIONS[..])
        .bind(project_id)
        .bind(page.before)
        .bind(i64::from(page.limit))
        .fetch_all(tx.conn())
        .await?;
    for e in &mut events {
        redact(&mut e.event);
    }
    Ok(events)
}

/// Replaces the values of the free-text fields with [`redacted`] markers, keeping their names.
fn redact(event: &mut HistoryEvent) {
    let JsonValue::Object(fields) = &mut event.changes else {
        return;
    };
    for (key, value) in fields.iter_mut() {
        if !TEXT_FIELDS.contains(&key.as_str()) || value.is_null() {
            continue;
        }
        *value = match value {
            JsonValue::Object(pair) if pair.contains_key("before") => {
                serde_json::json!({"before": redacted(), "after": redacted()})
            }
            _ => redacted(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::OffsetDateTime;

    fn event(action: &str, changes: JsonValue) -> HistoryEvent {
        HistoryEvent {
            id: 1,
            occurred_at: OffsetDateTime::UNIX_EPOCH,
            actor: "system".into(),
            entity_type: "comment".into(),
            entity_id: Uuid::nil(),
            action: action.into(),
            changes,
            task_id: None,
        }
    }

    #[test]
    fn text_is_named_but_never_quoted() {
        let mut updated = event(
            "updated",
            json!({"description": {"before": "the old secret", "after": "new"}, "status": {"before": "todo", "after": "done"}}),
        );
        redact(&mut updated);
        assert_eq!(
            updated.changes,
            json!({"description": {"before": redacted(), "after": redacted()}, "status": {"before": "todo", "after": "done"}})
        );
        let mut deleted = event(
            "deleted",
            json!({"body": "my password is hunter2", "author_id": "x"}),
        );
        redact(&mut deleted);
        assert_eq!(
            deleted.changes,
            json!({"body": redacted(), "author_id": "x"})
        );
        assert!(is_redacted(&deleted.changes["body"]));
        assert!(!is_redacted(&json!("redacted")));
        // An empty description stays empty: there is nothing to hide.
        let mut created = event("created", json!({"description": null}));
        redact(&mut created);
        assert_eq!(created.changes, json!({"description": null}));
    }
}
