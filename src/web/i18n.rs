//! The reader's language: a remembered choice (cookie) first, then `Accept-Language`,
//! then Chinese.

use std::future::{Ready, ready};

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::{
    FromRequest, HttpMessage, HttpRequest, HttpResponse, dev::Payload, http::header, web,
};
use serde::Deserialize;

use crate::domain::Lang;

pub const COOKIE: &str = "lang";

/// The language a signed-in agent chose at `/agent/me`, put in the request by the
/// console's access check.
#[derive(Clone, Copy, Debug)]
pub struct ChosenLang(pub Lang);

/// The `lang` cookie (the switch on every page), else the agent's chosen language, else
/// the browser's `Accept-Language`.
pub fn from_request(req: &HttpRequest) -> Lang {
    if let Some(lang) = req.cookie(COOKIE).and_then(|c| Lang::from_code(c.value())) {
        return lang;
    }
    if let Some(ChosenLang(lang)) = req.extensions().get::<ChosenLang>().copied() {
        return lang;
    }
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// `Lang` as a handler argument.
pub struct UiLang(pub Lang);

impl FromRequest for UiLang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(UiLang(from_request(req))))
    }
}

#[derive(Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// `GET /lang/{code}?next=/path`: remembers the choice and returns to the page.
pub async fn switch(
    state: web::Data<crate::web::AppState>,
    code: web::Path<String>,
    query: web::Query<SwitchQuery>,
) -> HttpResponse {
    let next = query
        .next
        .as_deref()
        // Only paths on this site: never an open redirect.
        .filter(|n| {
            n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        })
        .unwrap_or("/");
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, next));
    if let Some(lang) = Lang::from_code(&code) {
        response.cookie(
            Cookie::build(COOKIE, lang.code())
                .path("/")
                .max_age(Duration::days(365))
                .same_site(SameSite::Lax)
                .http_only(true)
                .secure(state.secure_cookies)
                .finish(),
        );
    }
    response.finish()
}
