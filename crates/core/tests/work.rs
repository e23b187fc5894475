//! Projects, tasks, tags, viewers and comments against a real workspace schema: who sees what
//! (PRODUCT.md §2), filters and pagination, and validation that names the field.

mod common;

use bastion_core::{
    accounts,
    testing::TestDb,
    work::{
        comments, projects,
        tags::{self, TagRecord},
        tasks::{self, NewTask, TaskFilter, TaskPatch, TaskRecord},
        Viewer,
    },
    workspaces::Workspace,
    Actor, CoreError, TenantTx,
};
use sqlx::PgPool;
use uuid::Uuid;

struct World {
    db: TestDb,
    ws: Workspace,
    admin: Viewer,
    member: Viewer,
    other: Viewer,
    guest: Viewer,
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
        World {
            db,
            ws,
            admin: v.next().unwrap(),
            member: v.next().unwrap(),
            other: v.next().unwrap(),
            guest: v.next().unwrap(),
        }
    }

    fn pool(&self) -> &PgPool {
        &self.db.pool
    }

    async fn tx(&self, viewer: &Viewer) -> TenantTx {
        TenantTx::begin(self.pool(), &self.ws.schema(), Actor::User(viewer.user_id))
            .await
            .unwrap()
    }

    async fn project(&self, name: &str) -> Uuid {
        let mut tx = self.tx(&self.admin).await;
        let project = projects::create_project(&mut tx, &self.admin, name)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        project.id
    }

    /// A task created by `by`, committed in its own transaction.
    async fn task(&self, by: &Viewer, new: NewTask) -> TaskRecord {
        let mut tx = self.tx(by).await;
        let task = tasks::create_task(&mut tx, by, new).await.unwrap();
        tx.commit().await.unwrap();
        task
    }

    async fn visible_ids(&self, viewer: &Viewer, filter: &TaskFilter) -> Vec<Uuid> {
        let mut tx = self.tx(viewer).await;
        let list = tasks::list_tasks(&mut tx, viewer, filter, None, 100)
            .await
            .unwrap();
        list.into_iter().map(|t| t.id).collect()
    }

    async fn can_get(&self, viewer: &Viewer, task: Uuid) -> bool {
        let mut tx = self.tx(viewer).await;
        match tasks::get_task(&mut tx, viewer, task).await {
            Ok(_) => true,
            Err(CoreError::NotFound(_)) => false,
            Err(e) => panic!("{e}"),
        }
    }
}

fn new_task(project_id: Uuid, title: &str) -> NewTask {
    NewTask {
        project_id,
        title: title.into(),
        ..NewTask::default()
    }
}

