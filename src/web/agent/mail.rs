//! `GET /agent/mail`: mail that could not be delivered, with the last SMTP error, and a
//! button to send it again once the cause is fixed (supervisors).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::auth::{Supervisor, TokenOnly, Verified};
use super::layout::Me;
use crate::db::outbox::DeadMail;
use crate::domain::cst;
use crate::web::AppState;
use crate::web::errors::{AppError, AppResult};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::workflows::mail_admin::{self, Resend};

struct Row {
    mail: DeadMail,
    created_at: String,
}

#[derive(Template)]
#[template(path = "agent/mail.html")]
struct MailPage {
    chrome: Chrome,
    me: Me,
    dead: Vec<Row>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    Supervisor(who): Supervisor,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    let dead = state.db(mail_admin::dead_mail).await??;
    let page = MailPage {
        chrome: Chrome::new(&req, lang),
        me: Me::new(&who, lang),
        dead: dead
            .into_iter()
            .map(|mail| Row {
                created_at: cst::format_local(mail.created_at.and_utc()),
                mail,
            })
            .collect(),
    };
    Ok(page::private(page::builder(StatusCode::OK)).body(page.render()?))
}

pub async fn resend(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    v: Verified<TokenOnly>,
) -> AppResult<HttpResponse> {
    if !v.who.is_supervisor() {
        return Err(AppError::Forbidden("supervisors only"));
    }
    let (id, actor, now) = (id.into_inner(), v.who.actor(), state.clock.now());
    match state
        .db(move |conn| mail_admin::resend(conn, id, &actor, now))
        .await??
    {
        Resend::Queued => state.mail.wake(),
        // Resent or delivered meanwhile: the list shows how things stand.
        Resend::NotDead => {}
    }
    Ok(page::see_other("/agent/mail"))
}
