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

fn cli(server: &Server, token: &str, args: &[&str]) -> String {
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

#[tokio::test]
async fn the_example_organisation_has_its_documents_in_real_states() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/acme");
    let tokens = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        "mem://".into(),
        None,
        &[
            "--example",
            example.to_str().unwrap(),
            "--example-tokens",
            tokens.path().to_str().unwrap(),
        ],
    );
    let token = |user: &str| {
        std::fs::read_to_string(tokens.path().join(format!("acme-{user}.token")))
            .unwrap()
            .trim()
            .to_string()
    };
    let maria = server.client(&token("maria"), "").await;
    let docs = maria
        .documents()
        .list_documents(maria.req(pb::ListDocumentsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .documents;
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
    let incident = by_id("incident-management-procedure");
    assert_eq!(
        (status(incident, 1), status(incident, 2)),
        ("superseded", "draft")
    );
    assert!(!incident.versions[0].rejections.is_empty());
    // Maria is an approver of the access control procedure, so she sees it in review.
    let access = by_id("access-control-procedure");
    assert_eq!(status(access, 1), "in-review");

    // Tom (Engineering) reads what is distributed to him, and not Maria's incident draft.
    let tom = server.client(&token("tom"), "").await;
    let seen: Vec<String> = tom
        .documents()
        .list_documents(tom.req(pb::ListDocumentsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .documents
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
