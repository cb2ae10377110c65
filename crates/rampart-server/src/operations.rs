//! Operating the ISMS: tasks, the server's clock, the implementation project and estimate,
//! internal audits and nonconformities.

use rampart_engine::domain::estimate::{self, Range};
use rampart_engine::domain::internal_audit::{AuditPlan, InternalAudit};
use rampart_engine::domain::management_review::{ManagementReview, ReviewAction};
use rampart_engine::domain::nonconformity::Nonconformity;
use rampart_engine::domain::objective::{Direction, Metric, Objective};
use rampart_engine::domain::task::{Task, TaskFields, TaskLink};
use rampart_engine::domain::training::{Audience, Course, CourseKind, Standing};
use rampart_engine::{ClockView, Engine, ImplementationProject, NonconformityStep, TaskView};
use rampart_proto::v1 as pb;
use tonic::{Request, Response, Status};

use crate::errors::status;
use crate::services::caller;

type Res<T> = Result<Response<T>, Status>;

pub struct Tasks(pub Engine);
pub struct Clock(pub Engine);
pub struct Implementation(pub Engine);

fn fields_in(f: Option<pb::TaskFields>) -> TaskFields {
    let f = f.unwrap_or_default();
    TaskFields {
        title: f.title,
        description: f.description,
        assignee: f.assignee,
        due: f.due,
        recurrence_months: f.recurrence_months,
        link: f.link.map(|l| TaskLink {
            kind: l.kind,
            id: l.id,
        }),
    }
}

pub fn task_out(t: Task) -> pb::Task {
    let overdue = t.overdue(&rampart_engine::now());
    pb::Task {
        id: t.id,
        fields: Some(pb::TaskFields {
            title: t.fields.title,
            description: t.fields.description,
            assignee: t.fields.assignee,
            due: t.fields.due,
            recurrence_months: t.fields.recurrence_months,
            link: t.fields.link.map(|l| pb::TaskLink {
                kind: l.kind,
                id: l.id,
            }),
        }),
        status: t.status.as_str().into(),
        given_by: t.given_by,
        origin: t.origin,
        created_at: t.created_at,
        completed_at: t.completed_at,
        completed_by: t.completed_by,
        note: t.note,
        fell_due_at: t.fell_due_at,
        previous: t.previous,
        overdue,
        revision: t.revision,
    }
}

fn view_in(view: &str) -> Result<TaskView, Status> {
    TaskView::parse(view).map_err(|e| status(rampart_engine::EngineError::Invalid(e)))
}

#[tonic::async_trait]
impl pb::task_service_server::TaskService for Tasks {
    async fn create_task(&self, req: Request<pb::CreateTaskRequest>) -> Res<pb::Task> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let t = self
            .0
            .create_task(&c, &org, &r.id, fields_in(r.fields))
            .await
            .map_err(status)?;
        Ok(Response::new(task_out(t)))
    }

    async fn get_task(&self, req: Request<pb::GetTaskRequest>) -> Res<pb::Task> {
        let (c, org) = caller(&self.0, &req).await?;
        let t = self
            .0
            .get_task(&c, &org, &req.get_ref().id)
            .await
            .map_err(status)?;
        Ok(Response::new(task_out(t)))
    }

    async fn list_tasks(&self, req: Request<pb::ListTasksRequest>) -> Res<pb::ListTasksResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let list = self
            .0
            .list_tasks(&c, &org, view_in(&r.view)?, r.include_closed, &r.assignee)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListTasksResponse {
            tasks: list.into_iter().map(task_out).collect(),
        }))
    }

    async fn complete_task(
        &self,
        req: Request<pb::CompleteTaskRequest>,
    ) -> Res<pb::CompleteTaskResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let (task, next) = self
            .0
            .complete_task(&c, &org, &r.id, r.expected_revision, &r.note)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::CompleteTaskResponse {
            task: Some(task_out(task)),
            next: next.map(task_out),
        }))
    }

    async fn cancel_task(&self, req: Request<pb::CancelTaskRequest>) -> Res<pb::Task> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let t = self
            .0
            .cancel_task(&c, &org, &r.id, r.expected_revision, &r.note)
            .await
            .map_err(status)?;
        Ok(Response::new(task_out(t)))
    }

    async fn generate_tasks(
        &self,
        req: Request<pb::GenerateTasksRequest>,
    ) -> Res<pb::GenerateTasksResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let g = self.0.generate_tasks(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::GenerateTasksResponse {
            created: g.created.into_iter().map(task_out).collect(),
            fell_due: g.fell_due.into_iter().map(task_out).collect(),
        }))
    }
}

