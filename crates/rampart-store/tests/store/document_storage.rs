//! Document storage: what `document verify` finds when stored bytes no longer match their hashes,
//! and that attachment chunks round-trip byte for byte — as records (memory, a SurrealDB server)
//! and as files (an embedded store), through disposal, an older store's records and bundles.

use crate::common::{import_event, memory, open_in};
use rampart_domain::audit::sha256_hex;
use rampart_domain::document::{
    Attachment, DispositionMethod, Document, DocumentFields, Tombstone, VersionStatus,
};
use rampart_store::bundle;
use rampart_store::documents::{self, StoredAttachment};
use rampart_store::{Change, Database, StoreError};
use sha2::{Digest, Sha256};

/// A new document of Maria's, internal, without versions.
fn new_document(id: &str, kind: &str, title: &str, now: &str) -> Document {
    let fields = DocumentFields {
        kind: kind.into(),
        title: title.into(),
        owner: "maria".into(),
        classification: "internal".into(),
        ..Default::default()
    }
    .validate()
    .unwrap();
    Document::new(id.into(), fields, now)
}

/// Stores Maria's backup policy, version 1 with a 600,000-byte attachment `att1` in three
/// chunks, and a stray chunk of an upload that never completed; answers the attachment's bytes.
async fn store_backup_policy(db: &Database) -> Vec<u8> {
    let now = rampart_store::now();
    let mut doc = new_document("backup", "policy", "Backup policy", &now);
    let text = "Back up every night.";
    let bytes: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let sha = hex::encode(Sha256::digest(&bytes));
    let attachment = Attachment {
        id: "att1".into(),
        name: "runbook.pdf".into(),
        content_type: "application/pdf".into(),
        size: bytes.len() as u64,
        sha256: sha.clone(),
    };
    for (n, chunk) in bytes.chunks(documents::CHUNK_BYTES).enumerate() {
        documents::put_chunk(db, "att1", n as u64, chunk)
            .await
            .unwrap();
    }
    documents::seal_chunks(db, "att1").await.unwrap();
    doc.revise(
        "maria",
        &now,
        "First draft",
        sha256_hex(text.as_bytes()),
        text.len() as u64,
        vec![attachment],
    )
    .unwrap();
    let mut change = Change::new();
    documents::create(&mut change, "user:maria", &doc);
    documents::put_version(&mut change, "backup", 1, text, &sha256_hex(text.as_bytes()));
    documents::create_attachment(
        &mut change,
        "att",
        &StoredAttachment {
            id: "att1".into(),
            document: "backup".into(),
            name: "runbook.pdf".into(),
            content_type: "application/pdf".into(),
            size: bytes.len() as u64,
            sha256: sha,
            chunks: bytes.len().div_ceil(documents::CHUNK_BYTES) as u64,
            destroyed: false,
        },
    );
    db.commit(change).await.unwrap();
    documents::put_chunk(db, "never-finished", 0, b"partial")
        .await
        .unwrap();
    bytes
}

/// Verification over either way of keeping attachment bytes; `tamper` changes chunk 1 of `att1`
/// behind the engine's back.
async fn verify_finds_altered_text_and_attachments(db: &Database, tamper: impl AsyncFnOnce()) {
    let bytes = store_backup_policy(db).await;
    let clean = documents::verify(db).await.unwrap();
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    assert_eq!(
        (clean.versions, clean.attachments, clean.bytes),
        (1, 1, 600_000)
    );
    assert_eq!(clean.orphan_chunks, 1);
    assert_eq!(
        documents::read_chunk(db, "att1", 2).await.unwrap().unwrap(),
        bytes[2 * documents::CHUNK_BYTES..]
    );

    db.surreal()
        .query("UPDATE document_text SET content = 'Back up every week.'")
        .await
        .unwrap()
        .check()
        .unwrap();
    tamper().await;
    let found = documents::verify(db).await.unwrap();
    assert_eq!(found.problems.len(), 2, "{:?}", found.problems);
    assert!(found.problems[0].contains("document backup version 1: the text hashes to"));
    assert!(found.problems[1].contains("attachment att1 (runbook.pdf)"));
}

#[tokio::test]
async fn verify_finds_altered_text_and_attachment_records() {
    let store = memory().await;
    let db = store.organisation("acme").await.unwrap();
    verify_finds_altered_text_and_attachments(&db, async || {
        db.surreal()
            .query("UPDATE type::record('attachment_chunk', ['att1', 1]) SET data = encoding::base64::decode('AAAA')")
            .await
            .unwrap()
            .check()
            .unwrap();
    })
    .await;
}

