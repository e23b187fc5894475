//! Tasks and their viewers. Every statement here filters with the visibility predicate
//! ([`VISIBLE`]), so a task the viewer may not see is never read, listed, changed or deleted: it
//! is not found. Whether a task the viewer sees may be changed is asked of `bastion_policy` here,
//! after the row is loaded: 404 before 403, whichever door the call came through.

use bastion_policy::{self as policy, TaskFacts};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::comments::MentionOutcome;
use super::fields::{self, FieldFilter, TaskFieldValue};
use super::notifications::{self, Kind, Notice};
use super::{
    is_active_member, like_pattern, trimmed, visible_as, watching, Position, Viewer, VISIBLE,
};
use crate::{ensure, CoreError, CoreResult, TenantSchema, TenantTx};

pub const TITLE_MAX: usize = 300;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const STATUSES: [&str; 3] = ["todo", "in_progress", "done"];
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TaskRecord {
    pub id: Uuid,
    pub project_id: Uuid,
    /// The task's number in its project, issued once and never again.
    pub number: i32,
    /// `ACME-142`: the project's prefix and the task's number.
    pub key: String,
    /// The task this one is a subtask of (one level: a parent has no parent).
    pub parent_id: Option<Uuid>,
    pub title: String,
    /// Markdown source; render with [`super::render_markdown`].
    pub description: String,
    pub status: String,
    pub priority: String,
    pub assignee_id: Option<Uuid>,
    /// A Europe/Brussels calendar date.
    #[serde(with = "super::iso_date::option")]
    pub due_on: Option<Date>,
    pub private: bool,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The task's tags, by id.
    pub tag_ids: Vec<Uuid>,
    /// Its subtasks the viewer sees, and how many of those are done.
    pub subtasks_total: i64,
    pub subtasks_done: i64,
    /// Blocked by an open task (not done) that the viewer sees.
    pub blocked: bool,
    /// It carries a recurrence rule (`work::recurrence`).
    pub recurring: bool,
    /// Its custom field values (`work::fields`), by field id.
    #[sqlx(json)]
    pub fields: Vec<TaskFieldValue>,
}

impl TaskRecord {
    pub fn position(&self) -> Position {
        Position {
            created_at: self.created_at,
            id: self.id,
        }
    }

    /// What the policy needs to know about this task relative to `viewer`.
    pub fn facts(&self, viewer: &Viewer) -> TaskFacts {
        TaskFacts {
            viewer_is_creator: self.created_by == viewer.user_id,
        }
    }
}

const EDIT_REFUSED: &str = "Guests cannot edit tasks.";
const VIEWERS_REFUSED: &str = "Guests cannot change who views a task.";

/// A task's columns over `tasks t`, with `$1`/`$2` the viewer: the subtask counts and the
/// blocked flag count only tasks the viewer sees, so a private subtask or blocker stays unseen.
static COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let (sub, blocker) = (visible_as("s"), visible_as("b"));
    format!(
        "t.id, t.project_id, t.number, \
         (SELECT kp.key_prefix FROM projects kp WHERE kp.id = t.project_id) || '-' || t.number AS key, \
         t.parent_id, t.title, t.description, t.status, t.priority, \
         t.assignee_id, t.due_on, t.private, t.created_by, t.created_at, t.updated_at, \
         ARRAY(SELECT tt.tag_id FROM task_tags tt WHERE tt.task_id = t.id ORDER BY tt.tag_id) AS tag_ids, \
         (SELECT count(*) FROM tasks s WHERE s.parent_id = t.id AND {sub}) AS subtasks_total, \
         (SELECT count(*) FROM tasks s WHERE s.parent_id = t.id AND s.status = 'done' AND {sub}) \
            AS subtasks_done, \
         EXISTS (SELECT 1 FROM task_relations r JOIN tasks b ON b.id = r.task_id \
                  WHERE r.other_id = t.id AND r.kind = 'blocks' AND b.status <> 'done' AND {blocker}) \
            AS blocked, \
         EXISTS (SELECT 1 FROM task_recurrences rr WHERE rr.task_id = t.id) AS recurring, \
         {values} AS fields",
        values = super::fields::VALUES_JSON,
    )
});

/// A new task. Absent status and priority default to `todo` and `normal`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewTask {
    pub project_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub due_on: Option<Date>,
    pub private: bool,
}

/// A partial change: `None` leaves a field alone; for the nullable fields `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct TaskPatch {
    pub project_id: Option<Uuid>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub assignee_id: Option<Option<Uuid>>,
    pub due_on: Option<Option<Date>>,
    pub private: Option<bool>,
}

/// Filters for task lists and the board; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub project_id: Option<Uuid>,
    pub status: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub tag_id: Option<Uuid>,
    /// Due strictly before this date (tasks without a due date are left out).
    pub due_before: Option<Date>,
    /// Words in the title or description (full-text), a fragment of the title, or a task's
    /// key (`ACME-142`).
    pub q: Option<String>,
    /// A custom field's value (the list and the board; the calendar leaves it out).
    pub field: Option<FieldFilter>,
}

