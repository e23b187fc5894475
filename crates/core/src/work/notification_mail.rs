//! Notification emails: per-person, per-workspace, per-kind preferences (off, immediately, an
//! hourly or a daily digest), the job that writes the messages into the outbox, one-click
//! unsubscribe tokens (RFC 8058) and the due-tomorrow reminders.
//!
//! **When.** [`super::notifications::notify`] decides, from the recipient's preference, how each
//! notice is to be mailed (`mail`) and from when (`mail_after`: now, the end of the hour, or the
//! next 07:00 in Brussels), in the transaction of the change; a trigger queues the workspace's
//! `notification_mail` job in that same transaction (control-plane migration 0025), so a
//! rolled-back change mails nobody. The job ([`send_due`]) writes the outbox rows: one message
//! per immediate notice, one digest per person per period (all their notices with the same
//! `mail_after`).
//!
//! **What.** Sending re-checks, for each notice, that the recipient is still an active member who
//! sees the task (the one visibility predicate) and still wants that kind by email; a notice that
//! fails either is dropped, never mailed. Messages are thin: the task's key and title, a link,
//! who did it and what kind of thing it was; never a comment's text or a description, so an
//! email holds nothing the recipient could not read on the task page that moment.
//!
//! **Once.** The outbox row of an immediate notice has the notice's id, a digest the id of its
//! oldest notice; the outbox is written (`ON CONFLICT DO NOTHING`) and committed before the
//! notices are marked mailed, so a pass cut off in between writes the same ids again and nobody
//! gets a message twice.

use std::collections::HashMap;

use bastion_i18n::{Locale, T};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::notifications::{self, Kind, Notice, KINDS, SYSTEM_ACTOR};
use super::{visible_to, Viewer};
use crate::{
    ensure, jobs, keys::MasterKeyRing, mail, Actor, CoreError, CoreResult, TenantSchema, TenantTx,
    WorkspaceId,
};

/// The job kind in `public.jobs`.
pub const JOB_KIND: &str = "notification_mail";
/// Notices handled per pass of one workspace; a digest is one message as long as its person's
/// notices of one period fit in a pass.
const BATCH: i64 = 2000;

/// How a kind of notice reaches someone by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Off,
    Immediately,
    Hourly,
    Daily,
}

impl Delivery {
    pub const ALL: [Delivery; 4] = [
        Delivery::Off,
        Delivery::Immediately,
        Delivery::Hourly,
        Delivery::Daily,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Off => "off",
            Delivery::Immediately => "immediately",
            Delivery::Hourly => "hourly",
            Delivery::Daily => "daily",
        }
    }

    pub fn parse(text: &str) -> Option<Delivery> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// A checked delivery, for doors that receive it as text.
pub fn parse_delivery(field: &'static str, text: &str) -> CoreResult<Delivery> {
    Delivery::parse(text.trim())
        .ok_or_else(|| CoreError::invalid(field, "must be one of off, immediately, hourly, daily"))
}

/// The defaults: what is addressed to the person alone (assigned, mentioned, given access) comes
/// at once; what happens on tasks they watch comes in the daily digest, and so does the
/// due-tomorrow reminder, which then arrives at 07:00 the day before.
pub fn default_for(kind: Kind) -> Delivery {
    match kind {
        Kind::Assigned | Kind::Mentioned | Kind::Invited => Delivery::Immediately,
        Kind::Commented | Kind::StatusChanged | Kind::DueTomorrow => Delivery::Daily,
    }
}

/// The defaults in SQL, over a kind column.
fn default_sql(kind: &str) -> String {
    let arms: String = KINDS
        .iter()
        .map(|k| format!(" WHEN '{}' THEN '{}'", k.as_str(), default_for(*k).as_str()))
        .collect();
    format!("(CASE {kind}{arms} END)")
}

/// When a notice to be mailed `d.mail` may be sent, at the transaction's `now()`: at once, at the
/// end of the hour, or at the next 07:00 on the Brussels clock (PostgreSQL's zone database, so
/// it stays 07:00 across daylight-saving changes).
pub(crate) const MAIL_AFTER_SQL: &str = "CASE d.mail
    WHEN 'immediately' THEN now()
    WHEN 'hourly' THEN date_trunc('hour', now()) + interval '1 hour'
    WHEN 'daily' THEN (date_trunc('day', now() AT TIME ZONE 'Europe/Brussels')
        + CASE WHEN (now() AT TIME ZONE 'Europe/Brussels')::time < time '07:00'
               THEN interval '7 hours' ELSE interval '31 hours' END) AT TIME ZONE 'Europe/Brussels'
    END";

