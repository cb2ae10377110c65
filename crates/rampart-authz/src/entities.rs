//! Cedar entities built from the model: just what one decision needs.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};

fn uid(type_name: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(type_name).expect("our entity type names parse"),
        EntityId::new(id),
    )
}

fn s(v: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(v.to_string())
}

fn entity(
    uid: EntityUid,
    attrs: Vec<(&str, RestrictedExpression)>,
    parents: HashSet<EntityUid>,
) -> Entity {
    let attrs: HashMap<String, RestrictedExpression> =
        attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    Entity::new(uid, attrs, parents).expect("literal attributes always evaluate")
}

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Principal {
    Operator {
        id: String,
    },
    User {
        organisation: String,
        id: String,
        roles: Vec<String>,
        department: String,
        job_title: String,
        clearance: String,
        clearance_rank: i64,
        active: bool,
    },
}

impl Principal {
    pub fn uid(&self) -> EntityUid {
        match self {
            Principal::Operator { id } => uid("Rampart::Operator", id),
            Principal::User {
                organisation, id, ..
            } => user_uid(organisation, id),
        }
    }

    /// The audit trail's name for this principal.
    pub fn actor(&self) -> String {
        match self {
            Principal::Operator { id } => format!("operator:{id}"),
            Principal::User { id, .. } => format!("user:{id}"),
        }
    }

    pub fn organisation(&self) -> Option<&str> {
        match self {
            Principal::Operator { .. } => None,
            Principal::User { organisation, .. } => Some(organisation),
        }
    }

    pub(crate) fn entities(&self) -> Vec<Entity> {
        match self {
            Principal::Operator { id } => {
                vec![entity(
                    uid("Rampart::Operator", id),
                    vec![("organisation", s(""))],
                    HashSet::new(),
                )]
            }
            Principal::User {
                organisation,
                id,
                roles,
                department,
                job_title,
                clearance,
                clearance_rank,
                active,
            } => {
                let mut parents: HashSet<EntityUid> =
                    roles.iter().map(|r| uid("Rampart::Role", r)).collect();
                if !department.is_empty() {
                    parents.insert(uid("Rampart::Department", department));
                }
                let mut out: Vec<Entity> = parents
                    .iter()
                    .map(|p| Entity::new_no_attrs(p.clone(), HashSet::new()))
                    .collect();
                out.push(entity(
                    user_uid(organisation, id),
                    vec![
                        ("organisation", s(organisation)),
                        ("job_title", s(job_title)),
                        ("clearance", s(clearance)),
                        (
                            "clearance_rank",
                            RestrictedExpression::new_long(*clearance_rank),
                        ),
                        ("active", RestrictedExpression::new_bool(*active)),
                    ],
                    parents,
                ));
                out
            }
        }
    }
}

/// Users are named `org/user` so that equal user keys in two organisations stay different.
fn user_uid(organisation: &str, id: &str) -> EntityUid {
    uid("Rampart::User", &format!("{organisation}/{id}"))
}

/// What is acted on, with the attributes policies decide by.
#[derive(Debug, Clone)]
pub enum Resource {
    Organisation {
        id: String,
    },
    User {
        organisation: String,
        id: String,
        target: Option<Box<Principal>>,
    },
    Token {
        organisation: String,
        holder: String,
    },
    AssetRegister {
        organisation: String,
    },
    Asset {
        organisation: String,
        id: String,
        owner: String,
        asset_type: String,
        classification: String,
        classification_rank: i64,
        lifecycle: String,
    },
    ClassificationScheme {
        organisation: String,
    },
    AuditTrail {
        organisation: String,
    },
    PluginCatalog {
        organisation: String,
    },
}

impl Resource {
    pub fn uid(&self) -> EntityUid {
        match self {
            Resource::Organisation { id } => uid("Rampart::Organisation", id),
            Resource::User {
                organisation, id, ..
            } => user_uid(organisation, id),
            Resource::Token {
                organisation,
                holder,
            } => uid("Rampart::Token", &format!("{organisation}/{holder}")),
            Resource::AssetRegister { organisation } => uid("Rampart::AssetRegister", organisation),
            Resource::Asset {
                organisation, id, ..
            } => uid("Rampart::Asset", &format!("{organisation}/{id}")),
            Resource::ClassificationScheme { organisation } => {
                uid("Rampart::ClassificationScheme", organisation)
            }
            Resource::AuditTrail { organisation } => uid("Rampart::AuditTrail", organisation),
            Resource::PluginCatalog { organisation } => uid("Rampart::PluginCatalog", organisation),
        }
    }

    pub(crate) fn entities(&self) -> Vec<Entity> {
        let one = |attrs: Vec<(&str, RestrictedExpression)>| {
            vec![entity(self.uid(), attrs, HashSet::new())]
        };
        match self {
            Resource::Organisation { id } => one(vec![("organisation", s(id))]),
            Resource::User {
                organisation,
                id,
                target,
            } => match target {
                // The user's full entity, when the caller has it (e.g. reading an existing user).
                Some(p) => p.entities(),
                None => vec![entity(
                    user_uid(organisation, id),
                    vec![
                        ("organisation", s(organisation)),
                        ("job_title", s("")),
                        ("clearance", s("")),
                        ("clearance_rank", RestrictedExpression::new_long(-1)),
                        ("active", RestrictedExpression::new_bool(true)),
                    ],
                    HashSet::new(),
                )],
            },
            Resource::Token {
                organisation,
                holder,
            } => one(vec![
                ("organisation", s(organisation)),
                (
                    "holder",
                    RestrictedExpression::new_entity_uid(user_uid(organisation, holder)),
                ),
            ]),
            Resource::AssetRegister { organisation }
            | Resource::ClassificationScheme { organisation }
            | Resource::AuditTrail { organisation }
            | Resource::PluginCatalog { organisation } => {
                one(vec![("organisation", s(organisation))])
            }
            Resource::Asset {
                organisation,
                owner,
                asset_type,
                classification,
                classification_rank,
                lifecycle,
                ..
            } => one(vec![
                ("organisation", s(organisation)),
                (
                    "owner",
                    RestrictedExpression::new_entity_uid(user_uid(organisation, owner)),
                ),
                ("asset_type", s(asset_type)),
                (
                    "classified",
                    RestrictedExpression::new_bool(!classification.is_empty()),
                ),
                ("classification", s(classification)),
                (
                    "classification_rank",
                    RestrictedExpression::new_long(*classification_rank),
                ),
                ("lifecycle", s(lifecycle)),
            ]),
        }
    }
}
