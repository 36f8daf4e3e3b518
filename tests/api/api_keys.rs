//! API keys: made with the CLI or by a supervisor's page, shown once, stored as a digest,
//! refused at once when revoked (on every instance), within their scopes and rate.

use appealdesk::config::Clock;
use appealdesk::domain::agent::Role;
use appealdesk::domain::throttle::RateLimit;
use reqwest::StatusCode;

use crate::api_helpers::*;
use crate::helpers::*;

fn digest_rows(app: &TestApp, key: &str) -> (i64, i64) {
    use diesel::prelude::*;
    let hash = appealdesk::keys::digest(key);
    let mut conn = app.conn();
    let conn: &mut appealdesk::db::DbConn = &mut conn;
    let by_digest = appealdesk::db::schema::api_keys::table
        .filter(appealdesk::db::schema::api_keys::key_hash.eq(&hash))
        .count()
        .get_result(conn)
        .unwrap();
    let holding_key = appealdesk::db::schema::api_keys::table
        .filter(appealdesk::db::schema::api_keys::key_hash.eq(key))
        .count()
        .get_result(conn)
        .unwrap();
    (by_digest, holding_key)
}

#[tokio::test]
async fn a_cli_key_is_shown_once_kept_as_a_digest_and_stops_at_once_when_revoked() {
    let app = spawn_app().await;
    let key = cli_key(&app, "Payments ops", "cases:read");
    assert!(key.starts_with("ad_"), "{key}");
    // 32 random bytes in unpadded base64url.
    assert_eq!(key.len(), 3 + 43, "{key}");
    assert!(
        key[3..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(digest_rows(&app, &key), (1, 0), "only the digest is stored");

    let list = cli(&app, &["api-key", "list"]);
    let listed = String::from_utf8(list.stdout).unwrap();
    assert!(
        listed.contains("Payments ops\tcases:read\tcli\t"),
        "{listed}"
    );
    assert!(listed.contains("never"), "not used yet: {listed}");
    assert!(!listed.contains(&key), "the list never shows a key");

    let office = BackOffice::new(&app, &key);
    let answer = office.get("/api/v1/cases").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["data"], serde_json::json!([]));
    let listed = String::from_utf8(cli(&app, &["api-key", "list"]).stdout).unwrap();
    assert!(!listed.contains("never"), "last use noted: {listed}");

    // A second instance on the same database: the revoke counts there too, at once.
    let other = TestApp::start(app.database.clone(), Clock::System).await;
    let office_b = BackOffice::new(&other, &key);
    assert_eq!(office_b.get("/api/v1/cases").await.status, StatusCode::OK);
    let out = cli(&app, &["api-key", "revoke", "--name", "Payments ops"]);
    assert!(out.status.success());
    for office in [&office, &office_b] {
        let refused = office.get("/api/v1/cases").await;
        refused.problem(401);
        assert!(
            refused
                .header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer")),
            "a bearer challenge"
        );
    }
    let again = cli(&app, &["api-key", "revoke", "--name", "Payments ops"]);
    assert!(!again.status.success(), "nothing left to revoke");
    let taken = cli(
        &app,
        &[
            "api-key",
            "create",
            "--name",
            "Payments ops",
            "--scope",
            "cases:read",
        ],
    );
    assert!(!taken.status.success(), "a name is never reused");
    let bad = cli(
        &app,
        &["api-key", "create", "--name", "x", "--scope", "cases:write"],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cases:read or cases:outcome"));
}

#[tokio::test]
async fn supervisors_make_and_revoke_keys_on_their_page_and_each_key_is_shown_once() {
    let app = spawn_app().await;
    app.create_agent("boss@example.com", Role::Supervisor);
    app.create_agent("agent@example.com", Role::Agent);
    let boss = app.sign_in("boss@example.com").await;
    let agent = app.sign_in("agent@example.com").await;
    assert_eq!(
        agent.get("/agent/api-keys").await.status(),
        StatusCode::FORBIDDEN
    );

    let refused = boss
        .post("/agent/api-keys", &[("name", " "), ("scope_read", "1")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(
        field_text(&page, "name-error").is_some(),
        "said at the name"
    );
    let refused = boss.post("/agent/api-keys", &[("name", "Ops")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_text(&refused.text().await.unwrap(), "scope-error").is_some());

    let made = boss
        .post(
            "/agent/api-keys",
            &[("name", "Refund bot"), ("scope_outcome", "1")],
        )
        .await;
    assert_eq!(made.status(), StatusCode::OK);
    let page = made.text().await.unwrap();
    let key = field_text(&page, "api-key").expect("the key, shown once");
    assert!(key.starts_with("ad_"));
    let list = boss.get_html("/agent/api-keys").await;
    assert!(!list.contains(&key), "never shown again");
    assert!(list.contains("Refund bot") && list.contains("boss@example.com"));
    assert!(list.contains("cases:outcome"));

    let office = BackOffice::new(&app, &key);
    office.get("/api/v1/cases").await.problem(403);
    office
        .outcome(
            "AD-2026-000001",
            "k1",
            "{\"result\":\"recovered\",\"reference\":\"R\",\"amount_fen\":1}",
        )
        .await
        .problem(404);

    let revoked = boss
        .post("/agent/api-keys/revoke", &[("name", "Refund bot")])
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert!(field_text(&revoked.text().await.unwrap(), "api-key-revoked").is_some());
    office
        .outcome(
            "AD-2026-000001",
            "k2",
            "{\"result\":\"recovered\",\"reference\":\"R\",\"amount_fen\":1}",
        )
        .await
        .problem(401);
    let again = boss
        .post("/agent/api-keys/revoke", &[("name", "Refund bot")])
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn no_key_an_unknown_key_or_a_session_cookie_alone_is_401_and_scopes_are_kept() {
    let app = spawn_app().await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    // A signed-in browser: its session cookie opens nothing under /api.
    let r = boss.get("/api/v1/cases").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer realm=\"appealdesk\"")
    );
    assert!(
        r.headers().get("set-cookie").is_none(),
        "no cookies under /api"
    );
    for key in ["", "ad_unknown", "Basic abc", &"a".repeat(5000)] {
        BackOffice::new(&app, key)
            .get("/api/v1/cases")
            .await
            .problem(401);
    }
    let reader = BackOffice::new(&app, &cli_key(&app, "reader", "cases:read"));
    let p = reader
        .outcome(
            "AD-2026-000001",
            "k",
            "{\"result\":\"recovered\",\"reference\":\"R\",\"amount_fen\":1}",
        )
        .await
        .problem(403);
    assert!(
        p["detail"].as_str().unwrap().contains("cases:outcome"),
        "{p}"
    );
}

#[tokio::test]
async fn a_key_past_its_burst_is_answered_429_with_retry_after_and_others_go_on() {
    let app = spawn_app_configured(Clock::System, |s| {
        s.edge.rate_limits.api_key = RateLimit {
            burst: 3,
            per_hour: 60,
        };
    })
    .await;
    let busy = BackOffice::new(&app, &cli_key(&app, "busy", "cases:read"));
    let calm = BackOffice::new(&app, &cli_key(&app, "calm", "cases:read"));
    for _ in 0..3 {
        assert_eq!(busy.get("/api/v1/cases").await.status, StatusCode::OK);
    }
    let refused = busy.get("/api/v1/cases").await;
    refused.problem(429);
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(calm.get("/api/v1/cases").await.status, StatusCode::OK);
}

#[test]
fn the_api_key_rate_comes_from_the_environment_or_policy() {
    let limits = appealdesk::config::RateLimits::from_env(|name| {
        (name == "RATE_LIMIT_API_KEY_BURST").then(|| "7".to_owned())
    })
    .unwrap();
    assert_eq!(limits.api_key.burst, 7);
    assert_eq!(
        limits.api_key.per_hour,
        appealdesk::domain::policy::RATE_LIMIT_API_KEY.per_hour
    );
}
