//! String fields that take one of a few words, as `enum`s in the OpenAPI document (and so as
//! unions in the TypeScript client): the handlers keep parsing the text and naming a wrong one,
//! and the document says what they accept. Used with `#[schema(schema_with = …)]` and
//! `#[param(schema_with = …)]`.

use utoipa::openapi::{
    schema::{SchemaType, Type},
    Object, ObjectBuilder,
};

fn one_of(words: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(words.iter().copied()))
        .build()
}

/// For an optional field of a body, where `null` means "not given" as leaving it out does.
fn one_of_or_null(words: &[&str]) -> Object {
    let mut values: Vec<serde_json::Value> = words.iter().map(|w| (*w).into()).collect();
    values.push(serde_json::Value::Null);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .build()
}

/// The roles (`bastion_policy::Role`).
const ROLES: [&str; 3] = ["admin", "member", "guest"];

/// A history event's entity (`entity=` of the audit list and export).
pub fn audit_entity() -> Object {
    one_of(&bastion_core::privacy::audit::ENTITY_TYPES)
}

/// A task's status, optional.
pub fn task_status_or_null() -> Object {
    one_of_or_null(&bastion_core::work::tasks::STATUSES)
}

/// A task's priority, optional.
pub fn task_priority_or_null() -> Object {
    one_of_or_null(&bastion_core::work::tasks::PRIORITIES)
}

/// A member's role.
pub fn role() -> Object {
    one_of(&ROLES)
}

/// A member's new role, optional.
pub fn role_or_null() -> Object {
    one_of_or_null(&ROLES)
}

/// A relation's kind, from the task's side.
pub fn relation_kind() -> Object {
    let kinds: Vec<&str> = bastion_core::work::relations::KINDS
        .iter()
        .map(|(kind, _, _)| *kind)
        .collect();
    one_of(&kinds)
}

/// An integration's kind.
pub fn integration_kind() -> Object {
    use bastion_core::secrets::integrations::IntegrationKind;
    let kinds: Vec<&str> = IntegrationKind::ALL.iter().map(|k| k.as_str()).collect();
    one_of(&kinds)
}

/// `GET …/audit/export?format=`.
pub fn export_format() -> Object {
    one_of(&["csv", "json"])
}

/// `GET …/time-entries/report?group=`.
pub fn report_group() -> Object {
    one_of(&["project", "person", "week", "day"])
}

/// A security request's kind.
pub fn security_request_kind() -> Object {
    one_of(&["dpa", "security_pack"])
}

/// A language Bastion writes in, optional.
pub fn language_or_null() -> Object {
    let tags: Vec<&str> = bastion_i18n::Locale::ALL.iter().map(|l| l.tag()).collect();
    one_of_or_null(&tags)
}
