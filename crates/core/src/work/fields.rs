//! Custom fields: a project's admins define fields of their own (text, number, € amount, date,
//! single select, multi-select, person) and whoever may edit a task fills them in
//! (`policy::can_manage_fields`, `policy::can_fill_fields`). Fields are read through their
//! project and values through their task, so both follow the visibility rules of what they
//! belong to: a guest sees the values of the tasks they see, and nothing else.
//!
//! A value travels as text (a JSON string), or a list of options for a multi-select field:
//! `"Acme NV"`, `"3.5"`, `"12.50"` (euros; a decimal comma is accepted), `"2026-10-31"`, a
//! person's user id. What is read back can be written back unchanged. Every value change is an
//! event of its task's history, every change to a definition one of the workspace's (tenant
//! migration 0019).

use bastion_policy as policy;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{is_active_member, projects, tasks, trimmed, Viewer};
use crate::{ensure, CoreError, CoreResult, TenantTx};

/// The kinds of field, as stored and as the API names them.
pub const KINDS: [&str; 7] = [
    "text",
    "number",
    "money",
    "date",
    "select",
    "multi_select",
    "person",
];
pub const NAME_MAX: usize = 60;
/// Fields per project: past this, a form stops being one.
pub const FIELDS_MAX: i64 = 30;
pub const OPTIONS_MAX: usize = 50;
pub const OPTION_MAX: usize = 60;
pub const TEXT_MAX: usize = 500;

const MANAGE_REFUSED: &str = "Only admins define custom fields.";
const FILL_REFUSED: &str = "Guests cannot fill in fields.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FieldRecord {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// A select field's choices, in order; empty for other kinds.
    pub options: Vec<String>,
    /// Fields show in ascending position, the order they were added.
    pub position: i32,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl FieldRecord {
    /// Whether a list can be sorted by this field (a person has no order worth sorting by).
    pub fn sortable(&self) -> bool {
        self.kind != "person"
    }
}

const COLUMNS: &str = "id, project_id, name, kind, options, position, created_by, created_at";

/// A field to define.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewField {
    pub project_id: Uuid,
    pub name: String,
    pub kind: String,
    /// Select fields only.
    #[serde(default)]
    pub options: Vec<String>,
}

/// A change to a definition; `None` leaves a part alone. The kind never changes: the values
/// already filled in are of it.
#[derive(Debug, Clone, Default)]
pub struct FieldChange {
    pub name: Option<String>,
    pub options: Option<Vec<String>>,
}

/// A value as it is written and read: text, or a multi-select field's options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    One(String),
    Many(Vec<String>),
}

impl FieldValue {
    /// The value as one line of text (options joined by `, `).
    pub fn text(&self) -> String {
        match self {
            FieldValue::One(s) => s.clone(),
            FieldValue::Many(v) => v.join(", "),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            FieldValue::One(s) => s.trim().is_empty(),
            FieldValue::Many(v) => v.iter().all(|s| s.trim().is_empty()),
        }
    }
}

/// One field's value on a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFieldValue {
    pub field_id: Uuid,
    pub value: FieldValue,
}

/// A task's values as JSON (`[{"field_id", "value"}]`), over `tasks t`: a column of the task
/// lists, so a list shows them without a query per task. Reads `task_field_values` only, in the
/// forms [`FieldValue`] describes.
pub(crate) const VALUES_JSON: &str = "(SELECT coalesce(jsonb_agg(jsonb_build_object(
        'field_id', fv.field_id,
        'value', CASE
            WHEN fv.value_text IS NOT NULL THEN to_jsonb(fv.value_text)
            WHEN fv.value_number IS NOT NULL THEN to_jsonb(fv.value_number::text)
            WHEN fv.value_cents IS NOT NULL THEN to_jsonb((fv.value_cents::numeric / 100)::numeric(20, 2)::text)
            WHEN fv.value_date IS NOT NULL THEN to_jsonb(to_char(fv.value_date, 'YYYY-MM-DD'))
            WHEN fv.value_options IS NOT NULL THEN to_jsonb(fv.value_options)
            ELSE to_jsonb(fv.value_person::text) END) ORDER BY fv.field_id), '[]'::jsonb)
        FROM task_field_values fv WHERE fv.task_id = t.id)";

