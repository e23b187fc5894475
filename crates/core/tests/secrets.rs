//! Secrets at rest against a real PostgreSQL: what a dump holds, what each rotation touches, that
//! an interrupted rotation never strands a value, and that destroying a workspace's wrapped key
//! destroys its secrets everywhere, backups included.

mod common;

use std::{ops::ControlFlow, time::Duration};

use base64::Engine;
use bastion_core::{
    integrations,
    keys::{Key, MasterKeyRing},
    secrets::{self, RotationEvent, SecretString},
    testing::TestDb,
    workspaces::{self, Workspace},
    Actor, CoreError, Slug, TenantTx, WorkspaceId,
};
use bastion_fernet::{Fernet, MultiFernet};
use common::{admin, lock_waiters};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use uuid::Uuid;

async fn workspace(pool: &PgPool, master: &MasterKeyRing, slug: &str) -> Workspace {
    workspaces::create_workspace(pool, master, &Slug::parse(slug).unwrap(), slug)
        .await
        .unwrap_or_else(|e| panic!("create workspace {slug}: {e}"))
}

async fn add(
    pool: &PgPool,
    master: &MasterKeyRing,
    ws: &Workspace,
    name: &str,
    token: &str,
) -> Uuid {
    let (mut tx, key) = secrets::begin_with_data_key(pool, master, ws.id, Actor::System)
        .await
        .unwrap();
    let added = integrations::add_integration(&mut tx, &key, "github", name, &token.into())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    added.id
}

/// Every integration token of a workspace as stored, by id (read as the superuser).
async fn ciphertexts(admin: &mut PgConnection, ws: &Workspace) -> Vec<(Uuid, String, String)> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT id, token_ciphertext, xmin::text FROM {}.integrations ORDER BY id",
        ws.schema().quoted()
    )))
    .fetch_all(admin)
    .await
    .unwrap()
}

