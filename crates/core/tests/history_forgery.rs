//! History that SQL injected into a tenant transaction cannot forge (issue 14): the actor is a
//! claim the trigger checks against a key the workspace role cannot read, history is written
//! only by owner-run triggers, and removing the newest events shows against the published head.

mod common;

use bastion_core::{
    actor_claim::{self, ClaimKey},
    audit::{self, HeadMismatch, HistoryFilter, HistoryPage},
    testing::TestDb,
    workspaces::Workspace,
    Actor, TenantTx,
};
use common::*;
use sqlx::{AssertSqlSafe, Executor, PgConnection};
use uuid::Uuid;

/// The events of `ws` as (actor, entity type), oldest first, read by the superuser.
async fn actors(su: &mut PgConnection, ws: &Workspace) -> Vec<(String, String)> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT actor, entity_type FROM {}.history ORDER BY id",
        ws.schema().quoted()
    )))
    .fetch_all(&mut *su)
    .await
    .unwrap()
}

/// As injected SQL would: `SET LOCAL`, since the set_user extension refuses `set_config()`
/// while switched (and the value is a test's own, quoted here).
async fn set_actor(conn: &mut PgConnection, value: &str) {
    conn.execute(AssertSqlSafe(format!(
        "SET LOCAL bastion.actor = '{}'",
        value.replace('\'', "''")
    )))
    .await
    .expect("set bastion.actor");
}

/// An audited change (a project and a task in it): (SQLSTATE, message) of its refusal.
async fn refused_change(conn: &mut PgConnection) -> (String, String) {
    let project = add_project(conn, "Injected").await;
    failure(
        conn,
        &format!(
            "INSERT INTO tasks (id, project_id, title, created_by, number) \
             VALUES (gen_random_uuid(), '{project}', 'x', '{}', 1)",
            Uuid::new_v4()
        ),
    )
    .await
}

async fn claim_key(su: &mut PgConnection) -> ClaimKey {
    let key: Vec<u8> = sqlx::query_scalar("SELECT key FROM public.history_claim_key")
        .fetch_one(&mut *su)
        .await
        .expect("read the claim key as the superuser");
    ClaimKey::new(key)
}

#[tokio::test]
async fn an_actor_set_from_inside_is_refused_and_nothing_is_recorded() {
    let db = TestDb::new().await;
    let (ws, other) = two_workspaces(&db.pool).await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());

    let mut tx = as_user(&db.pool, &ws, a).await;
    let mut probes = vec![
        (b.hyphenated().to_string(), "malformed"),
        ("system".to_owned(), "malformed"),
        (String::new(), "no actor claim"),
    ];
    // Well formed, but signed by no one.
    probes.push((format!("{b}.99999999999.{}", "0".repeat(64)), "not signed"));
    // The claim of another workspace's transaction, even for the same user.
    let mut elsewhere = as_user(&db.pool, &other, a).await;
    let foreign: String = sqlx::query_scalar("SELECT current_setting('bastion.actor')")
        .fetch_one(elsewhere.conn())
        .await
        .unwrap();
    elsewhere.rollback().await.unwrap();
    probes.push((foreign, "not signed for this workspace"));
    // Expired, though signed with the real key for this workspace.
    let mut su = admin(&db).await;
    let key = claim_key(&mut su).await;
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 5;
    probes.push((
        actor_claim::sign(&key, ws.schema().as_str(), Actor::User(b), past),
        "expired",
    ));
    for (value, why) in &probes {
        set_actor(tx.conn(), value).await;
        let (code, message) = refused_change(tx.conn()).await;
        assert_eq!(code, INSUFFICIENT_PRIVILEGE, "{value:?}: {message}");
        assert!(message.contains(why), "{value:?}: {message}");
    }
    // Resetting the setting leaves no claim either. (`RESET ALL` is not tried here: under the
    // set_user extension 4.0.1 it ends the backend, which boundary.rs pins.)
    tx.conn().execute("RESET bastion.actor").await.unwrap();
    let (code, message) = refused_change(tx.conn()).await;
    assert_eq!(code, INSUFFICIENT_PRIVILEGE, "{message}");
    tx.commit().await.unwrap();
    assert!(actors(&mut su, &ws).await.is_empty());

    // What makes a claim valid is the key alone: one the application would sign is accepted
    // and recorded under its actor.
    let mut tx = as_user(&db.pool, &ws, a).await;
    let future = time::OffsetDateTime::now_utc().unix_timestamp() + 60;
    set_actor(
        tx.conn(),
        &actor_claim::sign(&key, ws.schema().as_str(), Actor::User(b), future),
    )
    .await;
    let project = add_project(tx.conn(), "Signed").await;
    add_task(tx.conn(), project, "y", b).await;
    tx.commit().await.unwrap();
    // And the application's own claim records the transaction's user.
    let mut tx = as_user(&db.pool, &ws, a).await;
    let project = add_project(tx.conn(), "Mine").await;
    add_task(tx.conn(), project, "z", a).await;
    tx.commit().await.unwrap();
    assert_eq!(
        actors(&mut su, &ws).await,
        vec![
            (b.to_string(), "task".to_owned()),
            (a.to_string(), "task".to_owned())
        ]
    );
}

