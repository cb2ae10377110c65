//! Cedar entities built from the model: just what one decision needs.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::str::FromStr;

use cedar_policy::{Entities, Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};

pub(crate) fn typed_uid(type_name: &str, id: &str) -> EntityUid {
    uid(type_name, id)
}

fn uid(type_name: &str, id: &str) -> EntityUid {
    // Parsing a type name runs Cedar's parser (several µs) and a decision builds a dozen uids;
    // the parsed names are kept per thread, so that concurrent requests share no lock.
    thread_local! {
        static TYPES: RefCell<HashMap<String, EntityTypeName>> = RefCell::default();
    }
    let parsed = TYPES.with_borrow_mut(|types| match types.get(type_name) {
        Some(t) => t.clone(),
        None => {
            let t = EntityTypeName::from_str(type_name).expect("our entity type names parse");
            types.insert(type_name.to_string(), t.clone());
            t
        }
    });
    EntityUid::from_type_name_and_id(parsed, EntityId::new(id))
}

fn s(v: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(v.to_string())
}

fn entity(
    uid: EntityUid,
    mut attrs: Vec<(&str, RestrictedExpression)>,
    parents: HashSet<EntityUid>,
) -> Entity {
    // Cedar sorts attributes by name, moving its large evaluated values about; given in order
    // (the lists below are written so), that sort only compares. Sorting here keeps any list
    // right; on a list already in order it too only compares.
    attrs.sort_by_key(|(name, _)| *name);
    // Straight to Cedar (which keeps attributes in a sorted map), not through a hash map first.
    Entity::new_with_tags(
        uid,
        attrs.into_iter().map(|(k, v)| (k.to_string(), v)),
        parents,
        [],
    )
    .expect("literal attributes always evaluate")
}

/// The organisation every resource (and user) belongs to, so that `resource in
/// Rampart::Organisation::"acme"` holds for all of them (grants over a whole organisation).
pub(crate) fn organisation_entity(organisation: &str) -> Entity {
    entity(
        organisation_uid(organisation),
        vec![("organisation", s(organisation))],
        HashSet::new(),
    )
}

pub(crate) fn organisation_uid(organisation: &str) -> EntityUid {
    uid("Rampart::Organisation", organisation)
}

/// A principal made ready for decisions (see [`Principal::asking`]).
pub(crate) struct Asking {
    pub uid: EntityUid,
    /// Its roles, department and organisation: all its ancestors.
    pub groups: Vec<EntityUid>,
    pub store: Entities,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

    /// The principal's entities: itself, with its groups as parents.
    pub(crate) fn entities(&self) -> Vec<Entity> {
        self.build_entities()
    }

    /// The principal as decisions need it: its uid, everything it is `in`, and its entities as
    /// a Cedar entity store with their transitive closure computed. Kept per thread for the
    /// people asking most recently: every decision of a request, and every request of the same
    /// person, starts from it (the closure of a user with a role, a department and an
    /// organisation costs a few µs; adding a resource to it, much less).
    pub(crate) fn asking(&self) -> Rc<Asking> {
        const KEPT: usize = 1024;
        thread_local! {
            static BUILT: RefCell<HashMap<Principal, Rc<Asking>>> = RefCell::default();
        }
        if let Some(built) = BUILT.with_borrow(|b| b.get(self).cloned()) {
            return built;
        }
        let built = Rc::new(Asking {
            uid: self.uid(),
            groups: self.groups().into_iter().collect(),
            store: Entities::from_entities(self.build_entities(), None)
                .expect("one user with its groups as parents makes no cycle"),
        });
        BUILT.with_borrow_mut(|b| {
            if b.len() >= KEPT {
                b.clear();
            }
            b.insert(self.clone(), built.clone());
        });
        built
    }

