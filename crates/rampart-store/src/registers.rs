//! The registers that keep each record's state as JSON in `data` (see migration 5), with its
//! revision beside it: the risk register and what follows from it (risks, the organisation's risk
//! settings, interested parties, what the organisation recorded per control, approved Statements
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
    Risk,
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
            Table::Risk => "risk",
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

/// Each treated risk's key and the controls its treatment selects, in key order. Reads the
/// `treated_controls` column; a risk written before that column existed is read whole.
pub async fn treated_controls(db: &Database) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Treated {
        treatment: Option<Controls>,
    }
    #[derive(serde::Deserialize)]
    struct Controls {
        controls: Vec<String>,
    }
    let mut both = db
        .rows_of_each(
            "SELECT id, treated_controls FROM risk WHERE treated_controls IS NOT NONE;\n\
             SELECT id, data, revision FROM risk WHERE treated_controls IS NONE;",
            vars([]),
            2,
        )
        .await?;
    let old = both.pop().unwrap_or_default();
    let current = both.pop().unwrap_or_default();
    let key = |row: &Value| {
        row.get("id")
            .and_then(crate::json::record_key)
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for row in &current {
        let text = row
            .get("treated_controls")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !text.is_empty() {
            out.push((key(row), text.split('\n').map(str::to_string).collect()));
        }
    }
    for row in &old {
        let (t, _): (Treated, u64) = parse(row)?;
        if let Some(t) = t.treatment.filter(|t| !t.controls.is_empty()) {
            out.push((key(row), t.controls));
        }
    }
    out.sort();
    Ok(out)
}

fn content<T: Serialize>(table: Table, value: &T, revision: u64, extra: &[(&str, &str)]) -> Value {
    let mut row = serde_json::Map::new();
    row.insert(
        "data".into(),
        Value::from(serde_json::to_string(value).expect("records serialise")),
    );
    row.insert("revision".into(), Value::from(revision));
    if table == Table::Risk {
        for (k, v) in extra {
            row.insert((*k).into(), Value::from(*v));
        }
    }
    Value::Object(row)
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
    extra: &[(&str, &str)],
) {
    records::create(
        change,
        p,
        table.name(),
        key,
        content(table, value, 1, extra),
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
    extra: &[(&str, &str)],
) {
    records::replace(
        change,
        p,
        table.name(),
        key,
        expected,
        content(table, value, expected + 1, extra),
        &format!("{} {key}", table.name().replace('_', " ")),
    );
    change.record(
        actor,
        operation,
        format!("{}:{key}", table.name()),
        state(value),
    );
}

/// One record of a [`replace_many`]: its key, new value, the revision read, and for risks the
/// columns beside the data.
pub struct Replacement<'a, T> {
    pub key: &'a str,
    pub value: &'a T,
    pub expected: u64,
    pub extra: Vec<(&'a str, &'a str)>,
}

/// Replaces many records of one table at the revisions read, in one statement (a batch of
/// 10,000 risks), each with its audit event.
pub fn replace_many<T: Serialize>(
    change: &mut Change,
    p: &str,
    actor: &str,
    operation: &str,
    table: Table,
    items: &[Replacement<'_, T>],
) {
    let rows: Vec<Value> = items
        .iter()
        .map(|r| {
            serde_json::json!({
                "key": r.key,
                "expected": r.expected,
                "content": content(table, r.value, r.expected + 1, &r.extra),
            })
        })
        .collect();
    let name = table.name();
    let what = name.replace('_', " ");
    let check_each = format!(
        "FOR ${p}_row IN ${p}_rows {{\n\
         LET ${p}_rec = type::record('{name}', ${p}_row.key);\n\
         IF !record::exists(${p}_rec) {{ THROW string::concat('rampart:not-found:{what} ', ${p}_row.key) }};\n\
         IF ${p}_rec.revision != ${p}_row.expected {{ THROW string::concat('rampart:stale:{what} ', ${p}_row.key, ' was changed by someone else: read it again and retry') }};\n\
         }};"
    );
    // The revisions are checked by one SELECT over the record ids written into the statement,
    // compared as one array: a check per row in the loop took 350–500 ms for 10,000 risks, this
    // takes 200 ms (docs/benchmarks.md#risks). Only when it fails does the loop run, to name
    // the record. Keys that would need escaping keep the loop.
    let plain = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let check = if items.iter().all(|r| plain(r.key)) {
        let ids: Vec<String> = items
            .iter()
            .map(|r| format!("{name}:⟨{}⟩", r.key))
            .collect();
        format!(
            "IF (SELECT VALUE revision FROM [{}]) != ${p}_expected {{\n{check_each}\n}};",
            ids.join(",")
        )
    } else {
        check_each
    };
    let expected: Vec<Value> = items.iter().map(|r| Value::from(r.expected)).collect();
    change.push(
        &format!(
            "{check}\n\
             FOR ${p}_row IN ${p}_rows {{ UPDATE type::record('{name}', ${p}_row.key) CONTENT ${p}_row.content RETURN NONE; }};"
        ),
        vars([
            (&format!("{p}_rows"), Value::Array(rows)),
            (&format!("{p}_expected"), Value::Array(expected)),
        ]),
    );
    for r in items {
        change.record(
            actor,
            operation,
            format!("{name}:{}", r.key),
            state(r.value),
        );
    }
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
        create(change, p, actor, operation, table, key, value, &[]);
    } else {
        replace(
            change,
            p,
            actor,
            operation,
            table,
            key,
            value,
            expected,
            &[],
        );
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
