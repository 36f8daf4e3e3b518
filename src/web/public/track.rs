//! `GET /track/{token}`: the case's status, dates and timeline, for whoever holds the link.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};

use crate::db::events::EventRow;
use crate::domain::case_status::CaseStatus;
use crate::domain::evidence::PacketKind;
use crate::domain::money::Fen;
use crate::domain::{Lang, cst};
use crate::web::AppState;
use crate::web::errors::{AppError, AppResult};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome, DateView};
use crate::workflows::track_case::track_case;

#[derive(Template)]
#[template(path = "public/track.html")]
struct TrackPage {
    chrome: Chrome,
    case_number: String,
    status: &'static str,
    status_code: &'static str,
    packet_kind: &'static str,
    amount: Fen,
    sent_at: String,
    filed_at: String,
    review_target: DateView,
    review_deadline: DateView,
    timeline: Vec<Entry>,
}

struct Entry {
    at: String,
    what: &'static str,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    if token.len() > 100 {
        return Err(AppError::NotFound);
    }
    let tracked = state
        .db(move |conn| track_case(conn, &token))
        .await??
        .ok_or(AppError::NotFound)?;
    let case = tracked.case;
    let status = CaseStatus::parse(&case.status).ok_or_else(|| {
        anyhow::anyhow!(
            "case {} has unknown status {}",
            case.case_number,
            case.status
        )
    })?;
    let page = TrackPage {
        chrome: Chrome::new(&req, lang),
        status: status.label(lang),
        status_code: status.as_str(),
        packet_kind: PacketKind::parse(&case.packet_kind)
            .map(|k| k.label(lang))
            .unwrap_or_default(),
        amount: Fen::new(case.amount_fen),
        sent_at: cst::format_local(utc(case.sent_at)),
        filed_at: cst::format_local(utc(case.filed_at)),
        review_target: DateView::new(lang, case.review_target),
        review_deadline: DateView::new(lang, case.review_deadline),
        timeline: tracked.timeline.iter().map(|e| entry(lang, e)).collect(),
        case_number: case.case_number,
    };
    Ok(page::private(page::builder(StatusCode::OK)).body(page.render()?))
}

fn utc(naive: chrono::NaiveDateTime) -> DateTime<Utc> {
    naive.and_utc()
}

fn entry(lang: Lang, event: &EventRow) -> Entry {
    let what = match event.kind.as_str() {
        "filed" => lang.t(
            "申诉已提交，等待客服受理",
            "Appeal filed; waiting for customer service",
        ),
        _ => lang.t("案件已更新", "Case updated"),
    };
    Entry {
        at: cst::format_local(utc(event.at)),
        what,
    }
}
