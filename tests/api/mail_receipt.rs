use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use reqwest::StatusCode;

use crate::helpers::*;
use crate::mail_helpers::*;
use crate::smtp::{SmtpServer, eventually};

/// What the receipt page shows of a filing: case number, token, ISO dates.
struct Filed {
    number: String,
    token: String,
    target: NaiveDate,
    deadline: NaiveDate,
}

async fn file_and_read_receipt(app: &TestApp, appeal: &AppealFields) -> Filed {
    let response = app.file(appeal).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let path = location(&response);
    let html = app.get_html(&path).await;
    let date = |name| {
        let iso = time_field(&html, name).expect(name);
        NaiveDate::parse_from_str(&iso, "%Y-%m-%d").expect("ISO date")
    };
    Filed {
        number: field_text(&html, "case-number").expect("case number"),
        token: path.rsplit('/').next().expect("token").to_owned(),
        target: date("review-target"),
        deadline: date("review-deadline"),
    }
}

#[tokio::test]
async fn filing_mails_one_chinese_receipt_with_number_link_and_dates_as_text_and_html() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    let appeal = AppealFields::valid(Utc::now()).set("email", "xiaoming@example.com");
    let filed = file_and_read_receipt(&app, &appeal).await;

    smtp.wait_for(1).await;
    let rows = app.all_mail_sent().await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "exactly one mail");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].message.as_str(), rows[0].lang.as_str()),
        ("receipt", "zh-CN")
    );
    assert_eq!(rows[0].recipient, "xiaoming@example.com");
    assert!(rows[0].case_id.is_some(), "the mail belongs to its case");
    let mail = &mails[0];
    assert_eq!(mail.envelope_to, ["xiaoming@example.com"]);
    assert_eq!(mail.to(), ["xiaoming@example.com"]);
    assert_eq!(mail.from(), "no-reply@appealdesk.localhost");
    assert!(
        mail.message_id().starts_with("outbox-"),
        "{}",
        mail.message_id()
    );
    assert!(mail.subject().contains(&filed.number), "{}", mail.subject());
    assert!(mail.subject().contains("申诉"), "{}", mail.subject());

    // No PUBLIC_BASE_URL: links start at the server's own address.
    let link = app.url(&format!("/track/{}", filed.token));
    for body in [mail.text(), mail.html()] {
        assert!(body.contains(&filed.number));
        assert!(body.contains(&link), "{body}");
        for date in [filed.target, filed.deadline] {
            let label = date.format("%Y年%-m月%-d日").to_string();
            assert!(body.contains(&label), "{label} in {body}");
        }
        assert!(body.contains("支付密码") && body.contains("短信验证码"));
        // The account and the full transaction ID stay out of mail.
        assert!(!body.contains(appeal.get("account")));
        assert!(!body.contains(appeal.get("transaction_id")));
    }
    assert!(mail.html().contains("<html lang=\"zh-CN\">"));

    // The mailed link opens the case.
    let path = format!("/track/{}", filed.token);
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_appeal_filed_in_english_gets_its_receipt_in_english() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    let switch = app.get("/lang/en?next=/appeals/new").await;
    assert_eq!(switch.status(), StatusCode::SEE_OTHER);
    let filed = file_and_read_receipt(&app, &AppealFields::valid(Utc::now())).await;

    let mails = smtp.wait_for(1).await;
    let rows = app.all_mail_sent().await;
    assert_eq!(rows[0].lang, "en");
    let mail = &mails[0];
    assert_eq!(
        mail.subject(),
        format!("Appeal filed: case {}", filed.number)
    );
    let text = mail.text();
    assert!(text.contains(&format!("/track/{}", filed.token)));
    assert!(text.contains(&filed.target.format("%A %-d %B %Y").to_string()));
    assert!(text.contains(&filed.deadline.format("%A %-d %B %Y").to_string()));
    assert!(
        text.contains(
            "AppealDesk never asks for your payment password or an SMS verification code"
        )
    );
    assert!(!text.contains("申诉") && !text.contains("你好"), "{text}");
    assert!(mail.html().contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn a_resubmitted_form_mails_no_second_receipt() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    let token = app.open_form().await;
    let fields = AppealFields::valid(Utc::now()).with_token(&token);
    for _ in 0..3 {
        let response = app.post_form("/appeals", &fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    smtp.wait_for(1).await;
    assert_eq!(app.all_mail_sent().await.len(), 1);
    assert_eq!(smtp.mails().len(), 1);
}

#[tokio::test]
async fn without_smtp_url_mail_is_written_as_eml_files() {
    let database = Arc::new(TestDatabase::fresh());
    let dir = std::env::temp_dir().join(format!(
        "appealdesk_mail_{}_{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let mut settings = settings(&database, appealdesk::config::Clock::System);
    settings.mail.run_worker = true;
    settings.mail.dir = dir.clone();
    let app = TestApp::start_with(database, settings).await;

    let filed = file_and_read_receipt(&app, &AppealFields::valid(Utc::now())).await;

    // The file is written in place: wait until it reads whole.
    eventually("the receipt as an .eml file", || {
        let subjects = eml_subjects(&dir);
        subjects
            .iter()
            .any(|s| s.contains(&filed.number))
            .then_some(())
    })
    .await;
    app.all_mail_sent().await;
    assert_eq!(eml_subjects(&dir).len(), 1);

    // Readable with `cat`: UTF-8 text, the subject and both parts as written, no base64.
    let eml = eml_texts(&dir).pop().expect("one .eml file");
    let subject = eml
        .lines()
        .find(|l| l.starts_with("Subject: "))
        .unwrap_or_else(|| panic!("a Subject line: {eml}"));
    assert!(subject.contains(&filed.number), "{subject}");
    assert!(!eml.contains("=?utf-8?"), "no encoded words: {eml}");
    assert!(!eml.contains("base64"), "{eml}");
    assert_eq!(
        eml.matches("Content-Transfer-Encoding: 8bit").count(),
        2,
        "{eml}"
    );
    let body = eml.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    assert!(body.contains(&filed.number), "{eml}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `.eml` files the file transport wrote, read as UTF-8 text.
fn eml_texts(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("the mail folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// The subjects of the `.eml` files the file transport wrote.
fn eml_subjects(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .filter_map(|p| std::fs::read(p).ok())
                .map(|raw| {
                    mail_parser::MessageParser::default()
                        .parse(&raw)
                        .and_then(|m| m.subject().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}
