//! An agent's second factor: the shared key, the last step a code was accepted for, the
//! recovery codes' digests and the security audit.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{agent_sessions, agents, recovery_codes, security_events};
use crate::domain::ids::AgentId;
use crate::domain::second_factor::SecurityEventKind;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = agents)]
pub struct SecondFactorRow {
    pub totp_secret: Option<String>,
    pub totp_enabled_at: Option<NaiveDateTime>,
    pub totp_last_step: Option<i64>,
}

pub fn of(conn: &mut DbConn, agent: AgentId) -> QueryResult<Option<SecondFactorRow>> {
    agents::table
        .find(agent)
        .select(SecondFactorRow::as_select())
        .first(conn)
        .optional()
}

/// Keeps a new key for an enrollment in progress; never replaces one in use.
pub fn start(conn: &mut DbConn, agent: AgentId, secret: &str) -> QueryResult<bool> {
    diesel::update(
        agents::table
            .find(agent)
            .filter(agents::totp_enabled_at.is_null()),
    )
    .set((
        agents::totp_secret.eq(secret),
        agents::totp_last_step.eq(None::<i64>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Turns the enrolled key on, unless another request did first.
pub fn enable(conn: &mut DbConn, agent: AgentId, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        agents::table
            .find(agent)
            .filter(agents::totp_enabled_at.is_null())
            .filter(agents::totp_secret.is_not_null()),
    )
    .set(agents::totp_enabled_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Records that a code of time step `step` was used; false when it (or a later one) was
/// already: the condition is what makes a code single-use under concurrent requests.
pub fn use_step(conn: &mut DbConn, agent: AgentId, step: i64) -> QueryResult<bool> {
    diesel::update(
        agents::table.find(agent).filter(
            agents::totp_last_step
                .is_null()
                .or(agents::totp_last_step.lt(step)),
        ),
    )
    .set(agents::totp_last_step.eq(step))
    .execute(conn)
    .map(|n| n == 1)
}

/// Clears the second factor and its recovery codes.
pub fn clear(conn: &mut DbConn, agent: AgentId) -> QueryResult<()> {
    diesel::update(agents::table.find(agent))
        .set((
            agents::totp_secret.eq(None::<String>),
            agents::totp_enabled_at.eq(None::<NaiveDateTime>),
            agents::totp_last_step.eq(None::<i64>),
        ))
        .execute(conn)?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::agent_id.eq(agent)))
        .execute(conn)
        .map(drop)
}

/// Replaces the account's recovery codes by these digests.
pub fn replace_recovery_codes(
    conn: &mut DbConn,
    agent: AgentId,
    digests: &[String],
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::agent_id.eq(agent)))
        .execute(conn)?;
    // One statement a code: the multi-backend connection has no batch insert.
    for digest in digests {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::agent_id.eq(agent),
                recovery_codes::digest.eq(digest),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses up a recovery code; false when it is not one of the account's unused codes.
pub fn use_recovery_code(
    conn: &mut DbConn,
    agent: AgentId,
    digest: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        recovery_codes::table
            .filter(recovery_codes::agent_id.eq(agent))
            .filter(recovery_codes::digest.eq(digest))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)
    .map(|n| n >= 1)
}

pub fn recovery_codes_left(conn: &mut DbConn, agent: AgentId) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::agent_id.eq(agent))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

pub fn record(
    conn: &mut DbConn,
    agent: AgentId,
    kind: SecurityEventKind,
    actor: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(security_events::table)
        .values((
            security_events::agent_id.eq(agent),
            security_events::kind.eq(kind),
            security_events::actor.eq(actor),
            security_events::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = security_events)]
pub struct SecurityEventRow {
    pub kind: SecurityEventKind,
    pub actor: String,
    pub at: NaiveDateTime,
}

/// The account's latest security events, newest first.
pub fn events(conn: &mut DbConn, agent: AgentId, limit: i64) -> QueryResult<Vec<SecurityEventRow>> {
    security_events::table
        .filter(security_events::agent_id.eq(agent))
        .order((security_events::at.desc(), security_events::id.desc()))
        .limit(limit)
        .select(SecurityEventRow::as_select())
        .load(conn)
}

/// Ends every session of the account (its second factor was reset).
pub fn end_sessions(conn: &mut DbConn, agent: AgentId) -> QueryResult<()> {
    diesel::delete(agent_sessions::table.filter(agent_sessions::agent_id.eq(agent)))
        .execute(conn)
        .map(drop)
}
