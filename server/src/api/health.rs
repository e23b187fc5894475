//! Liveness and readiness, for load balancers and orchestrators.

use axum::{extract::State, Json};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{error::ApiError, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    responses((status = 200, description = "The process answers.", body = Health,
        example = json!({"status": "ok"})))
)]
pub async fn get_health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Ready, and which tenant role switch is in force: `irrevocable` (the set_user extension: SQL
/// inside a tenant transaction cannot leave the workspace role) or `revertible` (a database
/// without it, started with `BASTION_ALLOW_REVERTIBLE_TENANT_ROLE=true`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: String,
    #[schema(example = "irrevocable")]
    pub tenant_role: TenantRole,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TenantRole {
    Irrevocable,
    Revertible,
}

impl From<bastion_core::tenant::RoleSwitch> for TenantRole {
    fn from(switch: bastion_core::tenant::RoleSwitch) -> Self {
        match switch {
            bastion_core::tenant::RoleSwitch::Irrevocable => TenantRole::Irrevocable,
            bastion_core::tenant::RoleSwitch::Revertible => TenantRole::Revertible,
        }
    }
}

/// The process can serve requests: its database answers. While it does not, the answer is the
/// 503 `unavailable` every other operation gives then; it turns back to 200 by itself once the
/// database is back, since the pool opens fresh connections on demand.
#[utoipa::path(
    get,
    path = "/readyz",
    responses(
        (status = 200, description = "The database answers; `tenant_role` says which \
            guarantee the workspace boundary has.", body = Readiness,
            example = json!({"status": "ready", "tenant_role": "irrevocable"})),
        (status = 503, description = "`unavailable`: the database does not answer within 2 s; \
            `Retry-After` says when to ask again.",
            body = crate::error::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before asking again."))),
    )
)]
pub async fn get_readiness(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let answered = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.pool),
    )
    .await;
    match answered {
        Ok(Ok(1)) => Ok(Json(Readiness {
            status: "ready".into(),
            tenant_role: bastion_core::tenant::role_switch().into(),
        })),
        Ok(Ok(other)) => Err(ApiError::internal(format!("SELECT 1 answered {other}"))),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            Err(ApiError::Unavailable)
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within 2 s");
            Err(ApiError::Unavailable)
        }
    }
}

/// This module's operations, each routed and documented from its one `#[utoipa::path]`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(get_health))
        .routes(utoipa_axum::routes!(get_readiness))
}
