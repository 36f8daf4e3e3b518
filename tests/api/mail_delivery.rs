use std::collections::HashSet;

use appealdesk::domain::Actor;
use appealdesk::domain::ids::OutboxId;
use appealdesk::workflows::mail_admin::{self, Resend};
use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::mail_helpers::*;
use crate::smtp::{SmtpServer, eventually};

async fn file_one(app: &TestApp, email: &str) -> String {
    let appeal = AppealFields::valid(Utc::now()).set("email", email);
    let response = app.file(&appeal).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = app.get_html(&location(&response)).await;
    field_text(&html, "case-number").expect("case number")
}

fn assert_each_case_mailed_once(mails: &[crate::smtp::Mail], numbers: &[String]) {
    assert_eq!(mails.len(), numbers.len(), "one mail per filing");
    let ids: HashSet<String> = mails.iter().map(|m| m.message_id()).collect();
    assert_eq!(ids.len(), mails.len(), "distinct Message-IDs");
    for number in numbers {
        let with_number = mails
            .iter()
            .filter(|m| m.subject().contains(number.as_str()))
            .count();
        assert_eq!(with_number, 1, "{number}");
    }
}

#[tokio::test]
async fn mail_filed_while_smtp_is_down_arrives_exactly_once_when_it_is_back() {
    let mut smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    smtp.stop();

    let mut numbers = Vec::new();
    for i in 0..4 {
        numbers.push(file_one(&app, &format!("down{i}@example.com")).await);
    }
    // Each was tried, failed, and is still pending: nothing is lost.
    eventually("every mail to have failed once", || {
        let rows = app.outbox();
        (rows.len() == 4
            && rows
                .iter()
                .all(|r| r.status == "pending" && r.attempts >= 1 && r.last_error.is_some()))
        .then_some(())
    })
    .await;

    smtp.restart();
    smtp.wait_for(4).await;
    let rows = app.all_mail_sent().await;
    assert!(rows.iter().all(|r| r.attempts >= 2), "{rows:?}");
    assert_each_case_mailed_once(&smtp.mails(), &numbers);
}

#[tokio::test]
async fn a_refused_recipient_is_dead_with_the_smtp_error_and_can_be_resent() {
    let smtp = SmtpServer::start();
    let app = spawn_app_with_mail(&smtp).await;
    let number = file_one(&app, "reject-me@example.com").await;

    let row = eventually("the mail to be dead", || {
        app.outbox().into_iter().find(|r| r.status == "dead")
    })
    .await;
    let error = row.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("550") && error.contains("rejected by the test server"),
        "{error}"
    );
    assert_eq!(row.attempts, 1, "a permanent refusal is not retried");

    let dead = mail_admin::dead_mail(&mut app.conn()).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id.get(), row.id);
    assert_eq!(dead[0].case_number.as_deref(), Some(number.as_str()));
    assert_eq!(dead[0].recipient, "reject-me@example.com");
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("550")
    );
    assert!(smtp.mails().is_empty());

    // The supervisor sees it with the SMTP error, fixes the cause, and sends it again.
    app.create_agent(
        "boss@example.com",
        appealdesk::domain::agent::Role::Supervisor,
    );
    let boss = app.sign_in("boss@example.com").await;
    let page = boss.get_html("/agent/mail").await;
    assert!(page.contains(&format!("data-mail=\"{}\"", row.id)) && page.contains("550"));
    smtp.accept_all();
    let resend = format!("/agent/mail/{}/resend", row.id);
    assert_eq!(
        boss.post(&resend, &[]).await.status(),
        reqwest::StatusCode::SEE_OTHER
    );
    let again = mail_admin::resend(
        &mut app.conn(),
        OutboxId::new(row.id),
        &Actor::System,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(again, Resend::NotDead, "a second click changes nothing");
    let trail = boss.get_html(&format!("/agent/cases/{number}")).await;
    assert!(trail.contains("boss@example.com") && trail.contains(&format!("outbox #{}", row.id)));

    let mails = smtp.wait_for(1).await;
    let rows = app.all_mail_sent().await;
    assert_eq!(rows[0].attempts, 1, "attempts counted from zero again");
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].envelope_to, ["reject-me@example.com"]);
    assert!(mails[0].subject().contains(&number));
    assert!(mail_admin::dead_mail(&mut app.conn()).unwrap().is_empty());
    assert_eq!(
        mail_admin::resend(
            &mut app.conn(),
            OutboxId::new(999_999),
            &Actor::System,
            Utc::now()
        )
        .unwrap(),
        Resend::NotDead
    );
}

