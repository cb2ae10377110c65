//! Access control as code: every operation is one Cedar request decided by the platform's
//! policies and the organisation's policy set (by default the repository's `policies/` folder).
//! A denial says which policies forbade it, or that none permitted.

mod entities;
mod grants;
mod handling;
mod policies;
pub mod policy_tests;
mod slices;

pub use entities::{DocumentFacts, Principal, Resource};
pub use grants::{Grant, GrantTarget};
pub use handling::{CHANNELS, HANDLING_ACTIONS, Handling};
pub use policies::{
    DEFAULT_POLICIES, DEFAULT_POLICY_TESTS, DEFAULT_SCHEMA, PLATFORM_POLICIES, PolicyError, Problem,
};

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cedar_policy::{
    Authorizer as CedarAuthorizer, Context, EntityUid, PolicyId, PolicySet, Request, Schema, SlotId,
};
use time::OffsetDateTime;

/// Why a request was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{action} denied: {reason}")]
pub struct Denied {
    pub action: String,
    pub reason: String,
    /// Ids of the policies that forbade it (empty when nothing permitted it).
    pub policies: Vec<String>,
}

/// A decision with its reasons: the policies that permitted it (allowed) or forbade it (denied,
/// empty when nothing permitted it), and the policies that failed to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub policies: Vec<String>,
    pub errors: Vec<String>,
}

impl Decision {
    pub fn reason(&self) -> String {
        let mut reason = match (self.allowed, self.policies.is_empty()) {
            (true, _) => format!("permitted by {}", self.policies.join(", ")),
            (false, true) => "no policy permits it".to_string(),
            (false, false) => format!("forbidden by {}", self.policies.join(", ")),
        };
        if !self.errors.is_empty() {
            reason.push_str(&format!(
                " (policies that failed to evaluate: {})",
                self.errors.join("; ")
            ));
        }
        reason
    }
}

/// The schema shipped with Rampart, parsed once.
pub fn default_schema() -> Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(policies::parse_schema(DEFAULT_SCHEMA).expect("the shipped schema parses"))
        })
        .clone()
}

/// The platform's policies followed by the organisation's `files`.
pub fn with_platform(files: &[(String, String)]) -> Vec<(String, String)> {
    PLATFORM_POLICIES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .chain(files.iter().cloned())
        .collect()
}

/// The default policy files of an organisation (name, text).
pub fn default_policy_files() -> Vec<(String, String)> {
    DEFAULT_POLICIES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect()
}

/// A loaded policy set, ready to decide: its policies cut into slices by action and resource
/// type (see `slices.rs`), and the grants in force linked in.
pub struct Authorizer {
    schema: Arc<Schema>,
    policies: PolicySet,
    slices: slices::Slices,
    cedar: CedarAuthorizer,
    /// The earliest end of a linked grant: from then on this set is out of date.
    valid_until: Option<OffsetDateTime>,
    /// Each action's entity with its groups, from the schema, computed once: a request carries
    /// only its own action (passing the schema per request rebuilt all of them each time).
    actions: HashMap<String, (EntityUid, cedar_policy::Entity)>,
    /// Entity types some policy or template names a literal entity of (`Rampart::Risk::"…"`).
    literal_types: std::collections::HashSet<String>,
    /// Whether some policy or template reads a document's version number.
    mentions_version: bool,
    /// The attributes some policy or template reads (none known: all of them). Cedar reads an
    /// attribute only by its literal name, so a resource's entity leaves the others out.
    attributes_read: Option<std::collections::HashSet<String>>,
}

impl Authorizer {
    /// The platform's policies and the default policy set, without grants.
    pub fn with_defaults() -> Result<Authorizer, PolicyError> {
        Authorizer::build(
            default_schema(),
            &with_platform(&default_policy_files()),
            &[],
            OffsetDateTime::now_utc(),
        )
    }

    /// A schema and exactly these policy files (name, text).
    pub fn new(schema: &str, files: &[(String, String)]) -> Result<Authorizer, PolicyError> {
        let schema = Arc::new(policies::parse_schema(schema)?);
        Authorizer::build(schema, files, &[], OffsetDateTime::now_utc())
    }

    /// Policy files (name, text), validated against `schema` and renamed after their `@id`, with
    /// the `grants` still in force at `now` linked to their templates.
    pub fn build(
        schema: Arc<Schema>,
        files: &[(String, String)],
        grants: &[Grant],
        now: OffsetDateTime,
    ) -> Result<Authorizer, PolicyError> {
        let mut set = policies::load(&schema, files)?;
        let mut valid_until: Option<OffsetDateTime> = None;
        let mut problems = Vec::new();
        for grant in grants.iter().filter(|g| g.until > now) {
            let links = HashMap::from([
                (SlotId::principal(), grant.principal_uid()),
                (SlotId::resource(), grant.target.uid(&grant.organisation)),
            ]);
            match set.link(
                PolicyId::new(&grant.template),
                PolicyId::new(&grant.id),
                links,
            ) {
                Ok(()) => {
                    valid_until = Some(valid_until.map_or(grant.until, |u| u.min(grant.until)))
                }
                Err(e) => problems.push(Problem {
                    file: "grants".into(),
                    line: 0,
                    column: 0,
                    policy: grant.id.clone(),
                    message: format!(
                        "grant {} cannot be linked to template {:?}: {e}",
                        grant.id, grant.template
                    ),
                }),
            }
        }
        if !problems.is_empty() {
            return Err(PolicyError::Invalid(problems));
        }
        let action_entities = schema
            .action_entities()
            .map_err(|e| PolicyError::Schema(e.to_string()))?;
        let actions = action_entities
            .iter()
            .map(|e| (e.uid().id().unescaped().to_string(), (e.uid(), e.clone())))
            .collect();
        let mut literal_types = std::collections::HashSet::new();
        let texts = set
            .policies()
            .map(|p| p.to_string())
            .chain(set.templates().map(|t| t.to_string()));
        for text in texts {
            literal_types.extend(literal_entity_types(&text));
        }
        let attributes_read = attributes_read(&set);
        let mentions_version = attributes_read
            .as_ref()
            .is_none_or(|read| read.contains("version"));
        // A grant linked to a template names its entity through the link, not the text.
        for policy in set.policies() {
            for linked in policy.template_links().unwrap_or_default().values() {
                let type_name = linked.type_name().to_string();
                let short = type_name.rsplit("::").next().unwrap_or(&type_name);
                literal_types.insert(short.to_string());
            }
        }
        Ok(Authorizer {
            actions,
            literal_types,
            mentions_version,
            attributes_read,
            slices: slices::Slices::new(&schema, &set, &action_entities),
            schema,
            policies: set,
            cedar: CedarAuthorizer::new(),
            valid_until,
        })
    }

