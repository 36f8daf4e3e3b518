//! What an appellant sees through the tracking link.

use super::Failure;
use crate::db::{self, DbConn};
use crate::keys;

pub use crate::db::cases::CaseRow;
pub use crate::db::events::EventRow;

pub struct Tracked {
    pub case: CaseRow,
    pub timeline: Vec<EventRow>,
}

/// The case the token opens, if any. Looked up by the token's digest only.
pub fn track_case(conn: &mut DbConn, token: &str) -> Result<Option<Tracked>, Failure> {
    let Some(case) = db::cases::by_tracking_token(conn, &keys::digest(token))? else {
        return Ok(None);
    };
    let timeline = db::events::for_case(conn, case.id)?;
    Ok(Some(Tracked { case, timeline }))
}
