//! Saved replies: supervisors keep them (`/agent/replies`); an agent picks one on a case
//! page and gets its text in the appellant's language with the case's values filled in.

use chrono::{DateTime, Utc};

use super::Failure;
use super::views::SavedReplyView;
use crate::db::{self, DbConn, saved_replies::NewReply};
use crate::domain::Actor;
use crate::domain::date_format::ISO_DATE;
use crate::domain::ids::SavedReplyId;
use crate::domain::money::Fen;
use crate::domain::saved_reply::{Placeholders, ReplyUse, SavedReply, fill};

use super::views::CaseView;

pub fn list(conn: &mut DbConn) -> Result<Vec<SavedReplyView>, Failure> {
    Ok(super::views::all(db::saved_replies::all(conn)?))
}

pub fn add(
    conn: &mut DbConn,
    reply: &SavedReply,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    db::saved_replies::insert(
        conn,
        &NewReply {
            title: &reply.title,
            text_zh: reply.zh.as_str(),
            text_en: reply.en.as_str(),
            applies_to: reply.applies_to,
            created_by: actor.name(),
            created_at: now.naive_utc(),
        },
    )?;
    Ok(())
}

/// False: there was no such reply.
pub fn delete(conn: &mut DbConn, id: SavedReplyId) -> Result<bool, Failure> {
    Ok(db::saved_replies::delete(conn, id)?)
}

/// A saved reply made ready for one case: in the appellant's language, placeholders
/// filled, for the form it applies to.
pub struct Filled {
    pub id: SavedReplyId,
    pub applies_to: ReplyUse,
    pub text: String,
}

pub fn filled_for(reply: &SavedReplyView, case: &CaseView) -> Filled {
    let deadline = ISO_DATE.date(case.review_deadline).to_string();
    let amount = format!("¥{}", Fen::new(case.amount_fen));
    let text = case.lang.t(&reply.text_zh, &reply.text_en);
    Filled {
        id: reply.id,
        applies_to: reply.applies_to,
        text: fill(
            text,
            &Placeholders {
                case_number: &case.case_number,
                deadline: &deadline,
                amount: &amount,
            },
        ),
    }
}
