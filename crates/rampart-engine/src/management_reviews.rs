//! Management reviews (ISO/IEC 27001 9.3): the inputs compiled from the engine's own records
//! when the review is held, the decisions recorded, and each action turned into a task.

use rampart_authz::Resource;
use rampart_domain::internal_audit::{AuditStatus, FindingKind, InternalAudit};
use rampart_domain::management_review::{ManagementReview, ReviewAction, ReviewInputs};
use rampart_domain::nonconformity::{Nonconformity, NonconformityStatus};
use rampart_domain::task::{ORIGIN_MANAGEMENT_REVIEW, Task, TaskFields, TaskLink, TaskStatus};
use rampart_store::registers::{self as store, Table};
use rampart_store::{Change, Database};

use crate::{Caller, Engine, EngineError};

fn reviews(org: &str) -> Resource {
    Resource::ManagementReviews {
        organisation: org.to_string(),
    }
}

impl Engine {
    /// 9.3.2's inputs as the engine's records stand now.
    async fn review_inputs(&self, org: &str, db: &Database) -> Result<ReviewInputs, EngineError> {
        let now = rampart_store::now();
        let mut i = ReviewInputs {
            objectives_note: "no objectives defined yet (6.2)".into(),
            ..Default::default()
        };
        let tasks: Vec<Task> = store::all(db, Table::Task).await?;
        for t in &tasks {
            if t.overdue(&now) {
                i.tasks_overdue += 1;
            }
            if t.origin == ORIGIN_MANAGEMENT_REVIEW {
                match t.status {
                    TaskStatus::Done => i.previous_actions_done += 1,
                    TaskStatus::Open => i.previous_actions_open += 1,
                    TaskStatus::Cancelled => {}
                }
            }
        }
        let objectives: Vec<rampart_domain::objective::Objective> =
            store::all(db, Table::Objective).await?;
        if !objectives.is_empty() {
            i.objectives = objectives.len() as u64;
            i.objectives_met = objectives
                .iter()
                .filter(|o| o.fulfilment() == rampart_domain::objective::Fulfilment::Met)
                .count() as u64;
            let unmeasured = objectives
                .iter()
                .filter(|o| o.fulfilment() == rampart_domain::objective::Fulfilment::NotMeasured)
                .count();
            i.objectives_note = format!("{unmeasured} not measured yet");
        }
        let parties: Vec<rampart_domain::interested_party::InterestedParty> =
            store::all(db, Table::Party).await?;
        i.interested_parties = parties.len() as u64;
        i.party_requirements = parties.iter().map(|p| p.requirements.len() as u64).sum();
        let ncs: Vec<Nonconformity> = store::all(db, Table::Nonconformity).await?;
        for n in &ncs {
            if n.status == NonconformityStatus::Closed {
                i.nonconformities_closed += 1;
            } else {
                i.nonconformities_open += 1;
            }
            i.corrective_actions_overdue += n.overdue_actions(&now) as u64;
        }
        for d in rampart_store::documents::all(db).await? {
            if d.review_overdue(&now) {
                i.document_reviews_overdue += 1;
            }
        }
        let audits: Vec<InternalAudit> = store::all(db, Table::InternalAudit).await?;
        for a in audits.iter().filter(|a| a.status == AuditStatus::Closed) {
            i.audits_closed += 1;
            for f in &a.findings {
                match f.kind {
                    FindingKind::MajorNonconformity => i.major_nonconformities_found += 1,
                    FindingKind::MinorNonconformity => i.minor_nonconformities_found += 1,
                    FindingKind::Observation => i.observations_found += 1,
                    FindingKind::OpportunityForImprovement => i.opportunities_for_improvement += 1,
                }
            }
        }
        let risks = rampart_store::risks::all(db).await?;
        for r in &risks {
            if let Some(a) = r.current() {
                i.risks_assessed += 1;
                if !a.acceptable {
                    i.risks_above_criterion += 1;
                }
            }
            if r.to_accept().is_some() && r.acceptance.is_none() {
                i.residual_risks_not_accepted += 1;
            }
        }
        let items: Vec<rampart_domain::rtp::RtpItem> = store::all(db, Table::RtpItem).await?;
        let plan = rampart_domain::rtp::rollup(&items, &now);
        i.treatment_plan_items = plan.items as u64;
        i.treatment_plan_implemented = plan.implemented as u64;
        i.treatment_plan_overdue = plan.overdue as u64;
        for f in rampart_store::frameworks::list(db).await? {
            let (installed, catalog) = self.installed(db, &f.id).await?;
            let docs = rampart_store::documents::all(db).await?;
            // A pack that is no longer loaded leaves its line out rather than failing the review.
            if let Ok(r) = self.readiness(org, db, &docs, &installed, &catalog).await {
                i.readiness.push(format!("{} {:.0}%", f.id, r.percent));
            }
        }
        Ok(i)
    }

