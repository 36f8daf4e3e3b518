//! One mailbox gets at most `RECEIPTS_PER_MAILBOX_PER_DAY` receipts a day from new
//! filings; a filing over it is refused next to the email field, before the quota.

use appealdesk::domain::policy::RECEIPTS_PER_MAILBOX_PER_DAY;
use chrono::{Duration, Utc};
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_mailbox_gets_three_receipts_a_day_and_a_fourth_filing_is_refused_before_the_quota() {
    let app = spawn_app_at("2026-11-24 09:00:00").await;
    let now = cst("2026-11-24 09:00:00");
    assert_eq!(RECEIPTS_PER_MAILBOX_PER_DAY, 3);
    // One mailbox, spelled three ways.
    for email in ["target@qq.com", "Target+a@QQ.com", "target+b@qq.com"] {
        let appeal = AppealFields::valid(now).set("email", email);
        assert_eq!(app.file(&appeal).await.status(), StatusCode::SEE_OTHER);
    }

    let fourth = AppealFields::valid(now).set("email", "TARGET+c@qq.com");
    let response = app.file(&fourth).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(control(&html, "email").contains("aria-invalid=\"true\""));
    assert!(
        html.contains("data-error-for=\"email\""),
        "the message is next to the email"
    );
    assert!(html.contains("这个邮箱今天已经收到 3 封"), "{html}");
    assert_eq!(app.count("cases"), 3);
    assert_eq!(
        app.count("quota_slots"),
        3,
        "the refused filing took no slot"
    );

    // The same WeChat ID with an address of its own is filed: its quota is intact.
    let other = fourth.clone().set("email", "someone.else@163.com");
    assert_eq!(app.file(&other).await.status(), StatusCode::SEE_OTHER);

    // A new day in China, a new count.
    app.clock.advance(Duration::hours(15));
    let tomorrow = AppealFields::valid(app.clock.now()).set("email", "target@qq.com");
    assert_eq!(app.file(&tomorrow).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_mailbox_limit_is_in_english_for_an_english_reader() {
    let app = spawn_app().await;
    app.get("/lang/en?next=/").await;
    for _ in 0..3 {
        let appeal = AppealFields::valid(Utc::now()).set("email", "busy@example.org");
        assert_eq!(app.file(&appeal).await.status(), StatusCode::SEE_OTHER);
    }
    let response = app
        .file(&AppealFields::valid(Utc::now()).set("email", "busy@example.org"))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("This email address has already received 3 receipts"),
        "{html}"
    );
}

#[tokio::test]
async fn many_concurrent_filings_to_one_mailbox_accept_exactly_three() {
    let app = spawn_app().await;
    let mut forms = Vec::new();
    for _ in 0..10 {
        let token = app.open_form().await;
        forms.push(
            AppealFields::valid(Utc::now())
                .set("email", "flood@example.net")
                .with_token(&token),
        );
    }
    let responses = app.post_concurrently("/appeals", forms).await;
    let accepted = responses
        .iter()
        .filter(|r| r.status() == StatusCode::SEE_OTHER)
        .count();
    let refused = responses
        .iter()
        .filter(|r| r.status() == StatusCode::CONFLICT)
        .count();
    assert_eq!((accepted, refused), (3, 7));
    assert_eq!(app.count("cases"), 3);
}
