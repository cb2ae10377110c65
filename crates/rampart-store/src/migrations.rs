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
pub const SCHEMA_VERSION: i64 = 13;

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

/// Document control: documents, the state of each version, the immutable text of each version, attachments stored in chunks, acknowledgements, and the retention schedule.
const ORGANISATION_V2: &str = r#"
DEFINE TABLE IF NOT EXISTS document SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS kind ON document TYPE string;
DEFINE FIELD IF NOT EXISTS title ON document TYPE string;
DEFINE FIELD IF NOT EXISTS owner ON document TYPE string;
DEFINE FIELD IF NOT EXISTS classification ON document TYPE string;
DEFINE FIELD IF NOT EXISTS requirements ON document TYPE array<string>;
DEFINE FIELD IF NOT EXISTS reviewers ON document TYPE array<string>;
DEFINE FIELD IF NOT EXISTS approvers ON document TYPE array<string>;
DEFINE FIELD IF NOT EXISTS quorum ON document TYPE int;
DEFINE FIELD IF NOT EXISTS distribution ON document TYPE object;
DEFINE FIELD IF NOT EXISTS distribution.roles ON document TYPE array<string>;
DEFINE FIELD IF NOT EXISTS distribution.departments ON document TYPE array<string>;
DEFINE FIELD IF NOT EXISTS distribution.job_titles ON document TYPE array<string>;
DEFINE FIELD IF NOT EXISTS distribution.users ON document TYPE array<string>;
DEFINE FIELD IF NOT EXISTS review_period_months ON document TYPE int;
DEFINE FIELD IF NOT EXISTS retention ON document TYPE option<object>;
DEFINE FIELD IF NOT EXISTS retention.period_months ON document TYPE int;
DEFINE FIELD IF NOT EXISTS retention.method ON document TYPE string;
DEFINE FIELD IF NOT EXISTS legal_hold ON document TYPE bool;
DEFINE FIELD IF NOT EXISTS last_reviewed_at ON document TYPE option<string>;
DEFINE FIELD IF NOT EXISTS revision ON document TYPE int;
DEFINE FIELD IF NOT EXISTS created_at ON document TYPE string;
DEFINE FIELD IF NOT EXISTS updated_at ON document TYPE string;
DEFINE INDEX IF NOT EXISTS document_owner ON document FIELDS owner;

-- The state of each version, one record per version, so a workflow step writes the versions it
-- changes and not a document's whole history.
DEFINE TABLE IF NOT EXISTS document_version SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS document ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS number ON document_version TYPE int;
DEFINE FIELD IF NOT EXISTS author ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS created_at ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS change_note ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS content_hash ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS content_size ON document_version TYPE int;
DEFINE FIELD IF NOT EXISTS attachments ON document_version TYPE array<object>;
DEFINE FIELD IF NOT EXISTS attachments[*].id ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS attachments[*].name ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS attachments[*].content_type ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS attachments[*].size ON document_version TYPE int;
DEFINE FIELD IF NOT EXISTS attachments[*].sha256 ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS status ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS status_at ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS approvals ON document_version TYPE array<object>;
DEFINE FIELD IF NOT EXISTS approvals[*].by ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS approvals[*].at ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS rejections ON document_version TYPE array<object>;
DEFINE FIELD IF NOT EXISTS rejections[*].by ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS rejections[*].at ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS rejections[*].reason ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS published_at ON document_version TYPE option<string>;
DEFINE FIELD IF NOT EXISTS tombstone ON document_version TYPE option<object>;
DEFINE FIELD IF NOT EXISTS tombstone.by ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS tombstone.at ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS tombstone.method ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS tombstone.content_hash ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS tombstone.attachments ON document_version TYPE array<object>;
DEFINE FIELD IF NOT EXISTS tombstone.attachments[*].id ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS tombstone.attachments[*].name ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS tombstone.attachments[*].content_type ON document_version TYPE string;
DEFINE FIELD IF NOT EXISTS tombstone.attachments[*].size ON document_version TYPE int;
DEFINE FIELD IF NOT EXISTS tombstone.attachments[*].sha256 ON document_version TYPE string;
DEFINE INDEX IF NOT EXISTS document_version_document ON document_version FIELDS document, number;

