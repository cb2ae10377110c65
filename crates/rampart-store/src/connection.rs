//! Opening the store from a URL and handing out one [`Database`] per organisation.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use surrealdb::Surreal;
use surrealdb::engine::any::{self, Any};
use tokio::sync::RwLock;

use crate::StoreError;
use crate::database::Database;
use crate::migrations::{self, Schema};

pub const NAMESPACE: &str = "rampart";
pub const SYSTEM_DATABASE: &str = "system";

#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// `surrealkv://PATH` (default `surrealkv://rampart-data`), `mem://`, `ws://HOST:PORT`, …
    pub url: String,
    /// Root credentials for a SurrealDB server (`ws://`, `http://`); unused when embedded.
    pub username: Option<String>,
    pub password: Option<String>,
}

/// The connection to SurrealDB and the databases opened on it.
#[derive(Clone)]
pub struct Store {
    root: Surreal<Any>,
    system: Database,
    organisations: Arc<RwLock<HashMap<String, Database>>>,
    url: String,
    /// Where attachment bytes go as files (an embedded store); elsewhere they are records.
    attachment_files: Option<PathBuf>,
}

/// SurrealKV fsyncs every commit by default; we say so explicitly so that an acknowledged write
/// survives a crash even if that default changes. A URL that sets `sync=` itself is left alone.
fn durable_url(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("surrealkv://")
        && !rest.contains("sync=")
    {
        let sep = if rest.contains('?') { '&' } else { '?' };
        return format!("{url}{sep}sync=every");
    }
    url.to_string()
}

/// Whether this process is the only writer of the store at `url`: an embedded SurrealKV store
/// (it holds an exclusive lock on its directory) or memory. A SurrealDB server (`ws://`, …) may
/// have other Rampart servers writing to it.
fn sole_writer(url: &str) -> bool {
    url.starts_with("mem:") || url.starts_with("surrealkv:")
}

impl Store {
    pub async fn open(options: &StoreOptions) -> Result<Store, StoreError> {
        let url = if options.url.is_empty() {
            "surrealkv://rampart-data".to_string()
        } else {
            options.url.clone()
        };
        let root = any::connect(durable_url(&url)).await.map_err(|e| {
            StoreError::Database(format!(
                "cannot open {url}: {e} (use surrealkv://PATH, mem:// or ws://HOST:PORT; is another rampart using this directory?)"
            ))
        })?;
        if let (Some(user), Some(pass)) = (&options.username, &options.password) {
            root.signin(surrealdb::opt::auth::Root {
                username: user.clone(),
                password: pass.clone(),
            })
            .await
            .map_err(|e| StoreError::Database(format!("cannot sign in to {url} as {user}: {e}")))?;
        }
        root.query(format!("DEFINE NAMESPACE IF NOT EXISTS {NAMESPACE};"))
            .await?
            .check()?;
        let system = open_database(
            &root,
            SYSTEM_DATABASE,
            Schema::System,
            sole_writer(&url),
            None,
        )
        .await?;
        Ok(Store {
            root,
            system,
            organisations: Arc::default(),
            attachment_files: crate::attachment_files::store_dir(&url),
            url,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn system(&self) -> &Database {
        &self.system
    }

    /// The database of an organisation, created and migrated on first use. The caller checks
    /// that the organisation exists.
    pub async fn organisation(&self, organisation: &str) -> Result<Database, StoreError> {
        if let Some(db) = self.organisations.read().await.get(organisation) {
            return Ok(db.clone());
        }
        let mut map = self.organisations.write().await;
        if let Some(db) = map.get(organisation) {
            return Ok(db.clone());
        }
        let name = rampart_domain::organisation::database_name(organisation);
        let db = open_database(
            &self.root,
            &name,
            Schema::Organisation,
            sole_writer(&self.url),
            self.attachment_files.as_deref(),
        )
        .await?;
        crate::documents::settle_attachment_files(&db).await?;
        map.insert(organisation.to_string(), db.clone());
        Ok(db)
    }
}

async fn open_database(
    root: &Surreal<Any>,
    name: &str,
    schema: Schema,
    sole_writer: bool,
    attachment_files: Option<&std::path::Path>,
) -> Result<Database, StoreError> {
    // Names come from validated organisation keys ([a-z0-9_]), so formatting them in is safe.
    root.query(format!(
        "USE NS {NAMESPACE}; DEFINE DATABASE IF NOT EXISTS {name};"
    ))
    .await?
    .check()?;
    // A clone is a new session, so each database keeps its own `USE`.
    let session = root.clone();
    session.use_ns(NAMESPACE).use_db(name).await?;
    migrations::apply(&session, schema).await?;
    Ok(Database::new(
        session,
        name.to_string(),
        sole_writer,
        attachment_files,
    ))
}

#[cfg(test)]
mod tests {
    use super::{durable_url, sole_writer};

    #[test]
    fn reads_are_cached_only_where_this_process_is_the_only_writer() {
        assert!(sole_writer("mem://"));
        assert!(sole_writer("surrealkv://data?sync=every"));
        for shared in ["ws://127.0.0.1:8000", "wss://db:443", "http://db:8000"] {
            assert!(!sole_writer(shared), "{shared}");
        }
    }

    #[test]
    fn surrealkv_syncs_every_commit_unless_told_otherwise() {
        assert_eq!(
            durable_url("surrealkv://data"),
            "surrealkv://data?sync=every"
        );
        assert_eq!(
            durable_url("surrealkv://data?sync=never"),
            "surrealkv://data?sync=never"
        );
        assert_eq!(durable_url("mem://"), "mem://");
    }
}
