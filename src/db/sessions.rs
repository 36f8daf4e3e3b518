//! Storage for agents' sessions. Keys arrive already digested.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::agent_sessions;
use crate::domain::ids::AgentId;

pub fn load(conn: &mut DbConn, key_hash: &str, now: NaiveDateTime) -> QueryResult<Option<String>> {
    agent_sessions::table
        .find(key_hash)
        .filter(agent_sessions::expires_at.gt(now))
        .select(agent_sessions::state)
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut DbConn,
    key_hash: &str,
    agent_id: Option<AgentId>,
    state: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(agent_sessions::table)
        .values((
            agent_sessions::key_hash.eq(key_hash),
            agent_sessions::agent_id.eq(agent_id),
            agent_sessions::state.eq(state),
            agent_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Returns false when the session is gone (logged out, expired, account disabled).
pub fn update(
    conn: &mut DbConn,
    key_hash: &str,
    agent_id: Option<AgentId>,
    state: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        agent_sessions::table
            .find(key_hash)
            .filter(agent_sessions::expires_at.gt(now)),
    )
    .set((
        agent_sessions::agent_id.eq(agent_id),
        agent_sessions::state.eq(state),
        agent_sessions::expires_at.eq(expires_at),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn touch(conn: &mut DbConn, key_hash: &str, expires_at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(agent_sessions::table.find(key_hash))
        .set(agent_sessions::expires_at.eq(expires_at))
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConn, key_hash: &str) -> QueryResult<()> {
    diesel::delete(agent_sessions::table.find(key_hash))
        .execute(conn)
        .map(drop)
}

pub fn delete_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(agent_sessions::table.filter(agent_sessions::expires_at.le(now))).execute(conn)
}
