//! Controlled documents (organisation database): the document with its version states, the
//! immutable text of each version, attachments in chunks, acknowledgements and the retention
//! schedule.
//!
//! Attachment bytes are written chunk by chunk as they arrive, outside any transaction, and
//! become part of the document only when the version naming them commits; an upload that fails
//! deletes its chunks, and [`verify`] reports any that were left behind.

use base64::Engine as _;
use rampart_domain::audit::sha256_hex;
use rampart_domain::document::{Attachment, Document, RetentionSchedule, Tombstone, VersionState};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::document_register::{in_force, in_force_numbers};
use crate::json::{BASE64_BYTES, content, from_row, from_rows, state, vars};
use crate::{Change, Database, StoreError, records};
use std::sync::Arc;

/// Size of one stored attachment chunk (before base64).
pub const CHUNK_BYTES: usize = 256 * 1024;

/// Document `$id` as `[row, [versions 1 to its newest]]`, then `extra`, in one statement (so
/// one transaction: the row goes with the versions it lists). Versions are read by key, in number
/// order: they are numbered from 1 without gaps, and reading by key needs no index (one was kept
/// on (document, number) for this until migration 13, paid for by every version written).
fn document_query(extra: &str) -> String {
    format!(
        "RETURN {{\
            LET $doc = type::record('document', $id).*;\
            RETURN [$doc, array::map(array::range(1, ($doc.newest_version ?? 0) + 1),\
                |$n| type::record('document_version', string::concat($id, '/', <string> $n)).*){extra}];\
         }}"
    )
}

/// The values a one-statement read returns, NONE as None.
fn returned(values: Vec<Value>) -> impl Iterator<Item = Option<Value>> {
    values.into_iter().map(|v| Some(v).filter(|v| !v.is_null()))
}

/// A document with the state of its versions, read in one round trip.
pub async fn get(db: &Database, id: &str) -> Result<Option<Document>, StoreError> {
    let read = db
        .rows(&document_query(""), vars([("id", Value::from(id))]), 0)
        .await?;
    let mut read = returned(read);
    let doc = read.next().flatten();
    let versions = read.next().flatten();
    doc.map(|d| assemble(d, versions_of_read(versions)))
        .transpose()
}

/// The versions a [`document_query`] returned.
fn versions_of_read(versions: Option<Value>) -> Vec<Value> {
    match versions {
        Some(Value::Array(versions)) => versions.into_iter().filter(|v| !v.is_null()).collect(),
        _ => Vec::new(),
    }
}

/// A document with only the versions a revision needs — the newest and the published one (in
/// number order, once each), two lookups whatever the length of the history — with the
/// classification scheme and the retention schedule its answer needs. Not a whole document:
/// only for a change that touches the newest version and answers with these.
///
/// Where this process is the sole writer, the document comes from the register's recent
/// documents when it is there (every commit leaves the documents it wrote there), and the scheme
/// and the schedule are kept until a change writes them: a writer revising its document again
/// reads nothing from the database. The three are no longer read at one moment; a revision
/// needs only the document to be current, and its revision is checked again in the commit.
pub async fn get_for_revision(db: &Database, id: &str) -> Result<DocumentInContext, StoreError> {
    let scheme = crate::classification::get_scheme(db).await?;
    let schedule = schedule(db).await?;
    let register = db.document_register();
    if let Some(doc) = register.and_then(|r| r.document(id)) {
        return Ok((Some(doc.as_ref().clone()), scheme, schedule));
    }
    let commits = register.map(|r| r.commits());
    // One statement, so one transaction: the row goes with the versions it names.
    let read = db
        .rows(
            "RETURN {\
                LET $doc = type::record('document', $id).*;\
                LET $version = |$n: option<int>| type::record('document_version', string::concat($id, '/', <string> ($n ?? 0))).*;\
                RETURN [$doc, $version($doc.newest_version), $version($doc.published_version)];\
             }",
            vars([("id", Value::from(id))]),
            0,
        )
        .await?;
    let mut read = returned(read);
    let mut next = || read.next().flatten();
    let (doc, newest, published) = (next(), next(), next());
    let number = |v: &Value| v.get("number").and_then(Value::as_u64).unwrap_or(0);
    let mut versions: Vec<Value> = published.into_iter().chain(newest).collect();
    versions.sort_by_key(number);
    versions.dedup_by_key(|v| number(v));
    let doc = doc.map(|d| assemble(d, versions)).transpose()?;
    if let (Some(register), Some(commits), Some(doc)) = (register, commits, &doc) {
        register.remember(commits, doc.clone());
    }
    Ok((doc, scheme, schedule))
}

/// A document with what reading it needs besides: the classification scheme and the retention
/// schedule, in one round trip.
pub async fn get_with_context(
    db: &Database,
    id: &str,
) -> Result<std::sync::Arc<DocumentInContext>, StoreError> {
    // A document row, the scheme and the schedule are a few kilobytes, each version's row
    // (without its text) well under one.
    let size = |read: &DocumentInContext| {
        4096 + 1024 * read.0.as_ref().map_or(0, |d| d.versions.len() as u64)
    };
    db.cached(&format!("document+context/{id}"), size, || async {
        let read = db
            .rows(
                &document_query(", classification_scheme:current.*, retention_schedule:current.*"),
                vars([("id", Value::from(id))]),
                0,
            )
            .await?;
        let mut read = returned(read);
        let mut next = || read.next().flatten();
        let (doc, versions, scheme, schedule) = (next(), next(), next(), next());
        Ok((
            doc.map(|d| assemble(d, versions_of_read(versions)))
                .transpose()?,
            scheme.map(from_row).transpose()?,
            schedule.map(from_row).transpose()?,
        ))
    })
    .await
}

