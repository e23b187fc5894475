use thiserror::Error;

/// What the core can fail with. Variants a caller must react to are named, and every door (REST
/// handler, server function, operator command) maps them the same way; everything else is an
/// internal error that the HTTP layer logs and answers opaquely.
#[derive(Debug, Error)]
pub enum CoreError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Also for what exists but the caller may not see: no existence oracle.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller sees the thing but their role may not do this; the sentence says what is not
    /// allowed, for people to read.
    #[error("{0}")]
    Forbidden(String),
    /// A clash with the current state. `code` is stable and machine-readable (`conflict`,
    /// `not_ready`, …); the message is for people.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The workspace requires two-factor sign-in and the caller, a member, has not turned it
    /// on: every door answers 403 `two_factor_required` and points to the account page.
    #[error("{}", TWO_FACTOR_REQUIRED)]
    TwoFactorRequired,
    /// A member of a workspace that signs in with single sign-on only tried a password or a
    /// passkey: every door answers 403 `sso_required`, naming the workspace and its sign-in link.
    #[error("members of {workspace} sign in with single sign-on")]
    SsoRequired { workspace: String, slug: String },
    /// The change would leave the workspace without an active admin.
    #[error("this is the workspace's last active admin")]
    LastAdmin,
    /// An action's own limit (sign-up, password resets, workspace creation, DPA requests) is
    /// reached; it opens again after this many seconds.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("tenant migration {version} was changed after it was applied to {schema}")]
    MigrationChanged { schema: String, version: i64 },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Object storage (attachment bytes) failed.
    #[error("object storage: {0}")]
    Storage(String),
    #[error("embedded PostgreSQL: {0}")]
    Embedded(String),
    /// A stored value we wrote cannot be read back (a secret no configured key opens, a payload
    /// that does not parse). Never caused by input; answered as an internal error.
    #[error("internal: {0}")]
    Internal(String),
}

/// What a member without two-factor sign-in is told in a workspace that requires it (REST's
/// `message`; pages say it in the reader's language).
pub const TWO_FACTOR_REQUIRED: &str = "This workspace requires two-factor sign-in. Turn it on \
on your account page (/account#two-factor), then try again.";

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// A clash with the generic code `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            code: "conflict",
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    /// PostgreSQL cancelled a statement (SQLSTATE 57014, `statement_timeout`): the transaction
    /// is rolled back and every door answers 503 `timeout`.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Database(err) if is_statement_timeout(err))
    }

    /// The database cannot be reached, or can no longer serve this connection: every door
    /// answers 503 `unavailable` with a `Retry-After`, and the pool opens fresh connections once
    /// PostgreSQL is back. See [`is_database_unavailable`].
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Database(err) if is_database_unavailable(err))
    }
}

/// The `Retry-After` (seconds) of every 503 `unavailable`: about what a restarting PostgreSQL
/// takes, so a client that honours it is back soon after the database is.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// SQLSTATE 57014 `query_canceled`: `statement_timeout` stopped the statement, and with it the
/// transaction, which is rolled back.
pub fn is_statement_timeout(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("57014"))
}

/// The database is down, restarting or out of reach, as opposed to refusing this request:
/// - no connection could be had in time (`PoolTimedOut`: PostgreSQL refuses connections or is
///   starting up, which the pool retries until its acquire timeout, or every connection is busy)
///   or the pool is shutting down (`PoolClosed`);
/// - the socket failed (`Io`: no server at the address, connection reset, closed mid-answer);
/// - PostgreSQL ended the session or will not take it: `57P01` admin_shutdown, `57P02`
///   crash_shutdown, `57P03` cannot_connect_now, and class `08` connection exceptions except
///   `08P01` protocol_violation, which is a bug on one side, not an outage.
pub fn is_database_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
                || (code.starts_with("08") && code != "08P01")
        }),
        _ => false,
    }
}

/// Answers `Forbidden(message)` unless the policy allowed it: the one shape of a permission
/// check inside a core action.
pub fn ensure(allowed: bool, message: &str) -> CoreResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(CoreError::Forbidden(message.to_owned()))
    }
}
