//! Projects: the buckets tasks live in. Admins and members see every project; a guest sees only
//! the projects holding a task they view. Admins and members create, rename and archive them.

use bastion_policy as policy;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{trimmed, Position, Viewer, VISIBLE};
use crate::{ensure, CoreError, CoreResult, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProjectRecord {
    pub id: Uuid,
    pub name: String,
    /// The prefix of its tasks' keys (`ACME` in `ACME-142`): 2–6 letters A–Z, unique in the
    /// workspace.
    pub key_prefix: String,
    pub archived: bool,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl ProjectRecord {
    pub fn position(&self) -> Position {
        Position {
            created_at: self.created_at,
            id: self.id,
        }
    }
}

const COLUMNS: &str = "p.id, p.name, p.key_prefix, p.archived, p.created_by, p.created_at";

/// `$1`/`$2` are the viewer; a guest needs a visible task in the project.
pub(crate) fn project_visible() -> String {
    format!(
        "($2 <> 'guest' OR EXISTS (SELECT 1 FROM tasks t WHERE t.project_id = p.id AND {VISIBLE}))"
    )
}

pub const NAME_MAX: usize = 200;

const REFUSED: &str = "Guests cannot create or change projects.";
const PREFIX_REFUSED: &str = "Only admins choose a project's key prefix.";

/// A prefix as an admin typed it, upper-cased: 2 to 6 letters A–Z.
pub fn check_prefix(prefix: &str) -> CoreResult<String> {
    let prefix = prefix.trim().to_ascii_uppercase();
    if (2..=6).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(prefix)
    } else {
        Err(CoreError::invalid(
            "key_prefix",
            "must be 2 to 6 letters A to Z, like ACME",
        ))
    }
}

/// The prefix a project named `name` gets when nobody chooses one: the initials of its words
/// when it has two or more (`Website relaunch` → `WR`), else the first four letters of its one
/// word (`Acme` → `ACME`); `PRJ` when that leaves fewer than two letters. Only the letters A–Z
/// count. Tenant migration 0012 gave existing projects theirs by the same rule.
pub fn derive_prefix(name: &str) -> String {
    let words: Vec<&str> = name
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let base: String = if words.len() >= 2 {
        words
            .iter()
            .filter_map(|w| w.chars().next())
            .take(6)
            .collect()
    } else {
        words
            .first()
            .map(|w| w.chars().take(4).collect())
            .unwrap_or_default()
    };
    let base = base.to_ascii_uppercase();
    if base.len() < 2 {
        "PRJ".to_owned()
    } else {
        base
    }
}

/// The `n`th alternative to a taken `base` (n ≥ 1): a letter appended (base cut to 5), then two
/// (base cut to 4); the same sequence as tenant migration 0012.
fn alternative(base: &str, n: u32) -> String {
    let letter = |i: u32| char::from(b'A' + u8::try_from(i % 26).unwrap_or(0));
    if n <= 26 {
        format!("{}{}", &base[..base.len().min(5)], letter(n - 1))
    } else {
        format!(
            "{}{}{}",
            &base[..base.len().min(4)],
            letter((n - 1) / 26 - 1),
            letter(n - 1)
        )
    }
}

/// Serialises the choice of prefixes in this workspace (a transaction-level lock named after the
/// schema), so two projects created at once never pick the same free prefix; the unique index
/// stays the guarantee.
async fn lock_prefixes(tx: &mut TenantTx) -> CoreResult<()> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended('bastion.key_prefix:' || current_schema(), 0))",
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A free prefix derived from `name` (see [`derive_prefix`]); call under [`lock_prefixes`].
async fn free_prefix(tx: &mut TenantTx, name: &str) -> CoreResult<String> {
    let base = derive_prefix(name);
    let taken: Vec<String> =
        sqlx::query_scalar("SELECT key_prefix FROM projects WHERE key_prefix LIKE $1 || '%'")
            .bind(&base[..base.len().min(4)])
            .fetch_all(tx.conn())
            .await?;
    if !taken.contains(&base) {
        return Ok(base);
    }
    (1..=26 * 27)
        .map(|n| alternative(&base, n))
        .find(|candidate| !taken.contains(candidate))
        .ok_or_else(|| CoreError::invalid("key_prefix", "no free prefix; choose one"))
}

/// Whether `prefix` is used by a project other than `except`.
async fn prefix_taken(tx: &mut TenantTx, prefix: &str, except: Option<Uuid>) -> CoreResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM projects WHERE key_prefix = $1 AND id IS DISTINCT FROM $2)",
    )
    .bind(prefix)
    .bind(except)
    .fetch_one(tx.conn())
    .await?)
}

const PREFIX_TAKEN: &str = "is already the prefix of another project";

/// The projects the viewer sees, oldest first, keyset-paginated on `(created_at, id)`.
/// Archived projects are left out unless `include_archived`.
pub async fn list_projects(
    tx: &mut TenantTx,
    viewer: &Viewer,
    include_archived: bool,
    after: Option<Position>,
    limit: u32,
) -> CoreResult<Vec<ProjectRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM projects p
         WHERE {visible}
           AND ($3 OR NOT p.archived)
           AND ($4::timestamptz IS NULL OR (p.created_at, p.id) > ($4, $5))
         ORDER BY p.created_at, p.id
         LIMIT $6",
        visible = project_visible()
    );
    Ok(sqlx::query_as::<_, ProjectRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(include_archived)
        .bind(after.map(|p| p.created_at))
        .bind(after.map(|p| p.id))
        .bind(i64::from(limit))
        .fetch_all(tx.conn())
        .await?)
}