/// A document with its versions (if it exists), the classification scheme and the retention
/// schedule.
pub type DocumentInContext = (
    Option<Document>,
    Option<crate::classification::StoredScheme>,
    Option<StoredSchedule>,
);

/// A document row and its version rows as the domain's [`Document`]: each row's state is the
/// JSON text in its `data` (see [`stored_row`]).
fn assemble(doc: Value, versions: Vec<Value>) -> Result<Document, StoreError> {
    let mut state = unpack(&doc, "a document row")?;
    let versions = versions
        .iter()
        .map(|v| unpack(v, "a document version row"))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(obj) = state.as_object_mut() {
        if let Some(id) = doc.get("id") {
            obj.insert("id".into(), id.clone());
        }
        obj.insert("versions".into(), Value::Array(versions));
    }
    from_row(state)
}

/// The state a document or version row keeps as JSON text in `data`.
fn unpack(row: &Value, what: &str) -> Result<Value, StoreError> {
    let id = row.get("id").and_then(Value::as_str).unwrap_or("?");
    let data = row.get("data").and_then(Value::as_str).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "{what} {id} has no data, which every row Rampart writes since schema 13 has: it was written or changed outside Rampart"
        ))
    })?;
    serde_json::from_str(data).map_err(|e| StoreError::Corrupt(format!("{what} {id}: {e}")))
}

/// Filters for [`list`]; empty strings match everything.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub owner: String,
    pub kind: String,
}

/// Which versions a read of many documents brings with each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    /// The published one and the newest (once if they are the same): what a list shows.
    InForce,
    /// The whole history.
    All,
}

/// Documents in key order after `after` (keyset paging), each with its versions in force (see
/// [`Versions::InForce`]): a list's cost does not grow with the documents' histories. Served
/// from the document register in memory where there is one (it is loaded by the first list,
/// a page at a time, and then follows every commit), else read from the database.
pub async fn list(
    db: &Database,
    filter: &DocumentFilter,
    after: &str,
    limit: usize,
) -> Result<Vec<Arc<Document>>, StoreError> {
    let keep = |d: &Document| {
        (filter.owner.is_empty() || d.owner == filter.owner)
            && (filter.kind.is_empty() || d.kind.as_str() == filter.kind)
    };
    if let Some(register) = db.document_register() {
        if !register.is_loaded() && !register.oversized() {
            // In a task of its own: a list that goes away mid-load must not leave the register
            // collecting commits for a load nobody finishes.
            let db = db.clone();
            tokio::spawn(async move { load(&db).await })
                .await
                .map_err(|e| {
                    StoreError::Database(format!("the register load was abandoned: {e}"))
                })??;
        }
        if let Some(found) = register.range(after, limit, keep) {
            return Ok(found);
        }
    }
    let read = page(db, filter, after, limit, Versions::InForce).await?;
    Ok(read.into_iter().map(Arc::new).collect())
}

/// Reads every document with its versions in force into the register (once: a list arriving
/// during a load waits for it).
async fn load(db: &Database) -> Result<(), StoreError> {
    let Some(register) = db.document_register() else {
        return Ok(());
    };
    let _one_at_a_time = register.loading.lock().await;
    if register.is_loaded() || register.oversized() {
        return Ok(());
    }
    let epoch = register.begin_load();
    let read = async {
        let mut docs = Vec::new();
        let mut cursor = String::new();
        loop {
            let batch = page(
                db,
                &DocumentFilter::default(),
                &cursor,
                1000,
                Versions::InForce,
            )
            .await?;
            let done = batch.len() < 1000;
            if let Some(last) = batch.last() {
                cursor.clone_from(&last.id);
            }
            docs.extend(batch);
            if done {
                return Ok::<_, StoreError>(docs);
            }
        }
    }
    .await;
    match read {
        Ok(docs) => {
            tracing::debug!(
                db = db.name(),
                documents = docs.len(),
                "document register loaded"
            );
            register.loaded(epoch, Some(docs));
            Ok(())
        }
        Err(e) => {
            register.loaded(epoch, None);
            Err(e)
        }
    }
}

/// Documents in key order after `after`: the rows, then their versions by key (`document/N`,
/// numbers from the pointers on the rows), in one read transaction so that each row goes with
/// the versions it had. Asking the index for a page's versions instead (`WHERE document IN $ids
/// ORDER BY document, number`) walked the whole index in order and filtered it: 125 ms for a
/// page of 1,001 documents among 10,000, against 20 ms by key.
async fn page(
    db: &Database,
    filter: &DocumentFilter,
    after: &str,
    limit: usize,
    versions: Versions,
) -> Result<Vec<Document>, StoreError> {
    let mut q = String::from("SELECT * FROM document WHERE true");
    if !filter.owner.is_empty() {
        q.push_str(" AND owner = $owner");
    }
    if !filter.kind.is_empty() {
        q.push_str(" AND kind = $kind");
    }
    if !after.is_empty() {
        q.push_str(" AND id > type::record('document', $after)");
    }
    q.push_str(" ORDER BY id LIMIT $limit");
    let v = vars([
        ("owner", Value::from(filter.owner.as_str())),
        ("kind", Value::from(filter.kind.as_str())),
        ("after", Value::from(after)),
        ("limit", Value::from(limit)),
    ]);
    let (docs, rows) = db
        .read_then(&q, v, move |docs| versions_of(docs, versions))
        .await?;
    let mut by_doc: std::collections::HashMap<String, Vec<Value>> = Default::default();
    for v in rows {
        if let Some(d) = v.get("document").and_then(|d| d.as_str()) {
            by_doc.entry(d.to_string()).or_default().push(v);
        }
    }
    let number = |v: &Value| v.get("number").and_then(Value::as_u64).unwrap_or(0);
    docs.into_iter()
        .map(|d| {
            let key = d
                .get("id")
                .and_then(crate::json::record_key)
                .unwrap_or_default();
            let mut versions = by_doc.remove(&key).unwrap_or_default();
            versions.sort_by_key(number);
            assemble(d, versions)
        })
        .collect()
}

