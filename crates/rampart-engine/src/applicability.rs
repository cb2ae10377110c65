//! Interested parties, what the organisation records per control, the Statement of
//! Applicability derived from risk treatment and requirements (approved versions frozen, later
//! changes shown against them), and the risk treatment plan.

use std::collections::BTreeMap;

use rampart_domain::Invalid;
use rampart_domain::interested_party::InterestedParty;
use rampart_domain::rtp::{RtpItem, RtpRollup, rollup};
use rampart_domain::soa::{
    self, ControlRecord, FrameworkControl, ImplementationStatus, PartyRequirement, SoaChange,
    SoaEntry, SoaVersion, TreatedRisk,
};
use rampart_plugins::pack::Catalog;
use rampart_store::registers::{self as store, Table};
use rampart_store::{Change, Database};

use crate::risks::register;
use crate::{Caller, Engine, EngineError};

/// The SoA as it stands, and how it compares with the last approved version.
#[derive(Debug, Clone)]
pub struct SoaView {
    pub framework: String,
    pub entries: Vec<SoaEntry>,
    /// The last approved version, if any.
    pub approved: Option<SoaVersion>,
    /// Something changed since the approval (the diff says what).
    pub outdated: bool,
    pub changes: Vec<SoaChange>,
    /// The revision of each control's record, by control (absent: nothing recorded yet).
    pub record_revisions: BTreeMap<String, u64>,
}

#[derive(Debug, Clone)]
pub struct TreatmentPlan {
    pub framework: String,
    /// One item per applicable control not implemented yet (planned or not), and per control
    /// that has an item.
    pub items: Vec<(RtpItem, u64)>,
    pub rollup: RtpRollup,
}

fn record_key(framework: &str, control: &str) -> String {
    format!("{framework}/{control}")
}

impl Engine {
    async fn framework_catalog(
        &self,
        db: &Database,
        framework: &str,
    ) -> Result<Catalog, EngineError> {
        Ok(self.installed(db, framework).await?.1)
    }

