//! Plans, export, erasure and the privacy records over REST (PRODUCT.md §7, §8): admins change
//! the plan, export the whole workspace and erase it; anyone reads the lawful-basis register and
//! the sub-processor list, and asks for a DPA or the security pack.

use super::download;
use super::ids::PathIds;
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::Response,
    Json,
};
use bastion_core::{
    exports,
    jobs::Job,
    privacy_requests::{self, SecurityRequest},
    workspaces::{self, SettingsChange, Workspace},
    Plan,
};
use serde::{Deserialize, Serialize};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{ClientIp, Member},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

/// A workspace's settings and what its plan includes.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceSettings {
    #[schema(example = "acme")]
    pub slug: String,
    #[schema(example = "Acme")]
    pub name: String,
    /// `starter`, `pro` or `business`.
    #[schema(example = "pro")]
    pub plan: String,
    /// How long audit events are kept: 90 (Starter), 365 (Pro) or 1095 (Business).
    pub audit_retention_days: u32,
    /// Whether the audit history can be exported (Business only).
    pub audit_export: bool,
    /// The application clock: days and weeks are this zone's.
    #[schema(example = "Europe/Brussels")]
    pub clock: String,
    #[schema(example = "EUR")]
    pub currency: String,
    /// Whether every member must have two-factor sign-in on to reach the workspace.
    pub require_two_factor: bool,
}

