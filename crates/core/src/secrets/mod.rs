//! Envelope encryption of workspace secrets: every workspace has its own random data key, kept in
//! the control plane only wrapped under the master key ring, and its secrets are Fernet tokens
//! under that data key. Also the two rotations: re-wrapping data keys under a new master key, and
//! replacing data keys (re-encrypting every secret).
//!
//! Unwrapped data keys are not cached in the process: `bastion keys rotate --data` runs in
//! another process, and a stale cached key would encrypt new secrets under a key that is about
//! to be retired. Reading one row by primary key and one 32-byte Fernet decryption cost far less
//! than a request.

pub mod chat;
pub mod integrations;
pub mod keys;
pub mod webhooks;

use std::{fmt, ops::ControlFlow};

use bastion_fernet::{Key, MultiFernet};
use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::{
    keys::MasterKeyRing, Actor, CoreError, CoreResult, TenantSchema, TenantTx, WorkspaceId,
};

/// A plaintext secret (token, password, payload): `Debug` never shows it and its memory is wiped
/// when dropped. Defined beside the policy so that the browser shares it.
pub use bastion_policy::SecretString;

/// A stored secret or key that the configured keys cannot open. It surfaces as a decoding error
/// of the database value (an internal error, answered opaquely); the message names what, never
/// a byte of it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UndecryptableSecret(String);

fn undecryptable(message: String) -> CoreError {
    CoreError::Database(sqlx::Error::Decode(Box::new(UndecryptableSecret(message))))
}

/// One workspace's data key, unwrapped. During a data-key rotation it holds the next key too:
/// new secrets are encrypted under the next key, and both keys decrypt.
#[derive(Clone)]
pub struct DataKey {
    ring: MultiFernet,
}

impl DataKey {
    fn unwrap(
        master: &MasterKeyRing,
        workspace: WorkspaceId,
        wrapped: &str,
        next_wrapped: Option<&str>,
    ) -> CoreResult<Self> {
        let mut keys = Vec::with_capacity(2);
        if let Some(next) = next_wrapped {
            keys.push(unwrap_key(master, workspace, next)?);
        }
        keys.push(unwrap_key(master, workspace, wrapped)?);
        Ok(Self {
            ring: MultiFernet::new(keys).expect("at least the current key"),
        })
    }

    pub fn encrypt_secret(&self, plaintext: &str) -> String {
        self.ring.encrypt(plaintext.as_bytes())
    }

    pub fn decrypt_secret(&self, ciphertext: &str) -> CoreResult<SecretString> {
        let bytes = Zeroizing::new(
            self.ring
                .decrypt(ciphertext)
                .map_err(|e| undecryptable(format!("stored secret: {e}")))?,
        );
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| undecryptable("stored secret is not UTF-8".to_owned()))?;
        Ok(SecretString::new(text.to_owned()))
    }

    fn opens(&self, ciphertext: &str) -> bool {
        self.ring.decrypt(ciphertext).is_ok()
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("keys", &self.ring.len())
            .finish_non_exhaustive()
    }
}

fn unwrap_key(master: &MasterKeyRing, workspace: WorkspaceId, wrapped: &str) -> CoreResult<Key> {
    let unreadable = || {
        undecryptable(format!(
            "the data key of workspace {workspace} cannot be unwrapped with the configured master \
             keys (was a master key removed before `bastion keys rotate` finished?)"
        ))
    };
    let bytes = master.unwrap(wrapped).map_err(|_| unreadable())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| unreadable())?;
    Key::from_base64(text).map_err(|_| unreadable())
}

fn wrap_new_key(master: &MasterKeyRing) -> String {
    let text = Zeroizing::new(Key::generate().to_base64());
    master.wrap(text.as_bytes())
}

