//! The backup and restore drill of `docs/operations.md`, run for real: a seeded cluster is backed
//! up with PostgreSQL's own tools exactly as the document says (the roles with `pg_dumpall
//! --globals-only`, the database with `pg_dump --format=custom`, the objects folder copied),
//! restored into a second, fresh cluster (`psql`, then `pg_restore --create`), and used through
//! the application's login role as `serve` would: with the same master keys everything reads
//! back, with other keys no secret opens.
//!
//! One test in this file on purpose: `pg_dumpall` takes the whole test cluster's roles, so no
//! other test may be creating workspaces in it meanwhile.

mod common;

use std::{path::Path, process::Output};

use bastion_core::{
    attachments::{self, Objects, Upload},
    audit, db,
    embedded::{self, EmbeddedOptions, EmbeddedPostgres},
    integrations,
    keys::MasterKeyRing,
    secrets, tenant_migrations,
    testing::{pg_tool, TestDb},
    work::{
        comments, projects,
        tasks::{self, NewTask, TaskFilter},
    },
    workspaces::{self, Workspace},
    Actor, CoreError, Role, Slug, TenantTx, Viewer,
};
use bytes::Bytes;
use common::*;
use futures::TryStreamExt;
use sqlx::{postgres::PgConnectOptions, Connection, PgConnection, PgPool};
use uuid::Uuid;

/// What one seeded workspace holds, to be found again after the restore.
struct Seeded {
    ws: Workspace,
    admin: Viewer,
    task: Uuid,
    attachment: Uuid,
    integration: Uuid,
    token: String,
    marker: String,
}

/// A workspace with an admin, a project, a task, a comment, an attachment and an integration,
/// made through the core functions the doors call.
async fn seed(pool: &PgPool, master: &MasterKeyRing, objects: &Objects, slug: &str) -> Seeded {
    let marker = format!("MARKER-{}", slug.to_uppercase());
    let ws = workspaces::create_workspace(pool, master, &Slug::parse(slug).unwrap(), slug)
        .await
        .unwrap();
    let admin = user(pool, &format!("{slug}-admin@example.eu"), "Admin").await;
    join(pool, &ws, admin.id, "admin").await;
    let admin = Viewer::new(admin.id, Role::Admin);
    let mut tx = as_user(pool, &ws, admin.user_id).await;
    let project = projects::create_project(&mut tx, &admin, &format!("Project {marker}"))
        .await
        .unwrap();
    let task = tasks::create_task(
        &mut tx,
        &admin,
        NewTask {
            project_id: project.id,
            title: format!("Task {marker}"),
            ..NewTask::default()
        },
    )
    .await
    .unwrap()
    .id;
    comments::create_comment(&mut tx, &admin, task, &format!("Comment {marker}"))
        .await
        .unwrap();
    let attachment = attachments::upload(
        &mut tx,
        objects,
        ws.id,
        admin,
        task,
        Upload {
            filename: "notes.txt".into(),
            content_type: Some("text/plain".into()),
            bytes: Bytes::from(format!("file body {marker}")),
        },
        1024,
    )
    .await
    .unwrap()
    .id;
    tx.commit().await.unwrap();
    let token = format!("ghp_{slug}SecretToken0123456789abcdefXYZ");
    let (mut tx, key) =
        secrets::begin_with_data_key(pool, master, ws.id, Actor::User(admin.user_id))
            .await
            .unwrap();
    let integration = integrations::add_integration(
        &mut tx,
        &key,
        "github",
        &format!("GitHub {marker}"),
        &token.as_str().into(),
    )
    .await
    .unwrap()
    .id;
    tx.commit().await.unwrap();
    Seeded {
        ws,
        admin,
        task,
        attachment,
        integration,
        token,
        marker,
    }
}