/// The board: visible tasks grouped by status, each column in its stored order (new tasks on
/// top).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Board {
    pub todo: Vec<TaskRecord>,
    pub in_progress: Vec<TaskRecord>,
    pub done: Vec<TaskRecord>,
    /// How many visible tasks each column holds in all, beyond the `per_column` shown.
    pub counts: BoardCounts,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BoardCounts {
    pub todo: i64,
    pub in_progress: i64,
    pub done: i64,
}

pub(crate) fn check_status(status: &str) -> CoreResult<()> {
    if STATUSES.contains(&status) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "status",
            "must be todo, in_progress or done",
        ))
    }
}

pub(crate) fn check_priority(priority: &str) -> CoreResult<()> {
    if PRIORITIES.contains(&priority) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "priority",
            "must be low, normal, high or urgent",
        ))
    }
}

fn check_description(description: &str) -> CoreResult<()> {
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(CoreError::invalid(
            "description",
            format!("must be at most {DESCRIPTION_MAX} characters"),
        ));
    }
    Ok(())
}

/// Dates outside years 1000–9999 are typos, not plans.
pub(crate) fn check_due(due: Option<Date>) -> CoreResult<()> {
    match due {
        Some(date) if !(1000..=9999).contains(&date.year()) => Err(CoreError::invalid(
            "due_on",
            "must be a date between the years 1000 and 9999",
        )),
        _ => Ok(()),
    }
}

pub(crate) async fn check_assignee(tx: &mut TenantTx, assignee: Option<Uuid>) -> CoreResult<()> {
    match assignee {
        Some(user_id) if !is_active_member(tx, user_id).await? => Err(CoreError::invalid(
            "assignee_id",
            "must be an active member of the workspace",
        )),
        _ => Ok(()),
    }
}

/// Why a project takes no new task: it does not exist or is archived (asked once
/// [`next_number`] found no open project).
pub(crate) async fn check_open_project(tx: &mut TenantTx, project_id: Uuid) -> CoreResult<()> {
    let archived: Option<bool> =
        sqlx::query_scalar("SELECT archived FROM projects WHERE id = $1 FOR SHARE")
            .bind(project_id)
            .fetch_optional(tx.conn())
            .await?;
    match archived {
        None => Err(CoreError::invalid("project_id", "no such project")),
        Some(true) => Err(CoreError::invalid("project_id", "the project is archived")),
        Some(false) => Ok(()),
    }
}

/// Creates a task by the viewer (admins and members) in an open project, after validating every
/// field (the error names the field).
pub async fn create_task(
    tx: &mut TenantTx,
    viewer: &Viewer,
    new: NewTask,
) -> CoreResult<TaskRecord> {
    Ok(insert_task(tx, viewer, new, None).await?.task)
}

/// A task just written, and what became of the mentions in its description: the doors that
/// show the author a result tell them who was not notified, as for a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Written {
    pub task: TaskRecord,
    pub mentions: MentionOutcome,
}

/// [`create_task`], answering who its description mentions without telling them.
pub async fn create_task_mentioning(
    tx: &mut TenantTx,
    viewer: &Viewer,
    new: NewTask,
) -> CoreResult<Written> {
    insert_task(tx, viewer, new, None).await
}

/// Creates a subtask of `parent_id`, a task the viewer sees (404 otherwise), in the parent's
/// project (`new.project_id` is not used). Admins and members; one level only, so the parent
/// may not be a subtask itself. The new task's visibility is its own: a private subtask of a
/// visible parent stays private.
pub async fn create_subtask(
    tx: &mut TenantTx,
    viewer: &Viewer,
    parent_id: Uuid,
    new: NewTask,
) -> CoreResult<TaskRecord> {
    // Locked so that the parent cannot become a subtask itself meanwhile.
    let parent = fetch_visible(tx, viewer, parent_id, "FOR SHARE OF t").await?;
    ensure(
        policy::can_create_task(viewer.role),
        "Guests cannot create tasks.",
    )?;
    if parent.parent_id.is_some() {
        return Err(CoreError::invalid(
            "parent_id",
            "is itself a subtask; a subtask cannot have subtasks",
        ));
    }
    let new = NewTask {
        project_id: parent.project_id,
        ..new
    };
    Ok(insert_task(tx, viewer, new, Some(parent_id)).await?.task)
}

/// Takes the next number of an open project: the counter row's lock serialises concurrent
/// creations, so two tasks never share a number, and the counter never goes back.
async fn next_number(tx: &mut TenantTx, project_id: Uuid) -> CoreResult<i32> {
    let number: Option<i32> = sqlx::query_scalar(
        "UPDATE projects SET last_task_number = last_task_number + 1
          WHERE id = $1 AND NOT archived
         RETURNING last_task_number",
    )
    .bind(project_id)
    .fetch_optional(tx.conn())
    .await?;
    match number {
        Some(number) => Ok(number),
        None => {
            check_open_project(tx, project_id).await?;
            Err(CoreError::invalid("project_id", "no such open project"))
        }
    }
}

