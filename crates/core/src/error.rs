use thiserror::Error;

/// What the data layer can fail with. Variants a caller must react to are named; everything else
/// is an internal error that the HTTP layer logs and answers opaquely.
#[derive(Debug, Error)]
pub enum CoreError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// The change would leave the workspace without an active admin.
    #[error("this is the workspace's last active admin")]
    LastAdmin,
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

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}
