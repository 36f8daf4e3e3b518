//! Real Chromium: a person on a phone picks a screenshot through the real file input, and
//! axe-core finds no WCAG 2.1 A/AA violation on any page, at phone and desk widths, in
//! Chinese and in English.

use appealdesk::domain::agent::Role;
use chrono::Utc;
use fantoccini::Locator;

use crate::browser::Browser;
use crate::helpers::*;

fn fixture_path(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test]
async fn a_person_on_a_phone_picks_a_screenshot_and_files_it() {
    let app = spawn_app().await;
    let browser = Browser::start("zh-CN", 375, 812).await;
    browser.client.goto(&app.url("/appeals/new")).await.unwrap();
    browser.fill_appeal(&AppealFields::valid(Utc::now())).await;
    let input = browser
        .client
        .find(Locator::Css("input[type='file'][name='evidence']"))
        .await
        .expect("the file field");
    input
        .send_keys(&fixture_path("screenshot-1170x2532.png"))
        .await
        .expect("pick a file");
    browser
        .click(
            "form.appeal button[type='submit']",
            "[data-field='evidence-file']",
        )
        .await;
    assert!(
        browser
            .text("[data-field='evidence-file']")
            .await
            .contains("screenshot-1170x2532.png")
    );
    // The thumbnail really loads in the browser.
    let loaded = browser
        .client
        .execute(
            "const img = document.querySelector(\"[data-field='evidence-file'] img\"); \
             return img && img.complete && img.naturalWidth > 0 ? img.naturalWidth : 0;",
            vec![],
        )
        .await
        .unwrap();
    assert!(loaded.as_u64().unwrap_or(0) > 0, "thumbnail width {loaded}");
    assert_eq!(app.count("evidence_files"), 1);
    browser.close().await;
}

const AXE: &str = "tests/a11y/node_modules/axe-core/axe.min.js";

/// axe-core's source, read once per run.
fn axe_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(AXE))
            .unwrap_or_else(|e| panic!("{AXE} (installed by .ci/setup): {e}"))
    })
}

/// Runs axe-core on the page open in the browser; returns each violation with where.
async fn violations(browser: &Browser) -> Vec<String> {
    browser
        .client
        .execute(axe_source(), vec![])
        .await
        .expect("load axe-core");
    let found = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
                 resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => v.id + ': ' +
                   v.nodes.map(n => n.target.join(' ')).join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    // Anything but a list of strings means axe did not answer: never "no violations".
    let list = found
        .as_array()
        .unwrap_or_else(|| panic!("axe-core answered {found}, not a list of violations"));
    list.iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("axe-core listed {v}, not a violation's text"))
                .to_owned()
        })
        .collect()
}

/// A refused form (errors next to fields, a kept file with its remove button) is a page of
/// its own.
async fn refused_form(app: &TestApp, browser: &Browser) {
    let appeal = AppealFields::valid(Utc::now()).set("amount", "500.00");
    browser.client.goto(&app.url("/appeals/new")).await.unwrap();
    browser.fill_appeal(&appeal).await;
    browser
        .client
        .find(Locator::Css("input[type='file'][name='evidence']"))
        .await
        .unwrap()
        .send_keys(&fixture_path("e-receipt.pdf"))
        .await
        .unwrap();
    browser
        .click(
            "form.appeal button[type='submit']",
            "[data-field='pending-file']",
        )
        .await;
}

/// What the pages show: a filed case with a file, and a case waiting for the appellant (its
/// tracking page shows the reply form with files).
struct Story {
    app: TestApp,
    case: String,
    token: String,
    asked_token: String,
}

