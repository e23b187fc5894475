//! Master keys: where they came from, and `bastion keys rotate`.

use std::{io::Write, ops::ControlFlow};

use bastion_core::{
    keys::MasterKeyRing,
    secrets::{self, RotationEvent},
};

use super::{migrate_control_plane, open};
use crate::{
    config::{Config, MasterKeySource},
    database::Database,
};

/// Loads the master key ring and says where it came from; a freshly generated local key is
/// announced loudly, since losing it loses every stored secret.
pub(super) fn master_key_ring(config: &Config) -> Result<MasterKeyRing, String> {
    let (ring, source) = config.master_key_ring().map_err(|e| e.to_string())?;
    match source {
        MasterKeySource::Environment => {
            tracing::info!(keys = ring.len(), "master keys from BASTION_MASTER_KEYS")
        }
        MasterKeySource::File(path) => {
            tracing::info!(keys = ring.len(), file = %path.display(), "master keys from key file")
        }
        MasterKeySource::Local {
            path,
            created: true,
        } => tracing::warn!(
            file = %path.display(),
            "generated a new master key for the embedded database (outside PostgreSQL); keep a \
             copy of this file somewhere safe: without it, stored secrets cannot be read"
        ),
        MasterKeySource::Local {
            path,
            created: false,
        } => tracing::info!(file = %path.display(), "master key from the data directory"),
    }
    Ok(ring)
}

pub(super) async fn rotate_keys(config: &Config, data: bool) -> Result<(), String> {
    let ring = master_key_ring(config)?;
    let database = open(config).await?;
    let result = rotate_with(&database, &ring, data).await;
    database.close().await;
    result
}

async fn rotate_with(database: &Database, ring: &MasterKeyRing, data: bool) -> Result<(), String> {
    let pool = &database.pool;
    migrate_control_plane(database).await?;
    secrets::ensure_data_keys(pool, ring)
        .await
        .map_err(|e| format!("cannot create missing data keys: {e}"))?;
    // Every finished step is committed: after fixing the cause, the same command resumes.
    let resume = "completed work is kept; run the same command again to resume";

    let started = std::time::Instant::now();
    let report = secrets::rotate_master_keys(pool, ring, |event| {
        if let RotationEvent::KeyRewrapped { done, total, .. } = *event {
            show_progress("re-wrapping data keys", done, total, "");
        }
        ControlFlow::Continue(())
    })
    .await
    .map_err(|e| format!("master key rotation failed ({resume}): {e}"))?;
    println!(
        "master key rotation done: {} data key(s) re-wrapped under the first master key, {} \
         already were; {} pending signup(s), {} unsent mail body(ies), {} authenticator \
         secret(s) and {} single sign-on client secret(s) re-sealed, in {:.1?}",
        report.keys_rewrapped,
        report.keys_already_current,
        report.signups_rewrapped,
        report.mail_resealed,
        report.totp_resealed,
        report.sso_resealed,
        started.elapsed()
    );

    if data {
        let started = std::time::Instant::now();
        let mut secrets_moved = 0;
        let report = secrets::rotate_data_keys(pool, ring, |event| {
            match *event {
                RotationEvent::SecretReencrypted { .. } => secrets_moved += 1,
                RotationEvent::KeyReplaced { done, total, .. } => show_progress(
                    "replacing data keys",
                    done,
                    total,
                    &format!(" ({secrets_moved} secret(s) re-encrypted)"),
                ),
                _ => {}
            }
            ControlFlow::Continue(())
        })
        .await
        .map_err(|e| format!("data key rotation failed ({resume}): {e}"))?;
        println!(
            "data key rotation done{}: {} data key(s) replaced, {} secret(s) re-encrypted, in \
             {:.1?}",
            if report.resumed {
                " (resumed an interrupted run)"
            } else {
                ""
            },
            report.data_keys_replaced,
            report.secrets_reencrypted,
            started.elapsed()
        );
    }
    if ring.len() > 1 {
        println!(
            "every data key is wrapped under the first master key: the other {} key(s) can now \
             be removed from the configuration",
            ring.len() - 1
        );
    }
    Ok(())
}

/// One line on standard error, rewritten in place, at most once per percent.
fn show_progress(what: &str, done: usize, total: usize, extra: &str) {
    let step = (total / 100).max(1);
    if done.is_multiple_of(step) || done == total {
        eprint!("\r{what}: {done}/{total}{extra}");
        let _ = std::io::stderr().flush();
        if done == total {
            eprintln!();
        }
    }
}
