//! Numbered, idempotent schema migrations, applied at start. The version reached is stored in
//! `meta:schema`; a database at a version this build does not know is refused.

use surrealdb::Surreal;
use surrealdb::engine::any::Any;

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    System,
    Organisation,
}

/// The highest migration this build knows, for either kind of database.
pub const SCHEMA_VERSION: i64 = 1;

/// Every database has the meta table and an audit trail.
const COMMON: &str = r#"
DEFINE TABLE IF NOT EXISTS meta SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS version ON meta TYPE int;

DEFINE TABLE IF NOT EXISTS audit_event SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS seq ON audit_event TYPE int;
DEFINE FIELD IF NOT EXISTS actor ON audit_event TYPE string;
DEFINE FIELD IF NOT EXISTS operation ON audit_event TYPE string;
DEFINE FIELD IF NOT EXISTS entity ON audit_event TYPE string;
DEFINE FIELD IF NOT EXISTS state_digest ON audit_event TYPE string;
DEFINE FIELD IF NOT EXISTS at ON audit_event TYPE string;
DEFINE FIELD IF NOT EXISTS prev_hash ON audit_event TYPE string;
DEFINE FIELD IF NOT EXISTS hash ON audit_event TYPE string;

DEFINE TABLE IF NOT EXISTS audit_head SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS seq ON audit_head TYPE int;
DEFINE FIELD IF NOT EXISTS hash ON audit_head TYPE string;
"#;

const SYSTEM_V1: &str = r#"
DEFINE TABLE IF NOT EXISTS organisation SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS name ON organisation TYPE string;
DEFINE FIELD IF NOT EXISTS employees ON organisation TYPE int;
DEFINE FIELD IF NOT EXISTS isms_scope ON organisation TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON organisation TYPE int;
DEFINE FIELD IF NOT EXISTS created_at ON organisation TYPE string;
DEFINE FIELD IF NOT EXISTS updated_at ON organisation TYPE string;

DEFINE TABLE IF NOT EXISTS operator SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS display_name ON operator TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON operator TYPE int;
DEFINE FIELD IF NOT EXISTS created_at ON operator TYPE string;
DEFINE FIELD IF NOT EXISTS updated_at ON operator TYPE string;

DEFINE TABLE IF NOT EXISTS api_token SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS token_id ON api_token TYPE string;
DEFINE FIELD IF NOT EXISTS organisation ON api_token TYPE string;
DEFINE FIELD IF NOT EXISTS subject_kind ON api_token TYPE string ASSERT $value IN ['user', 'operator'];
DEFINE FIELD IF NOT EXISTS subject ON api_token TYPE string;
DEFINE FIELD IF NOT EXISTS label ON api_token TYPE string;
DEFINE FIELD IF NOT EXISTS created_at ON api_token TYPE string;
DEFINE FIELD IF NOT EXISTS created_by ON api_token TYPE string;
DEFINE FIELD IF NOT EXISTS expires_at ON api_token TYPE string;
DEFINE FIELD IF NOT EXISTS revoked ON api_token TYPE bool;
DEFINE INDEX IF NOT EXISTS api_token_id ON api_token FIELDS token_id UNIQUE;
DEFINE INDEX IF NOT EXISTS api_token_subject ON api_token FIELDS organisation, subject;
"#;

const ORGANISATION_V1: &str = r#"
DEFINE TABLE IF NOT EXISTS user SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS display_name ON user TYPE string;
DEFINE FIELD IF NOT EXISTS email ON user TYPE string;
DEFINE FIELD IF NOT EXISTS roles ON user TYPE array<string>;
DEFINE FIELD IF NOT EXISTS department ON user TYPE string;
DEFINE FIELD IF NOT EXISTS job_title ON user TYPE string;
DEFINE FIELD IF NOT EXISTS clearance ON user TYPE string;
DEFINE FIELD IF NOT EXISTS active ON user TYPE bool;
DEFINE FIELD IF NOT EXISTS revision ON user TYPE int;
DEFINE FIELD IF NOT EXISTS created_at ON user TYPE string;
DEFINE FIELD IF NOT EXISTS updated_at ON user TYPE string;

DEFINE TABLE IF NOT EXISTS asset_type SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS name ON asset_type TYPE string;
DEFINE FIELD IF NOT EXISTS description ON asset_type TYPE string;
DEFINE FIELD IF NOT EXISTS built_in ON asset_type TYPE bool;

