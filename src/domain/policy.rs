//! The product's rules in one place.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::cst;
use super::money::{AmountError, Fen};
use super::throttle::RateLimit;

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
/// An unclaimed red packet (or the unclaimed part of a lucky one) returns to its sender by
/// itself this long after it was sent (WeChat Pay's rule): guidance, never a refusal.
pub const UNCLAIMED_RETURN_HOURS: i64 = 24;
/// While a payment is this fresh, its instruction is still being verified and the paying
/// bank can revoke it.
pub const BANK_REVOKE_MINUTES: i64 = 5;
/// The dashboard counts guidance shown on submissions over this many days.
pub const GUIDANCE_WINDOW_DAYS: u64 = 28;
/// The largest iCalendar file a supervisor loads (a subscription feed of many years is ~100 KiB).
pub const CALENDAR_FILE_MAX_BYTES: usize = 1024 * 1024;
/// Components nested deeper than this refuse an iCalendar file before it is parsed: real
/// calendars nest three deep (VCALENDAR, VEVENT, VALARM); the parser recurses per level.
pub const CALENDAR_ICS_MAX_NESTING: usize = 8;
/// From this month on, the console warns while next year's working-day calendar is missing.
pub const CALENDAR_WARNING_FROM_MONTH: u32 = 11;
/// Console sessions end after this long idle...
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// ...and after this long in all, however busy.
pub const SESSION_ABSOLUTE_HOURS: i64 = 12;
/// The text of one form (the filing's fields, a reply): the longest account fits many times.
pub const FORM_TEXT_MAX_BYTES: usize = 32 * 1024;
/// The largest queue export; beyond this, narrow the filter.
pub const EXPORT_MAX_ROWS: i64 = 100_000;
/// The dashboard measures service levels over this many days...
pub const DASHBOARD_SERVICE_WINDOW_DAYS: u64 = 28;
/// ...and charts filings per day over this many.
pub const DASHBOARD_CHART_DAYS: u64 = 56;
/// Failed sign-ins are counted over this window...
pub const SIGN_IN_WINDOW_MINUTES: i64 = 15;
/// ...before one account from one client address is refused further tries (the right
/// password from any other address still opens it: no one can lock an account out),
pub const SIGN_IN_MAX_FAILURES_PER_PAIR: i64 = 5;
/// ...or a client address is, whatever the accounts (it may be an office behind one address).
pub const SIGN_IN_MAX_FAILURES_PER_ADDRESS: i64 = 30;
/// Failures of one account in the window answered without delay (typos)...
pub const SIGN_IN_FREE_FAILURES: i64 = 3;
/// ...then each further one slows every answer for that account by this much,
pub const SIGN_IN_DELAY_STEP_MS: u64 = 250;
/// ...up to this: a guesser is slowed, the owner still gets in within seconds.
pub const SIGN_IN_DELAY_MAX_MS: u64 = 2_500;
/// A second factor's codes (RFC 6238): this many digits, a new one every this many
/// seconds, and the one before and after also accepted (a phone's clock a little off).
pub const TOTP_DIGITS: usize = 6;
pub const TOTP_STEP_SECS: u64 = 30;
pub const TOTP_SKEW_STEPS: u8 = 1;
/// The code step of a sign-in must follow the password within this many minutes.
pub const SECOND_STEP_MINUTES: i64 = 5;
/// One-time recovery codes shown when a second factor is turned on (or renewed).
pub const RECOVERY_CODES: usize = 10;
/// A request body must have arrived this long after it began (plus `BODY_MIN_BYTES_PER_SEC`
/// for what has come), and a body that sends nothing for this long is given up at once
/// (the time earned by bytes never covers a stall): answered 408, its connection closed,
/// its room in the upload budget freed.
pub const BODY_TIMEOUT_SECS: u64 = 30;
/// An honest slow upload (a 40 MiB case over a poor mobile link) earns time as it arrives.
pub const BODY_MIN_BYTES_PER_SEC: u64 = 32 * 1024;