fn clock_out(c: ClockView) -> pb::Clock {
    pb::Clock {
        now: c.now,
        offset_seconds: c.offset_seconds,
        simulated: c.simulated,
    }
}

#[tonic::async_trait]
impl pb::clock_service_server::ClockService for Clock {
    async fn get_clock(&self, req: Request<pb::GetClockRequest>) -> Res<pb::Clock> {
        let (c, _) = caller(&self.0, &req).await?;
        Ok(Response::new(clock_out(
            self.0.read_clock(&c).map_err(status)?,
        )))
    }

    async fn advance_clock(&self, req: Request<pb::AdvanceClockRequest>) -> Res<pb::Clock> {
        let (c, _) = caller(&self.0, &req).await?;
        let clock = self
            .0
            .advance_clock(&c, req.get_ref().days)
            .await
            .map_err(status)?;
        Ok(Response::new(clock_out(clock)))
    }
}

fn estimate_out(e: estimate::Estimate) -> pb::ImplementationEstimate {
    pb::ImplementationEstimate {
        employees: e.employees,
        size_band: e.size_band.into(),
        options: e
            .options
            .into_iter()
            .map(|o| pb::EstimateOption {
                option: o.approach.as_str().into(),
                has_duration: o.months.is_some(),
                months: o.months.map(range_out),
                duration_note: o.duration_note,
                effort: o
                    .effort
                    .into_iter()
                    .map(|l| pb::EffortLine {
                        who: l.who,
                        hours: Some(range_out(l.hours)),
                        basis: l.basis,
                    })
                    .collect(),
                costs: o
                    .costs
                    .into_iter()
                    .map(|l| pb::CostLine {
                        item: l.item,
                        usd: Some(range_out(l.usd)),
                        basis: l.basis,
                    })
                    .collect(),
                total_usd: Some(range_out(o.total_usd)),
            })
            .collect(),
        maintenance_share: e.maintenance_share,
        advice: e.advice,
        source: estimate::SOURCE.into(),
    }
}

fn project_out(p: ImplementationProject) -> pb::ImplementationProject {
    pb::ImplementationProject {
        framework: p.framework,
        employees: p.employees,
        percent: p.percent,
        steps: p
            .steps
            .into_iter()
            .map(|s| pb::ImplementationStep {
                order: s.order,
                title: s.title,
                description: s.description,
                requirements: s.requirements,
                findings: s
                    .findings
                    .into_iter()
                    .map(crate::frameworks::finding_out)
                    .collect(),
                checked: s.percent.is_some(),
                percent: s.percent.unwrap_or(0.0),
                status: s.status.into(),
                advice: s.advice,
            })
            .collect(),
        estimate: Some(estimate_out(p.estimate)),
    }
}

fn range_out(r: Range) -> pb::AmountRange {
    pb::AmountRange {
        low: r.low,
        high: r.high,
    }
}

#[tonic::async_trait]
impl pb::implementation_service_server::ImplementationService for Implementation {
    async fn get_certification_readiness(
        &self,
        req: Request<pb::GetCertificationReadinessRequest>,
    ) -> Res<pb::CertificationReadiness> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = self
            .0
            .certification_readiness(&c, &org, &req.get_ref().framework)
            .await
            .map_err(status)?;
        let stage = |s: rampart_engine::AuditStage| pb::AuditStage {
            ready: s.ready(),
            met: s.met as u32,
            total: s.total as u32,
            missing: s
                .missing
                .into_iter()
                .map(crate::frameworks::finding_out)
                .collect(),
        };
        Ok(Response::new(pb::CertificationReadiness {
            framework: r.framework,
            stage1: Some(stage(r.stage1)),
            stage2: Some(stage(r.stage2)),
        }))
    }

    async fn estimate(&self, req: Request<pb::EstimateRequest>) -> Res<pb::ImplementationEstimate> {
        let (c, _) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let e = self
            .0
            .estimate(&c, r.employees, r.departments, r.people_trained)
            .map_err(status)?;
        Ok(Response::new(estimate_out(e)))
    }

    async fn get_implementation_project(
        &self,
        req: Request<pb::GetImplementationProjectRequest>,
    ) -> Res<pb::ImplementationProject> {
        let (c, org) = caller(&self.0, &req).await?;
        let p = self
            .0
            .implementation_project(&c, &org, &req.get_ref().framework)
            .await
            .map_err(status)?;
        Ok(Response::new(project_out(p)))
    }
}

