//! The product's rules in one place.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::cst;
use super::money::{AmountError, Fen};

/// Appeals are taken for amounts strictly over ¥500.00.
pub const ELIGIBLE_ABOVE: Fen = Fen::new(50_000);
/// ¥1,000,000.00: above this, an amount is a typo, not a payment.
pub const MAX_AMOUNT: Fen = Fen::new(100_000_000);
/// Appeals one WeChat ID may file per quota year.
pub const APPEALS_PER_YEAR: i32 = 2;
pub const REVIEW_TARGET_WORKING_DAYS: u32 = 3;
pub const REVIEW_DEADLINE_WORKING_DAYS: u32 = 7;
/// A request for evidence unanswered for this many working days closes the case.
pub const REPLY_WORKING_DAYS: u32 = 7;
/// Payments older than this are beyond what can be recovered.
pub const SENT_AT_MAX_AGE_DAYS: i64 = 365;
/// Slack for a user's clock running ahead of ours.
pub const CLOCK_SKEW_MINUTES: i64 = 5;
/// From this month on, the console warns while next year's working-day calendar is missing.
pub const CALENDAR_WARNING_FROM_MONTH: u32 = 11;
/// Console sessions end after this long idle...
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// ...and after this long in all, however busy.
pub const SESSION_ABSOLUTE_HOURS: i64 = 12;
/// An agent opening the same case again within this many minutes is not recorded again.
pub const VIEW_RECORD_MINUTES: i64 = 10;

// Checked when compiling: a rule change cannot leave the rules contradicting each other.
const _: () = assert!(REVIEW_TARGET_WORKING_DAYS <= REVIEW_DEADLINE_WORKING_DAYS);
const _: () = assert!(ELIGIBLE_ABOVE.get() < MAX_AMOUNT.get());

pub fn check_eligible(amount: Fen) -> Result<(), AmountError> {
    if amount > ELIGIBLE_ABOVE {
        Ok(())
    } else {
        Err(AmountError::NotOverThreshold)
    }
}

/// The quota year is the calendar year in China, where the appellant lives.
pub fn quota_year(filed_at: DateTime<Utc>) -> i32 {
    cst::local_date(filed_at).year()
}

/// The day a used-up quota opens again: 1 January of the next year.
pub fn next_quota_opening(year: i32) -> NaiveDate {
    // Past chrono's last year the quota simply never reopens.
    NaiveDate::from_ymd_opt(year.saturating_add(1), 1, 1).unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eligibility_is_strictly_over_five_hundred_yuan() {
        assert_eq!(
            check_eligible(Fen::new(50_000)),
            Err(AmountError::NotOverThreshold)
        );
        assert_eq!(
            check_eligible(Fen::new(49_999)),
            Err(AmountError::NotOverThreshold)
        );
        assert_eq!(
            check_eligible(Fen::new(0)),
            Err(AmountError::NotOverThreshold)
        );
        assert_eq!(check_eligible(Fen::new(50_001)), Ok(()));
        assert_eq!(check_eligible(MAX_AMOUNT), Ok(()));
    }

    #[test]
    fn limits_are_in_yuan_as_the_product_states_them() {
        assert_eq!(ELIGIBLE_ABOVE.to_string(), "500.00");
        assert_eq!(MAX_AMOUNT.to_string(), "1,000,000.00");
    }

    #[test]
    fn quota_year_follows_china_time() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("valid test time");
        assert_eq!(quota_year(at("2025-12-31T15:59:59Z")), 2025);
        assert_eq!(quota_year(at("2025-12-31T16:00:00Z")), 2026);
        assert_eq!(quota_year(at("2026-06-01T00:00:00Z")), 2026);
    }

    #[test]
    fn quota_reopens_on_new_year() {
        assert_eq!(
            next_quota_opening(2026),
            NaiveDate::from_ymd_opt(2027, 1, 1).expect("date")
        );
        assert_eq!(next_quota_opening(i32::MAX), NaiveDate::MAX);
    }
}
