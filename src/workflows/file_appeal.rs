//! Filing an appeal: the quota, one case per transaction ID, the review dates, and
//! the same case again for a resubmitted form.

use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;

use super::Failure;
use crate::db::{self, DbConn, cases::NewCase, events::NewEvent};
use crate::domain::appeal::Appeal;
use crate::domain::case_number::case_number;
use crate::domain::case_status::CaseStatus;
use crate::domain::{Lang, cst, policy};
use crate::keys::{self, Keys};

pub struct Filing<'a> {
    pub appeal: &'a Appeal,
    pub lang: Lang,
    /// The one-time key of the rendered form: the same form sent twice is one filing.
    pub submission_key: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Filed {
    New {
        tracking_token: String,
    },
    /// The same form with the same values again (a double click, a resend).
    Again {
        tracking_token: String,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    QuotaUsed {
        next_opening: NaiveDate,
    },
    TransactionIdTaken,
    /// This form already filed a case, and the values now differ.
    FormAlreadyUsed,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("refused: {0:?}")]
    Refused(Refused),
    #[error(transparent)]
    Failure(#[from] Failure),
}

impl From<diesel::result::Error> for FileError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failure(e.into())
    }
}

/// A unique violation means a concurrent filing got there first; the next attempt
/// reads what it committed. Each attempt can lose at most one race per quota slot,
/// transaction ID or form key, so a few attempts always settle.
const ATTEMPTS: usize = 5;

pub fn file_appeal(
    conn: &mut DbConn,
    keys: &Keys,
    filing: &Filing<'_>,
    now: DateTime<Utc>,
) -> Result<Filed, FileError> {
    let fingerprint = keys::digest(&filing.appeal.fingerprint_source());
    let mut attempt = 0;
    loop {
        attempt += 1;
        match db::write_tx(conn, |conn| try_file(conn, keys, filing, &fingerprint, now)) {
            Err(FileError::Failure(Failure::Database(e)))
                if attempt < ATTEMPTS && db::is_unique_violation(&e) =>
            {
                tracing::debug!(attempt, "filing lost a race, trying again");
            }
            result => return result,
        }
    }
}

fn try_file(
    conn: &mut DbConn,
    keys: &Keys,
    filing: &Filing<'_>,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Filed, FileError> {
    let appeal = filing.appeal;
    if let Some(earlier) = same_form(conn, keys, filing, fingerprint)? {
        return earlier;
    }
    let year = policy::quota_year(now);
    let transaction_id_taken =
        db::cases::transaction_id_taken(conn, appeal.transaction_id.as_str())?;
    let taken = db::quota::taken_slots(conn, appeal.wechat_id.as_str(), year)?;
    let free = (1..=policy::APPEALS_PER_YEAR).find(|s| !taken.contains(s));
    let slot = match (transaction_id_taken, free) {
        (false, Some(slot)) => slot,
        (transaction_id_taken, _) => {
            let refusal = if transaction_id_taken {
                Refused::TransactionIdTaken
            } else {
                Refused::QuotaUsed {
                    next_opening: policy::next_quota_opening(year),
                }
            };
            // On PostgreSQL each statement sees what committed before it: a double click
            // committed between our first look and these checks shows up now, and is the
            // same filing rather than a refusal.
            return match same_form(conn, keys, filing, fingerprint)? {
                Some(earlier) => earlier,
                None => Err(FileError::Refused(refusal)),
            };
        }
    };

    let filed_on = cst::local_date(now);
    let dates = super::working_days::review_dates(conn, filed_on)?;
    let tracking_token = keys.tracking_token(filing.submission_key);
    let number = case_number(filed_on, rand::rng().random());
    let case_id = db::cases::insert(
        conn,
        &NewCase {
            case_number: &number,
            status: CaseStatus::Submitted.as_str(),
            tracking_token_hash: &keys::digest(&tracking_token),
            submission_key_hash: &keys::digest(filing.submission_key),
            submission_fingerprint: fingerprint,
            lang: filing.lang.code(),
            wechat_id: appeal.wechat_id.as_str(),
            email: appeal.email.as_str(),
            packet_kind: appeal.packet_kind.as_str(),
            amount_fen: appeal.amount.get(),
            sent_at: appeal.sent_at.utc().naive_utc(),
            transaction_id: appeal.transaction_id.as_str(),
            counterparty_phone_suffix: appeal.counterparty_phone_suffix.as_str(),
            card_last4: appeal.card_last4.as_str(),
            account: appeal.account.as_str(),
            filed_at: now.naive_utc(),
            filed_on,
            review_target: dates.target,
            review_deadline: dates.deadline,
            updated_at: now.naive_utc(),
        },
    )?;
    db::quota::take(conn, appeal.wechat_id.as_str(), year, slot, case_id)?;
    db::events::append(
        conn,
        &NewEvent {
            case_id,
            at: now.naive_utc(),
            actor: "appellant",
            kind: "filed",
            from_status: None,
            to_status: Some(CaseStatus::Submitted.as_str()),
            note: None,
            agent_id: None,
        },
    )?;
    Ok(Filed::New { tracking_token })
}

/// The answer for a form that already filed a case: its receipt again when the values
/// are the same, a refusal when they changed.
fn same_form(
    conn: &mut DbConn,
    keys: &Keys,
    filing: &Filing<'_>,
    fingerprint: &str,
) -> Result<Option<Result<Filed, FileError>>, FileError> {
    let key_hash = keys::digest(filing.submission_key);
    Ok(db::cases::by_submission_key(conn, &key_hash)?.map(|case| {
        if case.submission_fingerprint == fingerprint {
            Ok(Filed::Again {
                tracking_token: keys.tracking_token(filing.submission_key),
            })
        } else {
            Err(FileError::Refused(Refused::FormAlreadyUsed))
        }
    }))
}
