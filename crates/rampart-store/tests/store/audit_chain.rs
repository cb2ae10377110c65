//! The chain head an embedded store remembers between commits: a head moved under it (another
//! writer, a restore) is caught inside the transaction, read again, and the commit chains after
//! the real head.

use crate::common::open_in;
use rampart_store::{Change, audit};
use serde_json::json;

fn change(n: u64) -> Change {
    let mut c = Change::new();
    c.record(
        "user:maria",
        "test.step",
        format!("step:{n}"),
        json!({ "n": n }),
    );
    c
}

#[tokio::test]
async fn a_commit_chains_after_the_real_head_when_it_moved_under_the_remembered_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_in(&dir).await;
    let db = store.organisation("acme").await.unwrap();
    for n in 1..=3 {
        let events = db.commit(change(n)).await.unwrap();
        assert_eq!(events[0].seq, n);
    }
    // Another writer appends event 4 behind this process's back.
    let (seq, hash) = db.head().await.unwrap().unwrap();
    let foreign = rampart_domain::audit::AuditEvent::next(
        Some((seq, &hash)),
        "user:raj",
        "test.step",
        "step:foreign",
        &json!({}),
        &rampart_store::now(),
    );
    let mut row = serde_json::to_value(&foreign).unwrap();
    row["id"] = json!(foreign.seq);
    db.surreal()
        .query("INSERT INTO audit_event $row; UPDATE audit_head:chain CONTENT $head;")
        .bind(("row", row))
        .bind(("head", json!({ "seq": foreign.seq, "hash": foreign.hash })))
        .await
        .unwrap()
        .check()
        .unwrap();

    let events = db.commit(change(5)).await.unwrap();
    assert_eq!(events[0].seq, 5, "chained after the foreign event");
    assert_eq!(events[0].prev_hash, foreign.hash);
    let chain = audit::verify(&db).await.unwrap();
    assert_eq!((chain.verified, chain.broken), (5, None));
}
