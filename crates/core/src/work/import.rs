//! Importing tasks from a spreadsheet (CSV, issue 18): a team moving from a spreadsheet brings
//! its rows into one project. The columns are matched by their headings (in the four languages,
//! or as the caller maps them); every row is checked by the same code that creates a task by
//! hand, inside a transaction, and the file goes in whole or not at all: a file with bad rows
//! creates nothing and names every bad row and why. A dry run does everything and rolls back, so
//! what it reports is exactly what the import would do. The same file imported twice into the
//! same project creates nothing the second time (its SHA-256 is kept). Each task's creation is
//! in its history as if made by the importer, and the import itself is a workspace event.
//! Chat channels are not told of each row (a thousand messages would bury the channel).

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Date, Month, OffsetDateTime};
use uuid::Uuid;

use bastion_i18n::Locale;
use bastion_policy as policy;
use sqlx::PgPool;

use super::{checklists, comments, tags, tasks, time_entries};
use crate::{ensure, CoreError, CoreResult, TenantTx, Viewer};

/// The largest file taken (bytes) and the most rows (headings not counted).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
pub const MAX_ROWS: usize = 10_000;

/// What a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Description,
    Status,
    Priority,
    /// The assignee's email address: an active member of the workspace.
    Assignee,
    /// `31/12/2026`, `31-12-2026`, `31.12.2026` (Belgian) or `2026-12-31` (ISO).
    Due,
    /// Tag names separated by commas; tags that do not exist yet are created.
    Tags,
    /// Time spent, in hours (`1,5`, `1.5`) or `h:mm` (`1:30`): a time entry on the task.
    Time,
    /// The hourly rate of that time in euros, a decimal comma or point (`85,50`).
    Rate,
    /// Not imported.
    Ignore,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Title,
        Field::Description,
        Field::Status,
        Field::Priority,
        Field::Assignee,
        Field::Due,
        Field::Tags,
        Field::Time,
        Field::Rate,
        Field::Ignore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Description => "description",
            Field::Status => "status",
            Field::Priority => "priority",
            Field::Assignee => "assignee",
            Field::Due => "due",
            Field::Tags => "tags",
            Field::Time => "time",
            Field::Rate => "rate",
            Field::Ignore => "ignore",
        }
    }

    pub fn parse(text: &str) -> Option<Field> {
        Self::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// The field a heading names, in English, Dutch, French or German.
    fn guess(heading: &str) -> Field {
        let h = heading.trim().to_lowercase();
        let is = |words: &[&str]| words.contains(&h.as_str());
        if is(&[
            "title",
            "titel",
            "titre",
            "name",
            "naam",
            "nom",
            "task",
            "taak",
            "tâche",
            "aufgabe",
            "summary",
            "samenvatting",
            "résumé",
        ]) {
            Field::Title
        } else if is(&[
            "description",
            "beschrijving",
            "omschrijving",
            "beschreibung",
            "notes",
            "notities",
            "details",
        ]) {
            Field::Description
        } else if is(&["status", "statut", "état", "zustand"]) {
            Field::Status
        } else if is(&["priority", "prioriteit", "priorité", "priorität"]) {
            Field::Priority
        } else if is(&[
            "assignee",
            "assigned to",
            "toegewezen aan",
            "assigné à",
            "zugewiesen an",
            "verantwortlich",
            "responsable",
            "verantwoordelijke",
        ]) {
            Field::Assignee
        } else if is(&[
            "due",
            "due date",
            "due on",
            "deadline",
            "vervaldatum",
            "échéance",
            "date d'échéance",
            "fällig",
            "fälligkeit",
            "fälligkeitsdatum",
        ]) {
            Field::Due
        } else if is(&["tags", "labels", "étiquettes", "etiketten", "schlagwörter"]) {
            Field::Tags
        } else if is(&[
            "time",
            "hours",
            "time spent",
            "tijd",
            "uren",
            "bestede tijd",
            "temps",
            "heures",
            "temps passé",
            "zeit",
            "stunden",
            "aufwand",
        ]) {
            Field::Time
        } else if is(&[
            "rate",
            "hourly rate",
            "tarief",
            "uurtarief",
            "taux",
            "taux horaire",
            "tarif",
            "stundensatz",
            "satz",
        ]) {
            Field::Rate
        } else {
            Field::Ignore
        }
    }
}

/// A heading and the field its column goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnMapping {
    pub heading: String,
    pub field: Field,
}

/// A row that cannot be imported: its line in the file (the headings are line 1), the column
/// (when one is to blame) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: usize,
    pub column: Option<String>,
    pub message: String,
}

/// What an import did, or (dry run) would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub columns: Vec<ColumnMapping>,
    /// Rows read (headings and empty lines not counted).
    pub rows: usize,
    /// Tasks created (0 in a dry run, or when any row is refused).
    pub created: usize,
    /// Tags that did not exist and were (or would be) created.
    pub new_tags: Vec<String>,
    pub errors: Vec<RowError>,
}

