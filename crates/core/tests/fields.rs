//! Custom fields (issue 20) against a real workspace schema: who defines and who fills them, each
//! kind's checks (a € amount with a decimal comma), all-or-nothing writes, sorting and filtering
//! a list by a field, the history each change writes, and that a guest learns nothing through
//! them about tasks they do not see.

mod common;

use bastion_core::{
    accounts,
    testing::TestDb,
    work::{
        fields::{self, FieldChange, FieldFilter, FieldValue, NewField},
        projects,
        tasks::{self, NewTask, TaskFilter, TaskPatch, TaskSort},
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

    async fn project(&self, name: &str) -> Uuid {
        let mut tx = self.tx(&self.admin).await;
        let p = projects::create_project(&mut tx, &self.admin, name)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        p.id
    }

    async fn field(&self, project_id: Uuid, name: &str, kind: &str, options: &[&str]) -> Uuid {
        let mut tx = self.tx(&self.admin).await;
        let f = fields::create_field(
            &mut tx,
            &self.admin,
            &NewField {
                project_id,
                name: name.into(),
                kind: kind.into(),
                options: options.iter().map(|o| (*o).to_owned()).collect(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        f.id
    }

    async fn task(&self, project_id: Uuid, title: &str, private: bool) -> Uuid {
        let mut tx = self.tx(&self.member).await;
        let t = tasks::create_task(
            &mut tx,
            &self.member,
            NewTask {
                project_id,
                title: title.into(),
                private,
                ..NewTask::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        t.id
    }

    async fn set(
        &self,
        by: &Viewer,
        task: Uuid,
        values: &[(Uuid, FieldValue)],
    ) -> Result<Vec<fields::TaskFieldValue>, CoreError> {
        let mut tx = self.tx(by).await;
        let out = fields::set_values(&mut tx, by, task, values).await;
        if out.is_ok() {
            tx.commit().await.unwrap();
        }
        out
    }

    async fn titles(&self, by: &Viewer, filter: &TaskFilter, sort: TaskSort) -> Vec<String> {
        let mut tx = self.tx(by).await;
        let rows = if sort == TaskSort::Created {
            tasks::list_tasks(&mut tx, by, filter, None, 50).await
        } else {
            tasks::list_tasks_sorted(&mut tx, by, filter, sort, 0, 50).await
        }
        .unwrap();
        tx.commit().await.unwrap();
        rows.into_iter().map(|t| t.title).collect()
    }

    async fn count(&self, sql: &str, id: Uuid) -> i64 {
        let mut tx = self.tx(&self.admin).await;
        let n = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(id)
            .fetch_one(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        n
    }
}

fn one(text: &str) -> FieldValue {
    FieldValue::One(text.into())
}

#[tokio::test]
async fn admins_define_fields_and_others_may_not() {
    let w = World::new().await;
    let project = w.project("Acme").await;
    w.task(project, "visible", false).await;
    let new = |name: &str, kind: &str, options: &[&str]| NewField {
        project_id: project,
        name: name.into(),
        kind: kind.into(),
        options: options.iter().map(|o| (*o).to_owned()).collect(),
    };
    let mut tx = w.tx(&w.member).await;
    let refused = fields::create_field(&mut tx, &w.member, &new("Budget", "money", &[])).await;
    assert!(
        matches!(refused, Err(CoreError::Forbidden(_))),
        "{refused:?}"
    );
    drop(tx);
    // A guest does not see the project at all (no task of it is theirs to see).
    let mut tx = w.tx(&w.guest).await;
    let hidden = fields::create_field(&mut tx, &w.guest, &new("Budget", "money", &[])).await;
    assert!(matches!(hidden, Err(CoreError::NotFound(_))), "{hidden:?}");
    drop(tx);
    let mut tx = w.tx(&w.admin).await;
    for (bad, field) in [
        (new("", "text", &[]), "name"),
        (new("Budget", "currency", &[]), "kind"),
        (new("Stage", "select", &[]), "options"),
        (new("Stage", "select", &["Won", "won"]), "options"),
        (new("Client", "text", &["x"]), "options"),
    ] {
        match fields::create_field(&mut tx, &w.admin, &bad).await {
            Err(CoreError::Invalid { field: named, .. }) => assert_eq!(named, field),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    let budget = fields::create_field(&mut tx, &w.admin, &new(" Budget ", "money", &[]))
        .await
        .unwrap();
    assert_eq!(budget.name, "Budget");
    let clash = fields::create_field(&mut tx, &w.admin, &new("budget", "number", &[])).await;
    assert!(
        matches!(clash, Err(CoreError::Invalid { field: "name", .. })),
        "{clash:?}"
    );
    let stage = fields::create_field(&mut tx, &w.admin, &new("Stage", "select", &["Lead", "Won"]))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = w.tx(&w.member).await;
    let listed = fields::list_fields(&mut tx, &w.member, project)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["Budget", "Stage"]
    );
    assert!(listed[1].position > listed[0].position);
    drop(tx);
    // Each definition is an event of the workspace's history, with no task.
    assert_eq!(
        w.count(
            "SELECT count(*) FROM history WHERE entity_type = 'custom_field' AND entity_id = $1 AND task_id IS NULL",
            stage.id
        )
        .await,
        1
    );
}

#[tokio::test]
async fn values_are_checked_per_kind_and_written_all_or_nothing() {
    let w = World::new().await;
    let project = w.project("Acme").await;
    let budget = w.field(project, "Budget", "money", &[]).await;
    let hours = w.field(project, "Hours", "number", &[]).await;
    let signed = w.field(project, "Signed", "date", &[]).await;
    let stage = w.field(project, "Stage", "select", &["Lead", "Won"]).await;
    let areas = w
        .field(project, "Areas", "multi_select", &["Legal", "Tax", "HR"])
        .await;
    let owner = w.field(project, "Owner", "person", &[]).await;
    let client = w.field(project, "Client", "text", &[]).await;
    let task = w.task(project, "Deal", false).await;

    let values = w
        .set(
            &w.member,
            task,
            &[
                (budget, one("12,50")),
                (hours, one("3,5")),
                (signed, one("2026-10-31")),
                (stage, one("won")),
                (
                    areas,
                    FieldValue::Many(vec!["hr".into(), "Legal".into(), "HR".into()]),
                ),
                (owner, one(&w.admin.user_id.to_string())),
                (client, one("  Acme NV ")),
            ],
        )
        .await
        .unwrap();
    let value_of = |id: Uuid| {
        values
            .iter()
            .find(|v| v.field_id == id)
            .map(|v| v.value.clone())
    };
    // Read back in the forms they can be written back in.
    assert_eq!(value_of(budget), Some(one("12.50")));
    assert_eq!(value_of(hours), Some(one("3.5")));
    assert_eq!(value_of(signed), Some(one("2026-10-31")));
    assert_eq!(value_of(stage), Some(one("Won")));
    assert_eq!(
        value_of(areas),
        Some(FieldValue::Many(vec!["Legal".into(), "HR".into()]))
    );
    assert_eq!(value_of(owner), Some(one(&w.admin.user_id.to_string())));
    assert_eq!(value_of(client), Some(one("Acme NV")));

    // One bad value refuses the lot, naming its field; nothing changed.
    for (field, bad, says) in [
        (budget, "12,345", "Budget"),
        (hours, "1.234.5", "Hours"),
        (signed, "31/10/2026", "Signed"),
        (stage, "Lost", "Stage"),
        (owner, &Uuid::new_v4().to_string(), "Owner"),
        (hours, "1\0", "Hours"),
    ] {
        let refused = w
            .set(
                &w.member,
                task,
                &[(client, one("changed")), (field, one(bad))],
            )
            .await;
        match refused {
            Err(CoreError::Invalid {
                field: "value",
                message,
            }) => {
                assert!(message.starts_with(says), "{message}")
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    let mut tx = w.tx(&w.member).await;
    let now = fields::task_values(&mut tx, &w.member, task).await.unwrap();
    drop(tx);
    assert_eq!(now, values);
    // A field of another project is no field of this task.
    let other = w.project("Other").await;
    let foreign = w.field(other, "Budget", "money", &[]).await;
    let refused = w.set(&w.member, task, &[(foreign, one("1"))]).await;
    assert!(
        matches!(
            refused,
            Err(CoreError::Invalid {
                field: "field_id",
                ..
            })
        ),
        "{refused:?}"
    );

    // Writing the same value again is no event; a change is one, clearing another.
    let events = "SELECT count(*) FROM history WHERE entity_type = 'field_value' AND task_id = $1";
    assert_eq!(w.count(events, task).await, 7);
    w.set(&w.member, task, &[(budget, one("12.50"))])
        .await
        .unwrap();
    assert_eq!(w.count(events, task).await, 7);
    w.set(&w.member, task, &[(budget, one("€ 13"))])
        .await
        .unwrap();
    w.set(&w.member, task, &[(client, one(""))]).await.unwrap();
    assert_eq!(w.count(events, task).await, 9);
    let change: serde_json::Value = {
        let mut tx = w.tx(&w.admin).await;
        sqlx::query_scalar(
            "SELECT changes FROM history WHERE entity_type = 'field_value' AND task_id = $1
              AND action = 'updated'",
        )
        .bind(task)
        .fetch_one(tx.conn())
        .await
        .unwrap()
    };
    assert_eq!(
        change["value_cents"],
        serde_json::json!({"before": 1250, "after": 1300})
    );

    // An option in use cannot go; an unused one can, and a rename is free.
    let mut tx = w.tx(&w.admin).await;
    let refused = fields::update_field(
        &mut tx,
        &w.admin,
        stage,
        &FieldChange {
            options: Some(vec!["Lead".into()]),
            ..FieldChange::default()
        },
    )
    .await;
    assert!(
        matches!(&refused, Err(CoreError::Invalid { field: "options", message }) if message.contains("Won")),
        "{refused:?}"
    );
    let renamed = fields::update_field(
        &mut tx,
        &w.admin,
        stage,
        &FieldChange {
            name: Some("Phase".into()),
            options: Some(vec!["Won".into(), "Lost".into()]),
        },
    )
    .await
    .unwrap();
    assert_eq!(renamed.options, ["Won", "Lost"]);
    // Deleting a field deletes its values, each an event of its task.
    fields::delete_field(&mut tx, &w.admin, budget)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(w.count(events, task).await, 10);

    // Moving the task to another project leaves its old project's values behind, as events.
    let mut tx = w.tx(&w.member).await;
    let moved = tasks::update_task(
        &mut tx,
        &w.member,
        task,
        TaskPatch {
            project_id: Some(other),
            ..TaskPatch::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(moved.fields.is_empty(), "{:?}", moved.fields);
    assert_eq!(w.count(events, task).await, 15);
}

#[tokio::test]
async fn lists_sort_and_filter_by_a_field_within_what_the_reader_sees() {
    let w = World::new().await;
    let project = w.project("Acme").await;
    let budget = w.field(project, "Budget", "money", &[]).await;
    let stage = w.field(project, "Stage", "select", &["Lead", "Won"]).await;
    let owner = w.field(project, "Owner", "person", &[]).await;
    for (title, amount, phase, private) in [
        ("small", Some("3"), "Lead", false),
        ("large", Some("12,50"), "Won", false),
        ("none", None, "Lead", false),
        ("secret", Some("1000"), "Won", true),
        ("mid", Some("9.99"), "Won", false),
    ] {
        let task = w.task(project, title, private).await;
        let mut values = vec![(stage, one(phase))];
        values.extend(amount.map(|a| (budget, one(a))));
        w.set(&w.member, task, &values).await.unwrap();
    }
    let all = TaskFilter::default();
    let asc = TaskSort::Field {
        id: budget,
        desc: false,
    };
    let desc = TaskSort::Field {
        id: budget,
        desc: true,
    };
    assert_eq!(
        w.titles(&w.member, &all, asc).await,
        ["small", "mid", "large", "secret", "none"]
    );
    assert_eq!(
        w.titles(&w.member, &all, desc).await,
        ["secret", "large", "mid", "small", "none"]
    );
    // The sort survives the query string.
    assert_eq!(TaskSort::parse(&desc.as_string()).unwrap(), desc);
    // A guest sees none of the tasks, so the project and its fields are not theirs to read,
    // nor to sort by.
    assert!(w.titles(&w.guest, &all, TaskSort::Created).await.is_empty());
    let mut tx = w.tx(&w.guest).await;
    assert!(matches!(
        tasks::list_tasks_sorted(&mut tx, &w.guest, &all, asc, 0, 10).await,
        Err(CoreError::Invalid { field: "sort", .. })
    ));
    drop(tx);
    let mut tx = w.tx(&w.guest).await;
    assert!(matches!(
        fields::list_fields(&mut tx, &w.guest, project).await,
        Err(CoreError::NotFound(_))
    ));
    drop(tx);

    let by = |field: Uuid, value: &str| TaskFilter {
        field: Some(FieldFilter {
            field_id: field,
            value: value.into(),
        }),
        ..TaskFilter::default()
    };
    assert_eq!(
        w.titles(&w.member, &by(stage, "won"), asc).await,
        ["mid", "large", "secret"]
    );
    assert_eq!(
        w.titles(&w.member, &by(budget, "12,50"), TaskSort::Created)
            .await,
        ["large"]
    );
    // An empty value: every task with the field filled in.
    assert_eq!(
        w.titles(&w.member, &by(budget, ""), TaskSort::Created)
            .await
            .len(),
        4
    );
    let mut tx = w.tx(&w.member).await;
    let bad = tasks::list_tasks(&mut tx, &w.member, &by(budget, "lots"), None, 10).await;
    assert!(
        matches!(
            bad,
            Err(CoreError::Invalid {
                field: "field_value",
                ..
            })
        ),
        "{bad:?}"
    );
    drop(tx);
    // A filter naming no field the reader sees is a bad filter, not a missing list.
    let mut tx = w.tx(&w.member).await;
    let stale = tasks::list_tasks(&mut tx, &w.member, &by(Uuid::new_v4(), ""), None, 10).await;
    assert!(
        matches!(stale, Err(CoreError::Invalid { field: "field", .. })),
        "{stale:?}"
    );
    drop(tx);
    let mut tx = w.tx(&w.member).await;
    let person = tasks::list_tasks_sorted(
        &mut tx,
        &w.member,
        &all,
        TaskSort::Field {
            id: owner,
            desc: false,
        },
        0,
        10,
    )
    .await;
    assert!(
        matches!(person, Err(CoreError::Invalid { field: "sort", .. })),
        "{person:?}"
    );
}

#[tokio::test]
async fn a_guest_reads_the_values_of_tasks_they_see_and_changes_none() {
    let w = World::new().await;
    let project = w.project("Acme").await;
    let budget = w.field(project, "Budget", "money", &[]).await;
    let shared = w.task(project, "shared", false).await;
    let secret = w.task(project, "secret", true).await;
    w.set(&w.member, shared, &[(budget, one("5"))])
        .await
        .unwrap();
    w.set(&w.member, secret, &[(budget, one("7"))])
        .await
        .unwrap();
    let mut tx = w.tx(&w.admin).await;
    tasks::add_task_viewer(&mut tx, &w.admin, shared, w.guest.user_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = w.tx(&w.guest).await;
    let seen = fields::task_values(&mut tx, &w.guest, shared)
        .await
        .unwrap();
    assert_eq!(seen[0].value, one("5.00"));
    assert!(matches!(
        fields::task_values(&mut tx, &w.guest, secret).await,
        Err(CoreError::NotFound(_))
    ));
    // The project is now theirs to see, and so are its field definitions.
    assert_eq!(
        fields::list_fields(&mut tx, &w.guest, project)
            .await
            .unwrap()
            .len(),
        1
    );
    drop(tx);
    let refused = w.set(&w.guest, shared, &[(budget, one("6"))]).await;
    assert!(
        matches!(refused, Err(CoreError::Forbidden(_))),
        "{refused:?}"
    );
    let hidden = w.set(&w.guest, secret, &[(budget, one("6"))]).await;
    assert!(matches!(hidden, Err(CoreError::NotFound(_))), "{hidden:?}");
    // Filtering by the value of a task they cannot see finds nothing.
    let filter = TaskFilter {
        field: Some(FieldFilter {
            field_id: budget,
            value: "7".into(),
        }),
        ..TaskFilter::default()
    };
    assert!(w
        .titles(&w.guest, &filter, TaskSort::Created)
        .await
        .is_empty());
    assert_eq!(
        w.titles(&w.member, &filter, TaskSort::Created).await,
        ["secret"]
    );
}
