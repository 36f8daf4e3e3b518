//! Keys of the back office's API: created (shown once), listed, revoked by supervisors or
//! the CLI; checked against the database at every call.

use chrono::{DateTime, Duration, Utc};

use super::Failure;
use crate::db::{self, DbConn, api_keys::NewKey};
use crate::domain::api::{ApiScope, KeyName, KeyRefusal, Scopes};
use crate::domain::ids::ApiKeyId;
use crate::domain::{Lang, Refusal, policy};
use crate::storage::Session;

/// A key as the list shows it (never the key itself: only its digest is kept).
#[derive(Clone, Debug)]
pub struct KeyListing {
    pub name: String,
    pub scopes: Scopes,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The key just made: the only moment its secret exists outside the caller's hands.
#[derive(Clone, Debug)]
pub struct Created {
    pub name: String,
    pub key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0:?}")]
    Refused(KeyRefusal),
    #[error(transparent)]
    Failure(#[from] Failure),
}

impl From<diesel::result::Error> for KeyError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failure(e.into())
    }
}

impl Refusal for KeyError {
    fn message(&self, lang: Lang) -> String {
        match self {
            KeyError::Refused(r) => r.message(lang),
            KeyError::Failure(_) => lang
                .t(
                    "系统出错，请稍后再试。",
                    "Something went wrong on our side: please try again.",
                )
                .to_owned(),
        }
    }
}

/// Makes a key named `name` with `scopes`; `created_by`: the supervisor's email, or "cli".
pub fn create(
    conn: &mut DbConn,
    name: &KeyName,
    scopes: &Scopes,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<Created, KeyError> {
    let key = crate::keys::new_api_key();
    let digest = crate::keys::digest(&key);
    db::write_tx(conn, |conn| {
        if db::api_keys::name_taken(conn, name.as_str())? {
            return Err(KeyError::Refused(KeyRefusal::NameTaken));
        }
        let inserted = db::api_keys::insert(
            conn,
            &NewKey {
                name: name.as_str(),
                key_hash: &digest,
                scopes: scopes.clone(),
                created_by,
                created_at: now.naive_utc(),
            },
        );
        match inserted {
            Err(e) if db::is_unique_violation(&e) => Err(KeyError::Refused(KeyRefusal::NameTaken)),
            other => other.map_err(KeyError::from),
        }
    })?;
    Ok(Created {
        name: name.as_str().to_owned(),
        key,
    })
}

pub fn list(conn: &mut DbConn) -> Result<Vec<KeyListing>, Failure> {
    Ok(db::api_keys::all(conn)?
        .into_iter()
        .map(|k| KeyListing {
            name: k.name,
            scopes: k.scopes,
            created_by: k.created_by,
            created_at: k.created_at.and_utc(),
            last_used_at: k.last_used_at.map(|t| t.and_utc()),
            revoked_at: k.revoked_at.map(|t| t.and_utc()),
        })
        .collect())
}

/// Revokes the live key of this name: the next call with it is refused, on every instance.
pub fn revoke(conn: &mut DbConn, name: &str, now: DateTime<Utc>) -> Result<(), KeyError> {
    db::write_tx(conn, |conn| {
        if db::api_keys::revoke(conn, name.trim(), now.naive_utc())? {
            Ok(())
        } else {
            Err(KeyError::Refused(KeyRefusal::NoSuchKey))
        }
    })
}

/// Who calls the API: a live key, its name (the timeline's actor) and scopes.
#[derive(Clone, Debug)]
pub struct Caller {
    pub id: ApiKeyId,
    pub name: String,
    pub scopes: Scopes,
}

impl Caller {
    pub fn allows(&self, scope: ApiScope) -> bool {
        self.scopes.allows(scope)
    }
}

/// The live key a bearer token is, or `None`. Notes when it was last used, at most once a
/// minute (not a write per call).
pub fn authenticate(
    session: &mut Session<'_>,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Option<Caller>, Failure> {
    if !presented.starts_with("ad_") {
        return Ok(None);
    }
    let digest = crate::keys::digest(presented);
    let Some(key) = db::api_keys::active_by_hash(session.conn(), &digest)? else {
        return Ok(None);
    };
    let stale = now.naive_utc() - Duration::seconds(policy::API_KEY_LAST_USED_EVERY_SECS);
    if key.last_used_at.is_none_or(|at| at < stale) {
        session.write(|conn| db::api_keys::mark_used(conn, key.id, now.naive_utc()))?;
    }
    Ok(Some(Caller {
        id: key.id,
        name: key.name,
        scopes: key.scopes,
    }))
}
