//! The REST API's index: every capability module routes and documents its own operations
//! (`routes()`, built with `utoipa_axum::routes!` from each handler's one `#[utoipa::path]`), so
//! a path is written once and an undocumented route cannot exist. Here: the document's header,
//! the limits documented on every operation, and its three renderings.

pub mod activity;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod board;
pub mod bulk;
pub mod chat;
pub mod comments;
mod download;
mod enums;
pub mod events;
pub mod fields;
pub mod health;
mod ids;
pub mod imports;
pub mod integrations;
pub mod members;
pub mod notifications;
pub mod onboarding;
pub mod pagination;
pub mod passkeys;
pub mod privacy;
pub mod projects;
pub mod recurrence;
pub mod sso;
pub mod tags;
pub mod tasks;
pub mod time_entries;
pub mod tokens;
pub mod two_factor;
pub mod views;
pub mod webhooks;
pub mod work_model;

use axum::{
    extract::Query,
    http::header,
    middleware::Next,
    response::{Html, IntoResponse, Response},
    routing::get,
    Extension, Router,
};
use serde::Deserialize;
use utoipa::{
    openapi::path::Operation,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi, PartialSchema,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::{error::ErrorBody, security::CspNonce, AppState};

pub const SCHEMA_PATH: &str = "/api/schema/";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bastion API",
        description = "Bastion's REST API for integrators: projects, tasks, comments, time \
entries in €, attachments and tags, per workspace.\n\n\
Authentication: a session cookie (browsers) or `Authorization: Bearer <API token>`. A token \
(`bst_…`, created under `/api/v1/workspaces/{ws}/tokens`) acts as its user in its one workspace \
only, with that user's current role; elsewhere it is refused (404 on another workspace, 401 \
`session_required` on account settings). Bearer requests need no `Origin` check and never get a \
session cookie.\n\n\
Limits (defaults; the operator may change each with the setting named):\n\
- **Rate**: each API token may make 600 requests per minute (`BASTION_TOKEN_RATE_LIMIT`), \
then 429 `rate_limited` with `Retry-After` (seconds until the minute's window resets). \
Sign-in, sign-up and workspace creation have their own limits.\n\
- **Body size**: 1 MiB for JSON and form bodies, 4 MiB for CSV, Excel and Trello imports (a \
file of up to 2 MiB, escaped or in base64); attachment uploads and export archives brought \
back may hold a file of up to 25 MiB (`BASTION_MAX_UPLOAD_BYTES`) plus 64 KiB of multipart \
framing. A larger declared \
`Content-Length` is refused with 413 `too_large` before anything runs.\n\
- **Request time**: 30 seconds (`BASTION_REQUEST_TIMEOUT_SECS`) from the request body's last \
byte until the response starts, then 503 `timeout`. Slow uploads are not cut off while their \
bytes keep coming, and downloads (attachments, exports) stream for as long as they need.\n\
- **Database statements**: 60 seconds each (`BASTION_STATEMENT_TIMEOUT_SECS`), then 503 \
`timeout` too; the request's unfinished changes are rolled back.\n\n\
Errors are JSON `{\"error\": {\"code\", \"message\"}}` with the HTTP status that fits: 404 for \
anything the caller may not see, 403 for what it sees but may not change, 409 for conflicts, \
422 for invalid input (the field is named), 429 with `Retry-After` when a limit is reached, 503 \
`timeout` when a request or statement runs out of time, 503 `unavailable` with `Retry-After` \
while the database cannot be reached (nothing was changed; retry after that many seconds).\n\n\
Lists are paginated with `limit` (1–100, default 50) and an opaque `cursor`.",
        license(name = "AGPL-3.0-only")
    ),
    components(schemas(ErrorBody, health::Health, auth::SignIn, auth::UserView, auth::Me, auth::WorkspaceSummary, auth::SessionView, auth::SessionList, auth::PasswordChange, auth::AccountDeletion, auth::ResetRequest, auth::ResetConfirm, onboarding::SignUp, onboarding::SignUpStarted, onboarding::SignUpConfirm, onboarding::Joined, onboarding::WorkspaceList, onboarding::NewWorkspace, onboarding::InvitationView, onboarding::InvitationList, onboarding::NewInvitation, onboarding::InvitationPreview, onboarding::AcceptInvitation, integrations::IntegrationView, integrations::IntegrationList, integrations::NewIntegration, webhooks::WebhookEndpointView, webhooks::WebhookEndpointWithSecret, webhooks::WebhookEndpointList, webhooks::NewWebhookEndpoint, webhooks::WebhookEndpointChange, webhooks::WebhookEventFamily, webhooks::WebhookAttemptView, webhooks::WebhookDeliveryStatus, webhooks::WebhookDeliveryView, webhooks::WebhookDeliveryList, members::MemberView, members::MemberList, members::MemberChange, projects::ProjectView, projects::ProjectList, projects::NewProject, projects::ProjectChange, tasks::TaskView, tasks::WrittenTaskView, tasks::TaskList, tasks::CalendarView, tasks::NewTaskBody, tasks::TaskChange, tasks::TaskViewerView, tasks::TaskViewerList, tasks::NewTaskViewer, tasks::NewSubtaskBody, work_model::ChecklistItemView, work_model::ChecklistView, work_model::NewChecklistItem, work_model::ChecklistItemChange, work_model::RelationView, work_model::RelationList, work_model::NewRelation, recurrence::RecurrenceView, recurrence::RecurrenceBody, fields::FieldKind, fields::FieldView, fields::FieldList, fields::NewFieldBody, fields::FieldChangeBody, fields::FieldValueBody, fields::FieldValueView, fields::TaskFieldValues, fields::TaskFieldValueList, board::TaskPosition, bulk::BulkTaskChange, bulk::BulkTaskView, bulk::BulkSkipReason, bulk::BulkSkippedView, bulk::BulkTaskResult, tags::TagView, tags::TagList, tags::NewTag, tags::TagChange, tags::NewTaskTag, comments::CommentView, comments::PostedCommentView, comments::CommentList, comments::CommentBody, notifications::NotificationKind, notifications::NotificationView, notifications::NotificationList, notifications::UnreadCount, notifications::MarkedRead, notifications::WatchView, activity::ActivityView, activity::ActivityList, time_entries::TimeEntryView, time_entries::TimeEntryList, time_entries::NewTimeEntryBody, time_entries::TimeEntryChangeBody, time_entries::ReportRowView, time_entries::TimeReport, attachments::AttachmentView, attachments::AttachmentList, attachments::AttachmentUpload, audit::HistoryEventView, audit::HistoryList, privacy::WorkspaceSettings, privacy::WorkspaceChange, privacy::ErasureConfirm, privacy::ErasureReceiptView, privacy::ExportView, privacy::DataCategory, privacy::Register, privacy::Subprocessor, privacy::SubprocessorList, privacy::SecurityRequestBody, tokens::TokenView, tokens::TokenList, tokens::NewToken, tokens::CreatedToken)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "operations", description = "Liveness and readiness of a server process."),
        (name = "accounts", description = "Signing in and out; the caller and their workspaces."),
        (name = "workspaces", description = "The caller's workspaces, and creating one (the creator becomes its admin). Admins change the plan, export the whole workspace (JSON and CSV in one archive, built in the background, downloadable for 7 days) and erase it."),
        (name = "members", description = "A workspace's members and their roles. The last active admin can never be demoted, deactivated or removed (409 `last_admin`)."),
        (name = "projects", description = "Projects group tasks. Everyone sees the projects they work in (guests: only those holding a task they view); admins and members create, rename and archive them."),
        (name = "tasks", description = "Tasks, their viewers and the caller's watch. A task the caller may not see is 404 everywhere: admins see all tasks, members all non-private ones plus private ones they created, are assigned or view, guests only the tasks they view. Admins and members create and edit; admins, and members who created a task, delete it."),
        (name = "tags", description = "The workspace's tag catalogue (admins and members manage it) and the tags on each task (admins and members, on tasks they see)."),
        (name = "comments", description = "Comments on tasks, oldest first. Everyone comments on the tasks they see; authors edit their own; authors and admins delete. `@[<user id>]` in a body mentions that person: they are notified if they see the task, and the answer to posting names those who were not."),
        (name = "notifications", description = "The caller's in-app inbox in one workspace: assigned to them, comments and status changes on tasks they watch, mentions. Written in the same transaction as the change; never about the caller's own changes; only about tasks the caller sees, decided again whenever the inbox is read."),
        (name = "activity", description = "The members' activity feed: what changed on the tasks the caller can see, newest first, per workspace or per project, from the same history as the audit log, without time entries, watching or old text."),
        (name = "events", description = "Live updates as Server-Sent Events: ids of what changed in the workspace, only about what the caller sees, resumable with `Last-Event-ID`."),
        (name = "integrations", description = "Connections to other services. Admins only; access tokens are encrypted at rest and shown masked."),
        (name = "webhooks", description = "Outgoing webhooks (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`). Admins only; the `whsec_` secret is shown at creation and rotation only."),
        (name = "time", description = "Time entries and reports in integer euro cents. Admins see and change everyone's time, members their own, guests none. Days and ISO weeks are Europe/Brussels ones."),
        (name = "attachments", description = "Files on tasks, stored under the workspace's prefix in object storage. Downloads are always served as attachments with `nosniff`."),
        (name = "privacy", description = "Public privacy records: the lawful-basis register and the sub-processors, and requests for the data-processing agreement or the security pack."),
        (name = "tokens", description = "The caller's API tokens for one workspace. A token acts as its user in that workspace only, with the user's current role (a guest's token sees what the guest sees; a deactivated member's tokens stop at once). It is `bst_` and 43 base64url characters, shown once at creation and stored only as a SHA-256 hash. Every member, guests included, manages their own; creating one needs a session."),
        (name = "audit", description = "The immutable audit history: every change of tasks, comments, time entries, attachments and tags, hash-chained. Admins only; export on the Business plan."),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "bastion_session",
                "The session cookie set at sign-in (browsers).",
            ))),
        );
        components.add_security_scheme(
            "bearer_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("bst_…")
                    .description(Some("An API token created in account settings."))
                    .build(),
            ),
        );
    }
}

