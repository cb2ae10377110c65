//! `rampart-bench frameworks`: importing the NIST SP 800-53 catalog (in-process, the same code
//! the server and the CLI run), and over gRPC against the real server with the example
//! organisation: installing the ISO/IEC 27001 pack into fresh organisations, `CheckFramework`
//! and `GetRequirementTree` over the example organisation, and importing and installing NIST.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use rampart_proto::v1 as pb;
use rampart_proto::v1::framework_service_client::FrameworkServiceClient;
use rampart_proto::v1::organisation_service_client::OrganisationServiceClient;
use rampart_proto::v1::token_service_client::TokenServiceClient;
use rampart_proto::v1::user_service_client::UserServiceClient;
use tonic::transport::Channel;

use crate::{OPERATOR_TOKEN, ms, percentile, req, start};

const CATALOG: &str = "oscal/NIST_SP-800-53_rev5_catalog.v5.0.x_2021-06-08.json";
const MODERATE: &str = "oscal/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json";
const IMPORT_RUNS: usize = 10;
const INSTALLS: usize = 20;
const CHECKS: usize = 50;

fn reference(root: &Path, file: &str) -> anyhow::Result<rampart_import::SourceFile> {
    let dir = std::env::var_os("RAMPART_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/reference"));
    let path = dir.join(file);
    Ok(rampart_import::SourceFile {
        name: file.rsplit('/').next().unwrap_or(file).to_string(),
        bytes: std::fs::read(&path)
            .with_context(|| format!("{} (set RAMPART_REFERENCE)", path.display()))?,
    })
}

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    format!(
        "best {}, p50 {}, max {} ({} runs)",
        ms(times[0]),
        ms(percentile(&times, 0.5)),
        ms(times[times.len() - 1]),
        times.len()
    )
}

fn import_times(files: &[rampart_import::SourceFile]) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut times = Vec::new();
    let mut controls = 0;
    for _ in 0..IMPORT_RUNS {
        let started = Instant::now();
        let out = rampart_import::import(files, &Default::default(), &mut |_| {})
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(started.elapsed());
        controls = out[0].catalog.as_ref().map_or(0, |c| c.controls.len());
    }
    Ok((times, controls))
}

pub(crate) async fn connect(url: &str) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(url.to_string())?.connect().await?)
}

/// A fresh organisation with an ISMS manager; returns the manager's token.
pub(crate) async fn organisation(channel: &Channel, id: &str) -> anyhow::Result<String> {
    OrganisationServiceClient::new(channel.clone())
        .create_organisation(req(
            pb::CreateOrganisationRequest {
                id: id.into(),
                name: id.into(),
                employees: 40,
                isms_scope: "Everything".into(),
                scheme_template: String::new(),
            },
            OPERATOR_TOKEN,
        ))
        .await?;
    let in_org = |msg| {
        let mut r = req(msg, OPERATOR_TOKEN);
        r.metadata_mut()
            .insert("x-rampart-organisation", id.parse().expect("ascii id"));
        r
    };
    UserServiceClient::new(channel.clone())
        .create_user(in_org(pb::CreateUserRequest {
            id: "ivy".into(),
            display_name: "Ivy".into(),
            email: "ivy@bench.example".into(),
            roles: vec!["isms-manager".into()],
            department: "Ops".into(),
            job_title: "ISMS manager".into(),
            clearance: String::new(),
        }))
        .await?;
    let mut r = req(
        pb::CreateTokenRequest {
            user_id: "ivy".into(),
            label: "bench".into(),
            expires_at: String::new(),
        },
        OPERATOR_TOKEN,
    );
    r.metadata_mut()
        .insert("x-rampart-organisation", id.parse().expect("ascii id"));
    let t = TokenServiceClient::new(channel.clone())
        .create_token(r)
        .await?
        .into_inner();
    Ok(t.secret)
}

