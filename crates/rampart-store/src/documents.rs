//! Controlled documents (organisation database): the document with its version states, the
//! immutable text of each version, attachments in chunks, acknowledgements and the retention
//! schedule.
//!
//! Attachment bytes are written chunk by chunk as they arrive, outside any transaction, and
//! become part of the document only when the version naming them commits; an upload that fails
//! deletes its chunks, and [`verify`] reports any that were left behind.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, STANDARD_NO_PAD as BASE64_UNPADDED};
use rampart_domain::audit::sha256_hex;
use rampart_domain::document::{Attachment, Document, RetentionSchedule, Tombstone, VersionState};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::json::{content, from_row, from_rows, state, vars};
use crate::{Change, Database, StoreError, records};

/// Size of one stored attachment chunk (before base64).
pub const CHUNK_BYTES: usize = 256 * 1024;

/// A document with the state of its versions, read in one round trip.
pub async fn get(db: &Database, id: &str) -> Result<Option<Document>, StoreError> {
    let mut rows = db
        .rows_of_each(
            "SELECT * FROM type::record('document', $id); \
             SELECT * FROM document_version WHERE document = $id ORDER BY number;",
            vars([("id", Value::from(id))]),
            2,
        )
        .await?;
    let versions = rows.pop().unwrap_or_default();
    let doc = rows.pop().unwrap_or_default().into_iter().next();
    doc.map(|d| assemble(d, versions)).transpose()
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
        let mut rows = db
            .rows_of_each(
                "SELECT * FROM type::record('document', $id); \
                 SELECT * FROM document_version WHERE document = $id ORDER BY number; \
                 SELECT * FROM classification_scheme:current; \
                 SELECT * FROM retention_schedule:current;",
                vars([("id", Value::from(id))]),
                4,
            )
            .await?;
        let schedule = rows.pop().unwrap_or_default().into_iter().next();
        let scheme = rows.pop().unwrap_or_default().into_iter().next();
        let versions = rows.pop().unwrap_or_default();
        let doc = rows.pop().unwrap_or_default().into_iter().next();
        Ok((
            doc.map(|d| assemble(d, versions)).transpose()?,
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

/// A document row and its version rows as the domain's [`Document`].
fn assemble(mut doc: Value, versions: Vec<Value>) -> Result<Document, StoreError> {
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("versions".into(), Value::Array(versions));
    }
    from_row(doc)
}

/// Filters for [`list`]; empty strings match everything.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub owner: String,
    pub kind: String,
}

/// Documents in key order after `after` (keyset paging), with their versions.
pub async fn list(
    db: &Database,
    filter: &DocumentFilter,
    after: &str,
    limit: usize,
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
    let docs = db.rows(&q, v, 0).await?;
    let ids: Vec<Value> = docs
        .iter()
        .filter_map(|d| d.get("id").and_then(crate::json::record_key))
        .map(Value::from)
        .collect();
    let versions = db
        .rows(
            "SELECT * FROM document_version WHERE document IN $ids ORDER BY document, number",
            vars([("ids", Value::Array(ids))]),
            0,
        )
        .await?;
    let mut by_doc: std::collections::HashMap<String, Vec<Value>> = Default::default();
    for v in versions {
        if let Some(d) = v.get("document").and_then(|d| d.as_str()) {
            by_doc.entry(d.to_string()).or_default().push(v);
        }
    }
    docs.into_iter()
        .map(|d| {
            let key = d
                .get("id")
                .and_then(crate::json::record_key)
                .unwrap_or_default();
            let versions = by_doc.remove(&key).unwrap_or_default();
            assemble(d, versions)
        })
        .collect()
}

/// Every document of the organisation, read a page at a time.
pub async fn all(db: &Database) -> Result<Vec<Document>, StoreError> {
    let mut docs = Vec::new();
    let mut cursor = String::new();
    loop {
        let batch = list(db, &DocumentFilter::default(), &cursor, 500).await?;
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

fn version_key(document: &str, number: u32) -> String {
    format!("{document}/{number}")
}

/// The document row: everything but the versions, which have rows of their own.
fn document_row(doc: &Document) -> Value {
    let mut v = content(doc);
    if let Some(obj) = v.as_object_mut() {
        obj.remove("versions");
    }
    v
}

fn version_row(document: &str, v: &VersionState) -> Value {
    let mut row = content(v);
    if let Some(obj) = row.as_object_mut() {
        obj.insert("document".into(), Value::from(document));
    }
    row
}

/// Writes the rows of the versions that are new or changed since `before`.
fn put_versions(change: &mut Change, before: Option<&Document>, doc: &Document) {
    let changed: Vec<Value> = doc
        .versions
        .iter()
        .filter(|v| before.and_then(|b| b.version(v.number)) != Some(*v))
        .map(|v| {
            json!({
                "key": version_key(&doc.id, v.number),
                "row": version_row(&doc.id, v),
            })
        })
        .collect();
    if changed.is_empty() {
        return;
    }
    change.push(
        "FOR $ver_v IN $ver_rows { UPSERT type::record('document_version', $ver_v.key) CONTENT $ver_v.row RETURN NONE; };",
        vars([("ver_rows", Value::Array(changed))]),
    );
}

pub fn create(change: &mut Change, actor: &str, doc: &Document) {
    records::create(
        change,
        "doc",
        "document",
        &doc.id,
        document_row(doc),
        &format!("document {}", doc.id),
    );
    put_versions(change, None, doc);
    change.record(
        actor,
        "document.create",
        format!("document:{}", doc.id),
        state(doc),
    );
}

/// Replaces a document at the revision the caller read and writes the versions that changed
/// since `before` (the document as loaded). The audit event commits to the whole new state,
/// which holds every version's content hash.
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
        document_row(doc),
        &format!("document {}", doc.id),
    );
    put_versions(change, Some(before), doc);
    change.record(actor, operation, format!("document:{}", doc.id), state(doc));
}

/// Stores the text of a new version. It is never updated again, only destroyed at disposal.
pub fn put_version(change: &mut Change, document: &str, number: u32, text: &str, hash: &str) {
    records::create(
        change,
        "txt",
        "document_text",
        &version_key(document, number),
        json!({
            "document": document,
            "number": number,
            "content": text,
            "content_hash": hash,
            "destroyed": false,
        }),
        &format!("version {number} of document {document}"),
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
/// in the same transaction as the disposal; the tombstone goes to the audit trail.
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

/// Writes one chunk of an upload in progress (not yet part of any document).
pub async fn put_chunk(
    db: &Database,
    attachment: &str,
    n: u64,
    bytes: &[u8],
) -> Result<(), StoreError> {
    db.rows(
        // Bytes travel to the database as base64 text and are stored as raw bytes.
        "CREATE type::record('attachment_chunk', [$attachment, $n]) CONTENT { attachment: $attachment, n: $n, data: encoding::base64::decode($data) } RETURN NONE",
        vars([
            ("attachment", Value::from(attachment)),
            ("n", Value::from(n)),
            ("data", Value::from(BASE64.encode(bytes))),
        ]),
        0,
    )
    .await?;
    Ok(())
}

/// Removes the chunks of an upload that did not complete.
pub async fn discard_chunks(db: &Database, attachment: &str) -> Result<(), StoreError> {
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
        // SurrealDB encodes without padding.
        Some(Value::String(s)) => BASE64_UNPADDED
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

pub async fn schedule(db: &Database) -> Result<Option<StoredSchedule>, StoreError> {
    let rows = db
        .rows("SELECT * FROM retention_schedule:current", Map::new(), 0)
        .await?;
    rows.into_iter().next().map(from_row).transpose()
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
    let rows = db
        .rows(
            "SELECT count() AS n FROM attachment_chunk WHERE !record::exists(type::record('attachment', attachment)) GROUP ALL",
            Map::new(),
            0,
        )
        .await?;
    out.orphan_chunks = rows
        .first()
        .and_then(|r| r.get("n"))
        .and_then(|n| n.as_u64())
        .unwrap_or(0);
    Ok(out)
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
