use diesel::prelude::*;

use super::DbConn;
use super::schema::app_secrets;

/// Reads a named secret, creating it on first use. Concurrent first uses agree:
/// the primary key lets one insert win and everybody reads the winner.
pub fn get_or_create(
    conn: &mut DbConn,
    name: &str,
    generate: impl FnOnce() -> String,
) -> QueryResult<String> {
    let existing = app_secrets::table
        .find(name)
        .select(app_secrets::value)
        .first::<String>(conn)
        .optional()?;
    if let Some(value) = existing {
        return Ok(value);
    }
    let inserted = diesel::insert_into(app_secrets::table)
        .values((
            app_secrets::name.eq(name),
            app_secrets::value.eq(generate()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        Err(e) if super::is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    app_secrets::table
        .find(name)
        .select(app_secrets::value)
        .first(conn)
}
