//! Chat notifications (issue 18): admins send chosen events of a project, or of every project,
//! to a Slack or Microsoft Teams channel through its incoming webhook, or to a Matrix room. The
//! address or access token is the integration's (`integrations`), stored encrypted and
//! decrypted only here, at send time; it is never returned. A trigger records one delivery per
//! event and rule in the transaction of the change (control-plane migration 0030); the `chat`
//! job writes the message then, in the rule's language and from the task as it is at that
//! moment, and sends it with the webhook schedule of retries. Private tasks are never announced,
//! and no message holds the text of a comment (as notification emails).

use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use bastion_i18n::{Locale, T};
use bastion_policy as policy;

use super::{
    integrations::IntegrationKind,
    webhooks::{delivery, target, WebhookSettings},
};
use crate::{
    ensure, jobs, keys::MasterKeyRing, secrets, Actor, CoreError, CoreResult, TenantSchema,
    TenantTx, Viewer, WorkspaceId,
};

/// The refusal of every chat-notification action to a non-admin, the same through every door.
pub const ADMINS_ONLY: &str = "Only workspace admins manage chat notifications.";
/// The job kind in `public.jobs`.
pub const KIND: &str = "chat";
/// What a rule may announce: a task created, a task's status changed, a task assigned to
/// someone, a comment written.
pub const EVENTS: [&str; 4] = [
    "task_created",
    "task_status",
    "task_assigned",
    "comment_created",
];
pub const ROOM_MAX_CHARS: usize = 255;
const BATCH: i64 = 50;
/// A claimed delivery is the claimer's until then.
const CLAIM: time::Duration = time::Duration::minutes(3);

/// A rule as admins see it: which integration, which events of which project, in which language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatNotification {
    pub id: Uuid,
    pub integration_id: Uuid,
    pub integration_name: String,
    pub integration_kind: IntegrationKind,
    /// `None`: every project.
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
    pub events: Vec<String>,
    /// `en`, `nl-BE`, `fr-BE` or `de-BE`.
    pub language: String,
    pub matrix_homeserver: Option<String>,
    pub matrix_room: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// The newest delivery's outcome, to see at a glance whether messages arrive.
    pub last_delivery: Option<LastDelivery>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastDelivery {
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub http_status: Option<i32>,
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// What an admin asks for.
#[derive(Debug, Clone, Default)]
pub struct NewChatNotification {
    pub integration_id: Uuid,
    pub project_id: Option<Uuid>,
    pub events: Vec<String>,
    /// A language tag; `fallback_language` of [`create`] when none.
    pub language: Option<String>,
    pub matrix_homeserver: Option<String>,
    pub matrix_room: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    integration_id: Uuid,
    integration_name: String,
    integration_kind: IntegrationKind,
    project_id: Option<Uuid>,
    project_name: Option<String>,
    events: Vec<String>,
    language: String,
    matrix_homeserver: Option<String>,
    matrix_room: Option<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    created_at: OffsetDateTime,
    last_status: Option<String>,
    last_attempts: Option<i32>,
    last_http_status: Option<i32>,
    last_error: Option<String>,
    last_at: Option<OffsetDateTime>,
}

impl From<Row> for ChatNotification {
    fn from(r: Row) -> Self {
        let last_delivery = match (r.last_status, r.last_at) {
            (Some(status), Some(at)) => Some(LastDelivery {
                status,
                attempts: r.last_attempts.unwrap_or(0),
                http_status: r.last_http_status,
                error: r.last_error,
                at,
            }),
            _ => None,
        };
        Self {
            id: r.id,
            integration_id: r.integration_id,
            integration_name: r.integration_name,
            integration_kind: r.integration_kind,
            project_id: r.project_id,
            project_name: r.project_name,
            events: r.events,
            language: r.language,
            matrix_homeserver: r.matrix_homeserver,
            matrix_room: r.matrix_room,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            last_delivery,
            created_at: r.created_at,
        }
    }
}

const SELECT: &str = "SELECT c.id, c.integration_id, i.name AS integration_name,
            i.kind AS integration_kind, c.project_id, p.name AS project_name, c.events,
            c.language, c.matrix_homeserver, c.matrix_room, c.enabled, c.disabled_reason,
            c.created_at, d.status AS last_status, d.attempts AS last_attempts,
            d.last_http_status, d.last_error, d.created_at AS last_at
       FROM chat_notifications c
       JOIN integrations i ON i.id = c.integration_id
       LEFT JOIN projects p ON p.id = c.project_id
       LEFT JOIN LATERAL (SELECT * FROM chat_deliveries d WHERE d.chat_id = c.id
                           ORDER BY d.created_at DESC, d.id DESC LIMIT 1) d ON true";

/// The workspace's chat notifications, oldest first; admins only.
pub async fn list(tx: &mut TenantTx, viewer: Viewer) -> CoreResult<Vec<ChatNotification>> {
    ensure(policy::can_manage_integrations(viewer.role), ADMINS_ONLY)?;
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY c.created_at, c.id"
    )))
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(ChatNotification::from).collect())
}

