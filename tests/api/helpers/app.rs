//! The real server on a fresh database, on a listener the test bound, with a clock the
//! test moves: one server sees a whole story (filed Monday, overdue next week).

use std::net::TcpListener;
use std::sync::Arc;

use appealdesk::config::{Clock, EdgeSettings, MailSettings, RateLimits, Settings};
use appealdesk::db::{self, DbConn};
use appealdesk::domain::throttle::RateLimit;
use appealdesk::startup::Application;
use appealdesk::storage::Store;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use super::database::{next_number, rand_suffix};
use super::{TestDatabase, attr, field_text, location};

pub struct TestApp {
    pub address: String,
    /// `METRICS_BIND`'s listener, when the settings asked for one.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub database: Arc<TestDatabase>,
    /// The server's own clock: `app.clock.advance(...)` moves the time the server sees.
    pub clock: Clock,
    duties: appealdesk::jobs::Duties,
    pool: db::Pool,
    store: appealdesk::storage::Store,
    handle: actix_web::dev::ServerHandle,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub fn settings(database: &TestDatabase, clock: Clock) -> Settings {
    Settings {
        database: database.url.clone(),
        bind: "127.0.0.1:0".into(),
        public_base_url: None,
        secret_key: None,
        pool_size: 8,
        clock,
        // Tests about mail turn the worker on (`spawn_app_with_mail`).
        mail: MailSettings {
            run_worker: false,
            ..MailSettings::default()
        },
        evidence_retention_days: appealdesk::domain::policy::DEFAULT_EVIDENCE_RETENTION_DAYS,
        metrics_token: None,
        metrics_bind: None,
        // Tests about webhooks turn the worker on (`spawn_app_with_webhooks`).
        webhooks: appealdesk::config::WebhookSettings {
            run_worker: false,
            ..Default::default()
        },
        outbox_retention_days: appealdesk::domain::policy::DEFAULT_OUTBOX_RETENTION_DAYS,
        // One loopback client plays many appellants (53 filings in a queue test): the
        // limits' own tests (`limits.rs`) set them low.
        edge: EdgeSettings {
            rate_limits: RateLimits::all(RateLimit {
                burst: 10_000,
                per_hour: 1_000_000,
            }),
            ..EdgeSettings::default()
        },
        // The second factor's own tests (`second_factor.rs`) turn the requirement on.
        require_mfa: appealdesk::domain::second_factor::SecondFactorRule::Off,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Clock::System).await
}

/// A server whose clock stands at a China time until the test moves it.
pub async fn spawn_app_at(local: &str) -> TestApp {
    spawn_app_with(Clock::manual(cst(local))).await
}

/// A server whose settings the test changes first (limits, trusted proxies, base URL).
pub async fn spawn_app_configured(clock: Clock, change: impl FnOnce(&mut Settings)) -> TestApp {
    let database = Arc::new(TestDatabase::fresh());
    let mut settings = settings(&database, clock);
    change(&mut settings);
    TestApp::start_with(database, settings).await
}

pub async fn spawn_app_with(clock: Clock) -> TestApp {
    TestApp::start(Arc::new(TestDatabase::fresh()), clock).await
}

/// A China Standard Time "YYYY-MM-DD HH:MM:SS" as UTC.
pub fn cst(local: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").expect("test time");
    appealdesk::domain::cst::from_local(naive)
}

impl TestApp {
    pub async fn start(database: Arc<TestDatabase>, clock: Clock) -> TestApp {
        let settings = settings(&database, clock);
        TestApp::start_with(database, settings).await
    }

