//! The holes a probe of the release binary found (issue 21), each replayed as the attacker
//! did it: the server must still answer, record, refuse and keep nothing it should not.

use appealdesk::db::schema::{case_events, evidence_blobs, outbox, pending_files};
use appealdesk::domain::agent::Role;
use chrono::Utc;
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;

fn receipt_pdf() -> (&'static str, Vec<u8>) {
    ("电子回单.pdf", fixture("e-receipt.pdf"))
}

#[tokio::test]
async fn a_calendar_file_nested_2000_deep_is_refused_and_the_server_still_answers() {
    let app = spawn_app().await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    // 2,000 nested BEGIN:X blocks (~32 KB) overflowed the parser's stack and killed the process.
    let ics = format!(
        "BEGIN:VCALENDAR\r\n{}{}END:VCALENDAR\r\n",
        "BEGIN:X\r\n".repeat(2000),
        "END:X\r\n".repeat(2000)
    );
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", boss.csrf.clone())
        .text("year", "2027")
        .part(
            "ics",
            reqwest::multipart::Part::bytes(ics.into_bytes())
                .file_name("deep.ics")
                .mime_str("text/calendar")
                .unwrap(),
        );
    let refused = boss
        .client
        .post(boss.url("/agent/calendar/ics"))
        .multipart(form)
        .send()
        .await
        .expect("an answer, not a dead server");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains("嵌套超过 8 层"), "the problem is named");
    // The server is still there for the next request.
    let after = boss.get_html("/agent/calendar").await;
    assert!(!after.contains("data-year=\"2027\""), "nothing was loaded");
}

/// An agent's events of one kind, as stored.
fn events_of(app: &TestApp, kind: &str) -> Vec<String> {
    case_events::table
        .filter(case_events::kind.eq(kind))
        .select(case_events::actor)
        .load(&mut *app.conn())
        .expect("events")
}

