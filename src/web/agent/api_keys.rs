//! `/agent/api-keys`: supervisors make keys for the back office's API (each shown once,
//! in full), see who made each and when it was last used, and revoke them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{CsrfProtected, SignedIn, Verified};
use super::layout::{ConsolePage, Me};
use crate::domain::api::{ApiScope, KeyName, KeyRefusal, Scopes};
use crate::domain::{Lang, Refusal, cst};
use crate::web::AppState;
use crate::web::errors::AppResult;
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::workflows::api_keys::{self, KeyError, KeyListing};

struct Row {
    name: String,
    scopes: String,
    created_by: String,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

impl From<KeyListing> for Row {
    fn from(k: KeyListing) -> Self {
        Self {
            scopes: k.scopes.stored(),
            name: k.name,
            created_by: k.created_by,
            created_at: cst::format_local(k.created_at),
            last_used_at: k.last_used_at.map(cst::format_local),
            revoked_at: k.revoked_at.map(cst::format_local),
        }
    }
}

/// What the page says after a step, next to the field it concerns.
#[derive(Default)]
struct Said {
    name_error: Option<String>,
    scope_error: Option<String>,
    revoke_error: Option<String>,
    /// The key just made: shown this once.
    created: Option<(String, String)>,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "agent/api_keys.html")]
struct KeysPage {
    chrome: Chrome,
    me: Me,
    keys: Vec<Row>,
    said: Said,
    form_name: String,
    read_checked: bool,
    outcome_checked: bool,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    lang: Lang,
    status: StatusCode,
    said: Said,
    form: &CreateForm,
) -> AppResult<HttpResponse> {
    let keys = state.store.read(api_keys::list).await??;
    let console = ConsolePage::new(req, who, lang);
    let page = KeysPage {
        chrome: console.chrome,
        me: console.me,
        keys: keys.into_iter().map(Row::from).collect(),
        said,
        form_name: form.name.clone(),
        read_checked: form.scope_read.is_some(),
        outcome_checked: form.scope_outcome.is_some(),
    };
    Ok(page::private(page::builder(status)).body(page.render()?))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: ConsolePage,
) -> AppResult<HttpResponse> {
    let form = CreateForm {
        scope_read: Some(String::new()),
        ..CreateForm::default()
    };
    render(
        &req,
        &state,
        &console.who,
        console.lang,
        StatusCode::OK,
        Said::default(),
        &form,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    name: String,
    scope_read: Option<String>,
    scope_outcome: Option<String>,
    csrf_token: String,
}

impl CsrfProtected for CreateForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl CreateForm {
    fn scopes(&self) -> Result<Scopes, KeyRefusal> {
        let mut scopes = Vec::new();
        if self.scope_read.is_some() {
            scopes.push(ApiScope::CasesRead);
        }
        if self.scope_outcome.is_some() {
            scopes.push(ApiScope::CasesOutcome);
        }
        Scopes::from_list(scopes)
    }
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    v: Verified<CreateForm>,
) -> AppResult<HttpResponse> {
    let form = v.form;
    let mut said = Said::default();
    let name = KeyName::parse(&form.name).map_err(|e| said.name_error = Some(e.message(lang)));
    let scopes = form
        .scopes()
        .map_err(|e| said.scope_error = Some(e.message(lang)));
    let (Ok(name), Ok(scopes)) = (name, scopes) else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&req, &state, &v.who, lang, status, said, &form).await;
    };
    let (by, now) = (v.who.agent.email.clone(), state.clock.now());
    let made = state
        .store
        .write(move |conn| api_keys::create(conn, &name, &scopes, &by, now))
        .await?;
    let status = match made {
        Ok(created) => {
            said.created = Some((created.name, created.key));
            StatusCode::OK
        }
        Err(e @ KeyError::Refused(_)) => {
            said.name_error = Some(e.message(lang));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(KeyError::Failure(f)) => return Err(f.into()),
    };
    // The new key's page is never a form to resubmit: a fresh, empty one.
    let blank = CreateForm {
        scope_read: Some(String::new()),
        ..CreateForm::default()
    };
    let form = if status == StatusCode::OK {
        &blank
    } else {
        &form
    };
    render(&req, &state, &v.who, lang, status, said, form).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    name: String,
    csrf_token: String,
}

impl CsrfProtected for RevokeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    v: Verified<RevokeForm>,
) -> AppResult<HttpResponse> {
    let (name, now) = (v.form.name.clone(), state.clock.now());
    let done = state
        .store
        .write(move |conn| api_keys::revoke(conn, &name, now))
        .await?;
    let mut said = Said::default();
    let status = match done {
        Ok(()) => {
            said.revoked = Some(v.form.name.trim().to_owned());
            StatusCode::OK
        }
        Err(e @ KeyError::Refused(_)) => {
            said.revoke_error = Some(e.message(lang));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(KeyError::Failure(f)) => return Err(f.into()),
    };
    let form = CreateForm {
        scope_read: Some(String::new()),
        ..CreateForm::default()
    };
    render(&req, &state, &v.who, lang, status, said, &form).await
}
