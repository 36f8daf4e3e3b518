//! Load benchmark: issue 10's table in one run, every figure next to a ceiling measured in
//! the same run on the same machine, and the ratio between them.
//!
//! - a bare actix-web route, and AppealDesk's `GET /appeals/new` and `GET /track/{token}`
//!   under `wrk -t1 -c32`; for reference, a bare route that makes one read of the tracked
//!   case through `Store::read`, and a bare `POST /appeals` that stores nothing;
//! - a raw one-row insert+commit loop (SQLite at the server's pragmas; PostgreSQL with 32
//!   clients), and `POST /appeals` under `wrk -t1 -c32`, every request a new valid filing
//!   (its own form token, WeChat ID and transaction ID), with the count of new cases checked;
//! - the dashboard and the queue at 10,000 cases and again at 1,000,000 (mostly closed, as
//!   after a year of work; the same open cases in both).
//! - the peak RSS of `appealdesk serve`, the application's own binary in a process of its
//!   own, while it serves the same filings on the same database.
//!
//! `cargo bench --bench load` runs SQLite, then PostgreSQL: on the server
//! `BENCH_POSTGRES_URL` names (a database is created and dropped there), else on a
//! throwaway cluster of its own (`tests/support/pg_cluster.rs`). `BENCH_QUICK=1`: small and
//! short, asserting nothing about speed, for CI. Needs `wrk` on the PATH.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
#[path = "../tests/support/pg_cluster.rs"]
#[allow(dead_code)]
mod pg_cluster;
#[path = "../tests/support/process_group.rs"]
#[allow(dead_code)]
mod process_group;

