//! `rampart framework …`: frameworks in the organisation, and imports of third-party content.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use anyhow::{Context, bail};
use rampart_import::{Progress, SourceFile, Stage};
use rampart_proto::v1 as pb;

use crate::cli::FrameworkCmd;
use crate::client::{Client, explain};
use crate::output::{json, record, table};

fn framework_row(f: &pb::Framework) -> Vec<String> {
    vec![
        f.id.clone(),
        format!("{} {}", f.framework, f.version),
        if f.installed {
            f.installed_pack_version.clone()
        } else {
            "-".into()
        },
        if f.available_pack_version.is_empty() {
            "(pack gone)".into()
        } else {
            f.available_pack_version.clone()
        },
        if f.upgrade_available { "yes" } else { "" }.into(),
        f.requirements.to_string(),
        f.controls.to_string(),
    ]
}

const FRAMEWORK_HEADERS: [&str; 7] = [
    "id",
    "standard",
    "installed",
    "available",
    "upgrade",
    "requirements",
    "controls",
];

fn print_plan(p: &pb::UpgradePlan) {
    record(&[
        ("framework", p.framework.clone()),
        (
            "from",
            format!(
                "{} ({})",
                p.from_version,
                p.from_digest.chars().take(19).collect::<String>()
            ),
        ),
        (
            "to",
            format!(
                "{} ({})",
                p.to_version,
                p.to_digest.chars().take(19).collect::<String>()
            ),
        ),
        ("kept", p.kept.to_string()),
        ("added", p.added.join(", ")),
    ]);
    if !p.retitled.is_empty() {
        table(
            &["retitled", "was", "now"],
            p.retitled
                .iter()
                .map(|r| {
                    vec![
                        r.requirement.clone(),
                        r.old_title.clone(),
                        r.new_title.clone(),
                    ]
                })
                .collect(),
        );
    }
    if !p.affected.is_empty() {
        table(
            &["gone", "title", "renumbered to", "linked documents"],
            p.affected
                .iter()
                .map(|a| {
                    vec![
                        a.requirement.clone(),
                        a.title.clone(),
                        a.renumbered_to.clone(),
                        a.documents
                            .iter()
                            .map(|d| format!("{} ({})", d.id, d.title))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect(),
        );
    }
    if p.needs_decision.is_empty() {
        println!(
            "no linked work is affected: `rampart framework upgrade {}` keeps every link",
            p.framework
        );
    } else {
        println!(
            "decide for {} with --move OLD=NEW or --drop OLD",
            p.needs_decision.join(", ")
        );
    }
}

/// How deep a node is in the tree, by walking its parents.
fn depth<'a>(parents: &BTreeMap<&'a str, &'a str>, mut id: &'a str) -> usize {
    let mut d = 0;
    while let Some(p) = parents.get(id).filter(|p| !p.is_empty()) {
        d += 1;
        id = p;
        if d > 16 {
            break;
        }
    }
    d
}

fn show_progress(p: Progress) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let stage = match p.stage {
        Stage::Parsing => "reading",
        Stage::Converting => "converting",
    };
    let pct = (p.done * 100).checked_div(p.total).unwrap_or(100);
    eprint!("\r{stage}: {} / {} ({pct}%)   ", p.done, p.total);
    let _ = std::io::stderr().flush();
}

pub async fn run(client: &Client, cmd: FrameworkCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.frameworks();
    match cmd {
        FrameworkCmd::List => {
            let r = svc
                .list_frameworks(client.req(pb::ListFrameworksRequest::default()))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &FRAMEWORK_HEADERS,
                r.frameworks.iter().map(framework_row).collect(),
            );
        }
        FrameworkCmd::Install { id } => {
            let f = svc
                .install_framework(client.req(pb::InstallFrameworkRequest {
                    framework: id,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&f);
            }
            println!(
                "installed {} ({} {}): {} requirements, {} controls",
                f.id, f.framework, f.version, f.requirements, f.controls
            );
        }
        FrameworkCmd::PlanUpgrade { id } => {
            let p = svc
                .plan_framework_upgrade(client.req(pb::PlanFrameworkUpgradeRequest {
                    framework: id,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&p);
            }
            print_plan(&p);
        }
        FrameworkCmd::Upgrade { id, moves, drops } => {
            let mut decisions = Vec::new();
            for m in moves {
                let Some((from, to)) = m.split_once('=') else {
                    bail!("--move {m:?}: write OLD=NEW");
                };
                decisions.push(pb::UpgradeDecision {
                    requirement: from.trim().into(),
                    move_to: to.trim().into(),
                    drop: false,
                });
            }
            for d in drops {
                decisions.push(pb::UpgradeDecision {
                    requirement: d,
                    move_to: String::new(),
                    drop: true,
                });
            }
            let r = svc
                .upgrade_framework(client.req(pb::UpgradeFrameworkRequest {
                    framework: id,
                    decisions,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            if let Some(p) = &r.plan {
                println!(
                    "upgraded {} from {} to {}: {} links moved, {} dropped, {} documents changed",
                    p.framework,
                    p.from_version,
                    p.to_version,
                    r.links_moved,
                    r.links_dropped,
                    r.documents_changed
                );
            }
        }
        FrameworkCmd::Migrate2013 { framework, apply } => {
            let m = svc
                .migrate_annex_a2013(client.req(pb::MigrateAnnexA2013Request {
                    framework,
                    apply,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&m);
            }
            table(
                &["document", "2013", "2022"],
                m.moved
                    .iter()
                    .map(|x| vec![x.document.clone(), x.from.clone(), x.to.join(", ")])
                    .collect(),
            );
            if m.applied {
                println!("{} documents relinked", m.documents_changed);
            } else {
                println!(
                    "{} documents would change (a dry run: add --apply)",
                    m.documents_changed
                );
            }
        }
        FrameworkCmd::Tree {
            id,
            status,
            clauses,
        } => {
            let t = svc
                .get_requirement_tree(client.req(pb::GetRequirementTreeRequest {
                    framework: id,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            let nodes: Vec<&pb::RequirementNode> = t
                .nodes
                .iter()
                .filter(|n| status.as_ref().is_none_or(|s| &n.status == s))
                .filter(|n| !clauses || n.kind == "requirement")
                .collect();
            if as_json {
                return json(&nodes);
            }
            // Depth by walking parents, for indentation.
            let parents: BTreeMap<&str, &str> = t
                .nodes
                .iter()
                .map(|n| (n.id.as_str(), n.parent.as_str()))
                .collect();
            table(
                &["requirement", "title", "status", "documents", "detail"],
                nodes
                    .iter()
                    .map(|n| {
                        vec![
                            format!("{}{}", "  ".repeat(depth(&parents, &n.id)), n.id),
                            n.title.clone(),
                            n.status.clone(),
                            n.documents.join(", "),
                            n.detail.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        FrameworkCmd::Mappings { id, requirement } => {
            let r = svc
                .list_mappings(client.req(pb::ListMappingsRequest {
                    framework: id,
                    requirement,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["framework", "requirement", "relation", "title"],
                r.mappings
                    .iter()
                    .map(|m| {
                        vec![
                            m.target_framework.clone(),
                            m.target.clone(),
                            m.relation.clone(),
                            m.target_title.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        FrameworkCmd::Check { id, all } => {
            let r = svc
                .check_framework(client.req(pb::CheckFrameworkRequest {
                    framework: id,
                    ..Default::default()
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["requirement", "status", "detail"],
                r.findings
                    .iter()
                    .filter(|f| all || f.status != "met" && f.status != "not-applicable")
                    .map(|f| vec![f.requirement.clone(), f.status.clone(), f.detail.clone()])
                    .collect(),
            );
            println!(
                "{}: {:.0}% ready ({} met, {} partially met, {} not met, {} not applicable)",
                r.framework, r.percent, r.met, r.partially_met, r.not_met, r.not_applicable
            );
        }
        FrameworkCmd::Import {
            file,
            with,
            id,
            accept_up_to,
        } => {
            let mut files = Vec::new();
            for path in std::iter::once(&file).chain(&with) {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                files.push(SourceFile {
                    name: path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| path.display().to_string()),
                    bytes,
                });
            }
            // The same import the server runs, here first: a bad file is refused before it is
            // uploaded, and a large one shows its progress.
            let options = rampart_import::Options {
                id: id.clone(),
                accept_up_to: accept_up_to.clone(),
            };
            let local = rampart_import::import(&files, &options, &mut show_progress);
            if std::io::stderr().is_terminal() {
                eprintln!();
            }
            let local = local.map_err(|e| anyhow::anyhow!("{e}"))?;
            for g in &local {
                eprintln!("{}", g.summary);
            }
            let r = svc
                .import_framework(
                    client.req(pb::ImportFrameworkRequest {
                        files: files
                            .into_iter()
                            .map(|f| pb::ImportFile {
                                name: f.name,
                                content: f.bytes,
                            })
                            .collect(),
                        id: id.unwrap_or_default(),
                        accept_up_to: accept_up_to.unwrap_or_default(),
                    }),
                )
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            for p in &r.plugins {
                if let Some(plugin) = &p.plugin {
                    println!(
                        "installed {} {} ({}, {}); install it into an organisation with `rampart framework install {}`",
                        plugin.id, plugin.version, plugin.kind, plugin.runtime, plugin.id
                    );
                }
            }
        }
    }
    Ok(())
}
