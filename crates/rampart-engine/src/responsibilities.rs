//! The responsibility matrix (RACI), derived from the records: asset owners, risk owners, the
//! treatment plan's owners, document owners, approvers, reviewers and distribution, task
//! assignees and givers, corrective-action owners, objective and metric owners, auditors, course
//! owners, and the roles that run the ISMS. Only what the caller may read appears in it.

use std::collections::BTreeMap;

use rampart_authz::Resource;
use rampart_domain::asset::Lifecycle;
use rampart_domain::internal_audit::{AuditStatus, InternalAudit};
use rampart_domain::nonconformity::{Nonconformity, NonconformityStatus};
use rampart_domain::objective::Objective;
use rampart_domain::responsibility::{Matrix, Role};
use rampart_domain::rtp::RtpItem;
use rampart_domain::task::{Task, TaskStatus};
use rampart_domain::training::Course;
use rampart_store::registers::{self as store, Table};

use crate::{Caller, Engine, EngineError};

impl Engine {
    /// The whole matrix, as far as the caller may read the records behind it.
    pub async fn responsibility_matrix(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Matrix, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(
            caller,
            "responsibility.read",
            &Resource::Organisation { id: org.clone() },
        )?;
        let users = rampart_store::users::list(&db, "", 1_000_000).await?;
        let mut m = Matrix::default();

        // Leadership (5.1, 5.3): top management answers for the ISMS, the ISMS manager runs it.
        let isms = "Establish, implement, maintain and improve the ISMS (5.1, 5.3)";
        for u in users.iter().filter(|u| u.active) {
            if u.roles.iter().any(|r| r == "top-management") {
                m.assign("isms", "isms", isms, &u.id, Role::Accountable);
            }
            if u.roles.iter().any(|r| r == "isms-manager") {
                m.assign("isms", "isms", isms, &u.id, Role::Responsible);
            }
        }

        let scheme = rampart_store::classification::get_scheme(&db)
            .await?
            .map(|s| s.scheme());
        let assets = rampart_store::assets::list(
            &db,
            &rampart_store::assets::AssetFilter::default(),
            "",
            1_000_000,
        )
        .await?;
        for a in assets {
            if a.lifecycle == Lifecycle::Disposed
                || !self.allowed(
                    caller,
                    "asset.read",
                    &crate::assets::asset_resource(&org, &a, scheme.as_ref()),
                )
            {
                continue;
            }
            let title = format!("Own and protect the asset: {}", a.name);
            m.assign("asset", &a.id, &title, &a.owner, Role::Accountable);
            m.assign("asset", &a.id, &title, &a.owner, Role::Responsible);
        }

        // Risks: the owner answers for the treatment and accepts the residual risk (6.1.3);
        // whoever implements a control that treats it is responsible.
        let risks = self.list_risks(caller, &org, "").await?;
        let items: Vec<RtpItem> = store::all(&db, Table::RtpItem).await?;
        let implementer: BTreeMap<String, &str> = items
            .iter()
            .map(|i| (format!("{}:{}", i.framework, i.control), i.owner.as_str()))
            .collect();
        let mut risk_owners_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in &risks {
            let title = format!("Treat the risk: {}", r.fields.title);
            m.assign("risk", &r.id, &title, &r.fields.owner, Role::Accountable);
            for control in r.treatment.iter().flat_map(|t| &t.controls) {
                if let Some(owner) = implementer.get(control) {
                    m.assign("risk", &r.id, &title, owner, Role::Responsible);
                }
                risk_owners_of
                    .entry(control.clone())
                    .or_default()
                    .push(r.fields.owner.clone());
            }
        }
        // The treatment plan (6.1.3 e): each control's owner implements it and answers for it;
        // the owners of the risks it treats are consulted (they approve the plan).
        for i in &items {
            let key = format!("{}:{}", i.framework, i.control);
            let title = format!("Implement the control {key}");
            m.assign("control", &key, &title, &i.owner, Role::Responsible);
            m.assign("control", &key, &title, &i.owner, Role::Accountable);
            for owner in risk_owners_of.get(&key).into_iter().flatten() {
                if owner != &i.owner {
                    m.assign("control", &key, &title, owner, Role::Consulted);
                }
            }
        }

        // Documents (7.5): the owner keeps it, approvers answer for it, reviewers are consulted,
        // its distribution is informed.
        for d in self.readable_documents(caller, &org, &db).await? {
            let title = format!("Maintain the document: {}", d.title);
            m.assign("document", &d.id, &title, &d.owner, Role::Responsible);
            if d.approvers.is_empty() {
                m.assign("document", &d.id, &title, &d.owner, Role::Accountable);
            }
            for a in &d.approvers {
                m.assign("document", &d.id, &title, a, Role::Accountable);
            }
            for r in &d.reviewers {
                m.assign("document", &d.id, &title, r, Role::Consulted);
            }
            for u in users.iter().filter(|u| d.distribution.reaches(u)) {
                m.assign("document", &d.id, &title, &u.id, Role::Informed);
            }
        }

        let tasks: Vec<Task> = store::all(&db, Table::Task).await?;
        for t in tasks.iter().filter(|t| t.status == TaskStatus::Open) {
            let title = format!("Task: {}", t.fields.title);
            m.assign("task", &t.id, &title, &t.fields.assignee, Role::Responsible);
            // A generated task answers to nobody in particular: its assignee is accountable.
            let giver = if t.given_by.trim_start_matches("user:").is_empty()
                || t.given_by == crate::SYSTEM_ACTOR
            {
                t.fields.assignee.as_str()
            } else {
                t.given_by.as_str()
            };
            m.assign("task", &t.id, &title, giver, Role::Accountable);
        }

        let ncs: Vec<Nonconformity> = store::all(&db, Table::Nonconformity).await?;
        for nc in ncs
            .iter()
            .filter(|n| n.status != NonconformityStatus::Closed)
        {
            for a in nc.actions.iter().filter(|a| a.done_at.is_empty()) {
                let id = format!("{}/{}", nc.id, a.id);
                let title = format!("Corrective action: {}", a.description);
                m.assign(
                    "corrective-action",
                    &id,
                    &title,
                    &a.owner,
                    Role::Responsible,
                );
                m.assign(
                    "corrective-action",
                    &id,
                    &title,
                    &a.owner,
                    Role::Accountable,
                );
                m.assign(
                    "corrective-action",
                    &id,
                    &title,
                    &nc.raised_by,
                    Role::Informed,
                );
            }
        }

        let objectives: Vec<Objective> = store::all(&db, Table::Objective).await?;
        for o in &objectives {
            let title = format!("Achieve the objective: {}", o.title);
            m.assign("objective", &o.id, &title, &o.owner, Role::Accountable);
            for metric in &o.metrics {
                m.assign("objective", &o.id, &title, &metric.owner, Role::Responsible);
            }
        }

        let audits: Vec<InternalAudit> = store::all(&db, Table::InternalAudit).await?;
        for a in audits.iter().filter(|a| a.status != AuditStatus::Closed) {
            let title = format!("Internal audit: {}", a.plan.title);
            m.assign("audit", &a.id, &title, &a.plan.auditor, Role::Responsible);
            m.assign("audit", &a.id, &title, &a.planned_by, Role::Accountable);
        }

        let courses: Vec<Course> = store::all(&db, Table::Course).await?;
        for c in &courses {
            let title = format!("Run the course: {}", c.title);
            m.assign("course", &c.id, &title, &c.owner, Role::Responsible);
            m.assign("course", &c.id, &title, &c.owner, Role::Accountable);
        }
        Ok(m)
    }
}

