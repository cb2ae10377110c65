//! The organisation (tenant): its name, size and the ISMS scope statement (ISO 27001 clause 4.3).

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, key, optional_text, required_text};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// The organisation's key, e.g. `acme`; it also names the organisation's database.
    pub id: String,
    pub name: String,
    pub employees: u32,
    pub isms_scope: String,
    pub revision: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// What a caller may set on an organisation.
#[derive(Debug, Clone, Default)]
pub struct OrganisationFields {
    pub name: String,
    pub employees: u32,
    pub isms_scope: String,
}

impl OrganisationFields {
    pub fn validate(self) -> Result<Self, Invalid> {
        if self.employees > 10_000_000 {
            return Err(Invalid::new(
                "employees",
                "is not a believable number of employees",
            ));
        }
        Ok(OrganisationFields {
            name: required_text("name", &self.name, 200)?,
            employees: self.employees,
            isms_scope: optional_text("isms_scope", &self.isms_scope, 20_000)?,
        })
    }
}

/// Organisation keys become database names, so they are restricted to safe characters.
pub fn organisation_id(value: &str) -> Result<String, Invalid> {
    let id = key("id", value, 40)?;
    if id == "system" {
        return Err(Invalid::new("id", "'system' is reserved"));
    }
    Ok(id)
}

/// The SurrealDB database that holds one organisation's data.
pub fn database_name(organisation: &str) -> String {
    format!("org_{}", organisation.replace('-', "_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_databases() {
        assert_eq!(
            database_name(&organisation_id("acme-eu").unwrap()),
            "org_acme_eu"
        );
        assert!(organisation_id("system").is_err());
        assert!(organisation_id("Acme; DROP").is_err());
    }

    #[test]
    fn fields() {
        let ok = OrganisationFields {
            name: " Acme ".into(),
            employees: 40,
            isms_scope: String::new(),
        };
        assert_eq!(ok.validate().unwrap().name, "Acme");
        let bad = OrganisationFields {
            name: "".into(),
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "name");
    }
}
