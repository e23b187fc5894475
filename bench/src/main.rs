//! `bench`: Bastion's benchmark. Starts a private PostgreSQL cluster, seeds workspaces through
//! the core, serves the real router and a bare baseline route in this process, drives load at
//! them from a separate tokio runtime, and prints a table. See docs/performance.md.
//!
//! Run it in release for numbers (`cargo run -p bastion-bench --release -- --workspaces 1000`);
//! `--smoke` is a few seconds of everything, for CI, where a debug build is fine.

mod baseline;
mod live;
mod load;
mod plans;
mod scale;
mod seed;

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use bastion_core::{
    db::{self, PoolSettings},
    embedded::{EmbeddedOptions, EmbeddedPostgres},
    keys::MasterKeyRing,
};
use clap::Parser;
use load::{Call, Outcome, Plan, Zipf};
use plans::*;
use rand::Rng;
use seed::{SeededWs, Sizes};
use sqlx::postgres::PgPoolOptions;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Debug, Clone)]
#[command(
    about = "Bastion's benchmark: seed, load the real server and a bare baseline, print a table"
)]
struct Args {
    /// Workspaces to seed (a few "hot" ones get a few hundred tasks, the rest a handful).
    #[arg(long, default_value_t = 10)]
    workspaces: usize,
    /// Seconds each load scenario is measured (after a short warm-up).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Virtual users (keep-alive connections) per scenario.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Tiny sizes and two seconds per scenario: checks that everything still runs.
    #[arg(long)]
    smoke: bool,
    /// Keep the cluster and the seeded workspaces here, to resume or grow them in a later run
    /// (default: a temporary directory, removed at the end).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The server's pool size, as `BASTION_DB_MAX_CONNECTIONS` sets it in production; it
    /// bounds the number of PostgreSQL backends and so their memory.
    #[arg(long, env = "BASTION_DB_MAX_CONNECTIONS", default_value_t = 20)]
    db_max_connections: u32,
    /// Distinct workspaces one connection serves before it is replaced, as
    /// `BASTION_DB_WORKSPACES_PER_CONNECTION` sets it in production.
    #[arg(
        long,
        env = "BASTION_DB_WORKSPACES_PER_CONNECTION",
        default_value_t = 100
    )]
    db_workspaces_per_connection: usize,
    /// Workspaces seeded at the same time.
    #[arg(long, default_value_t = 4)]
    seed_concurrency: usize,
    /// Tasks in each workspace that is not hot (the hot ones get 300).
    #[arg(long, default_value_t = 12)]
    cold_tasks: usize,
    /// Skip the load scenarios over all workspaces, creation, migration and memory.
    #[arg(long)]
    skip_scale: bool,
    /// Event streams (`GET …/events`) held open during the live-updates scenario (smoke: 50).
    #[arg(long, default_value_t = 1000)]
    streams: usize,
}

/// Runs `scenario` with the process's tenant transactions switching roles the revertible way
/// (`SET LOCAL ROLE`, for a PostgreSQL without set_user), which needs the serving login to be
/// able to `SET ROLE` into the hot workspaces' roles for the duration; then puts both back.
async fn revertible_list<F, Fut>(
    admin: &sqlx::PgPool,
    hot: &[&SeededWs],
    scenario: F,
) -> Result<Result<Outcome, String>, BoxError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Outcome, String>>,
{
    use bastion_core::tenant::{set_role_switch, RoleSwitch};
    let roles: Vec<String> = hot
        .iter()
        .map(|w| {
            bastion_core::TenantSchema::for_workspace(bastion_core::WorkspaceId(w.workspace_id))
                .quoted()
        })
        .collect();
    let serving = bastion_core::embedded::SERVING_ROLE;
    for role in &roles {
        sqlx::query(sqlx::AssertSqlSafe(format!("GRANT {role} TO {serving}")))
            .execute(admin)
            .await?;
    }
    set_role_switch(RoleSwitch::Revertible);
    let outcome = scenario().await;
    set_role_switch(RoleSwitch::Irrevocable);
    for role in &roles {
        sqlx::query(sqlx::AssertSqlSafe(format!("REVOKE {role} FROM {serving}")))
            .execute(admin)
            .await?;
    }
    Ok(outcome)
}

