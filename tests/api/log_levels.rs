//! Logs that do not cry wolf: answers the server gives on purpose (a redirect to the
//! sign-in page, a 404 for `/metrics` without its token, an unknown page) are not logged
//! at WARN or ERROR, which are for what an operator must act on.

use std::net::TcpListener;
use std::process::Stdio;

use crate::helpers::*;
use crate::smtp::eventually;

#[tokio::test]
async fn expected_answers_log_nothing_at_warn_or_error() {
    let database = TestDatabase::fresh();
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a loopback port")
        .port();
    let log = std::env::temp_dir().join(format!("appealdesk_log_levels_{port}.log"));
    let mail_dir = std::env::temp_dir().join(format!("appealdesk_log_levels_mail_{port}"));
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_appealdesk"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database.env_url())
        .env("MAIL_DIR", &mail_dir)
        .env("RUST_LOG", "debug,actix_server=info")
        .env("LOG_FORMAT", "json")
        .env_remove("METRICS_TOKEN")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("the log file"))
        .spawn()
        .expect("run appealdesk serve");
    let address = format!("127.0.0.1:{port}");
    eventually("the server to answer", || {
        std::net::TcpStream::connect(&address).ok().map(drop)
    })
    .await;
    let client = client();
    for (path, status) in [
        ("/agent", 303),
        ("/agent/cases", 303),
        ("/metrics", 404),
        ("/nowhere", 404),
    ] {
        let response = client
            .get(format!("http://{address}{path}"))
            .send()
            .await
            .expect(path);
        assert_eq!(response.status().as_u16(), status, "{path}");
    }
    let pid = libc::pid_t::try_from(server.id()).expect("pid");
    // SAFETY: signals the child we started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = eventually("the server to exit", || server.try_wait().expect("wait")).await;
    assert!(status.success(), "{status:?}");

    let text = std::fs::read_to_string(&log).expect("the log");
    let levels: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|event| {
            (
                event["level"].as_str().unwrap_or_default().to_owned(),
                event.to_string(),
            )
        })
        .collect();
    assert!(
        levels
            .iter()
            .any(|(level, e)| level == "DEBUG" && e.contains("sign-in required")),
        "the redirect is still logged, at DEBUG: {text}"
    );
    let loud: Vec<&String> = levels
        .iter()
        .filter(|(level, _)| level == "WARN" || level == "ERROR")
        .map(|(_, event)| event)
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
    let _ = std::fs::remove_file(log);
    let _ = std::fs::remove_dir_all(mail_dir);
}
