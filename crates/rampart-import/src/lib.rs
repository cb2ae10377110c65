//! Importers: third-party framework content turned into plugins the engine installs like any
//! other. An OSCAL catalog or profile, or a CISO Assistant framework library, becomes a
//! framework pack that is data only (`runtime = "catalog"`, a `catalog.json`); a CISO Assistant
//! risk matrix becomes a Rhai risk methodology. Everything is parsed, converted and checked
//! against the pack contract before anything is returned, so a bad file changes nothing.

mod ciso_assistant;
mod oscal;

use std::fmt;

use rampart_plugins::manifest::{CONTRACT_VERSION, Manifest, PluginKind, Runtime};
use rampart_plugins::pack::{self, Catalog};

/// One file given to an import: the file to import first, then the files it depends on (the
/// catalog an OSCAL profile selects from, the libraries a CISO Assistant library names).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The id of the generated framework pack (default: derived from the file).
    pub id: Option<String>,
    /// For a risk matrix: the highest level that is accepted, by name or 1-based position
    /// (default: the levels whose description calls them acceptable).
    pub accept_up_to: Option<String>,
}

/// Why a file was refused: the file, the position when the parser knows it, and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError {
    pub file: String,
    /// Line and column, from 1.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl ImportError {
    pub fn new(file: &str, message: impl Into<String>) -> Self {
        ImportError {
            file: file.to_string(),
            position: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(
                f,
                "{}: line {line}, column {column}: {}",
                self.file, self.message
            ),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// How far an import has come, for a progress bar: `done` of `total` in the current stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the files (done/total in files).
    Parsing,
    /// Turning controls or requirement nodes into the catalog (done/total in items).
    Converting,
}

/// A plugin made by an importer, ready to be installed (its manifest and files).
#[derive(Debug, Clone)]
pub struct GeneratedPlugin {
    pub manifest: Manifest,
    pub files: Vec<(String, Vec<u8>)>,
    /// The catalog of a framework pack (what `catalog.json` holds).
    pub catalog: Option<Catalog>,
    /// One line on what was imported, for people.
    pub summary: String,
}

impl GeneratedPlugin {
    pub fn manifest_text(&self) -> String {
        toml::to_string(&self.manifest).expect("a manifest serialises")
    }

    fn framework_pack(
        id: String,
        mut catalog: Catalog,
        description: String,
        summary: String,
        file: &str,
    ) -> Result<GeneratedPlugin, ImportError> {
        // Links inside the framework (related controls, requirement to control) name it by id.
        for m in &mut catalog.mappings {
            if m.framework.is_empty() {
                m.framework = id.clone();
            }
        }
        pack::check_catalog(&catalog).map_err(|(_, e)| ImportError::new(file, e))?;
        let manifest = manifest(
            id,
            format!("{} {}", catalog.framework, catalog.version)
                .trim()
                .to_string(),
            PluginKind::FrameworkPack,
            Runtime::Catalog,
            "catalog.json",
            description,
            file,
        )?;
        let json = serde_json::to_vec(&catalog).expect("a catalog serialises");
        Ok(GeneratedPlugin {
            manifest,
            files: vec![("catalog.json".into(), json)],
            catalog: Some(catalog),
            summary,
        })
    }
}

fn manifest(
    id: String,
    name: String,
    kind: PluginKind,
    runtime: Runtime,
    entry: &str,
    description: String,
    file: &str,
) -> Result<Manifest, ImportError> {
    let m = Manifest {
        id,
        name,
        version: "1.0.0".into(),
        kind,
        runtime,
        entry: entry.into(),
        contract: CONTRACT_VERSION.into(),
        description,
    };
    // The same checks the host makes when it loads the plugin.
    Manifest::parse(&toml::to_string(&m).expect("a manifest serialises"))
        .map_err(|e| ImportError::new(file, format!("the generated manifest: {e}")))?;
    Ok(m)
}

/// Imports `files[0]` (with `files[1..]` as its dependencies) into one or more plugins.
pub fn import(
    files: &[SourceFile],
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<GeneratedPlugin>, ImportError> {
    let Some(main) = files.first() else {
        return Err(ImportError::new("(none)", "no file to import"));
    };
    if looks_like_json(&main.bytes) {
        oscal::import(files, options, progress)
    } else {
        ciso_assistant::import(files, options, progress)
    }
}

/// Parses every file with `parse`, reporting progress a file at a time.
fn parse_all<T>(
    files: &[SourceFile],
    parse: impl Fn(&SourceFile) -> Result<T, ImportError>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<T>, ImportError> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        progress(Progress {
            stage: Stage::Parsing,
            done: i,
            total: files.len(),
        });
        out.push(parse(f)?);
    }
    progress(Progress {
        stage: Stage::Parsing,
        done: files.len(),
        total: files.len(),
    });
    Ok(out)
}

fn looks_like_json(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

/// A plugin id from a name: lower-case letters, digits and dashes, at most 64 characters, cut at
/// a dash.
pub fn slug(prefix: &str, text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut out = format!("{prefix}{}", words.join("-"));
    while out.len() > 64 {
        match out.rfind('-') {
            Some(i) => out.truncate(i),
            None => out.truncate(64),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plugin_ids() {
        assert_eq!(
            slug("oscal-", "NIST SP 800-53 Rev. 5"),
            "oscal-nist-sp-800-53-rev-5"
        );
        assert_eq!(slug("", "  ISO/IEC 27001:2022 "), "iso-iec-27001-2022");
        let long = slug("", &"word ".repeat(30));
        assert!(long.len() <= 64 && !long.ends_with('-'), "{long}");
    }
}