/// What every operation under `/api/v1/workspaces/{ws}` shares, documented once here rather than
/// on each path: the `Member` extractor reads the `ws` slug, accepts a session or an API token,
/// and answers 401 to neither. An operation that documents its own 401 keeps it.
struct MemberOperations;

impl Modify for MemberOperations {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{
            path::{ParameterBuilder, ParameterIn},
            security::SecurityRequirement,
            RefOr, Required,
        };
        for (path, operation) in each_operation(openapi) {
            if !path.starts_with("/api/v1/workspaces/{ws}") {
                continue;
            }
            let ws = ParameterBuilder::new()
                .name("ws")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some("Workspace slug"))
                .schema(Some(String::schema()))
                .example(Some("acme".into()))
                .build();
            let parameters = operation.parameters.get_or_insert_with(Vec::new);
            // utoipa infers a bare `ws` from the path template; this one replaces it.
            parameters.retain(|p| !matches!(p, RefOr::T(p) if p.name == "ws"));
            parameters.insert(0, ws.into());
            // Every door into a workspace enforces its two-factor requirement (the `Member`
            // extractor, through `members::enter_as_member`).
            const TWO_FACTOR: &str = "Or `two_factor_required`: the workspace requires \
                two-factor sign-in and the caller (session or API token) has not turned it on.";
            match operation.responses.responses.get_mut("403") {
                Some(RefOr::T(response)) => {
                    response.description = format!("{} {TWO_FACTOR}", response.description);
                }
                Some(RefOr::Ref(_)) => {}
                None => {
                    operation.responses.responses.insert(
                        "403".into(),
                        error_response(&TWO_FACTOR.replacen("Or `", "`", 1)).into(),
                    );
                }
            }
            operation.security = Some(vec![
                SecurityRequirement::new::<_, _, &str>("session_cookie", []),
                SecurityRequirement::new::<_, _, &str>("bearer_token", []),
            ]);
        }
        for (_, operation) in each_operation(openapi) {
            let signed_in_only = operation
                .security
                .as_ref()
                .is_some_and(|all| !all.is_empty() && !all.contains(&Default::default()));
            if signed_in_only && !operation.responses.responses.contains_key("401") {
                operation
                    .responses
                    .responses
                    .insert("401".into(), error_response("Not signed in.").into());
            }
        }
    }
}

