//! Live updates against a real cluster: the LISTEN connection killed mid-stream (events written
//! while it is down reach every stream exactly once and in order, and a client reconnecting with
//! `Last-Event-ID` gets exactly what it missed), the visibility re-check (a guest hears nothing
//! of a private task), a deactivated member's stream closing, and the table's retention.

mod common;

use std::time::Duration;

use bastion_core::{
    accounts,
    live::{Delivery, End, Hub, LiveEvent, Subscription},
    members,
    testing::TestDb,
    work::{
        comments, projects,
        tasks::{self, NewTask, TaskPatch},
        Viewer,
    },
    workspaces::Workspace,
    Actor, TenantTx,
};
use uuid::Uuid;

/// Long enough for any healthy machine; reaching it is a failure, not a measurement.
const PATIENCE: Duration = Duration::from_secs(20);

struct World {
    db: TestDb,
    ws: Workspace,
    admin: Viewer,
    member: Viewer,
    other: Viewer,
    guest: Viewer,
    project: Uuid,
}

impl World {
    async fn new() -> World {
        let db = TestDb::new().await;
        let ws = common::workspace(&db.pool, "acme").await;
        let mut viewers = Vec::new();
        for (who, role) in [
            ("admin", "admin"),
            ("member", "member"),
            ("other", "member"),
            ("guest", "guest"),
        ] {
            let user = accounts::create_user(
                &db.pool,
                &format!("{who}@example.eu"),
                who,
                "correct horse battery staple",
            )
            .await
            .unwrap();
            accounts::add_member(&db.pool, &ws, user.id, role, Actor::System)
                .await
                .unwrap();
            viewers.push(Viewer::new(
                user.id,
                bastion_core::Role::parse(role).unwrap(),
            ));
        }
        let mut v = viewers.into_iter();
        let admin = v.next().unwrap();
        let mut tx = common::as_user(&db.pool, &ws, admin.user_id).await;
        let project = projects::create_project(&mut tx, &admin, "Work")
            .await
            .unwrap()
            .id;
        tx.commit().await.unwrap();
        World {
            db,
            ws,
            admin,
            member: v.next().unwrap(),
            other: v.next().unwrap(),
            guest: v.next().unwrap(),
            project,
        }
    }

    async fn tx(&self, viewer: &Viewer) -> TenantTx {
        common::as_user(&self.db.pool, &self.ws, viewer.user_id).await
    }

    async fn subscribe(&self, hub: &Hub, who: &Viewer, last: Option<i64>) -> Subscription {
        let mut tx = self.tx(who).await;
        let sub = hub.subscribe(&mut tx, who, last).await.unwrap();
        tx.commit().await.unwrap();
        sub
    }

    async fn task(&self, title: &str, private: bool, assignee: Option<Uuid>) -> Uuid {
        let mut tx = self.tx(&self.admin).await;
        let new = NewTask {
            project_id: self.project,
            title: title.into(),
            private,
            assignee_id: assignee,
            ..NewTask::default()
        };
        let task = tasks::create_task(&mut tx, &self.admin, new).await.unwrap();
        tx.commit().await.unwrap();
        task.id
    }

