//! API tokens (system database). Only the SHA-256 of a token is stored; it is also the record key,
//! so authenticating a request is one key lookup.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{content, from_row, from_rows, vars};
use crate::{Change, Database, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// SHA-256 of the secret (hex); the record key. Never shown.
    pub id: String,
    /// The public handle used to list and revoke it.
    pub token_id: String,
    /// The organisation of a user token; empty for an operator token.
    pub organisation: String,
    /// `user` or `operator`.
    pub subject_kind: String,
    pub subject: String,
    pub label: String,
    pub created_at: String,
    pub created_by: String,
    /// RFC 3339; empty means it does not expire.
    pub expires_at: String,
    pub revoked: bool,
}

impl ApiToken {
    /// What the audit trail records: everything but the hash.
    pub fn public_state(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("serialises");
        v.as_object_mut().expect("object").remove("id");
        v
    }
}

pub async fn by_hash(db: &Database, hash: &str) -> Result<Option<ApiToken>, StoreError> {
    let rows = db
        .rows(
            "SELECT * FROM type::record('api_token', $h)",
            vars([("h", Value::from(hash))]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

pub async fn by_token_id(db: &Database, token_id: &str) -> Result<Option<ApiToken>, StoreError> {
    let rows = db
        .rows(
            "SELECT * FROM api_token WHERE token_id = $t",
            vars([("t", Value::from(token_id))]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

/// Tokens of one organisation (or the operators' tokens for an empty organisation).
pub async fn list(
    db: &Database,
    organisation: &str,
    subject: Option<&str>,
) -> Result<Vec<ApiToken>, StoreError> {
    let q = "SELECT * FROM api_token WHERE organisation = $o AND ($s = NONE OR subject = $s) ORDER BY created_at";
    let s = subject.map(Value::from).unwrap_or(Value::Null);
    from_rows(
        db.rows(q, vars([("o", Value::from(organisation)), ("s", s)]), 0)
            .await?,
    )
}

pub fn create(change: &mut Change, actor: &str, token: &ApiToken) {
    change.push(
        "CREATE type::record('api_token', $tok_key) CONTENT $tok_content;",
        vars([
            ("tok_key", Value::from(token.id.as_str())),
            ("tok_content", content(token)),
        ]),
    );
    change.record(
        actor,
        "token.create",
        format!("token:{}", token.token_id),
        token.public_state(),
    );
}

pub fn revoke(change: &mut Change, actor: &str, token: &ApiToken) {
    change.push(
        "UPDATE type::record('api_token', $tok_key) SET revoked = true;",
        vars([("tok_key", Value::from(token.id.as_str()))]),
    );
    let mut revoked = token.clone();
    revoked.revoked = true;
    change.record(
        actor,
        "token.revoke",
        format!("token:{}", token.token_id),
        revoked.public_state(),
    );
}
