//! An outbox row as an email. Every header value is parsed or encoded by lettre, so
//! nothing stored in a row can add a header or a recipient.

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

use super::messages::one_line;
use crate::db::outbox::MailRow;

/// The row as a mail, or why it can never be sent (a permanent failure).
pub fn compose(row: &MailRow, from: &Mailbox) -> Result<Message, String> {
    let to: Mailbox = row
        .recipient
        .parse::<lettre::Address>()
        .map(|address| Mailbox::new(None, address))
        .map_err(|e| format!("recipient {:?} is not an address: {e}", row.recipient))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(&row.subject))
        .message_id(Some(message_id(row, from)))
        .multipart(MultiPart::alternative_plain_html(
            row.body_text.clone(),
            row.body_html.clone(),
        ))
        .map_err(|e| format!("cannot build the mail: {e}"))
}

/// The same for every attempt at one row, so a retried send is recognisably the same
/// mail; the creation time keeps ids distinct across databases that reuse row ids.
pub fn message_id(row: &MailRow, from: &Mailbox) -> String {
    format!(
        "<outbox-{}.{}@{}>",
        row.id,
        row.created_at.format("%Y%m%d%H%M%S"),
        from.email.domain()
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn row(recipient: &str, subject: &str) -> MailRow {
        MailRow {
            id: crate::domain::ids::OutboxId::new(42),
            message: "receipt".into(),
            recipient: recipient.into(),
            lang: crate::domain::Lang::Zh,
            subject: subject.into(),
            body_text: "正文\r\nBcc: body@example.com".into(),
            body_html: "<p>正文</p>".into(),
            case_id: None,
            attempts: 1,
            lease_until: None,
            created_at: NaiveDate::from_ymd_opt(2026, 11, 28)
                .and_then(|d| d.and_hms_opt(4, 5, 6))
                .expect("time"),
        }
    }

    fn from() -> Mailbox {
        "AppealDesk <no-reply@appealdesk.example>".parse().unwrap()
    }

    fn headers(message: &Message) -> String {
        let raw = String::from_utf8(message.formatted()).unwrap();
        raw.split("\r\n\r\n").next().unwrap().to_owned()
    }

    #[test]
    fn the_message_id_is_derived_from_the_row() {
        let message = compose(&row("a@example.com", "Hi"), &from()).unwrap();
        assert!(
            headers(&message).contains("Message-ID: <outbox-42.20261128040506@appealdesk.example>")
        );
    }

    #[test]
    fn a_recipient_with_a_line_break_is_refused() {
        for bad in [
            "a@example.com\r\nBcc: victim@example.com",
            "a@example.com\nBcc: victim@example.com",
            "a@example.com, victim@example.com",
            "Victim <victim@example.com>",
        ] {
            assert!(compose(&row(bad, "Hi"), &from()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_subject_with_line_breaks_adds_no_header() {
        let message = compose(
            &row(
                "a@example.com",
                "Hi\r\nBcc: victim@example.com\r\nX-Evil: 1",
            ),
            &from(),
        )
        .unwrap();
        let headers = headers(&message);
        let lines: Vec<&str> = headers.split("\r\n").collect();
        assert!(
            !lines
                .iter()
                .any(|l| l.starts_with("Bcc") || l.starts_with("X-Evil")),
            "{headers}"
        );
        let to: Vec<String> = message
            .envelope()
            .to()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(to, ["a@example.com"]);
    }
}
