//! Signed webhooks, end to end: the real server delivers to a real receiver that verifies
//! every request with the official `standardwebhooks` library, not with our code.

use std::collections::{BTreeSet, HashMap};

use appealdesk::domain::agent::Role;
use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::webhook_helpers::*;

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("UTF-8 fixture")
}

/// The appellant answers a request for evidence on the tracking page.
async fn reply(app: &TestApp, token: &str) {
    let html = app.get_html(&format!("/track/{token}")).await;
    let csrf = attr(&html, "name=\"csrf_token\" value=\"").unwrap();
    let r = app
        .post_form(
            &format!("/track/{token}/reply"),
            &[
                ("text".into(), "截图已上传 / uploaded".into()),
                ("csrf_token".into(), csrf),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "replied");
}

async fn withdraw(app: &TestApp, token: &str) {
    app.withdraw(token).await;
}

#[tokio::test]
async fn every_event_type_arrives_signed_and_verified_by_the_standard_library() {
    // 1 February 2027, the year's arrangement not loaded yet (as in calendar_updates.rs).
    let app = spawn_app_with_webhooks("2027-02-01 10:00:00", true).await;
    app.create_agent("a@example.com", Role::Agent);
    let receiver = Receiver::start();
    let boss = app.sign_in("boss@example.com").await;
    let secret = app.add_endpoint(&boss, &receiver.url(), &ALL_EVENTS).await;
    receiver.verify_with(&[&secret]);
    let a = app.sign_in("a@example.com").await;

    // Filed, then moved by the official arrangement.
    app.get("/lang/en?next=/").await;
    let (worked, token) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    let csv = fixture_text("china-2027.csv");
    let loaded = boss
        .post("/agent/calendar", &[("year", "2027"), ("csv", &csv)])
        .await;
    assert_eq!(loaded.status(), StatusCode::SEE_OTHER);
    // Asked for evidence, answered, approved, carried out.
    assert_eq!(a.act(&worked, "claim", &[]).await, StatusCode::SEE_OTHER);
    let ask = [("text", "Please send the transfer screenshot")];
    assert_eq!(
        a.act(&worked, "request-evidence", &ask).await,
        StatusCode::SEE_OTHER
    );
    reply(&app, &token).await;
    let decide = [
        ("outcome", "approved"),
        ("reason_code", "evidence_complete"),
        ("text", ""),
    ];
    assert_eq!(
        a.act(&worked, "decide", &decide).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        a.act(&worked, "carried-out", &[]).await,
        StatusCode::SEE_OTHER
    );
    // One withdrawn by its appellant, one voided by the supervisor.
    let (withdrawn, token) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    withdraw(&app, &token).await;
    let (voided, _) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    assert_eq!(
        boss.act(&voided, "void", &[("text", "a test filing")])
            .await,
        StatusCode::SEE_OTHER
    );

    let expected: Vec<(&str, &str)> = vec![
        ("case.filed", &worked),
        ("case.dates_moved", &worked),
        ("case.evidence_requested", &worked),
        ("case.replied", &worked),
        ("case.decided", &worked),
        ("case.closed", &worked),
        ("case.filed", &withdrawn),
        ("case.withdrawn", &withdrawn),
        ("case.filed", &voided),
        ("case.voided", &voided),
    ];
    let got = receiver.wait_for(expected.len()).await;
    let mut seen: Vec<(String, String)> = got
        .iter()
        .map(|r| (r.event().to_owned(), r.case_number().to_owned()))
        .collect();
    let mut want: Vec<(String, String)> = expected
        .iter()
        .map(|(e, c)| (e.to_string(), c.to_string()))
        .collect();
    seen.sort();
    want.sort();
    assert_eq!(seen, want, "each change announced once");
    let types: BTreeSet<&str> = got.iter().map(|r| r.event()).collect();
    assert_eq!(
        types,
        ALL_EVENTS.iter().copied().collect(),
        "every event type"
    );
    for r in &got {
        assert_eq!(r.verified, vec![true], "standardwebhooks verified {r:?}");
        assert!(r.id.starts_with("msg_"), "{}", r.id);
        let data = &r.payload["data"];
        assert!(data["status"].is_string() && data["updated_at"].is_string());
        assert!(
            r.payload["timestamp"]
                .as_str()
                .unwrap()
                .starts_with("2027-02-01T")
        );
        let body = r.payload.to_string();
        assert!(
            !body.contains("@example.com") && !body.contains("/track/"),
            "no email address or tracking link in a webhook: {body}"
        );
    }
    let ids: BTreeSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), got.len(), "one webhook-id per event");
    let of = |event: &str| {
        got.iter()
            .find(|r| r.event() == event && r.case_number() == worked)
            .unwrap_or_else(|| panic!("{event}"))
            .payload["data"]
            .clone()
    };
    // Each change of the case grows its version.
    let version = |event: &str| of(event)["version"].as_i64().expect("a version");
    assert!(version("case.decided") > version("case.filed"));
    assert!(version("case.closed") > version("case.decided"));
    assert_eq!(of("case.decided")["outcome"], "approved");
    assert_eq!(of("case.decided")["status"], "approved");
    assert_eq!(of("case.closed")["reason"], "carried_out");
    assert_eq!(of("case.closed")["status"], "closed");
    assert_eq!(of("case.dates_moved")["review_deadline"], "2027-02-18");
    assert!(of("case.evidence_requested")["reply_due"].is_string());
    // Nothing more went out than the changes: views, claims and notes are not events.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), expected.len());
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("appealdesk_webhook_deliveries_total{result=\"delivered\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("appealdesk_webhooks_due 0"), "{metrics}");
}

