//! `GET /agent/calendar` and `POST /agent/calendar`: the working-day calendar by year.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Datelike;
use serde::Deserialize;

use super::auth::{CsrfProtected, SignedIn, Verified};
use super::layout::{ConsolePage, Me};
use crate::domain::calendar::DayKind;
use crate::domain::{Lang, Refusal, cst};
use crate::web::AppState;
use crate::web::errors::AppResult;
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::workflows::calendar_admin;

struct Day {
    date: String,
    off: bool,
    name: String,
}

struct Year {
    year: i32,
    days: Vec<Day>,
}

#[derive(Template)]
#[template(path = "agent/calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    me: Me,
    years: Vec<Year>,
    form_year: String,
    form_csv: String,
    problem: Option<String>,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    lang: Lang,
    status: StatusCode,
    form: (String, String),
    problem: Option<String>,
) -> AppResult<HttpResponse> {
    let years = state.run(calendar_admin::loaded_years).await??;
    let console = ConsolePage::new(req, who, lang);
    let page = CalendarPage {
        chrome: console.chrome,
        me: console.me,
        years: years
            .into_iter()
            .map(|(year, days)| Year {
                year,
                days: days
                    .into_iter()
                    .map(|d| Day {
                        date: d.date.format("%Y-%m-%d").to_string(),
                        off: d.kind == DayKind::DayOff,
                        name: lang.t(&d.name_zh, &d.name_en).to_owned(),
                    })
                    .collect(),
            })
            .collect(),
        form_year: form.0,
        form_csv: form.1,
        problem,
    };
    Ok(page::private(page::builder(status)).body(page.render()?))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    let next_year = cst::local_date(state.clock.now()).year() + 1;
    let header = "date,kind,holiday_zh,holiday_en\n".to_owned();
    render(
        &req,
        &state,
        &who,
        lang,
        StatusCode::OK,
        (next_year.to_string(), header),
        None,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoadForm {
    year: String,
    csv: String,
    csrf_token: String,
}

impl CsrfProtected for LoadForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn load_year(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    v: Verified<LoadForm>,
) -> AppResult<HttpResponse> {
    let form = v.form;
    let year: Option<i32> = form.year.trim().parse().ok();
    let now = state.clock.now();
    let source = format!("loaded by {}", v.who.agent.email);
    let (csv, y) = (form.csv.clone(), year.unwrap_or(0));
    let outcome = state
        .run(move |conn| calendar_admin::load_year(conn, y, &csv, &source, now))
        .await??;
    let problem = match outcome {
        Ok(_) => return Ok(page::see_other("/agent/calendar")),
        Err(refused) => refused.message(lang),
    };
    let form = (form.year, form.csv);
    render(
        &req,
        &state,
        &v.who,
        lang,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        Some(problem),
    )
    .await
}
