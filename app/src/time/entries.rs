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
    let t = crate::use_t();
    if view.tasks.is_empty() {
        return view! {
            <section class="card" aria-labelledby="log-title">
                <h2 id="log-title">{t.log_time()}</h2>
                <p class="empty-note">{t.log_time_no_task()}</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card" aria-labelledby="log-title">
            <h2 id="log-title">{t.log_time()}</h2>
            <ActionForm action=action attr:class="form log-form">
                <input type="hidden" name="slug" value=slug/>
                <div class="field wide">
                    <label for="log-task">{t.col_task()}</label>
                    <select id="log-task" name="task_id" required>
                        <option value="">{t.choose_task()}</option>
                        {view.tasks.iter().map(|task| view! {
                            <option value=task.id.clone()>{format!("{} — {}", task.title, task.project)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="log-started">{t.field_start()}</label>
                    <input id="log-started" name="started" type="datetime-local" value=view.now_input.clone() required/>
                </div>
                <div class="field">
                    <label for="log-minutes">{t.field_duration()}</label>
                    <input id="log-minutes" name="minutes" inputmode="numeric" placeholder="90" required/>
                </div>
                <div class="field">
                    <label for="log-rate">{t.field_rate()}</label>
                    <input id="log-rate" name="rate" inputmode="decimal" placeholder=t.rate_example()/>
                </div>
                <div class="field check">
                    <input id="log-billable" name="billable" type="checkbox" value="on" checked/>
                    <label for="log-billable">{t.field_billable()}</label>
                </div>
                <div class="field wide">
                    <label for="log-note">{t.field_note_optional()}</label>
                    <input id="log-note" name="note" maxlength="1000"/>
                </div>
                <div class="field wide">
                    <button type="submit" class="button" disabled=move || action.pending().get()>{t.log_time()}</button>
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
    let t = crate::use_t();
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
        t.entries_mine()
    } else {
        t.entries_everyone()
    };
    view! {
        <section class="card" aria-labelledby="entries-title">
            <h2 id="entries-title">{title}</h2>
            {admin.then(|| {
                let (everyone, mine) = (base.clone(), format!("{base}?mine=1"));
                view! {
                    <p class="toggle-links">
                        {t.entries_show()} " "
                        <A href=everyone attr:aria-current=(!view.mine_only).then_some("true")>{t.entries_show_everyone()}</A>
                        " · "
                        <A href=mine attr:aria-current=view.mine_only.then_some("true")>{t.entries_show_mine()}</A>
                    </p>
                }
            })}
            <FormError error=failure/>
            {if view.items.is_empty() {
                view! { <p class="empty-note">{t.entries_empty()}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="table entries-table">
                            <thead><tr>
                                <th scope="col">{t.col_start()}</th>
                                <th scope="col">{t.col_task()}</th>
                                {admin.then(|| view! { <th scope="col">{t.group_person()}</th> })}
                                <th scope="col" class="num">{t.col_hours()}</th>
                                <th scope="col" class="num">{t.col_rate()}</th>
                                <th scope="col" class="num">{t.col_amount()}</th>
                                <th scope="col">{t.col_note()}</th>
                                <th scope="col"><span class="visually-hidden">{t.col_actions()}</span></th>
                            </tr></thead>
                            <tbody>
                                {view.items.into_iter().map(|e| {
                                    let may_change = policy::can_change_time_entry(view.my_role, e.own);
                                    view! {
                                        <tr>
                                            <td class="nowrap" data-label=t.col_start()>{e.started.clone()}</td>
                                            <td data-label=t.col_task()>{e.task_title.clone()}</td>
                                            {admin.then(|| view! { <td data-label=t.group_person()>{e.person.clone()}</td> })}
                                            <td class="num" data-label=t.col_hours()>{format_minutes(i64::from(e.minutes))}</td>
                                            <td class="num" data-label=t.col_rate()>{format_eur(e.rate_cents, &locale)}</td>
                                            <td class="num" data-label=t.col_amount()>{if e.billable { format_eur(e.amount_cents, &locale) } else { t.not_billable().to_owned() }}</td>
                                            <td data-label=t.col_note()>{e.note.clone()}</td>
                                            <td class="actions" data-label=t.col_actions()>
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
            <nav class="pager" aria-label=t.entries_pages()>
                {param_link_newest(&base, mine_param)}
                {older.map(|href| view! { <A href=href attr:class="button secondary small">{t.entries_older()}</A> })}
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
    let t = crate::use_t();
    paged.then(
        || view! { <A href=href attr:class="button secondary small">{t.entries_newest()}</A> },
    )
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
    let t = crate::use_t();
    let described = t.entry_described(&entry.started, &entry.task_title);
    let (slug_edit, id_edit, id_delete) = (slug.clone(), entry.id.clone(), entry.id.clone());
    view! {
        <details class="row-action">
            <summary aria-label=t.entry_edit_label(&described)>{t.edit()}</summary>
            <ActionForm action=change attr:class="form edit-form">
                <input type="hidden" name="slug" value=slug_edit/>
                <input type="hidden" name="id" value=id_edit/>
                <label for=field("started")>{t.field_start()}</label>
                <input id=field("started") name="started" type="datetime-local" value=entry.started_input.clone() required/>
                <label for=field("minutes")>{t.field_duration()}</label>
                <input id=field("minutes") name="minutes" inputmode="numeric" value=entry.minutes.to_string() required/>
                <label for=field("rate")>{t.field_rate()}</label>
                <input id=field("rate") name="rate" inputmode="decimal" value=cents_as_decimal(entry.rate_cents)/>
                <span class="check">
                    <input id=field("billable") name="billable" type="checkbox" value="on" checked=entry.billable/>
                    <label for=field("billable")>{t.field_billable()}</label>
                </span>
                <label for=field("note")>{t.col_note()}</label>
                <input id=field("note") name="note" value=entry.note.clone() maxlength="1000"/>
                <button type="submit" class="button small">{t.entry_save()}</button>
            </ActionForm>
        </details>
        <details class="row-action">
            <summary aria-label=t.entry_delete_label(&described)>{t.delete()}</summary>
            <ActionForm action=delete attr:class="inline-form confirm">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="id" value=id_delete/>
                <span>{t.entry_delete_confirm()}</span>
                <button type="submit" class="button small danger">{t.yes_delete()}</button>
            </ActionForm>
        </details>
    }
}
