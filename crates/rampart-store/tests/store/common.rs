//! What several store tests share.

use rampart_domain::audit::AuditEvent;
use rampart_store::bundle::Snapshot;
use rampart_store::{Store, StoreOptions};

/// A store in memory.
pub async fn memory() -> Store {
    Store::open(&StoreOptions {
        url: "mem://".into(),
        ..Default::default()
    })
    .await
    .unwrap()
}

/// Opens the embedded store in `dir`, waiting for a previous handle's background shutdown to
/// release its lock (a test that reopens a database drops the store first).
pub async fn open_in(dir: &tempfile::TempDir) -> Store {
    let options = StoreOptions {
        url: format!("surrealkv://{}", dir.path().join("db").display()),
        ..Default::default()
    };
    for _ in 0..100 {
        match Store::open(&options).await {
            Ok(s) => return s,
            Err(e) if e.to_string().contains("locked") => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the store stayed locked");
}

/// The event an import of snapshot `s` as organisation `copy` chains after its events.
pub fn import_event(s: &Snapshot) -> AuditEvent {
    let last = s.events.last().unwrap();
    AuditEvent::next(
        Some((last.seq, &last.hash)),
        "operator:root",
        "organisation.import",
        "organisation:copy",
        &serde_json::json!({}),
        "2026-11-29T00:00:00.000000Z",
    )
}
