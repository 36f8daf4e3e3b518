//! The actions on a case: each a POST with the session's CSRF token, run through the
//! review workflow, answered with the case page (303) or the refusal next to its form.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::auth::{CsrfProtected, SignedIn, TokenOnly, Verified};
use super::case::render;
use crate::db;
use crate::domain::decision::{Outcome, StandardReason};
use crate::domain::{Lang, Refusal};
use crate::web::AppState;
use crate::web::errors::{AppError, AppResult};
use crate::web::i18n::UiLang;
use crate::web::page;
use crate::workflows::review::{self, Command, ReviewError};

/// Runs a command and answers: back to the case, or the case with the refusal shown.
async fn run(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    lang: Lang,
    number: String,
    form_name: &'static str,
    command: Command,
) -> AppResult<HttpResponse> {
    let actor = who.actor();
    let now = state.clock.now();
    let n = number.clone();
    let links = state.links_base();
    let result = state
        .db(move |conn| review::act(conn, &n, &actor, &command, &links, now))
        .await?;
    let (status, message) = match result {
        Ok(_) => {
            state.mail.wake();
            return Ok(page::see_other(format!("/agent/cases/{number}")));
        }
        Err(ReviewError::NotFound) => return Err(AppError::NotFound),
        Err(ReviewError::Forbidden) => {
            return Err(AppError::Forbidden("not allowed for this account"));
        }
        Err(ReviewError::Failure(f)) => return Err(f.into()),
        Err(ReviewError::Illegal(_)) => (
            StatusCode::CONFLICT,
            lang.t(
                "案件当前的状态不允许这个操作，可能已有其他人处理。",
                "The case does not allow this now; someone may have acted first.",
            )
            .to_owned(),
        ),
        Err(ReviewError::Text(refused)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, refused.message(lang))
        }
        Err(ReviewError::Invalid(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t("请选择一位在职的客服。", "Choose an active agent.")
                .to_owned(),
        ),
    };
    render(
        &req,
        &state,
        &who,
        lang,
        number,
        status,
        Some((form_name, message)),
    )
    .await
}

pub async fn claim(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    number: web::Path<String>,
    v: Verified<TokenOnly>,
) -> AppResult<HttpResponse> {
    run(
        req,
        state,
        v.who,
        lang,
        number.into_inner(),
        "claim",
        Command::Claim,
    )
    .await
}

pub async fn carried_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    number: web::Path<String>,
    v: Verified<TokenOnly>,
) -> AppResult<HttpResponse> {
    run(
        req,
        state,
        v.who,
        lang,
        number.into_inner(),
        "carried-out",
        Command::RecordCarriedOut,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    agent_id: String,
    csrf_token: String,
}

impl CsrfProtected for AssignForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    number: web::Path<String>,
    v: Verified<AssignForm>,
) -> AppResult<HttpResponse> {
    // An unreadable id is no agent: the workflow refuses it next to the form.
    let agent_id = v.form.agent_id.trim().parse().unwrap_or(-1);
    run(
        req,
        state,
        v.who,
        lang,
        number.into_inner(),
        "assign",
        Command::Assign { agent_id },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TextForm {
    text: String,
    csrf_token: String,
}

impl CsrfProtected for TextForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn request_evidence(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    number: web::Path<String>,
    v: Verified<TextForm>,
) -> AppResult<HttpResponse> {
    let command = Command::RequestEvidence {
        message: v.form.text,
    };
    run(
        req,
        state,
        v.who,
        lang,
        number.into_inner(),
        "request-evidence",
        command,
    )
    .await
}

pub async fn void(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    number: web::Path<String>,
    v: Verified<TextForm>,
) -> AppResult<HttpResponse> {
    let command = Command::Void {
        reason: v.form.text,
    };
    run(
        req,
        state,
        v.who,
        lang,
        number.into_inner(),
        "void",
        command,
    )
    .await
}

pub async fn note(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    number: web::Path<String>,
    v: Verified<TextForm>,
) -> AppResult<HttpResponse> {
    let actor = v.who.actor();
    let now = state.clock.now();
    let (n, text) = (number.into_inner(), v.form.text);
    let number = n.clone();
    let result = state
        .db(move |conn| review::add_note(conn, &n, &actor, &text, now))
        .await?;
    match result {
        Ok(()) => Ok(page::see_other(format!("/agent/cases/{number}"))),
        Err(ReviewError::NotFound) => Err(AppError::NotFound),
        Err(ReviewError::Failure(f)) => Err(f.into()),
        Err(refused) => {
            let message = match refused {
                ReviewError::Text(e) => e.message(lang),
                _ => lang
                    .t("无法添加备注。", "The note could not be added.")
                    .to_owned(),
            };
            render(
                &req,
                &state,
                &v.who,
                lang,
                number,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(("note", message)),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecideForm {
    outcome: String,
    reason_code: String,
    text: String,
    csrf_token: String,
}

impl CsrfProtected for DecideForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    number: web::Path<String>,
    v: Verified<DecideForm>,
) -> AppResult<HttpResponse> {
    let form = v.form;
    // The agent's own words win; otherwise the chosen standard reason, in the language
    // the appellant filed in.
    let standard = StandardReason::find(&form.reason_code);
    let outcome = match form.outcome.as_str() {
        "approved" => Some(Outcome::Approved),
        "rejected" => Some(Outcome::Rejected),
        _ => standard.map(|r| r.outcome),
    };
    let number = number.into_inner();
    let Some(outcome) = outcome.filter(|o| standard.is_none_or(|r| r.outcome == *o)) else {
        let message = lang.t(
            "请选择通过或驳回，以及相应的理由。",
            "Choose approve or reject, and a matching reason.",
        );
        return render(
            &req,
            &state,
            &v.who,
            lang,
            number,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("decide", message.to_owned())),
        )
        .await;
    };
    let reason = if form.text.trim().is_empty() {
        let n = number.clone();
        let filed_lang = state
            .db(move |conn| db::cases::by_number(conn, &n))
            .await??
            .and_then(|c| Lang::from_code(&c.lang))
            .unwrap_or_default();
        standard
            .map(|r| r.text(filed_lang).to_owned())
            .unwrap_or_default()
    } else {
        form.text
    };
    let command = match outcome {
        Outcome::Approved => Command::Approve { reason },
        Outcome::Rejected => Command::Reject { reason },
    };
    run(req, state, v.who, lang, number, "decide", command).await
}