    /// Every interested party with its revision (for `put_party`).
    pub async fn list_parties(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<(InterestedParty, u64)>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "party.read", &register(&org))?;
        Ok(store::all_with_revisions(&db, Table::Party).await?)
    }

    /// Creates (expected_revision 0) or replaces an interested party with its requirements.
    pub async fn put_party(
        &self,
        caller: &Caller,
        org: &str,
        party: InterestedParty,
        expected_revision: u64,
    ) -> Result<(InterestedParty, u64), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "party.update", &register(&org))?;
        let party = party.validate()?;
        let controls: Vec<String> = party
            .requirements
            .iter()
            .flat_map(|r| r.controls.iter().cloned())
            .collect();
        self.check_controls(&db, "requirements.controls", &controls)
            .await?;
        let mut change = Change::new();
        store::put(
            &mut change,
            "ip",
            &caller.actor(),
            "party.update",
            Table::Party,
            &party.id,
            &party,
            expected_revision,
        );
        db.commit(change).await?;
        Ok((party, expected_revision + 1))
    }

    /// Records what the organisation decided about one control: an applicability override with
    /// its reason, a business need or best practice, the implementation status and how.
    pub async fn set_control_record(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
        control: &str,
        record: ControlRecord,
        expected_revision: u64,
    ) -> Result<(ControlRecord, u64), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "soa.update", &register(&org))?;
        let catalog = self.framework_catalog(&db, framework).await?;
        let control = control.trim();
        if !catalog.controls.iter().any(|c| c.id == control) {
            return Err(EngineError::NotFound(format!(
                "control {control} in {framework}"
            )));
        }
        if record.applicable_override.is_some() && record.reason.trim().is_empty() {
            return Err(Invalid::new(
                "reason",
                "an applicability decided by hand needs its reason",
            )
            .into());
        }
        let record = ControlRecord {
            reason: rampart_domain::invalid::optional_text("reason", &record.reason, 1000)?,
            business: rampart_domain::invalid::optional_text("business", &record.business, 1000)?,
            best_practice: rampart_domain::invalid::optional_text(
                "best_practice",
                &record.best_practice,
                1000,
            )?,
            implementation: rampart_domain::invalid::optional_text(
                "implementation",
                &record.implementation,
                4000,
            )?,
            ..record
        };
        let mut change = Change::new();
        store::put(
            &mut change,
            "cr",
            &caller.actor(),
            "soa.update",
            Table::ControlRecord,
            &record_key(framework.trim(), control),
            &record,
            expected_revision,
        );
        db.commit(change).await?;
        Ok((record, expected_revision + 1))
    }

    async fn derive_soa(
        &self,
        db: &Database,
        framework: &str,
    ) -> Result<Vec<SoaEntry>, EngineError> {
        Ok(self.derive_soa_with_revisions(db, framework).await?.0)
    }

    async fn derive_soa_with_revisions(
        &self,
        db: &Database,
        framework: &str,
    ) -> Result<(Vec<SoaEntry>, BTreeMap<String, u64>), EngineError> {
        let catalog = self.framework_catalog(db, framework).await?;
        let treatments = rampart_store::risks::treated_controls(db).await?;
        let parties: Vec<InterestedParty> = store::all(db, Table::Party).await?;
        let rows = db
            .rows(
                "SELECT id, data, revision FROM control_record",
                serde_json::Map::new(),
                0,
            )
            .await?;
        let mut records = BTreeMap::new();
        let mut revisions = BTreeMap::new();
        for row in rows {
            let key = row
                .get("id")
                .and_then(rampart_store::json_record_key)
                .unwrap_or_default();
            let Some((fw, control)) = key.split_once('/') else {
                continue;
            };
            let data = row.get("data").and_then(|v| v.as_str()).unwrap_or("{}");
            let r: ControlRecord =
                serde_json::from_str(data).map_err(|e| EngineError::Internal(e.to_string()))?;
            if fw == framework.trim() {
                revisions.insert(
                    control.to_string(),
                    row.get("revision").and_then(|v| v.as_u64()).unwrap_or(0),
                );
            }
            records.insert((fw.to_string(), control.to_string()), r);
        }
        let controls: Vec<FrameworkControl> = catalog
            .controls
            .iter()
            .map(|c| FrameworkControl {
                framework: framework.trim(),
                id: &c.id,
                title: &c.title,
            })
            .collect();
        let treated: Vec<TreatedRisk> = treatments
            .iter()
            .map(|(risk, controls)| TreatedRisk { risk, controls })
            .collect();
        let requirements: Vec<PartyRequirement> = parties
            .iter()
            .flat_map(|p| {
                p.requirements.iter().map(move |r| PartyRequirement {
                    party: &p.name,
                    requirement: &r.text,
                    controls: &r.controls,
                })
            })
            .collect();
        Ok((
            soa::derive(&controls, &treated, &requirements, &records),
            revisions,
        ))
    }

    pub async fn statement_of_applicability(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
    ) -> Result<SoaView, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "soa.read", &register(&org))?;
        let (entries, record_revisions) = self.derive_soa_with_revisions(&db, framework).await?;
        let approved: Option<SoaVersion> = store::soa_versions(&db, framework.trim())
            .await?
            .into_iter()
            .last();
        let changes = approved
            .as_ref()
            .map(|a| soa::diff(&a.entries, &entries))
            .unwrap_or_default();
        Ok(SoaView {
            framework: framework.trim().to_string(),
            outdated: approved.is_some() && !changes.is_empty(),
            entries,
            approved,
            changes,
            record_revisions,
        })
    }

    /// Freezes the SoA as it stands as the next approved version.
    pub async fn approve_soa(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
        note: &str,
    ) -> Result<SoaVersion, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "soa.approve", &register(&org))?;
        let entries = self.derive_soa(&db, framework).await?;
        let versions: Vec<SoaVersion> = store::soa_versions(&db, framework.trim()).await?;
        if let Some(last) = versions.last()
            && soa::diff(&last.entries, &entries).is_empty()
        {
            return Err(EngineError::FailedPrecondition(format!(
                "nothing changed since version {} was approved",
                last.number
            )));
        }
        let v = SoaVersion {
            framework: framework.trim().to_string(),
            number: versions.last().map_or(1, |l| l.number + 1),
            entries,
            approved_by: caller.actor(),
            approved_at: rampart_store::now(),
            note: rampart_domain::invalid::optional_text("note", note, 1000)?,
        };
        let mut change = Change::new();
        store::put_soa_version(&mut change, &caller.actor(), &v.framework, v.number, &v);
        db.commit(change).await?;
        Ok(v)
    }

    /// The treatment plan: the items recorded, and a placeholder for each applicable control
    /// that is not implemented and has none yet.
    pub async fn treatment_plan(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
    ) -> Result<TreatmentPlan, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "rtp.read", &register(&org))?;
        let framework = framework.trim();
        let entries = self.derive_soa(&db, framework).await?;
        let rows = db
            .rows(
                "SELECT id, data, revision FROM rtp_item",
                serde_json::Map::new(),
                0,
            )
            .await?;
        let mut recorded: BTreeMap<String, (RtpItem, u64)> = BTreeMap::new();
        for row in rows {
            let data = row.get("data").and_then(|v| v.as_str()).unwrap_or("{}");
            let item: RtpItem =
                serde_json::from_str(data).map_err(|e| EngineError::Internal(e.to_string()))?;
            let revision = row.get("revision").and_then(|v| v.as_u64()).unwrap_or(0);
            if item.framework == framework {
                recorded.insert(item.control.clone(), (item, revision));
            }
        }
        let mut items = Vec::new();
        for e in &entries {
            match recorded.remove(&e.control) {
                Some(item) => items.push(item),
                None if e.applicable && e.status != ImplementationStatus::Implemented => items
                    .push((
                        RtpItem {
                            framework: framework.to_string(),
                            control: e.control.clone(),
                            owner: String::new(),
                            actions: String::new(),
                            due: String::new(),
                            budget: 0.0,
                            status: e.status,
                        },
                        0,
                    )),
                None => {}
            }
        }
        let plain: Vec<RtpItem> = items.iter().map(|(i, _)| i.clone()).collect();
        Ok(TreatmentPlan {
            framework: framework.to_string(),
            rollup: rollup(&plain, &rampart_store::now()),
            items,
        })
    }

    /// Plans one control: owner, actions, due date, budget, status. The status is also the
    /// control's implementation status in the SoA.
    pub async fn set_rtp_item(
        &self,
        caller: &Caller,
        org: &str,
        item: RtpItem,
        expected_revision: u64,
    ) -> Result<(RtpItem, u64), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "rtp.update", &register(&org))?;
        let item = item.validate()?;
        let catalog = self.framework_catalog(&db, &item.framework).await?;
        if !catalog.controls.iter().any(|c| c.id == item.control) {
            return Err(EngineError::NotFound(format!(
                "control {} in {}",
                item.control, item.framework
            )));
        }
        crate::users::require_user(&db, "owner", &item.owner).await?;
        // The plan's status is the control's status: keep the control record in step.
        let key = record_key(&item.framework, &item.control);
        let (mut record, record_revision): (ControlRecord, u64) =
            store::get(&db, Table::ControlRecord, &key)
                .await?
                .unwrap_or_default();
        record.status = Some(item.status);
        let mut change = Change::new();
        store::put(
            &mut change,
            "rtp",
            &caller.actor(),
            "rtp.update",
            Table::RtpItem,
            &key,
            &item,
            expected_revision,
        );
        store::put(
            &mut change,
            "cr",
            &caller.actor(),
            "soa.update",
            Table::ControlRecord,
            &key,
            &record,
            record_revision,
        );
        db.commit(change).await?;
        Ok((item, expected_revision + 1))
    }
}
