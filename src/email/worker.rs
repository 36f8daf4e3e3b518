//! Delivers the outbox: claims due rows under a lease, sends each, and marks it sent,
//! due again later (transient failure, exponential backoff) or dead (permanent failure,
//! or too many attempts). Several workers on one database share the work safely.
//! Claims are short leases renewed while the worker sends; a stopping worker gives back
//! what it has not sent, and a crashed one's claims run out within one lease.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::compose::compose;
use super::transport::{SMTP_TIMEOUT, SendError, Transport};
use crate::config::{Clock, MailSettings};
use crate::db::{self, DbConn, outbox::MailRow};
use crate::domain::ids::OutboxId;
use crate::storage::Store;

/// Wakes the worker of this process at once, e.g. after a filing committed mail.
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

pub struct Worker {
    /// Claims and outcomes are writes like any other (on SQLite, queued for its writer).
    store: Store,
    transport: Transport,
    from: Mailbox,
    settings: MailSettings,
    clock: Clock,
    wake: Wake,
}

/// A worker running in the background; `stop` lets the mail it is sending go out, gives
/// back the rest of its batch and waits for it to end.
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the outbox worker ended abnormally");
        }
    }
}

/// The rows of a batch this worker still holds, and until when.
struct Held {
    ids: Vec<OutboxId>,
    until: chrono::NaiveDateTime,
}