-- The text of each version: written once, destroyed only at disposal.
DEFINE TABLE IF NOT EXISTS document_text SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS document ON document_text TYPE string;
DEFINE FIELD IF NOT EXISTS number ON document_text TYPE int;
DEFINE FIELD IF NOT EXISTS content ON document_text TYPE option<string>;
DEFINE FIELD IF NOT EXISTS content_hash ON document_text TYPE string;
DEFINE FIELD IF NOT EXISTS destroyed ON document_text TYPE bool;

DEFINE TABLE IF NOT EXISTS attachment SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS document ON attachment TYPE string;
DEFINE FIELD IF NOT EXISTS name ON attachment TYPE string;
DEFINE FIELD IF NOT EXISTS content_type ON attachment TYPE string;
DEFINE FIELD IF NOT EXISTS size ON attachment TYPE int;
DEFINE FIELD IF NOT EXISTS sha256 ON attachment TYPE string;
DEFINE FIELD IF NOT EXISTS chunks ON attachment TYPE int;
DEFINE FIELD IF NOT EXISTS destroyed ON attachment TYPE bool;
DEFINE INDEX IF NOT EXISTS attachment_document ON attachment FIELDS document;

-- Chunks are written before their attachment record commits; chunks without a record are an
-- upload that failed or is in progress, never visible through the API.
DEFINE TABLE IF NOT EXISTS attachment_chunk SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS attachment ON attachment_chunk TYPE string;
DEFINE FIELD IF NOT EXISTS n ON attachment_chunk TYPE int;
DEFINE FIELD IF NOT EXISTS data ON attachment_chunk TYPE bytes;
DEFINE INDEX IF NOT EXISTS attachment_chunk_attachment ON attachment_chunk FIELDS attachment, n;

DEFINE TABLE IF NOT EXISTS acknowledgement SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS document ON acknowledgement TYPE string;
DEFINE FIELD IF NOT EXISTS version ON acknowledgement TYPE int;
DEFINE FIELD IF NOT EXISTS user ON acknowledgement TYPE string;
DEFINE FIELD IF NOT EXISTS at ON acknowledgement TYPE string;
DEFINE INDEX IF NOT EXISTS acknowledgement_document ON acknowledgement FIELDS document;
DEFINE INDEX IF NOT EXISTS acknowledgement_user ON acknowledgement FIELDS user;

DEFINE TABLE IF NOT EXISTS retention_schedule SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS rules ON retention_schedule TYPE array<object>;
DEFINE FIELD IF NOT EXISTS rules[*].kind ON retention_schedule TYPE string;
DEFINE FIELD IF NOT EXISTS rules[*].level ON retention_schedule TYPE string;
DEFINE FIELD IF NOT EXISTS rules[*].retention ON retention_schedule TYPE object;
DEFINE FIELD IF NOT EXISTS rules[*].retention.period_months ON retention_schedule TYPE int;
DEFINE FIELD IF NOT EXISTS rules[*].retention.method ON retention_schedule TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON retention_schedule TYPE int;
DEFINE FIELD IF NOT EXISTS updated_at ON retention_schedule TYPE string;
"#;

/// Access policies: the versions of an organisation's policy set, time-boxed grants, and a head
/// record whose serial every change bumps (servers sharing the database reload on a new serial).
const ORGANISATION_V3: &str = r#"
DEFINE TABLE IF NOT EXISTS policy_version SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS number ON policy_version TYPE int;
DEFINE FIELD IF NOT EXISTS files ON policy_version TYPE array<object>;
DEFINE FIELD IF NOT EXISTS files[*].name ON policy_version TYPE string;
DEFINE FIELD IF NOT EXISTS files[*].text ON policy_version TYPE string;
DEFINE FIELD IF NOT EXISTS tests ON policy_version TYPE array<object>;
DEFINE FIELD IF NOT EXISTS tests[*].name ON policy_version TYPE string;
DEFINE FIELD IF NOT EXISTS tests[*].text ON policy_version TYPE string;
DEFINE FIELD IF NOT EXISTS author ON policy_version TYPE string;
DEFINE FIELD IF NOT EXISTS at ON policy_version TYPE string;
DEFINE FIELD IF NOT EXISTS note ON policy_version TYPE string;

DEFINE TABLE IF NOT EXISTS policy_grant SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS template ON policy_grant TYPE string;
DEFINE FIELD IF NOT EXISTS user ON policy_grant TYPE string;
DEFINE FIELD IF NOT EXISTS target ON policy_grant TYPE string;
DEFINE FIELD IF NOT EXISTS until ON policy_grant TYPE string;
DEFINE FIELD IF NOT EXISTS note ON policy_grant TYPE string;
DEFINE FIELD IF NOT EXISTS created_by ON policy_grant TYPE string;
DEFINE FIELD IF NOT EXISTS created_at ON policy_grant TYPE string;
DEFINE FIELD IF NOT EXISTS revoked_at ON policy_grant TYPE string;
DEFINE FIELD IF NOT EXISTS revoked_by ON policy_grant TYPE string;

