//! Policy management: each organisation's policy set (the platform's policies always on top),
//! its versions and their tests, dry runs with reasons, and time-boxed grants.
//!
//! Decisions read a per-organisation cache of loaded sets. `organisation_db` refreshes it before
//! every operation: a set is rechecked against the database's policy serial at most every
//! [`RECHECK`], and rebuilt when a grant it holds reaches its end date, so a change made through
//! this server applies at once and one made through another server within [`RECHECK`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rampart_authz::policy_tests::{self, CaseResult};
use rampart_authz::{
    Authorizer, Decision, Grant, GrantTarget, Handling, PolicyError, Principal, Problem, Resource,
    default_policy_files, default_schema, with_platform,
};
use rampart_domain::Invalid;
use rampart_store::policies::{self as store, PolicyFile, PolicyVersion, StoredGrant};
use rampart_store::{Change, Database};
use time::OffsetDateTime;

use crate::assets::asset_resource;
use crate::documents::facts;
use crate::{Caller, Engine, EngineError};

/// How long a loaded set is trusted before the database's serial is checked again.
pub const RECHECK: Duration = Duration::from_secs(2);

/// Limits on a submitted policy set.
const MAX_FILES: usize = 200;
const MAX_FILE_BYTES: usize = 256 * 1024;

struct Loaded {
    authz: Arc<Authorizer>,
    serial: u64,
    checked: Instant,
}

/// The loaded policy sets, by organisation.
pub(crate) struct PolicySets {
    defaults: Arc<Authorizer>,
    orgs: Mutex<HashMap<String, Loaded>>,
}

impl PolicySets {
    pub fn new() -> Result<PolicySets, EngineError> {
        let defaults = Authorizer::with_defaults()
            .map_err(|e| EngineError::Internal(format!("the default policies: {e}")))?;
        Ok(PolicySets {
            defaults: Arc::new(defaults),
            orgs: Mutex::default(),
        })
    }

    /// The set that decides requests on `org`'s resources (the defaults until it is loaded).
    pub fn for_org(&self, org: &str) -> Arc<Authorizer> {
        self.orgs
            .lock()
            .expect("policy cache lock")
            .get(org)
            .map(|l| l.authz.clone())
            .unwrap_or_else(|| self.defaults.clone())
    }

    fn install(&self, org: &str, authz: Arc<Authorizer>, serial: u64) {
        self.orgs.lock().expect("policy cache lock").insert(
            org.to_string(),
            Loaded {
                authz,
                serial,
                checked: Instant::now(),
            },
        );
    }
}

/// An organisation's policy set as the API shows it.
#[derive(Debug, Clone)]
pub struct PolicySetView {
    /// 0 while the organisation runs the default set.
    pub version: u64,
    pub files: Vec<PolicyFile>,
    pub tests: Vec<PolicyFile>,
    pub author: String,
    pub at: String,
    pub note: String,
    /// The platform's policies, in force whatever the set says (read-only).
    pub platform: Vec<PolicyFile>,
    /// Templates grants can link to.
    pub templates: Vec<String>,
}

/// The result of checking a candidate set without applying it.
#[derive(Debug, Clone, Default)]
pub struct PolicyCheck {
    pub problems: Vec<Problem>,
    pub results: Vec<CaseResult>,
}

impl PolicyCheck {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
            && !self.results.is_empty()
            && self.results.iter().all(|r| r.passed)
    }
}

/// A user who may act on a resource, with the policies that permit it.
#[derive(Debug, Clone)]
pub struct Permitted {
    pub user: String,
    pub policies: Vec<String>,
}

fn files_of(v: &[(&str, &str)]) -> Vec<PolicyFile> {
    v.iter()
        .map(|(n, t)| PolicyFile {
            name: n.to_string(),
            text: t.to_string(),
        })
        .collect()
}

fn pairs(files: &[PolicyFile]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|f| (f.name.clone(), f.text.clone()))
        .collect()
}

fn default_version() -> PolicyVersion {
    PolicyVersion {
        number: 0,
        files: files_of(rampart_authz::DEFAULT_POLICIES),
        tests: files_of(rampart_authz::DEFAULT_POLICY_TESTS),
        author: "rampart".into(),
        at: String::new(),
        note: "the default policy set".into(),
    }
}

