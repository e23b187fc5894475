//! The right to export (PRODUCT.md §7): the whole workspace as one zip archive holding every
//! tenant table as JSON and as CSV, the members' names and addresses, and the attachment files,
//! built by the job runner and downloadable by admins for [`KEEP_FOR`].
//!
//! What is left out, on purpose:
//! - columns that hold secrets (`secrets::TENANT_SECRET_COLUMNS`, today the integrations' token
//!   ciphertext). Without the workspace's data key the ciphertext is useless to the recipient,
//!   and with it the archive would become a second place a secret could leak from; the
//!   integration's kind, name and last four characters are exported.
//! - the audit history ([`NOT_EXPORTED`]), on every plan. The workspace export is the
//!   workspace's data as it stands, for taking it elsewhere; the record of who changed what is
//!   read by admins on every plan (the audit page, `GET …/audit`) and exported as a file by the
//!   audit export, which is part of the Business plan (PRODUCT.md §2, §8). Putting it in this
//!   archive would hand every plan the Business feature.

use std::{
    io::{Seek, Write},
    path::Path,
};

use futures::TryStreamExt;
use serde_json::Value;
use sqlx::{AssertSqlSafe, PgPool};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use zip::{write::SimpleFileOptions, CompressionMethod, ZipWriter};

use bastion_policy as policy;

use crate::{
    attachments::Objects,
    audit::csv_field,
    ensure,
    jobs::{self, Job, Lease},
    workspaces::Workspace,
    Actor, CoreError, CoreResult, TenantSchema, TenantTx, Viewer, WorkspaceId,
};

pub const KIND: &str = "export";
/// Workspace tables the export leaves out (see the module's documentation for why).
pub const NOT_EXPORTED: [&str; 1] = ["history"];
/// How long a finished archive can be downloaded before the job runner deletes it.
pub const KEEP_FOR: Duration = Duration::days(7);

/// Where archives are stored: in object storage, under the workspace's prefix
/// (`<workspace-id>/exports/<export-id>.zip`), so that any server can hand out an archive
/// another one built, and erasing the workspace's prefix removes its archives too.
pub fn archive_key(workspace: WorkspaceId, export: Uuid) -> String {
    Objects::export_key(workspace, export)
}

/// A finished archive as it can be downloaded: its key and its size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    pub key: String,
    pub size: u64,
}

/// Who may not export is told so in this sentence, by every door.
const EXPORTERS_ONLY: &str = "Only workspace admins export the workspace.";

/// Queues an export of `ws`, requested by `viewer` (admins only: the archive holds every
/// member's data).
pub async fn start(pool: &PgPool, viewer: Viewer, ws: &Workspace) -> CoreResult<Job> {
    ensure(policy::can_export_workspace(viewer.role), EXPORTERS_ONLY)?;
    jobs::enqueue(pool, KIND, ws.id, Some(viewer.user_id)).await
}

/// An export of `ws` (any state), for a viewer who may export; `NotFound` for another
/// workspace's job or an unknown id.
pub async fn get(pool: &PgPool, viewer: Viewer, ws: &Workspace, id: Uuid) -> CoreResult<Job> {
    ensure(policy::can_export_workspace(viewer.role), EXPORTERS_ONLY)?;
    jobs::get(pool, ws.id, id)
        .await?
        .filter(|job| job.kind == KIND)
        .ok_or(CoreError::NotFound("export"))
}

/// The newest export of `ws` as the settings page follows it: `None` when there is none, and
/// for a viewer who may not export (the page shows them no export at all).
pub async fn latest(pool: &PgPool, viewer: Viewer, ws: &Workspace) -> CoreResult<Option<Job>> {
    if !policy::can_export_workspace(viewer.role) {
        return Ok(None);
    }
    jobs::latest(pool, ws.id, KIND).await
}

/// The export and its archive, for a viewer who may export: `not_ready` while it is being
/// built, `NotFound` once it failed or expired.
pub async fn archive(
    pool: &PgPool,
    viewer: Viewer,
    ws: &Workspace,
    objects: &Objects,
    id: Uuid,
    now: OffsetDateTime,
) -> CoreResult<(Job, Archive)> {
    let job = get(pool, viewer, ws, id).await?;
    if matches!(job.state.as_str(), "queued" | "running") {
        return Err(CoreError::Conflict {
            code: "not_ready",
            message: "The export is not finished yet.".into(),
        });
    }
    let archive = downloadable(objects, &job, now)
        .await?
        .ok_or(CoreError::NotFound("export"))?;
    Ok((job, archive))
}

