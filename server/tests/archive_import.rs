//! Bringing a Bastion export archive back (issue 18), through the REST door: a seeded workspace
//! is exported, imported into a new one and exported again, and the two archives are compared
//! table by table, every row, modulo ids; the people are matched by email or as the admin maps
//! them; a broken archive imports nothing and names every problem.

mod common;

use std::{
    collections::{BTreeMap, HashMap},
    io::Read,
};

use axum::http::StatusCode;
use bastion_core::{accounts, exports, workspaces, Actor, Slug, TenantTx};
use common::{spawn_app, Cast, TestApp};
use serde_json::{json, Map, Value};

/// An archive read back: its tables' rows, people and files.
struct Archive {
    tables: BTreeMap<String, Vec<Map<String, Value>>>,
    people: Vec<Value>,
    files: BTreeMap<String, Vec<u8>>,
    bytes: Vec<u8>,
}

async fn export(app: &TestApp, slug: &str) -> Archive {
    let ws = workspaces::find_by_slug(&app.db.pool, slug)
        .await
        .unwrap()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.zip");
    exports::build(&app.db.pool, &app.objects, &ws, &path, None)
        .await
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .filter(|n| n.starts_with("files/"))
        .collect();
    let mut read = |name: &str| {
        let mut out = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut out).unwrap();
        out
    };
    let manifest: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    let mut tables = BTreeMap::new();
    for table in manifest["tables"].as_array().unwrap() {
        let name = table["name"].as_str().unwrap();
        let rows: Vec<Map<String, Value>> =
            serde_json::from_slice(&read(&format!("{name}.json"))).unwrap();
        tables.insert(name.to_owned(), rows);
    }
    let people: Vec<Value> = serde_json::from_slice(&read("people.json")).unwrap();
    let mut files = BTreeMap::new();
    for name in names {
        files.insert(name.clone(), read(&name));
    }
    Archive {
        tables,
        people,
        files,
        bytes,
    }
}

/// Every id-looking text in `s`.
fn uuids_in(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(35))
        .filter(|&i| {
            b[i..i + 36].iter().enumerate().all(|(k, c)| match k {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            })
        })
        .map(|i| s[i..i + 36].to_owned())
        .collect()
}

/// `value` with every id replaced by its label (`?` when it has none yet).
fn canonical(value: &Value, labels: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) => {
            let mut out = s.clone();
            for id in uuids_in(s) {
                let label = labels.get(&id).cloned().unwrap_or_else(|| "?".into());
                out = out.replace(&id, &format!("<{label}>"));
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| canonical(v, labels)).collect()),
        other => other.clone(),
    }
}

/// The archive's rows with ids replaced by what they name: people by their email, any other
/// row by its table and content (computed parents first, twice so that a subtask's parent is
/// known). Columns that hold a key the server makes (`object_key`) are left out.
fn canonical_tables(archive: &Archive) -> BTreeMap<String, Vec<String>> {
    let mut labels: HashMap<String, String> = archive
        .people
        .iter()
        .map(|p| {
            (
                p["user_id"].as_str().unwrap().to_owned(),
                format!("person {}", p["email"].as_str().unwrap()),
            )
        })
        .collect();
    let order = [
        "projects",
        "tags",
        "tasks",
        "custom_fields",
        "comments",
        "time_entries",
        "attachments",
        "checklist_items",
        "task_relations",
        "task_recurrences",
        "task_field_values",
        "saved_views",
        "imports",
    ];
    let row_text = |row: &Map<String, Value>, labels: &HashMap<String, String>| {
        let canon: BTreeMap<&String, Value> = row
            .iter()
            .filter(|(k, _)| k.as_str() != "id" && k.as_str() != "object_key")
            .map(|(k, v)| (k, canonical(v, labels)))
            .collect();
        serde_json::to_string(&canon).unwrap()
    };
    for _ in 0..2 {
        for table in order {
            for row in archive.tables.get(table).into_iter().flatten() {
                let label = format!("{table} {}", row_text(row, &labels));
                labels.insert(row["id"].as_str().unwrap().to_owned(), label);
            }
        }
    }
    archive
        .tables
        .iter()
        .map(|(table, rows)| {
            let mut rows: Vec<String> = rows.iter().map(|r| row_text(r, &labels)).collect();
            rows.sort();
            (table.clone(), rows)
        })
        .collect()
}

async fn ok(answer: common::Answer, status: StatusCode) -> Value {
    assert_eq!(answer.status, status, "{}", answer.body);
    answer.json()
}

