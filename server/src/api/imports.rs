//! Importing over REST: tasks from a spreadsheet (the CSV's text in a JSON body) or a Trello
//! board into a project, and a Bastion export archive (multipart) into an empty workspace; each
//! with a dry run that reports what would be created and every refusal, and the import itself,
//! all or nothing. Everything is decided in `bastion_core::work::import` and
//! `bastion_core::work::restore`; these handlers parse, call and shape.

use std::collections::HashMap;

use super::ids::PathIds;
use app::policy::Role;
use axum::{
    extract::{
        multipart::{MultipartError, MultipartRejection},
        Multipart, Path, State,
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use bastion_core::{
    members,
    work::import::{self, CsvImport, Field, ImportReport, TrelloImport},
    work::restore,
    workspaces::Workspace,
    TenantTx, Viewer,
};
use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{Member, WorkspaceUser},
    error::{ApiError, ErrorBody},
    json::ApiJson,
    AppState,
};

/// What a column of the file holds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportField {
    Title,
    Description,
    /// To do, In progress, Done (or their names in Dutch, French, German; or the keys).
    Status,
    /// Low, Normal, High, Urgent (or their names in Dutch, French, German).
    Priority,
    /// An active member's email address.
    Assignee,
    /// `31/12/2026`, `31-12-2026`, `31.12.2026` or `2026-12-31`.
    Due,
    /// Tag names separated by commas; missing tags are created.
    Tags,
    /// Time spent, in hours (`1,5`) or `h:mm` (`1:30`): a time entry on the task, the
    /// assignee's when an admin imports, else the importer's; started on the due date at 09:00
    /// (Brussels) or at the import.
    Time,
    /// The hourly rate of that time in euros, decimal comma or point (`85,50`).
    Rate,
    /// Not imported.
    Ignore,
}

