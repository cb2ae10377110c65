//! Frameworks installed in an organisation: how the organisation's work names a requirement,
//! and what an upgrade from one catalogue to another does to those names. Pure: the engine
//! brings the catalogues and the links.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

/// The requirement a reference such as `iso27001:A.8.13` names in `framework`, if it names that
/// framework: the prefix is the framework's id (`iso27001-2022:A.8.13`) or the id without its
/// edition (`iso27001` for `iso27001-2022`).
pub fn requirement_of<'a>(reference: &'a str, framework: &str) -> Option<&'a str> {
    let (prefix, requirement) = reference.split_once(':')?;
    let prefix = prefix.trim();
    let matches = prefix.eq_ignore_ascii_case(framework)
        || framework
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('-'));
    (matches && !requirement.trim().is_empty()).then(|| requirement.trim())
}

/// The reference to `requirement` written the way `old` was (same prefix).
pub fn rewrite(old: &str, requirement: &str) -> String {
    match old.split_once(':') {
        Some((prefix, _)) => format!("{prefix}:{requirement}"),
        None => requirement.to_string(),
    }
}

/// An id and a title: a requirement or a control of a catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub id: &'a str,
    pub title: &'a str,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogChange {
    /// Ids in both catalogues.
    pub kept: usize,
    /// Same id, another title: links stay.
    pub retitled: Vec<(String, String, String)>,
    /// An id that is gone while a new id has its title: (old id, new id, title).
    pub renumbered: Vec<(String, String, String)>,
    /// Ids that are gone, with their titles.
    pub removed: Vec<(String, String)>,
    /// New ids.
    pub added: Vec<String>,
}

fn normalise(title: &str) -> String {
    title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// What changes between two catalogues. A requirement whose id disappears is renumbered when
/// exactly one new id carries its title, else removed.
pub fn compare(old: &[Entry<'_>], new: &[Entry<'_>]) -> CatalogChange {
    let new_by_id: HashMap<&str, &str> = new.iter().map(|e| (e.id, e.title)).collect();
    let old_ids: BTreeSet<&str> = old.iter().map(|e| e.id).collect();
    let mut added_by_title: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for e in new.iter().filter(|e| !old_ids.contains(e.id)) {
        added_by_title
            .entry(normalise(e.title))
            .or_default()
            .push(e.id);
    }
    let mut change = CatalogChange::default();
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    for e in old {
        match new_by_id.get(e.id) {
            Some(title) => {
                change.kept += 1;
                if normalise(title) != normalise(e.title) {
                    change
                        .retitled
                        .push((e.id.into(), e.title.into(), (*title).into()));
                }
            }
            None => match added_by_title.get(&normalise(e.title)).map(Vec::as_slice) {
                Some([only]) if !taken.contains(only) => {
                    taken.insert(only);
                    change
                        .renumbered
                        .push((e.id.into(), (*only).into(), e.title.into()));
                }
                _ => change.removed.push((e.id.into(), e.title.into())),
            },
        }
    }
    change.added = new
        .iter()
        .filter(|e| !old_ids.contains(e.id) && !taken.contains(e.id))
        .map(|e| e.id.to_string())
        .collect();
    change
}

/// What to do with the links of a requirement that is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// Link the work to this requirement of the new catalogue instead.
    MoveTo(String),
    /// Unlink the work from the requirement (the work itself stays).
    Drop,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e<'a>(id: &'a str, title: &'a str) -> Entry<'a> {
        Entry { id, title }
    }

    #[test]
    fn references_name_a_framework_with_or_without_its_edition() {
        assert_eq!(
            requirement_of("iso27001:A.8.13", "iso27001-2022"),
            Some("A.8.13")
        );
        assert_eq!(
            requirement_of("iso27001-2022:5.2", "iso27001-2022"),
            Some("5.2")
        );
        assert_eq!(requirement_of("iso27001:5.2", "iso27001-2013"), Some("5.2"));
        assert_eq!(requirement_of("iso22301:8.4", "iso27001-2022"), None);
        assert_eq!(requirement_of("iso:5.2", "iso27001-2022"), None);
        assert_eq!(requirement_of("5.2", "iso27001-2022"), None);
        assert_eq!(rewrite("iso27001:A.12.3.1", "A.8.13"), "iso27001:A.8.13");
    }

    #[test]
    fn an_upgrade_tells_kept_retitled_renumbered_removed_and_added_apart() {
        let old = [
            e("4.3", "Scope"),
            e("5.2", "Policy"),
            e("A.1", "Backup"),
            e("A.2", "Fax machines"),
            e("A.3", "Logging"),
        ];
        let new = [
            e("4.3", "Scope of the ISMS"),
            e("5.2", "Policy"),
            e("A.10", "Backup"),
            e("A.3", "Logging"),
            e("A.4", "Threat intelligence"),
        ];
        let c = compare(&old, &new);
        assert_eq!(c.kept, 3);
        assert_eq!(
            c.retitled,
            [("4.3".into(), "Scope".into(), "Scope of the ISMS".into())]
        );
        assert_eq!(
            c.renumbered,
            [("A.1".into(), "A.10".into(), "Backup".into())]
        );
        assert_eq!(c.removed, [("A.2".into(), "Fax machines".into())]);
        assert_eq!(c.added, ["A.4"]);
    }

    #[test]
    fn a_title_two_new_ids_share_is_not_a_renumbering() {
        let c = compare(
            &[e("1", "General")],
            &[e("2", "General"), e("3", "General")],
        );
        assert_eq!(c.removed.len(), 1);
        assert_eq!(c.added.len(), 2);
    }
}
