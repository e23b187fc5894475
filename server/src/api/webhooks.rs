//! Outgoing webhooks over REST: admins register endpoints (the `whsec_` secret is shown in the
//! answer to creation and to rotation, never again), change, disable and delete them, read each
//! endpoint's delivery log and send a delivery again. Everything is decided in
//! `bastion_core::webhooks`; these handlers parse, call and shape.

use super::{
    ids::PathIds,
    pagination::{split_page, PageQuery},
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use bastion_core::{
    webhooks::{self, Attempt, Delivery, Endpoint, EndpointChanges, NewEndpoint, WithSecret},
    work::Position,
};
use serde::{Deserialize, Serialize};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{Member, WorkspaceUser},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    query::ApiQuery,
    AppState,
};

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointView {
    pub id: Uuid,
    #[schema(example = "https://hooks.example.com/bastion")]
    pub url: String,
    pub description: String,
    /// The event families it receives.
    #[schema(example = json!(["task", "comment"]))]
    pub events: Vec<WebhookEventFamily>,
    pub enabled: bool,
    /// Why it is disabled: by an admin, or the receiver answered 410.
    pub disabled_reason: Option<String>,
    /// 1 at creation, one more at every rotation.
    pub secret_version: i32,
    /// After a rotation, until when the previous secret signs too.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub previous_secret_expires_at: Option<String>,
    pub created_by: Option<Uuid>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: String,
}

/// A family of events an endpoint subscribes to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEventFamily {
    Task,
    Comment,
    TimeEntry,
    Attachment,
    Member,
}

impl WebhookEventFamily {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Task => "task",
            Self::Comment => "comment",
            Self::TimeEntry => "time_entry",
            Self::Attachment => "attachment",
            Self::Member => "member",
        }
    }

    fn parse(family: &str) -> Option<Self> {
        Some(match family {
            "task" => Self::Task,
            "comment" => Self::Comment,
            "time_entry" => Self::TimeEntry,
            "attachment" => Self::Attachment,
            "member" => Self::Member,
            _ => return None,
        })
    }
}

fn families(events: &[WebhookEventFamily]) -> Vec<String> {
    events.iter().map(|e| e.as_str().to_owned()).collect()
}

impl From<Endpoint> for WebhookEndpointView {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            description: e.description,
            events: e
                .events
                .iter()
                .filter_map(|f| WebhookEventFamily::parse(f))
                .collect(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            secret_version: e.secret_version,
            previous_secret_expires_at: e.previous_secret_expires_at.map(rfc3339),
            created_by: e.created_by,
            created_at: rfc3339(e.created_at),
            updated_at: rfc3339(e.updated_at),
        }
    }
}

/// An endpoint with its signing secret: the only answer that ever carries it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpointView,
    /// `whsec_` and the base64 of 32 random bytes. Shown now and never again: store it.
    #[schema(value_type = String, example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwQ2Fyb0x1Y2s=")]
    pub secret: bastion_core::secrets::SecretString,
}

