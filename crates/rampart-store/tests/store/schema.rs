//! Migrations at start: idempotent, and a database from a newer Rampart is refused.

use crate::common::open_in;
use rampart_store::{SCHEMA_VERSION, Store, StoreError, StoreOptions};

async fn version(store: &Store) -> i64 {
    let mut r = store
        .system()
        .surreal()
        .query("SELECT VALUE version FROM meta:schema")
        .await
        .unwrap();
    let v: Vec<serde_json::Value> = r.take(0).unwrap();
    v[0].as_i64().unwrap()
}

#[tokio::test]
async fn migrations_run_once_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open_in(&dir).await;
        assert_eq!(version(&store).await, SCHEMA_VERSION);
        store.organisation("acme").await.unwrap();
    }
    // Opening again applies nothing new and keeps the version.
    {
        let store = open_in(&dir).await;
        assert_eq!(version(&store).await, SCHEMA_VERSION);
        // Pretend a newer Rampart wrote this organisation's database.
        let acme = store.organisation("acme").await.unwrap();
        acme.surreal()
            .query("UPDATE meta:schema SET version = 99")
            .await
            .unwrap()
            .check()
            .unwrap();
    }
    let store = open_in(&dir).await;
    match store.organisation("acme").await {
        Err(e @ StoreError::SchemaTooNew { found: 99, .. }) => {
            assert!(e.to_string().contains("newer Rampart"), "{e}");
        }
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("a database from a newer schema was opened"),
    }
}

#[tokio::test]
async fn schemafull_tables_reject_unknown_fields() {
    let store = Store::open(&StoreOptions {
        url: "mem://".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let acme = store.organisation("acme").await.unwrap();
    let r = acme
        .surreal()
        .query("CREATE asset:x SET name = 'n', colour = 'red'")
        .await
        .unwrap()
        .check();
    assert!(r.is_err(), "an undefined field was accepted");
}

/// Versions are read by key (migrations 11 and 13): neither index on them is left for every
/// version written to pay for.
#[tokio::test]
async fn migrations_12_and_13_leave_versions_three_fields_and_no_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_in(&dir).await;
    let acme = store.organisation("acme").await.unwrap();
    let mut r = acme
        .surreal()
        .query("INFO FOR TABLE document_version")
        .await
        .unwrap();
    let info: Option<serde_json::Value> = r.take(0).unwrap();
    let info = info.unwrap();
    let indexes = info["indexes"].clone();
    assert_eq!(indexes, serde_json::json!({}), "{indexes}");
    // Migration 13 left a version record three fields (its state is JSON in `data`), the
    // nested definitions of the typed shape included.
    let fields = |info: &serde_json::Value| {
        let mut fields: Vec<String> = info["fields"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        fields.sort();
        fields
    };
    assert_eq!(fields(&info), ["data", "document", "number"]);
    // And a document record the fields queries and revisions need beside its `data`.
    let mut r = acme
        .surreal()
        .query("INFO FOR TABLE document")
        .await
        .unwrap();
    let info: Option<serde_json::Value> = r.take(0).unwrap();
    assert_eq!(
        fields(&info.unwrap()),
        [
            "data",
            "kind",
            "newest_version",
            "owner",
            "published_version",
            "revision"
        ]
    );
}
