//! Time-boxed grants: a template of `policies/grants.cedar` linked to one person and one
//! resource until an end date.

use cedar_policy::EntityUid;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::{organisation_uid, typed_uid, user_uid};

/// What a grant is over: the whole organisation, or one document or asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "id")]
pub enum GrantTarget {
    Organisation,
    Document(String),
    Asset(String),
}

impl GrantTarget {
    /// Parses `organisation`, `document:ID` or `asset:ID`.
    pub fn parse(text: &str) -> Result<GrantTarget, String> {
        match text.split_once(':') {
            None if text == "organisation" => Ok(GrantTarget::Organisation),
            Some(("document", id)) if !id.is_empty() => Ok(GrantTarget::Document(id.into())),
            Some(("asset", id)) if !id.is_empty() => Ok(GrantTarget::Asset(id.into())),
            _ => Err(format!(
                "unknown grant target {text:?}: use organisation, document:ID or asset:ID"
            )),
        }
    }

    pub fn uid(&self, organisation: &str) -> EntityUid {
        match self {
            GrantTarget::Organisation => organisation_uid(organisation),
            GrantTarget::Document(id) => {
                typed_uid("Rampart::Document", &format!("{organisation}/{id}"))
            }
            GrantTarget::Asset(id) => typed_uid("Rampart::Asset", &format!("{organisation}/{id}")),
        }
    }
}

impl std::fmt::Display for GrantTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GrantTarget::Organisation => write!(f, "organisation"),
            GrantTarget::Document(id) => write!(f, "document:{id}"),
            GrantTarget::Asset(id) => write!(f, "asset:{id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The linked policy's id, e.g. `grant-3`.
    pub id: String,
    /// The template's `@id`, e.g. `external-auditor`.
    pub template: String,
    pub organisation: String,
    /// The user it is granted to.
    pub user: String,
    pub target: GrantTarget,
    /// The first instant it no longer holds.
    pub until: OffsetDateTime,
}

impl Grant {
    pub(crate) fn principal_uid(&self) -> EntityUid {
        user_uid(&self.organisation, &self.user)
    }
}
