//! Frameworks in an organisation: installing a pack's catalogue, upgrading it to the pack's
//! newer version without losing a link, migrating 2013 Annex A work to 2022, the requirement tree
//! with each requirement's status, mappings between frameworks, and readiness from the pack's
//! `check` over a snapshot of the organisation's own data.
//!
//! The organisation's work names requirements by reference (`iso27001:A.8.13` on a document);
//! the installed framework keeps the catalogue it was installed from, so replacing a pack on the
//! server changes nothing until the organisation upgrades.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rampart_authz::Resource;
use rampart_domain::Invalid;
use rampart_domain::document::{Document, DocumentKind};
use rampart_domain::framework::{self as fw, CatalogChange, Decision, Entry};
use rampart_plugins::FrameworkPack;
use rampart_plugins::pack::{
    Attribute, Catalog, Finding, FindingStatus, InformationKind, MandatoryInformation, Snapshot,
};
use rampart_store::documents as documents_store;
use rampart_store::frameworks::{self as store, InstalledFramework};
use rampart_store::{Change, Database};

use crate::{Caller, Engine, EngineError};

/// A framework as the organisation sees it: installed, available from a pack, or both.
#[derive(Debug, Clone)]
pub struct FrameworkInfo {
    pub id: String,
    pub name: String,
    pub framework: String,
    pub version: String,
    pub installed: bool,
    /// The pack version the organisation installed or last upgraded to ("" if not installed).
    pub installed_pack_version: String,
    /// The pack version on this server ("" if the pack is not here any more).
    pub available_pack_version: String,
    /// The server's pack differs from what the organisation installed.
    pub upgrade_available: bool,
    pub requirements: usize,
    pub controls: usize,
    pub installed_at: String,
}

/// A requirement that is gone from the new catalogue, and the organisation's work linked to it.
#[derive(Debug, Clone, PartialEq)]
pub struct AffectedRequirement {
    pub requirement: String,
    pub title: String,
    /// The new id when it was renumbered.
    pub renumbered_to: Option<String>,
    /// Documents that name it: (id, title).
    pub documents: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct UpgradePlan {
    pub framework: String,
    pub from_version: String,
    pub to_version: String,
    pub from_digest: String,
    pub to_digest: String,
    pub change: CatalogChange,
    /// Renumbered and removed requirements, each with its links.
    pub affected: Vec<AffectedRequirement>,
    /// Requirements whose links need a decision before the upgrade can run.
    pub needs_decision: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct UpgradeResult {
    pub plan: UpgradePlan,
    pub links_moved: usize,
    pub links_dropped: usize,
    pub documents_changed: usize,
}

/// One node of the requirement tree with its status from the pack's check.
#[derive(Debug, Clone)]
pub struct RequirementNode {
    pub id: String,
    pub parent: Option<String>,
    pub title: String,
    /// "requirement" or "control".
    pub kind: &'static str,
    /// None when the check said nothing about it.
    pub status: Option<FindingStatus>,
    pub detail: String,
    /// Documents the caller may read that name this requirement.
    pub documents: Vec<String>,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, Default)]
pub struct Readiness {
    pub framework: String,
    pub met: usize,
    pub partially_met: usize,
    pub not_met: usize,
    pub not_applicable: usize,
    /// Met counts whole, partially met half, of the findings that apply.
    pub percent: f64,
    pub findings: Vec<Finding>,
    /// What the check was given (for people asking "why").
    pub snapshot: Snapshot,
}

/// A framework's check and what it ran on (see [`Engine::checked`]).
pub(crate) struct Checked {
    pub org: String,
    pub installed: InstalledFramework,
    pub catalog: Catalog,
    pub readiness: Readiness,
}

/// One link from a requirement to another framework's requirement.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingView {
    pub framework: String,
    pub requirement: String,
    pub target_framework: String,
    pub target: String,
    pub relation: String,
    /// The target's title when its framework is known here.
    pub target_title: String,
}

