//! `rampart document …`: document control from the command line. Steps that need the
//! document's revision read it first, so people never type revisions; a concurrent change still
//! fails as ABORTED rather than being overwritten.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, bail};
use rampart_proto::v1 as pb;
use serde::Deserialize;

use crate::cli::{DocumentCmd, DocumentMeta};
use crate::client::{Client, explain};
use crate::output::{json, print_json, record, table};

/// Bytes per upload message.
const UPLOAD_PIECE: usize = 256 * 1024;

async fn fetch(client: &Client, id: &str, version: u32) -> anyhow::Result<pb::DocumentVersionText> {
    Ok(client
        .documents()
        .get_document(client.req(pb::GetDocumentRequest {
            id: id.into(),
            version,
        }))
        .await
        .map_err(explain)?
        .into_inner())
}

async fn current(client: &Client, id: &str) -> anyhow::Result<pb::Document> {
    fetch(client, id, 0)
        .await?
        .document
        .context("the server sent no document")
}

fn retention(spec: &str) -> anyhow::Result<pb::Retention> {
    let (months, method) = spec
        .split_once(':')
        .with_context(|| format!("--retention {spec:?}: write MONTHS:METHOD, e.g. 72:shred"))?;
    Ok(pb::Retention {
        period_months: months
            .trim()
            .parse()
            .with_context(|| format!("--retention: {months:?} is not a number of months"))?,
        method: method.trim().to_string(),
    })
}

/// Metadata from flags over a starting point (the document's current values, or empty).
fn fields(meta: DocumentMeta, base: pb::DocumentFields) -> anyhow::Result<pb::DocumentFields> {
    let mut d = base.distribution.clone().unwrap_or_default();
    if let Some(v) = meta.to_roles {
        d.roles = v;
    }
    if let Some(v) = meta.to_departments {
        d.departments = v;
    }
    if let Some(v) = meta.to_job_titles {
        d.job_titles = v;
    }
    if let Some(v) = meta.to_users {
        d.users = v;
    }
    Ok(pb::DocumentFields {
        kind: meta.kind.unwrap_or(base.kind),
        title: meta.title.unwrap_or(base.title),
        owner: meta.owner.unwrap_or(base.owner),
        classification: meta.classification.unwrap_or(base.classification),
        requirements: meta.requirements.unwrap_or(base.requirements),
        reviewers: meta.reviewers.unwrap_or(base.reviewers),
        approvers: meta.approvers.unwrap_or(base.approvers),
        quorum: meta.quorum.unwrap_or(base.quorum),
        distribution: Some(d),
        review_period_months: meta.review_months.unwrap_or(base.review_period_months),
        retention: match meta.retention {
            Some(s) if s == "schedule" => None,
            Some(s) => Some(retention(&s)?),
            None => base.retention,
        },
    })
}

fn fields_of(d: &pb::Document) -> pb::DocumentFields {
    pb::DocumentFields {
        kind: d.kind.clone(),
        title: d.title.clone(),
        owner: d.owner.clone(),
        classification: d.classification.clone(),
        requirements: d.requirements.clone(),
        reviewers: d.reviewers.clone(),
        approvers: d.approvers.clone(),
        quorum: d.quorum,
        distribution: d.distribution.clone(),
        review_period_months: d.review_period_months,
        retention: d.retention.clone(),
    }
}

fn status_of(d: &pb::Document) -> String {
    match d.versions.iter().find(|v| v.number == d.latest_version) {
        Some(v) if d.published_version > 0 && v.number != d.published_version => {
            format!(
                "v{} published, v{} {}",
                d.published_version, v.number, v.status
            )
        }
        Some(v) => format!("v{} {}", v.number, v.status),
        None => "-".into(),
    }
}