/// The query reading the versions of document rows by key, from the numbers on each row.
fn versions_of(docs: &[Value], versions: Versions) -> Option<(String, Map<String, Value>)> {
    let mut keys = Vec::new();
    for d in docs {
        let Some(id) = d.get("id").and_then(crate::json::record_key) else {
            continue;
        };
        let pointer = |field: &str| d.get(field).and_then(Value::as_u64).map(|n| n as u32);
        let (newest, published) = (pointer("newest_version"), pointer("published_version"));
        let numbers: Vec<u32> = match versions {
            Versions::All => (1..=newest.unwrap_or(0)).collect(),
            Versions::InForce => in_force_numbers(published, newest),
        };
        keys.extend(
            numbers
                .into_iter()
                .map(|n| Value::from(version_key(&id, n))),
        );
    }
    (!keys.is_empty()).then(|| {
        (
            "SELECT * FROM array::map($keys, |$k| type::record('document_version', $k))".into(),
            vars([("keys", Value::Array(keys))]),
        )
    })
}

/// Every document of the organisation with its whole history, read a page at a time.
pub async fn all(db: &Database) -> Result<Vec<Document>, StoreError> {
    let mut docs = Vec::new();
    let mut cursor = String::new();
    loop {
        let batch = page(db, &DocumentFilter::default(), &cursor, 500, Versions::All).await?;
        let done = batch.len() < 500;
        if let Some(last) = batch.last() {
            cursor = last.id.clone();
        }
        docs.extend(batch);
        if done {
            return Ok(docs);
        }
    }
}

/// Migration 11: the pointers [`stored_row`] keeps on each document row (its newest and its
/// published version), set on rows written before them. Returns the statements and variables
/// that do it, guarded to run once.
pub(crate) async fn number_versions(
    db: &surrealdb::Surreal<surrealdb::engine::any::Any>,
) -> Result<(String, Map<String, Value>), StoreError> {
    let mut res = db
        .query("SELECT document, number, status, data FROM document_version")
        .await?
        .check()?;
    let rows: Vec<Value> = res.take(0)?;
    let mut pointers: std::collections::BTreeMap<String, (u64, Option<u64>)> = Default::default();
    for r in rows {
        let (Some(doc), Some(n)) = (
            r.get("document").and_then(Value::as_str),
            r.get("number").and_then(Value::as_u64),
        ) else {
            continue;
        };
        let entry = pointers.entry(doc.to_string()).or_default();
        entry.0 = entry.0.max(n);
        // A bundle from before migration 11 arrives reshaped for 13 (`bundle::reshape`): its
        // versions' status is then inside `data`.
        let status = match r.get("data").and_then(Value::as_str) {
            Some(data) => serde_json::from_str::<Value>(data)
                .ok()
                .and_then(|state| state.get("status").cloned()),
            None => r.get("status").cloned(),
        };
        if status.as_ref().and_then(Value::as_str) == Some("published") {
            entry.1 = Some(n);
        }
    }
    let newest: Vec<Value> = pointers
        .iter()
        .map(|(d, (n, _))| json!({"key": d, "n": n}))
        .collect();
    let published: Vec<Value> = pointers
        .iter()
        .filter_map(|(d, (_, p))| Some(json!({"key": d, "n": (*p)?})))
        .collect();
    let q = "IF (meta:schema.version ?? 0) < 11 {\n\
             FOR $m11_d IN $m11_newest { UPDATE type::record('document', $m11_d.key) SET newest_version = $m11_d.n RETURN NONE; };\n\
             FOR $m11_d IN $m11_published { UPDATE type::record('document', $m11_d.key) SET published_version = $m11_d.n RETURN NONE; };\n\
             };";
    Ok((
        q.to_string(),
        vars([
            ("m11_newest", Value::Array(newest)),
            ("m11_published", Value::Array(published)),
        ]),
    ))
}

/// Migration 13: every document and version row in the JSON shape [`stored_row`] and
/// [`version_row`] write. Returns the statements and variables that rewrite them, guarded to
/// run once.
pub(crate) async fn rows_to_json(
    db: &surrealdb::Surreal<surrealdb::engine::any::Any>,
) -> Result<(String, Map<String, Value>), StoreError> {
    let mut res = db
        .query("SELECT * FROM document; SELECT * FROM document_version;")
        .await?
        .check()?;
    let documents: Vec<Value> = res.take(0)?;
    let versions: Vec<Value> = res.take(1)?;
    let rewrite = |rows: Vec<Value>, to_json: ToJson| {
        let mut out = Vec::new();
        for r in &rows {
            if let Some((key, row)) = to_json(r)? {
                out.push(json!({"key": key, "row": row}));
            }
        }
        Ok::<_, StoreError>(out)
    };
    let q = "IF (meta:schema.version ?? 0) < 13 {\n\
             FOR $m13_d IN $m13_documents { UPDATE type::record('document', $m13_d.key) CONTENT $m13_d.row RETURN NONE; };\n\
             FOR $m13_v IN $m13_versions { UPDATE type::record('document_version', $m13_v.key) CONTENT $m13_v.row RETURN NONE; };\n\
             };";
    Ok((
        q.to_string(),
        vars([
            (
                "m13_documents",
                Value::Array(rewrite(documents, document_to_json)?),
            ),
            (
                "m13_versions",
                Value::Array(rewrite(versions, version_to_json)?),
            ),
        ]),
    ))
}

