//! `cargo xtask bench plugins`: the plugin runtimes measured in-process (no gRPC), with the same
//! method (the ISO/IEC 27005 5×5 matrix) as native Rust, as a WASM component and as a Rhai
//! script; FAIR Monte Carlo iterations per second; the cost of a CPU meter (epoch or fuel); and
//! loading every shipped plugin with and without the compiled-component cache.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rampart_plugins::risk::{Assessment, Input, RiskMethodology};
use rampart_plugins::{CpuMeter, Limits, PluginHost};

const BATCH: usize = 10_000;
const SINGLE_CALLS: usize = 2_000;

const LEVELS: [(&str, bool); 5] = [
    ("very low", true),
    ("low", true),
    ("medium", false),
    ("high", false),
    ("very high", false),
];
const MATRIX: [[usize; 5]; 5] = [
    [0, 0, 1, 1, 1],
    [0, 1, 1, 2, 2],
    [1, 1, 2, 3, 3],
    [1, 2, 3, 3, 4],
    [2, 3, 3, 4, 4],
];

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

/// The method written directly in Rust over the same inputs, producing the same `Assessment`
/// (explanation included): the baseline.
fn native(inputs: &[Input]) -> Result<Assessment, String> {
    let step = |name: &str| -> Result<usize, String> {
        let v = inputs
            .iter()
            .find(|i| i.name == name)
            .ok_or(format!("{name}: missing"))?;
        match v.value {
            rampart_plugins::risk::InputValue::Number(n)
                if (1.0..=5.0).contains(&n) && n.fract() == 0.0 =>
            {
                Ok(n as usize)
            }
            _ => Err(format!("{name}: out of range")),
        }
    };
    let (l, i) = (step("likelihood")?, step("impact")?);
    let index = MATRIX[l - 1][i - 1];
    let (level, acceptable) = LEVELS[index];
    Ok(Assessment {
        score: (index + 1) as f64,
        level: level.to_string(),
        acceptable,
        // Worded once per cell, as the WASM and Rhai plugins do.
        explanation: EXPLANATIONS[(l - 1) * 5 + i - 1].clone(),
        metrics: vec![],
        exceedance_curve: vec![],
    })
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

fn batch(n: usize) -> Vec<Vec<Input>> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..n)
        .map(|_| {
            vec![
                Input::number("likelihood", rng.u8(1..=5) as f64),
                Input::number("impact", rng.u8(1..=5) as f64),
            ]
        })
        .collect()
}

fn per_second(n: usize, d: Duration) -> String {
    let rate = n as f64 / d.as_secs_f64();
    if rate >= 1e6 {
        format!("{:.2} M/s", rate / 1e6)
    } else {
        format!("{:.0} /s", rate)
    }
}

/// The best of `runs` timings of `f` (the least disturbed by the other core's work).
fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn measure(name: &str, m: &dyn RiskMethodology, inputs: &[Vec<Input>]) -> (Duration, Duration) {
    let single = best(3, || {
        for i in inputs.iter().take(SINGLE_CALLS) {
            m.assess(i).unwrap().unwrap();
        }
    });
    let whole = best(5, || {
        let r = m.assess_batch(inputs).unwrap();
        assert_eq!(r.len(), inputs.len());
    });
    println!(
        "| {name} | {} | {} ({:.1} µs per call) |",
        per_second(inputs.len(), whole),
        per_second(SINGLE_CALLS, single),
        single.as_secs_f64() * 1e6 / SINGLE_CALLS as f64
    );
    (whole, single)
}