fn field_of(err: CoreError) -> &'static str {
    match err {
        CoreError::Invalid { field, .. } => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_exactly_the_tasks_the_rules_allow() {
    let w = World::new().await;
    let open = w.project("Open").await;
    let secret = w.project("Secret").await;
    let public = w.task(&w.admin, new_task(open, "Public")).await;
    let admins_private = w
        .task(
            &w.admin,
            NewTask {
                private: true,
                ..new_task(secret, "Admin's private")
            },
        )
        .await;
    let members_private = w
        .task(
            &w.member,
            NewTask {
                private: true,
                ..new_task(open, "Member's private")
            },
        )
        .await;
    let assigned = w
        .task(
            &w.admin,
            NewTask {
                private: true,
                assignee_id: Some(w.other.user_id),
                ..new_task(open, "Assigned to other")
            },
        )
        .await;
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, public.id, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let all = [
        public.id,
        admins_private.id,
        members_private.id,
        assigned.id,
    ];
    // (viewer, what they see): admins all; members the non-private ones plus the private ones
    // they created, are assigned or view; guests only what they view.
    for (viewer, sees) in [
        (
            &w.admin,
            vec![
                public.id,
                admins_private.id,
                members_private.id,
                assigned.id,
            ],
        ),
        (&w.member, vec![public.id, members_private.id]),
        (&w.other, vec![public.id, assigned.id]),
        (&w.guest, vec![public.id]),
    ] {
        let mut listed = w.visible_ids(viewer, &TaskFilter::default()).await;
        listed.sort();
        let mut expected = sees.clone();
        expected.sort();
        assert_eq!(listed, expected, "list as {}", viewer.role);
        for id in all {
            assert_eq!(
                w.can_get(viewer, id).await,
                sees.contains(&id),
                "get as {}",
                viewer.role
            );
        }
    }

    // A task the viewer cannot see cannot be changed, deleted or commented on either.
    let mut tx = w.tx(&w.member).await;
    let patch = TaskPatch {
        title: Some("mine now".into()),
        ..TaskPatch::default()
    };
    assert!(matches!(
        tasks::update_task(&mut tx, &w.member, admins_private.id, patch).await,
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        tasks::delete_task(&mut tx, &w.member, admins_private.id).await,
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        comments::create_comment(&mut tx, &w.member, admins_private.id, "hi").await,
        Err(CoreError::NotFound(_))
    ));
    tx.rollback().await.unwrap();

    // Being made a viewer opens a private task to a member.
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, admins_private.id, w.member.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(w.can_get(&w.member, admins_private.id).await);

    // Guests see only the projects holding a task they view; others see every project.
    for (viewer, expected) in [(&w.guest, vec![open]), (&w.member, vec![open, secret])] {
        let mut tx = w.tx(viewer).await;
        let listed: Vec<Uuid> = projects::list_projects(&mut tx, viewer, false, None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(listed, expected, "projects as {}", viewer.role);
        let secret_project = projects::get_project(&mut tx, viewer, secret).await;
        assert_eq!(secret_project.is_ok(), !viewer.is_guest());
    }

    // Guests see only the tags on tasks they view.
    let mut tx = w.tx(&w.admin).await;
    let seen = tags::create_tag(&mut tx, &w.admin, "Seen", None)
        .await
        .unwrap();
    let unseen = tags::create_tag(&mut tx, &w.admin, "Unseen", Some("#FF0000"))
        .await
        .unwrap();
    assert_eq!(unseen.colour, "#ff0000");
    tags::add_task_tag(&mut tx, &w.admin, public.id, seen.id)
        .await
        .unwrap();
    tags::add_task_tag(&mut tx, &w.admin, admins_private.id, unseen.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let names = |list: Vec<TagRecord>| list.into_iter().map(|t| t.name).collect::<Vec<_>>();
    let mut tx = w.tx(&w.guest).await;
    assert_eq!(
        names(tags::list_tags(&mut tx, &w.guest).await.unwrap()),
        ["Seen"]
    );
    assert!(matches!(
        tags::list_task_tags(&mut tx, &w.guest, admins_private.id).await,
        Err(CoreError::NotFound(_))
    ));
    let mut tx = w.tx(&w.member).await;
    assert_eq!(
        names(tags::list_tags(&mut tx, &w.member).await.unwrap()),
        ["Seen", "Unseen"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_filter_and_paginate_without_gaps_or_repeats() {
    let w = World::new().await;
    let alpha = w.project("Alpha").await;
    let beta = w.project("Beta").await;
    let mut tx = w.tx(&w.admin).await;
    let urgent = tags::create_tag(&mut tx, &w.admin, "urgent", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let date = |d: u8| time::Date::from_calendar_date(2026, time::Month::December, d).unwrap();
    let invoice = w
        .task(
            &w.admin,
            NewTask {
                description: Some("Send the invoice to Globex".into()),
                status: Some("in_progress".into()),
                assignee_id: Some(w.member.user_id),
                due_on: Some(date(1)),
                ..new_task(alpha, "Billing run")
            },
        )
        .await;
    let report = w
        .task(
            &w.member,
            NewTask {
                due_on: Some(date(20)),
                ..new_task(beta, "Quarterly 100% report")
            },
        )
        .await;
    let mut rest = Vec::new();
    for n in 0..5 {
        rest.push(
            w.task(&w.admin, new_task(alpha, &format!("Chore {n}")))
                .await
                .id,
        );
    }
    let mut tx = w.tx(&w.admin).await;
    tags::add_task_tag(&mut tx, &w.admin, report.id, urgent.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    for (filter, expected) in [
        (
            TaskFilter {
                project_id: Some(beta),
                ..TaskFilter::default()
            },
            vec![report.id],
        ),
        (
            TaskFilter {
                status: Some("in_progress".into()),
                ..TaskFilter::default()
            },
            vec![invoice.id],
        ),
        (
            TaskFilter {
                assignee_id: Some(w.member.user_id),
                ..TaskFilter::default()
            },
            vec![invoice.id],
        ),
        (
            TaskFilter {
                tag_id: Some(urgent.id),
                ..TaskFilter::default()
            },
            vec![report.id],
        ),
        (
            TaskFilter {
                due_before: Some(date(10)),
                ..TaskFilter::default()
            },
            vec![invoice.id],
        ),
        // Words of the description, through the full-text index.
        (
            TaskFilter {
                q: Some("invoice globex".into()),
                ..TaskFilter::default()
            },
            vec![invoice.id],
        ),
        // A fragment of the title, wildcards taken literally.
        (
            TaskFilter {
                q: Some("100%".into()),
                ..TaskFilter::default()
            },
            vec![report.id],
        ),
        (
            TaskFilter {
                q: Some("quarter".into()),
                project_id: Some(alpha),
                ..TaskFilter::default()
            },
            vec![],
        ),
    ] {
        assert_eq!(
            w.visible_ids(&w.admin, &filter).await,
            expected,
            "{filter:?}"
        );
    }

    // Pages of three, newest first, cover every task once.
    let everything = w.visible_ids(&w.admin, &TaskFilter::default()).await;
    assert_eq!(everything.len(), 7);
    assert_eq!(everything[0], *rest.last().unwrap(), "newest first");
    let mut paged = Vec::new();
    let mut after = None;
    let mut tx = w.tx(&w.admin).await;
    loop {
        let page = tasks::list_tasks(&mut tx, &w.admin, &TaskFilter::default(), after, 3)
            .await
            .unwrap();
        paged.extend(page.iter().map(|t| t.id));
        if page.len() < 3 {
            break;
        }
        after = Some(page.last().unwrap().position());
    }
    assert_eq!(paged, everything);

    // Tasks made in one transaction share `created_at`; the id still orders them.
    for n in 0..4 {
        tasks::create_task(&mut tx, &w.admin, new_task(beta, &format!("Batch {n}")))
            .await
            .unwrap();
    }
    let filter = TaskFilter {
        q: Some("batch".into()),
        ..TaskFilter::default()
    };
    let first = tasks::list_tasks(&mut tx, &w.admin, &filter, None, 2)
        .await
        .unwrap();
    let second = tasks::list_tasks(&mut tx, &w.admin, &filter, Some(first[1].position()), 10)
        .await
        .unwrap();
    let mut ids: Vec<Uuid> = first.iter().chain(&second).map(|t| t.id).collect();
    assert_eq!(ids.len(), 4);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "no task on two pages");

    let board = tasks::board(&mut tx, &w.admin, &TaskFilter::default(), 100)
        .await
        .unwrap();
    assert_eq!(
        (board.todo.len(), board.in_progress.len(), board.done.len()),
        (10, 1, 0)
    );
    // A short column still knows how many tasks it holds in all.
    let board = tasks::board(&mut tx, &w.admin, &TaskFilter::default(), 3)
        .await
        .unwrap();
    assert_eq!((board.todo.len(), board.in_progress.len()), (3, 1));
    assert_eq!(
        board.counts,
        tasks::BoardCounts {
            todo: 10,
            in_progress: 1,
            done: 0
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_naming_the_field() {
    let w = World::new().await;
    let project = w.project("Alpha").await;
    let archived = w.project("Old").await;
    let mut tx = w.tx(&w.admin).await;
    projects::update_project(&mut tx, &w.admin, archived, None, Some(true))
        .await
        .unwrap();
    let long = "x".repeat(20_001);
    for (new, field) in [
        (new_task(project, "   "), "title"),
        (new_task(project, &"t".repeat(301)), "title"),
        (
            NewTask {
                description: Some(long.clone()),
                ..new_task(project, "ok")
            },
            "description",
        ),
        (
            NewTask {
                status: Some("blocked".into()),
                ..new_task(project, "ok")
            },
            "status",
        ),
        (
            NewTask {
                priority: Some("asap".into()),
                ..new_task(project, "ok")
            },
            "priority",
        ),
        (
            NewTask {
                assignee_id: Some(Uuid::new_v4()),
                ..new_task(project, "ok")
            },
            "assignee_id",
        ),
        (
            NewTask {
                due_on: Some(time::Date::from_calendar_date(26, time::Month::May, 1).unwrap()),
                ..new_task(project, "ok")
            },
            "due_on",
        ),
        (new_task(archived, "ok"), "project_id"),
        (new_task(Uuid::new_v4(), "ok"), "project_id"),
    ] {
        let err = tasks::create_task(&mut tx, &w.admin, new)
            .await
            .unwrap_err();
        assert_eq!(field_of(err), field);
    }

    let task = tasks::create_task(&mut tx, &w.admin, new_task(project, "  Trimmed  "))
        .await
        .unwrap();
    assert_eq!(task.title, "Trimmed");
    let err = tasks::update_task(
        &mut tx,
        &w.admin,
        task.id,
        TaskPatch {
            status: Some("nope".into()),
            ..TaskPatch::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(err), "status");
    let changed = tasks::update_task(
        &mut tx,
        &w.admin,
        task.id,
        TaskPatch {
            status: Some("done".into()),
            assignee_id: Some(Some(w.other.user_id)),
            ..TaskPatch::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (changed.status.as_str(), changed.assignee_id),
        ("done", Some(w.other.user_id))
    );
    assert_eq!(changed.title, "Trimmed", "untouched fields stay");
    let err = tasks::add_task_viewer(&mut tx, &w.admin, task.id, Uuid::new_v4())
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "user_id");
    let err = tags::add_task_tag(&mut tx, &w.admin, task.id, Uuid::new_v4())
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "tag_id");
    let err = tags::create_tag(&mut tx, &w.admin, "x", Some("red"))
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "colour");
    let err = projects::create_project(&mut tx, &w.admin, "")
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "name");
    let err = comments::create_comment(&mut tx, &w.admin, task.id, " \n ")
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "body");
    tags::create_tag(&mut tx, &w.admin, "Legal", None)
        .await
        .unwrap();
    assert!(matches!(
        tags::create_tag(&mut tx, &w.admin, "legal", None).await,
        Err(CoreError::Conflict { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_come_oldest_first_and_belong_to_their_task() {
    let w = World::new().await;
    let project = w.project("Alpha").await;
    let task = w.task(&w.admin, new_task(project, "Discuss")).await;
    let other_task = w.task(&w.admin, new_task(project, "Elsewhere")).await;
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, task.id, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut written = Vec::new();
    for (who, body) in [
        (&w.member, "first"),
        (&w.guest, "second"),
        (&w.admin, "third"),
    ] {
        let mut tx = w.tx(who).await;
        let comment = comments::create_comment(&mut tx, who, task.id, body)
            .await
            .unwrap();
        assert_eq!(comment.author_id, who.user_id);
        tx.commit().await.unwrap();
        written.push(comment.id);
    }
    let mut tx = w.tx(&w.guest).await;
    let first = comments::list_comments(&mut tx, &w.guest, task.id, None, 2)
        .await
        .unwrap();
    let rest = comments::list_comments(&mut tx, &w.guest, task.id, Some(first[1].position()), 2)
        .await
        .unwrap();
    let ids: Vec<Uuid> = first.iter().chain(&rest).map(|c| c.id).collect();
    assert_eq!(ids, written);
    // The guest does not view the other task: its comments and the way in through it are closed.
    assert!(matches!(
        comments::list_comments(&mut tx, &w.guest, other_task.id, None, 10).await,
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        comments::get_comment(&mut tx, &w.guest, other_task.id, written[1]).await,
        Err(CoreError::NotFound(_))
    ));
    let edited = comments::update_comment(&mut tx, &w.guest, task.id, written[1], "second, edited")
        .await
        .unwrap();
    assert!(edited.edited_at.is_some());
    assert_eq!(edited.body, "second, edited");
    tx.commit().await.unwrap();

    // Deleting a task takes its comments with it.
    let mut tx = w.tx(&w.admin).await;
    tasks::delete_task(&mut tx, &w.admin, task.id)
        .await
        .unwrap();
    assert!(matches!(
        comments::get_comment(&mut tx, &w.admin, task.id, written[0]).await,
        Err(CoreError::NotFound(_))
    ));
    tx.commit().await.unwrap();
}
