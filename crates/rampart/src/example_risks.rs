//! Loads `risks.toml` of an example organisation through the engine's own operations: risks
//! assessed last year with NIST SP 800-30 and migrated to the ISO/IEC 27005 matrix, treated,
//! residual risks assessed and accepted, interested parties, control decisions, an approved
//! Statement of Applicability and the treatment plan.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;
use rampart_engine::domain::interested_party::{
    InterestedParty, PartyRequirementRecord, RequirementKind,
};
use rampart_engine::domain::risk::{InputValue, RiskFields, RiskInput, Treatment, TreatmentOption};
use rampart_engine::domain::rtp::RtpItem;
use rampart_engine::domain::soa::{ControlRecord, ImplementationStatus};
use rampart_engine::{Caller, Engine, RiskAssessmentRequest};
use serde::Deserialize;

const FRAMEWORK: &str = "iso27001-2022";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RisksFile {
    risks: Vec<RiskEntry>,
    #[serde(default)]
    parties: Vec<PartyEntry>,
    #[serde(default)]
    controls: Vec<ControlEntry>,
    #[serde(default)]
    plan: Vec<PlanEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskEntry {
    id: String,
    title: String,
    assets: Vec<String>,
    threat: String,
    vulnerability: String,
    owner: String,
    nist: [String; 3],
    iso: [u8; 2],
    option: String,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    controls: Vec<String>,
    #[serde(default)]
    residual: Option<[u8; 2]>,
    #[serde(default)]
    accepted_by: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartyEntry {
    id: String,
    name: String,
    category: String,
    requirements: Vec<RequirementEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequirementEntry {
    id: String,
    kind: String,
    text: String,
    controls: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlEntry {
    control: String,
    #[serde(default)]
    applicability: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    business: String,
    #[serde(default)]
    best_practice: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    implementation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanEntry {
    control: String,
    owner: String,
    actions: String,
    due: String,
    budget: f64,
    status: String,
}

fn number(name: &str, v: f64) -> RiskInput {
    RiskInput {
        name: name.into(),
        value: InputValue::Number { value: v },
    }
}

fn text(name: &str, v: &str) -> RiskInput {
    RiskInput {
        name: name.into(),
        value: InputValue::Text { value: v.into() },
    }
}

fn iso(v: [u8; 2]) -> Vec<RiskInput> {
    vec![
        number("likelihood", v[0] as f64),
        number("impact", v[1] as f64),
    ]
}

fn pack_ref(id: &str) -> String {
    format!("{FRAMEWORK}:{id}")
}

fn controls(ids: &[String]) -> Vec<String> {
    ids.iter().map(|c| format!("iso27001:{c}")).collect()
}

fn status(field: &str, s: &str) -> anyhow::Result<Option<ImplementationStatus>> {
    if s.is_empty() {
        return Ok(None);
    }
    ImplementationStatus::parse(s)
        .map(Some)
        .with_context(|| format!("{field}: {s:?} is not a status"))
}

/// Loads the risks of `org` from `dir/risks.toml`, if there is one. `assets` maps asset names to
/// their ids.
pub async fn load(
    engine: &Engine,
    org: &str,
    dir: &Path,
    loader: &Caller,
    assets: &HashMap<String, String>,
) -> anyhow::Result<usize> {
    let path = dir.join("risks.toml");
    if !path.exists() {
        return Ok(0);
    }
    let text_of_file = std::fs::read_to_string(&path)?;
    let file: RisksFile =
        toml::from_str(&text_of_file).with_context(|| format!("{}", path.display()))?;
    for r in &file.risks {
        let fields = RiskFields {
            title: r.title.clone(),
            description: String::new(),
            assets: r
                .assets
                .iter()
                .map(|name| {
                    assets
                        .get(name)
                        .cloned()
                        .with_context(|| format!("risk {}: no asset named {name:?}", r.id))
                })
                .collect::<anyhow::Result<_>>()?,
            threat: pack_ref(&r.threat),
            vulnerability: pack_ref(&r.vulnerability),
            owner: r.owner.clone(),
        };
        engine
            .create_risk(loader, org, &r.id, fields)
            .await
            .with_context(|| format!("risk {}", r.id))?;
    }
    // Last year: NIST SP 800-30.
    engine
        .set_risk_methodology(loader, org, "risk-nist-800-30")
        .await?;
    let batch = file
        .risks
        .iter()
        .map(|r| RiskAssessmentRequest {
            risk: r.id.clone(),
            inputs: vec![
                text("likelihood_of_initiation", &r.nist[0]),
                text("likelihood_of_impact", &r.nist[1]),
                text("impact", &r.nist[2]),
            ],
            residual: false,
        })
        .collect();
    engine.assess_risks(loader, org, batch).await?;
    // This year: the ISO/IEC 27005 matrix, keeping last year's results.
    let inputs: BTreeMap<String, Vec<RiskInput>> = file
        .risks
        .iter()
        .map(|r| (r.id.clone(), iso(r.iso)))
        .collect();
    engine
        .migrate_risk_methodology(loader, org, "risk-iso27005", inputs)
        .await?;
    for r in &file.risks {
        let current = engine.get_risk(loader, org, &r.id).await?;
        engine
            .treat_risk(
                loader,
                org,
                &r.id,
                current.revision,
                Treatment {
                    option: TreatmentOption::parse("option", &r.option)?,
                    controls: controls(&r.controls),
                    plan: r.plan.clone(),
                },
            )
            .await
            .with_context(|| format!("risk {}", r.id))?;
    }
    let residual = file
        .risks
        .iter()
        .filter_map(|r| {
            Some(RiskAssessmentRequest {
                risk: r.id.clone(),
                inputs: iso(r.residual?),
                residual: true,
            })
        })
        .collect();
    engine.assess_risks(loader, org, residual).await?;
    for r in &file.risks {
        let Some(by) = &r.accepted_by else { continue };
        let who = engine.act_as_user(org, by).await?;
        let current = engine.get_risk(loader, org, &r.id).await?;
        engine
            .accept_risk(
                &who,
                org,
                &r.id,
                current.revision,
                "reviewed in the risk workshop",
            )
            .await
            .with_context(|| format!("risk {} accepted by {by}", r.id))?;
    }
    for p in &file.parties {
        let party = InterestedParty {
            id: p.id.clone(),
            name: p.name.clone(),
            category: p.category.clone(),
            requirements: p
                .requirements
                .iter()
                .map(|q| {
                    Ok(PartyRequirementRecord {
                        id: q.id.clone(),
                        kind: RequirementKind::parse("kind", &q.kind)?,
                        text: q.text.clone(),
                        controls: controls(&q.controls),
                    })
                })
                .collect::<Result<_, rampart_engine::domain::Invalid>>()?,
        };
        engine.put_party(loader, org, party, 0).await?;
    }
    for c in &file.controls {
        let record = ControlRecord {
            applicable_override: match c.applicability.as_str() {
                "applicable" => Some(true),
                "not-applicable" => Some(false),
                _ => None,
            },
            reason: c.reason.clone(),
            business: c.business.clone(),
            best_practice: c.best_practice.clone(),
            status: status("status", &c.status)?,
            implementation: c.implementation.clone(),
        };
        engine
            .set_control_record(loader, org, FRAMEWORK, &c.control, record, 0)
            .await
            .with_context(|| format!("control {}", c.control))?;
    }
    for p in &file.plan {
        let item = RtpItem {
            framework: FRAMEWORK.into(),
            control: p.control.clone(),
            owner: p.owner.clone(),
            actions: p.actions.clone(),
            due: p.due.clone(),
            budget: p.budget,
            status: status("plan.status", &p.status)?.unwrap_or(ImplementationStatus::Planned),
        };
        engine
            .set_rtp_item(loader, org, item, 0)
            .await
            .with_context(|| format!("plan {}", p.control))?;
    }
    // With the plan in place, Olivia approves the Statement of Applicability.
    let olivia = engine.act_as_user(org, "olivia").await?;
    engine
        .approve_soa(&olivia, org, FRAMEWORK, "Approved at the management review")
        .await?;
    Ok(file.risks.len())
}
