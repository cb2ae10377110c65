//! What survives a restart and a crash.

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::harness::{Client, Server, asset_request, organisation};

#[tokio::test]
async fn a_restart_on_the_same_directory_finds_everything() {
    let server = Server::disk();
    let (maria, _bob, _dana) = organisation(&server, "acme").await;
    let a = maria
        .assets()
        .create_asset(maria.req(asset_request("Backup drive", "storage-media", "bob")))
        .await
        .unwrap()
        .into_inner();
    maria
        .classification()
        .classify_asset(maria.req(pb::ClassifyAssetRequest {
            asset_id: a.id.clone(),
            expected_revision: 1,
            level: "confidential".into(),
            reason: "backups".into(),
        }))
        .await
        .unwrap();
    let token = maria.token().to_string();

    let server = server.restart();
    // The same token still works: tokens, users and assets are on disk.
    let maria = server.client(&token, "").await;
    let got = maria
        .assets()
        .get_asset(maria.req(pb::GetAssetRequest { id: a.id.clone() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.name, "Backup drive");
    assert_eq!(got.classification.unwrap().level, "confidential");
    assert_eq!(got.revision, 2);
    let verify = maria.chain().await;
    assert!(verify.intact);
    // No second operator was bootstrapped.
    let op = server.operator().await;
    let orgs = op
        .orgs()
        .list_organisations(op.req(pb::ListOrganisationsRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(orgs.organisations.len(), 1);
}

#[tokio::test]
async fn every_acknowledged_write_survives_sigkill() {
    let server = Server::disk();
    let (maria, _bob, _dana) = organisation(&server, "acme").await;
    let token = maria.token().to_string();

    // 8 writers create assets as fast as they can; the server is killed mid-burst.
    let (ack_tx, mut ack_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut writers = Vec::new();
    for w in 0..8 {
        let c: Client = maria.clone();
        let ack = ack_tx.clone();
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                match c
                    .assets()
                    .create_asset(c.req(asset_request(&format!("w{w}-{i}"), "email", "maria")))
                    .await
                {
                    Ok(r) => {
                        let _ = ack.send(r.into_inner().id);
                    }
                    Err(_) => return,
                }
            }
        }));
    }
    drop(ack_tx);
    // Let the burst run until a good number of writes were acknowledged, then kill.
    let mut acknowledged = Vec::new();
    while acknowledged.len() < 150 {
        acknowledged.push(ack_rx.recv().await.expect("writers run"));
    }
    let (db, dir) = server.kill();
    for w in writers {
        w.await.unwrap();
    }
    while let Ok(id) = ack_rx.try_recv() {
        acknowledged.push(id);
    }

    let server = Server::start_on(db, dir);
    let maria = server.client(&token, "").await;
    for id in &acknowledged {
        let r = maria
            .assets()
            .get_asset(maria.req(pb::GetAssetRequest { id: id.clone() }))
            .await;
        match r {
            Ok(_) => {}
            Err(e) if e.code() == Code::NotFound => {
                panic!("acknowledged asset {id} was lost in the crash")
            }
            Err(e) => panic!("{e}"),
        }
    }
    // The chain is whole after the crash: a commit is all or nothing.
    let verify = maria.chain().await;
    assert!(verify.intact, "{}", verify.reason);
    assert!(verify.verified_events as usize >= acknowledged.len());
}
