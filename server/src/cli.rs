//! The operator's command line: one binary to serve and to operate.

use std::{io::Write, ops::ControlFlow, path::PathBuf, sync::Arc};

use bastion_core::{
    audit, db,
    keys::{Key, MasterKeyRing},
    secrets::{self, RotationEvent},
    tenant_migrations, workspaces, Slug,
};
use clap::{Parser, Subcommand};

use crate::{
    config::{Config, MasterKeySource},
    database::Database,
    AppState,
};

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
BASTION_TRUSTED_PROXIES     Comma-separated proxy IPs whose X-Forwarded-For is believed (default none)\n  \
BASTION_MAX_UPLOAD_BYTES    Largest attachment accepted, in bytes (default 26214400, 25 MiB)\n  \
BASTION_OBJECT_STORE_REGION Object storage region; must be in the EU (default eu-local, the local \
filesystem; AWS eu-* but London and Zurich, fr-par, nl-ams, pl-waw, ...)\n  \
BASTION_ALLOW_NON_EU_REGION true to start with a non-EU region anyway (default false)\n  \
BASTION_SECURITY_CONTACT    Where DPA and security-pack requests are sent (default security@localhost)\n  \
BASTION_TOKEN_RATE_LIMIT    Requests per minute per API token (default 600)\n  \
BASTION_REQUEST_TIMEOUT_SECS  Seconds a request may take until its response starts, 1-3600; \
counted from the body's last byte (default 30)\n  \
BASTION_STATEMENT_TIMEOUT_SECS  PostgreSQL statement_timeout of the server's connections, in \
seconds, 1-3600 (default 60)\n  \
BASTION_MASTER_KEYS         Comma-separated master keys (`bastion keys generate`); the first \
encrypts, all decrypt\n  \
BASTION_MASTER_KEY_FILE     Or a file with one master key per line, mode 600. Neither: required \
with DATABASE_URL; the embedded mode generates BASTION_DATA_DIR/master.keys\n  \
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
        Command::Serve => serve(config).await,
        Command::Keys(KeysCommand::Rotate { data }) => rotate_keys(&config, data).await,
        Command::Keys(KeysCommand::Generate) => {
            unreachable!("handled before loading configuration")
        }
        Command::Migrate { concurrency } => {
            let database = open(&config).await?;
            let result = migrate(&database, concurrency as usize).await;
            database.close().await;
            result
        }
        Command::Workspace(command) => {
            let database = open(&config).await?;
            let result = workspace(&config, &database, command).await;
            database.close().await;
            result
        }
        Command::Audit(command) => {
            let database = open(&config).await?;
            let result = audit(&database, command).await;
            database.close().await;
            result
        }
        Command::Token(command) => {
            let database = open(&config).await?;
            let result = token(&database, command).await;
            database.close().await;
            result
        }
        Command::User(UserCommand::Create { email, name }) => {
            let password = read_password()?;
            let database = open(&config).await?;
            let result = create_user(&database, &email, &name, &password).await;
            database.close().await;
            result
        }
    }
}

fn read_password() -> Result<String, String> {
    if let Ok(password) = std::env::var("BASTION_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err("no password: set BASTION_PASSWORD or type it on standard input".into());
    }
    Ok(password)
}