async fn find(tx: &mut TenantTx, id: Uuid) -> CoreResult<ChatNotification> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    row.map(ChatNotification::from)
        .ok_or(CoreError::NotFound("chat notification"))
}

fn parse_events(input: &[String]) -> CoreResult<Vec<String>> {
    if input.is_empty() {
        return Err(CoreError::invalid(
            "events",
            format!("must name at least one of {}", EVENTS.join(", ")),
        ));
    }
    let mut events: Vec<String> = Vec::new();
    for event in input {
        if !EVENTS.contains(&event.as_str()) {
            return Err(CoreError::invalid(
                "events",
                format!("each must be one of {}", EVENTS.join(", ")),
            ));
        }
        if !events.contains(event) {
            events.push(event.clone());
        }
    }
    Ok(events)
}

/// A Matrix room id (`!opaque:server`) or alias (`#name:server`).
fn parse_room(input: Option<&str>) -> CoreResult<String> {
    let room = input.unwrap_or("").trim();
    let valid = room.len() > 3
        && room.chars().count() <= ROOM_MAX_CHARS
        && (room.starts_with('!') || room.starts_with('#'))
        && room[1..].contains(':')
        && !room.chars().any(|c| c.is_control() || c.is_whitespace());
    if !valid {
        return Err(CoreError::invalid(
            "matrix_room",
            "must be a Matrix room id (!id:server) or alias (#name:server)",
        ));
    }
    Ok(room.to_owned())
}

/// Whether `kind` can carry chat messages.
pub fn is_chat(kind: IntegrationKind) -> bool {
    matches!(
        kind,
        IntegrationKind::Slack | IntegrationKind::Teams | IntegrationKind::Matrix
    )
}

/// Adds a rule; admins only. The integration must be Slack, Teams or Matrix; a Matrix rule
/// names its homeserver (checked like a webhook target) and room. Without a language the
/// messages are in `fallback_language` (the admin's own, at the doors).
pub async fn create(
    tx: &mut TenantTx,
    viewer: Viewer,
    settings: WebhookSettings,
    input: &NewChatNotification,
    fallback_language: Locale,
) -> CoreResult<ChatNotification> {
    ensure(policy::can_manage_integrations(viewer.role), ADMINS_ONLY)?;
    let kind: Option<IntegrationKind> =
        sqlx::query_scalar("SELECT kind FROM integrations WHERE id = $1")
            .bind(input.integration_id)
            .fetch_optional(tx.conn())
            .await?;
    let kind = kind.ok_or_else(|| CoreError::invalid("integration_id", "no such integration"))?;
    if !is_chat(kind) {
        return Err(CoreError::invalid(
            "integration_id",
            "must be a slack, teams or matrix integration",
        ));
    }
    if let Some(project) = input.project_id {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1)")
                .bind(project)
                .fetch_one(tx.conn())
                .await?;
        if !exists {
            return Err(CoreError::invalid("project_id", "no such project"));
        }
    }
    let events = parse_events(&input.events)?;
    let language = match input.language.as_deref().map(str::trim) {
        None | Some("") => fallback_language,
        Some(tag) => Locale::ALL
            .into_iter()
            .find(|l| l.tag() == tag)
            .ok_or_else(|| {
                CoreError::invalid("language", "must be one of en, nl-BE, fr-BE, de-BE")
            })?,
    };
    let (homeserver, room) = if kind == IntegrationKind::Matrix {
        let homeserver =
            target::resolve(input.matrix_homeserver.as_deref().unwrap_or(""), settings)
                .await
                .map_err(|e| match e {
                    CoreError::Invalid { message, .. } => {
                        CoreError::invalid("matrix_homeserver", message)
                    }
                    other => other,
                })?;
        (
            Some(homeserver.url.as_str().trim_end_matches('/').to_owned()),
            Some(parse_room(input.matrix_room.as_deref())?),
        )
    } else {
        (None, None)
    };
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO chat_notifications (id, integration_id, project_id, events, language,
                                         matrix_homeserver, matrix_room, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(input.integration_id)
    .bind(input.project_id)
    .bind(&events)
    .bind(language.tag())
    .bind(&homeserver)
    .bind(&room)
    .bind(viewer.user_id)
    .execute(tx.conn())
    .await?;
    find(tx, id).await
}

