//! Internal audits and nonconformities: planning an audit (Cedar refuses an auditor from the
//! audited department), its checklist generated from the framework's requirements in scope,
//! findings — a major or minor nonconformity becomes a nonconformity record in the same
//! transaction — closure, and the corrective-action cycle of ISO/IEC 27001 10.2.

use rampart_authz::Resource;
use rampart_domain::Invalid;
use rampart_domain::internal_audit::{
    AuditPlan, AuditStatus, ChecklistItem, FindingKind, InternalAudit,
};
use rampart_domain::nonconformity::Nonconformity;
use rampart_domain::task::{ORIGIN_CORRECTIVE_ACTION, ORIGIN_INTERNAL_AUDIT};
use rampart_store::registers::{self as store, Table};
use rampart_store::{Change, Database};

use crate::{Caller, Engine, EngineError};

fn programme(org: &str) -> Resource {
    Resource::AuditProgramme {
        organisation: org.to_string(),
    }
}

fn nc_register(org: &str) -> Resource {
    Resource::NonconformityRegister {
        organisation: org.to_string(),
    }
}

fn nc_resource(org: &str, n: &Nonconformity) -> Resource {
    let mut owners: Vec<String> = n.actions.iter().map(|a| a.owner.clone()).collect();
    owners.sort();
    owners.dedup();
    Resource::Nonconformity {
        organisation: org.to_string(),
        id: n.id.clone(),
        action_owners: owners,
    }
}

/// Checklist lines for the requirements in scope (empty scope: every clause of the framework).
fn checklist(
    catalog: &rampart_plugins::pack::Catalog,
    scope: &[String],
) -> Result<Vec<ChecklistItem>, Invalid> {
    let item = |id: &str, title: &str| ChecklistItem {
        requirement: id.to_string(),
        title: title.to_string(),
        result: String::new(),
        note: String::new(),
    };
    if scope.is_empty() {
        return Ok(catalog
            .requirements
            .iter()
            .map(|r| item(&r.id, &r.title))
            .collect());
    }
    scope
        .iter()
        .map(|id| {
            catalog
                .requirements
                .iter()
                .map(|r| (&r.id, &r.title))
                .chain(catalog.controls.iter().map(|c| (&c.id, &c.title)))
                .find(|(rid, _)| *rid == id)
                .map(|(rid, title)| item(rid, title))
                .ok_or_else(|| {
                    Invalid::new(
                        "scope",
                        format!(
                            "{id} is not a requirement or control of {}",
                            catalog.framework
                        ),
                    )
                })
        })
        .collect()
}

impl Engine {
    async fn audit_resource(
        &self,
        db: &Database,
        org: &str,
        a: &InternalAudit,
    ) -> Result<Resource, EngineError> {
        let auditor = rampart_store::users::get(db, &a.plan.auditor)
            .await?
            .ok_or_else(|| {
                EngineError::Invalid(Invalid::new(
                    "auditor",
                    format!("there is no user '{}' in this organisation", a.plan.auditor),
                ))
            })?;
        Ok(Resource::InternalAudit {
            organisation: org.to_string(),
            id: a.id.clone(),
            auditor: auditor.id,
            auditor_department: auditor.department,
            department: a.plan.department.clone(),
        })
    }

    async fn load_audit(&self, db: &Database, id: &str) -> Result<InternalAudit, EngineError> {
        let (mut a, revision): (InternalAudit, u64) =
            store::get(db, Table::InternalAudit, id.trim())
                .await?
                .ok_or_else(|| EngineError::NotFound(format!("internal audit {}", id.trim())))?;
        a.revision = revision;
        Ok(a)
    }

    async fn load_nonconformity(
        &self,
        db: &Database,
        id: &str,
    ) -> Result<Nonconformity, EngineError> {
        let (mut n, revision): (Nonconformity, u64) =
            store::get(db, Table::Nonconformity, id.trim())
                .await?
                .ok_or_else(|| EngineError::NotFound(format!("nonconformity {}", id.trim())))?;
        n.revision = revision;
        Ok(n)
    }

