//! The plugin service: proto ↔ engine mapping for the plugin catalogue and assessments.

use rampart_engine::plugin_host::risk::{self, Input, InputValue};
use rampart_engine::{Engine, PluginInfo};
use rampart_proto::v1 as pb;
use tonic::{Request, Response, Status};

use crate::errors::status;
use crate::services::caller;

pub struct Plugins(pub Engine);

type Res<T> = Result<Response<T>, Status>;

pub fn plugin(p: PluginInfo) -> pb::Plugin {
    pb::Plugin {
        id: p.id,
        name: p.name,
        version: p.version,
        kind: p.kind,
        runtime: p.runtime,
        contract: p.contract,
        digest: p.digest,
        enabled: p.enabled,
        description: p.description,
        source: p.source,
    }
}

fn range(r: risk::NumberRange) -> pb::NumberRange {
    pb::NumberRange {
        min: r.min,
        max: r.max,
        unit: r.unit,
    }
}

pub fn methodology(m: risk::Methodology) -> pb::Methodology {
    pb::Methodology {
        name: m.name,
        version: m.version,
        description: m.description,
        inputs: m
            .inputs
            .into_iter()
            .map(|f| pb::InputField {
                name: f.name,
                label: f.label,
                help: f.help,
                optional: f.optional,
                kind: Some(match f.kind {
                    risk::FieldKind::Scale(steps) => pb::input_field::Kind::Scale(pb::ScaleSteps {
                        steps: steps
                            .into_iter()
                            .map(|s| pb::ScaleStep {
                                value: s.value,
                                name: s.name,
                                description: s.description,
                            })
                            .collect(),
                    }),
                    risk::FieldKind::Number(r) => pb::input_field::Kind::Number(range(r)),
                    risk::FieldKind::Estimate(r) => pb::input_field::Kind::Estimate(range(r)),
                }),
            })
            .collect(),
        levels: m
            .levels
            .into_iter()
            .map(|l| pb::RiskLevel {
                name: l.name,
                colour: l.colour,
                acceptable: l.acceptable,
                description: l.description,
            })
            .collect(),
        acceptance: m.acceptance,
    }
}

fn input(i: pb::Input) -> Result<Input, Status> {
    let value = match i.value {
        Some(pb::input::Value::Number(n)) => InputValue::Number(n),
        Some(pb::input::Value::Text(t)) => InputValue::Text(t),
        Some(pb::input::Value::Estimate(e)) => InputValue::Estimate(risk::Estimate {
            min: e.min,
            mode: e.mode,
            max: e.max,
        }),
        None => {
            return Err(Status::invalid_argument(format!(
                "inputs.{}: no value (give number, text or estimate)",
                i.name
            )));
        }
    };
    Ok(Input {
        name: i.name,
        value,
    })
}

#[tonic::async_trait]
impl pb::plugin_service_server::PluginService for Plugins {
    async fn list_plugins(
        &self,
        req: Request<pb::ListPluginsRequest>,
    ) -> Res<pb::ListPluginsResponse> {
        let (c, _) = caller(&self.0, &req).await?;
        let kind = req.into_inner().kind;
        let plugins = self.0.list_plugins(&c, &kind).map_err(status)?;
        Ok(Response::new(pb::ListPluginsResponse {
            plugins: plugins.into_iter().map(plugin).collect(),
        }))
    }

    async fn describe_plugin(
        &self,
        req: Request<pb::DescribePluginRequest>,
    ) -> Res<pb::DescribePluginResponse> {
        let (c, _) = caller(&self.0, &req).await?;
        let (p, m) = self
            .0
            .describe_plugin(&c, &req.into_inner().id)
            .map_err(status)?;
        Ok(Response::new(pb::DescribePluginResponse {
            plugin: Some(plugin(p)),
            methodology: m.map(methodology),
        }))
    }

    async fn assess(&self, req: Request<pb::AssessRequest>) -> Res<pb::AssessResponse> {
        let (c, _) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let inputs = r
            .inputs
            .into_iter()
            .map(input)
            .collect::<Result<Vec<_>, _>>()?;
        let (p, a, elapsed) = self
            .0
            .assess(&c, &r.plugin_id, inputs)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::AssessResponse {
            score: a.score,
            level: a.level,
            acceptable: a.acceptable,
            explanation: a.explanation,
            metrics: a
                .metrics
                .into_iter()
                .map(|m| pb::Metric {
                    name: m.name,
                    value: m.value,
                })
                .collect(),
            exceedance_curve: a
                .exceedance_curve
                .into_iter()
                .map(|p| pb::ExceedancePoint {
                    loss: p.loss,
                    probability: p.probability,
                })
                .collect(),
            plugin_id: p.id,
            plugin_version: p.version,
            plugin_digest: p.digest,
            elapsed_ms: elapsed.as_secs_f64() * 1000.0,
        }))
    }

    async fn install_plugin(&self, req: Request<pb::InstallPluginRequest>) -> Res<pb::Plugin> {
        let (c, _) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let files = r.files.into_iter().map(|f| (f.path, f.content)).collect();
        let p = self
            .0
            .install_plugin(&c, &r.manifest, files)
            .await
            .map_err(status)?;
        Ok(Response::new(plugin(p)))
    }

    async fn disable_plugin(&self, req: Request<pb::DisablePluginRequest>) -> Res<pb::Plugin> {
        let (c, _) = caller(&self.0, &req).await?;
        let p = self
            .0
            .set_plugin_enabled(&c, &req.into_inner().id, false)
            .map_err(status)?;
        Ok(Response::new(plugin(p)))
    }

    async fn enable_plugin(&self, req: Request<pb::EnablePluginRequest>) -> Res<pb::Plugin> {
        let (c, _) = caller(&self.0, &req).await?;
        let p = self
            .0
            .set_plugin_enabled(&c, &req.into_inner().id, true)
            .map_err(status)?;
        Ok(Response::new(plugin(p)))
    }
}