/// [`document_to_json`] or [`version_to_json`].
pub(crate) type ToJson = fn(&Value) -> Result<Option<(String, Value)>, StoreError>;

/// A document row in the shape before migration 13 (typed fields), as its key and the row
/// [`stored_row`] writes for it; None if it has that shape already.
pub(crate) fn document_to_json(old: &Value) -> Result<Option<(String, Value)>, StoreError> {
    let Some((key, mut state)) = old_shape(old, "document")? else {
        return Ok(None);
    };
    let mut pointer = |field: &str| {
        state
            .remove(field)
            .and_then(|n| n.as_u64())
            .map(|n| n as u32)
    };
    let (newest, published) = (pointer("newest_version"), pointer("published_version"));
    state.insert("id".into(), Value::from(key.as_str()));
    let field = |name: &str| state.get(name).cloned().unwrap_or(Value::Null);
    let row = json!({
        "owner": field("owner"),
        "kind": field("kind"),
        "revision": field("revision"),
        "data": Value::Object(state.clone()).to_string(),
    });
    Ok(Some((key, row_with_pointers(row, newest, published))))
}

/// A version row in the shape before migration 13, as its key and the row [`version_row`]
/// writes for it; None if it has that shape already.
pub(crate) fn version_to_json(old: &Value) -> Result<Option<(String, Value)>, StoreError> {
    let Some((key, mut state)) = old_shape(old, "document version")? else {
        return Ok(None);
    };
    let document = state.remove("document").unwrap_or(Value::Null);
    let number = state.get("number").cloned().unwrap_or(Value::Null);
    let row = json!({
        "document": document,
        "number": number,
        "data": Value::Object(state).to_string(),
    });
    Ok(Some((key, row)))
}

type KeyAndFields = (String, Map<String, Value>);

/// A row's key and its fields but the id, if it is in the shape before migration 13 (no
/// `data`).
fn old_shape(old: &Value, what: &str) -> Result<Option<KeyAndFields>, StoreError> {
    if old.get("data").is_some() {
        return Ok(None);
    }
    let key = old
        .get("id")
        .and_then(crate::json::record_key)
        .ok_or_else(|| StoreError::Corrupt(format!("a {what} row without an id")))?;
    let Some(fields) = old.as_object() else {
        return Err(StoreError::Corrupt(format!(
            "{what} {key} is not an object"
        )));
    };
    let mut fields = fields.clone();
    fields.remove("id");
    Ok(Some((key, fields)))
}

fn version_key(document: &str, number: u32) -> String {
    format!("{document}/{number}")
}

/// The document's own fields (everything but the versions, which have rows of their own), as
/// its audit events commit to them.
fn document_row(doc: &Document) -> Value {
    content(&Row::from(doc))
}

/// The row as stored: the document's own fields as JSON text in `data`, beside what queries
/// filter on (owner, kind), the revision a replace checks, and the numbers of the newest and
/// the published version, so that a revision and a list find those versions by their keys.
/// SurrealDB writes one string field far faster than the 23 typed fields the row had before
/// migration 13 (docs/benchmarks.md, session 14). Asking the index for the highest number
/// (`ORDER BY number DESC LIMIT 1`) instead of keeping it here made SurrealKV seek from the end
/// of its memtable (`seek_last`), a walk that grows with everything written since the last
/// flush: a third of the server's CPU under 16 writers.
fn stored_row(doc: &Document) -> Value {
    let data = serde_json::to_string(&Row::from(doc)).expect("documents serialise");
    row_with_pointers(
        json!({
            "owner": doc.owner,
            "kind": doc.kind.as_str(),
            "revision": doc.revision,
            "data": data,
        }),
        doc.versions.last().map(|v| v.number),
        doc.published().map(|v| v.number),
    )
}

fn row_with_pointers(mut row: Value, newest: Option<u32>, published: Option<u32>) -> Value {
    if let Some(obj) = row.as_object_mut() {
        if let Some(newest) = newest {
            obj.insert("newest_version".into(), Value::from(newest));
        }
        if let Some(published) = published {
            obj.insert("published_version".into(), Value::from(published));
        }
    }
    row
}

/// A document's own fields, borrowed, serialised as `Document` serialises them: writing the
/// row of a document with hundreds of versions does not serialise them all only to drop them.
/// The test `the_row_is_the_document_without_its_versions` keeps the two in step.
#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    kind: &'a rampart_domain::document::DocumentKind,
    title: &'a str,
    owner: &'a str,
    classification: &'a str,
    requirements: &'a [String],
    reviewers: &'a [String],
    approvers: &'a [String],
    quorum: u32,
    distribution: &'a rampart_domain::document::Distribution,
    review_period_months: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention: &'a Option<rampart_domain::document::Retention>,
    legal_hold: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    last_reviewed_at: &'a str,
    revision: u64,
    created_at: &'a str,
    updated_at: &'a str,
}

