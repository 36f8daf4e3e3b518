//! Evidence files through the real server: filed with the form, cleaned before they are
//! stored, kept when a form is refused, served only to whoever may see the case.

use appealdesk::db::schema::outbox;
use appealdesk::domain::agent::Role;
use chrono::Utc;
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;

fn screenshot() -> (&'static str, Vec<u8>) {
    ("账单详情.png", fixture("screenshot-1170x2532.png"))
}

fn photo() -> (&'static str, Vec<u8>) {
    ("IMG_0001.jpg", fixture("gps-photo.jpg"))
}

fn receipt_pdf() -> (&'static str, Vec<u8>) {
    ("电子回单.pdf", fixture("e-receipt.pdf"))
}

/// The error shown next to the file field, if any.
fn file_error(html: &str) -> Option<String> {
    html.split("data-error-for=\"evidence\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .map(str::to_owned)
}

fn pending_files(html: &str) -> usize {
    html.matches("data-field=\"pending-file\"").count()
}

#[tokio::test]
async fn a_filing_with_two_images_and_a_pdf_keeps_all_three_cleaned() {
    let app = spawn_app().await;
    let (case, token, links) = app
        .filed_case_with(
            &AppealFields::valid(Utc::now()),
            &[screenshot(), photo(), receipt_pdf()],
        )
        .await;
    assert!(
        links
            .iter()
            .all(|l| l.starts_with(&format!("/track/{token}/files/")))
    );

    // The tracking page lists them too, with thumbnails for the images.
    let page = app.get_html(&format!("/track/{token}")).await;
    assert_eq!(file_links(&page), links);
    assert_eq!(
        page.matches("?thumb=1").count(),
        2,
        "thumbnails for images only"
    );

    // The photo is stored upright (orientation 6 applied) with no EXIF left: no GPS position
    // leaves with the screenshot.
    let stored = app.get(&links[1]).await;
    assert_eq!(stored.status(), StatusCode::OK);
    assert_eq!(stored.headers()["content-type"], "image/jpeg");
    assert_eq!(stored.headers()["x-content-type-options"], "nosniff");
    assert_eq!(stored.headers()["cache-control"], "no-store");
    let bytes = stored.bytes().await.expect("photo");
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "no EXIF block");
    assert!(!bytes.windows(4).any(|w| w == b"GPS\0"), "no GPS tags");
    let original = fixture("gps-photo.jpg");
    assert!(
        original.windows(4).any(|w| w == b"Exif"),
        "the fixture had EXIF"
    );
    let image = image::load_from_memory(&bytes).expect("a JPEG");
    assert_eq!((image.width(), image.height()), (600, 800), "upright");

    let thumb = app.get(&format!("{}?thumb=1", links[0])).await;
    assert_eq!(thumb.status(), StatusCode::OK);
    let thumb = image::load_from_memory(&thumb.bytes().await.expect("thumb")).expect("image");
    assert!(thumb.width().max(thumb.height()) <= 320);

    // The PDF is a download, in a sandbox, as sent.
    let pdf = app.get(&links[2]).await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert_eq!(pdf.headers()["content-security-policy"], "sandbox");
    let disposition = pdf.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(
        pdf.bytes().await.unwrap().as_ref(),
        fixture("e-receipt.pdf")
    );

    // Agents see the same files next to the typed evidence; opening one is recorded once.
    app.create_agent("a@example.com", Role::Agent);
    let agent = app.sign_in("a@example.com").await;
    let html = agent.get_html(&format!("/agent/cases/{case}")).await;
    let agent_links = file_links(&html);
    assert_eq!(agent_links.len(), 3);
    for _ in 0..2 {
        let opened = agent.get(&agent_links[0]).await;
        assert_eq!(opened.status(), StatusCode::OK);
        assert_eq!(opened.headers()["content-type"], "image/png");
    }
    // A link on another site opens the file, and that opening is recorded too.
    let foreign = agent.get_from(&agent_links[1], "cross-site").await;
    assert_eq!(foreign.status(), StatusCode::OK);
    // A PDF has no thumbnail.
    let no_thumb = agent.get(&format!("{}?thumb=1", agent_links[2])).await;
    assert_eq!(no_thumb.status(), StatusCode::NOT_FOUND);
    let html = agent.get_html(&format!("/agent/cases/{case}")).await;
    let trail = html.split("data-field=\"timeline\"").nth(1).unwrap();
    assert_eq!(
        trail.matches("打开了证据文件").count(),
        2,
        "one record per file opened"
    );
    assert!(trail.contains("添加了证据文件") && trail.contains("账单详情.png"));
}

