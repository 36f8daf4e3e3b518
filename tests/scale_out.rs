//! Three instances of the built binary, one PostgreSQL, behind nginx on loopback (the
//! site of `deploy/`), a real SMTP server and a real webhook receiver: the quota race,
//! receipts and webhooks shared by three workers, `kill -9` in the middle of a stream of
//! filings, and a rolling restart.
//!
//! Runs once, on PostgreSQL: TEST_DATABASE_URL, else TEST_PG_URL (`.ci/test` sets it
//! where a server answers), else a throwaway cluster of its own (`support/pg_cluster.rs`). Needs nginx
//! (`/usr/sbin/nginx`, or NGINX) and python3 with aiosmtpd. Prints its figures.

#[path = "api/smtp.rs"]
#[allow(dead_code)]
mod smtp;

#[path = "support/process_group.rs"]
#[allow(dead_code)]
mod process_group;

#[path = "support/pg_cluster.rs"]
#[allow(dead_code)]
mod pg_cluster;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::StatusCode;
use tokio::task::JoinSet;

use smtp::SmtpServer;

const INSTANCES: usize = 3;
const TRIALS: usize = 100;
const AT_ONCE: usize = 9;
const LEASE_SECS: &str = "15";
const SECRET_KEY: &str = "scale-out-test-secret-key-0123456789abcdef";
const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// tests/webhooks/receiver.py: verifies each delivery with the `standardwebhooks` package
/// and records it.
struct Receiver {
    dir: PathBuf,
    port: u16,
    child: Child,
}

impl Receiver {
    fn start(dir: PathBuf) -> Self {
        use std::io::{BufRead, BufReader};
        std::fs::create_dir_all(&dir).expect("the receiver's folder");
        std::fs::write(dir.join("secrets"), WEBHOOK_SECRET).expect("secrets file");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhooks/receiver.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("0")
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 tests/webhooks/receiver.py");
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
        let port = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
            .expect("the receiver starts (pip install standardwebhooks==1.1.0)");
        Self { dir, port, child }
    }

    /// (case number, webhook-id, verified, status) of every request it got.
    fn received(&self) -> Vec<(String, String, bool, u64)> {
        let text = std::fs::read_to_string(self.dir.join("received.jsonl")).unwrap_or_default();
        text.lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
                (
                    v["payload"]["data"]["case_number"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    v["id"].as_str().unwrap_or_default().to_owned(),
                    v["verified"] == serde_json::json!([true]),
                    v["status"].as_u64().unwrap_or_default(),
                )
            })
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Webhooks against the cases: each case's `case.filed` received (verified), and how
/// many requests repeated a webhook-id already received.
#[derive(Debug, PartialEq, Eq)]
struct Hooks {
    missing: usize,
    unverified: usize,
    repeated: usize,
}

fn hook_gaps(db: &PgDatabase, receiver: &Receiver) -> Hooks {
    let numbers: Vec<String> = {
        use diesel::sql_types::Text;
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            case_number: String,
        }
        diesel::sql_query("SELECT case_number FROM cases")
            .load::<Row>(&mut db.conn())
            .expect("case numbers")
            .into_iter()
            .map(|r| r.case_number)
            .collect()
    };
    let got = receiver.received();
    let mut ids = HashSet::new();
    let repeated = got
        .iter()
        .filter(|(_, id, _, _)| !ids.insert(id.clone()))
        .count();
    let arrived: HashSet<&str> = got
        .iter()
        .filter(|(_, _, _, status)| *status == 200)
        .map(|(n, _, _, _)| n.as_str())
        .collect();
    Hooks {
        missing: numbers
            .iter()
            .filter(|n| !arrived.contains(n.as_str()))
            .count(),
        unverified: got.iter().filter(|(_, _, ok, _)| !ok).count(),
        repeated,
    }
}