async fn wrapped_keys(pool: &PgPool) -> Vec<(WorkspaceId, String, Option<String>)> {
    sqlx::query_as(
        "SELECT workspace_id, wrapped, next_wrapped FROM workspace_keys ORDER BY workspace_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Every token of `ws`, decrypted the way the server does it, by name.
async fn revealed(pool: &PgPool, master: &MasterKeyRing, ws: &Workspace) -> Vec<(String, String)> {
    let (mut tx, key) = secrets::begin_with_data_key(pool, master, ws.id, Actor::System)
        .await
        .unwrap();
    let mut out = Vec::new();
    for integration in integrations::list_integrations(&mut tx).await.unwrap() {
        let token = integrations::reveal_integration_token(&mut tx, &key, integration.id)
            .await
            .unwrap_or_else(|e| panic!("{} of {} must decrypt: {e}", integration.name, ws.slug));
        out.push((integration.name, token.expose().to_owned()));
    }
    tx.commit().await.unwrap();
    out
}

fn stop_after(limit: usize) -> impl FnMut(&RotationEvent) -> ControlFlow<()> {
    let mut seen = 0;
    move |_| {
        seen += 1;
        if seen >= limit {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

fn keep_going(_: &RotationEvent) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

#[tokio::test]
async fn integrations_are_listed_masked_and_only_the_server_reads_the_token() {
    let db = TestDb::new().await;
    let master = MasterKeyRing::generate();
    let ws = workspace(&db.pool, &master, "acme").await;
    let user = Uuid::new_v4();
    let (mut tx, key) = secrets::begin_with_data_key(&db.pool, &master, ws.id, Actor::User(user))
        .await
        .unwrap();

    let token = SecretString::from("glpat-Plain-Token-1234");
    let added = integrations::add_integration(&mut tx, &key, "gitlab", " CI ", &token)
        .await
        .unwrap();
    assert_eq!(added.name, "CI");
    assert_eq!(added.token_masked, "••••1234");
    assert_eq!(added.created_by, Some(user));
    assert!(!format!("{added:?} {key:?} {token:?}").contains("Plain-Token"));

    for (kind, name, token, field) in [
        ("svn", "x", "long-enough-token", "kind"),
        ("slack", "  ", "long-enough-token", "name"),
        ("slack", &"n".repeat(101), "long-enough-token", "name"),
        ("slack", "ok", "short", "access_token"),
        ("slack", "ok", &"t".repeat(4097), "access_token"),
    ] {
        let err = integrations::add_integration(&mut tx, &key, kind, name, &token.into())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CoreError::Invalid { field: f, .. } if *f == field),
            "{kind}/{name}: {err}"
        );
    }

    let listed = integrations::list_integrations(&mut tx).await.unwrap();
    assert_eq!(listed, vec![added.clone()]);
    let json = serde_json::to_string(&listed).unwrap();
    assert!(
        !json.contains("Plain-Token") && json.contains("••••1234"),
        "{json}"
    );
    let plain = integrations::reveal_integration_token(&mut tx, &key, added.id)
        .await
        .unwrap();
    assert_eq!(plain.expose(), "glpat-Plain-Token-1234");

    integrations::delete_integration(&mut tx, added.id)
        .await
        .unwrap();
    for err in [
        integrations::delete_integration(&mut tx, added.id)
            .await
            .unwrap_err(),
        integrations::reveal_integration_token(&mut tx, &key, added.id)
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, CoreError::NotFound("integration")), "{err}");
    }
    tx.commit().await.unwrap();

    // Workspace roles never see the wrapped keys: they live in the control plane.
    let mut tx = TenantTx::begin(&db.pool, &ws.schema(), Actor::System)
        .await
        .unwrap();
    let err = sqlx::query("SELECT wrapped FROM public.workspace_keys")
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
}

#[tokio::test]
async fn a_database_dump_holds_no_plaintext_token() {
    let db = TestDb::new().await;
    let master_key = Key::generate();
    let master = MasterKeyRing::new(vec![master_key.clone()]).unwrap();
    let ws = workspace(&db.pool, &master, "acme").await;
    let token = "ghp_KnownPlaintextToken0123456789abcdefXYZ";
    add(&db.pool, &master, &ws, "GitHub", token).await;
    let stored = ciphertexts(&mut admin(&db).await, &ws).await;

    let dump = db.pg_dump();
    assert!(dump.contains("CREATE TABLE") && dump.contains("integrations"));
    assert!(dump.contains(&stored[0].1), "the ciphertext is in the dump");
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let mut forbidden = vec![token.to_owned(), token[..20].to_owned()];
    forbidden.extend(engines.iter().map(|e| e.encode(token)));
    forbidden.push(token.bytes().map(|b| format!("{b:02x}")).collect());
    forbidden.push(master_key.to_base64());
    forbidden.push(master_key.to_base64().trim_end_matches('=').to_owned());
    for needle in &forbidden {
        assert!(
            !dump.contains(needle.as_str()),
            "the dump contains {needle}"
        );
    }
}

#[tokio::test]
async fn master_rotation_rewraps_data_keys_and_touches_no_tenant_row() {
    let db = TestDb::new().await;
    let (old, new) = (Key::generate(), Key::generate());
    let old_ring = MasterKeyRing::new(vec![old.clone()]).unwrap();
    let spaces = [
        workspace(&db.pool, &old_ring, "alpha").await,
        workspace(&db.pool, &old_ring, "beta").await,
        workspace(&db.pool, &old_ring, "gamma").await,
    ];
    for ws in &spaces {
        for name in ["one", "two"] {
            let token = format!("token-{name}-{}", ws.slug);
            add(&db.pool, &old_ring, ws, name, &token).await;
        }
    }
    let mut admin = admin(&db).await;
    let mut rows_before = Vec::new();
    for ws in &spaces {
        rows_before.push(ciphertexts(&mut admin, ws).await);
    }
    let wrapped_before = wrapped_keys(&db.pool).await;

    let both = MasterKeyRing::new(vec![new.clone(), old.clone()]).unwrap();
    let new_only = MasterKeyRing::new(vec![new.clone()]).unwrap();

    // Interrupted after the first workspace: every key still opens with the configured ring.
    let report = secrets::rotate_master_keys(&db.pool, &both, stop_after(1))
        .await
        .unwrap();
    assert!(report.interrupted);
    assert_eq!(report.keys_rewrapped, 1);
    for ws in &spaces {
        assert_eq!(revealed(&db.pool, &both, ws).await.len(), 2);
    }
    let (_, unreadable) = secrets::unreadable_data_keys(&db.pool, &new_only)
        .await
        .unwrap();
    assert_eq!(
        unreadable.len(),
        2,
        "two keys are still under the old master key"
    );

    // Running it again finishes the job and leaves the finished key alone.
    let report = secrets::rotate_master_keys(&db.pool, &both, keep_going)
        .await
        .unwrap();
    assert_eq!((report.keys_rewrapped, report.keys_already_current), (2, 1));
    let report = secrets::rotate_master_keys(&db.pool, &both, keep_going)
        .await
        .unwrap();
    assert_eq!((report.keys_rewrapped, report.keys_already_current), (0, 3));

    // The new key alone now opens every data key, and through them every secret.
    let (total, unreadable) = secrets::unreadable_data_keys(&db.pool, &new_only)
        .await
        .unwrap();
    assert_eq!((total, unreadable.len()), (3, 0));
    let old_only = MultiFernet::new(vec![old]).unwrap();
    for ((id, before, _), (same_id, after, next)) in
        wrapped_before.iter().zip(wrapped_keys(&db.pool).await)
    {
        assert_eq!(*id, same_id);
        assert_ne!(*before, after);
        assert!(next.is_none());
        assert!(
            old_only.decrypt(&after).is_err(),
            "the old master key no longer opens it"
        );
    }
    for (ws, before) in spaces.iter().zip(&rows_before) {
        let plain = revealed(&db.pool, &new_only, ws).await;
        assert_eq!(
            plain,
            vec![
                ("one".to_owned(), format!("token-one-{}", ws.slug)),
                ("two".to_owned(), format!("token-two-{}", ws.slug)),
            ]
        );
        // Same ciphertext, same row version: the rotation never wrote to a tenant table.
        assert_eq!(&ciphertexts(&mut admin, ws).await, before);
    }
}

#[tokio::test]
async fn data_rotation_interrupted_after_every_step_never_strands_a_value() {
    let db = TestDb::new().await;
    let master = MasterKeyRing::generate();
    let alpha = workspace(&db.pool, &master, "alpha").await;
    let beta = workspace(&db.pool, &master, "beta").await;
    for i in 0..3 {
        add(
            &db.pool,
            &master,
            &alpha,
            &format!("a{i}"),
            &format!("alpha-token-{i}"),
        )
        .await;
    }
    for i in 0..2 {
        add(
            &db.pool,
            &master,
            &beta,
            &format!("b{i}"),
            &format!("beta-token-{i}"),
        )
        .await;
    }
    let old_alpha = secrets::data_key(&db.pool, &master, alpha.id)
        .await
        .unwrap();
    let old_beta = secrets::data_key(&db.pool, &master, beta.id).await.unwrap();
    let mut expected_alpha = revealed(&db.pool, &master, &alpha).await;
    let expected_beta = revealed(&db.pool, &master, &beta).await;

    // Stop after every single committed step, check, and resume: a crash can land anywhere.
    let mut runs = 0;
    let mut replaced = 0;
    let mut moved = 0;
    loop {
        runs += 1;
        let report = secrets::rotate_data_keys(&db.pool, &master, stop_after(1))
            .await
            .unwrap();
        assert_eq!(report.resumed, runs > 1);
        replaced += report.data_keys_replaced;
        moved += report.secrets_reencrypted;
        assert_eq!(revealed(&db.pool, &master, &alpha).await, expected_alpha);
        assert_eq!(revealed(&db.pool, &master, &beta).await, expected_beta);
        if runs == 3 {
            // A secret written mid-rotation survives the promotion.
            add(&db.pool, &master, &alpha, "a9", "alpha-token-9").await;
            expected_alpha.push(("a9".to_owned(), "alpha-token-9".to_owned()));
        }
        if !report.interrupted {
            break;
        }
        assert!(runs < 50, "the rotation makes progress");
    }
    // One stop per step: per workspace, store the next key, re-encrypt each row, promote; then
    // the final run that finds nothing left. The late row needed moving only if it was written
    // before its workspace's fresh key existed.
    assert_eq!(replaced, 2);
    assert!(moved == 5 || moved == 6, "{moved}");
    assert_eq!(runs, 2 + moved + 2 + 1);

    assert_eq!(revealed(&db.pool, &master, &alpha).await, expected_alpha);
    assert_eq!(revealed(&db.pool, &master, &beta).await, expected_beta);
    for (_, _, next) in wrapped_keys(&db.pool).await {
        assert!(next.is_none(), "every fresh key was promoted");
    }
    // The old data keys are retired: they open nothing any more.
    let mut admin = admin(&db).await;
    for (ws, old) in [(&alpha, &old_alpha), (&beta, &old_beta)] {
        for (_, ciphertext, _) in ciphertexts(&mut admin, ws).await {
            assert!(old.decrypt_secret(&ciphertext).is_err());
        }
    }

    // A finished run is not resumed: the next command is a new rotation.
    let report = secrets::rotate_data_keys(&db.pool, &master, keep_going)
        .await
        .unwrap();
    assert!(!report.resumed && !report.interrupted);
    assert_eq!(
        (report.data_keys_replaced, report.secrets_reencrypted),
        (2, 6)
    );
    assert_eq!(revealed(&db.pool, &master, &alpha).await, expected_alpha);
}

#[tokio::test]
async fn a_rotation_waits_for_a_writer_holding_the_data_key() {
    let db = TestDb::new().await;
    let master = MasterKeyRing::generate();
    let ws = workspace(&db.pool, &master, "acme").await;
    add(&db.pool, &master, &ws, "first", "first-token").await;

    // A writer took the current key before the rotation started ...
    let (mut writer, stale_key) =
        secrets::begin_with_data_key(&db.pool, &master, ws.id, Actor::System)
            .await
            .unwrap();
    let rotation = tokio::spawn({
        let (pool, master) = (db.pool.clone(), master.clone());
        async move { secrets::rotate_data_keys(&pool, &master, keep_going).await }
    });
    // Until the rotation is blocked on the key row (it then holds the rotation lock).
    let mut admin = admin(&db).await;
    for attempt in 0.. {
        let waiting = lock_waiters(&mut admin).await;
        if waiting > 0 {
            break;
        }
        assert!(attempt < 200, "the rotation never reached the key row");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!rotation.is_finished(), "the rotation waits for the writer");
    let err = secrets::rotate_master_keys(&db.pool, &master, keep_going)
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::Conflict { .. }), "{err}");

    // ... and writes under it: the rotation must not retire that key under the new row.
    integrations::add_integration(
        &mut writer,
        &stale_key,
        "slack",
        "late",
        &"late-token".into(),
    )
    .await
    .unwrap();
    writer.commit().await.unwrap();
    let report = rotation.await.unwrap().unwrap();
    assert_eq!(report.data_keys_replaced, 1);
    assert_eq!(
        revealed(&db.pool, &master, &ws).await,
        vec![
            ("first".to_owned(), "first-token".to_owned()),
            ("late".to_owned(), "late-token".to_owned())
        ]
    );
}

