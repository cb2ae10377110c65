//! Rampart's use cases. Each API operation is one [`Engine`] method that follows the same steps:
//! authorize (Cedar) → load → decide (domain rules) → persist with its audit events (one
//! transaction). The gRPC server only maps messages; the rules live here and below.

mod access_policies;
mod applicability;
mod assets;
mod audit;
mod authentication;
mod classification;
mod clock;
mod document_advice;
mod document_export;
mod documents;
mod error;
mod frameworks;
mod implementation;
mod internal_audits;
mod management_reviews;
mod objectives;
mod organisation_bundles;
mod organisations;
mod plugins;
mod responsibilities;
mod risk_reports;
mod risks;
mod tasks;
mod tokens;
mod training;
mod users;
mod version_texts;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rampart_store::{Database, Store, StoreOptions};

pub use access_policies::{
    Permitted, PolicyCheck, PolicySetView, RECHECK as POLICY_RECHECK, default_policies,
    run_policy_tests,
};
pub use applicability::{SoaView, TreatmentPlan};
pub use assets::{AssetList, AssetListQuery, AssetUpdate};
pub use audit::ChainReport;
pub use authentication::{Bootstrap, Caller};
pub use classification::{SchemeChange, SchemeChangeResult};
pub use clock::{ClockView, MAX_ADVANCE_DAYS};
pub use document_advice::{AdviceRequest, TemplateInfo};
pub use document_export::{Export, Transfer};
pub use documents::{
    DisposalItem, DocumentListQuery, DocumentVerification, DocumentView, StepRequest, Upload,
    VersionText,
};
pub use error::EngineError;
pub use frameworks::{
    AffectedRequirement, AnnexAMigration, FrameworkInfo, ImportedPlugin, MappingView, Readiness,
    RequirementNode, UpgradePlan, UpgradeResult,
};
pub use implementation::{AuditStage, CertificationReadiness, ImplementationProject, StepProgress};
pub use internal_audits::NonconformityStep;
pub use organisation_bundles::{ExportedBundle, ImportedBundle};
pub use plugins::{LoadReport, PluginInfo, PluginOptions};
pub use rampart_authz::policy_tests::CaseResult;
pub use rampart_authz::{Decision, Handling, Principal, Problem, Resource};
pub use rampart_domain as domain;
pub use rampart_import::{Options as ImportOptions, SourceFile};
pub use rampart_plugins as plugin_host;
pub use rampart_store::assets::AssetFilter;
pub use rampart_store::classification::StoredScheme;
pub use rampart_store::documents::{Acknowledgement, DocumentFilter, StoredSchedule};
pub use rampart_store::policies::{PolicyFile, PolicyVersion, StoredGrant};
pub use rampart_store::tokens::ApiToken;
pub use rampart_store::users::Operator;
pub use risk_reports::{ReportFile, ReportFormat, ReportKind};
pub use risks::{ControlSuggestion, DEFAULT_METHODOLOGY, RiskAssessmentRequest, ThreatSuggestion};
pub use tasks::{Generated, RISK_REASSESSMENT_MONTHS, SYSTEM_ACTOR, TaskView};
pub use tokens::NewToken;

/// The current time as the engine stores it (RFC 3339, UTC).
pub fn now() -> String {
    rampart_store::now()
}

/// The engine: the store, the policies and a small authentication cache. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    /// Each organisation's policy set, loaded (see `access_policies.rs`).
    policy_sets: Arc<access_policies::PolicySets>,
    /// Token hash → caller, for a few seconds, so a busy client does not cost a lookup per call.
    callers: Arc<Mutex<HashMap<String, (Caller, Instant)>>>,
    /// Organisations known to exist. Organisations are never deleted, so a positive answer can be
    /// remembered for the life of the process (also with several servers on one database).
    known_organisations: Arc<Mutex<std::collections::HashSet<String>>>,
    /// Risk methodologies and framework packs (see [`Engine::load_plugins`]).
    plugins: Arc<plugins::Plugins>,
    /// The largest document attachment accepted.
    max_attachment_bytes: u64,
    /// Texts of versions already read (immutable until disposal).
    version_texts: Arc<Mutex<version_texts::VersionTexts>>,
    /// Operators may move the clock forward (`--simulated-clock`; tests and demonstrations).
    simulated_clock: bool,
}

