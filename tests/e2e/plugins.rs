//! Plugins through the gRPC server: shipped methodologies assess, hostile plugins in both
//! runtimes fail their own call with a clear error and the server answers the next request,
//! installing through the API takes effect on the next call, and an invalid plugin is refused
//! with nothing changed.

use std::path::{Path, PathBuf};

use rampart_proto::v1 as pb;
use tonic::Code;

use crate::harness::{Client, Server, number, organisation, text};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn server() -> Server {
    Server::with_plugins()
}

async fn assess(
    c: &Client,
    plugin: &str,
    inputs: Vec<pb::Input>,
) -> Result<pb::AssessResponse, tonic::Status> {
    c.plugins()
        .assess(c.req(pb::AssessRequest {
            plugin_id: plugin.into(),
            inputs,
        }))
        .await
        .map(|r| r.into_inner())
}

fn files(dir: &Path, names: &[&str]) -> Vec<pb::PluginFile> {
    names
        .iter()
        .map(|n| pb::PluginFile {
            path: n.to_string(),
            content: std::fs::read(dir.join(n)).unwrap(),
        })
        .collect()
}

#[tokio::test]
async fn members_list_describe_and_assess_with_shipped_methodologies() {
    let server = server();
    let (maria, _, _) = organisation(&server, "acme").await;
    let list = maria
        .plugins()
        .list_plugins(maria.req(pb::ListPluginsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = list.plugins.iter().map(|p| p.id.as_str()).collect();
    for id in [
        "risk-iso27005",
        "risk-nist-800-30",
        "risk-fair",
        "hostile-rhai",
        "hostile-wasm",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    // Each plugin reports the contract its manifest names: the WASM methodologies were rebuilt
    // for 1.2 (assess-rows), the scripts still say 1.1.
    for p in &list.plugins {
        assert!(p.digest.starts_with("sha256:"), "{}", p.id);
        let expected = if ["risk-fair", "hostile-wasm"].contains(&p.id.as_str()) {
            "1.2.0"
        } else {
            "1.1.0"
        };
        assert_eq!(p.contract, expected, "{}", p.id);
    }

    let d = maria
        .plugins()
        .describe_plugin(maria.req(pb::DescribePluginRequest {
            id: "risk-nist-800-30".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let m = d.methodology.unwrap();
    assert_eq!(m.inputs.len(), 3);
    assert_eq!(m.levels.len(), 5);

    let r = assess(
        &maria,
        "risk-iso27005",
        vec![number("likelihood", 4.0), number("impact", 5.0)],
    )
    .await
    .unwrap();
    assert_eq!(
        (r.level.as_str(), r.acceptable, r.score),
        ("very high", false, 5.0)
    );
    let r = assess(
        &maria,
        "risk-nist-800-30",
        vec![
            text("likelihood_of_initiation", "High"),
            text("likelihood_of_impact", "Moderate"),
            text("impact", "Very High"),
        ],
    )
    .await
    .unwrap();
    // G-5: High × Moderate → Moderate; I-2: Moderate × Very High → High.
    assert_eq!(r.level, "High");

    let e = assess(
        &maria,
        "risk-iso27005",
        vec![number("likelihood", 7.0), number("impact", 5.0)],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(
        e.metadata().get("x-rampart-field").unwrap(),
        "inputs.likelihood"
    );
    let e = assess(&maria, "no-such-method", vec![]).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // Framework packs load in both runtimes; they are listed by kind, and are not methodologies.
    let packs = maria
        .plugins()
        .list_plugins(maria.req(pb::ListPluginsRequest {
            kind: "framework-pack".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let mut runtimes: Vec<&str> = packs.plugins.iter().map(|p| p.runtime.as_str()).collect();
    runtimes.sort();
    runtimes.dedup();
    assert_eq!(runtimes, ["rhai", "wasm"]);
    let ids: Vec<&str> = packs.plugins.iter().map(|p| p.id.as_str()).collect();
    for id in ["iso27001-2022", "iso22301-2019", "iso9001-2015"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let e = assess(&maria, "mini-pack-rhai", vec![]).await.unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn hostile_plugins_fail_their_call_and_the_server_answers_the_next() {
    let server = server();
    let (maria, _, _) = organisation(&server, "acme").await;
    let cases = [
        (
            "hostile-wasm",
            "loop",
            Code::ResourceExhausted,
            "cpu-budget",
        ),
        ("hostile-wasm", "recurse", Code::ResourceExhausted, "stack"),
        ("hostile-wasm", "memory", Code::ResourceExhausted, "memory"),
        ("hostile-wasm", "huge", Code::ResourceExhausted, "output"),
        ("hostile-wasm", "trap", Code::FailedPrecondition, "crashed"),
        (
            "hostile-wasm",
            "bad-level",
            Code::FailedPrecondition,
            "contract",
        ),
        (
            "hostile-rhai",
            "loop",
            Code::ResourceExhausted,
            "cpu-budget",
        ),
        ("hostile-rhai", "recurse", Code::ResourceExhausted, "stack"),
        ("hostile-rhai", "memory", Code::ResourceExhausted, "memory"),
        ("hostile-rhai", "huge", Code::ResourceExhausted, "output"),
        ("hostile-rhai", "trap", Code::FailedPrecondition, "crashed"),
        (
            "hostile-rhai",
            "wrong-type",
            Code::FailedPrecondition,
            "contract",
        ),
    ];
    for (plugin, mode, code, broke) in cases {
        let e = assess(&maria, plugin, vec![number("x", 0.5), text("mode", mode)])
            .await
            .unwrap_err();
        assert_eq!(e.code(), code, "{plugin} {mode}: {}", e.message());
        assert!(
            e.message().starts_with(&format!("plugin {plugin} ")),
            "{}",
            e.message()
        );
        assert_eq!(e.metadata().get("x-rampart-plugin").unwrap(), plugin);
        assert_eq!(
            e.metadata().get("x-rampart-plugin-broke").unwrap(),
            broke,
            "{plugin} {mode}"
        );
        // The next request, to the same plugin and to the rest of the API, is served normally.
        let ok = assess(&maria, plugin, vec![number("x", 0.25)])
            .await
            .unwrap();
        assert_eq!(ok.explanation, "fine");
        maria
            .assets()
            .list_assets(maria.req(pb::ListAssetsRequest::default()))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn installing_through_the_api_takes_effect_and_an_invalid_plugin_changes_nothing() {
    let server = server();
    let (maria, _, _) = organisation(&server, "acme").await;
    let op = server.operator().await;
    let owasp = root().join("examples/custom-methodology");
    let manifest = std::fs::read_to_string(owasp.join("plugin.toml")).unwrap();
    let request = |manifest: &str, files: Vec<pb::PluginFile>| pb::InstallPluginRequest {
        manifest: manifest.into(),
        files,
    };

    // Members, even administrators of an organisation, may not change the shared catalogue.
    let e = maria
        .plugins()
        .install_plugin(maria.req(request(&manifest, files(&owasp, &["method.rhai"]))))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert!(
        e.metadata()
            .get("x-rampart-policies")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("plugins-are-platform")
    );

    // Refused: a contract from the future, a script without `assess`, a component that is not one.
    let before = op
        .plugins()
        .list_plugins(op.req(pb::ListPluginsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let future = manifest.replace("contract = \"1.1.0\"", "contract = \"2.0.0\"");
    let e = op
        .plugins()
        .install_plugin(op.req(request(&future, files(&owasp, &["method.rhai"]))))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{}", e.message());
    assert!(
        e.message().contains("contract 2.0.0 does not match"),
        "{}",
        e.message()
    );
    let broken = vec![pb::PluginFile {
        path: "method.rhai".into(),
        content: b"fn describe() { 1 }".to_vec(),
    }];
    let e = op
        .plugins()
        .install_plugin(op.req(request(&manifest, broken)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{}", e.message());
    assert!(e.message().contains("plugin refused"), "{}", e.message());
    let wasm_manifest = "id = \"not-a-component\"\nname = \"x\"\nversion = \"1\"\nkind = \"risk-methodology\"\n\
                         runtime = \"wasm\"\nentry = \"m.wasm\"\ncontract = \"1.1.0\"\n";
    let garbage = vec![pb::PluginFile {
        path: "m.wasm".into(),
        content: b"\0asm garbage".to_vec(),
    }];
    let e = op
        .plugins()
        .install_plugin(op.req(request(wasm_manifest, garbage)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{}", e.message());
    let escape = vec![pb::PluginFile {
        path: "../escape.rhai".into(),
        content: b"".to_vec(),
    }];
    let e = op
        .plugins()
        .install_plugin(op.req(request(&manifest, escape)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let after = op
        .plugins()
        .list_plugins(op.req(pb::ListPluginsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before, after, "a refused install changes nothing");
    let e = assess(&maria, "risk-owasp", vec![]).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // Accepted: the consultant's OWASP method is used by the very next call.
    let installed = op
        .plugins()
        .install_plugin(op.req(request(
            &manifest,
            files(&owasp, &["method.rhai", "cases.json"]),
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (installed.id.as_str(), installed.source.as_str()),
        ("risk-owasp", "installed")
    );
    let factors = [
        "skill_level",
        "motive",
        "opportunity",
        "size",
        "ease_of_discovery",
        "ease_of_exploit",
        "awareness",
        "intrusion_detection",
        "loss_of_confidentiality",
        "loss_of_integrity",
        "loss_of_availability",
        "loss_of_accountability",
    ];
    let r = assess(
        &maria,
        "risk-owasp",
        factors.iter().map(|f| number(f, 7.0)).collect(),
    )
    .await
    .unwrap();
    assert_eq!(r.level, "Critical");
    assert_eq!(r.plugin_digest, installed.digest);

    // Disabled: refused with a hint; enabled again: served.
    op.plugins()
        .disable_plugin(op.req(pb::DisablePluginRequest {
            id: "risk-owasp".into(),
        }))
        .await
        .unwrap();
    let e = assess(&maria, "risk-owasp", vec![]).await.unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    op.plugins()
        .enable_plugin(op.req(pb::EnablePluginRequest {
            id: "risk-owasp".into(),
        }))
        .await
        .unwrap();
    assess(
        &maria,
        "risk-owasp",
        factors.iter().map(|f| number(f, 1.0)).collect(),
    )
    .await
    .unwrap();

    // Installed plugins survive a restart of the server.
    let server = server.restart();
    let op = server.operator().await;
    let list = op
        .plugins()
        .list_plugins(op.req(pb::ListPluginsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(
        list.plugins
            .iter()
            .any(|p| p.id == "risk-owasp" && p.source == "installed")
    );
}

/// A WASM methodology's numeric batches go through `assess-rows` (contract 1.2): a hostile
/// answer there fails the whole `AssessRisks` call with the plugin and what it broke, nothing is
/// written, and the next batch is assessed.
#[tokio::test]
async fn hostile_row_answers_fail_the_batch_and_the_next_batch_is_assessed() {
    let server = server();
    let (maria, _, _) = organisation(&server, "acme").await;
    let asset = maria
        .assets()
        .create_asset(maria.req(crate::harness::asset_request(
            "File server",
            "information-system",
            "maria",
        )))
        .await
        .unwrap()
        .into_inner();
    for id in ["r1", "r2", "r3"] {
        maria
            .risks()
            .create_risk(maria.req(pb::CreateRiskRequest {
                id: id.into(),
                fields: Some(pb::RiskFields {
                    title: format!("Risk {id}"),
                    assets: vec![asset.id.clone()],
                    threat: "Ransomware".into(),
                    vulnerability: "No offline backup".into(),
                    owner: "maria".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }))
            .await
            .unwrap();
    }
    maria
        .risks()
        .set_risk_methodology(maria.req(pb::SetRiskMethodologyRequest {
            methodology: "hostile-wasm".into(),
            ..Default::default()
        }))
        .await
        .unwrap();
    let batch = |rows: f64| pb::AssessRisksRequest {
        risks: ["r1", "r2", "r3"]
            .iter()
            .map(|id| pb::RiskInputs {
                risk: id.to_string(),
                inputs: vec![number("x", 0.5), number("rows", rows)],
            })
            .collect(),
        ..Default::default()
    };
    for (rows, code, broke, says) in [
        (
            1.0,
            Code::FailedPrecondition,
            "contract",
            "level 7 is not one of the 1 levels",
        ),
        (
            3.0,
            Code::FailedPrecondition,
            "contract",
            "returned 2 results for 3 rows",
        ),
        (4.0, Code::ResourceExhausted, "cpu-budget", "stopped after"),
    ] {
        let e = maria
            .risks()
            .assess_risks(maria.req(batch(rows)))
            .await
            .unwrap_err();
        assert_eq!(e.code(), code, "rows {rows}: {}", e.message());
        assert!(
            e.message().starts_with("plugin hostile-wasm "),
            "{}",
            e.message()
        );
        assert!(e.message().contains(says), "{}", e.message());
        assert_eq!(e.metadata().get("x-rampart-plugin-broke").unwrap(), broke);
    }
    for id in ["r1", "r2", "r3"] {
        let r = maria
            .risks()
            .get_risk(maria.req(pb::GetRiskRequest {
                id: id.into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(
            r.assessments.is_empty(),
            "{id}: a failed batch wrote nothing"
        );
    }
    let out = maria
        .risks()
        .assess_risks(maria.req(batch(0.0)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.risks.len(), 3);
    for r in &out.risks {
        assert_eq!(r.assessments[0].level, "ok");
        assert_eq!(r.assessments[0].explanation, "fine");
    }
}
