//! Load benchmark: the real server over a database seeded with many open cases.
//! Prints latencies and, because these machines are noisy, ratios measured in one run:
//! a deep queue page against the first page (keyset pagination keeps it near 1), and
//! the queue against the health check.
//!
//! `cargo bench --bench load` (SQLite); `BENCH_DATABASE_URL=postgres://… cargo bench
//! --bench load` for PostgreSQL. `BENCH_CASES` sets the number of cases (default 20000).

use std::time::{Duration, Instant};

mod common;

use appealdesk::config::DatabaseUrl;
use appealdesk::db::{self, cases::NewCase};
use appealdesk::domain::Lang;
use appealdesk::domain::agent::Role;
use appealdesk::domain::case_status::CaseStatus;
use appealdesk::domain::evidence::PacketKind;
use appealdesk::startup::Application;
use chrono::{Days, NaiveDate, Utc};

const ROUNDS: usize = 60;

fn seed(url: &DatabaseUrl, n: usize) -> anyhow::Result<()> {
    let pool = db::pool(url, 1)?;
    let mut conn = pool.get()?;
    let now = Utc::now();
    appealdesk::workflows::agents::create_agent(
        &mut conn,
        "bench@example.com",
        "Bench",
        Role::Supervisor,
        "bench password",
        now,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let today = now.date_naive();
    db::write_tx(&mut conn, |conn| {
        for i in 0..n {
            let filed_on = today - Days::new((i % 40) as u64);
            let deadline = filed_on + Days::new(9);
            let number = format!("AD{}-B{:05}", filed_on.format("%Y%m%d"), i);
            let case = NewCase {
                case_number: &number,
                status: CaseStatus::OPEN[i % 3],
                tracking_token_hash: &format!("t{i}"),
                submission_key_hash: &format!("s{i}"),
                submission_fingerprint: "bench",
                lang: Lang::Zh,
                wechat_id: &format!("wxid_bench{i}"),
                email: "bench@example.com",
                packet_kind: PacketKind::Transfer,
                amount_fen: 52_000 + i as i64,
                sent_at: now.naive_utc(),
                transaction_id: &format!("10{i:017}"),
                counterparty_phone_suffix: "1234",
                card_last4: "5678",
                account: "seeded for the benchmark",
                filed_at: now.naive_utc(),
                filed_on,
                review_target: filed_on + Days::new(5),
                review_deadline: deadline,
                updated_at: now.naive_utc(),
                quota_year: chrono::Datelike::year(&filed_on),
                client_addr: None,
            };
            db::cases::insert(conn, &case)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    // Statistics as a running database keeps them (autovacuum; our periodic PRAGMA optimize).
    diesel::connection::SimpleConnection::batch_execute(&mut *conn, "ANALYZE")?;
    Ok(())
}

async fn median(client: &reqwest::Client, url: &str) -> Duration {
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let response = client.get(url).send().await.expect("request");
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response.bytes().await.expect("body");
        times.push(start.elapsed());
    }
    times.sort();
    times[ROUNDS / 2]
}

fn token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a CSRF token") + marker.len();
    html[start..start + html[start..].find('"').expect("end")].to_owned()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cases: usize = std::env::var("BENCH_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("appealdesk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(u) => DatabaseUrl::parse(Some(&u))?,
        Err(_) => DatabaseUrl::Sqlite(dir.join("bench.db")),
    };
    let settings = common::settings(url.clone(), &dir);

    appealdesk::startup::prepare_database(&settings)?;
    let start = Instant::now();
    seed(&url, cases)?;
    println!(
        "seeded {cases} open cases into {url:?} in {:.1?}",
        start.elapsed()
    );

    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
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

    let health = median(&client, &format!("{base}/healthz")).await;
    let first = median(&client, &format!("{base}/agent/cases")).await;
    let last_deadline: NaiveDate = Utc::now().date_naive() + Days::new(8);
    let deep_url = format!(
        "{base}/agent/cases?after={}.{}",
        last_deadline.format("%Y-%m-%d"),
        cases
    );
    let deep = median(&client, &deep_url).await;
    let filtered = median(
        &client,
        &format!("{base}/agent/cases?kind=transfer&assignee=unassigned&status=in_review"),
    )
    .await;
    let search = median(
        &client,
        &format!("{base}/agent/cases?q=10{:017}", cases / 2),
    )
    .await;

    // Filing: the whole form path (CSRF, rules, quota, calendar, insert) one after another.
    let filings = 100;
    let start = Instant::now();
    for i in 0..filings {
        let form = client
            .get(format!("{base}/appeals/new"))
            .send()
            .await?
            .text()
            .await?;
        let sent = appealdesk::domain::cst::format_local(Utc::now() - chrono::Duration::hours(1));
        let fields = [
            ("wechat_id", format!("wxid_load{i}")),
            ("email", "load@example.com".into()),
            ("packet_kind", "transfer".into()),
            ("amount", "888.00".into()),
            ("sent_at", sent),
            ("transaction_id", format!("1099{i:015}")),
            ("counterparty_phone_suffix", "1234".into()),
            ("card_last4", "5678".into()),
            ("account", "I sent it to the wrong chat by mistake.".into()),
            ("csrf_token", token(&form)),
        ];
        let r = client
            .post(format!("{base}/appeals"))
            .form(&fields)
            .send()
            .await?;
        anyhow::ensure!(r.status().as_u16() == 303, "filing {i}: {}", r.status());
    }
    let per_filing = start.elapsed() / filings;

    println!("median of {ROUNDS} requests each:");
    println!("  GET /healthz                      {health:>10.2?}");
    println!("  queue, first page                 {first:>10.2?}");
    println!("  queue, page past 95% of the cases {deep:>10.2?}");
    println!("  queue, three filters              {filtered:>10.2?}");
    println!("  queue, search by transaction ID   {search:>10.2?}");
    println!("  filing (form + POST), mean of {filings}  {per_filing:>10.2?}");
    println!("ratios (same run):");
    println!(
        "  deep page / first page            {:>10.2}",
        deep.as_secs_f64() / first.as_secs_f64()
    );
    println!(
        "  first page / health check         {:>10.2}",
        first.as_secs_f64() / health.as_secs_f64()
    );
    println!(
        "  filing / health check             {:>10.2}",
        per_filing.as_secs_f64() / health.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
