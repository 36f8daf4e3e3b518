use diesel::prelude::*;

use super::DbConn;
use super::schema::quota_slots;
use crate::domain::ids::CaseId;

/// The slots this person already holds in that year.
pub fn taken_slots(conn: &mut DbConn, wechat_id: &str, year: i32) -> QueryResult<Vec<i32>> {
    let query = quota_slots::table
        .filter(quota_slots::wechat_id.eq(wechat_id))
        .filter(quota_slots::year.eq(year))
        .select(quota_slots::slot);
    on_backend!(conn, |c| query.load(c))
}

/// Takes a slot. The primary key (wechat_id, year, slot) refuses a slot taken
/// concurrently with a unique violation: the quota holds without a count-then-insert race.
pub fn take(
    conn: &mut DbConn,
    wechat_id: &str,
    year: i32,
    slot: i32,
    case_id: CaseId,
) -> QueryResult<()> {
    let insert = diesel::insert_into(quota_slots::table).values((
        quota_slots::wechat_id.eq(wechat_id),
        quota_slots::year.eq(year),
        quota_slots::slot.eq(slot),
        quota_slots::case_id.eq(case_id),
    ));
    on_backend!(conn, |c| insert.execute(c)).map(drop)
}

/// A voided filing gives its slot back.
pub fn release(conn: &mut DbConn, case_id: CaseId) -> QueryResult<usize> {
    diesel::delete(quota_slots::table.filter(quota_slots::case_id.eq(case_id))).execute(conn)
}
