//! Exporting a version with the organisation's classification marking (step 3 of the
//! classification process, labeling): Markdown with the marking above and below the text, or a
//! PDF with the marking at the top and bottom of every page.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use rampart_domain::Invalid;
use rampart_domain::classification::{ClassificationScheme, LabelContext};
use rampart_store::classification::get_scheme;
use rampart_store::organisations;

use crate::{Caller, Engine, EngineError};

/// An exported version.
#[derive(Debug, Clone)]
pub struct Export {
    pub file_name: String,
    pub content_type: String,
    pub marking: String,
    pub bytes: Vec<u8>,
}

/// Documents are labeled with the scheme's rule for electronic documents (or its `*` rule).
const LABELED_AS: &str = "electronic-document";

impl Engine {
    pub async fn export_document(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        version: u32,
        format: &str,
        handling: Option<&crate::Handling>,
    ) -> Result<Export, EngineError> {
        if let Some(h) = handling {
            h.validate().map_err(|m| Invalid::new("handling", m))?;
        }
        let pdf = match format.trim() {
            "" | "markdown" | "md" => false,
            "pdf" => true,
            other => {
                return Err(Invalid::new(
                    "format",
                    format!("'{other}' is not an export format (markdown, pdf)"),
                )
                .into());
            }
        };
        // Export is its own permission: reading a document is not the right to take it out.
        let (read, org_key, scheme) = self
            .version_to_move(caller, org, id, version, "document.export", handling)
            .await?;
        let doc = &read.view.document;
        let v = doc
            .version(read.number)
            .ok_or_else(|| EngineError::NotFound(format!("version {} of {id}", read.number)))?;
        let text = read.text.ok_or_else(|| {
            EngineError::FailedPrecondition(format!(
                "version {} of document {} was disposed of; only its tombstone remains",
                read.number, doc.id
            ))
        })?;
        let org_name = organisations::get(self.store.system(), &org_key)
            .await?
            .map(|o| o.name)
            .unwrap_or(org_key.clone());
        let marking = scheme
            .as_ref()
            .and_then(|s| {
                s.label_for(
                    LABELED_AS,
                    &doc.classification,
                    &LabelContext {
                        organisation: &org_name,
                        asset: &doc.title,
                        owner: &doc.owner,
                    },
                )
            })
            .map(|l| l.text)
            .unwrap_or_else(|| {
                let name = scheme
                    .as_ref()
                    .and_then(|s| s.level(&doc.classification))
                    .map(|l| l.name.clone())
                    .unwrap_or(doc.classification.clone());
                name.to_uppercase()
            });
        let status = v.status.as_str();
        let approved: Vec<&str> = v.approvals.iter().map(|a| a.by.as_str()).collect();
        let header = format!(
            "{title}\nDocument {id}, version {n} ({status}{published}); owner {owner}; approved by {approved}; content SHA-256 {hash}",
            title = doc.title,
            id = doc.id,
            n = v.number,
            published = if v.published_at.is_empty() {
                String::new()
            } else {
                format!(", published {}", &v.published_at[..10])
            },
            owner = doc.owner,
            approved = if approved.is_empty() {
                "nobody yet".to_string()
            } else {
                approved.join(", ")
            },
            hash = v.content_hash,
        );
        let base = format!("{}-v{}", doc.id, v.number);
        if pdf {
            let bytes = tokio::task::spawn_blocking({
                let marking = marking.clone();
                move || render_pdf(&marking, &header, &text)
            })
            .await
            .map_err(|e| EngineError::Internal(format!("pdf: {e}")))?;
            Ok(Export {
                file_name: format!("{base}.pdf"),
                content_type: "application/pdf".into(),
                marking,
                bytes,
            })
        } else {
            let (title_line, meta) = header.split_once('\n').unwrap_or((&header, ""));
            let md = format!(
                "**{marking}**\n\n_{title_line}. {meta}_\n\n---\n\n{text}\n\n---\n\n**{marking}**\n"
            );
            Ok(Export {
                file_name: format!("{base}.md"),
                content_type: "text/markdown; charset=utf-8".into(),
                marking,
                bytes: md.into_bytes(),
            })
        }
    }
}

