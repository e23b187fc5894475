//! Throwaway PostgreSQL for tests: one private cluster per test process, in a fresh temporary
//! directory (so two suites running at once never meet), and one database per test, dropped
//! when the test's handle goes away. The cluster stops when the process exits.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex, OnceLock,
    },
    time::{Duration, Instant},
};

use sqlx::{postgres::PgConnectOptions, PgPool};

pub mod soft_passkey;

use crate::{
    db::{self, PoolSettings},
    embedded::{self, EmbeddedOptions, EmbeddedPostgres},
    keys::MasterKeyRing,
};

struct Cluster {
    pg: EmbeddedPostgres,
    dir: PathBuf,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);
static MASTER_KEYS: OnceLock<MasterKeyRing> = OnceLock::new();

/// A master key ring for tests that do not care which one: one random key per test process.
pub fn master_keys() -> &'static MasterKeyRing {
    MASTER_KEYS.get_or_init(MasterKeyRing::generate)
}

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        // Started on a thread of its own: callers are inside various test runtimes.
        std::thread::spawn(|| {
            remove_stale_clusters();
            let dir = tempfile::Builder::new()
                .prefix(&format!("{STALE_PREFIX}{}-", std::process::id()))
                .tempdir()
                .expect("create a temporary directory for the test cluster")
                .keep();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("build a runtime");
            let pg = rt
                .block_on(EmbeddedPostgres::start(
                    &dir,
                    EmbeddedOptions {
                        ephemeral: true,
                        max_connections: 300,
                    },
                ))
                .unwrap_or_else(|e| panic!("start the test PostgreSQL cluster: {e}"));
            unsafe { libc::atexit(stop_cluster_at_exit) };
            start_watchdog();
            Cluster { pg, dir }
        })
        .join()
        .expect("cluster start-up thread")
    })
}

const STALE_PREFIX: &str = "bastion-test-pg-";

/// A test process killed before its exit handler ran leaves its cluster behind; the next run
/// stops and removes clusters whose process is gone (the pid is in the directory name).
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(STALE_PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        crate::embedded::stop_cluster_in(&entry.path(), "immediate");
        let _ = std::fs::remove_dir_all(entry.path());
    }
}

extern "C" fn stop_cluster_at_exit() {
    if let Some(cluster) = CLUSTER.get() {
        cluster.pg.shutdown("immediate");
        let _ = std::fs::remove_dir_all(&cluster.dir);
    }
}

/// The test databases in use, with the test (thread) that made each and when.
static IN_USE: Mutex<Option<HashMap<String, (String, Instant)>>> = Mutex::new(None);

/// How long one test may hold its database before the process is stopped as hung
/// (`BASTION_TEST_TIMEOUT_SECS`, default 300): a test that waits forever otherwise holds the
/// whole suite, and CI, until its outer limit, and says nothing about where it waited.
fn test_timeout() -> Duration {
    let secs = std::env::var("BASTION_TEST_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    Duration::from_secs(secs)
}

/// Watches the test databases in use: when one is older than [`test_timeout`], prints which
/// test holds it, every thread's stack (through gdb, when installed) and what the cluster's
/// sessions are doing, then ends the process with a failure.
fn start_watchdog() {
    let limit = test_timeout();
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(5));
        let hung: Vec<(String, String)> = IN_USE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flatten()
            .filter(|(_, (_, since))| since.elapsed() > limit)
            .map(|(db, (test, _))| (db.clone(), test.clone()))
            .collect();
        if hung.is_empty() {
            continue;
        }
        let mut report = String::new();
        for (db, test) in &hung {
            report.push_str(&format!(
                "\nHUNG: test `{test}` has held database {db} for over {} s; stopping the suite.\n",
                limit.as_secs()
            ));
        }
        report.push_str(&hang_details());
        // Straight to the process's stderr: `eprintln!` here would be captured into the output
        // of the test whose thread started this one, and never shown.
        use std::io::Write;
        let _ = std::io::stderr().write_all(report.as_bytes());
        std::process::exit(101);
    });
}

/// Every thread's stack and the cluster's sessions, for the report of a hung test.
fn hang_details() -> String {
    let mut text = String::new();
    let pid = std::process::id().to_string();
    match std::process::Command::new("gdb")
        .args(["-p", &pid, "-batch", "-ex", "thread apply all bt 30"])
        .output()
    {
        Ok(out) => text.push_str(&String::from_utf8_lossy(&out.stdout)),
        Err(e) => text.push_str(&format!("(no thread stacks: gdb could not run: {e})\n")),
    }
    let mut psql = pg_tool("psql");
    psql.arg("--host")
        .arg(cluster().pg.socket_dir())
        .args([
            "--username",
            embedded::ADMIN_ROLE,
            "--no-password",
            "--dbname",
            "postgres",
        ])
        .args([
            "--command",
            "SELECT pid, datname, usename, state, wait_event_type, wait_event, \
                    now() - state_change AS for, left(query, 200) AS query \
               FROM pg_stat_activity WHERE backend_type = 'client backend'",
        ]);
    match psql.output() {
        Ok(out) => {
            text.push_str(&String::from_utf8_lossy(&out.stdout));
            text.push_str(&String::from_utf8_lossy(&out.stderr));
        }
        Err(e) => text.push_str(&format!("(no session list: psql could not run: {e})\n")),
    }
    text
}

