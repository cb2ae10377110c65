//! Moving an organisation: the example organisation exported with the CLI and imported into a
//! fresh server, where the chain verifies and the same questions get the same answers; tampered
//! bundles are refused and change nothing; a selective export carries one framework's work.

use std::path::Path;

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::example::{cli, example_server, token};
use crate::harness::{Client, OPERATOR_TOKEN, Server, asset_request, organisation};

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
    let orgs = op
        .orgs()
        .list_organisations(op.req(pb::ListOrganisationsRequest {}))
        .await
        .unwrap()
        .into_inner()
        .organisations;
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
