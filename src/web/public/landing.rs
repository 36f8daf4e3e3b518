use actix_web::{HttpRequest, HttpResponse, http::StatusCode};
use askama::Template;

use crate::domain::money::Fen;
use crate::domain::policy;
use crate::web::errors::AppResult;
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};

/// The eligibility rules, read from the policy so the page cannot drift from them.
#[derive(Template)]
#[template(path = "public/landing.html")]
struct Landing {
    chrome: Chrome,
    threshold: Fen,
    appeals_per_year: i32,
    target_days: u32,
    deadline_days: u32,
    max_age_days: i64,
}

pub async fn show(req: HttpRequest, UiLang(lang): UiLang) -> AppResult<HttpResponse> {
    page::render(
        StatusCode::OK,
        &Landing {
            chrome: Chrome::new(&req, lang),
            threshold: policy::ELIGIBLE_ABOVE,
            appeals_per_year: policy::APPEALS_PER_YEAR,
            target_days: policy::REVIEW_TARGET_WORKING_DAYS,
            deadline_days: policy::REVIEW_DEADLINE_WORKING_DAYS,
            max_age_days: policy::SENT_AT_MAX_AGE_DAYS,
        },
    )
}