/// Every operation an API token may call can answer 429 (the per-token limit, counted before
/// the handler runs): documented once here rather than on each path.
struct TokenRateLimit;

impl Modify for TokenRateLimit {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{header::HeaderBuilder, ObjectBuilder, Type};
        for (_, operation) in each_operation(openapi) {
            let accepts_tokens = operation.security.iter().flatten().any(|requirement| {
                serde_json::to_value(requirement).is_ok_and(|v| v.get("bearer_token").is_some())
            });
            if !accepts_tokens || operation.responses.responses.contains_key("429") {
                continue;
            }
            let mut response = error_response(
                "This API token made too many requests this minute (default 600, \
                 `BASTION_TOKEN_RATE_LIMIT`); retry after `Retry-After` seconds.",
            );
            response.headers.insert(
                "Retry-After".into(),
                HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                    .description(Some("Seconds until the limit resets."))
                    .build()
                    .into(),
            );
            operation
                .responses
                .responses
                .insert("429".into(), response.into());
        }
    }
}

/// Every operation can run out of time (the request limit or a statement's) and can find the
/// database out of reach: one 503 documents both codes, here rather than on each path. An
/// operation that documents its own 503 (readiness) keeps it.
struct ServiceUnavailable;

impl Modify for ServiceUnavailable {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{header::HeaderBuilder, ObjectBuilder, Type};
        for (_, operation) in each_operation(openapi) {
            if operation.responses.responses.contains_key("503") {
                continue;
            }
            let mut response = error_response(
                "`timeout`: the request took longer than the server allows (default 30 s, \
                 `BASTION_REQUEST_TIMEOUT_SECS`), or one of its database statements did \
                 (default 60 s, `BASTION_STATEMENT_TIMEOUT_SECS`); its changes were rolled \
                 back. `unavailable`: the database cannot be reached just now (stopped, \
                 restarting, or no connection free within 10 s); nothing was changed, and \
                 `Retry-After` says when to try again.",
            );
            response.headers.insert(
                "Retry-After".into(),
                HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                    .description(Some("With `unavailable`: seconds to wait before retrying."))
                    .build()
                    .into(),
            );
            operation
                .responses
                .responses
                .insert("503".into(), response.into());
        }
    }
}

