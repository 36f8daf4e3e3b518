//! Real headless Chromium, driven through chromedriver: what a person on a phone and an
//! agent at a desk actually see and do. No JavaScript is needed by any page.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use appealdesk::domain::agent::Role;
use chrono::Utc;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::helpers::*;
use crate::process_group;

/// One browser: chromedriver on a port we chose and a fresh profile; chromedriver and every
/// Chromium process it started are ended with their process group, on `close` or on drop.
pub struct Browser {
    pub client: Client,
    driver: Driver,
    profile: std::path::PathBuf,
}

impl Browser {
    pub async fn start(lang: &str, width: u32, height: u32) -> Browser {
        let driver = Driver::start();
        let port = driver.port;
        let profile =
            std::env::temp_dir().join(format!("appealdesk-chromium-{}-{port}", std::process::id()));
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into()),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                    format!("--lang={lang}"),
                ],
                "prefs": { "intl.accept_languages": lang }
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..50 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        profile,
                    };
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "chromedriver did not open a session: {last:?}\nchromedriver said:\n{}",
            driver.said()
        );
    }

    /// The process group of chromedriver and its Chromium.
    pub fn process_group(&self) -> u32 {
        self.driver.pgid()
    }
    pub async fn fill(&self, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("[name='{name}']")))
            .await
            .unwrap_or_else(|e| panic!("field {name}: {e}"));
        field.clear().await.ok();
        field.send_keys(value).await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .attr(name)
            .await
            .unwrap()
    }

    /// Fills the filing form with these values, choosing the packet kind from its list.
    pub async fn fill_appeal(&self, appeal: &AppealFields) {
        for (name, value) in &appeal.0 {
            if name == "packet_kind" {
                self.client
                    .find(Locator::Css("select[name='packet_kind']"))
                    .await
                    .unwrap()
                    .select_by_value(value)
                    .await
                    .unwrap();
            } else if name == "claim_status" {
                self.client
                    .find(Locator::Css(&format!(
                        "input[name='claim_status'][value='{value}']"
                    )))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
            } else {
                self.fill(name, value).await;
            }
        }
    }

    /// Clicks, then waits for the next page to show `then` (a CSS selector).
    pub async fn click(&self, css: &str, then: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(then))
            .await
            .unwrap_or_else(|e| panic!("after clicking {css}, no {then}: {e}"));
    }

    /// Ends the session (chromedriver quits Chromium), then the whole process group.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        drop(self);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.driver.stop();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// How long chromedriver may take to listen on its port (it usually takes ~50 ms).
const DRIVER_PATIENCE: Duration = Duration::from_secs(15);

/// Chromedriver in a process group of its own, on a port we picked, its output kept in a
/// file: when it does not start, the test says what it said.
pub struct Driver {
    child: Option<Child>,
    pub port: u16,
    log: PathBuf,
}

impl Driver {
    /// Starts chromedriver and waits until it answers on its port; a failed start is tried
    /// once more (another process may have taken the port between our pick and its bind).
    pub fn start() -> Driver {
        match Self::try_start() {
            Ok(driver) => driver,
            Err(first) => match Self::try_start() {
                Ok(driver) => {
                    eprintln!("chromedriver started at the second try; the first: {first}");
                    driver
                }
                Err(second) => {
                    panic!("chromedriver did not start, twice.\nFirst: {first}\nSecond: {second}")
                }
            },
        }
    }

    fn try_start() -> Result<Driver, String> {
        static STARTS: AtomicU32 = AtomicU32::new(0);
        let port = free_port();
        let log = std::env::temp_dir().join(format!(
            "appealdesk-chromedriver-{}-{}.log",
            std::process::id(),
            STARTS.fetch_add(1, Ordering::Relaxed)
        ));
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let program = std::env::var("CHROMEDRIVER").unwrap_or("chromedriver".into());
        let mut command = Command::new(&program);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        process_group::own_group(&mut command);
        let child = command
            .spawn()
            .map_err(|e| format!("cannot run {program} (.ci/setup installs it): {e}"))?;
        let mut driver = Driver {
            child: Some(child),
            port,
            log,
        };
        let started = Instant::now();
        loop {
            if let Some(status) = driver
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let said = driver.said();
                driver.stop();
                return Err(format!(
                    "chromedriver on port {port} exited ({status}); it said:\n{said}"
                ));
            }
            if driver.answers() {
                return Ok(driver);
            }
            if started.elapsed() > DRIVER_PATIENCE {
                let said = driver.said();
                driver.stop();
                return Err(format!(
                    "chromedriver did not answer on port {port} within {DRIVER_PATIENCE:?}; it said:\n{said}"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Chromedriver's own `/status` answers on the port: not just anything listening there.
    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], self.port)),
            Duration::from_millis(500),
        ) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let asked = stream.write_all(
            format!(
                "GET /status HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                self.port
            )
            .as_bytes(),
        );
        if asked.is_err() {
            return false;
        }
        // It keeps the connection open: read until the answer says it is ready.
        let mut answer = Vec::new();
        let mut chunk = [0u8; 1024];
        while let Ok(n @ 1..) = stream.read(&mut chunk) {
            answer.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&answer);
            if text.contains("\"ready\":true") {
                return text.starts_with("HTTP/1.1 200");
            }
        }
        false
    }

    pub fn pgid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// What chromedriver wrote to stdout and stderr so far.
    pub fn said(&self) -> String {
        std::fs::read_to_string(&self.log)
            .unwrap_or_else(|e| format!("({}: {e})", self.log.display()))
    }

    /// Ends chromedriver and its Chromium processes (the whole group) and waits for them.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let stubborn =
                process_group::stop_group(&mut child, libc::SIGTERM, Duration::from_secs(5));
            if !stubborn.is_empty() {
                eprintln!("chromedriver's group outlived SIGTERM and was killed: {stubborn:?}");
            }
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a loopback port")
        .port()
}

