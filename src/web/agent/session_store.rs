//! actix-session's store over our database: sessions can be ended server-side (logout,
//! disabled account), which a cookie store cannot do. Only digests of keys are stored.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use chrono::NaiveDateTime;
use rand::distr::{Alphanumeric, SampleString};

use crate::clock::Clock;
use crate::domain::ids::AgentId;
use crate::keys::digest;
use crate::storage::{Failure as Unavailable, Store};
use crate::workflows::{Failure, sessions};

#[derive(Clone)]
pub struct DbSessionStore {
    pub store: Store,
    pub clock: Clock,
}

type State = HashMap<String, String>;

/// The key under which the signed-in agent's id is kept (as JSON, like every value).
pub const AGENT_ID: &str = "agent_id";

impl DbSessionStore {
    fn expires(&self, ttl: &Duration) -> NaiveDateTime {
        let ttl = chrono::Duration::seconds(ttl.whole_seconds());
        (self.clock.now() + ttl).naive_utc()
    }
}

/// What a write of the store answered, as the session middleware takes errors.
fn written<T>(answer: Result<Result<T, Failure>, Unavailable>) -> anyhow::Result<T> {
    Ok(answer??)
}

fn agent_id(state: &State) -> Option<AgentId> {
    state.get(AGENT_ID).and_then(|v| v.parse().ok())
}

fn new_key() -> anyhow::Result<SessionKey> {
    SessionKey::try_from(Alphanumeric.sample_string(&mut rand::rng(), 64))
        .map_err(|e| anyhow::anyhow!("session key: {e}"))
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let hash = digest(key.as_ref());
        let now = self.clock.now().naive_utc();
        let stored = self
            .store
            .read(move |conn| sessions::load(conn, &hash, now))
            .await
            .map_err(|e| LoadError::Other(e.into()))?
            .map_err(|e| LoadError::Other(e.into()))?;
        stored
            .map(|s| serde_json::from_str(&s).map_err(|e| LoadError::Deserialization(e.into())))
            .transpose()
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let json = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let key = new_key().map_err(SaveError::Other)?;
        let hash = digest(key.as_ref());
        let expires = self.expires(ttl);
        written(
            self.store
                .write(move |conn| sessions::start(conn, &hash, agent_id(&state), &json, expires))
                .await,
        )
        .map_err(SaveError::Other)?;
        Ok(key)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let json =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let hash = digest(key.as_ref());
        let expires = self.expires(ttl);
        let now = self.clock.now().naive_utc();
        let id = agent_id(&state);
        let updated = self
            .store
            .write(move |conn| sessions::update(conn, &hash, id, &json, expires, now))
            .await;
        let updated = written(updated).map_err(UpdateError::Other)?;
        if updated {
            return Ok(key);
        }
        // The session was ended meanwhile (logout, disabled account): never revive its
        // sign-in; start an anonymous one instead.
        let anonymous: State = state.into_iter().filter(|(k, _)| k != AGENT_ID).collect();
        self.save(anonymous, ttl).await.map_err(|e| match e {
            SaveError::Serialization(e) => UpdateError::Serialization(e),
            SaveError::Other(e) => UpdateError::Other(e),
        })
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let hash = digest(key.as_ref());
        let expires = self.expires(ttl);
        written(
            self.store
                .write(move |conn| sessions::touch(conn, &hash, expires))
                .await,
        )
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let hash = digest(key.as_ref());
        written(
            self.store
                .write(move |conn| sessions::end(conn, &hash))
                .await,
        )
    }
}
