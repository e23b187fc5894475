//! The baseline: a bare axum + sqlx route that runs the very statement of
//! `bastion_core::work::tasks::list_tasks` (`tasks::list_statement`: same columns, same
//! predicate, same 12 parameters) against the same workspace schema, with its table names
//! qualified, and with no session lookup, no workspace lookup, no tenant transaction (role switch,
//! search_path, actor) and no membership check. It runs as the cluster superuser (the
//! application role cannot read a workspace schema without switching into the workspace role,
//! which is the trust machinery being measured).
//!
//! The statement is taken from core rather than copied, so the two cannot drift apart (until
//! 2026-12-02 a copy here still ran the list of 2026-11-26, without the task keys, subtask
//! counts and "blocked" added since, and the overhead the bench printed was measured against a
//! lighter query than the API's).

use std::net::SocketAddr;

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use bastion_core::work::tasks::{self, TaskRecord};
use bastion_core::{TenantSchema, WorkspaceId};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The workspace tables the list statement reads.
const TABLES: [&str; 7] = [
    "tasks",
    "projects",
    "task_tags",
    "task_viewers",
    "task_relations",
    "task_recurrences",
    "task_field_values",
];

/// `tasks::list_statement()` with every table named in `schema`, since the baseline has no
/// search path of the workspace's.
fn list_sql(schema: &TenantSchema) -> String {
    let q = schema.quoted();
    let mut sql = tasks::list_statement();
    for keyword in ["FROM", "JOIN"] {
        for table in TABLES {
            sql = sql.replace(
                &format!("{keyword} {table} "),
                &format!("{keyword} {q}.{table} "),
            );
        }
    }
    // A table the replacement missed would be resolved through the superuser's search path
    // (and fail): say which, rather than measure a broken statement.
    for table in TABLES {
        for keyword in ["FROM", "JOIN"] {
            assert!(
                !sql.contains(&format!("{keyword} {table} ")),
                "the baseline left {keyword} {table} unqualified: {sql}"
            );
        }
    }
    sql
}

#[derive(Serialize)]
struct Page {
    items: Vec<TaskRecord>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Params {
    viewer: Uuid,
    role: String,
    limit: Option<i64>,
}

async fn list(
    State(pool): State<PgPool>,
    Path(workspace): Path<Uuid>,
    Query(params): Query<Params>,
) -> Result<Json<Page>, (StatusCode, String)> {
    let schema = TenantSchema::for_workspace(WorkspaceId(workspace));
    let limit = params.limit.unwrap_or(50).clamp(1, 200);
    let rows = sqlx::query_as::<_, TaskRecord>(sqlx::AssertSqlSafe(list_sql(&schema)))
        .bind(params.viewer)
        .bind(&params.role)
        .bind(None::<Uuid>)
        .bind(None::<String>)
        .bind(None::<Uuid>)
        .bind(None::<Uuid>)
        .bind(None::<Date>)
        .bind(None::<String>)
        .bind(None::<String>)
        .bind(None::<OffsetDateTime>)
        .bind(None::<Uuid>)
        .bind(limit + 1)
        .fetch_all(&pool)
        .await
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let mut items = rows;
    let next_cursor = (items.len() as i64 > limit).then(|| {
        items.truncate(limit as usize);
        "more".to_owned()
    });
    Ok(Json(Page { items, next_cursor }))
}

/// Serves the baseline on a fresh local port of the current runtime.
pub async fn spawn(pool: PgPool) -> std::io::Result<SocketAddr> {
    let router = Router::new()
        .route("/baseline/{workspace}/tasks", get(list))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(addr)
}
