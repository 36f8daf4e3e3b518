use appealdesk::db::schema::cases;
use chrono::Utc;
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;

async fn filed(app: &TestApp) -> (String, String) {
    let response = app.file(&AppealFields::valid(Utc::now())).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let receipt = app.get_html(&location(&response)).await;
    let link = attr(&receipt, "data-field=\"tracking-link\" href=\"").unwrap();
    let number = field_text(&receipt, "case-number").unwrap();
    (link, number)
}

#[tokio::test]
async fn the_tracking_link_alone_opens_the_case_with_status_dates_and_timeline() {
    let app = spawn_app().await;
    let (link, number) = filed(&app).await;

    // A different browser, with nothing but the link.
    let response = client().get(&link).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("cache-control").unwrap(),
        "no-store",
        "a private page is not cached"
    );
    let html = response.text().await.unwrap();
    assert_eq!(field_text(&html, "case-number"), Some(number));
    assert!(html.contains("data-status=\"submitted\""));
    assert!(time_field(&html, "review-target").is_some());
    assert!(time_field(&html, "review-deadline").is_some());
    let timeline = html.split("data-field=\"timeline\"").nth(1).unwrap();
    assert_eq!(
        timeline
            .split("</ol>")
            .next()
            .unwrap()
            .matches("<li>")
            .count(),
        1
    );
}

#[tokio::test]
async fn an_unknown_or_altered_token_opens_nothing() {
    let app = spawn_app().await;
    let (link, _) = filed(&app).await;
    let token = link.rsplit('/').next().unwrap();
    let mut altered = token.to_owned();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });

    for path in [
        format!("/track/{altered}"),
        "/track/x".to_owned(),
        format!("/appeals/receipt/{altered}"),
    ] {
        assert_eq!(
            app.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn only_a_digest_of_the_tracking_token_is_stored() {
    let app = spawn_app().await;
    let (link, _) = filed(&app).await;
    let token = link.rsplit('/').next().unwrap();
    assert!(token.len() >= 22, "at least 128 bits");

    let stored: String = cases::table
        .select(cases::tracking_token_hash)
        .first(&mut *app.conn())
        .unwrap();
    assert_ne!(stored, token);
    assert!(!stored.contains(token));
    assert_eq!(stored, appealdesk::keys::digest(token));
}

#[tokio::test]
async fn healthz_answers_once_the_database_does() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
}
