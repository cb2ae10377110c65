//! `rampart-bench risks`: over gRPC against the real server, an organisation with 10,000 risks:
//! creating them, assessing them all in one `AssessRisks` batch with the ISO 27005 matrix, re-
//! assessing them with NIST SP 800-30 and with FAIR through `MigrateRiskMethodology`, treating
//! them, and deriving the Statement of Applicability over them and the 93 controls.

use std::time::{Duration, Instant};

use anyhow::Context;
use rampart_proto::v1 as pb;
use rampart_proto::v1::asset_service_client::AssetServiceClient;
use rampart_proto::v1::framework_service_client::FrameworkServiceClient;
use rampart_proto::v1::risk_service_client::RiskServiceClient;
use tonic::transport::Channel;

use crate::frameworks::{connect, organisation};
use crate::{ms, percentile, req, start};

const RISKS: usize = 10_000;
const WRITERS: usize = 8;
const FAIR_ITERATIONS: f64 = 10_000.0;
const SOA_RUNS: usize = 10;

fn client(c: &Channel) -> RiskServiceClient<Channel> {
    RiskServiceClient::new(c.clone())
        .max_decoding_message_size(256 * 1024 * 1024)
        .max_encoding_message_size(256 * 1024 * 1024)
}

fn number(name: &str, n: f64) -> pb::Input {
    pb::Input {
        name: name.into(),
        value: Some(pb::input::Value::Number(n)),
    }
}

fn text(name: &str, t: &str) -> pb::Input {
    pb::Input {
        name: name.into(),
        value: Some(pb::input::Value::Text(t.into())),
    }
}

fn estimate(name: &str, min: f64, mode: f64, max: f64) -> pb::Input {
    pb::Input {
        name: name.into(),
        value: Some(pb::input::Value::Estimate(pb::Estimate { min, mode, max })),
    }
}

fn id(i: usize) -> String {
    format!("r{i:05}")
}

async fn migrate(
    channel: &Channel,
    token: &str,
    methodology: &str,
    inputs: impl Fn(usize) -> Vec<pb::Input>,
) -> anyhow::Result<Duration> {
    let request = pb::MigrateRiskMethodologyRequest {
        methodology: methodology.into(),
        inputs: (0..RISKS)
            .map(|i| pb::RiskInputs {
                risk: id(i),
                inputs: inputs(i),
            })
            .collect(),
        ..Default::default()
    };
    let started = Instant::now();
    client(channel)
        .migrate_risk_methodology(req(request, token))
        .await?;
    Ok(started.elapsed())
}

/// An organisation `org` with the ISO 27001 framework, one asset and 10,000 risks created by 8
/// writers: its token and how long the risks took.
async fn register(channel: &Channel, url: &str, org: &str) -> anyhow::Result<(String, Duration)> {
    let token = organisation(channel, org).await?;
    FrameworkServiceClient::new(channel.clone())
        .install_framework(req(
            pb::InstallFrameworkRequest {
                framework: "iso27001-2022".into(),
                ..Default::default()
            },
            &token,
        ))
        .await?;
    let asset = AssetServiceClient::new(channel.clone())
        .create_asset(req(
            pb::CreateAssetRequest {
                name: "Customer database".into(),
                asset_type: "information-system".into(),
                owner: "ivy".into(),
                location: "cloud".into(),
                description: String::new(),
                cia: Some(pb::Cia {
                    confidentiality: 4,
                    integrity: 3,
                    availability: 3,
                }),
                lifecycle: String::new(),
            },
            &token,
        ))
        .await?
        .into_inner()
        .id;

    // 10,000 risks, 8 writers.
    let started = Instant::now();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let c = client(&connect(url).await?);
        let token = token.clone();
        let asset = asset.clone();
        writers.push(tokio::spawn(async move {
            let mut c = c;
            for i in (w..RISKS).step_by(WRITERS) {
                c.create_risk(req(
                    pb::CreateRiskRequest {
                        id: id(i),
                        fields: Some(pb::RiskFields {
                            title: format!("Risk {i}"),
                            description: String::new(),
                            assets: vec![asset.clone()],
                            threat: "iso27001-2022:G 0.39".into(),
                            vulnerability: String::new(),
                            owner: "ivy".into(),
                        }),
                        ..Default::default()
                    },
                    &token,
                ))
                .await?;
            }
            anyhow::Ok(())
        }));
    }
    for w in writers {
        w.await??;
    }
    Ok((token, started.elapsed()))
}

