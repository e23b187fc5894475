//! The task page's time section: the caller's time on the task (admins: everyone's) with totals,
//! a form to log time and delete for what the caller may change.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::attachments::{id_or_404, open_seen_task};
use super::FormError;
use crate::error::action_error;
use crate::table::Table;
use crate::UiError;

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
    /// The entry is the caller's own.
    pub own: bool,
}

/// The caller's view of the task's time (admins: everyone's; members: their own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSummary {
    /// The caller's role: the section asks the policy what to offer.
    pub my_role: crate::policy::Role,
    pub entries: Vec<TimeRow>,
    pub total_duration: String,
    pub total_amount: String,
    /// Defaults for the form: now, in Brussels.
    pub today: String,
    pub now: String,
}

/// Time entries shown on a task, newest first; the totals cover all of them regardless.
#[cfg(feature = "ssr")]
pub const TIME_SHOWN: u32 = 500;

/// Records the caller's time on the task. The start is a Brussels date and wall time, turned into
/// an instant by `core::clock` as on the time page; the rate is euros typed as a decimal.
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
) -> Result<(), UiError> {
    use bastion_core::time_entries::{self, NewTimeEntry};

    let (mut o, task_id) = open_seen_task(&slug, &task_id).await?;
    // Guests are refused before their form is read.
    time_entries::check_tracks_time(o.viewer)?;
    let minutes: i32 = minutes
        .trim()
        .parse()
        .map_err(|_| UiError::invalid("minutes", crate::use_t().minutes_whole()))?;
    let day = time::Date::parse(
        started_on.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| UiError::invalid("started_on", crate::use_t().start_date_like()))?;
    let at = time::Time::parse(
        started_time.trim(),
        time::macros::format_description!("[hour]:[minute]"),
    )
    .map_err(|_| UiError::invalid("started_time", crate::use_t().start_time_like()))?;
    // An empty rate means an entry without a rate.
    let rate_cents = match rate.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => 0,
        Some(rate) => crate::money::parse_eur_cents(rate)
            .map_err(|_| UiError::invalid("rate", crate::use_t().rate_expected()))?,
    };
    let started_at =
        bastion_core::clock::instant_of(&mut o.tx, time::PrimitiveDateTime::new(day, at)).await?;
    let new = NewTimeEntry {
        task_id,
        user_id: o.viewer.user_id,
        started_at,
        minutes,
        billable: billable.is_some_and(|b| !b.is_empty() && b != "false"),
        rate_cents,
        note: note.unwrap_or_default().trim().to_owned(),
    };
    time_entries::create(&mut o.tx, o.viewer, &new).await?;
    Ok(o.tx.commit().await?)
}

/// Deletes a time entry of this task: members their own (others' are invisible to them, so 404),
/// admins any.
#[server(prefix = "/api/fn", endpoint = "delete_task_time_entry")]
pub async fn delete_time_entry(
    slug: String,
    task_id: String,
    entry_id: String,
) -> Result<(), UiError> {
    use bastion_core::{time_entries, CoreError};

    let (mut o, task_id) = open_seen_task(&slug, &task_id).await?;
    time_entries::check_tracks_time(o.viewer)?;
    let id = id_or_404(&entry_id, "time entry")?;
    // An entry of another task is not this page's to delete.
    let entry = time_entries::get(&mut o.tx, o.viewer, id).await?;
    if entry.task_id != task_id {
        return Err(CoreError::NotFound("time entry").into());
    }
    time_entries::delete(&mut o.tx, o.viewer, id).await?;
    Ok(o.tx.commit().await?)
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
        let (a, b) = (action_error(log), action_error(delete));
        move || a().or_else(b)
    };
    let (slug, task_id) = (StoredValue::new(slug), StoredValue::new(task_id));
    let my_role = time.my_role;
    let t = crate::use_t();
    view! {
        <section class="card" aria-labelledby="time-title">
            <h2 id="time-title">{t.nav_time()}</h2>
            <p class="muted">{if time.my_role == crate::policy::Role::Admin { t.task_time_everyone() } else { t.task_time_own() }}</p>
            {if time.entries.is_empty() {
                view! { <p class="muted">{t.no_time_logged()}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                    <Table class="table time-table" heads=vec![t.col_started(), t.col_who(), t.nav_time(), t.col_rate(), t.col_amount(), t.col_note()] actions=true>
                        {time.entries.into_iter().map(|e| view! {
                            <tr>
                                <td class="nowrap" data-label=t.col_started()>{e.started.clone()}</td>
                                <td data-label=t.col_who()>{e.person.clone()}</td>
                                <td data-label=t.nav_time()>{e.duration.clone()}</td>
                                <td data-label=t.col_rate()>{e.rate.clone()}</td>
                                <td data-label=t.col_amount()>{if e.billable { e.amount.clone() } else { t.not_billable_cap().to_owned() }}</td>
                                <td data-label=t.col_note()>{e.note.clone()}</td>
                                <td class="actions" data-label=t.col_actions()>
                                    {crate::policy::can_change_time_entry(my_role, e.own).then(|| view! {
                                        <ActionForm action=delete attr:class="inline-form">
                                            <input type="hidden" name="slug" value=slug.get_value()/>
                                            <input type="hidden" name="task_id" value=task_id.get_value()/>
                                            <input type="hidden" name="entry_id" value=e.id.clone()/>
                                            <button type="submit" class="button small danger" aria-label=t.delete_entry_label(&e.duration, &e.started)>{t.delete()}</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }).collect_view()}
                    </Table>
                    </div>
                }.into_any()
            }}
            <p class="totals"><strong>{t.total_colon()} " "</strong>{t.task_time_totals(time.total_duration, time.total_amount)}</p>
            <FormError error/>
            <details class="panel">
                <summary>{t.log_time()}</summary>
                <ActionForm action=log attr:class="form grid-form">
                    <input type="hidden" name="slug" value=slug.get_value()/>
                    <input type="hidden" name="task_id" value=task_id.get_value()/>
                    <div class="field">
                        <label for="t-minutes">{t.minutes()}</label>
                        <input id="t-minutes" name="minutes" type="number" min="1" max="1440" step="1" required/>
                    </div>
                    <div class="field">
                        <label for="t-date">{t.start_date()}</label>
                        <input id="t-date" name="started_on" type="date" value=time.today required/>
                    </div>
                    <div class="field">
                        <label for="t-time">{t.start_time()}</label>
                        <input id="t-time" name="started_time" type="time" value=time.now required/>
                    </div>
                    <div class="field">
                        <label for="t-rate">{t.hourly_rate()}</label>
                        <input id="t-rate" name="rate" inputmode="decimal" placeholder=t.rate_example_task() maxlength="20"/>
                    </div>
                    <div class="field check">
                        <input id="t-billable" name="billable" type="checkbox" value="true" checked/>
                        <label for="t-billable">{t.field_billable()}</label>
                    </div>
                    <div class="field wide">
                        <label for="t-note">{t.col_note()}</label>
                        <input id="t-note" name="note" maxlength="1000"/>
                    </div>
                    <div class="field wide">
                        <button type="submit" class="button" disabled=move || log.pending().get()>{t.log_time()}</button>
                    </div>
                </ActionForm>
            </details>
        </section>
    }
}
