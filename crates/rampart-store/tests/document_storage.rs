//! Document storage: what `document verify` finds when stored bytes no longer match their hashes,
//! and that attachment chunks round-trip byte for byte.

use rampart_domain::audit::sha256_hex;
use rampart_domain::document::{Attachment, Document, DocumentFields, VersionStatus};
use rampart_store::documents::{self, StoredAttachment};
mod common;

use common::open_in;
use rampart_store::{Change, Store, StoreOptions};
use sha2::{Digest, Sha256};

async fn store() -> Store {
    Store::open(&StoreOptions {
        url: "mem://".into(),
        ..Default::default()
    })
    .await
    .unwrap()
}

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

#[tokio::test]
async fn verify_finds_altered_text_and_attachments() {
    let store = store().await;
    let db = store.organisation("acme").await.unwrap();
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
        documents::put_chunk(&db, "att1", n as u64, chunk)
            .await
            .unwrap();
    }
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
    // A stray chunk of an upload that never completed.
    documents::put_chunk(&db, "never-finished", 0, b"partial")
        .await
        .unwrap();

    let clean = documents::verify(&db).await.unwrap();
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    assert_eq!(
        (clean.versions, clean.attachments, clean.bytes),
        (1, 1, 600_000)
    );
    assert_eq!(clean.orphan_chunks, 1);
    assert_eq!(
        documents::read_chunk(&db, "att1", 2)
            .await
            .unwrap()
            .unwrap(),
        bytes[2 * documents::CHUNK_BYTES..]
    );

    // Someone edits the stored text and one attachment chunk behind the engine's back.
    db.surreal()
        .query("UPDATE document_text SET content = 'Back up every week.'; UPDATE type::record('attachment_chunk', ['att1', 1]) SET data = encoding::base64::decode('AAAA')")
        .await
        .unwrap()
        .check()
        .unwrap();
    let found = documents::verify(&db).await.unwrap();
    assert_eq!(found.problems.len(), 2, "{:?}", found.problems);
    assert!(found.problems[0].contains("document backup version 1: the text hashes to"));
    assert!(found.problems[1].contains("attachment att1 (runbook.pdf)"));
}

/// A revision reads the newest version by the number kept on the document row (an index scan
/// backwards walks SurrealKV's memtable from its end).
#[tokio::test]
async fn a_revision_finds_the_newest_version_by_the_number_on_the_row() {
    let store = store().await;
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
    // The number on the row is what is read: pointed at version 3, version 3 comes back.
    db.rows(
        "UPDATE document:change SET newest_version = 3 RETURN NONE",
        Default::default(),
        0,
    )
    .await
    .unwrap();
    let (read, ..) = documents::get_for_revision(&db, "change").await.unwrap();
    assert_eq!(newest(&read.unwrap()), Some((3, "h3".to_string())));
    // And the whole document reads as it always did.
    let whole = documents::get(&db, "change").await.unwrap().unwrap();
    assert_eq!(whole.versions.len(), 12);
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
    let store = store().await;
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

/// Migration 11 puts the numbers of the newest and the published version on rows written
/// before them; a list then reads those versions by key.
#[tokio::test]
async fn migration_11_numbers_the_versions_on_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open_in(&dir).await;
        let db = store.organisation("acme").await.unwrap();
        four_documents(&db).await;
        db.surreal()
            .query(
                "UPDATE document SET newest_version = NONE, published_version = NONE RETURN NONE; \
                 UPDATE meta:schema SET version = 10;",
            )
            .await
            .unwrap()
            .check()
            .unwrap();
        let page = documents::list(&db, &Default::default(), "", 10)
            .await
            .unwrap();
        assert!(
            page.iter().all(|d| d.versions.is_empty()),
            "no numbers, no versions"
        );
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

/// The register a list is served from follows every commit, including those made while it was
/// being loaded: after writers revised documents during the first lists, a list shows what the
/// database holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_follow_the_commits_made_while_the_register_loads() {
    let store = store().await;
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
