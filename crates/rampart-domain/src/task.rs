//! Tasks: who does what by when, what it acts on, and how often it comes back. People give tasks;
//! the engine gives them too (a document review falling due, a risk to reassess), so nothing the
//! standard asks to be done regularly depends on someone remembering it.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, optional_text, required_text};
use crate::times;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskStatus {
    Open,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }
}

/// What kinds of record a task may act on.
pub const LINK_KINDS: &[&str] = &[
    "document",
    "control",
    "risk",
    "asset",
    "audit",
    "finding",
    "nonconformity",
    "objective",
    "training",
    "review",
];

/// The record a task acts on, e.g. `document` `infosec-policy` or `control` `iso27001:A.5.15`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLink {
    pub kind: String,
    pub id: String,
}

/// What a person says about a task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskFields {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub assignee: String,
    /// RFC 3339 time (a plain date means its midnight UTC).
    pub due: String,
    /// 0: once; otherwise completing the task opens the next one this many months after its due.
    #[serde(default)]
    pub recurrence_months: u32,
    #[serde(default)]
    pub link: Option<TaskLink>,
}

impl TaskFields {
    pub fn validate(self) -> Result<TaskFields, Invalid> {
        if self.recurrence_months > 120 {
            return Err(Invalid::new(
                "recurrence_months",
                "must be 0 (once) up to 120 (every ten years)",
            ));
        }
        let link = match self.link {
            Some(l) if l.kind.trim().is_empty() && l.id.trim().is_empty() => None,
            Some(l) => {
                let kind = l.kind.trim().to_string();
                if !LINK_KINDS.contains(&kind.as_str()) {
                    return Err(Invalid::new(
                        "link.kind",
                        format!("'{kind}' is not one of {}", LINK_KINDS.join(", ")),
                    ));
                }
                Some(TaskLink {
                    kind,
                    id: required_text("link.id", &l.id, 200)?,
                })
            }
            None => None,
        };
        Ok(TaskFields {
            title: required_text("title", &self.title, 300)?,
            description: optional_text("description", &self.description, 4000)?,
            assignee: required_text("assignee", &self.assignee, 100)?,
            due: times::normalise("due", &self.due)?,
            recurrence_months: self.recurrence_months,
            link,
        })
    }
}

/// Where a task came from: a person (`given`), or the engine and why.
pub const ORIGIN_GIVEN: &str = "given";
pub const ORIGIN_DOCUMENT_REVIEW: &str = "document-review";
pub const ORIGIN_RISK_REASSESSMENT: &str = "risk-reassessment";
pub const ORIGIN_CORRECTIVE_ACTION: &str = "corrective-action";
pub const ORIGIN_MANAGEMENT_REVIEW: &str = "management-review";
pub const ORIGIN_MEASUREMENT: &str = "measurement";
pub const ORIGIN_INTERNAL_AUDIT: &str = "internal-audit";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    #[serde(flatten)]
    pub fields: TaskFields,
    pub status: TaskStatus,
    /// The actor who gave it (`user:olivia`), or `system` for tasks the engine creates.
    pub given_by: String,
    pub origin: String,
    pub created_at: String,
    #[serde(default)]
    pub completed_at: String,
    #[serde(default)]
    pub completed_by: String,
    #[serde(default)]
    pub note: String,
    /// When the engine saw it pass its due date (the `task.due` event), empty before.
    #[serde(default)]
    pub fell_due_at: String,
    /// The task this one follows, for a recurring task.
    #[serde(default)]
    pub previous: String,
    #[serde(skip)]
    pub revision: u64,
}

impl Task {
    pub fn new(id: String, fields: TaskFields, given_by: &str, origin: &str, now: &str) -> Task {
        Task {
            id,
            fields,
            status: TaskStatus::Open,
            given_by: given_by.to_string(),
            origin: origin.to_string(),
            created_at: now.to_string(),
            completed_at: String::new(),
            completed_by: String::new(),
            note: String::new(),
            fell_due_at: String::new(),
            previous: String::new(),
            revision: 1,
        }
    }

