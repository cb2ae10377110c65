//! Competence and awareness (ISO/IEC 27001 7.2, 7.3): courses and awareness campaigns, who must
//! take them and how often, the completion records, and the gaps — who is not current, by
//! department. Acknowledging a course's document ("read and understood" in document control)
//! counts as taking it, so reading the information security policy can be the awareness campaign.

use serde::{Deserialize, Serialize};

use crate::invalid::{Invalid, optional_text, required_text};
use crate::times;
use crate::user::User;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CourseKind {
    /// Awareness (7.3): the policy, one's contribution, what not conforming means.
    Awareness,
    /// Training for competence (7.2), e.g. secure development, incident handling.
    Training,
}

impl CourseKind {
    pub fn parse(s: &str) -> Result<CourseKind, Invalid> {
        match s.trim() {
            "" | "awareness" => Ok(CourseKind::Awareness),
            "training" => Ok(CourseKind::Training),
            other => Err(Invalid::new(
                "kind",
                format!("'{other}' is not awareness or training"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CourseKind::Awareness => "awareness",
            CourseKind::Training => "training",
        }
    }
}

/// Who must take a course: anyone matching one of the lists; all lists empty means everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub job_titles: Vec<String>,
}

impl Audience {
    pub fn everyone(&self) -> bool {
        self.roles.is_empty() && self.departments.is_empty() && self.job_titles.is_empty()
    }

    /// Active members only; people with the role `external` (auditors from outside, through a
    /// grant) are not the organisation's staff unless a course names them.
    pub fn includes(&self, user: &User) -> bool {
        if !user.active {
            return false;
        }
        if self.everyone() {
            return !user.roles.iter().any(|r| r == "external");
        }
        user.in_any(&self.roles, &self.departments, &self.job_titles)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub user: String,
    /// When the person took it (stored time; a date means its midnight UTC).
    pub at: String,
    pub recorded_by: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Course {
    pub id: String,
    pub title: String,
    pub kind: CourseKind,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub audience: Audience,
    /// Retaken every this many months; 0: once is enough.
    pub frequency_months: u32,
    /// Documents whose acknowledgement counts as taking the course.
    #[serde(default)]
    pub documents: Vec<String>,
    /// Who runs it and records completions.
    pub owner: String,
    #[serde(default)]
    pub completions: Vec<Completion>,
    #[serde(skip)]
    pub revision: u64,
}

/// Where one person stands with one course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Taken, and not due again before `until` (None: once is enough).
    Current { until: Option<String> },
    /// Taken, but the period ran out at `since`.
    Expired { since: String },
    /// Never taken.
    Missing,
}

impl Standing {
    pub fn as_str(&self) -> &'static str {
        match self {
            Standing::Current { .. } => "current",
            Standing::Expired { .. } => "expired",
            Standing::Missing => "missing",
        }
    }

    pub fn is_current(&self) -> bool {
        matches!(self, Standing::Current { .. })
    }
}

impl Course {
    /// Checks the fields; completions are kept from the previous definition.
    pub fn validate(mut self, previous: Option<&Course>) -> Result<Course, Invalid> {
        self.title = required_text("title", &self.title, 300)?;
        self.description = optional_text("description", &self.description, 4000)?;
        self.owner = required_text("owner", &self.owner, 100)?;
        if self.frequency_months > 60 {
            return Err(Invalid::new(
                "frequency_months",
                "must be 0 (once) to 60 months",
            ));
        }
        for (field, list) in [
            ("audience.roles", &mut self.audience.roles),
            ("audience.departments", &mut self.audience.departments),
            ("audience.job_titles", &mut self.audience.job_titles),
            ("documents", &mut self.documents),
        ] {
            for item in list.iter_mut() {
                *item = required_text(field, item, 200)?;
            }
            list.sort();
            list.dedup();
        }
        self.completions = previous.map(|p| p.completions.clone()).unwrap_or_default();
        Ok(self)
    }

    /// Records that `users` took the course at `at`.
    pub fn record(
        &mut self,
        users: &[String],
        at: &str,
        note: &str,
        by: &str,
    ) -> Result<(), Invalid> {
        if users.is_empty() {
            return Err(Invalid::new(
                "users",
                "name at least one person who took it",
            ));
        }
        let at = times::normalise("at", at)?;
        let note = optional_text("note", note, 2000)?;
        for user in users {
            let user = required_text("users", user, 100)?;
            if self
                .completions
                .iter()
                .any(|c| c.user == user && c.at == at)
            {
                return Err(Invalid::new(
                    "users",
                    format!("{user} is already recorded as taking {} at {at}", self.id),
                ));
            }
            self.completions.push(Completion {
                user,
                at: at.clone(),
                recorded_by: by.to_string(),
                note: note.clone(),
            });
        }
        self.completions.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(())
    }

    /// The last time `user` took the course: a completion record, or an acknowledgement of one
    /// of its documents (`acknowledged`: document id and time).
    pub fn last_taken<'a>(
        &'a self,
        user: &str,
        acknowledged: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Option<&'a str> {
        let recorded = self
            .completions
            .iter()
            .filter(|c| c.user == user)
            .map(|c| c.at.as_str());
        let read = acknowledged
            .filter(|(doc, _)| self.documents.iter().any(|d| d == doc))
            .map(|(_, at)| at);
        recorded.chain(read).max()
    }

    pub fn standing(&self, last: Option<&str>, now: &str) -> Standing {
        let Some(last) = last else {
            return Standing::Missing;
        };
        if self.frequency_months == 0 {
            return Standing::Current { until: None };
        }
        match times::add_months_text(last, self.frequency_months) {
            Some(until) if until.as_str() > now => Standing::Current { until: Some(until) },
            Some(until) => Standing::Expired { since: until },
            None => Standing::Missing,
        }
    }
}

/// One person and one course they must take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonCourse {
    pub user: String,
    pub department: String,
    pub course: String,
    pub kind: CourseKind,
    pub last: Option<String>,
    pub standing: Standing,
}

