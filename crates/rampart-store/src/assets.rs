//! The asset register and asset types (organisation database).

use std::sync::Arc;

use rampart_domain::asset::{Asset, AssetTypeDefinition};
use serde_json::{Map, Value};

use crate::json::{content, from_row, from_rows, state, vars};
use crate::{Change, Database, StoreError, records};

pub async fn get(db: &Database, id: &str) -> Result<Option<Asset>, StoreError> {
    let rows = db
        .rows(
            "SELECT * FROM type::record('asset', $id)",
            vars([("id", Value::from(id))]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

/// An asset and the organisation's classification scheme, read in one round trip (the scheme
/// gives the asset's level its name and rank).
pub async fn get_with_scheme(db: &Database, id: &str) -> Result<Arc<AssetWithScheme>, StoreError> {
    // An asset row and a scheme are a few kilobytes.
    db.cached(&format!("asset+scheme/{id}"), |_| 4096, || async {
        let mut results = db
            .rows_of_each(
                "SELECT * FROM type::record('asset', $id); SELECT * FROM classification_scheme:current;",
                vars([("id", Value::from(id))]),
                2,
            )
            .await?;
        let scheme = results.pop().unwrap_or_default().into_iter().next();
        let asset = results.pop().unwrap_or_default().into_iter().next();
        Ok((
            asset.map(from_row).transpose()?,
            scheme.map(from_row).transpose()?,
        ))
    })
    .await
}

/// An asset (if it exists) and the organisation's classification scheme (if it has one).
pub type AssetWithScheme = (Option<Asset>, Option<crate::classification::StoredScheme>);

/// Filters for [`list`]; empty strings match everything.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub owner: String,
    pub asset_type: String,
    /// A level key, or `unclassified`.
    pub level: String,
    pub lifecycle: String,
}

/// Assets matching `filter` in creation order, after the asset `after` (keyset paging).
pub async fn list(
    db: &Database,
    filter: &AssetFilter,
    after: &str,
    limit: usize,
) -> Result<Vec<Asset>, StoreError> {
    let mut q = String::from("SELECT * FROM asset WHERE true");
    if !filter.owner.is_empty() {
        q.push_str(" AND owner = $owner");
    }
    if !filter.asset_type.is_empty() {
        q.push_str(" AND asset_type = $asset_type");
    }
    if filter.level == "unclassified" {
        q.push_str(" AND classification = NONE");
    } else if !filter.level.is_empty() {
        q.push_str(" AND classification.level = $level");
    }
    if !filter.lifecycle.is_empty() {
        q.push_str(" AND lifecycle = $lifecycle");
    }
    if !after.is_empty() {
        q.push_str(" AND id > type::record('asset', $after)");
    }
    q.push_str(" ORDER BY id LIMIT $limit");
    let v = vars([
        ("owner", Value::from(filter.owner.as_str())),
        ("asset_type", Value::from(filter.asset_type.as_str())),
        ("level", Value::from(filter.level.as_str())),
        ("lifecycle", Value::from(filter.lifecycle.as_str())),
        ("after", Value::from(after)),
        ("limit", Value::from(limit)),
    ]);
    from_rows(db.rows(&q, v, 0).await?)
}

/// All assets classified at one of `levels` (for reclassification when the scheme changes).
pub async fn classified_at(db: &Database, levels: &[String]) -> Result<Vec<Asset>, StoreError> {
    let q = "SELECT * FROM asset WHERE classification.level IN $levels ORDER BY id";
    from_rows(
        db.rows(q, vars([("levels", Value::from(levels.to_vec()))]), 0)
            .await?,
    )
}

/// The level keys that assets carry now.
pub async fn levels_in_use(db: &Database) -> Result<Vec<String>, StoreError> {
    let rows = db
        .rows("SELECT classification.level AS level FROM asset WHERE classification != NONE GROUP BY level", Map::new(), 0)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.get("level")?.as_str().map(String::from))
        .collect())
}

pub fn create(change: &mut Change, actor: &str, asset: &Asset) {
    records::create(
        change,
        "ast",
        "asset",
        &asset.id,
        content(asset),
        &format!("asset {}", asset.id),
    );
    change.record(
        actor,
        "asset.create",
        format!("asset:{}", asset.id),
        state(asset),
    );
}

/// Replaces an asset at the revision the caller read. `p` keeps several updates in one change apart.
pub fn update(
    change: &mut Change,
    p: &str,
    actor: &str,
    operation: &str,
    asset: &Asset,
    expected: u64,
) {
    records::replace(
        change,
        p,
        "asset",
        &asset.id,
        expected,
        content(asset),
        &format!("asset {}", asset.id),
    );
    change.record(
        actor,
        operation,
        format!("asset:{}", asset.id),
        state(asset),
    );
}

pub async fn custom_types(db: &Database) -> Result<Vec<AssetTypeDefinition>, StoreError> {
    from_rows(
        db.rows("SELECT * FROM asset_type ORDER BY id", Map::new(), 0)
            .await?,
    )
}

pub fn define_type(change: &mut Change, actor: &str, t: &AssetTypeDefinition) {
    records::create(
        change,
        "atype",
        "asset_type",
        &t.id,
        content(t),
        &format!("asset type {}", t.id),
    );
    change.record(
        actor,
        "asset-type.define",
        format!("asset_type:{}", t.id),
        state(t),
    );
}

/// How many assets the register holds, and how many of them are not classified yet (retired
/// assets left out of both).
pub async fn counts(db: &Database) -> Result<(u64, u64), StoreError> {
    let rows = db
        .rows(
            "SELECT count() AS total, count(classification = NONE) AS unclassified FROM asset \
             WHERE lifecycle != 'retired' GROUP ALL",
            Map::new(),
            0,
        )
        .await?;
    let row = rows.first();
    let n = |k: &str| {
        row.and_then(|r| r.get(k))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Ok((n("total"), n("unclassified")))
}
