//! Operating the ISMS over gRPC: tasks given by people and by the engine, across simulated years
//! on a server whose clock the test moves (no sleeping), and the implementation estimate.

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::harness::{
    Client, Server, add_user, asset_request, number, organisation, policies, publish_new,
};

async fn advance(op: &Client, days: u32) -> pb::Clock {
    op.clock()
        .advance_clock(op.req(pb::AdvanceClockRequest { days }))
        .await
        .unwrap()
        .into_inner()
}

async fn tasks(c: &Client, view: &str, closed: bool) -> Vec<pb::Task> {
    c.tasks()
        .list_tasks(c.req(pb::ListTasksRequest {
            view: view.into(),
            include_closed: closed,
            assignee: String::new(),
        }))
        .await
        .unwrap()
        .into_inner()
        .tasks
}

fn link(t: &pb::Task) -> String {
    t.fields
        .as_ref()
        .and_then(|f| f.link.as_ref())
        .map(|l| format!("{}:{}", l.kind, l.id))
        .unwrap_or_default()
}

fn due(t: &pb::Task) -> String {
    t.fields.as_ref().unwrap().due[..10].to_string()
}

async fn install_iso27001(c: &Client) {
    c.frameworks()
        .install_framework(c.req(pb::InstallFrameworkRequest {
            framework: "iso27001-2022".into(),
            ..Default::default()
        }))
        .await
        .unwrap();
}

async fn project(c: &Client) -> pb::ImplementationProject {
    c.implementation()
        .get_implementation_project(c.req(pb::GetImplementationProjectRequest {
            framework: "iso27001-2022".into(),
        }))
        .await
        .unwrap()
        .into_inner()
}

/// One step of the ISO/IEC 27001 checklist as it stands now.
async fn project_step(c: &Client, order: u32) -> pb::ImplementationStep {
    project(c)
        .await
        .steps
        .into_iter()
        .find(|s| s.order == order)
        .unwrap()
}

/// Creates, approves and publishes a document owned by `owner` with a 12-month review period.
async fn published_document(maria: &Client, bob: &Client, id: &str, owner: &str) {
    published(maria, bob, id, owner, "Access control policy", &[]).await
}

/// [`published_document`] with a title and the requirements it satisfies.
async fn published(
    maria: &Client,
    bob: &Client,
    id: &str,
    owner: &str,
    title: &str,
    requirements: &[&str],
) {
    published_to(maria, bob, id, owner, title, requirements, None).await
}

/// [`published`] distributed to `distribution` (who may then acknowledge it).
async fn published_to(
    maria: &Client,
    bob: &Client,
    id: &str,
    owner: &str,
    title: &str,
    requirements: &[&str],
    distribution: Option<pb::Distribution>,
) {
    let fields = pb::DocumentFields {
        kind: "policy".into(),
        title: title.into(),
        owner: owner.into(),
        classification: "internal".into(),
        requirements: requirements.iter().map(|r| r.to_string()).collect(),
        reviewers: vec![],
        approvers: vec!["bob".into()],
        quorum: 1,
        distribution,
        review_period_months: 12,
        retention: None,
    };
    publish_new(maria, bob, id, fields, "Access is granted by need to know.").await;
}

