//! Seeding: workspaces with members of every role, projects, tags, tasks (some private, some
//! tagged, assigned and shared with a guest), comments and time entries, all written through the
//! core functions the server uses. A few "hot" workspaces get a few hundred tasks; the rest
//! get a handful, as most workspaces of a real service are small and quiet.
//!
//! Resumable: every finished workspace is recorded in `bench_seeded` (a bookkeeping table of
//! the bench in `public`, owned by the superuser), so a run with a larger `--workspaces` on the
//! same `--data-dir` seeds only the difference.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use bastion_core::{
    accounts,
    keys::MasterKeyRing,
    time_entries::{self, NewTimeEntry},
    work::{
        comments, projects, tags,
        tasks::{self, NewTask},
        Viewer,
    },
    workspaces, Actor, Slug, TenantTx,
};
use futures::{stream, StreamExt, TryStreamExt};
use sqlx::PgPool;
use uuid::Uuid;

pub const PASSWORD: &str = "bench correct horse battery";
const TEMPLATE_EMAIL: &str = "template@bench.example";

/// How much content one workspace gets.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub hot_workspaces: usize,
    pub hot_tasks: usize,
    pub cold_tasks: usize,
}

/// A seeded workspace as the load scenarios need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeededWs {
    pub idx: i32,
    pub slug: String,
    pub workspace_id: Uuid,
    pub admin_id: Uuid,
    pub member_ids: Vec<Uuid>,
    pub member_emails: Vec<String>,
    pub project_id: Uuid,
    pub hot: bool,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub async fn prepare(admin: &PgPool) -> Result<(), BoxError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS public.bench_seeded (
             idx int PRIMARY KEY,
             slug text NOT NULL,
             workspace_id uuid NOT NULL,
             admin_id uuid NOT NULL,
             member_ids uuid[] NOT NULL,
             member_emails text[] NOT NULL,
             project_id uuid NOT NULL,
             hot boolean NOT NULL
         )",
    )
    .execute(admin)
    .await?;
    Ok(())
}

pub async fn seeded(admin: &PgPool) -> Result<Vec<SeededWs>, BoxError> {
    Ok(
        sqlx::query_as("SELECT * FROM public.bench_seeded ORDER BY idx")
            .fetch_all(admin)
            .await?,
    )
}