/// Assesses the 10,000 risks in one `AssessRisks` batch and checks that each now has
/// `assessments` assessments: how long the call took.
async fn assess_all(
    channel: &Channel,
    token: &str,
    assessments: usize,
    inputs: impl Fn(usize) -> Vec<pb::Input>,
) -> anyhow::Result<Duration> {
    let batch = pb::AssessRisksRequest {
        risks: (0..RISKS)
            .map(|i| pb::RiskInputs {
                risk: id(i),
                inputs: inputs(i),
            })
            .collect(),
        ..Default::default()
    };
    let started = Instant::now();
    let assessed = client(channel).assess_risks(req(batch, token)).await?;
    let took = started.elapsed();
    check_assessed(&assessed.into_inner(), assessments)?;
    Ok(took)
}

/// The batch answered with every risk, each with `assessments` assessments.
fn check_assessed(answer: &pb::ListRisksResponse, assessments: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        answer.risks.len() == RISKS,
        "AssessRisks answered {} risks, not {RISKS}",
        answer.risks.len()
    );
    if let Some(r) = answer
        .risks
        .iter()
        .find(|r| r.assessments.len() != assessments)
    {
        anyhow::bail!(
            "risk {} has {} assessments, not {assessments}",
            r.id,
            r.assessments.len()
        );
    }
    Ok(())
}

pub async fn run() -> anyhow::Result<()> {
    println!("== risks ==");
    let running = start()?;
    let channel = connect(&running.url).await?;
    let (token, created) = register(&channel, &running.url, "bench-risks").await?;
    println!(
        "CreateRisk x {RISKS} with {WRITERS} writers: {} ({:.0}/s)",
        ms(created),
        RISKS as f64 / created.as_secs_f64()
    );

    let took = assess_all(&channel, &token, 1, |i| {
        vec![
            number("likelihood", (i % 5 + 1) as f64),
            number("impact", (i / 5 % 5 + 1) as f64),
        ]
    })
    .await?;
    println!(
        "AssessRisks: {RISKS} risks in one batch with risk-iso27005 (authorize each, assess, store with one audit event): {}",
        ms(took)
    );
    let steps = ["Very Low", "Low", "Moderate", "High", "Very High"];
    let nist_inputs = |i: usize| {
        vec![
            text("likelihood_of_initiation", steps[i % 5]),
            text("likelihood_of_impact", steps[i / 5 % 5]),
            text("impact", steps[i / 25 % 5]),
        ]
    };
    let nist = migrate(&channel, &token, "risk-nist-800-30", nist_inputs).await?;
    println!(
        "MigrateRiskMethodology to risk-nist-800-30: {RISKS} risks re-assessed: {}",
        ms(nist)
    );
    // The other matrix method through AssessRisks: a third assessment of each risk.
    let took = assess_all(&channel, &token, 3, nist_inputs).await?;
    println!(
        "AssessRisks: {RISKS} risks in one batch with risk-nist-800-30 (each its third assessment): {}",
        ms(took)
    );
    // NIST SP 800-30 as an organisation's method from the start: each risk's first assessment.
    let (nist_token, _) = register(&channel, &running.url, "bench-risks-nist").await?;
    client(&channel)
        .set_risk_methodology(req(
            pb::SetRiskMethodologyRequest {
                methodology: "risk-nist-800-30".into(),
                ..Default::default()
            },
            &nist_token,
        ))
        .await?;
    let took = assess_all(&channel, &nist_token, 1, nist_inputs).await?;
    println!(
        "AssessRisks: {RISKS} risks in one batch with risk-nist-800-30 (each its first assessment): {}",
        ms(took)
    );
    let fair = migrate(&channel, &token, "risk-fair", |i| {
        let f = (i % 10 + 1) as f64;
        vec![
            estimate("threat_event_frequency", 0.1 * f, 0.5 * f, f),
            estimate("vulnerability", 0.1, 0.3, 0.6),
            estimate("primary_loss", 1000.0, 10000.0 * f, 100000.0 * f),
            number("iterations", FAIR_ITERATIONS),
        ]
    })
    .await?;
    println!(
        "MigrateRiskMethodology to risk-fair at {FAIR_ITERATIONS} iterations each: {RISKS} risks: {} ({:.1} M iterations/s overall)",
        ms(fair),
        RISKS as f64 * FAIR_ITERATIONS / fair.as_secs_f64() / 1e6
    );

    // Treat every risk with three controls, then derive the SoA.
    let controls = [
        "A.8.13", "A.8.7", "A.5.15", "A.8.8", "A.5.24", "A.7.5", "A.8.24",
    ];
    let started = Instant::now();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let c = client(&connect(&running.url).await?);
        let token = token.clone();
        writers.push(tokio::spawn(async move {
            let mut c = c;
            for i in (w..RISKS).step_by(WRITERS) {
                let r = c
                    .get_risk(req(
                        pb::GetRiskRequest {
                            id: id(i),
                            ..Default::default()
                        },
                        &token,
                    ))
                    .await?
                    .into_inner();
                c.treat_risk(req(
                    pb::TreatRiskRequest {
                        id: id(i),
                        expected_revision: r.revision,
                        treatment: Some(pb::Treatment {
                            option: "mitigate".into(),
                            controls: (0..3)
                                .map(|k| format!("iso27001:{}", controls[(i + k) % controls.len()]))
                                .collect(),
                            plan: String::new(),
                        }),
                        ..Default::default()
                    },
                    &token,
                ))
                .await?;
            }
            anyhow::Ok(())
        }));
    }
    for w in writers {
        w.await??;
    }
    println!(
        "TreatRisk x {RISKS} (each read first) with {WRITERS} writers: {}",
        ms(started.elapsed())
    );
    let mut times = Vec::new();
    for _ in 0..SOA_RUNS {
        let started = Instant::now();
        client(&channel)
            .get_statement_of_applicability(req(
                pb::GetStatementOfApplicabilityRequest {
                    framework: "iso27001-2022".into(),
                    ..Default::default()
                },
                &token,
            ))
            .await?;
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "GetStatementOfApplicability over {RISKS} treated risks x 93 controls: best {}, p50 {} ({SOA_RUNS} runs)",
        ms(times[0]),
        ms(percentile(&times, 0.5))
    );
    for (kind, format) in [
        ("soa", "xlsx"),
        ("risk-assessment", "xlsx"),
        ("risk-assessment", "csv"),
        ("soa", "pdf"),
    ] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..5 {
            let started = Instant::now();
            let f = client(&channel)
                .export_report(req(
                    pb::ExportReportRequest {
                        kind: kind.into(),
                        format: format.into(),
                        framework: "iso27001-2022".into(),
                        ..Default::default()
                    },
                    &token,
                ))
                .await?
                .into_inner();
            times.push(started.elapsed());
            size = f.content.len();
        }
        times.sort();
        println!(
            "ExportReport {kind} as {format} over {RISKS} risks ({:.1} MB): best {}, p50 {} (5 runs)",
            size as f64 / 1e6,
            ms(times[0]),
            ms(percentile(&times, 0.5))
        );
    }
    bundle(&channel).await
}

