//! Importing tasks from a spreadsheet or a Trello board in the browser (issue 18):
//! `/w/{ws}/import?project=…`. Choose a CSV file, an Excel workbook or a Trello export (or paste
//! its text), check it, adjust which column is which, and import
//! it whole. "Check" is the core's dry run: it reports what would be created and every refused
//! row with its line and column; "Import" does it, all or nothing. A plain form (`ActionForm`;
//! the two buttons are its submitters), so checking and importing work without the script; the
//! script only reads the chosen file into the text box.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{LoadError, ProjectRow, WorkNav};
use crate::policy::{self, Role};
use crate::url::route_param;
use crate::UiError;

/// The fields a column can go to, in the order the mapping offers them.
pub const FIELDS: [&str; 10] = [
    "title",
    "description",
    "status",
    "priority",
    "assignee",
    "due",
    "tags",
    "time",
    "rate",
    "ignore",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportPageData {
    pub workspace_name: String,
    pub role: Role,
    pub unread: i64,
    pub projects: Vec<ProjectRow>,
    pub project: Option<ProjectRow>,
}

#[server(prefix = "/api/fn", endpoint = "import_page")]
pub async fn import_page(slug: String, project: Option<String>) -> Result<ImportPageData, UiError> {
    use super::srv as work;
    let mut o = crate::server::open(&slug).await?;
    let asked = work::opt_id("project", project.as_deref())?;
    let projects = work::all_projects(&mut o.tx, &o.viewer, false).await?;
    let shown = match asked {
        Some(id) => {
            bastion_core::work::projects::get_project(&mut o.tx, &o.viewer, id).await?;
            projects.iter().find(|p| p.id == id.to_string()).cloned()
        }
        None => projects.first().cloned(),
    };
    let unread = bastion_core::work::notifications::unread_count(&mut o.tx, &o.viewer).await?;
    o.tx.commit().await?;
    Ok(ImportPageData {
        workspace_name: o.workspace.name,
        role: o.viewer.role,
        unread,
        projects,
        project: shown,
    })
}

/// A check's or an import's result, as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportResult {
    pub imported: bool,
    /// A spreadsheet's columns can be mapped; a Trello board's fields are fixed.
    pub mappable: bool,
    /// Heading and field, column by column.
    pub columns: Vec<(String, String)>,
    pub rows: usize,
    pub created: usize,
    pub new_tags: Vec<String>,
    /// Line, column heading (if one is at fault), why.
    pub errors: Vec<(usize, Option<String>, String)>,
}

/// Checks (`mode=check`, a dry run) or imports (`mode=import`) the CSV into the project. The
/// mapping comes as two lists in column order: `headings[]` and the chosen `fields[]`.
#[server(prefix = "/api/fn", endpoint = "import_csv")]
pub async fn import_csv(
    slug: String,
    project: String,
    csv: Option<String>,
    xlsx: Option<String>,
    mode: Option<String>,
    headings: Option<Vec<String>>,
    fields: Option<Vec<String>>,
) -> Result<ImportResult, UiError> {
    let ctx = crate::server::context()?;
    let project_id = super::srv::id_or_404(&project, "project")?;
    let dry_run = mode.as_deref() != Some("import");
    let mut o = crate::server::open(&slug).await?;
    let (report, trello) = bastion_core::work::import::import_pasted(
        &ctx.pool,
        &mut o.tx,
        &o.viewer,
        bastion_core::work::import::PastedImport {
            project_id,
            text: csv.unwrap_or_default(),
            xlsx: xlsx
                .filter(|x| !x.trim().is_empty())
                .map(|x| bastion_core::work::import::decode_xlsx(&x))
                .transpose()?,
            mapping: headings
                .unwrap_or_default()
                .into_iter()
                .zip(fields.unwrap_or_default())
                .collect(),
            dry_run,
        },
    )
    .await?;
    if dry_run {
        o.tx.rollback().await?;
    } else {
        o.tx.commit().await?;
    }
    Ok(ImportResult {
        imported: !dry_run,
        mappable: !trello,
        columns: report
            .columns
            .into_iter()
            .map(|c| (c.heading, c.field.as_str().to_owned()))
            .collect(),
        rows: report.rows,
        created: report.created,
        new_tags: report.new_tags,
        errors: report
            .errors
            .into_iter()
            .map(|e| (e.line, e.column, e.message))
            .collect(),
    })
}

