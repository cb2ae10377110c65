//! Loading the schema and policy files, with every policy and template named by its `@id`, and
//! every problem located by file, line and column.

use std::collections::HashMap;
use std::str::FromStr;

use cedar_policy::{PolicyId, PolicySet, Schema, ValidationMode, Validator};
use miette::Diagnostic;

/// The schema shipped in `policies/rampart.cedarschema`.
pub const DEFAULT_SCHEMA: &str = include_str!("../../../policies/rampart.cedarschema");

/// The platform's own policies, in force for every organisation whatever its policy set says:
/// isolation between organisations, inactive users, plugins, and the operators who can always
/// repair an organisation's policies.
pub const PLATFORM_POLICIES: &[(&str, &str)] = &[
    (
        "platform/organisation-isolation.cedar",
        include_str!("../../../policies/platform/organisation-isolation.cedar"),
    ),
    (
        "platform/operators.cedar",
        include_str!("../../../policies/platform/operators.cedar"),
    ),
    (
        "platform/plugins-are-platform.cedar",
        include_str!("../../../policies/platform/plugins-are-platform.cedar"),
    ),
    (
        "platform/imports-are-platform.cedar",
        include_str!("../../../policies/platform/imports-are-platform.cedar"),
    ),
];

/// The default policy set of an organisation (`policies/*.cedar`), which it may replace.
pub const DEFAULT_POLICIES: &[(&str, &str)] = &[
    (
        "members.cedar",
        include_str!("../../../policies/members.cedar"),
    ),
    (
        "administrators.cedar",
        include_str!("../../../policies/administrators.cedar"),
    ),
    (
        "auditors.cedar",
        include_str!("../../../policies/auditors.cedar"),
    ),
    (
        "asset-owners.cedar",
        include_str!("../../../policies/asset-owners.cedar"),
    ),
    (
        "documents.cedar",
        include_str!("../../../policies/documents.cedar"),
    ),
    (
        "need-to-know.cedar",
        include_str!("../../../policies/need-to-know.cedar"),
    ),
    (
        "handling.cedar",
        include_str!("../../../policies/handling.cedar"),
    ),
    (
        "grants.cedar",
        include_str!("../../../policies/grants.cedar"),
    ),
    ("risks.cedar", include_str!("../../../policies/risks.cedar")),
    ("tasks.cedar", include_str!("../../../policies/tasks.cedar")),
    (
        "internal-audit.cedar",
        include_str!("../../../policies/internal-audit.cedar"),
    ),
];

/// The tests of the default policy set (`policies/tests/*.toml`).
pub const DEFAULT_POLICY_TESTS: &[(&str, &str)] = &[
    (
        "tests/assets.toml",
        include_str!("../../../policies/tests/assets.toml"),
    ),
    (
        "tests/documents.toml",
        include_str!("../../../policies/tests/documents.toml"),
    ),
    (
        "tests/handling.toml",
        include_str!("../../../policies/tests/handling.toml"),
    ),
    (
        "tests/grants.toml",
        include_str!("../../../policies/tests/grants.toml"),
    ),
    (
        "tests/platform.toml",
        include_str!("../../../policies/tests/platform.toml"),
    ),
    (
        "tests/frameworks.toml",
        include_str!("../../../policies/tests/frameworks.toml"),
    ),
    (
        "tests/risks.toml",
        include_str!("../../../policies/tests/risks.toml"),
    ),
    (
        "tests/tasks.toml",
        include_str!("../../../policies/tests/tasks.toml"),
    ),
    (
        "tests/internal-audit.toml",
        include_str!("../../../policies/tests/internal-audit.toml"),
    ),
];

/// One problem in a policy set, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based; 0 when the problem has no place (e.g. a duplicate id across files).
    pub line: usize,
    pub column: usize,
    /// The policy's id, when known.
    pub policy: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("schema: {0}")]
    Schema(String),
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

impl PolicyError {
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            PolicyError::Schema(message) => vec![Problem {
                file: "rampart.cedarschema".into(),
                line: 0,
                column: 0,
                policy: String::new(),
                message: message.clone(),
            }],
            PolicyError::Invalid(p) => p.clone(),
        }
    }
}

pub fn parse_schema(schema_src: &str) -> Result<Schema, PolicyError> {
    Schema::from_cedarschema_str(schema_src)
        .map(|(schema, _warnings)| schema)
        .map_err(|e| PolicyError::Schema(format!("{e}")))
}

/// Line and column (1-based) of a byte offset in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The first labelled place of a diagnostic, as line and column in `text`.
fn place(d: &dyn Diagnostic, text: &str) -> (usize, usize) {
    d.labels()
        .and_then(|mut l| l.next())
        .map(|l| line_column(text, l.offset()))
        .unwrap_or((0, 0))
}

