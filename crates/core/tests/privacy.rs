//! Plans, the job queue, workspace export and erasure, against the real PostgreSQL and a real
//! directory as object storage.

mod common;

use std::{
    collections::BTreeMap,
    io::Read,
    path::{Path, PathBuf},
};

use bastion_core::{
    attachments::{self, Objects, Upload},
    exports, integrations, jobs,
    keys::{Key, MasterKeyRing},
    secrets, sessions,
    testing::TestDb,
    workspaces::{self, Workspace},
    Actor, CoreError, Slug, Viewer,
};
use bastion_fernet::MultiFernet;
use bytes::Bytes;
use common::*;
use sqlx::{Connection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

const TOKEN_A: &str = "ghp_AlphaSecretToken0123456789abcdefXYZ";

struct Seeded {
    ws: Workspace,
    admin: Uuid,
    integration: Uuid,
}

/// A workspace with one row in every tenant table, each text carrying `marker`, an attachment
/// whose bytes carry it too, and an integration whose token is `token`.
async fn seed(
    pool: &PgPool,
    master: &MasterKeyRing,
    objects: &Objects,
    slug: &str,
    marker: &str,
    token: &str,
) -> Seeded {
    let ws = workspaces::create_workspace(pool, master, &Slug::parse(slug).unwrap(), slug)
        .await
        .unwrap();
    let admin = user(
        pool,
        &format!("{slug}-admin@example.eu"),
        &format!("Admin {marker}"),
    )
    .await
    .id;
    join(pool, &ws, admin, "admin").await;
    let mut tx = as_user(pool, &ws, admin).await;
    let c = tx.conn();
    let project = add_project(c, &format!("Project {marker}")).await;
    let (task, tag) = (Uuid::new_v4(), Uuid::new_v4());
    sqlx::query(
        "WITH n AS (UPDATE projects SET last_task_number = last_task_number + 1
                     WHERE id = $2 RETURNING last_task_number)
         INSERT INTO tasks (id, project_id, title, description, created_by, number)
         SELECT $1, $2, $3, $4, $5, n.last_task_number FROM n",
    )
    .bind(task)
    .bind(project)
    .bind(format!("Task {marker}"))
    .bind(format!("=cmd|' {marker}, \"quoted\"\nnext line"))
    .bind(admin)
    .execute(&mut *c)
    .await
    .unwrap();
    sqlx::query("INSERT INTO tags (id, name) VALUES ($1, $2)")
        .bind(tag)
        .bind(format!("tag-{marker}"))
        .execute(&mut *c)
        .await
        .unwrap();
    sqlx::query("INSERT INTO task_tags (task_id, tag_id) VALUES ($1, $2)")
        .bind(task)
        .bind(tag)
        .execute(&mut *c)
        .await
        .unwrap();
    add_viewer(c, task, admin).await;
    // A comment and a time entry on the task, by the admin: (id, task, admin, text).
    for (insert, text) in [
        (
            "INSERT INTO comments (id, task_id, author_id, body) VALUES ($1, $2, $3, $4)",
            format!("Comment {marker}"),
        ),
        (
            "INSERT INTO time_entries (id, task_id, user_id, started_at, minutes, rate_cents, note)
             VALUES ($1, $2, $3, now(), 90, 8500, $4)",
            format!("Time {marker}"),
        ),
    ] {
        sqlx::query(insert)
            .bind(Uuid::new_v4())
            .bind(task)
            .bind(admin)
            .bind(text)
            .execute(&mut *c)
            .await
            .unwrap();
    }
    attachments::upload(
        &mut tx,
        objects,
        ws.id,
        Viewer {
            user_id: admin,
            role: bastion_core::Role::Admin,
        },
        task,
        Upload {
            filename: format!("notes-{marker}.txt"),
            content_type: Some("text/plain".into()),
            bytes: Bytes::from(format!("file body {marker}")),
        },
        1024,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (mut tx, key) = secrets::begin_with_data_key(pool, master, ws.id, Actor::User(admin))
        .await
        .unwrap();
    let integration = integrations::add_integration(
        &mut tx,
        &key,
        "github",
        &format!("GitHub {marker}"),
        &token.into(),
    )
    .await
    .unwrap()
    .id;
    tx.commit().await.unwrap();
    Seeded {
        ws,
        admin,
        integration,
    }
}

fn read_archive(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut files = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.insert(entry.name().unwrap().into_owned(), bytes);
    }
    files
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Rows per table of a workspace schema, counted as the superuser.
async fn row_counts(db: &TestDb, ws: &Workspace) -> BTreeMap<String, i64> {
    let mut conn = admin(db).await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 AND tablename <> '_bastion_migrations'",
    )
    .bind(ws.schema().as_str())
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut counts = BTreeMap::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {}.\"{table}\"",
            ws.schema().quoted()
        )))
        .fetch_one(&mut conn)
        .await
        .unwrap();
        counts.insert(table, n);
    }
    counts
}

