//! Where the database comes from: `DATABASE_URL`, or the embedded cluster in the data directory.

use std::str::FromStr;

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
    /// Held so the embedded cluster stops when the process ends.
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    pub async fn open(config: &Config) -> Result<Self, CoreError> {
        let settings = PoolSettings {
            max_connections: config.db_max_connections,
            ..PoolSettings::default()
        };
        match &config.database_url {
            Some(url) => {
                let options = PgConnectOptions::from_str(url.expose())
                    .map_err(|e| CoreError::invalid("DATABASE_URL", e.to_string()))?;
                let pool = db::connect(options, &settings).await?;
                Ok(Self {
                    pool,
                    embedded: None,
                })
            }
            None => {
                let dir = config.data_dir.join("postgres");
                let pg = EmbeddedPostgres::start(&dir, EmbeddedOptions::default()).await?;
                pg.ensure_database(EMBEDDED_DATABASE).await?;
                let pool = db::connect(pg.app_options(EMBEDDED_DATABASE), &settings).await?;
                tracing::info!(
                    dir = %dir.display(),
                    "using the embedded PostgreSQL (set DATABASE_URL to use another server)"
                );
                Ok(Self {
                    pool,
                    embedded: Some(pg),
                })
            }
        }
    }

    pub async fn close(mut self) {
        self.pool.close().await;
        if let Some(pg) = self.embedded.as_mut() {
            pg.stop();
        }
    }
}
