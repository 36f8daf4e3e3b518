//! Bad input, measured: thousands of malformed requests over raw TCP to every route,
//! anonymous and signed in (with a live session and its CSRF token, so that requests get
//! past the doors): random methods and bytes, invalid UTF-8 and percent-encoding in paths
//! and queries, huge and repeated fields and headers, wrong content types, truncated
//! multipart. No answer may be a 5xx, and the server must answer `/healthz` afterwards.
//! The seed is printed; `FUZZ_SEED=n` replays a run.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use appealdesk::config::Clock;
use appealdesk::domain::agent::Role;
use appealdesk::web::PUBLIC_ROUTES;
use appealdesk::web::agent::ROUTES;
use chrono::Utc;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

const TASKS: u64 = 8;
const REQUESTS_PER_TASK: usize = 750;

/// What a request may carry to get past the first checks.
#[derive(Clone)]
struct Known {
    case: String,
    token: String,
    file_key: String,
    /// `Cookie:` of a signed-in supervisor, and the session's CSRF token.
    session: String,
    csrf: String,
    /// `Cookie:` and token of an anonymous browser's public form.
    public_cookie: String,
    /// A live API key with both scopes.
    api_key: String,
    public_csrf: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_malformed_requests_get_no_5xx_and_the_server_lives() {
    let app = spawn_app_configured(Clock::System, |s| {
        // Truncated bodies are given up on quickly, so that they do not slow the run.
        s.edge.body_timeout = Duration::from_millis(500);
    })
    .await;
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp() as u64);
    let known = prepare(&app).await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();

    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let known = known.clone();
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(seed.wrapping_add(task));
                let mut seen = Vec::with_capacity(REQUESTS_PER_TASK);
                for _ in 0..REQUESTS_PER_TASK {
                    let request = malformed(&mut rng, &known);
                    let status = send(port, &request).await;
                    seen.push((status, request));
                }
                seen
            })
        })
        .collect();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut sent = 0;
    for task in tasks {
        for (status, request) in task.await.expect("fuzz task") {
            sent += 1;
            let label = status.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
            *statuses.entry(label).or_default() += 1;
            if status.is_some_and(|s| s >= 500) {
                failures.push((
                    status,
                    String::from_utf8_lossy(&request[..request.len().min(600)]).into_owned(),
                ));
            }
        }
    }
    println!(
        "fuzz: seed {seed}, {sent} malformed requests in {:.1} s, answers {statuses:?}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "5xx answers (seed {seed}): {failures:#?}"
    );
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK, "alive");
    // Most requests were read and answered, not dropped.
    let answered = sent - statuses.get("no answer").copied().unwrap_or(0);
    assert!(answered * 10 >= sent * 8, "{statuses:?}");
}

