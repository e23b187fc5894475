//! The task page's history section (admins): the task's audit events, newest first, each
//! field change named and its values shown as people read them.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRow {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: i64,
    /// Brussels time.
    pub when: String,
    pub actor: String,
    pub action: String,
    pub changes: Vec<ChangeRow>,
}

/// History events shown on a task, newest first.
#[cfg(feature = "ssr")]
pub const HISTORY_SHOWN: u32 = 300;

#[cfg(feature = "ssr")]
pub(crate) mod srv {
    //! Turning audit events into rows.

    use bastion_core::audit::HistoryEvent;
    use sqlx::types::JsonValue as Value;
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::{ChangeRow, HistoryRow};
    use crate::money::format_eur;
    use crate::work::attachments::format_size;
    use crate::work::fields::FieldDef;
    use crate::work::{ProjectRow, TagRow};

    /// History fields that name a person.
    pub const PERSON_FIELDS: [&str; 6] = [
        "user_id",
        "assignee_id",
        "author_id",
        "uploader_id",
        "created_by",
        "value_person",
    ];
    /// Bookkeeping fields a reader of the history does not need.
    const HIDDEN_FIELDS: [&str; 8] = [
        "id",
        "task_id",
        "updated_by",
        "created_at",
        "updated_at",
        "edited_at",
        "added_at",
        "object_key",
    ];

