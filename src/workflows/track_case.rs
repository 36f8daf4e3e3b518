//! What an appellant sees through the tracking link.

use chrono::{DateTime, Utc};

use super::Failure;
use super::evidence::{self, Served};
use crate::db::{self, DbConn};
use crate::domain::Actor;
use crate::domain::calendar::Arrangements;
use crate::keys;
use crate::storage::Session;

use super::views::{self, CaseView, EventView, EvidenceFile};

pub struct Tracked {
    pub case: CaseView,
    pub timeline: Vec<EventView>,
    pub files: Vec<EvidenceFile>,
    /// Which years' arrangements are loaded: dates in others are provisional.
    pub arrangements: Arrangements,
}

/// The case the token opens, if any. Looked up by the token's digest only.
pub fn track_case(conn: &mut DbConn, token: &str) -> Result<Option<Tracked>, Failure> {
    let Some(case) = db::cases::by_tracking_token(conn, &keys::digest(token))? else {
        return Ok(None);
    };
    let timeline = db::events::for_case(conn, case.id)?;
    let files = db::evidence::for_case(conn, case.id)?;
    let arrangements = db::calendar::arrangements(conn)?;
    Ok(Some(Tracked {
        case: case.into(),
        timeline: views::all(timeline),
        files: views::all(files),
        arrangements,
    }))
}

/// One of the token's case's files; any other file is no file.
pub fn open_file(
    session: &mut Session<'_>,
    token: &str,
    file_key: &str,
    thumbnail: bool,
    now: DateTime<Utc>,
) -> Result<Option<Served>, Failure> {
    // The appellant's own opening is not recorded: a read.
    let conn = session.conn();
    let Some(case) = db::cases::by_tracking_token(conn, &keys::digest(token))? else {
        return Ok(None);
    };
    evidence::open(
        conn,
        case.id,
        file_key,
        thumbnail,
        &Actor::Appellant,
        false,
        now,
    )
}
