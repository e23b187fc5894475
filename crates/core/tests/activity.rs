//! The members' activity feed against a real workspace schema: it follows the visibility rule
//! at read time, leaves out time entries and watching, names changed texts without quoting
//! them, filters by project and pages by history id.

mod common;

use bastion_core::{
    accounts,
    audit::HistoryPage,
    testing::TestDb,
    time_entries::{self, NewTimeEntry},
    work::{
        activity::{self, ActivityEvent},
        comments, projects,
        tasks::{self, NewTask, TaskPatch},
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
        let ws = common::workspace(&db.pool, "feed").await;
        let mut viewers = Vec::new();
        for (who, role) in [("admin", "admin"), ("member", "member"), ("guest", "guest")] {
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

    async fn project(&self, name: &str) -> Uuid {
        let mut tx = self.tx(&self.admin).await;
        let id = projects::create_project(&mut tx, &self.admin, name)
            .await
            .unwrap()
            .id;
        tx.commit().await.unwrap();
        id
    }

    async fn task(&self, by: &Viewer, project: Uuid, title: &str, private: bool) -> Uuid {
        let mut tx = self.tx(by).await;
        let new = NewTask {
            project_id: project,
            title: title.into(),
            description: Some("first draft".into()),
            private,
            ..NewTask::default()
        };
        let id = tasks::create_task(&mut tx, by, new).await.unwrap().id;
        tx.commit().await.unwrap();
        id
    }

    async fn feed(
        &self,
        who: &Viewer,
        project: Option<Uuid>,
        before: Option<i64>,
        limit: u32,
    ) -> Vec<ActivityEvent> {
        let mut tx = self.tx(who).await;
        let feed = activity::feed(&mut tx, who, project, HistoryPage { before, limit })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        feed
    }
}

fn titles(feed: &[ActivityEvent]) -> Vec<&str> {
    feed.iter().map(|e| e.task_title.as_str()).collect()
}

#[tokio::test]
async fn the_feed_shows_what_the_reader_may_see_and_never_old_text_time_or_watching() {
    let w = World::new().await;
    let office = w.project("Office").await;
    let public = w.task(&w.admin, office, "Order chairs", false).await;
    let private = w.task(&w.admin, office, "Salary review", true).await;

    // A comment, then deleted: named in the feed, its words nowhere.
    let mut tx = w.tx(&w.member).await;
    let posted = comments::post_comment(&mut tx, &w.member, public, "the door code is 4711")
        .await
        .unwrap();
    comments::delete_comment(&mut tx, &w.member, public, posted.comment.id)
        .await
        .unwrap();
    let patch = TaskPatch {
        description: Some("second draft".into()),
        status: Some("in_progress".into()),
        ..TaskPatch::default()
    };
    tasks::update_task(&mut tx, &w.member, public, patch)
        .await
        .unwrap();
    time_entries::create(
        &mut tx,
        w.member,
        &NewTimeEntry {
            task_id: public,
            user_id: w.member.user_id,
            started_at: time::OffsetDateTime::now_utc(),
            minutes: 30,
            billable: true,
            rate_cents: 9000,
            note: "fitting".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let admin = w.feed(&w.admin, None, None, 100).await;
    assert!(titles(&admin).contains(&"Salary review"));
    let member = w.feed(&w.member, None, None, 100).await;
    assert!(!member.is_empty());
    assert!(
        member.iter().all(|e| e.event.task_id == Some(public)),
        "{member:?}"
    );
    assert!(titles(&member).iter().all(|t| *t == "Order chairs"));
    // Neither time entries nor watching (each creator watches their task automatically).
    assert!(member.iter().all(|e| e.event.entity_type != "time_entry"));
    assert!(member
        .iter()
        .all(|e| !e.event.action.starts_with("watcher_")));
    // Newest first; the status change is there with its values, the texts only by name.
    assert!(member.windows(2).all(|p| p[0].event.id > p[1].event.id));
    let updated = member
        .iter()
        .find(|e| e.event.entity_type == "task" && e.event.action == "updated")
        .unwrap();
    assert_eq!(updated.event.changes["status"]["after"], "in_progress");
    assert!(activity::is_redacted(
        &updated.event.changes["description"]["before"]
    ));
    let everything =
        serde_json::to_string(&member.iter().map(|e| &e.event.changes).collect::<Vec<_>>())
            .unwrap();
    // Not "4711" or "9000" alone: a timestamp's microseconds can hold those digits (it did,
    // once, in CI). The comment's words, and the rate as a JSON value, cannot be in one.
    for secret in [
        "door code",
        "first draft",
        "second draft",
        ":9000",
        "fitting",
    ] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }
    assert!(member
        .iter()
        .any(|e| e.event.entity_type == "comment" && e.event.action == "deleted"));

    // The guest sees nothing, until the private task is shared with them; then only that.
    assert!(w.feed(&w.guest, None, None, 100).await.is_empty());
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, private, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let guest = w.feed(&w.guest, None, None, 100).await;
    assert!(!guest.is_empty());
    assert!(guest.iter().all(|e| e.event.task_id == Some(private)));
    // Made private, the public task leaves the member's feed (decided when read, not written).
    let mut tx = w.tx(&w.admin).await;
    let patch = TaskPatch {
        private: Some(true),
        assignee_id: Some(Some(w.admin.user_id)),
        ..TaskPatch::default()
    };
    tasks::update_task(&mut tx, &w.admin, public, patch)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let member = w.feed(&w.member, None, None, 100).await;
    assert!(!titles(&member).contains(&"Order chairs"), "{member:?}");
}

#[tokio::test]
async fn the_feed_filters_by_project_and_pages_by_history_id() {
    let w = World::new().await;
    let office = w.project("Office").await;
    let garden = w.project("Garden").await;
    for i in 0..3 {
        w.task(&w.member, office, &format!("Office {i}"), false)
            .await;
        w.task(&w.member, garden, &format!("Garden {i}"), false)
            .await;
    }
    let garden_feed = w.feed(&w.member, Some(garden), None, 100).await;
    assert_eq!(
        garden_feed
            .iter()
            .filter(|e| e.event.action == "created")
            .count(),
        3
    );
    assert!(garden_feed.iter().all(|e| e.project_id == garden));

    // Two at a time, each page after the last id of the one before: every entry exactly once.
    let all = w.feed(&w.member, None, None, 100).await;
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = w.feed(&w.member, None, before, 2).await;
        if page.is_empty() {
            break;
        }
        before = page.last().map(|e| e.event.id);
        paged.extend(page.into_iter().map(|e| e.event.id));
    }
    assert_eq!(paged, all.iter().map(|e| e.event.id).collect::<Vec<_>>());

    // A project the reader cannot name, and a page size out of range, are refused.
    let mut tx = w.tx(&w.member).await;
    let unknown = activity::feed(
        &mut tx,
        &w.member,
        Some(Uuid::new_v4()),
        HistoryPage {
            before: None,
            limit: 10,
        },
    )
    .await;
    assert!(
        matches!(unknown, Err(CoreError::NotFound("project"))),
        "{unknown:?}"
    );
    let too_many = activity::feed(
        &mut tx,
        &w.member,
        None,
        HistoryPage {
            before: None,
            limit: 101,
        },
    )
    .await;
    assert!(
        matches!(too_many, Err(CoreError::Invalid { field: "limit", .. })),
        "{too_many:?}"
    );
}
