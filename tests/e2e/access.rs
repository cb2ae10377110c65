//! Access control as code through the real gRPC server: need-to-know by clearance and
//! distribution, drafts, segregation of duties, auditors, isolation, handling rules by channel,
//! time-boxed grants before and after expiry, lists that never show or count what the caller
//! may not read, and policy management (refused replacements, a replacement that changes
//! decisions at once, rollback, dry runs with reasons).

use std::time::Duration;

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::harness::{
    self, Client, Server, add_user, add_user_cleared, organisation, policies, step,
};

/// Asserts a PERMISSION_DENIED naming exactly `expected` (comma-separated; "" = no policy
/// permits it).
fn denied<T: std::fmt::Debug>(r: Result<T, tonic::Status>, expected: &str, what: &str) {
    let e = r.expect_err(what);
    assert_eq!(e.code(), Code::PermissionDenied, "{what}: {e:?}");
    assert_eq!(policies(&e), expected, "{what}: {}", e.message());
    if expected.is_empty() {
        assert!(
            e.message().contains("no policy permits it"),
            "{what}: {}",
            e.message()
        );
    }
}

fn doc_fields(
    owner: &str,
    level: &str,
    approvers: &[&str],
    departments: &[&str],
) -> pb::DocumentFields {
    pb::DocumentFields {
        kind: "policy".into(),
        title: format!("{level} document of {owner}"),
        owner: owner.into(),
        classification: level.into(),
        requirements: vec![],
        reviewers: vec![],
        approvers: approvers.iter().map(|s| s.to_string()).collect(),
        quorum: 1,
        distribution: Some(pb::Distribution {
            departments: departments.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }),
        review_period_months: 12,
        retention: None,
    }
}

/// Creates a document by `author` and, if `publish`, takes it through review, approval by
/// `approver` and publication by `author` (`harness::publish_new`).
async fn document(
    author: &Client,
    approver: &Client,
    id: &str,
    fields: pb::DocumentFields,
    publish: bool,
) -> pb::Document {
    let content = format!("# {id}\n\nThe rules.\n");
    if publish {
        return harness::publish_new(author, approver, id, fields, &content).await;
    }
    author
        .documents()
        .create_document(author.req(pb::CreateDocumentRequest {
            id: id.into(),
            fields: Some(fields),
            content,
            change_note: String::new(),
        }))
        .await
        .unwrap()
        .into_inner()
}

fn get(id: &str) -> pb::GetDocumentRequest {
    pb::GetDocumentRequest {
        id: id.into(),
        version: 0,
    }
}

fn handling(channel: &str, medium: &str, encrypted: bool, receipt: bool) -> Option<pb::Handling> {
    Some(pb::Handling {
        channel: channel.into(),
        medium: medium.into(),
        encrypted,
        return_receipt: receipt,
    })
}

async fn export(c: &Client, id: &str, h: Option<pb::Handling>) -> Result<usize, tonic::Status> {
    let mut stream = c
        .documents()
        .export_document(c.req(pb::ExportDocumentRequest {
            id: id.into(),
            version: 0,
            format: "markdown".into(),
            handling: h,
        }))
        .await?
        .into_inner();
    let mut n = 0;
    while let Some(part) = stream.message().await? {
        n += part.data.len();
    }
    Ok(n)
}

async fn transfer(
    c: &Client,
    id: &str,
    h: Option<pb::Handling>,
) -> Result<pb::Transfer, tonic::Status> {
    c.documents()
        .transfer_document(c.req(pb::TransferDocumentRequest {
            id: id.into(),
            version: 0,
            handling: h,
            recipient: "Auditors Ltd".into(),
            note: String::new(),
        }))
        .await
        .map(|r| r.into_inner())
}