    /// Whether a policy names a particular entity of `type_name` (e.g. "Risk"). When none does,
    /// two entities of that type with the same attributes and parents get the same decisions,
    /// so a batch can decide once per distinct set of attributes.
    pub fn names_entities_of(&self, type_name: &str) -> bool {
        self.literal_types.contains(type_name)
    }

    pub fn policy_ids(&self) -> Vec<String> {
        self.policies
            .policies()
            .map(|p| p.id().to_string())
            .collect()
    }

    /// The `@id`s of the templates grants can link to.
    pub fn template_ids(&self) -> Vec<String> {
        self.policies
            .templates()
            .map(|t| t.id().to_string())
            .collect()
    }

    /// When this set stops being right: the earliest end of a grant it holds.
    pub fn valid_until(&self) -> Option<OffsetDateTime> {
        self.valid_until
    }

    /// The size of the largest slice of policies one decision evaluates.
    pub fn largest_slice(&self) -> usize {
        self.slices.largest()
    }

    /// Decides whether `principal` may do `action` on `resource`, with the reasons. Handling
    /// actions take `handling` as their context (the default, a download, when none is given).
    pub fn decide(
        &self,
        principal: &Principal,
        action: &str,
        resource: &Resource,
        handling: Option<&Handling>,
    ) -> Decision {
        let refused = |error: String| Decision {
            allowed: false,
            policies: vec![],
            errors: vec![error],
        };
        let Some((action_uid, action_entity)) = self.actions.get(action) else {
            return refused(format!("unknown action {action:?}: not in the schema"));
        };
        let Some(slice) = self.slices.get(action, resource.type_name()) else {
            // No policy is valid for this action on this kind of resource: none permits it.
            return Decision {
                allowed: false,
                policies: vec![],
                errors: vec![],
            };
        };
        let asking = principal.asking();
        // The action's entity only when some policy reads the action hierarchy (see `slices`):
        // Cedar computes the transitive closure of every entity given, per request, and an
        // action brings all its groups.
        let action_entity = slice.reads_action(&asking).then(|| action_entity.clone());
        // A user acting on their own account is both principal and resource: the principal's
        // entity stands.
        let added = resource
            .entities_reading(self.attributes_read.as_ref())
            .into_iter()
            .chain(action_entity)
            .filter(|e| e.uid() != asking.uid);
        // Our entities are built by this crate to the schema's shapes (the policy tests and the
        // validator cover them); checking each against the schema per request is what cost
        // ~100 µs a decision.
        let entities = match asking.store.clone().add_entities(added, None) {
            Ok(e) => e,
            Err(e) => {
                return refused(format!("the request's entities do not fit the schema: {e}"));
            }
        };
        let context = if HANDLING_ACTIONS.contains(&action) {
            handling.cloned().unwrap_or_default().context()
        } else {
            Context::empty()
        };
        let request = match Request::new(
            asking.uid.clone(),
            action_uid.clone(),
            resource.uid(),
            context,
            // The action was found in the schema above and the context is built to its
            // declared shape; validating the request again per decision only costs time.
            None,
        ) {
            Ok(r) => r,
            Err(e) => return refused(format!("the request does not fit the schema: {e}")),
        };
        let outcome = slice.decide(&self.cedar, &request, &entities, &asking);
        Decision {
            allowed: outcome.allowed,
            policies: outcome.determining,
            errors: outcome.errors,
        }
    }

    /// Whether `principal` may do `action` on `resource`; a denial says why.
    pub fn authorize(
        &self,
        principal: &Principal,
        action: &str,
        resource: &Resource,
    ) -> Result<(), Denied> {
        self.authorize_handling(principal, action, resource, None)
    }

    /// [`Authorizer::authorize`] for a request that moves a document in a given way.
    pub fn authorize_handling(
        &self,
        principal: &Principal,
        action: &str,
        resource: &Resource,
        handling: Option<&Handling>,
    ) -> Result<(), Denied> {
        let decision = self.decide(principal, action, resource, handling);
        if decision.allowed {
            return Ok(());
        }
        Err(Denied {
            action: action.to_string(),
            reason: decision.reason(),
            policies: decision.policies,
        })
    }

