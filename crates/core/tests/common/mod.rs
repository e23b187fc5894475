//! Helpers shared by the integration tests. Every test file is its own process and so gets its
//! own throwaway cluster from `bastion_core::testing`.
#![allow(dead_code)]

use bastion_core::{
    accounts::{self, User},
    sessions, tenant_migrations,
    testing::TestDb,
    workspaces::{self, Workspace},
    Actor, CoreError, Slug, TenantSchema, TenantTx,
};
use sqlx::{
    postgres::PgArguments, query::Query, AssertSqlSafe, Connection, Executor, PgConnection, PgPool,
    Postgres,
};
use uuid::Uuid;

/// SQLSTATE of PostgreSQL's `insufficient_privilege`.
pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
/// The search path a fresh session of the login role has.
pub const DEFAULT_SEARCH_PATH: &str = "\"$user\", public";
pub const APP_ROLE: &str = bastion_core::embedded::APP_ROLE;

/// Creates a workspace named after its slug, panicking with the reason if it cannot.
pub async fn workspace(pool: &PgPool, slug: &str) -> Workspace {
    workspaces::create_workspace(
        pool,
        bastion_core::testing::master_keys(),
        &Slug::parse(slug).unwrap(),
        &format!("Workspace {slug}"),
    )
    .await
    .unwrap_or_else(|e| panic!("create workspace {slug}: {e}"))
}

/// Two workspaces in one line: `let (a, b) = two_workspaces(&db.pool).await;`
pub async fn two_workspaces(pool: &PgPool) -> (Workspace, Workspace) {
    (
        workspace(pool, "alpha").await,
        workspace(pool, "beta").await,
    )
}

/// The password of every test user.
pub const PASSWORD: &str = "correct horse battery staple";

/// A user with [`PASSWORD`].
pub async fn user(pool: &PgPool, email: &str, name: &str) -> User {
    accounts::create_user(pool, email, name, PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("create user {email}: {e}"))
}

/// Makes `user` a member of `ws` with `role`, as the system.
pub async fn join(pool: &PgPool, ws: &Workspace, user: Uuid, role: &str) {
    accounts::add_member(pool, ws, user, role, Actor::System)
        .await
        .unwrap_or_else(|e| panic!("add {user} to {} as {role}: {e}", ws.slug));
}

/// How many sessions `user` has open.
pub async fn session_count(pool: &PgPool, user: Uuid) -> usize {
    sessions::list_for_user(pool, user)
        .await
        .expect("list sessions")
        .len()
}

/// A superuser connection to the test database: the operator, or the attacker.
pub async fn admin(db: &TestDb) -> PgConnection {
    PgConnection::connect_with(&db.admin_options())
        .await
        .expect("connect as the superuser")
}

pub async fn tenant(pool: &PgPool, ws: &Workspace) -> TenantTx {
    TenantTx::begin(pool, &ws.schema(), Actor::System)
        .await
        .unwrap_or_else(|e| panic!("begin tenant transaction for {}: {e}", ws.slug))
}

/// A transaction of `ws` acting as `user`.
pub async fn as_user(pool: &PgPool, ws: &Workspace, user: Uuid) -> TenantTx {
    TenantTx::begin(pool, &ws.schema(), Actor::User(user))
        .await
        .unwrap_or_else(|e| panic!("begin tenant transaction for {} as {user}: {e}", ws.slug))
}

pub fn sqlstate(err: &sqlx::Error) -> Option<String> {
    match err {
        sqlx::Error::Database(e) => e.code().map(|c| c.into_owned()),
        _ => None,
    }
}

pub fn core_sqlstate(err: &CoreError) -> Option<String> {
    match err {
        CoreError::Database(e) => sqlstate(e),
        _ => None,
    }
}

/// Runs `sql` (simple protocol) inside a savepoint, expecting it to fail, and returns the
/// failure's SQLSTATE and message. The savepoint keeps the surrounding transaction usable, with
/// its role and search path, for the next probe.
pub async fn failure(conn: &mut PgConnection, sql: &str) -> (String, String) {
    conn.execute("SAVEPOINT probe").await.expect("savepoint");
    match conn.execute(AssertSqlSafe(sql.to_owned())).await {
        Ok(_) => {
            conn.execute("RELEASE SAVEPOINT probe").await.ok();
            panic!("expected `{sql}` to fail, but it succeeded");
        }
        Err(e) => {
            conn.execute("ROLLBACK TO SAVEPOINT probe")
                .await
                .expect("roll back to the savepoint");
            let code =
                sqlstate(&e).unwrap_or_else(|| panic!("`{sql}` failed without SQLSTATE: {e}"));
            (code, e.to_string())
        }
    }
}

