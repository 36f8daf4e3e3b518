//! An agent's own choices (`/agent/me`): their language and the notices they get.

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::ids::AgentId;
use crate::domain::notices::Preferences;

pub fn of(conn: &mut DbConn, agent: AgentId) -> Result<Preferences, Failure> {
    Ok(db::agent_prefs::of(conn, agent)?)
}

pub fn save(conn: &mut DbConn, agent: AgentId, prefs: &Preferences) -> Result<(), Failure> {
    db::write_tx(conn, |conn| {
        db::agent_prefs::save(conn, agent, prefs)?;
        Ok(())
    })
}
