//! The task page's time, attachments and history sections: what they show, the server functions
//! behind their forms, and the components. Each section asks `crate::policy` what to offer, and
//! each server function asks again on the server.
//!
//! Uploads are a plain multipart `<form>` posted to the REST endpoint with `?redirect=1`, which
//! answers `303` back to this page: the browser streams the file itself, before hydration as
//! after (the router does not intercept plain forms), the REST handler's size limit and checks
//! stay the only upload path, and no script or server function has to carry file bytes.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::FormError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeRow {
    pub id: String,
    /// Brussels time.
    pub started: String,
    pub person: String,
    /// `h:mm`.
    pub duration: String,
    pub billable: bool,
    pub rate: String,
    /// Empty for a non-billable entry.
    pub amount: String,
    pub note: String,
    pub can_delete: bool,
}

/// The caller's view of the task's time (admins: everyone's; members: their own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSummary {
    pub everyone: bool,
    pub entries: Vec<TimeRow>,
    pub total_duration: String,
    pub total_amount: String,
    /// Defaults for the form: now, in Brussels.
    pub today: String,
    pub now: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRow {
    pub id: String,
    pub filename: String,
    pub size: String,
    pub uploader: String,
    /// Brussels time.
    pub uploaded: String,
    pub can_delete: bool,
}

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

