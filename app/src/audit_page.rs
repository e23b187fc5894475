//! The audit page of a workspace (`/w/:slug/audit`): admins filter the history by entity, actor
//! and Brussels dates and page back through it; Business workspaces get export links to the REST
//! endpoint. Others get what the REST API gives them: members and guests 403, strangers 404.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::error::LoadedPage;
use crate::policy::{self, Role};
use crate::time::DateRangeFields;
use crate::url::{encode, query_params, route_param, SearchForm};
use crate::work::WorkNav;
use crate::UiError;

/// Events per page.
#[cfg(feature = "ssr")]
pub const EVENTS_PER_PAGE: u32 = 25;

/// One changed (or, for created and deleted events, recorded) field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    /// Present for updates only.
    pub before: Option<String>,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEventRow {
    pub id: i64,
    /// Brussels wall time, `2026-03-30 09:30:12`.
    pub at: String,
    pub actor: String,
    /// `Task`, `Time entry`, …
    pub entity: String,
    /// The first characters of the entity's id, enough to tell events of one thing apart.
    pub entity_ref: String,
    /// `created`, `updated`, `tag added`, …
    pub action: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorOption {
    pub value: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub workspace_name: String,
    pub my_role: Role,
    /// The caller's unread notices, for the workspace's navigation.
    pub unread: i64,
    pub plan: String,
    /// What core answers for this caller and plan; the page itself asks the policy.
    pub can_export: bool,
    /// The filters as given (validated), for the form and the links.
    pub entity: String,
    pub actor: String,
    pub from: String,
    pub to: String,
    /// The filters as the REST export expects them (instants), `&`-prefixed pairs.
    pub export_filters: String,
    pub actors: Vec<ActorOption>,
    pub events: Vec<AuditEventRow>,
    /// The cursor of the next (older) page, in the REST API's format.
    pub older: Option<String>,
}

pub const ENTITY_CHOICES: [(&str, &str); 14] = [
    ("workspace", "Workspace"),
    ("task", "Task"),
    ("comment", "Comment"),
    ("time_entry", "Time entry"),
    ("attachment", "Attachment"),
    ("tag", "Tag"),
    ("checklist_item", "Checklist item"),
    ("task_relation", "Task relation"),
    ("task_recurrence", "Task recurrence"),
    ("custom_field", "Custom field"),
    ("field_value", "Field value"),
    ("webhook_endpoint", "Webhook endpoint"),
    ("chat_notification", "Chat notification"),
    ("import", "Import"),
];

#[cfg(feature = "ssr")]
fn entity_label(entity: &str) -> String {
    ENTITY_CHOICES
        .iter()
        .find(|(key, _)| *key == entity)
        .map(|(_, label)| (*label).to_owned())
        .unwrap_or_else(|| entity.to_owned())
}

/// Audit events newest first, for admins; `before` is the cursor from the previous page.
#[server(prefix = "/api/fn", endpoint = "audit_events")]
pub async fn load_audit_events(
    slug: String,
    entity: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
) -> Result<AuditView, UiError> {
    use std::collections::HashMap;

    use bastion_core::{
        audit::{self, HistoryFilter, HistoryPage, ENTITY_TYPES},
        clock, members,
        work::cursor,
    };
    use time::format_description::well_known::Rfc3339;

    use crate::time::serve::{date_text, invalid, parse_date, present, refusal};

    let ctx = crate::server::context()?;
    let crate::server::Opened {
        user,
        workspace,
        viewer,
        mut tx,
    } = crate::server::open(&slug).await?;
    let role = viewer.role;
    // Non-admins are refused before their filters are read.
    audit::check_read(viewer)?;
    let unread = bastion_core::work::notifications::unread_count(&mut tx, &viewer).await?;
    let entity = present(entity);
    if let Some(e) = &entity {
        if !ENTITY_TYPES.contains(&e.as_str()) {
            return Err(invalid(
                "entity",
                "must be a task, comment, time entry, attachment or tag",
            ));
        }
    }
    let actor = present(actor);
    if let Some(a) = &actor {
        if a != "system" && a.parse::<uuid::Uuid>().is_err() {
            return Err(invalid("actor", "must be a member or 'system'"));
        }
    }
    let (from, to) = (parse_date("from", from)?, parse_date("to", to)?);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(invalid("from", "must not be after the last date"));
        }
    }
    let before = match present(before) {
        None => None,
        Some(text) => Some(
            cursor::decode::<i64>(&text)
                .ok_or_else(|| invalid("cursor", "is not from a previous page"))?,
        ),
    };
    // Brussels dates become the instants of their midnights; the last date is included whole.
    let from_at = match from {
        Some(d) => Some(clock::start_of_day(&mut tx, d).await?),
        None => None,
    };
    let to_at = match to.and_then(|d| d.next_day()) {
        Some(d) => Some(clock::start_of_day(&mut tx, d).await?),
        None => None,
    };
    let filter = HistoryFilter {
        entity_type: entity.clone(),
        actor: actor.clone(),
        from: from_at,
        to: to_at,
        task_id: None,
    };
    let mut events = audit::events(
        &mut tx,
        viewer,
        &filter,
        HistoryPage {
            before,
            limit: EVENTS_PER_PAGE + 1,
        },
    )
    .await
    .map_err(refusal)?;
    let older = (events.len() > EVENTS_PER_PAGE as usize).then(|| {
        events.truncate(EVENTS_PER_PAGE as usize);
        events
            .last()
            .map(|e| cursor::encode(&e.id))
            .unwrap_or_default()
    });
    let instants: Vec<time::OffsetDateTime> = events.iter().map(|e| e.occurred_at).collect();
    let local = clock::local_times(&mut tx, &instants).await?;
    // Instants inside the changes (a start, a due time) are shown in Brussels time too.
    let mut stamps = Vec::new();
    for e in &events {
        collect_instants(&e.changes, &mut stamps);
    }
    let stamp_instants: Vec<time::OffsetDateTime> = stamps.iter().map(|(_, at)| *at).collect();
    let stamp_local = clock::local_times(&mut tx, &stamp_instants).await?;
    let minutes = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let wall: HashMap<String, String> = stamps
        .into_iter()
        .zip(stamp_local)
        .map(|((raw, _), at)| (raw, at.format(&minutes).unwrap_or_default()))
        .collect();
    let member_ids: Vec<uuid::Uuid> = members::list_members(&mut tx)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let mut things = HashMap::new();
    for p in crate::work::srv::all_projects(&mut tx, &viewer, true).await? {
        things.insert(p.id, p.name);
    }
    for t in crate::work::srv::all_tags(&mut tx, &viewer).await? {
        things.insert(t.id, t.name);
    }
    for f in crate::work::fields::srv::all_defs(&mut tx, &viewer).await? {
        things.insert(f.id, f.name);
    }
    tx.commit().await?;

    // Names for members and for anyone an event mentions (a former member, a viewer).
    let mut ids = member_ids.clone();
    for e in &events {
        ids.extend(e.actor.parse::<uuid::Uuid>().ok());
        collect_ids(&e.changes, &mut ids);
    }
    let names: HashMap<uuid::Uuid, String> =
        bastion_core::accounts::names_of(&ctx.pool, &ids).await?;
    let mut actors: Vec<ActorOption> = member_ids
        .iter()
        .map(|id| ActorOption {
            value: id.to_string(),
            name: names.get(id).cloned().unwrap_or_else(|| id.to_string()),
        })
        .collect();
    actors.sort_by(|a, b| a.name.cmp(&b.name));
    actors.push(ActorOption {
        value: "system".into(),
        name: "System (operator commands, jobs)".into(),
    });

    let seconds =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let rows = events
        .into_iter()
        .zip(local)
        .map(|(e, at)| AuditEventRow {
            id: e.id,
            at: at.format(&seconds).unwrap_or_default(),
            actor: match e.actor.parse::<uuid::Uuid>() {
                Ok(id) => names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| "Former member".into()),
                Err(_) if e.actor == "system" => "System".into(),
                Err(_) => e.actor.clone(),
            },
            entity: entity_label(&e.entity_type),
            entity_ref: e.entity_id.to_string().chars().take(8).collect(),
            action: e.action.replace('_', " "),
            changes: describe_changes(
                &e.action,
                &e.changes,
                &Known {
                    names: &names,
                    things: &things,
                    wall: &wall,
                    locale: &user.locale,
                },
            ),
        })
        .collect();

    let mut export_filters = String::new();
    for (key, value) in [
        ("entity", entity.clone()),
        ("actor", actor.clone()),
        ("from", from_at.and_then(|t| t.format(&Rfc3339).ok())),
        ("to", to_at.and_then(|t| t.format(&Rfc3339).ok())),
    ] {
        if let Some(value) = value {
            export_filters.push_str(&format!("&{key}={}", encode(&value)));
        }
    }
    Ok(AuditView {
        workspace_name: workspace.name,
        my_role: role,
        unread,
        can_export: audit::check_export(viewer, &workspace.plan).is_ok(),
        plan: workspace.plan,
        entity: entity.unwrap_or_default(),
        actor: actor.unwrap_or_default(),
        from: date_text(from),
        to: date_text(to),
        export_filters,
        actors,
        events: rows,
        older,
    })
}