/// The archive of a finished, unexpired export, if it can be downloaded.
pub async fn downloadable(
    objects: &Objects,
    job: &Job,
    now: OffsetDateTime,
) -> CoreResult<Option<Archive>> {
    let live = job.state == "done" && job.expires_at.is_some_and(|at| at > now);
    if !live {
        return Ok(None);
    }
    let key = archive_key(job.workspace_id, job.id);
    Ok(objects.size(&key).await?.map(|size| Archive { key, size }))
}

/// Runs one leased export to the end: builds the archive in an anonymous temporary file, then
/// stores it; an object store makes an object visible only once it is complete, so a
/// half-written archive is never offered.
pub async fn run(pool: &PgPool, objects: &Objects, lease: &Lease) -> CoreResult<Archive> {
    let ws = sqlx::query_as::<_, Workspace>(
        "SELECT id, slug, name, plan, schema_version, created_at, require_two_factor FROM workspaces WHERE id = $1",
    )
    .bind(lease.job.workspace_id)
    .fetch_optional(pool)
    .await?
    .ok_or(CoreError::NotFound("workspace"))?;
    // TMPDIR must hold the largest archive; the file is gone once closed, whatever happens.
    let file = tempfile::tempfile().map_err(|e| io("create a temporary file", e))?;
    // Reading the workspace as the owner is the provisioning login's work ("Two logins").
    let provisioning = crate::db::provisioning(pool);
    let mut file = build_into(&provisioning, objects, &ws, file, Some(lease)).await?;
    file.rewind().map_err(|e| io("read the archive back", e))?;
    let key = archive_key(ws.id, lease.job.id);
    let size = objects.put_file(&key, file).await?;
    if let Err(e) = jobs::finish(pool, lease, OffsetDateTime::now_utc() + KEEP_FOR).await {
        // Taken over or erased meanwhile: this archive is not the one anybody will be offered.
        let _ = objects.delete(&key).await;
        return Err(e);
    }
    Ok(Archive { key, size })
}

fn io(what: &str, e: std::io::Error) -> CoreError {
    CoreError::Storage(format!("cannot {what}: {e}"))
}

fn zip_err(e: zip::result::ZipError) -> CoreError {
    CoreError::Storage(format!("cannot write the archive: {e}"))
}

/// One table of the archive: its name and the columns exported.
struct Table {
    name: String,
    columns: Vec<String>,
    rows: i64,
}

/// Writes the archive of `ws` to the local file `path` (see [`build_into`]).
pub async fn build(
    pool: &PgPool,
    objects: &Objects,
    ws: &Workspace,
    path: &Path,
    lease: Option<&Lease>,
) -> CoreResult<()> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    let file = std::fs::File::create(path).map_err(|e| io("create the archive", e))?;
    build_into(pool, objects, ws, file, lease).await?;
    Ok(())
}

