//! The responsibility matrix (RACI): for each activity of the ISMS, who is Responsible (does
//! it), Accountable (answers for it), Consulted and Informed — derived from the ownership and
//! assignments the records already hold, never typed in twice.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Responsible,
    Accountable,
    Consulted,
    Informed,
}

impl Role {
    pub fn letter(self) -> char {
        match self {
            Role::Responsible => 'R',
            Role::Accountable => 'A',
            Role::Consulted => 'C',
            Role::Informed => 'I',
        }
    }
}

/// One activity and the people involved, with their letters in R, A, C, I order ("RA").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// asset, risk, control, document, task, corrective-action, objective, metric, audit, course
    pub kind: &'static str,
    pub id: String,
    /// What is done, in words ("Own and protect: Payroll database").
    pub title: String,
    pub people: BTreeMap<String, Vec<Role>>,
}

impl Activity {
    pub fn letters(&self, person: &str) -> String {
        self.people
            .get(person)
            .map(|roles| roles.iter().map(|r| r.letter()).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matrix {
    pub activities: Vec<Activity>,
}

impl Matrix {
    /// Adds `person` to an activity in `role` (the activity is created on first use). Empty
    /// names are skipped: a record without an owner adds nobody.
    pub fn assign(&mut self, kind: &'static str, id: &str, title: &str, person: &str, role: Role) {
        let person = person.trim().trim_start_matches("user:");
        let i = match self
            .activities
            .iter()
            .rposition(|a| a.kind == kind && a.id == id)
        {
            Some(i) => i,
            None => {
                self.activities.push(Activity {
                    kind,
                    id: id.to_string(),
                    title: title.to_string(),
                    people: BTreeMap::new(),
                });
                self.activities.len() - 1
            }
        };
        if person.is_empty() || person == "system" {
            return;
        }
        let roles = self.activities[i]
            .people
            .entry(person.to_string())
            .or_default();
        if !roles.contains(&role) {
            roles.push(role);
            roles.sort();
        }
    }

    /// Everyone named anywhere, sorted.
    pub fn people(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .activities
            .iter()
            .flat_map(|a| a.people.keys().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// Only what `person` is involved in (the per-person view).
    pub fn for_person(&self, person: &str) -> Matrix {
        Matrix {
            activities: self
                .activities
                .iter()
                .filter(|a| a.people.contains_key(person))
                .cloned()
                .collect(),
        }
    }

    pub fn of_kind(&self, kind: &str) -> Matrix {
        Matrix {
            activities: self
                .activities
                .iter()
                .filter(|a| a.kind == kind)
                .cloned()
                .collect(),
        }
    }

    /// Activities nobody is accountable for: the gaps a RACI review looks for first.
    pub fn without_accountable(&self) -> Vec<&Activity> {
        self.activities
            .iter()
            .filter(|a| !a.people.values().any(|r| r.contains(&Role::Accountable)))
            .collect()
    }

    /// How many activities each person holds in each role: R, A, C, I.
    pub fn load(&self) -> BTreeMap<String, [usize; 4]> {
        let mut out: BTreeMap<String, [usize; 4]> = BTreeMap::new();
        for a in &self.activities {
            for (person, roles) in &a.people {
                let counts = out.entry(person.clone()).or_default();
                for r in roles {
                    counts[*r as usize] += 1;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_combine_per_person_and_views_filter() {
        let mut m = Matrix::default();
        m.assign(
            "document",
            "isp",
            "Maintain: Policy",
            "maria",
            Role::Responsible,
        );
        m.assign(
            "document",
            "isp",
            "Maintain: Policy",
            "olivia",
            Role::Accountable,
        );
        m.assign(
            "document",
            "isp",
            "Maintain: Policy",
            "maria",
            Role::Informed,
        );
        m.assign(
            "document",
            "isp",
            "Maintain: Policy",
            "user:raj",
            Role::Consulted,
        );
        m.assign(
            "asset",
            "laptop",
            "Own and protect: Laptop",
            "",
            Role::Accountable,
        );
        assert_eq!(m.activities.len(), 2);
        assert_eq!(m.activities[0].letters("maria"), "RI");
        assert_eq!(m.activities[0].letters("raj"), "C");
        assert_eq!(m.people(), ["maria", "olivia", "raj"]);
        assert_eq!(m.for_person("raj").activities.len(), 1);
        assert_eq!(m.of_kind("asset").activities.len(), 1);
        // The laptop has nobody accountable: a gap.
        assert_eq!(m.without_accountable()[0].id, "laptop");
        assert_eq!(m.load()["maria"], [1, 0, 0, 1]);
    }
}
