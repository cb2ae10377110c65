//! An organisation bundle: everything an organisation holds — every record of its database, its
//! document versions and attachments, and its audit trail with the hashes — as one file that
//! another Rampart installation imports (a consultant handing a client its ISMS, or a move
//! between installations).
//!
//! Why it can be trusted: the export appends an `organisation.export` event to the
//! organisation's own chain whose state is the digest of the bundle's content, and that event is
//! the bundle's last. Changing a record changes the content digest; making the export event agree
//! again changes its hash, which is the head the exporter printed (and the importer may demand);
//! changing anything earlier in the trail breaks the chain.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::audit::{AuditEvent, ChainVerifier, canonical_json, sha256_hex, state_digest};
use crate::invalid::Invalid;
use crate::organisation::Organisation;

pub const FORMAT: &str = "rampart-organisation-bundle";
pub const FORMAT_VERSION: u32 = 1;
pub const EXPORT_OPERATION: &str = "organisation.export";
pub const IMPORT_OPERATION: &str = "organisation.import";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub format_version: u32,
    /// The database schema the records follow: a server at a newer schema migrates them on
    /// import, one at an older schema refuses them.
    pub schema_version: i64,
    pub organisation: Organisation,
    /// Empty for a whole organisation; a framework id for a selective export of that
    /// framework's work (other frameworks' records left out).
    #[serde(default)]
    pub framework: String,
    /// Table name → its records, each with `id` set to the record's key.
    pub tables: BTreeMap<String, Vec<Value>>,
    /// The whole audit trail, ending with the export event.
    pub audit_events: Vec<AuditEvent>,
    /// SHA-256 of the canonical JSON of the organisation, the framework and the tables.
    pub content_digest: String,
}

/// What an export commits to in the organisation's trail.
pub fn export_state(content_digest: &str, framework: &str, records: usize) -> Value {
    json!({ "content_digest": content_digest, "framework": framework, "records": records })
}

pub fn content_digest(
    organisation: &Organisation,
    framework: &str,
    tables: &BTreeMap<String, Vec<Value>>,
) -> String {
    let body = json!({
        "organisation": organisation,
        "framework": framework,
        "tables": tables,
    });
    sha256_hex(canonical_json(&body).as_bytes())
}

/// The framework a record belongs to, if any: the `framework` table's own rows, a `framework`
/// column (SoA versions), or a `framework` field in the record's JSON state (control records,
/// treatment-plan items, internal audits).
pub fn record_framework(table: &str, record: &Value) -> Option<String> {
    if table == "framework" {
        return record.get("id").and_then(Value::as_str).map(str::to_string);
    }
    if let Some(f) = record.get("framework").and_then(Value::as_str) {
        return Some(f.to_string());
    }
    let data = record.get("data").and_then(Value::as_str)?;
    let state: Value = serde_json::from_str(data).ok()?;
    state
        .get("framework")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Keeps one framework's work and what every framework shares (users, assets, risks, documents,
/// …); drops the records of other frameworks.
pub fn select_framework(tables: &mut BTreeMap<String, Vec<Value>>, framework: &str) {
    for (table, rows) in tables.iter_mut() {
        rows.retain(|r| match record_framework(table, r) {
            Some(f) => f == framework,
            None => true,
        });
    }
}

/// What a verified bundle holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub records: usize,
    pub events: u64,
    pub head: String,
    pub exported_by: String,
    pub exported_at: String,
}

impl Bundle {
    pub fn records(&self) -> usize {
        self.tables.values().map(Vec::len).sum()
    }

