//! `GET /agent/calendar` and `POST /agent/calendar`: the working-day calendar by year.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Datelike;
use serde::Deserialize;

use super::auth::{CsrfProtected, SignedIn, Supervisor, Verified};
use super::layout::Me;
use crate::db;
use crate::domain::calendar::DayKind;
use crate::domain::{Lang, Refusal, cst};
use crate::web::AppState;
use crate::web::errors::{AppError, AppResult};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::workflows::calendar_admin::{LoadRefused, load_year, year_days};

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
    let years = state
        .db(move |conn| {
            let mut years = Vec::new();
            for year in db::calendar::loaded_years(conn)? {
                years.push((year, year_days(conn, year)?));
            }
            Ok::<_, crate::workflows::Failure>(years)
        })
        .await??;
    let page = CalendarPage {
        chrome: Chrome::new(req, lang),
        me: Me::new(who, lang),
        years: years
            .into_iter()
            .rev()
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
    Supervisor(who): Supervisor,
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

pub async fn load_year_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    v: Verified<LoadForm>,
) -> AppResult<HttpResponse> {
    if !v.who.is_supervisor() {
        return Err(AppError::Forbidden("supervisors only"));
    }
    let form = v.form;
    let year: Option<i32> = form.year.trim().parse().ok();
    let now = state.clock.now();
    let source = format!("loaded by {}", v.who.agent.email);
    let (csv, y) = (form.csv.clone(), year.unwrap_or(0));
    let outcome = state
        .db(move |conn| load_year(conn, y, &csv, &source, now))
        .await??;
    let problem = match outcome {
        Ok(_) => {
            return Ok(page::see_other("/agent/calendar"));
        }
        Err(LoadRefused::BadYear) => lang
            .t("请填写年份，如 2027。", "Enter a year, such as 2027.")
            .to_owned(),
        Err(LoadRefused::Csv(e)) => e.message(lang),
        Err(LoadRefused::ControlCharacter) => {
            crate::domain::text::CaseTextError::ControlCharacter.message(lang)
        }
        Err(LoadRefused::OutsideYear { line }) => match lang {
            Lang::Zh => format!("第 {line} 行的日期不在所填年份内。"),
            Lang::En => format!("Line {line} is dated outside the year entered."),
        },
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
