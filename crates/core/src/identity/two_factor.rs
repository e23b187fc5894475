//! Two-factor sign-in: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, one step of drift
//! either way, each code once) and ten single-use recovery codes.
//!
//! The authenticator secret is sealed under the master key ring (an account belongs to no
//! workspace, so there is no data key to use), like pending signups and mail bodies, and
//! `bastion keys rotate` re-seals it. Recovery codes are stored as SHA-256 digests only. A
//! sign-in that owes its second factor is a [`Challenge`]: no session exists until the code is
//! right. Wrong codes count toward the account lockout, like wrong passwords.

use std::fmt;

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::{
    accounts::{self, User},
    codes::{same_digest, token_digest},
    keys::MasterKeyRing,
    limits,
    passwords::{self, Password},
    secrets::SecretString,
    sessions::Factor,
    CoreError, CoreResult,
};

/// Seconds per time step (RFC 6238's X).
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret: 160 bits, RFC 4226's recommendation for HMAC-SHA-1.
const SECRET_BYTES: usize = 20;
/// Recovery codes per set.
pub const RECOVERY_CODES: usize = 10;
/// How long a sign-in may owe its second factor, and how many codes it may try.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);
pub const CHALLENGE_ATTEMPTS: i32 = 5;

/// The issuer shown in authenticator apps.
const ISSUER: &str = "Bastion";

/// The HOTP value (RFC 4226 §5.3) of `counter` under `secret`, as `digits` decimal digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

/// The RFC 6238 time step of a Unix time.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The 6-digit code of `step`, zero-padded, as an app shows it.
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    format!(
        "{:0width$}",
        hotp(secret, step as u64, DIGITS),
        width = DIGITS as usize
    )
}

/// An authenticator secret in the clear. Printed `[redacted]`; wiped when dropped.
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_BYTES]);
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Base32 without padding, as typed into an app (RFC 4648; what `otpauth://` carries).
    pub fn base32(&self) -> SecretString {
        SecretString::new(data_encoding::BASE32_NOPAD.encode(&self.0))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret of a base32 text (spaces and case ignored), e.g. as a test reads it off the page.
    pub fn from_base32(text: &str) -> Option<Self> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        data_encoding::BASE32_NOPAD
            .decode(cleaned.trim_end_matches('=').as_bytes())
            .ok()
            .map(|b| Self(Zeroizing::new(b)))
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A QR code as one SVG path: `size` modules square (quiet zone included), dark modules drawn by
/// `path`. The page draws it as inline SVG, so nothing outside this server sees the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct QrPath {
    pub size: u32,
    pub path: SecretString,
}

impl fmt::Debug for QrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrPath")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// What enrolment shows: the secret as text, the `otpauth://` link and its QR code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret: SecretString,
    pub otpauth_uri: SecretString,
    pub qr: QrPath,
}

impl Enrolment {
    fn of(secret: &TotpSecret, email: &str) -> CoreResult<Self> {
        let text = secret.base32();
        let label = percent_encode(&format!("{ISSUER}:{email}"));
        let uri = format!(
            "otpauth://totp/{label}?secret={}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            text.expose()
        );
        let qr = qr_path(&uri)?;
        Ok(Self {
            secret: text,
            otpauth_uri: SecretString::new(uri),
            qr,
        })
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The QR code of `text` (error correction M), with the standard four-module quiet zone.
fn qr_path(text: &str) -> CoreResult<QrPath> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|e| CoreError::Internal(format!("QR code: {e}")))?;
    let width = code.width();
    let mut path = String::new();
    for (index, colour) in code.to_colors().iter().enumerate() {
        if *colour == qrcode::Color::Dark {
            let (x, y) = (index % width + 4, index / width + 4);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Ok(QrPath {
        size: u32::try_from(width + 8).unwrap_or(u32::MAX),
        path: SecretString::new(path),
    })
}

/// A set of fresh recovery codes, shown once. Printed `[redacted]`.
#[derive(Clone)]
pub struct RecoveryCodes(pub Vec<SecretString>);

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes([redacted; {}])", self.0.len())
    }
}

/// A recovery code: 80 random bits as 16 base32 letters and digits, in groups of four.
fn new_recovery_code() -> String {
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    let text = data_encoding::BASE32_NOPAD
        .encode(&bytes)
        .to_ascii_lowercase();
    text.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("-")
}

/// What is typed, without spaces and dashes, lower-cased.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The stored digest: SHA-256 of the user id and the normalised code. The code's 80 random bits
/// make a slow hash pointless (the digest cannot be searched), and the user id ties a code to
/// its account.
fn recovery_digest(user_id: Uuid, code: &str) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(user_id.as_bytes());
    hash.update(normalise(code).as_bytes());
    hash.finalize().to_vec()
}

