//! The risk register as stored: assessments appended beside each risk's record, a batch all or
//! nothing with one audit event that a risk's history finds, the revision and the acceptance
//! derived from what is stored, and migration 10 moving the assessments out of older records.

use crate::common::open_in;
use rampart_domain::risk::{Assessment, Risk, RiskFields, Treatment, TreatmentOption};
use rampart_store::risks::{self, Appended};
use rampart_store::{Change, Database, Store, StoreError, StoreOptions};

async fn database() -> Database {
    let store = Store::open(&StoreOptions {
        url: "mem://".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    store.organisation("acme").await.unwrap()
}

fn risk(id: &str) -> Risk {
    Risk::new(
        id.into(),
        RiskFields {
            title: format!("risk {id}"),
            description: String::new(),
            assets: vec!["file-server".into()],
            threat: "ransomware".into(),
            vulnerability: String::new(),
            owner: "user:olivia".into(),
        },
        "2026-11-01T00:00:00.000000Z",
    )
}

fn assessment(level: &str, acceptable: bool, at: &str) -> Assessment {
    Assessment {
        methodology: "risk-iso27005".into(),
        methodology_version: "1.0.0".into(),
        digest: "sha256:test".into(),
        inputs: vec![],
        score: 6.0,
        level: level.into(),
        acceptable,
        explanation: "likelihood 2 × impact 3".into(),
        at: at.into(),
        by: "user:olivia".into(),
        note: "assessed".into(),
    }
}

async fn seed(db: &Database, ids: &[&str]) {
    let mut change = Change::new();
    for (i, id) in ids.iter().enumerate() {
        risks::create(
            &mut change,
            &format!("c{i}"),
            "user:test",
            "risk.create",
            &risk(id),
        );
    }
    db.commit(change).await.unwrap();
}

async fn append(
    db: &Database,
    entity: &str,
    items: &[(&str, bool, u64, &Assessment)],
) -> Result<usize, StoreError> {
    let appended: Vec<Appended<'_>> = items
        .iter()
        .map(|(risk, residual, number, assessment)| Appended {
            risk,
            residual: *residual,
            number: *number,
            assessment,
        })
        .collect();
    let mut change = Change::new();
    risks::append(
        &mut change,
        "b",
        "user:test",
        "risk.assess",
        entity,
        &appended,
    );
    db.commit(change)
        .await
        .map(|events| events.len())
        .map_err(risks::appended_conflict)
}

#[tokio::test]
async fn a_batch_appends_every_assessment_with_one_event_or_nothing() {
    let db = database().await;
    seed(&db, &["r-1", "r.2", "R3"]).await;
    let high = assessment("high", false, "2026-11-02T00:00:00.000000Z");
    let low = assessment("low", true, "2026-11-03T00:00:00.000000Z");

    let events = append(
        &db,
        "risk_batch:one",
        &[
            ("r-1", false, 1, &high),
            ("r.2", false, 1, &high),
            ("R3", false, 1, &high),
            ("R3", false, 2, &low),
        ],
    )
    .await
    .unwrap();
    assert_eq!(events, 1, "one audit event for the batch");
    let all = risks::all(&db).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["R3", "r-1", "r.2"], "key order");
    assert_eq!(all[0].assessments, vec![high.clone(), low.clone()]);
    assert_eq!(all[0].revision, 3, "its record (1) and two assessments");
    assert_eq!(
        all[0].updated_at, low.at,
        "updated by its newest assessment"
    );
    assert_eq!(all[1].current(), Some(&high));
    assert_eq!(all[1].revision, 2);
    assert_eq!(
        risks::get(&db, "R3").await.unwrap().unwrap(),
        all[0],
        "one risk reads as the whole register does"
    );

    // r.2's place 2 is free but r-1's place 1 is taken: the whole batch is refused.
    let taken = append(
        &db,
        "risk_batch:two",
        &[("r.2", false, 2, &low), ("r-1", false, 1, &low)],
    )
    .await
    .unwrap_err();
    match &taken {
        StoreError::Conflict(m) => assert!(m.contains("risk r-1 was assessed"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(risks::all(&db).await.unwrap(), all, "nothing changed");

    // A risk's history in the audit trail finds the batch that assessed it.
    let history = rampart_store::audit::for_entity(&db, "risk:r-1", 100)
        .await
        .unwrap();
    let entities: Vec<&str> = history.iter().map(|e| e.entity.as_str()).collect();
    assert_eq!(entities, ["risk:r-1", "risk_batch:one"]);
    let chain = rampart_store::audit::verify(&db).await.unwrap();
    assert_eq!(
        (chain.verified, chain.broken),
        (4, None),
        "3 created, 1 batch"
    );

    // The batch's event commits to each record it appended as stored: recomputed from the
    // database, its state digest matches; altering one stored assessment breaks the match.
    let committed = || async {
        let mut res = db
            .surreal()
            .query(
                "SELECT risk, residual, number, data FROM risk_assessment \
                 WHERE batch = 'risk_batch:one'",
            )
            .await
            .unwrap();
        let mut rows: Vec<serde_json::Value> = res.take(0).unwrap();
        let place = |r: &serde_json::Value| {
            let risk = r["risk"].as_str().unwrap().to_string();
            (risk, r["residual"].as_bool(), r["number"].as_u64())
        };
        rows.sort_by_key(place);
        let appended: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "risk": r["risk"], "residual": r["residual"], "number": r["number"],
                    "data_sha256": rampart_domain::audit::sha256_hex(
                        r["data"].as_str().unwrap().as_bytes()),
                })
            })
            .collect();
        rampart_domain::audit::state_digest(&serde_json::json!({ "appended": appended }))
    };
    let event = &history[1];
    assert_eq!(committed().await, event.state_digest);
    db.surreal()
        .query("UPDATE risk_assessment:['r-1', 'a', 1] SET data = string::replace(data, 'high', 'low')")
        .await
        .unwrap()
        .check()
        .unwrap();
    assert_ne!(committed().await, event.state_digest);
}

