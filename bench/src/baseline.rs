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
    http::{header, HeaderMap, StatusCode},
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

#[derive(Deserialize)]
struct LookupParams {
    role: String,
    limit: Option<i64>,
}

type Refusal = (StatusCode, String);

fn internal(e: impl std::fmt::Display) -> Refusal {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

async fn list(
    State(pool): State<PgPool>,
    Path(workspace): Path<Uuid>,
    Query(params): Query<Params>,
) -> Result<Json<Page>, Refusal> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    let schema = TenantSchema::for_workspace(WorkspaceId(workspace));
    list_on(
        &mut conn,
        &schema,
        params.viewer,
        &params.role,
        params.limit,
    )
    .await
}

/// The first rung of the trust machinery alone: the API's caller lookup (session, user and
/// workspace by slug in one statement, `sessions::resolve_user_in`), then the statement on
/// the same connection. No tenant transaction, role switch or membership read.
async fn lookup_list(
    State(pool): State<PgPool>,
    Path(slug): Path<String>,
    Query(params): Query<LookupParams>,
    headers: HeaderMap,
) -> Result<Json<Page>, Refusal> {
    let token = session_token(&headers)?;
    let mut conn = pool.acquire().await.map_err(internal)?;
    let (_, user, workspace) = bastion_core::sessions::resolve_user_in(&mut conn, &token, &slug)
        .await
        .map_err(internal)?
        .ok_or((StatusCode::UNAUTHORIZED, "unknown session".to_owned()))?;
    let workspace = workspace.ok_or((StatusCode::NOT_FOUND, slug))?;
    let schema = TenantSchema::for_workspace(workspace.id);
    list_on(&mut conn, &schema, user.id, &params.role, params.limit).await
}

/// The second rung: the core's own way in on the server's pool (its checkout reset, the lookup
/// that reads the membership and switches with `set_user`, `reset_user` at the end) and the
/// core's list, on a bare handler: everything the API does below the server's extractors,
/// middleware and response shaping.
async fn entered_list(
    State(state): State<Pools>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Vec<TaskRecord>>, Refusal> {
    use bastion_core::members::{self, Access, SessionEntry};
    let token = session_token(&headers)?;
    let conn = state.app.acquire().await.map_err(internal)?;
    let entry = members::enter_by_session(&state.app, conn, &token, &slug, Access::ReadOnly)
        .await
        .map_err(internal)?;
    let SessionEntry::Member {
        user, role, mut tx, ..
    } = entry
    else {
        return Err((StatusCode::NOT_FOUND, slug));
    };
    let role = bastion_core::Role::parse(&role).ok_or((StatusCode::NOT_FOUND, role))?;
    let viewer = bastion_core::Viewer::new(user.id, role);
    let rows = tasks::list_tasks(&mut tx, &viewer, &tasks::TaskFilter::default(), None, 51)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(Json(rows))
}

/// The session token of the request's cookie, as the server reads it.
fn session_token(headers: &HeaderMap) -> Result<bastion_core::sessions::SessionToken, Refusal> {
    bastion_core::sessions::token_from_cookie_header(
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
    .ok_or((StatusCode::UNAUTHORIZED, "no session".to_owned()))
}

async fn list_on(
    conn: &mut sqlx::PgConnection,
    schema: &TenantSchema,
    viewer: Uuid,
    role: &str,
    limit: Option<i64>,
) -> Result<Json<Page>, Refusal> {
    let limit = limit.unwrap_or(50).clamp(1, 200);
    let rows = sqlx::query_as::<_, TaskRecord>(sqlx::AssertSqlSafe(list_sql(schema)))
        .bind(viewer)
        .bind(role)
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
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
    let mut items = rows;
    let next_cursor = (items.len() as i64 > limit).then(|| {
        items.truncate(limit as usize);
        "more".to_owned()
    });
    Ok(Json(Page { items, next_cursor }))
}

/// The baseline's pool (the cluster superuser, sqlx's defaults) and the server's (the serving
/// login, `db::connect`).
#[derive(Clone)]
struct Pools {
    bare: PgPool,
    app: PgPool,
}

impl axum::extract::FromRef<Pools> for PgPool {
    fn from_ref(pools: &Pools) -> PgPool {
        pools.bare.clone()
    }
}

/// Serves the baseline on a fresh local port of the current runtime.
pub async fn spawn(pool: PgPool, app: PgPool) -> std::io::Result<SocketAddr> {
    let router = Router::new()
        .route("/baseline/{workspace}/tasks", get(list))
        .route("/lookup/{slug}/tasks", get(lookup_list))
        .route("/entered/{slug}/tasks", get(entered_list))
        .with_state(Pools { bare: pool, app });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(addr)
}
