use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{agent_sessions, agents};
use crate::domain::agent::Role;
use crate::domain::ids::AgentId;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = agents)]
pub struct AgentRow {
    pub id: AgentId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled_at: Option<NaiveDateTime>,
    pub totp_enabled_at: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut DbConn,
    email: &str,
    name: &str,
    role: Role,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(agents::table)
        .values((
            agents::email.eq(email),
            agents::name.eq(name),
            agents::role.eq(role),
            agents::password_hash.eq(password_hash),
            agents::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<AgentRow>> {
    agents::table
        .filter(agents::email.eq(email))
        .select(AgentRow::as_select())
        .first(conn)
        .optional()
}

pub fn by_id(conn: &mut DbConn, id: AgentId) -> QueryResult<Option<AgentRow>> {
    agents::table
        .filter(agents::id.eq(id))
        .select(AgentRow::as_select())
        .first(conn)
        .optional()
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<AgentRow>> {
    agents::table
        .order(agents::email)
        .select(AgentRow::as_select())
        .load(conn)
}

/// Disables the account and ends its sessions at once.
pub fn disable(conn: &mut DbConn, email: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let Some(agent) = by_email(conn, email)? else {
        return Ok(false);
    };
    diesel::update(agents::table.filter(agents::id.eq(agent.id)))
        .set(agents::disabled_at.eq(now))
        .execute(conn)?;
    diesel::delete(agent_sessions::table.filter(agent_sessions::agent_id.eq(agent.id)))
        .execute(conn)?;
    Ok(true)
}

pub fn active_supervisors(conn: &mut DbConn) -> QueryResult<Vec<AgentRow>> {
    agents::table
        .filter(agents::role.eq(Role::Supervisor))
        .filter(agents::disabled_at.is_null())
        .select(AgentRow::as_select())
        .load(conn)
}
