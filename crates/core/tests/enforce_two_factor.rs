//! Workspace-enforced two-factor sign-in: who may turn it on, what the workspace's history
//! records, and the one gate (`members::enter_as_member`) admitting members who comply and
//! refusing the others, while strangers still learn nothing.

mod common;

use bastion_core::{
    accounts::User,
    audit::{self, HistoryFilter, HistoryPage},
    members, sessions,
    testing::{master_keys, TestDb},
    two_factor::{self, code_at_step, step_at, TotpSecret},
    workspaces::{self, SettingsChange, Workspace},
    CoreError, Role, Viewer,
};
use common::{join, tenant, user, workspace};
use serde_json::json;
use sqlx::PgPool;

/// Turns two-factor sign-in on for `user`.
async fn enrol(pool: &PgPool, user: &User) {
    let enrolment = two_factor::begin_enrolment(pool, master_keys(), user)
        .await
        .unwrap();
    let secret = TotpSecret::from_base32(enrolment.secret.expose()).expect("base32");
    let step = step_at(time::OffsetDateTime::now_utc().unix_timestamp());
    two_factor::confirm_enrolment(
        pool,
        master_keys(),
        user,
        &code_at_step(secret.bytes(), step),
    )
    .await
    .unwrap();
}

async fn require(
    pool: &PgPool,
    viewer: Viewer,
    ws: &Workspace,
    on: bool,
) -> Result<Workspace, CoreError> {
    let change = SettingsChange {
        require_two_factor: Some(on),
        ..SettingsChange::default()
    };
    workspaces::change_settings(pool, viewer, ws, &change).await
}

/// How the gate answers `user` in `slug`: admitted, refused for two-factor, or not a member.
async fn gate(pool: &PgPool, user: &User, slug: &str) -> &'static str {
    match members::open_as_member(pool, user.id, slug).await {
        Ok(Some((_, _, tx))) => {
            tx.rollback().await.unwrap();
            "admitted"
        }
        Ok(None) => "not a member",
        Err(CoreError::TwoFactorRequired) => "two-factor required",
        Err(e) => panic!("unexpected: {e}"),
    }
}

async fn workspace_events(pool: &PgPool, ws: &Workspace) -> Vec<serde_json::Value> {
    let filter = HistoryFilter {
        entity_type: Some("workspace".into()),
        ..HistoryFilter::default()
    };
    let mut tx = tenant(pool, ws).await;
    let page = HistoryPage {
        before: None,
        limit: 100,
    };
    let events = audit::list(&mut tx, &filter, page).await.unwrap();
    tx.rollback().await.unwrap();
    events.into_iter().rev().map(|e| e.changes).collect()
}

/// Whether a page of `slug` would send the holder of a new session of `user` to enrolment.
async fn page_owes(pool: &PgPool, user: &User, slug: Option<&str>) -> bool {
    let (token, _) = sessions::create(pool, user.id, None).await.unwrap();
    sessions::page_prefs_in(pool, &token, slug)
        .await
        .unwrap()
        .expect("a live session")
        .two_factor_owed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_without_two_factor_are_stopped_while_the_workspace_requires_it() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    let ws = workspace(pool, "acme").await;
    let other = workspace(pool, "other").await;
    let admin = user(pool, "admin@acme.test", "Ada").await;
    let member = user(pool, "member@acme.test", "Max").await;
    let stranger = user(pool, "stranger@other.test", "Sam").await;
    join(pool, &ws, admin.id, "admin").await;
    join(pool, &ws, member.id, "member").await;
    join(pool, &other, stranger.id, "admin").await;
    let as_admin = Viewer::new(admin.id, Role::Admin);

    // An admin without two-factor sign-in would lock themselves out: refused, naming the field.
    match require(pool, as_admin, &ws, true).await {
        Err(CoreError::Invalid { field, message }) => {
            assert_eq!(field, "require_two_factor");
            assert_eq!(message, workspaces::REQUIRE_TWO_FACTOR_SELF_FIRST);
        }
        other => panic!("expected a refusal of the field, got {other:?}"),
    }
    // A member may not, whatever their own sign-in.
    enrol(pool, &member).await;
    let refused = require(pool, Viewer::new(member.id, Role::Member), &ws, true)
        .await
        .unwrap_err();
    assert!(matches!(refused, CoreError::Forbidden(_)), "{refused}");
    assert!(workspace_events(pool, &ws).await.is_empty());
    assert_eq!(gate(pool, &admin, "acme").await, "admitted");

    // With two-factor on, the admin requires it; the change is on record.
    enrol(pool, &admin).await;
    let ws = require(pool, as_admin, &ws, true).await.unwrap();
    assert!(ws.require_two_factor);
    assert!(
        workspaces::find_by_slug(pool, "acme")
            .await
            .unwrap()
            .unwrap()
            .require_two_factor
    );
    assert_eq!(
        workspace_events(pool, &ws).await,
        vec![json!({"require_two_factor": {"before": false, "after": true}})]
    );
    // Saying it again changes nothing and records nothing.
    require(pool, as_admin, &ws, true).await.unwrap();
    assert_eq!(workspace_events(pool, &ws).await.len(), 1);

    // Compliant members are admitted; a newcomer without two-factor is refused, and a
    // stranger still gets the stranger's answer, not a hint that the workspace requires it.
    let newcomer = user(pool, "new@acme.test", "Nia").await;
    join(pool, &ws, newcomer.id, "member").await;
    assert_eq!(gate(pool, &admin, "acme").await, "admitted");
    assert_eq!(gate(pool, &member, "acme").await, "admitted");
    assert_eq!(gate(pool, &newcomer, "acme").await, "two-factor required");
    assert_eq!(gate(pool, &stranger, "acme").await, "not a member");
    // Other workspaces are not affected.
    join(pool, &other, newcomer.id, "member").await;
    assert_eq!(gate(pool, &newcomer, "other").await, "admitted");

    // Pages learn the same in their one read; outside the workspace nothing is owed.
    assert!(page_owes(pool, &newcomer, Some("acme")).await);
    assert!(!page_owes(pool, &newcomer, Some("other")).await);
    assert!(!page_owes(pool, &newcomer, None).await);
    assert!(!page_owes(pool, &member, Some("acme")).await);
    assert!(!page_owes(pool, &stranger, Some("acme")).await);

    // Once the newcomer enrols, they are in.
    enrol(pool, &newcomer).await;
    assert_eq!(gate(pool, &newcomer, "acme").await, "admitted");
    assert!(!page_owes(pool, &newcomer, Some("acme")).await);

    // Turning it off needs no two-factor and admits everyone again; on record too.
    let late = user(pool, "late@acme.test", "Lou").await;
    join(pool, &ws, late.id, "guest").await;
    assert_eq!(gate(pool, &late, "acme").await, "two-factor required");
    let ws = require(pool, as_admin, &ws, false).await.unwrap();
    assert!(!ws.require_two_factor);
    assert_eq!(gate(pool, &late, "acme").await, "admitted");
    assert_eq!(
        workspace_events(pool, &ws).await,
        vec![
            json!({"require_two_factor": {"before": false, "after": true}}),
            json!({"require_two_factor": {"before": true, "after": false}}),
        ]
    );
}
