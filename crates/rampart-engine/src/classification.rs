//! Steps 2–4: classifying assets, the scheme, labels and handling rules.

use std::collections::{BTreeMap, BTreeSet};

use rampart_authz::Resource;
use rampart_domain::Invalid;
use rampart_domain::asset::{Asset, CurrentClassification};
use rampart_domain::classification::{
    ClassificationRecord, ClassificationScheme, HandlingRule, Label, LabelContext,
    plan_scheme_change,
};
use rampart_store::assets;
use rampart_store::classification::{self as store, StoredScheme, get_scheme};
use rampart_store::{Change, organisations};

use crate::assets::{asset_resource, load};
use crate::{Caller, Engine, EngineError};

/// A request to replace the scheme.
#[derive(Debug, Clone)]
pub struct SchemeChange {
    /// 0 when there is no scheme yet.
    pub expected_revision: u64,
    pub scheme: ClassificationScheme,
    /// Old level → new level, for levels that disappear while assets carry them.
    pub level_mapping: BTreeMap<String, String>,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct SchemeChangeResult {
    pub scheme: StoredScheme,
    pub reclassified: Vec<Asset>,
}

impl Engine {
    pub async fn get_scheme(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<StoredScheme, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(
            caller,
            "classification.scheme.read",
            &Resource::ClassificationScheme {
                organisation: org.clone(),
            },
        )?;
        get_scheme(&db).await?.ok_or_else(|| {
            EngineError::NotFound(format!("classification scheme of {org} (set one with SetScheme, e.g. from the four-level template)"))
        })
    }

    /// Replaces the scheme; assets at levels that disappear move to their mapped level, with
    /// history, in the same transaction.
    pub async fn set_scheme(
        &self,
        caller: &Caller,
        org: &str,
        change: SchemeChange,
    ) -> Result<SchemeChangeResult, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(
            caller,
            "classification.scheme.update",
            &Resource::ClassificationScheme {
                organisation: org.clone(),
            },
        )?;
        let scheme = change.scheme.validate(&self.type_keys(&db).await?)?;
        let current = get_scheme(&db).await?;
        let current_revision = current.as_ref().map(|s| s.revision).unwrap_or(0);
        if current_revision != change.expected_revision {
            return Err(EngineError::Conflict(format!(
                "the classification scheme is at revision {current_revision}, the request named {}; read it again and retry",
                change.expected_revision
            )));
        }
        let in_use: BTreeSet<String> = assets::levels_in_use(&db).await?.into_iter().collect();
        let moves = plan_scheme_change(&scheme, &in_use, &change.level_mapping)?;
        let reason = rampart_domain::invalid::optional_text("reason", &change.reason, 2000)?;
        let now = rampart_store::now();
        let actor = caller.actor();
        let mut tx = Change::new();
        let mut reclassified = Vec::new();
        if !moves.is_empty() {
            let affected =
                assets::classified_at(&db, &moves.keys().cloned().collect::<Vec<_>>()).await?;
            for (i, a) in affected.into_iter().enumerate() {
                let old = a
                    .classification
                    .as_ref()
                    .map(|c| c.level.clone())
                    .unwrap_or_default();
                let new_level = moves[&old].clone();
                let why = if reason.is_empty() {
                    format!("classification scheme changed: {old} became {new_level}")
                } else {
                    format!("classification scheme changed: {old} became {new_level} ({reason})")
                };
                let (asset, record) = reclassify(&a, &new_level, &actor, &now, &why);
                assets::update(
                    &mut tx,
                    &format!("re{i}"),
                    &actor,
                    "asset.reclassify",
                    &asset,
                    a.revision,
                );
                store::record(&mut tx, &format!("rc{i}"), &actor, &record);
                reclassified.push(asset);
            }
        }
        let stored = StoredScheme::new(scheme, current_revision + 1, now);
        store::put_scheme(&mut tx, &actor, &stored, current_revision);
        db.commit(tx).await?;
        Ok(SchemeChangeResult {
            scheme: stored,
            reclassified,
        })
    }

