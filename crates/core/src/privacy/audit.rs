//! Audit history (PRODUCT.md §4): reading, verifying, exporting and purging the events that the
//! triggers of `migrations/tenant/0004_history.sql` write. Writing is the triggers' job, but for
//! changes of the workspace itself, whose settings live in the control plane out of their sight
//! ([`record_workspace_update`]).

use serde::Serialize;
use sqlx::{types::JsonValue, AssertSqlSafe, Executor, PgPool};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    ensure, workspaces::Workspace, Actor, CoreError, CoreResult, TenantTx, Viewer, WorkspaceId,
};
use bastion_policy as policy;

/// One audit event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct HistoryEvent {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub actor: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub action: String,
    pub changes: JsonValue,
    pub task_id: Option<Uuid>,
}

const EVENT_COLUMNS: &str =
    "id, occurred_at, actor, entity_type, entity_id, action, changes, task_id";

pub const ENTITY_TYPES: [&str; 14] = [
    "task",
    "comment",
    "time_entry",
    "attachment",
    "tag",
    "workspace",
    "webhook_endpoint",
    "checklist_item",
    "task_relation",
    "task_recurrence",
    "custom_field",
    "field_value",
    "chat_notification",
    "import",
];

/// What a list or an export is narrowed to; every field optional.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub entity_type: Option<String>,
    pub actor: Option<String>,
    /// Inclusive.
    pub from: Option<OffsetDateTime>,
    /// Exclusive.
    pub to: Option<OffsetDateTime>,
    pub task_id: Option<Uuid>,
}

impl HistoryFilter {
    fn check(&self) -> CoreResult<()> {
        if let Some(entity) = &self.entity_type {
            if !ENTITY_TYPES.contains(&entity.as_str()) {
                return Err(CoreError::invalid(
                    "entity",
                    format!("must be one of {}", ENTITY_TYPES.join(", ")),
                ));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(CoreError::invalid("from", "must not be after 'to'"));
            }
        }
        Ok(())
    }
}

/// Newest first: `before` is the id of the last event of the previous page.
#[derive(Debug, Clone, Copy)]
pub struct HistoryPage {
    pub before: Option<i64>,
    pub limit: u32,
}

/// Retention of a plan (PRODUCT.md §8), as `bastion_policy` decides it.
pub fn retention(plan: &str) -> Duration {
    Duration::days(bastion_policy::plan_retention_days(plan).into())
}

/// Appends an update of the workspace itself (`changes`: `{"field": {"before", "after"}}`, the
/// shape of every update event) to its history, in `tx`, so it commits or rolls back with the
/// control-plane change that `tx` was entered from. The actor is `tx`'s, as for trigger events.
pub(crate) async fn record_workspace_update(
    tx: &mut TenantTx,
    workspace: WorkspaceId,
    changes: &JsonValue,
) -> CoreResult<()> {
    // The shared function (control-plane migrations 0014, 0018), reachable because `tx` was
    // entered as `bastion_tenant_owner`: a workspace role can call nothing of the kind.
    sqlx::query("SELECT bastion_history.record_workspace_update(current_schema(), $1, $2)")
        .bind(workspace.0)
        .bind(changes)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The events a purge at `cutoff` (`$1`) deletes from `history`: the prefix of the chain before
/// the oldest event still within retention, never the newest event. One text for [`purge`] and
/// [`purge_preview`], so the warning before a downgrade counts what the purge will do.
fn purged_before_cutoff(history: &str) -> String {
    format!(
        "id < coalesce((SELECT min(id) FROM {history} WHERE occurred_at >= $1),
                       (SELECT max(id) FROM {history}))"
    )
}