pub struct Audits(pub Engine);

fn audit_out(a: InternalAudit) -> pb::InternalAudit {
    pb::InternalAudit {
        id: a.id,
        plan: Some(pb::AuditPlan {
            title: a.plan.title,
            framework: a.plan.framework,
            scope: a.plan.scope,
            department: a.plan.department,
            auditor: a.plan.auditor,
            start: a.plan.start,
            end: a.plan.end,
        }),
        status: a.status.as_str().into(),
        checklist: a
            .checklist
            .into_iter()
            .map(|i| pb::ChecklistItem {
                requirement: i.requirement,
                title: i.title,
                result: i.result,
                note: i.note,
            })
            .collect(),
        findings: a
            .findings
            .into_iter()
            .map(|f| pb::AuditFinding {
                id: f.id,
                kind: f.kind.as_str().into(),
                requirement: f.requirement,
                description: f.description,
                evidence: f.evidence,
                raised_at: f.raised_at,
                nonconformity: f.nonconformity,
            })
            .collect(),
        planned_by: a.planned_by,
        planned_at: a.planned_at,
        closed_at: a.closed_at,
        conclusion: a.conclusion,
        revision: a.revision,
    }
}

fn nonconformity_out(n: Nonconformity) -> pb::Nonconformity {
    let now = rampart_engine::now();
    pb::Nonconformity {
        status: n.status.as_str().into(),
        actions: n
            .actions
            .iter()
            .map(|a| pb::CorrectiveAction {
                overdue: a.overdue(&now),
                id: a.id.clone(),
                description: a.description.clone(),
                owner: a.owner.clone(),
                due: a.due.clone(),
                done_at: a.done_at.clone(),
                note: a.note.clone(),
            })
            .collect(),
        verifications: n
            .verifications
            .into_iter()
            .map(|v| pb::Verification {
                by: v.by,
                at: v.at,
                effective: v.effective,
                note: v.note,
            })
            .collect(),
        id: n.id,
        source: n.source,
        source_ref: n.source_ref,
        description: n.description,
        requirement: n.requirement,
        root_cause: n.root_cause,
        raised_by: n.raised_by,
        raised_at: n.raised_at,
        closed_at: n.closed_at,
        revision: n.revision,
    }
}

impl Audits {
    async fn step(
        &self,
        c: &rampart_engine::Caller,
        org: &str,
        id: &str,
        revision: u64,
        step: NonconformityStep,
    ) -> Res<pb::Nonconformity> {
        let n = self
            .0
            .nonconformity_step(c, org, id, revision, step)
            .await
            .map_err(status)?;
        Ok(Response::new(nonconformity_out(n)))
    }
}

