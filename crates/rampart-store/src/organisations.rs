//! Organisations (system database).

use rampart_domain::organisation::Organisation;
use serde_json::{Map, Value};

use crate::json::{content, from_row, from_rows, state, vars};
use crate::{Change, Database, StoreError, records};

pub async fn get(db: &Database, id: &str) -> Result<Option<Organisation>, StoreError> {
    let rows = db
        .rows(
            "SELECT * FROM type::record('organisation', $id)",
            vars([("id", Value::from(id))]),
            0,
        )
        .await?;
    rows.into_iter().next().map(from_row).transpose()
}

pub async fn list(db: &Database) -> Result<Vec<Organisation>, StoreError> {
    from_rows(
        db.rows("SELECT * FROM organisation ORDER BY id", Map::new(), 0)
            .await?,
    )
}

pub fn create(change: &mut Change, actor: &str, org: &Organisation) {
    records::create(
        change,
        "org",
        "organisation",
        &org.id,
        content(org),
        &format!("organisation {}", org.id),
    );
    change.record(
        actor,
        "organisation.create",
        format!("organisation:{}", org.id),
        state(org),
    );
}

pub fn update(change: &mut Change, actor: &str, org: &Organisation, expected: u64) {
    records::replace(
        change,
        "org",
        "organisation",
        &org.id,
        expected,
        content(org),
        &format!("organisation {}", org.id),
    );
    change.record(
        actor,
        "organisation.update",
        format!("organisation:{}", org.id),
        state(org),
    );
}
