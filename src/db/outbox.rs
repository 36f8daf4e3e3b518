//! The outbox: mail written in the transaction of the change that causes it, then
//! claimed by workers under a lease, so that one row is sent by one worker at a time
//! and a crashed worker's rows are taken up again once its lease runs out.

use chrono::Timelike;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{cases, outbox};
use super::{DbConn, write_tx};
use crate::domain::Lang;
use crate::domain::ids::{CaseId, OutboxId};
use crate::domain::mail_status::MailStatus;

/// The longest error text kept; SMTP replies can be long.
const ERROR_MAX_CHARS: usize = 1000;

/// A rendered mail. `created_at` is also its first due time.
#[derive(Insertable, Debug)]
#[diesel(table_name = outbox)]
pub struct NewMail<'a> {
    pub message: &'a str,
    pub recipient: &'a str,
    pub lang: Lang,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub case_id: Option<CaseId>,
    pub created_at: NaiveDateTime,
}

/// A claimed row: what a worker needs to send it.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = outbox)]
pub struct MailRow {
    pub id: OutboxId,
    pub message: String,
    pub recipient: String,
    pub lang: Lang,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub case_id: Option<CaseId>,
    /// Including the claim that returned this row.
    pub attempts: i32,
    pub lease_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// What a supervisor sees of a mail that could not be delivered.
#[derive(Queryable, Debug, Clone)]
pub struct DeadMail {
    pub id: OutboxId,
    pub message: String,
    pub recipient: String,
    pub case_id: Option<CaseId>,
    pub case_number: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Queues a mail; call it inside the caller's transaction so the mail exists if and
/// only if the change does.
pub fn enqueue(conn: &mut DbConn, mail: &NewMail<'_>) -> QueryResult<()> {
    let insert = diesel::insert_into(outbox::table)
        .values((mail, outbox::next_attempt_at.eq(mail.created_at)));
    on_backend!(conn, |c| insert.execute(c)).map(drop)
}

#[diesel::dsl::auto_type]
fn due(now: NaiveDateTime) -> _ {
    let pending: MailStatus = MailStatus::Pending;
    outbox::status
        .eq(pending)
        .and(outbox::next_attempt_at.le(now))
        .and(
            outbox::lease_until
                .is_null()
                .or(outbox::lease_until.le(now)),
        )
}

/// Whether anything is due: a read without locks, so idle polling never takes
/// SQLite's write lock.
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(outbox::table.filter(due(now)))).get_result(conn)
}

/// Takes up to `limit` due rows for `lease`: nobody else claims them until the lease
/// ends or the row is marked. On PostgreSQL rows locked by a concurrent claim are
/// skipped; on SQLite the claim holds the single write lock (`BEGIN IMMEDIATE`).
pub fn claim_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> QueryResult<Vec<MailRow>> {
    let until = lease_end(now, lease);
    write_tx(conn, |conn| {
        // A macro, not a value: `as_select` takes its backend from where it is used.
        macro_rules! due_rows {
            () => {
                outbox::table
                    .filter(due(now))
                    .order((outbox::next_attempt_at, outbox::id))
                    .limit(limit)
                    .select(MailRow::as_select())
            };
        }
        let mut rows = match conn {
            DbConn::Postgres(c) => due_rows!().for_update().skip_locked().load(c)?,
            DbConn::Sqlite(c) => due_rows!().load(c)?,
        };
        let ids: Vec<OutboxId> = rows.iter().map(|r| r.id).collect();
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((
                outbox::lease_until.eq(until),
                outbox::attempts.eq(outbox::attempts + 1),
            ))
            .execute(conn)?;
        for row in &mut rows {
            row.attempts += 1;
            row.lease_until = Some(until);
        }
        Ok(rows)
    })
}

/// When a lease taken at `now` ends, in microseconds as both backends store it: the
/// worker later proves it still holds the lease by this exact value.
pub fn lease_end(now: NaiveDateTime, lease: Duration) -> NaiveDateTime {
    let until = now + lease;
    until
        .with_nanosecond(until.nanosecond() / 1000 * 1000)
        .unwrap_or(until)
}

