//! A second factor for agents (issue 21): codes computed by an implementation we did not
//! write (Python's `pyotp`), on a clock the test moves, through the real sign-in forms.

use appealdesk::config::Clock;
use appealdesk::domain::agent::Role;
use appealdesk::domain::second_factor::SecondFactorRule;
use chrono::{Duration, Utc};
use reqwest::StatusCode;

use crate::cli::agent_cli;
use crate::helpers::{
    Console, PASSWORD, TestApp, attr, field_text, location, spawn_app_configured,
};

/// The code an authenticator app shows for `key` at `unix` seconds, as pyotp computes it.
fn pyotp_code(key: &str, unix: i64) -> String {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))",
            key,
            &unix.to_string(),
        ])
        .output()
        .expect("python3 runs (pyotp: pip install pyotp)");
    assert!(
        out.status.success(),
        "pyotp: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn app(rule: SecondFactorRule) -> TestApp {
    // On a step boundary, so that "the next step" is exactly 30 s on.
    let start = Utc::now().timestamp() / 30 * 30 + 1;
    let clock = Clock::manual(chrono::DateTime::from_timestamp(start, 0).unwrap());
    spawn_app_configured(clock, |s| s.require_mfa = rule).await
}

/// The key the security page shows once an enrollment has started (spaces taken out).
async fn start_enrollment(console: &Console) -> String {
    let r = console.post("/agent/security/start", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = console.get_html("/agent/security").await;
    assert!(page.contains("<svg"), "a QR code drawn on the page");
    assert!(!page.contains("<script"), "no script draws it");
    let key = field_text(&page, "totp-key").expect("the key as text");
    key.split_whitespace().collect()
}

/// The recovery codes a page shows.
fn recovery_codes(page: &str) -> Vec<String> {
    page.split("data-field=\"recovery-code\">")
        .skip(1)
        .map(|rest| rest[..rest.find('<').unwrap_or(0)].to_owned())
        .collect()
}

/// Enrolls with a pyotp code; answers the key and the recovery codes shown once.
async fn enroll(app: &TestApp, console: &Console) -> (String, Vec<String>) {
    let key = start_enrollment(console).await;
    let code = pyotp_code(&key, app.clock.now().timestamp());
    let r = console
        .post("/agent/security/turn-on", &[("code", &code)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let codes = recovery_codes(&r.text().await.unwrap());
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    let again = console.get_html("/agent/security").await;
    assert!(again.contains("data-state=\"on\""), "{again}");
    assert!(!again.contains(&codes[0]), "never shown again");
    (key, codes)
}

/// Password, then the code step; answers the code step's response.
async fn sign_in_with_code(
    app: &TestApp,
    console: &Console,
    email: &str,
    code: &str,
) -> reqwest::Response {
    let r = console.sign_in_with(email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        "/agent/login/code",
        "the password alone opens nothing"
    );
    // Between the two steps there is no session.
    let r = console.get("/agent/cases").await;
    assert_eq!(location(&r), "/agent/login");
    let page = console.get_html("/agent/login/code").await;
    let token = attr(&page, "name=\"csrf_token\" value=\"").unwrap();
    let _ = app;
    console
        .client
        .post(console.url("/agent/login/code"))
        .form(&[("code", code), ("csrf_token", &token)])
        .send()
        .await
        .unwrap()
}

async fn sign_out(console: &Console) {
    let html = console.get_html("/agent/security").await;
    let csrf = attr(&html, "name=\"csrf_token\" value=\"").unwrap();
    let r = console
        .client
        .post(console.url("/agent/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_agent_enrolls_with_an_independent_totp_and_then_signs_in_with_password_and_code() {
    let app = app(SecondFactorRule::Off).await;
    app.create_agent("li@example.com", Role::Agent);
    let console = app.sign_in("li@example.com").await;
    let key = start_enrollment(&console).await;

    // A wrong code does not turn it on, and says so next to the field.
    let r = console
        .post("/agent/security/turn-on", &[("code", "000000")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"turn-on-error\""), "{page}");
    let state = console.get_html("/agent/security").await;
    assert!(state.contains("data-state=\"enrolling\""));

    let (_, recovery) = {
        let code = pyotp_code(&key, app.clock.now().timestamp());
        let r = console
            .post("/agent/security/turn-on", &[("code", &code)])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        (code, recovery_codes(&r.text().await.unwrap()))
    };
    assert_eq!(recovery.len(), 10);
    sign_out(&console).await;

    // The code that confirmed the enrollment is used up: the same step is refused.
    let anonymous = app.console();
    let same = pyotp_code(&key, app.clock.now().timestamp());
    let r = sign_in_with_code(&app, &anonymous, "li@example.com", &same).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a reused code");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-field=\"code-error\"")
    );

    // A wrong code is refused; the next step's right code opens the console.
    app.clock.advance(Duration::seconds(30));
    let r = sign_in_with_code(&app, &anonymous, "li@example.com", "123456").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a wrong code");
    let now = pyotp_code(&key, app.clock.now().timestamp());
    let r = sign_in_with_code(&app, &anonymous, "li@example.com", &now).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/agent/cases");
    assert_eq!(anonymous.get("/agent/cases").await.status(), StatusCode::OK);
    sign_out(&anonymous).await;

    // ...and, in another browser, the same code again is not.
    let other = app.console();
    let r = sign_in_with_code(&app, &other, "li@example.com", &now).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a code signs in once");

    // A recovery code works once, typed in capitals without its dash.
    let typed = recovery[3].replace('-', "").to_uppercase();
    let r = sign_in_with_code(&app, &other, "li@example.com", &typed).await;
    assert_eq!(location(&r), "/agent/cases", "a recovery code");
    let page = other.get_html("/agent/security").await;
    assert!(
        page.contains("data-field=\"recovery-codes-left\">"),
        "{page}"
    );
    assert_eq!(
        field_text(&page, "recovery-codes-left")
            .unwrap()
            .split_whitespace()
            .last(),
        Some("9")
    );
    sign_out(&other).await;
    let r = sign_in_with_code(&app, &other, "li@example.com", &recovery[3]).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a recovery code works once"
    );

    // The code step waits five minutes at most.
    let r = other.sign_in_with("li@example.com", PASSWORD).await;
    assert_eq!(location(&r), "/agent/login/code");
    let page = other.get_html("/agent/login/code").await;
    let token = attr(&page, "name=\"csrf_token\" value=\"").unwrap();
    app.clock.advance(Duration::minutes(6));
    let late = pyotp_code(&key, app.clock.now().timestamp());
    let r = other
        .client
        .post(other.url("/agent/login/code"))
        .form(&[("code", late.as_str()), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text().await.unwrap().contains("name=\"password\""),
        "back to the password"
    );
}

#[tokio::test]
async fn a_supervisor_without_a_second_factor_reaches_nothing_but_the_security_page() {
    let app = app(SecondFactorRule::Supervisors).await;
    app.create_agent("boss@example.com", Role::Supervisor);
    app.create_agent("li@example.com", Role::Agent);

    // An agent is not held (the default asks it of supervisors).
    let agent = app.sign_in("li@example.com").await;
    assert_eq!(agent.get("/agent/cases").await.status(), StatusCode::OK);

    let boss = app.console();
    let r = boss.sign_in_with("boss@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for path in [
        "/agent/cases",
        "/agent/dashboard",
        "/agent/api-keys",
        "/agent/webhooks",
    ] {
        let r = boss.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/agent/security", "{path}");
    }
    let page = boss.get_html("/agent/security").await;
    assert!(page.contains("data-field=\"second-factor-required\""));
    let csrf = attr(&page, "name=\"csrf_token\" value=\"").unwrap();
    let boss = Console { csrf, ..boss };
    let r = boss
        .post(
            "/agent/api-keys",
            &[("name", "ledger"), ("scope_read", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no action either");
    assert!(r.text().await.unwrap().contains("两步验证"));

    enroll(&app, &boss).await;
    assert_eq!(
        boss.get("/agent/dashboard").await.status(),
        StatusCode::OK,
        "enrolled: open"
    );
}

#[tokio::test]
async fn wrong_codes_are_throttled_per_address_and_the_owner_still_gets_in_from_elsewhere() {
    let app = app(SecondFactorRule::Off).await;
    app.create_agent("li@example.com", Role::Agent);
    let owner = app.sign_in("li@example.com").await;
    let (key, _) = enroll(&app, &owner).await;
    sign_out(&owner).await;

    // Someone with the password guesses codes from one address.
    let guesser = app.console_from("127.0.0.2");
    let mut statuses = Vec::new();
    for guess in 0..7 {
        let r = sign_in_with_code(&app, &guesser, "li@example.com", &format!("{guess:06}")).await;
        statuses.push(r.status());
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );

    // The owner, elsewhere, is not locked out.
    app.clock.advance(Duration::seconds(30));
    let code = pyotp_code(&key, app.clock.now().timestamp());
    let r = sign_in_with_code(&app, &owner, "li@example.com", &code).await;
    assert_eq!(location(&r), "/agent/cases");
}

#[tokio::test]
async fn an_operator_resets_a_lost_second_factor_which_ends_sessions_audits_and_mails_the_owner() {
    let app = app(SecondFactorRule::Off).await;
    app.create_agent("li@example.com", Role::Agent);
    let console = app.sign_in("li@example.com").await;
    enroll(&app, &console).await;

    let out = agent_cli(
        &app.database,
        &["reset-mfa", "--email", "LI@example.com"],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Its sessions ended.
    assert_eq!(location(&console.get("/agent/cases").await), "/agent/login");
    // The password alone opens it again; the audit says who did what.
    let again = app.sign_in("li@example.com").await;
    let page = again.get_html("/agent/security").await;
    assert!(page.contains("data-state=\"off\""));
    let events = field_text(&page, "security-events").unwrap_or_default();
    assert!(page.contains("command line"), "{events}");
    assert!(page.contains("两步验证被管理员重置") || page.contains("reset by an operator"));
    // The owner is told.
    assert_eq!(app.count("outbox"), 1);
    let mut conn = app.conn();
    use diesel::prelude::*;
    let (recipient, message): (String, String) = appealdesk::db::schema::outbox::table
        .select((
            appealdesk::db::schema::outbox::recipient,
            appealdesk::db::schema::outbox::message,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        (recipient.as_str(), message.as_str()),
        ("li@example.com", "second_factor_reset")
    );

    let out = agent_cli(
        &app.database,
        &["reset-mfa", "--email", "li@example.com"],
        "",
    );
    assert!(!out.status.success(), "nothing left to reset");
}
