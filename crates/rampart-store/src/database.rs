//! One SurrealDB database (the system's or an organisation's) and the one way to change it.

use std::any::Any as AnyValue;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rampart_domain::audit::AuditEvent;
use rampart_domain::document::Document;
use serde_json::{Map, Value};
use surrealdb::Surreal;
use surrealdb::engine::any::Any;
use tokio::sync::{Mutex, broadcast};

use crate::StoreError;
use crate::attachment_files::AttachmentFiles;
use crate::document_register::DocumentRegister;
use crate::json::vars;

/// A change to one database: SurrealQL statements over bound variables, and what the audit trail
/// records about it. Statements signal expected failures with `THROW "rampart:…"` (see [`Failure`]).
#[derive(Debug, Default)]
pub struct Change {
    pub statements: String,
    pub vars: Map<String, Value>,
    pub drafts: Vec<Draft>,
    /// The documents the change writes, as the document register holds them: handed to it
    /// once the change has committed.
    pub(crate) documents: Vec<Arc<Document>>,
    /// Attachments whose bytes the change destroys: where they are files (an embedded store),
    /// the files are overwritten and removed once the change has committed.
    pub(crate) destroyed_attachments: Vec<String>,
}

/// An audit event before it is chained: who did what to which entity, and its new state.
#[derive(Debug, Clone)]
pub struct Draft {
    pub actor: String,
    pub operation: String,
    pub entity: String,
    pub state: Value,
}

impl Change {
    pub fn new() -> Self {
        Change::default()
    }

    /// Appends statements; `prefix` keeps variable names of several parts apart.
    pub fn push(&mut self, statements: &str, vars: Map<String, Value>) -> &mut Self {
        self.statements.push_str(statements);
        self.statements.push('\n');
        self.vars.extend(vars);
        self
    }

    /// Appends everything `other` holds — statements, variables, audit drafts, the documents
    /// for the register and the attachments to destroy — after what this change holds.
    pub fn append(&mut self, other: Change) -> &mut Self {
        let Change {
            statements,
            vars,
            mut drafts,
            mut documents,
            mut destroyed_attachments,
        } = other;
        self.push(&statements, vars);
        self.drafts.append(&mut drafts);
        self.documents.append(&mut documents);
        self.destroyed_attachments
            .append(&mut destroyed_attachments);
        self
    }

    pub fn record(
        &mut self,
        actor: &str,
        operation: &str,
        entity: String,
        state: Value,
    ) -> &mut Self {
        self.drafts.push(Draft {
            actor: actor.into(),
            operation: operation.into(),
            entity,
            state,
        });
        self
    }
}

/// The chain head: the last event's sequence number and hash.
type Head = (u64, String);

/// How many times a commit is retried when another writer extended the chain first.
const CHAIN_RETRIES: usize = 50;

/// The most changes one group commit carries.
const GROUP_MAX: usize = 64;

type Reply = tokio::sync::oneshot::Sender<Result<Vec<AuditEvent>, StoreError>>;

#[derive(Clone)]
pub struct Database {
    db: Surreal<Any>,
    name: Arc<str>,
    /// Writers in this process queue here instead of racing for the chain head; writers in other
    /// processes are caught by the head check inside the transaction and retried.
    write_lock: Arc<Mutex<()>>,
    /// Changes waiting to be committed. Whoever holds `write_lock` commits everything waiting in
    /// one transaction (group commit), so concurrent writers share one fsync.
    pending: Arc<std::sync::Mutex<Vec<(Change, Reply)>>>,
    appended: broadcast::Sender<u64>,
    /// Bumped after every commit or restore this process makes: a cached read taken at an
    /// older generation is not used.
    generation: Arc<AtomicU64>,
    /// Per table a read may be kept for (see [`Database::cached_until_written`]): how many
    /// changes have named it.
    written: Arc<std::sync::RwLock<HashMap<&'static str, u64>>>,
    /// Reads kept until the next change (see [`Database::cached`]); `None` when another process
    /// may write the same database (a SurrealDB server), where nothing here would see its writes.
    cache: Option<Arc<ReadCache>>,
    /// The documents with their versions in force, kept in step with every commit (see
    /// [`crate::document_register`]); `None` where `cache` is.
    register: Option<Arc<DocumentRegister>>,
    /// Where attachment bytes are files instead of records (an embedded store).
    attachments: Option<Arc<AttachmentFiles>>,
    /// The chain head as this process last committed it, where it is the sole writer: a commit
    /// starts from it instead of reading it (the transaction still checks it, and a head that
    /// moved makes the commit read it and retry). Empty until the first commit or after a
    /// failed one or a restore.
    known_head: Option<Arc<std::sync::Mutex<Option<Head>>>>,
}