impl Engine {
    /// The matrix as a report: one row per activity, one column per person, the letters in
    /// the cells (CSV, XLSX, Markdown, PDF through `ExportReport`).
    pub(crate) async fn raci_report(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<crate::risk_reports::Report, EngineError> {
        use crate::risk_reports::{Report, t};
        let m = self.responsibility_matrix(caller, org).await?;
        let people = m.people();
        let mut headers: Vec<String> = ["kind", "id", "activity"].map(String::from).to_vec();
        headers.extend(people.iter().cloned());
        let rows = m
            .activities
            .iter()
            .map(|a| {
                let mut row = vec![t(a.kind), t(a.id.clone()), t(a.title.clone())];
                row.extend(people.iter().map(|p| t(a.letters(p))));
                row
            })
            .collect();
        let gaps = m.without_accountable();
        Ok(Report {
            title: "Responsibility matrix (RACI)".into(),
            summary: vec![
                ("Organisation".into(), org.to_string()),
                ("Generated".into(), rampart_store::now()),
                ("Activities".into(), m.activities.len().to_string()),
                ("People".into(), people.len().to_string()),
                (
                    "Letters".into(),
                    "R responsible (does it), A accountable (answers for it), C consulted, I informed"
                        .into(),
                ),
                (
                    "Without anyone accountable".into(),
                    if gaps.is_empty() {
                        "none".into()
                    } else {
                        gaps.iter()
                            .map(|a| format!("{} {}", a.kind, a.id))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                ),
            ],
            sheet: "RACI".into(),
            headers,
            rows,
        })
    }
}
