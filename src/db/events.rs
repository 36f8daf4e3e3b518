use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::case_events;

#[derive(Insertable)]
#[diesel(table_name = case_events)]
pub struct NewEvent<'a> {
    pub case_id: i64,
    pub at: NaiveDateTime,
    pub actor: &'a str,
    pub kind: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub note: Option<&'a str>,
    pub agent_id: Option<i64>,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = case_events)]
pub struct EventRow {
    pub at: NaiveDateTime,
    pub actor: String,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
}

/// Appends to the trail; there is deliberately no update or delete.
pub fn append(conn: &mut DbConn, event: &NewEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(case_events::table)
        .values(event)
        .execute(conn)
        .map(drop)
}

pub fn for_case(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<EventRow>> {
    case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order(case_events::id)
        .select(EventRow::as_select())
        .load(conn)
}