    /// Everything the principal is `in`: a user's roles, department and organisation (none of
    /// which is in anything else, so these are all its ancestors); nothing for an operator.
    pub(crate) fn groups(&self) -> HashSet<EntityUid> {
        match self {
            Principal::Operator { .. } => HashSet::new(),
            Principal::User {
                organisation,
                roles,
                department,
                ..
            } => {
                let mut groups: HashSet<EntityUid> =
                    roles.iter().map(|r| uid("Rampart::Role", r)).collect();
                if !department.is_empty() {
                    groups.insert(uid("Rampart::Department", department));
                }
                groups.insert(organisation_uid(organisation));
                groups
            }
        }
    }

    fn build_entities(&self) -> Vec<Entity> {
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
                job_title,
                clearance,
                clearance_rank,
                active,
                ..
            } => {
                // Only the user: its roles, department and organisation are its parents, which
                // is all `principal in …` reads; no policy reads a group's attributes, and each
                // entity more costs the decision its share of Cedar's transitive closure.
                let parents = self.groups();
                vec![entity(
                    user_uid(organisation, id),
                    vec![
                        ("active", RestrictedExpression::new_bool(*active)),
                        ("clearance", s(clearance)),
                        (
                            "clearance_rank",
                            RestrictedExpression::new_long(*clearance_rank),
                        ),
                        ("job_title", s(job_title)),
                        ("organisation", s(organisation)),
                    ],
                    parents,
                )]
            }
        }
    }
}

/// Users are named `org/user` so that equal user keys in two organisations stay different.
/// A set of users of `organisation`, as an attribute value.
fn user_set(organisation: &str, ids: &[String]) -> RestrictedExpression {
    RestrictedExpression::new_set(
        ids.iter()
            .map(|u| RestrictedExpression::new_entity_uid(user_uid(organisation, u))),
    )
}

pub(crate) fn user_uid(organisation: &str, id: &str) -> EntityUid {
    uid("Rampart::User", &format!("{organisation}/{id}"))
}

/// What is acted on, with the attributes policies decide by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    DocumentRegister {
        organisation: String,
    },
    Document(Box<DocumentFacts>),
    PolicyStore {
        organisation: String,
    },
    /// The frameworks installed in the organisation, with their requirements and checks.
    FrameworkRegister {
        organisation: String,
    },
    /// The risk register as a whole: creating risks, the methodology, interested parties, the
    /// Statement of Applicability and the risk treatment plan.
    RiskRegister {
        organisation: String,
    },
    Risk {
        organisation: String,
        id: String,
        owner: String,
        /// The residual level to accept is above the methodology's acceptance criterion.
        residual_above_criterion: bool,
    },
    /// The server itself (its clock): no organisation's, so only operators act on it.
    Platform,
    /// The internal audit programme: planning audits, listing them.
    AuditProgramme {
        organisation: String,
    },
    /// An internal audit, planned or run: who audits which department.
    InternalAudit {
        organisation: String,
        id: String,
        auditor: String,
        /// The auditor's own department.
        auditor_department: String,
        /// The department audited.
        department: String,
    },
    /// The nonconformities as a whole: raising one, listing them.
    NonconformityRegister {
        organisation: String,
    },
    Nonconformity {
        organisation: String,
        id: String,
        /// Owners of its corrective actions.
        action_owners: Vec<String>,
    },
    /// Management reviews (9.3): holding one, recording its outputs, reading them.
    ManagementReviews {
        organisation: String,
    },
    /// The ISMS objectives as a whole: defining them, listing them.
    Objectives {
        organisation: String,
    },
    /// One objective, with the owners of its metrics.
    Objective {
        organisation: String,
        id: String,
        metric_owners: Vec<String>,
    },
    /// Training and awareness as a whole: defining courses, the status and the gaps.
    TrainingRegister {
        organisation: String,
    },
    /// One course, with its owner (who records completions).
    Course {
        organisation: String,
        id: String,
        owner: String,
    },
    /// The organisation's tasks as a whole: giving tasks, listing, generating what is due.
    TaskList {
        organisation: String,
    },
    Task {
        organisation: String,
        id: String,
        assignee: String,
        /// The user who gave it; empty for tasks the engine gave.
        given_by: Vec<String>,
    },
}

