//! The delivery loop that the mail outbox and the webhooks share: claim a batch of due
//! rows under a lease (`db::leased`), renew the lease while sending (the heartbeat),
//! send each row, record its outcome only while the lease holds, and give back what is
//! left when told to stop. What is sent, and how, is the `Courier`'s.
//!
//! Several workers on one database share the work safely; a crashed one's claims run out
//! within one lease.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::config::Clock;
use crate::db::DbConn;
use crate::db::leased::{Claimed, LeasedQueue, Outcome};
use crate::storage::Store;

/// A claimed row of `C`'s table.
pub type Row<C> = <<C as Courier>::Queue as LeasedQueue>::Row;
type Id<C> = <Row<C> as Claimed>::Id;

/// Why a send failed, and whether trying again could help. `status`: the receiver's
/// answer, when it gave one (an HTTP status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub permanent: bool,
    pub message: String,
    pub status: Option<i32>,
}

/// The result a worker counts (`/metrics`) and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Delivered,
    Retry,
    Dead,
}

/// What one kind of row is and how it is sent.
pub trait Courier: Send + Sync + 'static {
    type Queue: LeasedQueue;
    /// For logs: "mail", "webhook".
    const WHAT: &'static str;

    /// The longest one send may take; a worker renews its lease before a send that
    /// might outlast it.
    fn timeout(&self) -> Duration;

    /// Sends one row; `Ok` holds the receiver's answer, if it gave one.
    fn send(&self, row: &Row<Self>) -> impl Future<Output = Result<Option<i32>, Failed>> + Send;

    /// The delay before the next attempt after `attempts` failed ones; `None`: dead.
    fn retry_after(&self, attempts: i32) -> Option<chrono::Duration>;

    /// What `record` needs beyond the row (it runs on the database's side, apart from
    /// the courier).
    type Context: Clone + Send + Sync + 'static;
    fn context(&self) -> Self::Context;

    /// Records an outcome while the lease `held` holds; returns whether it did. Couriers
    /// that keep more than the row (an endpoint's failure streak) extend it, in the same
    /// transaction.
    fn record(
        conn: &mut DbConn,
        _context: &Self::Context,
        row: &Row<Self>,
        held: NaiveDateTime,
        now: NaiveDateTime,
        outcome: &Outcome,
    ) -> Result<bool, crate::workflows::Failure> {
        Ok(Self::Queue::mark(conn, row.id(), held, now, outcome)?)
    }

    /// Counts an attempt's result in `/metrics`.
    fn count(&self, result: Counted);
}

/// How a worker paces itself.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// How often an idle worker looks for due rows (a wake-up comes sooner).
    pub poll_interval: Duration,
    /// How long a claim lasts unless renewed; renewed every third of it while sending.
    pub lease: Duration,
    pub batch: u32,
}

/// Wakes the worker of this process at once, e.g. after a filing committed mail.
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

pub struct Worker<C: Courier> {
    store: Store,
    courier: C,
    pace: Pace,
    clock: Clock,
    wake: Wake,
}

/// A worker running in the background; `stop` lets the row it is sending go out, gives
/// back the rest of its batch and waits for it to end.
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "a delivery worker ended abnormally");
        }
    }
}

/// The rows of a batch this worker still holds, and until when.
struct Held<I> {
    ids: Vec<I>,
    until: NaiveDateTime,
}

