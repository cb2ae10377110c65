//! `rampart risk|party|soa|rtp …`: the risk register, interested parties, the Statement of
//! Applicability and the risk treatment plan.

use anyhow::{Context, bail};
use rampart_proto::v1 as pb;

use crate::cli::{PartyCmd, RiskCmd, RtpCmd, SoaCmd};
use crate::client::{Client, explain};
use crate::output::{json, record, table};
use crate::plugins::parse_input;

fn level(list: &[pb::RiskAssessment]) -> String {
    list.last()
        .map(|a| format!("{} ({})", a.level, a.methodology))
        .unwrap_or_else(|| "-".into())
}

fn risk_row(r: &pb::Risk) -> Vec<String> {
    let f = r.fields.clone().unwrap_or_default();
    vec![
        r.id.clone(),
        f.title,
        f.owner,
        level(&r.assessments),
        r.treatment
            .as_ref()
            .map(|t| format!("{} {}", t.option, t.controls.join(" ")))
            .unwrap_or_default(),
        level(&r.residual),
        r.acceptance
            .as_ref()
            .map(|a| format!("by {}", a.by))
            .unwrap_or_default(),
    ]
}

const RISK_HEADERS: [&str; 7] = [
    "id",
    "title",
    "owner",
    "level",
    "treatment",
    "residual",
    "accepted",
];

async fn current(client: &Client, id: &str) -> anyhow::Result<pb::Risk> {
    Ok(client
        .risks()
        .get_risk(client.req(pb::GetRiskRequest {
            id: id.into(),
            ..Default::default()
        }))
        .await
        .map_err(explain)?
        .into_inner())
}

fn show(r: &pb::Risk, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(r);
    }
    table(&RISK_HEADERS, vec![risk_row(r)]);
    let history: Vec<Vec<String>> = r
        .assessments
        .iter()
        .map(|a| ("inherent", a))
        .chain(r.residual.iter().map(|a| ("residual", a)))
        .map(|(kind, a)| {
            vec![
                kind.into(),
                a.at.clone(),
                format!("{} {}", a.methodology, a.methodology_version),
                a.level.clone(),
                if a.acceptable { "yes" } else { "no" }.into(),
                a.note.clone(),
            ]
        })
        .collect();
    if !history.is_empty() {
        table(
            &["assessment", "at", "method", "level", "acceptable", "note"],
            history,
        );
    }
    Ok(())
}

/// `{"likelihood": 4, "name": "text", "estimate": [1, 2, 3]}` as inputs.
fn inputs_from_json(risk: &str, v: &serde_json::Value) -> anyhow::Result<Vec<pb::Input>> {
    let Some(map) = v.as_object() else {
        bail!("{risk}: write the inputs as an object of name: value");
    };
    map.iter()
        .map(|(name, value)| {
            let value = match value {
                serde_json::Value::Number(n) => {
                    pb::input::Value::Number(n.as_f64().unwrap_or_default())
                }
                serde_json::Value::String(s) => pb::input::Value::Text(s.clone()),
                serde_json::Value::Array(a) if a.len() == 3 => {
                    let n = |i: usize| a[i].as_f64().with_context(|| format!("{risk}.{name}"));
                    pb::input::Value::Estimate(pb::Estimate {
                        min: n(0)?,
                        mode: n(1)?,
                        max: n(2)?,
                    })
                }
                _ => bail!("{risk}.{name}: a number, a text or [min, mode, max]"),
            };
            Ok(pb::Input {
                name: name.clone(),
                value: Some(value),
            })
        })
        .collect()
}

