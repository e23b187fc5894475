//! Watching tasks and the caller's in-app inbox. Notices are written by the changes that cause
//! them (core, one door); here they are read and marked, always for the caller and only about
//! tasks the caller sees now.

use super::ids::PathIds;
use axum::{http::StatusCode, Json};
use bastion_core::work::{
    notification_mail::{self, Delivery, Preference},
    notifications::{self, Kind, Notification},
    watching::{self, WatchState},
    Position,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::pagination::{split_page, PageQuery};
use crate::json::ApiJson;
use crate::query::ApiQuery;
use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
};

/// Why the caller is told.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The task was assigned to the caller.
    Assigned,
    /// A comment on a task the caller watches.
    Commented,
    /// The status of a task the caller watches changed.
    StatusChanged,
    /// A comment mentions the caller.
    Mentioned,
    /// A task the caller is assigned to or watches is due tomorrow (Brussels calendar); the
    /// actor is the nil id (nobody).
    DueTomorrow,
    /// The caller was given access to a task (added to its viewers).
    Invited,
}

impl From<Kind> for NotificationKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Assigned => Self::Assigned,
            Kind::Commented => Self::Commented,
            Kind::StatusChanged => Self::StatusChanged,
            Kind::Mentioned => Self::Mentioned,
            Kind::DueTomorrow => Self::DueTomorrow,
            Kind::Invited => Self::Invited,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    pub kind: NotificationKind,
    pub task_id: Uuid,
    /// The task's title as it is now.
    pub task_title: String,
    /// The comment, for `commented` and `mentioned` (absent for a mention in the description).
    pub comment_id: Option<Uuid>,
    /// Who made the change.
    pub actor_id: Uuid,
    /// For `status_changed`: the new status (`todo`, `in_progress`, `done`).
    pub status: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When the caller marked it read; absent while unread.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<OffsetDateTime>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind.into(),
            task_id: n.task_id,
            task_title: n.task_title,
            comment_id: n.comment_id,
            actor_id: n.actor_id,
            status: n.detail,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    /// Unread notices about tasks the caller sees now.
    pub unread: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many notices this marked read.
    pub marked: u64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only unread notices.
    pub unread: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchView {
    /// Whether the caller watches the task (and so hears of its comments and status changes).
    pub watching: bool,
    /// How many people watch it.
    pub watchers: i64,
}

impl From<WatchState> for WatchView {
    fn from(s: WatchState) -> Self {
        Self {
            watching: s.watching,
            watchers: s.watchers,
        }
    }
}

