//! `rampart policy …`: the organisation's access policies on a running server, and `policy test`
//! locally.

use std::path::Path;

use anyhow::{Context, bail};
use rampart_proto::v1 as pb;

use crate::cli::{GrantCmd, HandlingArgs, PolicyCmd};
use crate::client::{Client, explain};
use crate::output::{json, print_json, record, table};

/// A policy directory: `*.cedar` at the top (and below, except `platform/` and `tests/`), tests
/// in `tests/*.toml`. Names are relative to DIR.
fn read_dir(dir: &Path) -> anyhow::Result<(Vec<pb::PolicyFile>, Vec<pb::PolicyFile>)> {
    let mut files = Vec::new();
    let mut tests = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))?;
        for entry in entries {
            let path = entry?.path();
            let name = path
                .strip_prefix(dir)
                .expect("under dir")
                .to_string_lossy()
                .replace('\\', "/");
            if path.is_dir() {
                if name != "platform" && !name.starts_with('.') {
                    stack.push(path);
                }
                continue;
            }
            let text = || {
                std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))
            };
            if name.ends_with(".cedar") && !name.starts_with("tests/") {
                files.push(pb::PolicyFile {
                    name,
                    text: text()?,
                });
            } else if name.starts_with("tests/") && name.ends_with(".toml") {
                tests.push(pb::PolicyFile {
                    name,
                    text: text()?,
                });
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    tests.sort_by(|a, b| a.name.cmp(&b.name));
    if files.is_empty() {
        bail!("{} holds no .cedar policy files", dir.display());
    }
    Ok((files, tests))
}

pub(crate) fn handling(h: HandlingArgs) -> Option<pb::Handling> {
    if h.channel.is_none() && h.medium.is_none() && !h.encrypted && !h.return_receipt {
        return None;
    }
    Some(pb::Handling {
        channel: h.channel.unwrap_or_default(),
        medium: h.medium.unwrap_or_default(),
        encrypted: h.encrypted,
        return_receipt: h.return_receipt,
    })
}

fn print_results(results: &[(String, String, bool, String)]) -> usize {
    let mut failed = 0;
    for (file, name, passed, detail) in results {
        if *passed {
            println!("ok    {file} / {name}");
        } else {
            failed += 1;
            println!("FAIL  {file} / {name}: {detail}");
        }
    }
    println!(
        "{} cases, {} passed, {} failed",
        results.len(),
        results.len() - failed,
        failed
    );
    failed
}

/// `rampart policy test DIR`: the cases of DIR/tests against DIR's policies (the platform's
/// added), with the engine's own authorizer.
pub fn test(dir: &Path, as_json: bool) -> anyhow::Result<()> {
    let (files, tests) = read_dir(dir)?;
    let pairs = |v: Vec<pb::PolicyFile>| -> Vec<(String, String)> {
        v.into_iter().map(|f| (f.name, f.text)).collect()
    };
    let results = match rampart_engine::run_policy_tests(&pairs(files), &pairs(tests)) {
        Ok(r) => r,
        Err(e) => bail!("the policies in {} do not validate:\n{e}", dir.display()),
    };
    if results.is_empty() {
        bail!("{} has no test cases (tests/*.toml)", dir.display());
    }
    let rows: Vec<(String, String, bool, String)> = results
        .into_iter()
        .map(|r| (r.file, r.name, r.passed, r.detail))
        .collect();
    let failed = if as_json {
        let v: Vec<_> = rows
            .iter()
            .map(|(f, n, p, d)| serde_json::json!({"file": f, "name": n, "passed": p, "detail": d}))
            .collect();
        print_json(&v);
        rows.iter().filter(|r| !r.2).count()
    } else {
        print_results(&rows)
    };
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}

