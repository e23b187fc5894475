//! Bringing a Bastion export back, on the settings page beside the export (issue 18): choose
//! the archive, check it (the core's dry run), map the people this workspace does not know to
//! members, then bring it back, all or nothing. The archive goes to the REST door
//! (`POST /api/v1/workspaces/{ws}/imports/archive`, multipart) as the browser's own upload, so
//! the file is never read into the page; the answer is the report the API documents. It needs
//! the script (a plain form could not show the check's report); without it the panel says so.

use std::collections::BTreeMap;

use leptos::{html::Input, prelude::*};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TableCount {
    pub table: String,
    pub rows: usize,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Person {
    pub email: String,
    pub name: String,
    pub member: Option<String>,
    pub matched: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Problem {
    pub file: String,
    pub row: Option<usize>,
    pub message: String,
}

/// The API's `ArchiveReportView`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Report {
    pub dry_run: bool,
    pub source: String,
    pub tables: Vec<TableCount>,
    pub files: usize,
    pub people: Vec<Person>,
    pub members: Vec<String>,
    pub left_out: Vec<TableCount>,
    pub problems: Vec<Problem>,
}

#[cfg(feature = "hydrate")]
#[derive(Deserialize)]
struct ErrorAnswer {
    error: ErrorDetail,
}

#[cfg(feature = "hydrate")]
#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
}

fn table_label(t: crate::i18n::T, table: &str) -> String {
    match table {
        "projects" => t.restore_table_projects(),
        "tags" => t.restore_table_tags(),
        "tasks" => t.restore_table_tasks(),
        "task_tags" => t.restore_table_task_tags(),
        "task_viewers" => t.restore_table_task_viewers(),
        "task_watchers" | "task_unwatched" => t.restore_table_task_watchers(),
        "comments" => t.restore_table_comments(),
        "time_entries" => t.restore_table_time_entries(),
        "attachments" => t.restore_table_attachments(),
        "checklist_items" => t.restore_table_checklist_items(),
        "task_relations" => t.restore_table_task_relations(),
        "task_recurrences" => t.restore_table_task_recurrences(),
        "custom_fields" => t.restore_table_custom_fields(),
        "task_field_values" => t.restore_table_task_field_values(),
        "saved_views" => t.restore_table_saved_views(),
        "notification_preferences" => t.restore_table_notification_preferences(),
        "due_reminders" => t.restore_table_due_reminders(),
        "imports" => t.restore_table_imports(),
        other => return other.replace('_', " "),
    }
    .to_owned()
}

/// Sends the archive and the choices; the report, or the error's message.
#[cfg(feature = "hydrate")]
async fn send(
    slug: &str,
    file: web_sys::File,
    people: String,
    dry_run: bool,
    t: crate::i18n::T,
) -> Result<Report, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let failed = |_| t.restore_failed().to_owned();
    let form = web_sys::FormData::new().map_err(failed)?;
    form.append_with_blob_and_filename("archive", &file, &file.name())
        .map_err(failed)?;
    form.append_with_str("people", &people).map_err(failed)?;
    form.append_with_str("dry_run", if dry_run { "true" } else { "false" })
        .map_err(failed)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&form.into());
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let window = web_sys::window().ok_or_else(|| t.restore_failed().to_owned())?;
    let url = format!("/api/v1/workspaces/{slug}/imports/archive");
    let answer = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(failed)?;
    let answer: web_sys::Response = answer.dyn_into().map_err(failed)?;
    let status = answer.status();
    let text = JsFuture::from(answer.text().map_err(failed)?)
        .await
        .map_err(failed)?
        .as_string()
        .unwrap_or_default();
    if status == 413 {
        return Err(t.restore_too_large().to_owned());
    }
    if (200..300).contains(&status) {
        serde_json::from_str(&text).map_err(|_| t.restore_failed().to_owned())
    } else {
        Err(serde_json::from_str::<ErrorAnswer>(&text)
            .map(|e| e.error.message)
            .unwrap_or_else(|_| t.restore_failed().to_owned()))
    }
}

