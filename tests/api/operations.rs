//! The operator's view: `/metrics` behind its token with counters that move, and
//! `/readyz` that fails while the database cannot serve and recovers without a restart.

use std::sync::Arc;

use appealdesk::config::{Clock, DatabaseUrl};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;

const TOKEN: &str = "metrics-token-for-tests-0123";

async fn spawn_app_with_metrics() -> TestApp {
    let database = Arc::new(TestDatabase::fresh());
    let mut settings = settings(&database, Clock::System);
    settings.metrics_token = Some(TOKEN.to_owned());
    TestApp::start_with(database, settings).await
}

async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("body")
}

/// The value of the series whose line starts with `series` (name and labels), 0 if absent.
fn value(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .map_or(0.0, |v| v.parse().expect("a number"))
}

#[tokio::test]
async fn metrics_need_the_token_and_count_filings_requests_and_open_cases() {
    let app = spawn_app_with_metrics().await;
    for auth in [None, Some("wrong-token-wrong-token")] {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(token) = auth {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("GET /metrics");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "token {auth:?}");
    }

    let accepted = r#"appealdesk_filings_total{outcome="accepted",reason=""}"#;
    let quota = r#"appealdesk_filings_total{outcome="refused",reason="quota_used"}"#;
    let filed = r#"appealdesk_http_requests_total{method="POST",route="/appeals",status="303"}"#;
    let before = scrape(&app).await;
    let appeal = AppealFields::valid(app.clock.now());
    for _ in 0..3 {
        let again = AppealFields::valid(app.clock.now()).set("wechat_id", appeal.get("wechat_id"));
        app.file(&again).await;
    }
    let after = scrape(&app).await;

    // Other tests in this process count into the same recorder: at least ours.
    assert!(
        value(&after, accepted) >= value(&before, accepted) + 2.0,
        "{after}"
    );
    assert!(
        value(&after, quota) >= value(&before, quota) + 1.0,
        "{after}"
    );
    assert!(
        value(&after, filed) >= value(&before, filed) + 2.0,
        "{after}"
    );
    assert!(
        after.contains(r#"appealdesk_http_request_duration_seconds_bucket{method="POST",route="/appeals",le="0.1"}"#),
        "a latency histogram by route: {after}"
    );
    assert_eq!(value(&after, "appealdesk_open_cases"), 2.0, "{after}");
    assert_eq!(value(&after, "appealdesk_overdue_cases"), 0.0);
    assert_eq!(
        value(&after, "appealdesk_outbox_due"),
        2.0,
        "two receipts, no worker"
    );
    assert_eq!(value(&after, "appealdesk_outbox_dead"), 0.0);
    assert!(
        !after.contains("/appeals/receipt/") || after.contains("/appeals/receipt/{token}"),
        "routes by pattern, never a token"
    );
}

#[tokio::test]
async fn metrics_bind_serves_metrics_alone_on_its_own_listener_without_a_token() {
    let database = Arc::new(TestDatabase::fresh());
    let mut settings = settings(&database, Clock::System);
    settings.metrics_bind = Some("127.0.0.1:0".to_owned());
    let app = TestApp::start_with(database, settings).await;
    let private = app.metrics_address.clone().expect("a metrics listener");
    assert_ne!(private, app.address);

    app.file(&AppealFields::valid(app.clock.now())).await;
    let response = app
        .client
        .get(format!("{private}/metrics"))
        .send()
        .await
        .expect("GET /metrics on METRICS_BIND");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("body");
    assert_eq!(value(&text, "appealdesk_open_cases"), 1.0, "{text}");

    // The public listener still hides it (no token set), and the private one serves
    // nothing else.
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    for path in ["/", "/appeals/new", "/agent/login"] {
        let response = app
            .client
            .get(format!("{private}{path}"))
            .send()
            .await
            .expect("GET on METRICS_BIND");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    app.stop().await;
}

async fn readyz(app: &TestApp) -> (StatusCode, String) {
    let response = app.get("/readyz").await;
    let status = response.status();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn readyz_fails_while_the_schema_is_behind_and_recovers_without_a_restart() {
    let app = spawn_app().await;
    assert_eq!(readyz(&app).await, (StatusCode::OK, "ready".to_owned()));

    // As if this build were newer than the database: its last migration is not recorded.
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let last = diesel::sql_query(
        "SELECT version FROM __diesel_schema_migrations ORDER BY version DESC LIMIT 1",
    )
    .get_result::<Version>(&mut *app.conn())
    .expect("the last migration")
    .version;
    app.conn()
        .batch_execute(&format!(
            "DELETE FROM __diesel_schema_migrations WHERE version = '{last}'"
        ))
        .expect("forget it");
    let (status, body) = readyz(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("1 migration(s) pending"), "{body}");
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::OK,
        "alive all the same"
    );

    app.conn()
        .batch_execute(&format!(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('{last}')"
        ))
        .expect("record it again");
    assert_eq!(readyz(&app).await.0, StatusCode::OK);
}

/// PostgreSQL only: the database refuses connections (as while it is stopped), then
/// takes them again.
#[tokio::test]
async fn readyz_fails_while_postgresql_refuses_connections_and_recovers() {
    let app = spawn_app().await;
    let DatabaseUrl::Postgres(url) = &app.database.url else {
        return; // SQLite is a file of this process: it cannot be stopped apart.
    };
    let name = url
        .rsplit('/')
        .next()
        .and_then(|tail| tail.split('?').next())
        .expect("a database name")
        .to_owned();
    let admin_url = app.database.admin_url().expect("the server's URL");
    let mut admin = PgConnection::establish(admin_url).expect("admin connection");
    assert_eq!(readyz(&app).await.0, StatusCode::OK);

    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .expect("stop the database");
    let (status, body) = readyz(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.starts_with("not ready: database"), "{body}");

    admin
        .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .expect("start it again");
    assert_eq!(readyz(&app).await, (StatusCode::OK, "ready".to_owned()));
}
