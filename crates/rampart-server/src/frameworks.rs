//! The framework service: frameworks installed in an organisation, their upgrades, requirement
//! trees, mappings and readiness, and imports of third-party content.

use std::collections::BTreeMap;

use rampart_engine::domain::framework::Decision;
use rampart_engine::plugin_host::pack::FindingStatus;
use rampart_engine::{Engine, FrameworkInfo, ImportOptions, Readiness, SourceFile, UpgradePlan};
use rampart_proto::v1 as pb;
use tonic::{Request, Response, Status};

use crate::errors::status;
use crate::plugins::plugin;
use crate::services::caller;

type Res<T> = Result<Response<T>, Status>;

pub struct Frameworks(pub Engine);

fn framework_out(f: FrameworkInfo) -> pb::Framework {
    pb::Framework {
        id: f.id,
        name: f.name,
        framework: f.framework,
        version: f.version,
        installed: f.installed,
        installed_pack_version: f.installed_pack_version,
        available_pack_version: f.available_pack_version,
        upgrade_available: f.upgrade_available,
        requirements: f.requirements as u32,
        controls: f.controls as u32,
        installed_at: f.installed_at,
    }
}

fn plan_out(p: UpgradePlan) -> pb::UpgradePlan {
    pb::UpgradePlan {
        framework: p.framework,
        from_version: p.from_version,
        to_version: p.to_version,
        from_digest: p.from_digest,
        to_digest: p.to_digest,
        kept: p.change.kept as u32,
        retitled: p
            .change
            .retitled
            .into_iter()
            .map(|(requirement, old_title, new_title)| pb::Retitled {
                requirement,
                old_title,
                new_title,
            })
            .collect(),
        affected: p
            .affected
            .into_iter()
            .map(|a| pb::AffectedRequirement {
                requirement: a.requirement,
                title: a.title,
                renumbered_to: a.renumbered_to.unwrap_or_default(),
                documents: a
                    .documents
                    .into_iter()
                    .map(|(id, title)| pb::LinkedDocument { id, title })
                    .collect(),
            })
            .collect(),
        added: p.change.added,
        needs_decision: p.needs_decision,
    }
}

