//! The document advisor and the mandatory-document templates as use cases.

use rampart_domain::Invalid;
use rampart_domain::document_advisor::{self, Advice, Degree, Frequency, Maturity, Proposal};
use rampart_domain::document_templates::{self, TEMPLATES, Template};
use rampart_store::organisations;

use crate::{Caller, Engine, EngineError};

/// A proposed document as the API describes it (strings are parsed here).
#[derive(Debug, Clone, Default)]
pub struct AdviceRequest {
    pub title: String,
    pub requirement: String,
    pub risk: String,
    pub required_by_compliance: bool,
    pub auditors_expect_detail: bool,
    /// 0: the organisation's own number.
    pub employees: u32,
    pub importance: String,
    pub people_involved: u32,
    pub complexity: String,
    pub maturity: String,
    pub frequency: String,
}

/// A template as listed: id, title, kind, requirement.
#[derive(Debug, Clone)]
pub struct TemplateInfo {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub requirement: String,
}

fn info(t: &Template) -> TemplateInfo {
    TemplateInfo {
        id: t.id.into(),
        title: t.title.into(),
        kind: t.kind.as_str().into(),
        requirement: t.requirement.into(),
    }
}

impl Engine {
    /// Mandatory documented information of the enabled framework packs: (pack, requirement, title).
    fn mandatory_documents(&self) -> Vec<(String, String, String)> {
        self.plugins
            .host
            .list()
            .iter()
            .filter(|p| p.enabled)
            .filter_map(|p| Some((p.manifest.id.clone(), p.framework_pack()?.clone())))
            .flat_map(|(id, pack)| {
                pack.catalog()
                    .mandatory
                    .iter()
                    .map(|m| (id.clone(), m.requirement.clone(), m.title.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    pub async fn advise_document(
        &self,
        caller: &Caller,
        org: &str,
        req: AdviceRequest,
    ) -> Result<Advice, EngineError> {
        let (org, _db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "document.advise", &Self::document_register(&org))?;
        let title = rampart_domain::invalid::required_text("title", &req.title, 300)?;
        let employees = if req.employees > 0 {
            req.employees
        } else {
            organisations::get(self.store.system(), &org)
                .await?
                .map(|o| o.employees)
                .unwrap_or(0)
        };
        if req.people_involved > 10_000_000 {
            return Err(Invalid::new("people_involved", "is not a believable number").into());
        }
        // A requirement names the pack's clause, with or without the pack's prefix
        // ("iso27001:5.2" or "5.2"); a title matches a mandatory document's title.
        let wanted = req.requirement.trim().to_lowercase();
        let mandatory_by = self
            .mandatory_documents()
            .into_iter()
            .find(|(pack, requirement, doc_title)| {
                let r = requirement.to_lowercase();
                (!wanted.is_empty()
                    && (wanted == r
                        || wanted == format!("{pack}:{r}")
                        || wanted.ends_with(&format!(":{r}"))))
                    || doc_title.eq_ignore_ascii_case(&title)
            })
            .map(|(pack, requirement, _)| format!("{pack} {requirement}"));
        let proposal = Proposal {
            title,
            mandatory_by,
            risk: Degree::parse("risk", &req.risk, true)?,
            required_by_compliance: req.required_by_compliance,
            auditors_expect_detail: req.auditors_expect_detail,
            employees,
            importance: Degree::parse("importance", &req.importance, false)?,
            people_involved: req.people_involved,
            complexity: Degree::parse("complexity", &req.complexity, false)?,
            maturity: Maturity::parse("maturity", &req.maturity)?,
            frequency: Frequency::parse("frequency", &req.frequency)?,
        };
        Ok(document_advisor::advise(&proposal))
    }

    pub async fn document_templates(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<TemplateInfo>, EngineError> {
        let (org, _db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "document.advise", &Self::document_register(&org))?;
        Ok(TEMPLATES.iter().map(info).collect())
    }

    /// A template rendered for the organisation (its name, size and ISMS scope).
    pub async fn document_template(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<(TemplateInfo, String), EngineError> {
        let (org, _db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "document.advise", &Self::document_register(&org))?;
        let t = Template::find(id.trim()).ok_or_else(|| {
            let ids: Vec<&str> = TEMPLATES.iter().map(|t| t.id).collect();
            Invalid::new(
                "id",
                format!("'{id}' is not a template; there are: {}", ids.join(", ")),
            )
        })?;
        let o = organisations::get(self.store.system(), &org)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("organisation {org}")))?;
        let text = t.render(&document_templates::Organisation {
            name: &o.name,
            employees: o.employees,
            scope: &o.isms_scope,
        });
        Ok((info(t), text))
    }
}
