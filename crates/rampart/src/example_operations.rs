//! Loads `operations.toml` of an example organisation — a year of operating its ISMS — through
//! the engine's own operations, each as the person the standard expects to do it: courses and
//! who took them, objectives measured every quarter, an internal audit with its findings,
//! nonconformities in several states, and a management review.

use std::path::Path;

use anyhow::Context;
use rampart_engine::domain::internal_audit::AuditPlan;
use rampart_engine::domain::management_review::ReviewAction;
use rampart_engine::domain::nonconformity::Nonconformity;
use rampart_engine::domain::objective::{Direction, Metric, Objective};
use rampart_engine::domain::training::{Audience, Course, CourseKind};
use rampart_engine::{Engine, NonconformityStep};
use serde::Deserialize;

const FRAMEWORK: &str = "iso27001-2022";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperationsFile {
    #[serde(default)]
    courses: Vec<CourseEntry>,
    #[serde(default)]
    objectives: Vec<ObjectiveEntry>,
    #[serde(default)]
    audits: Vec<AuditEntry>,
    #[serde(default)]
    nonconformities: Vec<NonconformityEntry>,
    review: Option<ReviewEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseEntry {
    id: String,
    title: String,
    kind: String,
    owner: String,
    every_months: u32,
    #[serde(default)]
    description: String,
    #[serde(default)]
    documents: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    departments: Vec<String>,
    #[serde(default)]
    sessions: Vec<SessionEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionEntry {
    days_ago: i64,
    users: Vec<String>,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectiveEntry {
    id: String,
    title: String,
    owner: String,
    metrics: Vec<MetricEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricEntry {
    id: String,
    name: String,
    definition: String,
    target: f64,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    unit: String,
    every_months: u32,
    owner: String,
    #[serde(default)]
    control: String,
    /// [days ago, value], oldest first.
    #[serde(default)]
    measurements: Vec<(i64, f64)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditEntry {
    id: String,
    title: String,
    department: String,
    auditor: String,
    start_days_ago: i64,
    days: i64,
    scope: Vec<String>,
    /// [requirement, result, note]
    results: Vec<[String; 3]>,
    #[serde(default)]
    findings: Vec<FindingEntry>,
    conclusion: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingEntry {
    kind: String,
    requirement: String,
    description: String,
    evidence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NonconformityEntry {
    /// An audit's nonconformity: "audit-id/n", the n-th finding of that audit.
    #[serde(default)]
    finding: String,
    /// Otherwise one raised here.
    #[serde(default)]
    id: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    source_ref: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    requirement: String,
    #[serde(default)]
    raised_by: String,
    #[serde(default)]
    root_cause: String,
    #[serde(default)]
    actions: Vec<ActionEntry>,
    verify: Option<VerifyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionEntry {
    description: String,
    owner: String,
    due_in_days: i64,
    /// The note its owner wrote when done; absent while not done.
    done: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyEntry {
    by: String,
    effective: bool,
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewEntry {
    id: String,
    title: String,
    held_by: String,
    attendees: Vec<String>,
    decisions: Vec<String>,
    actions: Vec<ReviewActionEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewActionEntry {
    title: String,
    owner: String,
    due_in_days: i64,
}

/// The stored time `days` from now (negative: in the past).
fn day(days: i64) -> String {
    let now = rampart_engine::domain::clock::now();
    rampart_engine::domain::times::format(now + time::Duration::days(days))
}

/// One step of the 10.2 cycle on a nonconformity as it stands.
async fn step(
    engine: &Engine,
    who: &rampart_engine::Caller,
    org: &str,
    nc: &Nonconformity,
    s: NonconformityStep,
) -> anyhow::Result<Nonconformity> {
    Ok(engine
        .nonconformity_step(who, org, &nc.id, nc.revision, s)
        .await?)
}

/// What was loaded, for the loader's summary line.
pub struct Loaded {
    pub courses: usize,
    pub completions: usize,
    pub measurements: usize,
    pub audits: usize,
    pub nonconformities: usize,
    pub reviews: usize,
}

pub async fn load(engine: &Engine, org: &str, dir: &Path, loader: &str) -> anyhow::Result<Loaded> {
    let text = std::fs::read_to_string(dir.join("operations.toml"))
        .with_context(|| format!("cannot read {}", dir.join("operations.toml").display()))?;
    let file: OperationsFile = toml::from_str(&text).context("operations.toml is not valid")?;
    let as_user = |id: String| async move { engine.act_as_user(org, &id).await };
    let manager = as_user(loader.to_string()).await?;
    let mut loaded = Loaded {
        courses: 0,
        completions: 0,
        measurements: 0,
        audits: 0,
        nonconformities: 0,
        reviews: 0,
    };

    for c in &file.courses {
        let course = Course {
            id: c.id.clone(),
            title: c.title.clone(),
            kind: CourseKind::parse(&c.kind)?,
            description: c.description.clone(),
            audience: Audience {
                roles: c.roles.clone(),
                departments: c.departments.clone(),
                job_titles: vec![],
            },
            frequency_months: c.every_months,
            documents: c.documents.clone(),
            owner: c.owner.clone(),
            completions: vec![],
            revision: 0,
        };
        let mut course = engine
            .put_course(&manager, org, course, 0)
            .await
            .with_context(|| format!("course {}", c.id))?;
        let owner = as_user(c.owner.clone()).await?;
        for s in &c.sessions {
            course = engine
                .record_training(
                    &owner,
                    org,
                    &c.id,
                    course.revision,
                    &s.users,
                    &day(-s.days_ago),
                    &s.note,
                )
                .await
                .with_context(|| format!("course {}: session {} days ago", c.id, s.days_ago))?;
            loaded.completions += s.users.len();
        }
        loaded.courses += 1;
    }

    for o in &file.objectives {
        let metrics = o
            .metrics
            .iter()
            .map(|m| {
                Ok(Metric {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    definition: m.definition.clone(),
                    target: m.target,
                    direction: Direction::parse(&m.direction)?,
                    unit: m.unit.clone(),
                    frequency_months: m.every_months,
                    owner: m.owner.clone(),
                    control: m.control.clone(),
                    measurements: vec![],
                })
            })
            .collect::<Result<Vec<_>, rampart_engine::domain::Invalid>>()?;
        let objective = Objective {
            id: o.id.clone(),
            title: o.title.clone(),
            description: String::new(),
            owner: o.owner.clone(),
            metrics,
            revision: 0,
        };
        let mut objective = engine
            .put_objective(&manager, org, objective, 0)
            .await
            .with_context(|| format!("objective {}", o.id))?;
        for m in &o.metrics {
            let owner = as_user(m.owner.clone()).await?;
            for (days_ago, value) in &m.measurements {
                objective = engine
                    .record_measurement(
                        &owner,
                        org,
                        &o.id,
                        objective.revision,
                        &m.id,
                        *value,
                        "",
                        &day(-days_ago),
                    )
                    .await
                    .with_context(|| format!("objective {}: metric {}", o.id, m.id))?;
                loaded.measurements += 1;
            }
        }
    }

    // Nonconformities raised by audit findings, by "audit/n".
    let mut from_findings = std::collections::HashMap::new();
    for a in &file.audits {
        let start = day(-a.start_days_ago);
        let plan = AuditPlan {
            title: a.title.clone(),
            framework: FRAMEWORK.into(),
            scope: a.scope.clone(),
            department: a.department.clone(),
            auditor: a.auditor.clone(),
            end: day(-a.start_days_ago + a.days),
            start,
        };
        let mut audit = engine
            .plan_audit(&manager, org, &a.id, plan)
            .await
            .with_context(|| format!("audit {}", a.id))?;
        let auditor = as_user(a.auditor.clone()).await?;
        for [requirement, result, note] in &a.results {
            audit = engine
                .record_checklist(
                    &auditor,
                    org,
                    &a.id,
                    audit.revision,
                    requirement,
                    result,
                    note,
                )
                .await
                .with_context(|| format!("audit {}: {requirement}", a.id))?;
        }
        for (i, f) in a.findings.iter().enumerate() {
            let (after, nc) = engine
                .raise_finding(
                    &auditor,
                    org,
                    &a.id,
                    audit.revision,
                    &f.kind,
                    &f.requirement,
                    &f.description,
                    &f.evidence,
                )
                .await
                .with_context(|| format!("audit {}: finding {}", a.id, i + 1))?;
            audit = after;
            if let Some(nc) = nc {
                from_findings.insert(format!("{}/{}", a.id, i + 1), nc.id);
            }
        }
        engine
            .close_audit(&auditor, org, &a.id, audit.revision, &a.conclusion)
            .await
            .with_context(|| format!("closing audit {}", a.id))?;
        loaded.audits += 1;
    }

    for n in &file.nonconformities {
        let mut nc = if n.finding.is_empty() {
            let by = as_user(n.raised_by.clone()).await?;
            engine
                .raise_nonconformity(
                    &by,
                    org,
                    &n.id,
                    &n.source,
                    &n.source_ref,
                    &n.description,
                    &n.requirement,
                )
                .await
                .with_context(|| format!("nonconformity {}", n.id))?
        } else {
            let id = from_findings.get(&n.finding).with_context(|| {
                format!(
                    "{} is not a nonconformity raised by an audit finding",
                    n.finding
                )
            })?;
            engine.get_nonconformity(&manager, org, id).await?
        };
        if !n.root_cause.is_empty() {
            nc = step(
                engine,
                &manager,
                org,
                &nc,
                NonconformityStep::RootCause(n.root_cause.clone()),
            )
            .await?;
        }
        for a in &n.actions {
            nc = step(
                engine,
                &manager,
                org,
                &nc,
                NonconformityStep::AddAction {
                    description: a.description.clone(),
                    owner: a.owner.clone(),
                    due: day(a.due_in_days),
                },
            )
            .await
            .with_context(|| format!("nonconformity {}: {}", nc.id, a.description))?;
        }
        for (a, stored) in n.actions.iter().zip(nc.actions.clone()) {
            if let Some(note) = &a.done {
                let owner = as_user(a.owner.clone()).await?;
                nc = step(
                    engine,
                    &owner,
                    org,
                    &nc,
                    NonconformityStep::CompleteAction {
                        action: stored.id.clone(),
                        note: note.clone(),
                    },
                )
                .await?;
            }
        }
        if let Some(v) = &n.verify {
            let by = as_user(v.by.clone()).await?;
            step(
                engine,
                &by,
                org,
                &nc,
                NonconformityStep::Verify {
                    effective: v.effective,
                    note: v.note.clone(),
                },
            )
            .await?;
        }
        loaded.nonconformities += 1;
    }

    if let Some(r) = &file.review {
        let chair = as_user(r.held_by.clone()).await?;
        let review = engine
            .hold_management_review(&chair, org, &r.id, &r.title, &r.attendees)
            .await
            .context("management review")?;
        let actions = r
            .actions
            .iter()
            .map(|a| ReviewAction {
                description: a.title.clone(),
                owner: a.owner.clone(),
                due: day(a.due_in_days),
                task: String::new(),
            })
            .collect();
        engine
            .record_review_outputs(&chair, org, &r.id, review.revision, &r.decisions, actions)
            .await
            .context("management review outputs")?;
        loaded.reviews += 1;
    }
    Ok(loaded)
}
