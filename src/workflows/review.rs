//! Moving a case through review: every transition checks who acts and whether the case
//! allows it, writes the change and its audit event in one transaction.

use chrono::{DateTime, Utc};

use super::Failure;
use super::working_days;
use crate::db::{self, DbConn, cases::CaseRow, events::NewEvent};
use crate::domain::agent::{self, Role};
use crate::domain::calendar::ReviewDates;
use crate::domain::case_status::{Action, CaseStatus, IllegalTransition};
use crate::domain::text::{CaseText, CaseTextError};
use crate::domain::{Lang, cst, review_clock};
use crate::email::{self, Assigned, Closed, Decision, EvidenceRequested, MailDate, Withdrawn};

/// Who acts on a case.
#[derive(Clone, Debug)]
pub enum Actor {
    Agent {
        id: i64,
        email: String,
        role: Role,
    },
    Appellant,
    /// The periodic job.
    System,
}

impl Actor {
    fn name(&self) -> &str {
        match self {
            Actor::Agent { email, .. } => email,
            Actor::Appellant => "appellant",
            Actor::System => "system",
        }
    }

    fn agent_id(&self) -> Option<i64> {
        match self {
            Actor::Agent { id, .. } => Some(*id),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Command {
    Claim,
    Assign { agent_id: i64 },
    RequestEvidence { message: String },
    Reply { text: String },
    Approve { reason: String },
    Reject { reason: String },
    RecordCarriedOut,
    CloseNoResponse,
    Withdraw,
    Void { reason: String },
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Claim => Action::Claim,
            Command::Assign { .. } => Action::Assign,
            Command::RequestEvidence { .. } => Action::RequestEvidence,
            Command::Reply { .. } => Action::AppellantReplied,
            Command::Approve { .. } => Action::Approve,
            Command::Reject { .. } => Action::Reject,
            Command::RecordCarriedOut => Action::RecordCarriedOut,
            Command::CloseNoResponse => Action::CloseNoResponse,
            Command::Withdraw => Action::Withdraw,
            Command::Void { .. } => Action::Void,
        }
    }

    /// The text the command carries, which the timeline shows.
    fn text(&self) -> Option<&str> {
        match self {
            Command::RequestEvidence { message } => Some(message),
            Command::Reply { text } => Some(text),
            Command::Approve { reason } | Command::Reject { reason } | Command::Void { reason } => {
                Some(reason)
            }
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no such case")]
    NotFound,
    #[error("not allowed for this account")]
    Forbidden,
    #[error("the case does not allow this now: {0:?}")]
    Illegal(IllegalTransition),
    /// The text an action carries is refused.
    #[error("text refused: {0:?}")]
    Text(CaseTextError),
    /// The assignee does not exist or is disabled (or the stored status is unknown).
    #[error("invalid: {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Failure(#[from] Failure),
}

impl From<diesel::result::Error> for ReviewError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failure(e.into())
    }
}

pub struct Transitioned {
    pub case: CaseRow,
    pub from: CaseStatus,
    pub to: CaseStatus,
}

/// Applies `command` to the case, if the actor may and the case allows it now.
/// `links_base` starts the links that mails carry (`PUBLIC_BASE_URL`).
pub fn act(
    conn: &mut DbConn,
    case_number: &str,
    actor: &Actor,
    command: &Command,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<Transitioned, ReviewError> {
    db::write_tx(conn, |conn| {
        let case = db::cases::by_number(conn, case_number)?.ok_or(ReviewError::NotFound)?;
        let done = apply(conn, case, actor, command, now)?;
        notify(conn, &done, actor, command, links_base, now)?;
        Ok(done)
    })
}

fn apply(
    conn: &mut DbConn,
    case: CaseRow,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Transitioned, ReviewError> {
    let action = command.action();
    let permitted = match actor {
        Actor::Agent { id, role, .. } => agent::may(*role, action, case.assignee_id == Some(*id)),
        Actor::Appellant => matches!(action, Action::AppellantReplied | Action::Withdraw),
        Actor::System => action == Action::CloseNoResponse,
    };
    if !permitted {
        return Err(ReviewError::Forbidden);
    }
    if let Some(text) = command.text() {
        CaseText::parse(text).map_err(ReviewError::Text)?;
    }
    let from = CaseStatus::parse(&case.status).ok_or(ReviewError::Invalid("status"))?;
    let today = cst::local_date(now);
    // Past its last day a request is unanswerable, even before the job closes the case.
    if action == Action::AppellantReplied && case.reply_due.is_some_and(|due| today > due) {
        return Err(ReviewError::Illegal(IllegalTransition { from, action }));
    }
    let to = from.after(action).map_err(ReviewError::Illegal)?;
    if !db::cases::set_status(conn, case.id, from.as_str(), to.as_str(), now.naive_utc())? {
        // Someone else moved it between our read and our write.
        return Err(ReviewError::Illegal(IllegalTransition { from, action }));
    }

    match command {
        Command::Claim => {
            if let Some(agent_id) = actor.agent_id() {
                db::cases::set_assignee(conn, case.id, agent_id)?;
            }
        }
        Command::Assign { agent_id } => {
            let enabled =
                db::agents::by_id(conn, *agent_id)?.is_some_and(|a| a.disabled_at.is_none());
            if !enabled {
                return Err(ReviewError::Invalid("assignee"));
            }
            db::cases::set_assignee(conn, case.id, *agent_id)?;
        }
        Command::RequestEvidence { message } => {
            let calendar = working_days::calendar_from(conn, today)?;
            let due = review_clock::reply_due(&calendar, today);
            db::cases::set_awaiting(conn, case.id, today, due, message.trim())?;
        }
        Command::Reply { .. } => {
            let since = case.awaiting_since.unwrap_or(today);
            let calendar = working_days::calendar_from(conn, since.min(case.review_target))?;
            let dates = ReviewDates {
                target: case.review_target,
                deadline: case.review_deadline,
            };
            let moved = review_clock::resume(&calendar, dates, since, today);
            db::cases::resume_review(conn, case.id, moved.target, moved.deadline)?;
        }
        Command::Approve { reason } | Command::Reject { reason } => {
            db::cases::set_decision(conn, case.id, reason.trim(), today)?;
        }
        Command::RecordCarriedOut => db::cases::set_closed_reason(conn, case.id, "carried_out")?,
        Command::CloseNoResponse => db::cases::set_closed_reason(conn, case.id, "no_response")?,
        Command::Withdraw => db::cases::set_closed_reason(conn, case.id, "withdrawn")?,
        Command::Void { .. } => {
            db::quota::release(conn, case.id)?;
            db::cases::set_closed_reason(conn, case.id, "voided")?;
        }
    }

    let note = match command {
        Command::Assign { agent_id } => Some(format!("agent #{agent_id}")),
        other => other.text().map(|t| t.trim().to_owned()),
    };
    db::events::append(
        conn,
        &NewEvent {
            case_id: case.id,
            at: now.naive_utc(),
            actor: actor.name(),
            kind: action.as_str(),
            from_status: Some(from.as_str()),
            to_status: Some(to.as_str()),
            note: note.as_deref(),
            agent_id: actor.agent_id(),
        },
    )?;
    let case = db::cases::by_number(conn, &case.case_number)?.ok_or(ReviewError::NotFound)?;
    Ok(Transitioned { case, from, to })
}

/// An internal note: seen by agents only, kept in the audit trail.
pub fn add_note(
    conn: &mut DbConn,
    case_number: &str,
    actor: &Actor,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    let text = CaseText::parse(text).map_err(ReviewError::Text)?;
    let case = db::cases::by_number(conn, case_number)?.ok_or(ReviewError::NotFound)?;
    record(conn, case.id, actor, "note", Some(text.as_str()), now)?;
    Ok(())
}

/// Appends an event that changes no status (a note, a view of the evidence).
pub fn record(
    conn: &mut DbConn,
    case_id: i64,
    actor: &Actor,
    kind: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    db::events::append(
        conn,
        &NewEvent {
            case_id,
            at: now.naive_utc(),
            actor: actor.name(),
            kind,
            from_status: None,
            to_status: None,
            note,
            agent_id: actor.agent_id(),
        },
    )?;
    Ok(())
}

/// The periodic job: closes every case whose request for evidence went unanswered.
/// Safe to run on several instances at once: each close is a conditional update.
pub fn close_unanswered(
    conn: &mut DbConn,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<usize, Failure> {
    let today = cst::local_date(now);
    let mut closed = 0;
    for number in db::cases::unanswered(conn, today)? {
        match act(
            conn,
            &number,
            &Actor::System,
            &Command::CloseNoResponse,
            links_base,
            now,
        ) {
            Ok(_) => closed += 1,
            // Answered or closed by someone else meanwhile.
            Err(ReviewError::Illegal(_) | ReviewError::NotFound) => {}
            Err(ReviewError::Failure(f)) => return Err(f),
            Err(other) => tracing::warn!(case = %number, error = %other, "could not close"),
        }
    }
    Ok(closed)
}

/// The mail each step sends, written to the outbox in the step's own transaction.
fn notify(
    conn: &mut DbConn,
    done: &Transitioned,
    actor: &Actor,
    command: &Command,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let case = &done.case;
    let lang = Lang::from_code(&case.lang).unwrap_or_default();
    let number = case.case_number.clone();
    let result = match command {
        Command::RequestEvidence { message } => {
            let reply_due = case.reply_due.unwrap_or(case.review_deadline);
            let mail = EvidenceRequested {
                lang,
                case_number: number,
                request: message.trim().to_owned(),
                reply_due: MailDate::new(lang, reply_due),
            };
            email::enqueue(conn, &mail, &case.email, Some(case.id), now)
        }
        Command::Approve { .. } | Command::Reject { .. } => {
            let mail = Decision {
                lang,
                case_number: number,
                approved: done.to == CaseStatus::Approved,
                reason: case.decision_reason.clone().unwrap_or_default(),
            };
            email::enqueue(conn, &mail, &case.email, Some(case.id), now)
        }
        Command::RecordCarriedOut | Command::CloseNoResponse | Command::Void { .. } => {
            let why = match command {
                Command::RecordCarriedOut => {
                    lang.t("决定已执行。", "the decision was carried out.")
                }
                Command::CloseNoResponse => lang.t(
                    "未在期限内回复补充材料的请求。",
                    "there was no reply to the request for evidence in time.",
                ),
                _ => lang.t(
                    "申诉已被作废（滥用，或以他人名义提交）。",
                    "the appeal was voided (abusive, or filed in someone else's name).",
                ),
            };
            let mail = Closed {
                lang,
                case_number: number,
                why,
            };
            email::enqueue(conn, &mail, &case.email, Some(case.id), now)
        }
        Command::Withdraw => {
            let mail = Withdrawn {
                lang,
                case_number: number,
            };
            email::enqueue(conn, &mail, &case.email, Some(case.id), now)
        }
        Command::Assign { agent_id } if actor.agent_id() != Some(*agent_id) => {
            let Some(agent) = db::agents::by_id(conn, *agent_id)? else {
                return Ok(());
            };
            // Staff mail is in Chinese, the console's default language.
            let mail = Assigned {
                lang: Lang::Zh,
                agent_name: agent.name,
                deadline: MailDate::new(Lang::Zh, case.review_deadline),
                case_url: format!("{links_base}/agent/cases/{number}"),
                case_number: number,
            };
            email::enqueue(conn, &mail, &agent.email, Some(case.id), now)
        }
        Command::Claim | Command::Assign { .. } | Command::Reply { .. } => Ok(()),
    };
    result.map_err(Failure::from)
}
