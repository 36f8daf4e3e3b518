//! A filing's statements, shaped for few round trips: what a new filing must know before
//! it writes comes back from one query, and on PostgreSQL what it writes goes in as one
//! statement. Each PostgreSQL round trip is a hand-off between two processes.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};

use super::cases::NewCase;
use super::events::NewEvent;
use super::outbox::NewMail;
use super::schema::{self, calendar_years, pending_files, quota_slots};
use super::{DbConn, events, outbox, quota, receipt_slots, stats};
use crate::domain::ids::CaseId;
use crate::domain::timeline::EventKind;

/// What the checks look up: the form, the transaction, the mailbox's day and the
/// person's year.
pub struct Lookup<'a> {
    pub submission_key_hash: &'a str,
    pub transaction_id: &'a str,
    pub mailbox: &'a str,
    pub day: NaiveDate,
    pub wechat_id: &'a str,
    pub year: i32,
    pub now: NaiveDateTime,
}

/// What a new filing must know before it writes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Checks {
    /// The fingerprint of the case this form has already filed.
    pub earlier: Option<String>,
    pub transaction_id_taken: bool,
    /// The mailbox's receipt slots taken that day.
    pub receipt_slots: Vec<i32>,
    /// The person's quota slots taken that year.
    pub quota_slots: Vec<i32>,
    /// Files kept for this form from a refused attempt.
    pub pending_files: bool,
    /// Each loaded year of the official calendar, with when it was loaded: every change
    /// to the calendar (`calendar::replace_year`) changes this.
    pub calendar_stamp: Vec<(i32, NaiveDateTime)>,
}

// What each row of the union answers.
const EARLIER: i32 = 0;
const TRANSACTION: i32 = 1;
const RECEIPT: i32 = 2;
const QUOTA: i32 = 3;
const PENDING: i32 = 4;
const CALENDAR: i32 = 5;

/// The checks, in one query: a union of (what, number, fingerprint, time) rows, each
/// part an index lookup or the calendar's few years.
pub fn checks(conn: &mut DbConn, at: &Lookup<'_>) -> QueryResult<Checks> {
    let no_text = || None::<String>.into_sql::<Nullable<Text>>();
    let no_time = || None::<NaiveDateTime>.into_sql::<Nullable<Timestamp>>();
    let what = |w: i32| w.into_sql::<Integer>();
    use schema::{cases, receipt_slots};
    let earlier = cases::table
        .filter(cases::submission_key_hash.eq(at.submission_key_hash))
        .select((
            what(EARLIER),
            what(0),
            cases::submission_fingerprint.nullable(),
            no_time(),
        ));
    let transaction = cases::table
        .filter(cases::transaction_id.eq(at.transaction_id))
        .select((what(TRANSACTION), what(0), no_text(), no_time()));
    let receipt = receipt_slots::table
        .filter(receipt_slots::mailbox.eq(at.mailbox))
        .filter(receipt_slots::day.eq(at.day))
        .select((what(RECEIPT), receipt_slots::slot, no_text(), no_time()));
    let quota = quota_slots::table
        .filter(quota_slots::wechat_id.eq(at.wechat_id))
        .filter(quota_slots::year.eq(at.year))
        .select((what(QUOTA), quota_slots::slot, no_text(), no_time()));
    let pending = pending_files::table
        .filter(pending_files::form_key_hash.eq(at.submission_key_hash))
        .filter(pending_files::expires_at.gt(at.now))
        .select((what(PENDING), what(0), no_text(), no_time()));
    let calendar = calendar_years::table.select((
        what(CALENDAR),
        calendar_years::year,
        no_text(),
        calendar_years::loaded_at.nullable(),
    ));
    let query = earlier
        .union_all(transaction)
        .union_all(receipt)
        .union_all(quota)
        .union_all(pending)
        .union_all(calendar);
    type Row = (i32, i32, Option<String>, Option<NaiveDateTime>);
    let rows: Vec<Row> = on_backend!(conn, |c| query.load(c))?;
    let mut checks = Checks::default();
    for (kind, number, fingerprint, time) in rows {
        match kind {
            EARLIER => checks.earlier = fingerprint,
            TRANSACTION => checks.transaction_id_taken = true,
            RECEIPT => checks.receipt_slots.push(number),
            QUOTA => checks.quota_slots.push(number),
            PENDING => checks.pending_files = true,
            _ => checks
                .calendar_stamp
                .extend(time.map(|loaded_at| (number, loaded_at))),
        }
    }
    // Union rows come in no promised order.
    checks.calendar_stamp.sort_unstable();
    Ok(checks)
}

/// The slots a new case takes, and what its filing writes beside it.
pub struct Filed<'a> {
    pub case: &'a NewCase<'a>,
    pub quota_slot: i32,
    pub mailbox: &'a str,
    pub receipt_slot: i32,
    /// The timeline's first entry, by the appellant.
    pub event_kind: EventKind,
    /// The receipt, when it could be rendered before the case existed (no files to
    /// name); its `case_id` is the new case's.
    pub mail: Option<&'a NewMail<'a>>,
}

