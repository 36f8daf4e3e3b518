//! The tables and their queries. How a read and a write reach the database (the
//! connection, the pool, SQLite's writer and readers, the write transaction) is
//! `storage`'s business; queries take the connection they are handed.
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
            $crate::storage::DbConn::Sqlite($c) => $body,
            $crate::storage::DbConn::Postgres($c) => $body,
        }
    };
}

#[macro_use]
pub mod leased;

pub mod agent_prefs;
pub mod agents;
pub mod api_keys;
pub mod calendar;
pub mod cases;
pub mod events;
pub mod evidence;
pub mod filing;
pub mod gauges;
pub mod guidance_counts;
pub mod outbox;
pub mod queue;
pub mod quota;
pub mod receipt_slots;
pub mod saved_replies;
pub mod schema;
pub mod second_factor;
pub mod secrets;
pub mod sessions;
pub mod sign_in;
pub mod stats;
pub mod types;
pub mod webhooks;

pub use crate::storage::{
    DbConn, Pool, PooledConn, is_unique_violation, pool, sqlite_file, write_tx,
};

use diesel::QueryResult;
use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any 64-bit number unique to us: instances starting together migrate one at a time.
const MIGRATION_LOCK_KEY: i64 = 0x4170_7065_616c_4465; // "AppealDe"

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