#[tokio::test]
async fn history_is_written_by_the_triggers_alone() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let mut tx = as_user(&db.pool, &ws, Uuid::new_v4()).await;
    let c = tx.conn();
    let id = Uuid::new_v4();
    for (sql, what) in [
        (
            format!(
                "INSERT INTO history (occurred_at, actor, entity_type, entity_id, action, \
                 changes, hash) VALUES (now(), 'system', 'task', '{id}', 'created', '{{}}', '\\x00')"
            ),
            "history",
        ),
        (
            format!("SELECT bastion_history.append('{}', 'task', '{id}', 'created', '{{}}', NULL)", ws.schema().as_str()),
            "bastion_history",
        ),
        ("SELECT nextval('history_id_seq')".to_owned(), "history_id_seq"),
        (
            "SELECT key FROM public.history_claim_key".to_owned(),
            "public",
        ),
        (
            "UPDATE public.history_heads SET last_id = 0".to_owned(),
            "public",
        ),
    ] {
        assert_denied(c, &sql, what).await;
    }
    // Nor the shared recorder of workspace changes, which core calls only from a transaction
    // entered as the tables' owner (it would refuse anyway: the workspace row was not changed by
    // this transaction, which a workspace role cannot do).
    assert_denied(
        c,
        &format!(
            "SELECT bastion_history.record_workspace_update('{}', '{}', \
             '{{\"plan\": {{\"before\": \"business\", \"after\": \"starter\"}}}}')",
            ws.schema().as_str(),
            ws.id
        ),
        "bastion_history",
    )
    .await;
    tx.rollback().await.unwrap();

    // The shared functions (control-plane migrations 0014, 0018) run as the owner with a search
    // path of pg_catalog alone, in a schema no workspace role may use.
    let mut su = admin(&db).await;
    let rows: Vec<(String, bool, String, String)> = sqlx::query_as(
        "SELECT p.proname::text, p.prosecdef, pg_get_userbyid(p.proowner)::text,
                array_to_string(p.proconfig, ',')
           FROM pg_proc p
          WHERE p.pronamespace = 'bastion_history'::regnamespace
            AND p.proname IN ('append', 'row_change', 'row_event', 'link_change',
                              'link_event', 'record_workspace_update')
          ORDER BY 1",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert!(
        rows.iter().all(|(_, definer, owner, config)| *definer
            && owner == "bastion_tenant_owner"
            && config == "search_path=pg_catalog, pg_temp"),
        "{rows:?}"
    );
    // No function at all in a workspace schema: no copies of the PL/pgSQL that writes history
    // (each backend compiled one per workspace), and none of any kind, since PostgreSQL looks a
    // function up through the list of every function of that name in every schema
    // (docs/performance.md).
    let functions: Vec<String> = sqlx::query_scalar(
        "SELECT proname::text FROM pg_proc WHERE pronamespace = $1::regnamespace",
    )
    .bind(ws.schema().as_str())
    .fetch_all(&mut su)
    .await
    .unwrap();
    assert_eq!(functions, Vec::<String>::new());
    let (usable, executable): (bool, bool) = sqlx::query_as(
        "SELECT has_schema_privilege($1, 'bastion_history', 'USAGE'),
                has_function_privilege($1,
                    'bastion_history.append(text, text, uuid, text, jsonb, uuid)', 'EXECUTE')",
    )
    .bind(ws.schema().as_str())
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert!(!usable && !executable);
}

