//! Moving a case through review: every transition checks who acts and whether the case
//! allows it, writes the change and its audit event in one transaction.

use chrono::{DateTime, Utc};

use super::Failure;
use super::evidence::{self, UploadProblem};
use super::working_days;
use crate::db::{self, DbConn, cases::CaseRow, events::NewEvent};
use crate::domain::Actor;
use crate::domain::agent;
use crate::domain::calendar::ReviewDates;
use crate::domain::case_status::{Action, CaseStatus, IllegalTransition};
use crate::domain::claim::ClaimStatus;
use crate::domain::decision::{Decision, Outcome};
use crate::domain::guidance;
use crate::domain::ids::{AgentId, CaseId, CaseVersion};
use crate::domain::notices;
use crate::domain::text::CaseText;
use crate::domain::timeline::EventKind;
use crate::domain::{Lang, Refusal, cst, policy, review_clock};
use crate::email::{
    self, Assigned, CaseNews, Closed, EvidenceRequested, MailDate, News, Voided, Withdrawn,
};
use crate::evidence_files::CleanFile;

/// A step in a case's review, its texts already parsed: a command cannot carry a text
/// the rules refuse.
#[derive(Clone, Debug)]
pub enum Command {
    Claim,
    Assign {
        agent_id: AgentId,
    },
    RequestEvidence {
        message: CaseText,
    },
    /// The appellant's answer; the files kept for `form_key` (`evidence::keep_for_form`)
    /// come with it, and those sent with it (`act_as_appellant`'s `files`).
    Reply {
        text: CaseText,
        form_key: Option<String>,
    },
    Decide(Decision),
    RecordCarriedOut,
    CloseNoResponse,
    Withdraw,
    Void {
        reason: CaseText,
    },
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Claim => Action::Claim,
            Command::Assign { .. } => Action::Assign,
            Command::RequestEvidence { .. } => Action::RequestEvidence,
            Command::Reply { .. } => Action::AppellantReplied,
            Command::Decide(d) => match d.outcome {
                Outcome::Approved => Action::Approve,
                Outcome::Rejected => Action::Reject,
            },
            Command::RecordCarriedOut => Action::RecordCarriedOut,
            Command::CloseNoResponse => Action::CloseNoResponse,
            Command::Withdraw => Action::Withdraw,
            Command::Void { .. } => Action::Void,
        }
    }

    /// The text the command carries, which the timeline shows (`lang`: the appellant's,
    /// for a standard reason).
    fn text(&self, lang: Lang) -> Option<&str> {
        match self {
            Command::RequestEvidence { message: text }
            | Command::Reply { text, .. }
            | Command::Void { reason: text } => Some(text.as_str()),
            Command::Decide(d) => Some(d.reason.text(lang)),
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
    /// The chosen assignee does not exist or is disabled.
    #[error("no such active agent")]
    InactiveAssignee,
    /// The files that came with a reply would pass the case's limit.
    #[error("evidence refused: {0:?}")]
    Evidence(UploadProblem),
    /// The case changed after the acting page was loaded: what changed, the latest first.
    #[error("the case changed since the page was loaded")]
    Stale(Vec<Change>),
    #[error(transparent)]
    Failure(#[from] Failure),
}

impl Refusal for ReviewError {
    fn message(&self, lang: Lang) -> String {
        match self {
            ReviewError::NotFound => lang
                .t("找不到这个案件。", "There is no such case.")
                .to_owned(),
            ReviewError::Forbidden => lang
                .t(
                    "你的账号不能对这个案件进行这个操作。",
                    "Your account may not do this on this case.",
                )
                .to_owned(),
            ReviewError::Illegal(illegal) => illegal.message(lang),
            ReviewError::InactiveAssignee => lang
                .t("请选择一位在职的客服。", "Choose an active agent.")
                .to_owned(),
            ReviewError::Evidence(problem) => problem.message(lang),
            ReviewError::Stale(changes) => {
                let list: Vec<String> = changes.iter().map(|c| c.describe(lang)).collect();
                let list = list.join(lang.t("；", "; "));
                match lang {
                    Lang::Zh => format!(
                        "你打开页面后，这个案件有了变化：{list}。什么都没有改动：请重新载入页面，看过最新情况后再操作。"
                    ),
                    Lang::En => format!(
                        "This case changed after you opened the page: {list}. Nothing was changed: reload the page, see what is true now, then act again."
                    ),
                }
            }
            ReviewError::Failure(_) => lang
                .t(
                    "系统出错，请稍后再试。",
                    "Something went wrong on our side: please try again.",
                )
                .to_owned(),
        }
    }
}

impl From<diesel::result::Error> for ReviewError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failure(e.into())
    }
}

