//! Chat notifications over REST: admins choose which events of which project go to a Slack or
//! Teams channel or a Matrix room, through one of the workspace's integrations. Everything is
//! decided in `bastion_core::chat`; these handlers parse, call and shape.

use super::ids::PathIds;
use axum::{extract::State, http::StatusCode, Json};
use bastion_core::chat::{self, ChatNotification, NewChatNotification};
use bastion_i18n::Locale;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::Member,
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

/// An event a chat notification may announce.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatEvent {
    /// A task is created.
    TaskCreated,
    /// A task's status changes.
    TaskStatus,
    /// A task is assigned to someone.
    TaskAssigned,
    /// A comment is written (the message names the task, never the comment's text).
    CommentCreated,
}

impl ChatEvent {
    fn as_str(&self) -> &'static str {
        match self {
            Self::TaskCreated => "task_created",
            Self::TaskStatus => "task_status",
            Self::TaskAssigned => "task_assigned",
            Self::CommentCreated => "comment_created",
        }
    }

    fn parse(event: &str) -> Option<Self> {
        Some(match event {
            "task_created" => Self::TaskCreated,
            "task_status" => Self::TaskStatus,
            "task_assigned" => Self::TaskAssigned,
            "comment_created" => Self::CommentCreated,
            _ => return None,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatDeliveryView {
    /// `pending`, `delivered` or `failed`.
    #[schema(example = "delivered")]
    pub status: String,
    pub attempts: i32,
    pub http_status: Option<i32>,
    pub error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatNotificationView {
    pub id: Uuid,
    pub integration_id: Uuid,
    #[schema(example = "Team channel")]
    pub integration_name: String,
    /// `slack`, `teams` or `matrix`.
    #[schema(example = "slack")]
    pub integration_kind: String,
    /// Null: every project.
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
    pub events: Vec<ChatEvent>,
    /// The language of the messages: `en`, `nl-BE`, `fr-BE` or `de-BE`.
    #[schema(example = "nl-BE")]
    pub language: String,
    pub matrix_homeserver: Option<String>,
    pub matrix_room: Option<String>,
    pub enabled: bool,
    /// Why it is off: an admin, or the channel answered 404 or 410.
    pub disabled_reason: Option<String>,
    /// The newest message's outcome.
    pub last_delivery: Option<ChatDeliveryView>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

impl From<ChatNotification> for ChatNotificationView {
    fn from(c: ChatNotification) -> Self {
        Self {
            id: c.id,
            integration_id: c.integration_id,
            integration_name: c.integration_name,
            integration_kind: c.integration_kind.as_str().to_owned(),
            project_id: c.project_id,
            project_name: c.project_name,
            events: c
                .events
                .iter()
                .filter_map(|e| ChatEvent::parse(e))
                .collect(),
            language: c.language,
            matrix_homeserver: c.matrix_homeserver,
            matrix_room: c.matrix_room,
            enabled: c.enabled,
            disabled_reason: c.disabled_reason,
            last_delivery: c.last_delivery.map(|d| ChatDeliveryView {
                status: d.status,
                attempts: d.attempts,
                http_status: d.http_status,
                error: d.error,
                at: d.at.format(&Rfc3339).unwrap_or_default(),
            }),
            created_at: c.created_at.format(&Rfc3339).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatNotificationList {
    pub items: Vec<ChatNotificationView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewChatNotificationBody {
    /// A `slack`, `teams` or `matrix` integration of this workspace.
    pub integration_id: Uuid,
    /// Only this project's tasks; every project when absent.
    pub project_id: Option<Uuid>,
    #[schema(min_items = 1)]
    pub events: Vec<ChatEvent>,
    /// `en`, `nl-BE`, `fr-BE` or `de-BE`; the caller's own language when absent.
    #[schema(example = "nl-BE", schema_with = super::enums::language_or_null)]
    pub language: Option<String>,
    /// Matrix only: the homeserver's address (`https://matrix.example.eu`).
    #[schema(max_length = 2000)]
    pub matrix_homeserver: Option<String>,
    /// Matrix only: `!id:server` or `#alias:server`.
    #[schema(max_length = 255)]
    pub matrix_room: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatNotificationChange {
    /// `false` turns it off (messages still waiting are dropped); `true` on again.
    pub enabled: bool,
}

/// The workspace's chat notifications, each with its newest message's outcome.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/chat-notifications",
    responses(
        (status = 200, description = "The chat notifications, oldest first.", body = ChatNotificationList),
        (status = 403, description = "Not an admin of this workspace.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
    ),
)]
pub async fn list_chat_notifications(
    mut member: Member,
) -> Result<Json<ChatNotificationList>, ApiError> {
    let viewer = member.viewer();
    let items = chat::list(&mut member.tx, viewer).await?;
    member.tx.commit().await?;
    Ok(Json(ChatNotificationList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Send chosen events to a Slack or Teams channel or a Matrix room. Private tasks are never
/// announced.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/chat-notifications",
    request_body = NewChatNotificationBody,
    responses(
        (status = 201, description = "Added.", body = ChatNotificationView),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn create_chat_notification(
    State(state): State<AppState>,
    mut member: Member,
    ApiJson(body): ApiJson<NewChatNotificationBody>,
) -> Result<(StatusCode, Json<ChatNotificationView>), ApiError> {
    let viewer = member.viewer();
    let input = NewChatNotification {
        integration_id: body.integration_id,
        project_id: body.project_id,
        events: body.events.iter().map(|e| e.as_str().to_owned()).collect(),
        language: body.language,
        matrix_homeserver: body.matrix_homeserver,
        matrix_room: body.matrix_room,
    };
    let own = Locale::from_tag(&member.user.locale).unwrap_or_default();
    let added = chat::create(&mut member.tx, viewer, state.config.webhooks(), &input, own).await?;
    member.tx.commit().await?;
    Ok((StatusCode::CREATED, Json(added.into())))
}

/// Turn a chat notification off or on.
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}/chat-notifications/{id}",
    params(("id" = Uuid, Path, description = "Chat notification id")),
    request_body = ChatNotificationChange,
    responses(
        (status = 200, description = "Changed.", body = ChatNotificationView),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or chat notification, or not a member.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_chat_notification(
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
    ApiJson(body): ApiJson<ChatNotificationChange>,
) -> Result<Json<ChatNotificationView>, ApiError> {
    let viewer = member.viewer();
    let changed = chat::set_enabled(&mut member.tx, viewer, id, body.enabled).await?;
    member.tx.commit().await?;
    Ok(Json(changed.into()))
}

/// Delete a chat notification and its messages' log.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/chat-notifications/{id}",
    params(("id" = Uuid, Path, description = "Chat notification id")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or chat notification, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_chat_notification(
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    chat::delete(&mut member.tx, viewer, id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queue a test message to the channel, sent within seconds; its outcome becomes the
/// notification's last delivery.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/chat-notifications/{id}/test",
    operation_id = "create_chat_test_message",
    params(("id" = Uuid, Path, description = "Chat notification id")),
    responses(
        (status = 202, description = "Queued.", body = ChatNotificationView),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or chat notification, or not a member.", body = ErrorBody),
        (status = 409, description = "The notification is turned off.", body = ErrorBody),
    ),
)]
pub async fn test_chat_notification(
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
) -> Result<(StatusCode, Json<ChatNotificationView>), ApiError> {
    let viewer = member.viewer();
    let queued = chat::send_test(&mut member.tx, viewer, id).await?;
    member.tx.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(queued.into())))
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(
            list_chat_notifications,
            create_chat_notification
        ))
        .routes(utoipa_axum::routes!(
            update_chat_notification,
            delete_chat_notification
        ))
        .routes(utoipa_axum::routes!(test_chat_notification))
}