/// Asserts that `sql` fails with `insufficient_privilege`, and that the message names `what`.
pub async fn assert_denied(conn: &mut PgConnection, sql: &str, what: &str) {
    let (code, message) = failure(conn, sql).await;
    assert_eq!(
        code, INSUFFICIENT_PRIVILEGE,
        "`{sql}` must fail with insufficient_privilege, got {code}: {message}"
    );
    assert!(
        message.contains("permission denied") && message.contains(what),
        "`{sql}`: unexpected message {message:?} (expected it to mention {what:?})"
    );
}

/// Runs one statement of a test's set-up, panicking with `what` it was for and the reason.
async fn set_up(conn: &mut PgConnection, what: &str, statement: Query<'_, Postgres, PgArguments>) {
    statement
        .execute(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
}

pub async fn add_project(conn: &mut PgConnection, name: &str) -> Uuid {
    let id = Uuid::new_v4();
    let insert = sqlx::query(
        "INSERT INTO projects (id, name, key_prefix)
         VALUES ($1, $2, translate(upper(left(replace($1::text, '-', ''), 6)), '0123456789', 'GHIJKLMNOP'))",
    );
    set_up(conn, "insert project", insert.bind(id).bind(name)).await;
    id
}

/// A task called `title` in `project`, created by `user`.
pub async fn add_task(conn: &mut PgConnection, project: Uuid, title: &str, user: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    let insert = sqlx::query(
        "WITH n AS (UPDATE projects SET last_task_number = last_task_number + 1
                     WHERE id = $2 RETURNING last_task_number)
         INSERT INTO tasks (id, project_id, title, created_by, number)
         SELECT $1, $2, $3, $4, n.last_task_number FROM n",
    );
    set_up(
        conn,
        "insert task",
        insert.bind(id).bind(project).bind(title).bind(user),
    )
    .await;
    id
}

/// A row in the workspace's own `members` table, without an account behind it: enough for
/// the rules that look only at the role.
pub async fn add_member_row(conn: &mut PgConnection, user: Uuid, role: &str) {
    let insert = sqlx::query("INSERT INTO members (user_id, role) VALUES ($1, $2)");
    set_up(conn, "insert member", insert.bind(user).bind(role)).await;
}

/// Lets `user` see `task`, as a guest needs to.
pub async fn add_viewer(conn: &mut PgConnection, task: Uuid, user: Uuid) {
    let insert = sqlx::query("INSERT INTO task_viewers (task_id, user_id) VALUES ($1, $2)");
    set_up(conn, "insert task viewer", insert.bind(task).bind(user)).await;
}

pub async fn project_names(conn: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar("SELECT name FROM projects ORDER BY name")
        .fetch_all(&mut *conn)
        .await
        .expect("list projects")
}

/// `current_user` and the effective `search_path`.
pub async fn whoami(conn: &mut PgConnection) -> (String, String) {
    sqlx::query_as("SELECT current_user::text, current_setting('search_path')")
        .fetch_one(&mut *conn)
        .await
        .expect("read current_user and search_path")
}

/// How many sessions of this database wait for a lock: how a test sees that a concurrent step
/// has reached the row it blocks on.
pub async fn lock_waiters(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("count the sessions waiting for a lock")
}

pub async fn backend_pid(conn: &mut PgConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *conn)
        .await
        .expect("read pg_backend_pid()")
}

/// Turns every workspace schema back into a schema no tenant migration has touched: drops every
/// object except `_bastion_migrations` (whatever kinds of objects future migrations add), empties
/// `_bastion_migrations` and resets the control plane's copy of the version to 0. Only the
/// schemas listed are reset; run as the superuser. Schema, role and default privileges stay, as
/// `create_schema` left them before applying migrations.
pub async fn make_behind(admin: &mut PgConnection, schemas: &[TenantSchema]) {
    if schemas.is_empty() {
        return;
    }
    // One transaction per schema: dropping every object of hundreds of schemas at once holds
    // more locks than the lock table has room for.
    for schema in schemas {
        make_one_behind(admin, schema).await;
    }
}