/// Requests per client address (an IPv4 address, or an IPv6 /64) at each door that writes
/// or mails. Carrier-grade NAT puts many real people behind one address in China, so the
/// bursts are generous; the hourly rates keep a script from one address below a thousand
/// filings a day. `RATE_LIMIT_<DOOR>_BURST` / `_PER_HOUR` override each.
pub const RATE_LIMIT_FILINGS: RateLimit = RateLimit {
    burst: 20,
    per_hour: 40,
};
/// Replies and withdrawals: each also needs a case's secret link.
pub const RATE_LIMIT_APPELLANT: RateLimit = RateLimit {
    burst: 20,
    per_hour: 60,
};
/// Asking for a lost tracking link mails someone: fewer.
pub const RATE_LIMIT_RECOVERY: RateLimit = RateLimit {
    burst: 10,
    per_hour: 20,
};
/// Sign-in attempts of all accounts from one address (an office shares one).
pub const RATE_LIMIT_SIGN_IN: RateLimit = RateLimit {
    burst: 30,
    per_hour: 120,
};
/// Calls per API key: a back office polling every few seconds and paging through a
/// backlog fits; a runaway loop does not. `RATE_LIMIT_API_KEY_BURST` / `_PER_HOUR` override.
pub const RATE_LIMIT_API_KEY: RateLimit = RateLimit {
    burst: 120,
    per_hour: 7_200,
};
/// Cases in one page of `GET /api/v1/cases`: by default, and at most.
pub const API_PAGE_DEFAULT: i64 = 50;
pub const API_PAGE_MAX: i64 = 200;
/// How long an `Idempotency-Key`'s first answer is kept.
pub const API_IDEMPOTENCY_HOURS: i64 = 24;
/// An API key's "last used" is written at most this often (not on every call).
pub const API_KEY_LAST_USED_EVERY_SECS: i64 = 60;
pub const API_KEY_NAME_MAX_CHARS: usize = 60;
pub const API_REFERENCE_MAX_CHARS: usize = 100;
pub const API_NOTE_MAX_CHARS: usize = 2_000;
/// Addresses remembered per door at most; past this the oldest memories are dropped.
pub const RATE_LIMIT_MAX_ADDRESSES: usize = 200_000;
/// How often forgotten-enough addresses are swept from the limiters' memory.
pub const RATE_LIMIT_SWEEP_SECS: u64 = 60;
/// How often the periodic jobs run (unanswered requests, digest, retention, housekeeping).
pub const JOBS_EVERY_SECS: u64 = 300;
/// The longest evidence file name kept (its extension included).
pub const EVIDENCE_NAME_MAX_CHARS: usize = 100;
/// How long a worker's claim on outbox mail lasts (`MAIL_LEASE_SECS` overrides it). The
/// worker renews its claims every third of it while it sends, so a live worker keeps its
/// mail however slow the server, and a crashed one's mail is taken up again within it.
pub const MAIL_LEASE_SECS: u64 = 60;
/// On SIGTERM a server stops accepting and gives the requests under way this long to
/// finish (an upload of the largest request over a slow phone link fits).
pub const SHUTDOWN_GRACE_SECS: u64 = 30;

/// Writes waiting for SQLite's single writer at most; past it a write is refused with 503
/// at once instead of waiting in memory behind a backlog it cannot clear (at ~3,000
/// filings a second, about a second and a half of work).
pub const SQLITE_WRITE_QUEUE_MAX: usize = 4096;
/// SQLite's checkpoints run beside the writer at most this often, so that a checkpoint
/// copies the pages of many commits at once (a page written by each of them, once).
pub const SQLITE_CHECKPOINT_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);
/// WAL pages past which the writer checkpoints in its own commit: only when the
/// checkpoints beside it fall behind (SQLite's default is 1,000).
pub const SQLITE_WRITER_CHECKPOINT_PAGES: u32 = 10_000;
/// An agent opening the same case again within this many minutes is not recorded again.
pub const VIEW_RECORD_MINUTES: i64 = 10;
/// From this hour (China time) on working days, each agent who wants it gets the list of
/// their cases due today or the next working day (once a day, whatever the instances).
pub const MORNING_LIST_HOUR: u32 = 8;
/// The most cases one morning list names; the queue has the rest.
pub const MORNING_LIST_MAX: i64 = 200;
/// A notice that the appellant replied quotes at most this many lines of the reply...
pub const NOTICE_EXCERPT_LINES: usize = 3;
/// ...and at most this many characters.
pub const NOTICE_EXCERPT_CHARS: usize = 300;
/// The most cases one bulk action of the queue applies to (four pages of the queue).
pub const BULK_MAX_CASES: usize = 200;
/// The case page names the other agents who opened it within this many minutes...
pub const VIEWERS_SHOWN_MINUTES: i64 = 15;
/// ...at most this many of them, the latest first.
pub const VIEWERS_SHOWN_MAX: i64 = 5;
/// An action refused because the case changed since its page was loaded lists at most this
/// many of the changes it missed, the latest first.
pub const STALE_CHANGES_LISTED: i64 = 10;
/// Receipt mails one mailbox gets from new filings per China-local day: a family filing
/// for several members fits, a script cannot bomb someone's inbox through our form.
pub const RECEIPTS_PER_MAILBOX_PER_DAY: i32 = 3;
/// New tracking links one case may get by mail per China-local day (`/track/recover`):
/// past this, asking again changes nothing and mails nothing (the page reads the same).
pub const LINK_REISSUES_PER_CASE_PER_DAY: i64 = 3;
/// Sent mail is kept this long (then deleted by the periodic jobs); its body is dropped
/// at delivery. `OUTBOX_RETENTION_DAYS` in the environment overrides it.
pub const DEFAULT_OUTBOX_RETENTION_DAYS: u32 = 30;

