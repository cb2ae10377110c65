//! The risk register: risks assessed by the organisation's methodology plugin (the method's id,
//! version and digest frozen on each assessment), re-assessed with history, migrated to another
//! method explicitly, treated with controls of installed frameworks, and accepted by their owners
//! — above the acceptance criterion only by top management, which is a Cedar policy.

use std::collections::BTreeMap;
use std::sync::Arc;

use rampart_authz::Resource;
use rampart_domain::Invalid;
use rampart_domain::framework::requirement_of;
use rampart_domain::risk::{
    Assessment, InputValue, Risk, RiskFields, RiskInput, RiskSettings, Treatment,
};
use rampart_plugins::RiskMethodology;
use rampart_plugins::pack::Catalog;
use rampart_plugins::risk::{Estimate, Input, InputValue as PluginValue};
use rampart_store::registers::{self as store, Table};
use rampart_store::risks;
use rampart_store::{Change, Database};

use crate::organisations::check_revision;
use crate::plugins::refused_inputs;
use crate::{Caller, Engine, EngineError};

/// The methodology an organisation starts with.
pub const DEFAULT_METHODOLOGY: &str = "risk-iso27005";

pub(crate) fn register(org: &str) -> Resource {
    Resource::RiskRegister {
        organisation: org.to_string(),
    }
}

fn resource(org: &str, r: &Risk) -> Resource {
    Resource::Risk {
        organisation: org.to_string(),
        id: r.id.clone(),
        owner: r.fields.owner.clone(),
        residual_above_criterion: r.residual_above_criterion(),
    }
}

fn to_plugin(inputs: &[RiskInput]) -> Vec<Input> {
    inputs
        .iter()
        .map(|i| Input {
            name: i.name.clone(),
            value: match &i.value {
                InputValue::Number { value } => PluginValue::Number(*value),
                InputValue::Text { value } => PluginValue::Text(value.clone()),
                InputValue::Estimate { min, mode, max } => PluginValue::Estimate(Estimate {
                    min: *min,
                    mode: *mode,
                    max: *max,
                }),
            },
        })
        .collect()
}

/// A risk methodology with what freezes it on an assessment.
#[derive(Clone)]
struct Method {
    id: String,
    version: String,
    digest: String,
    plugin: Arc<dyn RiskMethodology>,
}

/// One risk to assess in a batch.
#[derive(Debug, Clone)]
pub struct RiskAssessmentRequest {
    pub risk: String,
    pub inputs: Vec<RiskInput>,
    /// Assess the planned residual risk instead of the inherent one.
    pub residual: bool,
}

impl Engine {
    fn method(&self, id: &str) -> Result<Method, EngineError> {
        let p = self
            .plugins
            .host
            .get(id)
            .ok_or_else(|| EngineError::NotFound(format!("risk methodology {id}")))?;
        if !p.enabled {
            return Err(EngineError::FailedPrecondition(format!(
                "risk methodology {id} is disabled"
            )));
        }
        let plugin = p.risk_methodology().cloned().ok_or_else(|| {
            EngineError::FailedPrecondition(format!("plugin {id} is not a risk methodology"))
        })?;
        Ok(Method {
            id: id.to_string(),
            version: p.manifest.version.clone(),
            digest: p.digest.clone(),
            plugin,
        })
    }

    async fn settings(&self, db: &Database) -> Result<(RiskSettings, u64), EngineError> {
        Ok(store::get(db, Table::Settings, "current")
            .await?
            .unwrap_or_else(|| {
                (
                    RiskSettings {
                        methodology: DEFAULT_METHODOLOGY.into(),
                    },
                    0,
                )
            }))
    }

