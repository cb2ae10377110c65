//! Controlled documents (ISO 27001 7.5, ISO 22301 7.5): versions that never change once written,
//! the approval workflow, distribution, the review cycle, and retention and disposition.
//!
//! A [`Document`] holds its metadata and the state of every version; the text of each version is
//! stored apart and is immutable until disposal destroys it. All workflow rules are here, as pure
//! functions on the document, so the engine only authorizes, loads, applies and persists.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, key, optional_text, required_text};
use crate::times;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    Policy,
    Procedure,
    WorkInstruction,
    Plan,
    Record,
    Report,
    Template,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 8] = [
        DocumentKind::Policy,
        DocumentKind::Procedure,
        DocumentKind::WorkInstruction,
        DocumentKind::Plan,
        DocumentKind::Record,
        DocumentKind::Report,
        DocumentKind::Template,
        DocumentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Policy => "policy",
            DocumentKind::Procedure => "procedure",
            DocumentKind::WorkInstruction => "work-instruction",
            DocumentKind::Plan => "plan",
            DocumentKind::Record => "record",
            DocumentKind::Report => "report",
            DocumentKind::Template => "template",
            DocumentKind::Other => "other",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<DocumentKind, Invalid> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    field,
                    format!(
                        "'{s}' is not a document kind (policy, procedure, work-instruction, plan, record, report, template, other)"
                    ),
                )
            })
    }
}

/// Where a version is in the workflow.
///
/// draft → in-review → approved → published → obsolete → archived; a rejection sends a version
/// back to draft; a newer version replaces a draft or approved one that was never published
/// (superseded). Superseded, obsolete and archived versions are disposed of when their retention
/// ends: the text is destroyed and a tombstone stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionStatus {
    Draft,
    InReview,
    Approved,
    Published,
    Superseded,
    Obsolete,
    Archived,
    Disposed,
}

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::InReview => "in-review",
            VersionStatus::Approved => "approved",
            VersionStatus::Published => "published",
            VersionStatus::Superseded => "superseded",
            VersionStatus::Obsolete => "obsolete",
            VersionStatus::Archived => "archived",
            VersionStatus::Disposed => "disposed",
        }
    }

    /// Still on its way to publication (only the newest version can be).
    pub fn in_workflow(self) -> bool {
        matches!(
            self,
            VersionStatus::Draft | VersionStatus::InReview | VersionStatus::Approved
        )
    }

    /// The workflow steps that may be taken from this status.
    pub fn next_steps(self) -> &'static [Step] {
        match self {
            VersionStatus::Draft => &[Step::Revise, Step::Submit],
            VersionStatus::InReview => &[Step::Approve, Step::Reject],
            VersionStatus::Approved => &[Step::Publish, Step::Revise],
            VersionStatus::Published => &[Step::Revise, Step::Withdraw],
            VersionStatus::Superseded => &[Step::Dispose],
            VersionStatus::Obsolete => &[Step::Archive, Step::Dispose],
            VersionStatus::Archived => &[Step::Dispose],
            VersionStatus::Disposed => &[],
        }
    }
}

/// A workflow step, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Revise,
    Submit,
    Approve,
    Reject,
    Publish,
    Withdraw,
    Archive,
    Dispose,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Revise => "revise",
            Step::Submit => "submit",
            Step::Approve => "approve",
            Step::Reject => "reject",
            Step::Publish => "publish",
            Step::Withdraw => "withdraw",
            Step::Archive => "archive",
            Step::Dispose => "dispose",
        }
    }
}

/// A step the current state does not allow; says what is allowed instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NotAllowed {
    pub message: String,
    pub allowed: Vec<String>,
}

fn not_allowed(step: Step, number: u32, status: VersionStatus) -> NotAllowed {
    let allowed: Vec<String> = status
        .next_steps()
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    NotAllowed {
        message: format!(
            "cannot {} version {number}: it is {}; allowed next: {}",
            step.as_str(),
            status.as_str(),
            if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            }
        ),
        allowed,
    }
}

/// Who receives the document: anyone matching one of these may read its published version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub job_titles: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
}