/// Exports the organisation just built (10,000 assessed and treated risks, the SoA, the trail)
/// and imports it as a new organisation on the same server.
async fn bundle(channel: &Channel) -> anyhow::Result<()> {
    use rampart_proto::v1::organisation_service_client::OrganisationServiceClient;
    fn as_operator<T>(msg: T) -> tonic::Request<T> {
        let mut r = req(msg, crate::OPERATOR_TOKEN);
        r.metadata_mut().insert(
            "x-rampart-organisation",
            "bench-risks".parse().expect("ascii"),
        );
        r
    }
    let started = Instant::now();
    let mut stream = OrganisationServiceClient::new(channel.clone())
        .export_organisation(as_operator(pb::ExportOrganisationRequest::default()))
        .await?
        .into_inner();
    let mut bytes = Vec::new();
    let mut summary = None;
    while let Some(chunk) = stream.message().await? {
        summary = summary.or(chunk.summary);
        bytes.extend(chunk.data);
    }
    let exported = started.elapsed();
    let summary = summary.context("no summary")?;
    let size = bytes.len();
    let mut messages = vec![pb::ImportOrganisationRequest {
        part: Some(pb::import_organisation_request::Part::Header(
            pb::ImportHeader {
                as_id: "bench-risks-copy".into(),
                expected_head: summary.head.clone(),
                size: size as u64,
            },
        )),
    }];
    messages.extend(
        bytes
            .chunks(256 * 1024)
            .map(|c| pb::ImportOrganisationRequest {
                part: Some(pb::import_organisation_request::Part::Chunk(c.to_vec())),
            }),
    );
    let started = Instant::now();
    let imported = OrganisationServiceClient::new(channel.clone())
        .import_organisation(as_operator(tokio_stream::iter(messages)))
        .await?
        .into_inner();
    let import = started.elapsed();
    println!(
        "ExportOrganisation: {} records, {} events, {:.1} MB in {}; ImportOrganisation (verify, write, verify the chain) in {}",
        summary.records,
        imported.events,
        size as f64 / 1e6,
        ms(exported),
        ms(import)
    );
    Ok(())
}