    async fn load_risk(&self, db: &Database, id: &str) -> Result<Risk, EngineError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(Invalid::new("id", "is required").into());
        }
        risks::get(db, id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("risk {id}")))
    }

    pub async fn risk_settings(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<RiskSettings, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "risk.list", &register(&org))?;
        Ok(self.settings(&db).await?.0)
    }

    /// Chooses the methodology of new assessments. While risks are assessed with another
    /// method, switching is a migration (`migrate_risk_methodology`), never a silent change.
    pub async fn set_risk_methodology(
        &self,
        caller: &Caller,
        org: &str,
        methodology: &str,
    ) -> Result<RiskSettings, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "risk.methodology", &register(&org))?;
        let method = self.method(methodology.trim())?;
        let risks = risks::all(&db).await?;
        if let Some(r) = risks
            .iter()
            .find(|r| r.current().is_some_and(|a| a.methodology != method.id))
        {
            return Err(EngineError::FailedPrecondition(format!(
                "risk {} is assessed with {}: switching method re-assesses every risk and keeps the old results — run the migration (`rampart risk migrate {} --inputs FILE`)",
                r.id,
                r.current().map(|a| a.methodology.as_str()).unwrap_or(""),
                method.id
            )));
        }
        let (_, revision) = self.settings(&db).await?;
        let settings = RiskSettings {
            methodology: method.id.clone(),
        };
        let mut change = Change::new();
        store::put(
            &mut change,
            "rs",
            &caller.actor(),
            "risk.methodology",
            Table::Settings,
            "current",
            &settings,
            revision,
        );
        db.commit(change).await?;
        Ok(settings)
    }

    /// Checks that each reference names a control (or requirement) of an installed framework.
    pub(crate) async fn check_controls(
        &self,
        db: &Database,
        field: &str,
        references: &[String],
    ) -> Result<(), EngineError> {
        if references.is_empty() {
            return Ok(());
        }
        let mut catalogs: Vec<(String, Catalog)> = Vec::new();
        for f in rampart_store::frameworks::list(db).await? {
            if let Some(full) = rampart_store::frameworks::get(db, &f.id).await? {
                catalogs.push((f.id, crate::frameworks::parse_catalog(&full)?));
            }
        }
        for r in references {
            let known = catalogs.iter().any(|(id, c)| {
                requirement_of(r, id).is_some_and(|x| {
                    c.controls.iter().any(|k| k.id == x) || c.requirements.iter().any(|k| k.id == x)
                })
            });
            if !known {
                let installed: Vec<&str> = catalogs.iter().map(|(id, _)| id.as_str()).collect();
                return Err(Invalid::new(
                    field,
                    format!(
                        "{r} is not a control of an installed framework (installed: {}); write it as iso27001:A.8.13",
                        if installed.is_empty() { "none".to_string() } else { installed.join(", ") }
                    ),
                )
                .into());
            }
        }
        Ok(())
    }

    async fn check_risk_fields(&self, db: &Database, f: &RiskFields) -> Result<(), EngineError> {
        crate::users::require_user(db, "owner", &f.owner).await?;
        for a in &f.assets {
            if rampart_store::assets::get(db, a).await?.is_none() {
                return Err(Invalid::new(
                    "assets",
                    format!("there is no asset '{a}' in the register"),
                )
                .into());
            }
        }
        Ok(())
    }

    pub async fn create_risk(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        fields: RiskFields,
    ) -> Result<Risk, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "risk.create", &register(&org))?;
        let fields = fields.validate()?;
        let id = if id.trim().is_empty() {
            uuid::Uuid::now_v7().simple().to_string()
        } else {
            rampart_domain::invalid::key("id", id, 100)?
        };
        self.check_risk_fields(&db, &fields).await?;
        let risk = Risk::new(id.clone(), fields, &rampart_store::now());
        let mut change = Change::new();
        risks::create(&mut change, "risk", &caller.actor(), "risk.create", &risk);
        db.commit(change).await?;
        Ok(risk)
    }

    pub async fn get_risk(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<Risk, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let r = self.load_risk(&db, id).await?;
        self.authorize(caller, "risk.read", &resource(&org, &r))?;
        Ok(r)
    }

    /// The risks the caller may read, optionally of one owner.
    pub async fn list_risks(
        &self,
        caller: &Caller,
        org: &str,
        owner: &str,
    ) -> Result<Vec<Risk>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "risk.list", &register(&org))?;
        let all = risks::all(&db).await?;
        Ok(all
            .into_iter()
            .filter(|r| owner.is_empty() || r.fields.owner == owner)
            .filter(|r| self.allowed(caller, "risk.read", &resource(&org, r)))
            .collect())
    }

    async fn save_risk(
        &self,
        caller: &Caller,
        db: &Database,
        operation: &str,
        risk: &mut Risk,
        expected: u64,
    ) -> Result<(), EngineError> {
        risk.revision = expected + 1;
        risk.updated_at = rampart_store::now();
        let mut c = Change::new();
        risks::replace(&mut c, "risk", &caller.actor(), operation, risk, expected);
        db.commit(c).await?;
        Ok(())
    }

    pub async fn update_risk(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        fields: RiskFields,
    ) -> Result<Risk, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut r = self.load_risk(&db, id).await?;
        self.authorize(caller, "risk.update", &resource(&org, &r))?;
        check_revision("risk", &r.id, r.revision, expected_revision)?;
        let fields = fields.validate()?;
        self.check_risk_fields(&db, &fields).await?;
        r.fields = fields;
        self.save_risk(caller, &db, "risk.update", &mut r, expected_revision)
            .await?;
        Ok(r)
    }

    async fn run_batch(
        &self,
        method: &Method,
        inputs: Vec<Vec<Input>>,
    ) -> Result<Vec<Result<rampart_plugins::risk::Assessment, String>>, EngineError> {
        let plugin = method.plugin.clone();
        Ok(
            tokio::task::spawn_blocking(move || plugin.assess_batch(&inputs))
                .await
                .map_err(|e| EngineError::Internal(e.to_string()))??,
        )
    }

    /// An assessment made `at` (one instant for a whole batch).
    fn frozen(
        method: &Method,
        caller: &Caller,
        at: &str,
        inputs: Vec<RiskInput>,
        a: rampart_plugins::risk::Assessment,
        note: &str,
    ) -> Assessment {
        Assessment {
            methodology: method.id.clone(),
            methodology_version: method.version.clone(),
            digest: method.digest.clone(),
            inputs,
            score: a.score,
            level: a.level,
            acceptable: a.acceptable,
            explanation: a.explanation,
            at: at.to_string(),
            by: caller.actor(),
            note: note.to_string(),
        }
    }

    /// Assesses one risk (or its planned residual risk) with the organisation's methodology.
    pub async fn assess_risk(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        inputs: Vec<RiskInput>,
        residual: bool,
    ) -> Result<Risk, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut r = self.load_risk(&db, id).await?;
        self.authorize(caller, "risk.assess", &resource(&org, &r))?;
        check_revision("risk", &r.id, r.revision, expected_revision)?;
        let method = self.method(&self.settings(&db).await?.0.methodology)?;
        let out = self
            .run_batch(&method, vec![to_plugin(&inputs)])
            .await?
            .pop()
            .ok_or_else(|| EngineError::Internal("an empty batch result".into()))?;
        let a = out.map_err(|m| refused_inputs(&m))?;
        let history = if residual {
            &r.residual
        } else {
            &r.assessments
        };
        let note = if history.is_empty() {
            "assessed"
        } else {
            "re-assessed"
        };
        let frozen = Self::frozen(&method, caller, &rampart_store::now(), inputs, a, note);
        let op = if residual {
            "risk.assess-residual"
        } else {
            "risk.assess"
        };
        let mut change = Change::new();
        risks::append(
            &mut change,
            "risk",
            &caller.actor(),
            op,
            &format!("risk:{}", r.id),
            &[risks::Appended {
                risk: &r.id,
                residual,
                number: history.len() as u64 + 1,
                assessment: &frozen,
            }],
        );
        db.commit(change).await.map_err(risks::appended_conflict)?;
        r.updated_at = frozen.at.clone();
        r.revision += 1;
        if residual {
            r.plan_residual(frozen);
        } else {
            r.assess(frozen);
        }
        Ok(r)
    }

    /// Assesses many risks in one methodology call and one transaction: either every risk gets
    /// its assessment or, if any is refused, none does.
    pub async fn assess_risks(
        &self,
        caller: &Caller,
        org: &str,
        batch: Vec<RiskAssessmentRequest>,
    ) -> Result<Vec<Risk>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        if batch.is_empty() {
            return Ok(vec![]);
        }
        // Phase timings, for `RAMPART_LOG=rampart_engine=debug` (docs/benchmarks.md#risks).
        let mut phase = std::time::Instant::now();
        let mut lap = |name: &str| {
            tracing::debug!(phase = name, elapsed = ?phase.elapsed(), items = batch.len(), "assess_risks");
            phase = std::time::Instant::now();
        };
        let mut by_id: BTreeMap<String, Risk> = risks::all(&db)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        lap("read");
        // Unless a policy names a particular risk, risks with the same owner and the same side of
        // the criterion get the same decision: decide once per such pair.
        let exact = self.policy_sets.for_org(&org).names_entities_of("Risk");
        let mut permitted: std::collections::HashSet<(&str, bool)> = Default::default();
        for item in &batch {
            let r = by_id
                .get(&item.risk)
                .ok_or_else(|| EngineError::NotFound(format!("risk {}", item.risk)))?;
            let key = (r.fields.owner.as_str(), r.residual_above_criterion());
            if !exact && permitted.contains(&key) {
                continue;
            }
            self.authorize(caller, "risk.assess", &resource(&org, r))?;
            permitted.insert(key);
        }
        lap("authorize");
        let method = self.method(&self.settings(&db).await?.0.methodology)?;
        let results = self
            .run_batch(
                &method,
                batch.iter().map(|i| to_plugin(&i.inputs)).collect(),
            )
            .await?;
        lap("methodology");
        // Each assessment takes the next place in its risk's history (a risk named twice in the
        // batch gets two); the risks' records are not rewritten.
        let at = rampart_store::now();
        let mut frozen = Vec::with_capacity(batch.len());
        let mut places: BTreeMap<(&str, bool), u64> = BTreeMap::new();
        for (i, (item, result)) in batch.iter().zip(results).enumerate() {
            let a = result.map_err(|m| match refused_inputs(&m) {
                EngineError::Invalid(e) => EngineError::Invalid(Invalid::new(
                    format!("batch[{i}].{}", e.field),
                    format!("risk {}: {}", item.risk, e.message),
                )),
                other => other,
            })?;
            let r = &by_id[&item.risk];
            let place = places
                .entry((item.risk.as_str(), item.residual))
                .or_insert_with(|| {
                    if item.residual {
                        r.residual.len() as u64
                    } else {
                        r.assessments.len() as u64
                    }
                });
            *place += 1;
            let inputs = item.inputs.clone();
            frozen.push((
                *place,
                Self::frozen(&method, caller, &at, inputs, a, "assessed in a batch"),
            ));
        }
        let appended: Vec<risks::Appended<'_>> = batch
            .iter()
            .zip(&frozen)
            .map(|(item, (number, a))| risks::Appended {
                risk: &item.risk,
                residual: item.residual,
                number: *number,
                assessment: a,
            })
            .collect();
        let mut change = Change::new();
        risks::append_batch(&mut change, &caller.actor(), "risk.assess", &appended);
        drop(appended);
        lap("prepare");
        db.commit(change).await.map_err(risks::appended_conflict)?;
        lap("commit");
        // The answer: each item's risk as it stands after the item (moved out at its last
        // mention, copied before).
        let last: std::collections::HashMap<&str, usize> = batch
            .iter()
            .enumerate()
            .map(|(i, item)| (item.risk.as_str(), i))
            .collect();
        let mut out = Vec::with_capacity(batch.len());
        for (i, (item, (_, a))) in batch.iter().zip(frozen).enumerate() {
            let r = by_id.get_mut(&item.risk).expect("loaded above");
            r.revision += 1;
            r.updated_at = a.at.clone();
            if item.residual {
                r.plan_residual(a);
            } else {
                r.assess(a);
            }
            if last[item.risk.as_str()] == i {
                out.push(by_id.remove(&item.risk).expect("loaded above"));
            } else {
                out.push(r.clone());
            }
        }
        Ok(out)
    }

    /// Re-assesses every assessed risk with another methodology: `inputs` must give the new
    /// method's inputs for each of them. The old assessments stay in each risk's history; the
    /// organisation's methodology becomes the new one. All or nothing.
    pub async fn migrate_risk_methodology(
        &self,
        caller: &Caller,
        org: &str,
        methodology: &str,
        inputs: BTreeMap<String, Vec<RiskInput>>,
    ) -> Result<Vec<Risk>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "risk.methodology", &register(&org))?;
        let method = self.method(methodology.trim())?;
        let (settings, settings_revision) = self.settings(&db).await?;
        let stored = risks::all(&db).await?;
        let assessed: Vec<&Risk> = stored.iter().filter(|r| r.current().is_some()).collect();
        let missing: Vec<&str> = assessed
            .iter()
            .filter(|r| !inputs.contains_key(&r.id))
            .map(|r| r.id.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(EngineError::FailedPrecondition(format!(
                "the migration to {} needs its inputs for every assessed risk; missing: {}",
                method.id,
                missing.join(", ")
            )));
        }
        let index: BTreeMap<&str, usize> = stored
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        if let Some(extra) = inputs.keys().find(|k| !index.contains_key(k.as_str())) {
            return Err(EngineError::NotFound(format!("risk {extra}")));
        }
        let order: Vec<String> = assessed.iter().map(|r| r.id.clone()).collect();
        let results = self
            .run_batch(
                &method,
                order.iter().map(|id| to_plugin(&inputs[id])).collect(),
            )
            .await?;
        let at = rampart_store::now();
        let mut out = Vec::with_capacity(order.len());
        for (id, result) in order.iter().zip(results) {
            let a = result.map_err(|m| {
                EngineError::Invalid(Invalid::new(
                    format!("inputs.{id}"),
                    format!("{} refused the inputs of risk {id}: {m}", method.id),
                ))
            })?;
            let mut r = stored[index[id.as_str()]].clone();
            let from = r
                .current()
                .map(|c| format!("{} {}", c.methodology, c.methodology_version))
                .unwrap_or_default();
            let note = format!("migrated from {from}");
            let a = Self::frozen(&method, caller, &at, inputs[id].clone(), a, &note);
            r.revision += 1;
            r.updated_at = a.at.clone();
            r.assess(a);
            out.push(r);
        }
        // The old assessments stay; each risk's new one is appended after them.
        let appended: Vec<risks::Appended<'_>> = out
            .iter()
            .map(|r| risks::Appended {
                risk: &r.id,
                residual: false,
                number: r.assessments.len() as u64,
                assessment: r.current().expect("just assessed"),
            })
            .collect();
        let mut change = Change::new();
        risks::append_batch(&mut change, &caller.actor(), "risk.migrate", &appended);
        drop(appended);
        let new_settings = RiskSettings {
            methodology: method.id.clone(),
        };
        if settings != new_settings {
            store::put(
                &mut change,
                "rs",
                &caller.actor(),
                "risk.methodology",
                Table::Settings,
                "current",
                &new_settings,
                settings_revision,
            );
        }
        db.commit(change).await.map_err(risks::appended_conflict)?;
        Ok(out)
    }

    pub async fn treat_risk(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        treatment: Treatment,
    ) -> Result<Risk, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut r = self.load_risk(&db, id).await?;
        self.authorize(caller, "risk.treat", &resource(&org, &r))?;
        check_revision("risk", &r.id, r.revision, expected_revision)?;
        self.check_controls(&db, "treatment.controls", &treatment.controls)
            .await?;
        r.set_treatment(treatment)?;
        self.save_risk(caller, &db, "risk.treat", &mut r, expected_revision)
            .await?;
        Ok(r)
    }

    /// The risk owner (or top management) accepts the residual risk. Above the methodology's
    /// criterion the policy `residual-above-criterion-needs-top-management` decides.
    pub async fn accept_risk(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        note: &str,
    ) -> Result<Risk, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut r = self.load_risk(&db, id).await?;
        self.authorize(caller, "risk.accept", &resource(&org, &r))?;
        check_revision("risk", &r.id, r.revision, expected_revision)?;
        let note = rampart_domain::invalid::optional_text("note", note, 1000)?;
        r.accept(&caller.actor(), &rampart_store::now(), &note)
            .map_err(|e| EngineError::FailedPrecondition(e.message))?;
        self.save_risk(caller, &db, "risk.accept", &mut r, expected_revision)
            .await?;
        Ok(r)
    }
}