/// One kind's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Preference {
    pub kind: Kind,
    pub delivery: Delivery,
    /// What it is when the person has not chosen.
    pub default: Delivery,
}

/// The caller's email preferences in this workspace, one per kind, in [`KINDS`] order.
pub async fn preferences(tx: &mut TenantTx, viewer: &Viewer) -> CoreResult<Vec<Preference>> {
    ensure(
        bastion_policy::can_set_notification_preferences(viewer.role),
        "You cannot choose email notifications here.",
    )?;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, delivery FROM notification_preferences WHERE user_id = $1")
            .bind(viewer.user_id)
            .fetch_all(tx.conn())
            .await?;
    let chosen: HashMap<String, String> = rows.into_iter().collect();
    Ok(KINDS
        .iter()
        .map(|&kind| Preference {
            kind,
            delivery: chosen
                .get(kind.as_str())
                .and_then(|d| Delivery::parse(d))
                .unwrap_or(default_for(kind)),
            default: default_for(kind),
        })
        .collect())
}

/// Changes some of the caller's preferences (the kinds not named stay as they are); answers all
/// of them. A choice equal to the default is stored as no choice, so a changed default reaches
/// everyone who never chose.
pub async fn set_preferences(
    tx: &mut TenantTx,
    viewer: &Viewer,
    changes: &[(Kind, Delivery)],
) -> CoreResult<Vec<Preference>> {
    ensure(
        bastion_policy::can_set_notification_preferences(viewer.role),
        "You cannot choose email notifications here.",
    )?;
    store(tx, viewer.user_id, changes).await?;
    preferences(tx, viewer).await
}

async fn store(tx: &mut TenantTx, user: Uuid, changes: &[(Kind, Delivery)]) -> CoreResult<()> {
    for &(kind, delivery) in changes {
        if delivery == default_for(kind) {
            sqlx::query("DELETE FROM notification_preferences WHERE user_id = $1 AND kind = $2")
                .bind(user)
                .bind(kind.as_str())
                .execute(tx.conn())
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO notification_preferences (user_id, kind, delivery) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, kind) DO UPDATE SET delivery = excluded.delivery",
            )
            .bind(user)
            .bind(kind.as_str())
            .bind(delivery.as_str())
            .execute(tx.conn())
            .await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// One-click unsubscribe (RFC 8058)

#[derive(Serialize, Deserialize)]
struct TokenBody {
    w: Uuid,
    u: Uuid,
    k: Vec<String>,
}

/// The unsubscribe token for `user`'s emails of `kinds` in `workspace`: a Fernet token under the
/// master key ring (AES-CBC and HMAC-SHA256 with keys that are never in the database), so it
/// cannot be made or altered without the keys and shows no ids. It does not expire; retiring
/// the master key that made it (after `bastion keys rotate`) retires it.
pub fn unsubscribe_token(
    master: &MasterKeyRing,
    workspace: WorkspaceId,
    user: Uuid,
    kinds: &[Kind],
) -> String {
    let body = TokenBody {
        w: workspace.0,
        u: user,
        k: kinds.iter().map(|k| k.as_str().to_owned()).collect(),
    };
    master.wrap(&serde_json::to_vec(&body).unwrap_or_default())
}

/// The unsubscribe address for a token (`=` escaped for the query string).
pub fn unsubscribe_url(link_base: &str, token: &str) -> String {
    format!(
        "{}/unsubscribe?t={}",
        link_base.trim_end_matches('/'),
        token.replace('=', "%3D")
    )
}

/// What an unsubscribe token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub workspace_name: String,
    pub workspace_slug: String,
    pub user_id: Uuid,
    pub email: String,
    /// The person's language, for the page that answers.
    pub locale: String,
    pub kinds: Vec<Kind>,
}