async fn story() -> Story {
    let app = spawn_app().await;
    app.create_agent("boss@example.com", Role::Supervisor);
    // A webhook endpoint, so that its deliveries are listed on /agent/webhooks.
    {
        use appealdesk::db::schema::webhook_endpoints as e;
        use diesel::prelude::*;
        diesel::insert_into(e::table)
            .values((
                e::url.eq("https://hooks.example.com/appealdesk"),
                e::events.eq("case.filed case.decided"),
                e::enabled.eq(true),
                e::secret.eq("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                e::created_by.eq("boss@example.com"),
                e::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(&mut *app.conn())
            .expect("an endpoint");
    }
    let (case, token, _) = app
        .filed_case_with(
            &AppealFields::valid(Utc::now()),
            &[("bill.png", fixture("screenshot-1170x2532.png"))],
        )
        .await;
    let (asked, asked_token) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    let boss = app.sign_in("boss@example.com").await;
    boss.act(&asked, "claim", &[]).await;
    boss.act(
        &asked,
        "request-evidence",
        &[("text", "Please send the e-receipt.")],
    )
    .await;
    Story {
        app,
        case,
        token,
        asked_token,
    }
}

/// axe-core over the public pages (and a refused form) in one language, at phone and desk
/// widths; one browser per language so the languages run side by side.
async fn public_pages_pass_axe(lang: &str) {
    let Story {
        app,
        token,
        asked_token,
        ..
    } = story().await;
    let public = [
        "/".to_owned(),
        "/appeals/new".to_owned(),
        format!("/appeals/receipt/{token}"),
        format!("/track/{token}"),
        format!("/track/{token}/withdraw"),
        format!("/track/{asked_token}"),
        "/track/recover".to_owned(),
        "/agent/login".to_owned(),
        "/no-such-page".to_owned(),
    ];
    let browser = Browser::start(lang, 375, 812).await;
    browser
        .client
        .goto(&app.url(&format!("/lang/{lang}?next=/")))
        .await
        .unwrap();
    let mut found = Vec::new();
    let mut checked = 0;
    for (width, height) in [(375, 812), (1280, 900)] {
        browser.client.set_window_size(width, height).await.unwrap();
        for path in &public {
            browser.client.goto(&app.url(path)).await.unwrap();
            for v in violations(&browser).await {
                found.push(format!("{lang} {width}px {path}: {v}"));
            }
            checked += 1;
        }
        refused_form(&app, &browser).await;
        for v in violations(&browser).await {
            found.push(format!("{lang} {width}px refused form: {v}"));
        }
        checked += 1;
    }
    browser.close().await;
    report(checked, &found);
}

fn report(checked: usize, found: &[String]) {
    println!(
        "axe-core: {checked} page views checked, {} violations",
        found.len()
    );
    assert!(
        found.is_empty(),
        "WCAG 2.1 A/AA violations:\n{}",
        found.join("\n")
    );
}

#[tokio::test]
async fn public_pages_in_chinese_have_no_wcag_violation_on_a_phone_or_a_desk() {
    public_pages_pass_axe("zh-CN").await;
}

#[tokio::test]
async fn public_pages_in_english_have_no_wcag_violation_on_a_phone_or_a_desk() {
    public_pages_pass_axe("en").await;
}

#[tokio::test]
async fn every_console_page_has_no_wcag_violation_on_a_phone_or_a_desk_in_either_language() {
    let Story { app, case, .. } = story().await;
    let console = [
        "/agent/cases".to_owned(),
        format!("/agent/cases/{case}"),
        "/agent/dashboard".to_owned(),
        "/agent/calendar".to_owned(),
        "/agent/mail".to_owned(),
        "/agent/api-keys".to_owned(),
        "/agent/webhooks".to_owned(),
        // Shown enrolling (below): the QR code, the key and the code field.
        "/agent/security".to_owned(),
        "/agent/replies".to_owned(),
    ];
    // A key in the list, so that its row and revoke button are checked too.
    crate::api_helpers::cli_key(&app, "Back office", "cases:read");
    let browser = Browser::start("zh-CN", 375, 812).await;
    browser.client.goto(&app.url("/agent/login")).await.unwrap();
    browser.fill("email", "boss@example.com").await;
    browser.fill("password", PASSWORD).await;
    browser
        .click("form button[type='submit']", "[data-field='queue']")
        .await;
    browser
        .client
        .goto(&app.url("/agent/security"))
        .await
        .unwrap();
    browser
        .click(
            "form[data-action='start'] button",
            "[data-field='totp-key']",
        )
        .await;
    let mut found = Vec::new();
    let mut checked = 0;
    for lang in ["zh-CN", "en"] {
        browser
            .client
            .goto(&app.url(&format!("/lang/{lang}?next=/agent/cases")))
            .await
            .unwrap();
        for (width, height) in [(375, 812), (1280, 900)] {
            browser.client.set_window_size(width, height).await.unwrap();
            for path in &console {
                browser.client.goto(&app.url(path)).await.unwrap();
                for v in violations(&browser).await {
                    found.push(format!("{lang} {width}px {path}: {v}"));
                }
                checked += 1;
            }
        }
    }
    browser.close().await;
    report(checked, &found);
}

/// Every pair of the dashboard's chart labels whose boxes meet, as the browser lays them
/// out; and how many labels there are (none would prove nothing).
async fn overlapping_chart_labels(browser: &Browser) -> (u64, Vec<String>) {
    let found = browser
        .client
        .execute(
            "const boxes = [...document.querySelectorAll('svg.chart text')].map(t => {
                 const r = t.getBoundingClientRect();
                 return { text: t.textContent, l: r.left, t: r.top, r: r.right, b: r.bottom };
             });
             const hits = [];
             for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                 const a = boxes[i], b = boxes[j];
                 if (a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b) hits.push(a.text + ' / ' + b.text);
             }
             return [boxes.length, hits];",
            vec![],
        )
        .await
        .expect("measure the chart labels");
    let count = found[0].as_u64().expect("a count");
    let hits = found[1]
        .as_array()
        .expect("a list")
        .iter()
        .map(|h| h.as_str().unwrap_or_default().to_owned())
        .collect();
    (count, hits)
}

