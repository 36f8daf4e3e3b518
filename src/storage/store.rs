//! `Store`: the one way workflows reach the database. Which connection a call gets, and
//! where its writes go, is decided here and nowhere else:
//!
//! | call | SQLite | PostgreSQL |
//! |---|---|---|
//! | `read` | this thread's read-only connection, in one snapshot | a pooled connection, off the async threads |
//! | `write` | the writer thread, committed with the calls queued beside it | a pooled connection, off the async threads |
//! | `run` | this blocking thread's read-only connection; its `Session::write`s lent the writer's connection in turn | a pooled connection; `Session::write` is a transaction on it |
//! | `write_blocking` | the writer's connection, lent in turn, on this thread | a pooled connection on this thread |

use std::sync::Arc;

use super::{DatabaseUrl, DbConn, Failure, Pool, WriteError, Writer, sqlite_reader, transaction};

#[derive(Clone)]
pub struct Store {
    /// PostgreSQL's connections. SQLite has none: it reads on `readers` and writes on
    /// `writer`.
    pool: Option<Pool>,
    /// SQLite's single writer.
    writer: Option<Arc<Writer>>,
    /// SQLite's read-only connections, one per thread that reads.
    readers: Option<Arc<Readers>>,
}

impl Store {
    /// The store for `url`: a pool of `size` on PostgreSQL, the writer and the readers
    /// on SQLite.
    pub fn open(url: &DatabaseUrl, size: u32) -> anyhow::Result<Self> {
        Ok(match url {
            DatabaseUrl::Postgres(_) => Self {
                pool: Some(super::pool(url, size)?),
                writer: None,
                readers: None,
            },
            DatabaseUrl::Sqlite(_) => Self {
                pool: None,
                writer: Writer::open(url)?,
                readers: Some(Arc::new(Readers::new(url.clone()))),
            },
        })
    }

    /// Finishes the writes queued and closes SQLite's writer (the file is then free, for
    /// `restore`). Blocks: call it off the async threads.
    pub fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close();
        }
    }

    /// Runs a workflow call that writes. On SQLite the whole call runs on the writer,
    /// committed together with the calls queued beside it (`Writer::submit`): one
    /// hand-off, no lock waits. Its `write_tx` is then a savepoint of that batch.
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
            None => self.pooled(work).await,
        }
    }

    /// Runs a workflow call that only reads. On SQLite it runs right here on this
    /// thread's read-only connection, in one snapshot: a read from an in-process database
    /// is work like rendering, and a hand-off to another thread costs more than the read.
    /// On PostgreSQL, whose answers come over the network, off the async threads.
    pub async fn read<T, E>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, Failure>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        match &self.readers {
            Some(readers) => readers.read(|conn| in_snapshot(conn, work)),
            None => self.pooled(work).await,
        }
    }

    /// Runs a workflow call that reads or works at length (a password hash, a file, a
    /// parse) and writes a little, off the async threads: it reads on `Session::conn`
    /// and writes through `Session::write`, so the writer is never held while it works.
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&mut Session<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, Failure>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.run_here(work)).await?
    }

    /// `run`, on this (blocking) thread: for the periodic jobs and the commands.
    pub fn run_here<T, E>(
        &self,
        work: impl FnOnce(&mut Session<'_>) -> Result<T, E>,
    ) -> Result<Result<T, E>, Failure> {
        match (&self.readers, &self.pool) {
            (Some(readers), _) => readers.read(|conn| {
                Ok(work(&mut Session {
                    conn,
                    writer: self.writer.as_deref(),
                }))
            }),
            (None, Some(pool)) => {
                let mut conn = pool.get()?;
                Ok(work(&mut Session {
                    conn: &mut conn,
                    writer: None,
                }))
            }
            (None, None) => unreachable!("a store has readers or a pool"),
        }
    }

    /// `write`, on this (blocking) thread: for the periodic jobs and the commands. On
    /// SQLite the writer's connection is lent here in its turn.
    pub fn write_blocking<T, E>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<Result<T, E>, Failure> {
        match (&self.writer, &self.pool) {
            (Some(writer), _) => writer.lend(|conn| Ok(work(conn))),
            (None, Some(pool)) => Ok(work(&mut *pool.get()?)),
            (None, None) => unreachable!("a store has a writer or a pool"),
        }
    }

    async fn pooled<T, E>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, Failure>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let Some(pool) = self.pool.clone() else {
            unreachable!("only PostgreSQL stores pool their connections")
        };
        tokio::task::spawn_blocking(move || Ok(work(&mut *pool.get()?))).await?
    }
}

