//! Filing an appeal: the form's files inspected and kept on any refusal
//! (`submit`), the quota, one case per transaction ID, the review dates, the receipt
//! mail, and the same case again for a resubmitted form.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;

use super::Failure;
use super::evidence::{self, FormFiles, KeepFor, Received, SentFiles, UploadProblem};
use crate::db::{self, DbConn, cases::NewCase};
use crate::domain::Actor;
use crate::domain::Refusal;
use crate::domain::appeal::{Appeal, ClaimAnswer, Field, RawAppeal, Refusals};
use crate::domain::case_number::case_number;
use crate::domain::case_status::CaseStatus;
use crate::domain::claim::ClaimRefusal;
use crate::domain::client_ip::ClientIp;
use crate::domain::guidance::Reason;
use crate::domain::timeline::EventKind;
use crate::domain::{Lang, cst, policy};
use crate::email::{self, MailDate, Prepared, Receipt};
use crate::evidence_files::CleanFile;
use crate::keys::{self, Keys};
use crate::storage::Store;

/// An appellant's form as sent: the answers as typed, its files, and what came with it.
pub struct Submission {
    pub raw: RawAppeal,
    pub lang: Lang,
    pub files: SentFiles,
    /// Absolute base of the tracking link in the receipt mail (never from a request).
    pub links_base: String,
    /// The address the filing came from, when known.
    pub client_ip: Option<IpAddr>,
    /// The guidance the answers called for, shown with the form.
    pub guidance: Vec<Reason>,
}

/// What became of a submission. Whenever nothing was filed, the files that came are kept
/// for the form (`FormFiles`): the appellant corrects it without uploading them again.
pub enum Submitted {
    /// A case filed, or the same form again (`new: false`): the receipt's token.
    Filed { tracking_token: String, new: bool },
    /// A kept file removed: the form again, nothing refused.
    Edited(FormFiles),
    /// Answers refused, each next to its field, or files refused (in `files`).
    Invalid {
        refusals: Refusals,
        files: FormFiles,
    },
    /// The filing refused as a whole (quota, duplicate, mailbox, a used form).
    Refused { refused: Refused, files: FormFiles },
}

/// Files a form with its files: inspects them, then in one write files the case with them
/// or, when anything is refused, keeps them for the form (for a fresh form when this one
/// has already filed its case).
pub async fn submit(
    store: &Store,
    keys: &Keys,
    submission: Submission,
    now: DateTime<Utc>,
) -> Result<Submitted, Failure> {
    let Submission {
        raw,
        lang,
        files,
        links_base,
        client_ip,
        guidance,
    } = submission;
    let submission_key = files.form_key.clone();
    let received = Received::inspect(store, files, now).await?;
    if received.removes() {
        return Ok(Submitted::Edited(received.keep(store, now).await?));
    }
    let appeal = match Appeal::parse(&raw, now) {
        Ok(appeal) if received.all_clean() => appeal,
        parsed => {
            crate::metrics::filing(crate::metrics::FilingOutcome::Refused("invalid_form"));
            let refusals = parsed.err().unwrap_or_default();
            // Stopped by the guidance alone (every other answer was right): counted.
            let stopped = match ClaimAnswer::parse(&raw) {
                Err(ClaimRefusal::ClaimedNotAcknowledged) => Some(Reason::Claimed),
                Err(ClaimRefusal::AlreadyReturned) => Some(Reason::AlreadyReturned),
                _ => None,
            }
            .filter(|_| refusals.0.len() == 1 && received.all_clean());
            let files = match stopped {
                Some(reason) => {
                    let count = move |conn: &mut DbConn| stopped_by_guidance(conn, reason, now);
                    received.keep_with(store, now, count).await?
                }
                None => received.keep(store, now).await?,
            };
            return Ok(Submitted::Invalid { refusals, files });
        }
    };
    let keys = keys.clone();
    let keep_for = |refused: &Refused| match refused {
        // This form has filed its case: a new filing needs a fresh form.
        Refused::FormAlreadyUsed => KeepFor::FreshForm,
        _ => KeepFor::ThisForm,
    };
    let outcome = received
        .file(store, now, keep_for, move |conn, files| {
            let filing = Filing {
                appeal: &appeal,
                lang,
                submission_key: &submission_key,
                links_base: &links_base,
                files,
                client_ip,
                guidance: &guidance,
            };
            match file_appeal(conn, &keys, &filing, now) {
                Ok(filed) => Ok(Ok(filed)),
                Err(FileError::Refused(refused)) => Ok(Err(refused)),
                Err(FileError::Failure(failure)) => Err(failure),
            }
        })
        .await?;
    Ok(match outcome {
        Ok(Filed::New { tracking_token }) => Submitted::Filed {
            tracking_token,
            new: true,
        },
        Ok(Filed::Again { tracking_token }) => Submitted::Filed {
            tracking_token,
            new: false,
        },
        Err((refused, files)) => Submitted::Refused { refused, files },
    })
}

