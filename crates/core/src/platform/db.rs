//! Connecting to PostgreSQL and migrating the control plane.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::Duration,
};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    AssertSqlSafe, PgPool, Row,
};

use crate::CoreResult;

/// Control-plane migrations, applied by the provisioning login, which owns the control plane.
pub static CONTROL_PLANE_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("../../migrations/public");

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// A connection older than this is closed when it comes back, and a fresh one opened. Each
    /// backend caches the catalog of every workspace it has served and the login role's
    /// membership list, and both only grow (docs/performance.md): a lifetime bounds them.
    pub max_lifetime: Duration,
    /// A connection that has served this many distinct workspaces is closed when it comes
    /// back. Those caches (relations, row types, compiled trigger functions) grow with the
    /// workspaces a backend has written in, and every invalidation message walks some of them:
    /// bounding them by count keeps a server with 10,000 workspaces as light as one with a
    /// hundred, where the lifetime alone would let a busy connection touch them all.
    pub workspaces_per_connection: usize,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 20,
            acquire_timeout: Duration::from_secs(10),
            max_lifetime: Duration::from_secs(30 * 60),
            workspaces_per_connection: 100,
        }
    }
}

/// Opens the pool. Tenant transactions only change transaction-local settings, so a released
/// connection is already back to the login role; a read-only request (`tenant::Access`) leaves
/// its search path and `default_transaction_read_only` set for the session, which the reset
/// takes back; for the rest it is a second line of defence in case a future caller sets
/// something at session level. `RESET ROLE` comes first: on a connection still switched by
/// set_user it is refused, and the rest of the message is not run (not `RESET ALL`, which
/// crashes a switched backend, docs/architecture.md). It runs when a connection is handed out
/// again, before anything else on it, and doubles as the liveness check that sqlx's ping made
/// there (so the ping is off): a backend that crashed takes every other backend with it, and a
/// dead connection fails the reset, is closed and another is taken, exactly as a failed ping
/// did. One round trip per checkout instead of two (the ping on checkout, the reset on release).
/// In the same message it asks the backend's process id, to close a connection that has served
/// [`PoolSettings::workspaces_per_connection`] workspaces instead of handing it out.
pub async fn connect(options: PgConnectOptions, settings: &PoolSettings) -> CoreResult<PgPool> {
    let limit = settings.workspaces_per_connection.max(1);
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .max_lifetime(settings.max_lifetime)
        .test_before_acquire(false)
        // A connection still inside a transaction is closed, never pooled.
        .after_release(|conn, _meta| {
            Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
        })
        .before_acquire(move |conn, _meta| {
            Box::pin(async move {
                let rows = sqlx::raw_sql(
                    "RESET ROLE; RESET search_path; RESET bastion.actor; \
                     RESET default_transaction_read_only; SELECT pg_backend_pid() AS backend_pid",
                )
                .fetch_all(&mut *conn)
                .await?;
                let pid = rows.iter().find_map(|r| r.try_get("backend_pid").ok());
                Ok(!pid.is_some_and(|pid| served_enough(pid, limit)))
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// The distinct workspaces each backend (by process id) has served in this process. sqlx keeps
/// no state per pooled connection, so the backend's process id, read in a statement the
/// connection sends anyway, names it. A process id reused by a new backend after its
/// connection was closed some other way (lifetime, error) only makes that one retire early.
static SERVED: Mutex<Option<HashMap<i32, HashSet<String>>>> = Mutex::new(None);

/// Entries kept at most; past that (process ids of connections closed without retiring) the
/// record starts over, which at worst lets a connection serve twice its share.
const SERVED_ENTRIES: usize = 4096;

/// Records that the backend `pid` has entered `schema`.
pub(crate) fn note_served(pid: i32, schema: &crate::TenantSchema) {
    let mut served = SERVED.lock().unwrap_or_else(|e| e.into_inner());
    let map = served.get_or_insert_with(HashMap::new);
    if map.len() >= SERVED_ENTRIES && !map.contains_key(&pid) {
        map.clear();
    }
    let set = map.entry(pid).or_default();
    if !set.contains(schema.as_str()) {
        set.insert(schema.as_str().to_owned());
    }
}

/// Whether backend `pid` has served `limit` workspaces or more; if so its record is dropped,
/// since the caller closes it.
fn served_enough(pid: i32, limit: usize) -> bool {
    let mut served = SERVED.lock().unwrap_or_else(|e| e.into_inner());
    let Some(map) = served.as_mut() else {
        return false;
    };
    if map.get(&pid).is_some_and(|set| set.len() >= limit) {
        map.remove(&pid);
        return true;
    }
    false
}

/// Runs as the provisioning login, which owns the control plane.
pub async fn migrate_control_plane(pool: &PgPool) -> CoreResult<()> {
    CONTROL_PLANE_MIGRATIONS.run(&provisioning(pool)).await?;
    Ok(())
}

/// What the database offers for the tenant role switch ([`crate::tenant::RoleSwitch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwitchSupport {
    /// The set_user extension is installed in `bastion_switch`, preloaded, limited to
    /// workspace roles, and this login may call `set_user`.
    Irrevocable,
    /// No set_user extension in this database.
    Missing,
    /// The extension is there but set up so that it must not be relied on; the sentence says
    /// what to fix.
    Misconfigured(String),
}

/// Checks, as the login `pool` connects with, what [`SwitchSupport`] the database gives.
pub async fn role_switch_support(pool: &PgPool) -> CoreResult<SwitchSupport> {
    let schema = crate::tenant::SWITCH_SCHEMA;
    let tenants = crate::embedded::TENANTS_ROLE;
    let (installed, executable, allowlist): (bool, bool, Option<String>) =
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT p IS NOT NULL,
                    p IS NOT NULL AND has_function_privilege(p, 'EXECUTE'),
                    current_setting('set_user.nosuperuser_target_allowlist', true)
               FROM to_regprocedure('{schema}.set_user(text, text)') AS p"
        )))
        .fetch_one(pool)
        .await?;
    if !installed {
        return Ok(SwitchSupport::Missing);
    }
    let wanted = format!("+{tenants}");
    Ok(match (executable, allowlist) {
        (_, None) => SwitchSupport::Misconfigured(
            "the set_user extension is installed but not loaded: add set_user to \
             shared_preload_libraries and restart PostgreSQL"
                .to_owned(),
        ),
        (_, Some(list)) if list.trim() != wanted => SwitchSupport::Misconfigured(format!(
            "set_user.nosuperuser_target_allowlist is '{list}'; set it to '{wanted}' so that \
             the serving login can switch into workspace roles and nothing else"
        )),
        (false, _) => SwitchSupport::Misconfigured(format!(
            "this login may not execute {schema}.set_user(text, text): GRANT EXECUTE ON \
             FUNCTION {schema}.set_user(text, text) TO <the serving login>"
        )),
        (true, _) => SwitchSupport::Irrevocable,
    })
}

/// The provisioning pools, one per database, registered by whoever opened the serving pool
/// (`bastion`'s `Database::open`, `testing::TestDb`, the bench): see [`provisioning`].
static PROVISIONING: Mutex<Vec<(String, PgPool)>> = Mutex::new(Vec::new());

/// Names the database a pool connects to (host, port or socket, name): what the per-database
/// registries (the provisioning pools, the actor-claim keys) are keyed by.
pub(crate) fn database_key(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "{}|{}|{:?}|{}",
        o.get_host(),
        o.get_port(),
        o.get_socket(),
        o.get_database().unwrap_or_default()
    )
}

