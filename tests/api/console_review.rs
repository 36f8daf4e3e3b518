use appealdesk::config::Clock;
use appealdesk::domain::agent::Role;
use chrono::{Duration, Utc};
use reqwest::StatusCode;

use crate::helpers::*;

async fn with_agents(clock: Clock) -> (TestApp, Console, Console, Console) {
    let app = spawn_app_with(clock).await;
    app.create_agent("a@example.com", Role::Agent);
    app.create_agent("b@example.com", Role::Agent);
    app.create_agent("boss@example.com", Role::Supervisor);
    let a = app.sign_in("a@example.com").await;
    let b = app.sign_in("b@example.com").await;
    let boss = app.sign_in("boss@example.com").await;
    (app, a, b, boss)
}

#[tokio::test]
async fn a_claimed_case_is_worked_by_its_assignee_only_then_decided_and_closed() {
    let (app, a, b, _) = with_agents(Clock::System).await;
    let (case, token) = app.filed_case(&AppealFields::valid(Utc::now())).await;

    assert_eq!(a.act(&case, "claim", &[]).await, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&a, &case).await, "in_review");
    assert_eq!(
        b.act(&case, "claim", &[]).await,
        StatusCode::CONFLICT,
        "already claimed"
    );
    let decide = [
        ("outcome", "approved"),
        ("reason_code", "evidence_complete"),
        ("text", ""),
    ];
    assert_eq!(
        b.act(&case, "decide", &decide).await,
        StatusCode::FORBIDDEN,
        "not b's case"
    );
    assert_eq!(
        a.act(&case, "carried-out", &[]).await,
        StatusCode::CONFLICT,
        "nothing decided yet"
    );

    assert_eq!(a.act(&case, "decide", &decide).await, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&a, &case).await, "approved");
    let tracking = app.get_html(&format!("/track/{token}")).await;
    assert!(tracking.contains("data-status=\"approved\""));
    // The standard reason, in the language the appellant filed in (Chinese).
    assert!(
        field_text(&tracking, "decision-reason")
            .unwrap()
            .contains("证据完整")
    );

    assert_eq!(
        a.act(&case, "carried-out", &[]).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&a, &case).await, "closed");
    assert_eq!(a.act(&case, "decide", &decide).await, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_request_for_evidence_pauses_the_clock_until_the_appellant_answers() {
    // Filed Mon 28 Sep 2026: target 8 Oct, deadline 13 Oct.
    let (app, a, _, _) = with_agents(Clock::manual(cst("2026-09-28 10:00:00"))).await;
    let (case, token) = app
        .filed_case(&AppealFields::valid(cst("2026-09-28 10:00:00")))
        .await;
    a.act(&case, "claim", &[]).await;
    // Asked on Tue 29 Sep (a new session: the first one went idle overnight).
    app.clock.set(cst("2026-09-29 11:00:00"));
    let a = app.sign_in("a@example.com").await;
    let ask = [(
        "text",
        "请上传转账截图 / Please send the transfer screenshot",
    )];
    assert_eq!(
        a.act(&case, "request-evidence", &ask).await,
        StatusCode::SEE_OTHER
    );

    let page = app.get_html(&format!("/track/{token}")).await;
    assert!(page.contains("data-status=\"awaiting_user\""));
    assert!(field_text(&page, "evidence-request").is_some());
    assert!(page.contains("Please send the transfer screenshot"));

    // Answered on Fri 9 Oct: 30 Sep, 8 Oct and 9 Oct were spent waiting.
    app.clock.set(cst("2026-10-09 15:00:00"));
    let html = app.get_html(&format!("/track/{token}")).await;
    let csrf = attr(&html, "name=\"csrf_token\" value=\"").unwrap();
    let reply = app
        .post_form(
            &format!("/track/{token}/reply"),
            &[
                ("text".into(), "截图已上传 / uploaded".into()),
                ("csrf_token".into(), csrf),
            ],
        )
        .await;
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    let html = app.get_html(&format!("/track/{token}")).await;
    assert!(html.contains("data-status=\"in_review\""));
    assert_eq!(
        time_field(&html, "review-target").as_deref(),
        Some("2026-10-12")
    );
    assert_eq!(
        time_field(&html, "review-deadline").as_deref(),
        Some("2026-10-16")
    );
}

#[tokio::test]
async fn an_unanswered_request_closes_the_case_after_seven_working_days() {
    let (app, a, _, _) = with_agents(Clock::manual(cst("2026-02-12 10:00:00"))).await;
    let (case, token) = app
        .filed_case(&AppealFields::valid(cst("2026-02-12 10:00:00")))
        .await;
    a.act(&case, "claim", &[]).await;
    // Asked Fri 13 Feb: the 7th working day after is Mon 2 Mar.
    app.clock.set(cst("2026-02-13 09:00:00"));
    let a = app.sign_in("a@example.com").await;
    a.act(
        &case,
        "request-evidence",
        &[("text", "Send the screenshot")],
    )
    .await;

    app.clock.set(cst("2026-03-02 23:00:00"));
    app.run_jobs();
    assert!(
        app.get_html(&format!("/track/{token}"))
            .await
            .contains("data-status=\"awaiting_user\"")
    );

    app.clock.advance(Duration::minutes(70));
    app.run_jobs();
    let html = app.get_html(&format!("/track/{token}")).await;
    assert!(
        html.contains("data-status=\"closed\""),
        "closed: no response"
    );
}

#[tokio::test]
async fn the_appellant_withdraws_before_a_decision_but_not_after() {
    let (app, a, _, _) = with_agents(Clock::System).await;
    let (case, token) = app.filed_case(&AppealFields::valid(Utc::now())).await;

    let confirm = app.get_html(&format!("/track/{token}/withdraw")).await;
    let csrf = attr(&confirm, "name=\"csrf_token\" value=\"").unwrap();
    let r = app
        .post_form(
            &format!("/track/{token}/withdraw"),
            &[("csrf_token".into(), csrf.clone())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&a, &case).await, "withdrawn");

    let (decided, token) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    a.act(&decided, "claim", &[]).await;
    a.act(
        &decided,
        "decide",
        &[("outcome", "rejected"), ("reason_code", "already_claimed")],
    )
    .await;
    let r = app
        .post_form(
            &format!("/track/{token}/withdraw"),
            &[("csrf_token".into(), csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(status_of(&a, &decided).await, "rejected");
}

#[tokio::test]
async fn a_voided_filing_gives_its_quota_slot_back() {
    let (app, a, _, boss) = with_agents(Clock::System).await;
    let me = AppealFields::valid(Utc::now()).get("wechat_id").to_owned();
    let (first, _) = app
        .filed_case(&AppealFields::valid(Utc::now()).set("wechat_id", &me))
        .await;
    app.filed_case(&AppealFields::valid(Utc::now()).set("wechat_id", &me))
        .await;
    let third = AppealFields::valid(Utc::now()).set("wechat_id", &me);
    assert_eq!(app.file(&third).await.status(), StatusCode::CONFLICT);

    let reason = [("text", "Filed in someone else's name")];
    assert_eq!(a.act(&first, "void", &reason).await, StatusCode::FORBIDDEN);
    assert_eq!(
        boss.act(&first, "void", &reason).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&boss, &first).await, "voided");
    assert_eq!(app.file(&third).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_supervisor_assigns_and_every_step_is_in_the_audit_trail() {
    let (app, a, b, boss) = with_agents(Clock::System).await;
    let (case, token) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    let b_id = {
        let mut conn = app.conn();
        appealdesk::db::agents::by_email(&mut conn, "b@example.com")
            .unwrap()
            .unwrap()
            .id
    };
    assert_eq!(
        a.act(&case, "assign", &[("agent_id", &b_id.to_string())])
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        boss.act(&case, "assign", &[("agent_id", "999999")]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        boss.act(&case, "assign", &[("agent_id", &b_id.to_string())])
            .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        b.act(&case, "notes", &[("text", "Called the bank; waiting")])
            .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        b.act(&case, "notes", &[("text", "   ")]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let html = b.get_html(&format!("/agent/cases/{case}")).await;
    let trail = html.split("data-field=\"timeline\"").nth(1).unwrap();
    for expected in ["boss@example.com", "b@example.com", "Called the bank"] {
        assert!(trail.contains(expected), "{expected} in the trail");
    }
    // Filed, assigned, the note, and this view of the evidence.
    assert_eq!(
        trail.split("</ol>").next().unwrap().matches("<li>").count(),
        4
    );
    assert!(trail.contains("已提交 → 审核中"), "from → to");
    // Append-only: the database itself refuses to rewrite the trail.
    {
        use diesel::connection::SimpleConnection;
        let mut conn = app.conn();
        assert!(
            conn.batch_execute("UPDATE case_events SET note = 'x'")
                .is_err()
        );
        assert!(conn.batch_execute("DELETE FROM case_events").is_err());
    }
    // The appellant sees none of the internal trail.
    let public = app.get_html(&format!("/track/{token}")).await;
    assert!(!public.contains("Called the bank") && !public.contains("example.com"));
}

#[tokio::test]
async fn control_characters_and_secrets_in_case_texts_are_refused_not_errors() {
    let (app, a, _, _) = with_agents(Clock::System).await;
    let (case, token) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    a.act(&case, "claim", &[]).await;
    assert_eq!(
        a.act(&case, "notes", &[("text", "bad\u{0}byte")]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        a.act(&case, "request-evidence", &[("text", "send\u{0}it")])
            .await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        a.act(
            &case,
            "request-evidence",
            &[("text", "Send the screenshot")]
        )
        .await,
        StatusCode::SEE_OTHER
    );

    let html = app.get_html(&format!("/track/{token}")).await;
    let csrf = attr(&html, "name=\"csrf_token\" value=\"").unwrap();
    let reply = |text: &str| {
        vec![
            ("text".to_owned(), text.to_owned()),
            ("csrf_token".to_owned(), csrf.clone()),
        ]
    };
    let path = format!("/track/{token}/reply");
    let r = app.post_form(&path, &reply("我的支付密码是 135790")).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a secret is refused"
    );
    assert!(r.text().await.unwrap().contains("id=\"text-error\""));
    assert_eq!(
        app.post_form(&path, &reply("nul\u{0}here")).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        status_of(&a, &case).await,
        "awaiting_user",
        "nothing changed"
    );

    for path in [
        "/agent/cases?q=%00",
        "/agent/cases/AD%00",
        "/agent/cases/%E4%B8%AD",
    ] {
        let status = a.get(path).await.status();
        assert!(status.as_u16() < 500, "{path}: {status}");
    }
    let anonymous = app.console();
    let r = anonymous
        .sign_in_with("a\u{0}@example.com", "whatever1")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// The trail's entries for one kind, as the agents' timeline shows them.
async fn views_in_trail(console: &Console, case: &str) -> usize {
    let html = console.get_html(&format!("/agent/cases/{case}")).await;
    let trail = html
        .split("data-field=\"timeline\"")
        .nth(1)
        .unwrap_or_default();
    trail.matches("查看证据").count()
}

#[tokio::test]
async fn opening_a_case_is_recorded_once_per_agent_within_ten_minutes_from_wherever_it_was_opened()
{
    let (app, a, b, _) = with_agents(Clock::System).await;
    let (case, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    let page = format!("/agent/cases/{case}");

    // A link on another site opens the page: the one view is recorded, whatever the headers.
    let foreign = a.get_from(&page, "cross-site").await;
    assert_eq!(foreign.status(), StatusCode::OK);
    assert_eq!(
        a.get_from(&page, "same-site").await.status(),
        StatusCode::OK
    );
    // Reloading the page again and again is one view.
    assert_eq!(views_in_trail(&a, &case).await, 1);
    assert_eq!(views_in_trail(&a, &case).await, 1);
    // Another agent's view is their own entry.
    assert_eq!(views_in_trail(&b, &case).await, 2);
    // A refused action re-renders the page without recording a view.
    assert_eq!(
        a.act(&case, "notes", &[("text", "   ")]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(views_in_trail(&a, &case).await, 2);
}
