//! The arrangement as Chinese holiday calendars publish it for subscription: an iCalendar
//! file of all-day events, "元旦 休" for a day off and "春节 班" (补班, 上班) for a make-up
//! working day. Events that are neither (observances such as 教师节) are not days off.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Days, NaiveDate};
use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};

use super::{CalendarDay, DayKind};
use crate::domain::{Lang, Refusal, cst, policy};

/// The statutory holidays' names, to give an imported day its English name too.
const NAMES: [(&str, &str, &str); 7] = [
    ("元旦", "元旦", "New Year's Day"),
    ("春节", "春节", "Spring Festival"),
    ("清明", "清明节", "Qingming Festival"),
    ("劳动", "劳动节", "Labour Day"),
    ("端午", "端午节", "Dragon Boat Festival"),
    ("中秋", "中秋节", "Mid-Autumn Festival"),
    ("国庆", "国庆节", "National Day"),
];

/// No event lasts longer than the longest holiday block, with room to spare.
const LONGEST_EVENT_DAYS: u64 = 31;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalendarIcsError {
    /// Not an iCalendar file (the parser's words, for the supervisor).
    Unreadable(String),
    /// Components nested deeper than `policy::CALENDAR_ICS_MAX_NESTING`.
    TooDeep,
    /// An event without a start date, or ending before it starts (its summary).
    BadEvent(String),
    /// Days both off and working in the same file.
    Contradiction(Vec<NaiveDate>),
}

/// The days the file marks off or working, in date order. A day named twice the same way is
/// one day; a day both off and working refuses the file, naming every such date.
pub fn parse_ics(text: &str) -> Result<Vec<CalendarDay>, CalendarIcsError> {
    let text = text.trim_start_matches('\u{FEFF}');
    if nesting_depth(text) > policy::CALENDAR_ICS_MAX_NESTING {
        return Err(CalendarIcsError::TooDeep);
    }
    let calendar: Calendar = text
        .parse()
        .map_err(|e: String| CalendarIcsError::Unreadable(e.chars().take(200).collect()))?;
    let mut days: BTreeMap<NaiveDate, Vec<CalendarDay>> = BTreeMap::new();
    for component in &calendar.components {
        let CalendarComponent::Event(event) = component else {
            continue;
        };
        let summary = event.get_summary().unwrap_or_default().trim().to_owned();
        let Some(kind) = kind_of(&summary) else {
            continue;
        };
        let bad = || CalendarIcsError::BadEvent(summary.clone());
        let start = event.get_start().map(date_of).ok_or_else(bad)?;
        let end = match event.get_end().map(date_of) {
            // DTEND of an all-day event is the day after its last.
            Some(end) if end > start => end,
            Some(end) if end == start => start.succ_opt().ok_or_else(bad)?,
            Some(_) => return Err(bad()),
            None => start.succ_opt().ok_or_else(bad)?,
        };
        if end > start + Days::new(LONGEST_EVENT_DAYS) {
            return Err(bad());
        }
        let (name_zh, name_en) = names(&summary, kind);
        for date in start.iter_days().take_while(|d| *d < end) {
            days.entry(date).or_default().push(CalendarDay {
                date,
                kind,
                name_zh: name_zh.clone(),
                name_en: name_en.clone(),
            });
        }
    }
    let contradictions: Vec<NaiveDate> = days
        .iter()
        .filter(|(_, named)| named.iter().any(|d| d.kind != named[0].kind))
        .map(|(date, _)| *date)
        .collect();
    if !contradictions.is_empty() {
        return Err(CalendarIcsError::Contradiction(contradictions));
    }
    Ok(days
        .into_values()
        .filter_map(|named| named.into_iter().next())
        .collect())
}

/// How deep BEGIN/END blocks nest, counted on the unfolded lines (a folded "BEG\r\n IN:X"
/// is still a BEGIN), before the recursive parser sees the file.
fn nesting_depth(text: &str) -> usize {
    let unfolded = text
        .replace("\r\n ", "")
        .replace("\r\n\t", "")
        .replace("\n ", "")
        .replace("\n\t", "");
    let (mut depth, mut deepest) = (0usize, 0usize);
    for line in unfolded.lines() {
        let line = line.trim_start().to_ascii_uppercase();
        if line.starts_with("BEGIN:") {
            depth += 1;
            deepest = deepest.max(depth);
        } else if line.starts_with("END:") {
            depth = depth.saturating_sub(1);
        }
    }
    deepest
}

/// "班" (补班, 上班, 调休上班) is a make-up working day; "休" or "假" a day off.
fn kind_of(summary: &str) -> Option<DayKind> {
    if summary.contains('班') {
        Some(DayKind::WorkingDay)
    } else if summary.contains(['休', '假']) {
        Some(DayKind::DayOff)
    } else {
        None
    }
}

fn names(summary: &str, kind: DayKind) -> (String, String) {
    if let Some((_, zh, en)) = NAMES.iter().find(|(key, _, _)| summary.contains(key)) {
        return ((*zh).to_owned(), (*en).to_owned());
    }
    let mut bare = summary.to_owned();
    for marker in [
        "补班", "调休", "上班", "放假", "休息", "假期", "班", "休", "假",
    ] {
        bare = bare.replace(marker, "");
    }
    let bare = bare
        .trim_matches(|c: char| c.is_whitespace() || "()（）[]【】·-".contains(c))
        .to_owned();
    match (bare.is_empty(), kind) {
        (false, _) => (bare.clone(), bare),
        (true, DayKind::WorkingDay) => ("调休上班".to_owned(), "Make-up working day".to_owned()),
        (true, DayKind::DayOff) => ("放假".to_owned(), "Day off".to_owned()),
    }
}

fn date_of(when: DatePerhapsTime) -> NaiveDate {
    match when {
        DatePerhapsTime::Date(date) => date,
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(utc)) => cst::local_date(utc),
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(naive)) => naive.date(),
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, .. }) => {
            date_time.date()
        }
    }
}

impl Refusal for CalendarIcsError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (CalendarIcsError::Unreadable(why), Lang::Zh) => {
                format!("这不是可读取的 iCalendar（.ics）文件：{why}")
            }
            (CalendarIcsError::Unreadable(why), Lang::En) => {
                format!("This is not a readable iCalendar (.ics) file: {why}")
            }
            (CalendarIcsError::TooDeep, Lang::Zh) => format!(
                "日历文件的 BEGIN/END 嵌套超过 {} 层，无法读取。",
                policy::CALENDAR_ICS_MAX_NESTING
            ),
            (CalendarIcsError::TooDeep, Lang::En) => format!(
                "The calendar file nests BEGIN/END blocks more than {} deep; it cannot be read.",
                policy::CALENDAR_ICS_MAX_NESTING
            ),
            (CalendarIcsError::BadEvent(summary), Lang::Zh) => {
                format!("事件“{summary}”的开始或结束日期无效。")
            }
            (CalendarIcsError::BadEvent(summary), Lang::En) => {
                format!("The event \"{summary}\" has no valid start or end date.")
            }
            (CalendarIcsError::Contradiction(dates), lang) => {
                let list = dates
                    .iter()
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                match lang {
                    Lang::Zh => format!("文件自相矛盾：这些日期既是放假日又是上班日：{list}"),
                    Lang::En => format!(
                        "The file contradicts itself: these dates are both days off and working days: {list}"
                    ),
                }
            }
        }
    }
}

impl fmt::Display for CalendarIcsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for CalendarIcsError {}
