//! Training and awareness (7.2, 7.3): courses defined by those who run the ISMS, completions
//! recorded by a course's owner, and where everyone stands — from the records and from the
//! acknowledgements document control already holds.

use rampart_authz::Resource;
use rampart_domain::Invalid;
use rampart_domain::training::{self, Course, TrainingStatus};
use rampart_store::registers::{self as store, Table};
use rampart_store::{Change, Database};

use crate::{Caller, Engine, EngineError};

fn register(org: &str) -> Resource {
    Resource::TrainingRegister {
        organisation: org.to_string(),
    }
}

fn resource(org: &str, c: &Course) -> Resource {
    Resource::Course {
        organisation: org.to_string(),
        id: c.id.clone(),
        owner: c.owner.clone(),
    }
}

async fn courses(db: &Database) -> Result<Vec<Course>, EngineError> {
    Ok(store::all_with_revisions::<Course>(db, Table::Course)
        .await?
        .into_iter()
        .map(|(mut c, rev)| {
            c.revision = rev;
            c
        })
        .collect())
}

/// Where everyone stands, computed from the courses, the users and the acknowledgements of the
/// courses' documents.
pub(crate) async fn status(db: &Database, now: &str) -> Result<TrainingStatus, EngineError> {
    let courses = courses(db).await?;
    let users = rampart_store::users::list(db, "", 1_000_000).await?;
    let mut documents: Vec<&String> = courses.iter().flat_map(|c| &c.documents).collect();
    documents.sort();
    documents.dedup();
    let mut acknowledged = Vec::new();
    for d in documents {
        for a in rampart_store::documents::acknowledgements(db, d).await? {
            acknowledged.push((a.user, a.document, a.at));
        }
    }
    Ok(training::status(&courses, &users, &acknowledged, now))
}

/// What the framework check reads (7.2 evidence of competence, 7.3 awareness).
pub(crate) async fn training_facts(
    db: &Database,
    now: &str,
) -> Result<Vec<(&'static str, u64)>, EngineError> {
    let s = status(db, now).await?;
    let mut facts = vec![(
        "people-without-awareness-training",
        s.people_without_awareness,
    )];
    if s.records > 0 {
        facts.push(("training-records", s.records));
    }
    Ok(facts)
}

impl Engine {
    async fn load_course(&self, db: &Database, id: &str) -> Result<Option<Course>, EngineError> {
        Ok(store::get::<Course>(db, Table::Course, id.trim())
            .await?
            .map(|(mut c, rev)| {
                c.revision = rev;
                c
            }))
    }

    /// Defines a course (expected_revision 0) or redefines it at the revision read; its
    /// completion records are kept.
    pub async fn put_course(
        &self,
        caller: &Caller,
        org: &str,
        course: Course,
        expected_revision: u64,
    ) -> Result<Course, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "training.update", &register(&org))?;
        let id = rampart_domain::invalid::key("id", &course.id, 100)?;
        let previous = self.load_course(&db, &id).await?;
        let current = previous.as_ref().map(|p| p.revision).unwrap_or(0);
        crate::organisations::check_put_revision("course", &id, current, expected_revision)?;
        let mut c = Course {
            id: id.clone(),
            ..course
        }
        .validate(previous.as_ref())?;
        crate::users::require_user(&db, "owner", &c.owner).await?;
        for d in &c.documents {
            if rampart_store::documents::get(&db, d).await?.is_none() {
                return Err(Invalid::new(
                    "documents",
                    format!("there is no document '{d}' (rampart document list shows them)"),
                )
                .into());
            }
        }
        let mut change = Change::new();
        store::put(
            &mut change,
            "course",
            &caller.actor(),
            "training.update",
            Table::Course,
            &id,
            &c,
            expected_revision,
        );
        db.commit(change).await?;
        c.revision = expected_revision + 1;
        Ok(c)
    }

    pub async fn get_course(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<Course, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let c = self
            .load_course(&db, id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("course {}", id.trim())))?;
        self.authorize(caller, "training.read", &resource(&org, &c))?;
        Ok(c)
    }

    pub async fn list_courses(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<Vec<Course>, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "training.list", &register(&org))?;
        Ok(courses(&db)
            .await?
            .into_iter()
            .filter(|c| self.allowed(caller, "training.read", &resource(&org, c)))
            .collect())
    }

    /// Records that `users` took the course at `at` (a date or time; empty: now).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_training(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        users: &[String],
        at: &str,
        note: &str,
    ) -> Result<Course, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let mut c = self
            .load_course(&db, id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("course {}", id.trim())))?;
        self.authorize(caller, "training.record", &resource(&org, &c))?;
        crate::organisations::check_revision("course", &c.id, c.revision, expected_revision)?;
        for user in users {
            crate::users::require_user(&db, "users", user).await?;
        }
        let now = rampart_store::now();
        let at = if at.trim().is_empty() {
            now.as_str()
        } else {
            at
        };
        if rampart_domain::times::normalise("at", at)? > now {
            return Err(Invalid::new("at", "a completion cannot be in the future").into());
        }
        c.record(users, at, note, &caller.actor())?;
        let mut change = Change::new();
        store::replace(
            &mut change,
            "course",
            &caller.actor(),
            "training.record",
            Table::Course,
            &c.id,
            &c,
            expected_revision,
        );
        db.commit(change).await?;
        c.revision = expected_revision + 1;
        Ok(c)
    }

    /// Where everyone stands with every course they must take, and the gaps by department.
    pub async fn training_status(
        &self,
        caller: &Caller,
        org: &str,
    ) -> Result<TrainingStatus, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(caller, "training.list", &register(&org))?;
        status(&db, &rampart_store::now()).await
    }
}
