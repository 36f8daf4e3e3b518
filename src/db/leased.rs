//! Rows delivered under a lease: the mail outbox and the webhook deliveries share these
//! columns (`status`, `attempts`, `next_attempt_at`, `lease_until`, `last_error`) and the
//! queries below, generated once for each table by `leased_queue!`.
//!
//! A worker claims due rows for a lease; nobody else claims them until the lease ends or
//! the row is marked. Every outcome changes a row only while the caller's lease on it
//! holds (a conditional update): a worker whose lease ran out never overwrites a row
//! another worker has claimed since. On PostgreSQL a claim skips rows a concurrent claim
//! has locked (`FOR UPDATE SKIP LOCKED`); on SQLite it holds the single write lock
//! (`BEGIN IMMEDIATE`, through `write_tx`).

use chrono::{Duration, NaiveDateTime, Timelike};
use diesel::QueryResult;

use super::DbConn;

/// The longest error text kept; SMTP replies and HTTP bodies can be long.
pub const ERROR_MAX_CHARS: usize = 1000;

pub fn clip(error: &str) -> String {
    error.chars().take(ERROR_MAX_CHARS).collect()
}

/// When a lease taken at `now` ends, in microseconds as both backends store it: the
/// worker later proves it still holds the lease by this exact value.
pub fn lease_end(now: NaiveDateTime, lease: Duration) -> NaiveDateTime {
    let until = now + lease;
    until
        .with_nanosecond(until.nanosecond() / 1000 * 1000)
        .unwrap_or(until)
}

/// A claimed row, as the worker sees it.
pub trait Claimed: Send + 'static {
    type Id: Copy + Eq + std::fmt::Display + std::fmt::Debug + Send + Sync + 'static;
    fn id(&self) -> Self::Id;
    /// Including the claim that returned this row.
    fn attempts(&self) -> i32;
    fn lease_until(&self) -> Option<NaiveDateTime>;
}

/// How an attempt ended, as the row records it. `status` is the receiver's answer where
/// there is one (an HTTP status), kept where the table has a column for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done {
        status: Option<i32>,
    },
    Retry {
        next: NaiveDateTime,
        error: String,
        status: Option<i32>,
    },
    Dead {
        error: String,
        status: Option<i32>,
    },
}

/// The queries of one leased table, for the generic worker (`crate::delivery`).
pub trait LeasedQueue: Send + Sync + 'static {
    type Row: Claimed;

    /// Whether anything is due: a read without locks, so idle polling never takes
    /// SQLite's write lock.
    fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool>;
    fn claim_due(
        conn: &mut DbConn,
        now: NaiveDateTime,
        lease: Duration,
        limit: i64,
    ) -> QueryResult<Vec<Self::Row>>;
    fn renew(
        conn: &mut DbConn,
        ids: &[<Self::Row as Claimed>::Id],
        held: NaiveDateTime,
        until: NaiveDateTime,
    ) -> QueryResult<Vec<<Self::Row as Claimed>::Id>>;
    fn release(
        conn: &mut DbConn,
        ids: &[<Self::Row as Claimed>::Id],
        held: NaiveDateTime,
    ) -> QueryResult<usize>;
    /// Records `outcome` if the caller's lease (`held`) still holds; returns whether it did.
    fn mark(
        conn: &mut DbConn,
        id: <Self::Row as Claimed>::Id,
        held: NaiveDateTime,
        now: NaiveDateTime,
        outcome: &Outcome,
    ) -> QueryResult<bool>;
}

