//! SQLite's single writer: one thread owns the one connection that writes, fed by a FIFO
//! queue. No request ever sleeps in SQLite's `busy_timeout` waiting for another
//! connection's write lock (that sleep-and-retry made the tail of concurrent filings
//! 0.7 s), and the queue lets the writer commit many writes at once.
//!
//! Two ways in:
//! - [`Writer::submit`]: a whole workflow call is sent to the writer thread. Every call
//!   queued meanwhile runs in the same transaction, each in its own savepoint (so one
//!   refusal or rollback stays its own), and one commit answers them all: group commit.
//!   No call learns its result before that commit.
//! - [`Writer::lend`]: the connection is lent to the calling thread for one transaction,
//!   in its turn, for work that borrows from its caller (`Session::write`, the jobs and
//!   the commands: `Store::write_blocking`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc;

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::ManageConnection;
use diesel::result::{DatabaseErrorKind, Error};

use super::{ConnectionManager, DbConn, sqlite_file};
use crate::config::DatabaseUrl;
use crate::domain::policy;

/// Calls committed together at most: bounds the wait of the first call in a batch.
const BATCH: usize = 64;

type Manager = <DbConn as diesel::Connection>::TransactionManager;

/// Tells a submitted call how its batch's commit went (`None`: committed).
type Deliver = Box<dyn FnOnce(Option<&Error>) + Send>;

enum Job {
    Work(Box<dyn FnOnce(&mut DbConn) -> Deliver + Send>),
    Lend(Loan),
    /// Everything queued before it is done: close the connection and end the thread.
    Stop,
}

/// The two ends of a loan: the connection goes out on the first and comes back on the
/// second (`None` when the borrower panicked: that connection is not reused).
struct Loan {
    give: mpsc::SyncSender<Result<DbConn, String>>,
    back: mpsc::Receiver<Option<DbConn>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(
        "{} writes are waiting for the SQLite writer already",
        crate::domain::policy::SQLITE_WRITE_QUEUE_MAX
    )]
    Busy,
    #[error(transparent)]
    Failed(#[from] Error),
}

pub struct Writer {
    jobs: mpsc::SyncSender<Job>,
    url: DatabaseUrl,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
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
        let mut conn =
            connect(&manager).with_context(|| format!("cannot open the database {url:?}"))?;
        warn_without_qpsg(&mut conn);
        let (jobs, queue) = mpsc::sync_channel(crate::domain::policy::SQLITE_WRITE_QUEUE_MAX);
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            // Ends at `close`, or when the last handle is dropped and the queue is empty.
            .spawn(move || serve(manager, Some(conn), queue))
            .context("cannot start the SQLite writer")?;
        Ok(Some(Arc::new(Writer {
            jobs,
            url: url.clone(),
            thread: std::sync::Mutex::new(Some(thread)),
        })))
    }

    /// Finishes what is queued, closes the connection (the file is then free, for
    /// `restore`) and ends the thread; a call after it fails. Blocks until then.
    pub fn close(&self) {
        let _ = self.jobs.send(Job::Stop);
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the SQLite writer thread panicked");
        }
    }

    /// The database it writes.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Runs `work` on the writer thread inside a batch transaction, in a savepoint of its
    /// own, and answers once the batch has committed. `Err` when the commit failed (then
    /// nothing `work` wrote is kept, whatever it returned), or at once when the queue is
    /// full (`WriteError::Busy`).
    pub async fn submit<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut DbConn) -> T + Send + 'static,
    ) -> Result<T, WriteError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job = Job::Work(Box::new(move |conn| {
            let value = work(conn);
            Box::new(move |commit: Option<&Error>| {
                let _ = answer.send(match commit {
                    None => Ok(value),
                    Some(e) => Err(copy(e)),
                });
            })
        }));
        self.jobs.try_send(job).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => WriteError::Busy,
            mpsc::TrySendError::Disconnected(_) => WriteError::Failed(gone()),
        })?;
        // Dropped unanswered: the work panicked, and was rolled back.
        Ok(answered.await.map_err(|_| gone())??)
    }

    /// Runs `work` on the writer's connection on this thread, when its turn comes.
    /// Blocks: call it off the async threads.
    pub fn lend<T, E>(&self, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<Error>,
    {
        let (give, lent) = mpsc::sync_channel(1);
        let (back, returned) = mpsc::sync_channel(1);
        self.jobs
            .send(Job::Lend(Loan {
                give,
                back: returned,
            }))
            .map_err(|_| gone())?;
        let conn = lent.recv().map_err(|_| gone())?.map_err(reopen_failed)?;
        let mut loan = Returning {
            conn: Some(conn),
            back,
        };
        let conn = loan.conn.as_mut().expect("just lent");
        work(conn)
    }
}

