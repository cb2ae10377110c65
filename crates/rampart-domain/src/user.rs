//! Users of an organisation: the Cedar principals. Roles, department, job title and clearance are
//! what access policies decide on.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, key, optional_text, required_text};

/// Roles the default policies know. Organisations may add their own (any key is accepted).
pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_ISMS_MANAGER: &str = "isms-manager";
pub const ROLE_AUDITOR: &str = "auditor";
pub const ROLE_TOP_MANAGEMENT: &str = "top-management";
pub const ROLE_EMPLOYEE: &str = "employee";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Unique within the organisation, e.g. `alice`.
    pub id: String,
    pub display_name: String,
    pub email: String,
    pub roles: Vec<String>,
    pub department: String,
    pub job_title: String,
    /// Key of the classification level the user is cleared for (empty: none).
    pub clearance: String,
    pub active: bool,
    pub revision: u64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default)]
pub struct UserFields {
    pub display_name: String,
    pub email: String,
    pub roles: Vec<String>,
    pub department: String,
    pub job_title: String,
    pub clearance: String,
    pub active: bool,
}

impl User {
    /// Whether the user has one of `roles`, works in one of `departments` or holds one of
    /// `job_titles`: how distribution lists and course audiences name groups of people.
    pub fn in_any(&self, roles: &[String], departments: &[String], job_titles: &[String]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
            || (!self.department.is_empty() && departments.contains(&self.department))
            || (!self.job_title.is_empty() && job_titles.contains(&self.job_title))
    }
}

impl UserFields {
    pub fn validate(self) -> Result<Self, Invalid> {
        let email = optional_text("email", &self.email, 320)?;
        if !email.is_empty() && (!email.contains('@') || email.contains(' ')) {
            return Err(Invalid::new(
                "email",
                format!("'{email}' is not an email address"),
            ));
        }
        let mut roles = Vec::with_capacity(self.roles.len());
        for r in &self.roles {
            let r = key("roles", r, 60)?;
            if !roles.contains(&r) {
                roles.push(r);
            }
        }
        let clearance = if self.clearance.trim().is_empty() {
            String::new()
        } else {
            key("clearance", &self.clearance, 60)?
        };
        Ok(UserFields {
            display_name: required_text("display_name", &self.display_name, 200)?,
            email,
            roles,
            department: optional_text("department", &self.department, 200)?,
            job_title: optional_text("job_title", &self.job_title, 200)?,
            clearance,
            active: self.active,
        })
    }
}

pub fn user_id(value: &str) -> Result<String, Invalid> {
    key("id", value, 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_keys_and_deduplicated() {
        let f = UserFields {
            display_name: "Alice".into(),
            roles: vec!["admin".into(), "admin".into(), "isms-manager".into()],
            ..Default::default()
        };
        assert_eq!(f.validate().unwrap().roles, vec!["admin", "isms-manager"]);
        let bad = UserFields {
            display_name: "A".into(),
            roles: vec!["Admin!".into()],
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "roles");
        let bad = UserFields {
            display_name: "A".into(),
            email: "nope".into(),
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "email");
    }
}
