use chrono::{Duration, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_second_appeal_in_a_year_is_accepted_and_the_third_is_refused() {
    let app = spawn_app_at("2026-11-28 12:00:00").await;
    let now = cst("2026-11-28 12:00:00");
    let me = AppealFields::valid(now).get("wechat_id").to_owned();

    for _ in 0..2 {
        let appeal = AppealFields::valid(now).set("wechat_id", &me);
        assert_eq!(app.file(&appeal).await.status(), StatusCode::SEE_OTHER);
    }
    // The quota key is normalised: the same ID in capitals is the same person.
    let third = AppealFields::valid(now).set("wechat_id", &me.to_uppercase());
    let response = app.file(&third).await;

    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(html.contains("2027-01-01"), "says when the next slot opens");
    assert!(control(&html, "wechat_id").contains("aria-invalid=\"true\""));
    assert_eq!(app.count("cases"), 2);
}

#[tokio::test]
async fn the_quota_opens_again_on_new_year_in_china_time() {
    let app = spawn_app_at("2026-12-31 23:58:00").await;
    let me = AppealFields::valid(Utc::now()).get("wechat_id").to_owned();
    for _ in 0..2 {
        let appeal = AppealFields::valid(cst("2026-12-31 23:58:00")).set("wechat_id", &me);
        assert_eq!(app.file(&appeal).await.status(), StatusCode::SEE_OTHER);
    }

    let third = AppealFields::valid(cst("2026-12-31 23:58:00")).set("wechat_id", &me);
    assert_eq!(app.file(&third).await.status(), StatusCode::CONFLICT);

    // 00:00:30 on 1 January in China is still 31 December in UTC: a new year here.
    app.clock.advance(Duration::seconds(150));
    let appeal = AppealFields::valid(cst("2027-01-01 00:00:30")).set("wechat_id", &me);
    assert_eq!(app.file(&appeal).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("cases"), 3);
}

#[tokio::test]
async fn many_concurrent_filings_for_one_person_accept_exactly_two() {
    let app = spawn_app().await;
    let me = AppealFields::valid(Utc::now()).get("wechat_id").to_owned();
    let mut forms = Vec::new();
    for _ in 0..16 {
        let token = app.open_form().await;
        forms.push(
            AppealFields::valid(Utc::now())
                .set("wechat_id", &me)
                .with_token(&token),
        );
    }

    let responses = app.post_concurrently("/appeals", forms).await;

    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        14,
        "{statuses:?}"
    );
    assert_eq!(app.count("cases"), 2);
    assert_eq!(app.count("quota_slots"), 2);
}

#[tokio::test]
async fn the_database_itself_refuses_a_third_slot_and_a_second_case_per_transaction() {
    use appealdesk::db::schema::quota_slots;
    let app = spawn_app().await;
    let response = app.file(&AppealFields::valid(Utc::now())).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let mut conn = app.conn();
    let (wechat_id, year, case_id): (String, i32, i64) = quota_slots::table
        .select((
            quota_slots::wechat_id,
            quota_slots::year,
            quota_slots::case_id,
        ))
        .first(&mut *conn)
        .unwrap();
    let take = |slot: i32, conn: &mut appealdesk::db::DbConn| {
        diesel::insert_into(quota_slots::table)
            .values((
                quota_slots::wechat_id.eq(&wechat_id),
                quota_slots::year.eq(year),
                quota_slots::slot.eq(slot),
                quota_slots::case_id.eq(case_id),
            ))
            .execute(conn)
    };
    let quota = appealdesk::domain::policy::APPEALS_PER_YEAR;
    assert!(take(1, &mut conn).is_err(), "slot 1 is taken");
    assert!(
        take(quota + 1, &mut conn).is_err(),
        "the database's bound is the policy's"
    );
    assert!(take(0, &mut conn).is_err());
    assert!(take(quota, &mut conn).is_ok());
}