impl<'a> From<&'a Document> for Row<'a> {
    fn from(d: &'a Document) -> Self {
        // Destructured, so a field added to `Document` does not compile until it is placed.
        let Document {
            id,
            kind,
            title,
            owner,
            classification,
            requirements,
            reviewers,
            approvers,
            quorum,
            distribution,
            review_period_months,
            retention,
            legal_hold,
            last_reviewed_at,
            versions: _,
            revision,
            created_at,
            updated_at,
        } = d;
        Row {
            id,
            kind,
            title,
            owner,
            classification,
            requirements,
            reviewers,
            approvers,
            quorum: *quorum,
            distribution,
            review_period_months: *review_period_months,
            retention,
            legal_hold: *legal_hold,
            last_reviewed_at,
            revision: *revision,
            created_at,
            updated_at,
        }
    }
}

/// A version's row: its state as JSON text in `data` (see [`stored_row`]), with its document
/// and number beside it for people reading the database.
fn version_row(document: &str, v: &VersionState) -> Value {
    json!({
        "document": document,
        "number": v.number,
        "data": serde_json::to_string(v).expect("versions serialise"),
    })
}

/// Writes the rows of the versions that are new or changed since `before`, and returns the
/// document's audit state: its row and those versions. A version's state is committed when it
/// is written and each time it changes, so the chain commits to every version's content hash
/// without digesting the whole history on every change (which made a revision's cost grow with
/// the number of versions).
fn put_versions(change: &mut Change, p: &str, before: Option<&Document>, doc: &Document) -> Value {
    let changed: Vec<&VersionState> = doc
        .versions
        .iter()
        .filter(|v| before.and_then(|b| b.version(v.number)) != Some(*v))
        .collect();
    let audited = json!({
        "document": document_row(doc),
        "versions": changed.iter().map(state).collect::<Vec<_>>(),
    });
    // New versions are created, changed ones updated: an UPSERT of a row that exists fails its
    // insert first inside SurrealDB. A statement per row for the few a workflow step touches
    // (most revisions write one new version); a loop over one array beyond that, since every
    // statement pays for every variable the transaction binds.
    let rows = changed.iter().map(|v| {
        let is_new = before.and_then(|b| b.version(v.number)).is_none();
        (
            is_new,
            version_key(&doc.id, v.number),
            version_row(&doc.id, v),
        )
    });
    if changed.len() <= 4 {
        for (i, (is_new, key, row)) in rows.enumerate() {
            let verb = if is_new { "CREATE" } else { "UPDATE" };
            change.push(
                &format!(
                    "{verb} type::record('document_version', ${p}_v{i}_key) CONTENT ${p}_v{i} RETURN NONE;"
                ),
                vars([
                    (&format!("{p}_v{i}_key"), Value::from(key)),
                    (&format!("{p}_v{i}"), row),
                ]),
            );
        }
        return audited;
    }
    let (new, old): (Vec<_>, Vec<_>) = rows.partition(|(is_new, ..)| *is_new);
    for (verb, rows, name) in [("CREATE", new, "new"), ("UPDATE", old, "old")] {
        if rows.is_empty() {
            continue;
        }
        let rows = rows
            .into_iter()
            .map(|(_, key, row)| json!({"key": key, "row": row}))
            .collect();
        change.push(
            &format!(
                "FOR ${p}_v IN ${p}_{name} {{ {verb} type::record('document_version', ${p}_v.key) CONTENT ${p}_v.row RETURN NONE; }};"
            ),
            vars([(&format!("{p}_{name}"), Value::Array(rows))]),
        );
    }
    audited
}

pub fn create(change: &mut Change, actor: &str, doc: &Document) {
    records::create(
        change,
        "doc",
        "document",
        &doc.id,
        stored_row(doc),
        &format!("document {}", doc.id),
    );
    let audited = put_versions(change, "doc", None, doc);
    change.documents.push(Arc::new(in_force(doc)));
    change.record(
        actor,
        "document.create",
        format!("document:{}", doc.id),
        audited,
    );
}

/// Replaces a document at the revision the caller read and writes the versions that changed
/// since `before` (the document as loaded). The audit event commits to the new document row
/// and the versions written (see `put_versions`).
pub fn update(
    change: &mut Change,
    actor: &str,
    operation: &str,
    before: &Document,
    doc: &Document,
    expected: u64,
) {
    update_as(change, "doc", actor, operation, before, doc, expected);
}

/// [`update`] with its own variable prefix `p`, for a change that updates several documents.
pub fn update_as(
    change: &mut Change,
    p: &str,
    actor: &str,
    operation: &str,
    before: &Document,
    doc: &Document,
    expected: u64,
) {
    records::replace(
        change,
        p,
        "document",
        &doc.id,
        expected,
        stored_row(doc),
        &format!("document {}", doc.id),
    );
    let audited = put_versions(change, p, Some(before), doc);
    change.documents.push(Arc::new(in_force(doc)));
    change.record(actor, operation, format!("document:{}", doc.id), audited);
}

/// Stores the text of a new version. It is never updated again, only destroyed at disposal.
pub fn put_version(change: &mut Change, document: &str, number: u32, text: &str, hash: &str) {
    // A plain CREATE, which fails on a row that exists: the version's number was checked with
    // the document's revision in the same transaction, so that is a bug, never a user's
    // mistake to explain (and the check would cost the commit loop a statement per revision).
    change.push(
        "CREATE type::record('document_text', $txt_key) CONTENT $txt_content RETURN NONE;",
        vars([
            ("txt_key", Value::from(version_key(document, number))),
            (
                "txt_content",
                json!({
                    "document": document,
                    "number": number,
                    "content": text,
                    "content_hash": hash,
                    "destroyed": false,
                }),
            ),
        ]),
    );
}