#[derive(Debug, Clone, Default)]
pub struct AnnexAMigration {
    /// (document, 2013 reference, 2022 references).
    pub moved: Vec<(String, String, Vec<String>)>,
    pub documents_changed: usize,
    pub applied: bool,
}

pub(crate) fn register(org: &str) -> Resource {
    Resource::FrameworkRegister {
        organisation: org.to_string(),
    }
}

pub(crate) fn parse_catalog(f: &InstalledFramework) -> Result<Catalog, EngineError> {
    serde_json::from_str(&f.catalog)
        .map_err(|e| EngineError::Internal(format!("framework {}: stored catalogue: {e}", f.id)))
}

/// Requirements and controls, the things a reference can name.
fn entries(c: &Catalog) -> Vec<Entry<'_>> {
    c.requirements
        .iter()
        .map(|r| Entry {
            id: &r.id,
            title: &r.title,
        })
        .chain(c.controls.iter().map(|k| Entry {
            id: &k.id,
            title: &k.title,
        }))
        .collect()
}

/// Documents that name `requirement` of `framework`.
fn linked<'a>(docs: &'a [Document], framework: &str, requirement: &str) -> Vec<&'a Document> {
    docs.iter()
        .filter(|d| {
            d.requirements
                .iter()
                .any(|r| fw::requirement_of(r, framework) == Some(requirement))
        })
        .collect()
}

/// Whether `doc` is the document a mandatory item asks for: it names the item's requirement,
/// and either the item is the only one of its kind on that requirement or the titles match.
fn satisfies(
    doc: &Document,
    framework: &str,
    item: &MandatoryInformation,
    catalog: &Catalog,
) -> bool {
    let records = matches!(doc.kind, DocumentKind::Record | DocumentKind::Report);
    if records != (item.kind == InformationKind::Retained) {
        return false;
    }
    let names_it = doc.requirements.iter().any(|r| {
        fw::requirement_of(r, framework)
            .is_some_and(|req| req == item.requirement || req == item.id)
    });
    if !names_it {
        return false;
    }
    let siblings = catalog
        .mandatory
        .iter()
        .filter(|m| m.requirement == item.requirement && m.kind == item.kind)
        .count();
    let (doc_title, item_title) = (doc.title.to_lowercase(), item.title.to_lowercase());
    siblings == 1 || doc_title.contains(&item_title) || item_title.contains(&doc_title)
}

/// Adds to `change` the document `before` with its requirement references replaced by `refs`
/// (the `i`-th document of the change, for unique variable names).
fn relink(change: &mut Change, caller: &Caller, i: usize, before: &Document, refs: Vec<String>) {
    let mut doc = before.clone();
    doc.requirements = refs;
    doc.revision = before.revision + 1;
    doc.updated_at = rampart_store::now();
    documents_store::update_as(
        change,
        &format!("d{i}"),
        &caller.actor(),
        "document.relink",
        before,
        &doc,
        before.revision,
    );
}

impl Engine {
    fn pack(&self, id: &str) -> Result<(Arc<dyn FrameworkPack>, String, String), EngineError> {
        let plugin = self
            .plugins
            .host
            .get(id)
            .filter(|p| p.enabled)
            .ok_or_else(|| EngineError::NotFound(format!("framework pack {id}")))?;
        let pack = plugin.framework_pack().cloned().ok_or_else(|| {
            EngineError::FailedPrecondition(format!(
                "plugin {id} is a {}, not a framework pack",
                plugin.manifest.kind.as_str()
            ))
        })?;
        Ok((pack, plugin.manifest.version.clone(), plugin.digest.clone()))
    }