    /// Plans an internal audit. Whether this auditor may audit this department is Cedar's
    /// decision (`auditors-do-not-audit-their-own-department`).
    pub async fn plan_audit(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        plan: AuditPlan,
    ) -> Result<InternalAudit, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let plan = plan.validate()?;
        let (_, catalog) = self.installed(&db, &plan.framework).await?;
        let id = if id.trim().is_empty() {
            rampart_store::new_id()
        } else {
            rampart_domain::invalid::key("id", id, 100)?
        };
        let audit = InternalAudit {
            id: id.clone(),
            checklist: checklist(&catalog, &plan.scope)?,
            plan,
            status: AuditStatus::Planned,
            findings: vec![],
            planned_by: caller.actor(),
            planned_at: rampart_store::now(),
            closed_at: String::new(),
            conclusion: String::new(),
            revision: 1,
        };
        let resource = self.audit_resource(&db, &org, &audit).await?;
        self.authorize(caller, "internal-audit.plan", &resource)?;
        let mut change = Change::new();
        store::create(
            &mut change,
            "audit",
            &caller.actor(),
            "internal-audit.plan",
            Table::InternalAudit,
            &id,
            &audit,
        );
        db.commit(change).await?;
        Ok(audit)
    }

    pub async fn get_audit(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<InternalAudit, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let a = self.load_audit(&db, id).await?;
        let resource = self.audit_resource(&db, &org, &a).await?;
        self.authorize(caller, "internal-audit.read", &resource)?;
        Ok(a)
    }

    pub async fn list_audits(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<InternalAudit>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "internal-audit.list", &programme(&org))?;
        let mut out = Vec::new();
        for (mut a, rev) in
            store::all_with_revisions::<InternalAudit>(&db, Table::InternalAudit).await?
        {
            a.revision = rev;
            let resource = self.audit_resource(&db, &org, &a).await?;
            if self.allowed(caller, "internal-audit.read", &resource) {
                out.push(a);
            }
        }
        out.sort_by(|a, b| (&a.plan.start, &a.id).cmp(&(&b.plan.start, &b.id)));
        Ok(out)
    }

    /// One step of the auditor's work on an audit, at the revision read.
    async fn audit_step(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        operation: &str,
        step: impl FnOnce(&mut InternalAudit, &mut Change, &str) -> Result<(), EngineError>,
    ) -> Result<InternalAudit, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut a = self.load_audit(&db, id).await?;
        let resource = self.audit_resource(&db, &org, &a).await?;
        self.authorize(caller, "internal-audit.record", &resource)?;
        crate::organisations::check_revision(
            "internal audit",
            &a.id,
            a.revision,
            expected_revision,
        )?;
        let mut change = Change::new();
        let now = rampart_store::now();
        step(&mut a, &mut change, &now)?;
        // Closing the audit is the work its generated task asked for.
        if a.status == AuditStatus::Closed {
            crate::tasks::complete_generated(
                &db,
                &mut change,
                ORIGIN_INTERNAL_AUDIT,
                &a.id,
                &caller.actor(),
                "the audit was closed",
                &now,
            )
            .await?;
        }
        store::replace(
            &mut change,
            "audit",
            &caller.actor(),
            operation,
            Table::InternalAudit,
            &a.id,
            &a,
            expected_revision,
        );
        db.commit(change).await?;
        a.revision = expected_revision + 1;
        Ok(a)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn record_checklist(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        requirement: &str,
        result: &str,
        note: &str,
    ) -> Result<InternalAudit, EngineError> {
        self.audit_step(
            caller,
            org,
            id,
            expected_revision,
            "internal-audit.record",
            |a, _, _| Ok(a.record(requirement.trim(), result.trim(), note)?),
        )
        .await
    }

    /// Raises a finding; a major or minor nonconformity is recorded as a nonconformity (source
    /// audit) in the same transaction. Returns the audit and that nonconformity.
    #[allow(clippy::too_many_arguments)]
    pub async fn raise_finding(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        kind: &str,
        requirement: &str,
        description: &str,
        evidence: &str,
    ) -> Result<(InternalAudit, Option<Nonconformity>), EngineError> {
        let kind = FindingKind::parse(kind)?;
        let actor = caller.actor();
        let mut raised = None;
        let audit = self
            .audit_step(
                caller,
                org,
                id,
                expected_revision,
                "internal-audit.finding",
                |a, change, now| {
                    let framework = a.plan.framework.clone();
                    let finding = a.raise(kind, requirement.trim(), description, evidence, now)?;
                    if kind.is_nonconformity() {
                        let nc_id = format!("nc-{}", finding.id);
                        let nc = Nonconformity::new(
                            nc_id.clone(),
                            "audit",
                            &format!("audit-finding:{}", finding.id),
                            &format!("{} ({})", finding.description, kind.as_str()),
                            &format!("{framework}:{}", finding.requirement),
                            &actor,
                            now,
                        )?;
                        finding.nonconformity = nc_id.clone();
                        store::create(
                            change,
                            "nc",
                            &actor,
                            "nonconformity.raise",
                            Table::Nonconformity,
                            &nc_id,
                            &nc,
                        );
                        raised = Some(nc);
                    }
                    Ok(())
                },
            )
            .await?;
        Ok((audit, raised))
    }

    pub async fn close_audit(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        conclusion: &str,
    ) -> Result<InternalAudit, EngineError> {
        self.audit_step(
            caller,
            org,
            id,
            expected_revision,
            "internal-audit.close",
            |a, _, now| Ok(a.close(conclusion, now)?),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn raise_nonconformity(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        source: &str,
        source_ref: &str,
        description: &str,
        requirement: &str,
    ) -> Result<Nonconformity, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "nonconformity.raise", &nc_register(&org))?;
        let id = if id.trim().is_empty() {
            rampart_store::new_id()
        } else {
            rampart_domain::invalid::key("id", id, 100)?
        };
        let n = Nonconformity::new(
            id.clone(),
            source,
            source_ref,
            description,
            requirement,
            &caller.actor(),
            &rampart_store::now(),
        )?;
        let mut change = Change::new();
        store::create(
            &mut change,
            "nc",
            &caller.actor(),
            "nonconformity.raise",
            Table::Nonconformity,
            &id,
            &n,
        );
        db.commit(change).await?;
        Ok(n)
    }

    pub async fn get_nonconformity(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<Nonconformity, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let n = self.load_nonconformity(&db, id).await?;
        self.authorize(caller, "nonconformity.read", &nc_resource(&org, &n))?;
        Ok(n)
    }

    pub async fn list_nonconformities(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<Nonconformity>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "nonconformity.list", &nc_register(&org))?;
        Ok(
            store::all_with_revisions::<Nonconformity>(&db, Table::Nonconformity)
                .await?
                .into_iter()
                .map(|(mut n, rev)| {
                    n.revision = rev;
                    n
                })
                .filter(|n| self.allowed(caller, "nonconformity.read", &nc_resource(&org, n)))
                .collect(),
        )
    }

    /// One step of the 10.2 cycle: `action` is the Cedar action deciding it.
    pub async fn nonconformity_step(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        step: NonconformityStep,
    ) -> Result<Nonconformity, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut n = self.load_nonconformity(&db, id).await?;
        let action = match &step {
            NonconformityStep::RootCause(_) | NonconformityStep::AddAction { .. } => {
                "nonconformity.update"
            }
            NonconformityStep::CompleteAction { .. } => "nonconformity.complete-action",
            NonconformityStep::Verify { .. } => "nonconformity.verify",
        };
        self.authorize(caller, action, &nc_resource(&org, &n))?;
        crate::organisations::check_revision(
            "nonconformity",
            &n.id,
            n.revision,
            expected_revision,
        )?;
        let now = rampart_store::now();
        let mut closing = None;
        match step {
            NonconformityStep::RootCause(cause) => n.set_root_cause(&cause)?,
            NonconformityStep::AddAction {
                description,
                owner,
                due,
            } => {
                crate::users::require_user(&db, "owner", &owner).await?;
                n.add_action(&description, owner.trim(), &due)?;
            }
            NonconformityStep::CompleteAction { action, note } => {
                n.complete_action(action.trim(), &note, &now)?;
                closing = n.actions.iter().find(|a| a.id == action.trim()).cloned();
            }
            NonconformityStep::Verify { effective, note } => {
                n.verify(&caller.actor(), effective, &note, &now)?
            }
        }
        let mut change = Change::new();
        store::replace(
            &mut change,
            "nc",
            &caller.actor(),
            action,
            Table::Nonconformity,
            &n.id,
            &n,
            expected_revision,
        );
        // The action's generated task is done with it.
        if let Some(a) = closing {
            crate::tasks::complete_generated(
                &db,
                &mut change,
                ORIGIN_CORRECTIVE_ACTION,
                &a.id,
                &caller.actor(),
                "the corrective action was recorded done",
                &now,
            )
            .await?;
        }
        db.commit(change).await?;
        n.revision = expected_revision + 1;
        Ok(n)
    }
}