/// Is `code` shaped like an authenticator code (rather than a recovery code)?
fn is_totp_shaped(code: &str) -> bool {
    let code = normalise(code);
    code.len() == DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit())
}

/// Where an account stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Sign-in asks for a second factor.
    pub enabled: bool,
    /// Enrolment was started and waits for its first code.
    pub pending: bool,
    pub recovery_codes_left: i64,
}

pub async fn status(db: impl sqlx::PgExecutor<'_>, user_id: Uuid) -> CoreResult<Status> {
    let (enabled, pending, left): (bool, bool, i64) = sqlx::query_as(
        "SELECT coalesce(bool_or(t.confirmed_at IS NOT NULL), false),
                coalesce(bool_or(t.user_id IS NOT NULL AND t.confirmed_at IS NULL), false),
                (SELECT count(*) FROM recovery_codes r WHERE r.user_id = $1 AND r.used_at IS NULL)
           FROM (SELECT $1::uuid AS id) u LEFT JOIN user_totp t ON t.user_id = u.id",
    )
    .bind(user_id)
    .fetch_one(db)
    .await?;
    Ok(Status {
        enabled,
        pending,
        recovery_codes_left: if enabled { left } else { 0 },
    })
}

/// Whether sign-in asks this account for a second factor.
pub async fn enabled(db: impl sqlx::PgExecutor<'_>, user_id: Uuid) -> CoreResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL)",
    )
    .bind(user_id)
    .fetch_one(db)
    .await?)
}

/// Whether the account has a second factor: an authenticator app, or a passkey (itself two
/// factors, and phishing-resistant). Such an account signs in with a password only together
/// with one of them, and complies with a workspace that requires two-factor sign-in.
pub async fn has_second_factor(db: impl sqlx::PgExecutor<'_>, user_id: Uuid) -> CoreResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL)
             OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1)",
    )
    .bind(user_id)
    .fetch_one(db)
    .await?)
}

fn already_on() -> CoreError {
    CoreError::Conflict {
        code: "two_factor_on",
        message: "Two-factor sign-in is already on.".into(),
    }
}

fn not_on() -> CoreError {
    CoreError::Conflict {
        code: "two_factor_off",
        message: "Two-factor sign-in is not on.".into(),
    }
}

fn wrong_code() -> CoreError {
    CoreError::invalid("code", "is wrong or was already used")
}

/// Starts (or starts over) enrolment: a fresh secret, sealed, not yet asked at sign-in.
pub async fn begin_enrolment(
    pool: &PgPool,
    master: &MasterKeyRing,
    user: &User,
) -> CoreResult<Enrolment> {
    let secret = TotpSecret::generate();
    let sealed = master.wrap(secret.bytes());
    let stored = sqlx::query(
        "INSERT INTO user_totp (user_id, secret_sealed) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed,
             created_at = now(), last_step = NULL
         WHERE user_totp.confirmed_at IS NULL",
    )
    .bind(user.id)
    .bind(sealed)
    .execute(pool)
    .await?;
    if stored.rows_affected() == 0 {
        return Err(already_on());
    }
    Enrolment::of(&secret, &user.email)
}

/// The enrolment waiting for its first code, shown again (a reload of the page).
pub async fn pending_enrolment(
    pool: &PgPool,
    master: &MasterKeyRing,
    user: &User,
) -> CoreResult<Option<Enrolment>> {
    let sealed: Option<String> = sqlx::query_scalar(
        "SELECT secret_sealed FROM user_totp WHERE user_id = $1 AND confirmed_at IS NULL",
    )
    .bind(user.id)
    .fetch_optional(pool)
    .await?;
    sealed
        .map(|s| Enrolment::of(&open(master, &s)?, &user.email))
        .transpose()
}