/// What one cached read holds: the generation it was read at, its estimated size in bytes and
/// the value.
type Cached = (u64, u64, Arc<dyn AnyValue + Send + Sync>);
type ReadCache = quick_cache::sync::Cache<String, Cached, BySize>;

/// Weighs a cached read by the size its reader estimated.
#[derive(Clone)]
struct BySize;

impl quick_cache::Weighter<String, Cached> for BySize {
    fn weight(&self, key: &String, value: &Cached) -> u64 {
        key.len() as u64 + value.1
    }
}

/// The most one database's cache holds, in estimated bytes, and how many reads that is expected
/// to be (a record or two of a few kilobytes each).
const CACHED_BYTES: u64 = 32 * 1024 * 1024;
const CACHED_READS: usize = 8_192;

impl Database {
    /// `sole_writer`: this process is the only one that can write the database (an embedded
    /// store: SurrealKV locks its directory, `mem://` is private), so its reads can be cached.
    /// `attachment_files`: the directory of an embedded store's attachment files.
    pub(crate) fn new(
        db: Surreal<Any>,
        name: String,
        sole_writer: bool,
        attachment_files: Option<&std::path::Path>,
    ) -> Database {
        let attachments = attachment_files.map(|dir| Arc::new(AttachmentFiles::new(dir, &name)));
        let (appended, _) = broadcast::channel(64);
        Database {
            db,
            name: name.into(),
            write_lock: Arc::default(),
            pending: Arc::default(),
            appended,
            generation: Arc::default(),
            written: Arc::default(),
            cache: sole_writer
                .then(|| Arc::new(ReadCache::with_weighter(CACHED_READS, CACHED_BYTES, BySize))),
            register: sole_writer.then(Arc::default),
            attachments,
            known_head: sole_writer.then(Arc::default),
        }
    }

