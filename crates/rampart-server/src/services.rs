//! The tonic services. Each method: authenticate, map the request, call the engine, map back.

use std::pin::Pin;

use rampart_engine::domain::asset::Lifecycle;
use rampart_engine::domain::classification::{ClassificationScheme, TEMPLATES};
use rampart_engine::domain::organisation::OrganisationFields;
use rampart_engine::domain::user::UserFields;
use rampart_engine::{AssetFilter, AssetListQuery, AssetUpdate, Caller, Engine, SchemeChange};
use rampart_proto::v1 as pb;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::errors::status;
use crate::{ORGANISATION_HEADER, convert};

type Res<T> = Result<Response<T>, Status>;

/// Authenticates the bearer token and reads the organisation header.
pub(crate) async fn caller<T>(
    engine: &Engine,
    req: &Request<T>,
) -> Result<(Caller, String), Status> {
    let md = req.metadata();
    let secret = match md.get("authorization").map(|v| v.to_str()) {
        None => "",
        Some(Ok(v)) => v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .unwrap_or(""),
        Some(Err(_)) => {
            return Err(Status::unauthenticated(
                "the authorization header is not readable text",
            ));
        }
    };
    let caller = engine.authenticate(secret).await.map_err(status)?;
    let org = match md.get(ORGANISATION_HEADER).map(|v| v.to_str()) {
        None => String::new(),
        Some(Ok(v)) => v.to_string(),
        Some(Err(_)) => {
            return Err(Status::invalid_argument(format!(
                "{ORGANISATION_HEADER}: not readable text"
            )));
        }
    };
    Ok((caller, org))
}

pub struct Organisations(pub Engine);
pub struct Users(pub Engine);
pub struct Tokens(pub Engine);
pub struct Assets(pub Engine);
pub struct Classification(pub Engine);
pub struct Audit(pub Engine);

