//! Passkeys (WebAuthn, through `webauthn-rs`): an account's credentials, a sign-in with a passkey
//! alone, and a passkey as the second step after a password.
//!
//! Every ceremony takes two requests (options to the browser, its signed answer back); the
//! library's state between them is kept in `passkey_ceremonies`, never in a server's memory, so
//! any app server may finish what another started. The client holds a random ceremony id of
//! which only a SHA-256 is stored; finishing deletes the row before anything is checked, so an
//! answer is accepted once (a replay finds nothing). Passkeys ask for user verification (a PIN
//! or biometric on the authenticator): a passkey sign-in is two factors in one gesture.

use std::fmt;

use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Webauthn,
    WebauthnBuilder,
};

use crate::{
    accounts::{self, User},
    codes::{new_link_token, token_digest},
    keys::MasterKeyRing,
    limits,
    sessions::Factor,
    two_factor, CoreError, CoreResult,
};

/// How long the browser has between the options and its answer.
pub const CEREMONY_LIFETIME: Duration = Duration::minutes(5);
/// Passkeys per account: enough for every device someone owns, few enough to list.
pub const MAX_PER_ACCOUNT: i64 = 20;
/// The most characters of a passkey's name.
const NAME_CHARS: usize = 60;

/// Who the passkeys are for: the relying party's id (a domain, never an address) and the one
/// origin whose answers are accepted.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    id: String,
    origin: Url,
}

impl RelyingParty {
    /// From the origin we answer as (`Config::origin`). `local`: no public URL is configured and
    /// we serve on a loopback address; browsers refuse an IP address as a relying party id, so
    /// passkeys then live at `http://localhost:<port>` (a secure context in every browser).
    pub fn for_origin(origin: &str, local: bool) -> CoreResult<Self> {
        let mut url = Url::parse(origin)
            .map_err(|e| CoreError::Internal(format!("the origin {origin:?} is no URL: {e}")))?;
        if local {
            url.set_host(Some("localhost"))
                .map_err(|e| CoreError::Internal(format!("localhost origin: {e}")))?;
        }
        let id = url
            .domain()
            .ok_or_else(|| {
                CoreError::Internal(format!(
                    "passkeys need a domain name in the public URL, not {origin:?}"
                ))
            })?
            .to_owned();
        Ok(Self { id, origin: url })
    }

    /// The relying party id (`localhost`, `bastion.example.eu`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The origin passkeys are used from, e.g. `http://localhost:3000`.
    pub fn origin(&self) -> String {
        self.origin.origin().ascii_serialization()
    }

    fn webauthn(&self) -> CoreResult<Webauthn> {
        WebauthnBuilder::new(&self.id, &self.origin)
            .and_then(|b| b.rp_name("Bastion").build())
            .map_err(|e| CoreError::Internal(format!("WebAuthn configuration: {e}")))
    }
}

/// The id of a ceremony under way, held by the client: 32 random bytes, of which the database
/// keeps a SHA-256. Printed `[redacted]`.
pub struct CeremonyId(String);

