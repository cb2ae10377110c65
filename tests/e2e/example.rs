//! The example organisation (examples/acme) loaded by `serve --example`, checked through the API
//! and the CLI: its documents end in the workflow states the example describes.

use std::path::Path;
use std::process::Command;

use rampart_proto::v1 as pb;

use crate::harness::Server;

fn status(d: &pb::Document, n: u32) -> &str {
    d.versions
        .iter()
        .find(|v| v.number == n)
        .map(|v| v.status.as_str())
        .unwrap_or("(not visible)")
}

pub(crate) fn cli(server: &Server, token: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["--server", &server.addr, "--token", token])
        .args(args)
        .env_remove("RAMPART_CONFIG")
        .env_remove("RAMPART_ORG")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run rampart");
    assert!(
        out.status.success(),
        "rampart {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A server over `mem://` that loaded the example organisation, and where its tokens are.
pub(crate) fn example_server(extra: &[&str]) -> (Server, tempfile::TempDir) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/acme");
    let tokens = tempfile::tempdir().unwrap();
    let mut args = extra.to_vec();
    args.extend([
        "--example",
        example.to_str().unwrap(),
        "--example-tokens",
        tokens.path().to_str().unwrap(),
    ]);
    (Server::start_with("mem://".into(), None, &args), tokens)
}

pub(crate) fn token(tokens: &tempfile::TempDir, user: &str) -> String {
    std::fs::read_to_string(tokens.path().join(format!("acme-{user}.token")))
        .unwrap()
        .trim()
        .to_string()
}