pub async fn run(client: &Client, cmd: PolicyCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.policies();
    match cmd {
        PolicyCmd::Test { .. } => unreachable!("run locally"),
        PolicyCmd::Show { export } => {
            let r = svc
                .get_policies(client.req(pb::GetPoliciesRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if let Some(dir) = export {
                for f in r.files.iter().chain(&r.tests) {
                    let path = dir.join(&f.name);
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(&path, &f.text)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                println!(
                    "wrote version {} ({} policy files, {} test files) to {}",
                    r.version,
                    r.files.len(),
                    r.tests.len(),
                    dir.display()
                );
                return Ok(());
            }
            if as_json {
                return json(&r);
            }
            record(&[
                ("version", r.version.to_string()),
                ("author", r.author.clone()),
                ("at", r.at.clone()),
                ("note", r.note.clone()),
                ("templates", r.templates.join(", ")),
            ]);
            let rows = r
                .platform
                .iter()
                .map(|f| (f, "platform (always in force)"))
                .chain(r.files.iter().map(|f| (f, "policies")))
                .chain(r.tests.iter().map(|f| (f, "tests")))
                .map(|(f, kind)| {
                    vec![
                        f.name.clone(),
                        kind.to_string(),
                        f.text.lines().count().to_string(),
                    ]
                })
                .collect();
            table(&["file", "kind", "lines"], rows);
        }
        PolicyCmd::Replace {
            dir,
            note,
            expected_version,
        } => {
            let (files, tests) = read_dir(&dir)?;
            let expected_version = match expected_version {
                Some(v) => v,
                None => {
                    svc.get_policies(client.req(pb::GetPoliciesRequest {}))
                        .await
                        .map_err(explain)?
                        .into_inner()
                        .version
                }
            };
            let r = svc
                .replace_policies(client.req(pb::ReplacePoliciesRequest {
                    files,
                    tests,
                    note,
                    expected_version,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            println!(
                "policy set version {} is in force ({} files, {} test files)",
                r.version,
                r.files.len(),
                r.tests.len()
            );
        }
        PolicyCmd::Check { dir } => {
            let (files, tests) = read_dir(&dir)?;
            let r = svc
                .check_policies(client.req(pb::CheckPoliciesRequest { files, tests }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                json(&r)?;
            } else {
                for p in &r.problems {
                    println!("{}:{}:{}: {}", p.file, p.line, p.column, p.message);
                }
                let rows: Vec<_> = r
                    .results
                    .iter()
                    .map(|t| (t.file.clone(), t.name.clone(), t.passed, t.detail.clone()))
                    .collect();
                if r.problems.is_empty() {
                    print_results(&rows);
                }
            }
            if !r.passed {
                std::process::exit(1);
            }
        }
        PolicyCmd::History => {
            let r = svc
                .list_policy_versions(client.req(pb::ListPolicyVersionsRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["version", "author", "at", "note"],
                r.versions
                    .iter()
                    .map(|v| {
                        vec![
                            v.version.to_string(),
                            v.author.clone(),
                            v.at.clone(),
                            v.note.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        PolicyCmd::Rollback { version } => {
            let current = svc
                .get_policies(client.req(pb::GetPoliciesRequest {}))
                .await
                .map_err(explain)?
                .into_inner()
                .version;
            let r = svc
                .rollback_policies(client.req(pb::RollbackPoliciesRequest {
                    to_version: version,
                    expected_version: current,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            println!("version {} is in force: {}", r.version, r.note);
        }
        PolicyCmd::Explain {
            user,
            action,
            resource,
            handling: h,
        } => {
            let r = svc
                .explain_decision(client.req(pb::ExplainDecisionRequest {
                    user,
                    action,
                    resource,
                    handling: handling(h),
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            record(&[
                ("decision", if r.allowed { "allow" } else { "deny" }.into()),
                ("reason", r.reason.clone()),
            ]);
        }
        PolicyCmd::Can { user, resource } => {
            let r = svc
                .list_permissions(client.req(pb::ListPermissionsRequest { user, resource }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["action"],
                r.actions.iter().map(|a| vec![a.clone()]).collect(),
            );
        }
        PolicyCmd::Who { resource, action } => {
            let r = svc
                .who_may(client.req(pb::WhoMayRequest { action, resource }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            println!("{}:", r.action);
            table(
                &["user", "permitted by"],
                r.users
                    .iter()
                    .map(|u| vec![u.user.clone(), u.policies.join(", ")])
                    .collect(),
            );
        }
        PolicyCmd::Grant(cmd) => grant(client, cmd, as_json).await?,
    }
    Ok(())
}

fn grant_row(g: &pb::Grant) -> Vec<String> {
    vec![
        g.id.clone(),
        g.template.clone(),
        g.user.clone(),
        g.target.clone(),
        g.until.clone(),
        if g.revoked_at.is_empty() {
            String::new()
        } else {
            format!("revoked {}", g.revoked_at)
        },
    ]
}

const GRANT_HEADERS: [&str; 6] = ["id", "template", "user", "target", "until", "state"];

async fn grant(client: &Client, cmd: GrantCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.policies();
    let g = match cmd {
        GrantCmd::Create {
            template,
            user,
            target,
            until,
            note,
        } => svc
            .create_grant(client.req(pb::CreateGrantRequest {
                template,
                user,
                target,
                until,
                note,
            }))
            .await
            .map_err(explain)?
            .into_inner(),
        GrantCmd::Revoke { id } => svc
            .revoke_grant(client.req(pb::RevokeGrantRequest { id }))
            .await
            .map_err(explain)?
            .into_inner(),
        GrantCmd::List => {
            let r = svc
                .list_grants(client.req(pb::ListGrantsRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(&GRANT_HEADERS, r.grants.iter().map(grant_row).collect());
            return Ok(());
        }
    };
    if as_json {
        return json(&g);
    }
    table(&GRANT_HEADERS, vec![grant_row(&g)]);
    Ok(())
}
