//! The document service: document control over gRPC, with attachments streamed in both
//! directions so a large file is never held whole in memory.

use std::pin::Pin;

use rampart_engine::domain::Invalid;
use rampart_engine::domain::document::{
    Attachment, DispositionMethod, Distribution, Document, DocumentFields, Retention,
    RetentionRule, RetentionSchedule, Tombstone, VersionState,
};
use rampart_engine::domain::document_advisor::{Advice, Reason};
use rampart_engine::{
    Acknowledgement, AdviceRequest, DocumentFilter, DocumentListQuery, DocumentView, Engine,
    EngineError, StepRequest, StoredSchedule, TemplateInfo,
};
use rampart_proto::v1 as pb;
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

use crate::errors::status;
use crate::services::caller;

type Res<T> = Result<Response<T>, Status>;
type Chunks<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Bytes per message when streaming out (well under gRPC's 4 MiB default message limit).
const SEND_BYTES: usize = 256 * 1024;

pub struct Documents(pub Engine);

fn distribution_in(d: Option<pb::Distribution>) -> Distribution {
    let d = d.unwrap_or_default();
    Distribution {
        roles: d.roles,
        departments: d.departments,
        job_titles: d.job_titles,
        users: d.users,
    }
}

fn retention_in(field: &str, r: Option<pb::Retention>) -> Result<Option<Retention>, Status> {
    r.map(|r| {
        Ok(Retention {
            period_months: r.period_months,
            method: DispositionMethod::parse(&format!("{field}.method"), &r.method)
                .map_err(|e| status(e.into()))?,
        })
    })
    .transpose()
}

fn fields_in(f: Option<pb::DocumentFields>) -> Result<DocumentFields, Status> {
    let f = f.ok_or_else(|| status(Invalid::new("fields", "is required").into()))?;
    Ok(DocumentFields {
        kind: f.kind,
        title: f.title,
        owner: f.owner,
        classification: f.classification,
        requirements: f.requirements,
        reviewers: f.reviewers,
        approvers: f.approvers,
        quorum: f.quorum,
        distribution: distribution_in(f.distribution),
        review_period_months: f.review_period_months,
        retention: retention_in("fields.retention", f.retention)?,
    })
}

fn retention_out(r: Retention) -> pb::Retention {
    pb::Retention {
        period_months: r.period_months,
        method: r.method.as_str().into(),
    }
}

fn attachment_out(a: Attachment) -> pb::AttachmentInfo {
    pb::AttachmentInfo {
        id: a.id,
        name: a.name,
        content_type: a.content_type,
        size: a.size,
        sha256: a.sha256,
    }
}

fn tombstone_out(t: Tombstone) -> pb::Tombstone {
    pb::Tombstone {
        by: t.by,
        at: t.at,
        method: t.method.as_str().into(),
        content_hash: t.content_hash,
        attachments: t.attachments.into_iter().map(attachment_out).collect(),
    }
}

fn version_out(v: VersionState, disposal_due: String) -> pb::DocumentVersion {
    pb::DocumentVersion {
        number: v.number,
        author: v.author,
        created_at: v.created_at,
        change_note: v.change_note,
        content_hash: v.content_hash,
        content_size: v.content_size,
        attachments: v.attachments.into_iter().map(attachment_out).collect(),
        status: v.status.as_str().into(),
        status_at: v.status_at,
        approvals: v
            .approvals
            .into_iter()
            .map(|a| pb::Approval { by: a.by, at: a.at })
            .collect(),
        rejections: v
            .rejections
            .into_iter()
            .map(|r| pb::Rejection {
                by: r.by,
                at: r.at,
                reason: r.reason,
            })
            .collect(),
        published_at: v.published_at,
        disposal_due,
        tombstone: v.tombstone.map(tombstone_out),
    }
}

pub fn document_out(view: DocumentView) -> pb::Document {
    let DocumentView {
        document: d,
        retention,
        next_review_due,
        mut disposal_due,
    } = view;
    let published_version = d.published().map(|v| v.number).unwrap_or(0);
    let Document {
        id,
        kind,
        title,
        owner,
        classification,
        requirements,
        reviewers,
        approvers,
        quorum,
        distribution,
        review_period_months,
        retention: own,
        legal_hold,
        last_reviewed_at,
        versions,
        revision,
        created_at,
        updated_at,
    } = d;
    let latest_version = versions.last().map(|v| v.number).unwrap_or(0);
    pb::Document {
        id,
        kind: kind.as_str().into(),
        title,
        owner,
        classification,
        requirements,
        reviewers,
        approvers,
        quorum,
        distribution: Some(pb::Distribution {
            roles: distribution.roles,
            departments: distribution.departments,
            job_titles: distribution.job_titles,
            users: distribution.users,
        }),
        review_period_months,
        retention: own.map(retention_out),
        effective_retention: retention.map(retention_out),
        legal_hold,
        last_reviewed_at,
        next_review_due: next_review_due.unwrap_or_default(),
        published_version,
        // The newest version the caller may see.
        latest_version,
        versions: versions
            .into_iter()
            .map(|v| {
                let due = disposal_due.remove(&v.number).unwrap_or_default();
                version_out(v, due)
            })
            .collect(),
        revision,
        created_at,
        updated_at,
    }
}

fn ack_out(a: Acknowledgement) -> pb::Acknowledgement {
    pb::Acknowledgement {
        document: a.document,
        version: a.version,
        user: a.user,
        at: a.at,
    }
}

fn schedule_out(s: StoredSchedule) -> pb::RetentionSchedule {
    pb::RetentionSchedule {
        rules: s
            .schedule
            .rules
            .into_iter()
            .map(|r| pb::RetentionRule {
                kind: r.kind,
                level: r.level,
                retention: Some(retention_out(r.retention)),
            })
            .collect(),
        revision: s.revision,
        updated_at: s.updated_at,
    }
}

fn reasons_out(r: Vec<Reason>) -> Vec<pb::AdviceReason> {
    r.into_iter()
        .map(|r| pb::AdviceReason {
            criterion: r.criterion,
            points: r.points,
            why: r.why,
        })
        .collect()
}

fn advice_out(a: Advice) -> pb::DocumentAdvice {
    pb::DocumentAdvice {
        recommendation: a.recommendation.as_str().into(),
        score: a.score,
        reasons: reasons_out(a.reasons),
        detail: a.detail.as_str().into(),
        detail_score: a.detail_score,
        detail_reasons: reasons_out(a.detail_reasons),
    }
}

fn template_out(t: TemplateInfo) -> pb::DocumentTemplateInfo {
    pb::DocumentTemplateInfo {
        id: t.id,
        title: t.title,
        kind: t.kind,
        requirement: t.requirement,
    }
}

fn step(id: String, version: u32, expected_revision: u64) -> StepRequest {
    StepRequest {
        id,
        version,
        expected_revision,
    }
}

fn one(view: Result<DocumentView, EngineError>) -> Res<pb::Document> {
    view.map(|v| Response::new(document_out(v))).map_err(status)
}

#[tonic::async_trait]
impl pb::document_service_server::DocumentService for Documents {
    async fn create_document(&self, req: Request<pb::CreateDocumentRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let fields = fields_in(r.fields)?;
        one(self
            .0
            .create_document(&c, &org, &r.id, fields, &r.content, &r.change_note)
            .await)
    }

    async fn get_document(
        &self,
        req: Request<pb::GetDocumentRequest>,
    ) -> Res<pb::DocumentVersionText> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let t = self
            .0
            .get_document(&c, &org, &r.id, r.version)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DocumentVersionText {
            document: Some(document_out(t.view)),
            version: t.number,
            destroyed: t.text.is_none(),
            content: t.text.unwrap_or_default(),
        }))
    }

    async fn list_documents(
        &self,
        req: Request<pb::ListDocumentsRequest>,
    ) -> Res<pb::ListDocumentsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let (docs, next) = self
            .0
            .list_documents(
                &c,
                &org,
                DocumentListQuery {
                    filter: DocumentFilter {
                        owner: r.owner,
                        kind: r.kind,
                    },
                    page_size: r.page_size,
                    page_token: r.page_token,
                },
            )
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListDocumentsResponse {
            documents: docs.into_iter().map(document_out).collect(),
            next_page_token: next,
        }))
    }

    async fn update_document(&self, req: Request<pb::UpdateDocumentRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let fields = fields_in(r.fields)?;
        one(self
            .0
            .update_document(&c, &org, &r.id, r.expected_revision, fields)
            .await)
    }

    async fn revise_document(&self, req: Request<pb::ReviseDocumentRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        one(self
            .0
            .revise_document(
                &c,
                &org,
                &r.id,
                r.expected_revision,
                &r.content,
                &r.change_note,
            )
            .await)
    }

    async fn submit_document(&self, req: Request<pb::DocumentStepRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        one(self
            .0
            .submit_document(&c, &org, step(r.id, r.version, r.expected_revision))
            .await)
    }

    async fn approve_document(&self, req: Request<pb::DocumentStepRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        one(self
            .0
            .approve_document(&c, &org, step(r.id, r.version, r.expected_revision))
            .await)
    }

    async fn reject_document(&self, req: Request<pb::RejectDocumentRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        one(self
            .0
            .reject_document(
                &c,
                &org,
                step(r.id, r.version, r.expected_revision),
                &r.reason,
            )
            .await)
    }

    async fn publish_document(&self, req: Request<pb::DocumentStepRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        one(self
            .0
            .publish_document(&c, &org, step(r.id, r.version, r.expected_revision))
            .await)
    }

    async fn withdraw_document(&self, req: Request<pb::DocumentStepRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        one(self
            .0
            .withdraw_document(&c, &org, step(r.id, r.version, r.expected_revision))
            .await)
    }

    async fn archive_document(&self, req: Request<pb::DocumentStepRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        one(self
            .0
            .archive_document(&c, &org, step(r.id, r.version, r.expected_revision))
            .await)
    }

    async fn review_document(&self, req: Request<pb::ReviewDocumentRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        one(self
            .0
            .review_document(&c, &org, &r.id, r.expected_revision, &r.note)
            .await)
    }

    async fn acknowledge_document(
        &self,
        req: Request<pb::AcknowledgeDocumentRequest>,
    ) -> Res<pb::Acknowledgement> {
        let (c, org) = caller(&self.0, &req).await?;
        let a = self
            .0
            .acknowledge_document(&c, &org, &req.into_inner().id)
            .await
            .map_err(status)?;
        Ok(Response::new(ack_out(a)))
    }

    async fn list_acknowledgements(
        &self,
        req: Request<pb::ListAcknowledgementsRequest>,
    ) -> Res<pb::ListAcknowledgementsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let all = self
            .0
            .acknowledgements(&c, &org, &req.into_inner().id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListAcknowledgementsResponse {
            acknowledgements: all.into_iter().map(ack_out).collect(),
        }))
    }

    async fn diff_versions(
        &self,
        req: Request<pb::DiffVersionsRequest>,
    ) -> Res<pb::DiffVersionsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let d = self
            .0
            .diff_versions(&c, &org, &r.id, r.from, r.to)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DiffVersionsResponse {
            unified: d.unified,
            lines_added: d.added,
            lines_removed: d.removed,
        }))
    }

    async fn list_reviews_due(
        &self,
        req: Request<pb::ListReviewsDueRequest>,
    ) -> Res<pb::ListDocumentsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let due = self
            .0
            .reviews_due(&c, &org, &req.into_inner().as_of)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListDocumentsResponse {
            documents: due.into_iter().map(document_out).collect(),
            next_page_token: String::new(),
        }))
    }

    async fn set_legal_hold(&self, req: Request<pb::SetLegalHoldRequest>) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        one(self
            .0
            .set_legal_hold(&c, &org, &r.id, r.expected_revision, r.hold, &r.reason)
            .await)
    }

    async fn dispose_version(
        &self,
        req: Request<pb::DocumentStepRequest>,
    ) -> Res<pb::DisposeVersionResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let (view, tombstone) = self
            .0
            .dispose_version(&c, &org, step(r.id, r.version, r.expected_revision))
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DisposeVersionResponse {
            document: Some(document_out(view)),
            tombstone: Some(tombstone_out(tombstone)),
        }))
    }

    async fn run_disposals(
        &self,
        req: Request<pb::RunDisposalsRequest>,
    ) -> Res<pb::RunDisposalsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let execute = req.into_inner().execute;
        let items = self
            .0
            .run_disposals(&c, &org, execute)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::RunDisposalsResponse {
            disposals: items
                .into_iter()
                .map(|i| pb::Disposal {
                    document: i.document,
                    title: i.title,
                    version: i.version,
                    due: i.due,
                    method: i.method,
                    outcome: i.outcome,
                })
                .collect(),
            executed: execute,
        }))
    }

    async fn get_retention_schedule(
        &self,
        req: Request<pb::GetRetentionScheduleRequest>,
    ) -> Res<pb::RetentionSchedule> {
        let (c, org) = caller(&self.0, &req).await?;
        let s = self.0.retention_schedule(&c, &org).await.map_err(status)?;
        Ok(Response::new(schedule_out(s)))
    }

    async fn update_retention_schedule(
        &self,
        req: Request<pb::UpdateRetentionScheduleRequest>,
    ) -> Res<pb::RetentionSchedule> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let mut rules = Vec::with_capacity(r.rules.len());
        for (i, rule) in r.rules.into_iter().enumerate() {
            let field = format!("rules[{i}].retention");
            let retention = retention_in(&field, rule.retention)?
                .ok_or_else(|| status(Invalid::new(field, "is required").into()))?;
            rules.push(RetentionRule {
                kind: rule.kind,
                level: rule.level,
                retention,
            });
        }
        let s = self
            .0
            .update_retention_schedule(&c, &org, r.expected_revision, RetentionSchedule { rules })
            .await
            .map_err(status)?;
        Ok(Response::new(schedule_out(s)))
    }

    async fn upload_attachment(
        &self,
        req: Request<Streaming<pb::UploadAttachmentRequest>>,
    ) -> Res<pb::Document> {
        let (c, org) = caller(&self.0, &req).await?;
        let mut stream = req.into_inner();
        let header = match stream.message().await? {
            Some(pb::UploadAttachmentRequest {
                part: Some(pb::upload_attachment_request::Part::Header(h)),
            }) => h,
            _ => {
                return Err(status(
                    Invalid::new(
                        "header",
                        "the first message of an upload must be the header",
                    )
                    .into(),
                ));
            }
        };
        // The header is checked (permission, name, declared size against the limit) before a
        // single byte is stored.
        let mut upload = self
            .0
            .begin_upload(
                &c,
                &org,
                &header.document_id,
                header.expected_revision,
                &header.name,
                &header.content_type,
                header.size,
                &header.change_note,
            )
            .await
            .map_err(status)?;
        loop {
            let next = match stream.message().await {
                Ok(m) => m,
                Err(e) => {
                    self.0.abort_upload(upload).await;
                    return Err(e);
                }
            };
            match next {
                None => break,
                Some(pb::UploadAttachmentRequest {
                    part: Some(pb::upload_attachment_request::Part::Chunk(bytes)),
                }) => {
                    if let Err(e) = self.0.write_upload(&mut upload, &bytes).await {
                        self.0.abort_upload(upload).await;
                        return Err(status(e));
                    }
                }
                Some(_) => {
                    self.0.abort_upload(upload).await;
                    return Err(status(
                        Invalid::new("chunk", "only the first message may be a header").into(),
                    ));
                }
            }
        }
        one(self.0.finish_upload(&c, upload).await)
    }

    type DownloadAttachmentStream = Chunks<pb::AttachmentChunk>;

    async fn download_attachment(
        &self,
        req: Request<pb::DownloadAttachmentRequest>,
    ) -> Res<Self::DownloadAttachmentStream> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let (db, stored) = self
            .0
            .open_attachment(&c, &org, &r.document_id, r.version, &r.attachment_id)
            .await
            .map_err(status)?;
        let engine = self.0.clone();
        // One stored chunk in memory at a time; the channel bounds what waits for the client.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<pb::AttachmentChunk, Status>>(2);
        tokio::spawn(async move {
            let mut info = Some(pb::AttachmentInfo {
                id: stored.id.clone(),
                name: stored.name.clone(),
                content_type: stored.content_type.clone(),
                size: stored.size,
                sha256: stored.sha256.clone(),
            });
            for n in 0..stored.chunks {
                let bytes = match engine.attachment_chunk(&db, &stored.id, n).await {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = tx.send(Err(status(e))).await;
                        return;
                    }
                };
                for part in bytes.chunks(SEND_BYTES) {
                    let msg = pb::AttachmentChunk {
                        data: part.to_vec(),
                        info: info.take(),
                    };
                    if tx.send(Ok(msg)).await.is_err() {
                        return;
                    }
                }
            }
            if let Some(info) = info.take() {
                let _ = tx
                    .send(Ok(pb::AttachmentChunk {
                        data: vec![],
                        info: Some(info),
                    }))
                    .await;
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }

    async fn verify_documents(
        &self,
        req: Request<pb::VerifyDocumentsRequest>,
    ) -> Res<pb::VerifyDocumentsResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let v = self.0.verify_documents(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::VerifyDocumentsResponse {
            versions: v.versions,
            attachments: v.attachments,
            attachment_bytes: v.bytes,
            destroyed_versions: v.destroyed,
            orphan_chunks: v.orphan_chunks,
            problems: v.problems,
        }))
    }

    type ExportDocumentStream = Chunks<pb::ExportChunk>;

    async fn export_document(
        &self,
        req: Request<pb::ExportDocumentRequest>,
    ) -> Res<Self::ExportDocumentStream> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let e = self
            .0
            .export_document(
                &c,
                &org,
                &r.id,
                r.version,
                &r.format,
                crate::policies::handling_in(r.handling).as_ref(),
            )
            .await
            .map_err(status)?;
        let mut first = Some((e.file_name, e.content_type, e.marking));
        let mut parts: Vec<Result<pb::ExportChunk, Status>> = Vec::new();
        for part in e.bytes.chunks(SEND_BYTES) {
            let (file_name, content_type, marking) = first.take().unwrap_or_default();
            parts.push(Ok(pb::ExportChunk {
                data: part.to_vec(),
                file_name,
                content_type,
                marking,
            }));
        }
        Ok(Response::new(Box::pin(tokio_stream::iter(parts))))
    }

    async fn transfer_document(
        &self,
        req: Request<pb::TransferDocumentRequest>,
    ) -> Res<pb::Transfer> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let handling = crate::policies::handling_in(r.handling).unwrap_or_default();
        let t = self
            .0
            .transfer_document(&c, &org, &r.id, r.version, &handling, &r.recipient, &r.note)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::Transfer {
            document: t.document,
            version: t.version,
            channel: t.channel,
            medium: t.medium,
            encrypted: t.encrypted,
            return_receipt: t.return_receipt,
            recipient: t.recipient,
            note: t.note,
            by: t.by,
            at: t.at,
        }))
    }

    async fn advise_document(
        &self,
        req: Request<pb::AdviseDocumentRequest>,
    ) -> Res<pb::DocumentAdvice> {
        let (c, org) = caller(&self.0, &req).await?;
        let r = req.into_inner();
        let advice = self
            .0
            .advise_document(
                &c,
                &org,
                AdviceRequest {
                    title: r.title,
                    requirement: r.requirement,
                    risk: r.risk,
                    required_by_compliance: r.required_by_compliance,
                    auditors_expect_detail: r.auditors_expect_detail,
                    employees: r.employees,
                    importance: r.importance,
                    people_involved: r.people_involved,
                    complexity: r.complexity,
                    maturity: r.maturity,
                    frequency: r.frequency,
                },
            )
            .await
            .map_err(status)?;
        Ok(Response::new(advice_out(advice)))
    }

    async fn list_document_templates(
        &self,
        req: Request<pb::ListDocumentTemplatesRequest>,
    ) -> Res<pb::ListDocumentTemplatesResponse> {
        let (c, org) = caller(&self.0, &req).await?;
        let all = self.0.document_templates(&c, &org).await.map_err(status)?;
        Ok(Response::new(pb::ListDocumentTemplatesResponse {
            templates: all.into_iter().map(template_out).collect(),
        }))
    }

    async fn get_document_template(
        &self,
        req: Request<pb::GetDocumentTemplateRequest>,
    ) -> Res<pb::DocumentTemplate> {
        let (c, org) = caller(&self.0, &req).await?;
        let (info, content) = self
            .0
            .document_template(&c, &org, &req.into_inner().id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DocumentTemplate {
            info: Some(template_out(info)),
            content,
        }))
    }
}