/// What a [`Engine::nonconformity_step`] does.
#[derive(Debug, Clone)]
pub enum NonconformityStep {
    RootCause(String),
    AddAction {
        description: String,
        owner: String,
        due: String,
    },
    CompleteAction {
        action: String,
        note: String,
    },
    Verify {
        effective: bool,
        note: String,
    },
}

/// Facts for the framework check: days since the last closed internal audit and the number of
/// corrective actions past their due date.
pub(crate) async fn audit_facts(
    db: &Database,
    now: &str,
) -> Result<Vec<(&'static str, u64)>, EngineError> {
    let audits: Vec<InternalAudit> = store::all(db, Table::InternalAudit).await?;
    let mut facts = Vec::new();
    if let Some(last) = audits
        .iter()
        .filter(|a| a.status == AuditStatus::Closed)
        .map(|a| a.closed_at.as_str())
        .max()
    {
        facts.push(("days-since-internal-audit", crate::days_between(last, now)));
    }
    // The register itself is the retained evidence 9.2.2 and 10.2 ask for.
    let closed = audits
        .iter()
        .filter(|a| a.status == AuditStatus::Closed)
        .count();
    facts.push(("internal-audits", audits.len() as u64));
    facts.push(("internal-audits-closed", closed as u64));
    let ncs: Vec<Nonconformity> = store::all(db, Table::Nonconformity).await?;
    let overdue: usize = ncs.iter().map(|n| n.overdue_actions(now)).sum();
    facts.push(("corrective-actions-overdue", overdue as u64));
    facts.push(("nonconformities", ncs.len() as u64));
    Ok(facts)
}

