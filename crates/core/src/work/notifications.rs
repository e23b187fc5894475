//! The in-app inbox: one notice per person told about a change, written by the action that made
//! the change, in its transaction ([`notify`]), so a rolled-back change tells nobody. Nobody is
//! told about their own action, and only people who see the task at that moment are told (the
//! visibility predicate, [`super::visible_to`], for each recipient as a member). Reading applies
//! the predicate again for the reader as they are now: a notice about a task that was since
//! made private, or unshared from them, is neither listed, counted nor markable.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{visible_to, Position, Viewer, VISIBLE};
use crate::{CoreError, CoreResult, TenantTx};

/// Why someone is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The task was assigned to them.
    Assigned,
    /// A comment on a task they watch.
    Commented,
    /// The status of a task they watch changed.
    StatusChanged,
    /// A comment mentions them.
    Mentioned,
    /// A task assigned to them or that they watch is due tomorrow (Brussels calendar); the due
    /// date as detail. Told by the reminder pass, not by a person (the actor is [`SYSTEM_ACTOR`]).
    DueTomorrow,
    /// They were given access to a task (added to its viewers).
    Invited,
}

/// The actor of notices no person caused (due-tomorrow reminders): the nil id, no member's.
pub const SYSTEM_ACTOR: Uuid = Uuid::nil();

/// Every kind, in the order pages and emails list them.
pub const KINDS: [Kind; 6] = [
    Kind::Assigned,
    Kind::Mentioned,
    Kind::Commented,
    Kind::StatusChanged,
    Kind::DueTomorrow,
    Kind::Invited,
];

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Assigned => "assigned",
            Kind::Commented => "commented",
            Kind::StatusChanged => "status_changed",
            Kind::Mentioned => "mentioned",
            Kind::DueTomorrow => "due_tomorrow",
            Kind::Invited => "invited",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        KINDS.into_iter().find(|k| k.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: Uuid,
    pub kind: Kind,
    pub task_id: Uuid,
    /// The task's title as it is now.
    pub task_title: String,
    pub comment_id: Option<Uuid>,
    /// Who made the change.
    pub actor_id: Uuid,
    /// For `status_changed`, the new status.
    pub detail: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub read_at: Option<OffsetDateTime>,
}

impl Notification {
    pub fn position(&self) -> Position {
        Position {
            created_at: self.created_at,
            id: self.id,
        }
    }
}

type Row = (
    Uuid,
    String,
    Uuid,
    String,
    Option<Uuid>,
    Uuid,
    Option<String>,
    OffsetDateTime,
    Option<OffsetDateTime>,
);

fn from_row(row: Row) -> CoreResult<Notification> {
    let (id, kind, task_id, task_title, comment_id, actor_id, detail, created_at, read_at) = row;
    Ok(Notification {
        id,
        kind: Kind::parse(&kind)
            .ok_or_else(|| CoreError::Internal(format!("unknown notification kind {kind}")))?,
        task_id,
        task_title,
        comment_id,
        actor_id,
        detail,
        created_at,
        read_at,
    })
}

/// What a change is about, for [`notify`].
pub(crate) struct Notice<'a> {
    pub kind: Kind,
    pub task_id: Uuid,
    pub comment_id: Option<Uuid>,
    pub detail: Option<&'a str>,
}