    /// What turns stored values into readable ones: names, Brussels wall times of instants
    /// (converted beforehand by `core::clock`), projects, tags and the reader's locale.
    pub struct Known<'a> {
        pub name: &'a dyn Fn(&Uuid) -> String,
        pub wall: &'a dyn Fn(OffsetDateTime) -> String,
        pub locale: &'a str,
        pub projects: &'a [ProjectRow],
        pub tags: &'a [TagRow],
        /// Custom fields, to name the field a value belongs to.
        pub fields: &'a [FieldDef],
    }

    /// Everyone an event names: its actor and the people in its changes.
    pub fn people(event: &HistoryEvent, ids: &mut Vec<Uuid>) {
        ids.extend(Uuid::parse_str(&event.actor).ok());
        if let Value::Object(fields) = &event.changes {
            for (key, value) in fields {
                if PERSON_FIELDS.contains(&key.as_str()) {
                    let values = match value {
                        Value::Object(pair) => vec![pair.get("before"), pair.get("after")],
                        other => vec![Some(other)],
                    };
                    ids.extend(
                        values
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .filter_map(|s| Uuid::parse_str(s).ok()),
                    );
                }
            }
        }
    }

    /// The instants an event shows: when it happened and any start it records.
    pub fn instants(event: &HistoryEvent, into: &mut Vec<OffsetDateTime>) {
        into.push(event.occurred_at);
        if let Value::Object(fields) = &event.changes {
            if let Some(value) = fields.get("started_at") {
                let values = match value {
                    Value::Object(pair) => vec![pair.get("before"), pair.get("after")],
                    other => vec![Some(other)],
                };
                into.extend(values.into_iter().flatten().filter_map(instant));
            }
        }
    }

    fn instant(value: &Value) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(
            value.as_str()?,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
    }

    /// The event as people read it; `None` for an update that changed nothing they are shown
    /// (adding or removing a tag touches the task's `updated_at`, and the tag has its own entry).
    pub fn row(e: HistoryEvent, known: &Known) -> Option<HistoryRow> {
        let value = |key: &str, v: Option<&Value>| show_value(key, v, known);
        let mut changes = Vec::new();
        if let Value::Object(fields) = &e.changes {
            for (key, v) in fields {
                if HIDDEN_FIELDS.contains(&key.as_str()) {
                    continue;
                }
                // A text the activity feed names without quoting it.
                let redacted = bastion_core::work::activity::is_redacted;
                if redacted(v) || v.get("after").is_some_and(redacted) {
                    let t = crate::use_t();
                    // A task or comment just made has its text set, not changed.
                    let said = if e.action == "created" {
                        t.hist_text_set_not_shown()
                    } else {
                        t.hist_text_not_shown()
                    };
                    changes.push(ChangeRow {
                        field: field_label(key).to_owned(),
                        before: None,
                        after: Some(said.to_owned()),
                    });
                    continue;
                }
                let dash = || "—".to_owned();
                let (before, after) = match (e.action.as_str(), v) {
                    ("updated", Value::Object(pair)) => (
                        Some(value(key, pair.get("before")).unwrap_or_else(dash)),
                        Some(value(key, pair.get("after")).unwrap_or_else(dash)),
                    ),
                    (action, v) if action == "deleted" || action.ends_with("_removed") => {
                        (value(key, Some(v)), None)
                    }
                    (_, v) => (None, value(key, Some(v))),
                };
                if before.is_none() && after.is_none() {
                    continue;
                }
                changes.push(ChangeRow {
                    field: field_label(key).to_owned(),
                    before,
                    after,
                });
            }
        }
        if e.action == "updated" && changes.is_empty() {
            return None;
        }
        Some(HistoryRow {
            id: e.id,
            when: (known.wall)(e.occurred_at),
            actor: match Uuid::parse_str(&e.actor) {
                Ok(id) => (known.name)(&id),
                Err(_) if e.actor == "system" => crate::use_t().the_system().into(),
                Err(_) => e.actor.clone(),
            },
            action: action_label(&e.entity_type, &e.action),
            changes,
        })
    }

    fn action_label(entity: &str, action: &str) -> String {
        let t = crate::use_t();
        let label = match (entity, action) {
            ("task", "created") => t.hist_task_created(),
            ("task", "updated") => t.hist_task_updated(),
            ("task", "deleted") => t.hist_task_deleted(),
            ("task", "tag_added") => t.hist_task_tag_added(),
            ("task", "tag_removed") => t.hist_task_tag_removed(),
            ("task", "viewer_added") => t.hist_task_viewer_added(),
            ("task", "viewer_removed") => t.hist_task_viewer_removed(),
            ("task", "watcher_added") => t.hist_task_watcher_added(),
            ("task", "watcher_removed") => t.hist_task_watcher_removed(),
            ("comment", "created") => t.hist_comment_created(),
            ("comment", "updated") => t.hist_comment_updated(),
            ("comment", "deleted") => t.hist_comment_deleted(),
            ("time_entry", "created") => t.hist_time_entry_created(),
            ("time_entry", "updated") => t.hist_time_entry_updated(),
            ("time_entry", "deleted") => t.hist_time_entry_deleted(),
            ("attachment", "created") => t.hist_attachment_created(),
            ("attachment", "updated") => t.hist_attachment_updated(),
            ("attachment", "deleted") => t.hist_attachment_deleted(),
            ("checklist_item", "created") => t.hist_checklist_item_created(),
            ("checklist_item", "updated") => t.hist_checklist_item_updated(),
            ("checklist_item", "deleted") => t.hist_checklist_item_deleted(),
            ("task_relation", "created") => t.hist_task_relation_created(),
            ("task_relation", "deleted") => t.hist_task_relation_deleted(),
            ("task_recurrence", "created") => t.hist_task_recurrence_created(),
            ("task_recurrence", "updated") => t.hist_task_recurrence_updated(),
            ("task_recurrence", "deleted") => t.hist_task_recurrence_deleted(),
            ("custom_field", "created") => t.hist_custom_field_created(),
            ("custom_field", "updated") => t.hist_custom_field_updated(),
            ("custom_field", "deleted") => t.hist_custom_field_deleted(),
            ("field_value", "created") => t.hist_field_value_created(),
            ("field_value", "updated") => t.hist_field_value_updated(),
            ("field_value", "deleted") => t.hist_field_value_deleted(),
            _ => return format!("{} {}", entity.replace('_', " "), action.replace('_', " ")),
        };
        label.to_owned()
    }

    fn field_label(key: &str) -> &str {
        let t = crate::use_t();
        match key {
            "title" => t.hist_field_title(),
            "description" => t.hist_field_description(),
            "status" => t.hist_field_status(),
            "priority" => t.hist_field_priority(),
            "assignee_id" => t.hist_field_assignee_id(),
            "due_on" => t.hist_field_due_on(),
            "private" => t.hist_field_private(),
            "project_id" => t.hist_field_project_id(),
            "created_by" => t.hist_field_created_by(),
            "tag_id" => t.hist_field_tag_id(),
            "user_id" => t.hist_field_user_id(),
            "author_id" => t.hist_field_author_id(),
            "body" => t.hist_field_body(),
            "started_at" => t.hist_field_started_at(),
            "minutes" => t.hist_field_minutes(),
            "billable" => t.hist_field_billable(),
            "rate_cents" => t.hist_field_rate_cents(),
            "note" => t.hist_field_note(),
            "uploader_id" => t.hist_field_uploader_id(),
            "filename" => t.hist_field_filename(),
            "size_bytes" => t.hist_field_size_bytes(),
            "content_type" => t.hist_field_content_type(),
            "number" => t.hist_field_number(),
            "parent_id" => t.hist_field_parent_id(),
            "text" => t.hist_field_text(),
            "done" => t.hist_field_done(),
            "position" => t.hist_field_position(),
            "kind" => t.hist_field_kind(),
            "other_id" => t.hist_field_other_id(),
            "unit" => t.hist_field_unit(),
            "every" => t.hist_field_every(),
            "weekdays" => t.hist_field_weekdays(),
            "month_day" => t.hist_field_month_day(),
            "last_working_day" => t.hist_field_last_working_day(),
            "trigger" => t.hist_field_trigger(),
            "next_on" => t.hist_field_next_on(),
            "recurred_from" => t.hist_field_recurred_from(),
            "field_id" => t.hist_field_field_id(),
            "value_text" | "value_number" | "value_cents" | "value_date" | "value_options"
            | "value_person" => t.hist_field_value(),
            "options" => t.hist_field_options(),
            other => other,
        }
    }

    /// One recorded value as text; `None` for an empty one.
    fn show_value(key: &str, value: Option<&Value>, known: &Known) -> Option<String> {
        let Known {
            name,
            wall,
            locale,
            projects,
            tags,
            fields,
        } = known;
        let value = value?;
        let text = match value {
            Value::Null => return None,
            Value::Bool(b) => {
                let t = crate::use_t();
                return Some(if *b { t.yes() } else { t.no() }.to_owned());
            }
            Value::Number(n) => match (key, n.as_i64()) {
                ("rate_cents" | "value_cents", Some(cents)) => {
                    return Some(format_eur(cents, locale))
                }
                ("size_bytes", Some(bytes)) => return Some(format_size(bytes)),
                _ => return Some(n.to_string()),
            },
            Value::String(s) if s.trim().is_empty() => return None,
            Value::String(s) => s.as_str(),
            // A multi-select field's options, or a select field's choices.
            Value::Array(items) if items.iter().all(Value::is_string) => {
                let items: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                return Some(shorten(&items.join(", ")));
            }
            other => return Some(shorten(&other.to_string())),
        };
        let shown = match key {
            k if PERSON_FIELDS.contains(&k) => Uuid::parse_str(text).map(|id| name(&id)).ok(),
            "tag_id" => Some(
                tags.iter()
                    .find(|t| t.id == text)
                    .map(|t| t.name.clone())
                    .unwrap_or_else(|| crate::use_t().a_deleted_tag().into()),
            ),
            "project_id" => projects
                .iter()
                .find(|p| p.id == text)
                .map(|p| p.name.clone()),
            "field_id" => Some(
                fields
                    .iter()
                    .find(|f| f.id == text)
                    .map(|f| f.name.clone())
                    .unwrap_or_else(|| crate::use_t().a_deleted_field().into()),
            ),
            "value_date" => Some(crate::i18n::format_iso_date(crate::use_t().0, text)),
            "status" => Some(super::super::status_word(crate::use_t(), text).to_owned()),
            "priority" => Some(super::super::priority_word(crate::use_t(), text).to_owned()),
            "started_at" => {
                OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .map(wall)
            }
            _ => None,
        };
        Some(shown.unwrap_or_else(|| shorten(text)))
    }

    /// Long texts (descriptions, comments) cut to a line's worth.
    fn shorten(text: &str) -> String {
        const MAX: usize = 120;
        if text.chars().count() <= MAX {
            text.to_owned()
        } else {
            format!("{}…", text.chars().take(MAX).collect::<String>())
        }
    }

    #[cfg(test)]
    mod tests {
        use std::collections::HashMap;

        use super::*;

        #[test]
        fn history_values_are_named_and_shortened() {
            let id = Uuid::new_v4();
            let names: HashMap<Uuid, String> = [(id, "Bea".to_owned())].into();
            let name = |i: &Uuid| names.get(i).cloned().unwrap_or_default();
            let tags = vec![TagRow {
                id: "t1".into(),
                name: "legal".into(),
                colour: "#000000".into(),
            }];
            let wall = |_: OffsetDateTime| String::new();
            let known = Known {
                name: &name,
                wall: &wall,
                locale: "en",
                projects: &[],
                tags: &tags,
                fields: &[],
            };
            let show = |key: &str, v: Value| show_value(key, Some(&v), &known);
            assert_eq!(
                show("assignee_id", Value::String(id.to_string())),
                Some("Bea".into())
            );
            assert_eq!(show("tag_id", "t1".into()), Some("legal".into()));
            assert_eq!(
                show("status", "in_progress".into()),
                Some("In progress".into())
            );
            assert_eq!(show("rate_cents", 9000.into()), Some("€90.00".into()));
            assert_eq!(show("due_on", Value::Null), None);
            assert_eq!(
                show("body", "x".repeat(200).into())
                    .unwrap()
                    .chars()
                    .count(),
                121
            );
        }
    }
}

