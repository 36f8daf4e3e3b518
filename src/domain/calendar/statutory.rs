//! The holidays the law gives every citizen (全国年节及纪念日放假办法, as amended in 2024, in
//! force from 2025), computed for any year: what counts before the State Council publishes a
//! year's arrangement. Lunar dates come from ICU4X's Chinese calendar, Qingming (the day the
//! sun's apparent longitude reaches 15°, China time) from tyme's solar terms; the make-up
//! working days and weekday days-in-lieu stay unknown.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{Datelike, Days, NaiveDate};
use icu_calendar::{Date, Iso, types};
use tyme4rs::tyme::solar::SolarTerm;

use super::{CalendarDay, DayKind};

/// Qingming's place among tyme's 24 solar terms, counted from the winter solstice before.
const QINGMING_TERM: isize = 7;

static CACHE: LazyLock<Mutex<HashMap<i32, Arc<[CalendarDay]>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The statutory days off of `year`, in date order (weekends among them included: a holiday
/// on a weekend gives no day in lieu by law, only by the State Council's notice). Empty for a
/// year the calendars cannot reach.
pub fn statutory_days(year: i32) -> Arc<[CalendarDay]> {
    if let Some(days) = CACHE.lock().ok().and_then(|c| c.get(&year).cloned()) {
        return days;
    }
    let days: Arc<[CalendarDay]> = compute(year).unwrap_or_default().into();
    if let Ok(mut cache) = CACHE.lock() {
        cache.insert(year, days.clone());
    }
    days
}

fn compute(year: i32) -> Option<Vec<CalendarDay>> {
    let new_year = lunar(year, 1, 1)?;
    let spring_festival = [
        new_year.checked_sub_days(Days::new(1))?,
        new_year,
        new_year.checked_add_days(Days::new(1))?,
        new_year.checked_add_days(Days::new(2))?,
    ];
    let holidays: [(&str, &str, Vec<NaiveDate>); 7] = [
        ("元旦", "New Year's Day", vec![gregorian(year, 1, 1)?]),
        ("春节", "Spring Festival", spring_festival.to_vec()),
        ("清明节", "Qingming Festival", vec![qingming(year)?]),
        (
            "劳动节",
            "Labour Day",
            vec![gregorian(year, 5, 1)?, gregorian(year, 5, 2)?],
        ),
        ("端午节", "Dragon Boat Festival", vec![lunar(year, 5, 5)?]),
        ("中秋节", "Mid-Autumn Festival", vec![lunar(year, 8, 15)?]),
        (
            "国庆节",
            "National Day",
            vec![
                gregorian(year, 10, 1)?,
                gregorian(year, 10, 2)?,
                gregorian(year, 10, 3)?,
            ],
        ),
    ];
    let mut days: Vec<CalendarDay> = holidays
        .into_iter()
        .flat_map(|(zh, en, dates)| {
            dates.into_iter().map(move |date| CalendarDay {
                date,
                kind: DayKind::DayOff,
                name_zh: zh.to_owned(),
                name_en: en.to_owned(),
            })
        })
        // New Year's Eve of a festival early in January belongs to the year before.
        .filter(|day| day.date.year() == year)
        .collect();
    days.sort_by_key(|d| d.date);
    Some(days)
}

fn gregorian(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The Gregorian date of a day of the Chinese year that starts in `year`.
fn lunar(year: i32, month: u8, day: u8) -> Option<NaiveDate> {
    let date = Date::try_new_chinese_traditional(year, types::Month::new(month), day)
        .ok()?
        .to_calendar(Iso);
    gregorian(
        date.year().extended_year(),
        u32::from(date.month().ordinal),
        u32::from(date.day_of_month().0),
    )
}

/// The China-time day on which the sun's apparent longitude reaches 15° (early April).
fn qingming(year: i32) -> Option<NaiveDate> {
    let day = SolarTerm::from_index(isize::try_from(year).ok()?, QINGMING_TERM).get_solar_day();
    let (month, day) = (
        u32::try_from(day.get_month()).ok()?,
        u32::try_from(day.get_day()).ok()?,
    );
    // Always early April; anything else would be a misreading of the library.
    (month == 4).then(|| gregorian(year, month, day)).flatten()
}
