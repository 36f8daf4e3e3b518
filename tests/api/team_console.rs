//! A team on one queue: no action applies to a state its agent never saw, and each agent
//! sees who else has the case open.

use appealdesk::domain::agent::Role;
use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::*;

/// The case's version as its console page shows it (the `version` field of its forms).
pub async fn page_version(console: &Console, case: &str) -> String {
    let html = console.get_html(&format!("/agent/cases/{case}")).await;
    attr(&html, "name=\"version\" value=\"").expect("the case's version in its forms")
}

#[tokio::test]
async fn every_action_form_on_the_case_page_carries_the_cases_version() {
    let app = spawn_app().await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    let (case, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    assert_eq!(boss.act(&case, "claim", &[]).await, StatusCode::SEE_OTHER);
    let html = boss.get_html(&format!("/agent/cases/{case}")).await;
    let forms: Vec<&str> = html
        .split("<form method=\"post\" action=\"/agent/cases/")
        .skip(1)
        .map(|f| f.split("</form>").next().unwrap())
        .collect();
    assert!(forms.len() >= 5, "assign, request, decide, void, note");
    for form in forms {
        assert!(
            form.contains("name=\"version\" value=\""),
            "a form without the case's version: {form}"
        );
    }
}

#[tokio::test]
async fn a_decision_from_a_page_loaded_before_another_agents_note_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_agent("a@example.com", Role::Agent);
    app.create_agent("boss@example.com", Role::Supervisor);
    let a = app.sign_in("a@example.com").await;
    let boss = app.sign_in("boss@example.com").await;
    let (case, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    assert_eq!(a.act(&case, "claim", &[]).await, StatusCode::SEE_OTHER);

    // a loads the page; then the supervisor adds a note from a page of their own.
    let seen = page_version(&a, &case).await;
    let boss_seen = page_version(&boss, &case).await;
    assert_eq!(
        boss.act(
            &case,
            "notes",
            &[
                ("text", "Check the card number first."),
                ("version", &boss_seen)
            ]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let (events_before, mail_before) = (app.count("case_events"), app.count("outbox"));

    let refused = a
        .post(
            &format!("/agent/cases/{case}/decide"),
            &[
                ("outcome", "approved"),
                ("reason_code", "evidence_complete"),
                ("text", ""),
                ("version", &seen),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let html = refused.text().await.unwrap();
    let said = field_text(&html, "stale").expect("what changed");
    assert!(
        said.contains("boss@example.com") && said.contains("内部备注"),
        "names the note and who wrote it: {said}"
    );
    assert!(html.contains(&format!(
        "href=\"/agent/cases/{case}\" data-field=\"reload\""
    )));
    assert_eq!(status_of(&a, &case).await, "in_review", "nothing decided");
    assert_eq!(
        app.count("case_events"),
        events_before,
        "nothing on the trail (a's re-render records no view)"
    );
    assert_eq!(app.count("outbox"), mail_before, "nobody was mailed");

    // From the page as it is now, the decision goes through.
    let now = page_version(&a, &case).await;
    assert_ne!(now, seen);
    assert_eq!(
        a.act(
            &case,
            "decide",
            &[
                ("outcome", "approved"),
                ("reason_code", "evidence_complete"),
                ("text", ""),
                ("version", &now),
            ]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&a, &case).await, "approved");
}

#[tokio::test]
async fn the_case_page_says_which_other_agent_opened_it_lately() {
    let app = spawn_app().await;
    app.create_agent("li.wei@example.com", Role::Agent);
    app.create_agent("a@example.com", Role::Agent);
    let li = app.sign_in("li.wei@example.com").await;
    let a = app.sign_in("a@example.com").await;
    let (case, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;

    let first = a.get_html(&format!("/agent/cases/{case}")).await;
    assert!(field_text(&first, "viewers").is_none(), "nobody else yet");
    li.get_html(&format!("/agent/cases/{case}")).await;
    let html = a.get_html(&format!("/agent/cases/{case}")).await;
    let viewers = field_text(&html, "viewers").expect("the opened-by line");
    assert!(viewers.contains("li.wei@example.com"), "{viewers}");
    assert!(
        !viewers.contains("a@example.com,"),
        "never oneself: {viewers}"
    );
    let theirs = li.get_html(&format!("/agent/cases/{case}")).await;
    assert!(
        field_text(&theirs, "viewers")
            .unwrap()
            .contains("a@example.com")
    );
}

/// The case numbers the queue lists, as its bulk checkboxes name them.
fn bulk_boxes(html: &str) -> Vec<String> {
    html.split("data-field=\"bulk-select\"")
        .filter_map(|part| {
            let at = part.rfind("name=\"pick.")?;
            let rest = &part[at + "name=\"pick.".len()..];
            Some(rest[..rest.find('"')?].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_bulk_assignment_of_60_cases_with_2_that_cannot_be_assigned_assigns_58_and_names_the_2() {
    let app = spawn_app().await;
    app.create_agent("boss@example.com", Role::Supervisor);
    app.create_agent("a@example.com", Role::Agent);
    app.create_agent("b@example.com", Role::Agent);
    let boss = app.sign_in("boss@example.com").await;
    let a = app.sign_in("a@example.com").await;
    let mut cases = Vec::new();
    for _ in 0..60 {
        cases.push(app.filed_case(&AppealFields::valid(Utc::now())).await);
    }
    // Two cases cannot be assigned any more: one withdrawn by its appellant, one voided.
    let (withdrawn, token) = &cases[10];
    app.withdraw(token).await;
    let voided = &cases[45].0;
    assert_eq!(
        boss.act(voided, "void", &[("text", "Filed in someone else's name.")])
            .await,
        StatusCode::SEE_OTHER
    );
    let html = a.get_html("/agent/cases?status=all").await;
    assert!(
        html.contains("data-field=\"bulk-select\""),
        "each case has its checkbox"
    );

    let b_id = agent_id(&app, "b@example.com");
    let events_before = app.count("case_events");
    let mut form: Vec<(String, String)> = vec![
        ("action".into(), "assign".into()),
        ("agent_id".into(), b_id.clone()),
    ];
    for (case, _) in &cases {
        form.push((format!("pick.{case}"), "1".into()));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    // Assigning is for supervisors, in bulk as one by one: nothing changes.
    let refused = a.post("/agent/cases/bulk", &fields).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("case_events"), events_before);

    let response = boss.post("/agent/cases/bulk", &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("data-field=\"bulk-result\""));
    let parts: Vec<&str> = html.split("data-outcome=\"refused\"").collect();
    let refused_cases: Vec<&str> = parts[..parts.len() - 1]
        .iter()
        .map(|part| {
            let at = part.rfind("data-case=\"").unwrap_or(0);
            &part[at..]
        })
        .filter_map(|part| part.strip_prefix("data-case=\""))
        .map(|p| p.split('"').next().unwrap())
        .collect();
    let mut expected = vec![withdrawn.as_str(), voided.as_str()];
    expected.sort();
    let mut named = refused_cases.clone();
    named.sort();
    assert_eq!(named, expected, "the two refused, by number");
    assert_eq!(html.matches("data-outcome=\"done\"").count(), 58);
    // One audit entry per case assigned.
    assert_eq!(app.count("case_events"), events_before + 58);
    let mine = boss
        .get_html(&format!("/agent/cases?assignee={b_id}"))
        .await;
    assert_eq!(
        mine.matches("data-field=\"bulk-select\"").count(),
        50,
        "a page of 50"
    );
}

#[tokio::test]
async fn bulk_claim_takes_every_case_of_the_page_and_refuses_another_agents_a_changed_one_and_the_cap_holds()
 {
    let app = spawn_app().await;
    app.create_agent("a@example.com", Role::Agent);
    app.create_agent("b@example.com", Role::Agent);
    let a = app.sign_in("a@example.com").await;
    let b = app.sign_in("b@example.com").await;
    let (first, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    let (second, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    let (third, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    assert_eq!(b.act(&second, "claim", &[]).await, StatusCode::SEE_OTHER);

    let queue = a.get_html("/agent/cases").await;
    let listed = bulk_boxes(&queue);
    assert_eq!(listed.len(), 3);
    // After A's page was loaded, B notes the third case: A's page no longer shows it as it is.
    assert_eq!(
        b.act(&third, "notes", &[("text", "Called the bank.")])
            .await,
        StatusCode::SEE_OTHER
    );
    let mut form: Vec<(String, String)> = vec![
        ("action".into(), "claim".into()),
        ("all".into(), "1".into()),
    ];
    // Every case of the page with the version the page showed, as the browser sends them.
    for case in &listed {
        let version = attr(&queue, &format!("name=\"page.{case}\" value=\"")).unwrap();
        form.push((format!("page.{case}"), version));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let html = a
        .post("/agent/cases/bulk", &fields)
        .await
        .text()
        .await
        .unwrap();
    for case in [&second, &third] {
        assert!(html.contains(&format!("data-case=\"{case}\" data-outcome=\"refused\"")));
    }
    assert!(html.contains(&format!("data-case=\"{first}\" data-outcome=\"done\"")));
    // The third is refused as changed since the page was loaded, and stays unclaimed.
    assert!(html.contains("b@example.com"), "who changed it: {html}");
    {
        use appealdesk::db::schema::cases;
        use diesel::prelude::*;
        let assignee: Option<i64> = cases::table
            .filter(cases::case_number.eq(&third))
            .select(cases::assignee_id)
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(assignee, None, "the changed case was not claimed");
    }

    // Beyond the cap nothing is done, and without the session's token nothing at all.
    let many: Vec<(String, String)> = (0..=appealdesk::domain::policy::BULK_MAX_CASES)
        .map(|i| (format!("pick.AD-2026-{i:06}"), "1".to_owned()))
        .chain([("action".to_owned(), "claim".to_owned())])
        .collect();
    let fields: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let too_many = a.post("/agent/cases/bulk", &fields).await;
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let foreign = a
        .client
        .post(a.url("/agent/cases/bulk"))
        .form(&[("action", "claim"), (&format!("pick.{first}"), "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
}

/// An account's id, as the bulk form's agent list gives it.
fn agent_id(app: &TestApp, email: &str) -> String {
    use appealdesk::db::schema::agents;
    use diesel::prelude::*;
    let id: i64 = agents::table
        .filter(agents::email.eq(email))
        .select(agents::id)
        .first(&mut *app.conn())
        .expect("the agent");
    id.to_string()
}

#[tokio::test]
async fn a_saved_reply_fills_an_evidence_request_in_english_for_an_english_filer() {
    let app = spawn_app().await;
    app.create_agent("boss@example.com", Role::Supervisor);
    app.create_agent("a@example.com", Role::Agent);
    let boss = app.sign_in("boss@example.com").await;
    let a = app.sign_in("a@example.com").await;
    // Only supervisors keep the list.
    let refused = a
        .post(
            "/agent/replies",
            &[
                ("title", "x"),
                ("text_zh", "x"),
                ("text_en", "x"),
                ("applies_to", "note"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let added = boss
        .post(
            "/agent/replies",
            &[
                ("title", "E-receipt"),
                ("applies_to", "evidence_request"),
                ("text_zh", "请上传案件 {case_number} 的电子回单（金额 {amount}），{deadline} 前。"),
                (
                    "text_en",
                    "Please send the e-receipt of {amount} for case {case_number} before {deadline}.",
                ),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let list = boss.get_html("/agent/replies").await;
    let id = attr(&list, "data-reply=\"").expect("the reply listed");

    app.get("/lang/en?next=/").await;
    let appeal = AppealFields::valid(Utc::now());
    let (case, token) = app.filed_case(&appeal).await;
    assert_eq!(a.act(&case, "claim", &[]).await, StatusCode::SEE_OTHER);
    let page = a.get_html(&format!("/agent/cases/{case}")).await;
    assert!(page.contains("data-field=\"saved-reply\""), "the picker");
    let picked = a.get_html(&format!("/agent/cases/{case}?reply={id}")).await;
    let filled = picked
        .split("id=\"request-text\"")
        .nth(1)
        .and_then(|rest| rest.split('>').nth(1))
        .and_then(|rest| rest.split("</textarea").next())
        .expect("the request's text box")
        .to_owned();
    let amount = appeal.get("amount");
    assert!(
        filled.starts_with("Please send the e-receipt of ¥")
            && filled.contains(amount.trim_end_matches(".00"))
            && filled.contains(&format!("for case {case} before 20")),
        "English, placeholders filled: {filled}"
    );
    assert!(!filled.contains('{'), "{filled}");

    // The agent edits it and sends it; the appellant reads the edited English text.
    let edited = format!("{filled} Thank you.");
    let version = attr(&picked, "name=\"version\" value=\"").unwrap();
    assert_eq!(
        a.act(
            &case,
            "request-evidence",
            &[("text", &edited), ("version", &version)]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let tracking = app.get_html(&format!("/track/{token}")).await;
    assert!(tracking.contains("Thank you.") && tracking.contains("Please send the e-receipt"));
}
