//! Settings from the environment. Secrets are never logged: `Debug` redacts them.

pub mod edge;
mod mail;
mod webhooks;

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::domain::second_factor::SecondFactorRule;

pub use edge::{EdgeSettings, RateLimits, TrustedProxies};
pub use mail::MailSettings;
pub use webhooks::WebhookSettings;

/// Where the cases live, chosen from the URL's scheme and never by trial.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub const DEFAULT_SQLITE: &'static str = "appealdesk.db";

    /// `None` → the embedded SQLite default; `postgres://`/`postgresql://` → PostgreSQL;
    /// `sqlite://path` or a bare path → SQLite; any other `scheme://` is refused.
    pub fn parse(raw: Option<&str>) -> anyhow::Result<Self> {
        let Some(raw) = raw else {
            return Ok(Self::Sqlite(PathBuf::from(Self::DEFAULT_SQLITE)));
        };
        let raw = raw.trim();
        if raw.is_empty() {
            bail!("DATABASE_URL is set but empty; unset it for the embedded SQLite file");
        }
        if let Some(rest) = raw
            .strip_prefix("postgres://")
            .or_else(|| raw.strip_prefix("postgresql://"))
        {
            if rest.is_empty() || rest.starts_with('/') && rest.len() == 1 {
                bail!("DATABASE_URL names no PostgreSQL host or database");
            }
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if path.is_empty() || path.contains(":memory:") {
                bail!(
                    "DATABASE_URL must name a SQLite file (an in-memory database would lose cases)"
                );
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            bail!(
                "DATABASE_URL has the scheme `{scheme}://`; use postgres://, postgresql://, sqlite:// or a file path"
            );
        }
        Ok(Self::Sqlite(PathBuf::from(raw)))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => write!(f, "{}", redact_password(url)),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

pub use crate::clock::Clock;

#[derive(Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub bind: String,
    /// Base of the links we hand out (unset: this server's own address, never a request's
    /// `Host`); also decides the cookies' `Secure` flag and HSTS.
    pub public_base_url: Option<String>,
    /// Signs CSRF tokens and derives tracking tokens. Unset → one kept in the database,
    /// shared by every instance on it.
    pub secret_key: Option<Vec<u8>>,
    pub pool_size: u32,
    pub clock: Clock,
    pub mail: MailSettings,
    /// Days after a case closes that its evidence files are kept.
    pub evidence_retention_days: u32,
    /// `METRICS_TOKEN`: the bearer token `/metrics` asks for; unset → no `/metrics`.
    pub metrics_token: Option<String>,
    /// `METRICS_BIND`: a second listener (loopback or a private network) that serves
    /// `/metrics` alone, without a token.
    pub metrics_bind: Option<String>,
    /// Days sent mail is kept.
    pub outbox_retention_days: u32,
    /// Client addresses, rate limits, body deadline.
    pub edge: EdgeSettings,
    /// `WEBHOOK_ALLOW_PRIVATE`, `WEBHOOK_WORKER`, `WEBHOOK_POLL_SECS`.
    pub webhooks: WebhookSettings,
    /// `REQUIRE_MFA`: whose accounts must have a second factor before the console opens.
    pub require_mfa: SecondFactorRule,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database", &self.database)
            .field("bind", &self.bind)
            .field("public_base_url", &self.public_base_url)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("pool_size", &self.pool_size)
            .field("clock", &self.clock)
            .field("mail", &self.mail)
            .field("evidence_retention_days", &self.evidence_retention_days)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("metrics_bind", &self.metrics_bind)
            .field("outbox_retention_days", &self.outbox_retention_days)
            .field("edge", &self.edge)
            .field("webhooks", &self.webhooks)
            .field("require_mfa", &self.require_mfa)
            .finish()
    }
}

