//! The implementation project: the framework pack's implementation steps (the 16-step checklist
//! for ISO/IEC 27001), each with its progress computed from the pack's check of the
//! organisation's own records — a step is done when the requirements it serves are met, not when
//! someone ticks a box — with advice for the organisation's size and the estimate.

use rampart_domain::estimate::{self, Estimate};
use rampart_plugins::pack::{Finding, FindingStatus};

use crate::{Caller, Engine, EngineError};

/// One step and how far it has come.
#[derive(Debug, Clone)]
pub struct StepProgress {
    pub order: u32,
    pub title: String,
    pub description: String,
    /// The requirements the step serves (e.g. 6.1.3).
    pub requirements: Vec<String>,
    /// The check's findings for those requirements.
    pub findings: Vec<Finding>,
    /// Met counts whole, partially met half, of the findings that apply; None when the check
    /// says nothing about the step's requirements.
    pub percent: Option<f64>,
    /// done, in-progress, not-started, not-checked
    pub status: &'static str,
    /// What to do about it at this organisation's size.
    pub advice: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ImplementationProject {
    pub framework: String,
    pub employees: u32,
    pub steps: Vec<StepProgress>,
    /// The mean of the checked steps' progress.
    pub percent: f64,
    pub estimate: Estimate,
}

/// A step's progress from the findings about its requirements.
fn progress(findings: &[Finding]) -> (Option<f64>, &'static str) {
    let (mut met, mut partial, mut applicable) = (0.0, 0.0, 0.0);
    for f in findings {
        match f.status {
            FindingStatus::Met => met += 1.0,
            FindingStatus::PartiallyMet => partial += 1.0,
            FindingStatus::NotMet => {}
            FindingStatus::NotApplicable => continue,
        }
        applicable += 1.0;
    }
    if applicable == 0.0 {
        return (None, "not-checked");
    }
    let percent = (met + partial / 2.0) * 100.0 / applicable;
    let status = if met == applicable {
        "done"
    } else if percent == 0.0 {
        "not-started"
    } else {
        "in-progress"
    };
    (Some(percent), status)
}

/// Advice for a step by the requirements it serves and the organisation's size.
fn advice(requirements: &[String], employees: u32) -> Vec<String> {
    let mut out = Vec::new();
    let serves = |r: &str| requirements.iter().any(|x| x == r);
    if serves("4.3") {
        out.push(if employees > 50 {
            format!("With {employees} employees, consider scoping only part of the organisation first: it lowers the project's risk.")
        } else {
            format!("With {employees} employees, include the whole company in the scope: it is usually easier than scoping a part.")
        });
    }
    if serves("6.2") && requirements.len() == 1 {
        out.push(if employees >= 200 {
            "Set up a project team: a project manager alone will not coordinate this size.".into()
        } else {
            "A project manager coordinating with colleagues is enough; no project team is needed."
                .into()
        });
    }
    out
}

impl Engine {
    /// The implementation steps of an installed framework with their progress from the check.
    pub async fn implementation_project(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
    ) -> Result<ImplementationProject, EngineError> {
        let crate::frameworks::Checked {
            org,
            installed,
            catalog,
            readiness,
        } = self.checked(caller, org, framework).await?;
        let employees = rampart_store::organisations::get(self.store.system(), &org)
            .await?
            .map(|o| o.employees)
            .unwrap_or(0);
        let mut steps: Vec<StepProgress> = catalog
            .steps
            .iter()
            .map(|s| {
                let findings: Vec<Finding> = readiness
                    .findings
                    .iter()
                    .filter(|f| s.requirements.contains(&f.requirement))
                    .cloned()
                    .collect();
                let (percent, status) = progress(&findings);
                StepProgress {
                    order: s.order,
                    title: s.title.clone(),
                    description: s.description.clone(),
                    requirements: s.requirements.clone(),
                    advice: advice(&s.requirements, employees),
                    findings,
                    percent,
                    status,
                }
            })
            .collect();
        steps.sort_by_key(|s| s.order);
        let checked: Vec<f64> = steps.iter().filter_map(|s| s.percent).collect();
        let percent = if checked.is_empty() {
            0.0
        } else {
            checked.iter().sum::<f64>() / checked.len() as f64
        };
        Ok(ImplementationProject {
            framework: installed.id,
            employees,
            steps,
            percent,
            estimate: estimate::estimate(employees.max(1), 0, 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(status: FindingStatus) -> Finding {
        Finding {
            requirement: "6.1.3".into(),
            status,
            detail: String::new(),
        }
    }

    #[test]
    fn a_step_is_done_only_when_every_finding_is_met() {
        use FindingStatus::*;
        assert_eq!(progress(&[]), (None, "not-checked"));
        assert_eq!(progress(&[finding(NotApplicable)]), (None, "not-checked"));
        assert_eq!(
            progress(&[finding(Met), finding(Met)]),
            (Some(100.0), "done")
        );
        assert_eq!(
            progress(&[finding(Met), finding(PartiallyMet)]),
            (Some(75.0), "in-progress")
        );
        assert_eq!(progress(&[finding(NotMet)]), (Some(0.0), "not-started"));
    }

    #[test]
    fn scope_advice_follows_the_size() {
        let scope = vec!["4.3".to_string()];
        assert!(advice(&scope, 30)[0].contains("whole company"));
        assert!(advice(&scope, 120)[0].contains("part of the organisation"));
        assert!(advice(&["6.2".into()], 500)[0].contains("project team"));
        assert!(advice(&["9.2".into()], 500).is_empty());
    }
}

/// What auditors at one stage of the initial certification audit would look at, and what they
/// would find missing.
#[derive(Debug, Clone)]
pub struct AuditStage {
    /// Findings that are met.
    pub met: usize,
    /// Findings the stage looks at (not-applicable ones left out).
    pub total: usize,
    /// Not met or partly met, in the pack's order.
    pub missing: Vec<rampart_plugins::pack::Finding>,
}

impl AuditStage {
    pub fn ready(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Stage 1 reviews the documented ISMS and whether it is ready for stage 2: every requirement
/// the standard asks documented information for (scope, policy, risk method and results, SoA,
/// objectives, audit and review results, …). Stage 2 checks that the ISMS is implemented and
/// effective: every other clause and every applicable control.
#[derive(Debug, Clone)]
pub struct CertificationReadiness {
    pub framework: String,
    pub stage1: AuditStage,
    pub stage2: AuditStage,
}

fn stage<'a>(findings: impl Iterator<Item = &'a rampart_plugins::pack::Finding>) -> AuditStage {
    use rampart_plugins::pack::FindingStatus;
    let mut s = AuditStage {
        met: 0,
        total: 0,
        missing: vec![],
    };
    for f in findings.filter(|f| f.status != FindingStatus::NotApplicable) {
        s.total += 1;
        if f.status == FindingStatus::Met {
            s.met += 1;
        } else {
            s.missing.push(f.clone());
        }
    }
    s
}

impl Engine {
    /// Where an organisation stands for the two stages of the certification audit, from the
    /// pack's check.
    pub async fn certification_readiness(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
    ) -> Result<CertificationReadiness, EngineError> {
        let crate::frameworks::Checked {
            installed,
            catalog,
            readiness,
            ..
        } = self.checked(caller, org, framework).await?;
        let documented: std::collections::HashSet<&str> = catalog
            .mandatory
            .iter()
            .map(|m| m.requirement.as_str())
            .collect();
        let is_stage1 =
            |f: &&rampart_plugins::pack::Finding| documented.contains(f.requirement.as_str());
        Ok(CertificationReadiness {
            framework: installed.id.clone(),
            stage1: stage(readiness.findings.iter().filter(is_stage1)),
            stage2: stage(readiness.findings.iter().filter(|f| !is_stage1(f))),
        })
    }
}