/// On a phone, each value of a queue card shows its label; on a desk the labels are the
/// table's headers. Returns the cells whose label is not as it should be.
async fn queue_cells_without_labels(browser: &Browser, phone: bool) -> Vec<String> {
    let found = browser
        .client
        .execute(
            "const phone = arguments[0];
             return [...document.querySelectorAll('table.queue tbody tr[data-case] td')]
               .filter(td => {
                 const label = td.querySelector('.cell-label');
                 const shown = label && getComputedStyle(label).display !== 'none'
                     && label.getBoundingClientRect().width > 0;
                 return phone ? !shown : !!shown;
               })
               .map(td => td.textContent.trim());",
            vec![serde_json::json!(phone)],
        )
        .await
        .expect("read the queue");
    found
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn dashboard_chart_labels_never_overlap_and_the_console_passes_axe_at_375_and_1280_px() {
    let Story { app, .. } = story().await;
    let browser = Browser::start("zh-CN", 375, 812).await;
    browser.client.goto(&app.url("/agent/login")).await.unwrap();
    browser.fill("email", "boss@example.com").await;
    browser.fill("password", PASSWORD).await;
    browser
        .click("form button[type='submit']", "[data-field='queue']")
        .await;
    let (mut found, mut checked) = (Vec::new(), 0);
    for lang in ["zh-CN", "en"] {
        browser
            .client
            .goto(&app.url(&format!("/lang/{lang}?next=/agent/dashboard")))
            .await
            .unwrap();
        for (width, height) in [(375, 812), (1280, 900)] {
            browser.client.set_window_size(width, height).await.unwrap();
            browser
                .client
                .goto(&app.url("/agent/dashboard"))
                .await
                .unwrap();
            let (labels, overlaps) = overlapping_chart_labels(&browser).await;
            assert!(labels >= 3, "{lang} {width}px: only {labels} chart labels");
            for o in overlaps {
                found.push(format!("{lang} {width}px: chart labels overlap: {o}"));
            }
            let html = browser.client.source().await.unwrap();
            assert!(
                !html.contains("Awaiting your reply"),
                "{lang} {width}px: the appellant's wording on a staff page"
            );
            for v in violations(&browser).await {
                found.push(format!("{lang} {width}px /agent/dashboard: {v}"));
            }
            browser.client.goto(&app.url("/agent/cases")).await.unwrap();
            for cell in queue_cells_without_labels(&browser, width < 600).await {
                found.push(format!("{lang} {width}px queue cell's label: {cell}"));
            }
            for v in violations(&browser).await {
                found.push(format!("{lang} {width}px /agent/cases: {v}"));
            }
            // The navigation is one line, never a narrow column.
            let lines = browser
                .client
                .execute(
                    "const tops = new Set([...document.querySelectorAll('nav.console > *')]
                        .map(e => Math.round(e.getBoundingClientRect().top)));
                     return tops.size;",
                    vec![],
                )
                .await
                .unwrap();
            if lines.as_u64() != Some(1) {
                found.push(format!(
                    "{lang} {width}px: the navigation takes {lines} lines"
                ));
            }
            checked += 2;
        }
    }
    browser.close().await;
    report(checked, &found);
}
