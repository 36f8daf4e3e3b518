//! An outbox row as an email. Every header value is parsed or encoded by lettre, so
//! nothing stored in a row can add a header or a recipient.

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

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
        .multipart(
            MultiPart::alternative()
                .singlepart(readable_part(ContentType::TEXT_PLAIN, &row.body_text))
                .singlepart(readable_part(ContentType::TEXT_HTML, &row.body_html)),
        )
        .map_err(|e| format!("cannot build the mail: {e}"))
}

/// A text part as 8bit, so a saved mail reads as text (base64, lettre's choice for Chinese,
/// does not); quoted-printable where a line is too long for 8bit. lettre offers 8bit only
/// for lines under 76 bytes (25 Chinese characters), so the RFC 2045 rule is applied here:
/// lines of at most 998 bytes ending in CRLF, no NUL.
fn readable_part(content_type: ContentType, text: &str) -> SinglePart {
    let crlf = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n");
    let fits = !crlf.contains('\0') && crlf.split("\r\n").all(|line| line.len() <= 998);
    let body = if fits {
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::EightBit)
    } else {
        Body::new_with_encoding(crlf, ContentTransferEncoding::QuotedPrintable)
            .unwrap_or_else(Body::new)
    };
    SinglePart::builder().header(content_type).body(body)
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
    fn text_parts_read_as_text() {
        let mut long_lines = row("a@example.com", "受理回执");
        long_lines.body_text = format!("{}\n正文\r\nBcc: body@example.com", "长".repeat(300));
        let message = compose(&long_lines, &from()).unwrap();
        let raw = String::from_utf8(message.formatted()).expect("8bit UTF-8, not base64");
        assert!(raw.contains("正文"), "{raw}");
        assert!(raw.contains("<p>正文</p>"), "{raw}");
        assert!(!raw.contains("base64"), "{raw}");
        assert_eq!(raw.matches("Content-Transfer-Encoding: 8bit").count(), 2);
    }

    #[test]
    fn a_line_too_long_for_8bit_is_quoted_printable() {
        let mut long = row("a@example.com", "Hi");
        long.body_text = format!("短\n{}", "长".repeat(400));
        let raw = String::from_utf8(compose(&long, &from()).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("Content-Transfer-Encoding: quoted-printable"),
            "{raw}"
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
