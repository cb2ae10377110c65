//! Steps 2–4 of the classification process: the scheme of ordered levels, labeling rules per asset
//! type, and the handling matrix (level × asset type).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, key, optional_text, required_text};

/// One level of the scheme. Its rank is its position in [`ClassificationScheme::levels`]
/// (0 = least sensitive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// Step 3: how assets of one type are labeled. `label` may use `{level}`, `{LEVEL}` (upper case),
/// `{organisation}`, `{asset}` and `{owner}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelingRule {
    pub asset_type: String,
    pub label: String,
    /// Where the label goes, e.g. "top-right corner of every page", "front of the envelope".
    #[serde(default)]
    pub placement: Vec<String>,
}

/// Step 4: how assets of one type at one level are protected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HandlingRule {
    pub level: String,
    pub asset_type: String,
    pub storage: String,
    pub transfer_inside: String,
    pub transfer_outside: String,
    pub disposal: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassificationScheme {
    pub levels: Vec<Level>,
    #[serde(default)]
    pub labeling_rules: Vec<LabelingRule>,
    #[serde(default)]
    pub handling_rules: Vec<HandlingRule>,
}

/// Built-in starting points for a scheme.
pub const TEMPLATES: [(&str, &str); 2] = [
    (
        "four-level",
        "Public < Internal use < Restricted < Confidential (mid-size organisation)",
    ),
    (
        "nato",
        "The six-level NATO-style scheme, from releasable to the public up to Cosmic Top Secret",
    ),
];

fn level(id: &str, name: &str, description: &str) -> Level {
    Level {
        id: id.into(),
        name: name.into(),
        description: description.into(),
    }
}

impl ClassificationScheme {
    pub fn template(name: &str) -> Option<ClassificationScheme> {
        let levels = match name {
            "four-level" => vec![
                level("public", "Public", "Everyone can see the information"),
                level(
                    "internal",
                    "Internal use",
                    "Lowest level of confidentiality",
                ),
                level(
                    "restricted",
                    "Restricted",
                    "Medium level of confidentiality",
                ),
                level(
                    "confidential",
                    "Confidential",
                    "Top level of confidentiality",
                ),
            ],
            "nato" => vec![
                level(
                    "public-releasable",
                    "Non-sensitive information releasable to the public",
                    "",
                ),
                level("nato-unclassified", "NATO Unclassified", ""),
                level("nato-restricted", "NATO Restricted", ""),
                level("nato-confidential", "NATO Confidential", ""),
                level("nato-secret", "NATO Secret", ""),
                level("cosmic-top-secret", "Cosmic Top Secret", ""),
            ],
            _ => return None,
        };
        Some(ClassificationScheme {
            levels,
            labeling_rules: vec![],
            handling_rules: vec![],
        })
    }

    pub fn rank(&self, level: &str) -> Option<usize> {
        self.levels.iter().position(|l| l.id == level)
    }