/// Writes the case, its quota and receipt slots, its first timeline entry, the
/// dashboard's counters and the receipt. A slot taken concurrently fails the whole
/// write with a unique violation.
pub fn insert(conn: &mut DbConn, filed: &Filed<'_>) -> QueryResult<CaseId> {
    let case = filed.case;
    match conn {
        DbConn::Postgres(c) => {
            let id = insert_at_once(c, filed)?;
            // The statement wrote the first timeline entry itself: its webhook goes here.
            super::webhooks::queue_event(conn, id, filed.event_kind, case.filed_at)?;
            Ok(id)
        }
        // In-process, where a statement costs no round trip (and SQLite has no
        // data-modifying WITH): one statement each.
        DbConn::Sqlite(c) => {
            let id = diesel::insert_into(schema::cases::table)
                .values(case)
                .returning(schema::cases::id)
                .get_result(c)?;
            stats::count_entry(
                conn,
                id,
                case.status,
                case.packet_kind,
                case.filed_on,
                (case.review_target, case.review_deadline),
            )?;
            quota::take(conn, case.wechat_id, case.quota_year, filed.quota_slot, id)?;
            receipt_slots::take(conn, filed.mailbox, case.filed_on, filed.receipt_slot, id)?;
            events::append(conn, &first_event(id, filed))?;
            if let Some(mail) = filed.mail {
                outbox::enqueue(
                    conn,
                    &NewMail {
                        case_id: Some(id),
                        ..*mail
                    },
                )?;
            }
            Ok(id)
        }
    }
}

fn first_event<'a>(case_id: CaseId, filed: &Filed<'a>) -> NewEvent<'a> {
    NewEvent {
        case_id,
        at: filed.case.filed_at,
        actor: "appellant",
        kind: filed.event_kind,
        from_status: None,
        to_status: Some(filed.case.status),
        note: None,
        agent_id: None,
    }
}

/// PostgreSQL: the same rows as SQLite's statements, in one statement.
fn insert_at_once(c: &mut PgConnection, filed: &Filed<'_>) -> QueryResult<CaseId> {
    use diesel::sql_types::{BigInt, Bool, Date};
    const SQL: &str = "\
WITH c AS (
    INSERT INTO cases (case_number, status, tracking_token_hash, submission_key_hash,
        submission_fingerprint, lang, wechat_id, email, packet_kind, amount_fen, sent_at,
        transaction_id, counterparty_phone_suffix, card_last4, account, filed_at, filed_on,
        review_target, review_deadline, updated_at, quota_year, client_addr)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
        $18, $19, $20, $21, $22)
    RETURNING id
), quota AS (
    INSERT INTO quota_slots (wechat_id, year, slot, case_id) SELECT $7, $21, $23, id FROM c
), receipt AS (
    INSERT INTO receipt_slots (mailbox, day, slot, case_id) SELECT $24, $17, $25, id FROM c
), filed AS (
    INSERT INTO case_events (case_id, at, actor, kind, to_status)
    SELECT id, $16, $26, $27, $2 FROM c
), counted AS (
    INSERT INTO daily_counts (status, day, packet_kind, shard, entered, within_target,
        within_deadline)
    SELECT $2, $17, $9, (id % $28)::integer, 1, $29, $30 FROM c
    ON CONFLICT (status, day, packet_kind, shard) DO UPDATE SET
        entered = daily_counts.entered + excluded.entered,
        within_target = daily_counts.within_target + excluded.within_target,
        within_deadline = daily_counts.within_deadline + excluded.within_deadline
), mail AS (
    INSERT INTO outbox (message, recipient, lang, subject, body_text, body_html, case_id,
        created_at, next_attempt_at)
    SELECT $31, $32, $33, $34, $35, $36, id, $37, $37 FROM c WHERE $38
)
SELECT id FROM c";

    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: CaseId,
    }
    let case = filed.case;
    let event = first_event(CaseId::new(0), filed);
    let (within_target, within_deadline) =
        stats::within(case.filed_on, (case.review_target, case.review_deadline));
    let mail = filed.mail;
    let row: Id = diesel::sql_query(SQL)
        .bind::<Text, _>(case.case_number)
        .bind::<Text, _>(case.status)
        .bind::<Text, _>(case.tracking_token_hash)
        .bind::<Text, _>(case.submission_key_hash)
        .bind::<Text, _>(case.submission_fingerprint)
        .bind::<Text, _>(case.lang)
        .bind::<Text, _>(case.wechat_id)
        .bind::<Text, _>(case.email)
        .bind::<Text, _>(case.packet_kind)
        .bind::<BigInt, _>(case.amount_fen)
        .bind::<Timestamp, _>(case.sent_at)
        .bind::<Text, _>(case.transaction_id)
        .bind::<Text, _>(case.counterparty_phone_suffix)
        .bind::<Text, _>(case.card_last4)
        .bind::<Text, _>(case.account)
        .bind::<Timestamp, _>(case.filed_at)
        .bind::<Date, _>(case.filed_on)
        .bind::<Date, _>(case.review_target)
        .bind::<Date, _>(case.review_deadline)
        .bind::<Timestamp, _>(case.updated_at)
        .bind::<Integer, _>(case.quota_year)
        .bind::<Nullable<Text>, _>(case.client_addr)
        .bind::<Integer, _>(filed.quota_slot)
        .bind::<Text, _>(filed.mailbox)
        .bind::<Integer, _>(filed.receipt_slot)
        .bind::<Text, _>(event.actor)
        .bind::<Text, _>(event.kind)
        .bind::<BigInt, _>(stats::SHARDS)
        .bind::<Integer, _>(within_target)
        .bind::<Integer, _>(within_deadline)
        .bind::<Text, _>(mail.map_or("", |m| m.message))
        .bind::<Text, _>(mail.map_or("", |m| m.recipient))
        .bind::<Text, _>(mail.map_or(case.lang, |m| m.lang))
        .bind::<Text, _>(mail.map_or("", |m| m.subject))
        .bind::<Text, _>(mail.map_or("", |m| m.body_text))
        .bind::<Text, _>(mail.map_or("", |m| m.body_html))
        .bind::<Timestamp, _>(mail.map_or(case.filed_at, |m| m.created_at))
        .bind::<Bool, _>(mail.is_some())
        .get_result(c)?;
    Ok(row.id)
}