use appealdesk::config::DatabaseUrl;
use appealdesk::db::{self, DbConn};
use appealdesk::domain::agent::Role;
use appealdesk::keys::{Keys, random_token};
use appealdesk::startup::Application;
use chrono::{Days, NaiveDate, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

const SECRET: &[u8] = b"the benchmark's own secret key, 32+ bytes long";
const CONNECTIONS: usize = 32;
/// Open cases in both seeded sizes: open work does not grow with history, closed does.
const OPEN: i64 = 900;

struct Plan {
    quick: bool,
    /// Seconds per wrk run and per raw insert loop.
    secs: u64,
    small: i64,
    large: i64,
    /// Sequential requests per page time.
    rounds: usize,
}

impl Plan {
    fn from_env() -> Self {
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        let mut plan = Self::sized(quick);
        // `BENCH_SECS`: longer runs, to profile one phase.
        if let Some(secs) = std::env::var("BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
        {
            plan.secs = secs;
        }
        plan
    }

    fn sized(quick: bool) -> Self {
        if quick {
            Plan {
                quick,
                secs: 1,
                small: 2_000,
                large: 20_000,
                rounds: 5,
            }
        } else {
            Plan {
                quick,
                secs: 5,
                small: 10_000,
                large: 1_000_000,
                rounds: 40,
            }
        }
    }
}

/// One line of the table.
struct Row {
    what: String,
    ceiling: String,
    ours: String,
    ratio: String,
    goal: &'static str,
}

fn row(
    what: impl Into<String>,
    ceiling: String,
    ours: String,
    ratio: String,
    goal: &'static str,
) -> Row {
    Row {
        what: what.into(),
        ceiling,
        ours,
        ratio,
        goal,
    }
}

// ---------------------------------------------------------------- wrk

struct Wrk {
    requests: u64,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
}

impl Wrk {
    fn rate(&self) -> String {
        format!("{:.0} req/s", self.per_sec)
    }
    fn latency(&self) -> String {
        format!("p50 {:.1?}, p99 {:.1?}", self.p50, self.p99)
    }
}

const WRK_SCRIPT: &str = r#"
local bodies, n, i, cookie = {}, 0, 0, nil
function init(args)
  if args[1] then
    local f = assert(io.open(args[1], "r"))
    cookie = f:read("*l")
    for line in f:lines() do n = n + 1; bodies[n] = line end
    f:close()
  end
end
function request()
  if n == 0 then return wrk.request() end
  i = i + 1
  if i > n then i = 1 end
  return wrk.format("POST", "/appeals", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, bodies[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"#;

/// `wrk -t1 -c32` for `secs` against `url`; with `bodies`, POSTs each line of that file once.
fn wrk(dir: &Path, url: &str, secs: u64, bodies: Option<&Path>) -> anyhow::Result<Wrk> {
    let script = dir.join("bench.lua");
    std::fs::write(&script, WRK_SCRIPT)?;
    // Progress, so that a profiler can be attached to the phase it is after.
    eprintln!("bench: wrk {url} for {secs} s");
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t1",
        &format!("-c{CONNECTIONS}"),
        &format!("-d{secs}s"),
        "--timeout",
        "10s",
    ])
    .arg("-s")
    .arg(&script)
    .arg(url);
    if let Some(bodies) = bodies {
        cmd.arg("--").arg(bodies);
    }
    let out = cmd
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run wrk (apt-get install wrk): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("WRK "))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "wrk printed no summary: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let n: Vec<u64> = line
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    anyhow::ensure!(n.len() == 5, "wrk summary: {line}");
    Ok(Wrk {
        requests: n[0],
        per_sec: n[0] as f64 / (n[1] as f64 / 1e6),
        p50: Duration::from_micros(n[2]),
        p99: Duration::from_micros(n[3]),
        errors: n[4],
    })
}

// ---------------------------------------------------------------- ceilings

/// What wrk asks the bare server.
enum Bare {
    /// `GET /`: a fixed text.
    Route,
    /// `POST /appeals` with each of these filing forms once: the form parsed, 303, no
    /// storage (what the framework alone costs a filing).
    Post(PathBuf),
    /// `GET /read/{token}`: one read of the case the token opens, through the app's own
    /// `Store::read` on this database, and a fixed text (what a single read costs a page).
    Read { url: DatabaseUrl, token: String },
    /// `GET /lean/{token}`: SQLite only. The leanest read of that case: the token's digest
    /// looked up by its index on this thread's own read-only connection, a statement
    /// diesel keeps prepared, nothing else (no snapshot, no store).
    LeanRead { path: PathBuf, token: String },
}

thread_local! {
    /// The lean read's connection, one per server thread.
    static LEAN: std::cell::RefCell<Option<SqliteConnection>> = const { std::cell::RefCell::new(None) };
}

/// The lean read: whether the token's case exists.
fn lean_read(path: &Path, token: &str) -> bool {
    use appealdesk::db::schema::cases;
    let digest = appealdesk::keys::digest(token);
    LEAN.with(|lean| {
        let mut lean = lean.borrow_mut();
        if lean.is_none() {
            let mut c = SqliteConnection::establish(&path.to_string_lossy()).ok()?;
            c.batch_execute("PRAGMA query_only = ON").ok()?;
            *lean = Some(c);
        }
        cases::table
            .filter(cases::tracking_token_hash.eq(digest))
            .select(cases::id)
            .first::<i64>(lean.as_mut()?)
            .optional()
            .ok()
            .flatten()
    })
    .is_some()
}

/// A bare actix-web server, served the way the application is (same worker count), with
/// nothing of AppealDesk around its routes; wrk asks it what `ask` says.
async fn bare_route(dir: &Path, secs: u64, ask: Bare) -> anyhow::Result<Wrk> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use appealdesk::storage::Store;
    let lean_path = match &ask {
        Bare::LeanRead { path, .. } => Some(path.clone()),
        _ => None,
    };
    let store = match &ask {
        Bare::Read { url, .. } => {
            let settings = common::settings(url.clone(), dir);
            Some(Store::open(url, settings.pool_size)?)
        }
        _ => None,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        let lean_path = lean_path.clone();
        let app = App::new()
            .route("/", web::get().to(|| async { "a bare route" }))
            .route(
                "/lean/{token}",
                web::get().to(move |token: web::Path<String>| {
                    let found = lean_path
                        .as_deref()
                        .is_some_and(|path| lean_read(path, &token));
                    async move { if found { "a case" } else { "no case" } }
                }),
            )
            .route(
                "/appeals",
                web::post().to(|form: web::Form<Vec<(String, String)>>| async move {
                    HttpResponse::SeeOther()
                        .insert_header(("Location", format!("/appeals/receipt/{}", form.len())))
                        .finish()
                }),
            )
            .route(
                "/read/{token}",
                web::get().to(
                    |store: web::Data<Store>, token: web::Path<String>| async move {
                        let digest = appealdesk::keys::digest(&token);
                        match store
                            .read(move |c| db::cases::by_tracking_token(c, &digest))
                            .await
                        {
                            Ok(Ok(Some(_))) => "a case",
                            _ => "no case",
                        }
                    },
                ),
            );
        match &store {
            Some(store) => app.app_data(web::Data::new(store.clone())),
            None => app,
        }
    })
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    let base = format!("http://127.0.0.1:{port}");
    let checked = matches!(ask, Bare::Read { .. } | Bare::LeanRead { .. });
    let (url, bodies) = match ask {
        Bare::Route => (format!("{base}/"), None),
        Bare::Post(bodies) => (format!("{base}/"), Some(bodies)),
        Bare::Read { token, .. } => (format!("{base}/read/{token}"), None),
        Bare::LeanRead { token, .. } => (format!("{base}/lean/{token}"), None),
    };
    if checked {
        // A token that found nothing would time a read that returns no row.
        let answer = reqwest::get(&url).await?.text().await?;
        anyhow::ensure!(answer == "a case", "the bare read found: {answer}");
    }
    let dir = dir.to_owned();
    let result =
        tokio::task::spawn_blocking(move || wrk(&dir, &url, secs, bodies.as_deref())).await?;
    handle.stop(true).await;
    result
}

