//! The risk service: the risk register, interested parties, the Statement of Applicability and
//! the risk treatment plan.

use std::collections::BTreeMap;

use rampart_engine::domain::interested_party::{
    InterestedParty, PartyRequirementRecord, RequirementKind,
};
use rampart_engine::domain::risk::{
    Acceptance, Assessment, InputValue, Risk, RiskFields, RiskInput, Treatment, TreatmentOption,
};
use rampart_engine::domain::rtp::RtpItem;
use rampart_engine::domain::soa::{ControlRecord, ImplementationStatus, Justification};
use rampart_engine::{Engine, RiskAssessmentRequest, SoaView};
use rampart_proto::v1 as pb;
use tonic::{Request, Response, Status};

use crate::errors::status;
use crate::services::caller;

type Res<T> = Result<Response<T>, Status>;

pub struct Risks(pub Engine);

/// INVALID_ARGUMENT naming the field, the same way every engine refusal is mapped.
fn invalid(field: &str, message: &str) -> Status {
    status(rampart_engine::EngineError::Invalid(
        rampart_engine::domain::Invalid::new(field, message),
    ))
}

fn inputs_in(list: Vec<pb::Input>) -> Result<Vec<RiskInput>, Status> {
    list.into_iter()
        .map(|i| {
            let value = match i.value {
                Some(pb::input::Value::Number(value)) => InputValue::Number { value },
                Some(pb::input::Value::Text(value)) => InputValue::Text { value },
                Some(pb::input::Value::Estimate(e)) => InputValue::Estimate {
                    min: e.min,
                    mode: e.mode,
                    max: e.max,
                },
                None => return Err(invalid(&format!("inputs.{}", i.name), "has no value")),
            };
            Ok(RiskInput {
                name: i.name,
                value,
            })
        })
        .collect()
}

fn inputs_out(list: &[RiskInput]) -> Vec<pb::Input> {
    list.iter()
        .map(|i| pb::Input {
            name: i.name.clone(),
            value: Some(match &i.value {
                InputValue::Number { value } => pb::input::Value::Number(*value),
                InputValue::Text { value } => pb::input::Value::Text(value.clone()),
                InputValue::Estimate { min, mode, max } => {
                    pb::input::Value::Estimate(pb::Estimate {
                        min: *min,
                        mode: *mode,
                        max: *max,
                    })
                }
            }),
        })
        .collect()
}

fn fields_in(f: Option<pb::RiskFields>) -> RiskFields {
    let f = f.unwrap_or_default();
    RiskFields {
        title: f.title,
        description: f.description,
        assets: f.assets,
        threat: f.threat,
        vulnerability: f.vulnerability,
        owner: f.owner,
    }
}

fn assessment_out(a: Assessment) -> pb::RiskAssessment {
    pb::RiskAssessment {
        inputs: inputs_out(&a.inputs),
        methodology: a.methodology,
        methodology_version: a.methodology_version,
        digest: a.digest,
        score: a.score,
        level: a.level,
        acceptable: a.acceptable,
        explanation: a.explanation,
        at: a.at,
        by: a.by,
        note: a.note,
    }
}

