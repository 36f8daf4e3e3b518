//! Hand-checked against the State Council notices for 2025 and 2026 (the real file below).

use chrono::{Datelike, NaiveDate, Weekday};
use proptest::prelude::*;

use super::*;
use crate::domain::stored::Stored;

const CHINA_2025_2026: &str = include_str!("../../../migrations/calendar/china-2025-2026.csv");

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid test date")
}

fn china() -> WorkingCalendar {
    WorkingCalendar::new(
        parse_csv(CHINA_2025_2026).expect("the real file parses"),
        [2025, 2026],
    )
}

fn review(filed_on: &str) -> (NaiveDate, NaiveDate) {
    let dates = china().review_dates(date(filed_on));
    (dates.target, dates.deadline)
}

#[test]
fn real_file_parses_and_make_up_days_fall_on_weekends() {
    let days = parse_csv(CHINA_2025_2026).expect("parses");
    assert_eq!(days.len(), 72);
    assert_eq!(
        days.iter()
            .filter(|d| d.kind == DayKind::WorkingDay)
            .count(),
        11
    );
    for day in days.iter().filter(|d| d.kind == DayKind::WorkingDay) {
        assert!(
            matches!(day.date.weekday(), Weekday::Sat | Weekday::Sun),
            "{}",
            day.date
        );
    }
    assert_eq!(days[0].name_en, "New Year's Day");
    assert_eq!(days[0].name_zh, "元旦");
}

#[test]
fn exceptions_override_the_weekly_rule() {
    let cal = china();
    assert!(cal.is_working_day(date("2026-09-20")), "make-up Sunday");
    assert!(cal.is_working_day(date("2026-10-10")), "make-up Saturday");
    assert!(
        !cal.is_working_day(date("2026-10-05")),
        "National Day Monday"
    );
    assert!(!cal.is_working_day(date("2026-03-14")), "plain Saturday");
    assert!(cal.is_working_day(date("2026-03-16")), "plain Monday");
    assert_eq!(
        cal.exception(date("2026-02-17"))
            .map(|d| d.name_zh.as_str()),
        Some("春节")
    );
    assert_eq!(cal.exception(date("2026-03-16")), None);
}

#[test]
fn national_day_2026() {
    // Wed 30 Sep; 1–7 Oct off; Thu 8 (1), Fri 9 (2), make-up Sat 10 (3); Sun 11 off;
    // Mon 12 (4), Tue 13 (5), Wed 14 (6), Thu 15 (7).
    assert_eq!(
        review("2026-09-30"),
        (date("2026-10-10"), date("2026-10-15"))
    );
}

#[test]
fn spring_festival_2026_counts_both_make_up_saturdays() {
    // Thu 12 Feb; Fri 13 (1), make-up Sat 14 (2); 15–23 off; Tue 24 (3), Wed 25 (4), Thu 26 (5),
    // Fri 27 (6), make-up Sat 28 (7).
    assert_eq!(
        review("2026-02-12"),
        (date("2026-02-24"), date("2026-02-28"))
    );
}

#[test]
fn new_year_2026_with_make_up_sunday() {
    // Wed 31 Dec 2025; 1–3 Jan off; make-up Sun 4 (1), Mon 5 (2), Tue 6 (3), Wed 7 (4), Thu 8 (5),
    // Fri 9 (6), Mon 12 (7).
    assert_eq!(
        review("2025-12-31"),
        (date("2026-01-06"), date("2026-01-12"))
    );
}

#[test]
fn filed_during_national_day_2025() {
    // Wed 1 Oct, a holiday; 2–8 off; Thu 9 (1), Fri 10 (2), make-up Sat 11 (3); Mon 13 (4) to Thu 16 (7).
    assert_eq!(
        review("2025-10-01"),
        (date("2025-10-11"), date("2025-10-16"))
    );
}

