//! The workspace home: its projects. Admins and members create, rename, archive and unarchive
//! them; guests see only the projects holding a task they view.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::{announce, FormError, LoadError, Notice, ProjectRow, WorkNav};
use crate::error::action_error;
use crate::policy::{self, Role};
use crate::url::route_param;
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeView {
    pub workspace_name: String,
    pub role: Role,
    /// The caller's unread notices, for the workspace's navigation.
    pub unread: i64,
    pub projects: Vec<ProjectRow>,
}

#[server(prefix = "/api/fn", endpoint = "work_home")]
pub async fn load_home(slug: String) -> Result<HomeView, UiError> {
    let mut o = crate::server::open(&slug).await?;
    // Archived projects too: the page shows them to those who may bring them back.
    let projects = super::srv::all_projects(&mut o.tx, &o.viewer, true).await?;
    let unread = bastion_core::work::notifications::unread_count(&mut o.tx, &o.viewer).await?;
    o.tx.commit().await?;
    Ok(HomeView {
        workspace_name: o.workspace.name,
        role: o.viewer.role,
        unread,
        projects,
    })
}

#[server(prefix = "/api/fn", endpoint = "create_project")]
pub async fn create_project(
    slug: String,
    name: String,
    key_prefix: Option<String>,
) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    // Left empty, the prefix is derived from the name.
    let key_prefix = key_prefix.filter(|p| !p.trim().is_empty());
    bastion_core::work::projects::create_project_with_prefix(
        &mut o.tx,
        &o.viewer,
        &name,
        key_prefix.as_deref(),
    )
    .await?;
    o.tx.commit().await?;
    Ok(())
}

/// Renames (`name`), archives or unarchives (`archived` = `true`/`false`) a project, or changes
/// its key prefix (`key_prefix`, admins).
#[server(prefix = "/api/fn", endpoint = "update_project")]
pub async fn update_project(
    slug: String,
    project_id: String,
    name: Option<String>,
    archived: Option<String>,
    key_prefix: Option<String>,
) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    let id = super::srv::id_or_404(&project_id, "project")?;
    let patch = bastion_core::work::projects::ProjectPatch {
        name,
        archived: archived.map(|a| a == "true"),
        key_prefix,
    };
    bastion_core::work::projects::change_project(&mut o.tx, &o.viewer, id, patch).await?;
    o.tx.commit().await?;
    Ok(())
}

