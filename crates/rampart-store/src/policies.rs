//! An organisation's access policies: every version of its policy set (files and their tests),
//! time-boxed grants, and a head serial that every change bumps so other servers reload.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{content, from_row, from_rows, state, vars};
use crate::{Change, Database, StoreError, records};

/// One file of a policy set: a `.cedar` policy file or a `.toml` test file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFile {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub number: u64,
    pub files: Vec<PolicyFile>,
    pub tests: Vec<PolicyFile>,
    pub author: String,
    pub at: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGrant {
    pub id: String,
    pub template: String,
    pub user: String,
    /// `organisation`, `document:ID` or `asset:ID`.
    pub target: String,
    /// RFC 3339: the first instant it no longer holds.
    pub until: String,
    pub note: String,
    pub created_by: String,
    pub created_at: String,
    /// Empty while not revoked.
    pub revoked_at: String,
    pub revoked_by: String,
}

/// The serial of the organisation's policies (0 before any change).
pub async fn serial(db: &Database) -> Result<u64, StoreError> {
    let rows = db
        .rows("SELECT VALUE serial FROM policy_head:current", vars([]), 0)
        .await?;
    Ok(rows.first().and_then(Value::as_u64).unwrap_or(0))
}

/// The newest version, if the organisation ever replaced its policies.
pub async fn current(db: &Database) -> Result<Option<PolicyVersion>, StoreError> {
    let rows = db
        .rows(
            "SELECT * OMIT id FROM policy_version ORDER BY number DESC LIMIT 1",
            vars([]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

pub async fn version(db: &Database, number: u64) -> Result<Option<PolicyVersion>, StoreError> {
    let rows = db
        .rows(
            "SELECT * OMIT id FROM type::record('policy_version', $n)",
            vars([("n", Value::from(number.to_string()))]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

/// Every version, newest first, without the files' text.
pub async fn history(db: &Database) -> Result<Vec<PolicyVersion>, StoreError> {
    from_rows(
        db.rows(
            "SELECT number, author, at, note, [] AS files, [] AS tests FROM policy_version ORDER BY number DESC",
            vars([]),
            0,
        )
        .await?,
    )
}

fn bump(change: &mut Change) {
    change.push(
        "UPSERT policy_head:current SET serial = (serial ?? 0) + 1;",
        vars([]),
    );
}

/// Records `version` (its number must be the next one: a concurrent replacement makes this fail
/// with AlreadyExists) with its audit event.
pub fn put_version(change: &mut Change, actor: &str, v: &PolicyVersion) {
    records::create(
        change,
        "pv",
        "policy_version",
        &v.number.to_string(),
        content(v),
        &format!("policy set version {}", v.number),
    );
    bump(change);
    change.record(
        actor,
        "policy.replace",
        format!("policy_set:{}", v.number),
        state(v),
    );
}

pub async fn grants(db: &Database) -> Result<Vec<StoredGrant>, StoreError> {
    from_rows(
        db.rows(
            "SELECT * FROM policy_grant ORDER BY created_at",
            vars([]),
            0,
        )
        .await?,
    )
}

pub async fn grant(db: &Database, id: &str) -> Result<Option<StoredGrant>, StoreError> {
    let rows = db
        .rows(
            "SELECT * FROM type::record('policy_grant', $id)",
            vars([("id", Value::from(id))]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

pub fn put_grant(change: &mut Change, actor: &str, g: &StoredGrant, operation: &str) {
    change.push(
        "UPSERT type::record('policy_grant', $g_key) CONTENT $g_content;",
        vars([
            ("g_key", Value::from(g.id.as_str())),
            ("g_content", content(g)),
        ]),
    );
    bump(change);
    change.record(actor, operation, format!("grant:{}", g.id), state(g));
}