impl Distribution {
    pub fn validate(self) -> Result<Self, Invalid> {
        Ok(Distribution {
            roles: keys("distribution.roles", &self.roles)?,
            departments: texts("distribution.departments", &self.departments)?,
            job_titles: texts("distribution.job_titles", &self.job_titles)?,
            users: keys("distribution.users", &self.users)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
            && self.departments.is_empty()
            && self.job_titles.is_empty()
            && self.users.is_empty()
    }

    /// Whether the list names `user` (an active one), by name or by role, department or title.
    /// Reading is still Cedar's decision; this says who the document is sent to.
    pub fn reaches(&self, user: &crate::user::User) -> bool {
        user.active
            && (self.users.contains(&user.id)
                || user.in_any(&self.roles, &self.departments, &self.job_titles))
    }
}

fn keys(field: &str, values: &[String]) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let v = key(field, v, 60)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

fn texts(field: &str, values: &[String]) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let v = required_text(field, v, 200)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// What happens to a version at the end of its retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DispositionMethod {
    /// The stored text and attachments are overwritten and deleted.
    Delete,
    /// As delete, and paper copies are shredded (the tombstone records it).
    Shred,
    /// Kept read-only in the archive instead of destroyed.
    Archive,
}

impl DispositionMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            DispositionMethod::Delete => "delete",
            DispositionMethod::Shred => "shred",
            DispositionMethod::Archive => "archive",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<DispositionMethod, Invalid> {
        match s.trim() {
            "delete" | "overwrite" => Ok(DispositionMethod::Delete),
            "shred" => Ok(DispositionMethod::Shred),
            "archive" => Ok(DispositionMethod::Archive),
            other => Err(Invalid::new(
                field,
                format!("'{other}' is not a disposition method (delete, shred, archive)"),
            )),
        }
    }

    pub fn destroys(self) -> bool {
        !matches!(self, DispositionMethod::Archive)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub period_months: u32,
    pub method: DispositionMethod,
}

/// The longest retention the engine accepts: 100 years.
pub const MAX_RETENTION_MONTHS: u32 = 1200;

impl Retention {
    pub fn validate(self, field: &str) -> Result<Self, Invalid> {
        if self.period_months > MAX_RETENTION_MONTHS {
            return Err(Invalid::new(
                format!("{field}.period_months"),
                format!("is longer than {MAX_RETENTION_MONTHS} months"),
            ));
        }
        Ok(self)
    }
}

/// One line of the organisation's retention schedule. Empty `kind` or `level` matches any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRule {
    pub kind: String,
    pub level: String,
    pub retention: Retention,
}

/// Retention per document kind and/or classification level, most specific rule first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionSchedule {
    pub rules: Vec<RetentionRule>,
}

impl Default for RetentionSchedule {
    /// A starting schedule: three years for most documents, records kept six (many legal
    /// retention duties for records run to six years), drafts and templates one.
    fn default() -> Self {
        let rule = |kind: &str, months, method| RetentionRule {
            kind: kind.into(),
            level: String::new(),
            retention: Retention {
                period_months: months,
                method,
            },
        };
        RetentionSchedule {
            rules: vec![
                rule("record", 72, DispositionMethod::Delete),
                rule("report", 72, DispositionMethod::Delete),
                rule("template", 12, DispositionMethod::Delete),
                rule("", 36, DispositionMethod::Delete),
            ],
        }
    }
}

impl RetentionSchedule {
    pub fn validate(self, levels: &[String]) -> Result<Self, Invalid> {
        let mut seen = Vec::new();
        let mut rules = Vec::with_capacity(self.rules.len());
        for (i, r) in self.rules.into_iter().enumerate() {
            let field = format!("rules[{i}]");
            let kind = if r.kind.trim().is_empty() {
                String::new()
            } else {
                DocumentKind::parse(&format!("{field}.kind"), &r.kind)?
                    .as_str()
                    .to_string()
            };
            let level = r.level.trim().to_string();
            if !level.is_empty() && !levels.contains(&level) {
                return Err(Invalid::new(
                    format!("{field}.level"),
                    format!("'{level}' is not a level of the classification scheme"),
                ));
            }
            if seen.contains(&(kind.clone(), level.clone())) {
                return Err(Invalid::new(
                    field,
                    "there is already a rule for this kind and level",
                ));
            }
            seen.push((kind.clone(), level.clone()));
            rules.push(RetentionRule {
                kind,
                level,
                retention: r.retention.validate(&field)?,
            });
        }
        if !rules
            .iter()
            .any(|r| r.kind.is_empty() && r.level.is_empty())
        {
            return Err(Invalid::new(
                "rules",
                "the schedule needs a default rule (empty kind and level) so every document has a retention",
            ));
        }
        Ok(RetentionSchedule { rules })
    }