    /// Decisions of `action` by `principal` over many resources, as an authorized list takes
    /// them (see [`Filter`]).
    pub fn filter(self: &Arc<Self>, principal: &Principal, action: &str) -> Filter {
        // Users in a class key are named relative to the asking user unless a policy names a
        // particular user (see `Resource::name_users_relative_to`).
        let me = match principal {
            Principal::User { id, .. } if !self.names_entities_of("User") => Some(id.clone()),
            _ => None,
        };
        Filter {
            authz: self.clone(),
            principal: principal.clone(),
            action: action.to_string(),
            me,
            by_class: HashMap::new(),
            decisions: 0,
        }
    }

    /// Every action `principal` may do on `resource` (handling actions with the default
    /// context), in the schema's order.
    pub fn permitted_actions(&self, principal: &Principal, resource: &Resource) -> Vec<String> {
        let principal_type = principal.uid().type_name().clone();
        let resource_type = resource.uid().type_name().clone();
        let mut actions: Vec<String> = self
            .schema
            .actions_for_principal_and_resource(&principal_type, &resource_type)
            .map(|a| a.id().unescaped().to_string())
            .collect();
        actions.sort();
        actions.dedup();
        actions
            .into_iter()
            .filter(|a| self.decide(principal, a, resource, None).allowed)
            .collect()
    }
}

/// One principal's decisions of one action over many resources (an authorized list). Resources
/// that differ only in their id get the same decision unless a policy (or a linked grant) names
/// a particular entity of their type, so the filter decides once per class of documents or
/// assets and remembers the answer; a list of 10,000 documents in a dozen classes costs a dozen
/// decisions. Anything else is decided one by one.
pub struct Filter {
    authz: Arc<Authorizer>,
    principal: Principal,
    action: String,
    /// The asking user's id, when the users a resource names can be keyed relative to it.
    me: Option<String>,
    by_class: HashMap<Resource, bool>,
    decisions: usize,
}

impl Filter {
    /// Whether the principal may do the action on `resource`.
    pub fn allows(&mut self, resource: &Resource) -> bool {
        let class = resource
            .class(self.authz.mentions_version)
            .filter(|(type_name, _)| !self.authz.names_entities_of(type_name));
        let Some((_, mut class)) = class else {
            self.decisions += 1;
            return self.decide(resource);
        };
        if let Some(me) = &self.me {
            class.name_users_relative_to(me);
        }
        if let Some(allowed) = self.by_class.get(&class) {
            return *allowed;
        }
        self.decisions += 1;
        let allowed = self.decide(resource);
        self.by_class.insert(class, allowed);
        allowed
    }

    /// How many decisions Cedar took so far (the rest came from their class).
    pub fn decisions(&self) -> usize {
        self.decisions
    }

    fn decide(&self, resource: &Resource) -> bool {
        self.authz
            .decide(&self.principal, &self.action, resource, None)
            .allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cedar_policy::Entities;

    fn user(org: &str, id: &str, roles: &[&str]) -> Principal {
        Principal::User {
            organisation: org.into(),
            id: id.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            department: "Engineering".into(),
            job_title: "Engineer".into(),
            clearance: "confidential".into(),
            clearance_rank: 3,
            active: true,
        }
    }

    fn asset(org: &str, owner: &str) -> Resource {
        Resource::Asset {
            organisation: org.into(),
            id: "a1".into(),
            owner: owner.into(),
            asset_type: "email".into(),
            classification: String::new(),
            classification_rank: -1,
            lifecycle: "in-use".into(),
        }
    }

    #[test]
    fn the_default_policies_load_and_are_named_by_their_ids() {
        let authz = Authorizer::with_defaults().unwrap();
        let ids = authz.policy_ids();
        assert!(
            ids.contains(&"organisation-isolation".to_string()),
            "{ids:?}"
        );
        assert!(ids.contains(&"asset-owners-edit".to_string()));
    }

    #[test]
    fn members_stay_inside_their_organisation() {
        let authz = Authorizer::with_defaults().unwrap();
        let admin = user("acme", "alice", &["admin"]);
        assert!(
            authz
                .authorize(&admin, "asset.update", &asset("acme", "bob"))
                .is_ok()
        );
        let denied = authz
            .authorize(&admin, "asset.read", &asset("globex", "bob"))
            .unwrap_err();
        assert_eq!(denied.policies, vec!["organisation-isolation"]);
        assert!(denied.reason.contains("organisation-isolation"));
    }

    #[test]
    fn owners_edit_their_assets_and_others_only_read() {
        let authz = Authorizer::with_defaults().unwrap();
        let bob = user("acme", "bob", &["employee"]);
        assert!(
            authz
                .authorize(&bob, "asset.update", &asset("acme", "bob"))
                .is_ok()
        );
        assert!(
            authz
                .authorize(&bob, "asset.classify", &asset("acme", "bob"))
                .is_ok()
        );
        assert!(
            authz
                .authorize(&bob, "asset.read", &asset("acme", "carol"))
                .is_ok()
        );
        let denied = authz
            .authorize(&bob, "asset.update", &asset("acme", "carol"))
            .unwrap_err();
        assert!(denied.policies.is_empty());
        assert_eq!(denied.reason, "no policy permits it");
    }

    #[test]
    fn inactive_users_can_do_nothing() {
        let authz = Authorizer::with_defaults().unwrap();
        let Principal::User {
            organisation,
            id,
            roles,
            department,
            job_title,
            clearance,
            clearance_rank,
            ..
        } = user("acme", "eve", &["admin"])
        else {
            unreachable!()
        };
        let eve = Principal::User {
            organisation,
            id,
            roles,
            department,
            job_title,
            clearance,
            clearance_rank,
            active: false,
        };
        let denied = authz
            .authorize(&eve, "asset.read", &asset("acme", "eve"))
            .unwrap_err();
        assert_eq!(denied.policies, vec!["inactive-users"]);
    }

    #[test]
    fn operators_administer_but_do_not_read_assets() {
        let authz = Authorizer::with_defaults().unwrap();
        let op = Principal::Operator { id: "root".into() };
        assert!(
            authz
                .authorize(
                    &op,
                    "organisation.create",
                    &Resource::Organisation { id: "acme".into() }
                )
                .is_ok()
        );
        assert!(
            authz
                .authorize(
                    &op,
                    "user.create",
                    &Resource::User {
                        organisation: "acme".into(),
                        id: "x".into(),
                        target: None
                    }
                )
                .is_ok()
        );
        assert!(
            authz
                .authorize(&op, "asset.read", &asset("acme", "bob"))
                .is_err()
        );
    }

    #[test]
    fn users_manage_only_their_own_tokens_unless_admin() {
        let authz = Authorizer::with_defaults().unwrap();
        let bob = user("acme", "bob", &["employee"]);
        let own = Resource::Token {
            organisation: "acme".into(),
            holder: "bob".into(),
        };
        let other = Resource::Token {
            organisation: "acme".into(),
            holder: "carol".into(),
        };
        assert!(authz.authorize(&bob, "token.create", &own).is_ok());
        assert!(authz.authorize(&bob, "token.create", &other).is_err());
        assert!(
            authz
                .authorize(&user("acme", "alice", &["admin"]), "token.create", &other)
                .is_ok()
        );
    }

    #[test]
    fn a_policy_without_an_id_is_refused() {
        let files = vec![(
            "x.cedar".to_string(),
            "permit(principal, action, resource);".to_string(),
        )];
        let err = Authorizer::new(DEFAULT_SCHEMA, &files).err().unwrap();
        assert!(err.to_string().contains("no @id"), "{err}");
    }

    #[test]
    fn a_policy_that_does_not_fit_the_schema_is_refused() {
        let files = vec![(
            "x.cedar".to_string(),
            "@id(\"typo\")\npermit(principal, action, resource) when { resource.ownr == principal };".to_string(),
        )];
        assert!(matches!(
            Authorizer::new(DEFAULT_SCHEMA, &files),
            Err(PolicyError::Invalid(_))
        ));
    }

    #[test]
    fn the_default_policy_tests_pass() {
        let tests: Vec<(String, String)> = DEFAULT_POLICY_TESTS
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let results = policy_tests::run(
            &default_schema(),
            &with_platform(&default_policy_files()),
            &tests,
        );
        assert!(results.len() >= 60, "{} cases", results.len());
        let failed: Vec<String> = results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| format!("{} / {}: {}", r.file, r.name, r.detail))
            .collect();
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    }