/// A response with the JSON error body.
fn error_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// Every operation, routed and documented together, each under its one tag (written here
/// rather than on each handler).
fn operations() -> OpenApiRouter<AppState> {
    let accounts = auth::routes()
        .merge(onboarding::sign_up_routes())
        .merge(two_factor::routes())
        .merge(passkeys::routes())
        .merge(sso::routes());
    let workspaces = onboarding::workspace_routes()
        .merge(privacy::workspace_routes())
        .merge(sso::workspace_routes());
    let members = members::routes().merge(onboarding::routes());
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(tagged("operations", health::routes()))
        .merge(tagged("accounts", accounts))
        .merge(tagged("workspaces", workspaces))
        .merge(tagged("members", members))
        .merge(tagged("privacy", privacy::routes()))
        .merge(tagged(
            "integrations",
            integrations::routes().merge(chat::routes()),
        ))
        .merge(tagged("webhooks", webhooks::routes()))
        .merge(tagged(
            "projects",
            projects::routes().merge(imports::routes()),
        ))
        .merge(tagged(
            "tasks",
            tasks::routes()
                .merge(notifications::watch_routes())
                .merge(work_model::routes())
                .merge(recurrence::routes())
                .merge(fields::routes())
                .merge(bulk::routes())
                .merge(board::routes())
                .merge(views::routes()),
        ))
        .merge(tagged("tags", tags::routes()))
        .merge(tagged("comments", comments::routes()))
        .merge(tagged("notifications", notifications::routes()))
        .merge(tagged("activity", activity::routes()))
        .merge(tagged("events", events::routes()))
        .merge(tagged("time", time_entries::routes()))
        .merge(tagged("attachments", attachments::routes()))
        .merge(tagged("audit", audit::routes()))
        .merge(tagged("tokens", tokens::routes()))
}