impl From<ImportField> for Field {
    fn from(f: ImportField) -> Self {
        match f {
            ImportField::Title => Field::Title,
            ImportField::Description => Field::Description,
            ImportField::Status => Field::Status,
            ImportField::Priority => Field::Priority,
            ImportField::Assignee => Field::Assignee,
            ImportField::Due => Field::Due,
            ImportField::Tags => Field::Tags,
            ImportField::Time => Field::Time,
            ImportField::Rate => Field::Rate,
            ImportField::Ignore => Field::Ignore,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CsvImportBody {
    /// The file's text (UTF-8), headings on the first line, separated by `,`, `;` or tabs.
    /// At most 2 MiB and 10,000 rows. Send this or `xlsx`.
    #[schema(
        example = "Title;Status;Due\nOrder the signs;To do;31/12/2026",
        max_length = 2097152
    )]
    pub csv: Option<String>,
    /// An Excel workbook (.xlsx) in base64, instead of `csv`: its first sheet, headings on its
    /// first row; cells formatted as dates or times are read as such. At most 2 MiB.
    #[schema(max_length = 2796208)]
    pub xlsx: Option<String>,
    /// Which field a heading's column goes to, where the heading alone does not say (headings
    /// such as Title, Titel, Titre, Status, Due, Vervaldatum are recognised).
    #[schema(example = json!({"Klant": "ignore", "Wat": "title"}))]
    pub mapping: Option<HashMap<String, ImportField>>,
    /// Check everything and create nothing: the answer is what the import would do.
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportColumnView {
    pub heading: String,
    #[schema(value_type = ImportField)]
    pub field: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowErrorView {
    /// The line in the file; the headings are line 1.
    pub line: usize,
    /// The heading of the column at fault, if one is.
    pub column: Option<String>,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportView {
    pub dry_run: bool,
    pub columns: Vec<ImportColumnView>,
    /// Rows read, headings and empty lines not counted.
    pub rows: usize,
    /// Tasks created (0 in a dry run).
    pub created: usize,
    /// Tags that did not exist and were (or would be) created.
    pub new_tags: Vec<String>,
    /// Every refused row (a dry run; an import with any is refused whole).
    pub errors: Vec<ImportRowErrorView>,
}

impl From<ImportReport> for ImportReportView {
    fn from(r: ImportReport) -> Self {
        Self {
            dry_run: r.dry_run,
            columns: r
                .columns
                .into_iter()
                .map(|c| ImportColumnView {
                    heading: c.heading,
                    field: c.field.as_str().to_owned(),
                })
                .collect(),
            rows: r.rows,
            created: r.created,
            new_tags: r.new_tags,
            errors: r
                .errors
                .into_iter()
                .map(|e| ImportRowErrorView {
                    line: e.line,
                    column: e.column,
                    message: e.message,
                })
                .collect(),
        }
    }
}

/// Import tasks into a project from CSV or an Excel workbook, or (`dry_run`) see what would be
/// imported. All or nothing: a file with refused rows imports nothing, and the error names every
/// one. The same file twice into the same project: 409, nothing created.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/projects/{project_id}/imports/csv",
    params(("project_id" = Uuid, Path, description = "Project id")),
    request_body = CsvImportBody,
    responses(
        (status = 200, description = "Dry run: what the import would do, every refused row named.", body = ImportReportView),
        (status = 201, description = "Imported.", body = ImportReportView),
        (status = 403, description = "A guest, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 409, description = "This file was already imported into this project.", body = ErrorBody),
        (status = 422, description = "The file, the mapping or the project is invalid, or rows are refused (each named); nothing was created.", body = ErrorBody),
    ),
)]
pub async fn create_csv_import(
    State(state): State<AppState>,
    mut member: Member,
    PathIds(project_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<CsvImportBody>,
) -> Result<(StatusCode, Json<ImportReportView>), ApiError> {
    let viewer = member.viewer();
    let dry_run = body.dry_run.unwrap_or(false);
    let (csv, xlsx) = match (body.csv, body.xlsx) {
        (Some(csv), None) => (csv, None),
        (None, Some(xlsx)) => (String::new(), Some(import::decode_xlsx(&xlsx)?)),
        _ => {
            return Err(ApiError::Invalid {
                field: "csv".into(),
                message: "send the file as csv (text) or as xlsx (base64), one of them".into(),
            })
        }
    };
    let input = CsvImport {
        project_id,
        csv,
        xlsx,
        mapping: body
            .mapping
            .unwrap_or_default()
            .into_iter()
            .map(|(heading, field)| (heading, field.into()))
            .collect(),
        dry_run,
    };
    let report = import::import_csv(&state.pool, &mut member.tx, &viewer, &input).await?;
    if dry_run {
        member.tx.rollback().await?;
        Ok((StatusCode::OK, Json(report.into())))
    } else {
        member.tx.commit().await?;
        Ok((StatusCode::CREATED, Json(report.into())))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TrelloImportBody {
    /// The board as Trello exports it (Menu → Print, export and share → Export as JSON): its
    /// `lists`, `cards`, `labels`, `checklists` and `actions` are read.
    #[schema(value_type = Object)]
    pub board: serde_json::Value,
    /// Check everything and create nothing: the answer is what the import would do.
    pub dry_run: Option<bool>,
}

/// Import a Trello board into a project, or (`dry_run`) see what would be imported: open cards
/// become tasks (their list their status: Done, Doing and the like are recognised), labels
/// tags, checklists checklist items, comments comments, attachments links in the description,
/// and a card's first member whose full name is an active member's name here its assignee.
/// All or nothing, once per board file; a refused card is named by its place on the board.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/projects/{project_id}/imports/trello",
    params(("project_id" = Uuid, Path, description = "Project id")),
    request_body = TrelloImportBody,
    responses(
        (status = 200, description = "Dry run: what the import would do, every refused card named.", body = ImportReportView),
        (status = 201, description = "Imported.", body = ImportReportView),
        (status = 403, description = "A guest, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 409, description = "This board file was already imported into this project.", body = ErrorBody),
        (status = 422, description = "Not a Trello board, the project is invalid, or cards are refused (each named); nothing was created.", body = ErrorBody),
    ),
)]
pub async fn create_trello_import(
    State(state): State<AppState>,
    mut member: Member,
    PathIds(project_id): PathIds<Uuid>,
    ApiJson(body): ApiJson<TrelloImportBody>,
) -> Result<(StatusCode, Json<ImportReportView>), ApiError> {
    let viewer = member.viewer();
    let dry_run = body.dry_run.unwrap_or(false);
    let input = TrelloImport {
        project_id,
        board: body.board,
        dry_run,
    };
    let report = import::import_trello(&state.pool, &mut member.tx, &viewer, &input).await?;
    if dry_run {
        member.tx.rollback().await?;
        Ok((StatusCode::OK, Json(report.into())))
    } else {
        member.tx.commit().await?;
        Ok((StatusCode::CREATED, Json(report.into())))
    }
}

/// The multipart form of an archive import.
#[derive(ToSchema, Deserialize)]
#[allow(dead_code)]
pub struct ArchiveImportUpload {
    /// The zip archive the workspace export made (at most the upload limit, 25 MiB unless the
    /// operator set `BASTION_MAX_UPLOAD_BYTES`).
    #[schema(value_type = String, format = Binary)]
    archive: Vec<u8>,
    /// A JSON object mapping people of the archive who are not members here (by email) to a
    /// member's email: `{"old@example.eu": "new@example.eu"}`. Everyone else is matched by
    /// email.
    #[schema(
        example = "{\"piet@example.eu\": \"an@example.eu\"}",
        max_length = 100000
    )]
    people: Option<String>,
    /// `true`: check everything and create nothing; the answer is what the import would do.
    #[schema(example = "true")]
    dry_run: Option<bool>,
}

/// How a person of the archive is matched here.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonMatched {
    /// A member with the same email address.
    Email,
    /// The member chosen in `people`.
    Chosen,
    /// Nobody: the import is refused until they are mapped or have joined.
    No,
    /// Nobody, and no row of the archive is theirs: nothing to match.
    Unused,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonMatchView {
    pub email: String,
    pub name: String,
    /// The member's email address their rows go to.
    pub member: Option<String>,
    pub matched: PersonMatched,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TableCountView {
    pub table: String,
    pub rows: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArchiveProblemView {
    /// The archive's file at fault (`tasks.json`, `people.json`, …).
    pub file: String,
    /// The row of that file's JSON array, from 1.
    pub row: Option<usize>,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArchiveReportView {
    pub dry_run: bool,
    /// The name of the workspace the archive was exported from.
    pub source: String,
    /// Rows brought back (or that would be), table by table.
    pub tables: Vec<TableCountView>,
    /// Attachment files stored (or that would be).
    pub files: usize,
    pub people: Vec<PersonMatchView>,
    /// This workspace's members by email address: whom a person can be mapped to.
    pub members: Vec<String>,
    /// Tables of the archive that are not brought back (delivery logs, integrations whose
    /// tokens the archive does not hold, the old members list, inboxes).
    pub left_out: Vec<TableCountView>,
    /// Everything that stops the import (a dry run lists them; an import with any is refused).
    pub problems: Vec<ArchiveProblemView>,
}

impl From<restore::ArchiveReport> for ArchiveReportView {
    fn from(r: restore::ArchiveReport) -> Self {
        let count = |t: restore::TableCount| TableCountView {
            table: t.table,
            rows: t.rows,
        };
        Self {
            dry_run: r.dry_run,
            source: r.source,
            tables: r.tables.into_iter().map(count).collect(),
            files: r.files,
            people: r
                .people
                .into_iter()
                .map(|p| PersonMatchView {
                    email: p.email,
                    name: p.name,
                    member: p.member,
                    matched: match p.matched {
                        restore::Matched::Email => PersonMatched::Email,
                        restore::Matched::Chosen => PersonMatched::Chosen,
                        restore::Matched::No => PersonMatched::No,
                        restore::Matched::Unused => PersonMatched::Unused,
                    },
                })
                .collect(),
            members: r.members,
            left_out: r.left_out.into_iter().map(count).collect(),
            problems: r
                .problems
                .into_iter()
                .map(|p| ArchiveProblemView {
                    file: p.file,
                    row: p.row,
                    message: p.message,
                })
                .collect(),
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Why the form could not be read: too large (413), or an error to answer.
enum FormError {
    TooLarge,
    Api(ApiError),
}

impl From<ApiError> for FormError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

fn multipart_error(e: MultipartError) -> FormError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        FormError::TooLarge
    } else {
        FormError::Api(invalid(
            "archive",
            format!("the multipart body could not be read: {}", e.body_text()),
        ))
    }
}

/// The form's parts: the archive (up to `max` bytes), the people mapping and the dry run flag.
async fn read_archive_form(
    multipart: &mut Multipart,
    max: u64,
) -> Result<restore::ArchiveImport, FormError> {
    let mut input = restore::ArchiveImport::default();
    let mut archive = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = BytesMut::new();
        let limit = if name == "archive" { max } else { 100_000 };
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(if name == "archive" {
                    FormError::TooLarge
                } else {
                    invalid(&name, format!("must be at most {limit} bytes")).into()
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "archive" => archive = Some(bytes.freeze()),
            "people" => {
                input.people = if bytes.iter().all(u8::is_ascii_whitespace) {
                    HashMap::new()
                } else {
                    serde_json::from_slice(&bytes).map_err(|_| {
                        FormError::Api(invalid(
                            "people",
                            "must be a JSON object of email addresses: {\"from@…\": \"to@…\"}",
                        ))
                    })?
                }
            }
            "dry_run" => {
                input.dry_run = match std::str::from_utf8(&bytes).map(str::trim) {
                    Ok("true" | "1" | "on") => true,
                    Ok("false" | "0" | "") => false,
                    _ => return Err(invalid("dry_run", "must be true or false").into()),
                }
            }
            other => {
                return Err(invalid(
                    other,
                    "is not a part of an archive import: send archive, and people or dry_run",
                )
                .into())
            }
        }
    }
    input.archive = archive.ok_or_else(|| {
        FormError::Api(invalid(
            "archive",
            "is missing: send the zip file as the multipart field 'archive'",
        ))
    })?;
    Ok(input)
}

async fn open_as_admin(
    state: &AppState,
    user_id: Uuid,
    slug: &str,
) -> Result<(Workspace, Viewer, TenantTx), ApiError> {
    let (workspace, role, tx) = members::open_as_member(&state.pool, user_id, slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    let viewer = Viewer::new(user_id, Role::parse(&role).ok_or(ApiError::NotFound)?);
    restore::check_import(&viewer)?;
    Ok((workspace, viewer, tx))
}

/// Bring a Bastion export archive back into this workspace, which must hold no project and no
/// tag yet, or (`dry_run`) see what would be brought back: projects, tasks, tags, viewers,
/// watchers, comments, time entries, attachments, checklists, relations, recurrences, custom
/// fields and saved views, with new ids. The archive's people are matched to members by
/// email, or as `people` maps them; anyone unmatched refuses the import. All or nothing: every
/// problem is named by file and row. Admins only.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{ws}/imports/archive",
    request_body(content = ArchiveImportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Dry run: what the import would do, every problem named.", body = ArchiveReportView),
        (status = 201, description = "Imported.", body = ArchiveReportView),
        (status = 403, description = "Not an admin, or another origin.", body = ErrorBody),
        (status = 404, description = "No such workspace, or not a member of it.", body = ErrorBody),
        (status = 409, description = "The workspace already holds projects or tags.", body = ErrorBody),
        (status = 413, description = "The archive is larger than the upload limit.", body = ErrorBody),
        (status = 422, description = "Not a Bastion archive, a bad form, unmatched people or refused rows (each named); nothing was imported.", body = ErrorBody),
    ),
)]
pub async fn create_archive_import(
    State(state): State<AppState>,
    current: WorkspaceUser,
    Path(slug): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let user_id = current.user.id;
    let max = state.config.max_upload_bytes;
    // Checked before the archive is read, and no transaction held while it arrives.
    let (_, _, tx) = open_as_admin(&state, user_id, &slug).await?;
    tx.rollback().await?;
    let mut multipart = multipart.map_err(|e| {
        invalid(
            "body",
            format!("must be multipart/form-data ({})", e.body_text()),
        )
    })?;
    let input = match read_archive_form(&mut multipart, max).await {
        Ok(input) => input,
        Err(FormError::TooLarge) => return Ok(super::attachments::too_large(max)),
        Err(FormError::Api(e)) => return Err(e),
    };
    let (workspace, viewer, mut tx) = open_as_admin(&state, user_id, &slug).await?;
    let report = restore::import_archive(
        &state.pool,
        &state.objects,
        &mut tx,
        workspace.id,
        &viewer,
        &input,
        max,
    )
    .await?;
    let status = if input.dry_run {
        tx.rollback().await?;
        StatusCode::OK
    } else {
        tx.commit().await?;
        StatusCode::CREATED
    };
    Ok((status, Json(ArchiveReportView::from(report))).into_response())
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(create_csv_import))
        .routes(utoipa_axum::routes!(create_trello_import))
        // The archive's size is capped by `limit_body` (the upload limit), not axum's default.
        .merge(
            utoipa_axum::router::OpenApiRouter::new()
                .routes(utoipa_axum::routes!(create_archive_import))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
}
