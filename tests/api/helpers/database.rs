//! A fresh database per test: a SQLite file in its own directory, or a PostgreSQL
//! database when TEST_DATABASE_URL names a server (or TEST_DATABASE=postgres: on a
//! throwaway cluster of this process, `pg_cluster`); dropped with the last app using it.
//!
//! Migrating takes longer than copying: each run migrates one template per backend
//! (PostgreSQL: a database named after the migrations' digest, kept between runs;
//! SQLite: a file per process) and every test starts from a copy of it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use appealdesk::config::DatabaseUrl;
use appealdesk::db::DbConn;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

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
    /// A database as the server leaves it after migrating: a copy of the run's template.
    pub fn fresh() -> Self {
        Self::create(true)
    }

    /// A database no version has touched yet (for tests of migrating itself).
    pub fn empty() -> Self {
        Self::create(false)
    }

    fn create(migrated: bool) -> Self {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(|| {
                std::env::var("TEST_DATABASE")
                    .is_ok_and(|b| b == "postgres")
                    .then(crate::pg_cluster::own_cluster_url)
            }) {
            Some(admin_url) if admin_url.starts_with("postgres") => {
                let name = unique_name();
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {admin_url}: {e}"));
                let template = if migrated {
                    format!(" TEMPLATE {}", pg_template(&admin_url, &mut admin))
                } else {
                    String::new()
                };
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}{template}"))
                    .expect("create the test database");
                Self {
                    url: DatabaseUrl::Postgres(database_url(&admin_url, &name)),
                    admin: Some((admin_url, name)),
                    dir: None,
                }
            }
            Some(other) => panic!("TEST_DATABASE_URL must be a postgres:// URL, not {other}"),
            None => {
                let dir = std::env::temp_dir().join(unique_name());
                std::fs::create_dir_all(&dir).expect("temp dir");
                if migrated {
                    std::fs::copy(sqlite_template(), dir.join("appealdesk.db"))
                        .expect("copy the migrated template");
                }
                Self {
                    url: DatabaseUrl::Sqlite(dir.join("appealdesk.db")),
                    admin: None,
                    dir: Some(dir),
                }
            }
        }
    }

    /// PostgreSQL: the server's URL (TEST_DATABASE_URL, or the run's throwaway cluster).
    pub fn admin_url(&self) -> Option<&str> {
        self.admin.as_ref().map(|(url, _)| url.as_str())
    }

    /// The URL as DATABASE_URL would carry it.
    pub fn env_url(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(url) => url.clone(),
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }
}

/// A digest of every migration and the shipped calendar: a template is reused only while
/// they are unchanged.
fn migrations_digest() -> String {
    fn walk(dir: &Path, hasher: &mut Sha256) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .map(|e| e.expect("migrations entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, hasher);
            } else {
                hasher.update(path.to_string_lossy().as_bytes());
                hasher.update(std::fs::read(&path).expect("migration file"));
            }
        }
    }
    let mut hasher = Sha256::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"),
        &mut hasher,
    );
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// When the template was migrated, as the shipped calendar records its loading.
fn migrated_at() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// The run's migrated SQLite file, made once per process.
fn sqlite_template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!(
            "appealdesk_template_{}_{}",
            std::process::id(),
            migrations_digest()
        ));
        std::fs::create_dir_all(&dir).expect("template dir");
        let path = dir.join("appealdesk.db");
        let _ = std::fs::remove_file(&path);
        let conn = SqliteConnection::establish(&path.to_string_lossy()).expect("template file");
        let mut conn = DbConn::Sqlite(conn);
        appealdesk::db::migrate(&mut conn, migrated_at()).expect("migrate the template");
        path
    })
}

/// A migrated PostgreSQL database to copy, made by the first test that needs it (under an
/// advisory lock: other test processes may be making it at the same moment).
fn pg_template(admin_url: &str, admin: &mut PgConnection) -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        const TEMPLATE_LOCK_KEY: i64 = 0x4170_7065_616c_5454;
        let name = format!("appealdesk_template_{}", migrations_digest());
        admin
            .batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"))
            .expect("template lock");
        #[derive(QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let found = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(&name)
            .get_result::<Found>(admin)
            .expect("look for the template")
            .n;
        if found == 0 {
            // Built under another name and renamed: a half-made template is never copied.
            let building = format!("{name}_building");
            for statement in [
                format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
                format!("CREATE DATABASE {building}"),
            ] {
                admin
                    .batch_execute(&statement)
                    .expect("create the template");
            }
            {
                let url = database_url(admin_url, &building);
                let conn = PgConnection::establish(&url).expect("connect to the template");
                let mut conn = DbConn::Postgres(conn);
                appealdesk::db::migrate(&mut conn, migrated_at()).expect("migrate the template");
            }
            admin
                .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                .expect("name the template");
        }
        admin
            .batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"))
            .expect("template unlock");
        name
    })
}

/// The admin URL with another database name, its query kept.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').unwrap_or((admin_url, ""));
    let (server, _) = base.rsplit_once('/').expect("URL with a database");
    if query.is_empty() {
        format!("{server}/{name}")
    } else {
        format!("{server}/{name}?{query}")
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
