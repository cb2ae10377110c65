//! Organisations: created by operators, each with its own database.

use rampart_authz::Resource;
use rampart_domain::classification::ClassificationScheme;
use rampart_domain::organisation::{Organisation, OrganisationFields, organisation_id};
use rampart_store::classification::{self as scheme_store, StoredScheme};
use rampart_store::{Change, organisations};

use crate::{Caller, Engine, EngineError};

impl Engine {
    /// Creates an organisation and its database, with a starting scheme from `template`
    /// ("four-level" when empty, "none" for no scheme).
    pub async fn create_organisation(
        &self,
        caller: &Caller,
        id: &str,
        fields: OrganisationFields,
        template: &str,
    ) -> Result<Organisation, EngineError> {
        let id = organisation_id(id)?;
        self.authorize(
            caller,
            "organisation.create",
            &Resource::Organisation { id: id.clone() },
        )?;
        let fields = fields.validate()?;
        let template = match template.trim() {
            "" => "four-level",
            t => t,
        };
        let scheme = match template {
            "none" => None,
            t => Some(ClassificationScheme::template(t).ok_or_else(|| {
                rampart_domain::Invalid::new(
                    "scheme_template",
                    format!("unknown template '{t}' (four-level, nato, none)"),
                )
            })?),
        };
        let now = rampart_store::now();
        let org = Organisation {
            id: id.clone(),
            name: fields.name,
            employees: fields.employees,
            isms_scope: fields.isms_scope,
            revision: 1,
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        let mut change = Change::new();
        organisations::create(&mut change, &caller.actor(), &org);
        self.store.system().commit(change).await?;
        // The organisation record is the source of truth; its database is prepared after it.
        let db = self.store.organisation(&id).await?;
        if let Some(scheme) = scheme {
            let mut change = Change::new();
            scheme_store::put_scheme(
                &mut change,
                &caller.actor(),
                &StoredScheme::new(scheme, 1, now),
                0,
            );
            db.commit(change).await?;
        }
        Ok(org)
    }

    pub async fn get_organisation(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Organisation, EngineError> {
        let id = if id.trim().is_empty() {
            caller.principal.organisation().unwrap_or("").to_string()
        } else {
            id.trim().to_string()
        };
        let org = organisations::get(self.store.system(), &id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("organisation {id}")))?;
        self.authorize(
            caller,
            "organisation.read",
            &Resource::Organisation { id: org.id.clone() },
        )?;
        Ok(org)
    }

    /// The organisations the caller may see: all for an operator, their own for a user.
    pub async fn list_organisations(
        &self,
        caller: &Caller,
    ) -> Result<Vec<Organisation>, EngineError> {
        let all = organisations::list(self.store.system()).await?;
        Ok(all
            .into_iter()
            .filter(|o| {
                self.allowed(
                    caller,
                    "organisation.read",
                    &Resource::Organisation { id: o.id.clone() },
                )
            })
            .collect())
    }

    pub async fn update_organisation(
        &self,
        caller: &Caller,
        id: &str,
        expected_revision: u64,
        fields: OrganisationFields,
    ) -> Result<Organisation, EngineError> {
        let current = self.get_organisation(caller, id).await?;
        self.authorize(
            caller,
            "organisation.update",
            &Resource::Organisation {
                id: current.id.clone(),
            },
        )?;
        let fields = fields.validate()?;
        check_revision(
            "organisation",
            &current.id,
            current.revision,
            expected_revision,
        )?;
        let org = Organisation {
            name: fields.name,
            employees: fields.employees,
            isms_scope: fields.isms_scope,
            revision: current.revision + 1,
            updated_at: rampart_store::now(),
            ..current
        };
        let mut change = Change::new();
        organisations::update(&mut change, &caller.actor(), &org, expected_revision);
        self.store.system().commit(change).await?;
        Ok(org)
    }
}

/// Fails early with ABORTED when the caller read an older revision (the store checks it again
/// atomically when writing).
/// [`check_revision`] for a put that creates (revision 0: nothing there yet) or replaces.
pub(crate) fn check_put_revision(
    what: &str,
    id: &str,
    current: u64,
    expected: u64,
) -> Result<(), EngineError> {
    if current != expected {
        return Err(EngineError::Conflict(format!(
            "{what} {id} is at revision {current}, the request named {expected} (0 to create): read it again and retry"
        )));
    }
    Ok(())
}

pub(crate) fn check_revision(
    what: &str,
    id: &str,
    current: u64,
    expected: u64,
) -> Result<(), EngineError> {
    if expected == 0 {
        return Err(rampart_domain::Invalid::new(
            "expected_revision",
            format!("is required: send the revision of the {what} you read (currently {current})"),
        )
        .into());
    }
    if current != expected {
        return Err(EngineError::Conflict(format!(
            "{what} {id} was changed by someone else: revision {current} is current, the request named {expected}; read it again and retry"
        )));
    }
    Ok(())
}
