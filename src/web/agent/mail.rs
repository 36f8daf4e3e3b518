//! `GET /agent/mail`: mail that could not be delivered, with the last SMTP error, and a
//! button to send it again once the cause is fixed (supervisors).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::auth::{TokenOnly, Verified};
use super::layout::{ConsolePage, Me};
use crate::domain::cst;
use crate::domain::ids::OutboxId;
use crate::web::AppState;
use crate::web::errors::AppResult;
use crate::web::page::{self, Chrome};
use crate::workflows::mail_admin::{self, Resend};
use crate::workflows::views::DeadMailView;

struct Row {
    mail: DeadMailView,
    created_at: String,
}

#[derive(Template)]
#[template(path = "agent/mail.html")]
struct MailPage {
    chrome: Chrome,
    me: Me,
    dead: Vec<Row>,
}

pub async fn show(state: web::Data<AppState>, console: ConsolePage) -> AppResult<HttpResponse> {
    let dead = state.store.read(mail_admin::dead_mail).await??;
    let page = MailPage {
        chrome: console.chrome,
        me: console.me,
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
    let (id, actor, now) = (
        OutboxId::new(id.into_inner()),
        v.who.actor(),
        state.clock.now(),
    );
    match state
        .store
        .write(move |conn| mail_admin::resend(conn, id, &actor, now))
        .await??
    {
        Resend::Queued => state.mail.wake(),
        // Resent or delivered meanwhile: the list shows how things stand.
        Resend::NotDead => {}
    }
    Ok(page::see_other("/agent/mail"))
}
