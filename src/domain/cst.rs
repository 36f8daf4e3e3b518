//! China Standard Time: the clock appellants read their payment times from.
//!
//! China has used UTC+8 all year, without daylight saving, since 1991, so a fixed offset is
//! exact for every payment AppealDesk handles: no time-zone database is needed.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

use super::date_format::DateFormat;

const CST: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

pub fn offset() -> FixedOffset {
    CST
}

pub fn local(utc: DateTime<Utc>) -> DateTime<FixedOffset> {
    utc.with_timezone(&CST)
}

pub fn local_date(utc: DateTime<Utc>) -> NaiveDate {
    local(utc).date_naive()
}

/// The instant a China wall-clock time names.
pub fn from_local(naive: NaiveDateTime) -> DateTime<Utc> {
    // Only fails 8 hours from the start of chrono's range, far outside any payment; saturate.
    naive
        .checked_sub_offset(CST)
        .map_or(DateTime::<Utc>::MIN_UTC, |utc| utc.and_utc())
}

/// "YYYY-MM-DD HH:MM:SS" in China time, the way WeChat Pay bills show it.
pub fn format_local(utc: DateTime<Utc>) -> String {
    static LOCAL: DateFormat = DateFormat::new("%Y-%m-%d %H:%M:%S");
    LOCAL.date_time(local(utc)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, mi, s)
            .single()
            .expect("valid test time")
    }

    #[test]
    fn china_is_eight_hours_ahead_all_year() {
        assert_eq!(offset().local_minus_utc(), 8 * 3600);
        // Mid-winter and mid-summer alike: no daylight saving.
        assert_eq!(
            format_local(utc(2026, 1, 15, 4, 0, 0)),
            "2026-01-15 12:00:00"
        );
        assert_eq!(
            format_local(utc(2026, 7, 15, 4, 0, 0)),
            "2026-07-15 12:00:00"
        );
    }

    #[test]
    fn local_date_crosses_midnight_before_utc() {
        assert_eq!(
            local_date(utc(2025, 12, 31, 15, 59, 59)),
            NaiveDate::from_ymd_opt(2025, 12, 31).expect("date")
        );
        assert_eq!(
            local_date(utc(2025, 12, 31, 16, 0, 0)),
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
        );
    }

    #[test]
    fn from_local_inverts_local() {
        let t = utc(2026, 11, 20, 6, 30, 5);
        assert_eq!(from_local(local(t).naive_local()), t);
        let naive = NaiveDate::from_ymd_opt(2026, 11, 20)
            .and_then(|d| d.and_hms_opt(14, 30, 5))
            .expect("valid");
        assert_eq!(from_local(naive), t);
        assert_eq!(format_local(from_local(naive)), "2026-11-20 14:30:05");
    }

    #[test]
    fn from_local_saturates_at_the_edge_of_time() {
        assert_eq!(from_local(NaiveDateTime::MIN), DateTime::<Utc>::MIN_UTC);
    }
}