    /// The rule for a document: kind and level both match, else the kind's, else the level's,
    /// else the default.
    pub fn resolve(&self, kind: DocumentKind, level: &str) -> Option<&RetentionRule> {
        let k = kind.as_str();
        let find = |kind: &str, level: &str| {
            self.rules
                .iter()
                .find(|r| r.kind == kind && r.level == level)
        };
        find(k, level)
            .or_else(|| find(k, ""))
            .or_else(|| find("", level))
            .or_else(|| find("", ""))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub by: String,
    pub at: String,
    pub reason: String,
}

/// An attachment of a version: the bytes are stored apart, in chunks, under `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

/// What a disposal left behind: enough to prove what was destroyed, when, how and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub by: String,
    pub at: String,
    pub method: DispositionMethod,
    pub content_hash: String,
    pub attachments: Vec<Attachment>,
}

/// The state of one version. Its text and attachments never change; only its status moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionState {
    pub number: u32,
    pub author: String,
    pub created_at: String,
    pub change_note: String,
    /// SHA-256 of the Markdown text.
    pub content_hash: String,
    pub content_size: u64,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    pub status: VersionStatus,
    /// When the version entered its status (disposal is due from obsolescence).
    pub status_at: String,
    #[serde(default)]
    pub approvals: Vec<Approval>,
    #[serde(default)]
    pub rejections: Vec<Rejection>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub published_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tombstone: Option<Tombstone>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub kind: DocumentKind,
    pub title: String,
    pub owner: String,
    /// Level key in the organisation's scheme.
    pub classification: String,
    /// Framework requirements the document satisfies, e.g. `iso27001:5.2`.
    #[serde(default)]
    pub requirements: Vec<String>,
    #[serde(default)]
    pub reviewers: Vec<String>,
    #[serde(default)]
    pub approvers: Vec<String>,
    /// Approvals needed before a version is approved.
    pub quorum: u32,
    #[serde(default)]
    pub distribution: Distribution,
    pub review_period_months: u32,
    /// Overrides the retention schedule for this document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    pub legal_hold: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_reviewed_at: String,
    pub versions: Vec<VersionState>,
    pub revision: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// What a caller sets on a document (its versions move through the workflow instead).
#[derive(Debug, Clone, Default)]
pub struct DocumentFields {
    pub kind: String,
    pub title: String,
    pub owner: String,
    pub classification: String,
    pub requirements: Vec<String>,
    pub reviewers: Vec<String>,
    pub approvers: Vec<String>,
    pub quorum: u32,
    pub distribution: Distribution,
    pub review_period_months: u32,
    pub retention: Option<Retention>,
}

/// Checked [`DocumentFields`].
#[derive(Debug, Clone)]
pub struct ValidFields {
    pub kind: DocumentKind,
    pub title: String,
    pub owner: String,
    pub classification: String,
    pub requirements: Vec<String>,
    pub reviewers: Vec<String>,
    pub approvers: Vec<String>,
    pub quorum: u32,
    pub distribution: Distribution,
    pub review_period_months: u32,
    pub retention: Option<Retention>,
}

pub const DEFAULT_REVIEW_MONTHS: u32 = 12;
/// Largest Markdown text of one version.
pub const MAX_CONTENT_BYTES: usize = 4 * 1024 * 1024;