/// The same refusal for a token that was forged, altered, truncated or names what no longer
/// exists: nothing to learn by trying.
const BAD_TOKEN: CoreError = CoreError::NotFound("unsubscribe link");

/// Reads a token without changing anything (the confirmation page).
pub async fn read_unsubscribe(
    pool: &PgPool,
    master: &MasterKeyRing,
    token: &str,
) -> CoreResult<(WorkspaceId, Unsubscribe)> {
    let plain = master.unwrap(token.trim()).map_err(|_| BAD_TOKEN)?;
    let body: TokenBody = serde_json::from_slice(&plain).map_err(|_| BAD_TOKEN)?;
    let kinds: Vec<Kind> = body.k.iter().filter_map(|k| Kind::parse(k)).collect();
    if kinds.is_empty() || kinds.len() != body.k.len() {
        return Err(BAD_TOKEN);
    }
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT w.slug, w.name, u.email, u.locale FROM workspaces w, users u
          WHERE w.id = $1 AND u.id = $2",
    )
    .bind(body.w)
    .bind(body.u)
    .fetch_optional(pool)
    .await?;
    let (workspace_slug, workspace_name, email, locale) = row.ok_or(BAD_TOKEN)?;
    Ok((
        WorkspaceId(body.w),
        Unsubscribe {
            workspace_name,
            workspace_slug,
            user_id: body.u,
            email,
            locale,
            kinds,
        },
    ))
}