/// A document as policies see it, through the version acted on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DocumentFacts {
    pub organisation: String,
    pub id: String,
    pub owner: String,
    pub kind: String,
    pub classification: String,
    pub classification_rank: i64,
    pub status: String,
    pub version: i64,
    /// The author of the version acted on (the owner while there is none).
    pub version_author: String,
    pub reviewers: Vec<String>,
    pub approvers: Vec<String>,
    pub distribution_users: Vec<String>,
    pub distribution_roles: Vec<String>,
    pub distribution_departments: Vec<String>,
    pub distribution_job_titles: Vec<String>,
    pub legal_hold: bool,
}

impl Resource {
    /// The resource with its id left out, for the kinds lists are filtered over, with its entity
    /// type's name: two resources of one class differ only in their id, so every policy that
    /// names no particular entity of the type decides them alike.
    /// When no policy reads a document's version number (`with_version` false), it is left out
    /// too, so that the versions of one document fall into a few classes.
    pub(crate) fn class(&self, with_version: bool) -> Option<(&'static str, Resource)> {
        let mut class = self.clone();
        let type_name = match &mut class {
            Resource::Document(d) => {
                d.id.clear();
                if !with_version {
                    d.version = 0;
                }
                "Document"
            }
            Resource::Asset { id, .. } => {
                id.clear();
                "Asset"
            }
            _ => return None,
        };
        Some((type_name, class))
    }