async fn insert_task(
    tx: &mut TenantTx,
    viewer: &Viewer,
    new: NewTask,
    parent_id: Option<Uuid>,
) -> CoreResult<Written> {
    ensure(
        policy::can_create_task(viewer.role),
        "Guests cannot create tasks.",
    )?;
    let title = trimmed("title", &new.title, TITLE_MAX, false)?;
    let description = new.description.unwrap_or_default();
    check_description(&description)?;
    let status = new.status.unwrap_or_else(|| "todo".into());
    check_status(&status)?;
    let priority = new.priority.unwrap_or_else(|| "normal".into());
    check_priority(&priority)?;
    check_due(new.due_on)?;
    check_assignee(tx, new.assignee_id).await?;
    // The number, the row and the answer in one statement, last of all, so that a refused task
    // takes no number: the counter row's lock (which also keeps the project from being archived
    // meanwhile) serialises the project's creations until commit, and every round trip after
    // it is one that the next creation in the project waits for (docs/performance.md,
    // "Creating a task"). The new row is answered as written rather than read back through the
    // visibility rule: its author always sees it (they created it), it has no tags, subtasks or
    // blockers yet, and the key is the prefix the counter row holds.
    let id = Uuid::new_v4();
    let task = sqlx::query_as::<_, TaskRecord>(
        "WITH n AS (
            UPDATE projects SET last_task_number = last_task_number + 1
             WHERE id = $2 AND NOT archived
            RETURNING last_task_number, key_prefix
         ), t AS (
            INSERT INTO tasks (id, project_id, title, description, status, priority, assignee_id,
                               due_on, private, created_by, number, parent_id)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, n.last_task_number, $11 FROM n
            RETURNING *
         )
         SELECT t.id, t.project_id, t.number, n.key_prefix || '-' || t.number AS key,
                t.parent_id, t.title, t.description, t.status, t.priority, t.assignee_id,
                t.due_on, t.private, t.created_by, t.created_at, t.updated_at,
                '{}'::uuid[] AS tag_ids, 0::bigint AS subtasks_total,
                0::bigint AS subtasks_done, false AS blocked, false AS recurring,
                '[]'::jsonb AS fields
           FROM t, n",
    )
    .bind(id)
    .bind(new.project_id)
    .bind(title)
    .bind(&description)
    .bind(status)
    .bind(priority)
    .bind(new.assignee_id)
    .bind(new.due_on)
    .bind(new.private)
    .bind(viewer.user_id)
    .bind(parent_id)
    .fetch_optional(tx.conn())
    .await?;
    let Some(task) = task else {
        check_open_project(tx, new.project_id).await?;
        return Err(CoreError::invalid("project_id", "no such open project"));
    };
    let mut watchers = vec![viewer.user_id];
    watchers.extend(new.assignee_id);
    watching::auto_watch(tx, id, &watchers).await?;
    if let Some(assignee) = new.assignee_id {
        let notice = Notice {
            kind: Kind::Assigned,
            task_id: id,
            comment_id: None,
            detail: None,
        };
        notifications::notify(tx, viewer.user_id, notice, &[assignee]).await?;
    }
    let mentions =
        super::comments::tell_mentioned_in(tx, viewer, id, None, &description, &[]).await?;
    Ok(Written { task, mentions })
}

/// `ACME-142` as its prefix (upper-cased) and number, or `None` if it does not look like a key.
pub fn parse_key(key: &str) -> Option<(String, i32)> {
    let (prefix, number) = key.trim().split_once('-')?;
    let prefix = prefix.to_ascii_uppercase();
    let valid_prefix =
        (2..=6).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase());
    let valid_number =
        (1..=9).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit());
    if !(valid_prefix && valid_number) {
        return None;
    }
    Some((prefix, number.parse().ok().filter(|n| *n > 0)?))
}

/// The task with key `key` (`ACME-142`, any case), if the viewer sees it; `NotFound` otherwise,
/// exactly as for a key no task has. A text that is not a key at all is `Invalid` (`key`).
pub async fn get_task_by_key(
    tx: &mut TenantTx,
    viewer: &Viewer,
    key: &str,
) -> CoreResult<TaskRecord> {
    let (prefix, number) = parse_key(key)
        .ok_or_else(|| CoreError::invalid("key", "must be a task key like ACME-142"))?;
    let sql = format!(
        "SELECT {columns} FROM tasks t JOIN projects kp ON kp.id = t.project_id
          WHERE kp.key_prefix = $3 AND t.number = $4 AND {VISIBLE}",
        columns = &*COLUMNS
    );
    sqlx::query_as::<_, TaskRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(prefix)
        .bind(number)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(CoreError::NotFound("task"))
}