struct Filing<'a> {
    appeal: &'a Appeal,
    lang: Lang,
    /// The one-time key of the rendered form: the same form sent twice is one filing.
    submission_key: &'a str,
    /// Absolute base of the tracking link in the receipt mail (never from a request).
    links_base: &'a str,
    /// Evidence files sent with this form, checked and cleaned (`evidence::inspect`);
    /// the files kept for this form from a refused attempt are filed too.
    files: &'a [CleanFile],
    /// The address the filing came from, when known: supervisors compare it across the
    /// filings of one WeChat ID.
    client_ip: Option<IpAddr>,
    /// The guidance this submission was shown: counted as filed after it (no one named).
    guidance: &'a [Reason],
}

#[derive(Debug, PartialEq, Eq)]
enum Filed {
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
    /// The email address has had its receipts for today from new filings.
    MailboxBusy,
    /// This form already filed a case, and the values now differ.
    FormAlreadyUsed,
    /// The files would pass the per-case limit.
    Evidence(UploadProblem),
}

impl Refused {
    /// The form field the refusal is shown next to (besides the page's summary).
    pub fn field(&self) -> Option<Field> {
        match self {
            Refused::QuotaUsed { .. } => Some(Field::WechatId),
            Refused::TransactionIdTaken => Some(Field::TransactionId),
            Refused::MailboxBusy => Some(Field::Email),
            Refused::FormAlreadyUsed | Refused::Evidence(_) => None,
        }
    }
}

impl Refused {
    /// The refusal's name in `/metrics`.
    pub fn reason(&self) -> &'static str {
        match self {
            Refused::QuotaUsed { .. } => "quota_used",
            Refused::TransactionIdTaken => "transaction_id_taken",
            Refused::MailboxBusy => "mailbox_busy",
            Refused::FormAlreadyUsed => "form_already_used",
            Refused::Evidence(_) => "evidence_over_limit",
        }
    }
}

