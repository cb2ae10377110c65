//! Settings from flags, environment and a config file, in that order of precedence.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::cli::Global;

/// `rampart.toml`: any of these keys; flags and RAMPART_* variables win over it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub server: Option<String>,
    pub token: Option<String>,
    pub org: Option<String>,
    pub listen: Option<String>,
    pub db: Option<String>,
    pub db_user: Option<String>,
    pub db_pass: Option<String>,
    /// Directories of shipped plugins (default: ./plugins when it exists).
    pub plugins: Option<Vec<PathBuf>>,
    pub installed_plugins: Option<PathBuf>,
    pub plugin_cache: Option<PathBuf>,
}

pub const DEFAULT_SERVER: &str = "http://127.0.0.1:50051";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
pub const DEFAULT_DB: &str = "surrealkv://rampart-data";

pub fn load(global: &Global) -> anyhow::Result<FileConfig> {
    let (path, required): (PathBuf, bool) = match &global.config {
        Some(p) => (p.clone(), true),
        None => (PathBuf::from("rampart.toml"), false),
    };
    if !required && !Path::new(&path).exists() {
        return Ok(FileConfig::default());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config file {} is not valid", path.display()))
}

/// Client settings after precedence.
pub struct ClientSettings {
    pub server: String,
    pub token: String,
    pub org: String,
}

pub fn client(global: &Global, file: &FileConfig) -> anyhow::Result<ClientSettings> {
    let server = global
        .server
        .clone()
        .or(file.server.clone())
        .unwrap_or_else(|| DEFAULT_SERVER.into());
    let server = if server.contains("://") {
        server
    } else {
        format!("http://{server}")
    };
    let token = global
        .token
        .clone()
        .or(file.token.clone())
        .unwrap_or_default();
    if token.is_empty() {
        anyhow::bail!(
            "no API token: set RAMPART_TOKEN, pass --token, or put `token = \"…\"` in rampart.toml (the server prints the first operator token when it starts on an empty database)"
        );
    }
    let org = global.org.clone().or(file.org.clone()).unwrap_or_default();
    Ok(ClientSettings { server, token, org })
}