/// The subtasks of a task the viewer sees, that the viewer sees too, oldest first.
pub async fn list_subtasks(
    tx: &mut TenantTx,
    viewer: &Viewer,
    parent_id: Uuid,
) -> CoreResult<Vec<TaskRecord>> {
    get_task(tx, viewer, parent_id).await?;
    let sql = format!(
        "SELECT {columns} FROM tasks t WHERE t.parent_id = $3 AND {VISIBLE}
          ORDER BY t.created_at, t.id",
        columns = &*COLUMNS
    );
    Ok(sqlx::query_as::<_, TaskRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(parent_id)
        .fetch_all(tx.conn())
        .await?)
}

/// One task, if the viewer sees it; otherwise `NotFound`, as if it did not exist.
pub async fn get_task(tx: &mut TenantTx, viewer: &Viewer, task_id: Uuid) -> CoreResult<TaskRecord> {
    fetch_visible(tx, viewer, task_id, "").await
}

/// A task the viewer sees, locked for a change that hangs off it (its checklist, its relations).
pub(crate) async fn lock_visible(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
) -> CoreResult<TaskRecord> {
    fetch_visible(tx, viewer, task_id, "FOR UPDATE OF t").await
}

async fn fetch_visible(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    lock: &'static str,
) -> CoreResult<TaskRecord> {
    let sql = format!(
        "SELECT {columns} FROM tasks t WHERE t.id = $3 AND {VISIBLE} {lock}",
        columns = &*COLUMNS
    );
    sqlx::query_as::<_, TaskRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(task_id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(CoreError::NotFound("task"))
}

/// Applies a partial change to a task the viewer sees and may edit, validating every field it
/// touches, and moves `updated_at`.
pub async fn update_task(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    patch: TaskPatch,
) -> CoreResult<TaskRecord> {
    Ok(update_task_mentioning(tx, viewer, task_id, patch)
        .await?
        .task)
}

/// [`update_task`], answering who the description newly mentions without telling them.
pub async fn update_task_mentioning(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    patch: TaskPatch,
) -> CoreResult<Written> {
    let current = fetch_visible(tx, viewer, task_id, "FOR UPDATE OF t").await?;
    ensure(
        policy::can_edit_task(viewer.role, &current.facts(viewer)),
        EDIT_REFUSED,
    )?;
    let (old_status, old_assignee) = (current.status.clone(), current.assignee_id);
    let mentioned_before = super::mentions::parse(&current.description);
    let title = match &patch.title {
        Some(title) => trimmed("title", title, TITLE_MAX, false)?,
        None => current.title,
    };
    let description = patch.description.unwrap_or(current.description);
    check_description(&description)?;
    let status = patch.status.unwrap_or(current.status);
    check_status(&status)?;
    let priority = patch.priority.unwrap_or(current.priority);
    check_priority(&priority)?;
    let due_on = patch.due_on.unwrap_or(current.due_on);
    check_due(due_on)?;
    // A task moved to another project takes that project's next number (its key changes, as
    // its prefix does); the old number is not issued again.
    let (project_id, number) = match patch.project_id {
        Some(project) if project != current.project_id => {
            (project, next_number(tx, project).await?)
        }
        _ => (current.project_id, current.number),
    };
    let assignee_id = match patch.assignee_id {
        Some(assignee) if assignee != current.assignee_id => {
            check_assignee(tx, assignee).await?;
            assignee
        }
        _ => current.assignee_id,
    };
    sqlx::query(
        "UPDATE tasks SET project_id = $2, title = $3, description = $4, status = $5,
                priority = $6, assignee_id = $7, due_on = $8, private = $9, number = $10,
                updated_at = now()
         WHERE id = $1",
    )
    .bind(task_id)
    .bind(project_id)
    .bind(title)
    .bind(&description)
    .bind(&status)
    .bind(priority)
    .bind(assignee_id)
    .bind(due_on)
    .bind(patch.private.unwrap_or(current.private))
    .bind(number)
    .execute(tx.conn())
    .await?;
    // Completing a task whose rule says "when done" makes its next occurrence, and a new due
    // date moves the rule's next date, in this same transaction: whichever door changed it
    // (task page, board, calendar, bulk edit, REST).
    if due_on != current.due_on {
        super::recurrence::due_date_moved(tx, task_id, due_on).await?;
    }
    if project_id != current.project_id {
        fields::drop_foreign_values(tx, task_id).await?;
    }
    if status == "done" && old_status != "done" {
        super::recurrence::task_done(tx, task_id).await?;
    }
    tell_about_update(
        tx,
        viewer,
        task_id,
        (&old_status, &status),
        (old_assignee, assignee_id),
    )
    .await?;
    // People newly mentioned in the description are told, like a comment's; those mentioned
    // before are not told again.
    let mentions = super::comments::tell_mentioned_in(
        tx,
        viewer,
        task_id,
        None,
        &description,
        &mentioned_before,
    )
    .await?;
    // The change may leave the task invisible to its editor (a member making it private and
    // assigning it to someone else). The change was theirs to make, so the row is returned as
    // written rather than as a confusing "not found".
    let sql = format!(
        "SELECT {columns} FROM tasks t WHERE t.id = $3",
        columns = &*COLUMNS
    );
    let task = sqlx::query_as::<_, TaskRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(task_id)
        .fetch_one(tx.conn())
        .await?;
    Ok(Written { task, mentions })
}

/// Who is told about a task's change, after it is written (so that visibility is decided on the
/// task as it now stands): a new assignee that they were assigned (and they start watching),
/// the other watchers that the status changed.
async fn tell_about_update(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    (old_status, status): (&str, &str),
    (old_assignee, assignee): (Option<Uuid>, Option<Uuid>),
) -> CoreResult<()> {
    let newly_assigned = assignee.filter(|a| Some(*a) != old_assignee);
    if let Some(assignee) = newly_assigned {
        watching::auto_watch(tx, task_id, &[assignee]).await?;
        let notice = Notice {
            kind: Kind::Assigned,
            task_id,
            comment_id: None,
            detail: None,
        };
        notifications::notify(tx, viewer.user_id, notice, &[assignee]).await?;
    }
    if status != old_status {
        let mut watchers = watching::watchers(tx, task_id).await?;
        // Being assigned says enough; one notice per person per change.
        watchers.retain(|w| Some(*w) != newly_assigned);
        let notice = Notice {
            kind: Kind::StatusChanged,
            task_id,
            comment_id: None,
            detail: Some(status),
        };
        notifications::notify(tx, viewer.user_id, notice, &watchers).await?;
    }
    Ok(())
}

/// Deletes a task the viewer sees, with its tags, viewers and comments (cascade): admins any,
/// members the tasks they created.
pub async fn delete_task(tx: &mut TenantTx, viewer: &Viewer, task_id: Uuid) -> CoreResult<()> {
    let task = fetch_visible(tx, viewer, task_id, "FOR UPDATE OF t").await?;
    ensure(
        policy::can_delete_task(viewer.role, &task.facts(viewer)),
        "Only admins and the member who created a task can delete it.",
    )?;
    sqlx::query("DELETE FROM tasks WHERE id = $1")
        .bind(task_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The filters of [`TaskFilter`] as SQL over `tasks t`, binding `$3` to `$9` in the order
/// [`list_tasks`] and [`board`] bind them (one text, so the list and the board's counts agree).
const FILTERS: &str = "($3::uuid IS NULL OR t.project_id = $3)
           AND ($4::text IS NULL OR t.status = $4)
           AND ($5::uuid IS NULL OR t.assignee_id = $5)
           AND ($6::uuid IS NULL OR EXISTS
                (SELECT 1 FROM task_tags f WHERE f.task_id = t.id AND f.tag_id = $6))
           AND ($7::date IS NULL OR t.due_on < $7)
           AND ($8::text IS NULL
                OR to_tsvector('simple', t.title || ' ' || t.description)
                   @@ plainto_tsquery('simple', $8)
                OR t.title ILIKE $9
                OR (t.project_id, t.number) IN
                   (SELECT kp.id, substring(upper($8) FROM '-([0-9]{1,9})$')::int
                      FROM projects kp
                     WHERE upper($8) ~ '^[A-Z]{2,6}-[0-9]{1,9}$'
                       AND kp.key_prefix = split_part(upper($8), '-', 1)))";

/// Checks the filter's status and returns its trimmed search words, if any.
fn checked_query(filter: &TaskFilter) -> CoreResult<Option<String>> {
    if let Some(status) = &filter.status {
        check_status(status)?;
    }
    filter
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| trimmed("q", q, 200, false))
        .transpose()
}

/// The tasks the viewer sees that match `filter`, newest first, keyset-paginated on
/// `(created_at DESC, id)`: pass the last row's [`TaskRecord::position`] as `after`.
pub async fn list_tasks(
    tx: &mut TenantTx,
    viewer: &Viewer,
    filter: &TaskFilter,
    after: Option<Position>,
    limit: u32,
) -> CoreResult<Vec<TaskRecord>> {
    select_tasks(tx, viewer, filter, after, limit, LIST_ORDER).await
}

const LIST_ORDER: &str = "t.created_at DESC, t.id";

/// How a list is sorted. `Created` (newest first) is the list's own order, paginated by keyset
/// ([`list_tasks`]); the others are paginated by offset ([`list_tasks_sorted`]): a task that
/// changes between two pages may show twice or not at all, which a sorted view accepts for the
/// order people asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TaskSort {
    #[default]
    Created,
    /// Most recently changed first.
    Updated,
    /// Earliest due date first; tasks without one last.
    Due,
    /// Urgent first, then high, normal, low.
    Priority,
    /// By a custom field's value (`field:<id>`, lowest first, or `field:<id>:desc`); tasks
    /// without a value last either way.
    Field { id: Uuid, desc: bool },
}

pub const SORTS: [&str; 5] = ["created", "updated", "due", "priority", "field:<id>[:desc]"];

impl TaskSort {
    pub fn parse(input: &str) -> CoreResult<Self> {
        Ok(match input {
            "" | "created" => TaskSort::Created,
            "updated" => TaskSort::Updated,
            "due" => TaskSort::Due,
            "priority" => TaskSort::Priority,
            other => {
                let field = other.strip_prefix("field:").and_then(|rest| {
                    let (id, desc) = match rest.strip_suffix(":desc") {
                        Some(id) => (id, true),
                        None => (rest, false),
                    };
                    Uuid::parse_str(id)
                        .ok()
                        .map(|id| TaskSort::Field { id, desc })
                });
                return field.ok_or_else(|| {
                    CoreError::invalid("sort", format!("must be one of {}", SORTS.join(", ")))
                });
            }
        })
    }

    /// The sort as the query string writes it.
    pub fn as_string(self) -> String {
        match self {
            TaskSort::Created => "created".into(),
            TaskSort::Updated => "updated".into(),
            TaskSort::Due => "due".into(),
            TaskSort::Priority => "priority".into(),
            TaskSort::Field { id, desc: false } => format!("field:{id}"),
            TaskSort::Field { id, desc: true } => format!("field:{id}:desc"),
        }
    }

    /// The ORDER BY of a sort; a field's reads its value through the parameter `param`.
    async fn order(self, tx: &mut TenantTx, viewer: &Viewer, param: usize) -> CoreResult<String> {
        Ok(match self {
            TaskSort::Created => LIST_ORDER.into(),
            TaskSort::Updated => "t.updated_at DESC, t.id".into(),
            TaskSort::Due => "t.due_on ASC NULLS LAST, t.created_at DESC, t.id".into(),
            TaskSort::Priority => "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 \
                 WHEN 'normal' THEN 2 ELSE 3 END, t.created_at DESC, t.id"
                .into(),
            TaskSort::Field { id, desc } => {
                let value = fields::sort_sql(tx, viewer, id).await?;
                format!(
                    "{} {} NULLS LAST, t.created_at DESC, t.id",
                    value.replace("{s}", &format!("${param}")),
                    if desc { "DESC" } else { "ASC" }
                )
            }
        })
    }
}

/// The most rows a sorted list skips: past it, narrow the filters.
pub const MAX_SORTED_OFFSET: u32 = 10_000;

/// The tasks the viewer sees that match `filter`, in `sort`'s order, skipping `offset` rows.
pub async fn list_tasks_sorted(
    tx: &mut TenantTx,
    viewer: &Viewer,
    filter: &TaskFilter,
    sort: TaskSort,
    offset: u32,
    limit: u32,
) -> CoreResult<Vec<TaskRecord>> {
    if offset > MAX_SORTED_OFFSET {
        return Err(CoreError::invalid(
            "cursor",
            format!("a sorted list goes {MAX_SORTED_OFFSET} rows deep at most; narrow the filters"),
        ));
    }
    let q = checked_query(filter)?;
    // Parameters past the eleven fixed ones: the field filter's two, then the sort's field.
    let field_filter = field_condition(tx, viewer, filter, 12).await?;
    let sort_param = if field_filter.is_some() { 14 } else { 12 };
    let order = sort.order(tx, viewer, sort_param).await?;
    let sql = format!(
        "SELECT {columns} FROM tasks t
         WHERE {VISIBLE} AND {FILTERS} {extra}
         ORDER BY {order}
         LIMIT $10 OFFSET $11",
        columns = &*COLUMNS,
        extra = field_filter
            .as_ref()
            .map(|(sql, _)| sql.as_str())
            .unwrap_or(""),
    );
    let sql = per_workspace(&sql, tx.schema());
    let mut query = sqlx::query_as::<_, TaskRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(filter.project_id)
        .bind(filter.status.as_deref())
        .bind(filter.assignee_id)
        .bind(filter.tag_id)
        .bind(filter.due_before)
        .bind(q.as_deref())
        .bind(q.as_deref().map(like_pattern))
        .bind(i64::from(limit))
        .bind(i64::from(offset));
    if let Some((_, f)) = field_filter {
        query = query.bind(f.field_id).bind(f.value);
    }
    if let TaskSort::Field { id, .. } = sort {
        query = query.bind(id);
    }
    Ok(query.fetch_all(tx.conn()).await?)
}

/// The condition of a list's field filter, if it has one, with its parameters numbered from
/// `first`.
async fn field_condition(
    tx: &mut TenantTx,
    viewer: &Viewer,
    filter: &TaskFilter,
    first: usize,
) -> CoreResult<Option<(String, fields::FilterSql)>> {
    let Some(field) = &filter.field else {
        return Ok(None);
    };
    let f = fields::filter_sql(tx, viewer, field).await?;
    let (a, b) = (format!("${first}"), format!("${}", first + 1));
    let sql = format!(
        "AND EXISTS (SELECT 1 FROM task_field_values fv
                      WHERE fv.task_id = t.id AND fv.field_id = {a}
                        AND ({b}::text IS NULL OR {condition}))",
        condition = f.condition.replace("{b}", &b),
    );
    Ok(Some((sql, f)))
}

