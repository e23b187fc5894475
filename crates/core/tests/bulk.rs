//! Bulk edit against a real workspace schema: one transaction, the policy asked per task, one
//! history event per changed task, and no key of a task the caller may not see in the outcome.

mod common;

use bastion_core::{
    accounts,
    testing::TestDb,
    work::{
        bulk::{self, BulkChange, SkipReason, BULK_MAX},
        projects, tags,
        tasks::{self, NewTask, TaskRecord},
        Viewer,
    },
    workspaces::Workspace,
    Actor, CoreError, TenantTx,
};
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

    async fn task(&self, by: &Viewer, title: &str, private: bool) -> TaskRecord {
        let mut tx = self.tx(by).await;
        let new = NewTask {
            project_id: self.project,
            title: title.into(),
            private,
            ..NewTask::default()
        };
        let task = tasks::create_task(&mut tx, by, new).await.unwrap();
        tx.commit().await.unwrap();
        task
    }

    async fn get(&self, id: Uuid) -> TaskRecord {
        let mut tx = self.tx(&self.admin).await;
        tasks::get_task(&mut tx, &self.admin, id).await.unwrap()
    }

    /// History events of task `id` after its creation, watching and sharing left out.
    async fn events_after_creation(&self, id: Uuid) -> Vec<(String, serde_json::Value)> {
        let mut tx = self.tx(&self.admin).await;
        sqlx::query_as(
            "SELECT action, changes FROM history
              WHERE task_id = $1 AND action NOT IN ('created', 'watcher_added', 'watcher_removed', 'viewer_added')
              ORDER BY id",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await
        .unwrap()
    }

    async fn bulk(
        &self,
        by: &Viewer,
        ids: &[Uuid],
        change: BulkChange,
    ) -> Result<bulk::BulkOutcome, CoreError> {
        let mut tx = self.tx(by).await;
        let outcome = bulk::bulk_edit(&mut tx, by, ids, &change).await?;
        tx.commit().await.unwrap();
        Ok(outcome)
    }
}

#[tokio::test]
async fn five_tasks_change_status_with_five_history_events() {
    let w = World::new().await;
    let mut ids = Vec::new();
    for n in 1..=5 {
        ids.push(w.task(&w.admin, &format!("Task {n}"), false).await.id);
    }
    let outcome = w
        .bulk(&w.member, &ids, BulkChange::Status("done".into()))
        .await
        .unwrap();
    assert_eq!(
        outcome.changed.iter().map(|t| t.id).collect::<Vec<_>>(),
        ids,
        "reported in the order given"
    );
    assert!(outcome.skipped.is_empty() && outcome.unchanged.is_empty());
    for id in &ids {
        assert_eq!(w.get(*id).await.status, "done");
        let events = w.events_after_creation(*id).await;
        assert_eq!(events.len(), 1, "exactly one event per task: {events:?}");
        assert_eq!(events[0].0, "updated");
        assert_eq!(events[0].1["status"]["after"], "done");
    }

    // Asking again changes nothing and writes nothing.
    let again = w
        .bulk(&w.member, &ids, BulkChange::Status("done".into()))
        .await
        .unwrap();
    assert_eq!(again.unchanged.len(), 5);
    assert!(again.changed.is_empty());
    for id in &ids {
        assert_eq!(w.events_after_creation(*id).await.len(), 1);
    }

    // A tag added in bulk is one event per task too (updated_at is left alone).
    let mut tx = w.tx(&w.admin).await;
    let tag = tags::create_tag(&mut tx, &w.admin, "Legal", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let tagged = w
        .bulk(&w.admin, &ids[..2], BulkChange::AddTag(tag.id))
        .await
        .unwrap();
    assert_eq!(tagged.changed.len(), 2);
    for id in &ids[..2] {
        let events = w.events_after_creation(*id).await;
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[1].0, "tag_added");
        assert_eq!(w.get(*id).await.tag_ids, vec![tag.id]);
    }
}