/// Gives a lent connection back, also when the borrower panics (then without it: it may
/// be mid-transaction).
struct Returning {
    conn: Option<DbConn>,
    back: mpsc::SyncSender<Option<DbConn>>,
}

impl Drop for Returning {
    fn drop(&mut self) {
        let conn = self.conn.take().filter(|_| !std::thread::panicking());
        let _ = self.back.send(conn);
    }
}

/// The writer's connection.
/// - Each call in a batch runs in a savepoint, which first copies each page it changes
///   into a sub-journal. Past 64 KiB that journal went to a temporary file, a sixth of
///   the writer's time; with `temp_store = MEMORY` it stays in memory (a batch's pages).
/// - Checkpoints run beside it (`checkpoints`); its own commits checkpoint only when
///   those fall far behind.
fn connect(manager: &ConnectionManager) -> Result<DbConn, diesel::r2d2::Error> {
    use diesel::connection::SimpleConnection;
    let mut conn = manager.connect()?;
    conn.batch_execute(&format!(
        "PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = {}",
        policy::SQLITE_WRITER_CHECKPOINT_PAGES
    ))
    .map_err(diesel::r2d2::Error::QueryError)?;
    Ok(conn)
}

/// Copies the WAL's pages into the database on a thread and connection of its own, when
/// woken after a write and at most every `SQLITE_CHECKPOINT_PAUSE`. In the writer's own
/// commits, checkpoints were a tenth of its time, and the slowest filings were those
/// whose batch carried one. Ends when the writer drops `wake`.
fn checkpoints(url: DatabaseUrl, wake: mpsc::Receiver<()>) {
    use diesel::connection::SimpleConnection;
    let manager = ConnectionManager { url, _in_use: None };
    let mut conn = None;
    while wake.recv().is_ok() {
        if conn.is_none() {
            conn = manager
                .connect()
                .inspect_err(|e| tracing::error!(error = %e, "the checkpoints cannot connect"))
                .ok();
        }
        // PASSIVE: copies what no reader still needs, never waits for a lock.
        if let Some(c) = conn.as_mut()
            && let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
        {
            tracing::error!(error = %e, "a checkpoint failed");
            conn = None;
        }
        std::thread::sleep(policy::SQLITE_CHECKPOINT_PAUSE);
    }
}

/// `.cargo/config.toml` builds SQLite with its query planner stability guarantee; a build
/// without it (another `LIBSQLITE3_FLAGS`, a system SQLite) works, only slower.
fn warn_without_qpsg(conn: &mut DbConn) {
    #[derive(diesel::QueryableByName)]
    struct Used {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        used: i32,
    }
    let used = diesel::RunQueryDsl::get_result::<Used>(
        diesel::sql_query("SELECT sqlite_compileoption_used('ENABLE_QPSG') AS used"),
        conn,
    );
    if !matches!(used, Ok(Used { used: 1 })) {
        tracing::warn!(
            "SQLite was built without SQLITE_ENABLE_QPSG: statements are prepared again at \
             each new binding (see .cargo/config.toml)"
        );
    }
}

fn gone() -> Error {
    Error::DatabaseError(
        DatabaseErrorKind::Unknown,
        Box::new("the SQLite writer stopped, or the work panicked".to_owned()),
    )
}

fn reopen_failed(e: String) -> Error {
    Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(e))
}