    /// The value `load` reads, kept under `key` until this database next changes. Every change
    /// goes through [`Database::commit`] or a restore, and both bump the generation after they
    /// finish, so a value read before a change is never served after it: the generation is
    /// taken before reading, and an entry from an older generation is read again. Without a
    /// cache (another process may write) this is just `load`. `size` estimates a value's bytes:
    /// the cache holds at most 32 MiB of them per database, the least used going first.
    pub async fn cached<T, F, Fut>(
        &self,
        key: &str,
        size: impl FnOnce(&T) -> u64,
        load: F,
    ) -> Result<Arc<T>, StoreError>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let generation = self.generation.load(Ordering::Acquire);
        self.cached_at(key.to_string(), generation, size, load)
            .await
    }

    /// [`Database::cached`] for a read of one `table` alone (a settings record such as the
    /// classification scheme): kept until a change names the table, not until any change. A
    /// change writes a table only through statements that name it (`type::record('table', …)`;
    /// no statement takes a table's name from a variable), so a change whose statements do not
    /// contain the name leaves the read as it was. Every revision of a document used to read the
    /// scheme and the retention schedule again because another document had changed.
    pub async fn cached_until_written<T, F, Fut>(
        &self,
        key: &str,
        table: &'static str,
        size: impl FnOnce(&T) -> u64,
        load: F,
    ) -> Result<Arc<T>, StoreError>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let known = self
            .written
            .read()
            .expect("written tables")
            .get(table)
            .copied();
        let written = match known {
            Some(written) => written,
            None => *self
                .written
                .write()
                .expect("written tables")
                .entry(table)
                .or_default(),
        };
        self.cached_at(format!("until-written/{table}/{key}"), written, size, load)
            .await
    }

    /// The value under `key` if it was read at `generation`, else `load`'s, kept with it.
    async fn cached_at<T, F, Fut>(
        &self,
        key: String,
        generation: u64,
        size: impl FnOnce(&T) -> u64,
        load: F,
    ) -> Result<Arc<T>, StoreError>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let Some(cache) = &self.cache else {
            return load().await.map(Arc::new);
        };
        if let Some((read_at, _, value)) = cache.get(&key)
            && read_at == generation
            && let Ok(value) = value.downcast::<T>()
        {
            return Ok(value);
        }
        let value = Arc::new(load().await?);
        let bytes = size(&value);
        cache.insert(key, (generation, bytes, value.clone()));
        Ok(value)
    }

    /// Marks the reads of every table the statements name as old (see
    /// [`Database::cached_until_written`]), or of every table.
    fn tables_written(&self, statements: Option<&str>) {
        let mut written = self.written.write().expect("written tables");
        for (table, count) in written.iter_mut() {
            if statements.is_none_or(|s| s.contains(table)) {
                *count += 1;
            }
        }
    }

    /// The document register in memory, where this process is the database's sole writer.
    pub(crate) fn document_register(&self) -> Option<&DocumentRegister> {
        self.register.as_deref()
    }

    /// The attachment files, where attachment bytes are not records.
    pub(crate) fn attachment_files(&self) -> Option<&AttachmentFiles> {
        self.attachments.as_deref()
    }

    /// Marks every cached read as old and drops the document register: to be called after the
    /// database was written other than by [`Database::commit`] (a restore, its upgrade, a
    /// clearing, a statement run with [`Database::rows`] or on [`Database::surreal`]), which
    /// nothing kept in memory would otherwise follow.
    pub fn replaced(&self) {
        if let Some(register) = &self.register {
            register.drop_all();
        }
        self.forget_head();
        self.tables_written(None);
        self.changed();
    }

    fn forget_head(&self) {
        if let Some(known) = &self.known_head {
            *known.lock().expect("known head") = None;
        }
    }

    /// The head to chain after: the one this process committed last, or read.
    async fn head_to_chain(&self) -> Result<Option<Head>, StoreError> {
        if let Some(known) = &self.known_head
            && let Some(head) = known.lock().expect("known head").clone()
        {
            return Ok(Some(head));
        }
        self.head().await
    }

    /// Marks every cached read as old: called after anything that may have written.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn surreal(&self) -> &Surreal<Any> {
        &self.db
    }

    /// Sequence numbers of newly committed audit events in this process (for `Watch`).
    pub fn subscribe(&self) -> broadcast::Receiver<u64> {
        self.appended.subscribe()
    }

    /// Runs a read query and returns the rows of statement `index`.
    pub async fn rows(
        &self,
        query: &str,
        vars: Map<String, Value>,
        index: usize,
    ) -> Result<Vec<Value>, StoreError> {
        let mut res = self.db.query(query).bind(Value::Object(vars)).await?;
        first_error(&mut res)?;
        Ok(res.take(index)?)
    }

    /// Runs several statements in one round trip and returns the rows of the first `count`.
    pub async fn rows_of_each(
        &self,
        query: &str,
        vars: Map<String, Value>,
        count: usize,
    ) -> Result<Vec<Vec<Value>>, StoreError> {
        let mut res = self.db.query(query).bind(Value::Object(vars)).await?;
        first_error(&mut res)?;
        (0..count).map(|i| Ok(res.take(i)?)).collect()
    }

    /// Runs `query`, then the query `then` makes of its rows (if any), both in one read
    /// transaction: the second sees the database as the first did, whatever commits between
    /// them. For a read whose second half depends on the first's rows (a page of documents,
    /// then their versions by key), which one SurrealQL string could only express with
    /// closures costing several times the reads themselves. The reading runs in its own task,
    /// so a caller that goes away does not leave the transaction open.
    pub async fn read_then<F>(
        &self,
        query: &str,
        vars: Map<String, Value>,
        then: F,
    ) -> Result<(Vec<Value>, Vec<Value>), StoreError>
    where
        F: FnOnce(&[Value]) -> Option<(String, Map<String, Value>)> + Send + 'static,
    {
        let db = self.db.clone();
        let query = query.to_string();
        tokio::spawn(async move {
            let tx = db.begin().await?;
            let read = async {
                let first = Self::take_rows(tx.query(query).bind(Value::Object(vars)).await?)?;
                let second = match then(&first) {
                    Some((q, vars)) => {
                        Self::take_rows(tx.query(q).bind(Value::Object(vars)).await?)?
                    }
                    None => Vec::new(),
                };
                Ok::<_, StoreError>((first, second))
            }
            .await;
            // Nothing was written: cancelling ends the transaction either way.
            tx.cancel().await?;
            read
        })
        .await
        .map_err(|e| StoreError::Database(format!("the read was abandoned: {e}")))?
    }

    fn take_rows(mut res: surrealdb::IndexedResults) -> Result<Vec<Value>, StoreError> {
        first_error(&mut res)?;
        Ok(res.take(0)?)
    }

    pub async fn head(&self) -> Result<Option<Head>, StoreError> {
        let rows = self
            .rows("SELECT seq, hash FROM audit_head:chain", Map::new(), 0)
            .await?;
        Ok(rows.first().and_then(|r| {
            Some((
                r.get("seq")?.as_u64()?,
                r.get("hash")?.as_str()?.to_string(),
            ))
        }))
    }

    /// Commits `change` and its audit events in one transaction, chained after the current head.
    ///
    /// Concurrent callers are grouped: the change joins a queue, and whoever holds the write lock
    /// commits the whole queue as one transaction, so many writers pay for one fsync. If a group
    /// fails (one change names a stale revision, say), each change is committed alone, so every
    /// caller gets its own answer and no change fails because of another.
    pub async fn commit(&self, change: Change) -> Result<Vec<AuditEvent>, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pending
            .lock()
            .expect("pending commits")
            .push((change, tx));
        // The committing runs in its own task: a caller that goes away (a cancelled request)
        // must not abandon the other changes of its group half-way.
        let this = self.clone();
        tokio::spawn(async move {
            let _guard = this.write_lock.lock().await;
            loop {
                let batch: Vec<(Change, Reply)> = {
                    let mut queue = this.pending.lock().expect("pending commits");
                    let n = queue.len().min(GROUP_MAX);
                    queue.drain(..n).collect()
                };
                if batch.is_empty() {
                    break;
                }
                // How many changes shared a transaction and how long it took: the commit loop is
                // the writers' bottleneck (docs/benchmarks.md, session 13).
                let (n, t) = (batch.len(), std::time::Instant::now());
                this.commit_group(batch).await;
                tracing::debug!(db = %this.name, changes = n, ms = t.elapsed().as_secs_f64() * 1e3, "group committed");
            }
        });
        rx.await
            .unwrap_or_else(|_| Err(StoreError::Database("the commit was abandoned".into())))
    }

    async fn commit_group(&self, mut batch: Vec<(Change, Reply)>) {
        if batch.len() > 1 {
            let mut group = Change::new();
            let mut sizes = Vec::with_capacity(batch.len());
            for (i, (c, _)) in batch.iter().enumerate() {
                let (statements, vars) = namespaced(c, i);
                sizes.push(c.drafts.len());
                // Every field named, so a field added to `Change` does not compile until placed.
                group.append(Change {
                    statements,
                    vars,
                    drafts: c.drafts.clone(),
                    documents: c.documents.clone(),
                    destroyed_attachments: c.destroyed_attachments.clone(),
                });
            }
            if let Ok(mut events) = self.commit_one(&group).await {
                for ((_, reply), n) in batch.into_iter().zip(sizes) {
                    let rest = events.split_off(n.min(events.len()));
                    let _ = reply.send(Ok(std::mem::replace(&mut events, rest)));
                }
                return;
            }
        }
        for (c, reply) in batch.drain(..) {
            let _ = reply.send(self.commit_one(&c).await);
        }
    }

    /// Commits one change (retrying while other processes move the chain).
    async fn commit_one(&self, change: &Change) -> Result<Vec<AuditEvent>, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_commit(change).await {
                Err(Failure::Retry(why)) if attempt < CHAIN_RETRIES => {
                    tracing::debug!(db = %self.name, attempt, why, "retrying commit");
                    tokio::time::sleep(std::time::Duration::from_millis(attempt as u64)).await;
                }
                Err(Failure::Retry(why)) => {
                    return Err(StoreError::Conflict(format!(
                        "too much concurrent writing, try again ({why})"
                    )));
                }
                Err(Failure::Store(e)) => return Err(e),
                Ok(events) => {
                    if let Some(last) = events.last() {
                        let _ = self.appended.send(last.seq);
                    }
                    return Ok(events);
                }
            }
        }
    }

    async fn try_commit(&self, change: &Change) -> Result<Vec<AuditEvent>, Failure> {
        let head = self.head_to_chain().await.map_err(Failure::Store)?;
        let at = crate::now();
        let mut events: Vec<AuditEvent> = Vec::with_capacity(change.drafts.len());
        for d in &change.drafts {
            let prev = events
                .last()
                .map(|e| (e.seq, e.hash.as_str()))
                .or(head.as_ref().map(|(s, h)| (*s, h.as_str())));
            events.push(AuditEvent::next(
                prev,
                &d.actor,
                &d.operation,
                &d.entity,
                &d.state,
                &at,
            ));
        }
        let head_seq = head.as_ref().map(|h| h.0).unwrap_or(0);
        let mut q = String::with_capacity(change.statements.len() + 512);
        q.push_str("BEGIN TRANSACTION;\n");
        q.push_str(
            "IF (audit_head:chain.seq ?? 0) != $rampart_head { THROW 'rampart:chain-moved' };\n",
        );
        q.push_str(&change.statements);
        let mut bound = change.vars.clone();
        bound.extend(vars([("rampart_head", Value::from(head_seq))]));
        // All events in one INSERT over one array: a statement per event, each with its own
        // variable, made a 10,000-risk batch quadratic (every statement sees every variable), and
        // a FOR loop of CREATEs took twice as long as the INSERT (docs/benchmarks.md#risks).
        // INSERT without IGNORE fails on an existing id, as CREATE did.
        if !events.is_empty() {
            q.push_str("INSERT INTO audit_event $rampart_events RETURN NONE;\n");
            let rows: Vec<Value> = events
                .iter()
                .map(|e| {
                    let mut body = serde_json::to_value(e).expect("events serialise");
                    body.as_object_mut()
                        .expect("an event is an object")
                        .insert("id".into(), Value::from(e.seq));
                    body
                })
                .collect();
            bound.insert("rampart_events".into(), Value::Array(rows));
        }
        if let Some(last) = events.last() {
            // UPSERT of a record that exists fails its insert first (an error built and dropped
            // inside SurrealDB at every commit), so the head is created once, then updated.
            q.push_str(if head.is_some() {
                "UPDATE audit_head:chain CONTENT $rampart_new_head RETURN NONE;\n"
            } else {
                "CREATE audit_head:chain CONTENT $rampart_new_head RETURN NONE;\n"
            });
            bound.insert(
                "rampart_new_head".into(),
                serde_json::json!({"seq": last.seq, "hash": last.hash}),
            );
        }
        q.push_str("COMMIT TRANSACTION;");

        let res = self.db.query(q).bind(Value::Object(bound)).await;
        // Whatever the outcome, the cached reads are no longer trusted (a failed transaction
        // changed nothing, but an error on the way back does not prove that).
        self.tables_written(Some(&change.statements));
        self.changed();
        let mut res = match res {
            Ok(r) => r,
            Err(e) => {
                // Committed or not, nobody can say: the register cannot follow.
                if let Some(register) = &self.register {
                    register.drop_all();
                }
                self.forget_head();
                return Err(classify(&e.to_string()));
            }
        };
        let errors = res.take_errors();
        if errors.is_empty() {
            if let (Some(known), Some(last)) = (&self.known_head, events.last()) {
                *known.lock().expect("known head") = Some((last.seq, last.hash.clone()));
            }
            if let Some(register) = &self.register {
                register.committed(&change.documents);
            }
            if let Some(files) = &self.attachments
                && !change.destroyed_attachments.is_empty()
                && let Err(e) = files.destroy(&change.destroyed_attachments).await
            {
                // The records say destroyed; the next opening of the database finishes the job.
                tracing::warn!(db = %self.name, error = %e, "could not destroy attachment files");
            }
            return Ok(events);
        }
        // The head may have been the reason (another writer, or a restore): read it next time.
        self.forget_head();
        // The statement that failed first says why; the others only report the aborted transaction.
        let mut messages: Vec<(usize, String)> = errors
            .into_iter()
            .map(|(i, e)| (i, e.to_string()))
            .collect();
        messages.sort();
        let decisive = messages
            .iter()
            .find(|(_, m)| m.contains("rampart:") || !m.contains("not executed"))
            .unwrap_or(&messages[0]);
        Err(classify(&decisive.1))
    }
}

