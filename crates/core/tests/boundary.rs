//! The workspace boundary against SQL that runs inside a tenant transaction by mistake (an
//! injection, a future `format!` into a query): whatever such SQL tries in order to leave the
//! workspace role, another workspace and the control plane stay out of reach. Proved against the
//! real PostgreSQL with the `set_user` extension, as `./x test` installs it.
//!
//! One test holds every probe, in order: the last one (`RESET ALL`) crashes the backend with
//! set_user 4.0.1, and PostgreSQL then restarts every backend of the cluster, which would break
//! any test running beside it in this process.

mod common;

use bastion_core::{
    db,
    testing::{master_keys, TestDb},
    workspaces::{self, Workspace},
    Actor, Slug, TenantTx,
};
use common::*;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool};

/// The probes crash a backend, and PostgreSQL then restarts all of them: the tests of this file
/// take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The probes that must be refused inside a tenant transaction of `a`, and that must leave it
/// `a`'s role. `{b}` is the other workspace's role, `{owner}` the tenant owner.
fn escapes(b: &str) -> Vec<String> {
    [
        "RESET ROLE",
        "SET ROLE NONE",
        "SET ROLE {b}",
        "SET LOCAL ROLE {b}",
        "SET ROLE bastion_tenant_owner",
        "SET ROLE bastion_app",
        "SET SESSION AUTHORIZATION DEFAULT",
        "SET SESSION AUTHORIZATION bastion_app",
        "RESET SESSION AUTHORIZATION",
        "DISCARD ALL",
        "SELECT set_config('role', 'none', false)",
        "SELECT set_config('role', '{b}', true)",
        "SELECT pg_catalog.set_config('role', 'bastion_tenant_owner', false)",
        "SELECT set_config('session_authorization', 'bastion_app', false)",
        "SELECT set_config('search_path', '{b}', true)",
        "DO $$ BEGIN SET ROLE NONE; END $$",
        "DO $$ BEGIN PERFORM set_config('role', 'none', false); END $$",
        "SELECT bastion_switch.reset_user()",
        "SELECT bastion_switch.reset_user('guess')",
        "SELECT bastion_switch.set_user('{b}', 'mine')",
        "SELECT bastion_switch.set_user('bastion_app')",
        "SELECT bastion_switch.set_user_u('bastion_admin')",
    ]
    .iter()
    .map(|sql| sql.replace("{b}", b))
    .collect()
}

/// What `conn` must still be unable to reach: `b`'s tables and the control plane's secrets.
async fn assert_still_confined(conn: &mut PgConnection, a: &Workspace, b: &Workspace, after: &str) {
    let (role, _) = whoami(conn).await;
    assert_eq!(role, a.schema().as_str(), "after `{after}`: still a's role");
    let sb = b.schema();
    for (sql, what) in [
        (
            format!("SELECT count(*) FROM {sb}.projects"),
            format!("schema {sb}"),
        ),
        (
            "SELECT count(*) FROM public.users".to_owned(),
            "schema public".to_owned(),
        ),
        (
            "SELECT count(*) FROM public.sessions".to_owned(),
            "schema public".to_owned(),
        ),
        (
            "SELECT wrapped FROM public.workspace_keys".to_owned(),
            "schema public".to_owned(),
        ),
    ] {
        let (code, message) = failure(conn, &sql).await;
        assert_eq!(
            code, INSUFFICIENT_PRIVILEGE,
            "after `{after}`, `{sql}`: {message}"
        );
        assert!(
            message.contains(&what),
            "after `{after}`, `{sql}`: {message}"
        );
    }
}

async fn open(pool: &PgPool, ws: &Workspace) -> TenantTx {
    TenantTx::begin(pool, &ws.schema(), Actor::System)
        .await
        .unwrap_or_else(|e| panic!("begin tenant transaction for {}: {e}", ws.slug))
}

