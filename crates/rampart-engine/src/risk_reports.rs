//! Reports auditors ask for — the risk assessment report, the Statement of Applicability and the
//! risk treatment plan — as Markdown, CSV, XLSX and PDF. Each is built from what the caller may
//! read: the risk report lists only the risks the caller may read.

use rust_xlsxwriter::{Format, Workbook};

use crate::{Caller, Engine, EngineError};
use rampart_domain::Invalid;
use rampart_domain::soa::Justification;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    RiskAssessment,
    StatementOfApplicability,
    TreatmentPlan,
    ResponsibilityMatrix,
}

impl ReportKind {
    pub fn parse(value: &str) -> Result<ReportKind, Invalid> {
        match value.trim() {
            "risk-assessment" | "risks" => Ok(ReportKind::RiskAssessment),
            "soa" => Ok(ReportKind::StatementOfApplicability),
            "rtp" => Ok(ReportKind::TreatmentPlan),
            "raci" | "responsibilities" => Ok(ReportKind::ResponsibilityMatrix),
            _ => Err(Invalid::new(
                "kind",
                "use risk-assessment, soa, rtp or raci",
            )),
        }
    }

    fn slug(self) -> &'static str {
        match self {
            ReportKind::RiskAssessment => "risk-assessment",
            ReportKind::StatementOfApplicability => "statement-of-applicability",
            ReportKind::TreatmentPlan => "risk-treatment-plan",
            ReportKind::ResponsibilityMatrix => "responsibility-matrix",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Markdown,
    Csv,
    Xlsx,
    Pdf,
}

impl ReportFormat {
    pub fn parse(value: &str) -> Result<ReportFormat, Invalid> {
        match value.trim() {
            "markdown" | "md" | "" => Ok(ReportFormat::Markdown),
            "csv" => Ok(ReportFormat::Csv),
            "xlsx" => Ok(ReportFormat::Xlsx),
            "pdf" => Ok(ReportFormat::Pdf),
            _ => Err(Invalid::new("format", "use markdown, csv, xlsx or pdf")),
        }
    }

    pub(crate) fn extension(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "md",
            ReportFormat::Csv => "csv",
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Pdf => "pdf",
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "text/markdown; charset=utf-8",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Pdf => "application/pdf",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ReportFile {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) enum Cell {
    Text(String),
    Number(f64),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{n:.0}")
                } else {
                    format!("{n:.2}")
                }
            }
        }
    }
}

pub(crate) fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// A report: a title, lines of summary, and one table.
pub(crate) struct Report {
    pub(crate) title: String,
    pub(crate) summary: Vec<(String, String)>,
    pub(crate) sheet: String,
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<Vec<Cell>>,
}

impl Report {
    fn markdown(&self) -> String {
        let mut out = format!("# {}\n\n", self.title);
        for (k, v) in &self.summary {
            out.push_str(&format!("- **{k}:** {v}\n"));
        }
        out.push_str(&format!("\n## {}\n\n", self.sheet));
        let cell = |s: String| s.replace('|', "\\|").replace('\n', " ");
        out.push_str(&format!("| {} |\n", self.headers.join(" | ")));
        out.push_str(&format!(
            "|{}\n",
            self.headers.iter().map(|_| "---|").collect::<String>()
        ));
        for r in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                r.iter()
                    .map(|c| cell(c.text()))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        out
    }

    fn csv(&self) -> Result<Vec<u8>, EngineError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| EngineError::Internal(format!("csv: {e}"));
        w.write_record(&self.headers).map_err(fail)?;
        for r in &self.rows {
            w.write_record(r.iter().map(Cell::text)).map_err(fail)?;
        }
        w.into_inner()
            .map_err(|e| EngineError::Internal(format!("csv: {e}")))
    }

    fn xlsx(&self) -> Result<Vec<u8>, EngineError> {
        let fail = |e: rust_xlsxwriter::XlsxError| EngineError::Internal(format!("xlsx: {e}"));
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = book.add_worksheet();
        sheet.set_name(&self.sheet).map_err(fail)?;
        for (c, h) in self.headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, h, &bold)
                .map_err(fail)?;
        }
        for (i, r) in self.rows.iter().enumerate() {
            for (c, cell) in r.iter().enumerate() {
                let (row, col) = (i as u32 + 1, c as u16);
                match cell {
                    Cell::Text(s) => sheet
                        .write_string(row, col, excel_text(s).as_ref())
                        .map_err(fail)?,
                    Cell::Number(n) => sheet.write_number(row, col, *n).map_err(fail)?,
                };
            }
        }
        sheet
            .autofilter(0, 0, self.rows.len() as u32, self.headers.len() as u16 - 1)
            .map_err(fail)?;
        let summary = book.add_worksheet();
        summary.set_name("Summary").map_err(fail)?;
        summary
            .write_string_with_format(0, 0, &self.title, &bold)
            .map_err(fail)?;
        for (i, (k, v)) in self.summary.iter().enumerate() {
            summary.write_string(i as u32 + 1, 0, k).map_err(fail)?;
            summary.write_string(i as u32 + 1, 1, v).map_err(fail)?;
        }
        book.save_to_buffer().map_err(fail)
    }

    fn render(
        &self,
        format: ReportFormat,
        kind: ReportKind,
        org: &str,
    ) -> Result<ReportFile, EngineError> {
        let bytes = match format {
            ReportFormat::Markdown => self.markdown().into_bytes(),
            ReportFormat::Csv => self.csv()?,
            ReportFormat::Xlsx => self.xlsx()?,
            ReportFormat::Pdf => {
                // Rows as lines of "header: value" blocks: a wide table does not fit a page.
                let mut text = String::new();
                for (k, v) in &self.summary {
                    text.push_str(&format!("{k}: {v}\n"));
                }
                text.push_str(&format!("\n## {}\n", self.sheet));
                for r in &self.rows {
                    text.push('\n');
                    for (h, c) in self.headers.iter().zip(r) {
                        let v = c.text();
                        if !v.is_empty() {
                            text.push_str(&format!("{h}: {v}\n"));
                        }
                    }
                }
                crate::document_export::render_pdf("", &self.title, &text)
            }
        };
        Ok(ReportFile {
            filename: format!("{org}-{}.{}", kind.slug(), format.extension()),
            content_type: format.content_type().into(),
            bytes,
        })
    }
}