#[tonic::async_trait]
impl pb::internal_audit_service_server::InternalAuditService for Audits {
    async fn get_audit_programme(
        &self,
        req: Request<pb::GetAuditProgrammeRequest>,
    ) -> Res<pb::AuditProgramme> {
        use rampart_engine::domain::audit_programme::Coverage;
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let p = self
            .0
            .audit_programme(&c, &org, &r.framework, &r.cycle_start)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::AuditProgramme {
            framework: r.framework,
            audited: p.count(Coverage::Audited) as u32,
            planned: p.count(Coverage::Planned) as u32,
            not_covered: p.count(Coverage::NotCovered) as u32,
            percent_audited: p.percent_audited(),
            lines: p
                .lines
                .into_iter()
                .map(|l| pb::ProgrammeLine {
                    requirement: l.item.id,
                    title: l.item.title,
                    kind: l.item.kind.into(),
                    coverage: l.coverage.as_str().into(),
                    audits: l.audits,
                })
                .collect(),
            cycle_start: p.cycle_start,
            cycle_end: p.cycle_end,
        }))
    }

    async fn export_audit_report(
        &self,
        req: Request<pb::ExportAuditReportRequest>,
    ) -> Res<pb::ReportFile> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let f = self
            .0
            .audit_report(&c, &org, &r.id, &r.format)
            .await
            .map_err(status)?;
        Ok(Response::new(crate::convert::report_file(f)))
    }

    async fn plan_audit(&self, req: Request<pb::PlanAuditRequest>) -> Res<pb::InternalAudit> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let p = r.plan.unwrap_or_default();
        let plan = AuditPlan {
            title: p.title,
            framework: p.framework,
            scope: p.scope,
            department: p.department,
            auditor: p.auditor,
            start: p.start,
            end: p.end,
        };
        let a = self
            .0
            .plan_audit(&c, &org, &r.id, plan)
            .await
            .map_err(status)?;
        Ok(Response::new(audit_out(a)))
    }

    async fn get_audit(&self, req: Request<pb::GetAuditRequest>) -> Res<pb::InternalAudit> {
        let (c, org) = caller(&self.0, &req).await?;
        let a = self
            .0
            .get_audit(&c, &org, &req.get_ref().id)
            .await
            .map_err(status)?;
        Ok(Response::new(audit_out(a)))
    }

    async fn list_audits(
        &self,
        req: Request<pb::ListAuditsRequest>,
    ) -> Res<pb::ListAuditsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let list = self.0.list_audits(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::ListAuditsResponse {
            audits: list.into_iter().map(audit_out).collect(),
        }))
    }

    async fn record_checklist_item(
        &self,
        req: Request<pb::RecordChecklistItemRequest>,
    ) -> Res<pb::InternalAudit> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let a = self
            .0
            .record_checklist(
                &c,
                &org,
                &r.id,
                r.expected_revision,
                &r.requirement,
                &r.result,
                &r.note,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(audit_out(a)))
    }

    async fn raise_finding(
        &self,
        req: Request<pb::RaiseFindingRequest>,
    ) -> Res<pb::RaiseFindingResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let (a, n) = self
            .0
            .raise_finding(
                &c,
                &org,
                &r.id,
                r.expected_revision,
                &r.kind,
                &r.requirement,
                &r.description,
                &r.evidence,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(pb::RaiseFindingResponse {
            audit: Some(audit_out(a)),
            nonconformity: n.map(nonconformity_out),
        }))
    }

    async fn close_audit(&self, req: Request<pb::CloseAuditRequest>) -> Res<pb::InternalAudit> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let a = self
            .0
            .close_audit(&c, &org, &r.id, r.expected_revision, &r.conclusion)
            .await
            .map_err(status)?;
        Ok(Response::new(audit_out(a)))
    }

    async fn raise_nonconformity(
        &self,
        req: Request<pb::RaiseNonconformityRequest>,
    ) -> Res<pb::Nonconformity> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let n = self
            .0
            .raise_nonconformity(
                &c,
                &org,
                &r.id,
                &r.source,
                &r.source_ref,
                &r.description,
                &r.requirement,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(nonconformity_out(n)))
    }

    async fn get_nonconformity(
        &self,
        req: Request<pb::GetNonconformityRequest>,
    ) -> Res<pb::Nonconformity> {
        let (c, org) = caller(&self.0, &req).await?;
        let n = self
            .0
            .get_nonconformity(&c, &org, &req.get_ref().id)
            .await
            .map_err(status)?;
        Ok(Response::new(nonconformity_out(n)))
    }

    async fn list_nonconformities(
        &self,
        req: Request<pb::ListNonconformitiesRequest>,
    ) -> Res<pb::ListNonconformitiesResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let list = self
            .0
            .list_nonconformities(&c, &org)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListNonconformitiesResponse {
            nonconformities: list.into_iter().map(nonconformity_out).collect(),
        }))
    }

    async fn set_root_cause(
        &self,
        req: Request<pb::SetRootCauseRequest>,
    ) -> Res<pb::Nonconformity> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        self.step(
            &c,
            &org,
            &r.id,
            r.expected_revision,
            NonconformityStep::RootCause(r.root_cause),
        )
        .await
    }

    async fn add_corrective_action(
        &self,
        req: Request<pb::AddCorrectiveActionRequest>,
    ) -> Res<pb::Nonconformity> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        self.step(
            &c,
            &org,
            &r.id,
            r.expected_revision,
            NonconformityStep::AddAction {
                description: r.description,
                owner: r.owner,
                due: r.due,
            },
        )
        .await
    }

    async fn complete_corrective_action(
        &self,
        req: Request<pb::CompleteCorrectiveActionRequest>,
    ) -> Res<pb::Nonconformity> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        self.step(
            &c,
            &org,
            &r.id,
            r.expected_revision,
            NonconformityStep::CompleteAction {
                action: r.action,
                note: r.note,
            },
        )
        .await
    }

    async fn verify_effectiveness(
        &self,
        req: Request<pb::VerifyEffectivenessRequest>,
    ) -> Res<pb::Nonconformity> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        self.step(
            &c,
            &org,
            &r.id,
            r.expected_revision,
            NonconformityStep::Verify {
                effective: r.effective,
                note: r.note,
            },
        )
        .await
    }
}