/// Generates, in the calling module, the leased queries for `$table` (a `schema` table
/// with the shared columns) as free functions (`any_due`, `claim_due`, `renew`,
/// `release`, `mark`, `revive`) and a `LeasedQueue` impl on `$queue`.
///
/// - `done: |now| (...)`: the columns a delivered row sets besides its status;
/// - `status_column`: where the receiver's answer is kept, if the table has one.
macro_rules! leased_queue {
    (
        queue: $queue:ident,
        table: $t:ident,
        id: $Id:ty,
        row: $Row:ty,
        status: $S:ident { pending: $pending:ident, done: $done:ident, dead: $dead:ident },
        done: |$now:ident| ($($set:expr),* $(,)?),
        $(status_column: $status_col:ident,)?
    ) => {
        /// The leased queries of this table (`db::leased`).
        pub struct $queue;

        impl $crate::db::leased::Claimed for $Row {
            type Id = $Id;
            fn id(&self) -> $Id {
                self.id
            }
            fn attempts(&self) -> i32 {
                self.attempts
            }
            fn lease_until(&self) -> Option<chrono::NaiveDateTime> {
                self.lease_until
            }
        }

        /// Whether anything is due: a read without locks.
        pub fn any_due(
            conn: &mut $crate::db::DbConn,
            now: chrono::NaiveDateTime,
        ) -> diesel::QueryResult<bool> {
            diesel::select(diesel::dsl::exists(
                $t::table
                    .filter($t::status.eq($S::$pending))
                    .filter($t::next_attempt_at.le(now))
                    .filter($t::lease_until.is_null().or($t::lease_until.le(now))),
            ))
            .get_result(conn)
        }

        /// Takes up to `limit` due rows for `lease` (see `db::leased`).
        pub fn claim_due(
            conn: &mut $crate::db::DbConn,
            now: chrono::NaiveDateTime,
            lease: chrono::Duration,
            limit: i64,
        ) -> diesel::QueryResult<Vec<$Row>> {
            use $crate::db::DbConn;
            let until = $crate::db::leased::lease_end(now, lease);
            $crate::db::write_tx(conn, |conn| {
                // A macro, not a value: `as_select` takes its backend from where it is used.
                macro_rules! due_rows {
                    () => {
                        $t::table
                            .filter($t::status.eq($S::$pending))
                            .filter($t::next_attempt_at.le(now))
                            .filter($t::lease_until.is_null().or($t::lease_until.le(now)))
                            .order(($t::next_attempt_at, $t::id))
                            .limit(limit)
                            .select(<$Row>::as_select())
                    };
                }
                let mut rows: Vec<$Row> = match conn {
                    DbConn::Postgres(c) => due_rows!().for_update().skip_locked().load(c)?,
                    DbConn::Sqlite(c) => due_rows!().load(c)?,
                };
                let ids: Vec<$Id> = rows.iter().map(|r| r.id).collect();
                diesel::update($t::table.filter($t::id.eq_any(&ids)))
                    .set((
                        $t::lease_until.eq(until),
                        $t::attempts.eq($t::attempts + 1),
                    ))
                    .execute(conn)?;
                for row in &mut rows {
                    row.attempts += 1;
                    row.lease_until = Some(until);
                }
                Ok(rows)
            })
        }

        /// Extends the caller's lease on `ids` (held until `held`) to `until`; returns the
        /// rows that were still the caller's, which are now held until `until`.
        pub fn renew(
            conn: &mut $crate::db::DbConn,
            ids: &[$Id],
            held: chrono::NaiveDateTime,
            until: chrono::NaiveDateTime,
        ) -> diesel::QueryResult<Vec<$Id>> {
            $crate::db::write_tx(conn, |conn| {
                let mine = $t::table
                    .filter($t::id.eq_any(ids))
                    .filter($t::lease_until.eq(held))
                    .filter($t::status.eq($S::$pending))
                    .select($t::id)
                    .load::<$Id>(conn)?;
                diesel::update($t::table.filter($t::id.eq_any(&mine)))
                    .set($t::lease_until.eq(until))
                    .execute(conn)?;
                Ok(mine)
            })
        }

        /// Gives back claimed rows the caller will not deliver (it is stopping): due again
        /// at once for another worker, and the claim does not count as an attempt.
        pub fn release(
            conn: &mut $crate::db::DbConn,
            ids: &[$Id],
            held: chrono::NaiveDateTime,
        ) -> diesel::QueryResult<usize> {
            diesel::update(
                $t::table
                    .filter($t::id.eq_any(ids))
                    .filter($t::lease_until.eq(held))
                    .filter($t::status.eq($S::$pending)),
            )
            .set((
                $t::lease_until.eq(None::<chrono::NaiveDateTime>),
                $t::attempts.eq($t::attempts - 1),
            ))
            .execute(conn)
        }

        /// Records an attempt's outcome while the caller's lease (`held`) holds; returns
        /// whether the row was still the caller's.
        pub fn mark(
            conn: &mut $crate::db::DbConn,
            id: $Id,
            held: chrono::NaiveDateTime,
            $now: chrono::NaiveDateTime,
            outcome: &$crate::db::leased::Outcome,
        ) -> diesel::QueryResult<bool> {
            use $crate::db::leased::{Outcome, clip};
            let mine = $t::table
                .filter($t::id.eq(id))
                .filter($t::lease_until.eq(held));
            let changed = match outcome {
                Outcome::Done { status: _status } => diesel::update(mine)
                    .set((
                        $t::status.eq($S::$done),
                        $t::lease_until.eq(None::<chrono::NaiveDateTime>),
                        $t::last_error.eq(None::<String>),
                        $($t::$status_col.eq(*_status),)?
                        $($set,)*
                    ))
                    .execute(conn)?,
                Outcome::Retry { next, error, status: _status } => diesel::update(mine)
                    .set((
                        $t::next_attempt_at.eq(*next),
                        $t::lease_until.eq(None::<chrono::NaiveDateTime>),
                        $t::last_error.eq(clip(error)),
                        $($t::$status_col.eq(*_status),)?
                    ))
                    .execute(conn)?,
                Outcome::Dead { error, status: _status } => diesel::update(mine)
                    .set((
                        $t::status.eq($S::$dead),
                        $t::lease_until.eq(None::<chrono::NaiveDateTime>),
                        $t::last_error.eq(clip(error)),
                        $($t::$status_col.eq(*_status),)?
                    ))
                    .execute(conn)?,
            };
            Ok(changed == 1)
        }

        /// Dead → pending, due now, attempts from zero. `false` when the row is not dead
        /// (unknown, already revived, or delivered).
        pub fn revive(
            conn: &mut $crate::db::DbConn,
            id: $Id,
            now: chrono::NaiveDateTime,
        ) -> diesel::QueryResult<bool> {
            let changed = diesel::update(
                $t::table
                    .filter($t::id.eq(id))
                    .filter($t::status.eq($S::$dead)),
            )
            .set((
                $t::status.eq($S::$pending),
                $t::attempts.eq(0),
                $t::next_attempt_at.eq(now),
                $t::lease_until.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(conn)?;
            Ok(changed == 1)
        }

        impl $crate::db::leased::LeasedQueue for $queue {
            type Row = $Row;

            fn any_due(
                conn: &mut $crate::db::DbConn,
                now: chrono::NaiveDateTime,
            ) -> diesel::QueryResult<bool> {
                any_due(conn, now)
            }
            fn claim_due(
                conn: &mut $crate::db::DbConn,
                now: chrono::NaiveDateTime,
                lease: chrono::Duration,
                limit: i64,
            ) -> diesel::QueryResult<Vec<$Row>> {
                claim_due(conn, now, lease, limit)
            }
            fn renew(
                conn: &mut $crate::db::DbConn,
                ids: &[$Id],
                held: chrono::NaiveDateTime,
                until: chrono::NaiveDateTime,
            ) -> diesel::QueryResult<Vec<$Id>> {
                renew(conn, ids, held, until)
            }
            fn release(
                conn: &mut $crate::db::DbConn,
                ids: &[$Id],
                held: chrono::NaiveDateTime,
            ) -> diesel::QueryResult<usize> {
                release(conn, ids, held)
            }
            fn mark(
                conn: &mut $crate::db::DbConn,
                id: $Id,
                held: chrono::NaiveDateTime,
                now: chrono::NaiveDateTime,
                outcome: &$crate::db::leased::Outcome,
            ) -> diesel::QueryResult<bool> {
                mark(conn, id, held, now, outcome)
            }
        }
    };
}
