//! OSCAL (JSON) catalogs and profiles. A catalog's groups become requirements and its controls and
//! enhancements become controls (withdrawn ones kept and marked, so links to them survive); a
//! profile selects a baseline from the catalog it imports, which is given as a second file.

use std::collections::{HashMap, HashSet};

use rampart_plugins::pack::{Attribute, Catalog, Control, Mapping, Requirement};
use serde::Deserialize;

use crate::{GeneratedPlugin, ImportError, Options, Progress, SourceFile, Stage, slug};

#[derive(Deserialize)]
struct Document {
    catalog: Option<OscalCatalog>,
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Metadata {
    title: String,
    #[serde(default)]
    version: String,
}

#[derive(Deserialize)]
struct OscalCatalog {
    metadata: Metadata,
    #[serde(default)]
    groups: Vec<Group>,
    #[serde(default)]
    controls: Vec<OscalControl>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(default)]
    id: Option<String>,
    title: String,
    #[serde(default)]
    groups: Vec<Group>,
    #[serde(default)]
    controls: Vec<OscalControl>,
}

#[derive(Deserialize)]
struct OscalControl {
    id: String,
    #[serde(default)]
    class: String,
    title: String,
    #[serde(default)]
    params: Vec<Param>,
    #[serde(default)]
    props: Vec<Prop>,
    #[serde(default)]
    links: Vec<Link>,
    #[serde(default)]
    parts: Vec<Part>,
    #[serde(default)]
    controls: Vec<OscalControl>,
}