/// The fields of a project the viewer sees, in order.
pub async fn list_fields(
    tx: &mut TenantTx,
    viewer: &Viewer,
    project_id: Uuid,
) -> CoreResult<Vec<FieldRecord>> {
    projects::get_project(tx, viewer, project_id).await?;
    let sql =
        format!("SELECT {COLUMNS} FROM custom_fields WHERE project_id = $1 ORDER BY position");
    Ok(sqlx::query_as::<_, FieldRecord>(sqlx::AssertSqlSafe(sql))
        .bind(project_id)
        .fetch_all(tx.conn())
        .await?)
}

/// The fields of every project the viewer sees, by project then position: what a history or
/// a list across projects needs to name values.
pub async fn list_all_fields(tx: &mut TenantTx, viewer: &Viewer) -> CoreResult<Vec<FieldRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM custom_fields f
          WHERE f.project_id IN (SELECT p.id FROM projects p WHERE {visible})
          ORDER BY f.project_id, f.position",
        visible = projects::project_visible(),
    );
    Ok(sqlx::query_as::<_, FieldRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .fetch_all(tx.conn())
        .await?)
}

/// A field of a project the viewer sees; `NotFound("field")` otherwise.
pub async fn get_field(
    tx: &mut TenantTx,
    viewer: &Viewer,
    field_id: Uuid,
) -> CoreResult<FieldRecord> {
    let sql = format!(
        "SELECT {COLUMNS} FROM custom_fields f
          WHERE f.id = $3 AND f.project_id IN (SELECT p.id FROM projects p WHERE {visible})",
        visible = projects::project_visible(),
    );
    sqlx::query_as::<_, FieldRecord>(sqlx::AssertSqlSafe(sql))
        .bind(viewer.user_id)
        .bind(viewer.role.as_str())
        .bind(field_id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(CoreError::NotFound("field"))
}

fn check_kind(kind: &str) -> CoreResult<()> {
    if KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "kind",
            format!("must be one of {}", KINDS.join(", ")),
        ))
    }
}

fn is_select(kind: &str) -> bool {
    matches!(kind, "select" | "multi_select")
}

/// A select field's options, trimmed, each 1–60 characters and different from the others
/// (ignoring case); at least one for a select field, none for any other.
fn check_options(kind: &str, options: &[String]) -> CoreResult<Vec<String>> {
    if options.iter().any(|o| o.contains('\0')) {
        return Err(CoreError::invalid(
            "options",
            "must not contain NUL characters",
        ));
    }
    let options: Vec<String> = options
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    if !is_select(kind) {
        if options.is_empty() {
            return Ok(options);
        }
        return Err(CoreError::invalid(
            "options",
            "only select and multi-select fields have options",
        ));
    }
    if options.is_empty() {
        return Err(CoreError::invalid(
            "options",
            "a select field needs at least one option",
        ));
    }
    if options.len() > OPTIONS_MAX {
        return Err(CoreError::invalid(
            "options",
            format!("at most {OPTIONS_MAX} options"),
        ));
    }
    for (i, option) in options.iter().enumerate() {
        if option.chars().count() > OPTION_MAX {
            return Err(CoreError::invalid(
                "options",
                format!("\"{option}\" is longer than {OPTION_MAX} characters"),
            ));
        }
        if options[..i]
            .iter()
            .any(|o| o.to_lowercase() == option.to_lowercase())
        {
            return Err(CoreError::invalid(
                "options",
                format!("\"{option}\" is given twice"),
            ));
        }
    }
    Ok(options)
}

/// A field's name: trimmed, 1–60 characters, no NUL (PostgreSQL text cannot hold it).
fn check_name(name: &str) -> CoreResult<String> {
    if name.contains('\0') {
        return Err(CoreError::invalid(
            "name",
            "must not contain NUL characters",
        ));
    }
    trimmed("name", name, NAME_MAX, false)
}

fn name_taken() -> CoreError {
    CoreError::invalid("name", "the project already has a field of that name")
}

