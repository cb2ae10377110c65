//! Who is calling: bearer tokens, and the first operator on an empty database.

use std::time::{Duration, Instant};

use rampart_authz::Principal;
use rampart_domain::audit::sha256_hex;
use rampart_store::Change;
use rampart_store::tokens::{self, ApiToken};
use rampart_store::users::{self, Operator};

use crate::{Engine, EngineError};

/// How long an authenticated token is remembered. Revocations and user changes made through this
/// process take effect at once; those made through another process within this time.
const CALLER_TTL: Duration = Duration::from_secs(5);

/// Tokens are `rmp_` followed by 64 hex digits (256 random bits).
pub const TOKEN_PREFIX: &str = "rmp_";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub token_id: String,
    pub display_name: String,
}

impl Caller {
    pub fn actor(&self) -> String {
        self.principal.actor()
    }

    /// The user id, or the operator id.
    pub fn id(&self) -> &str {
        match &self.principal {
            Principal::Operator { id } | Principal::User { id, .. } => id,
        }
    }
}

/// What the first start on an empty database created.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub operator: String,
    /// The operator's token, when this start generated it (None if it was supplied).
    pub generated_secret: Option<String>,
}

pub(crate) fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

pub(crate) fn token_hash(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

impl Engine {
    /// Resolves a bearer secret to a caller. Any failure is UNAUTHENTICATED without detail
    /// beyond what the holder of the token may know.
    pub async fn authenticate(&self, secret: &str) -> Result<Caller, EngineError> {
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(EngineError::Unauthenticated(
                "missing bearer token: send `authorization: Bearer <token>` (the CLI reads RAMPART_TOKEN)".into(),
            ));
        }
        let hash = token_hash(secret);
        if let Some((caller, at)) = self.callers.lock().expect("cache lock").get(&hash)
            && at.elapsed() < CALLER_TTL
        {
            return Ok(caller.clone());
        }
        let bad = || EngineError::Unauthenticated("invalid, expired or revoked token".into());
        let token = tokens::by_hash(self.store.system(), &hash)
            .await?
            .ok_or_else(bad)?;
        if token.revoked {
            return Err(bad());
        }
        if !token.expires_at.is_empty()
            && token.expires_at.as_str() <= rampart_store::now().as_str()
        {
            return Err(bad());
        }
        let caller = self.caller_for(&token).await?.ok_or_else(bad)?;
        self.callers
            .lock()
            .expect("cache lock")
            .insert(hash, (caller.clone(), Instant::now()));
        Ok(caller)
    }

    async fn caller_for(&self, token: &ApiToken) -> Result<Option<Caller>, EngineError> {
        if token.subject_kind == "operator" {
            let Some(op) = users::get_operator(self.store.system(), &token.subject).await? else {
                return Ok(None);
            };
            return Ok(Some(Caller {
                principal: Principal::Operator { id: op.id },
                token_id: token.token_id.clone(),
                display_name: op.display_name,
            }));
        }
        let db = self.store.organisation(&token.organisation).await?;
        let Some(user) = users::get(&db, &token.subject).await? else {
            return Ok(None);
        };
        let principal = self.user_principal(&token.organisation, &user).await?;
        Ok(Some(Caller {
            principal,
            token_id: token.token_id.clone(),
            display_name: user.display_name,
        }))
    }

    /// The Cedar principal for a user, with the rank of their clearance in the current scheme.
    pub(crate) async fn user_principal(
        &self,
        organisation: &str,
        user: &rampart_domain::user::User,
    ) -> Result<Principal, EngineError> {
        let rank = if user.clearance.is_empty() {
            -1
        } else {
            let db = self.store.organisation(organisation).await?;
            rampart_store::classification::get_scheme(&db)
                .await?
                .and_then(|s| s.scheme().rank(&user.clearance))
                .map(|r| r as i64)
                .unwrap_or(-1)
        };
        Ok(Principal::User {
            organisation: organisation.to_string(),
            id: user.id.clone(),
            roles: user.roles.clone(),
            department: user.department.clone(),
            job_title: user.job_title.clone(),
            clearance: user.clearance.clone(),
            clearance_rank: rank,
            active: user.active,
        })
    }

    /// On a database with no operator, creates the operator `admin` with a token: `supplied` if
    /// given (automation), else a new random one returned once. Does nothing otherwise.
    pub async fn bootstrap(
        &self,
        supplied: Option<&str>,
    ) -> Result<Option<Bootstrap>, EngineError> {
        let system = self.store.system();
        if users::count_operators(system).await? > 0 {
            return Ok(None);
        }
        let secret = match supplied.map(str::trim) {
            Some(s) if s.len() < 32 => {
                return Err(EngineError::Invalid(rampart_domain::Invalid::new(
                    "bootstrap token",
                    "must be at least 32 characters (generate one with `openssl rand -hex 32`)",
                )));
            }
            Some(s) => s.to_string(),
            None => new_secret(),
        };
        let now = rampart_store::now();
        let op = Operator {
            id: "admin".into(),
            display_name: "Rampart administrator".into(),
            revision: 1,
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        let token = ApiToken {
            id: token_hash(&secret),
            token_id: crate::tokens::new_token_id(),
            organisation: String::new(),
            subject_kind: "operator".into(),
            subject: op.id.clone(),
            label: "bootstrap".into(),
            created_at: now,
            created_by: "system".into(),
            expires_at: String::new(),
            revoked: false,
        };
        let mut change = Change::new();
        users::create_operator(&mut change, "system", &op);
        tokens::create(&mut change, "system", &token);
        match system.commit(change).await {
            Ok(_) => {}
            // Another server bootstrapped the same database first.
            Err(rampart_store::StoreError::AlreadyExists(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        Ok(Some(Bootstrap {
            operator: op.id,
            generated_secret: if supplied.is_some() {
                None
            } else {
                Some(secret)
            },
        }))
    }
}

impl Engine {
    /// A caller for an existing user, without a token. Only for trusted in-process tooling such
    /// as the example loader; requests still go through the policies as that user.
    pub async fn act_as_user(
        &self,
        organisation: &str,
        user_id: &str,
    ) -> Result<Caller, EngineError> {
        let db = self.store.organisation(organisation).await?;
        let user = users::get(&db, user_id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("user {user_id}")))?;
        let principal = self.user_principal(organisation, &user).await?;
        Ok(Caller {
            principal,
            token_id: String::new(),
            display_name: user.display_name,
        })
    }

    /// A caller for an operator, without a token (trusted in-process tooling only).
    pub async fn act_as_operator(&self, id: &str) -> Result<Caller, EngineError> {
        let op = users::get_operator(self.store.system(), id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("operator {id}")))?;
        Ok(Caller {
            principal: Principal::Operator { id: op.id },
            token_id: String::new(),
            display_name: op.display_name,
        })
    }
}
