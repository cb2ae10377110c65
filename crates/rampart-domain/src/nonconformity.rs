//! Nonconformities and corrective actions (ISO/IEC 27001 10.2): react to the nonconformity,
//! find its root cause, act on it with owners and due dates, verify that the actions were
//! effective, and only then close it.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, optional_text, required_text};
use crate::times;

pub const SOURCES: &[&str] = &["audit", "incident", "review", "complaint", "other"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NonconformityStatus {
    /// Raised; the root cause is not known yet.
    Open,
    /// Root cause known, corrective actions planned or under way.
    Acting,
    /// Every action done; waiting for the verification of effectiveness.
    Verifying,
    Closed,
}

impl NonconformityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NonconformityStatus::Open => "open",
            NonconformityStatus::Acting => "acting",
            NonconformityStatus::Verifying => "verifying",
            NonconformityStatus::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectiveAction {
    pub id: String,
    pub description: String,
    pub owner: String,
    pub due: String,
    #[serde(default)]
    pub done_at: String,
    #[serde(default)]
    pub note: String,
}

impl CorrectiveAction {
    pub fn overdue(&self, now: &str) -> bool {
        self.done_at.is_empty() && self.due.as_str() < now
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub by: String,
    pub at: String,
    pub effective: bool,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nonconformity {
    pub id: String,
    pub source: String,
    /// What it came from: `audit-finding:ia1-f1`, an incident number, …
    #[serde(default)]
    pub source_ref: String,
    pub description: String,
    /// The requirement not met, e.g. iso27001-2022:A.8.13.
    #[serde(default)]
    pub requirement: String,
    pub status: NonconformityStatus,
    #[serde(default)]
    pub root_cause: String,
    #[serde(default)]
    pub actions: Vec<CorrectiveAction>,
    /// Every verification, the ineffective ones too.
    #[serde(default)]
    pub verifications: Vec<Verification>,
    pub raised_by: String,
    pub raised_at: String,
    #[serde(default)]
    pub closed_at: String,
    #[serde(skip)]
    pub revision: u64,
}

impl Nonconformity {
    pub fn new(
        id: String,
        source: &str,
        source_ref: &str,
        description: &str,
        requirement: &str,
        by: &str,
        now: &str,
    ) -> Result<Nonconformity, Invalid> {
        let source = source.trim();
        if !SOURCES.contains(&source) {
            return Err(Invalid::new(
                "source",
                format!("'{source}' is not a source: {}", SOURCES.join(", ")),
            ));
        }
        Ok(Nonconformity {
            id,
            source: source.to_string(),
            source_ref: optional_text("source_ref", source_ref, 200)?,
            description: required_text("description", description, 4000)?,
            requirement: optional_text("requirement", requirement, 200)?,
            status: NonconformityStatus::Open,
            root_cause: String::new(),
            actions: vec![],
            verifications: vec![],
            raised_by: by.to_string(),
            raised_at: now.to_string(),
            closed_at: String::new(),
            revision: 1,
        })
    }

    fn not_closed(&self) -> Result<(), Invalid> {
        if self.status == NonconformityStatus::Closed {
            return Err(Invalid::new("status", "the nonconformity is closed"));
        }
        Ok(())
    }

    pub fn set_root_cause(&mut self, cause: &str) -> Result<(), Invalid> {
        self.not_closed()?;
        self.root_cause = required_text("root_cause", cause, 4000)?;
        if self.status == NonconformityStatus::Open {
            self.status = NonconformityStatus::Acting;
        }
        Ok(())
    }

    /// Plans a corrective action; only once the root cause is known (acting on a symptom is
    /// what 10.2 warns against).
    pub fn add_action(
        &mut self,
        description: &str,
        owner: &str,
        due: &str,
    ) -> Result<&CorrectiveAction, Invalid> {
        self.not_closed()?;
        if self.root_cause.is_empty() {
            return Err(Invalid::new(
                "root_cause",
                "determine the root cause first: corrective actions remove causes",
            ));
        }
        let action = CorrectiveAction {
            id: format!("{}-a{}", self.id, self.actions.len() + 1),
            description: required_text("description", description, 4000)?,
            owner: required_text("owner", owner, 100)?,
            due: times::normalise("due", due)?,
            done_at: String::new(),
            note: String::new(),
        };
        self.actions.push(action);
        self.status = NonconformityStatus::Acting;
        Ok(self.actions.last().expect("just pushed"))
    }

    pub fn complete_action(&mut self, action: &str, note: &str, now: &str) -> Result<(), Invalid> {
        self.not_closed()?;
        let note = optional_text("note", note, 4000)?;
        let a = self
            .actions
            .iter_mut()
            .find(|a| a.id == action)
            .ok_or_else(|| Invalid::new("action", format!("no action {action} here")))?;
        if !a.done_at.is_empty() {
            return Err(Invalid::new("action", format!("{action} is done already")));
        }
        a.done_at = now.to_string();
        a.note = note;
        if self.actions.iter().all(|a| !a.done_at.is_empty()) {
            self.status = NonconformityStatus::Verifying;
        }
        Ok(())
    }

    /// Records whether the actions worked. Effective closes it; not effective sends it back to
    /// acting (new actions needed).
    pub fn verify(
        &mut self,
        by: &str,
        effective: bool,
        note: &str,
        now: &str,
    ) -> Result<(), Invalid> {
        if self.status != NonconformityStatus::Verifying {
            return Err(Invalid::new(
                "status",
                format!(
                    "the nonconformity is {}: effectiveness is verified once every corrective action is done",
                    self.status.as_str()
                ),
            ));
        }
        self.verifications.push(Verification {
            by: by.to_string(),
            at: now.to_string(),
            effective,
            note: required_text("note", note, 4000)
                .map_err(|_| Invalid::new("note", "say how effectiveness was verified"))?,
        });
        if effective {
            self.status = NonconformityStatus::Closed;
            self.closed_at = now.to_string();
        } else {
            self.status = NonconformityStatus::Acting;
        }
        Ok(())
    }

    pub fn overdue_actions(&self, now: &str) -> usize {
        self.actions.iter().filter(|a| a.overdue(now)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_10_2_cycle_in_order() {
        let mut n = Nonconformity::new(
            "nc1".into(),
            "audit",
            "audit-finding:ia1-f1",
            "Backups never restored",
            "iso27001-2022:A.8.13",
            "user:dana",
            "2027-03-02",
        )
        .unwrap();
        assert_eq!(
            n.add_action("Test restores", "sam", "2027-04-01")
                .unwrap_err()
                .field,
            "root_cause"
        );
        n.set_root_cause("No one owns restore testing").unwrap();
        let a = n
            .add_action("Quarterly restore test", "sam", "2027-04-01")
            .unwrap()
            .id
            .clone();
        assert_eq!(n.overdue_actions("2027-05-01T00:00:00.000000Z"), 1);
        assert!(n.verify("user:maria", true, "x", "now").is_err());
        n.complete_action(&a, "first test done", "2027-03-20")
            .unwrap();
        assert_eq!(n.status, NonconformityStatus::Verifying);
        n.verify("user:maria", false, "restore failed again", "2027-04-20")
            .unwrap();
        assert_eq!(n.status, NonconformityStatus::Acting);
        let b = n
            .add_action("Fix the restore script", "sam", "2027-05-01")
            .unwrap()
            .id
            .clone();
        n.complete_action(&b, "", "2027-04-25").unwrap();
        n.verify("user:maria", true, "two restores succeeded", "2027-06-01")
            .unwrap();
        assert_eq!(n.status, NonconformityStatus::Closed);
        assert!(n.set_root_cause("again").is_err());
        assert!(Nonconformity::new("x".into(), "rumour", "", "d", "", "a", "n").is_err());
    }
}