#[test]
fn plain_week_and_friday_filing() {
    // Tue 10 Mar 2026: Wed 11, Thu 12, Fri 13 (3); Mon 16 to Thu 19 (7).
    assert_eq!(
        review("2026-03-10"),
        (date("2026-03-13"), date("2026-03-19"))
    );
    // Fri 13 Mar 2026: Mon 16, Tue 17, Wed 18 (3); Thu 19, Fri 20, Mon 23, Tue 24 (7).
    assert_eq!(
        review("2026-03-13"),
        (date("2026-03-18"), date("2026-03-24"))
    );
}

#[test]
fn add_zero_working_days_is_the_same_day() {
    assert_eq!(
        china().add_working_days(date("2026-10-03"), 0),
        date("2026-10-03")
    );
}

#[test]
fn working_days_left_counts_both_ways() {
    let cal = china();
    assert_eq!(
        cal.working_days_between(date("2026-09-30"), date("2026-10-15")),
        7
    );
    assert_eq!(
        cal.working_days_between(date("2026-10-15"), date("2026-09-30")),
        -7
    );
    assert_eq!(
        cal.working_days_between(date("2026-09-30"), date("2026-10-07")),
        0
    );
    assert_eq!(
        cal.working_days_between(date("2026-10-09"), date("2026-10-09")),
        0
    );
    // Fri 18 Sep to Mon 21 Sep 2026: make-up Sun 20 and Mon 21.
    assert_eq!(
        cal.working_days_between(date("2026-09-18"), date("2026-09-21")),
        2
    );
    // All of 2026: it starts and ends on a Thursday, so 52 weeks and a day: 261 weekdays.
    let weekdays_2026 = 261;
    let holiday_weekdays = 19; // 1–2 Jan, 16–20 & 23 Feb, 6 Apr, 1 & 4–5 May, 19 Jun, 25 Sep, 1–2 & 5–7 Oct
    let make_up_days = 6; // 4 Jan, 14 & 28 Feb, 9 May, 20 Sep, 10 Oct
    assert_eq!(
        cal.working_days_between(date("2025-12-31"), date("2026-12-31")),
        weekdays_2026 - holiday_weekdays + make_up_days
    );
}

#[test]
fn unloaded_years_are_reported_for_fallback() {
    let cal = china();
    assert_eq!(
        cal.unloaded_years(date("2026-12-20"), date("2027-01-10")),
        vec![2027]
    );
    assert_eq!(
        cal.unloaded_years(date("2027-01-10"), date("2024-12-31")),
        vec![2024, 2027]
    );
    assert!(
        cal.unloaded_years(date("2025-03-01"), date("2026-03-01"))
            .is_empty()
    );
    // Without a calendar, Monday–Friday: Fri 1 Oct 2027 + 3 = Wed 6 Oct.
    assert_eq!(
        cal.add_working_days(date("2027-10-01"), 3),
        date("2027-10-06")
    );
}

#[test]
fn day_kind_round_trips() {
    for kind in [DayKind::DayOff, DayKind::WorkingDay] {
        assert_eq!(DayKind::from_stored(kind.as_str()), Some(kind));
    }
    assert_eq!(DayKind::from_stored("holiday"), None);
}

fn any_date_2024_to_2027() -> impl Strategy<Value = NaiveDate> {
    (0_u64..4 * 366).prop_map(|offset| date("2024-01-01") + chrono::Days::new(offset))
}

proptest! {
    #[test]
    fn adding_working_days_lands_on_the_nth_working_day(from in any_date_2024_to_2027(), n in 1_u32..60) {
        let cal = china();
        let result = cal.add_working_days(from, n);
        prop_assert!(cal.is_working_day(result));
        prop_assert!(result > from);
        prop_assert_eq!(cal.working_days_between(from, result), i64::from(n));
        prop_assert_eq!(cal.working_days_between(result, from), -i64::from(n));
    }

    #[test]
    fn counting_matches_walking_day_by_day(from in any_date_2024_to_2027(), len in 0_u64..400) {
        let cal = china();
        let to = from + chrono::Days::new(len);
        let walked = from.iter_days().skip(1).take_while(|d| *d <= to).filter(|d| cal.is_working_day(*d)).count();
        prop_assert_eq!(cal.working_days_between(from, to), i64::try_from(walked).expect("small"));
    }
}