#[tokio::test]
async fn a_receiver_failing_three_times_gets_the_event_once_more_per_failure_with_one_webhook_id() {
    let app = spawn_app_with_webhooks("2026-11-30 10:00:00", true).await;
    let receiver = Receiver::start();
    let boss = app.sign_in("boss@example.com").await;
    let secret = app
        .add_endpoint(&boss, &receiver.url(), &["case.filed"])
        .await;
    receiver.verify_with(&[&secret]);
    receiver.fail_next(3);

    let (case, _) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    receiver.wait_for(1).await;
    // The schedule: 5 s, 5 min, 30 min. Just short of a delay, nothing is sent again.
    for (n, delay) in [(2, 5), (3, 300), (4, 1800)] {
        app.attempt_recorded(n as i32 - 1).await;
        app.clock.advance(Duration::seconds(delay - 1));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(receiver.received().len(), n - 1, "not before its time");
        app.clock.advance(Duration::seconds(1));
        receiver.wait_for(n).await;
    }
    let got = receiver.received();
    assert_eq!(
        got.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 500, 500, 200]
    );
    assert!(
        got.iter().all(|r| r.id == got[0].id),
        "one webhook-id: {got:?}"
    );
    assert!(
        got.iter()
            .all(|r| r.verified == [true] && r.case_number() == case)
    );
    let rows = app
        .deliveries_until("the delivery recorded", |rows| {
            rows.iter().all(|r| r.status == "delivered")
        })
        .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].attempts, 4);
    assert_eq!(rows[0].last_status, Some(200));
    // Delivered is the end: a day later nothing more has come.
    app.clock.advance(Duration::days(1));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 4);
}

