//! Supervisors load or correct a year of the official calendar (published each November).

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::Actor;
use crate::domain::calendar::{
    CalendarCsvError, CalendarDay, CalendarIcsError, ReviewDates, parse_csv, parse_ics,
};
use crate::domain::case_status::CaseStatus;
use crate::domain::review_clock::{self, Recomputed};
use crate::domain::text::{CaseTextError, has_control};
use crate::domain::timeline::EventKind;
use crate::domain::{Lang, Refusal, cst};
use crate::email::{self, DatesMoved, MailDate};
use crate::storage::Session;

/// A year's arrangement as a supervisor brings it.
#[derive(Clone, Copy, Debug)]
pub enum ArrangementFile<'a> {
    /// `date,kind,holiday_zh,holiday_en`, as shipped.
    Csv(&'a str),
    /// An iCalendar file of holidays and make-up days, as holiday calendars publish them;
    /// only its days of the year entered are taken.
    Ics(&'a str),
}

/// What loading a year did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The year's days off and make-up working days.
    pub days: usize,
    /// Open cases whose dates moved.
    pub recomputed: usize,
}

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
    Ics(CalendarIcsError),
    /// The iCalendar file has no day off or make-up day in the year entered.
    NoDaysInYear {
        year: i32,
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
            LoadRefused::Ics(e) => e.message(lang),
            LoadRefused::NoDaysInYear { year } => match lang {
                Lang::Zh => format!("文件中没有 {year} 年的放假日或调休上班日。"),
                Lang::En => format!("The file has no day off or make-up working day in {year}."),
            },
        }
    }
}

/// Replaces `year` with the days in `file`, then counts again the dates of every open case
/// the year can move (each move a timeline entry, and a mail when the deadline moves).
pub fn load_year(
    session: &mut Session<'_>,
    year: i32,
    file: ArrangementFile<'_>,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Result<Loaded, LoadRefused>, Failure> {
    if !(2000..=2100).contains(&year) {
        return Ok(Err(LoadRefused::BadYear));
    }
    let days = match file {
        ArrangementFile::Csv(csv) => {
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
            days
        }
        ArrangementFile::Ics(ics) => {
            let days: Vec<CalendarDay> = match parse_ics(ics) {
                Ok(days) => days.into_iter().filter(|d| d.date.year() == year).collect(),
                Err(e) => return Ok(Err(LoadRefused::Ics(e))),
            };
            if days.is_empty() {
                return Ok(Err(LoadRefused::NoDaysInYear { year }));
            }
            days
        }
    };
    let recomputed = session.write(|conn| {
        db::calendar::replace_year(conn, year, &days, source, now.naive_utc())?;
        // The new stamp tells every instance; this one also forgets at once, for a
        // clock that gave the same `now` to two loads.
        super::working_days::forget_review_dates();
        recompute_open_cases(conn, year, now)
    })?;
    Ok(Ok(Loaded {
        days: days.len(),
        recomputed,
    }))
}

/// Counts again, with the calendar as it now stands, the dates of the open cases that
/// `year` can move; returns how many moved. Run in the transaction that changed the year.
fn recompute_open_cases(
    conn: &mut DbConn,
    year: i32,
    now: DateTime<Utc>,
) -> Result<usize, Failure> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    let mut moved = 0;
    for case in db::cases::open_touching(conn, first, last)? {
        let events = db::events::for_case(conn, case.id)?;
        // Every wait for the appellant, as (asked on, answered on), in order.
        let mut waits = Vec::new();
        let mut asked = None;
        for event in &events {
            let on = cst::local_date(event.at.and_utc());
            match event.kind {
                EventKind::EvidenceRequested => asked = Some(on),
                EventKind::AppellantReplied => {
                    if let Some(asked) = asked.take() {
                        waits.push((asked, on));
                    }
                }
                _ => {}
            }
        }
        // Wide enough for every wait and the longest holiday after the last date.
        let until = [
            case.review_deadline,
            case.reply_due.unwrap_or(case.review_deadline),
        ]
        .into_iter()
        .chain(waits.iter().map(|(_, answered)| *answered))
        .max()
        .unwrap_or(case.review_deadline)
        .checked_add_days(Days::new(120))
        .unwrap_or(NaiveDate::MAX);
        let calendar = db::calendar::working_calendar(conn, case.filed_on, until)?;
        let after = review_clock::replay(&calendar, case.filed_on, &waits);
        let reply_due = match (case.status, case.awaiting_since, case.reply_due) {
            (CaseStatus::AwaitingUser, Some(since), Some(due)) => {
                Some((due, review_clock::reply_due(&calendar, since)))
            }
            _ => None,
        };
        let before = ReviewDates {
            target: case.review_target,
            deadline: case.review_deadline,
        };
        let change = Recomputed::new(before, after, reply_due);
        if !change.changed() {
            continue;
        }
        moved += 1;
        db::cases::set_review_dates(
            conn,
            case.id,
            after.target,
            after.deadline,
            change.reply_due.map(|(_, new)| new),
        )?;
        super::timeline::record(
            conn,
            case.id,
            &Actor::System,
            change.kind(),
            Some(&change.note(case.lang, year)),
            now,
        )?;
        if change.deadline_moved() {
            let arrangements = calendar.arrangements();
            let lang = case.lang;
            let mail = DatesMoved {
                lang,
                case_number: case.case_number.clone(),
                year,
                old_deadline: MailDate::new(lang, before.deadline),
                review_target: MailDate::counted(lang, after.target, &arrangements),
                review_deadline: MailDate::counted(lang, after.deadline, &arrangements),
                earlier: change.moved_earlier(),
            };
            email::enqueue(conn, &mail, &case.email, Some(case.id), now).map_err(Failure::from)?;
        }
    }
    Ok(moved)
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