    pub async fn start_with(database: Arc<TestDatabase>, settings: Settings) -> TestApp {
        if std::env::var_os("RUST_LOG").is_some() {
            appealdesk::telemetry::init();
        }
        count_start();
        // Bound here and handed over: the port is ours from the start.
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let clock = settings.clock;
        let retention = settings.clone();
        let app = Application::build_on(settings, listener)
            .await
            .expect("the application starts");
        let duties = appealdesk::startup::duties(&retention, app.links_base().to_owned());
        let address = format!("http://127.0.0.1:{}", app.port());
        let metrics_address = app
            .metrics_port()
            .map(|port| format!("http://127.0.0.1:{port}"));
        let handle = app.handle();
        let serving = tokio::spawn(app.run_until_stopped());
        let pool = db::pool(&database.url, 2).expect("test pool");
        // The jobs run by a test go through a store like the server's own.
        let store = Store::open(&database.url, 2).expect("test store");
        TestApp {
            address,
            metrics_address,
            client: client(),
            database,
            clock,
            duties,
            pool,
            store,
            handle,
            serving,
        }
    }

    /// Stops the server as SIGTERM would and waits until it, its jobs and its worker have
    /// ended and let go of the database.
    pub async fn stop(mut self) {
        self.handle.stop(true).await;
        let serving = std::mem::replace(&mut self.serving, tokio::spawn(async { Ok(()) }));
        serving
            .await
            .expect("the serving task")
            .expect("a clean stop");
        // This test's own writer lets go of the file too (a restore needs it free).
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.close())
            .await
            .expect("the test store closes");
    }

    /// Files an appeal and returns (case number, tracking token).
    pub async fn filed_case(&self, appeal: &AppealFields) -> (String, String) {
        let response = self.file(appeal).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let token = location(&response).replace("/appeals/receipt/", "");
        let html = self.get_html(&location(&response)).await;
        (
            field_text(&html, "case-number").expect("case number"),
            token,
        )
    }

    /// Files an appeal with evidence files; returns (case number, tracking token, the
    /// files' links as the receipt lists them).
    pub async fn filed_case_with(
        &self,
        appeal: &AppealFields,
        files: &[(&str, Vec<u8>)],
    ) -> (String, String, Vec<String>) {
        let response = self.file_with(appeal, files).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "filed with files");
        let token = location(&response).replace("/appeals/receipt/", "");
        let html = self.get_html(&location(&response)).await;
        let links = file_links(&html);
        assert_eq!(links.len(), files.len(), "the receipt lists every file");
        (
            field_text(&html, "case-number").expect("case number"),
            token,
            links,
        )
    }

    /// One run of the periodic jobs, at the app's own time, as its jobs thread would do.
    pub fn run_jobs(&self) {
        appealdesk::jobs::run_once(&self.store, self.clock, &self.duties)
            .expect("the periodic jobs run");
    }

    pub fn conn(&self) -> db::PooledConn {
        self.pool.get().expect("test connection")
    }

    pub fn count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.conn();
        let conn: &mut DbConn = &mut conn;
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(conn)
            .expect("count")
            .n
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("body")
    }

    /// Opens the form as a browser would and returns its CSRF token.
    pub async fn open_form(&self) -> String {
        let html = self.get_html("/appeals/new").await;
        attr(&html, "name=\"csrf_token\" value=\"").expect("the form carries a CSRF token")
    }

    pub async fn post_form(&self, path: &str, fields: &[(String, String)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Sends all the forms at once, as many browsers (or one impatient finger) would.
    pub async fn post_concurrently(
        &self,
        path: &str,
        forms: Vec<Vec<(String, String)>>,
    ) -> Vec<reqwest::Response> {
        let tasks: Vec<_> = forms
            .into_iter()
            .map(|form| {
                let request = self.client.post(self.url(path)).form(&form);
                tokio::spawn(async move { request.send().await.expect("POST") })
            })
            .collect();
        let mut responses = Vec::with_capacity(tasks.len());
        for task in tasks {
            responses.push(task.await.expect("request task"));
        }
        responses
    }

    /// Sends a form as `multipart/form-data` with files in its `evidence` field.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(String, String)],
        files: &[(&str, Vec<u8>)],
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.clone(), value.clone());
        }
        for (name, bytes) in files {
            let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string());
            form = form.part("evidence", part);
        }
        self.client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await
            .expect("POST")
    }

    /// Opens a form, fills it and sends it with files, as a phone's browser does.
    pub async fn file_with(
        &self,
        appeal: &AppealFields,
        files: &[(&str, Vec<u8>)],
    ) -> reqwest::Response {
        let token = self.open_form().await;
        self.post_multipart("/appeals", &appeal.with_token(&token), files)
            .await
    }

    /// Opens a form, fills it and sends it.
    /// The appellant withdraws through the tracking page's confirmation form.
    pub async fn withdraw(&self, token: &str) {
        let confirm = self.get_html(&format!("/track/{token}/withdraw")).await;
        let csrf = attr(&confirm, "name=\"csrf_token\" value=\"").expect("withdraw form token");
        let r = self
            .post_form(
                &format!("/track/{token}/withdraw"),
                &[("csrf_token".into(), csrf)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "withdrawn");
    }

    pub async fn file(&self, appeal: &AppealFields) -> reqwest::Response {
        let token = self.open_form().await;
        self.post_form("/appeals", &appeal.with_token(&token)).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent when `stop` is called; the future only waits for it.
        drop(self.handle.stop(false));
    }
}

