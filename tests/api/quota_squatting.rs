//! Someone using up another person's appeals: the refusal says how to contest, the case
//! page and the queue show supervisors the pattern, and voiding gives the slot back and
//! tells the address that filed it.

use std::net::{IpAddr, Ipv4Addr};

use appealdesk::domain::agent::Role;
use chrono::Utc;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::helpers::*;
use crate::mail_helpers::*;
use crate::smtp::SmtpServer;

/// Files from another loopback address, as a browser there would (its own cookies).
async fn file_from(app: &TestApp, ip: IpAddr, appeal: &AppealFields) -> reqwest::Response {
    let client = crate::helpers::http()
        .redirect(Policy::none())
        .cookie_store(true)
        .local_address(ip)
        .build()
        .expect("client");
    let html = client
        .get(app.url("/appeals/new"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    let token = attr(&html, "name=\"csrf_token\" value=\"").expect("token");
    client
        .post(app.url("/appeals"))
        .form(&appeal.with_token(&token))
        .send()
        .await
        .expect("POST")
}

fn listed(html: &str) -> Vec<String> {
    let mut cases: Vec<String> = html
        .split("data-case=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_owned))
        .collect();
    cases.sort();
    cases
}

#[tokio::test]
async fn a_used_up_quota_says_how_to_contest_filings_and_shows_nothing_of_them() {
    let app = spawn_app().await;
    let me = AppealFields::valid(Utc::now()).get("wechat_id").to_owned();
    let mut numbers = Vec::new();
    for email in ["squatter1@example.org", "squatter2@example.org"] {
        let appeal = AppealFields::valid(Utc::now())
            .set("wechat_id", &me)
            .set("email", email);
        numbers.push(app.filed_case(&appeal).await.0);
    }
    let mine = AppealFields::valid(Utc::now()).set("wechat_id", &me);
    let response = app.file(&mine).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(html.contains("联系微信支付客服"), "{html}");
    assert!(html.contains("不认识的案件编号"), "{html}");
    assert!(html.contains("作废冒名提交的申诉"), "{html}");
    for leaked in [
        numbers[0].as_str(),
        numbers[1].as_str(),
        "squatter1",
        "squatter2",
    ] {
        assert!(!html.contains(leaked), "the page shows {leaked}");
    }

    app.get("/lang/en?next=/").await;
    let html = app.file(&mine).await.text().await.unwrap();
    assert!(
        html.contains("contact WeChat Pay customer service")
            && html.contains("the case numbers you do not recognise"),
        "{html}"
    );
}

#[tokio::test]
async fn supervisors_see_one_wechat_id_filing_from_other_emails_and_addresses_and_filter_the_queue()
{
    let app = spawn_app().await;
    app.create_agent("a@example.com", Role::Agent);
    app.create_agent("boss@example.com", Role::Supervisor);
    let me = AppealFields::valid(Utc::now()).get("wechat_id").to_owned();
    let email = "owner@example.org";
    let (first, _) = app
        .filed_case(
            &AppealFields::valid(Utc::now())
                .set("wechat_id", &me)
                .set("email", email),
        )
        .await;
    // The same WeChat ID and email, from another address.
    let elsewhere = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let second = file_from(
        &app,
        elsewhere,
        &AppealFields::valid(Utc::now())
            .set("wechat_id", &me)
            .set("email", email),
    )
    .await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    // Another WeChat ID, filed once: no signal.
    let other = AppealFields::valid(Utc::now()).get("wechat_id").to_owned();
    let (plain, _) = app
        .filed_case(&AppealFields::valid(Utc::now()).set("wechat_id", &other))
        .await;

    let boss = app.sign_in("boss@example.com").await;
    let queue = boss.get_html("/agent/cases?contested=1").await;
    let flagged = listed(&queue);
    assert_eq!(flagged.len(), 2, "{flagged:?}");
    assert!(flagged.contains(&first) && !flagged.contains(&plain));
    assert_eq!(listed(&boss.get_html("/agent/cases").await).len(), 3);

    let page = boss.get_html(&format!("/agent/cases/{first}")).await;
    assert!(page.contains("data-field=\"contested\""), "{page}");
    assert!(
        page.contains("data-field=\"other-address\"")
            && !page.contains("data-field=\"other-email\"")
    );
    let second_number = flagged.iter().find(|n| **n != first).unwrap();
    assert!(page.contains(&format!("/agent/cases/{second_number}")));
    let second_page = boss
        .get_html(&format!("/agent/cases/{second_number}"))
        .await;
    assert_eq!(
        field_text(&second_page, "client-addr").as_deref(),
        Some("127.0.0.2")
    );
    let plain_page = boss.get_html(&format!("/agent/cases/{plain}")).await;
    assert!(!plain_page.contains("data-field=\"contested\""));

    // A different email is flagged too.
    let (third, _) = app
        .filed_case(
            &AppealFields::valid(Utc::now())
                .set("wechat_id", &other)
                .set("email", "stranger@example.org"),
        )
        .await;
    let page = boss.get_html(&format!("/agent/cases/{third}")).await;
    assert!(page.contains("data-field=\"other-email\"") && page.contains(&plain));
    assert_eq!(
        listed(&boss.get_html("/agent/cases?contested=1").await).len(),
        4
    );

    // The signal is for supervisors.
    let a = app.sign_in("a@example.com").await;
    let page = a.get_html(&format!("/agent/cases/{first}")).await;
    assert!(!page.contains("data-field=\"contested\""));
}

#[tokio::test]
async fn voiding_gives_the_slot_back_and_mails_the_address_that_filed_it() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let me = AppealFields::valid(Utc::now()).get("wechat_id").to_owned();
    let (squatted, _) = app
        .filed_case(
            &AppealFields::valid(Utc::now())
                .set("wechat_id", &me)
                .set("email", "squatter@example.org"),
        )
        .await;
    app.filed_case(&AppealFields::valid(Utc::now()).set("wechat_id", &me))
        .await;
    let mine = AppealFields::valid(Utc::now())
        .set("wechat_id", &me)
        .set("email", "owner@example.org");
    assert_eq!(app.file(&mine).await.status(), StatusCode::CONFLICT);
    smtp.wait_for(2).await;

    let boss = app.sign_in("boss@example.com").await;
    let reason = [("text", "Filed with another person's WeChat ID")];
    assert_eq!(
        boss.act(&squatted, "void", &reason).await,
        StatusCode::SEE_OTHER
    );
    let mails = smtp.wait_for(3).await;
    let voided = mails
        .iter()
        .find(|m| m.to() == ["squatter@example.org"] && m.subject().contains("作废"))
        .expect("the voided mail");
    assert!(voided.subject().contains(&squatted));
    for body in [voided.text(), voided.html()] {
        assert!(body.contains(&squatted));
        assert!(body.contains("申诉机会已还给该微信号"), "{body}");
    }
    let rows = app.all_mail_sent().await;
    assert!(
        rows.iter()
            .any(|r| r.message == "voided" && r.recipient == "squatter@example.org")
    );
    assert_eq!(app.file(&mine).await.status(), StatusCode::SEE_OTHER);
}
