//! Audit history against the real PostgreSQL: the triggers write one event per change in the
//! change's own transaction, the application role cannot alter history, the hash chain exposes
//! edits made behind the application's back, concurrent writers never fork it, and retention
//! deletes only what is old enough.

mod common;

use bastion_core::{
    audit::{self, HistoryEvent, HistoryFilter, HistoryPage},
    testing::TestDb,
    workspaces::{self, Workspace},
    Actor, CoreError, Role, TenantTx, Viewer,
};
use common::*;
use serde_json::json;
use sqlx::{AssertSqlSafe, Executor, PgConnection};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Runs `sql` with `ids` bound to $1, $2, … in order.
async fn exec(conn: &mut PgConnection, sql: &str, ids: &[Uuid]) {
    let mut query = sqlx::query(AssertSqlSafe(sql.to_owned()));
    for id in ids {
        query = query.bind(*id);
    }
    query
        .execute(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn rename_task(conn: &mut PgConnection, task: Uuid, title: &str) {
    sqlx::query("UPDATE tasks SET title = $2 WHERE id = $1")
        .bind(task)
        .bind(title)
        .execute(&mut *conn)
        .await
        .expect("rename task");
}

/// Runs `sql` as the superuser, behind the application's back.
async fn su_exec(su: &mut PgConnection, sql: String) {
    su.execute(AssertSqlSafe(sql))
        .await
        .unwrap_or_else(|e| panic!("as superuser: {e}"));
}

async fn verified(db: &TestDb, ws: &Workspace) -> audit::VerifyReport {
    audit::verify(&db.pool, ws).await.expect("verify history")
}

/// What `verify` reports for an intact chain of `checked` events.
fn intact(checked: i64) -> audit::VerifyReport {
    audit::VerifyReport {
        checked,
        first_broken: None,
        head_mismatch: None,
    }
}

/// A project and a task in it, created by `user`.
async fn add_launch_task(conn: &mut PgConnection, user: Uuid) -> Uuid {
    let project = add_project(conn, "Website").await;
    add_task(conn, project, "Launch", user).await
}

/// A task `user` created and then renamed to each of `titles` in turn, committed: one event for
/// the creation and one per title.
async fn renamed_task(db: &TestDb, ws: &Workspace, user: Uuid, titles: &[&str]) -> Uuid {
    let mut tx = as_user(&db.pool, ws, user).await;
    let task = add_launch_task(tx.conn(), user).await;
    for title in titles {
        rename_task(tx.conn(), task, title).await;
    }
    tx.commit().await.unwrap();
    task
}

async fn events(db: &TestDb, ws: &Workspace) -> Vec<HistoryEvent> {
    let mut tx = tenant(&db.pool, ws).await;
    let mut all = audit::list(
        &mut tx,
        &HistoryFilter::default(),
        HistoryPage {
            before: None,
            limit: 10_000,
        },
    )
    .await
    .expect("list history");
    tx.rollback().await.unwrap();
    all.reverse();
    all
}

async fn history_ids(admin: &mut PgConnection, ws: &Workspace) -> Vec<i64> {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT id FROM {}.history ORDER BY id",
        ws.schema().quoted()
    )))
    .fetch_all(&mut *admin)
    .await
    .unwrap()
}

fn summary(events: &[HistoryEvent]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| (e.entity_type.clone(), e.action.clone()))
        .collect()
}

