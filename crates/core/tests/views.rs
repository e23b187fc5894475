//! Sorted lists and saved views (issue 20) against a real workspace schema: each order, its
//! offset pages, the visibility rule under every order, and who sees, shares and deletes views.

mod common;

use bastion_core::{
    accounts,
    testing::TestDb,
    work::{
        projects,
        tasks::{self, NewTask, TaskFilter, TaskSort},
        views, Viewer,
    },
    workspaces::Workspace,
    Actor, CoreError, TenantTx,
};
use time::macros::date;

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

    async fn titles(
        &self,
        viewer: &Viewer,
        sort: TaskSort,
        offset: u32,
        limit: u32,
    ) -> Vec<String> {
        let mut tx = self.tx(viewer).await;
        let rows =
            tasks::list_tasks_sorted(&mut tx, viewer, &TaskFilter::default(), sort, offset, limit)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        rows.into_iter().map(|t| t.title).collect()
    }
}

#[tokio::test]
async fn each_order_pages_by_offset_and_keeps_the_visibility_rule() {
    let w = World::new().await;
    let mut tx = w.tx(&w.admin).await;
    let project = projects::create_project(&mut tx, &w.admin, "Acme")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Created in this order, each in its own transaction (so each has its own time): A … E.
    for (title, priority, due, private) in [
        ("A", "low", Some(date!(2026 - 12 - 20)), false),
        ("B", "urgent", None, false),
        ("C", "high", Some(date!(2026 - 12 - 10)), true),
        ("D", "normal", Some(date!(2026 - 12 - 15)), false),
        ("E", "urgent", Some(date!(2026 - 12 - 01)), false),
    ] {
        let mut tx = w.tx(&w.admin).await;
        tasks::create_task(
            &mut tx,
            &w.admin,
            NewTask {
                project_id: project.id,
                title: title.into(),
                priority: Some(priority.into()),
                due_on: due,
                private,
                ..NewTask::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    // Ties go newest first.
    assert_eq!(
        w.titles(&w.admin, TaskSort::Priority, 0, 10).await,
        ["E", "B", "C", "D", "A"]
    );
    assert_eq!(
        w.titles(&w.admin, TaskSort::Due, 0, 10).await,
        ["E", "C", "D", "A", "B"]
    );
    assert_eq!(
        w.titles(&w.admin, TaskSort::Created, 0, 10).await,
        ["E", "D", "C", "B", "A"]
    );
    // Pages follow on without a gap or a repeat.
    let first = w.titles(&w.admin, TaskSort::Due, 0, 2).await;
    let second = w.titles(&w.admin, TaskSort::Due, 2, 2).await;
    let third = w.titles(&w.admin, TaskSort::Due, 4, 2).await;
    assert_eq!([first, second, third].concat(), ["E", "C", "D", "A", "B"]);

    // The private task shows to nobody else, in any order.
    for sort in [TaskSort::Priority, TaskSort::Due, TaskSort::Updated] {
        assert_eq!(w.titles(&w.member, sort, 0, 10).await.len(), 4);
        assert!(!w
            .titles(&w.member, sort, 0, 10)
            .await
            .contains(&"C".to_owned()));
        assert!(w.titles(&w.guest, sort, 0, 10).await.is_empty());
    }

    // Too deep, or an unknown order: refused, naming the field.
    let mut tx = w.tx(&w.admin).await;
    let deep = tasks::list_tasks_sorted(
        &mut tx,
        &w.admin,
        &TaskFilter::default(),
        TaskSort::Due,
        tasks::MAX_SORTED_OFFSET + 1,
        10,
    )
    .await;
    assert!(matches!(
        deep,
        Err(CoreError::Invalid {
            field: "cursor",
            ..
        })
    ));
    assert!(matches!(
        TaskSort::parse("title"),
        Err(CoreError::Invalid { field: "sort", .. })
    ));
}

#[tokio::test]
async fn views_are_personal_unless_shared_and_only_admins_and_members_share() {
    let w = World::new().await;

    let mut tx = w.tx(&w.member).await;
    let shared = views::create(
        &mut tx,
        &w.member,
        " Urgent first ",
        "?sort=priority&status=todo",
        true,
    )
    .await
    .unwrap();
    assert_eq!(shared.name, "Urgent first");
    assert_eq!(shared.query, "status=todo&sort=priority");
    let personal = views::create(&mut tx, &w.member, "Mine", "q=invoice", false)
        .await
        .unwrap();
    // Names are unique per person regardless of case; queries are checked.
    let again = views::create(&mut tx, &w.member, "URGENT FIRST", "", false).await;
    assert!(matches!(
        again,
        Err(CoreError::Invalid { field: "name", .. })
    ));
    let bad = views::create(&mut tx, &w.member, "Bad", "cursor=x", false).await;
    assert!(matches!(
        bad,
        Err(CoreError::Invalid { field: "query", .. })
    ));
    tx.commit().await.unwrap();

    // Guests keep their own views but share none and see no shared one.
    let mut tx = w.tx(&w.guest).await;
    let refused = views::create(&mut tx, &w.guest, "Guest's", "", true).await;
    assert!(matches!(refused, Err(CoreError::Forbidden(_))));
    views::create(&mut tx, &w.guest, "Guest's", "", false)
        .await
        .unwrap();
    let names: Vec<String> = views::list(&mut tx, &w.guest)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(names, ["Guest's"]);
    assert!(matches!(
        views::delete(&mut tx, &w.guest, shared.id).await,
        Err(CoreError::NotFound(_))
    ));
    tx.commit().await.unwrap();

    // The admin sees the shared view (not the member's personal one), and may delete it.
    let mut tx = w.tx(&w.admin).await;
    let names: Vec<String> = views::list(&mut tx, &w.admin)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(names, ["Urgent first"]);
    assert!(matches!(
        views::delete(&mut tx, &w.admin, personal.id).await,
        Err(CoreError::NotFound(_))
    ));
    views::delete(&mut tx, &w.admin, shared.id).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = w.tx(&w.member).await;
    let names: Vec<String> = views::list(&mut tx, &w.member)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(names, ["Mine"]);
    tx.commit().await.unwrap();
}
