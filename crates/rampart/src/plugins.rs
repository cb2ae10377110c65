//! `rampart plugin …`: the plugin catalogue of a running server, and `plugin test` locally.

use std::path::Path;

use anyhow::{Context, bail};
use rampart_plugins::{Limits, PluginHost, conformance};
use rampart_proto::v1 as pb;

use crate::cli::PluginCmd;
use crate::client::{Client, explain};
use crate::output::{json, print_json, record, table};

fn row(p: &pb::Plugin) -> Vec<String> {
    vec![
        p.id.clone(),
        p.version.clone(),
        p.kind.clone(),
        p.runtime.clone(),
        p.contract.clone(),
        if p.enabled { "yes" } else { "no" }.into(),
        p.source.clone(),
        p.digest.chars().take(19).collect(),
    ]
}

const HEADERS: [&str; 8] = [
    "id", "version", "kind", "runtime", "contract", "enabled", "source", "digest",
];

/// `name=3`, `name=2.5`, `name=text`, `name=min,mode,max`.
pub(crate) fn parse_input(spec: &str) -> anyhow::Result<pb::Input> {
    let Some((name, value)) = spec.split_once('=') else {
        bail!("--input {spec:?}: write name=value (a number, a text, or min,mode,max)");
    };
    let parts: Vec<&str> = value.split(',').collect();
    let value = if parts.len() == 3 {
        let n = |s: &str| {
            s.trim()
                .parse::<f64>()
                .with_context(|| format!("--input {name}: {s:?} is not a number"))
        };
        pb::input::Value::Estimate(pb::Estimate {
            min: n(parts[0])?,
            mode: n(parts[1])?,
            max: n(parts[2])?,
        })
    } else if let Ok(n) = value.trim().parse::<f64>() {
        pb::input::Value::Number(n)
    } else {
        pb::input::Value::Text(value.to_string())
    };
    Ok(pb::Input {
        name: name.trim().to_string(),
        value: Some(value),
    })
}

/// Every file of a plugin directory except build output and hidden files.
fn plugin_files(dir: &Path) -> anyhow::Result<Vec<pb::PluginFile>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in
            std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?
        {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "target" || name == "plugin.toml" && d == dir {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            // Source files of a WASM plugin stay home; the component is what runs.
            if rel.starts_with("src/") || rel.ends_with(".rs") || rel.starts_with("Cargo.") {
                continue;
            }
            files.push(pb::PluginFile {
                path: rel,
                content: std::fs::read(&path)?,
            });
        }
    }
    Ok(files)
}

/// What install, disable and enable print: the plugin as it is now.
fn show_changed(p: pb::Plugin, what: &str, as_json: bool) {
    if as_json {
        print_json(&p);
    } else {
        println!("{what} {} {} ({})", p.id, p.version, p.digest);
    }
}

