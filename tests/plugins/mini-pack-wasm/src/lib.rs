//! A tiny framework pack, the WASM twin of `tests/plugins/mini-pack-rhai`: the host tests check
//! that both runtimes give the same catalog, suggestions and findings.

use rampart_sdk::pack::{
    Attribute, Catalog, Control, ControlSuggestion, Finding, FindingStatus, Guest, ImplementationStep,
    InformationKind, Mapping, MandatoryInformation, Requirement, RiskContext, Snapshot, Threat, Vulnerability,
};

struct MiniPack;

fn s(v: &str) -> String {
    v.to_string()
}

/// (id, title, treats-threat, attribute)
const CONTROLS: [(&str, &str, &str); 2] = [("A.5.15", "Access control", "T-unauthorised-access"), ("A.8.13", "Information backup", "T-ransomware")];

impl Guest for MiniPack {
    fn catalog() -> Catalog {
        Catalog {
            framework: s("Mini ISMS"),
            version: s("2022"),
            requirements: vec![
                Requirement { id: s("4"), parent: None, title: s("Context of the organization"), text: String::new() },
                Requirement { id: s("4.3"), parent: Some(s("4")), title: s("Scope of the ISMS"), text: s("Determine and document the scope.") },
                Requirement { id: s("A.5"), parent: None, title: s("Organizational controls"), text: String::new() },
            ],
            controls: CONTROLS
                .iter()
                .map(|(id, title, _)| Control {
                    id: s(id),
                    title: s(title),
                    text: String::new(),
                    attributes: vec![Attribute { name: s("type"), value: s("preventive") }],
                })
                .collect(),
            mandatory: vec![MandatoryInformation { id: s("scope"), title: s("ISMS scope"), kind: InformationKind::Maintained, requirement: s("4.3"), reference: s("4.3"), condition: s("") }],
            threats: vec![
                Threat { id: s("T-ransomware"), name: s("Ransomware"), category: s("malware"), vulnerabilities: vec![s("V-no-offline-backup")], controls: vec![s("A.8.13")] },
                Threat { id: s("T-unauthorised-access"), name: s("Unauthorised access"), category: s("people"), vulnerabilities: vec![], controls: vec![s("A.5.15")] },
            ],
            vulnerabilities: vec![Vulnerability { id: s("V-no-offline-backup"), name: s("No offline backup"), category: s("technical") }],
            mappings: vec![Mapping { source: s("A.8.13"), framework: s("NIST CSF 2.0"), target: s("PR.DS-11"), relation: s("equivalent") }],
            steps: vec![ImplementationStep { order: 1, title: s("Define the scope"), description: String::new(), requirements: vec![s("4.3")] }],
        }
    }

    fn suggest_controls(context: RiskContext) -> Vec<ControlSuggestion> {
        let weight = (context.confidentiality as u32 + context.integrity as u32 + context.availability as u32) as f64 / 15.0;
        let mut out = Vec::new();
        for (id, title, threat) in CONTROLS {
            if context.threats.iter().any(|t| t == threat) {
                out.push(ControlSuggestion { control: s(id), score: 1.0 + weight, reason: format!("{title} treats {threat}") });
            } else if id == "A.8.13" && context.availability >= 3 {
                out.push(ControlSuggestion { control: s(id), score: weight, reason: format!("availability {} needs backups", context.availability) });
            }
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out
    }

    fn check(snapshot: Snapshot) -> Vec<Finding> {
        let mut out = vec![if snapshot.documents.iter().any(|d| d == "scope") {
            Finding { requirement: s("4.3"), status: FindingStatus::Met, detail: s("the scope is documented") }
        } else {
            Finding { requirement: s("4.3"), status: FindingStatus::NotMet, detail: s("no approved scope document") }
        }];
        for (id, _, _) in CONTROLS {
            let status = if snapshot.implemented_controls.iter().any(|c| c == id) {
                FindingStatus::Met
            } else if snapshot.applicable_controls.iter().any(|c| c == id) {
                FindingStatus::PartiallyMet
            } else {
                FindingStatus::NotApplicable
            };
            out.push(Finding { requirement: s(id), status, detail: String::new() });
        }
        out
    }
}

rampart_sdk::export_framework_pack!(MiniPack);
