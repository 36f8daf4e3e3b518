//! Outbox leases with real workers and a real SMTP server that hangs (SIGSTOP): a send
//! longer than the lease keeps its claim, and a stopping worker gives back the rest.

use std::sync::Arc;
use std::time::Duration;

use appealdesk::config::{Clock, Settings};
use appealdesk::email::{Wake, Worker};

use crate::helpers::*;
use crate::mail_helpers::mail_settings;
use crate::smtp::{PATIENCE, SmtpServer, eventually};

/// A server without a worker (it only migrates), and settings for workers of our own.
async fn app_and_worker_settings(smtp: &SmtpServer, lease: Duration) -> (TestApp, Settings) {
    let database = Arc::new(TestDatabase::fresh());
    let mut settings = mail_settings(&database, smtp);
    settings.mail.lease = lease;
    let app = TestApp::start(database, Clock::System).await;
    (app, settings)
}

fn worker(settings: &Settings) -> appealdesk::email::worker::Running {
    let store = appealdesk::storage::Store::open(&settings.database, 2).expect("worker store");
    Worker::new(store, &settings.mail, Clock::System, Wake::default())
        .expect("worker")
        .spawn()
}

#[tokio::test]
async fn a_send_longer_than_the_lease_keeps_its_claim_and_goes_out_once() {
    let smtp = SmtpServer::start();
    let lease = Duration::from_millis(1500);
    let (app, settings) = app_and_worker_settings(&smtp, lease).await;
    smtp.pause();
    app.enqueue("slow@example.com", "A slow server");
    let first = worker(&settings);
    eventually("the first worker's claim", || {
        (app.outbox()[0].attempts == 1).then_some(())
    })
    .await;
    let claimed = app.lease_until(0).expect("a claim holds a lease");
    let second = worker(&settings);

    // Until the lease has been renewed past three leases from the claim: without
    // renewal the second worker would have claimed it again meanwhile.
    let long = chrono::Duration::from_std(lease * 3).unwrap();
    eventually("the lease renewed past three leases", || {
        (app.lease_until(0)? > claimed + long).then_some(())
    })
    .await;
    let row = &app.outbox()[0];
    assert_eq!(row.attempts, 1, "nobody else claimed the mail being sent");
    assert_eq!(row.status, "pending");

    smtp.resume();
    app.all_mail_sent().await;
    // Both stopped: nothing is under way any more, so what arrived is all there is.
    first.stop().await;
    second.stop().await;
    assert_eq!(smtp.mails().len(), 1, "one mail, sent once");
}

#[tokio::test]
async fn a_stopping_worker_sends_the_mail_it_began_and_gives_back_the_rest() {
    let smtp = SmtpServer::start();
    let (app, settings) = app_and_worker_settings(&smtp, Duration::from_secs(60)).await;
    smtp.pause();
    for i in 0..3 {
        app.enqueue(&format!("r{i}@example.com"), "Hello");
    }
    let running = worker(&settings);
    eventually("the three mails claimed", || {
        app.outbox().iter().all(|r| r.attempts == 1).then_some(())
    })
    .await;
    // Claimed is not yet sending: wait for the worker's connection to the paused server
    // (the kernel accepts it; the greeting never comes).
    eventually("the worker's connection to the mail server", || {
        (smtp.connections() >= 1).then_some(())
    })
    .await;

    let mut stopping = tokio::spawn(running.stop());
    // The stop waits for the send under way, which waits for the paused server.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut stopping)
            .await
            .is_err(),
        "the mail being sent is finished first"
    );
    smtp.resume();
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("the worker stops once its send is done")
        .expect("the stopping task");

    let rows = app.outbox();
    assert_eq!(rows.iter().filter(|r| r.status == "sent").count(), 1);
    let given_back: Vec<_> = rows.iter().filter(|r| r.status == "pending").collect();
    assert_eq!(given_back.len(), 2, "{rows:?}");
    assert!(
        given_back.iter().all(|r| r.attempts == 0),
        "given back without spending an attempt: {rows:?}"
    );

    // Due at once for the next worker, well before the 60 s lease would have ended.
    let next = worker(&settings);
    app.all_mail_sent().await;
    let mut to: Vec<_> = smtp
        .wait_for(3)
        .await
        .iter()
        .map(|m| m.envelope_to.join(","))
        .collect();
    to.sort();
    assert_eq!(to, ["r0@example.com", "r1@example.com", "r2@example.com"]);
    next.stop().await;
}
