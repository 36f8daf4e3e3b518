//! Supervisors load or correct a year of the official calendar (published each November).

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::calendar::{CalendarCsvError, CalendarDay, parse_csv};
use crate::domain::text::has_control;

#[derive(Debug)]
pub enum LoadRefused {
    /// Not a year this product can mean.
    BadYear,
    Csv(CalendarCsvError),
    /// Invisible characters pasted along (only line breaks and tabs belong in a CSV).
    ControlCharacter,
    /// A row dated outside the year being loaded (its line number).
    OutsideYear {
        line: usize,
    },
}

/// Replaces `year` with the days in `csv` (same format as the shipped file).
pub fn load_year(
    conn: &mut DbConn,
    year: i32,
    csv: &str,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Result<usize, LoadRefused>, Failure> {
    if !(2000..=2100).contains(&year) {
        return Ok(Err(LoadRefused::BadYear));
    }
    if has_control(csv) {
        return Ok(Err(LoadRefused::ControlCharacter));
    }
    let days = match parse_csv(csv) {
        Ok(days) => days,
        Err(e) => return Ok(Err(LoadRefused::Csv(e))),
    };
    if let Some(i) = days.iter().position(|d| d.date.year() != year) {
        // Line 1 is the header.
        return Ok(Err(LoadRefused::OutsideYear { line: i + 2 }));
    }
    db::write_tx(conn, |conn| {
        db::calendar::replace_year(conn, year, &days, source, now.naive_utc())
    })?;
    Ok(Ok(days.len()))
}

/// A loaded year's exceptions, for display.
pub fn year_days(conn: &mut DbConn, year: i32) -> Result<Vec<CalendarDay>, Failure> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    let calendar = db::calendar::working_calendar(conn, first, last)?;
    Ok(first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter_map(|d| calendar.exception(d).cloned())
        .collect())
}
