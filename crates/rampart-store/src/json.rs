//! Moving domain values in and out of SurrealDB as JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::StoreError;

/// Bytes as base64 text, the way SurrealDB's `encoding::base64` writes them (without padding);
/// read with or without it (a bundle may come from elsewhere).
pub(crate) const BASE64_BYTES: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// A record's key from its `id` as SurrealDB renders it (`asset:abc`, `user:⟨bob-smith⟩`).
pub fn record_key(id: &Value) -> Option<String> {
    let s = match id {
        Value::String(s) => s.as_str(),
        Value::Number(n) => return Some(n.to_string()),
        _ => return None,
    };
    let key = s.split_once(':').map(|(_, k)| k).unwrap_or(s);
    let key = key
        .trim_start_matches(['⟨', '`'])
        .trim_end_matches(['⟩', '`']);
    Some(key.to_string())
}

/// Turns a stored row into a domain value: the record id becomes the plain key.
pub fn from_row<T: DeserializeOwned>(mut row: Value) -> Result<T, StoreError> {
    if let Some(obj) = row.as_object_mut()
        && let Some(id) = obj.get("id").and_then(record_key)
    {
        obj.insert("id".into(), Value::String(id));
    }
    serde_json::from_value(row).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn from_rows<T: DeserializeOwned>(rows: Vec<Value>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(from_row).collect()
}

/// The content to store for a domain value: without `id` (it is the record key) and without
/// nulls (SurrealDB's `option<…>` fields take NONE, not NULL).
pub fn content<T: Serialize>(value: &T) -> Value {
    let mut v = serde_json::to_value(value).expect("domain values serialise");
    if let Some(obj) = v.as_object_mut() {
        obj.remove("id");
    }
    strip_nulls(&mut v);
    v
}

/// The state an audit event commits to: the whole value, id included.
pub fn state<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("domain values serialise")
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, x| !x.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Builds a bind-variable map.
pub fn vars<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys() {
        assert_eq!(record_key(&json!("asset:abc")).unwrap(), "abc");
        assert_eq!(record_key(&json!("user:⟨bob-smith⟩")).unwrap(), "bob-smith");
        assert_eq!(record_key(&json!("user:`bob-smith`")).unwrap(), "bob-smith");
        assert_eq!(record_key(&json!(7)).unwrap(), "7");
    }

    #[test]
    fn content_drops_id_and_nulls() {
        let v = content(&json!({"id": "x", "a": null, "b": {"c": null, "d": 1}}));
        assert_eq!(v, json!({"b": {"d": 1}}));
    }
}