#[tokio::test]
async fn a_file_that_is_not_what_its_name_says_is_refused_next_to_the_field_and_the_form_is_kept() {
    let app = spawn_app().await;
    let appeal = AppealFields::valid(Utc::now());
    let html_as_png = (
        "screenshot.png",
        b"<!doctype html><script>alert(1)</script>".to_vec(),
    );
    let svg = (
        "chat.png",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".to_vec(),
    );
    let response = app
        .file_with(&appeal, &[html_as_png, svg, screenshot()])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    let error = file_error(&html).expect("an error next to the file field");
    assert!(
        error.contains("screenshot.png") && error.contains("chat.png"),
        "{error}"
    );
    assert!(
        html.contains(appeal.get("transaction_id")),
        "the form is kept"
    );
    assert_eq!(pending_files(&html), 1, "the good file waits for the form");
    assert_eq!(app.count("cases"), 0);
}

#[tokio::test]
async fn too_large_and_too_many_files_are_refused_naming_them() {
    let app = spawn_app().await;
    let mut big = fixture("screenshot-1170x2532.png");
    big.resize(11 * 1024 * 1024, 0);
    let response = app
        .file_with(&AppealFields::valid(Utc::now()), &[("huge.png", big)])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = file_error(&response.text().await.unwrap()).expect("error");
    assert!(
        error.contains("huge.png") && error.contains("10 MB"),
        "{error}"
    );

    let nine: Vec<(&str, Vec<u8>)> = (0..9).map(|_| receipt_pdf()).collect();
    let response = app.file_with(&AppealFields::valid(Utc::now()), &nine).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    let error = file_error(&html).expect("error");
    assert!(error.contains('8') && error.contains('9'), "{error}");
    assert_eq!(app.count("cases"), 0);
}