#[tokio::test]
async fn deleting_the_wrapped_key_shreds_every_copy_of_the_secrets() {
    let db = TestDb::new().await;
    let master_key = Key::generate();
    let master = MasterKeyRing::new(vec![master_key.clone()]).unwrap();
    let doomed = workspace(&db.pool, &master, "doomed").await;
    let other = workspace(&db.pool, &master, "other").await;
    add(
        &db.pool,
        &master,
        &doomed,
        "GitHub",
        "ghp_doomed-token-1234",
    )
    .await;
    add(&db.pool, &master, &other, "GitHub", "ghp_other-token-5678").await;

    // The backup an attacker (or an old tape) keeps.
    let mut admin = admin(&db).await;
    let backup: Vec<String> = ciphertexts(&mut admin, &doomed)
        .await
        .into_iter()
        .map(|(_, ciphertext, _)| ciphertext)
        .collect();
    let key = secrets::data_key(&db.pool, &master, doomed.id)
        .await
        .unwrap();
    assert_eq!(
        key.decrypt_secret(&backup[0]).unwrap().expose(),
        "ghp_doomed-token-1234"
    );
    drop(key);

    // What erasing the workspace does to its key.
    sqlx::query("DELETE FROM workspace_keys WHERE workspace_id = $1")
        .bind(doomed.id)
        .execute(&db.provisioning)
        .await
        .unwrap();

    let err = secrets::data_key(&db.pool, &master, doomed.id)
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::NotFound(_)), "{err}");
    // Nothing the server holds opens the backup: not the master key, not any remaining data
    // key (current or next), not a key made afresh for the workspace.
    let master_fernet = MultiFernet::new(vec![master_key]).unwrap();
    assert!(master_fernet.decrypt(&backup[0]).is_err());
    secrets::ensure_data_keys(&db.pool, &master).await.unwrap();
    let remaining = wrapped_keys(&db.pool).await;
    assert_eq!(remaining.len(), 2);
    for (_, wrapped, next) in remaining {
        for wrapped in std::iter::once(wrapped).chain(next) {
            let data_key = master_fernet.decrypt(&wrapped).unwrap();
            let data_key = Key::from_base64(std::str::from_utf8(&data_key).unwrap()).unwrap();
            assert!(Fernet::new(data_key).decrypt(&backup[0]).is_err());
        }
    }
    for ws in [&doomed, &other] {
        let key = secrets::data_key(&db.pool, &master, ws.id).await.unwrap();
        assert!(key.decrypt_secret(&backup[0]).is_err());
    }
    // The other workspace is unaffected.
    assert_eq!(
        revealed(&db.pool, &master, &other).await,
        vec![("GitHub".to_owned(), "ghp_other-token-5678".to_owned())]
    );

    // Erasing the workspace row takes its key with it.
    sqlx::query("DELETE FROM workspaces WHERE id = $1")
        .bind(other.id)
        .execute(&mut admin)
        .await
        .unwrap();
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM workspace_keys WHERE workspace_id = $1")
            .bind(other.id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_wrong_master_key_is_detected_before_any_request() {
    let db = TestDb::new().await;
    let master = MasterKeyRing::generate();
    let ws = workspace(&db.pool, &master, "acme").await;
    let wrong = MasterKeyRing::generate();
    let (total, unreadable) = secrets::unreadable_data_keys(&db.pool, &wrong)
        .await
        .unwrap();
    assert_eq!((total, unreadable), (1, vec![ws.id]));
    let err = secrets::data_key(&db.pool, &wrong, ws.id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&ws.id.to_string()), "{err}");
    let err = secrets::rotate_master_keys(&db.pool, &wrong, keep_going)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot be unwrapped"), "{err}");
}
