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

fn statutory_dates(year: i32) -> Vec<NaiveDate> {
    statutory_days(year).iter().map(|d| d.date).collect()
}

#[test]
fn the_law_gives_these_days_of_2027() {
    let expected = [
        "2027-01-01",
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-04-05",
        "2027-05-01",
        "2027-05-02",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01",
        "2027-10-02",
        "2027-10-03",
    ]
    .map(date);
    assert_eq!(statutory_dates(2027), expected);
    let days = statutory_days(2027);
    assert!(days.iter().all(|d| d.kind == DayKind::DayOff));
    assert_eq!(days[1].name_zh, "春节");
    assert_eq!(days[5].name_en, "Qingming Festival");
}

#[test]
fn every_statutory_day_of_2025_and_2026_is_a_day_off_in_the_official_notices() {
    let official = china();
    for year in [2025, 2026] {
        let days = statutory_dates(year);
        // 1 + 4 + 1 + 2 + 1 + 1 + 3 days.
        assert_eq!(days.len(), 13, "{year}");
        for day in days {
            assert_eq!(
                official.exception(day).map(|d| d.kind),
                Some(DayKind::DayOff),
                "{day} is a statutory holiday"
            );
        }
    }
}

/// Qingming's day as published (Hong Kong Observatory's and the Purple Mountain
/// Observatory's tables of the 24 solar terms, China time).
#[test]
fn qingming_matches_the_published_solar_terms() {
    let published = [
        (2016, "2016-04-04"),
        (2017, "2017-04-04"),
        (2018, "2018-04-05"),
        (2019, "2019-04-05"),
        (2020, "2020-04-04"),
        (2021, "2021-04-04"),
        (2022, "2022-04-05"),
        (2023, "2023-04-05"),
        (2024, "2024-04-04"),
        (2025, "2025-04-04"),
        (2026, "2026-04-05"),
        (2027, "2027-04-05"),
        (2028, "2028-04-04"),
    ];
    for (year, day) in published {
        let qingming = statutory_days(year)
            .iter()
            .find(|d| d.name_en == "Qingming Festival")
            .map(|d| d.date);
        assert_eq!(qingming, Some(date(day)), "{year}");
    }
}

#[test]
fn a_year_without_an_arrangement_counts_its_statutory_holidays_and_is_provisional() {
    let cal = china().with_statutory(2026..=2027);
    // Thu 31 Dec 2026 + 1: Fri 1 Jan 2027 is New Year's Day by law.
    assert_eq!(
        cal.add_working_days(date("2026-12-31"), 1),
        date("2027-01-04")
    );
    assert!(cal.is_provisional(date("2027-01-04")));
    assert!(!cal.is_provisional(date("2026-12-31")));
    // The loaded year keeps its own days: the make-up Sunday of 4 Jan 2026 still counts.
    assert!(cal.is_working_day(date("2026-01-04")));
    // Spring Festival 2027: Fri 5 (New Year's Eve) and Mon 8 Feb are off, the weekend too;
    // no make-up day is known.
    assert_eq!(
        cal.add_working_days(date("2027-02-04"), 1),
        date("2027-02-09")
    );
    assert!(
        !cal.is_working_day(date("2027-02-20")),
        "a Saturday stays off: make-up days are unknown"
    );
    assert_eq!(
        cal.exception(date("2027-10-01"))
            .map(|d| d.name_zh.as_str()),
        Some("国庆节")
    );
    let arrangements = cal.arrangements();
    assert_eq!(
        arrangements.note(crate::domain::Lang::En, date("2027-03-01")),
        Some("provisional: next year's official arrangement is not yet published")
    );
    assert_eq!(
        arrangements.note(crate::domain::Lang::Zh, date("2026-03-01")),
        None
    );
}

const ICS_2027: &str = include_str!("../../../tests/fixtures/china-holidays-2027.ics");

#[test]
fn a_published_holiday_calendar_reads_as_days_off_and_make_up_days() {
    let days = parse_ics(ICS_2027).expect("the fixture parses");
    assert_eq!(days.len(), 35);
    let off = days.iter().filter(|d| d.kind == DayKind::DayOff).count();
    assert_eq!(off, 29);
    let feb_20 = days.iter().find(|d| d.date == date("2027-02-20")).unwrap();
    assert_eq!(feb_20.kind, DayKind::WorkingDay);
    assert_eq!(feb_20.name_en, "Spring Festival");
    // DTEND is exclusive: 国庆节 1–7 October.
    assert!(days.iter().any(|d| d.date == date("2027-10-07")));
    assert!(!days.iter().any(|d| d.date == date("2027-10-08")));
    // Teachers' Day is in the feed, but is neither off nor working.
    assert!(!days.iter().any(|d| d.date == date("2027-09-10")));
    // Every statutory day of 2027 is off in it.
    for day in statutory_dates(2027) {
        assert!(
            days.iter()
                .any(|d| d.date == day && d.kind == DayKind::DayOff),
            "{day}"
        );
    }
}

#[test]
fn a_calendar_that_contradicts_itself_is_refused_naming_the_dates() {
    // 13–21 Feb as working days: 13 Feb is also in the Spring Festival block (a
    // contradiction); 20 Feb is a make-up day twice (none).
    let extra = "BEGIN:VEVENT\r\nUID:x@test\r\nDTSTAMP:20261120T000000Z\r\n\
                 DTSTART;VALUE=DATE:20270213\r\nDTEND;VALUE=DATE:20270222\r\n\
                 SUMMARY:调休 班\r\nEND:VEVENT\r\nEND:VCALENDAR";
    let text = ICS_2027.replace("END:VCALENDAR", extra);
    let error = parse_ics(&text).expect_err("contradicts itself");
    assert_eq!(
        error,
        CalendarIcsError::Contradiction(vec![date("2027-02-13")])
    );
    assert!(
        crate::domain::Refusal::message(&error, crate::domain::Lang::En).contains("2027-02-13")
    );
    assert!(matches!(
        parse_ics("not a calendar"),
        Err(CalendarIcsError::Unreadable(_))
    ));
}
