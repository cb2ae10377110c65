//! Write a Rampart plugin in Rust, compiled to a WASM component (`wasm32-wasip2`).
//!
//! A risk methodology implements [`risk::Guest`] for a type of its own and exports it:
//!
//! ```ignore
//! use rampart_sdk::risk::{Assessment, Guest, Input, Methodology};
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
use risk::{Estimate, Input, InputValue};

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
    let n = number(inputs, name, min as f64, max as f64)?;
    if n.fract() != 0.0 {
        return Err(format!(
            "{name}: {n} is not a step of the scale {min}..{max}"
        ));
    }
    Ok(n as i64)
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