    /// Holds a management review: its inputs are compiled now and frozen with it.
    pub async fn hold_management_review(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        title: &str,
        attendees: &[String],
    ) -> Result<ManagementReview, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "management-review.hold", &reviews(&org))?;
        let id = if id.trim().is_empty() {
            rampart_store::new_id()
        } else {
            rampart_domain::invalid::key("id", id, 100)?
        };
        for a in attendees {
            crate::users::require_user(&db, "attendees", a).await?;
        }
        let inputs = self.review_inputs(&org, &db).await?;
        let r = ManagementReview::new(
            id.clone(),
            title,
            attendees,
            inputs,
            &caller.actor(),
            &rampart_store::now(),
        )?;
        let mut change = Change::new();
        store::create(
            &mut change,
            "review",
            &caller.actor(),
            "management-review.hold",
            Table::ManagementReview,
            &id,
            &r,
        );
        db.commit(change).await?;
        Ok(r)
    }

    pub async fn get_management_review(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<ManagementReview, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "management-review.read", &reviews(&org))?;
        let (mut r, rev): (ManagementReview, u64) =
            store::get(&db, Table::ManagementReview, id.trim())
                .await?
                .ok_or_else(|| EngineError::NotFound(format!("management review {}", id.trim())))?;
        r.revision = rev;
        Ok(r)
    }

    pub async fn list_management_reviews(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<ManagementReview>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "management-review.list", &reviews(&org))?;
        let mut out: Vec<ManagementReview> =
            store::all_with_revisions::<ManagementReview>(&db, Table::ManagementReview)
                .await?
                .into_iter()
                .map(|(mut r, rev)| {
                    r.revision = rev;
                    r
                })
                .collect();
        out.sort_by(|a, b| a.held_at.cmp(&b.held_at));
        Ok(out)
    }

    /// Records the decisions and actions and closes the review; each action becomes a task for
    /// its owner in the same transaction.
    pub async fn record_review_outputs(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        decisions: &[String],
        actions: Vec<ReviewAction>,
    ) -> Result<ManagementReview, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "management-review.decide", &reviews(&org))?;
        let mut r = self.get_management_review(caller, &org, id).await?;
        crate::organisations::check_revision(
            "management review",
            &r.id,
            r.revision,
            expected_revision,
        )?;
        let now = rampart_store::now();
        r.record_outputs(decisions, actions, &now)?;
        let mut change = Change::new();
        for (i, a) in r.actions.iter_mut().enumerate() {
            crate::users::require_user(&db, &format!("actions[{i}].owner"), &a.owner).await?;
            let task_id = format!("{}-action-{}", r.id, i + 1);
            let t = Task::new(
                task_id.clone(),
                TaskFields {
                    title: a.description.clone(),
                    description: format!(
                        "An action decided by the management review \"{}\".",
                        r.title
                    ),
                    assignee: a.owner.clone(),
                    due: a.due.clone(),
                    recurrence_months: 0,
                    link: Some(TaskLink {
                        kind: "review".into(),
                        id: r.id.clone(),
                    }),
                },
                &caller.actor(),
                ORIGIN_MANAGEMENT_REVIEW,
                &now,
            );
            store::create(
                &mut change,
                &format!("task{i}"),
                &caller.actor(),
                "task.create",
                Table::Task,
                &task_id,
                &t,
            );
            a.task = task_id;
        }
        store::replace(
            &mut change,
            "review",
            &caller.actor(),
            "management-review.decide",
            Table::ManagementReview,
            &r.id,
            &r,
            expected_revision,
        );
        db.commit(change).await?;
        r.revision = expected_revision + 1;
        Ok(r)
    }
}

/// Days since the last closed management review, for the framework check.
pub(crate) async fn review_facts(
    db: &Database,
    now: &str,
) -> Result<Vec<(&'static str, u64)>, EngineError> {
    let reviews: Vec<ManagementReview> = store::all(db, Table::ManagementReview).await?;
    let closed: Vec<&str> = reviews
        .iter()
        .filter(|r| !r.closed_at.is_empty())
        .map(|r| r.closed_at.as_str())
        .collect();
    let Some(last) = closed.iter().max() else {
        return Ok(vec![]);
    };
    Ok(vec![
        (
            "days-since-management-review",
            crate::days_between(last, now),
        ),
        // The reviews with their decisions are the results 9.3.3 asks to retain.
        ("management-reviews-closed", closed.len() as u64),
    ])
}