/// How many chunks the database holds as records.
async fn chunk_records(db: &Database) -> usize {
    let records: Vec<serde_json::Value> = db
        .surreal()
        .query("SELECT * FROM attachment_chunk")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    records.len()
}

/// Where an embedded store keeps the file of attachment `id` of organisation `org`.
fn attachment_file(dir: &tempfile::TempDir, org: &str, id: &str) -> std::path::PathBuf {
    dir.path()
        .join("db/attachments")
        .join(rampart_domain::organisation::database_name(org))
        .join(id)
}

#[tokio::test]
async fn verify_finds_altered_attachment_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_in(&dir).await;
    let db = store.organisation("acme").await.unwrap();
    let file = attachment_file(&dir, "acme", "att1");
    verify_finds_altered_text_and_attachments(&db, async || {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        f.seek(SeekFrom::Start(documents::CHUNK_BYTES as u64 + 5))
            .unwrap();
        f.write_all(b"tampered").unwrap();
    })
    .await;
    // The bytes are a file, not records.
    assert_eq!(chunk_records(&db).await, 0);
}

/// Commits the disposal of the backup policy's version 1, which destroys `att1`.
async fn dispose_backup_policy(db: &Database) {
    let tombstone = Tombstone {
        by: "user:maria".into(),
        at: rampart_store::now(),
        method: DispositionMethod::Delete,
        content_hash: sha256_hex(b"Back up every night."),
        attachments: vec![],
    };
    // The document row records the tombstone, as the engine's disposal does.
    let before = documents::get(db, "backup").await.unwrap().unwrap();
    let mut doc = before.clone();
    doc.versions[0].status = VersionStatus::Disposed;
    doc.versions[0].tombstone = Some(tombstone.clone());
    let mut change = Change::new();
    documents::update(
        &mut change,
        "user:maria",
        "document.dispose-version",
        &before,
        &doc,
        before.revision,
    );
    documents::destroy(
        &mut change,
        "d",
        "user:maria",
        "backup",
        1,
        &tombstone,
        &["att1".to_string()],
    );
    db.commit(change).await.unwrap();
}

#[tokio::test]
async fn a_disposal_destroys_the_attachment_file_and_an_interrupted_one_is_finished_at_opening() {
    let dir = tempfile::tempdir().unwrap();
    let file = attachment_file(&dir, "acme", "att1");
    {
        let store = open_in(&dir).await;
        let db = store.organisation("acme").await.unwrap();
        store_backup_policy(&db).await;
        assert!(file.exists());
        dispose_backup_policy(&db).await;
        assert!(!file.exists(), "the disposal's commit destroys the file");
        assert_eq!(documents::read_chunk(&db, "att1", 0).await.unwrap(), None);
        let v = documents::verify(&db).await.unwrap();
        assert!(v.problems.is_empty(), "{:?}", v.problems);
        assert_eq!(v.destroyed, 1);

        // As if the process stopped between the commit and the file's destruction.
        documents::put_chunk(&db, "att1", 0, b"still here")
            .await
            .unwrap();
        let v = documents::verify(&db).await.unwrap();
        assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
        assert!(
            v.problems[0].contains("attachment att1 was destroyed but its file remains"),
            "{:?}",
            v.problems
        );
    }
    let store = open_in(&dir).await;
    let db = store.organisation("acme").await.unwrap();
    assert!(!file.exists(), "opening the database finishes the disposal");
    let v = documents::verify(&db).await.unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

#[tokio::test]
async fn chunk_records_of_an_older_rampart_move_to_files_when_the_database_opens() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 13) as u8).collect();
    {
        let store = open_in(&dir).await;
        let db = store.organisation("acme").await.unwrap();
        // What an older Rampart wrote: chunks as records.
        for (n, chunk) in bytes.chunks(documents::CHUNK_BYTES).enumerate() {
            db.surreal()
                .query("CREATE type::record('attachment_chunk', [$a, $n]) CONTENT { attachment: $a, n: $n, data: encoding::base64::decode($data) }")
                .bind(("a", "old1"))
                .bind(("n", n as u64))
                .bind(("data", {
                    use base64::Engine as _;
                    base64::engine::general_purpose::STANDARD.encode(chunk)
                }))
                .await
                .unwrap()
                .check()
                .unwrap();
        }
    }
    let store = open_in(&dir).await;
    let db = store.organisation("acme").await.unwrap();
    assert!(attachment_file(&dir, "acme", "old1").exists());
    let mut back = Vec::new();
    for n in 0..2 {
        back.extend(
            documents::read_chunk(&db, "old1", n)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    assert_eq!(back, bytes);
    assert_eq!(chunk_records(&db).await, 0);
}

#[tokio::test]
async fn a_bundle_carries_attachment_files_as_chunks_either_way() {
    let dir = tempfile::tempdir().unwrap();
    let disk = open_in(&dir).await;
    let source = disk.organisation("acme").await.unwrap();
    let bytes = store_backup_policy(&source).await;
    let s = bundle::snapshot(&source).await.unwrap();
    assert_eq!(
        s.tables["attachment_chunk"].len(),
        3,
        "the stray upload is not carried"
    );
    let then = import_event(&s);

    // Into a store in memory: the chunks become records, and read back the same.
    let memory = memory().await;
    let copy = memory.organisation("copy").await.unwrap();
    bundle::restore(&copy, &s, &then).await.unwrap();
    assert_eq!(bundle::snapshot(&copy).await.unwrap().tables, s.tables);

    // Into another organisation on disk: files again.
    let copy = disk.organisation("copy").await.unwrap();
    bundle::restore(&copy, &s, &then).await.unwrap();
    assert_eq!(bundle::snapshot(&copy).await.unwrap().tables, s.tables);
    assert!(attachment_file(&dir, "copy", "att1").exists());
    let v = documents::verify(&copy).await.unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert_eq!(v.bytes, bytes.len() as u64);

    // A second restore is refused and leaves the files it found as they were.
    let e = bundle::restore(&copy, &s, &then).await.unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists(_)), "{e}");
    let v = documents::verify(&copy).await.unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    // Clearing (undoing an import) takes the files with the records.
    bundle::clear(&copy).await.unwrap();
    assert!(!attachment_file(&dir, "copy", "att1").exists());
}