/// Seeds workspaces `0..n` that are not seeded yet, `concurrency` at a time, printing progress
/// to stderr. Returns how many were seeded in this run and how long it took.
pub async fn seed(
    app: &PgPool,
    admin: &PgPool,
    keys: &MasterKeyRing,
    n: usize,
    sizes: Sizes,
    concurrency: usize,
) -> Result<(usize, Duration), BoxError> {
    let done: Vec<i32> = sqlx::query_scalar("SELECT idx FROM public.bench_seeded")
        .fetch_all(admin)
        .await?;
    let todo: Vec<usize> = (0..n).filter(|i| !done.contains(&(*i as i32))).collect();
    if todo.is_empty() {
        return Ok((0, Duration::ZERO));
    }
    let template_hash = template_hash(app, admin).await?;
    let total = todo.len();
    let counter = AtomicUsize::new(0);
    let started = Instant::now();
    let last_report = std::sync::Mutex::new(Instant::now());
    eprintln!("seeding {total} workspaces ({concurrency} at a time)...");
    stream::iter(todo)
        .map(|idx| {
            let template_hash = &template_hash;
            let counter = &counter;
            let last_report = &last_report;
            async move {
                let hot = idx < sizes.hot_workspaces;
                let tasks = if hot {
                    sizes.hot_tasks
                } else {
                    sizes.cold_tasks
                };
                let ws = seed_workspace(app, keys, idx, hot, tasks, template_hash).await?;
                record(admin, &ws).await?;
                let k = counter.fetch_add(1, Ordering::Relaxed) + 1;
                let mut last = last_report.lock().unwrap();
                if last.elapsed() > Duration::from_secs(5) || k == total {
                    *last = Instant::now();
                    let rate = k as f64 / started.elapsed().as_secs_f64();
                    eprintln!(
                        "  seeded {k}/{total} ({rate:.1}/s, about {:.0} s left)",
                        (total - k) as f64 / rate
                    );
                }
                Ok::<_, BoxError>(())
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect::<()>()
        .await?;
    Ok((total, started.elapsed()))
}

/// One Argon2 hash made by the core (`create_user`), copied to every seeded user: hashing
/// tens of thousands of passwords would take hours and measure nothing the bench cares about.
async fn template_hash(app: &PgPool, admin: &PgPool) -> Result<String, BoxError> {
    if accounts::find_user_by_email(app, TEMPLATE_EMAIL)
        .await?
        .is_none()
    {
        accounts::create_user(app, TEMPLATE_EMAIL, "Template", PASSWORD).await?;
    }
    Ok(
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
            .bind(TEMPLATE_EMAIL)
            .fetch_one(admin)
            .await?,
    )
}

async fn users(
    app: &PgPool,
    prefix: &str,
    n: usize,
    hash: &str,
) -> Result<Vec<(Uuid, String)>, BoxError> {
    let emails: Vec<String> = (0..n)
        .map(|j| format!("{prefix}{j}@bench.example"))
        .collect();
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    let names: Vec<String> = (0..n).map(|j| format!("{prefix} {j}")).collect();
    // A re-run over a half-seeded index finds its users already there.
    Ok(sqlx::query_as(
        "INSERT INTO users (id, email, name, password_hash)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]), (SELECT $4::text) h
         ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name
         RETURNING id, email",
    )
    .bind(&ids)
    .bind(&emails)
    .bind(&names)
    .bind(hash)
    // The upsert changes a name, which the serving login may not: the provisioning login's.
    .fetch_all(&bastion_core::db::provisioning(app))
    .await?)
}

const DESCRIPTION: &str = "Check the **supplier contract** against the new data-processing \
    agreement.\n\n- clause 4: sub-processors\n- clause 7: retention\n\nSee the shared folder \
    for the signed copy; ask legal if anything is unclear.";

async fn seed_workspace(
    app: &PgPool,
    keys: &MasterKeyRing,
    idx: usize,
    hot: bool,
    n_tasks: usize,
    hash: &str,
) -> Result<SeededWs, BoxError> {
    // `--cold-tasks 0` makes "present" workspaces as cheaply as possible (an admin, a member,
    // no content), to reach 10,000 in reasonable time.
    let bare = !hot && n_tasks == 0;
    let (n_members, n_guests, n_projects, n_tags) = match (hot, bare) {
        (true, _) => (8, 2, 3, 6),
        (false, false) => (2, 1, 1, 3),
        (false, true) => (1, 0, 0, 0),
    };
    let admins = users(app, &format!("w{idx}-admin"), 1, hash).await?;
    let members = users(app, &format!("w{idx}-member"), n_members, hash).await?;
    let guests = users(app, &format!("w{idx}-guest"), n_guests, hash).await?;
    let admin_id = admins[0].0;

    // A random suffix: a workspace left half-seeded by an interrupted run keeps its slug.
    let suffix: u16 = rand::random();
    let slug = Slug::parse(&format!("bench-{idx:05}-{suffix:04x}"))?;
    let ws = workspaces::create_workspace(app, keys, &slug, &format!("Bench {idx}")).await?;
    let schema = ws.schema();
    for (id, _) in &admins {
        add_member(app, &ws, *id, "admin").await?;
    }
    for (id, _) in &members {
        add_member(app, &ws, *id, "member").await?;
    }
    for (id, _) in &guests {
        add_member(app, &ws, *id, "guest").await?;
    }

    if bare {
        return Ok(SeededWs {
            idx: idx as i32,
            slug: ws.slug,
            workspace_id: ws.id.0,
            admin_id,
            member_ids: members.iter().map(|(id, _)| *id).collect(),
            member_emails: members.iter().map(|(_, e)| e.clone()).collect(),
            project_id: Uuid::nil(),
            hot,
        });
    }
    let admin_viewer = Viewer::new(admin_id, bastion_core::Role::Admin);
    let mut tx = begin(app, &schema, Actor::User(admin_id)).await?;
    let mut project_ids = Vec::new();
    for p in 0..n_projects {
        let project =
            projects::create_project(&mut tx, &admin_viewer, &format!("Project {p}")).await?;
        project_ids.push(project.id);
    }
    let mut tag_ids = Vec::new();
    for t in 0..n_tags {
        let tag = tags::create_tag(&mut tx, &admin_viewer, &format!("tag-{t}"), None).await?;
        tag_ids.push(tag.id);
    }
    tx.commit().await?;

    // Tasks are written by the admin and the members in turn, each in their own transaction.
    let creators: Vec<(Uuid, &str)> = std::iter::once((admin_id, "admin"))
        .chain(members.iter().map(|(id, _)| (*id, "member")))
        .collect();
    let today = time::OffsetDateTime::now_utc();
    for (c, (creator, role)) in creators.iter().enumerate() {
        let viewer = Viewer::new(*creator, bastion_core::Role::parse(role).unwrap());
        let mut tx = begin(app, &schema, Actor::User(*creator)).await?;
        for k in (c..n_tasks).step_by(creators.len()) {
            let assignee = members.get(k % (n_members + 1)).map(|(id, _)| *id);
            let task = tasks::create_task(
                &mut tx,
                &viewer,
                NewTask {
                    project_id: project_ids[k % project_ids.len()],
                    title: format!("Task {k}: review the supplier contract"),
                    description: Some(DESCRIPTION.to_owned()),
                    status: Some(tasks::STATUSES[k % 3].to_owned()),
                    priority: Some(tasks::PRIORITIES[k % 4].to_owned()),
                    assignee_id: assignee,
                    due_on: (k % 3 == 0)
                        .then(|| (today + time::Duration::days(k as i64 % 40)).date()),
                    private: k % 10 == 0,
                },
            )
            .await?;
            if k % 2 == 0 {
                tags::add_task_tag(&mut tx, &viewer, task.id, tag_ids[k % tag_ids.len()]).await?;
            }
            if k % 5 == 0 {
                comments::create_comment(&mut tx, &viewer, task.id, "Looked at it; see clause 4.")
                    .await?;
            }
            if k % 4 == 0 {
                time_entries::create(
                    &mut tx,
                    bastion_core::Viewer {
                        user_id: *creator,
                        role: bastion_core::Role::parse(role).unwrap(),
                    },
                    &NewTimeEntry {
                        task_id: task.id,
                        user_id: *creator,
                        started_at: today - time::Duration::hours(k as i64 % 500),
                        minutes: 15 + (k % 90) as i32,
                        billable: k % 3 != 0,
                        rate_cents: 9_500,
                        note: "Contract review".into(),
                    },
                )
                .await?;
            }
            if k % 25 == 1 && !task.private {
                if let Some((guest, _)) = guests.first() {
                    if *role == "admin" {
                        tasks::add_task_viewer(&mut tx, &viewer, task.id, *guest).await?;
                    }
                }
            }
        }
        tx.commit().await?;
    }

    Ok(SeededWs {
        idx: idx as i32,
        slug: ws.slug,
        workspace_id: ws.id.0,
        admin_id,
        member_ids: members.iter().map(|(id, _)| *id).collect(),
        member_emails: members.iter().map(|(_, e)| e.clone()).collect(),
        project_id: project_ids[0],
        hot,
    })
}

/// How often switching into a just-created workspace role was refused (see [`add_member`]).
pub static SET_ROLE_RETRIES: AtomicUsize = AtomicUsize::new(0);

/// `accounts::add_member`, retried when PostgreSQL refuses `SET ROLE` into the workspace role
/// that another connection created and granted a moment ago. Seen while other workspaces are
/// being created concurrently (their `CREATE ROLE`/`GRANT` churn the role-membership cache of
/// every backend); the grant is committed, and a retry on the next transaction succeeds. The
/// count is printed: in production this would be a failed first request after a signup.
async fn add_member(
    app: &PgPool,
    ws: &workspaces::Workspace,
    user: Uuid,
    role: &str,
) -> Result<(), BoxError> {
    let mut attempt = 0;
    loop {
        match accounts::add_member(app, ws, user, role, Actor::System).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 20 && e.to_string().contains("permission denied to set role") => {
                attempt += 1;
                SET_ROLE_RETRIES.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// `TenantTx::begin` with the same retry as [`add_member`].
async fn begin(
    app: &PgPool,
    schema: &bastion_core::TenantSchema,
    actor: Actor,
) -> Result<TenantTx, BoxError> {
    let mut attempt = 0;
    loop {
        match TenantTx::begin(app, schema, actor).await {
            Ok(tx) => return Ok(tx),
            Err(e) if attempt < 20 && e.to_string().contains("permission denied to set role") => {
                attempt += 1;
                SET_ROLE_RETRIES.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn record(admin: &PgPool, ws: &SeededWs) -> Result<(), BoxError> {
    sqlx::query(
        "INSERT INTO public.bench_seeded
             (idx, slug, workspace_id, admin_id, member_ids, member_emails, project_id, hot)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ws.idx)
    .bind(&ws.slug)
    .bind(ws.workspace_id)
    .bind(ws.admin_id)
    .bind(&ws.member_ids)
    .bind(&ws.member_emails)
    .bind(ws.project_id)
    .bind(ws.hot)
    .execute(admin)
    .await?;
    Ok(())
}

/// A session for `user_id`, as a `Cookie` header value, made by the core like a sign-in makes
/// it (the Argon2 check of a real sign-in is what the storm scenario measures, not this).
pub async fn session_cookie(app: &PgPool, user_id: Uuid) -> Result<String, BoxError> {
    let (token, _) = bastion_core::sessions::create(app, user_id, Some("bastion-bench")).await?;
    let set = bastion_core::sessions::set_cookie_value(&token, false);
    Ok(set.split(';').next().unwrap_or_default().to_owned())
}

/// An API token of `user_id` for the workspace, as the API-access page makes one.
pub async fn api_token(app: &PgPool, user_id: Uuid, workspace: Uuid) -> Result<String, BoxError> {
    let (_, secret) = bastion_core::api_tokens::create(
        app,
        user_id,
        bastion_core::WorkspaceId(workspace),
        "bastion-bench",
        None,
    )
    .await?;
    Ok(secret.expose().to_owned())
}

/// Sessions for many callers at once, `concurrency` inserts in flight.
pub async fn session_cookies(
    app: &PgPool,
    users: &[Uuid],
    concurrency: usize,
) -> Result<Vec<String>, BoxError> {
    stream::iter(users.iter().copied())
        .map(|id| session_cookie(app, id))
        .buffered(concurrency.max(1))
        .try_collect()
        .await
}
