use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::schema::{calendar_days, calendar_years};
use crate::domain::calendar::{Arrangements, CalendarDay, DayKind, WorkingCalendar, parse_csv};

/// The State Council's 2025 and 2026 arrangements, shipped with the binary.
const OFFICIAL_CSV: &str = include_str!("../../migrations/calendar/china-2025-2026.csv");
const OFFICIAL_SOURCE: &str = "State Council notices (shipped)";

#[derive(Queryable)]
struct DayRow {
    day: NaiveDate,
    kind: DayKind,
    name_zh: String,
    name_en: String,
}

/// The calendar covering `from..=to`, with the list of years that are loaded; a year without
/// an arrangement counts its statutory holidays.
pub fn working_calendar(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<WorkingCalendar> {
    let days = calendar_days::table
        .filter(calendar_days::day.between(from, to))
        .select((
            calendar_days::day,
            calendar_days::kind,
            calendar_days::name_zh,
            calendar_days::name_en,
        ));
    let rows: Vec<DayRow> = on_backend!(&mut *conn, |c| days.load(c))?;
    let years = calendar_years::table
        .filter(calendar_years::year.between(from.year(), to.year()))
        .select(calendar_years::year);
    let years: Vec<i32> = on_backend!(conn, |c| years.load(c))?;
    let days = rows.into_iter().map(|r| CalendarDay {
        date: r.day,
        kind: r.kind,
        name_zh: r.name_zh,
        name_en: r.name_en,
    });
    Ok(WorkingCalendar::new(days, years).with_statutory(from.year()..=to.year()))
}

/// Which years have an official arrangement (the rest are provisional).
pub fn arrangements(conn: &mut DbConn) -> QueryResult<Arrangements> {
    Ok(Arrangements::new(loaded_years(conn)?))
}

pub fn is_loaded(conn: &mut DbConn, year: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(calendar_years::table.find(year))).get_result(conn)
}

pub fn loaded_years(conn: &mut DbConn) -> QueryResult<Vec<i32>> {
    let query = calendar_years::table
        .select(calendar_years::year)
        .order(calendar_years::year);
    on_backend!(conn, |c| query.load(c))
}

/// Replaces one year's calendar. Run inside a write transaction.
pub fn replace_year(
    conn: &mut DbConn,
    year: i32,
    days: &[CalendarDay],
    source: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (first, last) = year_bounds(year);
    diesel::delete(calendar_days::table.filter(calendar_days::day.between(first, last)))
        .execute(conn)?;
    for day in days.iter().filter(|d| d.date.year() == year) {
        diesel::insert_into(calendar_days::table)
            .values((
                calendar_days::day.eq(day.date),
                calendar_days::kind.eq(day.kind.as_str()),
                calendar_days::name_zh.eq(&day.name_zh),
                calendar_days::name_en.eq(&day.name_en),
            ))
            .execute(conn)?;
    }
    diesel::delete(calendar_years::table.find(year)).execute(conn)?;
    diesel::insert_into(calendar_years::table)
        .values((
            calendar_years::year.eq(year),
            calendar_years::source.eq(source),
            calendar_years::loaded_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Loads the shipped years that the database does not have yet; a year an agent has
/// since corrected is left as it is.
pub fn seed_official(conn: &mut DbConn, now: NaiveDateTime) -> anyhow::Result<()> {
    let days = parse_csv(OFFICIAL_CSV).map_err(|e| anyhow::anyhow!("shipped calendar: {e:?}"))?;
    let mut years: Vec<i32> = days.iter().map(|d| d.date.year()).collect();
    years.dedup();
    super::write_tx(conn, |conn| {
        let loaded = loaded_years(conn)?;
        for year in years.iter().filter(|y| !loaded.contains(y)) {
            replace_year(conn, *year, &days, OFFICIAL_SOURCE, now)?;
            tracing::info!(year, "loaded the official working-day calendar");
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    (first, last)
}
