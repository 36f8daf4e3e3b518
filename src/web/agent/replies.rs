//! `/agent/replies`: the saved replies supervisors keep for agents to start from.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{CsrfProtected, SignedIn, TokenOnly, Verified};
use super::layout::{ConsolePage, Me};
use crate::domain::saved_reply::{ReplyUse, SavedReply};
use crate::domain::stored::Stored;
use crate::domain::{Lang, Refusal};
use crate::web::AppState;
use crate::web::errors::{AppError, AppResult};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::workflows::saved_replies;
use crate::workflows::views::SavedReplyView;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ReplyForm {
    title: String,
    text_zh: String,
    text_en: String,
    applies_to: String,
    csrf_token: String,
}

impl CsrfProtected for ReplyForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

struct Row {
    id: String,
    title: String,
    applies_to: &'static str,
    text_zh: String,
    text_en: String,
    created_by: String,
}

#[derive(Template)]
#[template(path = "agent/replies.html")]
struct RepliesPage {
    chrome: Chrome,
    me: Me,
    rows: Vec<Row>,
    uses: Vec<(&'static str, &'static str)>,
    form: ReplyForm,
    problem: Option<String>,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    lang: Lang,
    status: StatusCode,
    form: ReplyForm,
    problem: Option<String>,
) -> AppResult<HttpResponse> {
    let replies = state.store.read(saved_replies::list).await??;
    let console = ConsolePage::new(req, who, lang);
    let page = RepliesPage {
        chrome: console.chrome,
        me: console.me,
        rows: replies
            .into_iter()
            .map(|r: SavedReplyView| Row {
                id: r.id.to_string(),
                title: r.title,
                applies_to: r.applies_to.label(lang),
                text_zh: r.text_zh,
                text_en: r.text_en,
                created_by: r.created_by,
            })
            .collect(),
        uses: ReplyUse::ALL
            .iter()
            .map(|u| (u.stored(), u.label(lang)))
            .collect(),
        form,
        problem,
    };
    page::render(status, &page)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: ConsolePage,
) -> AppResult<HttpResponse> {
    let form = ReplyForm::default();
    render(
        &req,
        &state,
        &console.who,
        console.lang,
        StatusCode::OK,
        form,
        None,
    )
    .await
}

pub async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    v: Verified<ReplyForm>,
) -> AppResult<HttpResponse> {
    let f = &v.form;
    match SavedReply::parse(&f.title, &f.text_zh, &f.text_en, &f.applies_to) {
        Err(refused) => {
            let message = refused.message(lang);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&req, &state, &v.who, lang, status, v.form, Some(message)).await
        }
        Ok(reply) => {
            let (actor, now) = (v.who.actor(), state.clock.now());
            state
                .store
                .write(move |conn| saved_replies::add(conn, &reply, &actor, now))
                .await??;
            Ok(page::see_other("/agent/replies".to_owned()))
        }
    }
}

pub async fn delete(
    state: web::Data<AppState>,
    id: web::Path<String>,
    _v: Verified<TokenOnly>,
) -> AppResult<HttpResponse> {
    let id = id.parse().map_err(|_| AppError::NotFound)?;
    let deleted = state
        .store
        .write(move |conn| saved_replies::delete(conn, id))
        .await??;
    if !deleted {
        return Err(AppError::NotFound);
    }
    Ok(page::see_other("/agent/replies".to_owned()))
}
