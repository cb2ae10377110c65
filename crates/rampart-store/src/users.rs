//! Users of an organisation, and operators (system database).

use rampart_domain::user::User;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::json::{content, from_row, from_rows, state, vars};
use crate::{Change, Database, StoreError, records};

pub async fn get(db: &Database, id: &str) -> Result<Option<User>, StoreError> {
    let rows = db
        .rows(
            "SELECT * FROM type::record('user', $id)",
            vars([("id", Value::from(id))]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

/// Users in id order, after `after` (keyset paging).
pub async fn list(db: &Database, after: &str, limit: usize) -> Result<Vec<User>, StoreError> {
    let q = "SELECT * FROM user WHERE $after = '' OR id > type::record('user', $after) ORDER BY id LIMIT $limit";
    from_rows(
        db.rows(
            q,
            vars([("after", Value::from(after)), ("limit", Value::from(limit))]),
            0,
        )
        .await?,
    )
}

pub fn create(change: &mut Change, actor: &str, user: &User) {
    records::create(
        change,
        "usr",
        "user",
        &user.id,
        content(user),
        &format!("user {}", user.id),
    );
    change.record(
        actor,
        "user.create",
        format!("user:{}", user.id),
        state(user),
    );
}

pub fn update(change: &mut Change, actor: &str, user: &User, expected: u64) {
    records::replace(
        change,
        "usr",
        "user",
        &user.id,
        expected,
        content(user),
        &format!("user {}", user.id),
    );
    change.record(
        actor,
        "user.update",
        format!("user:{}", user.id),
        state(user),
    );
}

/// A platform operator: administers organisations (system database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub id: String,
    pub display_name: String,
    pub revision: u64,
    pub created_at: String,
    pub updated_at: String,
}

pub async fn get_operator(db: &Database, id: &str) -> Result<Option<Operator>, StoreError> {
    let rows = db
        .rows(
            "SELECT * FROM type::record('operator', $id)",
            vars([("id", Value::from(id))]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

pub async fn count_operators(db: &Database) -> Result<u64, StoreError> {
    let rows = db
        .rows("SELECT count() AS n FROM operator GROUP ALL", Map::new(), 0)
        .await?;
    Ok(rows
        .first()
        .and_then(|r| r.get("n"))
        .and_then(|n| n.as_u64())
        .unwrap_or(0))
}

pub fn create_operator(change: &mut Change, actor: &str, op: &Operator) {
    records::create(
        change,
        "op",
        "operator",
        &op.id,
        content(op),
        &format!("operator {}", op.id),
    );
    change.record(
        actor,
        "operator.create",
        format!("operator:{}", op.id),
        state(op),
    );
}