pub async fn run_risk(client: &Client, cmd: RiskCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.risks();
    match cmd {
        RiskCmd::List { owner } => {
            let r = svc
                .list_risks(client.req(pb::ListRisksRequest {
                    owner,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(&RISK_HEADERS, r.risks.iter().map(risk_row).collect());
        }
        RiskCmd::Show { id } => show(&current(client, &id).await?, as_json)?,
        RiskCmd::Create {
            id,
            title,
            assets,
            threat,
            vulnerability,
            owner,
            description,
        } => {
            let r = svc
                .create_risk(client.req(pb::CreateRiskRequest {
                    id,
                    fields: Some(pb::RiskFields {
                        title,
                        description,
                        assets,
                        threat,
                        vulnerability,
                        owner,
                    }),
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            show(&r, as_json)?;
        }
        RiskCmd::Assess {
            id,
            inputs,
            residual,
        } => {
            let now = current(client, &id).await?;
            let r = svc
                .assess_risk(
                    client.req(pb::AssessRiskRequest {
                        id,
                        expected_revision: now.revision,
                        inputs: inputs
                            .iter()
                            .map(|i| parse_input(i))
                            .collect::<anyhow::Result<_>>()?,
                        residual,
                        ..Default::default()
                    }),
                )
                .await
                .map_err(explain)?
                .into_inner();
            show(&r, as_json)?;
        }
        RiskCmd::Treat {
            id,
            option,
            controls,
            plan,
        } => {
            let now = current(client, &id).await?;
            let r = svc
                .treat_risk(client.req(pb::TreatRiskRequest {
                    id,
                    expected_revision: now.revision,
                    treatment: Some(pb::Treatment {
                        option,
                        controls,
                        plan,
                    }),
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            show(&r, as_json)?;
        }
        RiskCmd::Accept { id, note } => {
            let now = current(client, &id).await?;
            let r = svc
                .accept_risk(client.req(pb::AcceptRiskRequest {
                    id,
                    expected_revision: now.revision,
                    note,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            show(&r, as_json)?;
        }
        RiskCmd::Report {
            kind,
            format,
            framework,
            out,
        } => {
            let f = svc
                .export_report(client.req(pb::ExportReportRequest {
                    kind,
                    framework,
                    format,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            crate::output::write_report(f, out, as_json)?;
        }
        RiskCmd::SuggestThreats { asset } => {
            let r = svc
                .suggest_threats(client.req(pb::SuggestThreatsRequest {
                    asset,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["threat", "name", "score", "vulnerabilities", "why"],
                r.threats
                    .iter()
                    .take(20)
                    .map(|t| {
                        vec![
                            format!("{}:{}", t.framework, t.threat),
                            t.name.clone(),
                            format!("{:.2}", t.score),
                            t.vulnerabilities.join(", "),
                            t.reason.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        RiskCmd::SuggestControls { id } => {
            let r = svc
                .suggest_controls(client.req(pb::SuggestControlsRequest {
                    risk: id,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["control", "score", "why"],
                r.controls
                    .iter()
                    .map(|s| {
                        vec![
                            format!("{}:{}", s.framework, s.control),
                            format!("{:.2}", s.score),
                            s.reason.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        RiskCmd::Methodology { id } => {
            let s = match id {
                Some(methodology) => svc
                    .set_risk_methodology(client.req(pb::SetRiskMethodologyRequest {
                        methodology,
                        ..Default::default()
                    }))
                    .await
                    .map_err(explain)?
                    .into_inner(),
                None => svc
                    .get_risk_settings(client.req(pb::GetRiskSettingsRequest::default()))
                    .await
                    .map_err(explain)?
                    .into_inner(),
            };
            if as_json {
                return json(&s);
            }
            record(&[("methodology", s.methodology)]);
        }
        RiskCmd::Migrate {
            methodology,
            inputs,
        } => {
            let text = std::fs::read_to_string(&inputs)
                .with_context(|| format!("cannot read {}", inputs.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON", inputs.display()))?;
            let Some(map) = v.as_object() else {
                bail!("{}: write an object of risk id: inputs", inputs.display());
            };
            let mut list = Vec::new();
            for (risk, values) in map {
                list.push(pb::RiskInputs {
                    risk: risk.clone(),
                    inputs: inputs_from_json(risk, values)?,
                });
            }
            let r = svc
                .migrate_risk_methodology(client.req(pb::MigrateRiskMethodologyRequest {
                    methodology: methodology.clone(),
                    inputs: list,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            println!(
                "{} risks re-assessed with {methodology}; their earlier assessments are kept",
                r.risks.len()
            );
        }
    }
    Ok(())
}

pub async fn run_party(client: &Client, cmd: PartyCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.risks();
    match cmd {
        PartyCmd::List => {
            let r = svc
                .list_parties(client.req(pb::ListPartiesRequest::default()))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["party", "requirement", "kind", "controls"],
                r.parties
                    .iter()
                    .flat_map(|p| {
                        p.requirements.iter().map(move |q| {
                            vec![
                                p.name.clone(),
                                q.text.clone(),
                                q.kind.clone(),
                                q.controls.join(", "),
                            ]
                        })
                    })
                    .collect(),
            );
        }
        PartyCmd::Put { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON", file.display()))?;
            let requirements = v["requirements"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .map(|q| pb::PartyRequirement {
                            id: q["id"].as_str().unwrap_or_default().into(),
                            kind: q["kind"].as_str().unwrap_or_default().into(),
                            text: q["text"].as_str().unwrap_or_default().into(),
                            controls: q["controls"]
                                .as_array()
                                .map(|c| {
                                    c.iter()
                                        .filter_map(|x| x.as_str().map(str::to_string))
                                        .collect()
                                })
                                .unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let party = pb::InterestedParty {
                id: v["id"].as_str().unwrap_or_default().into(),
                name: v["name"].as_str().unwrap_or_default().into(),
                category: v["category"].as_str().unwrap_or_default().into(),
                requirements,
                revision: 0,
            };
            let r = svc
                .put_party(client.req(pb::PutPartyRequest {
                    party: Some(party),
                    expected_revision: v["revision"].as_u64().unwrap_or(0),
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            println!("saved {} at revision {}", r.id, r.revision);
        }
    }
    Ok(())
}

fn why(e: &pb::SoaEntry) -> String {
    if !e.applicable {
        return e.exclusion.clone();
    }
    e.justifications
        .iter()
        .map(|j| match j.kind.as_str() {
            "risk-treatment" => format!("risks {}", j.risks.join(", ")),
            "requirement" => format!("{}: {}", j.party, j.requirement),
            other => format!("{other}: {}", j.note),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub async fn run_soa(client: &Client, cmd: SoaCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.risks();
    let soa = match cmd {
        SoaCmd::Show { framework, changes } => {
            let s = svc
                .get_statement_of_applicability(client.req(
                    pb::GetStatementOfApplicabilityRequest {
                        framework,
                        ..Default::default()
                    },
                ))
                .await
                .map_err(explain)?
                .into_inner();
            if changes && !as_json {
                table(
                    &["control", "changed since the approved version"],
                    s.changes
                        .iter()
                        .map(|c| vec![c.control.clone(), c.changes.join(", ")])
                        .collect(),
                );
                return Ok(());
            }
            s
        }
        SoaCmd::Set {
            framework,
            control,
            applicability,
            reason,
            business,
            best_practice,
            status,
            implementation,
        } => {
            let applicability = match applicability.as_deref() {
                None | Some("derive") => String::new(),
                Some(a) => a.to_string(),
            };
            let soa = svc
                .get_statement_of_applicability(client.req(
                    pb::GetStatementOfApplicabilityRequest {
                        framework: framework.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .map_err(explain)?
                .into_inner();
            let revision = soa
                .entries
                .iter()
                .find(|e| e.control == control)
                .map_or(0, |e| e.record_revision);
            let r = svc
                .set_control_record(client.req(pb::SetControlRecordRequest {
                    framework,
                    control,
                    record: Some(pb::ControlRecord {
                        applicability,
                        reason,
                        business,
                        best_practice,
                        status,
                        implementation,
                        revision: 0,
                    }),
                    expected_revision: revision,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            return if as_json {
                json(&r)
            } else {
                println!("recorded at revision {}", r.revision);
                Ok(())
            };
        }
        SoaCmd::Approve { framework, note } => svc
            .approve_statement_of_applicability(client.req(
                pb::ApproveStatementOfApplicabilityRequest {
                    framework,
                    note,
                    ..Default::default()
                },
            ))
            .await
            .map_err(explain)?
            .into_inner(),
    };
    if as_json {
        return json(&soa);
    }
    table(
        &["control", "title", "applicable", "why", "status"],
        soa.entries
            .iter()
            .map(|e| {
                vec![
                    e.control.clone(),
                    e.title.clone(),
                    if e.applicable { "yes" } else { "no" }.into(),
                    why(e),
                    e.status.clone(),
                ]
            })
            .collect(),
    );
    let applicable = soa.entries.iter().filter(|e| e.applicable).count();
    let state = match (soa.approved_version, soa.outdated) {
        (0, _) => "never approved".to_string(),
        (v, false) => format!("approved version {v} by {}", soa.approved_by),
        (v, true) => format!(
            "OUTDATED since approved version {v}: {} controls changed (`rampart soa show --changes`)",
            soa.changes.len()
        ),
    };
    println!(
        "{}: {applicable} of {} controls applicable; {state}",
        soa.framework,
        soa.entries.len()
    );
    Ok(())
}

pub async fn run_rtp(client: &Client, cmd: RtpCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.risks();
    match cmd {
        RtpCmd::Show { framework } => {
            let p = svc
                .get_treatment_plan(client.req(pb::GetTreatmentPlanRequest {
                    framework,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&p);
            }
            table(
                &["control", "owner", "actions", "due", "budget", "status"],
                p.items
                    .iter()
                    .map(|i| {
                        vec![
                            i.control.clone(),
                            i.owner.clone(),
                            i.actions.clone(),
                            if i.overdue {
                                format!("{} OVERDUE", i.due)
                            } else {
                                i.due.clone()
                            },
                            format!("{:.0}", i.budget),
                            i.status.clone(),
                        ]
                    })
                    .collect(),
            );
            println!(
                "{}: {:.0}% implemented ({} of {} items), {} in progress, {} overdue; budget {:.0}, of which {:.0} on implemented controls",
                p.framework,
                p.progress,
                p.implemented,
                p.items.len(),
                p.in_progress,
                p.overdue,
                p.budget,
                p.budget_spent
            );
        }
        RtpCmd::Set {
            framework,
            control,
            owner,
            actions,
            due,
            budget,
            status,
        } => {
            let plan = svc
                .get_treatment_plan(client.req(pb::GetTreatmentPlanRequest {
                    framework: framework.clone(),
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            let revision = plan
                .items
                .iter()
                .find(|i| i.control == control)
                .map_or(0, |i| i.revision);
            let r = svc
                .set_treatment_plan_item(client.req(pb::SetTreatmentPlanItemRequest {
                    item: Some(pb::TreatmentPlanItem {
                        framework,
                        control,
                        owner,
                        actions,
                        due,
                        budget,
                        status,
                        revision: 0,
                        overdue: false,
                    }),
                    expected_revision: revision,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            println!("planned {} at revision {}", r.control, r.revision);
        }
    }
    Ok(())
}
