//! Saved views of the task list: a name and the list's query string (its filters, sort and
//! visible columns), personal or shared with the workspace. A shared view is seen by admins and
//! members (`policy::can_see_shared_views`); a guest keeps views of their own only. Opening a view
//! is opening the list with its query, so what it shows goes through the visibility rule like
//! any list: a view can show nobody a task they could not see before.

use bastion_policy as policy;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::tasks::{TaskSort, STATUSES};
use super::Viewer;
use crate::{ensure, CoreError, CoreResult, TenantTx};

/// The list's query parameters a view keeps, in the order a view's query is written.
pub const QUERY_KEYS: [&str; 10] = [
    "project",
    "status",
    "assignee",
    "tag",
    "due_before",
    "q",
    "field",
    "field_value",
    "sort",
    "cols",
];

/// The list's columns a view can show or hide (the title always shows), besides a project's
/// custom fields, `f:<field id>`.
pub const COLUMNS: [&str; 6] = ["project", "status", "priority", "assignee", "due", "tags"];

/// How many views one person may keep.
pub const MAX_VIEWS_PER_PERSON: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SavedView {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    /// The list's query string, without `?`: `status=todo&sort=due&cols=status,due`.
    pub query: String,
    pub shared: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const COLUMNS_SQL: &str = "id, owner_id, name, query, shared, created_at";

/// Checks a list query and writes it canonically: known keys only, each once, in
/// [`QUERY_KEYS`]' order, empty values left out, each value checked as the list checks it.
pub fn check_query(input: &str) -> CoreResult<String> {
    let input = input.trim().trim_start_matches('?');
    if input.chars().count() > 2000 {
        return Err(CoreError::invalid(
            "query",
            "must be at most 2000 characters",
        ));
    }
    let mut values: Vec<(usize, String)> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(input.as_bytes()) {
        let Some(index) = QUERY_KEYS.iter().position(|k| *k == key) else {
            return Err(CoreError::invalid(
                "query",
                format!(
                    "{key} is not a filter of the list (known: {})",
                    QUERY_KEYS.join(", ")
                ),
            ));
        };
        let value = value.trim().to_owned();
        if value.is_empty() {
            continue;
        }
        if values.iter().any(|(i, _)| *i == index) {
            return Err(CoreError::invalid("query", format!("{key} is given twice")));
        }
        let bad = |why: &str| CoreError::invalid("query", format!("{key}: {why}"));
        match QUERY_KEYS[index] {
            "project" | "assignee" | "tag" | "field" => {
                Uuid::parse_str(&value).map_err(|_| bad("must be an id"))?;
            }
            "status" if !STATUSES.contains(&value.as_str()) => {
                return Err(bad(&format!("must be one of {}", STATUSES.join(", "))));
            }
            "due_before" => {
                time::Date::parse(
                    &value,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|_| bad("must be a date, YYYY-MM-DD"))?;
            }
            "q" | "field_value" if value.chars().count() > 200 => {
                return Err(bad("at most 200 characters"))
            }
            "sort" => {
                TaskSort::parse(&value)
                    .map_err(|_| bad("must be created, updated, due, priority or field:<id>"))?;
            }
            "cols" => {
                for col in value.split(',') {
                    let field = col
                        .strip_prefix("f:")
                        .is_some_and(|id| Uuid::parse_str(id).is_ok());
                    if !COLUMNS.contains(&col) && !field {
                        return Err(bad(&format!(
                            "columns are {} and custom fields (f:<id>)",
                            COLUMNS.join(", ")
                        )));
                    }
                }
            }
            _ => {}
        }
        values.push((index, value));
    }
    values.sort_by_key(|(i, _)| *i);
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (index, value) in &values {
        out.append_pair(QUERY_KEYS[*index], value);
    }
    Ok(out.finish())
}

fn check_name(name: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(CoreError::invalid("name", "must be 1 to 80 characters"));
    }
    Ok(name.to_owned())
}