/// Tenant columns that hold secrets under the workspace's data key, which a data-key rotation
/// re-encrypts. Each table has a uuid primary key `id`. A new encrypted column must be listed
/// here, or a rotation would leave it under a retired key. A column may be nullable (a null is
/// no secret and is skipped).
pub(crate) const TENANT_SECRET_COLUMNS: &[(&str, &str)] = &[
    ("integrations", "token_ciphertext"),
    ("webhook_endpoints", "secret_ciphertext"),
    ("webhook_endpoints", "previous_secret_ciphertext"),
];

/// Gives a new workspace its data key, inside the caller's (workspace-creating) transaction.
pub(crate) async fn create_data_key(
    conn: &mut PgConnection,
    master: &MasterKeyRing,
    workspace: WorkspaceId,
) -> CoreResult<()> {
    sqlx::query("INSERT INTO workspace_keys (workspace_id, wrapped) VALUES ($1, $2)")
        .bind(workspace)
        .bind(wrap_new_key(master))
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives a data key to every workspace that has none (created before data keys existed), and
/// returns how many it created. Safe to run at every start.
pub async fn ensure_data_keys(pool: &PgPool, master: &MasterKeyRing) -> CoreResult<usize> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    let missing: Vec<WorkspaceId> = sqlx::query_scalar(
        "SELECT id FROM workspaces w
          WHERE NOT EXISTS (SELECT 1 FROM workspace_keys k WHERE k.workspace_id = w.id)",
    )
    .fetch_all(pool)
    .await?;
    let mut created = 0;
    for workspace in missing {
        created += sqlx::query(
            "INSERT INTO workspace_keys (workspace_id, wrapped)
             SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = $1)
             ON CONFLICT (workspace_id) DO NOTHING",
        )
        .bind(workspace)
        .bind(wrap_new_key(master))
        .execute(pool)
        .await?
        .rows_affected() as usize;
    }
    Ok(created)
}

/// A workspace's data key, read with the login role (workspace roles cannot see
/// `workspace_keys`). For writing secrets prefer [`begin_with_data_key`], which also keeps a
/// concurrent rotation from retiring the key mid-transaction.
pub async fn data_key(
    pool: &PgPool,
    master: &MasterKeyRing,
    workspace: WorkspaceId,
) -> CoreResult<DataKey> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT wrapped, next_wrapped FROM workspace_keys WHERE workspace_id = $1")
            .bind(workspace)
            .fetch_optional(pool)
            .await?;
    let (wrapped, next) = row.ok_or(CoreError::NotFound("workspace key"))?;
    DataKey::unwrap(master, workspace, &wrapped, next.as_deref())
}

/// Opens a tenant transaction together with the workspace's data key. The key row stays share-
/// locked until the transaction ends, so a data-key rotation waits before it introduces a new
/// key and before it retires the old one: a secret written here is never left under a retired
/// key.
pub async fn begin_with_data_key(
    pool: &PgPool,
    master: &MasterKeyRing,
    workspace: WorkspaceId,
    actor: Actor,
) -> CoreResult<(TenantTx, DataKey)> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    let mut tx = pool.begin().await?;
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT wrapped, next_wrapped FROM workspace_keys WHERE workspace_id = $1 FOR SHARE",
    )
    .bind(workspace)
    .fetch_optional(&mut *tx)
    .await?;
    let (wrapped, next) = row.ok_or(CoreError::NotFound("workspace key"))?;
    let key = DataKey::unwrap(master, workspace, &wrapped, next.as_deref())?;
    let tenant = TenantTx::enter(tx, &TenantSchema::for_workspace(workspace), actor).await?;
    Ok((tenant, key))
}

/// Which workspace data keys the configured master keys cannot unwrap; checked at start-up so
/// that a wrong or prematurely removed master key stops the server instead of failing requests.
pub async fn unreadable_data_keys(
    pool: &PgPool,
    master: &MasterKeyRing,
) -> CoreResult<(usize, Vec<WorkspaceId>)> {
    let rows: Vec<(WorkspaceId, String, Option<String>)> = sqlx::query_as(
        "SELECT workspace_id, wrapped, next_wrapped FROM workspace_keys ORDER BY workspace_id",
    )
    .fetch_all(pool)
    .await?;
    let total = rows.len();
    let unreadable = rows
        .into_iter()
        .filter(|(id, wrapped, next)| {
            DataKey::unwrap(master, *id, wrapped, next.as_deref()).is_err()
        })
        .map(|(id, _, _)| id)
        .collect();
    Ok((total, unreadable))
}