    pub fn overdue(&self, now: &str) -> bool {
        self.status == TaskStatus::Open && self.fields.due.as_str() < now
    }

    /// Closes the task; for a recurring one, returns the fields of the next occurrence, due the
    /// recurrence period after this one's due date (not after its completion, so a late
    /// completion does not shift the cycle).
    pub fn complete(
        &mut self,
        by: &str,
        note: &str,
        now: &str,
    ) -> Result<Option<TaskFields>, Invalid> {
        if self.status != TaskStatus::Open {
            return Err(Invalid::new(
                "status",
                format!("the task is {} already", self.status.as_str()),
            ));
        }
        self.status = TaskStatus::Done;
        self.completed_at = now.to_string();
        self.completed_by = by.to_string();
        self.note = optional_text("note", note, 4000)?;
        if self.fields.recurrence_months == 0 {
            return Ok(None);
        }
        let due = times::add_months_text(&self.fields.due, self.fields.recurrence_months)
            .ok_or_else(|| Invalid::new("due", "is not a time"))?;
        Ok(Some(TaskFields {
            due,
            ..self.fields.clone()
        }))
    }

    pub fn cancel(&mut self, by: &str, note: &str, now: &str) -> Result<(), Invalid> {
        if self.status != TaskStatus::Open {
            return Err(Invalid::new(
                "status",
                format!("the task is {} already", self.status.as_str()),
            ));
        }
        self.status = TaskStatus::Cancelled;
        self.completed_at = now.to_string();
        self.completed_by = by.to_string();
        self.note = optional_text("note", note, 4000)?;
        Ok(())
    }
}

/// The key of a task the engine creates, so that generating twice creates it once: the origin,
/// the record and the due date (`document-review-infosec-policy-2027-03-01`). An empty `due`
/// gives the prefix every occurrence for that record shares.
pub fn generated_key(origin: &str, record: &str, due: &str) -> String {
    let day = due.get(..10).unwrap_or(due);
    let mut key = format!("{origin}-{record}-{day}");
    key.retain(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(due: &str, months: u32) -> TaskFields {
        TaskFields {
            title: "Review the access control policy".into(),
            description: String::new(),
            assignee: "olivia".into(),
            due: due.into(),
            recurrence_months: months,
            link: Some(TaskLink {
                kind: "document".into(),
                id: "access-control".into(),
            }),
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn a_recurring_task_comes_back_on_its_cycle_not_after_a_late_completion() {
        let mut t = Task::new(
            "t1".into(),
            fields("2027-01-31", 12),
            "user:olivia",
            ORIGIN_GIVEN,
            "2026-12-01T00:00:00.000000Z",
        );
        assert!(t.overdue("2027-03-01T00:00:00.000000Z"));
        let next = t
            .complete("user:olivia", "done late", "2027-03-01T00:00:00.000000Z")
            .unwrap()
            .unwrap();
        assert_eq!(next.due, "2028-01-31T00:00:00.000000Z");
        assert!(t.complete("user:olivia", "", "2027-03-02").is_err());
        assert!(!t.overdue("2030-01-01"));
    }

    #[test]
    fn bad_fields_are_named() {
        let mut f = fields("2027-01-31", 0);
        f.link = Some(TaskLink {
            kind: "spaceship".into(),
            id: "x".into(),
        });
        assert_eq!(f.clone().validate().unwrap_err().field, "link.kind");
        f.link = None;
        f.due = "soon".into();
        assert_eq!(f.clone().validate().unwrap_err().field, "due");
        f.due = "2027-01-01".into();
        f.recurrence_months = 500;
        assert_eq!(f.validate().unwrap_err().field, "recurrence_months");
    }

    #[test]
    fn generated_keys_are_stable_record_keys() {
        assert_eq!(
            generated_key(
                ORIGIN_DOCUMENT_REVIEW,
                "infosec policy",
                "2027-03-01T00:00:00.000000Z"
            ),
            "document-review-infosecpolicy-2027-03-01"
        );
    }
}
