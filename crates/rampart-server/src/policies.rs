//! The policy service: an organisation's policy set, its versions, dry runs and grants.

use rampart_engine::{
    CaseResult, Engine, Handling, PolicyFile, PolicySetView, Problem, StoredGrant,
};
use rampart_proto::v1 as pb;
use tonic::{Request, Response, Status};

use crate::errors::status;
use crate::services::caller;

type Res<T> = Result<Response<T>, Status>;

pub struct Policies(pub Engine);

pub(crate) fn handling_in(h: Option<pb::Handling>) -> Option<Handling> {
    h.map(|h| {
        let d = Handling::default();
        Handling {
            channel: if h.channel.is_empty() {
                d.channel
            } else {
                h.channel
            },
            medium: if h.medium.is_empty() {
                d.medium
            } else {
                h.medium
            },
            encrypted: h.encrypted,
            return_receipt: h.return_receipt,
        }
    })
}

fn files_in(files: Vec<pb::PolicyFile>) -> Vec<PolicyFile> {
    files
        .into_iter()
        .map(|f| PolicyFile {
            name: f.name,
            text: f.text,
        })
        .collect()
}

fn files_out(files: Vec<PolicyFile>) -> Vec<pb::PolicyFile> {
    files
        .into_iter()
        .map(|f| pb::PolicyFile {
            name: f.name,
            text: f.text,
        })
        .collect()
}

fn set_out(v: PolicySetView) -> pb::PolicySet {
    pb::PolicySet {
        version: v.version,
        files: files_out(v.files),
        tests: files_out(v.tests),
        author: v.author,
        at: v.at,
        note: v.note,
        platform: files_out(v.platform),
        templates: v.templates,
    }
}

fn problem_out(p: Problem) -> pb::PolicyProblem {
    pb::PolicyProblem {
        file: p.file,
        line: p.line as u32,
        column: p.column as u32,
        policy: p.policy,
        message: p.message,
    }
}

fn result_out(r: CaseResult) -> pb::PolicyTestResult {
    pb::PolicyTestResult {
        file: r.file,
        name: r.name,
        passed: r.passed,
        detail: r.detail,
    }
}

fn grant_out(g: StoredGrant) -> pb::Grant {
    pb::Grant {
        id: g.id,
        template: g.template,
        user: g.user,
        target: g.target,
        until: g.until,
        note: g.note,
        created_by: g.created_by,
        created_at: g.created_at,
        revoked_at: g.revoked_at,
        revoked_by: g.revoked_by,
    }
}

#[tonic::async_trait]
impl pb::policy_service_server::PolicyService for Policies {
    async fn get_policies(&self, req: Request<pb::GetPoliciesRequest>) -> Res<pb::PolicySet> {
        let (c, org) = caller(&self.0, &req).await?;
        let v = self.0.get_policies(&c, &org).await.map_err(status)?;
        Ok(Response::new(set_out(v)))
    }

    async fn replace_policies(
        &self,
        req: Request<pb::ReplacePoliciesRequest>,
    ) -> Res<pb::PolicySet> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let v = self
            .0
            .replace_policies(
                &c,
                &org,
                files_in(r.files),
                files_in(r.tests),
                &r.note,
                r.expected_version,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(set_out(v)))
    }

    async fn check_policies(&self, req: Request<pb::CheckPoliciesRequest>) -> Res<pb::PolicyCheck> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let check = self
            .0
            .check_policies(&c, &org, &files_in(r.files), &files_in(r.tests))
            .await
            .map_err(status)?;
        Ok(Response::new(pb::PolicyCheck {
            passed: check.passed(),
            problems: check.problems.into_iter().map(problem_out).collect(),
            results: check.results.into_iter().map(result_out).collect(),
        }))
    }

    async fn list_policy_versions(
        &self,
        req: Request<pb::ListPolicyVersionsRequest>,
    ) -> Res<pb::ListPolicyVersionsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let versions = self.0.policy_history(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::ListPolicyVersionsResponse {
            versions: versions
                .into_iter()
                .map(|v| pb::PolicyVersionInfo {
                    version: v.number,
                    author: v.author,
                    at: v.at,
                    note: v.note,
                })
                .collect(),
        }))
    }

    async fn rollback_policies(
        &self,
        req: Request<pb::RollbackPoliciesRequest>,
    ) -> Res<pb::PolicySet> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let v = self
            .0
            .rollback_policies(&c, &org, r.to_version, r.expected_version)
            .await
            .map_err(status)?;
        Ok(Response::new(set_out(v)))
    }

    async fn explain_decision(
        &self,
        req: Request<pb::ExplainDecisionRequest>,
    ) -> Res<pb::DecisionExplanation> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let handling = handling_in(r.handling);
        let d = self
            .0
            .explain(&c, &org, &r.user, &r.action, &r.resource, handling.as_ref())
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DecisionExplanation {
            allowed: d.allowed,
            reason: d.reason(),
            policies: d.policies,
            errors: d.errors,
        }))
    }

    async fn list_permissions(
        &self,
        req: Request<pb::ListPermissionsRequest>,
    ) -> Res<pb::ListPermissionsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let actions = self
            .0
            .permissions(&c, &org, &r.user, &r.resource)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListPermissionsResponse { actions }))
    }

    async fn who_may(&self, req: Request<pb::WhoMayRequest>) -> Res<pb::WhoMayResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let (action, users) = self
            .0
            .who_may(&c, &org, &r.action, &r.resource)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::WhoMayResponse {
            action,
            users: users
                .into_iter()
                .map(|p| pb::PermittedUser {
                    user: p.user,
                    policies: p.policies,
                })
                .collect(),
        }))
    }

    async fn create_grant(&self, req: Request<pb::CreateGrantRequest>) -> Res<pb::Grant> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let g = self
            .0
            .create_grant(&c, &org, &r.template, &r.user, &r.target, &r.until, &r.note)
            .await
            .map_err(status)?;
        Ok(Response::new(grant_out(g)))
    }

    async fn list_grants(
        &self,
        req: Request<pb::ListGrantsRequest>,
    ) -> Res<pb::ListGrantsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let grants = self.0.list_grants(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::ListGrantsResponse {
            grants: grants.into_iter().map(grant_out).collect(),
        }))
    }

    async fn revoke_grant(&self, req: Request<pb::RevokeGrantRequest>) -> Res<pb::Grant> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let g = self.0.revoke_grant(&c, &org, &r.id).await.map_err(status)?;
        Ok(Response::new(grant_out(g)))
    }
}