/// One project, if the viewer sees it.
pub async fn get_project(
    tx: &mut TenantTx,
    viewer: &Viewer,
    project_id: Uuid,
) -> CoreResult<ProjectRecord> {
    let sql = format!(
        "SELECT {COLUMNS} FROM projects p WHERE p.id = $3 AND {visible}",
        visible = project_visible()
    );
    sqlx::query_as::<_, ProjectRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(project_id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(CoreError::NotFound("project"))
}

/// Creates a project by the viewer (admins and members), with the key prefix derived from its
/// name.
pub async fn create_project(
    tx: &mut TenantTx,
    viewer: &Viewer,
    name: &str,
) -> CoreResult<ProjectRecord> {
    create_project_with_prefix(tx, viewer, name, None).await
}

/// Creates a project by the viewer (admins and members); `key_prefix`, when given, is an
/// admin's choice (see [`check_prefix`]), otherwise it is derived from the name.
pub async fn create_project_with_prefix(
    tx: &mut TenantTx,
    viewer: &Viewer,
    name: &str,
    key_prefix: Option<&str>,
) -> CoreResult<ProjectRecord> {
    ensure(policy::can_manage_projects(viewer.role), REFUSED)?;
    if key_prefix.is_some() {
        ensure(policy::can_set_project_prefix(viewer.role), PREFIX_REFUSED)?;
    }
    let name = trimmed("name", name, NAME_MAX, false)?;
    let chosen = key_prefix.map(check_prefix).transpose()?;
    lock_prefixes(tx).await?;
    let prefix = match chosen {
        Some(prefix) if prefix_taken(tx, &prefix, None).await? => {
            return Err(CoreError::invalid("key_prefix", PREFIX_TAKEN))
        }
        Some(prefix) => prefix,
        None => free_prefix(tx, &name).await?,
    };
    Ok(sqlx::query_as::<_, ProjectRecord>(
        "INSERT INTO projects AS p (id, name, key_prefix, created_by) VALUES ($1, $2, $3, $4)
         RETURNING p.id, p.name, p.key_prefix, p.archived, p.created_by, p.created_at",
    )
    .bind(Uuid::new_v4())
    .bind(name)
    .bind(prefix)
    .bind(viewer.user_id)
    .fetch_one(tx.conn())
    .await?)
}

/// A partial change of a project: `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct ProjectPatch {
    pub name: Option<String>,
    /// `true` archives, `false` unarchives.
    pub archived: Option<bool>,
    /// Admins only; every key of the project's tasks changes with it (their numbers do not).
    pub key_prefix: Option<String>,
}

/// Renames and/or archives (`Some(true)`) or unarchives (`Some(false)`) a project the viewer
/// sees (admins and members). Tasks of an archived project stay readable; no task can be created
/// in or moved to it.
pub async fn update_project(
    tx: &mut TenantTx,
    viewer: &Viewer,
    project_id: Uuid,
    name: Option<&str>,
    archived: Option<bool>,
) -> CoreResult<ProjectRecord> {
    let patch = ProjectPatch {
        name: name.map(str::to_owned),
        archived,
        key_prefix: None,
    };
    change_project(tx, viewer, project_id, patch).await
}

/// Applies a [`ProjectPatch`] to a project the viewer sees: admins and members rename and
/// archive, admins alone change the key prefix.
pub async fn change_project(
    tx: &mut TenantTx,
    viewer: &Viewer,
    project_id: Uuid,
    patch: ProjectPatch,
) -> CoreResult<ProjectRecord> {
    // Seen first, so a guest learns nothing about projects they do not see.
    let current = get_project(tx, viewer, project_id).await?;
    ensure(policy::can_manage_projects(viewer.role), REFUSED)?;
    if patch.key_prefix.is_some() {
        ensure(policy::can_set_project_prefix(viewer.role), PREFIX_REFUSED)?;
    }
    let name = match &patch.name {
        Some(name) => trimmed("name", name, NAME_MAX, false)?,
        None => current.name,
    };
    let prefix = match patch.key_prefix.as_deref().map(check_prefix).transpose()? {
        Some(prefix) if prefix != current.key_prefix => {
            lock_prefixes(tx).await?;
            if prefix_taken(tx, &prefix, Some(project_id)).await? {
                return Err(CoreError::invalid("key_prefix", PREFIX_TAKEN));
            }
            prefix
        }
        _ => current.key_prefix,
    };
    Ok(sqlx::query_as::<_, ProjectRecord>(
        "UPDATE projects AS p SET name = $2, archived = $3, key_prefix = $4 WHERE p.id = $1
         RETURNING p.id, p.name, p.key_prefix, p.archived, p.created_by, p.created_at",
    )
    .bind(project_id)
    .bind(name)
    .bind(patch.archived.unwrap_or(current.archived))
    .bind(prefix)
    .fetch_one(tx.conn())
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_derive_from_names() {
        assert_eq!(derive_prefix("Acme"), "ACME");
        assert_eq!(derive_prefix("Website relaunch"), "WR");
        assert_eq!(derive_prefix("a b c d e f g h"), "ABCDEF");
        assert_eq!(derive_prefix("Ωμέγα"), "PRJ");
        assert_eq!(derive_prefix("X"), "PRJ");
        assert_eq!(derive_prefix("Café 2027"), "CAF");
        assert_eq!(alternative("ACME", 1), "ACMEA");
        assert_eq!(alternative("ABCDEF", 2), "ABCDEB");
        assert_eq!(alternative("ACME", 27), "ACMEAA");
        assert_eq!(alternative("ACME", 26 * 27), "ACMEZZ");
        assert!(check_prefix(" acme ").is_ok());
        for bad in ["A", "TOOLONGX", "AC-1", "ÀB", ""] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
    }
}
