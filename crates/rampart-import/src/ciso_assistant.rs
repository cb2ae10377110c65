//! CISO Assistant libraries (YAML): a `framework` (requirement nodes linked to reference controls
//! and threats), `reference_controls`, `threats`, `risk_matrix` and `requirement_mapping_sets`.
//! A library names the libraries it depends on by URN; they are given as further files, and a
//! reference control or threat that neither the library nor its dependencies define is refused.

use std::collections::{HashMap, HashSet};

use rampart_plugins::manifest::{PluginKind, Runtime};
use rampart_plugins::pack::{Attribute, Catalog, Control, Mapping, Requirement, Threat};
use serde::Deserialize;

use crate::{GeneratedPlugin, ImportError, Options, Progress, SourceFile, Stage, manifest, slug};

#[derive(Deserialize)]
struct Library {
    urn: String,
    name: String,
    #[serde(default)]
    version: Option<serde_norway::Value>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    objects: Objects,
}

#[derive(Deserialize, Default)]
struct Objects {
    #[serde(default)]
    framework: Option<Framework>,
    #[serde(default)]
    reference_controls: Vec<ReferenceControl>,
    #[serde(default)]
    threats: Vec<LibraryThreat>,
    #[serde(default, deserialize_with = "one_or_many")]
    risk_matrix: Vec<Matrix>,
    #[serde(default, deserialize_with = "one_or_many")]
    requirement_mapping_sets: Vec<MappingSet>,
    #[serde(default, deserialize_with = "one_or_many")]
    requirement_mapping_set: Vec<MappingSet>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(x) => vec![x],
        OneOrMany::Many(v) => v,
    })
}

#[derive(Deserialize)]
struct Framework {
    urn: String,
    #[serde(default)]
    ref_id: Option<String>,
    name: String,
    #[serde(default)]
    requirement_nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    urn: String,
    #[serde(default)]
    ref_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    annotation: Option<String>,
    #[serde(default)]
    typical_evidence: Option<String>,
    #[serde(default)]
    parent_urn: Option<String>,
    #[serde(default)]
    reference_controls: Vec<String>,
    #[serde(default)]
    threats: Vec<String>,
}

#[derive(Deserialize, Clone)]
struct ReferenceControl {
    urn: String,
    #[serde(default)]
    ref_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    csf_function: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize, Clone)]
