//! The Statement of Applicability (ISO/IEC 27001 6.1.3 d), derived: every control of a framework,
//! applicable or not, why — traced to the risks whose treatment chose it, the interested parties'
//! requirements that call for it, a business need or best practice, or a recorded override —
//! and how far it is implemented. An approved SoA is frozen; comparing it with a new derivation
//! tells which controls changed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::framework::requirement_of;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImplementationStatus {
    NotStarted,
    Planned,
    InProgress,
    Implemented,
}

impl ImplementationStatus {
    pub const ALL: [ImplementationStatus; 4] = [
        ImplementationStatus::NotStarted,
        ImplementationStatus::Planned,
        ImplementationStatus::InProgress,
        ImplementationStatus::Implemented,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImplementationStatus::NotStarted => "not-started",
            ImplementationStatus::Planned => "planned",
            ImplementationStatus::InProgress => "in-progress",
            ImplementationStatus::Implemented => "implemented",
        }
    }

    pub fn parse(value: &str) -> Option<ImplementationStatus> {
        ImplementationStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
    }
}

/// A control of an installed framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkControl<'a> {
    pub framework: &'a str,
    pub id: &'a str,
    pub title: &'a str,
}

/// The controls a risk's treatment chose (references such as `iso27001:A.8.13`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreatedRisk<'a> {
    pub risk: &'a str,
    pub controls: &'a [String],
}

/// A legal, regulatory or contractual requirement of an interested party, with the controls it
/// calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRequirement<'a> {
    pub party: &'a str,
    pub requirement: &'a str,
    pub controls: &'a [String],
}

