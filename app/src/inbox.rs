//! The inbox, `/w/:slug/inbox`: the caller's notices in the workspace, newest first (only
//! unread ones with `?unread=1`), each linking to its task, with "mark read" and "mark all
//! read". Core writes the notices with the changes that cause them and applies the visibility
//! rule again here, so a notice about a task the caller no longer sees is not shown.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::error::action_error;
use crate::policy::Role;
use crate::url::{encode, route_param};
use crate::work::{announce, FormError, LoadError, Notice, WorkNav};
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub id: String,
    /// What happened, as a sentence without the task's title ("Ada assigned you").
    pub what: String,
    pub task_id: String,
    pub task_title: String,
    /// Brussels time.
    pub when: String,
    pub unread: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxPage {
    pub workspace_name: String,
    pub role: Role,
    pub unread: i64,
    pub items: Vec<InboxItem>,
    pub next_cursor: Option<String>,
    /// How each kind of notice is emailed, in the order the form shows them: the kind's field
    /// name (`assigned`, …) and its delivery (`off`, `immediately`, `hourly`, `daily`).
    pub email: Vec<(String, String)>,
}

/// The deliveries, as the form's options send them.
pub const DELIVERIES: [&str; 4] = ["immediately", "hourly", "daily", "off"];

fn kind_label(t: crate::i18n::T, kind: &str) -> &'static str {
    match kind {
        "assigned" => t.notification_kind_assigned(),
        "mentioned" => t.notification_kind_mentioned(),
        "commented" => t.notification_kind_commented(),
        "status_changed" => t.notification_kind_status_changed(),
        "due_tomorrow" => t.notification_kind_due_tomorrow(),
        "invited" => t.notification_kind_invited(),
        _ => t.unknown(),
    }
}

fn delivery_label(t: crate::i18n::T, delivery: &str) -> &'static str {
    match delivery {
        "immediately" => t.delivery_immediately(),
        "hourly" => t.delivery_hourly(),
        "daily" => t.delivery_daily(),
        "off" => t.delivery_off(),
        _ => t.unknown(),
    }
}

#[cfg(feature = "ssr")]
pub const INBOX_PAGE: u32 = 50;

#[server(prefix = "/api/fn", endpoint = "inbox")]
pub async fn load_inbox(
    slug: String,
    unread: Option<String>,
    cursor: Option<String>,
) -> Result<InboxPage, UiError> {
    use crate::work::srv;
    use bastion_core::work::notifications::{self, Kind};
    let mut o = crate::server::open(&slug).await?;
    let after = srv::page_after(cursor.as_deref())?;
    let unread_only = unread.is_some_and(|u| !u.is_empty() && u != "0");
    let mut records =
        notifications::list(&mut o.tx, &o.viewer, unread_only, after, INBOX_PAGE + 1).await?;
    let unread = notifications::unread_count(&mut o.tx, &o.viewer).await?;
    let email = bastion_core::work::notification_mail::preferences(&mut o.tx, &o.viewer)
        .await?
        .into_iter()
        .map(|p| (p.kind.as_str().to_owned(), p.delivery.as_str().to_owned()))
        .collect();
    o.tx.commit().await?;
    let next_cursor = if records.len() > INBOX_PAGE as usize {
        records.truncate(INBOX_PAGE as usize);
        records.last().map(|n| srv::cursor_text(n.position()))
    } else {
        None
    };
    let names = srv::names(records.iter().map(|n| n.actor_id).collect()).await?;
    let when = srv::local_times(&records.iter().map(|n| n.created_at).collect::<Vec<_>>()).await?;
    let t = crate::use_t();
    let items = records
        .into_iter()
        .zip(when)
        .map(|(n, when)| {
            let who = names.get(&n.actor_id).cloned().unwrap_or_default();
            let what = match n.kind {
                Kind::Assigned => t.notice_assigned(&who),
                Kind::Commented => t.notice_commented(&who),
                Kind::StatusChanged => t.notice_status_changed(
                    &who,
                    crate::work::status_word(t, n.detail.as_deref().unwrap_or_default()),
                ),
                Kind::Mentioned => t.notice_mentioned(&who),
                Kind::DueTomorrow => t.notice_due_tomorrow().to_owned(),
                Kind::Invited => t.notice_invited(&who),
            };
            InboxItem {
                id: n.id.to_string(),
                what,
                task_id: n.task_id.to_string(),
                task_title: n.task_title,
                when,
                unread: n.read_at.is_none(),
            }
        })
        .collect();
    Ok(InboxPage {
        workspace_name: o.workspace.name,
        role: o.viewer.role,
        unread,
        items,
        next_cursor,
        email,
    })
}