/// Text in the PDF's built-in Helvetica (WinAnsi): Latin-1 characters as they are, common
/// punctuation mapped, anything else as '?'.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '—' => 0x97,
            '–' => 0x96,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '…' => 0x85,
            '€' => 0x80,
            c if (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// Wraps a line at `width` characters on spaces (Helvetica at 10 pt: about 95 per A4 line).
fn wrap(line: &str, width: usize) -> Vec<String> {
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        while current.chars().count() > width {
            let cut: String = current.chars().take(width).collect();
            current = current.chars().skip(width).collect();
            out.push(cut);
        }
    }
    out.push(current);
    out
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const LEADING: f32 = 13.0;
const LINES_PER_PAGE: usize = ((PAGE_H - 2.0 * MARGIN - 40.0) / LEADING) as usize;

pub(crate) fn render_pdf(marking: &str, header: &str, text: &str) -> Vec<u8> {
    let mut lines: Vec<(bool, String)> = Vec::new();
    for (i, l) in header.lines().enumerate() {
        for w in wrap(l, 95) {
            lines.push((i == 0, w));
        }
    }
    lines.push((false, String::new()));
    for l in text.lines() {
        let heading = l.starts_with('#');
        let l = l.trim_start_matches('#').trim_start();
        for w in wrap(l, if heading { 80 } else { 95 }) {
            lines.push((heading, w));
        }
    }
    let pages: Vec<&[(bool, String)]> = lines.chunks(LINES_PER_PAGE.max(1)).collect();
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(5 + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let marking_bytes = win_ansi(marking);
    let marking_x = (PAGE_W - marking.chars().count() as f32 * 6.0).max(MARGIN) / 2.0;
    for (i, chunk) in pages.iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_id);
        {
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            fonts.pair(Name(b"F1"), regular);
            fonts.pair(Name(b"F2"), bold);
        }
        page.finish();
        let mut c = Content::new();
        // The marking, top and bottom of every page.
        for y in [PAGE_H - 30.0, 22.0] {
            c.begin_text();
            c.set_font(Name(b"F2"), 10.0);
            c.next_line(marking_x, y);
            c.show(Str(&marking_bytes));
            c.end_text();
        }
        c.begin_text();
        c.set_leading(LEADING);
        c.next_line(MARGIN, PAGE_H - MARGIN - 20.0);
        for (heading, line) in chunk.iter() {
            c.set_font(Name(if *heading { b"F2" } else { b"F1" }), 10.0);
            c.show(Str(&win_ansi(line)));
            c.next_line_using_leading();
        }
        c.end_text();
        let footer = format!("Page {} of {}", i + 1, pages.len());
        c.begin_text();
        c.set_font(Name(b"F1"), 8.0);
        c.next_line(PAGE_W - MARGIN - 50.0, 22.0);
        c.show(Str(footer.as_bytes()));
        c.end_text();
        let data = c.finish();
        pdf.stream(content_id, &data);
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_carries_the_marking_on_every_page() {
        let text: String = (0..200)
            .map(|i| format!("Line {i} of the policy\n"))
            .collect();
        let bytes = render_pdf("CONFIDENTIAL — Acme", "Title\nmeta", &text);
        assert!(bytes.starts_with(b"%PDF-"));
        let count = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
        let pages = count(b"/Type /Page") - count(b"/Type /Pages");
        assert!(pages >= 2, "{pages} pages");
        // Content streams are not compressed: the marking (a hex string, since it holds a dash
        // outside ASCII) is there, top and bottom of each page.
        assert_eq!(count(b"<434F4E464944454E5449414C"), 2 * pages);
    }

    #[test]
    fn long_lines_wrap_on_spaces() {
        let w = wrap(&"word ".repeat(50), 20);
        assert!(w.iter().all(|l| l.chars().count() <= 20));
        assert_eq!(win_ansi("a—b"), vec![b'a', 0x97, b'b']);
    }
}

impl Engine {
    /// The version a request moves out (read as the caller, so they must be allowed to read
    /// it), authorized for `action` with the channel: the handling rules are policies.
    async fn version_to_move(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        version: u32,
        action: &str,
        handling: Option<&crate::Handling>,
    ) -> Result<(crate::VersionText, String, Option<ClassificationScheme>), EngineError> {
        let read = self.get_document(caller, org, id, version).await?;
        let (org_key, db) = self.organisation_db(caller, org).await?;
        let doc = &read.view.document;
        let v = doc
            .version(read.number)
            .ok_or_else(|| EngineError::NotFound(format!("version {} of {id}", read.number)))?;
        let scheme = get_scheme(&db).await?.map(|s| s.scheme());
        self.authorize_handling(
            caller,
            action,
            &crate::documents::facts(&org_key, doc, Some(v), scheme.as_ref()),
            handling,
        )?;
        Ok((read, org_key, scheme))
    }
}

/// A recorded transfer of a copy (paper or electronic) to someone inside or outside.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Transfer {
    pub document: String,
    pub version: u32,
    pub channel: String,
    pub medium: String,
    pub encrypted: bool,
    pub return_receipt: bool,
    pub recipient: String,
    pub note: String,
    pub by: String,
    pub at: String,
}

impl Engine {
    /// Records that a copy of a document left by `handling`'s channel, if the handling rules
    /// allow it; the record goes to the audit trail.
    #[allow(clippy::too_many_arguments)] // one argument per field of the API request
    pub async fn transfer_document(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        version: u32,
        handling: &crate::Handling,
        recipient: &str,
        note: &str,
    ) -> Result<Transfer, EngineError> {
        handling
            .validate()
            .map_err(|m| Invalid::new("handling", m))?;
        if !handling.channel.starts_with("transfer-") && handling.channel != "email" {
            return Err(Invalid::new(
                "handling.channel",
                "a transfer goes by transfer-inside, transfer-outside or email",
            )
            .into());
        }
        let recipient = rampart_domain::invalid::required_text("recipient", recipient, 300)?;
        let note = rampart_domain::invalid::optional_text("note", note, 500)?;
        let (read, org_key, _) = self
            .version_to_move(
                caller,
                org,
                id,
                version,
                "document.transfer",
                Some(handling),
            )
            .await?;
        let db = self.store.organisation(&org_key).await?;
        let doc = &read.view.document;
        let transfer = Transfer {
            document: doc.id.clone(),
            version: read.number,
            channel: handling.channel.clone(),
            medium: handling.medium.clone(),
            encrypted: handling.encrypted,
            return_receipt: handling.return_receipt,
            recipient,
            note,
            by: caller.actor(),
            at: rampart_domain::times::format(rampart_domain::clock::now()),
        };
        let mut change = rampart_store::Change::new();
        change.record(
            &caller.actor(),
            "document.transfer",
            format!("document:{}", doc.id),
            serde_json::to_value(&transfer).expect("serialises"),
        );
        db.commit(change).await?;
        Ok(transfer)
    }
}
