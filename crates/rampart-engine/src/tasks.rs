//! Tasks: given by people, and by the engine when something falls due — a document's review, a
//! risk not reassessed for a year — so the regular work the standard asks for is never left to
//! memory. Generated tasks have keys made from what they are about and when, so generating again
//! creates nothing twice; each open task passing its due date is recorded once (`task.due`), which
//! integrators follow on the audit `Watch` stream.

use rampart_authz::Resource;
use rampart_domain::Invalid;
use rampart_domain::task::{
    self, ORIGIN_CORRECTIVE_ACTION, ORIGIN_DOCUMENT_REVIEW, ORIGIN_GIVEN, ORIGIN_INTERNAL_AUDIT,
    ORIGIN_MEASUREMENT, ORIGIN_RISK_REASSESSMENT, Task, TaskFields, TaskLink,
};
use rampart_store::registers::{self as store, Table};
use rampart_store::{Change, Database};

use crate::{Caller, Engine, EngineError};

/// A risk is due for reassessment this many months after its last assessment.
pub const RISK_REASSESSMENT_MONTHS: u32 = 12;
/// The actor of what the engine does by itself.
pub const SYSTEM_ACTOR: &str = "system";

/// Which tasks to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskView {
    /// Assigned to the caller.
    Mine,
    /// Given by the caller.
    Given,
    Overdue,
    All,
}

impl TaskView {
    pub fn parse(s: &str) -> Result<TaskView, Invalid> {
        Ok(match s.trim() {
            "" | "mine" => TaskView::Mine,
            "given" => TaskView::Given,
            "overdue" => TaskView::Overdue,
            "all" => TaskView::All,
            other => {
                return Err(Invalid::new(
                    "view",
                    format!("'{other}' is not a view: mine, given, overdue or all"),
                ));
            }
        })
    }
}

/// What one run of the generator did.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub created: Vec<Task>,
    pub fell_due: Vec<Task>,
}

fn list_resource(org: &str) -> Resource {
    Resource::TaskList {
        organisation: org.to_string(),
    }
}

fn resource(org: &str, t: &Task) -> Resource {
    Resource::Task {
        organisation: org.to_string(),
        id: t.id.clone(),
        assignee: t.fields.assignee.clone(),
        given_by: t
            .given_by
            .strip_prefix("user:")
            .map(str::to_string)
            .into_iter()
            .collect(),
    }
}

/// The fields of a generated task and its key.
struct Due {
    key: String,
    origin: &'static str,
    fields: TaskFields,
}

