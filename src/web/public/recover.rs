//! `GET/POST /track/recover`: a lost tracking link. The answer to a well-formed request
//! is the same page whether or not the case number and email matched (no oracle).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::case_number::TypedCaseNumber;
use crate::domain::evidence::Email;
use crate::domain::{Lang, Refusal};
use crate::web::errors::{AppError, AppResult, Denied};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::web::{AppState, csrf};
use crate::workflows::recover_link::{self, Reissued};

#[derive(Template)]
#[template(path = "public/recover.html")]
struct RecoverPage {
    chrome: Chrome,
    sent: bool,
    csrf_token: String,
    case_number: String,
    email: String,
    case_number_error: Option<String>,
    email_error: Option<String>,
}

impl RecoverPage {
    fn form(req: &HttpRequest, lang: Lang, csrf_token: String) -> Self {
        Self {
            chrome: Chrome::new(req, lang),
            sent: false,
            csrf_token,
            case_number: String::new(),
            email: String::new(),
            case_number_error: None,
            email_error: None,
        }
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    let form = csrf::PublicForm::new(&req, &state.keys, state.secure_cookies);
    let page = RecoverPage::form(&req, lang, form.token.clone());
    Ok(form.respond(StatusCode::OK, page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RecoverForm {
    case_number: String,
    email: String,
    csrf_token: String,
}

pub async fn send(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    form: web::Form<RecoverForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    csrf::verify(&state.keys, &req, state.secure_cookies, &form.csrf_token)
        .ok_or(AppError::Forbidden(Denied::ForeignForm))?;
    // Only the shape of what was typed is refused here: that tells nothing about cases.
    let (number, email) = match (
        TypedCaseNumber::parse(&form.case_number),
        Email::parse(&form.email),
    ) {
        (Ok(number), Ok(email)) => (number, email),
        (number, email) => {
            let page = RecoverPage {
                case_number_error: number.err().map(|e| e.message(lang)),
                email_error: email.err().map(|e| e.message(lang)),
                case_number: form.case_number,
                email: form.email,
                ..RecoverPage::form(&req, lang, form.csrf_token)
            };
            return page::render_private(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (links, now) = (state.links_base(), state.clock.now());
    let reissued = state
        .store
        .write(move |conn| recover_link::reissue(conn, &number, &email, &links, now))
        .await??;
    if reissued == Reissued::Mailed {
        state.mail.wake();
    }
    let page = RecoverPage {
        sent: true,
        ..RecoverPage::form(&req, lang, String::new())
    };
    page::render_private(StatusCode::OK, &page)
}
