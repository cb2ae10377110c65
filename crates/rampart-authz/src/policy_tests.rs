//! Policy tests, like `opa test`: TOML files of cases (principal, action, resource, context,
//! expected decision and, optionally, the policies expected to decide it) over a small fixture of
//! users, documents, assets and grants. Cases run against the real authorizer, with the same
//! entities the engine builds. The format is described in docs/policies.md.

use std::collections::BTreeMap;
use std::sync::Arc;

use cedar_policy::Schema;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::{
    Authorizer, Decision, DocumentFacts, Grant, GrantTarget, Handling, Principal, Resource,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default = "acme")]
    organisation: String,
    /// The instant the cases are decided at (RFC 3339), unless a case says otherwise.
    now: Option<String>,
    #[serde(default)]
    users: BTreeMap<String, UserFixture>,
    #[serde(default)]
    documents: BTreeMap<String, DocumentFixture>,
    #[serde(default)]
    assets: BTreeMap<String, AssetFixture>,
    #[serde(default)]
    risks: BTreeMap<String, RiskFixture>,
    #[serde(default)]
    tasks: BTreeMap<String, TaskFixture>,
    #[serde(default)]
    audits: BTreeMap<String, AuditFixture>,
    #[serde(default)]
    nonconformities: BTreeMap<String, NonconformityFixture>,
    #[serde(default)]
    objectives: BTreeMap<String, ObjectiveFixture>,
    #[serde(default)]
    courses: BTreeMap<String, CourseFixture>,
    #[serde(default)]
    grants: Vec<GrantFixture>,
    #[serde(default, rename = "case")]
    cases: Vec<Case>,
}

fn acme() -> String {
    "acme".into()
}

fn yes() -> bool {
    true
}