/// What a rotation just did; `progress` sees one after each committed step, and may stop the
/// rotation there by answering `ControlFlow::Break`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationEvent {
    /// Master rotation: one workspace's data key is wrapped under the primary master key (or
    /// already was).
    KeyRewrapped {
        workspace: WorkspaceId,
        done: usize,
        total: usize,
    },
    /// Data rotation: a fresh data key is stored beside the current one.
    NextKeyStored { workspace: WorkspaceId },
    /// Data rotation: one secret moved to the fresh data key.
    SecretReencrypted {
        workspace: WorkspaceId,
        table: &'static str,
    },
    /// Data rotation: the fresh key replaced the old one, which is gone.
    KeyReplaced {
        workspace: WorkspaceId,
        done: usize,
        total: usize,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    pub workspaces: usize,
    pub keys_rewrapped: usize,
    /// Pending signups (encrypted under the master key itself) re-encrypted by a master rotation.
    pub signups_rewrapped: usize,
    /// Unsent mail bodies (sealed under the master key itself) re-sealed by a master rotation.
    pub mail_resealed: usize,
    /// Authenticator secrets (sealed under the master key itself) re-sealed by a master rotation.
    pub totp_resealed: usize,
    /// Single sign-on client secrets (sealed under the master key itself) re-sealed by a master
    /// rotation.
    pub sso_resealed: usize,
    pub keys_already_current: usize,
    pub data_keys_replaced: usize,
    pub secrets_reencrypted: usize,
    /// A data rotation picked up a run that an earlier, interrupted one had started.
    pub resumed: bool,
    /// `progress` stopped the rotation; running it again finishes the work.
    pub interrupted: bool,
}

/// Held for the whole of a rotation, so two rotations never interleave. A session-level
/// advisory lock on a connection taken out of the pool: closing the connection, or losing it,
/// releases the lock.
struct RotationLock(PgConnection);

impl RotationLock {
    const KEY: i64 = 0x6261_7374_696f_6e6b; // "bastionk"

    async fn acquire(pool: &PgPool) -> CoreResult<Self> {
        let mut conn = pool.acquire().await?.detach();
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(Self::KEY)
            .fetch_one(&mut conn)
            .await?;
        if !locked {
            return Err(CoreError::conflict(
                "another key rotation is running; wait for it to finish".to_owned(),
            ));
        }
        Ok(Self(conn))
    }

    /// Unlocks explicitly: a closed connection's backend releases the lock only when it has
    /// exited, which can be after the next rotation has already asked for it.
    async fn release(mut self) {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(Self::KEY)
            .execute(&mut self.0)
            .await;
        let _ = sqlx::Connection::close(self.0).await;
    }
}

/// Re-wraps every workspace's data key (and a pending next key) under the primary master key.
/// Touches only `workspace_keys`, one row per small transaction, so it takes time proportional
/// to the number of workspaces, not to their data; keys already under the primary key are left
/// as they are, so running it again resumes or does nothing.
pub async fn rotate_master_keys(
    pool: &PgPool,
    master: &MasterKeyRing,
    mut progress: impl FnMut(&RotationEvent) -> ControlFlow<()>,
) -> CoreResult<RotationReport> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    under_rotation_lock(pool, async {
        let mut report = rewrap_all(pool, master, &mut progress).await?;
        if !report.interrupted {
            report.signups_rewrapped = crate::signups::rewrap_pending(pool, master).await?;
            report.mail_resealed = crate::mail::reseal_unsent(pool, master).await?;
            report.totp_resealed = crate::two_factor::reseal_secrets(pool, master).await?;
            report.sso_resealed = crate::sso::reseal_secrets(pool, master).await?;
        }
        Ok(report)
    })
    .await
}

