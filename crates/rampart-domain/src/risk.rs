//! The risk register (ISO/IEC 27001 6.1.2, 6.1.3, 8.2, 8.3): a risk names the assets, the threat,
//! the vulnerability and the owner; it is assessed by the organisation's methodology (the
//! method's id, version and digest frozen on each assessment, every re-assessment kept);
//! treated by an option and controls; its planned residual risk is assessed the same way and
//! accepted by the risk owner.

use serde::{Deserialize, Serialize};

use crate::document::NotAllowed;
use crate::invalid::{Invalid, optional_text, required_text};

/// What to do about a risk (ISO/IEC 27005: modification, retention, avoidance, sharing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TreatmentOption {
    Mitigate,
    Accept,
    Avoid,
    Transfer,
}

impl TreatmentOption {
    pub const ALL: [TreatmentOption; 4] = [
        TreatmentOption::Mitigate,
        TreatmentOption::Accept,
        TreatmentOption::Avoid,
        TreatmentOption::Transfer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TreatmentOption::Mitigate => "mitigate",
            TreatmentOption::Accept => "accept",
            TreatmentOption::Avoid => "avoid",
            TreatmentOption::Transfer => "transfer",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<TreatmentOption, Invalid> {
        TreatmentOption::ALL
            .into_iter()
            .find(|o| o.as_str() == value.trim())
            .ok_or_else(|| Invalid::new(field, "use mitigate, accept, avoid or transfer"))
    }
}

/// One input given to a methodology, as the organisation entered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum InputValue {
    Number { value: f64 },
    Text { value: String },
    Estimate { min: f64, mode: f64, max: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskInput {
    pub name: String,
    pub value: InputValue,
}

/// One assessment with the method that made it, frozen: re-assessing adds another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub methodology: String,
    pub methodology_version: String,
    /// The plugin's digest: the exact code behind the result.
    pub digest: String,
    pub inputs: Vec<RiskInput>,
    pub score: f64,
    pub level: String,
    pub acceptable: bool,
    pub explanation: String,
    pub at: String,
    pub by: String,
    /// Why this assessment: "assessed", "re-assessed", "migrated from risk-iso27005 1.0.0", …
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Treatment {
    pub option: TreatmentOption,
    /// References to the controls chosen, e.g. `iso27001:A.8.13`.
    #[serde(default)]
    pub controls: Vec<String>,
    /// How the option is carried out (for transfer: to whom; for avoid: what stops).
    #[serde(default)]
    pub plan: String,
}

/// The risk owner's acceptance of the residual risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    pub by: String,
    pub at: String,
    /// The residual level accepted.
    pub level: String,
    /// The level was above the methodology's acceptance criterion.
    pub above_criterion: bool,
    #[serde(default)]
    pub note: String,
    /// How many planned residual assessments the risk had when accepted: a later one lapses the
    /// acceptance (0 when a risk retained as it is was accepted at its current assessment).
    #[serde(default)]
    pub residuals: u64,
}

/// The organisation's choices for its risk assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskSettings {
    /// The risk methodology plugin new assessments use.
    pub methodology: String,
}

/// What a person gives when creating or editing a risk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFields {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Asset ids of the register.
    pub assets: Vec<String>,
    /// A threat of an installed pack (`iso27001-2022:G 0.1`) or the organisation's own words.
    pub threat: String,
    #[serde(default)]
    pub vulnerability: String,
    /// The user accountable for the risk.
    pub owner: String,
}