diesel::table! {
    ceiling (id) {
        id -> BigInt,
        v -> Text,
    }
}

/// One-row insert+commit loop on one connection at the server's pragmas (WAL,
/// `synchronous=NORMAL`): what SQLite commits per second here.
fn raw_sqlite(path: &Path, secs: u64) -> anyhow::Result<f64> {
    let pool = db::pool(&DatabaseUrl::Sqlite(path.to_owned()), 1)?;
    let mut conn = pool.get()?;
    conn.batch_execute("CREATE TABLE ceiling (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")?;
    let DbConn::Sqlite(c) = &mut *conn else {
        unreachable!()
    };
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        for _ in 0..100 {
            diesel::insert_into(ceiling::table)
                .values(ceiling::v.eq("a row of about the size a filing writes"))
                .execute(c)?;
        }
        n += 100;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// One-row insert per transaction from 32 clients (pgbench's shape).
fn raw_postgres(url: &str, secs: u64) -> anyhow::Result<f64> {
    let mut setup = PgConnection::establish(url)?;
    setup.batch_execute("CREATE TABLE ceiling (id BIGSERIAL PRIMARY KEY, v TEXT NOT NULL)")?;
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                s.spawn(|| -> anyhow::Result<u64> {
                    let mut c = PgConnection::establish(url)?;
                    let mut n = 0;
                    while start.elapsed() < Duration::from_secs(secs) {
                        diesel::insert_into(ceiling::table)
                            .values(ceiling::v.eq("a row of about the size a filing writes"))
                            .execute(&mut c)?;
                        n += 1;
                    }
                    Ok(n)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a client thread").unwrap_or(0))
            .sum()
    });
    let rate = total as f64 / start.elapsed().as_secs_f64();
    setup.batch_execute("DROP TABLE ceiling")?;
    Ok(rate)
}

// ---------------------------------------------------------------- seeding

/// Cases `from..to`: the first `OPEN` open (filed in the last ten days), the rest closed
/// after a decision, filed over the past year. One statement, one transaction.
/// Cases `from..to`, all open (filed in the last ten days): a backlog.
fn seed_open(conn: &mut DbConn, today: NaiveDate, from: i64, to: i64) -> anyhow::Result<()> {
    let columns = "case_number, status, tracking_token_hash, submission_key_hash, \
        submission_fingerprint, lang, wechat_id, email, packet_kind, amount_fen, sent_at, \
        transaction_id, counterparty_phone_suffix, card_last4, account, filed_at, filed_on, \
        review_target, review_deadline, updated_at, quota_year";
    let now = Utc::now().naive_utc().format("%Y-%m-%d %H:%M:%S");
    let status =
        "CASE i % 3 WHEN 0 THEN 'submitted' WHEN 1 THEN 'in_review' ELSE 'awaiting_user' END";
    let (numbers, filed) = match conn {
        DbConn::Sqlite(_) => (
            format!(
                "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {to}) \
                 SELECT i, date('{today}', '-' || (i % 10) || ' days') AS filed FROM n"
            ),
            "date(filed, '+5 days'), date(filed, '+9 days')",
        ),
        DbConn::Postgres(_) => (
            format!(
                "SELECT i, DATE '{today}' - (i % 10)::int AS filed \
                 FROM generate_series({from}::bigint, {to}::bigint - 1) AS i"
            ),
            "filed + 5, filed + 9",
        ),
    };
    conn.batch_execute(&format!(
        "INSERT INTO cases ({columns}) SELECT \
         'AD-BACKLOG-' || i, {status}, 't' || i, 's' || i, 'bench', 'zh-CN', 'wxid_backlog' || i, \
         'seed@example.com', 'transfer', 52000, '{now}', '10' || (30000000000000000 + i), \
         '1234', '5678', 'a backlog', '{now}', filed, {filed}, '{now}', 2026 FROM ({numbers}) AS s; \
         ANALYZE"
    ))?;
    Ok(())
}

fn seed(conn: &mut DbConn, today: NaiveDate, from: i64, to: i64) -> anyhow::Result<()> {
    let today = today.format("%Y-%m-%d");
    let now = Utc::now().naive_utc().format("%Y-%m-%d %H:%M:%S");
    // Per row i: filed `back` days ago; open rows cycle the open statuses.
    let columns = "case_number, status, tracking_token_hash, submission_key_hash, \
        submission_fingerprint, lang, wechat_id, email, packet_kind, amount_fen, sent_at, \
        transaction_id, counterparty_phone_suffix, card_last4, account, filed_at, filed_on, \
        review_target, review_deadline, updated_at, decided_on, decision_reason, quota_year";
    let kinds =
        "CASE i % 3 WHEN 0 THEN 'transfer' WHEN 1 THEN 'red_packet' ELSE 'lucky_red_packet' END";
    let status = format!(
        "CASE WHEN i < {OPEN} THEN (CASE i % 3 WHEN 0 THEN 'submitted' WHEN 1 THEN 'in_review' \
         ELSE 'awaiting_user' END) ELSE 'closed' END"
    );
    match conn {
        DbConn::Sqlite(_) => {
            let filed = format!(
                "date('{today}', '-' || (CASE WHEN i < {OPEN} THEN i % 10 ELSE 8 + i % 365 END) || ' days')"
            );
            conn.batch_execute(&format!(
                "BEGIN; \
                 WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {to}), \
                 s(i, filed) AS (SELECT i, {filed} FROM n) \
                 INSERT INTO cases ({columns}) SELECT \
                 'AD' || replace(filed, '-', '') || '-B' || i, {status}, 't' || i, 's' || i, 'bench', 'zh-CN', \
                 'wxid_seed' || i, 'seed@example.com', {kinds}, 52000 + i, '{now}', \
                 '10' || printf('%017d', i), '1234', '5678', 'seeded for the benchmark', '{now}', filed, \
                 date(filed, '+5 days'), date(filed, '+9 days'), '{now}', \
                 CASE WHEN i < {OPEN} THEN NULL ELSE date(filed, '+' || (i % 8) || ' days') END, \
                 CASE WHEN i < {OPEN} THEN NULL ELSE 'seeded' END, \
                 CAST(strftime('%Y', filed) AS INTEGER) \
                 FROM s; COMMIT;"
            ))?;
        }
        DbConn::Postgres(_) => {
            let filed = format!(
                "DATE '{today}' - (CASE WHEN i < {OPEN} THEN i % 10 ELSE 8 + i % 365 END)::int"
            );
            conn.batch_execute(&format!(
                "INSERT INTO cases ({columns}) SELECT \
                 'AD' || to_char(filed, 'YYYYMMDD') || '-B' || i, {status}, 't' || i, 's' || i, 'bench', 'zh-CN', \
                 'wxid_seed' || i, 'seed@example.com', {kinds}, 52000 + i, TIMESTAMP '{now}', \
                 '10' || lpad(i::text, 17, '0'), '1234', '5678', 'seeded for the benchmark', TIMESTAMP '{now}', filed, \
                 filed + 5, filed + 9, TIMESTAMP '{now}', \
                 CASE WHEN i < {OPEN} THEN NULL ELSE filed + (i % 8)::int END, \
                 CASE WHEN i < {OPEN} THEN NULL ELSE 'seeded' END, \
                 CAST(EXTRACT(YEAR FROM filed) AS INTEGER) \
                 FROM (SELECT i, {filed} AS filed FROM generate_series({from}::bigint, {to}::bigint - 1) AS i) s"
            ))?;
        }
    }
    // What a year of work leaves beside its cases: a quota slot each, and a busy day's
    // receipt slots (3,000 filings so far today), so that the plans made for the filing's
    // checks see tables of their real size, as after autovacuum's ANALYZE.
    conn.batch_execute(&format!(
        "INSERT INTO quota_slots (wechat_id, year, slot, case_id) \
         SELECT wechat_id, quota_year, 1, id FROM cases \
         WHERE account = 'seeded for the benchmark' ON CONFLICT DO NOTHING; \
         INSERT INTO receipt_slots (mailbox, day, slot, case_id) \
         SELECT 'seed' || id || '@example.com', '{today}', 1, id FROM cases \
         WHERE account = 'seeded for the benchmark' AND id <= 3000 ON CONFLICT DO NOTHING;"
    ))?;
    // The dashboard's counters for what was seeded behind the application's back: filings
    // by day, decisions (as approvals) by decision day.
    conn.batch_execute(
        "DELETE FROM daily_counts; \
         INSERT INTO daily_counts (status, day, packet_kind, shard, entered, within_target, within_deadline) \
         SELECT 'submitted', filed_on, packet_kind, id % 8, COUNT(*), COUNT(*), COUNT(*) \
         FROM cases GROUP BY filed_on, packet_kind, id % 8; \
         INSERT INTO daily_counts (status, day, packet_kind, shard, entered, within_target, within_deadline) \
         SELECT 'approved', decided_on, packet_kind, id % 8, COUNT(*), \
         SUM(CASE WHEN decided_on <= review_target THEN 1 ELSE 0 END), \
         SUM(CASE WHEN decided_on <= review_deadline THEN 1 ELSE 0 END) \
         FROM cases WHERE decided_on IS NOT NULL GROUP BY decided_on, packet_kind, id % 8; \
         ANALYZE;",
    )?;
    Ok(())
}

// ---------------------------------------------------------------- the application

struct Server {
    base: String,
    handle: actix_web::dev::ServerHandle,
}

async fn serve(url: &DatabaseUrl, dir: &Path, mail_worker: bool) -> anyhow::Result<Server> {
    let mut settings = common::settings(url.clone(), dir);
    settings.secret_key = Some(SECRET.to_vec());
    settings.mail.run_worker = mail_worker;
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    Ok(Server { base, handle })
}

/// The application's own binary (`appealdesk serve`) over `url`, in a process of its
/// own: the server an operator runs, so that its memory is the server's alone and not
/// the benchmark's (its seeding, its forms, its clients). Settings as `serve`'s above.
struct OwnProcess {
    child: std::process::Child,
    base: String,
}

impl OwnProcess {
    async fn start(url: &DatabaseUrl, dir: &Path) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let database = match url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.clone(),
        };
        let unlimited = 1_000_000.to_string();
        let mut command = Command::new(env!("CARGO_BIN_EXE_appealdesk"));
        command
            .arg("serve")
            .env("DATABASE_URL", database)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("SECRET_KEY", std::str::from_utf8(SECRET)?)
            .env("DATABASE_POOL_SIZE", "8")
            .env("MAIL_WORKER", "off")
            .env("WEBHOOK_WORKER", "off")
            .env("MAIL_DIR", dir.join("mail-own-process"))
            .env("REQUIRE_MFA", "off")
            .env("RATE_LIMIT_FILINGS_BURST", &unlimited)
            .env("RATE_LIMIT_FILINGS_PER_HOUR", &unlimited)
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null());
        process_group::own_group(&mut command);
        let child = command.spawn()?;
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = common::http().build()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = client.get(format!("{}/readyz", server.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                anyhow::bail!("appealdesk serve exited at its start: {status}");
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "appealdesk serve never got ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A field of the process's /proc status in KiB (`VmHWM:`: its peak RSS).
    fn status_kib(&self, field: &str) -> u64 {
        common::status_kib_of(&format!("/proc/{}/status", self.child.id()), field)
    }
}

impl Drop for OwnProcess {
    fn drop(&mut self) {
        process_group::stop_group(&mut self.child, libc::SIGTERM, Duration::from_secs(10));
    }
}

fn token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a CSRF token") + marker.len();
    html[start..start + html[start..].find('"').expect("end")].to_owned()
}

