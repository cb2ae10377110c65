//! The internal audit programme (9.2.2): over a certification cycle of three years, every clause
//! and every applicable control is audited at least once. Coverage is computed from the audits'
//! checklists: a line audited in a closed audit covers its requirement; a line of an audit
//! planned or under way will.

use crate::internal_audit::{AuditStatus, InternalAudit};
use crate::times;

/// A certification cycle lasts three years (certification, two surveillance audits).
pub const CYCLE_MONTHS: u32 = 36;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    Audited,
    Planned,
    NotCovered,
}

impl Coverage {
    pub fn as_str(self) -> &'static str {
        match self {
            Coverage::Audited => "audited",
            Coverage::Planned => "planned",
            Coverage::NotCovered => "not-covered",
        }
    }
}

/// Something the programme must cover: a clause (a requirement without sub-clauses) or an
/// applicable control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auditable {
    pub id: String,
    pub title: String,
    /// "clause" or "control"
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeLine {
    pub item: Auditable,
    pub coverage: Coverage,
    /// The audits that audited or will audit it.
    pub audits: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub cycle_start: String,
    pub cycle_end: String,
    pub lines: Vec<ProgrammeLine>,
}

impl Programme {
    pub fn count(&self, c: Coverage) -> usize {
        self.lines.iter().filter(|l| l.coverage == c).count()
    }

    /// Audited, in percent of everything the cycle must cover.
    pub fn percent_audited(&self) -> f64 {
        if self.lines.is_empty() {
            return 0.0;
        }
        self.count(Coverage::Audited) as f64 * 100.0 / self.lines.len() as f64
    }
}

/// Whether a checklist line about `line` covers `item`: the same id, or a clause in scope
/// covering its sub-clauses (9 covers 9.2.1).
fn covers(line: &str, item: &str) -> bool {
    item == line
        || item
            .strip_prefix(line)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The cycle that holds `now`, counted in three-year steps from `first` (the earliest audit's
/// start; `now` when there is none).
pub fn cycle(first: Option<&str>, now: &str) -> (String, String) {
    let mut start = first.unwrap_or(now).to_string();
    loop {
        let end = times::add_months_text(&start, CYCLE_MONTHS).unwrap_or_else(|| now.to_string());
        if end.as_str() > now || end == start {
            return (start, end);
        }
        start = end;
    }
}

pub fn programme(
    universe: Vec<Auditable>,
    audits: &[InternalAudit],
    cycle_start: &str,
    cycle_end: &str,
) -> Programme {
    let in_cycle: Vec<&InternalAudit> = audits
        .iter()
        .filter(|a| a.plan.start.as_str() >= cycle_start && a.plan.start.as_str() < cycle_end)
        .collect();
    let lines = universe
        .into_iter()
        .map(|item| {
            let mut coverage = Coverage::NotCovered;
            let mut by = Vec::new();
            for a in &in_cycle {
                let lines = a
                    .checklist
                    .iter()
                    .filter(|l| covers(&l.requirement, &item.id));
                let mut touched = false;
                for l in lines {
                    touched = true;
                    let done = a.status == AuditStatus::Closed && l.result != "not-audited";
                    if done {
                        coverage = Coverage::Audited;
                    } else if coverage == Coverage::NotCovered && a.status != AuditStatus::Closed {
                        coverage = Coverage::Planned;
                    }
                }
                if touched && !by.contains(&a.id) {
                    by.push(a.id.clone());
                }
            }
            ProgrammeLine {
                item,
                coverage,
                audits: by,
            }
        })
        .collect();
    Programme {
        cycle_start: cycle_start.to_string(),
        cycle_end: cycle_end.to_string(),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internal_audit::{AuditPlan, ChecklistItem};

    fn audit(id: &str, status: AuditStatus, start: &str, lines: &[(&str, &str)]) -> InternalAudit {
        InternalAudit {
            id: id.into(),
            plan: AuditPlan {
                title: id.into(),
                framework: "iso27001-2022".into(),
                start: start.into(),
                end: start.into(),
                ..Default::default()
            },
            status,
            checklist: lines
                .iter()
                .map(|(r, res)| ChecklistItem {
                    requirement: r.to_string(),
                    title: String::new(),
                    result: res.to_string(),
                    note: String::new(),
                })
                .collect(),
            findings: vec![],
            planned_by: "user:maria".into(),
            planned_at: start.into(),
            closed_at: String::new(),
            conclusion: String::new(),
            revision: 1,
        }
    }

    fn item(id: &str, kind: &'static str) -> Auditable {
        Auditable {
            id: id.into(),
            title: id.into(),
            kind,
        }
    }

    #[test]
    fn closed_audits_cover_planned_ones_will_and_old_cycles_do_not_count() {
        let audits = vec![
            audit(
                "2023",
                AuditStatus::Closed,
                "2023-02-01T00:00:00.000000Z",
                &[("9.2.1", "conform")],
            ),
            audit(
                "spring",
                AuditStatus::Closed,
                "2026-03-01T00:00:00.000000Z",
                &[("9", "conform"), ("A.5.1", "not-audited")],
            ),
            audit(
                "autumn",
                AuditStatus::Planned,
                "2026-10-01T00:00:00.000000Z",
                &[("A.5.1", ""), ("A.8.13", "")],
            ),
        ];
        let (start, end) = cycle(
            Some("2023-02-01T00:00:00.000000Z"),
            "2026-11-29T00:00:00.000000Z",
        );
        assert_eq!(start, "2026-02-01T00:00:00.000000Z");
        assert_eq!(end, "2029-02-01T00:00:00.000000Z");
        let p = programme(
            vec![
                item("9.2.1", "clause"),
                item("10.2", "clause"),
                item("A.5.1", "control"),
                item("A.8.13", "control"),
            ],
            &audits,
            &start,
            &end,
        );
        let got: Vec<(&str, &str)> = p
            .lines
            .iter()
            .map(|l| (l.item.id.as_str(), l.coverage.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("9.2.1", "audited"),
                ("10.2", "not-covered"),
                ("A.5.1", "planned"),
                ("A.8.13", "planned")
            ]
        );
        // Clause 9 in the spring audit's scope covered 9.2.1; the 2023 audit is another cycle.
        assert_eq!(p.lines[0].audits, ["spring"]);
        assert_eq!(p.lines[2].audits, ["spring", "autumn"]);
        assert_eq!(p.percent_audited(), 25.0);
    }
}