/// How many events the first retention run after `now` would delete if the workspace were on
/// `plan`: what a downgrade costs, for the admin to see before confirming it. Admins only, as
/// changing the plan is.
pub async fn purge_preview(
    tx: &mut TenantTx,
    viewer: Viewer,
    plan: &str,
    now: OffsetDateTime,
) -> CoreResult<u64> {
    ensure(
        policy::can_manage_workspace(viewer.role),
        crate::workspaces::SETTINGS_ADMINS_ONLY,
    )?;
    let plan = crate::workspaces::parse_plan(plan)?;
    let cutoff = now - Duration::days(plan.retention_days().into());
    let count: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT count(*) FROM history WHERE {}",
        purged_before_cutoff("history")
    )))
    .bind(cutoff)
    .fetch_one(tx.conn())
    .await?;
    Ok(count.unsigned_abs())
}

/// The events matching `filter`, its values bound to `$1`–`$5`; `rest` (fixed SQL) follows the
/// conditions: more of them, the order, a limit.
fn matching<'q>(
    filter: &'q HistoryFilter,
    rest: &'static str,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, HistoryEvent, sqlx::postgres::PgArguments> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {EVENT_COLUMNS} FROM history
          WHERE ($1::text IS NULL OR entity_type = $1)
            AND ($2::text IS NULL OR actor = $2)
            AND ($3::timestamptz IS NULL OR occurred_at >= $3)
            AND ($4::timestamptz IS NULL OR occurred_at < $4)
            AND ($5::uuid IS NULL OR task_id = $5)
          {rest}"
    )))
    .bind(&filter.entity_type)
    .bind(&filter.actor)
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.task_id)
}

/// Events matching `filter`, newest first, at most `page.limit` (the caller asks for one more to
/// learn whether a next page exists). Keyset on the id, which grows along the chain. Unchecked:
/// people's doors go through [`events`] or [`task_history`]; this is for operator tools.
pub async fn list(
    tx: &mut TenantTx,
    filter: &HistoryFilter,
    page: HistoryPage,
) -> CoreResult<Vec<HistoryEvent>> {
    filter.check()?;
    Ok(matching(
        filter,
        "AND ($6::bigint IS NULL OR id < $6) ORDER BY id DESC LIMIT $7",
    )
    .bind(page.before)
    .bind(i64::from(page.limit))
    .fetch_all(tx.conn())
    .await?)
}

/// Whether the viewer reads the audit history: admins only.
pub fn check_read(viewer: Viewer) -> CoreResult<()> {
    ensure(
        policy::can_read_audit(viewer.role),
        "Only workspace admins read the audit history.",
    )
}

/// Whether the viewer may export the audit history of a workspace on `plan`: an admin, on a plan
/// that includes the export (Business).
pub fn check_export(viewer: Viewer, plan: &str) -> CoreResult<()> {
    check_read(viewer)?;
    ensure(
        policy::can_export_audit(viewer.role, plan),
        &format!(
            "Audit export is part of the Business plan; this workspace is on the {plan} plan."
        ),
    )
}

/// The workspace's events as an admin reads them: [`list`] behind [`check_read`].
pub async fn events(
    tx: &mut TenantTx,
    viewer: Viewer,
    filter: &HistoryFilter,
    page: HistoryPage,
) -> CoreResult<Vec<HistoryEvent>> {
    check_read(viewer)?;
    list(tx, filter, page).await
}

/// A task's timeline, newest first: every event of the task and what hangs off it. A task the
/// viewer cannot see is `NotFound("task")` whatever their role; seen, it is for admins only.
pub async fn task_history(
    tx: &mut TenantTx,
    viewer: Viewer,
    task_id: Uuid,
    page: HistoryPage,
) -> CoreResult<Vec<HistoryEvent>> {
    if !viewer.sees_task(tx, task_id).await? {
        return Err(CoreError::NotFound("task"));
    }
    check_read(viewer)?;
    let filter = HistoryFilter {
        task_id: Some(task_id),
        ..HistoryFilter::default()
    };
    list(tx, &filter, page).await
}

/// An export file: its text and its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub body: String,
    pub content_type: &'static str,
    /// `csv` or `json`, for the file's name.
    pub extension: &'static str,
}

