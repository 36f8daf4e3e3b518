//! Dates counted in working days of China's official calendar, as loaded in the database.

use chrono::{Days, NaiveDate};

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::calendar::{Arrangements, ReviewDates, WorkingCalendar};
use crate::domain::policy;

/// Seven working days never span more than about four weeks, even across Spring Festival.
const HORIZON: Days = Days::new(90);

/// Target and deadline of a case filed on that local date, and which years are loaded (a
/// date in another year is provisional).
pub fn review_dates(
    conn: &mut DbConn,
    filed_on: NaiveDate,
) -> Result<(ReviewDates, Arrangements), Failure> {
    let calendar = load(conn, filed_on, policy::REVIEW_DEADLINE_WORKING_DAYS)?;
    Ok((calendar.review_dates(filed_on), calendar.arrangements()))
}

/// A date counted in working days, and the years it crossed without an official
/// arrangement (counted with the statutory holidays alone: provisional).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub date: NaiveDate,
    pub provisional_years: Vec<i32>,
}

/// The `n`-th working day strictly after `from`.
pub fn due_date(conn: &mut DbConn, from: NaiveDate, n: u32) -> Result<Due, Failure> {
    let calendar = load(conn, from, n)?;
    let date = calendar.add_working_days(from, n);
    Ok(Due {
        date,
        provisional_years: calendar.unloaded_years(from, date),
    })
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
            "no official calendar loaded for these years: counting the statutory holidays alone"
        );
    }
    Ok(calendar)
}

/// The calendar from `from` over the next few months: enough for any review arithmetic.
pub fn calendar_from(conn: &mut DbConn, from: NaiveDate) -> Result<WorkingCalendar, Failure> {
    load(conn, from, 60)
}
