//! The role switch for a PostgreSQL without the set_user extension (`bastion serve` uses it only
//! with `BASTION_ALLOW_REVERTIBLE_TENANT_ROLE=true`): `SET LOCAL ROLE` inside the transaction.
//! Bastion's own SQL stays confined, but SQL inside can undo the switch — which is why it is
//! opt-in and `/readyz` says so. Its own process: the switch is chosen per process.

mod common;

use bastion_core::{
    db::{self, SwitchSupport},
    tenant::{self, RoleSwitch},
    testing::TestDb,
};
use common::*;
use sqlx::Executor;

#[tokio::test]
async fn without_set_user_the_switch_confines_but_can_be_undone() {
    let db = TestDb::new().await;
    assert_eq!(
        db::role_switch_support(&db.pool).await.unwrap(),
        SwitchSupport::Irrevocable
    );
    let mut admin = admin(&db).await;
    admin
        .execute("DROP EXTENSION set_user; DROP SCHEMA bastion_switch")
        .await
        .unwrap();
    assert_eq!(
        db::role_switch_support(&db.pool).await.unwrap(),
        SwitchSupport::Missing
    );

    tenant::set_role_switch(RoleSwitch::Revertible);
    let (a, b) = two_workspaces(&db.pool).await;
    let mut tx = tenant(&db.pool, &a).await;
    assert_eq!(whoami(tx.conn()).await.0, a.schema().as_str());
    let sb = b.schema();
    assert_denied(
        tx.conn(),
        &format!("SELECT * FROM {sb}.projects"),
        &format!("schema {sb}"),
    )
    .await;
    // What the irrevocable switch refuses, this one allows.
    tx.conn().execute("RESET ROLE").await.unwrap();
    assert_eq!(whoami(tx.conn()).await.0, APP_ROLE);
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn an_extension_set_up_wrongly_is_named() {
    let db = TestDb::new().await;
    let mut admin = admin(&db).await;
    admin
        .execute(
            "REVOKE EXECUTE ON FUNCTION bastion_switch.set_user(text, text) FROM bastion_serving",
        )
        .await
        .unwrap();
    match db::role_switch_support(&db.pool).await.unwrap() {
        SwitchSupport::Misconfigured(why) => assert!(why.contains("GRANT EXECUTE"), "{why}"),
        other => panic!("expected a misconfiguration, got {other:?}"),
    }
}
