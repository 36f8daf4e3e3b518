//! The figures `/metrics` reads at each scrape: four counts, each over an index
//! (`cases_by_status`, `outbox_due`), so a scrape costs the same at any size of queue.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::schema::{cases, outbox};
use crate::domain::case_status::CaseStatus;
use crate::domain::mail_status::MailStatus;

/// (open cases, open cases past their review deadline).
pub fn open_cases(conn: &mut DbConn, today: NaiveDate) -> QueryResult<(i64, i64)> {
    let open = CaseStatus::OPEN.to_vec();
    let all = cases::table
        .filter(cases::status.eq_any(open.clone()))
        .count()
        .get_result(conn)?;
    let overdue = cases::table
        .filter(cases::status.eq_any(open))
        .filter(cases::review_deadline.lt(today))
        .count()
        .get_result(conn)?;
    Ok((all, overdue))
}

/// (mail due now, dead mail).
pub fn outbox(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<(i64, i64)> {
    let due = outbox::table
        .filter(outbox::status.eq(MailStatus::Pending))
        .filter(outbox::next_attempt_at.le(now))
        .count()
        .get_result(conn)?;
    let dead = outbox::table
        .filter(outbox::status.eq(MailStatus::Dead))
        .count()
        .get_result(conn)?;
    Ok((due, dead))
}
