//! Step 1: the asset inventory.

use std::collections::BTreeSet;

use rampart_authz::Resource;
use rampart_domain::Invalid;
use rampart_domain::asset::{
    Asset, AssetFields, AssetTypeDefinition, Lifecycle, check_lifecycle_change, is_built_in_type,
};
use rampart_domain::classification::ClassificationScheme;
use rampart_store::assets::{self, AssetFilter};
use rampart_store::classification::get_scheme;
use rampart_store::{Change, Database};

use crate::organisations::check_revision;
use crate::{Caller, Engine, EngineError, page_size};

/// Filters and paging for [`Engine::list_assets`].
#[derive(Debug, Clone, Default)]
pub struct AssetListQuery {
    pub filter: AssetFilter,
    pub page_size: u32,
    pub page_token: String,
}

#[derive(Debug, Clone)]
pub struct AssetList {
    pub assets: Vec<Asset>,
    pub next_page_token: String,
    /// The scheme, so callers can show level names and ranks without another call.
    pub scheme: Option<ClassificationScheme>,
}

/// A change to an asset's register entry (not its classification, which has its own operation).
#[derive(Debug, Clone)]
pub struct AssetUpdate {
    pub id: String,
    pub expected_revision: u64,
    pub fields: AssetFields,
}

/// The Cedar resource for an asset as it stands.
pub(crate) fn asset_resource(
    org: &str,
    asset: &Asset,
    scheme: Option<&ClassificationScheme>,
) -> Resource {
    let level = asset
        .classification
        .as_ref()
        .map(|c| c.level.clone())
        .unwrap_or_default();
    let rank = scheme
        .and_then(|s| s.rank(&level))
        .map(|r| r as i64)
        .unwrap_or(-1);
    Resource::Asset {
        organisation: org.to_string(),
        id: asset.id.clone(),
        owner: asset.owner.clone(),
        asset_type: asset.asset_type.clone(),
        classification: level,
        classification_rank: rank,
        lifecycle: asset.lifecycle.as_str().to_string(),
    }
}

impl Engine {
    /// The built-in asset types and the organisation's own.
    pub async fn asset_types(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<AssetTypeDefinition>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(
            caller,
            "classification.scheme.read",
            &Resource::ClassificationScheme { organisation: org },
        )?;
        self.types_of(&db).await
    }

    pub(crate) async fn types_of(
        &self,
        db: &Database,
    ) -> Result<Vec<AssetTypeDefinition>, EngineError> {
        let mut all = AssetTypeDefinition::built_ins();
        all.extend(assets::custom_types(db).await?);
        Ok(all)
    }

    pub(crate) async fn type_keys(&self, db: &Database) -> Result<BTreeSet<String>, EngineError> {
        Ok(self.types_of(db).await?.into_iter().map(|t| t.id).collect())
    }