/// Runs `rotation` holding the rotation lock, released whatever the outcome. `rotation` is a
/// future not yet polled, so none of its work starts before the lock is held.
async fn under_rotation_lock(
    pool: &PgPool,
    rotation: impl std::future::Future<Output = CoreResult<RotationReport>>,
) -> CoreResult<RotationReport> {
    let lock = RotationLock::acquire(pool).await?;
    let result = rotation.await;
    lock.release().await;
    result
}

/// The workspace's wrapped data key and pending next key, locked until `tx` ends; `None` if the
/// workspace is gone.
async fn lock_key_row(
    tx: &mut sqlx::PgConnection,
    workspace: WorkspaceId,
) -> CoreResult<Option<(String, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT wrapped, next_wrapped FROM workspace_keys WHERE workspace_id = $1 FOR UPDATE",
    )
    .bind(workspace)
    .fetch_optional(tx)
    .await?)
}

async fn rewrap_all(
    pool: &PgPool,
    master: &MasterKeyRing,
    progress: &mut impl FnMut(&RotationEvent) -> ControlFlow<()>,
) -> CoreResult<RotationReport> {
    let workspaces: Vec<WorkspaceId> =
        sqlx::query_scalar("SELECT workspace_id FROM workspace_keys ORDER BY workspace_id")
            .fetch_all(pool)
            .await?;
    let mut report = RotationReport {
        workspaces: workspaces.len(),
        ..RotationReport::default()
    };
    for (index, &workspace) in workspaces.iter().enumerate() {
        match rewrap_one(pool, master, workspace).await? {
            Some(true) => report.keys_rewrapped += 1,
            Some(false) => report.keys_already_current += 1,
            None => {} // erased meanwhile
        }
        let event = RotationEvent::KeyRewrapped {
            workspace,
            done: index + 1,
            total: workspaces.len(),
        };
        if progress(&event).is_break() {
            report.interrupted = true;
            break;
        }
    }
    Ok(report)
}

/// `Some(true)` if re-wrapped, `Some(false)` if already under the primary key, `None` if the
/// workspace is gone.
async fn rewrap_one(
    pool: &PgPool,
    master: &MasterKeyRing,
    workspace: WorkspaceId,
) -> CoreResult<Option<bool>> {
    let mut tx = pool.begin().await?;
    let Some((wrapped, next)) = lock_key_row(&mut tx, workspace).await? else {
        return Ok(None);
    };
    let unreadable = || {
        undecryptable(format!(
            "the data key of workspace {workspace} cannot be unwrapped with any configured \
             master key"
        ))
    };
    let new_wrapped = master.rewrap(&wrapped).map_err(|_| unreadable())?;
    let new_next = match &next {
        Some(next) => master.rewrap(next).map_err(|_| unreadable())?,
        None => None,
    };
    if new_wrapped.is_none() && new_next.is_none() {
        return Ok(Some(false));
    }
    sqlx::query(
        "UPDATE workspace_keys
            SET wrapped = coalesce($2, wrapped), next_wrapped = coalesce($3, next_wrapped)
          WHERE workspace_id = $1",
    )
    .bind(workspace)
    .bind(new_wrapped)
    .bind(new_next)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(true))
}

/// Replaces every workspace's data key with a fresh one and re-encrypts every secret under it.
///
/// Per workspace, in steps that each commit on their own: (1) store the fresh key beside the
/// current one (`next_wrapped`; from then on new secrets use it and both keys decrypt);
/// (2) re-encrypt the secrets, one row per transaction; (3) in one transaction, re-encrypt any
/// straggler and promote the fresh key, dropping the old one. A crash between any two steps
/// leaves every value readable with the keys stored at that moment.
///
/// The run is recorded in `data_key_rotations`: running the command again after an
/// interruption resumes that run (workspaces it already finished are skipped); after a finished
/// run it starts a new one.
pub async fn rotate_data_keys(
    pool: &PgPool,
    master: &MasterKeyRing,
    mut progress: impl FnMut(&RotationEvent) -> ControlFlow<()>,
) -> CoreResult<RotationReport> {
    // The provisioning login's work (docs/architecture.md, "Two logins").
    let pool = &crate::db::provisioning(pool);
    under_rotation_lock(pool, replace_all(pool, master, &mut progress)).await
}

