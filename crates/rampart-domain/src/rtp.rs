//! The risk treatment plan (ISO/IEC 27001 6.1.3 e, 8.3): for each control to implement, who does
//! what by when with what budget, and how far the plan has come.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, optional_text, required_text};
use crate::soa::ImplementationStatus;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtpItem {
    pub framework: String,
    pub control: String,
    pub owner: String,
    pub actions: String,
    /// RFC 3339 date-time; empty while not planned.
    pub due: String,
    /// In the organisation's currency.
    pub budget: f64,
    pub status: ImplementationStatus,
}

impl RtpItem {
    pub fn validate(self) -> Result<RtpItem, Invalid> {
        if !self.budget.is_finite() || self.budget < 0.0 {
            return Err(Invalid::new("budget", "must be a number of at least 0"));
        }
        let due = if self.due.trim().is_empty() {
            String::new()
        } else {
            crate::times::normalise("due", &self.due)?
        };
        Ok(RtpItem {
            framework: required_text("framework", &self.framework, 100)?,
            control: required_text("control", &self.control, 100)?,
            owner: required_text("owner", &self.owner, 100)?,
            actions: optional_text("actions", &self.actions, 4000)?,
            due,
            budget: self.budget,
            status: self.status,
        })
    }

    pub fn overdue(&self, now: &str) -> bool {
        self.status != ImplementationStatus::Implemented
            && !self.due.is_empty()
            && self.due.as_str() < now
    }
}

/// How far a plan has come.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RtpRollup {
    pub items: usize,
    pub implemented: usize,
    pub in_progress: usize,
    pub overdue: usize,
    /// Share of items implemented, 0–100.
    pub progress: f64,
    pub budget: f64,
    /// Budget of the items implemented.
    pub budget_spent: f64,
}

pub fn rollup(items: &[RtpItem], now: &str) -> RtpRollup {
    let mut r = RtpRollup {
        items: items.len(),
        ..Default::default()
    };
    for i in items {
        r.budget += i.budget;
        match i.status {
            ImplementationStatus::Implemented => {
                r.implemented += 1;
                r.budget_spent += i.budget;
            }
            ImplementationStatus::InProgress => r.in_progress += 1,
            _ => {}
        }
        if i.overdue(now) {
            r.overdue += 1;
        }
    }
    r.progress = if items.is_empty() {
        0.0
    } else {
        r.implemented as f64 * 100.0 / items.len() as f64
    };
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(status: ImplementationStatus, due: &str, budget: f64) -> RtpItem {
        RtpItem {
            framework: "iso27001-2022".into(),
            control: "A.8.13".into(),
            owner: "sam".into(),
            actions: "Offline copies weekly".into(),
            due: due.into(),
            budget,
            status,
        }
    }

    #[test]
    fn the_rollup_counts_progress_budget_and_overdue_items() {
        let items = [
            item(
                ImplementationStatus::Implemented,
                "2026-01-01T00:00:00Z",
                1000.0,
            ),
            item(
                ImplementationStatus::InProgress,
                "2026-06-01T00:00:00Z",
                500.0,
            ),
            item(ImplementationStatus::Planned, "2027-06-01T00:00:00Z", 250.0),
        ];
        let r = rollup(&items, "2026-11-29T00:00:00Z");
        assert_eq!(
            (r.items, r.implemented, r.in_progress, r.overdue),
            (3, 1, 1, 1)
        );
        assert_eq!((r.budget, r.budget_spent), (1750.0, 1000.0));
        assert!((r.progress - 33.333).abs() < 0.01);
        let bad = RtpItem {
            budget: -1.0,
            ..items[0].clone()
        };
        assert_eq!(bad.validate().unwrap_err().field, "budget");
    }
}