    #[test]
    fn a_failing_case_fails_and_says_why() {
        let tests = vec![(
            "t.toml".to_string(),
            r#"
[users.bob]
roles = ["employee"]
[[case]]
name = "wrong on purpose"
principal = "bob"
action = "policy.update"
resource = "policy-store"
expect = "allow"
[[case]]
name = "unknown principal"
principal = "nobody"
action = "asset.read"
resource = "asset-register"
expect = "deny"
"#
            .to_string(),
        )];
        let results = policy_tests::run(
            &default_schema(),
            &with_platform(&default_policy_files()),
            &tests,
        );
        assert_eq!(results.len(), 2);
        assert!(!results[0].passed);
        assert!(
            results[0].detail.contains("no policy permits it"),
            "{:?}",
            results[0]
        );
        assert!(!results[1].passed);
        assert!(
            results[1].detail.contains("unknown principal"),
            "{:?}",
            results[1]
        );
    }

    #[test]
    fn slices_decide_like_the_whole_set() {
        // 1,000 personal grants next to the default policies: each decision evaluates only its
        // slice, and the answers are those of the full set.
        let mut files = with_platform(&default_policy_files());
        let mut grants_text = String::new();
        for i in 0..1000 {
            grants_text.push_str(&format!(
                "@id(\"p{i}\")\npermit(principal == Rampart::User::\"acme/u{i}\", action == Rampart::Action::\"asset.update\", resource is Rampart::Asset);\n"
            ));
        }
        files.push(("many.cedar".into(), grants_text));
        let authz =
            Authorizer::build(default_schema(), &files, &[], OffsetDateTime::now_utc()).unwrap();
        assert!(authz.largest_slice() < 30, "{}", authz.largest_slice());
        let u7 = user("acme", "u7", &["employee"]);
        assert!(
            authz
                .authorize(&u7, "asset.update", &asset("acme", "bob"))
                .is_ok()
        );
        let d = authz.decide(&u7, "asset.update", &asset("acme", "bob"), None);
        assert_eq!(d.policies, vec!["p7"]);
        let u1000 = user("acme", "u1000", &["employee"]);
        assert!(
            authz
                .authorize(&u1000, "asset.update", &asset("acme", "bob"))
                .is_err()
        );
        let mallory = user("globex", "u7", &["employee"]);
        assert!(
            authz
                .authorize(&mallory, "asset.update", &asset("acme", "bob"))
                .is_err()
        );
    }