impl CeremonyId {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CeremonyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A ceremony started: its id, to send back with the answer, and the options for
/// `navigator.credentials.create` or `.get` (`{"publicKey": …}`, binary fields in base64url).
#[derive(Debug)]
pub struct Started {
    pub ceremony: CeremonyId,
    pub options: serde_json::Value,
}

/// A passkey as its owner sees it listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PasskeyInfo {
    pub id: Uuid,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

/// The account's passkeys, oldest first.
pub async fn list(db: impl sqlx::PgExecutor<'_>, user_id: Uuid) -> CoreResult<Vec<PasskeyInfo>> {
    Ok(sqlx::query_as(
        "SELECT id, name, created_at, last_used_at FROM passkeys
          WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?)
}

/// Whether the account has a passkey.
pub async fn any(db: impl sqlx::PgExecutor<'_>, user_id: Uuid) -> CoreResult<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1)")
            .bind(user_id)
            .fetch_one(db)
            .await?,
    )
}

fn ceremony_gone() -> CoreError {
    CoreError::invalid(
        "ceremony",
        "has expired or was already answered; start again",
    )
}

fn refused() -> CoreError {
    CoreError::invalid("credential", "was not accepted")
}

/// A passkey's name: trimmed, 1 to 60 characters; empty becomes "Passkey".
fn parse_name(input: &str) -> CoreResult<String> {
    let name = input.trim();
    match name.chars().count() {
        0 => Ok("Passkey".to_owned()),
        n if n > NAME_CHARS => Err(CoreError::invalid("name", "must be at most 60 characters")),
        _ => Ok(name.to_owned()),
    }
}

fn to_json<T: Serialize>(value: &T) -> CoreResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| CoreError::Internal(format!("WebAuthn state: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> CoreResult<T> {
    serde_json::from_value(value).map_err(|e| CoreError::Internal(format!("WebAuthn state: {e}")))
}

/// Keeps a ceremony's state; answers the id the client holds. Stale ceremonies go first.
async fn store_ceremony(
    pool: &PgPool,
    purpose: &str,
    user_id: Option<Uuid>,
    state: serde_json::Value,
) -> CoreResult<CeremonyId> {
    sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at <= now()")
        .execute(pool)
        .await?;
    let (token, digest) = new_link_token();
    sqlx::query(
        "INSERT INTO passkey_ceremonies (id, token_hash, purpose, user_id, state, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + $6)",
    )
    .bind(Uuid::new_v4())
    .bind(digest)
    .bind(purpose)
    .bind(user_id)
    .bind(state)
    .bind(CEREMONY_LIFETIME)
    .execute(pool)
    .await?;
    Ok(CeremonyId(token))
}

/// Takes a ceremony's state out of the database (deleting it: one answer per ceremony), if it
/// is live, of `purpose` and of `user_id` (NULL for a sign-in with a passkey alone).
async fn take_ceremony(
    conn: &mut PgConnection,
    ceremony: &str,
    purpose: &str,
    user_id: Option<Uuid>,
) -> CoreResult<serde_json::Value> {
    let state: Option<serde_json::Value> = sqlx::query_scalar(
        "DELETE FROM passkey_ceremonies
          WHERE token_hash = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3
                AND expires_at > now()
          RETURNING state",
    )
    .bind(token_digest(ceremony))
    .bind(purpose)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    state.ok_or_else(ceremony_gone)
}

async fn record(conn: &mut PgConnection, user_id: Uuid, kind: &str) -> CoreResult<()> {
    sqlx::query("INSERT INTO account_events (id, user_id, kind) VALUES ($1, $2, $3)")
        .bind(Uuid::new_v4())
        .bind(user_id)
        .bind(kind)
        .execute(conn)
        .await?;
    Ok(())
}

/// Starts adding a passkey to the signed-in account. The passkey is discoverable (kept on the
/// authenticator with the account's id), so it can later sign in without an email address;
/// the account's passkeys are excluded, so one authenticator is not added twice.
pub async fn begin_registration(
    pool: &PgPool,
    rp: &RelyingParty,
    user: &User,
) -> CoreResult<Started> {
    let existing: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT credential FROM passkeys WHERE user_id = $1")
            .bind(user.id)
            .fetch_all(pool)
            .await?;
    if existing.len() as i64 >= MAX_PER_ACCOUNT {
        return Err(CoreError::Conflict {
            code: "too_many_passkeys",
            message: format!("An account holds at most {MAX_PER_ACCOUNT} passkeys."),
        });
    }
    let exclude = existing
        .into_iter()
        .map(|c| from_json::<Passkey>(c).map(|p| p.cred_id().clone()))
        .collect::<CoreResult<Vec<_>>>()?;
    let (options, state) = rp
        .webauthn()?
        .start_passkey_registration(user.id, &user.email, &user.name, Some(exclude))
        .map_err(|e| CoreError::Internal(format!("WebAuthn registration: {e}")))?;
    let mut options = to_json(&options)?;
    // The library asks for a server-side credential; a passkey that signs in without an email
    // address must be discoverable. Its verification of the answer does not depend on this.
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(|s| s.as_object_mut())
    {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    let ceremony = store_ceremony(pool, "register", Some(user.id), to_json(&state)?).await?;
    Ok(Started { ceremony, options })
}

/// Finishes adding a passkey with the browser's answer (`navigator.credentials.create`, binary
/// fields in base64url) and the name its owner gave it.
pub async fn finish_registration(
    pool: &PgPool,
    master: &MasterKeyRing,
    rp: &RelyingParty,
    user: &User,
    ceremony: &str,
    credential: &serde_json::Value,
    name: &str,
) -> CoreResult<PasskeyInfo> {
    let name = parse_name(name)?;
    let answer: RegisterPublicKeyCredential =
        serde_json::from_value(credential.clone()).map_err(|_| refused())?;
    let mut tx = pool.begin().await?;
    let state: PasskeyRegistration =
        from_json(take_ceremony(&mut tx, ceremony, "register", Some(user.id)).await?)?;
    // The ceremony is spent whatever the answer: commit its deletion before judging it.
    tx.commit().await?;
    let passkey = rp
        .webauthn()?
        .finish_passkey_registration(&answer, &state)
        .map_err(|_| refused())?;
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query_as::<_, PasskeyInfo>(
        "INSERT INTO passkeys (id, user_id, credential_id, credential, name)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, created_at, last_used_at",
    )
    .bind(Uuid::new_v4())
    .bind(user.id)
    .bind(passkey.cred_id().as_ref())
    .bind(to_json(&passkey)?)
    .bind(&name)
    .fetch_one(&mut *tx)
    .await;
    let info = match inserted {
        Ok(info) => info,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(CoreError::Conflict {
                code: "passkey_registered",
                message: "This passkey is already registered.".into(),
            })
        }
        Err(e) => return Err(e.into()),
    };
    record(&mut tx, user.id, "passkey_added").await?;
    tell_owner(&mut tx, master, user, &info.name, true).await?;
    tx.commit().await?;
    Ok(info)
}

/// Removes one of the account's passkeys; another account's (or none) is not found.
pub async fn remove(
    pool: &PgPool,
    master: &MasterKeyRing,
    user: &User,
    passkey_id: Uuid,
) -> CoreResult<()> {
    let mut tx = pool.begin().await?;
    let name: Option<String> =
        sqlx::query_scalar("DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name")
            .bind(passkey_id)
            .bind(user.id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(name) = name else {
        return Err(CoreError::NotFound("passkey"));
    };
    record(&mut tx, user.id, "passkey_removed").await?;
    tell_owner(&mut tx, master, user, &name, false).await?;
    tx.commit().await?;
    Ok(())
}

/// Mails the account's owner that a passkey was added or removed, in their language, through
/// the outbox in the change's transaction. Adding one needs only a session, so a stolen session
/// could give itself a lasting way in (or take the owner's away): the owner learns of it at
/// once, as of a sign-in from a new device.
async fn tell_owner(
    conn: &mut PgConnection,
    master: &MasterKeyRing,
    user: &User,
    passkey: &str,
    added: bool,
) -> CoreResult<()> {
    let t = bastion_i18n::Locale::from_tag(&user.locale)
        .unwrap_or_default()
        .t();
    let (subject, body) = if added {
        (
            t.mail_passkey_added_subject(),
            t.mail_passkey_added_body(&user.name, passkey),
        )
    } else {
        (
            t.mail_passkey_removed_subject(),
            t.mail_passkey_removed_body(&user.name, passkey),
        )
    };
    crate::mail::enqueue(conn, master, &user.email, subject, &body).await?;
    Ok(())
}

/// Refuses with 429 while the account is locked.
async fn ensure_unlocked(pool: &PgPool, email: &str) -> CoreResult<()> {
    match limits::account_locked_for(pool, email).await? {
        Some(wait) => Err(CoreError::RateLimited {
            retry_after_secs: wait.whole_seconds().max(1) as u64,
        }),
        None => Ok(()),
    }
}

/// Counts one sign-in attempt from this address, against the same limit as passwords.
async fn limit_address(pool: &PgPool, client_ip: Option<std::net::IpAddr>) -> CoreResult<()> {
    if let Some(ip) = client_ip {
        limits::enforce(
            pool,
            &format!("login-ip:{ip}"),
            limits::login_attempts_per_ip(),
            limits::LOCKOUT_WINDOW,
        )
        .await?;
    }
    Ok(())
}

/// A stored passkey, locked for the length of `conn`'s transaction (its counter is advanced
/// once per use, however many requests race).
async fn stored_passkey(
    conn: &mut PgConnection,
    credential_id: &[u8],
) -> CoreResult<Option<(Uuid, Uuid, Passkey)>> {
    let row: Option<(Uuid, Uuid, serde_json::Value)> = sqlx::query_as(
        "SELECT id, user_id, credential FROM passkeys WHERE credential_id = $1 FOR UPDATE",
    )
    .bind(credential_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(id, user_id, c)| Ok((id, user_id, from_json(c)?)))
        .transpose()
}

/// Saves what a use taught about the passkey (its counter, its backup state) and when.
async fn note_use(
    conn: &mut PgConnection,
    id: Uuid,
    mut passkey: Passkey,
    result: &webauthn_rs::prelude::AuthenticationResult,
) -> CoreResult<()> {
    passkey.update_credential(result);
    sqlx::query("UPDATE passkeys SET credential = $2, last_used_at = now() WHERE id = $1")
        .bind(id)
        .bind(to_json(&passkey)?)
        .execute(conn)
        .await?;
    Ok(())
}

/// Starts a sign-in with a passkey alone: no email address; the authenticator offers the
/// passkeys it holds for this site. Counted per address like password sign-ins.
pub async fn begin_sign_in(
    pool: &PgPool,
    rp: &RelyingParty,
    client_ip: Option<std::net::IpAddr>,
) -> CoreResult<Started> {
    limit_address(pool, client_ip).await?;
    let (mut options, state) = rp
        .webauthn()?
        .start_discoverable_authentication()
        .map_err(|e| CoreError::Internal(format!("WebAuthn authentication: {e}")))?;
    // The library prepares conditional mediation (autofill); the sign-in page asks on a click.
    options.mediation = None;
    let ceremony = store_ceremony(pool, "sign_in", None, to_json(&state)?).await?;
    Ok(Started {
        ceremony,
        options: to_json(&options)?,
    })
}

/// Finishes a sign-in with a passkey: the ceremony from [`begin_sign_in`] and the browser's
/// answer (`navigator.credentials.get`). Answers the user whose passkey signed; only then may a
/// session start. Refused: an answer to no live ceremony (expired, or already answered), a
/// credential that is not a passkey of the account it names, a signature that does not verify,
/// a signature counter that did not move forward, and any account while it is locked. A wrong
/// signature counts toward that account's lockout.
pub async fn finish_sign_in(
    pool: &PgPool,
    rp: &RelyingParty,
    ceremony: &str,
    credential: &serde_json::Value,
    client_ip: Option<std::net::IpAddr>,
) -> CoreResult<(User, Factor)> {
    limit_address(pool, client_ip).await?;
    let mut tx = pool.begin().await?;
    let state: DiscoverableAuthentication =
        from_json(take_ceremony(&mut tx, ceremony, "sign_in", None).await?)?;
    tx.commit().await?;
    let answer: PublicKeyCredential =
        serde_json::from_value(credential.clone()).map_err(|_| refused())?;
    let webauthn = rp.webauthn()?;
    let (handle, credential_id) = webauthn
        .identify_discoverable_authentication(&answer)
        .map_err(|_| refused())?;
    let mut tx = pool.begin().await?;
    // The passkey must be registered, and to the account the authenticator names.
    let Some((id, owner, passkey)) = stored_passkey(&mut tx, credential_id).await? else {
        return Err(refused());
    };
    if owner != handle {
        return Err(refused());
    }
    let user = accounts::find_user(&mut *tx, owner)
        .await?
        .ok_or_else(refused)?;
    ensure_unlocked(pool, &user.email).await?;
    crate::sso::refuse_password_sign_in(pool, user.id).await?;
    let result = match webauthn.finish_discoverable_authentication(
        &answer,
        state,
        &[DiscoverableKey::from(&passkey)],
    ) {
        Ok(result) => result,
        Err(_) => {
            tx.rollback().await?;
            limits::record_login_failure(pool, &user.email).await?;
            return Err(refused());
        }
    };
    note_use(&mut tx, id, passkey, &result).await?;
    tx.commit().await?;
    limits::clear_login_failures(pool, &user.email).await?;
    Ok((user, Factor::Passkey))
}

/// The account a password sign-in's challenge belongs to, counting one attempt of its five.
async fn challenged_user(pool: &PgPool, challenge: &str) -> CoreResult<User> {
    let user_id: Option<Uuid> = sqlx::query_scalar(
        "UPDATE pending_sign_ins SET attempts = attempts + 1
          WHERE token_hash = $1 AND expires_at > now() AND attempts < $2
          RETURNING user_id",
    )
    .bind(token_digest(challenge))
    .bind(two_factor::CHALLENGE_ATTEMPTS)
    .fetch_optional(pool)
    .await?;
    let gone = || {
        CoreError::invalid(
            "challenge",
            "has expired or was tried too often; sign in again with your password",
        )
    };
    let user_id = user_id.ok_or_else(gone)?;
    accounts::find_user(pool, user_id).await?.ok_or_else(gone)
}

/// Starts the second step of a password sign-in with one of the account's passkeys: the
/// challenge of the password step (`accounts::SignInStep::SecondFactor`). Each start counts as
/// one of the challenge's five attempts.
pub async fn begin_second_factor(
    pool: &PgPool,
    rp: &RelyingParty,
    challenge: &str,
) -> CoreResult<Started> {
    let user = challenged_user(pool, challenge).await?;
    ensure_unlocked(pool, &user.email).await?;
    let stored: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT credential FROM passkeys WHERE user_id = $1")
            .bind(user.id)
            .fetch_all(pool)
            .await?;
    if stored.is_empty() {
        return Err(CoreError::Conflict {
            code: "no_passkey",
            message: "This account has no passkey; use the code from your app.".into(),
        });
    }
    let passkeys = stored
        .into_iter()
        .map(from_json::<Passkey>)
        .collect::<CoreResult<Vec<_>>>()?;
    let (options, state) = rp
        .webauthn()?
        .start_passkey_authentication(&passkeys)
        .map_err(|e| CoreError::Internal(format!("WebAuthn authentication: {e}")))?;
    let ceremony = store_ceremony(pool, "second_factor", Some(user.id), to_json(&state)?).await?;
    Ok(Started {
        ceremony,
        options: to_json(&options)?,
    })
}

/// Finishes a password sign-in with a passkey: the challenge, the ceremony from
/// [`begin_second_factor`] and the browser's answer. Answers the user; only then may a session
/// start (factor `password_passkey`). Recorded as an account event; a refused answer counts
/// toward the lockout, and a locked account is refused however right the answer.
pub async fn finish_second_factor(
    pool: &PgPool,
    rp: &RelyingParty,
    challenge: &str,
    ceremony: &str,
    credential: &serde_json::Value,
    client_ip: Option<std::net::IpAddr>,
) -> CoreResult<(User, Factor)> {
    limit_address(pool, client_ip).await?;
    let user = challenged_user(pool, challenge).await?;
    let mut tx = pool.begin().await?;
    let state: PasskeyAuthentication =
        from_json(take_ceremony(&mut tx, ceremony, "second_factor", Some(user.id)).await?)?;
    tx.commit().await?;
    ensure_unlocked(pool, &user.email).await?;
    let answer: PublicKeyCredential =
        serde_json::from_value(credential.clone()).map_err(|_| refused())?;
    let mut tx = pool.begin().await?;
    let stored = stored_passkey(&mut tx, answer.get_credential_id()).await?;
    let verified = match stored {
        Some((id, owner, passkey)) if owner == user.id => rp
            .webauthn()?
            .finish_passkey_authentication(&answer, &state)
            .ok()
            .map(|result| (id, passkey, result)),
        _ => None,
    };
    let Some((id, passkey, result)) = verified else {
        tx.rollback().await?;
        limits::record_login_failure(pool, &user.email).await?;
        return Err(refused());
    };
    note_use(&mut tx, id, passkey, &result).await?;
    record(&mut tx, user.id, "passkey_used").await?;
    sqlx::query("DELETE FROM pending_sign_ins WHERE token_hash = $1")
        .bind(token_digest(challenge))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    limits::clear_login_failures(pool, &user.email).await?;
    Ok((user, Factor::PasswordPasskey))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_server_is_its_own_relying_party_as_localhost() {
        let rp = RelyingParty::for_origin("http://127.0.0.1:3000", true).unwrap();
        assert_eq!(rp.id(), "localhost");
        assert_eq!(rp.origin(), "http://localhost:3000");
        let rp = RelyingParty::for_origin("https://bastion.example.eu", false).unwrap();
        assert_eq!(rp.id(), "bastion.example.eu");
        assert_eq!(rp.origin(), "https://bastion.example.eu");
        assert!(RelyingParty::for_origin("https://192.0.2.1", false).is_err());
        assert!(rp.webauthn().is_ok());
    }

    #[test]
    fn names_are_trimmed_and_bounded_and_ids_never_print() {
        assert_eq!(parse_name("  Laptop ").unwrap(), "Laptop");
        assert_eq!(parse_name("").unwrap(), "Passkey");
        assert!(parse_name(&"x".repeat(61)).is_err());
        assert_eq!(format!("{:?}", CeremonyId("tok".into())), "[redacted]");
    }
}
