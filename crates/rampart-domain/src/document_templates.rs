//! Starting drafts for the documents ISO/IEC 27001:2022 makes mandatory, sized to the
//! organisation: a 20-person company gets the short form (one owner, few sections), a
//! 2,000-person one gets sections for departments, delegated roles and subordinate procedures.
//! The text is a draft to edit, not a finished policy: every `[…]` asks for a decision.

use crate::document::DocumentKind;

/// Size bands the templates adapt to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Size {
    Small,
    Medium,
    Large,
}

impl Size {
    pub fn of(employees: u32) -> Size {
        match employees {
            0..50 => Size::Small,
            50..1000 => Size::Medium,
            _ => Size::Large,
        }
    }
}

pub struct Template {
    pub id: &'static str,
    pub title: &'static str,
    pub kind: DocumentKind,
    pub requirement: &'static str,
    /// (heading, text, smallest size that gets the section).
    sections: &'static [(&'static str, &'static str, Size)],
}

/// What a template is filled with.
pub struct Organisation<'a> {
    pub name: &'a str,
    pub employees: u32,
    pub scope: &'a str,
}

use Size::{Large, Medium, Small};

pub const TEMPLATES: &[Template] = &[
    Template {
        id: "isms-scope",
        title: "Scope of the ISMS",
        kind: DocumentKind::Policy,
        requirement: "iso27001:4.3",
        sections: &[
            (
                "Purpose",
                "This document defines the boundaries and applicability of the information security management system (ISMS) of {organisation}.",
                Small,
            ),
            ("Scope", "{scope}", Small),
            (
                "Issues and requirements considered",
                "The scope takes into account the internal and external issues (clause 4.1) and the requirements of interested parties (clause 4.2) listed in [reference the list of interested parties and requirements].",
                Small,
            ),
            (
                "Interfaces and dependencies",
                "Activities performed by {organisation} and those performed by other organisations (suppliers, cloud providers, outsourced processes) meet at these interfaces: [list interfaces].",
                Medium,
            ),
            (
                "Locations, units and exclusions",
                "Included sites and organisational units: [list]. Excluded units and the reason each is excluded: [list]. With {employees} employees, consider scoping only the part of the organisation that handles the information to protect, and extending the scope later.",
                Medium,
            ),
            (
                "Scope per business unit",
                "Each business unit in scope names an ISMS coordinator who keeps this description current for the unit: [table of unit, coordinator, processes, locations].",
                Large,
            ),
        ],
    },
    Template {
        id: "information-security-policy",
        title: "Information security policy",
        kind: DocumentKind::Policy,
        requirement: "iso27001:5.2",
        sections: &[
            (
                "Purpose",
                "Top management of {organisation} commits to protecting the confidentiality, integrity and availability of the information entrusted to it.",
                Small,
            ),
            (
                "Objectives",
                "Information security objectives are set and measured as described in [the objectives document]; they are reviewed at least once a year in the management review.",
                Small,
            ),
            (
                "Commitments",
                "{organisation} commits to satisfying the applicable information security requirements and to continually improving the ISMS.",
                Small,
            ),
            (
                "Responsibilities",
                "The ISMS manager runs the ISMS day to day; asset owners protect their assets; every employee reports security events.",
                Small,
            ),
            (
                "Subordinate policies",
                "Topic-specific policies (access control, classification, acceptable use, supplier security, [others]) elaborate this policy and are approved by [role].",
                Medium,
            ),
            (
                "Governance",
                "An information security committee of [roles] meets [frequency]; department heads are accountable for security in their departments and report to the committee.",
                Large,
            ),
            (
                "Communication",
                "This policy is communicated to all employees and relevant external parties and acknowledged as read and understood.",
                Small,
            ),
        ],
    },
    Template {
        id: "risk-methodology",
        title: "Risk assessment and risk treatment methodology",
        kind: DocumentKind::Procedure,
        requirement: "iso27001:6.1.2",
        sections: &[
            (
                "Purpose",
                "This document describes how {organisation} identifies, analyses, evaluates and treats information security risks, so that repeated assessments give consistent, valid and comparable results.",
                Small,
            ),
            (
                "Risk identification",
                "Risks are identified per asset: for each asset, the threats and vulnerabilities that may affect its confidentiality, integrity or availability, and a risk owner.",
                Small,
            ),
            (
                "Analysis and evaluation",
                "Consequence and likelihood are rated on the scales of the chosen methodology [name]; the level follows from them. Risks at or below [criterion] are acceptable.",
                Small,
            ),
            (
                "Treatment",
                "Each unacceptable risk is mitigated, avoided, transferred or accepted; controls are selected from Annex A and elsewhere; the risk owner accepts the residual risk.",
                Small,
            ),
            (
                "Roles",
                "Department risk coordinators collect assessments for their departments; the ISMS manager consolidates them.",
                Medium,
            ),
            (
                "Reassessment",
                "Risks are reassessed at least [yearly] and after significant changes.",
                Small,
            ),
        ],
    },
    Template {
        id: "statement-of-applicability",
        title: "Statement of Applicability",
        kind: DocumentKind::Record,
        requirement: "iso27001:6.1.3 d)",
        sections: &[
            (
                "Purpose",
                "This Statement of Applicability lists the Annex A controls, whether each is applicable to {organisation}, why, and how it is implemented.",
                Small,
            ),
            (
                "Controls",
                "[The table is derived from risk treatment and interested-party requirements: control, applicable, justification, implementation status, how implemented.]",
                Small,
            ),
            (
                "Approval",
                "Approved by [top management role] on [date].",
                Small,
            ),
        ],
    },
    Template {
        id: "risk-treatment-plan",
        title: "Risk treatment plan",
        kind: DocumentKind::Plan,
        requirement: "iso27001:6.1.3 e)",
        sections: &[
            (
                "Purpose",
                "This plan sets out how {organisation} implements the controls chosen in risk treatment.",
                Small,
            ),
            (
                "Plan",
                "[For each control: owner, actions, due date, budget, status.]",
                Small,
            ),
            (
                "Resources",
                "Budget and people are approved by [role]; progress is reported to the management review.",
                Medium,
            ),
            (
                "Programme management",
                "Large implementation items are run as projects with their own plans, reported monthly to the information security committee.",
                Large,
            ),
        ],
    },
    Template {
        id: "security-objectives",
        title: "Information security objectives",
        kind: DocumentKind::Plan,
        requirement: "iso27001:6.2",
        sections: &[
            (
                "Objectives",
                "[Objective, measure, target, owner, frequency of measurement, due date.]",
                Small,
            ),
            (
                "How objectives are achieved",
                "For each objective: what will be done, resources, who is responsible, when it will be completed and how results are evaluated.",
                Small,
            ),
            (
                "Department objectives",
                "Each department derives objectives from these and reports them quarterly.",
                Large,
            ),
        ],
    },
    Template {
        id: "incident-management-procedure",
        title: "Incident management procedure",
        kind: DocumentKind::Procedure,
        requirement: "iso27001:A.5.26",
        sections: &[
            (
                "Reporting",
                "Anyone who notices a security event reports it at once to [contact].",
                Small,
            ),
            (
                "Response",
                "The [incident handler] classifies the event, contains it, eradicates the cause, recovers and keeps a record of each step.",
                Small,
            ),
            (
                "Escalation",
                "Incidents of [severity] are escalated to [role] within [time]; authorities and customers are notified where law or contract requires it.",
                Medium,
            ),
            (
                "Incident response team",
                "A standing team of [roles] with on-call rotation handles incidents across sites.",
                Large,
            ),
            (
                "Learning",
                "Each incident is reviewed to find its root cause and lessons; corrective actions go into the corrective action register.",
                Small,
            ),
        ],
    },
];

