//! Frameworks over gRPC: installing the shipped ISO/IEC 27001 pack, its check naming real gaps
//! that close when the organisation's work changes, the requirement tree and mappings, the 2013
//! migration, an upgrade with a renumbered and a removed requirement that keeps every other
//! link, and imports of OSCAL and CISO Assistant content.

use std::path::{Path, PathBuf};

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::harness::{Client, Server, add_user, organisation, policies, step};

fn reference(file: &str) -> Vec<u8> {
    let dir = std::env::var_os("RAMPART_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference"));
    std::fs::read(dir.join(file)).unwrap_or_else(|e| {
        panic!("{file}: {e} (the reference files; set RAMPART_REFERENCE to their directory)")
    })
}

fn document(id: &str, title: &str, kind: &str, requirements: &[&str]) -> pb::CreateDocumentRequest {
    pb::CreateDocumentRequest {
        id: id.into(),
        fields: Some(pb::DocumentFields {
            kind: kind.into(),
            title: title.into(),
            owner: "maria".into(),
            classification: "internal".into(),
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            reviewers: vec![],
            approvers: vec!["carl".into()],
            quorum: 1,
            distribution: Some(pb::Distribution {
                roles: vec!["employee".into()],
                ..Default::default()
            }),
            review_period_months: 12,
            retention: None,
        }),
        content: format!("# {title}\n"),
        change_note: String::new(),
    }
}

async fn create(c: &Client, req: pb::CreateDocumentRequest) -> pb::Document {
    c.documents()
        .create_document(c.req(req))
        .await
        .unwrap()
        .into_inner()
}

