//! `GET /api/v1/workspaces/{ws}/activity` over HTTP: members read what changed on the tasks they
//! see, texts named but not quoted, paged by cursor, per project; the page says it too.

mod common;

use axum::http::StatusCode;
use common::{spawn_app, Cast};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_read_the_activity_of_the_tasks_they_see() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let post = |path: &str, body: serde_json::Value| {
        let (app, cast, path) = (&app, &cast, path.to_owned());
        async move {
            app.call("POST", &cast.api(&path), Some(&cast.admin), Some(body))
                .await
        }
    };
    let project = post("/projects", json!({"name": "Studio"})).await;
    assert_eq!(project.status, StatusCode::CREATED, "{}", project.body);
    let project_id = project.json()["id"].as_str().unwrap().to_owned();
    for (title, private) in [("Paint the hall", false), ("Pay the painter", true)] {
        let task = post(
            "/tasks",
            json!({"project_id": project_id, "title": title, "private": private, "description": "door code 4711"}),
        )
        .await;
        assert_eq!(task.status, StatusCode::CREATED, "{}", task.body);
    }

    let feed = app
        .call(
            "GET",
            &cast.api("/activity?limit=1"),
            Some(&cast.member),
            None,
        )
        .await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
    let items = feed.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["task_title"], "Paint the hall");
    assert_eq!(items[0]["action"], "created");
    assert_eq!(
        items[0]["changes"]["description"],
        json!({"redacted": true})
    );
    assert!(!feed.body.contains("door code") && !feed.body.contains("Pay the painter"));
    // The next page holds nothing more for the member: the private task is not theirs to see.
    let cursor = feed.json()["next_cursor"].as_str().map(str::to_owned);
    if let Some(cursor) = cursor {
        let next = app
            .call(
                "GET",
                &cast.api(&format!("/activity?cursor={cursor}")),
                Some(&cast.member),
                None,
            )
            .await;
        assert_eq!(next.status, StatusCode::OK, "{}", next.body);
        assert!(!next.body.contains("Pay the painter"));
    }
    let admin = app
        .call(
            "GET",
            &cast.api(&format!("/activity?project_id={project_id}")),
            Some(&cast.admin),
            None,
        )
        .await;
    assert!(admin.body.contains("Pay the painter"), "{}", admin.body);

    // Bad input is named; an unknown project is a 404.
    let bad = app
        .call(
            "GET",
            &cast.api("/activity?cursor=nonsense"),
            Some(&cast.member),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "cursor");
    let unknown = app
        .call(
            "GET",
            &cast.api("/activity?project_id=00000000-0000-4000-8000-000000000000"),
            Some(&cast.member),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // The page, server-rendered: the entry links to its task, the text is named, not shown.
    let page = app
        .get_as(&cast.member, &format!("/w/{}/activity", cast.slug))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Paint the hall"));
    // Made with the task: set, not changed.
    assert!(
        page.body.contains("set (open the task to read it)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("changed (open the task to read it)"));
    assert!(!page.body.contains("door code") && !page.body.contains("Pay the painter"));
}
