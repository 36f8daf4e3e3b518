//! How a read and a write happen, on each backend, in one place: the connection over
//! both backends, the PostgreSQL pool, SQLite's writer and readers, the `Store` that
//! workflows run on, and the write transaction. The tables and their queries are in
//! `db`; this module knows nothing of them.
//!
//! Error policy: the functions of `db` return `QueryResult`; workflows decide what a
//! failure means for the user; what fails here, below them, is a `Failure`.

pub mod sqlite_file;
mod store;
mod writer;

pub use store::{Session, Store};
pub use writer::{WriteError, Writer};

use std::time::Duration;

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};

use crate::config::DatabaseUrl;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// What went wrong below the rules: the caller logs it once and shows an opaque error.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("blocking task: {0}")]
    Blocking(#[from] tokio::task::JoinError),
    #[error("a read panicked")]
    Panicked,
    #[error("too many writes waiting for the database")]
    Busy,
    #[error("cannot open a read connection: {0}")]
    Reader(r2d2::Error),
}

impl Failure {
    /// Load, not a bug (an exhausted pool, a full write queue): the client may come back.
    pub fn is_load(&self) -> bool {
        matches!(self, Failure::Pool(_) | Failure::Busy)
    }
}

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
fn sqlite_reader(url: &DatabaseUrl) -> Result<DbConn, r2d2::Error> {
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

/// A pool of connections. The server pools PostgreSQL's only (SQLite's store has one
/// writer and per-thread readers); tools and tests that look into a database beside a
/// running server use one of their own.
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

/// The transaction for writes that enforce a rule, on the connection the caller was
/// handed (`Store::write` hands SQLite's writer; `Session::write` lends it). On SQLite
/// it is `BEGIN IMMEDIATE`: the write lock is taken up front, so two filings never read
/// the same state and then collide on upgrade. Inside a transaction already (a call the
/// writer runs in a batch), it is a savepoint: rolled back alone.
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
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
