//! The policies that can apply to a request, selected before Cedar evaluates anything.
//!
//! Cedar's authorizer evaluates every policy it is given; with a thousand policies (most of them
//! grants to one person) that costs hundreds of microseconds per decision. A policy can only
//! decide requests whose action and resource type it is valid for (Cedar computes these "request
//! environments" from the schema), and a policy whose scope names one principal only decides that
//! principal's requests. So the set is cut once, at load, into one slice per (action, resource
//! type), each with the policies for anyone and, apart, those for one named principal.
//!
//! Inside a slice every request has the same action, so a policy's action scope is decided once,
//! at load: where it holds, the slice keeps the policy with its action scope left out. Cedar
//! builds a scope's list of actions (`action in [A, B, …]`) anew at every evaluation, which made
//! a ten-action scope cost more than the rest of its policy.

use std::collections::HashMap;

use crate::entities::Asking;

use cedar_policy::{
    ActionConstraint, Authorizer, Decision, Entities, EntityUid, Policy, PolicySet,
    PrincipalConstraint, Request, Schema,
};

/// Policies of a slice, and whether any of them reads the request's action through the action
/// hierarchy (a scope kept as written, or a condition naming `action`): only then does a
/// request need the action's entity, with its groups.
#[derive(Default)]
pub(crate) struct Part {
    pub(crate) set: PolicySet,
    reads_action: bool,
}

#[derive(Default)]
pub(crate) struct Slice {
    pub(crate) anyone: Part,
    /// Policies for the members of one group (`principal in Rampart::Role::"admin"`): a user's
    /// groups are all its ancestors, so they can decide only their members' requests.
    by_group: HashMap<EntityUid, Part>,
    by_principal: HashMap<EntityUid, Part>,
}

