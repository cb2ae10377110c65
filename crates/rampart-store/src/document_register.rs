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

pub(crate) struct DocumentRegister {
    state: RwLock<State>,
    /// The documents written or read lately, as [`in_force`] shapes them, whether or not the
    /// whole register is loaded: a revision starts from here instead of reading the database.
    /// Kept in step like the register (under its lock) and dropped with it.
    recent: quick_cache::sync::Cache<String, Arc<Document>, ByWeight>,
    /// One load at a time; the others wait for it instead of reading the same documents.
    pub(crate) loading: tokio::sync::Mutex<()>,
    /// The most it may weigh: [`REGISTER_BYTES`] but in tests.
    budget: u64,
}

/// The most the recent documents weigh, in estimated bytes, and how many they are expected to be.
const RECENT_BYTES: u64 = 16 * 1024 * 1024;
const RECENT_DOCUMENTS: usize = 4096;

#[derive(Clone)]
struct ByWeight;

impl quick_cache::Weighter<String, Arc<Document>> for ByWeight {
    fn weight(&self, _: &String, doc: &Arc<Document>) -> u64 {
        weight(doc)
    }
}

impl Default for DocumentRegister {
    fn default() -> Self {
        DocumentRegister {
            state: RwLock::default(),
            recent: quick_cache::sync::Cache::with_weighter(
                RECENT_DOCUMENTS,
                RECENT_BYTES,
                ByWeight,
            ),
            loading: tokio::sync::Mutex::default(),
            budget: REGISTER_BYTES,
        }
    }
}

#[derive(Default)]
struct State {
    documents: Option<BTreeMap<String, Arc<Document>>>,
    /// Bumped whenever the register is dropped: a load begun before is not kept.
    epoch: u64,
    /// While a load reads the database: the documents committed meanwhile, in commit order, laid
    /// over what the load read (which may or may not have seen them).
    during_load: Option<Vec<Arc<Document>>>,
    /// The estimated weight of `documents`.
    bytes: u64,
    /// Bumped by every commit that wrote documents and every drop: a document read from the
    /// database is remembered only if none came between (see [`DocumentRegister::remember`]).
    commits: u64,
    /// The register outgrew its budget: not loaded again (documents are never removed).
    oversized: bool,
}