/// The start every browser test depends on, many times in a row: each start must answer
/// and each stop must leave no process of its group. `CHROMEDRIVER_STARTS=200` for the
/// long run (`cargo test --test api chromedriver_starts -- --nocapture`).
#[test]
fn chromedriver_starts_answers_and_leaves_nothing_behind_every_time() {
    let starts: usize = std::env::var("CHROMEDRIVER_STARTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let began = Instant::now();
    let mut slowest = Duration::ZERO;
    for n in 0..starts {
        let started = Instant::now();
        let mut driver = Driver::start();
        slowest = slowest.max(started.elapsed());
        let pgid = driver.pgid();
        let port = driver.port;
        driver.stop();
        assert!(
            process_group::members(pgid).is_empty(),
            "start {n}: group {pgid} survives"
        );
        assert!(
            process_group::processes_naming(&format!("--port={port}")).is_empty(),
            "start {n}: a chromedriver on port {port} survives"
        );
    }
    eprintln!(
        "chromedriver: {starts} starts in {:.1?}, slowest {slowest:.1?}",
        began.elapsed()
    );
}

/// A closed browser leaves no chromedriver and no Chromium of its own behind.
#[tokio::test]
async fn a_closed_browser_leaves_no_chromedriver_or_chromium_behind() {
    let app = spawn_app().await;
    let browser = Browser::start("en", 800, 600).await;
    browser.client.goto(&app.url("/")).await.unwrap();
    let pgid = browser.process_group();
    let profile = browser.profile.to_string_lossy().into_owned();
    let running = process_group::members(pgid);
    assert!(
        running.len() > 1,
        "chromedriver and Chromium run in the group: {running:?}"
    );
    assert!(
        !process_group::processes_naming(&profile).is_empty(),
        "Chromium runs with the profile {profile}"
    );
    browser.close().await;
    assert_eq!(process_group::members(pgid), Vec::<u32>::new());
    assert_eq!(process_group::processes_naming(&profile), Vec::new());
}

#[tokio::test]
async fn a_person_on_a_phone_files_an_appeal_in_chinese_and_follows_it() {
    let app = spawn_app().await;
    let browser = Browser::start("zh-CN", 390, 844).await;
    browser.client.goto(&app.url("/")).await.unwrap();
    assert!(browser.text("footer").await.contains("支付密码"));
    browser
        .click("[data-field='start-appeal']", "form.appeal")
        .await;

    let appeal = AppealFields::valid(Utc::now());
    browser.fill_appeal(&appeal).await;
    // First with exactly ¥500.00: refused next to the field, everything else kept.
    browser.fill("amount", "500.00").await;
    browser
        .click("form.appeal button[type='submit']", "#amount-error")
        .await;
    assert_eq!(
        browser.attr("#amount", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert!(browser.text("#amount-error").await.contains("500"));
    assert_eq!(
        browser.attr("#transaction_id", "value").await.as_deref(),
        Some(appeal.get("transaction_id"))
    );

    browser.fill("amount", "￥1,888.00").await;
    browser
        .click(
            "form.appeal button[type='submit']",
            "[data-field='case-number']",
        )
        .await;
    let number = browser.text("[data-field='case-number']").await;
    assert!(number.starts_with("AD"), "{number}");
    assert!(
        browser
            .attr("[data-field='review-deadline']", "datetime")
            .await
            .is_some()
    );

    // Reloading the receipt files nothing more.
    browser.client.refresh().await.unwrap();
    assert_eq!(browser.text("[data-field='case-number']").await, number);
    assert_eq!(app.count("cases"), 1);

    browser
        .click("[data-field='tracking-link']", "[data-field='status']")
        .await;
    assert_eq!(browser.text("[data-field='status']").await, "已提交");
    assert!(browser.text("main").await.contains("1,888.00"));
    browser.close().await;
}

#[tokio::test]
async fn an_agent_signs_in_claims_and_decides_in_the_browser() {
    let app = spawn_app().await;
    app.create_agent("agent@example.com", Role::Agent);
    let (case, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;

    let browser = Browser::start("en-US", 1280, 900).await;
    browser.client.goto(&app.url("/agent/cases")).await.unwrap();
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/agent/login")
    );
    browser.fill("email", "agent@example.com").await;
    browser.fill("password", PASSWORD).await;
    browser
        .click("form button[type='submit']", "[data-field='queue']")
        .await;

    browser
        .click(&format!("[data-case='{case}'] a"), "[data-action='claim']")
        .await;
    assert_eq!(browser.text("[data-field='case-number']").await, case);
    browser
        .click("[data-action='claim'] button", "[data-action='decide']")
        .await;
    assert_eq!(
        browser
            .attr("[data-field='status']", "data-status")
            .await
            .as_deref(),
        Some("in_review")
    );

    browser
        .client
        .find(Locator::Css("#reason_code"))
        .await
        .unwrap()
        .select_by_value("recipient_agreed")
        .await
        .unwrap();
    browser
        .click(
            "[data-action='decide'] button",
            "[data-action='carried-out']",
        )
        .await;
    assert_eq!(
        browser
            .attr("[data-field='status']", "data-status")
            .await
            .as_deref(),
        Some("approved")
    );

    browser
        .click("nav.console button", "input[name='password']")
        .await;
    browser.client.goto(&app.url("/agent/cases")).await.unwrap();
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/agent/login"),
        "signed out"
    );
    browser.close().await;
}

#[tokio::test]
async fn the_form_says_a_red_packet_sent_within_a_day_returns_by_itself_and_still_files() {
    let app = spawn_app().await;
    let browser = Browser::start("en", 1280, 900).await;
    browser.client.goto(&app.url("/appeals/new")).await.unwrap();
    assert!(
        browser
            .text("[data-field='eligibility']")
            .await
            .contains("cannot be intercepted")
    );
    let note = "[data-field='unclaimed-return']";
    let shown = |browser: &Browser| {
        let client = browser.client.clone();
        async move {
            client
                .find(Locator::Css(note))
                .await
                .unwrap()
                .is_displayed()
                .await
                .unwrap()
        }
    };
    assert!(!shown(&browser).await, "nothing to say before a send time");

    let sent = Utc::now() - chrono::Duration::hours(2);
    let back = appealdesk::domain::cst::format_local(sent + chrono::Duration::hours(24));
    let appeal = AppealFields::valid(Utc::now())
        .set("packet_kind", "lucky_red_packet")
        .set("sent_at", &appealdesk::domain::cst::format_local(sent));
    browser.fill_appeal(&appeal).await;
    assert!(shown(&browser).await, "a lucky red packet sent 2 hours ago");
    let text = browser.text(note).await;
    assert!(text.contains("returns to you by itself at"), "{text}");
    assert!(text.contains(&back), "{text} names {back}");
    assert!(text.contains("unclaimed part"), "{text}");

    // A transfer is not a red packet; a packet sent 30 hours ago is past the day.
    browser
        .client
        .find(Locator::Css("select[name='packet_kind']"))
        .await
        .unwrap()
        .select_by_value("transfer")
        .await
        .unwrap();
    assert!(!shown(&browser).await, "a transfer");
    browser
        .client
        .find(Locator::Css("select[name='packet_kind']"))
        .await
        .unwrap()
        .select_by_value("red_packet")
        .await
        .unwrap();
    assert!(shown(&browser).await, "a red packet");
    let old = appealdesk::domain::cst::format_local(Utc::now() - chrono::Duration::hours(30));
    browser.fill("sent_at", &old).await;
    assert!(!shown(&browser).await, "sent 30 hours ago");

    // Guidance, not a refusal: the appeal files, and the receipt says it again.
    browser
        .fill("sent_at", &appealdesk::domain::cst::format_local(sent))
        .await;
    assert!(shown(&browser).await);
    browser
        .click(
            "form.appeal button[type='submit']",
            "[data-field='case-number']",
        )
        .await;
    let receipt = browser.text("[data-field='unclaimed-return']").await;
    assert!(receipt.contains(&back), "{receipt}");
    assert_eq!(app.count("cases"), 1);
    browser.close().await;
}
