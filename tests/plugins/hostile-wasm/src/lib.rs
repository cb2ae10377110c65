//! Behaves when asked nicely, and otherwise does what the input `mode` says: loop forever,
//! recurse without end, allocate without end, return a huge result, panic, or break the
//! contract. The host must fail that call, name the plugin, and serve the next one.

use rampart_sdk::risk::{AssessedRows, Assessment, FieldKind, Guest, Input, InputField, InputValue, Methodology, NumberRange, RiskLevel};

struct Hostile;

fn mode(inputs: &[Input]) -> String {
    match rampart_sdk::find(inputs, "mode") {
        Some(InputValue::Text(t)) => t.clone(),
        _ => String::new(),
    }
}

#[inline(never)]
#[allow(unconditional_recursion)] // the point of this plugin
fn recurse(n: u64, trail: &mut Vec<u64>) -> u64 {
    trail.push(n);
    let r = recurse(std::hint::black_box(n + 1), trail);
    r + trail.len() as u64
}

fn assessment(level: &str, score: f64, explanation: String) -> Assessment {
    Assessment { score, level: level.into(), acceptable: true, explanation, metrics: vec![], exceedance_curve: vec![] }
}

impl Guest for Hostile {
    fn describe() -> Methodology {
        Methodology {
            name: "Hostile".into(),
            version: "1.0.0".into(),
            description: "A sandbox test".into(),
            inputs: vec![InputField {
                name: "x".into(),
                label: "x".into(),
                help: String::new(),
                kind: FieldKind::Number(NumberRange { min: 0.0, max: 1.0, unit: String::new() }),
                optional: false,
            }],
            levels: vec![RiskLevel { name: "ok".into(), colour: "#00FF00".into(), acceptable: true, description: String::new() }],
            acceptance: "always".into(),
        }
    }

    fn assess(inputs: Vec<Input>) -> Result<Assessment, String> {
        let x = rampart_sdk::number(&inputs, "x", 0.0, 1.0)?;
        match mode(&inputs).as_str() {
            "loop" => {
                let mut i = 0u64;
                loop {
                    i = std::hint::black_box(i.wrapping_add(1));
                }
            }
            "recurse" => Ok(assessment("ok", recurse(0, &mut Vec::new()) as f64, String::new())),
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "huge" => Ok(assessment("ok", x, "x".repeat(8 << 20))),
            "trap" => panic!("asked to panic"),
            "bad-level" => Ok(assessment("catastrophic", x, String::new())),
            "nan" => Ok(assessment("ok", f64::NAN, String::new())),
            _ => Ok(assessment("ok", x, "fine".into())),
        }
    }

    fn assess_batch(batch: Vec<Vec<Input>>) -> Vec<Result<Assessment, String>> {
        rampart_sdk::each(batch, Self::assess)
    }

    /// Rows carry numbers only, so the misbehaviour is chosen by a number, `rows`, in the first
    /// row: 1 a level describe did not declare, 2 an explanation that is not in the list, 3 one
    /// result too few, 4 loop forever; anything else answers like `assess`.
    fn assess_rows(fields: Vec<String>, values: Vec<f64>) -> Option<AssessedRows> {
        let rows = rampart_sdk::Rows::new(&fields, &values);
        let column = rows.column("rows");
        let chosen = rows.iter().next().and_then(|r| column.map(|c| r[c])).unwrap_or(0.0);
        let mut answer = rampart_sdk::rows_by_assess(&fields, &values, Self::describe, Self::assess)?;
        let first = answer.results.first_mut().and_then(|r| r.as_mut().ok());
        match (chosen as u32, first) {
            (1, Some(r)) => r.level = 7,
            (2, Some(r)) => r.explanation = 99,
            (3, _) => {
                answer.results.pop();
            }
            (4, _) => loop {
                std::hint::black_box(&answer);
            },
            _ => {}
        }
        Some(answer)
    }
}

rampart_sdk::export_risk_methodology!(Hostile);