/// Runs a PostgreSQL tool with `stdin` fed in, panicking with its errors when it fails.
fn run(program: &str, args: &[&str], socket: &Path, stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = pg_tool(program)
        .arg("--host")
        .arg(socket)
        .args(["--username", embedded::ADMIN_ROLE, "--no-password"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Who owns what and who may do what, as the superuser sees it: the database's owner and
/// privileges, every role and membership, and the owner and privileges of every schema, table,
/// sequence and function of the control plane and the workspaces, default privileges included.
/// An object never granted on (no ACL) is shown with its default ACL, as `pg_restore` writes it,
/// and every ACL in one order, since the restore may list the same grants in another.
async fn privileges(options: &PgConnectOptions) -> Vec<String> {
    let mut conn = PgConnection::connect_with(options).await.unwrap();
    let shape: String = sqlx::query_scalar(
        r#"
        SELECT string_agg(line, E'\n' ORDER BY line) FROM (
            SELECT 'database ' || pg_get_userbyid(datdba) || ' ' || (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(coalesce(datacl, acldefault('d', datdba))) a) AS line
              FROM pg_database WHERE datname = current_database()
            UNION ALL
            SELECT 'role ' || rolname || ' super=' || rolsuper || ' inherit=' || rolinherit
                   || ' createrole=' || rolcreaterole || ' createdb=' || rolcreatedb
                   || ' login=' || rolcanlogin
              FROM pg_roles WHERE rolname !~ '^pg_'
            UNION ALL
            SELECT 'member ' || pg_get_userbyid(member) || ' of ' || pg_get_userbyid(roleid)
                   || ' admin=' || admin_option
              FROM pg_auth_members
             WHERE pg_get_userbyid(roleid) !~ '^pg_'
            UNION ALL
            SELECT 'schema ' || nspname || ' ' || pg_get_userbyid(nspowner) || ' '
                   || (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(coalesce(nspacl, acldefault('n', nspowner))) a)
              FROM pg_namespace WHERE nspname = 'public' OR nspname ~ '^ws_'
            UNION ALL
            SELECT 'relation ' || c.oid::regclass::text || ' ' || c.relkind::text || ' '
                   || pg_get_userbyid(c.relowner) || ' ' || (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' OR n.nspname ~ '^ws_'
            UNION ALL
            SELECT 'function ' || p.oid::regprocedure::text || ' ' || pg_get_userbyid(p.proowner)
                   || ' ' || (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(coalesce(p.proacl, acldefault('f', p.proowner))) a)
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' OR n.nspname ~ '^ws_'
            UNION ALL
            SELECT 'default ' || pg_get_userbyid(defaclrole) || ' '
                   || coalesce(defaclnamespace::regnamespace::text, '-') || ' ' || defaclobjtype::text
                   || ' ' || (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(defaclacl) a)
              FROM pg_default_acl
        ) lines
        "#,
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    shape.lines().map(str::to_owned).collect()
}

#[tokio::test]
async fn a_backup_restores_into_a_fresh_cluster_and_opens_only_with_its_master_keys() {
    let db = TestDb::new().await;
    let master = MasterKeyRing::generate();
    let data = tempfile::tempdir().unwrap();
    let objects_dir = data.path().join("objects");
    let objects = Objects::local(&objects_dir).unwrap();
    let seeded = [
        seed(&db.pool, &master, &objects, "alpha").await,
        seed(&db.pool, &master, &objects, "beta").await,
    ];
    let mut chains = Vec::new();
    for s in &seeded {
        let report = audit::verify(&db.pool, &s.ws).await.unwrap();
        assert!(report.checked > 0 && report.first_broken.is_none());
        chains.push(report.checked);
    }
    let privileges_before = privileges(&db.admin_options()).await;

    // The backup, as docs/operations.md gives it: the database first, then the roles (a
    // workspace created in between leaves an unused role, never a schema without its role),
    // then the objects.
    let socket = db.socket_dir();
    let dump = run(
        "pg_dump",
        &["--format=custom", "--dbname", &db.name],
        socket,
        b"",
    )
    .stdout;
    let roles = run("pg_dumpall", &["--globals-only"], socket, b"").stdout;
    let backup = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&objects_dir)
        .arg(backup.path().join("objects"))
        .status()
        .unwrap();
    assert!(status.success(), "copy the objects folder");

    // A fresh cluster on another socket, with nothing in it but what start-up makes (the
    // superuser and the login role, as an operator prepares a new server).
    let fresh_dir = tempfile::Builder::new()
        .prefix("bastion-restore-")
        .tempdir()
        .unwrap();
    let fresh = EmbeddedPostgres::start(
        fresh_dir.path(),
        EmbeddedOptions {
            ephemeral: true,
            max_connections: 40,
        },
    )
    .await
    .unwrap();
    // The roles: psql goes on past the roles the new server already has, each followed by an
    // ALTER ROLE that gives it the backed-up attributes. Any other error is a failed restore.
    let restored = run(
        "psql",
        &["--dbname", "postgres", "--quiet", "--no-psqlrc"],
        fresh.socket_dir(),
        &roles,
    );
    for line in String::from_utf8_lossy(&restored.stderr).lines() {
        if line.contains("ERROR") {
            assert!(
                line.contains("already exists"),
                "restoring the roles: {line}"
            );
        }
    }
    // The database, created by pg_restore itself so that its owner and its own privileges come
    // back too (CREATE for bastion_tenant_owner, no TEMPORARY for PUBLIC).
    run(
        "pg_restore",
        &["--create", "--exit-on-error", "--dbname", "postgres"],
        fresh.socket_dir(),
        &dump,
    );
    let privileges_after = privileges(&fresh.admin_options(&db.name)).await;
    let lost: Vec<_> = privileges_before
        .iter()
        .filter(|l| !privileges_after.contains(l))
        .collect();
    let gained: Vec<_> = privileges_after
        .iter()
        .filter(|l| !privileges_before.contains(l))
        .collect();
    assert!(
        lost.is_empty() && gained.is_empty(),
        "owners and privileges differ after the restore: lost {lost:#?}, gained {gained:#?}"
    );

    // Bastion on the restored copy: the login role's pool, migrations (nothing to do) and the
    // start-up key check, as `serve` runs them, with the backed-up objects folder.
    let pool = db::connect(fresh.app_options(&db.name), &db::PoolSettings::default())
        .await
        .unwrap();
    let provisioning = db::connect(fresh.owner_options(&db.name), &db::PoolSettings::default())
        .await
        .unwrap();
    db::register_provisioning(&pool, provisioning);
    db::migrate_control_plane(&pool).await.unwrap();
    let migrated = tenant_migrations::migrate_all(&pool, 2, |_, _| {})
        .await
        .unwrap();
    assert_eq!(migrated.migrations_applied, 0);
    let (total, unreadable) = secrets::unreadable_data_keys(&pool, &master).await.unwrap();
    assert_eq!((total, unreadable.len()), (2, 0));
    let restored_objects = Objects::local(&backup.path().join("objects")).unwrap();

    for (s, checked) in seeded.iter().zip(&chains) {
        let ws = workspaces::find_by_slug(&pool, &s.ws.slug)
            .await
            .unwrap()
            .expect("the workspace is in the restored control plane");
        let mut tx = TenantTx::begin(&pool, &ws.schema(), Actor::User(s.admin.user_id))
            .await
            .unwrap();
        let listed = tasks::list_tasks(&mut tx, &s.admin, &TaskFilter::default(), None, 10)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].title, format!("Task {}", s.marker));
        let said = comments::list_comments(&mut tx, &s.admin, s.task, None, 10)
            .await
            .unwrap();
        assert_eq!(said[0].body, format!("Comment {}", s.marker));
        let attachment = attachments::get(&mut tx, s.admin, s.attachment)
            .await
            .unwrap();
        let bytes: Vec<Bytes> = attachments::open(&restored_objects, &attachment)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(bytes.concat(), format!("file body {}", s.marker).as_bytes());
        tx.rollback().await.unwrap();

        let (mut tx, key) =
            secrets::begin_with_data_key(&pool, &master, ws.id, Actor::User(s.admin.user_id))
                .await
                .unwrap();
        let token = integrations::reveal_integration_token(&mut tx, &key, s.integration)
            .await
            .unwrap();
        assert_eq!(token.expose(), s.token);
        tx.rollback().await.unwrap();

        let report = audit::verify(&pool, &ws).await.unwrap();
        assert_eq!(
            report.checked, *checked,
            "every event of {} came back",
            ws.slug
        );
        assert_eq!(report.first_broken, None, "the chain of {} holds", ws.slug);
    }

    // Another master key ring: the start-up check names both workspaces, no data key unwraps and
    // no secret opens; everything that is not a secret is still there.
    let other = MasterKeyRing::generate();
    let (_, unreadable) = secrets::unreadable_data_keys(&pool, &other).await.unwrap();
    assert_eq!(unreadable.len(), 2);
    for s in &seeded {
        let err = secrets::data_key(&pool, &other, s.ws.id).await.unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, CoreError::Database(_)) && message.contains("configured master keys"),
            "{message}"
        );
        assert!(!message.contains(&s.token), "{message}");
        let mut tx = TenantTx::begin(&pool, &s.ws.schema(), Actor::User(s.admin.user_id))
            .await
            .unwrap();
        let listed = integrations::list_integrations(&mut tx).await.unwrap();
        assert_eq!(listed[0].name, format!("GitHub {}", s.marker));
        let listed = tasks::list_tasks(&mut tx, &s.admin, &TaskFilter::default(), None, 10)
            .await
            .unwrap();
        assert_eq!(listed[0].title, format!("Task {}", s.marker));
        tx.rollback().await.unwrap();
    }

    // A working system, not only a readable one: history goes on where the chain stopped, a
    // new workspace can be created (CREATE on the database for bastion_tenant_owner, CREATEROLE
    // for the login role), one can be erased (its schema dropped by its owner, its role by the
    // login role), and workspace roles still get no temporary tables.
    let alpha = &seeded[0];
    let mut tx = TenantTx::begin(&pool, &alpha.ws.schema(), Actor::User(alpha.admin.user_id))
        .await
        .unwrap();
    comments::create_comment(&mut tx, &alpha.admin, alpha.task, "after the restore")
        .await
        .unwrap();
    let (code, _) = failure(tx.conn(), "CREATE TEMPORARY TABLE scratch (x int)").await;
    assert_eq!(code, INSUFFICIENT_PRIVILEGE, "no temporary tables");
    tx.commit().await.unwrap();
    let report = audit::verify(&pool, &alpha.ws).await.unwrap();
    assert_eq!((report.checked, report.first_broken), (chains[0] + 1, None));
    seed(&pool, &master, &restored_objects, "gamma").await;
    workspaces::erase(&pool, &restored_objects, &seeded[1].ws, Actor::System)
        .await
        .unwrap();
    let left: Vec<String> = workspaces::list_workspaces(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.slug)
        .collect();
    assert_eq!(left, ["alpha", "gamma"]);

    pool.close().await;
    drop(fresh);
}
