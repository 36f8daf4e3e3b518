//! Failed sign-ins, counted per subject ("account:…", "address:…").

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::sign_in_failures;

pub fn record_failure(conn: &mut DbConn, subject: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(sign_in_failures::table)
        .values((
            sign_in_failures::subject.eq(subject),
            sign_in_failures::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn failures_since(conn: &mut DbConn, subject: &str, since: NaiveDateTime) -> QueryResult<i64> {
    sign_in_failures::table
        .filter(sign_in_failures::subject.eq(subject))
        .filter(sign_in_failures::at.gt(since))
        .count()
        .get_result(conn)
}

/// The oldest failure still counting, to say when the next try is allowed.
pub fn oldest_since(
    conn: &mut DbConn,
    subject: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    sign_in_failures::table
        .filter(sign_in_failures::subject.eq(subject))
        .filter(sign_in_failures::at.gt(since))
        .select(diesel::dsl::min(sign_in_failures::at))
        .first(conn)
}

pub fn clear(conn: &mut DbConn, subject: &str) -> QueryResult<()> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::subject.eq(subject)))
        .execute(conn)
        .map(drop)
}

/// Takes back one recorded attempt (a sign-in that succeeded).
pub fn forget_one(conn: &mut DbConn, subject: &str, at: NaiveDateTime) -> QueryResult<()> {
    let one = sign_in_failures::table
        .filter(sign_in_failures::subject.eq(subject))
        .filter(sign_in_failures::at.eq(at))
        .select(sign_in_failures::id)
        .first::<i64>(conn)
        .optional()?;
    if let Some(id) = one {
        diesel::delete(sign_in_failures::table.find(id)).execute(conn)?;
    }
    Ok(())
}

pub fn delete_older_than(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::at.le(before))).execute(conn)
}
