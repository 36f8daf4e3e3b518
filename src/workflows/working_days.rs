//! Dates counted in working days of China's official calendar, as loaded in the database.

use chrono::{Days, NaiveDate};

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::calendar::{ReviewDates, WorkingCalendar};
use crate::domain::policy;

/// Seven working days never span more than about four weeks, even across Spring Festival.
const HORIZON: Days = Days::new(90);

/// Target and deadline of a case filed on that local date.
pub fn review_dates(conn: &mut DbConn, filed_on: NaiveDate) -> Result<ReviewDates, Failure> {
    let calendar = load(conn, filed_on, policy::REVIEW_DEADLINE_WORKING_DAYS)?;
    Ok(calendar.review_dates(filed_on))
}

/// The `n`-th working day strictly after `from`.
pub fn due_date(conn: &mut DbConn, from: NaiveDate, n: u32) -> Result<NaiveDate, Failure> {
    Ok(load(conn, from, n)?.add_working_days(from, n))
}

fn load(conn: &mut DbConn, from: NaiveDate, n: u32) -> Result<WorkingCalendar, Failure> {
    // Two calendar weeks per five working days, plus room for the longest holiday.
    let span = Days::new(u64::from(n) * 2 + 30).max(HORIZON);
    let until = from.checked_add_days(span).unwrap_or(NaiveDate::MAX);
    let calendar = db::calendar::working_calendar(conn, from, until)?;
    let due = calendar.add_working_days(from, n);
    let missing = calendar.unloaded_years(from, due);
    if !missing.is_empty() {
        tracing::warn!(
            ?missing,
            "no official calendar loaded for these years: counting Monday to Friday"
        );
    }
    Ok(calendar)
}

/// The calendar from `from` over the next few months: enough for any review arithmetic.
pub fn calendar_from(conn: &mut DbConn, from: NaiveDate) -> Result<WorkingCalendar, Failure> {
    load(conn, from, 60)
}
