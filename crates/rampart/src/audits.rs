//! `rampart internal-audit|nonconformity|management-review|objective …`: internal audits, the
//! corrective-action cycle, management reviews and objectives.

use rampart_proto::v1 as pb;

use anyhow::bail;

use crate::cli::{InternalAuditCmd, ManagementReviewCmd, NonconformityCmd, ObjectiveCmd};
use crate::client::{Client, explain};
use crate::output::{json, record, table};

fn show_audit(a: &pb::InternalAudit, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(a);
    }
    let p = a.plan.clone().unwrap_or_default();
    record(&[
        ("audit", format!("{} — {}", a.id, p.title)),
        ("status", a.status.clone()),
        ("department", p.department),
        ("auditor", p.auditor),
        ("dates", format!("{} – {}", &p.start[..10], &p.end[..10])),
        ("framework", p.framework),
        ("conclusion", a.conclusion.clone()),
        ("revision", a.revision.to_string()),
    ]);
    table(
        &["requirement", "title", "result", "note"],
        a.checklist
            .iter()
            .map(|i| {
                vec![
                    i.requirement.clone(),
                    i.title.clone(),
                    i.result.clone(),
                    i.note.clone(),
                ]
            })
            .collect(),
    );
    if !a.findings.is_empty() {
        table(
            &[
                "finding",
                "kind",
                "requirement",
                "description",
                "nonconformity",
            ],
            a.findings
                .iter()
                .map(|f| {
                    vec![
                        f.id.clone(),
                        f.kind.clone(),
                        f.requirement.clone(),
                        f.description.clone(),
                        f.nonconformity.clone(),
                    ]
                })
                .collect(),
        );
    }
    Ok(())
}

async fn audit(client: &Client, id: &str) -> anyhow::Result<pb::InternalAudit> {
    Ok(client
        .internal_audits()
        .get_audit(client.req(pb::GetAuditRequest { id: id.into() }))
        .await
        .map_err(explain)?
        .into_inner())
}

