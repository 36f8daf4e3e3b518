//! The connection over both backends, the pool, migrations and the write transaction.
//!
//! Error policy: functions here return `QueryResult`; workflows decide what a
//! failure means for the user.

pub mod agents;
pub mod calendar;
pub mod cases;
pub mod events;
pub mod evidence;
pub mod outbox;
pub mod queue;
pub mod quota;
pub mod schema;
pub mod secrets;
pub mod sessions;
pub mod sign_in;
pub mod stats;
pub mod types;

use std::time::Duration;

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any 64-bit number unique to us: instances starting together migrate one at a time.
const MIGRATION_LOCK_KEY: i64 = 0x4170_7065_616c_4465; // "AppealDe"

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// Opens the backend named by the URL. (The derived `DbConn::establish` would try each
/// backend in turn and hide the real error.)
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first: switching to WAL itself may wait for a lock.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection left in a broken transaction (a panic mid-work) is dropped, not reused.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

pub fn pool(url: &DatabaseUrl, size: u32) -> anyhow::Result<Pool> {
    r2d2::Pool::builder()
        .max_size(size)
        // Connect on demand only: an idle instance holds no spare connections, and no
        // background connect is in flight when the process exits (libpq's TLS and
        // Kerberos teardown crashes under one).
        .min_idle(Some(0))
        // No `SELECT 1` before each use: on the tracking page it was a statement parsed
        // and run per request. A connection the server dropped fails its query, the
        // request answers 500, and `has_broken` keeps a broken one out of the pool.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(10))
        .build(ConnectionManager { url: url.clone() })
        .with_context(|| format!("cannot open the database {url:?}"))
}

/// Runs pending migrations and loads the shipped calendar; on PostgreSQL under an
/// advisory lock, so that several instances starting together do it once.
pub fn migrate(conn: &mut DbConn, now: chrono::NaiveDateTime) -> anyhow::Result<()> {
    match conn {
        DbConn::Sqlite(c) => {
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
            calendar::seed_official(conn, now)
        }
        DbConn::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let done = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(drop)
                .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))
                .and_then(|()| calendar::seed_official(conn, now));
            if let DbConn::Postgres(c) = conn {
                c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            }
            done
        }
    }
}

/// A transaction for writes that enforce a rule. On SQLite it is `BEGIN IMMEDIATE`:
/// the write lock is taken up front, so two filings never read the same state and then
/// collide on upgrade (which SQLite reports as "database is locked" without waiting).
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    type Manager = <DbConn as Connection>::TransactionManager;
    if let DbConn::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    } else {
        Manager::begin_transaction(conn)?;
    }
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(err) => {
            // The original error matters more than a failed rollback.
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                tracing::error!(%rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
