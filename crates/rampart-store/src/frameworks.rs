//! The frameworks installed in an organisation. Each keeps the catalogue it was installed or
//! last upgraded from (as the pack's JSON), so an upgrade can tell what changed and the
//! organisation's requirement tree does not move when a pack is replaced on the server.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{content, from_row, from_rows, state, vars};
use crate::{Change, Database, StoreError, records};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledFramework {
    /// The pack's id, e.g. `iso27001-2022`.
    #[serde(default)]
    pub id: String,
    /// The pack's name.
    pub name: String,
    /// The standard and its edition, from the catalogue.
    pub framework: String,
    pub version: String,
    /// The pack's version and digest when installed or last upgraded.
    pub pack_version: String,
    pub digest: String,
    /// The catalogue as JSON (empty in listings).
    #[serde(default)]
    pub catalog: String,
    pub installed_at: String,
    pub installed_by: String,
    #[serde(default)]
    pub upgraded_at: String,
    pub revision: u64,
}

/// Every installed framework, without its catalogue.
pub async fn list(db: &Database) -> Result<Vec<InstalledFramework>, StoreError> {
    from_rows(
        db.rows(
            "SELECT * OMIT catalog FROM framework ORDER BY id",
            vars([]),
            0,
        )
        .await?,
    )
}

pub async fn get(db: &Database, id: &str) -> Result<Option<InstalledFramework>, StoreError> {
    let rows = db
        .rows(
            "SELECT * FROM type::record('framework', $id)",
            vars([("id", Value::from(id))]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

/// Installs a framework that is not installed yet (AlreadyExists otherwise).
pub fn install(change: &mut Change, actor: &str, f: &InstalledFramework) {
    records::create(
        change,
        "fw",
        "framework",
        &f.id,
        content(f),
        &format!("framework {}", f.id),
    );
    change.record(
        actor,
        "framework.install",
        format!("framework:{}", f.id),
        state(f),
    );
}

/// Replaces an installed framework at the revision read (an upgrade or a migration).
pub fn replace(
    change: &mut Change,
    actor: &str,
    operation: &str,
    f: &InstalledFramework,
    expected: u64,
) {
    records::replace(
        change,
        "fw",
        "framework",
        &f.id,
        expected,
        content(f),
        &format!("framework {}", f.id),
    );
    change.record(actor, operation, format!("framework:{}", f.id), state(f));
}