/// `sql` as a text of the workspace's own, for the hottest reads. PostgreSQL keeps a prepared
/// statement's plan only while the search path is the one it was planned under, and a pooled
/// connection serves many workspaces: one text for all of them was re-planned at nearly every
/// call (planning was 0.46 ms of a 1 ms list, docs/performance.md). With the schema in the text,
/// sqlx prepares one statement per workspace on each connection, always run under that
/// workspace's search path, so its plan stays cached. Only the text changes: the statement
/// still runs in the workspace's transaction, as its role, under its search path alone.
fn per_workspace(sql: &str, schema: &TenantSchema) -> String {
    format!("/* {schema} */ {sql}")
}

/// The statement [`list_tasks`] runs, with its twelve parameters: `$1`/`$2` the viewer's id and
/// role, `$3`–`$9` the filters, `$10`/`$11` the position after which to start, `$12` the limit.
/// Table names are unqualified (the tenant transaction's search path resolves them). For the
/// benchmark's baseline, which must run the very same SQL without the trust machinery.
pub fn list_statement() -> String {
    select_sql(LIST_ORDER, "")
}

fn select_sql(order: &str, extra: &str) -> String {
    format!(
        "SELECT {columns} FROM tasks t
         WHERE {VISIBLE} AND {FILTERS} {extra}
           AND ($10::timestamptz IS NULL
                OR t.created_at < $10 OR (t.created_at = $10 AND t.id > $11))
         ORDER BY {order}
         LIMIT $12",
        columns = &*COLUMNS
    )
}

