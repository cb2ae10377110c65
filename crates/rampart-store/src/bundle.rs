//! An organisation's database as plain data — every table's records under their keys, and the
//! audit trail — read in one transaction, and written back into an empty database in one.

use std::collections::BTreeMap;

use base64::Engine as _;
use rampart_domain::audit::AuditEvent;
use serde_json::{Map, Value, json};

use crate::json::{BASE64_BYTES, from_rows};
use crate::{Database, StoreError};

/// Chunks of attachment bytes: records of their own on a SurrealDB server or in memory, files in
/// an embedded store (see [`crate::attachment_files`]); a bundle carries them as records either way.
const CHUNKS: &str = "attachment_chunk";

/// Tables that are not carried as records: the schema version (the target has its own) and the
/// chain (carried as events, its head rebuilt from them).
const NOT_RECORDS: [&str; 3] = ["meta", "audit_event", "audit_head"];

/// Fields stored as bytes, carried as base64 text.
const BYTES: [(&str, &str); 1] = [("attachment_chunk", "data")];

fn bytes_field(table: &str) -> Option<&'static str> {
    BYTES.iter().find(|(t, _)| *t == table).map(|(_, f)| *f)
}

pub struct Snapshot {
    /// Table → records, each with `id` replaced by the record's key.
    pub tables: BTreeMap<String, Vec<Value>>,
    pub events: Vec<AuditEvent>,
}

/// The tables of this database that hold records, as its schema defines them.
pub async fn record_tables(db: &Database) -> Result<Vec<String>, StoreError> {
    let info = db.rows("INFO FOR DB", Map::new(), 0).await?;
    let tables = info
        .first()
        .and_then(|i| i.get("tables"))
        .and_then(Value::as_object)
        .ok_or_else(|| StoreError::Corrupt("INFO FOR DB lists no tables".into()))?;
    Ok(tables
        .keys()
        .filter(|t| !NOT_RECORDS.contains(&t.as_str()))
        .cloned()
        .collect())
}

/// Every record and every audit event, as of one moment.
pub async fn snapshot(db: &Database) -> Result<Snapshot, StoreError> {
    let names = record_tables(db).await?;
    // Table names come from the schema itself ([a-z_]), so formatting them in is safe.
    let mut q = String::from("BEGIN TRANSACTION;\n");
    for t in &names {
        match bytes_field(t) {
            Some(f) => q.push_str(&format!(
                "SELECT *, record::id(id) AS id, encoding::base64::encode({f}) AS {f} FROM {t};\n"
            )),
            None => q.push_str(&format!("SELECT *, record::id(id) AS id FROM {t};\n")),
        }
    }
    q.push_str("SELECT * FROM audit_event ORDER BY id;\nCOMMIT TRANSACTION;");
    // BEGIN answers as a statement of its own, so the tables start at 1.
    let mut results = db.rows_of_each(&q, Map::new(), names.len() + 2).await?;
    let events: Vec<AuditEvent> = from_rows(results.pop().unwrap_or_default())?;
    let mut tables: BTreeMap<String, Vec<Value>> = names
        .into_iter()
        .zip(results.into_iter().skip(1))
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    if db.attachment_files().is_some() {
        let chunks = chunks_from_files(db, tables.get("attachment")).await?;
        if !chunks.is_empty() {
            tables.insert(CHUNKS.into(), chunks);
        }
    }
    Ok(Snapshot { tables, events })
}

/// The chunks of the attachments in `records` (those not destroyed), read from their files, in
/// the shape the chunk records have.
async fn chunks_from_files(
    db: &Database,
    records: Option<&Vec<Value>>,
) -> Result<Vec<Value>, StoreError> {
    let mut out = Vec::new();
    for a in records.into_iter().flatten() {
        if a.get("destroyed").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let id = a.get("id").and_then(Value::as_str).unwrap_or_default();
        let chunks = a.get("chunks").and_then(Value::as_u64).unwrap_or(0);
        for n in 0..chunks {
            let bytes = crate::documents::read_chunk(db, id, n)
                .await?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "attachment {id} lacks chunk {n} (run `rampart document verify`)"
                    ))
                })?;
            out.push(json!({
                "id": [id, n],
                "attachment": id,
                "n": n,
                "data": BASE64_BYTES.encode(bytes),
            }));
        }
    }
    Ok(out)
}

