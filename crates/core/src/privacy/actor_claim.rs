//! The actor of a tenant transaction as a claim the history trigger can check
//! (`migrations/tenant/0007_history_owner_and_claims.sql`): `<actor>.<expiry>.<mac>`, where the
//! actor is a user id or `system`, the expiry is in unix seconds and the mac is HMAC-SHA256 in hex
//! over `<schema>:<actor>:<expiry>` under the installation's `history_claim_key`. SQL injected into
//! a tenant transaction runs as the workspace role, which cannot read that key: it can set
//! `bastion.actor` to anything, but every change it then makes is refused unless the value is a
//! claim the application made for this workspace.
//!
//! The key never leaves the database and the processes that serve it. It is read once per
//! process and database and kept in memory, so opening a tenant transaction stays one round trip;
//! it never changes (replacing it means updating the row and restarting the servers).

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, OnceLock},
};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::{PgConnection, PgPool};
use zeroize::Zeroizing;

use crate::{Actor, TenantSchema};

/// How long a claim is accepted after it was made. Claims are made when a transaction opens and
/// checked against the transaction's start (`now()`), so this bounds only a claim's reuse and
/// tolerates clock skew between the application and PostgreSQL.
const VALIDITY_SECS: i64 = 600;

/// The installation's claim key.
#[derive(Clone)]
pub struct ClaimKey(Arc<Zeroizing<Vec<u8>>>);

impl ClaimKey {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Arc::new(Zeroizing::new(bytes)))
    }

    /// Reads the key with the login role, which may read it (workspace roles may not).
    async fn read(conn: &mut PgConnection) -> Result<Self, sqlx::Error> {
        let bytes: Vec<u8> = sqlx::query_scalar("SELECT key FROM public.history_claim_key")
            .fetch_one(conn)
            .await?;
        Ok(Self::new(bytes))
    }
}

impl fmt::Debug for ClaimKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClaimKey([redacted])")
    }
}

/// The text `bastion.actor` holds for `actor` in `schema`, valid until `expires` (unix seconds).
pub fn sign(key: &ClaimKey, schema: &str, actor: Actor, expires: i64) -> String {
    let actor = actor.setting();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC takes a key of any length");
    mac.update(format!("{schema}:{actor}:{expires}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{actor}.{expires}.{hex}")
}

fn fresh_expiry() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() + VALIDITY_SECS
}

/// Keys by database (host, port or socket, name), for processes that talk to several (tests).
fn cache() -> &'static Mutex<HashMap<String, ClaimKey>> {
    static KEYS: OnceLock<Mutex<HashMap<String, ClaimKey>>> = OnceLock::new();
    KEYS.get_or_init(Mutex::default)
}

/// A claim for `actor` in `schema`. The first claim of a process for a database reads the key on
/// `conn`, a connection of `pool` not yet switched to a workspace role.
pub(crate) async fn claim_for(
    pool: &PgPool,
    conn: &mut PgConnection,
    schema: &TenantSchema,
    actor: Actor,
) -> Result<String, sqlx::Error> {
    let database = crate::db::database_key(pool);
    let cached = cache()
        .lock()
        .expect("claim key cache")
        .get(&database)
        .cloned();
    let key = match cached {
        Some(key) => key,
        None => {
            let key = ClaimKey::read(conn).await?;
            cache()
                .lock()
                .expect("claim key cache")
                .insert(database, key.clone());
            key
        }
    };
    Ok(sign(&key, schema.as_str(), actor, fresh_expiry()))
}

/// Makes sure this process holds the claim key of `pool`'s database, reading it on `conn`
/// (still the login role) the first time: no round trip after that.
pub(crate) async fn load_key(pool: &PgPool, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let database = crate::db::database_key(pool);
    if cache()
        .lock()
        .expect("claim key cache")
        .contains_key(&database)
    {
        return Ok(());
    }
    let key = ClaimKey::read(conn).await?;
    cache()
        .lock()
        .expect("claim key cache")
        .insert(database, key);
    Ok(())
}

/// A claim for `actor` in `schema` if the key is already in this process ([`load_key`]).
pub(crate) fn claim_cached(pool: &PgPool, schema: &TenantSchema, actor: Actor) -> Option<String> {
    let database = crate::db::database_key(pool);
    let key = cache()
        .lock()
        .expect("claim key cache")
        .get(&database)
        .cloned()?;
    Some(sign(&key, schema.as_str(), actor, fresh_expiry()))
}

/// A claim for `actor` in `schema`, reading the key on `conn` (still the login role): for
/// [`crate::TenantTx::enter`], which has no pool to key a cache on and serves rare operations.
pub(crate) async fn claim_on(
    conn: &mut PgConnection,
    schema: &TenantSchema,
    actor: Actor,
) -> Result<String, sqlx::Error> {
    let key = ClaimKey::read(conn).await?;
    Ok(sign(&key, schema.as_str(), actor, fresh_expiry()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_hex_and_digits_only_and_matches_hmac_sha256() {
        let key = ClaimKey::new(b"key".to_vec());
        let user = uuid::Uuid::parse_str("0190f1c2-7b3a-7cde-8f00-123456789abc").unwrap();
        let claim = sign(&key, "ws_x", Actor::User(user), 1_700_000_000);
        // Python: hmac.new(b"key", b"ws_x:0190f1c2-7b3a-7cde-8f00-123456789abc:1700000000",
        // hashlib.sha256).hexdigest()
        let (actor, rest) = claim.split_once('.').unwrap();
        assert_eq!(actor, "0190f1c2-7b3a-7cde-8f00-123456789abc");
        let (expiry, mac) = rest.split_once('.').unwrap();
        assert_eq!(expiry, "1700000000");
        assert_eq!(
            mac,
            "601a850d04d9e69eadae24cda13f55d393179d75bc5c80e3c8edfac578465f05"
        );
        assert!(claim
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '-' || c == '.'));
        assert!(sign(&key, "ws_x", Actor::System, 1).starts_with("system.1."));
        assert_eq!(format!("{key:?}"), "ClaimKey([redacted])");
    }
}