    pub fn level(&self, level: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.id == level)
    }

    /// Checks the scheme on its own: unique levels, rules that name existing levels and one rule
    /// per cell. `asset_types` are the types the organisation knows.
    pub fn validate(self, asset_types: &BTreeSet<String>) -> Result<Self, Invalid> {
        if self.levels.is_empty() {
            return Err(Invalid::new("levels", "a scheme needs at least one level"));
        }
        if self.levels.len() > 20 {
            return Err(Invalid::new("levels", "a scheme has at most 20 levels"));
        }
        let mut seen = BTreeSet::new();
        let mut levels = Vec::with_capacity(self.levels.len());
        for (i, l) in self.levels.iter().enumerate() {
            let id = key(&format!("levels[{i}].id"), &l.id, 60)?;
            if !seen.insert(id.clone()) {
                return Err(Invalid::new(
                    format!("levels[{i}].id"),
                    format!("level '{id}' appears twice"),
                ));
            }
            levels.push(Level {
                id,
                name: required_text(&format!("levels[{i}].name"), &l.name, 200)?,
                description: optional_text(
                    &format!("levels[{i}].description"),
                    &l.description,
                    2000,
                )?,
            });
        }
        let known_type = |field: String, t: &str| -> Result<String, Invalid> {
            if t == "*" {
                return Ok(t.to_string());
            }
            let t = key(&field, t, 60)?;
            if !asset_types.contains(&t) {
                return Err(Invalid::new(
                    field,
                    format!("'{t}' is not an asset type of this organisation"),
                ));
            }
            Ok(t)
        };
        let mut labeling_rules = Vec::new();
        let mut labeled = BTreeSet::new();
        for (i, r) in self.labeling_rules.iter().enumerate() {
            let asset_type = known_type(format!("labeling_rules[{i}].asset_type"), &r.asset_type)?;
            if !labeled.insert(asset_type.clone()) {
                return Err(Invalid::new(
                    format!("labeling_rules[{i}].asset_type"),
                    format!("there is already a labeling rule for '{asset_type}'"),
                ));
            }
            let mut placement = Vec::new();
            for (j, p) in r.placement.iter().enumerate() {
                placement.push(required_text(
                    &format!("labeling_rules[{i}].placement[{j}]"),
                    p,
                    300,
                )?);
            }
            labeling_rules.push(LabelingRule {
                asset_type,
                label: required_text(&format!("labeling_rules[{i}].label"), &r.label, 300)?,
                placement,
            });
        }
        let mut handling_rules = Vec::new();
        let mut cells = BTreeSet::new();
        for (i, r) in self.handling_rules.iter().enumerate() {
            let f = |name: &str| format!("handling_rules[{i}].{name}");
            let level = r.level.trim().to_string();
            if !seen.contains(&level) {
                return Err(Invalid::new(
                    f("level"),
                    format!("'{level}' is not a level of this scheme"),
                ));
            }
            let asset_type = known_type(f("asset_type"), &r.asset_type)?;
            if !cells.insert((level.clone(), asset_type.clone())) {
                return Err(Invalid::new(
                    f("asset_type"),
                    format!("there is already a handling rule for {level} × {asset_type}"),
                ));
            }
            handling_rules.push(HandlingRule {
                level,
                asset_type,
                storage: optional_text(&f("storage"), &r.storage, 2000)?,
                transfer_inside: optional_text(&f("transfer_inside"), &r.transfer_inside, 2000)?,
                transfer_outside: optional_text(&f("transfer_outside"), &r.transfer_outside, 2000)?,
                disposal: optional_text(&f("disposal"), &r.disposal, 2000)?,
            });
        }
        Ok(ClassificationScheme {
            levels,
            labeling_rules,
            handling_rules,
        })
    }

    /// The label for an asset of `asset_type` at `level`: the type's own rule, else the `*` rule.
    pub fn label_for(
        &self,
        asset_type: &str,
        level: &str,
        ctx: &LabelContext<'_>,
    ) -> Option<Label> {
        let rule = self
            .labeling_rules
            .iter()
            .find(|r| r.asset_type == asset_type)
            .or_else(|| self.labeling_rules.iter().find(|r| r.asset_type == "*"))?;
        let name = self.level(level).map(|l| l.name.as_str()).unwrap_or(level);
        let text = rule
            .label
            .replace("{level}", name)
            .replace("{LEVEL}", &name.to_uppercase())
            .replace("{organisation}", ctx.organisation)
            .replace("{asset}", ctx.asset)
            .replace("{owner}", ctx.owner);
        Some(Label {
            text,
            placement: rule.placement.clone(),
        })
    }

    /// The handling rule for an asset of `asset_type` at `level`: the type's own, else the `*` one.
    pub fn handling_for(&self, asset_type: &str, level: &str) -> Option<&HandlingRule> {
        self.handling_rules
            .iter()
            .find(|r| r.level == level && r.asset_type == asset_type)
            .or_else(|| {
                self.handling_rules
                    .iter()
                    .find(|r| r.level == level && r.asset_type == "*")
            })
    }
}

pub struct LabelContext<'a> {
    pub organisation: &'a str,
    pub asset: &'a str,
    pub owner: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub text: String,
    pub placement: Vec<String>,
}

/// What replacing a scheme does to classified assets: each old level that disappears, and the
/// level its assets move to.
pub type Reclassification = BTreeMap<String, String>;