/// The audit history as a file's text, oldest first, in `format` (`csv` or `json`), with the
/// REST export's filters (instants): the same core action as `GET …/audit/export`, so an admin
/// of a workspace whose plan lacks the export is refused here as there.
#[server(prefix = "/api/fn", endpoint = "audit_export")]
pub async fn export_audit(
    slug: String,
    format: Option<String>,
    entity: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<String, UiError> {
    use bastion_core::audit::{self, HistoryFilter};
    use time::format_description::well_known::Rfc3339;

    use crate::time::serve::{invalid, present, refusal};

    let mut o = crate::server::open(&slug).await?;
    audit::check_export(o.viewer, &o.workspace.plan)?;
    let instant = |field: &'static str, value: Option<String>| {
        present(value)
            .map(|v| {
                time::OffsetDateTime::parse(&v, &Rfc3339)
                    .map_err(|_| invalid(field, "must be an instant like 2026-03-01T00:00:00Z"))
            })
            .transpose()
    };
    let filter = HistoryFilter {
        entity_type: present(entity),
        actor: present(actor),
        from: instant("from", from)?,
        to: instant("to", to)?,
        task_id: None,
    };
    let format = present(format).unwrap_or_else(|| "csv".into());
    let file = audit::export(&mut o.tx, o.viewer, &o.workspace.plan, &format, &filter)
        .await
        .map_err(refusal)?;
    o.tx.commit().await?;
    Ok(file.body)
}

