use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::cases;
use super::{DbConn, stats};
use crate::domain::case_number::looks_like_case_number;
use crate::domain::case_status::CaseStatus;
use crate::domain::claim::ClaimStatus;
use crate::domain::client_ip::ClientIp;
use crate::domain::evidence::PacketKind;
use crate::domain::ids::{AgentId, CaseId};
use crate::domain::queue::{ChangeCursor, ChangeFilter, Search};
use crate::domain::{Lang, cst};

#[derive(Insertable)]
#[diesel(table_name = cases)]
pub struct NewCase<'a> {
    pub case_number: &'a str,
    pub status: CaseStatus,
    pub tracking_token_hash: &'a str,
    pub submission_key_hash: &'a str,
    pub submission_fingerprint: &'a str,
    pub lang: Lang,
    pub wechat_id: &'a str,
    pub email: &'a str,
    pub packet_kind: PacketKind,
    pub amount_fen: i64,
    pub sent_at: NaiveDateTime,
    pub transaction_id: &'a str,
    pub counterparty_phone_suffix: &'a str,
    pub card_last4: &'a str,
    pub account: &'a str,
    pub filed_at: NaiveDateTime,
    pub filed_on: NaiveDate,
    pub review_target: NaiveDate,
    pub review_deadline: NaiveDate,
    pub updated_at: NaiveDateTime,
    pub quota_year: i32,
    pub client_addr: Option<ClientIp>,
    pub claim_status: Option<ClaimStatus>,
    pub claim_acknowledged: bool,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: CaseId,
    pub case_number: String,
    pub status: CaseStatus,
    pub submission_fingerprint: String,
    pub lang: Lang,
    pub wechat_id: String,
    pub packet_kind: PacketKind,
    pub amount_fen: i64,
    pub sent_at: NaiveDateTime,
    pub transaction_id: String,
    pub counterparty_phone_suffix: String,
    pub card_last4: String,
    pub filed_at: NaiveDateTime,
    pub filed_on: NaiveDate,
    pub review_target: NaiveDate,
    pub review_deadline: NaiveDate,
    pub email: String,
    pub account: String,
    pub assignee_id: Option<AgentId>,
    pub quota_year: i32,
    pub client_addr: Option<ClientIp>,
    pub awaiting_since: Option<NaiveDate>,
    pub reply_due: Option<NaiveDate>,
    pub evidence_request: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub updated_at: NaiveDateTime,
    pub version: i64,
    /// `None`: filed before the form asked.
    pub claim_status: Option<ClaimStatus>,
    pub claim_acknowledged: bool,
}

pub fn by_submission_key(conn: &mut DbConn, key_hash: &str) -> QueryResult<Option<CaseRow>> {
    on_backend!(conn, |c| cases::table
        .filter(cases::submission_key_hash.eq(key_hash))
        .select(CaseRow::as_select())
        .first(c)
        .optional())
}