/// The matching events as a file, oldest first, in `format` (`csv` or `json`): for admins of a
/// workspace whose plan includes the export ([`check_export`]).
pub async fn export(
    tx: &mut TenantTx,
    viewer: Viewer,
    plan: &str,
    format: &str,
    filter: &HistoryFilter,
) -> CoreResult<ExportFile> {
    check_export(viewer, plan)?;
    match format {
        "csv" => Ok(ExportFile {
            body: export_csv(tx, filter).await?,
            content_type: "text/csv; charset=utf-8",
            extension: "csv",
        }),
        "json" => Ok(ExportFile {
            body: export_json(tx, filter).await?,
            content_type: "application/json",
            extension: "json",
        }),
        _ => Err(CoreError::invalid("format", "must be 'csv' or 'json'")),
    }
}

/// Every event matching `filter`, oldest first, for an export. Exports are an admin's occasional
/// download, so the rows are collected rather than streamed.
async fn all_matching(tx: &mut TenantTx, filter: &HistoryFilter) -> CoreResult<Vec<HistoryEvent>> {
    filter.check()?;
    Ok(matching(filter, "ORDER BY id").fetch_all(tx.conn()).await?)
}

/// The matching events as a JSON array, oldest first.
pub async fn export_json(tx: &mut TenantTx, filter: &HistoryFilter) -> CoreResult<String> {
    let events = all_matching(tx, filter).await?;
    serde_json::to_string_pretty(&events)
        .map_err(|e| CoreError::Database(sqlx::Error::Decode(Box::new(e))))
}

/// The matching events as CSV (RFC 4180, with a header line), oldest first. `changes` is the
/// event's JSON text in one field.
pub async fn export_csv(tx: &mut TenantTx, filter: &HistoryFilter) -> CoreResult<String> {
    let events = all_matching(tx, filter).await?;
    let mut out =
        String::from("id,occurred_at,actor,entity_type,entity_id,action,task_id,changes\r\n");
    for e in events {
        let fields = [
            e.id.to_string(),
            e.occurred_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            e.actor,
            e.entity_type,
            e.entity_id.to_string(),
            e.action,
            e.task_id.map(|t| t.to_string()).unwrap_or_default(),
            e.changes.to_string(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// Quotes a CSV field when needed. A field that a spreadsheet would run as a formula (leading
/// `=`, `+`, `-`, `@`, tab or carriage return) gets a leading apostrophe: exports are opened in
/// spreadsheets, and the values come from users.
pub(crate) fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The outcome of a chain verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Events checked.
    pub checked: i64,
    /// The first event whose hash does not match its content, or whose `prev_hash` is not the
    /// hash of the event before it.
    pub first_broken: Option<i64>,
    /// The chain's end disagrees with the head the last append published
    /// (`public.history_heads`): the newest events were removed, or the end was changed behind
    /// the triggers' back. A consistent chain can still end here, so this is checked apart.
    pub head_mismatch: Option<HeadMismatch>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.first_broken.is_none() && self.head_mismatch.is_none()
    }
}

/// Where the chain ends, against where the published head says it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeadMismatch {
    /// The event the head names; `None` when nothing was published though the chain has events.
    pub published: Option<i64>,
    /// The chain's newest event; `None` when the chain is empty.
    pub newest: Option<i64>,
}

impl HeadMismatch {
    /// The newest events are gone: the chain ends before the published head.
    pub fn newest_removed(&self) -> bool {
        match (self.published, self.newest) {
            (Some(published), Some(newest)) => newest < published,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

/// Recomputes the whole chain of `ws`, oldest kept event first, and compares its end with the
/// published head. The oldest event's `prev_hash` is taken as given (the anchor left by
/// retention, which deletes only a prefix and never the newest event); every later one must name
/// its predecessor, and the newest must be the head's event with the head's hash.
///
/// The head is read in the same transaction, under the history lock that appends take, so no
/// append can fall between the two reads.
pub async fn verify(pool: &PgPool, ws: &Workspace) -> CoreResult<VerifyReport> {
    // Reading the chain as the owner, beside the head, is the provisioning login's work.
    let pool = &crate::db::provisioning(pool);
    let schema = ws.schema();
    let mut control = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('bastion.history:' || $1, 0))")
        .bind(schema.as_str())
        .execute(&mut *control)
        .await?;
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT last_id, last_hash FROM history_heads WHERE workspace_id = $1")
            .bind(ws.id)
            .fetch_optional(&mut *control)
            .await?;
    let mut tx = TenantTx::enter(control, &schema, Actor::System).await?;
    let (checked, first_broken): (i64, Option<i64>) = sqlx::query_as(
        "SELECT count(*), min(id) FILTER (WHERE broken) FROM (
             SELECT id,
                    hash IS DISTINCT FROM sha256(coalesce(prev_hash, ''::bytea) || bastion_history.content(
                        id, occurred_at, actor, entity_type, entity_id, action, changes, task_id))
                    OR (row_number() OVER w > 1
                        AND prev_hash IS DISTINCT FROM lag(hash) OVER w) AS broken
               FROM history
             WINDOW w AS (ORDER BY id)
         ) chain",
    )
    .fetch_one(tx.conn())
    .await?;
    let newest: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT id, hash FROM history ORDER BY id DESC LIMIT 1")
            .fetch_optional(tx.conn())
            .await?;
    tx.rollback().await?;
    let head_mismatch = (head != newest).then(|| HeadMismatch {
        published: head.map(|(id, _)| id),
        newest: newest.map(|(id, _)| id),
    });
    Ok(VerifyReport {
        checked,
        first_broken,
        head_mismatch,
    })
}

/// Deletes the events of `ws` older than its plan's retention at `now`, and returns how many.
///
/// Runs as the schema owner `bastion_tenant_owner`: the workspace role may never delete history.
/// Only a prefix of the chain goes (everything before the oldest event still within retention),
/// so the chain stays verifiable from the oldest kept event; the newest event is always kept, so
/// the chain never restarts from nothing. The history lock is taken as appends take it, so a
/// purge and an append never interleave.
pub async fn purge(pool: &PgPool, ws: &Workspace, now: OffsetDateTime) -> CoreResult<u64> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    let cutoff = now - retention(&ws.plan);
    let schema = ws.schema();
    let q = schema.quoted();
    let mut tx = pool.begin().await?;
    (&mut *tx)
        .execute("SET LOCAL ROLE bastion_tenant_owner")
        .await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('bastion.history:' || $1, 0))")
        .bind(schema.as_str())
        .execute(&mut *tx)
        .await?;
    let deleted = sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM {q}.history WHERE {}",
        purged_before_cutoff(&format!("{q}.history"))
    )))
    .bind(cutoff)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(deleted)
}

