//! The risk methodology contract (the `risk-methodology` world of `plugins/wit`) as Rust data,
//! and the checks the host makes on everything a methodology returns.

use serde::{Deserialize, Serialize};

use crate::{Broke, PluginFailure};

/// One step of an ordinal scale, e.g. likelihood 3 "likely".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleStep {
    #[serde(deserialize_with = "number")]
    pub value: f64,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberRange {
    #[serde(deserialize_with = "number")]
    pub min: f64,
    #[serde(deserialize_with = "number")]
    pub max: f64,
    #[serde(default)]
    pub unit: String,
}

/// What an input field accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Scale(Vec<ScaleStep>),
    Number(NumberRange),
    Estimate(NumberRange),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputField {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub help: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskLevel {
    pub name: String,
    pub colour: String,
    pub acceptable: bool,
    #[serde(default)]
    pub description: String,
}

/// What `describe` returns: the method's inputs, its output levels and acceptance criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Methodology {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    pub inputs: Vec<InputField>,
    pub levels: Vec<RiskLevel>,
    pub acceptance: String,
}

/// A three-point (PERT) estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    #[serde(deserialize_with = "number")]
    pub min: f64,
    #[serde(deserialize_with = "number")]
    pub mode: f64,
    #[serde(deserialize_with = "number")]
    pub max: f64,
}

/// An input value. In JSON and Rhai a number is a number, a text a string, and an estimate a
/// map `{min, mode, max}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InputValue {
    Number(f64),
    Text(String),
    Estimate(Estimate),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub name: String,
    pub value: InputValue,
}

impl Input {
    pub fn number(name: &str, value: f64) -> Self {
        Input {
            name: name.into(),
            value: InputValue::Number(value),
        }
    }
    pub fn text(name: &str, value: &str) -> Self {
        Input {
            name: name.into(),
            value: InputValue::Text(value.into()),
        }
    }
    pub fn estimate(name: &str, min: f64, mode: f64, max: f64) -> Self {
        Input {
            name: name.into(),
            value: InputValue::Estimate(Estimate { min, mode, max }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    #[serde(deserialize_with = "number")]
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExceedancePoint {
    #[serde(deserialize_with = "number")]
    pub loss: f64,
    #[serde(deserialize_with = "number")]
    pub probability: f64,
}

/// What `assess` returns for one risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    #[serde(deserialize_with = "number")]
    pub score: f64,
    pub level: String,
    pub acceptable: bool,
    #[serde(default)]
    pub explanation: String,
    #[serde(default)]
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub exceedance_curve: Vec<ExceedancePoint>,
}

/// Accepts a whole number where a number is expected: Rhai scripts and JSON files write `3`
/// for `3.0`, and Rhai's deserializer does not widen integers by itself.
pub(crate) fn number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    struct Number;
    impl serde::de::Visitor<'_> for Number {
        type Value = f64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a number")
        }
        fn visit_f64<E>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_i64<E>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
    }
    d.deserialize_any(Number)
}

/// One risk methodology, whichever runtime runs it. Calls are synchronous and may take up to
/// the plugin's CPU budget: call them from a blocking thread, not an async task.
pub trait RiskMethodology: Send + Sync {
    /// What `describe` returned when the plugin was loaded (checked then).
    fn methodology(&self) -> &Methodology;

    /// `Ok(Err(message))` is the method's own verdict on bad inputs; `Err` is the plugin failing.
    fn assess(&self, inputs: &[Input]) -> Result<Result<Assessment, String>, PluginFailure>;

    fn assess_batch(
        &self,
        batch: &[Vec<Input>],
    ) -> Result<Vec<Result<Assessment, String>>, PluginFailure>;
}

/// The largest explanation, metric list and curve a single assessment may carry.
pub const MAX_EXPLANATION_BYTES: usize = 16 * 1024;
pub const MAX_METRICS: usize = 64;
pub const MAX_CURVE_POINTS: usize = 1024;

