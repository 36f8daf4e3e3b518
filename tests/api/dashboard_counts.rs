//! The dashboard's per-day counters against the same figures counted over the cases.

use appealdesk::db::DbConn;
use appealdesk::domain::agent::Role;
use appealdesk::workflows::dashboard::{self, Figures};
use chrono::{Days, NaiveDate};
use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

use crate::helpers::{AppealFields, TestApp, spawn_app_at};

/// Both ways of counting, for every day from before the first filing to after the last.
fn compare(app: &TestApp, first: NaiveDate, last: NaiveDate) -> Figures {
    let mut conn = app.conn();
    let mut day = first;
    while day <= last {
        let counted = dashboard::figures(&mut conn, day).expect("figures from the counters");
        let recounted =
            dashboard::figures_recounted(&mut conn, day).expect("figures from the cases");
        assert_eq!(counted, recounted, "the figures on {day}");
        day = day + Days::new(1);
    }
    dashboard::figures(&mut conn, last).expect("figures")
}

async fn withdraw(app: &TestApp, token: &str) {
    app.withdraw(token).await;
}

#[tokio::test]
async fn the_counters_give_the_figures_counted_over_the_cases_and_a_backfill_gives_them_too() {
    let app = spawn_app_at("2026-11-02 10:00:00").await;
    app.create_agent("boss@example.com", Role::Supervisor);
    let first_day = appealdesk::domain::cst::local_date(app.clock.now());
    let mut filed: Vec<[(String, String); 2]> = Vec::new();
    for d in 0..12 {
        let boss = app.sign_in("boss@example.com").await;
        let now = app.clock.now();
        let transfer = app.filed_case(&AppealFields::valid(now)).await;
        let packet = app
            .filed_case(&AppealFields::valid(now).set("packet_kind", "red_packet"))
            .await;
        filed.push([transfer, packet]);
        if d >= 1 {
            for (case, _) in &filed[d - 1] {
                assert_eq!(boss.act(case, "claim", &[]).await, StatusCode::SEE_OTHER);
            }
        }
        if d >= 2 {
            let (outcome, reason) = if d % 2 == 0 {
                ("approved", "recipient_agreed")
            } else {
                ("rejected", "already_claimed")
            };
            let decided = boss
                .act(
                    &filed[d - 2][0].0,
                    "decide",
                    &[("outcome", outcome), ("reason_code", reason)],
                )
                .await;
            assert_eq!(decided, StatusCode::SEE_OTHER);
        }
        match d {
            4 => {
                let ask = [("text", "Send the screenshot")];
                let asked = boss.act(&filed[3][1].0, "request-evidence", &ask).await;
                assert_eq!(asked, StatusCode::SEE_OTHER);
            }
            5 => {
                let reason = [("text", "Filed in someone else's name")];
                assert_eq!(
                    boss.act(&filed[2][1].0, "void", &reason).await,
                    StatusCode::SEE_OTHER
                );
            }
            6 => withdraw(&app, &filed[5][1].1).await,
            8 => {
                let done = boss.act(&filed[2][0].0, "carried-out", &[]).await;
                assert_eq!(done, StatusCode::SEE_OTHER);
            }
            _ => {}
        }
        app.clock.advance(chrono::Duration::days(1));
    }
    // Late decisions: the second case of each day, those still in review.
    let boss = app.sign_in("boss@example.com").await;
    for [_, (case, _)] in &filed {
        boss.act(
            case,
            "decide",
            &[("outcome", "approved"), ("reason_code", "recipient_agreed")],
        )
        .await;
    }

    let today = appealdesk::domain::cst::local_date(app.clock.now());
    let last = today + Days::new(3);
    let figures = compare(&app, first_day - Days::new(3), last);
    let (decided, on_target, on_deadline) = figures.decided;
    assert!(decided >= 15, "a scenario with decisions: {decided}");
    assert!(
        on_target < on_deadline && on_deadline < decided,
        "some late"
    );
    assert_eq!(
        figures.filings_per_day.iter().map(|(_, n)| n).sum::<i64>(),
        24
    );
    // Open work of every kind is left to count: unassigned, an agent's, by status.
    assert!(figures.unassigned > 0, "unassigned: {}", figures.unassigned);
    assert!(!figures.workload.is_empty(), "no agent holds an open case");
    assert!(
        figures
            .open_by_status
            .iter()
            .filter(|(_, n)| *n > 0)
            .count()
            >= 2
    );

    // A database from before the counters: the migrations' backfills count its history.
    let mut conn = app.conn();
    let backend = match &mut *conn {
        DbConn::Sqlite(_) => "sqlite",
        DbConn::Postgres(_) => "postgres",
    };
    for migration in [
        "2026-11-28-000008_daily_counts",
        "2026-12-03-000018_open_counts",
    ] {
        let dir = format!(
            "{}/migrations/{backend}/{migration}",
            env!("CARGO_MANIFEST_DIR")
        );
        for step in ["down.sql", "up.sql"] {
            let sql = std::fs::read_to_string(format!("{dir}/{step}")).expect("migration");
            conn.batch_execute(&sql).expect(step);
        }
    }
    drop(conn);
    assert_eq!(compare(&app, first_day - Days::new(3), last), figures);
}
