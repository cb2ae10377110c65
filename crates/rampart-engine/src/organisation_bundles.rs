//! Moving an organisation between installations: export every record and the audit trail as a
//! verifiable bundle (`rampart_domain::bundle`), import it as a new organisation elsewhere.

use rampart_authz::Resource;
use rampart_domain::Invalid;
use rampart_domain::audit::AuditEvent;
use rampart_domain::bundle::{self, Bundle, EXPORT_OPERATION, IMPORT_OPERATION};
use rampart_domain::organisation::organisation_id;
use rampart_store::bundle::{self as store, Snapshot};
use rampart_store::{Change, organisations};

use crate::{Caller, Engine, EngineError};

/// An exported bundle and what the exporter tells the receiver.
#[derive(Debug, Clone)]
pub struct ExportedBundle {
    /// The bundle as JSON.
    pub bytes: Vec<u8>,
    pub records: usize,
    pub events: u64,
    /// The hash the receiver passes to import to be sure nobody rewrote the bundle.
    pub head: String,
    pub content_digest: String,
}

#[derive(Debug, Clone)]
pub struct ImportedBundle {
    pub organisation: rampart_domain::organisation::Organisation,
    pub records: usize,
    /// Events in the trail after the import (the bundle's, and the import's own).
    pub events: u64,
    pub exported_by: String,
    pub exported_at: String,
    pub framework: String,
}

/// How often an export is retried when the organisation changed while it was being read.
const EXPORT_ATTEMPTS: usize = 5;

