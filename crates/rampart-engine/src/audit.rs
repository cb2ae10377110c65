//! Reading, verifying and watching the audit trail.

use std::time::Duration;

use rampart_authz::Resource;
use rampart_domain::audit::AuditEvent;
use rampart_store::{Database, audit};
use tokio::sync::mpsc;

use crate::{Caller, Engine, EngineError, page_size};

#[derive(Debug, Clone)]
pub struct ChainReport {
    pub intact: bool,
    pub verified: u64,
    pub broken_seq: u64,
    pub reason: String,
}

/// How often a watcher looks for events written by other server processes.
const WATCH_POLL: Duration = Duration::from_millis(500);

impl Engine {
    async fn trail(
        &self,
        caller: &Caller,
        org: &str,
        system: bool,
        action: &str,
    ) -> Result<Database, EngineError> {
        if system {
            self.authorize(
                caller,
                action,
                &Resource::AuditTrail {
                    organisation: String::new(),
                },
            )?;
            return Ok(self.store.system().clone());
        }
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, action, &Resource::AuditTrail { organisation: org })?;
        Ok(db)
    }

    pub async fn list_events(
        &self,
        caller: &Caller,
        org: &str,
        after_seq: u64,
        entity: &str,
        page: u32,
    ) -> Result<Vec<AuditEvent>, EngineError> {
        let db = self.trail(caller, org, false, "audit.read").await?;
        let size = page_size(page);
        if entity.trim().is_empty() {
            Ok(audit::after(&db, after_seq, size).await?)
        } else {
            let mut events = audit::for_entity(&db, entity.trim(), 100_000).await?;
            events.retain(|e| e.seq > after_seq);
            events.sort_by_key(|e| e.seq);
            events.truncate(size);
            Ok(events)
        }
    }

    /// Walks the organisation's chain (or the system's) and reports the first broken link.
    pub async fn verify_chain(
        &self,
        caller: &Caller,
        org: &str,
        system: bool,
    ) -> Result<ChainReport, EngineError> {
        let db = self.trail(caller, org, system, "audit.verify").await?;
        let v = audit::verify(&db).await?;
        Ok(match v.broken {
            None => ChainReport {
                intact: true,
                verified: v.verified,
                broken_seq: 0,
                reason: String::new(),
            },
            Some(b) => ChainReport {
                intact: false,
                verified: v.verified,
                broken_seq: b.seq,
                reason: b.reason,
            },
        })
    }

    /// Events after `after_seq`, then each new one as it commits, until the receiver is dropped.
    pub async fn watch(
        &self,
        caller: &Caller,
        org: &str,
        after_seq: u64,
    ) -> Result<mpsc::Receiver<Result<AuditEvent, EngineError>>, EngineError> {
        let db = self.trail(caller, org, false, "audit.read").await?;
        let (tx, rx) = mpsc::channel(256);
        let mut woken = db.subscribe();
        tokio::spawn(async move {
            let mut cursor = after_seq;
            loop {
                let batch = match audit::after(&db, cursor, 500).await {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
                let caught_up = batch.len() < 500;
                for e in batch {
                    cursor = e.seq;
                    if tx.send(Ok(e)).await.is_err() {
                        return;
                    }
                }
                if caught_up {
                    tokio::select! {
                        _ = woken.recv() => {}
                        _ = tokio::time::sleep(WATCH_POLL) => {}
                        _ = tx.closed() => return,
                    }
                }
            }
        });
        Ok(rx)
    }
}
