use appealdesk::domain::agent::Role;
use reqwest::StatusCode;

use crate::helpers::*;

/// Case numbers in the order the queue lists them.
fn listed(html: &str) -> Vec<String> {
    html.split("data-case=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_queue_lists_overdue_first_then_due_today_then_later_with_days_left() {
    // Three filings on different days; the queue is read on Fri 16 Oct 2026.
    let app = spawn_app_at("2026-10-16 09:00:00").await;
    app.create_agent("a@example.com", Role::Agent);
    let mut filed = Vec::new();
    for day in [
        "2026-10-16 08:00:00",
        "2026-09-28 10:00:00",
        "2026-10-12 10:00:00",
    ] {
        app.clock.set(cst(day));
        let (case, _) = app.filed_case(&AppealFields::valid(cst(day))).await;
        filed.push(case);
    }
    app.clock.set(cst("2026-10-16 09:00:00"));
    let a = app.sign_in("a@example.com").await;
    let html = a.get_html("/agent/cases").await;

    // Deadlines: 13 Oct (overdue), 21 Oct, 27 Oct.
    assert_eq!(
        listed(&html),
        vec![filed[1].clone(), filed[2].clone(), filed[0].clone()]
    );
    assert!(html.contains("class=\"overdue\""));
    assert!(
        html.contains("data-days-left=\"-3\""),
        "13 Oct is 3 working days before 16 Oct"
    );

    let overdue = a.get_html("/agent/cases?overdue=1").await;
    assert_eq!(listed(&overdue), vec![filed[1].clone()]);
}

#[tokio::test]
async fn the_queue_filters_searches_and_pages_without_offsets() {
    let app = spawn_app().await;
    app.create_agent("a@example.com", Role::Agent);
    let a = app.sign_in("a@example.com").await;
    let now = chrono::Utc::now();
    let mut cases = Vec::new();
    for i in 0..53 {
        let kind = if i % 2 == 0 { "transfer" } else { "red_packet" };
        let appeal = AppealFields::valid(now).set("packet_kind", kind);
        let (case, _) = app.filed_case(&appeal).await;
        cases.push((case, appeal));
    }
    a.act(&cases[0].0, "claim", &[]).await;

    let mine = a.get_html("/agent/cases?assignee=mine").await;
    assert_eq!(listed(&mine), vec![cases[0].0.clone()]);
    assert_eq!(
        listed(&a.get_html("/agent/cases?assignee=unassigned").await).len(),
        50
    );
    let red = a.get_html("/agent/cases?kind=red_packet").await;
    assert_eq!(listed(&red).len(), 26);

    let (number, appeal) = &cases[7];
    for q in [
        number.as_str(),
        appeal.get("transaction_id"),
        appeal.get("wechat_id"),
    ] {
        let found = a.get_html(&format!("/agent/cases?q={q}")).await;
        assert_eq!(listed(&found), vec![number.clone()], "search {q}");
    }

    // 53 open cases: a page of 50, then the remaining 3 after the cursor.
    let first = a.get_html("/agent/cases").await;
    let before = first
        .split(" rel=\"next\"")
        .next()
        .expect("a next-page link");
    let next = before[before.rfind("href=\"").unwrap() + 6..]
        .trim_end_matches('"')
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(next.contains("after="), "{next}");
    let second = a.get_html(&next).await;
    let mut all = listed(&first);
    all.extend(listed(&second));
    assert_eq!(all.len(), 53);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 53, "no case twice, none missing");
    assert!(!second.contains("data-field=\"next-page\""));

    let bad = a.get("/agent/cases?from=yesterday").await;
    assert_eq!(bad.status(), StatusCode::OK);
    assert!(bad.text().await.unwrap().contains("id=\"from-error\""));
}

