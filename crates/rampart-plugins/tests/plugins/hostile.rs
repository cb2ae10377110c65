//! Hostile plugins in both runtimes: each misbehaviour fails its own call with an error naming
//! the plugin and what it broke, and the next call on the same plugin works.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rampart_plugins::risk::Input;
use rampart_plugins::{Broke, Limits, PluginHost};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/plugins")
        .join(name)
}

fn host() -> PluginHost {
    let limits = Limits {
        cpu: Duration::from_millis(500),
        ..Limits::default()
    };
    PluginHost::new(limits, None).expect("plugin host")
}

fn inputs(mode: &str) -> Vec<Input> {
    vec![Input::number("x", 0.5), Input::text("mode", mode)]
}

fn check(host: &PluginHost, id: &str, cases: &[(&str, Broke)]) {
    let d = dir(id);
    let plugin = host
        .prepare(&d)
        .unwrap_or_else(|e| panic!("{id}: {e} (built? run `cargo xtask build-plugins`)"));
    let method = plugin.risk_methodology().unwrap();
    for (mode, broke) in cases {
        let started = Instant::now();
        let failure = method.assess(&inputs(mode)).expect_err(mode);
        assert_eq!(failure.plugin, id, "{mode}");
        assert_eq!(failure.broke, *broke, "{mode}: {failure}");
        assert!(
            failure.to_string().starts_with(&format!("plugin {id} ")),
            "{failure}"
        );
        // The budget is enforced by the runtime (the failure says `cpu-budget` and names the
        // budget); the time taken is printed for people, never asserted.
        eprintln!("{id} {mode}: {failure} after {:?}", started.elapsed());
        let next = method.assess(&inputs("")).unwrap().unwrap();
        assert_eq!(next.explanation, "fine", "after {mode}");
    }
    // A batch fails as a whole when one item breaks a limit, and works again afterwards.
    let batch = vec![inputs(""), inputs(cases[0].0)];
    assert!(method.assess_batch(&batch).is_err());
    assert_eq!(method.assess_batch(&[inputs("")]).unwrap().len(), 1);
}

#[test]
fn hostile_wasm_calls_fail_alone() {
    check(
        &host(),
        "hostile-wasm",
        &[
            ("loop", Broke::CpuBudget),
            ("recurse", Broke::Stack),
            ("memory", Broke::Memory),
            ("huge", Broke::Output),
            ("trap", Broke::Crashed),
            ("bad-level", Broke::Contract),
            ("nan", Broke::Contract),
        ],
    );
}

#[test]
fn hostile_rhai_calls_fail_alone() {
    check(
        &host(),
        "hostile-rhai",
        &[
            ("loop", Broke::CpuBudget),
            ("recurse", Broke::Stack),
            ("memory", Broke::Memory),
            ("huge", Broke::Output),
            ("trap", Broke::Crashed),
            ("wrong-type", Broke::Contract),
            ("bad-level", Broke::Contract),
            ("import", Broke::Crashed),
        ],
    );
}

#[test]
fn fuel_also_stops_an_endless_loop() {
    let limits = Limits {
        meter: rampart_plugins::CpuMeter::Fuel,
        fuel: 50_000_000,
        ..Limits::default()
    };
    let host = PluginHost::new(limits, None).unwrap();
    let plugin = host.prepare(&dir("hostile-wasm")).unwrap();
    let failure = plugin
        .risk_methodology()
        .unwrap()
        .assess(&inputs("loop"))
        .unwrap_err();
    assert_eq!(failure.broke, Broke::CpuBudget, "{failure}");
}

#[test]
fn compiled_components_are_cached_on_disk() {
    let cache = tempfile::tempdir().unwrap();
    let cold = PluginHost::new(Limits::default(), Some(cache.path().to_path_buf())).unwrap();
    let first = cold.prepare(&dir("hostile-wasm")).unwrap();
    let entries = std::fs::read_dir(cache.path()).unwrap().count();
    assert_eq!(entries, 1, "one compiled component in the cache");
    let warm = PluginHost::new(Limits::default(), Some(cache.path().to_path_buf())).unwrap();
    let second = warm.prepare(&dir("hostile-wasm")).unwrap();
    assert_eq!(first.digest, second.digest);
    eprintln!(
        "cold load {:?}, from cache {:?}",
        first.load_time, second.load_time
    );
    // A corrupt cache entry is ignored and replaced, not trusted.
    for e in std::fs::read_dir(cache.path()).unwrap() {
        std::fs::write(e.unwrap().path(), b"not a compiled component").unwrap();
    }
    let again = PluginHost::new(Limits::default(), Some(cache.path().to_path_buf())).unwrap();
    assert!(again.prepare(&dir("hostile-wasm")).is_ok());
}

#[test]
fn a_plugin_for_another_contract_or_without_assess_is_refused() {
    let host = host();
    let tmp = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string(dir("hostile-rhai").join("plugin.toml")).unwrap();
    std::fs::write(
        tmp.path().join("plugin.toml"),
        manifest.replace("contract = \"1.1.0\"", "contract = \"2.0.0\""),
    )
    .unwrap();
    std::fs::copy(
        dir("hostile-rhai").join("method.rhai"),
        tmp.path().join("method.rhai"),
    )
    .unwrap();
    let e = host.prepare(tmp.path()).err().unwrap().to_string();
    assert!(e.contains("contract 2.0.0 does not match"), "{e}");

    std::fs::write(tmp.path().join("plugin.toml"), &manifest).unwrap();
    std::fs::write(tmp.path().join("method.rhai"), "fn describe() { #{} }").unwrap();
    let e = host.prepare(tmp.path()).err().unwrap().to_string();
    assert!(e.contains("no `assess` function"), "{e}");
}

