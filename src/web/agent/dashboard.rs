//! `GET /agent/dashboard`: the supervisors' view of load and service levels.

use super::layout::{ConsolePage, Me};
use super::svg::{Bar, bar_chart, row_chart};
use crate::domain::cst;
use crate::web::AppState;
use crate::web::errors::AppResult;
use crate::web::page::{self, Chrome};
use crate::workflows::dashboard::{self, Figures};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

struct Figure {
    label: &'static str,
    value: i64,
}

#[derive(Template)]
#[template(path = "agent/dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    me: Me,
    by_status: Vec<Figure>,
    due_today: i64,
    overdue: i64,
    decided: i64,
    within_target: String,
    within_deadline: String,
    filings_chart: String,
    status_chart: String,
    workload: Vec<(String, i64)>,
    unassigned: i64,
    guided: Vec<Guided>,
}

/// A reason's row of "guided before filing".
struct Guided {
    reason: &'static str,
    title: &'static str,
    stopped: i64,
    filed: i64,
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

pub async fn show(state: web::Data<AppState>, console: ConsolePage) -> AppResult<HttpResponse> {
    let lang = console.lang;
    let today = cst::local_date(state.clock.now());
    let Figures {
        open_by_status,
        due_today,
        overdue,
        decided: (decided, on_target, on_deadline),
        filings_per_day,
        workload,
        unassigned,
        guided,
    } = state
        .store
        .read(move |conn| dashboard::figures(conn, today))
        .await??;
    let by_status: Vec<Figure> = open_by_status
        .iter()
        .map(|(s, n)| Figure {
            label: s.staff_label(lang),
            value: *n,
        })
        .collect();
    let days: Vec<Bar> = filings_per_day
        .iter()
        .map(|(day, n)| Bar {
            label: day.format("%m-%d").to_string(),
            value: *n,
        })
        .collect();
    let status_bars: Vec<Bar> = by_status
        .iter()
        .map(|f| Bar {
            label: f.label.to_owned(),
            value: f.value,
        })
        .collect();
    let page = Dashboard {
        chrome: console.chrome,
        me: console.me,
        filings_chart: bar_chart(
            lang.t("近 8 周每日提交量", "Filings per day, last 8 weeks"),
            &days,
            7,
        ),
        status_chart: row_chart(
            lang.t("未结案件（按状态）", "Open cases by status"),
            &status_bars,
        ),
        by_status,
        due_today,
        overdue,
        decided,
        within_target: percent(on_target, decided),
        within_deadline: percent(on_deadline, decided),
        workload,
        unassigned,
        guided: guided
            .into_iter()
            .map(|(reason, stopped, filed)| Guided {
                reason: reason.as_str(),
                title: reason.title(lang),
                stopped,
                filed,
            })
            .collect(),
    };
    page::render(StatusCode::OK, &page)
}
