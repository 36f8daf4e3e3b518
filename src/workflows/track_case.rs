//! What an appellant sees through the tracking link, and their reply to a request for
//! evidence.

use chrono::{DateTime, Utc};

use super::Failure;
use super::evidence::{self, FormFiles, KeepFor, Received, SentFiles, Served};
use super::review::{self, Command, ReviewError};
use crate::db::{self, DbConn};
use crate::domain::Actor;
use crate::domain::calendar::Arrangements;
use crate::domain::text::{CaseText, CaseTextError};
use crate::domain::{Lang, Refusal};
use crate::keys;
use crate::storage::{Session, Store};

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

/// Whether the token opens a case.
pub fn opens_a_case(conn: &mut DbConn, token: &str) -> Result<bool, Failure> {
    Ok(db::cases::by_tracking_token(conn, &keys::digest(token))?.is_some())
}

/// The appellant's answer to a request for evidence, as sent.
pub struct Reply {
    pub token: String,
    pub text: String,
    pub files: SentFiles,
    /// Absolute base of the links in the mails it causes.
    pub links_base: String,
}

/// What became of a reply.
pub enum Replied {
    /// Taken, with its files: the case is under review again.
    Sent,
    /// The token opens no case (or no longer does): nothing stored.
    NoCase,
    /// A kept file removed: the form again, with the files it now holds.
    Edited(FormFiles),
    /// Refused: the text or the case's refusal, or (`None`) only files refused, which
    /// `files` says.
    Returned {
        refused: Option<ReplyRefused>,
        files: FormFiles,
    },
}

/// Why a reply was not taken (besides its files' own problems, in `FormFiles`).
#[derive(Debug)]
pub enum ReplyRefused {
    /// The text, next to its field.
    Text(CaseTextError),
    /// The case refused it: it no longer waits for a reply, or the files would pass its
    /// limit.
    Case(ReviewError),
}

impl ReplyRefused {
    /// A refusal of what was sent (fix it and send again), rather than a conflict with
    /// the case's state.
    pub fn is_of_the_form(&self) -> bool {
        matches!(
            self,
            ReplyRefused::Text(_) | ReplyRefused::Case(ReviewError::Evidence(_))
        )
    }
}

impl Refusal for ReplyRefused {
    fn message(&self, lang: Lang) -> String {
        match self {
            ReplyRefused::Text(refused) => refused.message(lang),
            ReplyRefused::Case(refused) => refused.message(lang),
        }
    }
}

/// Inspects the files, then in one write takes the reply with them, or keeps them for
/// the reply form when it files nothing (a kept file removed, the text or a file refused,
/// the case refusing). A token that opens no case stores nothing.
pub async fn reply(store: &Store, reply: Reply, now: DateTime<Utc>) -> Result<Replied, Failure> {
    let Reply {
        token,
        text,
        files,
        links_base,
    } = reply;
    let t = token.clone();
    if token.len() > 100 || !store.read(move |conn| opens_a_case(conn, &t)).await?? {
        return Ok(Replied::NoCase);
    }
    let form_key = files.form_key.clone();
    let received = Received::inspect(store, files, now).await?;
    let returned = |refused, files| Ok(Replied::Returned { refused, files });
    if received.removes() {
        return Ok(Replied::Edited(received.keep(store, now).await?));
    }
    let text = match CaseText::parse(&text) {
        Ok(text) => text,
        Err(refused) => {
            return returned(
                Some(ReplyRefused::Text(refused)),
                received.keep(store, now).await?,
            );
        }
    };
    if !received.all_clean() {
        return returned(None, received.keep(store, now).await?);
    }
    let command = Command::Reply {
        text,
        form_key: Some(form_key),
    };
    let keep_for = |refused: &ReviewError| match refused {
        // The link opens no case any more: the files wait for nothing.
        ReviewError::NotFound => KeepFor::Nothing,
        _ => KeepFor::ThisForm,
    };
    let outcome = received
        .file(
            store,
            now,
            keep_for,
            move |conn, files| match review::act_as_appellant(
                conn,
                &token,
                &command,
                files,
                &links_base,
                now,
            ) {
                Ok(_) => Ok(Ok(())),
                Err(ReviewError::Failure(failure)) => Err(failure),
                Err(refused) => Ok(Err(refused)),
            },
        )
        .await?;
    Ok(match outcome {
        Ok(()) => Replied::Sent,
        Err((ReviewError::NotFound, _)) => Replied::NoCase,
        Err((refused, files)) => Replied::Returned {
            refused: Some(ReplyRefused::Case(refused)),
            files,
        },
    })
}
