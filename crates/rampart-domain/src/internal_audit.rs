//! Internal audits (ISO/IEC 27001 9.2): planned with a scope, a department and an auditor, a
//! checklist generated from the framework's requirements in scope, findings with evidence, and a
//! closure. A major or minor nonconformity found becomes a nonconformity record (see
//! [`crate::nonconformity`]) in the same change.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, optional_text, required_text};
use crate::times;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditStatus {
    Planned,
    InProgress,
    Closed,
}

impl AuditStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditStatus::Planned => "planned",
            AuditStatus::InProgress => "in-progress",
            AuditStatus::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    MajorNonconformity,
    MinorNonconformity,
    Observation,
    OpportunityForImprovement,
}

impl FindingKind {
    pub fn parse(s: &str) -> Result<FindingKind, Invalid> {
        Ok(match s.trim() {
            "major" | "major-nonconformity" => FindingKind::MajorNonconformity,
            "minor" | "minor-nonconformity" => FindingKind::MinorNonconformity,
            "observation" => FindingKind::Observation,
            "opportunity" | "opportunity-for-improvement" => FindingKind::OpportunityForImprovement,
            other => {
                return Err(Invalid::new(
                    "kind",
                    format!(
                        "'{other}' is not a finding kind: major, minor, observation or opportunity"
                    ),
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::MajorNonconformity => "major-nonconformity",
            FindingKind::MinorNonconformity => "minor-nonconformity",
            FindingKind::Observation => "observation",
            FindingKind::OpportunityForImprovement => "opportunity-for-improvement",
        }
    }

    /// Whether it must be corrected (ISO/IEC 27001 10.2).
    pub fn is_nonconformity(self) -> bool {
        matches!(
            self,
            FindingKind::MajorNonconformity | FindingKind::MinorNonconformity
        )
    }
}

/// One line of the checklist: a requirement in scope and what the auditor found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub requirement: String,
    pub title: String,
    /// "" (not audited yet), conform, nonconform, observation, not-audited
    #[serde(default)]
    pub result: String,
    #[serde(default)]
    pub note: String,
}

pub const CHECKLIST_RESULTS: &[&str] = &["conform", "nonconform", "observation", "not-audited"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditFinding {
    pub id: String,
    pub kind: FindingKind,
    pub requirement: String,
    pub description: String,
    pub evidence: String,
    pub raised_at: String,
    /// The nonconformity it became (major and minor findings).
    #[serde(default)]
    pub nonconformity: String,
}

/// What the person planning an audit says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditPlan {
    pub title: String,
    /// An installed framework, e.g. iso27001-2022.
    pub framework: String,
    /// Requirements in scope (clauses or controls); empty: the whole framework.
    #[serde(default)]
    pub scope: Vec<String>,
    /// The department audited.
    pub department: String,
    pub auditor: String,
    pub start: String,
    pub end: String,
}

impl AuditPlan {
    pub fn validate(self) -> Result<AuditPlan, Invalid> {
        let start = times::normalise("start", &self.start)?;
        let end = times::normalise("end", &self.end)?;
        if end < start {
            return Err(Invalid::new("end", "is before the start"));
        }
        Ok(AuditPlan {
            title: required_text("title", &self.title, 300)?,
            framework: required_text("framework", &self.framework, 100)?,
            scope: self
                .scope
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            department: required_text("department", &self.department, 100)?,
            auditor: required_text("auditor", &self.auditor, 100)?,
            start,
            end,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InternalAudit {
    pub id: String,
    #[serde(flatten)]
    pub plan: AuditPlan,
    pub status: AuditStatus,
    pub checklist: Vec<ChecklistItem>,
    #[serde(default)]
    pub findings: Vec<AuditFinding>,
    pub planned_by: String,
    pub planned_at: String,
    #[serde(default)]
    pub closed_at: String,
    #[serde(default)]
    pub conclusion: String,
    #[serde(skip)]
    pub revision: u64,
}

impl InternalAudit {
    fn open(&mut self) -> Result<(), Invalid> {
        match self.status {
            AuditStatus::Closed => Err(Invalid::new(
                "status",
                "the audit is closed; plan a follow-up audit",
            )),
            _ => {
                self.status = AuditStatus::InProgress;
                Ok(())
            }
        }
    }

    pub fn record(&mut self, requirement: &str, result: &str, note: &str) -> Result<(), Invalid> {
        self.open()?;
        if !CHECKLIST_RESULTS.contains(&result) {
            return Err(Invalid::new(
                "result",
                format!(
                    "'{result}' is not a result: {}",
                    CHECKLIST_RESULTS.join(", ")
                ),
            ));
        }
        let note = optional_text("note", note, 4000)?;
        let item = self
            .checklist
            .iter_mut()
            .find(|i| i.requirement == requirement)
            .ok_or_else(|| {
                Invalid::new(
                    "requirement",
                    format!("{requirement} is not in this audit's checklist"),
                )
            })?;
        item.result = result.to_string();
        item.note = note;
        Ok(())
    }

    /// Adds a finding; the caller raises the nonconformity for major and minor ones.
    pub fn raise(
        &mut self,
        kind: FindingKind,
        requirement: &str,
        description: &str,
        evidence: &str,
        now: &str,
    ) -> Result<&mut AuditFinding, Invalid> {
        self.open()?;
        if !self.checklist.iter().any(|i| i.requirement == requirement) {
            return Err(Invalid::new(
                "requirement",
                format!("{requirement} is not in this audit's scope"),
            ));
        }
        let finding = AuditFinding {
            id: format!("{}-f{}", self.id, self.findings.len() + 1),
            kind,
            requirement: requirement.to_string(),
            description: required_text("description", description, 4000)?,
            evidence: required_text("evidence", evidence, 4000).map_err(|_| {
                Invalid::new("evidence", "is required: auditors record what they saw")
            })?,
            raised_at: now.to_string(),
            nonconformity: String::new(),
        };
        self.findings.push(finding);
        Ok(self.findings.last_mut().expect("just pushed"))
    }

    pub fn close(&mut self, conclusion: &str, now: &str) -> Result<(), Invalid> {
        if self.status == AuditStatus::Closed {
            return Err(Invalid::new("status", "the audit is closed already"));
        }
        let open: Vec<&str> = self
            .checklist
            .iter()
            .filter(|i| i.result.is_empty())
            .map(|i| i.requirement.as_str())
            .collect();
        if !open.is_empty() {
            return Err(Invalid::new(
                "checklist",
                format!(
                    "{} checklist items have no result yet (first: {}); record them, or mark them not-audited",
                    open.len(),
                    open[0]
                ),
            ));
        }
        self.conclusion = required_text("conclusion", conclusion, 8000)?;
        self.status = AuditStatus::Closed;
        self.closed_at = now.to_string();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit() -> InternalAudit {
        InternalAudit {
            id: "ia1".into(),
            plan: AuditPlan {
                title: "Ops audit".into(),
                framework: "iso27001-2022".into(),
                scope: vec!["A.5.15".into(), "A.8.13".into()],
                department: "Ops".into(),
                auditor: "dana".into(),
                start: "2027-03-01".into(),
                end: "2027-03-02".into(),
            }
            .validate()
            .unwrap(),
            status: AuditStatus::Planned,
            checklist: ["A.5.15", "A.8.13"]
                .iter()
                .map(|r| ChecklistItem {
                    requirement: r.to_string(),
                    title: String::new(),
                    result: String::new(),
                    note: String::new(),
                })
                .collect(),
            findings: vec![],
            planned_by: "user:maria".into(),
            planned_at: "2027-01-01".into(),
            closed_at: String::new(),
            conclusion: String::new(),
            revision: 1,
        }
    }

    #[test]
    fn an_audit_closes_only_with_every_item_recorded() {
        let mut a = audit();
        a.record("A.5.15", "conform", "").unwrap();
        assert_eq!(a.status, AuditStatus::InProgress);
        assert_eq!(a.close("fine", "now").unwrap_err().field, "checklist");
        assert_eq!(
            a.record("A.9.9", "conform", "").unwrap_err().field,
            "requirement"
        );
        a.record("A.8.13", "nonconform", "no restore test").unwrap();
        let f = a
            .raise(
                FindingKind::parse("minor").unwrap(),
                "A.8.13",
                "Backups are never restored",
                "no restore record for 2026",
                "now",
            )
            .unwrap();
        assert_eq!(f.id, "ia1-f1");
        assert!(f.kind.is_nonconformity());
        a.close("One minor nonconformity.", "later").unwrap();
        assert!(a.record("A.5.15", "conform", "").is_err());
        assert!(FindingKind::parse("catastrophic").is_err());
    }
}
