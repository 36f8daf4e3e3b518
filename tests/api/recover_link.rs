//! `/track/recover`: a lost tracking link comes back by mail for the case number and the
//! email that filed it; the old link stops working; the page never says whether they matched.

use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::mail_helpers::*;
use crate::secrets_at_rest::{columns_holding, link_token};
use crate::smtp::SmtpServer;

async fn ask(app: &TestApp, case_number: &str, email: &str) -> (StatusCode, String) {
    let html = app.get_html("/track/recover").await;
    let token = attr(&html, "name=\"csrf_token\" value=\"").expect("the form's token");
    let response = app
        .post_form(
            "/track/recover",
            &[
                ("case_number".into(), case_number.into()),
                ("email".into(), email.into()),
                ("csrf_token".into(), token),
            ],
        )
        .await;
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_matching_case_number_and_email_mail_a_new_link_and_the_old_one_stops_working() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    let appeal = AppealFields::valid(Utc::now()).set("email", "Lost.Link@qq.com");
    let (number, old) = app.filed_case(&appeal).await;
    smtp.wait_for(1).await;

    let answered = ask(&app, &number.to_lowercase(), "lost.link+x@QQ.COM").await;
    assert_eq!(answered.0, StatusCode::OK);
    assert!(answered.1.contains("data-field=\"recover-sent\""));

    let mails = smtp.wait_for(2).await;
    let mail = mails
        .iter()
        .find(|m| m.subject().contains("新跟踪链接"))
        .expect("the new link's mail");
    assert_eq!(
        mail.envelope_to,
        ["Lost.Link@qq.com"],
        "to the address that filed"
    );
    let new = link_token(&mail.text());
    assert_ne!(new, old);
    assert!(new.len() >= 43, "as long as a filing's token");
    assert_eq!(
        app.get(&format!("/track/{old}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let page = app.get_html(&format!("/track/{new}")).await;
    assert_eq!(
        field_text(&page, "case-number").as_deref(),
        Some(number.as_str())
    );
    assert!(
        page.contains("新的跟踪链接已发送到你的邮箱"),
        "the timeline says so"
    );
    app.all_mail_sent().await;
    assert!(columns_holding(&mut app.conn(), &new).is_empty());

    // Asking again makes another link; the one before stops working too.
    ask(&app, &number, "lost.link@qq.com").await;
    let mails = smtp.wait_for(3).await;
    let newer = link_token(
        &mails
            .iter()
            .map(|m| m.text())
            .find(|t| t.contains("/track/") && !t.contains(&new) && !t.contains(&old))
            .expect("a third link"),
    );
    assert_eq!(
        app.get(&format!("/track/{new}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/track/{newer}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_wrong_email_or_unknown_case_gets_the_same_page_and_no_mail() {
    let app = spawn_app().await;
    let appeal = AppealFields::valid(Utc::now());
    let (number, token) = app.filed_case(&appeal).await;
    let mails_before = app.count("outbox");

    let matched = ask(&app, &number, appeal.get("email")).await;
    assert_eq!(
        app.count("outbox"),
        mails_before + 1,
        "one mail when they match"
    );
    assert_eq!(
        app.get(&format!("/track/{token}")).await.status(),
        StatusCode::NOT_FOUND
    );

    let wrong_email = ask(&app, &number, "somebody.else@example.org").await;
    let unknown_case = ask(&app, "AD20200101-000000", appeal.get("email")).await;
    assert_eq!(app.count("outbox"), mails_before + 1, "no mail otherwise");
    assert_eq!(wrong_email, matched, "same status, same page");
    assert_eq!(unknown_case, matched, "same status, same page");
    assert!(!matched.1.contains(&number) && !matched.1.contains("example"));
}

#[tokio::test]
async fn a_malformed_request_is_refused_by_field_and_a_foreign_form_is_forbidden() {
    let app = spawn_app().await;
    let (status, html) = ask(&app, "not a number", "not an email").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("data-error-for=\"case_number\"")
            && html.contains("data-error-for=\"email\"")
    );
    assert!(
        html.contains("AD20261128-7KQ2XM"),
        "shows what a case number looks like"
    );

    let forged = app
        .post_form(
            "/track/recover",
            &[
                ("case_number".into(), "AD20261128-7KQ2XM".into()),
                ("email".into(), "a@example.com".into()),
                ("csrf_token".into(), "forged.token".into()),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    app.get("/lang/en?next=/").await;
    let form = app.get_html("/track/recover").await;
    assert!(form.contains("Get your tracking link again"));
}

#[tokio::test]
async fn a_case_gets_at_most_three_new_links_a_day() {
    let app = spawn_app_at("2026-11-24 10:00:00").await;
    let appeal = AppealFields::valid(app.clock.now());
    let (number, _) = app.filed_case(&appeal).await;
    let receipts = app.count("outbox");
    let mut pages = Vec::new();
    for _ in 0..4 {
        pages.push(ask(&app, &number, appeal.get("email")).await);
    }
    assert_eq!(
        app.count("outbox"),
        receipts + 3,
        "the fourth mails nothing"
    );
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "and reads the same");

    app.clock.advance(chrono::Duration::days(1));
    ask(&app, &number, appeal.get("email")).await;
    assert_eq!(app.count("outbox"), receipts + 4, "a new day, a new link");
}