/// A threat an installed pack suggests for an asset.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreatSuggestion {
    pub framework: String,
    pub threat: String,
    pub name: String,
    pub score: f64,
    pub reason: String,
    /// Vulnerabilities the threat usually exploits.
    pub vulnerabilities: Vec<String>,
}

/// A control an installed pack suggests for a risk.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlSuggestion {
    pub framework: String,
    pub control: String,
    pub score: f64,
    pub reason: String,
}

impl Engine {
    /// The installed frameworks whose packs are loaded, with their packs.
    async fn installed_packs(
        &self,
        db: &Database,
    ) -> Result<Vec<(String, Arc<dyn rampart_plugins::FrameworkPack>)>, EngineError> {
        let mut out = Vec::new();
        for f in rampart_store::frameworks::list(db).await? {
            if let Some(pack) = self
                .plugins
                .host
                .get(&f.id)
                .filter(|p| p.enabled)
                .and_then(|p| p.framework_pack().cloned())
            {
                out.push((f.id, pack));
            }
        }
        Ok(out)
    }

    async fn pack_suggestions(
        pack: Arc<dyn rampart_plugins::FrameworkPack>,
        context: rampart_plugins::pack::RiskContext,
    ) -> Result<Vec<rampart_plugins::pack::ControlSuggestion>, EngineError> {
        Ok(
            tokio::task::spawn_blocking(move || pack.suggest_controls(&context))
                .await
                .map_err(|e| EngineError::Internal(e.to_string()))??,
        )
    }

