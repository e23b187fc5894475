//! A private PostgreSQL cluster in a directory of ours: the local default when no `DATABASE_URL`
//! is set, and what every test suite starts for itself. It listens on a Unix socket only.
//!
//! PostgreSQL refuses to run as root, so when we are root the server binaries run as the
//! `postgres` user on a directory handed to that user.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use sqlx::{postgres::PgConnectOptions, Connection, Executor, PgConnection};

use crate::{CoreError, CoreResult};

/// The cluster's superuser: used to bootstrap roles and databases, never to serve requests.
pub const ADMIN_ROLE: &str = "bastion_admin";
/// The login role that serves requests. It owns nothing, belongs to no workspace role and not to
/// `bastion_tenant_owner`; its rights on the control plane come from [`SERVING_ROLE`], and it
/// enters workspaces with `set_user` only.
pub const APP_ROLE: &str = "bastion_app";
/// The provisioning login: owns the database and the control plane, creates and erases
/// workspaces (`CREATEROLE`, member of `bastion_tenant_owner`), runs migrations and key rotation.
pub const OWNER_ROLE: &str = "bastion_owner";
/// `NOLOGIN`, `NOINHERIT`: holds the serving login's grants on the control plane (control-plane
/// migration 0013) and `EXECUTE` on `set_user`; with the revertible switch also every workspace
/// role (not inherited, so only `SET ROLE` reaches them). Whatever login serves is a member.
pub const SERVING_ROLE: &str = "bastion_serving";

/// Every workspace role is a member of this `NOLOGIN` role, which holds no privilege: it names
/// the roles `set_user` may switch into (`set_user.nosuperuser_target_allowlist`), so the
/// serving login can become a workspace role and nothing else.
pub const TENANTS_ROLE: &str = "bastion_tenants";

const SERVICE_USER: &str = "postgres";

#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Trade durability for speed: right for throwaway test clusters, wrong for a developer's data.
    pub ephemeral: bool,
    pub max_connections: u32,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        Self {
            ephemeral: false,
            max_connections: 100,
        }
    }
}

#[derive(Debug)]
pub struct EmbeddedPostgres {
    cluster_dir: PathBuf,
    socket_dir: PathBuf,
    bin_dir: PathBuf,
    run_as_service_user: bool,
    /// False when the cluster was already running (another process of ours owns it).
    started_here: bool,
}

impl EmbeddedPostgres {
    /// Initialises the cluster in `dir` on first use, starts it, and makes sure the application
    /// role exists. `dir` is created if needed.
    pub async fn start(dir: &Path, options: EmbeddedOptions) -> CoreResult<Self> {
        let bin_dir = find_bin_dir()?;
        let run_as_service_user = unsafe { libc::geteuid() } == 0;
        std::fs::create_dir_all(dir)
            .map_err(|e| embedded(format!("cannot create {}: {e}", dir.display())))?;
        let dir = dir
            .canonicalize()
            .map_err(|e| embedded(format!("cannot resolve {}: {e}", dir.display())))?;
        let cluster_dir = dir.join("cluster");
        let socket_dir = dir.join("run");
        // sockaddr_un holds 107 bytes: the socket's full path must fit.
        if socket_dir.as_os_str().len() + "/.s.PGSQL.5432".len() > 100 {
            return Err(embedded(format!(
                "the data directory path {} is too long for a Unix socket; choose a shorter \
                 BASTION_DATA_DIR",
                dir.display()
            )));
        }
        std::fs::create_dir_all(&socket_dir)
            .map_err(|e| embedded(format!("cannot create {}: {e}", socket_dir.display())))?;

        let mut pg = Self {
            cluster_dir,
            socket_dir,
            bin_dir,
            run_as_service_user,
            started_here: false,
        };
        // A running cluster was handed over by the process that started it, and its files come
        // and go under the server's feet: a recursive chown then fails on one that vanished
        // (an operator command beside a live server hit exactly that).
        if run_as_service_user && !pg.is_running() {
            pg.hand_to_service_user(&dir)?;
        }
        if !pg.cluster_dir.join("PG_VERSION").exists() {
            pg.initdb(&options)?;
        }
        if pg.is_running() {
            tracing::info!(dir = %pg.cluster_dir.display(), "embedded PostgreSQL already running; reusing it");
        } else {
            pg.pg_ctl_start(&dir, &options)?;
            pg.started_here = true;
        }
        pg.ensure_app_role().await?;
        Ok(pg)
    }

    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Connection options for `database` as the serving login.
    pub fn app_options(&self, database: &str) -> PgConnectOptions {
        self.options(APP_ROLE, database)
    }