async fn list_ids(c: &Client, page_size: u32) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut token = String::new();
    loop {
        let r = c
            .documents()
            .list_documents(c.req(pb::ListDocumentsRequest {
                owner: String::new(),
                kind: String::new(),
                page_size,
                page_token: token.clone(),
            }))
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(
            !r.documents.is_empty() || ids.is_empty(),
            "an empty page after {ids:?}"
        );
        ids.extend(r.documents.into_iter().map(|d| d.id));
        if r.next_page_token.is_empty() {
            break;
        }
        token = r.next_page_token;
    }
    (ids, pages)
}

#[tokio::test]
async fn cedar_decides_every_access_through_the_server() {
    let server = Server::memory();
    let (maria, bob, dana) = organisation(&server, "acme").await;
    let ann = add_user(&server, "acme", "ann", &["employee"], "Ops", "Engineer").await;
    let root = add_user(&server, "acme", "root", &["admin"], "IT", "Administrator").await;
    let nick = add_user(
        &server,
        "acme",
        "nick",
        &["employee"],
        "Facilities",
        "Caretaker",
    )
    .await;
    let sam = add_user_cleared(
        &server,
        "acme",
        "sam",
        &["employee"],
        "Sales",
        "Account manager",
        "internal",
    )
    .await;
    let (_, _, _) = organisation(&server, "globex").await;
    let mallory = add_user(&server, "globex", "mallory", &["admin"], "IT", "Admin").await;
    let mallory = mallory.in_org("acme");

    document(
        &maria,
        &ann,
        "isp",
        doc_fields("maria", "internal", &["ann"], &["Sales", "Ops"]),
        true,
    )
    .await;
    document(
        &maria,
        &ann,
        "payroll",
        doc_fields("maria", "restricted", &["ann"], &["Sales", "Ops"]),
        true,
    )
    .await;
    document(
        &bob,
        &ann,
        "keys",
        doc_fields("bob", "confidential", &["ann"], &["Ops"]),
        true,
    )
    .await;
    let plan = document(
        &maria,
        &ann,
        "plan",
        doc_fields("maria", "internal", &["ann", "maria"], &["Sales"]),
        false,
    )
    .await;

    // 1–4. Need-to-know: the distribution list and the clearance.
    sam.documents()
        .get_document(sam.req(get("isp")))
        .await
        .expect("1. sam reads isp");
    denied(
        nick.documents().get_document(nick.req(get("isp"))).await,
        "",
        "2. nick is not on the list",
    );
    denied(
        sam.documents().get_document(sam.req(get("payroll"))).await,
        "clearance",
        "3. sam's clearance is below restricted",
    );
    ann.documents()
        .get_document(ann.req(get("payroll")))
        .await
        .expect("4. ann is cleared and on the list");
    // 5. Acknowledgement follows the same rules.
    sam.documents()
        .acknowledge_document(sam.req(pb::AcknowledgeDocumentRequest { id: "isp".into() }))
        .await
        .expect("5. sam acknowledges isp");
    denied(
        sam.documents()
            .acknowledge_document(sam.req(pb::AcknowledgeDocumentRequest {
                id: "payroll".into(),
            }))
            .await,
        "clearance",
        "6. sam cannot acknowledge what they may not read",
    );

    // 7–8. Drafts are visible only to their participants.
    denied(
        sam.documents().get_document(sam.req(get("plan"))).await,
        "drafts-need-participation",
        "7. sam does not see a draft",
    );
    ann.documents()
        .get_document(ann.req(get("plan")))
        .await
        .expect("8. the approver reads the draft");

    // 9–11. Segregation of duties.
    let plan = maria
        .documents()
        .submit_document(maria.req(step("plan", 1, plan.revision)))
        .await
        .unwrap()
        .into_inner();
    denied(
        maria
            .documents()
            .approve_document(maria.req(step("plan", 1, plan.revision)))
            .await,
        "no-self-approval",
        "9. maria approves her own version",
    );
    denied(
        root.documents()
            .approve_document(root.req(step("plan", 1, plan.revision)))
            .await,
        "only-named-approvers",
        "10. an administrator is not a named approver",
    );
    ann.documents()
        .approve_document(ann.req(step("plan", 1, plan.revision)))
        .await
        .expect("11. a named approver approves");

    // 12. Isolation between organisations.
    denied(
        mallory
            .documents()
            .get_document(mallory.req(get("isp")))
            .await,
        "organisation-isolation",
        "12. another organisation's administrator",
    );

    // 13–15. Auditors read and change nothing.
    dana.documents()
        .get_document(dana.req(get("isp")))
        .await
        .expect("13. the auditor reads isp");
    dana.audit()
        .list_events(dana.req(pb::ListEventsRequest {
            after_seq: 0,
            entity: String::new(),
            page_size: 5,
        }))
        .await
        .expect("14. the auditor reads the audit trail");
    let isp = maria
        .documents()
        .get_document(maria.req(get("isp")))
        .await
        .unwrap()
        .into_inner();
    let isp_doc = isp.document.unwrap();
    denied(
        dana.documents()
            .update_document(dana.req(pb::UpdateDocumentRequest {
                id: "isp".into(),
                expected_revision: isp_doc.revision,
                fields: Some(doc_fields("maria", "internal", &["ann"], &["Sales"])),
            }))
            .await,
        "auditors-change-nothing",
        "15. the auditor edits a document",
    );

    // 16–22. Handling rules by channel.
    export(&bob, "keys", None)
        .await
        .expect("16. the owner downloads a confidential document");
    denied(
        export(&bob, "keys", handling("email", "", false, false)).await,
        "handling-confidential-email-encrypted",
        "17. confidential by email, unencrypted",
    );
    export(&bob, "keys", handling("email", "", true, false))
        .await
        .expect("18. confidential by email, encrypted");
    denied(
        export(&bob, "keys", handling("print", "", false, false)).await,
        "handling-confidential-no-print",
        "19. printing a confidential document",
    );
    denied(
        transfer(
            &maria,
            "keys",
            handling("transfer-outside", "electronic", true, false),
        )
        .await,
        "handling-confidential-outside-owner-only",
        "20. the ISMS manager sends a confidential document outside",
    );
    denied(
        transfer(
            &maria,
            "payroll",
            handling("transfer-outside", "paper", false, false),
        )
        .await,
        "handling-restricted-paper-return-receipt",
        "21. restricted paper outside without a return receipt",
    );
    let t = transfer(
        &maria,
        "payroll",
        handling("transfer-outside", "paper", false, true),
    )
    .await
    .expect("22. restricted paper outside with a return receipt");
    assert_eq!(
        (t.channel.as_str(), t.return_receipt),
        ("transfer-outside", true)
    );
    let events = maria
        .audit()
        .list_events(maria.req(pb::ListEventsRequest {
            after_seq: 0,
            entity: "document:payroll".into(),
            page_size: 100,
        }))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(
        events.iter().any(|e| e.operation == "document.transfer"),
        "the transfer is on the audit trail"
    );
    let e = transfer(
        &maria,
        "payroll",
        handling("carrier-pigeon", "paper", false, true),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.code(),
        Code::InvalidArgument,
        "23. an unknown channel is refused: {e:?}"
    );

    // 24–26. Lists never include, nor count, what the caller may not read; no empty pages.
    let (ids, _) = list_ids(&sam, 100).await;
    assert_eq!(ids, vec!["isp"], "24. sam lists only isp");
    let (ids, pages) = list_ids(&ann, 1).await;
    assert_eq!(
        ids,
        vec!["isp", "keys", "payroll", "plan"],
        "25. ann, one per page"
    );
    assert_eq!(pages, 4, "26. no empty trailing page");
}

