//! Bringing a Bastion export back (issue 18): the archive the export builds
//! (`privacy::exports`), imported into a new, empty workspace, recreates its projects, tasks,
//! tags, viewers, watchers, comments, time entries, attachments, checklists, relations,
//! recurrences, custom fields and saved views, row for row. A team that exported to leave, or to
//! move to another server or region, can come back with its work.
//!
//! - **New ids.** Every row gets a new id and every reference is rewritten to it (mentions in
//!   comments and descriptions, and the ids in saved views' queries, too), so an archive brought
//!   back twice, or next to its origin on the same server, never shares an id with another
//!   workspace. Everything else, instants of creation included, is kept as exported.
//! - **People by email.** The archive's people (`people.json`) are matched to this workspace's
//!   active members by email address; the admin maps anyone else to a member of their choice,
//!   or invites them first and imports once they joined. Nobody is added to the workspace by an
//!   import, and no row is attributed to a guess.
//! - **Checked whole, all or nothing.** References that point nowhere, rows the tables' own
//!   checks refuse and files missing from the archive are named (file, row and why); any
//!   problem imports nothing. A dry run does everything but store the files and rolls back.
//! - **History** records every row as created by the importing admin (the tables' history
//!   triggers, in the same transaction); chat channels are not told of each row.
//! - What is left out, and why, is [`LEFT_OUT`]; a test holds every exported table to being
//!   either imported here or listed there.

use std::{
    collections::{HashMap, HashSet},
    io::{Cursor, Read},
};

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;

use bastion_policy as policy;

use crate::{attachments::Objects, ensure, CoreError, CoreResult, TenantTx, Viewer, WorkspaceId};

/// How one table of the archive comes back.
struct Spec {
    table: &'static str,
    /// The column holding the row's own id, replaced by a new one.
    key: Option<&'static str>,
    /// Columns naming a row of another (or the same) table, and that table.
    refs: &'static [(&'static str, &'static str)],
    /// Columns naming a person.
    people: &'static [&'static str],
    /// Text that may hold ids (mentions `@[id]`, saved views' filters).
    texts: &'static [&'static str],
}

/// The tables brought back, in an order where every reference points at a table before it.
const TABLES: &[Spec] = &[
    Spec {
        table: "projects",
        key: Some("id"),
        refs: &[],
        people: &["created_by"],
        texts: &[],
    },
    Spec {
        table: "tags",
        key: Some("id"),
        refs: &[],
        people: &[],
        texts: &[],
    },
    Spec {
        table: "tasks",
        key: Some("id"),
        refs: &[
            ("project_id", "projects"),
            ("parent_id", "tasks"),
            ("recurred_from", "tasks"),
        ],
        people: &["assignee_id", "created_by"],
        texts: &["description"],
    },
    Spec {
        table: "task_tags",
        key: None,
        refs: &[("task_id", "tasks"), ("tag_id", "tags")],
        people: &[],
        texts: &[],
    },
    Spec {
        table: "task_viewers",
        key: None,
        refs: &[("task_id", "tasks")],
        people: &["user_id"],
        texts: &[],
    },
    Spec {
        table: "task_watchers",
        key: None,
        refs: &[("task_id", "tasks")],
        people: &["user_id"],
        texts: &[],
    },
    Spec {
        table: "task_unwatched",
        key: None,
        refs: &[("task_id", "tasks")],
        people: &["user_id"],
        texts: &[],
    },
    Spec {
        table: "comments",
        key: Some("id"),
        refs: &[("task_id", "tasks")],
        people: &["author_id"],
        texts: &["body"],
    },
    Spec {
        table: "time_entries",
        key: Some("id"),
        refs: &[("task_id", "tasks")],
        people: &["user_id"],
        texts: &[],
    },
    Spec {
        table: "attachments",
        key: Some("id"),
        refs: &[("task_id", "tasks")],
        people: &["uploader_id"],
        texts: &[],
    },
    Spec {
        table: "checklist_items",
        key: Some("id"),
        refs: &[("task_id", "tasks")],
        people: &["created_by"],
        texts: &[],
    },
    Spec {
        table: "task_relations",
        key: Some("id"),
        refs: &[("task_id", "tasks"), ("other_id", "tasks")],
        people: &["created_by"],
        texts: &[],
    },
    Spec {
        table: "task_recurrences",
        key: Some("id"),
        refs: &[("task_id", "tasks")],
        people: &["created_by"],
        texts: &[],
    },
    Spec {
        table: "custom_fields",
        key: Some("id"),
        refs: &[("project_id", "projects")],
        people: &["created_by"],
        texts: &[],
    },
    Spec {
        table: "task_field_values",
        key: Some("id"),
        refs: &[("task_id", "tasks"), ("field_id", "custom_fields")],
        people: &["updated_by", "value_person"],
        texts: &[],
    },
    Spec {
        table: "saved_views",
        key: Some("id"),
        refs: &[],
        people: &["owner_id"],
        texts: &["query"],
    },
    Spec {
        table: "notification_preferences",
        key: None,
        refs: &[],
        people: &["user_id"],
        texts: &[],
    },
    Spec {
        table: "due_reminders",
        key: None,
        refs: &[("task_id", "tasks")],
        people: &[],
        texts: &[],
    },
    Spec {
        table: "imports",
        key: Some("id"),
        refs: &[("project_id", "projects")],
        people: &["created_by"],
        texts: &[],
    },
];