/// What the organisation recorded about one control.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRecord {
    /// Some(applicable) overrides the derivation; `reason` then says why.
    #[serde(default)]
    pub applicable_override: Option<bool>,
    #[serde(default)]
    pub reason: String,
    /// A business requirement the control serves, in words ("" for none).
    #[serde(default)]
    pub business: String,
    /// Best practice the organisation follows with it, in words ("" for none).
    #[serde(default)]
    pub best_practice: String,
    pub status: Option<ImplementationStatus>,
    /// How it is implemented.
    #[serde(default)]
    pub implementation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Justification {
    RiskTreatment { risks: Vec<String> },
    Requirement { party: String, requirement: String },
    Business { note: String },
    BestPractice { note: String },
    Override { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoaEntry {
    pub framework: String,
    pub control: String,
    pub title: String,
    pub applicable: bool,
    /// Why it applies (empty when it does not).
    pub justifications: Vec<Justification>,
    /// Why it does not apply (empty when it does).
    pub exclusion: String,
    pub status: ImplementationStatus,
    pub implementation: String,
}

/// The reason given for a control nothing calls for.
pub const NOTHING_CALLS_FOR_IT: &str =
    "no risk treatment, interested-party requirement, business need or best practice calls for it";

fn names(reference: &str, control: &FrameworkControl<'_>) -> bool {
    requirement_of(reference, control.framework) == Some(control.id)
}

/// The SoA for `controls`. `records` are keyed by (framework, control id).
pub fn derive(
    controls: &[FrameworkControl<'_>],
    risks: &[TreatedRisk<'_>],
    requirements: &[PartyRequirement<'_>],
    records: &BTreeMap<(String, String), ControlRecord>,
) -> Vec<SoaEntry> {
    let none = ControlRecord::default();
    // (framework, control) -> the risks whose treatment names it, found in one pass over the
    // risks rather than once per control (10,000 risks × 93 controls).
    let frameworks: std::collections::BTreeSet<&str> =
        controls.iter().map(|c| c.framework).collect();
    let mut treated_by: std::collections::HashMap<(&str, &str), Vec<&str>> =
        std::collections::HashMap::new();
    for r in risks {
        for x in r.controls {
            for f in &frameworks {
                if let Some(id) = requirement_of(x, f) {
                    let list = treated_by.entry((f, id)).or_default();
                    if list.last() != Some(&r.risk) {
                        list.push(r.risk);
                    }
                }
            }
        }
    }
    controls
        .iter()
        .map(|c| {
            let record = records
                .get(&(c.framework.to_string(), c.id.to_string()))
                .unwrap_or(&none);
            let mut why = Vec::new();
            let treated: Vec<String> = treated_by
                .get(&(c.framework, c.id))
                .map(|l| l.iter().map(|r| r.to_string()).collect())
                .unwrap_or_default();
            if !treated.is_empty() {
                why.push(Justification::RiskTreatment { risks: treated });
            }
            for p in requirements {
                if p.controls.iter().any(|x| names(x, c)) {
                    why.push(Justification::Requirement {
                        party: p.party.to_string(),
                        requirement: p.requirement.to_string(),
                    });
                }
            }
            if !record.business.is_empty() {
                why.push(Justification::Business {
                    note: record.business.clone(),
                });
            }
            if !record.best_practice.is_empty() {
                why.push(Justification::BestPractice {
                    note: record.best_practice.clone(),
                });
            }
            let (applicable, exclusion) = match record.applicable_override {
                Some(true) => {
                    if why.is_empty() {
                        why.push(Justification::Override {
                            reason: record.reason.clone(),
                        });
                    }
                    (true, String::new())
                }
                Some(false) => {
                    why.clear();
                    (false, record.reason.clone())
                }
                None if why.is_empty() => (false, NOTHING_CALLS_FOR_IT.to_string()),
                None => (true, String::new()),
            };
            SoaEntry {
                framework: c.framework.to_string(),
                control: c.id.to_string(),
                title: c.title.to_string(),
                applicable,
                justifications: why,
                exclusion,
                status: if applicable {
                    record.status.unwrap_or(ImplementationStatus::NotStarted)
                } else {
                    ImplementationStatus::NotStarted
                },
                implementation: record.implementation.clone(),
            }
        })
        .collect()
}

/// An approved Statement of Applicability, frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoaVersion {
    pub framework: String,
    pub number: u64,
    pub entries: Vec<SoaEntry>,
    pub approved_by: String,
    pub approved_at: String,
    #[serde(default)]
    pub note: String,
}

/// One control whose entry differs between an approved SoA and the current derivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoaChange {
    pub framework: String,
    pub control: String,
    /// What changed, in words: "applicable → not applicable", "justification", "status", ….
    pub changes: Vec<String>,
}

pub fn diff(approved: &[SoaEntry], current: &[SoaEntry]) -> Vec<SoaChange> {
    let before: BTreeMap<(&str, &str), &SoaEntry> = approved
        .iter()
        .map(|e| ((e.framework.as_str(), e.control.as_str()), e))
        .collect();
    let mut out = Vec::new();
    for e in current {
        let mut changes = Vec::new();
        match before.get(&(e.framework.as_str(), e.control.as_str())) {
            None => changes.push("new control".to_string()),
            Some(b) => {
                let yes_no = |a: bool| if a { "applicable" } else { "not applicable" };
                if b.applicable != e.applicable {
                    changes.push(format!(
                        "{} → {}",
                        yes_no(b.applicable),
                        yes_no(e.applicable)
                    ));
                }
                if b.justifications != e.justifications {
                    changes.push("justification".into());
                }
                if b.exclusion != e.exclusion && !e.applicable && !b.applicable {
                    changes.push("reason for exclusion".into());
                }
                if b.status != e.status {
                    changes.push(format!(
                        "status {} → {}",
                        b.status.as_str(),
                        e.status.as_str()
                    ));
                }
                if b.implementation != e.implementation {
                    changes.push("implementation".into());
                }
            }
        }
        if !changes.is_empty() {
            out.push(SoaChange {
                framework: e.framework.clone(),
                control: e.control.clone(),
                changes,
            });
        }
    }
    let now: std::collections::BTreeSet<(&str, &str)> = current
        .iter()
        .map(|e| (e.framework.as_str(), e.control.as_str()))
        .collect();
    for e in approved {
        if !now.contains(&(e.framework.as_str(), e.control.as_str())) {
            out.push(SoaChange {
                framework: e.framework.clone(),
                control: e.control.clone(),
                changes: vec!["no longer in the framework".into()],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control<'a>(id: &'a str, title: &'a str) -> FrameworkControl<'a> {
        FrameworkControl {
            framework: "iso27001-2022",
            id,
            title,
        }
    }

    #[test]
    fn applicability_is_traced_to_risks_requirements_and_records() {
        let controls = [
            control("A.8.13", "Information backup"),
            control("A.6.6", "Confidentiality or non-disclosure agreements"),
            control("A.7.4", "Physical security monitoring"),
            control("A.5.7", "Threat intelligence"),
            control("A.8.11", "Data masking"),
        ];
        let backup = vec!["iso27001:A.8.13".to_string()];
        let also_backup = vec!["iso27001-2022:A.8.13".to_string(), "iso22301:8.3".into()];
        let nda = vec!["iso27001:A.6.6".to_string()];
        let risks = [
            TreatedRisk {
                risk: "r1",
                controls: &backup,
            },
            TreatedRisk {
                risk: "r2",
                controls: &also_backup,
            },
        ];
        let requirements = [PartyRequirement {
            party: "Client Bank plc",
            requirement: "NDAs with all staff",
            controls: &nda,
        }];
        let mut records = BTreeMap::new();
        records.insert(
            ("iso27001-2022".to_string(), "A.7.4".to_string()),
            ControlRecord {
                applicable_override: Some(false),
                reason: "no premises of our own: the office is a serviced co-working space".into(),
                ..Default::default()
            },
        );
        records.insert(
            ("iso27001-2022".to_string(), "A.5.7".to_string()),
            ControlRecord {
                best_practice: "CERT advisories reviewed weekly".into(),
                status: Some(ImplementationStatus::Implemented),
                implementation: "Ops subscribes to the national CERT feed".into(),
                ..Default::default()
            },
        );
        records.insert(
            ("iso27001-2022".to_string(), "A.8.13".to_string()),
            ControlRecord {
                status: Some(ImplementationStatus::InProgress),
                ..Default::default()
            },
        );
        let soa = derive(&controls, &risks, &requirements, &records);
        assert!(soa[0].applicable);
        assert_eq!(
            soa[0].justifications,
            [Justification::RiskTreatment {
                risks: vec!["r1".into(), "r2".into()]
            }]
        );
        assert_eq!(soa[0].status, ImplementationStatus::InProgress);
        assert_eq!(
            soa[1].justifications,
            [Justification::Requirement {
                party: "Client Bank plc".into(),
                requirement: "NDAs with all staff".into()
            }]
        );
        assert!(!soa[2].applicable);
        assert!(soa[2].exclusion.contains("co-working"));
        assert!(soa[3].applicable);
        assert_eq!(soa[3].status, ImplementationStatus::Implemented);
        assert!(!soa[4].applicable);
        assert_eq!(soa[4].exclusion, NOTHING_CALLS_FOR_IT);
        assert!(
            soa.iter()
                .all(|e| e.applicable != e.justifications.is_empty())
        );
        assert!(soa.iter().all(|e| e.applicable || !e.exclusion.is_empty()));

        // A treated risk changes: the diff names the control.
        let fewer = [TreatedRisk {
            risk: "r1",
            controls: &backup,
        }];
        let now = derive(&controls, &fewer, &requirements, &records);
        let d = diff(&soa, &now);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].control, "A.8.13");
        assert_eq!(d[0].changes, ["justification"]);
        assert!(diff(&soa, &soa).is_empty());
    }
}