    /// The decision of the whole set, as Cedar takes it without slices, and with every entity a
    /// request names present: the principal's roles, department and organisation too.
    fn whole_set(
        authz: &Authorizer,
        p: &Principal,
        action: &str,
        r: &Resource,
    ) -> (bool, Vec<String>) {
        let organisations = [p.organisation().unwrap_or(""), r.organisation()]
            .into_iter()
            .filter(|o| !o.is_empty())
            .map(entities::organisation_entity);
        let groups = p
            .groups()
            .into_iter()
            .filter(|g| g.type_name().to_string() != "Rampart::Organisation")
            .map(|g| cedar_policy::Entity::new_no_attrs(g, Default::default()));
        let mut seen = std::collections::HashSet::new();
        let all: Vec<_> = p
            .entities()
            .into_iter()
            .chain(r.entities())
            .chain([authz.actions[action].1.clone()])
            .chain(organisations)
            .chain(groups)
            .filter(|e| seen.insert(e.uid()))
            .collect();
        assert!(all.len() > 3 || matches!(p, Principal::Operator { .. }));
        let entities = Entities::from_entities(all, None).unwrap();
        let context = if HANDLING_ACTIONS.contains(&action) {
            Handling::default().context()
        } else {
            Context::empty()
        };
        let req = Request::new(
            p.uid(),
            authz.actions[action].0.clone(),
            r.uid(),
            context,
            None,
        )
        .unwrap();
        let response = authz.cedar.is_authorized(&req, &authz.policies, &entities);
        let mut reasons: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|p| p.to_string())
            .collect();
        reasons.sort();
        (
            response.decision() == cedar_policy::Decision::Allow,
            reasons,
        )
    }

    #[test]
    fn slices_decide_like_the_whole_set_for_every_role() {
        let authz = Authorizer::with_defaults().unwrap();
        let mut people = vec![
            user("acme", "root", &["admin"]),
            user("acme", "ivy", &["isms-manager"]),
            user("acme", "aud", &["auditor"]),
            user("acme", "eve", &["employee"]),
            user("acme", "bob", &["employee", "auditor"]),
            user("acme", "xavier", &["external"]),
            user("globex", "mallory", &["admin"]),
            Principal::Operator { id: "op".into() },
        ];
        if let Principal::User { active, .. } = &mut people[1] {
            *active = false;
        }
        let mut resources = many_documents(20);
        resources.extend(["bob", "eve", "carol"].map(|o| asset("acme", o)));
        // Every other kind of resource, once, with the people above in its attributes.
        let o = || "acme".to_string();
        resources.extend(
            [
                "organisation",
                "asset-register",
                "document-register",
                "risk-register",
                "policy-store",
                "task-list",
                "training",
                "audit-programme",
                "nonconformity-register",
                "platform",
            ]
            .map(|name| Resource::singleton(name, "acme").unwrap()),
        );
        resources.extend([
            Resource::Risk {
                organisation: o(),
                id: "r1".into(),
                owner: "eve".into(),
                residual_above_criterion: true,
            },
            Resource::Task {
                organisation: o(),
                id: "t1".into(),
                assignee: "bob".into(),
                given_by: vec!["ivy".into()],
            },
            Resource::InternalAudit {
                organisation: o(),
                id: "ia1".into(),
                auditor: "aud".into(),
                auditor_department: "Engineering".into(),
                department: "Sales".into(),
            },
            Resource::Nonconformity {
                organisation: o(),
                id: "nc1".into(),
                action_owners: vec!["eve".into()],
            },
            Resource::Objective {
                organisation: o(),
                id: "ob1".into(),
                metric_owners: vec!["bob".into()],
            },
            Resource::Course {
                organisation: o(),
                id: "c1".into(),
                owner: "eve".into(),
            },
            Resource::Token {
                organisation: o(),
                holder: "bob".into(),
            },
            Resource::User {
                organisation: o(),
                id: "eve".into(),
                target: Some(Box::new(user("acme", "eve", &["employee"]))),
            },
        ]);
        let mut checked = 0;
        for p in &people {
            for r in &resources {
                let (pt, rt) = (p.uid().type_name().clone(), r.uid().type_name().clone());
                assert_eq!(r.type_name(), rt.to_string());
                let actions: std::collections::BTreeSet<String> = authz
                    .schema
                    .actions_for_principal_and_resource(&pt, &rt)
                    .map(|a| a.id().unescaped().to_string())
                    .collect();
                for a in &actions {
                    let d = authz.decide(p, a, r, None);
                    let (allowed, reasons) = whole_set(&authz, p, a, r);
                    assert_eq!(
                        (d.allowed, d.policies.clone()),
                        (allowed, reasons),
                        "{p:?} {a} {r:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 2000, "{checked} decisions compared");
    }

    #[test]
    fn what_a_principal_may_do() {
        let authz = Authorizer::with_defaults().unwrap();
        let bob = user("acme", "bob", &["employee"]);
        let actions = authz.permitted_actions(&bob, &asset("acme", "bob"));
        assert_eq!(
            actions,
            vec![
                "asset.classify",
                "asset.create",
                "asset.read",
                "asset.update"
            ]
        );
        let actions = authz.permitted_actions(&bob, &asset("acme", "carol"));
        assert_eq!(actions, vec!["asset.read"]);
    }

    fn document(status: &str, author: &str) -> Resource {
        Resource::Document(Box::new(DocumentFacts {
            organisation: "acme".into(),
            id: "isp".into(),
            owner: "maria".into(),
            kind: "policy".into(),
            classification: "internal".into(),
            classification_rank: 1,
            status: status.into(),
            version: 2,
            version_author: author.into(),
            reviewers: vec!["rita".into()],
            approvers: vec!["ann".into(), "bob".into()],
            distribution_departments: vec!["Sales".into()],
            distribution_job_titles: vec!["Engineer".into()],
            legal_hold: false,
            ..Default::default()
        }))
    }

    #[test]
    fn nobody_approves_their_own_version() {
        let authz = Authorizer::with_defaults().unwrap();
        let ann = user("acme", "ann", &["employee"]);
        assert!(
            authz
                .authorize(&ann, "document.approve", &document("in-review", "bob"))
                .is_ok()
        );
        let denied = authz
            .authorize(&ann, "document.approve", &document("in-review", "ann"))
            .unwrap_err();
        assert_eq!(denied.policies, vec!["no-self-approval"]);
        // Administrators approve only where they are named approvers.
        let admin = user("acme", "root", &["admin"]);
        let denied = authz
            .authorize(&admin, "document.approve", &document("in-review", "bob"))
            .unwrap_err();
        assert_eq!(denied.policies, vec!["only-named-approvers"]);
    }

    #[test]
    fn readers_need_the_distribution_list_and_a_published_version() {
        let authz = Authorizer::with_defaults().unwrap();
        // `user` puts everyone in Engineering with job title Engineer: on the list by job title.
        let eve = user("acme", "eve", &["employee"]);
        assert!(
            authz
                .authorize(&eve, "document.read", &document("published", "bob"))
                .is_ok()
        );
        assert!(
            authz
                .authorize(&eve, "document.acknowledge", &document("published", "bob"))
                .is_ok()
        );
        let Resource::Document(mut d) = document("published", "bob") else {
            unreachable!()
        };
        d.distribution_job_titles.clear();
        let off_list = Resource::Document(d.clone());
        assert_eq!(
            authz
                .authorize(&eve, "document.read", &off_list)
                .unwrap_err()
                .reason,
            "no policy permits it"
        );
        d.distribution_departments = vec!["Engineering".into()];
        assert!(
            authz
                .authorize(&eve, "document.read", &Resource::Document(d))
                .is_ok()
        );
        // A draft is hidden even from the distribution list and the ISMS manager.
        let denied = authz
            .authorize(&eve, "document.read", &document("draft", "bob"))
            .unwrap_err();
        assert_eq!(denied.policies, vec!["drafts-need-participation"]);
        let manager = user("acme", "ivy", &["isms-manager"]);
        assert!(
            authz
                .authorize(&manager, "document.read", &document("draft", "bob"))
                .is_err()
        );
        assert!(
            authz
                .authorize(&manager, "document.publish", &document("approved", "bob"))
                .is_ok()
        );
        let rita = user("acme", "rita", &["employee"]);
        assert!(
            authz
                .authorize(&rita, "document.read", &document("in-review", "bob"))
                .is_ok()
        );
        assert!(
            authz
                .authorize(&rita, "document.reject", &document("in-review", "bob"))
                .is_ok()
        );
        assert!(
            authz
                .authorize(&rita, "document.approve", &document("in-review", "bob"))
                .is_err()
        );
    }

    /// Documents of many classes: statuses, authors, clearance levels, on and off the list.
    fn many_documents(n: usize) -> Vec<Resource> {
        (0..n)
            .map(|i| {
                let status = ["published", "draft", "in-review", "obsolete"][i % 4];
                let author = if i % 5 == 0 { "eve" } else { "bob" };
                let Resource::Document(mut d) = document(status, author) else {
                    unreachable!()
                };
                d.id = format!("d{i}");
                d.version = (i % 7) as i64 + 1;
                d.classification_rank = (i % 5) as i64;
                if i % 3 == 0 {
                    d.distribution_job_titles.clear();
                }
                Resource::Document(d)
            })
            .collect()
    }

    /// `document.read` over `docs` through a filter, checked against one decision per document;
    /// the answers and how many decisions the filter took.
    fn filtered(
        authz: &Arc<Authorizer>,
        reader: &Principal,
        docs: &[Resource],
    ) -> (Vec<bool>, usize) {
        let mut filter = authz.filter(reader, "document.read");
        let filtered: Vec<bool> = docs.iter().map(|d| filter.allows(d)).collect();
        let one_by_one: Vec<bool> = docs
            .iter()
            .map(|d| authz.decide(reader, "document.read", d, None).allowed)
            .collect();
        assert_eq!(filtered, one_by_one);
        (filtered, filter.decisions())
    }

    /// The defaults and one more policy file.
    fn defaults_and(name: &str, text: &str) -> Arc<Authorizer> {
        let mut files = with_platform(&default_policy_files());
        files.push((name.into(), text.into()));
        Arc::new(
            Authorizer::build(default_schema(), &files, &[], OffsetDateTime::now_utc()).unwrap(),
        )
    }

    /// The defaults and a policy that reads documents' version numbers.
    pub(super) fn reading_versions() -> Arc<Authorizer> {
        defaults_and(
            "v.cedar",
            "@id(\"late-versions\")\nforbid (principal, action, resource is Rampart::Document) when { resource.version > 3 };",
        )
    }

    #[test]
    fn a_filter_decides_once_per_class_and_as_one_by_one() {
        let eve = user("acme", "eve", &["employee"]);
        let docs = many_documents(600);
        let defaults = Arc::new(Authorizer::with_defaults().unwrap());
        let (readable, decisions) = filtered(&defaults, &eve, &docs);
        assert!(readable.iter().any(|a| *a) && readable.iter().any(|a| !*a));
        // 4 statuses × 2 authors × 5 ranks × 2 lists at most, not 600.
        assert!(decisions <= 80, "{decisions} decisions");

        // A policy that reads the version number puts it back into the class.
        let (readable, decisions) = filtered(&reading_versions(), &eve, &docs);
        assert!(readable.iter().any(|a| *a));
        assert!(decisions > 80, "{decisions} decisions");
    }

    #[test]
    fn a_filter_keys_the_users_a_document_names_relative_to_the_asker() {
        // Every document owned, written, reviewed, approved and distributed by different people,
        // the reader among them now and then: one decision each before users were keyed by
        // their relation to the asker.
        let eve = user("acme", "eve", &["employee"]);
        let docs: Vec<Resource> = many_documents(600)
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                let Resource::Document(mut d) = d else {
                    unreachable!()
                };
                let someone = |k: usize| format!("user{}", (i * 7 + k) % 500);
                let or_eve = |k: usize, every: usize| {
                    if i % every == 0 {
                        "eve".into()
                    } else {
                        someone(k)
                    }
                };
                d.owner = or_eve(1, 11);
                d.version_author = or_eve(2, 5);
                d.reviewers = vec![someone(3), or_eve(4, 13)];
                d.approvers = vec![someone(5)];
                d.distribution_users = vec![or_eve(6, 3), someone(7)];
                if i % 17 == 0 {
                    // The same person in two roles, which a policy comparing them would see.
                    d.approvers = vec![d.version_author.clone()];
                }
                Resource::Document(d)
            })
            .collect();
        let defaults = Arc::new(Authorizer::with_defaults().unwrap());
        let (readable, decisions) = filtered(&defaults, &eve, &docs);
        assert!(readable.iter().any(|a| *a) && readable.iter().any(|a| !*a));
        assert!(decisions < 300, "{decisions} decisions for 600 documents");

        // A policy comparing two of a document's users with each other is still decided right.
        let four_eyes = defaults_and(
            "four-eyes.cedar",
            "@id(\"four-eyes\")\nforbid (principal, action == Rampart::Action::\"document.read\", resource is Rampart::Document) when { resource.approvers.contains(resource.version_author) };",
        );
        let (readable, _) = filtered(&four_eyes, &eve, &docs);
        assert!(readable.iter().any(|a| *a));

        // A policy naming a particular user turns the keying off.
        let naming = defaults_and(
            "carol.cedar",
            "@id(\"carol-documents\")\nforbid (principal, action, resource is Rampart::Document) when { resource.owner == Rampart::User::\"acme/user8\" };",
        );
        let (_, decisions) = filtered(&naming, &eve, &docs);
        assert!(decisions > 500, "{decisions} decisions");
    }

    /// What keying users relative to the asker relies on (`Resource::name_users_relative_to`):
    /// users have no attribute that is a user, and the users a document or an asset names are
    /// exactly the attributes that keying renames.
    #[test]
    fn users_are_told_apart_only_through_resources() {
        let schema = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../policies/rampart.cedarschema"),
        )
        .unwrap();
        let user_valued = |entity: &str| -> Vec<String> {
            let start = schema
                .find(&format!("entity {entity} "))
                .unwrap_or_else(|| panic!("no entity {entity}"));
            let body = &schema[start..];
            let body = &body[body.find('{').unwrap() + 1..body.find("};").unwrap()];
            body.lines()
                .filter_map(|l| {
                    let l = l.split("//").next().unwrap();
                    let (name, ty) = l.split_once(':')?;
                    let ty = ty.trim().trim_end_matches(',');
                    (ty == "User" || ty == "Set<User>").then(|| name.trim().to_string())
                })
                .collect()
        };
        assert_eq!(user_valued("User"), Vec::<String>::new());
        assert_eq!(
            user_valued("Document"),
            [
                "owner",
                "version_author",
                "reviewers",
                "approvers",
                "distribution_users"
            ]
        );
        assert_eq!(user_valued("Asset"), ["owner"]);
    }

    #[test]
    fn a_grant_on_one_document_makes_the_filter_decide_each() {
        let grant = Grant {
            id: "grant-1".into(),
            template: "temporary-reader".into(),
            organisation: "acme".into(),
            user: "xavier".into(),
            target: GrantTarget::Document("d8".into()),
            until: OffsetDateTime::now_utc() + time::Duration::days(1),
        };
        let authz = Arc::new(
            Authorizer::build(
                default_schema(),
                &with_platform(&default_policy_files()),
                &[grant],
                OffsetDateTime::now_utc(),
            )
            .unwrap(),
        );
        assert!(authz.names_entities_of("Document"));
        // An outside auditor: on no distribution list (no department, another job title).
        let xavier = Principal::User {
            organisation: "acme".into(),
            id: "xavier".into(),
            roles: vec!["external".into()],
            department: String::new(),
            job_title: "External auditor".into(),
            clearance: "confidential".into(),
            clearance_rank: 3,
            active: true,
        };
        let docs = many_documents(40);
        let (readable, decisions) = filtered(&authz, &xavier, &docs);
        // d8 is published with rank 3, within xavier's clearance: the grant lets him read it,
        // and d28, of the same class but not granted, stays hidden.
        let readable: Vec<usize> = (0..docs.len()).filter(|i| readable[*i]).collect();
        assert_eq!(readable, vec![8]);
        assert_eq!(decisions, docs.len());
    }

    #[test]
    fn legal_hold_blocks_disposal_for_everyone() {
        let authz = Authorizer::with_defaults().unwrap();
        let manager = user("acme", "ivy", &["isms-manager"]);
        let Resource::Document(mut d) = document("obsolete", "bob") else {
            unreachable!()
        };
        assert!(
            authz
                .authorize(&manager, "document.dispose", &Resource::Document(d.clone()))
                .is_ok()
        );
        d.legal_hold = true;
        let denied = authz
            .authorize(&manager, "document.dispose", &Resource::Document(d))
            .unwrap_err();
        assert_eq!(denied.policies, vec!["legal-hold"]);
    }
}