async fn make_one_behind(admin: &mut PgConnection, schema: &TenantSchema) {
    // The names are `ws_` and hex digits only (TenantSchema), so splicing them is safe.
    let list = format!("'{}'", schema.as_str());
    let sql = format!(
        r#"
        DO $do$
        DECLARE
            s text;
            r record;
        BEGIN
            FOREACH s IN ARRAY ARRAY[{list}]::text[] LOOP
                -- Views first, then tables (CASCADE takes triggers, indexes, owned sequences),
                -- then free-standing sequences.
                FOR r IN SELECT c.relname, c.relkind FROM pg_class c
                         WHERE c.relnamespace = s::regnamespace
                           AND c.relkind IN ('v', 'm', 'r', 'p', 'f', 'S')
                           AND c.relname <> '_bastion_migrations'
                         ORDER BY CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 1 WHEN 'S' THEN 3 ELSE 2 END
                LOOP
                    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE',
                        CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                       WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE'
                                       ELSE 'TABLE' END,
                        s, r.relname);
                END LOOP;
                FOR r IN SELECT p.oid::regprocedure::text AS sig, p.prokind FROM pg_proc p
                         WHERE p.pronamespace = s::regnamespace
                LOOP
                    EXECUTE format('DROP %s IF EXISTS %s CASCADE',
                        CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
                        r.sig);
                END LOOP;
                FOR r IN SELECT t.typname, t.typtype FROM pg_type t
                         WHERE t.typnamespace = s::regnamespace
                           AND t.typtype IN ('e', 'd', 'c', 'r')
                           AND (t.typtype <> 'c'
                                OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
                LOOP
                    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE',
                        CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, s, r.typname);
                END LOOP;
                EXECUTE format('DELETE FROM %I._bastion_migrations', s);
                UPDATE workspaces SET schema_version = 0
                 WHERE 'ws_' || replace(id::text, '-', '') = s;
            END LOOP;
        END
        $do$
        "#
    );
    admin
        .execute(AssertSqlSafe(sql))
        .await
        .expect("reset schemas to 'no migration applied'");
}

/// What a schema holds, independent of its name: every relation, function and type with its
/// kind and its privileges (the schema's own name replaced by `{tenant}`), one per line.
pub async fn schema_shape(conn: &mut PgConnection, schema: &TenantSchema) -> String {
    sqlx::query_scalar(
        r#"
        SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
            SELECT 'rel ' || c.relname::text || ' ' || c.relkind::text || ' '
                   || replace(coalesce(c.relacl::text, '-'), $1::text, '{tenant}') AS line
              FROM pg_class c WHERE c.relnamespace = $1::text::regnamespace
            UNION ALL
            SELECT 'col ' || c.relname::text || '.' || a.attname::text || ' ' || format_type(a.atttypid, a.atttypmod)
                   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             WHERE c.relnamespace = $1::text::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
            UNION ALL
            SELECT 'con ' || c.relname::text || '.' || k.conname::text || ' ' || k.contype::text
              FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
             WHERE c.relnamespace = $1::text::regnamespace
            UNION ALL
            SELECT 'fn ' || p.proname::text || ' ' || p.prokind::text FROM pg_proc p
             WHERE p.pronamespace = $1::text::regnamespace
            UNION ALL
            SELECT 'type ' || t.typname::text || ' ' || t.typtype::text FROM pg_type t
             WHERE t.typnamespace = $1::text::regnamespace
        ) lines
        "#,
    )
    .bind(schema.as_str())
    .fetch_one(&mut *conn)
    .await
    .expect("describe schema")
}

/// Versions recorded in a schema's own `_bastion_migrations`, ascending (as the superuser).
pub async fn recorded_versions(conn: &mut PgConnection, schema: &TenantSchema) -> Vec<i64> {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT version FROM {}._bastion_migrations ORDER BY version",
        schema.quoted()
    )))
    .fetch_all(&mut *conn)
    .await
    .expect("read _bastion_migrations")
}

pub fn all_versions() -> Vec<i64> {
    let mut v: Vec<i64> = tenant_migrations::TENANT_MIGRATIONS
        .iter()
        .map(|m| m.version)
        .collect();
    v.sort();
    v
}
