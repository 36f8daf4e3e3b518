use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_landing_page_explains_eligibility_in_chinese_by_default() {
    let app = spawn_app().await;
    let html = app.get_html("/").await;
    assert!(html.contains("<html lang=\"zh-CN\""));
    assert!(html.contains("500.00"));
    assert!(html.contains("支付密码") && html.contains("验证码"));
    assert!(html.contains("data-rule=\"quota\""));
    assert!(html.contains("href=\"/appeals/new\""));
}

#[tokio::test]
async fn english_follows_accept_language_and_a_chosen_language_is_remembered() {
    let app = spawn_app().await;
    let english = app
        .client
        .get(app.url("/"))
        .header("accept-language", "en-GB,en;q=0.9,zh;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\""));
    assert!(english.contains("never asks for your payment password"));

    // The visible switch: a plain link, remembered by a cookie.
    let switch = attr(&english, "class=\"lang-switch\" href=\"").unwrap();
    let response = app.get(&switch).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    let chinese = app
        .client
        .get(app.url("/appeals/new"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        chinese.contains("<html lang=\"zh-CN\""),
        "the choice beats the header"
    );
}

#[tokio::test]
async fn the_form_keeps_its_field_names_and_asks_for_no_secret() {
    let app = spawn_app().await;
    let html = app.get_html("/appeals/new").await;
    for name in [
        "wechat_id",
        "email",
        "packet_kind",
        "amount",
        "sent_at",
        "transaction_id",
        "counterparty_phone_suffix",
        "card_last4",
        "account",
        "csrf_token",
    ] {
        assert!(html.contains(&format!("name=\"{name}\"")), "{name}");
    }
    assert!(!html.contains("type=\"password\""));
    assert!(
        !html.contains("datetime-local"),
        "it would drop the seconds"
    );
    assert!(html.contains("value=\"red_packet\""));
    assert!(html.contains("value=\"lucky_red_packet\""));
    assert!(html.contains("value=\"transfer\""));
    assert!(html.contains("支付密码"));
}

#[tokio::test]
async fn the_stylesheet_is_served_and_unknown_pages_are_404() {
    let app = spawn_app().await;
    let html = app.get_html("/").await;
    let css = attr(&html, "rel=\"stylesheet\" href=\"").unwrap();
    let response = app.get(&css).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("@media"));
    assert_eq!(app.get("/nowhere").await.status(), StatusCode::NOT_FOUND);
}
