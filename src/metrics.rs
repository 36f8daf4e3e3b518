//! What an operator scrapes at `GET /metrics` (Prometheus text format): requests by route
//! pattern and status with their latency, filings accepted and refused by reason, mail
//! send results, and gauges of the database's state read at scrape time.
//!
//! One recorder per process (the `metrics` crate's global): every server in a process
//! (tests run several) counts into it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const REQUESTS: &str = "appealdesk_http_requests_total";
const REQUEST_SECONDS: &str = "appealdesk_http_request_duration_seconds";
const FILINGS: &str = "appealdesk_filings_total";
const MAIL: &str = "appealdesk_mail_send_total";
const OPEN_CASES: &str = "appealdesk_open_cases";
const OVERDUE_CASES: &str = "appealdesk_overdue_cases";
const OUTBOX_DUE: &str = "appealdesk_outbox_due";
const OUTBOX_DEAD: &str = "appealdesk_outbox_dead";
const WEBHOOKS: &str = "appealdesk_webhook_deliveries_total";
const WEBHOOKS_DUE: &str = "appealdesk_webhooks_due";
const WEBHOOKS_DEAD: &str = "appealdesk_webhooks_dead";
const WRITE_BATCH: &str = "appealdesk_sqlite_write_batch_calls";

/// Calls committed together by SQLite's writer: 1 when idle, up to its batch limit.
const BATCH_BUCKETS: [f64; 7] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// Latency buckets, in seconds: a page answers in milliseconds, a filing with files in
/// tenths of a second, an upload waiting for room in the budget in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's recorder, installed at the first call.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.to_owned()), &BUCKETS)
            .expect("the buckets are not empty")
            .set_buckets_for_metric(Matcher::Full(WRITE_BATCH.to_owned()), &BATCH_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder installed first (an embedding program's) keeps counting;
        // ours then renders empty rather than failing the start.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed already; /metrics shows none");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(
        REQUESTS,
        "HTTP requests answered, by route pattern and status"
    );
    metrics::describe_histogram!(
        REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "time to answer an HTTP request, by route pattern"
    );
    metrics::describe_counter!(
        FILINGS,
        "appeals sent: outcome=accepted (a new case), again (the same form resent) or refused, with the reason"
    );
    metrics::describe_counter!(
        MAIL,
        "outbox mail send attempts by result: sent, retry, dead"
    );
    metrics::describe_counter!(
        WEBHOOKS,
        "webhook delivery attempts by result: delivered, retry, dead"
    );
    metrics::describe_gauge!(WEBHOOKS_DUE, "webhook deliveries due to be sent now");
    metrics::describe_gauge!(
        WEBHOOKS_DEAD,
        "webhook deliveries that failed every attempt, for a supervisor to replay"
    );
    metrics::describe_histogram!(
        WRITE_BATCH,
        "workflow calls committed in one SQLite transaction by the single writer (group commit)"
    );
    metrics::describe_gauge!(OPEN_CASES, "cases waiting for a decision");
    metrics::describe_gauge!(
        OVERDUE_CASES,
        "open cases past their review deadline (China time)"
    );
    metrics::describe_gauge!(OUTBOX_DUE, "mail due to be sent now");
    metrics::describe_gauge!(
        OUTBOX_DEAD,
        "mail that could not be delivered, for a supervisor"
    );
}

/// One answered request. `route` is the pattern (`/track/{token}`), never the path.
pub fn request(method: &'static str, route: &str, status: u16, took: Duration) {
    /// A route's series for one method: its latency, and its count per status.
    struct Series {
        seconds: metrics::Histogram,
        answered: HashMap<u16, metrics::Counter>,
    }
    thread_local! {
        /// This thread's handles by method and route. Registering the series at each
        /// request (labels allocated, hashed, looked up) was a twentieth of a page's time.
        /// Bounded: methods are a fixed few, routes are the table's patterns.
        static SERIES: RefCell<HashMap<&'static str, HashMap<String, Series>>> =
            RefCell::new(HashMap::new());
    }
    SERIES.with_borrow_mut(|series| {
        let routes = series.entry(method).or_default();
        if !routes.contains_key(route) {
            let seconds = metrics::histogram!(REQUEST_SECONDS, "method" => method, "route" => route.to_owned());
            routes.insert(
                route.to_owned(),
                Series {
                    seconds,
                    answered: HashMap::new(),
                },
            );
        }
        let Some(series) = routes.get_mut(route) else {
            return;
        };
        series.seconds.record(took.as_secs_f64());
        series
            .answered
            .entry(status)
            .or_insert_with(|| {
                metrics::counter!(REQUESTS, "method" => method, "route" => route.to_owned(), "status" => status.to_string())
            })
            .increment(1);
    });
}

/// How a filing ended, as the `filings_total` series name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilingOutcome {
    Accepted,
    /// The same form with the same values again: the case it filed before.
    Again,
    Refused(&'static str),
}

pub fn filing(outcome: FilingOutcome) {
    let (outcome, reason) = match outcome {
        FilingOutcome::Accepted => ("accepted", ""),
        FilingOutcome::Again => ("again", ""),
        FilingOutcome::Refused(reason) => ("refused", reason),
    };
    metrics::counter!(FILINGS, "outcome" => outcome, "reason" => reason).increment(1);
}

/// One commit of SQLite's writer, and how many calls it answered.
pub fn write_batch(calls: usize) {
    metrics::histogram!(WRITE_BATCH).record(calls as f64);
}

/// One send attempt's result: `sent`, `retry` or `dead`.
pub fn mail_sent(result: &'static str) {
    metrics::counter!(MAIL, "result" => result).increment(1);
}

/// One webhook delivery attempt's result: `delivered`, `retry` or `dead`.
pub fn webhook_delivery(result: &'static str) {
    metrics::counter!(WEBHOOKS, "result" => result).increment(1);
}

/// The database's state at scrape time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gauges {
    pub open_cases: i64,
    pub overdue_cases: i64,
    pub outbox_due: i64,
    pub outbox_dead: i64,
    pub webhooks_due: i64,
    pub webhooks_dead: i64,
}

/// Sets the gauges and renders everything in the Prometheus text format.
pub fn render(gauges: Gauges) -> String {
    let handle = handle();
    // Counts of rows: far below f64's exact range.
    metrics::gauge!(OPEN_CASES).set(gauges.open_cases as f64);
    metrics::gauge!(OVERDUE_CASES).set(gauges.overdue_cases as f64);
    metrics::gauge!(OUTBOX_DUE).set(gauges.outbox_due as f64);
    metrics::gauge!(OUTBOX_DEAD).set(gauges.outbox_dead as f64);
    metrics::gauge!(WEBHOOKS_DUE).set(gauges.webhooks_due as f64);
    metrics::gauge!(WEBHOOKS_DEAD).set(gauges.webhooks_dead as f64);
    handle.render()
}
