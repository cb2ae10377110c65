//! The importers on the real third-party files in ../shared/reference (or RAMPART_REFERENCE):
//! NIST SP 800-53 rev5 in OSCAL with its baselines, and CISO Assistant libraries. What they
//! produce is loaded by the real plugin host.

use std::path::{Path, PathBuf};

use rampart_import::{GeneratedPlugin, Options, Progress, SourceFile, import};
use rampart_plugins::pack::{Catalog, FindingStatus, Snapshot};
use rampart_plugins::risk::{Input, InputValue};
use rampart_plugins::{Limits, Plugin, PluginHost};

fn reference_dir() -> PathBuf {
    std::env::var_os("RAMPART_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference"))
}

fn file(path: &str) -> SourceFile {
    let full = reference_dir().join(path);
    let bytes = std::fs::read(&full).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the reference files; set RAMPART_REFERENCE to their directory)",
            full.display()
        )
    });
    SourceFile {
        name: path.rsplit('/').next().unwrap().to_string(),
        bytes,
    }
}

const CATALOG: &str = "oscal/NIST_SP-800-53_rev5_catalog.v5.0.x_2021-06-08.json";

fn run(files: &[SourceFile]) -> Vec<GeneratedPlugin> {
    let mut seen = Vec::new();
    let out = import(files, &Options::default(), &mut |p: Progress| seen.push(p))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!seen.is_empty(), "no progress reported");
    out
}

fn catalog(p: &GeneratedPlugin) -> &Catalog {
    p.catalog.as_ref().unwrap()
}

/// Writes a generated plugin to a directory and loads it with the real host.
fn load(p: &GeneratedPlugin) -> (tempfile::TempDir, Plugin) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plugin.toml"), p.manifest_text()).unwrap();
    for (name, bytes) in &p.files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let host = PluginHost::new(Limits::default(), None).unwrap();
    let plugin = host
        .prepare(dir.path())
        .unwrap_or_else(|e| panic!("{}: {e}", p.manifest.id));
    (dir, plugin)
}

fn withdrawn(c: &Catalog) -> usize {
    c.controls
        .iter()
        .filter(|k| {
            k.attributes
                .iter()
                .any(|a| a.name == "status" && a.value == "withdrawn")
        })
        .count()
}

#[test]
fn the_nist_catalog_imports_1189_controls_with_182_withdrawn() {
    let out = run(&[file(CATALOG)]);
    assert_eq!(out.len(), 1);
    let c = catalog(&out[0]);
    assert_eq!(c.controls.len(), 1189);
    assert_eq!(withdrawn(c), 182);
    assert_eq!(c.requirements.len(), 20);
    assert_eq!(
        out[0].manifest.id,
        "oscal-nist-special-publication-800-53-revision-5"
    );
    let ac1 = c.controls.iter().find(|k| k.id == "AC-1").unwrap();
    assert!(
        ac1.text
            .contains("a. Develop, document, and disseminate to [Assignment: organization-defined personnel or roles]:"),
        "{}",
        ac1.text
    );
    let ac21 = c.controls.iter().find(|k| k.id == "AC-2(1)").unwrap();
    let attr = |k: &rampart_plugins::pack::Control, name: &str| {
        k.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.clone())
    };
    assert_eq!(attr(ac21, "enhances").as_deref(), Some("AC-2"));
    assert_eq!(attr(ac21, "family").as_deref(), Some("AC"));
    // A withdrawn control says where it went.
    let ac2_10 = c.controls.iter().find(|k| k.id == "AC-2(10)").unwrap();
    assert_eq!(attr(ac2_10, "status").as_deref(), Some("withdrawn"));
    assert_eq!(attr(ac2_10, "incorporated-into").as_deref(), Some("AC-2"));
    assert!(
        c.mappings
            .iter()
            .any(|m| m.source == "AC-1" && m.target == "PM-9")
    );

    // The generated pack loads and checks like any other.
    let (_dir, plugin) = load(&out[0]);
    let pack = plugin.framework_pack().unwrap();
    assert_eq!(pack.catalog().controls.len(), 1189);
    let findings = pack
        .check(&Snapshot {
            applicable_controls: vec!["AC-1".into(), "AC-2".into()],
            implemented_controls: vec!["AC-1".into()],
            ..Default::default()
        })
        .unwrap();
    let status = |id: &str| {
        findings
            .iter()
            .find(|f| f.requirement == id)
            .unwrap()
            .status
    };
    assert_eq!(status("AC-1"), FindingStatus::Met);
    assert_eq!(status("AC-2"), FindingStatus::PartiallyMet);
    assert_eq!(status("SI-4"), FindingStatus::NotApplicable);
}

