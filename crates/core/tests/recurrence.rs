//! Recurring tasks (issue 20) against a real workspace schema: who may set a rule, what an
//! occurrence copies, that completing a task through any door makes exactly one next
//! occurrence, that the date sweep makes one however often it runs (and not before its date),
//! and that a guest learns of no task they could not see before.

mod common;

use bastion_core::{
    accounts,
    testing::TestDb,
    work::{
        board, bulk, projects,
        recurrence::{self, RecurrenceInput},
        tags,
        tasks::{self, NewTask, TaskPatch, TaskRecord},
        Viewer,
    },
    workspaces::Workspace,
    Actor, CoreError, TenantTx,
};
use time::{macros::date, Date};
use uuid::Uuid;

struct World {
    db: TestDb,
    ws: Workspace,
    admin: Viewer,
    member: Viewer,
    guest: Viewer,
    project: Uuid,
}

impl World {
    async fn new() -> World {
        let db = TestDb::new().await;
        let ws = common::workspace(&db.pool, "acme").await;
        let mut viewers = Vec::new();
        for role in ["admin", "member", "guest"] {
            let user = accounts::create_user(
                &db.pool,
                &format!("{role}@example.eu"),
                role,
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
        let mut tx = TenantTx::begin(&db.pool, &ws.schema(), Actor::User(admin.user_id))
            .await
            .unwrap();
        let project = projects::create_project(&mut tx, &admin, "Acme")
            .await
            .unwrap()
            .id;
        tx.commit().await.unwrap();
        World {
            db,
            ws,
            admin,
            member: v.next().unwrap(),
            guest: v.next().unwrap(),
            project,
        }
    }

    async fn tx(&self, viewer: &Viewer) -> TenantTx {
        TenantTx::begin(
            &self.db.pool,
            &self.ws.schema(),
            Actor::User(viewer.user_id),
        )
        .await
        .unwrap()
    }

    async fn task(&self, by: &Viewer, title: &str, due: Date, private: bool) -> TaskRecord {
        let mut tx = self.tx(by).await;
        let new = NewTask {
            project_id: self.project,
            title: title.into(),
            due_on: Some(due),
            private,
            priority: Some("high".into()),
            ..NewTask::default()
        };
        let task = tasks::create_task(&mut tx, by, new).await.unwrap();
        tx.commit().await.unwrap();
        task
    }

    async fn set(
        &self,
        by: &Viewer,
        task: Uuid,
        input: &RecurrenceInput,
    ) -> Result<recurrence::RecurrenceRecord, CoreError> {
        let mut tx = self.tx(by).await;
        let rule = recurrence::set_recurrence(&mut tx, by, task, input).await?;
        tx.commit().await.unwrap();
        Ok(rule)
    }

    async fn complete(&self, by: &Viewer, task: Uuid) {
        let mut tx = self.tx(by).await;
        let patch = TaskPatch {
            status: Some("done".into()),
            ..TaskPatch::default()
        };
        tasks::update_task(&mut tx, by, task, patch).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// Every task made from `source`, read as the admin (who sees all).
    async fn occurrences_of(&self, source: Uuid) -> Vec<TaskRecord> {
        let mut tx = self.tx(&self.admin).await;
        let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM tasks WHERE recurred_from = $1")
            .bind(source)
            .fetch_all(tx.conn())
            .await
            .unwrap();
        let mut found = Vec::new();
        for id in ids {
            found.push(tasks::get_task(&mut tx, &self.admin, id).await.unwrap());
        }
        found
    }

    async fn count(&self, sql: &str) -> i64 {
        let mut tx = self.tx(&self.admin).await;
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(tx.conn())
            .await
            .unwrap()
    }
}

fn monthly(day: i64, trigger: &str) -> RecurrenceInput {
    RecurrenceInput {
        unit: "months".into(),
        every: 1,
        month_day: Some(day),
        trigger: trigger.into(),
        ..RecurrenceInput::default()
    }
}

fn field_of<T: std::fmt::Debug>(result: Result<T, CoreError>) -> &'static str {
    match result {
        Err(CoreError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_a_monthly_task_makes_the_next_across_the_october_change() {
    let w = World::new().await;
    let task = w
        .task(&w.member, "Pay the rent", date!(2026 - 10 - 25), false)
        .await;
    let mut tx = w.tx(&w.admin).await;
    let tag = tags::create_tag(&mut tx, &w.admin, "finance", None)
        .await
        .unwrap();
    tags::add_task_tag(&mut tx, &w.admin, task.id, tag.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let rule = w
        .set(&w.member, task.id, &monthly(25, "on_done"))
        .await
        .unwrap();
    assert_eq!(
        rule.next_on,
        date!(2026 - 11 - 25),
        "counted from the due date"
    );

    w.complete(&w.member, task.id).await;
    let made = w.occurrences_of(task.id).await;
    assert_eq!(made.len(), 1);
    let next = &made[0];
    assert_eq!(next.due_on, Some(date!(2026 - 11 - 25)));
    assert_eq!(next.title, "Pay the rent");
    assert_eq!(next.priority, "high");
    assert_eq!(next.status, "todo");
    assert_eq!(next.tag_ids, vec![tag.id]);
    assert_eq!(next.created_by, w.member.user_id);
    assert!(next.recurring, "the rule moved on to the new task");
    assert_ne!(next.key, task.key);

    // The rule went with it: the old task no longer repeats, the new one counts from its date.
    let mut tx = w.tx(&w.member).await;
    assert_eq!(
        recurrence::get_recurrence(&mut tx, &w.member, task.id)
            .await
            .unwrap(),
        None
    );
    let carried = recurrence::get_recurrence(&mut tx, &w.member, next.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(carried.next_on, date!(2026 - 12 - 25));
    drop(tx);

    // Reopening and completing the old task again makes nothing more.
    let mut tx = w.tx(&w.member).await;
    let reopen = TaskPatch {
        status: Some("todo".into()),
        ..TaskPatch::default()
    };
    tasks::update_task(&mut tx, &w.member, task.id, reopen)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    w.complete(&w.member, task.id).await;
    assert_eq!(w.occurrences_of(task.id).await.len(), 1);

    // History: the new task's creation names its source, the rule's end and start are events.
    let from_source = w
        .count(&format!(
            "SELECT count(*) FROM history WHERE entity_type = 'task' AND action = 'created'
              AND entity_id = '{}' AND changes ->> 'recurred_from' = '{}'",
            next.id, task.id
        ))
        .await;
    assert_eq!(from_source, 1);
    assert_eq!(
        w.count("SELECT count(*) FROM history WHERE entity_type = 'task_recurrence' AND action = 'created'")
            .await,
        2
    );
    assert_eq!(
        w.count("SELECT count(*) FROM history WHERE entity_type = 'task_recurrence' AND action = 'deleted'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_door_that_completes_a_task_makes_its_occurrence() {
    let w = World::new().await;
    // The board.
    let on_board = w
        .task(&w.admin, "Board", date!(2026 - 10 - 31), false)
        .await;
    w.set(&w.admin, on_board.id, &monthly(31, "on_done"))
        .await
        .unwrap();
    let mut tx = w.tx(&w.admin).await;
    board::move_task(&mut tx, &w.admin, on_board.id, "done", board::Place::Top)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let made = w.occurrences_of(on_board.id).await;
    assert_eq!(made.len(), 1);
    assert_eq!(
        made[0].due_on,
        Some(date!(2026 - 11 - 30)),
        "day 31 clamps in November"
    );

    // Bulk edit.
    let in_bulk = w.task(&w.admin, "Bulk", date!(2026 - 10 - 30), false).await;
    let weekly = RecurrenceInput {
        unit: "weeks".into(),
        every: 2,
        weekdays: vec!["mon".into(), "thu".into()],
        trigger: "on_done".into(),
        ..RecurrenceInput::default()
    };
    w.set(&w.admin, in_bulk.id, &weekly).await.unwrap();
    let mut tx = w.tx(&w.admin).await;
    bulk::bulk_edit(
        &mut tx,
        &w.admin,
        &[in_bulk.id],
        &bulk::BulkChange::Status("done".into()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let made = w.occurrences_of(in_bulk.id).await;
    assert_eq!(made.len(), 1);
    // Friday 30 October: no later Monday or Thursday that week, so Monday two weeks on.
    assert_eq!(made[0].due_on, Some(date!(2026 - 11 - 09)));

    // A rule that waits for its date makes nothing when the task is done.
    let dated = w
        .task(&w.admin, "Dated", date!(2026 - 10 - 30), false)
        .await;
    w.set(&w.admin, dated.id, &monthly(30, "on_date"))
        .await
        .unwrap();
    w.complete(&w.admin, dated.id).await;
    assert!(w.occurrences_of(dated.id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_date_sweep_makes_one_occurrence_on_its_day_however_often_it_runs() {
    let w = World::new().await;
    let task = w
        .task(&w.admin, "Weekly report", date!(2027 - 10 - 23), false)
        .await;
    let weekly = RecurrenceInput {
        unit: "weeks".into(),
        every: 1,
        weekdays: vec!["sat".into()],
        trigger: "on_date".into(),
        ..RecurrenceInput::default()
    };
    let rule = w.set(&w.admin, task.id, &weekly).await.unwrap();
    // Across the last Sunday of October 2027 (the 31st) the Saturday stays a Saturday.
    assert_eq!(rule.next_on, date!(2027 - 10 - 30));

    // The day before: nothing.
    let made = recurrence::create_due(&w.db.pool, w.ws.id, date!(2027 - 10 - 29))
        .await
        .unwrap();
    assert_eq!(made, 0);
    assert!(w.occurrences_of(task.id).await.is_empty());

    // On the day, several passes at once (two processes, a retry): one task.
    let (a, b) = tokio::join!(
        recurrence::create_due(&w.db.pool, w.ws.id, date!(2027 - 10 - 30)),
        recurrence::create_due(&w.db.pool, w.ws.id, date!(2027 - 10 - 30)),
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    recurrence::create_due(&w.db.pool, w.ws.id, date!(2027 - 10 - 30))
        .await
        .unwrap();
    let made = w.occurrences_of(task.id).await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].due_on, Some(date!(2027 - 10 - 30)));
    let created_by_system = w
        .count(&format!(
            "SELECT count(*) FROM history WHERE entity_id = '{}' AND action = 'created'
              AND actor = 'system'",
            made[0].id
        ))
        .await;
    assert_eq!(created_by_system, 1);

    // Missed dates (the server was down for weeks) are caught up once, not once per week.
    let late = recurrence::create_due(&w.db.pool, w.ws.id, date!(2027 - 11 - 25))
        .await
        .unwrap();
    assert_eq!(late, 1);
    let mut tx = w.tx(&w.admin).await;
    let latest: Uuid = sqlx::query_scalar("SELECT id FROM tasks WHERE recurred_from = $1")
        .bind(made[0].id)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    let rule = recurrence::get_recurrence(&mut tx, &w.admin, latest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        rule.next_on,
        date!(2027 - 11 - 27),
        "the next Saturday after today"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_occurrence_keeps_its_viewers_and_guests_see_nothing_new() {
    let w = World::new().await;
    let private = w
        .task(&w.admin, "Secret", date!(2026 - 10 - 25), true)
        .await;
    let shared = w
        .task(&w.admin, "Shared", date!(2026 - 10 - 25), true)
        .await;
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, shared.id, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for task in [&private, &shared] {
        w.set(&w.admin, task.id, &monthly(25, "on_done"))
            .await
            .unwrap();
        w.complete(&w.admin, task.id).await;
    }
    let secret_next = w.occurrences_of(private.id).await.remove(0);
    let shared_next = w.occurrences_of(shared.id).await.remove(0);
    assert!(secret_next.private && shared_next.private);

    let mut tx = w.tx(&w.guest).await;
    // The guest sees the occurrence of the task they view, and nothing of the other.
    assert!(tasks::get_task(&mut tx, &w.guest, shared_next.id)
        .await
        .is_ok());
    assert!(matches!(
        tasks::get_task(&mut tx, &w.guest, secret_next.id).await,
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        recurrence::get_recurrence(&mut tx, &w.guest, secret_next.id).await,
        Err(CoreError::NotFound(_))
    ));
    assert_eq!(
        recurrence::next_occurrence(&mut tx, &w.guest, private.id)
            .await
            .ok()
            .flatten(),
        None
    );
    drop(tx);
    // Nor does a member who is not its viewer.
    let mut tx = w.tx(&w.member).await;
    assert!(matches!(
        recurrence::get_recurrence(&mut tx, &w.member, secret_next.id).await,
        Err(CoreError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_set_a_rule_and_bad_rules_change_nothing() {
    let w = World::new().await;
    let task = w
        .task(&w.admin, "Viewed", date!(2026 - 12 - 10), false)
        .await;
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, task.id, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let rule = monthly(10, "on_done");
    assert!(matches!(
        w.set(&w.guest, task.id, &rule).await,
        Err(CoreError::Forbidden(_))
    ));
    assert!(matches!(
        w.set(&w.admin, Uuid::new_v4(), &rule).await,
        Err(CoreError::NotFound(_))
    ));
    assert_eq!(
        field_of(w.set(&w.member, task.id, &monthly(0, "on_done")).await),
        "month_day"
    );
    assert_eq!(
        field_of(w.set(&w.member, task.id, &monthly(10, "whenever")).await),
        "trigger"
    );
    assert_eq!(w.count("SELECT count(*) FROM task_recurrences").await, 0);

    let last = RecurrenceInput {
        unit: "months".into(),
        every: 1,
        last_working_day: true,
        trigger: "on_done".into(),
        ..RecurrenceInput::default()
    };
    let set = w.set(&w.member, task.id, &last).await.unwrap();
    assert_eq!(
        set.next_on,
        date!(2027 - 01 - 29),
        "the last weekday of January 2027"
    );
    // Moving the due date moves the next date with it.
    let mut tx = w.tx(&w.member).await;
    let patch = TaskPatch {
        due_on: Some(Some(date!(2027 - 02 - 03))),
        ..TaskPatch::default()
    };
    tasks::update_task(&mut tx, &w.member, task.id, patch)
        .await
        .unwrap();
    let moved = recurrence::get_recurrence(&mut tx, &w.member, task.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.next_on, date!(2027 - 03 - 31));
    tx.commit().await.unwrap();

    let mut tx = w.tx(&w.guest).await;
    assert!(matches!(
        recurrence::remove_recurrence(&mut tx, &w.guest, task.id).await,
        Err(CoreError::Forbidden(_))
    ));
    drop(tx);
    let mut tx = w.tx(&w.member).await;
    recurrence::remove_recurrence(&mut tx, &w.member, task.id)
        .await
        .unwrap();
    assert!(matches!(
        recurrence::remove_recurrence(&mut tx, &w.member, task.id).await,
        Err(CoreError::NotFound(_))
    ));
    tx.commit().await.unwrap();
}
