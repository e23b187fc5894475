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

/// A task's checklist (text, done) and comments, as stored.
#[tokio::test]
async fn time_and_rates_become_time_entries() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let hours = project(&app, &cast, "Uren").await;
    // A Belgian timesheet: hours with a decimal comma or as h:mm, rates with a decimal comma.
    let csv = "Titel;Toegewezen aan;Vervaldatum;Bestede tijd;Uurtarief\n\
               Offerte;member@example.eu;15/11/2026;1,5;85,50\n\
               Plannen;;;0:45;\n\
               Geen tijd;;;;\n";
    let dry = import(
        &app,
        &cast.admin,
        &cast,
        &hours,
        json!({"csv": csv, "dry_run": true}),
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    let fields: Vec<String> = dry.json()["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["title", "assignee", "due", "time", "rate"]);
    let done = import(&app, &cast.admin, &cast, &hours, json!({"csv": csv})).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    let entries = app
        .get_as(&cast.admin, &cast.api("/time-entries?limit=100"))
        .await;
    assert_eq!(entries.status, StatusCode::OK, "{}", entries.body);
    let mut rows: Vec<(i64, i64, String, String)> = entries.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["minutes"].as_i64().unwrap(),
                e["rate_cents"].as_i64().unwrap(),
                e["user_id"].as_str().unwrap().to_owned(),
                e["started_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(rows.len(), 2, "{}", entries.body);
    // 0:45 without a rate: the importer's, started at the import.
    assert_eq!((rows[0].0, rows[0].1), (45, 0));
    assert_eq!(rows[0].2, cast.admin_id.to_string());
    // 1,5 hours at €85,50: the assignee's (an admin imports), on the due date at 09:00 in
    // Brussels (08:00 UTC in November).
    assert_eq!((rows[1].0, rows[1].1), (90, 8550));
    assert_eq!(rows[1].2, cast.member_id.to_string());
    assert_eq!(rows[1].3, "2026-11-15T08:00:00Z");

    // A rate without a time, a time that is no time: named, nothing created.
    let bad = "Title,Time,Rate\nA,,90\nB,anderhalf,\nC,25:00,\n";
    let dry = import(
        &app,
        &cast.admin,
        &cast,
        &hours,
        json!({"csv": bad, "dry_run": true}),
    )
    .await;
    let errors: Vec<(u64, String)> = dry.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (2, "Rate".to_owned()),
            (3, "Time".to_owned()),
            (4, "Time".to_owned())
        ],
        "{}",
        dry.body
    );
}

#[tokio::test]
async fn a_file_near_the_two_mebibyte_limit_is_taken_by_both_doors() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let big = project(&app, &cast, "Big").await;
    // 400 rows with long descriptions: 1.6 MB of text, more than other bodies may hold.
    let mut csv = String::from("Title,Description\n");
    for i in 0..400 {
        csv.push_str(&format!("Row {i},{}\n", "lorem ipsum ".repeat(333)));
    }
    assert!(csv.len() > 1_500_000 && csv.len() < 2 * 1024 * 1024);
    let rest = import(
        &app,
        &cast.admin,
        &cast,
        &big,
        json!({"csv": csv, "dry_run": true}),
    )
    .await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    assert_eq!(rest.json()["rows"], 400);
    let form = format!(
        "slug={}&project={big}&mode=check&csv={}",
        cast.slug,
        urlencoding(&csv)
    );
    let page = app.server_fn("import_csv", &cast.admin, &form).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "{}",
        &page.body[..page.body.len().min(500)]
    );
    assert!(
        page.body.contains("\"rows\":400"),
        "{}",
        &page.body[..page.body.len().min(500)]
    );
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A small workbook as Excel writes one: shared strings, a date and a time by their cell
/// styles, an inline string, a boolean, a skipped cell and a rich-text string.
fn workbook() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut put = |name: &str, text: &str| {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    };
    put(
        "xl/workbook.xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Taken" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    );
    put(
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/taken.xml"/></Relationships>"#,
    );
    put(
        "xl/sharedStrings.xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="6">
<si><t>Titel</t></si><si><t>Vervaldatum</t></si><si><t>Bestede tijd</t></si><si><t>Prioriteit</t></si>
<si><t>Offerte &amp; planning</t></si><si><r><t>Dozen </t></r><r><rPr><b/></rPr><t>bestellen</t></r></si></sst>"#,
    );
    put(
        "xl/styles.xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>
<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="20" applyNumberFormat="1"/></cellXfs></styleSheet>"#,
    );
    put(
        "xl/worksheets/taken.xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>
<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" s="1"><v>46387</v></c><c r="C2" s="2"><v>0.0625</v></c><c r="D2" t="inlineStr"><is><t>Hoog</t></is></c></row>
<row r="4"><c r="A4" t="s"><v>5</v></c><c r="C4"><v>2</v></c></row>
</sheetData></worksheet>"#,
    );
    zip.finish().unwrap().into_inner()
}

