//! `GET /appeals/new` and `POST /appeals`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::fields::{self, Choice, FieldView, Input};
use crate::domain::appeal::{Appeal, Field, RawAppeal, Refusals};
use crate::domain::{Lang, Refusal};
use crate::web::AppState;
use crate::web::csrf;
use crate::web::errors::{AppError, AppResult, Denied};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::workflows::file_appeal::{FileError, Filed, Filing, Refused, file_appeal};

/// The form as sent; every field optional so that a missing one is refused next to
/// the field rather than with a bare 400.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AppealForm {
    wechat_id: String,
    email: String,
    packet_kind: String,
    amount: String,
    sent_at: String,
    transaction_id: String,
    counterparty_phone_suffix: String,
    card_last4: String,
    account: String,
    csrf_token: String,
}

impl AppealForm {
    fn raw(self) -> RawAppeal {
        RawAppeal {
            wechat_id: self.wechat_id,
            email: self.email,
            packet_kind: self.packet_kind,
            amount: self.amount,
            sent_at: self.sent_at,
            transaction_id: self.transaction_id,
            counterparty_phone_suffix: self.counterparty_phone_suffix,
            card_last4: self.card_last4,
            account: self.account,
        }
    }
}

#[derive(Template)]
#[template(path = "public/appeal_form.html")]
struct FormPage {
    chrome: Chrome,
    fields: Vec<FieldView>,
    packet_kinds: Vec<Choice>,
    csrf_token: String,
    /// A refusal of the whole filing (quota, duplicate), shown above the form.
    notice: Option<String>,
    refused_count: usize,
}

impl FormPage {
    fn new(
        req: &HttpRequest,
        lang: Lang,
        raw: &RawAppeal,
        csrf_token: String,
        error: impl Fn(Field) -> Option<String>,
        notice: Option<String>,
    ) -> Self {
        let fields = fields::views(lang, raw, error);
        Self {
            chrome: Chrome::new(req, lang),
            refused_count: fields.iter().filter(|f| f.error.is_some()).count(),
            packet_kinds: fields::packet_kind_choices(lang, &raw.packet_kind),
            fields,
            csrf_token,
            notice,
        }
    }
}

pub async fn new(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    let form = csrf::PublicForm::new(&req, &state.keys, state.secure_cookies);
    let page = FormPage::new(
        &req,
        lang,
        &RawAppeal::default(),
        form.token.clone(),
        |_| None,
        None,
    );
    Ok(form.respond(StatusCode::OK, page.render()?))
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    form: web::Form<AppealForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let csrf_token = form.csrf_token.clone();
    let form_key = csrf::verify(&state.keys, &req, state.secure_cookies, &csrf_token)
        .ok_or(AppError::Forbidden(Denied::ForeignForm))?;
    let raw = form.raw();
    let now = state.clock.now();

    let appeal = match Appeal::parse(&raw, now) {
        Ok(appeal) => appeal,
        Err(refusals) => {
            let page = refused_fields(&req, lang, &raw, csrf_token, &refusals);
            return page::render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };

    let keys = state.keys.clone();
    let links_base = state.links_base();
    let outcome = state
        .run(move |conn| {
            let filing = Filing {
                appeal: &appeal,
                lang,
                submission_key: &form_key,
                links_base: &links_base,
            };
            file_appeal(conn, &keys, &filing, now)
        })
        .await?;
    if let Ok(Filed::New { .. }) = outcome {
        state.mail.wake();
    }
    let refused = match outcome {
        Ok(Filed::New { tracking_token } | Filed::Again { tracking_token }) => {
            return Ok(page::see_other(format!(
                "/appeals/receipt/{tracking_token}"
            )));
        }
        Err(FileError::Failure(failure)) => return Err(failure.into()),
        Err(FileError::Refused(refused)) => refused,
    };

    // A used form key has filed its case: a new filing needs a fresh one.
    let form_token = match refused {
        Refused::FormAlreadyUsed => {
            csrf::PublicForm::new(&req, &state.keys, state.secure_cookies).token
        }
        _ => csrf_token,
    };
    let message = refused.message(lang);
    let (field, field_message) = (refused.field(), message.clone());
    let page = FormPage::new(
        &req,
        lang,
        &raw,
        form_token,
        move |f| (Some(f) == field).then(|| field_message.clone()),
        Some(message),
    );
    page::render(StatusCode::CONFLICT, &page)
}

fn refused_fields(
    req: &HttpRequest,
    lang: Lang,
    raw: &RawAppeal,
    csrf_token: String,
    refusals: &Refusals,
) -> FormPage {
    FormPage::new(
        req,
        lang,
        raw,
        csrf_token,
        |f| fields::message(refusals.get(f), lang),
        None,
    )
}
