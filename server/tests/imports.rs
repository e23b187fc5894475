//! Importing tasks from CSV through the REST door: a thousand rows as a Belgian spreadsheet
//! saves them (semicolons, Dutch headings, dates as 31/12/2026), the dry run, all or nothing,
//! the same file twice, and a file with bad rows that imports nothing and names each one.

mod common;

use axum::http::StatusCode;
use bastion_core::{workspaces, Actor, TenantTx};
use common::{spawn_app, Cast, TestApp};
use serde_json::{json, Value};

async fn project(app: &TestApp, cast: &Cast, name: &str) -> String {
    let answer = app
        .post_as(&cast.admin, &cast.api("/projects"), json!({"name": name}))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

/// The tasks of a project as stored: title, status, priority, due date, assignee, tag names.
async fn stored(app: &TestApp, cast: &Cast, project: &str) -> Vec<Value> {
    let ws = workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    let mut tx = TenantTx::begin(&app.db.pool, &ws.schema(), Actor::System)
        .await
        .unwrap();
    let rows: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('title', t.title, 'status', t.status, 'priority', t.priority,
                    'due', t.due_on, 'assignee', t.assignee_id, 'description', t.description,
                    'tags', (SELECT coalesce(jsonb_agg(g.name ORDER BY g.name), '[]')
                               FROM task_tags tt JOIN tags g ON g.id = tt.tag_id
                              WHERE tt.task_id = t.id))
           FROM tasks t WHERE t.project_id = $1::uuid ORDER BY t.number",
    )
    .bind(project)
    .fetch_all(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    rows
}

async fn chat_messages(app: &TestApp, cast: &Cast) -> i64 {
    let ws = workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    let mut tx = TenantTx::begin(&app.db.pool, &ws.schema(), Actor::System)
        .await
        .unwrap();
    let n = sqlx::query_scalar("SELECT count(*) FROM chat_deliveries")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

async fn import(
    app: &TestApp,
    who: &str,
    cast: &Cast,
    project: &str,
    body: Value,
) -> common::Answer {
    app.post_as(
        who,
        &cast.api(&format!("/projects/{project}/imports/csv")),
        body,
    )
    .await
}

#[tokio::test]
async fn a_thousand_rows_import_whole_once_and_bad_rows_import_nothing() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let web = project(&app, &cast, "Website").await;

    // A thousand rows as Excel saves them in Flanders.
    let statuses = ["Te doen", "Bezig", "Klaar", "done"];
    let priorities = ["Laag", "Normaal", "Hoog", "Dringend"];
    let mut csv = String::from(
        "Titel;Status;Prioriteit;Toegewezen aan;Vervaldatum;Tags;Beschrijving;Klant\r\n",
    );
    for i in 0..1000 {
        let due = if i % 2 == 0 {
            format!("{:02}/03/2027", i % 28 + 1)
        } else {
            format!("2027-04-{:02}", i % 28 + 1)
        };
        let assignee = if i % 3 == 0 { "member@example.eu" } else { "" };
        let tags = if i % 5 == 0 { "\"web, print\"" } else { "web" };
        csv.push_str(&format!(
            "\"Taak {i}; met puntkomma\";{};{};{assignee};{due};{tags};\"Regel één\nRegel twee\";Klant {i}\r\n",
            statuses[i % 4],
            priorities[i % 4],
        ));
    }

    // The dry run: everything checked, nothing created.
    let dry = import(
        &app,
        &cast.admin,
        &cast,
        &web,
        json!({"csv": csv, "dry_run": true}),
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    let report = dry.json();
    assert_eq!(report["rows"], 1000);
    assert_eq!(report["created"], 0);
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["new_tags"], json!(["web", "print"]));
    let fields: Vec<&str> = report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "title",
            "status",
            "priority",
            "assignee",
            "due",
            "tags",
            "description",
            "ignore"
        ]
    );
    assert!(
        stored(&app, &cast, &web).await.is_empty(),
        "a dry run creates nothing"
    );

    // A chat channel that hears of every new task is not told of each imported row.
    let slack = app
        .post_as(
            &cast.admin,
            &cast.api("/integrations"),
            json!({"kind": "slack", "name": "Team", "access_token": "https://hooks.slack.com/services/T1/B2/x"}),
        )
        .await;
    let rule = app
        .post_as(
            &cast.admin,
            &cast.api("/chat-notifications"),
            json!({"integration_id": slack.json()["id"], "events": ["task_created"]}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);

    // The import.
    let done = import(&app, &cast.admin, &cast, &web, json!({"csv": csv})).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    assert_eq!(done.json()["created"], 1000);
    let tasks = stored(&app, &cast, &web).await;
    assert_eq!(tasks.len(), 1000);
    assert_eq!(
        tasks[0],
        json!({"title": "Taak 0; met puntkomma", "status": "todo", "priority": "low",
               "due": "2027-03-01", "assignee": cast.member_id, "description": "Regel één\nRegel twee",
               "tags": ["print", "web"]})
    );
    assert_eq!(
        tasks[7],
        json!({"title": "Taak 7; met puntkomma", "status": "done", "priority": "urgent",
               "due": "2027-04-08", "assignee": null, "description": "Regel één\nRegel twee",
               "tags": ["web"]})
    );
    assert_eq!(tasks[2]["status"], "done");
    assert_eq!(tasks[1]["status"], "in_progress");

    assert_eq!(
        chat_messages(&app, &cast).await,
        0,
        "no chat message per imported row"
    );
    let by_hand = app
        .post_as(
            &cast.admin,
            &cast.api("/tasks"),
            json!({"project_id": web, "title": "By hand"}),
        )
        .await;
    assert_eq!(by_hand.status, StatusCode::CREATED);
    assert_eq!(
        chat_messages(&app, &cast).await,
        1,
        "a task made by hand is announced"
    );

    // The same file again: nothing twice.
    let again = import(&app, &cast.admin, &cast, &web, json!({"csv": csv})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(stored(&app, &cast, &web).await.len(), 1001);

    // The import is an event of the workspace's history.
    let audit = app
        .get_as(&cast.admin, &cast.api("/audit?entity=import"))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    assert_eq!(
        audit.json()["items"].as_array().unwrap().len(),
        1,
        "{}",
        audit.body
    );

    // Bad rows: the dry run names each, with its line and column; the import creates nothing
    // and its error names them all.
    let print = project(&app, &cast, "Print").await;
    let bad = "Title,Status,Due,Assignee\n\
               Fine,To do,2027-01-31,\n\
               ,Done,,\n\
               Late,Done,31/02/2027,\n\
               Wrong person,To do,,nobody@example.eu\n\
               Odd,Maybe,,\n\
               Also fine,En cours,31.01.2027,\n";
    let dry = import(
        &app,
        &cast.admin,
        &cast,
        &print,
        json!({"csv": bad, "dry_run": true}),
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    let errors: Vec<(u64, Option<String>)> = dry.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().map(Into::into),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (3, Some("Title".into())),
            (4, Some("Due".into())),
            (5, Some("Assignee".into())),
            (6, Some("Status".into())),
        ],
        "{}",
        dry.body
    );
    let refused = import(&app, &cast.admin, &cast, &print, json!({"csv": bad})).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    for named in [
        "line 3 (Title)",
        "line 4 (Due)",
        "line 5 (Assignee)",
        "line 6 (Status)",
        "4 of 6 rows",
    ] {
        assert!(message.contains(named), "{named}: {message}");
    }
    assert!(
        stored(&app, &cast, &print).await.is_empty(),
        "all or nothing"
    );

    // A file without a title column, a mapping naming a missing column, a guest.
    let no_title = import(
        &app,
        &cast.admin,
        &cast,
        &print,
        json!({"csv": "Wat,Wanneer\nx,y\n"}),
    )
    .await;
    assert_eq!(no_title.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_title.json()["error"]["field"], "mapping");
    let mapped = import(
        &app,
        &cast.admin,
        &cast,
        &print,
        json!({"csv": "Wat,Wanneer\nSigns,2027-02-01\n", "mapping": {"Wat": "title", "Wanneer": "due"}}),
    )
    .await;
    assert_eq!(mapped.status, StatusCode::CREATED, "{}", mapped.body);
    assert_eq!(stored(&app, &cast, &print).await[0]["due"], "2027-02-01");
    let missing = import(
        &app,
        &cast.admin,
        &cast,
        &print,
        json!({"csv": "Title\nx\n", "mapping": {"Nope": "title"}}),
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let guest = import(
        &app,
        &cast.guest,
        &cast,
        &print,
        json!({"csv": "Title\nx\n"}),
    )
    .await;
    assert_eq!(guest.status, StatusCode::FORBIDDEN, "{}", guest.body);
}