DEFINE TABLE IF NOT EXISTS policy_head SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS serial ON policy_head TYPE int;
"#;

const ORGANISATION_V4: &str = r#"
DEFINE TABLE IF NOT EXISTS framework SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS name ON framework TYPE string;
DEFINE FIELD IF NOT EXISTS framework ON framework TYPE string;
DEFINE FIELD IF NOT EXISTS version ON framework TYPE string;
DEFINE FIELD IF NOT EXISTS pack_version ON framework TYPE string;
DEFINE FIELD IF NOT EXISTS digest ON framework TYPE string;
DEFINE FIELD IF NOT EXISTS catalog ON framework TYPE string;
DEFINE FIELD IF NOT EXISTS installed_at ON framework TYPE string;
DEFINE FIELD IF NOT EXISTS installed_by ON framework TYPE string;
DEFINE FIELD IF NOT EXISTS upgraded_at ON framework TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON framework TYPE int;
"#;

// The risk register. Risks, parties, control records and SoA versions keep their whole state as
// JSON in `data` (assessments with their inputs are nested and varied), with the fields queries
// filter on beside it.
const ORGANISATION_V5: &str = r#"
DEFINE TABLE IF NOT EXISTS risk SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS title ON risk TYPE string;
DEFINE FIELD IF NOT EXISTS owner ON risk TYPE string;
DEFINE FIELD IF NOT EXISTS data ON risk TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON risk TYPE int;
DEFINE INDEX IF NOT EXISTS risk_owner ON risk FIELDS owner;

DEFINE TABLE IF NOT EXISTS risk_settings SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS data ON risk_settings TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON risk_settings TYPE int;

DEFINE TABLE IF NOT EXISTS interested_party SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS data ON interested_party TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON interested_party TYPE int;

DEFINE TABLE IF NOT EXISTS control_record SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS data ON control_record TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON control_record TYPE int;

DEFINE TABLE IF NOT EXISTS soa_version SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS framework ON soa_version TYPE string;
DEFINE FIELD IF NOT EXISTS number ON soa_version TYPE int;
DEFINE FIELD IF NOT EXISTS data ON soa_version TYPE string;
DEFINE INDEX IF NOT EXISTS soa_version_framework ON soa_version FIELDS framework, number UNIQUE;

DEFINE TABLE IF NOT EXISTS rtp_item SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS data ON rtp_item TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON rtp_item TYPE int;
"#;

// What the Statement of Applicability reads of each risk, beside its state: the controls its
// treatment selects, one per line (NONE on rows written before this migration, which are read
// whole). Tasks, given by people or by the engine; internal audits, nonconformities,
// management reviews and objectives.
const ORGANISATION_V6: &str = r#"
DEFINE FIELD IF NOT EXISTS treated_controls ON risk TYPE option<string>;

DEFINE TABLE IF NOT EXISTS task SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS data ON task TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON task TYPE int;

DEFINE TABLE IF NOT EXISTS internal_audit SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS data ON internal_audit TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON internal_audit TYPE int;

DEFINE TABLE IF NOT EXISTS nonconformity SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS data ON nonconformity TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON nonconformity TYPE int;

DEFINE TABLE IF NOT EXISTS management_review SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS data ON management_review TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON management_review TYPE int;

DEFINE TABLE IF NOT EXISTS objective SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS data ON objective TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON objective TYPE int;
"#;

// Training and awareness courses with their completion records (7.2, 7.3).
const ORGANISATION_V7: &str = r#"
DEFINE TABLE IF NOT EXISTS course SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS data ON course TYPE string;
DEFINE FIELD IF NOT EXISTS revision ON course TYPE int;
"#;

// A document's published version found without reading its whole history (a revision reads
// only the newest and the published one).
const ORGANISATION_V8: &str = r#"
DEFINE INDEX IF NOT EXISTS document_version_status ON document_version FIELDS document, status;
"#;

// The newest version's number on the document row: a revision reads that version by its key
// instead of scanning the index backwards (see `documents::stored_row`). Rows written before
// get it at their next change; until then the index is asked.
const ORGANISATION_V9: &str = r#"
DEFINE FIELD IF NOT EXISTS newest_version ON document TYPE option<int>;
"#;