/// Defines a field at the end of a project's fields (admins).
pub async fn create_field(
    tx: &mut TenantTx,
    viewer: &Viewer,
    new: &NewField,
) -> CoreResult<FieldRecord> {
    // Found before refused: a project the caller does not see is 404 for everyone.
    projects::get_project(tx, viewer, new.project_id).await?;
    ensure(policy::can_manage_fields(viewer.role), MANAGE_REFUSED)?;
    let name = check_name(&new.name)?;
    check_kind(&new.kind)?;
    let options = check_options(&new.kind, &new.options)?;
    // Locked, so that two fields added at once take distinct positions.
    sqlx::query("SELECT 1 FROM projects WHERE id = $1 FOR UPDATE")
        .bind(new.project_id)
        .execute(tx.conn())
        .await?;
    let (count, last, taken): (i64, Option<i32>, bool) = sqlx::query_as(
        "SELECT count(*), max(position), coalesce(bool_or(lower(name) = lower($2)), false)
           FROM custom_fields WHERE project_id = $1",
    )
    .bind(new.project_id)
    .bind(&name)
    .fetch_one(tx.conn())
    .await?;
    if count >= FIELDS_MAX {
        return Err(CoreError::invalid(
            "name",
            format!("a project has at most {FIELDS_MAX} fields"),
        ));
    }
    if taken {
        return Err(name_taken());
    }
    let sql = format!(
        "INSERT INTO custom_fields (id, project_id, name, kind, options, position, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, FieldRecord>(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::new_v4())
        .bind(new.project_id)
        .bind(&name)
        .bind(&new.kind)
        .bind(&options)
        .bind(last.unwrap_or(0) + 1)
        .bind(viewer.user_id)
        .fetch_one(tx.conn())
        .await?)
}

/// Renames a field or changes a select field's options (admins). An option some task has
/// chosen cannot be removed (the refusal names it and how many tasks hold it): removing it would
/// change those tasks without an event of theirs.
pub async fn update_field(
    tx: &mut TenantTx,
    viewer: &Viewer,
    field_id: Uuid,
    change: &FieldChange,
) -> CoreResult<FieldRecord> {
    let field = get_field(tx, viewer, field_id).await?;
    ensure(policy::can_manage_fields(viewer.role), MANAGE_REFUSED)?;
    let name = match &change.name {
        Some(name) => check_name(name)?,
        None => field.name.clone(),
    };
    let options = match &change.options {
        Some(options) => check_options(&field.kind, options)?,
        None => field.options.clone(),
    };
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM custom_fields
                         WHERE project_id = $1 AND id <> $2 AND lower(name) = lower($3))",
    )
    .bind(field.project_id)
    .bind(field_id)
    .bind(&name)
    .fetch_one(tx.conn())
    .await?;
    if taken {
        return Err(name_taken());
    }
    for removed in field.options.iter().filter(|o| !options.contains(o)) {
        let used: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM task_field_values
              WHERE field_id = $1 AND (value_text = $2 OR $2 = ANY (value_options))",
        )
        .bind(field_id)
        .bind(removed)
        .fetch_one(tx.conn())
        .await?;
        if used > 0 {
            return Err(CoreError::invalid(
                "options",
                format!("\"{removed}\" is chosen on {used} task(s); change those first"),
            ));
        }
    }
    let sql = format!(
        "UPDATE custom_fields SET name = $2, options = $3 WHERE id = $1 RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, FieldRecord>(sqlx::AssertSqlSafe(sql))
        .bind(field_id)
        .bind(&name)
        .bind(&options)
        .fetch_one(tx.conn())
        .await?)
}