async fn select_tasks(
    tx: &mut TenantTx,
    viewer: &Viewer,
    filter: &TaskFilter,
    after: Option<Position>,
    limit: u32,
    order: &'static str,
) -> CoreResult<Vec<TaskRecord>> {
    let q = checked_query(filter)?;
    let field_filter = field_condition(tx, viewer, filter, 13).await?;
    let sql = select_sql(
        order,
        field_filter
            .as_ref()
            .map(|(sql, _)| sql.as_str())
            .unwrap_or(""),
    );
    let mut query = sqlx::query_as::<_, TaskRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(filter.project_id)
        .bind(filter.status.as_deref())
        .bind(filter.assignee_id)
        .bind(filter.tag_id)
        .bind(filter.due_before)
        .bind(q.as_deref())
        .bind(q.as_deref().map(like_pattern))
        .bind(after.map(|p| p.created_at))
        .bind(after.map(|p| p.id))
        .bind(i64::from(limit));
    if let Some((_, f)) = field_filter {
        query = query.bind(f.field_id).bind(f.value);
    }
    Ok(query.fetch_all(tx.conn()).await?)
}

/// The longest span one calendar read covers: six weeks, what a month view shows (a month
/// starting on a Sunday spans six rows of Monday-to-Sunday weeks).
pub const CALENDAR_MAX_DAYS: i64 = 42;
/// Tasks one calendar read answers at most; a span with more says so ([`Calendar::truncated`]).
pub const CALENDAR_MAX_TASKS: u32 = 500;

