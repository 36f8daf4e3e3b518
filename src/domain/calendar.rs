//! China's official working-day calendar: review deadlines count working days, and the State
//! Council moves them every year (holiday blocks, and weekend days made working days, 调休).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Included};
use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate, Weekday};

use super::{Lang, policy};

mod csv;
mod ics;
mod statutory;
#[cfg(test)]
mod tests;

pub use csv::{CalendarCsvError, parse_csv};
pub use ics::{CalendarIcsError, parse_ics};
pub use statutory::statutory_days;

/// What a date counted in a year without a loaded arrangement carries wherever it is shown.
pub fn provisional_note(lang: Lang) -> &'static str {
    lang.t(
        "暂定：明年的官方放假安排尚未公布",
        "provisional: next year's official arrangement is not yet published",
    )
}

/// The years whose official arrangement is loaded: a date in any other year was counted with
/// the statutory holidays alone, and is provisional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Arrangements {
    loaded: BTreeSet<i32>,
}

impl Arrangements {
    pub fn new(loaded: impl IntoIterator<Item = i32>) -> Self {
        Self {
            loaded: loaded.into_iter().collect(),
        }
    }

    pub fn is_provisional(&self, d: NaiveDate) -> bool {
        !self.loaded.contains(&d.year())
    }

    /// The note to show next to `d`, when it is provisional.
    pub fn note(&self, lang: Lang, d: NaiveDate) -> Option<&'static str> {
        self.is_provisional(d).then(|| provisional_note(lang))
    }
}

/// How a date departs from "Monday to Friday work, Saturday and Sunday off".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    DayOff,
    WorkingDay,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::DayOff => "day_off",
            DayKind::WorkingDay => "working_day",
        }
    }
}

impl super::stored::Stored for DayKind {
    const WHAT: &'static str = "calendar day kind";
    const ALL: &'static [Self] = &[DayKind::DayOff, DayKind::WorkingDay];

    fn stored(self) -> &'static str {
        self.as_str()
    }
}

/// One official exception, named after the holiday it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name_zh: String,
    pub name_en: String,
}

/// When a filed appeal should be reviewed, and when it must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReviewDates {
    pub target: NaiveDate,
    pub deadline: NaiveDate,
}

/// The official exceptions for the years loaded; other years fall back to Monday–Friday.
#[derive(Clone, Debug, Default)]
pub struct WorkingCalendar {
    days: BTreeMap<NaiveDate, CalendarDay>,
    loaded_years: BTreeSet<i32>,
}

impl WorkingCalendar {
    /// `loaded_years` are the years whose official notice `days` holds in full; a later day for
    /// the same date replaces an earlier one.
    pub fn new(
        days: impl IntoIterator<Item = CalendarDay>,
        loaded_years: impl IntoIterator<Item = i32>,
    ) -> WorkingCalendar {
        WorkingCalendar {
            days: days.into_iter().map(|day| (day.date, day)).collect(),
            loaded_years: loaded_years.into_iter().collect(),
        }
    }

    /// Adds, for each year of `years` without a loaded arrangement, the statutory holidays:
    /// weekdays among them are days off, make-up working days stay unknown (provisional).
    pub fn with_statutory(mut self, years: RangeInclusive<i32>) -> WorkingCalendar {
        for year in years.filter(|y| !self.loaded_years.contains(y)) {
            for day in statutory_days(year).iter() {
                self.days.entry(day.date).or_insert_with(|| day.clone());
            }
        }
        self
    }

    pub fn arrangements(&self) -> Arrangements {
        Arrangements {
            loaded: self.loaded_years.clone(),
        }
    }

    pub fn is_provisional(&self, d: NaiveDate) -> bool {
        !self.loaded_years.contains(&d.year())
    }

    /// The official exception on this date, if any (to show the holiday's name).
    pub fn exception(&self, d: NaiveDate) -> Option<&CalendarDay> {
        self.days.get(&d)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(day) => day.kind == DayKind::WorkingDay,
            None => is_weekday(d),
        }
    }

    /// The n-th working day strictly after `from`; `from` itself when n is 0.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut counted = 0;
        while counted < n {
            // Past the end of chrono's range there is nothing left to count; saturate.
            let Some(next) = day.succ_opt() else {
                return NaiveDate::MAX;
            };
            day = next;
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        day
    }

    /// Working days in (from, to]: "working days left" until a deadline. Negative when `to` is
    /// before `from`: minus the working days in (to, from].
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let mut count = weekdays_up_to(to) - weekdays_up_to(from);
        for day in self
            .days
            .range((Excluded(from), Included(to)))
            .map(|(_, day)| day)
        {
            match (day.kind, is_weekday(day.date)) {
                (DayKind::WorkingDay, false) => count += 1,
                (DayKind::DayOff, true) => count -= 1,
                _ => {}
            }
        }
        count
    }

    /// Years touched by [from, to] with no official calendar loaded, counted with the statutory
    /// holidays alone (provisional): callers warn about them.
    pub fn unloaded_years(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        let (first, last) = if from <= to { (from, to) } else { (to, from) };
        (first.year()..=last.year())
            .filter(|year| !self.loaded_years.contains(year))
            .collect()
    }

    pub fn review_dates(&self, filed_on: NaiveDate) -> ReviewDates {
        ReviewDates {
            target: self.add_working_days(filed_on, policy::REVIEW_TARGET_WORKING_DAYS),
            deadline: self.add_working_days(filed_on, policy::REVIEW_DEADLINE_WORKING_DAYS),
        }
    }
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Mondays to Fridays from a fixed Monday far in the past up to `d`, counted in O(1) so that
/// working_days_between costs only the exceptions in range.
fn weekdays_up_to(d: NaiveDate) -> i64 {
    let day_number = i64::from(d.num_days_from_ce());
    let since_monday = i64::from(d.weekday().num_days_from_monday());
    let whole_weeks = (day_number - since_monday).div_euclid(7);
    whole_weeks * 5 + (since_monday + 1).min(5)
}
