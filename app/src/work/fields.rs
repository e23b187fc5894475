//! Custom fields in the browser (issue 20): the page where a project's admins define fields
//! (`/w/{ws}/fields?project=…`), the task page's Fields section where whoever may edit the task
//! fills them in, and the values as the list shows them. Plain forms (`ActionForm`), so they
//! work before and without the script; the core (`bastion_core::work::fields`) decides who may
//! and what is a valid value, and the page asks the same policy what to offer.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{announce, FormError, LoadError, Notice, Person, ProjectRow, WorkNav};
use crate::error::action_error;
use crate::policy::{self, Role, TaskFacts};
use crate::url::route_param;
use crate::UiError;

/// The kinds of field, in the order the define form offers them.
pub const KINDS: [&str; 7] = [
    "text",
    "number",
    "money",
    "date",
    "select",
    "multi_select",
    "person",
];

/// A field as pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub id: String,
    pub project_id: String,
    pub name: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// A select field's choices, in order.
    pub options: Vec<String>,
}

impl FieldDef {
    /// A list can be sorted by it (not by a person).
    pub fn sortable(&self) -> bool {
        self.kind != "person"
    }
}

/// A task's value of one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldCell {
    pub field_id: String,
    /// As a form takes it back: one text, or a multi-select field's options.
    pub values: Vec<String>,
    /// As people read it: `12,50 €`, a date in the page's language, a person's name.
    pub shown: String,
}

pub fn kind_label(t: crate::i18n::T, kind: &str) -> &'static str {
    match kind {
        "number" => t.field_kind_number(),
        "money" => t.field_kind_money(),
        "date" => t.field_kind_date(),
        "select" => t.field_kind_select(),
        "multi_select" => t.field_kind_multi_select(),
        "person" => t.field_kind_person(),
        _ => t.field_kind_text(),
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod srv {
    use super::*;
    use bastion_core::work::fields::{self, FieldRecord, FieldValue, TaskFieldValue};
    use bastion_core::{TenantTx, Viewer};
    use uuid::Uuid;

    fn def(f: FieldRecord) -> FieldDef {
        FieldDef {
            id: f.id.to_string(),
            project_id: f.project_id.to_string(),
            name: f.name,
            kind: f.kind,
            options: f.options,
        }
    }

    /// The fields of a project the viewer sees.
    pub async fn defs(
        tx: &mut TenantTx,
        viewer: &Viewer,
        project: Uuid,
    ) -> Result<Vec<FieldDef>, UiError> {
        Ok(fields::list_fields(tx, viewer, project)
            .await?
            .into_iter()
            .map(def)
            .collect())
    }

    /// Every field the viewer sees, for naming them in histories.
    pub async fn all_defs(tx: &mut TenantTx, viewer: &Viewer) -> Result<Vec<FieldDef>, UiError> {
        Ok(fields::list_all_fields(tx, viewer)
            .await?
            .into_iter()
            .map(def)
            .collect())
    }

    /// A task's values as cells, shown as stored until [`show`] formats them.
    pub fn cells(values: &[TaskFieldValue]) -> Vec<FieldCell> {
        values
            .iter()
            .map(|v| {
                let values = match &v.value {
                    FieldValue::One(s) => vec![s.clone()],
                    FieldValue::Many(list) => list.clone(),
                };
                FieldCell {
                    field_id: v.field_id.to_string(),
                    shown: values.join(", "),
                    values,
                }
            })
            .collect()
    }

    /// Formats cells as people read them: amounts and numbers in the page's language, dates
    /// too, people by name. Names come from the control plane: call it after the tenant
    /// transaction ends.
    pub async fn show(cells: &mut [&mut FieldCell], defs: &[FieldDef]) -> Result<(), UiError> {
        let t = crate::use_t();
        let kind = |id: &str| {
            defs.iter()
                .find(|d| d.id == id)
                .map(|d| d.kind.as_str())
                .unwrap_or("text")
        };
        let people: Vec<Uuid> = cells
            .iter()
            .filter(|c| kind(&c.field_id) == "person")
            .filter_map(|c| c.values.first().and_then(|v| Uuid::parse_str(v).ok()))
            .collect();
        let names = if people.is_empty() {
            Default::default()
        } else {
            super::super::srv::names(people).await?
        };
        for cell in cells.iter_mut() {
            let first = cell.values.first().cloned().unwrap_or_default();
            cell.shown = match kind(&cell.field_id) {
                "money" => match crate::money::parse_eur_cents(&first) {
                    Ok(cents) => crate::i18n::format_eur(cents, t.0),
                    Err(_) => first,
                },
                "number" => first.replace('.', &bastion_i18n::decimal_separator(t.0).to_string()),
                "date" => crate::i18n::format_iso_date(t.0, &first),
                "person" => Uuid::parse_str(&first)
                    .ok()
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or(first),
                _ => cell.values.join(", "),
            };
        }
        Ok(())
    }
}

/// What the fields page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldsPageData {
    pub workspace_name: String,
    pub role: Role,
    pub unread: i64,
    /// Open projects the caller sees, to choose from.
    pub projects: Vec<ProjectRow>,
    /// The project shown: the one asked for, or the first.
    pub project: Option<ProjectRow>,
    pub fields: Vec<FieldDef>,
}

