//! The audit trail's hash chain. Each event commits to the previous one, so altering, removing or
//! reordering a stored event breaks every link after it; `verify` finds the first broken one.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of an organisation's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// 1, 2, 3, … per organisation, without gaps.
    pub seq: u64,
    /// Who acted: `user:alice`, `operator:admin`, `system`.
    pub actor: String,
    /// The operation, e.g. `asset.create`.
    pub operation: String,
    /// What was changed, e.g. `asset:0197…`.
    pub entity: String,
    /// SHA-256 of the canonical JSON of the entity's new state.
    pub state_digest: String,
    /// RFC 3339 time of the change.
    pub at: String,
    pub prev_hash: String,
    pub hash: String,
}

/// JSON with object keys sorted at every depth, so equal states always hash equally whatever
/// order a map came back in.
pub fn canonical_json(value: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).expect("a string serialises"));
                    out.push(':');
                    write(&map[*k], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn state_digest(state: &Value) -> String {
    sha256_hex(canonical_json(state).as_bytes())
}

/// The hash an event must carry, computed from every other field.
pub fn event_hash(
    seq: u64,
    actor: &str,
    operation: &str,
    entity: &str,
    state_digest: &str,
    at: &str,
    prev_hash: &str,
) -> String {
    let body = serde_json::json!({
        "seq": seq, "actor": actor, "operation": operation, "entity": entity,
        "state_digest": state_digest, "at": at, "prev_hash": prev_hash,
    });
    sha256_hex(canonical_json(&body).as_bytes())
}

impl AuditEvent {
    /// Builds the event that follows `prev` (None for the first event).
    pub fn next(
        prev: Option<(u64, &str)>,
        actor: &str,
        operation: &str,
        entity: &str,
        state: &Value,
        at: &str,
    ) -> AuditEvent {
        let (seq, prev_hash) = match prev {
            Some((seq, hash)) => (seq + 1, hash.to_string()),
            None => (1, GENESIS.to_string()),
        };
        let state_digest = state_digest(state);
        let hash = event_hash(seq, actor, operation, entity, &state_digest, at, &prev_hash);
        AuditEvent {
            seq,
            actor: actor.into(),
            operation: operation.into(),
            entity: entity.into(),
            state_digest,
            at: at.into(),
            prev_hash,
            hash,
        }
    }

    pub fn expected_hash(&self) -> String {
        event_hash(
            self.seq,
            &self.actor,
            &self.operation,
            &self.entity,
            &self.state_digest,
            &self.at,
            &self.prev_hash,
        )
    }
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub seq: u64,
    pub reason: String,
}

/// Walks events in order, carrying the state between batches so long chains can be streamed.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_seq: u64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
        }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, event: &AuditEvent) -> Result<(), BrokenLink> {
        if event.seq != self.expected_seq {
            return Err(BrokenLink {
                seq: self.expected_seq,
                reason: format!(
                    "event {} is missing (found {} next)",
                    self.expected_seq, event.seq
                ),
            });
        }
        if event.prev_hash != self.prev_hash {
            return Err(BrokenLink {
                seq: event.seq,
                reason: "its prev_hash does not match the hash of the event before it".into(),
            });
        }
        if event.expected_hash() != event.hash {
            return Err(BrokenLink {
                seq: event.seq,
                reason: "its contents do not match its hash (the event was altered)".into(),
            });
        }
        self.expected_seq += 1;
        self.prev_hash = event.hash.clone();
        Ok(())
    }

    /// How many events have been verified so far.
    pub fn verified(&self) -> u64 {
        self.expected_seq - 1
    }

    /// The last verified hash, to compare with the stored chain head.
    pub fn head(&self) -> &str {
        &self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: u64) -> Vec<AuditEvent> {
        let mut out: Vec<AuditEvent> = Vec::new();
        for i in 0..n {
            let prev = out.last().map(|e| (e.seq, e.hash.as_str()));
            let e = AuditEvent::next(
                prev,
                "user:alice",
                "asset.update",
                "asset:a",
                &json!({"i": i}),
                "2026-01-01T00:00:00Z",
            );
            out.push(e);
        }
        out
    }

    #[test]
    fn canonical_json_sorts_keys() {
        assert_eq!(
            canonical_json(&json!({"b": 1, "a": {"d": [1, "x"], "c": null}})),
            r#"{"a":{"c":null,"d":[1,"x"]},"b":1}"#
        );
        assert_eq!(
            state_digest(&json!({"a": 1, "b": 2})),
            state_digest(&json!({"b": 2, "a": 1}))
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        let mut v = ChainVerifier::default();
        for e in chain(5) {
            v.check(&e).unwrap();
        }
        assert_eq!(v.verified(), 5);
    }

    #[test]
    fn tampering_is_found_where_it_happened() {
        let mut events = chain(5);
        events[2].actor = "user:mallory".into();
        let mut v = ChainVerifier::default();
        let broken = events.iter().try_for_each(|e| v.check(e)).unwrap_err();
        assert_eq!(broken.seq, 3);
        assert!(broken.reason.contains("altered"));

        let mut events = chain(5);
        events.remove(1);
        let mut v = ChainVerifier::default();
        let broken = events.iter().try_for_each(|e| v.check(e)).unwrap_err();
        assert_eq!(broken.seq, 2);

        // Recomputing the hash of an altered event does not help: the next link breaks.
        let mut events = chain(5);
        events[2].actor = "user:mallory".into();
        events[2].hash = events[2].expected_hash();
        let mut v = ChainVerifier::default();
        let broken = events.iter().try_for_each(|e| v.check(e)).unwrap_err();
        assert_eq!(broken.seq, 4);
    }
}