/// The batch's commit error, once for each call in it.
fn copy(e: &Error) -> Error {
    match e {
        Error::DatabaseError(kind, info) => Error::DatabaseError(
            match kind {
                DatabaseErrorKind::SerializationFailure => DatabaseErrorKind::SerializationFailure,
                _ => DatabaseErrorKind::Unknown,
            },
            Box::new(info.message().to_owned()),
        ),
        other => Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(other.to_string())),
    }
}

/// The writer thread: takes jobs in arrival order; a batch is every call waiting when
/// the previous commit ended, up to `BATCH`, or up to the next loan.
fn serve(manager: ConnectionManager, mut conn: Option<DbConn>, queue: mpsc::Receiver<Job>) {
    let (wake, woken) = mpsc::sync_channel(1);
    let url = manager.url.clone();
    let checkpointer = std::thread::Builder::new()
        .name("sqlite-checkpoints".into())
        .spawn(move || checkpoints(url, woken))
        .inspect_err(|e| tracing::error!(error = %e, "cannot start the SQLite checkpoints"))
        .ok();
    serve_jobs(&manager, &mut conn, &queue, &wake);
    // Both connections are closed by the time this thread ends: after `close`, the
    // file is free (for `restore`).
    drop(wake);
    if let Some(thread) = checkpointer
        && thread.join().is_err()
    {
        tracing::error!("the SQLite checkpoint thread panicked");
    }
}

