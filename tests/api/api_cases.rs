//! Reading cases through the API: the list's filters and cursor, polling by last change,
//! one case as agents see it, its files; the document; problems for every error.

use appealdesk::config::Clock;
use appealdesk::domain::agent::Role;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;

use crate::api_helpers::*;
use crate::helpers::*;

fn numbers(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case_number"].as_str().unwrap().to_owned())
        .collect()
}

/// Every page of `query`, following the cursor.
async fn all_pages(office: &BackOffice, query: &str) -> (Vec<String>, usize) {
    let (mut seen, mut pages) = (Vec::new(), 0);
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(cursor) => format!("/api/v1/cases?{query}&cursor={cursor}"),
            None => format!("/api/v1/cases?{query}"),
        };
        let answer = office.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        let page = answer.json();
        seen.extend(numbers(&page));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(cursor) => next = Some(cursor.to_owned()),
            None => return (seen, pages),
        }
    }
}

#[tokio::test]
async fn the_list_filters_and_pages_by_last_change_with_an_opaque_cursor() {
    let app = spawn_app_at("2026-12-01 10:00:00").await;
    let mut filed = Vec::new();
    let mut fields = Vec::new();
    for _ in 0..5 {
        let appeal = AppealFields::valid(app.clock.now());
        filed.push(app.filed_case(&appeal).await.0);
        fields.push(appeal);
        app.clock.advance(Duration::minutes(1));
    }
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    // The oldest filing changes last: it moves to the end of the order.
    assert_eq!(
        boss.act(&filed[0], "claim", &[]).await,
        StatusCode::SEE_OTHER
    );
    let office = BackOffice::new(&app, &cli_key(&app, "ops", "cases:read"));

    let (seen, pages) = all_pages(&office, "limit=2").await;
    let mut expected: Vec<String> = filed[1..].to_vec();
    expected.push(filed[0].clone());
    assert_eq!(seen, expected, "by last change, each once");
    assert_eq!(pages, 3);

    let page = office.get("/api/v1/cases").await.json();
    let first = &page["data"][0];
    assert_eq!(first["status"], "submitted");
    assert_eq!(first["amount_fen"], 52_000);
    assert_eq!(first["amount"], "520.00");
    assert!(first["version"].as_i64().unwrap() >= 1);

    let in_review = office.get("/api/v1/cases?status=in_review").await.json();
    assert_eq!(numbers(&in_review), [filed[0].clone()]);
    let both = office
        .get("/api/v1/cases?status=in_review&status=submitted")
        .await
        .json();
    assert_eq!(numbers(&both).len(), 5, "status repeats");
    let txn = fields[2].get("transaction_id");
    let by_txn = office.get(&format!("/api/v1/cases?q={txn}")).await.json();
    assert_eq!(numbers(&by_txn), [filed[2].clone()]);
    let wechat = fields[3].get("wechat_id");
    let by_wechat = office
        .get(&format!("/api/v1/cases?q={wechat}"))
        .await
        .json();
    assert_eq!(numbers(&by_wechat), [filed[3].clone()]);
    let by_number = office
        .get(&format!("/api/v1/cases?q={}", filed[4]))
        .await
        .json();
    assert_eq!(numbers(&by_number), [filed[4].clone()]);
    let none = office
        .get("/api/v1/cases?filed_from=2026-12-02&filed_to=2026-12-31")
        .await
        .json();
    assert_eq!(numbers(&none), Vec::<String>::new());
    let on_the_day = office
        .get("/api/v1/cases?filed_from=2026-12-01&filed_to=2026-12-01")
        .await
        .json();
    assert_eq!(numbers(&on_the_day).len(), 5);

    // Each parameter's refusal names it.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("status=archived", "status"),
        ("updated_since=yesterday", "updated_since"),
        ("filed_from=2026-13-01", "filed_from"),
        ("cursor=not-ours", "cursor"),
        ("colour=red", "colour"),
    ] {
        let p = office
            .get(&format!("/api/v1/cases?{query}"))
            .await
            .problem(422);
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
}

#[tokio::test]
async fn polling_with_updated_since_misses_no_change() {
    let app = spawn_app_at("2026-12-01 10:00:00").await;
    let (a, _) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    app.clock.advance(Duration::seconds(1));
    let (b, _) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    let office = BackOffice::new(&app, &cli_key(&app, "poller", "cases:read"));
    let first = office.get("/api/v1/cases").await.json();
    assert_eq!(numbers(&first), [a.clone(), b.clone()]);
    let last_seen = first["data"][1]["updated_at"].as_str().unwrap().to_owned();
    let version_a = first["data"][0]["version"].as_i64().unwrap();

    // Changes after the last poll: `a` is claimed; a third case is filed.
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    app.clock.advance(Duration::seconds(1));
    boss.act(&a, "claim", &[]).await;
    app.clock.advance(Duration::seconds(1));
    let (c, _) = app.filed_case(&AppealFields::valid(app.clock.now())).await;

    let since = last_seen.replace('+', "%2B");
    let polled = office
        .get(&format!("/api/v1/cases?updated_since={since}"))
        .await
        .json();
    // `b` again (changed at the instant polled from: inclusive), then what changed since.
    assert_eq!(numbers(&polled), [b.clone(), a.clone(), c.clone()]);
    let a_now = &polled["data"][1];
    assert_eq!(a_now["status"], "in_review");
    assert!(a_now["version"].as_i64().unwrap() > version_a, "{a_now}");
    assert!(a_now["updated_at"].as_str().unwrap() > last_seen.as_str());
}

