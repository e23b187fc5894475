//! Importing tasks from a spreadsheet over REST: the CSV's text in a JSON body, a dry run that
//! reports what would be created and every refused row, and the import itself, all or nothing.
//! Everything is decided in `bastion_core::work::import`; this handler parses, calls and shapes.

use std::collections::HashMap;

use super::ids::PathIds;
use axum::{extract::State, http::StatusCode, Json};
use bastion_core::work::import::{self, CsvImport, Field, ImportReport, TrelloImport};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::Member,
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
            ImportField::Ignore => Field::Ignore,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CsvImportBody {
    /// The file's text (UTF-8), headings on the first line, separated by `,`, `;` or tabs.
    /// At most 2 MiB and 10,000 rows.
    #[schema(
        example = "Title;Status;Due\nOrder the signs;To do;31/12/2026",
        max_length = 2097152
    )]
    pub csv: String,
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

/// Import tasks into a project from CSV, or (`dry_run`) see what would be imported. All or
/// nothing: a file with refused rows imports nothing, and the error names every one. The same
/// file twice into the same project: 409, nothing created.
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
    let input = CsvImport {
        project_id,
        csv: body.csv,
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
/// tags, checklists checklist items, comments comments, attachments links in the description.
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
    let report = import::import_trello(&mut member.tx, &viewer, &input).await?;
    if dry_run {
        member.tx.rollback().await?;
        Ok((StatusCode::OK, Json(report.into())))
    } else {
        member.tx.commit().await?;
        Ok((StatusCode::CREATED, Json(report.into())))
    }
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(create_csv_import))
        .routes(utoipa_axum::routes!(create_trello_import))
}