/// The stored text of a version: None if there is no such version, Some(None) once destroyed.
pub async fn version_text(
    db: &Database,
    document: &str,
    number: u32,
) -> Result<Option<Option<String>>, StoreError> {
    let rows = db
        .rows(
            "SELECT content FROM type::record('document_text', $key)",
            vars([("key", Value::from(version_key(document, number)))]),
            0,
        )
        .await?;
    Ok(rows.into_iter().next().map(|r| {
        r.get("content")
            .and_then(|c| c.as_str())
            .map(|s| s.to_string())
    }))
}

/// Destroys the text of a disposed version and the attachments no other version still uses,
/// in the same transaction as the disposal (attachment files right after it commits); the
/// tombstone goes to the audit trail.
pub fn destroy(
    change: &mut Change,
    p: &str,
    actor: &str,
    document: &str,
    number: u32,
    tombstone: &Tombstone,
    unreferenced: &[String],
) {
    change.push(
        &format!(
            "UPDATE type::record('document_text', ${p}_key) SET content = NONE, destroyed = true;\n\
             FOR ${p}_a IN ${p}_attachments {{\n\
               DELETE attachment_chunk WHERE attachment = ${p}_a;\n\
               UPDATE type::record('attachment', ${p}_a) SET destroyed = true;\n\
             }};"
        ),
        vars([
            (
                &format!("{p}_key"),
                Value::from(version_key(document, number)),
            ),
            (
                &format!("{p}_attachments"),
                Value::from(unreferenced.to_vec()),
            ),
        ]),
    );
    change
        .destroyed_attachments
        .extend(unreferenced.iter().cloned());
    change.record(
        actor,
        "document.dispose",
        format!("document:{document}/{number}"),
        json!({
            "document": document,
            "version": number,
            "tombstone": tombstone,
            "destroyed_attachments": unreferenced,
        }),
    );
}

/// An attachment's stored description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAttachment {
    pub id: String,
    pub document: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub chunks: u64,
    pub destroyed: bool,
}

pub async fn attachment(db: &Database, id: &str) -> Result<Option<StoredAttachment>, StoreError> {
    let rows = db
        .rows(
            "SELECT * FROM type::record('attachment', $id)",
            vars([("id", Value::from(id))]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

/// Writes one chunk of an upload in progress (not yet part of any document): to the
/// attachment's file in an embedded store, as a record elsewhere.
pub async fn put_chunk(
    db: &Database,
    attachment: &str,
    n: u64,
    bytes: &[u8],
) -> Result<(), StoreError> {
    if let Some(files) = db.attachment_files() {
        return files.write_chunk(attachment, n, bytes.to_vec()).await;
    }
    db.rows(
        // Bytes travel to the database as base64 text and are stored as raw bytes.
        "CREATE type::record('attachment_chunk', [$attachment, $n]) CONTENT { attachment: $attachment, n: $n, data: encoding::base64::decode($data) } RETURN NONE",
        vars([
            ("attachment", Value::from(attachment)),
            ("n", Value::from(n)),
            ("data", Value::from(BASE64_BYTES.encode(bytes))),
        ]),
        0,
    )
    .await?;
    Ok(())
}

/// Makes the chunks of a finished upload durable before the version naming it commits (chunk
/// records already are, each in its own transaction).
pub async fn seal_chunks(db: &Database, attachment: &str) -> Result<(), StoreError> {
    match db.attachment_files() {
        Some(files) => files.sync(attachment).await,
        None => Ok(()),
    }
}

/// Removes the chunks of an upload that did not complete.
pub async fn discard_chunks(db: &Database, attachment: &str) -> Result<(), StoreError> {
    if let Some(files) = db.attachment_files() {
        return files.remove(attachment).await;
    }
    db.rows(
        "DELETE attachment_chunk WHERE attachment = $attachment",
        vars([("attachment", Value::from(attachment))]),
        0,
    )
    .await?;
    Ok(())
}

pub async fn read_chunk(
    db: &Database,
    attachment: &str,
    n: u64,
) -> Result<Option<Vec<u8>>, StoreError> {
    match db.attachment_files() {
        Some(files) => files.read_chunk(attachment, n).await,
        None => read_chunk_record(db, attachment, n).await,
    }
}

/// A chunk stored as a record.
async fn read_chunk_record(
    db: &Database,
    attachment: &str,
    n: u64,
) -> Result<Option<Vec<u8>>, StoreError> {
    let rows = db
        .rows(
            "SELECT VALUE encoding::base64::encode(data) FROM type::record('attachment_chunk', [$attachment, $n])",
            vars([
                ("attachment", Value::from(attachment)),
                ("n", Value::from(n)),
            ]),
            0,
        )
        .await?;
    match rows.into_iter().next() {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => BASE64_BYTES
            .decode(s)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("attachment {attachment} chunk {n}: {e}"))),
        Some(other) => Err(StoreError::Corrupt(format!(
            "attachment {attachment} chunk {n} is {other}"
        ))),
    }
}

/// Makes uploaded chunks part of the document: the attachment record, in the version's change.
pub fn create_attachment(change: &mut Change, p: &str, a: &StoredAttachment) {
    records::create(
        change,
        p,
        "attachment",
        &a.id,
        content(a),
        &format!("attachment {}", a.id),
    );
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub document: String,
    pub version: u32,
    pub user: String,
    pub at: String,
}

/// Records a reader's "read and understood"; acknowledging the same version twice is refused.
pub fn acknowledge(change: &mut Change, actor: &str, ack: &Acknowledgement) {
    let key = format!("{}/{}/{}", ack.document, ack.version, ack.user);
    records::create(
        change,
        "ack",
        "acknowledgement",
        &key,
        content(ack),
        &format!(
            "{}'s acknowledgement of version {} of document {}",
            ack.user, ack.version, ack.document
        ),
    );
    change.record(
        actor,
        "document.acknowledge",
        format!("acknowledgement:{key}"),
        state(ack),
    );
}

pub async fn acknowledgements(
    db: &Database,
    document: &str,
) -> Result<Vec<Acknowledgement>, StoreError> {
    from_rows(
        db.rows(
            "SELECT document, version, user, at FROM acknowledgement WHERE document = $document ORDER BY version, user",
            vars([("document", Value::from(document))]),
            0,
        )
        .await?,
    )
}

/// The retention schedule as stored, with its revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSchedule {
    #[serde(flatten)]
    pub schedule: RetentionSchedule,
    pub revision: u64,
    pub updated_at: String,
}

