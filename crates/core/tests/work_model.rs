//! Issue 20's work model against a real workspace schema: task keys (prefixes, numbers that
//! never repeat, even under concurrent creation), subtasks, checklists and relations, each
//! under the visibility rule (a guest learns of no task they could not see before) and each
//! change with its history event.

mod common;

use bastion_core::{
    accounts,
    testing::TestDb,
    work::{
        checklists, projects, relations,
        tasks::{self, NewTask, TaskFilter, TaskPatch, TaskRecord},
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
        World {
            db,
            ws,
            admin: v.next().unwrap(),
            member: v.next().unwrap(),
            guest: v.next().unwrap(),
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

    async fn task(&self, by: &Viewer, project_id: Uuid, title: &str, private: bool) -> TaskRecord {
        let mut tx = self.tx(by).await;
        let new = NewTask {
            project_id,
            title: title.into(),
            private,
            ..NewTask::default()
        };
        let task = tasks::create_task(&mut tx, by, new).await.unwrap();
        tx.commit().await.unwrap();
        task
    }

    async fn get(&self, viewer: &Viewer, id: Uuid) -> Result<TaskRecord, CoreError> {
        let mut tx = self.tx(viewer).await;
        tasks::get_task(&mut tx, viewer, id).await
    }

    /// Events of `entity`, watching left out (a new task's creator starts watching it).
    async fn events(&self, entity: &str) -> i64 {
        let mut tx = self.tx(&self.admin).await;
        sqlx::query_scalar(
            "SELECT count(*) FROM history
              WHERE entity_type = $1 AND action NOT IN ('watcher_added', 'watcher_removed')",
        )
        .bind(entity)
        .fetch_one(tx.conn())
        .await
        .unwrap()
    }

    /// Lets the guest see `task`.
    async fn share_with_guest(&self, task: Uuid) {
        let mut tx = self.tx(&self.admin).await;
        tasks::add_task_viewer(&mut tx, &self.admin, task, self.guest.user_id)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
}

fn field_of<T: std::fmt::Debug>(result: Result<T, CoreError>) -> &'static str {
    match result {
        Err(CoreError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn is_not_found<T: std::fmt::Debug>(result: Result<T, CoreError>) -> bool {
    matches!(result, Err(CoreError::NotFound(_)))
}

fn is_forbidden<T: std::fmt::Debug>(result: Result<T, CoreError>) -> bool {
    matches!(result, Err(CoreError::Forbidden(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_prefix_and_a_number_that_never_repeats() {
    let w = World::new().await;
    let mut tx = w.tx(&w.admin).await;
    let acme = projects::create_project(&mut tx, &w.admin, "Acme")
        .await
        .unwrap();
    assert_eq!(acme.key_prefix, "ACME");
    // The derived prefix of a second "Acme" is made unique; an admin's choice is checked.
    let again = projects::create_project(&mut tx, &w.admin, "Acme")
        .await
        .unwrap();
    assert_eq!(again.key_prefix, "ACMEA");
    let web = projects::create_project_with_prefix(&mut tx, &w.admin, "Web", Some("site"))
        .await
        .unwrap();
    assert_eq!(web.key_prefix, "SITE");
    for bad in ["A", "TOOLONG", "AC1", "AC-ME"] {
        let result = projects::create_project_with_prefix(&mut tx, &w.admin, "X", Some(bad)).await;
        assert_eq!(field_of(result), "key_prefix", "{bad}");
    }
    let taken = projects::create_project_with_prefix(&mut tx, &w.admin, "X", Some("acme")).await;
    assert_eq!(field_of(taken), "key_prefix");
    tx.commit().await.unwrap();

    // Members create projects but do not choose prefixes.
    let mut tx = w.tx(&w.member).await;
    let chosen =
        projects::create_project_with_prefix(&mut tx, &w.member, "Mine", Some("MINE")).await;
    assert!(is_forbidden(chosen));
    let patch = projects::ProjectPatch {
        key_prefix: Some("NEW".into()),
        ..Default::default()
    };
    assert!(is_forbidden(
        projects::change_project(&mut tx, &w.member, acme.id, patch).await
    ));
    drop(tx);

    let first = w.task(&w.admin, acme.id, "One", false).await;
    let second = w.task(&w.member, acme.id, "Two", false).await;
    let third = w.task(&w.admin, acme.id, "Three", false).await;
    assert_eq!(
        (first.key.as_str(), second.key.as_str(), third.key.as_str()),
        ("ACME-1", "ACME-2", "ACME-3")
    );
    let mut tx = w.tx(&w.admin).await;
    tasks::delete_task(&mut tx, &w.admin, third.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let fourth = w.task(&w.admin, acme.id, "Four", false).await;
    assert_eq!(
        fourth.key, "ACME-4",
        "a deleted task's number is not reused"
    );

    // Concurrent creations in one project never collide.
    let mut handles = Vec::new();
    for i in 0..8 {
        let pool = w.db.pool.clone();
        let schema = w.ws.schema();
        let admin = w.admin;
        handles.push(tokio::spawn(async move {
            let mut tx = TenantTx::begin(&pool, &schema, Actor::User(admin.user_id))
                .await
                .unwrap();
            let new = NewTask {
                project_id: acme.id,
                title: format!("Parallel {i}"),
                ..NewTask::default()
            };
            let task = tasks::create_task(&mut tx, &admin, new).await.unwrap();
            tx.commit().await.unwrap();
            task.number
        }));
    }
    let mut numbers = Vec::new();
    for handle in handles {
        numbers.push(handle.await.unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (5..=12).collect::<Vec<_>>());

    // A key resolves in any case; a prefix change changes keys, never numbers.
    let mut tx = w.tx(&w.member).await;
    let found = tasks::get_task_by_key(&mut tx, &w.member, "acme-2")
        .await
        .unwrap();
    assert_eq!(found.id, second.id);
    assert_eq!(
        field_of(tasks::get_task_by_key(&mut tx, &w.member, "not a key").await),
        "key"
    );
    assert!(is_not_found(
        tasks::get_task_by_key(&mut tx, &w.member, "ACME-999").await
    ));
    // Search finds a task by its key.
    let filter = TaskFilter {
        q: Some("acme-2".into()),
        ..TaskFilter::default()
    };
    let hits = tasks::list_tasks(&mut tx, &w.member, &filter, None, 10)
        .await
        .unwrap();
    assert_eq!(hits.iter().map(|t| t.id).collect::<Vec<_>>(), [second.id]);
    drop(tx);
    let mut tx = w.tx(&w.admin).await;
    let patch = projects::ProjectPatch {
        key_prefix: Some("site".into()),
        ..Default::default()
    };
    let taken = projects::change_project(&mut tx, &w.admin, acme.id, patch).await;
    assert_eq!(field_of(taken), "key_prefix");
    let patch = projects::ProjectPatch {
        key_prefix: Some("ACM".into()),
        ..Default::default()
    };
    projects::change_project(&mut tx, &w.admin, acme.id, patch)
        .await
        .unwrap();
    assert_eq!(
        tasks::get_task(&mut tx, &w.admin, second.id)
            .await
            .unwrap()
            .key,
        "ACM-2"
    );
    // Moving a task to another project gives it that project's next number.
    let patch = TaskPatch {
        project_id: Some(web.id),
        ..TaskPatch::default()
    };
    let moved = tasks::update_task(&mut tx, &w.admin, first.id, patch)
        .await
        .unwrap();
    assert_eq!(moved.key, "SITE-1");
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_show_a_guest_nothing_new() {
    let w = World::new().await;
    let mut tx = w.tx(&w.admin).await;
    let acme = projects::create_project(&mut tx, &w.admin, "Acme")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let shared = w.task(&w.admin, acme.id, "Shared", false).await;
    let hidden = w.task(&w.admin, acme.id, "Hidden", false).await;
    let private = w.task(&w.admin, acme.id, "Private", true).await;
    w.share_with_guest(shared.id).await;

    let mut tx = w.tx(&w.guest).await;
    assert!(tasks::get_task_by_key(&mut tx, &w.guest, &shared.key)
        .await
        .is_ok());
    for key in [hidden.key.as_str(), "ACME-99"] {
        let result = tasks::get_task_by_key(&mut tx, &w.guest, key).await;
        assert!(
            matches!(result, Err(CoreError::NotFound("task"))),
            "{key}: {result:?}"
        );
    }
    let filter = TaskFilter {
        q: Some(hidden.key.clone()),
        ..TaskFilter::default()
    };
    assert!(tasks::list_tasks(&mut tx, &w.guest, &filter, None, 10)
        .await
        .unwrap()
        .is_empty());
    drop(tx);
    let mut tx = w.tx(&w.member).await;
    assert!(is_not_found(
        tasks::get_task_by_key(&mut tx, &w.member, &private.key).await
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtasks_are_one_level_private_stays_private_and_progress_counts_what_is_seen() {
    let w = World::new().await;
    let mut tx = w.tx(&w.admin).await;
    let acme = projects::create_project(&mut tx, &w.admin, "Acme")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let parent = w.task(&w.member, acme.id, "Parent", false).await;
    w.share_with_guest(parent.id).await;
    let before = w.events("task").await;

    let mut tx = w.tx(&w.member).await;
    let new = |title: &str, private: bool| NewTask {
        title: title.into(),
        private,
        // Ignored: a subtask lives in its parent's project.
        project_id: Uuid::new_v4(),
        ..NewTask::default()
    };
    let open = tasks::create_subtask(&mut tx, &w.member, parent.id, new("Open", false))
        .await
        .unwrap();
    assert_eq!(open.parent_id, Some(parent.id));
    assert_eq!(open.project_id, acme.id);
    let mut done = new("Done", false);
    done.status = Some("done".into());
    tasks::create_subtask(&mut tx, &w.member, parent.id, done)
        .await
        .unwrap();
    let nested = tasks::create_subtask(&mut tx, &w.member, open.id, new("Nested", false)).await;
    assert_eq!(field_of(nested), "parent_id");
    tx.commit().await.unwrap();
    // Two tasks created, one event each, in their transaction.
    assert_eq!(w.events("task").await - before, 2);

    // The admin adds a private subtask: the member's progress does not count it.
    let mut tx = w.tx(&w.admin).await;
    let secret = tasks::create_subtask(&mut tx, &w.admin, parent.id, new("Secret", true))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let seen = w.get(&w.admin, parent.id).await.unwrap();
    assert_eq!((seen.subtasks_done, seen.subtasks_total), (1, 3));
    let seen = w.get(&w.member, parent.id).await.unwrap();
    assert_eq!((seen.subtasks_done, seen.subtasks_total), (1, 2));
    assert!(is_not_found(w.get(&w.member, secret.id).await));

    // The guest sees the parent, none of its subtasks, and creates none.
    let seen = w.get(&w.guest, parent.id).await.unwrap();
    assert_eq!((seen.subtasks_done, seen.subtasks_total), (0, 0));
    let mut tx = w.tx(&w.guest).await;
    assert!(tasks::list_subtasks(&mut tx, &w.guest, parent.id)
        .await
        .unwrap()
        .is_empty());
    assert!(is_forbidden(
        tasks::create_subtask(&mut tx, &w.guest, parent.id, new("No", false)).await
    ));
    drop(tx);
    let mut tx = w.tx(&w.member).await;
    let listed = tasks::list_subtasks(&mut tx, &w.member, parent.id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    // A hidden parent is not found, as if it did not exist.
    assert!(is_not_found(
        tasks::create_subtask(&mut tx, &w.member, secret.id, new("No", false)).await
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklists_are_edited_by_editors_with_history() {
    let w = World::new().await;
    let mut tx = w.tx(&w.admin).await;
    let acme = projects::create_project(&mut tx, &w.admin, "Acme")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let task = w.task(&w.member, acme.id, "Launch", false).await;
    w.share_with_guest(task.id).await;

    let mut tx = w.tx(&w.member).await;
    let first = checklists::add_item(&mut tx, &w.member, task.id, " Write copy ")
        .await
        .unwrap();
    let second = checklists::add_item(&mut tx, &w.member, task.id, "Check links")
        .await
        .unwrap();
    assert_eq!((first.position, second.position), (1, 2));
    assert_eq!(first.text, "Write copy");
    assert_eq!(
        field_of(checklists::add_item(&mut tx, &w.member, task.id, "  ").await),
        "text"
    );
    let ticked = checklists::set_done(&mut tx, &w.member, task.id, first.id, true)
        .await
        .unwrap();
    assert!(ticked.done);
    checklists::set_done(&mut tx, &w.member, task.id, first.id, false)
        .await
        .unwrap();
    checklists::remove_item(&mut tx, &w.member, task.id, second.id)
        .await
        .unwrap();
    assert!(is_not_found(
        checklists::remove_item(&mut tx, &w.member, task.id, second.id).await
    ));
    tx.commit().await.unwrap();
    // Two added, ticked, unticked, one removed.
    assert_eq!(w.events("checklist_item").await, 5);

    // The guest reads the checklist of a task they view and changes nothing.
    let mut tx = w.tx(&w.guest).await;
    let items = checklists::list_items(&mut tx, &w.guest, task.id)
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert!(is_forbidden(
        checklists::add_item(&mut tx, &w.guest, task.id, "No").await
    ));
    assert!(is_forbidden(
        checklists::set_done(&mut tx, &w.guest, task.id, first.id, true).await
    ));
    drop(tx);
    // On a task the guest does not see: not found.
    let other = w.task(&w.member, acme.id, "Other", false).await;
    let mut tx = w.tx(&w.guest).await;
    assert!(is_not_found(
        checklists::list_items(&mut tx, &w.guest, other.id).await
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relations_read_both_ways_and_hide_what_is_not_seen() {
    let w = World::new().await;
    let mut tx = w.tx(&w.admin).await;
    let acme = projects::create_project(&mut tx, &w.admin, "Acme")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let one = w.task(&w.member, acme.id, "One", false).await;
    let two = w.task(&w.member, acme.id, "Two", false).await;
    let three = w.task(&w.member, acme.id, "Three", false).await;
    let private = w.task(&w.admin, acme.id, "Private", true).await;

    let mut tx = w.tx(&w.member).await;
    // ACME-2 blocked by ACME-1, by key.
    let made = relations::add_relation(&mut tx, &w.member, two.id, "blocked_by", &one.key)
        .await
        .unwrap();
    assert_eq!(
        (made.kind.as_str(), made.other_task_id),
        ("blocked_by", one.id)
    );
    let from_one = relations::list_relations(&mut tx, &w.member, one.id)
        .await
        .unwrap();
    assert_eq!(from_one.len(), 1);
    assert_eq!(
        (from_one[0].kind.as_str(), from_one[0].other_task_id),
        ("blocks", two.id)
    );
    assert!(
        tasks::get_task(&mut tx, &w.member, two.id)
            .await
            .unwrap()
            .blocked
    );
    assert!(
        !tasks::get_task(&mut tx, &w.member, one.id)
            .await
            .unwrap()
            .blocked
    );
    // Bad input names the field and changes nothing.
    let two_id = two.id.to_string();
    for (kind, other, field) in [
        ("blocks", two_id.as_str(), "other_task"),
        ("blocks", one.key.as_str(), "other_task"),
        ("blocks", "ACME-99", "other_task"),
        ("depends", one.key.as_str(), "kind"),
    ] {
        let result = relations::add_relation(&mut tx, &w.member, two.id, kind, other).await;
        assert_eq!(field_of(result), field, "{kind} {other}");
    }
    relations::add_relation(&mut tx, &w.member, one.id, "blocked_by", &three.key)
        .await
        .unwrap();
    // ACME-3 blocks ACME-1 blocks ACME-2: ACME-2 blocking ACME-3 would close a cycle.
    let cycle = relations::add_relation(&mut tx, &w.member, two.id, "blocks", &three.key).await;
    assert_eq!(field_of(cycle), "other_task");
    relations::add_relation(&mut tx, &w.member, three.id, "relates_to", &two.key)
        .await
        .unwrap();
    // A task the member may not see is the same as no task.
    let hidden =
        relations::add_relation(&mut tx, &w.member, one.id, "relates_to", &private.key).await;
    assert_eq!(field_of(hidden), "other_task");
    tx.commit().await.unwrap();

    // Done blockers block nothing.
    let mut tx = w.tx(&w.member).await;
    let patch = TaskPatch {
        status: Some("done".into()),
        ..TaskPatch::default()
    };
    tasks::update_task(&mut tx, &w.member, one.id, patch)
        .await
        .unwrap();
    assert!(
        !tasks::get_task(&mut tx, &w.member, two.id)
            .await
            .unwrap()
            .blocked
    );
    tx.commit().await.unwrap();

    // The admin relates ACME-2 to the private task: the member is not shown that relation,
    // nor is ACME-2 blocked for them by a task they do not see.
    let mut tx = w.tx(&w.admin).await;
    let secret = relations::add_relation(&mut tx, &w.admin, private.id, "blocks", &two.key)
        .await
        .unwrap();
    assert!(
        tasks::get_task(&mut tx, &w.admin, two.id)
            .await
            .unwrap()
            .blocked
    );
    tx.commit().await.unwrap();
    let mut tx = w.tx(&w.member).await;
    assert!(
        !tasks::get_task(&mut tx, &w.member, two.id)
            .await
            .unwrap()
            .blocked
    );
    let seen = relations::list_relations(&mut tx, &w.member, two.id)
        .await
        .unwrap();
    assert!(
        seen.iter().all(|r| r.other_task_id != private.id),
        "{seen:?}"
    );
    assert_eq!(seen.len(), 2);
    assert!(is_not_found(
        relations::remove_relation(&mut tx, &w.member, two.id, secret.id).await
    ));
    drop(tx);

    // A guest who views only ACME-2 sees no relation at all, and changes none.
    w.share_with_guest(two.id).await;
    let mut tx = w.tx(&w.guest).await;
    assert!(relations::list_relations(&mut tx, &w.guest, two.id)
        .await
        .unwrap()
        .is_empty());
    assert!(
        !tasks::get_task(&mut tx, &w.guest, two.id)
            .await
            .unwrap()
            .blocked
    );
    assert!(is_forbidden(
        relations::add_relation(&mut tx, &w.guest, two.id, "relates_to", &two.key).await
    ));
    drop(tx);
    let mut tx = w.tx(&w.member).await;
    relations::remove_relation(&mut tx, &w.member, two.id, made.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Four relations made, one removed.
    assert_eq!(w.events("task_relation").await, 5);
}

/// Tenant migration 0012 on a workspace that already has work: existing projects get the
/// prefix their name derives (made unique), existing tasks numbers in creation order per
/// project, no history event is written for the numbering, and new tasks continue the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_0012_numbers_existing_tasks_in_creation_order() {
    use sqlx::Executor;
    let w = World::new().await;
    let mut su = common::admin(&w.db).await;
    let q = w.ws.schema().quoted();
    // Back to the schema as 0011 left it, then work as it was before keys.
    su.execute(sqlx::AssertSqlSafe(format!(
        "SET search_path = {q};
         DROP TABLE task_relations, checklist_items;
         ALTER TABLE tasks DROP COLUMN number, DROP COLUMN parent_id;
         ALTER TABLE projects DROP COLUMN key_prefix, DROP COLUMN last_task_number;
         ALTER TABLE history DROP CONSTRAINT history_entity_type_check,
             ADD CONSTRAINT history_entity_type_check CHECK (entity_type IN ('task', 'comment',
                 'time_entry', 'attachment', 'tag', 'workspace', 'webhook_endpoint'));
         DELETE FROM _bastion_migrations WHERE version = 12;
         INSERT INTO projects (id, name, created_at) VALUES
             ('00000000-0000-4000-8000-000000000001', 'Acme', now() - interval '3 days'),
             ('00000000-0000-4000-8000-000000000002', 'acme!', now() - interval '2 days'),
             ('00000000-0000-4000-8000-000000000003', 'Website relaunch', now() - interval '1 day');
         INSERT INTO tasks (id, project_id, title, created_by, created_at) VALUES
             ('00000000-0000-4000-9000-000000000002', '00000000-0000-4000-8000-000000000001',
              'Second', gen_random_uuid(), now() - interval '2 hours'),
             ('00000000-0000-4000-9000-000000000001', '00000000-0000-4000-8000-000000000001',
              'First', gen_random_uuid(), now() - interval '3 hours'),
             ('00000000-0000-4000-9000-000000000003', '00000000-0000-4000-8000-000000000003',
              'Only', gen_random_uuid(), now() - interval '1 hour');
         RESET search_path"
    )))
    .await
    .unwrap();
    sqlx::query("UPDATE workspaces SET schema_version = 11 WHERE id = $1")
        .bind(w.ws.id)
        .execute(&mut su)
        .await
        .unwrap();
    let events_before = w.events("task").await;
    bastion_core::tenant_migrations::migrate_all(&w.db.pool, 1, |_, _| {})
        .await
        .unwrap();

    let mut tx = w.tx(&w.admin).await;
    let prefixes: Vec<(String, String)> =
        sqlx::query_as("SELECT name, key_prefix FROM projects ORDER BY created_at")
            .fetch_all(tx.conn())
            .await
            .unwrap();
    let expected = [
        ("Acme", "ACME"),
        ("acme!", "ACMEA"),
        ("Website relaunch", "WR"),
    ];
    assert_eq!(
        prefixes,
        expected.map(|(n, p)| (n.to_owned(), p.to_owned())).to_vec()
    );
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT t.title, p.key_prefix || '-' || t.number FROM tasks t
           JOIN projects p ON p.id = t.project_id ORDER BY t.created_at",
    )
    .fetch_all(tx.conn())
    .await
    .unwrap();
    let expected = [("First", "ACME-1"), ("Second", "ACME-2"), ("Only", "WR-1")];
    assert_eq!(
        keys,
        expected.map(|(t, k)| (t.to_owned(), k.to_owned())).to_vec()
    );
    drop(tx);
    assert_eq!(
        w.events("task").await,
        events_before,
        "numbering is no event"
    );
    let acme = Uuid::parse_str("00000000-0000-4000-8000-000000000001").unwrap();
    let next = w.task(&w.admin, acme, "Third", false).await;
    assert_eq!(next.key, "ACME-3");
}

/// A creation answers its task from the statement that wrote it, not by reading it back
/// (docs/performance.md, "Creating a task"): the answer must be exactly what a read gives, for
/// a plain task, a private one with an assignee and a due date, and a subtask; and a refused
/// creation (an archived project) takes no number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_task_is_answered_exactly_as_it_reads_back() {
    let w = World::new().await;
    let mut tx = w.tx(&w.admin).await;
    let acme = projects::create_project(&mut tx, &w.admin, "Acme")
        .await
        .unwrap();
    let old = projects::create_project(&mut tx, &w.admin, "Old")
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let plain = w.task(&w.member, acme.id, "Plain", false).await;
    assert_eq!(w.get(&w.member, plain.id).await.unwrap(), plain);
    assert_eq!(plain.key, format!("{}-1", acme.key_prefix));

    let mut tx = w.tx(&w.member).await;
    let private = tasks::create_task(
        &mut tx,
        &w.member,
        NewTask {
            project_id: acme.id,
            title: "  Private, trimmed  ".into(),
            description: Some("Ask @nobody for the **signed** copy.".into()),
            status: Some("in_progress".into()),
            priority: Some("high".into()),
            assignee_id: Some(w.admin.user_id),
            due_on: Some(time::Date::from_calendar_date(2027, time::Month::March, 1).unwrap()),
            private: true,
        },
    )
    .await
    .unwrap();
    let subtask = tasks::create_subtask(
        &mut tx,
        &w.member,
        plain.id,
        NewTask {
            project_id: Uuid::new_v4(),
            title: "Sub".into(),
            ..NewTask::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(private.title, "Private, trimmed");
    assert_eq!(w.get(&w.member, private.id).await.unwrap(), private);
    assert_eq!(w.get(&w.member, subtask.id).await.unwrap(), subtask);
    assert_eq!(subtask.key, format!("{}-3", acme.key_prefix));

    let mut tx = w.tx(&w.admin).await;
    projects::update_project(&mut tx, &w.admin, old.id, None, Some(true))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = w.tx(&w.member).await;
    let refused = tasks::create_task(
        &mut tx,
        &w.member,
        NewTask {
            project_id: old.id,
            title: "Too late".into(),
            ..NewTask::default()
        },
    )
    .await;
    assert_eq!(field_of(refused), "project_id");
    drop(tx);
    let mut tx = w.tx(&w.admin).await;
    let last: i32 = sqlx::query_scalar("SELECT last_task_number FROM projects WHERE id = $1")
        .bind(old.id)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(last, 0, "a refused creation took a number");
}
