//! Apps that send mail to the test SMTP server, and a look at the outbox table.

use std::sync::Arc;
use std::time::Duration;

use appealdesk::config::{Clock, Settings};
use appealdesk::db::outbox::NewMail;
use appealdesk::db::schema::outbox;
use chrono::Utc;
use diesel::prelude::*;

use crate::helpers::{TestApp, TestDatabase, settings};
use crate::smtp::{SmtpServer, eventually};

/// The in-process worker on, delivering to `smtp`, polling and retrying quickly.
pub fn mail_settings(database: &TestDatabase, smtp: &SmtpServer) -> Settings {
    let mut settings = settings(database, Clock::System);
    settings.mail.smtp_url = Some(smtp.url());
    settings.mail.run_worker = true;
    settings.mail.poll_interval = Duration::from_millis(100);
    settings.mail.retry_base = Duration::from_millis(200);
    settings.mail.retry_cap = Duration::from_secs(1);
    settings
}

pub async fn spawn_app_with_mail(smtp: &SmtpServer) -> TestApp {
    let database = Arc::new(TestDatabase::fresh());
    let settings = mail_settings(&database, smtp);
    TestApp::start_with(database, settings).await
}

#[derive(Queryable, Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub message: String,
    pub recipient: String,
    pub lang: String,
    pub case_id: Option<i64>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

impl TestApp {
    /// Another instance on the same database, with its own worker.
    pub async fn another_instance_with(&self, settings: Settings) -> TestApp {
        TestApp::start_with(self.database.clone(), settings).await
    }

    pub fn outbox(&self) -> Vec<OutboxRow> {
        outbox::table
            .order(outbox::id)
            .select((
                outbox::id,
                outbox::message,
                outbox::recipient,
                outbox::lang,
                outbox::case_id,
                outbox::status,
                outbox::attempts,
                outbox::last_error,
            ))
            .load(&mut *self.conn())
            .expect("outbox rows")
    }

    /// The lease on the `n`th outbox row, if it is claimed.
    pub fn lease_until(&self, n: usize) -> Option<chrono::NaiveDateTime> {
        outbox::table
            .order(outbox::id)
            .select(outbox::lease_until)
            .load::<Option<chrono::NaiveDateTime>>(&mut *self.conn())
            .expect("outbox leases")
            .get(n)
            .copied()
            .flatten()
    }

    /// Waits until every mail in the outbox is sent: nothing more will go out.
    pub async fn all_mail_sent(&self) -> Vec<OutboxRow> {
        eventually("every outbox row to be sent", || {
            let rows = self.outbox();
            rows.iter().all(|r| r.status == "sent").then_some(rows)
        })
        .await
    }

    /// Queues a mail directly, as a workflow would.
    pub fn enqueue(&self, recipient: &str, subject: &str) {
        appealdesk::db::outbox::enqueue(
            &mut self.conn(),
            &NewMail {
                message: "test",
                recipient,
                lang: appealdesk::domain::Lang::En,
                subject,
                body_text: "Hello.",
                body_html: "<p>Hello.</p>",
                case_id: None,
                created_at: Utc::now().naive_utc(),
            },
        )
        .expect("enqueue");
    }
}
