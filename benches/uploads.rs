//! Filing with evidence through the real server: the time to accept a filing that carries
//! a typical 1170×2532 PNG screenshot next to one without files (both the whole HTTP path:
//! form token, rules, cleaning, storage, receipt), and the process's peak memory while
//! 8 such filings arrive at once. The server runs in this process, so its memory is ours.
//!
//! `cargo bench --bench uploads` (SQLite in a temporary folder; `BENCH_DATABASE_URL=postgres://…`
//! for PostgreSQL). `BENCH_ROUNDS` sets the rounds (default 31).

use std::time::{Duration, Instant};

mod common;

use appealdesk::config::DatabaseUrl;
use appealdesk::startup::Application;
use chrono::Utc;
use common::{median, mib, reset_peak, status_kib};

const SCREENSHOT: &[u8] = include_bytes!("../tests/fixtures/screenshot-1170x2532.png");
const AT_ONCE: usize = 8;

/// A valid filing's fields, unique per `n` (its own WeChat ID and transaction ID).
fn fields(n: u64, token: &str) -> Vec<(String, String)> {
    let sent = appealdesk::domain::cst::format_local(Utc::now() - chrono::Duration::hours(1));
    [
        ("wechat_id", format!("wxid_bench{n:08}")),
        ("email", "bench@example.com".to_owned()),
        ("packet_kind", "transfer".to_owned()),
        ("amount", "520.00".to_owned()),
        ("sent_at", sent),
        ("transaction_id", format!("10{n:017}")),
        ("counterparty_phone_suffix", "1234".to_owned()),
        ("card_last4", "5678".to_owned()),
        ("claim_status", "unclaimed".to_owned()),
        ("account", "Sent to the wrong chat by mistake.".to_owned()),
        ("csrf_token", token.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

struct Filer {
    client: reqwest::Client,
    base: String,
}

impl Filer {
    fn new(base: &str) -> Self {
        Self {
            client: common::http()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: base.to_owned(),
        }
    }

    async fn token(&self) -> String {
        let html = self
            .client
            .get(format!("{}/appeals/new", self.base))
            .send()
            .await
            .expect("form")
            .text()
            .await
            .expect("form page");
        const MARK: &str = "name=\"csrf_token\" value=\"";
        let start = html.find(MARK).expect("token") + MARK.len();
        html[start..]
            .split('"')
            .next()
            .expect("token value")
            .to_owned()
    }

    /// Files one appeal; times only the POST (the form was opened before).
    async fn file(&self, n: u64, screenshot: bool) -> Duration {
        let token = self.token().await;
        let fields = fields(n, &token);
        let request = self.client.post(format!("{}/appeals", self.base));
        let request = if screenshot {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in fields {
                form = form.text(k, v);
            }
            let part = reqwest::multipart::Part::bytes(SCREENSHOT).file_name("bill.png");
            request.multipart(form.part("evidence", part))
        } else {
            request.form(&fields)
        };
        let start = Instant::now();
        let response = request.send().await.expect("POST");
        let took = start.elapsed();
        assert_eq!(response.status().as_u16(), 303, "filed");
        took
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: u64 = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(31)
        .max(1);
    let dir = std::env::temp_dir().join(format!("appealdesk-uploads-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(u) => DatabaseUrl::parse(Some(&u))?,
        Err(_) => DatabaseUrl::Sqlite(dir.join("bench.db")),
    };
    let settings = common::settings(url.clone(), &dir);

    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let filer = Filer::new(&base);
    let n0 = u64::from(std::process::id()) * 10_000;

    // Warm-up: the first filing pays for the calendar and the statements.
    filer.file(n0, false).await;
    let mut plain = Vec::new();
    let mut with_file = Vec::new();
    for i in 0..rounds {
        plain.push(filer.file(n0 + 1 + 2 * i, false).await);
        with_file.push(filer.file(n0 + 2 + 2 * i, true).await);
    }
    let (plain, with_file) = (median(plain), median(with_file));
    println!("uploads bench on {url:?}, {rounds} rounds each, alternating");
    println!("file an appeal without files:                 median {plain:.2?}");
    println!(
        "file an appeal with a 1170×2532 PNG ({} B): median {with_file:.2?} ({:.1}× the plain filing)",
        SCREENSHOT.len(),
        with_file.as_secs_f64() / plain.as_secs_f64()
    );

    // Eight filings with a screenshot each, sent together from eight browsers.
    let reset = reset_peak();
    let before = status_kib("VmRSS:");
    let start = Instant::now();
    let tasks: Vec<_> = (0..AT_ONCE as u64)
        .map(|i| {
            let filer = Filer::new(&base);
            tokio::spawn(async move { filer.file(n0 + 5_000 + i, true).await })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    let took = start.elapsed();
    let peak = status_kib("VmHWM:");
    println!(
        "{AT_ONCE} filings with a screenshot at once: {took:.2?}; RSS before {:.1} MiB, peak {:.1} MiB{}",
        mib(before),
        mib(peak),
        if reset {
            ""
        } else {
            " (peak of the whole run)"
        }
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
