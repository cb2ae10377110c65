//! The read cache of an embedded store: a read is served again only until the next change, so
//! nobody reads a value older than the last acknowledged write; a revision starts from the
//! document the last commit wrote; the scheme and the schedule are read again once a change
//! names them.

use crate::common::memory;
use rampart_domain::asset::{Asset, Cia, Lifecycle};
use rampart_domain::classification::ClassificationScheme;
use rampart_domain::document::{Document, DocumentFields, RetentionSchedule, VersionStatus};
use rampart_store::classification::{StoredScheme, get_scheme, put_scheme};
use rampart_store::{Change, Database, Store, StoreOptions, assets, documents};

fn asset(id: &str, name: &str, revision: u64) -> Asset {
    Asset {
        id: id.into(),
        name: name.into(),
        asset_type: "email".into(),
        owner: "maria".into(),
        location: "HQ".into(),
        description: String::new(),
        cia: Cia {
            confidentiality: 2,
            integrity: 2,
            availability: 2,
        },
        lifecycle: Lifecycle::InUse,
        classification: None,
        revision,
        created_at: "2026-11-29T00:00:00Z".into(),
        updated_at: "2026-11-29T00:00:00Z".into(),
    }
}

async fn name_of(db: &Database, id: &str) -> Option<String> {
    let read = assets::get_with_scheme(db, id).await.unwrap();
    read.0.as_ref().map(|a| a.name.clone())
}

async fn check(url: String) {
    let store = Store::open(&StoreOptions {
        url,
        ..Default::default()
    })
    .await
    .unwrap();
    let db = store.organisation("acme").await.unwrap();

    // A miss is cached too, and a create makes it a hit of the new asset.
    assert_eq!(name_of(&db, "a1").await, None);
    let mut c = Change::new();
    assets::create(&mut c, "user:maria", &asset("a1", "Mail archive", 1));
    db.commit(c).await.unwrap();
    assert_eq!(name_of(&db, "a1").await.as_deref(), Some("Mail archive"));

    // Read twice: the second read is the first one's value, kept (the store is embedded).
    let first = assets::get_with_scheme(&db, "a1").await.unwrap();
    let again = assets::get_with_scheme(&db, "a1").await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again));
    // Then changed: the next read sees the change.
    let mut c = Change::new();
    assets::update(
        &mut c,
        "u",
        "user:maria",
        "asset.update",
        &asset("a1", "Mail archive (EU)", 2),
        1,
    );
    db.commit(c).await.unwrap();
    assert_eq!(
        name_of(&db, "a1").await.as_deref(),
        Some("Mail archive (EU)")
    );
    let after = assets::get_with_scheme(&db, "a1").await.unwrap();
    assert!(!std::sync::Arc::ptr_eq(&first, &after));

    // A refused change (stale revision) changes nothing, and reads stay right.
    let mut c = Change::new();
    assets::update(
        &mut c,
        "u",
        "user:maria",
        "asset.update",
        &asset("a1", "Lost update", 2),
        1,
    );
    assert!(db.commit(c).await.is_err());
    assert_eq!(
        name_of(&db, "a1").await.as_deref(),
        Some("Mail archive (EU)")
    );
}

#[tokio::test]
async fn cached_reads_follow_every_change_in_memory() {
    check("mem://".into()).await;
}

#[tokio::test]
async fn cached_reads_follow_every_change_on_surrealkv() {
    let dir = tempfile::tempdir().unwrap();
    check(format!("surrealkv://{}", dir.path().join("db").display())).await;
}