pub async fn run(client: &Client, cmd: PluginCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.plugins();
    match cmd {
        PluginCmd::List { kind } => {
            let r = svc
                .list_plugins(client.req(pb::ListPluginsRequest { kind }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(&HEADERS, r.plugins.iter().map(row).collect());
        }
        PluginCmd::Describe { id } => {
            let r = svc
                .describe_plugin(client.req(pb::DescribePluginRequest { id }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            if let Some(p) = &r.plugin {
                table(&HEADERS, vec![row(p)]);
            }
            if let Some(m) = &r.methodology {
                record(&[
                    ("method", format!("{} {}", m.name, m.version)),
                    ("acceptance", m.acceptance.clone()),
                ]);
                let inputs = m
                    .inputs
                    .iter()
                    .map(|f| {
                        let kind = match &f.kind {
                            Some(pb::input_field::Kind::Scale(s)) => s
                                .steps
                                .iter()
                                .map(|s| format!("{} {}", s.value, s.name))
                                .collect::<Vec<_>>()
                                .join(" | "),
                            Some(pb::input_field::Kind::Number(r)) => {
                                format!("number {}..{} {}", r.min, r.max, r.unit)
                            }
                            Some(pb::input_field::Kind::Estimate(r)) => {
                                format!("estimate min,mode,max in {}..{} {}", r.min, r.max, r.unit)
                            }
                            None => String::new(),
                        };
                        vec![
                            f.name.clone(),
                            if f.optional { "optional" } else { "required" }.into(),
                            kind,
                            f.help.clone(),
                        ]
                    })
                    .collect();
                table(&["input", "", "values", "help"], inputs);
                let levels = m
                    .levels
                    .iter()
                    .map(|l| {
                        vec![
                            l.name.clone(),
                            l.colour.clone(),
                            if l.acceptable { "yes" } else { "no" }.into(),
                        ]
                    })
                    .collect();
                table(&["level", "colour", "acceptable"], levels);
            }
        }
        PluginCmd::Assess { id, inputs } => {
            let inputs = inputs
                .iter()
                .map(|s| parse_input(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let r = svc
                .assess(client.req(pb::AssessRequest {
                    plugin_id: id,
                    inputs,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            let mut pairs = vec![
                ("level", r.level.clone()),
                ("score", format!("{}", r.score)),
                ("acceptable", if r.acceptable { "yes" } else { "no" }.into()),
                ("explanation", r.explanation.clone()),
            ];
            for m in &r.metrics {
                pairs.push((m.name.as_str(), format!("{:.2}", m.value)));
            }
            pairs.push((
                "plugin",
                format!("{} {} ({})", r.plugin_id, r.plugin_version, r.plugin_digest),
            ));
            pairs.push(("took", format!("{:.2} ms", r.elapsed_ms)));
            record(&pairs);
        }
        PluginCmd::Install { dir } => {
            let manifest = std::fs::read_to_string(dir.join("plugin.toml"))
                .with_context(|| format!("{} has no plugin.toml", dir.display()))?;
            let files = plugin_files(&dir)?;
            let p = svc
                .install_plugin(client.req(pb::InstallPluginRequest { manifest, files }))
                .await
                .map_err(explain)?
                .into_inner();
            show_changed(p, "installed", as_json);
        }
        PluginCmd::Disable { id } => {
            let p = svc
                .disable_plugin(client.req(pb::DisablePluginRequest { id }))
                .await;
            show_changed(p.map_err(explain)?.into_inner(), "disabled", as_json);
        }
        PluginCmd::Enable { id } => {
            let p = svc
                .enable_plugin(client.req(pb::EnablePluginRequest { id }))
                .await;
            show_changed(p.map_err(explain)?.into_inner(), "enabled", as_json);
        }
        PluginCmd::Test { .. } => unreachable!("run locally before connecting"),
    }
    Ok(())
}

/// `rampart plugin test DIR`: load the plugin as the server would, then run the conformance
/// suite of its kind and its own `cases.json`. Exits 1 when a case fails.
pub fn test(dir: &Path, as_json: bool) -> anyhow::Result<()> {
    let host = PluginHost::new(Limits::default(), None)?;
    let plugin = host.prepare(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(pack) = plugin.framework_pack() {
        // Loading already checked the catalog and ran the pack's load test.
        let c = pack.catalog();
        let summary = [
            ("framework", format!("{} {}", c.framework, c.version)),
            ("requirements", c.requirements.len().to_string()),
            ("controls", c.controls.len().to_string()),
            ("mandatory information", c.mandatory.len().to_string()),
            ("threats", c.threats.len().to_string()),
            ("vulnerabilities", c.vulnerabilities.len().to_string()),
            ("mappings", c.mappings.len().to_string()),
            ("implementation steps", c.steps.len().to_string()),
        ];
        if as_json {
            print_json(
                &serde_json::json!({ "id": plugin.manifest.id, "digest": plugin.digest, "catalog": c }),
            );
        } else {
            println!(
                "{} {} ({}): catalog consistent, load test passed",
                plugin.manifest.id, plugin.manifest.version, plugin.digest
            );
            record(&summary);
        }
        return Ok(());
    }
    let Some(method) = plugin.risk_methodology() else {
        bail!("{}: a plugin of an unknown kind", plugin.manifest.id);
    };
    let cases = conformance::read_cases(dir).map_err(anyhow::Error::msg)?;
    let outcomes = conformance::run(method.as_ref(), &cases);
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    if as_json {
        print_json(&outcomes);
    } else {
        println!(
            "{} {} ({}, {}), loaded in {} ms",
            plugin.manifest.id,
            plugin.manifest.version,
            plugin.manifest.runtime.as_str(),
            plugin.digest,
            plugin.load_time.as_millis()
        );
        table(
            &["case", "result", "detail"],
            outcomes
                .iter()
                .map(|o| {
                    vec![
                        o.case.clone(),
                        if o.passed { "pass" } else { "FAIL" }.into(),
                        o.detail.clone(),
                    ]
                })
                .collect(),
        );
        println!("{} passed, {failed} failed", outcomes.len() - failed);
    }
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}