/// A supervisor's browser, signed in through the real form.
async fn supervisor(base: &str) -> anyhow::Result<reqwest::Client> {
    let client = common::http()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let login = client
        .get(format!("{base}/agent/login"))
        .send()
        .await?
        .text()
        .await?;
    let signed_in = client
        .post(format!("{base}/agent/login"))
        .form(&[
            ("email", "bench@example.com"),
            ("password", "bench password"),
            ("csrf_token", &token(&login)),
        ])
        .send()
        .await?;
    anyhow::ensure!(signed_in.status().as_u16() == 303, "sign-in failed");
    Ok(client)
}

async fn page_time(client: &reqwest::Client, url: &str, rounds: usize) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        let response = client.get(url).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response.bytes().await?;
        times.push(start.elapsed());
    }
    Ok(common::median(times))
}

/// The dashboard and the queue pages, as a signed-in supervisor sees them.
async fn pages(
    base: &str,
    rounds: usize,
    cases: i64,
) -> anyhow::Result<Vec<(&'static str, Duration)>> {
    let client = supervisor(base).await?;
    let last_deadline = Utc::now().date_naive() + Days::new(8);
    let mut out = Vec::new();
    for (name, path) in [
        ("/agent/dashboard", "/agent/dashboard".to_owned()),
        ("queue, first page", "/agent/cases".to_owned()),
        (
            "queue, next page deep in",
            format!(
                "/agent/cases?after={}.{}",
                last_deadline.format("%Y-%m-%d"),
                OPEN / 2
            ),
        ),
        (
            "queue, three filters",
            "/agent/cases?kind=transfer&assignee=unassigned&status=in_review".to_owned(),
        ),
        (
            "queue, search by transaction ID",
            format!("/agent/cases?q=10{:017}", cases / 2),
        ),
    ] {
        out.push((
            name,
            page_time(&client, &format!("{base}{path}"), rounds).await?,
        ));
    }
    Ok(out)
}