/// What falls due at `now` in one organisation: reviews of published documents whose review
/// date has passed, risks whose last assessment is a year old, metrics due to be measured, open
/// corrective actions, and internal audits not closed yet.
async fn falling_due(db: &Database, now: &str) -> Result<Vec<Due>, EngineError> {
    let mut out = Vec::new();
    for d in rampart_store::documents::all(db).await? {
        let Some(due) = d.next_review_due() else {
            continue;
        };
        if due.as_str() > now || d.owner.is_empty() {
            continue;
        }
        out.push(Due {
            key: task::generated_key(ORIGIN_DOCUMENT_REVIEW, &d.id, &due),
            origin: ORIGIN_DOCUMENT_REVIEW,
            fields: TaskFields {
                title: format!("Review \"{}\"", d.title),
                description: format!(
                    "The document's review period ({} months) has passed: review it and publish a new version, or record \"reviewed, no change\" (ISO/IEC 27001 7.5.3).",
                    d.review_period_months
                ),
                assignee: d.owner.clone(),
                due: due.clone(),
                recurrence_months: 0,
                link: Some(TaskLink {
                    kind: "document".into(),
                    id: d.id.clone(),
                }),
            },
        });
    }
    let risks = rampart_store::risks::all(db).await?;
    for r in risks {
        let Some(last) = r.current() else { continue };
        let Some(due) = rampart_domain::times::add_months_text(&last.at, RISK_REASSESSMENT_MONTHS)
        else {
            continue;
        };
        if due.as_str() > now {
            continue;
        }
        out.push(Due {
            key: task::generated_key(ORIGIN_RISK_REASSESSMENT, &r.id, &due),
            origin: ORIGIN_RISK_REASSESSMENT,
            fields: TaskFields {
                title: format!("Reassess the risk \"{}\"", r.fields.title),
                description: format!(
                    "Last assessed {} ({} {}); risks are reassessed at planned intervals (ISO/IEC 27001 8.2).",
                    &last.at[..10.min(last.at.len())],
                    last.methodology,
                    last.level
                ),
                assignee: r.fields.owner.clone(),
                due,
                recurrence_months: 0,
                link: Some(TaskLink {
                    kind: "risk".into(),
                    id: r.id.clone(),
                }),
            },
        });
    }
    // A metric's next measurement is due its frequency after the last one (at once if never
    // measured).
    let objectives: Vec<rampart_domain::objective::Objective> =
        store::all(db, Table::Objective).await?;
    for o in &objectives {
        for m in &o.metrics {
            let due = match m.latest() {
                Some(last) => {
                    match rampart_domain::times::add_months_text(&last.at, m.frequency_months) {
                        Some(d) => d,
                        None => continue,
                    }
                }
                None => now.to_string(),
            };
            if due.as_str() > now {
                continue;
            }
            out.push(Due {
                key: task::generated_key(ORIGIN_MEASUREMENT, &metric_record(&o.id, &m.id), &due),
                origin: ORIGIN_MEASUREMENT,
                fields: TaskFields {
                    title: format!("Measure \"{}\"", m.name),
                    description: format!(
                        "For the objective \"{}\": {} (target {} {}{}, every {} months).",
                        o.title,
                        m.definition,
                        m.direction.as_str(),
                        m.target,
                        m.unit,
                        m.frequency_months
                    ),
                    assignee: m.owner.clone(),
                    due,
                    recurrence_months: 0,
                    link: Some(TaskLink {
                        kind: "objective".into(),
                        id: o.id.clone(),
                    }),
                },
            });
        }
    }
    // Every open corrective action is its owner's task from the day it is planned.
    let ncs: Vec<rampart_domain::nonconformity::Nonconformity> =
        store::all(db, Table::Nonconformity).await?;
    for n in &ncs {
        if n.status == rampart_domain::nonconformity::NonconformityStatus::Closed {
            continue;
        }
        for a in n.actions.iter().filter(|a| a.done_at.is_empty()) {
            out.push(Due {
                key: task::generated_key(ORIGIN_CORRECTIVE_ACTION, &a.id, &a.due),
                origin: ORIGIN_CORRECTIVE_ACTION,
                fields: TaskFields {
                    title: format!("Corrective action: {}", a.description),
                    description: format!(
                        "For nonconformity {} ({}); root cause: {} (ISO/IEC 27001 10.2).",
                        n.id, n.description, n.root_cause
                    ),
                    assignee: a.owner.clone(),
                    due: a.due.clone(),
                    recurrence_months: 0,
                    link: Some(TaskLink {
                        kind: "nonconformity".into(),
                        id: n.id.clone(),
                    }),
                },
            });
        }
    }
    // A planned internal audit is its auditor's task from the day it is planned, due on its
    // last day; closing the audit completes it.
    let audits: Vec<rampart_domain::internal_audit::InternalAudit> =
        store::all(db, Table::InternalAudit).await?;
    for a in audits
        .iter()
        .filter(|a| a.status != rampart_domain::internal_audit::AuditStatus::Closed)
    {
        out.push(Due {
            key: task::generated_key(ORIGIN_INTERNAL_AUDIT, &a.id, &a.plan.end),
            origin: ORIGIN_INTERNAL_AUDIT,
            fields: TaskFields {
                title: format!("Carry out the internal audit \"{}\"", a.plan.title),
                description: format!(
                    "{} department, {} to {}: record a result for each of the {} checklist lines, raise findings with their evidence and close the audit with a conclusion (ISO/IEC 27001 9.2.2).",
                    a.plan.department,
                    &a.plan.start[..10.min(a.plan.start.len())],
                    &a.plan.end[..10.min(a.plan.end.len())],
                    a.checklist.len()
                ),
                assignee: a.plan.auditor.clone(),
                due: a.plan.end.clone(),
                recurrence_months: 0,
                link: Some(TaskLink {
                    kind: "audit".into(),
                    id: a.id.clone(),
                }),
            },
        });
    }
    Ok(out)
}

