//! `POST /agent/cases/bulk`: one step (claim, assign, note) on the cases checked in the
//! queue, or on every case of the page; the result page names each case refused.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{CsrfProtected, Verified};
use super::layout::{ConsolePage, Me};
use crate::domain::Refusal;
use crate::domain::ids::CaseVersion;
use crate::domain::text::CaseText;
use crate::web::AppState;
use crate::web::errors::{AppError, AppResult};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::workflows::bulk::{self, BulkError, BulkOutcome, BulkStep};

/// The queue's bulk form: each checked case as `pick.{number}`, every case of the page as
/// `page.{number}` (used when `all` is checked).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BulkForm {
    action: String,
    agent_id: String,
    text: String,
    all: String,
    csrf_token: String,
    #[serde(flatten)]
    cases: BTreeMap<String, String>,
}

impl CsrfProtected for BulkForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl BulkForm {
    /// The case numbers the form names (sorted), each with the version the queue showed
    /// (`page.{number}`; none from a script that sent no page).
    fn chosen(&self) -> Vec<(String, Option<CaseVersion>)> {
        let prefix = if self.all == "1" { "page." } else { "pick." };
        self.cases
            .keys()
            .filter_map(|k| k.strip_prefix(prefix))
            .map(|number| {
                let seen = self.cases.get(&format!("page.{number}")).map(|raw| {
                    // One that cannot be read is no version the case ever had.
                    raw.trim().parse().unwrap_or(CaseVersion::new(-1))
                });
                (number.to_owned(), seen)
            })
            .collect()
    }

    fn step(&self) -> Result<BulkStep, Box<dyn Refusal>> {
        match self.action.as_str() {
            "claim" => Ok(BulkStep::Claim),
            "assign" => self.agent_id.parse().map(BulkStep::Assign).map_err(|_| {
                Box::new(crate::workflows::review::ReviewError::InactiveAssignee) as _
            }),
            _ => CaseText::parse(&self.text)
                .map(BulkStep::Note)
                .map_err(|e| Box::new(e) as _),
        }
    }
}

struct Line {
    case_number: String,
    why: Option<String>,
}

#[derive(Template)]
#[template(path = "agent/bulk_result.html")]
struct ResultPage {
    chrome: Chrome,
    me: Me,
    done: usize,
    lines: Vec<Line>,
    problem: Option<String>,
}

pub async fn apply(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    v: Verified<BulkForm>,
) -> AppResult<HttpResponse> {
    let console = ConsolePage::new(&req, &v.who, lang);
    let cases = v.form.chosen();
    let outcome = match v.form.step() {
        Err(refused) => Err((StatusCode::UNPROCESSABLE_ENTITY, refused.message(lang))),
        Ok(step) => {
            let (actor, links, now) = (v.who.actor(), state.links_base(), state.clock.now());
            let done = state
                .store
                .write(move |conn| bulk::apply(conn, &actor, &cases, &step, &links, now))
                .await?;
            state.mail.wake();
            match done {
                Ok(outcome) => Ok(outcome),
                Err(BulkError::Failure(f)) => return Err(AppError::from(f)),
                Err(refused @ BulkError::Forbidden) => {
                    Err((StatusCode::FORBIDDEN, refused.message(lang)))
                }
                Err(refused) => Err((StatusCode::UNPROCESSABLE_ENTITY, refused.message(lang))),
            }
        }
    };
    let (status, page) = match outcome {
        Ok(BulkOutcome { done, refused }) => (
            StatusCode::OK,
            ResultPage {
                chrome: console.chrome,
                me: console.me,
                done: done.len(),
                // The refused first: they are what the agent must look at.
                lines: refused
                    .into_iter()
                    .map(|(case_number, why)| Line {
                        case_number,
                        why: Some(why.message(lang)),
                    })
                    .chain(done.into_iter().map(|case_number| Line {
                        case_number,
                        why: None,
                    }))
                    .collect(),
                problem: None,
            },
        ),
        Err((status, problem)) => (
            status,
            ResultPage {
                chrome: console.chrome,
                me: console.me,
                done: 0,
                lines: Vec::new(),
                problem: Some(problem),
            },
        ),
    };
    page::render(status, &page)
}