impl Refusal for Refused {
    fn message(&self, lang: Lang) -> String {
        match self {
            Refused::QuotaUsed { next_opening } => match lang {
                Lang::Zh => format!(
                    "这个微信号今年的 {} 次申诉机会已用完。下一次可申诉的时间：{}（北京时间）起。\
                     如果其中有不是你本人提交的申诉（有人冒用了你的微信号），请联系微信支付客服，\
                     说明你的微信号，并告知你不认识的案件编号（若你收到过相关邮件）；\
                     客服主管核实后会作废冒名提交的申诉，并把申诉机会还给你。\
                     为保护他人信息，本页面不会显示这些案件的任何内容。",
                    policy::APPEALS_PER_YEAR,
                    next_opening.format("%Y-%m-%d")
                ),
                Lang::En => format!(
                    "This WeChat ID has used its {} appeals for this year. The next one opens on {} (China time). \
                     If you did not file some of them (someone used your WeChat ID), contact WeChat Pay customer service \
                     with your WeChat ID and the case numbers you do not recognise (if a mail about them reached you); \
                     a supervisor checks, voids the filings made in your name and gives the appeals back to you. \
                     To protect other people's information, this page shows nothing of those cases.",
                    policy::APPEALS_PER_YEAR,
                    next_opening.format("%Y-%m-%d")
                ),
            },
            Refused::MailboxBusy => match lang {
                Lang::Zh => format!(
                    "这个邮箱今天已经收到 {} 封新申诉的确认邮件，今天不能再用它提交申诉。\
                     请明天（北京时间）再提交，或填写另一个你自己的邮箱。",
                    policy::RECEIPTS_PER_MAILBOX_PER_DAY
                ),
                Lang::En => format!(
                    "This email address has already received {} receipts for new appeals today, so it cannot be used \
                     for another one today. File again tomorrow (China time), or give another address of your own.",
                    policy::RECEIPTS_PER_MAILBOX_PER_DAY
                ),
            },
            Refused::TransactionIdTaken => lang
                .t(
                    "这笔交易已经有申诉案件，无需重复提交。请通过提交时收到的跟踪链接查看进度。",
                    "This transaction already has a case: there is no need to file again. Follow it through the tracking link you received.",
                )
                .to_owned(),
            Refused::FormAlreadyUsed => lang
                .t(
                    "这份表单已经提交过一宗申诉。若要再提交一宗新的申诉，请核对内容后再次提交。",
                    "This form has already filed an appeal. To file another one, check the details and submit again.",
                )
                .to_owned(),
            Refused::Evidence(problem) => problem.message(lang),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum FileError {
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
/// reads what it committed. Each lost race is a slot (quota or receipt), transaction ID
/// or form key another filing took for good, so a few attempts always settle: at most
/// 2 quota slots + 3 receipt slots + 1 transaction ID + 1 form key can be lost.
const ATTEMPTS: usize = 8;

fn file_appeal(
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
            result => {
                count(&result);
                return result;
            }
        }
    }
}

/// Counts the outcome for `/metrics`; an infrastructure failure is counted as a 5xx.
fn count(result: &Result<Filed, FileError>) {
    use crate::metrics::{FilingOutcome, filing};
    match result {
        Ok(Filed::New { .. }) => filing(FilingOutcome::Accepted),
        Ok(Filed::Again { .. }) => filing(FilingOutcome::Again),
        Err(FileError::Refused(refused)) => filing(FilingOutcome::Refused(refused.reason())),
        Err(FileError::Failure(_)) => {}
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
    let key_hash = keys::digest(filing.submission_key);
    let filed_on = cst::local_date(now);
    let mailbox = appeal.email.mailbox();
    let year = policy::quota_year(now);
    let checks = db::filing::checks(
        conn,
        &db::filing::Lookup {
            submission_key_hash: &key_hash,
            transaction_id: appeal.transaction_id.as_str(),
            mailbox: &mailbox,
            day: filed_on,
            wechat_id: appeal.wechat_id.as_str(),
            year,
            now: now.naive_utc(),
        },
    )?;
    if let Some(earlier) = &checks.earlier {
        return again(keys, filing, earlier == fingerprint);
    }
    let new = New {
        key_hash: &key_hash,
        filed_on,
        mailbox: &mailbox,
        year,
    };
    match file_new(conn, keys, filing, fingerprint, &new, &checks, now) {
        // On PostgreSQL each statement sees what has committed before it: a concurrent
        // send of this same form may have committed after the checks above, and caused
        // this refusal. Its case is the answer.
        Err(FileError::Refused(refused)) => match db::cases::by_submission_key(conn, &key_hash)? {
            Some(case) => again(keys, filing, case.submission_fingerprint == fingerprint),
            None => Err(FileError::Refused(refused)),
        },
        other => other,
    }
}

/// The answer to a form that has already filed a case: the same filing again, or a
/// refusal when the values now differ.
fn again(keys: &Keys, filing: &Filing<'_>, same_values: bool) -> Result<Filed, FileError> {
    if same_values {
        Ok(Filed::Again {
            tracking_token: keys.tracking_token(filing.submission_key),
        })
    } else {
        Err(FileError::Refused(Refused::FormAlreadyUsed))
    }
}

/// What the checks were made for.
struct New<'a> {
    key_hash: &'a str,
    filed_on: NaiveDate,
    mailbox: &'a str,
    year: i32,
}

fn file_new(
    conn: &mut DbConn,
    keys: &Keys,
    filing: &Filing<'_>,
    fingerprint: &str,
    new: &New<'_>,
    checks: &db::filing::Checks,
    now: DateTime<Utc>,
) -> Result<Filed, FileError> {
    let appeal = filing.appeal;
    if checks.transaction_id_taken {
        return Err(FileError::Refused(Refused::TransactionIdTaken));
    }
    // Before the quota: a filing refused here must not use up one of the year's appeals.
    let Some(receipt_slot) =
        (1..=policy::RECEIPTS_PER_MAILBOX_PER_DAY).find(|s| !checks.receipt_slots.contains(s))
    else {
        return Err(FileError::Refused(Refused::MailboxBusy));
    };
    let Some(slot) = (1..=policy::APPEALS_PER_YEAR).find(|s| !checks.quota_slots.contains(s))
    else {
        return Err(FileError::Refused(Refused::QuotaUsed {
            next_opening: policy::next_quota_opening(new.year),
        }));
    };

    let (dates, arrangements) =
        super::working_days::review_dates(conn, new.filed_on, &checks.calendar_stamp)?;
    let tracking_token = keys.tracking_token(filing.submission_key);
    let number = case_number(new.filed_on, rand::rng().random());
    let receipt = |files| Receipt {
        lang: filing.lang,
        case_number: number.clone(),
        packet_kind: appeal.packet_kind.label(filing.lang),
        amount: appeal.amount.to_string(),
        sent_at: cst::format_local(appeal.sent_at.utc()),
        review_target: MailDate::counted(filing.lang, dates.target, &arrangements),
        review_deadline: MailDate::counted(filing.lang, dates.deadline, &arrangements),
        target_days: policy::REVIEW_TARGET_WORKING_DAYS,
        deadline_days: policy::REVIEW_DEADLINE_WORKING_DAYS,
        tracking_url: format!("{}/track/{tracking_token}", filing.links_base),
        files,
    };
    // Without files to name, the receipt is written with the case.
    let with_files = checks.pending_files || !filing.files.is_empty();
    let mail = if with_files {
        None
    } else {
        Some(Prepared::new(&receipt(Vec::new())).map_err(Failure::from)?)
    };
    let mail_row = mail
        .as_ref()
        .map(|m| m.row(appeal.email.as_str(), None, now));
    let case_id = db::filing::insert(
        conn,
        &db::filing::Filed {
            case: &NewCase {
                case_number: &number,
                status: CaseStatus::Submitted,
                tracking_token_hash: &keys::digest(&tracking_token),
                submission_key_hash: new.key_hash,
                submission_fingerprint: fingerprint,
                lang: filing.lang,
                wechat_id: appeal.wechat_id.as_str(),
                email: appeal.email.as_str(),
                packet_kind: appeal.packet_kind,
                amount_fen: appeal.amount.get(),
                sent_at: appeal.sent_at.utc().naive_utc(),
                transaction_id: appeal.transaction_id.as_str(),
                counterparty_phone_suffix: appeal.counterparty_phone_suffix.as_str(),
                card_last4: appeal.card_last4.as_str(),
                account: appeal.account.as_str(),
                filed_at: now.naive_utc(),
                filed_on: new.filed_on,
                review_target: dates.target,
                review_deadline: dates.deadline,
                updated_at: now.naive_utc(),
                quota_year: new.year,
                client_addr: filing.client_ip.map(ClientIp::new),
                claim_status: Some(appeal.claim.status),
                claim_acknowledged: appeal.claim.acknowledged,
            },
            quota_slot: slot,
            mailbox: new.mailbox,
            receipt_slot,
            event_kind: EventKind::Filed,
            mail: mail_row.as_ref(),
        },
    )?;
    for reason in filing.guidance {
        db::guidance_counts::count(conn, new.filed_on, *reason, true)?;
    }
    if with_files {
        let files = match evidence::attach(
            conn,
            case_id,
            Some(filing.submission_key),
            filing.files,
            &Actor::Appellant,
            now,
        )? {
            // By kind and count: a file's name is the sender's text (it could carry a link).
            Ok(kinds) => crate::email::messages::files_by_kind(filing.lang, &kinds),
            Err(problem) => return Err(FileError::Refused(Refused::Evidence(problem))),
        };
        email::enqueue(
            conn,
            &receipt(files),
            appeal.email.as_str(),
            Some(case_id),
            now,
        )
        .map_err(Failure::from)?;
    }
    Ok(Filed::New { tracking_token })
}

/// A submission the guidance stopped (claimed without the acknowledgement, or already
/// returned): counted, nothing else written.
fn stopped_by_guidance(
    conn: &mut DbConn,
    reason: Reason,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    db::write_tx(conn, |conn| {
        db::guidance_counts::count(conn, cst::local_date(now), reason, false)
    })?;
    Ok(())
}