#[server(prefix = "/api/fn", endpoint = "project_fields")]
pub async fn project_fields(
    slug: String,
    project: Option<String>,
) -> Result<FieldsPageData, UiError> {
    use super::srv as work;
    let mut o = crate::server::open(&slug).await?;
    let asked = work::opt_id("project", project.as_deref())?;
    let mut projects = work::all_projects(&mut o.tx, &o.viewer, true).await?;
    let shown = match asked {
        // Through the core, so that a project the caller does not see is 404.
        Some(id) => {
            bastion_core::work::projects::get_project(&mut o.tx, &o.viewer, id).await?;
            projects.iter().find(|p| p.id == id.to_string()).cloned()
        }
        None => projects.iter().find(|p| !p.archived).cloned(),
    };
    let fields = match &shown {
        Some(p) => {
            let id = work::id_or_404(&p.id, "project")?;
            srv::defs(&mut o.tx, &o.viewer, id).await?
        }
        None => Vec::new(),
    };
    let unread = bastion_core::work::notifications::unread_count(&mut o.tx, &o.viewer).await?;
    o.tx.commit().await?;
    projects.retain(|p| !p.archived || shown.as_ref().is_some_and(|s| s.id == p.id));
    Ok(FieldsPageData {
        workspace_name: o.workspace.name,
        role: o.viewer.role,
        unread,
        projects,
        project: shown,
        fields,
    })
}

