use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_complete_appeal_is_filed_and_the_receipt_shows_number_dates_and_tracking_link() {
    let app = spawn_app().await;
    let response = app.file(&AppealFields::valid(Utc::now())).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let receipt_path = location(&response);
    assert!(
        receipt_path.starts_with("/appeals/receipt/"),
        "{receipt_path}"
    );
    let html = app.get_html(&receipt_path).await;
    let number = field_text(&html, "case-number").expect("case number");
    assert!(number.starts_with("AD"), "{number}");
    assert!(time_field(&html, "review-target").is_some());
    assert!(time_field(&html, "review-deadline").is_some());
    let link = attr(&html, "data-field=\"tracking-link\" href=\"").expect("tracking link");
    assert!(link.starts_with(&app.url("/track/")), "{link}");
    assert_eq!(app.count("cases"), 1);
    assert_eq!(app.count("quota_slots"), 1);

    // A reload is a GET: it shows the same receipt and files nothing.
    let again = app.get_html(&receipt_path).await;
    assert_eq!(field_text(&again, "case-number"), Some(number));
    assert_eq!(app.count("cases"), 1);
}

#[tokio::test]
async fn review_dates_count_working_days_across_national_day_and_a_make_up_saturday() {
    // Filed on Wednesday 30 September 2026: 1–7 October are off, Saturday 10 October
    // is a make-up working day. Working days: 8 Oct, 9 Oct, 10 Oct (target) … 15 Oct.
    let app = spawn_app_at("2026-09-30 10:00:00").await;
    let appeal = AppealFields::valid(cst("2026-09-30 10:00:00"));
    let response = app.file(&appeal).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = app.get_html(&location(&response)).await;
    assert_eq!(
        time_field(&html, "review-target").as_deref(),
        Some("2026-10-10")
    );
    assert_eq!(
        time_field(&html, "review-deadline").as_deref(),
        Some("2026-10-15")
    );
}

#[tokio::test]
async fn review_dates_skip_spring_festival_and_count_its_make_up_days() {
    // Filed Friday 13 February 2026: Saturday 14 Feb works, 15–23 Feb are off,
    // Saturday 28 Feb works.
    let app = spawn_app_at("2026-02-13 16:20:00").await;
    let response = app
        .file(&AppealFields::valid(cst("2026-02-13 16:20:00")))
        .await;
    let html = app.get_html(&location(&response)).await;
    assert_eq!(
        time_field(&html, "review-target").as_deref(),
        Some("2026-02-25")
    );
    assert_eq!(
        time_field(&html, "review-deadline").as_deref(),
        Some("2026-03-02")
    );
}

#[tokio::test]
async fn a_year_without_a_calendar_counts_the_statutory_holidays() {
    // 2027 is not loaded: 1 January 2027 (a Friday) is New Year's Day by law all the same.
    let app = spawn_app_at("2026-12-28 09:00:00").await;
    let response = app
        .file(&AppealFields::valid(cst("2026-12-28 09:00:00")))
        .await;
    let html = app.get_html(&location(&response)).await;
    // Tue 29, Wed 30, Thu 31 Dec (target); Mon 4, Tue 5, Wed 6, Thu 7 Jan (deadline).
    assert_eq!(
        time_field(&html, "review-target").as_deref(),
        Some("2026-12-31")
    );
    assert_eq!(
        time_field(&html, "review-deadline").as_deref(),
        Some("2027-01-07")
    );
}

#[tokio::test]
async fn the_local_date_of_filing_is_china_time_not_utc() {
    // 2026-10-08 01:30 in China is still 7 October in UTC: the count starts from the 8th.
    let app = spawn_app_at("2026-10-08 01:30:00").await;
    let response = app
        .file(&AppealFields::valid(cst("2026-10-08 01:30:00")))
        .await;
    let html = app.get_html(&location(&response)).await;
    // 9 Oct, 10 Oct (make-up Saturday), 12 Oct.
    assert_eq!(
        time_field(&html, "review-target").as_deref(),
        Some("2026-10-12")
    );
}

