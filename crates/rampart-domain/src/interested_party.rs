//! Interested parties (ISO/IEC 27001 4.2) and their requirements — legal, regulatory,
//! contractual — each linked to the controls it calls for, so the Statement of Applicability can
//! say which requirement makes a control applicable.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, key, optional_text, required_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementKind {
    Legal,
    Regulatory,
    Contractual,
    Other,
}

impl RequirementKind {
    pub fn parse(field: &str, value: &str) -> Result<RequirementKind, Invalid> {
        match value.trim() {
            "legal" => Ok(RequirementKind::Legal),
            "regulatory" => Ok(RequirementKind::Regulatory),
            "contractual" => Ok(RequirementKind::Contractual),
            "other" | "" => Ok(RequirementKind::Other),
            _ => Err(Invalid::new(
                field,
                "use legal, regulatory, contractual or other",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequirementKind::Legal => "legal",
            RequirementKind::Regulatory => "regulatory",
            RequirementKind::Contractual => "contractual",
            RequirementKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyRequirementRecord {
    /// A key unique within the party, e.g. `nda`.
    pub id: String,
    pub kind: RequirementKind,
    /// The requirement in words: "client contract requires NDAs with all staff".
    pub text: String,
    /// The controls it calls for, e.g. `iso27001:A.6.6`.
    pub controls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestedParty {
    pub id: String,
    pub name: String,
    /// e.g. client, regulator, supplier, employees, shareholders.
    pub category: String,
    pub requirements: Vec<PartyRequirementRecord>,
}

impl InterestedParty {
    pub fn validate(self) -> Result<InterestedParty, Invalid> {
        let mut requirements: Vec<PartyRequirementRecord> = Vec::new();
        for (i, r) in self.requirements.iter().enumerate() {
            let field = |f: &str| format!("requirements[{i}].{f}");
            let id = key(&field("id"), &r.id, 60)?;
            if requirements.iter().any(|x| x.id == id) {
                return Err(Invalid::new(field("id"), format!("{id} appears twice")));
            }
            let mut controls = Vec::new();
            for c in &r.controls {
                let c = required_text(&field("controls"), c, 100)?;
                if !c.contains(':') {
                    return Err(Invalid::new(
                        field("controls"),
                        format!("{c}: name the framework too, e.g. iso27001:A.6.6"),
                    ));
                }
                if !controls.contains(&c) {
                    controls.push(c);
                }
            }
            requirements.push(PartyRequirementRecord {
                id,
                kind: r.kind,
                text: required_text(&field("text"), &r.text, 1000)?,
                controls,
            });
        }
        Ok(InterestedParty {
            id: key("id", &self.id, 60)?,
            name: required_text("name", &self.name, 200)?,
            category: optional_text("category", &self.category, 100)?,
            requirements,
        })
    }
}