async fn replace_all(
    pool: &PgPool,
    master: &MasterKeyRing,
    progress: &mut impl FnMut(&RotationEvent) -> ControlFlow<()>,
) -> CoreResult<RotationReport> {
    let unfinished: Option<(i64, OffsetDateTime)> = sqlx::query_as(
        "SELECT id, started_at FROM data_key_rotations WHERE finished_at IS NULL
          ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    let resumed = unfinished.is_some();
    let (run, started_at) = match unfinished {
        Some(run) => run,
        None => {
            sqlx::query_as("INSERT INTO data_key_rotations DEFAULT VALUES RETURNING id, started_at")
                .fetch_one(pool)
                .await?
        }
    };

    // Keys made after the run started are already fresh.
    let workspaces: Vec<WorkspaceId> = sqlx::query_scalar(
        "SELECT workspace_id FROM workspace_keys
          WHERE next_wrapped IS NOT NULL OR coalesce(rotated_at, created_at) < $1
          ORDER BY workspace_id",
    )
    .bind(started_at)
    .fetch_all(pool)
    .await?;
    let mut report = RotationReport {
        workspaces: workspaces.len(),
        resumed,
        ..RotationReport::default()
    };
    for (index, &workspace) in workspaces.iter().enumerate() {
        let stopped = replace_one(pool, master, workspace, &mut report, progress)
            .await?
            .is_break()
            || progress(&RotationEvent::KeyReplaced {
                workspace,
                done: index + 1,
                total: workspaces.len(),
            })
            .is_break();
        if stopped {
            report.interrupted = true;
            return Ok(report);
        }
    }
    sqlx::query("UPDATE data_key_rotations SET finished_at = now() WHERE id = $1")
        .bind(run)
        .execute(pool)
        .await?;
    Ok(report)
}

async fn replace_one(
    pool: &PgPool,
    master: &MasterKeyRing,
    workspace: WorkspaceId,
    report: &mut RotationReport,
    progress: &mut impl FnMut(&RotationEvent) -> ControlFlow<()>,
) -> CoreResult<ControlFlow<()>> {
    // Step 1. The row lock waits for writers holding the current key (`begin_with_data_key`);
    // every writer after this sees the fresh key and encrypts under it.
    let mut tx = pool.begin().await?;
    let Some((wrapped, next)) = lock_key_row(&mut tx, workspace).await? else {
        return Ok(ControlFlow::Continue(())); // erased meanwhile
    };
    let next = match next {
        Some(next) => {
            tx.rollback().await?;
            next
        }
        None => {
            let next = wrap_new_key(master);
            sqlx::query("UPDATE workspace_keys SET next_wrapped = $2 WHERE workspace_id = $1")
                .bind(workspace)
                .bind(&next)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            if progress(&RotationEvent::NextKeyStored { workspace }).is_break() {
                return Ok(ControlFlow::Break(()));
            }
            next
        }
    };
    let both = DataKey::unwrap(master, workspace, &wrapped, Some(&next))?;
    let fresh = DataKey::unwrap(master, workspace, &next, None)?;
    let schema = TenantSchema::for_workspace(workspace);

    // Step 2, in small transactions so that writers are never held up for long.
    for &(table, column) in TENANT_SECRET_COLUMNS {
        let mut after = Uuid::nil();
        loop {
            let mut tx = TenantTx::begin(pool, &schema, Actor::System).await?;
            let batch: Vec<(Uuid, String)> = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT id, {column} FROM {table} WHERE id > $1 AND {column} IS NOT NULL
                  ORDER BY id LIMIT 500"
            )))
            .bind(after)
            .fetch_all(tx.conn())
            .await?;
            tx.commit().await?;
            let Some((last, _)) = batch.last() else {
                break;
            };
            after = *last;
            for (id, ciphertext) in batch {
                if fresh.opens(&ciphertext) {
                    continue;
                }
                let mut tx = TenantTx::begin(pool, &schema, Actor::System).await?;
                let moved = reencrypt_row(tx.conn(), table, column, id, &both, &fresh).await?;
                tx.commit().await?;
                if moved {
                    report.secrets_reencrypted += 1;
                    if progress(&RotationEvent::SecretReencrypted { workspace, table }).is_break() {
                        return Ok(ControlFlow::Break(()));
                    }
                }
            }
        }
    }

    // Step 3. Promote and sweep in one transaction: the key row lock waits for writers still
    // holding the old pair, and the sweep then catches whatever they wrote.
    let mut tx = pool.begin().await?;
    let promoted = sqlx::query(
        "UPDATE workspace_keys
            SET wrapped = next_wrapped, next_wrapped = NULL, rotated_at = now()
          WHERE workspace_id = $1 AND next_wrapped = $2",
    )
    .bind(workspace)
    .bind(&next)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if promoted == 0 {
        return Ok(ControlFlow::Continue(())); // erased meanwhile
    }
    let mut tenant = TenantTx::enter(tx, &schema, Actor::System).await?;
    for &(table, column) in TENANT_SECRET_COLUMNS {
        let stragglers: Vec<Uuid> = sqlx::query_as::<_, (Uuid, String)>(AssertSqlSafe(format!(
            "SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL"
        )))
        .fetch(tenant.conn())
        .try_filter_map(|(id, ciphertext)| {
            let moved = (!fresh.opens(&ciphertext)).then_some(id);
            async move { Ok(moved) }
        })
        .try_collect()
        .await?;
        for id in stragglers {
            if reencrypt_row(tenant.conn(), table, column, id, &both, &fresh).await? {
                report.secrets_reencrypted += 1;
            }
        }
    }
    tenant.commit().await?;
    report.data_keys_replaced += 1;
    Ok(ControlFlow::Continue(()))
}

