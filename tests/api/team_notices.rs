//! Agents are told by mail what happens on their cases, in the language they chose.

use appealdesk::domain::agent::Role;
use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::mail_helpers::*;
use crate::smtp::SmtpServer;

async fn reply_as_appellant(app: &TestApp, token: &str, text: &str) {
    let html = app.get_html(&format!("/track/{token}")).await;
    let csrf = attr(&html, "name=\"csrf_token\" value=\"").unwrap();
    let reply = [
        ("text".to_owned(), text.to_owned()),
        ("csrf_token".to_owned(), csrf),
    ];
    let sent = app
        .post_form(&format!("/track/{token}/reply"), &reply)
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_reply_by_the_appellant_mails_the_assignee_in_the_assignees_language() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    app.create_agent("mary@example.com", Role::Agent);
    app.create_agent("li@example.com", Role::Agent);
    let mary = app.sign_in("mary@example.com").await;
    let li = app.sign_in("li@example.com").await;
    // Mary reads English; Li keeps the default (Chinese) and turns reply notices off.
    let me = mary.get_html("/agent/me").await;
    assert!(
        me.contains("name=\"replied\" value=\"1\" checked"),
        "on by default"
    );
    let saved = mary
        .post(
            "/agent/me",
            &[
                ("lang", "en"),
                ("replied", "1"),
                ("withdrawn", "1"),
                ("assigned", "1"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(
        mary.get_html("/agent/me")
            .await
            .contains("value=\"en\" checked")
    );
    li.post("/agent/me", &[("lang", "zh-CN"), ("withdrawn", "1")])
        .await;

    // Filed in Chinese: the appellant's language is not the agent's.
    let (case, token) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    let (other, other_token) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    for (agent, case) in [(&mary, &case), (&li, &other)] {
        assert_eq!(agent.act(case, "claim", &[]).await, StatusCode::SEE_OTHER);
        let ask = [("text", "请上传转账截图。")];
        assert_eq!(
            agent.act(case, "request-evidence", &ask).await,
            StatusCode::SEE_OTHER
        );
    }
    reply_as_appellant(
        &app,
        &token,
        "截图已上传。\n转账时间是下午三点。\n对方是我的同事。\n第四行不会出现在通知里。",
    )
    .await;
    reply_as_appellant(&app, &other_token, "好的").await;

    // Two receipts, two requests, and one notice: Mary's (Li chose none).
    let mails = smtp.wait_for(5).await;
    let rows = app.all_mail_sent().await;
    let notices: Vec<&OutboxRow> = rows.iter().filter(|r| r.message == "case_news").collect();
    assert_eq!(
        notices.len(),
        1,
        "{:?}",
        rows.iter().map(|r| &r.message).collect::<Vec<_>>()
    );
    assert_eq!(notices[0].recipient, "mary@example.com");
    assert_eq!(notices[0].lang, "en");
    let mail = mails
        .iter()
        .find(|m| m.to().iter().any(|t| t.contains("mary@example.com")))
        .expect("Mary's notice at the SMTP server");
    assert!(
        mail.subject().starts_with("The appellant replied") && mail.subject().contains(&case),
        "{}",
        mail.subject()
    );
    let text = mail.text();
    assert!(
        text.contains("截图已上传。") && text.contains("对方是我的同事。…"),
        "{text}"
    );
    assert!(!text.contains("第四行"), "only the first lines: {text}");
    assert!(text.contains(&format!("/agent/cases/{case}")));
}

#[tokio::test]
async fn a_supervisor_taking_a_case_away_tells_both_agents_and_a_withdrawal_tells_the_assignee() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    app.create_agent("a@example.com", Role::Agent);
    app.create_agent("b@example.com", Role::Agent);
    app.create_agent("boss@example.com", Role::Supervisor);
    let a = app.sign_in("a@example.com").await;
    let boss = app.sign_in("boss@example.com").await;
    let (case, token) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    assert_eq!(a.act(&case, "claim", &[]).await, StatusCode::SEE_OTHER);
    let b_id = {
        use appealdesk::db::schema::agents;
        use diesel::prelude::*;
        let id: i64 = agents::table
            .filter(agents::email.eq("b@example.com"))
            .select(agents::id)
            .first(&mut *app.conn())
            .unwrap();
        id.to_string()
    };
    assert_eq!(
        boss.act(&case, "assign", &[("agent_id", &b_id)]).await,
        StatusCode::SEE_OTHER
    );
    app.withdraw(&token).await;
    smtp.wait_for(5).await;
    let rows = app.all_mail_sent().await;
    let sent: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.message.as_str(), r.recipient.as_str()))
        .collect();
    assert!(
        sent.contains(&("case_news", "a@example.com")),
        "taken away: {sent:?}"
    );
    assert!(sent.contains(&("assigned", "b@example.com")), "{sent:?}");
    assert!(
        sent.contains(&("case_news", "b@example.com")),
        "withdrawn: {sent:?}"
    );
    let subjects: Vec<String> = smtp.mails().iter().map(|m| m.subject()).collect();
    assert!(
        subjects.iter().any(|s| s.starts_with("已不再由你处理")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.starts_with("申诉人已撤回")),
        "{subjects:?}"
    );
}

