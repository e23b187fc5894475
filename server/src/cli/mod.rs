//! The operator's command line: one binary to serve and to operate. The clap types and the
//! dispatch live here; each family of commands has its own file, and the background workers that
//! `serve` starts have theirs.

mod accounts;
mod audit;
mod keys;
mod migrate;
mod serve;
mod workers;
mod workspace;

use std::path::PathBuf;

use bastion_core::keys::Key;
use clap::{Parser, Subcommand};

use crate::{config::Config, database::Database};

#[derive(Debug, Parser)]
#[command(
    name = "bastion",
    version,
    about = "Bastion: team work management with trust by design.",
    after_help = crate::config::help()
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
    /// Create user accounts (sign-up pages arrive with the accounts work).
    #[command(subcommand)]
    User(UserCommand),
    /// Generate master keys and rotate the keys that protect stored secrets.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check and prune workspaces' audit history.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Create API tokens for integrations and scripts.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token acting as this active member in this workspace only. Prints the
    /// token on standard output, and nothing else: it is shown this once.
    Create {
        /// The workspace's slug.
        slug: String,
        /// The member's email.
        email: String,
        /// What the token is for, to tell tokens apart.
        #[arg(long)]
        name: String,
        /// Days until it stops working (default: never).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1830))]
        expires_in_days: Option<u16>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute a workspace's history hash chain. Prints OK with the number of events checked,
    /// or the first event that was altered or follows a removed one (and exits non-zero).
    Verify {
        /// The workspace's slug.
        slug: String,
    },
    /// Delete events older than the plan's retention (Starter 90 days, Pro 1 year, Business 3
    /// years), for one workspace or all of them. `serve` also does this every hour.
    Purge {
        /// Only this workspace.
        slug: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from BASTION_PASSWORD, or from the first line of
    /// standard input, so that it never appears in the process list or shell history.
    Create {
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random master key (base64url) on standard output, and nothing else.
    Generate,
    /// Re-wrap every workspace's data key under the first master key (fast: touches keys
    /// only). Put the new key first in BASTION_MASTER_KEYS, run this, then drop the old key.
    /// Resumable: after an interruption, run it again.
    Rotate {
        /// Also replace every workspace's data key and re-encrypt every secret under it.
        #[arg(long)]
        data: bool,
    },
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
    /// Erase a workspace for good: its schema, role, files, exports and data key, its
    /// memberships, invitations, and the sessions and API tokens that served only it. Only an
    /// erasure receipt remains. Take a backup's master key out of use afterwards (`bastion keys
    /// rotate`) to make the workspace's secrets in older backups unreadable too.
    Erase {
        slug: String,
        /// The workspace's name, exactly, to confirm.
        #[arg(long)]
        confirm: String,
    },
    /// Add a user to a workspace with a role (or change their role and reactivate them).
    AddMember {
        slug: String,
        email: String,
        #[arg(long, value_parser = ["admin", "member", "guest"])]
        role: String,
    },
}

pub async fn run(cli: Cli) -> Result<(), String> {
    // Needs no configuration: it is how an operator makes the configuration's first key.
    if let Some(Command::Keys(KeysCommand::Generate)) = cli.command {
        println!("{}", Key::generate().to_base64());
        return Ok(());
    }
    let config = Config::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::serve(config).await,
        Command::Keys(KeysCommand::Rotate { data }) => keys::rotate_keys(&config, data).await,
        Command::Keys(KeysCommand::Generate) => {
            unreachable!("handled before loading configuration")
        }
        Command::Migrate { concurrency } => {
            let database = open(&config).await?;
            let result = migrate::migrate(&database, concurrency as usize).await;
            database.close().await;
            result
        }
        Command::Workspace(command) => {
            let database = open(&config).await?;
            let result = workspace::workspace(&config, &database, command).await;
            database.close().await;
            result
        }
        Command::Audit(command) => {
            let database = open(&config).await?;
            let result = audit::audit(&database, command).await;
            database.close().await;
            result
        }
        Command::Token(command) => {
            let database = open(&config).await?;
            let result = accounts::token(&database, command).await;
            database.close().await;
            result
        }
        Command::User(UserCommand::Create { email, name }) => {
            let password = accounts::read_password()?;
            let database = open(&config).await?;
            let result = accounts::create_user(&database, &email, &name, &password).await;
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

/// Every operator command first brings the control plane's own tables up to date.
async fn migrate_control_plane(database: &Database) -> Result<(), String> {
    bastion_core::db::migrate_control_plane(&database.pool)
        .await
        .map_err(|e| format!("control-plane migration failed: {e}"))
}
