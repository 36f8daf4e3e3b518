//! The loop with the payments back office, end to end: a filing is approved in the
//! console, `case.decided` reaches the back office's receiver (verified with the official
//! `standardwebhooks` library), the back office reads the case and reports the money
//! recovered through the API, the case closes, the appellant is mailed that the money came
//! back, and `case.closed` arrives.

use std::sync::Arc;
use std::time::Duration;

use appealdesk::domain::agent::Role;
use chrono::Utc;
use reqwest::StatusCode;

use crate::api_helpers::*;
use crate::helpers::*;
use crate::mail_helpers::*;
use crate::smtp::{SmtpServer, eventually};
use crate::webhook_helpers::*;

#[tokio::test]
async fn an_approval_reaches_the_back_office_whose_recovery_closes_the_case_and_mails_the_appellant()
 {
    let smtp = SmtpServer::start();
    let database = Arc::new(TestDatabase::fresh());
    let mut settings = mail_settings(&database, &smtp);
    settings.webhooks.run_worker = true;
    settings.webhooks.allow_private = true;
    settings.webhooks.poll_interval = Duration::from_millis(50);
    let app = TestApp::start_with(database, settings).await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    let receiver = Receiver::start();
    let secret = app
        .add_endpoint(&boss, &receiver.url(), &["case.decided", "case.closed"])
        .await;
    receiver.verify_with(&[&secret]);
    let office = BackOffice::new(
        &app,
        &cli_key(&app, "Refund desk", "cases:read,cases:outcome"),
    );

    // Filed in English, approved in the console.
    app.get("/lang/en?next=/").await;
    let appeal = AppealFields::valid(Utc::now());
    let (case, _) = app.filed_case(&appeal).await;
    assert_eq!(boss.act(&case, "claim", &[]).await, StatusCode::SEE_OTHER);
    let decide = [
        ("outcome", "approved"),
        ("reason_code", "evidence_complete"),
        ("text", ""),
    ];
    assert_eq!(
        boss.act(&case, "decide", &decide).await,
        StatusCode::SEE_OTHER
    );

    // The back office hears of it, signed.
    let decided = eventually("case.decided at the receiver", || {
        receiver
            .received()
            .into_iter()
            .find(|r| r.event() == "case.decided" && r.case_number() == case)
    })
    .await;
    assert_eq!(decided.verified, vec![true], "standardwebhooks verified it");
    assert_eq!(decided.payload["data"]["outcome"], "approved");

    // It reads the case, returns the money, and says so.
    let read = office.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json()["status"], "approved");
    let amount = read.json()["amount_fen"].as_i64().expect("the amount");
    let body = format!(
        r#"{{"result":"recovered","reference":"RF-LOOP-7","amount_fen":{amount},"note":""}}"#
    );
    let reported = office.outcome(&case, "loop-7", &body).await;
    assert_eq!(
        reported.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reported.bytes)
    );
    assert_eq!(reported.json()["status"], "closed");
    assert_eq!(status_of(&boss, &case).await, "closed");

    // The appellant learns that the money came back, in their language.
    let mail = eventually("the appellant's mail about the money", || {
        smtp.mails()
            .into_iter()
            .find(|m| m.subject().contains("money came back") && m.subject().contains(&case))
    })
    .await;
    assert_eq!(mail.to(), [appeal.get("email")]);
    let text = mail.text();
    assert!(
        text.contains("RF-LOOP-7") && text.contains("520.00"),
        "{text}"
    );

    // And the back office hears that the case is closed.
    let closed = eventually("case.closed at the receiver", || {
        receiver
            .received()
            .into_iter()
            .find(|r| r.event() == "case.closed" && r.case_number() == case)
    })
    .await;
    assert_eq!(closed.verified, vec![true]);
    assert_eq!(closed.payload["data"]["status"], "closed");
    assert!(
        closed.payload["data"]["version"].as_i64() > decided.payload["data"]["version"].as_i64(),
        "the version grew"
    );
}
