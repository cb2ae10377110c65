//! Engine errors as gRPC status codes that mean what they say.

use rampart_engine::EngineError;
use rampart_engine::plugin_host::Broke;
use tonic::{Code, Status};

/// Maps an engine error to a status. INVALID_ARGUMENT names the field in the message and in the
/// `x-rampart-field` trailer; PERMISSION_DENIED names the deciding policies in `x-rampart-policies`.
pub fn status(e: EngineError) -> Status {
    match e {
        EngineError::Unauthenticated(m) => Status::unauthenticated(m),
        EngineError::Denied(d) => {
            let mut s = Status::permission_denied(d.to_string());
            if !d.policies.is_empty()
                && let Ok(v) = d.policies.join(",").parse()
            {
                s.metadata_mut().insert("x-rampart-policies", v);
            }
            s
        }
        EngineError::Invalid(i) => {
            let mut s = Status::invalid_argument(i.to_string());
            if let Ok(v) = i.field.parse() {
                s.metadata_mut().insert("x-rampart-field", v);
            }
            s
        }
        EngineError::NotFound(m) => Status::not_found(format!("{m} not found")),
        EngineError::AlreadyExists(m) => Status::already_exists(format!("{m} already exists")),
        EngineError::Conflict(m) => Status::aborted(m),
        EngineError::FailedPrecondition(m) => Status::failed_precondition(m),
        EngineError::Unavailable(m) => Status::new(Code::Unavailable, m),
        EngineError::Plugin(f) => {
            // Broke a limit: RESOURCE_EXHAUSTED; crashed or broke the contract: FAILED_PRECONDITION.
            // Either way the plugin and what it broke travel in trailers for programs.
            let mut s = match f.broke {
                Broke::CpuBudget | Broke::Memory | Broke::Stack | Broke::Output => {
                    Status::resource_exhausted(f.to_string())
                }
                Broke::Crashed | Broke::Contract => Status::failed_precondition(f.to_string()),
            };
            if let Ok(v) = f.plugin.parse() {
                s.metadata_mut().insert("x-rampart-plugin", v);
            }
            if let Ok(v) = f.broke.as_str().parse() {
                s.metadata_mut().insert("x-rampart-plugin-broke", v);
            }
            s
        }
        EngineError::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            Status::internal(m)
        }
    }
}
