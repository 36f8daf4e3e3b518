//! What an agent sees on a case's page, read together with the record that they opened
//! it: one transaction, so the trail shown includes the view it records.

use chrono::{DateTime, Utc};
use diesel::Connection;

use super::Failure;
use super::evidence;
use super::review;
use super::working_days;
use crate::db::{self, DbConn};
use crate::domain::Actor;
use crate::domain::calendar::Arrangements;
use crate::domain::ids::SavedReplyId;
use crate::domain::{cst, policy, review_clock};
use crate::storage::Session;

use super::views::{self, AgentView, CaseView, EventView, EvidenceFile};
use crate::db::cases::CaseRow;

pub struct CaseFile {
    pub case: CaseView,
    pub timeline: Vec<EventView>,
    pub files: Vec<EvidenceFile>,
    /// Every account, for the assignee's name and the assign form.
    pub agents: Vec<AgentView>,
    /// Negative when overdue, 0 when due today.
    pub working_days_left: i64,
    /// Which years' arrangements are loaded: dates in others are provisional.
    pub arrangements: Arrangements,
    /// Other filings of this WeChat ID this quota year that came from another email or
    /// client address: a sign that someone uses up another person's appeals.
    pub contested_by: Vec<Sibling>,
    /// Other agents who opened the case lately: name and when, the latest first.
    pub viewers: Vec<(String, chrono::NaiveDateTime)>,
    /// The saved replies an agent may pick from.
    pub replies: Vec<views::SavedReplyView>,
    /// The one picked, ready for this case.
    pub picked: Option<super::saved_replies::Filled>,
}

pub struct Sibling {
    pub case_number: String,
    pub status: crate::domain::case_status::CaseStatus,
    pub other_email: bool,
    pub other_address: bool,
}

fn contested_by(conn: &mut DbConn, case: &CaseRow) -> Result<Vec<Sibling>, Failure> {
    let siblings = db::cases::same_wechat_id_and_year(conn, case)?;
    Ok(siblings
        .into_iter()
        .map(|s| Sibling {
            other_email: !s.email.eq_ignore_ascii_case(&case.email),
            other_address: matches!((s.client_addr, case.client_addr), (Some(a), Some(b)) if a != b),
            case_number: s.case_number,
            status: s.status,
        })
        // A voided filing has given its slot back: nothing left to contest (as the queue's
        // filter counts it).
        .filter(|s| {
            (s.other_email || s.other_address)
                && s.status != crate::domain::case_status::CaseStatus::Voided
        })
        .collect())
}

/// The case, or `None` when there is no such case. `record_view`: the agent opened the
/// page (not a re-render after an action).
pub fn open(
    session: &mut Session<'_>,
    case_number: &str,
    actor: &Actor,
    record_view: bool,
    pick: Option<SavedReplyId>,
    now: DateTime<Utc>,
) -> Result<Option<CaseFile>, Failure> {
    let read = |conn: &mut DbConn| -> Result<Option<CaseFile>, Failure> {
        let Some(case) = db::cases::by_number(conn, case_number)? else {
            return Ok(None);
        };
        if record_view {
            review::record_view(conn, case.id, actor, now)?;
        }
        let timeline = db::events::for_case(conn, case.id)?;
        let files = db::evidence::for_case(conn, case.id)?;
        let agents = db::agents::all(conn)?;
        let today = cst::local_date(now);
        let calendar = working_days::calendar_from(conn, today.min(case.review_deadline))?;
        let working_days_left =
            review_clock::working_days_left(&calendar, today, case.review_deadline);
        let arrangements = db::calendar::arrangements(conn)?;
        let contested_by = contested_by(conn, &case)?;
        let viewers = match actor.agent_id() {
            Some(me) => db::events::viewers_since(
                conn,
                case.id,
                (now - chrono::Duration::minutes(policy::VIEWERS_SHOWN_MINUTES)).naive_utc(),
                me,
                policy::VIEWERS_SHOWN_MAX,
            )?,
            None => Vec::new(),
        };
        let replies = super::saved_replies::list(conn)?;
        let case: CaseView = case.into();
        let picked = replies
            .iter()
            .find(|r| Some(r.id) == pick)
            .map(|r| super::saved_replies::filled_for(r, &case));
        Ok(Some(CaseFile {
            contested_by,
            viewers,
            replies,
            picked,
            case,
            timeline: views::all(timeline),
            files: views::all(files),
            agents: views::all(agents),
            working_days_left,
            arrangements,
        }))
    };
    if record_view {
        session.write(read)
    } else {
        session.conn().transaction(read)
    }
}

/// One of the case's files, for an agent; opening the full file is recorded when `record`.
pub fn open_file(
    session: &mut Session<'_>,
    case_number: &str,
    file_key: &str,
    thumbnail: bool,
    actor: &Actor,
    record: bool,
    now: DateTime<Utc>,
) -> Result<Option<evidence::Served>, Failure> {
    let open = |conn: &mut DbConn| -> Result<Option<evidence::Served>, Failure> {
        let Some(case) = db::cases::by_number(conn, case_number)? else {
            return Ok(None);
        };
        evidence::open(conn, case.id, file_key, thumbnail, actor, record, now)
    };
    // A thumbnail is part of the page; opening the file is recorded, so it writes.
    if thumbnail || !record {
        open(session.conn())
    } else {
        session.write(open)
    }
}