/// A change of the case that an acting page did not show.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: EventKind,
    pub actor: String,
    pub at: chrono::NaiveDateTime,
}

impl Change {
    /// "14:05 李伟: Added an internal note".
    pub fn describe(&self, lang: Lang) -> String {
        let at = cst::format_local(self.at.and_utc());
        format!("{at} {}: {}", self.actor, self.kind.for_agent(lang))
    }
}

/// Refuses to act on a case that changed since the page that acts showed version `seen`,
/// naming what changed. `None`: the client showed no page (a script), nothing to compare.
fn still_as_seen(
    conn: &mut DbConn,
    case: &CaseRow,
    seen: Option<CaseVersion>,
) -> Result<(), ReviewError> {
    let Some(seen) = seen else {
        return Ok(());
    };
    if seen.get() == case.version {
        return Ok(());
    }
    let missed = (case.version - seen.get()).clamp(1, policy::STALE_CHANGES_LISTED);
    let changes = db::events::latest_changes(conn, case.id, missed)?
        .into_iter()
        .map(|e| Change {
            kind: e.kind,
            actor: e.actor,
            at: e.at,
        })
        .collect();
    Err(ReviewError::Stale(changes))
}

pub struct Transitioned {
    pub case: CaseRow,
    pub from: CaseStatus,
    pub to: CaseStatus,
    /// Whose the case was before the step.
    pub assignee_before: Option<AgentId>,
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
        // Locked before the permission check: a reassignment cannot slip in between.
        let case =
            db::cases::by_number_for_update(conn, case_number)?.ok_or(ReviewError::NotFound)?;
        act_on(conn, case, actor, command, links_base, now)
    })
}