#[cfg(test)]
mod phases {
    use super::*;

    /// A diagnostic, not a check: runs only with RAMPART_PHASES=1 (CI runs ignored tests, and
    /// this one is meaningful only in an optimised build).
    #[test]
    fn where_a_decision_spends_its_time() {
        if std::env::var_os("RAMPART_PHASES").is_none() {
            return;
        }
        let authz = Authorizer::with_defaults().unwrap();
        let p = Principal::User {
            organisation: "acme".into(),
            id: "sam".into(),
            roles: vec!["employee".into()],
            department: "Sales".into(),
            job_title: "x".into(),
            clearance: "restricted".into(),
            clearance_rank: 2,
            active: true,
        };
        let r = Resource::Document(Box::new(DocumentFacts {
            organisation: "acme".into(),
            id: "d".into(),
            owner: "maria".into(),
            kind: "policy".into(),
            classification: "internal".into(),
            classification_rank: 1,
            status: "published".into(),
            version: 1,
            version_author: "bob".into(),
            reviewers: vec!["rita".into()],
            approvers: vec!["ann".into()],
            distribution_departments: vec!["Sales".into()],
            ..Default::default()
        }));
        let n = 20_000;
        // The steps of `Authorizer::decide`, each timed alone.
        let time = |label: &str, f: &dyn Fn()| {
            let t = std::time::Instant::now();
            for _ in 0..n {
                f();
            }
            println!("{label} {:?}", t.elapsed() / n);
        };
        let read = authz.attributes_read.as_ref();
        time("the asking principal (kept per thread)", &|| {
            std::hint::black_box(p.asking());
        });
        time("the principal's entities, built", &|| {
            std::hint::black_box(p.entities());
        });
        time("the resource's entity", &|| {
            std::hint::black_box(r.entities_reading(read));
        });
        let added = r.entities_reading(read);
        time("the principal's store + the resource (closure)", &|| {
            let store = p.asking().store.clone();
            std::hint::black_box(store.add_entities(added.clone(), None).unwrap());
        });
        let action = authz.actions["document.read"].0.clone();
        time("the request", &|| {
            let request = Request::new(p.uid(), action.clone(), r.uid(), Context::empty(), None);
            std::hint::black_box(request.unwrap());
        });
        let entities = p.asking().store.clone().add_entities(added, None).unwrap();
        let req = Request::new(p.uid(), action.clone(), r.uid(), Context::empty(), None).unwrap();
        let slice = authz
            .slices
            .get("document.read", "Rampart::Document")
            .unwrap();
        time("Cedar on the slice", &|| {
            std::hint::black_box(slice.decide(&authz.cedar, &req, &entities, &p.asking()));
        });
        time("Cedar on the whole set", &|| {
            std::hint::black_box(authz.cedar.is_authorized(&req, &authz.policies, &entities));
        });
        time("decide, all of it", &|| {
            std::hint::black_box(authz.decide(&p, "document.read", &r, None));
        });
        println!(
            "policies in the slice for anyone: {}",
            slice.anyone.set.policies().count()
        );
        for policy in slice.anyone.set.policies() {
            let mut alone = PolicySet::new();
            alone.add(policy.clone()).unwrap();
            time(&format!("  Cedar on {} alone", policy.id()), &|| {
                std::hint::black_box(authz.cedar.is_authorized(&req, &alone, &entities));
            });
        }
        time("  Cedar on no policy", &|| {
            std::hint::black_box(
                authz
                    .cedar
                    .is_authorized(&req, &PolicySet::new(), &entities),
            );
        });
    }
}