/// The caller's notices in this workspace, newest first, about tasks they see now (a notice
/// about a task since made private or unshared from them is not listed).
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/notifications",
    params(InboxQuery, PageQuery),
    responses(
        (status = 200, description = "A page of notices.", body = NotificationList),
        (status = 404, description = "Not a member.", body = ErrorBody),
        (status = 422, description = "`unread`, `limit` or `cursor` is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn list_notifications(
    mut member: Member,
    ApiQuery(query): ApiQuery<InboxQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<NotificationList>, ApiError> {
    let limit = page.limit()?;
    let after = page.position::<Position>()?;
    let viewer = member.viewer();
    let unread = query.unread.unwrap_or(false);
    let rows = notifications::list(&mut member.tx, &viewer, unread, after, limit + 1).await?;
    member.tx.commit().await?;
    let (rows, next_cursor) = split_page(rows, limit, |n| n.position());
    Ok(Json(NotificationList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// How many unread notices the caller has in this workspace.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/notifications/unread-count",
    responses(
        (status = 200, description = "The count.", body = UnreadCount),
        (status = 404, description = "Not a member.", body = ErrorBody),
    ),
)]
pub async fn get_unread_count(mut member: Member) -> Result<Json<UnreadCount>, ApiError> {
    let viewer = member.viewer();
    let unread = notifications::unread_count(&mut member.tx, &viewer).await?;
    member.tx.commit().await?;
    Ok(Json(UnreadCount { unread }))
}

/// Mark one of the caller's notices read.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/notifications/{notification_id}/read",
    params(
        ("notification_id" = Uuid, Path, description = "The notice's id"),
    ),
    responses(
        (status = 204, description = "Read (or already read)."),
        (status = 403, description = "Another origin.", body = ErrorBody),
        (status = 404, description = "No such notice of the caller's about a task they see, or not a member.", body = ErrorBody),
    ),
)]
pub async fn mark_notification_read(
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    notifications::mark_read(&mut member.tx, &viewer, id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark all of the caller's notices in this workspace read.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/notifications/read-all",
    responses(
        (status = 200, description = "How many were marked.", body = MarkedRead),
        (status = 403, description = "Another origin.", body = ErrorBody),
        (status = 404, description = "Not a member.", body = ErrorBody),
    ),
)]
pub async fn mark_all_notifications_read(mut member: Member) -> Result<Json<MarkedRead>, ApiError> {
    let viewer = member.viewer();
    let marked = notifications::mark_all_read(&mut member.tx, &viewer).await?;
    member.tx.commit().await?;
    Ok(Json(MarkedRead { marked }))
}

/// Whether the caller watches a task they see.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/watch",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    responses(
        (status = 200, description = "The caller's watch.", body = WatchView),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn get_task_watch(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<WatchView>, ApiError> {
    let viewer = member.viewer();
    let state = watching::watch_state(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(Json(state.into()))
}

/// Watch a task the caller sees: hear of its comments and status changes. Its creator,
/// assignee, commenters and the people mentioned watch it on their own unless they unwatched it.
#[utoipa::path(
    put,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/watch",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    responses(
        (status = 200, description = "Watching (or already was).", body = WatchView),
        (status = 403, description = "Another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn add_task_watcher(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<WatchView>, ApiError> {
    let viewer = member.viewer();
    let state = watching::watch(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(Json(state.into()))
}

/// Stop watching a task; commenting on it or being mentioned later does not sign the caller up
/// again (watching again does).
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/tasks/{task_id}/watch",
    params(
        ("task_id" = Uuid, Path, description = "The task's id"),
    ),
    responses(
        (status = 200, description = "Not watching (or already was not).", body = WatchView),
        (status = 403, description = "Another origin.", body = ErrorBody),
        (status = 404, description = "No such task the caller sees, or not a member.", body = ErrorBody),
    ),
)]
pub async fn remove_task_watcher(
    mut member: Member,
    PathIds(task_id): PathIds<Uuid>,
) -> Result<Json<WatchView>, ApiError> {
    let viewer = member.viewer();
    let state = watching::unwatch(&mut member.tx, &viewer, task_id).await?;
    member.tx.commit().await?;
    Ok(Json(state.into()))
}

/// How one kind of notice reaches the caller by email.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailDelivery {
    /// No email (the notice stays in the inbox).
    Off,
    /// One email per notice, within seconds.
    Immediately,
    /// One email per hour with everything of the hour.
    Hourly,
    /// One email a day, at 07:00 Brussels time.
    Daily,
}

impl From<Delivery> for EmailDelivery {
    fn from(d: Delivery) -> Self {
        match d {
            Delivery::Off => Self::Off,
            Delivery::Immediately => Self::Immediately,
            Delivery::Hourly => Self::Hourly,
            Delivery::Daily => Self::Daily,
        }
    }
}

/// The caller's email preferences in this workspace, per kind of notice. Defaults: `assigned`,
/// `mentioned` and `invited` immediately, the others in the daily digest.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPreferences {
    /// A task is assigned to the caller.
    pub assigned: EmailDelivery,
    /// A comment mentions the caller.
    pub mentioned: EmailDelivery,
    /// A comment on a task the caller watches.
    pub commented: EmailDelivery,
    /// The status of a task the caller watches changes.
    pub status_changed: EmailDelivery,
    /// A task the caller is assigned to or watches is due tomorrow (Brussels calendar).
    pub due_tomorrow: EmailDelivery,
    /// The caller is given access to a task.
    pub invited: EmailDelivery,
}