pub fn by_tracking_token(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<CaseRow>> {
    on_backend!(conn, |c| cases::table
        .filter(cases::tracking_token_hash.eq(token_hash))
        .select(CaseRow::as_select())
        .first(c)
        .optional())
}

pub fn transaction_id_taken(conn: &mut DbConn, transaction_id: &str) -> QueryResult<bool> {
    let query = diesel::select(diesel::dsl::exists(
        cases::table.filter(cases::transaction_id.eq(transaction_id)),
    ));
    on_backend!(conn, |c| query.get_result(c))
}

pub fn by_number(conn: &mut DbConn, case_number: &str) -> QueryResult<Option<CaseRow>> {
    // Typed into URLs by people and scripts: what cannot be a case number is no case.
    if !looks_like_case_number(case_number) {
        return Ok(None);
    }
    cases::table
        .filter(cases::case_number.eq(case_number))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

/// The case, locked for the rest of the transaction: a review step checks who may act
/// and then writes, and nobody may change the case (its assignee) in between. On
/// PostgreSQL `FOR UPDATE` waits for a concurrent step and then reads what it
/// committed; SQLite's `BEGIN IMMEDIATE` (`write_tx`) already runs writers one at a time.
pub fn by_number_for_update(conn: &mut DbConn, case_number: &str) -> QueryResult<Option<CaseRow>> {
    if !looks_like_case_number(case_number) {
        return Ok(None);
    }
    macro_rules! the_case {
        () => {
            cases::table
                .filter(cases::case_number.eq(case_number))
                .select(CaseRow::as_select())
        };
    }
    match conn {
        DbConn::Postgres(c) => the_case!().for_update().first(c).optional(),
        DbConn::Sqlite(c) => the_case!().first(c).optional(),
    }
}

/// Another case of the same WeChat ID and quota year: its number, email and address.
#[derive(Queryable, Debug, Clone)]
pub struct SiblingRow {
    pub case_number: String,
    pub status: CaseStatus,
    pub email: String,
    pub client_addr: Option<ClientIp>,
}

pub fn same_wechat_id_and_year(conn: &mut DbConn, case: &CaseRow) -> QueryResult<Vec<SiblingRow>> {
    cases::table
        .filter(cases::wechat_id.eq(&case.wechat_id))
        .filter(cases::quota_year.eq(case.quota_year))
        .filter(cases::id.ne(case.id))
        .order(cases::id)
        .select((
            cases::case_number,
            cases::status,
            cases::email,
            cases::client_addr,
        ))
        .load(conn)
}

/// Moves the case from the status it was read with, only if nobody moved it first: false
/// means a concurrent change won. Every status change passes here, and is counted here
/// for the dashboard in the same transaction.
pub fn set_status(
    conn: &mut DbConn,
    case: &CaseRow,
    to: CaseStatus,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let moved = diesel::update(
        cases::table
            .filter(cases::id.eq(case.id))
            .filter(cases::status.eq(case.status)),
    )
    .set((cases::status.eq(to), cases::updated_at.eq(now)))
    .execute(conn)?
        == 1;
    if moved && to != case.status {
        stats::count_entry(
            conn,
            case.id,
            to,
            case.packet_kind,
            cst::local_date(now.and_utc()),
            (case.review_target, case.review_deadline),
        )?;
    }
    Ok(moved)
}

/// Records that the case changed at `now`: `updated_at` moves and `version` grows. Every
/// entry on the case's trail that changes it passes here (`events::append`).
pub fn touch(conn: &mut DbConn, id: CaseId, now: NaiveDateTime) -> QueryResult<()> {
    let update = diesel::update(cases::table.filter(cases::id.eq(id))).set((
        cases::updated_at.eq(now),
        cases::version.eq(cases::version + 1),
    ));
    on_backend!(conn, |c| update.execute(c)).map(drop)
}

/// A new tracking link for the case: the old token's digest no longer opens it.
pub fn set_tracking_token_hash(conn: &mut DbConn, id: CaseId, token_hash: &str) -> QueryResult<()> {
    diesel::update(cases::table.filter(cases::id.eq(id)))
        .set(cases::tracking_token_hash.eq(token_hash))
        .execute(conn)
        .map(drop)
}

pub fn set_assignee(conn: &mut DbConn, id: CaseId, agent_id: AgentId) -> QueryResult<()> {
    diesel::update(cases::table.filter(cases::id.eq(id)))
        .set(cases::assignee_id.eq(agent_id))
        .execute(conn)
        .map(drop)
}

pub fn set_awaiting(
    conn: &mut DbConn,
    id: CaseId,
    since: NaiveDate,
    reply_due: NaiveDate,
    request: &str,
) -> QueryResult<()> {
    diesel::update(cases::table.filter(cases::id.eq(id)))
        .set((
            cases::awaiting_since.eq(since),
            cases::reply_due.eq(reply_due),
            cases::evidence_request.eq(request),
        ))
        .execute(conn)
        .map(drop)
}

/// The appellant answered: the wait ends and the review dates move.
pub fn resume_review(
    conn: &mut DbConn,
    id: CaseId,
    target: NaiveDate,
    deadline: NaiveDate,
) -> QueryResult<()> {
    diesel::update(cases::table.filter(cases::id.eq(id)))
        .set((
            cases::review_target.eq(target),
            cases::review_deadline.eq(deadline),
            cases::awaiting_since.eq(None::<NaiveDate>),
            cases::reply_due.eq(None::<NaiveDate>),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_decision(
    conn: &mut DbConn,
    id: CaseId,
    reason: &str,
    decided_on: NaiveDate,
) -> QueryResult<()> {
    diesel::update(cases::table.filter(cases::id.eq(id)))
        .set((
            cases::decision_reason.eq(reason),
            cases::decided_on.eq(decided_on),
        ))
        .execute(conn)
        .map(drop)
}

/// Cases whose request for evidence went unanswered past its last day.
pub fn unanswered(conn: &mut DbConn, today: NaiveDate) -> QueryResult<Vec<String>> {
    cases::table
        .filter(cases::status.eq(CaseStatus::AwaitingUser))
        .filter(cases::reply_due.lt(today))
        .select(cases::case_number)
        .load(conn)
}

/// Open cases filed by `last` whose review dates or reply day reach `first` or later: the
/// cases a change to the calendar of `first..=last` can move.
pub fn open_touching(
    conn: &mut DbConn,
    first: NaiveDate,
    last: NaiveDate,
) -> QueryResult<Vec<CaseRow>> {
    macro_rules! the_cases {
        () => {
            cases::table
                .filter(cases::status.eq_any(CaseStatus::OPEN))
                .filter(cases::filed_on.le(last))
                .filter(
                    cases::review_deadline
                        .ge(first)
                        .or(cases::review_target.ge(first))
                        .or(cases::reply_due.ge(first)),
                )
                .order(cases::id)
                .select(CaseRow::as_select())
        };
    }
    // Locked on PostgreSQL until the recompute commits: a review step cannot change a case
    // between reading its dates and writing new ones (SQLite's writer is already alone).
    match conn {
        DbConn::Postgres(c) => the_cases!().for_update().load(c),
        DbConn::Sqlite(c) => the_cases!().load(c),
    }
}

/// New review dates (and reply day, while the case waits) after a calendar change.
pub fn set_review_dates(
    conn: &mut DbConn,
    id: CaseId,
    target: NaiveDate,
    deadline: NaiveDate,
    reply_due: Option<NaiveDate>,
) -> QueryResult<()> {
    diesel::update(cases::table.filter(cases::id.eq(id)))
        .set((
            cases::review_target.eq(target),
            cases::review_deadline.eq(deadline),
            cases::reply_due.eq(reply_due),
        ))
        .execute(conn)
        .map(drop)
}

/// Cases in the order they last changed (oldest first), a page at a time: keyset on
/// (updated_at, id), read from `cases_by_change`.
pub fn by_change(
    conn: &mut DbConn,
    filter: &ChangeFilter,
    after: Option<ChangeCursor>,
    limit: i64,
) -> QueryResult<Vec<CaseRow>> {
    let mut query = cases::table.select(CaseRow::as_select()).into_boxed();
    if !filter.statuses.is_empty() {
        query = query.filter(cases::status.eq_any(filter.statuses.clone()));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(cases::updated_at.ge(since));
    }
    if let Some(from) = filter.filed_from {
        query = query.filter(cases::filed_on.ge(from));
    }
    if let Some(to) = filter.filed_to {
        query = query.filter(cases::filed_on.le(to));
    }
    if let Some(search) = &filter.search {
        query = query.filter(matching(search));
    }
    if let Some(c) = after {
        query = query.filter(
            cases::updated_at
                .ge(c.updated_at)
                .and(cases::updated_at.gt(c.updated_at).or(cases::id.gt(c.id))),
        );
    }
    query
        .order((cases::updated_at.asc(), cases::id.asc()))
        .limit(limit)
        .load(conn)
}

/// A search matches a case by its number, its transaction ID or its WeChat ID, exactly:
/// the queue's search and the API's `q` alike.
#[diesel::dsl::auto_type]
pub(super) fn matching(search: &Search) -> _ {
    let case_number: String = search.case_number.clone();
    let transaction_id: String = search.transaction_id.clone();
    let wechat_id: String = search.wechat_id.clone();
    cases::case_number
        .eq(case_number)
        .or(cases::transaction_id.eq(transaction_id))
        .or(cases::wechat_id.eq(wechat_id))
}

/// `agent`'s open cases due from `from` to `to` (both included): number and deadline, by
/// deadline, at most `limit`.
pub fn open_due_for(
    conn: &mut DbConn,
    agent: AgentId,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<(String, NaiveDate)>> {
    cases::table
        .filter(cases::assignee_id.eq(agent))
        .filter(cases::status.eq_any(CaseStatus::OPEN))
        .filter(cases::review_deadline.between(from, to))
        .order((cases::review_deadline, cases::id))
        .limit(limit)
        .select((cases::case_number, cases::review_deadline))
        .load(conn)
}