    /// Connection options for `database` as the provisioning login.
    pub fn owner_options(&self, database: &str) -> PgConnectOptions {
        self.options(OWNER_ROLE, database)
    }

    /// Connection options for `database` as the cluster superuser.
    pub fn admin_options(&self, database: &str) -> PgConnectOptions {
        self.options(ADMIN_ROLE, database)
    }

    fn options(&self, user: &str, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .username(user)
            .database(database)
    }

    /// Creates `name`, owned by the provisioning login, unless it exists; hands a database of
    /// the days of one login (owned by the serving login) over to the provisioning login.
    pub async fn ensure_database(&self, name: &str) -> CoreResult<()> {
        let mut conn = PgConnection::connect_with(&self.admin_options("postgres")).await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(name)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            conn.execute(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {} OWNER {OWNER_ROLE}",
                quote_ident(name)
            )))
            .await?;
        }
        // Since PostgreSQL 15 `public` belongs to `pg_database_owner`, whose rights reach the
        // database owner only by inheritance, which the NOINHERIT provisioning login does not
        // have: it could neither create the control plane there nor revoke PUBLIC's access to
        // it. Hand it the schema (once; a schema someone else was given is left alone). A
        // database made when the serving login owned everything is handed over whole, and the
        // serving login's memberships of workspace roles and of the tenant owner end.
        let mut db = PgConnection::connect_with(&self.admin_options(name)).await?;
        db.execute(sqlx::AssertSqlSafe(format!(
            "DO $$
             DECLARE
                 role_name text;
             BEGIN
                 IF (SELECT datdba FROM pg_database WHERE datname = current_database())
                    = '{APP_ROLE}'::regrole THEN
                     REASSIGN OWNED BY {APP_ROLE} TO {OWNER_ROLE};
                     FOR role_name IN
                         SELECT g.rolname FROM pg_auth_members m
                           JOIN pg_roles g ON g.oid = m.roleid
                          WHERE m.member = '{APP_ROLE}'::regrole
                            AND g.rolname ~ '^ws_[0-9a-f]{{32}}$'
                     LOOP
                         EXECUTE format('REVOKE %I FROM {APP_ROLE}', role_name);
                     END LOOP;
                 END IF;
                 IF (SELECT nspowner FROM pg_namespace WHERE nspname = 'public')
                    = 'pg_database_owner'::regrole THEN
                     ALTER SCHEMA public OWNER TO {OWNER_ROLE};
                 END IF;
             END
             $$"
        )))
        .await?;
        if self.has_set_user() {
            install_set_user(&mut db, &format!("{SERVING_ROLE}, {OWNER_ROLE}")).await?;
        }
        db.close().await?;
        Ok(())
    }

    /// Whether this PostgreSQL installation has the `set_user` extension (Debian:
    /// `postgresql-<major>-set-user`), which the cluster then preloads.
    pub fn has_set_user(&self) -> bool {
        set_user_library(&self.bin_dir).is_some()
    }

    pub async fn drop_database(&self, name: &str) -> CoreResult<()> {
        let mut conn = PgConnection::connect_with(&self.admin_options("postgres")).await?;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(name)
        )))
        .await?;
        Ok(())
    }

    /// Stops the cluster if this process started it. Also called on drop.
    pub fn stop(&mut self) {
        if std::mem::take(&mut self.started_here) {
            self.shutdown("fast");
        }
    }

    /// Stops the cluster whoever started it; `mode` is pg_ctl's (`fast`, `immediate`).
    pub fn shutdown(&self, mode: &str) {
        let data = self.cluster_dir.display().to_string();
        match self.run("pg_ctl", &["-D", &data, "-m", mode, "-w", "stop"]) {
            Ok(_) => tracing::info!("embedded PostgreSQL stopped"),
            Err(e) => tracing::warn!(error = %e, "embedded PostgreSQL did not stop cleanly"),
        }
    }

    fn hand_to_service_user(&self, dir: &Path) -> CoreResult<()> {
        let status = Command::new("chown")
            .args(["-R", &format!("{SERVICE_USER}:{SERVICE_USER}")])
            .arg(dir)
            .status()
            .map_err(|e| embedded(format!("cannot run chown: {e}")))?;
        if !status.success() {
            return Err(embedded(format!(
                "cannot hand {} to the '{SERVICE_USER}' user (is PostgreSQL installed?)",
                dir.display()
            )));
        }
        let reachable = Command::new("runuser")
            .args(["-u", SERVICE_USER, "--", "test", "-w"])
            .arg(dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !reachable {
            return Err(embedded(format!(
                "the '{SERVICE_USER}' user cannot reach {}; PostgreSQL refuses to run as root, so \
                 choose a BASTION_DATA_DIR whose parent directories that user may enter",
                dir.display()
            )));
        }
        Ok(())
    }

    fn initdb(&self, options: &EmbeddedOptions) -> CoreResult<()> {
        let data = self.cluster_dir.display().to_string();
        let mut args = vec![
            "-D",
            &data,
            "-U",
            ADMIN_ROLE,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        ];
        if options.ephemeral {
            args.push("--no-sync");
        }
        tracing::info!(dir = %data, "initialising embedded PostgreSQL cluster");
        self.run("initdb", &args)?;
        Ok(())
    }

    fn pg_ctl_start(&self, dir: &Path, options: &EmbeddedOptions) -> CoreResult<()> {
        let data = self.cluster_dir.display().to_string();
        let log = dir.join("postgres.log").display().to_string();
        // Only the socket: trust authentication is safe because nothing but a local process
        // that can enter the (owner-only) socket directory can connect.
        let mut settings = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' \
             -c unix_socket_permissions=0700 -c max_connections={}",
            self.socket_dir.display(),
            options.max_connections
        );
        if options.ephemeral {
            settings.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        // The log is bounded: one file per weekday in `log/`, each emptied when its day comes
        // round again, so a week of history and never more. One file that nobody rotates fills
        // the disk: `set_user` alone writes two lines per workspace request (hundreds of MB an
        // hour at full load). `postgres.log` keeps only what comes before the collector starts.
        settings.push_str(&format!(
            " -c logging_collector=on -c log_directory='{}' \
             -c log_filename='postgresql-%a.log' -c log_rotation_age=1d \
             -c log_rotation_size=0 -c log_truncate_on_rotation=on",
            dir.join("log").display()
        ));
        if self.has_set_user() {
            // The extension's hooks must be in every backend from its start; the allowlist
            // limits `set_user` to workspace roles. Each switch logs two LOG lines ("Role x
            // transitioning to Role y"); that is the extension's audit trail, kept (in the
            // rotated log above).
            settings.push_str(&format!(
                " -c shared_preload_libraries=set_user \
                 -c set_user.nosuperuser_target_allowlist=+{TENANTS_ROLE}"
            ));
        } else {
            tracing::warn!(
                "the set_user extension is not installed (Debian: apt-get install \
                 postgresql-15-set-user): tenant transactions can only use the revertible role \
                 switch"
            );
        }
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-w", "-t", "60", "-o", &settings, "start",
            ],
        )
        .map_err(|e| embedded(format!("{e}; see {log}")))?;
        tracing::info!(socket = %self.socket_dir.display(), "embedded PostgreSQL started");
        Ok(())
    }

    fn is_running(&self) -> bool {
        let data = self.cluster_dir.display().to_string();
        self.run("pg_ctl", &["-D", &data, "status"]).is_ok()
    }

    /// The cluster's roles (they are cluster-wide: created here once, not by each database's
    /// migrations, which test databases run concurrently). Also brings a cluster of the days of
    /// one login up to two: the serving login loses `CREATEROLE` and its membership of the
    /// tenant owner.
    async fn ensure_app_role(&self) -> CoreResult<()> {
        let mut conn = PgConnection::connect_with(&self.admin_options("postgres")).await?;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DO $$
             BEGIN
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bastion_tenant_owner') THEN
                     CREATE ROLE bastion_tenant_owner NOLOGIN;
                 END IF;
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{TENANTS_ROLE}') THEN
                     CREATE ROLE {TENANTS_ROLE} NOLOGIN;
                 END IF;
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{SERVING_ROLE}') THEN
                     CREATE ROLE {SERVING_ROLE} NOLOGIN NOINHERIT;
                 END IF;
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
                     CREATE ROLE {OWNER_ROLE} LOGIN CREATEROLE NOINHERIT;
                     GRANT bastion_tenant_owner TO {OWNER_ROLE};
                 END IF;
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                     CREATE ROLE {APP_ROLE} LOGIN;
                 END IF;
                 ALTER ROLE {APP_ROLE} INHERIT NOCREATEROLE;
                 IF NOT pg_has_role('{APP_ROLE}', '{SERVING_ROLE}', 'MEMBER') THEN
                     GRANT {SERVING_ROLE} TO {APP_ROLE};
                 END IF;
                 IF pg_has_role('{APP_ROLE}', 'bastion_tenant_owner', 'MEMBER') THEN
                     REVOKE bastion_tenant_owner FROM {APP_ROLE};
                 END IF;
             END
             $$"
        )))
        .await?;
        Ok(())
    }

    fn run(&self, program: &str, args: &[&str]) -> CoreResult<Output> {
        let path = self.bin_dir.join(program);
        let mut cmd = if self.run_as_service_user {
            let mut c = Command::new("runuser");
            c.args(["-u", SERVICE_USER, "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        // PostgreSQL's own tools refuse to start in a directory the service user cannot read.
        cmd.current_dir("/");
        let output = cmd
            .args(args)
            .output()
            .map_err(|e| embedded(format!("cannot run {}: {e}", path.display())))?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(embedded(format!(
                "{program} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Stops whatever cluster runs in `dir` (as laid out by [`EmbeddedPostgres::start`]), without
/// needing the process that started it. Errors are ignored: there may be nothing to stop.
pub fn stop_cluster_in(dir: &Path, mode: &str) {
    let Ok(bin_dir) = find_bin_dir() else { return };
    let pg = EmbeddedPostgres {
        cluster_dir: dir.join("cluster"),
        socket_dir: dir.join("run"),
        bin_dir,
        run_as_service_user: unsafe { libc::geteuid() } == 0,
        started_here: false,
    };
    if pg.cluster_dir.join("postmaster.pid").exists() {
        pg.shutdown(mode);
    }
}

/// Finds the PostgreSQL server binaries: `BASTION_PG_BIN`, then `PATH`, then Debian's
/// `/usr/lib/postgresql/<major>/bin`, newest first.
pub fn find_bin_dir() -> CoreResult<PathBuf> {
    if let Some(dir) = std::env::var_os("BASTION_PG_BIN") {
        let dir = PathBuf::from(dir);
        return if dir.join("pg_ctl").exists() {
            Ok(dir)
        } else {
            Err(embedded(format!(
                "BASTION_PG_BIN={} holds no pg_ctl",
                dir.display()
            )))
        };
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("pg_ctl").exists() && dir.join("initdb").exists() {
                return Ok(dir);
            }
        }
    }
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").exists().then_some((major, bin))
        })
        .filter(|(major, _)| *major >= 15)
        .collect();
    majors.sort();
    majors.pop().map(|(_, bin)| bin).ok_or_else(|| {
        embedded(
            "no PostgreSQL 15+ server binaries found (looked at BASTION_PG_BIN, PATH and \
             /usr/lib/postgresql/*/bin); install them (Debian: apt-get install postgresql) or set \
             DATABASE_URL"
                .to_owned(),
        )
    })
}

/// `set_user.so` in the package library directory beside the server binaries
/// (`/usr/lib/postgresql/<major>/lib` on Debian).
fn set_user_library(bin_dir: &Path) -> Option<PathBuf> {
    let pg_ctl = bin_dir.join("pg_ctl").canonicalize().ok()?;
    let lib = pg_ctl.parent()?.parent()?.join("lib").join("set_user.so");
    lib.exists().then_some(lib)
}

/// As the superuser, in the database `db` is connected to: the extension in a schema of its own
/// (`tenant::SWITCH_SCHEMA`) that every role may enter, `set_user(role, token)` executable by
/// `grantees` alone (a comma-separated list of role names, which the caller vouches for: the
/// serving role and the provisioning login, whose key rotation opens tenant transactions),
/// `reset_user(token)` by everyone (it needs the token). Idempotent.
pub async fn install_set_user(db: &mut PgConnection, grantees: &str) -> CoreResult<()> {
    let schema = crate::tenant::SWITCH_SCHEMA;
    db.execute(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE EXTENSION IF NOT EXISTS set_user SCHEMA {schema};
         GRANT USAGE ON SCHEMA {schema} TO PUBLIC;
         GRANT EXECUTE ON FUNCTION {schema}.set_user(text, text) TO {grantees};"
    )))
    .await?;
    Ok(())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn embedded(message: String) -> CoreError {
    CoreError::Embedded(message)
}