#[component]
pub fn WorkspaceHome() -> impl IntoView {
    let slug = route_param("slug");
    let create = crate::error::server_action::<CreateProject>();
    let update = crate::error::server_action::<UpdateProject>();
    // Blocking: the response waits for the data, so a refusal is sent with its status (404, 403)
    // and the page's title is in the head.
    let data = Resource::new_blocking(
        move || (slug(), create.version().get(), update.version().get()),
        |(slug, _, _)| load_home(slug),
    );
    let create_error = action_error(create);
    let update_error = action_error(update);
    let notice = RwSignal::new(None);
    let t = crate::use_t();
    announce!(notice, create => t.project_created(), update => t.project_saved());

    view! {
        <Title text=t.projects_title()/>
        <Notice notice/>
        <Transition fallback=move || view! { <p>{t.projects_loading()}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError title=t.nav_projects() error=e/> }.into_any(),
                    Ok(home) => {
                        let slug = slug();
                        let manage = policy::can_manage_projects(home.role);
                        let set_prefix = policy::can_set_project_prefix(home.role);
                        let import = policy::can_create_task(home.role);
                        let (open, mut archived): (Vec<_>, Vec<_>) =
                            home.projects.into_iter().partition(|p| !p.archived);
                        // Archived projects are for those who may bring them back.
                        if !manage {
                            archived.clear();
                        }
                        let empty = open.is_empty();
                        view! {
                            <Title text=super::raw_text(&format!("{} — Bastion", home.workspace_name))/>
                            <WorkNav slug=slug.clone() role=home.role unread=home.unread current="home"/>
                            {crate::live::follow(slug.clone(), crate::live::Follows::Inbox, None, 0)}
                            <section class="card" aria-labelledby="home-title">
                                <h1 id="home-title">{home.workspace_name.clone()}</h1>
                                <h2>{t.nav_projects()}</h2>
                                <FormError error=update_error/>
                                {if empty {
                                    let text = if manage {
                                        t.projects_empty_manage()
                                    } else {
                                        t.projects_empty()
                                    };
                                    view! { <p class="empty">{text}</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="project-list">
                                            {open.into_iter().map(|p| view! {
                                                <ProjectItem slug=slug.clone() project=p manage=manage set_prefix=set_prefix import=import action=update/>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                                {manage.then(|| {
                                    let slug = slug.clone();
                                    view! {
                                    <ActionForm action=create attr:class="inline-form create-project">
                                        <input type="hidden" name="slug" value=slug.clone()/>
                                        <label for="new-project-name">{t.new_project()}</label>
                                        <input id="new-project-name" name="name" required maxlength="200" placeholder=t.project_name()/>
                                        {set_prefix.then(|| view! {
                                            <label for="new-project-prefix">{t.key_prefix_optional()}</label>
                                            <input id="new-project-prefix" name="key_prefix" maxlength="6" pattern="[A-Za-z]{2,6}" placeholder="ACME"
                                                title=t.key_prefix_help()/>
                                        })}
                                        <button type="submit" class="button small">{t.create_project()}</button>
                                    </ActionForm>
                                    <FormError error=create_error/>
                                }})}
                                {(!archived.is_empty()).then(|| view! {
                                    <details class="archived">
                                        <summary>{t.archived_projects(archived.len())}</summary>
                                        <ul class="project-list">
                                            {archived.into_iter().map(|p| view! {
                                                <ProjectItem slug=slug.clone() project=p manage=manage set_prefix=set_prefix import=false action=update/>
                                            }).collect_view()}
                                        </ul>
                                    </details>
                                })}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ProjectItem(
    slug: String,
    project: ProjectRow,
    manage: bool,
    set_prefix: bool,
    /// Whether the viewer may import tasks (archived projects take none).
    import: bool,
    action: ServerAction<UpdateProject>,
) -> impl IntoView {
    let t = crate::use_t();
    let prefix_id = format!("prefix-{}", project.id);
    let prefix_label = t.key_prefix_of(&project.name);
    let prefix_value = project.key_prefix.clone();
    let tasks = format!("/w/{slug}/tasks?project={}", project.id);
    let board = format!("/w/{slug}/board?project={}", project.id);
    let rename_id = format!("rename-{}", project.id);
    let (next, toggle, toggle_label) = if project.archived {
        ("false", t.unarchive(), t.unarchive_named(&project.name))
    } else {
        ("true", t.archive(), t.archive_named(&project.name))
    };
    let rename_label = t.new_name_for(&project.name);
    let id = StoredValue::new(project.id.clone());
    let slug = StoredValue::new(slug);
    let name_value = project.name.clone();
    view! {
        <li class="project">
            <div class="project-head">
                <a class="project-name" href=tasks>{project.name.clone()}</a>
                <span class="task-key" title=t.key_prefix()>{project.key_prefix.clone()}</span>
                {project.archived.then(|| view! { <span class="badge">{t.archived()}</span> })}
                <a class="muted" href=board>{t.nav_board()}</a>
                {set_prefix.then(|| view! {
                    <a class="muted" href=format!("/w/{}/fields?project={}", slug.get_value(), id.get_value())>{t.fields_link()}</a>
                })}
                {(import && !project.archived).then(|| view! {
                    <a class="muted" href=format!("/w/{}/import?project={}", slug.get_value(), id.get_value())>{t.import_link()}</a>
                })}
            </div>
            {manage.then(move || view! {
                <div class="project-actions">
                    <ActionForm action=action attr:class="inline-form">
                        <input type="hidden" name="slug" value=slug.get_value()/>
                        <input type="hidden" name="project_id" value=id.get_value()/>
                        <label class="visually-hidden" for=rename_id.clone()>{rename_label}</label>
                        <input id=rename_id name="name" value=name_value required maxlength="200"/>
                        <button type="submit" class="button small secondary">{t.rename()}</button>
                    </ActionForm>
                    <ActionForm action=action attr:class="inline-form">
                        <input type="hidden" name="slug" value=slug.get_value()/>
                        <input type="hidden" name="project_id" value=id.get_value()/>
                        <input type="hidden" name="archived" value=next/>
                        <button type="submit" class="button small secondary" aria-label=toggle_label>{toggle}</button>
                    </ActionForm>
                    {set_prefix.then(|| view! {
                        <ActionForm action=action attr:class="inline-form">
                            <input type="hidden" name="slug" value=slug.get_value()/>
                            <input type="hidden" name="project_id" value=id.get_value()/>
                            <label class="visually-hidden" for=prefix_id.clone()>{prefix_label}</label>
                            <input id=prefix_id name="key_prefix" value=prefix_value required maxlength="6" pattern="[A-Za-z]{2,6}"/>
                            <button type="submit" class="button small secondary">{t.change_prefix()}</button>
                        </ActionForm>
                    })}
                </div>
            })}
        </li>
    }
}