impl From<&Workspace> for WorkspaceSettings {
    fn from(ws: &Workspace) -> Self {
        Self {
            slug: ws.slug.clone(),
            name: ws.name.clone(),
            plan: ws.plan.clone(),
            audit_retention_days: app::policy::plan_retention_days(&ws.plan),
            audit_export: Plan::parse(&ws.plan).is_some_and(Plan::includes_audit_export),
            clock: "Europe/Brussels".into(),
            currency: "EUR".into(),
            require_two_factor: ws.require_two_factor,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceChange {
    /// `starter`, `pro` or `business`. No payment is involved.
    #[schema(example = "business")]
    pub plan: Option<String>,
    /// 1 to 100 characters.
    pub name: Option<String>,
    /// Require two-factor sign-in of every member: those without it get 403
    /// `two_factor_required` on this workspace (pages send them to enrolment), API tokens
    /// included. Turning it on is refused (422, this field) unless the caller has two-factor
    /// sign-in on.
    pub require_two_factor: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureConfirm {
    /// The workspace's name, typed exactly, to confirm.
    #[schema(example = "Acme")]
    pub confirm: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureReceiptView {
    pub workspace_id: Uuid,
    pub slug: String,
    #[schema(value_type = String, format = DateTime)]
    pub erased_at: String,
    /// The requesting user's id, or `system` for the command line.
    pub requested_by: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportView {
    pub id: Uuid,
    /// `queued`, `running`, `done` or `failed`.
    #[schema(example = "running")]
    pub state: String,
    /// Rows and files written so far, of `total`.
    pub done: i64,
    pub total: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// When the archive is deleted (set once done).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<String>,
    /// Where to download the archive, once done.
    pub download_url: Option<String>,
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn export_view(ws: &Workspace, job: &Job) -> ExportView {
    ExportView {
        id: job.id,
        state: job.state.clone(),
        done: job.progress_done,
        total: job.progress_total,
        created_at: rfc3339(job.created_at),
        expires_at: job.expires_at.map(rfc3339),
        download_url: (job.state == "done")
            .then(|| format!("/api/v1/workspaces/{}/export/{}/download", ws.slug, job.id)),
    }
}

/// Change the workspace's plan, name or two-factor requirement. Admins only.
#[utoipa::path(
    patch,
    path = "/api/v1/workspaces/{ws}",
    request_body = WorkspaceChange,
    responses(
        (status = 200, description = "Changed.", body = WorkspaceSettings),
        (status = 403, description = "Not an admin, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
    ),
)]
pub async fn update_workspace(
    State(state): State<AppState>,
    member: Member,
    ApiJson(change): ApiJson<WorkspaceChange>,
) -> Result<Json<WorkspaceSettings>, ApiError> {
    let viewer = member.viewer();
    let Member { tx, workspace, .. } = member;
    // The settings live in the control plane; the tenant transaction only proved membership.
    tx.rollback().await?;
    let change = SettingsChange {
        name: change.name,
        plan: change.plan,
        require_two_factor: change.require_two_factor,
    };
    let ws = workspaces::change_settings(&state.pool, viewer, &workspace, &change).await?;
    Ok(Json(WorkspaceSettings::from(&ws)))
}

/// Erase the workspace for good: its schema, role, files, exports, data key, memberships,
/// invitations, and the sessions and API tokens that served only it. Only an erasure receipt
/// remains. The body must repeat the workspace's name. Admins only.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{ws}",
    request_body = ErasureConfirm,
    responses(
        (status = 200, description = "Erased; the receipt.", body = ErasureReceiptView),
        (status = 403, description = "Not an admin, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 422, description = "`confirm` is not the workspace's name.", body = ErrorBody),
    ),
)]
pub async fn delete_workspace(
    State(state): State<AppState>,
    member: Member,
    ApiJson(body): ApiJson<ErasureConfirm>,
) -> Result<Json<ErasureReceiptView>, ApiError> {
    let viewer = member.viewer();
    let Member { tx, workspace, .. } = member;
    // Our own tenant transaction would hold the schema the erasure drops.
    tx.rollback().await?;
    let receipt = workspaces::erase_confirmed(
        &state.pool,
        &state.objects,
        viewer,
        &workspace,
        &body.confirm,
    )
    .await?;
    tracing::info!(workspace = %receipt.workspace_id, slug = %receipt.slug, "workspace erased");
    Ok(Json(ErasureReceiptView {
        workspace_id: receipt.workspace_id.0,
        slug: receipt.slug,
        erased_at: rfc3339(receipt.erased_at),
        requested_by: receipt.requested_by,
    }))
}

/// Start an export of the whole workspace: every table as JSON and CSV, the members' names and
/// addresses, and the attachment files, in one zip archive built in the background. Integration
/// tokens are left out, and so is the audit history on every plan (admins read it through
/// `…/audit`; Business exports it with `…/audit/export`). Admins only.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/export",
    responses(
        (status = 202, description = "Queued; poll it by id.", body = ExportView),
        (status = 403, description = "Not an admin, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
    ),
)]
pub async fn create_export(
    State(state): State<AppState>,
    member: Member,
) -> Result<(StatusCode, Json<ExportView>), ApiError> {
    let viewer = member.viewer();
    let Member { tx, workspace, .. } = member;
    tx.rollback().await?;
    let job = exports::start(&state.pool, viewer, &workspace).await?;
    Ok((StatusCode::ACCEPTED, Json(export_view(&workspace, &job))))
}

/// An export's state and progress. Admins only.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/export/{export_id}",
    params(
        ("export_id" = Uuid, Path, description = "The export's id"),
    ),
    responses(
        (status = 200, description = "The export.", body = ExportView),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 404, description = "No such export or workspace, or not a member of it.", body = ErrorBody),
    ),
)]
pub async fn get_export(
    State(state): State<AppState>,
    member: Member,
    PathIds(export_id): PathIds<Uuid>,
) -> Result<Json<ExportView>, ApiError> {
    let viewer = member.viewer();
    let Member { tx, workspace, .. } = member;
    tx.rollback().await?;
    let job = exports::get(&state.pool, viewer, &workspace, export_id).await?;
    Ok(Json(export_view(&workspace, &job)))
}

/// Download a finished export's archive (`application/zip`), for 7 days after it was built.
/// Admins only.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{ws}/export/{export_id}/download",
    operation_id = "get_export_archive",
    params(
        ("export_id" = Uuid, Path, description = "The export's id"),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`, `bytes=1024-` or `bytes=-512`; several ranges, other units and any `If-Range` get the whole archive."),
    ),
    responses(
        (status = 200, description = "The archive.", content_type = "application/zip"),
        (status = 206, description = "The range asked for, with `Content-Range: bytes first-last/size`.", content_type = "application/zip"),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 404, description = "No such export, or it has expired.", body = ErrorBody),
        (status = 409, description = "`not_ready`: the export is not finished yet.", body = ErrorBody),
        (status = 416, description = "`range_not_satisfiable`: the range starts past the end; `Content-Range: bytes */size`.", body = ErrorBody),
    ),
)]
pub async fn download_export(
    State(state): State<AppState>,
    member: Member,
    PathIds(export_id): PathIds<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let viewer = member.viewer();
    let Member { tx, workspace, .. } = member;
    tx.rollback().await?;
    let (job, archive) = exports::archive(
        &state.pool,
        viewer,
        &workspace,
        &state.objects,
        export_id,
        OffsetDateTime::now_utc(),
    )
    .await?;
    download::object(
        &state.objects,
        &archive.key,
        archive.size,
        &headers,
        HeaderValue::from_static("application/zip"),
        &format!(
            "attachment; filename=\"bastion-{}-{}.zip\"",
            workspace.slug,
            job.created_at.date()
        ),
    )
    .await
}

/// One data category of the register.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataCategory {
    #[schema(example = "time_entries")]
    pub id: String,
    pub name: String,
    pub data: String,
    pub purpose: String,
    pub lawful_basis: String,
    pub retention: String,
    /// Ids of the sub-processors involved.
    pub processors: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Register {
    pub controller_note: String,
    pub categories: Vec<DataCategory>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Subprocessor {
    pub id: String,
    pub name: String,
    pub purpose: String,
    pub location: String,
    pub data: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubprocessorList {
    pub note: String,
    pub subprocessors: Vec<Subprocessor>,
}

/// The lawful-basis register: every category of personal data with its purpose, lawful basis,
/// retention and processors, in the language the request asks for (`Accept-Language`: en,
/// nl-BE, fr-BE, de-BE; English otherwise). Public.
#[utoipa::path(
    get,
    path = "/api/v1/privacy/register",
    responses((status = 200, description = "The register.", body = Register))
)]
pub async fn get_privacy_register() -> Json<Register> {
    let r = app::privacy::register(crate::language::current());
    Json(Register {
        controller_note: r.controller_note,
        categories: r
            .categories
            .into_iter()
            .map(|c| DataCategory {
                id: c.id,
                name: c.name,
                data: c.data,
                purpose: c.purpose,
                lawful_basis: c.lawful_basis,
                retention: c.retention,
                processors: c.processors,
            })
            .collect(),
    })
}

/// The sub-processors, in the language the request asks for (as the register). Public.
#[utoipa::path(
    get,
    path = "/api/v1/privacy/subprocessors",
    responses((status = 200, description = "The sub-processors.", body = SubprocessorList))
)]
pub async fn get_privacy_subprocessors() -> Json<SubprocessorList> {
    let s = app::privacy::subprocessors(crate::language::current());
    Json(SubprocessorList {
        note: s.note,
        subprocessors: s
            .subprocessors
            .into_iter()
            .map(|p| Subprocessor {
                id: p.id,
                name: p.name,
                purpose: p.purpose,
                location: p.location,
                data: p.data,
            })
            .collect(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityRequestBody {
    #[schema(example = "dpo@example.eu", format = Email, max_length = 254)]
    pub email: String,
    /// 1–100 characters, not only spaces.
    #[schema(example = "Ada Lovelace", max_length = 100, pattern = r"\S")]
    pub name: String,
    /// 1–200 characters, not only spaces.
    #[schema(example = "Example NV", max_length = 200, pattern = r"\S")]
    pub organisation: String,
    /// `dpa` (data-processing agreement) or `security_pack`.
    #[schema(example = "dpa", schema_with = super::enums::security_request_kind)]
    pub kind: String,
    #[serde(default)]
    pub message: String,
}

/// Ask for the data-processing agreement or the security pack. The team is emailed and the
/// requester gets a confirmation. Public; limited per client address (429 with `Retry-After`).
#[utoipa::path(
    post,
    path = "/api/v1/privacy/requests",
    request_body = SecurityRequestBody,
    responses(
        (status = 202, description = "Received; a confirmation is on its way."),
        (status = 422, description = "A field is invalid; it is named.", body = ErrorBody),
        (status = 429, description = "Too many requests from this address.", body = ErrorBody),
    )
)]
pub async fn create_privacy_request(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SecurityRequestBody>,
) -> Result<StatusCode, ApiError> {
    let request = SecurityRequest {
        email: body.email,
        name: body.name,
        organisation: body.organisation,
        kind: body.kind,
        message: body.message,
        locale: crate::language::current(),
    };
    privacy_requests::submit(
        &state.pool,
        &state.keys,
        ip,
        &state.config.security_contact,
        &request,
    )
    .await?;
    Ok(StatusCode::ACCEPTED)
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
/// A workspace's settings, its export and its erasure.
pub(crate) fn workspace_routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(update_workspace, delete_workspace))
        .routes(utoipa_axum::routes!(create_export))
        .routes(utoipa_axum::routes!(get_export))
        .routes(utoipa_axum::routes!(download_export))
}

/// The public privacy records and requests.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(get_privacy_register))
        .routes(utoipa_axum::routes!(get_privacy_subprocessors))
        .routes(utoipa_axum::routes!(create_privacy_request))
}