#[tokio::test]
async fn plans_are_checked_and_drive_retention() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    assert_eq!(ws.plan, "starter");
    let admin = Viewer::new(Uuid::new_v4(), bastion_core::Role::Admin);
    let member = Viewer::new(Uuid::new_v4(), bastion_core::Role::Member);
    let err = workspaces::set_plan(&db.pool, member, &ws, "business")
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::Forbidden(_)), "{err}");
    let ws = workspaces::set_plan(&db.pool, admin, &ws, "business")
        .await
        .unwrap();
    assert_eq!(ws.plan, "business");
    assert_eq!(
        bastion_core::audit::retention(&ws.plan),
        time::Duration::days(3 * 365)
    );
    let err = workspaces::set_plan(&db.pool, admin, &ws, "enterprise")
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Invalid { field: "plan", .. }),
        "{err}"
    );
    let renamed = workspaces::rename(&db.pool, admin, &ws, "  Acme Corp  ")
        .await
        .unwrap();
    assert_eq!(renamed.name, "Acme Corp");
}

#[tokio::test]
async fn a_lease_is_held_by_one_runner_and_taken_over_when_it_expires() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let job = jobs::enqueue(&db.pool, "export", ws.id, None)
        .await
        .unwrap();
    assert_eq!(job.state, "queued");

    // Two runners at once: exactly one gets the job.
    let (a, b) = tokio::join!(
        jobs::lease(&db.pool, "export", jobs::LEASE),
        jobs::lease(&db.pool, "export", jobs::LEASE)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.is_some() != b.is_some(), "one runner, not two");
    let first = a.or(b).unwrap();
    assert_eq!(first.job.id, job.id);
    assert!(jobs::lease(&db.pool, "export", jobs::LEASE)
        .await
        .unwrap()
        .is_none());
    jobs::progress(&db.pool, &first, 3, 10).await.unwrap();

    // The process "dies": its lease runs out and another runner takes the job over.
    sqlx::query("UPDATE jobs SET leased_until = now() - interval '1 second' WHERE id = $1")
        .bind(job.id)
        .execute(&db.pool)
        .await
        .unwrap();
    let second = jobs::lease(&db.pool, "export", jobs::LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((second.job.id, second.job.attempts), (job.id, 2));
    // The first runner, should it wake up, can no longer write anything.
    assert!(matches!(
        jobs::progress(&db.pool, &first, 9, 10).await,
        Err(CoreError::Conflict { .. })
    ));
    assert!(matches!(
        jobs::finish(&db.pool, &first, OffsetDateTime::now_utc()).await,
        Err(CoreError::Conflict { .. })
    ));
    jobs::progress(&db.pool, &second, 5, 10).await.unwrap();
    let seen = jobs::get(&db.pool, ws.id, job.id).await.unwrap().unwrap();
    assert_eq!(
        (seen.state.as_str(), seen.progress_done, seen.progress_total),
        ("running", 5, 10)
    );

    // A job that keeps dying is given up after MAX_ATTEMPTS.
    for _ in 0..2 {
        sqlx::query("UPDATE jobs SET leased_until = now() - interval '1 second' WHERE id = $1")
            .bind(job.id)
            .execute(&db.pool)
            .await
            .unwrap();
        let _ = jobs::lease(&db.pool, "export", jobs::LEASE).await.unwrap();
    }
    let seen = jobs::get(&db.pool, ws.id, job.id).await.unwrap().unwrap();
    assert_eq!(seen.state, "failed");
}