/// Moves one secret to the fresh key; false if it is gone or already there.
async fn reencrypt_row(
    conn: &mut PgConnection,
    table: &'static str,
    column: &'static str,
    id: Uuid,
    both: &DataKey,
    fresh: &DataKey,
) -> CoreResult<bool> {
    let current: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT {column} FROM {table} WHERE id = $1 AND {column} IS NOT NULL FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(ciphertext) = current else {
        return Ok(false);
    };
    if fresh.opens(&ciphertext) {
        return Ok(false);
    }
    // `rotate` keeps the token's timestamp: re-encryption is not a new secret.
    let moved = both
        .ring
        .rotate(&ciphertext)
        .map_err(|e| undecryptable(format!("{table}.{column} of row {id}: {e}")))?;
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE {table} SET {column} = $2 WHERE id = $1"
    )))
    .bind(id)
    .bind(moved)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Re-encrypts values sealed under the master key ring itself (not under a workspace data key)
/// under its primary key, one row at a time: `select` yields `(id, value)`, `update` sets `$2`
/// where the id is `$1` and the value is still `$3` (a row changed meanwhile is left to the
/// next run). A value no configured key opens is skipped. Returns how many changed.
pub(crate) async fn rewrap_rows(
    pool: &PgPool,
    master: &MasterKeyRing,
    select: &'static str,
    update: &'static str,
) -> CoreResult<usize> {
    let rows: Vec<(uuid::Uuid, String)> = sqlx::query_as(select).fetch_all(pool).await?;
    let mut changed = 0;
    for (id, value) in rows {
        let Ok(Some(rewrapped)) = master.rewrap(&value) else {
            continue;
        };
        changed += sqlx::query(update)
            .bind(id)
            .bind(rewrapped)
            .bind(&value)
            .execute(pool)
            .await?
            .rows_affected() as usize;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests;
