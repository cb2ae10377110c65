//! The shipped methodologies through the host: the conformance suite on each, and the ISO 27005
//! method in Rhai and in WASM giving the same results on every case.

use std::path::{Path, PathBuf};

use rampart_plugins::conformance;
use rampart_plugins::risk::Input;
use rampart_plugins::{Limits, PluginHost};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn host() -> PluginHost {
    PluginHost::new(Limits::default(), None).expect("plugin host")
}

fn wasm_built(dir: &Path) {
    let manifest = rampart_plugins::Manifest::read(dir).unwrap();
    assert!(
        manifest.entry_path(dir).exists(),
        "{} is not built: run `cargo xtask build-plugins`",
        manifest.entry_path(dir).display()
    );
}

#[test]
fn every_shipped_methodology_passes_the_conformance_suite() {
    let host = host();
    let mut dirs = vec![
        root().join("plugins/risk-iso27005"),
        root().join("plugins/risk-nist-800-30"),
        root().join("plugins/risk-fair"),
        root().join("examples/wasm-methodology"),
    ];
    dirs.push(root().join("examples/custom-methodology"));
    for dir in dirs {
        if dir.join("Cargo.toml").exists() {
            wasm_built(&dir);
        }
        let plugin = host
            .prepare(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let method = plugin.risk_methodology().unwrap();
        let cases = conformance::read_cases(&dir).unwrap();
        let outcomes = conformance::run(method.as_ref(), &cases);
        let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
        assert!(failed.is_empty(), "{}: {failed:#?}", plugin.manifest.id);
        assert!(outcomes.len() >= 5 + cases.len(), "{}", plugin.manifest.id);
    }
}

#[test]
fn iso27005_in_rhai_and_in_wasm_give_identical_results() {
    let host = host();
    let wasm_dir = root().join("examples/wasm-methodology");
    wasm_built(&wasm_dir);
    let rhai = host.prepare(&root().join("plugins/risk-iso27005")).unwrap();
    let wasm = host.prepare(&wasm_dir).unwrap();
    let (rhai, wasm) = (
        rhai.risk_methodology().unwrap(),
        wasm.risk_methodology().unwrap(),
    );
    assert_eq!(rhai.methodology(), wasm.methodology());

    let mut cases: Vec<Vec<Input>> = conformance::read_cases(&root().join("plugins/risk-iso27005"))
        .unwrap()
        .iter()
        .map(|c| c.inputs())
        .collect();
    // Every cell of the matrix: the Rhai script reads its explanations from a table, the WASM
    // version formats them, so the two agree only if the table is right.
    for likelihood in 1..=5 {
        for impact in 1..=5 {
            cases.push(vec![
                Input::number("likelihood", likelihood as f64),
                Input::number("impact", impact as f64),
            ]);
        }
    }
    cases.push(vec![Input::number("likelihood", 3.0)]);
    cases.push(vec![]);
    cases.push(vec![
        Input::number("likelihood", 2.0),
        Input::estimate("impact", 1.0, 2.0, 3.0),
    ]);
    for inputs in &cases {
        assert_eq!(
            rhai.assess(inputs).unwrap(),
            wasm.assess(inputs).unwrap(),
            "{inputs:?}"
        );
    }
    assert_eq!(
        rhai.assess_batch(&cases).unwrap(),
        wasm.assess_batch(&cases).unwrap()
    );
    // Without the estimate every input is a number, so the WASM batch goes through
    // `assess-rows`: the same results again, as the single calls give them.
    let numeric: Vec<Vec<Input>> = cases[..cases.len() - 1].to_vec();
    let singles: Vec<_> = numeric.iter().map(|i| wasm.assess(i).unwrap()).collect();
    assert_eq!(wasm.assess_batch(&numeric).unwrap(), singles);
    assert_eq!(rhai.assess_batch(&numeric).unwrap(), singles);
}

#[test]
fn fair_is_reproducible_by_seed_and_reports_percentiles_and_a_curve() {
    let dir = root().join("plugins/risk-fair");
    wasm_built(&dir);
    let host = host();
    let plugin = host.prepare(&dir).unwrap();
    let fair = plugin.risk_methodology().unwrap();
    let inputs = |seed: f64| {
        vec![
            Input::estimate("threat_event_frequency", 0.5, 2.0, 8.0),
            Input::estimate("vulnerability", 0.1, 0.3, 0.6),
            Input::estimate("primary_loss", 10_000.0, 50_000.0, 400_000.0),
            Input::estimate("secondary_loss", 0.0, 20_000.0, 1_000_000.0),
            Input::number("secondary_loss_probability", 0.3),
            Input::number("seed", seed),
        ]
    };
    let a = fair.assess(&inputs(42.0)).unwrap().unwrap();
    assert_eq!(a, fair.assess(&inputs(42.0)).unwrap().unwrap());
    assert_ne!(a.score, fair.assess(&inputs(43.0)).unwrap().unwrap().score);
    let metric = |name: &str| a.metrics.iter().find(|m| m.name == name).unwrap().value;
    assert_eq!(metric("iterations"), 100_000.0);
    assert!(metric("ale_p10") < metric("ale_p50") && metric("ale_p50") < metric("ale_p90"));
    assert!(metric("ale_p90") < metric("ale_p99"));
    assert_eq!(a.exceedance_curve.len(), 50);
    assert_eq!(a.acceptable, metric("ale_p90") <= 100_000.0);
}
