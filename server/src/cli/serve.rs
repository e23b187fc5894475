//! `bastion serve`: check the keys, migrate, listen, and start the background workers.

use std::sync::Arc;

use bastion_core::{keys::MasterKeyRing, secrets};

use super::{keys::master_key_ring, migrate::migrate, open, workers};
use crate::{config::Config, database::Database, AppState};

pub(super) async fn serve(config: Config) -> Result<(), String> {
    // Before the database opens: a missing key should stop us before anything else happens.
    let keys = Arc::new(master_key_ring(&config)?);
    let mut database = open(&config).await?;
    if config.migrate_on_start {
        migrate(&database, 8).await?;
    }
    check_data_keys(&database, &keys).await?;
    database
        .limit_statements(config.statement_timeout)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let leptos_options = crate::leptos_options(&config)?;
    let origin = config.origin();
    let state = AppState {
        pool: database.pool.clone(),
        keys,
        config: Arc::new(config),
        leptos_options,
    };
    tracing::info!(%origin, "Bastion is serving");
    println!("\nBastion is running at {origin}\n");
    let mailer = crate::mailer::Mailer::from_config(&state.config)?;
    tracing::info!(mail = %mailer.describe(), "outgoing email");
    let sender = tokio::spawn(mailer.run(state.pool.clone(), state.keys.clone()));
    let retention = tokio::spawn(workers::purge_history(state.pool.clone()));
    let runner = tokio::spawn(workers::run_jobs(
        state.pool.clone(),
        state.config.objects_dir(),
        state.config.exports_dir(),
    ));
    let served = crate::serve(listener, state).await;
    sender.abort();
    retention.abort();
    runner.abort();
    database.close().await;
    served.map_err(|e| format!("server error: {e}"))
}

/// Gives older workspaces their data key, and refuses to serve when the configured master keys
/// cannot unwrap the stored ones (a wrong key, or an old one removed before rotation finished):
/// better no start than requests failing one by one.
async fn check_data_keys(database: &Database, keys: &MasterKeyRing) -> Result<(), String> {
    let created = secrets::ensure_data_keys(&database.pool, keys)
        .await
        .map_err(|e| format!("cannot create missing data keys: {e}"))?;
    if created > 0 {
        tracing::info!(created, "created data keys for workspaces that had none");
    }
    let (total, unreadable) = secrets::unreadable_data_keys(&database.pool, keys)
        .await
        .map_err(|e| format!("cannot check the data keys: {e}"))?;
    if let Some(first) = unreadable.first() {
        return Err(format!(
            "the configured master keys cannot unwrap the data keys of {} of {total} \
             workspace(s) (workspace {first} among them). Configure the master key they were \
             wrapped with as well (new key first) and run `bastion keys rotate`",
            unreadable.len()
        ));
    }
    Ok(())
}