/// Parses and validates `files` (name, text) against `schema`: static policies and templates,
/// each renamed after its `@id`. Every problem is reported, not only the first.
pub fn load(schema: &Schema, files: &[(String, String)]) -> Result<PolicySet, PolicyError> {
    let mut problems = Vec::new();
    let mut set = PolicySet::new();
    // Which file (and text) each id came from, to place validation errors.
    let mut origin: HashMap<String, usize> = HashMap::new();
    for (index, (file, text)) in files.iter().enumerate() {
        let problem = |line, column, policy: &str, message: String| Problem {
            file: file.clone(),
            line,
            column,
            policy: policy.to_string(),
            message,
        };
        let parsed = match PolicySet::from_str(text) {
            Ok(p) => p,
            Err(errors) => {
                for e in errors.iter() {
                    let (line, column) = place(e, text);
                    problems.push(problem(line, column, "", e.to_string()));
                }
                continue;
            }
        };
        // A policy is placed at its `@id` annotation (the API gives no source location).
        let at = |id: &str| {
            text.find(&format!("@id(\"{id}\")"))
                .map(|o| line_column(text, o))
                .unwrap_or((0, 0))
        };
        let named = |id: Option<&str>,
                     shown: String,
                     origin: &mut HashMap<String, usize>|
         -> Result<(String, (usize, usize)), Problem> {
            let Some(id) = id else {
                let first = shown.lines().next().unwrap_or_default().to_string();
                return Err(problem(
                    0,
                    0,
                    "",
                    format!(
                        "a policy has no @id annotation: give it one, e.g. @id(\"who-may-do-what\") ({first} …)"
                    ),
                ));
            };
            let loc = at(id);
            if let Some(other) = origin.insert(id.to_string(), index) {
                let (other_file, _) = &files[other];
                return Err(problem(
                    loc.0,
                    loc.1,
                    id,
                    format!("the id {id:?} is already used (in {other_file})"),
                ));
            }
            Ok((id.to_string(), loc))
        };
        for template in parsed.templates() {
            match named(template.annotation("id"), template.to_string(), &mut origin) {
                Ok((id, loc)) => {
                    if let Err(e) = set.add_template(template.new_id(PolicyId::new(&id))) {
                        problems.push(problem(loc.0, loc.1, &id, e.to_string()));
                    }
                }
                Err(p) => problems.push(p),
            }
        }
        for policy in parsed.policies() {
            match named(policy.annotation("id"), policy.to_string(), &mut origin) {
                Ok((id, loc)) => {
                    if let Err(e) = set.add(policy.new_id(PolicyId::new(&id))) {
                        problems.push(problem(loc.0, loc.1, &id, e.to_string()));
                    }
                }
                Err(p) => problems.push(p),
            }
        }
    }
    if !problems.is_empty() {
        return Err(PolicyError::Invalid(problems));
    }
    let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
    for e in result.validation_errors() {
        let id = e.policy_id().to_string();
        let (file, text) = origin
            .get(&id)
            .map(|&i| (files[i].0.clone(), files[i].1.as_str()))
            .unwrap_or_default();
        let (line, column) = place(e, text);
        problems.push(Problem {
            file,
            line,
            column,
            policy: id,
            message: e.to_string(),
        });
    }
    if !problems.is_empty() {
        problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        return Err(PolicyError::Invalid(problems));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_placed_by_line_and_column() {
        let schema = parse_schema(DEFAULT_SCHEMA).unwrap();
        let files = vec![(
            "mine.cedar".to_string(),
            "// a comment\n@id(\"typo\")\npermit(principal, action, resource is Rampart::Asset)\nwhen { resource.ownr == principal };\n".to_string(),
        )];
        let PolicyError::Invalid(problems) = load(&schema, &files).unwrap_err() else {
            panic!("expected problems")
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].file, "mine.cedar");
        assert_eq!(problems[0].policy, "typo");
        assert_eq!(problems[0].line, 4, "{problems:?}");
        assert!(problems[0].column > 1, "{problems:?}");

        let files = vec![(
            "broken.cedar".to_string(),
            "@id(\"x\")\npermit(principal, action, resource)\nwhen { resource. };\n".to_string(),
        )];
        let PolicyError::Invalid(problems) = load(&schema, &files).unwrap_err() else {
            panic!("expected problems")
        };
        assert_eq!(problems[0].line, 3, "{problems:?}");
    }

    #[test]
    fn ids_must_be_unique_across_files() {
        let schema = parse_schema(DEFAULT_SCHEMA).unwrap();
        let p = "@id(\"same\")\npermit(principal, action, resource);\n".to_string();
        let files = vec![
            ("a.cedar".to_string(), p.clone()),
            ("b.cedar".to_string(), p),
        ];
        let err = load(&schema, &files).unwrap_err();
        assert!(
            err.to_string().contains("already used (in a.cedar)"),
            "{err}"
        );
    }
}