/// Makes `provisioning` the pool that [`provisioning`] hands out for `serving`'s database.
pub fn register_provisioning(serving: &PgPool, provisioning: PgPool) {
    let key = database_key(serving);
    let mut pools = PROVISIONING.lock().unwrap_or_else(|e| e.into_inner());
    pools.retain(|(k, _)| *k != key);
    pools.push((key, provisioning));
}

/// Forgets the provisioning pool of `serving`'s database (a test database being dropped).
pub fn unregister_provisioning(serving: &PgPool) {
    let key = database_key(serving);
    let mut pools = PROVISIONING.lock().unwrap_or_else(|e| e.into_inner());
    pools.retain(|(k, _)| *k != key);
}

/// The pool of the provisioning login for the database `serving` connects to: what creates and
/// erases workspaces, runs DDL and migrations, rotates keys, and carries the few transactions
/// that change the control plane and a workspace at once ([`crate::TenantTx::enter`]). The
/// serving login can do none of that. Core functions that need it take the serving pool like
/// every other and ask here, so that callers cannot pick the wrong one. A database with one
/// login for everything (no provisioning pool registered) gets `serving` back; `bastion serve`
/// refuses such a login (see `check_serving_login`).
pub fn provisioning(serving: &PgPool) -> PgPool {
    let key = database_key(serving);
    let pools = PROVISIONING.lock().unwrap_or_else(|e| e.into_inner());
    pools
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, pool)| pool.clone())
        .unwrap_or_else(|| serving.clone())
}

