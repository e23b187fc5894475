//! Watching, @mentions and the in-app inbox against a real workspace schema: who is told, who is
//! not (the actor, people who cannot see a private task), and that the inbox applies the
//! visibility rule again when it is read.

mod common;

use bastion_core::{
    accounts,
    testing::TestDb,
    work::{
        comments,
        notifications::{self, Kind, Notification},
        projects,
        tasks::{self, NewTask, TaskPatch, TaskRecord},
        watching, Viewer,
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
        let mut tx = TenantTx::begin(&db.pool, &ws.schema(), Actor::User(admin.user_id))
            .await
            .unwrap();
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
        TenantTx::begin(
            &self.db.pool,
            &self.ws.schema(),
            Actor::User(viewer.user_id),
        )
        .await
        .unwrap()
    }

    async fn task(&self, by: &Viewer, private: bool, assignee: Option<Uuid>) -> TaskRecord {
        let mut tx = self.tx(by).await;
        let new = NewTask {
            project_id: self.project,
            title: "Sign the lease".into(),
            private,
            assignee_id: assignee,
            ..NewTask::default()
        };
        let task = tasks::create_task(&mut tx, by, new).await.unwrap();
        tx.commit().await.unwrap();
        task
    }

    async fn inbox(&self, who: &Viewer) -> Vec<Notification> {
        let mut tx = self.tx(who).await;
        notifications::list(&mut tx, who, false, None, 100)
            .await
            .unwrap()
    }

    async fn unread(&self, who: &Viewer) -> i64 {
        let mut tx = self.tx(who).await;
        notifications::unread_count(&mut tx, who).await.unwrap()
    }

    async fn comment(&self, by: &Viewer, task: Uuid, body: &str) -> comments::Posted {
        let mut tx = self.tx(by).await;
        let posted = comments::post_comment(&mut tx, by, task, body)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        posted
    }

    async fn update(&self, by: &Viewer, task: Uuid, patch: TaskPatch) {
        let mut tx = self.tx(by).await;
        tasks::update_task(&mut tx, by, task, patch).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn share(&self, task: Uuid, with: &Viewer, shared: bool) {
        let mut tx = self.tx(&self.admin).await;
        if shared {
            tasks::add_task_viewer(&mut tx, &self.admin, task, with.user_id)
                .await
                .unwrap();
        } else {
            tasks::remove_task_viewer(&mut tx, &self.admin, task, with.user_id)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }

    async fn set_watch(&self, who: &Viewer, task: Uuid, watch: bool) -> watching::WatchState {
        let mut tx = self.tx(who).await;
        let state = if watch {
            watching::watch(&mut tx, who, task).await.unwrap()
        } else {
            watching::unwatch(&mut tx, who, task).await.unwrap()
        };
        tx.commit().await.unwrap();
        state
    }
}

fn kinds(inbox: &[Notification]) -> Vec<Kind> {
    inbox.iter().map(|n| n.kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assigning_tells_the_assignee_and_never_the_actor() {
    let w = World::new().await;
    let task = w.task(&w.admin, false, Some(w.member.user_id)).await;
    assert_eq!(kinds(&w.inbox(&w.member).await), vec![Kind::Assigned]);
    assert_eq!(w.unread(&w.member).await, 1);
    assert!(w.inbox(&w.admin).await.is_empty(), "the actor is not told");

    // Assigning oneself tells nobody; reassigning tells the new assignee only.
    let own = w.task(&w.other, false, Some(w.other.user_id)).await;
    assert!(w.inbox(&w.other).await.is_empty());
    w.update(
        &w.member,
        own.id,
        TaskPatch {
            assignee_id: Some(Some(w.admin.user_id)),
            ..TaskPatch::default()
        },
    )
    .await;
    assert_eq!(kinds(&w.inbox(&w.admin).await), vec![Kind::Assigned]);
    assert!(w.inbox(&w.other).await.is_empty());

    // Reading: one, then all.
    let first = w.inbox(&w.member).await.remove(0);
    assert_eq!((first.task_id, first.actor_id), (task.id, w.admin.user_id));
    let mut tx = w.tx(&w.other).await;
    let err = notifications::mark_read(&mut tx, &w.other, first.id).await;
    assert!(
        matches!(err, Err(CoreError::NotFound(_))),
        "someone else's notice: {err:?}"
    );
    drop(tx);
    let mut tx = w.tx(&w.member).await;
    notifications::mark_read(&mut tx, &w.member, first.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(w.unread(&w.member).await, 0);
    let mut tx = w.tx(&w.member).await;
    let unread = notifications::list(&mut tx, &w.member, true, None, 10)
        .await
        .unwrap();
    assert!(unread.is_empty());
    drop(tx);
    w.comment(&w.admin, task.id, "first").await;
    w.comment(&w.admin, task.id, "second").await;
    assert_eq!(w.unread(&w.member).await, 2);
    let mut tx = w.tx(&w.member).await;
    assert_eq!(
        notifications::mark_all_read(&mut tx, &w.member)
            .await
            .unwrap(),
        2
    );
    tx.commit().await.unwrap();
    assert_eq!(w.unread(&w.member).await, 0);

    // Keyset pages, newest first, cover every notice once.
    let all = w.inbox(&w.member).await;
    let mut tx = w.tx(&w.member).await;
    let page1 = notifications::list(&mut tx, &w.member, false, None, 2)
        .await
        .unwrap();
    let page2 = notifications::list(&mut tx, &w.member, false, Some(page1[1].position()), 2)
        .await
        .unwrap();
    let paged: Vec<Uuid> = page1.iter().chain(&page2).map(|n| n.id).collect();
    assert_eq!(paged, all.iter().map(|n| n.id).collect::<Vec<_>>());
    assert_eq!(all.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_hear_of_comments_and_status_until_they_unwatch() {
    let w = World::new().await;
    // The creator and the assignee watch on their own; a commenter starts watching.
    let task = w.task(&w.admin, false, Some(w.member.user_id)).await;
    w.comment(&w.other, task.id, "I can help").await;
    assert_eq!(
        kinds(&w.inbox(&w.admin).await),
        vec![Kind::Commented],
        "the creator hears of the comment"
    );
    w.update(
        &w.member,
        task.id,
        TaskPatch {
            status: Some("in_progress".into()),
            ..TaskPatch::default()
        },
    )
    .await;
    let other = w.inbox(&w.other).await;
    assert_eq!(kinds(&other), vec![Kind::StatusChanged]);
    assert_eq!(other[0].detail.as_deref(), Some("in_progress"));
    assert_eq!(
        kinds(&w.inbox(&w.member).await),
        vec![Kind::Commented, Kind::Assigned],
        "the member changed the status: not told of their own change"
    );

    // Unwatching stops it, and commenting again does not sign the person up again.
    let state = w.set_watch(&w.other, task.id, false).await;
    assert!(!state.watching);
    w.comment(&w.other, task.id, "still here").await;
    w.comment(&w.admin, task.id, "thanks").await;
    assert_eq!(
        w.inbox(&w.other).await.len(),
        1,
        "no notice after unwatching"
    );
    let state = w.set_watch(&w.other, task.id, true).await;
    assert!(state.watching);
    assert_eq!(state.watchers, 3);
    w.comment(&w.admin, task.id, "welcome back").await;
    assert_eq!(w.inbox(&w.other).await.len(), 2);

    // The guest watches only what they view.
    let mut tx = w.tx(&w.guest).await;
    let err = watching::watch(&mut tx, &w.guest, task.id).await;
    assert!(matches!(err, Err(CoreError::NotFound(_))), "{err:?}");
    drop(tx);

    // Watch changes are events of the task's history, in the change's transaction.
    let mut conn = common::admin(&w.db).await;
    let events: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT action, changes ->> 'user_id' FROM {}.history
          WHERE task_id = $1 AND action LIKE 'watcher_%' ORDER BY id",
        w.ws.schema().as_str()
    )))
    .bind(task.id)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let other = w.other.user_id.to_string();
    let expected: Vec<(String, String)> = vec![
        ("watcher_added".into(), w.admin.user_id.to_string()),
        ("watcher_added".into(), w.member.user_id.to_string()),
        ("watcher_added".into(), other.clone()),
        ("watcher_removed".into(), other.clone()),
        ("watcher_added".into(), other),
    ];
    let mut got = events.clone();
    // The creator's and assignee's watches share one statement; their order is by id.
    got[..2].sort();
    let mut want = expected.clone();
    want[..2].sort();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_tasks_tell_only_those_who_see_them_and_unsharing_hides_notices() {
    let w = World::new().await;
    let task = w.task(&w.admin, true, None).await;
    // Mentioning people who cannot see the private task tells them nothing, and says so.
    let posted = w
        .comment(
            &w.admin,
            task.id,
            &format!(
                "@[{}] and @[{}], please look",
                w.guest.user_id, w.member.user_id
            ),
        )
        .await;
    assert!(posted.mentions.notified.is_empty());
    assert_eq!(
        posted.mentions.not_notified,
        vec![w.guest.user_id, w.member.user_id]
    );
    assert!(w.inbox(&w.guest).await.is_empty());
    assert!(w.inbox(&w.member).await.is_empty());

    // Shared with the guest and the member, a mention tells them.
    w.share(task.id, &w.guest, true).await;
    w.share(task.id, &w.member, true).await;
    let posted = w
        .comment(
            &w.admin,
            task.id,
            &format!("@[{}] now you see it", w.guest.user_id),
        )
        .await;
    assert_eq!(posted.mentions.notified, vec![w.guest.user_id]);
    // Being given access is a notice of its own (`invited`).
    assert_eq!(
        kinds(&w.inbox(&w.guest).await),
        vec![Kind::Mentioned, Kind::Invited]
    );
    // The member sees the task but does not watch it: no comment notice.
    assert_eq!(kinds(&w.inbox(&w.member).await), vec![Kind::Invited]);
    w.set_watch(&w.member, task.id, true).await;
    w.comment(&w.guest, task.id, "on it").await;
    assert_eq!(
        kinds(&w.inbox(&w.member).await),
        vec![Kind::Commented, Kind::Invited]
    );
    assert_eq!(kinds(&w.inbox(&w.admin).await), vec![Kind::Commented]);

    // Unshared: existing notices disappear from list and count, and cannot be marked; new
    // changes tell them nothing although they still watch.
    let notice = w.inbox(&w.guest).await.remove(0);
    w.share(task.id, &w.guest, false).await;
    w.share(task.id, &w.member, false).await;
    assert!(w.inbox(&w.guest).await.is_empty());
    assert_eq!(w.unread(&w.guest).await, 0);
    assert!(w.inbox(&w.member).await.is_empty());
    let mut tx = w.tx(&w.guest).await;
    let err = notifications::mark_read(&mut tx, &w.guest, notice.id).await;
    assert!(matches!(err, Err(CoreError::NotFound(_))), "{err:?}");
    drop(tx);
    w.update(
        &w.admin,
        task.id,
        TaskPatch {
            status: Some("done".into()),
            ..TaskPatch::default()
        },
    )
    .await;
    let mut conn = common::admin(&w.db).await;
    let stored: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {}.notifications WHERE recipient_id = ANY($1) AND kind = 'status_changed'",
        w.ws.schema().as_str()
    )))
    .bind(vec![w.guest.user_id, w.member.user_id])
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        stored, 0,
        "nobody who cannot see the task is written a notice"
    );

    // Shared again, the old notices are back (they were hidden, not lost), after the new
    // invitation.
    w.share(task.id, &w.guest, true).await;
    assert_eq!(
        kinds(&w.inbox(&w.guest).await),
        vec![Kind::Invited, Kind::Mentioned, Kind::Invited]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_change_tells_nobody_and_edits_tell_the_newly_mentioned() {
    let w = World::new().await;
    let task = w.task(&w.admin, false, None).await;
    let mut tx = w.tx(&w.admin).await;
    tasks::update_task(
        &mut tx,
        &w.admin,
        task.id,
        TaskPatch {
            assignee_id: Some(Some(w.member.user_id)),
            ..TaskPatch::default()
        },
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(w.inbox(&w.member).await.is_empty());

    let posted = w
        .comment(&w.admin, task.id, &format!("ping @[{}]", w.member.user_id))
        .await;
    assert_eq!(kinds(&w.inbox(&w.member).await), vec![Kind::Mentioned]);
    let mut tx = w.tx(&w.admin).await;
    comments::update_comment(
        &mut tx,
        &w.admin,
        task.id,
        posted.comment.id,
        &format!("ping @[{}] and @[{}]", w.member.user_id, w.other.user_id),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(w.inbox(&w.member).await.len(), 1, "not told twice");
    assert_eq!(kinds(&w.inbox(&w.other).await), vec![Kind::Mentioned]);
}