/// A revision reads the newest version by the number kept on the document row (an index scan
/// backwards walks SurrealKV's memtable from its end).
#[tokio::test]
async fn a_revision_finds_the_newest_version_by_the_number_on_the_row() {
    let store = memory().await;
    let db = store.organisation("acme").await.unwrap();
    let now = rampart_store::now();
    let mut doc = new_document("change", "procedure", "Change management", &now);
    doc.revise("maria", &now, "v1", "h1".into(), 1, vec![])
        .unwrap();
    let mut change = Change::new();
    documents::create(&mut change, "user:maria", &doc);
    db.commit(change).await.unwrap();
    // Twelve versions, so that "change/12" sorts before "change/9" as text.
    for n in 2..=12 {
        revise(&db, &mut doc, format!("h{n}")).await;
    }
    let newest = |d: &Document| {
        d.versions
            .last()
            .map(|v| (v.number, v.content_hash.clone()))
    };
    let (read, scheme, schedule) = documents::get_for_revision(&db, "change").await.unwrap();
    assert_eq!(newest(&read.unwrap()), Some((12, "h12".to_string())));
    // This organisation has set neither (its answer uses the defaults).
    assert!(scheme.is_none() && schedule.is_none());
    // The number on the row is what is read: pointed at version 3, version 3 comes back —
    // once the store is told its database was written behind its back (until then a revision
    // starts from the document as the last commit left it, see `read_cache.rs`).
    db.rows(
        "UPDATE document:change SET newest_version = 3 RETURN NONE",
        Default::default(),
        0,
    )
    .await
    .unwrap();
    db.replaced();
    let (read, ..) = documents::get_for_revision(&db, "change").await.unwrap();
    assert_eq!(newest(&read.unwrap()), Some((3, "h3".to_string())));
    // A whole read goes by the number too: versions 1 to the newest, by key, without an index.
    let whole = documents::get(&db, "change").await.unwrap().unwrap();
    assert_eq!(whole.versions.len(), 3);
    db.rows(
        "UPDATE document:change SET newest_version = 12 RETURN NONE",
        Default::default(),
        0,
    )
    .await
    .unwrap();
    let whole = documents::get(&db, "change").await.unwrap().unwrap();
    let numbers: Vec<u32> = whole.versions.iter().map(|v| v.number).collect();
    assert_eq!(numbers, (1..=12).collect::<Vec<_>>());
}

