//! Years without an official arrangement count the statutory holidays and say their dates are
//! provisional; loading the arrangement recomputes open cases, on their timeline and by mail.

use appealdesk::db::{self, schema::outbox};
use appealdesk::domain::agent::Role;
use appealdesk::domain::calendar::{CalendarDay, DayKind};
use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::{AppealFields, TestApp, cst, location, spawn_app_at, time_field};

const PROVISIONAL_ZH: &str = "暂定：明年的官方放假安排尚未公布";
const PROVISIONAL_EN: &str = "provisional: next year's official arrangement is not yet published";

/// The `<dd>` that holds the `<time data-field="{field}">`: the date and its label, with
/// the apostrophes HTML escapes put back.
fn dd(html: &str, field: &str) -> String {
    let at = html
        .find(&format!("data-field=\"{field}\""))
        .unwrap_or_else(|| panic!("{field} in the page"));
    let end = html[at..].find("</dd>").map_or(html.len(), |e| at + e);
    unescape(&html[at..end])
}

fn unescape(html: &str) -> String {
    html.replace("&#x27;", "'").replace("&#39;", "'")
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(crate::helpers::fixture(name)).expect("UTF-8 fixture")
}

/// (message, lang, body_text) of every mail about the case, oldest first.
fn mails_about(app: &TestApp, message: &str) -> Vec<(String, String)> {
    outbox::table
        .filter(outbox::message.eq(message))
        .order(outbox::id)
        .select((outbox::lang, outbox::body_text))
        .load(&mut *app.conn())
        .expect("outbox rows")
}

#[tokio::test]
async fn a_case_filed_on_24_december_skips_new_years_day_and_says_its_2027_dates_are_provisional() {
    let app = spawn_app_at("2026-12-24 10:00:00").await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let (case, token) = app.filed_case(&AppealFields::valid(app.clock.now())).await;

    // Thu 24 Dec: 25, 28, 29 (target); 30, 31, then Fri 1 Jan 2027 is New Year's Day by law:
    // Mon 4, Tue 5 Jan (deadline).
    let receipt = app.get_html(&format!("/appeals/receipt/{token}")).await;
    assert_eq!(
        time_field(&receipt, "review-target").as_deref(),
        Some("2026-12-29")
    );
    assert_eq!(
        time_field(&receipt, "review-deadline").as_deref(),
        Some("2027-01-05")
    );
    assert!(!dd(&receipt, "review-target").contains(PROVISIONAL_ZH));
    assert!(dd(&receipt, "review-deadline").contains(PROVISIONAL_ZH));

    let tracking = app.get_html(&format!("/track/{token}")).await;
    assert!(dd(&tracking, "review-deadline").contains(PROVISIONAL_ZH));

    let mail: Vec<(String, String)> = mails_about(&app, "receipt");
    assert!(mail[0].1.contains(PROVISIONAL_ZH), "{}", mail[0].1);

    let boss = app.sign_in("boss@example.com").await;
    let page = boss.get_html(&format!("/agent/cases/{case}")).await;
    assert!(dd(&page, "review-deadline").contains(PROVISIONAL_ZH));
    assert!(!dd(&page, "review-target").contains(PROVISIONAL_ZH));
    let queue = boss.get_html("/agent/cases").await;
    assert!(
        queue.contains(PROVISIONAL_ZH),
        "the queue labels the deadline"
    );
    let csv = boss.get("/agent/cases.csv").await.text().await.unwrap();
    let row = csv.lines().find(|l| l.starts_with(&case)).expect("row");
    assert!(
        row.contains(",2027-01-05,") && row.contains(PROVISIONAL_ZH),
        "{row}"
    );

    // In English too.
    boss.get("/lang/en?next=/agent").await;
    let page = boss.get_html(&format!("/agent/cases/{case}")).await;
    assert!(dd(&page, "review-deadline").contains(PROVISIONAL_EN));
}