/// Turns off the emails a token names (RFC 8058's one-click `POST`): the token is the only
/// credential, as the RFC intends, and it can do nothing but this. Someone who has left the
/// workspace since has nothing left to turn off, which is no error.
pub async fn unsubscribe(
    pool: &PgPool,
    master: &MasterKeyRing,
    token: &str,
) -> CoreResult<Unsubscribe> {
    let (workspace, found) = read_unsubscribe(pool, master, token).await?;
    let schema = TenantSchema::for_workspace(workspace);
    let mut tx = TenantTx::begin(pool, &schema, Actor::User(found.user_id)).await?;
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM members WHERE user_id = $1 FOR UPDATE")
            .bind(found.user_id)
            .fetch_optional(tx.conn())
            .await?;
    if let Some(role) = role.as_deref().and_then(crate::Role::parse) {
        ensure(
            bastion_policy::can_set_notification_preferences(role),
            "You cannot choose email notifications here.",
        )?;
        let off: Vec<(Kind, Delivery)> = found.kinds.iter().map(|&k| (k, Delivery::Off)).collect();
        store(&mut tx, found.user_id, &off).await?;
    }
    tx.commit().await?;
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// The mail job

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailReport {
    /// Messages written into the outbox.
    pub messages: usize,
    /// Notices mailed (a digest holds several).
    pub mailed: usize,
    /// Notices dropped at sending time: the person may no longer see the task, left, or turned
    /// that kind of email off.
    pub dropped: usize,
}

impl MailReport {
    fn add(&mut self, other: MailReport) {
        self.messages += other.messages;
        self.mailed += other.mailed;
        self.dropped += other.dropped;
    }
}

/// Runs queued mail jobs until none is due or `stop.draining` is cancelled.
pub async fn run_pending_until(
    pool: &PgPool,
    master: &MasterKeyRing,
    link_base: &str,
    stop: &jobs::Stop,
) -> CoreResult<MailReport> {
    let mut report = MailReport::default();
    while !stop.draining.is_cancelled() {
        let Some(lease) = jobs::lease(pool, JOB_KIND, jobs::LEASE).await? else {
            break;
        };
        let workspace = lease.job.workspace_id;
        let outcome = tokio::select! {
            outcome = send_due(pool, master, workspace, link_base, OffsetDateTime::now_utc()) => outcome,
            () = stop.abandon.cancelled() => {
                jobs::release(pool, &lease).await?;
                break;
            }
        };
        match outcome {
            Ok(pass) => {
                report.add(pass);
                jobs::complete(pool, &lease).await?;
            }
            Err(CoreError::Conflict { message, .. }) => {
                tracing::warn!(job = %lease.job.id, %message, "notification mail job abandoned");
            }
            Err(e) => {
                tracing::warn!(job = %lease.job.id, error = %e, "notification mail pass failed");
                jobs::retry_or_fail(pool, &lease, &e.to_string()).await?;
            }
        }
    }
    Ok(report)
}

#[derive(sqlx::FromRow)]
struct Pending {
    id: Uuid,
    recipient_id: Uuid,
    kind: String,
    mail: String,
    mail_after: OffsetDateTime,
    actor_id: Uuid,
    detail: Option<String>,
    title: String,
    key: String,
    deliver: bool,
}

/// Writes the messages for the workspace's notices due at `now` into the outbox and marks them
/// mailed, then queues the job again for the next digest due. `now` is a parameter so that tests
/// can reach the end of an hour or a day without waiting.
pub async fn send_due(
    pool: &PgPool,
    master: &MasterKeyRing,
    workspace: WorkspaceId,
    link_base: &str,
    now: OffsetDateTime,
) -> CoreResult<MailReport> {
    let Some((slug, workspace_name)): Option<(String, String)> =
        sqlx::query_as("SELECT slug, name FROM workspaces WHERE id = $1")
            .bind(workspace)
            .fetch_optional(pool)
            .await?
    else {
        return Ok(MailReport::default());
    };
    let schema = TenantSchema::for_workspace(workspace);
    let base = link_base.trim_end_matches('/');
    let mut report = MailReport::default();
    loop {
        let mut tx = TenantTx::begin(pool, &schema, Actor::System).await?;
        let sql = format!(
            "SELECT n.id, n.recipient_id, n.kind, n.mail, n.mail_after, n.actor_id, n.detail,
                    t.title,
                    (SELECT kp.key_prefix FROM projects kp WHERE kp.id = t.project_id)
                        || '-' || t.number AS key,
                    (m.active AND coalesce(p.delivery, {default}) <> 'off' AND {visible}) AS deliver
               FROM notifications n
               JOIN tasks t ON t.id = n.task_id
               JOIN members m ON m.user_id = n.recipient_id
               LEFT JOIN notification_preferences p
                      ON p.user_id = n.recipient_id AND p.kind = n.kind
              WHERE n.mail IS NOT NULL AND n.mailed_at IS NULL AND n.mail_after <= $1
              ORDER BY n.recipient_id, n.mail_after, n.created_at, n.id
              LIMIT $2
                FOR UPDATE OF n SKIP LOCKED",
            default = default_sql("n.kind"),
            visible = visible_to("m.user_id", "m.role"),
        );
        let rows: Vec<Pending> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(BATCH)
            .fetch_all(tx.conn())
            .await?;
        if rows.is_empty() {
            tx.commit().await?;
            break;
        }
        let full = rows.len() as i64 == BATCH;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut pass = MailReport::default();
        let (deliver, dropped): (Vec<Pending>, Vec<Pending>) =
            rows.into_iter().partition(|r| r.deliver);
        pass.dropped = dropped.len();

        let mut people: Vec<Uuid> = deliver
            .iter()
            .flat_map(|r| [r.recipient_id, r.actor_id])
            .collect();
        people.sort();
        people.dedup();
        let users: HashMap<Uuid, crate::accounts::User> =
            sqlx::query_as::<_, crate::accounts::User>(
                "SELECT id, email, name, locale FROM users WHERE id = ANY($1)",
            )
            .bind(&people)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();

        // Immediate notices alone; digests per person and period.
        let mut groups: Vec<Vec<Pending>> = Vec::new();
        for row in deliver {
            match groups.last_mut() {
                Some(group)
                    if row.mail != "immediately"
                        && group[0].mail != "immediately"
                        && group[0].recipient_id == row.recipient_id
                        && group[0].mail_after == row.mail_after =>
                {
                    group.push(row)
                }
                _ => groups.push(vec![row]),
            }
        }

        let mut outbox = pool.begin().await?;
        for group in &groups {
            let Some(recipient) = users.get(&group[0].recipient_id) else {
                continue;
            };
            let message = compose(
                master,
                workspace,
                &slug,
                &workspace_name,
                base,
                recipient,
                &users,
                group,
            );
            // The oldest notice names the message (ordered by creation within the group).
            mail::enqueue_once(
                &mut outbox,
                master,
                group[0].id,
                workspace,
                &recipient.email,
                &message.subject,
                &message.body,
                &message.unsubscribe,
            )
            .await?;
            pass.messages += 1;
            pass.mailed += group.len();
        }
        outbox.commit().await?;

        sqlx::query("UPDATE notifications SET mailed_at = $2 WHERE id = ANY($1)")
            .bind(&ids)
            .bind(now)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        report.add(pass);
        if !full {
            break;
        }
    }
    let mut tx = TenantTx::begin(pool, &schema, Actor::System).await?;
    let next: Option<OffsetDateTime> = sqlx::query_scalar(
        "SELECT min(mail_after) FROM notifications WHERE mail IS NOT NULL AND mailed_at IS NULL",
    )
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    if let Some(at) = next {
        schedule(pool, workspace, at).await?;
    }
    Ok(report)
}

/// Queues the workspace's mail job for `at`, or earlier if one already waits for earlier.
async fn schedule(pool: &PgPool, workspace: WorkspaceId, at: OffsetDateTime) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO jobs AS j (id, kind, workspace_id, run_after) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id) WHERE kind = 'notification_mail' AND state = 'queued'
         DO UPDATE SET run_after = least(j.run_after, excluded.run_after)",
    )
    .bind(Uuid::new_v4())
    .bind(JOB_KIND)
    .bind(workspace)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(())
}

