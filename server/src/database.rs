//! Where the database comes from: `DATABASE_URL`, or the embedded cluster in the data directory.

use std::{str::FromStr, time::Duration};

use bastion_core::{
    db::{self, PoolSettings, SwitchSupport},
    embedded::{EmbeddedOptions, EmbeddedPostgres},
    tenant::{self, RoleSwitch},
    CoreError,
};
use sqlx::{postgres::PgConnectOptions, PgPool};

use crate::config::Config;

/// The embedded cluster's database.
const EMBEDDED_DATABASE: &str = "bastion";

pub struct Database {
    /// The serving login's pool.
    pub pool: PgPool,
    /// The provisioning login's pool (at most 8 connections, opened on demand), registered with
    /// `db::register_provisioning`: core functions that create, change or erase workspaces,
    /// migrate or rotate keys take `pool` like the rest and find this one themselves.
    pub provisioning: PgPool,
    /// How `pool` connects, kept to open the serving pool with a statement timeout.
    options: PgConnectOptions,
    /// How `provisioning` connects, likewise.
    provisioning_options: PgConnectOptions,
    settings: PoolSettings,
    /// Held so the embedded cluster stops when the process ends.
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Opens the pool, starting the embedded cluster first when there is no `DATABASE_URL`, and
    /// chooses the tenant role switch (see [`choose_role_switch`]).
    pub async fn open(config: &Config) -> Result<Self, CoreError> {
        let database = Self::connect(config).await?;
        db::register_provisioning(&database.pool, database.provisioning.clone());
        let switch =
            choose_role_switch(&database.pool, config.allow_revertible_tenant_role).await?;
        tenant::set_role_switch(switch);
        // Like the switch, a process-wide choice made once at start-up.
        bastion_core::limits::set_login_attempts_per_ip(
            i32::try_from(config.login_limit_per_ip).unwrap_or(i32::MAX),
        );
        let problems =
            db::check_serving_login(&database.pool, switch == RoleSwitch::Revertible).await?;
        if !problems.is_empty() {
            return Err(CoreError::invalid("DATABASE_URL", problems.join("; ")));
        }
        Ok(database)
    }

    async fn connect(config: &Config) -> Result<Self, CoreError> {
        let settings = PoolSettings {
            max_connections: config.db_max_connections,
            max_lifetime: config.db_max_lifetime,
            workspaces_per_connection: config.db_workspaces_per_connection,
            ..PoolSettings::default()
        };
        match &config.database_url {
            Some(url) => {
                let options = PgConnectOptions::from_str(url.expose())
                    .map_err(|e| CoreError::invalid("DATABASE_URL", e.to_string()))?;
                let owner = config.provisioning_database_url.as_ref().ok_or_else(|| {
                    CoreError::invalid("BASTION_PROVISIONING_DATABASE_URL", "must be set")
                })?;
                let owner = PgConnectOptions::from_str(owner.expose()).map_err(|e| {
                    CoreError::invalid("BASTION_PROVISIONING_DATABASE_URL", e.to_string())
                })?;
                let pool = db::connect(options.clone(), &settings).await?;
                let provisioning =
                    db::connect(owner.clone(), &provisioning_settings(&settings)).await?;
                Ok(Self {
                    pool,
                    provisioning,
                    options,
                    provisioning_options: owner,
                    settings,
                    embedded: None,
                })
            }
            None => {
                let dir = config.data_dir.join("postgres");
                let pg = EmbeddedPostgres::start(&dir, EmbeddedOptions::default()).await?;
                pg.ensure_database(EMBEDDED_DATABASE).await?;
                let options = pg.app_options(EMBEDDED_DATABASE);
                let pool = db::connect(options.clone(), &settings).await?;
                let provisioning_options = pg.owner_options(EMBEDDED_DATABASE);
                let provisioning = db::connect(
                    provisioning_options.clone(),
                    &provisioning_settings(&settings),
                )
                .await?;
                tracing::info!(
                    dir = %dir.display(),
                    "using the embedded PostgreSQL (set DATABASE_URL to use another server)"
                );
                Ok(Self {
                    pool,
                    provisioning,
                    options,
                    provisioning_options,
                    settings,
                    embedded: Some(pg),
                })
            }
        }
    }