/// A webhook receiver must answer within this many seconds (Adyen's rule too).
pub const WEBHOOK_TIMEOUT_SECS: u64 = 10;
/// The delay before each retry of a webhook that was not answered 2xx (about 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h: Standard Webhooks' schedule); after the last, it is dead.
pub const WEBHOOK_RETRY_SECS: [u64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/// An endpoint failing every delivery for this many days is disabled and supervisors are mailed.
pub const WEBHOOK_DISABLE_AFTER_DAYS: i64 = 5;
/// After a secret is rotated, deliveries are signed with the old one too for this long.
pub const WEBHOOK_ROTATION_OVERLAP_HOURS: i64 = 24;
/// How long a worker's claim on a webhook delivery lasts (renewed while it sends).
pub const WEBHOOK_LEASE_SECS: u64 = 60;
/// Deliveries the console shows per endpoint.
pub const WEBHOOK_RECENT_DELIVERIES: i64 = 20;

/// The delay before retrying a webhook that failed its `attempts`-th attempt; `None`:
/// the schedule is spent and the delivery is dead.
pub fn webhook_retry_after(attempts: i32) -> Option<chrono::Duration> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    WEBHOOK_RETRY_SECS
        .get(index)
        .map(|secs| chrono::Duration::seconds(*secs as i64))
}

// Checked when compiling: a rule change cannot leave the rules contradicting each other.
const _: () = assert!(WEBHOOK_LEASE_SECS > 2 * WEBHOOK_TIMEOUT_SECS);
const _: () = assert!(RECEIPTS_PER_MAILBOX_PER_DAY >= APPEALS_PER_YEAR);
const _: () = assert!(DEFAULT_OUTBOX_RETENTION_DAYS > 0);
const _: () = assert!(VIEWERS_SHOWN_MINUTES >= VIEW_RECORD_MINUTES);
const _: () = assert!(REVIEW_TARGET_WORKING_DAYS <= REVIEW_DEADLINE_WORKING_DAYS);
const _: () = assert!(ELIGIBLE_ABOVE.get() < MAX_AMOUNT.get());
// The owner of an account gets an answer well within five seconds, however it is attacked.
const _: () = assert!(SIGN_IN_DELAY_MAX_MS <= 3_000);
const _: () = assert!(SIGN_IN_MAX_FAILURES_PER_PAIR < SIGN_IN_MAX_FAILURES_PER_ADDRESS);
const _: () = assert!(RATE_LIMIT_FILINGS.per_hour * 24 < 1_000);
const _: () = assert!(RATE_LIMIT_RECOVERY.per_hour <= RATE_LIMIT_FILINGS.per_hour);

const MIB: u64 = 1024 * 1024;
/// One evidence file (PayPal's and Revolut's limit): a phone screenshot or e-receipt is far smaller.
pub const EVIDENCE_FILE_MAX_BYTES: u64 = 10 * MIB;
/// Files one filing or one reply may carry.
pub const EVIDENCE_FILES_PER_SUBMISSION: usize = 8;
/// All the files of one case, across the filing and every reply.
pub const EVIDENCE_CASE_MAX_BYTES: u64 = 40 * MIB;
/// A whole request with files: no filing or reply can carry more than a case holds, plus
/// room for the form's text and the multipart framing. Past this the answer is 413.
pub const REQUEST_MAX_BYTES: u64 = EVIDENCE_CASE_MAX_BYTES + MIB;
/// Upload bytes held in memory at once across all requests; a request that cannot get room
/// within `UPLOAD_WAIT_SECS` is answered 503 (try again) rather than growing the process.
pub const UPLOAD_BUDGET_BYTES: u64 = 96 * MIB;
/// One client address holds at most this much of the budget, whatever its connections: a
/// client that stalls its uploads cannot starve everyone else's (one whole request fits).
pub const UPLOAD_BUDGET_PER_ADDRESS_BYTES: u64 = UPLOAD_BUDGET_BYTES / 2;
pub const UPLOAD_WAIT_SECS: u64 = 10;
/// Files that came with a refused form wait this long for the corrected form.
pub const PENDING_FILE_HOURS: i64 = 24;
/// A thumbnail's longest side.
pub const EVIDENCE_THUMBNAIL_MAX_SIDE_PX: u32 = 320;
/// Files of a case closed this long ago are deleted (Stripe keeps dispute evidence nine months).
/// `EVIDENCE_RETENTION_DAYS` in the environment overrides it.
pub const DEFAULT_EVIDENCE_RETENTION_DAYS: u32 = 270;