impl Engine {
    /// The audit programme over the certification cycle (9.2.2): every clause and applicable
    /// control of the framework with whether an audit in the cycle audited it or will.
    /// `cycle_start` (a date) fixes the cycle; empty counts three-year cycles from the earliest
    /// audit of the framework.
    pub async fn audit_programme(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
        cycle_start: &str,
    ) -> Result<rampart_domain::audit_programme::Programme, EngineError> {
        use rampart_domain::audit_programme::{self as ap, Auditable};
        let audits = self.list_audits(caller, org).await?;
        let (_, db) = self.organisation_db(caller, org).await?;
        let (installed, catalog) = self.installed(&db, framework).await?;
        let audits: Vec<InternalAudit> = audits
            .into_iter()
            .filter(|a| a.plan.framework == installed.id)
            .collect();
        let now = rampart_store::now();
        let (start, end) = if cycle_start.trim().is_empty() {
            ap::cycle(audits.iter().map(|a| a.plan.start.as_str()).min(), &now)
        } else {
            let start = rampart_domain::times::normalise("cycle_start", cycle_start)?;
            let end = rampart_domain::times::add_months_text(&start, ap::CYCLE_MONTHS)
                .unwrap_or_default();
            (start, end)
        };
        // Clauses: requirements without sub-clauses. Controls: those the approved SoA declares
        // applicable; every control while there is none.
        let parents: std::collections::HashSet<&str> = catalog
            .requirements
            .iter()
            .filter_map(|r| r.parent.as_deref())
            .collect();
        let mut universe: Vec<Auditable> = catalog
            .requirements
            .iter()
            .filter(|r| !parents.contains(r.id.as_str()))
            .map(|r| Auditable {
                id: r.id.clone(),
                title: r.title.clone(),
                kind: "clause",
            })
            .collect();
        let approved: Option<rampart_domain::soa::SoaVersion> =
            store::soa_versions(&db, &installed.id)
                .await?
                .into_iter()
                .last();
        let applicable: Option<Vec<&str>> = approved.as_ref().map(|v| {
            v.entries
                .iter()
                .filter(|e| e.applicable)
                .map(|e| e.control.as_str())
                .collect()
        });
        universe.extend(
            catalog
                .controls
                .iter()
                .filter(|c| {
                    applicable
                        .as_ref()
                        .is_none_or(|a| a.contains(&c.id.as_str()))
                })
                .map(|c| Auditable {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    kind: "control",
                }),
        );
        Ok(ap::programme(universe, &audits, &start, &end))
    }

