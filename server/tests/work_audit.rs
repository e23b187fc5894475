//! Time entries, attachments and the audit history through the real router: what each role can
//! do, what the answers look like, and that every change lands in the history.

mod common;

use axum::http::StatusCode;
use common::{spawn_app, spawn_app_with, Cast, TestApp};
use serde_json::json;
use uuid::Uuid;

/// Makes `user` a viewer of `task` (guests see only the tasks they view).
async fn add_viewer(app: &TestApp, cast: &Cast, task: Uuid, user: Uuid) {
    let ws = bastion_core::workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    let mut tx = bastion_core::TenantTx::begin(
        &app.db.pool,
        &ws.schema(),
        bastion_core::Actor::User(cast.admin_id),
    )
    .await
    .unwrap();
    sqlx::query("INSERT INTO task_viewers (task_id, user_id) VALUES ($1, $2)")
        .bind(task)
        .bind(user)
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_track_their_own_time_and_reports_use_brussels_weeks() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let entries = cast.api("/time-entries");

    // Sunday 29 March 2026, 22:30 UTC is Monday 00:30 in Brussels: ISO week 14 there.
    let created = app
        .post_as(&cast.member, &entries, json!({"task_id": task, "started_at": "2026-03-29T22:30:00Z", "minutes": 7, "rate_cents": 100}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let entry = created.json();
    assert_eq!(entry["user_id"], cast.member_id.to_string());
    // 7 minutes at €1.00/h = 11.67 cents, rounded half up.
    assert_eq!(entry["amount_cents"], 12);
    assert_eq!(entry["billable"], true);
    app.post_as(&cast.admin, &entries, json!({"task_id": task, "started_at": "2026-03-29T21:30:00Z", "minutes": 60, "rate_cents": 9000}))
    .await;

    // Members record their own time only; guests none.
    let for_admin = app
        .post_as(&cast.member, &entries, json!({"task_id": task, "user_id": cast.admin_id, "started_at": "2026-03-29T10:00:00Z", "minutes": 5}))
        .await;
    assert_eq!(for_admin.status, StatusCode::FORBIDDEN);
    assert!(for_admin.body.contains("own time"), "{}", for_admin.body);
    let invalid = app
        .post_as(
            &cast.member,
            &entries,
            json!({"task_id": task, "started_at": "2026-03-29T10:00:00Z", "minutes": 0}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.json()["error"]["field"], "minutes");
    let bad_time = app
        .post_as(
            &cast.member,
            &entries,
            json!({"task_id": task, "started_at": "yesterday", "minutes": 5}),
        )
        .await;
    assert_eq!(bad_time.json()["error"]["field"], "started_at");

    // The member sees their entry only; the admin both, a page at a time.
    let mine = app.get_as(&cast.member, &entries).await;
    assert_eq!(mine.json()["items"].as_array().unwrap().len(), 1);
    let page = app.get_as(&cast.admin, &format!("{entries}?limit=1")).await;
    let page = page.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], entry["id"], "newest first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = app
        .get_as(&cast.admin, &format!("{entries}?limit=1&cursor={cursor}"))
        .await
        .json();
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert!(next["next_cursor"].is_null());
    let monday = app
        .get_as(
            &cast.admin,
            &format!("{entries}?from=2026-03-30&to=2026-03-30"),
        )
        .await
        .json();
    assert_eq!(monday["items"].as_array().unwrap().len(), 1);

    let report = app
        .get_as(&cast.admin, &cast.api("/time-entries/report?group=week"))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let report = report.json();
    assert_eq!(report["rows"][0]["key"], "2026-W13");
    assert_eq!(report["rows"][0]["amount_cents"], 9000);
    assert_eq!(report["rows"][1]["key"], "2026-W14");
    assert_eq!(report["rows"][1]["label"], "2026-03-30");
    assert_eq!(report["total_amount_cents"], 9012);
    assert_eq!(report["total_minutes"], 67);
    let member_report = app
        .get_as(&cast.member, &cast.api("/time-entries/report?group=person"))
        .await
        .json();
    assert_eq!(
        member_report["total_amount_cents"], 12,
        "their own time only"
    );
    let bad_group = app
        .get_as(&cast.admin, &cast.api("/time-entries/report?group=month"))
        .await;
    assert_eq!(bad_group.json()["error"]["field"], "group");

    // Their own entry the member changes and deletes.
    let id = entry["id"].as_str().unwrap();
    let changed = app
        .patch_as(
            &cast.member,
            &cast.api(&format!("/time-entries/{id}")),
            json!({"minutes": 60, "billable": false}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.json()["amount_cents"], 0);
    let deleted = app
        .delete_as(&cast.member, &cast.api(&format!("/time-entries/{id}")))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_stored_by_key_and_always_downloaded_never_rendered() {
    let app = spawn_app_with(&[("BASTION_MAX_UPLOAD_BYTES", "64")]).await;
    let cast = Cast::new(&app).await;
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let uploads = cast.api(&format!("/tasks/{task}/attachments"));

    let page = b"<html><script>alert(1)</script></html>";
    let uploaded = app
        .upload(
            &uploads,
            Some(&cast.member),
            "../../Offerte été.html",
            "text/html",
            page,
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let attachment = uploaded.json();
    let id = attachment["id"].as_str().unwrap().to_owned();
    assert_eq!(attachment["size_bytes"], page.len());
    let filename = attachment["filename"].as_str().unwrap().to_owned();
    assert_eq!(filename, "Offerte été.html");

    // The bytes sit under the workspace's prefix, named by the attachment's id alone.
    let ws = bastion_core::workspaces::find_by_slug(&app.db.pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    let stored = app
        .data_dir
        .path()
        .join("objects")
        .join(ws.id.0.simple().to_string())
        .join(Uuid::parse_str(&id).unwrap().simple().to_string());
    assert_eq!(std::fs::read(&stored).unwrap(), page);

    let listed = app.get_as(&cast.admin, &uploads).await;
    assert_eq!(listed.json()["items"][0]["id"], id.as_str());

    let download_path = cast.api(&format!("/attachments/{id}"));
    let download = app.get_as(&cast.admin, &download_path).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body.as_bytes(), page);
    assert_eq!(download.header("x-content-type-options"), "nosniff");
    // Opened anyway, the uploaded page runs sandboxed with nothing allowed, not as Bastion.
    assert_eq!(
        download.header("content-security-policy"),
        "sandbox; default-src 'none'"
    );
    assert_eq!(download.header("content-type"), "text/html");
    let disposition = download.header("content-disposition");
    assert!(disposition.starts_with("attachment; "), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");

    // A guest downloads on a task they view but uploads nothing.
    let not_viewed = app.get_as(&cast.guest, &download_path).await;
    assert_eq!(not_viewed.status, StatusCode::NOT_FOUND);
    add_viewer(&app, &cast, task, cast.guest_id).await;
    let viewed = app.get_as(&cast.guest, &download_path).await;
    assert_eq!(viewed.status, StatusCode::OK);
    let guest_upload = app
        .upload(&uploads, Some(&cast.guest), "x.txt", "text/plain", b"x")
        .await;
    assert_eq!(guest_upload.status, StatusCode::FORBIDDEN);

    // An upload is the one part `file`: another part, before or after it, is named and nothing
    // is stored.
    let before = app.get_as(&cast.admin, &uploads).await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    for parts in [
        [
            ("note", "n.txt", "text/plain", &b"n"[..]),
            ("file", "a.txt", "text/plain", &b"a"[..]),
        ],
        [
            ("file", "a.txt", "text/plain", &b"a"[..]),
            ("note", "n.txt", "text/plain", &b"n"[..]),
        ],
    ] {
        let refused = app.upload_parts(&uploads, Some(&cast.admin), &parts).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert_eq!(refused.json()["error"]["field"], "note");
    }
    let after = app.get_as(&cast.admin, &uploads).await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before);

    // Too large for the configured limit.
    let big = app
        .upload(
            &uploads,
            Some(&cast.admin),
            "big.bin",
            "application/octet-stream",
            &[7u8; 65],
        )
        .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.body);

    // `?redirect=1` answers the task page's plain HTML form: 303 back to the task page, saying
    // how it went, and never JSON; refusals stay JSON errors.
    let from_form = format!("{uploads}?redirect=1");
    let task_page = format!("/w/{}/tasks/{task}", cast.slug);
    for (bytes, outcome) in [(&b"fine"[..], "uploaded"), (&[7u8; 65][..], "too_large")] {
        let answer = app
            .upload(
                &from_form,
                Some(&cast.member),
                "form.txt",
                "text/plain",
                bytes,
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(
            answer.header("location"),
            format!("{task_page}?attachment={outcome}#attachments")
        );
    }
    let nameless = app
        .upload(&from_form, Some(&cast.member), "", "text/plain", b"x")
        .await;
    assert_eq!(nameless.status, StatusCode::SEE_OTHER);
    assert!(nameless
        .header("location")
        .ends_with("?attachment=invalid#attachments"));
    let guest_form = app
        .upload(&from_form, Some(&cast.guest), "x.txt", "text/plain", b"x")
        .await;
    assert_eq!(guest_form.status, StatusCode::FORBIDDEN);
    let missing = app
        .post_as(&cast.admin, &uploads, json!({"file": "x"}))
        .await;
    assert!(missing.status.is_client_error(), "{}", missing.body);

    // Admins delete anyone's upload; the bytes go too.
    let admins = app
        .upload(&uploads, Some(&cast.admin), "a.txt", "text/plain", b"admin")
        .await
        .json();
    let admins_path = cast.api(&format!("/attachments/{}", admins["id"].as_str().unwrap()));
    let refused = app.delete_as(&cast.member, &admins_path).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let removed = app.delete_as(&cast.admin, &download_path).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert!(!stored.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_read_the_history_and_business_workspaces_export_it() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let created = app
        .post_as(&cast.member, &cast.api("/time-entries"), json!({"task_id": task, "started_at": "2026-03-29T22:30:00Z", "minutes": 30, "rate_cents": 9000}))
        .await
        .json();
    app.patch_as(
        &cast.member,
        &cast.api(&format!(
            "/time-entries/{}",
            created["id"].as_str().unwrap()
        )),
        json!({"minutes": 45}),
    )
    .await;

    let audit = cast.api("/audit");
    let events = app.get_as(&cast.admin, &audit).await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.body);
    let events = events.json();
    let items = events["items"].as_array().unwrap();
    // Newest first: the update, the creation, then the seeded task.
    assert_eq!(items[0]["action"], "updated");
    assert_eq!(items[0]["entity_type"], "time_entry");
    assert_eq!(items[0]["actor"], cast.member_id.to_string());
    assert_eq!(
        items[0]["changes"],
        json!({"minutes": {"before": 30, "after": 45}})
    );
    assert_eq!(items[1]["action"], "created");
    assert_eq!(items[2]["entity_type"], "task");

    let filtered = app
        .get_as(
            &cast.admin,
            &format!("{audit}?entity=task&actor={}", cast.admin_id),
        )
        .await
        .json();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    let future = app
        .get_as(&cast.admin, &format!("{audit}?from=2999-01-01T00:00:00Z"))
        .await
        .json();
    assert!(future["items"].as_array().unwrap().is_empty());
    let bad = app
        .get_as(&cast.admin, &format!("{audit}?entity=members"))
        .await;
    assert_eq!(bad.json()["error"]["field"], "entity");
    let paged = app
        .get_as(&cast.admin, &format!("{audit}?limit=2"))
        .await
        .json();
    let cursor = paged["next_cursor"].as_str().unwrap();
    let rest = app
        .get_as(&cast.admin, &format!("{audit}?limit=2&cursor={cursor}"))
        .await
        .json();
    assert_eq!(rest["items"][0]["entity_type"], "task");

    let timeline = app
        .get_as(&cast.admin, &cast.api(&format!("/tasks/{task}/history")))
        .await
        .json();
    assert_eq!(timeline["items"].as_array().unwrap().len(), 3);
    let member_timeline = app
        .get_as(&cast.member, &cast.api(&format!("/tasks/{task}/history")))
        .await;
    assert_eq!(member_timeline.status, StatusCode::FORBIDDEN);

    // Export: Business only, with a message that says so.
    let export = cast.api("/audit/export");
    let starter = app.get_as(&cast.admin, &export).await;
    assert_eq!(starter.status, StatusCode::FORBIDDEN);
    assert!(
        starter.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Business plan"),
        "{}",
        starter.body
    );
    sqlx::query("UPDATE workspaces SET plan = 'business' WHERE slug = $1")
        .bind(&cast.slug)
        .execute(&app.db.provisioning)
        .await
        .unwrap();
    let csv = app.get_as(&cast.admin, &export).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        csv.header("content-disposition"),
        "attachment; filename=\"audit-acme.csv\""
    );
    assert_eq!(csv.body.lines().count(), 4, "{}", csv.body);
    let json_export = app
        .get_as(&cast.admin, &format!("{export}?format=json"))
        .await;
    assert_eq!(json_export.header("content-type"), "application/json");
    assert_eq!(json_export.json().as_array().unwrap().len(), 3);
    let member_export = app.get_as(&cast.member, &export).await;
    assert_eq!(member_export.status, StatusCode::FORBIDDEN);
    let bad_format = app
        .get_as(&cast.admin, &format!("{export}?format=xml"))
        .await;
    assert_eq!(bad_format.json()["error"]["field"], "format");
}
