//! Dates counted in working days of China's official calendar, as loaded in the database.

use std::sync::Mutex;

use chrono::{Days, NaiveDate, NaiveDateTime};

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::calendar::{Arrangements, ReviewDates, WorkingCalendar};
use crate::domain::policy;

/// Seven working days never span more than about four weeks, even across Spring Festival.
const HORIZON: Days = Days::new(90);

/// The calendar's stamp (`db::filing::Checks::calendar_stamp`) with the review dates it
/// gave for one filing day: every filing of a day has the same dates.
type Remembered = (
    Vec<(i32, NaiveDateTime)>,
    NaiveDate,
    ReviewDates,
    Arrangements,
);
static REVIEW_DATES: Mutex<Option<Remembered>> = Mutex::new(None);

/// Target and deadline of a case filed on that local date, and which years are loaded (a
/// date in another year is provisional). Remembered for the filing day while the
/// calendar's stamp, read in the caller's transaction, is unchanged: a calendar loaded on
/// any instance changes it.
pub fn review_dates(
    conn: &mut DbConn,
    filed_on: NaiveDate,
    stamp: &[(i32, NaiveDateTime)],
) -> Result<(ReviewDates, Arrangements), Failure> {
    let remembered = |r: &Option<Remembered>| {
        r.as_ref()
            .filter(|(s, day, _, _)| s == stamp && *day == filed_on)
            .map(|(_, _, dates, arrangements)| (*dates, arrangements.clone()))
    };
    if let Some(found) = remembered(&REVIEW_DATES.lock().unwrap_or_else(|e| e.into_inner())) {
        return Ok(found);
    }
    let calendar = load(conn, filed_on, policy::REVIEW_DEADLINE_WORKING_DAYS)?;
    let (dates, arrangements) = (calendar.review_dates(filed_on), calendar.arrangements());
    *REVIEW_DATES.lock().unwrap_or_else(|e| e.into_inner()) =
        Some((stamp.to_vec(), filed_on, dates, arrangements.clone()));
    Ok((dates, arrangements))
}

/// Drops the remembered review dates (a calendar was loaded here).
pub(super) fn forget_review_dates() {
    *REVIEW_DATES.lock().unwrap_or_else(|e| e.into_inner()) = None;
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
