//! Whether this instance can serve: the database answers.

use diesel::connection::SimpleConnection;

use super::Failure;
use crate::db::DbConn;

pub fn check(conn: &mut DbConn) -> Result<(), Failure> {
    Ok(conn.batch_execute("SELECT 1")?)
}
