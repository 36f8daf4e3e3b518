//! Receipt mails per mailbox and China-local day, as slots: like the quota, the primary
//! key (mailbox, day, slot) makes a concurrent filing lose with a unique violation
//! instead of both counting the same free slot.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::DbConn;
use super::schema::receipt_slots;
use crate::domain::ids::CaseId;

pub fn taken(conn: &mut DbConn, mailbox: &str, day: NaiveDate) -> QueryResult<Vec<i32>> {
    let query = receipt_slots::table
        .filter(receipt_slots::mailbox.eq(mailbox))
        .filter(receipt_slots::day.eq(day))
        .select(receipt_slots::slot);
    on_backend!(conn, |c| query.load(c))
}

pub fn take(
    conn: &mut DbConn,
    mailbox: &str,
    day: NaiveDate,
    slot: i32,
    case_id: CaseId,
) -> QueryResult<()> {
    let insert = diesel::insert_into(receipt_slots::table).values((
        receipt_slots::mailbox.eq(mailbox),
        receipt_slots::day.eq(day),
        receipt_slots::slot.eq(slot),
        receipt_slots::case_id.eq(case_id),
    ));
    on_backend!(conn, |c| insert.execute(c)).map(drop)
}

/// Past days limit nothing.
pub fn delete_before(conn: &mut DbConn, day: NaiveDate) -> QueryResult<usize> {
    diesel::delete(receipt_slots::table.filter(receipt_slots::day.lt(day))).execute(conn)
}
