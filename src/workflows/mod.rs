//! One use case per file. Each owns its transaction, applies the domain rules and
//! writes every row the change needs.

pub mod agents;
pub mod calendar_admin;
pub mod case_page;
pub mod dashboard;
pub mod digest;
pub mod evidence;
pub mod file_appeal;
pub mod health;
pub mod mail_admin;
pub mod queue;
pub mod recover_link;
pub mod review;
pub mod sessions;
pub mod track_case;
pub mod webhooks;
pub mod working_days;

use std::sync::Arc;

use crate::db::{DbConn, Pool, WriteError, Writer};

/// The connection a workflow runs on, as callers outside the database layer name it.
pub type Conn = DbConn;

/// What went wrong below the rules: the caller logs it once and shows an opaque error.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("mail template: {0}")]
    Template(String),
    #[error("blocking task: {0}")]
    Blocking(#[from] tokio::task::JoinError),
    #[error("a read panicked")]
    Panicked,
    #[error("too many writes waiting for the database")]
    Busy,
    #[error("cannot open a read connection: {0}")]
    Reader(diesel::r2d2::Error),
}

/// The database as the web layer reaches it: a workflow call, on the connection its kind
/// of work wants. Handlers never see a connection's type.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// SQLite's single writer, which the work's write transactions run on.
    writer: Option<Arc<Writer>>,
    /// SQLite: this store's read-only connections, one per thread that reads (`read`).
    readers: Option<Arc<Readers>>,
}

impl Store {
    pub fn new(pool: Pool, writer: Option<Arc<Writer>>) -> Self {
        let readers = writer
            .as_ref()
            .map(|w| Arc::new(Readers::new(w.url().clone())));
        Self {
            pool,
            writer,
            readers,
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Runs `work` (one workflow call) on a connection from the pool, off the async
    /// threads; its write transactions borrow SQLite's writer in their turn. The outer
    /// error is the infrastructure's (no connection, the task died); the inner is the
    /// workflow's.
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, Failure>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let pool = self.pool.clone();
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            Ok(Writer::bind(writer.as_ref(), || work(&mut conn)))
        })
        .await?
    }

    /// Runs a workflow call that writes. On SQLite the whole call runs on the writer,
    /// committed together with the calls queued beside it (`Writer::submit`): one hand-off,
    /// no lock waits. On PostgreSQL, as `run`.
    pub async fn write<T, E>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, Failure>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.submit(work).await.map_err(|e| match e {
                WriteError::Busy => Failure::Busy,
                WriteError::Failed(e) => Failure::Database(e),
            }),
            None => self.run(work).await,
        }
    }

    /// Runs a workflow call that only reads. On SQLite it runs right here on this
    /// thread's read-only connection: a read from an in-process database is work like
    /// rendering, and a hand-off to another thread costs more than the read. On
    /// PostgreSQL, whose answers come over the network, as `run`.
    pub async fn read<T, E>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, Failure>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        match &self.readers {
            Some(readers) => readers.read(work),
            None => self.run(work).await,
        }
    }
}

/// A store on a pool alone: writes go through pooled connections (a worker process).
impl From<Pool> for Store {
    fn from(pool: Pool) -> Self {
        Self::new(pool, None)
    }
}

/// SQLite's read-only connections for `Store::read`, kept per thread: no pool lock, no
/// hand-off. `query_only`, so a write that strays here fails instead of taking the lock.
pub struct Readers {
    id: u64,
    url: crate::config::DatabaseUrl,
}

thread_local! {
    /// This thread's read connection for each store that read on it (tests run many).
    static READERS: std::cell::RefCell<Vec<(u64, DbConn)>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Readers {
    fn new(url: crate::config::DatabaseUrl) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Self {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            url,
        }
    }

    fn read<T, E>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<Result<T, E>, Failure> {
        let mut conn = match READERS.with(|r| {
            let mut r = r.borrow_mut();
            let at = r.iter().position(|(id, _)| *id == self.id)?;
            Some(r.swap_remove(at).1)
        }) {
            Some(conn) => conn,
            None => crate::db::sqlite_reader(&self.url).map_err(Failure::Reader)?,
        };
        // Caught, so that a bug in a read answers 500 like one on the blocking pool.
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            in_snapshot(&mut conn, work)
        }))
        .map_err(|_| Failure::Panicked)??;
        if !diesel::r2d2::R2D2Connection::is_broken(&mut conn) {
            READERS.with(|r| r.borrow_mut().push((self.id, conn)));
        }
        Ok(done)
    }
}

/// The whole call in one read transaction: one snapshot, so a page's statements agree,
/// and the WAL's read lock taken once instead of at each statement (that lock goes
/// through a mutex the process's connections share: 7% of the tracking page's time).
fn in_snapshot<T, E>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<Result<T, E>, Failure> {
    use diesel::connection::TransactionManager;
    type Manager = <DbConn as diesel::Connection>::TransactionManager;
    Manager::begin_transaction(conn).map_err(Failure::Database)?;
    let done = work(conn);
    // Read-only: ending the transaction keeps nothing and releases the snapshot.
    Manager::commit_transaction(conn).map_err(Failure::Database)?;
    Ok(done)
}

impl From<crate::email::EnqueueError> for Failure {
    fn from(e: crate::email::EnqueueError) -> Self {
        match e {
            crate::email::EnqueueError::Database(e) => Self::Database(e),
            render => Self::Template(render.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use super::*;
    use crate::config::DatabaseUrl;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    fn count(conn: &mut DbConn) -> QueryResult<i64> {
        diesel::sql_query("SELECT COUNT(*) AS n FROM t")
            .get_result::<Count>(conn)
            .map(|c| c.n)
    }

    #[tokio::test]
    async fn a_sqlite_read_sees_one_snapshot() {
        let dir = std::env::temp_dir().join(format!(
            "appealdesk-store-{}-{}",
            std::process::id(),
            crate::keys::random_token()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.db");
        let url = DatabaseUrl::Sqlite(path.clone());
        let store = Store::new(
            crate::db::pool(&url, 2).unwrap(),
            Writer::open(&url).unwrap(),
        );
        store
            .write(|c| c.batch_execute("CREATE TABLE t (n INTEGER NOT NULL)"))
            .await
            .unwrap()
            .unwrap();
        let seen = store
            .read(move |c| {
                let before = count(c)?;
                // Another connection commits a row between the read's two statements.
                let mut other = SqliteConnection::establish(&path.to_string_lossy())
                    .expect("a second connection");
                other.batch_execute("INSERT INTO t (n) VALUES (1)")?;
                Ok::<_, diesel::result::Error>((before, count(c)?))
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen, (0, 0), "both statements read the same snapshot");
        assert_eq!(
            store.read(count).await.unwrap().unwrap(),
            1,
            "the next read sees the row"
        );
    }
}
