//! Password reset by a 6-digit code sent by email: valid 15 minutes, at most 5 attempts, single
//! use, the newest code replacing older ones. Every attempt is counted by one atomic UPDATE, so
//! parallel guesses cannot evaluate more than 5.

use sqlx::PgPool;
use time::Duration;

use crate::keys::MasterKeyRing;
use crate::{
    codes::{code_hash, new_code, same_digest},
    limits, mail,
    passwords::{self, Password},
    CoreError, CoreResult,
};

pub const CODE_LIFETIME: Duration = Duration::minutes(15);
pub const MAX_ATTEMPTS: i32 = 5;

/// Reset requests one client address may make per [`REQUEST_WINDOW`]; past it, `RateLimited`.
pub const REQUESTS_PER_CLIENT: i32 = 20;
/// Codes one account's address is sent per [`REQUEST_WINDOW`]; past it requests are silently
/// dropped, so the answer still says nothing about whether the account exists.
pub const REQUESTS_PER_EMAIL: i32 = 5;
pub const REQUEST_WINDOW: Duration = Duration::hours(1);

/// Starts a reset for `email` if such an account exists; the caller answers the same either way.
/// Counted against the limits above whatever door it came through.
pub async fn request_reset(
    pool: &PgPool,
    master: &MasterKeyRing,
    email: &str,
    client_ip: Option<std::net::IpAddr>,
) -> CoreResult<()> {
    if let Some(ip) = client_ip {
        limits::enforce(
            pool,
            &format!("reset-ip:{ip}"),
            REQUESTS_PER_CLIENT,
            REQUEST_WINDOW,
        )
        .await?;
    }
    let email = email.trim().to_lowercase();
    let key = format!("reset-email:{email}");
    if limits::hit(pool, &key, REQUESTS_PER_EMAIL, REQUEST_WINDOW)
        .await?
        .is_err()
    {
        return Ok(());
    }
    let Some(user) = crate::accounts::find_user_by_email(pool, &email).await? else {
        return Ok(());
    };
    let (code, salt) = new_code();
    let t = bastion_i18n::Locale::from_tag(&user.locale)
        .unwrap_or_default()
        .t();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO password_resets (user_id, code_hash, salt, expires_at) VALUES ($1, $2, $3, now() + $4)
         ON CONFLICT (user_id) DO UPDATE SET code_hash = EXCLUDED.code_hash, salt = EXCLUDED.salt,
             expires_at = EXCLUDED.expires_at, attempts = 0, used = false, created_at = now()",
    )
    .bind(user.id)
    .bind(code_hash(&code, &salt))
    .bind(&salt[..])
    .bind(CODE_LIFETIME)
    .execute(&mut *tx)
    .await?;
    mail::enqueue(
        &mut tx,
        master,
        &user.email,
        t.mail_reset_code_subject(),
        &t.mail_reset_code_body(&user.name, &*code),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password if `code` is the live code for `email`. Every failure is the same
/// `Invalid { field: "code" }`. On success every session of the user ends.
pub async fn reset_password(
    pool: &PgPool,
    email: &str,
    code: &str,
    new_password: &str,
) -> CoreResult<()> {
    let wrong = || CoreError::invalid("code", "is wrong or has expired; request a new code");
    // A weak new password must not cost an attempt.
    let new_password = Password::parse_new(new_password).map_err(|e| match e {
        CoreError::Invalid { message, .. } => CoreError::invalid("new_password", message),
        other => other,
    })?;
    let email = email.trim().to_lowercase();
    let attempt: Option<(uuid::Uuid, Vec<u8>, Vec<u8>)> = sqlx::query_as(
        "UPDATE password_resets r SET attempts = r.attempts + 1
         FROM users u
         WHERE u.email = $1 AND r.user_id = u.id
           AND NOT r.used AND r.expires_at > now() AND r.attempts < $2
         RETURNING r.user_id, r.code_hash, r.salt",
    )
    .bind(&email)
    .bind(MAX_ATTEMPTS)
    .fetch_optional(pool)
    .await?;
    let Some((user_id, stored, salt)) = attempt else {
        return Err(wrong());
    };
    let offered = code_hash(code.trim(), &salt);
    if !same_digest(&offered, &stored) {
        return Err(wrong());
    }
    let hash = passwords::hash(new_password).await?;
    let mut tx = pool.begin().await?;
    // Single use, also against a parallel request with the same code.
    let claimed =
        sqlx::query("UPDATE password_resets SET used = true WHERE user_id = $1 AND NOT used")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if claimed == 0 {
        return Err(wrong());
    }
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user_id)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