impl Template {
    pub fn find(id: &str) -> Option<&'static Template> {
        TEMPLATES.iter().find(|t| t.id == id)
    }

    /// The draft for an organisation: the sections its size calls for, with its facts filled in.
    pub fn render(&self, org: &Organisation) -> String {
        let size = Size::of(org.employees);
        let scope = if org.scope.trim().is_empty() {
            "[Describe the information, processes, locations and systems the ISMS covers.]"
        } else {
            org.scope
        };
        let mut out = format!("# {} — {}\n", self.title, org.name);
        out.push_str(&format!(
            "\n_Required by {}. Draft sized for {} employees; replace every [bracket]._\n",
            self.requirement, org.employees
        ));
        for (n, (heading, text, _)) in self.sections.iter().filter(|s| s.2 <= size).enumerate() {
            let text = text
                .replace("{organisation}", org.name)
                .replace("{employees}", &org.employees.to_string())
                .replace("{scope}", scope);
            out.push_str(&format!("\n## {}. {heading}\n\n{text}\n", n + 1));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_shorter_for_small_companies() {
        let t = Template::find("information-security-policy").unwrap();
        let small = t.render(&Organisation {
            name: "Tiny Ltd",
            employees: 20,
            scope: "",
        });
        let large = t.render(&Organisation {
            name: "Huge plc",
            employees: 2000,
            scope: "",
        });
        assert!(small.len() < large.len());
        assert!(!small.contains("Governance"));
        assert!(large.contains("Governance"));
        assert!(small.contains("Top management of Tiny Ltd"));
    }

    #[test]
    fn the_scope_is_filled_in() {
        let t = Template::find("isms-scope").unwrap();
        let text = t.render(&Organisation {
            name: "Acme",
            employees: 120,
            scope: "All services delivered from Leeds",
        });
        assert!(text.contains("All services delivered from Leeds"));
        assert!(text.contains("120 employees"));
    }
}
