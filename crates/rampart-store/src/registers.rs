//! The registers that keep each record's state as JSON in `data` (see migration 5), with its
//! revision beside it: what follows from the risk register (the organisation's risk settings —
//! risks themselves are in [`crate::risks`] —, interested parties, what the organisation recorded per control, approved Statements
//! of Applicability, risk treatment plan items), and the ISMS's operation (tasks, internal
//! audits, nonconformities, management reviews, objectives, courses).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::json::{state, vars};
use crate::{Change, Database, StoreError, records};

/// The tables of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Settings,
    Party,
    ControlRecord,
    RtpItem,
    Task,
    InternalAudit,
    Nonconformity,
    ManagementReview,
    Objective,
    Course,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Settings => "risk_settings",
            Table::Party => "interested_party",
            Table::ControlRecord => "control_record",
            Table::RtpItem => "rtp_item",
            Table::Task => "task",
            Table::InternalAudit => "internal_audit",
            Table::Nonconformity => "nonconformity",
            Table::ManagementReview => "management_review",
            Table::Objective => "objective",
            Table::Course => "course",
        }
    }
}

fn parse<T: DeserializeOwned>(row: &Value) -> Result<(T, u64), StoreError> {
    let data = row
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| StoreError::Corrupt("a record without data".into()))?;
    let value = serde_json::from_str(data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let revision = row.get("revision").and_then(Value::as_u64).unwrap_or(0);
    Ok((value, revision))
}

/// One record and its revision.
pub async fn get<T: DeserializeOwned>(
    db: &Database,
    table: Table,
    key: &str,
) -> Result<Option<(T, u64)>, StoreError> {
    let rows = db
        .rows(
            &format!(
                "SELECT data, revision FROM type::record('{}', $key)",
                table.name()
            ),
            vars([("key", Value::from(key))]),
            0,
        )
        .await?;
    rows.first().map(parse).transpose()
}

/// Every record of a table, in key order.
pub async fn all<T: DeserializeOwned>(db: &Database, table: Table) -> Result<Vec<T>, StoreError> {
    let all = all_with_revisions(db, table).await?;
    Ok(all.into_iter().map(|(v, _)| v).collect())
}

/// Every record of a table with its revision, in key order.
pub async fn all_with_revisions<T: DeserializeOwned>(
    db: &Database,
    table: Table,
) -> Result<Vec<(T, u64)>, StoreError> {
    let rows = db
        .rows(
            &format!(
                "SELECT id, data, revision FROM {} ORDER BY id",
                table.name()
            ),
            vars([]),
            0,
        )
        .await?;
    rows.iter().map(parse).collect()
}

fn content<T: Serialize>(value: &T, revision: u64) -> Value {
    serde_json::json!({
        "data": serde_json::to_string(value).expect("records serialise"),
        "revision": revision,
    })
}

/// Creates `table:key` (AlreadyExists if it is there) with its audit event.
#[allow(clippy::too_many_arguments)]
pub fn create<T: Serialize>(
    change: &mut Change,
    p: &str,
    actor: &str,
    operation: &str,
    table: Table,
    key: &str,
    value: &T,
) {
    records::create(
        change,
        p,
        table.name(),
        key,
        content(value, 1),
        &format!("{} {key}", table.name().replace('_', " ")),
    );
    change.record(
        actor,
        operation,
        format!("{}:{key}", table.name()),
        state(value),
    );
}

/// Replaces `table:key` at the revision read (Conflict if someone changed it since), with its
/// audit event; the stored revision becomes `expected + 1`.
#[allow(clippy::too_many_arguments)]
pub fn replace<T: Serialize>(
    change: &mut Change,
    p: &str,
    actor: &str,
    operation: &str,
    table: Table,
    key: &str,
    value: &T,
    expected: u64,
) {
    records::replace(
        change,
        p,
        table.name(),
        key,
        expected,
        content(value, expected + 1),
        &format!("{} {key}", table.name().replace('_', " ")),
    );
    change.record(
        actor,
        operation,
        format!("{}:{key}", table.name()),
        state(value),
    );
}

/// Creates or replaces a record whose key is natural (a control, the settings): `expected` 0
/// means "it must not exist yet".
#[allow(clippy::too_many_arguments)]
pub fn put<T: Serialize>(
    change: &mut Change,
    p: &str,
    actor: &str,
    operation: &str,
    table: Table,
    key: &str,
    value: &T,
    expected: u64,
) {
    if expected == 0 {
        create(change, p, actor, operation, table, key, value);
    } else {
        replace(change, p, actor, operation, table, key, value, expected);
    }
}

/// An approved Statement of Applicability, frozen.
pub async fn soa_versions<T: DeserializeOwned>(
    db: &Database,
    framework: &str,
) -> Result<Vec<T>, StoreError> {
    let rows = db
        .rows(
            "SELECT data FROM soa_version WHERE framework = $f ORDER BY number",
            vars([("f", Value::from(framework))]),
            0,
        )
        .await?;
    rows.iter()
        .map(|r| {
            let data = r.get("data").and_then(Value::as_str).unwrap_or("null");
            serde_json::from_str(data).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

/// Freezes version `number` of the SoA of `framework` (AlreadyExists if another approval took
/// that number first).
pub fn put_soa_version<T: Serialize>(
    change: &mut Change,
    actor: &str,
    framework: &str,
    number: u64,
    value: &T,
) {
    let key = format!("{framework}/{number}");
    let mut row = serde_json::Map::new();
    row.insert("framework".into(), Value::from(framework));
    row.insert("number".into(), Value::from(number));
    row.insert(
        "data".into(),
        Value::from(serde_json::to_string(value).expect("records serialise")),
    );
    records::create(
        change,
        "soa",
        "soa_version",
        &key,
        Value::Object(row),
        &format!("version {number} of the Statement of Applicability of {framework}"),
    );
    change.record(actor, "soa.approve", format!("soa:{key}"), state(value));
}
