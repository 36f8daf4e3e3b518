//! The connection over both backends, the pool, migrations and the write transaction.
//!
//! Error policy: functions here return `QueryResult`; workflows decide what a
//! failure means for the user.

pub mod agents;
pub mod calendar;
pub mod cases;
pub mod events;
pub mod evidence;
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

use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex};
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
///
/// Inside `Writer::bind` (every `Store::run`), a SQLite transaction runs on the one
/// writer connection instead of `conn`, in arrival order: no request sleeps in
/// `busy_timeout` waiting for another connection's write lock.
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if let DbConn::Sqlite(_) = conn
        && let Some(writer) = BOUND_WRITER.with(|w| w.borrow_mut().take())
    {
        // Unbound while in use: the work's own nested calls run on the writer's connection.
        let _rebind = Rebind(Some(writer.clone()));
        return writer.run(|conn| transaction(conn, work));
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

thread_local! {
    static BOUND_WRITER: RefCell<Option<Arc<Writer>>> = const { RefCell::new(None) };
}

/// Puts a writer back in the thread's slot when dropped (also when the work panics).
struct Rebind(Option<Arc<Writer>>);

impl Drop for Rebind {
    fn drop(&mut self) {
        let writer = self.0.take();
        BOUND_WRITER.with(|w| *w.borrow_mut() = writer);
    }
}

/// SQLite's single writer: one dedicated connection that write transactions take in
/// the order they asked (a ticket queue). Waiting for it is a condition variable woken at
/// each commit, never SQLite's `busy_timeout` sleep-and-retry, which made the tail of
/// concurrent filings 0.7 s. Reads keep the pool's connections.
pub struct Writer {
    manager: ConnectionManager,
    queue: Mutex<Queue>,
    turn: Condvar,
}

struct Queue {
    next_ticket: u64,
    serving: u64,
    conn: Option<DbConn>,
}

impl Writer {
    /// The writer for a SQLite database; none for PostgreSQL, whose row locks queue
    /// writers without sleeping.
    pub fn open(url: &DatabaseUrl) -> anyhow::Result<Option<Arc<Writer>>> {
        let DatabaseUrl::Sqlite(path) = url else {
            return Ok(None);
        };
        let manager = ConnectionManager {
            url: url.clone(),
            _in_use: Some(sqlite_file::hold_shared(path)?),
        };
        let conn = manager
            .connect()
            .with_context(|| format!("cannot open the database {url:?}"))?;
        Ok(Some(Arc::new(Writer {
            manager,
            queue: Mutex::new(Queue {
                next_ticket: 0,
                serving: 0,
                conn: Some(conn),
            }),
            turn: Condvar::new(),
        })))
    }

    /// Runs `f` with the writer bound on this thread: `write_tx` inside runs on the writer.
    pub fn bind<T>(writer: Option<&Arc<Writer>>, f: impl FnOnce() -> T) -> T {
        let previous = BOUND_WRITER.with(|w| w.replace(writer.cloned()));
        let _restore = Rebind(previous);
        f()
    }

    /// Runs `work` on the writer's connection when its turn comes.
    pub fn run<T, E>(&self, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        let mut turn = Turn::take(self);
        let conn = match turn.conn.as_mut() {
            Some(conn) => conn,
            // Dropped after a panic left it mid-transaction: open another.
            None => turn.conn.insert(self.manager.connect().map_err(|e| {
                diesel::result::Error::QueryBuilderError(
                    format!("cannot reopen the writer connection: {e}").into(),
                )
            })?),
        };
        work(conn)
    }
}

/// This thread's turn at the writer's connection, handed to the next ticket when dropped.
struct Turn<'a> {
    writer: &'a Writer,
    conn: Option<DbConn>,
}

impl<'a> Turn<'a> {
    fn take(writer: &'a Writer) -> Self {
        let mut queue = writer.queue.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        while queue.serving != ticket {
            queue = writer.turn.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
        let conn = queue.conn.take();
        Turn { writer, conn }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut conn = self.conn.take();
        // A panic inside the work leaves its transaction open: that connection goes.
        if std::thread::panicking()
            || conn
                .as_mut()
                .is_some_and(diesel::r2d2::R2D2Connection::is_broken)
        {
            conn = None;
        }
        let mut queue = self.writer.queue.lock().unwrap_or_else(|p| p.into_inner());
        queue.conn = conn;
        queue.serving += 1;
        drop(queue);
        self.writer.turn.notify_all();
    }
}

pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
