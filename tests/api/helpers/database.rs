//! A fresh database per test: a SQLite file in its own directory, or a PostgreSQL
//! database when TEST_DATABASE_URL is set; dropped with the last app using it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use appealdesk::config::DatabaseUrl;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

pub struct TestDatabase {
    pub url: DatabaseUrl,
    /// PostgreSQL: the server URL to drop the database through.
    admin: Option<(String, String)>,
    dir: Option<PathBuf>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A number no other call in this run returns.
pub(super) fn next_number() -> u64 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

fn unique_name() -> String {
    format!(
        "appealdesk_test_{}_{}_{}",
        std::process::id(),
        next_number(),
        rand_suffix()
    )
}

pub(super) fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) as u32
}

impl TestDatabase {
    pub fn fresh() -> Self {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) if admin_url.starts_with("postgres") => {
                let name = unique_name();
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {admin_url}: {e}"));
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create the test database");
                let (base, query) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
                let (server, _) = base.rsplit_once('/').expect("URL with a database");
                let query = if query.is_empty() {
                    String::new()
                } else {
                    format!("?{query}")
                };
                Self {
                    url: DatabaseUrl::Postgres(format!("{server}/{name}{query}")),
                    admin: Some((admin_url, name)),
                    dir: None,
                }
            }
            Some(other) => panic!("TEST_DATABASE_URL must be a postgres:// URL, not {other}"),
            None => {
                let dir = std::env::temp_dir().join(unique_name());
                std::fs::create_dir_all(&dir).expect("temp dir");
                Self {
                    url: DatabaseUrl::Sqlite(dir.join("appealdesk.db")),
                    admin: None,
                    dir: Some(dir),
                }
            }
        }
    }

    /// The URL as DATABASE_URL would carry it.
    pub fn env_url(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(url) => url.clone(),
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.admin
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