impl DocumentFields {
    /// Checks the fields themselves; that users and the level exist is checked against the store.
    pub fn validate(self) -> Result<ValidFields, Invalid> {
        let approvers = keys("approvers", &self.approvers)?;
        let quorum = match self.quorum {
            0 => 1,
            q => q,
        };
        if !approvers.is_empty() && quorum as usize > approvers.len() {
            return Err(Invalid::new(
                "quorum",
                format!(
                    "{quorum} approvals can never be reached with {} named approvers",
                    approvers.len()
                ),
            ));
        }
        let mut requirements = Vec::new();
        for r in &self.requirements {
            let r = required_text("requirements", r, 100)?;
            if !requirements.contains(&r) {
                requirements.push(r);
            }
        }
        let review_period_months = match self.review_period_months {
            0 => DEFAULT_REVIEW_MONTHS,
            m if m > 120 => {
                return Err(Invalid::new(
                    "review_period_months",
                    "is longer than 120 months (10 years)",
                ));
            }
            m => m,
        };
        Ok(ValidFields {
            kind: DocumentKind::parse("kind", &self.kind)?,
            title: required_text("title", &self.title, 300)?,
            owner: key("owner", &self.owner, 60)?,
            classification: key("classification", &self.classification, 60)?,
            requirements,
            reviewers: keys("reviewers", &self.reviewers)?,
            approvers,
            quorum,
            distribution: self.distribution.validate()?,
            review_period_months,
            retention: self
                .retention
                .map(|r| r.validate("retention"))
                .transpose()?,
        })
    }
}

/// Checks a version's text and change note.
pub fn validate_content(content: &str, change_note: &str) -> Result<String, Invalid> {
    if content.len() > MAX_CONTENT_BYTES {
        return Err(Invalid::new(
            "content",
            format!(
                "is {} bytes; a version's text is limited to {MAX_CONTENT_BYTES} bytes (put large material in attachments)",
                content.len()
            ),
        ));
    }
    if content.contains('\0') {
        return Err(Invalid::new("content", "contains NUL characters"));
    }
    required_text("change_note", change_note, 2000)
}

impl Document {
    pub fn new(id: String, fields: ValidFields, at: &str) -> Document {
        Document {
            id,
            kind: fields.kind,
            title: fields.title,
            owner: fields.owner,
            classification: fields.classification,
            requirements: fields.requirements,
            reviewers: fields.reviewers,
            approvers: fields.approvers,
            quorum: fields.quorum,
            distribution: fields.distribution,
            review_period_months: fields.review_period_months,
            retention: fields.retention,
            legal_hold: false,
            last_reviewed_at: String::new(),
            versions: Vec::new(),
            revision: 1,
            created_at: at.to_string(),
            updated_at: at.to_string(),
        }
    }

    /// Applies new metadata (not the versions).
    pub fn set_fields(&mut self, fields: ValidFields) {
        self.kind = fields.kind;
        self.title = fields.title;
        self.owner = fields.owner;
        self.classification = fields.classification;
        self.requirements = fields.requirements;
        self.reviewers = fields.reviewers;
        self.approvers = fields.approvers;
        self.quorum = fields.quorum;
        self.distribution = fields.distribution;
        self.review_period_months = fields.review_period_months;
        self.retention = fields.retention;
    }

    pub fn latest(&self) -> Option<&VersionState> {
        self.versions.last()
    }

    /// The current published version, if any. There is at most one.
    pub fn published(&self) -> Option<&VersionState> {
        self.versions
            .iter()
            .rev()
            .find(|v| v.status == VersionStatus::Published)
    }

    pub fn version(&self, number: u32) -> Option<&VersionState> {
        self.versions.iter().find(|v| v.number == number)
    }

    fn version_mut(&mut self, number: u32) -> Result<&mut VersionState, NotAllowed> {
        let count = self.versions.len();
        self.versions
            .iter_mut()
            .find(|v| v.number == number)
            .ok_or_else(|| NotAllowed {
                message: format!("the document has no version {number} (it has {count})"),
                allowed: vec![],
            })
    }

