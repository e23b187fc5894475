//! What the bench's virtual users send: one caller per seeded member, the request of each
//! scenario, and the real router served in this process.

use std::sync::Arc;

use bastion_core::keys::MasterKeyRing;
use hyper::Method;
use rand::Rng;

use crate::load::{self, Call, Plan};
use crate::seed::{self, SeededWs};
use crate::BoxError;

#[derive(Clone)]
pub(crate) struct Caller {
    pub ws: SeededWs,
    pub user: uuid::Uuid,
    pub email: String,
    pub cookie: String,
    /// An API token of this member for this workspace (hot callers only).
    pub token: Option<String>,
}

pub(crate) fn list_call(c: &Caller) -> Call {
    Call::get(
        format!("/api/v1/workspaces/{}/tasks?limit=50", c.ws.slug),
        Some(c.cookie.clone()),
    )
}

/// The same list with the member's API token instead of the session cookie.
pub(crate) fn token_list_call(c: &Caller) -> Call {
    Call {
        bearer: c.token.clone(),
        ..Call::get(
            format!("/api/v1/workspaces/{}/tasks?limit=50", c.ws.slug),
            None,
        )
    }
}

/// The baseline's statement after the API's own caller lookup (session, user and workspace
/// in one statement), on the same connection: the first rung of the trust machinery.
pub(crate) fn lookup_baseline_call(c: &Caller) -> Call {
    Call::get(
        format!("/lookup/{}/tasks?role=member&limit=50", c.ws.slug),
        Some(c.cookie.clone()),
    )
}

/// The core's way in and the core's list on a bare handler (`baseline::entered_list`).
pub(crate) fn entered_call(c: &Caller) -> Call {
    Call::get(
        format!("/entered/{}/tasks", c.ws.slug),
        Some(c.cookie.clone()),
    )
}

pub(crate) fn baseline_call(c: &Caller) -> Call {
    Call::get(
        format!(
            "/baseline/{}/tasks?viewer={}&role=member&limit=50",
            c.ws.workspace_id, c.user
        ),
        None,
    )
}

pub(crate) fn list_plan(callers: Arc<Vec<Caller>>) -> Plan {
    Arc::new(move |_vu, rng| list_call(&callers[rng.random_range(0..callers.len())]))
}

pub(crate) fn token_list_plan(callers: Arc<Vec<Caller>>) -> Plan {
    Arc::new(move |_vu, rng| token_list_call(&callers[rng.random_range(0..callers.len())]))
}

pub(crate) fn lookup_baseline_plan(callers: Arc<Vec<Caller>>) -> Plan {
    Arc::new(move |_vu, rng| lookup_baseline_call(&callers[rng.random_range(0..callers.len())]))
}

pub(crate) fn entered_plan(callers: Arc<Vec<Caller>>) -> Plan {
    Arc::new(move |_vu, rng| entered_call(&callers[rng.random_range(0..callers.len())]))
}

pub(crate) fn baseline_plan(callers: Arc<Vec<Caller>>) -> Plan {
    Arc::new(move |_vu, rng| baseline_call(&callers[rng.random_range(0..callers.len())]))
}

pub(crate) fn create_plan(callers: Arc<Vec<Caller>>) -> Plan {
    Arc::new(move |_vu, rng| {
        let c = &callers[rng.random_range(0..callers.len())];
        Call {
            method: Method::POST,
            path: format!("/api/v1/workspaces/{}/tasks", c.ws.slug),
            cookie: Some(c.cookie.clone()),
            bearer: None,
            json: Some(
                serde_json::json!({
                    "project_id": c.ws.project_id,
                    "title": "Call the supplier about clause 4",
                    "description": "Ask for the **signed** copy.",
                    "priority": "high",
                })
                .to_string(),
            ),
            forwarded_for: None,
        }
    })
}

pub(crate) fn report_plan(admins: Arc<Vec<Caller>>) -> Plan {
    Arc::new(move |_vu, rng| {
        let c = &admins[rng.random_range(0..admins.len())];
        Call::get(
            format!(
                "/api/v1/workspaces/{}/time-entries/report?group=project",
                c.ws.slug
            ),
            Some(c.cookie.clone()),
        )
    })
}

/// Sign-ins with the right password from many client addresses (behind the trusted proxy the
/// bench configures), so the per-address throttle counts without refusing: a storm of real
/// users, each paying one Argon2 verification.
pub(crate) fn sign_in_plan(callers: Arc<Vec<Caller>>) -> Plan {
    Arc::new(move |_vu, rng| {
        let c = &callers[rng.random_range(0..callers.len())];
        Call {
            method: Method::POST,
            path: "/api/v1/auth/sign-in".into(),
            cookie: None,
            bearer: None,
            json: Some(
                serde_json::json!({"email": c.email, "password": seed::PASSWORD}).to_string(),
            ),
            forwarded_for: Some(format!(
                "10.{}.{}.{}",
                rng.random_range(0..=255u8),
                rng.random_range(0..=255u8),
                rng.random_range(1..=254u8)
            )),
        }
    })
}

pub(crate) async fn first_task_id(addr: std::net::SocketAddr, c: &Caller) -> Option<String> {
    let (status, body) = load::once(addr, list_call(c)).await.ok()?;
    if status != 200 {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    json["items"][0]["id"].as_str().map(str::to_owned)
}

pub(crate) async fn spawn_server(
    pool: &sqlx::PgPool,
    keys: &MasterKeyRing,
    data_dir: &std::path::Path,
    max_connections: u32,
) -> Result<std::net::SocketAddr, BoxError> {
    let vars = [
        ("BASTION_DATA_DIR", data_dir.display().to_string()),
        // The sign-in storm comes from many addresses behind this "proxy".
        ("BASTION_TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        ("BASTION_DB_MAX_CONNECTIONS", max_connections.to_string()),
        // The token scenario sends a few hundred requests a second per token: the limit (its
        // shared counter is written on every request all the same) must not refuse them.
        ("BASTION_TOKEN_RATE_LIMIT", "1000000".to_owned()),
    ];
    let config =
        bastion::config::Config::load_with_env(Some(std::path::Path::new("/dev/null")), |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .map_err(|e| format!("config: {e}"))?;
    let state = bastion::AppState {
        pool: pool.clone(),
        live: bastion_core::live::Hub::new(pool.clone()),
        keys: Arc::new(keys.clone()),
        leptos_options: bastion::leptos_options(&config)?,
        objects: config.objects()?,
        config: Arc::new(config),
        shutting_down: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = bastion::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}
