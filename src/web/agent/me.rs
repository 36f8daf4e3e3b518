//! `/agent/me`: each agent chooses the language of their mail and which notices they get.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{CsrfProtected, Verified};
use super::layout::{ConsolePage, Me};
use crate::domain::Lang;
use crate::domain::notices::Preferences;
use crate::web::AppState;
use crate::web::errors::AppResult;
use crate::web::page::{self, Chrome};
use crate::workflows::preferences;

#[derive(Template)]
#[template(path = "agent/me.html")]
struct MePage {
    chrome: Chrome,
    me: Me,
    prefs: Preferences,
    saved: bool,
}

impl MePage {
    fn english(&self) -> bool {
        self.prefs.lang == Lang::En
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MeQuery {
    saved: String,
}

pub async fn show(
    state: web::Data<AppState>,
    console: ConsolePage,
    query: web::Query<MeQuery>,
) -> AppResult<HttpResponse> {
    let agent = console.who.agent.id;
    let prefs = state
        .store
        .read(move |conn| preferences::of(conn, agent))
        .await??;
    let page = MePage {
        chrome: console.chrome,
        me: console.me,
        prefs,
        saved: query.saved == "1",
    };
    page::render(StatusCode::OK, &page)
}

/// Unchecked boxes are not sent: absent means off.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PrefsForm {
    lang: String,
    replied: Option<String>,
    withdrawn: Option<String>,
    assigned: Option<String>,
    morning: Option<String>,
    csrf_token: String,
}

impl CsrfProtected for PrefsForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn save(state: web::Data<AppState>, v: Verified<PrefsForm>) -> AppResult<HttpResponse> {
    let f = v.form;
    let prefs = Preferences {
        // Anything but English is the default language.
        lang: if f.lang == "en" { Lang::En } else { Lang::Zh },
        replied: f.replied.is_some(),
        withdrawn: f.withdrawn.is_some(),
        assigned: f.assigned.is_some(),
        morning: f.morning.is_some(),
    };
    let agent = v.who.agent.id;
    state
        .store
        .write(move |conn| preferences::save(conn, agent, &prefs))
        .await??;
    Ok(page::see_other("/agent/me?saved=1".to_owned()))
}
