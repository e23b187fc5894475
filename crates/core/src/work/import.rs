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

use super::{tags, tasks};
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
    /// Not imported.
    Ignore,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::Title,
        Field::Description,
        Field::Status,
        Field::Priority,
        Field::Assignee,
        Field::Due,
        Field::Tags,
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
    /// Overrides of the guessed mapping: heading → field.
    pub mapping: HashMap<String, Field>,
    pub dry_run: bool,
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

/// Imports `input.csv` into `input.project_id` as the viewer (admins and members, who may
/// create tasks), or reports what it would do. All or nothing: when a row is refused, the
/// import is an `Invalid` error naming every refused row (the caller's transaction must then
/// be rolled back, as every door does with an error); a dry run reports them one by one, and
/// the caller rolls it back too. `pool` reads the members' email addresses (the control plane's), to match assignees.
pub async fn import_csv(
    pool: &PgPool,
    tx: &mut TenantTx,
    viewer: &Viewer,
    input: &CsvImport,
) -> CoreResult<ImportReport> {
    ensure(
        policy::can_create_task(viewer.role),
        "Guests cannot import tasks.",
    )?;
    if input.csv.len() > MAX_BYTES {
        return Err(CoreError::invalid(
            "csv",
            format!("must be at most {} MiB", MAX_BYTES / 1024 / 1024),
        ));
    }
    let mut records = parse_csv(&input.csv)?.into_iter();
    let Some((_, headings)) = records.next() else {
        return Err(CoreError::invalid(
            "csv",
            "is empty: the first line must hold the headings",
        ));
    };
    let rows: Vec<(usize, Vec<String>)> = records.collect();
    if rows.len() > MAX_ROWS {
        return Err(CoreError::invalid(
            "csv",
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
    let title_columns = columns.iter().filter(|c| c.field == Field::Title).count();
    if title_columns != 1 {
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
    let digest: String = Sha256::digest(input.csv.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let earlier: Option<OffsetDateTime> =
        sqlx::query_scalar("SELECT created_at FROM imports WHERE project_id = $1 AND sha256 = $2")
            .bind(input.project_id)
            .bind(&digest)
            .fetch_optional(tx.conn())
            .await?;
    if let Some(at) = earlier {
        return Err(CoreError::conflict(format!(
            "this file was already imported into this project on {}; nothing was created",
            at.date()
        )));
    }

    // Members by email, for assignees.
    let members = crate::members::list_members(tx).await?;
    let ids: Vec<Uuid> = members
        .iter()
        .filter(|m| m.active)
        .map(|m| m.user_id)
        .collect();
    let emails: HashMap<String, Uuid> = sqlx::query_as::<_, (String, Uuid)>(
        "SELECT lower(email), id FROM users WHERE id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let mut known_tags: HashMap<String, Uuid> = tags::list_tags(tx, viewer)
        .await?
        .into_iter()
        .map(|t| (t.name.to_lowercase(), t.id))
        .collect();

    // Rows first, every one, so that the report names them all; then the writes, each behind a
    // savepoint, so one refused by the task's own checks is named too and the rest go on.
    // (`SET LOCAL`, not `set_config`: the role boundary refuses the function, which could name
    // `role`.)
    sqlx::query("SET LOCAL bastion.bulk_import = 'on'")
        .execute(tx.conn())
        .await?;
    let mut errors = Vec::new();
    let mut new_tags = Vec::new();
    let mut created = 0;
    let at = |f: Field| columns.iter().position(|c| c.field == f);
    for (line, row) in &rows {
        let cell = |f: Field| {
            at(f)
                .and_then(|i| row.get(i))
                .map(|s| s.trim())
                .unwrap_or("")
        };
        let heading = |f: Field| at(f).map(|i| columns[i].heading.clone());
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
        let tag_names: Vec<String> = cell(Field::Tags)
            .split([',', ';'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        let description = match cell(Field::Description) {
            "" => None,
            d => Some(d.to_owned()),
        };
        sqlx::query("SAVEPOINT import_row")
            .execute(tx.conn())
            .await?;
        let written: CoreResult<()> = async {
            let task = tasks::create_task(
                tx,
                viewer,
                tasks::NewTask {
                    project_id: input.project_id,
                    title: cell(Field::Title).to_owned(),
                    description,
                    status,
                    priority,
                    assignee_id: assignee,
                    due_on,
                    private: false,
                },
            )
            .await?;
            for name in &tag_names {
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
                    _ => None,
                };
                errors.push(RowError {
                    line: *line,
                    column: column.and_then(heading),
                    message: if column.is_some() {
                        message
                    } else {
                        format!("{field}: {message}")
                    },
                });
            }
            Err(CoreError::Conflict { message, .. }) if !tag_names.is_empty() => {
                sqlx::query("ROLLBACK TO SAVEPOINT import_row")
                    .execute(tx.conn())
                    .await?;
                errors.push(RowError {
                    line: *line,
                    column: heading(Field::Tags),
                    message,
                });
            }
            Err(other) => return Err(other),
        }
    }
    if !input.dry_run && !errors.is_empty() {
        let listed: Vec<String> = errors
            .iter()
            .map(|e| match &e.column {
                Some(column) => format!("line {} ({column}): {}", e.line, e.message),
                None => format!("line {}: {}", e.line, e.message),
            })
            .collect();
        return Err(CoreError::invalid(
            "csv",
            format!(
                "{} of {} rows are refused, so nothing was imported: {}",
                errors.len(),
                rows.len(),
                listed.join("; ")
            ),
        ));
    }
    let report = ImportReport {
        dry_run: input.dry_run,
        columns,
        rows: rows.len(),
        created: if input.dry_run { 0 } else { created },
        new_tags,
        errors,
    };
    if !input.dry_run && report.errors.is_empty() {
        sqlx::query(
            "INSERT INTO imports (id, project_id, sha256, kind, rows, created_by)
             VALUES ($1, $2, $3, 'csv', $4, $5)",
        )
        .bind(Uuid::new_v4())
        .bind(input.project_id)
        .bind(&digest)
        .bind(i32::try_from(report.created).unwrap_or(i32::MAX))
        .bind(viewer.user_id)
        .execute(tx.conn())
        .await?;
    }
    Ok(report)
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
