//! Triage before filing: the claim question, the guidance each answer gets, and that no
//! one spends an appeal on a payment no appeal can bring back.

use appealdesk::config::Clock;
use appealdesk::domain::agent::Role;
use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::*;

/// The guidance pieces a page shows (not the hidden ones the form's script may show).
fn shown(html: &str) -> Vec<String> {
    let mut reasons: Vec<String> = html
        .match_indices("data-field=\"guidance\"")
        .filter_map(|(at, _)| {
            let open = html[..at].rfind('<')?;
            let close = at + html[at..].find('>')?;
            attr(&html[open..close], "data-reason=\"")
        })
        .collect();
    reasons.sort();
    reasons.dedup();
    reasons
}

#[tokio::test]
async fn a_claimed_payment_is_not_filed_without_the_acknowledgement_and_takes_no_quota() {
    let app = spawn_app().await;
    let now = Utc::now();
    let me = AppealFields::valid(now).get("wechat_id").to_owned();
    let claimed = AppealFields::valid(now).set("claim_status", "claimed");

    let response = app.file(&claimed).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(shown(&html), ["claimed"], "what works instead is shown");
    assert!(html.contains("data-error-for=\"claim_status\""), "{html}");
    assert!(html.contains("name=\"acknowledge_claimed\""));
    assert_eq!(app.count("cases"), 0, "nothing stored");

    // Two more filings for the same person this year still go through: no quota taken.
    for _ in 0..2 {
        let mine = AppealFields::valid(now).set("wechat_id", &me);
        assert_eq!(app.file(&mine).await.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.count("cases"), 2);
}

#[tokio::test]
async fn a_claimed_payment_files_once_acknowledged_and_agents_see_the_answer() {
    let app = spawn_app().await;
    app.create_agent("agent@example.com", Role::Agent);
    let appeal = AppealFields::valid(Utc::now())
        .set("claim_status", "claimed")
        .set("acknowledge_claimed", "on");
    let (case, _) = app.filed_case(&appeal).await;
    let agent = app.sign_in("agent@example.com").await;
    let page = agent.get_html(&format!("/agent/cases/{case}")).await;
    let said = field_text(&page, "claim-status").expect("the appellant's answer");
    assert!(
        [
            "claimed (acknowledged that it cannot be intercepted)",
            "已被领取（已确认知晓客服无法拦截）"
        ]
        .contains(&said.as_str()),
        "{said}"
    );
    // The queue filters by the answer.
    let claimed = agent.get_html("/agent/cases?claim=claimed").await;
    assert!(claimed.contains(&case), "the claimed case is listed");
    let unclaimed = agent.get_html("/agent/cases?claim=unclaimed").await;
    assert!(!unclaimed.contains(&case), "and only under its answer");
    // The CSV says it in its own column.
    let csv = agent
        .get("/agent/cases.csv?claim=claimed")
        .await
        .text()
        .await
        .unwrap();
    let line = csv
        .lines()
        .find(|l| l.contains(&case))
        .expect("the case's line");
    assert!(
        line.contains(",已被领取（已确认知晓客服无法拦截）,")
            || line.contains(",claimed (acknowledged that it cannot be intercepted),"),
        "{line}"
    );
    // And the API gives it to the back office.
    let key = crate::api_helpers::cli_key(&app, "triage", "cases:read");
    let api = crate::api_helpers::BackOffice::new(&app, &key);
    let read = api.get(&format!("/api/v1/cases/{case}")).await.json();
    assert_eq!(read["claim"]["status"], "claimed", "{read}");
    assert_eq!(read["claim"]["acknowledged"], true);
}

#[tokio::test]
async fn a_payment_already_returned_files_nothing() {
    let app = spawn_app().await;
    let response = app
        .file(&AppealFields::valid(Utc::now()).set("claim_status", "returned"))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(shown(&html), ["already-returned"]);
    assert_eq!(app.count("cases"), 0);
    // Without an answer, the question is asked next to itself.
    let response = app
        .file(&AppealFields::valid(Utc::now()).set("claim_status", ""))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("data-error-for=\"claim_status\""));
    assert_eq!(app.count("cases"), 0);
}

#[tokio::test]
async fn the_send_time_and_the_kind_bring_their_own_guidance() {
    let clock = Clock::manual(cst("2026-12-03 12:00:00"));
    let app = spawn_app_with(clock).await;
    // A refused answer elsewhere keeps the page: its guidance is what the answers call for.
    let refused = |sent: &str, kind: &str| {
        AppealFields::valid(clock.now())
            .set("sent_at", sent)
            .set("packet_kind", kind)
            .set("card_last4", "")
    };
    let html = app
        .file(&refused("2026-12-03 11:57:00", "transfer"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(shown(&html), ["bank-window", "delayed-arrival"]);

    let html = app
        .file(&refused("2026-12-03 10:00:00", "red_packet"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(shown(&html), ["auto-return"]);
    assert!(
        html.contains("2026-12-04 10:00:00"),
        "the time it comes back"
    );

    let html = app
        .file(&refused("2026-12-01 10:00:00", "red_packet"))
        .await
        .text()
        .await
        .unwrap();
    assert!(shown(&html).is_empty(), "{:?}", shown(&html));

    // Filed three minutes after sending: the receipt says to call the bank now.
    let response = app
        .file(&AppealFields::valid(clock.now()).set("sent_at", "2026-12-03 11:57:00"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let receipt = app.get_html(&location(&response)).await;
    assert_eq!(shown(&receipt), ["bank-window"]);
    assert!(receipt.contains("data-field=\"prevention\""));
}

#[tokio::test]
async fn the_dashboard_counts_submissions_guided_away_and_filed_after_guidance() {
    let clock = Clock::manual(cst("2026-12-03 12:00:00"));
    let app = spawn_app_with(clock).await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    let count = |html: &str, reason: &str, what: &str| -> i64 {
        let row = html
            .split(&format!("data-reason=\"{reason}\""))
            .nth(1)
            .expect("the reason's row");
        field_text(row, what)
            .expect("a count")
            .parse()
            .expect("a number")
    };
    let before = boss.get_html("/agent/dashboard").await;
    assert_eq!(count(&before, "claimed", "stopped"), 0);

    let claimed = AppealFields::valid(clock.now()).set("claim_status", "claimed");
    assert_eq!(
        app.file(&claimed).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let returned = AppealFields::valid(clock.now()).set("claim_status", "returned");
    app.file(&returned).await;
    // A transfer is told about delayed arrival, and files.
    assert_eq!(
        app.file(&AppealFields::valid(clock.now())).await.status(),
        StatusCode::SEE_OTHER
    );

    let after = boss.get_html("/agent/dashboard").await;
    assert_eq!(count(&after, "claimed", "stopped"), 1);
    assert_eq!(count(&after, "already-returned", "stopped"), 1);
    assert_eq!(count(&after, "delayed-arrival", "filed"), 1);
    assert_eq!(count(&after, "claimed", "filed"), 0);
}