impl<C: Courier> Worker<C> {
    pub fn with(store: Store, courier: C, pace: Pace, clock: Clock, wake: Wake) -> Self {
        Self {
            store,
            courier,
            pace,
            clock,
            wake,
        }
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
                        tracing::info!(what = C::WHAT, "the queue is readable again");
                        failing = false;
                    }
                    taken == self.pace.batch as usize
                }
                Err(e) => {
                    // Logged once per outage, not at every poll.
                    if !failing {
                        tracing::error!(what = C::WHAT, error = %format!("{e:#}"), "cannot claim rows to deliver");
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
                _ = tokio::time::sleep(self.pace.poll_interval) => {}
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
            if taken < self.pace.batch as usize {
                return Ok(total);
            }
        }
    }

    /// Claims one batch and delivers it; returns how many rows it claimed. Once `stop`
    /// says so, the rows not yet sent are given back.
    async fn deliver_batch(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<usize> {
        let now = self.clock.now().naive_utc();
        let lease = chrono::Duration::from_std(self.pace.lease)?;
        let limit = i64::from(self.pace.batch);
        let rows = self
            .db(move |conn| {
                if !C::Queue::any_due(conn, now)? {
                    return Ok(Vec::new());
                }
                C::Queue::claim_due(conn, now, lease, limit)
            })
            .await?;
        let taken = rows.len();
        let Some(until) = rows.first().and_then(|r| r.lease_until()) else {
            return Ok(taken);
        };
        let mut held = Held {
            ids: rows.iter().map(|r| r.id()).collect(),
            until,
        };
        for row in rows {
            if *stop.borrow() {
                break;
            }
            let id = row.id();
            if held.ids.contains(&id) {
                self.deliver(row, &mut held).await;
            }
            held.ids.retain(|held| *held != id);
        }
        if !held.ids.is_empty() {
            let Held { ids, until } = held;
            let count = ids.len();
            match self
                .db(move |conn| C::Queue::release(conn, &ids, until))
                .await
            {
                Ok(released) => {
                    tracing::info!(
                        what = C::WHAT,
                        released,
                        "stopping: gave back undelivered rows"
                    )
                }
                // Their lease runs out instead.
                Err(e) => {
                    tracing::warn!(what = C::WHAT, count, error = %format!("{e:#}"), "cannot give back undelivered rows")
                }
            }
        }
        Ok(taken)
    }

    /// Extends this worker's lease on the rows it holds; rows it lost meanwhile (its lease
    /// ran out and another worker claimed them) are dropped from `held`.
    async fn renew(&self, held: &mut Held<Id<C>>) {
        let lease = chrono::Duration::from_std(self.pace.lease).unwrap_or(chrono::Duration::MAX);
        let until = crate::db::leased::lease_end(self.clock.now().naive_utc(), lease);
        let (ids, old) = (held.ids.clone(), held.until);
        match self
            .db(move |conn| C::Queue::renew(conn, &ids, old, until))
            .await
        {
            Ok(kept) => {
                if kept.len() < held.ids.len() {
                    tracing::warn!(
                        what = C::WHAT,
                        lost = held.ids.len() - kept.len(),
                        "leases ran out before they were renewed"
                    );
                }
                held.ids = kept;
                held.until = until;
            }
            // The lease may still hold; the next beat tries again.
            Err(e) => {
                tracing::warn!(what = C::WHAT, error = %format!("{e:#}"), "cannot renew leases")
            }
        }
    }

    async fn deliver(&self, row: Row<C>, held: &mut Held<Id<C>>) {
        let (id, attempts) = (row.id(), row.attempts());
        // Too little lease left for a send: renew first.
        let margin = chrono::Duration::from_std(self.courier.timeout().min(self.pace.lease / 2))
            .unwrap_or(chrono::Duration::MAX);
        if self.clock.now().naive_utc() + margin >= held.until {
            self.renew(held).await;
            // Not renewed (lost, or the database did not answer): another worker may
            // claim it once the lease runs out, so sending now could send it twice.
            if !held.ids.contains(&id) || self.clock.now().naive_utc() + margin >= held.until {
                tracing::warn!(what = C::WHAT, id = %id, "lease lost; leaving the row to its new claim");
                return;
            }
        }
        let sent = {
            let send = self.courier.send(&row);
            tokio::pin!(send);
            // The heartbeat: the claims stay ours however long the receiver takes.
            let beat = self.pace.lease / 3;
            loop {
                tokio::select! {
                    sent = &mut send => break sent,
                    _ = tokio::time::sleep(beat) => self.renew(held).await,
                }
            }
        };
        let lease = held.until;
        let now = self.clock.now().naive_utc();
        let outcome = match sent {
            Ok(status) => {
                self.courier.count(Counted::Delivered);
                tracing::info!(what = C::WHAT, id = %id, ?status, "delivered");
                Outcome::Done { status }
            }
            Err(e) => match self.courier.retry_after(attempts).filter(|_| !e.permanent) {
                Some(delay) => {
                    self.courier.count(Counted::Retry);
                    let next = now + delay;
                    tracing::warn!(what = C::WHAT, id = %id, attempts, error = %e.message, %next, "not delivered; will retry");
                    Outcome::Retry {
                        next,
                        error: e.message,
                        status: e.status,
                    }
                }
                None => {
                    self.courier.count(Counted::Dead);
                    tracing::error!(what = C::WHAT, id = %id, attempts, error = %e.message, "dead: a supervisor can send it again");
                    Outcome::Dead {
                        error: e.message,
                        status: e.status,
                    }
                }
            },
        };
        let context = self.courier.context();
        let marked = self
            .store
            .write(move |conn| C::record(conn, &context, &row, lease, now, &outcome))
            .await;
        match marked {
            Ok(Ok(true)) => {}
            // Our lease ran out and another worker claimed the row: its outcome stands.
            Ok(Ok(false)) => {
                tracing::warn!(what = C::WHAT, id = %id, "lease lost before the outcome was recorded")
            }
            // The lease runs out and the row is tried again: at worst a second copy.
            Ok(Err(e)) => {
                tracing::error!(what = C::WHAT, id = %id, error = %e, "cannot record an outcome")
            }
            Err(e) => {
                tracing::error!(what = C::WHAT, id = %id, error = %e, "cannot record an outcome")
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