fn serve_jobs(
    manager: &ConnectionManager,
    conn: &mut Option<DbConn>,
    queue: &mpsc::Receiver<Job>,
    wake: &mpsc::SyncSender<()>,
) {
    let mut next: Option<Job> = None;
    loop {
        // Whatever the last job wrote: a wake already pending is enough.
        let _ = wake.try_send(());
        let job = match next.take() {
            Some(job) => job,
            None => match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        if conn.is_none() {
            match connect(manager) {
                Ok(c) => *conn = Some(c),
                Err(e) => {
                    let message = format!("cannot reopen the writer connection: {e}");
                    tracing::error!("{message}");
                    match job {
                        // Dropping the call answers it with `gone`.
                        Job::Work(_) => {}
                        Job::Lend(loan) => {
                            let _ = loan.give.send(Err(message));
                        }
                        Job::Stop => return,
                    }
                    continue;
                }
            }
        }
        match job {
            Job::Stop => return,
            Job::Lend(loan) => *conn = lend(conn.take(), loan),
            Job::Work(work) => {
                let mut c = conn.take().expect("connection opened above");
                let mut batch = Vec::with_capacity(BATCH);
                let begun = AnsiTransactionManager::begin_transaction_sql(
                    match &mut c {
                        DbConn::Sqlite(s) => s,
                        DbConn::Postgres(_) => unreachable!("the writer is SQLite's"),
                    },
                    "BEGIN IMMEDIATE",
                );
                if let Err(e) = begun {
                    // Answer this call with the error; the next call gets a new connection.
                    tracing::error!(error = %e, "the writer cannot begin a transaction");
                    drop(work);
                    continue;
                }
                let mut whole = run_one(&mut c, work, &mut batch);
                while whole && batch.len() < BATCH {
                    match queue.try_recv() {
                        Ok(Job::Work(work)) => whole = run_one(&mut c, work, &mut batch),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                *conn = finish(c, whole, batch);
            }
        }
    }
}

/// The transaction depth diesel counts on the connection (0: none).
fn depth(conn: &mut DbConn) -> Option<u32> {
    let DbConn::Sqlite(c) = conn else {
        return None;
    };
    AnsiTransactionManager::transaction_manager_status_mut(c)
        .transaction_depth()
        .ok()
        .map(|d| d.map_or(0, |d| d.get()))
}

/// One call in its own savepoint. `false` when the batch's transaction can no longer be
/// trusted (then nothing of it is committed); a call that panicked is rolled back to its
/// savepoint alone and the batch goes on.
fn run_one(
    conn: &mut DbConn,
    work: Box<dyn FnOnce(&mut DbConn) -> Deliver + Send>,
    batch: &mut Vec<Deliver>,
) -> bool {
    if let Err(e) = Manager::begin_transaction(conn) {
        tracing::error!(error = %e, "the writer cannot open a savepoint");
        return false;
    }
    match catch_unwind(AssertUnwindSafe(|| work(conn))) {
        Ok(deliver) => {
            batch.push(deliver);
            // Back at the batch's own level, or a call left a transaction open (or SQLite
            // rolled the whole one back): then no caller may be told its write is kept.
            Manager::commit_transaction(conn).is_ok() && depth(conn) == Some(1)
        }
        Err(_) => {
            // Its answer was dropped with it: the caller hears `gone`. Undo whatever
            // savepoints it left open, then its own.
            tracing::error!("a write panicked: it is rolled back alone");
            while depth(conn).is_some_and(|d| d > 1) {
                if Manager::rollback_transaction(conn).is_err() {
                    return false;
                }
            }
            depth(conn) == Some(1)
        }
    }
}

/// Commits the batch and answers each call; the connection, unless it is no longer fit.
fn finish(mut conn: DbConn, whole: bool, batch: Vec<Deliver>) -> Option<DbConn> {
    let outcome = if whole && depth(&mut conn) == Some(1) {
        Manager::commit_transaction(&mut conn).and_then(|()| match depth(&mut conn) {
            Some(0) => Ok(()),
            _ => Err(gone()),
        })
    } else {
        Err(gone())
    };
    if let Err(e) = &outcome {
        tracing::error!(error = %e, calls = batch.len(), "a write batch did not commit");
    }
    crate::metrics::write_batch(batch.len());
    for deliver in batch {
        deliver(outcome.as_ref().err());
    }
    if outcome.is_ok() {
        return Some(conn);
    }
    // Whatever state a failed commit or a panic left: closing the connection rolls back.
    let _ = Manager::rollback_transaction(&mut conn);
    None
}

/// Lends the connection and waits for it to come back.
fn lend(conn: Option<DbConn>, loan: Loan) -> Option<DbConn> {
    let conn = conn?;
    if let Err(mpsc::SendError(unsent)) = loan.give.send(Ok(conn)) {
        // The borrower stopped waiting: the connection never left.
        return unsent.ok();
    }
    let mut conn = loan.back.recv().ok().flatten()?;
    (!diesel::r2d2::R2D2Connection::is_broken(&mut conn)).then_some(conn)
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::BigInt;

    use super::*;
    use crate::storage::write_tx;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn count(conn: &mut DbConn) -> Result<i64, Error> {
        diesel::sql_query("SELECT COUNT(*) AS n FROM t")
            .get_result::<Count>(conn)
            .map(|c| c.n)
    }

    /// A writer on a new database with one table, `t`.
    async fn writer() -> Arc<Writer> {
        let url = DatabaseUrl::Sqlite(tempdir().join("w.db"));
        let w = Writer::open(&url).unwrap().expect("a SQLite writer");
        w.submit(|c| c.batch_execute("CREATE TABLE t (n INTEGER NOT NULL)"))
            .await
            .unwrap()
            .unwrap();
        w
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn calls_committed_together_keep_their_own_rollbacks() {
        let w = writer().await;
        // 200 calls at once: batches form; every third writes, then refuses.
        let calls = (0..200).map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                w.submit(move |c| {
                    write_tx(c, |c| {
                        c.batch_execute("INSERT INTO t (n) VALUES (1)")?;
                        if i % 3 == 0 {
                            Err(Error::RollbackTransaction)
                        } else {
                            Ok(())
                        }
                    })
                })
                .await
            })
        });
        let mut refused = 0;
        for call in calls {
            if call.await.unwrap().unwrap().is_err() {
                refused += 1;
            }
        }
        assert_eq!(refused, 67);
        let rows = w.submit(count).await.unwrap().unwrap();
        assert_eq!(
            rows, 133,
            "each refusal rolled back alone, each other call kept"
        );
        w.close();
        assert!(w.submit(count).await.is_err(), "closed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once() {
        let w = writer().await;
        // One call holds the writer, until told, while the queue fills behind it.
        let (started, holding) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let slow = {
            let w = w.clone();
            tokio::spawn(async move {
                w.submit(move |_| {
                    started.send(()).unwrap();
                    let _ = released.recv();
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || holding.recv().unwrap())
            .await
            .unwrap();
        let max = crate::domain::policy::SQLITE_WRITE_QUEUE_MAX;
        let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let calls: Vec<_> = (0..max + 10)
            .map(|_| {
                let (w, refused) = (w.clone(), refused.clone());
                tokio::spawn(async move {
                    let answer = w.submit(|_| ()).await;
                    if matches!(answer, Err(WriteError::Busy)) {
                        refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    answer
                })
            })
            .collect();
        // The calls past the queue's room are refused while the writer is still held:
        // at once, not after it.
        let waited = std::time::Instant::now();
        while refused.load(std::sync::atomic::Ordering::SeqCst) < 10 {
            assert!(
                waited.elapsed() < std::time::Duration::from_secs(10),
                "no call was refused while the queue was full"
            );
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        let mut busy = 0;
        for call in calls {
            match call.await.unwrap() {
                Ok(()) => {}
                Err(WriteError::Busy) => busy += 1,
                Err(e) => panic!("{e}"),
            }
        }
        slow.await.unwrap().unwrap();
        assert!(busy >= 10, "{busy} refused");
        w.close();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_call_that_panics_in_a_batch_is_rolled_back_alone() {
        let w = writer().await;
        let calls = (0..100).map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                w.submit(move |c| {
                    write_tx(c, |c| {
                        c.batch_execute("INSERT INTO t (n) VALUES (1)")?;
                        assert!(i % 10 != 0, "a bug in a workflow");
                        Ok::<_, Error>(())
                    })
                })
                .await
            })
        });
        let mut failed = 0;
        for call in calls {
            if call.await.unwrap().is_err() {
                failed += 1;
            }
        }
        assert_eq!(failed, 10, "only the calls that panicked");
        assert_eq!(w.submit(count).await.unwrap().unwrap(), 90);
        w.close();
    }

    #[tokio::test]
    async fn a_call_that_panics_is_answered_and_the_writer_goes_on() {
        let w = writer().await;
        let panicked = w
            .submit(|c| -> Result<(), Error> {
                c.batch_execute("INSERT INTO t (n) VALUES (1)")?;
                panic!("a bug in a workflow")
            })
            .await;
        assert!(panicked.is_err());
        w.submit(|c| c.batch_execute("INSERT INTO t (n) VALUES (2)"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            w.submit(count).await.unwrap().unwrap(),
            1,
            "the panicked write is gone"
        );
        // A loan, as `Session::write` takes it.
        let lent = std::thread::scope(|s| {
            s.spawn(|| w.lend(|c| write_tx(c, |c| c.batch_execute("INSERT INTO t (n) VALUES (3)"))))
                .join()
                .unwrap()
        });
        lent.unwrap();
        assert_eq!(w.submit(count).await.unwrap().unwrap(), 2);
        w.close();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checkpoints_run_beside_the_writer() {
        let path = tempdir().join("w.db");
        let w = Writer::open(&DatabaseUrl::Sqlite(path.clone()))
            .unwrap()
            .expect("a SQLite writer");
        // About 2 MB in 200 commits: some 500 WAL pages, far below the number at which
        // the writer would checkpoint in its own commit.
        w.submit(|c| c.batch_execute("CREATE TABLE b (x BLOB NOT NULL)"))
            .await
            .unwrap()
            .unwrap();
        for _ in 0..200 {
            w.submit(|c| c.batch_execute("INSERT INTO b (x) VALUES (zeroblob(10000))"))
                .await
                .unwrap()
                .unwrap();
        }
        // The pages reach the database file only through a checkpoint.
        let in_file = || std::fs::metadata(&path).map_or(0, |m| m.len());
        let waited = std::time::Instant::now();
        while in_file() < 2_000_000 && waited.elapsed() < std::time::Duration::from_secs(10) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(
            in_file() >= 2_000_000,
            "{} bytes in the file: no checkpoint ran",
            in_file()
        );
        w.close();
    }

    fn tempdir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "appealdesk-writer-{}-{}",
            std::process::id(),
            crate::keys::random_token()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