/// The memory the service is sized to stay under, image decoding included.
pub const PROCESS_MEMORY_CAP_BYTES: u64 = 256 * MIB;
/// Image inspections run at once in one process; more wait their turn. Decoding is CPU-bound:
/// beyond the machine's two cores more at once only adds memory.
pub const IMAGE_DECODES_AT_ONCE: usize = 2;
/// Longest image side read from a header before anything is allocated: a long chat screenshot
/// is about 1080 px wide and can be very tall; beyond this it is a bomb or a scan.
pub const IMAGE_MAX_SIDE_PX: u32 = 16_000;
/// Pixel memory one inspection may hold: the decoded image plus the copy a 90° orientation makes.
/// 64 MiB takes phone screenshots as RGBA (1290×2796 is 13.8 MiB), long chat screenshots up to
/// about 1080×15500, and an upright 12 MP camera photo (34.9 MiB); two inspections at once then
/// hold at most 128 MiB of pixels, half of the process cap, leaving the rest for the server,
/// the request bodies and the re-encoded outputs.
pub const IMAGE_MAX_PIXEL_BYTES: u64 = 64 * MIB;

const _: () = assert!(EVIDENCE_FILE_MAX_BYTES <= EVIDENCE_CASE_MAX_BYTES);
const _: () = assert!(EVIDENCE_FILES_PER_SUBMISSION >= 1);
const _: () = assert!(EVIDENCE_THUMBNAIL_MAX_SIDE_PX <= IMAGE_MAX_SIDE_PX);
const _: () = assert!(DEFAULT_EVIDENCE_RETENTION_DAYS > 0);
const _: () =
    assert!(IMAGE_DECODES_AT_ONCE as u64 * IMAGE_MAX_PIXEL_BYTES <= PROCESS_MEMORY_CAP_BYTES / 2);
// Bodies being received and images being decoded together stay under the cap, with 32 MiB
// left for the server itself.
const _: () = assert!(
    UPLOAD_BUDGET_BYTES + IMAGE_DECODES_AT_ONCE as u64 * IMAGE_MAX_PIXEL_BYTES
        <= PROCESS_MEMORY_CAP_BYTES - 32 * MIB
);
const _: () = assert!(REQUEST_MAX_BYTES <= UPLOAD_BUDGET_BYTES);
const _: () = assert!(REQUEST_MAX_BYTES <= UPLOAD_BUDGET_PER_ADDRESS_BYTES);
// Phone screenshots as RGBA fit (iPhone Pro Max, common Android), and so do long chat
// screenshots and an upright 12 MP RGB photo; a 12 MP photo that must be turned a quarter
// (two copies) does not (refused, with the hint to send a screenshot).
const _: () = assert!(1290 * 2796 * 4 <= IMAGE_MAX_PIXEL_BYTES);
const _: () = assert!(1080 * 15_000 * 4 <= IMAGE_MAX_PIXEL_BYTES);
const _: () = assert!(4032 * 3024 * 3 <= IMAGE_MAX_PIXEL_BYTES);
const _: () = assert!(2 * 4032 * 3024 * 3 > IMAGE_MAX_PIXEL_BYTES);
// A thumbnail (at most 8 bytes a pixel) adds at most a sixteenth to what an inspection holds.
const _: () =
    assert!(8 * (EVIDENCE_THUMBNAIL_MAX_SIDE_PX as u64).pow(2) <= IMAGE_MAX_PIXEL_BYTES / 16);

/// How long every answer about an account waits, given its failed sign-ins in the window.
pub fn sign_in_delay(account_failures: i64) -> std::time::Duration {
    let over = u64::try_from(account_failures - SIGN_IN_FREE_FAILURES).unwrap_or(0);
    std::time::Duration::from_millis(
        over.saturating_mul(SIGN_IN_DELAY_STEP_MS)
            .min(SIGN_IN_DELAY_MAX_MS),
    )
}

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
    fn sign_in_delay_grows_with_failures_and_stops_at_its_cap() {
        use std::time::Duration;
        assert_eq!(sign_in_delay(0), Duration::ZERO);
        assert_eq!(sign_in_delay(SIGN_IN_FREE_FAILURES), Duration::ZERO);
        assert_eq!(
            sign_in_delay(SIGN_IN_FREE_FAILURES + 1),
            Duration::from_millis(SIGN_IN_DELAY_STEP_MS)
        );
        assert_eq!(
            sign_in_delay(10_000),
            Duration::from_millis(SIGN_IN_DELAY_MAX_MS)
        );
        assert_eq!(sign_in_delay(-1), Duration::ZERO);
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