/// Turns a rule on or off; admins only. Turning it on clears why it was off; deliveries still
/// waiting when it is turned off are dropped.
pub async fn set_enabled(
    tx: &mut TenantTx,
    viewer: Viewer,
    id: Uuid,
    enabled: bool,
) -> CoreResult<ChatNotification> {
    ensure(policy::can_manage_integrations(viewer.role), ADMINS_ONLY)?;
    let current = find(tx, id).await?;
    if current.enabled != enabled {
        let reason = (!enabled).then_some("Turned off by an admin.");
        sqlx::query(
            "UPDATE chat_notifications SET enabled = $2, disabled_reason = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(enabled)
        .bind(reason)
        .execute(tx.conn())
        .await?;
        if !enabled {
            drop_pending(tx, id).await?;
        }
    }
    find(tx, id).await
}

async fn drop_pending(tx: &mut TenantTx, id: Uuid) -> CoreResult<()> {
    sqlx::query(
        "UPDATE chat_deliveries SET status = 'failed', next_attempt_at = NULL,
                last_error = 'Not sent: the notification was turned off.'
          WHERE chat_id = $1 AND status = 'pending'",
    )
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Deletes a rule and its deliveries; admins only.
pub async fn delete(tx: &mut TenantTx, viewer: Viewer, id: Uuid) -> CoreResult<()> {
    ensure(policy::can_manage_integrations(viewer.role), ADMINS_ONLY)?;
    let deleted = sqlx::query("DELETE FROM chat_notifications WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(CoreError::NotFound("chat notification"));
    }
    Ok(())
}

/// Queues a test message to the rule's channel, sent at once; admins only. Its outcome shows as
/// the rule's last delivery.
pub async fn send_test(
    tx: &mut TenantTx,
    viewer: Viewer,
    id: Uuid,
) -> CoreResult<ChatNotification> {
    ensure(policy::can_manage_integrations(viewer.role), ADMINS_ONLY)?;
    let current = find(tx, id).await?;
    if !current.enabled {
        return Err(CoreError::conflict(
            "the notification is turned off; turn it on before sending a test",
        ));
    }
    sqlx::query(
        "INSERT INTO chat_deliveries (id, chat_id, kind, actor, next_attempt_at)
         VALUES ($1, $2, 'test', $3, now())",
    )
    .bind(Uuid::new_v4())
    .bind(id)
    .bind(viewer.user_id.to_string())
    .execute(tx.conn())
    .await?;
    find(tx, id).await
}

// ---------------------------------------------------------------------------------------------
// Sending

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The background runner's pass: leases `chat` jobs until none is due and sends each
/// workspace's due messages. Stops leasing once `stop.draining` is cancelled.
pub async fn run_pending_until(
    pool: &PgPool,
    master: &MasterKeyRing,
    settings: WebhookSettings,
    link_base: &str,
    stop: &jobs::Stop,
) -> CoreResult<PassReport> {
    let mut report = PassReport::default();
    while !stop.draining.is_cancelled() {
        let Some(lease) = jobs::lease(pool, KIND, jobs::LEASE).await? else {
            break;
        };
        let workspace = lease.job.workspace_id;
        let outcome = tokio::select! {
            outcome = deliver_due(pool, master, settings, link_base, workspace, OffsetDateTime::now_utc()) => outcome,
            () = stop.abandon.cancelled() => {
                jobs::release(pool, &lease).await?;
                break;
            }
        };
        match outcome {
            Ok(pass) => {
                report.delivered += pass.delivered;
                report.retrying += pass.retrying;
                report.failed += pass.failed;
                jobs::complete(pool, &lease).await?;
            }
            Err(e) => {
                tracing::warn!(job = %lease.job.id, error = %e, "chat notification pass failed");
                jobs::retry_or_fail(pool, &lease, &e.to_string()).await?;
            }
        }
    }
    Ok(report)
}

#[derive(sqlx::FromRow)]
struct Due {
    id: Uuid,
    kind: String,
    task_id: Option<Uuid>,
    actor: Option<String>,
    detail: Option<String>,
    attempts: i32,
    chat_id: Uuid,
    language: String,
    matrix_homeserver: Option<String>,
    matrix_room: Option<String>,
    integration_kind: IntegrationKind,
    token: String,
}

/// The task a message is about, read when it is sent.
#[derive(sqlx::FromRow)]
struct TaskFacts {
    title: String,
    key: String,
    project: String,
    private: bool,
}

/// Sends the workspace's messages due at `now` and queues its job for the next retry. `now` is a
/// parameter so that tests can compress the schedule.
pub async fn deliver_due(
    pool: &PgPool,
    master: &MasterKeyRing,
    settings: WebhookSettings,
    link_base: &str,
    workspace: WorkspaceId,
    now: OffsetDateTime,
) -> CoreResult<PassReport> {
    let Some((slug, workspace_name)): Option<(String, String)> =
        sqlx::query_as("SELECT slug, name FROM workspaces WHERE id = $1")
            .bind(workspace)
            .fetch_optional(pool)
            .await?
    else {
        return Ok(PassReport::default());
    };
    let schema = TenantSchema::for_workspace(workspace);
    let key = secrets::data_key(pool, master, workspace).await?;
    let base = link_base.trim_end_matches('/');
    let mut report = PassReport::default();
    loop {
        let mut tx = TenantTx::begin(pool, &schema, Actor::System).await?;
        let due: Vec<Due> = sqlx::query_as(
            "WITH due AS (
                     SELECT d.id FROM chat_deliveries d
                      WHERE d.status = 'pending' AND d.next_attempt_at <= $1
                        AND (d.claimed_until IS NULL OR d.claimed_until <= $1)
                      ORDER BY d.next_attempt_at, d.created_at LIMIT $2
                      FOR UPDATE SKIP LOCKED)
                 UPDATE chat_deliveries d SET claimed_until = $1 + $3
                   FROM due, chat_notifications c, integrations i
                  WHERE d.id = due.id AND c.id = d.chat_id AND i.id = c.integration_id
                 RETURNING d.id, d.kind, d.task_id, d.actor, d.detail, d.attempts, c.id AS chat_id,
                           c.language, c.matrix_homeserver, c.matrix_room,
                           i.kind AS integration_kind, i.token_ciphertext AS token",
        )
        .bind(now)
        .bind(BATCH)
        .bind(CLAIM)
        .fetch_all(tx.conn())
        .await?;
        tx.commit().await?;
        if due.is_empty() {
            break;
        }
        for d in due {
            let locale = Locale::from_tag(&d.language).unwrap_or_default();
            let text = match render(pool, &schema, locale.t(), &workspace_name, &d).await? {
                Some(text) => text,
                None => {
                    // Private by now, or gone: nobody in the channel is told.
                    finish(
                        pool,
                        &schema,
                        &d,
                        "failed",
                        None,
                        None,
                        Some("Not sent: the task is private or gone."),
                        None,
                    )
                    .await?;
                    report.failed += 1;
                    continue;
                }
            };
            let link = match (&d.task_id, &text.key) {
                (Some(_), Some(task_key)) => Some(format!("{base}/w/{slug}/t/{task_key}")),
                _ => None,
            };
            let message = Message {
                text: text.line,
                link,
                link_label: locale.t().chat_open_task().to_owned(),
            };
            let token = key.decrypt_secret(&d.token)?;
            let outcome = send(settings, &d, token.expose(), &message).await;
            let (status, next) = match outcome.http_status {
                Some(200..=299) => {
                    report.delivered += 1;
                    ("delivered", None)
                }
                Some(status) if status != 429 && (400..500).contains(&status) => {
                    // The channel refused the message itself (gone, no access): sending the
                    // same again will not help.
                    report.failed += 1;
                    ("failed", None)
                }
                _ => {
                    let jitter = rand::Rng::random_range(&mut rand::rng(), 0.9..1.1);
                    match delivery::next_delay(d.attempts + 1, outcome.retry_after, jitter) {
                        Some(delay) => {
                            report.retrying += 1;
                            ("pending", Some(now + delay))
                        }
                        None => {
                            report.failed += 1;
                            ("failed", None)
                        }
                    }
                }
            };
            let disable = matches!(outcome.http_status, Some(404 | 410)).then(|| {
                format!(
                    "The channel answered {} on {}; Bastion stopped sending.",
                    outcome.http_status.unwrap_or_default(),
                    now.date()
                )
            });
            finish(
                pool,
                &schema,
                &d,
                status,
                next,
                outcome.http_status,
                outcome.error.as_deref(),
                disable,
            )
            .await?;
        }
    }
    let mut tx = TenantTx::begin(pool, &schema, Actor::System).await?;
    sqlx::query("DELETE FROM chat_deliveries WHERE status <> 'pending' AND created_at < $1 - $2")
        .bind(now)
        .bind(delivery::KEEP_FINISHED)
        .execute(tx.conn())
        .await?;
    let next: Option<OffsetDateTime> = sqlx::query_scalar(
        "SELECT min(greatest(next_attempt_at, coalesce(claimed_until, next_attempt_at)))
           FROM chat_deliveries WHERE status = 'pending'",
    )
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    if let Some(at) = next {
        sqlx::query(
            "INSERT INTO jobs AS j (id, kind, workspace_id, run_after) VALUES ($1, 'chat', $2, $3)
             ON CONFLICT (workspace_id) WHERE kind = 'chat' AND state = 'queued'
             DO UPDATE SET run_after = least(j.run_after, excluded.run_after)",
        )
        .bind(Uuid::new_v4())
        .bind(workspace)
        .bind(at)
        .execute(pool)
        .await?;
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    pool: &PgPool,
    schema: &TenantSchema,
    d: &Due,
    status: &str,
    next: Option<OffsetDateTime>,
    http_status: Option<u16>,
    error: Option<&str>,
    disable: Option<String>,
) -> CoreResult<()> {
    let mut tx = TenantTx::begin(pool, schema, Actor::System).await?;
    sqlx::query(
        "UPDATE chat_deliveries
            SET attempts = attempts + 1, status = $2, next_attempt_at = $3, claimed_until = NULL,
                last_http_status = $4, last_error = $5
          WHERE id = $1",
    )
    .bind(d.id)
    .bind(status)
    .bind(next)
    .bind(http_status.map(i32::from))
    .bind(error.map(|e| truncate(e, 500)))
    .execute(tx.conn())
    .await?;
    if let Some(reason) = disable {
        sqlx::query(
            "UPDATE chat_notifications SET enabled = false, disabled_reason = $2
              WHERE id = $1 AND enabled",
        )
        .bind(d.chat_id)
        .bind(reason)
        .execute(tx.conn())
        .await?;
        drop_pending(&mut tx, d.chat_id).await?;
    }
    tx.commit().await?;
    Ok(())
}

struct Rendered {
    line: String,
    key: Option<String>,
}

/// The message's sentence in the rule's language, from the task as it is now; `None` when the
/// task is private or gone.
async fn render(
    pool: &PgPool,
    schema: &TenantSchema,
    t: T,
    workspace_name: &str,
    d: &Due,
) -> CoreResult<Option<Rendered>> {
    let person = |id: Option<&str>| {
        let id = id.and_then(|a| Uuid::parse_str(a).ok());
        async move {
            let name: Option<String> = match id {
                Some(id) => {
                    sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
                        .bind(id)
                        .fetch_optional(pool)
                        .await?
                }
                None => None,
            };
            CoreResult::Ok(name.unwrap_or_else(|| "Bastion".to_owned()))
        }
    };
    let actor = person(d.actor.as_deref()).await?;
    if d.kind == "test" {
        return Ok(Some(Rendered {
            line: t.chat_test_message(&actor, workspace_name),
            key: None,
        }));
    }
    let Some(task_id) = d.task_id else {
        return Ok(None);
    };
    let mut tx = TenantTx::begin(pool, schema, Actor::System).await?;
    let facts: Option<TaskFacts> = sqlx::query_as(
        "SELECT t.title, coalesce(p.key_prefix || '-' || t.number, t.id::text) AS key,
                p.name AS project, t.private
           FROM tasks t JOIN projects p ON p.id = t.project_id WHERE t.id = $1",
    )
    .bind(task_id)
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    let Some(facts) = facts.filter(|f| !f.private) else {
        return Ok(None);
    };
    let task = format!("{} \"{}\"", facts.key, facts.title);
    let line = match d.kind.as_str() {
        "task_created" => t.chat_task_created(&actor, &task, &facts.project),
        "task_status" => {
            let status = match d.detail.as_deref().unwrap_or_default() {
                "todo" => t.status_todo(),
                "in_progress" => t.status_in_progress(),
                "done" => t.status_done(),
                _ => t.unknown(),
            };
            t.chat_task_status(&actor, &task, status)
        }
        "task_assigned" => {
            let assignee = person(d.detail.as_deref()).await?;
            t.chat_task_assigned(&actor, &task, assignee)
        }
        "comment_created" => t.chat_comment_created(&actor, &task),
        _ => task,
    };
    Ok(Some(Rendered {
        line,
        key: Some(facts.key),
    }))
}

/// One message, before it takes a chat service's shape.
pub struct Message {
    pub text: String,
    pub link: Option<String>,
    pub link_label: String,
}

/// Slack's incoming-webhook shape: `text` (the notification's fallback) and one section block
/// in mrkdwn, where `&`, `<` and `>` must be escaped and a link is `<url|label>`.
pub fn slack_body(m: &Message) -> Value {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut text = escape(&m.text);
    if let Some(link) = &m.link {
        text.push_str(&format!(" <{}|{}>", link, escape(&m.link_label)));
    }
    json!({
        "text": m.text,
        "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }],
    })
}

/// Microsoft Teams' incoming-webhook (Workflows) shape: a message with one Adaptive Card.
pub fn teams_body(m: &Message) -> Value {
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{ "type": "TextBlock", "text": m.text, "wrap": true }],
    });
    if let Some(link) = &m.link {
        card["actions"] = json!([{ "type": "Action.OpenUrl", "title": m.link_label, "url": link }]);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}