/// Completes, in `change`, the open tasks the engine generated for `record` with `origin` (the
/// work they asked for was recorded: a corrective action done, a measurement taken).
pub(crate) async fn complete_generated(
    db: &Database,
    change: &mut Change,
    origin: &str,
    record: &str,
    actor: &str,
    note: &str,
    now: &str,
) -> Result<(), EngineError> {
    // The key without its date: every occurrence for this record.
    let prefix = task::generated_key(origin, record, "");
    for (i, (mut t, rev)) in store::all_with_revisions::<Task>(db, Table::Task)
        .await?
        .into_iter()
        .filter(|(t, _)| t.status == task::TaskStatus::Open && is_occurrence(&t.id, &prefix))
        .enumerate()
    {
        t.complete(actor, note, now)?;
        store::replace(
            change,
            &format!("gen{i}"),
            actor,
            "task.complete",
            Table::Task,
            &t.id.clone(),
            &t,
            rev,
        );
    }
    Ok(())
}

/// Whether `key` is an occurrence of `prefix` (the prefix and a date): the record `eng-2026`
/// must not claim the tasks of `eng-2026-b`.
fn is_occurrence(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix).is_some_and(|day| {
        day.len() == 10
            && day.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            })
    })
}

/// The record a metric's measurement tasks are generated for.
pub(crate) fn metric_record(objective: &str, metric: &str) -> String {
    format!("{objective}-{metric}")
}

impl Engine {
    async fn load_task(&self, db: &Database, id: &str) -> Result<Task, EngineError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(Invalid::new("id", "is required").into());
        }
        let (mut t, revision): (Task, u64) = store::get(db, Table::Task, id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("task {id}")))?;
        t.revision = revision;
        Ok(t)
    }

    pub async fn create_task(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        fields: TaskFields,
    ) -> Result<Task, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "task.create", &list_resource(&org))?;
        let fields = fields.validate()?;
        crate::users::require_user(&db, "assignee", &fields.assignee).await?;
        let id = if id.trim().is_empty() {
            rampart_store::new_id()
        } else {
            rampart_domain::invalid::key("id", id, 100)?
        };
        let t = Task::new(
            id.clone(),
            fields,
            &caller.actor(),
            ORIGIN_GIVEN,
            &rampart_store::now(),
        );
        let mut change = Change::new();
        store::create(
            &mut change,
            "task",
            &caller.actor(),
            "task.create",
            Table::Task,
            &id,
            &t,
        );
        db.commit(change).await?;
        Ok(t)
    }

    pub async fn get_task(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<Task, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let t = self.load_task(&db, id).await?;
        self.authorize(caller, "task.read", &resource(&org, &t))?;
        Ok(t)
    }

    /// The tasks of a view that the caller may read, by due date.
    pub async fn list_tasks(
        &self,
        caller: &Caller,
        org: &str,
        view: TaskView,
        include_closed: bool,
        assignee: &str,
    ) -> Result<Vec<Task>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "task.list", &list_resource(&org))?;
        let now = rampart_store::now();
        let me = caller.id().to_string();
        let actor = caller.actor();
        let mut out: Vec<Task> = store::all_with_revisions::<Task>(&db, Table::Task)
            .await?
            .into_iter()
            .map(|(mut t, rev)| {
                t.revision = rev;
                t
            })
            .filter(|t| match view {
                TaskView::Mine => t.fields.assignee == me,
                TaskView::Given => t.given_by == actor,
                TaskView::Overdue => t.overdue(&now),
                TaskView::All => true,
            })
            .filter(|t| include_closed || t.status == task::TaskStatus::Open)
            .filter(|t| assignee.trim().is_empty() || t.fields.assignee == assignee.trim())
            .filter(|t| self.allowed(caller, "task.read", &resource(&org, t)))
            .collect();
        out.sort_by(|a, b| (&a.fields.due, &a.id).cmp(&(&b.fields.due, &b.id)));
        Ok(out)
    }

    /// Completes a task; a recurring one opens its next occurrence in the same transaction.
    pub async fn complete_task(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        note: &str,
    ) -> Result<(Task, Option<Task>), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut t = self.load_task(&db, id).await?;
        self.authorize(caller, "task.complete", &resource(&org, &t))?;
        crate::organisations::check_revision("task", &t.id, t.revision, expected_revision)?;
        let now = rampart_store::now();
        let next_fields = t.complete(&caller.actor(), note, &now)?;
        let mut change = Change::new();
        store::replace(
            &mut change,
            "task",
            &caller.actor(),
            "task.complete",
            Table::Task,
            &t.id,
            &t,
            expected_revision,
        );
        let next = next_fields.map(|fields| {
            let mut n = Task::new(
                format!("{}-next-{}", t.id, &fields.due[..10]),
                fields,
                &t.given_by,
                &t.origin,
                &now,
            );
            n.previous = t.id.clone();
            n
        });
        if let Some(n) = &next {
            store::create(
                &mut change,
                "next",
                &caller.actor(),
                "task.create",
                Table::Task,
                &n.id,
                n,
            );
        }
        db.commit(change).await?;
        t.revision = expected_revision + 1;
        Ok((t, next))
    }

    pub async fn cancel_task(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        note: &str,
    ) -> Result<Task, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut t = self.load_task(&db, id).await?;
        self.authorize(caller, "task.cancel", &resource(&org, &t))?;
        crate::organisations::check_revision("task", &t.id, t.revision, expected_revision)?;
        t.cancel(&caller.actor(), note, &rampart_store::now())?;
        let mut change = Change::new();
        store::replace(
            &mut change,
            "task",
            &caller.actor(),
            "task.cancel",
            Table::Task,
            &t.id,
            &t,
            expected_revision,
        );
        db.commit(change).await?;
        t.revision = expected_revision + 1;
        Ok(t)
    }

    /// Generates what is due now in the caller's organisation (see [`Engine::generate_due`]).
    pub async fn generate_tasks(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Generated, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "task.generate", &list_resource(&org))?;
        generate(&db).await
    }

    /// What the server runs every minute and after the clock moves: tasks now due in every
    /// organisation. One organisation failing does not stop the others (it is logged).
    pub async fn generate_due_everywhere(&self) -> usize {
        let orgs = match rampart_store::organisations::list(self.store.system()).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "task generation: cannot list organisations");
                return 0;
            }
        };
        let mut n = 0;
        for o in orgs {
            let result = async {
                let db = self.store.organisation(&o.id).await?;
                generate(&db).await
            }
            .await;
            match result {
                Ok(g) => n += g.created.len() + g.fell_due.len(),
                Err(e) => {
                    tracing::warn!(organisation = %o.id, error = %e, "task generation failed")
                }
            }
        }
        n
    }
}

