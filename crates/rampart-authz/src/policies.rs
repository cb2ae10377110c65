//! Loading the schema and policy files, with every policy named by its `@id`.

use std::str::FromStr;

use cedar_policy::{PolicyId, PolicySet, Schema, ValidationMode, Validator};

/// The schema shipped in `policies/rampart.cedarschema`.
pub const DEFAULT_SCHEMA: &str = include_str!("../../../policies/rampart.cedarschema");

/// The default policies shipped in `policies/*.cedar`.
pub const DEFAULT_POLICIES: &[(&str, &str)] = &[
    (
        "organisation-isolation.cedar",
        include_str!("../../../policies/organisation-isolation.cedar"),
    ),
    (
        "members.cedar",
        include_str!("../../../policies/members.cedar"),
    ),
    (
        "administrators.cedar",
        include_str!("../../../policies/administrators.cedar"),
    ),
    (
        "asset-owners.cedar",
        include_str!("../../../policies/asset-owners.cedar"),
    ),
    (
        "documents.cedar",
        include_str!("../../../policies/documents.cedar"),
    ),
    (
        "plugins-are-platform.cedar",
        include_str!("../../../policies/plugins-are-platform.cedar"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("schema: {0}")]
    Schema(String),
    #[error("{file}: {message}")]
    Policy { file: String, message: String },
    #[error("policies do not validate against the schema: {0}")]
    Validation(String),
}

pub fn load(
    schema_src: &str,
    files: &[(String, String)],
) -> Result<(Schema, PolicySet), PolicyError> {
    let (schema, _warnings) = Schema::from_cedarschema_str(schema_src)
        .map_err(|e| PolicyError::Schema(format!("{e:?}")))?;
    let mut set = PolicySet::new();
    for (file, text) in files {
        let parsed = PolicySet::from_str(text).map_err(|e| PolicyError::Policy {
            file: file.clone(),
            message: format!("{e}"),
        })?;
        for policy in parsed.policies() {
            let Some(id) = policy.annotation("id") else {
                return Err(PolicyError::Policy {
                    file: file.clone(),
                    message: format!("a policy has no @id annotation:\n{policy}"),
                });
            };
            let renamed = policy.new_id(PolicyId::new(id));
            set.add(renamed).map_err(|e| PolicyError::Policy {
                file: file.clone(),
                message: e.to_string(),
            })?;
        }
    }
    let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
    if !result.validation_passed() {
        let errors: Vec<String> = result.validation_errors().map(|e| e.to_string()).collect();
        return Err(PolicyError::Validation(errors.join("; ")));
    }
    Ok((schema, set))
}