async fn create_user(
    database: &Database,
    email: &str,
    name: &str,
    password: &str,
) -> Result<(), String> {
    db::migrate_control_plane(&database.pool)
        .await
        .map_err(|e| format!("control-plane migration failed: {e}"))?;
    let user = bastion_core::accounts::create_user(&database.pool, email, name, password)
        .await
        .map_err(|e| e.to_string())?;
    println!("created user {} ({})", user.email, user.name);
    Ok(())
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

/// Loads the master key ring and says where it came from; a freshly generated local key is
/// announced loudly, since losing it loses every stored secret.
fn master_key_ring(config: &Config) -> Result<MasterKeyRing, String> {
    let (ring, source) = config.master_key_ring().map_err(|e| e.to_string())?;
    match source {
        MasterKeySource::Environment => {
            tracing::info!(keys = ring.len(), "master keys from BASTION_MASTER_KEYS")
        }
        MasterKeySource::File(path) => {
            tracing::info!(keys = ring.len(), file = %path.display(), "master keys from key file")
        }
        MasterKeySource::Local {
            path,
            created: true,
        } => tracing::warn!(
            file = %path.display(),
            "generated a new master key for the embedded database (outside PostgreSQL); keep a \
             copy of this file somewhere safe: without it, stored secrets cannot be read"
        ),
        MasterKeySource::Local {
            path,
            created: false,
        } => tracing::info!(file = %path.display(), "master key from the data directory"),
    }
    Ok(ring)
}

async fn workspace(
    config: &Config,
    database: &Database,
    command: WorkspaceCommand,
) -> Result<(), String> {
    db::migrate_control_plane(&database.pool)
        .await
        .map_err(|e| format!("control-plane migration failed: {e}"))?;
    match command {
        WorkspaceCommand::Create { slug, name } => {
            let slug = Slug::parse(&slug).map_err(|e| e.to_string())?;
            let name = name.unwrap_or_else(|| slug.to_string());
            let ring = master_key_ring(config)?;
            let ws = workspaces::create_workspace(&database.pool, &ring, &slug, &name)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "created workspace '{}' ({}) with schema and role {}",
                ws.slug,
                ws.name,
                ws.schema()
            );
        }
        WorkspaceCommand::AddMember { slug, email, role } => {
            let ws = workspaces::find_by_slug(&database.pool, &slug)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no workspace with the slug '{slug}'"))?;
            let user = bastion_core::accounts::find_user_by_email(&database.pool, &email)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user with the email '{email}'"))?;
            bastion_core::accounts::add_member(
                &database.pool,
                &ws,
                user.id,
                &role,
                bastion_core::Actor::System,
            )
            .await
            .map_err(|e| e.to_string())?;
            println!("{} is now {role} of '{}'", user.email, ws.slug);
        }
        WorkspaceCommand::Erase { slug, confirm } => {
            let ws = workspaces::find_by_slug(&database.pool, &slug)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no workspace with the slug '{slug}'"))?;
            if confirm.trim() != ws.name {
                return Err(format!(
                    "--confirm must be the workspace's name, exactly: '{}'",
                    ws.name
                ));
            }
            let objects = bastion_core::attachments::Objects::local(&config.objects_dir())
                .map_err(|e| e.to_string())?;
            let receipt = workspaces::erase(
                &database.pool,
                &objects,
                &config.exports_dir(),
                &ws,
                bastion_core::Actor::System,
            )
            .await
            .map_err(|e| format!("erasure failed: {e}"))?;
            println!(
                "erased workspace '{}' ({}) at {}; only its erasure receipt remains",
                receipt.slug, receipt.workspace_id, receipt.erased_at
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
                    ws.slug,
                    ws.plan,
                    ws.schema_version,
                    ws.schema(),
                    ws.name
                );
            }
        }
    }
    Ok(())
}

async fn token(database: &Database, command: TokenCommand) -> Result<(), String> {
    db::migrate_control_plane(&database.pool)
        .await
        .map_err(|e| format!("control-plane migration failed: {e}"))?;
    let TokenCommand::Create {
        slug,
        email,
        name,
        expires_in_days,
    } = command;
    let user = bastion_core::accounts::find_user_by_email(&database.pool, &email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user with the email '{email}'"))?;
    let (ws, _, tx) = bastion_core::members::open_as_member(&database.pool, user.id, &slug)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{email} is not an active member of '{slug}'"))?;
    tx.rollback().await.map_err(|e| e.to_string())?;
    let expires_at = expires_in_days
        .map(|days| time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days)));
    let (_, secret) =
        bastion_core::api_tokens::create(&database.pool, user.id, ws.id, &name, expires_at)
            .await
            .map_err(|e| e.to_string())?;
    println!("{}", secret.expose());
    Ok(())
}

async fn audit(database: &Database, command: AuditCommand) -> Result<(), String> {
    db::migrate_control_plane(&database.pool)
        .await
        .map_err(|e| format!("control-plane migration failed: {e}"))?;
    let find = |slug: String| async move {
        workspaces::find_by_slug(&database.pool, &slug)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no workspace with the slug '{slug}'"))
    };
    match command {
        AuditCommand::Verify { slug } => {
            let ws = find(slug).await?;
            let report = audit::verify(&database.pool, &ws)
                .await
                .map_err(|e| e.to_string())?;
            match report.first_broken {
                None => {
                    println!(
                        "OK: the history of '{}' is intact ({} event(s) checked)",
                        ws.slug, report.checked
                    );
                    Ok(())
                }
                Some(id) => Err(format!(
                    "the history of '{}' is BROKEN at event {id}: that event was altered, or an \
                     event before it was removed or altered ({} event(s) checked)",
                    ws.slug, report.checked
                )),
            }
        }
        AuditCommand::Purge { slug: Some(slug) } => {
            let ws = find(slug).await?;
            let deleted = audit::purge(&database.pool, &ws, time::OffsetDateTime::now_utc())
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "purged {deleted} event(s) older than the {} plan's retention from '{}'",
                ws.plan, ws.slug
            );
            Ok(())
        }
        AuditCommand::Purge { slug: None } => {
            let report = audit::purge_all(&database.pool, time::OffsetDateTime::now_utc())
                .await
                .map_err(|e| format!("purge failed (run again to resume): {e}"))?;
            println!(
                "purged {} event(s) past retention from {} workspace(s)",
                report.deleted, report.workspaces
            );
            Ok(())
        }
    }
}