    /// The audit report (9.2.2 f): plan, checklist results, findings with their evidence and
    /// the nonconformities they became, and the conclusion; Markdown or PDF.
    pub async fn audit_report(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        format: &str,
    ) -> Result<crate::ReportFile, EngineError> {
        let a = self.get_audit(caller, org, id).await?;
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut md = format!("# Internal audit report: {}\n\n", a.plan.title);
        for (k, v) in [
            ("Organisation", org.as_str()),
            ("Audit", a.id.as_str()),
            ("Framework", a.plan.framework.as_str()),
            ("Department audited", a.plan.department.as_str()),
            ("Auditor", a.plan.auditor.as_str()),
            ("From", a.plan.start.get(..10).unwrap_or(&a.plan.start)),
            ("To", a.plan.end.get(..10).unwrap_or(&a.plan.end)),
            ("Status", a.status.as_str()),
            ("Closed", a.closed_at.get(..10).unwrap_or("")),
        ] {
            md.push_str(&format!("- **{k}:** {v}\n"));
        }
        let count = |r: &str| a.checklist.iter().filter(|l| l.result == r).count();
        md.push_str(&format!(
            "\n## Checklist\n\n{} lines: {} conform, {} nonconform, {} observations, {} not audited, {} without a result.\n\n| requirement | title | result | note |\n|---|---|---|---|\n",
            a.checklist.len(),
            count("conform"),
            count("nonconform"),
            count("observation"),
            count("not-audited"),
            count(""),
        ));
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        for l in &a.checklist {
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                l.requirement,
                cell(&l.title),
                l.result,
                cell(&l.note)
            ));
        }
        md.push_str("\n## Findings\n\n");
        if a.findings.is_empty() {
            md.push_str("None.\n");
        }
        for f in &a.findings {
            md.push_str(&format!(
                "### {} — {} ({})\n\n{}\n\n**Evidence:** {}\n",
                f.id,
                f.kind.as_str(),
                f.requirement,
                f.description,
                f.evidence
            ));
            if !f.nonconformity.is_empty() {
                let status =
                    store::get::<Nonconformity>(&db, Table::Nonconformity, &f.nonconformity)
                        .await?
                        .map(|(n, _)| n.status.as_str().to_string())
                        .unwrap_or_else(|| "not found".into());
                md.push_str(&format!(
                    "\n**Nonconformity:** {} ({status})\n",
                    f.nonconformity
                ));
            }
            md.push('\n');
        }
        md.push_str(&format!(
            "\n## Conclusion\n\n{}\n",
            if a.conclusion.is_empty() {
                "(not closed yet)"
            } else {
                &a.conclusion
            }
        ));
        let format = crate::ReportFormat::parse(format)?;
        let bytes = match format {
            crate::ReportFormat::Markdown => md.into_bytes(),
            crate::ReportFormat::Pdf => crate::document_export::render_pdf(
                "",
                &format!("Internal audit report: {}", a.plan.title),
                &md,
            ),
            _ => {
                return Err(Invalid::new(
                    "format",
                    "an audit report is markdown or pdf (its findings are prose, not a table)",
                )
                .into());
            }
        };
        Ok(crate::ReportFile {
            filename: format!("{org}-audit-{}.{}", a.id, format.extension()),
            content_type: format.content_type().into(),
            bytes,
        })
    }
}