pub fn run(root: &Path) -> anyhow::Result<()> {
    let inputs = batch(BATCH);
    let host = PluginHost::new(Limits::default(), None)?;
    let wasm = host
        .prepare(&root.join("examples/wasm-methodology"))
        .map_err(|e| anyhow::anyhow!("{e} (run `cargo xtask build-plugins`)"))?;
    let rhai = host
        .prepare(&root.join("plugins/risk-iso27005"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    println!(
        "\n## Risk assessments: the ISO/IEC 27005 matrix, batch of {BATCH} and {SINGLE_CALLS} single calls\n"
    );
    println!("| implementation | batch | single calls |");
    println!("|---|---|---|");
    let native_time = best(5, || {
        let results: Vec<_> = inputs.iter().map(|i| native(i)).collect();
        std::hint::black_box(results);
    });
    println!(
        "| native Rust (baseline) | {} | — |",
        per_second(BATCH, native_time)
    );
    let (wasm_batch, _) = measure(
        "WASM component (wasmtime, epoch)",
        wasm.risk_methodology().unwrap().as_ref(),
        &inputs,
    );
    measure(
        "Rhai script",
        rhai.risk_methodology().unwrap().as_ref(),
        &inputs,
    );
    println!(
        "\nWASM batch / native: {:.2}× the time",
        wasm_batch.as_secs_f64() / native_time.as_secs_f64()
    );

    // The same component built against contract 1.1: its batches go through `assess-batch`
    // (a list of named inputs per item) instead of `assess-rows`.
    let old = host
        .prepare(&root.join("tests/plugins/contract-1-1"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let old_method = old.risk_methodology().unwrap();
    let old_batch = best(5, || {
        old_method.assess_batch(&inputs).unwrap();
    });
    println!(
        "Without rows (the component as built for contract 1.1, `assess-batch`): {} ({:.2}× native)",
        per_second(BATCH, old_batch),
        old_batch.as_secs_f64() / native_time.as_secs_f64()
    );

    // The CPU meter: the same batch with fuel instead of epoch interruption.
    let fuel_host = PluginHost::new(
        Limits {
            meter: CpuMeter::Fuel,
            ..Limits::default()
        },
        None,
    )?;
    let fuel = fuel_host
        .prepare(&root.join("examples/wasm-methodology"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let fuel_batch = best(5, || {
        fuel.risk_methodology()
            .unwrap()
            .assess_batch(&inputs)
            .unwrap();
    });
    println!(
        "CPU meter, batch of {BATCH}: epoch {} vs fuel {} ({:.2}× the time with fuel)",
        per_second(BATCH, wasm_batch),
        per_second(BATCH, fuel_batch),
        fuel_batch.as_secs_f64() / wasm_batch.as_secs_f64()
    );

    // FAIR: one assessment of 1,000,000 iterations (the sampling, the percentiles, the curve).
    let fair = host
        .prepare(&root.join("plugins/risk-fair"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let fair_inputs = vec![
        Input::estimate("threat_event_frequency", 0.5, 2.0, 8.0),
        Input::estimate("vulnerability", 0.1, 0.3, 0.6),
        Input::estimate("primary_loss", 10_000.0, 50_000.0, 400_000.0),
        Input::estimate("secondary_loss", 0.0, 20_000.0, 1_000_000.0),
        Input::number("secondary_loss_probability", 0.3),
        Input::number("iterations", 1_000_000.0),
    ];
    let fair_method = fair.risk_methodology().unwrap();
    let fair_time = best(5, || {
        fair_method.assess(&fair_inputs).unwrap().unwrap();
    });
    let default_time = best(5, || {
        fair_method.assess(&fair_inputs[..5]).unwrap().unwrap();
    });
    println!(
        "\nFAIR Monte Carlo (WASM, one core): 1,000,000 iterations in {:.1} ms = {} iterations/s \
         (with percentiles and curve); the default 100,000 in {:.1} ms",
        fair_time.as_secs_f64() * 1e3,
        per_second(1_000_000, fair_time),
        default_time.as_secs_f64() * 1e3
    );

    // Loading every shipped plugin: cold (compiling components) and from the cache.
    let cache = tempfile::tempdir()?;
    let load = |cache: PathBuf| -> anyhow::Result<(Duration, usize)> {
        let t = Instant::now();
        let host = PluginHost::new(Limits::default(), Some(cache))?;
        let loaded = host.load_all(&root.join("plugins"));
        let ok = loaded.iter().filter(|(_, r)| r.is_ok()).count();
        Ok((t.elapsed(), ok))
    };
    let (cold, n) = load(cache.path().to_path_buf())?;
    let (warm, _) = load(cache.path().to_path_buf())?;
    println!(
        "\nLoading the {n} shipped plugins (including `describe` and the load test): \
         {:.0} ms cold, {:.0} ms with the compiled-component cache",
        cold.as_secs_f64() * 1e3,
        warm.as_secs_f64() * 1e3
    );
    Ok(())
}