fn minus_one() -> i64 {
    -1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFixture {
    organisation: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    department: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    clearance: String,
    #[serde(default = "minus_one")]
    clearance_rank: i64,
    #[serde(default = "yes")]
    active: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentFixture {
    organisation: Option<String>,
    owner: String,
    #[serde(default = "policy_kind")]
    kind: String,
    #[serde(default)]
    classification: String,
    #[serde(default = "minus_one")]
    classification_rank: i64,
    status: String,
    #[serde(default = "one")]
    version: i64,
    version_author: Option<String>,
    #[serde(default)]
    reviewers: Vec<String>,
    #[serde(default)]
    approvers: Vec<String>,
    #[serde(default)]
    distribution_users: Vec<String>,
    #[serde(default)]
    distribution_roles: Vec<String>,
    #[serde(default)]
    distribution_departments: Vec<String>,
    #[serde(default)]
    distribution_job_titles: Vec<String>,
    #[serde(default)]
    legal_hold: bool,
}

fn policy_kind() -> String {
    "policy".into()
}

fn one() -> i64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskFixture {
    organisation: Option<String>,
    owner: String,
    #[serde(default)]
    residual_above_criterion: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditFixture {
    organisation: Option<String>,
    auditor: String,
    auditor_department: String,
    department: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseFixture {
    organisation: Option<String>,
    owner: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectiveFixture {
    organisation: Option<String>,
    #[serde(default)]
    metric_owners: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NonconformityFixture {
    organisation: Option<String>,
    #[serde(default)]
    action_owners: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFixture {
    organisation: Option<String>,
    assignee: String,
    /// The user who gave it; absent for a task the engine gave.
    given_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetFixture {
    organisation: Option<String>,
    owner: String,
    #[serde(default)]
    asset_type: String,
    #[serde(default)]
    classification: String,
    #[serde(default = "minus_one")]
    classification_rank: i64,
    #[serde(default)]
    lifecycle: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantFixture {
    id: String,
    template: String,
    user: String,
    target: String,
    until: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// A user of the fixture, or `operator:ID`.
    principal: String,
    action: String,
    /// `document:ID`, `asset:ID`, `user:ID`, `token:HOLDER`, `organisation`, `asset-register`,
    /// `document-register`, `classification-scheme`, `audit-trail`, `plugin-catalog` or
    /// `policy-store`.
    resource: String,
    context: Option<Handling>,
    now: Option<String>,
    /// allow or deny.
    expect: String,
    /// The policies expected to decide it: the permits that allowed it or the forbids that
    /// denied it (empty: "no policy permits it").
    policies: Option<Vec<String>>,
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub file: String,
    pub name: String,
    pub passed: bool,
    /// What was decided, or why the case could not run.
    pub detail: String,
}

fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{s:?} is not an RFC 3339 time ({e})"))
}

impl TestFile {
    fn principal(&self, name: &str) -> Result<Principal, String> {
        if let Some(id) = name.strip_prefix("operator:") {
            return Ok(Principal::Operator { id: id.into() });
        }
        let u = self
            .users
            .get(name)
            .ok_or_else(|| format!("unknown principal {name:?}: add it under [users.{name}]"))?;
        Ok(Principal::User {
            organisation: u
                .organisation
                .clone()
                .unwrap_or_else(|| self.organisation.clone()),
            id: name.into(),
            roles: u.roles.clone(),
            department: u.department.clone(),
            job_title: u.job_title.clone(),
            clearance: u.clearance.clone(),
            clearance_rank: u.clearance_rank,
            active: u.active,
        })
    }

    fn resource(&self, name: &str) -> Result<Resource, String> {
        let organisation = self.organisation.clone();
        let (kind, id) = name.split_once(':').unwrap_or((name, ""));
        let unknown = |what: &str| format!("unknown {what} {id:?}: add it under [{what}s.{id}]");
        if let Some(r) = Resource::singleton(kind, &organisation) {
            return Ok(r);
        }
        Ok(match kind {
            "token" => Resource::Token {
                organisation,
                holder: id.into(),
            },
            "user" => Resource::User {
                organisation: self
                    .users
                    .get(id)
                    .and_then(|u| u.organisation.clone())
                    .unwrap_or(organisation),
                id: id.into(),
                target: self.principal(id).ok().map(Box::new),
            },
            "asset" => {
                let a = self.assets.get(id).ok_or_else(|| unknown("asset"))?;
                Resource::Asset {
                    organisation: a.organisation.clone().unwrap_or(organisation),
                    id: id.into(),
                    owner: a.owner.clone(),
                    asset_type: a.asset_type.clone(),
                    classification: a.classification.clone(),
                    classification_rank: a.classification_rank,
                    lifecycle: a.lifecycle.clone(),
                }
            }
            "risk" => {
                let r = self.risks.get(id).ok_or_else(|| unknown("risk"))?;
                Resource::Risk {
                    organisation: r.organisation.clone().unwrap_or(organisation),
                    id: id.into(),
                    owner: r.owner.clone(),
                    residual_above_criterion: r.residual_above_criterion,
                }
            }
            "audit" => {
                let a = self.audits.get(id).ok_or_else(|| unknown("audit"))?;
                Resource::InternalAudit {
                    organisation: a.organisation.clone().unwrap_or(organisation),
                    id: id.into(),
                    auditor: a.auditor.clone(),
                    auditor_department: a.auditor_department.clone(),
                    department: a.department.clone(),
                }
            }
            "objective" => {
                let o = self
                    .objectives
                    .get(id)
                    .ok_or_else(|| unknown("objective"))?;
                Resource::Objective {
                    organisation: o.organisation.clone().unwrap_or(organisation),
                    id: id.into(),
                    metric_owners: o.metric_owners.clone(),
                }
            }
            "course" => {
                let c = self.courses.get(id).ok_or_else(|| unknown("course"))?;
                Resource::Course {
                    organisation: c.organisation.clone().unwrap_or(organisation),
                    id: id.into(),
                    owner: c.owner.clone(),
                }
            }
            "nonconformity" => {
                let n = self
                    .nonconformities
                    .get(id)
                    .ok_or_else(|| unknown("nonconformity"))?;
                Resource::Nonconformity {
                    organisation: n.organisation.clone().unwrap_or(organisation),
                    id: id.into(),
                    action_owners: n.action_owners.clone(),
                }
            }
            "task" => {
                let t = self.tasks.get(id).ok_or_else(|| unknown("task"))?;
                Resource::Task {
                    organisation: t.organisation.clone().unwrap_or(organisation),
                    id: id.into(),
                    assignee: t.assignee.clone(),
                    given_by: t.given_by.clone().into_iter().collect(),
                }
            }
            "document" => {
                let d = self.documents.get(id).ok_or_else(|| unknown("document"))?;
                Resource::Document(Box::new(DocumentFacts {
                    organisation: d.organisation.clone().unwrap_or(organisation),
                    id: id.into(),
                    owner: d.owner.clone(),
                    kind: d.kind.clone(),
                    classification: d.classification.clone(),
                    classification_rank: d.classification_rank,
                    status: d.status.clone(),
                    version: d.version,
                    version_author: d.version_author.clone().unwrap_or(d.owner.clone()),
                    reviewers: d.reviewers.clone(),
                    approvers: d.approvers.clone(),
                    distribution_users: d.distribution_users.clone(),
                    distribution_roles: d.distribution_roles.clone(),
                    distribution_departments: d.distribution_departments.clone(),
                    distribution_job_titles: d.distribution_job_titles.clone(),
                    legal_hold: d.legal_hold,
                }))
            }
            _ => return Err(format!("unknown resource {name:?}")),
        })
    }

    fn grants(&self) -> Result<Vec<Grant>, String> {
        self.grants
            .iter()
            .map(|g| {
                Ok(Grant {
                    id: g.id.clone(),
                    template: g.template.clone(),
                    organisation: self.organisation.clone(),
                    user: g.user.clone(),
                    target: GrantTarget::parse(&g.target)?,
                    until: parse_time(&g.until)?,
                })
            })
            .collect()
    }
}

/// Runs the cases of `tests` (file name, TOML text) against `policies` (file name, Cedar text,
/// the platform's included). A file that does not parse, or a case that names something unknown,
/// is a failed case saying why.
pub fn run(
    schema: &Arc<Schema>,
    policies: &[(String, String)],
    tests: &[(String, String)],
) -> Vec<CaseResult> {
    let mut results = Vec::new();
    for (file, text) in tests {
        let failed = |name: &str, detail: String| CaseResult {
            file: file.clone(),
            name: name.to_string(),
            passed: false,
            detail,
        };
        let parsed: TestFile = match toml::from_str(text) {
            Ok(p) => p,
            Err(e) => {
                results.push(failed("(file)", format!("does not parse: {e}")));
                continue;
            }
        };
        let grants = match parsed.grants() {
            Ok(g) => g,
            Err(e) => {
                results.push(failed("(grants)", e));
                continue;
            }
        };
        // One authorizer per instant the cases are decided at (grants depend on it).
        let mut authorizers: BTreeMap<String, Result<Authorizer, String>> = BTreeMap::new();
        for case in &parsed.cases {
            let now = case.now.clone().or(parsed.now.clone());
            let key = now.clone().unwrap_or_default();
            let authz = authorizers.entry(key).or_insert_with(|| {
                let at = match &now {
                    Some(t) => parse_time(t)?,
                    None => OffsetDateTime::now_utc(),
                };
                Authorizer::build(schema.clone(), policies, &grants, at).map_err(|e| e.to_string())
            });
            let authz = match authz {
                Ok(a) => a,
                Err(e) => {
                    results.push(failed(&case.name, format!("the policies do not load: {e}")));
                    continue;
                }
            };
            match decide(&parsed, case, authz) {
                Ok(result) => results.push(CaseResult {
                    file: file.clone(),
                    ..result
                }),
                Err(e) => results.push(failed(&case.name, e)),
            }
        }
    }
    results
}

fn decide(file: &TestFile, case: &Case, authz: &Authorizer) -> Result<CaseResult, String> {
    let expect_allow = match case.expect.as_str() {
        "allow" => true,
        "deny" => false,
        other => return Err(format!("expect is {other:?}: use allow or deny")),
    };
    if let Some(h) = &case.context {
        h.validate()?;
    }
    let principal = file.principal(&case.principal)?;
    let resource = file.resource(&case.resource)?;
    let decision: Decision =
        authz.decide(&principal, &case.action, &resource, case.context.as_ref());
    let mut passed = decision.allowed == expect_allow;
    let mut detail = if decision.allowed {
        decision.reason()
    } else {
        format!("denied: {}", decision.reason())
    };
    if let Some(expected) = &case.policies {
        let mut expected = expected.clone();
        expected.sort();
        if expected != decision.policies {
            passed = false;
            detail.push_str(&format!(
                "; expected the deciding policies {expected:?}, got {:?}",
                decision.policies
            ));
        }
    }
    if !decision.errors.is_empty() {
        passed = false;
    }
    Ok(CaseResult {
        file: String::new(),
        name: case.name.clone(),
        passed,
        detail,
    })
}