/// Deletes a field and every value of it (admins); each removed value is an event of its task.
pub async fn delete_field(tx: &mut TenantTx, viewer: &Viewer, field_id: Uuid) -> CoreResult<()> {
    get_field(tx, viewer, field_id).await?;
    ensure(policy::can_manage_fields(viewer.role), MANAGE_REFUSED)?;
    sqlx::query("DELETE FROM custom_fields WHERE id = $1")
        .bind(field_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The values of a task the viewer sees, in its project's field order.
pub async fn task_values(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
) -> CoreResult<Vec<TaskFieldValue>> {
    let task = tasks::get_task(tx, viewer, task_id).await?;
    Ok(task.fields)
}

/// A value checked and put in the form it is stored in.
#[derive(Debug, Clone, PartialEq)]
enum Stored {
    Text(String),
    /// A decimal with a point, e.g. `-3.25`.
    Number(String),
    Cents(i64),
    Date(Date),
    Options(Vec<String>),
    Person(Uuid),
}

/// A number as people type it: an optional minus, digits, and one decimal point or comma with up
/// to six digits after it; no thousands separators (`1.234` would be guessed).
fn parse_number(input: &str) -> Result<String, &'static str> {
    const EXPECTED: &str = "must be a number like 42 or 3.5 (no thousands separator)";
    let text = input.trim();
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = rest.split_once(['.', ',']).unwrap_or((rest, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 15
        || !digits(whole)
        || fraction.len() > 6
        || !digits(fraction)
        || (rest.len() != whole.len() && fraction.is_empty())
    {
        return Err(EXPECTED);
    }
    Ok(if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    })
}

/// Checks `value` against `field`; `None` for an empty value (which clears).
async fn check_value(
    tx: &mut TenantTx,
    field: &FieldRecord,
    value: &FieldValue,
) -> CoreResult<Option<Stored>> {
    if value.is_empty() {
        return Ok(None);
    }
    let bad = |why: &str| CoreError::invalid("value", format!("{}: {why}", field.name));
    // PostgreSQL text cannot hold NUL: named here rather than failing in the statement.
    let texts = match value {
        FieldValue::One(s) => vec![s.as_str()],
        FieldValue::Many(v) => v.iter().map(String::as_str).collect(),
    };
    if texts.iter().any(|s| s.contains('\0')) {
        return Err(bad("must not contain NUL characters"));
    }
    let one = match value {
        FieldValue::One(text) => Some(text.trim()),
        FieldValue::Many(_) => None,
    };
    let one = |kind: &str| one.ok_or_else(|| bad(&format!("a {kind} field takes one value")));
    Ok(Some(match field.kind.as_str() {
        "text" => {
            let text = one("text")?;
            if text.chars().count() > TEXT_MAX {
                return Err(bad(&format!("at most {TEXT_MAX} characters")));
            }
            Stored::Text(text.to_owned())
        }
        "number" => Stored::Number(parse_number(one("number")?).map_err(bad)?),
        "money" => Stored::Cents(bastion_i18n::parse_eur_cents(one("€ amount")?).map_err(bad)?),
        "date" => Stored::Date(
            Date::parse(
                one("date")?,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| bad("must be a date, YYYY-MM-DD"))?,
        ),
        "select" => {
            let text = one("select")?;
            let option = field
                .options
                .iter()
                .find(|o| o.to_lowercase() == text.to_lowercase())
                .ok_or_else(|| bad(&format!("must be one of {}", field.options.join(", "))))?;
            Stored::Text(option.clone())
        }
        "multi_select" => {
            let chosen: Vec<String> = match value {
                FieldValue::One(text) => vec![text.clone()],
                FieldValue::Many(list) => list.clone(),
            };
            let mut picked = Vec::new();
            for text in chosen.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                let option = field
                    .options
                    .iter()
                    .find(|o| o.to_lowercase() == text.to_lowercase())
                    .ok_or_else(|| {
                        bad(&format!(
                            "\"{text}\" is not an option (options: {})",
                            field.options.join(", ")
                        ))
                    })?;
                if !picked.contains(option) {
                    picked.push(option.clone());
                }
            }
            // In the field's order, whatever order they were given in.
            picked.sort_by_key(|o| field.options.iter().position(|f| f == o));
            Stored::Options(picked)
        }
        _ => {
            let id = Uuid::parse_str(one("person")?).map_err(|_| bad("must be a person's id"))?;
            if !is_active_member(tx, id).await? {
                return Err(bad("is not an active member of this workspace"));
            }
            Stored::Person(id)
        }
    }))
}

/// Sets (or, with an empty value, clears) the values of a task the viewer sees and may edit,
/// all or nothing: one bad value refuses them all, naming its field. Each value that changed is
/// an event of the task's history. Returns the task's values afterwards.
pub async fn set_values(
    tx: &mut TenantTx,
    viewer: &Viewer,
    task_id: Uuid,
    values: &[(Uuid, FieldValue)],
) -> CoreResult<Vec<TaskFieldValue>> {
    let task = tasks::get_task(tx, viewer, task_id).await?;
    ensure(
        policy::can_fill_fields(viewer.role, &task.facts(viewer)),
        FILL_REFUSED,
    )?;
    let fields = list_fields(tx, viewer, task.project_id).await?;
    let mut checked = Vec::new();
    for (field_id, value) in values {
        let field = fields.iter().find(|f| f.id == *field_id).ok_or_else(|| {
            CoreError::invalid("field_id", "is not a field of this task's project")
        })?;
        if checked.iter().any(|(id, _)| id == field_id) {
            return Err(CoreError::invalid(
                "field_id",
                format!("{} is given twice", field.name),
            ));
        }
        checked.push((*field_id, check_value(tx, field, value).await?));
    }
    for (field_id, stored) in checked {
        let Some(stored) = stored else {
            sqlx::query("DELETE FROM task_field_values WHERE task_id = $1 AND field_id = $2")
                .bind(task_id)
                .bind(field_id)
                .execute(tx.conn())
                .await?;
            continue;
        };
        let (mut text, mut number, mut cents, mut date, mut options, mut person) =
            (None, None, None, None, None, None);
        match stored {
            Stored::Text(v) => text = Some(v),
            Stored::Number(v) => number = Some(v),
            Stored::Cents(v) => cents = Some(v),
            Stored::Date(v) => date = Some(v),
            Stored::Options(v) => options = Some(v),
            Stored::Person(v) => person = Some(v),
        }
        // The update touches only a changed row: an unchanged value writes no event.
        sqlx::query(
            "INSERT INTO task_field_values
                 (id, task_id, field_id, value_text, value_number, value_cents, value_date,
                  value_options, value_person, updated_by)
             VALUES ($1, $2, $3, $4, $5::numeric, $6, $7, $8, $9, $10)
             ON CONFLICT (task_id, field_id) DO UPDATE
                SET value_text = excluded.value_text, value_number = excluded.value_number,
                    value_cents = excluded.value_cents, value_date = excluded.value_date,
                    value_options = excluded.value_options, value_person = excluded.value_person,
                    updated_by = excluded.updated_by
              WHERE (task_field_values.value_text, task_field_values.value_number,
                     task_field_values.value_cents, task_field_values.value_date,
                     task_field_values.value_options, task_field_values.value_person)
                    IS DISTINCT FROM
                    (excluded.value_text, excluded.value_number, excluded.value_cents,
                     excluded.value_date, excluded.value_options, excluded.value_person)",
        )
        .bind(Uuid::new_v4())
        .bind(task_id)
        .bind(field_id)
        .bind(text)
        .bind(number)
        .bind(cents)
        .bind(date)
        .bind(options)
        .bind(person)
        .bind(viewer.user_id)
        .execute(tx.conn())
        .await?;
    }
    task_values(tx, viewer, task_id).await
}

/// Removes the values a task holds of fields not of its project: called in the transaction that
/// moves a task to another project, so each removal is an event of the move.
pub(crate) async fn drop_foreign_values(tx: &mut TenantTx, task_id: Uuid) -> CoreResult<()> {
    sqlx::query(
        "DELETE FROM task_field_values v USING custom_fields f, tasks t
          WHERE v.task_id = $1 AND f.id = v.field_id AND t.id = v.task_id
            AND f.project_id <> t.project_id",
    )
    .bind(task_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A list narrowed to tasks whose value of a field matches: text contains it (ignoring case),
/// a select or multi-select field has the option, a number, amount, date or person equals it.
/// An empty value matches every task with the field filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFilter {
    pub field_id: Uuid,
    pub value: String,
}

/// A field filter ready for the list's statement: the condition (with `{a}` the field's and `{b}`
/// the value's parameter) and the value to bind (normalised: cents for an amount).
pub(crate) struct FilterSql {
    pub condition: &'static str,
    pub field_id: Uuid,
    pub value: Option<String>,
}

pub(crate) async fn filter_sql(
    tx: &mut TenantTx,
    viewer: &Viewer,
    filter: &FieldFilter,
) -> CoreResult<FilterSql> {
    // A list is not "not found" for a stale filter: the filter is what is wrong.
    let field = get_field(tx, viewer, filter.field_id)
        .await
        .map_err(|e| match e {
            CoreError::NotFound(_) => CoreError::invalid("field", "no such field"),
            other => other,
        })?;
    let value = filter.value.trim();
    if value.contains('\0') || value.chars().count() > 200 {
        return Err(CoreError::invalid(
            "field_value",
            "must be at most 200 characters, without NUL",
        ));
    }
    let value = if value.is_empty() {
        None
    } else {
        let typed = if field.kind == "text" {
            Stored::Text(value.to_owned())
        } else {
            check_value(tx, &field, &FieldValue::One(value.into()))
                .await
                .map_err(|e| match e {
                    CoreError::Invalid { message, .. } => {
                        CoreError::invalid("field_value", message)
                    }
                    other => other,
                })?
                .unwrap_or(Stored::Text(String::new()))
        };
        Some(match typed {
            Stored::Text(v) | Stored::Number(v) => v,
            Stored::Cents(v) => v.to_string(),
            Stored::Date(v) => v.to_string(),
            // One option given: the filter asks for tasks that have it.
            Stored::Options(v) => v.into_iter().next().unwrap_or_default(),
            Stored::Person(v) => v.to_string(),
        })
    };
    let condition = match field.kind.as_str() {
        "text" => "strpos(lower(fv.value_text), lower({b})) > 0",
        "number" => "fv.value_number = {b}::numeric",
        "money" => "fv.value_cents = {b}::bigint",
        "date" => "fv.value_date = {b}::date",
        "select" => "fv.value_text = {b}",
        "multi_select" => "{b} = ANY (fv.value_options)",
        _ => "fv.value_person = {b}::uuid",
    };
    Ok(FilterSql {
        condition,
        field_id: field.id,
        value,
    })
}

/// The expression a list sorted by a field orders by (`{s}` the field's parameter); refused for
/// a person field.
pub(crate) async fn sort_sql(
    tx: &mut TenantTx,
    viewer: &Viewer,
    field_id: Uuid,
) -> CoreResult<&'static str> {
    let field = get_field(tx, viewer, field_id).await.map_err(|e| match e {
        CoreError::NotFound(_) => CoreError::invalid("sort", "no such field"),
        other => other,
    })?;
    if !field.sortable() {
        return Err(CoreError::invalid(
            "sort",
            format!("{} is a person field: filter by it instead", field.name),
        ));
    }
    Ok(match field.kind.as_str() {
        "number" => "(SELECT fv.value_number FROM task_field_values fv WHERE fv.task_id = t.id AND fv.field_id = {s})",
        "money" => "(SELECT fv.value_cents FROM task_field_values fv WHERE fv.task_id = t.id AND fv.field_id = {s})",
        "date" => "(SELECT fv.value_date FROM task_field_values fv WHERE fv.task_id = t.id AND fv.field_id = {s})",
        "multi_select" => "(SELECT lower(array_to_string(fv.value_options, ', ')) FROM task_field_values fv WHERE fv.task_id = t.id AND fv.field_id = {s})",
        _ => "(SELECT lower(fv.value_text) FROM task_field_values fv WHERE fv.task_id = t.id AND fv.field_id = {s})",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_take_a_point_or_a_comma_and_nothing_guessed() {
        assert_eq!(parse_number("42"), Ok("42".into()));
        assert_eq!(parse_number(" 3,25 "), Ok("3.25".into()));
        assert_eq!(parse_number("-0.5"), Ok("-0.5".into()));
        for bad in ["", "1.", ",5", "1.234.5", "1e3", "--1", "12a", "1.2345678"] {
            assert!(parse_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn select_options_are_trimmed_distinct_and_only_for_selects() {
        assert_eq!(
            check_options("select", &[" Low ".into(), "".into(), "High".into()]).unwrap(),
            vec!["Low".to_owned(), "High".to_owned()]
        );
        assert!(check_options("select", &[]).is_err());
        assert!(check_options("multi_select", &["a".into(), "A".into()]).is_err());
        assert!(check_options("text", &["a".into()]).is_err());
        assert!(check_options("text", &[]).unwrap().is_empty());
    }

    #[test]
    fn values_read_as_strings_or_lists() {
        let one: FieldValue = serde_json::from_str("\"12,50\"").unwrap();
        assert_eq!(one, FieldValue::One("12,50".into()));
        let many: FieldValue = serde_json::from_str("[\"a\", \"b\"]").unwrap();
        assert_eq!(many.text(), "a, b");
        assert!(serde_json::from_str::<FieldValue>("12").is_err());
    }
}
