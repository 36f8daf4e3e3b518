//! Real headless Chromium, driven through chromedriver: what a person on a phone and an
//! agent at a desk actually see and do. No JavaScript is needed by any page.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use appealdesk::domain::agent::Role;
use chrono::Utc;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::helpers::*;

/// One browser: chromedriver on a free port and a fresh profile, ended on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: std::path::PathBuf,
}

impl Browser {
    pub async fn start(lang: &str, width: u32, height: u32) -> Browser {
        let (driver, port) = start_driver();
        let profile = std::env::temp_dir().join(format!("appealdesk-chromium-{port}"));
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
        panic!("chromedriver did not answer: {last:?}");
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

    pub async fn close(self) {
        let Browser {
            client,
            mut driver,
            profile,
        } = self;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
        let _ = std::fs::remove_dir_all(profile);
    }
}

/// Chromedriver on a port of its own choosing (`--port=0`), read back from the line it
/// prints once listening: no port is picked, released and hoped for.
fn start_driver() -> (Child, u16) {
    const READY: &str = "ChromeDriver was started successfully on port ";
    let mut driver = Command::new(std::env::var("CHROMEDRIVER").unwrap_or("chromedriver".into()))
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (.ci/setup installs it)");
    let mut lines = BufReader::new(driver.stdout.take().expect("piped stdout")).lines();
    let port = lines.by_ref().map_while(Result::ok).find_map(|line| {
        line.strip_prefix(READY)
            .and_then(|rest| rest.trim_end_matches('.').parse().ok())
    });
    let Some(port) = port else {
        let _ = driver.kill();
        let _ = driver.wait();
        panic!("chromedriver did not say which port it listens on");
    };
    // Whatever it prints later must not fill the pipe and block it.
    std::thread::spawn(move || lines.for_each(drop));
    (driver, port)
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