/// Figures to stderr, past the test harness's capture: CI shows them on success too.
macro_rules! figure {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

fn pg_admin_url() -> String {
    pg_cluster::server_url(&["TEST_DATABASE_URL", "TEST_PG_URL"])
}

/// A database of its own on the PostgreSQL server, dropped at the end.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create() -> Self {
        let admin_url = pg_admin_url();
        let name = format!("appealdesk_scale_{}", std::process::id());
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url}: {e}"));
        // One statement each: several in one string run as one transaction.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .expect("drop a leftover database");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the database");
        let (base, query) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
        let (server, _) = base.rsplit_once('/').expect("a URL with a database");
        let url = if query.is_empty() {
            format!("{server}/{name}")
        } else {
            format!("{server}/{name}?{query}")
        };
        Self {
            admin_url,
            name,
            url,
        }
    }

    fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("a connection to the test database")
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a loopback port")
        .local_addr()
        .expect("bound")
        .port()
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_appealdesk"))
}

/// One `appealdesk serve` process with its own in-process outbox worker.
struct Instance {
    port: u16,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Instance {
    fn start(&mut self) {
        assert!(self.child.is_none(), "instance {} runs already", self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the instance's log");
        let child = binary()
            .args(["serve", "--bind", &format!("127.0.0.1:{}", self.port)])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start appealdesk serve");
        self.child = Some(child);
    }

    fn pid(&self) -> libc::pid_t {
        let child = self.child.as_ref().expect("a running instance");
        libc::pid_t::try_from(child.id()).expect("a pid")
    }

    fn kill_9(&mut self) {
        // SAFETY: signals our own child.
        assert_eq!(unsafe { libc::kill(self.pid(), libc::SIGKILL) }, 0);
        let _ = self.child.take().expect("running").wait();
    }

    /// SIGTERM, then waits for the process to end.
    async fn terminate(&mut self) -> ExitStatus {
        // SAFETY: signals our own child.
        assert_eq!(unsafe { libc::kill(self.pid(), libc::SIGTERM) }, 0);
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "instance {} did not stop",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        let url = format!("http://127.0.0.1:{}/readyz", self.port);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(&url).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "instance {} never became ready; see {}",
                self.port,
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The certificate nginx serves here, for 127.0.0.1, signed by a certificate authority of
/// the test's own (`openssl`, EC keys) that every client of the test trusts, and only
/// they. Answers the paths of the certificate and its key.
fn self_signed_certificate(dir: &Path) -> (String, String) {
    // Made once a run (the clients' trust is process-wide), written into each nginx's folder.
    let (cert, key) = TLS_FILES.get_or_init(|| make_certificate(dir));
    let (cert_path, key_path) = (dir.join("tls.crt"), dir.join("tls.key"));
    std::fs::write(&cert_path, cert).expect("tls.crt");
    std::fs::write(&key_path, key).expect("tls.key");
    (
        cert_path.display().to_string(),
        key_path.display().to_string(),
    )
}

/// The certificate and key nginx serves, as PEM.
static TLS_FILES: std::sync::OnceLock<(Vec<u8>, Vec<u8>)> = std::sync::OnceLock::new();

fn make_certificate(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let path = |name: &str| dir.join(name).display().to_string();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .expect("leaf.ext");
    let steps: [Vec<String>; 3] = [
        ["req", "-x509"]
            .iter()
            .chain(&ec)
            .map(|s| s.to_string())
            .chain(
                [
                    "-days",
                    "2",
                    "-subj",
                    "/CN=AppealDesk test CA",
                    "-keyout",
                    &path("ca.key"),
                    "-out",
                    &path("ca.crt"),
                ]
                .map(String::from),
            )
            .collect(),
        ["req"]
            .iter()
            .chain(&ec)
            .map(|s| s.to_string())
            .chain(
                [
                    "-subj",
                    "/CN=127.0.0.1",
                    "-keyout",
                    &path("tls.key"),
                    "-out",
                    &path("tls.csr"),
                ]
                .map(String::from),
            )
            .collect(),
        [
            "x509",
            "-req",
            "-in",
            &path("tls.csr"),
            "-CA",
            &path("ca.crt"),
            "-CAkey",
            &path("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &path("leaf.ext"),
            "-out",
            &path("tls.crt"),
        ]
        .map(String::from)
        .to_vec(),
    ];
    for args in steps {
        let out = Command::new("openssl")
            .args(&args)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pem = std::fs::read(dir.join("ca.crt")).expect("the CA certificate");
    // reqwest is built without a crypto provider of its own: ring, as the app's rustls.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let _ = TLS_ROOT.set(reqwest::Certificate::from_pem(&pem).expect("a PEM certificate"));
    (
        std::fs::read(dir.join("tls.crt")).expect("tls.crt"),
        std::fs::read(dir.join("tls.key")).expect("tls.key"),
    )
}

/// The test's own certificate authority: its one self-signed certificate.
static TLS_ROOT: std::sync::OnceLock<reqwest::Certificate> = std::sync::OnceLock::new();

/// nginx in the foreground with the site of `deploy/`, everything it writes under `dir`.
struct Nginx {
    child: Option<Child>,
    port: u16,
}

impl Nginx {
    fn start(dir: &Path, ports: &[u16]) -> Self {
        let port = free_port();
        let site = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx-appealdesk.conf"),
        )
        .expect("deploy/nginx-appealdesk.conf");
        let d = dir.display();
        let (cert, key) = self_signed_certificate(dir);
        // The recipe's site with our ports: its upstream lines (with their parameters), its
        // https server on our port with our certificate, and without the plain-http server
        // (a redirect to port 443, which is not ours to take).
        let mut site_lines = Vec::new();
        let mut upstream_done = false;
        let mut block: Option<Vec<String>> = None;
        for line in site.lines() {
            let t = line.trim_start();
            if let Some(lines) = block.as_mut() {
                lines.push(line.to_owned());
                if line == "}" {
                    let lines = block.take().unwrap_or_default();
                    if !lines.iter().any(|l| l.trim() == "listen 80;") {
                        site_lines.extend(lines);
                    }
                }
                continue;
            }
            if line == "server {" {
                block = Some(vec![line.to_owned()]);
            } else if let Some(server) = t.strip_prefix("server 127.0.0.1:") {
                if !upstream_done {
                    let parameters = server.split_once(' ').map_or(";", |(_, p)| p);
                    let servers: String = ports
                        .iter()
                        .map(|p| format!("    server 127.0.0.1:{p} {parameters}\n"))
                        .collect();
                    site_lines.push(servers);
                    upstream_done = true;
                }
            } else {
                site_lines.push(line.to_owned());
            }
        }
        let site_lines: Vec<String> = site_lines
            .into_iter()
            .filter(|l| !l.trim_start().starts_with("listen [::]:"))
            .map(|l| {
                let t = l.trim_start();
                if t.starts_with("listen 443 ssl") {
                    format!("    listen 127.0.0.1:{port} ssl http2;")
                } else if t.starts_with("ssl_certificate_key ") {
                    format!("    ssl_certificate_key {key};")
                } else if t.starts_with("ssl_certificate ") {
                    format!("    ssl_certificate {cert};")
                } else {
                    l
                }
            })
            .collect();
        assert!(
            site_lines.iter().any(|l| l.contains("ssl http2;")),
            "the recipe serves https"
        );
        assert!(upstream_done, "the recipe names its instances");
        let user = if unsafe { libc::geteuid() } == 0 {
            "user root;\n"
        } else {
            ""
        };
        let conf = format!(
            "{user}worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log {d}/access.log;\n\
             client_body_temp_path {d}/client_body;\n  proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             {}\n}}\n",
            site_lines.join("\n")
        );
        std::fs::write(dir.join("nginx.conf"), conf).expect("nginx.conf");
        let nginx = std::env::var("NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into());
        let mut command = Command::new(&nginx);
        command
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Master and workers in a group of their own: stopping it stops them all.
        process_group::own_group(&mut command);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {nginx} (apt-get install nginx): {e}"));
        Self {
            child: Some(child),
            port,
        }
    }

    /// The master and its workers, while they run.
    fn processes(&self) -> Vec<u32> {
        self.child
            .as_ref()
            .map_or_else(Vec::new, |c| process_group::members(c.id()))
    }

    /// SIGQUIT to the group (a graceful stop: the master waits for its workers), then
    /// waits for every process of it; what is left after 10 s is killed and named.
    fn stop(&mut self) -> Vec<u32> {
        match self.child.take() {
            Some(mut child) => {
                process_group::stop_group(&mut child, libc::SIGQUIT, Duration::from_secs(10))
            }
            None => Vec::new(),
        }
    }

    fn base(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

static NUMBER: AtomicU64 = AtomicU64::new(0);

/// A valid filing: its own transaction ID and mailbox (receipts are told apart by it).
fn appeal(wechat_id: &str) -> Vec<(String, String)> {
    let n = NUMBER.fetch_add(1, Ordering::Relaxed);
    let sent = appealdesk::domain::cst::format_local(Utc::now() - chrono::Duration::hours(1));
    [
        ("wechat_id", wechat_id.to_owned()),
        ("email", format!("f{n}@example.com")),
        ("packet_kind", "transfer".to_owned()),
        ("amount", "520.00".to_owned()),
        ("sent_at", sent),
        ("transaction_id", format!("10{n:017}")),
        ("counterparty_phone_suffix", "1234".to_owned()),
        ("card_last4", "5678".to_owned()),
        ("claim_status", "unclaimed".to_owned()),
        (
            "account",
            "I meant to send this to my sister but tapped the wrong chat.".to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    &fields.iter().find(|(k, _)| k == name).expect("a field").1
}

/// One browser: its cookie jar, no redirects followed.
#[derive(Clone)]
struct Browser {
    client: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(base: &str) -> Self {
        Self {
            client: {
                let builder = http()
                    .redirect(reqwest::redirect::Policy::none())
                    .cookie_store(true)
                    .timeout(Duration::from_secs(60));
                match TLS_ROOT.get() {
                    Some(root) => builder.tls_certs_only([root.clone()]),
                    None => builder,
                }
                .build()
                .expect("client")
            },
            base: base.to_owned(),
        }
    }

    async fn get(&self, path: &str) -> Result<reqwest::Response, reqwest::Error> {
        self.client.get(format!("{}{path}", self.base)).send().await
    }

    /// The form's token, or why there is none.
    async fn open_form(&self) -> Result<String, String> {
        let response = self
            .get("/appeals/new")
            .await
            .map_err(|e| format!("{e:?}"))?;
        if response.status() != StatusCode::OK {
            return Err(format!("form: {}", response.status()));
        }
        let html = response.text().await.map_err(|e| e.to_string())?;
        let marker = "name=\"csrf_token\" value=\"";
        let start = html.find(marker).ok_or("no token")? + marker.len();
        let end = html[start..].find('"').ok_or("no token end")? + start;
        Ok(html[start..end].to_owned())
    }

    async fn post(
        &self,
        fields: &[(String, String)],
        token: &str,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut form = fields.to_vec();
        form.push(("csrf_token".to_owned(), token.to_owned()));
        self.client
            .post(format!("{}/appeals", self.base))
            .form(&form)
            .send()
            .await
    }
}

fn receipt_location(response: &reqwest::Response) -> Option<String> {
    (response.status() == StatusCode::SEE_OTHER)
        .then(|| {
            response
                .headers()
                .get("location")?
                .to_str()
                .ok()
                .map(str::to_owned)
        })
        .flatten()
        .filter(|l| l.starts_with("/appeals/receipt/"))
}

/// (cases by mailbox) in the database.
fn cases_by_email(db: &PgDatabase) -> HashMap<String, i64> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        email: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT email, COUNT(*) AS n FROM cases GROUP BY email")
        .load::<Row>(&mut db.conn())
        .expect("cases")
        .into_iter()
        .map(|r| (r.email, r.n))
        .collect()
}

fn transaction_ids(db: &PgDatabase) -> HashSet<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        transaction_id: String,
    }
    diesel::sql_query("SELECT transaction_id FROM cases")
        .load::<Row>(&mut db.conn())
        .expect("cases")
        .into_iter()
        .map(|r| r.transaction_id)
        .collect()
}

/// Per mailbox, each distinct mail (by Message-ID) and how many copies of it arrived.
fn receipts(smtp: &SmtpServer) -> HashMap<String, HashMap<String, usize>> {
    let mut per: HashMap<String, HashMap<String, usize>> = HashMap::new();
    for mail in smtp.mails() {
        let id = mail.message_id();
        for to in &mail.envelope_to {
            *per.entry(to.clone())
                .or_default()
                .entry(id.clone())
                .or_insert(0) += 1;
        }
    }
    per
}

/// How the cases' receipts stand at the SMTP server.
#[derive(Debug, PartialEq, Eq)]
struct Receipts {
    /// Cases with two different receipt mails (two Message-IDs): a receipt sent twice.
    duplicates: usize,
    /// Cases without a receipt.
    missing: usize,
    /// Extra SMTP deliveries of one mail (same Message-ID): a worker killed between the
    /// server's 250 and recording it; the mail went again under its own Message-ID, which
    /// mail programs show once.
    redelivered: usize,
}

fn receipt_gaps(db: &PgDatabase, smtp: &SmtpServer) -> Receipts {
    let cases = cases_by_email(db);
    let got = receipts(smtp);
    Receipts {
        duplicates: got.values().filter(|mails| mails.len() > 1).count(),
        missing: cases.keys().filter(|e| !got.contains_key(*e)).count(),
        redelivered: got
            .values()
            .flat_map(|mails| mails.values())
            .map(|copies| copies - 1)
            .sum(),
    }
}

#[derive(Default)]
struct Race {
    overshoots: usize,
    undershoots: usize,
    server_errors: usize,
    other: Vec<String>,
}

/// `AT_ONCE` browsers file for one WeChat ID at the same moment, `TRIALS` times.
async fn quota_race(base: &str) -> Race {
    let mut race = Race::default();
    for trial in 0..TRIALS {
        let wechat_id = format!("wxid_race{trial:04}");
        let mut opened = JoinSet::new();
        for _ in 0..AT_ONCE {
            let browser = Browser::new(base);
            opened.spawn(async move {
                let token = browser.open_form().await.expect("the form opens");
                (browser, token)
            });
        }
        let ready = opened.join_all().await;
        let mut posts = JoinSet::new();
        for (browser, token) in ready {
            let fields = appeal(&wechat_id);
            posts.spawn(async move { browser.post(&fields, &token).await.map(|r| r.status()) });
        }
        let mut accepted = 0;
        for status in posts.join_all().await {
            match status {
                Ok(StatusCode::SEE_OTHER) => accepted += 1,
                Ok(StatusCode::CONFLICT) => {}
                Ok(s) if s.is_server_error() => race.server_errors += 1,
                Ok(s) => race.other.push(s.to_string()),
                Err(e) => race.other.push(e.to_string()),
            }
        }
        race.overshoots += usize::from(accepted > 2);
        race.undershoots += usize::from(accepted < 2);
    }
    race
}

/// What a stream of filers saw.
#[derive(Default)]
struct Stream {
    /// (transaction ID, receipt location) of every filing answered 303.
    acknowledged: Vec<(String, String)>,
    /// Answers lost (502, reset) and sent again with the same form.
    resent: usize,
    failed: Vec<String>,
}

/// Files until `stop`, one filing after another; a lost answer is sent again with the
/// same form, as a browser's reload would.
async fn filer(base: String, stop: Arc<AtomicBool>) -> Stream {
    let mut seen = Stream::default();
    while !stop.load(Ordering::Relaxed) {
        let browser = Browser::new(&base);
        let token = match browser.open_form().await {
            Ok(token) => token,
            Err(e) => {
                seen.failed.push(format!("form: {e}"));
                continue;
            }
        };
        let fields = appeal(&format!("wxid_s{}", NUMBER.fetch_add(1, Ordering::Relaxed)));
        let mut tries = 0;
        loop {
            tries += 1;
            let answer = browser.post(&fields, &token).await;
            match answer.as_ref().ok().and_then(receipt_location) {
                Some(location) => {
                    let page = browser.get(&location).await;
                    if !matches!(&page, Ok(p) if p.status() == StatusCode::OK) {
                        seen.failed
                            .push(format!("receipt page: {:?}", page.map(|p| p.status())));
                    }
                    seen.acknowledged
                        .push((field(&fields, "transaction_id").to_owned(), location));
                    break;
                }
                None if tries < 5 => {
                    seen.resent += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                None => {
                    seen.failed.push(format!(
                        "filing never acknowledged: {:?}",
                        answer.map(|r| r.status())
                    ));
                    break;
                }
            }
        }
    }
    seen
}

/// Requests through nginx during the rolling restart: (sent, failed with what).
#[derive(Default)]
struct Traffic {
    sent: AtomicUsize,
    failures: std::sync::Mutex<Vec<String>>,
}

impl Traffic {
    fn check(
        &self,
        what: &str,
        answer: &Result<reqwest::Response, reqwest::Error>,
        want: StatusCode,
    ) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        match answer {
            Ok(r) if r.status() == want => {}
            Ok(r) => self
                .failures
                .lock()
                .unwrap()
                .push(format!("{what}: {}", r.status())),
            Err(e) => self.failures.lock().unwrap().push(format!("{what}: {e}")),
        }
    }
}

/// A client that files, opens its receipt and reads its tracking page, again and again.
async fn steady_client(base: String, stop: Arc<AtomicBool>, traffic: Arc<Traffic>) {
    while !stop.load(Ordering::Relaxed) {
        let browser = Browser::new(&base);
        let form = browser.get("/appeals/new").await;
        traffic.check("GET /appeals/new", &form, StatusCode::OK);
        let Ok(form) = form else { continue };
        let Ok(html) = form.text().await else {
            continue;
        };
        let marker = "name=\"csrf_token\" value=\"";
        let Some(start) = html.find(marker).map(|s| s + marker.len()) else {
            continue;
        };
        let token = &html[start..start + html[start..].find('"').unwrap_or(0)];
        let fields = appeal(&format!("wxid_r{}", NUMBER.fetch_add(1, Ordering::Relaxed)));
        let posted = browser.post(&fields, token).await;
        traffic.check("POST /appeals", &posted, StatusCode::SEE_OTHER);
        let Some(location) = posted.as_ref().ok().and_then(receipt_location) else {
            continue;
        };
        let receipt = browser.get(&location).await;
        traffic.check("GET receipt", &receipt, StatusCode::OK);
        let track = location.replace("/appeals/receipt/", "/track/");
        let page = browser.get(&track).await;
        traffic.check("GET /track", &page, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_behind_nginx_share_the_work_and_survive_crashes_and_restarts() {
    let started = Instant::now();
    let db = PgDatabase::create();
    let dir = std::env::temp_dir().join(format!("appealdesk_scale_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the test's folder");
    let migrate = binary()
        .arg("migrate")
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("appealdesk migrate");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let smtp = SmtpServer::start();
    // Every filing announced to one endpoint: the three workers share its deliveries.
    let receiver = Receiver::start(dir.join("receiver"));
    db.conn()
        .batch_execute(&format!(
            "INSERT INTO webhook_endpoints (url, events, enabled, secret, created_by, created_at) \
             VALUES ('http://127.0.0.1:{}/hooks', 'case.filed', TRUE, '{WEBHOOK_SECRET}', 'scale-out', now())",
            receiver.port
        ))
        .expect("a webhook endpoint");
    let ports: Vec<u16> = (0..INSTANCES).map(|_| free_port()).collect();
    let mut nginx = Nginx::start(&dir, &ports);
    let base = nginx.base();
    let env = vec![
        ("DATABASE_URL".to_owned(), db.url.clone()),
        ("SECRET_KEY".to_owned(), SECRET_KEY.to_owned()),
        ("PUBLIC_BASE_URL".to_owned(), base.clone()),
        ("SMTP_URL".to_owned(), smtp.url()),
        ("MAIL_POLL_SECS".to_owned(), "0.2".to_owned()),
        ("MAIL_LEASE_SECS".to_owned(), LEASE_SECS.to_owned()),
        ("WEBHOOK_ALLOW_PRIVATE".to_owned(), "1".to_owned()),
        ("WEBHOOK_POLL_SECS".to_owned(), "0.2".to_owned()),
        ("RUST_LOG".to_owned(), "warn".to_owned()),
        // nginx on loopback, as the recipe's environment file says.
        ("TRUSTED_PROXIES".to_owned(), "127.0.0.1".to_owned()),
    ];
    // Every client of this test is one loopback address: the per-address limits would
    // refuse most of the race, which is not what it measures.
    let env: Vec<(String, String)> = env
        .into_iter()
        .chain(
            ["FILINGS", "REPLIES"]
                .iter()
                .flat_map(|limit| ["BURST", "PER_HOUR"].map(|p| format!("RATE_LIMIT_{limit}_{p}")))
                .map(|name| (name, "1000000".to_owned())),
        )
        .collect();
    let mut instances: Vec<Instance> = ports
        .iter()
        .enumerate()
        .map(|(i, port)| Instance {
            port: *port,
            env: env.clone(),
            log: dir.join(format!("instance-{i}.log")),
            child: None,
        })
        .collect();
    let probe = http().build().expect("client");
    for instance in &mut instances {
        instance.start();
    }
    for instance in &instances {
        instance.wait_ready(&probe).await;
    }

    // 1. The quota race, spread over the instances by nginx.
    let race = quota_race(&base).await;
    figure!(
        "scale-out: quota race: {TRIALS} trials x {AT_ONCE} filings at once: {} overshoots, {} undershoots, {} 5xx, other: {:?}",
        race.overshoots,
        race.undershoots,
        race.server_errors,
        race.other
    );

    // 2. Every accepted filing gets one receipt from the three workers.
    let deadline = Instant::now() + Duration::from_secs(60);
    while receipt_gaps(&db, &smtp).missing > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let race_receipts = receipt_gaps(&db, &smtp);
    figure!(
        "scale-out: receipts after the race: {} cases, {race_receipts:?}",
        cases_by_email(&db).len()
    );

    // 3. kill -9 one instance in the middle of a stream of filings.
    let stop = Arc::new(AtomicBool::new(false));
    let mut filers = JoinSet::new();
    for _ in 0..4 {
        filers.spawn(filer(base.clone(), stop.clone()));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    instances[1].kill_9();
    let crashed_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    let mut stream = Stream::default();
    for seen in filers.join_all().await {
        stream.acknowledged.extend(seen.acknowledged);
        stream.resent += seen.resent;
        stream.failed.extend(seen.failed);
    }
    let stored = transaction_ids(&db);
    let lost = stream
        .acknowledged
        .iter()
        .filter(|(t, _)| !stored.contains(t))
        .count();
    let cases_per_mailbox = cases_by_email(&db);
    let second_cases = cases_per_mailbox.values().filter(|n| **n > 1).count();
    // Every case's receipt, the crashed worker's claims included, within two minutes.
    let deadline = crashed_at + Duration::from_secs(120);
    while receipt_gaps(&db, &smtp).missing > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let last_receipt = crashed_at.elapsed();
    // Room for a late second copy to show.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let crash_receipts = receipt_gaps(&db, &smtp);
    figure!(
        "scale-out: kill -9: {} filings acknowledged, {} answers lost and resent, {lost} lost acknowledged filings, {second_cases} second cases, receipts {crash_receipts:?}, {:.1} s from the crash to the last receipt, failures: {:?}",
        stream.acknowledged.len(),
        stream.resent,
        last_receipt.as_secs_f64(),
        stream.failed
    );
    instances[1].start();
    instances[1].wait_ready(&probe).await;

    // 4. Rolling restart while a client files and reads through nginx.
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = Arc::new(Traffic::default());
    let mut clients = JoinSet::new();
    for _ in 0..2 {
        clients.spawn(steady_client(base.clone(), stop.clone(), traffic.clone()));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut exits = Vec::new();
    for instance in &mut instances {
        exits.push(instance.terminate().await);
        instance.start();
        instance.wait_ready(&probe).await;
        // nginx tries a failed instance again after the site's fail_timeout (2 s).
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    stop.store(true, Ordering::Relaxed);
    clients.join_all().await;
    let failures = traffic.failures.lock().unwrap().clone();
    figure!(
        "scale-out: rolling restart: {} requests, {} failed {:?}; exits {:?}",
        traffic.sent.load(Ordering::Relaxed),
        failures.len(),
        failures,
        exits
    );
    // 5. Every case announced once to the webhook receiver (the crashed instance's claims
    // taken up by the others within its lease).
    let deadline = Instant::now() + Duration::from_secs(90);
    while hook_gaps(&db, &receiver).missing > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let hooks = hook_gaps(&db, &receiver);
    figure!(
        "scale-out: webhooks: {} cases, {} requests, {hooks:?}",
        cases_by_email(&db).values().sum::<i64>(),
        receiver.received().len()
    );
    figure!("scale-out: took {:.0} s", started.elapsed().as_secs_f64());
    let nginx_processes = nginx.processes();
    let killed = nginx.stop();
    drop(instances);

    assert_eq!(
        race.overshoots, 0,
        "more than two appeals for one WeChat ID"
    );
    assert_eq!(race.undershoots, 0, "fewer than two accepted");
    assert_eq!(race.server_errors, 0, "5xx in the race");
    assert!(race.other.is_empty(), "{:?}", race.other);
    let whole = Receipts {
        duplicates: 0,
        missing: 0,
        redelivered: 0,
    };
    assert_eq!(race_receipts, whole, "one receipt per race filing");
    assert_eq!(lost, 0, "acknowledged filings lost");
    assert_eq!(second_cases, 0, "a resent form filed a second case");
    assert!(stream.failed.is_empty(), "{:?}", stream.failed);
    assert_eq!(
        (crash_receipts.duplicates, crash_receipts.missing),
        (0, 0),
        "one receipt per case after the crash"
    );
    assert!(last_receipt < Duration::from_secs(120));
    assert!(
        failures.is_empty(),
        "failed requests during the rolling restart: {failures:?}"
    );
    assert_eq!(
        (hooks.missing, hooks.unverified),
        (0, 0),
        "every case announced, verified"
    );
    // Only a request in flight when its instance was killed may arrive twice.
    assert!(hooks.repeated <= 1, "webhooks delivered twice: {hooks:?}");
    assert!(
        exits.iter().all(ExitStatus::success),
        "SIGTERM exits 0: {exits:?}"
    );
    // Nothing of the run outlives it: nginx's master and worker stopped as a group, the
    // receiver stopped (and waited for) here.
    drop(receiver);
    assert!(nginx_processes.len() >= 2, "{nginx_processes:?}");
    assert_eq!(killed, Vec::<u32>::new(), "nginx outlived SIGQUIT");
    assert_eq!(
        process_group::processes_naming(&dir.to_string_lossy()),
        vec![]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// nginx as this test runs it stops whole: its master and every worker, nothing left
/// listening (the master alone used to be killed, and a worker stayed on).
#[test]
fn nginx_stops_with_all_its_workers() {
    let dir = std::env::temp_dir().join(format!("appealdesk_nginx_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the test's folder");
    let mut nginx = Nginx::start(&dir, &[free_port(), free_port()]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", nginx.port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not listen; see {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let running = nginx.processes();
    assert!(running.len() >= 2, "a master and a worker: {running:?}");
    let group = nginx.child.as_ref().expect("running").id();
    assert_eq!(nginx.stop(), Vec::<u32>::new(), "nginx outlived SIGQUIT");
    assert_eq!(
        process_group::members(group),
        Vec::<u32>::new(),
        "of {running:?}"
    );
    assert!(std::net::TcpStream::connect(("127.0.0.1", nginx.port)).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client builder. reqwest is built with rustls but without a crypto provider of its own
/// (scale_out's clients speak https to nginx): ring is installed first, as the app has it.
pub fn http() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