/// An island: the file is read and sent from the browser.
#[island]
pub fn RestorePanel(slug: String) -> impl IntoView {
    let t = crate::use_t();
    let file_ref = NodeRef::<Input>::new();
    let report = RwSignal::new(None::<Result<Report, String>>);
    let busy = RwSignal::new(false);
    let choices = RwSignal::new(BTreeMap::<String, String>::new());
    let slug = StoredValue::new(slug);
    let run = move |dry_run: bool| {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = file_ref
                .get()
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
            else {
                report.set(Some(Err(t.restore_no_file().to_owned())));
                return;
            };
            let people = serde_json::to_string(&choices.get_untracked()).unwrap_or_default();
            busy.set(true);
            let slug = slug.get_value();
            leptos::task::spawn_local(async move {
                let answer = send(&slug, file, people, dry_run, t).await;
                busy.set(false);
                report.set(Some(answer));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (dry_run, file_ref, slug);
    };
    let checked_clean =
        move || report.with(|r| matches!(r, Some(Ok(r)) if r.dry_run && r.problems.is_empty()));
    view! {
        <section class="card" aria-labelledby="restore-title">
            <h2 id="restore-title">{t.restore_heading()}</h2>
            <p>{t.restore_intro()}</p>
            <noscript><p class="muted">{t.restore_needs_script()}</p></noscript>
            <div class="form restore-form">
                <label for="restore-file">{t.restore_file()}</label>
                <input id="restore-file" type="file" accept=".zip,application/zip" node_ref=file_ref
                    on:change=move |_| { report.set(None); choices.set(BTreeMap::new()); }/>
                {move || report.get().and_then(Result::ok).filter(|r| r.dry_run).and_then(|r| {
                    let unmatched: Vec<Person> = r.people.iter().filter(|p| p.matched == "no" || p.matched == "chosen").cloned().collect();
                    (!unmatched.is_empty()).then(|| {
                        let members = r.members.clone();
                        view! {
                            <fieldset class="field-options restore-people">
                                <legend>{t.restore_map_people()}</legend>
                                {unmatched.into_iter().enumerate().map(|(i, p)| {
                                    let id = format!("restore-person-{i}");
                                    let email = StoredValue::new(p.email.clone());
                                    let chosen = p.member.clone().unwrap_or_default();
                                    view! {
                                        <div class="field">
                                            <label for=id.clone()>{format!("{} ({})", p.name, p.email)}</label>
                                            <select id=id on:change=move |ev| {
                                                let to = event_target_value(&ev);
                                                choices.update(|c| {
                                                    if to.is_empty() { c.remove(&email.get_value()); } else { c.insert(email.get_value(), to); }
                                                });
                                            }>
                                                <option value="" selected=chosen.is_empty()>{t.restore_choose_member()}</option>
                                                {members.iter().map(|m| view! {
                                                    <option value=m.clone() selected=*m == chosen>{m.clone()}</option>
                                                }).collect_view()}
                                            </select>
                                        </div>
                                    }
                                }).collect_view()}
                            </fieldset>
                        }
                    })
                })}
                <div class="row-actions">
                    <button type="button" class="button secondary" disabled=move || busy.get() on:click=move |_| run(true)>{t.restore_check()}</button>
                    <button type="button" class="button" disabled=move || busy.get() || !checked_clean() on:click=move |_| run(false)>
                        {move || if checked_clean() { t.restore_go() } else { t.restore_go_unchecked() }}
                    </button>
                </div>
            </div>
            {move || busy.get().then(|| view! { <p class="muted" role="status">{t.import_working()}</p> })}
            {move || report.get().map(|r| match r {
                Err(message) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
                Ok(r) => {
                    let tasks = r.tables.iter().find(|c| c.table == "tasks").map_or(0, |c| c.rows);
                    let outcome = if !r.dry_run {
                        view! { <p class="form-ok">{t.restore_done(tasks)} " " <a href=format!("/w/{}", slug.get_value())>{t.restore_open_projects()}</a></p> }.into_any()
                    } else if r.problems.is_empty() {
                        view! { <p class="form-ok">{t.restore_checked_ok(r.source.clone(), tasks)}</p> }.into_any()
                    } else {
                        view! { <p class="form-error">{t.restore_checked_bad(r.source.clone(), r.problems.len())}</p> }.into_any()
                    };
                    view! {
                        <div role="status" data-testid="restore-outcome">
                            {outcome}
                            <ul class="restore-counts">
                                {r.tables.iter().filter(|c| c.rows > 0).map(|c| view! {
                                    <li>{table_label(t, &c.table)} ": " <strong>{c.rows}</strong></li>
                                }).collect_view()}
                                {(r.files > 0).then(|| view! { <li>{t.restore_files()} ": " <strong>{r.files}</strong></li> })}
                            </ul>
                            <p class="muted">{t.restore_left_out()}</p>
                            {(!r.problems.is_empty()).then(|| view! {
                                <div class="table-scroll">
                                    <table class="table import-errors">
                                        <thead><tr>
                                            <th scope="col">{t.restore_col_file()}</th>
                                            <th scope="col">{t.import_col_line()}</th>
                                            <th scope="col">{t.import_col_problem()}</th>
                                        </tr></thead>
                                        <tbody>
                                            {r.problems.into_iter().map(|p| view! {
                                                <tr>
                                                    <td>{p.file}</td>
                                                    <td>{p.row.map(|r| r.to_string()).unwrap_or_else(|| "—".into())}</td>
                                                    <td>{p.message}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            })}
                        </div>
                    }.into_any()
                }
            })}
        </section>
    }
}
