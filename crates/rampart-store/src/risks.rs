//! The risk register as stored (migration 10): a risk's own record (`risk`: its fields,
//! treatment and acceptance) and its assessments appended beside it (`risk_assessment`, one
//! record each). Assessing never rewrites the risk's record, so a
//! batch of 10,000 assessments is 10,000 appended records and one audit event (see
//! docs/benchmarks.md#risks); two assessors racing for the same risk collide on the key. The
//! key is an array, `[risk, "a" | "r", number]`, so a risk's assessments are one range of keys
//! in order: no index to maintain (one on `risk` doubled the cost of a batch).

use std::collections::HashMap;

use rampart_domain::risk::{Assessment, Risk};
use serde_json::{Map, Value};

use crate::json::{state, vars};
use crate::{Change, Database, StoreError, records};

/// One assessment to append: the risk, which history (inherent or planned residual) and its
/// place in it (1-based, the history's length after it).
pub struct Appended<'a> {
    pub risk: &'a str,
    pub residual: bool,
    pub number: u64,
    pub assessment: &'a Assessment,
}

fn key(risk: &str, residual: bool, number: u64) -> Value {
    serde_json::json!([risk, if residual { "r" } else { "a" }, number])
}

/// One risk, its assessments joined, in one transaction.
pub async fn get(db: &Database, id: &str) -> Result<Option<Risk>, StoreError> {
    let mut rows = db
        .rows_of_each(
            "BEGIN TRANSACTION; \
             SELECT data, revision FROM type::record('risk', $id); \
             SELECT risk, residual, number, data FROM risk_assessment:[$id, NONE]..[$id, ..]; \
             COMMIT TRANSACTION;",
            vars([("id", Value::from(id))]),
            3,
        )
        .await?;
    let assessments = rows.pop().unwrap_or_default();
    let Some(row) = rows.pop().unwrap_or_default().into_iter().next() else {
        return Ok(None);
    };
    let mut joined = join(vec![row], assessments)?;
    Ok(joined.pop())
}

/// Every risk in key order, its assessments joined, in one transaction.
pub async fn all(db: &Database) -> Result<Vec<Risk>, StoreError> {
    let mut rows = db
        .rows_of_each(
            "BEGIN TRANSACTION; \
             SELECT data, revision FROM risk ORDER BY id; \
             SELECT risk, residual, number, data FROM risk_assessment; \
             COMMIT TRANSACTION;",
            Map::new(),
            3,
        )
        .await?;
    let assessments = rows.pop().unwrap_or_default();
    let risks = rows.pop().unwrap_or_default();
    join(risks, assessments)
}