impl Settings {
    pub const DEFAULT_BIND: &'static str = "127.0.0.1:8080";

    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let database = DatabaseUrl::parse(std::env::var("DATABASE_URL").ok().as_deref())
            .context("reading DATABASE_URL")?;
        let secret_key = match var("SECRET_KEY") {
            Some(key) if key.len() < 32 => bail!("SECRET_KEY must be at least 32 characters"),
            Some(key) => Some(key.into_bytes()),
            None => None,
        };
        let metrics_token = match var("METRICS_TOKEN") {
            Some(token) if token.trim().len() < 16 => {
                bail!("METRICS_TOKEN must be at least 16 characters")
            }
            token => token.map(|t| t.trim().to_owned()),
        };
        let pool_size = match var("DATABASE_POOL_SIZE") {
            Some(n) => n
                .parse()
                .context("DATABASE_POOL_SIZE must be a whole number")?,
            None => 10,
        };
        Ok(Self {
            database,
            bind: var("BIND").unwrap_or_else(|| Self::DEFAULT_BIND.to_owned()),
            public_base_url: match var("PUBLIC_BASE_URL") {
                Some(url) => Some(public_base_url(&url)?),
                None => None,
            },
            secret_key,
            pool_size,
            clock: Clock::System,
            mail: MailSettings::from_env(var)?,
            evidence_retention_days: match var("EVIDENCE_RETENTION_DAYS") {
                Some(n) => n.parse().ok().filter(|n| *n > 0).context(
                    "EVIDENCE_RETENTION_DAYS must be a whole number of days, at least 1",
                )?,
                None => crate::domain::policy::DEFAULT_EVIDENCE_RETENTION_DAYS,
            },
            metrics_token,
            metrics_bind: var("METRICS_BIND"),
            outbox_retention_days: match var("OUTBOX_RETENTION_DAYS") {
                Some(n) => {
                    n.parse().ok().filter(|n| *n > 0).context(
                        "OUTBOX_RETENTION_DAYS must be a whole number of days, at least 1",
                    )?
                }
                None => crate::domain::policy::DEFAULT_OUTBOX_RETENTION_DAYS,
            },
            edge: EdgeSettings::from_env(var)?,
            webhooks: WebhookSettings::from_env(var)?,
            require_mfa: match var("REQUIRE_MFA") {
                Some(raw) => SecondFactorRule::parse(&raw).with_context(|| {
                    format!("REQUIRE_MFA is supervisors, all or off, not {raw:?}")
                })?,
                None => SecondFactorRule::default(),
            },
        })
    }

    /// Where the links we hand out start: `PUBLIC_BASE_URL`, else the address this server
    /// listens on (`local`, the listener's own: never what a request says in `Host`). A
    /// listener on every interface is reached on loopback.
    pub fn links_base(&self, local: std::net::SocketAddr) -> String {
        if let Some(base) = &self.public_base_url {
            return base.clone();
        }
        let ip = match local.ip() {
            std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
            ip => ip,
        };
        format!("http://{}", std::net::SocketAddr::new(ip, local.port()))
    }

    /// Served over https: cookies are `Secure` and browsers are told to keep to https (HSTS).
    pub fn secure_cookies(&self) -> bool {
        self.public_base_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// `PUBLIC_BASE_URL`: an absolute http(s) URL without a trailing slash.
fn public_base_url(raw: &str) -> anyhow::Result<String> {
    let url = raw.trim().trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => Ok(url.to_owned()),
        _ => bail!("PUBLIC_BASE_URL must be an absolute http:// or https:// URL, not {raw:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_start_at_the_public_base_url_or_the_listeners_own_address() {
        let mut settings = Settings {
            database: DatabaseUrl::Sqlite("x.db".into()),
            bind: "0.0.0.0:0".into(),
            public_base_url: None,
            secret_key: None,
            pool_size: 1,
            clock: Clock::System,
            mail: MailSettings::default(),
            evidence_retention_days: 1,
            outbox_retention_days: 1,
            edge: EdgeSettings::default(),
            metrics_token: None,
            metrics_bind: None,
            webhooks: WebhookSettings::default(),
            require_mfa: SecondFactorRule::default(),
        };
        let at = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
        assert_eq!(
            settings.links_base(at("0.0.0.0:4711")),
            "http://127.0.0.1:4711"
        );
        assert_eq!(settings.links_base(at("[::]:4711")), "http://[::1]:4711");
        assert_eq!(settings.links_base(at("10.1.2.3:80")), "http://10.1.2.3:80");
        settings.public_base_url = Some(public_base_url("https://appeals.example.cn/").unwrap());
        assert_eq!(
            settings.links_base(at("0.0.0.0:4711")),
            "https://appeals.example.cn"
        );
        assert!(settings.secure_cookies());
        for bad in ["appeals.example.cn", "ftp://x", "https://", "https://a b"] {
            assert!(public_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn database_url_is_chosen_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse(None).unwrap(),
            DatabaseUrl::Sqlite("appealdesk.db".into())
        );
        assert!(
            DatabaseUrl::parse(Some("postgres://u@h/db"))
                .unwrap()
                .is_postgres()
        );
        assert!(
            DatabaseUrl::parse(Some("postgresql://u@h/db"))
                .unwrap()
                .is_postgres()
        );
        assert_eq!(
            DatabaseUrl::parse(Some("sqlite:///tmp/a.db")).unwrap(),
            DatabaseUrl::Sqlite("/tmp/a.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse(Some("data/cases.db")).unwrap(),
            DatabaseUrl::Sqlite("data/cases.db".into())
        );
    }

    #[test]
    fn unreadable_database_urls_are_refused_with_a_reason() {
        for bad in ["", "mysql://root@h/db", "sqlite::memory:", "postgres://"] {
            let err = DatabaseUrl::parse(Some(bad)).unwrap_err().to_string();
            assert!(err.contains("DATABASE_URL"), "{bad}: {err}");
        }
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        let url = DatabaseUrl::parse(Some("postgres://app:hunter2@db/cases")).unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("app:***@db/cases"));
    }
}