#[tokio::test]
async fn every_change_writes_an_event_in_its_own_transaction() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let alice = Uuid::new_v4();
    let bob = Uuid::new_v4();

    let mut tx = as_user(&db.pool, &ws, alice).await;
    let c = tx.conn();
    let task = add_launch_task(c, alice).await;
    exec(
        c,
        "UPDATE tasks SET title = 'Launch v2', status = 'in_progress' WHERE id = $1",
        &[task],
    )
    .await;
    // An update that changes nothing is no event.
    exec(c, "UPDATE tasks SET title = title WHERE id = $1", &[task]).await;

    let tag = Uuid::new_v4();
    exec(
        c,
        "INSERT INTO tags (id, name) VALUES ($1, 'urgent')",
        &[tag],
    )
    .await;
    exec(
        c,
        "UPDATE tags SET colour = '#ff0000' WHERE id = $1",
        &[tag],
    )
    .await;
    let task_tag = "INSERT INTO task_tags (task_id, tag_id) VALUES ($1, $2)";
    exec(c, task_tag, &[task, tag]).await;
    exec(c, "DELETE FROM task_tags WHERE task_id = $1", &[task]).await;
    exec(c, "DELETE FROM tags WHERE id = $1", &[tag]).await;

    let guest = "INSERT INTO members (user_id, role) VALUES ($1, 'guest')";
    exec(c, guest, &[bob]).await;
    let viewer = "INSERT INTO task_viewers (task_id, user_id) VALUES ($1, $2)";
    exec(c, viewer, &[task, bob]).await;
    exec(c, "DELETE FROM task_viewers WHERE task_id = $1", &[task]).await;

    // The rows a task owns, each created by alice, changed and deleted in turn.
    for (insert, update, delete) in [
        (
            "INSERT INTO comments (id, task_id, author_id, body) VALUES ($1, $2, $3, 'Hi')",
            "UPDATE comments SET body = 'Hello' WHERE id = $1",
            "DELETE FROM comments WHERE id = $1",
        ),
        (
            "INSERT INTO time_entries (id, task_id, user_id, started_at, minutes, rate_cents)
             VALUES ($1, $2, $3, now(), 30, 9000)",
            "UPDATE time_entries SET minutes = 45 WHERE id = $1",
            "DELETE FROM time_entries WHERE id = $1",
        ),
        (
            "INSERT INTO attachments (id, task_id, uploader_id, filename, size_bytes, content_type, object_key)
             VALUES ($1, $2, $3, 'plan.pdf', 10, 'application/pdf', 'k1')",
            "UPDATE attachments SET filename = 'plan-v2.pdf' WHERE id = $1",
            "DELETE FROM attachments WHERE id = $1",
        ),
    ] {
        let id = Uuid::new_v4();
        exec(c, insert, &[id, task, alice]).await;
        exec(c, update, &[id]).await;
        exec(c, delete, &[id]).await;
    }
    exec(c, "DELETE FROM tasks WHERE id = $1", &[task]).await;

    // Read inside the same transaction: the events are part of it.
    let seen_inside: i64 = sqlx::query_scalar("SELECT count(*) FROM history")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let all = events(&db, &ws).await;
    assert_eq!(seen_inside as usize, all.len());
    let expected: Vec<(String, String)> = [
        ("task", "created"),
        ("task", "updated"),
        ("tag", "created"),
        ("tag", "updated"),
        ("task", "tag_added"),
        ("task", "tag_removed"),
        ("tag", "deleted"),
        ("task", "viewer_added"),
        ("task", "viewer_removed"),
        ("comment", "created"),
        ("comment", "updated"),
        ("comment", "deleted"),
        ("time_entry", "created"),
        ("time_entry", "updated"),
        ("time_entry", "deleted"),
        ("attachment", "created"),
        ("attachment", "updated"),
        ("attachment", "deleted"),
        ("task", "deleted"),
    ]
    .iter()
    .map(|(e, a)| (e.to_string(), a.to_string()))
    .collect();
    assert_eq!(summary(&all), expected);
    assert!(all.iter().all(|e| e.actor == alice.to_string()));

    // Creation records the whole row; an update only what changed, before and after.
    assert_eq!(all[0].entity_id, task);
    assert_eq!(all[0].changes["title"], "Launch");
    assert_eq!(all[0].changes["created_by"], alice.to_string());
    assert_eq!(
        all[1].changes,
        json!({
            "title": {"before": "Launch", "after": "Launch v2"},
            "status": {"before": "todo", "after": "in_progress"},
        })
    );
    assert_eq!(all[4].changes, json!({"tag_id": tag.to_string()}));
    assert_eq!(all[4].entity_id, task);
    assert_eq!(all[7].changes, json!({"user_id": bob.to_string()}));
    assert_eq!(
        all[13].changes,
        json!({"minutes": {"before": 30, "after": 45}})
    );
    assert_eq!(all[12].changes["rate_cents"], 9000);
    assert_eq!(all[17].changes["filename"], "plan-v2.pdf");
    assert_eq!(all[18].changes["title"], "Launch v2");
    // Every event of the task carries it for the timeline; a tag's own events do not.
    assert!(all
        .iter()
        .filter(|e| e.entity_type != "tag")
        .all(|e| e.task_id == Some(task)));
    assert!(all
        .iter()
        .filter(|e| e.entity_type == "tag")
        .all(|e| e.task_id.is_none()));

    // Filters.
    let mut tx = tenant(&db.pool, &ws).await;
    let page = HistoryPage {
        before: None,
        limit: 100,
    };
    let of_entity = |entity: &str| HistoryFilter {
        entity_type: Some(entity.into()),
        ..Default::default()
    };
    let comments = audit::list(&mut tx, &of_entity("comment"), page)
        .await
        .unwrap();
    assert_eq!(comments.len(), 3);
    let nobody = audit::list(
        &mut tx,
        &HistoryFilter {
            actor: Some(bob.to_string()),
            ..Default::default()
        },
        page,
    )
    .await
    .unwrap();
    assert!(nobody.is_empty());
    let second_page = audit::list(
        &mut tx,
        &HistoryFilter::default(),
        HistoryPage {
            before: Some(all[5].id),
            limit: 2,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        second_page.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![all[4].id, all[3].id]
    );
    let bad = audit::list(&mut tx, &of_entity("members"), page).await;
    assert!(matches!(
        bad,
        Err(bastion_core::CoreError::Invalid {
            field: "entity",
            ..
        })
    ));
    tx.rollback().await.unwrap();

    assert_eq!(verified(&db, &ws).await, intact(all.len() as i64));
}