/// A byte count as people read it: `512 B`, `1.5 KB`, `2.0 MB` (binary units, one decimal).
pub fn format_size(bytes: i64) -> String {
    const UNITS: [&str; 3] = ["KB", "MB", "GB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit = 1024_i64;
    for (i, name) in UNITS.iter().enumerate() {
        if bytes < unit * 1024 || i == UNITS.len() - 1 {
            let tenths = bytes * 10 / unit;
            return format!("{}.{} {name}", tenths / 10, tenths % 10);
        }
        unit *= 1024;
    }
    format!("{bytes} B")
}

/// Time entries shown on a task, newest first; the totals cover all of them regardless.
#[cfg(feature = "ssr")]
pub const TIME_SHOWN: u32 = 500;
/// History events shown on a task, newest first.
#[cfg(feature = "ssr")]
pub const HISTORY_SHOWN: u32 = 300;

#[cfg(feature = "ssr")]
pub(crate) mod srv {
    //! Loading the sections and turning records into rows.

    use std::collections::HashMap;

    use bastion_core::{
        attachments::Attachment,
        audit::{self, HistoryEvent, HistoryFilter, HistoryPage},
        time_entries::{self, ReportGroup, TimeEntry, TimeFilter},
        TenantTx,
    };
    use leptos::prelude::ServerFnError;
    use sqlx::types::JsonValue as Value;
    use time::{macros::offset, OffsetDateTime, PrimitiveDateTime, UtcOffset};
    use uuid::Uuid;

    use super::{
        format_size, AttachmentRow, ChangeRow, HistoryRow, TimeRow, TimeSummary, HISTORY_SHOWN,
        TIME_SHOWN,
    };
    use crate::money::{format_eur, format_minutes};
    use crate::policy::{self, Role};
    use crate::server::refused;
    use crate::work::srv::{brussels, local_time};
    use crate::work::{priority_label, status_label, ProjectRow, TagRow};

    /// The moment a Brussels wall-clock time names. In the autumn's repeated hour the first
    /// (summer-time) moment is meant; a time in the spring's skipped hour is read with the
    /// winter offset, which lands an hour later on the clock.
    pub fn from_brussels(local: PrimitiveDateTime) -> OffsetDateTime {
        for offset in [offset!(+2), offset!(+1)] {
            let moment = local.assume_offset(offset);
            if brussels(moment).offset() == offset {
                return moment.to_offset(UtcOffset::UTC);
            }
        }
        local.assume_offset(offset!(+1)).to_offset(UtcOffset::UTC)
    }

    /// What the sections need, read in the page's transaction.
    pub struct Extras {
        time: Option<(Vec<TimeEntry>, i64, i64)>,
        attachments: Vec<Attachment>,
        history: Option<Vec<HistoryEvent>>,
    }

    pub async fn fetch(
        tx: &mut TenantTx,
        user_id: Uuid,
        role: Role,
        task_id: Uuid,
    ) -> Result<Extras, ServerFnError> {
        let viewer = bastion_core::Viewer { user_id, role };
        let time = if policy::can_track_time(role) {
            let filter = TimeFilter {
                task_id: Some(task_id),
                ..TimeFilter::default()
            };
            let entries = time_entries::list(tx, viewer, &filter, None, TIME_SHOWN)
                .await
                .map_err(refused)?;
            // Totals from the report, so they cover every entry, not only those shown.
            let totals = time_entries::report(tx, viewer, ReportGroup::Project, &filter)
                .await
                .map_err(refused)?;
            let minutes = totals.iter().map(|r| r.minutes).sum();
            let cents = totals.iter().map(|r| r.amount_cents).sum();
            Some((entries, minutes, cents))
        } else {
            None
        };
        let attachments = bastion_core::attachments::list_for_task(tx, viewer, task_id)
            .await
            .map_err(refused)?;
        let history = if policy::can_read_audit(role) {
            let filter = HistoryFilter {
                task_id: Some(task_id),
                ..HistoryFilter::default()
            };
            let page = HistoryPage {
                before: None,
                limit: HISTORY_SHOWN,
            };
            Some(audit::list(tx, &filter, page).await.map_err(refused)?)
        } else {
            None
        };
        Ok(Extras {
            time,
            attachments,
            history,
        })
    }

    /// History fields that name a person.
    const PERSON_FIELDS: [&str; 5] = [
        "user_id",
        "assignee_id",
        "author_id",
        "uploader_id",
        "created_by",
    ];
    /// Bookkeeping fields a reader of the history does not need.
    const HIDDEN_FIELDS: [&str; 7] = [
        "id",
        "task_id",
        "created_at",
        "updated_at",
        "edited_at",
        "added_at",
        "object_key",
    ];

    impl Extras {
        /// Everyone whose name the sections show.
        pub fn people(&self) -> Vec<Uuid> {
            let mut ids: Vec<Uuid> = Vec::new();
            if let Some((entries, _, _)) = &self.time {
                ids.extend(entries.iter().map(|e| e.user_id));
            }
            ids.extend(self.attachments.iter().map(|a| a.uploader_id));
            for event in self.history.iter().flatten() {
                ids.extend(Uuid::parse_str(&event.actor).ok());
                if let Value::Object(fields) = &event.changes {
                    for (key, value) in fields {
                        if PERSON_FIELDS.contains(&key.as_str()) {
                            let values = match value {
                                Value::Object(pair) => {
                                    vec![pair.get("before"), pair.get("after")]
                                }
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
            ids
        }

        #[allow(clippy::type_complexity)]
        pub fn rows(
            self,
            caller: &bastion_core::accounts::User,
            role: Role,
            names: &HashMap<Uuid, String>,
            projects: &[ProjectRow],
            tags: &[TagRow],
        ) -> (
            Option<TimeSummary>,
            Vec<AttachmentRow>,
            Option<Vec<HistoryRow>>,
        ) {
            let name = |id: &Uuid| {
                names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| "Former member".into())
            };
            let locale = caller.locale.as_str();
            let time = self.time.map(|(entries, minutes, cents)| {
                let now = brussels(OffsetDateTime::now_utc());
                TimeSummary {
                    everyone: role == Role::Admin,
                    entries: entries
                        .into_iter()
                        .map(|e| TimeRow {
                            id: e.id.to_string(),
                            started: local_time(e.started_at),
                            person: name(&e.user_id),
                            duration: format_minutes(e.minutes.into()),
                            billable: e.billable,
                            rate: format_eur(e.rate_cents, locale),
                            amount: if e.billable {
                                format_eur(
                                    time_entries::amount_cents(e.minutes, e.rate_cents),
                                    locale,
                                )
                            } else {
                                String::new()
                            },
                            note: e.note,
                            // Members see only their own entries; admins change any.
                            can_delete: role == Role::Admin || e.user_id == caller.id,
                        })
                        .collect(),
                    total_duration: format_minutes(minutes),
                    total_amount: format_eur(cents, locale),
                    today: crate::work::srv::iso(now.date()),
                    now: format!("{:02}:{:02}", now.hour(), now.minute()),
                }
            });
            let attachments = self
                .attachments
                .into_iter()
                .map(|a| AttachmentRow {
                    id: a.id.to_string(),
                    size: format_size(a.size_bytes),
                    uploader: name(&a.uploader_id),
                    uploaded: local_time(a.created_at),
                    can_delete: policy::can_delete_attachment(role, a.uploader_id == caller.id),
                    filename: a.filename,
                })
                .collect();
            let history = self.history.map(|events| {
                events
                    .into_iter()
                    .map(|e| {
                        let value = |key: &str, v: Option<&Value>| {
                            show_value(key, v, locale, &name, projects, tags)
                        };
                        let mut changes = Vec::new();
                        if let Value::Object(fields) = &e.changes {
                            for (key, v) in fields {
                                if HIDDEN_FIELDS.contains(&key.as_str()) {
                                    continue;
                                }
                                let dash = || "—".to_owned();
                                let (before, after) = match (e.action.as_str(), v) {
                                    ("updated", Value::Object(pair)) => (
                                        Some(value(key, pair.get("before")).unwrap_or_else(dash)),
                                        Some(value(key, pair.get("after")).unwrap_or_else(dash)),
                                    ),
                                    (action, v)
                                        if action == "deleted" || action.ends_with("_removed") =>
                                    {
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
                        HistoryRow {
                            id: e.id,
                            when: local_time(e.occurred_at),
                            actor: match Uuid::parse_str(&e.actor) {
                                Ok(id) => name(&id),
                                Err(_) if e.actor == "system" => "The system".into(),
                                Err(_) => e.actor.clone(),
                            },
                            action: action_label(&e.entity_type, &e.action),
                            changes,
                        }
                    })
                    .collect()
            });
            (time, attachments, history)
        }
    }

    fn action_label(entity: &str, action: &str) -> String {
        let label = match (entity, action) {
            ("task", "created") => "created the task",
            ("task", "updated") => "changed the task",
            ("task", "deleted") => "deleted the task",
            ("task", "tag_added") => "added a tag",
            ("task", "tag_removed") => "removed a tag",
            ("task", "viewer_added") => "added a viewer",
            ("task", "viewer_removed") => "removed a viewer",
            ("comment", "created") => "commented",
            ("comment", "updated") => "edited a comment",
            ("comment", "deleted") => "deleted a comment",
            ("time_entry", "created") => "logged time",
            ("time_entry", "updated") => "changed a time entry",
            ("time_entry", "deleted") => "deleted a time entry",
            ("attachment", "created") => "attached a file",
            ("attachment", "updated") => "changed an attachment",
            ("attachment", "deleted") => "deleted an attachment",
            _ => return format!("{} {}", entity.replace('_', " "), action.replace('_', " ")),
        };
        label.to_owned()
    }

    fn field_label(key: &str) -> &str {
        match key {
            "title" => "Title",
            "description" => "Description",
            "status" => "Status",
            "priority" => "Priority",
            "assignee_id" => "Assignee",
            "due_on" => "Due",
            "private" => "Private",
            "project_id" => "Project",
            "created_by" => "Created by",
            "tag_id" => "Tag",
            "user_id" => "Person",
            "author_id" => "Author",
            "body" => "Text",
            "started_at" => "Started",
            "minutes" => "Minutes",
            "billable" => "Billable",
            "rate_cents" => "Hourly rate",
            "note" => "Note",
            "uploader_id" => "Uploaded by",
            "filename" => "File",
            "size_bytes" => "Size",
            "content_type" => "Type",
            other => other,
        }
    }

    /// One recorded value as text; `None` for an empty one.
    fn show_value(
        key: &str,
        value: Option<&Value>,
        locale: &str,
        name: &dyn Fn(&Uuid) -> String,
        projects: &[ProjectRow],
        tags: &[TagRow],
    ) -> Option<String> {
        let value = value?;
        let text = match value {
            Value::Null => return None,
            Value::Bool(b) => return Some(if *b { "yes" } else { "no" }.to_owned()),
            Value::Number(n) => match (key, n.as_i64()) {
                ("rate_cents", Some(cents)) => return Some(format_eur(cents, locale)),
                ("size_bytes", Some(bytes)) => return Some(format_size(bytes)),
                _ => return Some(n.to_string()),
            },
            Value::String(s) if s.trim().is_empty() => return None,
            Value::String(s) => s.as_str(),
            other => return Some(shorten(&other.to_string())),
        };
        let shown = match key {
            k if PERSON_FIELDS.contains(&k) => Uuid::parse_str(text).map(|id| name(&id)).ok(),
            "tag_id" => Some(
                tags.iter()
                    .find(|t| t.id == text)
                    .map(|t| t.name.clone())
                    .unwrap_or_else(|| "a deleted tag".into()),
            ),
            "project_id" => projects
                .iter()
                .find(|p| p.id == text)
                .map(|p| p.name.clone()),
            "status" => Some(status_label(text).to_owned()),
            "priority" => Some(priority_label(text).to_owned()),
            "started_at" => {
                OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .map(local_time)
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
        use super::*;
        use time::macros::{datetime, offset};

        #[test]
        fn brussels_wall_clock_times_become_the_right_moments() {
            for (local, utc) in [
                (datetime!(2026-01-15 09:30), datetime!(2026-01-15 08:30 UTC)),
                (datetime!(2026-07-01 09:30), datetime!(2026-07-01 07:30 UTC)),
                // The repeated autumn hour: the first (summer) one.
                (datetime!(2026-10-25 02:30), datetime!(2026-10-25 00:30 UTC)),
                // The skipped spring hour: read as winter time.
                (datetime!(2026-03-29 02:30), datetime!(2026-03-29 01:30 UTC)),
            ] {
                assert_eq!(from_brussels(local), utc, "{local}");
                assert_eq!(from_brussels(local).offset(), offset!(UTC));
            }
        }

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
            let show = |key: &str, v: Value| show_value(key, Some(&v), "en", &name, &[], &tags);
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

#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api/fn", endpoint = "log_task_time")]
pub async fn log_time(
    slug: String,
    task_id: String,
    minutes: String,
    started_on: String,
    started_time: String,
    billable: Option<String>,
    rate: Option<String>,
    note: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::server::{forbidden, internal, refused};
    use crate::work::srv::{invalid, opt_date};
    use bastion_core::time_entries::{self, NewTimeEntry};
    let mut t = super::task::open::open_task(&slug, &task_id).await?;
    if !crate::policy::can_track_time(t.role) {
        return Err(forbidden("Guests do not record time."));
    }
    let minutes: i32 = minutes
        .trim()
        .parse()
        .map_err(|_| invalid("The minutes must be a whole number from 1 to 1440.".into()))?;
    let Some(day) = opt_date("The start date", Some(&started_on))? else {
        return Err(invalid("The start date is missing.".into()));
    };
    let at = time::Time::parse(
        started_time.trim(),
        time::macros::format_description!("[hour]:[minute]"),
    )
    .map_err(|_| invalid("The start time must be a time like 09:30.".into()))?;
    // An empty rate means an entry without a rate.
    let rate_cents = match rate.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => 0,
        Some(rate) => crate::money::parse_eur_cents(rate)
            .map_err(|m| invalid(format!("The hourly rate (€) {m}.")))?,
    };
    let new = NewTimeEntry {
        task_id: t.task.id,
        user_id: t.user.id,
        started_at: srv::from_brussels(time::PrimitiveDateTime::new(day, at)),
        minutes,
        billable: billable.is_some_and(|b| !b.is_empty() && b != "false"),
        rate_cents,
        note: note.unwrap_or_default().trim().to_owned(),
    };
    let viewer = bastion_core::Viewer {
        user_id: t.user.id,
        role: t.role,
    };
    time_entries::create(&mut t.tx, viewer, &new)
        .await
        .map_err(refused)?;
    t.tx.commit().await.map_err(internal)
}

/// Deletes a time entry of this task: members their own (others' are invisible to them, so 404),
/// admins any.
#[server(prefix = "/api/fn", endpoint = "delete_task_time_entry")]
pub async fn delete_time_entry(
    slug: String,
    task_id: String,
    entry_id: String,
) -> Result<(), ServerFnError> {
    use crate::server::{forbidden, internal, refused};
    use bastion_core::{time_entries, CoreError};
    let mut t = super::task::open::open_task(&slug, &task_id).await?;
    if !crate::policy::can_track_time(t.role) {
        return Err(forbidden("Guests have no time entries to delete."));
    }
    let id = crate::work::srv::id_or_404(&entry_id, "time entry")?;
    let viewer = bastion_core::Viewer {
        user_id: t.user.id,
        role: t.role,
    };
    let entry = time_entries::get(&mut t.tx, viewer, id)
        .await
        .map_err(refused)?;
    if entry.task_id != t.task.id {
        return Err(refused(CoreError::NotFound("time entry")));
    }
    time_entries::delete(&mut t.tx, viewer, id)
        .await
        .map_err(refused)?;
    t.tx.commit().await.map_err(internal)
}

/// Deletes an attachment of this task, bytes included: admins any, members their own uploads.
#[server(prefix = "/api/fn", endpoint = "delete_attachment")]
pub async fn delete_attachment(
    slug: String,
    task_id: String,
    attachment_id: String,
) -> Result<(), ServerFnError> {
    use crate::server::{context, forbidden, internal, refused};
    use bastion_core::{attachments, CoreError};
    let mut t = super::task::open::open_task(&slug, &task_id).await?;
    let id = crate::work::srv::id_or_404(&attachment_id, "attachment")?;
    let viewer = bastion_core::Viewer {
        user_id: t.user.id,
        role: t.role,
    };
    let attachment = attachments::get(&mut t.tx, viewer, id)
        .await
        .map_err(refused)?;
    if attachment.task_id != t.task.id {
        return Err(refused(CoreError::NotFound("attachment")));
    }
    if !crate::policy::can_delete_attachment(t.role, attachment.uploader_id == t.user.id) {
        return Err(forbidden(
            "Members delete only the attachments they uploaded; guests delete none.",
        ));
    }
    let objects = attachments::Objects::local(&context()?.objects_dir).map_err(internal)?;
    attachments::delete(&mut t.tx, &objects, &attachment)
        .await
        .map_err(refused)?;
    t.tx.commit().await.map_err(internal)
}

#[component]
pub fn TimeSection(
    slug: String,
    task_id: String,
    time: TimeSummary,
    log: ServerAction<LogTime>,
    delete: ServerAction<DeleteTimeEntry>,
) -> impl IntoView {
    let error = {
        let (a, b) = (super::action_error!(log), super::action_error!(delete));
        move || a().or_else(b)
    };
    let (slug, task_id) = (StoredValue::new(slug), StoredValue::new(task_id));
    view! {
        <section class="card" aria-labelledby="time-title">
            <h2 id="time-title">"Time"</h2>
            <p class="muted">{if time.everyone { "Everyone's time on this task." } else { "Your time on this task." }}</p>
            {if time.entries.is_empty() {
                view! { <p class="muted">"No time logged yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                    <table class="table time-table">
                        <thead><tr>
                            <th scope="col">"Started"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Time"</th>
                            <th scope="col">"Rate"</th>
                            <th scope="col">"Amount"</th>
                            <th scope="col">"Note"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {time.entries.into_iter().map(|e| view! {
                                <tr>
                                    <td class="nowrap">{e.started.clone()}</td>
                                    <td>{e.person.clone()}</td>
                                    <td data-label="Time">{e.duration.clone()}</td>
                                    <td data-label="Rate">{e.rate.clone()}</td>
                                    <td data-label="Amount">{if e.billable { e.amount.clone() } else { "Not billable".to_owned() }}</td>
                                    <td>{e.note.clone()}</td>
                                    <td>
                                        {e.can_delete.then(|| view! {
                                            <ActionForm action=delete attr:class="inline-form">
                                                <input type="hidden" name="slug" value=slug.get_value()/>
                                                <input type="hidden" name="task_id" value=task_id.get_value()/>
                                                <input type="hidden" name="entry_id" value=e.id.clone()/>
                                                <button type="submit" class="button small danger" aria-label=format!("Delete the entry of {} started {}", e.duration, e.started)>"Delete"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
            <p class="totals"><strong>"Total: "</strong>{time.total_duration} " h · billable amount " {time.total_amount}</p>
            <FormError error/>
            <details class="panel">
                <summary>"Log time"</summary>
                <ActionForm action=log attr:class="form grid-form">
                    <input type="hidden" name="slug" value=slug.get_value()/>
                    <input type="hidden" name="task_id" value=task_id.get_value()/>
                    <div class="field">
                        <label for="t-minutes">"Minutes"</label>
                        <input id="t-minutes" name="minutes" type="number" min="1" max="1440" step="1" required/>
                    </div>
                    <div class="field">
                        <label for="t-date">"Start date"</label>
                        <input id="t-date" name="started_on" type="date" value=time.today required/>
                    </div>
                    <div class="field">
                        <label for="t-time">"Start time (Brussels)"</label>
                        <input id="t-time" name="started_time" type="time" value=time.now required/>
                    </div>
                    <div class="field">
                        <label for="t-rate">"Hourly rate (€)"</label>
                        <input id="t-rate" name="rate" inputmode="decimal" placeholder="85.50" maxlength="20"/>
                    </div>
                    <div class="field check">
                        <input id="t-billable" name="billable" type="checkbox" value="true" checked/>
                        <label for="t-billable">"Billable"</label>
                    </div>
                    <div class="field wide">
                        <label for="t-note">"Note"</label>
                        <input id="t-note" name="note" maxlength="1000"/>
                    </div>
                    <div class="field wide">
                        <button type="submit" class="button" disabled=move || log.pending().get()>"Log time"</button>
                    </div>
                </ActionForm>
            </details>
        </section>
    }
}

#[component]
pub fn AttachmentsSection(
    slug: String,
    task_id: String,
    attachments: Vec<AttachmentRow>,
    can_upload: bool,
    delete: ServerAction<DeleteAttachment>,
) -> impl IntoView {
    let query = use_query_map();
    // Set by the upload endpoint's redirect: fixed words per outcome, never text from the URL.
    let outcome = move || match query.read().get("attachment").as_deref() {
        Some("uploaded") => Some((false, "File uploaded.")),
        Some("too_large") => Some((true, "That file is larger than the upload limit.")),
        Some("invalid") => Some((
            true,
            "That file could not be stored: choose a file with a name.",
        )),
        _ => None,
    };
    let delete_error = super::action_error!(delete);
    let upload_to = format!("/api/v1/workspaces/{slug}/tasks/{task_id}/attachments?redirect=1");
    let (slug, task_id) = (StoredValue::new(slug), StoredValue::new(task_id));
    view! {
        <section class="card" id="attachments" aria-labelledby="attachments-title">
            <h2 id="attachments-title">"Attachments"</h2>
            {move || outcome().map(|(failed, text)| if failed {
                view! { <p class="form-error" role="alert">{text}</p> }.into_any()
            } else {
                view! { <p class="success" role="status">{text}</p> }.into_any()
            })}
            <FormError error=delete_error/>
            {if attachments.is_empty() {
                view! { <p class="muted">"No files attached."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list attachments">
                        {attachments.into_iter().map(|a| {
                            let href = format!("/api/v1/workspaces/{}/attachments/{}", slug.get_value(), a.id);
                            view! {
                                <li>
                                    // `download`: the browser saves it, and the router leaves the link alone.
                                    <a href=href download=a.filename.clone()>{a.filename.clone()}</a>
                                    " "<span class="muted">{format!("{} · {} · {}", a.size, a.uploader, a.uploaded)}</span>
                                    {a.can_delete.then(|| view! {
                                        <details class="confirm-delete">
                                            <summary>{format!("Delete {}…", a.filename)}</summary>
                                            <p>"The file is deleted for everyone. It cannot be undone."</p>
                                            <ActionForm action=delete attr:class="inline-form">
                                                <input type="hidden" name="slug" value=slug.get_value()/>
                                                <input type="hidden" name="task_id" value=task_id.get_value()/>
                                                <input type="hidden" name="attachment_id" value=a.id.clone()/>
                                                <button type="submit" class="button small danger">{format!("Yes, delete {}", a.filename)}</button>
                                            </ActionForm>
                                        </details>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {can_upload.then(|| view! {
                // A plain form, not an ActionForm: the browser posts the file to the REST
                // endpoint, which answers 303 back here (see the module's comment).
                <form class="inline-form upload-form" method="post" enctype="multipart/form-data" action=upload_to>
                    <label for="upload-file">"Attach a file"</label>
                    <input id="upload-file" name="file" type="file" required/>
                    <button type="submit" class="button small">"Upload"</button>
                </form>
            })}
        </section>
    }
}

#[component]
pub fn HistorySection(history: Vec<HistoryRow>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"History"</h2>
            <p class="muted">"Every change to this task, newest first (admins only)."</p>
            {if history.is_empty() {
                view! { <p class="muted">"Nothing recorded yet."</p> }.into_any()
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
        </section>
    }
}
