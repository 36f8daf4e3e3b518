//! Entries on a case's timeline that change nothing else (a view, a file opened).

use chrono::{DateTime, Utc};

use super::Failure;
use crate::db::{self, events::NewEvent};
use crate::domain::Actor;
use crate::domain::ids::CaseId;
use crate::domain::timeline::EventKind;

/// Appends an event that changes no status (a note, a view of the case, a resent mail).
pub fn record(
    conn: &mut crate::storage::DbConn,
    case_id: CaseId,
    actor: &Actor,
    kind: EventKind,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    db::events::append(
        conn,
        &NewEvent {
            case_id,
            at: now.naive_utc(),
            actor: actor.name(),
            kind,
            from_status: None,
            to_status: None,
            note,
            agent_id: actor.agent_id(),
        },
    )?;
    Ok(())
}
