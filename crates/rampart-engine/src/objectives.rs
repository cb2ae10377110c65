//! ISMS objectives and their metrics (6.2, 9.1): defined by those who run the ISMS, measured by
//! each metric's owner; a measurement falling due is its owner's task, done by recording it.

use rampart_authz::Resource;
use rampart_domain::Invalid;
use rampart_domain::objective::Objective;
use rampart_domain::task::ORIGIN_MEASUREMENT;
use rampart_store::registers::{self as store, Table};
use rampart_store::{Change, Database};

use crate::{Caller, Engine, EngineError};

fn register(org: &str) -> Resource {
    Resource::Objectives {
        organisation: org.to_string(),
    }
}

fn resource(org: &str, o: &Objective) -> Resource {
    let mut owners: Vec<String> = o.metrics.iter().map(|m| m.owner.clone()).collect();
    owners.sort();
    owners.dedup();
    Resource::Objective {
        organisation: org.to_string(),
        id: o.id.clone(),
        metric_owners: owners,
    }
}

impl Engine {
    async fn load_objective(
        &self,
        db: &Database,
        id: &str,
    ) -> Result<Option<Objective>, EngineError> {
        Ok(store::get::<Objective>(db, Table::Objective, id.trim())
            .await?
            .map(|(mut o, rev)| {
                o.revision = rev;
                o
            }))
    }

    /// Defines an objective (expected_revision 0) or redefines it at the revision read; metrics
    /// keep their measurements under the same id.
    pub async fn put_objective(
        &self,
        caller: &Caller,
        org: &str,
        objective: Objective,
        expected_revision: u64,
    ) -> Result<Objective, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "objective.update", &register(&org))?;
        let id = rampart_domain::invalid::key("id", &objective.id, 100)?;
        let previous = self.load_objective(&db, &id).await?;
        let current = previous.as_ref().map(|p| p.revision).unwrap_or(0);
        crate::organisations::check_put_revision("objective", &id, current, expected_revision)?;
        let mut o = Objective {
            id: id.clone(),
            ..objective
        }
        .validate(previous.as_ref())?;
        for user in std::iter::once(&o.owner).chain(o.metrics.iter().map(|m| &m.owner)) {
            crate::users::require_user(&db, "owner", user).await?;
        }
        let mut change = Change::new();
        store::put(
            &mut change,
            "objective",
            &caller.actor(),
            "objective.update",
            Table::Objective,
            &id,
            &o,
            expected_revision,
        );
        db.commit(change).await?;
        o.revision = expected_revision + 1;
        Ok(o)
    }

    pub async fn get_objective(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<Objective, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let o = self
            .load_objective(&db, id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("objective {}", id.trim())))?;
        self.authorize(caller, "objective.read", &resource(&org, &o))?;
        Ok(o)
    }

    pub async fn list_objectives(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<Objective>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "objective.list", &register(&org))?;
        Ok(
            store::all_with_revisions::<Objective>(&db, Table::Objective)
                .await?
                .into_iter()
                .map(|(mut o, rev)| {
                    o.revision = rev;
                    o
                })
                .filter(|o| self.allowed(caller, "objective.read", &resource(&org, o)))
                .collect(),
        )
    }

    /// Records a measurement taken at `at` (a date or time, not in the future; empty: now); the
    /// metric's open measurement task is done with it.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_measurement(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        metric: &str,
        value: f64,
        note: &str,
        at: &str,
    ) -> Result<Objective, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut o = self
            .load_objective(&db, id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("objective {}", id.trim())))?;
        self.authorize(caller, "objective.measure", &resource(&org, &o))?;
        crate::organisations::check_revision("objective", &o.id, o.revision, expected_revision)?;
        let now = rampart_store::now();
        let taken = if at.trim().is_empty() {
            now.clone()
        } else {
            rampart_domain::times::normalise("at", at)?
        };
        if taken > now {
            return Err(Invalid::new("at", "a measurement cannot be taken in the future").into());
        }
        o.measure(metric, value, note, &caller.actor(), &taken)?;
        let mut change = Change::new();
        store::replace(
            &mut change,
            "objective",
            &caller.actor(),
            "objective.measure",
            Table::Objective,
            &o.id,
            &o,
            expected_revision,
        );
        crate::tasks::complete_generated(
            &db,
            &mut change,
            ORIGIN_MEASUREMENT,
            &crate::tasks::metric_record(&o.id, metric.trim()),
            &caller.actor(),
            "the measurement was recorded",
            &now,
        )
        .await?;
        db.commit(change).await?;
        o.revision = expected_revision + 1;
        Ok(o)
    }
}

/// The objectives register and its measurements stand for the documented objectives (6.2) and
/// the monitoring and measurement results (9.1) the framework check looks for.
pub(crate) async fn objective_facts(
    db: &Database,
) -> Result<Vec<(&'static str, u64)>, EngineError> {
    let objectives: Vec<Objective> = store::all(db, Table::Objective).await?;
    let measurements: usize = objectives
        .iter()
        .flat_map(|o| &o.metrics)
        .map(|m| m.measurements.len())
        .sum();
    Ok(vec![
        ("objectives", objectives.len() as u64),
        ("measurements", measurements as u64),
    ])
}
