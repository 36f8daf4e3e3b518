//! What the back office does through the API: list cases by last change, read one, fetch
//! a file, and report the recovery result of an approved case (which closes it).

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::Failure;
use super::evidence::Served;
use super::review::{self, ReviewError};
use crate::db::{self, DbConn};
use crate::domain::Actor;
use crate::domain::api::{RecoveryReport, RecoveryResult, ReportRefusal};
use crate::domain::calendar::Arrangements;
use crate::domain::case_status::{CaseStatus, IllegalTransition};
use crate::domain::ids::ApiKeyId;
use crate::domain::money::Fen;
use crate::domain::timeline::EventKind;
use crate::domain::{Lang, Refusal, policy};
use crate::email::{self, NotRecovered, Recovered};
use crate::storage::Session;

use super::views::{self, CaseView, EventView, EvidenceFile, RecoveryOutcome};
use crate::db::api_keys::OutcomeRow;
use crate::db::cases::CaseRow;
use crate::domain::queue::{ChangeCursor, ChangeFilter};

/// One page of cases by last change, and where the next starts (none after the last).
pub struct ChangedPage {
    pub cases: Vec<CaseView>,
    pub next: Option<ChangeCursor>,
}

/// `limit` is already within `1..=policy::API_PAGE_MAX`.
pub fn list(
    conn: &mut DbConn,
    filter: &ChangeFilter,
    after: Option<ChangeCursor>,
    limit: i64,
) -> Result<ChangedPage, Failure> {
    // One more than asked: whether a next page exists, without a count.
    let mut cases = db::cases::by_change(conn, filter, after, limit + 1)?;
    let more = cases.len() as i64 > limit;
    cases.truncate(limit as usize);
    let next = more.then(|| cases.last()).flatten().map(|c| ChangeCursor {
        updated_at: c.updated_at,
        id: c.id,
    });
    Ok(ChangedPage {
        cases: views::all(cases),
        next,
    })
}

/// A case as agents see it, for the API.
pub struct CaseDetail {
    pub case: CaseView,
    pub assignee: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub outcome: Option<RecoveryOutcome>,
    pub files: Vec<EvidenceFile>,
    pub timeline: Vec<EventView>,
    /// Whether its review dates fall in a year whose official arrangement is not loaded.
    pub provisional: bool,
}

pub fn read(conn: &mut DbConn, case_number: &str) -> Result<Option<CaseDetail>, Failure> {
    let Some(case) = db::cases::by_number(conn, case_number)? else {
        return Ok(None);
    };
    detail(conn, case).map(Some)
}

fn detail(conn: &mut DbConn, case: CaseRow) -> Result<CaseDetail, Failure> {
    let assignee = match case.assignee_id {
        Some(id) => db::agents::by_id(conn, id)?.map(|a| a.email),
        None => None,
    };
    let timeline = db::events::for_case(conn, case.id)?;
    let decided_at = timeline
        .iter()
        .rev()
        .find(|e| matches!(e.kind, EventKind::Approved | EventKind::Rejected))
        .map(|e| e.at);
    let files = db::evidence::for_case(conn, case.id)?;
    let outcome = db::api_keys::outcome_of(conn, case.id)?;
    let arrangements: Arrangements = db::calendar::arrangements(conn)?;
    let provisional = arrangements.is_provisional(case.review_target)
        || arrangements.is_provisional(case.review_deadline);
    Ok(CaseDetail {
        case: case.into(),
        assignee,
        decided_at,
        outcome: outcome.map(RecoveryOutcome::from),
        files: views::all(files),
        timeline: views::all(timeline),
        provisional,
    })
}

/// One of the case's files; `None` when the case or the key is not there. Recorded on the
/// case's timeline under the key's name (once per key and file within
/// `policy::VIEW_RECORD_MINUTES`), as an agent's opening is.
pub fn file(
    session: &mut Session<'_>,
    case_number: &str,
    file_key: &str,
    caller: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<Served>, Failure> {
    super::case_page::open_file(session, case_number, file_key, false, caller, true, now)
}

/// A report as it arrived, before the rules (which need the case's amount).
#[derive(Clone, Debug)]
pub struct OutcomeRequest {
    pub result: String,
    pub reference: String,
    pub amount_fen: Option<i64>,
    pub note: String,
}

/// What makes a POST repeatable: its `Idempotency-Key` and a digest of its body.
#[derive(Clone, Debug)]
pub struct Idempotency {
    pub api_key: ApiKeyId,
    pub key: String,
    pub request_hash: String,
}

/// The answer to a POST: its status and JSON body, as first given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OutcomeError {
    #[error("no such case")]
    NotFound,
    /// Only an approved case has a recovery to report.
    #[error("the case is {0:?}, not approved")]
    NotApproved(CaseStatus),
    #[error("invalid report: {0:?}")]
    Invalid(Vec<ReportRefusal>),
    /// The Idempotency-Key was used before with another body.
    #[error("idempotency key reused with another request")]
    KeyReused,
    #[error(transparent)]
    Failure(#[from] Failure),
}

impl From<diesel::result::Error> for OutcomeError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failure(e.into())
    }
}