#[tonic::async_trait]
impl pb::organisation_service_server::OrganisationService for Organisations {
    async fn create_organisation(
        &self,
        req: Request<pb::CreateOrganisationRequest>,
    ) -> Res<pb::Organisation> {
        let (c, _) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let fields = OrganisationFields {
            name: r.name,
            employees: r.employees,
            isms_scope: r.isms_scope,
        };
        let o = self
            .0
            .create_organisation(&c, &r.id, fields, &r.scheme_template)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::organisation(o)))
    }

    async fn get_organisation(
        &self,
        req: Request<pb::GetOrganisationRequest>,
    ) -> Res<pb::Organisation> {
        let (c, org) = caller(&self.0, &req).await?;
        let id = match req.into_inner().id {
            id if id.is_empty() => org,
            id => id,
        };
        let o = self.0.get_organisation(&c, &id).await.map_err(status)?;
        Ok(Response::new(convert::organisation(o)))
    }

    async fn list_organisations(
        &self,
        req: Request<pb::ListOrganisationsRequest>,
    ) -> Res<pb::ListOrganisationsResponse> {
        let (c, _) = caller(&self.0, &req).await?;
        let all = self.0.list_organisations(&c).await.map_err(status)?;
        Ok(Response::new(pb::ListOrganisationsResponse {
            organisations: all.into_iter().map(convert::organisation).collect(),
        }))
    }

    async fn update_organisation(
        &self,
        req: Request<pb::UpdateOrganisationRequest>,
    ) -> Res<pb::Organisation> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let id = if r.id.is_empty() { org } else { r.id };
        let fields = OrganisationFields {
            name: r.name,
            employees: r.employees,
            isms_scope: r.isms_scope,
        };
        let o = self
            .0
            .update_organisation(&c, &id, r.expected_revision, fields)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::organisation(o)))
    }

    type ExportOrganisationStream =
        Pin<Box<dyn Stream<Item = Result<pb::BundleChunk, Status>> + Send>>;

    async fn export_organisation(
        &self,
        req: Request<pb::ExportOrganisationRequest>,
    ) -> Res<Self::ExportOrganisationStream> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let id = if r.id.is_empty() { org } else { r.id };
        let b = self
            .0
            .export_organisation(&c, &id, &r.framework)
            .await
            .map_err(status)?;
        let mut summary = Some(pb::BundleSummary {
            records: b.records as u64,
            events: b.events,
            head: b.head,
            content_digest: b.content_digest,
            size: b.bytes.len() as u64,
        });
        let parts: Vec<Result<pb::BundleChunk, Status>> = b
            .bytes
            .chunks(BUNDLE_CHUNK_BYTES)
            .map(|part| {
                Ok(pb::BundleChunk {
                    data: part.to_vec(),
                    summary: summary.take(),
                })
            })
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(parts))))
    }

    async fn import_organisation(
        &self,
        req: Request<tonic::Streaming<pb::ImportOrganisationRequest>>,
    ) -> Res<pb::ImportOrganisationResponse> {
        let (c, _) = caller(&self.0, &req).await?;
        let mut stream = req.into_inner();
        let header = match stream.message().await? {
            Some(pb::ImportOrganisationRequest {
                part: Some(pb::import_organisation_request::Part::Header(h)),
            }) => h,
            _ => {
                return Err(Status::invalid_argument(
                    "header: the first message of an import must be the header",
                ));
            }
        };
        if header.size > MAX_BUNDLE_BYTES {
            return Err(Status::invalid_argument(format!(
                "size: the bundle is {} bytes; this server imports at most {MAX_BUNDLE_BYTES}",
                header.size
            )));
        }
        let mut bytes: Vec<u8> = Vec::with_capacity(header.size as usize);
        while let Some(m) = stream.message().await? {
            match m.part {
                Some(pb::import_organisation_request::Part::Chunk(chunk)) => {
                    if (bytes.len() + chunk.len()) as u64 > MAX_BUNDLE_BYTES {
                        return Err(Status::invalid_argument(format!(
                            "bundle: larger than this server imports ({MAX_BUNDLE_BYTES} bytes)"
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                _ => {
                    return Err(Status::invalid_argument(
                        "chunk: only the first message may be a header",
                    ));
                }
            }
        }
        if header.size != 0 && header.size != bytes.len() as u64 {
            return Err(Status::invalid_argument(format!(
                "bundle: the header announced {} bytes but {} arrived; nothing was imported",
                header.size,
                bytes.len()
            )));
        }
        let i = self
            .0
            .import_organisation(&c, &bytes, &header.as_id, &header.expected_head)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ImportOrganisationResponse {
            organisation: Some(convert::organisation(i.organisation)),
            records: i.records as u64,
            events: i.events,
            exported_by: i.exported_by,
            exported_at: i.exported_at,
            framework: i.framework,
        }))
    }
}

/// Bundles travel in chunks of this size.
const BUNDLE_CHUNK_BYTES: usize = 256 * 1024;

/// The largest bundle an import accepts; the bundle is held in memory while it is verified.
pub const MAX_BUNDLE_BYTES: u64 = 1024 * 1024 * 1024;

#[tonic::async_trait]
impl pb::user_service_server::UserService for Users {
    async fn create_user(&self, req: Request<pb::CreateUserRequest>) -> Res<pb::User> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let fields = UserFields {
            display_name: r.display_name,
            email: r.email,
            roles: r.roles,
            department: r.department,
            job_title: r.job_title,
            clearance: r.clearance,
            active: true,
        };
        let u = self
            .0
            .create_user(&c, &org, &r.id, fields)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::user(u)))
    }

    async fn get_user(&self, req: Request<pb::GetUserRequest>) -> Res<pb::User> {
        let (c, org) = caller(&self.0, &req).await?;
        let u = self
            .0
            .get_user(&c, &org, &req.into_inner().id)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::user(u)))
    }

    async fn list_users(&self, req: Request<pb::ListUsersRequest>) -> Res<pb::ListUsersResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let (users, next) = self
            .0
            .list_users(&c, &org, r.page_size, &r.page_token)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListUsersResponse {
            users: users.into_iter().map(convert::user).collect(),
            next_page_token: next,
        }))
    }

    async fn update_user(&self, req: Request<pb::UpdateUserRequest>) -> Res<pb::User> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let fields = UserFields {
            display_name: r.display_name,
            email: r.email,
            roles: r.roles,
            department: r.department,
            job_title: r.job_title,
            clearance: r.clearance,
            active: r.active,
        };
        let u = self
            .0
            .update_user(&c, &org, &r.id, r.expected_revision, fields)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::user(u)))
    }

    async fn who_am_i(&self, req: Request<pb::WhoAmIRequest>) -> Res<pb::WhoAmIResponse> {
        let (c, _) = caller(&self.0, &req).await?;
        let resp = match &c.principal {
            rampart_engine::Principal::Operator { id } => pb::WhoAmIResponse {
                kind: "operator".into(),
                id: id.clone(),
                organisation: String::new(),
                roles: vec![],
                display_name: c.display_name.clone(),
            },
            rampart_engine::Principal::User {
                organisation,
                id,
                roles,
                ..
            } => pb::WhoAmIResponse {
                kind: "user".into(),
                id: id.clone(),
                organisation: organisation.clone(),
                roles: roles.clone(),
                display_name: c.display_name.clone(),
            },
        };
        Ok(Response::new(resp))
    }
}

