//! Logging time, and the list of entries with their edit and delete forms.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use super::actions::{ChangeTimeEntry, DeleteTimeEntry, LogTime};
use super::{EntryRow, TimeEntriesView};
use crate::error::{action_error, action_outcome, FormError, FormOutcome};
use crate::money::{cents_as_decimal, format_eur, format_minutes};
use crate::policy::{self, Role};

#[component]
pub(super) fn LogTimeCard(
    slug: String,
    view: TimeEntriesView,
    action: ServerAction<LogTime>,
) -> impl IntoView {
    let outcome = action_outcome(action);
    // A recorded entry clears the form, so a second click does not record it twice.
    let form = crate::error::cleared_on_success(action);
    if view.tasks.is_empty() {
        return view! {
            <section class="card" aria-labelledby="log-title">
                <h2 id="log-title">"Log time"</h2>
                <p class="empty-note">"There is no task you can log time on yet. Time is recorded against a task: create one in a project first."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card" aria-labelledby="log-title">
            <h2 id="log-title">"Log time"</h2>
            <ActionForm action=action node_ref=form attr:class="form log-form">
                <input type="hidden" name="slug" value=slug/>
                <div class="field wide">
                    <label for="log-task">"Task"</label>
                    <select id="log-task" name="task_id" required>
                        <option value="">"Choose a task…"</option>
                        {view.tasks.iter().map(|t| view! {
                            <option value=t.id.clone()>{format!("{} — {}", t.title, t.project)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="log-started">"Start (Brussels time)"</label>
                    <input id="log-started" name="started" type="datetime-local" value=view.now_input.clone() required/>
                </div>
                <div class="field">
                    <label for="log-minutes">"Duration (minutes or h:mm)"</label>
                    <input id="log-minutes" name="minutes" inputmode="numeric" placeholder="90" required/>
                </div>
                <div class="field">
                    <label for="log-rate">"Hourly rate in €"</label>
                    <input id="log-rate" name="rate" inputmode="decimal" placeholder="90.00"/>
                </div>
                <div class="field check">
                    <input id="log-billable" name="billable" type="checkbox" value="on" checked/>
                    <label for="log-billable">"Billable"</label>
                </div>
                <div class="field wide">
                    <label for="log-note">"Note (optional)"</label>
                    <input id="log-note" name="note" maxlength="1000"/>
                </div>
                <div class="field wide">
                    <button type="submit" class="button" disabled=move || action.pending().get()>"Log time"</button>
                </div>
            </ActionForm>
            <FormOutcome outcome ok_class="form-ok"/>
        </section>
    }
    .into_any()
}

#[component]
pub(super) fn EntriesCard(
    slug: String,
    view: TimeEntriesView,
    change: ServerAction<ChangeTimeEntry>,
    delete: ServerAction<DeleteTimeEntry>,
) -> impl IntoView {
    let admin = view.my_role == Role::Admin;
    let locale = view.locale.clone();
    let failure = {
        let (changed, deleted) = (action_error(change), action_error(delete));
        move || changed().or_else(deleted)
    };
    let base = format!("/w/{slug}/time");
    let mine_param = if view.mine_only && admin {
        "mine=1&"
    } else {
        ""
    };
    let older = view
        .next_cursor
        .clone()
        .map(|c| format!("{base}?{mine_param}after={c}"));
    let title = if view.mine_only {
        "Your recent time"
    } else {
        "Recent time, everyone"
    };
    view! {
        <section class="card" aria-labelledby="entries-title">
            <h2 id="entries-title">{title}</h2>
            {admin.then(|| {
                let (everyone, mine) = (base.clone(), format!("{base}?mine=1"));
                view! {
                    <p class="toggle-links">
                        "Show: "
                        <A href=everyone attr:aria-current=(!view.mine_only).then_some("true")>"everyone"</A>
                        " · "
                        <A href=mine attr:aria-current=view.mine_only.then_some("true")>"only mine"</A>
                    </p>
                }
            })}
            <FormError error=failure/>
            {if view.items.is_empty() {
                view! { <p class="empty-note">"No time entries yet. Entries you log appear here, newest first."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="table entries-table">
                            <thead><tr>
                                <th scope="col">"Start"</th>
                                <th scope="col">"Task"</th>
                                {admin.then(|| view! { <th scope="col">"Person"</th> })}
                                <th scope="col" class="num">"Hours"</th>
                                <th scope="col" class="num">"Rate"</th>
                                <th scope="col" class="num">"Amount"</th>
                                <th scope="col">"Note"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {view.items.into_iter().map(|e| {
                                    let may_change = policy::can_change_time_entry(view.my_role, e.own);
                                    view! {
                                        <tr>
                                            <td class="nowrap" data-label="Start">{e.started.clone()}</td>
                                            <td data-label="Task">{e.task_title.clone()}</td>
                                            {admin.then(|| view! { <td data-label="Person">{e.person.clone()}</td> })}
                                            <td class="num" data-label="Hours">{format_minutes(i64::from(e.minutes))}</td>
                                            <td class="num" data-label="Rate">{format_eur(e.rate_cents, &locale)}</td>
                                            <td class="num" data-label="Amount">{if e.billable { format_eur(e.amount_cents, &locale) } else { "not billable".to_owned() }}</td>
                                            <td data-label="Note">{e.note.clone()}</td>
                                            <td class="actions" data-label="Actions">
                                                {may_change.then(|| view! { <EntryActions slug=slug.clone() entry=e.clone() change=change delete=delete/> })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <nav class="pager" aria-label="Time entry pages">
                {param_link_newest(&base, mine_param)}
                {older.map(|href| view! { <A href=href attr:class="button secondary small">"Older entries"</A> })}
            </nav>
        </section>
    }
}

/// Back to the first page, shown once the list has been paged.
fn param_link_newest(base: &str, mine_param: &str) -> impl IntoView {
    let query = use_query_map();
    let paged = query
        .read_untracked()
        .get("after")
        .is_some_and(|a| !a.is_empty());
    let href = format!("{base}?{}", mine_param.trim_end_matches('&'));
    paged.then(|| view! { <A href=href attr:class="button secondary small">"Newest entries"</A> })
}

/// Edit and delete behind disclosures: they work before the page is interactive, and keep the
/// table compact.
#[component]
fn EntryActions(
    slug: String,
    entry: EntryRow,
    change: ServerAction<ChangeTimeEntry>,
    delete: ServerAction<DeleteTimeEntry>,
) -> impl IntoView {
    let id = entry.id.clone();
    let field = move |name: &str| format!("{name}-{id}");
    let described = format!("{} on {}", entry.started, entry.task_title);
    let (slug_edit, id_edit, id_delete) = (slug.clone(), entry.id.clone(), entry.id.clone());
    view! {
        <details class="row-action">
            <summary aria-label=format!("Edit the entry of {described}")>"Edit"</summary>
            <ActionForm action=change attr:class="form edit-form">
                <input type="hidden" name="slug" value=slug_edit/>
                <input type="hidden" name="id" value=id_edit/>
                <label for=field("started")>"Start (Brussels time)"</label>
                <input id=field("started") name="started" type="datetime-local" value=entry.started_input.clone() required/>
                <label for=field("minutes")>"Duration (minutes or h:mm)"</label>
                <input id=field("minutes") name="minutes" inputmode="numeric" value=entry.minutes.to_string() required/>
                <label for=field("rate")>"Hourly rate in €"</label>
                <input id=field("rate") name="rate" inputmode="decimal" value=cents_as_decimal(entry.rate_cents)/>
                <span class="check">
                    <input id=field("billable") name="billable" type="checkbox" value="on" checked=entry.billable/>
                    <label for=field("billable")>"Billable"</label>
                </span>
                <label for=field("note")>"Note"</label>
                <input id=field("note") name="note" value=entry.note.clone() maxlength="1000"/>
                <button type="submit" class="button small">"Save entry"</button>
            </ActionForm>
        </details>
        <details class="row-action">
            <summary aria-label=format!("Delete the entry of {described}")>"Delete"</summary>
            <ActionForm action=delete attr:class="inline-form confirm">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="id" value=id_delete/>
                <span>"Delete this entry?"</span>
                <button type="submit" class="button small danger">"Yes, delete"</button>
            </ActionForm>
        </details>
    }
}