#[tokio::test]
async fn sql_inside_a_tenant_transaction_cannot_leave_its_workspace() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let db = TestDb::new().await;
    let (a, b) = two_workspaces(&db.pool).await;
    let mut tx = open(&db.pool, &b).await;
    add_project(tx.conn(), "beta secret").await;
    tx.commit().await.unwrap();
    let sb = b.schema().to_string();

    // Inside the transaction, each attempt in a savepoint so that one refusal does not hide
    // the next.
    let mut tx = open(&db.pool, &a).await;
    for sql in escapes(&sb) {
        let (code, message) = failure(tx.conn(), &sql).await;
        assert!(
            ["42501", "25001", "0A000", "42883"].contains(&code.as_str()),
            "`{sql}` must be refused (privilege, transaction block or no such function), got \
             {code}: {message}"
        );
        assert_still_confined(tx.conn(), &a, &b, &sql).await;
    }
    tx.rollback().await.unwrap();

    // `COMMIT` first, in the same message: what follows runs outside the tenant's transaction
    // block but still in the same message (an implicit block), and still as a's role.
    for sql in escapes(&sb) {
        let mut tx = open(&db.pool, &a).await;
        let message = format!("COMMIT; {sql}");
        let outcome = sqlx::raw_sql(AssertSqlSafe(message.clone()))
            .execute(&mut *tx.conn())
            .await;
        assert!(outcome.is_err(), "`{message}` must fail");
        // The failed message left no transaction open: probe in one of our own.
        tx.conn().execute("BEGIN").await.unwrap();
        assert_still_confined(tx.conn(), &a, &b, &message).await;
        tx.conn().execute("ROLLBACK").await.unwrap();
        tx.rollback().await.unwrap();
    }

    // The connections went back to the pool and came out as the login again, with no right
    // on either workspace.
    let mut conn = db.pool.acquire().await.unwrap();
    let (role, _) = whoami(&mut conn).await;
    assert_eq!(role, APP_ROLE);
    drop(conn);
    let mut tx = open(&db.pool, &b).await;
    assert_eq!(project_names(tx.conn()).await, ["beta secret"]);
    tx.rollback().await.unwrap();

    // `RESET ALL` while switched: set_user 4.0.1 reads the name of the setting, which `RESET
    // ALL` has not, and the backend dies (SIGSEGV); PostgreSQL restarts all backends. A denial
    // of service, not a way out: the connection is gone. When the extension is fixed this
    // fails, and docs/architecture.md ("The tenancy rule") must say so.
    let mut tx = open(&db.pool, &a).await;
    let outcome = tx.conn().execute("RESET ALL").await;
    match outcome {
        Err(e) if sqlstate(&e).is_none() || sqlstate(&e).as_deref() == Some("57P02") => {}
        other => panic!("RESET ALL was expected to end the connection, got {other:?}"),
    }
    drop(tx);
    wait_for_recovery(&db).await;
    // The pool drops the dead connections and serves fresh ones, as the login. (What this
    // durability-off test cluster committed in its last moments may be lost in the restart; a
    // production cluster, with `synchronous_commit` on, loses nothing committed.)
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(whoami(&mut conn).await.0, APP_ROLE);
}

