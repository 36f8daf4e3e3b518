//! Supervisors load or correct a year of the official calendar (published each November).

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::calendar::{CalendarCsvError, CalendarDay, parse_csv};
use crate::domain::text::{CaseTextError, has_control};
use crate::domain::{Lang, Refusal};

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

impl Refusal for LoadRefused {
    fn message(&self, lang: Lang) -> String {
        match self {
            LoadRefused::BadYear => lang
                .t("请填写年份，如 2027。", "Enter a year, such as 2027.")
                .to_owned(),
            LoadRefused::Csv(e) => e.message(lang),
            LoadRefused::ControlCharacter => CaseTextError::ControlCharacter.message(lang),
            LoadRefused::OutsideYear { line } => match lang {
                Lang::Zh => format!("第 {line} 行的日期不在所填年份内。"),
                Lang::En => format!("Line {line} is dated outside the year entered."),
            },
        }
    }
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

/// Every loaded year with its exceptions, newest first.
pub fn loaded_years(conn: &mut DbConn) -> Result<Vec<(i32, Vec<CalendarDay>)>, Failure> {
    let mut years = Vec::new();
    for year in db::calendar::loaded_years(conn)?.into_iter().rev() {
        years.push((year, year_days(conn, year)?));
    }
    Ok(years)
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
