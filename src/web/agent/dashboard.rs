//! `GET /agent/dashboard`: the supervisors' view of load and service levels.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Days;

use super::auth::Supervisor;
use super::layout::Me;
use super::svg::{Bar, bar_chart};
use crate::db::stats;
use crate::domain::case_status::CaseStatus;
use crate::domain::cst;
use crate::web::AppState;
use crate::web::errors::AppResult;
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};

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
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    Supervisor(who): Supervisor,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    let today = cst::local_date(state.clock.now());
    let open: Vec<&'static str> = CaseStatus::OPEN.iter().map(|s| s.as_str()).collect();
    let four_weeks_ago = today - Days::new(28);
    let eight_weeks_ago = today - Days::new(55);
    let figures = state
        .db(move |conn| {
            Ok::<_, diesel::result::Error>((
                stats::open_by_status(conn, &open)?,
                stats::open_due(conn, &open, today)?,
                stats::decided_within(conn, four_weeks_ago)?,
                stats::filings_per_day(conn, eight_weeks_ago)?,
                stats::workload(conn, &open)?,
                stats::unassigned_open(conn, &open)?,
            ))
        })
        .await?
        .map_err(|e| crate::web::errors::AppError::Internal(e.into()))?;
    let (
        by_status,
        (due_today, overdue),
        (decided, on_target, on_deadline),
        per_day,
        workload,
        unassigned,
    ) = figures;

    let by_status: Vec<Figure> = CaseStatus::OPEN
        .iter()
        .map(|s| Figure {
            label: s.label(lang),
            value: by_status
                .iter()
                .find(|(k, _)| k == s.as_str())
                .map_or(0, |(_, n)| *n),
        })
        .collect();
    // Every day of the eight weeks, with the empty days too.
    let days: Vec<Bar> = (0..56)
        .map(|i| eight_weeks_ago + Days::new(i))
        .map(|day| Bar {
            label: day.format("%m-%d").to_string(),
            value: per_day
                .iter()
                .find(|(d, _)| *d == day)
                .map_or(0, |(_, n)| *n),
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
        chrome: Chrome::new(&req, lang),
        me: Me::new(&who, lang),
        filings_chart: bar_chart(
            lang.t("近 8 周每日提交量", "Filings per day, last 8 weeks"),
            &days,
            7,
        ),
        status_chart: bar_chart(
            lang.t("未结案件（按状态）", "Open cases by status"),
            &status_bars,
            1,
        ),
        by_status,
        due_today,
        overdue,
        decided,
        within_target: percent(on_target, decided),
        within_deadline: percent(on_deadline, decided),
        workload,
        unassigned,
    };
    page::render(StatusCode::OK, &page)
}
