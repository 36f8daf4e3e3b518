//! Periodic work (unanswered requests, the morning digest) and housekeeping, on a plain thread so it runs whatever async runtime hosts the
//! server. Safe on several instances at once: every step is a conditional write.

use std::time::Duration;

use chrono::Duration as Span;

use crate::config::Clock;
use crate::db::{self, Pool};
use crate::workflows::digest::{self, Sent};
use crate::workflows::review;

pub const EVERY: Duration = Duration::from_secs(300);

pub fn spawn(pool: Pool, clock: Clock, links_base: String) {
    let spawned = std::thread::Builder::new()
        .name("appealdesk-jobs".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EVERY);
                if let Err(e) = run_once(&pool, clock, &links_base) {
                    tracing::error!(error = %e, "periodic job failed");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the periodic jobs");
    }
}

/// Closes unanswered requests for evidence and forgets expired sessions and old
/// sign-in failures.
pub fn run_once(pool: &Pool, clock: Clock, links_base: &str) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let now = clock.now();
    let closed = review::close_unanswered(&mut conn, links_base, now)?;
    if closed > 0 {
        tracing::info!(
            closed,
            "closed cases with no reply to a request for evidence"
        );
    }
    if let Sent::Mailed { supervisors } = digest::send_if_due(&mut conn, links_base, now)? {
        tracing::info!(supervisors, "sent the supervisors' digest");
    }
    db::sessions::delete_expired(&mut conn, now.naive_utc())?;
    db::sign_in::delete_older_than(&mut conn, (now - Span::days(1)).naive_utc())?;
    if let db::DbConn::Sqlite(c) = &mut *conn {
        // Keeps the planner's statistics fresh, so the queue keeps reading its index.
        use diesel::connection::SimpleConnection;
        c.batch_execute("PRAGMA optimize")?;
    }
    Ok(())
}