#[tokio::test]
async fn a_rolled_back_change_leaves_no_event_and_the_system_actor_is_recorded() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;

    let mut tx = as_user(&db.pool, &ws, Uuid::new_v4()).await;
    add_launch_task(tx.conn(), Uuid::new_v4()).await;
    tx.rollback().await.unwrap();
    assert!(events(&db, &ws).await.is_empty());

    let mut tx = tenant(&db.pool, &ws).await;
    add_launch_task(tx.conn(), Uuid::new_v4()).await;
    tx.commit().await.unwrap();
    let all = events(&db, &ws).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].actor, "system");
}

#[tokio::test]
async fn the_application_role_cannot_change_or_remove_history() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let mut tx = tenant(&db.pool, &ws).await;
    add_launch_task(tx.conn(), Uuid::new_v4()).await;
    let c = tx.conn();
    for sql in [
        "UPDATE history SET actor = 'someone else'",
        "DELETE FROM history",
        "TRUNCATE history",
        "SELECT setval('history_id_seq', 1)",
    ] {
        let (code, message) = failure(c, sql).await;
        assert_eq!(code, INSUFFICIENT_PRIVILEGE, "{sql}: {message}");
    }
    tx.commit().await.unwrap();
    assert_eq!(events(&db, &ws).await.len(), 1);
}