impl From<WithSecret> for WebhookEndpointWithSecret {
    fn from(w: WithSecret) -> Self {
        Self {
            endpoint: w.endpoint.into(),
            secret: w.secret,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointList {
    pub items: Vec<WebhookEndpointView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookEndpoint {
    /// An http or https URL whose host resolves to public addresses only (unless the operator
    /// allows private targets).
    #[schema(
        example = "https://hooks.example.com/bastion",
        min_length = 1,
        max_length = 2000
    )]
    pub url: String,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    #[schema(min_items = 1)]
    pub events: Vec<WebhookEventFamily>,
}

/// Only the fields present change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointChange {
    #[schema(min_length = 1, max_length = 2000)]
    pub url: Option<String>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    #[schema(min_items = 1)]
    pub events: Option<Vec<WebhookEventFamily>>,
    /// `false` disables it (pending deliveries are cancelled); `true` enables it again.
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAttemptView {
    pub attempt: i32,
    #[schema(value_type = String, format = DateTime)]
    pub attempted_at: String,
    /// The receiver's status; absent when no answer came.
    pub http_status: Option<i32>,
    pub latency_ms: i32,
    /// At most the first kilobyte of the answer's body.
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

impl From<Attempt> for WebhookAttemptView {
    fn from(a: Attempt) -> Self {
        Self {
            attempt: a.attempt,
            attempted_at: rfc3339(a.attempted_at),
            http_status: a.http_status,
            latency_ms: a.latency_ms,
            response_excerpt: a.response_excerpt,
            error: a.error,
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookDeliveryStatus {
    Pending,
    Delivered,
    Failed,
    Cancelled,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeliveryView {
    pub id: Uuid,
    /// The `webhook-id` header, the same for every attempt.
    pub event_id: Uuid,
    pub endpoint_id: Uuid,
    #[schema(example = "task.updated")]
    pub event_type: String,
    /// The exact body sent (JSON).
    pub payload: String,
    pub status: WebhookDeliveryStatus,
    pub attempts: i32,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// Every attempt, newest first.
    pub log: Vec<WebhookAttemptView>,
}

impl From<Delivery> for WebhookDeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            endpoint_id: d.endpoint_id,
            event_type: d.event_type,
            payload: d.payload,
            status: match d.status.as_str() {
                "delivered" => WebhookDeliveryStatus::Delivered,
                "failed" => WebhookDeliveryStatus::Failed,
                "cancelled" => WebhookDeliveryStatus::Cancelled,
                _ => WebhookDeliveryStatus::Pending,
            },
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(rfc3339),
            created_at: rfc3339(d.created_at),
            log: d.log.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeliveryList {
    pub items: Vec<WebhookDeliveryView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The workspace's webhook endpoints (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/webhooks",
    responses(
        (status = 200, description = "The endpoints.", body = WebhookEndpointList),
        (status = 403, description = "Not an admin of this workspace.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
    ),
)]
pub async fn list_webhooks(mut member: Member) -> Result<Json<WebhookEndpointList>, ApiError> {
    let viewer = member.viewer();
    let items = webhooks::list(&mut member.tx, viewer).await?;
    member.tx.commit().await?;
    Ok(Json(WebhookEndpointList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Register an endpoint. The answer carries its signing secret, shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/webhooks",
    request_body = NewWebhookEndpoint,
    responses(
        (status = 201, description = "Registered; the secret is in this answer only.", body = WebhookEndpointWithSecret),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A field is invalid (e.g. a URL pointing to a private address); it is named.", body = ErrorBody),
    ),
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    current: WorkspaceUser,
    ApiJson(body): ApiJson<NewWebhookEndpoint>,
) -> Result<(StatusCode, Json<WebhookEndpointWithSecret>), ApiError> {
    let workspace = current.admitted(&state).await?;
    let created = webhooks::create(
        &state.pool,
        &state.keys,
        state.config.webhooks(),
        workspace.id,
        current.user.id,
        &NewEndpoint {
            url: body.url,
            description: body.description,
            events: families(&body.events),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One endpoint (never its secret).
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/webhooks/{id}",
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint.", body = WebhookEndpointView),
        (status = 403, description = "Not an admin of this workspace.", body = ErrorBody),
        (status = 404, description = "No such workspace or endpoint, or not a member.", body = ErrorBody),
    ),
)]
pub async fn get_webhook(
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
) -> Result<Json<WebhookEndpointView>, ApiError> {
    let viewer = member.viewer();
    let endpoint = webhooks::get(&mut member.tx, viewer, id).await?;
    member.tx.commit().await?;
    Ok(Json(endpoint.into()))
}

/// Change an endpoint's URL, description or events, or disable and enable it.
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}/webhooks/{id}",
    params(("id" = Uuid, Path, description = "Endpoint id")),
    request_body = WebhookEndpointChange,
    responses(
        (status = 200, description = "Changed.", body = WebhookEndpointView),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or endpoint, or not a member.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_webhook(
    State(state): State<AppState>,
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
    ApiJson(body): ApiJson<WebhookEndpointChange>,
) -> Result<Json<WebhookEndpointView>, ApiError> {
    let viewer = member.viewer();
    let changes = EndpointChanges {
        url: body.url,
        description: body.description,
        events: body.events.as_deref().map(families),
        enabled: body.enabled,
    };
    let endpoint = webhooks::update(
        &mut member.tx,
        viewer,
        state.config.webhooks(),
        id,
        &changes,
    )
    .await?;
    member.tx.commit().await?;
    Ok(Json(endpoint.into()))
}

/// Delete an endpoint, its secrets and its delivery log.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}/webhooks/{id}",
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or endpoint, or not a member.", body = ErrorBody),
    ),
)]
pub async fn delete_webhook(
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
) -> Result<StatusCode, ApiError> {
    let viewer = member.viewer();
    webhooks::delete(&mut member.tx, viewer, id).await?;
    member.tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace an endpoint's signing secret. The answer carries the new secret, shown this once;
/// for 24 hours every delivery is signed with both, so the receiver can switch over.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/webhooks/{id}/rotate-secret",
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "Rotated; the new secret is in this answer only.", body = WebhookEndpointWithSecret),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace or endpoint, or not a member.", body = ErrorBody),
    ),
)]
pub async fn rotate_webhook_secret(
    State(state): State<AppState>,
    current: WorkspaceUser,
    Path((_slug, id)): Path<(String, String)>,
) -> Result<Json<WebhookEndpointWithSecret>, ApiError> {
    let workspace = current.admitted(&state).await?;
    // An id that is no uuid names no endpoint, as for any other id.
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let rotated =
        webhooks::rotate_secret(&state.pool, &state.keys, workspace.id, current.user.id, id)
            .await?;
    Ok(Json(rotated.into()))
}

/// An endpoint's deliveries, newest first, each with its attempts.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/webhooks/{id}/deliveries",
    params(("id" = Uuid, Path, description = "Endpoint id"), PageQuery),
    responses(
        (status = 200, description = "A page of deliveries.", body = WebhookDeliveryList),
        (status = 403, description = "Not an admin of this workspace.", body = ErrorBody),
        (status = 404, description = "No such workspace or endpoint, or not a member.", body = ErrorBody),
        (status = 422, description = "A parameter is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn list_webhook_deliveries(
    mut member: Member,
    PathIds(id): PathIds<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<WebhookDeliveryList>, ApiError> {
    let viewer = member.viewer();
    let limit = page.limit()?;
    let after: Option<Position> = page.position()?;
    let rows =
        webhooks::deliveries(&mut member.tx, viewer, id, after, i64::from(limit) + 1).await?;
    member.tx.commit().await?;
    let (rows, next_cursor) = split_page(rows, limit, |d| Position {
        created_at: d.created_at,
        id: d.id,
    });
    Ok(Json(WebhookDeliveryList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Send a delivery's event again: a new delivery with the same `webhook-id` and body, due now.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/webhooks/{id}/deliveries/{delivery_id}/send-again",
    params(
        ("id" = Uuid, Path, description = "Endpoint id"),
        ("delivery_id" = Uuid, Path, description = "Delivery id"),
    ),
    responses(
        (status = 202, description = "Queued.", body = WebhookDeliveryView),
        (status = 403, description = "Not an admin of this workspace, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, endpoint or delivery, or not a member.", body = ErrorBody),
        (status = 409, description = "The endpoint is disabled.", body = ErrorBody),
    ),
)]
pub async fn create_webhook_redelivery(
    mut member: Member,
    PathIds((id, delivery)): PathIds<(Uuid, Uuid)>,
) -> Result<(StatusCode, Json<WebhookDeliveryView>), ApiError> {
    let viewer = member.viewer();
    let queued = webhooks::send_again(&mut member.tx, viewer, id, delivery).await?;
    member.tx.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(queued.into())))
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_webhooks, create_webhook))
        .routes(utoipa_axum::routes!(
            get_webhook,
            update_webhook,
            delete_webhook
        ))
        .routes(utoipa_axum::routes!(rotate_webhook_secret))
        .routes(utoipa_axum::routes!(list_webhook_deliveries))
        .routes(utoipa_axum::routes!(create_webhook_redelivery))
}