/// The tables brought back, in the order they are written.
pub fn brought_back() -> impl Iterator<Item = &'static str> {
    TABLES.iter().map(|s| s.table)
}

/// Exported tables that are not brought back, and why (shown in every report).
pub const LEFT_OUT: &[(&str, &str)] = &[
    (
        "members",
        "the people of this workspace are its own; the archive's people are matched to them",
    ),
    (
        "integrations",
        "their tokens are not in the archive; connect them again",
    ),
    (
        "webhook_endpoints",
        "their signing secrets are not in the archive; add the endpoints again",
    ),
    ("webhook_deliveries", "the old workspace's delivery log"),
    ("webhook_attempts", "the old workspace's delivery log"),
    (
        "chat_notifications",
        "they post through integrations, whose tokens are not in the archive",
    ),
    ("chat_deliveries", "the old workspace's delivery log"),
    (
        "notifications",
        "the old workspace's inboxes; bringing them back would announce old news again",
    ),
    (
        "live_events",
        "the old workspace's live updates, already delivered",
    ),
];

/// Everything wrong with an archive is listed before anything is written, up to this many.
const MAX_PROBLEMS: usize = 200;

/// What the caller gives.
#[derive(Debug, Clone, Default)]
pub struct ArchiveImport {
    /// The zip archive as the export made it.
    pub archive: Bytes,
    /// The admin's choices for the archive's people: their email → a member's email.
    pub people: HashMap<String, String>,
    pub dry_run: bool,
}

/// How a person of the archive is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Matched {
    /// A member with the same email address.
    Email,
    /// The member the admin chose.
    Chosen,
    /// Nobody yet: the import is refused until they are mapped or have joined.
    No,
    /// Nobody, and no row is theirs: nothing to match.
    Unused,
}

/// A person of the archive and who they are here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonMatch {
    pub email: String,
    pub name: String,
    /// The member's email address their rows go to.
    pub member: Option<String>,
    pub matched: Matched,
}

/// Rows of one table brought back (or that would be).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCount {
    pub table: String,
    pub rows: usize,
}

/// Something in the archive that cannot be brought back: the file, the row (1 = the first
/// row of the file's JSON array) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveProblem {
    pub file: String,
    pub row: Option<usize>,
    pub message: String,
}

/// What an import of an archive did or (dry run) would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveReport {
    pub dry_run: bool,
    /// The name of the workspace the archive was exported from.
    pub source: String,
    pub tables: Vec<TableCount>,
    /// Attachment files stored (or that would be).
    pub files: usize,
    pub people: Vec<PersonMatch>,
    /// This workspace's members by email address: whom a person can be mapped to.
    pub members: Vec<String>,
    /// Tables of the archive not brought back, each with why.
    pub left_out: Vec<TableCount>,
    pub problems: Vec<ArchiveProblem>,
}