pub fn client() -> reqwest::Client {
    http()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

/// A browser on another machine: it connects from another loopback address
/// (`127.0.0.2`, ...), so the server sees another peer.
pub fn client_from(ip: &str) -> reqwest::Client {
    http()
        .redirect(Policy::none())
        .cookie_store(true)
        .local_address(ip.parse::<std::net::IpAddr>().expect("an address"))
        .build()
        .expect("client")
}

/// The filing form's fields, valid unless a test changes one.
#[derive(Clone, Debug)]
pub struct AppealFields(pub Vec<(String, String)>);

impl AppealFields {
    /// A valid appeal sent an hour before `now`, with a fresh transaction ID, WeChat ID and
    /// email address (one mailbox gets only a few receipts a day).
    pub fn valid(now: DateTime<Utc>) -> Self {
        let n = next_number() + u64::from(rand_suffix());
        let sent = appealdesk::domain::cst::format_local(now - chrono::Duration::hours(1));
        Self(
            [
                ("wechat_id", format!("wxid_test{:08}", n % 100_000_000)),
                (
                    "email",
                    format!("appellant{:08}@example.com", n % 100_000_000),
                ),
                ("packet_kind", "transfer".to_owned()),
                ("amount", "520.00".to_owned()),
                ("sent_at", sent),
                (
                    "transaction_id",
                    format!("10{:017}", n % 100_000_000_000_000_000),
                ),
                ("counterparty_phone_suffix", "1234".to_owned()),
                ("card_last4", "5678".to_owned()),
                (
                    "account",
                    "I meant to send this to my sister but tapped the wrong chat.".to_owned(),
                ),
                ("claim_status", "unclaimed".to_owned()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        )
    }

    pub fn set(mut self, name: &str, value: &str) -> Self {
        for (k, v) in &mut self.0 {
            if k == name {
                *v = value.to_owned();
                return self;
            }
        }
        self.0.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    pub fn with_token(&self, token: &str) -> Vec<(String, String)> {
        let mut fields = self.0.clone();
        fields.push(("csrf_token".to_owned(), token.to_owned()));
        fields
    }
}

/// Counts server starts: appends a line to the file named by `APPEALDESK_COUNT_STARTS`.
pub fn count_start() {
    if let Some(path) = std::env::var_os("APPEALDESK_COUNT_STARTS") {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("the count file");
        writeln!(file, "start").expect("counted");
    }
}

/// A file of `tests/fixtures/` (a GPS-tagged photo, a phone screenshot, an e-receipt).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The full-file links of the evidence files a page lists, in order.
pub fn file_links(html: &str) -> Vec<String> {
    html.split("data-field=\"evidence-file\"")
        .skip(1)
        .filter_map(|item| attr(item, "href=\""))
        .collect()
}

/// A client builder. reqwest is built with rustls but without a crypto provider of its own
/// (scale_out's clients speak https to nginx): ring is installed first, as the app has it.
pub fn http() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
