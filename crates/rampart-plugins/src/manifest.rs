//! `plugin.toml`: what a plugin directory declares about itself.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The contract version this host implements (the version of the `rampart:plugin` WIT package).
pub const CONTRACT_VERSION: &str = "1.2.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    RiskMethodology,
    FrameworkPack,
}

impl PluginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::RiskMethodology => "risk-methodology",
            PluginKind::FrameworkPack => "framework-pack",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    Wasm,
    Rhai,
    /// A framework pack that is data only (`catalog.json`, e.g. made by an importer): the host
    /// answers `suggest-controls` and `check` from the catalog itself.
    Catalog,
}

impl Runtime {
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Wasm => "wasm",
            Runtime::Rhai => "rhai",
            Runtime::Catalog => "catalog",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Lower-case letters, digits and dashes; unique among loaded plugins.
    pub id: String,
    pub name: String,
    pub version: String,
    pub kind: PluginKind,
    pub runtime: Runtime,
    /// The component (`.wasm`) or script (`.rhai`), relative to the plugin's directory.
    pub entry: String,
    /// The contract version the plugin was written for, e.g. "1.0.0".
    pub contract: String,
    #[serde(default)]
    pub description: String,
}

pub const MANIFEST_FILE: &str = "plugin.toml";

impl Manifest {
    pub fn read(dir: &Path) -> Result<Manifest, String> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Manifest::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Manifest, String> {
        let m: Manifest = toml::from_str(text).map_err(|e| e.message().to_string())?;
        m.check()?;
        Ok(m)
    }

    fn check(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !self.id.starts_with('-');
        if !id_ok {
            return Err(format!(
                "id {:?}: use 1-64 lower-case letters, digits and dashes",
                self.id
            ));
        }
        if self.version.trim().is_empty() || self.name.trim().is_empty() {
            return Err("name and version must not be empty".into());
        }
        let entry = Path::new(&self.entry);
        if self.entry.is_empty()
            || entry.is_absolute()
            || entry
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(format!(
                "entry {:?} must be a file inside the plugin's directory",
                self.entry
            ));
        }
        let wanted = match self.runtime {
            Runtime::Wasm => "wasm",
            Runtime::Rhai => "rhai",
            Runtime::Catalog => "json",
        };
        if self.runtime == Runtime::Catalog && self.kind != PluginKind::FrameworkPack {
            return Err("runtime \"catalog\" is for framework packs only".into());
        }
        if entry.extension().and_then(|e| e.to_str()) != Some(wanted) {
            return Err(format!(
                "entry {:?}: a {} plugin's entry ends in .{wanted}",
                self.entry,
                self.runtime.as_str()
            ));
        }
        check_contract(&self.contract)
    }

    /// Whether the plugin was written for contract `1.minor` or later (a checked manifest has
    /// the host's major version).
    pub fn contract_since(&self, minor: u64) -> bool {
        parse_contract(&self.contract).is_some_and(|(_, m)| m >= minor)
    }

    pub fn entry_path(&self, dir: &Path) -> PathBuf {
        dir.join(&self.entry)
    }
}

/// A plugin written for contract `major.minor.patch` runs here when the major versions are equal
/// and the host's minor version is at least the plugin's.
pub fn check_contract(version: &str) -> Result<(), String> {
    let Some((major, minor)) = parse_contract(version) else {
        return Err(format!(
            "contract {version:?} is not a version like \"1.0.0\""
        ));
    };
    let (host_major, host_minor) = parse_contract(CONTRACT_VERSION).expect("host contract version");
    if major != host_major || minor > host_minor {
        return Err(format!(
            "contract {version} does not match this engine's contract {CONTRACT_VERSION} \
             (rebuild the plugin against plugins/wit of this version)"
        ));
    }
    Ok(())
}

/// The major and minor numbers of a contract version.
fn parse_contract(v: &str) -> Option<(u64, u64)> {
    let mut parts = v.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().unwrap_or("0").parse().ok()?;
    Some((major, minor))
}

/// The content digest of a plugin: SHA-256 over its manifest, its entry and, for scripts, every
/// module it could import. Names the exact code that produced a result.
pub fn digest(dir: &Path, manifest: &Manifest) -> std::io::Result<String> {
    let mut hash = Sha256::new();
    let mut files = vec![dir.join(MANIFEST_FILE), manifest.entry_path(dir)];
    if manifest.runtime == Runtime::Rhai {
        let mut modules = Vec::new();
        collect(dir, dir, &mut modules)?;
        modules.retain(|p| !files.contains(p));
        modules.sort();
        files.extend(modules);
    }
    for f in files {
        let rel = f
            .strip_prefix(dir)
            .unwrap_or(&f)
            .to_string_lossy()
            .into_owned();
        hash.update((rel.len() as u64).to_le_bytes());
        hash.update(rel.as_bytes());
        let bytes = std::fs::read(&f)?;
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    Ok(format!("sha256:{}", hex::encode(hash.finalize())))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || name == "target" {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "rhai") {
            out.push(path);
        }
    }
    let _ = root;
    Ok(())
}