impl Worker {
    pub fn new(
        store: Store,
        settings: &MailSettings,
        clock: Clock,
        wake: Wake,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            store,
            transport: Transport::from_settings(settings)?,
            from: settings.from.clone(),
            settings: settings.clone(),
            clock,
            wake,
        })
    }

    pub fn spawn(self) -> Running {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.run(stopped));
        Running { stop, task }
    }

    /// Delivers until told to stop: a full batch is followed at once by the next, an
    /// idle worker waits for a wake-up or the poll interval.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut failing = false;
        loop {
            let full = match self.deliver_batch(&stop).await {
                Ok(taken) => {
                    if failing {
                        tracing::info!("the outbox is readable again");
                        failing = false;
                    }
                    taken == self.settings.batch as usize
                }
                Err(e) => {
                    // Logged once per outage, not at every poll.
                    if !failing {
                        tracing::error!(error = %format!("{e:#}"), "cannot claim outbox mail");
                        failing = true;
                    }
                    false
                }
            };
            if *stop.borrow() {
                return;
            }
            if full {
                continue;
            }
            tokio::select! {
                // A dropped sender stops the worker too.
                _ = stop.changed() => return,
                _ = self.wake.0.notified() => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
    }

    /// Delivers what is due now, batch after batch, then returns how many it handled.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let (_keep, running) = watch::channel(false);
        let mut total = 0;
        loop {
            let taken = self.deliver_batch(&running).await?;
            total += taken;
            if taken < self.settings.batch as usize {
                return Ok(total);
            }
        }
    }

    /// Claims one batch and delivers it; returns how many rows it claimed. Once `stop`
    /// says so, the rows not yet sent are given back.
    async fn deliver_batch(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<usize> {
        let now = self.clock.now().naive_utc();
        let lease = chrono::Duration::from_std(self.settings.lease)?;
        let limit = i64::from(self.settings.batch);
        let rows = self
            .db(move |conn| {
                if !db::outbox::any_due(conn, now)? {
                    return Ok(Vec::new());
                }
                db::outbox::claim_due(conn, now, lease, limit)
            })
            .await?;
        let taken = rows.len();
        let Some(until) = rows.first().and_then(|r| r.lease_until) else {
            return Ok(taken);
        };
        let mut held = Held {
            ids: rows.iter().map(|r| r.id).collect(),
            until,
        };
        for row in rows {
            if *stop.borrow() {
                break;
            }
            let id = row.id;
            if held.ids.contains(&id) {
                self.deliver(row, &mut held).await;
            }
            held.ids.retain(|held| *held != id);
        }
        if !held.ids.is_empty() {
            let Held { ids, until } = held;
            let count = ids.len();
            match self
                .db(move |conn| db::outbox::release(conn, &ids, until))
                .await
            {
                Ok(released) => tracing::info!(released, "stopping: gave back unsent mail"),
                // Their lease runs out instead.
                Err(e) => {
                    tracing::warn!(count, error = %format!("{e:#}"), "cannot give back unsent mail")
                }
            }
        }
        Ok(taken)
    }

    /// Extends this worker's lease on the rows it holds; rows it lost meanwhile (its lease
    /// ran out and another worker claimed them) are dropped from `held`.
    async fn renew(&self, held: &mut Held) {
        let lease =
            chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::MAX);
        let until = db::outbox::lease_end(self.clock.now().naive_utc(), lease);
        let (ids, old) = (held.ids.clone(), held.until);
        match self
            .db(move |conn| db::outbox::renew(conn, &ids, old, until))
            .await
        {
            Ok(kept) => {
                if kept.len() < held.ids.len() {
                    tracing::warn!(
                        lost = held.ids.len() - kept.len(),
                        "outbox leases ran out before they were renewed"
                    );
                }
                held.ids = kept;
                held.until = until;
            }
            // The lease may still hold; the next beat tries again.
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "cannot renew outbox leases"),
        }
    }

    async fn deliver(&self, row: MailRow, held: &mut Held) {
        let (id, attempts) = (row.id, row.attempts);
        // Too little lease left for a send: renew first.
        let margin = chrono::Duration::from_std(SMTP_TIMEOUT.min(self.settings.lease / 2))
            .unwrap_or(chrono::Duration::MAX);
        if self.clock.now().naive_utc() + margin >= held.until {
            self.renew(held).await;
            // Not renewed (lost, or the database did not answer): another worker may
            // claim it once the lease runs out, so sending now could send it twice.
            if !held.ids.contains(&id) || self.clock.now().naive_utc() + margin >= held.until {
                tracing::warn!(id = %id, "outbox lease lost; leaving the mail to its new claim");
                return;
            }
        }
        let send = async {
            match compose(&row, &self.from) {
                Ok(message) => self.transport.send(message).await,
                Err(reason) => Err(SendError::permanent(reason)),
            }
        };
        tokio::pin!(send);
        // The heartbeat: the claims stay ours however long the server takes.
        let beat = self.settings.lease / 3;
        let outcome = loop {
            tokio::select! {
                outcome = &mut send => break outcome,
                _ = tokio::time::sleep(beat) => self.renew(held).await,
            }
        };
        let lease = held.until;
        let now = self.clock.now().naive_utc();
        let marked = match outcome {
            Ok(()) => {
                crate::metrics::mail_sent("sent");
                tracing::info!(id = %id, mail = %row.message, case_id = ?row.case_id, "mail sent");
                self.db(move |conn| db::outbox::mark_sent(conn, id, lease, now))
                    .await
            }
            Err(e) if e.permanent || attempts >= self.settings.max_attempts as i32 => {
                crate::metrics::mail_sent("dead");
                tracing::error!(id = %id, attempts, error = %e.message, "mail is dead: a supervisor can resend it");
                self.db(move |conn| db::outbox::mark_dead(conn, id, lease, &e.message))
                    .await
            }
            Err(e) => {
                crate::metrics::mail_sent("retry");
                let next = now + backoff(&self.settings, attempts);
                tracing::warn!(id = %id, attempts, error = %e.message, %next, "mail not sent; will retry");
                self.db(move |conn| db::outbox::mark_retry(conn, id, lease, next, &e.message))
                    .await
            }
        };
        match marked {
            Ok(true) => {}
            // Our lease ran out and another worker claimed the row: its outcome stands.
            Ok(false) => {
                tracing::warn!(id = %id, "outbox lease lost before the outcome was recorded")
            }
            // The lease runs out and the row is tried again: at worst a second copy.
            Err(e) => {
                tracing::error!(id = %id, error = %format!("{e:#}"), "cannot record the outcome of a mail")
            }
        }
    }

    async fn db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut DbConn) -> diesel::QueryResult<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        Ok(self.store.write(work).await??)
    }
}

/// The delay before the next attempt after `attempts` failed ones:
/// base × 2^(attempts − 1), at most the cap.
pub fn backoff(settings: &MailSettings, attempts: i32) -> chrono::Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let delay: Duration = settings
        .retry_base
        .saturating_mul(1 << doublings)
        .min(settings.retry_cap);
    chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let settings = MailSettings::default();
        let minutes = |n| chrono::Duration::minutes(n);
        assert_eq!(backoff(&settings, 1), minutes(1));
        assert_eq!(backoff(&settings, 2), minutes(2));
        assert_eq!(backoff(&settings, 4), minutes(8));
        assert_eq!(backoff(&settings, 9), minutes(256));
        assert_eq!(backoff(&settings, 10), chrono::Duration::hours(6));
        assert_eq!(backoff(&settings, i32::MAX), chrono::Duration::hours(6));
        assert_eq!(backoff(&settings, 0), minutes(1));
    }
}