/// Writes the archive of `ws` into `file` and hands the file back, synced. Every tenant table
/// is read in one repeatable-read transaction as the workspace's own role, so the files agree
/// with each other and nothing outside the workspace schema can be read into them. Rows are
/// streamed, never collected.
async fn build_into(
    pool: &PgPool,
    objects: &Objects,
    ws: &Workspace,
    file: std::fs::File,
    lease: Option<&Lease>,
) -> CoreResult<std::fs::File> {
    let mut zip = ZipWriter::new(std::io::BufWriter::new(file));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true);

    let schema = ws.schema();
    let tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    let mut tx = TenantTx::enter(tx, &schema, Actor::System).await?;
    let tables = tables(&mut tx, &schema).await?;
    let files: i64 = sqlx::query_scalar("SELECT count(*) FROM attachments")
        .fetch_one(tx.conn())
        .await?;
    let total = tables.iter().map(|t| t.rows).sum::<i64>() + files;
    let mut done = 0;
    let report = |done: i64| async move {
        match lease {
            Some(lease) => jobs::progress(pool, lease, done, total).await,
            None => Ok(()),
        }
    };
    report(done).await?;

    let manifest = serde_json::json!({
        "workspace": { "id": ws.id, "slug": ws.slug, "name": ws.name, "plan": ws.plan },
        "exported_at": OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        "clock": "Europe/Brussels (instants are stored and exported in UTC)",
        "currency": "EUR (amounts in whole cents)",
        "tables": tables.iter().map(|t| serde_json::json!({
            "name": t.name, "rows": t.rows, "columns": t.columns,
            "files": [format!("{}.json", t.name), format!("{}.csv", t.name)],
        })).collect::<Vec<_>>(),
        "omitted": {
            "secret columns (integration token ciphertext)": "useless without the workspace's \
                data key, which never leaves the server",
            "the audit history": "read by admins on every plan; exported as a file by the \
                audit export on the Business plan",
        },
        "attachments": "files/<attachment-id>/<file name>",
    });
    zip.start_file("manifest.json", options).map_err(zip_err)?;
    zip.write_all(
        serde_json::to_string_pretty(&manifest)
            .unwrap_or_default()
            .as_bytes(),
    )
    .map_err(|e| io("write the archive", e))?;

    for table in &tables {
        write_table(&mut tx, &mut zip, options, table).await?;
        done += table.rows;
        report(done).await?;
    }

    // Attachments last, streamed from object storage in chunks.
    let attachments: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, filename, object_key FROM attachments ORDER BY created_at, id")
            .fetch_all(tx.conn())
            .await?;
    let member_ids: Vec<Uuid> = sqlx::query_scalar("SELECT user_id FROM members ORDER BY user_id")
        .fetch_all(tx.conn())
        .await?;
    tx.rollback().await?;
    for (i, (id, filename, key)) in attachments.iter().enumerate() {
        zip.start_file(format!("files/{id}/{filename}"), options)
            .map_err(zip_err)?;
        let mut stream = objects.stream(key).await?;
        while let Some(chunk) = stream
            .try_next()
            .await
            .map_err(|e| io("read an attachment", e))?
        {
            zip.write_all(&chunk)
                .map_err(|e| io("write the archive", e))?;
        }
        done += 1;
        if i % 20 == 19 {
            report(done).await?;
        }
    }

    // Members' names and addresses live in the control plane; they are part of the
    // workspace's data as its people see it.
    let people: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, name, email FROM users WHERE id = ANY($1) ORDER BY id")
            .bind(&member_ids)
            .fetch_all(pool)
            .await?;
    let people_json: Vec<Value> = people
        .iter()
        .map(|(id, name, email)| serde_json::json!({"user_id": id, "name": name, "email": email}))
        .collect();
    zip.start_file("people.json", options).map_err(zip_err)?;
    zip.write_all(
        serde_json::to_string_pretty(&people_json)
            .unwrap_or_default()
            .as_bytes(),
    )
    .map_err(|e| io("write the archive", e))?;
    zip.start_file("people.csv", options).map_err(zip_err)?;
    let mut csv = String::from("user_id,name,email\r\n");
    for (id, name, email) in &people {
        csv.push_str(&format!(
            "{id},{},{}\r\n",
            csv_field(name),
            csv_field(email)
        ));
    }
    zip.write_all(csv.as_bytes())
        .map_err(|e| io("write the archive", e))?;

    let inner = zip.finish().map_err(zip_err)?;
    let file = inner
        .into_inner()
        .map_err(|e| io("write the archive", e.into_error()))?;
    file.sync_all().map_err(|e| io("write the archive", e))?;
    report(done).await?;
    Ok(file)
}

/// Every table of the workspace schema but the migration bookkeeping and [`NOT_EXPORTED`], with
/// the columns to export (secret columns left out) and its row count. Read from the catalogue,
/// so a table added by a later migration is exported without anyone remembering to list it here.
async fn tables(tx: &mut TenantTx, schema: &TenantSchema) -> CoreResult<Vec<Table>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '\\_bastion%'
            AND c.relname <> ALL($2)
          ORDER BY c.relname",
    )
    .bind(schema.as_str())
    .bind(&NOT_EXPORTED[..])
    .fetch_all(tx.conn())
    .await?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_attribute a
              WHERE a.attrelid = format('%I.%I', $1::text, $2::text)::regclass
                AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
        )
        .bind(schema.as_str())
        .bind(&name)
        .fetch_all(tx.conn())
        .await?;
        let columns: Vec<String> = columns
            .into_iter()
            .filter(|c| {
                !crate::secrets::TENANT_SECRET_COLUMNS
                    .iter()
                    .any(|(t, col)| *t == name && col == c)
            })
            .collect();
        let rows: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT count(*) FROM {}",
            quote(&name)
        )))
        .fetch_one(tx.conn())
        .await?;
        tables.push(Table {
            name,
            columns,
            rows,
        });
    }
    Ok(tables)
}

