//! Moving an organisation: the example organisation exported with the CLI and imported into a
//! fresh server, where the chain verifies and the same questions get the same answers; tampered
//! bundles are refused and change nothing; a selective export carries one framework's work.

use std::path::Path;

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::example::{cli, example_server, token};
use crate::harness::{Client, OPERATOR_TOKEN, Server, asset_request, organisation, step};

async fn verify(c: &Client) -> pb::VerifyChainResponse {
    c.audit()
        .verify_chain(c.req(pb::VerifyChainRequest::default()))
        .await
        .unwrap()
        .into_inner()
}

/// What an ISMS manager sees of the organisation, for comparing two installations.
async fn answers(c: &Client) -> Vec<String> {
    let assets = c
        .assets()
        .list_assets(c.req(pb::ListAssetsRequest {
            page_size: 1000,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let documents = c
        .documents()
        .list_documents(c.req(pb::ListDocumentsRequest {
            page_size: 1000,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let risks = c
        .risks()
        .list_risks(c.req(pb::ListRisksRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let readiness = c
        .frameworks()
        .check_framework(c.req(pb::CheckFrameworkRequest {
            framework: "iso27001-2022".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let organisation = c
        .orgs()
        .get_organisation(c.req(pb::GetOrganisationRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(!assets.assets.is_empty() && !documents.documents.is_empty());
    assert!(!risks.risks.is_empty() && !readiness.findings.is_empty());
    vec![
        format!("{assets:?}"),
        format!("{documents:?}"),
        format!("{risks:?}"),
        format!("{readiness:?}"),
        format!("{organisation:?}"),
    ]
}

async fn download(c: &Client, document: &str, version: u32, attachment: &str) -> Vec<u8> {
    let mut stream = c
        .documents()
        .download_attachment(c.req(pb::DownloadAttachmentRequest {
            document_id: document.into(),
            version,
            attachment_id: attachment.into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        bytes.extend(chunk.data);
    }
    bytes
}

/// A token for `user` of `org` on `server`, issued by the operator.
async fn issue_token(server: &Server, org: &str, user: &str) -> String {
    let op = server.operator().await.in_org(org);
    op.tokens()
        .create_token(op.req(pb::CreateTokenRequest {
            user_id: user.into(),
            label: "after the move".into(),
            expires_at: String::new(),
        }))
        .await
        .unwrap()
        .into_inner()
        .secret
}

#[tokio::test]
async fn an_exported_organisation_answers_the_same_queries_on_another_server() {
    let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins");
    let (source, tokens) = example_server(&["--plugins", plugins.to_str().unwrap()]);
    let maria = source.client(&token(&tokens, "maria"), "").await;

    // An attachment, so bytes travel too.
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence.bin");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&evidence, &content).unwrap();
    cli(
        &source,
        &token(&tokens, "maria"),
        &[
            "document",
            "attach",
            "backup-procedure",
            evidence.to_str().unwrap(),
        ],
    );
    let doc = maria.document("backup-procedure").await;
    let (version, attachment) = doc
        .versions
        .iter()
        .find_map(|v| v.attachments.first().map(|a| (v.number, a.id.clone())))
        .expect("the attachment is on a version");

    // The operator exports with the CLI, which prints the head to hand over.
    let bundle = dir.path().join("acme.bundle.json");
    let out = cli(
        &source,
        OPERATOR_TOKEN,
        &[
            "--org",
            "acme",
            "--json",
            "org",
            "export",
            "--out",
            bundle.to_str().unwrap(),
        ],
    );
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    let head = summary["head"].as_str().unwrap().to_string();
    assert!(summary["records"].as_u64().unwrap() > 50, "{summary}");
    let before = answers(&maria).await;
    let source_chain = verify(&maria).await;
    assert!(source_chain.intact);
    assert_eq!(
        source_chain.verified_events,
        summary["events"].as_u64().unwrap()
    );

    // A fresh server imports it, demanding the head it was given.
    let target = Server::with_plugins();
    let imported = cli(
        &target,
        OPERATOR_TOKEN,
        &[
            "org",
            "import",
            bundle.to_str().unwrap(),
            "--expect-head",
            &head,
        ],
    );
    assert!(imported.contains("chain verified"), "{imported}");
    // Tokens stay behind: Maria's old one means nothing here, a new one works.
    let old = target.client(&token(&tokens, "maria"), "").await;
    let err = old
        .orgs()
        .get_organisation(old.req(pb::GetOrganisationRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let moved = target
        .client(&issue_token(&target, "acme", "maria").await, "")
        .await;
    let chain = verify(&moved).await;
    assert!(chain.intact, "{chain:?}");
    // The whole trail came along, and the import added its own event.
    assert_eq!(chain.verified_events, source_chain.verified_events + 1);
    assert_eq!(answers(&moved).await, before);
    assert_eq!(
        download(&moved, "backup-procedure", version, &attachment).await,
        content
    );
    let last = moved
        .audit()
        .list_events(moved.req(pb::ListEventsRequest {
            after_seq: chain.verified_events - 2,
            page_size: 10,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .events;
    let operations: Vec<&str> = last.iter().map(|e| e.operation.as_str()).collect();
    assert_eq!(operations, ["organisation.export", "organisation.import"]);

    // The same bundle again: the organisation exists, and the answer says what to do.
    let op = target.operator().await;
    let again = import(&op, std::fs::read(&bundle).unwrap(), "", "").await;
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");
    assert!(again.message().contains("--as"), "{}", again.message());

    // A selective export: ISO 9001 installed beside ISO/IEC 27001, only the latter exported.
    maria
        .frameworks()
        .install_framework(maria.req(pb::InstallFrameworkRequest {
            framework: "iso9001-2015".into(),
            ..Default::default()
        }))
        .await
        .unwrap();
    let selective = dir.path().join("acme-27001.json");
    cli(
        &source,
        OPERATOR_TOKEN,
        &[
            "--org",
            "acme",
            "org",
            "export",
            "--framework",
            "iso27001-2022",
            "--out",
            selective.to_str().unwrap(),
        ],
    );
    cli(
        &target,
        OPERATOR_TOKEN,
        &[
            "org",
            "import",
            selective.to_str().unwrap(),
            "--as",
            "acme-isms",
        ],
    );
    let isms = target
        .client(&issue_token(&target, "acme-isms", "maria").await, "")
        .await;
    let frameworks: Vec<String> = isms
        .frameworks()
        .list_frameworks(isms.req(pb::ListFrameworksRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .frameworks
        .into_iter()
        .filter(|f| f.installed)
        .map(|f| f.id)
        .collect();
    assert_eq!(frameworks, ["iso27001-2022"]);
    assert!(verify(&isms).await.intact);
}

async fn export(c: &Client) -> (Vec<u8>, pb::BundleSummary) {
    let mut stream = c
        .orgs()
        .export_organisation(c.req(pb::ExportOrganisationRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let mut bytes = Vec::new();
    let mut summary = None;
    while let Some(chunk) = stream.message().await.unwrap() {
        summary = summary.or(chunk.summary);
        bytes.extend(chunk.data);
    }
    (bytes, summary.unwrap())
}

async fn import(c: &Client, bytes: Vec<u8>, as_id: &str, head: &str) -> tonic::Status {
    match try_import(c, bytes, as_id, head).await {
        Ok(r) => panic!("imported: {r:?}"),
        Err(e) => e,
    }
}

async fn try_import(
    c: &Client,
    bytes: Vec<u8>,
    as_id: &str,
    head: &str,
) -> Result<pb::ImportOrganisationResponse, tonic::Status> {
    let mut messages = vec![pb::ImportOrganisationRequest {
        part: Some(pb::import_organisation_request::Part::Header(
            pb::ImportHeader {
                as_id: as_id.into(),
                expected_head: head.into(),
                size: bytes.len() as u64,
            },
        )),
    }];
    messages.extend(
        bytes
            .chunks(64 * 1024)
            .map(|c| pb::ImportOrganisationRequest {
                part: Some(pb::import_organisation_request::Part::Chunk(c.to_vec())),
            }),
    );
    c.orgs()
        .import_organisation(c.req(tokio_stream::iter(messages)))
        .await
        .map(|r| r.into_inner())
}

async fn organisations(op: &Client) -> Vec<pb::Organisation> {
    op.orgs()
        .list_organisations(op.req(pb::ListOrganisationsRequest {}))
        .await
        .unwrap()
        .into_inner()
        .organisations
}

fn edit(bytes: &[u8], change: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    change(&mut v);
    serde_json::to_vec(&v).unwrap()
}

#[tokio::test]
async fn a_tampered_bundle_is_refused_and_nothing_is_created() {
    let server = Server::memory();
    let (maria, bob, _) = organisation(&server, "acme").await;
    maria
        .assets()
        .create_asset(maria.req(asset_request(
            "Payroll database",
            "information-system",
            "bob",
        )))
        .await
        .unwrap();
    // Members do not export their organisation.
    let denied = bob
        .orgs()
        .export_organisation(bob.req(pb::ExportOrganisationRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let op = server.operator().await.in_org("acme");
    let (bytes, summary) = export(&op).await;
    assert_eq!(summary.size, bytes.len() as u64);

    let refusals = [
        (
            "a record changed",
            edit(&bytes, |v| {
                v["tables"]["asset"][0]["name"] = "Nothing to see".into();
            }),
            "",
            "changed after export",
        ),
        (
            "a record changed and the digest recomputed by hand",
            {
                // The digest recomputed exactly as the exporter computes it: the export event in
                // the trail still commits to the old one.
                let mut b: rampart_domain::bundle::Bundle = serde_json::from_slice(&bytes).unwrap();
                b.tables.get_mut("asset").unwrap()[0]["name"] = "Nothing to see".into();
                b.content_digest = rampart_domain::bundle::content_digest(
                    &b.organisation,
                    &b.framework,
                    &b.tables,
                );
                serde_json::to_vec(&b).unwrap()
            },
            "",
            "changed after export",
        ),
        (
            "an event removed",
            edit(&bytes, |v| {
                v["audit_events"].as_array_mut().unwrap().remove(0);
            }),
            "",
            "audit trail is broken",
        ),
        (
            "an event's actor changed",
            edit(&bytes, |v| {
                v["audit_events"][1]["actor"] = "user:mallory".into();
            }),
            "",
            "audit trail is broken",
        ),
        (
            "another head than the exporter's",
            bytes.clone(),
            &"f".repeat(64),
            "not the",
        ),
        (
            "not a bundle",
            b"{\"hello\": 1}".to_vec(),
            "",
            "not a readable",
        ),
    ];
    for (what, tampered, head, expected) in refusals {
        let e = import(&op, tampered, "copy", head).await;
        assert_eq!(e.code(), Code::InvalidArgument, "{what}: {e:?}");
        assert!(e.message().contains(expected), "{what}: {}", e.message());
    }
    let orgs = organisations(&op).await;
    assert_eq!(orgs.len(), 1, "nothing was created: {orgs:?}");

    // Members of an organisation do not import one; the operator does.
    let e = import(&maria, bytes.clone(), "copy", &summary.head).await;
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    let r = try_import(&op, bytes, "copy", &summary.head).await.unwrap();
    assert_eq!(r.organisation.unwrap().id, "copy");
    assert_eq!(r.events, summary.events + 1);
    let copy = server
        .client(&issue_token(&server, "copy", "maria").await, "")
        .await;
    assert!(verify(&copy).await.intact);
    let names: Vec<String> = copy
        .assets()
        .list_assets(copy.req(pb::ListAssetsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .assets
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["Payroll database"]);
}

/// Maria's internal document of `kind`, approved by Bob alone, reviewed yearly.
fn maria_document(kind: &str, title: &str) -> pb::DocumentFields {
    pb::DocumentFields {
        kind: kind.into(),
        title: title.into(),
        owner: "maria".into(),
        classification: "internal".into(),
        approvers: vec!["bob".into()],
        quorum: 1,
        review_period_months: 12,
        ..Default::default()
    }
}

/// On disk, attachment bytes are files: an export reads them into the bundle, an import into
/// another organisation writes files of its own, and the copy serves the same bytes.
#[tokio::test]
async fn a_bundle_carries_attachment_files_between_organisations_on_disk() {
    let server = Server::disk();
    let (maria, _, _) = organisation(&server, "acme").await;
    let d = maria
        .documents()
        .create_document(maria.req(pb::CreateDocumentRequest {
            id: "floor-plan".into(),
            fields: Some(maria_document("plan", "Server room floor plan")),
            content: "The drawing is attached.".into(),
            change_note: String::new(),
        }))
        .await
        .unwrap()
        .into_inner();
    let drawing: Vec<u8> = (0..600 * 1024u32).map(|i| (i % 251) as u8).collect();
    let pieces: Vec<Vec<u8>> = drawing.chunks(100 * 1024).map(<[u8]>::to_vec).collect();
    let d = crate::documents::upload(
        &maria,
        "floor-plan",
        d.revision,
        drawing.len() as u64,
        pieces.into_iter(),
    )
    .await
    .unwrap();
    let attachment = d.versions.last().unwrap().attachments[0].id.clone();

    let op = server.operator().await.in_org("acme");
    let (bundle, summary) = export(&op).await;
    try_import(&op, bundle, "copy", &summary.head)
        .await
        .unwrap();
    let files = Path::new(server.db.trim_start_matches("surrealkv://")).join("attachments");
    assert_eq!(
        std::fs::read(files.join("org_copy").join(&attachment)).unwrap(),
        drawing,
        "the copy has a file of its own"
    );
    let copy = server
        .client(&issue_token(&server, "copy", "maria").await, "")
        .await;
    let mut stream = copy
        .documents()
        .download_attachment(copy.req(pb::DownloadAttachmentRequest {
            document_id: "floor-plan".into(),
            version: 0,
            attachment_id: attachment,
        }))
        .await
        .unwrap()
        .into_inner();
    let mut downloaded = Vec::new();
    while let Some(part) = stream.message().await.unwrap() {
        downloaded.extend(part.data);
    }
    assert_eq!(downloaded, drawing);
    let v = copy
        .documents()
        .verify_documents(copy.req(pb::VerifyDocumentsRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert_eq!(
        (v.attachments, v.attachment_bytes),
        (1, drawing.len() as u64)
    );
}

/// The bundle as Rampart at schema 9 wrote it: each risk's assessments inside its record, no
/// `risk_assessment` table, sealed again with an export event of its own.
fn as_schema_9(bytes: &[u8]) -> (Vec<u8>, String) {
    use rampart_domain::audit::AuditEvent;
    use rampart_domain::bundle::{self, Bundle};
    let mut b: Bundle = serde_json::from_slice(bytes).unwrap();
    let appended = b.tables.remove("risk_assessment").unwrap_or_default();
    for row in b.tables.get_mut("risk").unwrap() {
        let mut state: serde_json::Value =
            serde_json::from_str(row["data"].as_str().unwrap()).unwrap();
        let mut history: Vec<&serde_json::Value> = appended
            .iter()
            .filter(|a| a["risk"] == state["id"] && a["residual"] == false)
            .collect();
        history.sort_by_key(|a| a["number"].as_u64());
        state["assessments"] = history
            .iter()
            .map(|a| {
                serde_json::from_str::<serde_json::Value>(a["data"].as_str().unwrap()).unwrap()
            })
            .collect();
        row["data"] = state.to_string().into();
    }
    // Documents and versions had typed fields until schema 13, and no published version's
    // number on the document row until 11.
    for row in b.tables.get_mut("document").into_iter().flatten() {
        let mut old: serde_json::Value =
            serde_json::from_str(row["data"].as_str().unwrap()).unwrap();
        old["newest_version"] = row["newest_version"].clone();
        *row = old;
    }
    for row in b.tables.get_mut("document_version").into_iter().flatten() {
        let mut old: serde_json::Value =
            serde_json::from_str(row["data"].as_str().unwrap()).unwrap();
        old["document"] = row["document"].clone();
        old["id"] = row["id"].clone();
        *row = old;
    }
    b.schema_version = 9;
    b.audit_events.pop();
    b.content_digest = bundle::content_digest(&b.organisation, &b.framework, &b.tables);
    let last = b.audit_events.last().unwrap();
    let export = AuditEvent::next(
        Some((last.seq, &last.hash)),
        "operator:root",
        bundle::EXPORT_OPERATION,
        &format!("organisation:{}", b.organisation.id),
        &bundle::export_state(&b.content_digest, "", b.records()),
        "2026-11-29T00:00:00.000000Z",
    );
    let head = export.hash.clone();
    b.audit_events.push(export);
    (serde_json::to_vec(&b).unwrap(), head)
}

#[tokio::test]
async fn a_bundle_from_an_older_schema_is_upgraded_on_import_and_a_newer_one_is_refused() {
    let server = Server::with_plugins();
    let (maria, bob, _) = organisation(&server, "acme").await;
    let asset = maria
        .assets()
        .create_asset(maria.req(asset_request(
            "Payroll database",
            "information-system",
            "bob",
        )))
        .await
        .unwrap()
        .into_inner()
        .id;
    maria
        .risks()
        .create_risk(maria.req(pb::CreateRiskRequest {
            id: "payroll-leak".into(),
            fields: Some(pb::RiskFields {
                title: "Payroll data leaks".into(),
                description: String::new(),
                assets: vec![asset],
                threat: "data theft".into(),
                vulnerability: String::new(),
                owner: "maria".into(),
            }),
            ..Default::default()
        }))
        .await
        .unwrap();
    let number = |name: &str, n: f64| pb::Input {
        name: name.into(),
        value: Some(pb::input::Value::Number(n)),
    };
    let assessed = maria
        .risks()
        .assess_risk(maria.req(pb::AssessRiskRequest {
            id: "payroll-leak".into(),
            expected_revision: 1,
            inputs: vec![number("likelihood", 4.0), number("impact", 5.0)],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    // A document with a published version and a newer draft.
    let create = |id: &str, content: &str| pb::CreateDocumentRequest {
        id: id.into(),
        fields: Some(maria_document("policy", "Payroll access")),
        content: content.into(),
        change_note: String::new(),
    };
    let mut docs = maria.documents();
    let d = docs
        .create_document(maria.req(create("payroll-access", "Only payroll staff.")))
        .await
        .unwrap()
        .into_inner();
    let step = |v: u32, revision: u64| step("payroll-access", v, revision);
    let d = docs
        .submit_document(maria.req(step(1, d.revision)))
        .await
        .unwrap()
        .into_inner();
    let d = bob
        .documents()
        .approve_document(bob.req(step(1, d.revision)))
        .await
        .unwrap()
        .into_inner();
    let d = docs
        .publish_document(maria.req(step(1, d.revision)))
        .await
        .unwrap()
        .into_inner();
    docs.revise_document(maria.req(pb::ReviseDocumentRequest {
        id: "payroll-access".into(),
        expected_revision: d.revision,
        content: "Only payroll staff, reviewed yearly.".into(),
        change_note: "Yearly review".into(),
    }))
    .await
    .unwrap();
    let read_document = |c: &Client| {
        let c = c.clone();
        async move {
            c.documents()
                .get_document(c.req(pb::GetDocumentRequest {
                    id: "payroll-access".into(),
                    version: 0,
                }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let document = read_document(&maria).await;
    let op = server.operator().await.in_org("acme");
    let (bytes, _) = export(&op).await;

    // Schema 9 kept the assessment inside the risk's record; importing it now moves it out.
    let (old, head) = as_schema_9(&bytes);
    assert!(!String::from_utf8_lossy(&old).contains("risk_assessment"));
    try_import(&op, old, "moved", &head).await.unwrap();
    let moved = server
        .client(&issue_token(&server, "moved", "maria").await, "moved")
        .await;
    let risk = moved
        .risks()
        .get_risk(moved.req(pb::GetRiskRequest {
            id: "payroll-leak".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(risk.assessments, assessed.assessments);
    assert_eq!(risk.revision, assessed.revision);
    let v = verify(&moved).await;
    assert!(v.intact, "{}", v.reason);
    // The document's rows take today's shape, the published version found again by its status.
    let read = read_document(&moved).await;
    assert_eq!(read, document);
    assert_eq!(read.document.unwrap().versions.len(), 2);
    // A list shows the versions in force, found by the numbers migration 11 put on the row.
    let list = |c: &Client| {
        let c = c.clone();
        async move {
            c.documents()
                .list_documents(c.req(pb::ListDocumentsRequest::default()))
                .await
                .unwrap()
                .into_inner()
                .documents
        }
    };
    let listed = list(&moved).await;
    assert_eq!(listed, list(&maria).await);
    assert_eq!(listed[0].published_version, 1);
    // Assessing after the move takes the next place in the history.
    let again = moved
        .risks()
        .assess_risk(moved.req(pb::AssessRiskRequest {
            id: "payroll-leak".into(),
            expected_revision: risk.revision,
            inputs: vec![number("likelihood", 2.0), number("impact", 5.0)],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.assessments.len(), 2);

    // A bundle from a newer Rampart is refused, and nothing is created.
    let newer = edit(&bytes, |v| v["schema_version"] = 99.into());
    let e = import(&op, newer, "future", "").await;
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(e.message().contains("at least as new"), "{}", e.message());
    let orgs = organisations(&op).await;
    assert_eq!(orgs.len(), 2, "acme and moved: {orgs:?}");
}
