//! A batch replacement of risks is all or nothing: one stale or missing risk refuses the whole
//! batch, names that risk, and changes nothing; every replaced risk gets its audit event.

use rampart_store::registers::{self, Replacement, Table};
use rampart_store::{Change, Database, Store, StoreError, StoreOptions};
use serde_json::{Value, json};

async fn database() -> Database {
    let store = Store::open(&StoreOptions {
        url: "mem://".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    store.organisation("acme").await.unwrap()
}

async fn seed(db: &Database, keys: &[&str]) {
    let mut change = Change::new();
    for (i, key) in keys.iter().enumerate() {
        let value = json!({"title": key, "score": 1});
        registers::create(
            &mut change,
            &format!("c{i}"),
            "user:test",
            "risk.create",
            Table::Risk,
            key,
            &value,
            &[("title", key), ("owner", "user:olivia")],
        );
    }
    db.commit(change).await.unwrap();
}

async fn replace(db: &Database, batch: &[(&str, u64)], score: u64) -> Result<usize, StoreError> {
    let values: Vec<Value> = batch
        .iter()
        .map(|(k, _)| json!({"title": k, "score": score}))
        .collect();
    let items: Vec<Replacement<'_, Value>> = batch
        .iter()
        .zip(&values)
        .map(|((key, expected), value)| Replacement {
            key,
            value,
            expected: *expected,
            extra: vec![("title", key), ("owner", "user:olivia")],
        })
        .collect();
    let mut change = Change::new();
    registers::replace_many(
        &mut change,
        "b",
        "user:test",
        "risk.assess",
        Table::Risk,
        &items,
    );
    db.commit(change).await.map(|events| events.len())
}

async fn scores(db: &Database) -> Vec<(u64, u64)> {
    registers::all_with_revisions::<Value>(db, Table::Risk)
        .await
        .unwrap()
        .into_iter()
        .map(|(v, rev)| (v["score"].as_u64().unwrap(), rev))
        .collect()
}

#[tokio::test]
async fn a_batch_is_replaced_whole_or_not_at_all() {
    // Plain keys take the one-SELECT revision check; a key with a dot takes the per-row loop.
    for keys in [["r-1", "r_2", "R3"], ["r-1", "r.2", "R3"]] {
        let db = database().await;
        seed(&db, &keys).await;

        let events = replace(&db, &[(keys[0], 1), (keys[1], 1), (keys[2], 1)], 2)
            .await
            .unwrap();
        assert_eq!(events, 3, "one audit event per risk");
        assert_eq!(scores(&db).await, vec![(2, 2); 3]);

        // keys[1] is read at revision 1 but is at 2 now.
        let stale = replace(&db, &[(keys[0], 2), (keys[1], 1), (keys[2], 2)], 3)
            .await
            .unwrap_err();
        match &stale {
            StoreError::Conflict(m) => assert!(m.contains(keys[1]), "{m}"),
            other => panic!("expected a conflict, got {other:?}"),
        }
        let missing = replace(&db, &[(keys[0], 2), ("gone", 2)], 3)
            .await
            .unwrap_err();
        match &missing {
            StoreError::NotFound(m) => assert!(m.contains("gone"), "{m}"),
            other => panic!("expected not found, got {other:?}"),
        }
        assert_eq!(scores(&db).await, vec![(2, 2); 3], "nothing changed");
        let chain = rampart_store::audit::verify(&db).await.unwrap();
        assert_eq!(
            (chain.verified, chain.broken),
            (6, None),
            "3 created, 3 replaced"
        );
    }
}

#[tokio::test]
async fn treated_controls_come_from_the_column_or_from_rows_written_before_it() {
    let db = database().await;
    let mut change = Change::new();
    // Written before migration 6: the controls only inside the state.
    let old = json!({"treatment": {"controls": ["iso27001:A.5.15", "iso27001:A.8.5"]}});
    registers::create(
        &mut change,
        "a",
        "user:test",
        "risk.create",
        Table::Risk,
        "old",
        &old,
        &[("title", "old"), ("owner", "user:olivia")],
    );
    let new = json!({"treatment": {"controls": ["iso27001:A.8.13"]}});
    registers::create(
        &mut change,
        "b",
        "user:test",
        "risk.create",
        Table::Risk,
        "new",
        &new,
        &[
            ("title", "new"),
            ("owner", "user:olivia"),
            ("treated_controls", "iso27001:A.8.13"),
        ],
    );
    let untreated = json!({"treatment": null});
    registers::create(
        &mut change,
        "c",
        "user:test",
        "risk.create",
        Table::Risk,
        "untreated",
        &untreated,
        &[
            ("title", "u"),
            ("owner", "user:olivia"),
            ("treated_controls", ""),
        ],
    );
    db.commit(change).await.unwrap();
    assert_eq!(
        registers::treated_controls(&db).await.unwrap(),
        vec![
            ("new".to_string(), vec!["iso27001:A.8.13".to_string()]),
            (
                "old".to_string(),
                vec!["iso27001:A.5.15".to_string(), "iso27001:A.8.5".to_string()]
            ),
        ]
    );
}