#[tonic::async_trait]
impl pb::token_service_server::TokenService for Tokens {
    async fn create_token(
        &self,
        req: Request<pb::CreateTokenRequest>,
    ) -> Res<pb::CreateTokenResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let t = self
            .0
            .create_token(&c, &org, &r.user_id, &r.label, &r.expires_at)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::CreateTokenResponse {
            token: Some(convert::token(t.token)),
            secret: t.secret,
        }))
    }

    async fn list_tokens(
        &self,
        req: Request<pb::ListTokensRequest>,
    ) -> Res<pb::ListTokensResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let tokens = self
            .0
            .list_tokens(&c, &org, &req.into_inner().user_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListTokensResponse {
            tokens: tokens.into_iter().map(convert::token).collect(),
        }))
    }

    async fn revoke_token(&self, req: Request<pb::RevokeTokenRequest>) -> Res<pb::Token> {
        let (c, org) = caller(&self.0, &req).await?;
        let t = self
            .0
            .revoke_token(&c, &org, &req.into_inner().token_id)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::token(t)))
    }
}

#[tonic::async_trait]
impl pb::asset_service_server::AssetService for Assets {
    async fn create_asset(&self, req: Request<pb::CreateAssetRequest>) -> Res<pb::Asset> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let fields = convert::asset_fields(
            r.name,
            r.asset_type,
            r.owner,
            r.location,
            r.description,
            r.cia,
            &r.lifecycle,
            Lifecycle::InUse,
        )
        .map_err(|e| status(e.into()))?;
        let a = self
            .0
            .create_asset(&c, &org, fields)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::asset(a, None)))
    }

    async fn get_asset(&self, req: Request<pb::GetAssetRequest>) -> Res<pb::Asset> {
        let (c, org) = caller(&self.0, &req).await?;
        let (a, scheme) = self
            .0
            .get_asset(&c, &org, &req.into_inner().id)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::asset(a, scheme.as_ref())))
    }

    async fn list_assets(
        &self,
        req: Request<pb::ListAssetsRequest>,
    ) -> Res<pb::ListAssetsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let query = AssetListQuery {
            filter: AssetFilter {
                owner: r.owner,
                asset_type: r.asset_type,
                level: r.level,
                lifecycle: r.lifecycle,
            },
            page_size: r.page_size,
            page_token: r.page_token,
        };
        let list = self.0.list_assets(&c, &org, query).await.map_err(status)?;
        let scheme = list.scheme.as_ref();
        Ok(Response::new(pb::ListAssetsResponse {
            assets: list
                .assets
                .into_iter()
                .map(|a| convert::asset(a, scheme))
                .collect(),
            next_page_token: list.next_page_token,
        }))
    }

    async fn update_asset(&self, req: Request<pb::UpdateAssetRequest>) -> Res<pb::Asset> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let fields = convert::asset_fields(
            r.name,
            r.asset_type,
            r.owner,
            r.location,
            r.description,
            r.cia,
            &r.lifecycle,
            Lifecycle::InUse,
        )
        .map_err(|e| status(e.into()))?;
        let update = AssetUpdate {
            id: r.id,
            expected_revision: r.expected_revision,
            fields,
        };
        let (a, scheme) = self
            .0
            .update_asset(&c, &org, update)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::asset(a, scheme.as_ref())))
    }

    async fn list_asset_types(
        &self,
        req: Request<pb::ListAssetTypesRequest>,
    ) -> Res<pb::ListAssetTypesResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let types = self.0.asset_types(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::ListAssetTypesResponse {
            asset_types: types.into_iter().map(convert::asset_type).collect(),
        }))
    }

    async fn define_asset_type(
        &self,
        req: Request<pb::DefineAssetTypeRequest>,
    ) -> Res<pb::AssetType> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let t = self
            .0
            .define_asset_type(&c, &org, &r.id, &r.name, &r.description)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::asset_type(t)))
    }
}

#[tonic::async_trait]
impl pb::classification_service_server::ClassificationService for Classification {
    async fn get_scheme(
        &self,
        req: Request<pb::GetSchemeRequest>,
    ) -> Res<pb::ClassificationScheme> {
        let (c, org) = caller(&self.0, &req).await?;
        let s = self.0.get_scheme(&c, &org).await.map_err(status)?;
        Ok(Response::new(convert::scheme(s)))
    }

