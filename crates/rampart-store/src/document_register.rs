//! The document register in memory: every document of an organisation with its versions in
//! force (the published one and the newest), kept in step with every commit, so that a list
//! never reads the database after the first.
//!
//! Reading 10,000 documents from SurrealDB for a list costs 250 ms or more (about 4 µs a row
//! before anything is done with it); a list over this register costs what deciding and answering
//! cost. It is kept only where this process is the database's sole writer (an embedded store),
//! since it learns of changes from [`Database::commit`](crate::Database::commit): each committed
//! change hands over the documents it wrote, in commit order. What it cannot follow — a restore,
//! a commit whose outcome is unknown — drops it, and the next list loads it again.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, RwLock};

use rampart_domain::document::Document;

/// The most a register may weigh, in estimated bytes; a larger one is not kept and lists read
/// pages from the database instead.
pub(crate) const REGISTER_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Default)]
pub(crate) struct DocumentRegister {
    state: RwLock<State>,
    /// One load at a time; the others wait for it instead of reading the same documents.
    pub(crate) loading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    documents: Option<BTreeMap<String, Arc<Document>>>,
    /// Bumped whenever the register is dropped: a load begun before is not kept.
    epoch: u64,
    /// While a load reads the database: the documents committed meanwhile, in commit order, laid
    /// over what the load read (which may or may not have seen them).
    during_load: Option<Vec<Arc<Document>>>,
    /// The register outgrew [`REGISTER_BYTES`]: not loaded again (documents are never removed).
    oversized: bool,
}

/// A document as the register holds it: only its versions in force, in number order.
pub(crate) fn in_force(doc: &Document) -> Document {
    let mut numbers: Vec<u32> = doc
        .published()
        .into_iter()
        .chain(doc.versions.last())
        .map(|v| v.number)
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut out = doc.clone();
    out.versions.retain(|v| numbers.contains(&v.number));
    out
}

fn weight(doc: &Document) -> u64 {
    1024 + 512 * doc.versions.len() as u64
}

impl DocumentRegister {
    /// Documents after `after` in key order that `keep` accepts, at most `limit`; None when the
    /// register is not loaded.
    pub(crate) fn range(
        &self,
        after: &str,
        limit: usize,
        keep: impl Fn(&Document) -> bool,
    ) -> Option<Vec<Arc<Document>>> {
        let state = self.state.read().expect("register");
        let documents = state.documents.as_ref()?;
        let from = if after.is_empty() {
            Bound::Unbounded
        } else {
            Bound::Excluded(after.to_string())
        };
        Some(
            documents
                .range((from, Bound::Unbounded))
                .map(|(_, d)| d)
                .filter(|d| keep(d))
                .take(limit)
                .cloned()
                .collect(),
        )
    }

    pub(crate) fn is_loaded(&self) -> bool {
        self.state.read().expect("register").documents.is_some()
    }

    pub(crate) fn oversized(&self) -> bool {
        self.state.read().expect("register").oversized
    }

    /// Starts a load: returns the epoch to hand to [`DocumentRegister::loaded`].
    pub(crate) fn begin_load(&self) -> u64 {
        let mut state = self.state.write().expect("register");
        state.during_load = Some(Vec::new());
        state.epoch
    }

    /// Ends a load with what it read (None: it failed). Kept unless the register was dropped
    /// meanwhile or is too large; the documents committed during the load are laid over it.
    pub(crate) fn loaded(&self, epoch: u64, read: Option<Vec<Document>>) {
        let mut state = self.state.write().expect("register");
        let committed = state.during_load.take().unwrap_or_default();
        let Some(read) = read else { return };
        if state.epoch != epoch {
            return;
        }
        let mut documents: BTreeMap<String, Arc<Document>> = read
            .into_iter()
            .map(|d| (d.id.clone(), Arc::new(d)))
            .collect();
        for d in committed {
            documents.insert(d.id.clone(), d);
        }
        if documents.values().map(|d| weight(d)).sum::<u64>() > REGISTER_BYTES {
            state.oversized = true;
            return;
        }
        state.documents = Some(documents);
    }

    /// The documents a committed change wrote (as [`in_force`] shapes them), in commit order.
    pub(crate) fn committed(&self, written: &[Arc<Document>]) {
        if written.is_empty() {
            return;
        }
        let mut state = self.state.write().expect("register");
        if let Some(pending) = state.during_load.as_mut() {
            pending.extend(written.iter().cloned());
        }
        if let Some(documents) = state.documents.as_mut() {
            for d in written {
                documents.insert(d.id.clone(), d.clone());
            }
        }
    }

    /// Forgets everything: the database changed in a way the register cannot follow.
    pub(crate) fn drop_all(&self) {
        let mut state = self.state.write().expect("register");
        state.documents = None;
        state.during_load = None;
        state.epoch += 1;
    }
}