/// What turns stored values into readable ones: people's names, Brussels wall times for the
/// instants, and the reader's locale for money.
#[cfg(feature = "ssr")]
struct Known<'a> {
    names: &'a std::collections::HashMap<uuid::Uuid, String>,
    /// Projects and tags by id.
    things: &'a std::collections::HashMap<String, String>,
    wall: &'a std::collections::HashMap<String, String>,
    locale: &'a str,
}

/// Every RFC 3339 instant a change holds, with its text as stored.
#[cfg(feature = "ssr")]
fn collect_instants(
    value: &sqlx::types::JsonValue,
    into: &mut Vec<(String, time::OffsetDateTime)>,
) {
    use sqlx::types::JsonValue;
    match value {
        JsonValue::String(s) => {
            if let Ok(at) =
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            {
                into.push((s.clone(), at));
            }
        }
        JsonValue::Array(items) => items.iter().for_each(|v| collect_instants(v, into)),
        JsonValue::Object(map) => map.values().for_each(|v| collect_instants(v, into)),
        _ => {}
    }
}

/// Every user id a change mentions (authors, assignees, viewers), to name them.
#[cfg(feature = "ssr")]
fn collect_ids(value: &sqlx::types::JsonValue, into: &mut Vec<uuid::Uuid>) {
    use sqlx::types::JsonValue;
    match value {
        JsonValue::String(s) => into.extend(s.parse::<uuid::Uuid>().ok()),
        JsonValue::Array(items) => items.iter().for_each(|v| collect_ids(v, into)),
        JsonValue::Object(map) => map.values().for_each(|v| collect_ids(v, into)),
        _ => {}
    }
}

/// The fields of an event as short readable pairs: for an update, each changed field before and
/// after; otherwise the recorded fields (the row's own id left out, it is in the entity column).
#[cfg(feature = "ssr")]
fn describe_changes(
    action: &str,
    changes: &sqlx::types::JsonValue,
    known: &Known,
) -> Vec<FieldChange> {
    use sqlx::types::JsonValue;
    let Some(fields) = changes.as_object() else {
        return vec![FieldChange {
            field: "value".into(),
            before: None,
            after: shown(changes, "", known),
        }];
    };
    fields
        .iter()
        // The row's id is the entity column; its creation and update times are the event's.
        .filter(|(field, _)| {
            action == "updated" || !matches!(field.as_str(), "id" | "created_at" | "updated_at")
        })
        .map(|(field, value)| {
            let label = field
                .trim_end_matches("_id")
                .replace('_', " ")
                .replace(" cents", "");
            match (action, value) {
                ("updated", JsonValue::Object(pair)) => FieldChange {
                    before: Some(shown(
                        pair.get("before").unwrap_or(&JsonValue::Null),
                        field,
                        known,
                    )),
                    after: shown(pair.get("after").unwrap_or(&JsonValue::Null), field, known),
                    field: label,
                },
                _ => FieldChange {
                    field: label,
                    before: None,
                    after: shown(value, field, known),
                },
            }
        })
        .collect()
}

