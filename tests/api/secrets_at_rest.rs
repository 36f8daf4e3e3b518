//! No tracking token readable in the database once its mail is delivered; sent mail
//! deleted after its retention.

use std::sync::Arc;

use appealdesk::config::Clock;
use appealdesk::db::DbConn;
use chrono::Duration;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::helpers::*;
use crate::mail_helpers::*;
use crate::smtp::SmtpServer;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Every column of every table of the app's database, with its declared type.
fn columns(conn: &mut DbConn) -> Vec<Column> {
    match conn {
        DbConn::Postgres(c) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             data_type::text AS data_type FROM information_schema.columns \
             WHERE table_schema = 'public'",
        )
        .load(c)
        .expect("columns"),
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type \
             FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .load(c)
        .expect("columns"),
    }
}

/// The `table.column`s of text or binary type holding `needle` anywhere in any row.
pub fn columns_holding(conn: &mut DbConn, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut searched = 0;
    for col in columns(conn) {
        let kind = col.data_type.to_lowercase();
        let (table, column) = (&col.table_name, &col.column_name);
        let hits: i64 = match &mut *conn {
            DbConn::Postgres(c) => {
                let sql = if kind == "bytea" {
                    format!(
                        "SELECT COUNT(*) AS n FROM \"{table}\" \
                         WHERE position(convert_to($1, 'UTF8') in \"{column}\") > 0"
                    )
                } else if kind.contains("char") || kind == "text" {
                    format!(
                        "SELECT COUNT(*) AS n FROM \"{table}\" WHERE position($1 in \"{column}\") > 0"
                    )
                } else {
                    continue;
                };
                diesel::sql_query(sql)
                    .bind::<Text, _>(needle)
                    .get_result::<Count>(c)
                    .expect("search")
                    .n
            }
            DbConn::Sqlite(c) => {
                if !(kind.is_empty()
                    || kind.contains("text")
                    || kind.contains("char")
                    || kind.contains("blob"))
                {
                    continue;
                }
                diesel::sql_query(format!(
                    "SELECT COUNT(*) AS n FROM \"{table}\" \
                     WHERE instr(CAST(\"{column}\" AS BLOB), CAST(? AS BLOB)) > 0"
                ))
                .bind::<Text, _>(needle)
                .get_result::<Count>(c)
                .expect("search")
                .n
            }
        };
        searched += 1;
        if hits > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    assert!(searched > 20, "searched only {searched} columns");
    found
}

/// The token of the first tracking link in a mail's text.
pub fn link_token(text: &str) -> String {
    let at = text.find("/track/").expect("a tracking link") + "/track/".len();
    text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn a_delivered_receipt_leaves_no_tracking_token_in_the_database_and_sent_mail_goes_after_its_retention()
 {
    let smtp = SmtpServer::start();
    let database = Arc::new(TestDatabase::fresh());
    let mut settings = mail_settings(&database, &smtp);
    settings.clock = Clock::manual(cst("2026-11-23 10:00:00"));
    let app = TestApp::start_with(database, settings).await;
    let (_, receipt_token) = app.filed_case(&AppealFields::valid(app.clock.now())).await;

    let mails = smtp.wait_for(1).await;
    app.all_mail_sent().await;
    let token = link_token(&mails[0].text());
    assert_eq!(token, receipt_token, "the mailed link is the case's");
    assert!(token.len() >= 43);
    assert_eq!(
        columns_holding(&mut app.conn(), &token),
        Vec::<String>::new(),
        "the token is readable in these columns"
    );
    // Still the case's link: only its digest opened it.
    assert_eq!(
        app.get(&format!("/track/{token}")).await.status(),
        reqwest::StatusCode::OK
    );

    app.clock.advance(Duration::days(29));
    app.run_jobs();
    assert_eq!(app.count("outbox"), 1, "kept for 30 days");
    app.clock.advance(Duration::days(2));
    app.run_jobs();
    assert_eq!(app.count("outbox"), 0, "deleted after 30 days");
}