/// The error of the first statement that failed, if any did.
fn first_error(res: &mut surrealdb::IndexedResults) -> Result<(), StoreError> {
    match res.take_errors().into_iter().min_by_key(|(i, _)| *i) {
        Some((_, e)) => Err(StoreError::Database(e.to_string())),
        None => Ok(()),
    }
}

/// A change's statements and variables with every variable it binds or defines (`LET`, `FOR`)
/// renamed `$g{i}_…`, so that several changes can share one transaction.
fn namespaced(change: &Change, i: usize) -> (String, Map<String, Value>) {
    let text = &change.statements;
    let mut names: std::collections::HashSet<&str> =
        change.vars.keys().map(String::as_str).collect();
    for keyword in ["LET $", "FOR $"] {
        for (at, _) in text.match_indices(keyword) {
            let rest = &text[at + keyword.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            names.insert(&rest[..end]);
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text.as_str();
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        let after = &rest[at + 1..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..end];
        if names.contains(name) {
            out.push_str(&format!("g{i}_"));
        }
        out.push_str(name);
        rest = &after[end..];
    }
    out.push_str(rest);
    let vars = change
        .vars
        .iter()
        .map(|(k, v)| (format!("g{i}_{k}"), v.clone()))
        .collect();
    (out, vars)
}

enum Failure {
    Retry(String),
    Store(StoreError),
}

/// Maps a database error to what it means for the caller.
fn classify(message: &str) -> Failure {
    if let Some(pos) = message.find("rampart:") {
        let tail = &message[pos + "rampart:".len()..];
        let (kind, detail) = tail.split_once(':').unwrap_or((tail, ""));
        let detail = detail.trim_end_matches(['\'', '"', '`']).to_string();
        let kind = kind.trim_end_matches(['\'', '"', '`']);
        return match kind {
            "chain-moved" => Failure::Retry("the audit chain moved".into()),
            "stale" => Failure::Store(StoreError::Conflict(detail)),
            "not-found" => Failure::Store(StoreError::NotFound(detail)),
            "exists" => Failure::Store(StoreError::AlreadyExists(detail)),
            _ => Failure::Store(StoreError::Database(message.to_string())),
        };
    }
    let lower = message.to_lowercase();
    if lower.contains("already exists") {
        return Failure::Store(StoreError::AlreadyExists(message.to_string()));
    }
    if lower.contains("conflict") || lower.contains("can be retried") || lower.contains("retry") {
        return Failure::Retry(message.to_string());
    }
    Failure::Store(StoreError::Database(message.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_changes_get_their_own_variables() {
        let mut c = Change::new();
        c.push(
            "LET $doc_rec = type::record('document', $doc_key); FOR $v IN $rows { UPDATE $v; }; RETURN $value;",
            vars([("doc_key", Value::from("a")), ("rows", Value::from(1))]),
        );
        let (text, vars) = namespaced(&c, 3);
        assert_eq!(
            text.trim_end(),
            "LET $g3_doc_rec = type::record('document', $g3_doc_key); FOR $g3_v IN $g3_rows { UPDATE $g3_v; }; RETURN $value;"
        );
        assert!(vars.contains_key("g3_doc_key") && vars.contains_key("g3_rows"));
    }

    #[test]
    fn thrown_failures_are_understood() {
        assert!(
            matches!(classify("An error occurred: rampart:stale:asset abc changed"), Failure::Store(StoreError::Conflict(m)) if m == "asset abc changed")
        );
        assert!(
            matches!(classify("An error occurred: 'rampart:not-found:asset x'"), Failure::Store(StoreError::NotFound(m)) if m == "asset x")
        );
        assert!(matches!(classify("rampart:chain-moved"), Failure::Retry(_)));
        assert!(matches!(
            classify("Transaction conflict: Resource busy"),
            Failure::Retry(_)
        ));
        assert!(matches!(
            classify("Database record `user:bob` already exists"),
            Failure::Store(StoreError::AlreadyExists(_))
        ));
    }
}
