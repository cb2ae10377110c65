//! The organisation's classification scheme (one record) and the classification history.

use rampart_domain::classification::{
    ClassificationRecord, ClassificationScheme, HandlingRule, LabelingRule, Level,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::json::{content, from_row, from_rows, state, vars};
use crate::{Change, Database, StoreError, records};

/// The scheme as stored, with its revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredScheme {
    pub id: String,
    pub levels: Vec<Level>,
    pub labeling_rules: Vec<LabelingRule>,
    pub handling_rules: Vec<HandlingRule>,
    pub revision: u64,
    pub updated_at: String,
}

impl StoredScheme {
    pub fn new(scheme: ClassificationScheme, revision: u64, updated_at: String) -> Self {
        StoredScheme {
            id: "current".into(),
            levels: scheme.levels,
            labeling_rules: scheme.labeling_rules,
            handling_rules: scheme.handling_rules,
            revision,
            updated_at,
        }
    }

    pub fn scheme(&self) -> ClassificationScheme {
        ClassificationScheme {
            levels: self.levels.clone(),
            labeling_rules: self.labeling_rules.clone(),
            handling_rules: self.handling_rules.clone(),
        }
    }
}

/// The scheme, kept in memory until a change writes it: most operations need it to decide.
pub async fn get_scheme(db: &Database) -> Result<Option<StoredScheme>, StoreError> {
    let size = |s: &Option<StoredScheme>| {
        s.as_ref().map_or(64, |s| {
            1024 * (1 + s.levels.len() + s.handling_rules.len() + s.labeling_rules.len()) as u64
        })
    };
    let scheme = db
        .cached_until_written("current", "classification_scheme", size, || async {
            let rows = db
                .rows("SELECT * FROM classification_scheme:current", Map::new(), 0)
                .await?;
            rows.into_iter().next().map(from_row).transpose()
        })
        .await?;
    Ok(scheme.as_ref().clone())
}

/// Stores the scheme: created at revision 1 if there is none (`expected` 0), else replaced.
pub fn put_scheme(change: &mut Change, actor: &str, scheme: &StoredScheme, expected: u64) {
    let what = "the classification scheme";
    if expected == 0 {
        records::create(
            change,
            "sch",
            "classification_scheme",
            "current",
            content(scheme),
            what,
        );
    } else {
        records::replace(
            change,
            "sch",
            "classification_scheme",
            "current",
            expected,
            content(scheme),
            what,
        );
    }
    change.record(
        actor,
        "classification.scheme.set",
        "classification_scheme:current".into(),
        state(scheme),
    );
}

pub fn record(change: &mut Change, p: &str, actor: &str, rec: &ClassificationRecord) {
    change.push(
        &format!("CREATE type::record('classification_record', ${p}_key) CONTENT ${p}_content;"),
        vars([
            (&format!("{p}_key"), Value::from(rec.id.as_str())),
            (&format!("{p}_content"), content(rec)),
        ]),
    );
    change.record(
        actor,
        "classification.record",
        format!("classification_record:{}", rec.id),
        state(rec),
    );
}

pub async fn history(db: &Database, asset: &str) -> Result<Vec<ClassificationRecord>, StoreError> {
    let q = "SELECT * FROM classification_record WHERE asset = $a ORDER BY id";
    from_rows(db.rows(q, vars([("a", Value::from(asset))]), 0).await?)
}