#[tokio::test]
async fn the_example_organisation_has_its_documents_in_real_states() {
    let (server, tokens) = example_server(&[]);
    let token = |user: &str| token(&tokens, user);
    let maria = server.client(&token("maria"), "").await;
    let docs = maria.listed_documents().await;
    let by_id = |id: &str| {
        docs.iter()
            .find(|d| d.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let isp = by_id("information-security-policy");
    assert_eq!((isp.published_version, status(isp, 1)), (1, "published"));
    assert_eq!(isp.versions[0].approvals.len(), 2);
    let backup = by_id("backup-procedure");
    assert_eq!(
        (status(backup, 1), status(backup, 2)),
        ("published", "approved")
    );
    // A list carries the versions in force (the newest draft here); the document has its history.
    let listed = by_id("incident-management-procedure");
    assert_eq!((listed.versions.len(), status(listed, 2)), (1, "draft"));
    let incident = maria.document("incident-management-procedure").await;
    assert_eq!(
        (status(&incident, 1), status(&incident, 2)),
        ("superseded", "draft")
    );
    assert!(!incident.versions[0].rejections.is_empty());
    // Maria is an approver of the access control procedure, so she sees it in review.
    let access = by_id("access-control-procedure");
    assert_eq!(status(access, 1), "in-review");

    // Tom (Engineering) reads what is distributed to him, and not Maria's incident draft.
    let tom = server.client(&token("tom"), "").await;
    let seen: Vec<String> = tom
        .listed_documents()
        .await
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert!(seen.contains(&"backup-procedure".to_string()), "{seen:?}");
    assert!(
        !seen.contains(&"incident-management-procedure".to_string()),
        "{seen:?}"
    );

    // The CLI, as people and scripts use it.
    let table = cli(&server, &token("maria"), &["document", "list"]);
    assert!(table.contains("information-security-policy"), "{table}");
    assert!(table.contains("v1 published, v2 approved"), "{table}");
    let verified = cli(&server, &token("maria"), &["document", "verify"]);
    assert!(verified.contains("every stored hash matches"), "{verified}");
    let json = cli(
        &server,
        &token("maria"),
        &["--json", "document", "get", "isms-scope"],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["document"]["published_version"], 1);
    let advice = cli(
        &server,
        &token("maria"),
        &[
            "document",
            "advise",
            "--title",
            "Clear desk procedure",
            "--people",
            "1",
        ],
    );
    assert!(advice.contains("recommendation: write"), "{advice}");
}

#[tokio::test]
async fn the_example_organisation_is_checked_against_iso27001_and_a_fixed_gap_disappears() {
    let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins");
    let (server, tokens) = example_server(&["--plugins", plugins.to_str().unwrap()]);
    let token = |user: &str| token(&tokens, user);
    let maria = server.client(&token("maria"), "").await;
    let readiness = || async {
        maria
            .frameworks()
            .check_framework(maria.req(pb::CheckFrameworkRequest {
                framework: "iso27001-2022".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner()
    };
    let finding = |r: &pb::Readiness, id: &str| {
        r.findings
            .iter()
            .find(|f| f.requirement == id)
            .map(|f| (f.status.clone(), f.detail.clone()))
            .unwrap_or_else(|| panic!("no finding for {id}"))
    };
    // The loader installed ISO/IEC 27001; the published scope and policy meet 4.3 and 5.2, the
    // methodology awaiting approval does not meet 6.1.2. The year of operation (operations.toml)
    // gives objectives with measurements, a closed internal audit and a management review; one
    // corrective action is late and one person's awareness training ran out.
    let before = readiness().await;
    assert_eq!(finding(&before, "4.3").0, "met");
    assert_eq!(finding(&before, "5.2").0, "met");
    assert_eq!(
        finding(&before, "6.1.2"),
        (
            "not-met".to_string(),
            "no approved document: Risk assessment and risk treatment process (6.1.2)".to_string()
        )
    );
    assert_eq!(
        finding(&before, "6.2"),
        (
            "met".to_string(),
            "3 objectives with their metrics in the objectives register".to_string()
        )
    );
    assert_eq!(finding(&before, "9.1").0, "met");
    assert_eq!(finding(&before, "9.2").0, "met");
    assert!(
        finding(&before, "9.2.2")
            .1
            .contains("1 internal audits closed")
    );
    assert_eq!(finding(&before, "9.3.3").0, "met");
    assert_eq!(
        finding(&before, "10.2"),
        (
            "partially-met".to_string(),
            "corrective actions past their due date: 1".to_string()
        )
    );
    assert_eq!(
        finding(&before, "7.3"),
        (
            "not-met".to_string(),
            "people without awareness training this year: 1".to_string()
        )
    );

    // The CLI shows the gaps for people.
    let table = cli(
        &server,
        &token("maria"),
        &["framework", "check", "iso27001-2022"],
    );
    assert!(
        table.contains("Risk assessment and risk treatment process"),
        "{table}"
    );
    assert!(table.contains("% ready"), "{table}");

    // Raj approves the methodology and Maria publishes it: the 6.1.2 gap closes.
    let raj = server.client(&token("raj"), "").await;
    let d = maria.document("risk-methodology").await;
    let step = |revision: u64| pb::DocumentStepRequest {
        id: "risk-methodology".into(),
        version: 1,
        expected_revision: revision,
    };
    let d = raj
        .documents()
        .approve_document(raj.req(step(d.revision)))
        .await
        .unwrap()
        .into_inner();
    maria
        .documents()
        .publish_document(maria.req(step(d.revision)))
        .await
        .unwrap();
    let after = readiness().await;
    assert_eq!(
        finding(&after, "6.1.2"),
        (
            "met".to_string(),
            "Risk assessment and risk treatment process approved".to_string()
        )
    );
    assert_eq!(after.not_met + 1, before.not_met);

    // The risk assessment: 40 risks assessed last year with NIST SP 800-30 and migrated to the
    // ISO/IEC 27005 matrix, an approved SoA that is current, and a treatment plan.
    let risks = maria
        .risks()
        .list_risks(maria.req(pb::ListRisksRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .risks;
    assert_eq!(risks.len(), 40);
    let methods: Vec<&str> = risks[0]
        .assessments
        .iter()
        .map(|a| a.methodology.as_str())
        .collect();
    assert_eq!(methods, ["risk-nist-800-30", "risk-iso27005"]);
    assert!(risks.iter().filter(|r| r.acceptance.is_some()).count() >= 30);
    let soa = maria
        .risks()
        .get_statement_of_applicability(maria.req(pb::GetStatementOfApplicabilityRequest {
            framework: "iso27001-2022".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((soa.approved_version, soa.outdated), (1, false));
    assert_eq!(soa.approved_by, "user:olivia");
    let a74 = soa.entries.iter().find(|e| e.control == "A.7.4").unwrap();
    assert!(!a74.applicable && a74.exclusion.contains("Serviced office"));
    let plan = cli(&server, &token("maria"), &["rtp", "show"]);
    assert!(plan.contains("OVERDUE"), "{plan}");
}

#[tokio::test]
async fn the_example_organisation_has_a_year_of_operation_behind_it() {
    let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins");
    let (server, tokens) = example_server(&["--plugins", plugins.to_str().unwrap()]);
    let maria = server.client(&token(&tokens, "maria"), "").await;

    // Training: Chloe's course from her previous employer ran out; Li missed the workshop.
    let training = maria
        .training()
        .get_training_status(maria.req(pb::GetTrainingStatusRequest {}))
        .await
        .unwrap()
        .into_inner();
    let gaps: Vec<&str> = training.gaps.iter().map(|g| g.summary.as_str()).collect();
    assert!(
        gaps.contains(
            &"1 person in Sales is not current with Security awareness (0 never took it, 1 expired)"
        ),
        "{gaps:?}"
    );
    assert!(
        gaps.iter().any(|g| g.contains("Secure development")),
        "{gaps:?}"
    );

    // Objectives measured every quarter, the history in time order.
    let objectives = maria
        .objectives()
        .list_objectives(maria.req(pb::ListObjectivesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .objectives;
    let fulfilment: Vec<(&str, &str)> = objectives
        .iter()
        .map(|o| (o.id.as_str(), o.fulfilment.as_str()))
        .collect();
    assert_eq!(
        fulfilment,
        [
            ("awareness", "not-met"),
            ("backups", "met"),
            ("patching", "met")
        ]
    );
    let history = &objectives[1].metrics[0].measurements;
    assert_eq!(history.len(), 4);
    assert!(history.windows(2).all(|w| w[0].at < w[1].at));

    // One internal audit with its findings; nonconformities in every state of the cycle.
    let audit = maria
        .internal_audits()
        .get_audit(maria.req(pb::GetAuditRequest {
            id: "eng-2026".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((audit.status.as_str(), audit.findings.len()), ("closed", 4));
    let mut states: Vec<String> = maria
        .internal_audits()
        .list_nonconformities(maria.req(pb::ListNonconformitiesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .nonconformities
        .into_iter()
        .map(|n| n.status)
        .collect();
    states.sort();
    assert_eq!(states, ["acting", "acting", "closed", "open"]);

    // The management review's actions are tasks for their owners.
    let review = maria
        .management_reviews()
        .get_management_review(maria.req(pb::GetManagementReviewRequest {
            id: "mr-2026".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(review.decisions.len(), 2);
    // Its 9.3.2 inputs were compiled from the year: the audit's findings among them.
    let inputs = review.inputs.unwrap();
    assert_eq!(
        (
            inputs.audits_closed,
            inputs.minor_nonconformities_found,
            inputs.observations_found,
            inputs.opportunities_for_improvement
        ),
        (1, 2, 1, 1)
    );
    assert_eq!((inputs.objectives, inputs.objectives_met), (3, 2));
    assert!(review.actions.iter().all(|a| !a.task.is_empty()));
}