/// A filing's review dates are remembered for its day while the calendar's stamp is the
/// same: a year that another instance loads (written to the database beside this app,
/// at the same moment by its clock) counts from the next filing on.
#[tokio::test]
async fn a_year_loaded_by_another_instance_counts_from_the_next_filing() {
    let app = spawn_app_at("2026-12-24 10:00:00").await;
    let (_, first) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    let receipt = app.get_html(&format!("/appeals/receipt/{first}")).await;
    assert_eq!(
        time_field(&receipt, "review-deadline").as_deref(),
        Some("2027-01-05")
    );
    assert!(dd(&receipt, "review-deadline").contains(PROVISIONAL_ZH));

    let day_off = |day: &str| CalendarDay {
        date: NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap(),
        kind: DayKind::DayOff,
        name_zh: "元旦".to_owned(),
        name_en: "New Year's Day".to_owned(),
    };
    db::calendar::replace_year(
        &mut app.conn(),
        2027,
        &[day_off("2027-01-01"), day_off("2027-01-04")],
        "another instance",
        app.clock.now().naive_utc(),
    )
    .unwrap();

    // 25, 28, 29 Dec (target); 30, 31; 1 Jan off, the weekend, 4 Jan off; 5, 6 Jan.
    let (_, second) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    let receipt = app.get_html(&format!("/appeals/receipt/{second}")).await;
    assert_eq!(
        time_field(&receipt, "review-deadline").as_deref(),
        Some("2027-01-06")
    );
    assert!(!dd(&receipt, "review-deadline").contains(PROVISIONAL_ZH));
}