    async fn update(&self, task: Uuid, patch: TaskPatch) {
        let mut tx = self.tx(&self.admin).await;
        tasks::update_task(&mut tx, &self.admin, task, patch)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    async fn comment(&self, task: Uuid, body: &str) {
        let mut tx = self.tx(&self.admin).await;
        comments::post_comment(&mut tx, &self.admin, task, body)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// Every event on record after `after` that `who` should hear of, in order (the tasks of
    /// these tests are public, so that is all but other people's notices).
    async fn on_record_for(&self, who: &Viewer, after: i64) -> Vec<(i64, String)> {
        let mut tx = self.tx(who).await;
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, kind FROM live_events
              WHERE seq > $1 AND (recipient_id IS NULL OR recipient_id = $2)
              ORDER BY seq",
        )
        .bind(after)
        .bind(who.user_id)
        .fetch_all(tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();
        rows
    }
}

async fn next(sub: &mut Subscription) -> Result<Delivery, End> {
    tokio::time::timeout(PATIENCE, sub.next())
        .await
        .expect("an event within the patience")
}

async fn next_event(sub: &mut Subscription) -> LiveEvent {
    match next(sub).await {
        Ok(Delivery::Event(event)) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

/// Events until (and with) the one satisfying `last`.
async fn until(sub: &mut Subscription, last: impl Fn(&LiveEvent) -> bool) -> Vec<LiveEvent> {
    let mut seen = Vec::new();
    loop {
        let event = next_event(sub).await;
        let done = last(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

async fn wait_for(what: &str, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "waited for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn seqs(events: &[LiveEvent]) -> Vec<(i64, String)> {
    events.iter().map(|e| (e.seq, e.kind.clone())).collect()
}

#[tokio::test]
async fn events_written_while_the_listener_is_down_arrive_once_and_in_order() {
    let w = World::new().await;
    // Long enough that the writes below certainly happen before the listener is back.
    let hub = Hub::with_reconnect_delay(w.db.pool.clone(), Duration::from_secs(2));
    let mut steady = w.subscribe(&hub, &w.member, None).await;
    let mut client = w.subscribe(&hub, &w.member, None).await;
    wait_for("the listener", || hub.listener_pid() != 0).await;

    let first = w.task("Draft the lease", false, None).await;
    let created = next_event(&mut client).await;
    assert_eq!(
        (created.kind.as_str(), created.id, created.task_id),
        ("task.created", first, Some(first))
    );
    assert_eq!(next_event(&mut steady).await, created);
    // The client goes away, remembering where it was (its `Last-Event-ID`).
    let resume = client.last_event_id();
    assert_eq!(resume, created.seq);
    drop(client);

    // The listener's backend is killed, as a restart of PostgreSQL or a network cut would.
    let pid = hub.listener_pid();
    let mut admin = common::admin(&w.db).await;
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(killed);
    let still_listening = || async {
        let mut conn = common::admin(&w.db).await;
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)",
        )
        .bind(pid)
        .fetch_one(&mut conn)
        .await
        .unwrap()
    };
    while still_listening().await {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Meanwhile: a comment, a move to another column, a task assigned to the member (a notice
    // for them), a task assigned to someone else (a notice they must not get).
    w.comment(first, "Sent to the landlord").await;
    w.update(
        first,
        TaskPatch {
            status: Some("in_progress".into()),
            ..TaskPatch::default()
        },
    )
    .await;
    let second = w
        .task("Pay the deposit", false, Some(w.member.user_id))
        .await;
    let third = w
        .task("Book the movers", false, Some(w.other.user_id))
        .await;
    assert_eq!(
        hub.listener_connects(),
        1,
        "the writes happened while the listener was down"
    );
    wait_for("the listener to reconnect", || hub.listener_connects() == 2).await;
    assert_ne!(hub.listener_pid(), pid);
    // The reconnect alone brings the open stream what it missed (nothing else wakes it now).
    let caught_up = until(&mut steady, |e| e.kind == "task.created" && e.id == third).await;

    // After the reconnect: the last event, which both must reach as well.
    let last = w.task("Hand over the keys", false, None).await;
    let is_last = |e: &LiveEvent| e.kind == "task.created" && e.id == last;

    let expected_after_resume = w.on_record_for(&w.member, resume).await;
    let kinds: Vec<&str> = expected_after_resume
        .iter()
        .map(|(_, k)| k.as_str())
        .collect();
    assert!(kinds.contains(&"comment.created"), "{kinds:?}");
    assert!(kinds.contains(&"task.moved"), "{kinds:?}");
    assert!(kinds.contains(&"notification.created"), "{kinds:?}");

    // The stream that stayed open got everything, once each, in order, from the table.
    let mut steady_seen = caught_up;
    steady_seen.extend(until(&mut steady, is_last).await);
    assert_eq!(seqs(&steady_seen), expected_after_resume);
    assert!(steady_seen
        .iter()
        .any(|e| e.kind == "task.created" && e.id == second));

    // The client reconnecting with its Last-Event-ID gets exactly what it missed.
    let mut client = w.subscribe(&hub, &w.member, Some(resume)).await;
    let replayed = until(&mut client, is_last).await;
    assert_eq!(seqs(&replayed), expected_after_resume);
    // And nothing twice after that: the next event is the next change.
    w.comment(last, "Done").await;
    let after = next_event(&mut client).await;
    assert_eq!(
        (after.kind.as_str(), after.task_id),
        ("comment.created", Some(last))
    );
    assert!(after.seq > replayed.last().unwrap().seq);
}

#[tokio::test]
async fn a_guest_hears_nothing_of_a_private_task_and_a_deactivated_member_is_closed() {
    let w = World::new().await;
    let hub = Hub::new(w.db.pool.clone());
    let mut guest = w.subscribe(&hub, &w.guest, None).await;
    let mut other = w.subscribe(&hub, &w.other, None).await;
    wait_for("the listener", || hub.listener_pid() != 0).await;

    let private = w.task("Salary review", true, None).await;
    w.comment(private, "Numbers attached").await;
    w.update(
        private,
        TaskPatch {
            status: Some("done".into()),
            ..TaskPatch::default()
        },
    )
    .await;
    let shared = w.task("Office plants", false, None).await;
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, shared, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    w.update(
        shared,
        TaskPatch {
            title: Some("Office plants and cactus".into()),
            ..TaskPatch::default()
        },
    )
    .await;
    w.comment(shared, "Repotted").await;
    let is_last = |e: &LiveEvent| e.kind == "comment.created" && e.task_id == Some(shared);

    // The guest sees the task shared with them, and nothing of the private one.
    let seen = until(&mut guest, is_last).await;
    assert!(seen.iter().all(|e| e.task_id == Some(shared)), "{seen:?}");
    assert!(seen.iter().any(|e| e.kind == "task.updated"), "{seen:?}");
    // A member who neither made nor views the private task hears nothing of it either.
    let seen = until(&mut other, is_last).await;
    assert!(seen.iter().all(|e| e.task_id != Some(private)), "{seen:?}");
    assert!(seen.iter().any(|e| e.id == shared));

    // Deactivated: the stream closes at the next event (here, the deactivation's own).
    let mut tx = w.tx(&w.admin).await;
    members::update_member(&mut tx, w.admin, w.other.user_id, None, Some(false))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(next(&mut other).await, Err(End::NotAMember));
    // The guest (who may not list members) hears nothing of it; their next event is work.
    w.comment(shared, "Watered").await;
    let event = next_event(&mut guest).await;
    assert_eq!(
        (event.kind.as_str(), event.task_id),
        ("comment.created", Some(shared))
    );
    // An admin's stream is told of member changes.
    let mut admin = w.subscribe(&hub, &w.admin, None).await;
    let mut tx = w.tx(&w.admin).await;
    members::update_member(&mut tx, w.admin, w.other.user_id, None, Some(true))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let event = next_event(&mut admin).await;
    assert_eq!(
        (event.kind.as_str(), event.id),
        ("member.updated", w.other.user_id)
    );
    drop((guest, admin));
    wait_for("the streams to be gone", || hub.open_streams() == 0).await;
}

#[tokio::test]
async fn a_client_behind_the_retention_or_ahead_of_the_workspace_is_told_to_reload() {
    let w = World::new().await;
    let hub = Hub::new(w.db.pool.clone());
    let one = w.task("One", false, None).await;
    w.task("Two", false, None).await;
    w.task("Three", false, None).await;
    let on_record = w.on_record_for(&w.member, 0).await;
    let (first, newest) = (on_record[0].0, on_record.last().unwrap().0);

    // An id this workspace never gave: reload, and continue from its newest event.
    let mut sub = w.subscribe(&hub, &w.member, Some(newest + 1000)).await;
    assert_eq!(next(&mut sub).await, Ok(Delivery::Reset(newest)));
    drop(sub);

    // A day later the purge deletes all but the newest event.
    let mut admin = common::admin(&w.db).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {}.live_events SET at = at - interval '25 hours'",
        w.ws.schema().quoted()
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let deleted = bastion_core::live::purge_all(&w.db.pool, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(deleted as usize, on_record.len() - 1);
    assert_eq!(w.on_record_for(&w.member, 0).await.len(), 1);

    // A client whose next event was purged must reload; one that had seen the newest need not.
    let mut sub = w.subscribe(&hub, &w.member, Some(first)).await;
    assert_eq!(next(&mut sub).await, Ok(Delivery::Reset(newest)));
    let mut current = w.subscribe(&hub, &w.member, Some(newest)).await;
    w.comment(one, "Still here").await;
    let event = next_event(&mut current).await;
    assert_eq!(event.kind, "comment.created");
    let event = next_event(&mut sub).await;
    assert_eq!(event.kind, "comment.created");
}
