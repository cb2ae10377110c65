//! Reading the audit trail and walking its chain.

use rampart_domain::audit::{AuditEvent, BrokenLink, ChainVerifier};
use serde_json::Value;

use crate::json::{from_rows, vars};
use crate::{Database, StoreError};

/// Events with `seq` > `after`, oldest first.
pub async fn after(db: &Database, after: u64, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
    let q = "SELECT * FROM audit_event WHERE id > type::record('audit_event', $after) ORDER BY id LIMIT $limit";
    let mut events: Vec<AuditEvent> = from_rows(
        db.rows(
            q,
            vars([("after", Value::from(after)), ("limit", Value::from(limit))]),
            0,
        )
        .await?,
    )?;
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

/// Events about one entity (e.g. `asset:…`), oldest first. A risk's include the batches that
/// assessed it (their one event names the batch, each assessment record names the event's entity).
pub async fn for_entity(
    db: &Database,
    entity: &str,
    limit: usize,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut entities = vec![entity.to_string()];
    if let Some(risk) = entity.strip_prefix("risk:") {
        for b in crate::risks::assessed_by(db, risk).await? {
            if !entities.contains(&b) {
                entities.push(b);
            }
        }
    }
    let q = "SELECT * FROM audit_event WHERE entity = $e ORDER BY id LIMIT $limit";
    let mut events: Vec<AuditEvent> = Vec::new();
    for e in &entities {
        events.extend(from_rows::<AuditEvent>(
            db.rows(
                q,
                vars([
                    ("e", Value::from(e.as_str())),
                    ("limit", Value::from(limit)),
                ]),
                0,
            )
            .await?,
        )?);
    }
    events.sort_by_key(|e| e.seq);
    events.truncate(limit);
    Ok(events)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub verified: u64,
    pub head_seq: u64,
    pub broken: Option<BrokenLink>,
}

/// Walks the whole chain in batches and reports the first broken link, if any. The stored head
/// must match the last event, so truncating the trail is detected too.
pub async fn verify(db: &Database) -> Result<Verification, StoreError> {
    const BATCH: usize = 1000;
    let head = db.head().await?;
    let mut v = ChainVerifier::default();
    let mut last = 0;
    loop {
        let batch = after(db, last, BATCH).await?;
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            if let Err(broken) = v.check(e) {
                return Ok(Verification {
                    verified: v.verified(),
                    head_seq: head.map(|h| h.0).unwrap_or(0),
                    broken: Some(broken),
                });
            }
            last = e.seq;
        }
    }
    let head_seq = head.as_ref().map(|h| h.0).unwrap_or(0);
    let broken = match &head {
        Some((seq, hash)) if *seq != v.verified() || hash != v.head() => Some(BrokenLink {
            seq: v.verified() + 1,
            reason: format!(
                "the chain head names event {seq}, but the trail ends at event {}",
                v.verified()
            ),
        }),
        None if v.verified() > 0 => Some(BrokenLink {
            seq: 0,
            reason: "the chain head is missing".into(),
        }),
        _ => None,
    };
    Ok(Verification {
        verified: v.verified(),
        head_seq,
        broken,
    })
}