    async fn set_scheme(&self, req: Request<pb::SetSchemeRequest>) -> Res<pb::SetSchemeResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let scheme = match (r.scheme, r.template.trim()) {
            (Some(_), t) if !t.is_empty() => {
                return Err(Status::invalid_argument(
                    "template: give either a scheme or a template, not both",
                ));
            }
            (Some(s), _) => convert::scheme_in(s),
            (None, "") => {
                return Err(Status::invalid_argument(
                    "scheme: a scheme or a template is required",
                ));
            }
            (None, t) => ClassificationScheme::template(t).ok_or_else(|| {
                Status::invalid_argument(format!(
                    "template: unknown template '{t}' (four-level, nato)"
                ))
            })?,
        };
        let change = SchemeChange {
            expected_revision: r.expected_revision,
            scheme,
            level_mapping: r.level_mapping.into_iter().collect(),
            reason: r.reason,
        };
        let result = self.0.set_scheme(&c, &org, change).await.map_err(status)?;
        Ok(Response::new(pb::SetSchemeResponse {
            reclassified_assets: result.reclassified.len() as u32,
            scheme: Some(convert::scheme(result.scheme)),
        }))
    }

    async fn list_scheme_templates(
        &self,
        req: Request<pb::ListSchemeTemplatesRequest>,
    ) -> Res<pb::ListSchemeTemplatesResponse> {
        caller(&self.0, &req).await?;
        let templates = TEMPLATES
            .iter()
            .filter_map(|(id, d)| {
                ClassificationScheme::template(id).map(|s| convert::template(id, d, s))
            })
            .collect();
        Ok(Response::new(pb::ListSchemeTemplatesResponse { templates }))
    }

    async fn classify_asset(&self, req: Request<pb::ClassifyAssetRequest>) -> Res<pb::Asset> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let (a, scheme) = self
            .0
            .classify_asset(
                &c,
                &org,
                &r.asset_id,
                r.expected_revision,
                &r.level,
                &r.reason,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(convert::asset(a, Some(&scheme))))
    }

    async fn get_classification_history(
        &self,
        req: Request<pb::GetClassificationHistoryRequest>,
    ) -> Res<pb::ClassificationHistory> {
        let (c, org) = caller(&self.0, &req).await?;
        let records = self
            .0
            .classification_history(&c, &org, &req.into_inner().asset_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ClassificationHistory {
            records: records
                .into_iter()
                .map(convert::classification_record)
                .collect(),
        }))
    }

    async fn get_label(&self, req: Request<pb::GetLabelRequest>) -> Res<pb::Label> {
        let (c, org) = caller(&self.0, &req).await?;
        let (a, label) = self
            .0
            .label(&c, &org, &req.into_inner().asset_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::Label {
            text: label.text,
            placement: label.placement,
            level: a.classification.map(|c| c.level).unwrap_or_default(),
            asset_type: a.asset_type,
        }))
    }

    async fn get_handling_rules(
        &self,
        req: Request<pb::GetHandlingRulesRequest>,
    ) -> Res<pb::HandlingRules> {
        let (c, org) = caller(&self.0, &req).await?;
        let (a, rule) = self
            .0
            .handling(&c, &org, &req.into_inner().asset_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::HandlingRules {
            level: a.classification.map(|c| c.level).unwrap_or_default(),
            asset_type: a.asset_type,
            rule: rule.map(convert::handling_rule),
        }))
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::AuditEvent, Status>> + Send>>;

#[tonic::async_trait]
impl pb::audit_service_server::AuditService for Audit {
    async fn list_events(
        &self,
        req: Request<pb::ListEventsRequest>,
    ) -> Res<pb::ListEventsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let events = self
            .0
            .list_events(&c, &org, r.after_seq, &r.entity, r.page_size)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListEventsResponse {
            events: events.into_iter().map(convert::event).collect(),
        }))
    }

    async fn verify_chain(
        &self,
        req: Request<pb::VerifyChainRequest>,
    ) -> Res<pb::VerifyChainResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let report = self
            .0
            .verify_chain(&c, &org, req.into_inner().system)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::VerifyChainResponse {
            intact: report.intact,
            verified_events: report.verified,
            broken_seq: report.broken_seq,
            reason: report.reason,
        }))
    }

    type WatchStream = EventStream;

    async fn watch(&self, req: Request<pb::WatchRequest>) -> Res<Self::WatchStream> {
        let (c, org) = caller(&self.0, &req).await?;
        let rx = self
            .0
            .watch(&c, &org, req.into_inner().after_seq)
            .await
            .map_err(status)?;
        let stream = tokio_stream::wrappers::ReceiverStream::new(rx)
            .map(|r| r.map(convert::event).map_err(status));
        Ok(Response::new(Box::pin(stream)))
    }
}

use tokio_stream::StreamExt as _;