/// Maria's procedure `id`: version 1 published, version 2 a draft.
fn procedure(id: &str) -> Document {
    let now = rampart_store::now();
    let fields = DocumentFields {
        kind: "procedure".into(),
        title: "Change management".into(),
        owner: "maria".into(),
        classification: "internal".into(),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let mut doc = Document::new(id.into(), fields, &now);
    for n in 1..=2 {
        doc.revise("maria", &now, "v", format!("h{n}"), 1, vec![])
            .unwrap();
    }
    doc.versions[0].status = VersionStatus::Published;
    doc
}

async fn read_for_revision(db: &Database, id: &str) -> Document {
    documents::get_for_revision(db, id)
        .await
        .unwrap()
        .0
        .unwrap()
}

fn numbers(doc: &Document) -> Vec<u32> {
    doc.versions.iter().map(|v| v.number).collect()
}

/// Points the document's row at version `newest` behind the store's back: a read that still
/// answers the older number did not read the database.
async fn point_behind_the_back(db: &Database, id: &str, newest: u32) {
    db.rows(
        &format!("UPDATE document:{id} SET newest_version = {newest} RETURN NONE"),
        Default::default(),
        0,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_revision_starts_from_the_document_the_last_commit_wrote() {
    let store = memory().await;
    let db = store.organisation("acme").await.unwrap();
    let mut doc = procedure("change");
    let mut c = Change::new();
    documents::create(&mut c, "user:maria", &doc);
    db.commit(c).await.unwrap();

    // From memory, then from the database: the same document, with its versions in force.
    let kept = read_for_revision(&db, "change").await;
    db.replaced();
    let read = read_for_revision(&db, "change").await;
    assert_eq!(kept, read);
    assert_eq!(numbers(&read), [1, 2]);

    // The database read was kept: a row changed behind the store's back is not seen until the
    // store is told.
    point_behind_the_back(&db, "change", 1).await;
    assert_eq!(numbers(&read_for_revision(&db, "change").await), [1, 2]);
    db.replaced();
    assert_eq!(numbers(&read_for_revision(&db, "change").await), [1]);
    point_behind_the_back(&db, "change", 2).await;
    db.replaced();

    // A committed revision is what the next one starts from, without reading the database.
    let before = read_for_revision(&db, "change").await;
    doc.revise("maria", &rampart_store::now(), "v3", "h3".into(), 1, vec![])
        .unwrap();
    doc.revision = before.revision + 1;
    let mut c = Change::new();
    documents::update(
        &mut c,
        "user:maria",
        "document.revise",
        &before,
        &doc,
        before.revision,
    );
    db.commit(c).await.unwrap();
    point_behind_the_back(&db, "change", 1).await;
    let after = read_for_revision(&db, "change").await;
    assert_eq!(numbers(&after), [1, 3]);
    assert_eq!(after.revision, before.revision + 1);

    // A refused change (a stale revision) leaves it as it was.
    let mut stale = doc.clone();
    stale.title = "Lost update".into();
    let mut c = Change::new();
    documents::update(
        &mut c,
        "user:maria",
        "document.update",
        &before,
        &stale,
        before.revision,
    );
    assert!(db.commit(c).await.is_err());
    assert_eq!(read_for_revision(&db, "change").await, after);
    assert_eq!(after.title, "Change management");
}

#[tokio::test]
async fn the_scheme_and_the_schedule_are_read_again_once_a_change_names_them() {
    let store = memory().await;
    let db = store.organisation("acme").await.unwrap();
    let scheme = ClassificationScheme::template("four-level").unwrap();
    let mut c = Change::new();
    put_scheme(
        &mut c,
        "user:maria",
        &StoredScheme::new(scheme.clone(), 1, "t1".into()),
        0,
    );
    documents::put_schedule(
        &mut c,
        "user:maria",
        &documents::StoredSchedule {
            schedule: RetentionSchedule::default(),
            revision: 1,
            updated_at: "t1".into(),
        },
        0,
    );
    db.commit(c).await.unwrap();
    let updated_at = async |db: &Database| {
        (
            get_scheme(db).await.unwrap().unwrap().updated_at,
            documents::schedule(db).await.unwrap().unwrap().updated_at,
        )
    };
    assert_eq!(updated_at(&db).await, ("t1".into(), "t1".into()));

    // Kept: written behind the store's back, and a change that names neither (a document).
    db.rows(
        "UPDATE classification_scheme:current SET updated_at = 'behind'; \
         UPDATE retention_schedule:current SET updated_at = 'behind'",
        Default::default(),
        0,
    )
    .await
    .unwrap();
    let mut c = Change::new();
    documents::create(&mut c, "user:maria", &procedure("other"));
    db.commit(c).await.unwrap();
    assert_eq!(updated_at(&db).await, ("t1".into(), "t1".into()));

    // A change that names the scheme makes it read again; the schedule stays kept.
    let mut c = Change::new();
    put_scheme(
        &mut c,
        "user:maria",
        &StoredScheme::new(scheme, 2, "t2".into()),
        1,
    );
    db.commit(c).await.unwrap();
    assert_eq!(updated_at(&db).await, ("t2".into(), "t1".into()));
    // And being told the database was written makes both read again.
    db.replaced();
    assert_eq!(updated_at(&db).await, ("t2".into(), "behind".into()));
}