/// The dashboard's figures computed in-process, median of `rounds`: from the per-day
/// counters, and counted over the cases as the page did before them.
fn figures_times(
    pool: &db::Pool,
    today: NaiveDate,
    rounds: usize,
) -> anyhow::Result<[Duration; 2]> {
    use appealdesk::workflows::dashboard;
    let mut conn = pool.get()?;
    let mut time = |f: fn(
        &mut DbConn,
        NaiveDate,
    ) -> Result<dashboard::Figures, appealdesk::workflows::Failure>|
     -> anyhow::Result<Duration> {
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            f(&mut conn, today)?;
            times.push(start.elapsed());
        }
        Ok(common::median(times))
    };
    Ok([
        time(dashboard::figures)?,
        time(dashboard::figures_recounted)?,
    ])
}

/// `n` filing forms for one browser, each with its own form token, WeChat ID and
/// transaction ID; the first line is the browser's cookie.
fn filing_bodies(path: &Path, n: usize, tag: u32) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let keys = Keys::new(SECRET.to_vec());
    let browser = random_token();
    let sent = appealdesk::domain::cst::format_local(Utc::now() - chrono::Duration::hours(1));
    let sent: String = form_urlencoded(&sent);
    let mut out = format!("ad_browser={browser}\n");
    for i in 0..n {
        let form_key = random_token();
        let csrf = format!("{form_key}.{}", keys.csrf_tag(&browser, &form_key));
        writeln!(
            out,
            "wechat_id=wxid_load{tag}x{i}&email=load{tag}x{i}%40example.com&packet_kind=transfer&amount=888.00\
             &sent_at={sent}&transaction_id=10{tag}{i:016}&counterparty_phone_suffix=1234\
             &card_last4=5678&account=I+sent+it+to+the+wrong+chat+by+mistake.&claim_status=unclaimed&csrf_token={}",
            form_urlencoded(&csrf)
        )?;
    }
    std::fs::write(path, out)?;
    Ok(())
}