#[test]
fn the_moderate_and_low_profiles_select_their_baselines() {
    let moderate = run(&[
        file("oscal/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json"),
        file(CATALOG),
    ]);
    let c = catalog(&moderate[0]);
    assert_eq!(c.controls.len(), 287);
    assert_eq!(withdrawn(c), 0);
    assert!(c.controls.iter().any(|k| k.id == "AC-2(1)"));
    assert!(c.requirements.iter().all(|r| c.controls.iter().any(|k| {
        k.attributes
            .iter()
            .any(|a| a.name == "family" && a.value == r.id)
    })));
    let low = run(&[
        file("oscal/NIST_SP-800-53_rev5_LOW-baseline_profile.json"),
        file(CATALOG),
    ]);
    assert_eq!(catalog(&low[0]).controls.len(), 149);
    load(&moderate[0]);

    // Without its catalog the profile is refused with what to do.
    let e = import(
        &[file(
            "oscal/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json",
        )],
        &Options::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.message.contains("--with CATALOG"), "{e}");
}

#[test]
fn the_ciso_assistant_iso27001_library_resolves_its_controls_through_its_dependency() {
    let out = run(&[
        file("ciso-assistant/iso27001-2022.yaml"),
        file("ciso-assistant/key-reference-controls.yaml"),
    ]);
    assert_eq!(out.len(), 1);
    let c = catalog(&out[0]);
    assert_eq!(out[0].manifest.id, "ciso-iso27001-2022");
    assert_eq!(c.requirements.len(), 140);
    // The 93 Annex A reference controls of the library, and the 23 document controls its
    // requirements name from the key reference controls library.
    let annex_a = c.controls.iter().filter(|k| k.id.starts_with("A.")).count();
    assert_eq!(annex_a, 93);
    assert_eq!(c.controls.len(), 116);
    let context: Vec<&str> = c
        .mappings
        .iter()
        .filter(|m| m.source == "4.1" && m.relation == "reference-control")
        .map(|m| m.target.as_str())
        .collect();
    assert_eq!(context, ["DOC.CONTEXT"]);
    let r44 = c.requirements.iter().find(|r| r.id == "4.4").unwrap();
    assert_eq!(r44.title, "Information security management system");
    load(&out[0]);

    // Without the dependency: refused, naming it.
    let e = import(
        &[file("ciso-assistant/iso27001-2022.yaml")],
        &Options::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        e.message.contains("urn:intuitem:risk:library:doc-pol") && e.message.contains("--with"),
        "{e}"
    );
}

#[test]
fn a_mapping_library_adds_the_mappings_to_its_source_framework() {
    let out = run(&[
        file("ciso-assistant/mapping-nist-csf-2.0-to-iso27001-2022.yaml"),
        file("ciso-assistant/nist-csf-2.0.yaml"),
        file("ciso-assistant/iso27001-2022.yaml"),
        file("ciso-assistant/key-reference-controls.yaml"),
    ]);
    assert_eq!(out.len(), 2);
    let csf = catalog(&out[0]);
    assert_eq!(out[0].manifest.id, "ciso-nist-csf-2-0");
    let to_iso: Vec<_> = csf
        .mappings
        .iter()
        .filter(|m| m.framework == "iso27001-2022")
        .collect();
    assert_eq!(to_iso.len(), 343);
    assert!(to_iso.iter().all(|m| !m.target.contains(':')));
    assert!(
        to_iso
            .iter()
            .any(|m| m.target == "4.1" && m.relation == "intersect")
    );
    let iso = catalog(&out[1]);
    assert_eq!(
        iso.mappings
            .iter()
            .filter(|m| m.framework == "nist-csf-2.0")
            .count(),
        343
    );
    load(&out[0]);
}

fn assess(plugin: &Plugin, likelihood: i64, impact: i64) -> (String, bool, f64) {
    let inputs = vec![
        Input {
            name: "likelihood".into(),
            value: InputValue::Number(likelihood as f64),
        },
        Input {
            name: "impact".into(),
            value: InputValue::Number(impact as f64),
        },
    ];
    let a = plugin
        .risk_methodology()
        .unwrap()
        .assess(&inputs)
        .unwrap()
        .unwrap();
    (a.level, a.acceptable, a.score)
}