    /// An installed framework and its catalogue (NotFound saying how to install it).
    pub(crate) async fn installed(
        &self,
        db: &Database,
        id: &str,
    ) -> Result<(InstalledFramework, Catalog), EngineError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(Invalid::new("framework", "is required").into());
        }
        let f = store::get(db, id).await?.ok_or_else(|| {
            EngineError::NotFound(format!(
                "framework {id} in this organisation (install it first: `rampart framework install {id}`)"
            ))
        })?;
        let c = parse_catalog(&f)?;
        Ok((f, c))
    }

    /// Installed frameworks and the packs that could be installed.
    pub async fn list_frameworks(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<FrameworkInfo>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "framework.list", &register(&org))?;
        let installed = store::list(&db).await?;
        let mut out: BTreeMap<String, FrameworkInfo> = BTreeMap::new();
        for p in self.plugins.host.list() {
            let Some(pack) = p.framework_pack().filter(|_| p.enabled) else {
                continue;
            };
            let c = pack.catalog();
            out.insert(
                p.manifest.id.clone(),
                FrameworkInfo {
                    id: p.manifest.id.clone(),
                    name: p.manifest.name.clone(),
                    framework: c.framework.clone(),
                    version: c.version.clone(),
                    installed: false,
                    installed_pack_version: String::new(),
                    available_pack_version: p.manifest.version.clone(),
                    upgrade_available: false,
                    requirements: c.requirements.len(),
                    controls: c.controls.len(),
                    installed_at: String::new(),
                },
            );
        }
        for f in installed {
            let digest = self.plugins.host.get(&f.id).map(|p| p.digest.clone());
            let entry = out.entry(f.id.clone()).or_insert_with(|| FrameworkInfo {
                id: f.id.clone(),
                name: f.name.clone(),
                framework: f.framework.clone(),
                version: f.version.clone(),
                installed: true,
                installed_pack_version: String::new(),
                available_pack_version: String::new(),
                upgrade_available: false,
                requirements: 0,
                controls: 0,
                installed_at: String::new(),
            });
            entry.installed = true;
            entry.installed_pack_version = f.pack_version.clone();
            entry.installed_at = f.installed_at.clone();
            entry.upgrade_available = digest.is_some_and(|d| d != f.digest);
            if !entry.upgrade_available {
                entry.framework = f.framework.clone();
                entry.version = f.version.clone();
            }
        }
        Ok(out.into_values().collect())
    }

    /// Installs the pack `id` into the organisation (its catalogue as it is now).
    pub async fn install_framework(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<FrameworkInfo, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "framework.install", &register(&org))?;
        let (pack, version, digest) = self.pack(id.trim())?;
        let c = pack.catalog();
        let now = rampart_store::now();
        let f = InstalledFramework {
            id: id.trim().to_string(),
            name: self
                .plugins
                .host
                .get(id.trim())
                .map(|p| p.manifest.name.clone())
                .unwrap_or_default(),
            framework: c.framework.clone(),
            version: c.version.clone(),
            pack_version: version.clone(),
            digest,
            catalog: serde_json::to_string(c).map_err(|e| EngineError::Internal(e.to_string()))?,
            installed_at: now.clone(),
            installed_by: caller.actor(),
            upgraded_at: String::new(),
            revision: 1,
        };
        let mut change = Change::new();
        store::install(&mut change, &caller.actor(), &f);
        db.commit(change).await.map_err(|e| match EngineError::from(e) {
            EngineError::AlreadyExists(_) => EngineError::AlreadyExists(format!(
                "framework {} in {org} (to move to the server's newer pack: `rampart framework upgrade {}`)",
                f.id, f.id
            )),
            other => other,
        })?;
        Ok(FrameworkInfo {
            id: f.id,
            name: f.name,
            framework: f.framework,
            version: f.version,
            installed: true,
            installed_pack_version: version.clone(),
            available_pack_version: version,
            upgrade_available: false,
            requirements: c.requirements.len(),
            controls: c.controls.len(),
            installed_at: now,
        })
    }

    async fn plan(
        &self,
        db: &Database,
        id: &str,
    ) -> Result<
        (
            UpgradePlan,
            InstalledFramework,
            Arc<dyn FrameworkPack>,
            Vec<Document>,
        ),
        EngineError,
    > {
        let (installed, old) = self.installed(db, id).await?;
        let (pack, version, digest) = self.pack(&installed.id)?;
        let new = pack.catalog();
        let change = fw::compare(&entries(&old), &entries(new));
        let docs = documents_store::all(db).await?;
        let mut affected = Vec::new();
        let gone = change
            .renumbered
            .iter()
            .map(|(old_id, new_id, title)| (old_id, title, Some(new_id.clone())))
            .chain(change.removed.iter().map(|(id, title)| (id, title, None)));
        for (requirement, title, renumbered_to) in gone {
            affected.push(AffectedRequirement {
                requirement: requirement.clone(),
                title: title.clone(),
                renumbered_to,
                documents: linked(&docs, &installed.id, requirement)
                    .into_iter()
                    .map(|d| (d.id.clone(), d.title.clone()))
                    .collect(),
            });
        }
        let needs_decision = affected
            .iter()
            .filter(|a| !a.documents.is_empty())
            .map(|a| a.requirement.clone())
            .collect();
        Ok((
            UpgradePlan {
                framework: installed.id.clone(),
                from_version: installed.pack_version.clone(),
                to_version: version,
                from_digest: installed.digest.clone(),
                to_digest: digest,
                change,
                affected,
                needs_decision,
            },
            installed,
            pack,
            docs,
        ))
    }

    /// What upgrading the organisation's framework to the server's pack would change.
    pub async fn plan_framework_upgrade(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<UpgradePlan, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "framework.upgrade", &register(&org))?;
        Ok(self.plan(&db, id).await?.0)
    }

    /// Upgrades to the server's pack. Every renumbered or removed requirement that the
    /// organisation's work names needs a decision (move the links, or drop them); without one
    /// the upgrade is refused with the plan, and nothing changes. Everything else keeps its links.
    pub async fn upgrade_framework(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        decisions: &BTreeMap<String, Decision>,
    ) -> Result<UpgradeResult, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "framework.upgrade", &register(&org))?;
        let (plan, installed, pack, docs) = self.plan(&db, id).await?;
        if plan.from_digest == plan.to_digest {
            return Err(EngineError::FailedPrecondition(format!(
                "framework {} is already at the server's pack {} ({})",
                plan.framework, plan.to_version, plan.to_digest
            )));
        }
        let new = pack.catalog();
        let new_ids: BTreeSet<&str> = entries(new).into_iter().map(|e| e.id).collect();
        let missing: Vec<&str> = plan
            .needs_decision
            .iter()
            .filter(|r| !decisions.contains_key(*r))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(EngineError::FailedPrecondition(format!(
                "the upgrade of {} leaves work linked to requirements that are renumbered or removed: {}; decide for each (--move OLD=NEW or --drop OLD; see `rampart framework plan-upgrade {}`)",
                plan.framework,
                missing.join(", "),
                plan.framework
            )));
        }
        for (requirement, decision) in decisions {
            if !plan.affected.iter().any(|a| &a.requirement == requirement) {
                return Err(Invalid::new(
                    "decisions",
                    format!("{requirement} is not renumbered or removed by this upgrade"),
                )
                .into());
            }
            if let Decision::MoveTo(to) = decision
                && !new_ids.contains(to.as_str())
            {
                return Err(Invalid::new(
                    "decisions",
                    format!("{requirement} -> {to}: the new catalogue has no {to}"),
                )
                .into());
            }
        }
        let mut change = Change::new();
        let (mut moved, mut dropped, mut changed) = (0, 0, 0);
        for (i, before) in docs.iter().enumerate() {
            let mut refs = Vec::new();
            let mut touched = false;
            for r in &before.requirements {
                let decision =
                    fw::requirement_of(r, &installed.id).and_then(|req| decisions.get(req));
                match decision {
                    Some(Decision::MoveTo(to)) => {
                        refs.push(fw::rewrite(r, to));
                        moved += 1;
                        touched = true;
                    }
                    Some(Decision::Drop) => {
                        dropped += 1;
                        touched = true;
                    }
                    None => refs.push(r.clone()),
                }
            }
            if !touched {
                continue;
            }
            refs.dedup();
            relink(&mut change, caller, i, before, refs);
            changed += 1;
        }
        let mut upgraded = installed.clone();
        upgraded.framework = new.framework.clone();
        upgraded.version = new.version.clone();
        upgraded.pack_version = plan.to_version.clone();
        upgraded.digest = plan.to_digest.clone();
        upgraded.catalog =
            serde_json::to_string(new).map_err(|e| EngineError::Internal(e.to_string()))?;
        upgraded.upgraded_at = rampart_store::now();
        upgraded.revision = installed.revision + 1;
        store::replace(
            &mut change,
            &caller.actor(),
            "framework.upgrade",
            &upgraded,
            installed.revision,
        );
        db.commit(change).await?;
        Ok(UpgradeResult {
            plan,
            links_moved: moved,
            links_dropped: dropped,
            documents_changed: changed,
        })
    }

    /// Moves the organisation's references to ISO/IEC 27001:2013 Annex A controls
    /// (`iso27001:A.12.3.1`) to their 2022 controls, by the correspondence in the installed
    /// 2022 catalogue. `apply` false only reports.
    pub async fn migrate_annex_a_2013(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
        apply: bool,
    ) -> Result<AnnexAMigration, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "framework.upgrade", &register(&org))?;
        let framework = if framework.trim().is_empty() {
            "iso27001-2022"
        } else {
            framework.trim()
        };
        let (installed, catalog) = self.installed(&db, framework).await?;
        // 2013 id -> 2022 ids
        let mut correspondence: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for m in catalog
            .mappings
            .iter()
            .filter(|m| m.framework == "iso27001-2013")
        {
            correspondence
                .entry(m.target.as_str())
                .or_default()
                .push(m.source.as_str());
        }
        if correspondence.is_empty() {
            return Err(EngineError::FailedPrecondition(format!(
                "framework {} has no correspondence to ISO/IEC 27001:2013",
                installed.id
            )));
        }
        let docs = documents_store::all(&db).await?;
        let mut out = AnnexAMigration::default();
        let mut change = Change::new();
        for (i, before) in docs.iter().enumerate() {
            let mut refs: Vec<String> = Vec::new();
            let mut touched = false;
            for r in &before.requirements {
                let old = fw::requirement_of(r, "iso27001-2013")
                    .and_then(|req| correspondence.get(req).map(|new| (req, new)));
                match old {
                    Some((req, new)) => {
                        let rewritten: Vec<String> =
                            new.iter().map(|n| fw::rewrite(r, n)).collect();
                        out.moved.push((
                            before.id.clone(),
                            format!("{r} ({req})"),
                            rewritten.clone(),
                        ));
                        for n in rewritten {
                            if !refs.contains(&n) {
                                refs.push(n);
                            }
                        }
                        touched = true;
                    }
                    None if !refs.contains(r) => refs.push(r.clone()),
                    None => {}
                }
            }
            if !touched {
                continue;
            }
            out.documents_changed += 1;
            relink(&mut change, caller, i, before, refs);
        }
        if apply && out.documents_changed > 0 {
            db.commit(change).await?;
            out.applied = true;
        }
        Ok(out)
    }

    /// What the organisation has, as the pack's `check` needs it.
    async fn snapshot(
        &self,
        org: &str,
        db: &Database,
        docs: &[Document],
        installed: &InstalledFramework,
        catalog: &Catalog,
    ) -> Result<Snapshot, EngineError> {
        let now = rampart_store::now();
        let employees = rampart_store::organisations::get(self.store.system(), org)
            .await?
            .map(|o| o.employees)
            .unwrap_or(0);
        let mut s = Snapshot {
            organisation: org.to_string(),
            employees,
            ..Default::default()
        };
        // Facts the engine knows from its own registers (docs/frameworks.md lists them all).
        let (assets, unclassified) = rampart_store::assets::counts(db).await?;
        let risks = rampart_store::risks::all(db).await?;
        let assessed = risks.iter().filter(|r| r.current().is_some()).count() as u64;
        // A risk whose residual level is known (or that is retained) but not accepted yet.
        let not_accepted = risks
            .iter()
            .filter(|r| r.to_accept().is_some() && r.acceptance.is_none())
            .count() as u64;
        // The approved Statement of Applicability declares the applicable and implemented
        // controls; the treatment plan's items with an owner are planned.
        let approved: Option<rampart_domain::soa::SoaVersion> =
            rampart_store::registers::soa_versions(db, &installed.id)
                .await?
                .into_iter()
                .last();
        let mut soa_version = 0;
        if let Some(v) = &approved {
            soa_version = v.number;
            for e in v.entries.iter().filter(|e| e.applicable) {
                s.applicable_controls.push(e.control.clone());
                if e.status == rampart_domain::soa::ImplementationStatus::Implemented {
                    s.implemented_controls.push(e.control.clone());
                }
            }
        }
        let planned = db
            .rows(
                "SELECT count() AS n FROM rtp_item GROUP ALL",
                serde_json::Map::new(),
                0,
            )
            .await?
            .first()
            .and_then(|r| r.get("n").and_then(|v| v.as_u64()))
            .unwrap_or(0);
        for (name, value) in [
            ("assets", assets),
            ("assets-unclassified", unclassified),
            ("risks", assessed),
            ("residual-risks-not-accepted", not_accepted),
            ("soa-approved-version", soa_version),
            ("rtp-items", planned),
        ] {
            if value == 0 && name.starts_with("soa") {
                continue;
            }
            s.facts.push(Attribute {
                name: name.into(),
                value: value.to_string(),
            });
        }
        let mut operation_facts = crate::internal_audits::audit_facts(db, &now).await?;
        operation_facts.extend(crate::management_reviews::review_facts(db, &now).await?);
        operation_facts.extend(crate::training::training_facts(db, &now).await?);
        operation_facts.extend(crate::objectives::objective_facts(db).await?);
        for (name, value) in operation_facts {
            s.facts.push(Attribute {
                name: name.into(),
                value: value.to_string(),
            });
        }
        for m in &catalog.mandatory {
            let matching: Vec<&Document> = docs
                .iter()
                .filter(|d| d.published().is_some() && satisfies(d, &installed.id, m, catalog))
                .collect();
            match m.kind {
                InformationKind::Maintained if !matching.is_empty() => {
                    s.documents.push(m.id.clone());
                    if matching.iter().all(|d| d.review_overdue(&now)) {
                        s.facts.push(Attribute {
                            name: "overdue-review".into(),
                            value: m.id.clone(),
                        });
                    }
                }
                InformationKind::Retained if !matching.is_empty() => s.records.push(Attribute {
                    name: m.id.clone(),
                    value: matching.len().to_string(),
                }),
                _ => {}
            }
        }
        Ok(s)
    }

    /// The pack's findings over the organisation's data, and how far it is from meeting them.
    pub async fn check_framework(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<Readiness, EngineError> {
        Ok(self.checked(caller, org, id).await?.readiness)
    }

    /// The check of an installed framework as `caller` asks for it (`framework.check`), with
    /// what it was run on: the readiness, the implementation project and the certification
    /// stages all start here.
    pub(crate) async fn checked(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<Checked, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "framework.check", &register(&org))?;
        let (installed, catalog) = self.installed(&db, id).await?;
        let docs = documents_store::all(&db).await?;
        let readiness = self
            .readiness(&org, &db, &docs, &installed, &catalog)
            .await?;
        Ok(Checked {
            org,
            installed,
            catalog,
            readiness,
        })
    }

    pub(crate) async fn readiness(
        &self,
        org: &str,
        db: &Database,
        docs: &[Document],
        installed: &InstalledFramework,
        catalog: &Catalog,
    ) -> Result<Readiness, EngineError> {
        let snapshot = self.snapshot(org, db, docs, installed, catalog).await?;
        // The check runs the organisation's installed catalogue through the server's pack: a
        // pack that changed since the install still knows every requirement it reports on.
        let (pack, _, _) = self.pack(&installed.id)?;
        let mut findings = {
            let snapshot = snapshot.clone();
            tokio::task::spawn_blocking(move || pack.check(&snapshot))
                .await
                .map_err(|e| EngineError::Internal(e.to_string()))??
        };
        // In the standard's order: clauses, then controls.
        let order: std::collections::HashMap<&str, usize> = entries(catalog)
            .into_iter()
            .enumerate()
            .map(|(i, e)| (e.id, i))
            .collect();
        findings.sort_by_key(|f| {
            order
                .get(f.requirement.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        });
        let mut r = Readiness {
            framework: installed.id.clone(),
            snapshot,
            ..Default::default()
        };
        for f in &findings {
            match f.status {
                FindingStatus::Met => r.met += 1,
                FindingStatus::PartiallyMet => r.partially_met += 1,
                FindingStatus::NotMet => r.not_met += 1,
                FindingStatus::NotApplicable => r.not_applicable += 1,
            }
        }
        let applicable = r.met + r.partially_met + r.not_met;
        r.percent = if applicable == 0 {
            0.0
        } else {
            (r.met as f64 + r.partially_met as f64 / 2.0) * 100.0 / applicable as f64
        };
        r.findings = findings;
        Ok(r)
    }

    /// The requirement tree of an installed framework, each node with its status and the
    /// documents (that the caller may read) that name it.
    pub async fn requirement_tree(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<Vec<RequirementNode>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "framework.read", &register(&org))?;
        let (installed, catalog) = self.installed(&db, id).await?;
        let docs = documents_store::all(&db).await?;
        let readiness = self
            .readiness(&org, &db, &docs, &installed, &catalog)
            .await?;
        let scheme = rampart_store::classification::get_scheme(&db)
            .await?
            .map(|s| s.scheme());
        let readable: Vec<&Document> = docs
            .iter()
            .filter(|d| {
                self.allowed(
                    caller,
                    "document.read",
                    &crate::documents::facts(
                        &org,
                        d,
                        d.published().or_else(|| d.latest()),
                        scheme.as_ref(),
                    ),
                )
            })
            .collect();
        let finding = |id: &str| readiness.findings.iter().find(|f| f.requirement == id);
        let documents = |id: &str| -> Vec<String> {
            readable
                .iter()
                .filter(|d| {
                    d.requirements
                        .iter()
                        .any(|r| fw::requirement_of(r, &installed.id) == Some(id))
                })
                .map(|d| d.id.clone())
                .collect()
        };
        let mut out = Vec::new();
        for r in &catalog.requirements {
            let f = finding(&r.id);
            out.push(RequirementNode {
                id: r.id.clone(),
                parent: r.parent.clone(),
                title: r.title.clone(),
                kind: "requirement",
                status: f.map(|f| f.status),
                detail: f.map(|f| f.detail.clone()).unwrap_or_default(),
                documents: documents(&r.id),
                attributes: vec![],
            });
        }
        for c in &catalog.controls {
            let f = finding(&c.id);
            let parent = c
                .attributes
                .iter()
                .find(|a| a.name == "theme" || a.name == "family")
                .map(|a| a.value.clone());
            out.push(RequirementNode {
                id: c.id.clone(),
                parent,
                title: c.title.clone(),
                kind: "control",
                status: f.map(|f| f.status),
                detail: f.map(|f| f.detail.clone()).unwrap_or_default(),
                documents: documents(&c.id),
                attributes: c.attributes.clone(),
            });
        }
        Ok(out)
    }

    /// What else a requirement satisfies: its own mappings, and other installed or available
    /// frameworks' mappings that point at it.
    pub async fn requirement_mappings(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        requirement: &str,
    ) -> Result<Vec<MappingView>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "framework.read", &register(&org))?;
        let requirement = requirement.trim();
        let (installed, catalog) = self.installed(&db, id).await?;
        if !entries(&catalog).iter().any(|e| e.id == requirement) {
            return Err(EngineError::NotFound(format!(
                "requirement {requirement} in {}",
                installed.id
            )));
        }
        // Every catalogue known here: the organisation's installed ones, then the server's packs.
        let mut catalogs: BTreeMap<String, Catalog> = BTreeMap::new();
        for f in store::list(&db).await? {
            if let Some(full) = store::get(&db, &f.id).await? {
                catalogs.insert(f.id.clone(), parse_catalog(&full)?);
            }
        }
        for p in self.plugins.host.list() {
            if let Some(pack) = p.framework_pack().filter(|_| p.enabled) {
                catalogs
                    .entry(p.manifest.id.clone())
                    .or_insert_with(|| pack.catalog().clone());
            }
        }
        let title_in = |framework: &str, target: &str| -> String {
            catalogs
                .get(framework)
                .and_then(|c| entries(c).into_iter().find(|e| e.id == target))
                .map(|e| e.title.to_string())
                .unwrap_or_default()
        };
        let mut out = Vec::new();
        for m in catalog.mappings.iter().filter(|m| m.source == requirement) {
            out.push(MappingView {
                framework: installed.id.clone(),
                requirement: requirement.to_string(),
                target_framework: m.framework.clone(),
                target: m.target.clone(),
                relation: m.relation.clone(),
                target_title: title_in(&m.framework, &m.target),
            });
        }
        for (other, c) in &catalogs {
            if *other == installed.id {
                continue;
            }
            for m in c
                .mappings
                .iter()
                .filter(|m| m.framework == installed.id && m.target == requirement)
            {
                let view = MappingView {
                    framework: installed.id.clone(),
                    requirement: requirement.to_string(),
                    target_framework: other.clone(),
                    target: m.source.clone(),
                    relation: format!("{} (from {other})", m.relation),
                    target_title: title_in(other, &m.source),
                };
                if !out
                    .iter()
                    .any(|o| o.target_framework == view.target_framework && o.target == view.target)
                {
                    out.push(view);
                }
            }
        }
        Ok(out)
    }
}