#[tokio::test]
async fn a_stopping_runner_leases_nothing_and_a_released_job_goes_to_the_next_runner() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let objects = Objects::local(&dir.path().join("objects")).unwrap();
    let ws = workspace(&db.pool, "acme").await;
    let job = jobs::enqueue(&db.pool, "export", ws.id, None)
        .await
        .unwrap();

    // Shutdown has begun: the queued job is left for another server.
    let stop = jobs::Stop::default();
    stop.draining.cancel();
    let report = exports::run_pending_until(&db.pool, &objects, &stop)
        .await
        .unwrap();
    assert_eq!(report.exports_built, 0, "{report:?}");
    let seen = jobs::get(&db.pool, ws.id, job.id).await.unwrap().unwrap();
    assert_eq!((seen.state.as_str(), seen.attempts), ("queued", 0));

    // A runner stopping mid-job gives it back: at once, without the attempt counting, and its
    // own later writes change nothing.
    let first = jobs::lease(&db.pool, "export", jobs::LEASE)
        .await
        .unwrap()
        .unwrap();
    jobs::release(&db.pool, &first).await.unwrap();
    let seen = jobs::get(&db.pool, ws.id, job.id).await.unwrap().unwrap();
    assert_eq!((seen.state.as_str(), seen.attempts), ("queued", 0));
    let second = jobs::lease(&db.pool, "export", jobs::LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((second.job.id, second.job.attempts), (job.id, 1));
    assert!(matches!(
        jobs::progress(&db.pool, &first, 1, 2).await,
        Err(CoreError::Conflict { .. })
    ));
    // Releasing a lease that is no longer ours leaves the new holder's job alone.
    jobs::release(&db.pool, &first).await.unwrap();
    jobs::progress(&db.pool, &second, 1, 2).await.unwrap();
}