/// The retention schedule, kept in memory until a change writes it.
pub async fn schedule(db: &Database) -> Result<Option<StoredSchedule>, StoreError> {
    let schedule = db
        .cached_until_written(
            "current",
            "retention_schedule",
            |_| 4096,
            || async {
                let rows = db
                    .rows("SELECT * FROM retention_schedule:current", Map::new(), 0)
                    .await?;
                rows.into_iter().next().map(from_row).transpose()
            },
        )
        .await?;
    Ok(schedule.as_ref().clone())
}

/// Stores the schedule: created if `expected` is 0, else replaced at that revision.
pub fn put_schedule(change: &mut Change, actor: &str, s: &StoredSchedule, expected: u64) {
    let what = "the retention schedule";
    if expected == 0 {
        records::create(
            change,
            "ret",
            "retention_schedule",
            "current",
            content(s),
            what,
        );
    } else {
        records::replace(
            change,
            "ret",
            "retention_schedule",
            "current",
            expected,
            content(s),
            what,
        );
    }
    change.record(
        actor,
        "retention.update",
        "retention_schedule:current".into(),
        state(s),
    );
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    pub versions: u64,
    pub attachments: u64,
    pub bytes: u64,
    /// Versions disposed of (their text is gone by design; the tombstone keeps the hash).
    pub destroyed: u64,
    /// Each problem: what, and what was expected.
    pub problems: Vec<String>,
    /// Chunks of uploads that never completed.
    pub orphan_chunks: u64,
}

/// Recomputes the SHA-256 of every stored version text and attachment and compares it with the
/// hash the document records (and the audit trail commits to). Reads one chunk at a time.
pub async fn verify(db: &Database) -> Result<Verification, StoreError> {
    let mut out = Verification::default();
    let docs = all(db).await?;
    let mut seen_attachments = std::collections::BTreeSet::new();
    for doc in &docs {
        for v in &doc.versions {
            out.versions += 1;
            match version_text(db, &doc.id, v.number).await? {
                None => out.problems.push(format!(
                    "document {} version {}: the text is missing",
                    doc.id, v.number
                )),
                Some(None) => {
                    if v.tombstone.is_some() {
                        out.destroyed += 1;
                    } else {
                        out.problems.push(format!(
                            "document {} version {}: the text was destroyed without a disposal",
                            doc.id, v.number
                        ));
                    }
                }
                Some(Some(text)) => {
                    let h = sha256_hex(text.as_bytes());
                    if h != v.content_hash {
                        out.problems.push(format!(
                            "document {} version {}: the text hashes to {h}, the document records {}",
                            doc.id, v.number, v.content_hash
                        ));
                    }
                }
            }
            if v.tombstone.is_some() {
                continue;
            }
            for a in &v.attachments {
                if seen_attachments.insert(a.id.clone()) {
                    check_attachment(db, &doc.id, a, &mut out).await?;
                }
            }
        }
    }
    out.orphan_chunks = match db.attachment_files() {
        Some(files) => {
            let stored = attachment_states(db).await?;
            let mut orphans = 0;
            for (id, size) in files.listing().await? {
                match stored.get(&id) {
                    None => orphans += size.div_ceil(CHUNK_BYTES as u64),
                    Some(true) => out.problems.push(format!(
                        "attachment {id} was destroyed but its file remains ({size} bytes)"
                    )),
                    Some(false) => {}
                }
            }
            orphans
        }
        None => db
            .rows(
                "SELECT count() AS n FROM attachment_chunk WHERE !record::exists(type::record('attachment', attachment)) GROUP ALL",
                Map::new(),
                0,
            )
            .await?
            .first()
            .and_then(|r| r.get("n"))
            .and_then(|n| n.as_u64())
            .unwrap_or(0),
    };
    Ok(out)
}

/// Every attachment record: its id and whether its bytes were destroyed.
async fn attachment_states(
    db: &Database,
) -> Result<std::collections::HashMap<String, bool>, StoreError> {
    let rows = db
        .rows(
            "SELECT VALUE [record::id(id), destroyed] FROM attachment",
            Map::new(),
            0,
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let id = r.get(0)?.as_str()?.to_string();
            Some((id, r.get(1).and_then(Value::as_bool).unwrap_or(false)))
        })
        .collect())
}