#[derive(Deserialize)]
struct Prop {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct Link {
    href: String,
    #[serde(default)]
    rel: String,
}

#[derive(Deserialize)]
struct Param {
    id: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    select: Option<Select>,
}

#[derive(Deserialize)]
struct Select {
    #[serde(default, rename = "how-many")]
    how_many: String,
    #[serde(default)]
    choice: Vec<String>,
}

#[derive(Deserialize)]
struct Part {
    name: String,
    #[serde(default)]
    prose: String,
    #[serde(default)]
    props: Vec<Prop>,
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
struct Profile {
    metadata: Metadata,
    imports: Vec<ProfileImport>,
}

#[derive(Deserialize)]
struct ProfileImport {
    href: String,
    #[serde(default, rename = "include-all")]
    include_all: Option<serde_json::Value>,
    #[serde(default, rename = "include-controls")]
    include_controls: Vec<Selector>,
    #[serde(default, rename = "exclude-controls")]
    exclude_controls: Vec<Selector>,
}

#[derive(Deserialize)]
struct Selector {
    #[serde(default, rename = "with-ids")]
    with_ids: Vec<String>,
}

fn parse(file: &SourceFile) -> Result<Document, ImportError> {
    let doc: Document = serde_json::from_slice(&file.bytes).map_err(|e| ImportError {
        file: file.name.clone(),
        position: Some((e.line(), e.column())),
        message: e.to_string(),
    })?;
    if doc.catalog.is_none() && doc.profile.is_none() {
        return Err(ImportError::new(
            &file.name,
            "not an OSCAL catalog or profile (no top-level \"catalog\" or \"profile\"); other OSCAL models are not supported",
        ));
    }
    Ok(doc)
}

pub fn import(
    files: &[SourceFile],
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<GeneratedPlugin>, ImportError> {
    let main = &files[0];
    let docs = crate::parse_all(files, parse, progress)?;
    let mut docs = docs.into_iter();
    let first = docs.next().expect("one file at least");
    if let Some(catalog) = first.catalog {
        let flat = flatten(&catalog, &main.name, progress)?;
        let id = options
            .id
            .clone()
            .unwrap_or_else(|| slug("oscal-", short_title(&catalog.metadata.title)));
        let summary = format!(
            "{}: {} controls and enhancements ({} withdrawn) in {} groups",
            catalog.metadata.title,
            flat.catalog.controls.len(),
            withdrawn(&flat.catalog),
            flat.catalog.requirements.len()
        );
        let description = format!("Imported from the OSCAL catalog {}", main.name);
        return Ok(vec![GeneratedPlugin::framework_pack(
            id,
            flat.catalog,
            description,
            summary,
            &main.name,
        )?]);
    }
    let profile = first
        .profile
        .expect("parse checked for a catalog or profile");
    let catalogs: Vec<(String, OscalCatalog)> = files[1..]
        .iter()
        .zip(docs)
        .filter_map(|(f, d)| Some((f.name.clone(), d.catalog?)))
        .collect();
    let [(catalog_file, catalog)] = catalogs.as_slice() else {
        let hrefs: Vec<&str> = profile.imports.iter().map(|i| i.href.as_str()).collect();
        return Err(ImportError::new(
            &main.name,
            format!(
                "the profile selects from the catalog {hrefs:?}: give that catalog (one OSCAL catalog file) with the profile, e.g. `rampart framework import PROFILE --with CATALOG`; {} given",
                catalogs.len()
            ),
        ));
    };
    if profile.imports.len() != 1 {
        return Err(ImportError::new(
            &main.name,
            format!(
                "the profile imports {} catalogs or profiles; only a profile over one catalog is supported",
                profile.imports.len()
            ),
        ));
    }
    let flat = flatten(catalog, catalog_file, progress)?;
    let import = &profile.imports[0];
    let known: HashSet<&str> = flat.oscal_ids.keys().map(String::as_str).collect();
    let mut selected: HashSet<&str> = if import.include_all.is_some() {
        known.clone()
    } else {
        HashSet::new()
    };
    for id in import.include_controls.iter().flat_map(|s| &s.with_ids) {
        if !known.contains(id.as_str()) {
            return Err(ImportError::new(
                &main.name,
                format!("the profile selects {id:?}, which {catalog_file} does not hold"),
            ));
        }
        selected.insert(id);
    }
    for id in import.exclude_controls.iter().flat_map(|s| &s.with_ids) {
        selected.remove(id.as_str());
    }
    if selected.is_empty() {
        return Err(ImportError::new(
            &main.name,
            "the profile selects no controls (no include-all and no include-controls with-ids)",
        ));
    }
    let labels: HashSet<&str> = selected
        .iter()
        .map(|id| flat.oscal_ids[*id].as_str())
        .collect();
    let mut baseline = flat.catalog.clone();
    baseline.controls.retain(|c| labels.contains(c.id.as_str()));
    let families: HashSet<String> = baseline
        .controls
        .iter()
        .filter_map(|c| c.attributes.iter().find(|a| a.name == "family"))
        .map(|a| a.value.clone())
        .collect();
    baseline.requirements.retain(|r| families.contains(&r.id));
    baseline
        .mappings
        .retain(|m| labels.contains(m.source.as_str()));
    baseline.framework = profile.metadata.title.clone();
    baseline.version = profile.metadata.version.clone();
    let id = options
        .id
        .clone()
        .unwrap_or_else(|| slug("oscal-", &profile.metadata.title));
    let summary = format!(
        "{}: {} controls selected from {} ({} in all)",
        profile.metadata.title,
        baseline.controls.len(),
        catalog.metadata.title,
        flat.catalog.controls.len()
    );
    let description = format!(
        "Imported from the OSCAL profile {} over {catalog_file}",
        main.name
    );
    Ok(vec![GeneratedPlugin::framework_pack(
        id,
        baseline,
        description,
        summary,
        &main.name,
    )?])
}

/// "NIST Special Publication 800-53 Revision 5: Security and Privacy Controls…" -> the part
/// before the colon.
fn short_title(title: &str) -> &str {
    title.split(':').next().unwrap_or(title).trim()
}

fn withdrawn(c: &Catalog) -> usize {
    c.controls
        .iter()
        .filter(|c| {
            c.attributes
                .iter()
                .any(|a| a.name == "status" && a.value == "withdrawn")
        })
        .count()
}

struct Flat {
    catalog: Catalog,
    /// OSCAL id ("ac-2.1") -> control id in the catalog, its label ("AC-2(1)").
    oscal_ids: HashMap<String, String>,
}

fn flatten(
    catalog: &OscalCatalog,
    file: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<Flat, ImportError> {
    // Labels first: links name controls by OSCAL id, the catalog by label.
    let mut oscal_ids = HashMap::new();
    fn labels(controls: &[OscalControl], out: &mut HashMap<String, String>) {
        for c in controls {
            out.insert(c.id.clone(), label(c));
            labels(&c.controls, out);
        }
    }
    fn group_labels(groups: &[Group], out: &mut HashMap<String, String>) {
        for g in groups {
            labels(&g.controls, out);
            group_labels(&g.groups, out);
        }
    }
    labels(&catalog.controls, &mut oscal_ids);
    group_labels(&catalog.groups, &mut oscal_ids);
    let total = oscal_ids.len();

    let mut out = Catalog {
        framework: short_title(&catalog.metadata.title).to_string(),
        version: catalog.metadata.version.clone(),
        requirements: vec![],
        controls: vec![],
        mandatory: vec![],
        threats: vec![],
        vulnerabilities: vec![],
        mappings: vec![],
        steps: vec![],
    };
    let mut walker = Walker {
        oscal_ids: &oscal_ids,
        out: &mut out,
        done: 0,
        total,
        progress,
    };
    walker.groups(&catalog.groups, None, file)?;
    walker.controls(&catalog.controls, None, None);
    progress(Progress {
        stage: Stage::Converting,
        done: total,
        total,
    });
    Ok(Flat {
        catalog: out,
        oscal_ids,
    })
}

fn label(c: &OscalControl) -> String {
    c.props
        .iter()
        .find(|p| p.name == "label")
        .map(|p| p.value.clone())
        .unwrap_or_else(|| c.id.clone())
}

struct Walker<'a> {
    oscal_ids: &'a HashMap<String, String>,
    out: &'a mut Catalog,
    done: usize,
    total: usize,
    progress: &'a mut dyn FnMut(Progress),
}

impl Walker<'_> {
    fn groups(
        &mut self,
        groups: &[Group],
        parent: Option<&str>,
        file: &str,
    ) -> Result<(), ImportError> {
        for g in groups {
            let Some(id) = &g.id else {
                return Err(ImportError::new(
                    file,
                    format!("group {:?} has no id", g.title),
                ));
            };
            let id = id.to_uppercase();
            self.out.requirements.push(Requirement {
                id: id.clone(),
                parent: parent.map(str::to_string),
                title: g.title.clone(),
                text: String::new(),
            });
            self.groups(&g.groups, Some(&id), file)?;
            self.controls(&g.controls, Some(&id), None);
        }
        Ok(())
    }

    fn controls(&mut self, controls: &[OscalControl], family: Option<&str>, parent: Option<&str>) {
        for c in controls {
            let id = self.oscal_ids[&c.id].clone();
            let mut attributes = vec![];
            let mut attribute = |name: &str, value: String| {
                attributes.push(Attribute {
                    name: name.into(),
                    value,
                })
            };
            if let Some(f) = family {
                attribute("family", f.to_string());
            }
            if let Some(p) = parent {
                attribute("enhances", p.to_string());
            }
            if !c.class.is_empty() {
                attribute("class", c.class.clone());
            }
            attribute("oscal-id", c.id.clone());
            for p in &c.props {
                if p.name == "status" || p.name == "sort-id" {
                    attribute(&p.name, p.value.clone());
                }
            }
            for l in &c.links {
                // A link names a control, or a part of one ("#ac-2_smt.k").
                let target = l.href.trim_start_matches('#');
                let Some(target) = self
                    .oscal_ids
                    .get(target)
                    .or_else(|| self.oscal_ids.get(target.split('_').next().unwrap_or("")))
                else {
                    continue;
                };
                match l.rel.as_str() {
                    "incorporated-into" | "moved-to" => {
                        attribute(&l.rel, target.clone());
                    }
                    "related" => self.out.mappings.push(Mapping {
                        source: id.clone(),
                        framework: String::new(),
                        target: target.clone(),
                        relation: "related".into(),
                    }),
                    _ => {}
                }
            }
            for p in &c.params {
                attribute("parameter", format!("{}: {}", p.id, param_text(p)));
            }
            let params: HashMap<&str, &Param> =
                c.params.iter().map(|p| (p.id.as_str(), p)).collect();
            let mut text = String::new();
            for part in c.parts.iter().filter(|p| p.name == "statement") {
                statement(part, &params, &mut text, 0);
            }
            self.out.controls.push(Control {
                id: id.clone(),
                title: c.title.clone(),
                text: text.trim_end().to_string(),
                attributes,
            });
            self.done += 1;
            if self.done.is_multiple_of(100) {
                (self.progress)(Progress {
                    stage: Stage::Converting,
                    done: self.done,
                    total: self.total,
                });
            }
            self.controls(&c.controls, family, Some(&id));
        }
    }
}

fn param_text(p: &Param) -> String {
    match (&p.label, &p.select) {
        (Some(label), _) => format!("[Assignment: {label}]"),
        (None, Some(s)) => {
            let how = if s.how_many == "one-or-more" {
                " (one or more)"
            } else {
                ""
            };
            format!("[Selection{how}: {}]", s.choice.join("; "))
        }
        (None, None) => format!("[{}]", p.id),
    }
}

/// The statement as text: each item on its own line with its label, parameters written out.
fn statement(part: &Part, params: &HashMap<&str, &Param>, out: &mut String, depth: usize) {
    let label = part
        .props
        .iter()
        .find(|p| p.name == "label")
        .map(|p| format!("{} ", p.value))
        .unwrap_or_default();
    if !part.prose.is_empty() {
        out.push_str(&"  ".repeat(depth.saturating_sub(1)));
        out.push_str(&label);
        out.push_str(&insert_params(&part.prose, params));
        out.push('\n');
    }
    for p in &part.parts {
        statement(p, params, out, depth + 1);
    }
}

/// Replaces `{{ insert: param, ac-1_prm_1 }}` by the parameter's assignment or selection.
fn insert_params(prose: &str, params: &HashMap<&str, &Param>) -> String {
    let mut out = String::with_capacity(prose.len());
    let mut rest = prose;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = rest[start + 2..start + end].trim();
        let id = inner
            .strip_prefix("insert:")
            .and_then(|s| s.trim().strip_prefix("param,"))
            .map(str::trim);
        match id.and_then(|id| params.get(id)) {
            Some(p) => out.push_str(&param_text(p)),
            None => out.push_str(&rest[start..start + end + 2]),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}
