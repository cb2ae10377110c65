//! Validation errors that name the offending field, so the API can answer INVALID_ARGUMENT with it.

use std::fmt;

/// Input that breaks a rule of the model. `field` is the request field's name as the API spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Invalid {}

/// A required, trimmed, length-limited text field.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    optional_text(field, v, max)
}

/// An optional, trimmed, length-limited text field.
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(Invalid::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Invalid::new(field, "contains control characters"));
    }
    Ok(v.to_string())
}

/// A key: lowercase ASCII letters, digits, `-` and `_`, starting with a letter.
pub fn key(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if v.len() > max {
        return Err(Invalid::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    let mut chars = v.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !first_ok
        || !v
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(Invalid::new(
            field,
            format!("'{v}' must start with a lowercase letter and hold only a-z, 0-9, '-' and '_'"),
        ));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert_eq!(key("k", " acme ", 40).unwrap(), "acme");
        assert_eq!(key("k", "Acme", 40).unwrap_err().field, "k");
        assert!(key("k", "1acme", 40).is_err());
        assert!(key("k", "", 40).is_err());
        assert!(key("k", "a b", 40).is_err());
    }

    #[test]
    fn text_limits() {
        assert!(required_text("name", "  ", 10).is_err());
        assert!(required_text("name", "abcdefghijk", 10).is_err());
        assert!(optional_text("d", "bell\u{7}", 10).is_err());
        assert_eq!(optional_text("d", " x\ny ", 10).unwrap(), "x\ny");
    }
}