/// Maria's new version of `doc` (its content hashing to `hash`), committed.
async fn revise(db: &rampart_store::Database, doc: &mut Document, hash: String) {
    let before = doc.clone();
    doc.revise("maria", &rampart_store::now(), "v", hash, 1, vec![])
        .unwrap();
    doc.revision = before.revision + 1;
    let mut change = Change::new();
    documents::update(
        &mut change,
        "user:maria",
        "document.revise",
        &before,
        doc,
        before.revision,
    );
    db.commit(change).await.unwrap();
}

/// Four documents as a store holds them: "a" with three versions (the second published), "b"
/// with twelve (the fifth published; "b/12" sorts before "b/9" as text), "c" with one draft,
/// "d" with none.
async fn four_documents(db: &rampart_store::Database) {
    let now = rampart_store::now();
    for (id, versions, published) in [("a", 3, 2), ("b", 12, 5), ("c", 1, 0), ("d", 0, 0)] {
        let mut doc = new_document(id, "procedure", id, &now);
        for n in 1..=versions {
            doc.revise(
                "maria",
                &now,
                &format!("v{n}"),
                format!("{id}{n}"),
                1,
                vec![],
            )
            .unwrap();
        }
        if published > 0 {
            doc.versions[published - 1].status = VersionStatus::Published;
        }
        let mut change = Change::new();
        documents::create(&mut change, "user:maria", &doc);
        db.commit(change).await.unwrap();
    }
}

/// Each document's id and the hashes of the versions it came with, in order.
fn listed<'a>(docs: impl IntoIterator<Item = &'a Document>) -> Vec<(String, Vec<String>)> {
    docs.into_iter()
        .map(|d| {
            let versions = d.versions.iter().map(|v| v.content_hash.clone()).collect();
            (d.id.clone(), versions)
        })
        .collect()
}

fn expected(docs: &[(&str, &[u32])]) -> Vec<(String, Vec<String>)> {
    docs.iter()
        .map(|(id, numbers)| {
            let versions = numbers.iter().map(|n| format!("{id}{n}")).collect();
            (id.to_string(), versions)
        })
        .collect()
}

/// A page of documents comes with each one's versions in force — the published one and the
/// newest, read by key from the numbers on the row — and `all` with every version, in number
/// order.
#[tokio::test]
async fn a_list_brings_the_versions_in_force_and_all_the_whole_history() {
    let store = memory().await;
    let db = store.organisation("acme").await.unwrap();
    four_documents(&db).await;
    let list = |after: &'static str, limit| {
        let db = db.clone();
        async move {
            let page = documents::list(&db, &Default::default(), after, limit)
                .await
                .unwrap();
            listed(page.iter().map(|d| &**d))
        }
    };
    let in_force = expected(&[("a", &[2, 3]), ("b", &[5, 12]), ("c", &[1]), ("d", &[])]);
    assert_eq!(list("", 10).await, in_force);
    // Keyset paging.
    assert_eq!(list("", 2).await, in_force[..2].to_vec());
    assert_eq!(list("b", 10).await, in_force[2..].to_vec());
    let twelve: Vec<u32> = (1..=12).collect();
    assert_eq!(
        listed(&documents::all(&db).await.unwrap()),
        expected(&[("a", &[1, 2, 3]), ("b", &twelve), ("c", &[1]), ("d", &[])])
    );
    // A list after a change shows it.
    let mut c = documents::get(&db, "c").await.unwrap().unwrap();
    revise(&db, &mut c, "c2".into()).await;
    assert_eq!(list("b", 10).await, expected(&[("c", &[2]), ("d", &[])]));
}