/// Records a one-off measure that failed, in the table and among the failures the run ends with.
fn failed_measure(
    measures: &mut Vec<(String, String)>,
    broken: &mut Vec<String>,
    what: &str,
    error: BoxError,
) {
    measures.push((what.to_owned(), format!("failed: {error}")));
    broken.push(format!("{what}: {error}"));
}

/// One line of the load table.
struct Line {
    scenario: String,
    result: Result<Outcome, String>,
}

fn main() {
    let args = Args::parse();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    // The server, its pools and the baseline live on this runtime; the load generator gets a
    // runtime (and thread) of its own.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("server")
        .enable_all()
        .build()
        .expect("server runtime");
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("load")
        .enable_all()
        .build()
        .expect("load runtime");
    let result = server_rt.block_on(run(args, client_rt.handle().clone()));
    client_rt.shutdown_timeout(Duration::from_secs(1));
    server_rt.shutdown_timeout(Duration::from_secs(1));
    if let Err(e) = result {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}

struct Settings {
    workspaces: usize,
    duration: Duration,
    warmup: Duration,
    concurrency: usize,
    sizes: Sizes,
    create_samples: usize,
}

async fn run(args: Args, client: tokio::runtime::Handle) -> Result<(), BoxError> {
    let s = if args.smoke {
        Settings {
            workspaces: 3,
            duration: Duration::from_secs(2),
            warmup: Duration::from_millis(300),
            concurrency: 4,
            sizes: Sizes {
                hot_workspaces: 1,
                hot_tasks: 60,
                cold_tasks: 6,
            },
            create_samples: 3,
        }
    } else {
        let duration = Duration::from_secs_f64(args.duration.max(0.5));
        Settings {
            workspaces: args.workspaces.max(1),
            duration,
            warmup: (duration / 5).min(Duration::from_secs(2)),
            concurrency: args.concurrency.max(1),
            sizes: Sizes {
                hot_workspaces: args.workspaces.clamp(1, 5),
                hot_tasks: 300,
                cold_tasks: args.cold_tasks,
            },
            create_samples: 20,
        }
    };

    println!("# Bastion benchmark");
    println!();
    println!("machine: {}", scale::machine());
    println!(
        "settings: {} workspaces ({} hot with {} tasks, the rest {} tasks), {} virtual users, \
         {:.1} s per scenario after {:.1} s warm-up, server pool {} connections",
        s.workspaces,
        s.sizes.hot_workspaces,
        s.sizes.hot_tasks,
        s.sizes.cold_tasks,
        s.concurrency,
        s.duration.as_secs_f64(),
        s.warmup.as_secs_f64(),
        args.db_max_connections
    );

    // The cluster: ours, in the data directory or a temporary one.
    let temp;
    let dir = match &args.data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.canonicalize()?
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("bastion-bench-")
                .tempdir()?;
            temp.path().to_owned()
        }
    };
    let result = bench(&args, &s, &dir, client).await;
    if args.data_dir.is_none() {
        // The cluster stopped when `bench` dropped it; the directory goes too.
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn bench(
    args: &Args,
    s: &Settings,
    dir: &std::path::Path,
    client: tokio::runtime::Handle,
) -> Result<(), BoxError> {
    let t = Instant::now();
    let pg = EmbeddedPostgres::start(
        &dir.join("pg"),
        EmbeddedOptions {
            // Durability is not what is measured; the disk here is shared with other work.
            ephemeral: true,
            max_connections: 2 * args.db_max_connections + 40,
        },
    )
    .await?;
    const DATABASE: &str = "bastion_bench";
    pg.ensure_database(DATABASE).await?;
    let settings = PoolSettings {
        max_connections: args.db_max_connections,
        workspaces_per_connection: args.db_workspaces_per_connection,
        ..PoolSettings::default()
    };
    let app_pool = db::connect(pg.app_options(DATABASE), &settings).await?;
    // Workspace creation, memberships and migrations run as the provisioning login, which core
    // finds registered for this database (docs/architecture.md, "Two logins").
    let owner_pool = db::connect(pg.owner_options(DATABASE), &settings).await?;
    db::register_provisioning(&app_pool, owner_pool);
    db::migrate_control_plane(&app_pool).await?;
    bastion_core::tenant_migrations::migrate_all(&app_pool, 8, |_, _| {}).await?;
    let admin_pool = PgPoolOptions::new()
        .max_connections(args.db_max_connections)
        .connect_with(pg.admin_options(DATABASE))
        .await?;
    let (keys, _) = MasterKeyRing::open_or_create_file(&dir.join("master.key"))
        .map_err(|e| format!("master key: {e}"))?;
    eprintln!("cluster ready in {:.1} s", t.elapsed().as_secs_f64());

    // Seeding.
    seed::prepare(&admin_pool).await?;
    let (seeded_now, seed_time) = seed::seed(
        &app_pool,
        &admin_pool,
        &keys,
        s.workspaces,
        s.sizes,
        args.seed_concurrency,
    )
    .await?;
    let all: Vec<SeededWs> = seed::seeded(&admin_pool)
        .await?
        .into_iter()
        .filter(|w| (w.idx as usize) < s.workspaces)
        .collect();
    let present: i64 = sqlx::query_scalar("SELECT count(*) FROM workspaces")
        .fetch_one(&app_pool)
        .await?;
    let seed_note = if seeded_now > 0 {
        format!(
            "seeded {seeded_now} workspaces in {:.1} s ({:.1} per second)",
            seed_time.as_secs_f64(),
            seeded_now as f64 / seed_time.as_secs_f64()
        )
    } else {
        "all workspaces were already seeded in the data directory".to_owned()
    };
    let retries = seed::SET_ROLE_RETRIES.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "{seed_note}; {present} workspaces present{}",
        if retries > 0 {
            format!(
                "; {retries} SET ROLE refusals into just-created workspace roles were retried (see docs/performance.md)"
            )
        } else {
            String::new()
        }
    );
    // Statistics as autovacuum would have them after a while; a fresh bulk load has none.
    sqlx::query("ANALYZE").execute(&admin_pool).await?;

    // The real server, built as the server tests build it.
    let data_dir = dir.join("data");
    std::fs::create_dir_all(&data_dir)?;
    // A pool of its own for the server: the seeding pool's backends have touched every
    // workspace, and their caches would count against the server in the memory measures.
    let server_pool = db::connect(
        pg.app_options(DATABASE)
            .application_name(scale::SERVER_APPLICATION_NAME),
        &settings,
    )
    .await?;
    let server_addr = spawn_server(&server_pool, &keys, &data_dir, args.db_max_connections).await?;
    let baseline_pool = PgPoolOptions::new()
        .max_connections(args.db_max_connections)
        .connect_with(pg.admin_options(DATABASE))
        .await?;
    let baseline_addr = baseline::spawn(baseline_pool.clone(), server_pool.clone()).await?;

    // Callers: every member of the hot workspaces, their admins, and one member of every
    // workspace for the scale scenarios.
    let hot: Vec<&SeededWs> = all.iter().filter(|w| w.hot).collect();
    let mut hot_callers = Vec::new();
    for w in &hot {
        for (i, member) in w.member_ids.iter().enumerate() {
            hot_callers.push(Caller {
                ws: (*w).clone(),
                user: *member,
                email: w.member_emails[i].clone(),
                cookie: seed::session_cookie(&app_pool, *member).await?,
                token: Some(seed::api_token(&app_pool, *member, w.workspace_id).await?),
            });
        }
    }
    let mut hot_admins = Vec::new();
    for w in &hot {
        hot_admins.push(Caller {
            ws: (*w).clone(),
            user: w.admin_id,
            email: String::new(),
            cookie: seed::session_cookie(&app_pool, w.admin_id).await?,
            token: None,
        });
    }
    let hot_callers = Arc::new(hot_callers);
    let hot_admins = Arc::new(hot_admins);

    let mut lines: Vec<Line> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut measures_early: Vec<(String, String)> = Vec::new();
    let mut broken_early: Vec<String> = Vec::new();
    let go = |addr, plan: Plan, concurrency: usize| {
        let (warmup, duration) = (s.warmup, s.duration);
        let client = client.clone();
        async move {
            client
                .spawn(load::run(addr, concurrency, warmup, duration, plan))
                .await
                .map_err(|e| e.to_string())
        }
    };

    let list_plan = list_plan(hot_callers.clone());
    if !args.smoke {
        // A fresh process and fresh backends (plan and catalog caches, the pool filling up)
        // would make the first scenario look worse than the rest: warm both paths first.
        eprintln!("warming up");
        let warm = |addr, plan: Plan| {
            client.spawn(load::run(
                addr,
                s.concurrency,
                Duration::ZERO,
                Duration::from_secs(3),
                plan,
            ))
        };
        let _ = warm(server_addr, list_plan.clone()).await;
        let _ = warm(baseline_addr, baseline_plan(hot_callers.clone())).await;
    }

    eprintln!("scenario: tasks list (API)");
    let calm = go(server_addr, list_plan.clone(), s.concurrency).await;
    lines.push(Line {
        scenario: "tasks list 50, member (API), hot workspaces".into(),
        result: calm.clone(),
    });

    eprintln!("scenario: baseline");
    let base = go(
        baseline_addr,
        baseline_plan(hot_callers.clone()),
        s.concurrency,
    )
    .await;
    lines.push(Line {
        scenario: "baseline: same SQL, bare axum + sqlx, hot workspaces".into(),
        result: base.clone(),
    });

    // What each layer of the trust machinery costs, measured one layer at a time on the same
    // list: the API with a token instead of a cookie, the bare statement after the API's own
    // caller lookup, and the API with the revertible role switch (no set_user/reset_user).
    eprintln!("scenario: tasks list (API token)");
    let token = go(
        server_addr,
        token_list_plan(hot_callers.clone()),
        s.concurrency,
    )
    .await;
    lines.push(Line {
        scenario: "tasks list 50, member (API token), hot workspaces".into(),
        result: token.clone(),
    });

    eprintln!("scenario: baseline after the caller lookup");
    let lookup = go(
        baseline_addr,
        lookup_baseline_plan(hot_callers.clone()),
        s.concurrency,
    )
    .await;
    lines.push(Line {
        scenario:
            "baseline after the API's caller lookup (session, user, workspace), one connection"
                .into(),
        result: lookup.clone(),
    });

    eprintln!("scenario: the core's entry and list on a bare handler");
    let entered = go(
        baseline_addr,
        entered_plan(hot_callers.clone()),
        s.concurrency,
    )
    .await;
    lines.push(Line {
        scenario: "the core's way in (checkout reset, lookup with membership and set_user, \
                   reset_user) and list, bare handler on the server's pool"
            .into(),
        result: entered.clone(),
    });

    eprintln!("scenario: tasks list (API), revertible role switch");
    let revertible = revertible_list(&admin_pool, &hot, || {
        go(server_addr, list_plan.clone(), s.concurrency)
    })
    .await?;
    lines.push(Line {
        scenario: "tasks list 50, member (API), revertible role switch (no set_user)".into(),
        result: revertible.clone(),
    });

    // The task page, if this build has one.
    let probe_task = first_task_id(server_addr, &hot_callers[0]).await;
    match probe_task {
        Some(task_id) => {
            let page = format!("/w/{}/tasks/{task_id}", hot_callers[0].ws.slug);
            let status = load::once(
                server_addr,
                Call::get(page.clone(), Some(hot_callers[0].cookie.clone())),
            )
            .await
            .map(|(status, _)| status)
            .unwrap_or(0);
            if status == 200 {
                eprintln!("scenario: task page (SSR)");
                // The probed task, as the caller who listed it: visible to them for sure.
                let c0 = hot_callers[0].clone();
                let plan: Plan =
                    Arc::new(move |_vu, _rng| Call::get(page.clone(), Some(c0.cookie.clone())));
                lines.push(Line {
                    scenario: "task page, SSR HTML".into(),
                    result: go(server_addr, plan, s.concurrency).await,
                });
            } else {
                notes.push(format!(
                    "task page (SSR HTML): skipped, /w/:slug/tasks/:id answers {status} in this build \
                     (the route is not in main yet)"
                ));
            }
        }
        None => notes.push("task page: skipped, no task to show".into()),
    }

    eprintln!("scenario: create task");
    lines.push(Line {
        scenario: "create task (API)".into(),
        result: go(server_addr, create_plan(hot_callers.clone()), s.concurrency).await,
    });

    eprintln!("scenario: time report");
    lines.push(Line {
        scenario: "time report by project, admin (API)".into(),
        result: go(server_addr, report_plan(hot_admins.clone()), s.concurrency).await,
    });

    eprintln!("scenario: sign-in storm");
    let storm_users = (s.concurrency / 2).max(1);
    let (storm, during) = tokio::join!(
        go(server_addr, sign_in_plan(hot_callers.clone()), storm_users),
        go(server_addr, list_plan.clone(), s.concurrency),
    );
    lines.push(Line {
        scenario: format!("sign-in storm: sign-ins (Argon2), {storm_users} users"),
        result: storm,
    });
    lines.push(Line {
        scenario: "sign-in storm: tasks list during it".into(),
        result: during.clone(),
    });

    // Live updates: the list with a task created every 200 ms, first without event streams,
    // then with `streams` of them open in the hot workspaces (each creation is an event every
    // stream of its workspace is re-checked for).
    let stream_count = if args.smoke { 50 } else { args.streams };
    eprintln!("scenario: live updates ({stream_count} event streams)");
    let stop = tokio_util::sync::CancellationToken::new();
    let writer = client.spawn(live::trickle(
        server_addr,
        create_plan(hot_admins.clone()),
        Duration::from_millis(200),
        stop.clone(),
    ));
    let without = go(server_addr, list_plan.clone(), s.concurrency).await;
    lines.push(Line {
        scenario: "tasks list, a task created every 200 ms, no event streams".into(),
        result: without.clone(),
    });
    let rss_before = live::rss_bytes();
    let streams = client
        .spawn(live::open(server_addr, hot_callers.clone(), stream_count))
        .await
        .map_err(|e| e.to_string())??;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = live::rss_bytes();
    let with = go(server_addr, list_plan.clone(), s.concurrency).await;
    lines.push(Line {
        scenario: format!(
            "tasks list, a task created every 200 ms, {stream_count} open event streams"
        ),
        result: with.clone(),
    });
    stop.cancel();
    let created = writer.await.unwrap_or(0);
    let (events, ended) = (
        streams.events.load(std::sync::atomic::Ordering::Relaxed),
        streams.ended.load(std::sync::atomic::Ordering::Relaxed),
    );
    streams.close();
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        measures_early.push((
            format!("memory per open event stream ({stream_count} streams; process RSS delta / streams, server and client ends)"),
            format!(
                "{:.1} KiB ({:.1} MiB in all)",
                after.saturating_sub(before) as f64 / 1024.0 / stream_count as f64,
                after.saturating_sub(before) as f64 / 1024.0 / 1024.0
            ),
        ));
    }
    measures_early.push((
        "events the streams received during the live scenario".into(),
        format!("{events} ({created} tasks created; {ended} streams ended early)"),
    ));
    if ended > 0 {
        broken_early.push(format!(
            "{ended} event streams ended before they were closed"
        ));
    }
    if events == 0 {
        broken_early.push("the event streams received no event".into());
    }
    let live_ratio = match (&without, &with) {
        (Ok(a), Ok(b)) => Some((a.p99_ms(), b.p99_ms())),
        _ => None,
    };

    let mem_calm = scale::backend_memory(&admin_pool).await?;

    // Scale.
    let mut measures: Vec<(String, String)> = measures_early;
    let mut uniform = None;
    let mut uniform_base = None;
    let mut zipf = None;
    if !args.skip_scale {
        eprintln!("preparing one session per workspace ({})", all.len());
        let ids: Vec<uuid::Uuid> = all.iter().map(|w| w.member_ids[0]).collect();
        let cookies = seed::session_cookies(&app_pool, &ids, 8).await?;
        let everyone: Arc<Vec<Caller>> = Arc::new(
            all.iter()
                .zip(cookies)
                .map(|(w, cookie)| Caller {
                    ws: w.clone(),
                    user: w.member_ids[0],
                    email: w.member_emails[0].clone(),
                    cookie,
                    token: None,
                })
                .collect(),
        );
        let n = everyone.len();

        eprintln!("scenario: Zipf over {n} workspaces");
        let z = Arc::new(Zipf::new(n, 1.0));
        let callers = everyone.clone();
        let plan: Plan = Arc::new(move |_vu, rng| list_call(&callers[z.sample(rng)]));
        let r = go(server_addr, plan, s.concurrency).await;
        zipf = Some(r.clone());
        lines.push(Line {
            scenario: format!("tasks list, Zipf over {n} workspaces (API)"),
            result: r,
        });

        eprintln!("scenario: uniform over {n} workspaces");
        let callers = everyone.clone();
        let plan: Plan =
            Arc::new(move |_vu, rng| list_call(&callers[rng.random_range(0..callers.len())]));
        let r = go(server_addr, plan, s.concurrency).await;
        uniform = Some(r.clone());
        lines.push(Line {
            scenario: format!("tasks list, uniform over {n} workspaces (API)"),
            result: r,
        });
        let callers = everyone.clone();
        let plan: Plan =
            Arc::new(move |_vu, rng| baseline_call(&callers[rng.random_range(0..callers.len())]));
        let r = go(baseline_addr, plan, s.concurrency).await;
        uniform_base = Some(r.clone());
        lines.push(Line {
            scenario: format!("baseline, uniform over {n} workspaces"),
            result: r,
        });

        let mem_wide = scale::backend_memory(&admin_pool).await?;
        measures.push((
            "PostgreSQL backends of the server pool, after the hot scenarios".into(),
            mem_calm.describe(args.db_max_connections),
        ));
        measures.push((
            format!("... after touching all {n} workspaces"),
            mem_wide.describe(args.db_max_connections),
        ));

        // One-off measures: a failure is reported beside the others, never at the cost of the
        // load table already measured.
        eprintln!("measuring: create workspace");
        match scale::create_workspaces(&app_pool, &keys, s.create_samples).await {
            Ok(times) => measures.push((
                format!("create one workspace (core, {} samples)", times.len()),
                scale::describe_times(&times),
            )),
            Err(e) => failed_measure(&mut measures, &mut broken_early, "create one workspace", e),
        }

        eprintln!("measuring: migrate");
        let present: i64 = sqlx::query_scalar("SELECT count(*) FROM workspaces")
            .fetch_one(&app_pool)
            .await?;
        let t = Instant::now();
        match bastion_core::tenant_migrations::migrate_all(&app_pool, 8, |_, _| {}).await {
            Ok(report) => measures.push((
                format!("migrate_all with nothing to do ({present} schemas)"),
                format!(
                    "{:.1} ms ({} schemas pending)",
                    t.elapsed().as_secs_f64() * 1000.0,
                    report.schemas_total
                ),
            )),
            Err(e) => failed_measure(
                &mut measures,
                &mut broken_early,
                "migrate_all with nothing to do",
                e.into(),
            ),
        }
        match scale::simulate_new_migration(&db::provisioning(&app_pool), 8).await {
            Ok((took, count)) => measures.push((
                format!("one new tenant migration over {count} schemas (simulated, see docs)"),
                format!(
                    "{:.1} s ({:.1} ms per schema, 8 at a time)",
                    took.as_secs_f64(),
                    took.as_secs_f64() * 1000.0 / count.max(1) as f64
                ),
            )),
            Err(e) => failed_measure(
                &mut measures,
                &mut broken_early,
                "one new tenant migration (simulated)",
                e,
            ),
        }
    } else {
        measures.push((
            "PostgreSQL backends of the server pool, after the hot scenarios".into(),
            mem_calm.describe(args.db_max_connections),
        ));
    }

    measures.push(("WASM bundle".into(), scale::wasm_sizes()));

    // The tables.
    println!();
    println!("| scenario | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|");
    let mut broken = broken_early;
    for line in &lines {
        match &line.result {
            Ok(o) => {
                println!(
                    "| {} | {:.0} | {:.2} | {:.2} | {} |",
                    line.scenario,
                    o.rps(),
                    o.p50_ms(),
                    o.p99_ms(),
                    o.errors
                );
                if o.requests == o.errors {
                    broken.push(format!(
                        "{}: no request succeeded ({})",
                        line.scenario,
                        o.first_error.clone().unwrap_or_default()
                    ));
                }
            }
            Err(e) => {
                println!("| {} | - | - | - | failed: {e} |", line.scenario);
                broken.push(format!("{}: {e}", line.scenario));
            }
        }
    }
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    for (k, v) in &measures {
        println!("| {k} | {v} |");
    }
    println!();
    println!("ratios (goals from issue 8):");
    if let (Ok(api), Ok(base)) = (&calm, &base) {
        println!(
            "- trust overhead: tasks API {:.0} req/s vs baseline {:.0} req/s = {:.0} % throughput \
             loss (goal <= 15 %); p99 {:.2} vs {:.2} ms",
            api.rps(),
            base.rps(),
            (1.0 - api.rps() / base.rps()) * 100.0,
            api.p99_ms(),
            base.p99_ms()
        );
    }
    if let (Ok(api), Ok(token)) = (&calm, &token) {
        println!(
            "- API token vs session cookie, same list: {:.0} vs {:.0} req/s = {:.0} % slower \
             (goal <= 10 %); p99 {:.2} vs {:.2} ms",
            token.rps(),
            api.rps(),
            (1.0 - token.rps() / api.rps()) * 100.0,
            token.p99_ms(),
            api.p99_ms()
        );
    }
    if let (Ok(base), Ok(lookup), Ok(entered), Ok(api), Ok(revertible)) =
        (&base, &lookup, &entered, &calm, &revertible)
    {
        let loss = |o: &load::Outcome| (1.0 - o.rps() / base.rps()) * 100.0;
        println!(
            "- the overhead layer by layer, throughput loss vs baseline ({:.0} req/s): caller \
             lookup {:.0} req/s ({:.0} %), + the core's way in (checkout reset, membership, \
             set_user, reset_user) on a bare handler {:.0} req/s ({:.0} %), + the server \
             (extractors, middleware, response) = the API {:.0} req/s ({:.0} %); the API with \
             the revertible switch and a transaction {:.0} req/s ({:.0} %)",
            base.rps(),
            lookup.rps(),
            loss(lookup),
            entered.rps(),
            loss(entered),
            api.rps(),
            loss(api),
            revertible.rps(),
            loss(revertible)
        );
    }
    if let (Ok(calm), Ok(during)) = (&calm, &during) {
        println!(
            "- sign-in storm: tasks list p99 {:.2} ms during vs {:.2} ms calm = {:.2}x (goal <= 2x)",
            during.p99_ms(),
            calm.p99_ms(),
            during.p99_ms() / calm.p99_ms()
        );
    }
    if let (Some(Ok(z)), Ok(calm)) = (&zipf, &calm) {
        println!(
            "- Zipf over all workspaces vs hot workspaces: p99 {:.2} vs {:.2} ms = {:.2}x \
             (goal at 10,000 present: <= 1.2x the 10-workspace value; compare across runs)",
            z.p99_ms(),
            calm.p99_ms(),
            z.p99_ms() / calm.p99_ms()
        );
    }
    if let (Some(Ok(u)), Some(Ok(b))) = (&uniform, &uniform_base) {
        println!(
            "- uniform over all workspaces, API vs raw-SQL floor: p99 {:.2} vs {:.2} ms = {:.2}x; \
             throughput {:.0} vs {:.0} req/s (goal: within 1.5x)",
            u.p99_ms(),
            b.p99_ms(),
            u.p99_ms() / b.p99_ms(),
            u.rps(),
            b.rps()
        );
    }
    if let Some((without, with)) = live_ratio {
        println!(
            "- live updates: tasks list p99 {with:.2} ms with {stream_count} open event streams vs \
             {without:.2} ms without = {:.2}x (goal <= 1.2x)",
            with / without
        );
    }
    for note in &notes {
        println!("- {note}");
    }
    for line in &lines {
        if let Ok(o) = &line.result {
            if o.errors > 0 {
                println!(
                    "- {}: {} errors, first: {}",
                    line.scenario,
                    o.errors,
                    o.first_error.clone().unwrap_or_default()
                );
            }
        }
    }

    app_pool.close().await;
    server_pool.close().await;
    admin_pool.close().await;
    baseline_pool.close().await;
    drop(pg);
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken.join("; ").into())
    }
}
