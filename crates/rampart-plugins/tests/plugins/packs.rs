//! Framework packs through the host: the same pack in Rhai and in WASM gives the same catalog,
//! suggestions and findings, and what a pack returns is checked against its catalog.

use std::path::{Path, PathBuf};

use rampart_plugins::pack::{FindingStatus, RiskContext, Snapshot};
use rampart_plugins::{Broke, Limits, PluginHost};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/plugins")
        .join(name)
}

#[test]
fn a_pack_in_rhai_and_in_wasm_gives_the_same_answers() {
    let host = PluginHost::new(Limits::default(), None).unwrap();
    let rhai = host.prepare(&dir("mini-pack-rhai")).unwrap();
    let wasm = host
        .prepare(&dir("mini-pack-wasm"))
        .unwrap_or_else(|e| panic!("{e} (built? run `cargo xtask build-plugins`)"));
    let (rhai, wasm) = (
        rhai.framework_pack().unwrap(),
        wasm.framework_pack().unwrap(),
    );
    assert_eq!(rhai.catalog(), wasm.catalog());
    assert_eq!(rhai.catalog().requirements[1].parent.as_deref(), Some("4"));

    for context in [
        RiskContext {
            threats: vec!["T-ransomware".into()],
            availability: 4,
            ..Default::default()
        },
        RiskContext {
            availability: 3,
            confidentiality: 5,
            ..Default::default()
        },
        RiskContext {
            threats: vec!["T-unauthorised-access".into(), "T-ransomware".into()],
            ..Default::default()
        },
        RiskContext::default(),
    ] {
        let a = rhai.suggest_controls(&context).unwrap();
        assert_eq!(a, wasm.suggest_controls(&context).unwrap(), "{context:?}");
        assert!(a.windows(2).all(|w| w[0].score >= w[1].score));
    }
    let snapshot = Snapshot {
        documents: vec!["scope".into()],
        implemented_controls: vec!["A.8.13".into()],
        applicable_controls: vec!["A.5.15".into(), "A.8.13".into()],
        ..Default::default()
    };
    let findings = rhai.check(&snapshot).unwrap();
    assert_eq!(findings, wasm.check(&snapshot).unwrap());
    let status: Vec<_> = findings
        .iter()
        .map(|f| (f.requirement.as_str(), f.status))
        .collect();
    assert_eq!(
        status,
        [
            ("4.3", FindingStatus::Met),
            ("A.5.15", FindingStatus::PartiallyMet),
            ("A.8.13", FindingStatus::Met)
        ]
    );
    assert_eq!(
        rhai.check(&Snapshot::default()).unwrap()[0].status,
        FindingStatus::NotMet
    );
}

#[test]
fn a_pack_that_names_what_its_catalog_lacks_is_refused() {
    let host = PluginHost::new(Limits::default(), None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir("mini-pack-rhai").join("plugin.toml"),
        tmp.path().join("plugin.toml"),
    )
    .unwrap();
    let script = std::fs::read_to_string(dir("mini-pack-rhai").join("pack.rhai")).unwrap();
    // A threat treated by a control the catalog does not hold.
    std::fs::write(
        tmp.path().join("pack.rhai"),
        script.replace(r#"controls: ["A.8.13"]"#, r#"controls: ["A.99"]"#),
    )
    .unwrap();
    let e = host.prepare(tmp.path()).err().unwrap().to_string();
    assert!(e.contains("unknown control \"A.99\""), "{e}");
    // Suggestions of a control that does not exist break the contract on the call, not at load.
    std::fs::write(
        tmp.path().join("pack.rhai"),
        script.replace(
            r#"control: c[0], score: weight"#,
            r#"control: "X.1", score: weight"#,
        ),
    )
    .unwrap();
    let p = host.prepare(tmp.path()).unwrap();
    let f = p
        .framework_pack()
        .unwrap()
        .suggest_controls(&RiskContext {
            availability: 5,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(f.broke, Broke::Contract, "{f}");
}