#[test]
fn load_all_skips_hidden_directories_and_reports_broken_plugins() {
    let root = tempfile::tempdir().unwrap();
    for name in ["good", ".staging-good-1", "broken"] {
        let d = root.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        let manifest = std::fs::read_to_string(dir("hostile-rhai").join("plugin.toml")).unwrap();
        std::fs::write(
            d.join("plugin.toml"),
            manifest.replace(
                "id = \"hostile-rhai\"",
                &format!(
                    "id = \"{}\"",
                    name.trim_start_matches('.').replace('-', "x")
                ),
            ),
        )
        .unwrap();
        let script = if name == "broken" {
            "fn describe( {".to_string()
        } else {
            std::fs::read_to_string(dir("hostile-rhai").join("method.rhai")).unwrap()
        };
        std::fs::write(d.join("method.rhai"), script).unwrap();
    }
    let host = host();
    let loaded = host.load_all(root.path());
    assert_eq!(loaded.len(), 2, "the staging directory is not a plugin");
    assert!(loaded.iter().any(|(d, r)| d.ends_with("good") && r.is_ok()));
    assert!(
        loaded
            .iter()
            .any(|(d, r)| d.ends_with("broken") && r.is_err())
    );
    assert_eq!(host.list().len(), 1);
}

#[test]
fn a_component_of_the_wrong_world_is_refused_at_load() {
    // The ISO 27005 methodology component, declared as a framework pack: its exports do not
    // have the types the framework-pack world requires.
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wasm-methodology");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        source.join("risk_iso27005_wasm.wasm"),
        tmp.path().join("pack.wasm"),
    )
    .expect("built? run `cargo xtask build-plugins`");
    std::fs::write(
        tmp.path().join("plugin.toml"),
        "id = \"wrong-world\"\nname = \"x\"\nversion = \"1\"\nkind = \"framework-pack\"\nruntime = \"wasm\"\n\
         entry = \"pack.wasm\"\ncontract = \"1.1.0\"\n",
    )
    .unwrap();
    let e = host().prepare(tmp.path()).err().unwrap().to_string();
    assert!(e.contains("plugin wrong-world broke the plugin contract: does not implement the framework-pack world"), "{e}");
}

/// A numeric batch goes through `assess-rows` (contract 1.2); the hostile component breaks that
/// answer in the way the number `rows` chooses.
#[test]
fn hostile_row_answers_fail_alone() {
    let plugin = host().prepare(&dir("hostile-wasm")).unwrap();
    let method = plugin.risk_methodology().unwrap();
    let batch = |rows: f64| {
        vec![
            vec![Input::number("x", 0.5), Input::number("rows", rows)],
            vec![Input::number("x", 0.25)],
            vec![Input::number("x", 7.0)],
        ]
    };
    for (rows, broke, says) in [
        (1.0, Broke::Contract, "level 7 is not one of the 1 levels"),
        (
            2.0,
            Broke::Contract,
            "explanation 99 is not one of the 1 returned",
        ),
        (
            3.0,
            Broke::Contract,
            "assess-rows returned 2 results for 3 rows",
        ),
        (4.0, Broke::CpuBudget, "stopped after"),
    ] {
        let failure = method.assess_batch(&batch(rows)).expect_err(says);
        assert_eq!(failure.plugin, "hostile-wasm");
        assert_eq!(failure.broke, broke, "{failure}");
        assert!(failure.to_string().contains(says), "{failure}");
        // The next numeric batch is answered, and as single calls answer it.
        let next = method.assess_batch(&batch(0.0)).unwrap();
        let singles: Vec<_> = batch(0.0)
            .iter()
            .map(|i| method.assess(i).unwrap())
            .collect();
        assert_eq!(next, singles, "after rows = {rows}");
        assert_eq!(next[0].as_ref().unwrap().explanation, "fine");
        assert_eq!(next[2].as_ref().unwrap_err(), "x: 7 is outside 0..1");
    }
}

/// A component built against contract 1.1 (no `assess-rows`) still runs, through `assess-batch`,
/// and answers as the same method built against 1.2; a component that claims 1.2 without
/// `assess-rows` is refused at load.
#[test]
fn a_component_built_for_contract_1_1_still_runs() {
    let host = host();
    let old = host.prepare(&dir("contract-1-1")).unwrap();
    let new = host
        .prepare(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wasm-methodology"))
        .expect("built? run `cargo xtask build-plugins`");
    let (old, new) = (
        old.risk_methodology().unwrap(),
        new.risk_methodology().unwrap(),
    );
    let batch: Vec<Vec<Input>> = (0..30)
        .map(|n| {
            vec![
                Input::number("likelihood", (n % 6) as f64),
                Input::number("impact", (n / 6 % 5 + 1) as f64),
            ]
        })
        .collect();
    assert_eq!(
        old.assess_batch(&batch).unwrap(),
        new.assess_batch(&batch).unwrap()
    );

    let tmp = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string(dir("contract-1-1").join("plugin.toml")).unwrap();
    std::fs::write(
        tmp.path().join("plugin.toml"),
        manifest.replace("contract = \"1.1.0\"", "contract = \"1.2.0\""),
    )
    .unwrap();
    std::fs::copy(
        dir("contract-1-1").join("risk_iso27005_wasm.wasm"),
        tmp.path().join("risk_iso27005_wasm.wasm"),
    )
    .unwrap();
    let e = host.prepare(tmp.path()).err().unwrap().to_string();
    assert!(
        e.contains("needs `assess-rows`") && e.contains("set `contract` in plugin.toml"),
        "{e}"
    );
}
