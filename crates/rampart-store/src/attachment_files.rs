//! The bytes of attachments in an embedded store: one file per attachment under the store's
//! directory (`PATH/attachments/<database>/<attachment id>`), chunk `n` at `n × CHUNK_BYTES`.
//!
//! Why files and not records: SurrealKV keeps every value it is given in its memtable until the
//! memtable flushes (at 1 GiB on a machine with 16–64 GiB), so a 50 MB upload stored as records
//! stayed resident in the server; written to a file it passes through the page cache instead.
//! The attachment's record (size, SHA-256, chunk count) stays in the database and is written in
//! the version's transaction; the file is synced before that transaction commits. SurrealKV's
//! lock on the store directory covers these files too. A store on a SurrealDB server or in
//! memory keeps chunks as `attachment_chunk` records (see [`crate::documents::put_chunk`]).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rampart_domain::Invalid;

use crate::StoreError;
use crate::documents::CHUNK_BYTES;

/// Where the attachment files of one database live.
#[derive(Debug)]
pub(crate) struct AttachmentFiles {
    dir: PathBuf,
}

/// The directory of an embedded store's attachment files, from its URL (`surrealkv://PATH`).
pub(crate) fn store_dir(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("surrealkv://")?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty()).then(|| Path::new(path).join("attachments"))
}

impl AttachmentFiles {
    pub(crate) fn new(store_dir: &Path, database: &str) -> AttachmentFiles {
        AttachmentFiles {
            dir: store_dir.join(database),
        }
    }

    /// An attachment's file. Ids become file names, so only plain ones are accepted (ours are
    /// hex; a bundle may carry others).
    fn path(&self, id: &str) -> Result<PathBuf, StoreError> {
        let plain = !id.is_empty()
            && id.len() <= 128
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !plain {
            return Err(Invalid::new(
                "attachment",
                format!("'{id}' is not an attachment id (letters, digits, '-' and '_')"),
            )
            .into());
        }
        Ok(self.dir.join(id))
    }

    /// Writes chunk `n` of an attachment (creating its file on the first).
    pub(crate) async fn write_chunk(
        &self,
        id: &str,
        n: u64,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        let path = self.path(id)?;
        let dir = self.dir.clone();
        blocking(&self.dir, move || {
            std::fs::create_dir_all(&dir)?;
            let mut f = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            f.seek(SeekFrom::Start(n * CHUNK_BYTES as u64))?;
            f.write_all(&bytes)
        })
        .await
    }

    /// Chunk `n` of an attachment; `None` when the file or the chunk is not there.
    pub(crate) async fn read_chunk(&self, id: &str, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path(id)?;
        blocking(&self.dir, move || {
            let mut f = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            f.seek(SeekFrom::Start(n * CHUNK_BYTES as u64))?;
            let mut bytes = Vec::with_capacity(CHUNK_BYTES);
            f.take(CHUNK_BYTES as u64).read_to_end(&mut bytes)?;
            Ok((!bytes.is_empty()).then_some(bytes))
        })
        .await
    }

    /// Makes a finished upload durable: its file and the directory entry naming it reach the
    /// disk before the version that refers to it commits.
    pub(crate) async fn sync(&self, id: &str) -> Result<(), StoreError> {
        let path = self.path(id)?;
        let dir = self.dir.clone();
        blocking(&self.dir, move || match File::open(&path) {
            // An empty attachment has no chunk, so no file.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
            Ok(f) => {
                f.sync_all()?;
                sync_dir(&dir)
            }
        })
        .await
    }