#[tokio::test]
async fn an_export_holds_every_row_of_every_table_and_nothing_else() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let objects = Objects::local(&dir.path().join("objects")).unwrap();
    let master = bastion_core::testing::master_keys();
    let a = seed(&db.pool, master, &objects, "alpha", "MARKER-ALPHA", TOKEN_A).await;
    let _b = seed(
        &db.pool,
        master,
        &objects,
        "beta",
        "MARKER-BETA",
        "ghp_BetaSecretToken0123456789abcdefXYZ",
    )
    .await;

    let job = exports::start(
        &db.pool,
        Viewer::new(a.admin, bastion_core::Role::Admin),
        &a.ws,
    )
    .await
    .unwrap();
    let report = exports::run_pending(&db.pool, &objects).await.unwrap();
    assert_eq!(report.exports_built, 1, "{report:?}");
    let exporter = Viewer::new(a.admin, bastion_core::Role::Admin);
    let job = exports::get(&db.pool, exporter, &a.ws, job.id)
        .await
        .unwrap();
    assert_eq!(job.state, "done");
    assert!(job.progress_total > 0 && job.progress_done == job.progress_total);
    let archive = exports::downloadable(&objects, &job, OffsetDateTime::now_utc())
        .await
        .unwrap()
        .expect("a finished archive");
    // Under the workspace's prefix, so that erasing the prefix takes the archive too.
    assert!(archive
        .key
        .starts_with(&format!("{}/exports/", Objects::workspace_prefix(a.ws.id))));
    let path = dir.path().join("objects").join(&archive.key);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), archive.size);

    let files = read_archive(&path);
    let mut counts = row_counts(&db, &a.ws).await;
    for table in [
        "members",
        "projects",
        "tasks",
        "tags",
        "task_tags",
        "task_viewers",
        "comments",
        "time_entries",
        "attachments",
        "history",
        "integrations",
    ] {
        assert!(counts.get(table).is_some_and(|n| *n > 0), "{table} seeded");
    }
    // The audit history is the one table left out, on every plan (this one is Starter): it is
    // exported as a file by the audit export, a Business feature.
    assert_eq!(a.ws.plan, "starter");
    counts.remove("history");
    assert!(!files.keys().any(|name| name.starts_with("history")));
    for (table, rows) in &counts {
        let json: Vec<serde_json::Value> =
            serde_json::from_slice(&files[&format!("{table}.json")]).unwrap();
        assert_eq!(json.len() as i64, *rows, "{table}.json");
        let csv = String::from_utf8(files[&format!("{table}.csv")].clone()).unwrap();
        // Fields may hold quoted line breaks: count records by parsing the quotes.
        let mut records = 0;
        let mut quoted = false;
        let mut chars = csv.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => quoted = !quoted,
                '\r' if !quoted && chars.peek() == Some(&'\n') => records += 1,
                _ => {}
            }
        }
        assert_eq!(records - 1, *rows, "{table}.csv (plus its header)");
    }
    // Every table of the schema is in the archive, and no file but the known ones.
    let expected: std::collections::BTreeSet<String> = counts
        .keys()
        .flat_map(|t| [format!("{t}.json"), format!("{t}.csv")])
        .chain(["manifest.json", "people.json", "people.csv"].map(String::from))
        .collect();
    let (attachment_files, others): (Vec<_>, Vec<_>) =
        files.keys().partition(|name| name.starts_with("files/"));
    assert_eq!(
        others
            .into_iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        expected
    );
    assert_eq!(attachment_files.len() as i64, counts["attachments"]);
    assert_eq!(
        files[attachment_files[0]],
        b"file body MARKER-ALPHA".to_vec()
    );

    let all: Vec<u8> = files.values().flatten().copied().collect();
    let text = String::from_utf8_lossy(&all);
    assert!(text.contains("MARKER-ALPHA") && text.contains("Admin MARKER-ALPHA"));
    assert!(!text.contains("MARKER-BETA"), "no other workspace's data");
    assert!(!text.contains("beta-admin@example.eu"));
    // The integration is there (kind, name, last four), its token neither in plaintext nor as
    // ciphertext.
    assert!(text.contains(&a.integration.to_string()));
    assert!(!text.contains(TOKEN_A) && !text.contains(&TOKEN_A[..20]));
    assert!(!text.contains("gAAAAA"), "no Fernet token in the archive");
    assert!(!text.contains("token_ciphertext"));
    // CSV cells a spreadsheet would run as a formula are defused.
    let tasks_csv = String::from_utf8_lossy(&files["tasks.csv"]);
    assert!(tasks_csv.contains("\"'=cmd|' MARKER-ALPHA, \"\"quoted\"\"\nnext line\""));

    // After seven days the runner deletes the archive and the job.
    sqlx::query("UPDATE jobs SET expires_at = now() - interval '1 minute' WHERE id = $1")
        .bind(job.id)
        .execute(&db.pool)
        .await
        .unwrap();
    let report = exports::run_pending(&db.pool, &objects).await.unwrap();
    assert_eq!(report.archives_deleted, 1);
    assert!(!objects.exists(&archive.key).await.unwrap());
    assert!(matches!(
        exports::get(&db.pool, exporter, &a.ws, job.id).await,
        Err(CoreError::NotFound("export"))
    ));
}

/// The rule of PRODUCT.md §2/§8 as the export applies it: the workspace export never carries
/// the audit history, whatever the plan, and the history's own export stays Business-only.
#[tokio::test]
async fn the_audit_history_leaves_only_through_the_business_audit_export() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let objects = Objects::local(&dir.path().join("objects")).unwrap();
    let master = bastion_core::testing::master_keys();
    let a = seed(&db.pool, master, &objects, "alpha", "MARKER-ALPHA", TOKEN_A).await;
    let admin = Viewer::new(a.admin, bastion_core::Role::Admin);
    assert!(
        row_counts(&db, &a.ws).await["history"] > 0,
        "history seeded"
    );

    for plan in ["starter", "pro", "business"] {
        let ws = workspaces::set_plan(&db.pool, admin, &a.ws, plan)
            .await
            .unwrap();
        let path = dir.path().join(format!("{plan}.zip"));
        exports::build(&db.pool, &objects, &ws, &path, None)
            .await
            .unwrap();
        let files = read_archive(&path);
        assert!(
            files.contains_key("tasks.json"),
            "{plan}: the data is there"
        );
        let history: Vec<_> = files.keys().filter(|n| n.starts_with("history")).collect();
        assert!(history.is_empty(), "{plan}: {history:?}");
        let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert!(
            manifest["omitted"]["the audit history"].is_string(),
            "{plan}: the manifest says why: {manifest}"
        );

        let mut tx = tenant(&db.pool, &ws).await;
        let filter = bastion_core::audit::HistoryFilter::default();
        let audit_export =
            bastion_core::audit::export(&mut tx, admin, &ws.plan, "json", &filter).await;
        tx.rollback().await.unwrap();
        match plan {
            "business" => assert!(audit_export.is_ok(), "{audit_export:?}"),
            _ => assert!(
                matches!(audit_export, Err(CoreError::Forbidden(_))),
                "{plan}: {audit_export:?}"
            ),
        }
    }
}