#[tokio::test]
async fn an_excel_workbook_imports_like_its_csv() {
    use base64::Engine as _;
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let excel = project(&app, &cast, "Excel").await;
    let xlsx = base64::engine::general_purpose::STANDARD.encode(workbook());
    let dry = import(
        &app,
        &cast.admin,
        &cast,
        &excel,
        json!({"xlsx": xlsx, "dry_run": true}),
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(dry.json()["rows"], 2, "{}", dry.body);
    assert_eq!(dry.json()["errors"], json!([]), "{}", dry.body);
    let done = import(&app, &cast.admin, &cast, &excel, json!({"xlsx": xlsx})).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    let tasks = stored(&app, &cast, &excel).await;
    assert_eq!(tasks[0]["title"], "Offerte & planning");
    // A date cell (a number styled dd/mm/yyyy) is its date; a time cell (h:mm) its hours.
    assert_eq!(tasks[0]["due"], "2026-12-31");
    assert_eq!(tasks[0]["priority"], "high");
    assert_eq!(tasks[1]["title"], "Dozen bestellen");
    assert_eq!(tasks[1]["due"], Value::Null);
    let entries = app
        .get_as(&cast.admin, &cast.api("/time-entries?limit=100"))
        .await;
    let mut minutes: Vec<i64> = entries.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["minutes"].as_i64().unwrap())
        .collect();
    minutes.sort();
    assert_eq!(minutes, [90, 120], "{}", entries.body);
    // Once per workbook, as per CSV file.
    let again = import(&app, &cast.admin, &cast, &excel, json!({"xlsx": xlsx})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Not a workbook; both or neither of csv and xlsx.
    let junk = base64::engine::general_purpose::STANDARD.encode(b"PK not a workbook");
    let bad = import(
        &app,
        &cast.admin,
        &cast,
        &excel,
        json!({"xlsx": junk, "dry_run": true}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.json()["error"]["field"], "xlsx");
    let both = import(
        &app,
        &cast.admin,
        &cast,
        &excel,
        json!({"csv": "Title\nx", "xlsx": xlsx}),
    )
    .await;
    assert_eq!(
        both.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        both.body
    );
}

async fn extras(app: &TestApp, cast: &Cast, title: &str) -> (Vec<(String, bool)>, Vec<String>) {
    let ws = workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    let mut tx = TenantTx::begin(&app.db.pool, &ws.schema(), Actor::System)
        .await
        .unwrap();
    let items: Vec<(String, bool)> = sqlx::query_as(
        "SELECT c.text, c.done FROM checklist_items c JOIN tasks t ON t.id = c.task_id
          WHERE t.title = $1 ORDER BY c.position",
    )
    .bind(title)
    .fetch_all(tx.conn())
    .await
    .unwrap();
    let comments: Vec<String> = sqlx::query_scalar(
        "SELECT c.body FROM comments c JOIN tasks t ON t.id = c.task_id
          WHERE t.title = $1 ORDER BY c.created_at, c.id",
    )
    .bind(title)
    .fetch_all(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (items, comments)
}

#[tokio::test]
async fn a_trello_board_imports_with_its_lists_labels_checklists_and_comments() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let move_project = project(&app, &cast, "Office move").await;
    let board: Value = serde_json::from_str(include_str!("fixtures/trello-board.json")).unwrap();
    let path = format!("/projects/{move_project}/imports/trello");

    let dry = app
        .post_as(
            &cast.admin,
            &cast.api(&path),
            json!({"board": board, "dry_run": true}),
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    let report = dry.json();
    assert_eq!(
        report["rows"], 3,
        "archived cards and lists stay out: {report}"
    );
    assert_eq!(report["created"], 0);
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["new_tags"], json!(["Urgent", "green"]));
    assert!(stored(&app, &cast, &move_project).await.is_empty());

    let done = app
        .post_as(&cast.admin, &cast.api(&path), json!({"board": board}))
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    assert_eq!(done.json()["created"], 3);
    let tasks = stored(&app, &cast, &move_project).await;
    let titles: Vec<&str> = tasks.iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        ["Book the movers", "Pack the archive", "Sign the lease"]
    );
    let statuses: Vec<&str> = tasks
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["todo", "in_progress", "done"]);
    assert_eq!(tasks[0]["due"], "2027-01-15");
    // A card's first member whose full name is a member's here (case aside) is its assignee;
    // a name nobody here has leaves the card unassigned.
    assert_eq!(tasks[0]["assignee"], cast.member_id.to_string());
    assert_eq!(tasks[1]["assignee"], Value::Null);
    assert_eq!(tasks[0]["tags"], json!(["Urgent"]));
    assert_eq!(tasks[1]["tags"], json!(["green"]));
    let description = tasks[0]["description"].as_str().unwrap();
    assert!(
        description.starts_with("Three quotes, then pick one."),
        "{description}"
    );
    assert!(
        description.contains(
            "- quote.pdf: https://trello.com/1/cards/c1/attachments/a1/download/quote.pdf"
        ),
        "{description}"
    );
    let (items, _) = extras(&app, &cast, "Pack the archive").await;
    assert_eq!(
        items,
        vec![
            ("Order boxes".to_owned(), true),
            ("Labels on every box".to_owned(), false)
        ]
    );
    let (_, comments) = extras(&app, &cast, "Book the movers").await;
    assert_eq!(
        comments,
        vec!["Comments from Trello:\n\nBram De Smet, 2026-11-19:\nI asked three movers.\n\nAnn Peeters, 2026-11-20:\nThe second quote is cheaper."]
    );

    // Once per board file.
    let again = app
        .post_as(&cast.admin, &cast.api(&path), json!({"board": board}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    // A card Bastion cannot take is named; nothing is imported.
    let other = project(&app, &cast, "Other").await;
    let other_path = format!("/projects/{other}/imports/trello");
    let mut bad = board.clone();
    bad["cards"][1]["due"] = json!("someday");
    bad["cards"][2]["name"] = json!("   ");
    let dry = app
        .post_as(
            &cast.admin,
            &cast.api(&other_path),
            json!({"board": bad, "dry_run": true}),
        )
        .await;
    let errors: Vec<(u64, String)> = dry.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![(2, "due".to_owned()), (3, "name".to_owned())],
        "{}",
        dry.body
    );
    let refused = app
        .post_as(&cast.admin, &cast.api(&other_path), json!({"board": bad}))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(stored(&app, &cast, &other).await.is_empty());
    let not_a_board = app
        .post_as(
            &cast.admin,
            &cast.api(&other_path),
            json!({"board": {"name": "x"}}),
        )
        .await;
    assert_eq!(not_a_board.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(not_a_board.json()["error"]["field"], "board");
}