/// Puts the documents and versions `db` holds back in the shape they had before migration 13
/// (typed fields, no `data`; without the version numbers on the document rows unless
/// `pointers`) and the database at schema `version`, as an older Rampart left it. The two tables
/// become schemaless for it (their old field definitions are gone from this build): what these
/// tests check is the data the migrations move.
async fn as_before_migration_13(db: &Database, version: i64, pointers: bool) {
    let rows = |table: &'static str| {
        let db = db.clone();
        async move {
            db.rows(&format!("SELECT * FROM {table}"), Default::default(), 0)
                .await
                .unwrap()
        }
    };
    let state = |row: &serde_json::Value| -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(row["data"].as_str().unwrap()).unwrap()
    };
    let mut old_documents = Vec::new();
    for row in rows("document").await {
        let mut old = state(&row);
        let key = old.remove("id").unwrap();
        if pointers {
            for field in ["newest_version", "published_version"] {
                if let Some(n) = row.get(field) {
                    old.insert(field.into(), n.clone());
                }
            }
        }
        old_documents.push(serde_json::json!({"key": key, "row": old}));
    }
    let mut old_versions = Vec::new();
    for row in rows("document_version").await {
        let mut old = state(&row);
        old.retain(|_, v| !v.is_null());
        old.insert("document".into(), row["document"].clone());
        let key = rampart_store::json_record_key(&row["id"]).unwrap();
        old_versions.push(serde_json::json!({"key": key, "row": old}));
    }
    db.surreal()
        .query(
            "DEFINE TABLE OVERWRITE document SCHEMALESS; \
             DEFINE TABLE OVERWRITE document_version SCHEMALESS; \
             REMOVE FIELD data ON document; REMOVE FIELD data ON document_version; \
             FOR $d IN $documents { UPDATE type::record('document', $d.key) CONTENT $d.row RETURN NONE; }; \
             FOR $v IN $versions { UPDATE type::record('document_version', $v.key) CONTENT $v.row RETURN NONE; }; \
             UPDATE meta:schema SET version = $version;",
        )
        .bind(("documents", old_documents))
        .bind(("versions", old_versions))
        .bind(("version", version))
        .await
        .unwrap()
        .check()
        .unwrap();
}

/// Migration 11 puts the numbers of the newest and the published version on rows written
/// before them; a list then reads those versions by key.
#[tokio::test]
async fn migration_11_numbers_the_versions_on_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open_in(&dir).await;
        let db = store.organisation("acme").await.unwrap();
        four_documents(&db).await;
        as_before_migration_13(&db, 10, false).await;
        let raw = db
            .rows("SELECT * FROM document:b", Default::default(), 0)
            .await
            .unwrap();
        assert!(raw[0].get("data").is_none() && raw[0].get("newest_version").is_none());
        assert_eq!(raw[0]["title"], "b", "the old shape: {raw:?}");
    }
    let store = open_in(&dir).await;
    let db = store.organisation("acme").await.unwrap();
    let page = documents::list(&db, &Default::default(), "", 10)
        .await
        .unwrap();
    assert_eq!(
        listed(page.iter().map(|d| &**d)),
        expected(&[("a", &[2, 3]), ("b", &[5, 12]), ("c", &[1]), ("d", &[])])
    );
}

/// Migration 13 rewrites every document and version row as JSON in `data`: what was stored
/// reads the same, verifies, and takes the next revision.
#[tokio::test]
async fn migration_13_keeps_documents_and_versions_as_json_rows() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let store = open_in(&dir).await;
        let db = store.organisation("acme").await.unwrap();
        store_backup_policy(&db).await;
        four_documents(&db).await;
        let before = documents::all(&db).await.unwrap();
        as_before_migration_13(&db, 12, true).await;
        before
    };
    let store = open_in(&dir).await;
    let db = store.organisation("acme").await.unwrap();
    assert_eq!(documents::all(&db).await.unwrap(), before);
    let raw = |q: &'static str| {
        let db = db.clone();
        async move { db.rows(q, Default::default(), 0).await.unwrap().remove(0) }
    };
    let b = raw("SELECT * FROM document:b").await;
    assert!(b.get("title").is_none(), "{b}");
    assert_eq!(b["newest_version"], 12);
    assert!(
        b["data"].as_str().unwrap().contains("\"title\":\"b\""),
        "{b}"
    );
    let v12 = raw("SELECT * FROM document_version:⟨b/12⟩").await;
    assert!(v12.get("status").is_none(), "{v12}");
    assert_eq!(
        (&v12["document"], &v12["number"]),
        (&"b".into(), &12.into())
    );
    // The backup policy's text and attachment still hash as recorded; the four documents were
    // written without texts (16 versions).
    let v = documents::verify(&db).await.unwrap();
    assert_eq!(v.versions, 1 + 3 + 12 + 1);
    let missing = |p: &String| p.ends_with("the text is missing") && !p.contains("backup");
    assert!(v.problems.iter().all(missing), "{:?}", v.problems);
    assert_eq!(v.problems.len(), 16);
    assert_eq!(v.attachments, 1);
    let mut b = documents::get(&db, "b").await.unwrap().unwrap();
    revise(&db, &mut b, "b13".into()).await;
    let b = documents::get(&db, "b").await.unwrap().unwrap();
    assert_eq!(b.versions.len(), 13);
    assert_eq!(b.versions[12].content_hash, "b13");
}

