//! Step 1 of the classification process: the asset inventory.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, key, optional_text, required_text};

/// The six media types of the inventory. Organisations may define more (see [`AssetTypeDefinition`]).
pub const BUILT_IN_ASSET_TYPES: [(&str, &str); 6] = [
    ("electronic-document", "Electronic document"),
    ("information-system", "Information system / database"),
    ("paper-document", "Paper document"),
    ("storage-media", "Storage media"),
    ("verbal", "Verbally transmitted information"),
    ("email", "Email"),
];

pub fn is_built_in_type(id: &str) -> bool {
    BUILT_IN_ASSET_TYPES.iter().any(|(k, _)| *k == id)
}

/// An organisation-defined asset type, e.g. `source-code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetTypeDefinition {
    pub id: String,
    pub name: String,
    pub description: String,
    pub built_in: bool,
}

impl AssetTypeDefinition {
    pub fn validate(id: &str, name: &str, description: &str) -> Result<Self, Invalid> {
        let id = key("id", id, 60)?;
        if is_built_in_type(&id) {
            return Err(Invalid::new(
                "id",
                format!("'{id}' is a built-in asset type"),
            ));
        }
        Ok(AssetTypeDefinition {
            id,
            name: required_text("name", name, 200)?,
            description: optional_text("description", description, 2000)?,
            built_in: false,
        })
    }

    pub fn built_ins() -> Vec<AssetTypeDefinition> {
        BUILT_IN_ASSET_TYPES
            .iter()
            .map(|(id, name)| AssetTypeDefinition {
                id: id.to_string(),
                name: name.to_string(),
                description: String::new(),
                built_in: true,
            })
            .collect()
    }
}

/// Where an asset is in its life. Disposed is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lifecycle {
    Planned,
    InUse,
    Retired,
    Disposed,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 4] = [
        Lifecycle::Planned,
        Lifecycle::InUse,
        Lifecycle::Retired,
        Lifecycle::Disposed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Planned => "planned",
            Lifecycle::InUse => "in-use",
            Lifecycle::Retired => "retired",
            Lifecycle::Disposed => "disposed",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Lifecycle, Invalid> {
        Lifecycle::ALL
            .into_iter()
            .find(|l| l.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    field,
                    format!("'{s}' is not a lifecycle state (planned, in-use, retired, disposed)"),
                )
            })
    }

    /// States reachable from this one. An asset may go back into use from retirement, but a
    /// disposed asset no longer exists.
    pub fn next(self) -> &'static [Lifecycle] {
        match self {
            Lifecycle::Planned => &[Lifecycle::InUse, Lifecycle::Disposed],
            Lifecycle::InUse => &[Lifecycle::Retired, Lifecycle::Disposed],
            Lifecycle::Retired => &[Lifecycle::InUse, Lifecycle::Disposed],
            Lifecycle::Disposed => &[],
        }
    }

    pub fn can_become(self, to: Lifecycle) -> bool {
        self == to || self.next().contains(&to)
    }
}

/// Confidentiality, integrity and availability values on a 0–5 scale (0: not yet assessed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cia {
    pub confidentiality: u8,
    pub integrity: u8,
    pub availability: u8,
}

pub const CIA_MAX: u8 = 5;

impl Cia {
    pub fn validate(self) -> Result<Self, Invalid> {
        for (field, v) in [
            ("confidentiality", self.confidentiality),
            ("integrity", self.integrity),
            ("availability", self.availability),
        ] {
            if v > CIA_MAX {
                return Err(Invalid::new(
                    field,
                    format!("{v} is outside the scale 0–{CIA_MAX}"),
                ));
            }
        }
        Ok(self)
    }
}

/// The current classification of an asset (step 2); the history is kept separately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentClassification {
    pub level: String,
    pub by: String,
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub id: String,
    pub name: String,
    pub asset_type: String,
    pub owner: String,
    pub location: String,
    pub description: String,
    pub cia: Cia,
    pub lifecycle: Lifecycle,
    pub classification: Option<CurrentClassification>,
    pub revision: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// What a caller sets when creating or updating an asset.
#[derive(Debug, Clone)]
pub struct AssetFields {
    pub name: String,
    pub asset_type: String,
    pub owner: String,
    pub location: String,
    pub description: String,
    pub cia: Cia,
    pub lifecycle: Lifecycle,
}

impl AssetFields {
    /// Checks the fields themselves; that the owner and type exist is checked against the store.
    pub fn validate(self) -> Result<Self, Invalid> {
        Ok(AssetFields {
            name: required_text("name", &self.name, 300)?,
            asset_type: key("asset_type", &self.asset_type, 60)?,
            owner: key("owner", &self.owner, 60)?,
            location: optional_text("location", &self.location, 500)?,
            description: optional_text("description", &self.description, 5000)?,
            cia: self.cia.validate()?,
            lifecycle: self.lifecycle,
        })
    }
}

/// Checks that a lifecycle change is allowed.
pub fn check_lifecycle_change(from: Lifecycle, to: Lifecycle) -> Result<(), Invalid> {
    if from.can_become(to) {
        return Ok(());
    }
    let allowed: Vec<&str> = from.next().iter().map(|l| l.as_str()).collect();
    Err(Invalid::new(
        "lifecycle",
        format!(
            "an asset that is {} cannot become {}; allowed next: {}",
            from.as_str(),
            to.as_str(),
            if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_moves() {
        assert!(check_lifecycle_change(Lifecycle::Planned, Lifecycle::InUse).is_ok());
        assert!(check_lifecycle_change(Lifecycle::Retired, Lifecycle::InUse).is_ok());
        let e = check_lifecycle_change(Lifecycle::Disposed, Lifecycle::InUse).unwrap_err();
        assert!(e.message.contains("allowed next: none"), "{e}");
        assert!(check_lifecycle_change(Lifecycle::Planned, Lifecycle::Retired).is_err());
        assert_eq!(
            Lifecycle::parse("lifecycle", "in-use").unwrap(),
            Lifecycle::InUse
        );
        assert!(Lifecycle::parse("lifecycle", "gone").is_err());
    }

    #[test]
    fn cia_scale() {
        assert!(
            Cia {
                confidentiality: 5,
                integrity: 0,
                availability: 3
            }
            .validate()
            .is_ok()
        );
        assert_eq!(
            Cia {
                confidentiality: 6,
                ..Default::default()
            }
            .validate()
            .unwrap_err()
            .field,
            "confidentiality"
        );
    }

    #[test]
    fn custom_types_cannot_shadow_built_ins() {
        assert!(AssetTypeDefinition::validate("email", "Mail", "").is_err());
        assert!(AssetTypeDefinition::validate("source-code", "Source code", "").is_ok());
    }
}