/// Brings an embedded store's attachment files in line with the database when it opens: chunks
/// written as records by an older Rampart move to files (an attachment at a time: its file is
/// written and synced, then its records deleted, so an interruption repeats the move), and the
/// files of destroyed attachments left by a disposal interrupted after its commit are destroyed.
pub(crate) async fn settle_attachment_files(db: &Database) -> Result<(), StoreError> {
    let Some(files) = db.attachment_files() else {
        return Ok(());
    };
    loop {
        let next = db
            .rows(
                "SELECT VALUE attachment FROM attachment_chunk LIMIT 1",
                Map::new(),
                0,
            )
            .await?;
        let Some(id) = next.first().and_then(Value::as_str).map(str::to_string) else {
            break;
        };
        let rows = db
            .rows(
                "SELECT VALUE n FROM attachment_chunk WHERE attachment = $a ORDER BY n",
                vars([("a", Value::from(id.as_str()))]),
                0,
            )
            .await?;
        files.remove(&id).await?;
        for n in rows.iter().filter_map(Value::as_u64) {
            let Some(bytes) = read_chunk_record(db, &id, n).await? else {
                continue;
            };
            files.write_chunk(&id, n, bytes).await?;
        }
        files.sync(&id).await?;
        db.rows(
            "DELETE attachment_chunk WHERE attachment = $a",
            vars([("a", Value::from(id.as_str()))]),
            0,
        )
        .await?;
        tracing::info!(db = %db.name(), attachment = %id, chunks = rows.len(), "moved attachment chunks to a file");
    }
    let destroyed: Vec<String> = attachment_states(db)
        .await?
        .into_iter()
        .filter_map(|(id, destroyed)| destroyed.then_some(id))
        .collect();
    let present = files.ids().await?;
    let left: Vec<String> = destroyed
        .into_iter()
        .filter(|id| present.contains(id))
        .collect();
    if !left.is_empty() {
        tracing::warn!(db = %db.name(), attachments = ?left, "destroying the files of attachments disposed of before an interruption");
        files.destroy(&left).await?;
    }
    Ok(())
}

async fn check_attachment(
    db: &Database,
    document: &str,
    a: &Attachment,
    out: &mut Verification,
) -> Result<(), StoreError> {
    out.attachments += 1;
    let Some(stored) = attachment(db, &a.id).await? else {
        out.problems.push(format!(
            "document {document}: attachment {} ({}) is missing",
            a.id, a.name
        ));
        return Ok(());
    };
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    for n in 0..stored.chunks {
        match read_chunk(db, &a.id, n).await? {
            Some(bytes) => {
                size += bytes.len() as u64;
                hasher.update(&bytes);
            }
            None => {
                out.problems.push(format!(
                    "document {document}: attachment {} ({}) lacks chunk {n}",
                    a.id, a.name
                ));
                return Ok(());
            }
        }
    }
    out.bytes += size;
    let h = hex::encode(hasher.finalize());
    if h != a.sha256 || size != a.size {
        out.problems.push(format!(
            "document {document}: attachment {} ({}) has {size} bytes hashing to {h}; the document records {} bytes, {}",
            a.id, a.name, a.size, a.sha256
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rampart_domain::document::{DocumentFields, DocumentKind};

    use super::*;

    fn revised(times: u32) -> Document {
        let fields = DocumentFields {
            kind: "policy".into(),
            title: "Access control".into(),
            owner: "maria".into(),
            classification: "internal".into(),
            approvers: vec!["ann".into()],
            ..Default::default()
        };
        let mut doc = Document::new(
            "ac".into(),
            fields.validate().unwrap(),
            "2026-01-01T00:00:00Z",
        );
        assert_eq!(doc.kind, DocumentKind::Policy);
        for n in 0..times {
            doc.revise(
                "bob",
                "2026-01-02T00:00:00Z",
                "note",
                format!("h{n}"),
                1,
                vec![],
            )
            .unwrap();
        }
        doc
    }

    /// A revision's audit state is the document row and the versions it wrote (the superseded
    /// draft and the new one), however long the history is: its cost does not grow with it.
    #[test]
    fn a_revision_audits_the_row_and_the_versions_it_wrote() {
        for history in [1, 50] {
            let before = revised(history);
            let mut doc = before.clone();
            doc.revise(
                "bob",
                "2026-01-03T00:00:00Z",
                "again",
                "new".into(),
                1,
                vec![],
            )
            .unwrap();
            let mut change = Change::new();
            update(&mut change, "user:bob", "document.revise", &before, &doc, 1);
            let state = &change.drafts[0].state;
            let versions = state["versions"].as_array().unwrap();
            let numbers: Vec<u64> = versions
                .iter()
                .map(|v| v["number"].as_u64().unwrap())
                .collect();
            assert_eq!(numbers, [history as u64, history as u64 + 1]);
            assert_eq!(versions[1]["content_hash"], "new");
            assert_eq!(versions[0]["status"], "superseded");
            assert_eq!(state["document"]["title"], "Access control");
            assert!(state["document"].get("versions").is_none());
        }
    }

    #[test]
    fn the_row_is_the_document_without_its_versions() {
        let mut doc = revised(3);
        for legal_hold in [false, true] {
            doc.legal_hold = legal_hold;
            doc.last_reviewed_at = if legal_hold {
                "2026-02-01".into()
            } else {
                String::new()
            };
            doc.retention = legal_hold.then_some(rampart_domain::document::Retention {
                period_months: 36,
                method: rampart_domain::document::DispositionMethod::Shred,
            });
            let mut whole = content(&doc);
            whole.as_object_mut().unwrap().remove("versions");
            assert_eq!(document_row(&doc), whole);
        }
    }
}