fn form_urlencoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn count_cases(url: &DatabaseUrl) -> anyhow::Result<i64> {
    let pool = db::pool(url, 1)?;
    let mut conn = pool.get()?;
    Ok(db::schema::cases::table.count().get_result(&mut *conn)?)
}

/// `POST /appeals` under wrk, every request a new valid filing; checks none failed.
async fn filings(
    plan: &Plan,
    dir: &Path,
    url: &DatabaseUrl,
    base: &str,
    tag: u32,
) -> anyhow::Result<Wrk> {
    let bodies = dir.join(format!("filings-{tag}.txt"));
    // More forms than the run can send: none is sent twice.
    let n = 15_000 * plan.secs as usize;
    filing_bodies(&bodies, n, tag)?;
    let before = count_cases(url)?;
    let (dir, target, secs) = (dir.to_owned(), format!("{base}/appeals"), plan.secs);
    let result =
        tokio::task::spawn_blocking(move || wrk(&dir, &target, secs, Some(&bodies))).await??;
    let filed = count_cases(url)? - before;
    anyhow::ensure!(result.errors == 0, "{} filings failed", result.errors);
    anyhow::ensure!(
        (result.requests as usize) < n && filed >= result.requests as i64,
        "{} requests answered but {filed} new cases",
        result.requests
    );
    Ok(result)
}

/// SQLite's writer so far: (commits, calls committed), from the process's metrics.
fn write_batches() -> (f64, f64) {
    let text = appealdesk::metrics::handle().render();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    (
        value("appealdesk_sqlite_write_batch_calls_count"),
        value("appealdesk_sqlite_write_batch_calls_sum"),
    )
}

fn ratio(ours: f64, ceiling: f64) -> String {
    format!("{:.1}%", 100.0 * ours / ceiling)
}

fn times(a: Duration, b: Duration) -> String {
    format!("{:.2}×", b.as_secs_f64() / a.as_secs_f64())
}

