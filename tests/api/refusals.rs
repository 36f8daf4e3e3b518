use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::*;

/// Sends one appeal with `name` set to `value` and returns the refusal page.
async fn refused(app: &TestApp, name: &str, value: &str) -> String {
    let response = app
        .file(&AppealFields::valid(Utc::now()).set(name, value))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "{name}={value:?} should be refused"
    );
    let html = response.text().await.unwrap();
    assert_field_refused(&html, name);
    html
}

fn assert_field_refused(html: &str, name: &str) {
    let tag = control(html, name);
    assert!(tag.contains("aria-invalid=\"true\""), "{name}: {tag}");
    let error_id = format!("{name}-error");
    assert!(
        tag.contains(&format!("aria-describedby=\"{error_id}")),
        "{tag}"
    );
    assert!(
        html.contains(&format!("id=\"{error_id}\"")),
        "message for {name}"
    );
}

#[tokio::test]
async fn every_refused_field_is_marked_and_described_and_the_values_are_kept() {
    let app = spawn_app().await;
    let appeal = AppealFields::valid(Utc::now())
        .set("transaction_id", "2000000000000000000")
        .set("card_last4", "12a4")
        .set("email", "not-an-address")
        .set("wechat_id", "小明");
    let response = app.file(&appeal).await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    for name in ["transaction_id", "card_last4", "email", "wechat_id"] {
        assert_field_refused(&html, name);
    }
    for name in ["amount", "sent_at", "counterparty_phone_suffix", "account"] {
        assert!(
            !control(&html, name).contains("aria-invalid"),
            "{name} was valid"
        );
    }
    assert_eq!(html.matches("aria-invalid=\"true\"").count(), 4);
    assert!(control(&html, "card_last4").contains("value=\"12a4\""));
    assert!(html.contains("小明"));
    assert_eq!(app.count("cases"), 0);
    assert_eq!(app.count("quota_slots"), 0);
}

#[tokio::test]
async fn exactly_500_yuan_is_refused_and_500_yuan_01_is_accepted() {
    let app = spawn_app().await;
    let html = refused(&app, "amount", "500.00").await;
    assert!(html.contains("500.00"));
    refused(&app, "amount", "500").await;
    refused(&app, "amount", "12.5").await;
    refused(&app, "amount", "99999999999999999999999").await;
    refused(&app, "amount", "-600").await;
    refused(&app, "amount", "600.001").await;

    let response = app
        .file(&AppealFields::valid(Utc::now()).set("amount", "500.01"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("cases"), 1);
}

#[tokio::test]
async fn a_send_time_without_seconds_is_refused_with_where_to_find_them() {
    let app = spawn_app().await;
    let html = refused(&app, "sent_at", "2026-11-20 14:30").await;
    assert!(
        html.contains("账单"),
        "the message points to the bill details"
    );
    // A browser's datetime-local value drops the seconds in just this way.
    refused(&app, "sent_at", "2026-11-20T14:30").await;
}

#[tokio::test]
async fn impossible_future_and_too_old_send_times_are_refused() {
    let app = spawn_app_at("2026-11-28 12:00:00").await;
    for bad in [
        "2026-02-30 10:00:00",
        "2026-11-20 25:00:00",
        "2026-11-28 12:06:00",
        "2025-11-27 11:59:59",
        "yesterday",
    ] {
        let appeal = AppealFields::valid(cst("2026-11-28 12:00:00")).set("sent_at", bad);
        let response = app.file(&appeal).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    // Within the five minutes of clock skew allowed.
    let skewed =
        AppealFields::valid(cst("2026-11-28 12:00:00")).set("sent_at", "2026-11-28 12:04:00");
    assert_eq!(app.file(&skewed).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("cases"), 1);
}

#[tokio::test]
async fn malformed_evidence_is_refused_field_by_field() {
    let app = spawn_app().await;
    refused(&app, "transaction_id", "100000000000000000").await; // 18 digits
    refused(&app, "transaction_id", "10000000000000000000").await; // 20 digits
    refused(&app, "transaction_id", "1100000000000000000").await; // not "10…"
    refused(&app, "counterparty_phone_suffix", "123").await;
    refused(&app, "counterparty_phone_suffix", "12345").await;
    refused(&app, "card_last4", "").await;
    refused(&app, "packet_kind", "gift_card").await;
    refused(&app, "account", "too short").await;
    refused(&app, "account", &"x".repeat(2001)).await;
    refused(&app, "wechat_id", "12345678").await; // must start with a letter
    refused(&app, "email", "a@b@c").await;
    assert_eq!(app.count("cases"), 0);
}

#[tokio::test]
async fn an_account_carrying_a_payment_password_or_sms_code_is_refused() {
    let app = spawn_app().await;
    let html = refused(
        &app,
        "account",
        "I sent it by mistake. My payment password is 135790, please check.",
    )
    .await;
    assert!(html.contains("密码") || html.contains("password"));
    refused(&app, "account", "转错人了,收到的验证码是 482913,请尽快处理").await;
    assert_eq!(app.count("cases"), 0);
}

#[tokio::test]
async fn refusals_are_in_english_when_the_reader_chose_english() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/lang/en?next=/appeals/new"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = app
        .file(&AppealFields::valid(Utc::now()).set("amount", "500.00"))
        .await;
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\""));
    let message = html
        .split("id=\"amount-error\"")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap();
    assert!(
        message.contains("500.00") && message.contains("eligible"),
        "{message}"
    );
    assert!(!message.contains("元"), "{message}");
}

