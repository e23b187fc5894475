//! The baseline: a bare axum + sqlx route that runs the task-list statement of
//! `bastion_core::work::tasks::list_tasks` (same columns, same predicate, same 12 parameters)
//! against the same workspace schema, schema-qualified, with no session lookup, no workspace
//! lookup, no tenant transaction (role, search_path, actor) and no membership check. It runs
//! as the cluster superuser (the application role cannot read a workspace schema without
//! switching into the workspace role, which is the trust machinery being measured).
//!
//! The visibility predicate is `work::VISIBLE` written out with the schema named. Keep
//! `list_sql` in step with `list_tasks` and `VISIBLE` when they change.

use std::net::SocketAddr;

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use bastion_core::{TenantSchema, WorkspaceId};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

fn list_sql(schema: &TenantSchema) -> String {
    let q = schema.quoted();
    format!(
        "SELECT t.id, t.project_id, t.title, t.description, t.status, t.priority,
                t.assignee_id, t.due_on, t.private, t.created_by, t.created_at, t.updated_at,
                ARRAY(SELECT tt.tag_id FROM {q}.task_tags tt WHERE tt.task_id = t.id ORDER BY tt.tag_id) AS tag_ids
         FROM {q}.tasks t
         WHERE CASE $2::text
                 WHEN 'admin' THEN true
                 WHEN 'member' THEN NOT t.private
                     OR t.created_by = $1
                     OR t.assignee_id IS NOT DISTINCT FROM $1
                     OR EXISTS (SELECT 1 FROM {q}.task_viewers v WHERE v.task_id = t.id AND v.user_id = $1)
                 WHEN 'guest' THEN
                     EXISTS (SELECT 1 FROM {q}.task_viewers v WHERE v.task_id = t.id AND v.user_id = $1)
                 ELSE false
               END
           AND ($3::uuid IS NULL OR t.project_id = $3)
           AND ($4::text IS NULL OR t.status = $4)
           AND ($5::uuid IS NULL OR t.assignee_id = $5)
           AND ($6::uuid IS NULL OR EXISTS
                (SELECT 1 FROM {q}.task_tags f WHERE f.task_id = t.id AND f.tag_id = $6))
           AND ($7::date IS NULL OR t.due_on < $7)
           AND ($8::text IS NULL
                OR to_tsvector('simple', t.title || ' ' || t.description)
                   @@ plainto_tsquery('simple', $8)
                OR t.title ILIKE $9)
           AND ($10::timestamptz IS NULL
                OR t.created_at < $10 OR (t.created_at = $10 AND t.id > $11))
         ORDER BY t.created_at DESC, t.id
         LIMIT $12"
    )
}

#[derive(Serialize, sqlx::FromRow)]
struct Row {
    id: Uuid,
    project_id: Uuid,
    title: String,
    description: String,
    status: String,
    priority: String,
    assignee_id: Option<Uuid>,
    due_on: Option<Date>,
    private: bool,
    created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    tag_ids: Vec<Uuid>,
}

#[derive(Serialize)]
struct Page {
    items: Vec<Row>,
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
    let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(list_sql(&schema)))
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