struct LibraryThreat {
    urn: String,
    #[serde(default)]
    ref_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Matrix {
    #[serde(default)]
    ref_id: Option<String>,
    name: String,
    #[serde(default)]
    description: Option<String>,
    probability: Vec<Step>,
    impact: Vec<Step>,
    risk: Vec<Step>,
    grid: Vec<Vec<usize>>,
}

#[derive(Deserialize)]
struct Step {
    #[serde(default)]
    abbreviation: Option<String>,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    hexcolor: Option<String>,
}

#[derive(Deserialize)]
struct MappingSet {
    #[serde(default)]
    name: Option<String>,
    source_framework_urn: String,
    target_framework_urn: String,
    requirement_mappings: Vec<RequirementMapping>,
}

#[derive(Deserialize)]
struct RequirementMapping {
    source_requirement_urn: String,
    target_requirement_urn: String,
    #[serde(default)]
    relationship: String,
}

fn parse(file: &SourceFile) -> Result<Library, ImportError> {
    let text = std::str::from_utf8(&file.bytes)
        .map_err(|e| ImportError::new(&file.name, format!("not UTF-8 text: {e}")))?;
    serde_norway::from_str(text).map_err(|e| ImportError {
        file: file.name.clone(),
        position: e.location().map(|l| (l.line(), l.column())),
        message: format!(
            "not a CISO Assistant library: {}",
            e.to_string().split(" at line ").next().unwrap_or_default()
        ),
    })
}

/// The last segment of a URN: "urn:intuitem:risk:library:iso27001-2022" -> "iso27001-2022".
fn tail(urn: &str) -> &str {
    urn.rsplit(':').next().unwrap_or(urn)
}

fn text(parts: &[Option<&String>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

pub fn import(
    files: &[SourceFile],
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<GeneratedPlugin>, ImportError> {
    let libraries = crate::parse_all(files, parse, progress)?;
    let main_file = &files[0].name;
    let main = &libraries[0];
    let by_urn: HashMap<&str, (&str, &Library)> = files
        .iter()
        .zip(&libraries)
        .map(|(f, l)| (l.urn.as_str(), (f.name.as_str(), l)))
        .collect();
    // The dependency closure of the main library, every one of them given.
    let mut closure = vec![main];
    let mut seen: HashSet<&str> = HashSet::from([main.urn.as_str()]);
    let mut i = 0;
    while i < closure.len() {
        for dep in &closure[i].dependencies {
            if !seen.insert(dep) {
                continue;
            }
            match by_urn.get(dep.as_str()) {
                Some((_, l)) => closure.push(l),
                None => {
                    return Err(ImportError::new(
                        main_file,
                        format!(
                            "{} depends on the library {dep}, which was not given: add its file with --with",
                            closure[i].urn
                        ),
                    ));
                }
            }
        }
        i += 1;
    }
    let controls: HashMap<&str, &ReferenceControl> = closure
        .iter()
        .flat_map(|l| &l.objects.reference_controls)
        .map(|c| (c.urn.as_str(), c))
        .collect();
    let threats: HashMap<&str, &LibraryThreat> = closure
        .iter()
        .flat_map(|l| &l.objects.threats)
        .map(|t| (t.urn.as_str(), t))
        .collect();
    let version = main
        .version
        .as_ref()
        .and_then(|v| match v {
            serde_norway::Value::Number(n) => Some(n.to_string()),
            serde_norway::Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_default();

    let mut out = Vec::new();
    let o = &main.objects;
    if let Some(framework) = &o.framework {
        let catalog = framework_catalog(
            framework, &version, &controls, &threats, main_file, progress,
        )?;
        let id = options
            .id
            .clone()
            .unwrap_or_else(|| slug("ciso-", tail(&main.urn)));
        let own_ids: HashSet<String> = o.reference_controls.iter().map(control_id).collect();
        let own = catalog
            .controls
            .iter()
            .filter(|c| own_ids.contains(&c.id))
            .count();
        let summary = format!(
            "{}: {} requirement nodes, {} reference controls ({own} from the library itself, {} through its dependencies), {} threats",
            framework.name,
            catalog.requirements.len(),
            catalog.controls.len(),
            catalog.controls.len() - own,
            catalog.threats.len()
        );
        let description = format!("Imported from the CISO Assistant library {}", main.urn);
        out.push(GeneratedPlugin::framework_pack(
            id,
            catalog,
            description,
            summary,
            main_file,
        )?);
    } else if !o.reference_controls.is_empty() || !o.threats.is_empty() {
        // A library of reference controls or threats alone: a pack that offers them.
        let catalog = Catalog {
            framework: main.name.clone(),
            version: version.clone(),
            requirements: vec![],
            controls: o.reference_controls.iter().map(control).collect(),
            mandatory: vec![],
            threats: o.threats.iter().map(|t| threat(t, vec![])).collect(),
            vulnerabilities: vec![],
            mappings: vec![],
            steps: vec![],
        };
        let summary = format!(
            "{}: {} reference controls, {} threats",
            main.name,
            catalog.controls.len(),
            catalog.threats.len()
        );
        let id = options
            .id
            .clone()
            .unwrap_or_else(|| slug("ciso-", tail(&main.urn)));
        out.push(GeneratedPlugin::framework_pack(
            id,
            catalog,
            format!("Imported from the CISO Assistant library {}", main.urn),
            summary,
            main_file,
        )?);
    }
    for set in o
        .requirement_mapping_sets
        .iter()
        .chain(&o.requirement_mapping_set)
    {
        out.push(mapping_set(
            set, &libraries, &controls, &threats, options, main_file, progress,
        )?);
    }
    for m in &o.risk_matrix {
        out.push(risk_matrix(m, options, main_file)?);
    }
    if out.is_empty() {
        return Err(ImportError::new(
            main_file,
            "the library holds nothing Rampart imports (a framework, reference controls, threats, a risk matrix or requirement mapping sets)",
        ));
    }
    Ok(out)
}

fn control_id(c: &ReferenceControl) -> String {
    c.ref_id.clone().unwrap_or_else(|| tail(&c.urn).to_string())
}

fn control(c: &ReferenceControl) -> Control {
    let mut attributes = vec![Attribute {
        name: "urn".into(),
        value: c.urn.clone(),
    }];
    for (name, value) in [("category", &c.category), ("csf-function", &c.csf_function)] {
        if let Some(v) = value {
            attributes.push(Attribute {
                name: name.into(),
                value: v.clone(),
            });
        }
    }
    Control {
        id: control_id(c),
        title: c.name.clone().unwrap_or_else(|| control_id(c)),
        text: c.description.clone().unwrap_or_default(),
        attributes,
    }
}

fn threat(t: &LibraryThreat, controls: Vec<String>) -> Threat {
    let id = t.ref_id.clone().unwrap_or_else(|| tail(&t.urn).to_string());
    Threat {
        name: t.name.clone().unwrap_or_else(|| id.clone()),
        id,
        category: String::new(),
        vulnerabilities: vec![],
        controls,
    }
}

/// Requirement ids: the node's ref_id where it is unique in the framework, else the URN's tail.
fn node_ids(nodes: &[Node]) -> HashMap<&str, String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for n in nodes {
        if let Some(r) = &n.ref_id {
            *count.entry(r.as_str()).or_default() += 1;
        }
    }
    nodes
        .iter()
        .map(|n| {
            let id = match &n.ref_id {
                Some(r) if count[r.as_str()] == 1 => r.clone(),
                _ => tail(&n.urn).to_string(),
            };
            (n.urn.as_str(), id)
        })
        .collect()
}

fn framework_catalog(
    framework: &Framework,
    version: &str,
    controls: &HashMap<&str, &ReferenceControl>,
    threats: &HashMap<&str, &LibraryThreat>,
    file: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<Catalog, ImportError> {
    let ids = node_ids(&framework.requirement_nodes);
    let mut catalog = Catalog {
        framework: framework
            .ref_id
            .clone()
            .unwrap_or_else(|| framework.name.clone()),
        version: version.to_string(),
        requirements: vec![],
        controls: vec![],
        mandatory: vec![],
        threats: vec![],
        vulnerabilities: vec![],
        mappings: vec![],
        steps: vec![],
    };
    let mut used_controls: Vec<&str> = vec![];
    // threat urn -> the controls of the requirements that name it
    let mut used_threats: Vec<(&str, Vec<String>)> = vec![];
    let total = framework.requirement_nodes.len();
    for (i, n) in framework.requirement_nodes.iter().enumerate() {
        let parent = match &n.parent_urn {
            None => None,
            Some(p) => Some(ids.get(p.as_str()).cloned().ok_or_else(|| {
                ImportError::new(
                    file,
                    format!(
                        "requirement node {} names a parent {p} the framework does not hold",
                        n.urn
                    ),
                )
            })?),
        };
        let id = ids[n.urn.as_str()].clone();
        let mut node_controls = vec![];
        for urn in &n.reference_controls {
            let Some(c) = controls.get(urn.as_str()) else {
                return Err(ImportError::new(
                    file,
                    format!(
                        "requirement node {} names the reference control {urn}, which neither the library nor the dependencies given define",
                        n.urn
                    ),
                ));
            };
            if !used_controls.contains(&urn.as_str()) {
                used_controls.push(urn);
                catalog.controls.push(control(c));
            }
            let cid = control_id(c);
            node_controls.push(cid.clone());
            catalog.mappings.push(Mapping {
                source: id.clone(),
                framework: String::new(),
                target: cid,
                relation: "reference-control".into(),
            });
        }
        for urn in &n.threats {
            if !threats.contains_key(urn.as_str()) {
                return Err(ImportError::new(
                    file,
                    format!(
                        "requirement node {} names the threat {urn}, which neither the library nor the dependencies given define",
                        n.urn
                    ),
                ));
            }
            match used_threats.iter_mut().find(|(u, _)| u == urn) {
                Some((_, cs)) => cs.extend(node_controls.iter().cloned()),
                None => used_threats.push((urn, node_controls.clone())),
            }
        }
        catalog.requirements.push(Requirement {
            title: n.name.clone().unwrap_or_else(|| id.clone()),
            id,
            parent,
            text: text(&[
                n.description.as_ref(),
                n.annotation.as_ref(),
                n.typical_evidence
                    .as_ref()
                    .map(|e| format!("Typical evidence: {e}"))
                    .as_ref(),
            ]),
        });
        if i.is_multiple_of(100) {
            progress(Progress {
                stage: Stage::Converting,
                done: i,
                total,
            });
        }
    }
    for (urn, mut cs) in used_threats {
        cs.sort();
        cs.dedup();
        catalog.threats.push(threat(threats[urn], cs));
    }
    progress(Progress {
        stage: Stage::Converting,
        done: total,
        total,
    });
    Ok(catalog)
}

/// A mapping set becomes its source framework (given as a dependency) with the mappings to the
/// target framework, whose requirements are named by their ref_id when the target library is
/// given, else by the URN's tail.
fn mapping_set(
    set: &MappingSet,
    libraries: &[Library],
    controls: &HashMap<&str, &ReferenceControl>,
    threats: &HashMap<&str, &LibraryThreat>,
    options: &Options,
    file: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<GeneratedPlugin, ImportError> {
    let find = |urn: &str| {
        libraries
            .iter()
            .find(|l| l.objects.framework.as_ref().is_some_and(|f| f.urn == urn))
    };
    let Some(source) = find(&set.source_framework_urn) else {
        return Err(ImportError::new(
            file,
            format!(
                "the mapping set starts at {}: give its library with --with",
                set.source_framework_urn
            ),
        ));
    };
    let source_framework = source
        .objects
        .framework
        .as_ref()
        .expect("found by framework");
    let source_ids = node_ids(&source_framework.requirement_nodes);
    let target_ids: HashMap<&str, String> = find(&set.target_framework_urn)
        .and_then(|l| l.objects.framework.as_ref())
        .map(|f| node_ids(&f.requirement_nodes))
        .unwrap_or_default();
    let version = source
        .version
        .as_ref()
        .map(|v| match v {
            serde_norway::Value::Number(n) => n.to_string(),
            serde_norway::Value::String(s) => s.clone(),
            _ => String::new(),
        })
        .unwrap_or_default();
    let mut catalog = framework_catalog(
        source_framework,
        &version,
        controls,
        threats,
        file,
        progress,
    )?;
    let target = tail(&set.target_framework_urn).to_string();
    for m in &set.requirement_mappings {
        let Some(from) = source_ids.get(m.source_requirement_urn.as_str()) else {
            return Err(ImportError::new(
                file,
                format!(
                    "a mapping starts at {}, which {} does not hold",
                    m.source_requirement_urn, source_framework.urn
                ),
            ));
        };
        let to = target_ids
            .get(m.target_requirement_urn.as_str())
            .cloned()
            .unwrap_or_else(|| tail(&m.target_requirement_urn).to_string());
        catalog.mappings.push(Mapping {
            source: from.clone(),
            framework: target.clone(),
            target: to,
            relation: m.relationship.clone(),
        });
    }
    let id = options
        .id
        .clone()
        .unwrap_or_else(|| slug("ciso-", tail(&source.urn)));
    let summary = format!(
        "{}: {} requirement nodes with {} mappings to {target}",
        set.name.as_deref().unwrap_or(&source_framework.name),
        catalog.requirements.len(),
        set.requirement_mappings.len()
    );
    GeneratedPlugin::framework_pack(
        id,
        catalog,
        format!(
            "Imported from the CISO Assistant libraries {} and its mapping set to {target}",
            source.urn
        ),
        summary,
        file,
    )
}

/// "1 - very low" -> "very low" when the number is the step's abbreviation.
fn step_name(s: &Step) -> String {
    if let Some(a) = &s.abbreviation
        && let Some(rest) = s.name.strip_prefix(&format!("{a} - "))
    {
        return rest.trim().to_string();
    }
    s.name.trim().to_string()
}

fn rhai_string(s: &str) -> String {
    // A JSON string literal is a Rhai string literal (same escapes for quotes, backslashes and
    // control characters).
    serde_json::to_string(s).expect("a string serialises")
}

/// A risk matrix becomes a Rhai methodology: likelihood (the matrix's probability) and impact on
/// the matrix's scales, the level from the grid.
fn risk_matrix(m: &Matrix, options: &Options, file: &str) -> Result<GeneratedPlugin, ImportError> {
    let bad = |e: String| ImportError::new(file, format!("risk matrix {:?}: {e}", m.name));
    let (rows, columns, levels) = (m.probability.len(), m.impact.len(), m.risk.len());
    if rows == 0 || columns == 0 || levels == 0 {
        return Err(bad(
            "probability, impact and risk must each have a step".into()
        ));
    }
    if m.grid.len() != rows || m.grid.iter().any(|r| r.len() != columns) {
        return Err(bad(format!(
            "the grid must have {rows} rows (probability) of {columns} cells (impact)"
        )));
    }
    if let Some(cell) = m.grid.iter().flatten().find(|c| **c >= levels) {
        return Err(bad(format!(
            "the grid names risk level {cell}, but there are {levels} levels"
        )));
    }
    let names: Vec<String> = m.risk.iter().map(step_name).collect();
    let accepted_up_to = match &options.accept_up_to {
        Some(wanted) => {
            let by_name = names.iter().position(|n| n.eq_ignore_ascii_case(wanted));
            let by_number = wanted
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=levels).contains(n))
                .map(|n| n - 1);
            Some(by_name.or(by_number).ok_or_else(|| {
                bad(format!(
                    "--accept-up-to {wanted:?} is not one of the levels {names:?} or 1..{levels}"
                ))
            })?)
        }
        None => None,
    };
    let acceptable = |i: usize| match accepted_up_to {
        Some(top) => i <= top,
        None => m.risk[i]
            .description
            .as_deref()
            .map(|d| {
                let d = d.to_lowercase();
                d.contains("acceptable") && !d.contains("unacceptable")
            })
            .unwrap_or(false),
    };
    let accepted: Vec<&str> = (0..levels)
        .filter(|i| acceptable(*i))
        .map(|i| names[i].as_str())
        .collect();
    let scale = |steps: &[Step]| {
        steps
            .iter()
            .map(|s| rhai_string(&step_name(s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let level_rows = (0..levels)
        .map(|i| {
            format!(
                "    #{{ name: {}, colour: {}, acceptable: {}, description: {} }},",
                rhai_string(&names[i]),
                rhai_string(m.risk[i].hexcolor.as_deref().unwrap_or("#808080")),
                acceptable(i),
                rhai_string(m.risk[i].description.as_deref().unwrap_or(""))
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let grid = m
        .grid
        .iter()
        .map(|r| {
            format!(
                "    [{}],",
                r.iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let acceptance = if accepted.is_empty() {
        "no level is accepted".to_string()
    } else {
        format!(
            "{} accepted; higher levels need treatment",
            accepted.join(", ")
        )
    };
    let script = format!(
        r#"// Generated by `rampart framework import` from the CISO Assistant risk matrix {name}.
// Likelihood (the matrix's probability) and impact are steps 1..N of their scales; the grid cell
// is the risk level. Edit freely: this is a methodology like any other.

const LIKELIHOOD = [{likelihood}];
const IMPACT = [{impact}];
const LEVELS = [
{level_rows}
];
// Rows: likelihood; columns: impact; cells: index into LEVELS.
const MATRIX = [
{grid}
];

fn scale(names) {{
    let steps = [];
    for (n, i) in names {{
        steps.push(#{{ value: i + 1, name: n, description: "" }});
    }}
    #{{ scale: steps }}
}}

fn describe() {{
    #{{
        name: {name},
        version: "1.0.0",
        description: {description},
        inputs: [
            #{{ name: "likelihood", label: "Likelihood", optional: false,
               help: `How likely the risk scenario is, 1 to ${{global::LIKELIHOOD.len()}}`,
               kind: scale(global::LIKELIHOOD) }},
            #{{ name: "impact", label: "Impact", optional: false,
               help: `The consequence, 1 to ${{global::IMPACT.len()}}`,
               kind: scale(global::IMPACT) }},
        ],
        levels: global::LEVELS,
        acceptance: {acceptance},
    }}
}}

fn step(inputs, name, top) {{
    if !inputs.contains(name) {{ throw `${{name}}: missing`; }}
    let v = inputs[name];
    let t = type_of(v);
    if t != "i64" && t != "f64" {{ throw `${{name}}: expected a number`; }}
    if v < 1 || v > top {{ throw `${{name}}: ${{v}} is outside 1..${{top}}`; }}
    if t == "f64" {{ throw `${{name}}: ${{v}} is not a step of the scale 1..${{top}}`; }}
    v
}}

fn assess(inputs) {{
    let given = by_name(inputs);
    let likelihood = step(given, "likelihood", global::LIKELIHOOD.len());
    let impact = step(given, "impact", global::IMPACT.len());
    let index = global::MATRIX[likelihood - 1][impact - 1];
    let level = global::LEVELS[index];
    #{{
        score: (index + 1).to_float(),
        level: level.name,
        acceptable: level.acceptable,
        explanation: `likelihood ${{likelihood}} (${{global::LIKELIHOOD[likelihood - 1]}}) and impact ${{impact}} (${{global::IMPACT[impact - 1]}}) give risk level ${{index + 1}} (${{level.name}})`,
    }}
}}

fn assess_batch(batch) {{
    batch.map(|inputs| assess_or_message(inputs))
}}

fn assess_or_message(inputs) {{
    try {{ return assess(inputs); }} catch (e) {{ return `${{e}}`; }}
}}
"#,
        name = rhai_string(&m.name),
        likelihood = scale(&m.probability),
        impact = scale(&m.impact),
        description = rhai_string(m.description.as_deref().unwrap_or("")),
        acceptance = rhai_string(&acceptance),
    );
    let id = options
        .id
        .clone()
        .unwrap_or_else(|| slug("ciso-", m.ref_id.as_deref().unwrap_or(&m.name)));
    let manifest = manifest(
        id,
        m.name.clone(),
        PluginKind::RiskMethodology,
        Runtime::Rhai,
        "method.rhai",
        format!(
            "{}x{} risk matrix imported from CISO Assistant ({})",
            rows, columns, acceptance
        ),
        file,
    )?;
    Ok(GeneratedPlugin {
        manifest,
        files: vec![("method.rhai".into(), script.into_bytes())],
        catalog: None,
        summary: format!(
            "{}: a {rows}x{columns} matrix with {levels} levels ({acceptance})",
            m.name
        ),
    })
}