impl Engine {
    /// Exports an organisation (or, with `framework`, that framework's work and what every
    /// framework shares). The export itself is recorded in the organisation's trail.
    pub async fn export_organisation(
        &self,
        caller: &Caller,
        org: &str,
        framework: &str,
    ) -> Result<ExportedBundle, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(
            caller,
            "organisation.export",
            &Resource::Organisation { id: org.clone() },
        )?;
        let organisation = organisations::get(self.store.system(), &org)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("organisation {org}")))?;
        let framework = framework.trim().to_string();
        for _ in 0..EXPORT_ATTEMPTS {
            let Snapshot { mut tables, events } = store::snapshot(&db).await?;
            if !framework.is_empty() {
                let installed = tables.get("framework").is_some_and(|rows| {
                    rows.iter()
                        .any(|r| r.get("id").and_then(|i| i.as_str()) == Some(&framework))
                });
                if !installed {
                    return Err(EngineError::NotFound(format!(
                        "framework {framework} in organisation {org} (rampart framework list shows what is installed)"
                    )));
                }
                bundle::select_framework(&mut tables, &framework);
            }
            let digest = bundle::content_digest(&organisation, &framework, &tables);
            let records: usize = tables.values().map(Vec::len).sum();
            let mut change = Change::new();
            change.record(
                &caller.actor(),
                EXPORT_OPERATION,
                format!("organisation:{org}"),
                bundle::export_state(&digest, &framework, records),
            );
            let committed = db.commit(change).await?;
            let export = committed
                .into_iter()
                .next()
                .ok_or_else(|| EngineError::Internal("the export event was not recorded".into()))?;
            // Another change committed between the read and the export event: its records are
            // not in this snapshot, so read again (the extra export event is harmless history).
            if export.seq != events.last().map(|e| e.seq).unwrap_or(0) + 1 {
                tracing::debug!(org, "organisation changed during export; reading again");
                continue;
            }
            let mut audit_events = events;
            audit_events.push(export.clone());
            let b = Bundle {
                format: bundle::FORMAT.into(),
                format_version: bundle::FORMAT_VERSION,
                schema_version: rampart_store::SCHEMA_VERSION,
                organisation: organisation.clone(),
                framework: framework.clone(),
                tables,
                audit_events,
                content_digest: digest.clone(),
            };
            let bytes = serde_json::to_vec(&b)
                .map_err(|e| EngineError::Internal(format!("bundle: {e}")))?;
            return Ok(ExportedBundle {
                bytes,
                records,
                events: export.seq,
                head: export.hash,
                content_digest: digest,
            });
        }
        Err(EngineError::Conflict(format!(
            "organisation {org} kept changing while it was exported; try again when it is quieter"
        )))
    }

    /// Imports a bundle as a new organisation (`as_id`, or the bundle's own id): verified first,
    /// written in one transaction, then the organisation is created. `expected_head` is the hash
    /// the exporter printed (optional, but only it proves nobody rewrote the bundle).
    pub async fn import_organisation(
        &self,
        caller: &Caller,
        bytes: &[u8],
        as_id: &str,
        expected_head: &str,
    ) -> Result<ImportedBundle, EngineError> {
        let b: Bundle = serde_json::from_slice(bytes).map_err(|e| {
            Invalid::new(
                "bundle",
                format!(
                    "not a readable organisation bundle ({e}); export one with `rampart org export`"
                ),
            )
        })?;
        let verified = b.verify(expected_head)?;
        let id = match as_id.trim() {
            "" => b.organisation.id.clone(),
            other => organisation_id(other)?,
        };
        self.authorize(
            caller,
            "organisation.import",
            &Resource::Organisation { id: id.clone() },
        )?;
        // A bundle from an older Rampart is written as it was and then taken through the
        // migrations since, as a database of that version would be; a newer one is refused.
        if b.schema_version > rampart_store::SCHEMA_VERSION || b.schema_version < 1 {
            return Err(EngineError::FailedPrecondition(format!(
                "the bundle was exported at schema version {}, this Rampart is at {}: import it with a Rampart at least as new as the exporter",
                b.schema_version,
                rampart_store::SCHEMA_VERSION
            )));
        }
        if organisations::get(self.store.system(), &id)
            .await?
            .is_some()
        {
            return Err(EngineError::AlreadyExists(format!(
                "organisation {id} (import under another id with --as)"
            )));
        }
        let db = self.store.organisation(&id).await?;
        if !store::is_empty(&db).await? {
            return Err(EngineError::FailedPrecondition(format!(
                "the database for {id} holds records although no organisation {id} exists (an interrupted import?): import under another id with --as"
            )));
        }
        let last = b.audit_events.last().expect("a verified bundle has events");
        let imported = AuditEvent::next(
            Some((last.seq, &last.hash)),
            &caller.actor(),
            IMPORT_OPERATION,
            &format!("organisation:{id}"),
            &serde_json::json!({
                "from": b.organisation.id,
                "content_digest": b.content_digest,
                "bundle_head": last.hash,
            }),
            &rampart_store::now(),
        );
        let mut snapshot = Snapshot {
            tables: b.tables,
            events: b.audit_events,
        };
        store::reshape(&mut snapshot, b.schema_version)?;
        store::restore(&db, &snapshot, &imported).await?;
        if let Err(e) = store::upgrade(&db, b.schema_version).await {
            if let Err(undo) = store::clear(&db).await {
                tracing::error!(org = %id, %undo, "could not clear an import whose upgrade failed");
            }
            return Err(e.into());
        }
        // Name, size, scope, revision and times as exported: the same organisation, moved.
        let organisation = rampart_domain::organisation::Organisation {
            id: id.clone(),
            ..b.organisation
        };
        let mut change = Change::new();
        organisations::create(&mut change, &caller.actor(), &organisation);
        if let Err(e) = self.store.system().commit(change).await {
            // Without its organisation record the restored data is unreachable: take it back.
            if let Err(undo) = store::clear(&db).await {
                tracing::error!(org = %id, %undo, "could not clear an import whose organisation was not created");
            }
            return Err(e.into());
        }
        let check = rampart_store::audit::verify(&db).await?;
        if let Some(broken) = check.broken {
            return Err(EngineError::Internal(format!(
                "the imported trail does not verify at event {}: {}",
                broken.seq, broken.reason
            )));
        }
        Ok(ImportedBundle {
            organisation,
            records: verified.records,
            events: check.verified,
            exported_by: verified.exported_by,
            exported_at: verified.exported_at,
            framework: b.framework,
        })
    }
}
