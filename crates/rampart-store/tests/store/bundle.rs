//! An organisation database as data and back: every table read in one snapshot (bytes as base64,
//! composite keys kept), written into an empty database in one transaction whose chain still
//! verifies; a database with records, or a table the schema does not know, is refused whole.

use crate::common::{import_event, memory};
use rampart_store::bundle;
use rampart_store::registers::{self, Table};
use rampart_store::{Change, Database, StoreError};
use serde_json::{Value, json};

async fn seed(db: &Database) {
    let mut change = Change::new();
    for (i, key) in ["ransomware", "key-with/odd chars"].iter().enumerate() {
        registers::create(
            &mut change,
            &format!("c{i}"),
            "user:maria",
            "party.create",
            Table::Party,
            key,
            &json!({"title": key}),
        );
    }
    db.commit(change).await.unwrap();
    // An attachment chunk: bytes under a composite key.
    db.surreal()
        .query("CREATE attachment_chunk:['att-1', 0] CONTENT { attachment: 'att-1', n: 0, data: encoding::base64::decode('AAEC/w') }")
        .await
        .unwrap()
        .check()
        .unwrap();
}

#[tokio::test]
async fn a_snapshot_restores_whole_into_an_empty_database() {
    let store = memory().await;
    let source = store.organisation("acme").await.unwrap();
    seed(&source).await;
    let s = bundle::snapshot(&source).await.unwrap();
    assert_eq!(s.tables["interested_party"].len(), 2);
    assert_eq!(s.events.len(), 2);
    let chunk = &s.tables["attachment_chunk"][0];
    assert_eq!(chunk["id"], json!(["att-1", 0]));
    assert_eq!(chunk["data"], Value::from("AAEC/w"));

    let target = store.organisation("copy").await.unwrap();
    assert!(bundle::is_empty(&target).await.unwrap());
    bundle::restore(&target, &s, &import_event(&s))
        .await
        .unwrap();
    let again = bundle::snapshot(&target).await.unwrap();
    assert_eq!(again.tables, s.tables);
    assert_eq!(again.events.len(), 3);
    let chain = rampart_store::audit::verify(&target).await.unwrap();
    assert_eq!((chain.verified, chain.broken), (3, None));

    // Restoring twice is refused and changes nothing.
    let e = bundle::restore(&target, &s, &import_event(&s))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists(_)), "{e}");
    assert_eq!(bundle::snapshot(&target).await.unwrap().events.len(), 3);
}

#[tokio::test]
async fn a_table_the_schema_does_not_have_is_refused_before_anything_is_written() {
    let store = memory().await;
    let source = store.organisation("acme").await.unwrap();
    seed(&source).await;
    let mut s = bundle::snapshot(&source).await.unwrap();
    s.tables
        .insert("backdoor".into(), vec![json!({"id": "x", "admin": true})]);
    let target = store.organisation("copy").await.unwrap();
    let e = bundle::restore(&target, &s, &import_event(&s))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("backdoor"), "{e}");
    assert!(bundle::is_empty(&target).await.unwrap());
}
