//! Plugins as use cases: list, describe, assess (on a blocking thread, under the plugin's
//! limits), install into the running engine, disable and enable. The catalogue is shared by
//! every organisation on the server.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_authz::Resource;
use rampart_domain::Invalid;
use rampart_plugins::risk::{Assessment, Input, Methodology};
use rampart_plugins::{Broke, Limits, Plugin, PluginFailure, PluginHost};

use crate::{Caller, Engine, EngineError};

/// Where plugins come from and where installed ones go.
#[derive(Debug, Clone, Default)]
pub struct PluginOptions {
    /// Directories of shipped plugins (each `*/plugin.toml` under them is loaded at start).
    pub dirs: Vec<PathBuf>,
    /// Where plugins installed through the API are kept (and loaded from at start).
    pub installed: Option<PathBuf>,
    /// Where compiled WASM components are cached between runs.
    pub cache: Option<PathBuf>,
    pub limits: Limits,
}

/// One line of the start-up report: a plugin loaded, or why it was not.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub dir: PathBuf,
    pub outcome: Result<PluginInfo, String>,
}

/// A plugin as the API shows it.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    pub id: String,
    pub name: String,
    pub version: String,
    pub kind: String,
    pub runtime: String,
    pub contract: String,
    pub digest: String,
    pub enabled: bool,
    pub description: String,
    pub source: String,
    pub load_time: Duration,
}

pub(crate) struct Plugins {
    pub host: PluginHost,
    pub installed: Option<PathBuf>,
    /// Serialises installs, so two uploads of one id cannot interleave on disk.
    pub install_lock: tokio::sync::Mutex<()>,
}

impl Plugins {
    pub fn empty() -> Result<Plugins, EngineError> {
        let host = PluginHost::new(Limits::default(), None)
            .map_err(|e| EngineError::Internal(format!("plugin host: {e}")))?;
        Ok(Plugins {
            host,
            installed: None,
            install_lock: Default::default(),
        })
    }
}

/// The largest plugin upload: manifest and files together.
const MAX_UPLOAD: usize = 32 * 1024 * 1024;

fn info(p: &Plugin, installed: Option<&Path>) -> PluginInfo {
    let source = match installed {
        Some(dir) if p.dir.starts_with(dir) => "installed",
        _ => "shipped",
    };
    PluginInfo {
        id: p.manifest.id.clone(),
        name: p.manifest.name.clone(),
        version: p.manifest.version.clone(),
        kind: p.manifest.kind.as_str().into(),
        runtime: p.manifest.runtime.as_str().into(),
        contract: p.manifest.contract.clone(),
        digest: p.digest.clone(),
        enabled: p.enabled,
        description: p.manifest.description.clone(),
        source: source.into(),
        load_time: p.load_time,
    }
}

/// A methodology's verdict on bad inputs ("likelihood: 7 is outside 1..5") as INVALID_ARGUMENT
/// naming the input.
pub(crate) fn refused_inputs(message: &str) -> EngineError {
    let field = message.split(':').next().unwrap_or("inputs").trim();
    let field = if field.contains(' ') || field.is_empty() {
        "inputs"
    } else {
        field
    };
    let said = message
        .strip_prefix(&format!("{field}: "))
        .unwrap_or(message);
    EngineError::Invalid(Invalid::new(format!("inputs.{field}"), said))
}

impl From<PluginFailure> for EngineError {
    fn from(f: PluginFailure) -> Self {
        EngineError::Plugin(f)
    }
}

