//! Delivers the outbox: claims due rows under a lease, sends each, and marks it sent,
//! due again later (transient failure, exponential backoff) or dead (permanent failure,
//! or too many attempts). Several workers on one database share the work safely.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use super::compose::compose;
use super::transport::{SMTP_TIMEOUT, SendError, Transport};
use crate::config::{Clock, MailSettings};
use crate::db::{self, DbConn, Pool, Writer, outbox::MailRow};

/// Wakes the worker of this process at once, e.g. after a filing committed mail.
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

pub struct Worker {
    pool: Pool,
    /// SQLite's single writer (`db::Writer`), which claims and outcomes queue for.
    writer: Option<Arc<Writer>>,
    transport: Transport,
    from: Mailbox,
    settings: MailSettings,
    clock: Clock,
    wake: Wake,
}

/// A worker running in the background; `stop` lets its current batch finish.
pub struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the outbox worker ended abnormally");
        }
    }
}

impl Worker {
    pub fn new(
        pool: Pool,
        settings: &MailSettings,
        clock: Clock,
        wake: Wake,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            pool,
            writer: None,
            transport: Transport::from_settings(settings)?,
            from: settings.from.clone(),
            settings: settings.clone(),
            clock,
            wake,
        })
    }

    /// Writes through the server's single SQLite writer instead of a pooled connection.
    pub fn with_writer(self, writer: Option<Arc<Writer>>) -> Self {
        Self { writer, ..self }
    }

    pub fn spawn(self) -> Running {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(self.run(stopped));
        Running { stop, task }
    }

    /// Delivers until told to stop: a full batch is followed at once by the next, an
    /// idle worker waits for a wake-up or the poll interval.
    pub async fn run(self, mut stop: oneshot::Receiver<()>) {
        let mut failing = false;
        loop {
            let full = match self.deliver_batch().await {
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
            if full {
                if !matches!(stop.try_recv(), Err(oneshot::error::TryRecvError::Empty)) {
                    return;
                }
                continue;
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = self.wake.0.notified() => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
    }

    /// Delivers what is due now, batch after batch, then returns how many it handled.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let taken = self.deliver_batch().await?;
            total += taken;
            if taken < self.settings.batch as usize {
                return Ok(total);
            }
        }
    }

    /// Claims one batch and delivers it; returns how many rows it claimed.
    async fn deliver_batch(&self) -> anyhow::Result<usize> {
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
        for row in rows {
            self.deliver(row).await;
        }
        Ok(taken)
    }

    async fn deliver(&self, row: MailRow) {
        let (id, attempts) = (row.id, row.attempts);
        // Too little lease left for a send: another worker may take the row meanwhile.
        let margin = chrono::Duration::from_std(SMTP_TIMEOUT.min(self.settings.lease / 2))
            .unwrap_or(chrono::Duration::MAX);
        let Some(lease) = row
            .lease_until
            .filter(|until| self.clock.now().naive_utc() + margin < *until)
        else {
            tracing::warn!(
                id = %id,
                "outbox lease ran short; leaving the mail for a later claim"
            );
            return;
        };
        let outcome = match compose(&row, &self.from) {
            Ok(message) => self.transport.send(message).await,
            Err(reason) => Err(SendError::permanent(reason)),
        };
        let now = self.clock.now().naive_utc();
        let marked = match outcome {
            Ok(()) => {
                tracing::info!(id = %id, mail = %row.message, case_id = ?row.case_id, "mail sent");
                self.db(move |conn| db::outbox::mark_sent(conn, id, lease, now))
                    .await
            }
            Err(e) if e.permanent || attempts >= self.settings.max_attempts as i32 => {
                tracing::error!(id = %id, attempts, error = %e.message, "mail is dead: a supervisor can resend it");
                self.db(move |conn| db::outbox::mark_dead(conn, id, lease, &e.message))
                    .await
            }
            Err(e) => {
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
        let pool = self.pool.clone();
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || match writer {
            Some(writer) => Ok(writer.run(work)?),
            None => {
                let mut conn = pool.get()?;
                Ok(work(&mut conn)?)
            }
        })
        .await?
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