#[test]
fn the_iso27005_matrix_imports_as_a_methodology_that_scores_like_the_shipped_one() {
    let out = run(&[file("ciso-assistant/risk-matrix-5x5-iso-27005.yaml")]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].manifest.id, "ciso-risk-matrix-5x5-iso27005");
    let (_dir, imported) = load(&out[0]);
    let host = PluginHost::new(Limits::default(), None).unwrap();
    let shipped = host
        .prepare(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/risk-iso27005"))
        .unwrap();
    let mut cells = 0;
    for likelihood in 1..=5 {
        for impact in 1..=5 {
            assert_eq!(
                assess(&imported, likelihood, impact),
                assess(&shipped, likelihood, impact),
                "likelihood {likelihood}, impact {impact}"
            );
            cells += 1;
        }
    }
    assert_eq!(cells, 25);
    let m = imported.risk_methodology().unwrap().methodology().clone();
    assert_eq!(
        m.acceptance,
        "very low, low accepted; higher levels need treatment"
    );

    // The EBIOS RM 4x4 matrix: only "Low" is acceptable as it is, unless the import says more.
    let ebios = run(&[file("ciso-assistant/risk-matrix-4x4-ebios-rm.yaml")]);
    let (_d, p) = load(&ebios[0]);
    assert_eq!(assess(&p, 1, 1), ("Low".into(), true, 1.0));
    assert_eq!(assess(&p, 4, 4), ("High".into(), false, 3.0));
    let options = Options {
        accept_up_to: Some("medium".into()),
        ..Default::default()
    };
    let lenient = import(
        &[file("ciso-assistant/risk-matrix-4x4-ebios-rm.yaml")],
        &options,
        &mut |_| {},
    )
    .unwrap();
    let (_d, p) = load(&lenient[0]);
    assert_eq!(assess(&p, 3, 1), ("Medium".into(), true, 2.0));
}

fn source(name: &str, text: &str) -> SourceFile {
    SourceFile {
        name: name.into(),
        bytes: text.as_bytes().to_vec(),
    }
}

#[test]
fn malformed_and_unsupported_files_are_refused_with_their_position() {
    let broken = import(
        &[source(
            "broken.json",
            "{\n  \"catalog\": {\n    \"metadata\": [1, 2\n",
        )],
        &Options::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(broken.file, "broken.json");
    assert!(broken.position.is_some(), "{broken}");
    assert!(
        broken.to_string().starts_with("broken.json: line "),
        "{broken}"
    );

    let other = import(
        &[source("component.json", r#"{"component-definition": {}}"#)],
        &Options::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        other.message.contains("not an OSCAL catalog or profile"),
        "{other}"
    );

    let yaml = import(
        &[source(
            "lib.yaml",
            "urn: urn:x:library:y\nname: Y\nobjects:\n  framework:\n    urn: u\n    name: n\n    requirement_nodes:\n      - urn: a\n       name: bad indentation\n",
        )],
        &Options::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(yaml.position.map(|p| p.0), Some(9), "{yaml}");

    let grid = import(
        &[source(
            "m.yaml",
            "urn: urn:x:library:m\nname: M\nobjects:\n  risk_matrix:\n  - name: M\n    probability: [{name: a}, {name: b}]\n    impact: [{name: a}]\n    risk: [{name: low}]\n    grid: [[0]]\n",
        )],
        &Options::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(grid.message.contains("the grid must have 2 rows"), "{grid}");

    let empty = import(
        &[source("e.yaml", "urn: urn:x:library:e\nname: E\n")],
        &Options::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        empty.message.contains("holds nothing Rampart imports"),
        "{empty}"
    );
}

#[test]
fn a_threat_library_brings_its_threats() {
    let out = import(
        &[source(
            "threats.yaml",
            "urn: urn:x:library:threats\nname: Threats\nobjects:\n  threats:\n  - urn: urn:x:threat:t1\n    ref_id: T1\n    name: Fire\n  - urn: urn:x:threat:t2\n    name: Flood\n",
        )],
        &Options::default(),
        &mut |_| {},
    )
    .unwrap();
    let c = catalog(&out[0]);
    let names: Vec<(&str, &str)> = c
        .threats
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    assert_eq!(names, [("T1", "Fire"), ("t2", "Flood")]);
    load(&out[0]);
}
