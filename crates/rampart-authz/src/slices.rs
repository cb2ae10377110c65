//! The policies that can apply to a request, selected before Cedar evaluates anything.
//!
//! Cedar's authorizer evaluates every policy it is given; with a thousand policies (most of them
//! grants to one person) that costs hundreds of microseconds per decision. A policy can only
//! decide requests whose action and resource type it is valid for (Cedar computes these "request
//! environments" from the schema), and a policy whose scope names one principal only decides that
//! principal's requests. So the set is cut once, at load, into one slice per (action, resource
//! type), each with the policies for anyone and, apart, those for one named principal.

use std::collections::HashMap;

use cedar_policy::{
    Authorizer, Decision, Entities, EntityUid, Policy, PolicySet, PrincipalConstraint, Request,
    Schema,
};

#[derive(Default)]
struct Slice {
    anyone: PolicySet,
    by_principal: HashMap<EntityUid, PolicySet>,
}

#[derive(Default)]
pub(crate) struct Slices {
    /// (action uid, resource entity type) → the policies valid for it.
    slices: HashMap<(String, String), Slice>,
}

/// A decision from the selected policies: the satisfied forbids (deny) or permits (allow), and
/// the policies that failed to evaluate.
pub(crate) struct Outcome {
    pub allowed: bool,
    pub determining: Vec<String>,
    pub errors: Vec<String>,
}

fn add(set: &mut PolicySet, all: &PolicySet, policy: &Policy) {
    // Adding to a fresh set cannot clash: ids are unique in `all`.
    match policy.template_id() {
        None => {
            let _ = set.add(policy.clone());
        }
        Some(template) => {
            if set.template(template).is_none()
                && let Some(t) = all.template(template)
            {
                let _ = set.add_template(t.clone());
            }
            let links = policy.template_links().unwrap_or_default();
            let _ = set.link(template.clone(), policy.id().clone(), links);
        }
    }
}

impl Slices {
    pub fn new(schema: &Schema, all: &PolicySet) -> Slices {
        let mut slices: HashMap<(String, String), Slice> = HashMap::new();
        for policy in all.policies() {
            let personal = match policy.principal_constraint() {
                PrincipalConstraint::Eq(uid) => Some(uid),
                _ => None,
            };
            for env in policy.get_valid_request_envs(schema) {
                let slice = slices
                    .entry((env.action().to_string(), env.resource().to_string()))
                    .or_default();
                let set = match &personal {
                    Some(uid) => slice.by_principal.entry(uid.clone()).or_default(),
                    None => &mut slice.anyone,
                };
                if set.policy(policy.id()).is_none() {
                    add(set, all, policy);
                }
            }
        }
        Slices { slices }
    }

    /// How many policies the largest slice holds (for the benchmark's report).
    pub fn largest(&self) -> usize {
        self.slices
            .values()
            .map(|s| s.anyone.policies().count())
            .max()
            .unwrap_or(0)
    }

    pub fn decide(
        &self,
        cedar: &Authorizer,
        request: &Request,
        entities: &Entities,
        action: &EntityUid,
        resource_type: &str,
    ) -> Outcome {
        let mut outcome = Outcome {
            allowed: false,
            determining: vec![],
            errors: vec![],
        };
        let Some(slice) = self
            .slices
            .get(&(action.to_string(), resource_type.to_string()))
        else {
            return outcome;
        };
        let principal = request.principal();
        let sets =
            std::iter::once(&slice.anyone).chain(principal.and_then(|p| slice.by_principal.get(p)));
        // Combining per-set decisions is exact: a satisfied forbid in any set denies; otherwise a
        // satisfied permit in any set allows.
        let mut permits = Vec::new();
        let mut forbids = Vec::new();
        for set in sets {
            let response = cedar.is_authorized(request, set, entities);
            let reasons = response.diagnostics().reason().map(|p| p.to_string());
            match response.decision() {
                Decision::Allow => permits.extend(reasons),
                Decision::Deny => forbids.extend(reasons),
            }
            outcome
                .errors
                .extend(response.diagnostics().errors().map(|e| e.to_string()));
        }
        if forbids.is_empty() && !permits.is_empty() {
            outcome.allowed = true;
            outcome.determining = permits;
        } else {
            outcome.determining = forbids;
        }
        outcome.determining.sort();
        outcome
    }
}