    /// Removes an attachment's file, if there is one (an upload that did not complete).
    pub(crate) async fn remove(&self, id: &str) -> Result<(), StoreError> {
        let path = self.path(id)?;
        blocking(&self.dir, move || match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .await
    }

    /// Destroys attachments' bytes: each file is overwritten with zeros and synced before it is
    /// removed, so the content does not linger in freed blocks the file system reuses late.
    /// (On a copy-on-write file system or an SSD the old blocks may survive below us; see
    /// docs/documents.md.) Files already gone are skipped.
    pub(crate) async fn destroy(&self, ids: &[String]) -> Result<(), StoreError> {
        let paths = ids
            .iter()
            .map(|id| self.path(id))
            .collect::<Result<Vec<_>, _>>()?;
        let dir = self.dir.clone();
        blocking(&self.dir, move || {
            for path in &paths {
                let mut f = match OpenOptions::new().write(true).open(path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                let mut left = f.metadata()?.len();
                let zeros = vec![0u8; CHUNK_BYTES];
                while left > 0 {
                    let n = left.min(CHUNK_BYTES as u64) as usize;
                    f.write_all(&zeros[..n])?;
                    left -= n as u64;
                }
                f.sync_all()?;
                drop(f);
                std::fs::remove_file(path)?;
            }
            if !paths.is_empty() && dir.is_dir() {
                sync_dir(&dir)?;
            }
            Ok(())
        })
        .await
    }

    /// Every attachment with a file: its id and its size in bytes.
    pub(crate) async fn listing(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let dir = self.dir.clone();
        blocking(&self.dir, move || {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            let mut ids = Vec::new();
            for entry in entries {
                let entry = entry?;
                if let Some(name) = entry.file_name().to_str() {
                    ids.push((name.to_string(), entry.metadata()?.len()));
                }
            }
            ids.sort();
            Ok(ids)
        })
        .await
    }

    /// The ids of every attachment with a file.
    pub(crate) async fn ids(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        Ok(self
            .listing()
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    /// Removes every file of this database (undoing a restore).
    pub(crate) async fn remove_all(&self) -> Result<(), StoreError> {
        let dir = self.dir.clone();
        blocking(&self.dir, move || match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .await
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    // Directories can be opened and synced on Unix; elsewhere the rename/create is left to the OS.
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Runs file work off the async threads; an error names the directory, so whoever reads it knows
/// where to look (permissions, a full disk).
async fn blocking<T: Send + 'static>(
    dir: &Path,
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, StoreError> {
    let failed = |e: &dyn std::fmt::Display| {
        StoreError::Database(format!("attachment files in {}: {e}", dir.display()))
    };
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| failed(&e))?
        .map_err(|e| failed(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_embedded_store_has_a_directory_for_files() {
        assert_eq!(
            store_dir("surrealkv://data?sync=every"),
            Some(PathBuf::from("data/attachments"))
        );
        assert_eq!(
            store_dir("surrealkv:///var/lib/rampart"),
            Some(PathBuf::from("/var/lib/rampart/attachments"))
        );
        assert_eq!(store_dir("mem://"), None);
        assert_eq!(store_dir("ws://db:8000"), None);
    }

    #[tokio::test]
    async fn chunks_are_read_back_where_they_were_written_and_destroyed_files_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let files = AttachmentFiles::new(dir.path(), "org_a");
        let bytes: Vec<u8> = (0..CHUNK_BYTES * 2 + 10).map(|i| (i % 251) as u8).collect();
        for (n, chunk) in bytes.chunks(CHUNK_BYTES).enumerate() {
            files
                .write_chunk("att1", n as u64, chunk.to_vec())
                .await
                .unwrap();
        }
        files.sync("att1").await.unwrap();
        let mut back = Vec::new();
        for n in 0.. {
            match files.read_chunk("att1", n).await.unwrap() {
                Some(c) => back.extend(c),
                None => break,
            }
        }
        assert_eq!(back, bytes);
        assert_eq!(files.read_chunk("other", 0).await.unwrap(), None);
        assert_eq!(
            files.listing().await.unwrap(),
            vec![("att1".to_string(), bytes.len() as u64)]
        );
        files
            .destroy(&["att1".into(), "never".into()])
            .await
            .unwrap();
        assert_eq!(files.read_chunk("att1", 0).await.unwrap(), None);
        assert!(files.listing().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_failure_of_the_file_system_names_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the database's directory should be.
        std::fs::write(dir.path().join("org_a"), b"").unwrap();
        let files = AttachmentFiles::new(dir.path(), "org_a");
        let e = files.write_chunk("att1", 0, vec![1]).await.unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.contains(&format!(
                "attachment files in {}",
                dir.path().join("org_a").display()
            )),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn an_id_that_is_not_a_plain_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let files = AttachmentFiles::new(dir.path(), "org_a");
        for bad in ["../escape", "a/b", "", "x y"] {
            let e = files.write_chunk(bad, 0, vec![1]).await.unwrap_err();
            assert!(e.to_string().contains("not an attachment id"), "{bad}: {e}");
        }
        assert!(!dir.path().join("escape").exists());
    }
}
