//! Connecting to PostgreSQL and migrating the control plane.

use std::time::Duration;

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    AssertSqlSafe, Executor, PgPool,
};

use crate::CoreResult;

/// Control-plane migrations, applied by the login role that owns the control plane.
pub static CONTROL_PLANE_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("../../migrations/public");

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// A connection older than this is closed when it comes back, and a fresh one opened. Each
    /// backend caches the catalog of every workspace it has served and the login role's
    /// membership list, and both only grow (docs/performance.md): a lifetime bounds them.
    pub max_lifetime: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 20,
            acquire_timeout: Duration::from_secs(10),
            max_lifetime: Duration::from_secs(30 * 60),
        }
    }
}

/// Opens the pool. Tenant transactions only change transaction-local settings, so a released
/// connection is already back to the login role; the reset on release is a second line of
/// defence in case a future caller sets something at session level. It runs when the connection
/// goes back to the pool, after the response has been produced.
pub async fn connect(options: PgConnectOptions, settings: &PoolSettings) -> CoreResult<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .max_lifetime(settings.max_lifetime)
        .after_release(|conn, _meta| {
            Box::pin(async move {
                if sqlx::Connection::is_in_transaction(conn) {
                    return Ok(false);
                }
                conn.execute("RESET ROLE; RESET search_path; RESET bastion.actor")
                    .await?;
                Ok(true)
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

pub async fn migrate_control_plane(pool: &PgPool) -> CoreResult<()> {
    CONTROL_PLANE_MIGRATIONS.run(pool).await?;
    Ok(())
}

/// What the database offers for the tenant role switch ([`crate::tenant::RoleSwitch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwitchSupport {
    /// The set_user extension is installed in `bastion_switch`, preloaded, limited to
    /// workspace roles, and this login may call `set_user`.
    Irrevocable,
    /// No set_user extension in this database.
    Missing,
    /// The extension is there but set up so that it must not be relied on; the sentence says
    /// what to fix.
    Misconfigured(String),
}

/// Checks, as the login `pool` connects with, what [`SwitchSupport`] the database gives.
pub async fn role_switch_support(pool: &PgPool) -> CoreResult<SwitchSupport> {
    let schema = crate::tenant::SWITCH_SCHEMA;
    let tenants = crate::embedded::TENANTS_ROLE;
    let (installed, executable, allowlist): (bool, bool, Option<String>) =
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT p IS NOT NULL,
                    p IS NOT NULL AND has_function_privilege(p, 'EXECUTE'),
                    current_setting('set_user.nosuperuser_target_allowlist', true)
               FROM to_regprocedure('{schema}.set_user(text, text)') AS p"
        )))
        .fetch_one(pool)
        .await?;
    if !installed {
        return Ok(SwitchSupport::Missing);
    }
    let wanted = format!("+{tenants}");
    Ok(match (executable, allowlist) {
        (_, None) => SwitchSupport::Misconfigured(
            "the set_user extension is installed but not loaded: add set_user to \
             shared_preload_libraries and restart PostgreSQL"
                .to_owned(),
        ),
        (_, Some(list)) if list.trim() != wanted => SwitchSupport::Misconfigured(format!(
            "set_user.nosuperuser_target_allowlist is '{list}'; set it to '{wanted}' so that \
             the serving login can switch into workspace roles and nothing else"
        )),
        (false, _) => SwitchSupport::Misconfigured(format!(
            "this login may not execute {schema}.set_user(text, text): GRANT EXECUTE ON \
             FUNCTION {schema}.set_user(text, text) TO <the serving login>"
        )),
        (true, _) => SwitchSupport::Irrevocable,
    })
}
