//! Delivers the outbox through the shared delivery loop (`crate::delivery`): a mail is
//! sent over SMTP (or written to a file), and a failed one is tried again with
//! exponential backoff until it is sent or dead (permanent failure, or too many attempts).

use std::time::Duration;

use lettre::message::Mailbox;

use super::compose::compose;
use super::transport::{SMTP_TIMEOUT, SendError, Transport};
use crate::config::{Clock, MailSettings};
use crate::db::outbox::{MailQueue, MailRow};
use crate::delivery::{self, Counted, Courier, Failed, Pace};
use crate::storage::Store;

pub use crate::delivery::{Running, Wake};

/// The outbox worker.
pub type Worker = delivery::Worker<Mail>;

/// Mail as the delivery loop sends it.
pub struct Mail {
    transport: Transport,
    from: Mailbox,
    settings: MailSettings,
}

impl delivery::Worker<Mail> {
    /// `store`: a `Store`, or a bare pool (a worker process of its own, or a test).
    pub fn new(
        store: impl Into<Store>,
        settings: &MailSettings,
        clock: Clock,
        wake: Wake,
    ) -> anyhow::Result<Self> {
        let mail = Mail {
            transport: Transport::from_settings(settings)?,
            from: settings.from.clone(),
            settings: settings.clone(),
        };
        let pace = Pace {
            poll_interval: settings.poll_interval,
            lease: settings.lease,
            batch: settings.batch,
        };
        Ok(Self::with(store.into(), mail, pace, clock, wake))
    }
}

impl Courier for Mail {
    type Queue = MailQueue;
    type Context = ();
    const WHAT: &'static str = "mail";

    fn context(&self) {}

    fn timeout(&self) -> Duration {
        SMTP_TIMEOUT
    }

    async fn send(&self, row: &MailRow) -> Result<Option<i32>, Failed> {
        let sent = match compose(row, &self.from) {
            Ok(message) => self.transport.send(message).await,
            Err(reason) => Err(SendError::permanent(reason)),
        };
        match sent {
            Ok(()) => {
                tracing::info!(id = %row.id, mail = %row.message, case_id = ?row.case_id, "mail sent");
                Ok(None)
            }
            Err(e) => Err(Failed {
                permanent: e.permanent,
                message: e.message,
                status: None,
            }),
        }
    }

    fn retry_after(&self, attempts: i32) -> Option<chrono::Duration> {
        (attempts < self.settings.max_attempts as i32).then(|| backoff(&self.settings, attempts))
    }

    fn count(&self, result: Counted) {
        crate::metrics::mail_sent(match result {
            Counted::Delivered => "sent",
            Counted::Retry => "retry",
            Counted::Dead => "dead",
        });
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
