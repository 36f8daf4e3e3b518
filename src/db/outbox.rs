//! The outbox: mail written in the transaction of the change that causes it, then
//! claimed by workers under a lease, so that one row is sent by one worker at a time
//! and a crashed worker's rows are taken up again once its lease runs out.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::leased::Outcome;
use super::schema::{cases, outbox};
use crate::domain::Lang;
use crate::domain::ids::{CaseId, OutboxId};
use crate::domain::mail_status::MailStatus;

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

leased_queue! {
    queue: MailQueue,
    table: outbox,
    id: OutboxId,
    row: MailRow,
    status: MailStatus { pending: Pending, done: Sent, dead: Dead },
    // A sent mail keeps no body: a receipt's body holds a tracking link, and the
    // database keeps only digests of those. (Dead mail keeps its body, for a supervisor
    // to resend.)
    done: |now| (
        outbox::sent_at.eq(now),
        outbox::body_text.eq(""),
        outbox::body_html.eq(""),
    ),
}

pub use super::leased::lease_end;

/// The outcomes below change a row only while the caller's lease on it holds (`mark`);
/// they return whether the row was still the caller's.
pub fn mark_sent(
    conn: &mut DbConn,
    id: OutboxId,
    lease: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    mark(conn, id, lease, now, &Outcome::Done { status: None })
}

/// A transient failure: try again at `next`.
pub fn mark_retry(
    conn: &mut DbConn,
    id: OutboxId,
    lease: NaiveDateTime,
    next: NaiveDateTime,
    error: &str,
) -> QueryResult<bool> {
    let outcome = Outcome::Retry {
        next,
        error: error.to_owned(),
        status: None,
    };
    mark(conn, id, lease, next, &outcome)
}

/// A permanent failure, or too many attempts: kept for a supervisor to see.
pub fn mark_dead(
    conn: &mut DbConn,
    id: OutboxId,
    lease: NaiveDateTime,
    error: &str,
) -> QueryResult<bool> {
    let outcome = Outcome::Dead {
        error: error.to_owned(),
        status: None,
    };
    mark(conn, id, lease, lease, &outcome)
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
    revive(conn, id, now)
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
