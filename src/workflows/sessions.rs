//! Console sessions kept in the database, so that signing out or disabling an account
//! ends them at once. Only digests of session keys are stored.

use chrono::NaiveDateTime;

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::ids::AgentId;

pub fn load(
    conn: &mut DbConn,
    key_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, Failure> {
    Ok(db::sessions::load(conn, key_hash, now)?)
}

pub fn start(
    conn: &mut DbConn,
    key_hash: &str,
    agent: Option<AgentId>,
    state: &str,
    expires_at: NaiveDateTime,
) -> Result<(), Failure> {
    Ok(db::sessions::insert(
        conn, key_hash, agent, state, expires_at,
    )?)
}

/// False when the session has ended meanwhile (signed out, account disabled).
pub fn update(
    conn: &mut DbConn,
    key_hash: &str,
    agent: Option<AgentId>,
    state: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool, Failure> {
    Ok(db::sessions::update(
        conn, key_hash, agent, state, expires_at, now,
    )?)
}

pub fn touch(conn: &mut DbConn, key_hash: &str, expires_at: NaiveDateTime) -> Result<(), Failure> {
    Ok(db::sessions::touch(conn, key_hash, expires_at)?)
}

pub fn end(conn: &mut DbConn, key_hash: &str) -> Result<(), Failure> {
    Ok(db::sessions::delete(conn, key_hash)?)
}