#[tokio::test]
async fn each_agent_gets_one_morning_list_of_their_cases_due_by_the_next_working_day() {
    // Filed Wed 18 Nov 2026: due Fri 27 Nov. On Thu 26 Nov it is due the next working day.
    let app = spawn_app_at("2026-11-18 10:00:00").await;
    app.create_agent("mary@example.com", Role::Agent);
    app.create_agent("li@example.com", Role::Agent);
    let mary = app.sign_in("mary@example.com").await;
    let li = app.sign_in("li@example.com").await;
    mary.post("/agent/me", &[("lang", "en"), ("morning", "1")])
        .await;
    // Li turns the morning list off.
    li.post("/agent/me", &[("lang", "zh-CN"), ("replied", "1")])
        .await;
    let (due, _) = app
        .filed_case(&AppealFields::valid(cst("2026-11-18 10:00:00")))
        .await;
    let (lis, _) = app
        .filed_case(&AppealFields::valid(cst("2026-11-18 10:00:00")))
        .await;
    app.clock.set(cst("2026-11-19 10:00:00"));
    let (later, _) = app
        .filed_case(&AppealFields::valid(cst("2026-11-19 10:00:00")))
        .await;
    let mary = app.sign_in("mary@example.com").await;
    let li = app.sign_in("li@example.com").await;
    for case in [&due, &later] {
        assert_eq!(mary.act(case, "claim", &[]).await, StatusCode::SEE_OTHER);
    }
    assert_eq!(li.act(&lis, "claim", &[]).await, StatusCode::SEE_OTHER);

    let lists_at = |at: &str| {
        app.clock.set(cst(at));
        app.run_jobs();
        app.outbox()
            .into_iter()
            .filter(|r| r.message == "morning_list")
            .collect::<Vec<_>>()
    };
    assert!(lists_at("2026-11-26 07:59:00").is_empty(), "before eight");
    assert!(lists_at("2026-11-28 08:30:00").is_empty(), "a Saturday");
    let lists = lists_at("2026-11-26 08:00:30");
    assert_eq!(lists.len(), 1, "Mary only: Li turned hers off");
    assert_eq!(
        (lists[0].recipient.as_str(), lists[0].lang.as_str()),
        ("mary@example.com", "en")
    );
    assert_eq!(lists_at("2026-11-26 16:00:00").len(), 1, "once a day");
    let body: String = {
        use appealdesk::db::schema::outbox;
        use diesel::prelude::*;
        outbox::table
            .filter(outbox::message.eq("morning_list"))
            .select(outbox::body_text)
            .first(&mut *app.conn())
            .unwrap()
    };
    assert!(body.contains(&due) && !body.contains(&later), "{body}");
    assert!(body.contains("Hello"), "in English: {body}");
}

#[tokio::test]
async fn the_language_chosen_at_me_is_the_consoles_until_the_switch_says_otherwise() {
    let app = crate::helpers::spawn_app().await;
    app.create_agent("mary@example.com", Role::Agent);
    let mary = app.sign_in("mary@example.com").await;
    // No cookie, no Accept-Language: the default, Chinese.
    assert!(
        mary.get_html("/agent/cases")
            .await
            .contains("<html lang=\"zh-CN\"")
    );
    let saved = mary.post("/agent/me", &[("lang", "en")]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(
        mary.get_html("/agent/cases")
            .await
            .contains("<html lang=\"en\""),
        "the console in the language Mary chose"
    );
    // The switch on every page still wins (a cookie of this browser).
    let switched = mary.get("/lang/zh-CN?next=/agent/cases").await;
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert!(
        mary.get_html("/agent/cases")
            .await
            .contains("<html lang=\"zh-CN\"")
    );
}