async fn check(c: &Client, framework: &str) -> pb::Readiness {
    c.frameworks()
        .check_framework(c.req(pb::CheckFrameworkRequest {
            framework: framework.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

fn finding<'a>(r: &'a pb::Readiness, requirement: &str) -> &'a pb::Finding {
    r.findings
        .iter()
        .find(|f| f.requirement == requirement)
        .unwrap_or_else(|| panic!("no finding for {requirement}"))
}

async fn install(c: &Client, framework: &str) -> Result<pb::Framework, tonic::Status> {
    c.frameworks()
        .install_framework(c.req(pb::InstallFrameworkRequest {
            framework: framework.into(),
            ..Default::default()
        }))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn iso27001_is_installed_and_checked_and_a_fixed_gap_disappears() {
    let server = Server::with_plugins();
    let (maria, bob, _dana) = organisation(&server, "acme").await;
    let carl = add_user(&server, "acme", "carl", &["top-management"], "Board", "CEO").await;

    let list = maria
        .frameworks()
        .list_frameworks(maria.req(pb::ListFrameworksRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let iso = list
        .frameworks
        .iter()
        .find(|f| f.id == "iso27001-2022")
        .unwrap();
    assert!(!iso.installed);
    assert_eq!((iso.requirements, iso.controls), (45, 93));
    for id in ["iso22301-2019", "iso9001-2015"] {
        assert!(list.frameworks.iter().any(|f| f.id == id), "{id}");
    }

    // An employee may not install; the ISMS manager may, once.
    let e = install(&bob, "iso27001-2022").await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    let f = install(&maria, "iso27001-2022").await.unwrap();
    assert!(f.installed);
    assert_eq!(f.framework, "ISO/IEC 27001");
    let e = install(&maria, "iso27001-2022").await.unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);
    assert!(
        e.message().contains("rampart framework upgrade"),
        "{}",
        e.message()
    );
    let e = install(&maria, "no-such-pack").await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // Real gaps: no approved scope, no internal audit, Annex A applicability undecided.
    let before = check(&maria, "iso27001-2022").await;
    let scope = finding(&before, "4.3");
    assert_eq!(
        (scope.status.as_str(), scope.detail.as_str()),
        ("not-met", "no approved document: Scope of the ISMS (4.3)")
    );
    assert!(
        finding(&before, "9.2")
            .detail
            .contains("no internal audit completed yet")
    );
    assert!(
        finding(&before, "6.1.3")
            .detail
            .contains("93 Annex A controls is not decided")
    );

    // Approving and publishing the scope document closes the gap.
    let d = create(
        &maria,
        document(
            "isms-scope",
            "Scope of the ISMS",
            "policy",
            &["iso27001:4.3"],
        ),
    )
    .await;
    let d = maria
        .documents()
        .submit_document(maria.req(step("isms-scope", 1, d.revision)))
        .await
        .unwrap()
        .into_inner();
    // A draft in review is not an approved document yet.
    assert_eq!(
        finding(&check(&maria, "iso27001-2022").await, "4.3").status,
        "not-met"
    );
    let d = carl
        .documents()
        .approve_document(carl.req(step("isms-scope", 1, d.revision)))
        .await
        .unwrap()
        .into_inner();
    maria
        .documents()
        .publish_document(maria.req(step("isms-scope", 1, d.revision)))
        .await
        .unwrap();
    let after = check(&maria, "iso27001-2022").await;
    let scope = finding(&after, "4.3");
    assert_eq!(
        (scope.status.as_str(), scope.detail.as_str()),
        ("met", "Scope of the ISMS approved")
    );
    assert_eq!(after.met, before.met + 1);
    assert!(after.percent > before.percent);

    // The tree shows the status and the document; controls hang under their theme.
    let tree = maria
        .frameworks()
        .get_requirement_tree(maria.req(pb::GetRequirementTreeRequest {
            framework: "iso27001-2022".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tree.nodes.len(), 45 + 93);
    let node = |id: &str| tree.nodes.iter().find(|n| n.id == id).unwrap();
    assert_eq!(node("4.3").status, "met");
    assert_eq!(node("4.3").documents, ["isms-scope"]);
    assert_eq!(node("4.3").parent, "4");
    assert_eq!(
        (node("A.5.30").kind.as_str(), node("A.5.30").parent.as_str()),
        ("control", "A.5")
    );

    // What else does A.5.30 satisfy?
    let m = maria
        .frameworks()
        .list_mappings(maria.req(pb::ListMappingsRequest {
            framework: "iso27001-2022".into(),
            requirement: "A.5.30".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        m.mappings
            .iter()
            .any(|m| m.target_framework == "iso22301-2019"
                && m.target == "8.3"
                && m.target_title == "Business continuity strategies and solutions"),
        "{:?}",
        m.mappings
    );
    let e = maria
        .frameworks()
        .list_mappings(maria.req(pb::ListMappingsRequest {
            framework: "iso27001-2022".into(),
            requirement: "A.99".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // 2013 work moves to 2022: a dry run first, then applied.
    create(
        &maria,
        document(
            "backup",
            "Backup procedure",
            "procedure",
            &["iso27001:A.12.3.1", "iso27001:5.2"],
        ),
    )
    .await;
    let migrate = |apply: bool| pb::MigrateAnnexA2013Request {
        apply,
        ..Default::default()
    };
    let dry = maria
        .frameworks()
        .migrate_annex_a2013(maria.req(migrate(false)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dry.documents_changed, 1);
    assert!(!dry.applied);
    assert_eq!(dry.moved[0].to, ["iso27001:A.8.13"]);
    assert_eq!(
        maria.document("backup").await.requirements,
        ["iso27001:A.12.3.1", "iso27001:5.2"]
    );
    let done = maria
        .frameworks()
        .migrate_annex_a2013(maria.req(migrate(true)))
        .await
        .unwrap()
        .into_inner();
    assert!(done.applied);
    assert_eq!(
        maria.document("backup").await.requirements,
        ["iso27001:A.8.13", "iso27001:5.2"]
    );
}

fn handbook_manifest(version: &str) -> String {
    format!(
        "id = \"handbook\"\nname = \"Handbook\"\nversion = \"{version}\"\nkind = \"framework-pack\"\nruntime = \"catalog\"\nentry = \"catalog.json\"\ncontract = \"1.1.0\"\n"
    )
}

fn handbook(requirements: &[(&str, &str)]) -> Vec<pb::PluginFile> {
    let catalog = serde_json::json!({
        "framework": "Handbook",
        "version": "1",
        "requirements": requirements
            .iter()
            .map(|(id, title)| serde_json::json!({"id": id, "title": title}))
            .collect::<Vec<_>>(),
    });
    vec![pb::PluginFile {
        path: "catalog.json".into(),
        content: serde_json::to_vec(&catalog).unwrap(),
    }]
}

async fn install_pack(op: &Client, version: &str, requirements: &[(&str, &str)]) {
    op.plugins()
        .install_plugin(op.req(pb::InstallPluginRequest {
            manifest: handbook_manifest(version),
            files: handbook(requirements),
        }))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_upgrade_keeps_every_link_and_asks_about_a_renumbered_and_a_removed_requirement() {
    let server = Server::with_plugins();
    let (maria, _bob, _dana) = organisation(&server, "acme").await;
    add_user(&server, "acme", "carl", &["top-management"], "Board", "CEO").await;
    let op = server.operator().await;
    install_pack(
        &op,
        "1.0.0",
        &[("R1", "Scope"), ("R2", "Backup"), ("R3", "Fax machines")],
    )
    .await;
    install(&maria, "handbook").await.unwrap();
    create(&maria, document("d1", "Scope", "policy", &["handbook:R1"])).await;
    create(
        &maria,
        document("d2", "Backup", "procedure", &["handbook:R2"]),
    )
    .await;
    create(
        &maria,
        document(
            "d3",
            "Fax",
            "procedure",
            &["handbook:R3", "handbook:R1", "iso27001:5.2"],
        ),
    )
    .await;
    let d1_before = maria.document("d1").await;

    // Version 2: R2 renumbered to R2b, R3 removed, R4 added.
    install_pack(
        &op,
        "2.0.0",
        &[
            ("R1", "Scope"),
            ("R2b", "Backup"),
            ("R4", "Threat intelligence"),
        ],
    )
    .await;
    let list = maria
        .frameworks()
        .list_frameworks(maria.req(pb::ListFrameworksRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let h = list.frameworks.iter().find(|f| f.id == "handbook").unwrap();
    assert!(h.upgrade_available);
    assert_eq!(
        (
            h.installed_pack_version.as_str(),
            h.available_pack_version.as_str()
        ),
        ("1.0.0", "2.0.0")
    );

    let plan = maria
        .frameworks()
        .plan_framework_upgrade(maria.req(pb::PlanFrameworkUpgradeRequest {
            framework: "handbook".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.kept, 1);
    assert_eq!(plan.added, ["R4"]);
    assert_eq!(plan.needs_decision, ["R2", "R3"]);
    let r2 = &plan.affected[0];
    assert_eq!(
        (r2.requirement.as_str(), r2.renumbered_to.as_str()),
        ("R2", "R2b")
    );
    assert_eq!(r2.documents[0].id, "d2");
    let r3 = &plan.affected[1];
    assert_eq!(
        (r3.requirement.as_str(), r3.renumbered_to.as_str()),
        ("R3", "")
    );
    assert_eq!(r3.documents[0].id, "d3");

    // Without a decision: refused, nothing changes.
    let upgrade = |decisions: Vec<pb::UpgradeDecision>| pb::UpgradeFrameworkRequest {
        framework: "handbook".into(),
        decisions,
        ..Default::default()
    };
    let e = maria
        .frameworks()
        .upgrade_framework(maria.req(upgrade(vec![])))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.message().contains("R2, R3"), "{}", e.message());
    assert_eq!(maria.document("d2").await.requirements, ["handbook:R2"]);
    // A move to a requirement the new catalogue lacks is refused too.
    let e = maria
        .frameworks()
        .upgrade_framework(maria.req(upgrade(vec![
            pb::UpgradeDecision {
                requirement: "R2".into(),
                move_to: "R9".into(),
                drop: false,
            },
            pb::UpgradeDecision {
                requirement: "R3".into(),
                move_to: String::new(),
                drop: true,
            },
        ])))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");

    let done = maria
        .frameworks()
        .upgrade_framework(maria.req(upgrade(vec![
            pb::UpgradeDecision {
                requirement: "R2".into(),
                move_to: "R2b".into(),
                drop: false,
            },
            pb::UpgradeDecision {
                requirement: "R3".into(),
                move_to: String::new(),
                drop: true,
            },
        ])))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (done.links_moved, done.links_dropped, done.documents_changed),
        (1, 1, 2)
    );
    // Every other link stays; d1 was not touched at all.
    let d1 = maria.document("d1").await;
    assert_eq!(d1.revision, d1_before.revision);
    assert_eq!(d1.requirements, ["handbook:R1"]);
    assert_eq!(maria.document("d2").await.requirements, ["handbook:R2b"]);
    assert_eq!(
        maria.document("d3").await.requirements,
        ["handbook:R1", "iso27001:5.2"]
    );
    // The organisation is now on version 2; the audit trail still verifies.
    let list = maria
        .frameworks()
        .list_frameworks(maria.req(pb::ListFrameworksRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let h = list.frameworks.iter().find(|f| f.id == "handbook").unwrap();
    assert!(!h.upgrade_available);
    assert_eq!(h.installed_pack_version, "2.0.0");
    let v = maria
        .audit()
        .verify_chain(maria.req(pb::VerifyChainRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(v.intact, "{v:?}");
}

#[tokio::test]
async fn oscal_and_ciso_assistant_content_is_imported_and_installed() {
    let server = Server::with_plugins();
    let (maria, _bob, _dana) = organisation(&server, "acme").await;
    let op = server.operator().await;
    let file = |name: &str, path: &str| pb::ImportFile {
        name: name.into(),
        content: reference(path),
    };
    let import = |files: Vec<pb::ImportFile>| pb::ImportFrameworkRequest {
        files,
        ..Default::default()
    };

    // Only operators change the server's catalogue.
    let e = maria
        .frameworks()
        .import_framework(maria.req(import(vec![file(
            "catalog.json",
            "oscal/NIST_SP-800-53_rev5_catalog.v5.0.x_2021-06-08.json",
        )])))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert!(!policies(&e).is_empty());

    let r = op
        .frameworks()
        .import_framework(op.req(import(vec![
            file(
                "moderate.json",
                "oscal/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json",
            ),
            file(
                "catalog.json",
                "oscal/NIST_SP-800-53_rev5_catalog.v5.0.x_2021-06-08.json",
            ),
        ])))
        .await
        .unwrap()
        .into_inner();
    let p = r.plugins[0].plugin.as_ref().unwrap();
    assert_eq!(
        (p.kind.as_str(), p.runtime.as_str()),
        ("framework-pack", "catalog")
    );
    assert!(
        r.plugins[0].summary.contains("287 controls selected"),
        "{}",
        r.plugins[0].summary
    );
    let f = install(&maria, &p.id).await.unwrap();
    assert_eq!(f.controls, 287);

    // The CISO Assistant ISO 27001 library, with the library it depends on.
    let r = op
        .frameworks()
        .import_framework(op.req(import(vec![
            file("iso27001-2022.yaml", "ciso-assistant/iso27001-2022.yaml"),
            file(
                "key-reference-controls.yaml",
                "ciso-assistant/key-reference-controls.yaml",
            ),
        ])))
        .await
        .unwrap()
        .into_inner();
    assert!(
        r.plugins[0].summary.contains(
            "116 reference controls (93 from the library itself, 23 through its dependencies)"
        ),
        "{}",
        r.plugins[0].summary
    );
    let f = install(&maria, "ciso-iso27001-2022").await.unwrap();
    assert_eq!((f.requirements, f.controls), (140, 116));
    let e = op
        .frameworks()
        .import_framework(op.req(import(vec![file(
            "iso27001-2022.yaml",
            "ciso-assistant/iso27001-2022.yaml",
        )])))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("urn:intuitem:risk:library:doc-pol"),
        "{}",
        e.message()
    );

    // The 5x5 matrix becomes a methodology that scores like the shipped one.
    let r = op
        .frameworks()
        .import_framework(op.req(import(vec![file(
            "matrix.yaml",
            "ciso-assistant/risk-matrix-5x5-iso-27005.yaml",
        )])))
        .await
        .unwrap()
        .into_inner();
    let id = r.plugins[0].plugin.as_ref().unwrap().id.clone();
    for method in [id.as_str(), "risk-iso27005"] {
        let a = maria
            .plugins()
            .assess(maria.req(pb::AssessRequest {
                plugin_id: method.into(),
                inputs: vec![
                    pb::Input {
                        name: "likelihood".into(),
                        value: Some(pb::input::Value::Number(4.0)),
                    },
                    pb::Input {
                        name: "impact".into(),
                        value: Some(pb::input::Value::Number(3.0)),
                    },
                ],
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (a.level.as_str(), a.acceptable),
            ("high", false),
            "{method}"
        );
    }

    // A broken file is refused with its position, and nothing is installed.
    let before = op
        .plugins()
        .list_plugins(op.req(pb::ListPluginsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .plugins
        .len();
    let e = op
        .frameworks()
        .import_framework(op.req(import(vec![pb::ImportFile {
            name: "broken.json".into(),
            content: b"{\n \"catalog\": {\n  \"metadata\": {\"title\": 3}\n".to_vec(),
        }])))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("broken.json: line 3"),
        "{}",
        e.message()
    );
    let after = op
        .plugins()
        .list_plugins(op.req(pb::ListPluginsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .plugins
        .len();
    assert_eq!(before, after);
}
