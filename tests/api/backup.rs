//! `appealdesk backup` and `restore` on the embedded SQLite file, with the real binary
//! while the server keeps filing.

use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use appealdesk::config::{Clock, DatabaseUrl};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;

fn appealdesk(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_appealdesk"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run appealdesk")
}

#[derive(QueryableByName)]
struct TransactionId {
    #[diesel(sql_type = diesel::sql_types::Text)]
    transaction_id: String,
}

fn transaction_ids(path: &std::path::Path) -> Vec<String> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("open the copy");
    diesel::sql_query("SELECT transaction_id FROM cases")
        .load::<TransactionId>(&mut conn)
        .expect("cases")
        .into_iter()
        .map(|r| r.transaction_id)
        .collect()
}

#[tokio::test]
async fn a_backup_under_a_stream_of_filings_is_whole_and_restores_only_when_nothing_runs() {
    let database = Arc::new(TestDatabase::fresh());
    let DatabaseUrl::Sqlite(db_path) = database.url.clone() else {
        // PostgreSQL has pg_dump: the command says so rather than copying anything.
        let out = appealdesk(&database.env_url(), &["backup", "/tmp/never-written.db"]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        return;
    };
    let app = Arc::new(TestApp::start(database.clone(), Clock::System).await);
    let dir = db_path.parent().expect("the test's folder").to_owned();
    let copy = dir.join("backup.db");

    // Filings keep arriving before, during and after the backup.
    let stop = Arc::new(AtomicBool::new(false));
    let filer = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let appeal = AppealFields::valid(app.clock.now());
                let response = app.file(&appeal).await;
                assert_eq!(response.status(), StatusCode::SEE_OTHER);
                acknowledged.push(appeal.get("transaction_id").to_owned());
            }
            acknowledged
        })
    };
    while app.count("cases") < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Every filing acknowledged before this moment must be in the copy.
    let before: Vec<String> = transaction_ids(&db_path);
    let url = database.env_url();
    let out = tokio::task::spawn_blocking({
        let (url, copy) = (url.clone(), copy.clone());
        move || appealdesk(&url, &["backup", copy.to_str().expect("UTF-8 path")])
    })
    .await
    .expect("backup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    appealdesk::db::sqlite_file::integrity(&copy).expect("the copy passes integrity_check");
    let copied = transaction_ids(&copy);
    // Filings go on after the copy was taken.
    while app.count("cases") <= copied.len() as i64 + 1 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let acknowledged = filer.await.expect("the filing task");
    let missing: Vec<_> = before.iter().filter(|t| !copied.contains(t)).collect();
    assert!(
        missing.is_empty(),
        "filings acknowledged before the backup are missing: {missing:?}"
    );
    assert!(
        acknowledged.len() > copied.len(),
        "filings went on during the backup"
    );
    assert!(
        appealdesk(&url, &["backup", copy.to_str().unwrap()])
            .status
            .code()
            != Some(0),
        "an existing file is never overwritten"
    );

    // The server (and this test's pool) hold the database: restore refuses.
    let out = appealdesk(&url, &["restore", copy.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in use"),
        "{out:?}"
    );
    assert!(
        transaction_ids(&db_path).len() > copied.len(),
        "nothing was touched"
    );

    // Everything stopped: restore puts the copy in place, keeping the replaced file.
    let app = Arc::into_inner(app).expect("the only owner of the app");
    app.stop().await;
    // A mistyped path, or a SQLite file that is not ours, replaces nothing.
    let before = transaction_ids(&db_path).len();
    let stranger = dir.join("stranger.db");
    SqliteConnection::establish(&stranger.to_string_lossy())
        .unwrap()
        .batch_execute("CREATE TABLE t (x INTEGER)")
        .unwrap();
    for wrong in [dir.join("no-such-backup.db"), stranger] {
        let out = appealdesk(&url, &["restore", wrong.to_str().unwrap()]);
        assert!(!out.status.success(), "{} restored", wrong.display());
        assert_eq!(transaction_ids(&db_path).len(), before, "nothing replaced");
    }
    assert!(
        !dir.join("no-such-backup.db").exists(),
        "no empty file made"
    );
    let out = appealdesk(&url, &["restore", copy.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut restored = transaction_ids(&db_path);
    let mut expected = copied;
    restored.sort();
    expected.sort();
    assert_eq!(restored, expected);
    assert!(dir.join("appealdesk.db.before-restore").exists());
    appealdesk::db::sqlite_file::integrity(&db_path).expect("the restored database is whole");
}