    /// Adds a new draft version. A draft or approved version that was never published is
    /// superseded by it; a version in review must be approved or rejected first.
    pub fn revise(
        &mut self,
        author: &str,
        at: &str,
        change_note: &str,
        content_hash: String,
        content_size: u64,
        attachments: Vec<Attachment>,
    ) -> Result<u32, NotAllowed> {
        if let Some(latest) = self.versions.last_mut() {
            match latest.status {
                VersionStatus::Draft | VersionStatus::Approved => {
                    latest.status = VersionStatus::Superseded;
                    latest.status_at = at.to_string();
                }
                VersionStatus::InReview => {
                    return Err(not_allowed(Step::Revise, latest.number, latest.status));
                }
                _ => {}
            }
        }
        let number = self.versions.last().map(|v| v.number).unwrap_or(0) + 1;
        self.versions.push(VersionState {
            number,
            author: author.to_string(),
            created_at: at.to_string(),
            change_note: change_note.to_string(),
            content_hash,
            content_size,
            attachments,
            status: VersionStatus::Draft,
            status_at: at.to_string(),
            approvals: vec![],
            rejections: vec![],
            published_at: String::new(),
            tombstone: None,
        });
        Ok(number)
    }

    fn expect(&mut self, step: Step, number: u32, from: VersionStatus) -> Result<(), NotAllowed> {
        let v = self.version_mut(number)?;
        if v.status != from {
            return Err(not_allowed(step, number, v.status));
        }
        Ok(())
    }

    fn move_to(&mut self, number: u32, to: VersionStatus, at: &str) {
        if let Ok(v) = self.version_mut(number) {
            v.status = to;
            v.status_at = at.to_string();
        }
    }

    pub fn submit(&mut self, number: u32, at: &str) -> Result<(), NotAllowed> {
        self.expect(Step::Submit, number, VersionStatus::Draft)?;
        if self.approvers.is_empty() {
            return Err(NotAllowed {
                message: "the document has no approvers: name at least one before submitting it for review".into(),
                allowed: vec!["update".into()],
            });
        }
        self.move_to(number, VersionStatus::InReview, at);
        Ok(())
    }

    /// Records an approval; returns true when it completed the quorum (the version is approved).
    pub fn approve(&mut self, number: u32, by: &str, at: &str) -> Result<bool, NotAllowed> {
        self.expect(Step::Approve, number, VersionStatus::InReview)?;
        let quorum = self.quorum as usize;
        let v = self.version_mut(number)?;
        if v.approvals.iter().any(|a| a.by == by) {
            return Err(NotAllowed {
                message: format!("{by} has already approved version {number}"),
                allowed: vec![],
            });
        }
        v.approvals.push(Approval {
            by: by.to_string(),
            at: at.to_string(),
        });
        if v.approvals.len() >= quorum {
            v.status = VersionStatus::Approved;
            v.status_at = at.to_string();
            return Ok(true);
        }
        Ok(false)
    }

    /// Sends a version in review back to draft; its approvals so far are void.
    pub fn reject(
        &mut self,
        number: u32,
        by: &str,
        at: &str,
        reason: &str,
    ) -> Result<(), NotAllowed> {
        self.expect(Step::Reject, number, VersionStatus::InReview)?;
        let v = self.version_mut(number)?;
        v.rejections.push(Rejection {
            by: by.to_string(),
            at: at.to_string(),
            reason: reason.to_string(),
        });
        v.approvals.clear();
        v.status = VersionStatus::Draft;
        v.status_at = at.to_string();
        Ok(())
    }

    /// Publishes an approved version; the version published before becomes obsolete. Returns the
    /// number of the version made obsolete.
    pub fn publish(&mut self, number: u32, at: &str) -> Result<Option<u32>, NotAllowed> {
        self.expect(Step::Publish, number, VersionStatus::Approved)?;
        let previous = self.published().map(|v| v.number);
        if let Some(p) = previous {
            self.move_to(p, VersionStatus::Obsolete, at);
        }
        self.move_to(number, VersionStatus::Published, at);
        if let Ok(v) = self.version_mut(number) {
            v.published_at = at.to_string();
        }
        Ok(previous)
    }

    /// Withdraws the published version without a successor (the document is no longer in force).
    pub fn withdraw(&mut self, at: &str) -> Result<u32, NotAllowed> {
        let Some(p) = self.published().map(|v| v.number) else {
            return Err(NotAllowed {
                message: "the document has no published version to withdraw".into(),
                allowed: vec![],
            });
        };
        self.move_to(p, VersionStatus::Obsolete, at);
        Ok(p)
    }