pub(crate) fn risk_out(r: Risk) -> pb::Risk {
    pb::Risk {
        id: r.id,
        fields: Some(pb::RiskFields {
            title: r.fields.title,
            description: r.fields.description,
            assets: r.fields.assets,
            threat: r.fields.threat,
            vulnerability: r.fields.vulnerability,
            owner: r.fields.owner,
        }),
        assessments: r.assessments.into_iter().map(assessment_out).collect(),
        treatment: r.treatment.map(|t| pb::Treatment {
            option: t.option.as_str().into(),
            controls: t.controls,
            plan: t.plan,
        }),
        residual: r.residual.into_iter().map(assessment_out).collect(),
        acceptance: r.acceptance.map(|a: Acceptance| pb::Acceptance {
            by: a.by,
            at: a.at,
            level: a.level,
            above_criterion: a.above_criterion,
            note: a.note,
        }),
        revision: r.revision,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

fn risks_out(list: Vec<Risk>) -> pb::ListRisksResponse {
    pb::ListRisksResponse {
        risks: list.into_iter().map(risk_out).collect(),
    }
}

fn party_in(p: pb::InterestedParty) -> Result<InterestedParty, Status> {
    let mut requirements = Vec::new();
    for (i, r) in p.requirements.into_iter().enumerate() {
        requirements.push(PartyRequirementRecord {
            id: r.id,
            kind: RequirementKind::parse(&format!("requirements[{i}].kind"), &r.kind)
                .map_err(|e| invalid(&e.field, &e.message))?,
            text: r.text,
            controls: r.controls,
        });
    }
    Ok(InterestedParty {
        id: p.id,
        name: p.name,
        category: p.category,
        requirements,
    })
}

fn party_out(p: InterestedParty, revision: u64) -> pb::InterestedParty {
    pb::InterestedParty {
        id: p.id,
        name: p.name,
        category: p.category,
        requirements: p
            .requirements
            .into_iter()
            .map(|r| pb::PartyRequirement {
                id: r.id,
                kind: r.kind.as_str().into(),
                text: r.text,
                controls: r.controls,
            })
            .collect(),
        revision,
    }
}

fn status_in(field: &str, s: &str) -> Result<Option<ImplementationStatus>, Status> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    ImplementationStatus::parse(s).map(Some).ok_or_else(|| {
        invalid(
            field,
            "use not-started, planned, in-progress or implemented",
        )
    })
}

fn soa_out(v: SoaView) -> pb::StatementOfApplicability {
    let revisions = v.record_revisions;
    pb::StatementOfApplicability {
        framework: v.framework,
        entries: v
            .entries
            .into_iter()
            .map(|e| pb::SoaEntry {
                record_revision: revisions.get(&e.control).copied().unwrap_or(0),
                framework: e.framework,
                control: e.control,
                title: e.title,
                applicable: e.applicable,
                justifications: e
                    .justifications
                    .into_iter()
                    .map(|j| match j {
                        Justification::RiskTreatment { risks } => pb::Justification {
                            kind: "risk-treatment".into(),
                            risks,
                            ..Default::default()
                        },
                        Justification::Requirement { party, requirement } => pb::Justification {
                            kind: "requirement".into(),
                            party,
                            requirement,
                            ..Default::default()
                        },
                        Justification::Business { note } => pb::Justification {
                            kind: "business".into(),
                            note,
                            ..Default::default()
                        },
                        Justification::BestPractice { note } => pb::Justification {
                            kind: "best-practice".into(),
                            note,
                            ..Default::default()
                        },
                        Justification::Override { reason } => pb::Justification {
                            kind: "override".into(),
                            note: reason,
                            ..Default::default()
                        },
                    })
                    .collect(),
                exclusion: e.exclusion,
                status: e.status.as_str().into(),
                implementation: e.implementation,
            })
            .collect(),
        approved_version: v.approved.as_ref().map_or(0, |a| a.number),
        approved_by: v
            .approved
            .as_ref()
            .map(|a| a.approved_by.clone())
            .unwrap_or_default(),
        approved_at: v
            .approved
            .as_ref()
            .map(|a| a.approved_at.clone())
            .unwrap_or_default(),
        outdated: v.outdated,
        changes: v
            .changes
            .into_iter()
            .map(|c| pb::SoaChange {
                control: c.control,
                changes: c.changes,
            })
            .collect(),
    }
}

fn item_out(i: RtpItem, revision: u64, now: &str) -> pb::TreatmentPlanItem {
    pb::TreatmentPlanItem {
        overdue: i.overdue(now),
        framework: i.framework,
        control: i.control,
        owner: i.owner,
        actions: i.actions,
        due: i.due,
        budget: i.budget,
        status: i.status.as_str().into(),
        revision,
    }
}

#[tonic::async_trait]
impl pb::risk_service_server::RiskService for Risks {
    async fn get_risk_settings(
        &self,
        req: Request<pb::GetRiskSettingsRequest>,
    ) -> Res<pb::RiskSettings> {
        let (c, org) = caller(&self.0, &req).await?;
        let s = self.0.risk_settings(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::RiskSettings {
            methodology: s.methodology,
        }))
    }

    async fn set_risk_methodology(
        &self,
        req: Request<pb::SetRiskMethodologyRequest>,
    ) -> Res<pb::RiskSettings> {
        let (c, org) = caller(&self.0, &req).await?;
        let s = self
            .0
            .set_risk_methodology(&c, &org, &req.get_ref().methodology)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::RiskSettings {
            methodology: s.methodology,
        }))
    }

    async fn migrate_risk_methodology(
        &self,
        req: Request<pb::MigrateRiskMethodologyRequest>,
    ) -> Res<pb::ListRisksResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let mut inputs = BTreeMap::new();
        for i in r.inputs {
            inputs.insert(i.risk, inputs_in(i.inputs)?);
        }
        let out = self
            .0
            .migrate_risk_methodology(&c, &org, &r.methodology, inputs)
            .await
            .map_err(status)?;
        Ok(Response::new(risks_out(out)))
    }

    async fn create_risk(&self, req: Request<pb::CreateRiskRequest>) -> Res<pb::Risk> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let risk = self
            .0
            .create_risk(&c, &org, &r.id, fields_in(r.fields))
            .await
            .map_err(status)?;
        Ok(Response::new(risk_out(risk)))
    }

    async fn get_risk(&self, req: Request<pb::GetRiskRequest>) -> Res<pb::Risk> {
        let (c, org) = caller(&self.0, &req).await?;
        let risk = self
            .0
            .get_risk(&c, &org, &req.get_ref().id)
            .await
            .map_err(status)?;
        Ok(Response::new(risk_out(risk)))
    }

    async fn list_risks(&self, req: Request<pb::ListRisksRequest>) -> Res<pb::ListRisksResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let list = self
            .0
            .list_risks(&c, &org, &req.get_ref().owner)
            .await
            .map_err(status)?;
        Ok(Response::new(risks_out(list)))
    }

    async fn update_risk(&self, req: Request<pb::UpdateRiskRequest>) -> Res<pb::Risk> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let risk = self
            .0
            .update_risk(&c, &org, &r.id, r.expected_revision, fields_in(r.fields))
            .await
            .map_err(status)?;
        Ok(Response::new(risk_out(risk)))
    }

    async fn assess_risk(&self, req: Request<pb::AssessRiskRequest>) -> Res<pb::Risk> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let risk = self
            .0
            .assess_risk(
                &c,
                &org,
                &r.id,
                r.expected_revision,
                inputs_in(r.inputs)?,
                r.residual,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(risk_out(risk)))
    }

    async fn assess_risks(
        &self,
        req: Request<pb::AssessRisksRequest>,
    ) -> Res<pb::ListRisksResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let mut batch = Vec::new();
        for item in r.risks {
            batch.push(RiskAssessmentRequest {
                risk: item.risk,
                inputs: inputs_in(item.inputs)?,
                residual: r.residual,
            });
        }
        let out = self.0.assess_risks(&c, &org, batch).await.map_err(status)?;
        Ok(Response::new(risks_out(out)))
    }

    async fn treat_risk(&self, req: Request<pb::TreatRiskRequest>) -> Res<pb::Risk> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let t = r.treatment.unwrap_or_default();
        let treatment = Treatment {
            option: TreatmentOption::parse("treatment.option", &t.option)
                .map_err(|e| invalid(&e.field, &e.message))?,
            controls: t.controls,
            plan: t.plan,
        };
        let risk = self
            .0
            .treat_risk(&c, &org, &r.id, r.expected_revision, treatment)
            .await
            .map_err(status)?;
        Ok(Response::new(risk_out(risk)))
    }

    async fn accept_risk(&self, req: Request<pb::AcceptRiskRequest>) -> Res<pb::Risk> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let risk = self
            .0
            .accept_risk(&c, &org, &r.id, r.expected_revision, &r.note)
            .await
            .map_err(status)?;
        Ok(Response::new(risk_out(risk)))
    }

    async fn list_parties(
        &self,
        req: Request<pb::ListPartiesRequest>,
    ) -> Res<pb::ListPartiesResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let list = self.0.list_parties(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::ListPartiesResponse {
            parties: list.into_iter().map(|(p, rev)| party_out(p, rev)).collect(),
        }))
    }

    async fn put_party(&self, req: Request<pb::PutPartyRequest>) -> Res<pb::InterestedParty> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let party = party_in(r.party.unwrap_or_default())?;
        let (p, revision) = self
            .0
            .put_party(&c, &org, party, r.expected_revision)
            .await
            .map_err(status)?;
        Ok(Response::new(party_out(p, revision)))
    }

    async fn set_control_record(
        &self,
        req: Request<pb::SetControlRecordRequest>,
    ) -> Res<pb::ControlRecord> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let rec = r.record.unwrap_or_default();
        let record = ControlRecord {
            applicable_override: match rec.applicability.trim() {
                "" => None,
                "applicable" => Some(true),
                "not-applicable" => Some(false),
                _ => {
                    return Err(invalid(
                        "record.applicability",
                        "use applicable, not-applicable, or leave it empty to derive it",
                    ));
                }
            },
            reason: rec.reason,
            business: rec.business,
            best_practice: rec.best_practice,
            status: status_in("record.status", &rec.status)?,
            implementation: rec.implementation,
        };
        let (saved, revision) = self
            .0
            .set_control_record(
                &c,
                &org,
                &r.framework,
                &r.control,
                record,
                r.expected_revision,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ControlRecord {
            applicability: match saved.applicable_override {
                Some(true) => "applicable".into(),
                Some(false) => "not-applicable".into(),
                None => String::new(),
            },
            reason: saved.reason,
            business: saved.business,
            best_practice: saved.best_practice,
            status: saved
                .status
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            implementation: saved.implementation,
            revision,
        }))
    }

    async fn get_statement_of_applicability(
        &self,
        req: Request<pb::GetStatementOfApplicabilityRequest>,
    ) -> Res<pb::StatementOfApplicability> {
        let (c, org) = caller(&self.0, &req).await?;
        let v = self
            .0
            .statement_of_applicability(&c, &org, &req.get_ref().framework)
            .await
            .map_err(status)?;
        Ok(Response::new(soa_out(v)))
    }

    async fn approve_statement_of_applicability(
        &self,
        req: Request<pb::ApproveStatementOfApplicabilityRequest>,
    ) -> Res<pb::StatementOfApplicability> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        self.0
            .approve_soa(&c, &org, &r.framework, &r.note)
            .await
            .map_err(status)?;
        let v = self
            .0
            .statement_of_applicability(&c, &org, &r.framework)
            .await
            .map_err(status)?;
        Ok(Response::new(soa_out(v)))
    }

    async fn suggest_threats(
        &self,
        req: Request<pb::SuggestThreatsRequest>,
    ) -> Res<pb::SuggestThreatsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let list = self
            .0
            .suggest_threats(&c, &org, &req.get_ref().asset)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::SuggestThreatsResponse {
            threats: list
                .into_iter()
                .map(|t| pb::ThreatSuggestion {
                    framework: t.framework,
                    threat: t.threat,
                    name: t.name,
                    score: t.score,
                    reason: t.reason,
                    vulnerabilities: t.vulnerabilities,
                })
                .collect(),
        }))
    }

    async fn suggest_controls(
        &self,
        req: Request<pb::SuggestControlsRequest>,
    ) -> Res<pb::SuggestControlsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let list = self
            .0
            .suggest_controls(&c, &org, &req.get_ref().risk)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::SuggestControlsResponse {
            controls: list
                .into_iter()
                .map(|s| pb::ControlSuggestion {
                    framework: s.framework,
                    control: s.control,
                    score: s.score,
                    reason: s.reason,
                })
                .collect(),
        }))
    }

    async fn export_report(&self, req: Request<pb::ExportReportRequest>) -> Res<pb::ReportFile> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let kind = rampart_engine::ReportKind::parse(&r.kind)
            .map_err(|e| invalid(&e.field, &e.message))?;
        let format = rampart_engine::ReportFormat::parse(&r.format)
            .map_err(|e| invalid(&e.field, &e.message))?;
        let f = self
            .0
            .export_report(&c, &org, kind, &r.framework, format)
            .await
            .map_err(status)?;
        Ok(Response::new(crate::convert::report_file(f)))
    }

    async fn get_treatment_plan(
        &self,
        req: Request<pb::GetTreatmentPlanRequest>,
    ) -> Res<pb::TreatmentPlan> {
        let (c, org) = caller(&self.0, &req).await?;
        let p = self
            .0
            .treatment_plan(&c, &org, &req.get_ref().framework)
            .await
            .map_err(status)?;
        let now = rampart_engine::now();
        Ok(Response::new(pb::TreatmentPlan {
            framework: p.framework,
            implemented: p.rollup.implemented as u32,
            in_progress: p.rollup.in_progress as u32,
            overdue: p.rollup.overdue as u32,
            progress: p.rollup.progress,
            budget: p.rollup.budget,
            budget_spent: p.rollup.budget_spent,
            items: p
                .items
                .into_iter()
                .map(|(i, rev)| item_out(i, rev, &now))
                .collect(),
        }))
    }

    async fn set_treatment_plan_item(
        &self,
        req: Request<pb::SetTreatmentPlanItemRequest>,
    ) -> Res<pb::TreatmentPlanItem> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let i = r.item.unwrap_or_default();
        let item = RtpItem {
            framework: i.framework,
            control: i.control,
            owner: i.owner,
            actions: i.actions,
            due: i.due,
            budget: i.budget,
            status: status_in("item.status", &i.status)?.unwrap_or(ImplementationStatus::Planned),
        };
        let (saved, revision) = self
            .0
            .set_rtp_item(&c, &org, item, r.expected_revision)
            .await
            .map_err(status)?;
        Ok(Response::new(item_out(
            saved,
            revision,
            &rampart_engine::now(),
        )))
    }
}
