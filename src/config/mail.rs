//! Mail settings: where mail goes, who sends it, and how the outbox worker retries.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use lettre::message::Mailbox;

#[derive(Clone)]
pub struct MailSettings {
    /// `SMTP_URL`: `smtp://host:port` (plain) or `smtps://user:pass@host[:port]` (TLS).
    /// Unset → `.eml` files in `dir`. May hold a password: redacted in `Debug`.
    pub smtp_url: Option<String>,
    /// `MAIL_DIR`: where the file transport writes (default `mail`).
    pub dir: PathBuf,
    /// `MAIL_FROM`.
    pub from: Mailbox,
    /// `MAIL_RETRY_BASE_SECS`: the first retry's delay, doubled at each attempt.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// After this many failed attempts a mail is dead.
    pub max_attempts: u32,
    /// `MAIL_POLL_SECS`: how often an idle worker looks for due mail (a filing on this
    /// instance wakes it at once; other instances' filings are seen within this).
    pub poll_interval: Duration,
    /// `MAIL_LEASE_SECS`: how long a claim lasts unless renewed; a worker renews its
    /// claims every third of it while it sends.
    pub lease: Duration,
    pub batch: u32,
    /// `MAIL_WORKER=off` when workers run apart (`appealdesk worker`).
    pub run_worker: bool,
}

impl MailSettings {
    pub const DEFAULT_FROM: &'static str = "AppealDesk <no-reply@appealdesk.localhost>";

    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut mail = Self::default();
        if let Some(url) = var("SMTP_URL") {
            let url = url.trim().to_owned();
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                bail!("SMTP_URL must start with smtp:// or smtps://");
            }
            mail.smtp_url = Some(url);
        }
        if let Some(dir) = var("MAIL_DIR") {
            mail.dir = PathBuf::from(dir);
        }
        if let Some(from) = var("MAIL_FROM") {
            mail.from = from
                .parse()
                .with_context(|| format!("MAIL_FROM is not a mailbox: {from:?}"))?;
        }
        if let Some(secs) = var("MAIL_RETRY_BASE_SECS") {
            mail.retry_base = seconds("MAIL_RETRY_BASE_SECS", &secs)?;
        }
        if let Some(secs) = var("MAIL_POLL_SECS") {
            mail.poll_interval = seconds("MAIL_POLL_SECS", &secs)?;
        }
        if let Some(secs) = var("MAIL_LEASE_SECS") {
            mail.lease = seconds("MAIL_LEASE_SECS", &secs)?;
        }
        if let Some(flag) = var("MAIL_WORKER") {
            mail.run_worker = match flag.trim().to_ascii_lowercase().as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                _ => bail!("MAIL_WORKER must be on or off"),
            };
        }
        Ok(mail)
    }
}

fn seconds(name: &str, raw: &str) -> anyhow::Result<Duration> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .with_context(|| format!("{name} must be a positive number of seconds"))
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            dir: PathBuf::from("mail"),
            from: Self::DEFAULT_FROM
                .parse()
                .expect("the default sender is a valid mailbox"),
            retry_base: Duration::from_secs(60),
            retry_cap: Duration::from_secs(6 * 3600),
            max_attempts: 10,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(crate::domain::policy::MAIL_LEASE_SECS),
            batch: 10,
            run_worker: true,
        }
    }
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(super::redact_password),
            )
            .field("dir", &self.dir)
            .field("from", &self.from.to_string())
            .field("retry_base", &self.retry_base)
            .field("retry_cap", &self.retry_cap)
            .field("max_attempts", &self.max_attempts)
            .field("poll_interval", &self.poll_interval)
            .field("lease", &self.lease)
            .field("batch", &self.batch)
            .field("run_worker", &self.run_worker)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> anyhow::Result<MailSettings> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        MailSettings::from_env(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_write_files_and_run_the_worker_in_process() {
        let mail = from(&[]).unwrap();
        assert_eq!(mail.smtp_url, None);
        assert_eq!(mail.dir, PathBuf::from("mail"));
        assert_eq!(mail.from.email.domain(), "appealdesk.localhost");
        assert_eq!(mail.retry_base, Duration::from_secs(60));
        assert!(mail.run_worker);
    }

    #[test]
    fn settings_are_read_and_bad_values_refused_by_name() {
        let mail = from(&[
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
            ("MAIL_FROM", "Desk <desk@example.com>"),
            ("MAIL_RETRY_BASE_SECS", "0.5"),
            ("MAIL_WORKER", "off"),
            ("MAIL_LEASE_SECS", "5"),
        ])
        .unwrap();
        assert_eq!(mail.lease, Duration::from_secs(5));
        assert_eq!(mail.retry_base, Duration::from_millis(500));
        assert_eq!(mail.from.email.to_string(), "desk@example.com");
        assert!(!mail.run_worker);
        for (name, bad) in [
            ("SMTP_URL", "http://mail.example.com"),
            ("MAIL_FROM", "not a mailbox"),
            ("MAIL_RETRY_BASE_SECS", "-1"),
            ("MAIL_POLL_SECS", "soon"),
            ("MAIL_LEASE_SECS", "0"),
            ("MAIL_WORKER", "maybe"),
        ] {
            let err = format!("{:#}", from(&[(name, bad)]).unwrap_err());
            assert!(err.contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn the_smtp_password_never_shows_in_debug_output() {
        let mail = from(&[("SMTP_URL", "smtps://desk:hunter2@smtp.example.com")]).unwrap();
        let shown = format!("{mail:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("desk:***@smtp.example.com"), "{shown}");
    }
}