    pub fn archive(&mut self, number: u32, at: &str) -> Result<(), NotAllowed> {
        self.expect(Step::Archive, number, VersionStatus::Obsolete)?;
        self.move_to(number, VersionStatus::Archived, at);
        Ok(())
    }

    /// The retention that applies: the document's own, else the schedule's.
    pub fn retention_under(&self, schedule: &RetentionSchedule) -> Option<Retention> {
        self.retention.or_else(|| {
            schedule
                .resolve(self.kind, &self.classification)
                .map(|r| r.retention)
        })
    }

    /// When a version becomes due for disposal: its retention after it stopped being in force.
    /// None for versions still in force or in the workflow, and for those already disposed.
    pub fn disposal_due(&self, number: u32, retention: Retention) -> Option<String> {
        let v = self.version(number)?;
        match v.status {
            VersionStatus::Superseded | VersionStatus::Obsolete | VersionStatus::Archived => {
                times::add_months_text(&v.status_at, retention.period_months)
            }
            _ => None,
        }
    }

    /// Disposes of a version whose retention has ended at `at`. Legal hold is a policy (Cedar),
    /// checked before this; here only the state and the date are.
    pub fn dispose(
        &mut self,
        number: u32,
        retention: Retention,
        by: &str,
        at: &str,
    ) -> Result<Tombstone, NotAllowed> {
        let status = self.version_mut(number)?.status;
        if !status.next_steps().contains(&Step::Dispose) {
            return Err(not_allowed(Step::Dispose, number, status));
        }
        let due = self.disposal_due(number, retention).unwrap_or_default();
        if due.as_str() > at {
            return Err(NotAllowed {
                message: format!(
                    "version {number} is retained until {due} ({} months after it became {})",
                    retention.period_months,
                    status.as_str()
                ),
                allowed: vec![],
            });
        }
        let v = self.version_mut(number)?;
        let tombstone = Tombstone {
            by: by.to_string(),
            at: at.to_string(),
            method: retention.method,
            content_hash: v.content_hash.clone(),
            attachments: v.attachments.clone(),
        };
        if retention.method.destroys() {
            v.status = VersionStatus::Disposed;
            v.tombstone = Some(tombstone.clone());
        } else {
            v.status = VersionStatus::Archived;
        }
        v.status_at = at.to_string();
        Ok(tombstone)
    }

    /// The next review: the review period after the last review or publication, whichever is
    /// later. None while nothing is published.
    pub fn next_review_due(&self) -> Option<String> {
        let published = self.published()?;
        let from = if self.last_reviewed_at.as_str() > published.published_at.as_str() {
            &self.last_reviewed_at
        } else {
            &published.published_at
        };
        times::add_months_text(from, self.review_period_months)
    }

    pub fn review_overdue(&self, as_of: &str) -> bool {
        self.next_review_due()
            .is_some_and(|due| due.as_str() < as_of)
    }

    /// Records a review that found no change needed.
    pub fn reviewed_without_change(&mut self, at: &str) -> Result<(), NotAllowed> {
        if self.published().is_none() {
            return Err(NotAllowed {
                message: "only a published document can be reviewed; publish a version first"
                    .into(),
                allowed: vec![],
            });
        }
        self.last_reviewed_at = at.to_string();
        Ok(())
    }
}

/// Line differences between two texts, as a unified diff with counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextDiff {
    pub unified: String,
    pub added: u64,
    pub removed: u64,
}

pub fn diff(old: &str, new: &str, old_name: &str, new_name: &str) -> TextDiff {
    let d = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        // Keeps pathological inputs (huge texts with no common lines) from running away.
        .timeout(std::time::Duration::from_secs(5))
        .diff_lines(old, new);
    let (mut added, mut removed) = (0u64, 0u64);
    for change in d.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let unified = d
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string();
    TextDiff {
        unified,
        added,
        removed,
    }
}

/// A document key: the same rules as other keys (`information-security-policy`), or a generated id.
pub fn document_id(value: &str) -> Result<String, Invalid> {
    key("id", value, 80)
}

