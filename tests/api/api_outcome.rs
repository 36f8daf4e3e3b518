//! The back office reports what became of an approved case's money: the case closes as
//! carried out under the key's name, the appellant is mailed, and a repeated POST
//! changes nothing.

use appealdesk::domain::agent::Role;
use chrono::Utc;
use reqwest::StatusCode;

use crate::api_helpers::*;
use crate::helpers::*;
use crate::mail_helpers::*;
use crate::smtp::SmtpServer;

/// A case filed in `lang` and approved in the console; its number.
async fn approved_case(app: &TestApp, boss: &Console, lang: &str) -> String {
    app.get(&format!("/lang/{lang}?next=/")).await;
    let (case, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    assert_eq!(boss.act(&case, "claim", &[]).await, StatusCode::SEE_OTHER);
    let decide = [
        ("outcome", "approved"),
        ("reason_code", "evidence_complete"),
    ];
    assert_eq!(
        boss.act(&case, "decide", &decide).await,
        StatusCode::SEE_OTHER
    );
    case
}

fn events(app: &TestApp) -> i64 {
    app.count("case_events")
}

#[tokio::test]
async fn a_recovery_closes_the_case_mails_the_appellant_and_a_replay_changes_nothing() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    let case = approved_case(&app, &boss, "en").await;
    let office = BackOffice::new(
        &app,
        &cli_key(&app, "Refund desk", "cases:outcome,cases:read"),
    );

    let body = r#"{"result":"recovered","reference":"RF-42","amount_fen":52000,"note":""}"#;
    let first = office.outcome(&case, "report-1", body).await;
    assert_eq!(
        first.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&first.bytes)
    );
    let c = first.json();
    assert_eq!(c["status"], "closed");
    assert_eq!(c["outcome"]["result"], "recovered");
    assert_eq!(c["outcome"]["amount_fen"], 52_000);
    assert_eq!(c["outcome"]["reported_by"], "Refund desk");
    assert_eq!(c["decision"]["outcome"], "approved");
    let last = c["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "carried_out");
    assert_eq!(last["actor"], "Refund desk", "the key is the actor");
    assert!(last["text"].as_str().unwrap().contains("RF-42"), "{last}");
    assert_eq!(status_of(&boss, &case).await, "closed");
    let console_page = boss.get_html(&format!("/agent/cases/{case}")).await;
    assert!(
        console_page.contains("Refund desk"),
        "the console's trail names the key"
    );

    // The same key and body: the first answer again, nothing changed, no second mail.
    let trail = events(&app);
    let again = office.outcome(&case, "report-1", body).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.bytes, first.bytes, "the first answer, byte for byte");
    assert_eq!(events(&app), trail);
    // Same meaning, other spacing: the same request.
    let spaced = r#"{ "reference": "RF-42", "result": "recovered", "amount_fen": 52000 }"#;
    assert_eq!(
        office.outcome(&case, "report-1", spaced).await.bytes,
        first.bytes
    );
    // The same key with another body: refused.
    let other = r#"{"result":"recovered","reference":"RF-43","amount_fen":52000}"#;
    let p = office.outcome(&case, "report-1", other).await.problem(422);
    assert!(
        p["detail"].as_str().unwrap().contains("Idempotency-Key"),
        "{p}"
    );
    // Another key, the case now closed: 409 saying so.
    let p = office.outcome(&case, "report-2", body).await.problem(409);
    assert!(p["detail"].as_str().unwrap().contains("closed"), "{p}");

    let mails = smtp.wait_for(3).await;
    let rows = app.all_mail_sent().await;
    let kinds: Vec<&str> = rows.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(kinds, ["receipt", "decision", "recovered"]);
    let mail = mails
        .iter()
        .find(|m| m.subject().contains("money came back"))
        .expect("the recovery mail");
    assert!(mail.subject().contains(&case));
    assert!(mail.text().contains("CNY 520.00"), "{}", mail.text());
    assert!(mail.text().contains("RF-42"));
}

#[tokio::test]
async fn no_recovery_mails_the_note_in_chinese_and_only_an_approved_case_takes_a_result() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    let office = BackOffice::new(&app, &cli_key(&app, "desk", "cases:outcome"));

    // Not approved yet: 409 naming its status; nothing written.
    let (open, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    let trail = events(&app);
    let body = r#"{"result":"not_recovered","reference":"NR-1","note":"收款人账户已注销"}"#;
    let p = office.outcome(&open, "a", body).await.problem(409);
    assert!(p["detail"].as_str().unwrap().contains("submitted"), "{p}");
    assert_eq!(events(&app), trail);
    // Rejected: no outcome to report.
    app.get("/lang/zh?next=/").await;
    let (rejected, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    boss.act(&rejected, "claim", &[]).await;
    let reject = [("outcome", "rejected"), ("reason_code", "not_a_mistake")];
    assert_eq!(
        boss.act(&rejected, "decide", &reject).await,
        StatusCode::SEE_OTHER
    );
    office.outcome(&rejected, "b", body).await.problem(409);

    let case = approved_case(&app, &boss, "zh").await;
    // Each refused field is named.
    // More than the case's amount: the case's own state refuses it.
    let p = office
        .outcome(
            &case,
            "c",
            r#"{"result":"recovered","reference":"R","amount_fen":99999999}"#,
        )
        .await
        .problem(409);
    assert_eq!(p["errors"][0]["field"], "amount_fen", "{p}");
    let p = office
        .outcome(
            &case,
            "d",
            r#"{"result":"not_recovered","reference":" ","note":" "}"#,
        )
        .await
        .problem(422);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["reference", "note"]);

    let done = office.outcome(&case, "e", body).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.json()["outcome"]["result"], "not_recovered");
    let mail = eventually_mail(&smtp, "款项未能追回").await;
    assert!(mail.subject().contains(&case));
    assert!(mail.text().contains("收款人账户已注销"), "{}", mail.text());
}

async fn eventually_mail(smtp: &SmtpServer, subject: &str) -> crate::smtp::Mail {
    crate::smtp::eventually("the mail", || {
        smtp.mails()
            .into_iter()
            .find(|m| m.subject().contains(subject))
    })
    .await
}