/// Extends the caller's lease on `ids` (held until `held`) to `until`; returns the rows
/// that were still the caller's, which are now held until `until`.
pub fn renew(
    conn: &mut DbConn,
    ids: &[OutboxId],
    held: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<OutboxId>> {
    write_tx(conn, |conn| {
        let mine = outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::lease_until.eq(held))
            .filter(outbox::status.eq(MailStatus::Pending))
            .select(outbox::id)
            .load::<OutboxId>(conn)?;
        diesel::update(outbox::table.filter(outbox::id.eq_any(&mine)))
            .set(outbox::lease_until.eq(until))
            .execute(conn)?;
        Ok(mine)
    })
}

/// Gives back claimed rows the caller will not send (it is stopping): due again at once
/// for another worker, and the claim does not count as an attempt.
pub fn release(conn: &mut DbConn, ids: &[OutboxId], held: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::lease_until.eq(held))
            .filter(outbox::status.eq(MailStatus::Pending)),
    )
    .set((
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::attempts.eq(outbox::attempts - 1),
    ))
    .execute(conn)
}

/// The `mark_*` functions change a row only while the caller's lease on it holds: a
/// worker whose lease ran out never overwrites a row another worker has claimed since.
/// They return whether the row was still the caller's.
///
/// A sent mail keeps no body: a receipt's body holds a tracking link, and the database
/// keeps only digests of those. (Dead mail keeps its body, for a supervisor to resend.)
pub fn mark_sent(
    conn: &mut DbConn,
    id: OutboxId,
    lease: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::lease_until.eq(lease)),
    )
    .set((
        outbox::status.eq(MailStatus::Sent),
        outbox::sent_at.eq(now),
        outbox::body_text.eq(""),
        outbox::body_html.eq(""),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(None::<String>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// A transient failure: try again at `next`.
pub fn mark_retry(
    conn: &mut DbConn,
    id: OutboxId,
    lease: NaiveDateTime,
    next: NaiveDateTime,
    error: &str,
) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::lease_until.eq(lease)),
    )
    .set((
        outbox::next_attempt_at.eq(next),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(clip(error)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// A permanent failure, or too many attempts: kept for a supervisor to see.
pub fn mark_dead(
    conn: &mut DbConn,
    id: OutboxId,
    lease: NaiveDateTime,
    error: &str,
) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::lease_until.eq(lease)),
    )
    .set((
        outbox::status.eq(MailStatus::Dead),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(clip(error)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// The case a mail reports on, if any.
pub fn case_of(conn: &mut DbConn, id: OutboxId) -> QueryResult<Option<CaseId>> {
    outbox::table
        .find(id)
        .select(outbox::case_id)
        .first::<Option<CaseId>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Dead mail, newest first, with the case number when the mail concerns a case.
pub fn list_dead(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<DeadMail>> {
    outbox::table
        .left_join(cases::table)
        .filter(outbox::status.eq(MailStatus::Dead))
        .order(outbox::id.desc())
        .limit(limit)
        .select((
            outbox::id,
            outbox::message,
            outbox::recipient,
            outbox::case_id,
            cases::case_number.nullable(),
            outbox::attempts,
            outbox::last_error,
            outbox::created_at,
        ))
        .load(conn)
}

/// Dead → pending, due now, attempts from zero. `false` when the row is not dead
/// (unknown, already resent, or sent).
pub fn resend(conn: &mut DbConn, id: OutboxId, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq(MailStatus::Dead)),
    )
    .set((
        outbox::status.eq(MailStatus::Pending),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Deletes sent mail sent before `before`; returns how many rows went.
pub fn delete_sent_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        outbox::table
            .filter(outbox::status.eq(MailStatus::Sent))
            .filter(outbox::sent_at.lt(before)),
    )
    .execute(conn)
}

fn clip(error: &str) -> String {
    error.chars().take(ERROR_MAX_CHARS).collect()
}