/// What the caller gives.
#[derive(Debug, Clone, Default)]
pub struct CsvImport {
    pub project_id: Uuid,
    pub csv: String,
    /// An Excel workbook (.xlsx) instead of `csv`: its first sheet is read as the CSV would be.
    pub xlsx: Option<Vec<u8>>,
    /// Overrides of the guessed mapping: heading → field.
    pub mapping: HashMap<String, Field>,
    pub dry_run: bool,
}

/// A workbook sent as base64 text (a JSON body or a form cannot carry its bytes), decoded; at
/// most [`MAX_BYTES`] once decoded.
pub fn decode_xlsx(base64_text: &str) -> CoreResult<Vec<u8>> {
    use base64::Engine as _;
    let text = base64_text.trim();
    // A data URL's header, as a browser's file reader gives it, is dropped.
    let text = text.split_once(";base64,").map_or(text, |(_, b)| b);
    if text.len() > MAX_BYTES / 3 * 4 + 4 {
        return Err(CoreError::invalid(
            "xlsx",
            format!("must be at most {} MiB", MAX_BYTES / 1024 / 1024),
        ));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| CoreError::invalid("xlsx", "must be the workbook's bytes in base64"))
}

/// Splits CSV text (RFC 4180: quoted fields may hold separators, quotes doubled, line breaks)
/// into records of fields. The separator is the one of `,`, `;` or tab the heading line uses
/// most outside quotes (spreadsheets in Belgium save with `;`).
pub fn parse_csv(text: &str) -> CoreResult<Vec<(usize, Vec<String>)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or_default();
    let separator = [',', ';', '\t']
        .into_iter()
        .max_by_key(|s| {
            let mut quoted = false;
            first
                .chars()
                .filter(|c| {
                    if *c == '"' {
                        quoted = !quoted;
                    }
                    !quoted && c == s
                })
                .count()
        })
        .unwrap_or(',');
    let mut records = Vec::new();
    let mut field = String::new();
    let mut record: Vec<String> = Vec::new();
    let mut quoted = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            }
            '"' if field.is_empty() => quoted = true,
            '\n' if quoted => {
                line += 1;
                field.push('\n');
            }
            '\r' if !quoted && chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                records.push((record_line, std::mem::take(&mut record)));
                line += 1;
                record_line = line;
            }
            c if c == separator && !quoted => record.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    if quoted {
        return Err(CoreError::invalid(
            "csv",
            format!("a quoted field opened on line {record_line} is never closed"),
        ));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((record_line, record));
    }
    records.retain(|(_, r)| r.iter().any(|f| !f.trim().is_empty()));
    Ok(records)
}

/// Time spent as a spreadsheet holds it: hours with a decimal comma or point (`1,5`, `2`) or
/// `h:mm` (`1:30`), in whole minutes (rounded).
pub fn parse_minutes(text: &str) -> Option<i32> {
    let text = text.trim();
    let minutes = if let Some((h, m)) = text.split_once(':') {
        let (h, m): (u32, u32) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
        if m >= 60 || m.to_string().len() > 2 {
            return None;
        }
        f64::from(h * 60 + m)
    } else {
        let hours: f64 = text.replace(',', ".").parse().ok()?;
        if !hours.is_finite() || hours < 0.0 {
            return None;
        }
        (hours * 60.0).round()
    };
    (minutes <= f64::from(i32::MAX)).then_some(minutes as i32)
}

/// A due date as Belgians and ISO write it.
pub fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let num = |s: &str| s.parse::<i32>().ok();
    let (year, month, day) = if a.len() == 4 {
        (num(a)?, num(b)?, num(c)?)
    } else if c.len() == 4 {
        (num(c)?, num(b)?, num(a)?)
    } else {
        return None;
    };
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// A status by its key or its name in any of the four languages.
fn parse_status(text: &str) -> Option<&'static str> {
    let text = text.trim().to_lowercase();
    Locale::ALL.into_iter().find_map(|l| {
        let t = l.t();
        [
            ("todo", t.status_todo()),
            ("in_progress", t.status_in_progress()),
            ("done", t.status_done()),
        ]
        .into_iter()
        .find(|(key, label)| text == *key || text == label.to_lowercase())
        .map(|(key, _)| key)
    })
}

fn parse_priority(text: &str) -> Option<&'static str> {
    let text = text.trim().to_lowercase();
    Locale::ALL.into_iter().find_map(|l| {
        let t = l.t();
        [
            ("low", t.priority_low()),
            ("normal", t.priority_normal()),
            ("high", t.priority_high()),
            ("urgent", t.priority_urgent()),
        ]
        .into_iter()
        .find(|(key, label)| text == *key || text == label.to_lowercase())
        .map(|(key, _)| key)
    })
}