/// A plugin an import installed, with one line on what it holds.
#[derive(Debug, Clone)]
pub struct ImportedPlugin {
    pub plugin: crate::PluginInfo,
    pub summary: String,
}

impl Engine {
    /// Imports third-party framework content (the first file; the others are what it depends
    /// on) and installs what it becomes: a framework pack, or a risk methodology for a risk
    /// matrix. A file that cannot be imported is refused with its position and nothing is
    /// installed.
    pub async fn import_framework(
        &self,
        caller: &Caller,
        files: Vec<rampart_import::SourceFile>,
        options: rampart_import::Options,
    ) -> Result<Vec<ImportedPlugin>, EngineError> {
        self.authorize(caller, "plugin.install", &Self::catalog(caller))?;
        if files.is_empty() {
            return Err(Invalid::new("files", "give the file to import").into());
        }
        let generated = tokio::task::spawn_blocking(move || {
            rampart_import::import(&files, &options, &mut |_| {})
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))?
        .map_err(|e| EngineError::Invalid(Invalid::new("files", e.to_string())))?;
        let mut out = Vec::new();
        for g in generated {
            let plugin = self
                .install_plugin(caller, &g.manifest_text(), g.files.clone())
                .await?;
            out.push(ImportedPlugin {
                plugin,
                summary: g.summary,
            });
        }
        Ok(out)
    }
}