/// The appellant's command on the case their tracking link opens, in one transaction: a
/// link replaced meanwhile (`/track/recover`) acts on nothing. `files`: those sent with
/// a reply, checked and cleaned (`evidence::Received`), attached with it.
pub fn act_as_appellant(
    conn: &mut DbConn,
    token: &str,
    command: &Command,
    files: &[CleanFile],
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<Transitioned, ReviewError> {
    let digest = crate::keys::digest(token);
    db::write_tx(conn, |conn| {
        let number = db::cases::by_tracking_token(conn, &digest)?
            .ok_or(ReviewError::NotFound)?
            .case_number;
        let case = db::cases::by_number_for_update(conn, &number)?.ok_or(ReviewError::NotFound)?;
        // Read again under the lock: the link still opens this case.
        let still = db::cases::by_tracking_token(conn, &digest)?;
        if still.is_none_or(|c| c.id != case.id) {
            return Err(ReviewError::NotFound);
        }
        let done = apply(conn, case, &Actor::Appellant, command, files, None, now)?;
        notify(conn, &done, &Actor::Appellant, command, links_base, now)?;
        Ok(done)
    })
}

/// `act`, inside the caller's transaction, on a case already read.
pub(super) fn act_on(
    conn: &mut DbConn,
    case: CaseRow,
    actor: &Actor,
    command: &Command,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<Transitioned, ReviewError> {
    let done = apply(conn, case, actor, command, &[], None, now)?;
    notify(conn, &done, actor, command, links_base, now)?;
    Ok(done)
}

/// Closes an approved case as carried out, inside the caller's transaction, with `note`
/// (the back office's result) on the timeline. The caller mails the appellant.
pub fn close_with_result(
    conn: &mut DbConn,
    case: CaseRow,
    actor: &Actor,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Transitioned, ReviewError> {
    apply(
        conn,
        case,
        actor,
        &Command::RecordCarriedOut,
        &[],
        Some(note),
        now,
    )
}

/// `files`: sent with a reply. `note`: the timeline's text when the command carries none
/// of its own.
fn apply(
    conn: &mut DbConn,
    case: CaseRow,
    actor: &Actor,
    command: &Command,
    files: &[CleanFile],
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Transitioned, ReviewError> {
    let given = note;
    let assignee_before = case.assignee_id;
    let action = command.action();
    let permitted = match actor {
        Actor::Agent { id, role, .. } => agent::may(*role, action, case.assignee_id == Some(*id)),
        Actor::Appellant => matches!(action, Action::AppellantReplied | Action::Withdraw),
        Actor::System => action == Action::CloseNoResponse,
        Actor::ApiKey { .. } => action == Action::RecordCarriedOut,
    };
    if !permitted {
        return Err(ReviewError::Forbidden);
    }
    let from = case.status;
    let today = cst::local_date(now);
    // Past its last day a request is unanswerable, even before the job closes the case.
    if action == Action::AppellantReplied && case.reply_due.is_some_and(|due| today > due) {
        return Err(ReviewError::Illegal(IllegalTransition { from, action }));
    }
    let to = from.after(action).map_err(ReviewError::Illegal)?;
    if !db::cases::set_status(conn, &case, to, now.naive_utc())? {
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
                return Err(ReviewError::InactiveAssignee);
            }
            db::cases::set_assignee(conn, case.id, *agent_id)?;
        }
        Command::RequestEvidence { message } => {
            let calendar = working_days::calendar_from(conn, today)?;
            let due = review_clock::reply_due(&calendar, today);
            db::cases::set_awaiting(conn, case.id, today, due, message.as_str())?;
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
        Command::Decide(decision) => {
            db::cases::set_decision(conn, case.id, decision.reason.text(case.lang), today)?;
        }
        Command::Void { .. } => {
            db::quota::release(conn, case.id)?;
        }
        Command::RecordCarriedOut | Command::CloseNoResponse | Command::Withdraw => {}
    }

    let note = match command {
        Command::Assign { agent_id } => Some(format!("agent #{agent_id}")),
        other => other.text(case.lang).or(given).map(str::to_owned),
    };
    db::events::append(
        conn,
        &NewEvent {
            case_id: case.id,
            at: now.naive_utc(),
            actor: actor.name(),
            kind: EventKind::from(action),
            from_status: Some(from),
            to_status: Some(to),
            note: note.as_deref(),
            agent_id: actor.agent_id(),
        },
    )?;
    if let Command::Reply { form_key, .. } = command
        && let Err(problem) =
            evidence::attach(conn, case.id, form_key.as_deref(), files, actor, now)?
    {
        return Err(ReviewError::Evidence(problem));
    }
    let case = db::cases::by_number(conn, &case.case_number)?.ok_or(ReviewError::NotFound)?;
    Ok(Transitioned {
        case,
        from,
        to,
        assignee_before,
    })
}

/// What an agent does from the case page: a step of the review, or an internal note.
#[derive(Clone, Debug)]
pub enum Step {
    Review(Command),
    Note(CaseText),
}

/// `step` on the case, if it is still as the acting page showed it (`seen`): checked in
/// the step's own transaction, under the case's lock.
pub fn perform(
    conn: &mut DbConn,
    case_number: &str,
    actor: &Actor,
    step: &Step,
    seen: Option<CaseVersion>,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    db::write_tx(conn, |conn| {
        let case =
            db::cases::by_number_for_update(conn, case_number)?.ok_or(ReviewError::NotFound)?;
        still_as_seen(conn, &case, seen)?;
        match step {
            Step::Review(command) => act_on(conn, case, actor, command, links_base, now).map(drop),
            Step::Note(text) => {
                super::timeline::record(
                    conn,
                    case.id,
                    actor,
                    EventKind::Note,
                    Some(text.as_str()),
                    now,
                )?;
                Ok(())
            }
        }
    })
}

/// Records that an agent opened the case: once per agent and case within
/// `policy::VIEW_RECORD_MINUTES`, so the trail shows who looked without a line per reload.
pub fn record_view(
    conn: &mut DbConn,
    case_id: CaseId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let Some(agent) = actor.agent_id() else {
        return Ok(());
    };
    let since = (now - chrono::Duration::minutes(policy::VIEW_RECORD_MINUTES)).naive_utc();
    if !db::events::recorded_since(conn, case_id, agent, EventKind::ViewedCase, since, None)? {
        super::timeline::record(conn, case_id, actor, EventKind::ViewedCase, None, now)?;
    }
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
    let lang = case.lang;
    let number = case.case_number.clone();
    let result = match command {
        Command::RequestEvidence { message } => {
            let reply_due = case.reply_due.unwrap_or(case.review_deadline);
            let arrangements = db::calendar::arrangements(conn)?;
            let mail = EvidenceRequested {
                lang,
                case_number: number,
                request: message.as_str().to_owned(),
                reply_due: MailDate::counted(lang, reply_due, &arrangements),
            };
            email::enqueue(conn, &mail, &case.email, Some(case.id), now)
        }
        Command::Decide(_) => {
            let mail = email::Decision {
                lang,
                case_number: number,
                approved: done.to == CaseStatus::Approved,
                reason: case.decision_reason.clone().unwrap_or_default(),
                what_works: (done.to == CaseStatus::Rejected
                    && case.claim_status == Some(ClaimStatus::Claimed))
                .then(|| guidance::what_works_when_claimed(lang)),
            };
            email::enqueue(conn, &mail, &case.email, Some(case.id), now)
        }
        Command::Void { .. } => {
            let mail = Voided {
                lang,
                case_number: number,
            };
            email::enqueue(conn, &mail, &case.email, Some(case.id), now)
        }
        Command::RecordCarriedOut | Command::CloseNoResponse => {
            let why = match command {
                Command::RecordCarriedOut => {
                    lang.t("决定已执行。", "the decision was carried out.")
                }
                _ => lang.t(
                    "未在期限内回复补充材料的请求。",
                    "there was no reply to the request for evidence in time.",
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
            email::enqueue(conn, &mail, &case.email, Some(case.id), now)?;
            tell_agent(
                conn,
                case,
                case.assignee_id,
                News::Withdrew,
                links_base,
                now,
            )?;
            Ok(())
        }
        Command::Reply { text, .. } => {
            let news = News::Replied {
                first_lines: notices::first_lines(text.as_str()),
            };
            tell_agent(conn, case, case.assignee_id, news, links_base, now)?;
            Ok(())
        }
        Command::Assign { agent_id } => {
            // The agent it was taken from, unless they gave it away themselves.
            if done.assignee_before != Some(*agent_id) && done.assignee_before != actor.agent_id() {
                tell_agent(
                    conn,
                    case,
                    done.assignee_before,
                    News::Unassigned,
                    links_base,
                    now,
                )?;
            }
            if actor.agent_id() == Some(*agent_id) {
                return Ok(());
            }
            let Some(agent) = db::agents::by_id(conn, *agent_id)? else {
                return Ok(());
            };
            let prefs = db::agent_prefs::of(conn, *agent_id)?;
            if !prefs.assigned {
                return Ok(());
            }
            let arrangements = db::calendar::arrangements(conn)?;
            let mail = Assigned {
                lang: prefs.lang,
                agent_name: agent.name,
                deadline: MailDate::counted(prefs.lang, case.review_deadline, &arrangements),
                case_url: format!("{links_base}/agent/cases/{number}"),
                case_number: number,
            };
            email::enqueue(conn, &mail, &agent.email, Some(case.id), now)
        }
        Command::Claim => Ok(()),
    };
    result.map_err(Failure::from)
}

/// Mails `agent` (the case's assignee, or the agent it was taken from) what happened, in
/// their language, if they chose to be told.
fn tell_agent(
    conn: &mut DbConn,
    case: &CaseRow,
    agent: Option<AgentId>,
    news: News,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let Some(agent_id) = agent else {
        return Ok(());
    };
    let prefs = db::agent_prefs::of(conn, agent_id)?;
    let wanted = match news {
        News::Replied { .. } => prefs.replied,
        News::Withdrew => prefs.withdrawn,
        News::Unassigned => prefs.assigned,
    };
    let Some(agent) = db::agents::by_id(conn, agent_id)? else {
        return Ok(());
    };
    if !wanted || agent.disabled_at.is_some() {
        return Ok(());
    }
    let mail = CaseNews {
        lang: prefs.lang,
        agent_name: agent.name,
        case_number: case.case_number.clone(),
        case_url: format!("{links_base}/agent/cases/{}", case.case_number),
        news,
    };
    email::enqueue(conn, &mail, &agent.email, Some(case.id), now)?;
    Ok(())
}