/// People of one department not current with one course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub course: String,
    pub course_title: String,
    pub kind: CourseKind,
    pub department: String,
    pub missing: Vec<String>,
    pub expired: Vec<String>,
}

impl Gap {
    /// "3 people in Sales have not taken Security awareness (2 never, 1 expired)".
    pub fn sentence(&self) -> String {
        let n = self.missing.len() + self.expired.len();
        let who = if n == 1 { "person" } else { "people" };
        let are = if n == 1 { "is" } else { "are" };
        let department = if self.department.is_empty() {
            "no department".to_string()
        } else {
            self.department.clone()
        };
        format!(
            "{n} {who} in {department} {are} not current with {} ({} never took it, {} expired)",
            self.course_title,
            self.missing.len(),
            self.expired.len()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrainingStatus {
    pub people: Vec<PersonCourse>,
    pub gaps: Vec<Gap>,
    /// Active staff not current with every awareness course they must take — or, when the
    /// organisation has no awareness course at all, every active member of staff (7.3).
    pub people_without_awareness: u64,
    /// Completion records and counted acknowledgements held (evidence of competence, 7.2).
    pub records: u64,
}

/// Where everyone stands: `acknowledged` lists (user, document, time) from document control.
pub fn status(
    courses: &[Course],
    users: &[User],
    acknowledged: &[(String, String, String)],
    now: &str,
) -> TrainingStatus {
    let mut out = TrainingStatus::default();
    let mut gaps: std::collections::BTreeMap<(String, String), Gap> = Default::default();
    let mut without_awareness = std::collections::BTreeSet::new();
    for course in courses {
        out.records += course.completions.len() as u64;
        out.records += acknowledged
            .iter()
            .filter(|(_, doc, _)| course.documents.contains(doc))
            .count() as u64;
        for user in users.iter().filter(|u| course.audience.includes(u)) {
            let mine = acknowledged
                .iter()
                .filter(|(u, _, _)| *u == user.id)
                .map(|(_, doc, at)| (doc.as_str(), at.as_str()));
            let last = course.last_taken(&user.id, mine).map(str::to_string);
            let standing = course.standing(last.as_deref(), now);
            if !standing.is_current() {
                if course.kind == CourseKind::Awareness {
                    without_awareness.insert(user.id.clone());
                }
                let gap = gaps
                    .entry((course.id.clone(), user.department.clone()))
                    .or_insert_with(|| Gap {
                        course: course.id.clone(),
                        course_title: course.title.clone(),
                        kind: course.kind,
                        department: user.department.clone(),
                        missing: vec![],
                        expired: vec![],
                    });
                match standing {
                    Standing::Missing => gap.missing.push(user.id.clone()),
                    _ => gap.expired.push(user.id.clone()),
                }
            }
            out.people.push(PersonCourse {
                user: user.id.clone(),
                department: user.department.clone(),
                course: course.id.clone(),
                kind: course.kind,
                last,
                standing,
            });
        }
    }
    if !courses.iter().any(|c| c.kind == CourseKind::Awareness) {
        let staff = Audience::default();
        without_awareness.extend(
            users
                .iter()
                .filter(|u| staff.includes(u))
                .map(|u| u.id.clone()),
        );
    }
    out.people_without_awareness = without_awareness.len() as u64;
    out.gaps = gaps.into_values().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, department: &str, roles: &[&str]) -> User {
        User {
            id: id.into(),
            display_name: id.into(),
            email: String::new(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            department: department.into(),
            job_title: String::new(),
            clearance: String::new(),
            active: true,
            revision: 1,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn course() -> Course {
        Course {
            id: "awareness".into(),
            title: "Security awareness".into(),
            kind: CourseKind::Awareness,
            description: String::new(),
            audience: Audience::default(),
            frequency_months: 12,
            documents: vec!["information-security-policy".into()],
            owner: "maria".into(),
            completions: vec![],
            revision: 0,
        }
        .validate(None)
        .unwrap()
    }

    #[test]
    fn the_audience_is_active_staff_or_those_named() {
        let c = course();
        assert!(c.audience.includes(&user("bob", "Sales", &["employee"])));
        assert!(!c.audience.includes(&user("ext", "", &["external"])));
        let mut gone = user("old", "Sales", &["employee"]);
        gone.active = false;
        assert!(!c.audience.includes(&gone));
        let devs = Audience {
            departments: vec!["Engineering".into()],
            ..Default::default()
        };
        assert!(devs.includes(&user("tom", "Engineering", &["employee"])));
        assert!(!devs.includes(&user("bob", "Sales", &["employee"])));
    }

    #[test]
    fn a_completion_or_an_acknowledgement_counts_until_the_period_runs_out() {
        let mut c = course();
        let now = "2027-06-01T00:00:00.000000Z";
        assert_eq!(
            c.standing(c.last_taken("bob", std::iter::empty()), now),
            Standing::Missing
        );
        c.record(&["bob".into()], "2026-03-01", "", "user:maria")
            .unwrap();
        assert_eq!(
            c.standing(c.last_taken("bob", std::iter::empty()), now),
            Standing::Expired {
                since: "2027-03-01T00:00:00.000000Z".into()
            }
        );
        // Bob read and acknowledged the policy last month: current again.
        let acks = [("information-security-policy", "2027-05-10T09:00:00.000000Z")];
        let last = c.last_taken("bob", acks.iter().copied());
        assert_eq!(
            c.standing(last, now),
            Standing::Current {
                until: Some("2028-05-10T09:00:00.000000Z".into())
            }
        );
        // Another document's acknowledgement does not count.
        let other = [("backup-procedure", "2027-05-10T09:00:00.000000Z")];
        assert!(
            !c.standing(c.last_taken("bob", other.iter().copied()), now)
                .is_current()
        );
        // The same record twice is refused; nobody is refused.
        assert_eq!(
            c.record(&["bob".into()], "2026-03-01", "", "user:maria")
                .unwrap_err()
                .field,
            "users"
        );
        assert_eq!(
            c.record(&[], "2026-03-01", "", "x").unwrap_err().field,
            "users"
        );
        assert_eq!(
            c.record(&["a".into()], "soon", "", "x").unwrap_err().field,
            "at"
        );
    }

    #[test]
    fn gaps_are_counted_by_department_and_awareness_by_person() {
        let users = vec![
            user("bob", "Sales", &["employee"]),
            user("sue", "Sales", &["employee"]),
            user("ann", "Sales", &["employee"]),
            user("tom", "Engineering", &["employee"]),
        ];
        // Without any awareness course, all four lack awareness training.
        assert_eq!(
            status(&[], &users, &[], "2027-06-01").people_without_awareness,
            4
        );

        let mut c = course();
        c.record(
            &["tom".into(), "bob".into()],
            "2026-03-01",
            "",
            "user:maria",
        )
        .unwrap();
        let acks = vec![(
            "tom".to_string(),
            "information-security-policy".to_string(),
            "2027-05-01T00:00:00.000000Z".to_string(),
        )];
        let s = status(&[c], &users, &acks, "2027-06-01T00:00:00.000000Z");
        // Tom acknowledged the policy last month; Bob's session ran out; Sue and Ann never took it.
        assert_eq!(s.people_without_awareness, 3);
        assert_eq!(s.records, 3);
        assert_eq!(s.gaps.len(), 1);
        assert_eq!(s.gaps[0].missing, ["sue", "ann"]);
        assert_eq!(s.gaps[0].expired, ["bob"]);
        assert_eq!(
            s.gaps[0].sentence(),
            "3 people in Sales are not current with Security awareness (2 never took it, 1 expired)"
        );
    }
}
