//! `bastion serve`: check the keys, migrate, listen, and start the background workers.

use std::sync::Arc;

use bastion_core::{jobs, keys::MasterKeyRing, secrets};
use tokio_util::sync::CancellationToken;

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
    let metrics_listener = match config.metrics_addr {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr} (BASTION_METRICS_ADDR): {e}"))?,
        ),
        None => None,
    };
    let leptos_options = crate::leptos_options(&config)?;
    let objects = config.objects()?;
    tracing::info!(objects = %config.describe_objects(), "attachments and exports");
    let origin = config.origin();
    let signal = crate::shutdown_signal().map_err(|e| format!("cannot watch for SIGTERM: {e}"))?;
    let shutting_down = CancellationToken::new();
    let state = AppState {
        pool: database.pool.clone(),
        live: bastion_core::live::Hub::new(database.pool.clone()),
        keys,
        config: Arc::new(config),
        objects,
        leptos_options,
        shutting_down: shutting_down.clone(),
    };
    tracing::info!(%origin, "Bastion is serving");
    println!("\nBastion is running at {origin}\n");
    let mailer = crate::mailer::Mailer::from_config(&state.config)?;
    tracing::info!(mail = %mailer.describe(), "outgoing email");
    let grace = state.config.shutdown_grace;
    let jobs_stop = jobs::Stop::default();
    let mut sender = tokio::spawn(mailer.run(
        state.pool.clone(),
        state.keys.clone(),
        shutting_down.clone(),
    ));
    let retention = tokio::spawn(workers::purge_history(state.pool.clone()));
    let reminders = tokio::spawn(workers::remind_due(state.pool.clone()));
    let repeats = tokio::spawn(workers::repeat_tasks(state.pool.clone()));
    let mut runner = tokio::spawn(workers::run_jobs(
        state.pool.clone(),
        state.objects.clone(),
        state.keys.clone(),
        state.config.webhooks(),
        state.config.origin(),
        jobs_stop.clone(),
    ));
    let http_metrics = Arc::new(crate::metrics::HttpMetrics::default());
    // Scrapes need no draining: the metrics server is simply dropped at shutdown.
    let metrics_server = metrics_listener.map(|listener| {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "serving /metrics");
        }
        tokio::spawn(crate::metrics::serve(
            listener,
            state.pool.clone(),
            http_metrics.clone(),
            shutting_down.clone(),
        ))
    });
    let mut server = tokio::spawn(crate::serve(listener, state, http_metrics));

    let failed = tokio::select! {
        name = signal => {
            tracing::info!(
                signal = name,
                grace_secs = grace.as_secs(),
                "shutting down: no new connections; finishing in-flight requests, the mail batch \
                 and the running job"
            );
            None
        }
        joined = &mut server => Some(joined),
    };
    let deadline = tokio::time::Instant::now() + grace;
    shutting_down.cancel();
    jobs_stop.draining.cancel();
    // Purging is idempotent and resumes at the next start: nothing to wait for.
    retention.abort();
    reminders.abort();
    repeats.abort();
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }

    let served = match failed {
        Some(joined) => flatten(joined),
        None => match tokio::time::timeout_at(deadline, &mut server).await {
            Ok(joined) => {
                tracing::info!("shutdown: in-flight requests finished");
                flatten(joined)
            }
            Err(_) => {
                tracing::warn!("shutdown: grace period over; requests still running are cut off");
                server.abort();
                Ok(())
            }
        },
    };
    if tokio::time::timeout_at(deadline, &mut sender).await.is_ok() {
        tracing::info!("shutdown: mail sender stopped between batches");
    } else {
        // The batch's transaction rolls back: its messages stay queued for the next sender, and
        // those already handed to the SMTP server will go out a second time.
        tracing::warn!("shutdown: grace period over; the mail batch being sent is cut off");
        sender.abort();
    }
    if tokio::time::timeout_at(deadline, &mut runner).await.is_ok() {
        tracing::info!("shutdown: job runner stopped");
    } else {
        jobs_stop.abandon.cancel();
        // Releasing is one UPDATE; the lease would expire by itself if even that cannot happen.
        if tokio::time::timeout(RELEASE_TIME, &mut runner)
            .await
            .is_err()
        {
            runner.abort();
        }
        tracing::warn!("shutdown: grace period over; the running job was left to another server");
    }
    tracing::info!("shutdown: closing the database connections");
    database.close().await;
    tracing::info!("shutdown complete");
    served
}

/// How long an interrupted job's lease release may take beyond the grace period.
const RELEASE_TIME: std::time::Duration = std::time::Duration::from_secs(5);

fn flatten(joined: Result<std::io::Result<()>, tokio::task::JoinError>) -> Result<(), String> {
    match joined {
        Ok(served) => served.map_err(|e| format!("server error: {e}")),
        Err(e) => Err(format!("server error: {e}")),
    }
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
