//! API keys (only their digests), the first answers to idempotent POSTs, and the
//! recovery results reported through the API.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{api_idempotency, api_keys, case_outcomes};
use crate::domain::api::{RecoveryResult, Scopes};
use crate::domain::ids::{ApiKeyId, CaseId};

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewKey<'a> {
    pub name: &'a str,
    pub key_hash: &'a str,
    pub scopes: Scopes,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = api_keys)]
pub struct KeyRow {
    pub id: ApiKeyId,
    pub name: String,
    pub scopes: Scopes,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, key: &NewKey<'_>) -> QueryResult<()> {
    diesel::insert_into(api_keys::table)
        .values(key)
        .execute(conn)
        .map(drop)
}

pub fn name_taken(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        api_keys::table.filter(api_keys::name.eq(name)),
    ))
    .get_result(conn)
}

/// Every key, revoked ones too (the list shows when), newest first.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<KeyRow>> {
    api_keys::table
        .order(api_keys::id.desc())
        .select(KeyRow::as_select())
        .load(conn)
}

/// The live key with this digest: read from the database at every call, so a revoke
/// counts on every instance at once.
pub fn active_by_hash(conn: &mut DbConn, key_hash: &str) -> QueryResult<Option<KeyRow>> {
    on_backend!(conn, |c| api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select(KeyRow::as_select())
        .first(c)
        .optional())
}

pub fn mark_used(conn: &mut DbConn, id: ApiKeyId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_keys::table.filter(api_keys::id.eq(id)))
        .set(api_keys::last_used_at.eq(now))
        .execute(conn)
        .map(drop)
}

/// Revokes the live key of this name; false when there is none.
pub fn revoke(conn: &mut DbConn, name: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        api_keys::table
            .filter(api_keys::name.eq(name))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// A first answer kept for an `Idempotency-Key`.
#[derive(Queryable, Debug, Clone)]
pub struct Remembered {
    pub request_hash: String,
    pub status: i32,
    pub body: String,
}

pub fn remembered(
    conn: &mut DbConn,
    key: ApiKeyId,
    idempotency_key: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<Remembered>> {
    api_idempotency::table
        .filter(api_idempotency::api_key_id.eq(key))
        .filter(api_idempotency::idempotency_key.eq(idempotency_key))
        .filter(api_idempotency::created_at.ge(since))
        .select((
            api_idempotency::request_hash,
            api_idempotency::status,
            api_idempotency::body,
        ))
        .first(conn)
        .optional()
}

/// Keeps a first answer; an expired one under the same key is replaced.
pub fn remember(
    conn: &mut DbConn,
    key: ApiKeyId,
    idempotency_key: &str,
    request_hash: &str,
    status: i32,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        api_idempotency::table
            .filter(api_idempotency::api_key_id.eq(key))
            .filter(api_idempotency::idempotency_key.eq(idempotency_key)),
    )
    .execute(conn)?;
    diesel::insert_into(api_idempotency::table)
        .values((
            api_idempotency::api_key_id.eq(key),
            api_idempotency::idempotency_key.eq(idempotency_key),
            api_idempotency::request_hash.eq(request_hash),
            api_idempotency::status.eq(status),
            api_idempotency::body.eq(body),
            api_idempotency::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Forgets first answers older than `before` (the periodic job).
pub fn forget_answers_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(api_idempotency::table.filter(api_idempotency::created_at.lt(before)))
        .execute(conn)
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = case_outcomes)]
pub struct OutcomeRow {
    pub result: RecoveryResult,
    pub reference: String,
    pub amount_fen: Option<i64>,
    pub note: String,
    pub reported_by: String,
    pub reported_at: NaiveDateTime,
}

pub fn insert_outcome(conn: &mut DbConn, case_id: CaseId, outcome: &OutcomeRow) -> QueryResult<()> {
    diesel::insert_into(case_outcomes::table)
        .values((
            case_outcomes::case_id.eq(case_id),
            case_outcomes::result.eq(outcome.result),
            case_outcomes::reference.eq(&outcome.reference),
            case_outcomes::amount_fen.eq(outcome.amount_fen),
            case_outcomes::note.eq(&outcome.note),
            case_outcomes::reported_by.eq(&outcome.reported_by),
            case_outcomes::reported_at.eq(outcome.reported_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn outcome_of(conn: &mut DbConn, case_id: CaseId) -> QueryResult<Option<OutcomeRow>> {
    case_outcomes::table
        .filter(case_outcomes::case_id.eq(case_id))
        .select(OutcomeRow::as_select())
        .first(conn)
        .optional()
}