#[tokio::test]
async fn changes_outside_a_tenant_transaction_are_recorded_as_unknown() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let q = ws.schema().quoted();
    // An operator at psql as the superuser, and a migration as the owner role.
    let mut su = admin(&db).await;
    su.execute(AssertSqlSafe(format!(
        "INSERT INTO {q}.projects (id, name, key_prefix) VALUES (gen_random_uuid(), 'p', 'PP');
         INSERT INTO {q}.tags (id, name) VALUES (gen_random_uuid(), 'by superuser')"
    )))
    .await
    .unwrap();
    // The owner's rights are the provisioning login's: the serving login cannot take them.
    let mut owner = bastion_core::db::provisioning(&db.pool)
        .begin()
        .await
        .unwrap();
    owner
        .execute(AssertSqlSafe(format!(
            "SET LOCAL ROLE bastion_tenant_owner;
             INSERT INTO {q}.tags (id, name) VALUES (gen_random_uuid(), 'by owner')"
        )))
        .await
        .unwrap();
    owner.commit().await.unwrap();
    assert_eq!(
        actors(&mut su, &ws).await,
        vec![
            ("unknown".to_owned(), "tag".to_owned()),
            ("unknown".to_owned(), "tag".to_owned())
        ]
    );
    assert!(audit::verify(&db.pool, &ws).await.unwrap().is_intact());
}

#[tokio::test]
async fn removing_the_newest_events_is_reported() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let user = Uuid::new_v4();
    let mut tx = as_user(&db.pool, &ws, user).await;
    let project = add_project(tx.conn(), "Website").await;
    let task = add_task(tx.conn(), project, "one", user).await;
    for title in ["two", "three", "four"] {
        sqlx::query("UPDATE tasks SET title = $2 WHERE id = $1")
            .bind(task)
            .bind(title)
            .execute(tx.conn())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let report = audit::verify(&db.pool, &ws).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.checked, 4);

    let mut su = admin(&db).await;
    let q = ws.schema().quoted();
    let ids: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT id FROM {q}.history ORDER BY id"
    )))
    .fetch_all(&mut su)
    .await
    .unwrap();
    // The two newest go: what is left is a consistent chain, which only the head exposes.
    su.execute(AssertSqlSafe(format!(
        "DELETE FROM {q}.history WHERE id >= {}",
        ids[2]
    )))
    .await
    .unwrap();
    let report = audit::verify(&db.pool, &ws).await.unwrap();
    assert_eq!(report.first_broken, None);
    let head = report.head_mismatch.expect("the truncation is reported");
    assert_eq!(
        head,
        HeadMismatch {
            published: Some(ids[3]),
            newest: Some(ids[1]),
        }
    );
    assert!(head.newest_removed());

    // All of them.
    su.execute(AssertSqlSafe(format!("DELETE FROM {q}.history")))
        .await
        .unwrap();
    let head = audit::verify(&db.pool, &ws)
        .await
        .unwrap()
        .head_mismatch
        .expect("an emptied chain is reported");
    assert_eq!((head.published, head.newest), (Some(ids[3]), None));
    assert!(head.newest_removed());

    // Hiding it means rewriting the head as well, which takes the owner or a superuser.
    let mut tx = TenantTx::begin(&db.pool, &ws.schema(), Actor::System)
        .await
        .unwrap();
    let page = HistoryPage {
        before: None,
        limit: 10,
    };
    assert!(audit::list(&mut tx, &HistoryFilter::default(), page)
        .await
        .unwrap()
        .is_empty());
    tx.rollback().await.unwrap();
}