/// Saves how each kind of notice is emailed to the caller in this workspace (core checks each
/// value and the caller's right to choose, as for `PUT …/me/notification-preferences`).
#[server(prefix = "/api/fn", endpoint = "set_email_notifications")]
pub async fn set_email_notifications(
    slug: String,
    assigned: String,
    mentioned: String,
    commented: String,
    status_changed: String,
    due_tomorrow: String,
    invited: String,
) -> Result<(), UiError> {
    use bastion_core::work::{notification_mail as nm, notifications::Kind};
    let mut o = crate::server::open(&slug).await?;
    let changes = [
        (Kind::Assigned, nm::parse_delivery("assigned", &assigned)?),
        (
            Kind::Mentioned,
            nm::parse_delivery("mentioned", &mentioned)?,
        ),
        (
            Kind::Commented,
            nm::parse_delivery("commented", &commented)?,
        ),
        (
            Kind::StatusChanged,
            nm::parse_delivery("status_changed", &status_changed)?,
        ),
        (
            Kind::DueTomorrow,
            nm::parse_delivery("due_tomorrow", &due_tomorrow)?,
        ),
        (Kind::Invited, nm::parse_delivery("invited", &invited)?),
    ];
    nm::set_preferences(&mut o.tx, &o.viewer, &changes).await?;
    Ok(o.tx.commit().await?)
}

#[server(prefix = "/api/fn", endpoint = "read_notification")]
pub async fn read_notification(slug: String, id: String) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    let id = crate::work::srv::id_or_404(&id, "notification")?;
    bastion_core::work::notifications::mark_read(&mut o.tx, &o.viewer, id).await?;
    Ok(o.tx.commit().await?)
}

#[server(prefix = "/api/fn", endpoint = "read_all_notifications")]
pub async fn read_all_notifications(slug: String) -> Result<(), UiError> {
    let mut o = crate::server::open(&slug).await?;
    bastion_core::work::notifications::mark_all_read(&mut o.tx, &o.viewer).await?;
    Ok(o.tx.commit().await?)
}