DEFINE TABLE IF NOT EXISTS asset SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS name ON asset TYPE string;
DEFINE FIELD IF NOT EXISTS asset_type ON asset TYPE string;
DEFINE FIELD IF NOT EXISTS owner ON asset TYPE string;
DEFINE FIELD IF NOT EXISTS location ON asset TYPE string;
DEFINE FIELD IF NOT EXISTS description ON asset TYPE string;
DEFINE FIELD IF NOT EXISTS cia ON asset TYPE object;
DEFINE FIELD IF NOT EXISTS cia.confidentiality ON asset TYPE int;
DEFINE FIELD IF NOT EXISTS cia.integrity ON asset TYPE int;
DEFINE FIELD IF NOT EXISTS cia.availability ON asset TYPE int;
DEFINE FIELD IF NOT EXISTS lifecycle ON asset TYPE string ASSERT $value IN ['planned', 'in-use', 'retired', 'disposed'];
DEFINE FIELD IF NOT EXISTS classification ON asset TYPE option<object>;
DEFINE FIELD IF NOT EXISTS classification.level ON asset TYPE string;
DEFINE FIELD IF NOT EXISTS classification.by ON asset TYPE string;
DEFINE FIELD IF NOT EXISTS classification.at ON asset TYPE string;
DEFINE FIELD IF NOT EXISTS classification.reason ON asset TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON asset TYPE int;
DEFINE FIELD IF NOT EXISTS created_at ON asset TYPE string;
DEFINE FIELD IF NOT EXISTS updated_at ON asset TYPE string;
DEFINE INDEX IF NOT EXISTS asset_owner ON asset FIELDS owner;
DEFINE INDEX IF NOT EXISTS asset_by_type ON asset FIELDS asset_type;
DEFINE INDEX IF NOT EXISTS asset_level ON asset FIELDS classification.level;

DEFINE TABLE IF NOT EXISTS classification_record SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS asset ON classification_record TYPE string;
DEFINE FIELD IF NOT EXISTS level ON classification_record TYPE string;
DEFINE FIELD IF NOT EXISTS previous_level ON classification_record TYPE string;
DEFINE FIELD IF NOT EXISTS by ON classification_record TYPE string;
DEFINE FIELD IF NOT EXISTS at ON classification_record TYPE string;
DEFINE FIELD IF NOT EXISTS reason ON classification_record TYPE string;
DEFINE INDEX IF NOT EXISTS classification_record_asset ON classification_record FIELDS asset;

DEFINE TABLE IF NOT EXISTS classification_scheme SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS levels ON classification_scheme TYPE array<object>;
DEFINE FIELD IF NOT EXISTS levels[*].id ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS levels[*].name ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS levels[*].description ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS labeling_rules ON classification_scheme TYPE array<object>;
DEFINE FIELD IF NOT EXISTS labeling_rules[*].asset_type ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS labeling_rules[*].label ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS labeling_rules[*].placement ON classification_scheme TYPE array<string>;
DEFINE FIELD IF NOT EXISTS handling_rules ON classification_scheme TYPE array<object>;
DEFINE FIELD IF NOT EXISTS handling_rules[*].level ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS handling_rules[*].asset_type ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS handling_rules[*].storage ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS handling_rules[*].transfer_inside ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS handling_rules[*].transfer_outside ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS handling_rules[*].disposal ON classification_scheme TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON classification_scheme TYPE int;
DEFINE FIELD IF NOT EXISTS updated_at ON classification_scheme TYPE string;
"#;

/// Migration `n` (1-based) for each kind of database.
fn migrations(schema: Schema) -> Vec<String> {
    match schema {
        Schema::System => vec![format!("{COMMON}{SYSTEM_V1}")],
        Schema::Organisation => vec![format!("{COMMON}{ORGANISATION_V1}")],
    }
}

async fn current_version(db: &Surreal<Any>) -> Result<i64, StoreError> {
    // Selecting from a table that does not exist is an error, so `meta` is defined first (the
    // same definition migration 1 makes; both are idempotent).
    let mut res = db
        .query(
            "DEFINE TABLE IF NOT EXISTS meta SCHEMAFULL; DEFINE FIELD IF NOT EXISTS version ON meta TYPE int; \
             SELECT VALUE version FROM meta:schema",
        )
        .await?
        .check()?;
    let v: Vec<serde_json::Value> = res.take(2)?;
    Ok(v.first().and_then(|x| x.as_i64()).unwrap_or(0))
}

pub async fn apply(db: &Surreal<Any>, schema: Schema) -> Result<(), StoreError> {
    let all = migrations(schema);
    debug_assert_eq!(all.len() as i64, SCHEMA_VERSION);
    let found = current_version(db).await?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, statements) in all.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= found {
            continue;
        }
        let q = format!(
            "BEGIN TRANSACTION;\n{statements}\nUPSERT meta:schema SET version = {version};\nCOMMIT TRANSACTION;"
        );
        db.query(q)
            .await?
            .check()
            .map_err(|e| StoreError::Database(format!("migration {version}: {e}")))?;
        tracing::info!(version, "applied schema migration");
    }
    Ok(())
}
