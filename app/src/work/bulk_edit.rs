//! Bulk edit on the task list: the tasks ticked on the page get one change (status, priority,
//! assignee, due date, project, a tag added or removed). The server function only parses and
//! calls `bastion_core::work::bulk::bulk_edit`, which asks the policy per task; the outcome
//! names the skipped tasks by key, and a task the caller does not see only as "not found".

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Person, ProjectRow, TagRow, PRIORITIES, STATUSES};
use crate::error::action_error;
use crate::UiError;

/// What a bulk edit did, for the page to say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkResult {
    pub changed: usize,
    pub unchanged: usize,
    /// Keys of the tasks the caller sees but may not change.
    pub forbidden: Vec<String>,
    /// Ids that named no task the caller sees.
    pub not_found: usize,
}

/// The change fields the form offers, as the `field` it sends.
pub const FIELDS: [&str; 7] = [
    "status",
    "priority",
    "assignee",
    "due_on",
    "project",
    "add_tag",
    "remove_tag",
];

/// Applies one change to the tasks named in `task_ids` (ids separated by commas).
#[server(prefix = "/api/fn", endpoint = "bulk_edit_tasks")]
pub async fn bulk_edit_tasks(
    slug: String,
    task_ids: String,
    field: String,
    value: Option<String>,
) -> Result<BulkResult, UiError> {
    use super::srv;
    use bastion_core::work::bulk::{self, BulkChange, SkipReason};
    let t = crate::use_t();
    let ids = task_ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(uuid::Uuid::parse_str)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| UiError::invalid("task_ids", t.bulk_bad_selection()))?;
    let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let required =
        |v: Option<uuid::Uuid>| v.ok_or_else(|| UiError::invalid("value", t.bulk_choose_value()));
    let change = match field.as_str() {
        "status" => BulkChange::Status(
            srv::opt_choice("status", value, &STATUSES)?
                .ok_or_else(|| UiError::invalid("value", t.bulk_choose_value()))?,
        ),
        "priority" => BulkChange::Priority(
            srv::opt_choice("priority", value, &PRIORITIES)?
                .ok_or_else(|| UiError::invalid("value", t.bulk_choose_value()))?,
        ),
        "assignee" => BulkChange::Assignee(srv::opt_id("assignee_id", value)?),
        "due_on" => BulkChange::DueOn(srv::opt_date("due_on", value)?),
        "project" => BulkChange::Project(required(srv::opt_id("project_id", value)?)?),
        "add_tag" => BulkChange::AddTag(required(srv::opt_id("tag_id", value)?)?),
        "remove_tag" => BulkChange::RemoveTag(required(srv::opt_id("tag_id", value)?)?),
        _ => return Err(UiError::invalid("field", t.bulk_choose_change())),
    };
    let mut o = crate::server::open(&slug).await?;
    let outcome = bulk::bulk_edit(&mut o.tx, &o.viewer, &ids, &change).await?;
    o.tx.commit().await?;
    Ok(BulkResult {
        changed: outcome.changed.len(),
        unchanged: outcome.unchanged.len(),
        forbidden: outcome
            .skipped
            .iter()
            .filter(|s| s.reason == SkipReason::Forbidden)
            .filter_map(|s| s.key.clone())
            .collect(),
        not_found: outcome
            .skipped
            .iter()
            .filter(|s| s.reason == SkipReason::NotFound)
            .count(),
    })
}

/// The outcome in the reader's language: what changed, and every task left alone.
fn outcome_text(t: crate::i18n::T, r: &BulkResult) -> String {
    let mut parts = vec![t.bulk_changed(r.changed)];
    if r.unchanged > 0 {
        parts.push(t.bulk_unchanged(r.unchanged));
    }
    if !r.forbidden.is_empty() {
        parts.push(t.bulk_forbidden(r.forbidden.join(", ")));
    }
    if r.not_found > 0 {
        parts.push(t.bulk_not_found(r.not_found));
    }
    parts.join(" ")
}