struct Composed {
    subject: String,
    body: String,
    unsubscribe: String,
}

/// One message, in the recipient's language: an immediate notice, or a digest of several.
#[allow(clippy::too_many_arguments)]
fn compose(
    master: &MasterKeyRing,
    workspace: WorkspaceId,
    slug: &str,
    workspace_name: &str,
    base: &str,
    recipient: &crate::accounts::User,
    users: &HashMap<Uuid, crate::accounts::User>,
    group: &[Pending],
) -> Composed {
    let locale = Locale::from_tag(&recipient.locale).unwrap_or_default();
    let t = locale.t();
    let actor = |n: &Pending| {
        users
            .get(&n.actor_id)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| "Bastion".to_owned())
    };
    let line = |n: &Pending| {
        let task = format!("{} \"{}\"", n.key, n.title);
        notice_line(t, locale, &n.kind, &actor(n), &task, n.detail.as_deref())
    };
    let link = |n: &Pending| format!("{base}/w/{slug}/t/{}", n.key);
    let mut kinds: Vec<Kind> = group.iter().filter_map(|n| Kind::parse(&n.kind)).collect();
    kinds.sort_by_key(|k| KINDS.iter().position(|x| x == k));
    kinds.dedup();
    let unsubscribe = unsubscribe_url(
        base,
        &unsubscribe_token(master, workspace, recipient.id, &kinds),
    );
    let footer = t.mail_notice_footer(
        workspace_name,
        format!("{base}/w/{slug}/inbox#email-notifications"),
        &unsubscribe,
    );
    let (subject, text) = if let [n] = group {
        if n.mail == "immediately" {
            let line = line(n);
            // The outbox keeps the subject after sending, the body not: the subject names the
            // task by its key only, so no title stays behind in the control plane.
            let short = notice_line(t, locale, &n.kind, &actor(n), &n.key, n.detail.as_deref());
            (
                t.mail_notice_subject(workspace_name, &short),
                t.mail_notice_body(&recipient.name, &line, link(n)),
            )
        } else {
            digest(t, workspace_name, recipient, group, &line, &link)
        }
    } else {
        digest(t, workspace_name, recipient, group, &line, &link)
    };
    // "-- " on a line of its own: mail readers know what follows is the signature.
    Composed {
        subject,
        body: format!("{}\n\n-- \n{}\n", text.trim_end(), footer.trim_end()),
        unsubscribe,
    }
}

fn digest(
    t: T,
    workspace_name: &str,
    recipient: &crate::accounts::User,
    group: &[Pending],
    line: &dyn Fn(&Pending) -> String,
    link: &dyn Fn(&Pending) -> String,
) -> (String, String) {
    let subject = if group.len() == 1 {
        t.mail_digest_subject_one(workspace_name)
    } else {
        t.mail_digest_subject_other(workspace_name, group.len())
    };
    let lines: String = group
        .iter()
        .map(|n| format!("- {}\n  {}\n", line(n), link(n)))
        .collect();
    (
        subject,
        t.mail_digest_body(&recipient.name, workspace_name, lines.trim_end()),
    )
}