/// One value for people: names for user ids, euros for `*_cents`, yes/no, "—" for nothing, and
/// long text cut short.
#[cfg(feature = "ssr")]
fn shown(value: &sqlx::types::JsonValue, field: &str, known: &Known) -> String {
    let Known {
        names,
        things,
        wall,
        locale,
    } = known;
    use sqlx::types::JsonValue;
    let text = match value {
        JsonValue::Null => "—".to_owned(),
        JsonValue::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        JsonValue::Number(n) if field.ends_with("_cents") => match n.as_i64() {
            Some(cents) => crate::money::format_eur(cents, locale),
            None => n.to_string(),
        },
        JsonValue::Number(n) => n.to_string(),
        JsonValue::String(s) if field == "status" => {
            crate::work::status_word(crate::use_t(), s).to_owned()
        }
        JsonValue::String(s) if field == "priority" => {
            crate::work::priority_word(crate::use_t(), s).to_owned()
        }
        JsonValue::String(s) => match s.parse::<uuid::Uuid>().ok().and_then(|id| names.get(&id)) {
            Some(name) => name.clone(),
            None if things.contains_key(s) => things[s].clone(),
            None if s.is_empty() => "(empty)".to_owned(),
            None => wall.get(s).cloned().unwrap_or_else(|| s.clone()),
        },
        other => other.to_string(),
    };
    const MAX: usize = 80;
    if text.chars().count() > MAX {
        let mut short: String = text.chars().take(MAX - 1).collect();
        short.push('…');
        short
    } else {
        text
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let slug = route_param("slug");
    let param = query_params();
    let data = Resource::new(
        move || {
            (
                slug(),
                param("entity"),
                param("actor"),
                param("from"),
                param("to"),
                param("before"),
            )
        },
        |(slug, entity, actor, from, to, before)| {
            load_audit_events(slug, entity, actor, from, to, before)
        },
    );
    let page = move |view: AuditView| {
        view! { <AuditBody slug=slug() view=view paged=param("before").is_some()/> }
    };
    view! {
        <Title text=crate::use_t().audit_title()/>
        <LoadedPage title=crate::use_t().audit_history() loading=crate::use_t().audit_loading() data page/>
    }
}

#[component]
fn AuditBody(slug: String, view: AuditView, paged: bool) -> impl IntoView {
    let base = format!("/w/{slug}/audit");
    let mut filters = String::new();
    for (key, value) in [
        ("entity", &view.entity),
        ("actor", &view.actor),
        ("from", &view.from),
        ("to", &view.to),
    ] {
        if !value.is_empty() {
            filters.push_str(&format!("{key}={}&", encode(value)));
        }
    }
    let newest = format!("{base}?{}", filters.trim_end_matches('&'));
    let older = view
        .older
        .clone()
        .map(|before| format!("{base}?{filters}before={before}"));
    let export = format!("/api/v1/workspaces/{slug}/audit/export");
    let filtered = !filters.is_empty();
    let can_export = policy::can_export_audit(view.my_role, &view.plan);
    let plan = {
        let mut p = view.plan.clone();
        if let Some(first) = p.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        p
    };
    let t = crate::use_t();
    view! {
        <leptos_meta::Title text=crate::work::raw_text(&t.workspace_page_title(t.nav_audit(), &view.workspace_name))/>
        <WorkNav slug=slug.clone() role=view.my_role unread=view.unread current="audit"/>
        <header class="page-header">
            <h1>{t.audit_heading(view.workspace_name.clone())}</h1>
            <p class="muted">{t.audit_intro()}</p>
        </header>
        <section class="card" aria-labelledby="audit-filter-title">
            <h2 id="audit-filter-title" class="visually-hidden">{t.filters()}</h2>
            <SearchForm action=base.clone() class="form inline-fields filters">
                <div class="field">
                    <label for="audit-entity">{t.audit_entity()}</label>
                    <select id="audit-entity" name="entity">
                        <option value="" selected=view.entity.is_empty()>{t.audit_all_entities()}</option>
                        {ENTITY_CHOICES.into_iter().map(|(key, label)| view! {
                            <option value=key selected=key == view.entity>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-actor">{t.audit_actor()}</label>
                    <select id="audit-actor" name="actor">
                        <option value="" selected=view.actor.is_empty()>{t.audit_anyone()}</option>
                        {view.actors.iter().map(|a| view! {
                            <option value=a.value.clone() selected=a.value == view.actor>{a.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <DateRangeFields id_prefix="audit" from=view.from.clone() to=view.to.clone()/>
                <button type="submit" class="button">{t.filter()}</button>
                {filtered.then(|| view! { <A href=base.clone() attr:class="button secondary">{t.clear_filters()}</A> })}
            </SearchForm>
            <div class="export">
                {if can_export {
                    view! {
                        <span class="muted">{t.audit_export_these()}</span>
                        <a class="button secondary small" href=format!("{export}?format=csv{}", view.export_filters) download>{t.export_csv()}</a>
                        <a class="button secondary small" href=format!("{export}?format=json{}", view.export_filters) download>{t.export_json()}</a>
                    }.into_any()
                } else {
                    view! {
                        <p class="muted small">{t.audit_export_business(plan)}</p>
                    }.into_any()
                }}
            </div>
        </section>
        <section class="card" aria-labelledby="audit-events-title">
            <h2 id="audit-events-title">{t.audit_events()}</h2>
            {if view.events.is_empty() {
                let text = if filtered || paged {
                    t.audit_no_match()
                } else {
                    t.audit_empty()
                };
                view! { <p class="empty-note">{text}</p> }.into_any()
            } else {
                view! {
                    <ol class="audit-list">
                        {view.events.into_iter().map(|e| view! {
                            <li class="audit-event">
                                <div class="audit-head">
                                    <time class="nowrap">{e.at.clone()}</time>
                                    <strong>{e.actor.clone()}</strong>
                                    <span class=format!("badge action-{}", e.action.replace(' ', "-"))>{e.action.clone()}</span>
                                    <span>{e.entity.clone()} " " <code title=t.audit_id_start()>{e.entity_ref.clone()}</code></span>
                                </div>
                                {(!e.changes.is_empty()).then(|| view! {
                                    <ul class=if e.action == "updated" { "changes" } else { "changes inline" }>
                                        {e.changes.into_iter().map(|c| view! {
                                            <li>
                                                <span class="field-name">{c.field}": "</span>
                                                {c.before.map(|b| view! { <del>{b}</del> <span aria-hidden="true">" → "</span><span class="visually-hidden">" " {t.changed_to()} " "</span> })}
                                                <ins>{c.after}</ins>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                })}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            <nav class="pager" aria-label=t.audit_pages()>
                {paged.then(|| view! { <A href=newest attr:class="button secondary small">{t.newest()}</A> })}
                {older.map(|href| view! { <A href=href attr:class="button secondary small">{t.older()}</A> })}
            </nav>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn updates_read_before_and_after_with_names_and_euros() {
        let ada = uuid::Uuid::new_v4();
        let names = std::collections::HashMap::from([(ada, "Ada".to_owned())]);
        let changes: sqlx::types::JsonValue = serde_json_value(&format!(
            r#"{{"rate_cents": {{"before": 9000, "after": 9550}}, "assignee_id": {{"before": null, "after": "{ada}"}}}}"#
        ));
        let wall = std::collections::HashMap::new();
        let things = std::collections::HashMap::new();
        let known = Known {
            names: &names,
            things: &things,
            wall: &wall,
            locale: "en",
        };
        let described = describe_changes("updated", &changes, &known);
        assert!(described.contains(&FieldChange {
            field: "rate".into(),
            before: Some("€90.00".into()),
            after: "€95.50".into()
        }));
        assert!(described.contains(&FieldChange {
            field: "assignee".into(),
            before: Some("—".into()),
            after: "Ada".into()
        }));
        let created = describe_changes(
            "created",
            &serde_json_value(r#"{"id": "x", "billable": true, "note": "", "created_at": "x"}"#),
            &known,
        );
        assert_eq!(
            created.len(),
            2,
            "the row's id and creation time are left out: {created:?}"
        );
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            encode("2026-03-01T00:00:00+01:00"),
            "2026-03-01T00%3A00%3A00%2B01%3A00"
        );
        assert_eq!(encode("system"), "system");
    }

    fn serde_json_value(text: &str) -> sqlx::types::JsonValue {
        leptos::serde_json::from_str(text).unwrap()
    }
}