impl NotificationPreferences {
    fn from_core(prefs: Vec<Preference>) -> Self {
        let of = |kind: Kind| {
            prefs
                .iter()
                .find(|p| p.kind == kind)
                .map(|p| p.delivery)
                .unwrap_or_else(|| notification_mail::default_for(kind))
                .into()
        };
        Self {
            assigned: of(Kind::Assigned),
            mentioned: of(Kind::Mentioned),
            commented: of(Kind::Commented),
            status_changed: of(Kind::StatusChanged),
            due_tomorrow: of(Kind::DueTomorrow),
            invited: of(Kind::Invited),
        }
    }
}

/// A change of some email preferences; a kind left out stays as it is.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferencesChange {
    #[schema(value_type = Option<EmailDelivery>)]
    pub assigned: Option<String>,
    #[schema(value_type = Option<EmailDelivery>)]
    pub mentioned: Option<String>,
    #[schema(value_type = Option<EmailDelivery>)]
    pub commented: Option<String>,
    #[schema(value_type = Option<EmailDelivery>)]
    pub status_changed: Option<String>,
    #[schema(value_type = Option<EmailDelivery>)]
    pub due_tomorrow: Option<String>,
    #[schema(value_type = Option<EmailDelivery>)]
    pub invited: Option<String>,
}

impl NotificationPreferencesChange {
    /// The changes, each checked (422 naming the kind).
    fn changes(&self) -> Result<Vec<(Kind, Delivery)>, ApiError> {
        let mut out = Vec::new();
        for (kind, field, value) in [
            (Kind::Assigned, "assigned", &self.assigned),
            (Kind::Mentioned, "mentioned", &self.mentioned),
            (Kind::Commented, "commented", &self.commented),
            (Kind::StatusChanged, "status_changed", &self.status_changed),
            (Kind::DueTomorrow, "due_tomorrow", &self.due_tomorrow),
            (Kind::Invited, "invited", &self.invited),
        ] {
            if let Some(value) = value {
                out.push((kind, notification_mail::parse_delivery(field, value)?));
            }
        }
        Ok(out)
    }
}

/// The caller's email preferences in this workspace.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/me/notification-preferences",
    responses(
        (status = 200, description = "One delivery per kind of notice.", body = NotificationPreferences),
        (status = 404, description = "Not a member.", body = ErrorBody),
    ),
)]
pub async fn get_notification_preferences(
    mut member: Member,
) -> Result<Json<NotificationPreferences>, ApiError> {
    let viewer = member.viewer();
    let prefs = notification_mail::preferences(&mut member.tx, &viewer).await?;
    member.tx.commit().await?;
    Ok(Json(NotificationPreferences::from_core(prefs)))
}

/// Change how the caller is emailed about kinds of notices in this workspace (`off`,
/// `immediately`, `hourly`, `daily`); kinds left out stay as they are. Notices already waiting
/// for a digest are dropped at sending time if their kind is now `off`.
#[utoipa::path(
    put,
    path = "/api/v1/workspaces/{ws}/me/notification-preferences",
    request_body = NotificationPreferencesChange,
    responses(
        (status = 200, description = "Saved; all of the caller's preferences.", body = NotificationPreferences),
        (status = 403, description = "Another origin.", body = ErrorBody),
        (status = 404, description = "Not a member.", body = ErrorBody),
        (status = 422, description = "A delivery is not one of `off`, `immediately`, `hourly`, `daily`, or the body is invalid; the field is named.", body = ErrorBody),
    ),
)]
pub async fn update_notification_preferences(
    mut member: Member,
    ApiJson(body): ApiJson<NotificationPreferencesChange>,
) -> Result<Json<NotificationPreferences>, ApiError> {
    let changes = body.changes()?;
    let viewer = member.viewer();
    let prefs = notification_mail::set_preferences(&mut member.tx, &viewer, &changes).await?;
    member.tx.commit().await?;
    Ok(Json(NotificationPreferences::from_core(prefs)))
}

/// The inbox's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(
            get_notification_preferences,
            update_notification_preferences
        ))
        .routes(utoipa_axum::routes!(list_notifications))
        .routes(utoipa_axum::routes!(get_unread_count))
        .routes(utoipa_axum::routes!(mark_notification_read))
        .routes(utoipa_axum::routes!(mark_all_notifications_read))
}

/// Watching, under the tasks' tag.
pub(crate) fn watch_routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(
        get_task_watch,
        add_task_watcher,
        remove_task_watcher
    ))
}
