//! `GET /appeals/receipt/{token}`: what a filing returns. A GET, so a reload files nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::guidance::{Guidance, Reason};
use crate::domain::{guidance, policy};
use crate::web::AppState;
use crate::web::errors::AppResult;
use crate::web::evidence::FileView;
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome, DateView};

#[derive(Template)]
#[template(path = "public/receipt.html")]
struct Receipt {
    chrome: Chrome,
    case_number: String,
    review_target: DateView,
    review_deadline: DateView,
    target_days: u32,
    deadline_days: u32,
    tracking_url: String,
    files: Vec<FileView>,
    /// Filed before an unclaimed red packet would have come back by itself.
    unclaimed_return: Option<String>,
    /// So that it does not happen again.
    prevention: [&'static str; 3],
    /// Filed while the paying bank could still revoke the payment: call it now.
    bank_window: Option<Guidance>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    let tracked = super::track::find(&state, token.clone()).await?;
    let case = tracked.case;
    let page = Receipt {
        files: crate::web::evidence::views(
            &format!("/track/{}/files", token.as_str()),
            &tracked.files,
            lang,
        ),
        chrome: Chrome::new(&req, lang),
        prevention: guidance::prevention(lang),
        bank_window: guidance::triage(
            Some(case.packet_kind),
            Some(case.sent_at.and_utc()),
            case.claim_status,
            case.filed_at.and_utc(),
            lang,
        )
        .into_iter()
        .find(|g| g.reason == Reason::BankWindow),
        unclaimed_return: guidance::filed_before_return(
            lang,
            case.packet_kind,
            case.sent_at.and_utc(),
            case.filed_at.and_utc(),
        ),
        case_number: case.case_number,
        review_target: DateView::counted(lang, case.review_target, &tracked.arrangements),
        review_deadline: DateView::counted(lang, case.review_deadline, &tracked.arrangements),
        target_days: policy::REVIEW_TARGET_WORKING_DAYS,
        deadline_days: policy::REVIEW_DEADLINE_WORKING_DAYS,
        tracking_url: format!("{}/track/{}", state.links_base(), token.as_str()),
    };
    Ok(page::private(page::builder(StatusCode::OK)).body(page.render()?))
}
