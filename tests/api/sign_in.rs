//! Sign-in without lockouts: failures are throttled per (account, client address) and
//! slow the account down a little, never refusing its owner from a clean address.

use std::time::{Duration, Instant};

use appealdesk::config::{Clock, TrustedProxies};
use appealdesk::domain::agent::Role;
use reqwest::StatusCode;

use crate::helpers::*;

const ZHAO: &str = "zhao@example.com";

#[tokio::test]
async fn failures_throttle_that_account_from_that_address_only() {
    let app = spawn_app().await;
    app.create_agent(ZHAO, Role::Agent);
    let guesser = app.console();
    for _ in 0..5 {
        let r = guesser.sign_in_with(ZHAO, "guess-guess").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = guesser.sign_in_with(ZHAO, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "this pair waits");
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().await.unwrap().contains("login-error"));

    // The owner, at another address, is let in with the right password.
    let owner = app.console_from("127.0.0.2");
    let r = owner.sign_in_with(ZHAO, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "no lockout");
    assert_eq!(location(&r), "/agent/cases");
}

#[tokio::test]
async fn fifty_failures_from_one_address_leave_the_owner_a_way_in_within_seconds() {
    let app = spawn_app().await;
    app.create_agent(ZHAO, Role::Agent);
    let guesser = app.console();
    let mut statuses = Vec::new();
    for _ in 0..50 {
        statuses.push(guesser.sign_in_with(ZHAO, "guess-guess").await.status());
    }
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS)
    );

    let owner = app.console_from("127.0.0.3");
    let started = Instant::now();
    let r = owner.sign_in_with(ZHAO, PASSWORD).await;
    let took = started.elapsed();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test]
async fn guesses_from_many_addresses_slow_the_account_but_never_shut_it() {
    let app = spawn_app_configured(Clock::System, |s| {
        s.edge.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    app.create_agent(ZHAO, Role::Agent);
    // Twenty guesses from ten addresses, ten at a time: every one is checked and counts,
    // enough for the longest delay.
    for _round in 0..2 {
        let guesses: Vec<_> = (0..10)
            .map(|i| {
                let console = app.console();
                let from = format!("198.51.100.{i}");
                tokio::spawn(async move {
                    console
                        .sign_in_forwarded(ZHAO, "guess-guess", Some(&from))
                        .await
                        .status()
                })
            })
            .collect();
        for guess in guesses {
            assert_eq!(guess.await.unwrap(), StatusCode::UNAUTHORIZED);
        }
    }

    let started = Instant::now();
    let r = app
        .console()
        .sign_in_forwarded(ZHAO, PASSWORD, Some("203.0.113.50"))
        .await;
    let took = started.elapsed();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        took >= Duration::from_millis(appealdesk::domain::policy::SIGN_IN_DELAY_MAX_MS),
        "a guessed-at account answers slowly: {took:?}"
    );
}

#[tokio::test]
async fn attempts_refused_without_a_check_do_not_count() {
    let app = spawn_app_at("2026-11-23 10:00:00").await;
    app.create_agent(ZHAO, Role::Agent);
    let console = app.console();
    for _ in 0..5 {
        let r = console.sign_in_with(ZHAO, "guess-guess").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    app.clock.advance(chrono::Duration::minutes(10));
    // One a minute would keep an account shut if refusals counted.
    for _ in 0..10 {
        let r = console.sign_in_with(ZHAO, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    app.clock.advance(chrono::Duration::minutes(6));
    let r = console.sign_in_with(ZHAO, PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the first five have expired"
    );
}

#[tokio::test]
async fn behind_a_load_balancer_one_clients_failures_do_not_block_another() {
    let app = spawn_app_configured(Clock::System, |s| {
        s.edge.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    app.create_agent(ZHAO, Role::Agent);
    // Thirty-one failures from one client, all through the balancer at 127.0.0.1.
    let attacker = app.console();
    for i in 0..31 {
        let r = attacker
            .sign_in_forwarded(
                &format!("nobody{i}@example.com"),
                "guess-guess",
                Some("198.51.100.9"),
            )
            .await;
        assert!(
            r.status() == StatusCode::UNAUTHORIZED || r.status() == StatusCode::TOO_MANY_REQUESTS
        );
    }
    let r = attacker
        .sign_in_forwarded(ZHAO, PASSWORD, Some("198.51.100.9"))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "that client waits"
    );

    let r = app
        .console()
        .sign_in_forwarded(ZHAO, PASSWORD, Some("203.0.113.7"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "another client does not");
}
