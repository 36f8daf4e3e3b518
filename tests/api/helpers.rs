//! Spawns the real application on a random port over a real database: a fresh SQLite
//! file, or a fresh PostgreSQL database when TEST_DATABASE_URL is set.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use appealdesk::config::{Clock, DatabaseUrl, MailSettings, Settings};
use appealdesk::db::{self, DbConn};
use appealdesk::startup::Application;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database: Arc<TestDatabase>,
    pool: db::Pool,
    handle: actix_web::dev::ServerHandle,
}

pub struct TestDatabase {
    pub url: DatabaseUrl,
    /// PostgreSQL: the server URL to drop the database through.
    admin: Option<(String, String)>,
    dir: Option<PathBuf>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_name() -> String {
    format!(
        "appealdesk_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand_suffix()
    )
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) as u32
}

impl TestDatabase {
    pub fn fresh() -> Self {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) if admin_url.starts_with("postgres") => {
                let name = unique_name();
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {admin_url}: {e}"));
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create the test database");
                let (base, query) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
                let (server, _) = base.rsplit_once('/').expect("URL with a database");
                let query = if query.is_empty() {
                    String::new()
                } else {
                    format!("?{query}")
                };
                Self {
                    url: DatabaseUrl::Postgres(format!("{server}/{name}{query}")),
                    admin: Some((admin_url, name)),
                    dir: None,
                }
            }
            Some(other) => panic!("TEST_DATABASE_URL must be a postgres:// URL, not {other}"),
            None => {
                let dir = std::env::temp_dir().join(unique_name());
                std::fs::create_dir_all(&dir).expect("temp dir");
                Self {
                    url: DatabaseUrl::Sqlite(dir.join("appealdesk.db")),
                    admin: None,
                    dir: Some(dir),
                }
            }
        }
    }

    /// The URL as DATABASE_URL would carry it.
    pub fn env_url(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(url) => url.clone(),
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.admin
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
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
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Clock::System).await
}

pub async fn spawn_app_at(local: &str) -> TestApp {
    spawn_app_with(Clock::Fixed(cst(local))).await
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
        let app = Application::build(settings)
            .await
            .expect("the application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let pool = db::pool(&database.url, 2).expect("test pool");
        TestApp {
            address,
            client: client(),
            database,
            pool,
            handle,
        }
    }

    /// Another instance on the same database, with its own clock: as behind a load balancer.
    pub async fn another_instance(&self, clock: Clock) -> TestApp {
        TestApp::start(self.database.clone(), clock).await
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

    /// Opens a form, fills it and sends it.
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
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

/// The filing form's fields, valid unless a test changes one.
#[derive(Clone, Debug)]
pub struct AppealFields(pub Vec<(String, String)>);

impl AppealFields {
    /// A valid appeal sent an hour before `now`, with a fresh transaction ID and WeChat ID.
    pub fn valid(now: DateTime<Utc>) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed) + u64::from(rand_suffix());
        let sent = appealdesk::domain::cst::format_local(now - chrono::Duration::hours(1));
        Self(
            [
                ("wechat_id", format!("wxid_test{:08}", n % 100_000_000)),
                ("email", "appellant@example.com".to_owned()),
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

/// The value that follows `prefix` up to the next quote.
pub fn attr(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// The text content of the element carrying `data-field="{name}"`.
pub fn field_text(html: &str, name: &str) -> Option<String> {
    let marker = format!("data-field=\"{name}\"");
    let at = html.find(&marker)?;
    let start = html[at..].find('>')? + at + 1;
    let end = html[start..].find('<')? + start;
    Some(html[start..end].trim().to_owned())
}

/// The `datetime` of `<time data-field="{name}" datetime="...">`.
pub fn time_field(html: &str, name: &str) -> Option<String> {
    attr(html, &format!("data-field=\"{name}\" datetime=\""))
}

/// The `<input>`/`<select>`/`<textarea>` tag of a form field.
pub fn control<'a>(html: &'a str, name: &str) -> &'a str {
    let marker = format!("name=\"{name}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no control {name}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = html[at..].find('>').expect("tag end") + at;
    &html[start..=end]
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .expect("ASCII")
        .to_owned()
}

/// A signed-in console user: its own browser (cookie jar) and its CSRF token.
pub struct Console {
    pub client: reqwest::Client,
    pub csrf: String,
    pub address: String,
}

impl TestApp {
    pub fn create_agent(&self, email: &str, role: appealdesk::domain::agent::Role) {
        let mut conn = self.conn();
        appealdesk::workflows::agents::create_agent(
            &mut conn,
            email,
            email,
            role,
            PASSWORD,
            Utc::now(),
        )
        .expect("create agent");
    }

    /// Signs in through the real form, as a browser would.
    pub async fn sign_in(&self, email: &str) -> Console {
        let console = Console {
            client: client(),
            csrf: String::new(),
            address: self.address.clone(),
        };
        let response = console.sign_in_with(email, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-in of {email}"
        );
        console.after_sign_in().await
    }

    pub fn console(&self) -> Console {
        Console {
            client: client(),
            csrf: String::new(),
            address: self.address.clone(),
        }
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
}

pub const PASSWORD: &str = "correct horse battery";

impl Console {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn sign_in_with(&self, email: &str, password: &str) -> reqwest::Response {
        let html = self
            .client
            .get(self.url("/agent/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = attr(&html, "name=\"csrf_token\" value=\"").expect("login form token");
        self.client
            .post(self.url("/agent/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Reads the session's CSRF token off the console's layout.
    pub async fn after_sign_in(mut self) -> Console {
        let html = self.get_html("/agent/cases").await;
        self.csrf = attr(&html, "name=\"csrf_token\" value=\"").expect("console CSRF token");
        self
    }

    /// A GET as a browser following one of the console's own links sends it.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_from(path, "same-origin").await
    }

    /// A GET whose `Sec-Fetch-Site` says where the navigation came from.
    pub async fn get_from(&self, path: &str, site: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("sec-fetch-site", site)
            .send()
            .await
            .expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    /// POSTs a console form with the session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &self.csrf));
        self.client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("POST")
    }

    pub async fn act(&self, case: &str, action: &str, fields: &[(&str, &str)]) -> StatusCode {
        self.post(&format!("/agent/cases/{case}/{action}"), fields)
            .await
            .status()
    }
}

/// The status of a case, as its console page shows it.
pub async fn status_of(console: &Console, case: &str) -> String {
    let html = console.get_html(&format!("/agent/cases/{case}")).await;
    attr(&html, "data-status=\"").expect("status")
}
