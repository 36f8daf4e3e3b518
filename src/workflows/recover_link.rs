//! A lost tracking link: the case number and the email that filed it bring a new link by
//! mail, and the old one stops opening the case. Whoever asks learns nothing: the caller
//! answers the same whether they matched, and the work done is the same either way
//! (the case read and locked, a token made, the mail rendered).
//! The filing form's own link (derived from its one-time key) dies too: sending that
//! form again leads to a receipt that no longer opens.

use chrono::{DateTime, NaiveTime, Utc};

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::Actor;
use crate::domain::case_number::TypedCaseNumber;
use crate::domain::evidence::Email;
use crate::domain::timeline::EventKind;
use crate::domain::{Lang, cst, policy};
use crate::email::{self, LinkReissued, Message};
use crate::keys;

/// For logs and tests only: never shown to the person asking.
#[derive(Debug, PartialEq, Eq)]
pub enum Reissued {
    Mailed,
    /// No such case, another email, or the case's links for today are used up.
    NoMatch,
}

pub fn reissue(
    conn: &mut DbConn,
    case_number: &TypedCaseNumber,
    email: &Email,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<Reissued, Failure> {
    db::write_tx(conn, |conn| {
        let case = db::cases::by_number_for_update(conn, case_number.as_str())?;
        let token = keys::random_tracking_token();
        let token_hash = keys::digest(&token);
        let mail = LinkReissued {
            lang: case.as_ref().map_or(Lang::Zh, |c| c.lang),
            case_number: case_number.as_str().to_owned(),
            tracking_url: format!("{links_base}/track/{token}"),
        };
        // Compared as mailboxes: the case of the letters or a +tag typed differently
        // still reaches the same person.
        let matched = case.filter(|c| {
            Email::parse(&c.email).is_ok_and(|filed| filed.mailbox() == email.mailbox())
        });
        // Someone who knows both could otherwise flood the appellant's inbox and keep
        // killing their link.
        let day_start = cst::from_local(cst::local_date(now).and_time(NaiveTime::MIN));
        let matched = match matched {
            Some(c) => {
                let today = db::events::count_since(
                    conn,
                    c.id,
                    EventKind::LinkReissued,
                    day_start.naive_utc(),
                )?;
                (today < policy::LINK_REISSUES_PER_CASE_PER_DAY).then_some(c)
            }
            None => None,
        };
        let Some(case) = matched else {
            mail.render()
                .map_err(|e| Failure::Template(e.to_string()))?;
            return Ok(Reissued::NoMatch);
        };
        db::cases::set_tracking_token_hash(conn, case.id, &token_hash)?;
        super::timeline::record(
            conn,
            case.id,
            &Actor::Appellant,
            EventKind::LinkReissued,
            None,
            now,
        )?;
        email::enqueue(conn, &mail, &case.email, Some(case.id), now)?;
        Ok(Reissued::Mailed)
    })
}