fn open(master: &MasterKeyRing, sealed: &str) -> CoreResult<TotpSecret> {
    master.unwrap(sealed).map(TotpSecret).map_err(|_| {
        CoreError::Internal(
            "an authenticator secret cannot be opened with the configured master keys".into(),
        )
    })
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

/// Accepts `code` for the account's secret if it is the code of the current step or one either
/// side, and newer than the last one accepted; records its step in the same statement, so two
/// requests racing with one code cannot both pass. `confirmed`: the enrolled secret, or the one
/// waiting for confirmation.
async fn accept_totp(
    conn: &mut PgConnection,
    master: &MasterKeyRing,
    user_id: Uuid,
    code: &str,
    confirmed: bool,
) -> CoreResult<bool> {
    let row: Option<(String, Option<i64>)> = sqlx::query_as(
        "SELECT secret_sealed, last_step FROM user_totp
          WHERE user_id = $1 AND (confirmed_at IS NOT NULL) = $2 FOR UPDATE",
    )
    .bind(user_id)
    .bind(confirmed)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((sealed, last)) = row else {
        return Ok(false);
    };
    let secret = open(master, &sealed)?;
    let typed = normalise(code);
    let now = step_at(OffsetDateTime::now_utc().unix_timestamp());
    // Every candidate is computed and compared, so the time taken says nothing of which matched.
    let mut matched = None;
    for step in [now - 1, now, now + 1] {
        if same_digest(
            code_at_step(secret.bytes(), step).as_bytes(),
            typed.as_bytes(),
        ) && last.is_none_or(|l| step > l)
        {
            matched = Some(step);
        }
    }
    let Some(step) = matched else {
        return Ok(false);
    };
    sqlx::query("UPDATE user_totp SET last_step = $2 WHERE user_id = $1")
        .bind(user_id)
        .bind(step)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Marks a recovery code used, records it and mails the account; false if it is not one of the
/// account's unused codes.
async fn accept_recovery_code(
    conn: &mut PgConnection,
    master: &MasterKeyRing,
    user: &User,
    code: &str,
) -> CoreResult<bool> {
    let used = sqlx::query(
        "UPDATE recovery_codes SET used_at = now()
          WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user.id)
    .bind(recovery_digest(user.id, code))
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if used {
        record(&mut *conn, user.id, "recovery_code_used").await?;
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user.id)
        .fetch_one(&mut *conn)
        .await?;
        let t = bastion_i18n::Locale::from_tag(&user.locale)
            .unwrap_or_default()
            .t();
        crate::mail::enqueue(
            conn,
            master,
            &user.email,
            t.mail_recovery_used_subject(),
            &t.mail_recovery_used_body(&user.name, left),
        )
        .await?;
    }
    Ok(used)
}

/// Checks a second factor typed by the account's owner: an authenticator code, or (when
/// `recovery` allows) a recovery code. A wrong one counts toward the account lockout and
/// changes nothing else; a locked account is refused before any check.
async fn check_factor(
    pool: &PgPool,
    master: &MasterKeyRing,
    user: &User,
    code: &str,
    recovery: bool,
) -> CoreResult<Factor> {
    ensure_unlocked(pool, &user.email).await?;
    let mut tx = pool.begin().await?;
    let factor = if is_totp_shaped(code) {
        accept_totp(&mut tx, master, user.id, code, true)
            .await?
            .then_some(Factor::Totp)
    } else if recovery {
        accept_recovery_code(&mut tx, master, user, code)
            .await?
            .then_some(Factor::RecoveryCode)
    } else {
        None
    };
    match factor {
        Some(factor) => {
            tx.commit().await?;
            Ok(factor)
        }
        None => {
            tx.rollback().await?;
            limits::record_login_failure(pool, &user.email).await?;
            Err(wrong_code())
        }
    }
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

/// Replaces the account's recovery codes with ten fresh ones, inside `conn`'s transaction.
async fn replace_recovery_codes(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> CoreResult<RecoveryCodes> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let digests: Vec<Vec<u8>> = codes.iter().map(|c| recovery_digest(user_id, c)).collect();
    sqlx::query(
        "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, d FROM unnest($2::bytea[]) d",
    )
    .bind(user_id)
    .bind(&digests)
    .execute(&mut *conn)
    .await?;
    Ok(RecoveryCodes(
        codes.into_iter().map(SecretString::new).collect(),
    ))
}

/// Confirms enrolment with the first code from the app: from now on sign-in asks for a code.
/// Answers the ten recovery codes, to be shown once. A wrong code changes nothing (and counts
/// toward the lockout).
pub async fn confirm_enrolment(
    pool: &PgPool,
    master: &MasterKeyRing,
    user: &User,
    code: &str,
) -> CoreResult<RecoveryCodes> {
    ensure_unlocked(pool, &user.email).await?;
    let mut tx = pool.begin().await?;
    if !is_totp_shaped(code) || !accept_totp(&mut tx, master, user.id, code, false).await? {
        tx.rollback().await?;
        if enabled(pool, user.id).await? {
            return Err(already_on());
        }
        let started: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1)")
                .bind(user.id)
                .fetch_one(pool)
                .await?;
        if !started {
            return Err(CoreError::Conflict {
                code: "not_started",
                message: "Start setting up two-factor sign-in first.".into(),
            });
        }
        limits::record_login_failure(pool, &user.email).await?;
        return Err(wrong_code());
    }
    sqlx::query("UPDATE user_totp SET confirmed_at = now() WHERE user_id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let codes = replace_recovery_codes(&mut tx, user.id).await?;
    record(&mut tx, user.id, "two_factor_enabled").await?;
    tx.commit().await?;
    Ok(codes)
}

/// Checks the password (a wrong one is a refusal of `password`, counted toward the lockout).
async fn check_password(pool: &PgPool, user: &User, password: &str) -> CoreResult<()> {
    ensure_unlocked(pool, &user.email).await?;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_optional(pool)
            .await?;
    if passwords::verify(Password::offered(password), stored).await? {
        Ok(())
    } else {
        limits::record_login_failure(pool, &user.email).await?;
        Err(CoreError::invalid("password", "is wrong"))
    }
}

/// New recovery codes (the old ones stop working), after the password and a current code (from
/// the app, or an unused recovery code).
pub async fn regenerate_recovery_codes(
    pool: &PgPool,
    master: &MasterKeyRing,
    user: &User,
    password: &str,
    code: &str,
) -> CoreResult<RecoveryCodes> {
    if !enabled(pool, user.id).await? {
        return Err(not_on());
    }
    check_password(pool, user, password).await?;
    check_factor(pool, master, user, code, true).await?;
    let mut tx = pool.begin().await?;
    let codes = replace_recovery_codes(&mut tx, user.id).await?;
    record(&mut tx, user.id, "recovery_codes_regenerated").await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns two-factor sign-in off, after the password and a current code (from the app, or an
/// unused recovery code): the secret and the recovery codes are deleted.
pub async fn disable(
    pool: &PgPool,
    master: &MasterKeyRing,
    user: &User,
    password: &str,
    code: &str,
) -> CoreResult<()> {
    if !enabled(pool, user.id).await? {
        return Err(not_on());
    }
    check_password(pool, user, password).await?;
    check_factor(pool, master, user, code, true).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM user_totp WHERE user_id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    record(&mut tx, user.id, "two_factor_disabled").await?;
    tx.commit().await?;
    Ok(())
}

/// An event of the account's security record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AccountEvent {
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The account's newest security events, newest first.
pub async fn events(pool: &PgPool, user_id: Uuid, limit: i64) -> CoreResult<Vec<AccountEvent>> {
    Ok(sqlx::query_as(
        "SELECT kind, at FROM account_events WHERE user_id = $1 ORDER BY at DESC, id LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The proof a client holds between a right password and its second factor: 32 random bytes,
/// of which the database keeps only a SHA-256. Printed `[redacted]`.
pub struct Challenge(String);

impl Challenge {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Records that `user_id` gave the right password and now owes a code.
pub(crate) async fn start_challenge(pool: &PgPool, user_id: Uuid) -> CoreResult<Challenge> {
    let (token, digest) = crate::codes::new_link_token();
    sqlx::query("DELETE FROM pending_sign_ins WHERE user_id = $1 AND expires_at <= now()")
        .bind(user_id)
        .execute(pool)
        .await?;
    sqlx::query(
        "INSERT INTO pending_sign_ins (id, token_hash, user_id, expires_at)
         VALUES ($1, $2, $3, now() + $4)",
    )
    .bind(Uuid::new_v4())
    .bind(digest)
    .bind(user_id)
    .bind(CHALLENGE_LIFETIME)
    .execute(pool)
    .await?;
    Ok(Challenge(token))
}

fn challenge_gone() -> CoreError {
    CoreError::invalid(
        "challenge",
        "has expired or was tried too often; sign in again with your password",
    )
}

/// The second factors a sign-in's account can answer its challenge with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SecondFactors {
    /// A code from an authenticator app (or a recovery code).
    pub code: bool,
    /// One of its passkeys.
    pub passkey: bool,
}

/// Which second factors a live challenge accepts; `None` for a challenge that is unknown,
/// expired or out of attempts. Only reads: it counts no attempt.
pub async fn challenge_factors(
    pool: &PgPool,
    challenge: &str,
) -> CoreResult<Option<SecondFactors>> {
    let row: Option<(bool, bool)> = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM user_totp t
                         WHERE t.user_id = p.user_id AND t.confirmed_at IS NOT NULL),
                EXISTS (SELECT 1 FROM passkeys k WHERE k.user_id = p.user_id)
           FROM pending_sign_ins p
          WHERE p.token_hash = $1 AND p.expires_at > now() AND p.attempts < $2",
    )
    .bind(token_digest(challenge))
    .bind(CHALLENGE_ATTEMPTS)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(code, passkey)| SecondFactors { code, passkey }))
}

/// The second step of a sign-in: the challenge from the first step and a code from the app (or
/// a recovery code). Answers the user and the factor used; only then may a session start. Five
/// codes per challenge, each wrong one counted toward the account lockout; a locked account is
/// refused (429) however right the code.
pub async fn finish_sign_in(
    pool: &PgPool,
    master: &MasterKeyRing,
    challenge: &str,
    code: &str,
    client_ip: Option<std::net::IpAddr>,
) -> CoreResult<(User, Factor)> {
    if let Some(ip) = client_ip {
        limits::enforce(
            pool,
            &format!("login-ip:{ip}"),
            limits::login_attempts_per_ip(),
            limits::LOCKOUT_WINDOW,
        )
        .await?;
    }
    let user_id: Option<Uuid> = sqlx::query_scalar(
        "UPDATE pending_sign_ins SET attempts = attempts + 1
          WHERE token_hash = $1 AND expires_at > now() AND attempts < $2
          RETURNING user_id",
    )
    .bind(token_digest(challenge))
    .bind(CHALLENGE_ATTEMPTS)
    .fetch_optional(pool)
    .await?;
    let user_id = user_id.ok_or_else(challenge_gone)?;
    let user = accounts::find_user(pool, user_id)
        .await?
        .ok_or_else(challenge_gone)?;
    let factor = check_factor(pool, master, &user, code, true).await?;
    sqlx::query("DELETE FROM pending_sign_ins WHERE token_hash = $1")
        .bind(token_digest(challenge))
        .execute(pool)
        .await?;
    limits::clear_login_failures(pool, &user.email).await?;
    Ok((user, factor))
}

/// Re-seals every authenticator secret under the primary master key (part of `bastion keys
/// rotate`); answers how many changed.
pub(crate) async fn reseal_secrets(pool: &PgPool, master: &MasterKeyRing) -> CoreResult<usize> {
    crate::secrets::rewrap_rows(
        pool,
        master,
        "SELECT user_id, secret_sealed FROM user_totp",
        "UPDATE user_totp SET secret_sealed = $2 WHERE user_id = $1 AND secret_sealed = $3",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows: the ASCII seed "12345678901234567890", 8 digits.
    #[test]
    fn rfc_6238_appendix_b_vectors() {
        let seed = b"12345678901234567890";
        for (time, expected) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(hotp(seed, step_at(time) as u64, 8), expected, "T = {time}");
        }
        // Six digits are the last six of those, zero-padded.
        assert_eq!(code_at_step(seed, step_at(1111111109)), "081804");
        assert_eq!(code_at_step(seed, step_at(1234567890)), "005924");
    }

    #[test]
    fn secrets_round_trip_through_base32_and_never_print() {
        let secret = TotpSecret::generate();
        let text = secret.base32();
        assert_eq!(text.expose().len(), 32);
        let spaced = text
            .expose()
            .to_ascii_lowercase()
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            TotpSecret::from_base32(&spaced).unwrap().bytes(),
            secret.bytes()
        );
        assert_eq!(format!("{secret:?}"), "[redacted]");
        let codes = RecoveryCodes(vec![SecretString::new("abcd-efgh".into())]);
        assert!(!format!("{codes:?}").contains("abcd"));
        assert!(!format!("{:?}", Challenge("tok".into())).contains("tok"));
    }

    #[test]
    fn recovery_codes_are_80_bits_and_typed_loosely() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.matches('-').count(), 3);
        let user = Uuid::new_v4();
        assert_eq!(
            recovery_digest(user, &code),
            recovery_digest(user, &code.to_uppercase().replace('-', " "))
        );
        assert_ne!(
            recovery_digest(user, &code),
            recovery_digest(Uuid::new_v4(), &code)
        );
        assert!(!is_totp_shaped(&code));
        assert!(is_totp_shaped(" 123 456 "));
    }

    #[test]
    fn the_link_carries_the_parameters_and_the_qr_code_is_square() {
        let secret = TotpSecret::generate();
        let e = Enrolment::of(&secret, "ada+x@example.eu").unwrap();
        let uri = e.otpauth_uri.expose();
        assert!(uri.starts_with("otpauth://totp/Bastion%3Aada%2Bx%40example.eu?secret="));
        assert!(uri.contains(&format!("secret={}&", e.secret.expose())));
        assert!(uri.ends_with("&issuer=Bastion&algorithm=SHA1&digits=6&period=30"));
        assert!(e.qr.size > 21 + 8);
        assert!(e.qr.path.expose().starts_with('M'));
        assert!(!format!("{:?}", e.qr).contains('M'));
    }
}