    /// Threats for an asset: each installed pack ranks its controls for the asset's type and
    /// C/I/A, and a threat scores by the suggested controls that treat it.
    pub async fn suggest_threats(
        &self,
        caller: &Caller,
        org: &str,
        asset: &str,
    ) -> Result<Vec<ThreatSuggestion>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "risk.list", &register(&org))?;
        let a = rampart_store::assets::get(&db, asset.trim())
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("asset {asset}")))?;
        let mut out = Vec::new();
        for (framework, pack) in self.installed_packs(&db).await? {
            let context = rampart_plugins::pack::RiskContext {
                asset_type: a.asset_type.clone(),
                threats: vec![],
                vulnerabilities: vec![],
                confidentiality: a.cia.confidentiality,
                integrity: a.cia.integrity,
                availability: a.cia.availability,
            };
            let suggested = Self::pack_suggestions(pack.clone(), context).await?;
            for t in &pack.catalog().threats {
                let fits: Vec<&rampart_plugins::pack::ControlSuggestion> = suggested
                    .iter()
                    .filter(|s| t.controls.contains(&s.control))
                    .collect();
                if fits.is_empty() {
                    continue;
                }
                out.push(ThreatSuggestion {
                    framework: framework.clone(),
                    threat: t.id.clone(),
                    name: t.name.clone(),
                    score: fits.iter().map(|s| s.score).sum(),
                    reason: format!(
                        "treated by {}, which suit {} assets of C/I/A {}/{}/{}",
                        fits.iter()
                            .map(|s| s.control.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        a.asset_type,
                        a.cia.confidentiality,
                        a.cia.integrity,
                        a.cia.availability
                    ),
                    vulnerabilities: t.vulnerabilities.clone(),
                });
            }
        }
        out.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.threat.cmp(&y.threat)));
        Ok(out)
    }

    /// Controls for a risk, ranked by each installed pack from the risk's threat,
    /// vulnerability and its first asset's type and C/I/A.
    pub async fn suggest_controls(
        &self,
        caller: &Caller,
        org: &str,
        risk: &str,
    ) -> Result<Vec<ControlSuggestion>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let r = self.load_risk(&db, risk).await?;
        self.authorize(caller, "risk.read", &resource(&org, &r))?;
        let asset = match r.fields.assets.first() {
            Some(id) => rampart_store::assets::get(&db, id).await?,
            None => None,
        };
        let mut out = Vec::new();
        for (framework, pack) in self.installed_packs(&db).await? {
            // "iso27001-2022:G 0.39" and "G 0.39" both name the pack's threat G 0.39.
            let own = |reference: &str| -> Option<String> {
                let id = match reference.split_once(':') {
                    Some(_) => requirement_of(reference, &framework)?,
                    None => reference.trim(),
                };
                Some(id.to_string())
            };
            let context = rampart_plugins::pack::RiskContext {
                asset_type: asset
                    .as_ref()
                    .map(|a| a.asset_type.clone())
                    .unwrap_or_default(),
                threats: own(&r.fields.threat).into_iter().collect(),
                vulnerabilities: own(&r.fields.vulnerability).into_iter().collect(),
                confidentiality: asset.as_ref().map_or(0, |a| a.cia.confidentiality),
                integrity: asset.as_ref().map_or(0, |a| a.cia.integrity),
                availability: asset.as_ref().map_or(0, |a| a.cia.availability),
            };
            for s in Self::pack_suggestions(pack, context).await? {
                out.push(ControlSuggestion {
                    framework: framework.clone(),
                    control: s.control,
                    score: s.score,
                    reason: s.reason,
                });
            }
        }
        out.sort_by(|x, y| y.score.total_cmp(&x.score));
        Ok(out)
    }
}