/// A workspace with some of everything, made through the API as its people would.
async fn seed(app: &TestApp, cast: &Cast) {
    let (admin, member) = (&cast.admin, &cast.member);
    let post = |who: &'static str, path: String, body: Value| async move {
        let cookie = if who == "admin" {
            &cast.admin
        } else {
            &cast.member
        };
        let answer = app.post_as(cookie, &cast.api(&path), body).await;
        assert!(answer.status.is_success(), "{path}: {}", answer.body);
        answer.json()
    };
    let web = post(
        "admin",
        "/projects".into(),
        json!({"name": "Website", "key_prefix": "WEB"}),
    )
    .await;
    let ops = post("admin", "/projects".into(), json!({"name": "Operations"})).await;
    let (web, ops) = (web["id"].as_str().unwrap(), ops["id"].as_str().unwrap());
    let urgent = post(
        "admin",
        "/tags".into(),
        json!({"name": "urgent", "colour": "#dc2626"}),
    )
    .await;
    let client = post("admin", "/tags".into(), json!({"name": "Klant"})).await;

    let task = |who: &'static str, body: Value| post(who, "/tasks".into(), body);
    let home = task(
        "admin",
        json!({"project_id": web, "title": "Redesign the home page", "status": "in_progress",
               "priority": "high", "due_on": "2026-12-31", "assignee_id": cast.member_id,
               "description": "Brief in **Dutch** and French."}),
    )
    .await;
    let secret = task(
        "member",
        json!({"project_id": web, "title": "Salary review", "private": true}),
    )
    .await;
    let shared = task(
        "admin",
        json!({"project_id": ops, "title": "Order the signs", "priority": "urgent"}),
    )
    .await;
    let home_id = home["id"].as_str().unwrap().to_owned();
    let shared_id = shared["id"].as_str().unwrap().to_owned();
    let secret_id = secret["id"].as_str().unwrap().to_owned();
    post(
        "admin",
        format!("/tasks/{home_id}/subtasks"),
        json!({"title": "Pick the photos", "assignee_id": cast.admin_id}),
    )
    .await;
    post(
        "admin",
        format!("/tasks/{home_id}/tags"),
        json!({"tag_id": urgent["id"]}),
    )
    .await;
    post(
        "admin",
        format!("/tasks/{shared_id}/tags"),
        json!({"tag_id": client["id"]}),
    )
    .await;
    post(
        "admin",
        format!("/tasks/{shared_id}/viewers"),
        json!({"user_id": cast.guest_id}),
    )
    .await;
    post(
        "member",
        format!("/tasks/{secret_id}/viewers"),
        json!({"user_id": cast.admin_id}),
    )
    .await;
    post(
        "admin",
        format!("/tasks/{home_id}/comments"),
        json!({"body": "Looks good, @member — ship it?"}),
    )
    .await;
    post(
        "member",
        format!("/tasks/{home_id}/comments"),
        json!({"body": "Shipping Monday."}),
    )
    .await;
    post(
        "member",
        "/time-entries".into(),
        json!({"task_id": home_id, "started_at": "2026-11-30T08:00:00Z", "minutes": 90,
               "rate_cents": 9000, "note": "Wireframes"}),
    )
    .await;
    post(
        "admin",
        "/time-entries".into(),
        json!({"task_id": shared_id, "started_at": "2026-11-30T13:15:00Z", "minutes": 25,
               "billable": false}),
    )
    .await;
    post(
        "admin",
        format!("/tasks/{home_id}/checklist"),
        json!({"text": "Hero image"}),
    )
    .await;
    post(
        "admin",
        format!("/tasks/{home_id}/checklist"),
        json!({"text": "Footer links"}),
    )
    .await;
    post(
        "admin",
        format!("/tasks/{shared_id}/relations"),
        json!({"kind": "blocks", "other_task": home_id}),
    )
    .await;
    let recurrence = app
        .put_as(
            admin,
            &cast.api(&format!("/tasks/{shared_id}/recurrence")),
            json!({"unit": "weeks", "every": 2, "weekdays": ["mon"], "trigger": "on_done"}),
        )
        .await;
    assert!(recurrence.status.is_success(), "{}", recurrence.body);
    let budget = post(
        "admin",
        format!("/projects/{web}/fields"),
        json!({"name": "Budget", "kind": "money"}),
    )
    .await;
    let owner = post(
        "admin",
        format!("/projects/{web}/fields"),
        json!({"name": "Owner", "kind": "person"}),
    )
    .await;
    let values = app
        .put_as(
            admin,
            &cast.api(&format!("/tasks/{home_id}/fields")),
            json!({"values": [{"field_id": budget["id"], "value": "1250,50"},
                              {"field_id": owner["id"], "value": cast.member_id.to_string()}]}),
        )
        .await;
    assert!(values.status.is_success(), "{}", values.body);
    post(
        "member",
        "/views".into(),
        json!({"name": "Website, mine", "query": format!("project={web}&assignee={}", cast.member_id),
               "shared": true}),
    )
    .await;
    let watch = app
        .put_as(
            member,
            &cast.api(&format!("/tasks/{shared_id}/watch")),
            json!({}),
        )
        .await;
    assert!(watch.status.is_success(), "{}", watch.body);
    let upload = app
        .upload(
            &cast.api(&format!("/tasks/{home_id}/attachments")),
            Some(admin),
            "brief.pdf",
            "application/pdf",
            b"%PDF-1.4 the brief",
        )
        .await;
    assert_eq!(upload.status, StatusCode::CREATED, "{}", upload.body);
    let csv = app
        .post_as(
            member,
            &cast.api(&format!("/projects/{ops}/imports/csv")),
            json!({"csv": "Title;Due\nCall the printer;15/01/2027\n"}),
        )
        .await;
    assert_eq!(csv.status, StatusCode::CREATED, "{}", csv.body);
}