/// The names of the attributes the conditions of a set's policies and templates read, from
/// Cedar's JSON form, where reading one (`e.name`, `e["name"]`, `e has name`) is `"attr":
/// "name"` (annotations such as `@id("version-authors")` say nothing); none when some policy
/// cannot be shown as JSON.
fn attributes_read(set: &PolicySet) -> Option<std::collections::HashSet<String>> {
    fn walk(json: &serde_json::Value, out: &mut std::collections::HashSet<String>) {
        match json {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("attr", serde_json::Value::String(name)) => {
                            out.insert(name.clone());
                        }
                        _ => walk(value, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut read = std::collections::HashSet::new();
    let policies = set.policies().map(|p| p.to_json().ok());
    let templates = set.templates().map(|t| t.to_json().ok());
    for json in policies.chain(templates) {
        walk(&json?["conditions"], &mut read);
    }
    Some(read)
}

/// The entity types a policy's text names literal entities of: `Rampart::Risk::"acme/r1"` gives
/// `Risk`.
fn literal_entity_types(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("::\"") {
        let before = &rest[..i];
        let name: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
        rest = &rest[i + 3..];
    }
    out
}

#[cfg(test)]
mod literal_tests {
    #[test]
    fn literal_entities_are_found_by_type() {
        let t = r#"permit (principal == Rampart::User::"acme/sam", action, resource == Rampart::Risk::"acme/r1");"#;
        assert_eq!(super::literal_entity_types(t), ["User", "Risk"]);
        let a = super::Authorizer::with_defaults().unwrap();
        assert!(!a.names_entities_of("Risk"));
    }

    #[test]
    fn a_policy_reading_the_version_number_is_noticed() {
        use super::*;
        // The defaults never read it (`version-authors` is only a name, `version_author` another
        // attribute), so the versions of a document fall into few classes.
        assert!(!Authorizer::with_defaults().unwrap().mentions_version);
        assert!(super::tests::reading_versions().mentions_version);
    }
}