/// Waits (at most a minute) until the cluster accepts connections after a crash restart.
async fn wait_for_recovery(db: &TestDb) {
    for _ in 0..600 {
        if let Ok(mut conn) = PgConnection::connect_with(&db.app_options).await {
            if conn.execute("SELECT 1").await.is_ok() {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("PostgreSQL did not come back after the crash restart");
}

/// The serving login holds no standing right: after workspaces were created, it belongs to no
/// workspace role (directly or through another role) and not to the tenant owner, owns nothing,
/// is no superuser and cannot create roles, and creating a workspace with it fails.
#[tokio::test]
async fn the_serving_login_holds_no_standing_right() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let db = TestDb::new().await;
    let (a, _b) = two_workspaces(&db.pool).await;
    let u = user(&db.pool, "ada@example.eu", "Ada").await;
    join(&db.pool, &a, u.id, "admin").await;

    let mut admin = admin(&db).await;
    let workspace_roles: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_roles WHERE rolname ~ '^ws_[0-9a-f]{32}$'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert!(workspace_roles >= 2);
    let (granted, reachable, tenant_owner, superuser, createrole): (i64, i64, bool, bool, bool) =
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                      WHERE g.rolname ~ '^ws_' AND m.member = r.oid),
                    (SELECT count(*) FROM pg_roles g
                      WHERE g.rolname ~ '^ws_' AND pg_has_role(r.oid, g.oid, 'MEMBER')),
                    pg_has_role(r.oid, 'bastion_tenant_owner', 'MEMBER'),
                    r.rolsuper, r.rolcreaterole
               FROM pg_roles r WHERE r.rolname = $1",
        )
        .bind(APP_ROLE)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(
        (granted, reachable),
        (0, 0),
        "no workspace role, not even through another"
    );
    assert!(!tenant_owner && !superuser && !createrole);
    let owned: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM pg_class WHERE relowner = $1::regrole)
              + (SELECT count(*) FROM pg_namespace WHERE nspowner = $1::regrole)
              + (SELECT count(*) FROM pg_proc WHERE proowner = $1::regrole)
              + (SELECT count(*) FROM pg_type WHERE typowner = $1::regrole)
              + (SELECT count(*) FROM pg_database WHERE datdba = $1::regrole)",
    )
    .bind(APP_ROLE)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(owned, 0, "the serving login owns nothing");
    assert!(db::check_serving_login(&db.pool, false)
        .await
        .unwrap()
        .is_empty());
    // The start-up check would refuse the provisioning login as a serving one.
    let problems = db::check_serving_login(&db.provisioning, false)
        .await
        .unwrap();
    assert!(problems.iter().any(|p| p.contains("owns")), "{problems:?}");

    // Creating a workspace on the serving login's own connection, past the provisioning pool.
    let mut tx = db.pool.begin().await.unwrap();
    let refused = workspaces::create_workspace_in(
        &mut tx,
        master_keys(),
        &Slug::parse("gamma").unwrap(),
        "Gamma",
    )
    .await;
    let err = refused.expect_err("the serving login cannot create a workspace");
    assert_eq!(
        core_sqlstate(&err).as_deref(),
        Some(INSUFFICIENT_PRIVILEGE),
        "{err}"
    );
    tx.rollback().await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    for sql in [
        "CREATE ROLE ws_00000000000000000000000000000000 NOLOGIN",
        "CREATE SCHEMA ws_00000000000000000000000000000000",
        "DELETE FROM workspace_keys",
        "UPDATE workspaces SET plan = 'business'",
        "SET ROLE bastion_tenant_owner",
    ] {
        conn.execute("BEGIN").await.unwrap();
        let (code, message) = failure(&mut conn, sql).await;
        assert_eq!(code, INSUFFICIENT_PRIVILEGE, "`{sql}`: {message}");
        conn.execute("ROLLBACK").await.unwrap();
    }
}

/// The embedded cluster's log is bounded: a file per weekday, emptied when its day comes round
/// again. `set_user`'s audit lines (two per workspace request) go there, not into one file that
/// grows until the disk is full.
#[tokio::test]
async fn the_embedded_cluster_logs_into_a_week_of_rotated_files() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let db = TestDb::new().await;
    let mut admin = PgConnection::connect_with(&db.admin_options())
        .await
        .unwrap();
    for (setting, expected) in [
        ("logging_collector", "on"),
        ("log_filename", "postgresql-%a.log"),
        ("log_rotation_age", "1d"),
        ("log_rotation_size", "0"),
        ("log_truncate_on_rotation", "on"),
    ] {
        let value: String = sqlx::query_scalar(AssertSqlSafe(format!("SHOW {setting}")))
            .fetch_one(&mut admin)
            .await
            .unwrap();
        assert_eq!(value, expected, "{setting}");
    }

    let (a, _) = two_workspaces(&db.pool).await;
    let role = a.schema().to_string();
    open(&db.pool, &a).await.rollback().await.unwrap();

    // The collector writes a moment later.
    let log_dir = db.socket_dir().parent().unwrap().join("log");
    let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut found = false;
    for _ in 0..50 {
        let files: Vec<_> = std::fs::read_dir(&log_dir)
            .unwrap_or_else(|e| panic!("{}: {e}", log_dir.display()))
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        for name in &files {
            assert!(
                weekdays
                    .iter()
                    .any(|day| name == &format!("postgresql-{day}.log")),
                "unexpected file {name} in {}",
                log_dir.display()
            );
        }
        found = files.iter().any(|name| {
            std::fs::read_to_string(log_dir.join(name))
                .unwrap_or_default()
                .contains(&format!("transitioning to Role {role}"))
        });
        if found {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        found,
        "no set_user line for {role} in {}",
        log_dir.display()
    );
}
