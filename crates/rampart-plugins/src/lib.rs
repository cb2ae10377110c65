//! The plugin host. Plugins are untrusted code: risk methodologies and framework packs, written
//! as WASM components (wasmtime) or Rhai scripts, behind one Rust trait per kind so the engine
//! never knows which runtime runs a plugin. Every call runs under the limits in [`Limits`]; a
//! plugin that breaks one fails that call with a [`PluginFailure`] naming it, and nothing else.

pub mod catalog_pack;
pub mod conformance;
mod failure;
mod limits;
pub mod manifest;
pub mod pack;
pub mod rhai;
pub mod risk;
pub mod wasm;
mod wasm_pack;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;

pub use failure::{Broke, PluginFailure};
pub use limits::{CpuMeter, Limits};
pub use manifest::{CONTRACT_VERSION, Manifest, PluginKind, Runtime};
pub use pack::FrameworkPack;
pub use risk::RiskMethodology;

/// A loaded plugin: what it declared, the exact code (digest), and its implementation.
pub struct Plugin {
    pub manifest: Manifest,
    pub dir: PathBuf,
    pub digest: String,
    pub enabled: bool,
    /// How long loading took (compilation or cache hit, `describe`, the load test).
    pub load_time: std::time::Duration,
    pub implementation: Implementation,
}

#[derive(Clone)]
pub enum Implementation {
    Risk(Arc<dyn RiskMethodology>),
    Pack(Arc<dyn FrameworkPack>),
}

impl Plugin {
    pub fn risk_methodology(&self) -> Option<&Arc<dyn RiskMethodology>> {
        match &self.implementation {
            Implementation::Risk(r) => Some(r),
            Implementation::Pack(_) => None,
        }
    }

    pub fn framework_pack(&self) -> Option<&Arc<dyn FrameworkPack>> {
        match &self.implementation {
            Implementation::Pack(p) => Some(p),
            Implementation::Risk(_) => None,
        }
    }
}

/// Why a plugin could not be loaded or installed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{dir}: {message}")]
    Manifest { dir: String, message: String },
    #[error(transparent)]
    Plugin(#[from] PluginFailure),
}

/// Every loaded plugin, by id, and the runtimes that run them.
pub struct PluginHost {
    wasm: Arc<wasm::WasmHost>,
    limits: Limits,
    plugins: RwLock<BTreeMap<String, Arc<Plugin>>>,
}

impl PluginHost {
    /// `cache_dir`: where compiled WASM components are kept (None: compile on every load).
    pub fn new(limits: Limits, cache_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let wasm = Arc::new(wasm::WasmHost::new(limits.clone(), cache_dir)?);
        Ok(PluginHost {
            wasm,
            limits,
            plugins: RwLock::new(BTreeMap::new()),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Loads every `*/plugin.toml` under `root` (a plugin that fails to load is reported and
    /// left out; the others load). Returns one line per directory tried.
    pub fn load_all(&self, root: &Path) -> Vec<(PathBuf, Result<Arc<Plugin>, LoadError>)> {
        let mut dirs: Vec<PathBuf> = match std::fs::read_dir(root) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                // Hidden directories are an install's staging area or leftovers, never plugins.
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .filter(|p| p.join(manifest::MANIFEST_FILE).is_file())
                .collect(),
            Err(_) => vec![],
        };
        dirs.sort();
        dirs.into_iter()
            .map(|dir| {
                let loaded = self.prepare(&dir).map(|p| self.insert(p));
                (dir, loaded)
            })
            .collect()
    }

    /// Reads, validates, loads and load-tests the plugin in `dir` without adding it.
    pub fn prepare(&self, dir: &Path) -> Result<Plugin, LoadError> {
        let started = Instant::now();
        let shown = dir.display().to_string();
        let manifest = Manifest::read(dir).map_err(|message| LoadError::Manifest {
            dir: shown.clone(),
            message,
        })?;
        let entry = manifest.entry_path(dir);
        if !entry.is_file() {
            let hint = if manifest.runtime == Runtime::Wasm {
                " (build it with `cargo xtask build-plugins`)"
            } else {
                ""
            };
            return Err(LoadError::Manifest {
                dir: shown,
                message: format!("entry {} does not exist{hint}", manifest.entry),
            });
        }
        let digest = manifest::digest(dir, &manifest).map_err(|e| LoadError::Manifest {
            dir: shown.clone(),
            message: e.to_string(),
        })?;
        let implementation = match (manifest.kind, manifest.runtime) {
            (PluginKind::RiskMethodology, Runtime::Wasm) => {
                let r = self.wasm.load_risk_methodology(
                    &manifest.id,
                    &entry,
                    manifest.contract_since(2),
                )?;
                Implementation::Risk(Arc::new(r))
            }
            (PluginKind::RiskMethodology, Runtime::Rhai) => {
                let r = rhai::RhaiRiskMethodology::load(&manifest.id, dir, &entry, &self.limits)?;
                Implementation::Risk(Arc::new(r))
            }
            (PluginKind::FrameworkPack, Runtime::Wasm) => {
                let p = self.wasm.load_framework_pack(&manifest.id, &entry)?;
                Implementation::Pack(Arc::new(p))
            }
            (PluginKind::FrameworkPack, Runtime::Rhai) => {
                let p = rhai::RhaiFrameworkPack::load(&manifest.id, dir, &entry, &self.limits)?;
                Implementation::Pack(Arc::new(p))
            }
            (PluginKind::FrameworkPack, Runtime::Catalog) => {
                let p = catalog_pack::CatalogPack::load(&manifest.id, &entry)?;
                Implementation::Pack(Arc::new(p))
            }
            (PluginKind::RiskMethodology, Runtime::Catalog) => {
                return Err(LoadError::Manifest {
                    dir: shown,
                    message: "runtime \"catalog\" is for framework packs only".into(),
                });
            }
        };
        match &implementation {
            Implementation::Risk(r) => conformance::load_test(&manifest.id, r.as_ref())?,
            Implementation::Pack(p) => pack::load_test(&manifest.id, p.as_ref())?,
        }
        Ok(Plugin {
            manifest,
            dir: dir.to_path_buf(),
            digest,
            enabled: true,
            load_time: started.elapsed(),
            implementation,
        })
    }

    /// Adds a prepared plugin, replacing any plugin with the same id.
    pub fn insert(&self, plugin: Plugin) -> Arc<Plugin> {
        let plugin = Arc::new(plugin);
        self.plugins
            .write()
            .expect("plugin registry")
            .insert(plugin.manifest.id.clone(), plugin.clone());
        plugin
    }

    pub fn list(&self) -> Vec<Arc<Plugin>> {
        self.plugins
            .read()
            .expect("plugin registry")
            .values()
            .cloned()
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<Arc<Plugin>> {
        self.plugins
            .read()
            .expect("plugin registry")
            .get(id)
            .cloned()
    }

    /// Enables or disables a plugin; returns it as it is now, or None if there is no such plugin.
    pub fn set_enabled(&self, id: &str, enabled: bool) -> Option<Arc<Plugin>> {
        let mut plugins = self.plugins.write().expect("plugin registry");
        let current = plugins.get(id)?;
        let updated = Arc::new(Plugin {
            manifest: current.manifest.clone(),
            dir: current.dir.clone(),
            digest: current.digest.clone(),
            enabled,
            load_time: current.load_time,
            implementation: current.implementation.clone(),
        });
        plugins.insert(id.to_string(), updated.clone());
        Some(updated)
    }
}
