//! Attachments and export archives in S3-compatible object storage, through the REST API, on
//! a real S3 server (`s3s-fs`, started here) and the real router and database.

mod common;
mod s3_server;

use std::io::Read;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use bastion_core::storage::Objects;
use common::{spawn_app_with, Cast, TestApp};
use http_body_util::BodyExt;
use s3_server::S3Server;
use serde_json::json;
use tower::ServiceExt;

/// A GET as `cookie`, with an optional `Range`; the status, headers, the body and how many
/// frames it arrived in.
async fn fetch(
    app: &TestApp,
    cookie: &str,
    uri: &str,
    range: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>, usize) {
    let mut request = Request::get(uri).header(header::COOKIE, cookie);
    if let Some(range) = range {
        request = request.header(header::RANGE, range);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let mut body = response.into_body();
    let (mut bytes, mut frames) = (Vec::new(), 0);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            bytes.extend_from_slice(&data);
            frames += 1;
        }
    }
    (status, headers, bytes, frames)
}

fn workspace_key_prefix(prefix: &str, ws: bastion_core::WorkspaceId) -> String {
    format!("{prefix}/{}", Objects::workspace_prefix(ws))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_and_exports_live_in_s3_and_erasure_empties_the_prefix() {
    let s3 = S3Server::start();
    let vars = s3.vars("tenants");
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_with(&vars).await;
    let cast = Cast::new(&app).await;
    let pool = &app.db.pool;
    let acme = bastion_core::workspaces::find_by_slug(pool, &cast.slug)
        .await
        .unwrap()
        .unwrap();
    let globex = bastion_core::workspaces::find_by_slug(pool, &cast.other_slug)
        .await
        .unwrap()
        .unwrap();
    let acme_prefix = workspace_key_prefix("tenants", acme.id);

    // Upload: the bytes land in the bucket, under the configured prefix and the workspace's.
    let task = app.seed_task(&cast.slug, cast.admin_id, false).await;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let uploads = cast.api(&format!("/tasks/{task}/attachments"));
    let up = app
        .upload(
            &uploads,
            Some(&cast.admin),
            "data.bin",
            "application/octet-stream",
            &bytes,
        )
        .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
    let id: uuid::Uuid = up.json()["id"].as_str().unwrap().parse().unwrap();
    let key = format!("{acme_prefix}/{}", id.simple());
    assert_eq!(s3.keys("").await, vec![key.clone()]);

    // Download, whole: streamed from S3 in several frames, never one buffer.
    let download = cast.api(&format!("/attachments/{id}"));
    let (status, headers, body, frames) = fetch(&app, &cast.admin, &download, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, bytes);
    assert!(frames > 1, "{frames} frame(s): the body was not streamed");
    assert_eq!(headers[header::ACCEPT_RANGES], "bytes");
    assert_eq!(headers[header::CONTENT_LENGTH], "300000");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

    // One range: 206, its bytes and Content-Range; a suffix range; one past the end is 416.
    let (status, headers, body, _) =
        fetch(&app, &cast.member, &download, Some("bytes=1000-1999")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(headers[header::CONTENT_RANGE], "bytes 1000-1999/300000");
    assert_eq!(headers[header::CONTENT_LENGTH], "1000");
    assert_eq!(body, &bytes[1000..2000]);
    let (status, headers, body, _) = fetch(&app, &cast.admin, &download, Some("bytes=-10")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(headers[header::CONTENT_RANGE], "bytes 299990-299999/300000");
    assert_eq!(body, &bytes[299_990..]);
    let (status, headers, body, _) =
        fetch(&app, &cast.admin, &download, Some("bytes=300000-")).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(headers[header::CONTENT_RANGE], "bytes */300000");
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"]["code"], "range_not_satisfiable");
    // A range does not open a door: a stranger still gets 404.
    let (status, ..) = fetch(&app, &cast.stranger, &download, Some("bytes=0-9")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Delete: the object goes from the bucket.
    let deleted = app.delete_as(&cast.admin, &download).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert!(s3.keys("").await.is_empty());

    // An export, built by the runner, stored in the bucket and downloaded from there, whole and
    // in part; it carries the attachment streamed from S3.
    let kept = app
        .upload(
            &uploads,
            Some(&cast.admin),
            "plan.txt",
            "text/plain",
            b"the plan, in S3",
        )
        .await;
    assert_eq!(kept.status, StatusCode::CREATED, "{}", kept.body);
    let kept_id = kept.json()["id"].as_str().unwrap().to_owned();
    let other_task = app
        .seed_task(&cast.other_slug, uuid::Uuid::nil(), false)
        .await;
    let theirs = app
        .upload(
            &format!(
                "/api/v1/workspaces/{}/tasks/{other_task}/attachments",
                cast.other_slug
            ),
            Some(&cast.stranger),
            "theirs.txt",
            "text/plain",
            b"globex's",
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    let started = app
        .call("POST", &cast.api("/export"), Some(&cast.admin), None)
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let export: uuid::Uuid = started.json()["id"].as_str().unwrap().parse().unwrap();
    let report = bastion_core::exports::run_pending(pool, &app.objects)
        .await
        .unwrap();
    assert_eq!(report.exports_built, 1, "{report:?}");
    let archive_key = format!("{acme_prefix}/exports/{}.zip", export.simple());
    assert!(s3.keys(&acme_prefix).await.contains(&archive_key));
    let archive_uri = cast.api(&format!("/export/{export}/download"));
    let (status, headers, zip_bytes, _) = fetch(&app, &cast.admin, &archive_uri, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.clone())).unwrap();
    let mut plan = String::new();
    zip.by_name(&format!("files/{kept_id}/plan.txt"))
        .unwrap()
        .read_to_string(&mut plan)
        .unwrap();
    assert_eq!(plan, "the plan, in S3");
    let (status, headers, head, _) =
        fetch(&app, &cast.admin, &archive_uri, Some("bytes=0-3")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers[header::CONTENT_RANGE],
        format!("bytes 0-3/{}", zip_bytes.len()).as_str()
    );
    assert_eq!(head, b"PK\x03\x04");

    // Erasure: the workspace's prefix is emptied, attachments and archive alike, as the
    // bucket itself shows; the other workspace's object stays.
    let globex_prefix = workspace_key_prefix("tenants", globex.id);
    assert_eq!(s3.keys(&globex_prefix).await.len(), 1);
    let erased = app
        .call(
            "DELETE",
            &format!("/api/v1/workspaces/{}", cast.slug),
            Some(&cast.admin),
            Some(json!({"confirm": "Acme"})),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    assert!(
        s3.keys(&acme_prefix).await.is_empty(),
        "{:?}",
        s3.keys("").await
    );
    assert_eq!(s3.keys(&globex_prefix).await.len(), 1);

    // An erasure interrupted after its commit (a crash before the purge finished: objects left,
    // the receipt unstamped) is finished by the job runner, and running it again is harmless.
    let leftover = format!("{}/left-behind", Objects::workspace_prefix(acme.id));
    app.objects.put(&leftover, "x".into()).await.unwrap();
    // Behind the app's back, as the login that owns the control plane.
    sqlx::query("UPDATE erasure_receipts SET storage_purged_at = NULL WHERE workspace_id = $1")
        .bind(acme.id)
        .execute(&bastion_core::db::provisioning(pool))
        .await
        .unwrap();
    assert_eq!(s3.keys(&acme_prefix).await.len(), 1);
    let report = bastion_core::exports::run_pending(pool, &app.objects)
        .await
        .unwrap();
    assert_eq!(report.erasures_finished, 1, "{report:?}");
    assert!(s3.keys(&acme_prefix).await.is_empty());
    let report = bastion_core::exports::run_pending(pool, &app.objects)
        .await
        .unwrap();
    assert_eq!(report.erasures_finished, 0, "{report:?}");
    assert_eq!(s3.keys(&globex_prefix).await.len(), 1);
}

/// A region outside the EU is refused when the configuration is loaded, before anything is
/// stored, unless the operator overrides it knowingly; `serve` says why and exits.
#[test]
fn a_non_eu_bucket_region_is_refused_at_config_load() {
    let data = tempfile::tempdir().unwrap();
    let base = [
        ("BASTION_DATA_DIR", data.path().to_str().unwrap()),
        ("BASTION_OBJECT_STORE_URL", "s3://bastion-files/prod"),
        (
            "BASTION_OBJECT_STORE_ENDPOINT",
            "https://s3.us-east-1.amazonaws.com",
        ),
        ("BASTION_OBJECT_STORE_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        (
            "BASTION_OBJECT_STORE_SECRET_ACCESS_KEY",
            "never-printed-secret",
        ),
    ];
    let load = |extra: &[(&str, &str)]| {
        bastion::config::Config::load_with_env(Some(std::path::Path::new("/dev/null")), |name| {
            base.iter()
                .chain(extra)
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    };
    for region in ["us-east-1", "eu-west-2", "eu-central-2"] {
        let refused = load(&[("BASTION_OBJECT_STORE_REGION", region)]).unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains("BASTION_OBJECT_STORE_REGION") && message.contains("not an EU region"),
            "{message}"
        );
    }
    // The embedded default means the local disk, not a bucket's region.
    let message = load(&[]).unwrap_err().to_string();
    assert!(message.contains("must be the bucket's region"), "{message}");
    let config = load(&[
        ("BASTION_OBJECT_STORE_REGION", "us-east-1"),
        ("BASTION_ALLOW_NON_EU_REGION", "true"),
    ])
    .unwrap();
    assert!(!format!("{config:?}").contains("never-printed-secret"));
    assert!(load(&[("BASTION_OBJECT_STORE_REGION", "eu-central-1")]).is_ok());

    // The real binary refuses to serve with it, and never prints the secret.
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_bastion"));
    serve
        .arg("serve")
        .current_dir(data.path())
        .env_remove("DATABASE_URL")
        .env("BASTION_OBJECT_STORE_REGION", "us-east-1");
    for (k, v) in base {
        serve.env(k, v);
    }
    let out = serve.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("BASTION_OBJECT_STORE_REGION") && stderr.contains("not an EU region"),
        "{stderr}"
    );
    assert!(!stderr.contains("never-printed-secret"));
    assert!(
        !data.path().join("postgres").exists(),
        "nothing was started before the refusal"
    );
}