#[tokio::test]
async fn verify_names_the_first_event_edited_or_removed_behind_the_applications_back() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let user = Uuid::new_v4();
    renamed_task(&db, &ws, user, &["two", "three", "four", "five"]).await;
    assert_eq!(verified(&db, &ws).await, intact(5));

    let mut su = admin(&db).await;
    let ids = history_ids(&mut su, &ws).await;
    let q = ws.schema().quoted();

    // Rewriting what a change said.
    su_exec(&mut su, format!(
        "UPDATE {q}.history SET changes = jsonb_set(changes, '{{title,after}}', '\"forged\"') WHERE id = {}",
        ids[2]
    ))
    .await;
    assert_eq!(verified(&db, &ws).await.first_broken, Some(ids[2]));

    // Even with its hash recomputed, the next event no longer follows it.
    su_exec(&mut su, format!(
        "SET search_path = {q}; UPDATE history SET hash = sha256(coalesce(prev_hash, '') || \
         bastion_history.content(id, occurred_at, actor, entity_type, entity_id, action, changes, task_id)) \
         WHERE id = {}; RESET search_path",
        ids[2]
    ))
    .await;
    assert_eq!(verified(&db, &ws).await.first_broken, Some(ids[3]));

    // Another actor.
    let ws2 = workspace(&db.pool, "beta").await;
    renamed_task(&db, &ws2, user, &["x", "y"]).await;
    let ids2 = history_ids(&mut su, &ws2).await;
    let q2 = ws2.schema().quoted();
    let other_actor = format!(
        "UPDATE {q2}.history SET actor = 'system' WHERE id = {}",
        ids2[0]
    );
    su_exec(&mut su, other_actor).await;
    assert_eq!(verified(&db, &ws2).await.first_broken, Some(ids2[0]));

    // Removing an event from the middle breaks the link of the one after it.
    let ws3 = workspace(&db.pool, "gamma").await;
    renamed_task(&db, &ws3, user, &["b", "c"]).await;
    let ids3 = history_ids(&mut su, &ws3).await;
    let q3 = ws3.schema().quoted();
    su_exec(
        &mut su,
        format!("DELETE FROM {q3}.history WHERE id = {}", ids3[1]),
    )
    .await;
    assert_eq!(
        verified(&db, &ws3).await,
        audit::VerifyReport {
            checked: 2,
            first_broken: Some(ids3[2]),
            head_mismatch: None,
        }
    );
}

#[tokio::test]
async fn concurrent_writers_leave_one_unbroken_chain() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let mut tx = tenant(&db.pool, &ws).await;
    let project = add_project(tx.conn(), "Shared").await;
    tx.commit().await.unwrap();

    let writers = (0..20).map(|i| {
        let pool = db.pool.clone();
        let schema = ws.schema();
        tokio::spawn(async move {
            let user = Uuid::new_v4();
            let mut tx = TenantTx::begin(&pool, &schema, Actor::User(user))
                .await
                .unwrap();
            let task = Uuid::new_v4();
            sqlx::query(
                "WITH n AS (UPDATE projects SET last_task_number = last_task_number + 1
                             WHERE id = $2 RETURNING last_task_number)
                 INSERT INTO tasks (id, project_id, title, created_by, number)
                 SELECT $1, $2, $3, $4, n.last_task_number FROM n",
            )
            .bind(task)
            .bind(project)
            .bind(format!("task {i}"))
            .bind(user)
            .execute(tx.conn())
            .await
            .unwrap();
            tokio::task::yield_now().await;
            sqlx::query("UPDATE tasks SET status = 'done' WHERE id = $1")
                .bind(task)
                .execute(tx.conn())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        })
    });
    for writer in futures::future::join_all(writers).await {
        writer.unwrap();
    }

    assert_eq!(verified(&db, &ws).await, intact(40));
    // One chain, not several: every prev_hash is used exactly once.
    let mut su = admin(&db).await;
    let (distinct, heads): (i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT count(DISTINCT prev_hash), count(*) FILTER (WHERE prev_hash IS NULL) FROM {}.history",
        ws.schema().quoted()
    )))
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!((distinct, heads), (39, 1));
}

