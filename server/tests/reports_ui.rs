//! The server functions behind the time and audit pages, through the real router: they answer
//! with the same figures as the core report, convert typed euros and Brussels wall times on the
//! server, refuse garbage naming the field, and show the history to admins only.

mod common;

use axum::http::StatusCode;
use bastion_core::{
    time_entries::{self, ReportGroup, TimeFilter},
    workspaces, Actor, TenantTx, Viewer,
};
use common::{spawn_app, Cast, TestApp};
use serde_json::json;

async fn record(
    app: &TestApp,
    cast: &Cast,
    cookie: &str,
    task: uuid::Uuid,
    body: serde_json::Value,
) {
    let mut body = body;
    body["task_id"] = json!(task);
    let answer = app.post_as(cookie, &cast.api("/time-entries"), body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_function_gives_the_core_reports_cents() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (first, second) = (
        app.seed_task(&cast.slug, cast.admin_id, false).await,
        app.seed_task(&cast.slug, cast.admin_id, false).await,
    );
    // Amounts that round: 7 minutes at €1.00/h is 11.67 cents, 20 minutes at €95.55/h 3185.
    record(
        &app,
        &cast,
        &cast.admin,
        first,
        json!({"started_at": "2026-03-02T08:00:00Z", "minutes": 7, "rate_cents": 100}),
    )
    .await;
    record(
        &app,
        &cast,
        &cast.admin,
        second,
        json!({"started_at": "2026-03-03T08:00:00Z", "minutes": 20, "rate_cents": 9555}),
    )
    .await;
    record(
        &app,
        &cast,
        &cast.member,
        first,
        json!({"started_at": "2026-03-04T08:00:00Z", "minutes": 60, "rate_cents": 9000}),
    )
    .await;
    record(&app, &cast, &cast.member, first, json!({"started_at": "2026-03-05T08:00:00Z", "minutes": 30, "billable": false, "rate_cents": 9000})).await;

    let ws = workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    let filter = TimeFilter {
        from: Some(time::macros::date!(2026 - 03 - 01)),
        to: Some(time::macros::date!(2026 - 03 - 31)),
        ..Default::default()
    };
    for (cookie, user, role) in [
        (&cast.admin, cast.admin_id, "admin"),
        (&cast.member, cast.member_id, "member"),
    ] {
        for group in ["project", "person", "week", "day"] {
            let mut tx = TenantTx::begin(&app.db.pool, &ws.schema(), Actor::User(user))
                .await
                .unwrap();
            let core = time_entries::report(
                &mut tx,
                Viewer {
                    user_id: user,
                    role: bastion_core::Role::parse(role).unwrap(),
                },
                ReportGroup::parse(group).unwrap(),
                &filter,
            )
            .await
            .unwrap();
            tx.rollback().await.unwrap();

            let answer = app
                .server_fn(
                    "time_report",
                    cookie,
                    &format!(
                        "slug={}&group={group}&from=2026-03-01&to=2026-03-31",
                        cast.slug
                    ),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "{role} {group}: {}",
                answer.body
            );
            let page = answer.json();
            let lines = page["lines"].as_array().unwrap();
            assert_eq!(lines.len(), core.len(), "{role} {group}");
            // The page orders people and projects by name, the core by key: compare by key.
            for line in lines {
                let row = core
                    .iter()
                    .find(|r| line["key"] == r.key.as_str())
                    .unwrap_or_else(|| panic!("{role} {group}: no core row for {line}"));
                assert_eq!(line["amount_cents"], row.amount_cents, "{role} {group}");
                assert_eq!(line["minutes"], row.minutes, "{role} {group}");
            }
            let total: i64 = core.iter().map(|r| r.amount_cents).sum();
            assert_eq!(page["total_amount_cents"], total, "{role} {group}");
        }
    }

    // Concretely: the admin sees 12 + 3185 + 9000 cents, the member only their own 9000.
    let everyone = app
        .server_fn(
            "time_report",
            &cast.admin,
            &format!("slug={}&from=2026-03-01&to=2026-03-31", cast.slug),
        )
        .await
        .json();
    assert_eq!(everyone["total_amount_cents"], 12 + 3185 + 9000);
    assert_eq!(everyone["total_minutes"], 7 + 20 + 60 + 30);
    let own = app
        .server_fn(
            "time_report",
            &cast.member,
            &format!(
                "slug={}&from=2026-03-01&to=2026-03-31&group=person",
                cast.slug
            ),
        )
        .await
        .json();
    assert_eq!(own["total_amount_cents"], 9000);
    assert_eq!(own["lines"][0]["label"], "member");

    let guest = app
        .server_fn("time_report", &cast.guest, &format!("slug={}", cast.slug))
        .await;
    assert_eq!(guest.status, StatusCode::FORBIDDEN);
    assert!(
        guest.body.contains("Guests do not track time."),
        "{}",
        guest.body
    );
    let bad = app
        .server_fn(
            "time_report",
            &cast.admin,
            &format!("slug={}&group=fortnight", cast.slug),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("The grouping must be"), "{}", bad.body);
    // Dates the report cannot use are answered inside the page, beside the form as typed.
    let reversed = app
        .server_fn(
            "time_report",
            &cast.admin,
            &format!("slug={}&from=2026-03-31&to=2026-03-01", cast.slug),
        )
        .await;
    assert_eq!(reversed.status, StatusCode::OK, "{}", reversed.body);
    let page = reversed.json();
    assert!(
        page["error"].as_str().unwrap().contains("after"),
        "{}",
        reversed.body
    );
    assert_eq!(page["from"], "2026-03-31");
    assert_eq!(page["lines"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_time_converts_euros_and_brussels_time_and_names_bad_fields() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let form = |started: &str, minutes: &str, rate: &str| {
        format!(
            "slug={}&task_id={task}&started={started}&minutes={minutes}&billable=on&rate={rate}&note=Review",
            cast.slug
        )
    };

    // `12,345` could be twelve thousand or twelve euros: refused, naming the rate.
    for (started, minutes, rate, named) in [
        (
            "2026-03-30T09%3A30",
            "90",
            "12%2C345",
            "The rate must be an amount in euros",
        ),
        (
            "2026-03-30T09%3A30",
            "90",
            "-5",
            "The rate must be an amount in euros",
        ),
        (
            "2026-03-30T09%3A30",
            "ninety",
            "90",
            "The duration must be whole minutes",
        ),
        (
            "2026-03-30T09%3A30",
            "0",
            "90",
            "The duration must be between 1 and 1440",
        ),
        (
            "30%2F03%2F2026",
            "90",
            "90",
            "The start must be a date and time",
        ),
        (
            "1999-12-31T09%3A30",
            "90",
            "90",
            "The start must not be before 2000",
        ),
    ] {
        let answer = app
            .server_fn("log_time", &cast.member, &form(started, minutes, rate))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{rate} {minutes}: {}",
            answer.body
        );
        assert!(answer.body.contains(named), "{named}: {}", answer.body);
    }
    let no_task = app
        .server_fn(
            "log_time",
            &cast.member,
            &format!(
                "slug={}&task_id=&started=2026-03-30T09%3A30&minutes=90&rate=",
                cast.slug
            ),
        )
        .await;
    assert_eq!(no_task.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_task.body.contains("The task must be chosen"),
        "{}",
        no_task.body
    );

    // 09:30 on 30 March 2026 in Brussels is summer time (UTC+2); `90,50` is €90.50.
    let logged = app
        .server_fn(
            "log_time",
            &cast.member,
            &form("2026-03-30T09%3A30", "1%3A30", "90%2C50"),
        )
        .await;
    assert_eq!(logged.status, StatusCode::OK, "{}", logged.body);
    let list = app
        .get_as(&cast.member, &cast.api("/time-entries"))
        .await
        .json();
    let entry = &list["items"][0];
    assert_eq!(entry["started_at"], "2026-03-30T07:30:00Z");
    assert_eq!(entry["minutes"], 90);
    assert_eq!(entry["rate_cents"], 9050);
    assert_eq!(entry["amount_cents"], 13575);

    // The page's list shows it back in Brussels time, with the task's title.
    let page = app
        .server_fn("time_entries", &cast.member, &format!("slug={}", cast.slug))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let page = page.json();
    assert_eq!(page["items"][0]["started"], "2026-03-30 09:30");
    assert_eq!(page["items"][0]["task_title"], "Seeded task");
    assert_eq!(page["tasks"][0]["id"], task.to_string());
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();

    // The admin sees it; the member edits it (winter time now: 2026-01-15 is UTC+1) and deletes it.
    let admin_page = app
        .server_fn("time_entries", &cast.admin, &format!("slug={}", cast.slug))
        .await
        .json();
    assert_eq!(admin_page["items"][0]["person"], "member");
    assert_eq!(admin_page["items"][0]["own"], false);
    let edited = app
        .server_fn(
            "change_time_entry",
            &cast.member,
            &format!(
                "slug={}&id={id}&started=2026-01-15T09%3A00&minutes=45&rate=100",
                cast.slug
            ),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let list = app
        .get_as(&cast.member, &cast.api("/time-entries"))
        .await
        .json();
    let entry = &list["items"][0];
    assert_eq!(entry["id"], id.as_str());
    assert_eq!(entry["started_at"], "2026-01-15T08:00:00Z");
    assert_eq!(entry["billable"], false, "an unticked box is not billable");
    assert_eq!(entry["rate_cents"], 10000);
    let deleted = app
        .server_fn(
            "delete_time_entry",
            &cast.member,
            &format!("slug={}&id={id}", cast.slug),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);

    // The history shows the entry's life, with the member named as actor.
    let audit = app
        .server_fn(
            "audit_events",
            &cast.admin,
            &format!("slug={}&entity=time_entry", cast.slug),
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    let audit = audit.json();
    let actions: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["deleted", "updated", "created"]);
    assert_eq!(audit["events"][0]["actor"], "member");
    assert_eq!(audit["events"][0]["entity"], "Time entry");
    let update = &audit["events"][1]["changes"];
    assert!(
        update
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "rate" && c["before"] == "€90.50" && c["after"] == "€100.00"),
        "{update}"
    );
    assert_eq!(audit["can_export"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_function_filters_pages_and_refuses_non_admins() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    for minutes in 1..=30 {
        record(
            &app,
            &cast,
            &cast.member,
            task,
            json!({"started_at": "2026-03-30T08:00:00Z", "minutes": minutes}),
        )
        .await;
    }
    let first = app
        .server_fn(
            "audit_events",
            &cast.admin,
            &format!("slug={}&actor={}", cast.slug, cast.member_id),
        )
        .await
        .json();
    assert_eq!(first["events"].as_array().unwrap().len(), 25);
    let older = first["older"].as_str().unwrap();
    let rest = app
        .server_fn(
            "audit_events",
            &cast.admin,
            &format!("slug={}&actor={}&before={older}", cast.slug, cast.member_id),
        )
        .await
        .json();
    assert_eq!(rest["events"].as_array().unwrap().len(), 5);
    assert!(rest["older"].is_null());
    // The export link carries the filters the REST endpoint understands.
    assert_eq!(
        first["export_filters"],
        format!("&actor={}", cast.member_id)
    );

    // Today's Brussels date range includes the events just made; a date in 2020 none.
    let old = app
        .server_fn(
            "audit_events",
            &cast.admin,
            &format!("slug={}&from=2020-01-01&to=2020-01-31", cast.slug),
        )
        .await
        .json();
    assert_eq!(old["events"].as_array().unwrap().len(), 0);
    assert!(
        old["export_filters"]
            .as_str()
            .unwrap()
            .contains("from=2019-12-31T23%3A00%3A00Z"),
        "{}",
        old["export_filters"]
    );

    for (form, named) in [
        ("entity=project", "The entity type"),
        ("actor=robert%27%3B", "The actor"),
        ("from=2026-04-01&to=2026-03-01", "The first date"),
        ("before=abc", "The page position"),
    ] {
        let answer = app
            .server_fn(
                "audit_events",
                &cast.admin,
                &format!("slug={}&{form}", cast.slug),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{form}: {}",
            answer.body
        );
        assert!(answer.body.contains(named), "{form}: {}", answer.body);
    }
    let member = app
        .server_fn("audit_events", &cast.member, &format!("slug={}", cast.slug))
        .await;
    assert_eq!(member.status, StatusCode::FORBIDDEN);
    assert!(member
        .body
        .contains("Only workspace admins read the audit history."));
    let stranger = app
        .server_fn(
            "audit_events",
            &cast.stranger,
            &format!("slug={}", cast.slug),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
}