#[tokio::test]
async fn a_case_reads_as_agents_see_it_and_its_file_downloads_as_the_console_serves_it() {
    let app = spawn_app_with(Clock::System).await;
    let screenshot = ("账单详情.png", fixture("screenshot-1170x2532.png"));
    let appeal = AppealFields::valid(chrono::Utc::now());
    let (case, _, _) = app
        .filed_case_with(&appeal, std::slice::from_ref(&screenshot))
        .await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    boss.act(&case, "claim", &[]).await;
    let office = BackOffice::new(&app, &cli_key(&app, "reader", "cases:read"));

    let read = office.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(read.status, StatusCode::OK);
    let c = read.json();
    assert_eq!(c["case_number"], case.as_str());
    assert_eq!(c["status"], "in_review");
    assert_eq!(c["packet_kind"], "transfer");
    assert_eq!(
        (c["amount_fen"].clone(), c["amount"].clone()),
        (52_000.into(), "520.00".into())
    );
    assert_eq!(c["transaction_id"], appeal.get("transaction_id"));
    assert_eq!(c["wechat_id"], appeal.get("wechat_id"));
    assert_eq!(c["email"], appeal.get("email"));
    assert_eq!(c["counterparty_phone_suffix"], "1234");
    assert_eq!(c["card_last4"], "5678");
    assert_eq!(c["assignee"], "boss@example.com");
    assert!(c["decision"].is_null() && c["outcome"].is_null());
    assert!(c["provisional"].is_boolean());
    for field in [
        "sent_at",
        "filed_at",
        "review_target",
        "review_deadline",
        "updated_at",
        "lang",
    ] {
        assert!(c[field].is_string(), "{field}");
    }
    let kinds: Vec<&str> = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"filed"));
    assert!(kinds.contains(&"claimed"), "{kinds:?}");
    let file = &c["files"][0];
    assert_eq!(file["name"], "账单详情.png");
    assert_eq!(file["type"], "image/png");

    let key = file["key"].as_str().unwrap();
    let got = office
        .get(&format!("/api/v1/cases/{case}/files/{key}"))
        .await;
    assert_eq!(got.status, StatusCode::OK);
    // What was kept of the upload (its metadata stripped), as the case describes it.
    assert_eq!(file["size"], got.bytes.len());
    assert_eq!(
        file["sha256"],
        appealdesk::keys::sha256_hex(&got.bytes).as_str()
    );
    let console = boss.get(&format!("/agent/cases/{case}/files/{key}")).await;
    for header in [
        "content-type",
        "content-disposition",
        "cache-control",
        "x-content-type-options",
        "content-security-policy",
    ] {
        assert_eq!(
            got.header(header),
            console.headers().get(header).and_then(|v| v.to_str().ok()),
            "{header} as the console's"
        );
    }
    assert_eq!(
        console.bytes().await.unwrap().to_vec(),
        got.bytes,
        "the same file"
    );
    office
        .get(&format!("/api/v1/cases/{case}/files/nope"))
        .await
        .problem(404);
    office
        .get("/api/v1/cases/AD-1999-000001")
        .await
        .problem(404);
    office.get("/api/v1/cases/%00%ff").await.problem(404);
}

#[tokio::test]
async fn every_error_under_api_is_a_problem_never_a_page() {
    let app = spawn_app().await;
    let office = BackOffice::new(&app, &cli_key(&app, "ops", "cases:read,cases:outcome"));
    office.get("/api/v1/nothing-here").await.problem(404);
    office.get("/api/v2/cases").await.problem(404);
    office.get("/api").await.problem(404);
    let p = office
        .send(
            office
                .client
                .delete(format!("{}/api/v1/cases", app.address))
                .bearer_auth(&office.key),
        )
        .await;
    p.problem(405);
    assert_eq!(p.header("allow"), Some("GET"));
    let p = office
        .send(
            office
                .client
                .get(format!("{}/api/v1/cases/AD-1/outcome", app.address))
                .bearer_auth(&office.key),
        )
        .await;
    p.problem(405);
    assert_eq!(p.header("allow"), Some("POST"));
    let p = office
        .send(
            office
                .client
                .post(format!("{}/api/v1/openapi.json", app.address)),
        )
        .await;
    p.problem(405);

    let case = "AD-2026-000001";
    let p = office.outcome(case, "k", "{not json").await.problem(400);
    assert_eq!(p["errors"][0]["field"], "body");
    let p = office
        .outcome(
            case,
            "k",
            "{\"result\":\"recovered\",\"reference\":\"R\",\"amount_fen\":1,\"extra\":1}",
        )
        .await
        .problem(400);
    assert!(p["detail"].as_str().unwrap().contains("extra"), "{p}");
    let no_key = office
        .send(
            office
                .client
                .post(format!("{}/api/v1/cases/{case}/outcome", app.address))
                .bearer_auth(&office.key)
                .body("{\"result\":\"recovered\",\"reference\":\"R\",\"amount_fen\":1}"),
        )
        .await
        .problem(422);
    assert_eq!(no_key["errors"][0]["field"], "Idempotency-Key");
    let huge = format!(
        "{{\"result\":\"recovered\",\"reference\":\"{}\"}}",
        "x".repeat(300_000)
    );
    office.outcome(case, "k", &huge).await.problem(413);
}

#[tokio::test]
async fn the_openapi_document_is_3_1_generated_and_covers_every_route_with_bearer_security() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, method) in [
        ("/api/v1/cases", "get"),
        ("/api/v1/cases/{case_number}", "get"),
        ("/api/v1/cases/{case_number}/files/{file_key}", "get"),
        ("/api/v1/cases/{case_number}/outcome", "post"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path}");
        assert!(op["responses"]["401"].is_object(), "{path} documents 401");
    }
    assert_eq!(doc["security"][0]["bearer"], serde_json::json!([]));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for schema in ["CaseView", "CaseList", "OutcomeBody", "Problem"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