async fn rotate_keys(config: &Config, data: bool) -> Result<(), String> {
    let ring = master_key_ring(config)?;
    let database = open(config).await?;
    let result = rotate_with(&database, &ring, data).await;
    database.close().await;
    result
}

async fn rotate_with(database: &Database, ring: &MasterKeyRing, data: bool) -> Result<(), String> {
    let pool = &database.pool;
    db::migrate_control_plane(pool)
        .await
        .map_err(|e| format!("control-plane migration failed: {e}"))?;
    secrets::ensure_data_keys(pool, ring)
        .await
        .map_err(|e| format!("cannot create missing data keys: {e}"))?;
    // Every finished step is committed: after fixing the cause, the same command resumes.
    let resume = "completed work is kept; run the same command again to resume";

    let started = std::time::Instant::now();
    let report = secrets::rotate_master_keys(pool, ring, |event| {
        if let RotationEvent::KeyRewrapped { done, total, .. } = *event {
            show_progress("re-wrapping data keys", done, total, "");
        }
        ControlFlow::Continue(())
    })
    .await
    .map_err(|e| format!("master key rotation failed ({resume}): {e}"))?;
    println!(
        "master key rotation done: {} data key(s) re-wrapped under the first master key, {} \
         already were, in {:.1?}",
        report.keys_rewrapped,
        report.keys_already_current,
        started.elapsed()
    );

    if data {
        let started = std::time::Instant::now();
        let mut secrets_moved = 0;
        let report = secrets::rotate_data_keys(pool, ring, |event| {
            match *event {
                RotationEvent::SecretReencrypted { .. } => secrets_moved += 1,
                RotationEvent::KeyReplaced { done, total, .. } => show_progress(
                    "replacing data keys",
                    done,
                    total,
                    &format!(" ({secrets_moved} secret(s) re-encrypted)"),
                ),
                _ => {}
            }
            ControlFlow::Continue(())
        })
        .await
        .map_err(|e| format!("data key rotation failed ({resume}): {e}"))?;
        println!(
            "data key rotation done{}: {} data key(s) replaced, {} secret(s) re-encrypted, in \
             {:.1?}",
            if report.resumed {
                " (resumed an interrupted run)"
            } else {
                ""
            },
            report.data_keys_replaced,
            report.secrets_reencrypted,
            started.elapsed()
        );
    }
    if ring.len() > 1 {
        println!(
            "every data key is wrapped under the first master key: the other {} key(s) can now \
             be removed from the configuration",
            ring.len() - 1
        );
    }
    Ok(())
}

/// One line on standard error, rewritten in place, at most once per percent.
fn show_progress(what: &str, done: usize, total: usize, extra: &str) {
    let step = (total / 100).max(1);
    if done.is_multiple_of(step) || done == total {
        eprint!("\r{what}: {done}/{total}{extra}");
        let _ = std::io::stderr().flush();
        if done == total {
            eprintln!();
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
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
    let sender = tokio::spawn(mailer.run(state.pool.clone()));
    let retention = tokio::spawn(purge_history(state.pool.clone()));
    let runner = tokio::spawn(run_jobs(
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

/// The background job runner: every two seconds, deletes expired export archives, finishes
/// interrupted erasure purges and runs queued jobs. Every process runs it; leases in PostgreSQL
/// keep a job to one process at a time, and a job whose process died is taken over when its
/// lease expires.
async fn run_jobs(pool: sqlx::PgPool, objects_dir: PathBuf, exports_dir: PathBuf) {
    let objects = match bastion_core::attachments::Objects::local(&objects_dir) {
        Ok(objects) => objects,
        Err(e) => {
            tracing::error!(error = %e, "cannot open object storage; background jobs will not run");
            return;
        }
    };
    loop {
        match bastion_core::exports::run_pending(&pool, &objects, &exports_dir).await {
            Ok(report) if report != Default::default() => {
                tracing::info!(?report, "background jobs ran")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "background jobs failed; retrying"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
}

/// Deletes audit events past their plan's retention: a minute after start, then hourly. Several
/// processes may do this at once without harm: purging is idempotent and takes the same
/// per-workspace lock as appending.
async fn purge_history(pool: sqlx::PgPool) {
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    loop {
        match audit::purge_all(&pool, time::OffsetDateTime::now_utc()).await {
            Ok(report) if report.deleted > 0 => tracing::info!(
                deleted = report.deleted,
                workspaces = report.workspaces,
                "audit history past retention purged"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "audit history purge failed; retrying in an hour"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}
