//! The board's stored order against a real workspace schema: moves within and between columns,
//! what history they write, concurrent moves, many moves into one gap (the renumbering), and who
//! may move what.

mod common;

use bastion_core::{
    accounts,
    testing::TestDb,
    work::{
        board::{self, Place, MAX_SCALE},
        comments, projects,
        tasks::{self, NewTask, TaskFilter},
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
        let ws = common::workspace(&db.pool, "board").await;
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
        let project = projects::create_project(&mut tx, &admin, "Board")
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

    /// Creates tasks in `todo`, in the order given.
    async fn tasks(&self, titles: &[&str], private: bool) -> Vec<Uuid> {
        let mut ids = Vec::new();
        for title in titles {
            let mut tx = self.tx(&self.admin).await;
            let new = NewTask {
                project_id: self.project,
                title: (*title).into(),
                private,
                ..NewTask::default()
            };
            ids.push(
                tasks::create_task(&mut tx, &self.admin, new)
                    .await
                    .unwrap()
                    .id,
            );
            tx.commit().await.unwrap();
        }
        ids
    }

    async fn move_task(
        &self,
        by: &Viewer,
        id: Uuid,
        status: &str,
        place: Place,
    ) -> Result<(), CoreError> {
        let mut tx = self.tx(by).await;
        board::move_task(&mut tx, by, id, status, place).await?;
        tx.commit().await.unwrap();
        Ok(())
    }

    /// The admin's board, as task titles per column.
    async fn columns(&self) -> [Vec<String>; 3] {
        let mut tx = self.tx(&self.admin).await;
        let b = tasks::board(&mut tx, &self.admin, &TaskFilter::default(), 500)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let titles = |v: Vec<tasks::TaskRecord>| v.into_iter().map(|t| t.title).collect();
        [titles(b.todo), titles(b.in_progress), titles(b.done)]
    }

    /// History events of task `id` after its creation, watching left out.
    async fn events(&self, id: Uuid) -> Vec<(String, serde_json::Value)> {
        let mut tx = self.tx(&self.admin).await;
        sqlx::query_as(
            "SELECT action, changes FROM history
              WHERE task_id = $1 AND action NOT IN ('created', 'watcher_added', 'watcher_removed')
              ORDER BY id",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await
        .unwrap()
    }

    /// The largest number of decimal places of any rank in the workspace.
    async fn max_scale(&self) -> i32 {
        let mut tx = self.tx(&self.admin).await;
        sqlx::query_scalar("SELECT max(scale(rank)) FROM tasks")
            .fetch_one(tx.conn())
            .await
            .unwrap()
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn moves_within_and_between_columns_are_stored_and_write_only_status_history() {
    let w = World::new().await;
    let ids = w.tasks(&["A", "B", "C", "D"], false).await;
    let (a, b, c, d) = (ids[0], ids[1], ids[2], ids[3]);
    // New tasks go on top, as the board showed newest first.
    assert_eq!(w.columns().await[0], strs(&["D", "C", "B", "A"]));

    // Within a column: after, before, to the top.
    w.move_task(&w.member, d, "todo", Place::After(a))
        .await
        .unwrap();
    assert_eq!(w.columns().await[0], strs(&["C", "B", "A", "D"]));
    w.move_task(&w.member, a, "todo", Place::Before(c))
        .await
        .unwrap();
    assert_eq!(w.columns().await[0], strs(&["A", "C", "B", "D"]));
    w.move_task(&w.member, b, "todo", Place::Top).await.unwrap();
    assert_eq!(w.columns().await[0], strs(&["B", "A", "C", "D"]));
    // Where it already is: nothing changes.
    w.move_task(&w.member, a, "todo", Place::After(b))
        .await
        .unwrap();
    assert_eq!(w.columns().await[0], strs(&["B", "A", "C", "D"]));
    assert!(
        w.events(a).await.is_empty() && w.events(b).await.is_empty(),
        "an order-only move writes no history"
    );

    // Between columns: into an empty column, then before and after a card there.
    w.move_task(&w.member, c, "in_progress", Place::Top)
        .await
        .unwrap();
    w.move_task(&w.member, a, "in_progress", Place::After(c))
        .await
        .unwrap();
    w.move_task(&w.member, d, "in_progress", Place::Before(c))
        .await
        .unwrap();
    assert_eq!(
        w.columns().await,
        [strs(&["B"]), strs(&["D", "C", "A"]), vec![]]
    );
    let events = w.events(a).await;
    assert_eq!(
        events.len(),
        1,
        "one event for the move to another column: {events:?}"
    );
    assert_eq!(events[0].0, "updated");
    assert_eq!(events[0].1["status"]["before"], "todo");
    assert_eq!(events[0].1["status"]["after"], "in_progress");
    assert!(
        events[0].1.get("rank").is_none(),
        "the rank is not history: {events:?}"
    );

    // A status changed elsewhere (the task page) keeps the rank; the card stays in order.
    let mut tx = w.tx(&w.admin).await;
    tasks::update_task(
        &mut tx,
        &w.admin,
        a,
        tasks::TaskPatch {
            status: Some("done".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        w.columns().await,
        [strs(&["B"]), strs(&["D", "C"]), strs(&["A"])]
    );
}

#[tokio::test]
async fn concurrent_moves_keep_one_consistent_order() {
    let w = std::sync::Arc::new(World::new().await);
    let titles: Vec<String> = (0..10).map(|n| format!("T{n}")).collect();
    let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
    let ids = w.tasks(&refs, false).await;
    let anchor = ids[0];
    // Nine moves at once, each right after the same card, half of them into another column:
    // serialised by the lock, each reads the ranks the one before it wrote.
    let mut handles = Vec::new();
    for (n, id) in ids.iter().copied().enumerate().skip(1) {
        let w = w.clone();
        handles.push(tokio::spawn(async move {
            if n % 2 == 0 {
                w.move_task(&w.member, id, "todo", Place::After(anchor))
                    .await
            } else {
                w.move_task(&w.member, id, "done", Place::Top).await
            }
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    let [todo, in_progress, done] = w.columns().await;
    assert!(in_progress.is_empty());
    assert_eq!(todo.len() + done.len(), 10, "no task lost or doubled");
    assert_eq!(todo[0], "T0", "the anchor keeps its place: {todo:?}");
    let mut seen: Vec<String> = todo.iter().chain(&done).cloned().collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 10);
    // No two tasks of a column share a rank: each move found its own gap.
    let mut tx = w.tx(&w.admin).await;
    let ties: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT status, rank FROM tasks GROUP BY status, rank
                                HAVING count(*) > 1) d",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    assert_eq!(ties, 0);
}

#[tokio::test]
async fn many_moves_into_one_gap_renumber_the_column_and_keep_the_order() {
    let w = World::new().await;
    let ids = w.tasks(&["Z", "Y", "X", "W"], false).await;
    // The column reads W X Y Z; X and Y take turns to go right after W, halving one gap
    // each time, far past the places a rank may have: the column is renumbered on the way.
    let (wid, x, y) = (ids[3], ids[2], ids[1]);
    for n in 0..120 {
        let (mover, other) = if n % 2 == 0 { (x, "Y") } else { (y, "X") };
        let mover_title = if n % 2 == 0 { "X" } else { "Y" };
        w.move_task(&w.admin, mover, "todo", Place::After(wid))
            .await
            .unwrap();
        if n % 20 == 0 || n == 119 {
            assert_eq!(
                w.columns().await[0],
                strs(&["W", mover_title, other, "Z"]),
                "after move {n}"
            );
        }
    }
    assert!(w.max_scale().await <= MAX_SCALE);

    // Tied ranks (two tasks made in the same microsecond) leave no room between them: the
    // column is renumbered and the move still lands between them.
    let mut tx = w.tx(&w.admin).await;
    sqlx::query("UPDATE tasks SET rank = 5000 WHERE id = ANY($1)")
        .bind(vec![ids[0], ids[1]])
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let before = w.columns().await[0].clone();
    let (first_tied, second_tied) = {
        let pos_z = before.iter().position(|t| t == "Z").unwrap();
        let pos_y = before.iter().position(|t| t == "Y").unwrap();
        if pos_z < pos_y {
            (ids[0], "Y")
        } else {
            (ids[1], "Z")
        }
    };
    w.move_task(&w.admin, wid, "todo", Place::After(first_tied))
        .await
        .unwrap();
    let after = w.columns().await[0].clone();
    let pos_w = after.iter().position(|t| t == "W").unwrap();
    assert_eq!(
        after[pos_w + 1],
        second_tied,
        "W between the tied pair: {after:?}"
    );
}

#[tokio::test]
async fn who_may_move_what() {
    let w = World::new().await;
    let ids = w.tasks(&["Shared", "Other"], false).await;
    let (shared, other) = (ids[0], ids[1]);
    let private = w.tasks(&["Secret"], true).await[0];
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, shared, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // A guest sees the task but may not edit it.
    let refused = w.move_task(&w.guest, shared, "done", Place::Top).await;
    assert!(
        matches!(refused, Err(CoreError::Forbidden(_))),
        "{refused:?}"
    );
    // A task the caller does not see is not found; as an anchor it is no task at all.
    let unseen = w.move_task(&w.guest, other, "done", Place::Top).await;
    assert!(matches!(unseen, Err(CoreError::NotFound(_))), "{unseen:?}");
    let unseen = w.move_task(&w.member, private, "done", Place::Top).await;
    assert!(matches!(unseen, Err(CoreError::NotFound(_))), "{unseen:?}");
    let anchor = w
        .move_task(&w.member, shared, "todo", Place::After(private))
        .await;
    assert!(
        matches!(anchor, Err(CoreError::Invalid { field: "after", .. })),
        "{anchor:?}"
    );
    // An anchor in another column, the task itself, and a status that is none.
    let wrong = w
        .move_task(&w.member, shared, "done", Place::Before(other))
        .await;
    assert!(
        matches!(
            wrong,
            Err(CoreError::Invalid {
                field: "before",
                ..
            })
        ),
        "{wrong:?}"
    );
    let itself = w
        .move_task(&w.member, shared, "todo", Place::After(shared))
        .await;
    assert!(
        matches!(itself, Err(CoreError::Invalid { field: "after", .. })),
        "{itself:?}"
    );
    let status = w.move_task(&w.member, shared, "later", Place::Top).await;
    assert!(
        matches!(
            status,
            Err(CoreError::Invalid {
                field: "status",
                ..
            })
        ),
        "{status:?}"
    );
    // Nothing above moved anything.
    assert_eq!(
        w.columns().await,
        [strs(&["Secret", "Other", "Shared"]), vec![], vec![]]
    );
    // A member may; the admin may move the private task.
    w.move_task(&w.member, shared, "done", Place::Top)
        .await
        .unwrap();
    w.move_task(&w.admin, private, "done", Place::After(shared))
        .await
        .unwrap();
    assert_eq!(
        w.columns().await,
        [strs(&["Other"]), vec![], strs(&["Shared", "Secret"])]
    );
}

/// Mentions in a description tell people exactly like a comment's: those who see the task, once
/// (an edit tells only the newly mentioned), never the author, and nobody who may not see it.
#[tokio::test]
async fn mentions_in_a_description_notify_who_sees_the_task() {
    use bastion_core::work::notifications::{self, Kind};
    let w = World::new().await;
    let mentioned = |ids: &[Uuid]| {
        ids.iter()
            .map(|id| format!("@[{id}]"))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let notices = |who: Viewer| {
        let w = &w;
        async move {
            let mut tx = w.tx(&who).await;
            let list = notifications::list(&mut tx, &who, false, None, 50)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            list.into_iter()
                .filter(|n| n.kind == Kind::Mentioned)
                .map(|n| (n.task_title, n.comment_id))
                .collect::<Vec<_>>()
        }
    };
    // Created with the member and the guest (who does not view it) mentioned: the member is told.
    let mut tx = w.tx(&w.admin).await;
    let written = tasks::create_task_mentioning(
        &mut tx,
        &w.admin,
        NewTask {
            project_id: w.project,
            title: "Plan".into(),
            description: Some(format!(
                "Ask {} please.",
                mentioned(&[w.member.user_id, w.guest.user_id, w.admin.user_id])
            )),
            ..NewTask::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let task = written.task;
    // The author hears who was not told, and why is theirs to see: the guest does not view it.
    assert_eq!(written.mentions.notified, vec![w.member.user_id]);
    assert_eq!(written.mentions.not_notified, vec![w.guest.user_id]);
    // The task page says so to those who can share the task, and to nobody else.
    let unreached = |who: Viewer| {
        let w = &w;
        async move {
            let mut tx = w.tx(&who).await;
            let seen = tasks::get_task(&mut tx, &who, task.id).await.unwrap();
            let people = comments::unreached_mentions(&mut tx, &who, &seen)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            people
        }
    };
    assert_eq!(unreached(w.admin).await, vec![w.guest.user_id]);
    assert_eq!(notices(w.member).await, vec![("Plan".to_owned(), None)]);
    assert!(
        notices(w.guest).await.is_empty(),
        "the guest does not see the task"
    );
    assert!(notices(w.admin).await.is_empty(), "the author is not told");

    // An edit keeping the member's mention tells nobody again; once the guest views the task,
    // an edit mentioning them anew tells them.
    let edit = |text: String| {
        let w = &w;
        async move {
            let mut tx = w.tx(&w.admin).await;
            let written = tasks::update_task_mentioning(
                &mut tx,
                &w.admin,
                task.id,
                tasks::TaskPatch {
                    description: Some(text),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            written.mentions
        }
    };
    let outcome = edit(format!("Only {} now.", mentioned(&[w.member.user_id]))).await;
    assert_eq!(outcome, Default::default(), "nobody newly mentioned");
    assert_eq!(notices(w.member).await.len(), 1);
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, task.id, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let outcome = edit(format!(
        "{} too.",
        mentioned(&[w.member.user_id, w.guest.user_id])
    ))
    .await;
    assert_eq!(outcome.notified, vec![w.guest.user_id]);
    assert!(outcome.not_notified.is_empty());
    assert_eq!(notices(w.member).await.len(), 1);
    assert_eq!(notices(w.guest).await, vec![("Plan".to_owned(), None)]);
    assert!(unreached(w.admin).await.is_empty(), "the guest sees it now");
}
