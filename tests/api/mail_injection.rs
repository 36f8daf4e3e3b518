use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::mail_helpers::*;
use crate::smtp::{SmtpServer, eventually};

#[tokio::test]
async fn an_email_field_carrying_headers_is_refused_and_queues_nothing() {
    let app = spawn_app().await;
    for injected in [
        "victim@example.com\r\nBcc: attacker@example.com",
        "victim@example.com\nSubject: free money",
        "victim@example.com%0d%0aBcc:attacker@example.com",
        "victim@example.com, attacker@example.com",
    ] {
        let appeal = AppealFields::valid(Utc::now()).set("email", injected);
        let response = app.file(&appeal).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{injected:?}"
        );
    }
    assert_eq!(app.count("outbox"), 0);
}

#[tokio::test]
async fn nothing_stored_in_an_outbox_row_can_add_a_header_or_a_recipient() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    // Rows as a careless future caller or a tampered database could leave them.
    app.enqueue("victim@example.com\r\nBcc: attacker@example.com", "Hello");
    app.enqueue(
        "someone@example.com",
        "Hello\r\nBcc: attacker@example.com\r\nX-Injected: yes",
    );

    let rows = eventually("both rows to be settled", || {
        let rows = app.outbox();
        rows.iter().all(|r| r.status != "pending").then_some(rows)
    })
    .await;
    assert_eq!(
        rows[0].status, "dead",
        "an unparsable recipient is never sent"
    );
    assert!(
        rows[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("not an address"),
        "{rows:?}"
    );
    assert_eq!(rows[1].status, "sent");

    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.envelope_to, ["someone@example.com"]);
    assert_eq!(mail.to(), ["someone@example.com"]);
    for line in mail.header_lines() {
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(name != "bcc" && name != "x-injected", "{line}");
    }
    assert!(!mail.subject().contains('\r') && !mail.subject().contains('\n'));
    assert!(
        mails
            .iter()
            .all(|m| !m.envelope_to.iter().any(|to| to.contains("attacker")))
    );
}