/// Everything measured on one database; `label` names the backend in the rows.
async fn suite(
    plan: &Plan,
    dir: &Path,
    url: &DatabaseUrl,
    label: &str,
    bare: &Wrk,
    bare_post: &Wrk,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let settings = common::settings(url.clone(), dir);
    // Migrated by the app's own start; then seeded and timed beside the server, as a
    // tool would.
    appealdesk::startup::prepare_database(&settings)?.close();
    let pool = db::pool(url, settings.pool_size)?;
    let today = appealdesk::domain::cst::local_date(Utc::now());
    {
        let mut conn = pool.get()?;
        appealdesk::workflows::agents::create_agent(
            &mut conn,
            "bench@example.com",
            "Bench",
            Role::Supervisor,
            "bench password",
            Utc::now(),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let start = Instant::now();
        seed(&mut conn, today, 0, plan.small)?;
        println!(
            "{label}: seeded {} cases in {:.1?}",
            plan.small,
            start.elapsed()
        );
    }
    let server = serve(url, dir, false).await?;
    let small = pages(&server.base, plan.rounds, plan.small).await?;
    let figures_small = figures_times(&pool, today, plan.rounds)?;
    {
        let mut conn = pool.get()?;
        let start = Instant::now();
        seed(&mut conn, today, plan.small, plan.large)?;
        println!(
            "{label}: seeded up to {} cases in {:.1?}",
            plan.large,
            start.elapsed()
        );
    }
    let large = pages(&server.base, plan.rounds, plan.large).await?;
    let figures_large = figures_times(&pool, today, plan.rounds)?;
    {
        // A backlog: 50,000 more open cases on top of the history.
        let mut conn = pool.get()?;
        let backlog = if plan.quick { 2_000 } else { 50_000 };
        seed_open(&mut conn, today, plan.large, plan.large + backlog)?;
        let client = supervisor(&server.base).await?;
        let dashboard = page_time(
            &client,
            &format!("{}/agent/dashboard", server.base),
            plan.rounds,
        )
        .await?;
        rows.push(row(
            format!("{label}: /agent/dashboard with {backlog} more open cases"),
            format!("{:.2?} with {OPEN} open", large[0].1),
            format!("{dashboard:.2?}"),
            times(large[0].1, dashboard),
            "≤ 50 ms",
        ));
    }
    for (i, how) in ["from the counters (now)", "counted over the cases (before)"]
        .iter()
        .enumerate()
    {
        rows.push(row(
            format!("{label}: dashboard figures {how}, at {} cases", plan.large),
            format!("{:.2?} at {}", figures_small[i], plan.small),
            format!("{:.2?}", figures_large[i]),
            times(figures_small[i], figures_large[i]),
            "≤ 1.5×",
        ));
    }
    for ((name, at_small), (_, at_large)) in small.iter().zip(&large) {
        let goal = "≤ 1.5×";
        rows.push(row(
            format!("{label}: {name} at {} cases", plan.large),
            format!("{:.2?} at {}", at_small, plan.small),
            format!("{at_large:.2?}"),
            times(*at_small, *at_large),
            goal,
        ));
    }

    let new_form = {
        let (dir, target, secs) = (
            dir.to_owned(),
            format!("{}/appeals/new", server.base),
            plan.secs,
        );
        tokio::task::spawn_blocking(move || wrk(&dir, &target, secs, None)).await??
    };
    rows.push(row(
        format!("{label}: GET /appeals/new"),
        format!("bare route {}", bare.rate()),
        new_form.rate(),
        ratio(new_form.per_sec, bare.per_sec),
        "≥ 40%",
    ));

    // A real filing to track.
    let client = common::http()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let one = dir.join("one.txt");
    filing_bodies(&one, 1, 9)?;
    let text = std::fs::read_to_string(&one)?;
    let mut lines = text.lines();
    let cookie = lines.next().unwrap_or_default().to_owned();
    let filed = client
        .post(format!("{}/appeals", server.base))
        .header("Cookie", cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(lines.next().unwrap_or_default().to_owned())
        .send()
        .await?;
    anyhow::ensure!(
        filed.status().as_u16() == 303,
        "a filing: {}",
        filed.status()
    );
    let receipt = filed
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .replace("/appeals/receipt/", "/track/");
    let one_read = bare_route(
        dir,
        plan.secs,
        Bare::Read {
            url: url.clone(),
            token: receipt.trim_start_matches("/track/").to_owned(),
        },
    )
    .await?;
    rows.push(row(
        format!("{label}: bare actix-web route + one read of the tracked case (reference)"),
        format!("bare route {}", bare.rate()),
        format!("{}, {}", one_read.rate(), one_read.latency()),
        ratio(one_read.per_sec, bare.per_sec),
        "(reference)",
    ));
    let lean = match url {
        DatabaseUrl::Sqlite(path) => {
            let lean = bare_route(
                dir,
                plan.secs,
                Bare::LeanRead {
                    path: path.clone(),
                    token: receipt.trim_start_matches("/track/").to_owned(),
                },
            )
            .await?;
            rows.push(row(
                format!("{label}: lean one-read route: an indexed read on a per-thread connection, nothing else (reference)"),
                format!("bare route {}", bare.rate()),
                format!("{}, {}", lean.rate(), lean.latency()),
                ratio(lean.per_sec, bare.per_sec),
                "(reference)",
            ));
            Some(lean)
        }
        DatabaseUrl::Postgres(_) => None,
    };
    let track = {
        let (dir, target, secs) = (
            dir.to_owned(),
            format!("{}{receipt}", server.base),
            plan.secs,
        );
        tokio::task::spawn_blocking(move || wrk(&dir, &target, secs, None)).await??
    };
    anyhow::ensure!(track.errors == 0, "tracking page errors: {}", track.errors);
    match &lean {
        Some(lean) => rows.push(row(
            format!("{label}: GET /track/{{token}}"),
            format!("lean one-read route {}", lean.rate()),
            format!("{}, {}", track.rate(), track.latency()),
            ratio(track.per_sec, lean.per_sec),
            "≥ 60%",
        )),
        None => rows.push(row(
            format!("{label}: GET /track/{{token}}"),
            format!("one read through Store::read {}", one_read.rate()),
            format!("{}, {}", track.rate(), track.latency()),
            ratio(track.per_sec, one_read.per_sec),
            "(no goal)",
        )),
    }

    let (ceiling, what) = match url {
        DatabaseUrl::Sqlite(_) => (
            raw_sqlite(&dir.join("ceiling.db"), plan.secs)?,
            "raw insert+commit loop",
        ),
        DatabaseUrl::Postgres(u) => (raw_postgres(u, plan.secs)?, "raw insert loop, 32 clients"),
    };
    let goal = match url {
        DatabaseUrl::Sqlite(_) => "p99 ≤ 20 ms, ≥ 7% of the bare POST",
        DatabaseUrl::Postgres(_) => "(no goal)",
    };
    let batches = write_batches();
    let filing = filings(plan, dir, url, &server.base, 1).await?;
    let (commits, calls) = write_batches();
    if commits > batches.0 {
        println!(
            "{label}: the writer committed {:.0} calls in {:.0} commits ({:.1} a commit)",
            calls - batches.1,
            commits - batches.0,
            (calls - batches.1) / (commits - batches.0)
        );
    }
    rows.push(row(
        format!("{label}: POST /appeals, mail worker off"),
        format!("{what} {ceiling:.0}/s"),
        format!("{}, {}", filing.rate(), filing.latency()),
        format!(
            "{} ({} of the bare POST)",
            ratio(filing.per_sec, ceiling),
            ratio(filing.per_sec, bare_post.per_sec)
        ),
        goal,
    ));
    server.handle.stop(true).await;

    // Memory: the server's own binary in a process of its own, serving the same filings
    // on the same database, from its start to the end of the load.
    let own = OwnProcess::start(url, dir).await?;
    let started_kib = own.status_kib("VmRSS:");
    let own_filing = filings(plan, dir, url, &own.base, 3).await?;
    rows.push(row(
        format!("{label}: peak RSS of `appealdesk serve` in its own process, serving the filings"),
        format!("at its start {:.1} MiB", common::mib(started_kib)),
        format!(
            "{:.1} MiB ({}, {})",
            common::mib(own.status_kib("VmHWM:")),
            own_filing.rate(),
            own_filing.latency()
        ),
        "-".to_owned(),
        "≤ 48 MiB",
    ));
    drop(own);

    let with_mail = serve(url, dir, true).await?;
    let filing_mail = filings(plan, dir, url, &with_mail.base, 2).await?;
    rows.push(row(
        format!("{label}: POST /appeals, mail worker on"),
        format!("worker off {}", filing.rate()),
        format!("{}, {}", filing_mail.rate(), filing_mail.latency()),
        ratio(filing_mail.per_sec, filing.per_sec),
        "≥ 85%",
    ));
    with_mail.handle.stop(true).await;
    Ok(())
}

/// A fresh PostgreSQL database on the server `admin` names, dropped at the end.
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(admin: &str) -> anyhow::Result<Self> {
        let name = format!("appealdesk_bench_{}", std::process::id());
        PgConnection::establish(admin)?.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let (base, query) = admin.split_once('?').unwrap_or((admin, ""));
        let (server, _) = base
            .rsplit_once('/')
            .ok_or_else(|| anyhow::anyhow!("a URL with a database"))?;
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        Ok(Self {
            admin: admin.to_owned(),
            url: format!("{server}/{name}{query}"),
            name,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = PgConnection::establish(&self.admin) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let plan = Plan::from_env();
    let started = Instant::now();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("appealdesk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut rows = Vec::new();

    let bare = bare_route(&dir, plan.secs, Bare::Route).await?;
    let bare_filings = dir.join("bare-filings.txt");
    filing_bodies(&bare_filings, 15_000 * plan.secs as usize, 0)?;
    let bare_post = bare_route(&dir, plan.secs, Bare::Post(bare_filings)).await?;
    rows.push(row(
        "bare actix-web POST /appeals: the same forms parsed, no storage",
        format!("bare route {}", bare.rate()),
        format!("{}, {}", bare_post.rate(), bare_post.latency()),
        ratio(bare_post.per_sec, bare.per_sec),
        "(reference)",
    ));
    let sqlite_dir = dir.join("sqlite");
    std::fs::create_dir_all(&sqlite_dir)?;
    let sqlite = DatabaseUrl::Sqlite(sqlite_dir.join("bench.db"));
    suite(
        &plan,
        &sqlite_dir,
        &sqlite,
        "SQLite",
        &bare,
        &bare_post,
        &mut rows,
    )
    .await?;

    {
        let admin = pg_cluster::server_url(&["BENCH_POSTGRES_URL"]);
        let database = PgDatabase::create(&admin)?;
        let pg_dir = dir.join("postgres");
        std::fs::create_dir_all(&pg_dir)?;
        let url = DatabaseUrl::Postgres(database.url.clone());
        suite(
            &plan,
            &pg_dir,
            &url,
            "PostgreSQL",
            &bare,
            &bare_post,
            &mut rows,
        )
        .await?;
    }

    println!(
        "\n{} run, {:.0?}; wrk -t1 -c{CONNECTIONS} -d{}s; bare actix route {} (p50 {:.1?})\n",
        if plan.quick {
            "quick (BENCH_QUICK)"
        } else {
            "full"
        },
        started.elapsed(),
        plan.secs,
        bare.rate(),
        bare.p50,
    );
    if cfg!(debug_assertions) {
        println!(
            "A debug build (`cargo test --bench load`): the goals below are only meaningful \
             in a release build (`cargo bench --bench load`); here the run only shows that \
             every row still works.\n"
        );
    }
    println!("| what | ceiling in the same run | AppealDesk | ratio | goal |");
    println!("|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            r.what, r.ceiling, r.ours, r.ratio, r.goal
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
