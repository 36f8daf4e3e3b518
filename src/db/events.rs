use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::case_events;
use crate::domain::case_status::CaseStatus;
use crate::domain::ids::{AgentId, CaseId};
use crate::domain::timeline::EventKind;

#[derive(Insertable)]
#[diesel(table_name = case_events)]
pub struct NewEvent<'a> {
    pub case_id: CaseId,
    pub at: NaiveDateTime,
    pub actor: &'a str,
    pub kind: EventKind,
    pub from_status: Option<CaseStatus>,
    pub to_status: Option<CaseStatus>,
    pub note: Option<&'a str>,
    pub agent_id: Option<AgentId>,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = case_events)]
pub struct EventRow {
    pub at: NaiveDateTime,
    pub actor: String,
    pub kind: EventKind,
    pub from_status: Option<CaseStatus>,
    pub to_status: Option<CaseStatus>,
    pub note: Option<String>,
}

/// Appends to the trail; there is deliberately no update or delete. Every change of a
/// case passes here, in its transaction: an entry that records a change (not the filing
/// itself, nor someone looking) moves the case's `updated_at` and `version`, and the
/// webhook announcing it is queued with it.
pub fn append(conn: &mut DbConn, event: &NewEvent<'_>) -> QueryResult<()> {
    let insert = diesel::insert_into(case_events::table).values(event);
    on_backend!(conn, |c| insert.execute(c))?;
    if event.kind.changes_case() {
        super::cases::touch(conn, event.case_id, event.at)?;
    }
    super::webhooks::queue_event(conn, event.case_id, event.kind, event.at)
}

pub fn for_case(conn: &mut DbConn, case_id: CaseId) -> QueryResult<Vec<EventRow>> {
    on_backend!(conn, |c| case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order(case_events::id)
        .select(EventRow::as_select())
        .load(c))
}

/// Whether `agent` has a `kind` entry on the case (with that note, if given) since
/// `since`: a view already on record.
pub fn recorded_since(
    conn: &mut DbConn,
    case_id: CaseId,
    agent: AgentId,
    kind: EventKind,
    since: NaiveDateTime,
    note: Option<&str>,
) -> QueryResult<bool> {
    let entries = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::agent_id.eq(agent))
        .filter(case_events::kind.eq(kind))
        .filter(case_events::at.ge(since));
    match note {
        Some(note) => diesel::select(diesel::dsl::exists(
            entries.filter(case_events::note.eq(note)),
        ))
        .get_result(conn),
        None => diesel::select(diesel::dsl::exists(entries)).get_result(conn),
    }
}

/// As `recorded_since`, for an actor that is no agent (an API key, by its name).
pub fn recorded_by_since(
    conn: &mut DbConn,
    case_id: CaseId,
    actor: &str,
    kind: EventKind,
    since: NaiveDateTime,
    note: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        case_events::table
            .filter(case_events::case_id.eq(case_id))
            .filter(case_events::agent_id.is_null())
            .filter(case_events::actor.eq(actor))
            .filter(case_events::kind.eq(kind))
            .filter(case_events::at.ge(since))
            .filter(case_events::note.eq(note)),
    ))
    .get_result(conn)
}

/// How many `kind` entries the case has since `since`, whoever made them.
pub fn count_since(
    conn: &mut DbConn,
    case_id: CaseId,
    kind: EventKind,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::kind.eq(kind))
        .filter(case_events::at.ge(since))
        .count()
        .get_result(conn)
}

/// The case's latest `limit` entries that changed it, the latest first.
pub fn latest_changes(
    conn: &mut DbConn,
    case_id: CaseId,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    on_backend!(conn, |c| case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::kind.ne_all(EventKind::CHANGE_NOTHING))
        .order(case_events::id.desc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(c))
}

/// Who opened the case since `since`, but `except`: each agent's name (as recorded) and
/// latest view, the latest first.
pub fn viewers_since(
    conn: &mut DbConn,
    case_id: CaseId,
    since: NaiveDateTime,
    except: AgentId,
    limit: i64,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    let rows: Vec<(Option<AgentId>, String, NaiveDateTime)> = on_backend!(conn, |c| {
        case_events::table
            .filter(case_events::case_id.eq(case_id))
            .filter(case_events::kind.eq(EventKind::ViewedCase))
            .filter(case_events::at.ge(since))
            .filter(case_events::agent_id.ne(except))
            .order(case_events::id.desc())
            .select((case_events::agent_id, case_events::actor, case_events::at))
            .load(c)
    })?;
    let mut seen = Vec::new();
    let mut viewers = Vec::new();
    for (agent, name, at) in rows {
        if !seen.contains(&agent) && (viewers.len() as i64) < limit {
            seen.push(agent);
            viewers.push((name, at));
        }
    }
    Ok(viewers)
}