    /// A class key's users named by their relation to the asking user `me` instead of by id:
    /// `\0me` for `me`, `\0N` for another user first named at place N (owner, version author,
    /// reviewers, approvers, distribution). Two resources with the same key then differ only in
    /// which other users they name, keeping which fields name the same one. No policy tells other
    /// users apart while none names a user (the filter checks that) and no entity has a
    /// user-valued attribute besides these (the test `users_are_told_apart_only_through_resources`
    /// pins the schema): they are not in a decision's entities, so equality with the principal or
    /// with each other is all a policy can see of them.
    pub(crate) fn name_users_relative_to(&mut self, me: &str) {
        let mut users: Vec<&mut String> = match self {
            Resource::Document(d) => {
                let DocumentFacts {
                    owner,
                    version_author,
                    reviewers,
                    approvers,
                    distribution_users,
                    ..
                } = &mut **d;
                [owner, version_author]
                    .into_iter()
                    .chain(reviewers.iter_mut())
                    .chain(approvers.iter_mut())
                    .chain(distribution_users.iter_mut())
                    .collect()
            }
            Resource::Asset { owner, .. } => vec![owner],
            _ => return,
        };
        // Each user's name: the asker, or the place of its first mention.
        let names: Vec<Option<usize>> = (0..users.len())
            .map(|i| {
                if *users[i] == me {
                    return None;
                }
                Some((0..i).find(|j| *users[*j] == *users[i]).unwrap_or(i))
            })
            .collect();
        // Rewritten in place, reusing each string's buffer.
        for (user, name) in users.iter_mut().zip(names) {
            user.clear();
            user.push('\0');
            match name {
                None => user.push_str("me"),
                Some(n) => {
                    use std::fmt::Write;
                    let _ = write!(user, "{n}");
                }
            }
        }
    }

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
            Resource::DocumentRegister { organisation } => {
                uid("Rampart::DocumentRegister", organisation)
            }
            Resource::Document(d) => {
                uid("Rampart::Document", &format!("{}/{}", d.organisation, d.id))
            }
            Resource::PolicyStore { organisation } => uid("Rampart::PolicyStore", organisation),
            Resource::FrameworkRegister { organisation } => {
                uid("Rampart::FrameworkRegister", organisation)
            }
            Resource::RiskRegister { organisation } => uid("Rampart::RiskRegister", organisation),
            Resource::Risk {
                organisation, id, ..
            } => uid("Rampart::Risk", &format!("{organisation}/{id}")),
            Resource::Platform => uid("Rampart::Platform", "server"),
            Resource::Objectives { organisation } => uid("Rampart::Objectives", organisation),
            Resource::TrainingRegister { organisation } => {
                uid("Rampart::TrainingRegister", organisation)
            }
            Resource::Course {
                organisation, id, ..
            } => uid("Rampart::Course", &format!("{organisation}/{id}")),
            Resource::Objective {
                organisation, id, ..
            } => uid("Rampart::Objective", &format!("{organisation}/{id}")),
            Resource::ManagementReviews { organisation } => {
                uid("Rampart::ManagementReviews", organisation)
            }
            Resource::AuditProgramme { organisation } => {
                uid("Rampart::AuditProgramme", organisation)
            }
            Resource::InternalAudit {
                organisation, id, ..
            } => uid("Rampart::InternalAudit", &format!("{organisation}/{id}")),
            Resource::NonconformityRegister { organisation } => {
                uid("Rampart::NonconformityRegister", organisation)
            }
            Resource::Nonconformity {
                organisation, id, ..
            } => uid("Rampart::Nonconformity", &format!("{organisation}/{id}")),
            Resource::TaskList { organisation } => uid("Rampart::TaskList", organisation),
            Resource::Task {
                organisation, id, ..
            } => uid("Rampart::Task", &format!("{organisation}/{id}")),
        }
    }

    /// A resource that is one per organisation, by the name requests and tests use for it
    /// (`organisation`, `asset-register`, `document-register`, `classification-scheme`,
    /// `audit-trail`, `plugin-catalog`, `policy-store`, `framework-register`, `risk-register`,
    /// `task-list`).
    pub fn singleton(name: &str, organisation: &str) -> Option<Resource> {
        let organisation = organisation.to_string();
        Some(match name {
            "organisation" => Resource::Organisation { id: organisation },
            "asset-register" => Resource::AssetRegister { organisation },
            "document-register" => Resource::DocumentRegister { organisation },
            "classification-scheme" => Resource::ClassificationScheme { organisation },
            "audit-trail" => Resource::AuditTrail { organisation },
            "plugin-catalog" => Resource::PluginCatalog { organisation },
            "policy-store" => Resource::PolicyStore { organisation },
            "framework-register" => Resource::FrameworkRegister { organisation },
            "risk-register" => Resource::RiskRegister { organisation },
            "task-list" => Resource::TaskList { organisation },
            "platform" => Resource::Platform,
            "objectives" => Resource::Objectives { organisation },
            "training" => Resource::TrainingRegister { organisation },
            "management-reviews" => Resource::ManagementReviews { organisation },
            "audit-programme" => Resource::AuditProgramme { organisation },
            "nonconformity-register" => Resource::NonconformityRegister { organisation },
            _ => return None,
        })
    }

    /// The organisation the resource belongs to.
    pub fn organisation(&self) -> &str {
        match self {
            Resource::Platform => "",
            Resource::Organisation { id } => id,
            Resource::User { organisation, .. }
            | Resource::Token { organisation, .. }
            | Resource::AssetRegister { organisation }
            | Resource::Asset { organisation, .. }
            | Resource::ClassificationScheme { organisation }
            | Resource::AuditTrail { organisation }
            | Resource::PluginCatalog { organisation }
            | Resource::DocumentRegister { organisation }
            | Resource::PolicyStore { organisation }
            | Resource::FrameworkRegister { organisation }
            | Resource::RiskRegister { organisation }
            | Resource::Risk { organisation, .. }
            | Resource::TaskList { organisation }
            | Resource::Task { organisation, .. }
            | Resource::AuditProgramme { organisation }
            | Resource::ManagementReviews { organisation }
            | Resource::Objectives { organisation }
            | Resource::Objective { organisation, .. }
            | Resource::TrainingRegister { organisation }
            | Resource::Course { organisation, .. }
            | Resource::InternalAudit { organisation, .. }
            | Resource::NonconformityRegister { organisation }
            | Resource::Nonconformity { organisation, .. } => organisation,
            Resource::Document(d) => &d.organisation,
        }
    }

    /// The resource's Cedar entity type, e.g. `Rampart::Document` (the one its `uid` has).
    pub fn type_name(&self) -> &'static str {
        match self {
            Resource::Organisation { .. } => "Rampart::Organisation",
            Resource::User { .. } => "Rampart::User",
            Resource::Token { .. } => "Rampart::Token",
            Resource::AssetRegister { .. } => "Rampart::AssetRegister",
            Resource::Asset { .. } => "Rampart::Asset",
            Resource::ClassificationScheme { .. } => "Rampart::ClassificationScheme",
            Resource::AuditTrail { .. } => "Rampart::AuditTrail",
            Resource::PluginCatalog { .. } => "Rampart::PluginCatalog",
            Resource::DocumentRegister { .. } => "Rampart::DocumentRegister",
            Resource::Document(_) => "Rampart::Document",
            Resource::PolicyStore { .. } => "Rampart::PolicyStore",
            Resource::FrameworkRegister { .. } => "Rampart::FrameworkRegister",
            Resource::RiskRegister { .. } => "Rampart::RiskRegister",
            Resource::Risk { .. } => "Rampart::Risk",
            Resource::Platform => "Rampart::Platform",
            Resource::Objectives { .. } => "Rampart::Objectives",
            Resource::TrainingRegister { .. } => "Rampart::TrainingRegister",
            Resource::Course { .. } => "Rampart::Course",
            Resource::Objective { .. } => "Rampart::Objective",
            Resource::ManagementReviews { .. } => "Rampart::ManagementReviews",
            Resource::AuditProgramme { .. } => "Rampart::AuditProgramme",
            Resource::InternalAudit { .. } => "Rampart::InternalAudit",
            Resource::NonconformityRegister { .. } => "Rampart::NonconformityRegister",
            Resource::Nonconformity { .. } => "Rampart::Nonconformity",
            Resource::TaskList { .. } => "Rampart::TaskList",
            Resource::Task { .. } => "Rampart::Task",
        }
    }

    /// The resource's entities, with every attribute.
    #[cfg(test)]
    pub(crate) fn entities(&self) -> Vec<Entity> {
        self.entities_reading(None)
    }

    /// The resource's entities, with the attributes in `read` only (all when none is given):
    /// those no policy reads cannot change a decision and cost Cedar their evaluation.
    pub(crate) fn entities_reading(&self, read: Option<&HashSet<String>>) -> Vec<Entity> {
        let org = self.organisation();
        // The organisation is a parent, not an entity of the request: see the principal's.
        let one = |mut attrs: Vec<(&str, RestrictedExpression)>| {
            if let Some(read) = read {
                attrs.retain(|(name, _)| read.contains(*name));
            }
            vec![entity(
                self.uid(),
                attrs,
                HashSet::from([organisation_uid(org)]),
            )]
        };
        match self {
            Resource::Organisation { id } => vec![organisation_entity(id)],
            Resource::Platform => vec![entity(
                self.uid(),
                vec![("organisation", s(""))],
                HashSet::new(),
            )],
            Resource::User {
                organisation,
                target,
                ..
            } => match target {
                // The user's full entity, when the caller has it (e.g. reading an existing user).
                Some(p) => p.entities(),
                None => one(vec![
                    ("organisation", s(organisation)),
                    ("job_title", s("")),
                    ("clearance", s("")),
                    ("clearance_rank", RestrictedExpression::new_long(-1)),
                    ("active", RestrictedExpression::new_bool(true)),
                ]),
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
            | Resource::PluginCatalog { organisation }
            | Resource::DocumentRegister { organisation }
            | Resource::PolicyStore { organisation }
            | Resource::FrameworkRegister { organisation }
            | Resource::RiskRegister { organisation }
            | Resource::TaskList { organisation }
            | Resource::AuditProgramme { organisation }
            | Resource::ManagementReviews { organisation }
            | Resource::Objectives { organisation }
            | Resource::TrainingRegister { organisation }
            | Resource::NonconformityRegister { organisation } => {
                one(vec![("organisation", s(organisation))])
            }
            Resource::InternalAudit {
                organisation,
                auditor,
                auditor_department,
                department,
                ..
            } => one(vec![
                ("organisation", s(organisation)),
                (
                    "auditor",
                    RestrictedExpression::new_entity_uid(user_uid(organisation, auditor)),
                ),
                ("auditor_department", s(auditor_department)),
                ("department", s(department)),
            ]),
            Resource::Objective {
                organisation,
                metric_owners,
                ..
            } => one(vec![
                ("organisation", s(organisation)),
                ("metric_owners", user_set(organisation, metric_owners)),
            ]),
            Resource::Course {
                organisation,
                owner,
                ..
            } => one(vec![
                ("organisation", s(organisation)),
                (
                    "owner",
                    RestrictedExpression::new_entity_uid(user_uid(organisation, owner)),
                ),
            ]),
            Resource::Nonconformity {
                organisation,
                action_owners,
                ..
            } => one(vec![
                ("organisation", s(organisation)),
                ("action_owners", user_set(organisation, action_owners)),
            ]),
            Resource::Task {
                organisation,
                assignee,
                given_by,
                ..
            } => one(vec![
                ("organisation", s(organisation)),
                (
                    "assignee",
                    RestrictedExpression::new_entity_uid(user_uid(organisation, assignee)),
                ),
                ("given_by", user_set(organisation, given_by)),
            ]),
            Resource::Document(d) => {
                let org = d.organisation.as_str();
                let users = |ids: &[String]| user_set(org, ids);
                let groups = |type_name: &str, ids: &[String]| {
                    RestrictedExpression::new_set(
                        ids.iter()
                            .map(|g| RestrictedExpression::new_entity_uid(uid(type_name, g))),
                    )
                };
                let strings = |v: &[String]| RestrictedExpression::new_set(v.iter().map(|x| s(x)));
                one(vec![
                    ("approvers", users(&d.approvers)),
                    ("classification", s(&d.classification)),
                    (
                        "classification_rank",
                        RestrictedExpression::new_long(d.classification_rank),
                    ),
                    (
                        "distribution_departments",
                        groups("Rampart::Department", &d.distribution_departments),
                    ),
                    (
                        "distribution_job_titles",
                        strings(&d.distribution_job_titles),
                    ),
                    (
                        "distribution_roles",
                        groups("Rampart::Role", &d.distribution_roles),
                    ),
                    ("distribution_users", users(&d.distribution_users)),
                    ("kind", s(&d.kind)),
                    ("legal_hold", RestrictedExpression::new_bool(d.legal_hold)),
                    ("organisation", s(org)),
                    (
                        "owner",
                        RestrictedExpression::new_entity_uid(user_uid(org, &d.owner)),
                    ),
                    ("reviewers", users(&d.reviewers)),
                    ("status", s(&d.status)),
                    ("version", RestrictedExpression::new_long(d.version)),
                    (
                        "version_author",
                        RestrictedExpression::new_entity_uid(user_uid(org, &d.version_author)),
                    ),
                ])
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
                ("asset_type", s(asset_type)),
                ("classification", s(classification)),
                (
                    "classification_rank",
                    RestrictedExpression::new_long(*classification_rank),
                ),
                (
                    "classified",
                    RestrictedExpression::new_bool(!classification.is_empty()),
                ),
                ("lifecycle", s(lifecycle)),
                ("organisation", s(organisation)),
                (
                    "owner",
                    RestrictedExpression::new_entity_uid(user_uid(organisation, owner)),
                ),
            ]),
            Resource::Risk {
                organisation,
                owner,
                residual_above_criterion,
                ..
            } => one(vec![
                ("organisation", s(organisation)),
                (
                    "owner",
                    RestrictedExpression::new_entity_uid(user_uid(organisation, owner)),
                ),
                (
                    "residual_above_criterion",
                    RestrictedExpression::new_bool(*residual_above_criterion),
                ),
            ]),
        }
    }
}