/// Tells `recipients` (deduplicated here) about a change made by `actor`, leaving out the actor
/// and everyone who is not an active member who sees the task as it now stands. Returns who
/// was told. Each notice also carries how it is to be mailed, from the recipient's preference
/// for its kind (`super::notification_mail`); one to be mailed queues the workspace's mail job
/// by trigger, in this transaction.
pub(crate) async fn notify(
    tx: &mut TenantTx,
    actor: Uuid,
    notice: Notice<'_>,
    recipients: &[Uuid],
) -> CoreResult<Vec<Uuid>> {
    if recipients.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO notifications (id, recipient_id, kind, task_id, comment_id, actor_id, detail,
                                    mail, mail_after)
         SELECT gen_random_uuid(), m.user_id, $1, t.id, $2, $3, $4, d.mail, {after}
           FROM members m JOIN tasks t ON t.id = $5
           LEFT JOIN notification_preferences p ON p.user_id = m.user_id AND p.kind = $1
          CROSS JOIN LATERAL (SELECT nullif(coalesce(p.delivery, $7), 'off') AS mail) d
          WHERE m.user_id = ANY($6) AND m.active AND m.user_id <> $3
            AND {visible}
         RETURNING recipient_id",
        after = super::notification_mail::MAIL_AFTER_SQL,
        visible = visible_to("m.user_id", "m.role")
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(notice.kind.as_str())
        .bind(notice.comment_id)
        .bind(actor)
        .bind(notice.detail)
        .bind(notice.task_id)
        .bind(recipients)
        .bind(super::notification_mail::default_for(notice.kind).as_str())
        .fetch_all(tx.conn())
        .await?)
}

/// Of `people`, those who are active members and see the task now.
pub(crate) async fn who_sees(
    tx: &mut TenantTx,
    task_id: Uuid,
    people: &[Uuid],
) -> CoreResult<Vec<Uuid>> {
    let sql = format!(
        "SELECT m.user_id FROM members m JOIN tasks t ON t.id = $1
          WHERE m.user_id = ANY($2) AND m.active AND {}",
        visible_to("m.user_id", "m.role")
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(task_id)
        .bind(people)
        .fetch_all(tx.conn())
        .await?)
}

/// The caller's notices about tasks they see now, newest first, keyset-paginated on
/// `(created_at DESC, id)`; only unread ones with `unread_only`.
pub async fn list(
    tx: &mut TenantTx,
    viewer: &Viewer,
    unread_only: bool,
    after: Option<Position>,
    limit: u32,
) -> CoreResult<Vec<Notification>> {
    let sql = format!(
        "SELECT n.id, n.kind, n.task_id, t.title, n.comment_id, n.actor_id, n.detail,
                n.created_at, n.read_at
           FROM notifications n JOIN tasks t ON t.id = n.task_id
          WHERE n.recipient_id = $1 AND {VISIBLE}
            AND (NOT $3 OR n.read_at IS NULL)
            AND ($4::timestamptz IS NULL
                 OR n.created_at < $4 OR (n.created_at = $4 AND n.id > $5))
          ORDER BY n.created_at DESC, n.id
          LIMIT $6"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(unread_only)
        .bind(after.map(|p| p.created_at))
        .bind(after.map(|p| p.id))
        .bind(i64::from(limit))
        .fetch_all(tx.conn())
        .await?;
    rows.into_iter().map(from_row).collect()
}

/// How many unread notices the caller has about tasks they see now.
pub async fn unread_count(tx: &mut TenantTx, viewer: &Viewer) -> CoreResult<i64> {
    let sql = format!(
        "SELECT count(*) FROM notifications n JOIN tasks t ON t.id = n.task_id
          WHERE n.recipient_id = $1 AND n.read_at IS NULL AND {VISIBLE}"
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .fetch_one(tx.conn())
        .await?)
}

/// Marks one of the caller's notices read (it stays read if it was). Someone else's notice, or
/// one about a task the caller no longer sees, is not found.
pub async fn mark_read(tx: &mut TenantTx, viewer: &Viewer, id: Uuid) -> CoreResult<()> {
    let sql = format!(
        "UPDATE notifications n SET read_at = coalesce(n.read_at, now())
           FROM tasks t
          WHERE n.id = $3 AND n.recipient_id = $1 AND t.id = n.task_id AND {VISIBLE}"
    );
    let changed = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(CoreError::NotFound("notification"));
    }
    Ok(())
}

/// Marks every unread notice of the caller's that they can see read; returns how many.
pub async fn mark_all_read(tx: &mut TenantTx, viewer: &Viewer) -> CoreResult<u64> {
    let sql = format!(
        "UPDATE notifications n SET read_at = now()
           FROM tasks t
          WHERE n.recipient_id = $1 AND n.read_at IS NULL AND t.id = n.task_id AND {VISIBLE}"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .execute(tx.conn())
        .await?
        .rows_affected())
}