    /// Step 2: classifies an asset at `level`, recording who, when and why.
    pub async fn classify_asset(
        &self,
        caller: &Caller,
        org: &str,
        asset_id: &str,
        expected_revision: u64,
        level: &str,
        reason: &str,
    ) -> Result<(Asset, ClassificationScheme), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let current = load(&db, asset_id).await?;
        let scheme = get_scheme(&db).await?.map(|s| s.scheme()).ok_or_else(|| {
            EngineError::FailedPrecondition(
                "the organisation has no classification scheme yet; set one first".into(),
            )
        })?;
        self.authorize(
            caller,
            "asset.classify",
            &asset_resource(&org, &current, Some(&scheme)),
        )?;
        let level = level.trim();
        if scheme.level(level).is_none() {
            let known: Vec<&str> = scheme.levels.iter().map(|l| l.id.as_str()).collect();
            return Err(Invalid::new(
                "level",
                format!(
                    "'{level}' is not a level of the scheme ({})",
                    known.join(", ")
                ),
            )
            .into());
        }
        let reason = rampart_domain::invalid::required_text("reason", reason, 2000)?;
        crate::organisations::check_revision(
            "asset",
            &current.id,
            current.revision,
            expected_revision,
        )?;
        let actor = caller.actor();
        let (asset, record) = reclassify(&current, level, &actor, &rampart_store::now(), &reason);
        let mut tx = Change::new();
        assets::update(
            &mut tx,
            "ast",
            &actor,
            "asset.classify",
            &asset,
            expected_revision,
        );
        store::record(&mut tx, "rec", &actor, &record);
        db.commit(tx).await?;
        Ok((asset, scheme))
    }

    pub async fn classification_history(
        &self,
        caller: &Caller,
        org: &str,
        asset_id: &str,
    ) -> Result<Vec<ClassificationRecord>, EngineError> {
        let (asset, _) = self.get_asset(caller, org, asset_id).await?;
        let (_, db) = self.organisation_db(caller, org).await?;
        Ok(store::history(&db, &asset.id).await?)
    }

    /// Step 3: the label an asset must carry.
    pub async fn label(
        &self,
        caller: &Caller,
        org: &str,
        asset_id: &str,
    ) -> Result<(Asset, Label), EngineError> {
        let (asset, scheme) = self.get_asset(caller, org, asset_id).await?;
        let (org, db) = self.organisation_db(caller, org).await?;
        let scheme = scheme.ok_or_else(|| {
            EngineError::FailedPrecondition("the organisation has no classification scheme".into())
        })?;
        let level = classified_level(&asset)?;
        let org_name = organisations::get(self.store.system(), &org)
            .await?
            .map(|o| o.name)
            .unwrap_or(org);
        let owner = rampart_store::users::get(&db, &asset.owner)
            .await?
            .map(|u| u.display_name)
            .unwrap_or(asset.owner.clone());
        let ctx = LabelContext {
            organisation: &org_name,
            asset: &asset.name,
            owner: &owner,
        };
        let label = scheme.label_for(&asset.asset_type, &level, &ctx).ok_or_else(|| {
            EngineError::FailedPrecondition(format!(
                "the scheme has no labeling rule for {} (nor a '*' rule); add one with SetScheme",
                asset.asset_type
            ))
        })?;
        Ok((asset, label))
    }

    /// Step 4: the handling rule for an asset's level and type (None if the matrix has no cell).
    pub async fn handling(
        &self,
        caller: &Caller,
        org: &str,
        asset_id: &str,
    ) -> Result<(Asset, Option<HandlingRule>), EngineError> {
        let (asset, scheme) = self.get_asset(caller, org, asset_id).await?;
        let scheme = scheme.ok_or_else(|| {
            EngineError::FailedPrecondition("the organisation has no classification scheme".into())
        })?;
        let level = classified_level(&asset)?;
        let rule = scheme.handling_for(&asset.asset_type, &level).cloned();
        Ok((asset, rule))
    }
}

fn classified_level(asset: &Asset) -> Result<String, EngineError> {
    asset
        .classification
        .as_ref()
        .map(|c| c.level.clone())
        .ok_or_else(|| {
            EngineError::FailedPrecondition(format!(
                "asset {} is not classified yet; classify it first (ClassifyAsset)",
                asset.id
            ))
        })
}

/// The asset at its new level, and the history record of the move.
fn reclassify(
    current: &Asset,
    level: &str,
    actor: &str,
    at: &str,
    reason: &str,
) -> (Asset, ClassificationRecord) {
    let previous = current
        .classification
        .as_ref()
        .map(|c| c.level.clone())
        .unwrap_or_default();
    let asset = Asset {
        classification: Some(CurrentClassification {
            level: level.into(),
            by: actor.into(),
            at: at.into(),
            reason: reason.into(),
        }),
        revision: current.revision + 1,
        updated_at: at.into(),
        ..current.clone()
    };
    let record = ClassificationRecord {
        id: rampart_store::new_id(),
        asset: current.id.clone(),
        level: level.into(),
        previous_level: previous,
        by: actor.into(),
        at: at.into(),
        reason: reason.into(),
    };
    (asset, record)
}
