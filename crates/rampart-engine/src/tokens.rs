//! API tokens: created with a secret shown once, listed, revoked.

use rampart_authz::{Principal, Resource};
use rampart_store::tokens::{self, ApiToken};
use rampart_store::{Change, users};

use crate::authentication::{new_secret, token_hash};
use crate::{Caller, Engine, EngineError};

pub(crate) fn new_token_id() -> String {
    let bytes: [u8; 8] = rand::random();
    format!("tok_{}", hex::encode(bytes))
}

/// A token just created: the record and its secret (shown once).
#[derive(Debug, Clone)]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: String,
}

impl Engine {
    /// Creates a token for `user_id` in the request's organisation (the caller if empty).
    pub async fn create_token(
        &self,
        caller: &Caller,
        org: &str,
        user_id: &str,
        label: &str,
        expires_at: &str,
    ) -> Result<NewToken, EngineError> {
        let (org, db) = self.organisation_db(caller, org).await?;
        let user_id = match (user_id.trim(), &caller.principal) {
            ("", Principal::User { id, .. }) => id.clone(),
            ("", Principal::Operator { .. }) => {
                return Err(rampart_domain::Invalid::new(
                    "user_id",
                    "an operator must name the user the token is for",
                )
                .into());
            }
            (u, _) => rampart_domain::user::user_id(u).map_err(|mut e| {
                e.field = "user_id".into();
                e
            })?,
        };
        self.authorize(
            caller,
            "token.create",
            &Resource::Token {
                organisation: org.clone(),
                holder: user_id.clone(),
            },
        )?;
        let user = users::get(&db, &user_id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("user {user_id}")))?;
        if !user.active {
            return Err(EngineError::FailedPrecondition(format!(
                "user {user_id} is inactive; reactivate them first"
            )));
        }
        let label = rampart_domain::invalid::optional_text("label", label, 200)?;
        let expires_at = expires_at.trim().to_string();
        if !expires_at.is_empty() {
            let t = time::OffsetDateTime::parse(
                &expires_at,
                &time::format_description::well_known::Rfc3339,
            )
            .map_err(|_| {
                rampart_domain::Invalid::new(
                    "expires_at",
                    "must be an RFC 3339 time, e.g. 2027-01-31T00:00:00Z",
                )
            })?;
            if t <= rampart_domain::clock::now() {
                return Err(rampart_domain::Invalid::new("expires_at", "is in the past").into());
            }
        }
        let secret = new_secret();
        let token = ApiToken {
            id: token_hash(&secret),
            token_id: new_token_id(),
            organisation: org,
            subject_kind: "user".into(),
            subject: user_id,
            label,
            created_at: rampart_store::now(),
            created_by: caller.actor(),
            expires_at: if expires_at.is_empty() {
                String::new()
            } else {
                rampart_store::format_time(
                    time::OffsetDateTime::parse(
                        &expires_at,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .expect("checked above"),
                )
            },
            revoked: false,
        };
        let mut change = Change::new();
        tokens::create(&mut change, &caller.actor(), &token);
        self.store.system().commit(change).await?;
        Ok(NewToken { token, secret })
    }

    pub async fn list_tokens(
        &self,
        caller: &Caller,
        org: &str,
        user_id: &str,
    ) -> Result<Vec<ApiToken>, EngineError> {
        let (org, _db) = self.organisation_db(caller, org).await?;
        let subject = (!user_id.trim().is_empty()).then(|| user_id.trim());
        let all = tokens::list(self.store.system(), &org, subject).await?;
        Ok(all
            .into_iter()
            .filter(|t| {
                self.allowed(
                    caller,
                    "token.list",
                    &Resource::Token {
                        organisation: org.clone(),
                        holder: t.subject.clone(),
                    },
                )
            })
            .collect())
    }

    pub async fn revoke_token(
        &self,
        caller: &Caller,
        org: &str,
        token_id: &str,
    ) -> Result<ApiToken, EngineError> {
        let (org, _db) = self.organisation_db(caller, org).await?;
        let token = tokens::by_token_id(self.store.system(), token_id.trim())
            .await?
            .filter(|t| t.organisation == org)
            .ok_or_else(|| EngineError::NotFound(format!("token {token_id}")))?;
        self.authorize(
            caller,
            "token.revoke",
            &Resource::Token {
                organisation: org,
                holder: token.subject.clone(),
            },
        )?;
        let mut change = Change::new();
        tokens::revoke(&mut change, &caller.actor(), &token);
        self.store.system().commit(change).await?;
        self.forget_callers();
        Ok(ApiToken {
            revoked: true,
            ..token
        })
    }
}
