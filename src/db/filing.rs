//! A filing's statements: what a new filing must know before it writes comes back from
//! one query (each PostgreSQL round trip is a hand-off between two processes), and what
//! it writes is typed statements both backends share.

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
/// dashboard's counters and the receipt: typed statements, the same on both backends, so
/// a column added to `NewCase` reaches both. A slot taken concurrently fails the whole
/// write with a unique violation.
pub fn insert(conn: &mut DbConn, filed: &Filed<'_>) -> QueryResult<CaseId> {
    let case = filed.case;
    let insert = diesel::insert_into(schema::cases::table)
        .values(case)
        .returning(schema::cases::id);
    let id = on_backend!(conn, |c| insert.get_result(c))?;
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
