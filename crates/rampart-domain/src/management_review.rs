//! Management review (ISO/IEC 27001 9.3): the inputs the standard lists, compiled by the engine
//! from its own records when the review is held (and frozen with it, so the minutes show what
//! management saw), the decisions taken, and the actions that follow — each becomes a task.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, optional_text, required_text};
use crate::times;

/// 9.3.2 inputs, as numbers the engine knows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewInputs {
    /// a) actions from previous reviews
    pub previous_actions_open: u64,
    pub previous_actions_done: u64,
    /// b) changes in external and internal issues: interested parties and their requirements
    pub interested_parties: u64,
    pub party_requirements: u64,
    /// d) 1) nonconformities and corrective actions
    pub nonconformities_open: u64,
    pub nonconformities_closed: u64,
    pub corrective_actions_overdue: u64,
    /// d) 2) monitoring and measurement results: tasks and document reviews overdue
    pub tasks_overdue: u64,
    pub document_reviews_overdue: u64,
    /// d) 3) audit results
    pub audits_closed: u64,
    pub major_nonconformities_found: u64,
    pub minor_nonconformities_found: u64,
    pub observations_found: u64,
    /// d) 4) fulfilment of information security objectives: how many there are and are met
    /// (every metric's latest measurement on target); the note says how many are not measured
    pub objectives: u64,
    pub objectives_met: u64,
    pub objectives_note: String,
    /// e) risk assessment results and the status of the risk treatment plan
    pub risks_assessed: u64,
    pub risks_above_criterion: u64,
    pub residual_risks_not_accepted: u64,
    pub treatment_plan_items: u64,
    pub treatment_plan_implemented: u64,
    pub treatment_plan_overdue: u64,
    /// Readiness of each installed framework, `iso27001-2022 46%`.
    pub readiness: Vec<String>,
    /// g) opportunities for continual improvement: audit findings of that kind
    #[serde(default)]
    pub opportunities_for_improvement: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewAction {
    pub description: String,
    pub owner: String,
    pub due: String,
    /// The task it became.
    #[serde(default)]
    pub task: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagementReview {
    pub id: String,
    pub title: String,
    pub attendees: Vec<String>,
    pub held_at: String,
    pub held_by: String,
    pub inputs: ReviewInputs,
    /// 9.3.3 outputs: decisions on improvement and changes to the ISMS.
    #[serde(default)]
    pub decisions: Vec<String>,
    #[serde(default)]
    pub actions: Vec<ReviewAction>,
    #[serde(default)]
    pub closed_at: String,
    #[serde(skip)]
    pub revision: u64,
}

impl ManagementReview {
    pub fn new(
        id: String,
        title: &str,
        attendees: &[String],
        inputs: ReviewInputs,
        by: &str,
        now: &str,
    ) -> Result<ManagementReview, Invalid> {
        let attendees: Vec<String> = attendees
            .iter()
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        if attendees.is_empty() {
            return Err(Invalid::new(
                "attendees",
                "name who took part (top management reviews the ISMS)",
            ));
        }
        Ok(ManagementReview {
            id,
            title: required_text("title", title, 300)?,
            attendees,
            held_at: now.to_string(),
            held_by: by.to_string(),
            inputs,
            decisions: vec![],
            actions: vec![],
            closed_at: String::new(),
            revision: 1,
        })
    }

    /// Records the outputs and closes the review. Actions are validated here; the engine turns
    /// each into a task.
    pub fn record_outputs(
        &mut self,
        decisions: &[String],
        actions: Vec<ReviewAction>,
        now: &str,
    ) -> Result<(), Invalid> {
        if !self.closed_at.is_empty() {
            return Err(Invalid::new("status", "the review is closed already"));
        }
        let decisions: Vec<String> = decisions
            .iter()
            .map(|d| optional_text("decisions", d, 4000))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|d| !d.is_empty())
            .collect();
        if decisions.is_empty() {
            return Err(Invalid::new(
                "decisions",
                "record at least one decision (9.3.3), even \"no change needed\"",
            ));
        }
        let mut checked = Vec::new();
        for (i, a) in actions.into_iter().enumerate() {
            checked.push(ReviewAction {
                description: required_text(
                    &format!("actions[{i}].description"),
                    &a.description,
                    4000,
                )?,
                owner: required_text(&format!("actions[{i}].owner"), &a.owner, 100)?,
                due: times::normalise(&format!("actions[{i}].due"), &a.due)?,
                task: String::new(),
            });
        }
        self.decisions = decisions;
        self.actions = checked;
        self.closed_at = now.to_string();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_needs_attendees_and_a_decision() {
        assert!(
            ManagementReview::new(
                "r".into(),
                "2027 review",
                &[],
                ReviewInputs::default(),
                "a",
                "n"
            )
            .is_err()
        );
        let mut r = ManagementReview::new(
            "r".into(),
            "2027 review",
            &["olivia".into()],
            ReviewInputs::default(),
            "user:maria",
            "2027-01-01",
        )
        .unwrap();
        assert_eq!(
            r.record_outputs(&[], vec![], "x").unwrap_err().field,
            "decisions"
        );
        let bad = vec![ReviewAction {
            description: "Budget".into(),
            owner: "olivia".into(),
            due: "soon".into(),
            task: String::new(),
        }];
        assert_eq!(
            r.record_outputs(&["More budget".into()], bad, "x")
                .unwrap_err()
                .field,
            "actions[0].due"
        );
        r.record_outputs(&["Keep the scope".into()], vec![], "2027-01-02")
            .unwrap();
        assert!(r.record_outputs(&["again".into()], vec![], "x").is_err());
    }
}
