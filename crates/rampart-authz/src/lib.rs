//! Access control as code: every operation is one Cedar request decided by the policies in the
//! repository's `policies/` folder. A denial says which policies forbade it, or that none permitted.

mod entities;
mod policies;

pub use entities::{DocumentFacts, Principal, Resource};
pub use policies::{DEFAULT_POLICIES, DEFAULT_SCHEMA, PolicyError};

use std::str::FromStr;

use cedar_policy::{
    Authorizer as CedarAuthorizer, Context, Decision, Entities, EntityUid, PolicySet, Request,
    Schema,
};

/// Why a request was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{action} denied: {reason}")]
pub struct Denied {
    pub action: String,
    pub reason: String,
    /// Ids of the policies that forbade it (empty when nothing permitted it).
    pub policies: Vec<String>,
}

/// The loaded policy set and schema, shared by every request.
pub struct Authorizer {
    schema: Schema,
    policies: PolicySet,
    cedar: CedarAuthorizer,
}

impl Authorizer {
    /// The schema and policies shipped in `policies/`.
    pub fn with_defaults() -> Result<Authorizer, PolicyError> {
        Authorizer::new(
            DEFAULT_SCHEMA,
            &DEFAULT_POLICIES
                .iter()
                .map(|(n, s)| (n.to_string(), s.to_string()))
                .collect::<Vec<_>>(),
        )
    }

    /// A schema and policy files (name, text). Policies are validated against the schema and
    /// renamed after their `@id` annotation so decisions name real rules.
    pub fn new(schema: &str, files: &[(String, String)]) -> Result<Authorizer, PolicyError> {
        let (schema, policies) = policies::load(schema, files)?;
        Ok(Authorizer {
            schema,
            policies,
            cedar: CedarAuthorizer::new(),
        })
    }

    pub fn policy_ids(&self) -> Vec<String> {
        self.policies
            .policies()
            .map(|p| p.id().to_string())
            .collect()
    }

    /// Decides whether `principal` may do `action` on `resource`.
    pub fn authorize(
        &self,
        principal: &Principal,
        action: &str,
        resource: &Resource,
    ) -> Result<(), Denied> {
        let denied = |reason: String, policies: Vec<String>| Denied {
            action: action.to_string(),
            reason,
            policies,
        };
        let action_uid = EntityUid::from_str(&format!("Rampart::Action::\"{action}\""))
            .map_err(|e| denied(format!("unknown action: {e}"), vec![]))?;
        // The principal and the resource may share entities (a user reading themself, a role).
        let mut seen = std::collections::HashSet::new();
        let entities: Vec<_> = principal
            .entities()
            .into_iter()
            .chain(resource.entities())
            .filter(|e| seen.insert(e.uid()))
            .collect();
        let entities = Entities::from_entities(entities, Some(&self.schema)).map_err(|e| {
            denied(
                format!("the request's entities do not fit the schema: {e}"),
                vec![],
            )
        })?;
        let request = Request::new(
            principal.uid(),
            action_uid,
            resource.uid(),
            Context::empty(),
            Some(&self.schema),
        )
        .map_err(|e| denied(format!("the request does not fit the schema: {e}"), vec![]))?;
        let response = self
            .cedar
            .is_authorized(&request, &self.policies, &entities);
        match response.decision() {
            Decision::Allow => Ok(()),
            Decision::Deny => {
                let mut forbidding: Vec<String> = response
                    .diagnostics()
                    .reason()
                    .map(|p| p.to_string())
                    .collect();
                forbidding.sort();
                let errors: Vec<String> = response
                    .diagnostics()
                    .errors()
                    .map(|e| e.to_string())
                    .collect();
                let mut reason = if forbidding.is_empty() {
                    "no policy permits it".to_string()
                } else {
                    format!("forbidden by {}", forbidding.join(", "))
                };
                if !errors.is_empty() {
                    reason.push_str(&format!(
                        " (policies that failed to evaluate: {})",
                        errors.join("; ")
                    ));
                }
                Err(denied(reason, forbidding))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(org: &str, id: &str, roles: &[&str]) -> Principal {
        Principal::User {
            organisation: org.into(),
            id: id.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            department: "Engineering".into(),
            job_title: "Engineer".into(),
            clearance: String::new(),
            clearance_rank: -1,
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
            Err(PolicyError::Validation(_))
        ));
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
