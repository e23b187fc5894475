//! Measures that are not request loads: the machine, workspace creation, tenant migrations over
//! every schema, PostgreSQL backend memory, and the WASM bundle.

use std::{
    io::Write,
    path::PathBuf,
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use bastion_core::{keys::MasterKeyRing, workspaces, Slug, TenantSchema, WorkspaceId};
use futures::{stream, TryStreamExt};
use sqlx::{Executor, PgPool};
use uuid::Uuid;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Cores, CPU model, memory and load, from /proc.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{cores} cores ({model}), {:.1} GiB memory, load average {} at start",
        mem_kib as f64 / 1024.0 / 1024.0,
        load.join(" ")
    )
}

/// Memory of the server pool's PostgreSQL backends (the application role's connections):
/// private anonymous memory (`RssAnon`: catalog and relation caches, plan caches, work memory),
/// which is what grows as a backend touches more schemas. Shared buffers are not counted.
pub struct BackendMemory {
    pub backends: usize,
    pub avg_kib: u64,
    pub max_kib: u64,
    pub total_kib: u64,
}

impl BackendMemory {
    pub fn describe(&self, pool_max: u32) -> String {
        if self.backends == 0 {
            return "no backend found (cannot read /proc?)".into();
        }
        format!(
            "{} backends, RssAnon avg {:.1} MiB, max {:.1} MiB, total {:.1} MiB; the pool \
             bounds it at {pool_max} backends (about {:.0} MiB at this max)",
            self.backends,
            self.avg_kib as f64 / 1024.0,
            self.max_kib as f64 / 1024.0,
            self.total_kib as f64 / 1024.0,
            pool_max as f64 * self.max_kib as f64 / 1024.0
        )
    }
}

/// Set on the server pool's connections, to tell its backends from the seeding pool's.
pub const SERVER_APPLICATION_NAME: &str = "bastion-bench-server";

pub async fn backend_memory(admin: &PgPool) -> Result<BackendMemory, BoxError> {
    let pids: Vec<i32> = sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity
         WHERE application_name = $1 AND backend_type = 'client backend'",
    )
    .bind(SERVER_APPLICATION_NAME)
    .fetch_all(admin)
    .await?;
    let mut sizes = Vec::new();
    for pid in pids {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        if let Some(kib) = status
            .lines()
            .find_map(|l| l.strip_prefix("RssAnon:"))
            .and_then(|l| l.split_whitespace().next()?.parse::<u64>().ok())
        {
            sizes.push(kib);
        }
    }
    let total: u64 = sizes.iter().sum();
    Ok(BackendMemory {
        backends: sizes.len(),
        avg_kib: if sizes.is_empty() {
            0
        } else {
            total / sizes.len() as u64
        },
        max_kib: sizes.iter().copied().max().unwrap_or(0),
        total_kib: total,
    })
}

/// Creates `samples` empty workspaces one after another through the core (row, data key, role,
/// schema, every tenant migration) and returns how long each took.
pub async fn create_workspaces(
    app: &PgPool,
    keys: &MasterKeyRing,
    samples: usize,
) -> Result<Vec<Duration>, BoxError> {
    let mut times = Vec::new();
    for i in 0..samples {
        let suffix: u32 = rand::random();
        let slug = Slug::parse(&format!("bench-new-{i}-{suffix:08x}"))?;
        let t = Instant::now();
        workspaces::create_workspace(app, keys, &slug, "Bench new").await?;
        times.push(t.elapsed());
    }
    Ok(times)
}

pub fn describe_times(times: &[Duration]) -> String {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    if ms.is_empty() {
        return "-".into();
    }
    let p = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:.0} ms, max {:.0} ms, mean {:.0} ms",
        p(0.5),
        ms[ms.len() - 1],
        ms.iter().sum::<f64>() / ms.len() as f64
    )
}

/// One new tenant migration over every schema, done the way `tenant_migrations::migrate_all`
/// does it (same concurrency, one transaction per schema: lock the control-plane row, switch to
/// the schema owner, read the schema's applied versions, run the DDL with the schema alone on
/// the search path, record the version, touch the row) but with a migration that only the bench
/// knows: the real migrator's list is compiled in, and the bench does not change production code
/// to inject one. The DDL adds a nullable column to `tasks` (a catalog-only change, the common
/// kind), named per run so every run does real work; its version is recorded far above the real
/// ones, where the real migrator ignores it.
pub async fn simulate_new_migration(
    app: &PgPool,
    concurrency: usize,
) -> Result<(Duration, usize), BoxError> {
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM workspaces ORDER BY created_at, id")
        .fetch_all(app)
        .await?;
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let column = format!("bench_m{stamp}");
    let version = 9_000_000_000_000i64 + stamp;
    let total = ids.len();
    let done = AtomicUsize::new(0);
    let started = Instant::now();
    stream::iter(ids.into_iter().map(Ok::<_, BoxError>))
        .try_for_each_concurrent(concurrency.max(1), |id| {
            let column = &column;
            let done = &done;
            async move {
                let schema = TenantSchema::for_workspace(WorkspaceId(id));
                let q = schema.quoted();
                let mut tx = app.begin().await?;
                let _: Option<i64> = sqlx::query_scalar(
                    "SELECT schema_version FROM workspaces WHERE id = $1 FOR UPDATE",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                tx.execute("SET LOCAL ROLE bastion_tenant_owner").await?;
                let _: Vec<(i64, Vec<u8>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT version, checksum FROM {q}._bastion_migrations ORDER BY version"
                )))
                .fetch_all(&mut *tx)
                .await?;
                tx.execute(sqlx::AssertSqlSafe(format!(
                    "SELECT set_config('search_path', '{s}', true);
                     ALTER TABLE tasks ADD COLUMN {column} integer;
                     SELECT set_config('search_path', 'public', true);",
                    s = schema.as_str()
                )))
                .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO {q}._bastion_migrations (version, description, checksum)
                     VALUES ($1, 'bench simulated migration', '\\x00')"
                )))
                .bind(version)
                .execute(&mut *tx)
                .await?;
                tx.execute("RESET ROLE").await?;
                sqlx::query("UPDATE workspaces SET schema_version = schema_version WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                if k.is_multiple_of(1000) {
                    eprint!("  migrated {k}/{total}\r");
                    std::io::stderr().flush().ok();
                }
                Ok(())
            }
        })
        .await?;
    Ok((started.elapsed(), total))
}

/// Raw and brotli sizes of the release WASM bundle, if one has been built.
pub fn wasm_sizes() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let pkg = std::env::var_os("LEPTOS_SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/site"))
        .join("pkg");
    let files: Vec<PathBuf> = std::fs::read_dir(&pkg)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
                .collect()
        })
        .unwrap_or_default();
    if files.is_empty() {
        return format!(
            "no {}/*.wasm: build the release site first (`cargo leptos build --release`, as \
             `./x run` does), then run the bench again",
            pkg.display()
        );
    }
    let mut parts = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let mut compressed = Vec::new();
        {
            let mut writer = brotli::CompressorWriter::new(&mut compressed, 4096, 11, 22);
            writer.write_all(&bytes).ok();
        }
        let modified = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .ok()
            .map(|t| time::OffsetDateTime::from(t).date().to_string())
            .unwrap_or_default();
        parts.push(format!(
            "{}: {:.0} KiB raw, {:.0} KiB brotli (goal <= 250 KB brotli; built {modified})",
            file.file_name().unwrap_or_default().to_string_lossy(),
            bytes.len() as f64 / 1024.0,
            compressed.len() as f64 / 1024.0
        ));
    }
    parts.join("; ")
}