pub struct Reviews(pub Engine);

fn review_out(r: ManagementReview) -> pb::ManagementReview {
    let i = r.inputs;
    pb::ManagementReview {
        id: r.id,
        title: r.title,
        attendees: r.attendees,
        held_at: r.held_at,
        held_by: r.held_by,
        inputs: Some(pb::ReviewInputs {
            previous_actions_open: i.previous_actions_open,
            previous_actions_done: i.previous_actions_done,
            interested_parties: i.interested_parties,
            party_requirements: i.party_requirements,
            nonconformities_open: i.nonconformities_open,
            nonconformities_closed: i.nonconformities_closed,
            corrective_actions_overdue: i.corrective_actions_overdue,
            tasks_overdue: i.tasks_overdue,
            document_reviews_overdue: i.document_reviews_overdue,
            audits_closed: i.audits_closed,
            major_nonconformities_found: i.major_nonconformities_found,
            minor_nonconformities_found: i.minor_nonconformities_found,
            observations_found: i.observations_found,
            opportunities_for_improvement: i.opportunities_for_improvement,
            objectives: i.objectives,
            objectives_met: i.objectives_met,
            objectives_note: i.objectives_note,
            risks_assessed: i.risks_assessed,
            risks_above_criterion: i.risks_above_criterion,
            residual_risks_not_accepted: i.residual_risks_not_accepted,
            treatment_plan_items: i.treatment_plan_items,
            treatment_plan_implemented: i.treatment_plan_implemented,
            treatment_plan_overdue: i.treatment_plan_overdue,
            readiness: i.readiness,
        }),
        decisions: r.decisions,
        actions: r
            .actions
            .into_iter()
            .map(|a| pb::ReviewAction {
                description: a.description,
                owner: a.owner,
                due: a.due,
                task: a.task,
            })
            .collect(),
        closed_at: r.closed_at,
        revision: r.revision,
    }
}

#[tonic::async_trait]
impl pb::management_review_service_server::ManagementReviewService for Reviews {
    async fn hold_management_review(
        &self,
        req: Request<pb::HoldManagementReviewRequest>,
    ) -> Res<pb::ManagementReview> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let review = self
            .0
            .hold_management_review(&c, &org, &r.id, &r.title, &r.attendees)
            .await
            .map_err(status)?;
        Ok(Response::new(review_out(review)))
    }

    async fn get_management_review(
        &self,
        req: Request<pb::GetManagementReviewRequest>,
    ) -> Res<pb::ManagementReview> {
        let (c, org) = caller(&self.0, &req).await?;
        let review = self
            .0
            .get_management_review(&c, &org, &req.get_ref().id)
            .await
            .map_err(status)?;
        Ok(Response::new(review_out(review)))
    }

    async fn list_management_reviews(
        &self,
        req: Request<pb::ListManagementReviewsRequest>,
    ) -> Res<pb::ListManagementReviewsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let list = self
            .0
            .list_management_reviews(&c, &org)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListManagementReviewsResponse {
            reviews: list.into_iter().map(review_out).collect(),
        }))
    }

    async fn record_review_outputs(
        &self,
        req: Request<pb::RecordReviewOutputsRequest>,
    ) -> Res<pb::ManagementReview> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let actions = r
            .actions
            .into_iter()
            .map(|a| ReviewAction {
                description: a.description,
                owner: a.owner,
                due: a.due,
                task: String::new(),
            })
            .collect();
        let review = self
            .0
            .record_review_outputs(&c, &org, &r.id, r.expected_revision, &r.decisions, actions)
            .await
            .map_err(status)?;
        Ok(Response::new(review_out(review)))
    }
}

pub struct Objectives(pub Engine);