/// Decides whether `new` may replace `old`. Levels that disappear while assets still carry them
/// (`in_use`) need an entry in `mapping` that names a level of the new scheme. Returns the moves
/// to apply (only for levels in use).
pub fn plan_scheme_change(
    new: &ClassificationScheme,
    in_use: &BTreeSet<String>,
    mapping: &BTreeMap<String, String>,
) -> Result<Reclassification, Invalid> {
    let mut moves = Reclassification::new();
    for (from, to) in mapping {
        if new.level(to).is_none() {
            return Err(Invalid::new(
                "level_mapping",
                format!("'{from}' is mapped to '{to}', which is not a level of the new scheme"),
            ));
        }
        if new.level(from).is_some() && from != to {
            return Err(Invalid::new(
                "level_mapping",
                format!(
                    "'{from}' stays in the new scheme; only levels that disappear can be mapped"
                ),
            ));
        }
    }
    let mut missing = Vec::new();
    for used in in_use {
        if new.level(used).is_some() {
            continue;
        }
        match mapping.get(used) {
            Some(to) => {
                moves.insert(used.clone(), to.clone());
            }
            None => missing.push(used.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(Invalid::new(
            "level_mapping",
            format!(
                "assets are still classified as {}, which the new scheme drops; map each of them to a new level",
                missing.join(", ")
            ),
        ));
    }
    Ok(moves)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> BTreeSet<String> {
        crate::asset::BUILT_IN_ASSET_TYPES
            .iter()
            .map(|(k, _)| k.to_string())
            .collect()
    }

    fn scheme() -> ClassificationScheme {
        let mut s = ClassificationScheme::template("four-level").unwrap();
        s.labeling_rules.push(LabelingRule {
            asset_type: "paper-document".into(),
            label: "{LEVEL} — {organisation}".into(),
            placement: vec![
                "top-right corner of every page".into(),
                "front of the envelope".into(),
            ],
        });
        s.labeling_rules.push(LabelingRule {
            asset_type: "*".into(),
            label: "{level}".into(),
            placement: vec![],
        });
        s.handling_rules.push(HandlingRule {
            level: "restricted".into(),
            asset_type: "paper-document".into(),
            storage: "locked cabinet".into(),
            transfer_inside: "closed envelope".into(),
            transfer_outside: "closed envelope, mailed with return receipt".into(),
            disposal: "cross-cut shredder".into(),
        });
        s.validate(&types()).unwrap()
    }

    #[test]
    fn templates_are_ordered() {
        let s = ClassificationScheme::template("four-level").unwrap();
        assert_eq!(s.rank("public"), Some(0));
        assert_eq!(s.rank("confidential"), Some(3));
        assert_eq!(
            ClassificationScheme::template("nato").unwrap().levels.len(),
            6
        );
        assert!(ClassificationScheme::template("nope").is_none());
    }

    #[test]
    fn labels_and_handling() {
        let s = scheme();
        let ctx = LabelContext {
            organisation: "Acme",
            asset: "Payroll",
            owner: "bob",
        };
        let l = s.label_for("paper-document", "restricted", &ctx).unwrap();
        assert_eq!(l.text, "RESTRICTED — Acme");
        assert_eq!(l.placement.len(), 2);
        assert_eq!(
            s.label_for("email", "internal", &ctx).unwrap().text,
            "Internal use"
        );
        assert_eq!(
            s.handling_for("paper-document", "restricted")
                .unwrap()
                .storage,
            "locked cabinet"
        );
        assert!(s.handling_for("email", "restricted").is_none());
    }

    #[test]
    fn bad_schemes_name_the_field() {
        let mut s = scheme();
        s.levels.push(s.levels[0].clone());
        assert_eq!(s.validate(&types()).unwrap_err().field, "levels[4].id");
        let mut s = scheme();
        s.handling_rules[0].level = "secret".into();
        assert_eq!(
            s.validate(&types()).unwrap_err().field,
            "handling_rules[0].level"
        );
        let mut s = scheme();
        s.labeling_rules[0].asset_type = "carrier-pigeon".into();
        assert_eq!(
            s.validate(&types()).unwrap_err().field,
            "labeling_rules[0].asset_type"
        );
        let s = ClassificationScheme {
            levels: vec![],
            labeling_rules: vec![],
            handling_rules: vec![],
        };
        assert_eq!(s.validate(&types()).unwrap_err().field, "levels");
    }

    #[test]
    fn dropping_a_level_in_use_needs_a_mapping() {
        let nato = ClassificationScheme::template("nato").unwrap();
        let in_use: BTreeSet<String> = ["restricted".to_string(), "public".to_string()].into();
        let err = plan_scheme_change(&nato, &in_use, &BTreeMap::new()).unwrap_err();
        assert!(err.message.contains("public, restricted"), "{err}");
        let mapping: BTreeMap<String, String> = [
            ("restricted".to_string(), "nato-restricted".to_string()),
            ("public".to_string(), "public-releasable".to_string()),
        ]
        .into();
        let moves = plan_scheme_change(&nato, &in_use, &mapping).unwrap();
        assert_eq!(moves.get("restricted").unwrap(), "nato-restricted");
        let bad: BTreeMap<String, String> =
            [("restricted".to_string(), "secret".to_string())].into();
        assert!(plan_scheme_change(&nato, &in_use, &bad).is_err());
        // Levels that stay need no mapping.
        let same = ClassificationScheme::template("four-level").unwrap();
        assert!(
            plan_scheme_change(&same, &in_use, &BTreeMap::new())
                .unwrap()
                .is_empty()
        );
    }
}

/// One entry of an asset's classification history (step 2: who classified it, when and why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassificationRecord {
    pub id: String,
    pub asset: String,
    pub level: String,
    /// Empty for the first classification.
    pub previous_level: String,
    pub by: String,
    pub at: String,
    pub reason: String,
}
