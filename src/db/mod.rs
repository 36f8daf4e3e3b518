//! The connection over both backends, the pool, migrations and the write transaction.
//!
//! Error policy: functions here return `QueryResult`; workflows decide what a
//! failure means for the user.

/// Runs a query on the backend's own connection. Through `DbConn` (diesel's
/// `MultiConnection`) a prepared statement is found in the cache by its SQL text, built
/// anew at every call (a sixth of the tracking page's time); on the backend's own
/// connection by the query's type, with nothing built. For the hot paths.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Postgres($c) => $body,
        }
    };
}

#[macro_use]
pub mod leased;

pub mod agents;
pub mod calendar;
pub mod cases;
pub mod events;
pub mod evidence;
pub mod filing;
pub mod gauges;
pub mod outbox;
pub mod queue;
pub mod quota;
pub mod receipt_slots;
pub mod schema;
pub mod secrets;
pub mod sessions;
pub mod sign_in;
pub mod sqlite_file;
pub mod stats;
pub mod types;
pub mod webhooks;
mod writer;

pub use writer::{WriteError, Writer};

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
    /// SQLite: marks the file in use for as long as the pool lives (`restore` refuses).
    _in_use: Option<sqlite_file::InUse>,
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

/// A SQLite connection that can only read (`PRAGMA query_only`): a write that strays
/// onto it fails instead of taking the write lock beside the writer.
pub fn sqlite_reader(url: &DatabaseUrl) -> Result<DbConn, r2d2::Error> {
    let manager = ConnectionManager {
        url: url.clone(),
        _in_use: None,
    };
    let mut conn = manager.connect()?;
    // Reads run on the async threads: wait a second at most for a lock (a WAL recovery,
    // another process's checkpoint), not the writers' ten.
    conn.batch_execute("PRAGMA query_only = ON; PRAGMA busy_timeout = 1000")
        .map_err(r2d2::Error::QueryError)?;
    Ok(conn)
}

pub fn pool(url: &DatabaseUrl, size: u32) -> anyhow::Result<Pool> {
    let in_use = match url {
        DatabaseUrl::Sqlite(path) => Some(sqlite_file::hold_shared(path)?),
        DatabaseUrl::Postgres(_) => None,
    };
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
        .build(ConnectionManager {
            url: url.clone(),
            _in_use: in_use,
        })
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

/// How many of this build's migrations the database lacks.
pub fn pending_migrations(conn: &mut DbConn) -> QueryResult<usize> {
    let pending = match conn {
        DbConn::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|m| m.len()),
        DbConn::Postgres(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(|m| m.len()),
    };
    pending.map_err(diesel::result::Error::QueryBuilderError)
}

/// A transaction for writes that enforce a rule. On SQLite it is `BEGIN IMMEDIATE`:
/// the write lock is taken up front, so two filings never read the same state and then
/// collide on upgrade (which SQLite reports as "database is locked" without waiting).
/// Inside a transaction already (a call the writer runs in a batch), it is a savepoint:
/// rolled back alone.
///
/// Inside `Writer::bind` (every `Store::run`), a SQLite transaction runs on the one
/// writer connection, lent in its turn, instead of `conn`: no request sleeps in
/// `busy_timeout` waiting for another connection's write lock.
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if let DbConn::Sqlite(_) = conn
        && let Some((writer, _rebind)) = Writer::take_bound()
    {
        // Unbound while in use: the work's own nested calls run on the lent connection.
        return writer.lend(|conn| transaction(conn, work));
    }
    transaction(conn, work)
}

fn transaction<T, E>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    type Manager = <DbConn as Connection>::TransactionManager;
    let outermost = match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()?
            .is_none(),
        DbConn::Postgres(_) => false,
    };
    match conn {
        DbConn::Sqlite(c) if outermost => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        _ => Manager::begin_transaction(conn)?,
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