#[tokio::test]
async fn a_refused_filings_files_are_filed_with_the_corrected_form() {
    let app = spawn_app().await;
    let token = app.open_form().await;
    let bad = AppealFields::valid(Utc::now()).set("amount", "500.00");
    let response = app
        .post_multipart(
            "/appeals",
            &bad.with_token(&token),
            &[screenshot(), receipt_pdf()],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(pending_files(&html), 2, "both files are listed on the form");
    assert!(html.contains("账单详情.png"));

    // Remove one, without filing.
    let remove = attr(&html, "name=\"remove_file\" value=\"").expect("a remove button");
    let mut fields = bad.with_token(&token);
    fields.push(("remove_file".into(), remove));
    let response = app.post_multipart("/appeals", &fields, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(pending_files(&response.text().await.unwrap()), 1);
    assert_eq!(app.count("cases"), 0);

    // The corrected form, sent without picking the file again, files it.
    let good = bad.set("amount", "520.00");
    let response = app
        .post_multipart("/appeals", &good.with_token(&token), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let receipt = app.get_html(&location(&response)).await;
    assert_eq!(file_links(&receipt).len(), 1);
    assert!(
        receipt.contains("电子回单.pdf"),
        "the file not removed was filed"
    );
    assert_eq!(app.count("pending_files"), 0);
    // The receipt, written after the kept file was attached, counts it by kind (no names
    // in mail: a name is the sender's text).
    let mail: String = outbox::table
        .filter(outbox::message.eq("receipt"))
        .select(outbox::body_text)
        .first(&mut *app.conn())
        .expect("a receipt");
    assert!(mail.contains("PDF 文件 1 个"), "{mail}");
    assert!(
        !mail.contains("图片"),
        "the removed picture is not counted: {mail}"
    );
    assert!(!mail.contains("电子回单"), "{mail}");
}

#[tokio::test]
async fn a_used_forms_files_wait_for_a_fresh_form_and_are_filed_with_it() {
    let app = spawn_app().await;
    let token = app.open_form().await;
    let first = AppealFields::valid(Utc::now());
    let filed = app
        .post_multipart("/appeals", &first.with_token(&token), &[])
        .await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);

    // The same form again with another appeal and a file: refused, and the page is a
    // fresh form that holds the file.
    let second = AppealFields::valid(Utc::now());
    let refused = app
        .post_multipart("/appeals", &second.with_token(&token), &[receipt_pdf()])
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let html = refused.text().await.unwrap();
    let fresh = attr(&html, "name=\"csrf_token\" value=\"").expect("a form token");
    assert_ne!(fresh, token, "a fresh form");
    assert_eq!(pending_files(&html), 1, "the file is listed on it");

    // The fresh form, sent without picking the file again, files it.
    let filed = app
        .post_multipart("/appeals", &second.with_token(&fresh), &[])
        .await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    let receipt = app.get_html(&location(&filed)).await;
    assert_eq!(file_links(&receipt).len(), 1);
    assert!(receipt.contains("电子回单.pdf"));
    assert_eq!(app.count("cases"), 2);
    assert_eq!(app.count("pending_files"), 0);
}

#[tokio::test]
async fn a_file_is_served_only_through_its_own_cases_link() {
    let app = spawn_app().await;
    let (_, token_a, links_a) = app
        .filed_case_with(&AppealFields::valid(Utc::now()), &[screenshot()])
        .await;
    let (case_b, token_b, _) = app
        .filed_case_with(&AppealFields::valid(Utc::now()), &[receipt_pdf()])
        .await;
    let key_a = links_a[0].rsplit('/').next().unwrap();
    assert_eq!(app.get(&links_a[0]).await.status(), StatusCode::OK);
    let foreign = format!("/track/{token_b}/files/{key_a}");
    assert_eq!(app.get(&foreign).await.status(), StatusCode::NOT_FOUND);
    let forged = format!("/track/{token_a}x/files/{key_a}");
    assert_eq!(app.get(&forged).await.status(), StatusCode::NOT_FOUND);

    // The console's file links need a session, and another case's number finds nothing.
    let console = app.console();
    let anonymous = console
        .get(&format!("/agent/cases/{case_b}/files/{key_a}"))
        .await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&anonymous), "/agent/login");
    app.create_agent("a@example.com", Role::Agent);
    let agent = app.sign_in("a@example.com").await;
    let wrong_case = agent
        .get(&format!("/agent/cases/{case_b}/files/{key_a}"))
        .await;
    assert_eq!(wrong_case.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_body_past_the_total_limit_gets_413_with_the_limits_not_a_reset() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let head = "POST /appeals HTTP/1.1\r\nHost: x\r\n\
                Content-Type: multipart/form-data; boundary=b\r\n\
                Content-Length: 104857600\r\n\r\n--b\r\n";
    stream.write_all(head.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("10 MB"), "the page says the limits");
    assert_eq!(app.count("cases"), 0);
}

#[tokio::test]
async fn decompression_bombs_are_refused_and_the_servers_memory_stays_under_the_cap() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // The server as its own process, so that its peak memory is its own.
    let database = TestDatabase::fresh();
    let mail = std::env::temp_dir().join(format!("appealdesk-bomb-mail-{}", std::process::id()));
    let server = Command::new(env!("CARGO_BIN_EXE_appealdesk"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", database.env_url())
        .env("MAIL_WORKER", "off")
        .env("MAIL_DIR", &mail)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    // Ended however the test ends.
    let mut server = KillOnDrop(server);
    let stderr = server.0.stderr.take().expect("stderr");
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // The log may be coloured: read it without its escape sequences.
            let mut plain = String::new();
            let mut escape = false;
            for c in line.chars() {
                match (escape, c) {
                    (false, '\u{1b}') => escape = true,
                    (true, 'm') => escape = false,
                    (false, c) => plain.push(c),
                    (true, _) => {}
                }
            }
            if let Some(port) = plain.split("port=").nth(1) {
                let port: String = port.chars().take_while(char::is_ascii_digit).collect();
                let _ = port_tx.send(port);
            }
        }
    });
    let port = port_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the server says its port");
    let base = format!("http://127.0.0.1:{port}");

    let client = client();
    let form = client
        .get(format!("{base}/appeals/new"))
        .send()
        .await
        .unwrap();
    let token = attr(&form.text().await.unwrap(), "name=\"csrf_token\" value=\"").unwrap();
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in AppealFields::valid(Utc::now()).with_token(&token) {
        form = form.text(k, v);
    }
    // 30000×30000 claimed in a few bytes, and 8000×8000 really compressed (183 MiB decoded).
    let bombs = [png_claiming(30_000, 30_000), zero_png(8_000, 8_000)];
    for (i, bomb) in bombs.iter().cycle().take(8).enumerate() {
        let part = reqwest::multipart::Part::bytes(bomb.clone()).file_name(format!("bomb{i}.png"));
        form = form.part("evidence", part);
    }
    let response = client
        .post(format!("{base}/appeals"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let page = response.text().await.unwrap();
    let status_file =
        std::fs::read_to_string(format!("/proc/{}/status", server.0.id())).unwrap_or_default();
    drop(server);
    let _ = std::fs::remove_dir_all(&mail);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = file_error(&page).expect("refused next to the file field");
    assert!(
        error.contains("bomb0.png") && error.contains("bomb7.png"),
        "{error}"
    );
    let peak_kib: u64 = status_file
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("the server's peak memory");
    println!("server peak RSS with 8 bombs: {} MiB", peak_kib / 1024);
    assert!(peak_kib < 256 * 1024, "peak RSS {peak_kib} KiB");
}

/// A real PNG of `width`×`height` black pixels: tiny compressed, huge decoded.
fn zero_png(width: u32, height: u32) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0_u8; 1 + 3 * width as usize];
    for _ in 0..height {
        z.write_all(&row).expect("write to memory");
    }
    let idat = z.finish().expect("finish");
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png(&ihdr, &idat)
}