/// The tasks due in a span of days, as the viewer sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Calendar {
    /// By due date, then open before done, then by key.
    pub tasks: Vec<TaskRecord>,
    /// More tasks are due in the span than [`CALENDAR_MAX_TASKS`]; the list filtered by due
    /// date shows them all.
    pub truncated: bool,
}

/// The tasks the viewer sees that are due on a day from `from` up to, not including, `until`
/// (at most [`CALENDAR_MAX_DAYS`] days), in one project if `project_id` is given. The
/// visibility rule is the one of every task read, so a calendar shows a guest nothing the list
/// would not.
pub async fn calendar(
    tx: &mut TenantTx,
    viewer: &Viewer,
    from: Date,
    until: Date,
    project_id: Option<Uuid>,
) -> CoreResult<Calendar> {
    for (field, date) in [("from", from), ("until", until)] {
        if !(1000..=9999).contains(&date.year()) {
            return Err(CoreError::invalid(
                field,
                "must be a date between the years 1000 and 9999",
            ));
        }
    }
    let days = (until - from).whole_days();
    if days <= 0 {
        return Err(CoreError::invalid("until", "must be after from"));
    }
    if days > CALENDAR_MAX_DAYS {
        return Err(CoreError::invalid(
            "until",
            format!("must be at most {CALENDAR_MAX_DAYS} days after from"),
        ));
    }
    let sql = format!(
        "SELECT {columns} FROM tasks t
          WHERE t.due_on >= $3 AND t.due_on < $4
            AND ($5::uuid IS NULL OR t.project_id = $5)
            AND {VISIBLE}
          ORDER BY t.due_on, t.status = 'done', t.project_id, t.number
          LIMIT $6",
        columns = &*COLUMNS
    );
    let mut tasks = sqlx::query_as::<_, TaskRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(from)
        .bind(until)
        .bind(project_id)
        .bind(i64::from(CALENDAR_MAX_TASKS) + 1)
        .fetch_all(tx.conn())
        .await?;
    let truncated = tasks.len() > CALENDAR_MAX_TASKS as usize;
    tasks.truncate(CALENDAR_MAX_TASKS as usize);
    Ok(Calendar { tasks, truncated })
}

