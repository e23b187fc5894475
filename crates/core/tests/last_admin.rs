//! The last-admin safeguard holds when two admins demote each other at the same moment.

mod common;

use bastion_core::{members, testing::TestDb, Actor, CoreError, Role, TenantTx, Viewer};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_admins_demoting_each_other_never_leave_zero_admins() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    let ws = workspace(pool, "race").await;
    let mut ids = Vec::new();
    for who in ["ann", "bob"] {
        let user = user(pool, &format!("{who}@example.eu"), who).await;
        join(pool, &ws, user.id, "admin").await;
        ids.push(user.id);
    }
    let (ann, bob) = (ids[0], ids[1]);

    let mut refused_total = 0;
    for round in 0..30 {
        let demote = |actor, target| {
            let pool = pool.clone();
            let schema = ws.schema();
            async move {
                let mut tx = TenantTx::begin(&pool, &schema, Actor::User(actor))
                    .await
                    .unwrap();
                match members::update_member(
                    &mut tx,
                    Viewer::new(actor, Role::Admin),
                    target,
                    Some("member"),
                    None,
                )
                .await
                {
                    Ok(_) => {
                        tx.commit().await.unwrap();
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
        };
        let (a, b) = tokio::join!(
            tokio::spawn(demote(ann, bob)),
            tokio::spawn(demote(bob, ann))
        );
        let results = [a.unwrap(), b.unwrap()];
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(CoreError::LastAdmin)))
            .count();
        assert!(
            results
                .iter()
                .all(|r| r.is_ok() || matches!(r, Err(CoreError::LastAdmin))),
            "round {round}: {results:?}"
        );
        assert_eq!(
            refused, 1,
            "round {round}: exactly one demotion must be refused"
        );
        refused_total += refused;

        let mut tx = TenantTx::begin(pool, &ws.schema(), Actor::System)
            .await
            .unwrap();
        let admins: i64 =
            sqlx::query_scalar("SELECT count(*) FROM members WHERE role = 'admin' AND active")
                .fetch_one(tx.conn())
                .await
                .unwrap();
        assert_eq!(admins, 1, "round {round}");
        // Both admins again for the next round.
        sqlx::query("UPDATE members SET role = 'admin'")
            .execute(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(refused_total, 30);
}

/// The role and active flag `user` has in `ws`, read as the system.
async fn membership(
    pool: &sqlx::PgPool,
    ws: &bastion_core::workspaces::Workspace,
    user: uuid::Uuid,
) -> (String, bool) {
    let mut tx = tenant(pool, ws).await;
    let row = sqlx::query_as("SELECT role, active FROM members WHERE user_id = $1")
        .bind(user)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    row
}

/// `bastion workspace add-member --role` replaces the role of someone already in: it must not
/// turn the last active admin into a member, and still changes everyone else's role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_adding_the_last_admin_with_another_role_is_refused() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    let ws = workspace(pool, "readd").await;
    let ann = user(pool, "ann@example.eu", "Ann").await.id;
    let bob = user(pool, "bob@example.eu", "Bob").await.id;
    join(pool, &ws, ann, "admin").await;
    join(pool, &ws, bob, "member").await;

    for role in ["member", "guest"] {
        let refused = bastion_core::accounts::add_member(pool, &ws, ann, role, Actor::System)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, CoreError::LastAdmin),
            "as {role}: {refused}"
        );
        assert_eq!(membership(pool, &ws, ann).await, ("admin".into(), true));
    }

    // Everyone else's role changes as before, and a second admin lets the first one go.
    join(pool, &ws, bob, "guest").await;
    assert_eq!(membership(pool, &ws, bob).await, ("guest".into(), true));
    join(pool, &ws, ann, "admin").await;
    join(pool, &ws, bob, "admin").await;
    join(pool, &ws, ann, "member").await;
    assert_eq!(membership(pool, &ws, ann).await, ("member".into(), true));
    // A deactivated admin is not the last active one: re-adding them as a member reactivates them.
    let mut tx = tenant(pool, &ws).await;
    sqlx::query("UPDATE members SET role = 'admin', active = false WHERE user_id = $1")
        .bind(ann)
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    join(pool, &ws, ann, "member").await;
    assert_eq!(membership(pool, &ws, ann).await, ("member".into(), true));
}