fn show(d: &pb::Document, as_json: bool) {
    if as_json {
        return print_json(d);
    }
    let dist = d.distribution.clone().unwrap_or_default();
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".into()
        } else {
            v.join(", ")
        }
    };
    record(&[
        ("id", d.id.clone()),
        ("title", d.title.clone()),
        ("kind", d.kind.clone()),
        ("owner", d.owner.clone()),
        ("classification", d.classification.clone()),
        ("status", status_of(d)),
        ("requirements", list(&d.requirements)),
        ("reviewers", list(&d.reviewers)),
        (
            "approvers",
            format!("{} (quorum {})", list(&d.approvers), d.quorum),
        ),
        (
            "distribution",
            format!(
                "roles {}; departments {}; job titles {}; users {}",
                list(&dist.roles),
                list(&dist.departments),
                list(&dist.job_titles),
                list(&dist.users)
            ),
        ),
        (
            "review",
            format!(
                "every {} months; next due {}",
                d.review_period_months,
                if d.next_review_due.is_empty() {
                    "- (not published)".to_string()
                } else {
                    d.next_review_due[..10].to_string()
                }
            ),
        ),
        (
            "retention",
            d.effective_retention
                .as_ref()
                .map(|r| {
                    format!(
                        "{} months, then {}{}",
                        r.period_months,
                        r.method,
                        if d.retention.is_some() { " (own)" } else { "" }
                    )
                })
                .unwrap_or_else(|| "-".into()),
        ),
        ("legal hold", if d.legal_hold { "yes" } else { "no" }.into()),
        ("revision", d.revision.to_string()),
    ]);
    println!();
    table(
        &[
            "version",
            "status",
            "author",
            "created",
            "note",
            "approvals",
            "attachments",
            "disposal due",
        ],
        d.versions
            .iter()
            .map(|v| {
                vec![
                    v.number.to_string(),
                    v.status.clone(),
                    v.author.clone(),
                    v.created_at.chars().take(10).collect(),
                    v.change_note.clone(),
                    v.approvals
                        .iter()
                        .map(|a| a.by.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                    v.attachments
                        .iter()
                        .map(|a| format!("{} ({} B, id {})", a.name, a.size, a.id))
                        .collect::<Vec<_>>()
                        .join("; "),
                    v.disposal_due.chars().take(10).collect(),
                ]
            })
            .collect(),
    );
}

fn list_rows(docs: &[pb::Document]) -> Vec<Vec<String>> {
    docs.iter()
        .map(|d| {
            vec![
                d.id.clone(),
                d.title.clone(),
                d.kind.clone(),
                d.owner.clone(),
                d.classification.clone(),
                status_of(d),
                d.next_review_due.chars().take(10).collect(),
            ]
        })
        .collect()
}

const LIST_HEADERS: [&str; 7] = [
    "id",
    "title",
    "kind",
    "owner",
    "level",
    "status",
    "review due",
];

/// One line of a retention schedule file.
#[derive(Debug, Deserialize)]
struct RuleFile {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    level: String,
    months: u32,
    method: String,
}

#[derive(Debug, Deserialize)]
struct ScheduleFile {
    rules: Vec<RuleFile>,
}

pub(crate) fn progress(done: u64, total: u64) {
    if std::io::stderr().is_terminal() {
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        eprint!("\r{} / {} bytes ({pct}%)", done, total);
        let _ = std::io::stderr().flush();
    }
}

/// The workflow steps that take only a version.
enum Verb {
    Submit,
    Approve,
    Publish,
    Withdraw,
    Archive,
}

/// Takes a step at the document's current revision (read first, so people never type it).
async fn take_step(
    client: &Client,
    verb: Verb,
    id: &str,
    version: u32,
) -> anyhow::Result<pb::Document> {
    let d = current(client, id).await?;
    let req = client.req(pb::DocumentStepRequest {
        id: id.into(),
        version,
        expected_revision: d.revision,
    });
    let mut svc = client.documents();
    let r = match verb {
        Verb::Submit => svc.submit_document(req).await,
        Verb::Approve => svc.approve_document(req).await,
        Verb::Publish => svc.publish_document(req).await,
        Verb::Withdraw => svc.withdraw_document(req).await,
        Verb::Archive => svc.archive_document(req).await,
    };
    Ok(r.map_err(explain)?.into_inner())
}