#[tokio::test]
async fn erasure_leaves_nothing_but_a_receipt_and_an_old_dump_cannot_be_decrypted() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let objects_dir = dir.path().join("objects");
    let objects = Objects::local(&objects_dir).unwrap();
    let old_key = Key::generate();
    let old_ring = MasterKeyRing::new(vec![old_key.clone()]).unwrap();
    let a = seed(
        &db.pool,
        &old_ring,
        &objects,
        "alpha",
        "MARKER-ALPHA",
        TOKEN_A,
    )
    .await;
    let b = seed(
        &db.pool,
        &old_ring,
        &objects,
        "beta",
        "MARKER-BETA",
        "ghp_BetaSecretToken0123456789abcdefXYZ",
    )
    .await;
    // A member of alpha who also belongs to beta keeps their session; alpha's own admin, who
    // belongs to nothing else, loses theirs.
    let both = user(&db.pool, "both@example.eu", "Both").await;
    join(&db.pool, &a.ws, both.id, "member").await;
    join(&db.pool, &b.ws, both.id, "member").await;
    sessions::create(&db.pool, a.admin, None).await.unwrap();
    sessions::create(&db.pool, both.id, None).await.unwrap();
    exports::start(
        &db.pool,
        Viewer::new(a.admin, bastion_core::Role::Admin),
        &a.ws,
    )
    .await
    .unwrap();
    exports::run_pending(&db.pool, &objects).await.unwrap();
    sqlx::query(
        "INSERT INTO invitations (id, workspace_id, email, role, token_hash, expires_at)
         VALUES ($1, $2, 'new@example.eu', 'member', $3, now() + interval '1 day')",
    )
    .bind(Uuid::new_v4())
    .bind(a.ws.id)
    .bind(vec![1u8; 32])
    .execute(&db.pool)
    .await
    .unwrap();
    // An invitation mailed and sent: the sent row keeps its invitee and a subject that names
    // the workspace, until the workspace goes.
    let inviter = bastion_core::accounts::find_user(&db.pool, a.admin)
        .await
        .unwrap()
        .unwrap();
    bastion_core::invitations::invite(
        &db.pool,
        &old_ring,
        &a.ws,
        Viewer::new(a.admin, bastion_core::Role::Admin),
        &inviter,
        bastion_core::invitations::Invitee {
            email: "invitee@example.eu",
            role: "member",
        },
        "https://bastion.example",
    )
    .await
    .unwrap();
    let sent = bastion_core::mail::deliver(&db.pool, &old_ring, 10, |_| async { Ok(()) })
        .await
        .unwrap();
    assert_eq!(sent, 1);

    let ciphertext: String = {
        let mut conn = admin(&db).await;
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT token_ciphertext FROM {}.integrations WHERE id = $1",
            a.ws.schema().quoted()
        )))
        .bind(a.integration)
        .fetch_one(&mut conn)
        .await
        .unwrap()
    };
    let dump = db.pg_dump();
    assert!(
        dump.contains(&ciphertext),
        "the backup holds the ciphertext"
    );
    let prefix = objects_dir.join(Objects::workspace_prefix(a.ws.id));
    assert!(!files_under(&prefix).is_empty());
    assert!(
        !files_under(&prefix.join("exports")).is_empty(),
        "the export archive is under the workspace's prefix"
    );

    let receipt = workspaces::erase(&db.pool, &objects, &a.ws, Actor::User(a.admin))
        .await
        .unwrap();
    assert_eq!(receipt.slug, "alpha");
    assert_eq!(receipt.requested_by, a.admin.to_string());
    assert!(receipt.storage_purged_at.is_some());

    let mut conn = admin(&db).await;
    let schema = a.ws.schema().as_str().to_owned();
    for (what, sql) in [
        (
            "schema",
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
        ),
        ("role", "SELECT count(*) FROM pg_roles WHERE rolname = $1"),
    ] {
        let n: i64 = sqlx::query_scalar(sql)
            .bind(&schema)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "{what} of the erased workspace");
    }
    for (what, sql) in [
        ("workspace", "SELECT count(*) FROM workspaces WHERE id = $1"),
        (
            "data key",
            "SELECT count(*) FROM workspace_keys WHERE workspace_id = $1",
        ),
        (
            "directory",
            "SELECT count(*) FROM workspace_directory WHERE workspace_id = $1",
        ),
        (
            "invitations",
            "SELECT count(*) FROM invitations WHERE workspace_id = $1",
        ),
        ("jobs", "SELECT count(*) FROM jobs WHERE workspace_id = $1"),
        (
            "receipt",
            "SELECT count(*) - 1 FROM erasure_receipts WHERE workspace_id = $1",
        ),
    ] {
        let n: i64 = sqlx::query_scalar(sql)
            .bind(a.ws.id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "{what} of the erased workspace");
    }
    let leftovers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class WHERE relnamespace::regnamespace::text = $1",
    )
    .bind(&schema)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(leftovers, 0, "no table of the erased workspace");
    assert!(
        files_under(&prefix).is_empty() && !prefix.exists(),
        "objects and export archives purged"
    );
    // Nothing of the workspace is left in the control plane but its receipt: not the mail
    // about it either.
    let after = db.pg_dump();
    for trace in ["invitee@example.eu", "invited you to"] {
        assert!(dump.contains(trace), "{trace} was there before");
        assert!(!after.contains(trace), "{trace} outlives the erasure");
    }
    // The other workspace is untouched.
    assert!(!files_under(&objects_dir.join(Objects::workspace_prefix(b.ws.id))).is_empty());
    assert_eq!(row_counts(&db, &b.ws).await["tasks"], 1);
    // Sessions: the admin who had only alpha is signed out everywhere; the other keeps theirs.
    assert_eq!(session_count(&db.pool, a.admin).await, 0);
    assert_eq!(session_count(&db.pool, both.id).await, 1);

    // The running system cannot decrypt the backup's ciphertext: the data key is gone.
    assert!(matches!(
        secrets::data_key(&db.pool, &old_ring, a.ws.id).await,
        Err(CoreError::NotFound(_))
    ));
    // The backup still holds the wrapped key, under the master key of its day: with that key
    // it would open (which is what makes the check below meaningful)...
    let wrapped_in_dump = dump
        .lines()
        .find(|l| l.starts_with(&a.ws.id.0.to_string()) && l.contains("gAAAAA"))
        .and_then(|l| l.split('\t').nth(1))
        .expect("the dump's copy of the wrapped data key")
        .to_owned();
    let open_with = |master: &Key| -> Option<String> {
        let data_key = MultiFernet::new(vec![master.clone()])
            .unwrap()
            .decrypt(&wrapped_in_dump)
            .ok()?;
        let data_key = Key::from_base64(std::str::from_utf8(&data_key).ok()?).ok()?;
        let token = MultiFernet::new(vec![data_key])
            .unwrap()
            .decrypt(&ciphertext)
            .ok()?;
        String::from_utf8(token).ok()
    };
    assert_eq!(open_with(&old_key).as_deref(), Some(TOKEN_A));
    // ...so the procedure after an erasure retires that master key: rotate to a new one (the
    // surviving workspaces' keys are re-wrapped) and drop the old one. Then nothing configured
    // opens the dump's copy, and the backup's secrets are gone for good.
    let new_key = Key::generate();
    let rotating = MasterKeyRing::new(vec![new_key.clone(), old_key.clone()]).unwrap();
    secrets::rotate_master_keys(&db.pool, &rotating, |_| std::ops::ControlFlow::Continue(()))
        .await
        .unwrap();
    assert_eq!(open_with(&new_key), None);
    let configured = MasterKeyRing::new(vec![new_key]).unwrap();
    secrets::data_key(&db.pool, &configured, b.ws.id)
        .await
        .expect("the surviving workspace opens under the new key alone");
    let _ = conn.close().await;
}
