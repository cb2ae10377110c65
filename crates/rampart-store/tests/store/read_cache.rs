//! The read cache of an embedded store: a read is served again only until the next change, so
//! nobody reads a value older than the last acknowledged write.

use rampart_domain::asset::{Asset, Cia, Lifecycle};
use rampart_store::{Change, Database, Store, StoreOptions, assets};

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