impl Refusal for OutcomeError {
    fn message(&self, lang: Lang) -> String {
        match self {
            OutcomeError::NotFound => lang
                .t("找不到这个案件。", "There is no such case.")
                .to_owned(),
            OutcomeError::NotApproved(status) => match lang {
                Lang::Zh => format!(
                    "只有已通过的案件才能报告追回结果；这个案件的状态是“{}”（{}）。",
                    status.label(Lang::Zh),
                    crate::domain::stored::Stored::stored(*status)
                ),
                Lang::En => format!(
                    "Only an approved case has a recovery result to report; this case is {} ({}).",
                    status.label(Lang::En),
                    crate::domain::stored::Stored::stored(*status)
                ),
            },
            OutcomeError::Invalid(_) => lang
                .t(
                    "报告中有无效的字段。",
                    "Some fields of the report are invalid.",
                )
                .to_owned(),
            OutcomeError::KeyReused => lang
                .t(
                    "这个 Idempotency-Key 已用于另一个不同的请求。",
                    "This Idempotency-Key was used before for a different request.",
                )
                .to_owned(),
            OutcomeError::Failure(_) => lang
                .t(
                    "系统出错，请稍后再试。",
                    "Something went wrong on our side: please try again.",
                )
                .to_owned(),
        }
    }
}

/// Reports the recovery result of an approved case: closes it as carried out (the result
/// on the timeline, under the key's name), keeps the result, and mails the appellant in
/// their language, all in one transaction. The same `Idempotency-Key` with the same body
/// answers the first answer again and changes nothing. `render`: the answer's body from
/// the case as it now is.
pub fn report_outcome(
    conn: &mut DbConn,
    key_name: &str,
    idempotency: &Idempotency,
    case_number: &str,
    request: &OutcomeRequest,
    render: impl FnOnce(&CaseDetail) -> String,
    now: DateTime<Utc>,
) -> Result<Answer, OutcomeError> {
    let since = (now - Duration::hours(policy::API_IDEMPOTENCY_HOURS)).naive_utc();
    // Per case: one key reused for another case's report is another request.
    let scoped_key = format!("{case_number}\n{}", idempotency.key);
    db::write_tx(conn, |conn| {
        db::api_keys::forget_answers_before(conn, since)?;
        if let Some(first) =
            db::api_keys::remembered(conn, idempotency.api_key, &scoped_key, since)?
        {
            if first.request_hash != idempotency.request_hash {
                return Err(OutcomeError::KeyReused);
            }
            return Ok(Answer {
                status: u16::try_from(first.status).unwrap_or(200),
                body: first.body,
            });
        }
        let case =
            db::cases::by_number_for_update(conn, case_number)?.ok_or(OutcomeError::NotFound)?;
        if case.status != CaseStatus::Approved {
            return Err(OutcomeError::NotApproved(case.status));
        }
        let report = RecoveryReport::parse(
            &request.result,
            &request.reference,
            request.amount_fen,
            &request.note,
            Fen::new(case.amount_fen),
        )
        .map_err(OutcomeError::Invalid)?;
        let actor = Actor::ApiKey {
            name: key_name.to_owned(),
        };
        let (lang, email_to, id) = (case.lang, case.email.clone(), case.id);
        review::close_with_result(conn, case, &actor, &timeline_note(&report), now).map_err(
            |e| match e {
                ReviewError::Illegal(IllegalTransition { from, .. }) => {
                    OutcomeError::NotApproved(from)
                }
                ReviewError::NotFound => OutcomeError::NotFound,
                ReviewError::Failure(f) => OutcomeError::Failure(f),
                other => OutcomeError::Failure(Failure::Template(other.to_string())),
            },
        )?;
        db::api_keys::insert_outcome(
            conn,
            id,
            &OutcomeRow {
                result: report.result,
                reference: report.reference.clone(),
                amount_fen: report.amount.map(Fen::get),
                note: report.note.clone(),
                reported_by: key_name.to_owned(),
                reported_at: now.naive_utc(),
            },
        )?;
        let number = case_number.to_owned();
        let mailed = match report.result {
            RecoveryResult::Recovered => {
                let amount = report.amount.unwrap_or(Fen::new(0)).to_string();
                let mail = Recovered {
                    lang,
                    case_number: number,
                    amount,
                    reference: report.reference.clone(),
                };
                email::enqueue(conn, &mail, &email_to, Some(id), now)
            }
            RecoveryResult::NotRecovered => {
                let mail = NotRecovered {
                    lang,
                    case_number: number,
                    reference: report.reference.clone(),
                    note: report.note.clone(),
                };
                email::enqueue(conn, &mail, &email_to, Some(id), now)
            }
        };
        mailed.map_err(Failure::from)?;
        let case = db::cases::by_number(conn, case_number)?.ok_or(OutcomeError::NotFound)?;
        let body = render(&detail(conn, case)?);
        db::api_keys::remember(
            conn,
            idempotency.api_key,
            &scoped_key,
            &idempotency.request_hash,
            200,
            &body,
            now.naive_utc(),
        )?;
        Ok(Answer { status: 200, body })
    })
}

/// What the timeline says of the result (agents read it; the appellant sees the closing).
fn timeline_note(report: &RecoveryReport) -> String {
    let mut note = match (report.result, report.amount) {
        (RecoveryResult::Recovered, Some(amount)) => {
            format!("recovered CNY {amount} (reference {})", report.reference)
        }
        _ => format!("not recovered (reference {})", report.reference),
    };
    if !report.note.is_empty() {
        note.push_str(": ");
        note.push_str(&report.note);
    }
    note
}