/// The bar above the list: "select all on this page", how many are selected, the change and
/// its value, and what the last bulk edit did (a live region, so it is heard).
#[component]
pub fn BulkBar(
    slug: String,
    page_ids: Vec<String>,
    action: ServerAction<BulkEditTasks>,
    projects: Vec<ProjectRow>,
    people: Vec<Person>,
    tags: Vec<TagRow>,
) -> impl IntoView {
    let t = crate::use_t();
    let error = action_error(action);
    let outcome = move || {
        action.value().with(|v| match v {
            Some(Ok(r)) => outcome_text(t, r),
            _ => String::new(),
        })
    };
    view! {
        <ActionForm action=action attr:class="filters bulk-bar" attr:aria-label=t.bulk_title()>
            <input type="hidden" name="slug" value=slug/>
            <BulkFields page_ids projects people tags/>
        </ActionForm>
        <p class="bulk-outcome" role="status">{outcome}</p>
        {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
    }
}

/// Inside the bar's form: the selection sent, "select all", the count, the change and its
/// value, the button (disabled while nothing is selected). The selection is the rows'
/// checkboxes ([`SelectTask`], plain), followed from their `change` events.
#[island]
fn BulkFields(
    page_ids: Vec<String>,
    projects: Vec<ProjectRow>,
    people: Vec<Person>,
    tags: Vec<TagRow>,
) -> impl IntoView {
    let selected = RwSignal::new(Vec::<String>::new());
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::HtmlInputElement;
        // The rows' boxes as the page shows them, whoever ticked them.
        let read = move || {
            let Ok(boxes) = document().query_selector_all("input.bulk-select[data-task]") else {
                return;
            };
            let ticked = (0..boxes.length())
                .filter_map(|i| boxes.item(i))
                .filter_map(|n| n.dyn_into::<HtmlInputElement>().ok())
                .filter(|b| b.checked())
                .filter_map(|b| b.get_attribute("data-task"))
                .collect();
            selected.set(ticked);
        };
        Effect::new(move |_| read());
        let _ = window_event_listener(leptos::ev::change, move |ev| {
            let on_row = ev
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .is_some_and(|b| b.class_list().contains("bulk-select"));
            if on_row {
                read();
            }
        });
        // "Select all" ticks the rows' boxes themselves, so they say what is selected.
        Effect::new(move |_| {
            let now = selected.get();
            if let Ok(boxes) = document().query_selector_all("input.bulk-select[data-task]") {
                for b in (0..boxes.length())
                    .filter_map(|i| boxes.item(i))
                    .filter_map(|n| n.dyn_into::<HtmlInputElement>().ok())
                {
                    let id = b.get_attribute("data-task").unwrap_or_default();
                    b.set_checked(now.contains(&id));
                }
            }
        });
    }
    let t = crate::use_t();
    let field = RwSignal::new("status".to_owned());
    let all_ids = page_ids.clone();
    let all_selected =
        move || !page_ids.is_empty() && selected.with(|s| page_ids.iter().all(|id| s.contains(id)));
    let toggle_all = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        selected.update(|s| {
            s.retain(|id| !all_ids.contains(id));
            if on {
                s.extend(all_ids.iter().cloned());
            }
        });
    };
    let field_word = move |f: &str| match f {
        "status" => t.col_status(),
        "priority" => t.col_priority(),
        "assignee" => t.col_assignee(),
        "due_on" => t.due_date(),
        "project" => t.group_project(),
        "add_tag" => t.bulk_add_tag(),
        _ => t.bulk_remove_tag(),
    };
    let value_input = move || {
        let options = |items: Vec<(String, String)>| {
            view! {
                <select id="bulk-value" name="value">
                    {items.into_iter().map(|(v, label)| view! { <option value=v>{label}</option> }).collect_view()}
                </select>
            }
            .into_any()
        };
        match field.get().as_str() {
            "status" => options(
                STATUSES
                    .iter()
                    .map(|(v, _)| ((*v).to_owned(), super::status_word(t, v).to_owned()))
                    .collect(),
            ),
            "priority" => options(
                PRIORITIES
                    .iter()
                    .map(|(v, _)| ((*v).to_owned(), super::priority_word(t, v).to_owned()))
                    .collect(),
            ),
            "assignee" => options(
                std::iter::once((String::new(), t.nobody().to_owned()))
                    .chain(people.iter().map(|p| (p.id.clone(), p.name.clone())))
                    .collect(),
            ),
            "due_on" => view! { <input id="bulk-value" name="value" type="date"/> }.into_any(),
            "project" => options(
                projects
                    .iter()
                    .filter(|p| !p.archived)
                    .map(|p| (p.id.clone(), p.name.clone()))
                    .collect(),
            ),
            _ => options(
                tags.iter()
                    .map(|g| (g.id.clone(), g.name.clone()))
                    .collect(),
            ),
        }
    };
    view! {
        <input type="hidden" name="task_ids" prop:value=move || selected.get().join(",")/>
        <div class="field check">
            <input id="bulk-all" type="checkbox" prop:checked=all_selected on:change=toggle_all/>
            <label for="bulk-all">{t.bulk_select_all()}</label>
        </div>
        <p class="muted bulk-count" aria-live="polite">{move || t.bulk_selected(selected.with(Vec::len))}</p>
        <div class="field">
            <label for="bulk-field">{t.bulk_change()}</label>
            <select id="bulk-field" name="field" on:change=move |ev| field.set(event_target_value(&ev))>
                {FIELDS.iter().map(|f| view! { <option value=*f selected=move || field.get() == *f>{field_word(f)}</option> }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="bulk-value">{t.bulk_value()}</label>
            {value_input}
        </div>
        <div class="field actions">
            <button type="submit" class="button small"
                disabled=move || selected.with(Vec::is_empty)>
                {t.bulk_apply()}
            </button>
        </div>
    }
}

/// A row's checkbox, named after its task for assistive technology.
#[component]
pub fn SelectTask(id: String, key: String, title: String) -> impl IntoView {
    let t = crate::use_t();
    // Plain: `BulkFields` reads the ticked boxes from the page.
    view! {
        <input type="checkbox" class="bulk-select" data-task=id aria-label=t.bulk_select_task(key, title)/>
    }
}