/// What a `Store::run` call works with: a connection to read on, and the way to write.
pub struct Session<'a> {
    conn: &'a mut DbConn,
    /// SQLite's writer; on PostgreSQL writes run on `conn`.
    writer: Option<&'a Writer>,
}

impl Session<'_> {
    /// The connection to read on (read-only on SQLite: a write there fails).
    pub fn conn(&mut self) -> &mut DbConn {
        self.conn
    }

    /// Runs `work` in a write transaction (`write_tx`'s): on SQLite on the writer's
    /// connection, lent to this thread in its turn.
    pub fn write<T, E>(&mut self, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        match self.writer {
            Some(writer) => writer.lend(|conn| transaction(conn, work)),
            None => transaction(self.conn, work),
        }
    }
}

/// SQLite's read-only connections, kept per thread: no pool lock, no hand-off.
/// `query_only`, so a write that strays here fails instead of taking the lock beside
/// the writer.
pub struct Readers {
    id: u64,
    url: DatabaseUrl,
}

thread_local! {
    /// This thread's read connection for each store that read on it (tests run many).
    /// A cache: which connection a call gets never changes what it does.
    static READERS: std::cell::RefCell<Vec<(u64, DbConn)>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Readers {
    fn new(url: DatabaseUrl) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Self {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            url,
        }
    }

    fn read<T, E>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<Result<T, E>, Failure>,
    ) -> Result<Result<T, E>, Failure> {
        let mut conn = match READERS.with(|r| {
            let mut r = r.borrow_mut();
            let at = r.iter().position(|(id, _)| *id == self.id)?;
            Some(r.swap_remove(at).1)
        }) {
            Some(conn) => conn,
            None => sqlite_reader(&self.url).map_err(Failure::Reader)?,
        };
        // Caught, so that a bug in a read answers 500 like one on the blocking pool.
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut conn)))
            .map_err(|_| Failure::Panicked)?;
        if !diesel::r2d2::R2D2Connection::is_broken(&mut conn) {
            READERS.with(|r| r.borrow_mut().push((self.id, conn)));
        }
        done
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

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use super::*;

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

    /// A store on a new SQLite file with one table, `t`, and the file's path.
    async fn sqlite_store() -> (Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "appealdesk-store-{}-{}",
            std::process::id(),
            crate::keys::random_token()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.db");
        let store = Store::open(&DatabaseUrl::Sqlite(path.clone()), 2).unwrap();
        store
            .write(|c| c.batch_execute("CREATE TABLE t (n INTEGER NOT NULL)"))
            .await
            .unwrap()
            .unwrap();
        (store, path)
    }

    #[tokio::test]
    async fn a_sqlite_read_sees_one_snapshot() {
        let (store, path) = sqlite_store().await;
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
        store.close();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_long_call_writes_through_the_writer_and_cannot_write_beside_it() {
        let (store, _) = sqlite_store().await;
        let (strayed, written) = store
            .run(|s| {
                // The connection it reads on refuses writes...
                let strayed = s.conn().batch_execute("INSERT INTO t (n) VALUES (1)");
                // ...its writes go to the writer, and it reads them back.
                s.write(|c| c.batch_execute("INSERT INTO t (n) VALUES (2)"))?;
                Ok::<_, diesel::result::Error>((strayed, count(s.conn())?))
            })
            .await
            .unwrap()
            .unwrap();
        let strayed = strayed.expect_err("a write on the read connection fails");
        assert!(strayed.to_string().contains("readonly"), "{strayed}");
        assert_eq!(written, 1);
        // Beside it, the blocking path of the jobs and commands.
        let store2 = store.clone();
        tokio::task::spawn_blocking(move || {
            store2
                .write_blocking(|c| c.batch_execute("INSERT INTO t (n) VALUES (3)"))
                .unwrap()
                .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(store.read(count).await.unwrap().unwrap(), 2);
        store.close();
    }
}