/// Checks a `describe` result: a methodology the host can present and check results against.
pub fn check_methodology(m: &Methodology) -> Result<(), String> {
    if m.name.trim().is_empty() {
        return Err("describe: name is empty".into());
    }
    if m.levels.is_empty() {
        return Err("describe: no output levels".into());
    }
    let mut seen = std::collections::HashSet::new();
    for l in &m.levels {
        if !seen.insert(l.name.as_str()) {
            return Err(format!("describe: level {:?} appears twice", l.name));
        }
    }
    let mut fields = std::collections::HashSet::new();
    for f in &m.inputs {
        if !fields.insert(f.name.as_str()) {
            return Err(format!("describe: input field {:?} appears twice", f.name));
        }
        match &f.kind {
            FieldKind::Scale(steps) if steps.is_empty() => {
                return Err(format!(
                    "describe: input field {:?} has an empty scale",
                    f.name
                ));
            }
            FieldKind::Number(r) | FieldKind::Estimate(r)
                if r.min.is_nan() || r.max.is_nan() || r.min > r.max =>
            {
                return Err(format!(
                    "describe: input field {:?} needs numbers with min <= max",
                    f.name
                ));
            }
            _ => {}
        }
    }
    let size = serde_json::to_vec(m).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > 256 * 1024 {
        return Err(format!(
            "describe: {size} bytes, more than the 256 KiB allowed"
        ));
    }
    Ok(())
}

/// Checks an assessment against the methodology it claims to follow.
pub fn check_assessment(m: &Methodology, a: &Assessment) -> Result<(), (Broke, String)> {
    check_assessment_size(a).map_err(|e| (Broke::Output, e))?;
    check_assessment_values(m, a).map_err(|e| (Broke::Contract, e))
}

fn check_assessment_values(m: &Methodology, a: &Assessment) -> Result<(), String> {
    if !a.score.is_finite() {
        return Err(format!("assess: score {} is not a finite number", a.score));
    }
    let Some(level) = m.levels.iter().find(|l| l.name == a.level) else {
        return Err(format!(
            "assess: level {:?} is not one of the levels describe declared",
            truncate(&a.level, 64)
        ));
    };
    if level.acceptable != a.acceptable {
        return Err(format!(
            "assess: level {:?} is declared {} but the result says {}",
            level.name,
            if level.acceptable {
                "acceptable"
            } else {
                "not acceptable"
            },
            if a.acceptable {
                "acceptable"
            } else {
                "not acceptable"
            }
        ));
    }
    if let Some(p) = a
        .exceedance_curve
        .iter()
        .find(|p| !p.loss.is_finite() || !(0.0..=1.0).contains(&p.probability))
    {
        return Err(format!(
            "assess: curve point {} / {} is out of range",
            p.loss, p.probability
        ));
    }
    if let Some(x) = a.metrics.iter().find(|x| !x.value.is_finite()) {
        return Err(format!(
            "assess: metric {:?} is not a finite number",
            truncate(&x.name, 64)
        ));
    }
    Ok(())
}

fn check_assessment_size(a: &Assessment) -> Result<(), String> {
    if a.explanation.len() > MAX_EXPLANATION_BYTES {
        return Err(format!(
            "assess: explanation of {} bytes, more than the {MAX_EXPLANATION_BYTES} allowed",
            a.explanation.len()
        ));
    }
    if a.metrics.len() > MAX_METRICS {
        return Err(format!(
            "assess: {} metrics, more than the {MAX_METRICS} allowed",
            a.metrics.len()
        ));
    }
    if a.exceedance_curve.len() > MAX_CURVE_POINTS {
        return Err(format!(
            "assess: {} curve points, more than the {MAX_CURVE_POINTS} allowed",
            a.exceedance_curve.len()
        ));
    }
    if a.level.len() > 256 || a.metrics.iter().any(|x| x.name.len() > 256) {
        return Err("assess: a level or metric name longer than 256 bytes".into());
    }
    Ok(())
}

/// Bounds a message a plugin produced before it goes into an error or a log.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
