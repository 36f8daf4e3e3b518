//! The review clock: target and deadline in working days, paused while the case waits
//! for the appellant.

use chrono::NaiveDate;

use super::calendar::{ReviewDates, WorkingCalendar};
use super::timeline::EventKind;
use super::{Lang, policy};

/// The dates after the appellant answered: both move later by the working days spent
/// waiting, counted in (requested_on, answered_on].
pub fn resume(
    calendar: &WorkingCalendar,
    dates: ReviewDates,
    requested_on: NaiveDate,
    answered_on: NaiveDate,
) -> ReviewDates {
    let spent = calendar
        .working_days_between(requested_on, answered_on)
        .max(0) as u32;
    if spent == 0 {
        return dates;
    }
    ReviewDates {
        target: calendar.add_working_days(dates.target, spent),
        deadline: calendar.add_working_days(dates.deadline, spent),
    }
}

/// The dates of a case filed on `filed_on` that waited for the appellant over each
/// `(requested_on, answered_on)` of `waits`, in order: what filing and each reply computed,
/// counted again with `calendar` (after a year's arrangement is loaded or corrected).
pub fn replay(
    calendar: &WorkingCalendar,
    filed_on: NaiveDate,
    waits: &[(NaiveDate, NaiveDate)],
) -> ReviewDates {
    waits.iter().fold(
        calendar.review_dates(filed_on),
        |dates, (asked, answered)| resume(calendar, dates, *asked, *answered),
    )
}

/// A case's dates before and after a calendar change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recomputed {
    pub before: ReviewDates,
    pub after: ReviewDates,
    /// The appellant's last day to answer, while the case waits: (before, after).
    pub reply_due: Option<(NaiveDate, NaiveDate)>,
}

impl Recomputed {
    /// The new reply day never comes earlier than the one the appellant was given: a
    /// shorter window could close their case before they knew of it.
    pub fn new(
        before: ReviewDates,
        after: ReviewDates,
        reply_due: Option<(NaiveDate, NaiveDate)>,
    ) -> Self {
        Self {
            before,
            after,
            reply_due: reply_due.map(|(old, new)| (old, new.max(old))),
        }
    }

    pub fn changed(&self) -> bool {
        self.before != self.after || self.reply_due.is_some_and(|(old, new)| old != new)
    }

    pub fn deadline_moved(&self) -> bool {
        self.before.deadline != self.after.deadline
    }

    /// Whether any date the appellant was told comes earlier now.
    pub fn moved_earlier(&self) -> bool {
        self.after.target < self.before.target || self.after.deadline < self.before.deadline
    }

    /// The timeline entry: one that says so when a date moved earlier.
    pub fn kind(&self) -> EventKind {
        if self.moved_earlier() {
            EventKind::ReviewDatesMovedEarlier
        } else {
            EventKind::ReviewDatesMoved
        }
    }

    /// The entry's text, in the appellant's language: every date that moved, old and new.
    pub fn note(&self, lang: Lang, year: i32) -> String {
        let mut parts = vec![match lang {
            Lang::Zh => format!("{year} 年官方放假安排已载入"),
            Lang::En => format!("The official arrangement for {year} was loaded"),
        }];
        let mut change = |zh: &str, en: &str, old: NaiveDate, new: NaiveDate| {
            if old == new {
                return;
            }
            let way = match (lang, new < old) {
                (Lang::Zh, true) => "提前",
                (Lang::Zh, false) => "推后",
                (Lang::En, true) => "earlier",
                (Lang::En, false) => "later",
            };
            parts.push(format!(
                "{}{} → {} ({way})",
                lang.t(zh, en),
                old.format("%Y-%m-%d"),
                new.format("%Y-%m-%d")
            ));
        };
        change(
            "目标处理日期：",
            "target date: ",
            self.before.target,
            self.after.target,
        );
        change(
            "最迟处理日期：",
            "deadline: ",
            self.before.deadline,
            self.after.deadline,
        );
        if let Some((old, new)) = self.reply_due {
            change("回复截止日期：", "reply by: ", old, new);
        }
        parts.join(lang.t("；", "; "))
    }
}

/// The last day the appellant may answer a request made on `requested_on`.
pub fn reply_due(calendar: &WorkingCalendar, requested_on: NaiveDate) -> NaiveDate {
    calendar.add_working_days(requested_on, policy::REPLY_WORKING_DAYS)
}

/// Working days from `today` to `deadline`: negative when overdue, 0 when due today.
pub fn working_days_left(calendar: &WorkingCalendar, today: NaiveDate, deadline: NaiveDate) -> i64 {
    calendar.working_days_between(today, deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::parse_csv;

    fn official() -> WorkingCalendar {
        let days = parse_csv(include_str!(
            "../../migrations/calendar/china-2025-2026.csv"
        ))
        .expect("shipped calendar");
        WorkingCalendar::new(days, [2025, 2026])
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_wait_across_national_day_moves_the_dates_by_the_working_days_spent() {
        let cal = official();
        // Filed Mon 28 Sep 2026: 29, 30 Sep, 8 Oct → target; 9, 10 (make-up), 12, 13 Oct → deadline.
        let dates = cal.review_dates(d("2026-09-28"));
        assert_eq!(dates.target, d("2026-10-08"));
        assert_eq!(dates.deadline, d("2026-10-13"));
        // Asked on 29 Sep, answered on 9 Oct: 30 Sep, 8 Oct, 9 Oct = 3 working days.
        let moved = resume(&cal, dates, d("2026-09-29"), d("2026-10-09"));
        // 8 Oct + 3 → 9, 10 (make-up Saturday), 12.
        assert_eq!(moved.target, d("2026-10-12"));
        // 13 Oct + 3 → 14, 15, 16.
        assert_eq!(moved.deadline, d("2026-10-16"));
    }

    #[test]
    fn a_wait_over_a_holiday_alone_costs_nothing() {
        let cal = official();
        let dates = ReviewDates {
            target: d("2026-10-09"),
            deadline: d("2026-10-14"),
        };
        // Asked on 30 Sep, answered on 7 Oct: 1–7 October are all days off.
        assert_eq!(resume(&cal, dates, d("2026-09-30"), d("2026-10-07")), dates);
        // The same day.
        assert_eq!(resume(&cal, dates, d("2026-09-30"), d("2026-09-30")), dates);
    }

    #[test]
    fn a_make_up_sunday_counts_as_a_day_spent_waiting() {
        let cal = official();
        let dates = ReviewDates {
            target: d("2026-01-06"),
            deadline: d("2026-01-09"),
        };
        // Asked Wed 31 Dec 2025, answered Sun 4 Jan 2026 (a make-up working day): 1 day.
        let moved = resume(&cal, dates, d("2025-12-31"), d("2026-01-04"));
        assert_eq!(moved.target, d("2026-01-07"));
        assert_eq!(moved.deadline, d("2026-01-12"));
    }

    #[test]
    fn the_reply_window_and_days_left_follow_the_official_calendar() {
        let cal = official();
        // Asked Fri 13 Feb 2026: 14 Feb (make-up), 24, 25, 26, 27, 28 (make-up), 2 Mar.
        assert_eq!(reply_due(&cal, d("2026-02-13")), d("2026-03-02"));
        assert_eq!(working_days_left(&cal, d("2026-02-13"), d("2026-02-25")), 3);
        assert_eq!(working_days_left(&cal, d("2026-02-25"), d("2026-02-25")), 0);
        assert_eq!(
            working_days_left(&cal, d("2026-02-26"), d("2026-02-24")),
            -2
        );
    }
}