/// The board: the same filters as [`list_tasks`] (its `status` is ignored: every status is a
/// column), at most `per_column` tasks in each column, in the board's order (the tasks' ranks,
/// which [`move_task`] sets).
pub async fn board(
    tx: &mut TenantTx,
    viewer: &Viewer,
    filter: &TaskFilter,
    per_column: u32,
) -> CoreResult<Board> {
    let mut board = Board::default();
    let q = checked_query(filter)?;
    let sql = format!(
        "SELECT t.status, count(*) FROM tasks t
         WHERE {VISIBLE} AND {FILTERS}
         GROUP BY t.status"
    );
    let counts: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(filter.project_id)
        .bind(None::<&str>)
        .bind(filter.assignee_id)
        .bind(filter.tag_id)
        .bind(filter.due_before)
        .bind(q.as_deref())
        .bind(q.as_deref().map(like_pattern))
        .fetch_all(tx.conn())
        .await?;
    for (status, count) in counts {
        match status.as_str() {
            "todo" => board.counts.todo = count,
            "in_progress" => board.counts.in_progress = count,
            _ => board.counts.done = count,
        }
    }
    for status in STATUSES {
        let column = TaskFilter {
            status: Some(status.to_owned()),
            ..filter.clone()
        };
        let tasks = select_tasks(tx, viewer, &column, None, per_column, "t.rank, t.id").await?;
        match status {
            "todo" => board.todo = tasks,
            "in_progress" => board.in_progress = tasks,
            _ => board.done = tasks,
        }
    }
    Ok(board)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TaskViewerRecord {
    pub user_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

/// Who views a task the viewer sees (the people a private task is shared with, and the guests
/// who see it), in the order they were added.
pub async fn list_task_viewers(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
) -> CoreResult<Vec<TaskViewerRecord>> {
    get_task(tx, viewer, task_id).await?;
    Ok(sqlx::query_as::<_, TaskViewerRecord>(
        "SELECT user_id, added_at FROM task_viewers WHERE task_id = $1 ORDER BY added_at, user_id",
    )
    .bind(task_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Lets `user_id` (an active member of any role) see the task; admins and members decide that.
/// Adding someone twice is not an error; the first addition stands.
pub async fn add_task_viewer(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    user_id: Uuid,
) -> CoreResult<TaskViewerRecord> {
    get_task(tx, viewer, task_id).await?;
    ensure(
        policy::can_manage_task_viewers(viewer.role),
        VIEWERS_REFUSED,
    )?;
    if !is_active_member(tx, user_id).await? {
        return Err(CoreError::invalid(
            "user_id",
            "must be an active member of the workspace",
        ));
    }
    let added = sqlx::query(
        "INSERT INTO task_viewers (task_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(task_id)
    .bind(user_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if added == 1 {
        // Given access to a task: an `invited` notice (and email, by their preference).
        let notice = Notice {
            kind: Kind::Invited,
            task_id,
            comment_id: None,
            detail: None,
        };
        notifications::notify(tx, viewer.user_id, notice, &[user_id]).await?;
    }
    Ok(sqlx::query_as::<_, TaskViewerRecord>(
        "SELECT user_id, added_at FROM task_viewers WHERE task_id = $1 AND user_id = $2",
    )
    .bind(task_id)
    .bind(user_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Takes `user_id` off the task's viewers (admins and members); `NotFound` if they were not on
/// it.
pub async fn remove_task_viewer(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    user_id: Uuid,
) -> CoreResult<()> {
    get_task(tx, viewer, task_id).await?;
    ensure(
        policy::can_manage_task_viewers(viewer.role),
        VIEWERS_REFUSED,
    )?;
    let removed = sqlx::query("DELETE FROM task_viewers WHERE task_id = $1 AND user_id = $2")
        .bind(task_id)
        .bind(user_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(CoreError::NotFound("task viewer"));
    }
    Ok(())
}
