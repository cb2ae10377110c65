//! Document storage: what `document verify` finds when stored bytes no longer match their hashes,
//! and that attachment chunks round-trip byte for byte.

use rampart_domain::audit::sha256_hex;
use rampart_domain::document::{Attachment, Document, DocumentFields};
use rampart_store::documents::{self, StoredAttachment};
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
/// backwards walks SurrealKV's memtable from its end); a row written before that number existed
/// still finds it through the index.
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
        let before = doc.clone();
        doc.revise("maria", &now, &format!("v{n}"), format!("h{n}"), 1, vec![])
            .unwrap();
        doc.revision = before.revision + 1;
        let mut change = Change::new();
        documents::update(
            &mut change,
            "user:maria",
            "document.revise",
            &before,
            &doc,
            before.revision,
        );
        db.commit(change).await.unwrap();
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
    // The number on the row is what is read: pointed at version 3, version 3 comes back; a row
    // without it (written at schema 8) asks the index.
    for (on_the_row, found) in [("3", 3), ("NONE", 12)] {
        let set = format!("UPDATE document:change SET newest_version = {on_the_row} RETURN NONE");
        db.rows(&set, Default::default(), 0).await.unwrap();
        let (read, ..) = documents::get_for_revision(&db, "change").await.unwrap();
        assert_eq!(newest(&read.unwrap()), Some((found, format!("h{found}"))));
    }
    // And the whole document reads as it always did.
    let whole = documents::get(&db, "change").await.unwrap().unwrap();
    assert_eq!(whole.versions.len(), 12);
}