#[tokio::test]
async fn a_missing_or_foreign_csrf_token_is_forbidden_and_stores_nothing() {
    let app = spawn_app().await;
    let appeal = AppealFields::valid(Utc::now());

    // No token at all.
    let response = app.post_form("/appeals", &appeal.0).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // A token another browser was given.
    let stranger = client();
    let html = stranger
        .get(app.url("/appeals/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let foreign = attr(&html, "name=\"csrf_token\" value=\"").unwrap();
    app.open_form().await; // our browser has its own cookie
    let response = app
        .post_form("/appeals", &appeal.with_token(&foreign))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // A forged one.
    let forged = app
        .post_form(
            "/appeals",
            &appeal.with_token("AAAAAAAAAAAAAAAAAAAAAA.AAAA"),
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("cases"), 0);
}

#[tokio::test]
async fn nothing_a_script_can_send_yields_a_server_error() {
    let app = spawn_app().await;
    let token = app.open_form().await;
    let url = app.url("/appeals");
    let huge = format!("csrf_token={token}&account={}", "x".repeat(200_000));
    let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
        (
            "application/x-www-form-urlencoded",
            huge.into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "application/json",
            b"{\"amount\":1}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "application/x-www-form-urlencoded",
            vec![0xff, 0xfe, b'=', 0x80],
            StatusCode::FORBIDDEN,
        ),
        (
            "application/x-www-form-urlencoded",
            b"amount=1&amount=2".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/x-www-form-urlencoded",
            b"%%%=%%%".to_vec(),
            StatusCode::FORBIDDEN,
        ),
        (
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}&amount=%00%01&sent_at=9999-99-99+99:99:99").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (content_type, body, expected) in cases {
        let response = app
            .client
            .post(&url)
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            expected,
            "{content_type} {:?}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        );
    }
    for path in [
        "/track/%00",
        "/track/..%2F..%2Fetc%2Fpasswd",
        &format!("/track/{}", "a".repeat(5000)),
        "/appeals/receipt/nope",
        "/lang/xx?next=//evil.example",
        "/lang/en?next=%0d%0aSet-Cookie:x=1",
        "/static/../Cargo.toml",
        "/no/such/page",
    ] {
        let response = app.get(path).await;
        assert!(
            response.status().as_u16() < 500,
            "{path}: {}",
            response.status()
        );
        if let Some(to) = response.headers().get("location") {
            let to = to.to_str().unwrap();
            assert!(
                to.starts_with('/') && !to.starts_with("//"),
                "{path} → {to}"
            );
        }
    }
    assert_eq!(app.count("cases"), 0);
}
