//! A framework pack that is data only: `catalog.json`, as written by the importers (OSCAL, CISO
//! Assistant). There is no code to sandbox; the host answers `suggest-controls` from the
//! catalog's threats and `check` from its mandatory information and controls, the same way the
//! shipped packs do for those parts.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::pack::{
    self, Catalog, ControlSuggestion, Finding, FindingStatus, FrameworkPack, InformationKind,
    RiskContext, Snapshot,
};
use crate::{Broke, PluginFailure};

pub struct CatalogPack {
    catalog: Catalog,
}

impl CatalogPack {
    pub fn load(plugin: &str, entry: &Path) -> Result<Self, PluginFailure> {
        let fail = |broke, e: String| PluginFailure::new(plugin, broke, e);
        let size = std::fs::metadata(entry)
            .map_err(|e| fail(Broke::Contract, format!("{}: {e}", entry.display())))?
            .len();
        if size > pack::MAX_CATALOG_BYTES as u64 {
            return Err(fail(
                Broke::Output,
                format!(
                    "catalog: {size} bytes, more than the {} allowed",
                    pack::MAX_CATALOG_BYTES
                ),
            ));
        }
        let text = std::fs::read(entry)
            .map_err(|e| fail(Broke::Contract, format!("{}: {e}", entry.display())))?;
        let catalog: Catalog = serde_json::from_slice(&text).map_err(|e| {
            fail(
                Broke::Contract,
                format!(
                    "{}: line {}, column {}: {e}",
                    entry.display(),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        pack::check_catalog(&catalog).map_err(|(broke, e)| fail(broke, e))?;
        Ok(CatalogPack { catalog })
    }

    pub fn new(catalog: Catalog) -> Result<Self, (Broke, String)> {
        pack::check_catalog(&catalog)?;
        Ok(CatalogPack { catalog })
    }
}

impl FrameworkPack for CatalogPack {
    fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn suggest_controls(
        &self,
        context: &RiskContext,
    ) -> Result<Vec<ControlSuggestion>, PluginFailure> {
        // control -> (score, reasons), in catalog order for a stable ranking of equal scores.
        let mut found: BTreeMap<&str, (f64, Vec<String>)> = BTreeMap::new();
        for t in &self.catalog.threats {
            let named = context.threats.contains(&t.id);
            let exploits: Vec<&String> = t
                .vulnerabilities
                .iter()
                .filter(|v| context.vulnerabilities.contains(v))
                .collect();
            for c in &t.controls {
                let entry = found.entry(c.as_str()).or_default();
                if named {
                    entry.0 += 1.0;
                    entry.1.push(format!("treats {} ({})", t.name, t.id));
                }
                for v in &exploits {
                    entry.0 += 0.5;
                    entry.1.push(format!("{} exploits {v}", t.name));
                }
            }
        }
        let mut out: Vec<ControlSuggestion> = self
            .catalog
            .controls
            .iter()
            .filter_map(|c| {
                let (score, reasons) = found.get(c.id.as_str())?;
                (*score > 0.0).then(|| ControlSuggestion {
                    control: c.id.clone(),
                    score: *score,
                    reason: format!("{}: {}", c.title, reasons.join("; ")),
                })
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out.truncate(pack::MAX_SUGGESTIONS);
        Ok(out)
    }

    fn check(&self, snapshot: &Snapshot) -> Result<Vec<Finding>, PluginFailure> {
        let documents: HashSet<&str> = snapshot.documents.iter().map(String::as_str).collect();
        let applicable: HashSet<&str> = snapshot
            .applicable_controls
            .iter()
            .map(String::as_str)
            .collect();
        let implemented: HashSet<&str> = snapshot
            .implemented_controls
            .iter()
            .map(String::as_str)
            .collect();
        let overdue: HashSet<&str> = snapshot
            .facts
            .iter()
            .filter(|f| f.name == "overdue-review")
            .map(|f| f.value.as_str())
            .collect();
        let records: BTreeMap<&str, f64> = snapshot
            .records
            .iter()
            .map(|r| (r.name.as_str(), r.value.trim().parse().unwrap_or(0.0)))
            .collect();
        let controls: HashSet<&str> = self
            .catalog
            .controls
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        let decided = !applicable.is_empty();

        let mut results: Vec<(String, Tally)> = Vec::new();
        let mut add = |requirement: &str, outcome: Outcome, text: String| {
            let i = match results.iter().position(|(r, _)| r == requirement) {
                Some(i) => i,
                None => {
                    results.push((requirement.to_string(), Tally::default()));
                    results.len() - 1
                }
            };
            results[i].1.add(outcome, text);
        };
        for m in &self.catalog.mandatory {
            if controls.contains(m.requirement.as_str())
                && decided
                && !applicable.contains(m.requirement.as_str())
            {
                continue;
            }
            let shown = if m.reference.is_empty() {
                &m.requirement
            } else {
                &m.reference
            };
            match m.kind {
                InformationKind::Maintained if !documents.contains(m.id.as_str()) => add(
                    &m.requirement,
                    Outcome::NotMet,
                    format!("no approved document: {} ({shown})", m.title),
                ),
                InformationKind::Maintained if overdue.contains(m.id.as_str()) => add(
                    &m.requirement,
                    Outcome::Partial,
                    format!("{} is past its review date", m.title),
                ),
                InformationKind::Maintained => add(
                    &m.requirement,
                    Outcome::Met,
                    format!("{} approved", m.title),
                ),
                InformationKind::Retained => match records.get(m.id.as_str()) {
                    Some(n) if *n > 0.0 => add(
                        &m.requirement,
                        Outcome::Met,
                        format!("{}: {n} retained", m.title),
                    ),
                    _ => add(
                        &m.requirement,
                        Outcome::NotMet,
                        format!("no record retained: {} ({shown})", m.title),
                    ),
                },
            }
        }
        let mut out = Vec::new();
        if decided {
            for c in &self.catalog.controls {
                if implemented.contains(c.id.as_str()) {
                    add(&c.id, Outcome::Met, "applicable and implemented".into());
                } else if applicable.contains(c.id.as_str()) {
                    add(
                        &c.id,
                        Outcome::Partial,
                        "applicable, not implemented yet".into(),
                    );
                } else {
                    out.push(Finding {
                        requirement: c.id.clone(),
                        status: FindingStatus::NotApplicable,
                        detail: "excluded in the Statement of Applicability".into(),
                    });
                }
            }
        }
        out.extend(
            results
                .into_iter()
                .map(|(requirement, t)| t.finding(requirement)),
        );
        Ok(out)
    }
}

#[derive(Clone, Copy)]
enum Outcome {
    Met,
    Partial,
    NotMet,
}

#[derive(Default)]
struct Tally {
    met: usize,
    partial: usize,
    total: usize,
    problems: Vec<String>,
    fine: Vec<String>,
}

impl Tally {
    fn add(&mut self, outcome: Outcome, text: String) {
        self.total += 1;
        match outcome {
            Outcome::Met => {
                self.met += 1;
                self.fine.push(text);
            }
            Outcome::Partial => {
                self.partial += 1;
                self.problems.push(text);
            }
            Outcome::NotMet => self.problems.push(text),
        }
    }

    fn finding(self, requirement: String) -> Finding {
        let status = if self.met == self.total {
            FindingStatus::Met
        } else if self.met + self.partial > 0 {
            FindingStatus::PartiallyMet
        } else {
            FindingStatus::NotMet
        };
        let texts = if self.problems.is_empty() {
            self.fine
        } else {
            self.problems
        };
        let mut detail = texts.join("; ");
        if detail.len() > pack::MAX_DETAIL_BYTES {
            detail = crate::risk::truncate(&detail, pack::MAX_DETAIL_BYTES - 4);
        }
        Finding {
            requirement,
            status,
            detail,
        }
    }
}