#[tokio::test]
async fn purge_deletes_only_events_past_the_plans_retention_and_the_chain_still_verifies() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    assert_eq!(ws.plan, "starter");
    let user = Uuid::new_v4();
    let titles = ["title 0", "title 1", "title 2", "title 3", "title 4"];
    let task = renamed_task(&db, &ws, user, &titles).await;

    let mut su = admin(&db).await;
    let ids = history_ids(&mut su, &ws).await;
    assert_eq!(ids.len(), 6);
    let q = ws.schema().quoted();
    // Ages in days, oldest first; the fifth is old again (a transaction that began early and
    // committed late): it must stay, since only a prefix of the chain may go.
    let ages = [400, 200, 95, 10, 120, 1];
    for (id, age) in ids.iter().zip(ages) {
        su_exec(
            &mut su,
            format!(
            "UPDATE {q}.history SET occurred_at = now() - interval '{age} days' WHERE id = {id}"
        ),
        )
        .await;
    }
    // The superuser edit itself broke the hashes; recompute them as a legitimate chain would
    // have been written, so the test is about purging alone.
    rechain(&mut su, &ws).await;
    assert_eq!(verified(&db, &ws).await.first_broken, None);

    let now = OffsetDateTime::now_utc();
    // What each plan would delete now, as the settings page warns before a change.
    assert_eq!(preview(&db, &ws, "starter", now).await, 3);
    assert_eq!(preview(&db, &ws, "pro", now).await, 1);
    assert_eq!(preview(&db, &ws, "business", now).await, 0);
    assert_eq!(audit::purge(&db.pool, &ws, now).await.unwrap(), 3);
    assert_eq!(history_ids(&mut su, &ws).await, ids[3..].to_vec());
    assert_eq!(verified(&db, &ws).await, intact(3));
    // Nothing more is old enough.
    assert_eq!(audit::purge(&db.pool, &ws, now).await.unwrap(), 0);

    // Pro keeps a year: a year and a day later all but the newest event go.
    su_exec(
        &mut su,
        format!(
            "UPDATE public.workspaces SET plan = 'pro' WHERE id = '{}'",
            ws.id
        ),
    )
    .await;
    let ws = bastion_core::workspaces::find_by_slug(&db.pool, "acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        audit::purge(&db.pool, &ws, now + Duration::days(300))
            .await
            .unwrap(),
        0
    );
    assert_eq!(preview(&db, &ws, "pro", now + Duration::days(367)).await, 2);
    assert_eq!(
        preview(&db, &ws, "business", now + Duration::days(367)).await,
        0
    );
    let report = audit::purge_all(&db.pool, now + Duration::days(367))
        .await
        .unwrap();
    assert_eq!((report.workspaces, report.deleted), (1, 2));
    assert_eq!(history_ids(&mut su, &ws).await, vec![ids[5]]);
    assert_eq!(verified(&db, &ws).await, intact(1));

    // New events chain onto the kept one.
    let mut tx = as_user(&db.pool, &ws, user).await;
    rename_task(tx.conn(), task, "after purge").await;
    tx.commit().await.unwrap();
    assert_eq!(verified(&db, &ws).await, intact(2));
}

/// [`audit::purge_preview`] of `plan` at `now`, asked by an admin.
async fn preview(db: &TestDb, ws: &Workspace, plan: &str, now: OffsetDateTime) -> u64 {
    let admin = Viewer::new(Uuid::new_v4(), Role::Admin);
    let mut tx = tenant(&db.pool, ws).await;
    let count = audit::purge_preview(&mut tx, admin, plan, now)
        .await
        .unwrap_or_else(|e| panic!("preview {plan}: {e}"));
    tx.rollback().await.unwrap();
    count
}

#[tokio::test]
async fn only_admins_preview_a_plan_and_the_plan_is_checked() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let now = OffsetDateTime::now_utc();
    let mut tx = tenant(&db.pool, &ws).await;
    let member = Viewer::new(Uuid::new_v4(), Role::Member);
    let refused = audit::purge_preview(&mut tx, member, "starter", now)
        .await
        .unwrap_err();
    assert!(matches!(refused, CoreError::Forbidden(_)), "{refused}");
    let admin = Viewer::new(Uuid::new_v4(), Role::Admin);
    let invalid = audit::purge_preview(&mut tx, admin, "platinum", now)
        .await
        .unwrap_err();
    assert!(
        matches!(invalid, CoreError::Invalid { field: "plan", .. }),
        "{invalid}"
    );
}

/// The workspace's own events (plan changes), oldest first, as (actor, changes).
async fn workspace_events(db: &TestDb, ws: &Workspace) -> Vec<(String, serde_json::Value)> {
    let filter = HistoryFilter {
        entity_type: Some("workspace".into()),
        ..HistoryFilter::default()
    };
    let mut tx = tenant(&db.pool, ws).await;
    let page = HistoryPage {
        before: None,
        limit: 100,
    };
    let events = audit::list(&mut tx, &filter, page).await.unwrap();
    tx.rollback().await.unwrap();
    events
        .into_iter()
        .rev()
        .map(|e| {
            assert_eq!((e.entity_id, e.action.as_str()), (ws.id.0, "updated"));
            (e.actor, e.changes)
        })
        .collect()
}