/// Writes the chunks a bundle carries to files, before the records go in; answers the ids
/// written, for removal if the records do not go in. A file already there is not overwritten.
async fn chunks_to_files(db: &Database, rows: &[Value]) -> Result<Vec<String>, StoreError> {
    let Some(files) = db.attachment_files() else {
        return Ok(Vec::new());
    };
    let present = files.ids().await?;
    let mut written: Vec<String> = Vec::new();
    let result = async {
        for row in rows {
            let bad = || {
                StoreError::Invalid(rampart_domain::Invalid::new(
                    "bundle",
                    format!("an attachment chunk is not {{attachment, n, data}}: {row}"),
                ))
            };
            let id = row
                .get("attachment")
                .and_then(Value::as_str)
                .ok_or_else(bad)?;
            let n = row.get("n").and_then(Value::as_u64).ok_or_else(bad)?;
            let data = row.get("data").and_then(Value::as_str).ok_or_else(bad)?;
            let bytes = BASE64_BYTES.decode(data).map_err(|_| bad())?;
            if present.contains(id) {
                return Err(StoreError::AlreadyExists(format!("attachment {id}")));
            }
            if !written.iter().any(|w| w == id) {
                written.push(id.to_string());
            }
            files.write_chunk(id, n, bytes).await?;
        }
        for id in &written {
            files.sync(id).await?;
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(written),
        Err(e) => {
            remove_files(db, &written).await;
            Err(e)
        }
    }
}

async fn remove_files(db: &Database, ids: &[String]) {
    if let Some(files) = db.attachment_files() {
        for id in ids {
            if let Err(e) = files.remove(id).await {
                tracing::warn!(attachment = %id, error = %e, "could not remove a restored attachment file");
            }
        }
    }
}

/// Whether the database holds nothing yet (no record, no event).
pub async fn is_empty(db: &Database) -> Result<bool, StoreError> {
    let names = record_tables(db).await?;
    let mut q = String::new();
    for t in names.iter().map(String::as_str).chain(["audit_event"]) {
        q.push_str(&format!("SELECT VALUE id FROM {t} LIMIT 1;\n"));
    }
    let results = db.rows_of_each(&q, Map::new(), names.len() + 1).await?;
    Ok(results.iter().all(Vec::is_empty))
}

/// Writes a snapshot, and `then` (an event chained after it), into an empty database in one
/// transaction: all of it or nothing. Tables the schema does not define are refused.
pub async fn restore(
    db: &Database,
    snapshot: &Snapshot,
    then: &AuditEvent,
) -> Result<(), StoreError> {
    let known = record_tables(db).await?;
    if let Some(unknown) = snapshot.tables.keys().find(|t| !known.contains(t)) {
        return Err(StoreError::Invalid(rampart_domain::Invalid::new(
            "bundle",
            format!(
                "the bundle holds table '{unknown}', which this Rampart's schema does not have"
            ),
        )));
    }
    let in_files = match snapshot.tables.get(CHUNKS) {
        Some(rows) if db.attachment_files().is_some() => chunks_to_files(db, rows).await?,
        _ => Vec::new(),
    };
    let mut q = String::from(
        "BEGIN TRANSACTION;\nIF (SELECT VALUE id FROM audit_event LIMIT 1) != [] { THROW 'rampart:exists:this organisation database already holds records' };\n",
    );
    let mut bound = Map::new();
    let records = snapshot
        .tables
        .iter()
        .filter(|(t, _)| db.attachment_files().is_none() || t.as_str() != CHUNKS);
    for (i, (table, rows)) in records.enumerate() {
        let var = format!("t{i}");
        match bytes_field(table) {
            Some(f) => q.push_str(&format!(
                "INSERT INTO {table} (SELECT *, encoding::base64::decode({f}) AS {f} FROM ${var}) RETURN NONE;\n"
            )),
            None => q.push_str(&format!("INSERT INTO {table} ${var} RETURN NONE;\n")),
        }
        bound.insert(var, Value::Array(rows.clone()));
    }
    let mut events: Vec<Value> = Vec::with_capacity(snapshot.events.len() + 1);
    for e in snapshot.events.iter().chain(std::iter::once(then)) {
        let mut body = serde_json::to_value(e).expect("events serialise");
        body["id"] = Value::from(e.seq);
        events.push(body);
    }
    q.push_str("INSERT INTO audit_event $events RETURN NONE;\nUPSERT audit_head:chain CONTENT $head;\nCOMMIT TRANSACTION;");
    bound.insert("events".into(), Value::Array(events));
    bound.insert(
        "head".into(),
        serde_json::json!({"seq": then.seq, "hash": then.hash}),
    );
    let res = db.surreal().query(q).bind(Value::Object(bound)).await;
    db.replaced();
    let mut res = match res {
        Ok(res) => res,
        Err(e) => {
            remove_files(db, &in_files).await;
            return Err(e.into());
        }
    };
    let mut errors: Vec<(usize, String)> = res
        .take_errors()
        .into_iter()
        .map(|(i, e)| (i, e.to_string()))
        .collect();
    errors.sort();
    if let Some((_, first)) = errors
        .iter()
        .find(|(_, m)| !m.contains("not executed"))
        .or(errors.first())
    {
        remove_files(db, &in_files).await;
        if first.contains("rampart:exists") {
            return Err(StoreError::AlreadyExists(
                "a database with records for this organisation".into(),
            ));
        }
        return Err(StoreError::Database(format!(
            "the bundle could not be written (nothing was): {first}"
        )));
    }
    Ok(())
}

/// Rows a bundle exported at schema `from` carries in a shape this schema no longer accepts,
/// rewritten in today's before [`restore`] (the data step of the migration that changed the
/// shape then finds them done): documents and their versions before migration 13.
pub fn reshape(snapshot: &mut Snapshot, from: i64) -> Result<(), StoreError> {
    if from >= 13 {
        return Ok(());
    }
    let reshaped: [(&str, crate::documents::ToJson); 2] = [
        ("document", crate::documents::document_to_json),
        ("document_version", crate::documents::version_to_json),
    ];
    for (table, to_json) in reshaped {
        for row in snapshot.tables.get_mut(table).into_iter().flatten() {
            if let Some((key, mut new)) = to_json(row)? {
                new["id"] = Value::from(key);
                *row = new;
            }
        }
    }
    Ok(())
}

/// Takes a restored bundle exported at schema `from` through the migrations since (a no-op at
/// the current version): the database says `from`, and the migrations a database of that version
/// would get at start run — their definitions are idempotent, their data steps run once.
pub async fn upgrade(db: &Database, from: i64) -> Result<(), StoreError> {
    if from >= crate::SCHEMA_VERSION {
        return Ok(());
    }
    db.surreal()
        .query("UPSERT meta:schema SET version = $from")
        .bind(("from", from))
        .await?
        .check()?;
    let applied =
        crate::migrations::apply(db.surreal(), crate::migrations::Schema::Organisation).await;
    db.replaced();
    applied
}

/// Removes every record and event: undoes a restore whose organisation could not be created.
pub async fn clear(db: &Database) -> Result<(), StoreError> {
    let names = record_tables(db).await?;
    let mut q = String::from("BEGIN TRANSACTION;\n");
    for t in names
        .iter()
        .map(String::as_str)
        .chain(NOT_RECORDS[1..].iter().copied())
    {
        q.push_str(&format!("DELETE {t};\n"));
    }
    q.push_str("COMMIT TRANSACTION;");
    let cleared = db.rows(&q, Map::new(), 0).await;
    db.replaced();
    cleared?;
    if let Some(files) = db.attachment_files() {
        files.remove_all().await?;
    }
    Ok(())
}
