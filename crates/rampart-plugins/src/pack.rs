//! The framework pack contract (the `framework-pack` world of `plugins/wit`) as Rust data, and
//! the checks the host makes on everything a pack returns.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::{Broke, PluginFailure};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    pub id: String,
    #[serde(default)]
    pub parent: Option<String>,
    pub title: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Control {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InformationKind {
    Maintained,
    Retained,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MandatoryInformation {
    pub id: String,
    pub title: String,
    pub kind: InformationKind,
    pub requirement: String,
    /// The clause as the standard writes it ("6.1.3 e), 6.2, 8.3").
    #[serde(default)]
    pub reference: String,
    /// When it is required, if not always ("only if the control is applicable").
    #[serde(default)]
    pub condition: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threat {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub vulnerabilities: Vec<String>,
    #[serde(default)]
    pub controls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    pub source: String,
    pub framework: String,
    pub target: String,
    pub relation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImplementationStep {
    pub order: u32,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub requirements: Vec<String>,
}

/// What `catalog` returns: the standard as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub framework: String,
    pub version: String,
    pub requirements: Vec<Requirement>,
    #[serde(default)]
    pub controls: Vec<Control>,
    #[serde(default)]
    pub mandatory: Vec<MandatoryInformation>,
    #[serde(default)]
    pub threats: Vec<Threat>,
    #[serde(default)]
    pub vulnerabilities: Vec<Vulnerability>,
    #[serde(default)]
    pub mappings: Vec<Mapping>,
    #[serde(default)]
    pub steps: Vec<ImplementationStep>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RiskContext {
    pub asset_type: String,
    pub threats: Vec<String>,
    pub vulnerabilities: Vec<String>,
    pub confidentiality: u8,
    pub integrity: u8,
    pub availability: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlSuggestion {
    pub control: String,
    #[serde(deserialize_with = "crate::risk::number")]
    pub score: f64,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub organisation: String,
    pub employees: u32,
    pub documents: Vec<String>,
    pub records: Vec<Attribute>,
    pub implemented_controls: Vec<String>,
    pub applicable_controls: Vec<String>,
    /// Figures the engine computed, by name (see docs/frameworks.md); absent when not known.
    #[serde(default)]
    pub facts: Vec<Attribute>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingStatus {
    Met,
    PartiallyMet,
    NotMet,
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub requirement: String,
    pub status: FindingStatus,
    #[serde(default)]
    pub detail: String,
}

/// One framework pack, whichever runtime runs it.
pub trait FrameworkPack: Send + Sync {
    /// What `catalog` returned when the pack was loaded (checked then).
    fn catalog(&self) -> &Catalog;
    /// Ranked control ids for a risk, best first.
    fn suggest_controls(
        &self,
        context: &RiskContext,
    ) -> Result<Vec<ControlSuggestion>, PluginFailure>;
    /// Findings per requirement for an organisation's data.
    fn check(&self, snapshot: &Snapshot) -> Result<Vec<Finding>, PluginFailure>;
}

pub const MAX_CATALOG_BYTES: usize = 16 * 1024 * 1024;
pub const MAX_SUGGESTIONS: usize = 1_000;
pub const MAX_DETAIL_BYTES: usize = 4 * 1024;

fn unique<'a>(what: &str, ids: impl Iterator<Item = &'a str>) -> Result<HashSet<&'a str>, String> {
    let mut seen = HashSet::new();
    for id in ids {
        if id.trim().is_empty() {
            return Err(format!("catalog: a {what} has an empty id"));
        }
        if !seen.insert(id) {
            return Err(format!("catalog: {what} {id:?} appears twice"));
        }
    }
    Ok(seen)
}

/// Checks a catalog: ids unique, and every reference points at something the catalog holds.
pub fn check_catalog(c: &Catalog) -> Result<(), (Broke, String)> {
    let size = serde_json::to_vec(c).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_CATALOG_BYTES {
        return Err((
            Broke::Output,
            format!("catalog: {size} bytes, more than the {MAX_CATALOG_BYTES} allowed"),
        ));
    }
    let contract = |e: String| (Broke::Contract, e);
    if c.framework.trim().is_empty() {
        return Err(contract("catalog: framework is empty".into()));
    }
    let requirements =
        unique("requirement", c.requirements.iter().map(|r| r.id.as_str())).map_err(contract)?;
    let controls = unique("control", c.controls.iter().map(|r| r.id.as_str())).map_err(contract)?;
    let vulnerabilities = unique(
        "vulnerability",
        c.vulnerabilities.iter().map(|r| r.id.as_str()),
    )
    .map_err(contract)?;
    unique("threat", c.threats.iter().map(|r| r.id.as_str())).map_err(contract)?;
    unique(
        "mandatory information",
        c.mandatory.iter().map(|r| r.id.as_str()),
    )
    .map_err(contract)?;
    let known = |id: &str| requirements.contains(id) || controls.contains(id);
    for r in &c.requirements {
        if let Some(p) = &r.parent
            && !requirements.contains(p.as_str())
        {
            return Err(contract(format!(
                "catalog: requirement {:?} has an unknown parent {p:?}",
                r.id
            )));
        }
    }
    for m in &c.mandatory {
        if !known(&m.requirement) {
            return Err(contract(format!(
                "catalog: {:?} names an unknown requirement {:?}",
                m.id, m.requirement
            )));
        }
    }
    for t in &c.threats {
        if let Some(x) = t.controls.iter().find(|x| !controls.contains(x.as_str())) {
            return Err(contract(format!(
                "catalog: threat {:?} names an unknown control {x:?}",
                t.id
            )));
        }
        if let Some(x) = t
            .vulnerabilities
            .iter()
            .find(|x| !vulnerabilities.contains(x.as_str()))
        {
            return Err(contract(format!(
                "catalog: threat {:?} names an unknown vulnerability {x:?}",
                t.id
            )));
        }
    }
    for m in &c.mappings {
        if !known(&m.source) {
            return Err(contract(format!(
                "catalog: a mapping starts at an unknown id {:?}",
                m.source
            )));
        }
    }
    for s in &c.steps {
        if let Some(x) = s.requirements.iter().find(|x| !known(x)) {
            return Err(contract(format!(
                "catalog: step {} names an unknown requirement {x:?}",
                s.order
            )));
        }
    }
    Ok(())
}

pub fn check_suggestions(c: &Catalog, s: &[ControlSuggestion]) -> Result<(), (Broke, String)> {
    if s.len() > MAX_SUGGESTIONS {
        return Err((
            Broke::Output,
            format!(
                "suggest-controls: {} suggestions, more than {MAX_SUGGESTIONS}",
                s.len()
            ),
        ));
    }
    if s.iter().any(|x| x.reason.len() > MAX_DETAIL_BYTES) {
        return Err((
            Broke::Output,
            format!("suggest-controls: a reason longer than {MAX_DETAIL_BYTES} bytes"),
        ));
    }
    for x in s {
        if !c.controls.iter().any(|k| k.id == x.control) {
            return Err((
                Broke::Contract,
                format!(
                    "suggest-controls: unknown control {:?}",
                    crate::risk::truncate(&x.control, 64)
                ),
            ));
        }
        if !x.score.is_finite() {
            return Err((
                Broke::Contract,
                format!("suggest-controls: score of {:?} is not finite", x.control),
            ));
        }
    }
    Ok(())
}

pub fn check_findings(c: &Catalog, f: &[Finding]) -> Result<(), (Broke, String)> {
    if f.len() > c.requirements.len() + c.controls.len() {
        return Err((
            Broke::Output,
            format!(
                "check: {} findings for {} requirements",
                f.len(),
                c.requirements.len()
            ),
        ));
    }
    if f.iter().any(|x| x.detail.len() > MAX_DETAIL_BYTES) {
        return Err((
            Broke::Output,
            format!("check: a detail longer than {MAX_DETAIL_BYTES} bytes"),
        ));
    }
    for x in f {
        if !c.requirements.iter().any(|r| r.id == x.requirement)
            && !c.controls.iter().any(|k| k.id == x.requirement)
        {
            return Err((
                Broke::Contract,
                format!(
                    "check: finding for an unknown requirement {:?}",
                    crate::risk::truncate(&x.requirement, 64)
                ),
            ));
        }
    }
    Ok(())
}

/// A risk context and a snapshot to load-test a pack with.
pub fn sample_context() -> RiskContext {
    RiskContext {
        asset_type: "information-system".into(),
        threats: vec![],
        vulnerabilities: vec![],
        confidentiality: 3,
        integrity: 3,
        availability: 2,
    }
}

pub fn load_test(plugin: &str, p: &dyn FrameworkPack) -> Result<(), PluginFailure> {
    let mut context = sample_context();
    context.threats = p
        .catalog()
        .threats
        .iter()
        .take(3)
        .map(|t| t.id.clone())
        .collect();
    p.suggest_controls(&context)?;
    p.check(&Snapshot {
        organisation: "load-test".into(),
        employees: 10,
        ..Default::default()
    })?;
    let _ = plugin;
    Ok(())
}
