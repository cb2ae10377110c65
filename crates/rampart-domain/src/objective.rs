//! Information security objectives and how they are measured (ISO/IEC 27001 6.2, 9.1): each
//! objective has metrics with a definition, a target, a frequency and an owner — a metric may
//! measure a control's effectiveness — and measurements over time. An objective is met when
//! every metric's latest measurement meets its target.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, optional_text, required_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The value must reach the target (e.g. 95 % of staff trained).
    AtLeast,
    /// The value must stay at or below it (e.g. at most 2 incidents a quarter).
    AtMost,
}

impl Direction {
    pub fn parse(s: &str) -> Result<Direction, Invalid> {
        match s.trim() {
            "" | "at-least" => Ok(Direction::AtLeast),
            "at-most" => Ok(Direction::AtMost),
            other => Err(Invalid::new(
                "direction",
                format!("'{other}' is not at-least or at-most"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::AtLeast => "at-least",
            Direction::AtMost => "at-most",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub at: String,
    pub value: f64,
    pub by: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub id: String,
    pub name: String,
    /// What is counted and how (the formula or the source).
    pub definition: String,
    pub target: f64,
    pub direction: Direction,
    #[serde(default)]
    pub unit: String,
    /// How often it is measured; a measurement task falls due this long after the last one.
    pub frequency_months: u32,
    pub owner: String,
    /// The control whose effectiveness it measures, e.g. iso27001-2022:A.8.13 (optional).
    #[serde(default)]
    pub control: String,
    #[serde(default)]
    pub measurements: Vec<Measurement>,
}

impl Metric {
    pub fn latest(&self) -> Option<&Measurement> {
        self.measurements.last()
    }

    /// None while never measured.
    pub fn met(&self) -> Option<bool> {
        self.latest().map(|m| match self.direction {
            Direction::AtLeast => m.value >= self.target,
            Direction::AtMost => m.value <= self.target,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub owner: String,
    pub metrics: Vec<Metric>,
    #[serde(skip)]
    pub revision: u64,
}

/// Whether an objective is met: every metric measured and on target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fulfilment {
    Met,
    NotMet,
    NotMeasured,
}

impl Fulfilment {
    pub fn as_str(self) -> &'static str {
        match self {
            Fulfilment::Met => "met",
            Fulfilment::NotMet => "not-met",
            Fulfilment::NotMeasured => "not-measured",
        }
    }
}

impl Objective {
    /// Checks the fields; metrics keep the measurements they had under the same id.
    pub fn validate(mut self, previous: Option<&Objective>) -> Result<Objective, Invalid> {
        self.title = required_text("title", &self.title, 300)?;
        self.description = optional_text("description", &self.description, 4000)?;
        self.owner = required_text("owner", &self.owner, 100)?;
        if self.metrics.is_empty() {
            return Err(Invalid::new(
                "metrics",
                "an objective needs at least one metric: how will you know it is met? (9.1)",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, m) in self.metrics.iter_mut().enumerate() {
            let field = |f: &str| format!("metrics[{i}].{f}");
            m.id = crate::invalid::key(&field("id"), &m.id, 100)?;
            if !seen.insert(m.id.clone()) {
                return Err(Invalid::new(field("id"), format!("{} is used twice", m.id)));
            }
            m.name = required_text(&field("name"), &m.name, 300)?;
            m.definition = required_text(&field("definition"), &m.definition, 4000)?;
            if !m.target.is_finite() {
                return Err(Invalid::new(field("target"), "must be a number"));
            }
            if m.frequency_months == 0 || m.frequency_months > 60 {
                return Err(Invalid::new(field("frequency_months"), "must be 1 to 60"));
            }
            m.owner = required_text(&field("owner"), &m.owner, 100)?;
            m.unit = optional_text(&field("unit"), &m.unit, 50)?;
            m.control = optional_text(&field("control"), &m.control, 200)?;
            m.measurements = previous
                .and_then(|p| p.metrics.iter().find(|x| x.id == m.id))
                .map(|x| x.measurements.clone())
                .unwrap_or_default();
        }
        Ok(self)
    }

    pub fn fulfilment(&self) -> Fulfilment {
        let mut all_met = true;
        for m in &self.metrics {
            match m.met() {
                None => return Fulfilment::NotMeasured,
                Some(false) => all_met = false,
                Some(true) => {}
            }
        }
        if all_met {
            Fulfilment::Met
        } else {
            Fulfilment::NotMet
        }
    }

    /// Records a measurement taken at `now` (stored time).
    pub fn measure(
        &mut self,
        metric: &str,
        value: f64,
        note: &str,
        by: &str,
        now: &str,
    ) -> Result<&Metric, Invalid> {
        if !value.is_finite() {
            return Err(Invalid::new("value", "must be a number"));
        }
        let note = optional_text("note", note, 4000)?;
        let m = self
            .metrics
            .iter_mut()
            .find(|m| m.id == metric.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "metric",
                    format!("objective {} has no metric '{}'", self.id, metric.trim()),
                )
            })?;
        m.measurements.push(Measurement {
            at: now.to_string(),
            value,
            by: by.to_string(),
            note,
        });
        // A measurement taken earlier and recorded now goes where it belongs in time.
        m.measurements.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objective() -> Objective {
        Objective {
            id: "backups".into(),
            title: "Restorable backups".into(),
            description: String::new(),
            owner: "maria".into(),
            metrics: vec![Metric {
                id: "restore-success".into(),
                name: "Restore tests that succeed".into(),
                definition: "successful restore tests / restore tests, per quarter".into(),
                target: 95.0,
                direction: Direction::AtLeast,
                unit: "%".into(),
                frequency_months: 3,
                owner: "sam".into(),
                control: "iso27001-2022:A.8.13".into(),
                measurements: vec![],
            }],
            revision: 1,
        }
        .validate(None)
        .unwrap()
    }

    #[test]
    fn an_objective_is_met_when_every_metric_is_on_target() {
        let mut o = objective();
        assert_eq!(o.fulfilment(), Fulfilment::NotMeasured);
        o.measure("restore-success", 80.0, "", "user:sam", "2027-01-01")
            .unwrap();
        assert_eq!(o.fulfilment(), Fulfilment::NotMet);
        o.measure("restore-success", 100.0, "", "user:sam", "2027-04-01")
            .unwrap();
        assert_eq!(o.fulfilment(), Fulfilment::Met);
        assert_eq!(
            o.measure("nope", 1.0, "", "u", "n").unwrap_err().field,
            "metric"
        );
        // Redefining keeps the measurements of a metric with the same id.
        let again = Objective {
            revision: 2,
            ..o.clone()
        }
        .validate(Some(&o))
        .unwrap();
        assert_eq!(again.metrics[0].measurements.len(), 2);
        let mut empty = o.clone();
        empty.metrics.clear();
        assert_eq!(empty.validate(None).unwrap_err().field, "metrics");
    }
}