fn grant_of(org: &str, g: &StoredGrant) -> Result<Option<Grant>, EngineError> {
    if !g.revoked_at.is_empty() {
        return Ok(None);
    }
    let until = rampart_domain::times::parse("until", &g.until)?;
    let target = GrantTarget::parse(&g.target)
        .map_err(|m| EngineError::Internal(format!("grant {}: {m}", g.id)))?;
    Ok(Some(Grant {
        id: g.id.clone(),
        template: g.template.clone(),
        organisation: org.to_string(),
        user: g.user.clone(),
        target,
        until,
    }))
}

/// Checks names and sizes of submitted files: `.cedar` policies and `.toml` tests, plain names.
fn check_files(files: &[PolicyFile], tests: &[PolicyFile]) -> Result<(), Invalid> {
    if files.len() + tests.len() > MAX_FILES {
        return Err(Invalid::new(
            "files",
            format!("at most {MAX_FILES} files in a policy set"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (field, list, ext) in [("files", files, ".cedar"), ("tests", tests, ".toml")] {
        for f in list {
            let plain = f
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
                && !f.name.starts_with('/')
                && !f.name.contains("..")
                && !f.name.starts_with("platform/");
            if !plain || !f.name.ends_with(ext) {
                return Err(Invalid::new(
                    field,
                    format!(
                        "{:?}: names are plain relative paths ending in {ext} (not under platform/)",
                        f.name
                    ),
                ));
            }
            if f.text.len() > MAX_FILE_BYTES {
                return Err(Invalid::new(
                    field,
                    format!("{}: larger than {} KiB", f.name, MAX_FILE_BYTES / 1024),
                ));
            }
            if !seen.insert(f.name.clone()) {
                return Err(Invalid::new(field, format!("{}: named twice", f.name)));
            }
        }
    }
    Ok(())
}

impl Engine {
    /// Brings `org`'s loaded policy set up to date (see the module's comment).
    pub(crate) async fn refresh_policies(
        &self,
        org: &str,
        db: &Database,
    ) -> Result<(), EngineError> {
        let now = rampart_domain::clock::now();
        let cached = {
            let cache = self.policy_sets.orgs.lock().expect("policy cache lock");
            cache.get(org).map(|l| {
                let current = l.authz.valid_until().is_none_or(|u| now < u);
                (l.serial, current, l.checked.elapsed() < RECHECK)
            })
        };
        if let Some((_, true, true)) = cached {
            return Ok(());
        }
        let serial = store::serial(db).await?;
        if let Some((cached_serial, true, _)) = cached
            && cached_serial == serial
        {
            if let Some(l) = self
                .policy_sets
                .orgs
                .lock()
                .expect("policy cache lock")
                .get_mut(org)
            {
                l.checked = Instant::now();
            }
            return Ok(());
        }
        let authz = match self.load_policies(org, db, now).await {
            Ok(a) => a,
            Err(e) => {
                // Fail closed: only the platform's policies (operators can repair the set).
                tracing::error!(organisation = org, error = %e, "the organisation's policy set does not load; only the platform's policies apply until an operator replaces it");
                Authorizer::build(default_schema(), &with_platform(&[]), &[], now)
                    .map_err(|e| EngineError::Internal(format!("platform policies: {e}")))?
            }
        };
        self.policy_sets.install(org, Arc::new(authz), serial);
        Ok(())
    }

    async fn load_policies(
        &self,
        org: &str,
        db: &Database,
        now: OffsetDateTime,
    ) -> Result<Authorizer, EngineError> {
        let version = store::current(db).await?.unwrap_or_else(default_version);
        let grants = self.grants_in_force(org, db).await?;
        Authorizer::build(
            default_schema(),
            &with_platform(&pairs(&version.files)),
            &grants,
            now,
        )
        .map_err(|e| EngineError::Internal(e.to_string()))
    }

    async fn grants_in_force(&self, org: &str, db: &Database) -> Result<Vec<Grant>, EngineError> {
        let mut out = Vec::new();
        for g in store::grants(db).await? {
            if let Some(g) = grant_of(org, &g)? {
                out.push(g);
            }
        }
        Ok(out)
    }

    fn policy_store(org: &str) -> Resource {
        Resource::PolicyStore {
            organisation: org.to_string(),
        }
    }

    /// The organisation's current policy set.
    pub async fn get_policies(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<PolicySetView, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "policy.read", &Self::policy_store(&org))?;
        let v = store::current(&db).await?.unwrap_or_else(default_version);
        Ok(self.policy_view(&org, v))
    }

    fn policy_view(&self, org: &str, v: PolicyVersion) -> PolicySetView {
        PolicySetView {
            version: v.number,
            files: v.files,
            tests: v.tests,
            author: v.author,
            at: v.at,
            note: v.note,
            platform: files_of(rampart_authz::PLATFORM_POLICIES),
            templates: self.policy_sets.for_org(org).template_ids(),
        }
    }

    /// Every version, newest first (files left out).
    pub async fn policy_history(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<PolicyVersion>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "policy.read", &Self::policy_store(&org))?;
        let mut versions = store::history(&db).await?;
        versions.push(PolicyVersion {
            files: vec![],
            tests: vec![],
            ..default_version()
        });
        Ok(versions)
    }

    /// Validates a candidate set against the schema and runs its tests, without applying it.
    pub async fn check_policies(
        &self,
        caller: &Caller,
        org: &str,
        files: &[PolicyFile],
        tests: &[PolicyFile],
    ) -> Result<PolicyCheck, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "policy.read", &Self::policy_store(&org))?;
        check_files(files, tests)?;
        Ok(self.check(&org, &db, files, tests).await?.1)
    }

    async fn check(
        &self,
        org: &str,
        db: &Database,
        files: &[PolicyFile],
        tests: &[PolicyFile],
    ) -> Result<(Option<Authorizer>, PolicyCheck), EngineError> {
        let all = with_platform(&pairs(files));
        let grants = self.grants_in_force(org, db).await?;
        let now = rampart_domain::clock::now();
        let authz = match Authorizer::build(default_schema(), &all, &grants, now) {
            Ok(a) => a,
            Err(PolicyError::Invalid(problems)) => {
                return Ok((
                    None,
                    PolicyCheck {
                        problems,
                        results: vec![],
                    },
                ));
            }
            Err(e) => return Err(EngineError::Internal(e.to_string())),
        };
        let results = policy_tests::run(&default_schema(), &all, &pairs(tests));
        Ok((
            Some(authz),
            PolicyCheck {
                problems: vec![],
                results,
            },
        ))
    }

    /// Replaces the organisation's policy set. It must validate and its tests must pass (there
    /// must be some); `expected_version` is the version the caller read (0 for the defaults).
    pub async fn replace_policies(
        &self,
        caller: &Caller,
        org: &str,
        files: Vec<PolicyFile>,
        tests: Vec<PolicyFile>,
        note: &str,
        expected_version: u64,
    ) -> Result<PolicySetView, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "policy.update", &Self::policy_store(&org))?;
        check_files(&files, &tests)?;
        let note = rampart_domain::invalid::optional_text("note", note, 500)?;
        self.apply_policies(caller, &org, &db, files, tests, note, expected_version)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_policies(
        &self,
        caller: &Caller,
        org: &str,
        db: &Database,
        files: Vec<PolicyFile>,
        tests: Vec<PolicyFile>,
        note: String,
        expected_version: u64,
    ) -> Result<PolicySetView, EngineError> {
        let current = store::current(db).await?.map_or(0, |v| v.number);
        if current != expected_version {
            return Err(EngineError::Conflict(format!(
                "the policy set is at version {current}, the request named {expected_version}; read it again and retry"
            )));
        }
        let (authz, check) = self.check(org, db, &files, &tests).await?;
        if !check.problems.is_empty() {
            let list: Vec<String> = check.problems.iter().map(|p| p.to_string()).collect();
            return Err(Invalid::new(
                "files",
                format!(
                    "the policy set does not validate against the schema; the set in force is unchanged:\n{}",
                    list.join("\n")
                ),
            )
            .into());
        }
        if check.results.is_empty() {
            return Err(EngineError::FailedPrecondition(
                "the policy set has no test cases: add tests (policies/tests/*.toml) so a change is checked before it takes effect".into(),
            ));
        }
        let failed: Vec<String> = check
            .results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| format!("{} / {}: {}", r.file, r.name, r.detail))
            .collect();
        if !failed.is_empty() {
            return Err(EngineError::FailedPrecondition(format!(
                "{} of {} policy tests fail; the set in force is unchanged:\n{}",
                failed.len(),
                check.results.len(),
                failed.join("\n")
            )));
        }
        let version = PolicyVersion {
            number: current + 1,
            files,
            tests,
            author: caller.actor(),
            at: rampart_domain::times::format(rampart_domain::clock::now()),
            note,
        };
        let mut change = Change::new();
        store::put_version(&mut change, &caller.actor(), &version);
        db.commit(change).await.map_err(|e| match e {
            rampart_store::StoreError::AlreadyExists(_) => EngineError::Conflict(
                "another change to the policy set landed first; read it again and retry".into(),
            ),
            e => e.into(),
        })?;
        let serial = store::serial(db).await?;
        let authz = authz.expect("a set without problems loaded");
        self.policy_sets.install(org, Arc::new(authz), serial);
        Ok(self.policy_view(org, version))
    }

    /// Makes an earlier version current again (as a new version, so history only grows).
    pub async fn rollback_policies(
        &self,
        caller: &Caller,
        org: &str,
        to_version: u64,
        expected_version: u64,
    ) -> Result<PolicySetView, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "policy.update", &Self::policy_store(&org))?;
        let old = if to_version == 0 {
            default_version()
        } else {
            store::version(&db, to_version)
                .await?
                .ok_or_else(|| EngineError::NotFound(format!("policy set version {to_version}")))?
        };
        self.apply_policies(
            caller,
            &org,
            &db,
            old.files,
            old.tests,
            format!("rollback to version {to_version}"),
            expected_version,
        )
        .await
    }

    /// The resource a dry run speaks of: `organisation`, `asset-register`, `document-register`,
    /// `classification-scheme`, `audit-trail`, `policy-store`, `asset:ID`, `document:ID` (the
    /// published version, else the newest) or `document:ID@N`, `user:ID`, `token:HOLDER`.
    async fn resolve_resource(
        &self,
        org: &str,
        db: &Database,
        text: &str,
    ) -> Result<Resource, EngineError> {
        let organisation = org.to_string();
        let (kind, id) = text.trim().split_once(':').unwrap_or((text.trim(), ""));
        let scheme = || async {
            Ok::<_, EngineError>(
                rampart_store::classification::get_scheme(db)
                    .await?
                    .map(|s| s.scheme()),
            )
        };
        if let Some(r) = Resource::singleton(kind, &organisation) {
            return Ok(r);
        }
        Ok(match kind {
            "token" if !id.is_empty() => Resource::Token {
                organisation,
                holder: id.to_string(),
            },
            "user" if !id.is_empty() => {
                let user = rampart_store::users::get(db, id)
                    .await?
                    .ok_or_else(|| EngineError::NotFound(format!("user {id}")))?;
                Resource::User {
                    organisation: organisation.clone(),
                    id: id.to_string(),
                    target: Some(Box::new(self.user_principal(&organisation, &user).await?)),
                }
            }
            "asset" if !id.is_empty() => {
                let asset = rampart_store::assets::get(db, id)
                    .await?
                    .ok_or_else(|| EngineError::NotFound(format!("asset {id}")))?;
                asset_resource(org, &asset, scheme().await?.as_ref())
            }
            "document" if !id.is_empty() => {
                let (id, number) = match id.split_once('@') {
                    Some((d, n)) => (
                        d,
                        Some(n.parse::<u32>().map_err(|_| {
                            Invalid::new("resource", "document:ID@N names a version number")
                        })?),
                    ),
                    None => (id, None),
                };
                let doc = rampart_store::documents::get(db, id)
                    .await?
                    .ok_or_else(|| EngineError::NotFound(format!("document {id}")))?;
                let version = match number {
                    Some(n) => Some(doc.version(n).ok_or_else(|| {
                        EngineError::NotFound(format!("version {n} of document {id}"))
                    })?),
                    None => doc.published().or(doc.latest()),
                };
                facts(org, &doc, version, scheme().await?.as_ref())
            }
            _ => {
                return Err(Invalid::new(
                    "resource",
                    format!(
                        "{text:?}: name organisation, asset-register, document-register, classification-scheme, audit-trail, policy-store, asset:ID, document:ID[@N], user:ID or token:HOLDER"
                    ),
                )
                .into());
            }
        })
    }

    async fn principal_of(
        &self,
        org: &str,
        db: &Database,
        user: &str,
    ) -> Result<Principal, EngineError> {
        let u = rampart_store::users::get(db, user.trim())
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("user {user}")))?;
        self.user_principal(org, &u).await
    }

    /// "Is `user` allowed to do `action` on `resource`, and why" — decided by the set in force.
    pub async fn explain(
        &self,
        caller: &Caller,
        org: &str,
        user: &str,
        action: &str,
        resource: &str,
        handling: Option<&Handling>,
    ) -> Result<Decision, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "policy.explain", &Self::policy_store(&org))?;
        if let Some(h) = handling {
            h.validate().map_err(|m| Invalid::new("context", m))?;
        }
        let principal = self.principal_of(&org, &db, user).await?;
        let resource = self.resolve_resource(&org, &db, resource).await?;
        Ok(self
            .policy_sets
            .for_org(&org)
            .decide(&principal, action.trim(), &resource, handling))
    }

    /// "What may `user` do on `resource`".
    pub async fn permissions(
        &self,
        caller: &Caller,
        org: &str,
        user: &str,
        resource: &str,
    ) -> Result<Vec<String>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "policy.explain", &Self::policy_store(&org))?;
        let principal = self.principal_of(&org, &db, user).await?;
        let resource = self.resolve_resource(&org, &db, resource).await?;
        Ok(self
            .policy_sets
            .for_org(&org)
            .permitted_actions(&principal, &resource))
    }

    /// "Who may do `action` (by default: read) on `resource`": every user of the organisation
    /// the set in force permits, with the permitting policies.
    pub async fn who_may(
        &self,
        caller: &Caller,
        org: &str,
        action: &str,
        resource: &str,
    ) -> Result<(String, Vec<Permitted>), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "policy.explain", &Self::policy_store(&org))?;
        let resource = self.resolve_resource(&org, &db, resource).await?;
        let action = match action.trim() {
            "" => match &resource {
                Resource::Document(_) => "document.read".to_string(),
                Resource::Asset { .. } => "asset.read".to_string(),
                Resource::AuditTrail { .. } => "audit.read".to_string(),
                Resource::User { .. } => "user.read".to_string(),
                Resource::ClassificationScheme { .. } => "classification.scheme.read".to_string(),
                Resource::PolicyStore { .. } => "policy.read".to_string(),
                Resource::Organisation { .. } => "organisation.read".to_string(),
                Resource::AssetRegister { .. } => "asset.list".to_string(),
                Resource::DocumentRegister { .. } => "document.list".to_string(),
                _ => {
                    return Err(Invalid::new("action", "name the action to ask about").into());
                }
            },
            a => a.to_string(),
        };
        let authz = self.policy_sets.for_org(&org);
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let users = rampart_store::users::list(&db, &after, 1000).await?;
            let Some(last) = users.last() else { break };
            after = last.id.clone();
            for user in &users {
                let principal = self.user_principal(&org, user).await?;
                let d = authz.decide(&principal, &action, &resource, None);
                if d.allowed {
                    out.push(Permitted {
                        user: user.id.clone(),
                        policies: d.policies,
                    });
                }
            }
        }
        Ok((action, out))
    }

    /// Grants `template` to `user` over `target` until `until`.
    #[allow(clippy::too_many_arguments)] // one argument per field of the API request
    pub async fn create_grant(
        &self,
        caller: &Caller,
        org: &str,
        template: &str,
        user: &str,
        target: &str,
        until: &str,
        note: &str,
    ) -> Result<StoredGrant, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "grant.create", &Self::policy_store(&org))?;
        let authz = self.policy_sets.for_org(&org);
        let template = template.trim();
        if !authz.template_ids().iter().any(|t| t == template) {
            return Err(Invalid::new(
                "template",
                format!(
                    "no template {template:?} in the policy set; templates: {}",
                    authz.template_ids().join(", ")
                ),
            )
            .into());
        }
        let user = user.trim();
        if rampart_store::users::get(&db, user).await?.is_none() {
            return Err(EngineError::NotFound(format!("user {user}")));
        }
        let parsed = GrantTarget::parse(target.trim()).map_err(|m| Invalid::new("target", m))?;
        match &parsed {
            GrantTarget::Organisation => {}
            GrantTarget::Document(id) => {
                if rampart_store::documents::get(&db, id).await?.is_none() {
                    return Err(EngineError::NotFound(format!("document {id}")));
                }
            }
            GrantTarget::Asset(id) => {
                if rampart_store::assets::get(&db, id).await?.is_none() {
                    return Err(EngineError::NotFound(format!("asset {id}")));
                }
            }
        }
        let until_t = rampart_domain::times::parse("until", until.trim())?;
        let now = rampart_domain::clock::now();
        if until_t <= now {
            return Err(
                Invalid::new("until", "is in the past: a grant needs an end date to come").into(),
            );
        }
        let grant = StoredGrant {
            id: format!("grant-{}", hex::encode(rand::random::<[u8; 6]>())),
            template: template.to_string(),
            user: user.to_string(),
            target: parsed.to_string(),
            until: rampart_domain::times::format(until_t),
            note: rampart_domain::invalid::optional_text("note", note, 500)?,
            created_by: caller.actor(),
            created_at: rampart_domain::times::format(now),
            revoked_at: String::new(),
            revoked_by: String::new(),
        };
        // The set with the grant must load (the template's slots must fit the target).
        let mut grants = self.grants_in_force(&org, &db).await?;
        grants.extend(grant_of(&org, &grant)?);
        let version = store::current(&db).await?.unwrap_or_else(default_version);
        Authorizer::build(
            default_schema(),
            &with_platform(&pairs(&version.files)),
            &grants,
            now,
        )
        .map_err(|e| {
            Invalid::new(
                "target",
                format!("the grant does not fit its template: {e}"),
            )
        })?;
        let mut change = Change::new();
        store::put_grant(&mut change, &caller.actor(), &grant, "grant.create");
        db.commit(change).await?;
        self.force_policy_reload(&org, &db).await?;
        Ok(grant)
    }

    pub async fn list_grants(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<StoredGrant>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "grant.list", &Self::policy_store(&org))?;
        Ok(store::grants(&db).await?)
    }

    pub async fn revoke_grant(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<StoredGrant, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "grant.revoke", &Self::policy_store(&org))?;
        let mut grant = store::grant(&db, id.trim())
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("grant {id}")))?;
        if !grant.revoked_at.is_empty() {
            return Err(EngineError::FailedPrecondition(format!(
                "grant {id} is already revoked"
            )));
        }
        grant.revoked_at = rampart_domain::times::format(rampart_domain::clock::now());
        grant.revoked_by = caller.actor();
        let mut change = Change::new();
        store::put_grant(&mut change, &caller.actor(), &grant, "grant.revoke");
        db.commit(change).await?;
        self.force_policy_reload(&org, &db).await?;
        Ok(grant)
    }

    async fn force_policy_reload(&self, org: &str, db: &Database) -> Result<(), EngineError> {
        self.policy_sets
            .orgs
            .lock()
            .expect("policy cache lock")
            .remove(org);
        self.refresh_policies(org, db).await
    }
}

/// Runs policy tests from files on disk-like pairs against the given policy files (the
/// platform's added): what `rampart policy test DIR` does, without a server.
pub fn run_policy_tests(
    files: &[(String, String)],
    tests: &[(String, String)],
) -> Result<Vec<CaseResult>, PolicyError> {
    let all = with_platform(files);
    // Load first so a set that does not validate says so once, with places.
    Authorizer::build(default_schema(), &all, &[], rampart_domain::clock::now())?;
    Ok(policy_tests::run(&default_schema(), &all, tests))
}

/// The default policy files, for tools that start from them.
pub fn default_policies() -> Vec<(String, String)> {
    default_policy_files()
}
