//! Conformance cases: the checks every risk methodology must pass whatever its method, and the
//! cases a plugin ships in `cases.json` (inputs and the expected level, acceptability, score).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::risk::{FieldKind, Input, InputValue, RiskMethodology};
use crate::{Broke, PluginFailure};

/// Inputs that the method's own description says are valid: the middle of every scale and range.
pub fn typical_inputs(m: &dyn RiskMethodology) -> Vec<Input> {
    m.methodology()
        .inputs
        .iter()
        .map(|f| Input {
            name: f.name.clone(),
            value: match &f.kind {
                FieldKind::Scale(steps) => InputValue::Number(steps[steps.len() / 2].value),
                FieldKind::Number(r) => InputValue::Number((r.min + r.max) / 2.0),
                FieldKind::Estimate(r) => {
                    let span = r.max - r.min;
                    InputValue::Estimate(crate::risk::Estimate {
                        min: r.min + span * 0.1,
                        mode: r.min + span * 0.2,
                        max: r.min + span * 0.4,
                    })
                }
            },
        })
        .collect()
}

/// The test a plugin passes before it is accepted: describe was valid (checked at load), and an
/// assessment of typical inputs returns a result that keeps the contract.
pub fn load_test(plugin: &str, m: &dyn RiskMethodology) -> Result<(), PluginFailure> {
    match m.assess(&typical_inputs(m))? {
        Ok(_) => Ok(()),
        Err(message) => Err(PluginFailure::new(
            plugin,
            Broke::Contract,
            format!("refused the typical inputs its own description allows: {message}"),
        )),
    }
}

/// One case: inputs by field name, and what must come out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub inputs: BTreeMap<String, InputValue>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub acceptable: Option<bool>,
    #[serde(default)]
    pub score: Option<f64>,
    /// Relative tolerance on the score (Monte Carlo methods); exact when absent.
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// The method must refuse these inputs.
    #[serde(default)]
    pub rejected: bool,
}

impl Case {
    pub fn inputs(&self) -> Vec<Input> {
        self.inputs
            .iter()
            .map(|(k, v)| Input {
                name: k.clone(),
                value: v.clone(),
            })
            .collect()
    }
}

pub fn read_cases(dir: &Path) -> Result<Vec<Case>, String> {
    let path = dir.join("cases.json");
    if !path.exists() {
        return Ok(vec![]);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The outcome of one conformance check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub case: String,
    pub passed: bool,
    pub detail: String,
}

/// Runs the kind's conformance checks and the given cases against a methodology.
pub fn run(m: &dyn RiskMethodology, cases: &[Case]) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut push = |case: &str, result: Result<(), String>| {
        out.push(Outcome {
            case: case.to_string(),
            passed: result.is_ok(),
            detail: result.err().unwrap_or_default(),
        })
    };
    let typical = typical_inputs(m);
    let described = m.methodology();

    push(
        "typical inputs are assessed",
        match m.assess(&typical) {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("refused: {e}")),
            Err(e) => Err(e.to_string()),
        },
    );
    push(
        "the same inputs give the same result",
        match (m.assess(&typical), m.assess(&typical)) {
            (Ok(a), Ok(b)) if a == b => Ok(()),
            (Ok(a), Ok(b)) => Err(format!("{a:?} then {b:?}")),
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        },
    );
    push(
        "every scale step is assessed to a declared level",
        every_step(m),
    );
    let mut refusals = Vec::new();
    for field in described.inputs.iter().filter(|f| !f.optional) {
        let without: Vec<Input> = typical
            .iter()
            .filter(|i| i.name != field.name)
            .cloned()
            .collect();
        push(
            &format!("a missing {} is refused", field.name),
            refused(m, &without),
        );
        refusals.push(without);
        let wrong: Vec<Input> = typical
            .iter()
            .map(|i| {
                if i.name != field.name {
                    return i.clone();
                }
                let value = match &field.kind {
                    FieldKind::Scale(steps) => InputValue::Number(
                        steps.iter().map(|s| s.value).fold(f64::MIN, f64::max) + 1000.0,
                    ),
                    FieldKind::Number(r) => InputValue::Number(r.max + (r.max - r.min).abs() + 1.0),
                    FieldKind::Estimate(r) => InputValue::Estimate(crate::risk::Estimate {
                        min: r.max,
                        mode: r.min,
                        max: r.min,
                    }),
                };
                Input {
                    name: i.name.clone(),
                    value,
                }
            })
            .collect();
        push(
            &format!("an out-of-range {} is refused", field.name),
            refused(m, &wrong),
        );
        refusals.push(wrong);
    }
    push("a batch gives the same results as single calls", {
        // Typical inputs, none, every case and every refusal above: numeric batches take
        // another path through a WASM component (`assess-rows`) than mixed ones.
        let mut batch = vec![typical.clone(), vec![], typical.clone()];
        batch.extend(cases.iter().map(Case::inputs));
        batch.extend(refusals.iter().cloned());
        match m.assess_batch(&batch) {
            Ok(results) => {
                let singles: Result<Vec<_>, _> = batch.iter().map(|b| m.assess(b)).collect();
                match singles {
                    Ok(singles) if singles == results => Ok(()),
                    Ok(singles) => Err(format!("batch {results:?} but singles {singles:?}")),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        }
    });
    for case in cases {
        push(&case.name, check_case(m, case));
    }
    out
}

fn refused(m: &dyn RiskMethodology, inputs: &[Input]) -> Result<(), String> {
    match m.assess(inputs) {
        Ok(Err(_)) => Ok(()),
        Ok(Ok(a)) => Err(format!("assessed anyway: {} ({})", a.level, a.score)),
        Err(e) => Err(e.to_string()),
    }
}

/// Walks every combination of scale steps (up to 10,000 combinations).
fn every_step(m: &dyn RiskMethodology) -> Result<(), String> {
    let typical = typical_inputs(m);
    let scales: Vec<(usize, Vec<f64>)> = m
        .methodology()
        .inputs
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match &f.kind {
            FieldKind::Scale(steps) => Some((i, steps.iter().map(|s| s.value).collect())),
            _ => None,
        })
        .collect();
    let combinations: usize = scales.iter().map(|(_, s)| s.len()).product();
    if scales.is_empty() || combinations > 10_000 {
        return Ok(());
    }
    for n in 0..combinations {
        let mut inputs = typical.clone();
        let mut rest = n;
        for (index, steps) in &scales {
            inputs[*index].value = InputValue::Number(steps[rest % steps.len()]);
            rest /= steps.len();
        }
        match m.assess(&inputs) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("refused {inputs:?}: {e}")),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

fn check_case(m: &dyn RiskMethodology, case: &Case) -> Result<(), String> {
    let result = m.assess(&case.inputs()).map_err(|e| e.to_string())?;
    if case.rejected {
        return match result {
            Err(_) => Ok(()),
            Ok(a) => Err(format!("expected a refusal, got {} ({})", a.level, a.score)),
        };
    }
    let a = result.map_err(|e| format!("refused: {e}"))?;
    if let Some(level) = &case.level
        && &a.level != level
    {
        return Err(format!("level {:?}, expected {level:?}", a.level));
    }
    if let Some(acceptable) = case.acceptable
        && a.acceptable != acceptable
    {
        return Err(format!(
            "acceptable {}, expected {acceptable}",
            a.acceptable
        ));
    }
    if let Some(score) = case.score {
        let tolerance = case.tolerance.unwrap_or(0.0) * score.abs();
        if (a.score - score).abs() > tolerance.max(1e-9) {
            return Err(format!("score {}, expected {score}", a.score));
        }
    }
    Ok(())
}