/// A Matrix `m.room.message` of type `m.notice` (what bots send), with an HTML body.
pub fn matrix_body(m: &Message) -> Value {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let (body, html) = match &m.link {
        Some(link) => (
            format!("{} {}", m.text, link),
            format!(
                "{} <a href=\"{}\">{}</a>",
                escape(&m.text),
                escape(link),
                escape(&m.link_label)
            ),
        ),
        None => (m.text.clone(), escape(&m.text)),
    };
    json!({
        "msgtype": "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": html,
    })
}

struct Outcome {
    http_status: Option<u16>,
    retry_after: Option<time::Duration>,
    error: Option<String>,
}

/// One attempt. The address (the Slack or Teams token, or the Matrix homeserver) is checked and
/// resolved like a webhook target, and the connection pinned to what was checked.
async fn send(settings: WebhookSettings, d: &Due, token: &str, m: &Message) -> Outcome {
    let failed = |error: String| Outcome {
        http_status: None,
        retry_after: None,
        error: Some(truncate(&error, 500)),
    };
    let (address, body, bearer, put) = match d.integration_kind {
        IntegrationKind::Slack => (token.to_owned(), slack_body(m), None, false),
        IntegrationKind::Teams => (token.to_owned(), teams_body(m), None, false),
        IntegrationKind::Matrix => {
            let (Some(home), Some(room)) = (&d.matrix_homeserver, &d.matrix_room) else {
                return failed("the Matrix homeserver or room is missing".into());
            };
            let room: String = url::form_urlencoded::byte_serialize(room.as_bytes()).collect();
            (
                format!(
                    "{home}/_matrix/client/v3/rooms/{room}/send/m.room.message/{}",
                    d.id
                ),
                matrix_body(m),
                Some(token),
                true,
            )
        }
        _ => return failed("the integration cannot carry chat messages".into()),
    };
    // The address may be the secret itself (Slack, Teams): errors never repeat it.
    let target = match target::resolve(&address, settings).await {
        Ok(target) => target,
        Err(CoreError::Invalid { message, .. }) => {
            return failed(format!("the integration's address is refused: {message}"))
        }
        Err(e) => return failed(format!("the integration's address is refused: {e}")),
    };
    let client = match target.client(
        delivery::TIMEOUT,
        concat!("Bastion/", env!("CARGO_PKG_VERSION")),
    ) {
        Ok(client) => client,
        Err(e) => return failed(format!("client: {e}")),
    };
    let mut request = if put {
        client.put(target.url.clone())
    } else {
        client.post(target.url.clone())
    };
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = match request
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
    {
        Ok(response) => response,
        Err(e) if e.is_timeout() => return failed("timed out after 15 s".into()),
        Err(e) if e.is_connect() => return failed("could not connect".into()),
        Err(_) => return failed("the request failed".into()),
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map(|s| time::Duration::seconds(s.into()));
    let error = if (200..300).contains(&status) {
        None
    } else {
        let text = response.bytes().await.unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        Some(format!("answered {status}: {}", truncate(text.trim(), 300)))
    };
    Outcome {
        http_status: Some(status),
        retry_after,
        error,
    }
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_checked_with_the_field_named() {
        assert_eq!(
            parse_events(&["task_created".into(), "task_created".into()]).unwrap(),
            vec!["task_created"]
        );
        for bad in [vec![], vec!["task".to_owned()]] {
            assert!(parse_events(&bad)
                .unwrap_err()
                .to_string()
                .starts_with("events: "));
        }
        assert_eq!(
            parse_room(Some(" !abc:example.org ")).unwrap(),
            "!abc:example.org"
        );
        assert!(parse_room(Some("#team:matrix.example.eu")).is_ok());
        for bad in [
            None,
            Some("abc:example.org"),
            Some("!nocolon"),
            Some("#a b:x"),
        ] {
            assert!(parse_room(bad)
                .unwrap_err()
                .to_string()
                .starts_with("matrix_room: "));
        }
    }

    #[test]
    fn each_service_gets_its_own_shape_with_markup_escaped() {
        let m = Message {
            text: "Ada moved WEB-1 \"<b>&co\" to Done.".into(),
            link: Some("https://bastion.example.eu/w/acme/t/WEB-1".into()),
            link_label: "Open the task".into(),
        };
        let slack = slack_body(&m);
        assert_eq!(slack["text"], m.text);
        assert_eq!(
            slack["blocks"][0]["text"]["text"],
            "Ada moved WEB-1 \"&lt;b&gt;&amp;co\" to Done. <https://bastion.example.eu/w/acme/t/WEB-1|Open the task>"
        );
        let teams = teams_body(&m);
        let card = &teams["attachments"][0];
        assert_eq!(
            card["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(card["content"]["body"][0]["text"], m.text);
        assert_eq!(
            card["content"]["actions"][0]["url"],
            m.link.clone().unwrap()
        );
        let matrix = matrix_body(&m);
        assert_eq!(matrix["msgtype"], "m.notice");
        assert!(matrix["formatted_body"]
            .as_str()
            .unwrap()
            .starts_with("Ada moved WEB-1 &quot;&lt;b&gt;&amp;co&quot;"));
    }
}