/// A new, empty workspace with the same people in the same roles.
async fn new_workspace(app: &TestApp, cast: &Cast, slug: &str) {
    let pool = &app.db.pool;
    let ws = workspaces::create_workspace(
        pool,
        bastion_core::testing::master_keys(),
        &Slug::parse(slug).unwrap(),
        "Acme again",
    )
    .await
    .unwrap();
    for (id, role) in [
        (cast.admin_id, "admin"),
        (cast.member_id, "member"),
        (cast.guest_id, "guest"),
        (cast.deactivated_id, "member"),
    ] {
        accounts::add_member(pool, &ws, id, role, Actor::System)
            .await
            .unwrap();
    }
    let mut tx = TenantTx::begin(pool, &ws.schema(), Actor::System)
        .await
        .unwrap();
    sqlx::query("UPDATE members SET active = false WHERE user_id = $1")
        .bind(cast.deactivated_id)
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn bring_back(
    app: &TestApp,
    cookie: &str,
    slug: &str,
    archive: &[u8],
    people: &str,
    dry_run: bool,
) -> common::Answer {
    let dry = if dry_run { "true" } else { "false" };
    app.upload_parts(
        &format!("/api/v1/workspaces/{slug}/imports/archive"),
        Some(cookie),
        &[
            ("archive", "export.zip", "application/zip", archive),
            ("people", "", "application/json", people.as_bytes()),
            ("dry_run", "", "text/plain", dry.as_bytes()),
        ],
    )
    .await
}

#[tokio::test]
async fn an_export_brought_back_exports_the_same_rows() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    seed(&app, &cast).await;
    let first = export(&app, "acme").await;
    new_workspace(&app, &cast, "acme-again").await;

    // A dry run says what would come back, and creates nothing.
    let dry = ok(
        bring_back(&app, &cast.admin, "acme-again", &first.bytes, "", true).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dry["problems"], json!([]), "{dry}");
    assert_eq!(dry["source"], "Acme");
    assert_eq!(dry["files"], 1);
    let count = |report: &Value, table: &str| {
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .map(|t| t["rows"].as_u64().unwrap())
    };
    assert_eq!(count(&dry, "tasks"), Some(5), "{dry}");
    assert!(dry["people"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["matched"] == "email"));
    let before = export(&app, "acme-again").await;
    assert!(before.tables["tasks"].is_empty());

    // Only an admin brings an archive back.
    let refused = bring_back(&app, &cast.member, "acme-again", &first.bytes, "", false).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    let done = ok(
        bring_back(&app, &cast.admin, "acme-again", &first.bytes, "", false).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(done["problems"], json!([]));
    let second = export(&app, "acme-again").await;

    // Table by table, every row, modulo ids.
    let (a, b) = (canonical_tables(&first), canonical_tables(&second));
    let left_out: Vec<&str> = bastion_core::work::restore::LEFT_OUT
        .iter()
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    // Every table the export writes is either brought back or left out on purpose: a table a
    // later migration adds fails here until it is decided.
    for table in a.keys() {
        let back = bastion_core::work::restore::brought_back().any(|t| t == table);
        assert!(
            back != left_out.contains(&table.as_str()),
            "{table}: neither brought back nor left out (or both)"
        );
    }
    let mut compared = 0;
    for (table, rows) in &a {
        if left_out.contains(&table.as_str()) {
            continue;
        }
        assert_eq!(rows, &b[table], "table {table}");
        compared += rows.len();
    }
    for table in [
        "projects",
        "tasks",
        "tags",
        "task_tags",
        "task_viewers",
        "comments",
        "time_entries",
        "attachments",
        "checklist_items",
        "task_relations",
        "task_recurrences",
        "custom_fields",
        "task_field_values",
        "saved_views",
        "task_watchers",
        "imports",
    ] {
        assert!(!a[table].is_empty(), "the seed has {table}");
    }
    assert!(compared > 30, "{compared} rows compared");
    // The members, set up alike, and the people, alike too.
    let members = |archive: &Archive| {
        let mut rows: Vec<(String, String, bool)> = archive.tables["members"]
            .iter()
            .map(|m| {
                let email = archive
                    .people
                    .iter()
                    .find(|p| p["user_id"] == m["user_id"])
                    .unwrap()["email"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                (
                    email,
                    m["role"].as_str().unwrap().to_owned(),
                    m["active"] == true,
                )
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(members(&first), members(&second));
    // The files, byte for byte, under their new ids.
    assert_eq!(
        first.files.values().collect::<Vec<_>>(),
        second.files.values().collect::<Vec<_>>()
    );
    assert_ne!(first.files.keys().next(), second.files.keys().next());
    // New ids everywhere: no task of the new workspace has an id of the old one.
    let ids = |archive: &Archive| {
        archive.tables["tasks"]
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(ids(&second).iter().all(|id| !ids(&first).contains(id)));

    // The new workspace works on from there: the next task of a project takes the next number,
    // and the attachment downloads.
    let ops = second.tables["projects"]
        .iter()
        .find(|p| p["name"] == "Website")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let next = ok(
        app.post_as(
            &cast.admin,
            "/api/v1/workspaces/acme-again/tasks",
            json!({"project_id": ops, "title": "After the move"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(next["key"], "WEB-4", "{next}");
    let attachment = second.tables["attachments"][0]["id"].as_str().unwrap();
    let file = app
        .get_as(
            &cast.admin,
            &format!("/api/v1/workspaces/acme-again/attachments/{attachment}"),
        )
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, "%PDF-1.4 the brief");
    // Every row came back in the history, as the importing admin's doing.
    let audit = ok(
        app.get_as(&cast.admin, "/api/v1/workspaces/acme-again/audit?limit=100")
            .await,
        StatusCode::OK,
    )
    .await;
    let events = audit["items"].as_array().unwrap();
    assert!(events.len() > 20, "{}", events.len());

    // Twice: the workspace is no longer empty.
    let again = bring_back(&app, &cast.admin, "acme-again", &first.bytes, "", false).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

#[tokio::test]
async fn people_are_matched_by_email_or_mapped_and_a_broken_archive_imports_nothing() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    seed(&app, &cast).await;
    let archive = export(&app, "acme").await;

    // A workspace where only the admin is a member: the others are named, nothing is created.
    let pool = &app.db.pool;
    let ws = workspaces::create_workspace(
        pool,
        bastion_core::testing::master_keys(),
        &Slug::parse("solo").unwrap(),
        "Solo",
    )
    .await
    .unwrap();
    accounts::add_member(pool, &ws, cast.admin_id, "admin", Actor::System)
        .await
        .unwrap();
    let refused = bring_back(&app, &cast.admin, "solo", &archive.bytes, "", false).await;
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
    assert!(
        message.contains("member@example.eu (member) is not a member here"),
        "{message}"
    );
    assert!(message.contains("guest@example.eu"), "{message}");
    assert!(export(&app, "solo").await.tables["tasks"].is_empty());

    let dry = ok(
        bring_back(&app, &cast.admin, "solo", &archive.bytes, "", true).await,
        StatusCode::OK,
    )
    .await;
    let mut unmatched: Vec<&str> = dry["people"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["matched"] == "no")
        .map(|p| p["email"].as_str().unwrap())
        .collect();
    unmatched.sort();
    assert_eq!(
        unmatched,
        ["guest@example.eu", "member@example.eu"],
        "{dry}"
    );
    // The deactivated member has no row: nobody to match.
    assert!(dry["people"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["email"] == "deactivated@example.eu" && p["matched"] == "unused"));

    // Mapped to a non-member: refused and said so.
    let stranger = json!({"member@example.eu": "stranger@example.eu"}).to_string();
    let wrong = bring_back(&app, &cast.admin, "solo", &archive.bytes, &stranger, true).await;
    assert!(
        wrong.body.contains("who is not a member here"),
        "{}",
        wrong.body
    );

    // Everyone mapped to the admin: their work is the admin's here.
    let mapping = json!({
        "member@example.eu": "admin@example.eu",
        "guest@example.eu": "ADMIN@example.eu",
        "deactivated@example.eu": "admin@example.eu",
    })
    .to_string();
    let done = ok(
        bring_back(&app, &cast.admin, "solo", &archive.bytes, &mapping, false).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(done["people"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["member"] == "admin@example.eu"));
    let solo = export(&app, "solo").await;
    assert_eq!(solo.tables["tasks"].len(), 5);
    let admin = cast.admin_id.to_string();
    assert!(solo.tables["comments"]
        .iter()
        .all(|c| c["author_id"] == admin.as_str()));
    // Two people mapped to one: their links to a task are one link.
    assert!(solo.tables["task_viewers"]
        .iter()
        .all(|v| v["user_id"] == admin.as_str()));

    // A broken archive: a title too long, a comment on a task that is not there, a file missing.
    let mut broken = export(&app, "acme").await;
    let tasks = broken.tables.get_mut("tasks").unwrap();
    tasks[1].insert("title".into(), json!("x".repeat(301)));
    let comments = broken.tables.get_mut("comments").unwrap();
    comments[0].insert("task_id".into(), json!(uuid::Uuid::new_v4().to_string()));
    let bytes = rezip(&broken.bytes, &broken.tables, &["files/"]);
    new_workspace(&app, &cast, "acme-broken").await;
    let dry = ok(
        bring_back(&app, &cast.admin, "acme-broken", &bytes, "", true).await,
        StatusCode::OK,
    )
    .await;
    let problems = dry["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["file"] == "comments.json"
            && p["row"] == 1
            && p["message"]
                .as_str()
                .unwrap()
                .contains("task_id: names no row of tasks.json")),
        "{dry}"
    );
    assert!(
        problems.iter().any(|p| p["file"] == "attachments.json"
            && p["message"]
                .as_str()
                .unwrap()
                .contains("is missing from the archive")),
        "{dry}"
    );
    let refused = bring_back(&app, &cast.admin, "acme-broken", &bytes, "", false).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nothing was imported"));
    assert!(export(&app, "acme-broken").await.tables["projects"].is_empty());

    // The references fixed, the database's own rules name the long title's row.
    let mut broken = export(&app, "acme").await;
    let tasks = broken.tables.get_mut("tasks").unwrap();
    tasks[1].insert("title".into(), json!("x".repeat(301)));
    let bytes = rezip(&broken.bytes, &broken.tables, &[]);
    let dry = ok(
        bring_back(&app, &cast.admin, "acme-broken", &bytes, "", true).await,
        StatusCode::OK,
    )
    .await;
    let problems = dry["problems"].as_array().unwrap();
    assert!(problems.iter().all(|p| p["file"] == "tasks.json"), "{dry}");
    assert!(
        problems.iter().any(|p| p["row"] == 2
            && p["message"]
                .as_str()
                .unwrap()
                .starts_with("title: breaks the table's rules")),
        "{dry}"
    );

    // Not an archive at all.
    let junk = bring_back(&app, &cast.admin, "acme-broken", b"PK not really", "", true).await;
    assert_eq!(junk.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(junk.json()["error"]["field"], "archive");
}

/// The archive `original` with these tables' JSON replaced and the files under `drop` left out.
fn rezip(
    original: &[u8],
    tables: &BTreeMap<String, Vec<Map<String, Value>>>,
    drop: &[&str],
) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(original.to_vec())).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        if drop.iter().any(|d| name.starts_with(d)) {
            continue;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        if let Some(table) = name.strip_suffix(".json").and_then(|t| tables.get(t)) {
            bytes = serde_json::to_vec(table).unwrap();
        }
        out.start_file(name, options).unwrap();
        std::io::Write::write_all(&mut out, &bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}
