//! Settings from the environment. Secrets are never logged: `Debug` redacts them.

mod mail;

use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};

pub use mail::MailSettings;

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

/// The time the application believes it is. Tests pin it to prove date rules
/// (year boundaries, holidays); production always reads the system clock.
#[derive(Clone, Copy, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Fixed(at) => *at,
        }
    }
}

#[derive(Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub bind: String,
    /// Base of the links we hand out; also decides the cookies' `Secure` flag.
    pub public_base_url: Option<String>,
    /// Signs CSRF tokens and derives tracking tokens. Unset → one kept in the database,
    /// shared by every instance on it.
    pub secret_key: Option<Vec<u8>>,
    pub pool_size: u32,
    pub clock: Clock,
    pub mail: MailSettings,
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
            .finish()
    }
}

impl Settings {
    pub const DEFAULT_BIND: &'static str = "127.0.0.1:8080";
    /// Links in mail need an absolute base that no request can choose.
    pub const DEFAULT_PUBLIC_BASE_URL: &'static str = "http://127.0.0.1:8080";

    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let database = DatabaseUrl::parse(std::env::var("DATABASE_URL").ok().as_deref())
            .context("reading DATABASE_URL")?;
        let secret_key = match var("SECRET_KEY") {
            Some(key) if key.len() < 32 => bail!("SECRET_KEY must be at least 32 characters"),
            Some(key) => Some(key.into_bytes()),
            None => None,
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
            public_base_url: var("PUBLIC_BASE_URL").map(|u| u.trim_end_matches('/').to_owned()),
            secret_key,
            pool_size,
            clock: Clock::System,
            mail: MailSettings::from_env(var)?,
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_base_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