    pub async fn define_asset_type(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        name: &str,
        description: &str,
    ) -> Result<AssetTypeDefinition, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(
            caller,
            "asset-type.define",
            &Resource::AssetRegister { organisation: org },
        )?;
        let t = AssetTypeDefinition::validate(id, name, description)?;
        let mut change = Change::new();
        assets::define_type(&mut change, &caller.actor(), &t);
        db.commit(change).await?;
        Ok(t)
    }

    /// Checks the references of asset fields: the owner is a user and the type is known.
    async fn check_references(
        &self,
        db: &Database,
        fields: &AssetFields,
    ) -> Result<(), EngineError> {
        crate::users::require_user(db, "owner", &fields.owner).await?;
        if !is_built_in_type(&fields.asset_type)
            && !self.type_keys(db).await?.contains(&fields.asset_type)
        {
            return Err(Invalid::new(
                "asset_type",
                format!(
                    "'{}' is not an asset type of this organisation (built in: electronic-document, information-system, paper-document, storage-media, verbal, email; define others with DefineAssetType)",
                    fields.asset_type
                ),
            )
            .into());
        }
        Ok(())
    }

    pub async fn create_asset(
        &self,
        caller: &Caller,
        org: &str,
        fields: AssetFields,
    ) -> Result<Asset, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let fields = fields.validate()?;
        let now = rampart_store::now();
        let asset = Asset {
            id: rampart_store::new_id(),
            name: fields.name.clone(),
            asset_type: fields.asset_type.clone(),
            owner: fields.owner.clone(),
            location: fields.location.clone(),
            description: fields.description.clone(),
            cia: fields.cia,
            lifecycle: fields.lifecycle,
            classification: None,
            revision: 1,
            created_at: now.clone(),
            updated_at: now,
        };
        self.authorize(caller, "asset.create", &asset_resource(&org, &asset, None))?;
        self.check_references(&db, &fields).await?;
        let mut change = Change::new();
        assets::create(&mut change, &caller.actor(), &asset);
        db.commit(change).await?;
        Ok(asset)
    }

    pub async fn get_asset(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<(Asset, Option<ClassificationScheme>), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let id = id.trim();
        if id.is_empty() {
            return Err(Invalid::new("id", "is required").into());
        }
        // One round trip for the asset and the scheme: this is the API's hottest read.
        // Served from the store's read cache when nothing changed since (see `Database::cached`).
        let read = assets::get_with_scheme(&db, id).await?;
        let (asset, scheme) = read.as_ref();
        let asset = asset
            .clone()
            .ok_or_else(|| EngineError::NotFound(format!("asset {id}")))?;
        let scheme = scheme.as_ref().map(|s| s.scheme());
        self.authorize(
            caller,
            "asset.read",
            &asset_resource(&org, &asset, scheme.as_ref()),
        )?;
        Ok((asset, scheme))
    }

    /// Assets the caller may read, matching the filter, a page at a time. Pages are filled from
    /// the readable assets only, so no page is short while more remain.
    pub async fn list_assets(
        &self,
        caller: &Caller,
        org: &str,
        query: AssetListQuery,
    ) -> Result<AssetList, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(
            caller,
            "asset.list",
            &Resource::AssetRegister {
                organisation: org.clone(),
            },
        )?;
        let size = page_size(query.page_size);
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        let mut readers = self.list_filter(caller, &org, "asset.read");
        let mut out = Vec::new();
        let mut cursor = query.page_token.trim().to_string();
        if !cursor.is_empty() && !cursor.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Invalid::new("page_token", "is not a token this server issued").into());
        }
        loop {
            let batch = assets::list(&db, &query.filter, &cursor, size + 1).await?;
            let exhausted = batch.len() <= size;
            for a in batch {
                if out.len() == size {
                    return Ok(AssetList {
                        assets: out,
                        next_page_token: cursor,
                        scheme,
                    });
                }
                cursor = a.id.clone();
                if readers.allows(&asset_resource(&org, &a, scheme.as_ref())) {
                    out.push(a);
                }
            }
            if exhausted {
                return Ok(AssetList {
                    assets: out,
                    next_page_token: String::new(),
                    scheme,
                });
            }
        }
    }

    pub async fn update_asset(
        &self,
        caller: &Caller,
        org: &str,
        update: AssetUpdate,
    ) -> Result<(Asset, Option<ClassificationScheme>), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let current = load(&db, &update.id).await?;
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        self.authorize(
            caller,
            "asset.update",
            &asset_resource(&org, &current, scheme.as_ref()),
        )?;
        let fields = update.fields.validate()?;
        check_lifecycle_change(current.lifecycle, fields.lifecycle)?;
        if current.lifecycle == Lifecycle::Disposed {
            return Err(EngineError::FailedPrecondition(format!(
                "asset {} is disposed and can no longer change",
                current.id
            )));
        }
        check_revision(
            "asset",
            &current.id,
            current.revision,
            update.expected_revision,
        )?;
        self.check_references(&db, &fields).await?;
        let asset = Asset {
            name: fields.name,
            asset_type: fields.asset_type,
            owner: fields.owner,
            location: fields.location,
            description: fields.description,
            cia: fields.cia,
            lifecycle: fields.lifecycle,
            revision: current.revision + 1,
            updated_at: rampart_store::now(),
            ..current
        };
        let mut change = Change::new();
        assets::update(
            &mut change,
            "ast",
            &caller.actor(),
            "asset.update",
            &asset,
            update.expected_revision,
        );
        db.commit(change).await?;
        Ok((asset, scheme))
    }
}

pub(crate) async fn load(db: &Database, id: &str) -> Result<Asset, EngineError> {
    let id = id.trim();
    if id.is_empty() {
        return Err(Invalid::new("id", "is required").into());
    }
    assets::get(db, id)
        .await?
        .ok_or_else(|| EngineError::NotFound(format!("asset {id}")))
}