impl RiskFields {
    pub fn validate(self) -> Result<RiskFields, Invalid> {
        let mut assets = Vec::new();
        for a in &self.assets {
            let a = required_text("assets", a, 100)?;
            if !assets.contains(&a) {
                assets.push(a);
            }
        }
        if assets.is_empty() {
            return Err(Invalid::new(
                "assets",
                "name at least one asset of the register",
            ));
        }
        Ok(RiskFields {
            title: required_text("title", &self.title, 200)?,
            description: optional_text("description", &self.description, 4000)?,
            assets,
            threat: required_text("threat", &self.threat, 200)?,
            vulnerability: optional_text("vulnerability", &self.vulnerability, 200)?,
            owner: required_text("owner", &self.owner, 100)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    pub id: String,
    #[serde(flatten)]
    pub fields: RiskFields,
    /// Every assessment of the inherent risk, oldest first; the last is current.
    #[serde(default)]
    pub assessments: Vec<Assessment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment: Option<Treatment>,
    /// Every assessment of the planned residual risk, oldest first.
    #[serde(default)]
    pub residual: Vec<Assessment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<Acceptance>,
    pub revision: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl Risk {
    pub fn new(id: String, fields: RiskFields, at: &str) -> Risk {
        Risk {
            id,
            fields,
            assessments: vec![],
            treatment: None,
            residual: vec![],
            acceptance: None,
            revision: 1,
            created_at: at.to_string(),
            updated_at: at.to_string(),
        }
    }

    /// A risk as stored: its own record (`row`, at `row_revision`) and the assessments appended
    /// beside it, each kind oldest first. Its revision counts every change — to the record and
    /// each assessment — and it was last updated by whichever came last; an acceptance older
    /// than the newest planned residual assessment has lapsed (as [`Risk::plan_residual`] says).
    pub fn from_parts(
        mut row: Risk,
        row_revision: u64,
        assessments: Vec<Assessment>,
        residual: Vec<Assessment>,
    ) -> Risk {
        row.revision = row_revision + (assessments.len() + residual.len()) as u64;
        for a in assessments.iter().chain(&residual) {
            if a.at > row.updated_at {
                row.updated_at = a.at.clone();
            }
        }
        row.assessments = assessments;
        row.residual = residual;
        if row
            .acceptance
            .as_ref()
            .is_some_and(|a| a.residuals < row.residual.len() as u64)
        {
            row.acceptance = None;
        }
        row
    }

    pub fn current(&self) -> Option<&Assessment> {
        self.assessments.last()
    }

    pub fn current_residual(&self) -> Option<&Assessment> {
        self.residual.last()
    }

    /// The assessment whose acceptance counts: the planned residual, or for a risk retained as
    /// it is (option accept, no residual planned) the current one.
    pub fn to_accept(&self) -> Option<&Assessment> {
        self.current_residual().or_else(|| {
            matches!(
                self.treatment.as_ref().map(|t| t.option),
                Some(TreatmentOption::Accept)
            )
            .then(|| self.current())
            .flatten()
        })
    }

    /// A new assessment of the inherent risk. The old ones stay.
    pub fn assess(&mut self, a: Assessment) {
        self.assessments.push(a);
    }

    /// A new planned residual assessment: the owner's acceptance was of the old one and lapses.
    pub fn plan_residual(&mut self, a: Assessment) {
        self.residual.push(a);
        self.acceptance = None;
    }

    pub fn set_treatment(&mut self, t: Treatment) -> Result<(), Invalid> {
        let plan = optional_text("treatment.plan", &t.plan, 2000)?;
        let mut controls = Vec::new();
        for c in &t.controls {
            let c = required_text("treatment.controls", c, 100)?;
            if !controls.contains(&c) {
                controls.push(c);
            }
        }
        if t.option == TreatmentOption::Mitigate && controls.is_empty() {
            return Err(Invalid::new(
                "treatment.controls",
                "mitigating a risk needs at least one control, e.g. iso27001:A.8.13",
            ));
        }
        if matches!(t.option, TreatmentOption::Transfer | TreatmentOption::Avoid) && plan.is_empty()
        {
            return Err(Invalid::new(
                "treatment.plan",
                "say how (transfer: to whom and by what contract; avoid: what stops)",
            ));
        }
        let changed = self.treatment.as_ref() != Some(&t);
        self.treatment = Some(Treatment {
            option: t.option,
            controls,
            plan,
        });
        if changed {
            self.acceptance = None;
        }
        Ok(())
    }

    /// The owner accepts the residual risk. Who may accept above the criterion is a policy, not
    /// this method: it records whether the level was above it.
    pub fn accept(&mut self, by: &str, at: &str, note: &str) -> Result<&Acceptance, NotAllowed> {
        let Some(a) = self.to_accept() else {
            return Err(NotAllowed {
                message: "there is no residual risk to accept: assess the planned residual risk first (or treat the risk with option accept)".into(),
                allowed: vec!["assess-residual".into()],
            });
        };
        self.acceptance = Some(Acceptance {
            by: by.to_string(),
            at: at.to_string(),
            level: a.level.clone(),
            above_criterion: !a.acceptable,
            note: note.trim().to_string(),
            residuals: self.residual.len() as u64,
        });
        Ok(self.acceptance.as_ref().expect("just set"))
    }

    /// Whether the residual level to accept is above the methodology's criterion (what the
    /// acceptance policy decides on).
    pub fn residual_above_criterion(&self) -> bool {
        self.to_accept().is_some_and(|a| !a.acceptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> RiskFields {
        RiskFields {
            title: "Ransomware encrypts the file server".into(),
            description: String::new(),
            assets: vec!["file-server".into(), "file-server".into()],
            threat: "iso27001-2022:G 0.39".into(),
            vulnerability: "iso27001-2022:V-no-offline-backup".into(),
            owner: "sam".into(),
        }
    }

    fn assessment(level: &str, acceptable: bool) -> Assessment {
        Assessment {
            methodology: "risk-iso27005".into(),
            methodology_version: "1.0.0".into(),
            digest: "sha256:x".into(),
            inputs: vec![RiskInput {
                name: "likelihood".into(),
                value: InputValue::Number { value: 4.0 },
            }],
            score: 4.0,
            level: level.into(),
            acceptable,
            explanation: String::new(),
            at: "2026-11-29T00:00:00Z".into(),
            by: "maria".into(),
            note: "assessed".into(),
        }
    }

    #[test]
    fn a_stored_risk_counts_its_assessments_and_lapses_an_older_acceptance() {
        let mut row = Risk::new(
            "r1".into(),
            fields().validate().unwrap(),
            "2026-11-01T00:00:00Z",
        );
        row.set_treatment(Treatment {
            option: TreatmentOption::Accept,
            controls: vec![],
            plan: String::new(),
        })
        .unwrap();
        let inherent = assessment("low", true);
        let mut accepted = row.clone();
        accepted.assess(inherent.clone());
        accepted.accept("sam", "2026-11-30T00:00:00Z", "").unwrap();
        let acceptance = accepted.acceptance.clone().unwrap();
        assert_eq!(
            acceptance.residuals, 0,
            "the current assessment was accepted"
        );
        row.acceptance = Some(acceptance);

        // Inherent assessments alone leave the acceptance; the revision counts them.
        let read = Risk::from_parts(row.clone(), 2, vec![inherent.clone()], vec![]);
        assert_eq!(read.revision, 3);
        assert_eq!(
            read.updated_at, inherent.at,
            "the newest assessment is the last change"
        );
        assert!(read.acceptance.is_some());

        // A planned residual assessment the acceptance did not see lapses it.
        let residual = assessment("medium", false);
        let read = Risk::from_parts(row, 2, vec![inherent], vec![residual]);
        assert_eq!(read.revision, 4);
        assert_eq!(read.acceptance, None);
    }

    #[test]
    fn fields_are_checked_and_assets_deduplicated() {
        let f = fields().validate().unwrap();
        assert_eq!(f.assets, ["file-server"]);
        let mut no_asset = fields();
        no_asset.assets.clear();
        assert_eq!(no_asset.validate().unwrap_err().field, "assets");
    }

    #[test]
    fn mitigation_needs_controls_and_a_new_residual_lapses_the_acceptance() {
        let mut r = Risk::new("r1".into(), fields().validate().unwrap(), "t");
        r.assess(assessment("high", false));
        let e = r
            .set_treatment(Treatment {
                option: TreatmentOption::Mitigate,
                controls: vec![],
                plan: String::new(),
            })
            .unwrap_err();
        assert_eq!(e.field, "treatment.controls");
        r.set_treatment(Treatment {
            option: TreatmentOption::Mitigate,
            controls: vec!["iso27001:A.8.13".into()],
            plan: String::new(),
        })
        .unwrap();
        // Nothing to accept before the residual risk is assessed.
        assert!(r.accept("sam", "t", "").is_err());
        r.plan_residual(assessment("low", true));
        let a = r.accept("sam", "t", "backups tested monthly").unwrap();
        assert!(!a.above_criterion);
        r.plan_residual(assessment("medium", false));
        assert!(r.acceptance.is_none());
        assert!(r.residual_above_criterion());
        assert_eq!(r.residual.len(), 2);
    }

    #[test]
    fn a_retained_risk_is_accepted_at_its_current_level() {
        let mut r = Risk::new("r1".into(), fields().validate().unwrap(), "t");
        r.assess(assessment("medium", false));
        r.set_treatment(Treatment {
            option: TreatmentOption::Accept,
            controls: vec![],
            plan: String::new(),
        })
        .unwrap();
        assert!(r.residual_above_criterion());
        assert_eq!(r.accept("olivia", "t", "").unwrap().level, "medium");
    }
}