#[tokio::test]
async fn a_plan_change_is_an_event_of_the_workspace_history() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let (admin, member) = (Uuid::new_v4(), Uuid::new_v4());
    let as_admin = Viewer::new(admin, Role::Admin);

    let ws = workspaces::set_plan(&db.pool, as_admin, &ws, "business")
        .await
        .unwrap();
    let first = (
        admin.to_string(),
        json!({"plan": {"before": "starter", "after": "business"}}),
    );
    assert_eq!(workspace_events(&db, &ws).await, vec![first.clone()]);

    // Refused, invalid and unchanged changes record nothing.
    let refused = workspaces::set_plan(&db.pool, Viewer::new(member, Role::Member), &ws, "pro")
        .await
        .unwrap_err();
    assert!(matches!(refused, CoreError::Forbidden(_)), "{refused}");
    let invalid = workspaces::set_plan(&db.pool, as_admin, &ws, "platinum")
        .await
        .unwrap_err();
    assert!(matches!(invalid, CoreError::Invalid { .. }), "{invalid}");
    workspaces::set_plan(&db.pool, as_admin, &ws, "business")
        .await
        .unwrap();
    assert_eq!(workspace_events(&db, &ws).await, vec![first.clone()]);

    // A rename is on record too, and renaming to the same name is no change.
    let renamed = workspaces::rename(&db.pool, as_admin, &ws, "Acme Corp")
        .await
        .unwrap();
    workspaces::rename(&db.pool, as_admin, &renamed, "Acme Corp")
        .await
        .unwrap();
    let rename = (
        admin.to_string(),
        json!({"name": {"before": ws.name, "after": "Acme Corp"}}),
    );
    assert_eq!(
        workspace_events(&db, &ws).await,
        vec![first.clone(), rename.clone()]
    );

    let ws = workspaces::set_plan(&db.pool, as_admin, &ws, "starter")
        .await
        .unwrap();
    assert_eq!(
        workspace_events(&db, &ws).await,
        vec![
            first,
            rename,
            (
                admin.to_string(),
                json!({"plan": {"before": "business", "after": "starter"}})
            )
        ]
    );
    // The events are links of the same chain as every other.
    assert_eq!(verified(&db, &ws).await, intact(3));
}

/// Recomputes every hash in id order, and the published head with them, as the superuser.
async fn rechain(su: &mut PgConnection, ws: &Workspace) {
    su.execute(AssertSqlSafe(format!(
        "SET search_path = {q};
         DO $$
         DECLARE r record; prev bytea := NULL;
         BEGIN
           FOR r IN SELECT * FROM history ORDER BY id LOOP
             UPDATE history SET prev_hash = prev, hash = sha256(coalesce(prev, '') ||
                 bastion_history.content(r.id, r.occurred_at, r.actor, r.entity_type, r.entity_id,
                                 r.action, r.changes, r.task_id))
              WHERE id = r.id RETURNING hash INTO prev;
           END LOOP;
           UPDATE public.history_heads SET last_hash = prev
            WHERE workspace_id = substr(current_schema(), 4)::uuid;
         END $$;
         RESET search_path;",
        q = ws.schema().quoted()
    )))
    .await
    .expect("rechain");
}

#[tokio::test]
async fn exports_hold_every_matching_event() {
    let db = TestDb::new().await;
    let ws = workspace(&db.pool, "acme").await;
    let user = Uuid::new_v4();
    let task = renamed_task(&db, &ws, user, &["=cmd, \"quoted\""]).await;

    let mut tx = tenant(&db.pool, &ws).await;
    let csv = audit::export_csv(&mut tx, &HistoryFilter::default())
        .await
        .unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("id,occurred_at,actor"));
    assert!(lines[1].contains(",created,"), "{csv}");
    assert!(lines[2].contains(",updated,"), "{csv}");
    assert!(lines[2].contains("\"\"quoted\\\"\""), "{csv}");
    let json: serde_json::Value = serde_json::from_str(
        &audit::export_json(
            &mut tx,
            &HistoryFilter {
                task_id: Some(task),
                ..Default::default()
            },
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[1]["changes"]["title"]["after"], "=cmd, \"quoted\"");
    tx.rollback().await.unwrap();
}