#[tokio::test]
async fn what_falls_due_becomes_a_task_for_its_owner_once() {
    let server = Server::with_simulated_clock();
    let op = server.operator().await;
    let (maria, bob, _dana) = organisation(&server, "acme").await;
    let sam = add_user(&server, "acme", "sam", &["employee"], "Ops", "Engineer").await;
    published_document(&maria, &bob, "access-control", "sam").await;

    // A risk owned by bob, assessed today.
    let asset = maria
        .assets()
        .create_asset(maria.req(asset_request("File server", "information-system", "bob")))
        .await
        .unwrap()
        .into_inner();
    let r = maria
        .risks()
        .create_risk(maria.req(pb::CreateRiskRequest {
            id: "ransomware".into(),
            fields: Some(pb::RiskFields {
                title: "Ransomware on the file server".into(),
                description: String::new(),
                assets: vec![asset.id.clone()],
                threat: "iso27001-2022:G 0.39".into(),
                vulnerability: "V-no-offline-backup".into(),
                owner: "bob".into(),
            }),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    maria
        .risks()
        .assess_risk(maria.req(pb::AssessRiskRequest {
            id: "ransomware".into(),
            expected_revision: r.revision,
            inputs: vec![number("likelihood", 4.0), number("impact", 5.0)],
            residual: false,
            ..Default::default()
        }))
        .await
        .unwrap();

    // Nothing is due yet.
    let g = maria
        .tasks()
        .generate_tasks(maria.req(pb::GenerateTasksRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(g.created.is_empty() && g.fell_due.is_empty(), "{g:?}");
    assert!(tasks(&sam, "mine", false).await.is_empty());

    // Thirteen months later the review date and the reassessment date have passed.
    let before = op
        .audit()
        .list_events(op.in_org("acme").req(pb::ListEventsRequest {
            after_seq: 0,
            entity: String::new(),
            page_size: 1000,
        }))
        .await
        .unwrap()
        .into_inner()
        .events
        .last()
        .map(|e| e.seq)
        .unwrap();
    let clock = advance(&op, 396).await;
    assert!(clock.simulated && clock.offset_seconds >= 396 * 86_400);

    let mine = tasks(&sam, "mine", false).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    let review = &mine[0];
    assert_eq!(link(review), "document:access-control");
    assert_eq!(review.origin, "document-review");
    assert_eq!(review.given_by, "system");
    assert!(review.overdue && !review.fell_due_at.is_empty());
    let bobs = tasks(&bob, "mine", false).await;
    assert_eq!(
        bobs.iter().map(link).collect::<Vec<_>>(),
        ["risk:ransomware"]
    );
    assert_eq!(bobs[0].origin, "risk-reassessment");

    // Generating again creates nothing twice.
    let g = maria
        .tasks()
        .generate_tasks(maria.req(pb::GenerateTasksRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(g.created.is_empty() && g.fell_due.is_empty(), "{g:?}");
    assert_eq!(tasks(&maria, "all", true).await.len(), 2);

    // Integrators see the tasks created and falling due in the audit stream.
    let events = op
        .audit()
        .list_events(op.in_org("acme").req(pb::ListEventsRequest {
            after_seq: before,
            entity: String::new(),
            page_size: 1000,
        }))
        .await
        .unwrap()
        .into_inner()
        .events;
    let ops: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.operation.clone(), e.actor.clone()))
        .collect();
    assert_eq!(
        ops.iter()
            .filter(|(o, a)| o == "task.create" && a == "system")
            .count(),
        2,
        "{ops:?}"
    );
    assert_eq!(
        ops.iter().filter(|(o, _)| o == "task.due").count(),
        2,
        "{ops:?}"
    );
    let chain = op
        .audit()
        .verify_chain(
            op.in_org("acme")
                .req(pb::VerifyChainRequest { system: false }),
        )
        .await
        .unwrap()
        .into_inner();
    assert!(chain.intact, "{chain:?}");

    // Only the assignee (or whoever gave it) completes a task; the review is sam's.
    let denied = bob
        .tasks()
        .complete_task(bob.req(pb::CompleteTaskRequest {
            id: review.id.clone(),
            expected_revision: review.revision,
            note: String::new(),
        }))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let done = sam
        .tasks()
        .complete_task(sam.req(pb::CompleteTaskRequest {
            id: review.id.clone(),
            expected_revision: review.revision,
            note: "reviewed, no change".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.task.unwrap().status, "done");
    assert!(done.next.is_none());
    assert!(tasks(&sam, "mine", false).await.is_empty());
}

#[tokio::test]
async fn a_recurring_task_comes_back_every_year_across_simulated_years() {
    let server = Server::with_simulated_clock();
    let op = server.operator().await;
    let (maria, bob, _dana) = organisation(&server, "acme").await;
    let now = op
        .clock()
        .get_clock(op.req(pb::GetClockRequest {}))
        .await
        .unwrap()
        .into_inner()
        .now;
    let year: i32 = now[..4].parse().unwrap();
    let first_due = format!("{}-01-31", year + 1);
    let t = maria
        .tasks()
        .create_task(maria.req(pb::CreateTaskRequest {
            id: "access-review".into(),
            fields: Some(pb::TaskFields {
                title: "Review user access rights".into(),
                description: "A.5.18".into(),
                assignee: "bob".into(),
                due: first_due.clone(),
                recurrence_months: 12,
                link: Some(pb::TaskLink {
                    kind: "control".into(),
                    id: "iso27001:A.5.18".into(),
                }),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tasks(&maria, "given", false).await.len(), 1);
    assert!(tasks(&maria, "overdue", false).await.is_empty());

    // Year after year: the task falls due, bob completes it, the next one is due a year later.
    let mut current = t;
    for k in 0..3 {
        advance(&op, 400).await;
        let overdue = tasks(&maria, "overdue", false).await;
        assert_eq!(
            overdue.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
            [current.id.clone()]
        );
        let seen = tasks(&bob, "mine", false).await.remove(0);
        assert!(!seen.fell_due_at.is_empty(), "marked when it fell due");
        let done = bob
            .tasks()
            .complete_task(bob.req(pb::CompleteTaskRequest {
                id: seen.id.clone(),
                expected_revision: seen.revision,
                note: format!("year {k}"),
            }))
            .await
            .unwrap()
            .into_inner();
        let next = done.next.expect("a recurring task comes back");
        // On its cycle (31 January), not a year after the late completion.
        assert_eq!(due(&next), format!("{}-01-31", year + 2 + k));
        assert_eq!(next.previous, seen.id);
        assert_eq!(next.given_by, "user:maria");
        current = next;
    }
    assert_eq!(tasks(&bob, "mine", true).await.len(), 4);

    // A stale revision is refused and changes nothing.
    let stale = bob
        .tasks()
        .complete_task(bob.req(pb::CompleteTaskRequest {
            id: current.id.clone(),
            expected_revision: current.revision + 5,
            note: String::new(),
        }))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");

    // Bad input is named.
    let bad = maria
        .tasks()
        .create_task(maria.req(pb::CreateTaskRequest {
            id: String::new(),
            fields: Some(pb::TaskFields {
                title: "x".into(),
                assignee: "nobody".into(),
                due: "2027-01-01".into(),
                ..Default::default()
            }),
        }))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("assignee"), "{}", bad.message());
}

#[tokio::test]
async fn only_operators_move_only_a_simulated_clock() {
    let server = Server::with_simulated_clock();
    let (maria, _bob, _dana) = organisation(&server, "acme").await;
    let admin = add_user(&server, "acme", "ada", &["admin"], "IT", "CIO").await;
    for c in [&maria, &admin] {
        let e = c
            .clock()
            .advance_clock(c.req(pb::AdvanceClockRequest { days: 30 }))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
        assert_eq!(policies(&e), "organisation-isolation");
    }
    // Everyone reads the clock (a Cedar decision like every call).
    let c = maria
        .clock()
        .get_clock(maria.req(pb::GetClockRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(c.simulated && c.offset_seconds == 0);
    let op = server.operator().await;
    let e = op
        .clock()
        .advance_clock(op.req(pb::AdvanceClockRequest { days: 0 }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);

    let real = Server::memory();
    let op = real.operator().await;
    let e = op
        .clock()
        .advance_clock(op.req(pb::AdvanceClockRequest { days: 30 }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.message().contains("--simulated-clock"), "{}", e.message());
    let c = op
        .clock()
        .get_clock(op.req(pb::GetClockRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(!c.simulated && c.offset_seconds == 0);
}

#[tokio::test]
async fn the_estimate_gives_the_published_ranges_by_size() {
    let server = Server::memory();
    let op = server.operator().await;
    let estimate = |employees: u32| {
        let op = op.clone();
        async move {
            op.implementation()
                .estimate(op.req(pb::EstimateRequest {
                    employees,
                    departments: 4,
                    people_trained: 1,
                }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    for (employees, band, months) in [
        (15, "up to 20", (0.0, 3.0)),
        (40, "20 to 50", (3.0, 5.0)),
        (120, "50 to 200", (5.0, 8.0)),
        (500, "over 200", (8.0, 20.0)),
    ] {
        let e = estimate(employees).await;
        assert_eq!(e.size_band, band);
        let by = |o: &str| e.options.iter().find(|x| x.option == o).unwrap().clone();
        let tool = by("online-tool");
        let m = tool.months.unwrap();
        assert_eq!((m.low, m.high), months, "{employees}");
        assert!(
            !by("alone").has_duration,
            "the articles give no figure alone"
        );
        let consultant = by("consultant");
        let cost = |item: &str| {
            consultant
                .costs
                .iter()
                .find(|c| c.item == item)
                .and_then(|c| c.usd)
                .map(|r| (r.low, r.high))
        };
        assert_eq!(cost("consultant"), Some((15000.0, 15000.0)));
        assert_eq!(cost("certification audit"), Some((7500.0, 7500.0)));
        assert_eq!(cost("ISO 27001 courses"), Some((250.0, 1700.0)));
        assert_eq!(cost("the standard"), Some((100.0, 100.0)));
        let effort = |who: &str| {
            consultant
                .effort
                .iter()
                .find(|l| l.who.starts_with(who))
                .and_then(|l| l.hours)
                .map(|r| (r.low, r.high))
        };
        assert_eq!(effort("heads of departments"), Some((28.0, 28.0)));
        assert_eq!(effort("top management"), Some((5.0, 5.0)));
        let pm = effort("project manager").unwrap();
        if employees <= 200 {
            assert_eq!(
                pm,
                (months.0 * 32.0, months.1 * 32.0),
                "20 % of 160 h a month"
            );
        }
        assert_eq!(
            effort("security officer").is_some(),
            employees >= 200,
            "{employees}"
        );
        assert_eq!(e.maintenance_share, 0.25);
    }
    let e = op
        .implementation()
        .estimate(op.req(pb::EstimateRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn the_checklist_progress_follows_the_records() {
    let server = Server::with_plugins();
    let (maria, bob, _dana) = organisation(&server, "acme").await;
    install_iso27001(&maria).await;
    let step = |p: &pb::ImplementationProject, order: u32| {
        p.steps.iter().find(|s| s.order == order).unwrap().clone()
    };
    let before = project(&maria).await;
    assert_eq!(before.steps.len(), 16, "the 16-step checklist");
    assert_eq!(before.employees, 40);
    let scope = step(&before, 3);
    assert_eq!(scope.title, "Define the scope");
    assert_eq!((scope.status.as_str(), scope.percent), ("not-started", 0.0));
    assert!(
        scope
            .findings
            .iter()
            .any(|f| f.requirement == "4.3" && f.status == "not-met")
    );
    // 40 employees: the whole company in scope.
    assert!(
        scope.advice[0].contains("whole company"),
        "{:?}",
        scope.advice
    );
    assert_eq!(before.estimate.as_ref().unwrap().size_band, "20 to 50");

    // Publishing the scope document completes step 3, and only it moves.
    published(
        &maria,
        &bob,
        "isms-scope",
        "maria",
        "Scope of the ISMS",
        &["iso27001-2022:4.3"],
    )
    .await;
    let after = project(&maria).await;
    let scope = step(&after, 3);
    assert_eq!((scope.status.as_str(), scope.percent), ("done", 100.0));
    assert!(after.percent > before.percent);
    for order in [1, 2, 4, 5, 7, 14, 15, 16] {
        assert_eq!(
            step(&before, order).percent,
            step(&after, order).percent,
            "step {order}"
        );
    }
    assert_eq!(
        step(&after, 14).status,
        "not-started",
        "no internal audit yet"
    );

    // A framework that is not installed is named.
    let e = maria
        .implementation()
        .get_implementation_project(maria.req(pb::GetImplementationProjectRequest {
            framework: "iso22301-2019".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
}

#[tokio::test]
async fn an_audit_finding_becomes_a_nonconformity_corrected_verified_and_closed() {
    let server = Server::with_plugins();
    // maria (ISMS manager), bob and dana (an auditor) all work in Ops.
    let (maria, bob, dana) = organisation(&server, "acme").await;
    let quinn = add_user(&server, "acme", "quinn", &["auditor"], "Quality", "Auditor").await;
    install_iso27001(&maria).await;
    let audits = |c: &Client| c.internal_audits();
    let plan = |auditor: &str| pb::PlanAuditRequest {
        id: format!("ops-{auditor}"),
        plan: Some(pb::AuditPlan {
            title: "Operations audit".into(),
            framework: "iso27001-2022".into(),
            scope: vec!["A.5.15".into(), "A.8.13".into()],
            department: "Ops".into(),
            auditor: auditor.into(),
            start: "2027-03-01".into(),
            end: "2027-03-02".into(),
        }),
    };

    // Dana works in Ops: she may not audit it.
    let refused = audits(&maria)
        .plan_audit(maria.req(plan("dana")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(
        policies(&refused),
        "auditors-do-not-audit-their-own-department"
    );
    let a = audits(&maria)
        .plan_audit(maria.req(plan("quinn")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        a.checklist
            .iter()
            .map(|i| i.requirement.as_str())
            .collect::<Vec<_>>(),
        ["A.5.15", "A.8.13"]
    );
    assert!(a.checklist[1].title.to_lowercase().contains("backup"));
    let before = project_step(&maria, 14).await;
    // Carrying it out is Quinn's task, due on its last day.
    maria
        .tasks()
        .generate_tasks(maria.req(pb::GenerateTasksRequest {}))
        .await
        .unwrap();
    let audit_tasks = |c: &Client| {
        let c = c.clone();
        async move {
            tasks(&c, "mine", false)
                .await
                .into_iter()
                .filter(|t| t.origin == "internal-audit")
                .collect::<Vec<_>>()
        }
    };
    let mine = audit_tasks(&quinn).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(
        (link(&mine[0]), due(&mine[0])),
        ("audit:ops-quinn".to_string(), "2027-03-02".to_string())
    );

    // Only the assigned auditor records.
    let e = audits(&dana)
        .record_checklist_item(dana.req(pb::RecordChecklistItemRequest {
            id: a.id.clone(),
            expected_revision: a.revision,
            requirement: "A.5.15".into(),
            result: "conform".into(),
            note: String::new(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let a = audits(&quinn)
        .record_checklist_item(quinn.req(pb::RecordChecklistItemRequest {
            id: a.id.clone(),
            expected_revision: a.revision,
            requirement: "A.5.15".into(),
            result: "conform".into(),
            note: "access reviews on file".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let raised = audits(&quinn)
        .raise_finding(quinn.req(pb::RaiseFindingRequest {
            id: a.id.clone(),
            expected_revision: a.revision,
            kind: "minor".into(),
            requirement: "A.8.13".into(),
            description: "Backups are never test-restored".into(),
            evidence: "no restore record for the last 12 months".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let a = raised.audit.unwrap();
    let nc = raised
        .nonconformity
        .expect("a minor nonconformity is recorded");
    assert_eq!(a.findings[0].nonconformity, nc.id);
    assert_eq!((nc.source.as_str(), nc.status.as_str()), ("audit", "open"));
    assert_eq!(nc.requirement, "iso27001-2022:A.8.13");

    // The audit closes only when every line has a result.
    let e = audits(&quinn)
        .close_audit(quinn.req(pb::CloseAuditRequest {
            id: a.id.clone(),
            expected_revision: a.revision,
            conclusion: "One minor nonconformity.".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("A.8.13"), "{}", e.message());
    let a = audits(&quinn)
        .record_checklist_item(quinn.req(pb::RecordChecklistItemRequest {
            id: a.id.clone(),
            expected_revision: a.revision,
            requirement: "A.8.13".into(),
            result: "nonconform".into(),
            note: "see finding".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let a = audits(&quinn)
        .close_audit(quinn.req(pb::CloseAuditRequest {
            id: a.id.clone(),
            expected_revision: a.revision,
            conclusion: "One minor nonconformity.".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.status, "closed");
    // Closing the audit did the task.
    assert!(audit_tasks(&quinn).await.is_empty());
    // The checklist's step 14 (internal audit) moves with the closed audit.
    let after = project_step(&maria, 14).await;
    assert!(after.percent > before.percent, "{before:?} -> {after:?}");

    // The audit report says what was audited, found and concluded, and where the
    // nonconformity stands.
    let report = audits(&bob)
        .export_audit_report(bob.req(pb::ExportAuditReportRequest {
            id: a.id.clone(),
            format: String::new(),
        }))
        .await
        .unwrap()
        .into_inner();
    let md = String::from_utf8(report.content).unwrap();
    for expected in [
        "# Internal audit report: Operations audit",
        "- **Auditor:** quinn",
        "2 lines: 1 conform, 1 nonconform",
        "| A.8.13 |",
        "minor-nonconformity (A.8.13)",
        "**Evidence:** no restore record for the last 12 months",
        &format!("**Nonconformity:** {} (open)", nc.id),
        "One minor nonconformity.",
    ] {
        assert!(md.contains(expected), "{expected:?} missing from:\n{md}");
    }
    let pdf = audits(&bob)
        .export_audit_report(bob.req(pb::ExportAuditReportRequest {
            id: a.id.clone(),
            format: "pdf".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(pdf.content.starts_with(b"%PDF"));

    // The programme over the cycle: two controls audited, clause 9.2 planned for the autumn,
    // everything else still to cover.
    audits(&maria)
        .plan_audit(maria.req(pb::PlanAuditRequest {
            id: "isms-autumn".into(),
            plan: Some(pb::AuditPlan {
                title: "ISMS clauses".into(),
                framework: "iso27001-2022".into(),
                scope: vec!["9.2".into()],
                department: "Ops".into(),
                auditor: "quinn".into(),
                start: "2027-10-01".into(),
                end: "2027-10-02".into(),
            }),
        }))
        .await
        .unwrap();
    let p = audits(&maria)
        .get_audit_programme(maria.req(pb::GetAuditProgrammeRequest {
            framework: "iso27001-2022".into(),
            cycle_start: String::new(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(&p.cycle_start[..10], "2027-03-01");
    assert_eq!(&p.cycle_end[..10], "2030-03-01");
    let coverage = |id: &str| {
        p.lines
            .iter()
            .find(|l| l.requirement == id)
            .map(|l| l.coverage.clone())
            .unwrap_or_else(|| panic!("{id} is not in the programme"))
    };
    assert_eq!(coverage("A.5.15"), "audited");
    assert_eq!(coverage("A.8.13"), "audited");
    assert_eq!(coverage("9.2.1"), "planned");
    assert_eq!(coverage("10.2"), "not-covered");
    assert_eq!(p.audited, 2);
    // Every clause and every control (no SoA yet) is in the programme.
    assert_eq!(p.lines.iter().filter(|l| l.kind == "control").count(), 93);
    assert_eq!(p.audited + p.planned + p.not_covered, p.lines.len() as u32);

    // 10.2: the root cause before any action.
    let n = |c: &Client, id: &str| {
        let c = c.clone();
        let id = id.to_string();
        async move {
            c.internal_audits()
                .get_nonconformity(c.req(pb::GetNonconformityRequest { id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let e = audits(&maria)
        .add_corrective_action(maria.req(pb::AddCorrectiveActionRequest {
            id: nc.id.clone(),
            expected_revision: nc.revision,
            description: "Test-restore quarterly".into(),
            owner: "bob".into(),
            due: "2099-01-01".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("root_cause"), "{}", e.message());
    let nc = audits(&maria)
        .set_root_cause(maria.req(pb::SetRootCauseRequest {
            id: nc.id.clone(),
            expected_revision: nc.revision,
            root_cause: "Nobody owns restore testing".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let nc = audits(&maria)
        .add_corrective_action(maria.req(pb::AddCorrectiveActionRequest {
            id: nc.id.clone(),
            expected_revision: nc.revision,
            description: "Test-restore quarterly".into(),
            owner: "bob".into(),
            due: "2099-01-01".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(nc.status, "acting");

    // The action is bob's task.
    maria
        .tasks()
        .generate_tasks(maria.req(pb::GenerateTasksRequest {}))
        .await
        .unwrap();
    let mine = tasks(&bob, "mine", false).await;
    assert_eq!(
        mine.iter().map(link).collect::<Vec<_>>(),
        [format!("nonconformity:{}", nc.id)]
    );
    assert_eq!(mine[0].origin, "corrective-action");

    let action = nc.actions[0].id.clone();
    let nc = audits(&bob)
        .complete_corrective_action(bob.req(pb::CompleteCorrectiveActionRequest {
            id: nc.id.clone(),
            expected_revision: nc.revision,
            action,
            note: "restore test done, 40 minutes".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(nc.status, "verifying");
    assert!(
        tasks(&bob, "mine", false).await.is_empty(),
        "the task is done with it"
    );

    // Whoever carried out the action does not verify it.
    let e = audits(&bob)
        .verify_effectiveness(bob.req(pb::VerifyEffectivenessRequest {
            id: nc.id.clone(),
            expected_revision: nc.revision,
            effective: true,
            note: "works".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert_eq!(policies(&e), "nobody-verifies-their-own-corrective-action");
    let closed = audits(&maria)
        .verify_effectiveness(maria.req(pb::VerifyEffectivenessRequest {
            id: nc.id.clone(),
            expected_revision: nc.revision,
            effective: true,
            note: "two restores succeeded since".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(closed.status, "closed");
    assert_eq!(n(&dana, &nc.id).await.verifications.len(), 1);
    // A stale revision is refused.
    let e = audits(&maria)
        .set_root_cause(maria.req(pb::SetRootCauseRequest {
            id: nc.id.clone(),
            expected_revision: nc.revision,
            root_cause: "again".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Aborted);
}

#[tokio::test]
async fn a_management_review_sees_the_engines_real_numbers_and_its_actions_become_tasks() {
    let server = Server::with_plugins();
    let (maria, bob, dana) = organisation(&server, "acme").await;
    let olivia = add_user(
        &server,
        "acme",
        "olivia",
        &["top-management"],
        "Board",
        "CEO",
    )
    .await;
    install_iso27001(&maria).await;
    // Two open nonconformities, one overdue task.
    for (id, what) in [
        ("nc-laptop", "Laptop lost unencrypted"),
        ("nc-visitor", "Visitor unescorted"),
    ] {
        bob.internal_audits()
            .raise_nonconformity(bob.req(pb::RaiseNonconformityRequest {
                id: id.into(),
                source: "incident".into(),
                source_ref: String::new(),
                description: what.into(),
                requirement: String::new(),
            }))
            .await
            .unwrap();
    }
    maria
        .tasks()
        .create_task(maria.req(pb::CreateTaskRequest {
            id: "late".into(),
            fields: Some(pb::TaskFields {
                title: "Renew the penetration test".into(),
                assignee: "bob".into(),
                due: "2020-01-01".into(),
                ..Default::default()
            }),
        }))
        .await
        .unwrap();
    let before = project_step(&maria, 15).await;

    // Two objectives: one measured on target, one not measured yet.
    let metric = |id: &str, owner: &str, target: f64| pb::ObjectiveMetric {
        id: id.into(),
        name: format!("{id} metric"),
        definition: "successful restore tests / restore tests, per quarter".into(),
        target,
        direction: "at-least".into(),
        unit: "%".into(),
        frequency_months: 3,
        owner: owner.into(),
        control: "iso27001-2022:A.8.13".into(),
        ..Default::default()
    };
    let backups = maria
        .objectives()
        .put_objective(maria.req(pb::PutObjectiveRequest {
            objective: Some(pb::Objective {
                id: "backups".into(),
                title: "Restorable backups".into(),
                owner: "maria".into(),
                metrics: vec![metric("restore-success", "bob", 95.0)],
                ..Default::default()
            }),
            expected_revision: 0,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(backups.fulfilment, "not-measured");
    maria
        .objectives()
        .put_objective(maria.req(pb::PutObjectiveRequest {
            objective: Some(pb::Objective {
                id: "awareness".into(),
                title: "Aware staff".into(),
                owner: "maria".into(),
                metrics: vec![metric("trained", "maria", 90.0)],
                ..Default::default()
            }),
            expected_revision: 0,
        }))
        .await
        .unwrap();
    // The first measurement is bob's task at once; recording it completes the task.
    maria
        .tasks()
        .generate_tasks(maria.req(pb::GenerateTasksRequest {}))
        .await
        .unwrap();
    assert!(
        tasks(&bob, "mine", false)
            .await
            .iter()
            .any(|t| t.origin == "measurement" && link(t) == "objective:backups")
    );
    let e = dana
        .objectives()
        .record_measurement(dana.req(pb::RecordMeasurementRequest {
            id: "backups".into(),
            expected_revision: backups.revision,
            metric: "restore-success".into(),
            value: 100.0,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let measured = bob
        .objectives()
        .record_measurement(bob.req(pb::RecordMeasurementRequest {
            id: "backups".into(),
            expected_revision: backups.revision,
            metric: "restore-success".into(),
            value: 100.0,
            note: "4 of 4 restores".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(measured.fulfilment, "met");
    assert!(
        !tasks(&bob, "mine", false)
            .await
            .iter()
            .any(|t| t.origin == "measurement"),
        "the measurement task is done"
    );

    // Employees and auditors do not hold reviews.
    for c in [&bob, &dana] {
        let e = c
            .management_reviews()
            .hold_management_review(c.req(pb::HoldManagementReviewRequest {
                id: "x".into(),
                title: "x".into(),
                attendees: vec!["olivia".into()],
            }))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
    }
    let review = olivia
        .management_reviews()
        .hold_management_review(olivia.req(pb::HoldManagementReviewRequest {
            id: "mr-2027".into(),
            title: "Management review 2027".into(),
            attendees: vec!["olivia".into(), "maria".into()],
        }))
        .await
        .unwrap()
        .into_inner();
    let i = review.inputs.clone().unwrap();
    assert_eq!(i.nonconformities_open, 2);
    // The late task, and maria's first measurement of "trained", due since it was generated.
    assert_eq!(i.tasks_overdue, 2);
    assert_eq!((i.objectives, i.objectives_met), (2, 1));
    assert_eq!(i.objectives_note, "1 not measured yet");
    assert_eq!(i.readiness.len(), 1);
    assert!(
        i.readiness[0].starts_with("iso27001-2022 "),
        "{:?}",
        i.readiness
    );

    // Outputs: a decision, and an action that becomes bob's task.
    let e = olivia
        .management_reviews()
        .record_review_outputs(olivia.req(pb::RecordReviewOutputsRequest {
            id: review.id.clone(),
            expected_revision: review.revision,
            decisions: vec![],
            actions: vec![],
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let closed = olivia
        .management_reviews()
        .record_review_outputs(olivia.req(pb::RecordReviewOutputsRequest {
            id: review.id.clone(),
            expected_revision: review.revision,
            decisions: vec!["Encrypt every laptop by the end of the quarter".into()],
            actions: vec![pb::ReviewAction {
                description: "Roll out disk encryption".into(),
                owner: "bob".into(),
                due: "2099-03-31".into(),
                task: String::new(),
            }],
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(!closed.closed_at.is_empty());
    let task = &closed.actions[0].task;
    let bobs = tasks(&bob, "mine", false).await;
    let t = bobs
        .iter()
        .find(|t| &t.id == task)
        .expect("the action is a task");
    assert_eq!(link(t), "review:mr-2027");
    assert_eq!(t.origin, "management-review");
    // The checklist's step 15 moves with the closed review.
    assert!(project_step(&maria, 15).await.percent > before.percent);

    // The next review sees the previous review's action still open.
    let next = maria
        .management_reviews()
        .hold_management_review(maria.req(pb::HoldManagementReviewRequest {
            id: "mr-2028".into(),
            title: "Management review 2028".into(),
            attendees: vec!["olivia".into()],
        }))
        .await
        .unwrap()
        .into_inner();
    let i = next.inputs.unwrap();
    assert_eq!((i.previous_actions_open, i.previous_actions_done), (1, 0));
    // The first review's inputs are frozen as they were.
    let first = maria
        .management_reviews()
        .get_management_review(maria.req(pb::GetManagementReviewRequest {
            id: "mr-2027".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.inputs.unwrap().previous_actions_open, 0);
}

#[tokio::test]
async fn integrators_follow_publications_tasks_falling_due_and_findings_on_watch() {
    use tokio_stream::StreamExt as _;
    let server = Server::with_simulated_clock();
    let op = server.operator().await;
    let (maria, bob, dana) = organisation(&server, "acme").await;
    let quinn = add_user(&server, "acme", "quinn", &["auditor"], "Quality", "Auditor").await;
    install_iso27001(&maria).await;
    // An integrator (here the auditor's token, which reads the trail) follows from now on.
    let mut stream = dana
        .audit()
        .watch(dana.req(pb::WatchRequest { after_seq: 0 }))
        .await
        .unwrap()
        .into_inner();

    published_document(&maria, &bob, "access-control", "bob").await;
    advance(&op, 400).await;
    let a = maria
        .internal_audits()
        .plan_audit(maria.req(pb::PlanAuditRequest {
            id: "ops".into(),
            plan: Some(pb::AuditPlan {
                title: "Operations audit".into(),
                framework: "iso27001-2022".into(),
                scope: vec!["A.8.13".into()],
                department: "Ops".into(),
                auditor: "quinn".into(),
                start: "2028-01-10".into(),
                end: "2028-01-11".into(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    quinn
        .internal_audits()
        .raise_finding(quinn.req(pb::RaiseFindingRequest {
            id: a.id,
            expected_revision: a.revision,
            kind: "major".into(),
            requirement: "A.8.13".into(),
            description: "No backups of the customer database".into(),
            evidence: "backup job disabled since March".into(),
        }))
        .await
        .unwrap();

    let wanted = [
        "document.publish",
        "task.create",
        "task.due",
        "internal-audit.finding",
        "nonconformity.raise",
    ];
    let mut seen = std::collections::BTreeMap::new();
    while seen.len() < wanted.len() {
        let e = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
            .await
            .unwrap_or_else(|_| panic!("only {seen:?} arrived"))
            .unwrap()
            .unwrap();
        if wanted.contains(&e.operation.as_str()) {
            seen.entry(e.operation.clone()).or_insert(e.entity.clone());
        }
    }
    assert_eq!(seen["document.publish"], "document:access-control");
    assert!(seen["task.due"].starts_with("task:document-review-access-control-"));
    assert_eq!(seen["nonconformity.raise"], "nonconformity:nc-ops-f1");
}

async fn check_finding(c: &Client, requirement: &str) -> (String, String) {
    let r = c
        .frameworks()
        .check_framework(c.req(pb::CheckFrameworkRequest {
            framework: "iso27001-2022".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    r.findings
        .into_iter()
        .find(|f| f.requirement == requirement)
        .map(|f| (f.status, f.detail))
        .unwrap_or_default()
}

async fn training_status(c: &Client) -> pb::TrainingStatus {
    c.training()
        .get_training_status(c.req(pb::GetTrainingStatusRequest {}))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn training_gaps_are_named_by_department_and_feed_the_awareness_check() {
    let server = Server::with_simulated_clock();
    let op = server.operator().await;
    let (maria, bob, _dana) = organisation(&server, "acme").await;
    let sue = add_user(
        &server,
        "acme",
        "sue",
        &["employee"],
        "Sales",
        "Account manager",
    )
    .await;
    add_user(
        &server,
        "acme",
        "ann",
        &["employee"],
        "Sales",
        "Account manager",
    )
    .await;
    install_iso27001(&maria).await;
    published_to(
        &maria,
        &bob,
        "information-security-policy",
        "maria",
        "Information security policy",
        &[],
        Some(pb::Distribution {
            departments: vec!["Sales".into(), "Ops".into()],
            ..Default::default()
        }),
    )
    .await;

    // No awareness course yet: nobody has awareness training, and 7.3 says so.
    let (status, detail) = check_finding(&maria, "7.3").await;
    assert_eq!(status, "not-met");
    assert!(
        detail.contains("people without awareness training this year: 5"),
        "{detail}"
    );

    // Awareness every 12 months for everyone; reading the policy counts. Bob runs it.
    let course = maria
        .training()
        .put_course(maria.req(pb::PutCourseRequest {
            course: Some(pb::Course {
                id: "awareness".into(),
                title: "Security awareness".into(),
                kind: "awareness".into(),
                frequency_months: 12,
                documents: vec!["information-security-policy".into()],
                owner: "bob".into(),
                ..Default::default()
            }),
            expected_revision: 0,
        }))
        .await
        .unwrap()
        .into_inner();
    // Only the course's owner (or the ISMS manager) records who took it.
    let denied = sue
        .training()
        .record_training(sue.req(pb::RecordTrainingRequest {
            id: "awareness".into(),
            expected_revision: course.revision,
            users: vec!["sue".into()],
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let today = &op
        .clock()
        .get_clock(op.req(pb::GetClockRequest {}))
        .await
        .unwrap()
        .into_inner()
        .now[..10];
    let future = bob
        .training()
        .record_training(bob.req(pb::RecordTrainingRequest {
            id: "awareness".into(),
            expected_revision: course.revision,
            users: vec!["maria".into()],
            at: "2999-01-01".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(future.code(), tonic::Code::InvalidArgument);
    bob.training()
        .record_training(bob.req(pb::RecordTrainingRequest {
            id: "awareness".into(),
            expected_revision: course.revision,
            users: vec!["maria".into(), "bob".into()],
            at: today.into(),
            note: "Quarterly session, room 2".into(),
        }))
        .await
        .unwrap();
    // Sue reads and acknowledges the policy instead.
    sue.documents()
        .acknowledge_document(sue.req(pb::AcknowledgeDocumentRequest {
            id: "information-security-policy".into(),
        }))
        .await
        .unwrap();

    let s = training_status(&maria).await;
    assert_eq!(s.people_without_awareness, 2, "{s:?}");
    let gaps: Vec<&str> = s.gaps.iter().map(|g| g.summary.as_str()).collect();
    assert_eq!(
        gaps,
        [
            "1 person in Ops is not current with Security awareness (1 never took it, 0 expired)",
            "1 person in Sales is not current with Security awareness (1 never took it, 0 expired)"
        ]
    );
    let sue_row = s.people.iter().find(|p| p.user == "sue").unwrap();
    assert_eq!(sue_row.standing, "current");
    let (status, detail) = check_finding(&maria, "7.3").await;
    assert_eq!(
        (status.as_str(), detail.as_str()),
        ("not-met", "people without awareness training this year: 2")
    );
    // The records are the evidence of competence 7.2 asks for.
    let (status, detail) = check_finding(&maria, "7.2").await;
    assert_eq!(status, "met");
    assert!(detail.contains("3 training records held"), "{detail}");

    // Thirteen months later everyone's awareness has run out.
    advance(&op, 400).await;
    let s = training_status(&maria).await;
    assert_eq!(s.people_without_awareness, 5);
    let sales = s.gaps.iter().find(|g| g.department == "Sales").unwrap();
    assert_eq!((sales.missing.len(), sales.expired.len()), (1, 1));
    assert!(s.people.iter().all(|p| p.standing != "current"));
}

fn raci_row<'a>(m: &'a pb::ResponsibilityMatrix, kind: &str, id: &str) -> Vec<(&'a str, &'a str)> {
    m.activities
        .iter()
        .find(|a| a.kind == kind && a.id == id)
        .map(|a| {
            a.people
                .iter()
                .map(|r| (r.person.as_str(), r.letters.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

async fn raci(c: &Client, person: &str, kind: &str) -> pb::ResponsibilityMatrix {
    c.responsibilities()
        .get_responsibility_matrix(c.req(pb::GetResponsibilityMatrixRequest {
            person: person.into(),
            kind: kind.into(),
        }))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn the_responsibility_matrix_is_derived_from_the_records_and_exported() {
    let server = Server::with_plugins();
    let (maria, bob, dana) = organisation(&server, "acme").await;
    let olivia = add_user(
        &server,
        "acme",
        "olivia",
        &["top-management"],
        "Management",
        "CEO",
    )
    .await;
    let asset = maria
        .assets()
        .create_asset(maria.req(asset_request("Payroll system", "information-system", "bob")))
        .await
        .unwrap()
        .into_inner();
    // Maria keeps the policy, Bob approves it.
    published(
        &maria,
        &bob,
        "access-control",
        "maria",
        "Access control policy",
        &[],
    )
    .await;
    // A draft only Maria works on: Bob may not read it, so it is not in his matrix.
    maria
        .documents()
        .create_document(maria.req(pb::CreateDocumentRequest {
            id: "merger-plan".into(),
            fields: Some(pb::DocumentFields {
                kind: "plan".into(),
                title: "Merger plan".into(),
                owner: "maria".into(),
                classification: "internal".into(),
                approvers: vec!["olivia".into()],
                quorum: 1,
                review_period_months: 12,
                ..Default::default()
            }),
            content: "Confidential until signed.".into(),
            change_note: String::new(),
        }))
        .await
        .unwrap();
    maria
        .tasks()
        .create_task(maria.req(pb::CreateTaskRequest {
            id: "restore-test".into(),
            fields: Some(pb::TaskFields {
                title: "Test a restore".into(),
                assignee: "bob".into(),
                due: "2030-01-01".into(),
                ..Default::default()
            }),
        }))
        .await
        .unwrap();
    maria
        .objectives()
        .put_objective(maria.req(pb::PutObjectiveRequest {
            objective: Some(pb::Objective {
                id: "backups".into(),
                title: "Restorable backups".into(),
                owner: "olivia".into(),
                metrics: vec![pb::ObjectiveMetric {
                    id: "restore-success".into(),
                    name: "Restores that succeed".into(),
                    definition: "successful restore tests / restore tests".into(),
                    target: 95.0,
                    frequency_months: 3,
                    owner: "bob".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            expected_revision: 0,
        }))
        .await
        .unwrap();

    let m = raci(&maria, "", "").await;
    assert_eq!(
        raci_row(&m, "isms", "isms"),
        [("maria", "R"), ("olivia", "A")]
    );
    assert_eq!(raci_row(&m, "asset", &asset.id), [("bob", "RA")]);
    assert_eq!(
        raci_row(&m, "document", "access-control"),
        [("bob", "A"), ("maria", "R")]
    );
    assert_eq!(
        raci_row(&m, "document", "merger-plan"),
        [("maria", "R"), ("olivia", "A")]
    );
    assert_eq!(
        raci_row(&m, "task", "restore-test"),
        [("bob", "R"), ("maria", "A")]
    );
    assert_eq!(
        raci_row(&m, "objective", "backups"),
        [("bob", "R"), ("olivia", "A")]
    );
    assert!(
        m.without_accountable.is_empty(),
        "{:?}",
        m.without_accountable
    );
    let bob_load = m.load.iter().find(|l| l.person == "bob").unwrap();
    assert_eq!((bob_load.responsible, bob_load.accountable), (3, 2));

    // Bob's own view: only what he is part of, and not the draft he may not read.
    let mine = raci(&bob, "bob", "").await;
    assert!(
        mine.activities
            .iter()
            .all(|a| a.people.iter().any(|r| r.person == "bob"))
    );
    assert!(raci_row(&raci(&bob, "", "").await, "document", "merger-plan").is_empty());
    assert_eq!(raci(&dana, "", "asset").await.activities.len(), 1);

    // Exported for people who live in spreadsheets: one column per person.
    let csv = String::from_utf8(
        olivia
            .risks()
            .export_report(olivia.req(pb::ExportReportRequest {
                kind: "raci".into(),
                format: "csv".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner()
            .content,
    )
    .unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "kind,id,activity,bob,maria,olivia");
    assert!(
        csv.contains(&format!(
            "asset,{},Own and protect the asset: Payroll system,RA,,",
            asset.id
        )),
        "{csv}"
    );
    let xlsx = olivia
        .risks()
        .export_report(olivia.req(pb::ExportReportRequest {
            kind: "raci".into(),
            format: "xlsx".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(xlsx.content.starts_with(b"PK"));
    assert!(xlsx.filename.ends_with("responsibility-matrix.xlsx"));
}

#[tokio::test]
async fn certification_readiness_says_what_each_audit_stage_would_find_missing() {
    let server = Server::with_plugins();
    let (maria, bob, _) = organisation(&server, "acme").await;
    install_iso27001(&maria).await;
    let stages = || async {
        maria
            .implementation()
            .get_certification_readiness(maria.req(pb::GetCertificationReadinessRequest {
                framework: "iso27001-2022".into(),
            }))
            .await
            .unwrap()
            .into_inner()
    };
    let missing = |s: &pb::AuditStage| -> Vec<String> {
        s.missing.iter().map(|f| f.requirement.clone()).collect()
    };
    let before = stages().await;
    let stage1 = before.stage1.unwrap();
    let stage2 = before.stage2.unwrap();
    assert!(!stage1.ready && !stage2.ready);
    // Stage 1 reviews the documents: no scope, no policy yet.
    assert!(missing(&stage1).contains(&"4.3".to_string()), "{stage1:?}");
    assert!(missing(&stage1).contains(&"5.2".to_string()));
    // Stage 2 looks at what runs: nobody has awareness training.
    assert!(missing(&stage2).contains(&"7.3".to_string()), "{stage2:?}");
    assert!(!missing(&stage2).contains(&"4.3".to_string()));

    // The scope statement published: stage 1 no longer misses 4.3.
    published(
        &maria,
        &bob,
        "isms-scope",
        "maria",
        "ISMS scope",
        &["iso27001-2022:4.3"],
    )
    .await;
    let after = stages().await.stage1.unwrap();
    assert!(!missing(&after).contains(&"4.3".to_string()), "{after:?}");
    assert_eq!(after.met, stage1.met + 1);
}
