//! Workspace provisioning is all or nothing. Roles are global to the cluster, so these tests
//! live in a file (a process, a cluster) of their own and run one at a time: counting `ws_%`
//! roles is then exact.

mod common;

use bastion_core::{
    testing::{master_keys, TestDb},
    workspaces, CoreError, Slug,
};
use common::*;
use sqlx::{AssertSqlSafe, Executor, PgConnection};
use tokio::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::const_new(());

/// Everything a workspace leaves behind: control-plane rows (the workspace and its wrapped data
/// key), `ws_` roles in the cluster, memberships of or in them (each is a member of
/// `bastion_tenants`), and `ws_` schemas in this database.
#[derive(Debug, PartialEq, Eq)]
struct Footprint {
    workspaces: i64,
    data_keys: i64,
    roles: i64,
    memberships: i64,
    schemas: i64,
}

async fn footprint(admin: &mut PgConnection) -> Footprint {
    let (workspaces, data_keys, roles, memberships, schemas) = sqlx::query_as(
        r"SELECT (SELECT count(*) FROM workspaces),
                 (SELECT count(*) FROM workspace_keys),
                 (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'ws\_%'),
                 (SELECT count(*) FROM pg_auth_members m
                    JOIN pg_roles r ON r.oid IN (m.roleid, m.member)
                   WHERE r.rolname LIKE 'ws\_%'),
                 (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ws\_%')",
    )
    .fetch_one(admin)
    .await
    .unwrap();
    Footprint {
        workspaces,
        data_keys,
        roles,
        memberships,
        schemas,
    }
}

fn grown_by_one(f: &Footprint) -> Footprint {
    Footprint {
        workspaces: f.workspaces + 1,
        data_keys: f.data_keys + 1,
        roles: f.roles + 1,
        memberships: f.memberships + 1,
        schemas: f.schemas + 1,
    }
}

#[tokio::test]
async fn a_duplicate_slug_is_a_conflict_and_leaves_nothing_behind() {
    let _serial = SERIAL.lock().await;
    let db = TestDb::new().await;
    let mut admin = admin(&db).await;
    let empty = footprint(&mut admin).await;

    let first = workspace(&db.pool, "acme").await;
    let one = footprint(&mut admin).await;
    assert_eq!(one, grown_by_one(&empty));

    let err = workspaces::create_workspace(
        &db.pool,
        master_keys(),
        &Slug::parse("acme").unwrap(),
        "Acme again",
    )
    .await
    .unwrap_err();
    match &err {
        CoreError::Conflict { message, .. } => assert!(message.contains("'acme'"), "{message}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(footprint(&mut admin).await, one);
    let found = workspaces::find_by_slug(&db.pool, "acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, first, "the first workspace is untouched");
}

#[tokio::test]
async fn a_failure_midway_through_creation_leaves_nothing_behind() {
    let _serial = SERIAL.lock().await;
    let db = TestDb::new().await;
    let mut admin = admin(&db).await;
    let before = footprint(&mut admin).await;
    let slug = Slug::parse("doomed").unwrap();

    // 1. The schema cannot be created: the row is inserted and the role created by then.
    admin
        .execute(AssertSqlSafe(format!(
            "REVOKE CREATE ON DATABASE \"{}\" FROM bastion_tenant_owner",
            db.name
        )))
        .await
        .unwrap();
    let err = workspaces::create_workspace(&db.pool, master_keys(), &slug, "Doomed")
        .await
        .unwrap_err();
    assert_eq!(
        core_sqlstate(&err).as_deref(),
        Some(INSUFFICIENT_PRIVILEGE),
        "{err}"
    );
    assert_eq!(
        footprint(&mut admin).await,
        before,
        "after a refused CREATE SCHEMA"
    );
    admin
        .execute(AssertSqlSafe(format!(
            "GRANT CREATE ON DATABASE \"{}\" TO bastion_tenant_owner",
            db.name
        )))
        .await
        .unwrap();

    // 2. A tenant migration fails halfway: schema and `_bastion_migrations` exist by then, and
    //    the migration's first table is refused by an event trigger.
    admin
        .execute(
            r"CREATE FUNCTION refuse_tenant_tables() RETURNS event_trigger LANGUAGE plpgsql AS $$
              DECLARE r record;
              BEGIN
                  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
                      IF r.schema_name LIKE 'ws\_%' AND r.object_type = 'table'
                         AND r.object_identity NOT LIKE '%._bastion_migrations' THEN
                          RAISE EXCEPTION 'simulated failure creating %', r.object_identity
                              USING ERRCODE = 'XX042';
                      END IF;
                  END LOOP;
              END $$;
              CREATE EVENT TRIGGER refuse_tenant_tables ON ddl_command_end
                  WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION refuse_tenant_tables();",
        )
        .await
        .unwrap();
    let err = workspaces::create_workspace(&db.pool, master_keys(), &slug, "Doomed")
        .await
        .unwrap_err();
    assert_eq!(core_sqlstate(&err).as_deref(), Some("XX042"), "{err}");
    assert!(err.to_string().contains("simulated failure"), "{err}");
    assert_eq!(
        footprint(&mut admin).await,
        before,
        "after a failed tenant migration"
    );
    admin
        .execute("DROP EVENT TRIGGER refuse_tenant_tables")
        .await
        .unwrap();

    // The slug was never taken: the same creation now succeeds, completely.
    let ws = workspaces::create_workspace(&db.pool, master_keys(), &slug, "Doomed")
        .await
        .unwrap();
    assert_eq!(footprint(&mut admin).await, grown_by_one(&before));
    assert_eq!(
        recorded_versions(&mut admin, &ws.schema()).await,
        all_versions()
    );
}
