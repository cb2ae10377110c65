//! The ISO/IEC 27005 5×5 risk matrix (the matrix of its Annex A, as published in the CISO
//! Assistant library) as a WASM component. It gives the same results as the Rhai plugin
//! `plugins/risk-iso27005`, which the conformance tests check case by case.

use rampart_sdk::risk::{
    AssessedRows, Assessment, FieldKind, Guest, Input, InputField, Methodology, RiskLevel,
    RowAssessment, ScaleStep,
};
use rampart_sdk::{Rows, row_scale};

const LIKELIHOOD: [&str; 5] = [
    "unlikely",
    "rather unlikely",
    "likely",
    "very likely",
    "almost certain",
];
const IMPACT: [&str; 5] = [
    "minor",
    "significant",
    "serious",
    "critical",
    "catastrophic",
];
/// (name, colour, acceptable) from lowest to highest.
const LEVELS: [(&str, &str, bool); 5] = [
    ("very low", "#D3FF4E", true),
    ("low", "#02A45A", true),
    ("medium", "#FFA600", false),
    ("high", "#FF1A00", false),
    ("very high", "#C00000", false),
];
/// Rows: likelihood 1..5; columns: impact 1..5; cells: index into LEVELS.
const MATRIX: [[usize; 5]; 5] = [
    [0, 0, 1, 1, 1],
    [0, 1, 1, 2, 2],
    [1, 1, 2, 3, 3],
    [1, 2, 3, 3, 4],
    [2, 3, 3, 4, 4],
];

struct Iso27005;

/// The cell of the matrix (row by row) and the index of its level, for steps 1..=5.
fn cell(likelihood: i64, impact: i64) -> (usize, usize) {
    let (l, i) = (likelihood as usize - 1, impact as usize - 1);
    (l * 5 + i, MATRIX[l][i])
}

/// The explanation of each cell, row by row (likelihood, then impact).
static EXPLANATIONS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    let mut out = Vec::with_capacity(25);
    for (l, likelihood) in LIKELIHOOD.iter().enumerate() {
        for (i, impact) in IMPACT.iter().enumerate() {
            let index = MATRIX[l][i];
            out.push(format!(
                "likelihood {} ({likelihood}) and impact {} ({impact}) give risk level {} ({})",
                l + 1,
                i + 1,
                index + 1,
                LEVELS[index].0
            ));
        }
    }
    out
});

fn scale(names: &[&str]) -> FieldKind {
    FieldKind::Scale(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| ScaleStep {
                value: (i + 1) as f64,
                name: n.to_string(),
                description: String::new(),
            })
            .collect(),
    )
}

impl Guest for Iso27005 {
    fn describe() -> Methodology {
        let field = |name: &str, label: &str, help: &str, steps: &[&str]| InputField {
            name: name.into(),
            label: label.into(),
            help: help.into(),
            kind: scale(steps),
            optional: false,
        };
        Methodology {
            name: "ISO/IEC 27005 5x5 matrix".into(),
            version: "1.0.0".into(),
            description:
                "Likelihood x consequence on five-step scales; the level comes from the matrix."
                    .into(),
            inputs: vec![
                field(
                    "likelihood",
                    "Likelihood",
                    "How likely the risk scenario is, 1 (unlikely) to 5 (almost certain)",
                    &LIKELIHOOD,
                ),
                field(
                    "impact",
                    "Impact",
                    "The consequence for the organisation, 1 (minor) to 5 (catastrophic)",
                    &IMPACT,
                ),
            ],
            levels: LEVELS
                .iter()
                .map(|(name, colour, acceptable)| RiskLevel {
                    name: name.to_string(),
                    colour: colour.to_string(),
                    acceptable: *acceptable,
                    description: String::new(),
                })
                .collect(),
            acceptance: "very low and low are accepted; medium and above need treatment".into(),
        }
    }

    fn assess(inputs: Vec<Input>) -> Result<Assessment, String> {
        let likelihood = rampart_sdk::scale(&inputs, "likelihood", 1, 5)?;
        let impact = rampart_sdk::scale(&inputs, "impact", 1, 5)?;
        let (cell, index) = cell(likelihood, impact);
        let (level, _, acceptable) = LEVELS[index];
        Ok(Assessment {
            score: (index + 1) as f64,
            level: level.into(),
            acceptable,
            // The 25 explanations are worded once: formatting one per assessment cost about a
            // fifth of a batch.
            explanation: EXPLANATIONS[cell].clone(),
            metrics: vec![],
            exceedance_curve: vec![],
        })
    }

    fn assess_batch(batch: Vec<Vec<Input>>) -> Vec<Result<Assessment, String>> {
        rampart_sdk::each(batch, Self::assess)
    }

    fn assess_rows(fields: Vec<String>, values: Vec<f64>) -> Option<AssessedRows> {
        let rows = Rows::new(&fields, &values);
        let (l, i) = (rows.column("likelihood"), rows.column("impact"));
        let results = rows
            .iter()
            .map(|row| {
                let likelihood = row_scale(row, l, "likelihood", 1, 5)?;
                let impact = row_scale(row, i, "impact", 1, 5)?;
                let (cell, index) = cell(likelihood, impact);
                Ok(RowAssessment {
                    score: (index + 1) as f64,
                    level: index as u32,
                    explanation: cell as u32,
                })
            })
            .collect();
        Some(AssessedRows {
            explanations: EXPLANATIONS.clone(),
            results,
        })
    }
}

rampart_sdk::export_risk_methodology!(Iso27005);
