//! Document control as use cases: documents and their versions, the approval workflow,
//! distribution and acknowledgements, the review cycle, retention and disposal, and storage
//! verification. Every decision about who may do what is a Cedar policy (policies/documents.cedar).

use std::collections::{BTreeMap, BTreeSet};

use rampart_authz::{DocumentFacts, Filter, Resource};
use rampart_domain::Invalid;
use rampart_domain::audit::sha256_hex;
use rampart_domain::classification::ClassificationScheme;
use rampart_domain::document::{
    self, Document, DocumentFields, NotAllowed, Retention, RetentionSchedule, TextDiff, Tombstone,
    VersionState, VersionStatus,
};
use rampart_store::classification::get_scheme;
use rampart_store::documents::{self as store, Acknowledgement, DocumentFilter, StoredSchedule};
use rampart_store::{Change, Database};

use crate::organisations::check_revision;
use crate::{Caller, Engine, EngineError, page_size};

impl From<NotAllowed> for EngineError {
    fn from(e: NotAllowed) -> Self {
        EngineError::FailedPrecondition(e.message)
    }
}

/// A document as a caller sees it: only the versions they may read, and the dates the engine
/// computes.
#[derive(Debug, Clone)]
pub struct DocumentView {
    pub document: Document,
    /// The retention that applies (the document's own or the schedule's).
    pub retention: Option<Retention>,
    pub next_review_due: Option<String>,
    /// Version number → when it is due for disposal.
    pub disposal_due: BTreeMap<u32, String>,
}

/// A version's text with the document it belongs to.
#[derive(Debug, Clone)]
pub struct VersionText {
    pub view: DocumentView,
    pub number: u32,
    /// None once the version was disposed of.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DocumentListQuery {
    pub filter: DocumentFilter,
    pub page_size: u32,
    pub page_token: String,
}

/// One disposal that [`Engine::run_disposals`] did, would do, or could not do.
#[derive(Debug, Clone)]
pub struct DisposalItem {
    pub document: String,
    pub title: String,
    pub version: u32,
    pub due: String,
    pub method: String,
    /// "disposed", "due" (dry run), or why it was skipped.
    pub outcome: String,
}

pub use rampart_store::documents::Verification as DocumentVerification;

/// A workflow step on one version, at the document revision the caller read.
#[derive(Debug, Clone)]
pub struct StepRequest {
    pub id: String,
    pub version: u32,
    pub expected_revision: u64,
}

/// An attachment upload in progress: chunks are stored as they arrive and become part of the
/// document only in [`Engine::finish_upload`]; [`Engine::abort_upload`] removes them.
pub struct Upload {
    org: String,
    db: Database,
    document: String,
    expected_revision: u64,
    attachment: String,
    name: String,
    content_type: String,
    change_note: String,
    declared: u64,
    limit: u64,
    received: u64,
    chunks: u64,
    pending: Vec<u8>,
    hasher: sha2::Sha256,
}

impl Upload {
    pub fn received(&self) -> u64 {
        self.received
    }
}

pub(crate) fn facts(
    org: &str,
    doc: &Document,
    version: Option<&VersionState>,
    scheme: Option<&ClassificationScheme>,
) -> Resource {
    Resource::Document(Box::new(DocumentFacts {
        organisation: org.to_string(),
        id: doc.id.clone(),
        owner: doc.owner.clone(),
        kind: doc.kind.as_str().to_string(),
        classification: doc.classification.clone(),
        classification_rank: scheme
            .and_then(|s| s.rank(&doc.classification))
            .map(|r| r as i64)
            .unwrap_or(-1),
        status: version
            .map(|v| v.status.as_str())
            .unwrap_or("none")
            .to_string(),
        version: version.map(|v| v.number as i64).unwrap_or(0),
        version_author: version
            .map(|v| v.author.clone())
            .unwrap_or_else(|| doc.owner.clone()),
        reviewers: doc.reviewers.clone(),
        approvers: doc.approvers.clone(),
        distribution_users: doc.distribution.users.clone(),
        distribution_roles: doc.distribution.roles.clone(),
        distribution_departments: doc.distribution.departments.clone(),
        distribution_job_titles: doc.distribution.job_titles.clone(),
        legal_hold: doc.legal_hold,
    }))
}

/// The version a reader means when they name none: the published one, else the newest.
fn default_version(doc: &Document) -> Option<&VersionState> {
    doc.published().or_else(|| doc.latest())
}

fn user_key(caller: &Caller) -> String {
    caller.id().to_string()
}

impl Engine {
    pub(crate) fn document_register(org: &str) -> Resource {
        Resource::DocumentRegister {
            organisation: org.to_string(),
        }
    }

