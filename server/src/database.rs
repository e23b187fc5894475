//! Where the database comes from: `DATABASE_URL`, or the embedded cluster in the data directory.

use std::{str::FromStr, time::Duration};

use bastion_core::{
    db::{self, PoolSettings},
    embedded::{EmbeddedOptions, EmbeddedPostgres},
    CoreError,
};
use sqlx::{postgres::PgConnectOptions, PgPool};

use crate::config::Config;

/// The embedded cluster's database.
const EMBEDDED_DATABASE: &str = "bastion";

pub struct Database {
    pub pool: PgPool,
    /// How `pool` connects, kept to open the serving pool with a statement timeout.
    options: PgConnectOptions,
    settings: PoolSettings,
    /// Held so the embedded cluster stops when the process ends.
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    pub async fn open(config: &Config) -> Result<Self, CoreError> {
        let settings = PoolSettings {
            max_connections: config.db_max_connections,
            max_lifetime: config.db_max_lifetime,
            ..PoolSettings::default()
        };
        match &config.database_url {
            Some(url) => {
                let options = PgConnectOptions::from_str(url.expose())
                    .map_err(|e| CoreError::invalid("DATABASE_URL", e.to_string()))?;
                let pool = db::connect(options.clone(), &settings).await?;
                Ok(Self {
                    pool,
                    options,
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
                tracing::info!(
                    dir = %dir.display(),
                    "using the embedded PostgreSQL (set DATABASE_URL to use another server)"
                );
                Ok(Self {
                    pool,
                    options,
                    settings,
                    embedded: Some(pg),
                })
            }
        }
    }

    /// Replaces the pool by one whose statements PostgreSQL cancels after `timeout`, for
    /// serving: a runaway query then cannot hold a connection for ever. Migrations and operator
    /// commands keep the unbounded pool, since a migration may rightly take long.
    pub async fn limit_statements(&mut self, timeout: Duration) -> Result<(), CoreError> {
        let pool = db::connect(
            with_statement_timeout(self.options.clone(), timeout),
            &self.settings,
        )
        .await?;
        std::mem::replace(&mut self.pool, pool).close().await;
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
        if let Some(pg) = self.embedded.as_mut() {
            pg.stop();
        }
    }
}

/// `options` with PostgreSQL's `statement_timeout` set for every connection made from them.
pub fn with_statement_timeout(options: PgConnectOptions, timeout: Duration) -> PgConnectOptions {
    options.options([("statement_timeout", format!("{}ms", timeout.as_millis()))])
}