fn objective_out(o: Objective) -> pb::Objective {
    pb::Objective {
        fulfilment: o.fulfilment().as_str().into(),
        metrics: o
            .metrics
            .into_iter()
            .map(|m| pb::ObjectiveMetric {
                status: match m.met() {
                    None => "not-measured",
                    Some(true) => "met",
                    Some(false) => "not-met",
                }
                .into(),
                direction: m.direction.as_str().into(),
                measurements: m
                    .measurements
                    .into_iter()
                    .map(|x| pb::Measurement {
                        at: x.at,
                        value: x.value,
                        by: x.by,
                        note: x.note,
                    })
                    .collect(),
                id: m.id,
                name: m.name,
                definition: m.definition,
                target: m.target,
                unit: m.unit,
                frequency_months: m.frequency_months,
                owner: m.owner,
                control: m.control,
            })
            .collect(),
        id: o.id,
        title: o.title,
        description: o.description,
        owner: o.owner,
        revision: o.revision,
    }
}

fn objective_in(o: pb::Objective) -> Result<Objective, Status> {
    let metrics = o
        .metrics
        .into_iter()
        .map(|m| {
            Ok(Metric {
                direction: Direction::parse(&m.direction)
                    .map_err(|e| status(rampart_engine::EngineError::Invalid(e)))?,
                id: m.id,
                name: m.name,
                definition: m.definition,
                target: m.target,
                unit: m.unit,
                frequency_months: m.frequency_months,
                owner: m.owner,
                control: m.control,
                measurements: vec![],
            })
        })
        .collect::<Result<Vec<_>, Status>>()?;
    Ok(Objective {
        id: o.id,
        title: o.title,
        description: o.description,
        owner: o.owner,
        metrics,
        revision: 0,
    })
}

#[tonic::async_trait]
impl pb::objective_service_server::ObjectiveService for Objectives {
    async fn put_objective(&self, req: Request<pb::PutObjectiveRequest>) -> Res<pb::Objective> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let o = objective_in(r.objective.unwrap_or_default())?;
        let o = self
            .0
            .put_objective(&c, &org, o, r.expected_revision)
            .await
            .map_err(status)?;
        Ok(Response::new(objective_out(o)))
    }

    async fn get_objective(&self, req: Request<pb::GetObjectiveRequest>) -> Res<pb::Objective> {
        let (c, org) = caller(&self.0, &req).await?;
        let o = self
            .0
            .get_objective(&c, &org, &req.get_ref().id)
            .await
            .map_err(status)?;
        Ok(Response::new(objective_out(o)))
    }

    async fn list_objectives(
        &self,
        req: Request<pb::ListObjectivesRequest>,
    ) -> Res<pb::ListObjectivesResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let list = self.0.list_objectives(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::ListObjectivesResponse {
            objectives: list.into_iter().map(objective_out).collect(),
        }))
    }

    async fn record_measurement(
        &self,
        req: Request<pb::RecordMeasurementRequest>,
    ) -> Res<pb::Objective> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let o = self
            .0
            .record_measurement(
                &c,
                &org,
                &r.id,
                r.expected_revision,
                &r.metric,
                r.value,
                &r.note,
                &r.at,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(objective_out(o)))
    }
}

pub struct Training(pub Engine);

fn course_out(c: Course) -> pb::Course {
    pb::Course {
        kind: c.kind.as_str().into(),
        roles: c.audience.roles,
        departments: c.audience.departments,
        job_titles: c.audience.job_titles,
        completions: c
            .completions
            .into_iter()
            .map(|x| pb::Completion {
                user: x.user,
                at: x.at,
                recorded_by: x.recorded_by,
                note: x.note,
            })
            .collect(),
        id: c.id,
        title: c.title,
        description: c.description,
        frequency_months: c.frequency_months,
        documents: c.documents,
        owner: c.owner,
        revision: c.revision,
    }
}

fn course_in(c: pb::Course) -> Result<Course, Status> {
    Ok(Course {
        kind: CourseKind::parse(&c.kind)
            .map_err(|e| status(rampart_engine::EngineError::Invalid(e)))?,
        audience: Audience {
            roles: c.roles,
            departments: c.departments,
            job_titles: c.job_titles,
        },
        id: c.id,
        title: c.title,
        description: c.description,
        frequency_months: c.frequency_months,
        documents: c.documents,
        owner: c.owner,
        completions: vec![],
        revision: 0,
    })
}