    async fn load_document(&self, db: &Database, id: &str) -> Result<Document, EngineError> {
        let id = required_id(id)?;
        store::get(db, id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("document {id}")))
    }

    async fn schedule_of(&self, db: &Database) -> Result<StoredSchedule, EngineError> {
        Ok(store::schedule(db).await?.unwrap_or(StoredSchedule {
            schedule: RetentionSchedule::default(),
            revision: 0,
            updated_at: String::new(),
        }))
    }

    /// The document as the caller sees it: only the versions `readers` lets them read. Versions
    /// that differ only in their number are decided once (see `Authorizer::filter`), so a
    /// document revised hundreds of times, or a list of documents sharing `readers`, is not a
    /// decision per version.
    fn view(
        &self,
        readers: &mut Filter,
        org: &str,
        mut doc: Document,
        scheme: Option<&ClassificationScheme>,
        schedule: &RetentionSchedule,
    ) -> DocumentView {
        let readable: Vec<VersionState> = doc
            .versions
            .iter()
            .filter(|v| readers.allows(&facts(org, &doc, Some(v), scheme)))
            .cloned()
            .collect();
        let retention = doc.retention_under(schedule);
        let next_review_due = doc.next_review_due();
        let disposal_due = retention
            .map(|r| {
                doc.versions
                    .iter()
                    .filter_map(|v| Some((v.number, doc.disposal_due(v.number, r)?)))
                    .collect()
            })
            .unwrap_or_default();
        doc.versions = readable;
        DocumentView {
            document: doc,
            retention,
            next_review_due,
            disposal_due,
        }
    }

    async fn view_of(
        &self,
        caller: &Caller,
        org: &str,
        db: &Database,
        doc: Document,
    ) -> Result<DocumentView, EngineError> {
        let scheme = get_scheme(db).await?.map(|s| s.scheme());
        let schedule = self.schedule_of(db).await?;
        let mut readers = self.list_filter(caller, org, "document.read");
        Ok(self.view(&mut readers, org, doc, scheme.as_ref(), &schedule.schedule))
    }

    /// Checks what document fields refer to: users and the classification level exist.
    async fn check_document_references(
        &self,
        db: &Database,
        owner: &str,
        classification: &str,
        people: &[(&str, &[String])],
    ) -> Result<Option<ClassificationScheme>, EngineError> {
        let scheme = get_scheme(db).await?.map(|s| s.scheme());
        match &scheme {
            Some(s) if s.rank(classification).is_some() => {}
            Some(s) => {
                let levels: Vec<&str> = s.levels.iter().map(|l| l.id.as_str()).collect();
                return Err(Invalid::new(
                    "classification",
                    format!(
                        "'{classification}' is not a level of the organisation's scheme ({})",
                        levels.join(", ")
                    ),
                )
                .into());
            }
            None => {
                return Err(EngineError::FailedPrecondition(
                    "the organisation has no classification scheme yet; set one before creating documents".into(),
                ));
            }
        }
        let mut check = vec![("owner", std::slice::from_ref(&owner.to_string()).to_vec())];
        for (field, ids) in people {
            check.push((field, ids.to_vec()));
        }
        for (field, ids) in check {
            for id in ids {
                crate::users::require_user(db, field, &id).await?;
            }
        }
        Ok(scheme)
    }

    /// Creates a document with its first version (a draft written by the caller).
    pub async fn create_document(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        fields: DocumentFields,
        content: &str,
        change_note: &str,
    ) -> Result<DocumentView, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let id = if id.trim().is_empty() {
            rampart_store::new_id()
        } else {
            document::document_id(id)?
        };
        let fields = fields.validate()?;
        let change_note = if change_note.trim().is_empty() {
            "First draft"
        } else {
            change_note
        };
        let note = document::validate_content(content, change_note)?;
        let now = rampart_store::now();
        let mut doc = Document::new(id, fields, &now);
        self.authorize(caller, "document.create", &facts(&org, &doc, None, None))?;
        self.check_document_references(
            &db,
            &doc.owner,
            &doc.classification,
            &[
                ("reviewers", &doc.reviewers),
                ("approvers", &doc.approvers),
                ("distribution.users", &doc.distribution.users),
            ],
        )
        .await?;
        let hash = sha256_hex(content.as_bytes());
        doc.revise(
            &user_key(caller),
            &now,
            &note,
            hash.clone(),
            content.len() as u64,
            vec![],
        )?;
        let mut change = Change::new();
        store::create(&mut change, &caller.actor(), &doc);
        store::put_version(&mut change, &doc.id, 1, content, &hash);
        db.commit(change).await?;
        self.view_of(caller, &org, &db, doc).await
    }

    /// A document and the text of one version (0: the published one, else the newest).
    pub async fn get_document(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        version: u32,
    ) -> Result<VersionText, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let id = id.trim();
        if id.is_empty() {
            return Err(Invalid::new("id", "is required").into());
        }
        // One round trip for the document, its versions, the scheme and the schedule: this is
        // document control's hottest read.
        // Served from the store's read cache when nothing changed since (`Database::cached`).
        let read = store::get_with_context(&db, id).await?;
        let (doc, scheme, schedule) = read.as_ref();
        let doc = doc
            .clone()
            .ok_or_else(|| EngineError::NotFound(format!("document {id}")))?;
        let scheme = scheme.as_ref().map(|s| s.scheme());
        let schedule = schedule
            .as_ref()
            .map(|s| s.schedule.clone())
            .unwrap_or_default();
        let v = if version == 0 {
            default_version(&doc)
        } else {
            doc.version(version)
        }
        .cloned()
        .ok_or_else(|| EngineError::NotFound(format!("version {version} of document {id}")))?;
        let mut readers = self.list_filter(caller, &org, "document.read");
        let resource = facts(&org, &doc, Some(&v), scheme.as_ref());
        if !readers.allows(&resource) {
            // Decided again only to say why.
            self.authorize(caller, "document.read", &resource)?;
        }
        let cached = match v.status {
            VersionStatus::Disposed => None,
            _ => self
                .version_texts
                .lock()
                .expect("text cache")
                .get(db.name(), &doc.id, v.number),
        };
        let text = match cached {
            Some(t) => Some(t.to_string()),
            None => {
                let text = store::version_text(&db, &doc.id, v.number)
                    .await?
                    .ok_or_else(|| {
                        EngineError::Internal(format!(
                            "document {} version {} has no stored text",
                            doc.id, v.number
                        ))
                    })?;
                if let Some(t) = &text {
                    self.version_texts.lock().expect("text cache").put(
                        db.name(),
                        &doc.id,
                        v.number,
                        t.as_str().into(),
                    );
                }
                text
            }
        };
        Ok(VersionText {
            view: self.view(&mut readers, &org, doc, scheme.as_ref(), &schedule),
            number: v.number,
            text,
        })
    }

    /// Documents the caller may read (through their published or newest version), a page at a
    /// time, each with its versions in force that the caller may read: the published one and
    /// the newest (`get_document` has the whole history).
    pub async fn list_documents(
        &self,
        caller: &Caller,
        org: &str,
        query: DocumentListQuery,
    ) -> Result<(Vec<DocumentView>, String), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "document.list", &Self::document_register(&org))?;
        let cursor_ok = query
            .page_token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !cursor_ok {
            return Err(Invalid::new("page_token", "is not a token this server issued").into());
        }
        let size = page_size(query.page_size);
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        let schedule = self.schedule_of(&db).await?;
        let mut readers = self.list_filter(caller, &org, "document.read");
        let mut out = Vec::new();
        let mut cursor = query.page_token.clone();
        loop {
            let batch = store::list(&db, &query.filter, &cursor, size + 1).await?;
            let exhausted = batch.len() <= size;
            for d in batch.iter() {
                if out.len() == size {
                    return Ok((out, cursor));
                }
                cursor.clone_from(&d.id);
                let readable = default_version(d)
                    .is_some_and(|v| readers.allows(&facts(&org, d, Some(v), scheme.as_ref())));
                if readable {
                    let view = self.view(
                        &mut readers,
                        &org,
                        Document::clone(d),
                        scheme.as_ref(),
                        &schedule.schedule,
                    );
                    out.push(view);
                }
            }
            if exhausted {
                return Ok((out, String::new()));
            }
        }
    }

    /// Every document whose version in force (or latest draft) the caller may read.
    pub(crate) async fn readable_documents(
        &self,
        caller: &Caller,
        org: &str,
        db: &Database,
    ) -> Result<Vec<Document>, EngineError> {
        let scheme = get_scheme(db).await?.map(|s| s.scheme());
        let mut readers = self.list_filter(caller, org, "document.read");
        Ok(store::all(db)
            .await?
            .into_iter()
            .filter(|d| {
                default_version(d)
                    .is_some_and(|v| readers.allows(&facts(org, d, Some(v), scheme.as_ref())))
            })
            .collect())
    }

    /// Changes a document's metadata. Changing who receives it is `document.distribute`.
    pub async fn update_document(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        fields: DocumentFields,
    ) -> Result<DocumentView, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut doc = self.load_document(&db, id).await?;
        let before = doc.clone();
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        let resource = facts(&org, &doc, doc.latest(), scheme.as_ref());
        self.authorize(caller, "document.edit", &resource)?;
        let fields = fields.validate()?;
        if fields.distribution != doc.distribution {
            self.authorize(caller, "document.distribute", &resource)?;
        }
        check_revision("document", &doc.id, doc.revision, expected_revision)?;
        self.check_document_references(
            &db,
            &fields.owner,
            &fields.classification,
            &[
                ("reviewers", &fields.reviewers),
                ("approvers", &fields.approvers),
                ("distribution.users", &fields.distribution.users),
            ],
        )
        .await?;
        doc.set_fields(fields);
        self.save(
            caller,
            &db,
            &before,
            &mut doc,
            expected_revision,
            "document.update",
            Change::new(),
        )
        .await?;
        self.view_of(caller, &org, &db, doc).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn save(
        &self,
        caller: &Caller,
        db: &Database,
        before: &Document,
        doc: &mut Document,
        expected: u64,
        operation: &str,
        change: Change,
    ) -> Result<(), EngineError> {
        doc.revision = expected + 1;
        doc.updated_at = rampart_store::now();
        // The revision check comes first, so a stale request fails as a conflict (ABORTED)
        // before anything else in the change can fail for another reason.
        let mut ordered = Change::new();
        store::update(
            &mut ordered,
            &caller.actor(),
            operation,
            before,
            doc,
            expected,
        );
        ordered.append(change);
        db.commit(ordered).await?;
        Ok(())
    }

    /// Writes a new version of the text (a new draft; see [`Document::revise`]).
    pub async fn revise_document(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        content: &str,
        change_note: &str,
    ) -> Result<DocumentView, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        // Only the newest and the published version: a revision touches the newest, and its
        // answer carries those (not the history, which made each revision of a long-lived
        // document cost more than the one before).
        let id = required_id(id)?;
        let (doc, scheme, schedule) = store::get_for_revision(&db, id).await?;
        let mut doc = doc.ok_or_else(|| EngineError::NotFound(format!("document {id}")))?;
        let before = doc.clone();
        let scheme = scheme.map(|s| s.scheme());
        self.authorize(
            caller,
            "document.edit",
            &facts(&org, &doc, doc.latest(), scheme.as_ref()),
        )?;
        let note = document::validate_content(content, change_note)?;
        check_revision("document", &doc.id, doc.revision, expected_revision)?;
        let now = rampart_store::now();
        let hash = sha256_hex(content.as_bytes());
        // Attachments carry over to the new version; removing one is a change of its own.
        let attachments = doc
            .latest()
            .map(|v| v.attachments.clone())
            .unwrap_or_default();
        let number = doc.revise(
            &user_key(caller),
            &now,
            &note,
            hash.clone(),
            content.len() as u64,
            attachments,
        )?;
        let mut change = Change::new();
        store::put_version(&mut change, &doc.id, number, content, &hash);
        self.save(
            caller,
            &db,
            &before,
            &mut doc,
            expected_revision,
            "document.revise",
            change,
        )
        .await?;
        // The scheme and schedule as read with the document: this change touched neither.
        let schedule = schedule.map_or_else(RetentionSchedule::default, |s| s.schedule);
        let mut readers = self.list_filter(caller, &org, "document.read");
        Ok(self.view(&mut readers, &org, doc, scheme.as_ref(), &schedule))
    }

    /// Loads the document for a step on one version (0: the newest), authorizes `action` on that
    /// version and checks the revision; returns the version's number.
    async fn for_step(
        &self,
        caller: &Caller,
        org: &str,
        req: &StepRequest,
        action: &str,
    ) -> Result<(String, Database, Document, u32), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let doc = self.load_document(&db, &req.id).await?;
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        let number = if req.version == 0 {
            doc.latest().map(|v| v.number).unwrap_or(0)
        } else {
            req.version
        };
        let v = doc.version(number).ok_or_else(|| {
            EngineError::NotFound(format!("version {number} of document {}", doc.id))
        })?;
        self.authorize(caller, action, &facts(&org, &doc, Some(v), scheme.as_ref()))?;
        check_revision("document", &doc.id, doc.revision, req.expected_revision)?;
        Ok((org, db, doc, number))
    }

    /// One workflow step on one version: load, authorize `action` on that version, apply the
    /// domain rule (which returns the audit operation), save at the revision the caller read.
    async fn step<F>(
        &self,
        caller: &Caller,
        org: &str,
        req: StepRequest,
        action: &str,
        apply: F,
    ) -> Result<DocumentView, EngineError>
    where
        F: FnOnce(&mut Document, u32, &str, &str) -> Result<&'static str, NotAllowed>,
    {
        let (org, db, mut doc, n) = self.for_step(caller, org, &req, action).await?;
        let before = doc.clone();
        let operation = apply(&mut doc, n, &user_key(caller), &rampart_store::now())?;
        self.save(
            caller,
            &db,
            &before,
            &mut doc,
            req.expected_revision,
            operation,
            Change::new(),
        )
        .await?;
        self.view_of(caller, &org, &db, doc).await
    }

    pub async fn submit_document(
        &self,
        caller: &Caller,
        org: &str,
        req: StepRequest,
    ) -> Result<DocumentView, EngineError> {
        self.step(caller, org, req, "document.submit", |d, n, _, at| {
            d.submit(n, at).map(|_| "document.submit")
        })
        .await
    }

    /// Records the caller's approval; the version is approved when the quorum is reached.
    pub async fn approve_document(
        &self,
        caller: &Caller,
        org: &str,
        req: StepRequest,
    ) -> Result<DocumentView, EngineError> {
        self.step(caller, org, req, "document.approve", |d, n, by, at| {
            d.approve(n, by, at).map(|reached| {
                if reached {
                    "document.approve"
                } else {
                    "document.approve-partial"
                }
            })
        })
        .await
    }

    pub async fn reject_document(
        &self,
        caller: &Caller,
        org: &str,
        req: StepRequest,
        reason: &str,
    ) -> Result<DocumentView, EngineError> {
        let reason = document::validate_reason("reason", reason)?;
        self.step(caller, org, req, "document.reject", |d, n, by, at| {
            d.reject(n, by, at, &reason).map(|_| "document.reject")
        })
        .await
    }

    /// Publishes an approved version; the one published before becomes obsolete.
    pub async fn publish_document(
        &self,
        caller: &Caller,
        org: &str,
        req: StepRequest,
    ) -> Result<DocumentView, EngineError> {
        self.step(caller, org, req, "document.publish", |d, n, _, at| {
            d.publish(n, at).map(|_| "document.publish")
        })
        .await
    }

    /// Takes the published version out of force without a successor.
    pub async fn withdraw_document(
        &self,
        caller: &Caller,
        org: &str,
        req: StepRequest,
    ) -> Result<DocumentView, EngineError> {
        self.step(caller, org, req, "document.withdraw", |d, _, _, at| {
            d.withdraw(at).map(|_| "document.withdraw")
        })
        .await
    }

    pub async fn archive_document(
        &self,
        caller: &Caller,
        org: &str,
        req: StepRequest,
    ) -> Result<DocumentView, EngineError> {
        self.step(caller, org, req, "document.archive", |d, n, _, at| {
            d.archive(n, at).map(|_| "document.archive")
        })
        .await
    }

    /// Records a periodic review that found no change needed (a review that finds changes
    /// writes a new version instead).
    pub async fn review_document(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        note: &str,
    ) -> Result<DocumentView, EngineError> {
        let _note = document::optional_note("note", note)?;
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut doc = self.load_document(&db, id).await?;
        let before = doc.clone();
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        self.authorize(
            caller,
            "document.review",
            &facts(&org, &doc, doc.published(), scheme.as_ref()),
        )?;
        check_revision("document", &doc.id, doc.revision, expected_revision)?;
        doc.reviewed_without_change(&rampart_store::now())?;
        self.save(
            caller,
            &db,
            &before,
            &mut doc,
            expected_revision,
            "document.review-no-change",
            Change::new(),
        )
        .await?;
        self.view_of(caller, &org, &db, doc).await
    }

    /// The caller acknowledges the published version as read and understood.
    pub async fn acknowledge_document(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<Acknowledgement, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let doc = self.load_document(&db, id).await?;
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        let Some(published) = doc.published() else {
            return Err(EngineError::FailedPrecondition(format!(
                "document {} has no published version to acknowledge",
                doc.id
            )));
        };
        self.authorize(
            caller,
            "document.acknowledge",
            &facts(&org, &doc, Some(published), scheme.as_ref()),
        )?;
        let ack = Acknowledgement {
            document: doc.id.clone(),
            version: published.number,
            user: user_key(caller),
            at: rampart_store::now(),
        };
        let mut change = Change::new();
        store::acknowledge(&mut change, &caller.actor(), &ack);
        db.commit(change).await?;
        Ok(ack)
    }

    /// Who acknowledged which version: for those who distribute the document.
    pub async fn acknowledgements(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<Vec<Acknowledgement>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let doc = self.load_document(&db, id).await?;
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        self.authorize(
            caller,
            "document.distribute",
            &facts(&org, &doc, default_version(&doc), scheme.as_ref()),
        )?;
        Ok(store::acknowledgements(&db, &doc.id).await?)
    }

    /// Line differences between two versions the caller may read.
    pub async fn diff_versions(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        from: u32,
        to: u32,
    ) -> Result<TextDiff, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let doc = self.load_document(&db, id).await?;
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        let mut texts = Vec::new();
        for (field, n) in [("from", from), ("to", to)] {
            let v = doc.version(n).ok_or_else(|| {
                Invalid::new(field, format!("document {} has no version {n}", doc.id))
            })?;
            self.authorize(
                caller,
                "document.read",
                &facts(&org, &doc, Some(v), scheme.as_ref()),
            )?;
            let text = store::version_text(&db, &doc.id, n)
                .await?
                .flatten()
                .ok_or_else(|| {
                    EngineError::FailedPrecondition(format!(
                        "version {n} of document {} was disposed of; only its tombstone remains",
                        doc.id
                    ))
                })?;
            texts.push(text);
        }
        let (a, b) = (&texts[0], &texts[1]);
        let (na, nb) = (format!("{}@v{from}", doc.id), format!("{}@v{to}", doc.id));
        // Diffing large texts is CPU work: keep it off the async workers.
        let (a, b) = (a.clone(), b.clone());
        tokio::task::spawn_blocking(move || document::diff(&a, &b, &na, &nb))
            .await
            .map_err(|e| EngineError::Internal(format!("diff: {e}")))
    }

    /// Published documents whose review is due before `as_of` (default now), that the caller may read.
    pub async fn reviews_due(
        &self,
        caller: &Caller,
        org: &str,
        as_of: &str,
    ) -> Result<Vec<DocumentView>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "document.list", &Self::document_register(&org))?;
        let as_of = if as_of.trim().is_empty() {
            rampart_store::now()
        } else {
            rampart_domain::times::normalise("as_of", as_of)?
        };
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        let schedule = self.schedule_of(&db).await?;
        let mut readers = self.list_filter(caller, &org, "document.read");
        let mut out = Vec::new();
        for d in store::all(&db).await? {
            if !d.review_overdue(&as_of) {
                continue;
            }
            if readers.allows(&facts(&org, &d, d.published(), scheme.as_ref())) {
                out.push(self.view(&mut readers, &org, d, scheme.as_ref(), &schedule.schedule));
            }
        }
        out.sort_by(|a, b| a.next_review_due.cmp(&b.next_review_due));
        Ok(out)
    }

    pub async fn set_legal_hold(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        hold: bool,
        reason: &str,
    ) -> Result<DocumentView, EngineError> {
        let _reason = document::validate_reason("reason", reason)?;
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut doc = self.load_document(&db, id).await?;
        let before = doc.clone();
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        self.authorize(
            caller,
            "document.hold",
            &facts(&org, &doc, default_version(&doc), scheme.as_ref()),
        )?;
        check_revision("document", &doc.id, doc.revision, expected_revision)?;
        doc.legal_hold = hold;
        let op = if hold {
            "document.legal-hold"
        } else {
            "document.legal-hold-release"
        };
        self.save(
            caller,
            &db,
            &before,
            &mut doc,
            expected_revision,
            op,
            Change::new(),
        )
        .await?;
        self.view_of(caller, &org, &db, doc).await
    }

    /// Disposes of one version whose retention has ended: its text and the attachments no other
    /// version uses are destroyed in the same transaction that records the tombstone.
    pub async fn dispose_version(
        &self,
        caller: &Caller,
        org: &str,
        req: StepRequest,
    ) -> Result<(DocumentView, Tombstone), EngineError> {
        let (org, db, mut doc, number) =
            self.for_step(caller, org, &req, "document.dispose").await?;
        let before = doc.clone();
        let schedule = self.schedule_of(&db).await?;
        let (tombstone, change) = self.disposal(caller, &mut doc, number, &schedule.schedule)?;
        self.save(
            caller,
            &db,
            &before,
            &mut doc,
            req.expected_revision,
            "document.dispose-version",
            change,
        )
        .await?;
        Ok((self.view_of(caller, &org, &db, doc).await?, tombstone))
    }

    fn disposal(
        &self,
        caller: &Caller,
        doc: &mut Document,
        number: u32,
        schedule: &RetentionSchedule,
    ) -> Result<(Tombstone, Change), EngineError> {
        let retention = doc.retention_under(schedule).ok_or_else(|| {
            EngineError::FailedPrecondition(format!(
                "no retention applies to document {}; set one on the document or in the schedule",
                doc.id
            ))
        })?;
        let tombstone = doc.dispose(number, retention, &caller.actor(), &rampart_store::now())?;
        let mut change = Change::new();
        if retention.method.destroys() {
            // Attachments are shared between versions: destroy only those no remaining version uses.
            let still_used: BTreeSet<&str> = doc
                .versions
                .iter()
                .filter(|v| v.status != VersionStatus::Disposed)
                .flat_map(|v| v.attachments.iter().map(|a| a.id.as_str()))
                .collect();
            let unreferenced: Vec<String> = tombstone
                .attachments
                .iter()
                .filter(|a| !still_used.contains(a.id.as_str()))
                .map(|a| a.id.clone())
                .collect();
            store::destroy(
                &mut change,
                "dsp",
                &caller.actor(),
                &doc.id,
                number,
                &tombstone,
                &unreferenced,
            );
        }
        Ok((tombstone, change))
    }

    /// Every version whose disposal is due, in due order; with `execute`, disposes of each one
    /// the caller may dispose of (each in its own transaction) and reports the others.
    pub async fn run_disposals(
        &self,
        caller: &Caller,
        org: &str,
        execute: bool,
    ) -> Result<Vec<DisposalItem>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(
            caller,
            "document.dispose-due",
            &Self::document_register(&org),
        )?;
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        let schedule = self.schedule_of(&db).await?;
        let now = rampart_store::now();
        let mut due = Vec::new();
        for d in store::all(&db).await? {
            let Some(r) = d.retention_under(&schedule.schedule) else {
                continue;
            };
            for v in &d.versions {
                if let Some(at) = d.disposal_due(v.number, r)
                    && at <= now
                {
                    due.push((at, d.id.clone(), v.number, r));
                }
            }
        }
        due.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
        let mut out = Vec::new();
        for (at, id, number, r) in due {
            let mut doc = self.load_document(&db, &id).await?;
            let before = doc.clone();
            let mut item = DisposalItem {
                document: id.clone(),
                title: doc.title.clone(),
                version: number,
                due: at,
                method: r.method.as_str().to_string(),
                outcome: "due".into(),
            };
            let resource = facts(&org, &doc, doc.version(number), scheme.as_ref());
            if let Err(denied) = self.authorize(caller, "document.dispose", &resource) {
                item.outcome = format!("skipped: {denied}");
            } else if execute {
                let expected = doc.revision;
                match self.disposal(caller, &mut doc, number, &schedule.schedule) {
                    Ok((_, change)) => {
                        match self
                            .save(
                                caller,
                                &db,
                                &before,
                                &mut doc,
                                expected,
                                "document.dispose-version",
                                change,
                            )
                            .await
                        {
                            Ok(()) => item.outcome = "disposed".into(),
                            Err(e) => item.outcome = format!("failed: {e}"),
                        }
                    }
                    Err(e) => item.outcome = format!("skipped: {e}"),
                }
            }
            out.push(item);
        }
        Ok(out)
    }

    pub async fn retention_schedule(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<StoredSchedule, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "retention.read", &Self::document_register(&org))?;
        self.schedule_of(&db).await
    }

    pub async fn update_retention_schedule(
        &self,
        caller: &Caller,
        org: &str,
        expected_revision: u64,
        schedule: RetentionSchedule,
    ) -> Result<StoredSchedule, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "retention.update", &Self::document_register(&org))?;
        let levels: Vec<String> = get_scheme(&db)
            .await?
            .map(|s| s.levels.iter().map(|l| l.id.clone()).collect())
            .unwrap_or_default();
        let schedule = schedule.validate(&levels)?;
        let current = self.schedule_of(&db).await?;
        if current.revision != 0 {
            check_revision(
                "retention schedule",
                "current",
                current.revision,
                expected_revision,
            )?;
        }
        let stored = StoredSchedule {
            schedule,
            revision: current.revision + 1,
            updated_at: rampart_store::now(),
        };
        let mut change = Change::new();
        store::put_schedule(&mut change, &caller.actor(), &stored, current.revision);
        db.commit(change).await?;
        Ok(stored)
    }

    /// Recomputes every stored hash of the organisation's documents.
    pub async fn verify_documents(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<DocumentVerification, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "document.verify", &Self::document_register(&org))?;
        Ok(store::verify(&db).await?)
    }

    /// The largest attachment accepted.
    pub fn max_attachment_bytes(&self) -> u64 {
        self.max_attachment_bytes
    }

    /// Starts an attachment upload: checks the caller may edit the document, the name, and the
    /// declared size against the limit, before a byte is stored.
    #[allow(clippy::too_many_arguments)]
    pub async fn begin_upload(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        name: &str,
        content_type: &str,
        size: u64,
        change_note: &str,
    ) -> Result<Upload, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let doc = self.load_document(&db, id).await?;
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        self.authorize(
            caller,
            "document.edit",
            &facts(&org, &doc, doc.latest(), scheme.as_ref()),
        )?;
        let name = rampart_domain::invalid::required_text("name", name, 255)?;
        if name.contains('/') || name.contains('\\') {
            return Err(Invalid::new("name", "is a file name, without folders").into());
        }
        let content_type = if content_type.trim().is_empty() {
            "application/octet-stream".to_string()
        } else {
            rampart_domain::invalid::required_text("content_type", content_type, 255)?
        };
        if size > self.max_attachment_bytes {
            return Err(Invalid::new(
                "size",
                format!(
                    "{size} bytes is more than the {} bytes an attachment may have (serve --max-attachment-mb)",
                    self.max_attachment_bytes
                ),
            )
            .into());
        }
        let note = if change_note.trim().is_empty() {
            format!("Attached {name}")
        } else {
            document::optional_note("change_note", change_note)?
        };
        check_revision("document", &doc.id, doc.revision, expected_revision)?;
        if let Some(v) = doc.latest()
            && v.status == VersionStatus::InReview
        {
            return Err(EngineError::FailedPrecondition(format!(
                "version {} is in review; approve or reject it before attaching files",
                v.number
            )));
        }
        Ok(Upload {
            org,
            db,
            document: doc.id,
            expected_revision,
            attachment: rampart_store::new_id(),
            name,
            content_type,
            change_note: note,
            declared: size,
            limit: self.max_attachment_bytes,
            received: 0,
            chunks: 0,
            pending: Vec::with_capacity(store::CHUNK_BYTES),
            hasher: sha2::Digest::new(),
        })
    }

    /// Stores the next bytes of an upload, a chunk at a time. More bytes than declared (or
    /// than the limit) fail the upload.
    pub async fn write_upload(&self, upload: &mut Upload, bytes: &[u8]) -> Result<(), EngineError> {
        upload.received += bytes.len() as u64;
        let cap = if upload.declared > 0 {
            upload.declared
        } else {
            upload.limit
        };
        if upload.received > cap {
            return Err(Invalid::new(
                "size",
                format!(
                    "the upload sent more than the {cap} bytes it declared (or the limit allows)"
                ),
            )
            .into());
        }
        sha2::Digest::update(&mut upload.hasher, bytes);
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = store::CHUNK_BYTES - upload.pending.len();
            let take = room.min(rest.len());
            upload.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if upload.pending.len() == store::CHUNK_BYTES {
                store::put_chunk(
                    &upload.db,
                    &upload.attachment,
                    upload.chunks,
                    &upload.pending,
                )
                .await?;
                upload.chunks += 1;
                upload.pending.clear();
            }
        }
        Ok(())
    }

    /// Removes whatever an upload stored.
    pub async fn abort_upload(&self, upload: Upload) {
        if let Err(e) = store::discard_chunks(&upload.db, &upload.attachment).await {
            tracing::warn!(attachment = %upload.attachment, error = %e, "could not discard the chunks of a failed upload");
        }
    }

    /// Completes an upload: a new version with the same text and the attachment added.
    pub async fn finish_upload(
        &self,
        caller: &Caller,
        mut upload: Upload,
    ) -> Result<DocumentView, EngineError> {
        let result = self.finish_upload_inner(caller, &mut upload).await;
        if result.is_err() {
            self.abort_upload(upload).await;
        }
        result
    }

    async fn finish_upload_inner(
        &self,
        caller: &Caller,
        upload: &mut Upload,
    ) -> Result<DocumentView, EngineError> {
        if upload.declared > 0 && upload.received != upload.declared {
            return Err(Invalid::new(
                "size",
                format!(
                    "the upload declared {} bytes but sent {}",
                    upload.declared, upload.received
                ),
            )
            .into());
        }
        if !upload.pending.is_empty() {
            store::put_chunk(
                &upload.db,
                &upload.attachment,
                upload.chunks,
                &upload.pending,
            )
            .await?;
            upload.chunks += 1;
            upload.pending.clear();
        }
        store::seal_chunks(&upload.db, &upload.attachment).await?;
        let sha = hex::encode(sha2::Digest::finalize(std::mem::take(&mut upload.hasher)));
        let db = upload.db.clone();
        let mut doc = self.load_document(&db, &upload.document).await?;
        let before = doc.clone();
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        self.authorize(
            caller,
            "document.edit",
            &facts(&upload.org, &doc, doc.latest(), scheme.as_ref()),
        )?;
        check_revision("document", &doc.id, doc.revision, upload.expected_revision)?;
        let latest = doc
            .latest()
            .cloned()
            .ok_or_else(|| EngineError::Internal(format!("document {} has no version", doc.id)))?;
        let text = store::version_text(&db, &doc.id, latest.number)
            .await?
            .flatten()
            .ok_or_else(|| {
                EngineError::FailedPrecondition(format!(
                    "the newest version of document {} was disposed of",
                    doc.id
                ))
            })?;
        let attachment = document::Attachment {
            id: upload.attachment.clone(),
            name: upload.name.clone(),
            content_type: upload.content_type.clone(),
            size: upload.received,
            sha256: sha.clone(),
        };
        let mut attachments = latest.attachments.clone();
        attachments.push(attachment.clone());
        let now = rampart_store::now();
        let number = doc.revise(
            &user_key(caller),
            &now,
            &upload.change_note,
            latest.content_hash.clone(),
            latest.content_size,
            attachments,
        )?;
        let mut change = Change::new();
        store::put_version(&mut change, &doc.id, number, &text, &latest.content_hash);
        store::create_attachment(
            &mut change,
            "att",
            &store::StoredAttachment {
                id: attachment.id.clone(),
                document: doc.id.clone(),
                name: attachment.name.clone(),
                content_type: attachment.content_type.clone(),
                size: attachment.size,
                sha256: sha,
                chunks: upload.chunks,
                destroyed: false,
            },
        );
        self.save(
            caller,
            &db,
            &before,
            &mut doc,
            upload.expected_revision,
            "document.attach",
            change,
        )
        .await?;
        let org = upload.org.clone();
        self.view_of(caller, &org, &db, doc).await
    }

    /// Opens an attachment of a version the caller may read, for reading chunk by chunk.
    pub async fn open_attachment(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        version: u32,
        attachment: &str,
    ) -> Result<(Database, store::StoredAttachment), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let doc = self.load_document(&db, id).await?;
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        let v = if version == 0 {
            default_version(&doc)
        } else {
            doc.version(version)
        }
        .ok_or_else(|| EngineError::NotFound(format!("version {version} of document {id}")))?;
        self.authorize(
            caller,
            "document.read",
            &facts(&org, &doc, Some(v), scheme.as_ref()),
        )?;
        if !v.attachments.iter().any(|a| a.id == attachment) {
            return Err(EngineError::NotFound(format!(
                "attachment {attachment} in version {} of document {id}",
                v.number
            )));
        }
        let stored = store::attachment(&db, attachment)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("attachment {attachment}")))?;
        if stored.destroyed {
            return Err(EngineError::FailedPrecondition(format!(
                "attachment {attachment} was disposed of"
            )));
        }
        Ok((db, stored))
    }

    /// Chunk `n` of an opened attachment.
    pub async fn attachment_chunk(
        &self,
        db: &Database,
        attachment: &str,
        n: u64,
    ) -> Result<Vec<u8>, EngineError> {
        store::read_chunk(db, attachment, n).await?.ok_or_else(|| {
            EngineError::Internal(format!("attachment {attachment} lacks chunk {n}"))
        })
    }
}

/// A document id from a request, trimmed; INVALID_ARGUMENT when empty.
fn required_id(id: &str) -> Result<&str, EngineError> {
    let id = id.trim();
    if id.is_empty() {
        return Err(Invalid::new("id", "is required").into());
    }
    Ok(id)
}
