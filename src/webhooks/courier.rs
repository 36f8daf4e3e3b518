//! Webhook deliveries through the shared delivery loop: each POSTed signed to its
//! endpoint; a 2xx is delivered, anything else retried on `policy::WEBHOOK_RETRY_SECS`
//! then dead. An endpoint failing every delivery for `policy::WEBHOOK_DISABLE_AFTER_DAYS`
//! is disabled and supervisors are mailed, in the transaction that records the failure.

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};

use super::client::{HookClient, Signed};
use super::sign::signature_header;
use crate::config::{Clock, WebhookSettings};
use crate::db::leased::Outcome;
use crate::db::webhooks::{DeliveryQueue, DeliveryRow, EndpointRow};
use crate::db::{self, DbConn};
use crate::delivery::{self, Counted, Courier, Failed, Pace, Wake};
use crate::domain::webhook::EndpointUrl;
use crate::domain::{Lang, cst, policy};
use crate::email::{self, WebhookDisabled};
use crate::storage::Store;
use crate::workflows::Failure;

pub type Worker = delivery::Worker<Hooks>;

pub struct Hooks {
    store: Store,
    client: HookClient,
    clock: Clock,
    /// Where the console's links start, for the mail to supervisors.
    links_base: std::sync::Arc<str>,
}

/// The webhook worker of this process, unless `WEBHOOK_WORKER=off`.
pub fn worker(
    store: Store,
    settings: &WebhookSettings,
    clock: Clock,
    links_base: &str,
) -> anyhow::Result<Option<Worker>> {
    if !settings.run_worker {
        return Ok(None);
    }
    let hooks = Hooks {
        store: store.clone(),
        client: HookClient::new(settings.allow_private)?,
        clock,
        links_base: links_base.into(),
    };
    let pace = Pace {
        poll_interval: settings.poll_interval,
        lease: settings.lease,
        batch: settings.batch,
    };
    Ok(Some(Worker::with(
        store,
        hooks,
        pace,
        clock,
        Wake::default(),
    )))
}

fn permanent(message: &str) -> Failed {
    Failed {
        permanent: true,
        message: message.to_owned(),
        status: None,
    }
}

impl Courier for Hooks {
    type Queue = DeliveryQueue;
    type Context = std::sync::Arc<str>;
    const WHAT: &'static str = "webhook";

    fn context(&self) -> Self::Context {
        self.links_base.clone()
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(policy::WEBHOOK_TIMEOUT_SECS + 1)
    }

    async fn send(&self, row: &DeliveryRow) -> Result<Option<i32>, Failed> {
        let id = row.endpoint_id;
        let endpoint: Option<EndpointRow> = self
            .store
            .read(move |conn| db::webhooks::endpoint(conn, id))
            .await
            .map_err(|e| transient(&e.to_string()))?
            .map_err(|e| transient(&e.to_string()))?;
        let Some(endpoint) = endpoint else {
            return Err(permanent("the endpoint was deleted"));
        };
        if !endpoint.enabled {
            return Err(permanent("the endpoint is disabled"));
        }
        let url = EndpointUrl::parse(&endpoint.url)
            .map_err(|_| permanent("the endpoint's URL cannot be used"))?;
        let now = self.clock.now().naive_utc();
        let mut secrets = vec![endpoint.secret.as_str()];
        if let (Some(previous), Some(until)) =
            (&endpoint.previous_secret, endpoint.previous_expires_at)
            && now < until
        {
            secrets.push(previous);
        }
        // The receiver checks this against its own clock (a replay window): the wall
        // clock's time of sending, whatever time the application believes it is.
        let timestamp = Utc::now().timestamp();
        let signature = signature_header(&secrets, &row.message_id, timestamp, &row.payload);
        let signed = Signed {
            id: &row.message_id,
            timestamp,
            signature: &signature,
        };
        self.client
            .post(&url, &signed, row.payload.clone())
            .await
            .map(Some)
    }

    fn retry_after(&self, attempts: i32) -> Option<chrono::Duration> {
        policy::webhook_retry_after(attempts)
    }

    fn record(
        conn: &mut DbConn,
        links_base: &Self::Context,
        row: &DeliveryRow,
        held: NaiveDateTime,
        now: NaiveDateTime,
        outcome: &Outcome,
    ) -> Result<bool, Failure> {
        db::write_tx(conn, |conn| {
            if !db::webhooks::mark(conn, row.id, held, now, outcome)? {
                return Ok(false);
            }
            match outcome {
                Outcome::Done { .. } => db::webhooks::note_success(conn, row.endpoint_id)?,
                Outcome::Retry { error, .. } | Outcome::Dead { error, .. } => {
                    failed(conn, links_base, row, error, now)?
                }
            }
            Ok(true)
        })
    }

    fn count(&self, result: Counted) {
        crate::metrics::webhook_delivery(match result {
            Counted::Delivered => "delivered",
            Counted::Retry => "retry",
            Counted::Dead => "dead",
        });
    }
}

fn transient(message: &str) -> Failed {
    Failed {
        permanent: false,
        message: message.to_owned(),
        status: None,
    }
}

/// A failed attempt: the endpoint's failure streak goes on, and past the limit the
/// endpoint is disabled and every active supervisor mailed (once: the disabling is a
/// conditional update).
fn failed(
    conn: &mut DbConn,
    links_base: &str,
    row: &DeliveryRow,
    error: &str,
    now: NaiveDateTime,
) -> Result<(), Failure> {
    let Some(since) = db::webhooks::note_failure(conn, row.endpoint_id, now)? else {
        return Ok(());
    };
    let days = (now - since).num_days();
    if days < policy::WEBHOOK_DISABLE_AFTER_DAYS {
        return Ok(());
    }
    let reason = format!("failing since {since} UTC: {error}");
    if !db::webhooks::disable_failing(conn, row.endpoint_id, &reason)? {
        return Ok(());
    }
    let Some(endpoint) = db::webhooks::endpoint(conn, row.endpoint_id)? else {
        return Ok(());
    };
    tracing::error!(endpoint = %row.endpoint_id, days, "webhook endpoint disabled after failing for days");
    let mail = WebhookDisabled {
        lang: Lang::Zh,
        url: endpoint.url,
        failing_since: cst::format_local(since.and_utc()),
        days,
        last_error: error.to_owned(),
        page_url: format!("{links_base}/agent/webhooks"),
    };
    for supervisor in db::agents::active_supervisors(conn)? {
        email::enqueue(conn, &mail, &supervisor.email, None, now.and_utc())?;
    }
    Ok(())
}
