//! Write a Rampart plugin in Rust, compiled to a WASM component (`wasm32-wasip2`).
//!
//! A risk methodology implements [`risk::Guest`] for a type of its own and exports it:
//!
//! ```ignore
//! use rampart_sdk::risk::{AssessedRows, Assessment, Guest, Input, Methodology};
//!
//! struct MyMethod;
//!
//! impl Guest for MyMethod {
//!     fn describe() -> Methodology { /* inputs, levels, acceptance */ }
//!     fn assess(inputs: Vec<Input>) -> Result<Assessment, String> {
//!         let likelihood = rampart_sdk::scale(&inputs, "likelihood", 1, 5)?;
//!         /* ... */
//!     }
//!     fn assess_batch(batch: Vec<Vec<Input>>) -> Vec<Result<Assessment, String>> {
//!         rampart_sdk::each(batch, Self::assess)
//!     }
//!     fn assess_rows(fields: Vec<String>, values: Vec<f64>) -> Option<AssessedRows> {
//!         rampart_sdk::rows_by_assess(&fields, &values, Self::describe, Self::assess)
//!     }
//! }
//!
//! rampart_sdk::export_risk_methodology!(MyMethod);
//! ```
//!
//! The contract is `plugins/wit/rampart.wit`; see docs/plugins.md for the whole walk-through.

// The generated code names this crate by its path, also from inside it.
extern crate self as rampart_sdk;

#[doc(hidden)]
pub use wit_bindgen;

/// The `risk-methodology` world: the types of the contract and the `Guest` trait to implement.
pub mod risk {
    wit_bindgen::generate!({
        path: "../../plugins/wit",
        world: "risk-methodology",
        pub_export_macro: true,
        export_macro_name: "export_risk_methodology",
        default_bindings_module: "rampart_sdk::risk",
        runtime_path: "rampart_sdk::wit_bindgen::rt",
    });

    pub use self::rampart::plugin::risk_types::*;
}

/// The `framework-pack` world: the catalog types and the `Guest` trait a pack implements.
#[allow(clippy::too_many_arguments)] // generated lowering code for the catalog's records
pub mod pack {
    wit_bindgen::generate!({
        path: "../../plugins/wit",
        world: "framework-pack",
        pub_export_macro: true,
        export_macro_name: "export_framework_pack",
        default_bindings_module: "rampart_sdk::pack",
        runtime_path: "rampart_sdk::wit_bindgen::rt",
    });

    pub use self::rampart::plugin::pack_types::*;
}

pub use pack::export_framework_pack;
pub use risk::export_risk_methodology;
use risk::{AssessedRows, Assessment, Estimate, Input, InputValue, Methodology, RowAssessment};

/// The value of the input called `name`, if it was given.
pub fn find<'a>(inputs: &'a [Input], name: &str) -> Option<&'a InputValue> {
    inputs.iter().find(|i| i.name == name).map(|i| &i.value)
}

/// A number input within `[min, max]`, or a message saying what is wrong with it.
pub fn number(inputs: &[Input], name: &str, min: f64, max: f64) -> Result<f64, String> {
    match find(inputs, name) {
        Some(InputValue::Number(n)) if n.is_finite() && (min..=max).contains(n) => Ok(*n),
        Some(InputValue::Number(n)) => Err(format!("{name}: {n} is outside {min}..{max}")),
        Some(_) => Err(format!("{name}: expected a number")),
        None => Err(format!("{name}: missing")),
    }
}

/// A whole-number step of an ordinal scale `min..=max`.
pub fn scale(inputs: &[Input], name: &str, min: i64, max: i64) -> Result<i64, String> {
    step(
        name,
        number(inputs, name, min as f64, max as f64)?,
        min,
        max,
    )
}

fn step(name: &str, n: f64, min: i64, max: i64) -> Result<i64, String> {
    if n.fract() != 0.0 {
        return Err(format!(
            "{name}: {n} is not a step of the scale {min}..{max}"
        ));
    }
    Ok(n as i64)
}

fn within(name: &str, n: f64, min: f64, max: f64) -> Result<f64, String> {
    if n.is_nan() {
        Err(format!("{name}: missing"))
    } else if n.is_finite() && (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{name}: {n} is outside {min}..{max}"))
    }
}

