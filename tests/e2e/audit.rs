//! The audit trail: every change recorded, hash-chained, verifiable, and watchable.

use std::time::Duration;

use rampart_proto::v1 as pb;
use tokio_stream::StreamExt;

use crate::harness::{Server, asset_request, organisation};

#[tokio::test]
async fn every_change_is_recorded_and_tampering_is_pinpointed() {
    let server = Server::disk();
    let (maria, _bob, dana) = organisation(&server, "acme").await;
    let a = maria
        .assets()
        .create_asset(maria.req(asset_request("Laptop", "storage-media", "bob")))
        .await
        .unwrap()
        .into_inner();
    maria
        .classification()
        .classify_asset(maria.req(pb::ClassifyAssetRequest {
            asset_id: a.id.clone(),
            expected_revision: 1,
            level: "internal".into(),
            reason: "ordinary".into(),
        }))
        .await
        .unwrap();

    // The auditor reads the trail: who did what to which entity.
    let events = dana
        .audit()
        .list_events(dana.req(pb::ListEventsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .events;
    let ops: Vec<&str> = events.iter().map(|e| e.operation.as_str()).collect();
    assert_eq!(
        ops,
        vec![
            "classification.scheme.set",
            "user.create",
            "user.create",
            "user.create",
            "asset.create",
            "asset.classify",
            "classification.record"
        ]
    );
    let create = &events[4];
    assert_eq!(create.actor, "user:maria");
    assert_eq!(create.entity, format!("asset:{}", a.id));
    assert_eq!(events[1].prev_hash, events[0].hash);
    let about = dana
        .audit()
        .list_events(dana.req(pb::ListEventsRequest {
            entity: format!("asset:{}", a.id),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(about.len(), 2);

    let verify = dana
        .audit()
        .verify_chain(dana.req(pb::VerifyChainRequest { system: false }))
        .await
        .unwrap()
        .into_inner();
    assert!(verify.intact, "{}", verify.reason);
    assert_eq!(verify.verified_events, 7);
    // The system trail (organisations, tokens) is the operators' to verify.
    let op = server.operator().await;
    let system = op
        .audit()
        .verify_chain(op.req(pb::VerifyChainRequest { system: true }))
        .await
        .unwrap()
        .into_inner();
    assert!(system.intact);
    assert!(system.verified_events >= 5);

    // Alter one stored event behind the server's back.
    let mut server = server;
    server.stop();
    {
        let store = rampart_store::Store::open(&rampart_store::StoreOptions {
            url: server.db.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        let db = store.organisation("acme").await.unwrap();
        db.surreal()
            .query("UPDATE audit_event:5 SET actor = 'user:mallory'")
            .await
            .unwrap()
            .check()
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let server = server.restart();
    let dana = server.client(dana_token(&server).await.as_str(), "").await;
    let verify = dana
        .audit()
        .verify_chain(dana.req(pb::VerifyChainRequest { system: false }))
        .await
        .unwrap()
        .into_inner();
    assert!(!verify.intact);
    assert_eq!(verify.broken_seq, 5);
    assert!(verify.reason.contains("altered"), "{}", verify.reason);
    assert_eq!(verify.verified_events, 4);
}

/// A fresh token for dana, through the operator (tokens survive restarts, but the test's
/// clients do not).
async fn dana_token(server: &Server) -> String {
    let op = server.operator().await.in_org("acme");
    op.tokens()
        .create_token(op.req(pb::CreateTokenRequest {
            user_id: "dana".into(),
            label: "again".into(),
            expires_at: String::new(),
        }))
        .await
        .unwrap()
        .into_inner()
        .secret
}

#[tokio::test]
async fn watch_streams_history_then_new_events() {
    let server = Server::memory();
    let (maria, _bob, dana) = organisation(&server, "acme").await;
    let mut stream = dana
        .audit()
        .watch(dana.req(pb::WatchRequest { after_seq: 0 }))
        .await
        .unwrap()
        .into_inner();
    // The backlog first (scheme + 3 users).
    for expected in 1..=4 {
        let e = stream.next().await.unwrap().unwrap();
        assert_eq!(e.seq, expected);
    }
    let a = maria
        .assets()
        .create_asset(maria.req(asset_request("New", "email", "maria")))
        .await
        .unwrap()
        .into_inner();
    let e = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("event arrives")
        .unwrap()
        .unwrap();
    assert_eq!(e.seq, 5);
    assert_eq!(e.operation, "asset.create");
    assert_eq!(e.entity, format!("asset:{}", a.id));
}
