//! Whether this instance can serve (the database answers, its schema is the one this
//! build expects), and the figures an operator scrapes.

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::cst;
use crate::metrics::Gauges;

pub fn check(conn: &mut DbConn) -> Result<(), Failure> {
    Ok(conn.batch_execute("SELECT 1")?)
}

#[derive(Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// The database lacks migrations this build needs (`appealdesk migrate`).
    MigrationsPending(usize),
}

/// Ready when the database answers and every migration of this build is applied.
pub fn readiness(conn: &mut DbConn) -> Result<Readiness, Failure> {
    check(conn)?;
    Ok(match db::pending_migrations(conn)? {
        0 => Readiness::Ready,
        n => Readiness::MigrationsPending(n),
    })
}

/// Open and overdue cases, due and dead mail and webhooks, as of `now`.
pub fn gauges(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Gauges, Failure> {
    let (open_cases, overdue_cases) = db::gauges::open_cases(conn, cst::local_date(now))?;
    let (outbox_due, outbox_dead) = db::gauges::outbox(conn, now.naive_utc())?;
    let (webhooks_due, webhooks_dead) = db::webhooks::gauges(conn, now.naive_utc())?;
    Ok(Gauges {
        open_cases,
        overdue_cases,
        outbox_due,
        outbox_dead,
        webhooks_due,
        webhooks_dead,
    })
}
