//! For supervisors: mail that could not be delivered, with the last error, and
//! sending one again once the cause is fixed.

use chrono::{DateTime, Utc};

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::Actor;
use crate::domain::ids::OutboxId;
use crate::domain::timeline::EventKind;

use super::views::{self, DeadMailView};

/// The most a page lists at once.
const LIST_LIMIT: i64 = 200;

/// Dead mail, newest first.
pub fn dead_mail(conn: &mut DbConn) -> Result<Vec<DeadMailView>, Failure> {
    Ok(views::all(db::outbox::list_dead(conn, LIST_LIMIT)?))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Resend {
    /// Due now, attempts from zero; the caller may wake the worker.
    Queued,
    /// Not dead (already resent, sent meanwhile, or no such mail): nothing changed.
    NotDead,
}

/// The same rendered mail again, with the same Message-ID. Who resent a case's mail is
/// written to its audit trail.
pub fn resend(
    conn: &mut DbConn,
    id: OutboxId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Resend, Failure> {
    db::write_tx(conn, |conn| {
        if !db::outbox::resend(conn, id, now.naive_utc())? {
            return Ok(Resend::NotDead);
        }
        if let Some(case_id) = db::outbox::case_of(conn, id)? {
            let note = format!("outbox #{id}");
            super::timeline::record(
                conn,
                case_id,
                actor,
                EventKind::MailResent,
                Some(&note),
                now,
            )?;
        }
        Ok(Resend::Queued)
    })
}