#[component]
pub fn HistorySection(history: Vec<HistoryRow>) -> impl IntoView {
    let t = crate::use_t();
    view! {
        <section class="card" aria-labelledby="history-title">
            // Folded away by default: it is for looking something up, not for every visit.
            <details class="activity">
            <summary>
                <h2 id="history-title">{t.task_activity()}</h2>
                " " <span class="badge">{history.len().to_string()}</span>
            </summary>
            <p class="muted">{t.history_explained()}</p>
            {if history.is_empty() {
                view! { <p class="muted">{t.nothing_recorded()}</p> }.into_any()
            } else {
                view! {
                    <ol class="history">
                        {history.into_iter().map(|h| view! {
                            <li>
                                <p class="history-head">
                                    <span class="muted">{h.when}</span> " "
                                    <strong>{h.actor}</strong> " " {h.action}
                                </p>
                                {(!h.changes.is_empty()).then(|| view! {
                                    <dl class="changes">
                                        {h.changes.into_iter().map(|c| view! {
                                            <dt>{c.field}</dt>
                                            <dd>{match (c.before, c.after) {
                                                (Some(b), Some(a)) => format!("{b} → {a}"),
                                                (Some(b), None) => b,
                                                (None, Some(a)) => a,
                                                (None, None) => String::new(),
                                            }}</dd>
                                        }).collect_view()}
                                    </dl>
                                })}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            </details>
        </section>
    }
}
