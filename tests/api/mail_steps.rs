//! Every step of a case is mailed, from the same transaction as the step.

use appealdesk::domain::agent::Role;
use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::mail_helpers::*;
use crate::smtp::SmtpServer;

#[tokio::test]
async fn the_appellant_is_mailed_at_each_step_in_the_language_they_filed_in() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    app.create_agent("a@example.com", Role::Agent);
    let a = app.sign_in("a@example.com").await;
    // Filed in English.
    app.get("/lang/en?next=/").await;
    let appeal = AppealFields::valid(Utc::now()).set("email", "mary@example.com");
    let (case, token) = app.filed_case(&appeal).await;

    a.act(&case, "claim", &[]).await;
    let ask = [("text", "Please send the screenshot of the transfer")];
    assert_eq!(
        a.act(&case, "request-evidence", &ask).await,
        StatusCode::SEE_OTHER
    );
    let html = app.get_html(&format!("/track/{token}")).await;
    let csrf = attr(&html, "name=\"csrf_token\" value=\"").unwrap();
    let reply = [
        ("text".to_owned(), "Sent it".to_owned()),
        ("csrf_token".to_owned(), csrf),
    ];
    app.post_form(&format!("/track/{token}/reply"), &reply)
        .await;
    let decide = [("outcome", "approved"), ("reason_code", "recipient_agreed")];
    assert_eq!(a.act(&case, "decide", &decide).await, StatusCode::SEE_OTHER);
    assert_eq!(
        a.act(&case, "carried-out", &[]).await,
        StatusCode::SEE_OTHER
    );

    let mails = smtp.wait_for(5).await;
    let rows = app.all_mail_sent().await;
    // The assignee is told of the reply (issue 22), in their own language (Chinese).
    let (to_agent, rows): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|r| r.message == "case_news");
    assert_eq!(to_agent.len(), 1);
    assert_eq!(
        (to_agent[0].recipient.as_str(), to_agent[0].lang.as_str()),
        ("a@example.com", "zh-CN")
    );
    let mails: Vec<_> = mails
        .into_iter()
        .filter(|m| m.to() != ["a@example.com"])
        .collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(
        kinds,
        ["receipt", "evidence_requested", "decision", "closed"]
    );
    assert!(
        rows.iter()
            .all(|r| r.recipient == "mary@example.com" && r.lang == "en")
    );
    let subjects: Vec<String> = mails.iter().map(|m| m.subject()).collect();
    assert!(subjects.iter().all(|s| s.contains(&case)), "{subjects:?}");
    let request = mails
        .iter()
        .find(|m| m.subject().starts_with("More evidence"))
        .unwrap();
    assert!(request.text().contains("screenshot of the transfer"));
    let decision = mails
        .iter()
        .find(|m| m.subject().contains("approved"))
        .unwrap();
    assert!(
        decision
            .text()
            .contains("The recipient agreed to return the money.")
    );
    for mail in &mails {
        assert!(mail.text().contains("never asks for your payment password"));
        assert!(
            !mail.text().contains(appeal.get("card_last4")),
            "no card digits"
        );
    }
}

#[tokio::test]
async fn assignment_mails_the_agent_and_withdrawal_mails_the_appellant() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    app.create_agent("b@example.com", Role::Agent);
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    let b_id = appealdesk::db::agents::by_email(&mut app.conn(), "b@example.com")
        .unwrap()
        .unwrap()
        .id;
    let appeal = AppealFields::valid(Utc::now());
    let (case, token) = app.filed_case(&appeal).await;
    let assign = [("agent_id", b_id.to_string())];
    let assign: Vec<(&str, &str)> = assign.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        boss.act(&case, "assign", &assign).await,
        StatusCode::SEE_OTHER
    );

    app.withdraw(&token).await;

    smtp.wait_for(4).await;
    let rows = app.all_mail_sent().await;
    let sent: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.message.as_str(), r.recipient.as_str()))
        .collect();
    assert_eq!(
        sent,
        [
            ("receipt", appeal.get("email")),
            ("assigned", "b@example.com"),
            ("withdrawn", appeal.get("email")),
            // The assignee is told the appellant withdrew (issue 22).
            ("case_news", "b@example.com"),
        ]
    );
    let assigned = smtp
        .mails()
        .into_iter()
        .find(|m| m.to() == ["b@example.com"] && m.subject().contains("分派给你"))
        .unwrap();
    assert!(assigned.text().contains(&format!("/agent/cases/{case}")));
}

#[tokio::test]
async fn supervisors_get_one_digest_at_nine_on_working_days_only() {
    // Friday 27 Nov 2026: a case filed on Mon 16 Nov is overdue (deadline 25 Nov);
    // one filed on Thu 19 Nov is due on the next working day (Mon 30 Nov).
    let app = spawn_app_at("2026-11-16 10:00:00").await;
    app.create_agent("boss@example.com", Role::Supervisor);
    app.create_agent("chief@example.com", Role::Supervisor);
    app.create_agent("a@example.com", Role::Agent);
    let (overdue, _) = app
        .filed_case(&AppealFields::valid(cst("2026-11-16 10:00:00")))
        .await;
    app.clock.set(cst("2026-11-19 10:00:00"));
    let (at_risk, _) = app
        .filed_case(&AppealFields::valid(cst("2026-11-19 10:00:00")))
        .await;
    // Filed Wed 18 Nov: due Fri 27 Nov, the digest's own day.
    app.clock.set(cst("2026-11-18 10:00:00"));
    let (due_today, _) = app
        .filed_case(&AppealFields::valid(cst("2026-11-18 10:00:00")))
        .await;

    let digests_at = |at: &str| {
        app.clock.set(cst(at));
        app.run_jobs();
        app.outbox()
            .iter()
            .filter(|r| r.message == "digest")
            .count()
    };
    assert_eq!(digests_at("2026-11-27 08:59:00"), 0, "before nine");
    assert_eq!(digests_at("2026-11-28 09:30:00"), 0, "a Saturday");
    assert_eq!(digests_at("2026-11-27 09:00:30"), 2, "one per supervisor");
    assert_eq!(digests_at("2026-11-27 15:00:00"), 2, "once a day");

    let digests: Vec<OutboxRow> = app
        .outbox()
        .into_iter()
        .filter(|r| r.message == "digest")
        .collect();
    let mut to: Vec<&str> = digests.iter().map(|r| r.recipient.as_str()).collect();
    to.sort();
    assert_eq!(to, ["boss@example.com", "chief@example.com"]);
    let body: String = {
        use appealdesk::db::schema::outbox;
        use diesel::prelude::*;
        outbox::table
            .filter(outbox::message.eq("digest"))
            .select(outbox::body_text)
            .first(&mut *app.conn())
            .unwrap()
    };
    let (risk_part, overdue_part) = body.split_once("已逾期").unwrap();
    assert!(risk_part.contains(&at_risk) && risk_part.contains(&due_today));
    assert!(!risk_part.contains(&overdue));
    assert!(overdue_part.contains(&overdue) && !overdue_part.contains(&at_risk));
}