/// The numbers of a document's versions in force, in order: its published version's and its
/// newest's (once if they are one).
pub(crate) fn in_force_numbers(published: Option<u32>, newest: Option<u32>) -> Vec<u32> {
    let mut numbers: Vec<u32> = published.into_iter().chain(newest).collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

/// A document as the register holds it: only its versions in force, in number order.
pub(crate) fn in_force(doc: &Document) -> Document {
    let numbers = in_force_numbers(
        doc.published().map(|v| v.number),
        doc.versions.last().map(|v| v.number),
    );
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

    /// One document with its versions in force, if it is held: from the whole register when it
    /// is loaded, else from the recent documents.
    pub(crate) fn document(&self, id: &str) -> Option<Arc<Document>> {
        let state = self.state.read().expect("register");
        if let Some(doc) = state.documents.as_ref().and_then(|d| d.get(id)) {
            return Some(doc.clone());
        }
        self.recent.get(id)
    }

    /// The count to hand to [`DocumentRegister::remember`] for a read about to begin.
    pub(crate) fn commits(&self) -> u64 {
        self.state.read().expect("register").commits
    }

    /// Keeps a document (as [`in_force`] shapes it) read from the database when the read began
    /// at `commits` and no commit that wrote documents has happened since: otherwise the read may
    /// be older than what the register holds, and is not kept.
    pub(crate) fn remember(&self, commits: u64, doc: Document) {
        let state = self.state.read().expect("register");
        if state.commits == commits {
            self.recent.insert(doc.id.clone(), Arc::new(doc));
        }
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
        let bytes = documents.values().map(|d| weight(d)).sum::<u64>();
        if bytes > self.budget {
            state.oversized = true;
            return;
        }
        state.documents = Some(documents);
        state.bytes = bytes;
    }

    /// The documents a committed change wrote (as [`in_force`] shapes them), in commit order.
    pub(crate) fn committed(&self, written: &[Arc<Document>]) {
        if written.is_empty() {
            return;
        }
        let mut state = self.state.write().expect("register");
        state.commits += 1;
        for d in written {
            self.recent.insert(d.id.clone(), d.clone());
        }
        if let Some(pending) = state.during_load.as_mut() {
            pending.extend(written.iter().cloned());
        }
        let mut bytes = state.bytes;
        if let Some(documents) = state.documents.as_mut() {
            for d in written {
                bytes += weight(d);
                if let Some(old) = documents.insert(d.id.clone(), d.clone()) {
                    bytes -= weight(&old);
                }
            }
        }
        state.bytes = bytes;
        if bytes > self.budget {
            state.documents = None;
            state.oversized = true;
        }
    }

    /// Forgets everything: the database changed in a way the register cannot follow.
    pub(crate) fn drop_all(&self) {
        let mut state = self.state.write().expect("register");
        state.documents = None;
        state.bytes = 0;
        state.during_load = None;
        state.epoch += 1;
        state.commits += 1;
        self.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_domain::document::{DocumentFields, VersionStatus};

    /// A document with `versions` versions, the `published` one (if not 0) published.
    fn document(id: &str, versions: u32, published: usize) -> Document {
        let fields = DocumentFields {
            kind: "procedure".into(),
            title: id.into(),
            owner: "maria".into(),
            classification: "internal".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let at = "2026-11-29T00:00:00.000000Z";
        let mut doc = Document::new(id.into(), fields, at);
        for n in 1..=versions {
            doc.revise("maria", at, "v", format!("{id}{n}"), 1, vec![])
                .unwrap();
        }
        if published > 0 {
            doc.versions[published - 1].status = VersionStatus::Published;
        }
        doc
    }

    fn numbers(doc: &Document) -> Vec<u32> {
        doc.versions.iter().map(|v| v.number).collect()
    }

    fn listed(register: &DocumentRegister) -> Option<Vec<(String, Vec<u32>)>> {
        let docs = register.range("", usize::MAX, |_| true)?;
        Some(docs.iter().map(|d| (d.id.clone(), numbers(d))).collect())
    }

    #[test]
    fn a_document_in_force_keeps_its_published_and_newest_versions() {
        assert_eq!(numbers(&in_force(&document("a", 5, 2))), [2, 5]);
        assert_eq!(numbers(&in_force(&document("a", 5, 5))), [5]);
        assert_eq!(numbers(&in_force(&document("a", 5, 0))), [5]);
        assert_eq!(numbers(&in_force(&document("a", 0, 0))), Vec::<u32>::new());
    }

    #[test]
    fn commits_during_a_load_are_laid_over_what_it_read() {
        let register = DocumentRegister::default();
        assert!(listed(&register).is_none(), "not loaded");
        let epoch = register.begin_load();
        // "b" revised and "c" created while the load reads; the load saw "b" as it was.
        register.committed(&[Arc::new(in_force(&document("b", 2, 1)))]);
        register.committed(&[Arc::new(in_force(&document("c", 1, 0)))]);
        register.loaded(epoch, Some(vec![document("a", 1, 1), document("b", 1, 1)]));
        assert_eq!(
            listed(&register).unwrap(),
            [
                ("a".to_string(), vec![1]),
                ("b".to_string(), vec![1, 2]),
                ("c".to_string(), vec![1])
            ]
        );
        // After the load, commits update it in place.
        register.committed(&[Arc::new(in_force(&document("a", 3, 1)))]);
        assert_eq!(listed(&register).unwrap()[0], ("a".to_string(), vec![1, 3]));
        let after_a = register.range("a", 1, |_| true).unwrap();
        assert_eq!(after_a[0].id, "b", "keyset paging after a key");
    }

    #[test]
    fn a_load_overtaken_by_a_restore_is_not_kept() {
        let register = DocumentRegister::default();
        let epoch = register.begin_load();
        register.drop_all();
        register.loaded(epoch, Some(vec![document("a", 1, 1)]));
        assert!(listed(&register).is_none());
        // A failed load keeps nothing either, and the next one starts clean.
        let epoch = register.begin_load();
        register.committed(&[Arc::new(in_force(&document("x", 1, 0)))]);
        register.loaded(epoch, None);
        assert!(listed(&register).is_none());
        let epoch = register.begin_load();
        register.loaded(epoch, Some(vec![document("a", 1, 1)]));
        assert_eq!(listed(&register).unwrap(), [("a".to_string(), vec![1])]);
        register.drop_all();
        assert!(listed(&register).is_none(), "dropped");
    }

    #[test]
    fn a_register_over_its_budget_is_not_kept_and_is_marked_oversized() {
        let register = DocumentRegister {
            budget: 3 * 1024,
            ..Default::default()
        };
        let epoch = register.begin_load();
        let three: Vec<Document> = ["a", "b", "c"].map(|id| document(id, 1, 1)).into();
        register.loaded(epoch, Some(three));
        assert!(listed(&register).is_none());
        assert!(register.oversized());
        // One that grows past it by commits is dropped.
        let register = DocumentRegister {
            budget: 3 * 1024,
            ..Default::default()
        };
        let epoch = register.begin_load();
        register.loaded(epoch, Some(vec![document("a", 1, 1)]));
        register.committed(&[Arc::new(in_force(&document("a", 2, 1)))]);
        assert!(
            listed(&register).is_some(),
            "a revision weighs a version more"
        );
        register.committed(&[Arc::new(in_force(&document("b", 1, 1)))]);
        assert!(listed(&register).is_none());
        assert!(register.oversized());
    }
}
