//! The work pages as the server renders them: each caller is offered only what `app::policy`
//! lets them do (the same functions the server functions enforce), what they may not see is a
//! 404 page, and Markdown arrives rendered with raw HTML escaped.

mod common;

use axum::http::StatusCode;
use common::{spawn_app, spawn_app_on, Cast, TestApp};
use serde_json::{json, Value};

async fn create(app: &TestApp, cast: &Cast, path: &str, body: Value) -> String {
    let answer = app
        .post_as(&cast.admin, &cast.api(&format!("/{path}")), body)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "{path}: {}",
        answer.body
    );
    answer.json()["id"].as_str().unwrap_or_default().to_owned()
}

async fn page(app: &TestApp, path: &str, cookie: &str) -> common::Answer {
    app.get_as(cookie, path).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_offer_each_caller_only_what_the_policy_allows() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let project = create(&app, &cast, "projects", json!({"name": "Harbour works"})).await;
    let task = create(
        &app,
        &cast,
        "tasks",
        json!({"project_id": project, "title": "Dredge the quay",
               "description": "**deep** enough <script>alert(1)</script></textarea><b>out</b>"}),
    )
    .await;
    create(
        &app,
        &cast,
        &format!("tasks/{task}/viewers"),
        json!({"user_id": cast.guest_id}),
    )
    .await;
    create(
        &app,
        &cast,
        &format!("tasks/{task}/comments"),
        json!({"body": "On *it*."}),
    )
    .await;
    let hostile = create(
        &app,
        &cast,
        "tasks",
        json!({"project_id": project, "title": "Fine </title><i>loud</i>"}),
    )
    .await;
    let private = create(
        &app,
        &cast,
        "tasks",
        json!({"project_id": project, "title": "Quietly budget it", "private": true}),
    )
    .await;

    let ws = format!("/w/{}", cast.slug);
    let admin_home = page(&app, &ws, &cast.admin).await;
    assert_eq!(admin_home.status, StatusCode::OK);
    assert!(admin_home.body.contains("Create project"));
    let guest_home = page(&app, &ws, &cast.guest).await;
    assert!(
        guest_home.body.contains("Harbour works"),
        "the guest views a task in it"
    );
    assert!(!guest_home.body.contains("Create project"));
    assert!(!guest_home.body.contains(">Archive<"));

    let list = format!("{ws}/tasks");
    let admin_list = page(&app, &list, &cast.admin).await;
    assert!(admin_list.body.contains("New task"));
    assert!(admin_list.body.contains("Quietly budget it"));
    let guest_list = page(&app, &list, &cast.guest).await;
    assert!(guest_list.body.contains("Dredge the quay"));
    assert!(!guest_list.body.contains("New task"));
    assert!(
        !guest_list.body.contains("Quietly budget it"),
        "private, not viewed"
    );
    let member_list = page(&app, &list, &cast.member).await;
    assert!(
        !member_list.body.contains("Quietly budget it"),
        "private, not theirs"
    );

    let board = format!("{ws}/board");
    assert!(page(&app, &board, &cast.member)
        .await
        .body
        .contains(r#"id="move-"#));
    let guest_board = page(&app, &board, &cast.guest).await;
    // Rendered whole, not as a fallback to be swapped in by script: the page works without JS.
    assert!(!guest_board.body.contains("Loading the board"));
    assert!(guest_board.body.contains("Dredge the quay"));
    assert!(
        !guest_board.body.contains(r#"id="move-"#),
        "guests cannot move tasks"
    );

    let task_page = format!("{ws}/tasks/{task}");
    let admin_task = page(&app, &task_page, &cast.admin).await;
    assert_eq!(admin_task.status, StatusCode::OK);
    // The same page by key ("Harbour works" is HW; its tasks HW-1, HW-2, HW-3), in any case.
    for (path, cookie) in [
        (format!("{ws}/t/HW-1"), &cast.admin),
        (format!("{ws}/t/hw-1"), &cast.guest),
    ] {
        let by_key = page(&app, &path, cookie).await;
        assert_eq!(by_key.status, StatusCode::OK, "{path}");
        assert!(by_key.body.contains("Dredge the quay"), "{path}");
    }
    for offered in [
        "Edit task",
        "Create and add",
        "Add viewer",
        "Edit comment",
        "Delete comment",
        "Yes, delete this task",
    ] {
        assert!(admin_task.body.contains(offered), "admin: {offered}");
    }
    // Markdown rendered on the server; the raw HTML in it is text, nowhere a live element.
    assert!(admin_task.body.contains("<strong>deep</strong>"));
    assert!(admin_task
        .body
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !admin_task.body.contains("<script>alert(1)"),
        "{}",
        admin_task.body
    );

    // The member edits the admin's task but may not delete it, nor touch the admin's comment.
    let member_task = page(&app, &task_page, &cast.member).await;
    assert!(member_task.body.contains("Edit task"));
    assert!(member_task.body.contains("Create and add"));
    for withheld in ["Yes, delete this task", "Edit comment", "Delete comment"] {
        assert!(!member_task.body.contains(withheld), "member: {withheld}");
    }
    // The guest comments, and nothing else.
    let guest_task = page(&app, &task_page, &cast.guest).await;
    assert!(guest_task.body.contains("Post comment"));
    for withheld in [
        "Edit task",
        "Create and add",
        "Add viewer",
        ">Remove<",
        "Yes, delete this task",
        "Delete comment",
    ] {
        assert!(!guest_task.body.contains(withheld), "guest: {withheld}");
    }

    // Nor may a title end the document's <title> (leptos_meta writes it unescaped).
    let hostile_page = page(&app, &format!("{ws}/tasks/{hostile}"), &cast.admin).await;
    assert!(hostile_page
        .body
        .contains("<title>Fine &lt;/title&gt;&lt;i&gt;loud"));
    assert!(hostile_page
        .body
        .contains("Fine &lt;/title&gt;&lt;i&gt;loud&lt;/i&gt;"));
    assert!(
        !hostile_page.body.contains("<i>loud</i>"),
        "{}",
        hostile_page.body
    );

    // What one may not see is a 404 page, like what does not exist.
    for (path, cookie) in [
        (format!("{ws}/tasks/{private}"), &cast.member),
        (format!("{ws}/tasks/{private}"), &cast.guest),
        (format!("{ws}/tasks/not-a-task"), &cast.admin),
        (format!("{ws}/t/HW-3"), &cast.member),
        (format!("{ws}/t/HW-3"), &cast.guest),
        (format!("{ws}/t/HW-99"), &cast.admin),
        (list.clone(), &cast.stranger),
        (list.clone(), &cast.deactivated),
    ] {
        let answer = page(&app, &path, cookie).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!answer.body.contains("Quietly budget it"), "{path}");
    }
    assert_eq!(
        app.get(&list).await.status,
        StatusCode::NOT_FOUND,
        "signed out"
    );
}

/// The page as the caller would compare it: the workspace's slug and the per-request CSP nonce
/// (the only parts that differ between two answers to the same question) blanked out.
fn comparable(body: &str, slug: &str) -> String {
    let mut body = body
        .replace(&format!("/w/{slug}"), "/w/…")
        .replace(&format!("\"{slug}\""), "\"…\"");
    if let Some(at) = body.find("nonce=\"") {
        let value = &body[at + "nonce=\"".len()..];
        let nonce = value[..value.find('"').unwrap_or(0)].to_owned();
        if !nonce.is_empty() {
            body = body.replace(&nonce, "…");
        }
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workspace_page_answers_a_foreign_workspace_as_a_missing_one() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    // A task in the other workspace, so its task page names something that exists there.
    let stranger_id =
        bastion_core::accounts::find_user_by_email(&app.db.pool, "stranger@example.eu")
            .await
            .unwrap()
            .unwrap()
            .id;
    let foreign_task = app.seed_task(&cast.other_slug, stranger_id, false).await;
    let missing = "nowhere";
    let pages = [
        String::new(),
        "/tasks".into(),
        "/board".into(),
        format!("/tasks/{foreign_task}"),
        "/members".into(),
        "/settings".into(),
        "/time".into(),
        "/audit".into(),
    ];
    let callers = [
        ("a member of another workspace", Some(cast.admin.as_str())),
        ("a deactivated member", Some(cast.deactivated.as_str())),
        ("someone signed out", None),
    ];
    for (who, cookie) in callers {
        for page in &pages {
            let foreign = app
                .call(
                    "GET",
                    &format!("/w/{}{page}", cast.other_slug),
                    cookie,
                    None,
                )
                .await;
            let nowhere = app
                .call("GET", &format!("/w/{missing}{page}"), cookie, None)
                .await;
            let (foreign_body, nowhere_body) = (
                comparable(&foreign.body, &cast.other_slug),
                comparable(&nowhere.body, missing),
            );
            // Where they part, rather than two whole pages.
            let same = foreign_body
                .chars()
                .zip(nowhere_body.chars())
                .take_while(|(a, b)| a == b)
                .count();
            let from = same.saturating_sub(200);
            let around = |body: &str| body.chars().skip(from).take(400).collect::<String>();
            assert!(
                foreign.status == nowhere.status && foreign_body == nowhere_body,
                "{who} on {page:?}: a foreign workspace answers {} …{}…, a missing one {} …{}…",
                foreign.status,
                around(&foreign_body),
                nowhere.status,
                around(&nowhere_body),
            );
            if cookie.is_some() {
                assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{who} on {page:?}");
            }
        }
    }
}

/// A page that kept its tenant transaction's connection while checking out another (to read
/// people's names from the control plane) could starve the pool: with as many such pages at once
/// as the pool has connections, each held one and waited for a second until the acquire timeout.
/// Pages now finish the transaction first, so twelve pages on a pool of two all answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_pages_at_once_on_a_small_pool_all_answer() {
    let db = bastion_core::testing::TestDb::with_settings(bastion_core::db::PoolSettings {
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(5),
        ..Default::default()
    })
    .await;
    let app = spawn_app_on(db, &[]);
    let cast = Cast::new(&app).await;
    let project = create(&app, &cast, "projects", json!({"name": "Harbour works"})).await;
    let task = create(
        &app,
        &cast,
        "tasks",
        json!({"project_id": project, "title": "Dredge the quay", "assignee_id": cast.member_id}),
    )
    .await;
    let pages = [
        format!("/w/{}/tasks/{task}", cast.slug),
        format!("/w/{}/tasks", cast.slug),
    ];
    let answers = futures::future::join_all((0..12).map(|i| {
        let path = pages[i % 2].clone();
        let (app, cookie) = (&app, &cast.admin);
        async move { (path.clone(), app.get_as(cookie, &path).await) }
    }))
    .await;
    for (path, answer) in answers {
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
        assert!(answer.body.contains("Dredge the quay"), "{path}");
    }
}
