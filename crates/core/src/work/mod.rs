//! The work of a workspace: projects, tasks, tags, task viewers and comments, with the
//! visibility rule of PRODUCT.md §2 applied in SQL so a forbidden row is never loaded.
//!
//! Every task query goes through the visibility predicate [`VISIBLE`] with the caller's
//! [`Viewer`]; a task the viewer cannot see is [`CoreError::NotFound`], exactly like
//! a task that does not exist. Whether a *visible* thing may be changed is decided here too,
//! by asking `bastion_policy` (shared with the UI) inside each changing function: one door per
//! action, whoever calls it.

pub mod activity;
pub mod attachments;
pub mod board;
pub mod bulk;
pub mod checklists;
pub mod comments;
pub mod cursor;
pub mod fields;
pub mod import;
pub mod mentions;
pub mod notification_mail;
pub mod notifications;
pub mod projects;
pub mod recurrence;
pub mod relations;
pub mod restore;
pub mod tags;
pub mod tasks;
pub mod time_entries;
pub mod views;
pub mod watching;
pub mod xlsx;

use pulldown_cmark::{html, Event, Options, Parser, Tag};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{CoreError, CoreResult};

pub use crate::Viewer;

/// A keyset position in a list: the last row's `(created_at, id)`. Lists take the position
/// after which to continue and a row limit; ask for one row more than you show to learn whether
/// a next page exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub id: Uuid,
}

time::serde::format_description!(pub iso_date, Date, "[year]-[month]-[day]");

/// The visibility predicate over a task row aliased `t`, with the viewer's id as `$1` and role
/// as `$2`: admins see every task; members the public ones, their own, those assigned to them
/// and those shared with them; guests only those shared with them. One string so that no query
/// can spell it differently (a macro, so that `concat!` can build `&'static str` queries).
///
/// It is written out rather than called as the SQL function `task_visible(...)` of tenant
/// migration 0003 (dropped by 0005): PostgreSQL never inlines a SQL function holding a
/// sub-select, so the function ran once per scanned row and a 50-task list took 0.66 ms instead
/// of 0.42 ms (docs/performance.md).
macro_rules! task_visible_sql {
    () => {
        "(CASE $2::text \
            WHEN 'admin' THEN true \
            WHEN 'member' THEN NOT t.private \
                OR t.created_by = $1::uuid \
                OR t.assignee_id IS NOT DISTINCT FROM $1::uuid \
                OR EXISTS (SELECT 1 FROM task_viewers v WHERE v.task_id = t.id AND v.user_id = $1::uuid) \
            WHEN 'guest' THEN \
                EXISTS (SELECT 1 FROM task_viewers v WHERE v.task_id = t.id AND v.user_id = $1::uuid) \
            ELSE false \
        END)"
    };
}
pub(crate) use task_visible_sql;

pub(crate) const VISIBLE: &str = task_visible_sql!();

/// The same predicate, [`VISIBLE`], for someone other than the caller: with the viewer's id and
/// role taken from the SQL expressions given (a `members` row, when deciding who is told about a
/// change) instead of `$1` and `$2`. Derived from the one text so that it cannot drift.
pub(crate) fn visible_to(user: &str, role: &str) -> String {
    VISIBLE.replace("$1::uuid", user).replace("$2::text", role)
}

/// The same predicate, [`VISIBLE`], over a task row aliased `alias` instead of `t`, for the
/// caller (`$1`, `$2`): subtasks and related tasks are seen by the same rule as any task.
pub(crate) fn visible_as(alias: &str) -> String {
    let out = VISIBLE.replace("t.", &format!("{alias}."));
    debug_assert_eq!(out.matches(&format!("{alias}.")).count(), 5, "{out}");
    out
}

/// A text field trimmed and checked for length in characters (as PostgreSQL counts them).
pub(crate) fn trimmed(
    field: &'static str,
    value: &str,
    max_chars: usize,
    allow_empty: bool,
) -> CoreResult<String> {
    let value = value.trim();
    if value.is_empty() && !allow_empty {
        return Err(CoreError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(CoreError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// `%`, `_` and `\` taken literally in an `ILIKE` pattern.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Whether `user_id` is an active member of the workspace.
pub(crate) async fn is_active_member(tx: &mut crate::TenantTx, user_id: Uuid) -> CoreResult<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM members WHERE user_id = $1 AND active)")
            .bind(user_id)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// Renders Markdown stored as source (task descriptions, comments) to HTML that is safe to put
/// in a page: raw HTML in the source is shown as text, never passed through, and links or images
/// with a scheme other than http, https or mailto (`javascript:`, `data:`) lose their target.
pub fn render_markdown(source: &str) -> String {
    let options =
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(source, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

fn safe_url(url: pulldown_cmark::CowStr<'_>) -> pulldown_cmark::CowStr<'_> {
    let lower = url.trim_start().to_ascii_lowercase();
    // A scheme is what comes before the first ':' if no '/', '?' or '#' precedes it.
    let scheme_end = lower.find(':');
    let path_start = lower.find(['/', '?', '#']);
    let has_scheme = match (scheme_end, path_start) {
        (Some(colon), Some(slash)) => colon < slash,
        (Some(_), None) => true,
        _ => false,
    };
    if !has_scheme
        || lower.starts_with("http:")
        || lower.starts_with("https:")
        || lower.starts_with("mailto:")
    {
        url
    } else {
        pulldown_cmark::CowStr::Borrowed("#")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_raw_html_and_drops_script_links() {
        let html = render_markdown(
            "**bold** <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n\
             [ok](https://example.eu) [bad](javascript:alert(1)) [rel](/tasks/1)",
        );
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("href=\"https://example.eu\""), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"/tasks/1\""), "{html}");
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