#[tokio::test]
async fn a_record_change_keeps_the_assessments_and_a_newer_residual_lapses_the_acceptance() {
    let db = database().await;
    seed(&db, &["r1"]).await;
    let high = assessment("high", false, "2026-11-02T00:00:00.000000Z");
    let medium = assessment("medium", true, "2026-11-03T00:00:00.000000Z");
    append(
        &db,
        "risk:r1",
        &[("r1", false, 1, &high), ("r1", true, 1, &medium)],
    )
    .await
    .unwrap();
    let mut r = risks::get(&db, "r1").await.unwrap().unwrap();
    assert_eq!(r.revision, 3);
    r.set_treatment(Treatment {
        option: TreatmentOption::Mitigate,
        controls: vec!["iso27001:A.8.13".into()],
        plan: String::new(),
    })
    .unwrap();
    r.accept("user:olivia", "2026-11-04T00:00:00.000000Z", "")
        .unwrap();
    let read = r.revision;
    let mut change = Change::new();
    risks::replace(&mut change, "r", "user:test", "risk.accept", &r, read);
    db.commit(change).await.unwrap();
    let accepted = risks::get(&db, "r1").await.unwrap().unwrap();
    assert_eq!(accepted.revision, read + 1);
    assert_eq!(accepted.assessments, vec![high.clone()], "kept beside it");
    assert_eq!(accepted.residual, vec![medium.clone()]);
    assert_eq!(accepted.acceptance.as_ref().map(|a| a.residuals), Some(1));
    assert_eq!(
        risks::treated_controls(&db).await.unwrap(),
        vec![("r1".to_string(), vec!["iso27001:A.8.13".to_string()])]
    );

    // Replacing at the revision read before is refused.
    let mut change = Change::new();
    risks::replace(&mut change, "r", "user:test", "risk.update", &r, read);
    match db.commit(change).await.unwrap_err() {
        StoreError::Conflict(m) => assert!(m.contains("risk r1 was changed"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }

    // A new planned residual assessment, appended without rewriting the record, lapses it.
    let low = assessment("low", true, "2026-11-05T00:00:00.000000Z");
    append(&db, "risk:r1", &[("r1", true, 2, &low)])
        .await
        .unwrap();
    let lapsed = risks::get(&db, "r1").await.unwrap().unwrap();
    assert_eq!(lapsed.acceptance, None);
    assert_eq!(lapsed.residual, vec![medium, low]);
    assert_eq!(lapsed.revision, read + 2);
}

#[tokio::test]
async fn treated_controls_come_from_the_column_or_from_rows_written_before_it() {
    let db = database().await;
    // Written before migration 6: the controls only inside the state.
    db.surreal()
        .query(
            "CREATE risk:old CONTENT { title: 'old', owner: 'user:olivia', revision: 1, \
             data: '{\"id\":\"old\",\"treatment\":{\"option\":\"mitigate\",\"controls\":[\"iso27001:A.5.15\",\"iso27001:A.8.5\"]}}' }",
        )
        .await
        .unwrap()
        .check()
        .unwrap();
    seed(&db, &["untreated"]).await;
    let mut new = risk("new");
    new.set_treatment(Treatment {
        option: TreatmentOption::Mitigate,
        controls: vec!["iso27001:A.8.13".into()],
        plan: String::new(),
    })
    .unwrap();
    let mut change = Change::new();
    risks::create(&mut change, "n", "user:test", "risk.create", &new);
    db.commit(change).await.unwrap();
    assert_eq!(
        risks::treated_controls(&db).await.unwrap(),
        vec![
            ("new".to_string(), vec!["iso27001:A.8.13".to_string()]),
            (
                "old".to_string(),
                vec!["iso27001:A.5.15".to_string(), "iso27001:A.8.5".to_string()]
            ),
        ]
    );
}

#[tokio::test]
async fn migration_10_moves_the_assessments_out_of_the_risks_records() {
    let dir = tempfile::tempdir().unwrap();
    let high = assessment("high", false, "2026-11-02T00:00:00.000000Z");
    let medium = assessment("medium", true, "2026-11-03T00:00:00.000000Z");
    let low = assessment("low", true, "2026-11-04T00:00:00.000000Z");
    // A risk as schema 9 stored it: assessments and an acceptance inside its record.
    let mut before = risk("r1");
    before.assess(high.clone());
    before.assess(medium.clone());
    before.plan_residual(low.clone());
    before
        .accept("user:olivia", "2026-11-05T00:00:00.000000Z", "ok")
        .unwrap();
    before.revision = 5;
    let mut stored = serde_json::to_value(&before).unwrap();
    stored["acceptance"]
        .as_object_mut()
        .unwrap()
        .remove("residuals");
    {
        let store = open_in(&dir).await;
        let acme = store.organisation("acme").await.unwrap();
        acme.surreal()
            .query(
                "CREATE risk:r1 CONTENT { title: 'r1', owner: 'user:olivia', revision: 5, data: $data }; \
                 CREATE risk:r2 CONTENT { title: 'r2', owner: 'user:olivia', revision: 1, data: $bare }; \
                 UPDATE meta:schema SET version = 9;",
            )
            .bind(("data", stored.to_string()))
            .bind((
                "bare",
                serde_json::to_string(&risk("r2")).unwrap(),
            ))
            .await
            .unwrap()
            .check()
            .unwrap();
    }
    let store = open_in(&dir).await;
    let acme = store.organisation("acme").await.unwrap();
    let all = risks::all(&acme).await.unwrap();
    let r1 = &all[0];
    assert_eq!(r1.assessments, vec![high, medium]);
    assert_eq!(r1.residual, vec![low]);
    assert_eq!(
        r1.acceptance
            .as_ref()
            .map(|a| (a.note.as_str(), a.residuals)),
        Some(("ok", 1)),
        "the acceptance stands, of the one residual assessment it saw"
    );
    assert_eq!(
        r1.revision,
        5 + 3,
        "its record's revision and three assessments"
    );
    assert_eq!(all[1].assessments, vec![]);
    let mut res = acme
        .surreal()
        .query("SELECT VALUE data FROM risk:r1")
        .await
        .unwrap();
    let data: Vec<String> = res.take(0).unwrap();
    assert!(!data[0].contains("\"assessments\""), "{}", data[0]);
}

#[tokio::test]
async fn a_risk_created_with_assessments_keeps_them() {
    let db = database().await;
    let mut r = risk("r1");
    let high = assessment("high", false, "2026-11-02T00:00:00.000000Z");
    let low = assessment("low", true, "2026-11-03T00:00:00.000000Z");
    r.assess(high.clone());
    r.plan_residual(low.clone());
    let mut change = Change::new();
    risks::create(&mut change, "c", "user:test", "risk.create", &r);
    assert_eq!(
        db.commit(change).await.unwrap().len(),
        2,
        "the risk, its assessments"
    );
    let read = risks::get(&db, "r1").await.unwrap().unwrap();
    assert_eq!((read.assessments, read.residual), (vec![high], vec![low]));
    assert_eq!(read.revision, 3);
}