// A risk's assessments become records of their own beside it, appended, never rewritten (a
// batch of 10,000 assessments no longer rewrites 10,000 risks), keyed [risk, "a" | "r", number]
// so that a risk's are one range of keys; the risk's record keeps its fields, treatment and
// acceptance. The assessments already stored move there (`risks::move_assessments_out`).
const ORGANISATION_V10: &str = r#"
DEFINE TABLE IF NOT EXISTS risk_assessment SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS risk ON risk_assessment TYPE string;
DEFINE FIELD IF NOT EXISTS residual ON risk_assessment TYPE bool;
DEFINE FIELD IF NOT EXISTS number ON risk_assessment TYPE int;
DEFINE FIELD IF NOT EXISTS batch ON risk_assessment TYPE string;
DEFINE FIELD IF NOT EXISTS data ON risk_assessment TYPE string;
"#;

// A document row keeps the number of its published version beside its newest one's: a list
// reads the versions in force by key. Rows written before get both
// (`documents::number_versions`).
const ORGANISATION_V11: &str = r#"
DEFINE FIELD IF NOT EXISTS published_version ON document TYPE option<int>;
"#;

// The index of migration 8 is no longer read (a revision reads the published version by the key
// on the row, migration 11), and every version written paid for it.
const ORGANISATION_V12: &str = r#"
REMOVE INDEX IF EXISTS document_version_status ON document_version;
"#;

// A document row and a version row keep their state as JSON text in `data`, beside the fields
// queries filter on and the revision (as the registers have since migration 5): SurrealDB wrote
// the 23 and 36 typed fields they had at a fraction of the speed of one string, and a revision
// writes both (docs/benchmarks.md, session 14). The rows stored move to the new shape in the
// migration's transaction (`documents::rows_to_json`). The item definitions SurrealDB made for
// each array (`x.*`) go too.
const ORGANISATION_V13: &str = r#"
REMOVE FIELD IF EXISTS distribution.departments ON document;
REMOVE FIELD IF EXISTS distribution.job_titles ON document;
REMOVE FIELD IF EXISTS distribution.roles ON document;
REMOVE FIELD IF EXISTS distribution.users ON document;
REMOVE FIELD IF EXISTS retention.method ON document;
REMOVE FIELD IF EXISTS retention.period_months ON document;
REMOVE FIELD IF EXISTS approvers ON document;
REMOVE FIELD IF EXISTS classification ON document;
REMOVE FIELD IF EXISTS created_at ON document;
REMOVE FIELD IF EXISTS distribution ON document;
REMOVE FIELD IF EXISTS last_reviewed_at ON document;
REMOVE FIELD IF EXISTS legal_hold ON document;
REMOVE FIELD IF EXISTS quorum ON document;
REMOVE FIELD IF EXISTS requirements ON document;
REMOVE FIELD IF EXISTS retention ON document;
REMOVE FIELD IF EXISTS review_period_months ON document;
REMOVE FIELD IF EXISTS reviewers ON document;
REMOVE FIELD IF EXISTS title ON document;
REMOVE FIELD IF EXISTS updated_at ON document;
REMOVE FIELD IF EXISTS requirements.* ON document;
REMOVE FIELD IF EXISTS reviewers.* ON document;
REMOVE FIELD IF EXISTS approvers.* ON document;
REMOVE FIELD IF EXISTS distribution.roles.* ON document;
REMOVE FIELD IF EXISTS distribution.departments.* ON document;
REMOVE FIELD IF EXISTS distribution.job_titles.* ON document;
REMOVE FIELD IF EXISTS distribution.users.* ON document;
DEFINE FIELD IF NOT EXISTS data ON document TYPE string;
REMOVE FIELD IF EXISTS tombstone.attachments[*].content_type ON document_version;
REMOVE FIELD IF EXISTS tombstone.attachments[*].id ON document_version;
REMOVE FIELD IF EXISTS tombstone.attachments[*].name ON document_version;
REMOVE FIELD IF EXISTS tombstone.attachments[*].sha256 ON document_version;
REMOVE FIELD IF EXISTS tombstone.attachments[*].size ON document_version;
REMOVE FIELD IF EXISTS approvals[*].at ON document_version;
REMOVE FIELD IF EXISTS approvals[*].by ON document_version;
REMOVE FIELD IF EXISTS attachments[*].content_type ON document_version;
REMOVE FIELD IF EXISTS attachments[*].id ON document_version;
REMOVE FIELD IF EXISTS attachments[*].name ON document_version;
REMOVE FIELD IF EXISTS attachments[*].sha256 ON document_version;
REMOVE FIELD IF EXISTS attachments[*].size ON document_version;
REMOVE FIELD IF EXISTS rejections[*].at ON document_version;
REMOVE FIELD IF EXISTS rejections[*].by ON document_version;
REMOVE FIELD IF EXISTS rejections[*].reason ON document_version;
REMOVE FIELD IF EXISTS tombstone.at ON document_version;
REMOVE FIELD IF EXISTS tombstone.attachments ON document_version;
REMOVE FIELD IF EXISTS tombstone.by ON document_version;
REMOVE FIELD IF EXISTS tombstone.content_hash ON document_version;
REMOVE FIELD IF EXISTS tombstone.method ON document_version;
REMOVE FIELD IF EXISTS approvals ON document_version;
REMOVE FIELD IF EXISTS attachments ON document_version;
REMOVE FIELD IF EXISTS author ON document_version;
REMOVE FIELD IF EXISTS change_note ON document_version;
REMOVE FIELD IF EXISTS content_hash ON document_version;
REMOVE FIELD IF EXISTS content_size ON document_version;
REMOVE FIELD IF EXISTS created_at ON document_version;
REMOVE FIELD IF EXISTS published_at ON document_version;
REMOVE FIELD IF EXISTS rejections ON document_version;
REMOVE FIELD IF EXISTS status ON document_version;
REMOVE FIELD IF EXISTS status_at ON document_version;
REMOVE FIELD IF EXISTS tombstone ON document_version;
REMOVE FIELD IF EXISTS attachments.* ON document_version;
REMOVE FIELD IF EXISTS approvals.* ON document_version;
REMOVE FIELD IF EXISTS rejections.* ON document_version;
REMOVE FIELD IF EXISTS tombstone.attachments.* ON document_version;
DEFINE FIELD IF NOT EXISTS data ON document_version TYPE string;
REMOVE INDEX IF EXISTS document_version_document ON document_version;
"#;

