//! What the benchmarks share: the process's memory as Linux reports it, a median, and the
//! settings of a server run inside the benchmark.
#![allow(dead_code)] // each benchmark uses its own part

use std::path::Path;
use std::time::Duration;

use appealdesk::config::{Clock, DatabaseUrl, EdgeSettings, MailSettings, RateLimits, Settings};
use appealdesk::domain::throttle::RateLimit;

/// A field of /proc/self/status in KiB (`VmRSS:`, `VmHWM:`), 0 where unreadable.
pub fn status_kib(field: &str) -> u64 {
    status_kib_of("/proc/self/status", field)
}

/// A field of a process's status file (`/proc/PID/status`) in KiB, 0 where unreadable.
pub fn status_kib_of(path: &str, field: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Starts a new peak: VmHWM falls back to the current RSS (Linux ≥ 4.0).
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// A server on a free loopback port over `url`, writing mail to files in `dir`, its
/// worker off: sending is not what is measured.
pub fn settings(url: DatabaseUrl, dir: &Path) -> Settings {
    Settings {
        database: url,
        bind: "127.0.0.1:0".into(),
        public_base_url: None,
        secret_key: None,
        pool_size: 8,
        clock: Clock::System,
        mail: MailSettings {
            run_worker: false,
            dir: dir.join("mail"),
            ..MailSettings::default()
        },
        evidence_retention_days: appealdesk::domain::policy::DEFAULT_EVIDENCE_RETENTION_DAYS,
        metrics_token: None,
        metrics_bind: None,
        webhooks: appealdesk::config::WebhookSettings {
            run_worker: false,
            ..Default::default()
        },
        outbox_retention_days: appealdesk::domain::policy::DEFAULT_OUTBOX_RETENTION_DAYS,
        // One loopback client plays thousands of appellants: the per-address limits would
        // measure themselves, not the server.
        edge: EdgeSettings {
            rate_limits: RateLimits::all(RateLimit {
                burst: 1_000_000,
                per_hour: 1_000_000,
            }),
            ..EdgeSettings::default()
        },
        // The bench signs a supervisor in with a password alone.
        require_mfa: appealdesk::domain::second_factor::SecondFactorRule::Off,
    }
}

/// A client builder. reqwest is built with rustls but without a crypto provider of its own
/// (scale_out's clients speak https to nginx): ring is installed first, as the app has it.
pub fn http() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