fn standing_out(s: &Standing) -> (String, String) {
    let until = match s {
        Standing::Current { until } => until.clone().unwrap_or_default(),
        Standing::Expired { since } => since.clone(),
        Standing::Missing => String::new(),
    };
    (s.as_str().into(), until)
}

#[tonic::async_trait]
impl pb::training_service_server::TrainingService for Training {
    async fn put_course(&self, req: Request<pb::PutCourseRequest>) -> Res<pb::Course> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let course = course_in(r.course.unwrap_or_default())?;
        let course = self
            .0
            .put_course(&c, &org, course, r.expected_revision)
            .await
            .map_err(status)?;
        Ok(Response::new(course_out(course)))
    }

    async fn get_course(&self, req: Request<pb::GetCourseRequest>) -> Res<pb::Course> {
        let (c, org) = caller(&self.0, &req).await?;
        let course = self
            .0
            .get_course(&c, &org, &req.get_ref().id)
            .await
            .map_err(status)?;
        Ok(Response::new(course_out(course)))
    }

    async fn list_courses(
        &self,
        req: Request<pb::ListCoursesRequest>,
    ) -> Res<pb::ListCoursesResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let list = self.0.list_courses(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::ListCoursesResponse {
            courses: list.into_iter().map(course_out).collect(),
        }))
    }

    async fn record_training(&self, req: Request<pb::RecordTrainingRequest>) -> Res<pb::Course> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let course = self
            .0
            .record_training(
                &c,
                &org,
                &r.id,
                r.expected_revision,
                &r.users,
                &r.at,
                &r.note,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(course_out(course)))
    }

    async fn get_training_status(
        &self,
        req: Request<pb::GetTrainingStatusRequest>,
    ) -> Res<pb::TrainingStatus> {
        let (c, org) = caller(&self.0, &req).await?;
        let s = self.0.training_status(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::TrainingStatus {
            people: s
                .people
                .into_iter()
                .map(|p| {
                    let (standing, until) = standing_out(&p.standing);
                    pb::PersonTraining {
                        user: p.user,
                        department: p.department,
                        course: p.course,
                        kind: p.kind.as_str().into(),
                        last: p.last.unwrap_or_default(),
                        standing,
                        until,
                    }
                })
                .collect(),
            gaps: s
                .gaps
                .into_iter()
                .map(|g| pb::TrainingGap {
                    summary: g.sentence(),
                    course: g.course,
                    course_title: g.course_title,
                    kind: g.kind.as_str().into(),
                    department: g.department,
                    missing: g.missing,
                    expired: g.expired,
                })
                .collect(),
            people_without_awareness: s.people_without_awareness,
            records: s.records,
        }))
    }
}

pub struct Responsibilities(pub Engine);

#[tonic::async_trait]
impl pb::responsibility_service_server::ResponsibilityService for Responsibilities {
    async fn get_responsibility_matrix(
        &self,
        req: Request<pb::GetResponsibilityMatrixRequest>,
    ) -> Res<pb::ResponsibilityMatrix> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let mut m = self
            .0
            .responsibility_matrix(&c, &org)
            .await
            .map_err(status)?;
        if !r.person.trim().is_empty() {
            m = m.for_person(r.person.trim());
        }
        if !r.kind.trim().is_empty() {
            m = m.of_kind(r.kind.trim());
        }
        Ok(Response::new(pb::ResponsibilityMatrix {
            people: m.people(),
            without_accountable: m
                .without_accountable()
                .iter()
                .map(|a| format!("{} {}", a.kind, a.id))
                .collect(),
            load: m
                .load()
                .into_iter()
                .map(|(person, n)| pb::PersonLoad {
                    person,
                    responsible: n[0] as u32,
                    accountable: n[1] as u32,
                    consulted: n[2] as u32,
                    informed: n[3] as u32,
                })
                .collect(),
            activities: m
                .activities
                .iter()
                .map(|a| pb::ResponsibilityActivity {
                    kind: a.kind.into(),
                    id: a.id.clone(),
                    title: a.title.clone(),
                    people: a
                        .people
                        .keys()
                        .map(|p| pb::Responsibility {
                            person: p.clone(),
                            letters: a.letters(p),
                        })
                        .collect(),
                })
                .collect(),
        }))
    }
}
