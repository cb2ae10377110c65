//! Users of an organisation.

use rampart_authz::Resource;
use rampart_domain::user::{User, UserFields, user_id};
use rampart_store::{Change, users};

use crate::organisations::check_revision;
use crate::{Caller, Engine, EngineError, page_size};

/// Fails with INVALID_ARGUMENT naming `field` unless `id` is a user of the organisation: the one
/// check behind every owner, assignee, auditor and attendee an operation names.
pub(crate) async fn require_user(
    db: &rampart_store::Database,
    field: &str,
    id: &str,
) -> Result<(), EngineError> {
    if users::get(db, id.trim()).await?.is_none() {
        return Err(rampart_domain::Invalid::new(
            field,
            format!(
                "there is no user '{}' in this organisation (rampart user list shows who there is)",
                id.trim()
            ),
        )
        .into());
    }
    Ok(())
}

impl Engine {
    pub async fn create_user(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        fields: UserFields,
    ) -> Result<User, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let id = user_id(id)?;
        self.authorize(
            caller,
            "user.create",
            &Resource::User {
                organisation: org.clone(),
                id: id.clone(),
                target: None,
            },
        )?;
        let fields = UserFields {
            active: true,
            ..fields
        }
        .validate()?;
        self.check_clearance(&db, &fields.clearance).await?;
        let now = rampart_store::now();
        let user = User {
            id,
            display_name: fields.display_name,
            email: fields.email,
            roles: fields.roles,
            department: fields.department,
            job_title: fields.job_title,
            clearance: fields.clearance,
            active: true,
            revision: 1,
            created_at: now.clone(),
            updated_at: now,
        };
        let mut change = Change::new();
        users::create(&mut change, &caller.actor(), &user);
        db.commit(change).await?;
        Ok(user)
    }

    async fn check_clearance(
        &self,
        db: &rampart_store::Database,
        clearance: &str,
    ) -> Result<(), EngineError> {
        if clearance.is_empty() {
            return Ok(());
        }
        let scheme = rampart_store::classification::get_scheme(db).await?;
        if scheme.is_none_or(|s| s.scheme().level(clearance).is_none()) {
            return Err(rampart_domain::Invalid::new(
                "clearance",
                format!("'{clearance}' is not a level of the organisation's classification scheme"),
            )
            .into());
        }
        Ok(())
    }

    async fn user_resource(&self, org: &str, user: &User) -> Result<Resource, EngineError> {
        Ok(Resource::User {
            organisation: org.to_string(),
            id: user.id.clone(),
            target: Some(Box::new(self.user_principal(org, user).await?)),
        })
    }

    pub async fn get_user(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
    ) -> Result<User, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let user = users::get(&db, id.trim())
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("user {}", id.trim())))?;
        self.authorize(caller, "user.read", &self.user_resource(&org, &user).await?)?;
        Ok(user)
    }

    /// Users the caller may read, a page at a time.
    pub async fn list_users(
        &self,
        caller: &Caller,
        org: &str,
        page: u32,
        page_token: &str,
    ) -> Result<(Vec<User>, String), EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        self.authorize(
            caller,
            "user.list",
            &Resource::Organisation { id: org.clone() },
        )?;
        let size = page_size(page);
        let mut out = Vec::new();
        let mut cursor = page_token.trim().to_string();
        loop {
            let batch = users::list(&db, &cursor, size + 1).await?;
            let exhausted = batch.len() <= size;
            for u in batch {
                if out.len() == size {
                    return Ok((out, cursor));
                }
                cursor = u.id.clone();
                if self.allowed(caller, "user.read", &self.user_resource(&org, &u).await?) {
                    out.push(u);
                }
            }
            if exhausted {
                return Ok((out, String::new()));
            }
        }
    }

    pub async fn update_user(
        &self,
        caller: &Caller,
        org: &str,
        id: &str,
        expected_revision: u64,
        fields: UserFields,
    ) -> Result<User, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let current = users::get(&db, id.trim())
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("user {}", id.trim())))?;
        self.authorize(
            caller,
            "user.update",
            &self.user_resource(&org, &current).await?,
        )?;
        let fields = fields.validate()?;
        self.check_clearance(&db, &fields.clearance).await?;
        check_revision("user", &current.id, current.revision, expected_revision)?;
        let user = User {
            display_name: fields.display_name,
            email: fields.email,
            roles: fields.roles,
            department: fields.department,
            job_title: fields.job_title,
            clearance: fields.clearance,
            active: fields.active,
            revision: current.revision + 1,
            updated_at: rampart_store::now(),
            ..current
        };
        let mut change = Change::new();
        users::update(&mut change, &caller.actor(), &user, expected_revision);
        db.commit(change).await?;
        self.forget_callers();
        Ok(user)
    }
}