/// One notice in words: who did what to which task.
fn notice_line(
    t: T,
    locale: Locale,
    kind: &str,
    actor: &str,
    task: &str,
    detail: Option<&str>,
) -> String {
    match Kind::parse(kind) {
        Some(Kind::Assigned) => t.mail_notice_assigned(actor, task),
        Some(Kind::Mentioned) => t.mail_notice_mentioned(actor, task),
        Some(Kind::Commented) => t.mail_notice_commented(actor, task),
        Some(Kind::StatusChanged) => {
            let status = match detail.unwrap_or_default() {
                "todo" => t.status_todo(),
                "in_progress" => t.status_in_progress(),
                "done" => t.status_done(),
                _ => t.unknown(),
            };
            t.mail_notice_status_changed(actor, task, status)
        }
        Some(Kind::DueTomorrow) => t.mail_notice_due_tomorrow(
            task,
            bastion_i18n::format_iso_date(locale, detail.unwrap_or_default()),
        ),
        Some(Kind::Invited) => t.mail_notice_invited(actor, task),
        None => task.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Due tomorrow

/// The Brussels calendar's tomorrow at the instant `now` (PostgreSQL's zone database, so the day
/// turns at local midnight in summer and in winter alike).
pub async fn brussels_tomorrow(pool: &PgPool, now: OffsetDateTime) -> CoreResult<Date> {
    Ok(
        sqlx::query_scalar("SELECT (($1::timestamptz AT TIME ZONE 'Europe/Brussels')::date + 1)")
            .bind(now)
            .fetch_one(pool)
            .await?,
    )
}

/// Tells the assignee and the watchers of each open task of the workspace that is due tomorrow
/// (Brussels calendar, at `now`), once per task and due date however often it runs (the
/// `due_reminders` row, written in the same transaction as the notices). Only people who see the
/// task are told, as for every notice. Returns how many tasks were reminded of.
pub async fn remind_due_tomorrow(
    pool: &PgPool,
    workspace: WorkspaceId,
    now: OffsetDateTime,
) -> CoreResult<usize> {
    let tomorrow = brussels_tomorrow(pool, now).await?;
    let schema = TenantSchema::for_workspace(workspace);
    let mut tx = TenantTx::begin(pool, &schema, Actor::System).await?;
    let tasks: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(
        "WITH fresh AS (
             INSERT INTO due_reminders (task_id, due_on)
             SELECT t.id, t.due_on FROM tasks t WHERE t.due_on = $1 AND t.status <> 'done'
             ON CONFLICT DO NOTHING
             RETURNING task_id)
         SELECT t.id, t.assignee_id FROM fresh JOIN tasks t ON t.id = fresh.task_id",
    )
    .bind(tomorrow)
    .fetch_all(tx.conn())
    .await?;
    let detail = tomorrow.to_string();
    for &(task_id, assignee) in &tasks {
        let mut recipients = super::watching::watchers(&mut tx, task_id).await?;
        recipients.extend(assignee);
        recipients.sort();
        recipients.dedup();
        let notice = Notice {
            kind: Kind::DueTomorrow,
            task_id,
            comment_id: None,
            detail: Some(&detail),
        };
        notifications::notify(&mut tx, SYSTEM_ACTOR, notice, &recipients).await?;
    }
    tx.commit().await?;
    Ok(tasks.len())
}

/// [`remind_due_tomorrow`] for every workspace; one that fails (not migrated yet, say) is
/// logged and the others go on. Returns how many tasks were reminded of.
pub async fn remind_all(pool: &PgPool, now: OffsetDateTime) -> CoreResult<usize> {
    let ids: Vec<WorkspaceId> = sqlx::query_scalar("SELECT id FROM workspaces ORDER BY id")
        .fetch_all(pool)
        .await?;
    let mut total = 0;
    for id in ids {
        match remind_due_tomorrow(pool, id, now).await {
            Ok(n) => total += n,
            Err(e) => tracing::warn!(workspace = %id, error = %e, "due-tomorrow reminders failed"),
        }
    }
    Ok(total)
}
