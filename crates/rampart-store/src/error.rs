use rampart_domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The record changed since the caller read it (or the chain moved too often to retry).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(
        "this database was written by a newer Rampart (schema version {found}; this build knows up to {supported}); upgrade Rampart or point it at another database"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("database: {0}")]
    Database(String),
    #[error("stored data is not what this version expects: {0}")]
    Corrupt(String),
}

impl From<surrealdb::Error> for StoreError {
    fn from(e: surrealdb::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}