#[tokio::test]
async fn evidence_opened_by_a_script_without_fetch_metadata_is_recorded_once() {
    let app = spawn_app().await;
    let (case, _, _) = app
        .filed_case_with(&AppealFields::valid(Utc::now()), &[receipt_pdf()])
        .await;
    app.create_agent("a@example.com", Role::Agent);
    let agent = app.sign_in("a@example.com").await;
    // A plain HTTP client with the agent's cookie: no Sec-Fetch-Site header at all.
    let page = agent
        .client
        .get(agent.url(&format!("/agent/cases/{case}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let links = file_links(&page.text().await.unwrap());
    assert_eq!(links.len(), 1);
    for _ in 0..3 {
        let file = agent.client.get(agent.url(&links[0])).send().await.unwrap();
        assert_eq!(file.status(), StatusCode::OK);
        assert_eq!(
            file.bytes().await.unwrap().as_ref(),
            fixture("e-receipt.pdf")
        );
    }
    assert_eq!(
        events_of(&app, "viewed_evidence").len(),
        1,
        "the case view is recorded"
    );
    let opened = events_of(&app, "evidence_opened");
    assert_eq!(
        opened.len(),
        1,
        "one record per agent and file in 10 minutes"
    );
    assert!(opened[0].contains("a@example.com"), "{opened:?}");
}

#[tokio::test]
async fn a_reply_with_a_file_to_a_case_that_does_not_exist_stores_nothing() {
    let app = spawn_app().await;
    app.filed_case(&AppealFields::valid(Utc::now())).await;
    // Any public form hands out a valid form token (and its cookie).
    let csrf = app.open_form().await;
    let count = |app: &TestApp| -> (i64, i64) {
        let mut conn = app.conn();
        (
            evidence_blobs::table
                .count()
                .get_result(&mut *conn)
                .unwrap(),
            pending_files::table.count().get_result(&mut *conn).unwrap(),
        )
    };
    let before = count(&app);
    let fields = vec![
        ("text".to_owned(), "Here is my receipt.".to_owned()),
        ("csrf_token".to_owned(), csrf),
    ];
    let refused = app
        .post_multipart("/track/NOT-A-TOKEN/reply", &fields, &[receipt_pdf()])
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(count(&app), before, "no blob, no pending file");
}

/// The real binary under `umask 000`: what it creates must still be its owner's alone.
fn appealdesk_umask_000(
    database: &TestDatabase,
    mail: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_appealdesk"))
        .args(args)
        .env("DATABASE_URL", database.env_url())
        .env("MAIL_DIR", mail)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run appealdesk");
    assert!(
        out.status.success(),
        "appealdesk {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_database_its_backups_and_the_mail_folder_are_the_owners_alone_under_a_permissive_umask()
 {
    use appealdesk::config::{Clock, DatabaseUrl};
    let database = std::sync::Arc::new(TestDatabase::empty());
    let dir = std::env::temp_dir().join(format!("appealdesk-modes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mail = dir.join("mail");
    appealdesk_umask_000(&database, &mail, &["migrate"]);

    // A filing leaves a receipt in the outbox; the worker writes it as an .eml file.
    let app = TestApp::start(database.clone(), Clock::System).await;
    app.filed_case(&AppealFields::valid(Utc::now())).await;
    appealdesk_umask_000(&database, &mail, &["worker", "--once"]);
    assert_eq!(mode(&mail), 0o700, "the mail folder");
    let mails: Vec<_> = std::fs::read_dir(&mail)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert!(!mails.is_empty(), "the receipt was written");
    for eml in &mails {
        assert_eq!(mode(eml), 0o600, "{}", eml.display());
    }

    let DatabaseUrl::Sqlite(db) = database.url.clone() else {
        return; // PostgreSQL keeps its own files (and backups are pg_dump's).
    };
    for suffix in ["", "-wal", "-shm"] {
        let path = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    let copy = dir.join("backup.db");
    appealdesk_umask_000(&database, &mail, &["backup", copy.to_str().unwrap()]);
    assert_eq!(mode(&copy), 0o600, "the backup");
    app.stop().await;
    appealdesk_umask_000(&database, &mail, &["restore", copy.to_str().unwrap()]);
    assert_eq!(mode(&db), 0o600, "the restored database");
    let _ = std::fs::remove_dir_all(&dir);
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server as its own process (the upload budget is process-wide: filling it here must
/// not touch the other tests' servers), its port read from its log.
fn serve_alone(
    database: &TestDatabase,
    mail: &std::path::Path,
    body_timeout: &str,
) -> (KillOnDrop, u16) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut server = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_appealdesk"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", database.env_url())
            .env("MAIL_WORKER", "off")
            .env("MAIL_DIR", mail)
            .env("BODY_TIMEOUT_SECS", body_timeout)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server"),
    );
    let stderr = server.0.stderr.take().expect("stderr");
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let plain: String = line.replace("\u{1b}[", " ");
            if let Some(port) = plain.split("port=").nth(1) {
                let port: String = port.chars().take_while(char::is_ascii_digit).collect();
                if let Ok(port) = port.parse::<u16>() {
                    let _ = port_tx.send(port);
                }
            }
        }
    });
    let port = port_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the server says its port");
    (server, port)
}

/// A noise PNG of about `side`² × 3 bytes: it does not compress, so it weighs what it says.
fn noise_png(side: u32, seed: u64) -> Vec<u8> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut state = seed | 1;
    let pixels: Vec<u8> = (0..side * side * 3)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let mut png = Vec::new();
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::NoFilter)
        .write_image(&pixels, side, side, image::ExtendedColorType::Rgb8)
        .expect("encode");
    png
}

#[tokio::test]
async fn stalled_uploads_from_one_address_do_not_make_a_normal_filing_wait_or_get_503() {
    use std::io::{Read, Write};
    const MIB: usize = 1024 * 1024;
    let database = TestDatabase::fresh();
    let mail = std::env::temp_dir().join(format!("appealdesk-stall-mail-{}", std::process::id()));
    // A stall is given up after 5 s here (30 s in production).
    let (server, port) = serve_alone(&database, &mail, "5");

    // Three connections from one address send 10 + 10 + 8 MiB of file parts (84 MiB of the
    // 96 MiB budget) and then nothing, keeping their connections open.
    let (sent_tx, sent_rx) = std::sync::mpsc::channel();
    let mut stalled = Vec::new();
    for c in 0..3 {
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut writer = stream.try_clone().unwrap();
        stalled.push(stream);
        let sent_tx = sent_tx.clone();
        std::thread::spawn(move || {
            let head = "POST /appeals HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                        Content-Type: multipart/form-data; boundary=STALL\r\n\
                        Content-Length: 41943040\r\n\r\n";
            let mut sent = writer.write_all(head.as_bytes());
            for (i, size) in [10 * MIB, 10 * MIB, 8 * MIB].into_iter().enumerate() {
                let part = format!(
                    "--STALL\r\nContent-Disposition: form-data; name=\"evidence\"; \
                     filename=\"c{c}-{i}.png\"\r\nContent-Type: image/png\r\n\r\n"
                );
                sent = sent
                    .and_then(|()| writer.write_all(part.as_bytes()))
                    .and_then(|()| writer.write_all(&vec![b'x'; size]))
                    .and_then(|()| {
                        // The third part never ends: the request stalls in it.
                        if i < 2 {
                            writer.write_all(b"\r\n")
                        } else {
                            Ok(())
                        }
                    });
            }
            let _ = sent_tx.send(sent.is_ok());
        });
    }
    // Until the three have sent everything, or the server stopped reading some of them.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(8);
    for _ in 0..3 {
        let left = until.saturating_duration_since(std::time::Instant::now());
        let _ = sent_rx.recv_timeout(left);
    }

    // Another address files a case with 12 MiB of pictures: it is not left waiting for the
    // stalled uploads' room.
    let normal = client_from("127.0.0.2");
    let base = format!("http://127.0.0.1:{port}");
    let form_page = normal
        .get(format!("{base}/appeals/new"))
        .send()
        .await
        .unwrap();
    let token = attr(
        &form_page.text().await.unwrap(),
        "name=\"csrf_token\" value=\"",
    )
    .unwrap();
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in AppealFields::valid(Utc::now()).with_token(&token) {
        form = form.text(k, v);
    }
    for seed in [7, 11] {
        let part = reqwest::multipart::Part::bytes(noise_png(1450, seed))
            .file_name(format!("bill-{seed}.png"))
            .mime_str("image/png")
            .unwrap();
        form = form.part("evidence", part);
    }
    let filed = normal
        .post(format!("{base}/appeals"))
        .multipart(form)
        .send()
        .await
        .expect("the normal filing is answered");
    assert_eq!(
        filed.status(),
        StatusCode::SEE_OTHER,
        "{}",
        filed.text().await.unwrap_or_default()
    );

    // Each stalled connection loses its room: an answer (408 for the stall, 503 for one
    // that waited past its address's share), not a 15-minute hold earned by its bytes.
    for mut stream in stalled {
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let mut answer = [0u8; 64];
        let n = stream.read(&mut answer).unwrap_or(0);
        let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
        assert!(
            answer.starts_with("HTTP/1.1 408") || answer.starts_with("HTTP/1.1 503"),
            "a stalled upload is given up: {answer:?}"
        );
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.0.id())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    eprintln!("stalled uploads: server peak RSS {peak_kib} KiB");
    assert!(
        peak_kib * 1024 <= appealdesk::domain::policy::PROCESS_MEMORY_CAP_BYTES,
        "peak RSS {peak_kib} KiB"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&mail);
}

#[tokio::test]
async fn the_receipt_mail_counts_files_by_kind_and_never_repeats_their_names() {
    let app = spawn_app().await;
    let phishing = (
        "账单已冻结 请访问 evil.example.com 解冻.png",
        fixture("screenshot-1170x2532.png"),
    );
    app.filed_case_with(&AppealFields::valid(Utc::now()), &[phishing, receipt_pdf()])
        .await;
    let (text, html): (String, String) = outbox::table
        .filter(outbox::message.eq("receipt"))
        .select((outbox::body_text, outbox::body_html))
        .first(&mut *app.conn())
        .expect("a receipt");
    for part in [&text, &html] {
        assert!(
            part.contains("图片 1 张") && part.contains("PDF 文件 1 个"),
            "{part}"
        );
        assert!(!part.contains("evil.example"), "{part}");
        assert!(!part.contains("电子回单"), "{part}");
    }
}

fn assert_security_headers(response: &reqwest::Response, https: bool, what: &str) {
    let headers = response.headers();
    let hsts = https.then_some("strict-transport-security");
    for name in [
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
    ]
    .into_iter()
    .chain(hsts)
    {
        assert!(
            headers.contains_key(name),
            "{what}: no {name} in {headers:?}"
        );
    }
}

#[tokio::test]
async fn answers_raised_before_a_handler_carry_the_security_headers_and_head_is_answered_like_get()
{
    use appealdesk::config::Clock;
    let app = spawn_app_configured(Clock::System, |s| {
        s.public_base_url = Some("https://appeals.example.cn".into());
    })
    .await;
    // The sign-in redirect and the supervisors-only refusal come from the console's guard.
    let redirect = app.get("/agent/cases").await;
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    assert_security_headers(&redirect, true, "the sign-in redirect");
    // (A script's cookie jar keeps a Secure session cookie off plain http: sign in over http.)
    let plain = spawn_app().await;
    plain.create_agent("a@example.com", Role::Agent);
    let agent = plain.sign_in("a@example.com").await;
    let refused = agent.get("/agent/dashboard").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_security_headers(&refused, false, "the 403");

    // Under https the language cookie is Secure.
    let switched = app.get("/lang/en?next=/").await;
    let cookie = switched.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("lang=en") && cookie.contains("Secure"),
        "{cookie}"
    );

    // HEAD: GET's status and head, no body.
    let get = app.get("/appeals/new").await;
    let head = app
        .client
        .head(app.url("/appeals/new"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        head.headers()["content-type"],
        get.headers()["content-type"]
    );
    assert_security_headers(&head, true, "HEAD");
    assert!(head.bytes().await.unwrap().is_empty());
}