#[component]
pub fn InboxPageView() -> impl IntoView {
    let slug = route_param("slug");
    let query = use_query_map();
    let filter = move || {
        let q = query.read();
        (
            q.get("unread").filter(|u| !u.is_empty()),
            q.get("cursor").filter(|c| !c.is_empty()),
        )
    };
    let read = crate::error::server_action::<ReadNotification>();
    let read_all = crate::error::server_action::<ReadAllNotifications>();
    let save_email = crate::error::server_action::<SetEmailNotifications>();
    let version =
        move || read.version().get() + read_all.version().get() + save_email.version().get();
    // Blocking: the response waits for the data, so a refusal keeps its status (404).
    let data = Resource::new_blocking(
        move || (slug(), filter(), version()),
        |(slug, (unread, cursor), _)| load_inbox(slug, unread, cursor),
    );
    let error = {
        let (a, b) = (action_error(read), action_error(read_all));
        move || a().or_else(b)
    };
    let email_error = action_error(save_email);
    let notice = RwSignal::new(None);
    let t = crate::use_t();
    announce!(notice,
        read => t.marked_read(),
        read_all => t.all_marked_read(),
        save_email => t.email_notifications_saved(),
    );

    view! {
        <Title text=t.inbox_title()/>
        <Notice notice/>
        <Transition fallback=move || view! { <p>{t.inbox_loading()}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError title=t.inbox() error=e/> }.into_any(),
                    Ok(page) => {
                        let slug = slug();
                        let (unread_only, cursor) = filter();
                        let unread_only = unread_only.is_some();
                        let base = format!("/w/{slug}/inbox");
                        let here = if unread_only { format!("{base}?unread=1") } else { base.clone() };
                        let next = page.next_cursor.as_deref().map(|c| {
                            let sep = if unread_only { "&" } else { "?" };
                            format!("{here}{sep}cursor={}", encode(c))
                        });
                        let slug_v = StoredValue::new(slug.clone());
                        view! {
                            <Title text=crate::work::raw_text(&t.inbox_workspace_title(&page.workspace_name))/>
                            <WorkNav slug=slug.clone() role=page.role unread=page.unread current="inbox"/>
                            {crate::live::follow(slug.clone(), crate::live::Follows::InboxAndTasks, None, 0)}
                            <section class="card" aria-labelledby="inbox-title">
                                <h1 id="inbox-title">{t.inbox()}</h1>
                                <p class="muted">
                                    {match page.unread {
                                        0 => t.unread_none().to_owned(),
                                        1 => t.unread_one().to_owned(),
                                        n => t.unread_many(n),
                                    }}
                                    " " {t.inbox_explained()}
                                </p>
                                <div class="inbox-actions">
                                    <nav aria-label=t.inbox_show()>
                                        {if unread_only {
                                            view! { <a href=base.clone()>{t.inbox_show_all()}</a> }.into_any()
                                        } else {
                                            view! { <a href=format!("{base}?unread=1")>{t.inbox_show_unread()}</a> }.into_any()
                                        }}
                                    </nav>
                                    {(page.unread > 0).then(|| view! {
                                        <ActionForm action=read_all attr:class="inline-form">
                                            <input type="hidden" name="slug" value=slug_v.get_value()/>
                                            <button type="submit" class="button small secondary">{t.mark_all_read()}</button>
                                        </ActionForm>
                                    })}
                                </div>
                                <FormError error/>
                                {if page.items.is_empty() {
                                    let text = if unread_only {
                                        t.inbox_caught_up()
                                    } else {
                                        t.inbox_empty()
                                    };
                                    view! { <p class="empty">{text}</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="inbox-list">
                                            {page.items.into_iter().map(|item| {
                                                let href = format!("/w/{}/tasks/{}", slug_v.get_value(), item.task_id);
                                                let label = t.mark_read_label(&item.what, &item.task_title);
                                                view! {
                                                    <li class="inbox-item" class:unread=item.unread>
                                                        <span class="what">
                                                            {item.what.clone()} " " {t.notice_on()} " " <a href=href>{item.task_title.clone()}</a>
                                                            {item.unread.then(|| view! { <span class="visually-hidden">" " {t.unread_suffix()}</span> })}
                                                        </span>
                                                        <span class="when muted">{item.when.clone()}</span>
                                                        {item.unread.then(|| view! {
                                                            <ActionForm action=read attr:class="inline-form">
                                                                <input type="hidden" name="slug" value=slug_v.get_value()/>
                                                                <input type="hidden" name="id" value=item.id.clone()/>
                                                                <button type="submit" class="button small secondary" aria-label=label>{t.mark_read()}</button>
                                                            </ActionForm>
                                                        })}
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                                <nav class="pager" aria-label=t.pages()>
                                    {cursor.is_some().then(|| view! { <a href=here.clone()>{t.first_page()}</a> })}
                                    {next.map(|href| view! { <a class="button small secondary" href=href rel="next">{t.next_page()}</a> })}
                                </nav>
                            </section>
                            <section class="card" id="email-notifications" aria-labelledby="email-notifications-title">
                                <h2 id="email-notifications-title">{t.email_notifications()}</h2>
                                <p class="muted">{t.email_notifications_explained()}</p>
                                <ActionForm action=save_email attr:class="form inline-fields">
                                    <input type="hidden" name="slug" value=slug_v.get_value()/>
                                    {page.email.into_iter().map(|(kind, delivery)| {
                                        let id = format!("email-{kind}");
                                        view! {
                                            <div class="field">
                                                <label for=id.clone()>{kind_label(t, &kind)}</label>
                                                <select id=id name=kind.clone()>
                                                    {DELIVERIES.into_iter().map(|d| view! {
                                                        <option value=d selected=d == delivery>{delivery_label(t, d)}</option>
                                                    }).collect_view()}
                                                </select>
                                            </div>
                                        }
                                    }).collect_view()}
                                    <button type="submit" class="button" disabled=move || save_email.pending().get()>{t.save_email_notifications()}</button>
                                </ActionForm>
                                <FormError error=email_error/>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
