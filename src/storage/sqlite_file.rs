//! The embedded database's file: a lock that every process using it holds (shared), so
//! that `restore` can tell whether the file is in use; a consistent copy for `backup`
//! while servers keep writing; and `restore`.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

/// Held (shared) by every process that opens the database; `restore` needs it alone.
#[derive(Debug)]
pub struct InUse {
    _lock: File,
}

/// `appealdesk.db` → `appealdesk.db.lock`, beside the database.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn open_lock(db: &Path) -> anyhow::Result<File> {
    let path = lock_path(db);
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))
}

/// `flock(2)`: released by the system when the process ends, however it ends.
fn flock(file: &File, operation: libc::c_int) -> std::io::Result<()> {
    // SAFETY: a valid descriptor, owned by `file` for the duration of the call.
    if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The database holds the server key, password hashes and evidence: only its owner reads
/// it, whatever the umask. SQLite gives `-wal` and `-shm` the database file's mode, so the
/// file is made here (empty, 0600) before SQLite would make it 0644; files an older
/// version made are narrowed.
pub fn make_private(db: &Path) -> anyhow::Result<()> {
    if !db.exists() {
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(db)
            .with_context(|| format!("cannot create {}", db.display()))?;
    }
    for suffix in ["", "-wal", "-shm", ".lock", ".before-restore"] {
        let path = sibling(db, suffix);
        if path.exists() {
            owner_only(&path)?;
        }
    }
    Ok(())
}

/// 0600 for a file, 0700 for a folder.
pub fn owner_only(path: &Path) -> anyhow::Result<()> {
    let mode = if path.is_dir() { 0o700 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot restrict {} to its owner", path.display()))
}

/// An empty file only the owner may read: `VACUUM INTO` fills an empty file it finds.
fn private_empty(path: &Path) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(path);
    std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    Ok(())
}

/// Marks the database in use by this process until the value is dropped.
pub fn hold_shared(db: &Path) -> anyhow::Result<InUse> {
    make_private(db)?;
    let lock = open_lock(db)?;
    flock(&lock, libc::LOCK_SH)
        .with_context(|| format!("cannot lock {}", lock_path(db).display()))?;
    Ok(InUse { _lock: lock })
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// `PRAGMA integrity_check`: `Ok` when SQLite answers "ok", else what it found.
pub fn integrity(path: &Path) -> anyhow::Result<()> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .with_context(|| format!("cannot open {}", path.display()))?;
    let lines: Vec<Line> =
        diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check()")
            .load(&mut conn)
            .with_context(|| format!("{} is not a readable SQLite database", path.display()))?;
    let found: Vec<String> = lines.into_iter().map(|l| l.line).collect();
    if found != ["ok"] {
        bail!(
            "{} fails its integrity check: {}",
            path.display(),
            found.join("; ")
        );
    }
    Ok(())
}

/// Writes a consistent copy of the database to `to` (`VACUUM INTO`: one read transaction,
/// so servers keep filing meanwhile and the copy holds everything committed before it
/// began), checks it, and only then gives it its name.
pub fn backup(conn: &mut SqliteConnection, to: &Path) -> anyhow::Result<()> {
    if to.exists() {
        bail!("{} exists already; choose a new file", to.display());
    }
    let partial = sibling(to, ".partial");
    // The copy holds everything the database does: only its owner reads it.
    private_empty(&partial)?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(partial.to_string_lossy())
        .execute(conn)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let checked = integrity(&partial).and_then(|()| {
        File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, to)
            .with_context(|| format!("cannot name the copy {}", to.display()))
    });
    if checked.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    checked
}

/// A file some version of AppealDesk has migrated: not any SQLite file.
fn migrated(path: &Path) -> anyhow::Result<()> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .with_context(|| format!("cannot open {}", path.display()))?;
    let applied = diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
        .get_result::<Count>(&mut conn)
        .map(|c| c.n)
        .unwrap_or(0);
    anyhow::ensure!(
        applied > 0,
        "{} is not an AppealDesk database (no migrations applied)",
        path.display()
    );
    Ok(())
}

/// Replaces the database at `db` with the backup at `from`, refusing while any process
/// (a server, a worker, a command) has the database open. The database it replaces is
/// kept as `<db>.before-restore`.
pub fn restore(from: &Path, db: &Path) -> anyhow::Result<()> {
    // Opening a missing path would make an empty database, and restore it.
    anyhow::ensure!(from.is_file(), "no backup at {}", from.display());
    let lock = open_lock(db)?;
    if let Err(e) = flock(&lock, libc::LOCK_EX | libc::LOCK_NB) {
        if e.kind() == std::io::ErrorKind::WouldBlock {
            bail!(
                "{} is in use by a running AppealDesk (a server, worker or command holds {}): stop them all, then restore",
                db.display(),
                lock_path(db).display()
            );
        }
        return Err(e).context("cannot lock the database");
    }
    integrity(from).context("the backup cannot be restored")?;
    migrated(from).context("the backup cannot be restored")?;
    let staged = sibling(db, ".restoring");
    private_empty(&staged)?;
    {
        let mut source = SqliteConnection::establish(&from.to_string_lossy())?;
        diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(staged.to_string_lossy())
            .execute(&mut source)
            .with_context(|| format!("cannot write {}", staged.display()))?;
    }
    File::open(&staged)?.sync_all()?;
    if db.exists() {
        // Whatever the WAL still holds goes into the file kept aside.
        let mut old = SqliteConnection::establish(&db.to_string_lossy())?;
        old.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")?;
        drop(old);
        let kept = sibling(db, ".before-restore");
        std::fs::rename(db, &kept)?;
        owner_only(&kept)?;
    }
    for stale in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sibling(db, stale));
    }
    std::fs::rename(&staged, db)?;
    drop(lock);
    Ok(())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