pub fn validate_reason(field: &str, reason: &str) -> Result<String, Invalid> {
    required_text(field, reason, 2000)
}

pub fn optional_note(field: &str, note: &str) -> Result<String, Invalid> {
    optional_text(field, note, 2000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_distribution_reaches_active_people_by_name_role_department_or_title() {
        let person =
            |id: &str, role: &str, department: &str, title: &str, active: bool| crate::user::User {
                id: id.into(),
                display_name: id.into(),
                email: String::new(),
                roles: vec![role.into()],
                department: department.into(),
                job_title: title.into(),
                clearance: String::new(),
                active,
                revision: 1,
                created_at: String::new(),
                updated_at: String::new(),
            };
        let d = Distribution {
            roles: vec!["auditor".into()],
            departments: vec!["Sales".into()],
            job_titles: vec!["CTO".into()],
            users: vec!["omar".into()],
        };
        assert!(d.reaches(&person("dana", "auditor", "Compliance", "", true)));
        assert!(d.reaches(&person("chloe", "employee", "Sales", "", true)));
        assert!(d.reaches(&person("raj", "employee", "Management", "CTO", true)));
        assert!(d.reaches(&person("omar", "employee", "Legal", "", true)));
        assert!(!d.reaches(&person("tom", "employee", "Engineering", "", true)));
        assert!(!d.reaches(&person("ex", "employee", "Sales", "", false)));
    }

    fn doc(approvers: &[&str], quorum: u32) -> Document {
        let fields = DocumentFields {
            kind: "policy".into(),
            title: "Information security policy".into(),
            owner: "maria".into(),
            classification: "internal".into(),
            approvers: approvers.iter().map(|s| s.to_string()).collect(),
            quorum,
            ..Default::default()
        }
        .validate()
        .unwrap();
        Document::new("isp".into(), fields, "2026-01-01T00:00:00.000000Z")
    }

    fn revise(d: &mut Document, at: &str) -> u32 {
        d.revise("bob", at, "change", "h".into(), 1, vec![])
            .unwrap()
    }

    #[test]
    fn the_full_workflow() {
        let mut d = doc(&["ann", "carl"], 2);
        let v1 = revise(&mut d, "2026-01-02T00:00:00.000000Z");
        assert_eq!(v1, 1);
        d.submit(1, "t").unwrap();
        d.reject(1, "ann", "t", "section 3 is wrong").unwrap();
        assert_eq!(d.version(1).unwrap().status, VersionStatus::Draft);
        let v2 = revise(&mut d, "t");
        assert_eq!(d.version(1).unwrap().status, VersionStatus::Superseded);
        d.submit(v2, "t").unwrap();
        assert!(!d.approve(v2, "ann", "t").unwrap());
        assert!(
            d.approve(v2, "ann", "t").is_err(),
            "one approval per person"
        );
        assert!(d.approve(v2, "carl", "t").unwrap());
        assert_eq!(d.publish(v2, "2026-02-01T00:00:00.000000Z").unwrap(), None);
        assert_eq!(d.published().unwrap().number, 2);
        let v3 = revise(&mut d, "t");
        assert_eq!(
            d.published().unwrap().number,
            2,
            "published stays in force while v3 is drafted"
        );
        d.submit(v3, "t").unwrap();
        d.approve(v3, "ann", "t").unwrap();
        d.approve(v3, "carl", "t").unwrap();
        assert_eq!(
            d.publish(v3, "2026-03-01T00:00:00.000000Z").unwrap(),
            Some(2)
        );
        assert_eq!(d.version(2).unwrap().status, VersionStatus::Obsolete);
        assert_eq!(
            d.versions
                .iter()
                .filter(|v| v.status == VersionStatus::Published)
                .count(),
            1
        );
    }

    #[test]
    fn illegal_steps_name_the_allowed_ones() {
        let mut d = doc(&["ann"], 1);
        revise(&mut d, "t");
        let e = d.publish(1, "t").unwrap_err();
        assert_eq!(e.allowed, vec!["revise", "submit"]);
        assert!(e.message.contains("it is draft"), "{e}");
        d.submit(1, "t").unwrap();
        let e = d
            .revise("bob", "t", "x", "h".into(), 1, vec![])
            .unwrap_err();
        assert_eq!(e.allowed, vec!["approve", "reject"]);
        assert!(d.archive(1, "t").is_err());
    }

    #[test]
    fn quorum_cannot_exceed_approvers() {
        let e = DocumentFields {
            kind: "policy".into(),
            title: "t".into(),
            owner: "o".into(),
            classification: "internal".into(),
            approvers: vec!["a".into()],
            quorum: 2,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.field, "quorum");
    }

    #[test]
    fn retention_runs_from_obsolescence_and_disposal_leaves_a_tombstone() {
        let mut d = doc(&["ann"], 1);
        for (n, at) in [(1, "2026-01-01"), (2, "2026-06-01")] {
            let at = times::normalise("t", at).unwrap();
            revise(&mut d, &at);
            d.submit(n, &at).unwrap();
            d.approve(n, "ann", &at).unwrap();
            d.publish(n, &at).unwrap();
        }
        let schedule = RetentionSchedule::default();
        let r = d.retention_under(&schedule).unwrap();
        assert_eq!(r.period_months, 36);
        assert_eq!(d.disposal_due(1, r).unwrap(), "2029-06-01T00:00:00.000000Z");
        assert_eq!(d.disposal_due(2, r), None, "in force");
        let e = d
            .dispose(1, r, "maria", "2029-05-31T00:00:00.000000Z")
            .unwrap_err();
        assert!(e.message.contains("retained until 2029-06-01"), "{e}");
        let t = d
            .dispose(1, r, "maria", "2029-06-02T00:00:00.000000Z")
            .unwrap();
        assert_eq!(t.content_hash, "h");
        assert_eq!(d.version(1).unwrap().status, VersionStatus::Disposed);
        assert!(
            d.dispose(1, r, "maria", "2030-01-01T00:00:00.000000Z")
                .is_err()
        );
    }

    #[test]
    fn schedule_picks_the_most_specific_rule() {
        let mut s = RetentionSchedule::default();
        s.rules.insert(
            0,
            RetentionRule {
                kind: String::new(),
                level: "confidential".into(),
                retention: Retention {
                    period_months: 120,
                    method: DispositionMethod::Shred,
                },
            },
        );
        let s = s
            .validate(&["internal".into(), "confidential".into()])
            .unwrap();
        assert_eq!(
            s.resolve(DocumentKind::Record, "confidential")
                .unwrap()
                .retention
                .period_months,
            72
        );
        assert_eq!(
            s.resolve(DocumentKind::Policy, "confidential")
                .unwrap()
                .retention
                .method,
            DispositionMethod::Shred
        );
        assert_eq!(
            s.resolve(DocumentKind::Policy, "internal")
                .unwrap()
                .retention
                .period_months,
            36
        );
        let no_default = RetentionSchedule {
            rules: vec![s.rules[0].clone()],
        };
        assert!(no_default.validate(&["confidential".into()]).is_err());
    }

    #[test]
    fn review_is_due_a_period_after_publication_or_the_last_review() {
        let mut d = doc(&["ann"], 1);
        let at = "2026-01-15T00:00:00.000000Z";
        revise(&mut d, at);
        assert_eq!(d.next_review_due(), None);
        d.submit(1, at).unwrap();
        d.approve(1, "ann", at).unwrap();
        d.publish(1, at).unwrap();
        assert_eq!(d.next_review_due().unwrap(), "2027-01-15T00:00:00.000000Z");
        assert!(d.review_overdue("2027-01-16T00:00:00.000000Z"));
        d.reviewed_without_change("2027-01-20T00:00:00.000000Z")
            .unwrap();
        assert_eq!(d.next_review_due().unwrap(), "2028-01-20T00:00:00.000000Z");
        assert!(!d.review_overdue("2027-06-01T00:00:00.000000Z"));
    }

    #[test]
    fn diff_counts_lines() {
        let d = diff("a\nb\nc\n", "a\nB\nc\nd\n", "v1", "v2");
        assert_eq!((d.added, d.removed), (2, 1));
        assert!(d.unified.contains("-b\n+B\n"), "{}", d.unified);
    }
}