pub async fn run(root: &Path) -> anyhow::Result<()> {
    println!("== frameworks ==");
    let catalog = reference(root, CATALOG)?;
    let (times, controls) = import_times(std::slice::from_ref(&catalog))?;
    println!(
        "import NIST SP 800-53 rev5 catalog ({:.1} MB, {controls} controls): {}",
        catalog.bytes.len() as f64 / 1e6,
        summary(times)
    );
    let profile = reference(root, MODERATE)?;
    let (times, controls) = import_times(&[profile, catalog.clone()])?;
    println!(
        "import the MODERATE profile over the catalog ({controls} controls): {}",
        summary(times)
    );

    let running = start()?;
    let channel = connect(&running.url).await?;
    let frameworks = |c: &Channel| {
        FrameworkServiceClient::new(c.clone())
            .max_encoding_message_size(64 * 1024 * 1024)
            .max_decoding_message_size(64 * 1024 * 1024)
    };

    let mut installs = Vec::new();
    let mut shape = String::new();
    for i in 0..INSTALLS {
        let token = organisation(&channel, &format!("bench-fw-{i}")).await?;
        let started = Instant::now();
        let f = frameworks(&channel)
            .install_framework(req(
                pb::InstallFrameworkRequest {
                    framework: "iso27001-2022".into(),
                    ..Default::default()
                },
                &token,
            ))
            .await?
            .into_inner();
        installs.push(started.elapsed());
        shape = format!("{} requirements, {} controls", f.requirements, f.controls);
    }
    println!(
        "InstallFramework iso27001-2022 ({shape}) into a new organisation: {}",
        summary(installs)
    );

    let maria = running.token("maria")?;
    let mut checks = Vec::new();
    let mut findings = 0;
    for _ in 0..CHECKS {
        let started = Instant::now();
        let r = frameworks(&channel)
            .check_framework(req(
                pb::CheckFrameworkRequest {
                    framework: "iso27001-2022".into(),
                    ..Default::default()
                },
                &maria,
            ))
            .await?
            .into_inner();
        checks.push(started.elapsed());
        findings = r.findings.len();
    }
    println!(
        "CheckFramework iso27001-2022 over the example organisation ({findings} findings): {}",
        summary(checks)
    );
    let mut trees = Vec::new();
    let mut nodes = 0;
    for _ in 0..CHECKS {
        let started = Instant::now();
        nodes = frameworks(&channel)
            .get_requirement_tree(req(
                pb::GetRequirementTreeRequest {
                    framework: "iso27001-2022".into(),
                    ..Default::default()
                },
                &maria,
            ))
            .await?
            .into_inner()
            .nodes
            .len();
        trees.push(started.elapsed());
    }
    println!(
        "GetRequirementTree iso27001-2022 ({nodes} nodes) over the example organisation: {}",
        summary(trees)
    );

    let started = Instant::now();
    let imported = frameworks(&channel)
        .import_framework(req(
            pb::ImportFrameworkRequest {
                files: vec![pb::ImportFile {
                    name: catalog.name.clone(),
                    content: catalog.bytes.clone(),
                }],
                ..Default::default()
            },
            OPERATOR_TOKEN,
        ))
        .await?
        .into_inner();
    let import_rpc = started.elapsed();
    let id = imported.plugins[0]
        .plugin
        .as_ref()
        .map(|p| p.id.clone())
        .unwrap_or_default();
    let token = organisation(&channel, "bench-nist").await?;
    let started = Instant::now();
    let installed = frameworks(&channel)
        .install_framework(req(
            pb::InstallFrameworkRequest {
                framework: id,
                ..Default::default()
            },
            &token,
        ))
        .await?
        .into_inner();
    let elapsed = started.elapsed();
    println!(
        "ImportFramework of the NIST catalog over gRPC (upload, import, install on the server): {}; InstallFramework of it ({} controls): {}",
        ms(import_rpc),
        installed.controls,
        ms(elapsed)
    );
    Ok(())
}