type Zip = zip::ZipArchive<Cursor<Bytes>>;
/// A row of the archive: its place in its file (from 1) and its values.
type Row = (usize, Map<String, Value>);

fn read_entry(zip: &mut Zip, name: &str, max: u64) -> CoreResult<Option<Vec<u8>>> {
    let mut file = match zip.by_name(name) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(CoreError::invalid("archive", format!("{name}: {e}"))),
    };
    if file.size() > max {
        return Err(CoreError::invalid(
            "archive",
            format!("{name} is larger than {max} bytes"),
        ));
    }
    let mut bytes = Vec::with_capacity(file.size() as usize);
    file.by_ref()
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CoreError::invalid("archive", format!("{name}: {e}")))?;
    Ok(Some(bytes))
}

fn read_json(zip: &mut Zip, name: &str, max: u64) -> CoreResult<Option<Value>> {
    match read_entry(zip, name, max)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| CoreError::invalid("archive", format!("{name} is not valid JSON: {e}"))),
    }
}

/// `text` with every id the map knows replaced by its new one (ids it does not know are left).
fn remap_text(text: &str, map: &dyn Fn(Uuid) -> Option<Uuid>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i + 36 <= bytes.len() {
        let candidate = &bytes[i..i + 36];
        let shaped = candidate.iter().enumerate().all(|(k, b)| match k {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
        if shaped {
            if let Some(new) = std::str::from_utf8(candidate)
                .ok()
                .and_then(|s| Uuid::parse_str(s).ok())
                .and_then(map)
            {
                out.push_str(&text[copied..i]);
                out.push_str(&new.to_string());
                i += 36;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// Tasks ordered so that a parent, and the task a recurrence came from, come first (a row-by-row
/// check inserts them in this order).
fn parents_first(rows: Vec<Map<String, Value>>) -> Vec<(usize, Map<String, Value>)> {
    let ids: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.get("id")
                .and_then(Value::as_str)
                .map(|id| (id.to_owned(), i))
        })
        .collect();
    let mut placed = vec![false; rows.len()];
    let mut order = Vec::with_capacity(rows.len());
    for start in 0..rows.len() {
        // Walk up the chain of not yet placed parents, then place it top down.
        let mut chain = vec![start];
        let mut seen = HashSet::from([start]);
        while let Some(&last) = chain.last() {
            let up = ["parent_id", "recurred_from"].iter().find_map(|c| {
                rows[last]
                    .get(*c)
                    .and_then(Value::as_str)
                    .and_then(|p| ids.get(p))
                    .copied()
                    .filter(|p| !placed[*p] && !seen.contains(p))
            });
            match up {
                Some(p) => {
                    seen.insert(p);
                    chain.push(p);
                }
                None => break,
            }
        }
        for i in chain.into_iter().rev() {
            if !placed[i] {
                placed[i] = true;
                order.push(i);
            }
        }
    }
    let mut rows: Vec<Option<Map<String, Value>>> = rows.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|i| (i + 1, rows[i].take().unwrap_or_default()))
        .collect()
}

/// The column a check, unique or reference constraint of `table` is about, from its name
/// (PostgreSQL names them `<table>_<column>_check`, `_key`, `_fkey`, `_idx`).
fn constraint_column(table: &str, constraint: &str) -> Option<String> {
    let rest = constraint.strip_prefix(table)?.strip_prefix('_')?;
    let column = ["_check", "_fkey", "_key", "_idx"]
        .iter()
        .find_map(|s| rest.strip_suffix(s))?;
    (!column.is_empty()).then(|| column.to_owned())
}

fn database_problem(table: &str, error: &sqlx::Error) -> String {
    match error.as_database_error() {
        Some(db) => {
            let what = match db.code().as_deref() {
                Some("23505") => "repeats a value that must be unique",
                Some("23503") => "names a row that is not there",
                Some("23514") => "breaks the table's rules",
                Some("23502") => "lacks a value that is required",
                _ => "is refused",
            };
            match db.constraint().and_then(|c| constraint_column(table, c)) {
                Some(column) => format!("{column}: {what} ({})", db.message()),
                None => format!("{what} ({})", db.message()),
            }
        }
        None => error.to_string(),
    }
}

/// The columns of a table of this workspace, for the rows' keys to be checked against.
async fn columns_of(tx: &mut TenantTx, table: &str) -> CoreResult<HashSet<String>> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT a.attname::text FROM pg_attribute a
          WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(table)
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .collect())
}

/// Inserts `rows` (already rewritten) into `table`; on a refusal, inserts them one by one to
/// name each refused row. Returns the problems.
async fn insert(
    tx: &mut TenantTx,
    table: &str,
    columns: &[String],
    linking: bool,
    rows: &[(usize, Map<String, Value>)],
) -> CoreResult<Vec<ArchiveProblem>> {
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    // A link row twice (two people of the archive mapped to one member) is one link.
    let conflict = if linking {
        " ON CONFLICT DO NOTHING"
    } else {
        ""
    };
    let many = format!(
        "INSERT INTO {table} ({list}) SELECT {list} FROM jsonb_populate_recordset(NULL::{table}, $1){conflict}"
    );
    let all = Value::Array(rows.iter().map(|(_, r)| Value::Object(r.clone())).collect());
    sqlx::query("SAVEPOINT restore_table")
        .execute(tx.conn())
        .await?;
    let done = sqlx::query(AssertSqlSafe(many.clone()))
        .bind(&all)
        .execute(tx.conn())
        .await;
    if done.is_ok() {
        sqlx::query("RELEASE SAVEPOINT restore_table")
            .execute(tx.conn())
            .await?;
        return Ok(Vec::new());
    }
    sqlx::query("ROLLBACK TO SAVEPOINT restore_table")
        .execute(tx.conn())
        .await?;
    let mut problems = Vec::new();
    for (row, values) in rows {
        sqlx::query("SAVEPOINT restore_row")
            .execute(tx.conn())
            .await?;
        let one = sqlx::query(AssertSqlSafe(many.clone()))
            .bind(Value::Array(vec![Value::Object(values.clone())]))
            .execute(tx.conn())
            .await;
        match one {
            Ok(_) => {
                sqlx::query("RELEASE SAVEPOINT restore_row")
                    .execute(tx.conn())
                    .await?;
            }
            Err(e) => {
                sqlx::query("ROLLBACK TO SAVEPOINT restore_row")
                    .execute(tx.conn())
                    .await?;
                problems.push(ArchiveProblem {
                    file: format!("{table}.json"),
                    row: Some(*row),
                    message: database_problem(table, &e),
                });
                if problems.len() >= MAX_PROBLEMS {
                    break;
                }
            }
        }
    }
    problems.sort_by_key(|p| p.row);
    if problems.is_empty() {
        // Refused whole but no row alone: name the table.
        let e = done.err().map(|e| database_problem(table, &e));
        problems.push(ArchiveProblem {
            file: format!("{table}.json"),
            row: None,
            message: e.unwrap_or_default(),
        });
    }
    sqlx::query("RELEASE SAVEPOINT restore_table")
        .execute(tx.conn())
        .await
        .ok();
    Ok(problems)
}

/// Whether the viewer may bring an archive back (admins: an archive holds every member's
/// work). Asked before an archive's bytes are read, so a refused one is never received, and
/// again by [`import_archive`].
pub fn check_import(viewer: &Viewer) -> CoreResult<()> {
    ensure(
        policy::can_import_archive(viewer.role),
        "Only workspace admins bring an export archive back.",
    )
}

/// Brings the archive `input.archive` back into `workspace`, which must hold no project and no
/// tag yet, as the viewer (admins only: an archive holds every member's work). Or, with
/// `dry_run`, reports what it would do; the caller rolls a dry run back, and the transaction of
/// a refused import too (every door does with an error). `pool` reads the members' email
/// addresses (the control plane's); `max_file` is the largest attachment taken (the upload
/// limit). Files are stored in object storage before the caller commits; should the commit then
/// fail, they remain as objects without rows, removed with the workspace's prefix.
pub async fn import_archive(
    pool: &PgPool,
    objects: &Objects,
    tx: &mut TenantTx,
    workspace: WorkspaceId,
    viewer: &Viewer,
    input: &ArchiveImport,
    max_file: u64,
) -> CoreResult<ArchiveReport> {
    check_import(viewer)?;
    let (projects, tags): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM tags)")
            .fetch_one(tx.conn())
            .await?;
    if projects + tags > 0 {
        return Err(CoreError::conflict(
            "this workspace already holds projects or tags: bring an archive back into a new, \
             empty workspace; nothing was imported",
        ));
    }

    let size = input.archive.len() as u64;
    let mut zip = zip::ZipArchive::new(Cursor::new(input.archive.clone()))
        .map_err(|_| CoreError::invalid("archive", "is not a zip archive"))?;
    let manifest = read_json(&mut zip, "manifest.json", size)?
        .filter(|m| m.get("tables").is_some_and(Value::is_array))
        .ok_or_else(|| {
            CoreError::invalid(
                "archive",
                "has no manifest.json listing its tables: it is not an archive Bastion exported",
            )
        })?;
    let source = manifest
        .pointer("/workspace/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let exported: Vec<String> = manifest["tables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut problems: Vec<ArchiveProblem> = Vec::new();

    // People: matched by email, or as the admin chose; anyone else is named once the rows
    // say whether any of them is theirs.
    // Rows may name deactivated members too: their work stays theirs.
    let members = super::import::member_emails(pool, tx, false).await?;
    let chosen: HashMap<String, String> = input
        .people
        .iter()
        .map(|(from, to)| (from.trim().to_lowercase(), to.trim().to_lowercase()))
        .collect();
    let listed = read_json(&mut zip, "people.json", size)?.unwrap_or(Value::Array(Vec::new()));
    let mut people = Vec::new();
    let mut person_ids: HashMap<Uuid, Uuid> = HashMap::new();
    let mut unmatched: HashMap<Uuid, (usize, usize)> = HashMap::new();
    let mut mis_mapped: HashSet<Uuid> = HashSet::new();
    for (i, person) in listed.as_array().into_iter().flatten().enumerate() {
        let id = person
            .get("user_id")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok());
        let email = person
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        let name = person
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(id) = id.filter(|_| !email.is_empty()) else {
            problems.push(ArchiveProblem {
                file: "people.json".into(),
                row: Some(i + 1),
                message: "a person needs a user_id and an email".into(),
            });
            continue;
        };
        let (member, matched) = match chosen.get(&email) {
            Some(to) => match members.get(to) {
                Some(member) => (Some((to.clone(), *member)), Matched::Chosen),
                None => {
                    mis_mapped.insert(id);
                    problems.push(ArchiveProblem {
                        file: "people.json".into(),
                        row: Some(i + 1),
                        message: format!("{email} is mapped to {to}, who is not a member here"),
                    });
                    (None, Matched::No)
                }
            },
            None => match members.get(&email) {
                Some(member) => (Some((email.clone(), *member)), Matched::Email),
                None => {
                    unmatched.insert(id, (i + 1, people.len()));
                    (None, Matched::No)
                }
            },
        };
        if let Some((_, member)) = &member {
            person_ids.insert(id, *member);
        }
        people.push(PersonMatch {
            email,
            name,
            member: member.map(|(e, _)| e),
            matched,
        });
    }
    let mut named: HashSet<Uuid> = HashSet::new();

    // Every row rewritten and checked before anything is written.
    let mut ids: HashMap<&str, HashMap<Uuid, Uuid>> = HashMap::new();
    let mut planned: Vec<(&Spec, Vec<String>, Vec<Row>)> = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for spec in TABLES {
        let file = format!("{}.json", spec.table);
        let rows = match read_json(&mut zip, &file, size)? {
            Some(Value::Array(rows)) => rows,
            Some(_) => {
                problems.push(ArchiveProblem {
                    file,
                    row: None,
                    message: "must be a JSON array of rows".into(),
                });
                continue;
            }
            // An archive from before the table existed.
            None if !exported.iter().any(|t| t == spec.table) => Vec::new(),
            None => {
                problems.push(ArchiveProblem {
                    file,
                    row: None,
                    message: "is listed in manifest.json but missing from the archive".into(),
                });
                continue;
            }
        };
        let known = columns_of(tx, spec.table).await?;
        let mut objects_rows = Vec::with_capacity(rows.len());
        for (i, row) in rows.into_iter().enumerate() {
            match row {
                Value::Object(map) => objects_rows.push(map),
                _ => problems.push(ArchiveProblem {
                    file: file.clone(),
                    row: Some(i + 1),
                    message: "must be a JSON object".into(),
                }),
            }
        }
        let ordered = if spec.table == "tasks" {
            parents_first(objects_rows)
        } else {
            objects_rows
                .into_iter()
                .enumerate()
                .map(|(i, r)| (i + 1, r))
                .collect()
        };
        let mut columns: Vec<String> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        // New ids first, so that a row may name one after it (a subtask's parent).
        let mut fresh: HashMap<Uuid, Uuid> = HashMap::new();
        if let Some(key) = spec.key {
            for (row, values) in &ordered {
                match values.get(key).and_then(Value::as_str).map(Uuid::parse_str) {
                    Some(Ok(old)) => {
                        if fresh.insert(old, Uuid::new_v4()).is_some() {
                            problems.push(ArchiveProblem {
                                file: file.clone(),
                                row: Some(*row),
                                message: format!("{key}: {old} is on two rows"),
                            });
                        }
                    }
                    _ => problems.push(ArchiveProblem {
                        file: file.clone(),
                        row: Some(*row),
                        message: format!("{key}: must be an id"),
                    }),
                }
            }
        }
        ids.insert(spec.table, fresh);
        let mut rewritten = Vec::with_capacity(ordered.len());
        for (row, mut values) in ordered {
            let mut wrong = |message: String| {
                if problems.len() < MAX_PROBLEMS {
                    problems.push(ArchiveProblem {
                        file: file.clone(),
                        row: Some(row),
                        message,
                    });
                }
            };
            values.retain(|column, _| {
                let keep = known.contains(column);
                if !keep && !unknown.contains(column) {
                    unknown.push(column.clone());
                }
                keep
            });
            let mut own: Option<(Uuid, Uuid)> = None;
            if let Some(key) = spec.key {
                own = values
                    .get(key)
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .and_then(|old| ids[spec.table].get(&old).map(|new| (old, *new)));
                if let Some((_, new)) = own {
                    values.insert(key.into(), Value::String(new.to_string()));
                }
            }
            for (column, table) in spec.refs {
                let Some(value) = values.get(*column).filter(|v| !v.is_null()) else {
                    continue;
                };
                let new = value
                    .as_str()
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .and_then(|old| ids.get(table).and_then(|m| m.get(&old)).copied());
                match new {
                    Some(new) => {
                        values.insert((*column).into(), Value::String(new.to_string()));
                    }
                    None => wrong(format!("{column}: names no row of {table}.json")),
                }
            }
            for column in spec.people {
                let Some(value) = values.get(*column).filter(|v| !v.is_null()) else {
                    continue;
                };
                let old = value.as_str().and_then(|s| Uuid::parse_str(s).ok());
                match old.and_then(|old| person_ids.get(&old).copied()) {
                    Some(new) => {
                        values.insert((*column).into(), Value::String(new.to_string()));
                    }
                    // Unmatched people are named once, in people.json.
                    None if old.is_some_and(|old| unmatched.contains_key(&old)) => {
                        named.extend(old);
                    }
                    None if old.is_some_and(|old| mis_mapped.contains(&old)) => {}
                    None => wrong(format!("{column}: names nobody of people.json")),
                }
            }
            for column in spec.texts {
                if let Some(Value::String(text)) = values.get(*column) {
                    let text = remap_text(text, &|old| {
                        person_ids
                            .get(&old)
                            .or_else(|| ids.values().find_map(|m| m.get(&old)))
                            .copied()
                    });
                    values.insert((*column).into(), Value::String(text));
                }
            }
            if spec.table == "attachments" {
                let filename = values
                    .get("filename")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                // The invariants an upload keeps hold for a file brought back too.
                match crate::attachments::sanitize_filename(&filename) {
                    Ok(clean) => {
                        values.insert("filename".into(), Value::String(clean));
                    }
                    Err(_) => wrong("filename: must name a file".into()),
                }
                let content_type = crate::attachments::normalize_content_type(
                    values.get("content_type").and_then(Value::as_str),
                );
                values.insert("content_type".into(), Value::String(content_type));
                if let Some((old, new)) = own {
                    let entry = format!("files/{old}/{filename}");
                    match zip.by_name(&entry).map(|f| f.size()) {
                        Ok(bytes) if bytes <= max_file => {
                            values.insert("size_bytes".into(), Value::from(bytes));
                            let key = Objects::key(workspace, new);
                            values.insert("object_key".into(), Value::String(key.clone()));
                            files.push((entry, key));
                        }
                        Ok(_) => wrong(format!(
                            "{entry} is larger than the upload limit ({max_file} bytes)"
                        )),
                        Err(_) => wrong(format!("{entry} is missing from the archive")),
                    }
                }
            }
            for column in values.keys() {
                if !columns.contains(column) {
                    columns.push(column.clone());
                }
            }
            rewritten.push((row, values));
        }
        if !unknown.is_empty() {
            problems.push(ArchiveProblem {
                file: file.clone(),
                row: None,
                message: format!(
                    "has columns this server does not know ({}): the archive is from a newer \
                     Bastion",
                    unknown.join(", ")
                ),
            });
        }
        planned.push((spec, columns, rewritten));
    }

    // Someone whose name is on no row needs no match.
    for (id, (row, at)) in &unmatched {
        let person = &mut people[*at];
        if named.contains(id) {
            problems.push(ArchiveProblem {
                file: "people.json".into(),
                row: Some(*row),
                message: format!(
                    "{} ({}) is not a member here: invite them and import once they joined, or \
                     map them to a member",
                    person.email, person.name
                ),
            });
        } else {
            person.matched = Matched::Unused;
        }
    }
    problems.sort_by(|a, b| (&a.file, a.row).cmp(&(&b.file, b.row)));

    // Written in the caller's transaction, table by table, and checked by the tables' own rules.
    sqlx::query("SET LOCAL bastion.bulk_import = 'on'")
        .execute(tx.conn())
        .await?;
    let mut tables = Vec::new();
    if problems.is_empty() {
        for (spec, columns, rows) in &planned {
            if !rows.is_empty() {
                let refused = insert(tx, spec.table, columns, spec.key.is_none(), rows).await?;
                if !refused.is_empty() {
                    problems.extend(refused);
                    break;
                }
            }
            tables.push(TableCount {
                table: spec.table.to_owned(),
                rows: rows.len(),
            });
        }
        // A project's counter never behind its tasks' numbers, or the next task would
        // collide with an imported one.
        sqlx::query(
            "UPDATE projects p SET last_task_number = m.top
               FROM (SELECT project_id, max(number) AS top FROM tasks GROUP BY project_id) m
              WHERE m.project_id = p.id AND p.last_task_number < m.top",
        )
        .execute(tx.conn())
        .await?;
    } else {
        tables = planned
            .iter()
            .map(|(spec, _, rows)| TableCount {
                table: spec.table.to_owned(),
                rows: rows.len(),
            })
            .collect();
    }

    let left_out = exported
        .iter()
        .filter(|t| !TABLES.iter().any(|s| s.table == *t))
        .map(|t| TableCount {
            table: t.clone(),
            rows: manifest["tables"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| m.get("name").and_then(Value::as_str) == Some(t))
                .and_then(|m| m.get("rows").and_then(Value::as_u64))
                .unwrap_or(0) as usize,
        })
        .collect();
    problems.truncate(MAX_PROBLEMS);
    let report = ArchiveReport {
        dry_run: input.dry_run,
        source,
        tables,
        files: files.len(),
        people,
        members: {
            let mut emails: Vec<String> = members.into_keys().collect();
            emails.sort();
            emails
        },
        left_out,
        problems,
    };
    if !report.problems.is_empty() {
        if input.dry_run {
            return Ok(report);
        }
        let listed: Vec<String> = report
            .problems
            .iter()
            .take(20)
            .map(|p| match p.row {
                Some(row) => format!("{} row {row}: {}", p.file, p.message),
                None => format!("{}: {}", p.file, p.message),
            })
            .collect();
        return Err(CoreError::invalid(
            "archive",
            format!(
                "{} problems, so nothing was imported: {}{}",
                report.problems.len(),
                listed.join("; "),
                if report.problems.len() > 20 {
                    "; …"
                } else {
                    ""
                }
            ),
        ));
    }
    if input.dry_run {
        return Ok(report);
    }

    // The files last, once every row is in: one at a time, each no larger than an upload.
    let mut stored: Vec<&str> = Vec::new();
    for (entry, key) in &files {
        let put = match read_entry(&mut zip, entry, max_file) {
            Ok(Some(bytes)) => objects.put(key, Bytes::from(bytes)).await,
            Ok(None) => Err(CoreError::invalid(
                "archive",
                format!("{entry} is missing from the archive"),
            )),
            Err(e) => Err(e),
        };
        if let Err(e) = put {
            for key in stored {
                if let Err(cleanup) = objects.delete(key).await {
                    tracing::warn!(key, error = %cleanup, "could not remove a file of a failed import");
                }
            }
            return Err(e);
        }
        stored.push(key);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_text_are_rewritten_and_the_rest_kept() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let unknown = Uuid::new_v4();
        let text = format!("Hi @[{a}] and @[{unknown}], see project={a}&x=1 — {a}");
        let out = remap_text(&text, &|id| (id == a).then_some(b));
        assert_eq!(
            out,
            format!("Hi @[{b}] and @[{unknown}], see project={b}&x=1 — {b}")
        );
        assert_eq!(remap_text("no ids — déjà", &|_| Some(b)), "no ids — déjà");
    }

    #[test]
    fn parents_come_before_their_subtasks() {
        let row = |id: &str, parent: Option<&str>| {
            let mut m = Map::new();
            m.insert("id".into(), Value::from(id));
            if let Some(p) = parent {
                m.insert("parent_id".into(), Value::from(p));
            }
            m
        };
        let rows = vec![
            row("c", Some("b")),
            row("a", None),
            row("b", Some("a")),
            row("loop1", Some("loop2")),
            row("loop2", Some("loop1")),
        ];
        let order: Vec<String> = parents_first(rows)
            .into_iter()
            .map(|(_, r)| r["id"].as_str().unwrap().to_owned())
            .collect();
        let at = |id: &str| order.iter().position(|o| o == id).unwrap();
        assert!(at("a") < at("b") && at("b") < at("c"), "{order:?}");
        assert_eq!(order.len(), 5);
    }

    #[test]
    fn constraint_names_give_their_column() {
        assert_eq!(
            constraint_column("tasks", "tasks_title_check").as_deref(),
            Some("title")
        );
        assert_eq!(
            constraint_column("tasks", "tasks_project_id_fkey").as_deref(),
            Some("project_id")
        );
        assert_eq!(constraint_column("tasks", "other_check"), None);
    }
}