fn join(risks: Vec<Value>, assessments: Vec<Value>) -> Result<Vec<Risk>, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("a risk assessment without {what}"));
    type Histories = (Vec<(u64, Assessment)>, Vec<(u64, Assessment)>);
    let mut by_risk: HashMap<String, Histories> = HashMap::new();
    for a in assessments {
        let risk = a
            .get("risk")
            .and_then(Value::as_str)
            .ok_or(corrupt("risk"))?;
        let number = a
            .get("number")
            .and_then(Value::as_u64)
            .ok_or(corrupt("number"))?;
        let residual = a.get("residual").and_then(Value::as_bool).unwrap_or(false);
        let data = a
            .get("data")
            .and_then(Value::as_str)
            .ok_or(corrupt("data"))?;
        let assessment: Assessment =
            serde_json::from_str(data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let histories = by_risk.entry(risk.to_string()).or_default();
        let history = if residual {
            &mut histories.1
        } else {
            &mut histories.0
        };
        history.push((number, assessment));
    }
    risks
        .into_iter()
        .map(|row| {
            let data = row
                .get("data")
                .and_then(Value::as_str)
                .ok_or_else(|| StoreError::Corrupt("a risk without data".into()))?;
            let risk: Risk =
                serde_json::from_str(data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let revision = row.get("revision").and_then(Value::as_u64).unwrap_or(0);
            let (mut a, mut r) = by_risk.remove(&risk.id).unwrap_or_default();
            a.sort_by_key(|(n, _)| *n);
            r.sort_by_key(|(n, _)| *n);
            Ok(Risk::from_parts(
                risk,
                revision,
                a.into_iter().map(|(_, a)| a).collect(),
                r.into_iter().map(|(_, a)| a).collect(),
            ))
        })
        .collect()
}

/// The risk's own record: its state without the assessments (they are appended beside it),
/// with the columns queries read.
fn row(risk: &Risk, revision: u64) -> Value {
    let mut data = serde_json::to_value(risk).expect("risks serialise");
    if let Some(obj) = data.as_object_mut() {
        obj.remove("assessments");
        obj.remove("residual");
    }
    serde_json::json!({
        "data": data.to_string(),
        "revision": revision,
        "title": risk.fields.title,
        "owner": risk.fields.owner,
        "treated_controls": controls_of(risk),
    })
}

/// The controls a risk's treatment selects, one per line: stored beside the risk so that the
/// Statement of Applicability reads them without reading every risk whole.
fn controls_of(r: &Risk) -> String {
    r.treatment
        .as_ref()
        .map(|t| t.controls.join("\n"))
        .unwrap_or_default()
}

/// Creates a new risk (AlreadyExists if its key is taken), with its audit event. A new risk has
/// no assessments yet; any it has are appended after it.
pub fn create(change: &mut Change, p: &str, actor: &str, operation: &str, risk: &Risk) {
    records::create(
        change,
        p,
        "risk",
        &risk.id,
        row(risk, 1),
        &format!("risk {}", risk.id),
    );
    change.record(actor, operation, format!("risk:{}", risk.id), state(risk));
    let histories = [(false, &risk.assessments), (true, &risk.residual)];
    let appended: Vec<Appended<'_>> = histories
        .into_iter()
        .flat_map(|(residual, history)| {
            history.iter().enumerate().map(move |(i, a)| Appended {
                risk: &risk.id,
                residual,
                number: i as u64 + 1,
                assessment: a,
            })
        })
        .collect();
    let entity = format!("risk:{}", risk.id);
    append(
        change,
        &format!("{p}_a"),
        actor,
        operation,
        &entity,
        &appended,
    );
}

/// Replaces a risk's own record (fields, treatment, acceptance) at the revision read, with its
/// audit event (the whole risk). `expected` is the risk's revision as read; the assessments it
/// holds are already stored. Conflict if the record changed since.
pub fn replace(
    change: &mut Change,
    p: &str,
    actor: &str,
    operation: &str,
    risk: &Risk,
    expected: u64,
) {
    let counted = (risk.assessments.len() + risk.residual.len()) as u64;
    let row_expected = expected.saturating_sub(counted);
    let q = format!(
        "LET ${p}_rec = type::record('risk', ${p}_key);\n\
         IF !record::exists(${p}_rec) {{ THROW string::concat('rampart:not-found:risk ', ${p}_key) }};\n\
         IF ${p}_rec.revision != ${p}_expected {{ THROW string::concat('rampart:stale:risk ', ${p}_key, ' was changed by someone else: read it again and retry') }};\n\
         UPDATE ${p}_rec CONTENT ${p}_content RETURN NONE;"
    );
    change.push(
        &q,
        vars([
            (&format!("{p}_key"), Value::from(risk.id.as_str())),
            (&format!("{p}_expected"), Value::from(row_expected)),
            (&format!("{p}_content"), row(risk, row_expected + 1)),
        ]),
    );
    change.record(actor, operation, format!("risk:{}", risk.id), state(risk));
}

/// Each treated risk's key and the controls its treatment selects, in key order. Reads the
/// `treated_controls` column; a risk written before that column existed is read whole.
pub async fn treated_controls(db: &Database) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Treated {
        treatment: Option<Controls>,
    }
    #[derive(serde::Deserialize)]
    struct Controls {
        controls: Vec<String>,
    }
    let mut both = db
        .rows_of_each(
            "SELECT id, treated_controls FROM risk WHERE treated_controls IS NOT NONE;\n\
             SELECT id, data, revision FROM risk WHERE treated_controls IS NONE;",
            vars([]),
            2,
        )
        .await?;
    let old = both.pop().unwrap_or_default();
    let current = both.pop().unwrap_or_default();
    let key = |row: &Value| {
        row.get("id")
            .and_then(crate::json::record_key)
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for row in &current {
        let text = row
            .get("treated_controls")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !text.is_empty() {
            out.push((key(row), text.split('\n').map(str::to_string).collect()));
        }
    }
    for row in &old {
        let data = row.get("data").and_then(Value::as_str).unwrap_or("{}");
        let t: Treated =
            serde_json::from_str(data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(t) = t.treatment.filter(|t| !t.controls.is_empty()) {
            out.push((key(row), t.controls));
        }
    }
    out.sort();
    Ok(out)
}

/// Appends assessments in one statement with one audit event about `entity` (`risk:ID` for one
/// risk, `risk_batch:ID` for a batch); each record names that entity, so a risk's history in the
/// audit trail finds the batch. The event commits to every appended record, in key order: its
/// place and the SHA-256 of its stored `data` (hashing each stored text costs far less than the
/// assessments as one canonical state). If another assessment of a risk took the same place
/// first, the commit fails with AlreadyExists (see [`appended_conflict`]).
pub fn append(
    change: &mut Change,
    p: &str,
    actor: &str,
    operation: &str,
    entity: &str,
    items: &[Appended<'_>],
) {
    if items.is_empty() {
        return;
    }
    let mut rows = Vec::with_capacity(items.len());
    let mut committed = Vec::with_capacity(items.len());
    for a in items {
        let data = serde_json::to_string(a.assessment).expect("assessments serialise");
        committed.push((
            (a.risk, a.residual, a.number),
            rampart_domain::audit::sha256_hex(data.as_bytes()),
        ));
        rows.push(serde_json::json!({
            "id": key(a.risk, a.residual, a.number),
            "risk": a.risk,
            "residual": a.residual,
            "number": a.number,
            "batch": entity,
            "data": data,
        }));
    }
    // INSERT without IGNORE fails on a key that exists: the race between two assessors.
    change.push(
        &format!("INSERT INTO risk_assessment ${p}_rows RETURN NONE;"),
        vars([(&format!("{p}_rows"), Value::Array(rows))]),
    );
    // In key order, so that anyone can recompute the state from the records the batch names.
    committed.sort();
    let committed: Vec<Value> = committed
        .into_iter()
        .map(|((risk, residual, number), sha)| {
            serde_json::json!({
                "risk": risk,
                "residual": residual,
                "number": number,
                "data_sha256": sha,
            })
        })
        .collect();
    change.record(
        actor,
        operation,
        entity.to_string(),
        serde_json::json!({ "appended": committed }),
    );
}

/// The audit entities of the calls that assessed `risk`, each once: `risk_batch:…` for a batch
/// or a migration, `risk:ID` for a single assessment; assessments moved by migration 10 name
/// none.
pub async fn assessed_by(db: &Database, risk: &str) -> Result<Vec<String>, StoreError> {
    let rows = db
        .rows(
            "SELECT VALUE batch FROM risk_assessment:[$k, NONE]..[$k, ..]",
            vars([("k", Value::from(risk))]),
            0,
        )
        .await?;
    let mut entities: Vec<String> = rows
        .iter()
        .filter_map(Value::as_str)
        .filter(|b| !b.is_empty())
        .map(str::to_string)
        .collect();
    entities.sort_unstable();
    entities.dedup();
    Ok(entities)
}

/// Appends a batch's assessments under a new `risk_batch:ID` entity (see [`append`]).
pub fn append_batch(change: &mut Change, actor: &str, operation: &str, items: &[Appended<'_>]) {
    let entity = format!("risk_batch:{}", crate::new_id());
    append(change, "batch", actor, operation, &entity, items);
}

/// Turns the failure of [`append`] on a taken place into the conflict it is.
pub fn appended_conflict(e: StoreError) -> StoreError {
    match e {
        StoreError::AlreadyExists(m) if m.contains("risk_assessment:[") => {
            // SurrealDB names the record: risk_assessment:['r-1', 'a', 2].
            let risk = m
                .split_once("risk_assessment:[")
                .and_then(|(_, k)| k.split_once(']'))
                .and_then(|(k, _)| k.rsplitn(3, ", ").nth(2))
                .map(|k| k.trim_matches(['\'', '"', '⟨', '⟩']))
                .unwrap_or("a risk of the batch");
            StoreError::Conflict(format!(
                "risk {risk} was assessed by someone else at the same time: read it again and retry"
            ))
        }
        other => other,
    }
}

/// Migration 10: the assessments a risk's record held move to `risk_assessment` (the record
/// keeps the rest), and an acceptance records how many planned residual assessments it saw.
/// Returns the statements and variables that do it, guarded to run once.
pub(crate) async fn move_assessments_out(
    db: &surrealdb::Surreal<surrealdb::engine::any::Any>,
) -> Result<(String, Map<String, Value>), StoreError> {
    let mut res = db
        .query("SELECT record::id(id) AS key, data FROM risk")
        .await?
        .check()?;
    let risks: Vec<Value> = res.take(0)?;
    let mut appended = Vec::new();
    let mut rewritten = Vec::new();
    for r in risks {
        let key = r.get("key").and_then(Value::as_str).unwrap_or_default();
        let data = r.get("data").and_then(Value::as_str).unwrap_or("{}");
        let mut state: Value = serde_json::from_str(data)
            .map_err(|e| StoreError::Corrupt(format!("migration 10, risk {key}: {e}")))?;
        let Some(obj) = state.as_object_mut() else {
            continue;
        };
        let mut residuals = 0;
        for (field, residual) in [("assessments", false), ("residual", true)] {
            let Some(Value::Array(history)) = obj.remove(field) else {
                continue;
            };
            if residual {
                residuals = history.len();
            }
            for (i, a) in history.into_iter().enumerate() {
                appended.push(serde_json::json!({
                    "id": self::key(key, residual, i as u64 + 1),
                    "risk": key,
                    "residual": residual,
                    "number": i + 1,
                    "batch": "",
                    "data": a.to_string(),
                }));
            }
        }
        if let Some(Value::Object(acceptance)) = obj.get_mut("acceptance") {
            acceptance.insert("residuals".into(), Value::from(residuals));
        }
        rewritten.push(serde_json::json!({"key": key, "data": state.to_string()}));
    }
    let insert = if appended.is_empty() {
        ""
    } else {
        "INSERT INTO risk_assessment $m10_appended RETURN NONE;"
    };
    let q = format!(
        "IF (meta:schema.version ?? 0) < 10 {{\n\
             {insert}\n\
             FOR $m10_r IN $m10_rewritten {{ UPDATE type::record('risk', $m10_r.key) SET data = $m10_r.data RETURN NONE; }};\n\
             }};"
    );
    Ok((
        q,
        vars([
            ("m10_appended", Value::Array(appended)),
            ("m10_rewritten", Value::Array(rewritten)),
        ]),
    ))
}
