//! The asset register and the four-step classification process over gRPC.

use std::collections::HashMap;

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::harness::{Server, asset_request, organisation};

async fn inventory_to_handling(server: &Server) {
    let (maria, bob, _dana) = organisation(server, "acme").await;

    // Step 1: inventory.
    let payroll = maria
        .assets()
        .create_asset(maria.req(asset_request("Payroll files", "paper-document", "bob")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payroll.revision, 1);
    assert_eq!(payroll.lifecycle, "in-use");
    assert!(payroll.classification.is_none());
    let crm = maria
        .assets()
        .create_asset(maria.req(asset_request("CRM", "information-system", "maria")))
        .await
        .unwrap()
        .into_inner();
    let _mail = maria
        .assets()
        .create_asset(maria.req(asset_request("Support mailbox", "email", "bob")))
        .await
        .unwrap()
        .into_inner();

    // Step 2: classification, by the owner, with who/when/why.
    let classified = bob
        .classification()
        .classify_asset(bob.req(pb::ClassifyAssetRequest {
            asset_id: payroll.id.clone(),
            expected_revision: 1,
            level: "restricted".into(),
            reason: "salaries".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let c = classified.classification.clone().unwrap();
    assert_eq!(
        (c.level.as_str(), c.level_name.as_str(), c.rank),
        ("restricted", "Restricted", 2)
    );
    assert_eq!(c.classified_by, "user:bob");
    assert_eq!(c.reason, "salaries");
    assert_eq!(classified.revision, 2);

    // Reclassify; history keeps both.
    let reclassified = bob
        .classification()
        .classify_asset(bob.req(pb::ClassifyAssetRequest {
            asset_id: payroll.id.clone(),
            expected_revision: 2,
            level: "confidential".into(),
            reason: "includes bank details".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reclassified.classification.unwrap().level, "confidential");
    let history = bob
        .classification()
        .get_classification_history(bob.req(pb::GetClassificationHistoryRequest {
            asset_id: payroll.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner()
        .records;
    let moves: Vec<(&str, &str)> = history
        .iter()
        .map(|r| (r.previous_level.as_str(), r.level.as_str()))
        .collect();
    assert_eq!(
        moves,
        vec![("", "restricted"), ("restricted", "confidential")]
    );

    // Editing a classified asset's register entry keeps and reports its classification.
    let moved = bob
        .assets()
        .update_asset(bob.req(pb::UpdateAssetRequest {
            id: payroll.id.clone(),
            expected_revision: 3,
            name: payroll.name.clone(),
            asset_type: payroll.asset_type.clone(),
            owner: payroll.owner.clone(),
            location: "Finance safe".into(),
            description: String::new(),
            cia: payroll.cia,
            lifecycle: payroll.lifecycle.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    let c = moved.classification.unwrap();
    assert_eq!(
        (c.level_name.as_str(), c.rank, moved.location.as_str()),
        ("Confidential", 3, "Finance safe")
    );

    maria
        .classification()
        .classify_asset(maria.req(pb::ClassifyAssetRequest {
            asset_id: crm.id.clone(),
            expected_revision: 1,
            level: "restricted".into(),
            reason: "customer contacts".into(),
        }))
        .await
        .unwrap();

    // List and filter.
    let list = |owner: &str, t: &str, level: &str| pb::ListAssetsRequest {
        owner: owner.into(),
        asset_type: t.into(),
        level: level.into(),
        ..Default::default()
    };
    let names =
        |r: pb::ListAssetsResponse| r.assets.into_iter().map(|a| a.name).collect::<Vec<_>>();
    let all = maria
        .assets()
        .list_assets(maria.req(list("", "", "")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(all), vec!["Payroll files", "CRM", "Support mailbox"]);
    let bobs = maria
        .assets()
        .list_assets(maria.req(list("bob", "", "")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(bobs), vec!["Payroll files", "Support mailbox"]);
    let paper = maria
        .assets()
        .list_assets(maria.req(list("", "paper-document", "")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(paper), vec!["Payroll files"]);
    let restricted = maria
        .assets()
        .list_assets(maria.req(list("", "", "restricted")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(restricted), vec!["CRM"]);
    let unclassified = maria
        .assets()
        .list_assets(maria.req(list("", "", "unclassified")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(unclassified), vec!["Support mailbox"]);

    // Steps 3 and 4 need rules: give the scheme labeling and handling rules.
    let mut scheme = maria
        .classification()
        .get_scheme(maria.req(pb::GetSchemeRequest {}))
        .await
        .unwrap()
        .into_inner();
    scheme.labeling_rules.push(pb::LabelingRule {
        asset_type: "paper-document".into(),
        label: "{LEVEL} — {organisation}".into(),
        placement: vec![
            "top-right corner of every page".into(),
            "the envelope".into(),
        ],
    });
    scheme.handling_rules.push(pb::HandlingRule {
        level: "confidential".into(),
        asset_type: "paper-document".into(),
        storage: "locked cabinet".into(),
        transfer_inside: "closed envelope".into(),
        transfer_outside: "closed envelope, return receipt".into(),
        disposal: "cross-cut shredder".into(),
    });
    let revision = scheme.revision;
    maria
        .classification()
        .set_scheme(maria.req(pb::SetSchemeRequest {
            expected_revision: revision,
            scheme: Some(scheme),
            ..Default::default()
        }))
        .await
        .unwrap();
    let label = bob
        .classification()
        .get_label(bob.req(pb::GetLabelRequest {
            asset_id: payroll.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(label.text, "CONFIDENTIAL — acme Ltd");
    assert_eq!(
        label.placement,
        vec!["top-right corner of every page", "the envelope"]
    );
    let handling = bob
        .classification()
        .get_handling_rules(bob.req(pb::GetHandlingRulesRequest {
            asset_id: payroll.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(handling.rule.unwrap().storage, "locked cabinet");
    // No cell in the matrix for restricted information systems: the answer says so.
    let none = bob
        .classification()
        .get_handling_rules(bob.req(pb::GetHandlingRulesRequest {
            asset_id: crm.id.clone(),
        }))
        .await
        .unwrap();
    assert!(none.into_inner().rule.is_none());
}

#[tokio::test]
async fn inventory_to_handling_in_memory() {
    inventory_to_handling(&Server::memory()).await;
}

#[tokio::test]
async fn inventory_to_handling_on_disk() {
    inventory_to_handling(&Server::disk()).await;
}

#[tokio::test]
async fn errors_say_what_is_wrong() {
    let server = Server::memory();
    let (maria, bob, dana) = organisation(&server, "acme").await;

    // UNAUTHENTICATED: no token, a bad token.
    let anonymous = server.client("", "").await;
    let e = anonymous
        .assets()
        .list_assets(anonymous.req(pb::ListAssetsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    let forged = server
        .client(
            "rmp_0000000000000000000000000000000000000000000000000000000000000000",
            "",
        )
        .await;
    let e = forged
        .assets()
        .list_assets(forged.req(pb::ListAssetsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);

    // INVALID_ARGUMENT names the field.
    let mut bad = asset_request("", "email", "bob");
    let e = maria
        .assets()
        .create_asset(maria.req(bad.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(e.metadata().get("x-rampart-field").unwrap(), "name");
    assert!(e.message().starts_with("name:"), "{}", e.message());
    bad.name = "Laptop".into();
    bad.owner = "nobody".into();
    let e = maria
        .assets()
        .create_asset(maria.req(bad.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.metadata().get("x-rampart-field").unwrap(), "owner");
    bad.owner = "bob".into();
    bad.asset_type = "carrier-pigeon".into();
    let e = maria
        .assets()
        .create_asset(maria.req(bad.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.metadata().get("x-rampart-field").unwrap(), "asset_type");
    bad.asset_type = "email".into();
    bad.cia = Some(pb::Cia {
        confidentiality: 9,
        integrity: 0,
        availability: 0,
    });
    let e = maria
        .assets()
        .create_asset(maria.req(bad.clone()))
        .await
        .unwrap_err();
    assert_eq!(
        e.metadata().get("x-rampart-field").unwrap(),
        "confidentiality"
    );

    // NOT_FOUND.
    let e = maria
        .assets()
        .get_asset(maria.req(pb::GetAssetRequest {
            id: "0197nothere".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // ABORTED for a stale revision; nothing changes.
    let a = maria
        .assets()
        .create_asset(maria.req(asset_request("Laptop", "storage-media", "bob")))
        .await
        .unwrap()
        .into_inner();
    let update = |rev: u64, name: &str| pb::UpdateAssetRequest {
        id: a.id.clone(),
        expected_revision: rev,
        name: name.into(),
        asset_type: a.asset_type.clone(),
        owner: a.owner.clone(),
        location: a.location.clone(),
        description: String::new(),
        cia: a.cia,
        lifecycle: a.lifecycle.clone(),
    };
    bob.assets()
        .update_asset(bob.req(update(1, "Laptop 1")))
        .await
        .unwrap();
    let e = bob
        .assets()
        .update_asset(bob.req(update(1, "Laptop 2")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Aborted, "{}", e.message());
    let now = bob
        .assets()
        .get_asset(bob.req(pb::GetAssetRequest { id: a.id.clone() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((now.name.as_str(), now.revision), ("Laptop 1", 2));

    // PERMISSION_DENIED: the auditor reads but changes nothing; the reason names the policy.
    let e = dana
        .assets()
        .update_asset(dana.req(update(2, "Mine")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert!(
        e.message().contains("forbidden by auditors-change-nothing"),
        "{}",
        e.message()
    );
    dana.assets()
        .get_asset(dana.req(pb::GetAssetRequest { id: a.id.clone() }))
        .await
        .unwrap();

    // An illegal lifecycle move.
    let mut dispose = update(2, "Laptop 1");
    dispose.lifecycle = "disposed".into();
    bob.assets().update_asset(bob.req(dispose)).await.unwrap();
    let mut back = update(3, "Laptop 1");
    back.lifecycle = "in-use".into();
    let e = bob.assets().update_asset(bob.req(back)).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("allowed next: none"),
        "{}",
        e.message()
    );

    // Classifying at a level the scheme lacks names the field; a missing reason too.
    let b = maria
        .assets()
        .create_asset(maria.req(asset_request("Mailbox", "email", "maria")))
        .await
        .unwrap()
        .into_inner();
    let classify = |level: &str, reason: &str| pb::ClassifyAssetRequest {
        asset_id: b.id.clone(),
        expected_revision: 1,
        level: level.into(),
        reason: reason.into(),
    };
    let e = maria
        .classification()
        .classify_asset(maria.req(classify("top-secret", "x")))
        .await
        .unwrap_err();
    assert_eq!(e.metadata().get("x-rampart-field").unwrap(), "level");
    let e = maria
        .classification()
        .classify_asset(maria.req(classify("internal", " ")))
        .await
        .unwrap_err();
    assert_eq!(e.metadata().get("x-rampart-field").unwrap(), "reason");
    // Label of an unclassified asset: FAILED_PRECONDITION telling what to do.
    let e = maria
        .classification()
        .get_label(maria.req(pb::GetLabelRequest {
            asset_id: b.id.clone(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.message().contains("classify it first"));
}

#[tokio::test]
async fn dropping_a_level_in_use_needs_a_mapping_and_reclassifies_with_history() {
    let server = Server::memory();
    let (maria, _bob, _dana) = organisation(&server, "acme").await;
    let mut ids = Vec::new();
    for (name, level) in [("A", "restricted"), ("B", "restricted"), ("C", "public")] {
        let a = maria
            .assets()
            .create_asset(maria.req(asset_request(name, "email", "maria")))
            .await
            .unwrap()
            .into_inner();
        maria
            .classification()
            .classify_asset(maria.req(pb::ClassifyAssetRequest {
                asset_id: a.id.clone(),
                expected_revision: 1,
                level: level.into(),
                reason: "initial".into(),
            }))
            .await
            .unwrap();
        ids.push(a.id);
    }
    let scheme = maria
        .classification()
        .get_scheme(maria.req(pb::GetSchemeRequest {}))
        .await
        .unwrap()
        .into_inner();

    // NATO scheme without a mapping: refused, naming the levels in use; nothing changes.
    let e = maria
        .classification()
        .set_scheme(maria.req(pb::SetSchemeRequest {
            expected_revision: scheme.revision,
            template: "nato".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("public, restricted"),
        "{}",
        e.message()
    );
    let same = maria
        .classification()
        .get_scheme(maria.req(pb::GetSchemeRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(same.revision, scheme.revision);

    let mapping: HashMap<String, String> = [
        ("restricted".to_string(), "nato-restricted".to_string()),
        ("public".to_string(), "public-releasable".to_string()),
    ]
    .into();
    let r = maria
        .classification()
        .set_scheme(maria.req(pb::SetSchemeRequest {
            expected_revision: scheme.revision,
            template: "nato".into(),
            level_mapping: mapping,
            reason: "we now work for NATO".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.reclassified_assets, 3);
    assert_eq!(r.scheme.unwrap().levels.len(), 6);
    let a = maria
        .assets()
        .get_asset(maria.req(pb::GetAssetRequest { id: ids[0].clone() }))
        .await
        .unwrap()
        .into_inner();
    let c = a.classification.unwrap();
    assert_eq!(
        (c.level.as_str(), c.level_name.as_str()),
        ("nato-restricted", "NATO Restricted")
    );
    let history = maria
        .classification()
        .get_classification_history(maria.req(pb::GetClassificationHistoryRequest {
            asset_id: ids[0].clone(),
        }))
        .await
        .unwrap()
        .into_inner()
        .records;
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].previous_level, "restricted");
    assert!(history[1].reason.contains("we now work for NATO"));
}

#[tokio::test]
async fn concurrent_updates_are_applied_or_aborted_never_lost() {
    let server = Server::disk();
    let (maria, _bob, _dana) = organisation(&server, "acme").await;
    let a = maria
        .assets()
        .create_asset(maria.req(asset_request("Shared", "email", "maria")))
        .await
        .unwrap()
        .into_inner();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let c = maria.clone();
        let a = a.clone();
        tasks.push(tokio::spawn(async move {
            let req = pb::UpdateAssetRequest {
                id: a.id.clone(),
                expected_revision: 1,
                name: format!("writer {i}"),
                asset_type: a.asset_type.clone(),
                owner: a.owner.clone(),
                location: a.location.clone(),
                description: String::new(),
                cia: a.cia,
                lifecycle: a.lifecycle.clone(),
            };
            c.assets()
                .update_asset(c.req(req))
                .await
                .map(|r| r.into_inner().name)
        }));
    }
    let mut applied = Vec::new();
    let mut aborted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(name) => applied.push(name),
            Err(e) => {
                assert_eq!(e.code(), Code::Aborted, "{}", e.message());
                aborted += 1;
            }
        }
    }
    // All 50 named revision 1: exactly one can win, and what it wrote is what is stored.
    assert_eq!(applied.len(), 1, "applied: {applied:?}");
    assert_eq!(aborted, 49);
    let now = maria
        .assets()
        .get_asset(maria.req(pb::GetAssetRequest { id: a.id.clone() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now.revision, 2);
    assert_eq!(now.name, applied[0]);

    // Writers that re-read and retry all get through, one revision each.
    let mut tasks = Vec::new();
    for i in 0..50 {
        let c = maria.clone();
        let id = a.id.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let cur = c
                    .assets()
                    .get_asset(c.req(pb::GetAssetRequest { id: id.clone() }))
                    .await
                    .unwrap()
                    .into_inner();
                let req = pb::UpdateAssetRequest {
                    id: id.clone(),
                    expected_revision: cur.revision,
                    name: cur.name.clone(),
                    asset_type: cur.asset_type.clone(),
                    owner: cur.owner.clone(),
                    location: format!("{} {i}", cur.location),
                    description: String::new(),
                    cia: cur.cia,
                    lifecycle: cur.lifecycle.clone(),
                };
                match c.assets().update_asset(c.req(req)).await {
                    Ok(_) => return,
                    Err(e) if e.code() == Code::Aborted => continue,
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let now = maria
        .assets()
        .get_asset(maria.req(pb::GetAssetRequest { id: a.id.clone() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now.revision, 52);
    // Every writer's mark is in the location: no update overwrote another.
    for i in 0..50 {
        assert!(
            now.location.split(' ').any(|w| w == i.to_string()),
            "writer {i} lost: {}",
            now.location
        );
    }
}

#[tokio::test]
async fn paging_walks_every_asset_once() {
    let server = Server::memory();
    let (maria, _bob, _dana) = organisation(&server, "acme").await;
    for i in 0..25 {
        maria
            .assets()
            .create_asset(maria.req(asset_request(&format!("Asset {i:02}"), "email", "maria")))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let r = maria
            .assets()
            .list_assets(maria.req(pb::ListAssetsRequest {
                page_size: 10,
                page_token: token,
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(!r.assets.is_empty(), "no empty pages");
        seen.extend(r.assets.into_iter().map(|a| a.name));
        if r.next_page_token.is_empty() {
            break;
        }
        token = r.next_page_token;
    }
    let expected: Vec<String> = (0..25).map(|i| format!("Asset {i:02}")).collect();
    assert_eq!(seen, expected);
}