/// The default attachment limit: 100 MiB.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 100 * 1024 * 1024;

impl Engine {
    /// Opens the store (running migrations) with the default policies.
    pub async fn open(options: &StoreOptions) -> Result<Engine, EngineError> {
        let store = Store::open(options).await?;
        Ok(Engine {
            store,
            policy_sets: Arc::new(access_policies::PolicySets::new()?),
            callers: Arc::default(),
            known_organisations: Arc::default(),
            plugins: Arc::new(plugins::Plugins::empty()?),
            max_attachment_bytes: DEFAULT_MAX_ATTACHMENT_BYTES,
            version_texts: Arc::default(),
            simulated_clock: false,
        })
    }

    /// Sets the largest attachment accepted.
    pub fn with_max_attachment_bytes(mut self, bytes: u64) -> Engine {
        self.max_attachment_bytes = bytes;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Decides by the policy set of the organisation that holds `resource` (the platform's
    /// policies always included).
    fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        resource: &Resource,
    ) -> Result<(), EngineError> {
        self.authorize_handling(caller, action, resource, None)
    }

    /// [`Engine::authorize`] for a request that moves a document (export, transfer).
    fn authorize_handling(
        &self,
        caller: &Caller,
        action: &str,
        resource: &Resource,
        handling: Option<&Handling>,
    ) -> Result<(), EngineError> {
        self.policy_sets
            .for_org(resource.organisation())
            .authorize_handling(&caller.principal, action, resource, handling)
            .map_err(EngineError::Denied)
    }

    /// The caller's decisions of `action` over many of `org`'s documents or assets, taken once
    /// per class of items that differ only in their id (see `rampart_authz::Filter`): what an
    /// authorized list uses.
    fn list_filter(&self, caller: &Caller, org: &str, action: &str) -> rampart_authz::Filter {
        self.policy_sets
            .for_org(org)
            .filter(&caller.principal, action)
    }

    /// Whether `caller` may do `action` (for filtering lists without failing).
    fn allowed(&self, caller: &Caller, action: &str, resource: &Resource) -> bool {
        self.authorize(caller, action, resource).is_ok()
    }

    /// The organisation a request acts in: the one named, else the caller's own. It must exist.
    pub async fn organisation_db(
        &self,
        caller: &Caller,
        requested: &str,
    ) -> Result<(String, Database), EngineError> {
        let org = if requested.trim().is_empty() {
            match caller.principal.organisation() {
                Some(o) => o.to_string(),
                None => {
                    return Err(EngineError::Invalid(rampart_domain::Invalid::new(
                        "x-rampart-organisation",
                        "an operator must name the organisation to act in (header x-rampart-organisation, or --org in the CLI)",
                    )));
                }
            }
        } else {
            requested.trim().to_string()
        };
        let org = rampart_domain::organisation::organisation_id(&org).map_err(|mut e| {
            e.field = "x-rampart-organisation".into();
            EngineError::Invalid(e)
        })?;
        if !self.organisation_exists(&org).await? {
            return Err(EngineError::NotFound(format!("organisation {org}")));
        }
        let db = self.store.organisation(&org).await?;
        self.refresh_policies(&org, &db).await?;
        Ok((org, db))
    }

    async fn organisation_exists(&self, org: &str) -> Result<bool, EngineError> {
        if self
            .known_organisations
            .lock()
            .expect("cache lock")
            .contains(org)
        {
            return Ok(true);
        }
        let exists = rampart_store::organisations::get(self.store.system(), org)
            .await?
            .is_some();
        if exists {
            self.known_organisations
                .lock()
                .expect("cache lock")
                .insert(org.to_string());
        }
        Ok(exists)
    }

    /// Forgets cached callers, after a change to users or tokens.
    fn forget_callers(&self) {
        self.callers.lock().expect("cache lock").clear();
    }
}

/// Whole days from one stored time to another (0 if either is not a time or `to` is earlier).
pub(crate) fn days_between(from: &str, to: &str) -> u64 {
    match (
        rampart_domain::times::parse("from", from),
        rampart_domain::times::parse("to", to),
    ) {
        (Ok(a), Ok(b)) => (b - a).whole_days().max(0) as u64,
        _ => 0,
    }
}

/// Page sizes: default and maximum.
pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1000;

pub(crate) fn page_size(requested: u32) -> usize {
    match requested as usize {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    }
}
