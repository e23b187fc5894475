//! Door parity for the privacy capability: workspace settings and export, refused and timed out
//! alike through the REST API and the settings page's server functions.

use axum::http::StatusCode;
use bastion::config::Config;
use serde_json::json;

use crate::common::{serve, spawn_app, Answer, Cast, TestApp};

/// A server function's refusal as the page receives it.
fn ui_error(answer: &Answer) -> app::UiError {
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body))
}

async fn plan_of(app: &TestApp, slug: &str) -> String {
    bastion_core::workspaces::find_by_slug(&app.db.pool, slug)
        .await
        .unwrap()
        .unwrap()
        .plan
}

async fn export_jobs(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'export'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_changing_the_plan_is_refused_alike_by_both_doors() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;

    let rest = app
        .patch_as(&cast.member, &cast.api(""), json!({"plan": "business"}))
        .await;
    assert_eq!(rest.status, StatusCode::FORBIDDEN, "{}", rest.body);
    assert_eq!(rest.json()["error"]["code"], "forbidden");

    let page = app
        .server_fn(
            "change_plan",
            &cast.member,
            &format!("slug={}&plan=business", cast.slug),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    let refusal = ui_error(&page);
    assert!(matches!(refusal, app::UiError::Forbidden(_)), "{refusal:?}");
    // One sentence for one refusal, whichever door it came through.
    assert_eq!(
        refusal.to_string(),
        rest.json()["error"]["message"].as_str().unwrap()
    );
    assert_eq!(plan_of(&app, &cast.slug).await, "starter");

    // The admin passes both doors, so the refusal above was the member's, not the request's.
    let page = app
        .server_fn(
            "change_plan",
            &cast.admin,
            &format!("slug={}&plan=pro", cast.slug),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(plan_of(&app, &cast.slug).await, "pro");
}

/// The plan changes recorded in the workspace's history, oldest first: (actor, changes).
async fn plan_events(app: &TestApp, slug: &str) -> Vec<(String, serde_json::Value)> {
    let ws = bastion_core::workspaces::find_by_slug(&app.db.pool, slug)
        .await
        .unwrap()
        .unwrap();
    let mut tx =
        bastion_core::TenantTx::begin(&app.db.pool, &ws.schema(), bastion_core::Actor::System)
            .await
            .unwrap();
    let events: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT actor, changes FROM history
          WHERE entity_type = 'workspace' AND entity_id = $1 AND action = 'updated'
          ORDER BY id",
    )
    .bind(ws.id.0)
    .fetch_all(tx.conn())
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_change_is_recorded_in_history_by_both_doors() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let admin = cast.admin_id.to_string();

    let rest = app
        .patch_as(&cast.admin, &cast.api(""), json!({"plan": "business"}))
        .await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    let page = app
        .server_fn(
            "change_plan",
            &cast.admin,
            &format!("slug={}&plan=pro", cast.slug),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let recorded = vec![
        (
            admin.clone(),
            json!({"plan": {"before": "starter", "after": "business"}}),
        ),
        (
            admin.clone(),
            json!({"plan": {"before": "business", "after": "pro"}}),
        ),
    ];
    assert_eq!(plan_events(&app, &cast.slug).await, recorded);

    // A refusal, a bad plan and the same plan again change nothing and record nothing.
    let refused = app
        .patch_as(&cast.member, &cast.api(""), json!({"plan": "starter"}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let bad = app
        .server_fn(
            "change_plan",
            &cast.admin,
            &format!("slug={}&plan=platinum", cast.slug),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    for same in [
        app.patch_as(&cast.admin, &cast.api(""), json!({"plan": "pro"}))
            .await,
        app.server_fn(
            "change_plan",
            &cast.admin,
            &format!("slug={}&plan=pro", cast.slug),
        )
        .await,
    ] {
        assert_eq!(same.status, StatusCode::OK, "{}", same.body);
    }
    assert_eq!(plan_events(&app, &cast.slug).await, recorded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_starting_an_export_is_refused_alike_by_both_doors() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;

    let rest = app
        .call("POST", &cast.api("/export"), Some(&cast.member), None)
        .await;
    assert_eq!(rest.status, StatusCode::FORBIDDEN, "{}", rest.body);
    assert_eq!(rest.json()["error"]["code"], "forbidden");

    let page = app
        .server_fn("start_export", &cast.member, &format!("slug={}", cast.slug))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert_eq!(
        ui_error(&page),
        app::UiError::Forbidden(rest.json()["error"]["message"].as_str().unwrap().to_owned())
    );
    assert_eq!(export_jobs(&app).await, 0, "nothing was queued");
}

/// The app as `serve` runs it with `BASTION_STATEMENT_TIMEOUT_SECS`: its pool's statements are
/// cancelled by PostgreSQL after that long. (`spawn_app_with` serves from the test database's
/// unbounded pool, so the setting alone would not reach PostgreSQL.)
async fn spawn_app_with_statement_timeout(secs: &str) -> TestApp {
    let db = bastion_core::testing::TestDb::new().await;
    let data_dir = tempfile::tempdir().unwrap();
    let vars = [
        ("BASTION_STATEMENT_TIMEOUT_SECS", secs.to_owned()),
        ("BASTION_DATA_DIR", data_dir.path().display().to_string()),
    ];
    let config = Config::load_with_env(Some(std::path::Path::new("/dev/null")), |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    let pool = bastion_core::db::connect(
        bastion::database::with_statement_timeout(db.app_options.clone(), config.statement_timeout),
        &Default::default(),
    )
    .await
    .unwrap();
    // The provisioning work of a request (the plan change below) is bounded too, as in `serve`.
    let provisioning = bastion_core::db::connect(
        bastion::database::with_statement_timeout(
            db.owner_options.clone(),
            config.statement_timeout,
        ),
        &Default::default(),
    )
    .await
    .unwrap();
    bastion_core::db::register_provisioning(&pool, provisioning);
    serve(db, pool, config, data_dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_timeout_is_a_503_through_both_doors_and_changes_nothing() {
    // The smallest statement timeout the configuration accepts.
    let app = spawn_app_with_statement_timeout("1").await;
    let cast = Cast::new(&app).await;
    let ws = bastion_core::workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();

    // Another connection (outside the app's pool, so without its timeout) holds the
    // workspace's row: the plan change waits for it until PostgreSQL cancels the statement.
    let mut holder = app.db.provisioning.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE")
        .bind(ws.id)
        .execute(&mut *holder)
        .await
        .unwrap();

    let rest = app
        .patch_as(&cast.admin, &cast.api(""), json!({"plan": "business"}))
        .await;
    assert_eq!(
        rest.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        rest.body
    );
    assert_eq!(rest.json()["error"]["code"], "timeout");

    let page = app
        .server_fn(
            "change_plan",
            &cast.admin,
            &format!("slug={}&plan=business", cast.slug),
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    let refusal = ui_error(&page);
    assert_eq!(refusal, app::UiError::Timeout);
    assert_eq!(
        refusal.to_string(),
        "That took longer than the server allows, so nothing was changed. Try again, or ask \
         for less at once."
    );

    holder.rollback().await.unwrap();
    assert_eq!(plan_of(&app, &cast.slug).await, "starter");
    // Once the row is free the same call goes through: it was the wait that timed out.
    let page = app
        .server_fn(
            "change_plan",
            &cast.admin,
            &format!("slug={}&plan=business", cast.slug),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(plan_of(&app, &cast.slug).await, "business");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downgrade_that_deletes_history_needs_the_admin_to_confirm_it() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    // Three events; the newest always stays, whatever its age, so two would go.
    for _ in 0..3 {
        app.seed_task(&cast.slug, cast.admin_id, false).await;
    }
    let ws = bastion_core::workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    // On Business, with history older than Starter keeps (90 days). The superuser's edit breaks
    // the hash chain, which does not matter to what is counted here.
    let su = sqlx::PgPool::connect_with(app.db.admin_options())
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {}.history SET occurred_at = now() - interval '200 days'",
        ws.schema().quoted()
    )))
    .execute(&su)
    .await
    .unwrap();
    sqlx::query("UPDATE workspaces SET plan = 'business' WHERE id = $1")
        .bind(ws.id)
        .execute(&su)
        .await
        .unwrap();
    let form = format!("slug={}&plan=starter", cast.slug);

    let unconfirmed = app.server_fn("change_plan", &cast.admin, &form).await;
    assert_eq!(
        unconfirmed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unconfirmed.body
    );
    match ui_error(&unconfirmed) {
        app::UiError::Invalid { field, message } => {
            assert_eq!(field, "confirm");
            assert!(
                message
                    .starts_with("Moving to Starter deletes 2 history events older than 90 days"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(plan_of(&app, &cast.slug).await, "business");

    // Pro keeps a year: nothing goes, so nothing to confirm.
    let pro = format!("slug={}&plan=pro", cast.slug);
    let moved = app.server_fn("change_plan", &cast.admin, &pro).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);

    let confirmed = app
        .server_fn(
            "change_plan",
            &cast.admin,
            &format!("{form}&confirm=delete"),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(plan_of(&app, &cast.slug).await, "starter");
}