/// The options a person typed, one per line.
#[cfg(feature = "ssr")]
fn option_lines(options: Option<String>) -> Vec<String> {
    options
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[server(prefix = "/api/fn", endpoint = "create_field")]
pub async fn create_field(
    slug: String,
    project_id: String,
    name: String,
    kind: String,
    options: Option<String>,
) -> Result<String, UiError> {
    let t = crate::use_t();
    let mut o = crate::server::open(&slug).await?;
    let project_id = super::srv::id_or_404(&project_id, "project")?;
    // Options belong to select fields; the form sends its box whatever the kind.
    let options = if matches!(kind.as_str(), "select" | "multi_select") {
        option_lines(options)
    } else {
        Vec::new()
    };
    let field = bastion_core::work::fields::create_field(
        &mut o.tx,
        &o.viewer,
        &bastion_core::work::fields::NewField {
            project_id,
            name,
            kind,
            options,
        },
    )
    .await?;
    o.tx.commit().await?;
    Ok(t.field_added(field.name))
}

/// Renames a field; for a select field, `options` is the whole new list, one per line.
#[server(prefix = "/api/fn", endpoint = "update_field")]
pub async fn update_field(
    slug: String,
    field_id: String,
    name: String,
    options: Option<String>,
) -> Result<String, UiError> {
    let t = crate::use_t();
    let mut o = crate::server::open(&slug).await?;
    let id = super::srv::id_or_404(&field_id, "field")?;
    let field = bastion_core::work::fields::get_field(&mut o.tx, &o.viewer, id).await?;
    let options =
        matches!(field.kind.as_str(), "select" | "multi_select").then(|| option_lines(options));
    bastion_core::work::fields::update_field(
        &mut o.tx,
        &o.viewer,
        id,
        &bastion_core::work::fields::FieldChange {
            name: Some(name),
            options,
        },
    )
    .await?;
    o.tx.commit().await?;
    Ok(t.field_saved().to_owned())
}

#[server(prefix = "/api/fn", endpoint = "delete_field")]
pub async fn delete_field(slug: String, field_id: String) -> Result<String, UiError> {
    let t = crate::use_t();
    let mut o = crate::server::open(&slug).await?;
    let id = super::srv::id_or_404(&field_id, "field")?;
    bastion_core::work::fields::delete_field(&mut o.tx, &o.viewer, id).await?;
    o.tx.commit().await?;
    Ok(t.field_deleted().to_owned())
}

/// Fills in (or, left empty, clears) one field of a task: `value` for every kind but a
/// multi-select, whose ticked boxes come as `options[]`.
#[server(prefix = "/api/fn", endpoint = "set_field_value")]
pub async fn set_field_value(
    slug: String,
    task_id: String,
    field_id: String,
    value: Option<String>,
    options: Option<Vec<String>>,
) -> Result<(), UiError> {
    use bastion_core::work::fields::{self, FieldValue};
    let field = super::srv::id_or_404(&field_id, "field")?;
    let value = match options {
        Some(list) => FieldValue::Many(list),
        None => FieldValue::One(value.unwrap_or_default()),
    };
    super::task_actions::change_task(&slug, &task_id, async |tx, viewer, id| {
        Ok(fields::set_values(tx, viewer, id, &[(field, value)]).await?)
    })
    .await
}

#[component]
pub fn FieldsPage() -> impl IntoView {
    let t = crate::use_t();
    let slug = route_param("slug");
    let query = use_query_map();
    let project = move || query.read().get("project").filter(|p| !p.is_empty());
    let create = crate::error::server_action::<CreateField>();
    let update = crate::error::server_action::<UpdateField>();
    let delete = crate::error::server_action::<DeleteField>();
    let data = Resource::new_blocking(
        move || {
            (
                slug(),
                project(),
                create.version().get() + update.version().get() + delete.version().get(),
            )
        },
        |(slug, project, _)| project_fields(slug, project),
    );
    let notice = RwSignal::new(None);
    announce!(notice,
        update => t.field_saved(),
        delete => t.field_deleted(),
    );
    let create_outcome = crate::error::action_outcome(create);
    let change_error = {
        let (a, b) = (action_error(update), action_error(delete));
        move || a().or_else(b)
    };
    view! {
        <Title text=t.fields_title()/>
        <Notice notice/>
        <Transition fallback=move || view! { <p>{t.fields_loading()}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError title=t.fields_title() error=e/> }.into_any(),
                    Ok(page) => {
                        let slug = slug();
                        let manage = policy::can_manage_fields(page.role);
                        view! {
                            <Title text=super::raw_text(&format!("{} — {}", t.fields_title(), page.workspace_name))/>
                            <WorkNav slug=slug.clone() role=page.role unread=page.unread current="home"/>
                            <section class="card" aria-labelledby="fields-title">
                                <h1 id="fields-title">{match &page.project {
                                    Some(p) => t.fields_heading(&p.name),
                                    None => t.fields_title().to_owned(),
                                }}</h1>
                                <p class="muted">{t.fields_intro()}</p>
                                <super::ProjectPicker id="fields-project" projects=page.projects.clone() selected=page.project.as_ref().map(|p| p.id.clone())/>
                                <FormError error=change_error/>
                                {match page.project.clone() {
                                    None => view! { <p class="empty">{t.fields_no_projects()}</p> }.into_any(),
                                    Some(project) => view! {
                                        {if page.fields.is_empty() {
                                            let text = if manage { t.fields_none_admin() } else { t.fields_none() };
                                            view! { <p class="empty">{text}</p> }.into_any()
                                        } else {
                                            view! {
                                                <ul class="field-defs">
                                                    {page.fields.iter().cloned().map(|f| view! {
                                                        <FieldDefItem slug=slug.clone() field=f manage update delete/>
                                                    }).collect_view()}
                                                </ul>
                                            }.into_any()
                                        }}
                                        {if manage {
                                            view! {
                                                <h2>{t.field_add()}</h2>
                                                <ActionForm action=create attr:class="form grid-form">
                                                    <input type="hidden" name="slug" value=slug.clone()/>
                                                    <input type="hidden" name="project_id" value=project.id.clone()/>
                                                    <div class="field">
                                                        <label for="new-field-name">{t.new_field_name()}</label>
                                                        <input id="new-field-name" name="name" required maxlength="60"/>
                                                    </div>
                                                    <div class="field">
                                                        <label for="new-field-kind">{t.field_kind()}</label>
                                                        <select id="new-field-kind" name="kind">
                                                            {KINDS.iter().map(|k| view! { <option value=*k>{kind_label(t, k)}</option> }).collect_view()}
                                                        </select>
                                                    </div>
                                                    <div class="field wide">
                                                        <label for="new-field-options">{t.field_options()}</label>
                                                        <textarea id="new-field-options" name="options" rows="3" aria-describedby="new-field-options-hint"></textarea>
                                                        <span class="muted" id="new-field-options-hint">{t.field_options_hint()}</span>
                                                    </div>
                                                    <div class="field wide">
                                                        <button type="submit" class="button" disabled=move || create.pending().get()>{t.field_add()}</button>
                                                    </div>
                                                </ActionForm>
                                                <crate::error::FormOutcome outcome=create_outcome ok_class="form-ok"/>
                                            }.into_any()
                                        } else {
                                            view! { <p class="muted">{t.fields_admins_only()}</p> }.into_any()
                                        }}
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

#[component]
fn FieldDefItem(
    slug: String,
    field: FieldDef,
    manage: bool,
    update: ServerAction<UpdateField>,
    delete: ServerAction<DeleteField>,
) -> impl IntoView {
    let t = crate::use_t();
    let select = matches!(field.kind.as_str(), "select" | "multi_select");
    let name_id = format!("field-name-{}", field.id);
    let options_id = format!("field-options-{}", field.id);
    let delete_label = t.field_delete_named(&field.name);
    let (slug, id) = (StoredValue::new(slug), StoredValue::new(field.id.clone()));
    view! {
        <li class="field-def">
            <div class="field-def-head">
                <strong>{field.name.clone()}</strong>
                " " <span class="badge">{kind_label(t, &field.kind)}</span>
                {(select && !manage).then(|| view! { " " <span class="muted">{field.options.join(", ")}</span> })}
            </div>
            {manage.then(|| view! {
                <ActionForm action=update attr:class="inline-form field-def-edit">
                    <input type="hidden" name="slug" value=slug.get_value()/>
                    <input type="hidden" name="field_id" value=id.get_value()/>
                    <label class="visually-hidden" for=name_id.clone()>{t.field_rename_named(&field.name)}</label>
                    <input id=name_id name="name" value=field.name.clone() required maxlength="60"/>
                    {select.then(|| view! {
                        <label class="visually-hidden" for=options_id.clone()>{t.field_options_named(&field.name)}</label>
                        <textarea id=options_id name="options" rows="3">{field.options.join("\n")}</textarea>
                    })}
                    <button type="submit" class="button small secondary">{t.field_rename()}</button>
                </ActionForm>
                <ActionForm action=delete attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug.get_value()/>
                    <input type="hidden" name="field_id" value=id.get_value()/>
                    <button type="submit" class="button small danger" aria-label=delete_label title=t.fields_delete_warning()>{t.field_delete()}</button>
                </ActionForm>
            })}
        </li>
    }
}

/// The task page's Fields section: each field of the task's project with its value, and for
/// whoever may edit the task a small form per field.
#[component]
pub fn FieldsSection(
    slug: String,
    task_id: String,
    fields: Vec<FieldDef>,
    cells: Vec<FieldCell>,
    people: Vec<Person>,
    role: Role,
    facts: TaskFacts,
    action: ServerAction<SetFieldValue>,
) -> impl IntoView {
    let t = crate::use_t();
    let can_fill = policy::can_fill_fields(role, &facts);
    let error = action_error(action);
    (!fields.is_empty()).then(|| {
        let rows = fields
            .into_iter()
            .map(|f| {
                let cell = cells.iter().find(|c| c.field_id == f.id).cloned();
                view! { <FieldRow slug=slug.clone() task_id=task_id.clone() field=f cell people=people.clone() can_fill action/> }
            })
            .collect_view();
        view! {
            <section class="card" aria-labelledby="task-fields-title">
                <h2 id="task-fields-title">{t.task_fields()}</h2>
                <FormError error/>
                <dl class="task-fields">{rows}</dl>
            </section>
        }
    })
}

#[component]
fn FieldRow(
    slug: String,
    task_id: String,
    field: FieldDef,
    cell: Option<FieldCell>,
    people: Vec<Person>,
    can_fill: bool,
    action: ServerAction<SetFieldValue>,
) -> impl IntoView {
    let t = crate::use_t();
    let input_id = format!("field-{}", field.id);
    let shown = cell.as_ref().map(|c| c.shown.clone());
    let values = cell.map(|c| c.values).unwrap_or_default();
    let first = values.first().cloned().unwrap_or_default();
    let save_label = t.field_value_save_named(&field.name);
    let name = field.name.clone();
    if !can_fill {
        return view! {
            <dt>{name}</dt>
            <dd data-field=field.id.clone()>{shown.unwrap_or_else(|| "—".into())}</dd>
        }
        .into_any();
    }
    let input = match field.kind.as_str() {
        "date" => view! { <input id=input_id.clone() name="value" type="date" value=first/> }.into_any(),
        "number" | "money" => {
            // Shown back with the page's decimal separator; either is accepted.
            let sep = crate::i18n::decimal_separator(t.0).to_string();
            let typed = first.replace('.', &sep);
            let placeholder = if field.kind == "money" { format!("0{sep}00") } else { String::new() };
            view! {
                <span class="input-affix">
                    {(field.kind == "money").then(|| view! { <span aria-hidden="true">"€"</span> })}
                    <input id=input_id.clone() name="value" type="text" inputmode="decimal" value=typed placeholder=placeholder autocomplete="off"/>
                </span>
            }.into_any()
        }
        "select" => view! {
            <select id=input_id.clone() name="value">
                <option value="">"—"</option>
                {field.options.iter().map(|o| view! { <option value=o.clone() selected=*o == first>{o.clone()}</option> }).collect_view()}
            </select>
        }.into_any(),
        "person" => view! {
            <select id=input_id.clone() name="value">
                <option value="">{t.nobody()}</option>
                {people.iter().map(|p| view! { <option value=p.id.clone() selected=p.id == first>{p.name.clone()}</option> }).collect_view()}
            </select>
        }.into_any(),
        "multi_select" => view! {
            <fieldset id=input_id.clone() class="field-options">
                <legend class="visually-hidden">{field.name.clone()}</legend>
                // Sent even with no box ticked, so that unticking them all clears the value.
                <input type="hidden" name="options[]" value=""/>
                {field.options.iter().map(|o| view! {
                    <label class="checkbox">
                        <input type="checkbox" name="options[]" value=o.clone() checked=values.contains(o)/>
                        " " {o.clone()}
                    </label>
                }).collect_view()}
            </fieldset>
        }.into_any(),
        _ => view! { <input id=input_id.clone() name="value" type="text" maxlength="500" value=first/> }.into_any(),
    };
    let label = if field.kind == "multi_select" {
        view! { <span>{name}</span> }.into_any()
    } else {
        view! { <label for=input_id>{name}</label> }.into_any()
    };
    let field_id = field.id.clone();
    view! {
        <dt>{label}</dt>
        <dd data-field=field.id.clone()>
            <ActionForm action=action attr:class="inline-form field-value-form">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="task_id" value=task_id/>
                <input type="hidden" name="field_id" value=field_id/>
                {input}
                <button type="submit" class="button small secondary" aria-label=save_label>{t.field_value_save()}</button>
            </ActionForm>
        </dd>
    }
    .into_any()
}