/// Migration `n` (1-based) for each kind of database. Both kinds share one numbering, so a
/// migration one kind does not need is empty.
fn migrations(schema: Schema) -> Vec<String> {
    match schema {
        // The system database has needed nothing since its first.
        Schema::System => {
            let mut all = vec![String::new(); SCHEMA_VERSION as usize];
            all[0] = format!("{COMMON}{SYSTEM_V1}");
            all
        }
        Schema::Organisation => vec![
            format!("{COMMON}{ORGANISATION_V1}"),
            ORGANISATION_V2.to_string(),
            ORGANISATION_V3.to_string(),
            ORGANISATION_V4.to_string(),
            ORGANISATION_V5.to_string(),
            ORGANISATION_V6.to_string(),
            ORGANISATION_V7.to_string(),
            ORGANISATION_V8.to_string(),
            ORGANISATION_V9.to_string(),
            ORGANISATION_V10.to_string(),
            ORGANISATION_V11.to_string(),
            ORGANISATION_V12.to_string(),
            ORGANISATION_V13.to_string(),
        ],
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
        // Migrations 10, 11 and 13 move data as well as defining fields: what they write is
        // read first and written in the transaction that bumps the version.
        let (data, bound) = match (version, schema) {
            (10, Schema::Organisation) => {
                db.query(statements.as_str()).await?.check()?;
                crate::risks::move_assessments_out(db).await?
            }
            (11, Schema::Organisation) => {
                db.query(statements.as_str()).await?.check()?;
                crate::documents::number_versions(db).await?
            }
            // The rows are read in the shape they have before the migration's definitions,
            // which then run in the transaction that rewrites them.
            (13, Schema::Organisation) => crate::documents::rows_to_json(db).await?,
            _ => (String::new(), serde_json::Map::new()),
        };
        let q = format!(
            "BEGIN TRANSACTION;\n{statements}\n{data}\nUPSERT meta:schema SET version = {version};\nCOMMIT TRANSACTION;"
        );
        db.query(q)
            .bind(serde_json::Value::Object(bound))
            .await?
            .check()
            .map_err(|e| StoreError::Database(format!("migration {version}: {e}")))?;
        tracing::info!(version, "applied schema migration");
    }
    Ok(())
}