#[tokio::test]
async fn a_mail_that_keeps_failing_is_dead_after_the_last_attempt() {
    let mut smtp = SmtpServer::start();
    let database = std::sync::Arc::new(TestDatabase::fresh());
    let mut settings = mail_settings(&database, &smtp);
    settings.mail.max_attempts = 3;
    let app = TestApp::start_with(database, settings).await;
    smtp.stop();

    file_one(&app, "patient@example.com").await;

    let row = eventually("the mail to be dead", || {
        app.outbox().into_iter().find(|r| r.status == "dead")
    })
    .await;
    assert_eq!(row.attempts, 3);
    let error = row.last_error.unwrap_or_default();
    assert!(error.to_lowercase().contains("connect"), "{error}");
}

#[tokio::test]
async fn two_instances_on_one_database_never_send_a_mail_twice() {
    let smtp = SmtpServer::start();
    let database = std::sync::Arc::new(TestDatabase::fresh());
    let mut settings = mail_settings(&database, &smtp);
    // One row per claim: the two workers interleave as much as they can.
    settings.mail.batch = 1;
    settings.mail.poll_interval = std::time::Duration::from_millis(20);
    let one = TestApp::start_with(database, settings.clone()).await;
    let two = one.another_instance_with(settings).await;

    let mut numbers = Vec::new();
    for i in 0..5 {
        let (to_one, to_two) = (format!("one{i}@example.com"), format!("two{i}@example.com"));
        let (a, b) = tokio::join!(file_one(&one, &to_one), file_one(&two, &to_two));
        numbers.extend([a, b]);
    }

    smtp.wait_for(numbers.len()).await;
    let rows = one.all_mail_sent().await;
    assert!(
        rows.iter().all(|r| r.attempts == 1),
        "claimed once each: {rows:?}"
    );
    assert_each_case_mailed_once(&smtp.mails(), &numbers);
}

#[tokio::test]
async fn the_worker_command_delivers_due_mail_and_exits() {
    let smtp = SmtpServer::start();
    // No in-process worker: the mail waits for `appealdesk worker`.
    let app = spawn_app().await;
    let number = file_one(&app, "cli@example.com").await;
    assert_eq!(app.outbox()[0].status, "pending");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_appealdesk"))
        .args(["worker", "--once"])
        .env("DATABASE_URL", app.database.env_url())
        .env("SMTP_URL", smtp.url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run appealdesk worker");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject().contains(&number));
    assert_eq!(app.outbox()[0].status, "sent");
}

#[tokio::test]
async fn stopping_the_server_stops_its_worker() {
    let smtp = SmtpServer::start();
    let database = TestDatabase::fresh();
    crate::helpers::count_start();
    let app = appealdesk::startup::Application::build(mail_settings(&database, &smtp))
        .await
        .expect("the application starts");
    let handle = app.handle();
    let serving = tokio::spawn(app.run_until_stopped());
    handle.stop(true).await;
    // `run_until_stopped` returns only once the worker's task has ended.
    let served = tokio::time::timeout(crate::smtp::PATIENCE, serving)
        .await
        .expect("the server and its worker stop");
    served.expect("the serving task").expect("a clean stop");
}