#[derive(Default)]
pub(crate) struct Slices {
    /// Action id (`document.read`) → resource entity type (`Rampart::Document`) → the policies
    /// valid for it.
    slices: HashMap<String, HashMap<String, Slice>>,
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

/// Whether a policy's conditions name the request's action (in Cedar's JSON form, where the
/// variable is `{"Var":"action"}`); one that cannot be shown as JSON counts as naming it.
fn conditions_read_action(policy: &Policy) -> bool {
    policy
        .to_json()
        .map(|j| j["conditions"].to_string().contains(r#"{"Var":"action"}"#))
        .unwrap_or(true)
}

/// Whether a policy's action scope admits `action` (`actions` holds every action with its
/// groups, from the schema). Cedar's request environments already leave out the actions a
/// scope does not admit when its typechecker can tell; leaving a scope out is exact only where
/// it holds, so that is checked here rather than assumed.
fn admits(scope: &ActionConstraint, action: &EntityUid, actions: &Entities) -> bool {
    match scope {
        ActionConstraint::Any => true,
        ActionConstraint::Eq(uid) => uid == action,
        ActionConstraint::In(groups) => groups
            .iter()
            .any(|g| g == action || actions.is_ancestor_of(g, action)),
    }
}

/// The policy with its action scope left out (same id, annotations and conditions), for the
/// slices of the actions it admits; none for a policy linked to a template (the link is what it
/// is) or one that has no action scope.
fn without_action_scope(policy: &Policy) -> Option<Policy> {
    if policy.template_id().is_some() || policy.action_constraint() == ActionConstraint::Any {
        return None;
    }
    let mut json = policy.to_json().ok()?;
    json["action"] = serde_json::json!({ "op": "All" });
    Policy::from_json(Some(policy.id().clone()), json).ok()
}

impl Slices {
    pub fn new(schema: &Schema, all: &PolicySet, actions: &Entities) -> Slices {
        let mut slices: HashMap<String, HashMap<String, Slice>> = HashMap::new();
        for policy in all.policies() {
            let principal = policy.principal_constraint();
            let scope = policy.action_constraint();
            let loose = without_action_scope(policy);
            let reads_action = conditions_read_action(policy);
            for env in policy.get_valid_request_envs(schema) {
                let slice = slices
                    .entry(env.action().id().unescaped().to_string())
                    .or_default()
                    .entry(env.resource().to_string())
                    .or_default();
                let part = match &principal {
                    PrincipalConstraint::Eq(uid) => {
                        slice.by_principal.entry(uid.clone()).or_default()
                    }
                    PrincipalConstraint::In(group) => {
                        slice.by_group.entry(group.clone()).or_default()
                    }
                    _ => &mut slice.anyone,
                };
                if part.set.policy(policy.id()).is_some() {
                    continue;
                }
                match &loose {
                    Some(loose) if admits(&scope, env.action(), actions) => {
                        let _ = part.set.add(loose.clone());
                        part.reads_action |= reads_action;
                    }
                    _ => {
                        add(&mut part.set, all, policy);
                        part.reads_action |= reads_action || scope != ActionConstraint::Any;
                    }
                }
            }
        }
        Slices { slices }
    }

    /// How many policies the largest slice holds (for the benchmark's report).
    pub fn largest(&self) -> usize {
        let size = |s: &Slice| {
            let groups = s.by_group.values().map(|p| p.set.policies().count());
            s.anyone.set.policies().count() + groups.sum::<usize>()
        };
        self.slices
            .values()
            .flat_map(|by_type| by_type.values())
            .map(size)
            .max()
            .unwrap_or(0)
    }

    /// The policies that can decide `action` (its id, `document.read`) on a resource of
    /// `resource_type`; none when no policy can (nothing permits it).
    pub fn get(&self, action: &str, resource_type: &str) -> Option<&Slice> {
        self.slices.get(action)?.get(resource_type)
    }
}

impl Slice {
    /// The parts that can decide for a principal: everyone's, its groups', its own.
    fn parts<'a>(&'a self, principal: &'a Asking) -> impl Iterator<Item = &'a Part> {
        let groups = principal.groups.iter().filter_map(|g| self.by_group.get(g));
        std::iter::once(&self.anyone)
            .chain(groups)
            .chain(self.by_principal.get(&principal.uid))
    }

    /// Whether deciding for `principal` needs the action's entity (see [`Part`]).
    pub fn reads_action(&self, principal: &Asking) -> bool {
        self.parts(principal).any(|p| p.reads_action)
    }

    pub fn decide(
        &self,
        cedar: &Authorizer,
        request: &Request,
        entities: &Entities,
        principal: &Asking,
    ) -> Outcome {
        let mut outcome = Outcome {
            allowed: false,
            determining: vec![],
            errors: vec![],
        };
        // Combining per-set decisions is exact: a satisfied forbid in any set denies; otherwise a
        // satisfied permit in any set allows.
        let mut permits = Vec::new();
        let mut forbids = Vec::new();
        for part in self.parts(principal) {
            let response = cedar.is_authorized(request, &part.set, entities);
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

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn an_action_scope_admits_its_actions_and_their_groups_only() {
        let actions = crate::default_schema().action_entities().unwrap();
        let uid = |a: &str| EntityUid::from_str(&format!("Rampart::Action::\"{a}\"")).unwrap();
        let (read, edit) = (uid("document.read"), uid("document.edit"));
        let group = actions.ancestors(&read).unwrap().next().unwrap().clone();
        assert!(admits(&ActionConstraint::Any, &read, &actions));
        assert!(admits(&ActionConstraint::Eq(read.clone()), &read, &actions));
        assert!(!admits(
            &ActionConstraint::Eq(edit.clone()),
            &read,
            &actions
        ));
        let both = ActionConstraint::In(vec![edit.clone(), read.clone()]);
        assert!(admits(&both, &read, &actions));
        assert!(admits(&ActionConstraint::In(vec![group]), &read, &actions));
        assert!(!admits(&ActionConstraint::In(vec![edit]), &read, &actions));
    }
}