/// Creates the tasks now due that do not exist yet and records open tasks passing their due
/// date, in one transaction.
async fn generate(db: &Database) -> Result<Generated, EngineError> {
    let now = rampart_store::now();
    let existing: Vec<(Task, u64)> = store::all_with_revisions(db, Table::Task).await?;
    let known: std::collections::HashSet<&str> =
        existing.iter().map(|(t, _)| t.id.as_str()).collect();
    let mut out = Generated::default();
    let mut change = Change::new();
    for (i, due) in falling_due(db, &now)
        .await?
        .into_iter()
        .filter(|d| !known.contains(d.key.as_str()))
        .enumerate()
    {
        let mut t = Task::new(due.key.clone(), due.fields, SYSTEM_ACTOR, due.origin, &now);
        // Created already past its due date (a review date that passed while the server was
        // down, or a clock moved forward): it falls due as it is created.
        if t.overdue(&now) {
            t.fell_due_at = now.clone();
        }
        store::create(
            &mut change,
            &format!("new{i}"),
            SYSTEM_ACTOR,
            "task.create",
            Table::Task,
            &t.id,
            &t,
        );
        if !t.fell_due_at.is_empty() {
            change.record(
                SYSTEM_ACTOR,
                "task.due",
                format!("task:{}", t.id),
                serde_json::to_value(&t).expect("tasks serialise"),
            );
            out.fell_due.push(t.clone());
        }
        out.created.push(t);
    }
    for (i, (t, rev)) in existing.iter().enumerate() {
        if !t.overdue(&now) || !t.fell_due_at.is_empty() {
            continue;
        }
        let mut t = t.clone();
        t.fell_due_at = now.clone();
        store::replace(
            &mut change,
            &format!("due{i}"),
            SYSTEM_ACTOR,
            "task.due",
            Table::Task,
            &t.id,
            &t,
            *rev,
        );
        t.revision = rev + 1;
        out.fell_due.push(t);
    }
    if out.created.is_empty() && out.fell_due.is_empty() {
        return Ok(out);
    }
    db.commit(change).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::is_occurrence;

    #[test]
    fn a_record_claims_only_its_own_generated_tasks() {
        let prefix = rampart_domain::task::generated_key("internal-audit", "eng-2026", "");
        assert!(is_occurrence("internal-audit-eng-2026-2027-03-02", &prefix));
        assert!(!is_occurrence(
            "internal-audit-eng-2026-b-2027-03-02",
            &prefix
        ));
        assert!(!is_occurrence("internal-audit-eng-2026-", &prefix));
    }
}