#[tokio::test]
async fn refused_and_invisible_tasks_are_skipped_and_unchanged() {
    let w = World::new().await;
    let shared = w.task(&w.admin, "Shared with the guest", false).await;
    let hidden = w.task(&w.admin, "Admin's private task", true).await;
    let public = w.task(&w.admin, "Public", false).await;
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, shared.id, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let nowhere = Uuid::new_v4();

    // A member: the private task of someone else is not seen, so "not found" like an unknown
    // id, without its key; the rest is changed.
    let outcome = w
        .bulk(
            &w.member,
            &[public.id, hidden.id, nowhere],
            BulkChange::Priority("urgent".into()),
        )
        .await
        .unwrap();
    assert_eq!(outcome.changed.len(), 1);
    assert_eq!(outcome.changed[0].key, public.key);
    assert_eq!(outcome.skipped.len(), 2);
    for skipped in &outcome.skipped {
        assert_eq!(skipped.reason, SkipReason::NotFound);
        assert_eq!(skipped.key, None, "no key of an unseen task");
    }
    assert_eq!(outcome.skipped[0].id, hidden.id);
    let text = format!("{outcome:?}");
    assert!(!text.contains(&hidden.key) && !text.contains(&hidden.title));
    assert_eq!(w.get(hidden.id).await.priority, "normal");
    assert!(w.events_after_creation(hidden.id).await.is_empty());

    // A guest sees the shared task but may not edit it: skipped, named by its key, unchanged;
    // the task the guest does not see is "not found".
    let outcome = w
        .bulk(
            &w.guest,
            &[shared.id, public.id],
            BulkChange::Status("done".into()),
        )
        .await
        .unwrap();
    assert!(outcome.changed.is_empty());
    assert_eq!(outcome.skipped[0].key.as_deref(), Some(shared.key.as_str()));
    assert_eq!(outcome.skipped[0].reason, SkipReason::Forbidden);
    assert_eq!(outcome.skipped[1].key, None);
    assert_eq!(outcome.skipped[1].reason, SkipReason::NotFound);
    assert_eq!(w.get(shared.id).await.status, "todo");
    assert!(w.events_after_creation(shared.id).await.is_empty());
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let w = World::new().await;
    let task = w.task(&w.admin, "One", false).await;
    let field = |r: Result<bulk::BulkOutcome, CoreError>| match r {
        Err(CoreError::Invalid { field, .. }) => field,
        other => panic!("expected invalid input, got {other:?}"),
    };
    assert_eq!(
        field(
            w.bulk(&w.admin, &[], BulkChange::Status("done".into()))
                .await
        ),
        "task_ids"
    );
    let many: Vec<Uuid> = (0..=BULK_MAX).map(|_| Uuid::new_v4()).collect();
    assert_eq!(
        field(
            w.bulk(&w.admin, &many, BulkChange::Status("done".into()))
                .await
        ),
        "task_ids"
    );
    assert_eq!(
        field(
            w.bulk(&w.admin, &[task.id], BulkChange::Status("finished".into()))
                .await
        ),
        "status"
    );
    assert_eq!(
        field(
            w.bulk(&w.admin, &[task.id], BulkChange::Project(Uuid::new_v4()))
                .await
        ),
        "project_id"
    );
    assert_eq!(
        field(
            w.bulk(&w.admin, &[task.id], BulkChange::AddTag(Uuid::new_v4()))
                .await
        ),
        "tag_id"
    );
    assert_eq!(
        field(
            w.bulk(
                &w.admin,
                &[task.id],
                BulkChange::Assignee(Some(Uuid::new_v4()))
            )
            .await
        ),
        "assignee_id"
    );
    assert!(w.events_after_creation(task.id).await.is_empty());

    // Duplicates count once; a move takes the other project's next number.
    let mut tx = w.tx(&w.admin).await;
    let other = projects::create_project_with_prefix(&mut tx, &w.admin, "Other", Some("OTH"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let moved = w
        .bulk(&w.admin, &[task.id, task.id], BulkChange::Project(other.id))
        .await
        .unwrap();
    assert_eq!(moved.changed.len(), 1);
    assert_eq!(moved.changed[0].key, "OTH-1");
}