/// A case with a file, a signed-in supervisor and an open public form.
async fn prepare(app: &TestApp) -> Known {
    let screenshot = ("bill.png", fixture("screenshot-1170x2532.png"));
    let (case, token, links) = app
        .filed_case_with(&AppealFields::valid(Utc::now()), &[screenshot])
        .await;
    let file_key = links[0].rsplit('/').next().unwrap().to_owned();
    app.create_agent("boss@example.com", Role::Supervisor);

    // A browser without a cookie jar, so that the cookies can be written by hand.
    let browser = crate::helpers::http()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser.get(app.url("/agent/login")).send().await.unwrap();
    let public_cookie = cookies(&form);
    let html = form.text().await.unwrap();
    let public_csrf = attr(&html, "name=\"csrf_token\" value=\"").unwrap();
    let signed_in = browser
        .post(app.url("/agent/login"))
        .header("cookie", &public_cookie)
        .form(&[
            ("email", "boss@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &public_csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let session = format!("{public_cookie}; {}", cookies(&signed_in));
    let html = browser
        .get(app.url("/agent/cases"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = attr(&html, "name=\"csrf_token\" value=\"").expect("signed in");
    let api_key = crate::api_helpers::cli_key(app, "fuzz", "cases:read,cases:outcome");
    Known {
        api_key,
        case,
        token,
        file_key,
        session,
        csrf,
        public_cookie,
        public_csrf,
    }
}

fn cookies(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sends one request on its own connection; the answer's status, if there is one.
async fn send(port: u16, request: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    if stream.write_all(request).await.is_err() {
        // The server may refuse a head before the body is written: read what it said.
    }
    // Read up to the final answer's head (after any `100 Continue`); the body is not needed.
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return final_status(&answer),
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if let Some(status) = final_status(&answer) {
                return Some(status);
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .ok()
        .flatten()
}

/// The first status of 200 or more whose head has fully arrived.
fn final_status(answer: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(answer);
    let mut rest = text.as_ref();
    while let Some(at) = rest.find("HTTP/1.") {
        let head = &rest[at..];
        let end = head.find("\r\n\r\n")?;
        let status = head.get(9..12)?.parse::<u16>().ok()?;
        if status >= 200 {
            return Some(status);
        }
        rest = &head[end + 4..];
    }
    None
}

fn malformed(rng: &mut StdRng, known: &Known) -> Vec<u8> {
    let signed_in = rng.random_bool(0.5);
    let (method, template): (String, String) = if signed_in || rng.random_bool(0.3) {
        let route = ROUTES.choose(rng).unwrap();
        (route.method.to_ascii_uppercase(), route.path.to_owned())
    } else if rng.random_bool(0.25) {
        // The API's routes, as its own document lists them.
        appealdesk::web::api::documented_routes()
            .choose(rng)
            .cloned()
            .unwrap()
    } else {
        let route = PUBLIC_ROUTES.choose(rng).unwrap();
        (route.method.to_ascii_uppercase(), route.path.to_owned())
    };
    let template = template.as_str();
    let method = match rng.random_range(0..10) {
        0 => [
            "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT", "BREW", "get",
        ]
        .choose(rng)
        .unwrap()
        .to_string(),
        1 => junk_token(rng),
        _ => method,
    };
    let path = fill(rng, template, known);
    let query = query(rng);
    // Signing out with the right token would end the session the rest of the run uses.
    let keeps_session = signed_in && template != "/agent/logout";
    let (content_type, body) = body(rng, known, keeps_session);

    let mut head: Vec<u8> = Vec::new();
    head.extend_from_slice(method.as_bytes());
    head.push(b' ');
    head.extend_from_slice(&path);
    head.extend_from_slice(&query);
    head.extend_from_slice(if rng.random_bool(0.97) {
        b" HTTP/1.1\r\n"
    } else {
        b" HTTP/9.9\r\n"
    });
    head.extend_from_slice(b"Host: 127.0.0.1\r\nConnection: close\r\n");
    let cookie = if signed_in {
        &known.session
    } else {
        &known.public_cookie
    };
    if rng.random_bool(0.9) {
        head.extend_from_slice(format!("Cookie: {cookie}\r\n").as_bytes());
    }
    if template.starts_with("/api/") && rng.random_bool(0.8) {
        head.extend_from_slice(format!("Authorization: Bearer {}\r\n", known.api_key).as_bytes());
        head.extend_from_slice(format!("Idempotency-Key: {}\r\n", rng.random::<u32>()).as_bytes());
    }
    if let Some(content_type) = content_type {
        head.extend_from_slice(b"Content-Type: ");
        head.extend_from_slice(&content_type);
        head.extend_from_slice(b"\r\n");
    }
    for _ in 0..rng.random_range(0..4) {
        head.extend_from_slice(&header(rng));
    }
    // Mostly the right length; sometimes more than comes (truncated), less, or twice.
    let length = match rng.random_range(0..20) {
        0 => Some(format!("{}", body.len() + rng.random_range(1..5000))),
        1 => Some(format!("{}", body.len() / 2)),
        2 => Some("-1".to_owned()),
        3 => Some("99999999999999999999".to_owned()),
        4 => None,
        _ => Some(body.len().to_string()),
    };
    if let Some(length) = length {
        head.extend_from_slice(format!("Content-Length: {length}\r\n").as_bytes());
        if rng.random_bool(0.05) {
            head.extend_from_slice(format!("Content-Length: {}\r\n", body.len() + 1).as_bytes());
        }
    } else if rng.random_bool(0.5) {
        head.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(&body);
    head
}

fn junk_token(rng: &mut StdRng) -> String {
    (0..rng.random_range(1..12))
        .map(|_| char::from(rng.random_range(b'!'..=b'~')))
        .collect()
}

/// Random bytes, some of them not UTF-8 at all.
fn junk_bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    (0..rng.random_range(0..max))
        .map(|_| rng.random())
        .collect()
}

/// A path segment: the real value, or something that is not one.
fn segment(rng: &mut StdRng, real: &str) -> Vec<u8> {
    match rng.random_range(0..12) {
        0 => b"%zz%".to_vec(),
        1 => b"%ff%fe%00".to_vec(),
        2 => vec![0xff, 0xfe, b'a', 0xc3],
        3 => "a".repeat(rng.random_range(100..9000)).into_bytes(),
        4 => b"..%2f..%2fetc%2fpasswd".to_vec(),
        5 => b"%E4%B8%AD%E6%96%87".to_vec(),
        6 => rng.random_range(-5i64..i64::MAX).to_string().into_bytes(),
        7 => junk_bytes(rng, 30)
            .into_iter()
            .filter(|b| !b" \r\n?#".contains(b))
            .collect(),
        _ => real.as_bytes().to_vec(),
    }
}

fn fill(rng: &mut StdRng, template: &str, known: &Known) -> Vec<u8> {
    let mut path = Vec::new();
    for (i, part) in template.split('/').enumerate() {
        if i > 0 {
            path.push(b'/');
        }
        let real = match part {
            "{case_number}" => known.case.as_str(),
            "{token}" => known.token.as_str(),
            "{file_key}" => known.file_key.as_str(),
            "{id}" => "1",
            "{code}" => "en",
            "{file}" => "app.css",
            literal => {
                if rng.random_bool(0.05) {
                    path.extend_from_slice(&segment(rng, literal));
                } else {
                    path.extend_from_slice(literal.as_bytes());
                }
                continue;
            }
        };
        path.extend_from_slice(&segment(rng, real));
    }
    if rng.random_bool(0.05) {
        path.extend_from_slice(b"//");
    }
    path
}

fn query(rng: &mut StdRng) -> Vec<u8> {
    let pairs: &[&[u8]] = &[
        b"status=%zz",
        b"status=all&status=open&status=",
        b"next=%ff%fe",
        b"next=//evil.example",
        b"q=%E4%B8%AD",
        b"page=-1",
        b"page=99999999999999999999",
        b"assignee=mine&assignee=7",
        b"kind=%00",
        b"q=a%00b",
        b"q=%ff%fe",
        b"assignee=%00",
        b"from=2026-13-45&to=x",
        b"=&&==",
        b"sort=\xff\xfe",
    ];
    match rng.random_range(0..4) {
        0 => Vec::new(),
        1 => {
            let mut q = b"?".to_vec();
            q.extend_from_slice(&"x=y&".repeat(rng.random_range(1..3000)).into_bytes());
            q
        }
        _ => {
            let mut q = b"?".to_vec();
            for i in 0..rng.random_range(1..5) {
                if i > 0 {
                    q.push(b'&');
                }
                q.extend_from_slice(pairs.choose(rng).unwrap());
            }
            q
        }
    }
}

fn header(rng: &mut StdRng) -> Vec<u8> {
    let mut h: Vec<u8> = match rng.random_range(0..12) {
        0 => format!("X-Junk: {}\r\n", "v".repeat(rng.random_range(1..20_000))).into_bytes(),
        1 => b"Accept-Language: \xff\xfe;q=abc, zh;q=2\r\n".to_vec(),
        2 => b"X-Forwarded-For: 1.2.3.4, junk, ::1, 999.1.1.1\r\n".to_vec(),
        3 => b"Cookie: lang=klingon; appealdesk_session=%zz; __Host-ad_browser=\xff\r\n".to_vec(),
        4 => b"Content-Type: text/plain\r\n".to_vec(),
        5 => b"Sec-Fetch-Site: cross-site\r\n".to_vec(),
        6 => b"Host: evil.example\r\nX-Forwarded-Host: evil.example\r\n".to_vec(),
        7 => b"Expect: 100-continue\r\n".to_vec(),
        8 => b"Range: bytes=5-1,-0,99999999999999999999-\r\n".to_vec(),
        9 => b"If-None-Match: \xff\r\nIf-Modified-Since: yesterday\r\n".to_vec(),
        10 => {
            let mut h = junk_token(rng).into_bytes();
            h.extend_from_slice(b": ");
            h.extend_from_slice(
                &junk_bytes(rng, 40)
                    .into_iter()
                    .filter(|b| *b != b'\r' && *b != b'\n')
                    .collect::<Vec<_>>(),
            );
            h.extend_from_slice(b"\r\n");
            h
        }
        _ => b"Referer: http://127.0.0.1/agent/cases\r\n".to_vec(),
    };
    if rng.random_bool(0.1) {
        let again = h.clone();
        h.extend_from_slice(&again);
    }
    h
}

/// A content type and a body: a mostly valid form with something wrong in it, a
/// truncated or lying multipart, or junk.
fn body(rng: &mut StdRng, known: &Known, signed_in: bool) -> (Option<Vec<u8>>, Vec<u8>) {
    let csrf = if signed_in {
        &known.csrf
    } else {
        &known.public_csrf
    };
    let urlencoded = b"application/x-www-form-urlencoded".to_vec();
    match rng.random_range(0..10) {
        0 => (None, Vec::new()),
        1 => (Some(junk_bytes(rng, 60)), junk_bytes(rng, 2000)),
        2 | 3 => {
            let mut form = format!("csrf_token={csrf}&").into_bytes();
            let fields = [
                "wechat_id",
                "email",
                "packet_kind",
                "amount",
                "sent_at",
                "transaction_id",
                "counterparty_phone_suffix",
                "card_last4",
                "account",
                "text",
                "agent_id",
                "decision",
                "reason",
                "year",
                "csv",
                "remove_file",
                "password",
                "note",
            ];
            for _ in 0..rng.random_range(1..12) {
                form.extend_from_slice(fields.choose(rng).unwrap().as_bytes());
                form.push(b'=');
                let value: Vec<u8> = match rng.random_range(0..8) {
                    0 => b"%zz%g".to_vec(),
                    1 => vec![0xff, 0xc3, 0x28],
                    2 => "x".repeat(rng.random_range(1000..40_000)).into_bytes(),
                    3 => b"%00%0d%0a".to_vec(),
                    4 => b"-99999999999999999999.999".to_vec(),
                    5 => b"2026-02-30 25:61:61".to_vec(),
                    6 => b"%E4%B8%AD%E6%96%87".to_vec(),
                    _ => b"1".to_vec(),
                };
                form.extend_from_slice(&value);
                form.push(b'&');
            }
            (Some(urlencoded), form)
        }
        4 | 5 => {
            let boundary = "XyZ";
            let mut form = Vec::new();
            form.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n")
                    .as_bytes(),
            );
            for _ in 0..rng.random_range(0..4) {
                form.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"{}\"\r\nContent-Type: image/png\r\n\r\n",
                        ["a.png", "../../x.png", "\u{202e}gnp.exe", "", "a\"b.png"].choose(rng).unwrap()
                    )
                    .as_bytes(),
                );
                form.extend_from_slice(&junk_bytes(rng, 3000));
                form.extend_from_slice(b"\r\n");
            }
            // Cut anywhere, or closed properly.
            if rng.random_bool(0.5) {
                let cut = rng.random_range(0..=form.len());
                form.truncate(cut);
            } else {
                form.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            }
            let content_type = match rng.random_range(0..5) {
                0 => b"multipart/form-data".to_vec(),
                1 => b"multipart/form-data; boundary=".to_vec(),
                2 => b"multipart/form-data; boundary=other".to_vec(),
                _ => format!("multipart/form-data; boundary={boundary}").into_bytes(),
            };
            (Some(content_type), form)
        }
        6 => (
            Some(b"application/json".to_vec()),
            format!("{{\"csrf_token\":\"{csrf}\",\"amount\":1e999}}").into_bytes(),
        ),
        7 => (
            Some(urlencoded),
            b"csrf_token=a&csrf_token=b&csrf_token".to_vec(),
        ),
        8 => (
            Some(b"text/plain; charset=\xff".to_vec()),
            junk_bytes(rng, 500),
        ),
        // An API report, mostly well-formed, with one thing wrong in it.
        9 if rng.random_bool(0.5) => {
            let amount = [
                "1",
                "-1",
                "0",
                "1e999",
                "99999999999999999999",
                "null",
                "\"5\"",
            ];
            let result = [
                "\"recovered\"",
                "\"not_recovered\"",
                "\"maybe\"",
                "7",
                "null",
            ];
            let reference = ["\"R-1\"", "\"\"", "\"\\u0000\"", "\"\u{202e}x\"", "[]"];
            let extra = ["", ",\"extra\":1", ",\"note\":\"x\"", ",,", "}"];
            let body = format!(
                "{{\"result\":{},\"reference\":{},\"amount_fen\":{}{}}}",
                result.choose(rng).unwrap(),
                reference.choose(rng).unwrap(),
                amount.choose(rng).unwrap(),
                extra.choose(rng).unwrap()
            );
            (Some(b"application/json".to_vec()), body.into_bytes())
        }
        _ => (Some(urlencoded), junk_bytes(rng, 500)),
    }
}

/// Found by the fuzz on PostgreSQL (its text cannot hold a NUL): a 500 before.
#[tokio::test]
async fn a_nul_in_a_file_key_finds_no_file() {
    let app = spawn_app().await;
    let screenshot = ("bill.png", fixture("screenshot-1170x2532.png"));
    let (case, token, _) = app
        .filed_case_with(&AppealFields::valid(Utc::now()), &[screenshot])
        .await;
    let r = app.get(&format!("/track/{token}/files/%ff%fe%00")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    let r = boss.get(&format!("/agent/cases/{case}/files/a%00b")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