impl Engine {
    /// Sets up the plugin host and loads every shipped and installed plugin. A plugin that fails
    /// to load is reported and left out; the engine starts anyway.
    pub fn load_plugins(
        &mut self,
        options: &PluginOptions,
    ) -> Result<Vec<LoadReport>, EngineError> {
        if let Some(dir) = &options.installed {
            std::fs::create_dir_all(dir).map_err(|e| {
                EngineError::FailedPrecondition(format!(
                    "cannot create the plugin directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let host = PluginHost::new(options.limits.clone(), options.cache.clone())
            .map_err(|e| EngineError::Internal(format!("plugin host: {e}")))?;
        let mut reports = Vec::new();
        let installed = options.installed.clone();
        for dir in options.dirs.iter().chain(installed.iter()) {
            for (plugin_dir, outcome) in host.load_all(dir) {
                reports.push(LoadReport {
                    dir: plugin_dir,
                    outcome: outcome
                        .map(|p| info(&p, installed.as_deref()))
                        .map_err(|e| e.to_string()),
                });
            }
        }
        self.plugins = Arc::new(Plugins {
            host,
            installed,
            install_lock: Default::default(),
        });
        Ok(reports)
    }

    pub(crate) fn catalog(caller: &Caller) -> Resource {
        Resource::PluginCatalog {
            organisation: caller
                .principal
                .organisation()
                .unwrap_or_default()
                .to_string(),
        }
    }

    fn plugin(&self, id: &str) -> Result<Arc<Plugin>, EngineError> {
        self.plugins
            .host
            .get(id)
            .ok_or_else(|| EngineError::NotFound(format!("plugin {id}")))
    }

    pub fn list_plugins(
        &self,
        caller: &Caller,
        kind: &str,
    ) -> Result<Vec<PluginInfo>, EngineError> {
        self.authorize(caller, "plugin.list", &Self::catalog(caller))?;
        let installed = self.plugins.installed.as_deref();
        Ok(self
            .plugins
            .host
            .list()
            .iter()
            .filter(|p| kind.is_empty() || p.manifest.kind.as_str() == kind)
            .map(|p| info(p, installed))
            .collect())
    }

    pub fn describe_plugin(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(PluginInfo, Option<Methodology>), EngineError> {
        self.authorize(caller, "plugin.read", &Self::catalog(caller))?;
        let p = self.plugin(id)?;
        let methodology = p.risk_methodology().map(|m| m.methodology().clone());
        Ok((info(&p, self.plugins.installed.as_deref()), methodology))
    }

    /// Assesses one risk. The method's refusal of the inputs is INVALID_ARGUMENT; a plugin that
    /// breaks a limit or the contract is a [`EngineError::Plugin`]; either way the engine goes on.
    pub async fn assess(
        &self,
        caller: &Caller,
        id: &str,
        inputs: Vec<Input>,
    ) -> Result<(PluginInfo, Assessment, Duration), EngineError> {
        self.authorize(caller, "plugin.assess", &Self::catalog(caller))?;
        let p = self.plugin(id)?;
        if !p.enabled {
            return Err(EngineError::FailedPrecondition(format!(
                "plugin {id} is disabled; an operator can enable it with `rampart plugin enable {id}`"
            )));
        }
        let Some(method) = p.risk_methodology().cloned() else {
            return Err(EngineError::FailedPrecondition(format!(
                "plugin {id} is not a risk methodology"
            )));
        };
        // Plugin code is synchronous and may run for its whole CPU budget: keep it off the async
        // workers (and WASI's synchronous bindings must not run inside the runtime).
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || method.assess(&inputs))
            .await
            .map_err(|e| {
                EngineError::Plugin(PluginFailure::new(id, Broke::Crashed, e.to_string()))
            })??;
        let elapsed = started.elapsed();
        match result {
            Ok(a) => Ok((info(&p, self.plugins.installed.as_deref()), a, elapsed)),
            Err(message) => Err(refused_inputs(&message)),
        }
    }

    /// Installs (or upgrades) a plugin: the manifest and files are written to a staging
    /// directory, loaded and load-tested there, and only then moved into place and served.
    pub async fn install_plugin(
        &self,
        caller: &Caller,
        manifest: &str,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<PluginInfo, EngineError> {
        self.authorize(caller, "plugin.install", &Self::catalog(caller))?;
        let Some(root) = self.plugins.installed.clone() else {
            return Err(EngineError::FailedPrecondition(
                "this server has no directory for installed plugins (start it with --installed-plugins DIR)".into(),
            ));
        };
        let parsed = rampart_plugins::Manifest::parse(manifest)
            .map_err(|e| EngineError::Invalid(Invalid::new("manifest", e)))?;
        let size: usize = manifest.len() + files.iter().map(|(_, c)| c.len()).sum::<usize>();
        if size > MAX_UPLOAD {
            return Err(EngineError::Invalid(Invalid::new(
                "files",
                format!("{size} bytes, more than the {MAX_UPLOAD} allowed"),
            )));
        }
        for (path, _) in &files {
            let p = Path::new(path);
            let simple = !path.is_empty()
                && p.components().all(|c| matches!(c, Component::Normal(_)))
                && path != rampart_plugins::manifest::MANIFEST_FILE;
            if !simple {
                return Err(EngineError::Invalid(Invalid::new(
                    "files.path",
                    format!("{path:?}: a relative path inside the plugin, not plugin.toml"),
                )));
            }
        }
        let _guard = self.plugins.install_lock.lock().await;
        let engine = self.clone();
        let manifest = manifest.to_string();
        let installed = tokio::task::spawn_blocking(move || {
            engine.install_blocking(&root, &parsed, &manifest, &files)
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))??;
        Ok(installed)
    }

    fn install_blocking(
        &self,
        root: &Path,
        manifest: &rampart_plugins::Manifest,
        text: &str,
        files: &[(String, Vec<u8>)],
    ) -> Result<PluginInfo, EngineError> {
        let io = |e: std::io::Error| EngineError::Unavailable(format!("plugin directory: {e}"));
        let staging = root.join(format!(".staging-{}-{}", manifest.id, std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(io)?;
        let write = || -> std::io::Result<()> {
            std::fs::write(staging.join(rampart_plugins::manifest::MANIFEST_FILE), text)?;
            for (path, content) in files {
                let target = staging.join(path);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(target, content)?;
            }
            Ok(())
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(io(e));
        }
        let prepared = match self.plugins.host.prepare(&staging) {
            Ok(p) => p,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(EngineError::FailedPrecondition(format!(
                    "plugin refused: {e}"
                )));
            }
        };
        // Swap the directories, then load from the final place so the plugin's path is stable.
        let target = root.join(&manifest.id);
        let old = root.join(format!(".old-{}-{}", manifest.id, std::process::id()));
        let _ = std::fs::remove_dir_all(&old);
        if target.exists() {
            std::fs::rename(&target, &old).map_err(io)?;
        }
        if let Err(e) = std::fs::rename(&staging, &target) {
            let _ = std::fs::rename(&old, &target);
            return Err(io(e));
        }
        let _ = std::fs::remove_dir_all(&old);
        // The code is in memory (compiled component, compiled script and modules); only the
        // directory it came from changes.
        let mut prepared = prepared;
        prepared.dir = target;
        let plugin = self.plugins.host.insert(prepared);
        tracing::info!(plugin = %manifest.id, version = %manifest.version, digest = %plugin.digest, "plugin installed");
        Ok(info(&plugin, Some(root)))
    }

    pub fn set_plugin_enabled(
        &self,
        caller: &Caller,
        id: &str,
        enabled: bool,
    ) -> Result<PluginInfo, EngineError> {
        self.authorize(caller, "plugin.disable", &Self::catalog(caller))?;
        let p = self
            .plugins
            .host
            .set_enabled(id, enabled)
            .ok_or_else(|| EngineError::NotFound(format!("plugin {id}")))?;
        Ok(info(&p, self.plugins.installed.as_deref()))
    }
}
