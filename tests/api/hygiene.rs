//! The edge's hygiene: bodies that trickle in, links no request can choose, HSTS, and
//! `no-store` on every page that shows an appellant's evidence.

use std::time::{Duration, Instant};

use appealdesk::config::Clock;
use chrono::Utc;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

#[tokio::test]
async fn a_body_that_stalls_gets_408_and_its_connection_closed() {
    let app = spawn_app_configured(Clock::System, |s| {
        s.edge.body_timeout = Duration::from_secs(1);
    })
    .await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    for (path, content_type) in [
        ("/appeals", "application/x-www-form-urlencoded"),
        ("/appeals", "multipart/form-data; boundary=XYZ"),
        ("/agent/login", "application/x-www-form-urlencoded"),
    ] {
        let mut stream = TcpStream::connect(format!("127.0.0.1:{port}"))
            .await
            .unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
             Content-Length: 1000\r\n\r\n--XYZ\r\nwechat_id=wx"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        // ...and nothing more: the rest never comes.
        let started = Instant::now();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .expect("the server answers and closes within seconds");
        read.expect("read to the end");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{path}: not before the deadline"
        );
    }
    // A body that arrives in time is served as always.
    assert_eq!(
        app.file(&AppealFields::valid(Utc::now())).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_receipts_link_ignores_the_host_the_request_names() {
    let app = spawn_app().await;
    let response = app.file(&AppealFields::valid(Utc::now())).await;
    let receipt = location(&response);
    let html = app
        .client
        .get(app.url(&receipt))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("forwarded", "host=evil.example;proto=https")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("evil.example"), "{html}");
    let token = receipt.replace("/appeals/receipt/", "");
    assert!(
        html.contains(&format!("{}/track/{token}", app.address)),
        "the link starts at this server's own address"
    );
}

#[tokio::test]
async fn links_start_at_the_public_base_url_and_https_brings_hsts() {
    let smtp = crate::smtp::SmtpServer::start();
    let database = std::sync::Arc::new(TestDatabase::fresh());
    let mut settings = crate::mail_helpers::mail_settings(&database, &smtp);
    settings.public_base_url = Some("https://appeals.example.cn".to_owned());
    let app = TestApp::start_with(database, settings).await;
    let home = app.get("/").await;
    assert_eq!(
        home.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    // The receipt's tracking link, sent to a request whose Host says otherwise.
    let token = app.open_form().await;
    let response = app
        .client
        .post(app.url("/appeals"))
        .header("Host", "attacker.example")
        .header("X-Forwarded-Host", "attacker.example")
        .form(&AppealFields::valid(Utc::now()).with_token(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = location(&response).replace("/appeals/receipt/", "");
    let mail = smtp.wait_for(1).await.remove(0);
    for body in [mail.text(), mail.html()] {
        assert!(
            body.contains(&format!("https://appeals.example.cn/track/{token}")),
            "{body}"
        );
        assert!(!body.contains("attacker.example"), "{body}");
        assert!(!body.contains("127.0.0.1"), "{body}");
    }

    let plain = spawn_app().await;
    let home = plain.get("/").await;
    assert!(!home.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn pages_that_show_an_appellants_evidence_are_never_stored() {
    let app = spawn_app().await;
    let screenshot = ("bill.png", fixture("screenshot-1170x2532.png"));
    let (_, token, _) = app
        .filed_case_with(
            &AppealFields::valid(Utc::now()),
            std::slice::from_ref(&screenshot),
        )
        .await;
    for path in [
        format!("/appeals/receipt/{token}"),
        format!("/track/{token}"),
        format!("/track/{token}/withdraw"),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
    // A refused filing echoes the evidence back.
    let refused = app
        .file_with(
            &AppealFields::valid(Utc::now()).set("amount", "1.00"),
            &[screenshot],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.headers()["cache-control"], "no-store");
}
