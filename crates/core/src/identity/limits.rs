//! Rate limits and account lockout, counted in PostgreSQL so that every app server shares them.
//! A leaf: the actions that are limited (sign-in, resets, sign-up, workspace creation) call these
//! counters; nothing here knows about accounts or workspaces.

use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use crate::CoreResult;

/// Failures of one account within `LOCKOUT_WINDOW` that lock it.
pub const LOCKOUT_FAILURES: i32 = 10;
pub const LOCKOUT_WINDOW: Duration = Duration::minutes(15);
pub const LOCKOUT_DURATION: Duration = Duration::minutes(15);

/// Counts one event for `key` in a fixed window and says whether it is within `limit`; when it
/// is not, how long until the window ends. One statement: concurrent hits never lose a count.
pub async fn hit(
    db: impl sqlx::PgExecutor<'_>,
    key: &str,
    limit: i32,
    window: Duration,
) -> CoreResult<Result<i32, Duration>> {
    let (count, window_start): (i32, OffsetDateTime) = sqlx::query_as(
        "INSERT INTO rate_limits AS r (key, window_start, count) VALUES ($1, now(), 1)
         ON CONFLICT (key) DO UPDATE SET
             count = CASE WHEN r.window_start + $2 <= now() THEN 1 ELSE r.count + 1 END,
             window_start = CASE WHEN r.window_start + $2 <= now() THEN now() ELSE r.window_start END
         RETURNING count, window_start",
    )
    .bind(key)
    .bind(window)
    .fetch_one(db)
    .await?;
    if count <= limit {
        Ok(Ok(count))
    } else {
        let left = window_start + window - OffsetDateTime::now_utc();
        Ok(Err(left.max(Duration::seconds(1))))
    }
}

/// Counts one event for `key` and refuses with `RateLimited` past `limit`: an action's own limit,
/// as every door answers it (429 with `Retry-After`).
pub async fn enforce(
    db: impl sqlx::PgExecutor<'_>,
    key: &str,
    limit: i32,
    window: Duration,
) -> CoreResult<()> {
    match hit(db, key, limit, window).await? {
        Ok(_) => Ok(()),
        Err(wait) => Err(crate::CoreError::RateLimited {
            retry_after_secs: wait.whole_seconds().max(1) as u64,
        }),
    }
}

/// How long the account stays locked, if it is.
pub async fn account_locked_for(pool: &PgPool, email: &str) -> CoreResult<Option<Duration>> {
    let until: Option<OffsetDateTime> = sqlx::query_scalar(
        "SELECT locked_until FROM account_locks WHERE email = $1 AND locked_until > now()",
    )
    .bind(email)
    .fetch_optional(pool)
    .await?;
    Ok(until.map(|u| (u - OffsetDateTime::now_utc()).max(Duration::seconds(1))))
}

/// Records a failed sign-in for `email`; the tenth within the window locks the account.
/// Counted for unknown emails too, so a lock says nothing about whether an account exists.
pub async fn record_login_failure(pool: &PgPool, email: &str) -> CoreResult<()> {
    let key = format!("login-account:{email}");
    if hit(pool, &key, LOCKOUT_FAILURES - 1, LOCKOUT_WINDOW)
        .await?
        .is_err()
    {
        sqlx::query(
            "INSERT INTO account_locks (email, locked_until) VALUES ($1, now() + $2)
             ON CONFLICT (email) DO UPDATE SET locked_until = EXCLUDED.locked_until",
        )
        .bind(email)
        .bind(LOCKOUT_DURATION)
        .execute(pool)
        .await?;
        sqlx::query("DELETE FROM rate_limits WHERE key = $1")
            .bind(&key)
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// A successful sign-in forgets earlier failures.
pub async fn clear_login_failures(pool: &PgPool, email: &str) -> CoreResult<()> {
    sqlx::query("DELETE FROM rate_limits WHERE key = $1")
        .bind(format!("login-account:{email}"))
        .execute(pool)
        .await?;
    Ok(())
}

/// Sign-in attempts from one client address within `LOCKOUT_WINDOW`, whatever the account.
pub const LOGIN_ATTEMPTS_PER_IP: i32 = 100;

static LOGIN_PER_IP: std::sync::atomic::AtomicI32 =
    std::sync::atomic::AtomicI32::new(LOGIN_ATTEMPTS_PER_IP);

/// Sign-in attempts (passwords and passkeys) one client address may make per
/// [`LOCKOUT_WINDOW`]: [`LOGIN_ATTEMPTS_PER_IP`] unless the operator chose otherwise
/// (`BASTION_LOGIN_LIMIT_PER_IP`; an office behind one address may need more).
pub fn login_attempts_per_ip() -> i32 {
    LOGIN_PER_IP.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets [`login_attempts_per_ip`] for the whole process, at start-up.
pub fn set_login_attempts_per_ip(limit: i32) {
    LOGIN_PER_IP.store(limit.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// The client's address: the socket's peer, or, when that peer is one of `trusted_proxies`,
/// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries further
/// left were written by the client and prove nothing).
pub fn client_ip(
    peer: Option<std::net::IpAddr>,
    forwarded_for: Option<&str>,
    trusted_proxies: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let peer = peer?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else {
        return Some(peer);
    };
    header
        .rsplit(',')
        .map(str::trim)
        .filter_map(|entry| entry.parse::<std::net::IpAddr>().ok())
        .find(|ip| !trusted_proxies.contains(ip))
        .or(Some(peer))
}

#[cfg(test)]
mod tests {
    use super::client_ip;

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let lb = "10.0.0.2".parse().unwrap();
        let client = "203.0.113.7".parse().unwrap();
        let spoofed = Some("198.51.100.1, 203.0.113.7");
        // Directly connected: the header is ignored.
        assert_eq!(
            client_ip(Some(client), Some("198.51.100.1"), &[lb]),
            Some(client)
        );
        // Behind the trusted balancer: the right-most untrusted entry, not the spoofed left one.
        assert_eq!(client_ip(Some(lb), spoofed, &[lb]), Some(client));
        // Behind it without a header: the balancer itself.
        assert_eq!(client_ip(Some(lb), None, &[lb]), Some(lb));
        // No trusted proxies configured: never the header.
        assert_eq!(client_ip(Some(lb), spoofed, &[]), Some(lb));
    }
}
