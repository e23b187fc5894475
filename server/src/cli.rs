//! The operator's command line: one binary to serve and to operate.

use std::{io::Write, path::PathBuf};

use bastion_core::{db, tenant_migrations, workspaces, Slug};
use clap::{Parser, Subcommand};

use crate::{config::Config, database::Database, AppState};

#[derive(Debug, Parser)]
#[command(
    name = "bastion",
    version,
    about = "Bastion: team work management with trust by design.",
    after_help = "Configuration comes from a TOML file (--config, or ./bastion.toml when present) \
and the environment, which wins:\n  \
DATABASE_URL                PostgreSQL 15+ URL; the role must be able to create schemas and \
roles (a superuser works too). Unset: an embedded cluster in BASTION_DATA_DIR/postgres.\n  \
BASTION_DATA_DIR            Local state: embedded database, keys, files (default ./.data)\n  \
BASTION_ADDR                Address to listen on (default 127.0.0.1:3000)\n  \
BASTION_PUBLIC_URL          Origin users reach us at, e.g. https://bastion.example.eu \
(default http://BASTION_ADDR)\n  \
BASTION_DB_MAX_CONNECTIONS  Pool size per process, 1-1000 (default 20)\n  \
BASTION_LOG_FORMAT          text or json (default text)\n  \
BASTION_MIGRATE_ON_START    true or false: apply migrations when serving (default true)\n  \
RUST_LOG                    Log filter (default info)"
)]
pub struct Cli {
    /// A TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and the API (the default).
    Serve,
    /// Apply pending migrations to the control plane and to every workspace schema.
    Migrate {
        /// Workspace schemas migrated at the same time.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
        concurrency: u16,
    },
    /// Create and list workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace with its own schema and role.
    Create {
        /// Lower-case letters, digits and hyphens; used in URLs.
        slug: String,
        /// Display name (default: the slug).
        #[arg(long)]
        name: Option<String>,
    },
    /// List workspaces.
    List,
}

pub async fn run(cli: Cli) -> Result<(), String> {
    let config = Config::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate { concurrency } => {
            let database = open(&config).await?;
            let result = migrate(&database, concurrency as usize).await;
            database.close().await;
            result
        }
        Command::Workspace(command) => {
            let database = open(&config).await?;
            let result = workspace(&database, command).await;
            database.close().await;
            result
        }
    }
}

async fn open(config: &Config) -> Result<Database, String> {
    Database::open(config)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

async fn migrate(database: &Database, concurrency: usize) -> Result<(), String> {
    db::migrate_control_plane(&database.pool)
        .await
        .map_err(|e| format!("control-plane migration failed: {e}"))?;
    let started = std::time::Instant::now();
    let report = tenant_migrations::migrate_all(&database.pool, concurrency, |done, total| {
        // One line per 1% keeps the output readable at 10,000 schemas.
        let step = (total / 100).max(1);
        if total > 0 && (done % step == 0 || done == total) {
            eprint!("\rmigrating workspace schemas: {done}/{total}");
            let _ = std::io::stderr().flush();
            if done == total {
                eprintln!();
            }
        }
    })
    .await
    .map_err(|e| format!("tenant migration failed (run again to resume): {e}"))?;
    println!(
        "migrations done: {} workspace schema(s) brought to version {} ({} migration(s) applied) in {:.1?}",
        report.schemas_migrated,
        tenant_migrations::latest_version(),
        report.migrations_applied,
        started.elapsed()
    );
    Ok(())
}

async fn workspace(database: &Database, command: WorkspaceCommand) -> Result<(), String> {
    db::migrate_control_plane(&database.pool)
        .await
        .map_err(|e| format!("control-plane migration failed: {e}"))?;
    match command {
        WorkspaceCommand::Create { slug, name } => {
            let slug = Slug::parse(&slug).map_err(|e| e.to_string())?;
            let name = name.unwrap_or_else(|| slug.to_string());
            let ws = workspaces::create_workspace(&database.pool, &slug, &name)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "created workspace '{}' ({}) with schema and role {}",
                ws.slug,
                ws.name,
                ws.schema()
            );
        }
        WorkspaceCommand::List => {
            let list = workspaces::list_workspaces(&database.pool)
                .await
                .map_err(|e| e.to_string())?;
            if list.is_empty() {
                println!("no workspaces yet; create one with: bastion workspace create <slug>");
            }
            for ws in list {
                println!(
                    "{:<40} {:<9} v{:<4} {}  {}",
                    ws.slug, ws.plan, ws.schema_version, ws.schema(), ws.name
                );
            }
        }
    }
    Ok(())
}

async fn serve(config: Config) -> Result<(), String> {
    let database = open(&config).await?;
    if config.migrate_on_start {
        migrate(&database, 8).await?;
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let leptos_options = crate::leptos_options(&config)?;
    let origin = config.origin();
    let state = AppState {
        pool: database.pool.clone(),
        config: std::sync::Arc::new(config),
        leptos_options,
    };
    tracing::info!(%origin, "Bastion is serving");
    println!("\nBastion is running at {origin}\n");
    let served = crate::serve(listener, state).await;
    database.close().await;
    served.map_err(|e| format!("server error: {e}"))
}
