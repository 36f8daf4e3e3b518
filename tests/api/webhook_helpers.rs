//! A webhook receiver that is a real HTTP server in Python verifying every delivery with
//! the official `standardwebhooks` package (tests/webhooks/receiver.py), and apps that
//! deliver to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use appealdesk::config::Clock;
use appealdesk::db::schema::webhook_deliveries;
use appealdesk::domain::agent::Role;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

pub struct Receiver {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub signature: String,
    /// Per secret of the `secrets` file, in order: whether the library verified it.
    pub verified: Vec<bool>,
    pub payload: Value,
    pub status: u16,
}

impl Received {
    pub fn event(&self) -> &str {
        self.payload["type"].as_str().unwrap_or_default()
    }

    pub fn case_number(&self) -> &str {
        self.payload["data"]["case_number"]
            .as_str()
            .unwrap_or_default()
    }
}

impl Receiver {
    pub fn start() -> Self {
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "appealdesk_hooks_{}_{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let mut receiver = Self {
            port: 0,
            dir,
            child: None,
        };
        receiver.launch();
        receiver
    }

    fn launch(&mut self) {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhooks/receiver.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg(self.port.to_string())
            .arg(&self.dir)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        let _ = BufReader::new(stdout).read_line(&mut line);
        let Some(port) = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the test webhook receiver did not start (needs `{python} -m pip install standardwebhooks==1.1.0`)"
            );
        };
        self.port = port;
        self.child = Some(child);
    }

    /// Stops the server: connections are refused until `restart`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port.
    pub fn restart(&mut self) {
        self.launch();
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.port)
    }

    /// The secrets the receiver verifies each delivery with.
    pub fn verify_with(&self, secrets: &[&str]) {
        std::fs::write(self.dir.join("secrets"), secrets.join("\n")).expect("secrets file");
    }

    /// Answers the next `n` requests 500.
    pub fn fail_next(&self, n: u32) {
        std::fs::write(self.dir.join("fail"), n.to_string()).expect("fail file");
    }

    pub fn received(&self) -> Vec<Received> {
        let Ok(text) = std::fs::read_to_string(self.dir.join("received.jsonl")) else {
            return Vec::new();
        };
        text.lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line).expect("a JSON line");
                Received {
                    id: v["id"].as_str().unwrap_or_default().to_owned(),
                    signature: v["signature"].as_str().unwrap_or_default().to_owned(),
                    verified: v["verified"]
                        .as_array()
                        .map(|a| a.iter().map(|b| b.as_bool() == Some(true)).collect())
                        .unwrap_or_default(),
                    payload: v["payload"].clone(),
                    status: v["status"].as_u64().unwrap_or_default() as u16,
                }
            })
            .collect()
    }

    /// Waits until the receiver has got `n` requests; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        crate::smtp::eventually(&format!("{n} webhook requests"), || {
            let got = self.received();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub const METRICS_TOKEN: &str = "metrics-token-for-webhook-tests";

/// An app delivering webhooks at once (its worker polls often), its clock at `local`
/// (China time) until the test moves it; `allow_private` as `WEBHOOK_ALLOW_PRIVATE`.
pub async fn spawn_app_with_webhooks(local: &str, allow_private: bool) -> TestApp {
    let app = spawn_app_configured(Clock::manual(cst(local)), |s| {
        s.webhooks.run_worker = true;
        s.webhooks.allow_private = allow_private;
        s.webhooks.poll_interval = std::time::Duration::from_millis(50);
        s.metrics_token = Some(METRICS_TOKEN.to_owned());
    })
    .await;
    app.create_agent("boss@example.com", Role::Supervisor);
    app
}

/// A delivery as stored.
#[derive(Queryable, Debug, Clone)]
pub struct DeliveryRow {
    pub id: i64,
    pub message_id: String,
    pub event: String,
    pub status: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    /// Claimed by a worker that has not recorded the outcome yet.
    pub lease_until: Option<chrono::NaiveDateTime>,
}

impl TestApp {
    /// Adds an endpoint through the console; returns its secret, as the page showed it once.
    pub async fn add_endpoint(&self, boss: &Console, url: &str, events: &[&str]) -> String {
        let mut form = vec![("url", url), ("enabled", "on")];
        form.extend(events.iter().map(|e| (*e, "on")));
        let response = boss.post("/agent/webhooks", &form).await;
        assert_eq!(response.status(), StatusCode::OK, "the endpoint is added");
        let html = response.text().await.unwrap();
        let secret = field_text(&html, "secret").expect("the secret is shown");
        assert!(secret.starts_with("whsec_"), "{secret}");
        assert!(
            !boss.get_html("/agent/webhooks").await.contains(&secret),
            "the secret is shown once"
        );
        secret
    }

    pub fn deliveries(&self) -> Vec<DeliveryRow> {
        webhook_deliveries::table
            .order(webhook_deliveries::id)
            .select((
                webhook_deliveries::id,
                webhook_deliveries::message_id,
                webhook_deliveries::event,
                webhook_deliveries::status,
                webhook_deliveries::attempts,
                webhook_deliveries::last_status,
                webhook_deliveries::last_error,
                webhook_deliveries::lease_until,
            ))
            .load(&mut *self.conn())
            .expect("delivery rows")
    }

    /// Waits until the deliveries satisfy `check`.
    pub async fn deliveries_until(
        &self,
        what: &str,
        check: impl Fn(&[DeliveryRow]) -> bool,
    ) -> Vec<DeliveryRow> {
        crate::smtp::eventually(what, || {
            let rows = self.deliveries();
            check(&rows).then_some(rows)
        })
        .await
    }

    /// Waits until the only delivery's `attempts`-th attempt is recorded: moving the clock
    /// before that would move its next attempt too.
    pub async fn attempt_recorded(&self, attempts: i32) {
        self.deliveries_until(&format!("attempt {attempts} recorded"), |rows| {
            rows.iter()
                .any(|r| r.attempts == attempts && r.lease_until.is_none())
        })
        .await;
    }

    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text")
    }
}

/// Every event type, as an endpoint subscribes to it.
pub const ALL_EVENTS: [&str; 8] = [
    "case.filed",
    "case.evidence_requested",
    "case.replied",
    "case.decided",
    "case.closed",
    "case.withdrawn",
    "case.voided",
    "case.dates_moved",
];