    /// Replaces both pools by ones whose statements PostgreSQL cancels after `timeout`, for
    /// serving: a runaway query then cannot hold a connection for ever, also in the provisioning
    /// work a request does (a plan change, a signup's workspace). Migrations and operator
    /// commands keep the unbounded pools, since a migration may rightly take long.
    pub async fn limit_statements(&mut self, timeout: Duration) -> Result<(), CoreError> {
        let pool = db::connect(
            with_statement_timeout(self.options.clone(), timeout),
            &self.settings,
        )
        .await?;
        let provisioning = db::connect(
            with_statement_timeout(self.provisioning_options.clone(), timeout),
            &provisioning_settings(&self.settings),
        )
        .await?;
        db::register_provisioning(&pool, provisioning.clone());
        std::mem::replace(&mut self.pool, pool).close().await;
        std::mem::replace(&mut self.provisioning, provisioning)
            .close()
            .await;
        Ok(())
    }

    /// Closes the pool, then stops the embedded cluster if we started it. The wait for connections
    /// still checked out (by requests cut off at the end of a shutdown's grace period) is bounded:
    /// stopping the cluster ends them anyway.
    pub async fn close(mut self) {
        if tokio::time::timeout(Duration::from_secs(5), self.pool.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still in use; closing anyway");
        }
        db::unregister_provisioning(&self.pool);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.provisioning.close()).await;
        if let Some(pg) = self.embedded.as_mut() {
            pg.stop();
        }
    }
}

/// The irrevocable switch when the database offers it; the revertible one only when the
/// operator said so (`BASTION_ALLOW_REVERTIBLE_TENANT_ROLE=true`), and never in place of an
/// extension that is there but set up wrongly. Logged once either way.
pub async fn choose_role_switch(
    pool: &PgPool,
    allow_revertible: bool,
) -> Result<RoleSwitch, CoreError> {
    match db::role_switch_support(pool).await? {
        SwitchSupport::Irrevocable => {
            tracing::info!("tenant role switch: irrevocable (set_user)");
            Ok(RoleSwitch::Irrevocable)
        }
        SwitchSupport::Misconfigured(why) => Err(CoreError::invalid("DATABASE_URL", why)),
        SwitchSupport::Missing if allow_revertible => {
            tracing::warn!(
                "tenant role switch: revertible (no set_user extension; \
                 BASTION_ALLOW_REVERTIBLE_TENANT_ROLE=true): SQL running inside a tenant \
                 transaction could leave the workspace role"
            );
            Ok(RoleSwitch::Revertible)
        }
        SwitchSupport::Missing => Err(CoreError::invalid(
            "DATABASE_URL",
            "this PostgreSQL has no set_user extension, so SQL running inside a tenant \
             transaction could switch to another workspace's role. Install it (Debian: \
             apt-get install postgresql-15-set-user; then the SQL in docs/operations.md, \
             \"Tenant role switch\"), or set BASTION_ALLOW_REVERTIBLE_TENANT_ROLE=true to serve \
             without it knowingly",
        )),
    }
}

/// The provisioning pool is small: it serves workspace creation, erasure, memberships, exports
/// and migrations (8 schemas at a time), not every request.
fn provisioning_settings(serving: &PoolSettings) -> PoolSettings {
    PoolSettings {
        max_connections: serving.max_connections.clamp(2, 8),
        ..serving.clone()
    }
}

/// `options` with PostgreSQL's `statement_timeout` set for every connection made from them.
pub fn with_statement_timeout(options: PgConnectOptions, timeout: Duration) -> PgConnectOptions {
    options.options([("statement_timeout", format!("{}ms", timeout.as_millis()))])
}