/// One task to create, read from a spreadsheet's row or a Trello card.
#[derive(Debug, Default)]
struct Planned {
    /// The row's line in the file, or the card's place on the board.
    line: usize,
    title: String,
    description: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    assignee: Option<Uuid>,
    due_on: Option<Date>,
    tags: Vec<String>,
    /// Checklist items and whether each is done.
    checklist: Vec<(String, bool)>,
    comments: Vec<String>,
    /// Time spent (minutes) and its hourly rate (cents): one time entry.
    time: Option<(i32, i64)>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Who may import (admins and members), and whether this file already was.
async fn may_import(
    tx: &mut TenantTx,
    viewer: &Viewer,
    project: Uuid,
    digest: &str,
) -> CoreResult<()> {
    ensure(
        policy::can_create_task(viewer.role),
        "Guests cannot import tasks.",
    )?;
    let earlier: Option<OffsetDateTime> =
        sqlx::query_scalar("SELECT created_at FROM imports WHERE project_id = $1 AND sha256 = $2")
            .bind(project)
            .bind(digest)
            .fetch_optional(tx.conn())
            .await?;
    if let Some(at) = earlier {
        return Err(CoreError::conflict(format!(
            "this file was already imported into this project on {}; nothing was created",
            at.date()
        )));
    }
    Ok(())
}

/// The members (the active ones only, for assignees) by email address, lower case. Addresses
/// live in the control plane, read through `pool`.
pub(super) async fn member_emails(
    pool: &PgPool,
    tx: &mut TenantTx,
    active_only: bool,
) -> CoreResult<HashMap<String, Uuid>> {
    let members = crate::members::list_members(tx).await?;
    let ids: Vec<Uuid> = members
        .iter()
        .filter(|m| m.active || !active_only)
        .map(|m| m.user_id)
        .collect();
    Ok(
        sqlx::query_as::<_, (String, Uuid)>(
            "SELECT lower(email), id FROM users WHERE id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(pool)
        .await?
        .into_iter()
        .collect(),
    )
}

/// The active members by name (lower case), `None` for a name two of them share.
async fn member_names(
    pool: &PgPool,
    tx: &mut TenantTx,
) -> CoreResult<HashMap<String, Option<Uuid>>> {
    let ids: Vec<Uuid> = crate::members::list_members(tx)
        .await?
        .iter()
        .filter(|m| m.active)
        .map(|m| m.user_id)
        .collect();
    let mut names: HashMap<String, Option<Uuid>> = HashMap::new();
    for (name, id) in sqlx::query_as::<_, (String, Uuid)>(
        "SELECT lower(btrim(name)), id FROM users WHERE id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?
    {
        names
            .entry(name)
            .and_modify(|shared| *shared = None)
            .or_insert(Some(id));
    }
    Ok(names)
}

/// Creates the planned tasks through the same functions as by hand, each behind a savepoint,
/// so a row the task's own checks refuse is named and the others go on. Returns the count
/// created and the tags made on the way; refusals go to `errors`, their column named by
/// `heading`.
async fn write(
    tx: &mut TenantTx,
    viewer: &Viewer,
    project: Uuid,
    planned: Vec<Planned>,
    heading: &(dyn Fn(Field) -> Option<String> + Sync),
    errors: &mut Vec<RowError>,
) -> CoreResult<(usize, Vec<String>)> {
    // Chat channels are not told of each row (`SET LOCAL`, not `set_config`: the role boundary
    // refuses the function, which could name `role`).
    sqlx::query("SET LOCAL bastion.bulk_import = 'on'")
        .execute(tx.conn())
        .await?;
    let mut known_tags: HashMap<String, Uuid> = tags::list_tags(tx, viewer)
        .await?
        .into_iter()
        .map(|t| (t.name.to_lowercase(), t.id))
        .collect();
    let mut new_tags = Vec::new();
    let mut created = 0;
    for row in planned {
        sqlx::query("SAVEPOINT import_row")
            .execute(tx.conn())
            .await?;
        let line = row.line;
        let tagged = !row.tags.is_empty();
        let written: CoreResult<()> = async {
            let task = tasks::create_task(
                tx,
                viewer,
                tasks::NewTask {
                    project_id: project,
                    title: row.title,
                    description: row.description,
                    status: row.status,
                    priority: row.priority,
                    assignee_id: row.assignee,
                    due_on: row.due_on,
                    private: false,
                },
            )
            .await?;
            for name in &row.tags {
                let id = match known_tags.get(&name.to_lowercase()) {
                    Some(id) => *id,
                    None => {
                        let tag = tags::create_tag(tx, viewer, name, None).await?;
                        known_tags.insert(name.to_lowercase(), tag.id);
                        new_tags.push(tag.name);
                        tag.id
                    }
                };
                tags::add_task_tag(tx, viewer, task.id, id).await?;
            }
            for (text, done) in &row.checklist {
                let item = checklists::add_item(tx, viewer, task.id, text).await?;
                if *done {
                    checklists::set_done(tx, viewer, task.id, item.id, true).await?;
                }
            }
            for body in &row.comments {
                comments::create_comment(tx, viewer, task.id, body).await?;
            }
            if let Some((minutes, rate_cents)) = row.time {
                // The assignee's time when an admin imports (admins record for others), else
                // the importer's own; started when the task is due, or now.
                let user_id = match row.assignee {
                    Some(a) if policy::can_track_time_for_others(viewer.role) => a,
                    _ => viewer.user_id,
                };
                let now = OffsetDateTime::now_utc();
                let started_at = match row.due_on {
                    Some(day) => {
                        let nine = time::Time::from_hms(9, 0, 0).unwrap_or(time::Time::MIDNIGHT);
                        crate::clock::instant_of(tx, time::PrimitiveDateTime::new(day, nine))
                            .await?
                            .min(now)
                    }
                    None => now,
                };
                time_entries::create(
                    tx,
                    *viewer,
                    &time_entries::NewTimeEntry {
                        task_id: task.id,
                        user_id,
                        started_at,
                        minutes,
                        billable: true,
                        rate_cents,
                        note: String::new(),
                    },
                )
                .await?;
            }
            Ok(())
        }
        .await;
        match written {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT import_row")
                    .execute(tx.conn())
                    .await?;
                created += 1;
            }
            Err(CoreError::Invalid { field, message }) => {
                sqlx::query("ROLLBACK TO SAVEPOINT import_row")
                    .execute(tx.conn())
                    .await?;
                let column = match field {
                    "title" => Some(Field::Title),
                    "description" => Some(Field::Description),
                    "assignee_id" => Some(Field::Assignee),
                    "due_on" => Some(Field::Due),
                    "name" => Some(Field::Tags),
                    "minutes" | "started_at" => Some(Field::Time),
                    "rate_cents" => Some(Field::Rate),
                    "user_id" => Some(Field::Assignee),
                    _ => None,
                };
                errors.push(RowError {
                    line,
                    column: column.and_then(heading),
                    message: match column {
                        Some(_) => message,
                        None => format!("{field}: {message}"),
                    },
                });
            }
            Err(CoreError::Conflict { message, .. }) if tagged => {
                sqlx::query("ROLLBACK TO SAVEPOINT import_row")
                    .execute(tx.conn())
                    .await?;
                errors.push(RowError {
                    line,
                    column: heading(Field::Tags),
                    message,
                });
            }
            Err(other) => return Err(other),
        }
    }
    Ok((created, new_tags))
}

/// The end of every import: refused whole when a row is refused (not a dry run), else the
/// report, and the file remembered.
#[allow(clippy::too_many_arguments)]
async fn finish(
    tx: &mut TenantTx,
    viewer: &Viewer,
    project: Uuid,
    kind: &str,
    digest: &str,
    dry_run: bool,
    columns: Vec<ColumnMapping>,
    rows: usize,
    created: usize,
    new_tags: Vec<String>,
    mut errors: Vec<RowError>,
) -> CoreResult<ImportReport> {
    errors.sort_by_key(|e| e.line);
    if !dry_run && !errors.is_empty() {
        let listed: Vec<String> = errors
            .iter()
            .map(|e| match &e.column {
                Some(column) => format!("line {} ({column}): {}", e.line, e.message),
                None => format!("line {}: {}", e.line, e.message),
            })
            .collect();
        return Err(CoreError::invalid(
            match kind {
                "csv" => "csv",
                "xlsx" => "xlsx",
                _ => "board",
            },
            format!(
                "{} of {} rows are refused, so nothing was imported: {}",
                errors.len(),
                rows,
                listed.join("; ")
            ),
        ));
    }
    if !dry_run {
        sqlx::query(
            "INSERT INTO imports (id, project_id, sha256, kind, rows, created_by)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::new_v4())
        .bind(project)
        .bind(digest)
        .bind(kind)
        .bind(i32::try_from(created).unwrap_or(i32::MAX))
        .bind(viewer.user_id)
        .execute(tx.conn())
        .await?;
    }
    Ok(ImportReport {
        dry_run,
        columns,
        rows,
        created: if dry_run { 0 } else { created },
        new_tags,
        errors,
    })
}

/// Imports `input.csv` into `input.project_id` as the viewer (admins and members, who may
/// create tasks), or reports what it would do. All or nothing: when a row is refused, the
/// import is an `Invalid` error naming every refused row (the caller's transaction must then
/// be rolled back, as every door does with an error); a dry run reports them one by one, and
/// the caller rolls it back too. `pool` reads the members' email addresses (the control
/// plane's), to match assignees.
pub async fn import_csv(
    pool: &PgPool,
    tx: &mut TenantTx,
    viewer: &Viewer,
    input: &CsvImport,
) -> CoreResult<ImportReport> {
    let (kind, file): (&str, &[u8]) = match &input.xlsx {
        Some(bytes) => ("xlsx", bytes),
        None => ("csv", input.csv.as_bytes()),
    };
    let field = if input.xlsx.is_some() { "xlsx" } else { "csv" };
    let digest = sha256_hex(file);
    may_import(tx, viewer, input.project_id, &digest).await?;
    if file.len() > MAX_BYTES {
        return Err(CoreError::invalid(
            field,
            format!("must be at most {} MiB", MAX_BYTES / 1024 / 1024),
        ));
    }
    let records = match &input.xlsx {
        Some(bytes) => super::xlsx::read_first_sheet(bytes)?,
        None => parse_csv(&input.csv)?,
    };
    let mut records = records.into_iter();
    let Some((_, headings)) = records.next() else {
        return Err(CoreError::invalid(
            field,
            "is empty: the first line must hold the headings",
        ));
    };
    let rows: Vec<(usize, Vec<String>)> = records.collect();
    if rows.len() > MAX_ROWS {
        return Err(CoreError::invalid(
            field,
            format!(
                "has {} rows; at most {MAX_ROWS} are taken at once",
                rows.len()
            ),
        ));
    }
    for heading in input.mapping.keys() {
        if !headings.iter().any(|h| h.trim() == heading.trim()) {
            return Err(CoreError::invalid(
                "mapping",
                format!("names the column {heading:?}, which the file does not have"),
            ));
        }
    }
    let columns: Vec<ColumnMapping> = headings
        .iter()
        .map(|h| ColumnMapping {
            heading: h.trim().to_owned(),
            field: input
                .mapping
                .get(h.trim())
                .copied()
                .unwrap_or_else(|| Field::guess(h)),
        })
        .collect();
    if columns.iter().filter(|c| c.field == Field::Title).count() != 1 {
        return Err(CoreError::invalid(
            "mapping",
            "exactly one column must be the title (name it Title, or map one to title)",
        ));
    }
    for field in Field::ALL.into_iter().filter(|f| *f != Field::Ignore) {
        if columns.iter().filter(|c| c.field == field).count() > 1 {
            return Err(CoreError::invalid(
                "mapping",
                format!("two columns are mapped to {}", field.as_str()),
            ));
        }
    }
    let emails = member_emails(pool, tx, true).await?;
    let at = |f: Field| columns.iter().position(|c| c.field == f);
    let heading = |f: Field| at(f).map(|i| columns[i].heading.clone());

    // Every row is read first, so that the report names all that cannot be.
    let mut errors = Vec::new();
    let mut planned = Vec::new();
    for (line, row) in &rows {
        let cell = |f: Field| {
            at(f)
                .and_then(|i| row.get(i))
                .map(|s| s.trim())
                .unwrap_or("")
        };
        let mut refuse = |f: Option<Field>, message: String| {
            errors.push(RowError {
                line: *line,
                column: f.and_then(heading),
                message,
            })
        };
        if row.len() > headings.len() {
            refuse(
                None,
                format!(
                    "has {} cells; the headings name {}",
                    row.len(),
                    headings.len()
                ),
            );
            continue;
        }
        let status = match cell(Field::Status) {
            "" => None,
            s => match parse_status(s) {
                Some(s) => Some(s.to_owned()),
                None => {
                    refuse(
                        Some(Field::Status),
                        format!("{s:?} is not a status (To do, In progress, Done)"),
                    );
                    continue;
                }
            },
        };
        let priority = match cell(Field::Priority) {
            "" => None,
            p => match parse_priority(p) {
                Some(p) => Some(p.to_owned()),
                None => {
                    refuse(
                        Some(Field::Priority),
                        format!("{p:?} is not a priority (Low, Normal, High, Urgent)"),
                    );
                    continue;
                }
            },
        };
        let assignee = match cell(Field::Assignee) {
            "" => None,
            email => match emails.get(&email.to_lowercase()) {
                Some(id) => Some(*id),
                None => {
                    refuse(
                        Some(Field::Assignee),
                        format!("{email} is not an active member of this workspace"),
                    );
                    continue;
                }
            },
        };
        let due_on = match cell(Field::Due) {
            "" => None,
            d => match parse_date(d) {
                Some(d) => Some(d),
                None => {
                    refuse(
                        Some(Field::Due),
                        format!("{d:?} is not a date (31/12/2026 or 2026-12-31)"),
                    );
                    continue;
                }
            },
        };
        let time = match (cell(Field::Time), cell(Field::Rate)) {
            ("", "") => None,
            ("", _) => {
                refuse(
                    Some(Field::Rate),
                    "a rate needs a time in the same row".into(),
                );
                continue;
            }
            (t, r) => {
                let Some(minutes) = parse_minutes(t) else {
                    refuse(
                        Some(Field::Time),
                        format!("{t:?} is not a time (hours like 1,5 or h:mm like 1:30)"),
                    );
                    continue;
                };
                let rate = match r {
                    "" => 0,
                    r => match bastion_i18n::parse_eur_cents(r) {
                        Ok(cents) => cents,
                        Err(why) => {
                            refuse(Some(Field::Rate), format!("{r:?} {why}"));
                            continue;
                        }
                    },
                };
                Some((minutes, rate))
            }
        };
        planned.push(Planned {
            line: *line,
            time,
            title: cell(Field::Title).to_owned(),
            description: Some(cell(Field::Description).to_owned()).filter(|d| !d.is_empty()),
            status,
            priority,
            assignee,
            due_on,
            tags: cell(Field::Tags)
                .split([',', ';'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            ..Planned::default()
        });
    }
    let (created, new_tags) =
        write(tx, viewer, input.project_id, planned, &heading, &mut errors).await?;
    finish(
        tx,
        viewer,
        input.project_id,
        kind,
        &digest,
        input.dry_run,
        columns,
        rows.len(),
        created,
        new_tags,
        errors,
    )
    .await
}

/// A Trello board's export (Board → Menu → Print, export and share → Export as JSON).
#[derive(Debug, Clone)]
pub struct TrelloImport {
    pub project_id: Uuid,
    pub board: serde_json::Value,
    pub dry_run: bool,
}

/// The status a Trello list's name means: Done/Klaar/Terminé… are done, Doing/Bezig/En
/// cours… in progress, anything else to do.
pub fn status_of_list(name: &str) -> &'static str {
    let name = name.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&[
        "done", "klaar", "gedaan", "afgerond", "terminé", "fini", "erledigt", "fertig", "complete",
    ]) {
        "done"
    } else if has(&[
        "doing",
        "progress",
        "bezig",
        "en cours",
        "in arbeit",
        "review",
        "wip",
    ]) {
        "in_progress"
    } else {
        "todo"
    }
}

/// A card's comments as Bastion comments: one, in the order they were written, each with its
/// Trello author and date (comments made in one transaction share their instant, so separate
/// ones would come back in no particular order); split in parts when longer than a comment may
/// be.
fn trello_comments(comments: &[String]) -> Vec<String> {
    const HEADING: &str = "Comments from Trello";
    let room = comments::BODY_MAX - HEADING.len() - 40;
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    for comment in comments {
        let comment: String = comment.chars().take(room).collect();
        if !current.is_empty() && current.chars().count() + comment.chars().count() + 2 > room {
            parts.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(&comment);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    let count = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, text)| match count {
            1 => format!("{HEADING}:\n\n{text}"),
            _ => format!("{HEADING} ({} of {count}):\n\n{text}", i + 1),
        })
        .collect()
}

/// Imports a Trello board into a project, or (dry run) reports what it would do: every open
/// card of an open list becomes a task, its list its status ([`status_of_list`]), its labels
/// tags (a label without a name by its colour), its checklists checklist items, its comments
/// comments (naming their Trello author and date; the importer posts them), its attachments a
/// list of links in the description (Trello keeps the files), its first member whose full name
/// is one active member's name here its assignee (Trello's export holds no email addresses; a
/// member no name matches leaves the card unassigned). All or nothing, once per board file, as
/// [`import_csv`]; a refused card is named by its place on the board and its name.
pub async fn import_trello(
    pool: &PgPool,
    tx: &mut TenantTx,
    viewer: &Viewer,
    input: &TrelloImport,
) -> CoreResult<ImportReport> {
    let digest = sha256_hex(input.board.to_string().as_bytes());
    may_import(tx, viewer, input.project_id, &digest).await?;
    let board = &input.board;
    let text = |v: &serde_json::Value, key: &str| {
        v.get(key).and_then(|x| x.as_str()).unwrap_or("").to_owned()
    };
    let list_of = |key: &str| -> CoreResult<Vec<serde_json::Value>> {
        match board.get(key) {
            None | Some(serde_json::Value::Null) => Ok(Vec::new()),
            Some(serde_json::Value::Array(items)) => Ok(items.clone()),
            Some(_) => Err(CoreError::invalid(
                "board",
                format!("{key} must be a list, as in Trello's export"),
            )),
        }
    };
    let closed = |v: &serde_json::Value| v.get("closed").and_then(|c| c.as_bool()) == Some(true);
    let lists = list_of("lists")?;
    let cards = list_of("cards")?;
    if board.get("cards").is_none() || board.get("lists").is_none() {
        return Err(CoreError::invalid(
            "board",
            "is not a Trello board export: it has no cards and lists",
        ));
    }
    let open_lists: HashMap<String, String> = lists
        .iter()
        .filter(|l| !closed(l))
        .map(|l| (text(l, "id"), text(l, "name")))
        .collect();
    let labels: HashMap<String, String> = list_of("labels")?
        .iter()
        .map(|l| {
            let name = text(l, "name");
            let name = if name.trim().is_empty() {
                text(l, "color")
            } else {
                name
            };
            (text(l, "id"), name)
        })
        .collect();
    let mut checklist_items: HashMap<String, Vec<(String, bool)>> = HashMap::new();
    for checklist in list_of("checklists")? {
        let items = checklist
            .get("checkItems")
            .and_then(|i| i.as_array())
            .cloned()
            .unwrap_or_default();
        let mut items: Vec<(f64, String, bool)> = items
            .iter()
            .map(|i| {
                (
                    i.get("pos").and_then(|p| p.as_f64()).unwrap_or(0.0),
                    text(i, "name"),
                    text(i, "state") == "complete",
                )
            })
            .collect();
        items.sort_by(|a, b| a.0.total_cmp(&b.0));
        checklist_items
            .entry(text(&checklist, "idCard"))
            .or_default()
            .extend(items.into_iter().map(|(_, name, done)| (name, done)));
    }
    // Trello lists actions newest first; comments go in in the order they were written.
    let mut comments_of: HashMap<String, Vec<String>> = HashMap::new();
    for action in list_of("actions")?.iter().rev() {
        if text(action, "type") != "commentCard" {
            continue;
        }
        let data = action.get("data").cloned().unwrap_or_default();
        let card = data.get("card").map(|c| text(c, "id")).unwrap_or_default();
        let author = action
            .get("memberCreator")
            .map(|m| text(m, "fullName"))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Trello".to_owned());
        let date: String = text(action, "date").chars().take(10).collect();
        comments_of
            .entry(card)
            .or_default()
            .push(format!("{author}, {date}:\n{}", text(&data, "text")));
    }

    // Trello members by id → a member here with that full name, when exactly one has it.
    let names = member_names(pool, tx).await?;
    let assignee_of: HashMap<String, Uuid> = list_of("members")?
        .iter()
        .filter_map(|m| {
            let name = text(m, "fullName").trim().to_lowercase();
            names
                .get(&name)
                .copied()
                .flatten()
                .map(|id| (text(m, "id"), id))
        })
        .collect();

    let mut errors = Vec::new();
    let mut planned = Vec::new();
    let mut rows = 0;
    for (place, card) in cards.iter().enumerate() {
        let list = text(card, "idList");
        let Some(list_name) = open_lists.get(&list) else {
            continue; // on an archived list
        };
        if closed(card) {
            continue; // archived
        }
        rows += 1;
        let line = place + 1;
        let name = text(card, "name");
        let due = text(card, "due");
        let due_on = if due.is_empty() {
            None
        } else {
            match due.get(..10).and_then(parse_date) {
                Some(d) => Some(d),
                None => {
                    errors.push(RowError {
                        line,
                        column: Some("due".into()),
                        message: format!("card {name:?}: {due:?} is not a date"),
                    });
                    continue;
                }
            }
        };
        let mut description = text(card, "desc");
        let attachments: Vec<String> = card
            .get("attachments")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .map(|x| format!("- {}: {}", text(x, "name"), text(x, "url")))
                    .collect()
            })
            .unwrap_or_default();
        if !attachments.is_empty() {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str("Attachments in Trello:\n");
            description.push_str(&attachments.join("\n"));
        }
        let card_id = text(card, "id");
        let assignee = card
            .get("idMembers")
            .and_then(|m| m.as_array())
            .and_then(|ids| {
                ids.iter()
                    .find_map(|id| id.as_str().and_then(|id| assignee_of.get(id)).copied())
            });
        planned.push(Planned {
            line,
            title: name,
            assignee,
            description: Some(description).filter(|d| !d.trim().is_empty()),
            status: Some(status_of_list(list_name).to_owned()),
            due_on,
            tags: card
                .get("idLabels")
                .and_then(|l| l.as_array())
                .map(|ids| {
                    ids.iter()
                        .filter_map(|id| id.as_str().and_then(|id| labels.get(id)))
                        .filter(|n| !n.trim().is_empty())
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
            checklist: checklist_items.remove(&card_id).unwrap_or_default(),
            comments: comments_of
                .remove(&card_id)
                .map(|c| trello_comments(&c))
                .unwrap_or_default(),
            ..Planned::default()
        });
    }
    let heading = |f: Field| {
        Some(
            match f {
                Field::Title => "name",
                Field::Description => "desc",
                Field::Status => "list",
                Field::Due => "due",
                Field::Tags => "labels",
                _ => return None,
            }
            .to_owned(),
        )
    };
    let columns = [
        ("name", Field::Title),
        ("desc", Field::Description),
        ("list", Field::Status),
        ("due", Field::Due),
        ("labels", Field::Tags),
    ]
    .into_iter()
    .map(|(heading, field)| ColumnMapping {
        heading: heading.to_owned(),
        field,
    })
    .collect();
    let (created, new_tags) =
        write(tx, viewer, input.project_id, planned, &heading, &mut errors).await?;
    finish(
        tx,
        viewer,
        input.project_id,
        "trello",
        &digest,
        input.dry_run,
        columns,
        rows,
        created,
        new_tags,
        errors,
    )
    .await
}

/// What the import page sends: a file's text, either format, and the column mapping it showed
/// for the file checked before (`(heading, field)` in column order).
#[derive(Debug, Clone, Default)]
pub struct PastedImport {
    pub project_id: Uuid,
    pub text: String,
    /// An Excel workbook chosen instead of text.
    pub xlsx: Option<Vec<u8>>,
    pub mapping: Vec<(String, String)>,
    pub dry_run: bool,
}

/// The import page's door: text starting with `{` is a Trello board's export, anything else
/// CSV. The mapping shown is of the last file checked; for another file (other headings) the
/// headings decide again, so entries naming a heading this file lacks are dropped. Returns the
/// report and whether it was a Trello board (whose fields are fixed, so nothing to map).
pub async fn import_pasted(
    pool: &PgPool,
    tx: &mut TenantTx,
    viewer: &Viewer,
    input: PastedImport,
) -> CoreResult<(ImportReport, bool)> {
    if input.xlsx.is_none() && input.text.trim_start().starts_with('{') {
        let board = serde_json::from_str(&input.text)
            .map_err(|e| CoreError::invalid("board", format!("is not valid JSON ({e})")))?;
        let board = TrelloImport {
            project_id: input.project_id,
            board,
            dry_run: input.dry_run,
        };
        return Ok((import_trello(pool, tx, viewer, &board).await?, true));
    }
    let records = match &input.xlsx {
        Some(bytes) => super::xlsx::read_first_sheet(bytes)?,
        None => parse_csv(&input.text)?,
    };
    let present: Vec<String> = records
        .first()
        .map(|(_, h)| h.iter().map(|h| h.trim().to_owned()).collect())
        .unwrap_or_default();
    let mut mapping = HashMap::new();
    for (heading, field) in input.mapping {
        let heading = heading.trim().to_owned();
        if !present.contains(&heading) {
            continue;
        }
        let field = Field::parse(&field)
            .ok_or_else(|| CoreError::invalid("mapping", format!("{field:?} is not a field")))?;
        mapping.insert(heading, field);
    }
    let csv = CsvImport {
        project_id: input.project_id,
        csv: input.text,
        xlsx: input.xlsx,
        mapping,
        dry_run: input.dry_run,
    };
    Ok((import_csv(pool, tx, viewer, &csv).await?, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_read_as_spreadsheets_write_it() {
        let rows = parse_csv("\u{feff}Titel;Status\r\n\"Een; twee\";Klaar\r\n\r\n\"Zeg \"\"hallo\"\"\nop twee regels\";\n").unwrap();
        assert_eq!(
            rows,
            vec![
                (1, vec!["Titel".to_owned(), "Status".to_owned()]),
                (2, vec!["Een; twee".to_owned(), "Klaar".to_owned()]),
                (
                    4,
                    vec!["Zeg \"hallo\"\nop twee regels".to_owned(), String::new()]
                ),
            ]
        );
        assert!(parse_csv("Title\n\"open")
            .unwrap_err()
            .to_string()
            .starts_with("csv: "));
    }

    #[test]
    fn time_in_hours_or_hours_and_minutes() {
        assert_eq!(parse_minutes("1,5"), Some(90));
        assert_eq!(parse_minutes("1.25"), Some(75));
        assert_eq!(parse_minutes("2"), Some(120));
        assert_eq!(parse_minutes("1:30"), Some(90));
        assert_eq!(parse_minutes("0:05"), Some(5));
        assert_eq!(parse_minutes("1:75"), None);
        assert_eq!(parse_minutes("-1"), None);
        assert_eq!(parse_minutes("anderhalf"), None);
        assert_eq!(Field::guess("Uurtarief"), Field::Rate);
        assert_eq!(Field::guess("Bestede tijd"), Field::Time);
    }

    #[test]
    fn dates_statuses_and_headings_in_four_languages() {
        let d = Date::from_calendar_date(2026, Month::December, 31).unwrap();
        for text in ["31/12/2026", "31-12-2026", "31.12.2026", "2026-12-31"] {
            assert_eq!(parse_date(text), Some(d), "{text}");
        }
        for bad in ["12/31/2026", "31/12/26", "2026-02-30", "soon"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(parse_status("Klaar"), Some("done"));
        assert_eq!(parse_status("en cours"), Some("in_progress"));
        assert_eq!(parse_status("in_progress"), Some("in_progress"));
        assert_eq!(parse_status("later"), None);
        assert_eq!(parse_priority("Dringend"), Some("urgent"));
        assert_eq!(Field::guess(" Titre "), Field::Title);
        assert_eq!(Field::guess("Vervaldatum"), Field::Due);
        assert_eq!(Field::guess("Kleur"), Field::Ignore);
    }
}