pub async fn run(client: &Client, cmd: DocumentCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.documents();
    let step = |id: &str, version: u32, revision: u64| pb::DocumentStepRequest {
        id: id.into(),
        version,
        expected_revision: revision,
    };
    let done = |d: pb::Document, what: &str| {
        if as_json {
            print_json(&d);
        } else {
            println!("{what}: {} ({})", d.id, status_of(&d));
        }
    };
    match cmd {
        DocumentCmd::List { owner, kind } => {
            let mut all = Vec::new();
            let mut token = String::new();
            loop {
                let r = svc
                    .list_documents(client.req(pb::ListDocumentsRequest {
                        owner: owner.clone(),
                        kind: kind.clone(),
                        page_size: 0,
                        page_token: token,
                    }))
                    .await
                    .map_err(explain)?
                    .into_inner();
                all.extend(r.documents);
                if r.next_page_token.is_empty() {
                    break;
                }
                token = r.next_page_token;
            }
            if as_json {
                return json(&all);
            }
            table(&LIST_HEADERS, list_rows(&all));
        }
        DocumentCmd::Get { id, version, text } => {
            let r = fetch(client, &id, version).await?;
            if as_json {
                return json(&r);
            }
            if text {
                print!("{}", r.content);
                return Ok(());
            }
            if let Some(d) = &r.document {
                show(d, false);
            }
            println!("\n--- version {} ---", r.version);
            if r.destroyed {
                println!("(disposed of: only the tombstone remains)");
            } else {
                println!("{}", r.content);
            }
        }
        DocumentCmd::Create {
            id,
            meta,
            file,
            template,
            note,
        } => {
            let content = match (file, &template) {
                (Some(f), _) => std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?,
                (None, Some(t)) => {
                    svc.get_document_template(
                        client.req(pb::GetDocumentTemplateRequest { id: t.clone() }),
                    )
                    .await
                    .map_err(explain)?
                    .into_inner()
                    .content
                }
                (None, None) => {
                    bail!("give the text with --file FILE, or start from --template ID")
                }
            };
            let note = if note.is_empty() && template.is_some() {
                format!(
                    "First draft from the {} template",
                    template.unwrap_or_default()
                )
            } else {
                note
            };
            let d = svc
                .create_document(client.req(pb::CreateDocumentRequest {
                    id,
                    fields: Some(fields(meta, pb::DocumentFields::default())?),
                    content,
                    change_note: note,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            done(d, "created");
        }
        DocumentCmd::Update { id, meta } => {
            let d = current(client, &id).await?;
            let d = svc
                .update_document(client.req(pb::UpdateDocumentRequest {
                    id,
                    expected_revision: d.revision,
                    fields: Some(fields(meta, fields_of(&d))?),
                }))
                .await
                .map_err(explain)?
                .into_inner();
            done(d, "updated");
        }
        DocumentCmd::Revise { id, file, note } => {
            let content = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let d = current(client, &id).await?;
            let d = svc
                .revise_document(client.req(pb::ReviseDocumentRequest {
                    id,
                    expected_revision: d.revision,
                    content,
                    change_note: note,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            done(d, "revised");
        }
        DocumentCmd::Submit { id, version } => {
            done(
                take_step(client, Verb::Submit, &id, version).await?,
                "submitted",
            );
        }
        DocumentCmd::Approve { id, version } => {
            done(
                take_step(client, Verb::Approve, &id, version).await?,
                "approved",
            );
        }
        DocumentCmd::Reject {
            id,
            version,
            reason,
        } => {
            let d = current(client, &id).await?;
            let d = svc
                .reject_document(client.req(pb::RejectDocumentRequest {
                    id,
                    version,
                    expected_revision: d.revision,
                    reason,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            done(d, "rejected");
        }
        DocumentCmd::Publish { id, version } => {
            done(
                take_step(client, Verb::Publish, &id, version).await?,
                "published",
            );
        }
        DocumentCmd::Withdraw { id } => {
            done(
                take_step(client, Verb::Withdraw, &id, 0).await?,
                "withdrawn",
            );
        }
        DocumentCmd::Archive { id, version } => {
            done(
                take_step(client, Verb::Archive, &id, version).await?,
                "archived",
            );
        }
        DocumentCmd::Reviewed { id, note } => {
            let d = current(client, &id).await?;
            let d = svc
                .review_document(client.req(pb::ReviewDocumentRequest {
                    id,
                    expected_revision: d.revision,
                    note,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&d);
            }
            println!(
                "reviewed without change: {}; next review due {}",
                d.id,
                &d.next_review_due[..10]
            );
        }
        DocumentCmd::Ack { id } => {
            let a = svc
                .acknowledge_document(client.req(pb::AcknowledgeDocumentRequest { id }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&a);
            }
            println!(
                "{} acknowledged version {} of {} at {}",
                a.user, a.version, a.document, a.at
            );
        }
        DocumentCmd::Acks { id } => {
            let r = svc
                .list_acknowledgements(client.req(pb::ListAcknowledgementsRequest { id }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["user", "version", "at"],
                r.acknowledgements
                    .iter()
                    .map(|a| vec![a.user.clone(), a.version.to_string(), a.at.clone()])
                    .collect(),
            );
        }
        DocumentCmd::Diff { id, from, to } => {
            let r = svc
                .diff_versions(client.req(pb::DiffVersionsRequest { id, from, to }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            print!("{}", r.unified);
            eprintln!("{} lines added, {} removed", r.lines_added, r.lines_removed);
        }
        DocumentCmd::ReviewsDue { as_of } => {
            let r = svc
                .list_reviews_due(client.req(pb::ListReviewsDueRequest { as_of }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            if r.documents.is_empty() {
                println!("no review is overdue");
            } else {
                table(&LIST_HEADERS, list_rows(&r.documents));
            }
        }
        DocumentCmd::Hold {
            id,
            reason,
            release,
        } => {
            let d = current(client, &id).await?;
            let d = svc
                .set_legal_hold(client.req(pb::SetLegalHoldRequest {
                    id,
                    expected_revision: d.revision,
                    hold: !release,
                    reason,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            done(
                d,
                if release {
                    "hold released"
                } else {
                    "on legal hold"
                },
            );
        }
        DocumentCmd::Dispose { id, version } => {
            let d = current(client, &id).await?;
            let r = svc
                .dispose_version(client.req(step(&id, version, d.revision)))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            let t = r.tombstone.unwrap_or_default();
            println!(
                "disposed of version {version} of {id} ({}); tombstone: content SHA-256 {}, {} attachment(s), by {} at {}",
                t.method,
                t.content_hash,
                t.attachments.len(),
                t.by,
                t.at
            );
        }
        DocumentCmd::Disposals { execute } => {
            let r = svc
                .run_disposals(client.req(pb::RunDisposalsRequest { execute }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            if r.disposals.is_empty() {
                println!("no disposal is due");
                return Ok(());
            }
            table(
                &["document", "title", "version", "due", "method", "outcome"],
                r.disposals
                    .iter()
                    .map(|x| {
                        vec![
                            x.document.clone(),
                            x.title.clone(),
                            x.version.to_string(),
                            x.due.chars().take(10).collect(),
                            x.method.clone(),
                            x.outcome.clone(),
                        ]
                    })
                    .collect(),
            );
            if !execute {
                println!("dry run: nothing was destroyed; run with --execute to dispose of these");
            }
        }
        DocumentCmd::Retention { file } => {
            let s = match file {
                None => svc
                    .get_retention_schedule(client.req(pb::GetRetentionScheduleRequest {}))
                    .await
                    .map_err(explain)?
                    .into_inner(),
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    let parsed: ScheduleFile = toml::from_str(&text).with_context(|| {
                        format!("{} is not a retention schedule", path.display())
                    })?;
                    let now = svc
                        .get_retention_schedule(client.req(pb::GetRetentionScheduleRequest {}))
                        .await
                        .map_err(explain)?
                        .into_inner();
                    svc.update_retention_schedule(
                        client.req(pb::UpdateRetentionScheduleRequest {
                            expected_revision: now.revision,
                            rules: parsed
                                .rules
                                .into_iter()
                                .map(|r| pb::RetentionRule {
                                    kind: r.kind,
                                    level: r.level,
                                    retention: Some(pb::Retention {
                                        period_months: r.months,
                                        method: r.method,
                                    }),
                                })
                                .collect(),
                        }),
                    )
                    .await
                    .map_err(explain)?
                    .into_inner()
                }
            };
            if as_json {
                return json(&s);
            }
            let any = |s: &str| {
                if s.is_empty() {
                    "any".to_string()
                } else {
                    s.to_string()
                }
            };
            table(
                &["kind", "level", "months", "then"],
                s.rules
                    .iter()
                    .map(|r| {
                        let ret = r.retention.clone().unwrap_or_default();
                        vec![
                            any(&r.kind),
                            any(&r.level),
                            ret.period_months.to_string(),
                            ret.method,
                        ]
                    })
                    .collect(),
            );
            if s.revision == 0 {
                println!("(the built-in default schedule; replace it with --file)");
            }
        }
        DocumentCmd::Attach {
            id,
            file,
            content_type,
            note,
        } => {
            let d = attach(client, &id, &file, &content_type, &note).await?;
            done(d, "attached");
        }
        DocumentCmd::Download {
            id,
            attachment,
            version,
            out,
        } => {
            let mut stream = svc
                .download_attachment(client.req(pb::DownloadAttachmentRequest {
                    document_id: id,
                    version,
                    attachment_id: attachment,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            let mut f = std::fs::File::create(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let mut total = 0u64;
            let mut size = 0u64;
            while let Some(part) = stream.message().await.map_err(explain)? {
                if let Some(info) = &part.info {
                    size = info.size;
                }
                f.write_all(&part.data)?;
                total += part.data.len() as u64;
                progress(total, size);
            }
            eprintln!();
            println!("wrote {total} bytes to {}", out.display());
        }
        DocumentCmd::Transfer {
            id,
            version,
            recipient,
            note,
            handling,
        } => {
            let t = svc
                .transfer_document(client.req(pb::TransferDocumentRequest {
                    id,
                    version,
                    handling: crate::policies::handling(handling),
                    recipient,
                    note,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&t);
            }
            println!(
                "recorded: version {} of {} to {} by {} ({}, {}{}{})",
                t.version,
                t.document,
                t.recipient,
                t.channel,
                t.medium,
                if t.encrypted {
                    "encrypted"
                } else {
                    "not encrypted"
                },
                if t.return_receipt {
                    ", return receipt"
                } else {
                    ""
                },
                if t.note.is_empty() {
                    String::new()
                } else {
                    format!("; {}", t.note)
                }
            );
        }
        DocumentCmd::Export {
            id,
            version,
            format,
            out,
            handling,
        } => {
            let mut stream = svc
                .export_document(client.req(pb::ExportDocumentRequest {
                    id,
                    version,
                    format,
                    handling: crate::policies::handling(handling),
                }))
                .await
                .map_err(explain)?
                .into_inner();
            let mut bytes = Vec::new();
            let mut marking = String::new();
            while let Some(part) = stream.message().await.map_err(explain)? {
                if !part.marking.is_empty() {
                    marking = part.marking;
                }
                bytes.extend(part.data);
            }
            std::fs::write(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "wrote {} ({} bytes), marked {marking:?}",
                out.display(),
                bytes.len()
            );
        }
        DocumentCmd::Verify => {
            let v = svc
                .verify_documents(client.req(pb::VerifyDocumentsRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&v);
            }
            record(&[
                ("versions", v.versions.to_string()),
                ("disposed of", v.destroyed_versions.to_string()),
                (
                    "attachments",
                    format!("{} ({} bytes)", v.attachments, v.attachment_bytes),
                ),
                ("orphan chunks", v.orphan_chunks.to_string()),
            ]);
            if v.problems.is_empty() {
                println!("every stored hash matches");
            } else {
                for p in &v.problems {
                    println!("PROBLEM: {p}");
                }
                bail!(
                    "{} stored document(s) do not match their hashes",
                    v.problems.len()
                );
            }
        }
        DocumentCmd::Advise {
            title,
            requirement,
            risk,
            compliance,
            auditors_expect_detail,
            employees,
            importance,
            people,
            complexity,
            maturity,
            frequency,
        } => {
            let a = svc
                .advise_document(client.req(pb::AdviseDocumentRequest {
                    title,
                    requirement,
                    risk,
                    required_by_compliance: compliance,
                    auditors_expect_detail,
                    employees,
                    importance,
                    people_involved: people,
                    complexity,
                    maturity,
                    frequency,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&a);
            }
            println!("recommendation: {} (score {})", a.recommendation, a.score);
            let rows = |r: &[pb::AdviceReason]| {
                r.iter()
                    .map(|r| {
                        vec![
                            r.criterion.clone(),
                            format!("{:+}", r.points),
                            r.why.clone(),
                        ]
                    })
                    .collect()
            };
            table(&["criterion", "points", "why"], rows(&a.reasons));
            println!("level of detail: {} (score {})", a.detail, a.detail_score);
            table(&["criterion", "points", "why"], rows(&a.detail_reasons));
        }
        DocumentCmd::Templates => {
            let r = svc
                .list_document_templates(client.req(pb::ListDocumentTemplatesRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&r);
            }
            table(
                &["id", "title", "kind", "requirement"],
                r.templates
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.clone(),
                            t.title.clone(),
                            t.kind.clone(),
                            t.requirement.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        DocumentCmd::Template { id } => {
            let t = svc
                .get_document_template(client.req(pb::GetDocumentTemplateRequest { id }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&t);
            }
            print!("{}", t.content);
        }
    }
    Ok(())
}

/// Streams FILE to the server in pieces, never reading it whole, with progress on a terminal.
pub async fn attach(
    client: &Client,
    id: &str,
    file: &Path,
    content_type: &str,
    note: &str,
) -> anyhow::Result<pb::Document> {
    let d = current(client, id).await?;
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "attachment".into());
    let header = pb::UploadAttachmentRequest {
        part: Some(pb::upload_attachment_request::Part::Header(
            pb::AttachmentHeader {
                document_id: id.into(),
                expected_revision: d.revision,
                name,
                content_type: content_type.into(),
                size,
                change_note: note.into(),
            },
        )),
    };
    let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(header).await.ok();
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut f = f;
        let mut sent = 0u64;
        loop {
            let mut buf = vec![0u8; UPLOAD_PIECE];
            let n = match f.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            buf.truncate(n);
            sent += n as u64;
            progress(sent, size);
            let msg = pb::UploadAttachmentRequest {
                part: Some(pb::upload_attachment_request::Part::Chunk(buf)),
            };
            if tx.blocking_send(msg).is_err() {
                break;
            }
        }
    });
    let d = client
        .documents()
        .upload_attachment(client.req(tokio_stream::wrappers::ReceiverStream::new(rx)))
        .await
        .map_err(explain)?
        .into_inner();
    eprintln!();
    Ok(d)
}