#[tokio::test]
async fn nothing_filed_while_the_receiver_is_down_is_lost() {
    let app = spawn_app_with_webhooks("2026-11-30 10:00:00", true).await;
    let mut receiver = Receiver::start();
    let boss = app.sign_in("boss@example.com").await;
    let secret = app
        .add_endpoint(&boss, &receiver.url(), &["case.filed"])
        .await;
    receiver.verify_with(&[&secret]);
    receiver.stop();

    let mut filed = BTreeSet::new();
    for _ in 0..3 {
        let (case, _) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
        filed.insert(case);
    }
    // Each was tried and refused (nobody listens), and is kept for its next attempt.
    let rows = app
        .deliveries_until("three failed attempts", |rows| {
            rows.len() == 3
                && rows
                    .iter()
                    .all(|r| r.attempts == 1 && r.last_error.is_some())
        })
        .await;
    assert!(
        rows.iter()
            .all(|r| r.status == "pending" && r.event == "case.filed"),
        "{rows:?}"
    );

    receiver.restart();
    app.clock.advance(Duration::seconds(5));
    let got = receiver.wait_for(3).await;
    let arrived: BTreeSet<String> = got.iter().map(|r| r.case_number().to_owned()).collect();
    assert_eq!(arrived, filed);
    assert!(got.iter().all(|r| r.verified == [true]));
    app.deliveries_until("all delivered", |rows| {
        rows.iter().all(|r| r.status == "delivered")
    })
    .await;
}

#[tokio::test]
async fn after_a_rotation_both_secrets_sign_for_a_day_then_only_the_new_one() {
    let app = spawn_app_with_webhooks("2026-11-30 10:00:00", true).await;
    let receiver = Receiver::start();
    let boss = app.sign_in("boss@example.com").await;
    let old = app
        .add_endpoint(&boss, &receiver.url(), &["case.filed"])
        .await;
    let page = boss.get_html("/agent/webhooks").await;
    let id = attr(&page, "data-endpoint=\"").expect("the endpoint's id");
    let rotated = boss
        .post(&format!("/agent/webhooks/{id}/rotate"), &[])
        .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let new = field_text(&rotated.text().await.unwrap(), "secret").expect("the new secret");
    assert_ne!(new, old);
    receiver.verify_with(&[&old, &new]);

    app.filed_case(&AppealFields::valid(app.clock.now())).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].verified, [true, true], "either secret verifies");
    assert_eq!(got[0].signature.split(' ').count(), 2);

    app.clock
        .advance(Duration::hours(24) + Duration::seconds(1));
    app.filed_case(&AppealFields::valid(app.clock.now())).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].verified, [false, true], "only the new secret signs");
    assert_eq!(got[1].signature.split(' ').count(), 1);
}

