//! A bounded in-memory cache of version texts. A version's text never changes; it only
//! disappears at disposal, and the engine reads the version's state from the database on every
//! request before it looks here, so a disposed version is never served from the cache — also
//! with several servers on one database (its entry just ages out).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Bytes of text kept at most.
const CAPACITY: usize = 64 * 1024 * 1024;

type Key = (String, String, u32);

#[derive(Default)]
pub(crate) struct VersionTexts {
    texts: HashMap<Key, Arc<str>>,
    /// Insertion order, for evicting the oldest first.
    order: VecDeque<Key>,
    bytes: usize,
}

impl VersionTexts {
    pub fn get(&self, database: &str, document: &str, number: u32) -> Option<Arc<str>> {
        self.texts
            .get(&(database.to_string(), document.to_string(), number))
            .cloned()
    }

    pub fn put(&mut self, database: &str, document: &str, number: u32, text: Arc<str>) {
        if text.len() > CAPACITY / 8 {
            return;
        }
        let key = (database.to_string(), document.to_string(), number);
        if self.texts.contains_key(&key) {
            return;
        }
        self.bytes += text.len();
        self.texts.insert(key.clone(), text);
        self.order.push_back(key);
        while self.bytes > CAPACITY {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(t) = self.texts.remove(&old) {
                self.bytes -= t.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_texts_go_first_when_full() {
        let mut c = VersionTexts::default();
        let big: Arc<str> = "x".repeat(CAPACITY / 8).into();
        for n in 0..9 {
            c.put("db", "doc", n, big.clone());
        }
        assert!(c.get("db", "doc", 0).is_none());
        assert!(c.get("db", "doc", 8).is_some());
        assert!(c.bytes <= CAPACITY);
    }
}