#[tokio::test]
async fn loading_2027_through_the_console_recomputes_open_cases_on_their_timeline_and_by_mail() {
    // The arrangement is late: it is 1 February 2027 and none is loaded.
    let app = spawn_app_at("2027-02-01 10:00:00").await;
    app.create_agent("boss@example.com", Role::Supervisor);
    // An English appellant files on Mon 1 Feb. By law alone: Tue 2, Wed 3, Thu 4 (target);
    // Fri 5 (New Year's Eve) and Mon 8 are days off: Tue 9 to Fri 12 (deadline).
    app.get("/lang/en?next=/").await;
    let (later, later_token) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    let tracking = app.get_html(&format!("/track/{later_token}")).await;
    assert_eq!(
        time_field(&tracking, "review-deadline").as_deref(),
        Some("2027-02-12")
    );
    assert!(dd(&tracking, "review-deadline").contains(PROVISIONAL_EN));

    // A Chinese appellant files on Thu 18 Feb: by law, Fri 19, Mon 22, Tue 23 (target);
    // Wed 24, Thu 25, Fri 26, Mon 1 Mar (deadline).
    app.clock.advance(Duration::days(17));
    app.get("/lang/zh-CN?next=/").await;
    let (earlier, earlier_token) = app.filed_case(&AppealFields::valid(app.clock.now())).await;
    let tracking = app.get_html(&format!("/track/{earlier_token}")).await;
    assert_eq!(
        time_field(&tracking, "review-target").as_deref(),
        Some("2027-02-23")
    );
    assert_eq!(
        time_field(&tracking, "review-deadline").as_deref(),
        Some("2027-03-01")
    );

    // The supervisor loads the arrangement: 5–13 February off, Saturday 20 February a
    // make-up working day.
    let boss = app.sign_in("boss@example.com").await;
    let csv = fixture_text("china-2027.csv");
    let response = boss
        .post("/agent/calendar", &[("year", "2027"), ("csv", &csv)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = boss.get_html(&location(&response)).await;
    assert!(page.contains("2 个未结案件"), "the console says what moved");

    // The first case's deadline moves later: Mon 15 to Thu 18 February.
    app.get("/lang/en?next=/").await;
    let tracking = app.get_html(&format!("/track/{later_token}")).await;
    assert_eq!(
        time_field(&tracking, "review-target").as_deref(),
        Some("2027-02-04")
    );
    assert_eq!(
        time_field(&tracking, "review-deadline").as_deref(),
        Some("2027-02-18")
    );
    assert!(
        !unescape(&tracking).contains(PROVISIONAL_EN),
        "2027 is official now"
    );
    assert!(
        tracking.contains("your review dates were recomputed (later)"),
        "the appellant's timeline says so"
    );
    assert!(tracking.contains("deadline: 2027-02-12 → 2027-02-18 (later)"));
    let console = boss.get_html(&format!("/agent/cases/{later}")).await;
    assert!(console.contains("按官方放假安排重新计算了处理日期（推后）"));

    // The second case's dates come earlier (the make-up Saturday counts): the timeline says
    // so in as many words.
    app.get("/lang/zh-CN?next=/").await;
    let tracking = app.get_html(&format!("/track/{earlier_token}")).await;
    assert_eq!(
        time_field(&tracking, "review-target").as_deref(),
        Some("2027-02-22")
    );
    assert_eq!(
        time_field(&tracking, "review-deadline").as_deref(),
        Some("2027-02-26")
    );
    assert!(tracking.contains("处理日期已重新计算：日期提前"));
    assert!(tracking.contains("最迟处理日期：2027-03-01 → 2027-02-26 (提前)"));
    let console = boss.get_html(&format!("/agent/cases/{earlier}")).await;
    assert!(console.contains("按官方放假安排重新计算了处理日期：日期提前"));

    // Each appellant is mailed, in their language.
    let mails = mails_about(&app, "dates_moved");
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(mails[0].0, "en");
    assert!(mails[0].1.contains("Deadline: Thursday 18 February 2027"));
    assert!(
        mails[0]
            .1
            .contains("Previous deadline: Friday 12 February 2027")
    );
    assert_eq!(mails[1].0, "zh-CN");
    assert!(mails[1].1.contains("日期提前了"));
    assert!(mails[1].1.contains("最迟处理日期：2027年2月26日（星期五）"));

    // Loading the same year again moves nothing and mails nobody.
    let response = boss
        .post("/agent/calendar", &[("year", "2027"), ("csv", &csv)])
        .await;
    assert!(location(&response).contains("moved=0"));
    assert_eq!(mails_about(&app, "dates_moved").len(), 2);
}

#[tokio::test]
async fn a_holiday_calendar_file_is_imported_and_one_that_contradicts_itself_is_refused() {
    let app = spawn_app_at("2026-11-28 10:00:00").await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let boss = app.sign_in("boss@example.com").await;
    let send = |ics: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", boss.csrf.clone())
            .text("year", "2027")
            .part(
                "ics",
                reqwest::multipart::Part::bytes(ics.into_bytes())
                    .file_name("holidays.ics")
                    .mime_str("text/calendar")
                    .unwrap(),
            );
        boss.client
            .post(boss.url("/agent/calendar/ics"))
            .multipart(form)
            .send()
    };

    let ics = fixture_text("china-holidays-2027.ics");
    // The same file, with Sunday 31 January also listed as a day off.
    let contradictory = ics.replace(
        "END:VCALENDAR",
        "BEGIN:VEVENT\r\nUID:extra@holidays.test\r\nDTSTAMP:20261120T000000Z\r\n\
         DTSTART;VALUE=DATE:20270130\r\nDTEND;VALUE=DATE:20270201\r\nSUMMARY:春节 休\r\n\
         END:VEVENT\r\nEND:VCALENDAR",
    );
    let refused = send(contradictory).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("既是放假日又是上班日：2027-01-31"),
        "the offending date is named"
    );
    assert!(
        !page.contains("2027-01-30"),
        "only the contradiction is named"
    );
    assert!(
        !boss
            .get_html("/agent/calendar")
            .await
            .contains("data-year=\"2027\"")
    );

    let loaded = send(ics).await.unwrap();
    assert_eq!(loaded.status(), StatusCode::SEE_OTHER);
    let page = boss.get_html(&location(&loaded)).await;
    assert!(
        page.contains("已保存 2027 年：35 个日期"),
        "29 days off, 6 make-up days"
    );
    assert!(page.contains("data-year=\"2027\""));
    assert!(page.contains("2027-02-20"), "a make-up Saturday");
    assert!(!page.contains("2027-09-10"), "Teachers' Day is no day off");

    // 2027 is official now: 31 Dec 2026 + 1 working day is Monday 4 January, not provisional.
    let due = cst("2026-12-31 10:00:00");
    let mut conn = app.conn();
    let due = appealdesk::workflows::working_days::due_date(
        &mut conn,
        appealdesk::domain::cst::local_date(due),
        1,
    )
    .unwrap();
    assert_eq!(due.date.to_string(), "2027-01-04");
    assert!(due.provisional_years.is_empty());
}
