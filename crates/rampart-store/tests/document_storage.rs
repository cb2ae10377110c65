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

#[tokio::test]
async fn verify_finds_altered_text_and_attachments() {
    let store = store().await;
    let db = store.organisation("acme").await.unwrap();
    let fields = DocumentFields {
        kind: "policy".into(),
        title: "Backup policy".into(),
        owner: "maria".into(),
        classification: "internal".into(),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let now = rampart_store::now();
    let mut doc = Document::new("backup".into(), fields, &now);
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
