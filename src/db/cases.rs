use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::schema::cases;

#[derive(Insertable)]
#[diesel(table_name = cases)]
pub struct NewCase<'a> {
    pub case_number: &'a str,
    pub status: &'a str,
    pub tracking_token_hash: &'a str,
    pub submission_key_hash: &'a str,
    pub submission_fingerprint: &'a str,
    pub lang: &'a str,
    pub wechat_id: &'a str,
    pub email: &'a str,
    pub packet_kind: &'a str,
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
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: i64,
    pub case_number: String,
    pub status: String,
    pub submission_fingerprint: String,
    pub lang: String,
    pub wechat_id: String,
    pub packet_kind: String,
    pub amount_fen: i64,
    pub sent_at: NaiveDateTime,
    pub transaction_id: String,
    pub counterparty_phone_suffix: String,
    pub card_last4: String,
    pub filed_at: NaiveDateTime,
    pub review_target: NaiveDate,
    pub review_deadline: NaiveDate,
}

/// Inserts the case and returns its id.
pub fn insert(conn: &mut DbConn, case: &NewCase<'_>) -> QueryResult<i64> {
    diesel::insert_into(cases::table)
        .values(case)
        .execute(conn)?;
    // Read back by a unique key: RETURNING is not in the backends' common subset.
    cases::table
        .filter(cases::case_number.eq(case.case_number))
        .select(cases::id)
        .first(conn)
}

pub fn by_submission_key(conn: &mut DbConn, key_hash: &str) -> QueryResult<Option<CaseRow>> {
    cases::table
        .filter(cases::submission_key_hash.eq(key_hash))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

pub fn by_tracking_token(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<CaseRow>> {
    cases::table
        .filter(cases::tracking_token_hash.eq(token_hash))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

pub fn transaction_id_taken(conn: &mut DbConn, transaction_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        cases::table.filter(cases::transaction_id.eq(transaction_id)),
    ))
    .get_result(conn)
}
