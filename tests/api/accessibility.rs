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