pub async fn run_audit(
    client: &Client,
    cmd: InternalAuditCmd,
    as_json: bool,
) -> anyhow::Result<()> {
    let mut svc = client.internal_audits();
    let a = match cmd {
        InternalAuditCmd::Programme {
            framework,
            cycle_start,
            gaps,
        } => {
            let p = svc
                .get_audit_programme(client.req(pb::GetAuditProgrammeRequest {
                    framework,
                    cycle_start,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&p);
            }
            table(
                &["requirement", "kind", "title", "coverage", "audits"],
                p.lines
                    .iter()
                    .filter(|l| !gaps || l.coverage == "not-covered")
                    .map(|l| {
                        vec![
                            l.requirement.clone(),
                            l.kind.clone(),
                            l.title.clone(),
                            l.coverage.clone(),
                            l.audits.join(", "),
                        ]
                    })
                    .collect(),
            );
            println!(
                "\ncycle {} to {}: {} audited ({:.0}%), {} planned, {} not covered",
                p.cycle_start.get(..10).unwrap_or(""),
                p.cycle_end.get(..10).unwrap_or(""),
                p.audited,
                p.percent_audited,
                p.planned,
                p.not_covered
            );
            return Ok(());
        }
        InternalAuditCmd::Report { id, format, out } => {
            let f = svc
                .export_audit_report(client.req(pb::ExportAuditReportRequest { id, format }))
                .await
                .map_err(explain)?
                .into_inner();
            return crate::output::write_report(f, out, as_json);
        }
        InternalAuditCmd::List => {
            let list = svc
                .list_audits(client.req(pb::ListAuditsRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&list);
            }
            table(
                &[
                    "id",
                    "title",
                    "department",
                    "auditor",
                    "start",
                    "status",
                    "findings",
                ],
                list.audits
                    .iter()
                    .map(|a| {
                        let p = a.plan.clone().unwrap_or_default();
                        vec![
                            a.id.clone(),
                            p.title,
                            p.department,
                            p.auditor,
                            p.start.get(..10).unwrap_or_default().to_string(),
                            a.status.clone(),
                            a.findings.len().to_string(),
                        ]
                    })
                    .collect(),
            );
            return Ok(());
        }
        InternalAuditCmd::Show { id } => audit(client, &id).await?,
        InternalAuditCmd::Plan {
            id,
            title,
            framework,
            scope,
            department,
            auditor,
            start,
            end,
        } => svc
            .plan_audit(client.req(pb::PlanAuditRequest {
                id,
                plan: Some(pb::AuditPlan {
                    title,
                    framework,
                    scope,
                    department,
                    auditor,
                    start,
                    end,
                }),
            }))
            .await
            .map_err(explain)?
            .into_inner(),
        InternalAuditCmd::Record {
            id,
            requirement,
            result,
            note,
        } => {
            let now = audit(client, &id).await?;
            svc.record_checklist_item(client.req(pb::RecordChecklistItemRequest {
                id,
                expected_revision: now.revision,
                requirement,
                result,
                note,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
        InternalAuditCmd::Finding {
            id,
            kind,
            requirement,
            description,
            evidence,
        } => {
            let now = audit(client, &id).await?;
            let r = svc
                .raise_finding(client.req(pb::RaiseFindingRequest {
                    id,
                    expected_revision: now.revision,
                    kind,
                    requirement,
                    description,
                    evidence,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if let (Some(n), false) = (&r.nonconformity, as_json) {
                println!(
                    "Recorded as nonconformity {}: `rampart nc root-cause {} \"…\"` next.",
                    n.id, n.id
                );
            }
            r.audit.unwrap_or_default()
        }
        InternalAuditCmd::Close { id, conclusion } => {
            let now = audit(client, &id).await?;
            svc.close_audit(client.req(pb::CloseAuditRequest {
                id,
                expected_revision: now.revision,
                conclusion,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
    };
    show_audit(&a, as_json)
}

fn show_nc(n: &pb::Nonconformity, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(n);
    }
    record(&[
        ("nonconformity", n.id.clone()),
        ("status", n.status.clone()),
        ("source", format!("{} {}", n.source, n.source_ref)),
        ("requirement", n.requirement.clone()),
        ("description", n.description.clone()),
        ("root cause", n.root_cause.clone()),
        ("revision", n.revision.to_string()),
    ]);
    if !n.actions.is_empty() {
        table(
            &["action", "description", "owner", "due", "done"],
            n.actions
                .iter()
                .map(|a| {
                    vec![
                        a.id.clone(),
                        a.description.clone(),
                        a.owner.clone(),
                        format!(
                            "{}{}",
                            a.due.get(..10).unwrap_or_default(),
                            if a.overdue { " OVERDUE" } else { "" }
                        ),
                        a.done_at.get(..10).unwrap_or_default().to_string(),
                    ]
                })
                .collect(),
        );
    }
    for v in &n.verifications {
        println!(
            "verified by {} at {}: {} — {}",
            v.by,
            v.at,
            if v.effective {
                "effective"
            } else {
                "not effective"
            },
            v.note
        );
    }
    Ok(())
}

async fn nc(client: &Client, id: &str) -> anyhow::Result<pb::Nonconformity> {
    Ok(client
        .internal_audits()
        .get_nonconformity(client.req(pb::GetNonconformityRequest { id: id.into() }))
        .await
        .map_err(explain)?
        .into_inner())
}

pub async fn run_nc(client: &Client, cmd: NonconformityCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.internal_audits();
    let n = match cmd {
        NonconformityCmd::List => {
            let list = svc
                .list_nonconformities(client.req(pb::ListNonconformitiesRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&list);
            }
            table(
                &[
                    "id",
                    "source",
                    "status",
                    "requirement",
                    "description",
                    "actions",
                ],
                list.nonconformities
                    .iter()
                    .map(|n| {
                        vec![
                            n.id.clone(),
                            n.source.clone(),
                            n.status.clone(),
                            n.requirement.clone(),
                            n.description.clone(),
                            format!(
                                "{}/{} done",
                                n.actions.iter().filter(|a| !a.done_at.is_empty()).count(),
                                n.actions.len()
                            ),
                        ]
                    })
                    .collect(),
            );
            return Ok(());
        }
        NonconformityCmd::Show { id } => nc(client, &id).await?,
        NonconformityCmd::Raise {
            source,
            description,
            requirement,
            source_ref,
            id,
        } => svc
            .raise_nonconformity(client.req(pb::RaiseNonconformityRequest {
                id,
                source,
                source_ref,
                description,
                requirement,
            }))
            .await
            .map_err(explain)?
            .into_inner(),
        NonconformityCmd::RootCause { id, cause } => {
            let now = nc(client, &id).await?;
            svc.set_root_cause(client.req(pb::SetRootCauseRequest {
                id,
                expected_revision: now.revision,
                root_cause: cause,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
        NonconformityCmd::Action {
            id,
            description,
            owner,
            due,
        } => {
            let now = nc(client, &id).await?;
            svc.add_corrective_action(client.req(pb::AddCorrectiveActionRequest {
                id,
                expected_revision: now.revision,
                description,
                owner,
                due,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
        NonconformityCmd::Done { id, action, note } => {
            let now = nc(client, &id).await?;
            svc.complete_corrective_action(client.req(pb::CompleteCorrectiveActionRequest {
                id,
                expected_revision: now.revision,
                action,
                note,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
        NonconformityCmd::Verify {
            id,
            note,
            not_effective,
        } => {
            let now = nc(client, &id).await?;
            svc.verify_effectiveness(client.req(pb::VerifyEffectivenessRequest {
                id,
                expected_revision: now.revision,
                effective: !not_effective,
                note,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
    };
    show_nc(&n, as_json)
}

fn show_review(r: &pb::ManagementReview, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(r);
    }
    let i = r.inputs.clone().unwrap_or_default();
    record(&[
        ("review", format!("{} — {}", r.id, r.title)),
        ("held", format!("{} by {}", r.held_at, r.held_by)),
        ("attendees", r.attendees.join(", ")),
        ("closed", r.closed_at.clone()),
        ("revision", r.revision.to_string()),
    ]);
    table(
        &["9.3.2 input", "as the engine counted it"],
        vec![
            vec![
                "actions of previous reviews".into(),
                format!(
                    "{} open, {} done",
                    i.previous_actions_open, i.previous_actions_done
                ),
            ],
            vec![
                "interested parties".into(),
                format!(
                    "{} with {} requirements",
                    i.interested_parties, i.party_requirements
                ),
            ],
            vec![
                "nonconformities".into(),
                format!(
                    "{} open, {} closed; {} corrective actions overdue",
                    i.nonconformities_open, i.nonconformities_closed, i.corrective_actions_overdue
                ),
            ],
            vec![
                "monitoring".into(),
                format!(
                    "{} tasks overdue, {} document reviews overdue",
                    i.tasks_overdue, i.document_reviews_overdue
                ),
            ],
            vec![
                "audit results".into(),
                format!(
                    "{} audits closed: {} major, {} minor, {} observations",
                    i.audits_closed,
                    i.major_nonconformities_found,
                    i.minor_nonconformities_found,
                    i.observations_found
                ),
            ],
            vec![
                "opportunities for improvement".into(),
                format!("{} found by audits", i.opportunities_for_improvement),
            ],
            vec![
                "objectives".into(),
                if i.objectives == 0 {
                    i.objectives_note.clone()
                } else {
                    format!("{} of {} met", i.objectives_met, i.objectives)
                },
            ],
            vec![
                "risks".into(),
                format!(
                    "{} assessed, {} above the criterion, {} residual not accepted",
                    i.risks_assessed, i.risks_above_criterion, i.residual_risks_not_accepted
                ),
            ],
            vec![
                "treatment plan".into(),
                format!(
                    "{} of {} implemented, {} overdue",
                    i.treatment_plan_implemented, i.treatment_plan_items, i.treatment_plan_overdue
                ),
            ],
            vec!["readiness".into(), i.readiness.join(", ")],
        ],
    );
    for d in &r.decisions {
        println!("decision: {d}");
    }
    for a in &r.actions {
        println!(
            "action: {} — {} by {} (task {})",
            a.description,
            a.owner,
            a.due.get(..10).unwrap_or_default(),
            a.task
        );
    }
    Ok(())
}

pub async fn run_review(
    client: &Client,
    cmd: ManagementReviewCmd,
    as_json: bool,
) -> anyhow::Result<()> {
    let mut svc = client.management_reviews();
    let get = |id: String| {
        let mut svc = client.management_reviews();
        async move {
            svc.get_management_review(client.req(pb::GetManagementReviewRequest { id }))
                .await
                .map_err(explain)
                .map(|r| r.into_inner())
        }
    };
    let r = match cmd {
        ManagementReviewCmd::List => {
            let list = svc
                .list_management_reviews(client.req(pb::ListManagementReviewsRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&list);
            }
            table(
                &["id", "title", "held", "closed", "decisions", "actions"],
                list.reviews
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.clone(),
                            r.title.clone(),
                            r.held_at.get(..10).unwrap_or_default().to_string(),
                            r.closed_at.get(..10).unwrap_or_default().to_string(),
                            r.decisions.len().to_string(),
                            r.actions.len().to_string(),
                        ]
                    })
                    .collect(),
            );
            return Ok(());
        }
        ManagementReviewCmd::Show { id } => get(id).await?,
        ManagementReviewCmd::Hold {
            id,
            title,
            attendees,
        } => svc
            .hold_management_review(client.req(pb::HoldManagementReviewRequest {
                id,
                title,
                attendees,
            }))
            .await
            .map_err(explain)?
            .into_inner(),
        ManagementReviewCmd::Decide {
            id,
            decisions,
            actions,
        } => {
            let mut parsed = Vec::new();
            for a in actions {
                let mut parts = a.splitn(3, ':');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(owner), Some(due), Some(description)) => parsed.push(pb::ReviewAction {
                        owner: owner.into(),
                        due: due.into(),
                        description: description.into(),
                        task: String::new(),
                    }),
                    _ => bail!(
                        "--action: write OWNER:DUE:DESCRIPTION, e.g. bob:2027-06-30:Encrypt laptops"
                    ),
                }
            }
            let now = get(id.clone()).await?;
            svc.record_review_outputs(client.req(pb::RecordReviewOutputsRequest {
                id,
                expected_revision: now.revision,
                decisions,
                actions: parsed,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
    };
    show_review(&r, as_json)
}

fn show_objective(o: &pb::Objective, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(o);
    }
    record(&[
        ("objective", format!("{} — {}", o.id, o.title)),
        ("owner", o.owner.clone()),
        ("fulfilment", o.fulfilment.clone()),
        ("revision", o.revision.to_string()),
    ]);
    table(
        &["metric", "target", "owner", "every", "latest", "status"],
        o.metrics
            .iter()
            .map(|m| {
                vec![
                    format!("{} ({})", m.id, m.name),
                    format!("{} {}{}", m.direction, m.target, m.unit),
                    m.owner.clone(),
                    format!("{} months", m.frequency_months),
                    m.measurements
                        .last()
                        .map(|x| {
                            format!(
                                "{}{} on {}",
                                x.value,
                                m.unit,
                                x.at.get(..10).unwrap_or_default()
                            )
                        })
                        .unwrap_or_default(),
                    m.status.clone(),
                ]
            })
            .collect(),
    );
    Ok(())
}

pub async fn run_objective(
    client: &Client,
    cmd: ObjectiveCmd,
    as_json: bool,
) -> anyhow::Result<()> {
    let mut svc = client.objectives();
    let get = |id: String| {
        let mut svc = client.objectives();
        async move {
            svc.get_objective(client.req(pb::GetObjectiveRequest { id }))
                .await
                .map(|r| r.into_inner())
        }
    };
    let o = match cmd {
        ObjectiveCmd::List => {
            let list = svc
                .list_objectives(client.req(pb::ListObjectivesRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&list);
            }
            table(
                &["id", "title", "owner", "metrics", "fulfilment"],
                list.objectives
                    .iter()
                    .map(|o| {
                        vec![
                            o.id.clone(),
                            o.title.clone(),
                            o.owner.clone(),
                            o.metrics.len().to_string(),
                            o.fulfilment.clone(),
                        ]
                    })
                    .collect(),
            );
            return Ok(());
        }
        ObjectiveCmd::Show { id } => get(id).await.map_err(explain)?,
        ObjectiveCmd::Define {
            id,
            title,
            owner,
            metric,
            name,
            definition,
            target,
            at_most,
            unit,
            every_months,
            metric_owner,
            control,
        } => {
            // Redefining names the revision read; a new objective starts at 0.
            let expected_revision = match get(id.clone()).await {
                Ok(o) => o.revision,
                Err(s) if s.code() == tonic::Code::NotFound => 0,
                Err(s) => return Err(explain(s)),
            };
            svc.put_objective(client.req(pb::PutObjectiveRequest {
                objective: Some(pb::Objective {
                    id,
                    title,
                    owner,
                    metrics: vec![pb::ObjectiveMetric {
                        id: metric,
                        name,
                        definition,
                        target,
                        direction: if at_most { "at-most" } else { "at-least" }.into(),
                        unit,
                        frequency_months: every_months,
                        owner: metric_owner,
                        control,
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                expected_revision,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
        ObjectiveCmd::Measure {
            id,
            metric,
            value,
            note,
            at,
        } => {
            let now = get(id.clone()).await.map_err(explain)?;
            svc.record_measurement(client.req(pb::RecordMeasurementRequest {
                id,
                expected_revision: now.revision,
                metric,
                value,
                note,
                at,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
    };
    show_objective(&o, as_json)
}

pub async fn run_certification(
    client: &Client,
    framework: String,
    as_json: bool,
) -> anyhow::Result<()> {
    let r = client
        .implementation()
        .get_certification_readiness(client.req(pb::GetCertificationReadinessRequest { framework }))
        .await
        .map_err(explain)?
        .into_inner();
    if as_json {
        return json(&r);
    }
    for (name, s) in [
        (
            "Stage 1 — the documented ISMS",
            r.stage1.unwrap_or_default(),
        ),
        (
            "Stage 2 — implementation and effectiveness",
            r.stage2.unwrap_or_default(),
        ),
    ] {
        println!(
            "{name}: {} ({} of {} met)",
            if s.ready { "ready" } else { "not ready" },
            s.met,
            s.total
        );
        if !s.missing.is_empty() {
            table(
                &["requirement", "status", "what the auditor would find"],
                s.missing
                    .iter()
                    .map(|f| vec![f.requirement.clone(), f.status.clone(), f.detail.clone()])
                    .collect(),
            );
        }
        println!();
    }
    Ok(())
}
