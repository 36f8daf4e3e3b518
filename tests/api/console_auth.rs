use appealdesk::config::Clock;
use appealdesk::domain::agent::Role;
use appealdesk::web::agent::{Access, ROUTES};
use chrono::{Duration, Utc};
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_console_needs_a_sign_in_and_the_form_leads_to_the_queue() {
    let app = spawn_app().await;
    app.create_agent("wang@example.com", Role::Agent);
    let console = app.console();

    let response = console.get("/agent/cases").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/agent/login");

    // The address is matched whatever its case.
    let response = console.sign_in_with("Wang@Example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/agent/cases");
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        console
            .get_html("/agent/cases")
            .await
            .contains("data-field=\"queue\"")
    );
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_agent("li@example.com", Role::Agent);
    let console = app.console();

    let wrong = console
        .sign_in_with("li@example.com", "not the password")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = field_text(&wrong.text().await.unwrap(), "login-error");
    let unknown = console.sign_in_with("nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        field_text(&unknown.text().await.unwrap(), "login-error"),
        wrong
    );
}

#[tokio::test]
async fn signing_in_again_issues_a_new_session_and_signing_out_ends_it() {
    let app = spawn_app().await;
    app.create_agent("sun@example.com", Role::Agent);
    let console = app.sign_in("sun@example.com").await;
    let first = app.count("agent_sessions");

    let again = console.sign_in_with("sun@example.com", PASSWORD).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("agent_sessions"),
        first,
        "the old session was replaced"
    );
    let console = console.after_sign_in().await;

    let out = console.post("/agent/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("agent_sessions"), 0);
    assert_eq!(
        console.get("/agent/cases").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_at_once() {
    let app = spawn_app().await;
    app.create_agent("qian@example.com", Role::Agent);
    let console = app.sign_in("qian@example.com").await;

    let mut conn = app.conn();
    assert!(
        appealdesk::db::agents::disable(&mut conn, "qian@example.com", Utc::now().naive_utc())
            .unwrap()
    );
    drop(conn);

    let response = console.get("/agent/cases").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/agent/login");
    let r = console.sign_in_with("qian@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_end_after_30_idle_minutes_and_12_hours_in_all() {
    let app = spawn_app_with(Clock::manual(cst("2026-11-23 09:00:00"))).await;
    app.create_agent("zhou@example.com", Role::Agent);
    let console = app.sign_in("zhou@example.com").await;
    // Busy every 29 minutes: still signed in after 11h 36m…
    let mut minutes = 0;
    while minutes + 29 <= 12 * 60 {
        minutes += 29;
        app.clock.advance(Duration::minutes(29));
        assert_eq!(
            console.get("/agent/cases").await.status(),
            StatusCode::OK,
            "at +{minutes} min"
        );
    }
    // …but not past 12 hours, however busy.
    app.clock.advance(Duration::minutes(12 * 60 + 5 - minutes));
    assert_eq!(
        console.get("/agent/cases").await.status(),
        StatusCode::SEE_OTHER
    );

    let other = app.sign_in("zhou@example.com").await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(other.get("/agent/cases").await.status(), StatusCode::OK);
    // The visit above counts as activity: 31 minutes from it, not from the sign-in.
    app.clock.advance(Duration::minutes(31));
    assert_eq!(
        other.get("/agent/cases").await.status(),
        StatusCode::SEE_OTHER,
        "31 idle minutes end a session"
    );
}

fn no_store(r: &reqwest::Response) -> Option<&str> {
    r.headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn every_console_route_keeps_its_access_rule() {
    let app = spawn_app().await;
    app.create_agent("agent@example.com", Role::Agent);
    app.create_agent("boss@example.com", Role::Supervisor);
    let screenshot = ("bill.png", fixture("screenshot-1170x2532.png"));
    let (case, _, links) = app
        .filed_case_with(&AppealFields::valid(Utc::now()), &[screenshot])
        .await;
    let file_key = links[0].rsplit('/').next().expect("file key").to_owned();
    let anonymous = app.console();
    let agent = app.sign_in("agent@example.com").await;
    let boss = app.sign_in("boss@example.com").await;

    for route in ROUTES {
        let path = route
            .path
            .replace("{case_number}", &case)
            .replace("{file_key}", &file_key)
            .replace("{id}", "1");
        let send = |who: &Console, csrf: Option<&str>| {
            let mut request = match route.method {
                "get" => who.client.get(who.url(&path)),
                _ => who.client.post(who.url(&path)),
            };
            if route.method == "post" {
                let mut form = vec![("text", "x".to_owned()), ("agent_id", "1".to_owned())];
                if let Some(token) = csrf {
                    form.push(("csrf_token", token.to_owned()));
                }
                request = request.form(&form);
            }
            async move { request.send().await.unwrap() }
        };
        let name = format!("{} {}", route.method, route.path);

        let r = send(&anonymous, None).await;
        if route.access == Access::Public {
            assert_ne!(r.status(), StatusCode::SEE_OTHER, "{name} is public");
            assert_eq!(no_store(&r), Some("no-store"), "{name} is never cached");
            continue;
        }
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{name} without a session"
        );
        assert_eq!(location(&r), "/agent/login", "{name}");

        assert_eq!(no_store(&r), Some("no-store"), "{name} is never cached");
        if route.access == Access::Supervisor {
            let r = send(&agent, Some(&agent.csrf)).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{name} refuses an agent");
            assert_eq!(no_store(&r), Some("no-store"), "{name} is never cached");
            let page = r.text().await.unwrap();
            assert!(
                page.contains("只有主管"),
                "{name} says it is for supervisors"
            );
        }
        if route.method == "post" {
            let r = send(&boss, None).await;
            assert_eq!(
                r.status(),
                StatusCode::FORBIDDEN,
                "{name} without a CSRF token"
            );
            assert_eq!(no_store(&r), Some("no-store"), "{name} is never cached");
            let r = send(&boss, Some(&agent.csrf)).await;
            assert_eq!(
                r.status(),
                StatusCode::FORBIDDEN,
                "{name} with another session's token"
            );
            // With its own token the supervisor gets through: a redirect, or a refusal
            // the case or the form explains, never 403 or the sign-in page.
            // (Signing out is proven elsewhere; here it would end the walk.)
            if route.path != "/agent/logout" {
                let r = send(&boss, Some(&boss.csrf)).await;
                assert_eq!(no_store(&r), Some("no-store"), "{name} is never cached");
                let through = r.status() != StatusCode::FORBIDDEN
                    && r.status().as_u16() < 500
                    && !(r.status() == StatusCode::SEE_OTHER && location(&r) == "/agent/login");
                assert!(through, "{name} lets a supervisor through: {}", r.status());
            }
        } else {
            let r = send(&boss, None).await;
            assert_eq!(no_store(&r), Some("no-store"), "{name} is never cached");
            let opens = r.status() == StatusCode::OK
                || (r.status() == StatusCode::SEE_OTHER && location(&r) != "/agent/login");
            assert!(opens, "{name} opens for a supervisor: {}", r.status());
        }
    }
    // A state change is only ever a POST.
    assert!(
        ROUTES
            .iter()
            .all(|r| r.method == "get" || r.method == "post")
    );
    // Refused requests changed nothing; the supervisor's own ones claimed, assigned,
    // asked for evidence and finally voided the case.
    assert_eq!(status_of(&boss, &case).await, "voided");
}