fn tagged(tag: &str, mut routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    for (_, operation) in each_operation(routes.get_openapi_mut()) {
        operation.tags = Some(vec![tag.to_owned()]);
    }
    routes
}

fn each_operation(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&str, &mut Operation)> {
    openapi.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        .map(move |operation| (path.as_str(), operation))
    })
}

/// The OpenAPI document of every routed operation, with the limits that apply to all of them.
pub fn openapi() -> utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let (_, mut doc) = operations().split_for_parts();
        // After the merge: these walk the operations, which `ApiDoc` alone does not hold.
        MemberOperations.modify(&mut doc);
        TokenRateLimit.modify(&mut doc);
        ServiceUnavailable.modify(&mut doc);
        doc
    })
    .clone()
}

/// The document as served: pretty JSON, stable key order, so it can be diffed and snapshotted.
pub fn openapi_json() -> String {
    openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}

#[derive(Debug, Deserialize)]
struct SchemaQuery {
    format: Option<String>,
}

async fn get_schema(Query(query): Query<SchemaQuery>) -> Response {
    match query.format.as_deref() {
        None | Some("json") => {
            ([(header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
        }
        Some("yaml") => match openapi().to_yaml() {
            Ok(yaml) => ([(header::CONTENT_TYPE, "application/yaml")], yaml).into_response(),
            Err(e) => crate::error::ApiError::internal(e).into_response(),
        },
        Some(_) => crate::error::ApiError::Invalid {
            field: "format".into(),
            message: "must be 'json' or 'yaml'".into(),
        }
        .into_response(),
    }
}

/// ReDoc, with its bundle served by us (from the npm package) instead of a CDN.
async fn get_redoc(Extension(nonce): Extension<CspNonce>) -> Html<String> {
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bastion API reference</title>
</head>
<body>
{BACK_TO_APP}
<redoc spec-url="{SCHEMA_PATH}"></redoc>
<noscript>The reference needs JavaScript; the raw document is at <a href="{SCHEMA_PATH}">{SCHEMA_PATH}</a>.</noscript>
<script nonce="{nonce}" src="/vendor/redoc.standalone.js"></script>
</body>
</html>"#,
        nonce = nonce.0
    ))
}

/// The way from either API reference back to the app (the docs pages' policy allows inline
/// styles).
const BACK_TO_APP: &str = r#"<p style="margin:0;padding:.6rem 1rem;font:600 1rem system-ui,sans-serif;border-bottom:1px solid #d5dbe3"><a href="/" style="color:#1f4fa3">Back to Bastion</a></p>"#;

/// Swagger UI's own page, with [`BACK_TO_APP`] put at the top of its body. Its other files pass
/// untouched; so would a compressed page, which the vendored bundle does not serve.
async fn swagger_with_way_back(request: axum::extract::Request, next: Next) -> Response {
    let page = matches!(request.uri().path(), "/api/docs/" | "/api/docs/index.html");
    let response = next.run(request).await;
    if !page
        || !response.status().is_success()
        || response.headers().contains_key(header::CONTENT_ENCODING)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let html =
        String::from_utf8_lossy(&bytes).replacen("<body>", &format!("<body>{BACK_TO_APP}"), 1);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(html))
}

pub fn router() -> Router<AppState> {
    let swagger: Router<AppState> = SwaggerUi::new("/api/docs")
        .config(SwaggerConfig::new([SCHEMA_PATH]))
        .into();
    let swagger = swagger.layer(axum::middleware::from_fn(swagger_with_way_back));
    let (operations, _) = operations().split_for_parts();
    Router::new()
        .route(SCHEMA_PATH, get(get_schema))
        .route("/api/schema", get(get_schema))
        .route("/api/redoc/", get(get_redoc))
        .route(
            "/api/redoc",
            get(|| async { axum::response::Redirect::permanent("/api/redoc/") }),
        )
        .merge(swagger)
        .merge(operations)
}
