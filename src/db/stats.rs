//! Figures for the supervisor dashboard. Each is one indexed aggregate.

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{agents, cases, digest_runs};
use crate::domain::case_status::CaseStatus;

pub fn open_by_status(
    conn: &mut DbConn,
    open: &[CaseStatus],
) -> QueryResult<Vec<(CaseStatus, i64)>> {
    cases::table
        .filter(cases::status.eq_any(open.to_vec()))
        .group_by(cases::status)
        .select((cases::status, count_star()))
        .load(conn)
}

pub fn open_due(
    conn: &mut DbConn,
    open: &[CaseStatus],
    today: NaiveDate,
) -> QueryResult<(i64, i64)> {
    let due_today = cases::table
        .filter(cases::status.eq_any(open.to_vec()))
        .filter(cases::review_deadline.eq(today))
        .count()
        .get_result(conn)?;
    let overdue = cases::table
        .filter(cases::status.eq_any(open.to_vec()))
        .filter(cases::review_deadline.lt(today))
        .count()
        .get_result(conn)?;
    Ok((due_today, overdue))
}

/// Decisions taken since `from`: (all, within target, within deadline).
pub fn decided_within(conn: &mut DbConn, from: NaiveDate) -> QueryResult<(i64, i64, i64)> {
    let decided = cases::table.filter(cases::decided_on.ge(from));
    let all = decided.count().get_result(conn)?;
    let on_target = decided
        .filter(cases::decided_on.le(cases::review_target.nullable()))
        .count()
        .get_result(conn)?;
    let on_deadline = decided
        .filter(cases::decided_on.le(cases::review_deadline.nullable()))
        .count()
        .get_result(conn)?;
    Ok((all, on_target, on_deadline))
}

pub fn filings_per_day(conn: &mut DbConn, from: NaiveDate) -> QueryResult<Vec<(NaiveDate, i64)>> {
    cases::table
        .filter(cases::filed_on.ge(from))
        .group_by(cases::filed_on)
        .select((cases::filed_on, count_star()))
        .order(cases::filed_on)
        .load(conn)
}

/// Open cases per agent (disabled accounts included while they still hold cases).
pub fn workload(conn: &mut DbConn, open: &[CaseStatus]) -> QueryResult<Vec<(String, i64)>> {
    cases::table
        .inner_join(agents::table)
        .filter(cases::status.eq_any(open.to_vec()))
        .group_by((agents::id, agents::name))
        .select((agents::name, count_star()))
        .order(agents::name)
        .load(conn)
}

pub fn unassigned_open(conn: &mut DbConn, open: &[CaseStatus]) -> QueryResult<i64> {
    cases::table
        .filter(cases::status.eq_any(open.to_vec()))
        .filter(cases::assignee_id.is_null())
        .count()
        .get_result(conn)
}

/// Open cases due in `from..=to`: (number, deadline, assignee), by deadline.
pub fn open_due_list(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<(String, NaiveDate, Option<String>)>> {
    cases::table
        .left_join(agents::table)
        .filter(cases::open_deadline.between(from, to))
        .select((
            cases::case_number,
            cases::review_deadline,
            agents::name.nullable(),
        ))
        .order((cases::open_deadline.asc(), cases::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Claims the day's digest: false when another instance sent it already.
pub fn claim_digest(
    conn: &mut DbConn,
    day: NaiveDate,
    now: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    match diesel::insert_into(digest_runs::table)
        .values((digest_runs::day.eq(day), digest_runs::sent_at.eq(now)))
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