#[tokio::test]
async fn an_endpoint_inside_our_network_is_refused_at_save_and_at_send() {
    let app = spawn_app_with_webhooks("2026-11-30 10:00:00", false).await;
    let receiver = Receiver::start();
    let boss = app.sign_in("boss@example.com").await;
    app.get("/lang/en?next=/").await;
    for url in [
        receiver.url(),
        format!("http://localhost:{}/hooks", receiver.port),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::1]/hooks".to_owned(),
        "http://10.0.0.8/hooks".to_owned(),
    ] {
        let r = boss
            .post(
                "/agent/webhooks",
                &[("url", &url), ("case.filed", "on"), ("enabled", "on")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let html = r.text().await.unwrap();
        let said = field_text(&html, "webhook-error").expect("a message by the field");
        assert!(said.contains("内部网络"), "{url}: {said}");
        assert!(
            !html.contains("data-field=\"webhook-endpoint\""),
            "nothing saved"
        );
    }
    let r = boss
        .post(
            "/agent/webhooks",
            &[("url", "https://hooks.example.com/in")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no events chosen"
    );
    assert_eq!(app.count("webhook_endpoints"), 0);

    // A name that resolved to a public address when saved and to loopback now (DNS
    // rebinding): the request is refused at send, and nothing reaches the receiver.
    {
        use appealdesk::db::schema::webhook_endpoints as e;
        use diesel::prelude::*;
        diesel::insert_into(e::table)
            .values((
                e::url.eq(format!("http://localhost:{}/hooks", receiver.port)),
                e::events.eq("case.filed"),
                e::enabled.eq(true),
                e::secret.eq("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                e::created_by.eq("boss@example.com"),
                e::created_at.eq(app.clock.now().naive_utc()),
            ))
            .execute(&mut *app.conn())
            .expect("an endpoint row");
    }
    app.filed_case(&AppealFields::valid(app.clock.now())).await;
    let rows = app
        .deliveries_until("a refused attempt", |rows| {
            rows.len() == 1 && rows[0].last_error.is_some()
        })
        .await;
    let error = rows[0].last_error.clone().unwrap();
    assert!(
        error.contains("refused") && error.contains("127.0.0.1"),
        "{error}"
    );
    assert_eq!(
        rows[0].status, "pending",
        "tried again later, in case DNS changes back"
    );
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
}

#[tokio::test]
async fn a_dead_delivery_is_replayed_with_its_webhook_id_and_a_failing_endpoint_is_disabled() {
    let app = spawn_app_with_webhooks("2026-11-30 10:00:00", true).await;
    let receiver = Receiver::start();
    let boss = app.sign_in("boss@example.com").await;
    let secret = app
        .add_endpoint(&boss, &receiver.url(), &["case.filed"])
        .await;
    receiver.verify_with(&[&secret]);
    receiver.fail_next(1_000);

    let (first, _) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    receiver.wait_for(1).await;
    // The schedule to its end: seven retries, then dead.
    let schedule = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
    for (n, delay) in schedule.iter().enumerate() {
        app.attempt_recorded(n as i32 + 1).await;
        app.clock.advance(Duration::seconds(*delay));
        receiver.wait_for(n + 2).await;
    }
    let rows = app
        .deliveries_until("the delivery dead", |rows| rows[0].status == "dead")
        .await;
    assert_eq!(rows[0].attempts, 8);
    assert_eq!(rows[0].last_status, Some(500));
    app.clock.advance(Duration::days(1));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        8,
        "a dead delivery is not tried again"
    );
    assert!(app.metrics().await.contains("appealdesk_webhooks_dead 1"));
    // Days have passed: a new session.
    let boss = app.sign_in("boss@example.com").await;
    let page = boss.get_html("/agent/webhooks").await;
    assert!(page.contains("data-status=\"dead\""));
    assert!(page.contains("HTTP 500"), "the last answer is shown");

    // Five days of failures: the next failure disables the endpoint and mails supervisors.
    app.clock.advance(Duration::days(4));
    app.filed_case(&AppealFields::valid(app.clock.now())).await;
    receiver.wait_for(9).await;
    app.deliveries_until("the second's first attempt recorded", |rows| {
        rows.len() == 2 && rows[1].attempts == 1 && rows[1].lease_until.is_none()
    })
    .await;
    let boss = app.sign_in("boss@example.com").await;
    let page = boss.get_html("/agent/webhooks").await;
    let state = field_text(&page, "endpoint-state").unwrap();
    assert_eq!(state, "已停用", "{page}");
    let mails: Vec<(String, String)> = app
        .outbox()
        .into_iter()
        .map(|m| (m.message, m.recipient))
        .collect();
    assert!(
        mails.contains(&("webhook_disabled".to_owned(), "boss@example.com".to_owned())),
        "{mails:?}"
    );
    // Its retry finds the endpoint disabled: dead too, nothing sent.
    app.clock.advance(Duration::seconds(5));
    let rows = app
        .deliveries_until("both dead", |rows| rows.iter().all(|r| r.status == "dead"))
        .await;
    assert_eq!(receiver.received().len(), 9);

    // Fixed: enabled again, both replayed, each with its own webhook-id again.
    receiver.fail_next(0);
    let id = attr(&page, "data-endpoint=\"").unwrap();
    let r = boss
        .post(
            &format!("/agent/webhooks/{id}/enabled"),
            &[("enable", "on")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for row in &rows {
        let r = boss
            .post(
                &format!("/agent/webhooks/deliveries/{}/replay", row.id),
                &[],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let got = receiver.wait_for(11).await;
    let replayed: HashMap<&str, u16> = got[9..].iter().map(|r| (r.id.as_str(), r.status)).collect();
    for row in &rows {
        assert_eq!(replayed.get(row.message_id.as_str()), Some(&200), "{row:?}");
    }
    assert!(got[9..].iter().any(|r| r.case_number() == first));
    app.deliveries_until("both delivered", |rows| {
        rows.iter().all(|r| r.status == "delivered")
    })
    .await;
}
