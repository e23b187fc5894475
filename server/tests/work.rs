//! The work domain over REST: creating, filtering and paging tasks; guests seeing only what they
//! view; 404 for what one may not see against 403 for what one sees but may not change; and
//! invalid input answered 422 with the field named.

mod common;

use axum::http::StatusCode;
use common::{spawn_app, Cast, TestApp};
use serde_json::{json, Value};

struct Api<'a> {
    app: &'a TestApp,
    slug: String,
}

impl Api<'_> {
    async fn call(
        &self,
        method: &str,
        path: &str,
        cookie: &str,
        body: Option<Value>,
    ) -> common::Answer {
        self.app
            .call(
                method,
                &format!("/api/v1/workspaces/{}/{path}", self.slug),
                Some(cookie),
                body,
            )
            .await
    }

    /// Creates and returns the created object, insisting on 201.
    async fn create(&self, path: &str, cookie: &str, body: Value) -> Value {
        let answer = self.call("POST", path, cookie, Some(body)).await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{path}: {}",
            answer.body
        );
        answer.json()
    }

    async fn ok(&self, path: &str, cookie: &str) -> Value {
        let answer = self.call("GET", path, cookie, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
        answer.json()
    }

    async fn titles(&self, path: &str, cookie: &str) -> Vec<String> {
        self.ok(path, cookie).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The field a 422 names.
    async fn invalid_field(
        &self,
        method: &str,
        path: &str,
        cookie: &str,
        body: Option<Value>,
    ) -> String {
        let answer = self.call(method, path, cookie, body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            answer.body
        );
        answer.json()["error"]["field"].as_str().unwrap().to_owned()
    }
}

async fn setup(app: &TestApp) -> (Cast, Api<'_>) {
    let cast = Cast::new(app).await;
    let api = Api {
        app,
        slug: cast.slug.clone(),
    };
    (cast, api)
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_created_filtered_and_paged() {
    let app = spawn_app().await;
    let (cast, api) = setup(&app).await;
    let project = id(&api
        .create("projects", &cast.admin, json!({"name": "Launch"}))
        .await);
    let tag = id(&api
        .create(
            "tags",
            &cast.member,
            json!({"name": "Legal", "colour": "#1E90FF"}),
        )
        .await);
    let contract = api
        .create(
            "tasks",
            &cast.member,
            json!({"project_id": project, "title": "Sign the contract", "description": "Clause 4 on **liability**",
                   "status": "in_progress", "priority": "high", "assignee_id": cast.member_id, "due_on": "2026-12-01"}),
        )
        .await;
    assert_eq!(contract["due_on"], "2026-12-01");
    assert_eq!(contract["created_by"], cast.member_id.to_string());
    for n in 1..=4 {
        api.create(
            "tasks",
            &cast.admin,
            json!({"project_id": project, "title": format!("Chore {n}")}),
        )
        .await;
    }
    let tagged = api
        .create(
            &format!("tasks/{}/tags", id(&contract)),
            &cast.member,
            json!({"tag_id": tag}),
        )
        .await;
    assert_eq!(tagged["colour"], "#1e90ff");

    for (query, expected) in [
        ("status=in_progress", vec!["Sign the contract"]),
        (
            &format!("assignee_id={}", cast.member_id),
            vec!["Sign the contract"],
        ),
        (&format!("tag_id={tag}"), vec!["Sign the contract"]),
        ("due_before=2026-12-02", vec!["Sign the contract"]),
        ("q=liability", vec!["Sign the contract"]),
        ("q=chore%203", vec!["Chore 3"]),
        ("status=done", vec![]),
    ] {
        assert_eq!(
            api.titles(&format!("tasks?{query}"), &cast.admin).await,
            expected,
            "{query}"
        );
    }

    // Pages of two, newest first, until there is no next cursor.
    let mut seen = Vec::new();
    let mut path = "tasks?limit=2".to_owned();
    loop {
        let page = api.ok(&path, &cast.admin).await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["title"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("tasks?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "Chore 4",
            "Chore 3",
            "Chore 2",
            "Chore 1",
            "Sign the contract"
        ]
    );

    // A patch changes only what it names; null clears.
    let changed = api
        .call(
            "PATCH",
            &format!("tasks/{}", id(&contract)),
            &cast.member,
            Some(json!({"status": "done", "due_on": null, "assignee_id": null})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let changed = changed.json();
    assert_eq!(
        (
            changed["status"].clone(),
            changed["due_on"].clone(),
            changed["assignee_id"].clone()
        ),
        (json!("done"), Value::Null, Value::Null)
    );
    assert_eq!(changed["priority"], "high");
    assert_eq!(changed["tag_ids"], json!([tag]));

    // Bad filters and page parameters name their field.
    for (query, field) in [
        ("status=blocked", "status"),
        ("due_before=tomorrow", "due_before"),
        ("project_id=42", "project_id"),
        ("limit=0", "limit"),
        ("cursor=not-ours", "cursor"),
    ] {
        assert_eq!(
            api.invalid_field("GET", &format!("tasks?{query}"), &cast.admin, None)
                .await,
            field,
            "{query}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_see_only_the_tasks_they_view() {
    let app = spawn_app().await;
    let (cast, api) = setup(&app).await;
    let shared_project = id(&api
        .create("projects", &cast.admin, json!({"name": "Shared"}))
        .await);
    let internal_project = id(&api
        .create("projects", &cast.admin, json!({"name": "Internal"}))
        .await);
    let shared = id(&api
        .create(
            "tasks",
            &cast.admin,
            json!({"project_id": shared_project, "title": "Shared"}),
        )
        .await);
    let internal = id(&api
        .create(
            "tasks",
            &cast.admin,
            json!({"project_id": internal_project, "title": "Internal"}),
        )
        .await);
    api.create(
        &format!("tasks/{shared}/viewers"),
        &cast.member,
        json!({"user_id": cast.guest_id}),
    )
    .await;

    assert_eq!(api.titles("tasks", &cast.guest).await, ["Shared"]);
    assert_eq!(
        api.titles("tasks", &cast.member).await,
        ["Internal", "Shared"]
    );
    let projects: Vec<Value> = api.ok("projects", &cast.guest).await["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0]["name"], "Shared");

    // Seen but not theirs to change: 403. Not seen: 404, the same as a task that does not exist.
    for (method, body) in [
        ("PATCH", Some(json!({"title": "Guest was here"}))),
        ("DELETE", None),
    ] {
        let seen = api
            .call(
                method,
                &format!("tasks/{shared}"),
                &cast.guest,
                body.clone(),
            )
            .await;
        assert_eq!(
            seen.status,
            StatusCode::FORBIDDEN,
            "{method}: {}",
            seen.body
        );
        let unseen = api
            .call(
                method,
                &format!("tasks/{internal}"),
                &cast.guest,
                body.clone(),
            )
            .await;
        let missing = api
            .call(
                method,
                &format!("tasks/{}", uuid::Uuid::new_v4()),
                &cast.guest,
                body,
            )
            .await;
        assert_eq!(unseen.status, StatusCode::NOT_FOUND);
        assert_eq!(unseen.body, missing.body, "no existence oracle");
    }
    let comments = api
        .call(
            "GET",
            &format!("tasks/{internal}/comments"),
            &cast.guest,
            None,
        )
        .await;
    assert_eq!(comments.status, StatusCode::NOT_FOUND);
    let rename = api
        .call(
            "PATCH",
            &format!("projects/{internal_project}"),
            &cast.guest,
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(
        rename.status,
        StatusCode::NOT_FOUND,
        "a project the guest does not see"
    );
    // The guest comments on the task they view.
    api.create(
        &format!("tasks/{shared}/comments"),
        &cast.guest,
        json!({"body": "Looks good"}),
    )
    .await;
    // Once the viewer link is gone, so is the task.
    let removed = api
        .call(
            "DELETE",
            &format!("tasks/{shared}/viewers/{}", cast.guest_id),
            &cast.admin,
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert!(api.titles("tasks", &cast.guest).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_tasks_and_deletion_follow_the_member_rules() {
    let app = spawn_app().await;
    let (cast, api) = setup(&app).await;
    let project = id(&api
        .create("projects", &cast.member, json!({"name": "P"}))
        .await);
    let admins_private = id(&api
        .create(
            "tasks",
            &cast.admin,
            json!({"project_id": project, "title": "Salaries", "private": true}),
        )
        .await);
    let admins_public = id(&api
        .create(
            "tasks",
            &cast.admin,
            json!({"project_id": project, "title": "Public"}),
        )
        .await);
    let members_own = id(&api
        .create(
            "tasks",
            &cast.member,
            json!({"project_id": project, "title": "Mine", "private": true}),
        )
        .await);

    assert_eq!(
        api.call(
            "GET",
            &format!("tasks/{admins_private}"),
            &cast.member,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.titles("tasks", &cast.admin).await.len(),
        3,
        "admins see everything"
    );
    // Members edit what they see, but delete only what they created.
    let edit = api
        .call(
            "PATCH",
            &format!("tasks/{admins_public}"),
            &cast.member,
            Some(json!({"priority": "urgent"})),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    let delete = api
        .call(
            "DELETE",
            &format!("tasks/{admins_public}"),
            &cast.member,
            None,
        )
        .await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
    assert!(delete.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("created"));
    assert_eq!(
        api.call(
            "DELETE",
            &format!("tasks/{members_own}"),
            &cast.member,
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call("GET", &format!("tasks/{members_own}"), &cast.admin, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Shared with the member, the private task opens up to them.
    api.create(
        &format!("tasks/{admins_private}/viewers"),
        &cast.admin,
        json!({"user_id": cast.member_id}),
    )
    .await;
    assert_eq!(
        api.ok(&format!("tasks/{admins_private}"), &cast.member)
            .await["title"],
        "Salaries"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_belong_to_their_authors() {
    let app = spawn_app().await;
    let (cast, api) = setup(&app).await;
    let project = id(&api
        .create("projects", &cast.admin, json!({"name": "P"}))
        .await);
    let task = id(&api
        .create(
            "tasks",
            &cast.admin,
            json!({"project_id": project, "title": "T"}),
        )
        .await);
    api.create(
        &format!("tasks/{task}/viewers"),
        &cast.admin,
        json!({"user_id": cast.guest_id}),
    )
    .await;
    let guests = id(&api
        .create(
            &format!("tasks/{task}/comments"),
            &cast.guest,
            json!({"body": "From the guest"}),
        )
        .await);
    let members = id(&api
        .create(
            &format!("tasks/{task}/comments"),
            &cast.member,
            json!({"body": "From the member"}),
        )
        .await);
    let path = |c: &str| format!("tasks/{task}/comments/{c}");
    let edit = json!({"body": "Rewritten"});

    for who in [&cast.member, &cast.admin] {
        let answer = api
            .call("PATCH", &path(&guests), who, Some(edit.clone()))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "only the author edits"
        );
    }
    assert_eq!(
        api.call("DELETE", &path(&guests), &cast.member, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let own = api
        .call("PATCH", &path(&guests), &cast.guest, Some(edit))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.json()["edited_at"].is_string());
    assert_eq!(
        api.call("DELETE", &path(&members), &cast.admin, None)
            .await
            .status,
        StatusCode::NO_CONTENT,
        "admins delete any"
    );
    let listed = api.ok(&format!("tasks/{task}/comments"), &cast.guest).await;
    let bodies: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Rewritten"]);
    // A comment addressed through another task is not found.
    let other = id(&api
        .create(
            "tasks",
            &cast.admin,
            json!({"project_id": project, "title": "Other"}),
        )
        .await);
    let sideways = api
        .call(
            "DELETE",
            &format!("tasks/{other}/comments/{guests}"),
            &cast.admin,
            None,
        )
        .await;
    assert_eq!(sideways.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_answered_422_naming_the_field() {
    let app = spawn_app().await;
    let (cast, api) = setup(&app).await;
    let project = id(&api
        .create("projects", &cast.admin, json!({"name": "P"}))
        .await);
    let archived = id(&api
        .create("projects", &cast.admin, json!({"name": "Old"}))
        .await);
    let answer = api
        .call(
            "PATCH",
            &format!("projects/{archived}"),
            &cast.admin,
            Some(json!({"archived": true})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let task = id(&api
        .create(
            "tasks",
            &cast.admin,
            json!({"project_id": project, "title": "T"}),
        )
        .await);

    for (body, field) in [
        (json!({"project_id": project, "title": "  "}), "title"),
        (
            json!({"project_id": project, "title": "t".repeat(301)}),
            "title",
        ),
        (
            json!({"project_id": project, "title": "t", "description": "d".repeat(20_001)}),
            "description",
        ),
        (
            json!({"project_id": project, "title": "t", "status": "blocked"}),
            "status",
        ),
        (
            json!({"project_id": project, "title": "t", "priority": "asap"}),
            "priority",
        ),
        (
            json!({"project_id": project, "title": "t", "due_on": "31/12/2026"}),
            "due_on",
        ),
        (
            json!({"project_id": project, "title": "t", "assignee_id": uuid::Uuid::new_v4()}),
            "assignee_id",
        ),
        (json!({"project_id": archived, "title": "t"}), "project_id"),
        (json!({"title": "t"}), "body"),
    ] {
        assert_eq!(
            api.invalid_field("POST", "tasks", &cast.admin, Some(body.clone()))
                .await,
            field,
            "{body}"
        );
    }
    for (method, path, body, field) in [
        (
            "PATCH",
            format!("tasks/{task}"),
            json!({"due_on": "soon"}),
            "due_on",
        ),
        (
            "POST",
            format!("tasks/{task}/comments"),
            json!({"body": ""}),
            "body",
        ),
        (
            "POST",
            format!("tasks/{task}/tags"),
            json!({"tag_id": uuid::Uuid::new_v4()}),
            "tag_id",
        ),
        (
            "POST",
            format!("tasks/{task}/viewers"),
            json!({"user_id": cast.deactivated_id}),
            "user_id",
        ),
        (
            "POST",
            "tags".to_owned(),
            json!({"name": "x", "colour": "blue"}),
            "colour",
        ),
        ("POST", "projects".to_owned(), json!({"name": ""}), "name"),
    ] {
        assert_eq!(
            api.invalid_field(method, &path, &cast.admin, Some(body))
                .await,
            field,
            "{method} {path}"
        );
    }
    api.create("tags", &cast.admin, json!({"name": "Legal"}))
        .await;
    let clash = api
        .call("POST", "tags", &cast.member, Some(json!({"name": "LEGAL"})))
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_description_says_whom_its_mentions_did_not_reach() {
    let app = spawn_app().await;
    let (cast, api) = setup(&app).await;
    let project = id(&api
        .create("projects", &cast.admin, json!({"name": "P"}))
        .await);
    // A private task mentioning the member (who does not see it) and the guest: neither is told,
    // and the answer names both; the task is there as usual.
    let text = format!("Ask @[{}] and @[{}]", cast.member_id, cast.guest_id);
    let created = api
        .create(
            "tasks",
            &cast.admin,
            json!({"project_id": project, "title": "Salaries", "private": true, "description": text}),
        )
        .await;
    assert_eq!(created["title"], "Salaries");
    assert_eq!(
        created["mentions_not_notified"],
        json!([cast.member_id, cast.guest_id])
    );
    // Made public, with a deactivated member mentioned too: only the newly mentioned count (the
    // member was mentioned before, and an edit tells only the newly mentioned), and the
    // deactivated member is not told.
    let task = id(&created);
    let changed = api
        .call(
            "PATCH",
            &format!("tasks/{task}"),
            &cast.admin,
            Some(json!({"private": false, "description": format!(
                "Now @[{}] and @[{}]", cast.member_id, cast.deactivated_id
            )})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        changed.json()["mentions_not_notified"],
        json!([cast.deactivated_id])
    );
    let inbox = app
        .get_as(&cast.member, &cast.api("/notifications"))
        .await
        .json();
    assert_eq!(inbox["items"], json!([]), "{inbox}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_must_be_an_object_not_its_fields_in_a_row() {
    let app = spawn_app().await;
    let (cast, api) = setup(&app).await;
    let project = id(&api
        .create("projects", &cast.admin, json!({"name": "Launch"}))
        .await);
    // serde alone would fill the change from an array in field order: renamed and archived.
    for body in [json!(["renamed", true]), json!("renamed"), json!(null)] {
        let field = api
            .invalid_field(
                "PATCH",
                &format!("projects/{project}"),
                &cast.admin,
                Some(body.clone()),
            )
            .await;
        assert_eq!(field, "body", "{body}");
    }
    let listed = api.ok("projects", &cast.admin).await;
    let after = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == project.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("the project is still there, unarchived: {listed}"));
    assert_eq!(
        (after["name"].as_str(), after["archived"].as_bool()),
        (Some("Launch"), Some(false))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_with_a_body_closes_its_connection_openly() {
    let app = spawn_app().await;
    let (cast, api) = setup(&app).await;
    // Refused before the body is read (a workspace the caller cannot see): the answer says the
    // connection ends, so a keep-alive client does not send its next request down it.
    let refused = api
        .call(
            "POST",
            "projects",
            &cast.stranger,
            Some(json!({"name": "Nope"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.header("connection"), "close");
    // A request that went through, and a refusal without a body, keep the connection.
    let created = api
        .call(
            "POST",
            "projects",
            &cast.admin,
            Some(json!({"name": "Yes"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(created.headers.get("connection").is_none());
    let missing = api.call("GET", "tasks/nope", &cast.stranger, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.headers.get("connection").is_none());
}

/// The calendar (issue 20): the tasks due in a span, by day, through the same visibility rule
/// as the list (a guest sees only what they view, a member no private task of someone else's),
/// and a span that is empty, too long or not dates is refused with its field named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_shows_each_caller_the_tasks_they_see_by_due_date() {
    let app = spawn_app().await;
    let (cast, api) = setup(&app).await;
    let project = id(&api
        .create("projects", &cast.admin, json!({"name": "Calendar"}))
        .await);
    let task = |title: &str, due: &str, private: bool| json!({"project_id": project, "title": title, "due_on": due, "private": private});
    let later = api
        .create(
            "tasks",
            &cast.member,
            task("Later in December", "2026-12-30", false),
        )
        .await;
    let early = api
        .create(
            "tasks",
            &cast.member,
            task("First of December", "2026-12-01", false),
        )
        .await;
    let hidden = api
        .create(
            "tasks",
            &cast.admin,
            task("Admin's private", "2026-12-15", true),
        )
        .await;
    // Outside the span: the day before it and the day it ends (exclusive).
    api.create("tasks", &cast.member, task("November", "2026-11-29", false))
        .await;
    api.create("tasks", &cast.member, task("January", "2027-01-11", false))
        .await;
    api.create(
        "tasks",
        &cast.member,
        json!({"project_id": project, "title": "No date"}),
    )
    .await;
    api.create(
        &format!("tasks/{}/viewers", id(&early)),
        &cast.admin,
        json!({"user_id": cast.guest_id}),
    )
    .await;

    let span = "calendar?from=2026-11-30&until=2027-01-11";
    assert_eq!(
        api.titles(span, &cast.admin).await,
        ["First of December", "Admin's private", "Later in December"]
    );
    assert_eq!(
        api.titles(span, &cast.member).await,
        ["First of December", "Later in December"]
    );
    assert_eq!(api.titles(span, &cast.guest).await, ["First of December"]);
    let answer = api.ok(span, &cast.member).await;
    assert_eq!(answer["truncated"], false);
    assert_eq!(answer["items"][1]["id"], later["id"]);
    assert_eq!(answer["items"][1]["due_on"], "2026-12-30");
    assert!(answer.to_string().find(&id(&hidden)).is_none());
    let one_project = format!("{span}&project_id={project}");
    assert_eq!(
        api.titles(&one_project, &cast.guest).await,
        ["First of December"]
    );

    for (path, field) in [
        ("calendar?until=2027-01-11", "from"),
        ("calendar?from=2026-11-30", "until"),
        ("calendar?from=2026-11-30&until=2026-11-30", "until"),
        ("calendar?from=2026-11-30&until=2027-01-12", "until"),
        ("calendar?from=30/11/2026&until=2027-01-11", "from"),
        (
            "calendar?from=2026-11-30&until=2027-01-11&project_id=nope",
            "project_id",
        ),
    ] {
        assert_eq!(
            api.invalid_field("GET", path, &cast.member, None).await,
            field,
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recurring_task_over_rest_makes_its_next_occurrence_when_done() {
    let app = spawn_app().await;
    let (cast, api) = setup(&app).await;
    let project = id(&api
        .create("projects", &cast.admin, json!({"name": "Rent"}))
        .await);
    let task = api
        .create(
            "tasks",
            &cast.member,
            json!({"project_id": project, "title": "Pay the rent", "due_on": "2026-10-25"}),
        )
        .await;
    let path = format!("tasks/{}/recurrence", id(&task));
    assert_eq!(
        api.call("GET", &path, &cast.member, None).await.status,
        StatusCode::NOT_FOUND,
        "no rule yet"
    );

    // Bad rules are named, and change nothing.
    for (body, field) in [
        (
            json!({"unit": "years", "every": 1, "trigger": "on_done"}),
            "unit",
        ),
        (
            json!({"unit": "months", "every": 0, "month_day": 25, "trigger": "on_done"}),
            "every",
        ),
        (
            json!({"unit": "months", "every": 1, "trigger": "on_done"}),
            "month_day",
        ),
        (
            json!({"unit": "months", "every": 1, "month_day": 32, "trigger": "on_done"}),
            "month_day",
        ),
        (
            json!({"unit": "weeks", "every": 1, "trigger": "on_done"}),
            "weekdays",
        ),
        (
            json!({"unit": "weeks", "every": 1, "weekdays": ["someday"], "trigger": "on_done"}),
            "weekdays",
        ),
        (
            json!({"unit": "days", "every": 1, "trigger": "later"}),
            "trigger",
        ),
    ] {
        assert_eq!(
            api.invalid_field("PUT", &path, &cast.member, Some(body.clone()))
                .await,
            field,
            "{body}"
        );
    }
    assert_eq!(
        api.call("GET", &path, &cast.member, None).await.status,
        StatusCode::NOT_FOUND
    );

    let set = api
        .call(
            "PUT",
            &path,
            &cast.member,
            Some(json!({"unit": "months", "every": 1, "month_day": 25, "trigger": "on_done"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.json()["next_on"], "2026-11-25");
    assert_eq!(set.json()["weekdays"], json!([]));
    let shown = api.ok(&format!("tasks/{}", id(&task)), &cast.member).await;
    assert_eq!(shown["recurring"], true);

    // Completing it makes the next one, due a month later across the October change.
    let done = api
        .call(
            "PATCH",
            &format!("tasks/{}", id(&task)),
            &cast.member,
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.json()["recurring"], false, "the rule moved on");
    let listed = api.ok("tasks?q=rent", &cast.member).await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{listed}");
    let next = items.iter().find(|t| t["status"] == "todo").unwrap();
    assert_eq!(next["due_on"], "2026-11-25");
    assert_eq!(next["recurring"], true);
    let rule = api
        .ok(&format!("tasks/{}/recurrence", id(next)), &cast.member)
        .await;
    assert_eq!(rule["next_on"], "2026-12-25");
    assert_eq!(
        api.call("GET", &path, &cast.member, None).await.status,
        StatusCode::NOT_FOUND,
        "the done task no longer repeats"
    );

    // A guest does not see the occurrence of a task they do not view.
    let guest_list = api.ok("tasks?q=rent", &cast.guest).await;
    assert_eq!(guest_list["items"], json!([]));
    let stopped = api
        .call(
            "DELETE",
            &format!("tasks/{}/recurrence", id(next)),
            &cast.member,
            None,
        )
        .await;
    assert_eq!(stopped.status, StatusCode::NO_CONTENT);
}