/// The views the viewer may open: their own, and (admins and members) the shared ones; shared
/// first, then by name.
pub async fn list(tx: &mut TenantTx, viewer: &Viewer) -> CoreResult<Vec<SavedView>> {
    Ok(sqlx::query_as::<_, SavedView>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS_SQL} FROM saved_views
          WHERE owner_id = $1 OR (shared AND $2)
          ORDER BY shared DESC, lower(name), id"
    )))
    .bind(viewer.user_id)
    .bind(policy::can_see_shared_views(viewer.role))
    .fetch_all(tx.conn())
    .await?)
}

/// Saves the list's current query under a name. Sharing is for admins and members; a person
/// has at most [`MAX_VIEWS_PER_PERSON`] views, with different names.
pub async fn create(
    tx: &mut TenantTx,
    viewer: &Viewer,
    name: &str,
    query: &str,
    shared: bool,
) -> CoreResult<SavedView> {
    let name = check_name(name)?;
    let query = check_query(query)?;
    if shared {
        ensure(
            policy::can_share_view(viewer.role),
            "Guests keep views for themselves; only admins and members share them.",
        )?;
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM saved_views WHERE owner_id = $1")
        .bind(viewer.user_id)
        .fetch_one(tx.conn())
        .await?;
    if count >= MAX_VIEWS_PER_PERSON {
        return Err(CoreError::invalid(
            "name",
            format!("you have {MAX_VIEWS_PER_PERSON} views already; delete one first"),
        ));
    }
    let inserted = sqlx::query_as::<_, SavedView>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO saved_views (id, owner_id, name, query, shared)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (owner_id, lower(name)) DO NOTHING
         RETURNING {COLUMNS_SQL}"
    )))
    .bind(Uuid::new_v4())
    .bind(viewer.user_id)
    .bind(&name)
    .bind(&query)
    .bind(shared)
    .fetch_optional(tx.conn())
    .await?;
    inserted.ok_or_else(|| CoreError::invalid("name", "you already have a view with this name"))
}

/// Deletes a view the viewer may open: their own, or (admins) a shared one. Others' personal
/// views do not exist for them (404).
pub async fn delete(tx: &mut TenantTx, viewer: &Viewer, id: Uuid) -> CoreResult<()> {
    let found: Option<(Uuid, bool)> = sqlx::query_as(
        "SELECT owner_id, shared FROM saved_views
          WHERE id = $1 AND (owner_id = $2 OR (shared AND $3))
          FOR UPDATE",
    )
    .bind(id)
    .bind(viewer.user_id)
    .bind(policy::can_see_shared_views(viewer.role))
    .fetch_optional(tx.conn())
    .await?;
    let (owner, _) = found.ok_or(CoreError::NotFound("view"))?;
    ensure(
        policy::can_delete_view(viewer.role, owner == viewer.user_id),
        "Only the person who saved a shared view, or an admin, can delete it.",
    )?;
    sqlx::query("DELETE FROM saved_views WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked_and_written_canonically() {
        let id = "0b8e6f2a-1c1d-4d8e-9c59-3f1f6a2b7c10";
        assert_eq!(
            check_query(&format!(
                "?sort=due&status=todo&q=a%26b&project={id}&tag=&cols=status,due"
            ))
            .unwrap(),
            format!("project={id}&status=todo&q=a%26b&sort=due&cols=status%2Cdue")
        );
        assert_eq!(check_query("").unwrap(), "");
        assert_eq!(
            check_query(&format!(
                "sort=field:{id}:desc&field_value=12,50&field={id}&cols=f:{id},status"
            ))
            .unwrap(),
            format!(
                "field={id}&field_value=12%2C50&sort=field%3A{id}%3Adesc&cols=f%3A{id}%2Cstatus"
            )
        );
        for bad in [
            "cursor=abc",
            "status=later",
            "project=42",
            "due_before=31/12/2026",
            "sort=title",
            "cols=status,secret",
            "cols=f:42",
            "field=budget",
            "status=todo&status=done",
        ] {
            let err = check_query(bad).unwrap_err().to_string();
            assert!(err.starts_with("query: "), "{bad}: {err}");
        }
    }
}