fn field_label(t: crate::i18n::T, field: &str) -> &'static str {
    match field {
        "title" => t.import_field_title(),
        "description" => t.import_field_description(),
        "status" => t.import_field_status(),
        "priority" => t.import_field_priority(),
        "assignee" => t.import_field_assignee(),
        "due" => t.import_field_due(),
        "tags" => t.import_field_tags(),
        "time" => t.import_field_time(),
        "rate" => t.import_field_rate(),
        _ => t.import_field_ignore(),
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let t = crate::use_t();
    let slug = route_param("slug");
    let query = use_query_map();
    let project = move || query.read().get("project").filter(|p| !p.is_empty());
    let run = crate::error::server_action::<ImportCsv>();
    let data = Resource::new_blocking(
        move || (slug(), project()),
        |(slug, project)| import_page(slug, project),
    );
    let result = move || run.value().get();
    view! {
        <Title text=t.import_title()/>
        <Transition fallback=move || view! { <p>{t.loading()}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError title=t.import_title() error=e/> }.into_any(),
                    Ok(page) => {
                        let slug = slug();
                        let allowed = policy::can_create_task(page.role);
                        view! {
                            <Title text=super::raw_text(&format!("{} — {}", t.import_title(), page.workspace_name))/>
                            <WorkNav slug=slug.clone() role=page.role unread=page.unread current="home"/>
                            <section class="card" aria-labelledby="import-title">
                                <h1 id="import-title">{match &page.project {
                                    Some(p) => t.import_heading(&p.name),
                                    None => t.import_title().to_owned(),
                                }}</h1>
                                <p class="muted">{t.import_intro()}</p>
                                <super::ProjectPicker id="import-project" projects=page.projects.clone() selected=page.project.as_ref().map(|p| p.id.clone())/>
                                {match (page.project.clone(), allowed) {
                                    (None, _) => view! { <p class="empty">{t.import_no_project()}</p> }.into_any(),
                                    (Some(_), false) => view! { <p class="empty">{t.import_not_allowed()}</p> }.into_any(),
                                    (Some(p), true) => view! {
                                        <ActionForm action=run attr:class="form import-form">
                                            <input type="hidden" name="slug" value=slug.clone()/>
                                            <input type="hidden" name="project" value=p.id.clone()/>
                                            <label for="import-file">{t.import_file()}</label>
                                            <input id="import-file" type="file" accept=".csv,.json,.xlsx,text/csv,text/plain,application/json,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>
                                            <input type="hidden" name="xlsx" value=""/>
                                            <label for="import-csv">{t.import_text()}</label>
                                            <textarea id="import-csv" name="csv" rows="8" required class="import-text"></textarea>
                                            <ImportScript/>
                                            {move || result().and_then(Result::ok).filter(|r| !r.imported && r.mappable).map(|r| view! {
                                                <fieldset class="field-options import-mapping">
                                                    <legend>{t.import_mapping()}</legend>
                                                    {r.columns.into_iter().enumerate().map(|(i, (heading, field))| {
                                                        let id = format!("import-map-{i}");
                                                        view! {
                                                            <div class="field">
                                                                <input type="hidden" name="headings[]" value=heading.clone()/>
                                                                <label for=id.clone()>{heading.clone()}</label>
                                                                <select id=id name="fields[]">
                                                                    {FIELDS.into_iter().map(|f| view! {
                                                                        <option value=f selected=f == field>{field_label(t, f)}</option>
                                                                    }).collect_view()}
                                                                </select>
                                                            </div>
                                                        }
                                                    }).collect_view()}
                                                </fieldset>
                                            })}
                                            <div class="row-actions">
                                                <button type="submit" name="mode" value="check" class="button secondary" disabled=move || run.pending().get()>{t.import_check()}</button>
                                                <button type="submit" name="mode" value="import" class="button"
                                                    disabled=move || run.pending().get() || !result().and_then(Result::ok).is_some_and(|r| !r.imported && r.errors.is_empty() && r.rows > 0)>
                                                    {move || match result().and_then(Result::ok) {
                                                        Some(r) if !r.imported && r.errors.is_empty() && r.rows == 1 => t.import_go_one().to_owned(),
                                                        Some(r) if !r.imported && r.errors.is_empty() => t.import_go(r.rows),
                                                        _ => t.import_go_unchecked().to_owned(),
                                                    }}
                                                </button>
                                            </div>
                                        </ActionForm>
                                        {move || run.pending().get().then(|| view! { <p class="muted" role="status">{t.import_working()}</p> })}
                                        {move || result().map(|r| match r {
                                            Err(e) => view! { <p class="form-error" role="alert">{e.message(t)}</p> }.into_any(),
                                            Ok(r) if r.imported => view! {
                                                <p class="form-ok" role="status" data-testid="import-outcome" data-imported="true">{if r.created == 1 { t.import_done_one().to_owned() } else { t.import_done(r.created) }}</p>
                                            }.into_any(),
                                            Ok(r) => view! {
                                                <div role="status" data-testid="import-outcome">
                                                    {if r.errors.is_empty() {
                                                        view! { <p class="form-ok">{if r.rows == 1 { t.import_checked_ok_one().to_owned() } else { t.import_checked_ok(r.rows) }}</p> }.into_any()
                                                    } else {
                                                        view! { <p class="form-error">{t.import_checked_bad(r.errors.len(), r.rows)}</p> }.into_any()
                                                    }}
                                                    {(!r.new_tags.is_empty()).then(|| view! { <p class="muted">{t.import_new_tags(r.new_tags.join(", "))}</p> })}
                                                    {(!r.errors.is_empty()).then(|| view! {
                                                        <div class="table-scroll">
                                                            <table class="table import-errors">
                                                                <thead><tr>
                                                                    <th scope="col">{t.import_col_line()}</th>
                                                                    <th scope="col">{t.import_col_column()}</th>
                                                                    <th scope="col">{t.import_col_problem()}</th>
                                                                </tr></thead>
                                                                <tbody>
                                                                    {r.errors.into_iter().map(|(line, column, message)| view! {
                                                                        <tr>
                                                                            <td>{line}</td>
                                                                            <td>{column.unwrap_or_else(|| "—".into())}</td>
                                                                            <td>{message}</td>
                                                                        </tr>
                                                                    }).collect_view()}
                                                                </tbody>
                                                            </table>
                                                        </div>
                                                    })}
                                                </div>
                                            }.into_any(),
                                        })}
                                    }.into_any(),
                                }}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The import's script (the page around it is the server's): the chosen file is read into the
/// text box (a workbook's bytes, as base64, into the hidden `xlsx` field, and its name said), and
/// what was checked is kept across the check's post, so "Import" sends the same text or
/// workbook.
#[island]
pub fn ImportScript() -> impl IntoView {
    let t = crate::use_t();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        script::install(t);
        #[cfg(not(feature = "hydrate"))]
        let _ = t;
    });
}

#[cfg(feature = "hydrate")]
mod script {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{Element, HtmlInputElement, HtmlTextAreaElement};

    use crate::i18n::T;

    /// The text or workbook sent, until the page it comes back to has read it.
    const KEY: &str = "bastion-import";

    fn by_id<E: JsCast>(id: &str) -> Option<E> {
        document().get_element_by_id(id)?.dyn_into::<E>().ok()
    }

    fn xlsx_field() -> Option<HtmlInputElement> {
        document()
            .query_selector("form.import-form input[name=xlsx]")
            .ok()
            .flatten()?
            .dyn_into()
            .ok()
    }

    /// Shows which workbook is chosen (or nothing), and lets the box be empty while one is.
    fn chosen(t: T, name: &str, encoded: &str) {
        if let Some(field) = xlsx_field() {
            field.set_value(encoded);
        }
        if let Some(text) = by_id::<HtmlTextAreaElement>("import-csv") {
            text.set_required(encoded.is_empty());
            if !encoded.is_empty() {
                text.set_value("");
            }
        }
        let said = by_id::<Element>("import-xlsx-chosen").or_else(|| {
            let p = document().create_element("p").ok()?;
            p.set_id("import-xlsx-chosen");
            p.set_class_name("muted");
            let _ = p.set_attribute("role", "status");
            let field = xlsx_field()?;
            let _ = field.after_with_node_1(&p);
            Some(p)
        });
        if let Some(p) = said {
            if name.is_empty() {
                p.remove();
            } else {
                let _ = p.set_attribute("data-name", name);
                p.set_text_content(Some(&t.import_xlsx_chosen(name.to_owned())));
            }
        }
    }

    async fn read(t: T, file: leptos::web_sys::File) {
        use wasm_bindgen_futures::JsFuture;
        let name = file.name();
        if name.to_lowercase().ends_with(".xlsx") {
            let Ok(buffer) = JsFuture::from(file.array_buffer()).await else {
                return;
            };
            // btoa takes a string of bytes: each byte one character.
            let binary: String = js_sys::Uint8Array::new(&buffer)
                .to_vec()
                .into_iter()
                .map(char::from)
                .collect();
            if let Ok(encoded) = window().btoa(&binary) {
                chosen(t, &name, &encoded);
            }
        } else if let Ok(text) = JsFuture::from(file.text()).await {
            chosen(t, "", "");
            if let (Some(text), Some(field)) =
                (text.as_string(), by_id::<HtmlTextAreaElement>("import-csv"))
            {
                field.set_value(&text);
            }
        }
    }

    pub fn install(t: T) {
        let storage = window().session_storage().ok().flatten();
        // Back from a check: the same text or workbook, for "Import". Not after an import (the
        // file is done with) nor on another project's page.
        let kept = storage.as_ref().and_then(|s| {
            let kept = s.get_item(KEY).ok().flatten();
            let _ = s.remove_item(KEY);
            kept
        });
        let project = document()
            .query_selector("form.import-form input[name=project]")
            .ok()
            .flatten()
            .and_then(|p| p.get_attribute("value"))
            .unwrap_or_default();
        let imported = document()
            .query_selector("[data-imported]")
            .ok()
            .flatten()
            .is_some();
        if let Some((for_project, csv, name, encoded)) =
            kept.and_then(|k| serde_json::from_str::<(String, String, String, String)>(&k).ok())
        {
            if for_project == project && !imported {
                if let Some(field) = by_id::<HtmlTextAreaElement>("import-csv") {
                    if field.value().is_empty() {
                        field.set_value(&csv);
                    }
                }
                chosen(t, &name, &encoded);
            }
        }

        let _ = window_event_listener(leptos::ev::change, move |ev| {
            let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .filter(|i| i.id() == "import-file")
            else {
                return;
            };
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                leptos::task::spawn_local(read(t, file));
            }
        });
        let _ = window_event_listener(leptos::ev::input, move |ev| {
            if ev
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .is_some_and(|e| e.id() == "import-csv")
            {
                chosen(t, "", "");
            }
        });
        let _ = window_event_listener(leptos::ev::submit, move |ev| {
            let is_import = ev
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .is_some_and(|form| form.class_list().contains("import-form"));
            if !is_import {
                return;
            }
            let csv = by_id::<HtmlTextAreaElement>("import-csv")
                .map(|f| f.value())
                .unwrap_or_default();
            let encoded = xlsx_field().map(|f| f.value()).unwrap_or_default();
            let name = by_id::<Element>("import-xlsx-chosen")
                .and_then(|p| p.get_attribute("data-name"))
                .unwrap_or_default();
            if let Some(s) = window().session_storage().ok().flatten() {
                let kept =
                    serde_json::to_string(&(&project, csv, name, encoded)).unwrap_or_default();
                let _ = s.set_item(KEY, &kept);
            }
        });
    }
}
