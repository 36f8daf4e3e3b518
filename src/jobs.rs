//! Periodic work (unanswered requests, the morning digest) and housekeeping, on a plain thread so it runs whatever async runtime hosts the
//! server. Safe on several instances at once: every step is a conditional write.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Duration as Span;
use tokio::sync::oneshot;

use crate::clock::Clock;
use crate::db;
use crate::domain::cst;
use crate::storage::Store;
use crate::workflows::digest::{self, Sent};
use crate::workflows::morning_list;
use crate::workflows::{evidence, review};

pub const EVERY: Duration = Duration::from_secs(crate::domain::policy::JOBS_EVERY_SECS);

/// What the jobs need to know of the settings.
#[derive(Clone, Debug)]
pub struct Duties {
    /// Absolute base of the links in the mails the jobs write.
    pub links_base: String,
    /// Files of cases closed longer ago than this are deleted.
    pub evidence_retention_days: u32,
    /// Sent mail older than this is deleted.
    pub outbox_retention_days: u32,
}

/// The jobs thread of one server. Stopping it, or dropping this, ends the thread at once,
/// even in the middle of its wait.
pub struct Jobs {
    stop: mpsc::Sender<()>,
    /// Closed by the thread as it ends: waiting on it blocks no runtime thread.
    ended: oneshot::Receiver<()>,
    thread: JoinHandle<()>,
}

impl Jobs {
    /// Ends the thread and waits until it has (a run under way finishes first).
    pub async fn stop(self) {
        let Jobs {
            stop,
            ended,
            thread,
        } = self;
        drop(stop);
        let _ = ended.await;
        if thread.join().is_err() {
            tracing::error!("the periodic jobs thread ended abnormally");
        }
    }
}

/// Runs the jobs every `EVERY` on a thread named `name` (Linux shows 15 bytes of it).
pub fn spawn(store: Store, clock: Clock, duties: Duties, name: String) -> std::io::Result<Jobs> {
    let (stop, stopped) = mpsc::channel::<()>();
    let (ending, ended) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new().name(name).spawn(move || {
        // Dropped when the loop ends (or unwinds): `stop` then knows.
        let _ending = ending;
        // Nothing is ever sent: the sender's drop is the signal.
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
            if let Err(e) = run_once(&store, clock, &duties) {
                tracing::error!(error = %e, "periodic job failed");
            }
        }
    })?;
    Ok(Jobs {
        stop,
        ended,
        thread,
    })
}

/// Closes unanswered requests for evidence, sends the digest, deletes evidence and sent
/// mail past their retention, and forgets expired sessions, old sign-in failures, past
/// days' receipt counts and kept form files.
pub fn run_once(store: &Store, clock: Clock, duties: &Duties) -> anyhow::Result<()> {
    let now = clock.now();
    let links_base = duties.links_base.as_str();
    // Each step is a write of its own, through the store like every other write.
    let closed = store.write_blocking(|conn| review::close_unanswered(conn, links_base, now))??;
    if closed > 0 {
        tracing::info!(
            closed,
            "closed cases with no reply to a request for evidence"
        );
    }
    if let Sent::Mailed { supervisors } =
        store.write_blocking(|conn| digest::send_if_due(conn, links_base, now))??
    {
        tracing::info!(supervisors, "sent the supervisors' digest");
    }
    let agents =
        store.write_blocking(|conn| morning_list::send_if_due(conn, links_base, now))??;
    if agents > 0 {
        tracing::info!(agents, "sent the agents' morning lists");
    }
    let retention = i64::from(duties.evidence_retention_days);
    let deleted =
        store.write_blocking(|conn| evidence::delete_past_retention(conn, retention, now))??;
    if deleted > 0 {
        tracing::info!(
            deleted,
            "deleted evidence files past their retention period"
        );
    }
    let retention = Span::days(i64::from(duties.outbox_retention_days));
    let purged = store.write_blocking(|conn| {
        db::outbox::delete_sent_before(conn, (now - retention).naive_utc())
    })??;
    if purged > 0 {
        tracing::info!(purged, "deleted sent mail past its retention period");
    }
    store.write_blocking(|conn| {
        // Yesterday's counts no longer limit anything (China's day has ended everywhere).
        db::receipt_slots::delete_before(conn, cst::local_date(now) - Span::days(1))?;
        db::sessions::delete_expired(conn, now.naive_utc())?;
        db::sign_in::delete_older_than(conn, (now - Span::days(1)).naive_utc())?;
        if let db::DbConn::Sqlite(c) = conn {
            // Keeps the planner's statistics fresh, so the queue keeps reading its index.
            use diesel::connection::SimpleConnection;
            c.batch_execute("PRAGMA optimize")?;
        }
        Ok::<_, diesel::result::Error>(())
    })??;
    Ok(())
}
