//! Risk assessment and treatment over gRPC: 50 risks assessed with each shipped methodology (the
//! migrations between them keep every earlier assessment), the SoA derived from treatment and
//! requirements with every decision traced, approval freezing it and a later change marking it
//! outdated with the control named, acceptance above the criterion refused with the policy named,
//! and the treatment plan's roll-up.

use std::collections::BTreeSet;

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::harness::{
    Client, Server, add_user, asset_request, estimate, number, organisation, policies, text,
};

fn iso27005(likelihood: f64, impact: f64) -> Vec<pb::Input> {
    vec![number("likelihood", likelihood), number("impact", impact)]
}

async fn risk(c: &Client, id: &str) -> pb::Risk {
    c.risks()
        .get_risk(c.req(pb::GetRiskRequest {
            id: id.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

async fn create(c: &Client, id: &str, owner: &str, asset: &str) -> pb::Risk {
    c.risks()
        .create_risk(c.req(pb::CreateRiskRequest {
            id: id.into(),
            fields: Some(pb::RiskFields {
                title: format!("Risk {id}"),
                description: String::new(),
                assets: vec![asset.into()],
                threat: "iso27001-2022:G 0.39".into(),
                vulnerability: "V-no-offline-backup".into(),
                owner: owner.into(),
            }),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

async fn treat(
    c: &Client,
    id: &str,
    option: &str,
    controls: &[&str],
) -> Result<pb::Risk, tonic::Status> {
    let now = risk(c, id).await;
    c.risks()
        .treat_risk(c.req(pb::TreatRiskRequest {
            id: id.into(),
            expected_revision: now.revision,
            treatment: Some(pb::Treatment {
                option: option.into(),
                controls: controls.iter().map(|s| s.to_string()).collect(),
                plan: String::new(),
            }),
            ..Default::default()
        }))
        .await
        .map(|r| r.into_inner())
}

async fn assess(
    c: &Client,
    id: &str,
    inputs: Vec<pb::Input>,
    residual: bool,
) -> Result<pb::Risk, tonic::Status> {
    let now = risk(c, id).await;
    c.risks()
        .assess_risk(c.req(pb::AssessRiskRequest {
            id: id.into(),
            expected_revision: now.revision,
            inputs,
            residual,
            ..Default::default()
        }))
        .await
        .map(|r| r.into_inner())
}

async fn accept(c: &Client, id: &str) -> Result<pb::Risk, tonic::Status> {
    let now = risk(c, id).await;
    c.risks()
        .accept_risk(c.req(pb::AcceptRiskRequest {
            id: id.into(),
            expected_revision: now.revision,
            note: "reviewed".into(),
            ..Default::default()
        }))
        .await
        .map(|r| r.into_inner())
}

async fn soa(c: &Client) -> pb::StatementOfApplicability {
    c.risks()
        .get_statement_of_applicability(c.req(pb::GetStatementOfApplicabilityRequest {
            framework: "iso27001-2022".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

async fn setup(server: &Server) -> (Client, Client, Client, String) {
    let (maria, bob, _dana) = organisation(server, "acme").await;
    let carl = add_user(server, "acme", "carl", &["top-management"], "Board", "CEO").await;
    maria
        .frameworks()
        .install_framework(maria.req(pb::InstallFrameworkRequest {
            framework: "iso27001-2022".into(),
            ..Default::default()
        }))
        .await
        .unwrap();
    let asset = maria
        .assets()
        .create_asset(maria.req(asset_request("File server", "information-system", "maria")))
        .await
        .unwrap()
        .into_inner();
    (maria, bob, carl, asset.id)
}

#[tokio::test]
async fn fifty_risks_assessed_with_each_methodology_and_migrations_keep_the_old_results() {
    let server = Server::with_plugins();
    let (maria, _bob, _carl, asset) = setup(&server).await;
    let ids: Vec<String> = (0..50).map(|i| format!("r{i:02}")).collect();
    for id in &ids {
        create(&maria, id, "maria", &asset).await;
    }
    let settings = maria
        .risks()
        .get_risk_settings(maria.req(pb::GetRiskSettingsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(settings.methodology, "risk-iso27005");

    // ISO 27005 in one batch.
    let batch: Vec<pb::RiskInputs> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| pb::RiskInputs {
            risk: id.clone(),
            inputs: iso27005((i % 5 + 1) as f64, (i / 10 + 1) as f64),
        })
        .collect();
    let out = maria
        .risks()
        .assess_risks(maria.req(pb::AssessRisksRequest {
            risks: batch,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.risks.len(), 50);
    let levels: BTreeSet<String> = out
        .risks
        .iter()
        .map(|r| r.assessments[0].level.clone())
        .collect();
    assert_eq!(levels.len(), 5, "{levels:?}");
    let first = &out.risks[0].assessments[0];
    assert_eq!(first.methodology, "risk-iso27005");
    assert_eq!(first.methodology_version, "1.0.0");
    assert!(first.digest.starts_with("sha256:"));

    // A refused input in a batch refuses the batch, naming the risk; nothing is written.
    let e = maria
        .risks()
        .assess_risks(maria.req(pb::AssessRisksRequest {
            risks: vec![
                pb::RiskInputs {
                    risk: "r00".into(),
                    inputs: iso27005(1.0, 1.0),
                },
                pb::RiskInputs {
                    risk: "r01".into(),
                    inputs: iso27005(9.0, 1.0),
                },
            ],
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("risk r01"), "{}", e.message());
    assert_eq!(risk(&maria, "r00").await.assessments.len(), 1);

    // The batch is one audit event, which each risk's history in the trail finds; the risk's
    // revision counts its assessment; the chain holds.
    let trail = maria
        .audit()
        .list_events(maria.req(pb::ListEventsRequest {
            after_seq: 0,
            entity: "risk:r07".into(),
            page_size: 100,
        }))
        .await
        .unwrap()
        .into_inner();
    let history: Vec<(&str, &str)> = trail
        .events
        .iter()
        .map(|e| (e.operation.as_str(), e.entity.as_str()))
        .collect();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0], ("risk.create", "risk:r07"));
    assert_eq!(history[1].0, "risk.assess");
    assert!(history[1].1.starts_with("risk_batch:"), "{history:?}");
    assert_eq!(risk(&maria, "r07").await.revision, 2);
    let verify = maria.chain().await;
    assert!(verify.intact, "{}", verify.reason);

    // Switching method silently is refused; the migration needs inputs for every risk.
    let e = maria
        .risks()
        .set_risk_methodology(maria.req(pb::SetRiskMethodologyRequest {
            methodology: "risk-fair".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.message().contains("migration"), "{}", e.message());
    let nist = |i: usize| {
        let steps = ["Very Low", "Low", "Moderate", "High", "Very High"];
        vec![
            text("likelihood_of_initiation", steps[i % 5]),
            text("likelihood_of_impact", steps[(i / 5) % 5]),
            text("impact", steps[i / 10]),
        ]
    };
    let e = maria
        .risks()
        .migrate_risk_methodology(maria.req(pb::MigrateRiskMethodologyRequest {
            methodology: "risk-nist-800-30".into(),
            inputs: vec![pb::RiskInputs {
                risk: "r00".into(),
                inputs: nist(0),
            }],
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.message().contains("r49"), "{}", e.message());

    // NIST SP 800-30, then FAIR: each risk keeps every earlier assessment.
    let migrate = |methodology: &str, inputs: &dyn Fn(usize) -> Vec<pb::Input>| {
        pb::MigrateRiskMethodologyRequest {
            methodology: methodology.into(),
            inputs: ids
                .iter()
                .enumerate()
                .map(|(i, id)| pb::RiskInputs {
                    risk: id.clone(),
                    inputs: inputs(i),
                })
                .collect(),
            ..Default::default()
        }
    };
    let out = maria
        .risks()
        .migrate_risk_methodology(maria.req(migrate("risk-nist-800-30", &nist)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.risks.len(), 50);
    let fair = |i: usize| {
        let f = (i + 1) as f64;
        vec![
            estimate("threat_event_frequency", 0.1 * f, 0.5 * f, f),
            estimate("vulnerability", 0.1, 0.3, 0.6),
            estimate("primary_loss", 1000.0, 10000.0 * f, 100000.0 * f),
            number("iterations", 10000.0),
        ]
    };
    maria
        .risks()
        .migrate_risk_methodology(maria.req(migrate("risk-fair", &fair)))
        .await
        .unwrap();
    let r = risk(&maria, "r07").await;
    let methods: Vec<&str> = r
        .assessments
        .iter()
        .map(|a| a.methodology.as_str())
        .collect();
    assert_eq!(methods, ["risk-iso27005", "risk-nist-800-30", "risk-fair"]);
    assert_eq!(r.assessments[0].level, iso27005_level(7));
    assert!(
        r.assessments[2]
            .note
            .starts_with("migrated from risk-nist-800-30 1.0.1")
    );
    assert!(["within appetite", "above appetite"].contains(&r.assessments[2].level.as_str()));
    let settings = maria
        .risks()
        .get_risk_settings(maria.req(pb::GetRiskSettingsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(settings.methodology, "risk-fair");
}

/// The level the shipped matrix gives risk `i` of the batch above.
fn iso27005_level(i: usize) -> String {
    let matrix = [
        [0, 0, 1, 1, 1],
        [0, 1, 1, 2, 2],
        [1, 1, 2, 3, 3],
        [1, 2, 3, 3, 4],
        [2, 3, 3, 4, 4],
    ];
    let names = ["very low", "low", "medium", "high", "very high"];
    names[matrix[i % 5][i / 10]].to_string()
}

#[tokio::test]
async fn the_soa_is_derived_traced_approved_and_marked_outdated_and_acceptance_follows_policy() {
    let server = Server::with_plugins();
    let (maria, bob, carl, asset) = setup(&server).await;
    create(&maria, "ransomware", "maria", &asset).await;
    create(&maria, "flood", "bob", &asset).await;
    assess(&maria, "ransomware", iso27005(4.0, 4.0), false)
        .await
        .unwrap();
    // Bob owns the flood risk: he assesses it.
    assess(&bob, "flood", iso27005(3.0, 5.0), false)
        .await
        .unwrap();

    // The installed pack suggests threats for the asset and controls for the risk.
    let threats = maria
        .risks()
        .suggest_threats(maria.req(pb::SuggestThreatsRequest {
            asset: asset.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .threats;
    assert!(
        threats
            .iter()
            .any(|t| t.threat == "G 0.39" && t.name == "Malware"),
        "{threats:?}"
    );
    assert!(threats.windows(2).all(|w| w[0].score >= w[1].score));
    let controls = maria
        .risks()
        .suggest_controls(maria.req(pb::SuggestControlsRequest {
            risk: "ransomware".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .controls;
    let top: BTreeSet<&str> = controls
        .iter()
        .take(2)
        .map(|c| c.control.as_str())
        .collect();
    assert_eq!(top, BTreeSet::from(["A.8.13", "A.8.7"]), "{controls:?}");
    assert!(
        controls[0].reason.contains("treats Malware (G 0.39)"),
        "{}",
        controls[0].reason
    );

    // Treatment names controls of installed frameworks only.
    let e = treat(&maria, "ransomware", "mitigate", &["iso27001:A.99"])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message()
            .contains("not a control of an installed framework")
    );
    let e = treat(&maria, "ransomware", "mitigate", &[])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    treat(
        &maria,
        "ransomware",
        "mitigate",
        &["iso27001:A.8.13", "iso27001:A.8.7"],
    )
    .await
    .unwrap();
    treat(
        &bob,
        "flood",
        "mitigate",
        &["iso27001:A.7.5", "iso27001:A.8.13"],
    )
    .await
    .unwrap();
    // An employee cannot treat someone else's risk.
    let e = treat(&bob, "ransomware", "accept", &[]).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    // A client's contract requires NDAs: A.6.6 applies because of it.
    maria
        .risks()
        .put_party(maria.req(pb::PutPartyRequest {
            party: Some(pb::InterestedParty {
                id: "client-bank".into(),
                name: "Client Bank plc".into(),
                category: "client".into(),
                requirements: vec![pb::PartyRequirement {
                    id: "nda".into(),
                    kind: "contractual".into(),
                    text: "Client contract requires NDAs with all staff".into(),
                    controls: vec!["iso27001:A.6.6".into()],
                }],
                revision: 0,
            }),
            expected_revision: 0,
            ..Default::default()
        }))
        .await
        .unwrap();
    // The list gives each party's revision, which a change names.
    let parties = maria
        .risks()
        .list_parties(maria.req(pb::ListPartiesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .parties;
    assert_eq!((parties.len(), parties[0].revision), (1, 1));
    let mut again = parties[0].clone();
    again.category = "key client".into();
    let stale = maria
        .risks()
        .put_party(maria.req(pb::PutPartyRequest {
            party: Some(again.clone()),
            expected_revision: 0,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::AlreadyExists);
    let saved = maria
        .risks()
        .put_party(maria.req(pb::PutPartyRequest {
            party: Some(again),
            expected_revision: parties[0].revision,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((saved.revision, saved.category.as_str()), (2, "key client"));
    // A.7.4 is excluded by hand, with a reason.
    let record = |applicability: &str, reason: &str| pb::SetControlRecordRequest {
        framework: "iso27001-2022".into(),
        control: "A.7.4".into(),
        record: Some(pb::ControlRecord {
            applicability: applicability.into(),
            reason: reason.into(),
            ..Default::default()
        }),
        expected_revision: 0,
        ..Default::default()
    };
    let e = maria
        .risks()
        .set_control_record(maria.req(record("not-applicable", "")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    maria
        .risks()
        .set_control_record(maria.req(record(
            "not-applicable",
            "serviced co-working office: the landlord monitors the building",
        )))
        .await
        .unwrap();

    let s = soa(&maria).await;
    assert_eq!(s.entries.len(), 93);
    assert_eq!(s.approved_version, 0);
    let entry = |s: &pb::StatementOfApplicability, id: &str| {
        s.entries.iter().find(|e| e.control == id).unwrap().clone()
    };
    let backup = entry(&s, "A.8.13");
    assert!(backup.applicable);
    assert_eq!(backup.justifications[0].kind, "risk-treatment");
    assert_eq!(backup.justifications[0].risks, ["flood", "ransomware"]);
    let nda = entry(&s, "A.6.6");
    assert_eq!(
        (
            nda.justifications[0].party.as_str(),
            nda.justifications[0].requirement.as_str()
        ),
        (
            "Client Bank plc",
            "Client contract requires NDAs with all staff"
        )
    );
    assert!(!entry(&s, "A.7.4").applicable);
    assert!(entry(&s, "A.7.4").exclusion.contains("co-working"));
    // Every applicable control points at real risks or requirements; every other has a reason.
    let risks: BTreeSet<&str> = ["ransomware", "flood"].into();
    for e in &s.entries {
        if e.applicable {
            assert!(!e.justifications.is_empty(), "{}", e.control);
            for j in &e.justifications {
                assert!(j.risks.iter().all(|r| risks.contains(r.as_str())));
            }
        } else {
            assert!(!e.exclusion.is_empty(), "{}", e.control);
        }
    }

    // Approval freezes it; changing a treated risk afterwards marks it outdated naming the control.
    let approved = maria
        .risks()
        .approve_statement_of_applicability(maria.req(pb::ApproveStatementOfApplicabilityRequest {
            framework: "iso27001-2022".into(),
            note: "first SoA".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((approved.approved_version, approved.outdated), (1, false));
    let e = bob
        .risks()
        .approve_statement_of_applicability(bob.req(pb::ApproveStatementOfApplicabilityRequest {
            framework: "iso27001-2022".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    treat(
        &maria,
        "ransomware",
        "mitigate",
        &["iso27001:A.8.13", "iso27001:A.8.8"],
    )
    .await
    .unwrap();
    let s = soa(&maria).await;
    assert!(s.outdated);
    let changed: Vec<(&str, String)> = s
        .changes
        .iter()
        .map(|c| (c.control.as_str(), c.changes.join(", ")))
        .collect();
    assert!(
        changed.contains(&("A.8.7", "applicable → not applicable, justification".into())),
        "{changed:?}"
    );
    assert!(
        changed.contains(&("A.8.8", "not applicable → applicable, justification".into())),
        "{changed:?}"
    );
    assert!(!changed.iter().any(|(c, _)| *c == "A.8.13"));

    // Residual risk: within the criterion the owner accepts; above it only top management.
    assess(&maria, "ransomware", iso27005(1.0, 3.0), true)
        .await
        .unwrap();
    let r = accept(&maria, "ransomware").await.unwrap();
    assert_eq!(r.acceptance.unwrap().by, "user:maria");
    assess(&bob, "flood", iso27005(3.0, 4.0), true)
        .await
        .unwrap();
    let e = accept(&bob, "flood").await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert_eq!(
        policies(&e),
        "residual-above-criterion-needs-top-management"
    );
    let r = accept(&carl, "flood").await.unwrap();
    let a = r.acceptance.unwrap();
    assert_eq!(
        (a.by.as_str(), a.above_criterion, a.level.as_str()),
        ("user:carl", true, "high")
    );

    // The treatment plan: a placeholder for every applicable control not implemented; items
    // planned roll up with their budget; a past due date is overdue.
    let plan = maria
        .risks()
        .get_treatment_plan(maria.req(pb::GetTreatmentPlanRequest {
            framework: "iso27001-2022".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let applicable = soa(&maria)
        .await
        .entries
        .iter()
        .filter(|e| e.applicable)
        .count();
    assert_eq!(plan.items.len(), applicable);
    let set =
        |control: &str, status: &str, due: &str, budget: f64| pb::SetTreatmentPlanItemRequest {
            item: Some(pb::TreatmentPlanItem {
                framework: "iso27001-2022".into(),
                control: control.into(),
                owner: "maria".into(),
                actions: "Offline copies, restore tested monthly".into(),
                due: due.into(),
                budget,
                status: status.into(),
                ..Default::default()
            }),
            expected_revision: 0,
            ..Default::default()
        };
    maria
        .risks()
        .set_treatment_plan_item(maria.req(set(
            "A.8.13",
            "implemented",
            "2026-01-31T00:00:00Z",
            3000.0,
        )))
        .await
        .unwrap();
    maria
        .risks()
        .set_treatment_plan_item(maria.req(set(
            "A.7.5",
            "in-progress",
            "2026-02-28T00:00:00Z",
            1200.0,
        )))
        .await
        .unwrap();
    let plan = maria
        .risks()
        .get_treatment_plan(maria.req(pb::GetTreatmentPlanRequest {
            framework: "iso27001-2022".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (plan.implemented, plan.in_progress, plan.overdue),
        (1, 1, 1)
    );
    assert_eq!((plan.budget, plan.budget_spent), (4200.0, 3000.0));
    // The plan's status is the SoA's implementation status.
    assert_eq!(entry(&soa(&maria).await, "A.8.13").status, "implemented");

    // Exports: the XLSX opens with openpyxl and the PDF with pdftotext, and their numbers are
    // the API's.
    let dir = tempfile::tempdir().unwrap();
    let export = |kind: &str, format: &str| pb::ExportReportRequest {
        kind: kind.into(),
        format: format.into(),
        framework: "iso27001-2022".into(),
        ..Default::default()
    };
    let save = |f: pb::ReportFile| {
        let path = dir.path().join(&f.filename);
        std::fs::write(&path, &f.content).unwrap();
        path
    };
    let current = soa(&maria).await;
    let applicable = current.entries.iter().filter(|e| e.applicable).count();
    let f = maria
        .risks()
        .export_report(maria.req(export("soa", "xlsx")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(f.filename, "acme-statement-of-applicability.xlsx");
    let book = read_xlsx(&save(f));
    let rows = book["SoA"].as_array().unwrap();
    assert_eq!(rows.len(), 94, "a header and 93 controls");
    let yes = rows.iter().skip(1).filter(|r| r[2] == "yes").count();
    assert_eq!(yes, applicable);
    let a86 = rows.iter().find(|r| r[0] == "A.6.6").unwrap();
    assert!(
        a86[3].as_str().unwrap().contains("Client Bank plc"),
        "{a86:?}"
    );

    let f = maria
        .risks()
        .export_report(maria.req(export("rtp", "xlsx")))
        .await
        .unwrap()
        .into_inner();
    let book = read_xlsx(&save(f));
    let budget: f64 = book["RTP"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .filter_map(|r| r[4].as_f64())
        .sum();
    assert_eq!(budget, plan.budget);

    let f = maria
        .risks()
        .export_report(maria.req(export("risk-assessment", "xlsx")))
        .await
        .unwrap()
        .into_inner();
    let book = read_xlsx(&save(f));
    let risks = book["Risks"].as_array().unwrap();
    let flood = risks.iter().find(|r| r[0] == "flood").unwrap();
    let api = risk(&maria, "flood").await;
    assert_eq!(
        (flood[7].as_str(), flood[12].as_str(), flood[14].as_str()),
        (
            Some(api.assessments.last().unwrap().level.as_str()),
            Some(api.residual.last().unwrap().level.as_str()),
            Some("user:carl")
        )
    );
    assert_eq!(
        flood[8].as_f64(),
        Some(api.assessments.last().unwrap().score)
    );
    // Bob reads the register too, but only what he may read: here, both risks.
    let f = bob
        .risks()
        .export_report(bob.req(export("risk-assessment", "csv")))
        .await
        .unwrap()
        .into_inner();
    let csv = String::from_utf8(f.content).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");

    let f = maria
        .risks()
        .export_report(maria.req(export("soa", "pdf")))
        .await
        .unwrap()
        .into_inner();
    assert!(f.content.starts_with(b"%PDF"));
    let text = pdftotext(&save(f));
    assert!(
        text.contains(&format!("Applicable: {applicable}")),
        "{text}"
    );
    assert!(text.contains("Client Bank plc"), "{text}");
    let f = maria
        .risks()
        .export_report(maria.req(export("rtp", "markdown")))
        .await
        .unwrap()
        .into_inner();
    let md = String::from_utf8(f.content).unwrap();
    assert!(md.contains("- **Budget:** 4200"), "{md}");
    let e = maria
        .risks()
        .export_report(maria.req(export("soa", "docx")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
}

/// The workbook's sheets as JSON, read by openpyxl in the project's Python environment
/// (`cargo xtask test` prepares it; RAMPART_PY_VENV names another).
fn read_xlsx(path: &std::path::Path) -> serde_json::Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var_os("RAMPART_PY_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target/python-venv"));
    let out = std::process::Command::new(venv.join("bin/python"))
        .arg(root.join("tests/e2e/read_xlsx.py"))
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run `cargo xtask test`, which installs openpyxl there)",
                venv.display()
            )
        });
    assert!(
        out.status.success(),
        "read_xlsx.py: {} (needs openpyxl: `{}/bin/pip install openpyxl`)",
        String::from_utf8_lossy(&out.stderr),
        venv.display()
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The PDF's text as poppler's pdftotext reads it.
fn pdftotext(path: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext: {e} (install poppler-utils)"));
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn two_assessments_racing_for_one_risk_leave_one_aborted_and_a_treatment_beside_them() {
    let server = Server::with_plugins();
    let (maria, _bob, _carl, asset) = setup(&server).await;
    create(&maria, "race", "maria", &asset).await;
    for round in 0..5u64 {
        let read = risk(&maria, "race").await.revision;
        let assess = |likelihood: f64| {
            let c = maria.clone();
            async move {
                c.risks()
                    .assess_risk(c.req(pb::AssessRiskRequest {
                        id: "race".into(),
                        expected_revision: read,
                        inputs: iso27005(likelihood, 3.0),
                        ..Default::default()
                    }))
                    .await
            }
        };
        let (a, b) = tokio::join!(assess(2.0), assess(4.0));
        let codes = [&a, &b].map(|r| r.as_ref().err().map(|e| e.code()));
        assert!(
            codes.contains(&None) && codes.contains(&Some(Code::Aborted)),
            "round {round}: one lands, the other is ABORTED: {a:?} {b:?}"
        );
        let refused = [&a, &b].into_iter().find_map(|r| r.as_ref().err()).unwrap();
        assert!(
            refused.message().contains("risk race"),
            "{}",
            refused.message()
        );
        let now = risk(&maria, "race").await;
        assert_eq!(now.assessments.len() as u64, round + 1);
        assert_eq!(now.revision, read + 1);
    }
    // A treatment is a change of the risk's own record: it names the revision that counts the
    // assessments, and the history stays whole.
    let r = risk(&maria, "race").await;
    let treated = maria
        .risks()
        .treat_risk(maria.req(pb::TreatRiskRequest {
            id: "race".into(),
            expected_revision: r.revision,
            treatment: Some(pb::Treatment {
                option: "mitigate".into(),
                controls: vec!["iso27001:A.8.13".into()],
                plan: String::new(),
            }),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(treated.revision, r.revision + 1);
    assert_eq!(risk(&maria, "race").await.assessments, r.assessments);
}