#[tokio::test]
async fn the_export_is_csv_with_a_byte_order_mark_for_spreadsheets() {
    let app = spawn_app().await;
    app.create_agent("a@example.com", Role::Agent);
    let (case, _) = app
        .filed_case(&AppealFields::valid(chrono::Utc::now()))
        .await;
    let a = app.sign_in("a@example.com").await;
    let response = a.get("/agent/cases.csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("案件编号"));
    assert!(text.contains(&case));
    assert!(text.contains("520.00"));
}

#[tokio::test]
async fn the_dashboard_shows_load_and_service_levels_to_supervisors_only() {
    let app = spawn_app().await;
    app.create_agent("a@example.com", Role::Agent);
    app.create_agent("boss@example.com", Role::Supervisor);
    let a = app.sign_in("a@example.com").await;
    let boss = app.sign_in("boss@example.com").await;
    let (case, _) = app
        .filed_case(&AppealFields::valid(chrono::Utc::now()))
        .await;
    app.filed_case(&AppealFields::valid(chrono::Utc::now()))
        .await;
    a.act(&case, "claim", &[]).await;
    a.act(
        &case,
        "decide",
        &[("outcome", "approved"), ("reason_code", "recipient_agreed")],
    )
    .await;

    assert_eq!(
        a.get("/agent/dashboard").await.status(),
        StatusCode::FORBIDDEN
    );
    let html = boss.get_html("/agent/dashboard").await;
    assert_eq!(field_text(&html, "decided").as_deref(), Some("1"));
    assert_eq!(field_text(&html, "within-target").as_deref(), Some("100%"));
    assert!(html.contains("<svg class=\"chart\""));
    let workload = html.split("data-field=\"workload\"").nth(1).unwrap();
    assert!(
        !workload.contains("a@example.com"),
        "decided cases are not open work"
    );
}

#[tokio::test]
async fn supervisors_load_next_years_calendar_and_the_november_warning_goes_away() {
    let app = spawn_app_at("2026-11-28 10:00:00").await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    let html = boss.get_html("/agent/cases").await;
    assert!(
        html.contains("data-field=\"calendar-warning\""),
        "2027 is not loaded"
    );

    let bad = boss
        .post(
            "/agent/calendar",
            &[
                ("year", "2027"),
                (
                    "csv",
                    "date,kind,holiday_zh,holiday_en\n2027-02-30,day_off,春节,Spring Festival\n",
                ),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("id=\"csv-error\""));

    let csv = "date,kind,holiday_zh,holiday_en\n2027-01-01,day_off,元旦,New Year's Day\n2027-01-04,day_off,元旦,New Year's Day\n";
    let ok = boss
        .post("/agent/calendar", &[("year", "2027"), ("csv", csv)])
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let page = boss.get_html("/agent/calendar").await;
    assert!(page.contains("data-year=\"2027\"") && page.contains("2027-01-04"));
    assert!(!page.contains("data-field=\"calendar-warning\""));

    // Review dates now follow the loaded year: Thu 31 Dec 2026 + 3 skips 1 and 4 Jan.
    app.clock.set(cst("2026-12-31 10:00:00"));
    let response = app
        .file(&AppealFields::valid(cst("2026-12-31 10:00:00")))
        .await;
    let receipt = app.get_html(&location(&response)).await;
    assert_eq!(
        time_field(&receipt, "review-target").as_deref(),
        Some("2027-01-07")
    );
}

#[tokio::test]
async fn the_queue_index_key_is_set_exactly_for_the_open_statuses() {
    use appealdesk::db::schema::cases;
    use appealdesk::domain::case_status::CaseStatus;
    use diesel::prelude::*;
    let app = spawn_app().await;
    app.filed_case(&AppealFields::valid(chrono::Utc::now()))
        .await;
    let mut conn = app.conn();
    for status in CaseStatus::ALL {
        diesel::update(cases::table)
            .set(cases::status.eq(status.as_str()))
            .execute(&mut *conn)
            .unwrap();
        let (open_deadline, deadline): (Option<chrono::NaiveDate>, chrono::NaiveDate) =
            cases::table
                .select((cases::open_deadline, cases::review_deadline))
                .first(&mut *conn)
                .unwrap();
        let expected = status.is_open().then_some(deadline);
        assert_eq!(
            open_deadline, expected,
            "{status:?}: the migration's list must match the domain's"
        );
    }
}