    /// Checks the format, the chain and that the content is what the export committed to;
    /// `expected_head` (the hash the exporter printed) closes the last gap.
    pub fn verify(&self, expected_head: &str) -> Result<Verified, Invalid> {
        if self.format != FORMAT {
            return Err(Invalid::new(
                "bundle",
                format!(
                    "this is not a Rampart organisation bundle (format '{}')",
                    self.format
                ),
            ));
        }
        if self.format_version != FORMAT_VERSION {
            return Err(Invalid::new(
                "bundle",
                format!(
                    "bundle format version {} is not supported (this Rampart reads version {FORMAT_VERSION})",
                    self.format_version
                ),
            ));
        }
        let mut chain = ChainVerifier::default();
        for e in &self.audit_events {
            chain.check(e).map_err(|b| {
                Invalid::new(
                    "bundle",
                    format!(
                        "the audit trail is broken at event {}: {}; the bundle was altered",
                        b.seq, b.reason
                    ),
                )
            })?;
        }
        let last = self.audit_events.last().ok_or_else(|| {
            Invalid::new(
                "bundle",
                "the bundle has no audit trail, so nothing vouches for it",
            )
        })?;
        if last.operation != EXPORT_OPERATION
            || last.entity != format!("organisation:{}", self.organisation.id)
        {
            return Err(Invalid::new(
                "bundle",
                format!(
                    "the trail does not end with the export of organisation {} (it ends with {} on {})",
                    self.organisation.id, last.operation, last.entity
                ),
            ));
        }
        let digest = content_digest(&self.organisation, &self.framework, &self.tables);
        if digest != self.content_digest
            || state_digest(&export_state(&digest, &self.framework, self.records()))
                != last.state_digest
        {
            return Err(Invalid::new(
                "bundle",
                "the records are not those the export committed to in the audit trail: the bundle was changed after export",
            ));
        }
        let expected_head = expected_head.trim();
        if !expected_head.is_empty() && expected_head != last.hash {
            return Err(Invalid::new(
                "expected_head",
                format!(
                    "the bundle's trail ends with hash {}, not the {expected_head} its exporter gave you: the bundle was rewritten or is another export",
                    last.hash
                ),
            ));
        }
        Ok(Verified {
            records: self.records(),
            events: chain.verified(),
            head: last.hash.clone(),
            exported_by: last.actor.clone(),
            exported_at: last.at.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> Bundle {
        let organisation = Organisation {
            id: "acme".into(),
            name: "Acme".into(),
            employees: 40,
            isms_scope: "all".into(),
            revision: 1,
            created_at: "2026-01-01T00:00:00.000000Z".into(),
            updated_at: "2026-01-01T00:00:00.000000Z".into(),
        };
        let mut tables = BTreeMap::new();
        tables.insert(
            "asset".to_string(),
            vec![json!({"id": "laptop", "name": "Laptop", "revision": 1})],
        );
        tables.insert(
            "control_record".to_string(),
            vec![
                json!({"id": "iso:A.5.1", "data": "{\"framework\":\"iso\"}", "revision": 1}),
                json!({"id": "nist:GV.1", "data": "{\"framework\":\"nist\"}", "revision": 1}),
            ],
        );
        let first = AuditEvent::next(
            None,
            "user:maria",
            "asset.create",
            "asset:laptop",
            &json!({}),
            "t1",
        );
        let digest = content_digest(&organisation, "", &tables);
        let export = AuditEvent::next(
            Some((first.seq, &first.hash)),
            "operator:root",
            EXPORT_OPERATION,
            "organisation:acme",
            &export_state(&digest, "", 3),
            "t2",
        );
        Bundle {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            schema_version: 6,
            organisation,
            framework: String::new(),
            tables,
            audit_events: vec![first, export],
            content_digest: digest,
        }
    }

    #[test]
    fn an_untouched_bundle_verifies_and_names_its_head() {
        let b = bundle();
        let v = b.verify("").unwrap();
        assert_eq!((v.records, v.events), (3, 2));
        assert_eq!(b.verify(&v.head).unwrap().head, v.head);
        assert_eq!(b.verify("abc").unwrap_err().field, "expected_head");
    }

    #[test]
    fn a_changed_record_or_event_is_refused() {
        let mut b = bundle();
        b.tables.get_mut("asset").unwrap()[0]["name"] = json!("Stolen laptop");
        assert!(
            b.verify("")
                .unwrap_err()
                .message
                .contains("changed after export")
        );

        // Recomputing the digest is not enough: the export event committed to the old one.
        b.content_digest = content_digest(&b.organisation, "", &b.tables);
        assert!(
            b.verify("")
                .unwrap_err()
                .message
                .contains("changed after export")
        );

        let mut b = bundle();
        b.audit_events[0].actor = "user:mallory".into();
        assert!(
            b.verify("")
                .unwrap_err()
                .message
                .contains("broken at event 1")
        );

        let mut b = bundle();
        b.audit_events.pop();
        assert!(
            b.verify("")
                .unwrap_err()
                .message
                .contains("does not end with the export")
        );
    }

    #[test]
    fn a_selective_export_keeps_one_framework_and_what_is_shared() {
        let mut tables = bundle().tables;
        select_framework(&mut tables, "iso");
        assert_eq!(tables["asset"].len(), 1);
        assert_eq!(tables["control_record"].len(), 1);
        assert_eq!(tables["control_record"][0]["id"], "iso:A.5.1");
    }
}
