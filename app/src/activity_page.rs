//! The activity feed, `/w/:slug/activity`: what changed on the tasks the reader can see, newest
//! first, for the whole workspace or one project (`?project=`), fifty at a time (`?cursor=`).
//! Core decides what is in it (`work::activity`: visible tasks only, no time entries or
//! watching, texts named but not quoted); this page only says it the way the task history does.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::policy::Role;
use crate::url::{encode, route_param};
use crate::work::history::HistoryRow;
use crate::work::{LoadError, ProjectRow, WorkNav};
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityItem {
    pub row: HistoryRow,
    pub task_id: String,
    pub task_title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityData {
    pub workspace_name: String,
    pub role: Role,
    pub unread: i64,
    pub projects: Vec<ProjectRow>,
    pub items: Vec<ActivityItem>,
    pub next_cursor: Option<String>,
}

#[cfg(feature = "ssr")]
const ACTIVITY_PAGE: u32 = 50;

#[server(prefix = "/api/fn", endpoint = "activity")]
pub async fn load_activity(
    slug: String,
    project: Option<String>,
    cursor: Option<String>,
) -> Result<ActivityData, UiError> {
    use crate::work::history::srv as history;
    use crate::work::srv;
    use bastion_core::audit::HistoryPage;
    use bastion_core::work::{activity, notifications};

    let mut o = crate::server::open(&slug).await?;
    let project = srv::opt_id("project_id", project.as_deref())?;
    let before = match cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(bastion_core::work::cursor::decode::<i64>(c).ok_or_else(|| {
            crate::error::field_refusal("cursor", "is not a cursor from a previous page")
        })?),
    };
    let page = HistoryPage {
        before,
        limit: ACTIVITY_PAGE + 1,
    };
    let mut events = activity::feed(&mut o.tx, &o.viewer, project, page).await?;
    let unread = notifications::unread_count(&mut o.tx, &o.viewer).await?;
    let projects = srv::all_projects(&mut o.tx, &o.viewer, true).await?;
    let tags = srv::all_tags(&mut o.tx, &o.viewer).await?;
    let fields = crate::work::fields::srv::all_defs(&mut o.tx, &o.viewer).await?;
    let next_cursor = if events.len() > ACTIVITY_PAGE as usize {
        events.truncate(ACTIVITY_PAGE as usize);
        events
            .last()
            .map(|e| bastion_core::work::cursor::encode(&e.event.id))
    } else {
        None
    };
    let mut instants = Vec::new();
    let mut people = Vec::new();
    for e in &events {
        history::instants(&e.event, &mut instants);
        history::people(&e.event, &mut people);
    }
    let local = bastion_core::clock::local_times(&mut o.tx, &instants).await?;
    o.tx.commit().await?;
    // Names come from the control plane, after the workspace's transaction has ended (a page
    // holds one connection at a time).
    let names = srv::names(people).await?;
    let wall_map: std::collections::HashMap<_, _> = instants.into_iter().zip(local).collect();
    let t = crate::use_t();
    let name = |id: &uuid::Uuid| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| t.former_member().into())
    };
    let wall = |at: time::OffsetDateTime| {
        wall_map
            .get(&at)
            .map(|local| srv::local_time(*local))
            .unwrap_or_default()
    };
    let locale = t.0.tag();
    let known = history::Known {
        name: &name,
        wall: &wall,
        locale,
        projects: &projects,
        tags: &tags,
        fields: &fields,
    };
    let items = events
        .into_iter()
        .filter_map(|e| {
            let (task_id, task_title) = (e.event.task_id, e.task_title);
            history::row(e.event, &known).map(|row| ActivityItem {
                row,
                task_id: task_id.map(|id| id.to_string()).unwrap_or_default(),
                task_title,
            })
        })
        .collect();
    Ok(ActivityData {
        workspace_name: o.workspace.name,
        role: o.viewer.role,
        unread,
        projects,
        items,
        next_cursor,
    })
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let slug = route_param("slug");
    let query = use_query_map();
    let filter = move || {
        let q = query.get();
        (
            q.get("project").filter(|p| !p.is_empty()),
            q.get("cursor").filter(|c| !c.is_empty()),
        )
    };
    // Blocking: the response waits for the data, so a refusal keeps its status (404).
    let data = Resource::new_blocking(
        move || (slug(), filter()),
        |(slug, (project, cursor))| load_activity(slug, project, cursor),
    );
    let t = crate::use_t();

    view! {
        <Title text=t.activity_title()/>
        <Transition fallback=move || view! { <p>{t.activity_loading()}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError title=t.activity_heading() error=e/> }.into_any(),
                    Ok(page) => {
                        let slug = slug();
                        let (project, cursor) = filter();
                        let base = format!("/w/{slug}/activity");
                        let here = match &project {
                            Some(p) => format!("{base}?project={}", encode(p)),
                            None => base.clone(),
                        };
                        let older = page.next_cursor.as_deref().map(|c| {
                            let sep = if project.is_some() { "&" } else { "?" };
                            format!("{here}{sep}cursor={}", encode(c))
                        });
                        let empty = if project.is_some() { t.activity_empty_project() } else { t.activity_empty() };
                        view! {
                            <Title text=crate::work::raw_text(&t.activity_workspace_title(&page.workspace_name))/>
                            <WorkNav slug=slug.clone() role=page.role unread=page.unread current="activity"/>
                            <section class="card" aria-labelledby="activity-title">
                                <h1 id="activity-title">{t.activity_heading()}</h1>
                                <p class="muted">{t.activity_explained()}</p>
                                <form method="get" action=base.clone() class="form inline-fields" aria-label=t.activity_filter()>
                                    <div class="field">
                                        <label for="activity-project">{t.activity_project()}</label>
                                        <select id="activity-project" name="project">
                                            <option value="" selected=project.is_none()>{t.activity_all_projects()}</option>
                                            {page.projects.iter().map(|p| view! {
                                                <option value=p.id.clone() selected=project.as_deref() == Some(p.id.as_str())>{p.name.clone()}</option>
                                            }).collect_view()}
                                        </select>
                                    </div>
                                    <button type="submit" class="button secondary">{t.activity_show()}</button>
                                </form>
                                {if page.items.is_empty() {
                                    view! { <p class="empty-state muted">{empty}</p> }.into_any()
                                } else {
                                    view! {
                                        <ol class="history activity">
                                            {page.items.into_iter().map(|item| {
                                                let href = format!("/w/{slug}/tasks/{}", item.task_id);
                                                let h = item.row;
                                                view! {
                                                    <li>
                                                        <p class="history-head">
                                                            <span class="muted">{h.when}</span> " "
                                                            <strong>{h.actor}</strong> " " {h.action} " "
                                                            {t.activity_on()} " "
                                                            <a href=href>{item.task_title}</a>
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
                                                }
                                            }).collect_view()}
                                        </ol>
                                    }.into_any()
                                }}
                                <nav class="pager" aria-label=t.pages()>
                                    {cursor.is_some().then(|| view! { <a href=here.clone()>{t.activity_newest()}</a> })}
                                    {older.map(|href| view! { <a class="button small secondary" href=href rel="next">{t.activity_older()}</a> })}
                                </nav>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