/// Excel holds at most 32,767 characters in a cell: a longer text (the risks behind a control
/// treated by thousands of them) is cut, saying so.
fn excel_text(s: &str) -> std::borrow::Cow<'_, str> {
    const KEEP: usize = 32_000;
    if s.chars().count() <= 32_767 {
        return std::borrow::Cow::Borrowed(s);
    }
    let kept: String = s.chars().take(KEEP).collect();
    let rest = s.chars().count() - KEEP;
    std::borrow::Cow::Owned(format!(
        "{kept} … ({rest} more characters: Excel's cell limit; the CSV and Markdown reports hold it whole)"
    ))
}

fn yes_no(b: bool) -> Cell {
    t(if b { "yes" } else { "no" })
}

impl Engine {
    /// One report in one format, from what the caller may read.
    pub async fn export_report(
        &self,
        caller: &Caller,
        org: &str,
        kind: ReportKind,
        framework: &str,
        format: ReportFormat,
    ) -> Result<ReportFile, EngineError> {
        let (org, _) = self.organisation_db(caller, org).await?;
        let framework = if framework.trim().is_empty() {
            "iso27001-2022"
        } else {
            framework.trim()
        };
        let report = match kind {
            ReportKind::RiskAssessment => self.risk_report(caller, &org).await?,
            ReportKind::StatementOfApplicability => {
                self.soa_report(caller, &org, framework).await?
            }
            ReportKind::TreatmentPlan => self.rtp_report(caller, &org, framework).await?,
            ReportKind::ResponsibilityMatrix => self.raci_report(caller, &org).await?,
        };
        let started = std::time::Instant::now();
        let file = tokio::task::spawn_blocking(move || report.render(format, kind, &org))
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))??;
        tracing::debug!(elapsed = ?started.elapsed(), "report rendered");
        Ok(file)
    }

    async fn risk_report(&self, caller: &Caller, org: &str) -> Result<Report, EngineError> {
        let settings = self.risk_settings(caller, org).await?;
        let risks = self.list_risks(caller, org, "").await?;
        let method = self.plugins.host.get(&settings.methodology).and_then(|p| {
            let m = p.risk_methodology()?.methodology().clone();
            Some((p.manifest.version.clone(), m))
        });
        let mut summary = vec![
            ("Organisation".to_string(), org.to_string()),
            ("Generated".into(), rampart_store::now()),
            ("Risks".into(), risks.len().to_string()),
        ];
        if let Some((version, m)) = &method {
            summary.push((
                "Methodology".into(),
                format!("{} {} ({})", m.name, version, settings.methodology),
            ));
            summary.push(("Acceptance criterion".into(), m.acceptance.clone()));
            summary.push((
                "Levels".into(),
                m.levels
                    .iter()
                    .map(|l| {
                        format!(
                            "{}{}",
                            l.name,
                            if l.acceptable { " (accepted)" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        let accepted = risks.iter().filter(|r| r.acceptance.is_some()).count();
        summary.push(("Residual risks accepted".into(), accepted.to_string()));
        let rows = risks
            .iter()
            .map(|r| {
                let a = r.current();
                let res = r.current_residual();
                vec![
                    t(r.id.clone()),
                    t(r.fields.title.clone()),
                    t(r.fields.owner.clone()),
                    t(r.fields.assets.join(", ")),
                    t(r.fields.threat.clone()),
                    t(r.fields.vulnerability.clone()),
                    t(
                        a.map(|a| format!("{} {}", a.methodology, a.methodology_version))
                            .unwrap_or_default(),
                    ),
                    t(a.map(|a| a.level.clone()).unwrap_or_default()),
                    a.map_or(t(""), |a| Cell::Number(a.score)),
                    a.map_or(t(""), |a| yes_no(a.acceptable)),
                    t(r.treatment
                        .as_ref()
                        .map(|x| x.option.as_str().to_string())
                        .unwrap_or_default()),
                    t(r.treatment
                        .as_ref()
                        .map(|x| x.controls.join(", "))
                        .unwrap_or_default()),
                    t(res.map(|a| a.level.clone()).unwrap_or_default()),
                    res.map_or(t(""), |a| yes_no(a.acceptable)),
                    t(r.acceptance
                        .as_ref()
                        .map(|x| x.by.clone())
                        .unwrap_or_default()),
                    t(r.acceptance
                        .as_ref()
                        .map(|x| x.at.clone())
                        .unwrap_or_default()),
                ]
            })
            .collect();
        Ok(Report {
            title: format!("Risk assessment report — {org}"),
            summary,
            sheet: "Risks".into(),
            headers: [
                "risk",
                "title",
                "owner",
                "assets",
                "threat",
                "vulnerability",
                "methodology",
                "level",
                "score",
                "acceptable",
                "treatment",
                "controls",
                "residual level",
                "residual acceptable",
                "accepted by",
                "accepted at",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        })
    }

    async fn soa_report(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
    ) -> Result<Report, EngineError> {
        let soa = self
            .statement_of_applicability(caller, org, framework)
            .await?;
        let applicable = soa.entries.iter().filter(|e| e.applicable).count();
        let state = match (&soa.approved, soa.outdated) {
            (None, _) => "not approved".to_string(),
            (Some(a), false) => format!(
                "version {} approved by {} at {}",
                a.number, a.approved_by, a.approved_at
            ),
            (Some(a), true) => format!(
                "OUTDATED: {} controls changed since version {} approved by {}",
                soa.changes.len(),
                a.number,
                a.approved_by
            ),
        };
        let rows = soa
            .entries
            .iter()
            .map(|e| {
                let why = e
                    .justifications
                    .iter()
                    .map(|j| match j {
                        Justification::RiskTreatment { risks } => {
                            format!("risk treatment: {}", risks.join(", "))
                        }
                        Justification::Requirement { party, requirement } => {
                            format!("{party}: {requirement}")
                        }
                        Justification::Business { note } => format!("business: {note}"),
                        Justification::BestPractice { note } => format!("best practice: {note}"),
                        Justification::Override { reason } => format!("decided: {reason}"),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                vec![
                    t(e.control.clone()),
                    t(e.title.clone()),
                    yes_no(e.applicable),
                    t(why),
                    t(e.exclusion.clone()),
                    t(e.status.as_str()),
                    t(e.implementation.clone()),
                ]
            })
            .collect();
        Ok(Report {
            title: format!("Statement of Applicability — {org} — {framework}"),
            summary: vec![
                ("Organisation".into(), org.to_string()),
                ("Framework".into(), framework.to_string()),
                ("Generated".into(), rampart_store::now()),
                ("Controls".into(), soa.entries.len().to_string()),
                ("Applicable".into(), applicable.to_string()),
                ("State".into(), state),
            ],
            sheet: "SoA".into(),
            headers: [
                "control",
                "title",
                "applicable",
                "justification",
                "reason for exclusion",
                "status",
                "implementation",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        })
    }

    async fn rtp_report(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
    ) -> Result<Report, EngineError> {
        let plan = self.treatment_plan(caller, org, framework).await?;
        let now = rampart_store::now();
        let r = &plan.rollup;
        let rows = plan
            .items
            .iter()
            .map(|(i, _)| {
                vec![
                    t(i.control.clone()),
                    t(i.owner.clone()),
                    t(i.actions.clone()),
                    t(i.due.clone()),
                    Cell::Number(i.budget),
                    t(i.status.as_str()),
                    yes_no(i.overdue(&now)),
                ]
            })
            .collect();
        Ok(Report {
            title: format!("Risk treatment plan — {org} — {framework}"),
            summary: vec![
                ("Organisation".into(), org.to_string()),
                ("Framework".into(), framework.to_string()),
                ("Generated".into(), now.clone()),
                ("Items".into(), r.items.to_string()),
                ("Implemented".into(), r.implemented.to_string()),
                ("In progress".into(), r.in_progress.to_string()),
                ("Overdue".into(), r.overdue.to_string()),
                ("Progress".into(), format!("{:.0}%", r.progress)),
                ("Budget".into(), format!("{:.0}", r.budget)),
                (
                    "Budget of implemented controls".into(),
                    format!("{:.0}", r.budget_spent),
                ),
            ],
            sheet: "RTP".into(),
            headers: [
                "control", "owner", "actions", "due", "budget", "status", "overdue",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cell_longer_than_excel_allows_is_cut_and_says_so() {
        let long = "r00001, ".repeat(10_000);
        let cut = super::excel_text(&long);
        assert!(cut.chars().count() <= 32_767);
        assert!(cut.ends_with("the CSV and Markdown reports hold it whole)"));
        assert_eq!(super::excel_text("short"), "short");
    }
}
