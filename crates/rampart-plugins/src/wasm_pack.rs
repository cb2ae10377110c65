//! Framework packs as WASM components: the same sandbox as risk methodologies (see wasm.rs).

use std::path::Path;
use std::sync::Arc;

use wasmtime::Store;

use crate::pack::{
    self, Catalog, ControlSuggestion, Finding, FrameworkPack, RiskContext, Snapshot,
};
use crate::wasm::{Sandbox, WasmHost, failure};
use crate::{Broke, PluginFailure};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit",
        world: "framework-pack",
    });
}

use bindings::rampart::plugin::pack_types as wit;

pub struct WasmFrameworkPack {
    plugin: String,
    host: Arc<WasmHost>,
    pre: bindings::FrameworkPackPre<Sandbox>,
    catalog: Option<Catalog>,
}

impl WasmHost {
    /// Loads a framework pack component and reads (and checks) its catalog once.
    pub fn load_framework_pack(
        self: &Arc<Self>,
        plugin: &str,
        path: &Path,
    ) -> Result<WasmFrameworkPack, PluginFailure> {
        let fail = |e: String| PluginFailure::new(plugin, Broke::Contract, e);
        let bytes = std::fs::read(path)
            .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
        let (component, _) = self
            .component(&bytes)
            .map_err(|e| fail(format!("not a valid WASM component: {e}")))?;
        let linker = self.linker().map_err(|e| fail(e.to_string()))?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(bindings::FrameworkPackPre::new)
            .map_err(|e| {
                fail(format!(
                    "does not implement the framework-pack world: {e:?}"
                ))
            })?;
        let mut loaded = WasmFrameworkPack {
            plugin: plugin.to_string(),
            host: self.clone(),
            pre,
            catalog: None,
        };
        let catalog = Catalog::from(loaded.call(|p, s| p.call_catalog(s))?);
        pack::check_catalog(&catalog).map_err(|(broke, e)| PluginFailure::new(plugin, broke, e))?;
        loaded.catalog = Some(catalog);
        Ok(loaded)
    }
}

impl WasmFrameworkPack {
    fn call<R>(
        &self,
        f: impl FnOnce(&bindings::FrameworkPack, &mut Store<Sandbox>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginFailure> {
        let budget = self.host.limits().budget(1);
        let mut store = self.host.store(budget);
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| failure(&self.plugin, self.host.limits(), &store, e, budget))?;
        f(&instance, &mut store)
            .map_err(|e| failure(&self.plugin, self.host.limits(), &store, e, budget))
    }

    fn checked<T>(
        &self,
        value: T,
        check: impl Fn(&Catalog, &T) -> Result<(), (Broke, String)>,
    ) -> Result<T, PluginFailure> {
        check(self.catalog(), &value)
            .map_err(|(broke, e)| PluginFailure::new(&self.plugin, broke, e))?;
        Ok(value)
    }
}

impl FrameworkPack for WasmFrameworkPack {
    fn catalog(&self) -> &Catalog {
        self.catalog.as_ref().expect("the catalog is read at load")
    }

    fn suggest_controls(
        &self,
        context: &RiskContext,
    ) -> Result<Vec<ControlSuggestion>, PluginFailure> {
        let ctx = wit::RiskContext {
            asset_type: context.asset_type.clone(),
            threats: context.threats.clone(),
            vulnerabilities: context.vulnerabilities.clone(),
            confidentiality: context.confidentiality,
            integrity: context.integrity,
            availability: context.availability,
        };
        let out = self.call(|p, s| p.call_suggest_controls(s, &ctx))?;
        let out: Vec<ControlSuggestion> = out
            .into_iter()
            .map(|x| ControlSuggestion {
                control: x.control,
                score: x.score,
                reason: x.reason,
            })
            .collect();
        self.checked(out, |c, v| pack::check_suggestions(c, v))
    }

    fn check(&self, snapshot: &Snapshot) -> Result<Vec<Finding>, PluginFailure> {
        let snap = wit::Snapshot {
            organisation: snapshot.organisation.clone(),
            employees: snapshot.employees,
            documents: snapshot.documents.clone(),
            records: wit_attributes(&snapshot.records),
            implemented_controls: snapshot.implemented_controls.clone(),
            applicable_controls: snapshot.applicable_controls.clone(),
            facts: wit_attributes(&snapshot.facts),
        };
        let out = self.call(|p, s| p.call_check(s, &snap))?;
        let out: Vec<Finding> = out
            .into_iter()
            .map(|f| Finding {
                requirement: f.requirement,
                status: match f.status {
                    wit::FindingStatus::Met => pack::FindingStatus::Met,
                    wit::FindingStatus::PartiallyMet => pack::FindingStatus::PartiallyMet,
                    wit::FindingStatus::NotMet => pack::FindingStatus::NotMet,
                    wit::FindingStatus::NotApplicable => pack::FindingStatus::NotApplicable,
                },
                detail: f.detail,
            })
            .collect();
        self.checked(out, |c, v| pack::check_findings(c, v))
    }
}

fn attributes(a: Vec<wit::Attribute>) -> Vec<pack::Attribute> {
    a.into_iter()
        .map(|a| pack::Attribute {
            name: a.name,
            value: a.value,
        })
        .collect()
}

impl From<wit::Catalog> for Catalog {
    fn from(c: wit::Catalog) -> Self {
        Catalog {
            framework: c.framework,
            version: c.version,
            requirements: c
                .requirements
                .into_iter()
                .map(|r| pack::Requirement {
                    id: r.id,
                    parent: r.parent,
                    title: r.title,
                    text: r.text,
                })
                .collect(),
            controls: c
                .controls
                .into_iter()
                .map(|k| pack::Control {
                    id: k.id,
                    title: k.title,
                    text: k.text,
                    attributes: attributes(k.attributes),
                })
                .collect(),
            mandatory: c
                .mandatory
                .into_iter()
                .map(|m| pack::MandatoryInformation {
                    id: m.id,
                    title: m.title,
                    kind: match m.kind {
                        wit::InformationKind::Maintained => pack::InformationKind::Maintained,
                        wit::InformationKind::Retained => pack::InformationKind::Retained,
                    },
                    requirement: m.requirement,
                    reference: m.reference,
                    condition: m.condition,
                })
                .collect(),
            threats: c
                .threats
                .into_iter()
                .map(|t| pack::Threat {
                    id: t.id,
                    name: t.name,
                    category: t.category,
                    vulnerabilities: t.vulnerabilities,
                    controls: t.controls,
                })
                .collect(),
            vulnerabilities: c
                .vulnerabilities
                .into_iter()
                .map(|v| pack::Vulnerability {
                    id: v.id,
                    name: v.name,
                    category: v.category,
                })
                .collect(),
            mappings: c
                .mappings
                .into_iter()
                .map(|m| pack::Mapping {
                    source: m.source,
                    framework: m.framework,
                    target: m.target,
                    relation: m.relation,
                })
                .collect(),
            steps: c
                .steps
                .into_iter()
                .map(|s| pack::ImplementationStep {
                    order: s.order,
                    title: s.title,
                    description: s.description,
                    requirements: s.requirements,
                })
                .collect(),
        }
    }
}

fn wit_attributes(list: &[pack::Attribute]) -> Vec<wit::Attribute> {
    list.iter()
        .map(|a| wit::Attribute {
            name: a.name.clone(),
            value: a.value.clone(),
        })
        .collect()
}