/// A catalogue name as an SQL identifier.
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

async fn write_table<W: Write + std::io::Seek>(
    tx: &mut TenantTx,
    zip: &mut ZipWriter<W>,
    options: SimpleFileOptions,
    table: &Table,
) -> CoreResult<()> {
    let list = table
        .columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    // Ordered by the first column, the key (or its first part) in every tenant table.
    let query = format!(
        "SELECT row_to_json(r)::text FROM (SELECT {list} FROM {} ORDER BY 1) r",
        quote(&table.name)
    );
    let write = |zip: &mut ZipWriter<W>, bytes: &[u8]| {
        zip.write_all(bytes).map_err(|e| io("write the archive", e))
    };

    zip.start_file(format!("{}.json", table.name), options)
        .map_err(zip_err)?;
    write(zip, b"[")?;
    {
        let mut rows =
            sqlx::query_scalar::<_, String>(AssertSqlSafe(query.clone())).fetch(tx.conn());
        let mut first = true;
        while let Some(row) = rows.try_next().await? {
            write(zip, if first { b"\n" } else { b",\n" })?;
            write(zip, row.as_bytes())?;
            first = false;
        }
    }
    write(zip, b"\n]\n")?;

    zip.start_file(format!("{}.csv", table.name), options)
        .map_err(zip_err)?;
    let header: Vec<String> = table.columns.iter().map(|c| csv_field(c)).collect();
    write(zip, format!("{}\r\n", header.join(",")).as_bytes())?;
    let mut rows = sqlx::query_scalar::<_, String>(AssertSqlSafe(query)).fetch(tx.conn());
    while let Some(row) = rows.try_next().await? {
        let value: Value = serde_json::from_str(&row)
            .map_err(|e| CoreError::Internal(format!("row of {}: {e}", table.name)))?;
        let fields: Vec<String> = table
            .columns
            .iter()
            .map(|c| match value.get(c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => csv_field(s),
                Some(other) => csv_field(&other.to_string()),
            })
            .collect();
        write(zip, format!("{}\r\n", fields.join(",")).as_bytes())?;
    }
    Ok(())
}

/// What one pass of the job runner did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunnerReport {
    pub exports_built: usize,
    pub exports_failed: usize,
    pub archives_deleted: usize,
    pub erasures_finished: usize,
}

/// One pass of the job runner: deletes expired archives, finishes interrupted erasure purges,
/// then runs queued jobs until none is left.
pub async fn run_pending(pool: &PgPool, objects: &Objects) -> CoreResult<RunnerReport> {
    run_pending_until(pool, objects, &jobs::Stop::default()).await
}

/// [`run_pending`] in a process that may be stopping: once `stop.draining` is cancelled no new
/// job is leased, and once `stop.abandon` is cancelled the running job is released for another
/// process (its partial archive is never moved into place) and the pass ends.
pub async fn run_pending_until(
    pool: &PgPool,
    objects: &Objects,
    stop: &jobs::Stop,
) -> CoreResult<RunnerReport> {
    let mut report = RunnerReport::default();
    for job in jobs::take_expired(pool, OffsetDateTime::now_utc()).await? {
        let key = archive_key(job.workspace_id, job.id);
        if objects.exists(&key).await? {
            objects.delete(&key).await?;
            report.archives_deleted += 1;
        }
    }
    report.erasures_finished = crate::workspaces::finish_pending_purges(pool, objects).await?;
    while !stop.draining.is_cancelled() {
        let Some(lease) = jobs::lease(pool, KIND, jobs::LEASE).await? else {
            break;
        };
        let outcome = tokio::select! {
            outcome = run(pool, objects, &lease) => outcome,
            () = stop.abandon.cancelled() => {
                jobs::release(pool, &lease).await?;
                tracing::info!(job = %lease.job.id, "shutdown: unfinished job released for another server");
                break;
            }
        };
        match outcome {
            Ok(_) => report.exports_built += 1,
            Err(CoreError::Conflict { message, .. }) => {
                tracing::warn!(job = %lease.job.id, %message, "export abandoned");
            }
            Err(e) => {
                tracing::warn!(job = %lease.job.id, error = %e, "export failed");
                report.exports_failed += 1;
                jobs::retry_or_fail(pool, &lease, &e.to_string()).await?;
            }
        }
    }
    Ok(report)
}
