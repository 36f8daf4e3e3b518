//! Rate limits per client address, and the client address behind trusted proxies.

use appealdesk::config::{Clock, RateLimits, Settings, TrustedProxies};
use appealdesk::domain::throttle::RateLimit;
use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::*;

fn low_limits(settings: &mut Settings) {
    settings.edge.rate_limits = RateLimits::all(RateLimit {
        burst: 3,
        per_hour: 1,
    });
}

/// A reply to no case: it knocks on the appellants' door, which counts it either way.
async fn knock(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/track/no-such-token/reply"))
        .form(&[("text", "hello")]);
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.expect("POST")
}

#[tokio::test]
async fn filing_past_the_limit_is_refused_in_the_readers_language_and_others_still_file() {
    let app = spawn_app_configured(Clock::System, |s| {
        low_limits(s);
        s.edge.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let send = |forwarded: &'static str| {
        let app = &app;
        async move {
            let token = app.open_form().await;
            app.client
                .post(app.url("/appeals"))
                .header("x-forwarded-for", forwarded)
                .header("accept-language", "zh-CN,zh;q=0.9")
                .form(&AppealFields::valid(Utc::now()).with_token(&token))
                .send()
                .await
                .expect("POST")
        }
    };
    for _ in 0..3 {
        assert_eq!(send("198.51.100.1").await.status(), StatusCode::SEE_OTHER);
    }
    let refused = send("198.51.100.1").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&wait), "Retry-After: {wait}");
    assert_eq!(refused.headers()["cache-control"], "no-store");
    let page = refused.text().await.unwrap();
    assert!(page.contains("lang=\"zh-CN\""), "{page}");
    assert!(
        field_text(&page, "throttled").unwrap().contains("请"),
        "{page}"
    );
    assert_eq!(app.count("cases"), 3, "nothing filed past the limit");

    // Another client behind the same proxy is not affected.
    assert_eq!(send("198.51.100.2").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_refusal_is_english_for_an_english_reader() {
    let app = spawn_app_configured(Clock::System, low_limits).await;
    for _ in 0..3 {
        assert_ne!(
            knock(&app, None).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    let refused = app
        .client
        .post(app.url("/track/no-such-token/withdraw"))
        .header("accept-language", "en-GB,en;q=0.9")
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Too many requests"), "{page}");
}

#[tokio::test]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_configured(Clock::System, low_limits).await;
    // Each request claims to come from somewhere else; all come from 127.0.0.1.
    three_pass_then_one_is_refused(
        &app,
        |i| format!("203.0.113.{i}"),
        "203.0.113.200",
        "the peer is the client",
    )
    .await;
}

/// Three knocks (forwarded for `first(i)`) pass; a fourth, forwarded for `last`, is the
/// same client over its limit.
async fn three_pass_then_one_is_refused(
    app: &TestApp,
    first: impl Fn(usize) -> String,
    last: &str,
    why: &str,
) {
    for i in 0..3 {
        assert_ne!(
            knock(app, Some(&first(i))).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    let r = knock(app, Some(last)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{why}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client() {
    let app = spawn_app_configured(Clock::System, |s| {
        low_limits(s);
        s.edge.trusted_proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
    })
    .await;
    // The client writes a new address at the left each time; the proxies append the
    // address they saw (198.51.100.7) and their own (10.0.0.3).
    three_pass_then_one_is_refused(
        &app,
        |i| format!("203.0.113.{i}, 198.51.100.7, 10.0.0.3"),
        "203.0.113.99, 198.51.100.7, 10.0.0.3",
        "198.51.100.7 is the client",
    )
    .await;
    let r = knock(&app, Some("198.51.100.8, 10.0.0.3")).await;
    assert_ne!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "another client is not"
    );
}

#[tokio::test]
async fn sign_in_and_lost_link_requests_are_limited_per_address_too() {
    let app = spawn_app_configured(Clock::System, low_limits).await;
    for path in ["/agent/login", "/track/recover"] {
        for _ in 0..3 {
            let r = app
                .client
                .post(app.url(path))
                .form(&[("x", "y")])
                .send()
                .await
                .unwrap();
            assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        }
        let r = app
            .client
            .post(app.url(path))
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(r.headers().contains_key("retry-after"));
    }
    // Reading pages is never limited.
    for _ in 0..10 {
        assert_eq!(app.get("/appeals/new").await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_percent_encoded_path_and_junk_in_forwarded_for_are_counted_as_the_client() {
    let app = spawn_app_configured(Clock::System, |s| {
        low_limits(s);
        s.edge.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    // `repl%79` is routed as `reply`; bytes that are not UTF-8 at the left do not hide
    // the address the proxy appended.
    for _ in 0..3 {
        let r = app
            .client
            .post(app.url("/track/no-such-token/repl%79"))
            .header(
                "x-forwarded-for",
                reqwest::header::HeaderValue::from_bytes(b"\xff\xfe, 198.51.100.9").unwrap(),
            )
            .form(&[("text", "hello")])
            .send()
            .await
            .expect("POST");
        assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let r = knock(&app, Some("198.51.100.9")).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the same client at the same door"
    );
}