/// A fresh, migrated database for one test. Dropped (with its connections) when the handle is.
pub struct TestDb {
    pub name: String,
    /// The serving login's pool, as the server uses it.
    pub pool: PgPool,
    pub app_options: PgConnectOptions,
    /// The provisioning login's pool, registered for this database (`db::provisioning`).
    pub provisioning: PgPool,
    pub owner_options: PgConnectOptions,
}

impl TestDb {
    pub async fn new() -> Self {
        Self::with_settings(PoolSettings::default()).await
    }

    pub async fn with_settings(settings: PoolSettings) -> Self {
        let cluster = cluster();
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        IN_USE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(HashMap::new)
            .insert(
                name.clone(),
                (
                    std::thread::current().name().unwrap_or("?").to_owned(),
                    Instant::now(),
                ),
            );
        cluster
            .pg
            .ensure_database(&name)
            .await
            .expect("create test database");
        let app_options = cluster.pg.app_options(&name);
        let pool = db::connect(app_options.clone(), &settings)
            .await
            .expect("connect to test database");
        let owner_options = cluster.pg.owner_options(&name);
        let provisioning = db::connect(owner_options.clone(), &PoolSettings::default())
            .await
            .expect("connect to test database as the provisioning login");
        db::register_provisioning(&pool, provisioning.clone());
        db::migrate_control_plane(&pool)
            .await
            .expect("migrate control plane");
        Self {
            name,
            pool,
            app_options,
            provisioning,
            owner_options,
        }
    }

    /// Options for the same database as the cluster superuser, to play the attacker or the
    /// operator who edits rows behind the application's back.
    pub fn admin_options(&self) -> PgConnectOptions {
        cluster().pg.admin_options(&self.name)
    }

    /// The directory of the test cluster's Unix socket.
    pub fn socket_dir(&self) -> &'static std::path::Path {
        cluster().pg.socket_dir()
    }

    /// A plain-SQL `pg_dump` of this database as the superuser, as a backup thief would get it.
    pub fn pg_dump(&self) -> String {
        let mut command = pg_tool("pg_dump");
        let output = command
            .arg("--host")
            .arg(self.socket_dir())
            .args([
                "--username",
                embedded::ADMIN_ROLE,
                "--no-password",
                "--dbname",
            ])
            .arg(&self.name)
            .output()
            .unwrap_or_else(|e| panic!("run pg_dump: {e}"));
        assert!(
            output.status.success(),
            "pg_dump failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("pg_dump writes UTF-8 here")
    }
}

/// A PostgreSQL client tool (`pg_dump`, `pg_dumpall`, `pg_restore`, `psql`) of the server's
/// major version, run as the `postgres` user when we are root, like the cluster itself.
pub fn pg_tool(program: &str) -> std::process::Command {
    // Next to the real pg_ctl (the bin dir may hold symlinks to it alone), so the tool has the
    // server's major version.
    let pg_ctl = embedded::find_bin_dir()
        .expect("PostgreSQL binaries")
        .join("pg_ctl")
        .canonicalize()
        .expect("resolve pg_ctl");
    let tool = pg_ctl.with_file_name(program);
    let mut command = if unsafe { libc::geteuid() } == 0 {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&tool);
        c
    } else {
        std::process::Command::new(&tool)
    };
    // PostgreSQL's tools refuse to start in a directory the service user cannot read.
    command.current_dir("/");
    command
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        let pool = self.pool.clone();
        let provisioning = self.provisioning.clone();
        db::unregister_provisioning(&pool);
        // Drop runs inside the test's runtime, which may be shutting down: use a thread of our own.
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let dropping = name.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                // `close` waits until every checked-out connection is back. A connection released
                // just before this drop comes back through a task on the test's runtime, which is
                // blocked right here until this thread ends: waiting for it would hang forever.
                // Give the pool a moment, then DROP DATABASE ... WITH (FORCE) ends what is left.
                let _ =
                    tokio::time::timeout(std::time::Duration::from_millis(100), pool.close()).await;
                let _ = tokio::time::timeout(
                    std::time::Duration::from_millis(100),
                    provisioning.close(),
                )
                .await;
                tokio::time::timeout(
                    std::time::Duration::from_secs(20),
                    cluster().pg.drop_database(&name),
                )
                .await
                .ok()
            });
            let _ = done.send(());
            Some(())
        });
        // The test itself is over: a database that cannot be dropped in time is left to the
        // cluster's removal at exit rather than holding the suite.
        if finished.recv_timeout(Duration::from_secs(30)).is_err() {
            eprintln!(
                "warning: test database {dropping} was not dropped within 30 s; left for exit"
            );
        }
        IN_USE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(HashMap::new)
            .remove(&dropping);
    }
}

/// The body of the newest message queued for `recipient`, opened as the sender opens it (with
/// [`master_keys`]); the outbox itself holds it sealed.
pub async fn newest_mail(pool: &PgPool, recipient: &str) -> String {
    newest_mail_under(pool, master_keys(), recipient).await
}

/// [`newest_mail`] for a message sealed under another master key ring.
pub async fn newest_mail_under(pool: &PgPool, master: &MasterKeyRing, recipient: &str) -> String {
    let (id, body, sealed): (uuid::Uuid, String, bool) = sqlx::query_as(
        "SELECT id, body, sealed FROM outbox WHERE recipient = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(recipient)
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("no mail to {recipient}: {e}"));
    crate::mail::open(master, id, body, sealed).unwrap()
}
