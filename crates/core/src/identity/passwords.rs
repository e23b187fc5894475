//! Password hashing with Argon2id at OWASP's parameters, off the async runtime and with bounded
//! concurrency, so a storm of sign-ins cannot starve other requests.

use std::sync::{Arc, OnceLock};

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use tokio::sync::Semaphore;

use crate::{CoreError, CoreResult};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 1024;

/// A password as typed; never printed.
pub struct Password(String);

impl Password {
    /// Checks a new password: length, and not one of the most common passwords.
    pub fn parse_new(value: &str) -> CoreResult<Self> {
        let length = value.chars().count();
        if length < MIN_LENGTH {
            return Err(CoreError::invalid(
                "password",
                format!("must be at least {MIN_LENGTH} characters"),
            ));
        }
        if length > MAX_LENGTH {
            return Err(CoreError::invalid(
                "password",
                format!("must be at most {MAX_LENGTH} characters"),
            ));
        }
        if is_common(value) {
            return Err(CoreError::invalid(
                "password",
                "is one of the most common passwords; choose another",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// A password offered at sign-in: not checked for strength, only bounded.
    pub fn offered(value: &str) -> Self {
        Self(value.chars().take(MAX_LENGTH).collect())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

fn is_common(value: &str) -> bool {
    let lowered = value.to_lowercase();
    include_str!("common_passwords.txt")
        .lines()
        .any(|line| line == lowered)
}

fn argon2() -> Argon2<'static> {
    // OWASP: m = 19 MiB, t = 2, p = 1.
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn permits() -> Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS
        .get_or_init(|| {
            // Half the cores: with one hash per core, a sign-in storm held every core for the
            // 200-300 ms of each hash and the task API's p99 more than doubled (bench, issue 8).
            // Sign-ins queue instead; everything else keeps the other half.
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            Arc::new(Semaphore::new((cores / 2).max(1)))
        })
        .clone()
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> CoreResult<T> {
    let _permit = permits()
        .acquire_owned()
        .await
        .map_err(|_| CoreError::Embedded("password hashing is shut down".into()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CoreError::conflict(format!("password hashing failed: {e}")))
}

pub async fn hash(password: Password) -> CoreResult<String> {
    blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2()
            .hash_password(password.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::conflict(format!("password hashing failed: {e}")))
    })
    .await?
}

/// Verifies against `stored`, or against a fixed dummy hash when there is no user, so that an
/// unknown email and a wrong password take the same time.
pub async fn verify(password: Password, stored: Option<String>) -> CoreResult<bool> {
    blocking(move || {
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (dummy_hash().to_owned(), false),
        };
        let ok = PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(password.0.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && real
    })
    .await
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2()
            .hash_password(b"not a password anybody has", &salt)
            .expect("hash the dummy password")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        let short = Password::parse_new("short").unwrap_err().to_string();
        assert!(
            short.starts_with("password: ") && short.contains("12"),
            "{short}"
        );
        let common = Password::parse_new("Password1234").unwrap_err().to_string();
        assert!(common.contains("common"), "{common}");
        assert!(Password::parse_new("correct horse battery staple").is_ok());
        assert_eq!(
            format!("{:?}", Password::offered("hunter2hunter2")),
            "Password(***)"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash(Password::parse_new("correct horse battery staple").unwrap())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify(
            Password::offered("correct horse battery staple"),
            Some(hash.clone())
        )
        .await
        .unwrap());
        assert!(
            !verify(Password::offered("wrong horse battery staple"), Some(hash))
                .await
                .unwrap()
        );
        // No user: the dummy hash is checked and the answer is always no.
        assert!(
            !verify(Password::offered("not a password anybody has"), None)
                .await
                .unwrap()
        );
    }
}
