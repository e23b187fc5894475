//! Door parity for the work capability: the REST API and the task page's server functions give
//! the same answer for the same refusal, because both call the one core action that decides.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{spawn_app, Answer, Cast, TestApp};

fn task_path(cast: &Cast, task: uuid::Uuid) -> String {
    format!("/api/v1/workspaces/{}/tasks/{task}", cast.slug)
}

/// The task as the admin (who sees everything) reads it, or `None` once it is gone.
async fn task_now(app: &TestApp, cast: &Cast, task: uuid::Uuid) -> Option<serde_json::Value> {
    let answer = app.get_as(&cast.admin, &task_path(cast, task)).await;
    match answer.status {
        StatusCode::OK => Some(answer.json()),
        StatusCode::NOT_FOUND => None,
        other => panic!("{other}: {}", answer.body),
    }
}

/// The REST refusal's sentence.
fn rest_message(answer: &Answer) -> String {
    answer.json()["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", answer.body))
        .to_owned()
}

fn edit_form(cast: &Cast, task: uuid::Uuid, title: &str) -> String {
    format!(
        "slug={}&task_id={task}&title={title}&project_id=&status=done&priority=urgent",
        cast.slug
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_may_not_edit_a_task_they_view_through_either_door() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let shared = app
        .post_as(
            &cast.admin,
            &format!("{}/viewers", task_path(&cast, task)),
            json!({"user_id": cast.guest_id}),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.body);
    let before = task_now(&app, &cast, task).await.unwrap();

    let rest = app
        .patch_as(
            &cast.guest,
            &task_path(&cast, task),
            json!({"title": "Hijacked", "status": "done"}),
        )
        .await;
    assert_eq!(rest.status, StatusCode::FORBIDDEN, "{}", rest.body);
    let page = app
        .server_fn(
            "update_task",
            &cast.guest,
            &edit_form(&cast, task, "Hijacked"),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    // One rule, one sentence, whichever door was knocked on.
    let sentence = rest_message(&rest);
    assert_eq!(sentence, "Guests cannot edit tasks.");
    assert!(page.body.contains(&sentence), "{}", page.body);

    // The board's move is the same edit, refused alike.
    let moved = app
        .server_fn(
            "move_task",
            &cast.guest,
            &format!("slug={}&task_id={task}&status=done", cast.slug),
        )
        .await;
    assert_eq!(moved.status, StatusCode::FORBIDDEN, "{}", moved.body);

    assert_eq!(
        task_now(&app, &cast, task).await.unwrap(),
        before,
        "nothing changed"
    );

    // The member edits the same task through both doors: the refusal was the guest's role.
    let rest = app
        .patch_as(
            &cast.member,
            &task_path(&cast, task),
            json!({"title": "By REST"}),
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    let page = app
        .server_fn(
            "update_task",
            &cast.member,
            &edit_form(&cast, task, "By+page"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let after = task_now(&app, &cast, task).await.unwrap();
    assert_eq!(after["title"], "By page");
    assert_eq!(after["status"], "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_creating_member_deletes_a_task_through_either_door() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let admins = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let delete_form = |task: uuid::Uuid| format!("slug={}&task_id={task}", cast.slug);

    let rest = app.delete_as(&cast.member, &task_path(&cast, admins)).await;
    assert_eq!(rest.status, StatusCode::FORBIDDEN, "{}", rest.body);
    let page = app
        .server_fn("delete_task", &cast.member, &delete_form(admins))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    let sentence = rest_message(&rest);
    assert_eq!(
        sentence,
        "Only admins and the member who created a task can delete it."
    );
    assert!(page.body.contains(&sentence), "{}", page.body);
    assert!(task_now(&app, &cast, admins).await.is_some(), "still there");

    // The member deletes what they created, once through each door.
    let by_rest = app.seed_task(&cast.slug, cast.member_id, false).await;
    let by_page = app.seed_task(&cast.slug, cast.member_id, false).await;
    let rest = app
        .delete_as(&cast.member, &task_path(&cast, by_rest))
        .await;
    assert_eq!(rest.status, StatusCode::NO_CONTENT, "{}", rest.body);
    let page = app
        .server_fn("delete_task", &cast.member, &delete_form(by_page))
        .await;
    assert!(page.status.is_success(), "{} {}", page.status, page.body);
    assert!(task_now(&app, &cast, by_rest).await.is_none());
    assert!(task_now(&app, &cast, by_page).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_the_caller_cannot_see_is_not_found_through_either_door() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    // Private and the admin's own: neither the member nor the guest sees it.
    let hidden = app.seed_task(&cast.slug, cast.admin_id, true).await;
    let before = task_now(&app, &cast, hidden).await.unwrap();

    for cookie in [&cast.member, &cast.guest] {
        let rest_edit = app
            .patch_as(
                cookie,
                &task_path(&cast, hidden),
                json!({"title": "Found it"}),
            )
            .await;
        let rest_delete = app.delete_as(cookie, &task_path(&cast, hidden)).await;
        let page_edit = app
            .server_fn("update_task", cookie, &edit_form(&cast, hidden, "Found+it"))
            .await;
        let page_delete = app
            .server_fn(
                "delete_task",
                cookie,
                &format!("slug={}&task_id={hidden}", cast.slug),
            )
            .await;
        let page_comment = app
            .server_fn(
                "add_comment",
                cookie,
                &format!("slug={}&task_id={hidden}&body=Hello", cast.slug),
            )
            .await;
        for answer in [
            &rest_edit,
            &rest_delete,
            &page_edit,
            &page_delete,
            &page_comment,
        ] {
            // 404, never 403: a refusal would tell that the task exists.
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
        }
    }
    assert_eq!(task_now(&app, &cast, hidden).await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_and_tags_are_refused_alike_through_either_door() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let written = app
        .post_as(
            &cast.admin,
            &format!("{}/comments", task_path(&cast, task)),
            json!({"body": "The admin's words"}),
        )
        .await;
    assert_eq!(written.status, StatusCode::CREATED, "{}", written.body);
    let comment = written.json()["id"].as_str().unwrap().to_owned();

    // Nobody edits someone else's comment, admins' included.
    let rest = app
        .patch_as(
            &cast.member,
            &format!("{}/comments/{comment}", task_path(&cast, task)),
            json!({"body": "Put in their mouth"}),
        )
        .await;
    let page = app
        .server_fn(
            "edit_comment",
            &cast.member,
            &format!(
                "slug={}&task_id={task}&comment_id={comment}&body=Put+in+their+mouth",
                cast.slug
            ),
        )
        .await;
    assert_eq!(rest.status, StatusCode::FORBIDDEN, "{}", rest.body);
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.body.contains(&rest_message(&rest)), "{}", page.body);
    let comments = app
        .get_as(&cast.admin, &format!("{}/comments", task_path(&cast, task)))
        .await;
    assert_eq!(comments.json()["items"][0]["body"], "The admin's words");

    // A guest manages no tag catalogue: REST's create and the page's "create and add" agree.
    let shared = app
        .post_as(
            &cast.admin,
            &format!("{}/viewers", task_path(&cast, task)),
            json!({"user_id": cast.guest_id}),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.body);
    let rest = app
        .post_as(
            &cast.guest,
            &cast.api("/tags"),
            json!({"name": "Guesswork"}),
        )
        .await;
    let page = app
        .server_fn(
            "create_tag",
            &cast.guest,
            &format!("slug={}&task_id={task}&name=Guesswork", cast.slug),
        )
        .await;
    assert_eq!(rest.status, StatusCode::FORBIDDEN, "{}", rest.body);
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.body.contains(&rest_message(&rest)), "{}", page.body);
    let tags = app.get_as(&cast.admin, &cast.api("/tags")).await;
    assert_eq!(tags.json()["items"], json!([]), "no tag was made");
}