/// A PNG whose header claims `width`×`height`, with a few bytes of (invalid) data.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    png(&ihdr, &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
}

fn png(ihdr: &[u8], idat: &[u8]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", ihdr);
    chunk(&mut out, b"IDAT", idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn a_reply_to_a_request_for_evidence_takes_files_and_keeps_them_when_refused() {
    let app = spawn_app().await;
    app.create_agent("a@example.com", Role::Agent);
    let agent = app.sign_in("a@example.com").await;
    let (case, token) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    agent.act(&case, "claim", &[]).await;
    let asked = agent
        .act(
            &case,
            "request-evidence",
            &[("text", "Please send the bill details.")],
        )
        .await;
    assert_eq!(asked, StatusCode::SEE_OTHER);

    let page = app.get_html(&format!("/track/{token}")).await;
    assert!(
        page.contains("name=\"evidence\""),
        "the reply form takes files"
    );
    let csrf = attr(&page, "name=\"csrf_token\" value=\"").expect("reply form token");
    let reply = format!("/track/{token}/reply");

    // A refused reply (no text) keeps its file for the form it came with.
    let fields = vec![
        ("text".to_owned(), String::new()),
        ("csrf_token".to_owned(), csrf.clone()),
    ];
    let refused = app.post_multipart(&reply, &fields, &[screenshot()]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert_eq!(pending_files(&html), 1);

    let fields = vec![
        ("text".to_owned(), "Here is the e-receipt too.".to_owned()),
        ("csrf_token".to_owned(), csrf),
    ];
    let answered = app.post_multipart(&reply, &fields, &[receipt_pdf()]).await;
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&format!("/track/{token}")).await;
    assert_eq!(file_links(&page).len(), 2, "the kept file and the new one");
    assert!(
        page.contains("已收到证据文件"),
        "a timeline entry for the appellant"
    );
    assert_eq!(status_of(&agent, &case).await, "in_review");
    let html = agent.get_html(&format!("/agent/cases/{case}")).await;
    assert_eq!(file_links(&html).len(), 2);
}

#[tokio::test]
async fn files_of_a_case_closed_past_the_retention_period_are_deleted_with_a_tombstone() {
    use appealdesk::config::Clock;
    use chrono::Duration;
    let app = spawn_app_with(Clock::manual(cst("2026-03-02 10:00:00"))).await;
    let (_, token, links) = app
        .filed_case_with(
            &AppealFields::valid(app.clock.now()),
            &[screenshot(), receipt_pdf()],
        )
        .await;
    app.withdraw(&token).await;

    // One day short of the retention period: kept.
    app.clock.advance(Duration::days(269));
    app.run_jobs();
    assert_eq!(app.get(&links[0]).await.status(), StatusCode::OK);

    app.clock.advance(Duration::days(2));
    app.run_jobs();
    for link in &links {
        assert_eq!(app.get(link).await.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(app.count("evidence_files"), 0);
    assert_eq!(app.count("evidence_blobs"), 0, "contents go with the files");
    let page = app.get_html(&format!("/track/{token}")).await;
    assert!(
        page.contains("证据文件已过保存期限并删除"),
        "the timeline keeps a tombstone"
    );
    assert!(file_links(&page).is_empty());
}

#[tokio::test]
async fn the_queue_and_its_export_count_each_cases_files() {
    let app = spawn_app().await;
    app.create_agent("a@example.com", Role::Agent);
    let agent = app.sign_in("a@example.com").await;
    let (with_files, _, _) = app
        .filed_case_with(
            &AppealFields::valid(Utc::now()),
            &[screenshot(), receipt_pdf()],
        )
        .await;
    let (without, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;

    let queue = agent.get_html("/agent/cases").await;
    let count_of = |case: &str| {
        queue
            .split(&format!(">{case}</a>"))
            .nth(1)
            .and_then(|row| row.split("data-field=\"evidence-count\">").nth(1))
            .and_then(|cell| cell.split('<').next())
            .map(str::to_owned)
    };
    assert_eq!(count_of(&with_files).as_deref(), Some("2"));
    assert_eq!(count_of(&without).as_deref(), Some("0"));

    let csv = agent.get("/agent/cases.csv").await.text().await.unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",证据文件数"), "{header}");
    let line = csv
        .lines()
        .find(|l| l.starts_with(&with_files))
        .expect("row");
    assert!(line.ends_with(",2"), "{line}");
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
