//! `GET /agent/calendar`, `POST /agent/calendar` (CSV) and `POST /agent/calendar/ics` (an
//! iCalendar file): the working-day calendar by year.

use actix_multipart::form::MultipartForm;
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
use crate::web::errors::{AppError, AppResult, Denied};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::web::upload::{FileForm, SmallFile, Value};
use crate::workflows::calendar_admin::{self, ArrangementFile, Loaded};

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
    /// The iCalendar form's refusal.
    ics_problem: Option<String>,
    /// What the last load did: "2027: 31 days; 4 open cases recomputed".
    loaded: Option<String>,
}

/// What the page says above its forms: a refusal (by form) or what a load did.
enum Said {
    Csv(String),
    Ics(String),
    Loaded(String),
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    lang: Lang,
    status: StatusCode,
    form: (String, String),
    said: Option<Said>,
) -> AppResult<HttpResponse> {
    let years = state.store.read(calendar_admin::loaded_years).await??;
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
        problem: match &said {
            Some(Said::Csv(p)) => Some(p.clone()),
            _ => None,
        },
        ics_problem: match &said {
            Some(Said::Ics(p)) => Some(p.clone()),
            _ => None,
        },
        loaded: match said {
            Some(Said::Loaded(note)) => Some(note),
            _ => None,
        },
    };
    Ok(page::private(page::builder(status)).body(page.render()?))
}

/// After a load: which year, how many days, how many open cases moved.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    loaded: Option<i32>,
    days: usize,
    moved: usize,
}

fn loaded_note(lang: Lang, year: i32, days: usize, moved: usize) -> String {
    match lang {
        Lang::Zh => {
            format!("已保存 {year} 年：{days} 个日期；{moved} 个未结案件的处理日期已重新计算。")
        }
        Lang::En => format!(
            "{year} saved: {days} dates; the review dates of {moved} open cases were recomputed."
        ),
    }
}

fn after_load(year: i32, loaded: Loaded) -> HttpResponse {
    page::see_other(format!(
        "/agent/calendar?loaded={year}&days={}&moved={}",
        loaded.days, loaded.recomputed
    ))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    UiLang(lang): UiLang,
    query: web::Query<ShowQuery>,
) -> AppResult<HttpResponse> {
    let next_year = cst::local_date(state.clock.now()).year() + 1;
    let header = "date,kind,holiday_zh,holiday_en\n".to_owned();
    let loaded = query
        .loaded
        .map(|year| Said::Loaded(loaded_note(lang, year, query.days, query.moved)));
    render(
        &req,
        &state,
        &who,
        lang,
        StatusCode::OK,
        (next_year.to_string(), header),
        loaded,
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
        .store
        .run(move |session| {
            calendar_admin::load_year(session, y, ArrangementFile::Csv(&csv), &source, now)
        })
        .await??;
    let problem = match outcome {
        Ok(loaded) => {
            state.mail.wake();
            return Ok(after_load(y, loaded));
        }
        Err(refused) => Said::Csv(refused.message(lang)),
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

/// The iCalendar form: `csrf_token`, `year` and the `ics` file, refused (413) past
/// `policy::CALENDAR_FILE_MAX_BYTES`. A form without its file (sent urlencoded) is read
/// too: its token is checked like any other, and the missing file is then the refusal
/// the page explains.
#[derive(MultipartForm, Deserialize, Default)]
#[serde(default)]
pub struct IcsForm {
    csrf_token: Option<Value>,
    year: Option<Value>,
    #[multipart(limit = "1 MiB")]
    #[serde(skip)]
    ics: Option<SmallFile>,
}

pub async fn load_ics(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    UiLang(lang): UiLang,
    FileForm(form): FileForm<IcsForm>,
) -> AppResult<HttpResponse> {
    if !super::auth::same_token(&Value::text(form.csrf_token), &who.csrf) {
        return Err(AppError::Forbidden(Denied::ForeignForm));
    }
    let form_year = Value::text(form.year);
    let year: i32 = form_year.trim().parse().unwrap_or(0);
    let now = state.clock.now();
    let source = format!("iCalendar file loaded by {}", who.agent.email);
    let ics = String::from_utf8_lossy(&form.ics.unwrap_or_default().0).into_owned();
    let outcome = state
        .store
        .run(move |session| {
            calendar_admin::load_year(session, year, ArrangementFile::Ics(&ics), &source, now)
        })
        .await??;
    let problem = match outcome {
        Ok(loaded) => {
            state.mail.wake();
            return Ok(after_load(year, loaded));
        }
        Err(refused) => Said::Ics(refused.message(lang)),
    };
    let header = "date,kind,holiday_zh,holiday_en\n".to_owned();
    render(
        &req,
        &state,
        &who,
        lang,
        StatusCode::UNPROCESSABLE_ENTITY,
        (form_year, header),
        Some(problem),
    )
    .await
}
