//! Saved replies that supervisors keep (`/agent/replies`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::saved_replies;
use crate::domain::ids::SavedReplyId;
use crate::domain::saved_reply::ReplyUse;

#[derive(Insertable)]
#[diesel(table_name = saved_replies)]
pub struct NewReply<'a> {
    pub title: &'a str,
    pub text_zh: &'a str,
    pub text_en: &'a str,
    pub applies_to: ReplyUse,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = saved_replies)]
pub struct ReplyRow {
    pub id: SavedReplyId,
    pub title: String,
    pub text_zh: String,
    pub text_en: String,
    pub applies_to: ReplyUse,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, reply: &NewReply<'_>) -> QueryResult<()> {
    diesel::insert_into(saved_replies::table)
        .values(reply)
        .execute(conn)
        .map(drop)
}

/// Every saved reply, by where it applies, then title.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<ReplyRow>> {
    saved_replies::table
        .order((
            saved_replies::applies_to,
            saved_replies::title,
            saved_replies::id,
        ))
        .select(ReplyRow::as_select())
        .load(conn)
}

pub fn by_id(conn: &mut DbConn, id: SavedReplyId) -> QueryResult<Option<ReplyRow>> {
    saved_replies::table
        .filter(saved_replies::id.eq(id))
        .select(ReplyRow::as_select())
        .first(conn)
        .optional()
}

/// False: there was no such reply.
pub fn delete(conn: &mut DbConn, id: SavedReplyId) -> QueryResult<bool> {
    diesel::delete(saved_replies::table.filter(saved_replies::id.eq(id)))
        .execute(conn)
        .map(|n| n == 1)
}
