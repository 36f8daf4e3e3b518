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

const MIB: u64 = 1024 * 1024;
/// One evidence file (PayPal's and Revolut's limit): a phone screenshot or e-receipt is far smaller.
pub const EVIDENCE_FILE_MAX_BYTES: u64 = 10 * MIB;
/// Files one filing or one reply may carry.
pub const EVIDENCE_FILES_PER_SUBMISSION: usize = 8;
/// All the files of one case, across the filing and every reply.
pub const EVIDENCE_CASE_MAX_BYTES: u64 = 40 * MIB;
/// A whole request with files: every file at its limit, plus room for the form's text and
/// the multipart framing. Past this the answer is 413.
pub const REQUEST_MAX_BYTES: u64 =
    EVIDENCE_FILES_PER_SUBMISSION as u64 * EVIDENCE_FILE_MAX_BYTES + MIB;
/// Files that came with a refused form wait this long for the corrected form.
pub const PENDING_FILE_HOURS: i64 = 24;
/// A thumbnail's longest side.
pub const EVIDENCE_THUMBNAIL_MAX_SIDE_PX: u32 = 320;
/// Files of a case closed this long ago are deleted (Stripe keeps dispute evidence nine months).
/// `EVIDENCE_RETENTION_DAYS` in the environment overrides it.
pub const DEFAULT_EVIDENCE_RETENTION_DAYS: u32 = 270;

/// The memory the service is sized to stay under, image decoding included.
pub const PROCESS_MEMORY_CAP_BYTES: u64 = 256 * MIB;
/// Image inspections the caller runs at once (one filing's files in parallel); more must wait.
pub const IMAGE_DECODES_AT_ONCE: usize = EVIDENCE_FILES_PER_SUBMISSION;
/// Longest image side read from a header before anything is allocated: a long chat screenshot
/// is about 1080 px wide; a side beyond this is a bomb or a scan, not a screenshot.
pub const IMAGE_MAX_SIDE_PX: u32 = 12_000;
/// Pixel memory one inspection may hold: the decoded image plus the copy a 90° orientation makes.
/// 16 MiB takes the largest phone screenshots as RGBA (1290×2796 is 13.8 MiB) and a 5 MP RGB
/// photo; 8 inspections at once then hold at most 128 MiB of pixels, half of the process cap,
/// leaving the rest for the server, the request bodies and the re-encoded outputs.
pub const IMAGE_MAX_PIXEL_BYTES: u64 = 16 * MIB;

const _: () = assert!(EVIDENCE_FILE_MAX_BYTES <= EVIDENCE_CASE_MAX_BYTES);
const _: () = assert!(EVIDENCE_FILES_PER_SUBMISSION >= 1);
const _: () = assert!(EVIDENCE_THUMBNAIL_MAX_SIDE_PX <= IMAGE_MAX_SIDE_PX);
const _: () = assert!(DEFAULT_EVIDENCE_RETENTION_DAYS > 0);
const _: () =
    assert!(IMAGE_DECODES_AT_ONCE as u64 * IMAGE_MAX_PIXEL_BYTES <= PROCESS_MEMORY_CAP_BYTES / 2);
// Phone screenshots as RGBA fit (iPhone Pro Max, common Android); a 12 MP RGB photo does not
// (refused, with the hint to send a screenshot).
const _: () = assert!(1290 * 2796 * 4 <= IMAGE_MAX_PIXEL_BYTES);
const _: () = assert!(1080 * 2400 * 4 <= IMAGE_MAX_PIXEL_BYTES);
const _: () = assert!(4032 * 3024 * 3 > IMAGE_MAX_PIXEL_BYTES);
// A thumbnail (at most 8 bytes a pixel) adds at most a sixteenth to what an inspection holds.
const _: () =
    assert!(8 * (EVIDENCE_THUMBNAIL_MAX_SIDE_PX as u64).pow(2) <= IMAGE_MAX_PIXEL_BYTES / 16);

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

    #[test]
    fn evidence_limits_are_the_published_numbers() {
        assert_eq!(EVIDENCE_FILE_MAX_BYTES, 10_485_760);
        assert_eq!(EVIDENCE_CASE_MAX_BYTES, 41_943_040);
        assert_eq!(EVIDENCE_FILES_PER_SUBMISSION, 8);
        assert_eq!(EVIDENCE_THUMBNAIL_MAX_SIDE_PX, 320);
        assert_eq!(DEFAULT_EVIDENCE_RETENTION_DAYS, 270);
    }
}