#[tokio::test]
async fn grants_hold_until_their_end_date_and_can_be_revoked() {
    let server = Server::memory();
    let (maria, _bob, _dana) = organisation(&server, "acme").await;
    let ann = add_user(&server, "acme", "ann", &["employee"], "Ops", "Engineer").await;
    let ext = add_user(&server, "acme", "ext", &["external"], "External", "Auditor").await;
    let bob = add_user(&server, "acme", "bobby", &["employee"], "Ops", "Engineer").await;
    document(
        &maria,
        &ann,
        "isp",
        doc_fields("maria", "internal", &["ann"], &["Ops"]),
        true,
    )
    .await;

    denied(
        ext.documents().get_document(ext.req(get("isp"))).await,
        "",
        "27. no grant yet",
    );
    // 28. Only administrators grant.
    let create = |until: String| pb::CreateGrantRequest {
        template: "external-auditor".into(),
        user: "ext".into(),
        target: "organisation".into(),
        until,
        note: "ISO 27001 stage 2 audit".into(),
    };
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::seconds(8))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    denied(
        bob.policies()
            .create_grant(bob.req(create(soon.clone())))
            .await,
        "",
        "28. an employee grants",
    );
    let op = server.operator().await.in_org("acme");
    let g = op
        .policies()
        .create_grant(op.req(create(soon)))
        .await
        .unwrap()
        .into_inner();
    // 29. While it holds, the grant decides.
    ext.documents()
        .get_document(ext.req(get("isp")))
        .await
        .expect("29. the grant holds");
    let r = op
        .policies()
        .explain_decision(op.req(pb::ExplainDecisionRequest {
            user: "ext".into(),
            action: "document.read".into(),
            resource: "document:isp".into(),
            handling: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        r.allowed && r.policies == vec![g.id.clone()],
        "30. explained by the grant: {r:?}"
    );
    // 31. After the end date it decides nothing.
    tokio::time::sleep(Duration::from_secs(9)).await;
    denied(
        ext.documents().get_document(ext.req(get("isp"))).await,
        "",
        "31. the grant has ended",
    );

    // 32. A revoked grant stops at once.
    let later = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let g = op
        .policies()
        .create_grant(op.req(create(later)))
        .await
        .unwrap()
        .into_inner();
    ext.documents()
        .get_document(ext.req(get("isp")))
        .await
        .expect("the new grant holds");
    op.policies()
        .revoke_grant(op.req(pb::RevokeGrantRequest { id: g.id.clone() }))
        .await
        .unwrap();
    denied(
        ext.documents().get_document(ext.req(get("isp"))).await,
        "",
        "32. revoked",
    );
    let grants = op
        .policies()
        .list_grants(op.req(pb::ListGrantsRequest {}))
        .await
        .unwrap()
        .into_inner()
        .grants;
    assert_eq!(grants.len(), 2);
    assert!(grants.iter().all(|g| g.template == "external-auditor"));
    // 33. A grant needs an end date to come and a template that exists.
    let mut bad = create("2020-01-01T00:00:00Z".into());
    let e = op
        .policies()
        .create_grant(op.req(bad.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "33. in the past: {e:?}");
    bad.until = "2099-01-01T00:00:00Z".into();
    bad.template = "everything".into();
    let e = op.policies().create_grant(op.req(bad)).await.unwrap_err();
    assert!(
        e.message().contains("external-auditor"),
        "34. the templates are named: {}",
        e.message()
    );
}

fn files_of(v: &[pb::PolicyFile]) -> Vec<pb::PolicyFile> {
    v.to_vec()
}

#[tokio::test]
async fn policy_sets_are_replaced_only_when_valid_and_tested_and_roll_back() {
    let server = Server::memory();
    let (maria, _bob, _dana) = organisation(&server, "acme").await;
    let ann = add_user(&server, "acme", "ann", &["employee"], "Ops", "Engineer").await;
    let nick = add_user(
        &server,
        "acme",
        "nick",
        &["employee"],
        "Facilities",
        "Caretaker",
    )
    .await;
    let root = add_user(&server, "acme", "root", &["admin"], "IT", "Administrator").await;
    document(
        &maria,
        &ann,
        "isp",
        doc_fields("maria", "internal", &["ann"], &["Ops"]),
        true,
    )
    .await;
    let p = root.policies();
    let current = p
        .clone()
        .get_policies(root.req(pb::GetPoliciesRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(current.version, 0);
    assert!(current.templates.contains(&"external-auditor".to_string()));
    assert!(
        current
            .platform
            .iter()
            .any(|f| f.name.contains("organisation-isolation"))
    );

    // 35. Only administrators replace policies.
    denied(
        maria
            .policies()
            .replace_policies(maria.req(pb::ReplacePoliciesRequest {
                files: files_of(&current.files),
                tests: files_of(&current.tests),
                note: String::new(),
                expected_version: 0,
            }))
            .await,
        "",
        "35. the ISMS manager replaces the policies",
    );

    // 36. A set that does not validate is refused with file, line and column; nothing changes.
    let mut broken = files_of(&current.files);
    broken.push(pb::PolicyFile {
        name: "mine.cedar".into(),
        text: "// mine\n@id(\"typo\")\npermit (principal, action, resource is Rampart::Document)\nwhen { resource.ownr == principal };\n".into(),
    });
    let e = p
        .clone()
        .replace_policies(root.req(pb::ReplacePoliciesRequest {
            files: broken.clone(),
            tests: files_of(&current.tests),
            note: String::new(),
            expected_version: 0,
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("mine.cedar:4:"),
        "36. placed: {}",
        e.message()
    );
    let check = p
        .clone()
        .check_policies(root.req(pb::CheckPoliciesRequest {
            files: broken,
            tests: files_of(&current.tests),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(!check.passed);
    assert_eq!(
        (check.problems[0].file.as_str(), check.problems[0].line),
        ("mine.cedar", 4)
    );

    // 37. A valid set whose tests fail is refused; nothing changes.
    let mut open = files_of(&current.files);
    open.push(pb::PolicyFile {
        name: "everyone-reads-internal.cedar".into(),
        text: "// Facilities staff read published internal documents.\n@id(\"everyone-reads-internal\")\npermit (principal in Rampart::Department::\"Facilities\", action == Rampart::Action::\"document.read\", resource is Rampart::Document)\nwhen { resource.classification == \"internal\" && resource.status == \"published\" };\n".into(),
    });
    let e = p
        .clone()
        .replace_policies(root.req(pb::ReplacePoliciesRequest {
            files: open.clone(),
            tests: files_of(&current.tests),
            note: String::new(),
            expected_version: 0,
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(
        e.message().contains("someone not on the distribution list"),
        "37. {}",
        e.message()
    );
    denied(
        nick.documents().get_document(nick.req(get("isp"))).await,
        "",
        "38. the old set is in force",
    );

    // 39. The same change with its tests updated is accepted and decides at once.
    let tests: Vec<pb::PolicyFile> = current
        .tests
        .iter()
        .map(|t| {
            let mut t = t.clone();
            if t.name == "tests/documents.toml" {
                let before = t.text.clone();
                t.text = t.text.replace(
                    "name = \"someone not on the distribution list does not read it\"\nprincipal = \"nick\"\naction = \"document.read\"\nresource = \"document:isp\"\nexpect = \"deny\"\npolicies = []",
                    "name = \"everyone reads published internal documents\"\nprincipal = \"nick\"\naction = \"document.read\"\nresource = \"document:isp\"\nexpect = \"allow\"\npolicies = [\"everyone-reads-internal\"]",
                );
                assert_ne!(before, t.text, "the case to change is in the default tests");
            }
            t
        })
        .collect();
    let v1 = p
        .clone()
        .replace_policies(root.req(pb::ReplacePoliciesRequest {
            files: open,
            tests,
            note: "open internal documents".into(),
            expected_version: 0,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v1.version, 1);
    nick.documents()
        .get_document(nick.req(get("isp")))
        .await
        .expect("39. nick reads at once");
    // 40. A stale expected version is ABORTED.
    let e = p
        .clone()
        .rollback_policies(root.req(pb::RollbackPoliciesRequest {
            to_version: 0,
            expected_version: 0,
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Aborted);
    // 41. Rolling back restores the decisions.
    let v2 = p
        .clone()
        .rollback_policies(root.req(pb::RollbackPoliciesRequest {
            to_version: 0,
            expected_version: 1,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((v2.version, v2.note.as_str()), (2, "rollback to version 0"));
    denied(
        nick.documents().get_document(nick.req(get("isp"))).await,
        "",
        "41. rolled back",
    );
    let history = p
        .clone()
        .list_policy_versions(root.req(pb::ListPolicyVersionsRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        history
            .versions
            .iter()
            .map(|v| v.version)
            .collect::<Vec<_>>(),
        vec![2, 1, 0]
    );
    // 42. Each version is on the audit trail.
    let events = root
        .audit()
        .list_events(root.req(pb::ListEventsRequest {
            after_seq: 0,
            entity: String::new(),
            page_size: 1000,
        }))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(
        events
            .iter()
            .filter(|e| e.operation == "policy.replace")
            .count(),
        2
    );

    // 43–45. Dry runs: why, what may P do, who may read.
    let why = p
        .clone()
        .explain_decision(root.req(pb::ExplainDecisionRequest {
            user: "nick".into(),
            action: "document.read".into(),
            resource: "document:isp".into(),
            handling: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        !why.allowed && why.reason == "no policy permits it",
        "43. {why:?}"
    );
    let can = p
        .clone()
        .list_permissions(root.req(pb::ListPermissionsRequest {
            user: "ann".into(),
            resource: "document:isp".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    // The policies let a named approver approve; the workflow refuses it once published.
    assert_eq!(
        can.actions,
        vec![
            "document.acknowledge",
            "document.approve",
            "document.read",
            "document.reject"
        ],
        "44. ann on isp"
    );
    let who = p
        .clone()
        .who_may(root.req(pb::WhoMayRequest {
            action: String::new(),
            resource: "document:isp".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(who.action, "document.read");
    let users: Vec<&str> = who.users.iter().map(|u| u.user.as_str()).collect();
    assert!(
        users.contains(&"ann") && users.contains(&"maria") && !users.contains(&"nick"),
        "45. {users:?}"
    );
}

/// The filter behind a list keys the users a document names by their relation to the reader
/// (docs/policies.md#lists): drafts alike but for who owns, wrote or approves them are still
/// shown only to the people they name, each reader seeing their own.
#[tokio::test]
async fn a_list_shows_each_reader_the_drafts_that_name_them_among_alike_drafts_of_others() {
    let server = Server::memory();
    let (maria, bob, _dana) = organisation(&server, "acme").await;
    let ann = add_user(&server, "acme", "ann", &["employee"], "Ops", "Engineer").await;
    let carl = add_user(&server, "acme", "carl", &["employee"], "Ops", "Engineer").await;
    let fields = |owner: &str, approver: &str| doc_fields(owner, "internal", &[approver], &["Ops"]);
    document(&bob, &maria, "bob-draft", fields("bob", "maria"), false).await;
    document(&ann, &maria, "ann-draft", fields("ann", "maria"), false).await;
    document(&carl, &maria, "carl-draft", fields("carl", "maria"), false).await;
    document(
        &bob,
        &maria,
        "bob-draft-ann-approves",
        fields("bob", "ann"),
        false,
    )
    .await;
    document(&carl, &maria, "published", fields("carl", "maria"), true).await;

    let (ids, _) = list_ids(&bob, 100).await;
    assert_eq!(ids, ["bob-draft", "bob-draft-ann-approves", "published"]);
    let (ids, _) = list_ids(&ann, 100).await;
    assert_eq!(ids, ["ann-draft", "bob-draft-ann-approves", "published"]);
    let (ids, _) = list_ids(&carl, 100).await;
    assert_eq!(ids, ["carl-draft", "published"]);
}