/// What one retention run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub workspaces: usize,
    pub deleted: u64,
}

/// Purges every workspace, one transaction each (a failure stops the run; the next run picks up
/// where it stopped, since purging is idempotent).
pub async fn purge_all(pool: &PgPool, now: OffsetDateTime) -> CoreResult<PurgeReport> {
    let mut report = PurgeReport::default();
    for ws in crate::workspaces::list_workspaces(pool).await? {
        report.deleted += purge(pool, &ws, now).await?;
        report.workspaces += 1;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }

    #[test]
    fn export_is_an_admins_on_the_business_plan() {
        let as_role = |role| Viewer::new(Uuid::nil(), role);
        assert!(check_export(as_role(crate::Role::Admin), "business").is_ok());
        for (role, plan) in [
            (crate::Role::Admin, "pro"),
            (crate::Role::Admin, "starter"),
            (crate::Role::Member, "business"),
            (crate::Role::Guest, "business"),
        ] {
            assert!(
                matches!(
                    check_export(as_role(role), plan),
                    Err(CoreError::Forbidden(_))
                ),
                "{role:?} on {plan}"
            );
        }
    }

    #[test]
    fn retention_follows_the_plan() {
        assert_eq!(retention("starter"), Duration::days(90));
        assert_eq!(retention("pro"), Duration::days(365));
        assert_eq!(retention("business"), Duration::days(1095));
        assert_eq!(retention("unknown"), Duration::days(1095));
    }
}