/// What disqualifies a login from serving requests, each with the fix; empty when it may.
/// `revertible`: the revertible role switch needs the serving login to be a member of every
/// workspace role (through `bastion_serving`), so that membership is not held against it then.
pub async fn check_serving_login(pool: &PgPool, revertible: bool) -> CoreResult<Vec<String>> {
    let (login, superuser, createrole, owns, tenant_owner, workspace_role): (
        String,
        bool,
        bool,
        bool,
        bool,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT r.rolname::text, r.rolsuper, r.rolcreaterole,
                EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.relowner = r.oid AND n.nspname NOT LIKE 'pg\\_%'
                           AND n.nspname <> 'information_schema')
                OR EXISTS (SELECT 1 FROM pg_namespace WHERE nspowner = r.oid)
                OR EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                            WHERE p.proowner = r.oid AND n.nspname NOT LIKE 'pg\\_%'
                              AND n.nspname <> 'information_schema')
                OR (SELECT datdba FROM pg_database WHERE datname = current_database()) = r.oid,
                pg_has_role(r.oid, 'bastion_tenant_owner', 'MEMBER'),
                (SELECT g.rolname::text FROM pg_roles g
                  WHERE g.rolname ~ '^ws_[0-9a-f]{32}$' AND pg_has_role(r.oid, g.oid, 'MEMBER')
                  LIMIT 1)
           FROM pg_roles r WHERE r.rolname = current_user",
    )
    .fetch_one(pool)
    .await?;
    let mut problems = Vec::new();
    if superuser {
        problems.push(format!(
            "the serving login {login} is a superuser: serve with a login that is not \
             (docs/operations.md, \"Two logins\")"
        ));
    }
    if createrole {
        problems.push(format!(
            "the serving login {login} has CREATEROLE, with which it could grant itself any \
             role: ALTER ROLE {login} NOCREATEROLE"
        ));
    }
    if owns {
        problems.push(format!(
            "the serving login {login} owns the database or objects in it: the provisioning \
             login must own them (REASSIGN OWNED BY {login} TO bastion_owner; ALTER DATABASE \
             … OWNER TO bastion_owner)"
        ));
    }
    if tenant_owner {
        problems.push(format!(
            "the serving login {login} is a member of bastion_tenant_owner: REVOKE \
             bastion_tenant_owner FROM {login}"
        ));
    }
    if let (Some(role), false) = (workspace_role, revertible) {
        problems.push(format!(
            "the serving login {login} is a member of workspace roles ({role} and maybe \
             others): revoke them (docs/operations.md, \"Two logins\")"
        ));
    }
    Ok(problems)
}