/// The rows of an `assess-rows` call: `len(fields)` numbers per risk, NaN where a risk left a
/// field out.
pub struct Rows<'a> {
    fields: &'a [String],
    values: &'a [f64],
}

impl<'a> Rows<'a> {
    pub fn new(fields: &'a [String], values: &'a [f64]) -> Self {
        Rows { fields, values }
    }

    /// The position of a field among the columns, to look it up once for every row.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }

    /// How many rows there are (a trailing partial row, which the host never sends, is left out).
    pub fn len(&self) -> usize {
        self.values
            .len()
            .checked_div(self.fields.len())
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each row as its slice of values, in column order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [f64]> + 'a {
        let width = self.fields.len().max(1);
        let rows = self.len();
        self.values.chunks_exact(width).take(rows)
    }
}

/// A number of a row in `[min, max]`; `column` from [`Rows::column`] (None: not sent at all).
pub fn row_number(
    row: &[f64],
    column: Option<usize>,
    name: &str,
    min: f64,
    max: f64,
) -> Result<f64, String> {
    within(name, column.map_or(f64::NAN, |c| row[c]), min, max)
}

/// A whole-number step of an ordinal scale `min..=max` in a row, as [`scale`] reads it from inputs.
pub fn row_scale(
    row: &[f64],
    column: Option<usize>,
    name: &str,
    min: i64,
    max: i64,
) -> Result<i64, String> {
    step(
        name,
        row_number(row, column, name, min as f64, max as f64)?,
        min,
        max,
    )
}

/// `assess-rows` in terms of `assess`, for any method whose assessments carry no metrics or
/// curve: each row becomes its inputs again (NaN left out), levels are found by name among
/// `describe`'s, and each distinct explanation is written once. None (the host then calls
/// `assess-batch`) when an assessment has metrics, a curve or a level `describe` does not
/// declare.
pub fn rows_by_assess(
    fields: &[String],
    values: &[f64],
    describe: impl FnOnce() -> Methodology,
    assess: impl Fn(Vec<Input>) -> Result<Assessment, String>,
) -> Option<AssessedRows> {
    let levels: Vec<String> = describe().levels.into_iter().map(|l| l.name).collect();
    let mut explanations: Vec<String> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    let mut results = Vec::new();
    for row in Rows::new(fields, values).iter() {
        let inputs = fields
            .iter()
            .zip(row)
            .filter(|(_, v)| !v.is_nan())
            .map(|(name, v)| Input {
                name: name.clone(),
                value: InputValue::Number(*v),
            })
            .collect();
        results.push(match assess(inputs) {
            Ok(a) if a.metrics.is_empty() && a.exceedance_curve.is_empty() => {
                let level = levels.iter().position(|l| *l == a.level)? as u32;
                let next = explanations.len() as u32;
                let explanation = *seen.entry(a.explanation.clone()).or_insert(next);
                if explanation == next {
                    explanations.push(a.explanation);
                }
                Ok(RowAssessment {
                    score: a.score,
                    level,
                    explanation,
                })
            }
            Ok(_) => return None,
            Err(e) => Err(e),
        });
    }
    Some(AssessedRows {
        explanations,
        results,
    })
}

/// A three-point estimate with `min <= mode <= max`, all within `[lower, upper]`.
pub fn estimate(inputs: &[Input], name: &str, lower: f64, upper: f64) -> Result<Estimate, String> {
    match find(inputs, name) {
        Some(InputValue::Estimate(e))
            if e.min.is_finite()
                && e.max.is_finite()
                && e.min <= e.mode
                && e.mode <= e.max
                && lower <= e.min
                && e.max <= upper =>
        {
            Ok(*e)
        }
        Some(InputValue::Estimate(e)) => Err(format!(
            "{name}: min {} <= most likely {} <= max {} must hold, within {lower}..{upper}",
            e.min, e.mode, e.max
        )),
        Some(_) => Err(format!("{name}: expected an estimate {{min, mode, max}}")),
        None => Err(format!("{name}: missing")),
    }
}

/// `assess-batch` in terms of `assess`, for methods with nothing to share between items.
pub fn each<T>(batch: Vec<Vec<Input>>, assess: impl Fn(Vec<Input>) -> T) -> Vec<T> {
    batch.into_iter().map(assess).collect()
}