#[tokio::test]
async fn the_same_form_sent_twice_leads_to_the_same_case() {
    let app = spawn_app().await;
    let token = app.open_form().await;
    let fields = AppealFields::valid(Utc::now()).with_token(&token);

    let first = app.post_form("/appeals", &fields).await;
    let second = app.post_form("/appeals", &fields).await;

    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&first), location(&second));
    assert_eq!(app.count("cases"), 1);
    assert_eq!(app.count("quota_slots"), 1);
}

#[tokio::test]
async fn a_double_click_sending_the_form_concurrently_files_one_case() {
    let app = spawn_app().await;
    let token = app.open_form().await;
    let fields = AppealFields::valid(Utc::now()).with_token(&token);

    let responses = app.post_concurrently("/appeals", vec![fields; 6]).await;

    let mut locations = Vec::new();
    for r in responses {
        if r.status() != StatusCode::SEE_OTHER {
            let status = r.status();
            let body = r.text().await.unwrap();
            let notice = field_text(&body, "form-notice");
            panic!("{status}: {notice:?}");
        }
        locations.push(location(&r));
    }
    assert!(locations.windows(2).all(|w| w[0] == w[1]), "{locations:?}");
    assert_eq!(app.count("cases"), 1);
}

#[tokio::test]
async fn a_used_form_sent_again_with_other_values_files_nothing_and_offers_a_fresh_form() {
    let app = spawn_app().await;
    let token = app.open_form().await;
    let appeal = AppealFields::valid(Utc::now());
    let first = app.post_form("/appeals", &appeal.with_token(&token)).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);

    let changed = appeal.set("amount", "888.00");
    let second = app.post_form("/appeals", &changed.with_token(&token)).await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let html = second.text().await.unwrap();
    assert!(field_text(&html, "form-notice").is_some());
    let fresh = attr(&html, "name=\"csrf_token\" value=\"").unwrap();
    assert_ne!(fresh, token);
    assert_eq!(app.count("cases"), 1);
}

#[tokio::test]
async fn a_transaction_id_with_a_case_already_is_refused_with_409() {
    let app = spawn_app().await;
    let first = AppealFields::valid(Utc::now());
    assert_eq!(app.file(&first).await.status(), StatusCode::SEE_OTHER);

    // Another person, the same transaction, pasted with full-width digits and spaces.
    let tx = first.get("transaction_id");
    let pasted: String = tx
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
        .collect::<String>()
        .chars()
        .enumerate()
        .flat_map(|(i, c)| if i % 4 == 3 { vec![c, ' '] } else { vec![c] })
        .collect();
    let second = AppealFields::valid(Utc::now()).set("transaction_id", &pasted);
    let response = app.file(&second).await;

    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(control(&html, "transaction_id").contains("aria-invalid=\"true\""));
    assert!(html.contains("data-error-for=\"transaction_id\""));
    assert_eq!(app.count("cases"), 1);
}

#[tokio::test]
async fn evidence_pasted_from_a_chinese_keyboard_is_accepted() {
    let app = spawn_app().await;
    let appeal = AppealFields::valid(Utc::now())
        .set("amount", "￥１，２３４.５０元")
        .set(
            "transaction_id",
            "１０１２ ３４５６ ７８９０ １２３４ ５６７",
        )
        .set("counterparty_phone_suffix", "４３２１")
        .set(
            "sent_at",
            &appealdesk::domain::cst::format_local(Utc::now()).replace(' ', "T"),
        );
    let response = app.file(&appeal).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = location(&response).replace("/appeals/receipt/", "");
    let html = app.get_html(&format!("/track/{token}")).await;
    assert!(
        html.contains("1,234.50"),
        "the amount is stored as 123450 fen"
    );
}
