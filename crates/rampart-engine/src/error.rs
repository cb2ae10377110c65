use rampart_authz::Denied;
use rampart_domain::Invalid;
use rampart_store::StoreError;

/// What can go wrong in a use case; each maps to one gRPC status.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Invalid(Invalid),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A stale revision or a concurrent change: read again and retry.
    #[error("{0}")]
    Conflict(String),
    /// The request is well-formed but the current state does not allow it.
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A plugin broke a limit or the contract; it named itself and what it broke.
    #[error(transparent)]
    Plugin(rampart_plugins::PluginFailure),
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => EngineError::NotFound(m),
            StoreError::AlreadyExists(m) => EngineError::AlreadyExists(m),
            StoreError::Conflict(m) => EngineError::Conflict(m),
            StoreError::Invalid(i) => EngineError::Invalid(i),
            e @ StoreError::SchemaTooNew { .. } => EngineError::FailedPrecondition(e.to_string()),
            StoreError::Database(m) => EngineError::Unavailable(format!("database: {m}")),
            StoreError::Corrupt(m) => EngineError::Internal(m),
        }
    }
}

impl From<Invalid> for EngineError {
    fn from(e: Invalid) -> Self {
        EngineError::Invalid(e)
    }
}