/// A bundle exported before migration 13 carries documents and versions in their old shape:
/// they are rewritten before they go in (the schema would refuse them), and read the same.
#[tokio::test]
async fn a_bundle_from_before_migration_13_is_reshaped_on_restore() {
    let source = memory().await;
    let acme = source.organisation("acme").await.unwrap();
    four_documents(&acme).await;
    let before = documents::all(&acme).await.unwrap();
    let mut s = bundle::snapshot(&acme).await.unwrap();
    // The rows as an older Rampart exported them.
    for row in s.tables.get_mut("document").unwrap() {
        let mut old: serde_json::Value =
            serde_json::from_str(row["data"].as_str().unwrap()).unwrap();
        old["newest_version"] = row["newest_version"].clone();
        if let Some(p) = row.get("published_version") {
            old["published_version"] = p.clone();
        }
        *row = old;
    }
    for row in s.tables.get_mut("document_version").unwrap() {
        let mut old: serde_json::Value =
            serde_json::from_str(row["data"].as_str().unwrap()).unwrap();
        old["document"] = row["document"].clone();
        old["id"] = row["id"].clone();
        *row = old;
    }
    let then = import_event(&s);
    let target = memory().await;
    let copy = target.organisation("copy").await.unwrap();
    let refused = bundle::restore(&copy, &s, &then).await.unwrap_err();
    assert!(refused.to_string().contains("nothing was"), "{refused}");
    bundle::reshape(&mut s, 12).unwrap();
    bundle::restore(&copy, &s, &then).await.unwrap();
    bundle::upgrade(&copy, 12).await.unwrap();
    assert_eq!(documents::all(&copy).await.unwrap(), before);
}

/// The register a list is served from follows every commit, including those made while it was
/// being loaded: after writers revised documents during the first lists, a list shows what the
/// database holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_follow_the_commits_made_while_the_register_loads() {
    let store = memory().await;
    let db = store.organisation("acme").await.unwrap();
    let now = rampart_store::now();
    for i in 0..1200 {
        let mut doc = new_document(&format!("d{i:04}"), "procedure", "d", &now);
        doc.revise("maria", &now, "v1", format!("d{i:04}-1"), 1, vec![])
            .unwrap();
        if i % 2 == 0 {
            doc.versions[0].status = VersionStatus::Published;
        }
        let mut change = Change::new();
        documents::create(&mut change, "user:maria", &doc);
        db.commit(change).await.unwrap();
    }
    let mut writers = Vec::new();
    for w in 0..4 {
        let db = db.clone();
        writers.push(tokio::spawn(async move {
            for round in 0..20 {
                let id = format!("d{:04}", (w * 300 + round * 13) % 1200);
                let mut doc = documents::get(&db, &id).await.unwrap().unwrap();
                let n = doc.versions.len() + 1;
                revise(&db, &mut doc, format!("{id}-{n}")).await;
            }
        }));
    }
    // Lists while the writers write: the first one loads the register.
    let mut listed = 0;
    for _ in 0..5 {
        listed = documents::list(&db, &Default::default(), "", 2000)
            .await
            .unwrap()
            .len();
    }
    assert_eq!(listed, 1200);
    for w in writers {
        w.await.unwrap();
    }
    let in_force = |d: &Document| -> (String, u64, Vec<String>) {
        let published = d.published().map(|v| v.number);
        let newest = d.versions.last().map(|v| v.number);
        let versions = d
            .versions
            .iter()
            .filter(|v| Some(v.number) == published || Some(v.number) == newest)
            .map(|v| v.content_hash.clone())
            .collect();
        (d.id.clone(), d.revision, versions)
    };
    let from_the_register: Vec<_> = documents::list(&db, &Default::default(), "", 2000)
        .await
        .unwrap()
        .iter()
        .map(|d| in_force(d))
        .collect();
    let from_the_database: Vec<_> = documents::all(&db)
        .await
        .unwrap()
        .iter()
        .map(in_force)
        .collect();
    assert_eq!(from_the_register.len(), from_the_database.len());
    let differ: Vec<_> = from_the_register
        .iter()
        .zip(&from_the_database)
        .filter(|(a, b)| a != b)
        .collect();
    assert!(differ.is_empty(), "register vs database: {differ:?}");
    // The writers' revisions are there.
    let revised = from_the_register.iter().filter(|(_, r, _)| *r > 1).count();
    assert!(revised > 0, "no revision landed");
}