pub(crate) fn status_name(s: FindingStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn readiness_out(r: Readiness) -> pb::Readiness {
    pb::Readiness {
        framework: r.framework,
        met: r.met as u32,
        partially_met: r.partially_met as u32,
        not_met: r.not_met as u32,
        not_applicable: r.not_applicable as u32,
        percent: r.percent,
        findings: r.findings.into_iter().map(finding_out).collect(),
    }
}

/// One finding of a pack's check, as the API shows it (readiness and the implementation project).
pub(crate) fn finding_out(f: rampart_engine::plugin_host::pack::Finding) -> pb::Finding {
    pb::Finding {
        requirement: f.requirement,
        status: status_name(f.status),
        detail: f.detail,
    }
}

fn decisions_in(list: Vec<pb::UpgradeDecision>) -> Result<BTreeMap<String, Decision>, Status> {
    let mut out = BTreeMap::new();
    for d in list {
        let decision = match (d.move_to.trim(), d.drop) {
            ("", true) => Decision::Drop,
            (to, false) if !to.is_empty() => Decision::MoveTo(to.to_string()),
            _ => {
                return Err(Status::invalid_argument(format!(
                    "decisions: {}: give either move_to or drop",
                    d.requirement
                )));
            }
        };
        if out
            .insert(d.requirement.trim().to_string(), decision)
            .is_some()
        {
            return Err(Status::invalid_argument(format!(
                "decisions: {} is decided twice",
                d.requirement
            )));
        }
    }
    Ok(out)
}

#[tonic::async_trait]
impl pb::framework_service_server::FrameworkService for Frameworks {
    async fn list_frameworks(
        &self,
        req: Request<pb::ListFrameworksRequest>,
    ) -> Res<pb::ListFrameworksResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let list = self.0.list_frameworks(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::ListFrameworksResponse {
            frameworks: list.into_iter().map(framework_out).collect(),
        }))
    }

    async fn install_framework(
        &self,
        req: Request<pb::InstallFrameworkRequest>,
    ) -> Res<pb::Framework> {
        let (c, org) = caller(&self.0, &req).await?;
        let f = self
            .0
            .install_framework(&c, &org, &req.get_ref().framework)
            .await
            .map_err(status)?;
        Ok(Response::new(framework_out(f)))
    }

    async fn plan_framework_upgrade(
        &self,
        req: Request<pb::PlanFrameworkUpgradeRequest>,
    ) -> Res<pb::UpgradePlan> {
        let (c, org) = caller(&self.0, &req).await?;
        let p = self
            .0
            .plan_framework_upgrade(&c, &org, &req.get_ref().framework)
            .await
            .map_err(status)?;
        Ok(Response::new(plan_out(p)))
    }

    async fn upgrade_framework(
        &self,
        req: Request<pb::UpgradeFrameworkRequest>,
    ) -> Res<pb::UpgradeResult> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let decisions = decisions_in(r.decisions)?;
        let u = self
            .0
            .upgrade_framework(&c, &org, &r.framework, &decisions)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::UpgradeResult {
            plan: Some(plan_out(u.plan)),
            links_moved: u.links_moved as u32,
            links_dropped: u.links_dropped as u32,
            documents_changed: u.documents_changed as u32,
        }))
    }

    async fn migrate_annex_a2013(
        &self,
        req: Request<pb::MigrateAnnexA2013Request>,
    ) -> Res<pb::AnnexAMigration> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let m = self
            .0
            .migrate_annex_a_2013(&c, &org, &r.framework, r.apply)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::AnnexAMigration {
            moved: m
                .moved
                .into_iter()
                .map(|(document, from, to)| pb::MovedReference { document, from, to })
                .collect(),
            documents_changed: m.documents_changed as u32,
            applied: m.applied,
        }))
    }

    async fn get_requirement_tree(
        &self,
        req: Request<pb::GetRequirementTreeRequest>,
    ) -> Res<pb::RequirementTree> {
        let (c, org) = caller(&self.0, &req).await?;
        let framework = req.get_ref().framework.trim().to_string();
        let nodes = self
            .0
            .requirement_tree(&c, &org, &framework)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::RequirementTree {
            framework,
            nodes: nodes
                .into_iter()
                .map(|n| pb::RequirementNode {
                    id: n.id,
                    parent: n.parent.unwrap_or_default(),
                    title: n.title,
                    kind: n.kind.into(),
                    status: n.status.map(status_name).unwrap_or_default(),
                    detail: n.detail,
                    documents: n.documents,
                    attributes: n
                        .attributes
                        .into_iter()
                        .map(|a| pb::Attribute {
                            name: a.name,
                            value: a.value,
                        })
                        .collect(),
                })
                .collect(),
        }))
    }

    async fn list_mappings(
        &self,
        req: Request<pb::ListMappingsRequest>,
    ) -> Res<pb::ListMappingsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.get_ref();
        let list = self
            .0
            .requirement_mappings(&c, &org, &r.framework, &r.requirement)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListMappingsResponse {
            mappings: list
                .into_iter()
                .map(|m| pb::Mapping {
                    framework: m.framework,
                    requirement: m.requirement,
                    target_framework: m.target_framework,
                    target: m.target,
                    relation: m.relation,
                    target_title: m.target_title,
                })
                .collect(),
        }))
    }

    async fn check_framework(&self, req: Request<pb::CheckFrameworkRequest>) -> Res<pb::Readiness> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = self
            .0
            .check_framework(&c, &org, &req.get_ref().framework)
            .await
            .map_err(status)?;
        Ok(Response::new(readiness_out(r)))
    }

    async fn import_framework(
        &self,
        req: Request<pb::ImportFrameworkRequest>,
    ) -> Res<pb::ImportFrameworkResponse> {
        let (c, _) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let files = r
            .files
            .into_iter()
            .map(|f| SourceFile {
                name: f.name,
                bytes: f.content,
            })
            .collect();
        let options = ImportOptions {
            id: Some(r.id.trim().to_string()).filter(|s| !s.is_empty()),
            accept_up_to: Some(r.accept_up_to.trim().to_string()).filter(|s| !s.is_empty()),
        };
        let out = self
            .0
            .import_framework(&c, files, options)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ImportFrameworkResponse {
            plugins: out
                .into_iter()
                .map(|p| pb::ImportedPlugin {
                    plugin: Some(plugin(p.plugin)),
                    summary: p.summary,
                })
                .collect(),
        }))
    }
}
